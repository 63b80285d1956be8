"""The README's verdict rules (verification/README.md § Verdicts) against the judge, where an
audit found the code's verdict differing from the stated rule."""

from __future__ import annotations

from dataclasses import replace

from test_judge import V, cf, claim, controls, lc, rk

from slttheory.verify.evidence.records import AtPoint, PointEvidence, Rerun


def test_a_rerun_band_outside_the_certified_facts_is_not_the_same_verdict():
    """Rule 3: a band wholly outside what the certified facts allow decides nothing, and a
    controlled verdict must hold at each of γ × 3, γ / 3 and ε / 2. A rerun at γ × 3 reading
    below the proved λ ≥ 1 (the estimator's error there) had counted as repeating the
    refutation of λ = 4, so the point was "refuted (controlled)"."""
    rank = rk(10, n=10, determines=False, point=2, inputs=True)  # certified 1 ≤ λ ≤ 5
    ok = tuple(Rerun(s, 1.6, 0.02, True) for s in ("γ / 3", "ε / 2"))
    low = (Rerun("γ × 3", 0.4, 0.02, True), *ok)
    v = V(claim("d"), PointEvidence(None, rank, lc(1.6, reruns=low), 0.0), ctl=controls())
    assert v.verdict == "inconclusive", v.reason
    assert "at γ × 3" in v.reason and "outside the certified" in v.reason
    assert v.llc is not None and v.llc.not_robust
    # every rerun inside the proved bounds: the refutation stands, controlled
    fine = (Rerun("γ × 3", 1.6, 0.02, True), *ok)
    v = V(claim("d"), PointEvidence(None, rank, lc(1.6, reruns=fine), 0.0), ctl=controls())
    assert (v.verdict, v.grade) == ("refuted", "controlled"), v.reason


def test_a_bound_the_dimension_implies_asserts_nothing_where_w_star_is_no_minimum():
    """Rule 2: λ ≤ P with P ≥ d/2 holds for every model of d parameters and is inconclusive
    "whatever any route reads". At a trained w* that is neither a local minimum nor a true
    parameter no fact at w* is drawn, λ ≤ d/2 included, and the certified closed form then
    confirmed "λ ≤ 2" for 4 parameters as certified."""
    off = AtPoint("ok", checks={"is_local_min": False, "reason": "not a critical point",
                                "n_params": 4})
    ev = PointEvidence(cf("1"), None, None, 0.0, at_point=off)
    for pred, rel in (("2", "<="), ("3", "<"), ("5/2", "<=")):
        v = V(claim(pred, relation=rel), ev)
        assert v.verdict == "inconclusive" and v.asserts_nothing, (pred, rel, v.reason)
        assert "holds for every model of this dimension" in v.reason
    # below d/2 the bound says something: the closed form decides it
    v = V(claim("3/2", relation="<="), ev)
    assert (v.verdict, v.grade) == ("confirmed", "certified"), v.reason
    v = V(claim("2", relation="<"), ev)  # λ < d/2 is not every model's: regular ones reach it
    assert (v.verdict, v.grade) == ("confirmed", "certified"), v.reason
    # and at a minimum, as before
    at_min = replace(off, checks={**off.checks, "is_local_min": True})
    assert V(claim("2", relation="<="), replace(ev, at_point=at_min)).verdict == "inconclusive"
