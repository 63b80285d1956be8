"""λ ≤ R/2 + (d − R)/4 from the exact Hessian rank R at a true parameter
(:func:`slttheory.verify.judge.facts.hessian_rank_bound`): each condition, the rank route's
record of it, and the bound against exact λ of families with known formulas."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
import sympy as sp
import torch

from slttheory import formulas
from slttheory.geometry import jacobian_rank
from slttheory.models import FAMILIES
from slttheory.verify.evidence.records import (
    AtPoint,
    PointEvidence,
    RankEvidence,
    no_minimum_for_the_llc,
)
from slttheory.verify.evidence.routes import rank_route
from slttheory.verify.judge.facts import facts_of, hessian_rank_bound

FULL = RankEvidence("ok", rank=4, n_params=6, certified=True, bound=1e-9, point_rank=2,
                    point_rank_certified=True, point_rank_exact=True, inputs_determine=True,
                    point_rank_how="w* is given as integers", true_point="exact")


def _hessian_facts(ev: PointEvidence):
    return [f for f in facts_of(None, ev) if f.route == "hessian rank"]


def test_all_conditions_met_gives_the_exact_bound():
    (f,) = _hessian_facts(PointEvidence(None, FULL, None, 0.0))
    assert f.grade == "certified" and f.low is None
    assert f.high == sp.Rational(2, 2) + sp.Rational(6 - 2, 4) == 2
    assert isinstance(f.high, sp.Rational)
    assert "R = 2" in f.text and "d = 6" in f.text and "true parameter" in f.text
    odd = dataclasses.replace(FULL, point_rank=1)
    (g,) = _hessian_facts(PointEvidence(None, odd, None, 0.0))
    assert g.high == sp.Rational(7, 4)
    for stratum in ("generic", "support"):
        (h,) = _hessian_facts(PointEvidence(None, dataclasses.replace(FULL, true_point=stratum),
                                            None, 0.0))
        assert h.high == 2


@pytest.mark.parametrize("change", [
    {"true_point": "trained"},           # (a) not a true parameter
    {"true_point": ""},                  # (a) stratum not recorded (older evidence)
    {"point_rank_exact": False},         # (b) only a lower bound on rank J(w*)
    {"point_rank_certified": False},     # (b)
    {"point_rank": None},                # (b) no rank at w*
    {"inputs_determine": False},         # (c) not the population Hessian's rank
    {"n_params": 7},                     # (d) the rank map's d is not the model's
    {"n_params": None},                  # (d)
    {"point_rank": 6},                   # R = d: the bound is d/2, drawn as "dimension"
    {"status": "error"},
])
def test_each_missing_condition_gives_no_fact(change):
    rk = dataclasses.replace(FULL, **change)
    at = AtPoint("ok", checks={"n_params": 6})
    assert _hessian_facts(PointEvidence(None, rk, None, 0.0, at)) == []


def test_undefined_w_star_gives_no_fact():
    at = AtPoint("ok", checks={"n_params": 6, "is_local_min": False})
    assert no_minimum_for_the_llc(at)
    assert _hessian_facts(PointEvidence(None, FULL, None, 0.0, at)) == []
    assert hessian_rank_bound(FULL, 6, undefined=True) is None
    assert hessian_rank_bound(FULL, 6).high == 2


def test_old_stored_evidence_gives_no_fact():
    """Evidence stored before ``point_rank_exact`` was recorded reads it as False."""
    old = {k: v for k, v in dataclasses.asdict(FULL).items()
           if k not in ("point_rank_exact", "true_point")}
    rk = RankEvidence(**old)
    assert not rk.point_rank_exact
    assert _hessian_facts(PointEvidence(None, rk, None, 0.0)) == []


# --- the rank route's record ---------------------------------------------------------------


def _route(name, params):
    return rank_route(FAMILIES[name], params, {"trials": 3, "seed": 0})


def test_route_records_exact_rank_at_an_exact_true_point():
    rk = _route("normal_crossing", {"powers": (1, 2), "noise": 0.1})
    assert rk.status == "ok" and rk.true_point == "exact"
    assert rk.point_rank == 0 and rk.point_rank_exact and rk.inputs_determine


def test_route_support_stratum_exact_only_where_it_is_one_point_or_maximal():
    rk0 = _route("reduced_rank_regression", {"m": 3, "n": 3, "h": 2, "r": 0})
    assert rk0.point_rank == 0 and rk0.point_rank_exact  # the stratum is the point 0
    assert "rank J(w*) = 0 exactly" in rk0.point_rank_how
    rk1 = _route("reduced_rank_regression", {"m": 3, "n": 3, "h": 2, "r": 1})
    # rank at a random point of the stratum: a lower bound only
    assert rk1.point_rank == 5 and rk1.point_rank_certified and not rk1.point_rank_exact


def test_route_does_not_record_exact_for_a_plugin_map():
    """A rank map defined outside slttheory is its author's statement: no exact rank."""
    fam = FAMILIES["normal_crossing"]

    def rank_problem(params=None, /, **more):  # defined here, in tests: not the package's
        return fam.rank_problem(params, **more)

    plugin = dataclasses.replace(fam, rank_problem=rank_problem)
    rk = rank_route(plugin, {"powers": (1, 2), "noise": 0.1}, {"trials": 3, "seed": 0})
    assert rk.status == "ok" and not rk.point_rank_exact


