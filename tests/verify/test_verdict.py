"""Verdict logic on synthetic evidence (every rule of issue 5 §2) and scaling fits."""

from __future__ import annotations

import numpy as np
import pytest
from fake_families import FAMILIES

from slttheory.verify.claims import parse_claim
from slttheory.verify.routes import ClosedFormEvidence, LLCEvidence, PointEvidence, RankEvidence
from slttheory.verify.verdict import claim_verdict, fit_shape, point_verdict, scaling_verdict


def claim(predicted="d/2", relation="==", evidence=("closed_form", "rank", "llc"), **extra):
    data = {
        "id": "c",
        "title": "t",
        "source": "s",
        "family": "fake_regular",
        "kind": "closed_form",
        "predicted": predicted,
        "relation": relation,
        "evidence": list(evidence),
        "grid": {"d": [2, 4, 6]},
        "tolerance": {"llc_rel": 0.1},
    }
    data.update(extra)
    return parse_claim(data, "c.toml", FAMILIES)


def cf(v):
    return ClosedFormEvidence("ok", value=str(v), case="regular", source="src")


def rk(r, n=None, determines=True, bound=1e-9):
    return RankEvidence(
        "ok",
        rank=r,
        n_params=n or r,
        lam=str(r / 2),
        certified=True,
        determines_lambda=determines,
        reason="why",
        bound=bound,
    )


def lc(mean, se=0.02, problems=()):
    return LLCEvidence("ok", mean=mean, std_error=se, diagnostics={}, problems=tuple(problems))


ERR = ClosedFormEvidence("error", error="NotImplementedError")


def V(c, ev, d=4):
    return point_verdict(c, {"d": d}, ev)


def test_confirmed_when_all_agree():
    v = V(claim(), PointEvidence(cf("2"), rk(4), lc(2.05), 0.0))
    assert v.verdict == "confirmed" and "exact rank 4" in v.reason


def test_rank_below_prediction_refutes_with_template():
    v = V(claim("d/2 + 1"), PointEvidence(None, rk(4, 6, bound=0.001), None, 0.0))
    assert v.verdict == "refuted"
    assert v.reason.startswith(
        "refuted: exact Jacobian rank 4 at d=4 gives λ = 4/2 = 2, below the predicted 3"
    )
    assert "(certified; P(generic rank higher) < 0.001)" in v.reason
    assert "2 null directions" in v.reason and "(2 more)" in v.reason


def test_rank_above_prediction_refutes_even_if_llc_agrees():
    v = V(claim("d/4"), PointEvidence(None, rk(4), lc(1.0), 0.0))
    assert v.verdict == "refuted" and "above the predicted" in v.reason


def test_rank_not_determining_lambda_is_recorded_not_used():
    v = V(claim("d/4"), PointEvidence(cf("1"), rk(4, determines=False), lc(1.0), 0.0))
    assert v.verdict == "confirmed" and "recorded, not used" in v.reason


def test_closed_form_backed_by_llc_refutes():
    v = V(claim("d/4"), PointEvidence(cf("2"), None, lc(2.0), 0.0))
    assert v.verdict == "refuted" and "library's closed form gives λ = 2" in v.reason


def test_closed_form_disagreeing_without_backing_is_inconclusive():
    v = V(claim("d/4"), PointEvidence(cf("2"), None, None, 0.0))
    assert v.verdict == "inconclusive"


def test_clean_llc_far_away_refutes_unless_an_exact_route_agrees():
    c = claim("d/2")
    assert V(c, PointEvidence(None, None, lc(3.0), 0.0)).verdict == "refuted"
    assert V(c, PointEvidence(cf("2"), None, lc(3.0), 0.0)).verdict == "inconclusive"


def test_llc_within_tolerance_plus_errors_is_not_refuted():
    c = claim("d/2")
    # λ = 2, tolerance 0.2, s.e. 0.15: 2.55 is beyond tolerance + 2 s.e. (0.5),
    # not beyond 4 s.e. (0.6)
    assert V(c, PointEvidence(None, None, lc(2.55, se=0.15), 0.0)).verdict == "inconclusive"
    assert V(c, PointEvidence(None, None, lc(2.25, se=0.02), 0.0)).verdict == "refuted"
    assert V(c, PointEvidence(None, None, lc(2.15, se=0.02), 0.0)).verdict == "confirmed"


