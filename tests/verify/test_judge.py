"""The verdict rules (verification/README.md § Verdicts) on synthetic evidence."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np
import pytest
import sympy as sp
from fake_families import FAMILIES

from slttheory.verify.claims import parse_claim
from slttheory.verify.claims.common import ClaimError
from slttheory.verify.evidence.records import (
    AtPoint,
    ClosedFormEvidence,
    ControlRun,
    ControlSet,
    LLCEvidence,
    PointEvidence,
    RankEvidence,
    Rerun,
)
from slttheory.verify.judge import (
    claim_verdict,
    fit_shape,
    judge_claim,
    point_verdict,
    scaling_verdict,
)
from slttheory.verify.judge.llc import llc_band
from slttheory.verify.judge.point import UNKNOWN_RANK_ADVICE, PointVerdict


def claim(predicted="d/2", relation="==", source="Someone 2020", **extra):
    data = {"id": "c", "title": "t", "source": source, "family": "fake_regular",
            "kind": "closed_form", "predicted": predicted, "relation": relation,
            "evidence": ["closed_form", "rank", "llc"], "grid": {"d": [2, 4, 6]},
            "tolerance": {"llc_rel": 0.1}}
    data.update(extra)
    return parse_claim(data, "c.toml", FAMILIES)


def cf(v, standing="established", reference="Watanabe 2009"):
    return ClosedFormEvidence("ok", value=str(v), case="regular", source=reference,
                              standing=standing, reference=reference, formula="regular",
                              established_by="tests/x.py")


def rk(r, n=None, determines=True, bound=1e-9, point=None, inputs=False):
    return RankEvidence("ok", rank=r, n_params=n or r, lam=str(r / 2), certified=True,
                        determines_lambda=determines, reason="why", bound=bound,
                        inputs_determine=inputs, point_rank=point,
                        point_rank_certified=point is not None, point_rank_how="support")


KEY = "k1"


def lc(mean, se=0.02, passed=True, reruns=None, key=KEY, **kw):
    if reruns is None:
        reruns = tuple(Rerun(s, mean, se, True) for s in ("γ × 3", "γ / 3", "ε / 2"))
    return LLCEvidence("ok", mean=mean, std_error=se, passed=passed,
                       problems=() if passed else ("R-hat 1.2 > 1.05",), reruns=reruns,
                       control_key=key, **kw)


def controls(biases=(0.0, 0.0, 0.0), spread=0.02, lams=(2.0, 0.5, 0.25)):
    """Three controls, three data sets each, estimates λ(1 + bias ± spread)."""
    runs = []
    for (b, lam) in zip(biases, lams, strict=True):
        for s, e in enumerate((-1.0, 0.0, 1.0)):
            runs.append(ControlRun("regular", {"d": int(4 * lam)}, "regular", str(lam), 1, "rank",
                                   s, mean=lam * (1 + b + e * spread), std_error=0.001 * lam,
                                   passed=True))
    return {KEY: ControlSet(KEY, {}, tuple(runs))}


MIN_CHECK = {"is_local_min": True, "reason": "a local minimum"}
MINIMUM = AtPoint("ok", checks=MIN_CHECK)


def V(c, ev, d=4, ctl=None):
    """The point's verdict; an LLC without a w* record gets one that says "a local minimum",
    as the pipeline always measures w* where it runs an LLC (tests of that rule pass their
    own ``at_point``)."""
    from dataclasses import replace

    if ev.llc is not None and ev.at_point is None:
        ev = replace(ev, at_point=MINIMUM)
    return point_verdict(c, {"d": d}, ev, c.predicted_at({"d": d}), ctl or {})


# --- certified facts -----------------------------------------------------------------------


def test_established_formula_from_another_source_decides():
    v = V(claim(), PointEvidence(cf("2"), None, None, 0.0))
    assert (v.verdict, v.grade) == ("confirmed", "certified")
    v = V(claim("d"), PointEvidence(cf("2"), None, None, 0.0))
    assert (v.verdict, v.grade) == ("refuted", "certified") and "closed form" in v.reason


def test_a_statement_is_never_evidence_for_itself():
    as_stated = V(claim(), PointEvidence(cf("2", standing="as_stated"), None, None, 0.0))
    assert as_stated.verdict == "inconclusive" and "never evidence" in as_stated.reason
    own = V(claim(source="Watanabe 2009, Ch. 2"), PointEvidence(cf("2"), None, None, 0.0))
    assert own.verdict == "inconclusive" and "the claim's own source" in own.reason
    # cited title first and by its first author alone: still the claim's own source
    for src in ("Stochastic complexities of reduced rank regression, M. Aoyagi (2005)",
                "Neural Networks 18(7), 2005 (Aoyagi)", "Aoyagi 2005"):
        own = V(claim(source=src),
                PointEvidence(cf("2", reference="Aoyagi & Watanabe 2005"), None, None, 0.0))
        assert own.verdict == "inconclusive" and "the claim's own source" in own.reason, src
    other = V(claim(source="Aoyagi 2024, Neural Networks 172"),
              PointEvidence(cf("2", reference="Aoyagi & Watanabe 2005"), None, None, 0.0))
    assert other.grade == "certified"


def test_an_identity_of_models_decides_where_the_family_formula_is_the_claims_own():
    """The family's formula is the claim's own (context); another established formula that
    gives λ of the same model by an identity (here: a DLN with one hidden layer is RRR),
    from another paper, is certified and decides — both ways. A claim citing both papers
    gets neither."""
    own = cf("2", reference="Aoyagi 2024")
    other = ClosedFormEvidence("ok", value="2", case="a DLN with one hidden layer is RRR",
                               source="Aoyagi & Watanabe 2005", standing="established",
                               reference="Aoyagi & Watanabe 2005",
                               formula="reduced_rank_regression", established_by="t.py")
    ev = PointEvidence(own, None, None, 0.0, independent=(other,))
    v = V(claim(source="Aoyagi 2024, Thm 2"), ev)
    assert (v.verdict, v.grade) == ("confirmed", "certified")
    assert "independent closed form reduced_rank_regression from Aoyagi & Watanabe 2005" \
        in v.reason
    v = V(claim("d", source="Aoyagi 2024, Thm 2"), ev)
    assert (v.verdict, v.grade) == ("refuted", "certified")
    both = V(claim(source="Aoyagi 2024, Thm 2; Aoyagi & Watanabe 2005, case 1"), ev)
    assert both.verdict == "inconclusive" and "the claim's own source" in both.reason
    # not called "independent" where it is the claim's own (a theorist's review)
    assert "independent closed form" not in both.reason
    assert "closed form reduced_rank_regression from Aoyagi & Watanabe 2005 (another " \
        "formula for this model)" in both.reason
    # an as-stated formula is never evidence, whatever identity brings it
    weak = PointEvidence(own, None, None, 0.0,
                         independent=(ClosedFormEvidence(**{**other.__dict__,
                                                            "standing": "as_stated"}),))
    assert V(claim(source="Aoyagi 2024, Thm 2"), weak).verdict == "inconclusive"


def test_rank_at_the_point_refutes_without_any_hypothesis():
    # generic rank not declared to give λ; the rank at w* alone: λ ≥ 5/2 > predicted 2
    v = V(claim(), PointEvidence(None, rk(8, determines=False, point=5, inputs=True), None, 0.0))
    assert (v.verdict, v.grade) == ("refuted", "certified") and "splitting lemma" in v.reason
    # the same bound is consistent with a larger prediction: no decision
    assert V(claim("d"), PointEvidence(None, rk(8, determines=False, point=5, inputs=True), None,
                                       0.0)).verdict == "inconclusive"
    # a rank map whose inputs need not be what the loss sees (inputs_determine False) bounds
    # nothing: it may see outputs the loss does not, and so have a larger rank
    assert V(claim(), PointEvidence(None, rk(8, determines=False, point=5), None,
                                    0.0)).verdict == "inconclusive"


def test_rank_determining_lambda_confirms_and_refutes():
    assert V(claim(), PointEvidence(None, rk(4), None, 0.0)).verdict == "confirmed"
    v = V(claim("d/2 + 1"), PointEvidence(None, rk(4, 6, bound=1e-7), None, 0.0))
    assert v.verdict == "refuted" and "P(a higher generic rank unseen) ≤ 1e-07" in v.reason
    # the bound is rounded up, so that the "<" holds as printed (5.112e-07 read "< 5.1e-07")
    v = V(claim("d/2 + 1"), PointEvidence(None, rk(4, 6, bound=5.112e-7), None, 0.0))
    assert "P(a higher generic rank unseen) ≤ 5.2e-07" in v.reason


def test_a_generic_rank_with_a_weak_schwartz_zippel_bound_certifies_no_equality():
    """The rank found is only a lower bound on the generic rank: where the bound on the
    chance that the generic rank is higher exceeds RANK_CERTAINTY (deep maps at small integer
    points reach 1, which says nothing), λ = rank/2 is not certified — a rank one short of
    the generic rank would refute a true claim — by either the family's reason or the
    constant-rank route."""
    from slttheory.verify.evidence.records import RANK_CERTAINTY

    for bound in (1.0, 10 * RANK_CERTAINTY):
        for ev in (PointEvidence(None, rk(4, 6, bound=bound), None, 0.0),
                   PointEvidence(None, rk(4, 6, determines=False, bound=bound, point=4,
                                          inputs=True), None, 0.0)):
            for pred in ("d/2", "d/2 + 1"):
                v = V(claim(pred), ev)
                assert v.verdict == "inconclusive" and "λ = rank/2" not in v.reason, v.reason


def test_rank_at_the_point_equal_to_the_generic_rank_gives_lambda():
    # constant rank near w*: the fibre is smooth, λ = rank/2, without the family saying so
    ev = PointEvidence(None, rk(4, n=6, determines=False, point=4, inputs=True), None, 0.0)
    v = V(claim(), ev)
    assert (v.verdict, v.grade) == ("confirmed", "certified") and "constant-rank" in v.reason
    assert V(claim("d/2 + 1"), ev).verdict == "refuted"


def test_more_than_half_the_parameters_is_refuted():
    v = V(claim("2*d"), PointEvidence(None, rk(4, n=6, determines=False), None, 0.0))
    assert (v.verdict, v.grade) == ("refuted", "certified") and "6 parameters" in v.reason


def test_a_symmetry_orbit_through_w_star_bounds_lambda_above():
    at = AtPoint("ok", checks=MIN_CHECK, orbit={"dimension": 4, "n_params": 30,
                                              "how": "2 units × 2"})
    v = V(claim("d + 10"), PointEvidence(None, None, None, 0.0, at))   # 14 > (30 − 4)/2
    assert (v.verdict, v.grade) == ("refuted", "certified") and "symmetry orbit" in v.reason
    assert V(claim("d"), PointEvidence(None, None, None, 0.0, at)).verdict == "inconclusive"


def test_generic_rank_alone_is_no_upper_bound():
    # over R a fibre can be smaller than expected (x² + y² + z²: generic rank 1, λ = 3/4), so
    # without the family's statement that w* is minimally singular the rank bounds nothing
    v = V(claim("d"), PointEvidence(None, rk(6, n=12, determines=False, inputs=True), None, 0.0))
    assert v.verdict == "inconclusive"


def test_certified_routes_that_contradict_are_an_error():
    v = V(claim(), PointEvidence(cf("2"), rk(6), None, 0.0))
    assert v.verdict == "error" and "routes contradict" in v.reason


def test_failed_llc_never_blocks_a_certified_verdict():
    v = V(claim(), PointEvidence(None, rk(4), lc(9.0, passed=False), 0.0), ctl=controls())
    assert (v.verdict, v.grade) == ("confirmed", "certified")


def test_route_errors_are_named_and_all_errors_is_error():
    err = ClosedFormEvidence("error", error="NotImplementedError")
    v = V(claim(), PointEvidence(err, rk(4), None, 0.0))
    assert v.verdict == "confirmed" and "route errors" in v.reason
    v = V(claim(), PointEvidence(err, RankEvidence("error", error="boom"),
                                 LLCEvidence("error", error="nan"), 0.0))
    assert v.verdict == "error" and "boom" in v.reason


# --- LLCs ----------------------------------------------------------------------------------


def test_llc_without_controls_is_uncontrolled_and_decides_nothing():
    v = V(claim(), PointEvidence(None, None, lc(2.0, key=None), 0.0))
    assert v.verdict == "inconclusive" and "uncontrolled" in v.reason
    v = V(claim(), PointEvidence(None, None, lc(9.0, key=None), 0.0))
    assert v.verdict == "inconclusive"  # far off, but nobody measured the bias


def test_controlled_llc_confirms_and_refutes():
    ctl = controls(biases=(-0.02, -0.02, -0.02), spread=0.01)
    v = V(claim(), PointEvidence(None, None, lc(1.96), 0.0), ctl=ctl)
    assert (v.verdict, v.grade) == ("confirmed", "controlled"), v.reason
    v = V(claim(), PointEvidence(None, None, lc(3.0), 0.0), ctl=ctl)
    assert (v.verdict, v.grade) == ("refuted", "controlled"), v.reason


def test_a_wide_band_does_not_confirm():
    ctl = controls(biases=(0.0, 0.0, 0.0), spread=0.2)
    v = V(claim(), PointEvidence(None, None, lc(2.0), 0.0), ctl=ctl)
    assert v.verdict == "inconclusive" and "reaches beyond" in v.reason


def test_a_band_confirms_equality_only_within_the_tolerance():
    """An equivalence test: the band [1.962, 2.298] contains P = 2 and its half-width 0.168
    is within the tolerance 0.2, but it admits λ = 2.29, beyond P ± 0.2; it had confirmed (an
    outside audit of the LLC verdicts: a half-width rule keeps the truth only within twice the
    tolerance). The same controls around λ̂ = 2.0 confirm."""
    ctl = controls(spread=0.03)
    v = V(claim(), PointEvidence(None, None, lc(2.12), 0.0), ctl=ctl)
    assert v.llc.band.low < 2.0 and v.llc.band.half_width <= 0.2 < v.llc.band.high - 2.0
    assert v.verdict == "inconclusive" and "reaches beyond it ± 0.2" in v.reason, v.reason
    v = V(claim(), PointEvidence(None, None, lc(2.0), 0.0), ctl=ctl)
    assert (v.verdict, v.grade) == ("confirmed", "controlled"), v.reason
    assert "within the claim's tolerance ± 0.2" in v.reason


def test_controls_that_disagree_leave_the_llc_uncontrolled():
    ctl = controls(biases=(0.0, -0.3, 0.0), spread=0.01)
    v = V(claim(), PointEvidence(None, None, lc(2.0), 0.0), ctl=ctl)
    assert v.verdict == "inconclusive" and "disagree" in v.reason


def test_llc_verdict_must_survive_the_reruns():
    ctl = controls(spread=0.01)
    moved = (Rerun("γ × 3", 2.0, 0.02, True), Rerun("γ / 3", 3.0, 0.02, True),
             Rerun("ε / 2", 2.0, 0.02, True))
    v = V(claim(), PointEvidence(None, None, lc(2.0, reruns=moved), 0.0), ctl=ctl)
    assert v.verdict == "inconclusive" and "not robust" in v.reason and "γ / 3" in v.reason
    v = V(claim(), PointEvidence(None, None, lc(2.0, reruns=()), 0.0), ctl=ctl)
    assert v.verdict == "inconclusive" and "were not run" in v.reason
    failed = (Rerun("γ × 3", None, None, False),)
    v = V(claim(), PointEvidence(None, None, lc(2.0, reruns=failed), 0.0), ctl=ctl)
    assert v.verdict == "inconclusive" and "failed its diagnostics" in v.reason


def test_a_band_too_wide_to_decide_needs_no_robustness():
    """The point's band contains P but is wider than the tolerance: inconclusive for its width,
    whatever a rerun's band would say (robustness guards decisions only)."""
    ctl = controls(spread=0.2)
    moved = (Rerun("γ × 3", 6.0, 0.02, True), Rerun("γ / 3", 2.0, 0.02, True),
             Rerun("ε / 2", 2.0, 0.02, True))  # γ × 3 alone would refute
    v = V(claim(), PointEvidence(None, None, lc(2.0, reruns=moved), 0.0), ctl=ctl)
    assert v.verdict == "inconclusive" and "reaches beyond" in v.reason, v.reason
    assert "not robust" not in v.reason and v.llc.grade == "controlled"


def test_band_arithmetic():
    b = llc_band(2.0, 0.05, controls(biases=(0.1, 0.1, 0.1), spread=0.02)[KEY])
    assert b.controlled
    assert b.low == pytest.approx((2.0 - 0.1) / (1.1 + 2 * 0.02), rel=1e-6)
    assert b.high == pytest.approx((2.0 + 0.1) / (1.1 - 2 * 0.02), rel=1e-6)
    assert b.corrected == pytest.approx(2.0 / 1.1)


def test_too_few_usable_controls():
    runs = controls()[KEY].runs
    half = tuple(r if i % 3 else ControlRun(**{**r.__dict__, "passed": False})
                 for i, r in enumerate(runs))
    b = llc_band(2.0, 0.05, ControlSet(KEY, {}, half))
    assert not b.controlled and "only 0 of 3 controls usable" in b.why
    # two controls chosen, both usable: the reason said "(need 3: )" (an outside audit)
    b = llc_band(2.0, 0.05, ControlSet(KEY, {}, runs[:6]))
    assert "only 2 of 2 controls usable (need 3: only 2 control(s) of known λ" in b.why, b.why


def test_hypotheses_not_met_make_a_point_inconclusive():
    hyp = ({"name": "stage II", "statement": "only K_eff units active", "measured": "K_eff = 3",
            "met": False},)
    at = AtPoint("ok", hypotheses=hyp)
    c = claim(hypotheses=["stage II"])
    v = V(c, PointEvidence(None, None, lc(2.0), 0.0, at), ctl=controls())
    assert v.verdict == "inconclusive" and "hypothesis not met" in v.reason
    assert "K_eff = 3" in v.reason and "would decide: a w* at which stage II holds" in v.reason
    # checked before the theorem is applied: even where the exact rank would decide
    v = V(c, PointEvidence(None, rk(4), None, 0.0, at))
    assert v.verdict == "inconclusive" and "would give: confirmed" in v.reason
    # a hypothesis of another theorem of the family does not apply to this claim
    v = V(claim(), PointEvidence(None, None, lc(2.0), 0.0, at), ctl=controls())
    assert "hypothesis not met" not in v.reason
    at = AtPoint("ok", extras={"train_rank": 3})
    v = V(claim(), PointEvidence(None, None, lc(2.0), 0.0, at), ctl=controls())
    assert v.verdict == "inconclusive" and "rank on the training inputs is 3" in v.reason
    # a precondition of the LLC test only: it never blocks a certified verdict
    v = V(claim(), PointEvidence(None, rk(4), lc(2.0), 0.0, at), ctl=controls())
    assert (v.verdict, v.grade) == ("confirmed", "certified")


def test_a_hypothesis_not_imposed_is_named_where_it_fails():
    """A hypothesis the claim lists as not imposed is not checked, but a decided verdict
    where it fails says that it is a verdict on the statement without it."""
    hyp = ({"name": "no_cancellation", "statement": "(3)", "measured": "rank 12 (needs 20)",
            "met": False},)
    at = AtPoint("ok", hypotheses=hyp)
    c = claim(not_imposed=["no_cancellation"])
    v = V(c, PointEvidence(None, rk(4), None, 0.0, at))
    assert (v.verdict, v.grade) == ("confirmed", "certified")
    assert "statement without no_cancellation (rank 12 (needs 20))" in v.reason
    v = V(c, PointEvidence(None, rk(6), None, 0.0, at))
    assert v.verdict == "refuted" and "statement without no_cancellation" in v.reason
    # where it holds, or for a claim that does not list it, nothing is added
    met = AtPoint("ok", hypotheses=({**hyp[0], "met": True},))
    assert "without" not in V(c, PointEvidence(None, rk(4), None, 0.0, met)).reason
    assert "without" not in V(claim(), PointEvidence(None, rk(4), None, 0.0, at)).reason


