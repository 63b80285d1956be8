"""What "would decide" advises at undecided points, where an outside theorist's review of the
reference report found advice that cannot decide at the point: a w* at which a hypothesis holds
that no w* of these sizes meets (Thm 4.2 at (d, p, K) = (3, 1, 3)), an LLC band narrow enough
to confirm where the controls' bias envelope is wider than the tolerance window, a w* at which
the hypotheses hold where the prediction asserts nothing (Cor. 5.3 at K = 4, p = 3), a w* at
which the lazy fit interpolates below K = p² − 1 (at the family's draws), and a formula for λ
at a w* where λ is not defined (the tanh toy)."""

from __future__ import annotations

from test_judge import V, claim, controls, lc, rk

from slttheory.verify.evidence.records import AtPoint, PointEvidence

NC = ("no_cancellation", "seed 001 Thm 4.2 (3)")
WHY = ("K(d−1) = 6 > p(d(d+1)/2 − 1) = 5, the dimension of the p copies of traceless symmetric "
       "d×d matrices the linearisation maps into")


def _hyp(name, measured, possible=True):
    return {"name": name, "statement": "s", "measured": measured, "met": False,
            "possible": possible}


def test_the_judge_quotes_the_dimension_count_of_an_impossible_hypothesis():
    from slttheory.models.registry import CANNOT_HOLD, NOT_AT_DRAWS
    from slttheory.verify.judge import point

    assert (point.CANNOT_HOLD, point.NOT_AT_DRAWS) == (CANNOT_HOLD, NOT_AT_DRAWS)
    at = AtPoint("ok", hypotheses=(_hyp(NC[0], f"rank 5 (needs 6; SVD) ({CANNOT_HOLD}{WHY})",
                                        possible=False),))
    v = V(claim(hypotheses=[NC[0]]), PointEvidence(None, rk(4), None, 0.0, at))
    assert v.verdict == "inconclusive", v.reason
    assert ("would decide: other sizes: no_cancellation cannot hold at any w* of these "
            f"({WHY})") in v.reason, v.reason
    assert "a w* at which" not in v.reason


def test_draws_that_never_interpolate_ask_for_other_sizes_without_claiming_impossibility():
    from slttheory.models.registry import NOT_AT_DRAWS

    why = "at the family's continuous draws of W the centred features span 4 of 8"
    at = AtPoint("ok", hypotheses=(_hyp("stage II", f"residual 0.86 ({NOT_AT_DRAWS}{why})"),))
    v = V(claim(hypotheses=["stage II"]), PointEvidence(None, rk(4), None, 0.0, at))
    assert v.verdict == "inconclusive", v.reason
    assert (f"would decide: other sizes: at the family's draws, stage II is not met at these "
            f"sizes ({why})" in v.reason), v.reason
    assert "cannot hold" not in v.reason and "a w* at which" not in v.reason


def test_an_unmet_hypothesis_under_a_vacuous_bound_says_nothing_here_decides():
    at = AtPoint("ok", hypotheses=(_hyp("stage II", "residual 0.86"),))
    ev = PointEvidence(None, rk(3, n=4), None, 0.0, at)  # λ = 3/2, d = 4
    v = V(claim("d/2", relation="<=", hypotheses=["stage II"]), ev)
    assert v.verdict == "inconclusive", v.reason
    assert ("would decide: nothing at this point decides (the bound is d/2 here): a point "
            "where the bound is below d/2") in v.reason, v.reason
    assert "a w* at which" not in v.reason
    v = V(claim("d", relation="<=", hypotheses=["stage II"]), ev)
    assert "nothing at this point decides (the bound is above d/2 here)" in v.reason, v.reason
    # a bound that says something: the hypothesis advice stays
    v = V(claim("d/2 - 1/4", relation="<=", hypotheses=["stage II"]), ev)
    assert "would decide: a w* at which stage II holds" in v.reason, v.reason