# --- the bound against exact λ -------------------------------------------------------------


def _exact_rank(name, params, point):
    rp = FAMILIES[name].rank_problem(params)
    return jacobian_rank(rp.fn, point, rp.inputs, method="exact").rank


def _check(lam, d, r):
    bound = sp.Rational(r, 2) + sp.Rational(d - r, 4)
    assert sp.Rational(str(lam)) <= bound, (lam, d, r, bound)
    assert bound <= sp.Rational(d, 2)
    return bound


def test_normal_crossing_bound_never_below_lambda():
    n = 0
    for d in (1, 2, 3):
        for powers in itertools.product(range(4), repeat=d):
            if not any(powers):
                continue
            params = {"powers": powers, "noise": 0.1}
            R = _exact_rank("normal_crossing", params,
                            {"w": torch.zeros(d, dtype=torch.int64)})
            # the Jacobian at 0 is non-zero only for K = w_j² alone (one k_j = 1, the rest 0)
            assert R == (1 if sorted(powers)[-1] == 1 and sum(powers) == 1 else 0)
            _check(formulas.normal_crossing(powers).value, d, R)
            n += 1
    assert n == 3 + 15 + 63


def _rrr_point(m, n, h, r):
    A = torch.zeros(h, m, dtype=torch.int64)
    B = torch.zeros(n, h, dtype=torch.int64)
    for i in range(r):  # a rank-r product with unused units at zero
        A[i, i] = B[i, i] = 1
    return {"A": A, "B": B}


def test_reduced_rank_regression_bound_never_below_lambda():
    n_checked, strict = 0, 0
    for m, n, h in itertools.product(range(1, 5), repeat=3):
        for r in range(min(m, n, h) + 1):
            d = h * (m + n)
            params = {"m": m, "n": n, "h": h, "r": r}
            R = _exact_rank("reduced_rank_regression", params, _rrr_point(m, n, h, r))
            assert R == r * (m + n - r)  # the tangent space of the rank-r matrices
            lam = formulas.reduced_rank_regression(m, n, h, r).value
            strict += bool(_check(lam, d, R) < sp.Rational(d, 2))
            n_checked += 1
    assert n_checked > 100 and strict > 50


def test_reduced_rank_regression_route_rank_matches():
    for m, n, h in ((3, 2, 2), (2, 3, 3)):
        rk = _route("reduced_rank_regression", {"m": m, "n": n, "h": h, "r": 0})
        assert rk.point_rank_exact and rk.point_rank == 0
        (f,) = _hessian_facts(PointEvidence(None, rk, None, 0.0))
        lam = formulas.reduced_rank_regression(m, n, h, 0).value
        assert f.high == sp.Rational(h * (m + n), 4) >= sp.Rational(str(lam))


def _dln_point(widths, r):
    out = {}
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        W = torch.zeros(b, a, dtype=torch.int64)
        for j in range(r):
            W[j, j] = 1
        out[f"weights.{i}"] = W
    return out


def test_deep_linear_network_bound_never_below_lambda():
    n_checked = 0
    for L in (2, 3):
        for widths in itertools.product(range(1, 4), repeat=L + 1):
            d = sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=True))
            for r in range(min(widths) + 1):
                params = {"widths": widths, "r": r}
                R = _exact_rank("deep_linear_network", params, _dln_point(widths, r))
                _check(formulas.deep_linear_network(widths, r).value, d, R)
                n_checked += 1
    assert n_checked > 100


def test_support_with_an_unnamed_parameter_is_not_a_single_point():
    """A parameter the support does not name is drawn freely: the stratum is not w* = 0."""
    from types import SimpleNamespace

    from slttheory.geometry import true_point_rank

    rp = SimpleNamespace(fn=lambda p, x: (p["a"] * p["b"]).sum() * x.reshape(-1).to(
        p["a"].dtype), param_shapes={"a": (2,), "b": (2,)},
        inputs=torch.tensor([[1], [2]]), degree=2, true_point="support",
        true_support={"a": torch.zeros(2, dtype=torch.bool)}, true_params=None)
    res = true_point_rank(rp)
    assert res.rank == 1 and not res.exact  # a = 0, b free: J = (b, 0)·x, rank 1 of 2 rows
