"""Tests that pin verdict rules a mutation run of ``slttheory/verify/judge`` found unpinned:
each failed to fail with the rule's comparison or condition changed (verification/README.md
§ Verdicts)."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp
from test_hessian_rank_bound import FULL  # every condition of the Hessian bound met

from slttheory.verify.evidence.records import (
    AtPoint,
    ControlRun,
    ControlSet,
    PointEvidence,
    RankEvidence,
)
from slttheory.verify.judge import llc as llc_mod
from slttheory.verify.judge.facts import facts_of, hessian_rank_bound

# a w* checked to be a local minimum: λ at w* is defined, so facts at w* are drawn (a w*
# without the check draws none, which made an older parametrised test pass whatever the
# conditions below said)
DEFINED = AtPoint("ok", checks={"n_params": 6, "is_local_min": True})


def _hessian(rk: RankEvidence) -> list:
    return [f for f in facts_of(None, PointEvidence(None, rk, None, 0.0, DEFINED))
            if f.route == "hessian rank"]


def test_the_hessian_rank_bound_is_drawn_at_a_defined_w_star():
    """The baseline of the test below: with every condition met, at a checked minimum, the
    certified bound λ ≤ R/2 + (d − R)/4 = 2 is drawn (facts.hessian_rank_bound)."""
    (f,) = _hessian(FULL)
    assert f.grade == "certified" and f.high == 2


@pytest.mark.parametrize("change", [
    {"true_point": "trained"},    # (a) not a true parameter, so not a zero of K
    {"point_rank_exact": False},  # (b) only a lower bound on rank J(w*): the bound too small
    {"inputs_determine": False},  # (c) not the rank of the population Hessian
    {"point_rank": 6},            # R = d: the bound is d/2, drawn as "dimension" only
])
def test_each_missing_hessian_condition_withholds_the_certified_bound(change):
    """README rules table, "grades"/"rank": a certified fact must rest on its theorem's
    hypotheses. The Hessian-rank bound λ ≤ R/2 + (d − R)/4 needs (a) a true parameter, (b)
    R = rank J(w*) itself, exact, (c) inputs that determine the function, and R < d
    (facts.hessian_rank_bound's docstring); without one of them it would be a certified upper
    bound that can refute a true claim (λ = 5/2 at d = 6 against "λ ≤ 2")."""
    rk = dataclasses.replace(FULL, **change)
    assert _hessian(rk) == []
    assert hessian_rank_bound(rk, 6) is None


def _control_set(biases=(0.0, 0.0, 0.0)) -> ControlSet:
    runs = []
    for b, lam in zip(biases, (2.0, 0.5, 0.25), strict=True):
        for s, e in enumerate((-1.0, 0.0, 1.0)):
            runs.append(ControlRun("regular", {"d": int(4 * lam)}, "regular", str(lam), 1,
                                   "rank", s, mean=lam * (1 + b + 0.02 * e),
                                   std_error=0.001 * lam, passed=True))
    return ControlSet("k", {}, tuple(runs))


def test_controls_agree_at_p_exactly_0_01(monkeypatch):
    """README rules table, "LLC band": controls agree at χ² p ≥ 0.01 (``AGREE_P``), so p equal
    to 0.01 builds a band and only p below it withholds one."""
    monkeypatch.setattr(llc_mod, "_agreement", lambda cs: llc_mod.AGREE_P)
    band = llc_mod.llc_band(1.0, 0.01, _control_set())
    assert band.controlled and band.agreement_p == llc_mod.AGREE_P
    monkeypatch.setattr(llc_mod, "_agreement", lambda cs: 0.99 * llc_mod.AGREE_P)
    band = llc_mod.llc_band(1.0, 0.01, _control_set())
    assert not band.controlled and "disagree" in band.why


def test_a_wrong_hessian_bound_would_refute_a_true_value():
    """Why the conditions above matter for a verdict: with R = rank J(w*) only a lower bound
    (``point_rank_exact`` False) the facts at the point allow λ up to d/2 = 3, so λ = 5/2 is
    not excluded by any certified fact."""
    rk = dataclasses.replace(FULL, point_rank_exact=False)
    cert = [f for f in facts_of(None, PointEvidence(None, rk, None, 0.0, DEFINED))
            if f.grade == "certified" and f.high is not None]
    assert min(f.high for f in cert) == 3
    assert all(f.high >= sp.Rational(5, 2) for f in cert)


def test_a_certified_value_is_fixed_by_value_not_by_form():
    """README rules table, "certified" and "scaling points": exact values are compared by
    value (log(4)/2 is log(2)), so bounds whose ends are equal in value fix λ (a scaling
    point's certified value) even where the routes write them differently."""
    from slttheory.verify.judge.point import certified_value

    assert certified_value(sp.log(4) / 2, sp.log(2)) is not None
    assert certified_value(sp.Rational(1, 2), sp.Rational(3, 4)) is None


def test_an_end_that_differs_from_p_beyond_90_digits_still_decides():
    """README § Verdicts, rule 2: values are compared exactly (100 digits); only an end that
    agrees with P to 90 digits without a proof decides nothing. λ = 3/2 against a P that
    differs from it by about 1e-80 (agreeing to 80 digits, written so that sympy's
    assumptions cannot sign the difference) is refuted, not left open."""
    from slttheory.verify.judge.point import _exact_verdict

    p = sp.expand(sp.Rational(3, 2) - (sp.sqrt(2) - 1) ** 210)  # 3/2 − ~1e-80
    half = sp.Rational(3, 2)
    assert _exact_verdict(half, half, p, "==") == "refuted"
    assert _exact_verdict(half, half, p, ">=") == "confirmed"
