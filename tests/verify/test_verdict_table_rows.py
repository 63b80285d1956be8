"""The README's verdict table ("In one screen", verification/README.md § Verdicts), row by
row, where a deliberate mutation of the rule's constant or boundary survived the judge's
other tests (a spec-conformance audit): each test below pins the number the row states."""

from __future__ import annotations

import pytest
from test_judge import KEY, MIN_CHECK, V, claim, controls, lc, rk

from slttheory.verify.evidence.records import AtPoint, PointEvidence, RankEvidence
from slttheory.verify.judge.llc import llc_band


def test_rank_row_the_schwartz_zippel_bound_is_at_most_1e_6():
    """Row "rank": λ = R/2 "with the Schwartz–Zippel bound ≤ 10⁻⁶". The other tests scale
    their bounds by ``RANK_CERTAINTY``, so a looser constant (1e-4) passed them."""
    ok = V(claim(), PointEvidence(None, rk(4, 6, bound=1e-6), None, 0.0))
    assert (ok.verdict, ok.grade) == ("confirmed", "certified"), ok.reason
    weak = V(claim(), PointEvidence(None, rk(4, 6, bound=2e-6), None, 0.0))
    assert weak.verdict == "inconclusive" and "λ = rank/2" not in weak.reason, weak.reason


def test_llc_gates_row_a_training_rank_of_exactly_2p_lets_the_llc_decide():
    """Row "LLC gates": "training rank ≥ 2P". At rank 2P the LLC decides; one below, it
    does not (``tr <= 2P`` in place of ``tr < 2P`` passed the other tests)."""
    def at(tr):
        return AtPoint("ok", checks=MIN_CHECK, extras={"train_rank": tr})

    v = V(claim(), PointEvidence(None, None, lc(2.0), 0.0, at(4)), ctl=controls())
    assert (v.verdict, v.grade) == ("confirmed", "controlled"), v.reason
    v = V(claim(), PointEvidence(None, None, lc(2.0), 0.0, at(3)), ctl=controls())
    assert v.verdict == "inconclusive" and "3 < 2λ = 4" in v.reason, v.reason


def test_llc_band_row_controls_agree_at_p_of_at_least_0_01():
    """Row "LLC band": "agreeing (χ² p ≥ 0.01)". Biases 0, 0, +4 % (spread 0.02 over 3 data
    sets): χ² = 8 on 2 degrees of freedom, p = e⁻⁴ ≈ 0.018, agreeing; +5 %: χ² = 12.5,
    p = e^(−6.25) ≈ 0.0019, disagreeing. Kills ``AGREE_P`` = 0.05 and 0.001."""
    agree = llc_band(2.0, 0.05, controls(biases=(0.0, 0.0, 0.04))[KEY])
    assert agree.controlled and 0.01 < agree.agreement_p < 0.05, agree
    apart = llc_band(2.0, 0.05, controls(biases=(0.0, 0.0, 0.05))[KEY])
    assert not apart.controlled and "disagree" in apart.why
    assert 0.001 < apart.agreement_p < 0.01


@pytest.mark.parametrize("spread", [0.5, 0.6])
def test_llc_band_row_an_envelope_reaching_zero_builds_no_band(spread):
    """Row "LLC band": "envelope > 0". Ratios 1 ± spread over 3 data sets: r₋ = 1 − 2·spread
    is 0 (spread 0.5, exactly) or below it (0.6): no band, and the reason says why (dropping
    the check, or reading it as r₋ < 0, passed the other tests)."""
    b = llc_band(2.0, 0.05, controls(spread=spread)[KEY])
    assert not b.controlled and "reaches zero" in b.why, b


def test_llc_verdict_row_the_tolerance_is_the_larger_of_llc_rel_and_llc_abs():
    """Row "LLC verdict": "P ± max(llc_rel·|P|, llc_abs)". The band [1.885, 2.125] about
    P = 2 lies within 2 ± 0.2: confirmed with llc_abs = 0.2 beside llc_rel = 0.01, and not with
    llc_rel = 0.01 alone (a tolerance of llc_rel·|P| only passed the other tests)."""
    ev = PointEvidence(None, None, lc(2.0), 0.0)
    wide = V(claim(tolerance={"llc_rel": 0.01, "llc_abs": 0.2}), ev, ctl=controls())
    assert (wide.verdict, wide.grade) == ("confirmed", "controlled"), wide.reason
    narrow = V(claim(tolerance={"llc_rel": 0.01}), ev, ctl=controls())
    assert narrow.verdict == "inconclusive" and "reaches beyond" in narrow.reason


def test_routes_errored_row_certified_facts_that_decide_nothing_leave_the_error():
    """Row "routes errored": every route run errored, and the certified facts that remain (the
    dimension, counted at w*) do not decide: the point is ``error``, with the routes' errors,
    not ``inconclusive`` (the README had said "no certified fact remains", which this point's
    λ ≤ 3 contradicts; removing ``all_errored and exact == "open"`` fails here)."""
    at = AtPoint("ok", checks={"n_params": 6, "is_local_min": True})
    ev = PointEvidence(None, RankEvidence("error", error="boom"), None, 0.0, at)
    v = V(claim("d/2"), ev)
    assert v.verdict == "error" and "rank: boom" in v.reason, v.reason
    assert any(f.grade == "certified" and f.route == "dimension" for f in v.facts)