def test_controls_whose_envelope_is_wider_than_the_tolerance_can_only_refute():
    """claim(): P = 2, tolerance 10 %: the window [1.8, 2.2] spans 1.22; controls of spread
    0.2 give an envelope of ratio ≈ 2.3, so no band they correct lies within the window."""
    v = V(claim(), PointEvidence(None, None, lc(2.0), 0.0), ctl=controls(spread=0.2))
    assert v.verdict == "inconclusive", v.reason
    b = v.llc.band
    assert b.ratio_high / b.ratio_low > 2.2 / 1.8 and b.high / b.low >= b.ratio_high / b.ratio_low
    assert "an LLC here can only refute" in v.reason, v.reason
    assert "the tolerance window [1.8, 2.2] = 2 ± 0.2" in v.reason, v.reason
    assert "narrow enough" not in v.reason
    # a narrow envelope and a wide band (a large se): a narrower band would confirm
    v = V(claim(), PointEvidence(None, None, lc(2.0, se=0.3), 0.0), ctl=controls(spread=0.01))
    assert v.verdict == "inconclusive", v.reason
    assert "narrow enough" in v.reason and "can only refute" not in v.reason, v.reason


def test_no_formula_for_lambda_decides_where_lambda_is_undefined():
    from slttheory.verify.evidence.records import no_minimum_for_the_llc
    from slttheory.verify.judge.point import _deciders

    at = AtPoint("ok", checks={"is_local_min": False, "reason": "saddle"})
    ev = PointEvidence(None, None, lc(2.0, config={}), 0.0, at_point=at)
    assert no_minimum_for_the_llc(at, ev.llc)
    ds = _deciders(claim(), ev)
    assert not any("established formula" in d for d in ds), ds
    assert len(ds) == 1 and "by the Morse lemma (not a route the library runs" in ds[0], ds
    v = V(claim(), ev, ctl=controls())
    assert v.verdict == "inconclusive" and "established formula" not in v.reason, v.reason


def test_a_hypothesis_whose_measurement_raised_says_so_and_asks_for_the_measurement():
    """The w* route records a family's hypotheses that raised as one record named
    "hypotheses" (``routes.at_point``), and no route error says so: the reason had read "the
    family reports no measurement of it at this point: it may not apply here" and advised "a
    w* at which stage II holds", of a hypothesis that may hold at this very w*."""
    err = {"name": "hypotheses", "met": None, "measured": "RuntimeError: SVD did not converge",
           "statement": "the family's hypotheses could not be measured"}
    ev = PointEvidence(None, rk(4), None, 0.0, AtPoint("ok", hypotheses=(err,)))
    v = V(claim(hypotheses=["stage II"]), ev)
    assert v.verdict == "inconclusive", v.reason
    assert ("stage II: not measured (the family's hypotheses could not be measured at w*: "
            "RuntimeError: SVD did not converge)") in v.reason, v.reason
    assert "may not apply here" not in v.reason and "a w* at which" not in v.reason
    assert "would decide: a measurement of stage II at w* that finds it met" in v.reason
    # one measured and failed, one never measured: each gets its own advice
    failed = _hyp("stage II", "accuracy 0.3")
    v = V(claim(hypotheses=["stage II", "no_cancellation"]),
          PointEvidence(None, rk(4), None, 0.0, AtPoint("ok", hypotheses=(failed,))))
    assert ("would decide: a w* at which stage II holds, and a measurement of "
            "no_cancellation at w* that finds it met") in v.reason, v.reason


def test_a_w_star_above_the_budget_is_not_advised_to_be_measured_at_these_sizes():
    """w* is not built where n × d exceeds LLC_MAX_ENTRIES (``routes._build``): no w* of
    this n and size is measured, so "a w* at which stage II holds" could never be had."""
    at = AtPoint("error", error="ValueError: not computed: n × d = 10 × 10 = 1e+08, above the "
                 "LLC and w* routes' budget LLC_MAX_ENTRIES = 5e+07")
    v = V(claim(hypotheses=["stage II"]), PointEvidence(None, rk(4), None, 0.0, at))
    assert v.verdict == "inconclusive", v.reason
    assert "would decide: fewer training samples or parameters" in v.reason, v.reason
    assert "a w* at which" not in v.reason
    # w* failed otherwise: measuring it (the route running) decides
    at = AtPoint("error", error="RuntimeError: boom")
    v = V(claim(hypotheses=["stage II"]), PointEvidence(None, rk(4), None, 0.0, at))
    assert "would decide: a measurement of stage II at w* that finds it met" in v.reason