def test_no_llc_decides_at_a_saddle():
    """The LLC is defined at a minimum: a controlled LLC at a w* that the critical-point check
    finds not a local minimum decides nothing, and the reason says why."""
    saddle = AtPoint("ok", checks={"is_local_min": False, "reason": "saddle: eigenvalue -0.01"})
    v = V(claim(), PointEvidence(None, None, lc(2.0), 0.0, saddle), ctl=controls())
    assert v.verdict == "inconclusive" and "saddle: eigenvalue -0.01" in v.reason
    assert "no LLC there decides" in v.reason
    assert "is controlled: its band [" in v.reason and ": ;" not in v.reason  # band named
    minimum = AtPoint("ok", checks={"is_local_min": True, "reason": "local minimum"})
    assert V(claim(), PointEvidence(None, None, lc(2.0), 0.0, minimum),
             ctl=controls()).verdict == "confirmed"
    # certified facts do not depend on it
    assert V(claim(), PointEvidence(None, rk(4), lc(2.0), 0.0, saddle),
             ctl=controls()).verdict == "confirmed"
    # the symmetrised estimand at the true parameter is defined there, minimum or not (both
    # records say w* = w0, as the routes write them: test_verdict_rules_audit where not)
    at_w0 = lc(2.0, config={"true_parameter": True})
    w0 = AtPoint("ok", checks=saddle.checks, extras={"true_parameter": True})
    assert V(claim(), PointEvidence(None, None, at_w0, 0.0, w0),
             ctl=controls()).verdict == "confirmed"


def test_relations():
    c = claim("d/2", relation="<")
    assert V(c, PointEvidence(None, rk(4), None, 0.0)).verdict == "refuted"  # 2 is not < 2
    assert V(c, PointEvidence(None, rk(3, n=4), None, 0.0)).verdict == "confirmed"
    c = claim("d/2", relation=">=")
    ev = PointEvidence(None, rk(8, determines=False, point=4, inputs=True), None, 0.0)
    assert V(c, ev).verdict == "confirmed"  # λ ≥ 2 from the rank at w*


# --- claims and scaling --------------------------------------------------------------------


def test_claim_aggregation_says_how_far_a_verdict_reaches():
    c, r = PointVerdict("confirmed", "c", "certified"), PointVerdict("refuted", "r", "certified")
    i = PointVerdict("inconclusive", "i")
    pts = [({"d": 3, "k": 1}, c), ({"d": 4, "k": 1}, c), ({"d": 3, "k": 2}, c),
           ({"d": 4, "k": 2}, c)]
    v = claim_verdict(pts, ["d", "k"])
    assert v.verdict == "confirmed" and v.reason.startswith("confirmed at d ∈ {3, 4}, k ∈ {1, 2}")
    v = claim_verdict([({"d": 3}, c), ({"d": 4}, r)], ["d"])
    assert v.verdict == "refuted" and "refuted at d = 4" in v.reason and "confirmed at d = 3" in \
        v.reason
    assert claim_verdict([({"d": 3}, c), ({"d": 4}, i)], ["d"]).verdict == "inconclusive"
    e = PointVerdict("error", "e")
    assert claim_verdict([({"d": 3}, e), ({"d": 4}, e)], ["d"]).verdict == "error"


def test_fit_shapes_recover_coefficients():
    x = np.array([1.0, 2.0, 3.0, 5.0, 8.0])
    f = fit_shape(x, -0.5 * x**2 + 100 * x, None, "quadratic")
    assert f.coefficients == pytest.approx((-0.5, 100.0)) and f.r2 == pytest.approx(1.0)
    assert fit_shape(x, 2 * x + 1, None, "affine").coefficients == pytest.approx((2.0, 1.0))


def scaling_claim(coefs=None, shape="quadratic", ds=(1, 2, 4, 8, 16), min_r2=0.95):
    sc = {"variable": "d", "shape": shape, "min_r2": min_r2}
    if coefs:
        sc["coefficients"] = coefs
    return parse_claim({"id": "s", "title": "t", "source": "s", "family": "fake_regular",
                        "kind": "scaling", "evidence": ["llc"], "grid": {"d": list(ds)},
                        "scaling": sc, "tolerance": {"coef_rel": 0.05}}, "s.toml", FAMILIES)


def scaled(fn, spread=0.005, ds=(1, 2, 4, 8, 16), key=KEY):
    """Points whose controlled value is fn(d) with a band of relative half-width ≈ 2·spread."""
    ctl = controls(spread=spread)
    evs = [PointEvidence(None, None, lc(fn(d), se=1e-6, key=key), 0.0, at_point=MINIMUM)
           for d in ds]
    return [{"d": d} for d in ds], evs, ctl


def two_variable_scaling_claim(var, values, scaling, evidence=("llc",)):
    """A scaling claim along d = 1, 2, 4, 8, 16 on the fake family "two" of parameters d and
    ``var`` (one fit per value of ``var`` in ``values``), with a rank map where the claim's
    evidence lists the rank."""
    import fake_families

    from slttheory.models.registry import Family, ParamSpec

    fams = dict(FAMILIES)
    fams["two"] = Family("two", "two parameters",
                         (ParamSpec("d", int, 1, 20), ParamSpec(var, int, 1, 20)),
                         fake_families._build, None,
                         rank_problem=fake_families._build if "rank" in evidence else None)
    return parse_claim({"id": "s", "title": "t", "source": "s 2020", "family": "two",
                        "kind": "scaling", "evidence": list(evidence),
                        "grid": {"d": [1, 2, 4, 8, 16], var: list(values)},
                        "scaling": scaling, "tolerance": {"coef_rel": 0.05}}, "s.toml", fams)


def test_scaling_confirmed_with_all_four_conditions():
    params, ev, ctl = scaled(lambda d: -0.5 * d * d + 20 * d)
    v = scaling_verdict(scaling_claim([-0.5, 20]), params, ev, ctl)
    assert v.verdict == "confirmed", v.reason
    assert {f.role for f in v.fits} == {"stated", "rival"}


def test_scaling_fits_no_llc_at_a_non_minimum():
    """As at a point, an LLC at a w* that is not a local minimum of L_n decides nothing: it is
    left out of the fit, saying why."""
    from dataclasses import replace

    params, ev, ctl = scaled(lambda d: -0.5 * d * d + 20 * d)
    saddle = AtPoint("ok", checks={"is_local_min": False, "reason": "saddle"})
    ev = [replace(e, at_point=saddle) if i == 2 else e for i, e in enumerate(ev)]
    v = scaling_verdict(scaling_claim([-0.5, 20]), params, ev, ctl)
    assert v.verdict == "inconclusive" and "only 4 values" not in v.reason
    assert "not a local minimum" in v.reason, v.reason


def test_scaling_needs_four_values_and_a_rejected_rival():
    params, ev, ctl = scaled(lambda d: 2.0 * d, ds=(1, 2, 4))
    v = scaling_verdict(scaling_claim(shape="linear", ds=(1, 2, 4)), params, ev, ctl)
    assert v.verdict == "inconclusive" and "only 3 values" in v.reason
    params, ev, ctl = scaled(lambda d: 2.0 * d, spread=2.0)  # too noisy to reject the rival
    v = scaling_verdict(scaling_claim(shape="linear"), params, ev, ctl)
    assert v.verdict == "inconclusive"


def test_scaling_refuted_by_shape_or_coefficients():
    params, ev, ctl = scaled(lambda d: 5.0 if d % 2 else 1.0)
    assert scaling_verdict(scaling_claim(shape="linear"), params, ev, ctl).verdict == "refuted"
    params, ev, ctl = scaled(lambda d: -0.5 * d * d + 20 * d)
    v = scaling_verdict(scaling_claim([-0.429, 17.4]), params, ev, ctl)
    assert v.verdict == "refuted" and "coefficient" in v.reason


def test_scaling_verdict_must_survive_the_reruns():
    """A scaling verdict is LLC-decided, so it must come out the same on the reruns' values
    (γ × 3, γ / 3, ε / 2); without them, or where a rerun moves the fit, it is inconclusive."""
    def sweep(rerun_fn):
        params, ev, ctl = scaled(lambda d: -0.5 * d * d + 20 * d)
        moved = [replace(e, llc=replace(e.llc, reruns=tuple(
            Rerun(s, rerun_fn(s, p["d"], e.llc.mean), 1e-6, True)
            for s in ("γ × 3", "γ / 3", "ε / 2")))) for p, e in zip(params, ev, strict=True)]
        return scaling_verdict(scaling_claim([-0.5, 20]), params, moved, ctl)

    assert sweep(lambda s, d, m: m).verdict == "confirmed"
    v = sweep(lambda s, d, m: 2.0 * d if s == "ε / 2" else m)  # linear at ε / 2: rejected
    assert v.verdict == "inconclusive" and "does not hold again at ε / 2" in v.reason, v.reason
    assert v.reason.endswith(sweep(lambda s, d, m: m).reason)  # and the base fit, whole
    params, ev, ctl = scaled(lambda d: 5.0 if d % 2 else 1.0)  # refuted, but no reruns
    bare = [replace(e, llc=replace(e.llc, reruns=())) for e in ev]
    v = scaling_verdict(scaling_claim(shape="linear"), params, bare, ctl)
    assert v.verdict == "inconclusive" and "no rerun at γ × 3" in v.reason, v.reason
    failed = [replace(e, llc=replace(e.llc, reruns=tuple(replace(r, passed=False)
                                                         for r in e.llc.reruns))) for e in ev]
    v = scaling_verdict(scaling_claim(shape="linear"), params, failed, ctl)
    assert v.verdict == "inconclusive" and "failed its diagnostics" in v.reason, v.reason


def test_scaling_without_controls_is_inconclusive():
    params, ev, _ = scaled(lambda d: 2.0 * d)
    v = scaling_verdict(scaling_claim(shape="linear"), params, ev, {})
    assert v.verdict == "inconclusive" and "uncontrolled" in v.reason
    # the reason says why, not only that: what would decide it
    assert "no controls were run under these rules" in v.reason, v.reason


def test_controls_span_the_family_kinds_and_never_cite_the_claim():
    """A family with singular points gets a regular, an m = 1 and an m = 2 control; normal
    crossings cited by the claim's own source are certified by the Newton polyhedron instead.
    A family whose points are all regular gets regular controls of the same family only."""
    import slttheory.models  # noqa: F401
    from slttheory.models.registry import FAMILIES as REAL
    from slttheory.verify.evidence.controls import choose_controls

    tanh = choose_controls("tanh_network", {"h": 2}, REAL, "Watanabe 2009")
    assert [c.kind for c in tanh] == ["regular", "singular, m = 1", "singular, m = 2"]
    assert all(c.certified_by.startswith("newton_polyhedron (") for c in tanh
               if c.family == "normal_crossing")
    poly = choose_controls("polynomial_regression", {"degree": 2, "interval": 0.5, "noise": 1.0},
                           REAL, "Lakkapragada 2025")
    assert len(poly) == 3 and {(c.family, c.kind) for c in poly} == {
        ("polynomial_regression", "regular")}
    assert all(c.params["interval"] == 0.5 for c in poly)  # the point's conditioning


def test_an_exact_control_with_no_spread_does_not_break_the_band():
    """A control whose every run is exact (λ̂ = λ, no error: a Morse–Bott estimate) has spread
    0; the band still forms around the others' spread (it once divided by that 0)."""
    from slttheory.verify.evidence.records import ControlRun, ControlSet
    from slttheory.verify.judge.llc import llc_band

    def runs(fam, lam, ratios, se):
        return [ControlRun(fam, {"i": len(ratios)}, "regular", str(lam), 1, "rank", s,
                           lam * r, se, True) for s, r in enumerate(ratios)]

    cs = ControlSet("k", {}, tuple(runs("regular", 1, [1.0, 1.0, 1.0], 0.0)
                                   + runs("normal_crossing", 2, [0.99, 1.0, 1.01], 0.01)
                                   + runs("deep_linear_network", 3, [0.98, 1.0, 1.02, 1.0],
                                          0.02)))
    band = llc_band(3.0, 0.1, cs)
    assert band.controlled, band.why
    assert band.low < 3.0 < band.high and band.corrected == 3.0


def test_a_claims_control_sets_follow_its_points_not_the_order_runs_finished():
    """The report lists a claim's control sets in the order of its points, so two runs of the
    same report agree even when the controls finished in another order."""
    sets = {k: ControlSet(k, {}, next(iter(controls().values())).runs) for k in ("a", "b", "z")}
    items = [({"d": d}, PointEvidence(cf("2"), None, lc(1.0, key=k), 0.0))
             for d, k in ((2, "z"), (4, "a"), (6, "z"))]
    for order in (("a", "b", "z"), ("z", "b", "a")):
        got = judge_claim(claim(), items, {k: sets[k] for k in order})
        assert list(got.controls) == ["z", "a"]


def test_rerun_labels_are_the_routes_reruns():
    """The judge looks reruns up by the labels the LLC route gives them."""
    from slttheory.verify.evidence.records import RERUN_SETTINGS
    from slttheory.verify.evidence.routes import RERUNS

    assert tuple(label for label, _, _ in RERUNS) == RERUN_SETTINGS


# --- rules found missing by a review (2026-12-03): each case once gave a decided verdict ------


@pytest.mark.parametrize("se", [float("inf"), float("nan"), None])
def test_an_llc_without_a_finite_standard_error_gives_no_band(se):
    """± inf was read as ± 0: the band was the bare estimate, and it confirmed or refuted."""
    v = V(claim(), PointEvidence(None, None, lc(2.0, se=se), 0.0), ctl=controls())
    assert v.verdict == "inconclusive" and "no finite standard error" in v.reason, v.reason
    rr = tuple(Rerun(s, 2.0, se, True) for s in ("γ × 3", "γ / 3", "ε / 2"))
    v = V(claim(), PointEvidence(None, None, lc(2.0, reruns=rr), 0.0), ctl=controls())
    assert v.verdict == "inconclusive", v.reason  # a rerun without an error proves nothing


@pytest.mark.parametrize("at", [None, AtPoint("error", error="build failed"),
                                AtPoint("ok", hypotheses=({"name": "stage II", "met": None,
                                                           "measured": "accuracy 0.93"},))])
def test_a_hypothesis_never_measured_is_not_taken_as_met(at):
    """A refutation of "under H, λ = P" where H was never seen to hold may be wrong; one
    measured but undecided says so, with what was measured (it was called 'not measured')."""
    v = V(claim(hypotheses=["stage II"]), PointEvidence(None, rk(6), None, 0.0, at))
    assert v.verdict == "inconclusive", v.reason
    want = ("undecided as measured (measured: accuracy 0.93)" if at is not None and
            at.status == "ok" else "stage II: not measured")
    assert want in v.reason, v.reason
    met = AtPoint("ok", hypotheses=({"name": "stage II", "met": True, "measured": "yes"},))
    v = V(claim(hypotheses=["stage II"]), PointEvidence(None, rk(6), None, 0.0, met))
    assert (v.verdict, v.grade) == ("refuted", "certified")


@pytest.mark.parametrize("at", [AtPoint("ok", checks={"error": "hessian failed"}),
                                AtPoint("error", error="w* not built"),
                                AtPoint("ok", extras={"train_rank_skipped": "too large"},
                                        checks={"is_local_min": True})])
def test_an_llc_decides_only_where_its_preconditions_were_checked(at):
    v = V(claim(), PointEvidence(None, None, lc(2.0), 0.0, at), ctl=controls())
    assert v.verdict == "inconclusive", v.reason
    assert "not checked to be a local minimum" in v.reason or "not computed" in v.reason


def test_a_band_outside_the_certified_facts_decides_nothing():
    """The rank at w* proves λ ≥ 2; an LLC band at 1 confirmed "λ <= 2" (and refuted 5/2)."""
    rank = rk(10, n=10, determines=False, point=4, inputs=True)
    for pred, rel in (("d/2", "<="), ("d/2 + 1/2", "==")):
        v = V(claim(pred, relation=rel), PointEvidence(None, rank, lc(1.0), 0.0),
              ctl=controls())
        assert v.verdict == "inconclusive" and "outside the certified" in v.reason, v.reason


def test_reruns_must_be_the_three_settings_not_any_three():
    rr = tuple(Rerun("γ × 3", 2.0, 0.02, True) for _ in range(3))
    v = V(claim(), PointEvidence(None, None, lc(2.0, reruns=rr), 0.0), ctl=controls())
    assert v.verdict == "inconclusive" and "missing: γ / 3, ε / 2" in v.reason, v.reason


def test_equality_is_by_value_not_by_form():
    """log(4)/2 and log(2) are one number: was inconclusive "consistent with"."""
    v = V(claim("log(4)/2"), PointEvidence(cf("log(2)"), None, None, 0.0))
    assert (v.verdict, v.grade) == ("confirmed", "certified"), v.reason


def test_a_source_without_a_year_cannot_be_told_apart_so_its_formulas_are_context():
    for src in ("M. Aoyagi and S. Watanabe, Neural Networks 18(7):924-933",
                "doi:10.1016/j.neunet.2005.03.014"):
        v = V(claim(source=src), PointEvidence(cf("2", reference="Aoyagi & Watanabe 2005"),
                                               None, None, 0.0))
        assert v.verdict == "inconclusive" and "own source" in v.reason, v.reason
    v = V(claim(source="Lehalleur & Rimányi 2024, Prop. 8.4"),
          PointEvidence(cf("2", reference="Pepin Lehalleur & Rimányi 2024"), None, None, 0.0))
    assert v.verdict == "inconclusive" and "own source" in v.reason, v.reason


def test_a_scaling_verdict_needs_every_fitted_point_rerun():
    """With no reruns at 2 of 5 points, the rerun fits used 3 points and agreed: refuted."""
    params, ev, ctl = scaled(lambda d: 5.0 if d % 2 else 1.0)
    some = [replace(e, llc=replace(e.llc, reruns=())) if i < 2 else e for i, e in enumerate(ev)]
    v = scaling_verdict(scaling_claim(shape="linear"), params, some, ctl)
    assert v.verdict == "inconclusive" and "2 of the 5 fitted points" in v.reason, v.reason


def test_a_closed_form_that_is_not_exact_is_never_certified():
    """A value stored as a float ("3.4999999999999996") was read as an exact rational and
    refuted 7/2; an inexact closed form is context."""
    inexact = replace(cf("3.4999999999999996"), exact=False)
    v = V(claim("7/2"), PointEvidence(inexact, None, None, 0.0))
    assert v.verdict == "inconclusive" and "floating-point" in v.reason, v.reason


def test_a_linear_scaling_claim_can_be_confirmed():
    """Its rival was the quadratic c2·x² + c1·x, which nests c1·x and so fits linear data as
    well: never rejected, so no linear claim could be confirmed. The rival is c·x log x."""
    params, ev, ctl = scaled(lambda d: 2.0 * d)
    v = scaling_verdict(scaling_claim(shape="linear"), params, ev, ctl)
    assert v.verdict == "confirmed", v.reason
    assert {f.shape for f in v.fits} == {"linear", "xlogx"}
    params, ev, ctl = scaled(lambda d: 2.0 * d * np.log(d) + 1e-9)  # x log x itself: refuted
    assert scaling_verdict(scaling_claim(shape="linear"), params, ev, ctl).verdict == "refuted"


