"""The reports at their edges: a scaling claim whose rival shape could not be fitted, a grid
with negative values of its variable, a title that ends in a line break, non-finite LLC values
and claim text full of Markdown and HTML marks. Defects found by a red-team audit of the
report layer; each test builds its report from small hand-made results (no sampler runs)."""

from __future__ import annotations

import html
import json
import re
import warnings

import numpy as np
import sympy as sp
from test_judge import MINIMUM, PointEvidence, cf, claim, controls, judge_claim, lc
from test_strict_end_and_rival_domain import _cf, _scaling_claim

from slttheory.verify.evidence.records import ClosedFormEvidence, LLCEvidence, jsonable
from slttheory.verify.report.data import build_report, printable, validate_report
from slttheory.verify.report.figures import _poly, claim_figure
from slttheory.verify.report.html import render_html
from slttheory.verify.report.markdown import _esc, render_markdown


def _json(results):
    """report.json as written and read back (strict JSON), checked against its schema."""
    rep = build_report(results, profile="quick", device="cpu", created="2026-01-01")
    back = json.loads(json.dumps(jsonable(rep), allow_nan=False))
    validate_report(back)
    return back


def _scaling(ds):
    """A linear scaling claim judged on certified λ = d/2 at ``ds`` (negative ones too)."""
    items = [({"d": d}, PointEvidence(_cf(sp.Rational(d, 2)), None, None, 0.0,
                                      at_point=MINIMUM)) for d in ds]
    return judge_claim(_scaling_claim(), items)


def test_a_rival_not_fitted_reads_not_fitted_in_the_html_fits_table_not_nan():
    """Every value at d < 0 or d = 1: the rival x·log x has no value it can take, and its
    empty fit has NaN coefficients and R². The reason says "not fitted"; the HTML table of
    fits had shown "nan ± nan" and R² "nan" in the rival's row."""
    rep = _json([_scaling((-3, -2, -1, 1))])
    c = rep["claims"][0]
    assert "rival xlogx not fitted" in c["reason"], c["reason"]
    (rival,) = [f for f in c["fits"] if f["role"] == "rival"]
    assert rival["x"] == [] and rival["coefficients"] == ["nan"]  # report.json keeps it
    page = render_html(rep, figures_dir=None)
    fits = page[page.index("<h4>Fits</h4>"):]
    fits = fits[: fits.index("</table>")]
    assert not re.search(r"\bnan\b", fits), fits
    assert "not fitted" in fits, fits
    md = render_markdown(rep)
    assert not re.search(r"\bnan\b", md), [ln for ln in md.splitlines() if "nan" in ln]


def test_an_xlogx_curve_is_drawn_at_x_le_0_without_warnings(tmp_path):
    """A grid with d < 0: the rival x·log x (fitted on d > 1) was drawn over the whole range
    as x * np.log(x), warning "invalid value encountered in log" at every report; at d = 0 it
    left a gap where the fit (xlogy) reads 0."""
    rep = _json([_scaling((-4, -2, 2, 3, 4))])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert claim_figure(rep["claims"][0], tmp_path / "s.png")
        x = np.array([-1.0, 0.0, 1.0, np.e])
        got = _poly([2.0, 1.0], "affine_xlogx", x)
    assert np.isnan(got[0]) and got[1:].tolist() == [1.0, 1.0, 2 * np.e + 1]


def test_a_title_ending_in_a_line_break_stays_bold_in_markdown():
    """A TOML multi-line title ends in a line break: "**Title **" is no emphasis in
    CommonMark (a closing ** after a space), and showed its asterisks."""
    r = judge_claim(claim(title="A title\n"), [({"d": 4}, PointEvidence(cf(2), None, None,
                                                                         0.0))])
    md = render_markdown(_json([r]))
    assert "**A title** — Someone 2020" in md, [ln for ln in md.splitlines() if "title" in ln]


EVIL = "a|b <script>x()</script> & `t` *e* [l](u)\nnext line\r\n# head &lt;"


def test_non_finite_llcs_errors_everywhere_and_marked_up_text_stay_contained():
    """LLC means NaN and ±inf, a point whose every route failed, a claim without points, and
    ids, titles, families, reasons and facts full of | < > & backticks and line breaks: the
    JSON round-trips and validates, no Markdown table row gains a cell, no tag reaches the
    HTML, and each claim's verdict and reason are report.json's in both renderings."""
    items = [({"d": 2}, PointEvidence(None, None, lc(float("nan")), 0.0, at_point=MINIMUM)),
             ({"d": 4}, PointEvidence(None, None, lc(float("-inf"), se=float("inf")), 0.0,
                                      at_point=MINIMUM)),
             ({"d": 6}, PointEvidence(ClosedFormEvidence("error", error=EVIL), None,
                                      LLCEvidence("error", error=EVIL), 0.0,
                                      at_point=MINIMUM))]
    rep = _json([judge_claim(claim(), items, controls()), judge_claim(claim(), [])])
    c = rep["claims"][0]
    c.update(id="id" + EVIL, title=EVIL, family="f" + EVIL, reason="refuted: " + EVIL * 30)
    for p in c["points"]:
        p["reason"] += EVIL
    assert json.loads(json.dumps(rep)) == rep
    validate_report(rep)
    md = render_markdown(rep)
    tables, prev = [], False
    for ln in md.splitlines():  # consecutive rows: one table, one number of cells
        if ln.startswith("|"):
            if not prev:
                tables.append([])
            tables[-1].append(len(re.split(r"(?<!\\)\|", ln)))
        prev = ln.startswith("|")
    assert len(tables) >= 2 and all(len(set(t)) == 1 for t in tables), tables
    outside_code = re.sub(r"(?<!\\)`[^`]*`", "", md)  # a code span shows its text as is
    page = render_html(rep, figures_dir=None)
    assert "<script" not in outside_code and "<script>x()" not in page
    for claim_ in rep["claims"]:
        assert f"**Verdict: {claim_['verdict']}**. {_esc(claim_['reason'])}" in md
        assert f"<b>Reason.</b> {html.escape(printable(claim_['reason']))}</p>" in page
        for p in claim_["points"]:
            assert _esc(p["reason"]) in md and html.escape(printable(p["reason"])) in page


def test_markdown_and_html_print_a_relation_alike():
    """report.md printed the relation as typed ('λ <= 3/2', 'λ == d/2') where report.html
    prints '≤' and '=': both now use report.data.relation_symbol."""
    from slttheory.verify.report import markdown
    from slttheory.verify.report.data import relation_symbol

    rows = markdown._points_table([{"params": {"d": 2}, "predicted_exact": "3/2",
                                    "closed_form": None, "rank": None, "llc": None,
                                    "verdict": "confirmed", "grade": "certified",
                                    "facts": []}], "<=")
    assert "λ ≤ 3/2" in rows[-1] and "<=" not in rows[-1]
    assert [relation_symbol(r) for r in ("==", "<=", ">=", "<", ">")] == \
        ["=", "≤", "≥", "<", ">"]
