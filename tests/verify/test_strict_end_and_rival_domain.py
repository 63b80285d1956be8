"""The strict λ > 0 end in the scaling judge and in "routes contradict" reasons, and the
rival shape x·log x where it is undefined (x < 0): defects found by a red-team audit."""

from __future__ import annotations

import sympy as sp
from fake_families import FAMILIES

from slttheory.verify.claims import parse_claim
from slttheory.verify.evidence.records import (
    AtPoint,
    ClosedFormEvidence,
    PointEvidence,
    RankEvidence,
)
from slttheory.verify.judge import judge_claim, point_verdict
from slttheory.verify.judge.scaling import _controlled

MINIMUM = AtPoint("ok", checks={"is_local_min": True, "reason": "a local minimum"})


def _scaling_claim():
    return parse_claim({"id": "s", "title": "t", "source": "s 2020", "family": "fake_regular",
                        "kind": "scaling", "evidence": ["closed_form", "rank", "llc"],
                        "grid": {"d": [1, 2, 4, 8, 16]},
                        "scaling": {"variable": "d", "shape": "linear"},
                        "tolerance": {"coef_rel": 0.05}}, "s.toml", FAMILIES)


def _cf(v):
    return ClosedFormEvidence("ok", value=str(v), case="regular", source="Watanabe 2009",
                              standing="established", reference="Watanabe 2009",
                              formula="regular", established_by="tests/x.py")


def _positive(d):
    """A rank record that draws λ > 0: rank 0 at the true point, generic rank d ≥ 1."""
    return RankEvidence("ok", rank=d, n_params=d, certified=True, determines_lambda=False,
                        reason="why", bound=1e-9, inputs_determine=True, point_rank=0,
                        point_rank_certified=True, point_rank_how="exact", true_point="exact")


def _contradicting():
    """Certified λ = 0 (a closed form) beside the certified λ > 0: routes contradict."""
    return PointEvidence(_cf("0"), _positive(1), None, 0.0, at_point=MINIMUM)


def test_a_strict_lower_end_that_contradicts_names_the_strict_fact():
    """λ = 0 against λ > 0 is a contradiction; its reason had quoted the closed form twice
    ("λ = 0 … but … λ = 0"), which is no contradiction at all, and not the λ > 0 fact."""
    c = _scaling_claim()
    v = point_verdict(c, {"d": 1}, _contradicting(), c.predicted_at({"d": 1}), {})
    assert v.verdict == "error" and "routes contradict" in v.reason, v.reason
    assert "λ > 0" in v.reason.split(" but ")[0], v.reason


def test_a_scaling_fit_takes_no_value_where_lambda_gt_0_contradicts_it():
    """A scaling point whose certified facts say λ = 0 and λ > 0 is an error at the point
    (routes contradict), but the fit took λ = 0 there as a certified value."""
    c = _scaling_claim()
    got = _controlled(c, {"d": 1}, _contradicting(), {})
    assert isinstance(got, str) and "routes contradict" in got, got
    ds = (1, 2, 4, 8, 16)
    evs = [_contradicting()] + [PointEvidence(_cf(sp.Rational(d, 2)), None, None, 0.0,
                                              at_point=MINIMUM) for d in ds[1:]]
    r = judge_claim(c, [({"d": d}, e) for d, e in zip(ds, evs, strict=True)])
    assert r.verdict.verdict != "confirmed", r.verdict.reason
    assert "routes contradict" in r.verdict.reason, r.verdict.reason


def test_a_scaling_group_with_negative_values_of_its_variable_is_judged_not_crashed():
    """c·x·log x is not defined at x < 0: its NaN design had stopped the fit with a
    LinAlgError (a plugin's variable may take negative values). The rival is fitted without
    them, saying why, and the stated shape is judged on every value."""
    from test_judge import _rows, scaling_claim

    from slttheory.verify.judge.scaling import _judge_group

    sc = scaling_claim(shape="linear", ds=(1, 2, 3, 4))
    exact = _rows([(x, 0.5 * x) for x in (-4, -2, 2, 3, 4)], lambda x, v: 0.0, "certified")
    v, why, fits, _ = _judge_group(sc, {}, exact)
    assert "fitted without d = -4, -2, where d·log d is not defined" in why, why
    (rival,) = [f for f in fits if f.role == "rival"]
    assert rival.x == (2.0, 3.0, 4.0)
    off = _rows([(x, 0.5 * x + 3) for x in (-4, -2, 2, 3, 4)], lambda x, v: 0.0, "certified")
    assert _judge_group(sc, {}, off)[0] == "refuted"


def test_a_rival_left_with_no_value_is_not_fitted_and_not_rejected():
    """Every value at x < 0 or x = 1: the rival x·log x has nothing to be fitted on (an
    empty fit had raised), so it is not rejected and the claim is not confirmed."""
    from test_judge import _rows, scaling_claim

    from slttheory.verify.judge.scaling import _judge_group

    sc = scaling_claim(shape="linear", ds=(1, 2, 3, 4))
    rows = _rows([(x, 0.5 * x) for x in (-3, -2, -1, 1)], lambda x, v: 0.0, "certified")
    v, why, _, _ = _judge_group(sc, {}, rows)
    assert v == "inconclusive" and "rival xlogx not fitted (fitted without d = 1" in why, why
    assert "the rival xlogx shape is not rejected" in why, why