# --- the point gates hold for scaling fits too (found by an audit, 2026-12-03) --------------


def test_scaling_fits_no_point_whose_hypothesis_fails():
    """A point where a hypothesis the claim names fails (or was not measured) is left out of
    the fit, as it would be inconclusive on its own: before, a scaling claim was confirmed from
    five points each 'hypothesis not met'."""
    params, ev, ctl = scaled(lambda d: -0.5 * d * d + 20 * d)
    fail = AtPoint("ok", checks={"is_local_min": True},
                   hypotheses=({"name": "stage II", "met": False, "measured": "no"},))
    ev = [replace(e, at_point=fail) for e in ev]
    c = replace(scaling_claim([-0.5, 20]), hypotheses=("stage II",))
    v = scaling_verdict(c, params, ev, ctl)
    assert v.verdict == "inconclusive" and "hypothesis not met" in v.reason, v.reason
    r = judge_claim(c, list(zip(params, ev, strict=True)), ctl)
    assert r.verdict.verdict == "inconclusive"
    assert all("hypothesis not met" in p.verdict.reason for p in r.points)


def test_scaling_with_no_values_says_what_would_decide():
    """A scaling claim none of whose points has a value to fit names what would decide it:
    values at enough values of the variable, where the hypotheses hold (a review, 2026-12:
    cullen2026-fig1 said only 'hypothesis not met', and its quick grid has 3 values of p)."""
    params, ev, ctl = scaled(lambda d: -0.5 * d * d + 20 * d, ds=(1, 2, 4))
    fail = AtPoint("ok", checks={"is_local_min": True},
                   hypotheses=({"name": "stage II", "met": False, "measured": "no"},))
    ev = [replace(e, at_point=fail) for e in ev]
    c = replace(scaling_claim([-0.5, 20], ds=(1, 2, 4)), hypotheses=("stage II",))
    v = scaling_verdict(c, params, ev, ctl)
    assert v.verdict == "inconclusive", v.reason
    would = v.reason.split("would decide: ", 1)[1]
    assert "at ≥ 4 values of d" in would and "meets stage II" in would, v.reason
    assert "grid has 3 value(s) of d" in would, v.reason


def test_scaling_certified_values_decide_and_llcs_do_not():
    """Where the certified facts fix λ at every point, they are the values fitted (graded
    certified), whatever the LLCs read: before, an LLC that read λ = d decided a claim of slope
    1 'confirmed' against a certified λ = d/2 at every point."""
    params, ev, ctl = scaled(lambda d: 1.0 * d)
    ev = [replace(e, rank=rk(p["d"])) for p, e in zip(params, ev, strict=True)]  # λ = d/2
    v = scaling_verdict(scaling_claim([1.0], shape="linear"), params, ev, ctl)
    assert (v.verdict, v.grade) == ("refuted", "certified"), v.reason
    v = scaling_verdict(scaling_claim([0.5], shape="linear"), params, ev, ctl)
    assert (v.verdict, v.grade) == ("confirmed", "certified"), v.reason


def test_scaling_on_exact_values_allows_no_coefficient_tolerance():
    """coef_rel absorbs LLC noise; certified values have none. With it, a slope 0.52 stated
    for a certified d/2 (4 % off, inside coef_rel = 5 %) was confirmed though every point
    refuted it; only the stated number's rounding is allowed (an outside acceptance run)."""
    params, ev, ctl = scaled(lambda d: 1.0 * d)
    ev = [replace(e, rank=rk(p["d"])) for p, e in zip(params, ev, strict=True)]  # λ = d/2
    v = scaling_verdict(scaling_claim([0.52], shape="linear"), params, ev, ctl)
    assert (v.verdict, v.grade) == ("refuted", "certified"), v.reason
    assert "off by more than the stated number's rounding" in v.reason
    # a shape whose leading term fits as exactly 0: d/2 is not quadratic, and no more data
    # could make it so (it was 'inconclusive: the rival is not rejected')
    v = scaling_verdict(scaling_claim(), params, ev, ctl)
    assert (v.verdict, v.grade) == ("refuted", "certified"), v.reason
    assert "coefficient is 0" in v.reason and "c₂·d² + c₁·d, no constant term" in v.reason


def test_scaling_reach_is_its_groups_verdict():
    """Points of a scaling claim without a prediction of their own only enter the fit: the
    report's reach is their group's verdict (it said 'inconclusive at …' under a refuted
    claim; an outside acceptance run)."""
    from slttheory.verify.report.data import claim_json

    params, ev, ctl = scaled(lambda d: 1.0 * d)
    ev = [replace(e, rank=rk(p["d"])) for p, e in zip(params, ev, strict=True)]  # λ = d/2
    r = judge_claim(scaling_claim(), list(zip(params, ev, strict=True)), ctl)
    e = claim_json(r)
    assert e["verdict"] == "refuted" and {p["verdict"] for p in e["points"]} == {"inconclusive"}
    assert list(e["scopes"]) == ["refuted"], e["scopes"]


def test_scaling_rounding_of_a_stated_decimal():
    from slttheory.verify.judge.scaling import stated_rounding

    assert stated_rounding(sp.Rational("0.333")) == pytest.approx(5e-4)
    assert abs(1 / 3 - 0.333) < stated_rounding(sp.Rational("0.333"))
    assert stated_rounding(sp.Integer(7)) == 0.0
    assert stated_rounding(sp.Rational(repr(1.5e-7))) == pytest.approx(5e-9)


def test_scaling_rival_is_defined_at_zero():
    """x·log x is 0 at x = 0 (a rank r = 0 is a grid value): it was NaN there, and a true
    affine claim over r = 0..3 ended in 'error: scaling fit failed' (an outside acceptance
    run)."""
    from slttheory.verify.judge.scaling import fit_shape

    f = fit_shape([0, 1, 2, 3], [4.5, 9.0, 13.5, 18.0], None, "affine_xlogx", role="rival")
    assert all(math.isfinite(c) for c in f.coefficients)


def test_scaling_confirmation_needs_min_r2():
    """min_r2 was parsed and shown but never applied: a confirmation needs R² ≥ min_r2."""
    params, ev, ctl = scaled(lambda d: -0.5 * d * d + 20 * d + 0.01 * (-1) ** d)
    assert scaling_verdict(scaling_claim([-0.5, 20]), params, ev, ctl).verdict == "confirmed"
    v = scaling_verdict(scaling_claim([-0.5, 20], min_r2=1.0), params, ev, ctl)
    assert v.verdict == "inconclusive" and "< min_r2 = 1" in v.reason, v.reason


def test_scaling_fits_no_band_outside_what_is_proved():
    """An LLC band wholly outside the certified bounds at its point is left out of the fit."""
    params, ev, ctl = scaled(lambda d: 10.0 * d)
    ev = [replace(e, rank=rk(p["d"], n=p["d"] + 1, determines=False))
          for p, e in zip(params, ev, strict=True)]  # λ ≤ (d + 1)/2 < 10 d
    v = scaling_verdict(scaling_claim(shape="linear"), params, ev, ctl)
    assert v.verdict == "inconclusive" and "outside what is proved" in v.reason, v.reason


def test_scaling_fits_no_llc_on_a_training_set_of_too_low_rank():
    """The training-rank gate of a point: a rank below 2λ (the band's upper end where no
    coefficients state λ), or a rank not computed, leaves the point out of the fit."""
    params, ev, ctl = scaled(lambda d: 2.0 * d)
    for extras in ({"train_rank": 1}, {"train_rank_skipped": "above the budget"}):
        at = AtPoint("ok", checks={"is_local_min": True}, extras=extras)
        low = [replace(e, at_point=at) for e in ev]
        v = scaling_verdict(scaling_claim(shape="linear"), params, low, ctl)
        assert v.verdict == "inconclusive" and "training rank" in v.reason, v.reason


def test_scaling_reruns_must_repeat_every_groups_verdict():
    """Two groups whose verdicts swap at a rerun leave the claim's verdict the same but no
    group's: inconclusive, naming the groups that moved."""
    c = two_variable_scaling_claim(
        "k", (1, 2), {"variable": "d", "shape": "linear", "coefficients": [1]})
    ctl = controls(spread=0.005)
    params, evs = [], []
    for k in (1, 2):
        for d in (1, 2, 4, 8, 16):
            good, bad = 1.0 * d, 2.0 * d
            base, rerun = (bad, good) if k == 1 else (good, bad)
            params.append({"d": d, "k": k})
            evs.append(PointEvidence(None, None, lc(base, se=1e-6, reruns=tuple(
                Rerun(s, rerun, 1e-6, True) for s in ("γ × 3", "γ / 3", "ε / 2"))), 0.0,
                at_point=MINIMUM))
    v = scaling_verdict(c, params, evs, ctl)
    assert v.verdict == "inconclusive" and "moves at k=1, k=2" in v.reason, v.reason


def test_scaling_points_that_share_settings_share_controls():
    """Settings that change along the sweep are corrected for where each point has controls
    under its own rules: two points with equal settings share one control set (one key)."""
    params, ev, ctl = scaled(lambda d: 0.5 * d)
    keys = ["kA", "kA", "kB", "kC", "kD"]
    ns = [100, 100, 200, 300, 400]
    ctl = {k: replace(ctl[KEY], key=k) for k in set(keys)}
    ev = [replace(e, llc=replace(e.llc, control_key=k, config={"n": n}))
          for e, k, n in zip(ev, keys, ns, strict=True)]
    v = scaling_verdict(scaling_claim(shape="linear"), params, ev, ctl)
    assert v.verdict == "confirmed", v.reason


def test_a_control_read_at_or_below_zero_withholds_the_band():
    """A control whose estimates, all passing their diagnostics, read λ̂/λ ≤ 0 makes the LLC
    uncontrolled (before, it was silently dropped: a worse bias blocked less than a milder
    one)."""
    base = controls()[KEY]
    bad = tuple(ControlRun("regular", {"d": 3}, "singular, m = 2", "1", 2, "rank", s,
                           mean=-0.5 + 0.01 * s, std_error=0.001, passed=True)
                for s in range(3))
    b = llc_band(2.0, 0.02, ControlSet(KEY, {}, base.runs + bad))
    assert not b.controlled and "λ̂/λ ≤ 0" in b.why, b.why


def test_a_claims_grade_is_its_weakest_confirmation_and_strongest_refutation():
    conf = [({"d": 2}, PointVerdict("confirmed", "c", "certified")),
            ({"d": 4}, PointVerdict("confirmed", "c", "controlled"))]
    assert claim_verdict(conf, ["d"]).grade == "controlled"
    ref = [({"d": 2}, PointVerdict("refuted", "refuted (controlled) at d=2: x", "controlled")),
           ({"d": 4}, PointVerdict("refuted", "refuted (certified) at d=4: y", "certified"))]
    assert claim_verdict(ref, ["d"]).grade == "certified"


def test_exact_comparisons_take_bounded_time():
    """A prediction that loads fine but that ``sympy.simplify`` could not compare in minutes
    (a sum of 18 logarithms: it hung the whole run before) is judged at once, and equal
    values in different forms still compare equal."""
    import signal

    terms = " + ".join(f"log({p})/{i + 2}" for i, p in enumerate(
        [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61]))
    c = claim(terms)

    def timeout(*_):
        raise TimeoutError("judging took more than 20 s")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(20)
    try:
        v = V(c, PointEvidence(None, rk(4), None, 0.0))  # certified λ = 2 at every d
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert v.verdict == "refuted"  # the sum is about 7.6, not 2
    assert V(claim("log(4)/2 - log(2) + 2"), PointEvidence(None, rk(4), None, 0.0)).verdict \
        == "confirmed"


def test_a_band_outside_zero_and_half_the_dimension_decides_nothing():
    """λ ≥ 0 always and λ ≤ d/2 whatever the routes ran (d from the measurement at w*): a
    controlled band wholly outside [0, d/2] is the estimator's error and decides nothing."""
    at = AtPoint("ok", checks={"is_local_min": True, "reason": "a local minimum",
                               "n_params": 4})
    below = PointEvidence(cf("d/2", standing="as_stated"), None, lc(-0.3), 0.0, at_point=at)
    assert V(claim(), below, ctl=controls()).verdict == "inconclusive"
    above = PointEvidence(cf("d/2", standing="as_stated"), None, lc(3.0), 0.0, at_point=at)
    v = V(claim("d/8", relation=">="), above, ctl=controls())
    assert v.verdict == "inconclusive" and "outside the certified" in v.reason


def test_exact_values_on_the_stated_shape_confirm_it():
    """Certified values exactly on a quadratic (σ = 0) were refuted by float64 round-off in
    the fit, weighed as if known to 1e-12; and a certified refutation stands whatever the
    reruns of another group's LLCs say."""
    import sympy as sp

    xs = [3, 7, 11, 13, 19]
    c = parse_claim({"id": "s", "title": "t", "source": "Someone 2020",
                     "family": "fake_regular", "kind": "scaling",
                     "evidence": ["closed_form", "llc"], "grid": {"d": xs},
                     "scaling": {"variable": "d", "shape": "quadratic",
                                 "coefficients": [333.33333, 142.85714]}}, "s.toml", FAMILIES)
    evs = [PointEvidence(cf(sp.Rational(1000, 3) * d * d + sp.Rational(1000, 7) * d), None,
                         None, 0.0) for d in xs]
    v = scaling_verdict(c, [{"d": d} for d in xs], evs, {})
    assert (v.verdict, v.grade) == ("confirmed", "certified"), v.reason
    bent = [PointEvidence(cf(5 if d % 2 else 1), None, None, 0.0) for d in xs[:4] + [20]]
    assert scaling_verdict(c, [{"d": d} for d in xs[:4] + [20]], bent, {}).verdict == \
        "refuted"


def test_exact_values_off_the_stated_shape_by_less_than_the_float_floor_are_refuted():
    """Exact values are of a shape or not: λ = d/2 + 10⁻⁹ is affine, not linear through the
    origin, but the float fit weighs exact values as if known to 1e-9 of λ, which hides the
    intercept (an outside audit: λ = m/2 + 50 at m ≈ 10⁶, a false claim confirmed
    (certified)). An exact fit decides; the true shape is not refuted."""
    import sympy as sp

    xs = [14, 16, 18, 20]

    def claim(shape):
        return parse_claim({"id": "s", "title": "t", "source": "Someone 2020",
                            "family": "fake_regular", "kind": "scaling",
                            "evidence": ["closed_form", "llc"], "grid": {"d": xs},
                            "scaling": {"variable": "d", "shape": shape}}, "s.toml", FAMILIES)

    evs = [PointEvidence(cf(sp.Rational(d, 2) + sp.Rational(1, 10**9)), None, None, 0.0)
           for d in xs]
    v = scaling_verdict(claim("linear"), [{"d": d} for d in xs], evs, {})
    assert (v.verdict, v.grade) == ("refuted", "certified"), v.reason
    assert "not of this shape, exactly" in v.reason
    v = scaling_verdict(claim("affine"), [{"d": d} for d in xs], evs, {})
    assert v.verdict != "refuted" and "exactly of this shape" in v.reason, v.reason
    # and a leading term below round-off is not 0 when the exact fit says so (a review: "d²'s
    # coefficient is 0 (exact values)" refuted λ = d²/10¹¹ + d stated quadratic)
    evs = [PointEvidence(cf(sp.Rational(d * d, 10**11) + d), None, None, 0.0) for d in xs]
    v = scaling_verdict(claim("quadratic"), [{"d": d} for d in xs], evs, {})
    assert (v.verdict, v.grade) == ("confirmed", "certified"), v.reason


def test_a_rounded_decimal_is_refuted_and_the_reason_says_why():
    """λ = 0.1667 for a normal crossing of λ = 1/6 is refuted (decimals are exact), but the
    reason printed "1/6 (0.1667) … against the predicted 1667/10000 (0.1667)", two equal
    decimals (an outside acceptance run). It now says how the decimal was read."""
    import tomllib

    from slttheory.models import FAMILIES as REAL
    from slttheory.verify.evidence.routes import DEFAULT_ROUTES, independent_forms_route

    text = """
id = "nc-decimal"
title = "normal crossing w1^4 w2^6"
source = "Brown 2022"
family = "normal_crossing"
kind = "closed_form"
predicted = "0.1667"
evidence = ["closed_form"]
[fixed]
powers = [2, 3]
"""
    c = parse_claim(tomllib.loads(text), "nc.toml", REAL)
    fam = REAL["normal_crossing"]
    q = fam.validate({"powers": (2, 3)})
    ev = PointEvidence(DEFAULT_ROUTES.closed_form(fam, q), None, None, 0.0,
                       independent=tuple(independent_forms_route(fam, q)))
    v = point_verdict(c, {"powers": (2, 3)}, ev, c.predicted_at({"powers": (2, 3)}))
    assert (v.verdict, v.grade) == ("refuted", "certified"), v.reason
    assert "the decimal 0.1667, read exactly" in v.reason and "state 1/6" in v.reason, v.reason
    exact = parse_claim({**tomllib.loads(text), "predicted": "1667/10000"}, "nc.toml", REAL)
    v = point_verdict(exact, {"powers": (2, 3)}, ev, exact.predicted_at({"powers": (2, 3)}))
    assert v.verdict == "refuted" and "decimal" not in v.reason  # no decimal was written


def test_a_certified_point_beside_llc_points_keeps_the_llc_points_coefficient_errors():
    """Certified λ at h = 1 (σ floored at 10⁻⁹) beside three LLC points (σ ≈ 0.2): the normal
    matrix had condition number ~10¹⁶ and its pseudo-inverse dropped the direction only the
    LLC points constrain, so the coefficients came out ±5·10⁻¹⁰ and a true stated affine law
    was refuted (an outside acceptance run). The errors are now those of the fit through the
    certified point: y − y₁ = a·(x − 1), with se(a) = (Σ wᵢ (xᵢ − 1)²)^(-1/2)."""
    x, y, se = [1, 2, 3, 4], [0.5, 0.6075, 0.6918, 0.7101], [0.0, 0.196, 0.241, 0.243]
    f = fit_shape(x, y, se, "affine")
    w = 1 / np.asarray(se[1:]) ** 2
    xs = np.asarray(x[1:], float) - 1
    a = float((w * xs * (np.asarray(y[1:]) - 0.5)).sum() / (w * xs ** 2).sum())
    expect = float((w * xs ** 2).sum() ** -0.5)
    assert f.coefficients[0] == pytest.approx(a, rel=1e-6)
    assert f.std_errors[0] == pytest.approx(expect, rel=1e-6)  # χ²/dof < 1: not inflated
    assert f.std_errors[1] == pytest.approx(expect, rel=1e-6)  # b = y₁ − a


