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
    # at a checked minimum, where the fact is drawn without the change (without the check,
    # λ at w* is undefined and no fact is drawn whatever the conditions: this test had then
    # passed with each condition's check removed, a mutation audit)
    at = AtPoint("ok", checks={"n_params": 6, "is_local_min": True})
    assert len(_hessian_facts(PointEvidence(None, FULL, None, 0.0, at))) == 1
    rk = dataclasses.replace(FULL, **change)
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


# --- the squared-error condition ------------------------------------------------------------

SMALL = {
    "regular": [{"d": 3}],
    "reduced_rank_regression": [{"m": 3, "n": 3, "h": 2, "r": 0},
                                {"m": 3, "n": 3, "h": 2, "r": 1}],
    "deep_linear_network": [{"widths": [2, 2, 3], "r": 0}, {"widths": [2, 2, 3], "r": 1}],
    "normal_crossing": [{"powers": [1, 2]}, {"powers": [1, 1, 2], "noise": 0.1}],
    "polynomial_regression": [{"degree": 2}],
    "low_rank_linear": [{"d": 4, "r": 2}],
    "quadratic_network": [{"d": 3, "k": 2, "p": 1},
                          {"d": 2, "k": 3, "p": 1, "bias": True, "loss": "mse"}],
    "modular_addition": [{"p": 3, "k": 2}],
    "linear_regression_toy": [{}],
    "ntk": [{"rank": 2, "p": 1}],
    "lazy_regime": [{"p": 2, "feature_rank": 3}],
    "lazy_regime_bounds": [{"p": 2, "k": 3}],
    "modular_addition_generic": [{"p": 3, "k": 2}],
}
"""Small parameters of the package's families (their defaults otherwise, where those are
small); a family with a rank map missing here is run at its defaults."""


def small_points():
    """(name, validated parameters) of every package family with a rank map, at small
    parameters, where its rank problem can be built."""
    out = []
    for name, fam in FAMILIES.items():
        if fam.rank_problem is None:
            continue
        for more in SMALL.get(name, [{}]):
            try:
                q = fam.validate(dict(more))
                fam.rank_problem(dict(q))
            except Exception:  # noqa: BLE001 - no rank problem here: nothing to check
                continue
            out.append((name, q))
    return out


def _is_squared_error(loss) -> bool:
    """The Gaussian NLL (½‖y − f‖²) or seed 001's centred one (½‖r − r̄‖²): squared error."""
    from slttheory.losses import centred_gaussian_nll, gaussian_nll

    return loss in ("gaussian", gaussian_nll) or loss is centred_gaussian_nll


def test_every_package_family_recorded_as_squared_error_has_a_squared_error_loss():
    """The rank route records rank J(w*) as the Hessian's rank (``point_rank_exact``) only on
    the package's own map and build, and the Hessian-rank bound's derivation needs
    K = c·E‖f(w) − f(w*)‖² there: every package family the route records so, at small
    parameters, builds a Problem whose loss is squared error (a family with a cross-entropy
    loss and such a map would have a λ ≤ (d + R)/4 drawn from a Hessian it does not have)."""
    recorded = []
    for name, q in small_points():
        rk = rank_route(FAMILIES[name], q, {"trials": 3, "seed": 0})
        if not (rk.status == "ok" and rk.point_rank_exact):
            continue
        prob = FAMILIES[name].build(dict(q), generator=torch.Generator().manual_seed(0),
                                    refine_steps=0, dtype=torch.float64)
        assert _is_squared_error(prob.loss), (name, q, prob.loss)
        recorded.append(name)
    # not vacuous: the exact-w* and single-point-stratum families are recorded
    assert {"normal_crossing", "linear_regression_toy", "reduced_rank_regression"} \
        <= set(recorded), recorded


def _cross_entropy_build(fam, loss):
    """A plugin build of ``fam``'s own model and w*, under the loss ``loss``."""

    def build(params=None, /, **kwargs):
        return dataclasses.replace(fam.build(params, **kwargs), loss=loss)

    build.__module__ = "my_plugin"
    return dataclasses.replace(fam, name=f"{fam.name}_{loss}", build=build)


@pytest.mark.parametrize("loss", ["cross_entropy", "binary_cross_entropy"])
def test_a_loss_that_is_not_squared_error_never_gets_the_hessian_rank_fact(loss):
    """The package's exact rank map of normal crossing (R = 0 of d = 2 at w* = 0: λ ≤ 1/2
    drawn for the package's Gaussian build) on a build with a cross-entropy loss, and a
    plugin family's own map under such a loss: the rank at w* may stay certified as a lower
    bound, never as the Hessian's rank, and no "hessian rank" fact is drawn."""
    from rank_map_plugins import FAMILIES as PLUGINS

    q = FAMILIES["normal_crossing"].validate({"powers": [1, 2], "noise": 0.1})
    own = rank_route(FAMILIES["normal_crossing"], q, {"trials": 3, "seed": 0})
    at = AtPoint("ok", checks={"n_params": 2}, extras={"true_parameter": True})
    assert [f.high for f in _hessian_facts(PointEvidence(None, own, None, 0.0, at))] == \
        [sp.Rational(1, 2)]
    for fam, params in ((_cross_entropy_build(FAMILIES["normal_crossing"], loss), q),
                        (_cross_entropy_build(PLUGINS["faithful"], loss), {"noise": 0.1})):
        prob = fam.build(dict(params), generator=torch.Generator().manual_seed(0),
                         refine_steps=0, dtype=torch.float64)
        assert not _is_squared_error(prob.loss)
        rk = rank_route(fam, params, {"trials": 3, "seed": 0})
        assert rk.status == "ok" and rk.point_rank is not None and rk.point_rank < 2
        assert not rk.point_rank_exact, fam.name
        assert _hessian_facts(PointEvidence(None, rk, None, 0.0, at)) == [], fam.name
