"""Every work a claim cites is listed in full in the reports (they stand alone)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from slttheory.verify.report.markdown import render_markdown
from slttheory.verify.report.references import REFERENCES, cited

CLAIMS = sorted(Path(__file__).parents[2].joinpath("verification").rglob("*.toml"))


@pytest.mark.parametrize("path", CLAIMS, ids=lambda p: p.name)
def test_every_claim_source_has_a_full_citation(path):
    source = tomllib.loads(path.read_text("utf-8"))["source"]
    assert cited(source), f"{path.name}: no reference for {source!r}"


def test_the_markdown_report_ends_with_the_works_it_names():
    ref = Path(__file__).parents[2] / "reports" / "reference" / "report.json"
    text = render_markdown(json.loads(ref.read_text("utf-8")))
    head, refs = text.split("## References")
    assert "Neural Networks 18(7):924–933" in refs          # Aoyagi & Watanabe 2005, in full
    named = [r.key for r in cited(head)]
    assert named and all(f"**{k}**" in refs for k in named)
    assert [r.key for r in cited("Watanabe 2009 and arXiv:2411.19920")] == [
        "Pepin Lehalleur & Rimányi 2024", "Watanabe 2009"]
    assert len({r.key for r in REFERENCES}) == len(REFERENCES)


def test_two_papers_of_the_same_authors_and_year_are_told_apart():
    """Aoyagi & Watanabe published the reduced-rank-regression λ (Neural Networks) and the
    tanh network's (IEICE) in 2005: a text citing one lists that one only, and the tanh
    formula's standing names the IEICE paper, so a claim citing the other is not its source."""
    from slttheory.formulas import reduced_rank_regression, tanh_network
    from slttheory.formulas.standing import cites_reference
    from slttheory.verify.report.references import cited

    def keys(text):
        return [r.key for r in cited(text) if r.key.startswith("Aoyagi & Watanabe")]

    tanh = tanh_network(3)
    assert keys(tanh.source + " " + " ".join(tanh.assumptions)) == [
        "Aoyagi & Watanabe 2005 (IEICE)"]
    assert keys(tanh.reference) == ["Aoyagi & Watanabe 2005 (IEICE)"]
    assert keys(reduced_rank_regression(m=3, n=3, h=2).source) == ["Aoyagi & Watanabe 2005"]
    assert keys("λ from Aoyagi & Watanabe 2005; and Aoyagi & Watanabe 2005, IEICE Trans. "
                "J88-D-II") == ["Aoyagi & Watanabe 2005", "Aoyagi & Watanabe 2005 (IEICE)"]
    assert cites_reference("Aoyagi & Watanabe 2005, IEICE Trans. J88-D-II", tanh.reference)
    assert not cites_reference("Aoyagi & Watanabe 2005, Neural Networks 18(7)",
                               tanh.reference)