def test_no_fact_at_a_w_star_where_lambda_is_not_defined():
    """A trained w* that is neither a local minimum of L_n nor a true parameter (a toy network
    short of convergence, |∇L_n| = 0.011) has no λ: λ ≤ d/2 there confirmed "λ ≤ 2" and
    refuted "λ ≥ 3" as certified (an outside acceptance run). Facts at w* (its rank, an orbit
    through it, the dimension) now apply only at a minimum or a true parameter."""
    off = AtPoint("ok", checks={"is_local_min": False, "reason": "not a critical point",
                                "n_params": 4})
    ev = PointEvidence(None, replace(rk(4), point_rank=3, point_rank_certified=True,
                                     inputs_determine=True, determines_lambda=False),
                       None, 0.0, at_point=off)
    for c in (claim("2", relation="<="), claim("3", relation=">=")):
        v = V(c, ev)
        assert v.verdict == "inconclusive", v.reason
        assert "not defined" in v.reason
    at_min = replace(off, checks={**off.checks, "is_local_min": True})
    assert V(claim("3", relation=">="), replace(ev, at_point=at_min)).verdict == "refuted"
    w0 = replace(off, extras={"true_parameter": True})  # noisy data's w0: λ is defined
    assert V(claim("3", relation=">="), replace(ev, at_point=w0)).verdict == "refuted"


def test_family_differences_name_the_family_source_when_the_claim_cites_another():
    """The family's list of differences compares its model with the family's source; a claim
    citing another work read them as differences from its own source (an outside acceptance
    run: 'seed 000 does not state …' under a claim citing a textbook)."""
    from slttheory.verify.report.data import family_difference

    at = AtPoint("ok", differences=("inputs chosen here",), source="Lakkapragada 2025")
    back = AtPoint.from_dict(at.to_dict())
    assert back is not None and back.source == "Lakkapragada 2025"  # kept by the store
    assert family_difference("inputs chosen here", back.source,
                             "Lakkapragada 2025, Q2") == "inputs chosen here"
    other = family_difference("inputs chosen here", back.source, "Textbook 2020")
    assert other.startswith("against the family's source, Lakkapragada 2025")
    assert AtPoint.from_dict({"status": "ok"}).source == ""  # records stored before the field


def test_scaling_mixed_group_is_refuted_by_its_certified_value():
    """A group with one certified value among LLC values: coef_rel (meant for LLC noise) let
    the LLC points outvote the exact λ = 1/2 at d = 1 against a stated slope 0.52 ('confirmed
    (controlled)'; an audit of the verdict rules). The certified value alone refutes it."""
    params, ev, ctl = scaled(lambda d: 0.5 * d)
    ev = [replace(e, rank=rk(1), llc=None) if p["d"] == 1 else e
          for p, e in zip(params, ev, strict=True)]
    v = scaling_verdict(scaling_claim([0.52], shape="linear"), params, ev, ctl)
    assert (v.verdict, v.grade) == ("refuted", "certified"), v.reason
    assert "d=1: λ = 0.5, the stated 0.52 ± 0.005" in v.reason
    v = scaling_verdict(scaling_claim([0.5], shape="linear"), params, ev, ctl)
    assert (v.verdict, v.grade) == ("confirmed", "controlled"), v.reason


def test_scaling_points_with_stated_coefficients_do_not_decide_alone():
    """A claim's stated coefficients are judged by its fit (up to their rounding on exact
    values): its points compared with 0.333·d exactly said 'refuted' under a claim confirmed
    for λ = d/3 (an audit of the verdict rules). They enter the fit, and the reach is the
    fit's."""
    from slttheory.verify.report.data import claim_json

    params, ev, ctl = scaled(lambda d: d / 3)
    ev = [replace(e, closed_form=ClosedFormEvidence(
        "ok", value=str(sp.Rational(p["d"], 3)), case="regular", source="Watanabe 2009",
        standing="established", reference="Watanabe 2009", formula="regular",
        established_by="tests/x.py"), llc=None) for p, e in zip(params, ev, strict=True)]
    c = replace(scaling_claim([0.333], shape="linear"), evidence=("closed_form", "llc"),
                source="Someone 2020")  # a cited work other than the formula's
    r = judge_claim(c, list(zip(params, ev, strict=True)), ctl)
    e = claim_json(r)
    assert (e["verdict"], e["grade"]) == ("confirmed", "certified"), e["reason"]
    assert {p["verdict"] for p in e["points"]} == {"inconclusive"}
    assert "enters the fit only" in e["points"][0]["reason"]
    assert list(e["scopes"]) == ["confirmed"], e["scopes"]


def test_scaling_controlled_groups_are_rerun_beside_a_certified_refutation():
    """A claim refuted on one group's certified values stands, but another group decided by
    LLC values must still repeat its verdict at the reruns: its refutation, which moved at
    γ × 3, was reported without being checked (an audit of the verdict rules)."""
    c = two_variable_scaling_claim("g", (1, 2), {"variable": "d", "shape": "quadratic"},
                                   ("rank", "llc"))
    ctl = controls(spread=0.005)
    params, evs = [], []
    for g in (1, 2):
        for d in (1, 2, 4, 8, 16):
            params.append({"d": d, "g": g})
            if g == 1:  # certified λ = d/2: not quadratic
                evs.append(PointEvidence(None, rk(d), None, 0.0, at_point=MINIMUM))
            else:  # LLC values that are not quadratic, but are at every rerun
                evs.append(PointEvidence(None, None, lc(5.0 if d % 2 else 1.0, se=1e-6,
                                                        reruns=tuple(
                    Rerun(s, 0.1 * d * d + d, 1e-6, True) for s in ("γ × 3", "γ / 3", "ε / 2"))),
                    0.0, at_point=MINIMUM))
    v = scaling_verdict(c, params, evs, ctl)
    assert (v.verdict, v.grade) == ("refuted", "certified"), v.reason
    assert dict(v.groups) == {"g=1": "refuted", "g=2": "inconclusive"}, v.groups
    assert "the verdicts of g=2 do not hold again" in v.reason, v.reason


def test_an_llc_without_a_finite_value_says_so():
    """An LLC that 'passed' with a NaN value was 'diagnostics failed (no information: )', an
    empty list; a rerun without a value crashed the verdict (an audit of the verdict rules)."""
    v = V(claim(), PointEvidence(None, None, lc(math.nan), 0.0), ctl=controls())
    assert v.verdict == "inconclusive" and "nan is not a finite number" in v.reason, v.reason
    reruns = tuple(Rerun(s, None, None, True) for s in ("γ × 3", "γ / 3", "ε / 2"))
    v = V(claim(), PointEvidence(None, None, lc(2.0, se=0.01, reruns=reruns), 0.0),
          ctl=controls())
    assert v.verdict == "inconclusive" and "rerun at γ × 3 failed" in v.reason, v.reason


def test_an_unreadable_closed_form_is_named_not_dropped():
    """A closed form whose stored value does not read as an exact number vanished from the
    reason (an audit of the verdict rules): it is named, as context that decides nothing."""
    v = V(claim(), PointEvidence(cf("nan"), None, None, 0.0))
    assert v.verdict == "inconclusive" and "'nan' does not read as an exact number" in v.reason


@pytest.mark.parametrize("name, args", [
    ("dln_codimension_bound", ([2, 2, 2], 0)),
    ("quadratic_network", (3, 2, 1)),
])
def test_a_claim_citing_a_formulas_paper_by_arxiv_id_alone_is_its_own_source(name, args):
    """Pepin Lehalleur & Rimányi's bound was certified for a claim that cited their paper as
    'arXiv:2411.19920' only: the formula's source text named no arXiv id (an outside
    acceptance run). Every formula whose paper has an id names it."""
    from slttheory import formulas
    from slttheory.verify.claims.common import cite_match

    lc = getattr(formulas, name)(*args)
    ids = re.findall(r"\b(\d{4}\.\d{4,5})\b", lc.source)
    assert ids, lc.source
    assert cite_match(f"Someone 2025, Thm 1; arXiv:{ids[0]}", lc.reference, lc.source)


def test_scaling_fits_say_what_values_they_fit():
    """Fits said source 'llc' on exact values too (a review of report.json)."""
    params, ev, ctl = scaled(lambda d: 0.5 * d)
    exact = [replace(e, rank=rk(p["d"])) for p, e in zip(params, ev, strict=True)]
    assert {f.source for f in scaling_verdict(scaling_claim([0.5], shape="linear"), params,
                                              exact, ctl).fits} == {"certified"}
    assert {f.source for f in scaling_verdict(scaling_claim([0.5], shape="linear"), params,
                                              ev, ctl).fits} == {"llc"}
    mixed = [exact[0], *ev[1:]]
    assert {f.source for f in scaling_verdict(scaling_claim([0.5], shape="linear"), params,
                                              mixed, ctl).fits} == {"certified+llc"}


def test_an_llc_that_cannot_see_some_directions_does_not_refute_what_they_could_reach():
    """An estimate whose diagnostics say λ may be up to u higher (directions the localisation
    holds) widens its band's upper end by u: λ̂ = 1.3 ± 0.05 with u = 0.8 no longer refutes
    λ = 2 (a regular regression with weakly identified inputs read so, every check passing)."""
    c = claim("2", evidence=["llc"])
    seen = V(c, PointEvidence(None, None, lc(1.3, se=0.05), 0.0), ctl=controls())
    assert seen.verdict == "refuted", seen.reason
    unseen = V(c, PointEvidence(None, None, lc(1.3, se=0.05, diagnostics={"unresolved": 0.8}),
                                0.0), ctl=controls())
    assert unseen.verdict == "inconclusive", unseen.reason


def test_a_bound_measured_at_w_star_decides_beside_an_errored_route():
    # the rank route failed, but w*'s measurements count 6 parameters: λ ≤ 3 refutes λ = 2d
    # (a certified fact), and the failed route is named, not the verdict's only word
    at = AtPoint("ok", checks={"n_params": 6, "is_local_min": True})
    ev = PointEvidence(None, RankEvidence("error", error="boom"), None, 0.0, at)
    v = V(claim("2*d"), ev)
    assert (v.verdict, v.grade) == ("refuted", "certified") and "6 parameters" in v.reason
    assert "rank: boom" in v.reason
    # with nothing certified from w*, the errored route is the point's verdict
    assert V(claim("d/2"), ev).verdict == "error"


def test_what_would_decide_names_only_routes_the_family_can_run():
    c = claim(evidence=["closed_form", "llc"])
    ev = PointEvidence(cf(3, standing="as_stated", reference="Someone 2020"), None, None, 0.0)
    assert 'add "rank"' in V(c, ev).reason
    no_rank_map = replace(c, routes_available=("closed_form", "llc"))
    v = V(no_rank_map, ev)
    assert v.verdict == "inconclusive" and "rank" not in v.reason.split("would decide")[1]
    # a rank that does not determine λ: what would decide is an argument that it does
    ev = PointEvidence(None, rk(4, 6, determines=False), None, 0.0)
    assert "an argument that w* is minimally singular" in V(claim(), ev).reason


OLD_RANK_ADVICE = UNKNOWN_RANK_ADVICE  # no record: what the rank route could do, unpromised


def _rank_map(gives, **kw):
    return AtPoint("ok", extras={"rank_map": {"gives_lambda": gives, "degree": 2,
                                              "true_point": "support", "computed": True, **kw}})


def _advice(c, at):
    v = V(c, PointEvidence(cf(3, standing="as_stated", reference="Someone 2020"), None, None,
                           0.0, at_point=at))
    assert v.verdict == "inconclusive", v.reason
    return v.reason.split("would decide: ")[1]


def test_the_rank_advice_says_what_the_rank_map_states_at_the_point():
    """Deep linear networks and reduced-rank regression at r = 0 (an outside audit) were told
    the rank route "decides where the family justifies λ = rank/2", which it does not there,
    and at w* = 0 of a map with no linear part the Jacobian is 0: it bounds λ by 0 only. What
    the family's rank map states at the point, recorded with w*, now says what adding it does;
    the verdict is the same whatever the record."""
    c = claim(evidence=["closed_form", "llc"])
    old = _advice(c, None)
    assert OLD_RANK_ADVICE in old
    assert OLD_RANK_ADVICE in _advice(c, AtPoint("ok"))  # measured before the record was kept
    gives = _advice(c, _rank_map(True))
    assert ('the rank route (add "rank" to the claim\'s evidence): it decides here: the family '
            "gives λ = rank/2 at this point") in gives and OLD_RANK_ADVICE not in gives
    below = _advice(c, _rank_map(False))
    assert ('the rank route (add "rank" to the claim\'s evidence): here it can only bound λ '
            "from below by half the Jacobian's rank at w*") in below
    for at in (_rank_map(False, w_star_zero=True, jacobian_zero_at_w_star=True),
               AtPoint("ok", extras={"rank_map": {"gives_lambda": False, "degree": 3,
                                                  "true_point": "trained", "computed": True}}),
               _rank_map(True, computed=False)):
        none = _advice(c, at)
        assert "rank route" not in none and none.startswith("an established formula"), none
    # a w* = 0 whose Jacobian is not 0 (a linear part) keeps the lower bound's advice
    assert "half the Jacobian's rank" in _advice(c, _rank_map(False, w_star_zero=True,
                                                              jacobian_zero_at_w_star=False))
    # a claim that runs the rank route: the rank evidence speaks, not the record
    ev = PointEvidence(None, rk(4, 6, determines=False), None, 0.0, at_point=_rank_map(True))
    assert "an argument that w* is minimally singular" in V(claim(), ev).reason
    # a record that is not one (another tool's extras) is read as none
    assert OLD_RANK_ADVICE in _advice(c, AtPoint("ok", extras={"rank_map": "x"}))


def test_the_rank_map_record_is_measured_without_a_rank_and_never_fails_w_star():
    """``with_rank_map``: gives_lambda as the family states it, and rank J(w*) = 0 where w* is
    0 and the exact Jacobian there is 0; a rank problem that raises records nothing."""
    from types import SimpleNamespace

    from slttheory.models import FAMILIES as REAL
    from slttheory.verify.evidence.routes import with_rank_map

    dln = REAL["deep_linear_network"]
    at = with_rank_map(AtPoint("ok", extras={"k": 1}), dln,
                       dln.validate({"widths": [2, 2, 3], "r": 0}))
    assert at.extras == {"k": 1, "rank_map": {
        "gives_lambda": False, "degree": 2, "true_point": "support", "computed": True,
        "w_star_zero": True, "jacobian_zero_at_w_star": True}}
    full = with_rank_map(AtPoint("ok"), dln, dln.validate({"widths": [2, 2, 3], "r": 2}))
    assert full.extras["rank_map"]["gives_lambda"] is True
    assert "w_star_zero" not in full.extras["rank_map"]
    rrr = REAL["reduced_rank_regression"]
    part = with_rank_map(AtPoint("ok"), rrr, rrr.validate({"m": 4, "n": 8, "h": 3, "r": 1}))
    assert part.extras["rank_map"] == {"gives_lambda": False, "degree": 2,
                                       "true_point": "support", "computed": True}

    def boom(params):
        raise RuntimeError("no map")

    broken = SimpleNamespace(name="b", rank_problem=boom, build=None)
    assert with_rank_map(AtPoint("ok", extras={"k": 1}), broken, {}).extras == {
        "k": 1, "rank_map": {"error": "RuntimeError: no map"}}
    assert with_rank_map(AtPoint("error", error="x"), dln, {}).status == "error"
    assert with_rank_map(None, dln, {}) is None


def test_the_rank_advice_promises_nothing_where_nothing_was_recorded():
    """No record of the rank map at the point (w* not measured, failed, or measured before the
    record was kept): the advice says what the rank route could do without promising that it
    decides or bounds anything here (it had read "elsewhere bounds λ only from below", which a
    trained w*, a Jacobian 0 at w* or one above the budget do not give). A rank map that could
    not be built at the point (the route builds it the same way) and a family with no rank map
    are not advised the rank route."""
    from types import SimpleNamespace

    from slttheory.verify.evidence.routes import with_rank_map

    c = claim(evidence=["closed_form", "llc"])
    for at in (None, AtPoint("error", error="x"), AtPoint("ok"),
               AtPoint("ok", extras={"rank_map": "x"})):
        advice = _advice(c, at)
        assert 'the rank route (add "rank" to the claim\'s evidence' in advice, advice
        assert "not recorded" in advice
        for promise in ("it decides where", "bounds λ only from below", "it decides here",
                        "it can only bound λ from below"):
            assert promise not in advice, (promise, advice)

    def boom(params):
        raise ValueError("no rank map at these parameters")

    broken = SimpleNamespace(name="b", rank_problem=boom, build=None)
    at = with_rank_map(AtPoint("ok"), broken, {})
    assert at.extras["rank_map"] == {"error": "ValueError: no rank map at these parameters"}
    not_one = SimpleNamespace(name="n", rank_problem=lambda params: object(), build=None)
    assert "error" in with_rank_map(AtPoint("ok"), not_one, {}).extras["rank_map"]
    for rec in (at, with_rank_map(AtPoint("ok"), not_one, {})):
        advice = _advice(c, rec)
        assert "rank route" not in advice and advice.startswith("an established formula")

    # a family with no rank map: nothing recorded, and its claims do not list the route
    none = replace(FAMILIES["fake_regular"], name="fake_no_rank_map", rank_problem=None)
    assert with_rank_map(AtPoint("ok", extras={"k": 1}), none, {"d": 4}).extras == {"k": 1}
    data = {"id": "c", "title": "t", "source": "Someone 2020", "family": "fake_no_rank_map",
            "kind": "closed_form", "predicted": "d/2", "relation": "==",
            "evidence": ["closed_form", "llc"], "grid": {"d": [2, 4]},
            "tolerance": {"llc_rel": 0.1}}
    c_none = parse_claim(data, "c.toml", {**FAMILIES, "fake_no_rank_map": none})
    assert "rank" not in c_none.routes_available
    for at in (None, AtPoint("ok")):
        assert "rank route" not in _advice(c_none, at)


def test_stored_evidence_without_the_rank_map_record_is_judged_as_before(tmp_path):
    """Evidence stored before the record was kept loads and gets the same reason; a stored
    record round-trips through the store."""
    from slttheory.verify.run import ResultStore

    c = claim(evidence=["closed_form", "llc"])
    before = PointEvidence(cf(3, standing="as_stated", reference="Someone 2020"), None, None,
                           0.0, at_point=AtPoint("ok", extras={"train_rank": 3}))
    with ResultStore(tmp_path / "r.sqlite") as s:
        s.put("c", '{"d": 4}', "h", before.to_dict())
        s.put("c", '{"d": 2}', "h", replace(before, at_point=_rank_map(
            False, w_star_zero=True, jacobian_zero_at_w_star=True)).to_dict())
        old = PointEvidence.from_dict(s.get("c", '{"d": 4}', "h"))
        new = PointEvidence.from_dict(s.get("c", '{"d": 2}', "h"))
    assert V(c, old).reason == V(c, before).reason and OLD_RANK_ADVICE in V(c, old).reason
    assert new.at_point.extras["rank_map"]["jacobian_zero_at_w_star"] is True
    assert V(c, new).verdict == V(c, old).verdict == "inconclusive"
    assert "rank route" not in V(c, new).reason.split("would decide: ")[1]


def test_a_context_formula_that_disagrees_with_the_prediction_is_named():
    # seed 001's Thm 4.2 against its own App. G at p = 1: two statements of one source
    ev = PointEvidence(cf("5/2", standing="as_stated", reference="Someone 2020"),
                       rk(5, 8, determines=True), None, 0.0)
    v = V(claim("3"), ev)
    assert v.verdict == "refuted"
    assert "gives 5/2 (2.5) at this point, not the predicted 3" in v.reason
    # not "a library formula": a --families plugin's own formula read as the package's own
    assert "[a formula that is not evidence here" in v.reason
    assert "library formula" not in v.reason
    assert "statements disagree" not in V(claim("5/2"), ev).reason