def test_failed_diagnostics_are_inconclusive():
    v = V(claim(), PointEvidence(cf("2"), None, lc(2.0, problems=["divergent chains"]), 0.0))
    assert v.verdict == "inconclusive" and "divergent" in v.reason


def test_only_closed_form_is_inconclusive_and_all_errors_is_error():
    assert V(claim(), PointEvidence(cf("2"), None, None, 0.0)).verdict == "inconclusive"
    ev = PointEvidence(
        ERR, RankEvidence("error", error="boom"), LLCEvidence("error", error="nan"), 0.0
    )
    v = V(claim(), ev)
    assert v.verdict == "error" and "boom" in v.reason


def test_errored_route_is_named_but_others_decide():
    v = V(claim(), PointEvidence(ERR, rk(4), None, 0.0))
    assert v.verdict == "confirmed" and "route errors" in v.reason


def test_relations():
    c = claim("d/2", relation="<")
    assert V(c, PointEvidence(None, rk(4), None, 0.0)).verdict == "refuted"  # 2 is not < 2
    assert V(c, PointEvidence(None, rk(3), None, 0.0)).verdict == "confirmed"
    c2 = claim("d", relation="<=")
    assert V(c2, PointEvidence(None, None, lc(2.0), 0.0)).verdict == "confirmed"
    assert (
        V(claim("d/8", relation="<="), PointEvidence(None, None, lc(2.0), 0.0)).verdict == "refuted"
    )


def test_claim_aggregation():
    from slttheory.verify.verdict import PointVerdict as P

    assert claim_verdict([P("confirmed", "a")] * 3).verdict == "confirmed"
    assert claim_verdict([P("confirmed", "a"), P("refuted", "refuted: x")]).verdict == "refuted"
    assert claim_verdict([P("confirmed", "a"), P("inconclusive", "i")]).verdict == "inconclusive"
    assert claim_verdict([P("error", "e")] * 2).verdict == "error"
    assert claim_verdict([P("error", "e"), P("confirmed", "c")]).verdict == "inconclusive"


def test_fit_shapes_recover_coefficients():
    x = np.array([1.0, 2.0, 3.0, 5.0, 8.0])
    f = fit_shape(x, -0.5 * x**2 + 100 * x, None, "quadratic")
    assert f.coefficients == pytest.approx((-0.5, 100.0)) and f.r2 == pytest.approx(1.0)
    f = fit_shape(x, 2 * x + 1, None, "affine")
    assert f.coefficients == pytest.approx((2.0, 1.0))


def scaling_claim(coefs=None, shape="quadratic"):
    sc = {"variable": "d", "shape": shape, "min_r2": 0.95}
    if coefs:
        sc["coefficients"] = coefs
    data = {
        "id": "s",
        "title": "t",
        "source": "s",
        "family": "fake_regular",
        "kind": "scaling",
        "evidence": ["llc"],
        "grid": {"d": [1, 2, 4, 8, 16]},
        "scaling": sc,
        "tolerance": {"coef_rel": 0.05},
    }
    return parse_claim(data, "s.toml", FAMILIES)


def evidences(fn, se=0.05, ds=(1, 2, 4, 8, 16)):
    return [{"d": d} for d in ds], [PointEvidence(None, None, lc(fn(d), se), 0.0) for d in ds]


def test_scaling_confirmed_and_refuted_by_coefficients():
    params, ev = evidences(lambda d: -0.5 * d * d + 20 * d)
    assert scaling_verdict(scaling_claim([-0.5, 20]), params, ev).verdict == "confirmed"
    v = scaling_verdict(scaling_claim([-0.429, 17.4]), params, ev)
    assert v.verdict == "refuted" and "coefficient" in v.reason


def test_scaling_shape_failure_is_refuted_only_when_significant():
    params, ev = evidences(lambda d: 5.0 if d % 2 else 1.0, se=0.01)  # not linear at all
    assert scaling_verdict(scaling_claim(shape="linear"), params, ev).verdict == "refuted"
    params, ev = evidences(lambda d: 5.0 if d % 2 else 1.0, se=10.0)  # noise explains it
    assert scaling_verdict(scaling_claim(shape="linear"), params, ev).verdict == "inconclusive"
