"""Numbers beside a verdict that rounding must not contradict: a controlled band whose end lies
just past the prediction (it refutes) had read "[1.5, 1.71]" beside "refuted" and λ = 3/2, in
the point's reason, report.md and report.html; a standard error of 0.0004 had read "± 0.000";
a table cell's "1.600" had read "1\\.600" in report.md's text. Rendering the same results
twice gives the same bytes. Found by a red-team audit of the report layer; the reports are
built from small hand-made results (no sampler runs)."""

from __future__ import annotations

import json
import re

from test_judge import MINIMUM, PointEvidence, claim, controls, judge_claim, lc

from slttheory.verify.evidence.records import jsonable
from slttheory.verify.report import write_report
from slttheory.verify.report.data import build_report
from slttheory.verify.report.html import render_html
from slttheory.verify.report.markdown import _llc_cell, render_markdown


def _result(mean, d=3):
    items = [({"d": d}, PointEvidence(None, None, lc(mean), 0.0, at_point=MINIMUM))]
    return judge_claim(claim(), items, controls())


def _band_low(mean):
    return _result(mean).points[0].verdict.llc.band.low


def _just_past_three_halves():
    """The judge's result whose controlled band starts within 1e-4 above λ = 3/2 (d = 3)."""
    lo, hi = 1.4, 1.8  # the band's low end rises with the mean
    assert _band_low(lo) < 1.5 < _band_low(hi)
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _band_low(mid) <= 1.5 else (lo, mid)
    res = _result(hi)
    assert 1.5 < res.points[0].verdict.llc.band.low < 1.5001
    return res


def _shown_lows(text):
    return [float(x) for x in re.findall(r"band \\?\[([0-9.]+),", text)]


def test_a_band_just_past_the_prediction_never_reads_as_reaching_it():
    res = _just_past_three_halves()
    rep = json.loads(json.dumps(jsonable(build_report([res], profile="quick", device="cpu",
                                                       created="2026-01-01")), allow_nan=False))
    p = rep["claims"][0]["points"][0]
    assert (p["verdict"], p["grade"], p["predicted"]) == ("refuted", "controlled", 1.5)
    md = render_markdown(rep)
    page = render_html(rep, figures_dir=None)
    for where, text in (("reason", p["reason"]), ("claim reason", rep["claims"][0]["reason"]),
                        ("report.md", md), ("report.html", page)):
        lows = _shown_lows(text)
        assert lows and all(x > 1.5 for x in lows), (where, lows)


def test_edge_text_keeps_each_end_on_its_side_of_the_prediction():
    from slttheory.verify.judge.llc import edge_text

    for x, ref in ((1.50003, 1.5), (1.49997, 1.5), (1.99996, 2.0), (0.500001, 0.5)):
        for digits in (3, 4):
            shown = float(edge_text(x, ref, digits))
            assert (shown > ref) == (x > ref) and (shown < ref) == (x < ref), (x, ref, digits)
    assert edge_text(1.5, 1.5) == "1.5" and edge_text(0.3721, 1.5) == "0.372"
    assert edge_text("nan", 1.5) == "nan" and edge_text(float("inf"), 1.5) == "inf"


def test_a_small_standard_error_is_not_written_as_zero():
    p = {"llc": {"status": "ok", "mean": 0.5, "std_error": 0.0004, "grade": "uncontrolled"},
         "predicted": 0.5}
    cell = _llc_cell(p)
    assert cell.startswith("0.500 ± 0.0004"), cell
    assert not re.search(r"0\.000(?!\d)", cell), cell


def test_a_table_cell_starting_with_a_number_is_not_escaped():
    res = _result(1.6)
    md = render_markdown(build_report([res], profile="quick", device="cpu",
                                      created="2026-01-01"))
    (row,) = [ln for ln in md.splitlines() if ln.startswith("| d=3 |") and "± 0" in ln]
    assert "| 1.600 ± 0.020" in row and "1\\." not in row, row


def test_rendering_the_same_results_twice_gives_the_same_bytes(tmp_path):
    results = [_result(1.6), _result(1.5, d=4)]
    for name in ("a", "b"):
        write_report(results, tmp_path / name, profile="quick", device="cpu",
                     created="2026-01-01", wall_s=1.0, figures=False)
    for f in ("report.json", "report.md"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    json.loads((tmp_path / "a" / "report.json").read_text(encoding="utf-8"),
               parse_constant=lambda s: (_ for _ in ()).throw(ValueError(s)))