def test_llc_advice_names_a_multiplicity_beyond_the_controls():
    """A claim without "llc" at a point whose formula states multiplicity 3 was told to add
    "llc"; run, its LLC stayed uncontrolled (the controls reach m = 2), which the advice now
    says beforehand (an outside plugin run: w1·w2·w3·x at w* = 0)."""
    from dataclasses import replace

    from slttheory.verify.evidence.controls import MAX_MULTIPLICITY

    c = claim("3/2", evidence=["closed_form", "rank"])
    ev = PointEvidence(replace(cf("1/2", standing="as_stated", reference="Someone 2020"),
                               multiplicity=str(MAX_MULTIPLICITY + 1)), None, None, 0.0)
    v = V(c, ev)
    assert v.verdict == "inconclusive"
    m = MAX_MULTIPLICITY + 1
    assert f"an LLC with controls of multiplicity at least {m}" in v.reason
    assert "would give an uncontrolled LLC only" in v.reason
    low = PointEvidence(replace(cf("1/2", standing="as_stated", reference="Someone 2020"),
                                multiplicity=str(MAX_MULTIPLICITY)), None, None, 0.0)
    assert 'an LLC with controls (add "llc" to the claim\'s evidence)' in V(c, low).reason


def test_what_would_decide_at_a_w_star_that_is_no_minimum():
    # "or an LLC whose controls agree" beside "no LLC at this w* decides" contradicted itself
    off = AtPoint("ok", checks={"is_local_min": False, "reason": "not a critical point"})
    ev = PointEvidence(None, None, LLCEvidence("ok", mean=1.0, std_error=0.1, passed=True),
                       0.0, off)
    why = V(claim(evidence=["llc"]), ev).reason.split("would decide: ")[1]
    assert "a w* that is a local minimum of L_n" in why and "controls agree" not in why


def test_a_reach_does_not_count_points_the_constraint_removed_as_missing():
    # "confirmed at 11 of the 16 points of …" read as if 5 points were left undecided
    grid = [{"m": m, "h": h} for m in (2, 3, 4) for h in (1, 2, 3, 4, 5) if m < h]
    pts = [(q, PointVerdict("confirmed", "c", "certified")) for q in grid]
    v = claim_verdict(pts, ["m", "h"], "m < h")
    assert "every point of m ∈ {2, 3, 4}, h ∈ {3, 4, 5} with m < h" in v.reason
    assert " of the " not in v.reason


def test_controls_of_lower_multiplicity_never_decide_at_a_point_of_higher():
    """The estimator's bias grows with the multiplicity (m = 3 crossings read 30–50 % low), so
    a point whose exact formula states m = 3 gets no band from controls of m ≤ 2 — even where
    that formula is the claim's own (it may withhold a decision, never make one)."""
    stated = replace(cf("2", standing="as_stated"), multiplicity="3")
    ctl = controls(biases=(-0.02, -0.02, -0.02), spread=0.01)
    for mean in (1.3, 1.96):  # would refute, would confirm
        v = V(claim(), PointEvidence(stated, None, lc(mean), 0.0), ctl=ctl)
        assert v.verdict == "inconclusive", v.reason
        assert "multiplicity 3 (as regular states it)" in v.reason
        assert "controls of multiplicity at least 3" in v.reason
    # the same estimate decides beside controls that reach the point's multiplicity, and at a
    # point whose formula states m = 1
    hi = {KEY: ControlSet(KEY, {}, tuple(replace(r, multiplicity=3)
                                         for r in ctl[KEY].runs))}
    v = V(claim(), PointEvidence(stated, None, lc(1.3), 0.0), ctl=hi)
    assert (v.verdict, v.grade) == ("refuted", "controlled"), v.reason
    one = replace(stated, multiplicity="1")
    v = V(claim(), PointEvidence(one, None, lc(1.3), 0.0), ctl=ctl)
    assert (v.verdict, v.grade) == ("refuted", "controlled"), v.reason


def test_a_scaling_fit_takes_no_llc_beyond_its_controls_multiplicity():
    params, ev, ctl = scaled(lambda d: -0.5 * d * d + 20 * d)
    stated = replace(cf("1", standing="as_stated"), multiplicity="3")
    ev = [replace(e, closed_form=stated) for e in ev]
    v = scaling_verdict(scaling_claim([-0.5, 20]), params, ev, ctl)
    assert v.verdict == "inconclusive" and "multiplicity 3" in v.reason, v.reason


def test_an_inequality_band_that_straddles_the_prediction_says_so():
    """For <=, a band decides whatever its width; one that contains P undecided 'straddles'
    it, and the reason did speak of a tolerance (an outside review)."""
    ctl = controls(biases=(0.0, 0.0, 0.0), spread=0.01)
    v = V(claim(relation="<="), PointEvidence(None, None, lc(2.0, se=0.5), 0.0), ctl=ctl)
    assert v.verdict == "inconclusive", v.reason
    assert "straddles 2" in v.reason and "tolerance" not in v.reason, v.reason
    assert "band lies on one side of the prediction" in v.reason
    assert not v.llc.robust  # no rerun ever checked it


def test_would_decide_asks_for_the_multiplicity_its_controls_lack():
    """At a stated m = 2 beside controls of m = 1 only, 'would decide' asked for narrower
    bands, not for the controls the band was withheld for (an outside review)."""
    stated = replace(cf("2", standing="as_stated"), multiplicity="2")
    v = V(claim(), PointEvidence(stated, None, lc(2.0), 0.0), ctl=controls())
    assert v.verdict == "inconclusive", v.reason
    assert "controls of multiplicity at least 2" in v.reason, v.reason


# --- from an outside review of the verdict path (2026-12-04) -----------------------------


def _sc(predicted=None, coefs=None, ds=(1, 2, 4, 8, 16), grid=None, family="fake_regular",
        families=FAMILIES, evidence=("closed_form", "rank", "llc")):
    sc = {"variable": "d", "shape": "linear", **({"coefficients": coefs} if coefs else {})}
    data = {"id": "s", "title": "t", "source": "s 2020", "family": family, "kind": "scaling",
            "evidence": list(evidence), "grid": grid or {"d": list(ds)}, "scaling": sc,
            "tolerance": {"coef_rel": 0.05},
            **({"predicted": predicted} if predicted else {})}
    return parse_claim(data, "s.toml", families)


def test_a_scaling_claims_predicted_formula_refutes_point_by_point():
    """λ = d/2 exactly at every point: a claim of linear scaling that also states λ = d/3 had
    every point refuted (certified) and was itself confirmed by its fit."""
    ds = (1, 2, 4, 8, 16)
    evs = [PointEvidence(cf(str(sp.Rational(d, 2))), rk(d), None, 0.0, at_point=MINIMUM)
           for d in ds]
    r = judge_claim(_sc(predicted="d/3"), [({"d": d}, e) for d, e in zip(ds, evs, strict=True)])
    assert {p.verdict.verdict for p in r.points} == {"refuted"}
    assert (r.verdict.verdict, r.verdict.grade) == ("refuted", "certified"), r.verdict.reason
    assert "the fit of its shape: confirmed" in r.verdict.reason
    r = judge_claim(_sc(predicted="d/2"), [({"d": d}, e) for d, e in zip(ds, evs, strict=True)])
    assert r.verdict.verdict == "confirmed", r.verdict.reason


def test_contradicting_certified_facts_at_a_scaling_point_are_an_error():
    ev = PointEvidence(cf("3"), rk(4), None, 0.0, at_point=MINIMUM)  # 3 against rank 4 / 2
    c = _sc()
    v = point_verdict(c, {"d": 4}, ev, c.predicted_at({"d": 4}), {})
    assert v.verdict == "error" and "routes contradict" in v.reason, v.reason
    ds = (1, 2, 4, 8, 16)
    evs = [PointEvidence(cf(str(sp.Rational(d, 2))), rk(d), None, 0.0, at_point=MINIMUM)
           for d in ds]
    evs[2] = ev
    r = judge_claim(c, [({"d": d}, e) for d, e in zip(ds, evs, strict=True)])
    assert r.verdict.verdict != "confirmed" and "routes contradict" in r.verdict.reason


def test_an_undecided_scaling_claims_groups_hold_at_the_reruns_or_are_inconclusive():
    """Group k = 1 fits d at the estimator's settings and 2d at ε / 2; group k = 2 failed its
    diagnostics, so the claim is inconclusive — and its reach said 'confirmed at k = 1',
    a verdict no rerun had checked."""
    from slttheory.models.registry import Family, ParamSpec

    two = {**FAMILIES, "two": Family("two", "two", (ParamSpec("d", int, 1, 20),
                                                    ParamSpec("k", int, 1, 20)),
                                     FAMILIES["fake_regular"].build, None, None)}
    c = _sc(coefs=[1], grid={"d": [1, 2, 4, 8, 16], "k": [1, 2]}, family="two", families=two,
            evidence=["llc"])
    items = []
    for k in (1, 2):
        for d in (1, 2, 4, 8, 16):
            rr = tuple(Rerun(s, (2.0 if s == "ε / 2" else 1.0) * d, 1e-6, True)
                       for s in ("γ × 3", "γ / 3", "ε / 2"))
            ev = lc(1.0 * d, se=1e-6, reruns=rr, passed=k == 1)
            items.append(({"d": d, "k": k}, PointEvidence(None, None, ev, 0.0,
                                                          at_point=MINIMUM)))
    r = judge_claim(c, items, controls(spread=0.005))
    assert r.verdict.verdict == "inconclusive"
    assert dict(r.verdict.groups)["k=1"] == "inconclusive", r.verdict.groups
    assert "do not hold again at γ × 3, γ / 3 and ε / 2" in r.verdict.reason
    steady = [(q, replace(e, llc=replace(e.llc, reruns=tuple(
        Rerun(x.setting, e.llc.mean, 1e-6, True) for x in e.llc.reruns)))) for q, e in items]
    r = judge_claim(c, steady, controls(spread=0.005))
    assert dict(r.verdict.groups)["k=1"] == "confirmed", r.verdict.groups


def test_report_grades_a_fitted_llc_by_its_band():
    """A scaling claim without coefficients predicts no value per point; its fitted,
    controlled LLCs were labelled 'uncontrolled' with no band in report.json."""
    from slttheory.verify.report.data import claim_json

    ds = (1, 2, 4, 8, 16)
    items = [({"d": d}, PointEvidence(None, None, lc(1.0 * d, se=1e-6), 0.0, at_point=MINIMUM))
             for d in ds]
    r = judge_claim(_sc(), items, controls(spread=0.005))
    assert (r.verdict.verdict, r.verdict.grade) == ("confirmed", "controlled"), r.verdict.reason
    llc = claim_json(r)["points"][2]["llc"]
    assert llc["grade"] == "controlled" and llc["band"]["controlled"], llc


def test_would_decide_says_what_the_rank_bounds_at_this_w_star():
    """A trained w* has no rank of its own: the generic rank bounds nothing there, and the
    reason said 'its rank bounds λ only from below' (an outside review)."""
    c = claim(predicted="d")
    trained = replace(rk(4, n=8, determines=False), point_rank=None)
    v = V(c, PointEvidence(None, trained, None, 0.0))
    assert "the generic rank alone bounds nothing at this w*" in v.reason, v.reason
    at_w = replace(rk(4, n=8, determines=False), point_rank=2, point_rank_certified=True)
    v = V(c, PointEvidence(None, at_w, None, 0.0))
    assert "its rank at w* bounds λ only from below" in v.reason, v.reason


def test_a_point_no_fit_took_is_not_in_its_groups_reach():
    """The reach of a scaling claim is its groups' verdicts, but a point its group's fit left
    out (failed diagnostics here) was listed among the refuted ones."""
    from slttheory.verify.report.data import claim_json

    ds = (1, 2, 4, 8, 16)
    evs = [PointEvidence(cf(str(sp.Rational(d, 2))), rk(d), None, 0.0, at_point=MINIMUM)
           for d in ds[:-1]]
    evs.append(PointEvidence(None, None, lc(8.0, passed=False), 0.0, at_point=MINIMUM))
    r = judge_claim(_sc(coefs=[1]), [({"d": d}, e) for d, e in zip(ds, evs, strict=True)])
    assert (r.verdict.verdict, r.verdict.grade) == ("refuted", "certified"), r.verdict.reason
    assert r.verdict.left_out == ("d=16",)
    scopes = claim_json(r)["scopes"]
    assert scopes == {"refuted": "d ∈ {1, 2, 4, 8}", "inconclusive": "d = 16"}, scopes


# --- an outside audit of scaling claims on exact values (2026-12-04) ----------------------


def _toml_claim(text):
    from slttheory.verify.claims import read_toml

    head = ('id = "s"\ntitle = "t"\nsource = "s 2020"\nfamily = "fake_regular"\n'
            'kind = "scaling"\nevidence = ["closed_form", "llc"]\n')
    return parse_claim(read_toml(head + text, "s.toml"), "s.toml", FAMILIES)


def _exact(c, fn, ds=(1, 2, 3, 4, 5)):
    return judge_claim(c, [({"d": d}, PointEvidence(cf(str(fn(sp.Integer(d)))), None, None,
                                                    0.0, at_point=MINIMUM)) for d in ds])


def test_a_coefficient_keeps_its_written_places():
    """λ = d²/4 + d/4: "0.30, 0.20" stands for [0.295, 0.305] and [0.195, 0.205] and is
    refuted; the float 0.2 had lost the written place and confirmed it within ± 0.05."""
    lam = lambda d: d**2 / 4 + d / 4  # noqa: E731
    grid = '[grid]\nd = [1, 2, 3, 4, 5]\n'
    for coefs, want in (("[0.30, 0.20]", "refuted"), ("[0.3, 0.2]", "confirmed"),
                        ("[0.2, 0.3]", "confirmed"), ("[0.20, 0.30]", "refuted"),
                        ("[0.25, 0.250]", "confirmed")):
        c = _toml_claim(f'[scaling]\nvariable = "d"\nshape = "quadratic"\n'
                        f'coefficients = {coefs}\n{grid}')
        r = _exact(c, lam)
        assert r.verdict.verdict == want, (coefs, r.verdict.reason)
    c = _toml_claim('[scaling]\nvariable = "d"\nshape = "quadratic"\n'
                    f'coefficients = [0.30, 0.20]\n{grid}')
    assert "vs stated 0.30" in _exact(c, lam).verdict.reason


def test_relation_on_a_scaling_claim_applies_to_predicted_only():
    with pytest.raises(ClaimError, match="relation"):
        _toml_claim('relation = "<="\n[scaling]\nvariable = "d"\nshape = "linear"\n'
                    'coefficients = [1]\n[grid]\nd = [1, 2, 3, 4]\n')
    with pytest.raises(ClaimError, match="relation.*without `predicted`"):
        _toml_claim('relation = "<="\n[scaling]\nvariable = "d"\nshape = "linear"\n'
                    '[grid]\nd = [1, 2, 3, 4]\n')
    c = _toml_claim('predicted = "d"\nrelation = "<="\n[scaling]\nvariable = "d"\n'
                    'shape = "linear"\n[grid]\nd = [1, 2, 3, 4, 5]\n')
    assert _exact(c, lambda d: d / 2).verdict.verdict == "confirmed"


def test_a_scaling_claims_fit_confirms_only_where_every_point_is_confirmed():
    """λ ≤ d/2 + 1/4 and linear in d (the soundness grid of bounds): the bound holds for
    every model of d parameters, so every point is inconclusive, and the fit alone had
    confirmed the claim (certified)."""
    c = _toml_claim('predicted = "d/2 + 1/4"\nrelation = "<="\n[scaling]\nvariable = "d"\n'
                    'shape = "linear"\n[grid]\nd = [1, 2, 3, 4, 5]\n')
    items = [({"d": d}, PointEvidence(cf(str(sp.Rational(d, 2))), None, None, 0.0,
                                      at_point=replace(MINIMUM, checks={**MINIMUM.checks,
                                                                        "n_params": d})))
             for d in (1, 2, 3, 4, 5)]
    r = judge_claim(c, items)
    assert {p.verdict.verdict for p in r.points} == {"inconclusive"}
    assert r.verdict.verdict == "inconclusive", r.verdict.reason
    assert "not confirmed at every point" in r.verdict.reason
    assert "the fit of its shape: confirmed" in r.verdict.reason


def test_a_group_of_exact_values_too_short_to_fit_is_still_checked_against_the_coefficients():
    """A group cut to 2 values by the constraint (an audit's low-rank claim, r < d): its exact
    values 0.5·d against the stated −0.5·d² + 8·d were left undecided, 'a fit needs 3'."""
    from slttheory.models.registry import Family, ParamSpec

    two = {**FAMILIES, "two": Family("two", "two", (ParamSpec("d", int, 1, 20),
                                                    ParamSpec("k", int, 1, 20)),
                                     FAMILIES["fake_regular"].build, None, None)}
    c = parse_claim({"id": "s", "title": "t", "source": "s 2020", "family": "two",
                     "kind": "scaling", "evidence": ["llc"], "constraint": "d <= k + 1",
                     "grid": {"d": [1, 2, 3], "k": [1, 2]},
                     "scaling": {"variable": "d", "shape": "quadratic",
                                 "coefficients": [-0.5, 8]}}, "s.toml", two)
    for lam, want in ((lambda d: d / 2, "refuted"),
                      (lambda d: -d**2 / 2 + 8 * d, "inconclusive")):  # right, too few at k=1
        items = [({"d": d, "k": 1}, PointEvidence(cf(str(lam(sp.Integer(d)))), None, None, 0.0,
                                                  at_point=MINIMUM)) for d in (1, 2)]
        r = judge_claim(c, items)
        assert r.verdict.verdict == want, r.verdict.reason
        assert dict(r.verdict.groups)["k=1"] == want


def test_a_scaling_claims_reach_counts_its_fit_and_its_points():
    """predicted λ = d/2 holds at every point, but the stated quadratic shape is refuted:
    the reach said 'confirmed at every d' beside a refuted claim."""
    from slttheory.verify.report.data import claim_json

    c = _toml_claim('predicted = "d/2"\n[scaling]\nvariable = "d"\nshape = "quadratic"\n'
                    '[grid]\nd = [1, 2, 3, 5, 8]\n')
    r = _exact(c, lambda d: d / 2, ds=(1, 2, 3, 5, 8))
    assert r.verdict.verdict == "refuted", r.verdict.reason
    assert claim_json(r)["scopes"] == {"refuted": "d ∈ {1, 2, 3, 5, 8}"}


def test_would_decide_names_the_multiplicity_where_the_llc_failed():
    """The full profile's six-layer DLN (m = 3): its LLC failed its diagnostics, and 'would
    decide' asked for any controlled LLC, which no control of m ≤ 2 could give."""
    stated = replace(cf("2", standing="as_stated"), multiplicity="3")
    v = V(claim(), PointEvidence(stated, None, lc(2.0, passed=False), 0.0), ctl=controls())
    assert "controls of multiplicity at least 3" in v.reason, v.reason


def test_coefficients_in_exponent_form_and_beyond_the_fits_resolution():
    """An outside fuzzer: 1e0 read as 1 ± 0.5 confirmed a slope of 0.5 (the integer 1 is
    exact); 0e999999 confirmed any slope; 1e-4400 crashed the report; 0.50000000001 was
    confirmed for 0.5 (float64 fits cannot tell)."""
    grid = '[grid]\nd = [1, 2, 3, 4, 5]\n'
    for coef, want in (("1e0", "refuted"), ("0.1e1", "refuted"), ("5e-1", "confirmed"),
                       ("50e-2", "confirmed"), ("0.50", "confirmed")):
        c = _toml_claim(f'[scaling]\nvariable = "d"\nshape = "linear"\ncoefficients = [{coef}]'
                        f'\n{grid}')
        assert _exact(c, lambda d: d / 2).verdict.verdict == want, coef
    for coef in ("0e999999", "1e-4400", "0.50000000001", "12345678.5"):
        with pytest.raises(ClaimError, match="scaling.coefficients"):
            _toml_claim(f'[scaling]\nvariable = "d"\nshape = "linear"\ncoefficients = [{coef}]'
                        f'\n{grid}')


