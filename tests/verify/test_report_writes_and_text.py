"""The report layer's writes and the untrusted text it shows (an audit of the report layer):
each file written whole or not at all, claim text that can neither open HTML nor break a
Markdown table, non-finite numbers that neither make report.json invalid JSON nor end a
figure, and one claim whose entry or section fails that loses no other claim's."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path

import pytest
from test_html import tags
from test_judge import MINIMUM, PointEvidence, cf, claim, controls, judge_claim, rk

from slttheory.verify.evidence.records import ClosedFormEvidence, ControlSet, LLCEvidence, Rerun
from slttheory.verify.report import files, write_report
from slttheory.verify.report.data import build_report
from slttheory.verify.report.html import render_html, write_html
from slttheory.verify.report.markdown import render_markdown

NASTY = ('<script>alert(1)</script></td></tr>" onmouseover="x" \' | a\nb\r\n| c `tick` '
         + "W" * 300 + " \x00\x07\x1b\u202egnp.exe\u2066\u2028 &amp; [x](javascript:x) <!-- ")
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028]")


def _report(results):
    return build_report(results, profile="quick", device="cpu", created="2026-01-01")


def _nasty_result():
    c = claim(title=NASTY, statement=NASTY, notes=NASTY, reading=NASTY, source=NASTY,
              differences=[NASTY, "# " + NASTY])
    return judge_claim(c, [
        ({"d": 4}, PointEvidence(ClosedFormEvidence("error", error=NASTY), rk(4), None, 0.0)),
        ({"d": 2}, PointEvidence(cf(1), rk(2), None, 0.0))])


def _plain_result(cid="plain"):
    return judge_claim(claim(id=cid), [({"d": 2}, PointEvidence(cf(1), rk(2), None, 0.0))])


# --- whole or not at all ---------------------------------------------------------------------


def _fail_midway(monkeypatch):
    """Every write of the report layer writes half its text, then is interrupted."""
    def half(tmp: Path, text: str) -> None:
        tmp.write_text(text[: len(text) // 2], encoding="utf-8")
        raise KeyboardInterrupt

    monkeypatch.setattr(files, "_write", half)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".tmp" in p.name)


def test_an_interrupted_report_write_leaves_the_earlier_report_whole(tmp_path, monkeypatch):
    """report.json and report.md were written in place: an interrupt while writing left them
    truncated (report.json no longer JSON, and the next run's --resume checks read it)."""
    write_report([_plain_result()], tmp_path, profile="quick", device="cpu", figures=False)
    before = {n: (tmp_path / n).read_bytes() for n in ("report.json", "report.md")}
    _fail_midway(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        write_report([_plain_result("other")], tmp_path, profile="quick", device="cpu",
                     figures=False)
    assert {n: (tmp_path / n).read_bytes() for n in before} == before
    json.loads(before["report.json"])
    assert _leftovers(tmp_path) == []


def test_an_interrupted_page_write_leaves_the_earlier_page_whole(tmp_path, monkeypatch):
    rep = _report([_plain_result()])
    page = write_html(rep, tmp_path).read_bytes()
    _fail_midway(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        write_html(_report([_plain_result("other")]), tmp_path)
    assert (tmp_path / "report.html").read_bytes() == page
    assert _leftovers(tmp_path) == []


def test_a_figure_whose_drawing_fails_midway_leaves_no_partial_file(tmp_path, monkeypatch):
    """A figure is saved to a temporary file that replaces its path only when whole."""
    from matplotlib.figure import Figure

    def broken(self, fname, **kw):
        Path(fname).write_bytes(b"\x89PNG half")
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken)
    rep = write_report([_plain_result()], tmp_path, profile="quick", device="cpu")
    assert rep["claims"][0]["figure"] is None
    assert list((tmp_path / "figures").iterdir()) == []
    old = tmp_path / "old.png"
    old.write_bytes(b"whole")
    with pytest.raises(OSError), files.replacing(old) as tmp:
        broken(None, tmp)
    assert old.read_bytes() == b"whole" and _leftovers(tmp_path) == []


# --- untrusted text --------------------------------------------------------------------------


def test_claim_text_reaches_the_page_only_as_text():
    """Title, statement, notes, reading, source, differences and a plugin's error with tags,
    quotes, control characters and direction overrides: no tag, no attribute and nothing
    that does not print reaches the page from them."""
    page = render_html(_report([_nasty_result()]), figures_dir=None)
    found = tags(page)
    assert [t for t, _ in found].count("script") == 1  # the page's own
    assert not [(t, a) for t, a in found if any(k.startswith("on") for k in a)]
    assert "alert(1)</script>" not in page and "&lt;script&gt;alert(1)" in page
    assert not UNPRINTABLE.search(page), UNPRINTABLE.findall(page)
    for tag, attrs in found:  # the text stays inside the attribute it was put in
        for k, v in attrs.items():
            if v and "alert" in v:
                assert k in ("title", "value", "data-source"), (tag, k)
            if k in ("id", "href") and v:
                assert re.fullmatch(r"#?[A-Za-z0-9._=-]+", v), (tag, k, v)


def _tables(md: str) -> list[list[str]]:
    """The Markdown tables of ``md``: runs of lines that start with "|"."""
    out, cur = [], []
    for line in md.split("\n"):
        if line.startswith("|"):
            cur.append(line)
        elif cur:
            out.append(cur)
            cur = []
    return out + ([cur] if cur else [])


def _cells(row: str) -> int:
    """Cells of a GFM table row: "|" not escaped by a backslash (pairs of backslashes are
    literal backslashes)."""
    return len(re.findall(r"(?<!\\)(?:\\\\)*\|", row)) - 1


def test_claim_text_cannot_add_a_row_or_a_column_to_a_markdown_table():
    md = render_markdown(_report([_nasty_result(), _plain_result()]))
    tables = _tables(md)
    assert len(tables) >= 3
    for t in tables:
        assert len({_cells(row) for row in t}) == 1, t
    assert "<script" not in md and "<!--" not in md
    assert not UNPRINTABLE.search(md), UNPRINTABLE.findall(md)
    assert "- \\# " in md  # a difference starting with "#" is no heading


def test_an_experiment_statistic_named_with_a_pipe_stays_in_its_cell():
    from slttheory.verify.report.markdown import _experiment

    stat = {"estimate": 1.0, "low": 0.5, "high": 1.5, "level": 0.95, "method": "t | x",
            "n": 3, "note": "a|b", "about": "lambda|z"}
    lines = _experiment({"experiment": {"name": "e", "statistics": {"s|t`u": stat}}})
    rows = [x for x in lines if x.startswith("|")]
    assert len({_cells(r) for r in rows}) == 1, rows


# --- non-finite numbers ----------------------------------------------------------------------

NAN, INF = math.nan, math.inf


def _llc(mean, se):
    return LLCEvidence("ok", mean=mean, std_error=se, passed=True, control_key="k1",
                       reruns=tuple(Rerun(s, mean, se, True) for s in ("a", "b", "c")),
                       diagnostics={"rhat": INF, "ess": NAN}, ci=(NAN, INF), law_error=INF,
                       mc_error=NAN, single=-INF,
                       scan={"nbeta": [10.0, 20.0, 40.0], "llc": [NAN, INF, 1.0],
                             "mc_error": [NAN, 0.1, INF], "corrected": [1.0, NAN, 2.0],
                             "fit": "pow1", "curve_nbeta": [10.0, 100.0], "curve": [NAN, INF],
                             "value": NAN, "ci": [NAN, INF],
                             "laws": [{"law": "pow1", "value": NAN, "std_error": INF}]})


def test_non_finite_evidence_gives_strict_json_and_every_figure(tmp_path):
    """NaN and ±inf λ̂, standard errors, intervals, R-hat, control estimates and scan
    values: report.json stays JSON that strict parsers accept ("nan", "inf" as strings, or
    null), and the claim's figures are drawn (the string "inf" had ended both)."""
    ctl = controls()
    runs = list(ctl["k1"].runs)
    runs[0] = replace(runs[0], mean=NAN, std_error=INF)
    runs[1] = replace(runs[1], mean=INF)
    ctl = {"k1": ControlSet("k1", {}, tuple(runs))}
    items = [({"d": d}, PointEvidence(None, None, _llc(m, se), 0.0, at_point=MINIMUM))
             for d, m, se in ((2, NAN, INF), (4, INF, NAN), (6, 2.9, 0.01))]
    r = judge_claim(claim(), items, ctl)
    rep = write_report([r], tmp_path, profile="quick", device="cpu", wall_s=NAN)

    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"),
                      parse_constant=refuse)
    assert data["wall_s"] == "nan"
    assert {"c.png", "c__scans.png"} <= {p.name for p in (tmp_path / "figures").iterdir()}
    assert rep["claims"][0]["figure"] == "figures/c.png"
    render_markdown(rep)
    render_html(rep, figures_dir=tmp_path)


# --- one claim's failure ---------------------------------------------------------------------


def test_a_claim_whose_markdown_section_raises_loses_no_other_claim(monkeypatch):
    from slttheory.verify.report import markdown

    rep = _report([_plain_result("bad"), _plain_result("good")])
    real = markdown._claim

    def claim_section(c, anchor):
        if c["id"] == "bad":
            raise KeyError("boom")
        return real(c, anchor)

    monkeypatch.setattr(markdown, "_claim", claim_section)
    monkeypatch.setattr(markdown, "short_reason", lambda r: 1 / 0 if "bad" in r else r)
    rep["claims"][0]["reason"] += " bad"
    md = render_markdown(rep)
    assert "## good" in md and "## bad" in md
    assert md.count("could not be rendered (KeyError") == 1
    assert md.count("could not be rendered (ZeroDivisionError") == 1
    assert len({_cells(row) for row in _tables(md)[0]}) == 1


def test_a_claim_whose_report_entry_raises_keeps_its_verdict_and_the_others(monkeypatch):
    from slttheory.verify.report import data

    real = data.claim_json

    def entry(r, profile=None):
        if r.claim.id == "bad":
            raise TypeError("boom")
        return real(r, profile)

    monkeypatch.setattr(data, "claim_json", entry)
    bad, good = _plain_result("bad"), _plain_result("good")
    rep = _report([bad, good])
    data.validate_report(rep)
    b, g = rep["claims"]
    assert (b["id"], b["verdict"], b["points"]) == ("bad", bad.verdict.verdict, [])
    assert "could not be written (TypeError: boom" in b["reason"]
    assert g["id"] == "good" and len(g["points"]) == 1
