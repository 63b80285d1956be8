"""Report text that rounding or a key mismatch made misstate the evidence (a red-team audit of
the reports): a controlled band just past the end of its tolerance window read as lying on
it ("[1.35, 1.504] contains the prediction but reaches beyond it ± 0.15" for a band from
1.3499999…), a band outside a certified bound read as touching it, and the heat map of a
large grid over a list-valued variable (``widths``, ``powers``) drew no cell at all."""

from __future__ import annotations

import re

import sympy as sp
from test_judge import MINIMUM, PointEvidence, claim, controls, judge_claim, lc

from slttheory.verify.judge.facts import band_outside_proof
from slttheory.verify.report.figures import heat_cells


def _result(mean, se=0.01):
    items = [({"d": 3}, PointEvidence(None, None, lc(mean, se=se), 0.0, at_point=MINIMUM))]
    return judge_claim(claim(), items, controls())


def _just_below_window():
    """A controlled band whose low end lies just below 3/2 − 0.15 (d = 3, llc_rel 0.1)."""
    def low(m):
        return _result(m).points[0].verdict.llc.band.low
    lo, hi = 1.3, 1.6
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if low(mid) < 1.35 else (lo, mid)
    res = _result(lo)
    assert res.points[0].verdict.llc.band.low < 1.35 < res.points[0].verdict.llc.band.high
    return res


def test_a_band_just_outside_its_tolerance_window_never_reads_as_inside_it():
    res = _just_below_window()
    pv = res.points[0].verdict
    assert pv.verdict == "inconclusive" and "reaches beyond it ± 0.15" in pv.reason, pv.reason
    for text in (pv.reason, res.verdict.reason):
        lows = [float(x) for x in re.findall(r"band \[([0-9.]+),", text)]
        assert lows and all(x < 1.35 for x in lows), (lows, text)


def test_a_band_outside_a_certified_bound_never_reads_as_touching_it():
    text = band_outside_proof(sp.Integer(0), sp.Integer(2), 2.00004, 2.5)
    low = float(re.search(r"band \[([0-9.]+),", text).group(1))
    assert low > 2, text
    text = band_outside_proof(sp.Integer(1), None, 0.3, 0.99996)
    high = float(re.search(r"band \[[0-9.]+, ([0-9.]+)\]", text).group(1))
    assert high < 1, text


def test_the_heat_map_of_a_list_valued_grid_variable_draws_every_point():
    widths = [[2, k, 3] for k in range(1, 11)]
    pts = [{"params": {"widths": w, "r": r}, "verdict": "refuted" if r == 0 else "confirmed"}
           for w in widths for r in range(5)]
    c = {"grid": {"widths": widths, "r": list(range(5))}, "points": pts}
    names, xs, ys, cell = heat_cells(c)
    assert names == ["widths", "r"] and xs[0] == "[2, 1, 3]"
    assert (cell >= 0).all(), cell
    assert (cell[0] == 4).all() and (cell[1:] == 1).all(), cell


def test_a_scaling_claims_fit_only_points_are_not_drawn_as_inconclusive():
    """A large scaling claim's points only enter its fit ('inconclusive: scaling point …'):
    the heat map drew them as inconclusive even where the claim is confirmed. They have a
    colour of their own, below every verdict."""
    from slttheory.verify.judge.point import FIT_ONLY

    pts = [{"params": {"d": d, "k": k}, "verdict": "inconclusive",
            "reason": f"{FIT_ONLY} d={d}"} for d in range(1, 10) for k in range(1, 6)]
    pts[0] = {**pts[0], "reason": "inconclusive: no certified route decides"}
    c = {"grid": {"d": list(range(1, 10)), "k": list(range(1, 6))}, "points": pts}
    cell = heat_cells(c)[3]
    assert cell[0, 0] == 2 and (cell.ravel()[1:] == 0).all(), cell