def test_a_scaling_claim_whose_every_point_errored_is_an_error_and_says_why():
    """Under --time-limit every rank route ran out of time: the claim read 'inconclusive: no
    controlled LLC values … the full profile runs it' (an acceptance run)."""
    ds = (1, 2, 3, 5)
    late = RankEvidence("error", error="out of time: the rank route ran past its limit of "
                        "0.001 s (--time-limit 0.001)")
    c = _sc(coefs=[0.5], ds=ds, evidence=("rank", "llc"))
    r = judge_claim(c, [({"d": d}, PointEvidence(None, late, None, 0.0)) for d in ds])
    assert r.verdict.verdict == "error" and "out of time" in r.verdict.reason, r.verdict.reason
    ok = [({"d": d}, PointEvidence(None, rk(d), None, 0.0)) for d in ds[:2]]
    r = judge_claim(c, ok + [({"d": d}, PointEvidence(None, late, None, 0.0)) for d in ds[2:]])
    assert r.verdict.verdict != "error" and "route errors (rank: out of time" in \
        r.verdict.reason, r.verdict.reason


def test_values_that_agree_to_the_compared_digits_decide_nothing_exactly():
    """d/2 − (√2 − 1)²⁵⁶ (1e-98 below d/2, written with an integer that cancels (1 + √2)²⁵⁶)
    was confirmed equal to λ = d/2, and 'λ < it' refuted, both certified: the 100-digit
    comparison counted |e| < 1e-90 as 0 (an outside fuzzer). Without a proof of equality the
    exact verdict is open; proved equalities and clear orders still decide."""
    import sympy as sp

    from slttheory.verify.judge.point import _exact_verdict

    s2 = sp.sqrt(2)
    integer = sp.expand((1 + s2) ** 256 + (1 - s2) ** 256)
    assert integer.is_Integer
    p = sp.Integer(1) + (1 + s2) ** 256 - integer  # = 1 − (√2 − 1)^256
    assert _exact_verdict(sp.Integer(1), sp.Integer(1), p, "==") == "open"
    assert _exact_verdict(sp.Integer(1), sp.Integer(1), p, "<") == "open"
    assert _exact_verdict(1, 1, sp.log(4) / 2 / sp.log(2), "==") == "confirmed"
    assert _exact_verdict(1, 1, sp.Integer(1) - sp.Rational(1, 2 ** 320), "==") == "refuted"


def test_logs_of_products_of_negatives_are_not_split():
    """log((1 − √2)(1 − √3)) is the log of a positive number; expanded with force=True it
    became log(1 − √2) + log(1 − √3), logs of negatives (2πi apart), so Z = a·log(…)+… that is
    exactly 0 compared as −4π²: λ > d/2 + 1 + Z was confirmed and λ ≤ d/2 + Z refuted, both
    certified (an outside audit)."""
    import sympy as sp

    from slttheory.verify.judge.point import _exact_verdict

    s2, s3 = sp.sqrt(2), sp.sqrt(3)
    z = (sp.log((1 - s2) * (1 - s3)) * sp.log((-1 - s2) * (-1 - s3) / 2)
         + sp.log((s2 - 1) * (s3 - 1)) ** 2)  # exactly 0, which nothing here proves
    one = sp.Integer(1)
    assert _exact_verdict(one, one, 2 + z, ">") == "refuted"
    assert _exact_verdict(one, one, 1 + z, "<=") == "open"
    assert _exact_verdict(one, one, 1 + z, "==") == "open"


def _rows(values, sigma, grade):
    """Rows of a scaling group as ``_controlled`` builds them: (x, λ, σ, evidence, grade)."""
    from types import SimpleNamespace

    ev = SimpleNamespace(llc=SimpleNamespace(config={"n": 1000}, control_key="K"))
    return [(float(x), float(v), float(sigma(x, v)), ev if grade == "controlled" else None,
             grade) for x, v in values]


def test_a_shared_control_bias_does_not_refute_coefficients_every_band_holds():
    """λ = d/2 read as 0.44·d at d = 1..8, each band ±14 % (mostly the controls' bias
    envelope, shared by the points) and holding d/2: the fit's per-point σ shrank the
    coefficient's s.e. to 0.011 and refuted the stated 0.5 (an outside audit). A coefficient
    is now refuted only beyond the band's shared part too; 0.30·d still refutes it."""
    from slttheory.verify.judge.scaling import _judge_group

    c = scaling_claim([0.5], shape="linear", ds=tuple(range(1, 9)))
    def band(x, v):  # σ = a quarter of the band's width, ±14 %
        return 0.14 * v / 2

    near = _rows([(d, 0.44 * d) for d in range(1, 9)], band, "controlled")
    assert _judge_group(c, {}, near)[0] != "refuted"
    far = _rows([(d, 0.30 * d) for d in range(1, 9)], band, "controlled")
    v, why, _, _ = _judge_group(c, {}, far)
    assert v == "refuted" and "coefficient" in why, why


def test_a_mixed_groups_certified_values_alone_refute_with_certainty():
    """RRR (4, 4, h, 0): λ at h = 1..6 fixed exactly, parity term and all, rejects
    c₂h² + c₁h; one controlled point at h = 7 turned that refutation into a controlled one
    (which the reruns then left inconclusive, an outside audit). The certified values alone
    now refute it, and say so."""
    from slttheory.formulas import reduced_rank_regression
    from slttheory.verify.judge.scaling import _judge_group

    c = scaling_claim(shape="quadratic", ds=tuple(range(1, 8)))
    lam = {h: reduced_rank_regression(4, 4, h).value for h in range(1, 8)}
    rows = _rows([(h, lam[h]) for h in range(1, 7)], lambda x, v: 0.0, "certified") + \
        _rows([(7, lam[7])], lambda x, v: 0.5, "controlled")
    v, why, _, on_certified = _judge_group(c, {}, rows)
    assert (v, on_certified) == ("refuted", True), why
    assert "certified values alone" in why


def test_an_llc_only_claim_still_knows_the_points_multiplicity():
    """With evidence = ["llc"] no closed form ran, so the multiplicity guard saw none: u₁⋯u₅
    and u₁⋯u₆ (λ = ½, m = 5, 6) were refuted (controlled) by bands reading 60–96 % low, and
    λ ≤ 3/8 confirmed (an outside audit). The family's formula's multiplicity is now recorded
    with w* for such claims, as a guard only."""
    from slttheory.models import FAMILIES as REAL
    from slttheory.verify.evidence.routes import with_formula_multiplicity
    from slttheory.verify.judge.facts import stated_multiplicity

    fam = REAL["normal_crossing"]
    q = fam.validate({"powers": (1, 1, 1, 1, 1)})
    at = with_formula_multiplicity(AtPoint("ok"), fam, q)
    assert at.extras["formula_multiplicity"] == 5
    ev = PointEvidence(None, None, None, 0.0, at_point=at)
    assert stated_multiplicity(ev) == (5, "normal_crossing")
    assert with_formula_multiplicity(AtPoint("error", error="x"), fam, q).extras == {}


# --- boundaries an outside mutation audit found untested -----------------------------------


def test_strict_relations_are_not_confirmed_at_the_bound_they_equal():
    """λ ≤ 2 proves nothing about λ < 2, nor λ ≥ 2 about λ > 2 (a mutant confirming both
    survived the suite)."""
    orbit = AtPoint("ok", checks=MIN_CHECK,
                    orbit={"dimension": 26, "n_params": 30, "how": "an orbit"})  # λ ≤ 2
    assert V(claim("d/2", relation="<"), PointEvidence(None, None, None, 0.0, orbit)
             ).verdict == "inconclusive"
    assert V(claim("d/2", relation="<="), PointEvidence(None, None, None, 0.0, orbit)
             ).verdict == "confirmed"
    ev = PointEvidence(None, rk(8, determines=False, point=4, inputs=True), None, 0.0)  # λ ≥ 2
    assert V(claim("d/2", relation=">"), ev).verdict == "inconclusive"
    assert V(claim("d/2", relation=">="), ev).verdict == "confirmed"


def test_the_symmetry_orbit_bound_is_exactly_half_the_codimension():
    """(30 − 4)/2 = 13, neither 12.5 nor 13.5 (both mutants survived)."""
    at = AtPoint("ok", checks=MIN_CHECK, orbit={"dimension": 4, "n_params": 30,
                                              "how": "2 units × 2"})
    ev = PointEvidence(None, None, None, 0.0, at)
    assert V(claim("d + 9", relation="<="), ev).verdict == "confirmed"       # λ ≤ 13
    assert V(claim("d + 35/4", relation=">"), ev).verdict == "inconclusive"  # 12.75 < 13


def test_two_usable_controls_of_three_build_no_band():
    runs = controls()[KEY].runs
    two = tuple(r if i >= 3 else ControlRun(**{**r.__dict__, "passed": False})
                for i, r in enumerate(runs))
    b = llc_band(2.0, 0.05, ControlSet(KEY, {}, two))
    assert not b.controlled and "only 2 of 3 controls usable" in b.why


def test_an_equal_band_confirms_at_its_tolerance_and_not_beyond():
    from slttheory.verify.judge.facts import band_verdict
    from slttheory.verify.judge.llc import Band

    assert band_verdict(Band(True, 0.75, 1.25), 1.0, "==", 0.25) == "confirmed"
    assert band_verdict(Band(True, 0.5, 1.5), 1.0, "==", 0.25) == "open"
    # each end on its own: a band within P + tol above but reaching below P − tol, and the
    # mirror, are open (every λ the band admits must be within the tolerance)
    assert band_verdict(Band(True, 0.5, 1.125), 1.0, "==", 0.25) == "open"
    assert band_verdict(Band(True, 0.875, 1.5), 1.0, "==", 0.25) == "open"
    assert band_verdict(Band(True, 0.875, 1.125), 1.0, "==", 0.25) == "confirmed"


def test_the_controls_agreement_p_value():
    """Biases 0, 0, +3 %, each control's spread 0.02 over 3 data sets: χ² = 4.5 on 2 degrees of
    freedom, p = e^(−2.25) (mutants of its degrees of freedom and error scale survived)."""
    b = llc_band(2.0, 0.05, controls(biases=(0.0, 0.0, 0.03))[KEY])
    assert b.controlled and b.agreement_p == pytest.approx(math.exp(-2.25), rel=1e-6)


def test_an_estimate_at_or_below_zero_builds_no_band():
    """λ > 0 wherever the loss is not flat: λ̂ = −1e-4 ± 2e-4 (a rerun of u₁⋯u₆ at γ × 3, its
    diagnostics passed) built a band near 0 that refuted λ = ½ (an outside audit)."""
    b = llc_band(-1e-4, 2e-4, controls()[KEY])
    assert not b.controlled and "not above 0" in b.why
    assert llc_band(2.0, 0.05, controls()[KEY]).controlled


def test_values_apart_by_more_than_the_compared_digits_still_decide():
    """1 − (√2 − 1)¹⁶⁰, 5e-62 below 1, written so that no assumption decides its sign: beyond
    the 10⁻⁹⁰ of the 100-digit comparison it is refuted as ≠ 1 (a threshold of 10⁻⁴⁰ survived
    the suite, an outside mutation audit)."""
    from slttheory.verify.judge.point import _exact_verdict

    s2 = sp.sqrt(2)
    integer = sp.expand((1 + s2) ** 160 + (1 - s2) ** 160)
    assert integer.is_Integer
    p = sp.Integer(1) + (1 + s2) ** 160 - integer  # = 1 − (√2 − 1)^160
    assert _exact_verdict(sp.Integer(1), sp.Integer(1), p, "==") == "refuted"


def test_exact_values_quote_exact_coefficients_not_round_off():
    """λ = 1 at every m, stated affine with slope 1: the reason had quoted "the coefficient of
    m = 5.17e-17 (from exact values)" and a rival "-1.104e-18·m·log m" (an outside walk-
    through). Exact values quote the exact fit's coefficients, and round-off reads as 0."""
    import sympy as sp

    xs = [6, 7, 8, 9]
    c = parse_claim({"id": "s", "title": "t", "source": "Someone 2020",
                     "family": "fake_regular", "kind": "scaling",
                     "evidence": ["closed_form", "llc"], "grid": {"d": xs},
                     "scaling": {"variable": "d", "shape": "affine",
                                 "coefficients": [1.0, 0]}}, "s.toml", FAMILIES)
    evs = [PointEvidence(cf(sp.Integer(1)), None, None, 0.0) for _ in xs]
    v = scaling_verdict(c, [{"d": d} for d in xs], evs, {})
    assert (v.verdict, v.grade) == ("refuted", "certified"), v.reason
    assert "the coefficient of d = 0 (from exact values)" in v.reason, v.reason
    assert "the constant term = 1 (from exact values)" in v.reason
    assert "e-1" not in v.reason, v.reason  # no round-off quoted anywhere


# --- rules a mutation audit found untested (each test fails under its mutant) --------------


def test_a_rerun_that_failed_its_diagnostics_leaves_the_llc_uncontrolled():
    """A rerun whose diagnostics failed keeps its finite mean in the store; reading that mean
    as agreement had confirmed (controlled) a point whose robustness is unknown."""
    rr = (Rerun("γ × 3", 2.0, 0.02, False, ("R-hat 1.3 > 1.05",)),
          Rerun("γ / 3", 2.0, 0.02, True), Rerun("ε / 2", 2.0, 0.02, True))
    v = V(claim(), PointEvidence(None, None, lc(2.0, reruns=rr), 0.0), ctl=controls(spread=0.01))
    assert v.verdict == "inconclusive" and "failed its diagnostics" in v.reason, v.reason


def test_controls_that_disagree_at_p_0_001_leave_the_llc_uncontrolled():
    """AGREE_P = 0.01: controls whose biases disagree at χ² p ≈ 0.001 give no band (a
    threshold of 10⁻⁴ had let them refute)."""
    ctl = controls(biases=(0.0, -0.13, 0.0), spread=0.05)
    band = llc_band(2.0, 0.02, ctl[KEY])
    assert not band.controlled and 1e-4 < band.agreement_p < 0.01, band
    v = V(claim("d"), PointEvidence(None, None, lc(2.0), 0.0), ctl=ctl)
    assert v.verdict == "inconclusive" and "disagree" in v.reason, v.reason


def test_the_band_is_never_narrower_than_the_controls_own_errors():
    """Controls that read λ exactly on average but each with a standard error of 20 % of λ:
    the band keeps their errors (without that floor it was ±2 % and refuted d/2 + 1/4)."""
    runs = tuple(ControlRun("regular", {"d": int(4 * lam)}, "regular", str(lam), 1, "rank", s,
                            mean=lam, std_error=0.2 * lam, passed=True)
                 for lam in (2.0, 0.5, 0.25) for s in range(3))
    ctl = {KEY: ControlSet(KEY, {}, runs)}
    v = V(claim("d/2 + 1/4"), PointEvidence(None, None, lc(2.0), 0.0), ctl=ctl)
    assert v.verdict == "inconclusive", v.reason
    band = llc_band(2.0, 0.02, ctl[KEY])
    assert band.controlled and band.high - band.low > 1.0, band


def test_controls_of_unknown_multiplicity_do_not_decide_a_point_of_higher_stated_one():
    """The point's formula states m = 3; controls whose multiplicity no formula states cannot
    show that the estimator's bias there is theirs (an m = 3 crossing reads 30–50 % low)."""
    runs = tuple(ControlRun("plugin", {"d": int(4 * lam)}, "generic", str(lam), None, "rank", s,
                            mean=lam * (1 + e * 0.01), std_error=0.001 * lam, passed=True)
                 for lam in (2.0, 0.5, 0.25) for s, e in enumerate((-1.0, 0.0, 1.0)))
    ctl = {KEY: ControlSet(KEY, {}, runs)}
    cf3 = ClosedFormEvidence("ok", value="2", exact=True, multiplicity="3", case="c",
                             source="X 2020", standing="as_stated", reference="X 2020",
                             formula="f")
    v = V(claim("d"), PointEvidence(cf3, None, lc(2.0), 0.0), ctl=ctl)
    assert v.verdict == "inconclusive", v.reason


def test_an_estimate_of_exactly_zero_gives_no_band():
    """λ̂ = 0.0 is not above 0: no band (one around 0 had refuted λ = 2)."""
    v = V(claim(), PointEvidence(None, None, lc(0.0, se=0.02), 0.0), ctl=controls(spread=0.01))
    assert v.verdict == "inconclusive" and "not above 0" in v.reason, v.reason


def test_a_band_whose_lower_end_is_the_bound_does_not_confirm_greater_than():
    """"λ > P" needs the band above P: its lower end equal to P leaves it open (the "<" side
    and the certified facts were tested at their bounds, this one was not)."""
    from slttheory.verify.judge.facts import band_verdict
    from slttheory.verify.judge.llc import Band

    assert band_verdict(Band(True, 1.0, 1.5), 1.0, ">", 0.0) == "open"
    assert band_verdict(Band(True, 1.0 + 1e-9, 1.5), 1.0, ">", 0.0) == "confirmed"


def test_a_rival_shape_that_fits_at_p_0_17_blocks_a_confirmation():
    """λ = d/2 at d = 2..6 with bands of ±50 %: c·d·log d fits too (p = 0.17), so the shape is
    not established (a threshold of 0.5 had confirmed it); at ±40 % the rival is rejected
    (p = 0.04) and the shape confirmed. Its stated coefficient 0.5 is not: bands of ±40 %,
    mostly their controls' shared bias, leave it known to ±40 %, not to coef_rel = 5 % (an
    equivalence test, as a point's band; it had been confirmed within 5 % + 2 s.e.)."""
    from slttheory.verify.judge.scaling import _judge_group

    ds = (2, 3, 4, 5, 6)
    c = scaling_claim([0.5], shape="linear", ds=ds)
    wide = _rows([(d, 0.5 * d) for d in ds], lambda x, v: 0.25 * v, "controlled")
    v, why, _, _ = _judge_group(c, {}, wide)
    assert v == "inconclusive" and "rival xlogx shape is not rejected (p = 0.171)" in why, why
    narrow = _rows([(d, 0.5 * d) for d in ds], lambda x, v: 0.2 * v, "controlled")
    assert _judge_group(scaling_claim(None, shape="linear", ds=ds), {}, narrow)[0] == \
        "confirmed"
    v, why, _, _ = _judge_group(c, {}, narrow)
    assert v == "inconclusive" and "cannot confirm: the coefficient of d" in why, why
    precise = _rows([(d, 0.5 * d) for d in ds], lambda x, v: 0.005 * v, "controlled")
    assert _judge_group(c, {}, precise)[0] == "confirmed"   # ±1 % bands: within 5 %


