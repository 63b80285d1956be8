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