def test_a_stated_coefficient_confirms_only_with_its_interval_and_shared_bias_within():
    """The equivalence rule for a stated coefficient, term by term: |fit − stated| + 2 s.e. +
    shared bias·|fit| ≤ t (t = 0.075 for a stated 0.5: its rounding 0.05 plus coef_rel 5 %).
    Each case below confirms if any one term is dropped or shrunk (1 s.e. for 2, no shared
    bias, the bias signed with a negative coefficient); exact values with no rounding to spare
    (a stated 1, t = 0) confirm at a difference of exactly 0."""
    from slttheory.verify.judge.scaling import _judge_group

    def judged(coefs, shape, ds, fn, rel):
        rows = _rows([(d, fn(d)) for d in ds], lambda x, v: rel * v, "controlled")
        return _judge_group(scaling_claim(coefs, shape=shape, ds=ds), {}, rows)[:2]

    # s.e. 0.0074, shared bias 8 %: 0.022 + 2·0.0074 + 0.08·0.522 = 0.0785 > 0.075
    # (with 1 s.e., 0.0711)
    v, why = judged([0.5], "linear", tuple(range(1, 9)), lambda d: 0.522 * d, 0.04)
    assert v == "inconclusive" and "cannot confirm: the coefficient of d = 0.522" in why, why
    # on the nose, s.e. 0.0125, shared bias 20 %: 0 + 0.025 + 0.1 > 0.075 (without the bias,
    # 0.025)
    v, why = judged([0.5], "linear", tuple(range(1, 17)), lambda d: 0.5 * d, 0.1)
    assert v == "inconclusive" and "cannot confirm: the coefficient of d = 0.5" in why, why
    # a negative slope: 0.07 + 2·0.0022 + 0.02·|−0.57| = 0.0857 > 0.075 (the bias signed with
    # the slope, 0.0629); the constant 10 is within its 0.5
    v, why = judged([-0.5, 10], "affine", tuple(range(1, 17)), lambda d: 10 - 0.57 * d, 0.01)
    assert v == "inconclusive" and "coefficient of d = -0.57" in why, why
    assert "constant term" not in why.split("cannot confirm")[1], why
    assert judged([-0.5, 10], "affine", tuple(range(1, 17)), lambda d: 10 - 0.5 * d,
                  0.01)[0] == "confirmed"
    xs = [1, 2, 3, 5, 8]
    c = parse_claim({"id": "s", "title": "t", "source": "Someone 2020",
                     "family": "fake_regular", "kind": "scaling",
                     "evidence": ["closed_form", "llc"], "grid": {"d": xs},
                     "scaling": {"variable": "d", "shape": "linear", "coefficients": [1]}},
                    "s.toml", FAMILIES)
    v = scaling_verdict(c, [{"d": d} for d in xs],
                        [PointEvidence(cf(d), None, None, 0.0) for d in xs], {})
    assert (v.verdict, v.grade) == ("confirmed", "certified"), v.reason
    assert "match up to their rounding" in v.reason, v.reason


def test_settings_that_change_along_a_sweep_under_one_control_key_block_a_fit():
    """Every fitted point is corrected by the controls of its own rules' key; settings that
    differ under one key (or points without controls) are not corrected for, and say so."""
    from slttheory.verify.judge.scaling import _settings_drift

    def ev(nbeta, key):
        return PointEvidence(None, None, lc(1.0, key=key, config={"nbeta": nbeta, "n": 1000}),
                             0.0)

    assert _settings_drift([ev(100.0, "a"), ev(200.0, "b")]) == ""  # each its own controls
    assert _settings_drift([ev(100.0, "a"), ev(100.0, "a")]) == ""
    shared = _settings_drift([ev(100.0, "a"), ev(200.0, "a")])
    assert "nbeta" in shared and "not corrected for" in shared
    assert "nbeta" in _settings_drift([ev(100.0, None), ev(200.0, None)])
    # and the fit does not confirm across such points
    from types import SimpleNamespace

    from slttheory.verify.judge.scaling import _judge_group

    ds = (2, 3, 4, 5, 6)
    rows = [(float(d), 0.5 * d, 0.01 * d, SimpleNamespace(llc=SimpleNamespace(
        config={"nbeta": 100.0 * d}, control_key="K")), "controlled") for d in ds]
    v, why, _, _ = _judge_group(scaling_claim([0.5], shape="linear", ds=ds), {}, rows)
    assert v == "inconclusive" and "not corrected for by per-point controls" in why, why


def test_a_point_sampled_at_its_true_parameter_is_not_told_to_find_a_minimum():
    """At a family's true parameter of noisy data w* = w0 is no minimum of L_n, yet the LLC
    route samples there with the symmetrised estimand, which needs none; a quick-profile
    point that ran no LLC had read "would decide: … an LLC at a w* that is a local minimum of
    L_n (none at this w* decides)", which the full profile contradicts (an outside reading)."""
    from slttheory.verify.judge.point import not_a_minimum

    saddle = {"is_local_min": False, "reason": "not a critical point of L_n"}
    at_w0 = AtPoint("ok", checks=saddle, extras={"true_parameter": True})
    elsewhere = AtPoint("ok", checks=saddle)
    ev = PointEvidence(cf(2), None, None, 0.0, at_point=at_w0)
    assert not_a_minimum(ev) == ""
    assert "not a local minimum" in not_a_minimum(PointEvidence(cf(2), None, None, 0.0,
                                                                at_point=elsewhere))


def test_an_upper_bound_the_dimension_implies_asserts_nothing():
    """λ ≤ d/2 holds for every model of d parameters: a bound at or above it is confirmed by
    the dimension alone and says nothing of the claim (an outside reading: Cor. 5.3's bound
    equals pK/2 = d/2 wherever K ≤ p(2p − 1), and had counted as a confirmation)."""
    ev = PointEvidence(None, rk(3, n=4), None, 0.0)  # λ = 3/2, d = 4
    v = V(claim("d/2", relation="<="), ev)
    assert v.verdict == "inconclusive" and "holds for every model of this dimension" in v.reason
    assert V(claim("d", relation="<"), ev).verdict == "inconclusive"
    assert V(claim("d/2 - 1/4", relation="<="), ev).verdict == "confirmed"  # 3/2 ≤ 7/4 < 2
    assert V(claim("d/2 - 1", relation="<="), ev).verdict == "refuted"  # 3/2 > 1
    assert V(claim("d/2", relation=">="), ev).verdict == "refuted"  # 3/2 < 2


def test_a_hypothesis_no_w_star_can_meet_asks_for_other_sizes():
    """Where the family's measurement says no w* at these sizes can meet a hypothesis
    (``possible`` false: a dimension count), what would decide is other sizes, not another
    w*."""
    hyp = {"name": "stage II", "statement": "s", "measured": "rank 6 (needs 10)", "met": False}
    c = claim(hypotheses=["stage II"])
    v = V(c, PointEvidence(None, rk(4), None, 0.0, AtPoint("ok", hypotheses=(
        {**hyp, "possible": False},))))
    assert v.verdict == "inconclusive"
    assert "would decide: other sizes: stage II cannot hold at any w* of these" in v.reason
    v = V(c, PointEvidence(None, rk(4), None, 0.0, AtPoint("ok", hypotheses=(hyp,))))
    assert "would decide: a w* at which stage II holds" in v.reason


def test_a_hypothesis_measured_twice_is_met_only_where_every_measurement_says_so():
    """met = None is never read as met: a family (a plugin) that measures a name twice, once
    met and once undecided, had the point confirmed (certified) by the exact rank; a met
    that is no bool (1, "false") is undecided too, and the reason quotes it rather than
    saying that no measurement was made (an audit of the hypothesis rules)."""
    hyp = {"name": "stage II", "statement": "s", "measured": "m", "met": True}
    c = claim(hypotheses=["stage II"])
    for second in (None, 1, "false"):
        at = AtPoint("ok", hypotheses=(hyp, {**hyp, "met": second}))
        v = V(c, PointEvidence(None, rk(4), None, 0.0, at))
        assert v.verdict == "inconclusive" and "stage II: s undecided as measured" in v.reason
        assert "would give: confirmed" in v.reason and "no measurement" not in v.reason
    v = V(c, PointEvidence(None, rk(4), None, 0.0, AtPoint("ok", hypotheses=(hyp, hyp))))
    assert (v.verdict, v.grade) == ("confirmed", "certified")


def test_an_unmet_hypothesis_at_a_bound_every_model_meets_says_nothing_would_decide():
    """A hypothesis not met at a point whose prediction λ ≤ d/2 holds for every model said
    'the certified facts alone would give: confirmed' (cor5.3 at K = 4: an outside theorist's
    review): they would decide nothing, and a w* where it holds would not either."""
    at = AtPoint("ok", hypotheses=({"name": "stage II", "statement": "s",
                                    "measured": "residual 0.9", "met": False},))
    ev = PointEvidence(None, rk(3, n=4), None, 0.0, at)  # λ = 3/2, d = 4
    v = V(claim("d/2", relation="<=", hypotheses=["stage II"]), ev)
    assert v.verdict == "inconclusive" and "hypothesis not met" in v.reason
    assert "would decide nothing" in v.reason and "would give" not in v.reason
    assert "a point where the bound is below d/2" in v.reason
    v = V(claim("d/2 - 1/4", relation="<=", hypotheses=["stage II"]), ev)
    assert "the certified facts alone would give: confirmed" in v.reason


@pytest.mark.parametrize(("predicted", "relation", "verdict"), [
    ("0", ">=", "inconclusive"), ("-1", ">=", "inconclusive"), ("-1/4", ">", "inconclusive"),
    ("0", ">", "confirmed"),        # λ > 0 says something: a certified λ = 3/2 confirms it
    ("1", ">=", "confirmed"), ("2", ">=", "refuted"),
])
def test_a_lower_bound_every_model_meets_asserts_nothing(predicted, relation, verdict):
    """λ ≥ 0 for every model (K ≥ 0): "λ ≥ 0" had been confirmed as certified (an outside
    acceptance run), the mirror image of an upper bound at d/2."""
    ev = PointEvidence(None, rk(3, n=4), None, 0.0)  # λ = 3/2, d = 4
    v = V(claim(predicted, relation=relation), ev)
    assert v.verdict == verdict, v.reason
    if verdict == "inconclusive":
        assert "holds for every model (λ ≥ 0" in v.reason and "a lower bound above 0" in v.reason


def test_a_vacuous_lower_bound_is_not_decided_by_an_llc_either():
    """Without a certified fact, a controlled LLC reading λ̂ far below 0 must not refute
    "λ ≥ 0", nor one above confirm it: no route decides a bound every model meets."""
    for mean in (-1.0, 1.0):
        v = V(claim("0", relation=">=", evidence=["llc"]),
              PointEvidence(None, None, lc(mean), 0.0), ctl=controls())
        assert v.verdict == "inconclusive" and "asserts nothing" in v.reason


def test_a_w_star_check_that_failed_is_named_in_the_reason():
    """A plugin build whose targets had 999 rows for 1000 inputs: the critical-point check
    refused it, and only report.json said so while the rank decided (an outside plugin
    author's audit). The reason now names it beside the other route errors."""
    at = AtPoint("ok", checks={"error": "inputs have 1000 samples but targets (999,)"})
    v = V(claim(), PointEvidence(None, rk(4), None, 0.0, at_point=at))
    assert v.verdict == "confirmed" and "w* check: inputs have 1000 samples" in v.reason


def test_an_undecided_point_with_a_failed_route_asks_for_that_route_first():
    """A plugin build that raised left the point inconclusive with advice about formulas and
    arguments only, the error at the end of the reason (an outside usability audit): what
    would decide now names the failed route first."""
    err = RankEvidence("error", error="ValueError: oops in my rank map")
    v = V(claim(), PointEvidence(cf("2", standing="as_stated"), err, None, 0.0))
    assert v.verdict == "inconclusive"
    assert "would decide: the failed route(s) (rank: see [route errors]) run, then" in v.reason
    v = V(claim(), PointEvidence(cf("2", standing="as_stated"), None, None, 0.0))
    assert "failed route" not in v.reason


def test_an_llc_fit_allows_a_stated_coefficients_own_rounding():
    """A stated 0.2 stands for [0.15, 0.25] (README, Scaling claims): λ = 0.24·d from exact
    values confirms it, but the same line measured by precise controlled LLCs was refuted
    (coef_rel alone, 0.05·0.2, was the tolerance; an outside audit). The LLC fit now allows
    the rounding plus coef_rel; 0.30·d still refutes the stated 0.2."""
    from slttheory.verify.judge.scaling import _judge_group

    c = scaling_claim([0.2], shape="linear", ds=tuple(range(1, 9)))
    exact = _rows([(d, 0.24 * d) for d in range(1, 9)], lambda x, v: 0.0, "certified")
    assert _judge_group(c, {}, exact)[0] == "confirmed"
    near = _rows([(d, 0.24 * d) for d in range(1, 9)], lambda x, v: 0.0025 * v, "controlled")
    v, why, _, _ = _judge_group(c, {}, near)
    assert v == "confirmed", why
    far = _rows([(d, 0.30 * d) for d in range(1, 9)], lambda x, v: 0.0025 * v, "controlled")
    v, why, _, _ = _judge_group(c, {}, far)
    assert v == "refuted" and "coefficient" in why, why


def test_an_own_source_match_names_the_work_then_what_matched():
    """Where the match is not the claim citing the formula's reference itself, the note names
    the work the formula rests on, then what matched (it had read as if the matched paper were
    the reference, and then, "first author (Aoyagi) and its year (2005); the formula's
    reference: Aoyagi 2024 …", as a misattribution: an outside review)."""
    from slttheory.verify.judge.facts import closed_form_grade

    grade, note = closed_form_grade(claim(source="Watanabe's book"), cf("1"))
    assert grade == "context", note
    assert note == ("the claim's own source (Watanabe 2009; the claim names no year or arXiv "
                    "id, so it may be the same work): not evidence for itself")


@pytest.mark.parametrize("formula, args, source, work", [
    ("reduced_rank_regression", {"m": 2, "n": 3, "h": 2, "r": 0},
     "Aoyagi & Watanabe 2005, Neural Networks 18(7)",
     "Aoyagi & Watanabe 2005's main theorem, restated as Aoyagi 2024, Thm 1"),
    ("deep_linear_network", {"widths": (2, 2, 3), "r": 0}, "Aoyagi 2024, Neural Networks 172",
     "Aoyagi 2024, Thm 2 (with one hidden layer its Thm 1, which restates Aoyagi & Watanabe "
     "2005's main theorem)"),
    ("deep_linear_network", {"widths": (2, 2, 3), "r": 0},
     "Aoyagi & Watanabe 2005, Neural Networks 18(7)", "Aoyagi 2024, Thm 2 "),
])
def test_a_one_hidden_layer_own_source_credits_each_formula_to_its_own_work(
        formula, args, source, work):
    """At one hidden layer RRR and the DLN are each other's statement: the note credits each
    formula to its own source (the DLN formula is Aoyagi 2024, Thm 2, never "Aoyagi & Watanabe
    2005, main theorem") and says what the claim's citation mentions, one year of it."""
    from slttheory import formulas
    from slttheory.verify.evidence.routes import _closed_form_evidence, _with_reference
    from slttheory.verify.judge.facts import _closed_form_facts, closed_form_grade

    ev = _with_reference(_closed_form_evidence(getattr(formulas, formula)(**args), formula),
                         formula, args)
    grade, note = closed_form_grade(claim(source=source), ev)
    assert grade == "context", note
    assert note.startswith(f"the claim's own source ({work}"), note
    assert "first author" not in note and "formula's reference" not in note, note
    year = "2005" if "2005" in source.split(",")[0] else "2024"
    if not note.startswith("the claim's own source (the claim cites"):
        assert note.endswith(f"the claim's citation mentions Aoyagi and the year {year}): not "
                             "evidence for itself"), note
    text = _closed_form_facts(claim(source=source), ev, "independent closed form")[0].text
    assert f"from {work}" in text, text


# --- rule boundaries, each pinned (an audit of the README's rules against the judge) --------


def test_a_generic_rank_certifies_lambda_at_exactly_rank_certainty():
    """λ = rank/2 needs the Schwartz–Zippel bound at most RANK_CERTAINTY: at it, certified."""
    from slttheory.verify.evidence.records import RANK_CERTAINTY

    v = V(claim(), PointEvidence(None, rk(4, bound=RANK_CERTAINTY), None, 0.0))
    assert (v.verdict, v.grade) == ("confirmed", "certified"), v.reason
    v = V(claim(), PointEvidence(None, rk(4, bound=2 * RANK_CERTAINTY), None, 0.0))
    assert v.verdict == "inconclusive", v.reason


def test_a_strict_relation_is_refuted_by_a_band_that_starts_at_the_prediction():
    """λ < P where every λ in the band is ≥ P (its low end at P) is refuted; λ <= P is not."""
    from slttheory.verify.judge.facts import band_verdict
    from slttheory.verify.judge.llc import Band

    b = Band(True, 1.0, 1.5)
    assert [band_verdict(b, 1.0, r, 0.0) for r in ("<", "<=", ">=", ">")] == [
        "refuted", "open", "confirmed", "open"]
    assert [band_verdict(b, 1.5, r, 0.0) for r in (">", ">=", "<=", "<")] == [
        "refuted", "open", "confirmed", "open"]


def test_a_band_that_touches_a_proved_bound_is_not_outside_it():
    """A band that reaches a certified bound shares λ with it, so it still decides."""
    from slttheory.verify.judge.point import band_outside_proof

    one = sp.Integer(1)
    assert band_outside_proof(one, None, 0.5, 1.0) == ""
    assert band_outside_proof(None, one, 1.0, 2.0) == ""
    assert band_outside_proof(one, None, 0.5, 0.999) != ""
    assert band_outside_proof(None, one, 1.001, 2.0) != ""


def _certified_and_llc_groups(llc_groups):
    """A quadratic scaling claim over d and g: g = 1 certified λ = d/2 (not quadratic: refuted,
    certified); each other g has LLC values 5, 1, … (not quadratic) whose reruns are
    ``llc_groups[g](setting, d, mean)``, or none where that is ``None``."""
    gs = [1, *llc_groups]
    c = two_variable_scaling_claim("g", gs, {"variable": "d", "shape": "quadratic"},
                                   ("rank", "llc"))
    params, evs = [], []
    for g in gs:
        for d in (1, 2, 4, 8, 16):
            params.append({"d": d, "g": g})
            if g == 1:
                evs.append(PointEvidence(None, rk(d), None, 0.0, at_point=MINIMUM))
                continue
            mean, fn = (5.0 if d % 2 else 1.0), llc_groups[g]
            reruns = () if fn is None else tuple(
                Rerun(s, fn(s, d, mean), 1e-6, True) for s in ("γ × 3", "γ / 3", "ε / 2"))
            evs.append(PointEvidence(None, None, lc(mean, se=1e-6, reruns=reruns), 0.0,
                                     at_point=MINIMUM))
    return scaling_verdict(c, params, evs, controls(spread=0.005))


def test_a_certified_scaling_refutation_stands_beside_llc_groups_without_reruns():
    """A refutation on one group's certified values stands; a group decided by LLC values
    whose reruns are missing (or failed) is inconclusive. The claim had become 'inconclusive:
    the verdict cannot be checked at γ × 3', its certified refutation lost."""
    v = _certified_and_llc_groups({2: None})
    assert (v.verdict, v.grade) == ("refuted", "certified"), v.reason
    assert dict(v.groups) == {"g=1": "refuted", "g=2": "inconclusive"}, v.groups


def test_a_certified_scaling_refutation_marks_every_group_that_moves_at_any_rerun():
    """Beside a certified refutation, every LLC-decided group is rerun at all three settings:
    a group that moved only at ε / 2 kept its verdict once another had moved at γ × 3."""
    def at(label):
        return lambda s, d, m: 0.1 * d * d + d if s == label else m

    v = _certified_and_llc_groups({2: at("γ × 3"), 3: at("ε / 2")})
    assert (v.verdict, v.grade) == ("refuted", "certified"), v.reason
    assert dict(v.groups) == {"g=1": "refuted", "g=2": "inconclusive",
                              "g=3": "inconclusive"}, v.groups


def test_a_scaling_shape_is_rejected_below_p_0_01_and_not_above():
    """The stated shape refutes at χ² p < 0.01 (here 0.002) where no line lies within every
    band; at p = 0.003, values 1 % off 2·d in bands of ±1 %, the line 2·d lies within every
    band (at their edges), so the values do not refute it; at p = 0.0115 it neither refutes
    nor confirms (a confirmation needs p ≥ 0.05)."""
    def sweep(a):
        params, ev, ctl = scaled(lambda d: 2.0 * d * (1 + (a if d in (2, 8) else
                                                            -a if d in (4, 16) else 0)))
        v = scaling_verdict(scaling_claim(shape="linear"), params, ev, ctl)
        return v, next(f.p_value for f in v.fits if f.role == "stated")

    v, p = sweep(0.0103)
    assert v.verdict == "refuted" and 0.001 < p < 0.01, (p, v.reason)
    v, p = sweep(0.01)
    assert v.verdict == "inconclusive" and 0.001 < p < 0.01, (p, v.reason)
    assert "lies within every value's band" in v.reason, v.reason
    v, p = sweep(0.009)
    assert v.verdict == "inconclusive" and 0.01 < p < 0.05, (p, v.reason)
    assert "goodness of fit p = 0.0115 < 0.05" in v.reason, v.reason


def test_a_stated_coefficient_is_refuted_only_beyond_the_bias_its_values_share():
    """0.36·d against a stated 0.5, with bands of about ± 20 % from shared controls: off by
    more than coef_rel and 4 s.e., but not by 4 s.e. plus the shared relative bias (README:
    Scaling claims), so not refuted."""
    params, ev, ctl = scaled(lambda d: 0.36 * d, spread=0.1)
    v = scaling_verdict(scaling_claim([0.5], shape="linear"), params, ev, ctl)
    se = next(f.std_errors[0] for f in v.fits if f.role == "stated")
    assert 0.5 - 0.36 > max(4 * se, 0.05 * 0.5 + 0.05), se  # beyond 4 s.e., coef_rel + 0.05
    assert v.verdict == "inconclusive" and "cannot confirm" in v.reason, v.reason


def test_a_stated_coefficient_confirms_only_within_coef_rel_and_2_standard_errors():
    """0.36·d against a stated 0.5 with bands of about ± 30 %: within 4 s.e. of coef_rel, but
    not within 2: neither refuted nor confirmed."""
    params, ev, ctl = scaled(lambda d: 0.36 * d, spread=0.15)
    v = scaling_verdict(scaling_claim([0.5], shape="linear"), params, ev, ctl)
    se = next(f.std_errors[0] for f in v.fits if f.role == "stated")
    assert 0.075 + 2 * se < 0.5 - 0.36 < 0.075 + 4 * se, se
    assert v.verdict == "inconclusive" and "the coefficient of d = 0.36" in v.reason, v.reason


def test_contradicting_certified_facts_are_an_error_before_the_hypotheses_are_read():
    """Routes that contradict are a bug, and it must show even where a hypothesis fails."""
    failing = AtPoint("ok", checks={"is_local_min": True},
                      hypotheses=({"name": "stage II", "met": False, "measured": "no"},))
    c = replace(claim(), hypotheses=("stage II",))
    v = V(c, PointEvidence(cf("2"), rk(6), None, 0.0, at_point=failing))  # λ = 2 and λ = 3
    assert v.verdict == "error" and "routes contradict" in v.reason, v.reason


def test_a_control_that_reads_exactly_zero_gives_no_band_and_says_so():
    """A control with λ̂/λ = 0 (not only below 0) is an estimator failing on a model of known
    λ: no band is built on it, and the reason names it."""
    b = llc_band(2.0, 0.05, controls(biases=(0.0, 0.0, -1.0), spread=0.0)[KEY])
    assert not b.controlled and "reads λ̂/λ ≤ 0" in b.why, b.why


def test_a_reach_shows_its_constraint_as_mathematics():
    """An outside review: the reach read "with feature_rank <= p**2 - 1" and "(h <= 4 or
    r == h)", Python syntax; it shows ≤, ², = (the claim's constraint itself is unchanged)."""
    from slttheory.verify.judge.point import math_text

    grid = [{"p": p, "f": f} for p in (2, 3) for f in (3, 5, 8) if f <= p**2 - 1]
    pts = [(q, PointVerdict("confirmed", "c", "certified")) for q in grid]
    v = claim_verdict(pts, ["p", "f"], "f <= p**2 - 1")
    assert "with f ≤ p² − 1" in v.reason and "**" not in v.reason, v.reason
    assert math_text("n + r <= m + h and (h <= 4 or r == h)") == \
        "n + r ≤ m + h and (h ≤ 4 or r = h)"
    assert math_text("k < p*(2*p + 1) and k >= p - 1 and x != 2**k and y >= d*(d + 1)/2") == \
        "k < p·(2p + 1) and k ≥ p − 1 and x ≠ 2^k and y ≥ d·(d + 1)/2"


def test_a_formulas_check_is_a_parenthesis_about_its_implementation():
    """An outside review: "its values checked against … for non-degenerate K in two variables
    gives the predicted 1/2" read as if a 3-variable K had a 2-variable check; the check is
    a parenthesis about the implementation, so "gives" reads as the formula's."""
    from slttheory.formulas.standing import STANDING
    from slttheory.verify.judge.facts import _checked

    by = STANDING["newton_polyhedron"].established_by
    ev = ClosedFormEvidence("ok", value="1/2", established_by=by)
    text = _checked(ev, "certified", "independent closed form")
    assert text.startswith(" (its implementation checked against volume integrals in two "
                           "variables"), text
    assert text.endswith(")") and ";" not in text, text


def test_scaling_mixed_group_allows_the_bias_its_llc_values_share():
    """Certified values pin a mixed group's fit, so a bias the LLC values share (which a
    homogeneous shape absorbs where every value is an LLC) read as a departure from the
    shape: λ = d/2 certified at d = 1 beside LLC values of 0.44·d, every band (±14 %)
    holding the truth, was 'refuted (controlled)' (p = 0.006); LLC values of 0.565·d, every
    band holding d/2, rejected the true rival (linear) of a stated quadratic, which was
    'confirmed (controlled)'. Each shape is now judged at its best common factor on the LLC
    values within the bias they may share."""
    def mixed(slope):
        params, ev, ctl = scaled(lambda d: slope * d, spread=0.07)
        ev = [replace(e, rank=rk(1)) if p["d"] == 1 else e
              for p, e in zip(params, ev, strict=True)]
        return params, ev, ctl

    params, ev, ctl = mixed(0.44)
    for coefs in (None, [0.5]):
        v = scaling_verdict(scaling_claim(coefs, shape="linear"), params, ev, ctl)
        assert v.verdict == "inconclusive", v.reason
        # the bias they may share: how far a value lies from its band's further (upper) end,
        # 16 % here, not the band's half-width of 14 % (test_llc_verdict_red_team)
        assert "scaled together by 1.14, within the 16% bias they may share" in v.reason
    params, ev, ctl = mixed(0.565)
    v = scaling_verdict(scaling_claim(shape="quadratic"), params, ev, ctl)
    assert v.verdict == "inconclusive" and "rival linear shape is not rejected" in v.reason, \
        v.reason
    # beyond that bias the LLC values still refute: 0.3·d beside the certified 1/2 at d = 1
    params, ev, ctl = mixed(0.3)
    v = scaling_verdict(scaling_claim(shape="linear"), params, ev, ctl)
    assert (v.verdict, v.grade) == ("refuted", "controlled"), v.reason
    assert "whatever factor within the bias they may share" in v.reason, v.reason


def test_scaling_mixed_group_coefficients_allow_the_shift_a_shared_bias_makes():
    """λ = d/2 + 2 certified at d = 1 (5/2) beside LLC values of 0.865·λ at d = 2..16, every
    band holding the truth: the pinned point makes the LLC values' common bias load on the
    slope (0.39 ± 0.014), which the 14 % of |0.39| allowed for that bias did not cover, and
    the true slope 1/2 was 'refuted (controlled)'. The allowance is now how far the slope
    moves when the LLC values are scaled together within that bias."""
    ds = tuple(range(1, 17))
    params, ev, ctl = scaled(lambda d: 0.865 * (0.5 * d + 2), spread=0.07, ds=ds)
    ev = [replace(e, closed_form=cf(sp.Rational(5, 2))) if p["d"] == 1 else e
          for p, e in zip(params, ev, strict=True)]
    c = replace(scaling_claim([0.5, 2], shape="affine", ds=ds),
                evidence=("closed_form", "llc"), source="Someone 2020")
    v = scaling_verdict(c, params, ev, ctl)
    assert v.verdict == "inconclusive", v.reason
    assert "the coefficient of d = 0.39 ± 0.014 vs stated 0.5" in v.reason, v.reason
    # a slope off by more than that shift is still refuted
    params, ev, ctl = scaled(lambda d: 0.3 * d + 2.2, spread=0.07, ds=ds)
    ev = [replace(e, closed_form=cf(sp.Rational(5, 2))) if p["d"] == 1 else e
          for p, e in zip(params, ev, strict=True)]
    v = scaling_verdict(c, params, ev, ctl)
    assert (v.verdict, v.grade) == ("refuted", "controlled"), v.reason
    assert "the coefficient of d" in v.reason and "off by more than coef_rel" in v.reason


def test_scaling_rival_is_not_rejected_by_a_value_where_it_is_zero_whatever_its_coefficient():
    """c·d·log d is 0 at d = 1 whatever c, so a value there rejected the rival of a linear
    claim whatever the other values said: a grid with d = 1 made the rival test vacuous. At
    d ∈ {4, 5, 6} the values 0.5·d with bands of ±20 % cannot tell d from d·log d (log d
    varies by ±13 % there), and with d = 1 beside them 'linear' was confirmed. The rival is
    now fitted without d = 1, and the claim stays inconclusive, saying why."""
    ds = (1, 4, 5, 6)
    params, ev, ctl = scaled(lambda d: 0.5 * d, spread=0.1, ds=ds)
    v = scaling_verdict(scaling_claim(shape="linear", ds=ds), params, ev, ctl)
    assert v.verdict == "inconclusive", v.reason
    assert "rival xlogx shape is not rejected" in v.reason, v.reason
    assert "fitted without d = 1, where it is 0 whatever its coefficient" in v.reason, v.reason
    (rival,) = [f for f in v.fits if f.role == "rival"]
    assert rival.x == (4.0, 5.0, 6.0)
    # values that d·log d cannot follow still reject it, and the linear claim is confirmed
    ds = (1, 2, 4, 8, 16)
    params, ev, ctl = scaled(lambda d: 0.5 * d, spread=0.02, ds=ds)
    v = scaling_verdict(scaling_claim(shape="linear", ds=ds), params, ev, ctl)
    assert v.verdict == "confirmed", v.reason


def test_no_fact_at_a_trained_w_star_whose_minimum_check_gave_no_answer():
    """A trained w* (no true parameter) whose critical-point check raised is not known to be a
    minimum, so λ at w* is not known to be defined: no fact at w* is certified there, as where
    the check found it no minimum. An orbit of dimension 2 through such a w* of 4 parameters
    had refuted λ = 3/2 as certified by λ ≤ 1 (an outside theorist's review); at a checked
    minimum, or at the true parameter, the orbit still decides."""
    orbit = {"dimension": 2, "n_params": 4, "how": "a rescaling"}
    crashed = AtPoint("ok", checks={"error": "RuntimeError: the Hessian failed"}, orbit=orbit)
    v = V(claim("3/2"), PointEvidence(None, None, None, 0.0, crashed))
    assert v.verdict == "inconclusive" and v.grade != "certified", v.reason
    assert "not checked to be a local minimum of L_n (RuntimeError: the Hessian failed)" \
        in v.reason, v.reason
    for at in (replace(crashed, checks=MIN_CHECK),
               replace(crashed, extras={"true_parameter": True})):
        v = V(claim("3/2"), PointEvidence(None, None, None, 0.0, at))
        assert (v.verdict, v.grade) == ("refuted", "certified"), v.reason


def test_a_true_shape_within_every_band_is_not_refuted_by_its_chi2():
    """λ = d/2 at d = 1..8 read 4.5 % above and below it in turn, with controlled bands of
    about ±5 % each holding d/2: the χ² on σ = a quarter of each band (p = 0.0006) had refuted
    the true 'linear in d' (controlled), though the point claim with the same values refuted
    no point (a red-team audit). The bands are mostly their controls' bias envelope, which
    varies from model to model within it: a shape is refuted by LLC values only where no λ of
    it lies within every band, as a point is; 20 % off in turn still refutes it."""
    from slttheory.verify.judge.scaling import fit_llc

    ds = tuple(range(1, 9))

    def sweep(a):
        params, ev, ctl = scaled(lambda d: 0.5 * d * (1 + a * (-1) ** d), spread=0.025, ds=ds)
        return params, ev, ctl, scaling_verdict(scaling_claim(shape="linear", ds=ds), params,
                                                ev, ctl)

    params, ev, ctl, v = sweep(0.045)
    c = scaling_claim(shape="linear", ds=ds)
    assert all(fit_llc(c, e, ctl).band.low <= q["d"] / 2 <= fit_llc(c, e, ctl).band.high
               for q, e in zip(params, ev, strict=True))
    assert v.verdict == "inconclusive", v.reason
    assert "lies within every value's band" in v.reason and "p = 0.000561" in v.reason
    cp = parse_claim({"id": "s", "title": "t", "source": "s", "family": "fake_regular",
                      "kind": "scaling", "evidence": ["llc"], "grid": {"d": list(ds)},
                      "predicted": "d/2", "scaling": {"variable": "d", "shape": "linear"},
                      "tolerance": {"coef_rel": 0.05, "llc_rel": 0.1}}, "s.toml", FAMILIES)
    r = judge_claim(cp, list(zip(params, ev, strict=True)), ctl)
    assert "refuted" not in {p.verdict.verdict for p in r.points}
    assert r.verdict.verdict != "refuted", r.verdict.reason
    v = sweep(0.2)[3]
    assert (v.verdict, v.grade) == ("refuted", "controlled"), v.reason


def test_a_scaling_reason_says_the_values_its_verdict_rests_on():
    """'confirmed (certified): linear in d: all points: λ = 0.5·d' read as λ linear in every
    d, from four values (a red-team audit): each group's reason names the values of the
    variable it was fitted at."""
    xs = [1, 2, 3, 4]
    c = parse_claim({"id": "s", "title": "t", "source": "Someone 2020",
                     "family": "fake_regular", "kind": "scaling",
                     "evidence": ["closed_form", "llc"], "grid": {"d": xs},
                     "scaling": {"variable": "d", "shape": "linear"}}, "s.toml", FAMILIES)
    evs = [PointEvidence(cf(sp.Rational(d, 2)), None, None, 0.0) for d in xs]
    v = scaling_verdict(c, [{"d": d} for d in xs], evs, {})
    assert (v.verdict, v.grade) == ("confirmed", "certified"), v.reason
    assert "all points, at d ∈ {1, 2, 3, 4}: λ = 0.5·d" in v.reason, v.reason


def test_a_rival_within_every_band_is_not_rejected_by_its_chi2():
    """The rival's rejection follows the refutation's rule: λ = 0.5·d with lopsided bands
    that each hold both the line and the best c·d·log d had the rival "rejected" (χ² on
    σ = band/4, p = 0.003) and 'linear' confirmed, though the values cannot tell the two apart
    (a review)."""
    import numpy as np

    from slttheory.verify.judge.scaling import _judge_group, _Row, _within_every_band

    ds = (2, 4, 8, 12, 16, 20)
    _, evs, _ = scaled(lambda d: 0.5 * d, ds=ds)
    x = np.asarray(ds, float)
    y, b = 0.5 * x, x * np.log(x)
    rival = (b @ y) / (b @ b) * b
    rows = [_Row(float(xi), float(yi), (max(yi, ri) * 1.2 - min(yi, ri) * 0.8) / 4, e,
                 "controlled", (min(yi, ri) * 0.8, max(yi, ri) * 1.2))
            for xi, yi, ri, e in zip(x, y, rival, evs, strict=True)]
    assert _within_every_band(rows, "xlogx")
    verdict, reason, *_ = _judge_group(scaling_claim(shape="linear", ds=ds), {}, rows)
    assert verdict == "inconclusive" and "rival xlogx" in reason, reason
    assert "lies within every value's band, so the values do not reject it" in reason
    # bands that exclude the rival somewhere leave its χ² rejection standing: confirmed
    tight = [r._replace(band=(r.value * 0.97, r.value * 1.03), sigma=r.value * 0.015)
             for r in rows]
    assert _judge_group(scaling_claim(shape="linear", ds=ds), {}, tight)[0] == "confirmed"


def test_a_scaling_confirmation_says_how_far_its_power_is_bound():
    """A confirmation is "not rejected, and the rival rejected": 0.5·d^1.05 with controlled
    bands of about ±10 % at d ≤ 8 is confirmed 'linear in d' (the review's open point: nothing
    bounded the departure from the stated shape). The reason now states the powers p for
    which c·d^p lies within every band, an interval that holds 1.05 and excludes powers the
    bands rule out; certified values, exact, carry no such interval."""
    import re

    from slttheory.verify.judge.scaling import _power_reach, _power_text

    ds = (1, 2, 3, 5, 8)
    params, ev, ctl = scaled(lambda d: 0.5 * d**1.05, spread=0.05, ds=ds)
    v = scaling_verdict(scaling_claim(shape="linear", ds=ds), params, ev, ctl)
    assert v.verdict == "confirmed", v.reason
    m = re.search(r"c·d\^p lies within every band for p ∈ \[([\d.]+), ([\d.]+)\] only",
                  v.reason)
    assert m, v.reason
    lo, hi = map(float, m.groups())
    assert lo < 1.0 < 1.05 < hi < 1.25, (lo, hi)
    # the interval is the bands' own: a power just outside it fits no λ in every band
    rows = [(float(d), 0.5 * d**1.05, 0.5 * d**1.05 * 0.05, None, "controlled") for d in ds]
    lo, hi = _power_reach(rows, "linear")
    from slttheory.verify.judge.scaling import _within_every_band
    assert _within_every_band(rows, "linear", lo) and _within_every_band(rows, "linear", hi)
    assert not _within_every_band(rows, "linear", lo - 0.006)
    assert not _within_every_band(rows, "linear", hi + 0.006)
    # values no band set bounds: the text says so rather than quoting an interval
    assert "do not bound" in _power_text(scaling_claim(shape="linear").scaling, (0.0, 4.0))
    # certified values are exact: no interval
    c = parse_claim({"id": "s", "title": "t", "source": "Someone 2020",
                     "family": "fake_regular", "kind": "scaling",
                     "evidence": ["closed_form", "llc"], "grid": {"d": [1, 2, 3, 4]},
                     "scaling": {"variable": "d", "shape": "linear"}}, "s.toml", FAMILIES)
    evs = [PointEvidence(cf(sp.Rational(d, 2)), None, None, 0.0) for d in (1, 2, 3, 4)]
    v = scaling_verdict(c, [{"d": d} for d in (1, 2, 3, 4)], evs, {})
    assert v.verdict == "confirmed" and "bound its power" not in v.reason, v.reason
