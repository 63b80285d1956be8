"""Rules of the evidence routes (slttheory/verify/evidence/routes.py) that a mutation run
found no fast test pinned: each test fails on one mutant of routes.py (named in its
docstring) and passes on the code as it is."""

from __future__ import annotations

import dataclasses
import functools
import types

import sympy as sp
import torch

from slttheory.formulas import LearningCoefficient
from slttheory.models import FAMILIES
from slttheory.verify.evidence.routes import (
    _closed_form_evidence,
    closed_form_route,
    independent_forms_route,
)


def _regular_from(module):
    """The regular family with its package formula re-exported from ``module``."""
    fam = FAMILIES["regular"]

    @functools.wraps(fam.formula)
    def formula(**kwargs):
        return fam.formula(**kwargs)

    formula.__module__ = module
    return dataclasses.replace(fam, name="regular_elsewhere", formula=formula)


def test_a_module_that_only_begins_with_the_packages_name_is_not_the_package():
    """Mutant: CHECKED_FORMULA_MODULES = ("slttheory",) without the dot, which took a plugin
    module "slttheory_extras" for the package and its "established" formula as checked."""
    own = closed_form_route(FAMILIES["regular"], {"d": 3})
    ev = closed_form_route(_regular_from("slttheory_extras"), {"d": 3})
    assert own.standing == "established" and own.value == ev.value == "3/2"
    assert ev.standing == "as_stated" and "slttheory_extras" in ev.case


def test_a_formula_of_no_module_is_taken_as_stated():
    """Mutant: _unchecked_module returned None (checked) for an object with no __module__,
    where it must name 'an unknown module' (a formula nothing here can place is unchecked)."""
    ev = closed_form_route(_regular_from(None), {"d": 3})
    assert ev.standing == "as_stated" and "an unknown module" in ev.case


def test_an_as_stated_formula_keeps_no_established_by():
    """Mutant: the as_stated replacement kept the formula's established_by, so the record
    said "as_stated" and named the package test that checks it (check_standing forbids the
    pair in a LearningCoefficient)."""
    ev = closed_form_route(_regular_from("my_plugin"), {"d": 3})
    assert ev.standing == "as_stated" and ev.established_by == ""


def test_a_result_without_a_standing_is_as_stated():
    """Mutant: _closed_form_evidence's default standing "established" for a result that
    states none (a duck-typed LearningCoefficient)."""
    ev = _closed_form_evidence(types.SimpleNamespace(value=sp.Rational(3, 2), case="c"), "f")
    assert ev.status == "ok" and ev.standing == "as_stated"


def test_a_floating_point_value_is_not_exact():
    """Mutant: exact=True for every value, which let an established formula's Float λ be
    graded certified (facts.closed_form_grade reads cf.exact)."""
    lc = LearningCoefficient(value=sp.Float(0.5), multiplicity=1, dimension=1, case="float",
                             standing="established", established_by="tests/x.py::t",
                             reference="Watanabe 2009")
    ev = _closed_form_evidence(lc, "regular")
    assert ev.status == "ok" and ev.exact is False
    assert _closed_form_evidence(dataclasses.replace(lc, value=sp.Rational(1, 2)),
                                 "regular").exact is True


def test_a_symbolic_value_at_a_point_is_an_error():
    """Mutant: the free-symbols check dropped, which recorded λ = k/2 as an exact value."""
    k = sp.Symbol("k", positive=True, integer=True)
    ev = _closed_form_evidence(types.SimpleNamespace(value=k / 2, case="c"), "f")
    assert ev.status == "error" and "symbolic" in ev.error and ev.value is None


def test_an_identity_of_models_is_named_in_the_case():
    """Mutant: the identity dropped from the case, so the report did not say how another
    formula applies to the family's model."""
    (ev,) = independent_forms_route(FAMILIES["normal_crossing"], {"powers": (1, 2)})
    assert ev.status == "ok" and ev.formula == "newton_polyhedron"
    assert ev.case.startswith("K is the monomial of exponents (2, 4)")


def test_an_unchecked_rank_at_w_star_is_not_certified(monkeypatch):
    """Mutants: _point_rank took every rank at w* as certified (cert = True), or as exact
    without its certificate. geometry.true_point_rank leaves certified False where the
    Jacobian could not be checked against the map's values; such a rank bounds nothing."""
    import slttheory.geometry as geometry
    from slttheory.verify.evidence.routes import _point_rank

    res = types.SimpleNamespace(rank=2, certified=False, exact=True, how="unchecked")
    monkeypatch.setattr(geometry, "true_point_rank", lambda rp, trials, seed: res)
    assert _point_rank(object(), 3, 0) == (2, False, "unchecked", False)
    res.certified = True
    assert _point_rank(object(), 3, 0) == (2, True, "unchecked", True)


def test_an_affine_plugin_map_whose_build_fails_is_not_certified():
    """Mutant: the rank-map check passed where the model could not be built (``""`` for a
    missing model). An affine map skips the stratum check, so nothing else compares it with
    the model: its rank at w* (3 for ``reordered``) was certified with no model to be the
    function of."""
    from rank_map_plugins import FAMILIES as PLUGINS

    from slttheory.verify.evidence.routes import rank_route

    def build(params=None, /, **kwargs):
        raise RuntimeError("no model today")

    build.__module__ = "my_plugin"
    ok = rank_route(PLUGINS["reordered"], {"noise": 0.1}, {})
    assert ok.point_rank == 3 and ok.point_rank_certified
    fam = dataclasses.replace(PLUGINS["reordered"], build=build)
    ev = rank_route(fam, {"noise": 0.1}, {})
    assert ev.status == "ok" and ev.point_rank == 3
    assert not ev.point_rank_certified and not ev.certified
    assert "the model could not be built at w*" in ev.point_rank_how


def test_a_trained_w_star_records_no_exact_rank_at_w_star():
    """Mutant: "trained" among the strata of point_rank_exact. An affine map's rank is the
    same everywhere (certified and exact at any w*), but a trained w* is no zero of K, so
    rank J(w*) is not recorded as the true parameter's (facts.hessian_rank_bound's (a))."""
    from slttheory.verify.evidence.routes import rank_route

    reg = FAMILIES["regular"]

    def rank_problem(params=None, /, **more):
        return dataclasses.replace(reg.rank_problem(params, **more), true_point="trained")

    rank_problem.__module__ = reg.rank_problem.__module__  # the package's map, restated
    own = rank_route(reg, {"d": 3}, {})
    assert own.point_rank_exact and own.true_point == "generic"
    ev = rank_route(dataclasses.replace(reg, rank_problem=rank_problem), {"d": 3}, {})
    assert ev.status == "ok" and ev.true_point == "trained" and ev.point_rank == 3
    assert ev.point_rank_certified and not ev.point_rank_exact


def test_a_map_equal_in_value_with_another_jacobian_differs():
    """Mutant: the Jacobian-vector comparison dropped. A map whose values are the model's
    everywhere (2·w₁·w₂·x, plus w₁ − w₁.detach() = 0) but whose autograd Jacobian is not
    passed every comparison of values; its rank is the rank of another Jacobian."""
    from test_new_code_red_team import _rp, _Scaled

    from slttheory.verify.evidence.routes import _rank_map_disagreement

    def same_values(p, x):
        w = p["w"]
        return 2 * w[0] * w[1] * x + (w[0] - w[0].detach()) * x

    out = _rank_map_disagreement(_rp(same_values), _Scaled())
    assert out.startswith("the rank map's function differs from the model's at w*: their "
                          "Jacobians along a random direction differ")
    assert _rank_map_disagreement(_rp(lambda p, x: 2 * p["w"][0] * p["w"][1] * x),
                                  _Scaled()) == ""


class _Tilted(torch.nn.Module):
    """(w₁ + tilt·w₂)·x with w = (w₁, w₂) one parameter, at ``w`` (default 0)."""

    def __init__(self, tilt, w=(0.0, 0.0)):
        super().__init__()
        self.tilt = tilt
        self.w = torch.nn.Parameter(torch.tensor(w, dtype=torch.float64))

    def forward(self, x):
        return (self.w[0] + self.tilt * self.w[1]) * x


def _data():
    x = torch.randn(50, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    return x, torch.zeros(50, 1, dtype=torch.float64)


def _map(fn):
    return types.SimpleNamespace(fn=fn, param_shapes={"w": (2,)},
                                 inputs=torch.ones(1, 1, dtype=torch.int64))


def test_a_direction_a_thousandth_off_is_not_the_same_space():
    """Mutant: the row-space tolerance 10³·RANK_MAP_TOLERANCE raised to 10⁶·(…) = 1e-2: a
    map of w₁ beside a loss that sees w₁ + 10⁻³·w₂ passed as determining it."""
    from slttheory.verify.evidence.routes import _inputs_undetermined

    def w1(p, x):
        return p["w"][0] * x.to(p["w"].dtype)

    assert "do not determine the function the loss sees" in \
        _inputs_undetermined(_map(w1), _Tilted(1e-3), _data())
    assert _inputs_undetermined(_map(w1), _Tilted(0.0), _data()) == ""


def test_jacobians_zero_at_w_star_are_compared_near_it():
    """Mutant: a zero Jacobian at w* returned "determined" at once, where the two nearby
    points must still be compared: the map (w₁w₂, w₁²) sees, near w* = 0, a direction the loss
    on the model w₁w₂·x never sees."""
    from rank_map_plugins import Product

    from slttheory.verify.evidence.routes import _inputs_undetermined

    def more(p, x):
        w = p["w"]
        return torch.cat([(w[0] * w[1] * x).reshape(-1), (w[0] ** 2 * x).reshape(-1)])

    def same(p, x):
        return p["w"][0] * p["w"][1] * x.to(p["w"].dtype)

    out = _inputs_undetermined(_map(more), Product([0.0, 0.0]), _data())
    assert out.startswith("at a point near w*") and "the rank map sees outside" in out
    assert _inputs_undetermined(_map(same), Product([0.0, 0.0]), _data()) == ""


def test_non_finite_jacobians_are_named_not_compared():
    """Mutant: the finiteness check dropped, so √w₁ at w₁ = 0 (an infinite derivative) went
    on to a singular value decomposition of inf/NaN."""
    from slttheory.verify.evidence.routes import _inputs_undetermined

    class Root(_Tilted):
        def forward(self, x):
            return torch.sqrt(self.w[0]) * x + self.w[1] * x

    def fn(p, x):
        return (torch.sqrt(p["w"][0]) + p["w"][1]) * x.to(p["w"].dtype)

    assert _inputs_undetermined(_map(fn), Root(0.0, (0.0, 1.0)), _data()) == \
        "the Jacobians at w* are not finite"


def test_the_formulas_multiplicity_overrides_what_the_build_put_in_extras():
    """Mutant: the build's extras merged over the formula's multiplicity, so a build that
    says formula_multiplicity = 1 hid the multiplicity 3 of u₁u₂u₃ (λ = 1/2), which withholds
    an LLC controlled at lower multiplicities (judge.llc.beyond_controls)."""
    from slttheory.verify.evidence.records import AtPoint
    from slttheory.verify.evidence.routes import with_formula_multiplicity

    at = AtPoint("ok", extras={"formula_multiplicity": 1, "other": 2})
    out = with_formula_multiplicity(at, FAMILIES["normal_crossing"], {"powers": (1, 1, 1)})
    assert out.extras["formula_multiplicity"] == 3 and out.extras["other"] == 2
    assert out.extras["formula_multiplicity_by"] == "normal_crossing"


def test_the_w_star_record_carries_the_familys_source():
    """Mutant: AtPoint.source left empty, so the report said a family's differences from its
    own source as if they were from the claim's (report.data.family_difference)."""
    from slttheory.verify.evidence.routes import at_point_route

    fam = FAMILIES["regular"]
    (at,) = at_point_route(fam, [{"d": 2, "noise": 0.1}], {"n": 20}, "cpu")
    assert at.status == "ok" and fam.source and at.source == fam.source


def test_the_rank_map_record_reads_the_whole_jacobian_at_a_zero_w_star():
    """Mutant: jacobian_zero_at_w_star read "some entry is 0" (any) for "every entry is 0"
    (all): the map u₁·u₂⁰ = u₁ at w* = 0 has Jacobian (1, 0), whose rank 1 bounds λ ≥ 1/2."""
    from slttheory.verify.evidence.routes import _rank_map_record

    nc = FAMILIES["normal_crossing"]
    rec = _rank_map_record(nc, nc.validate({"powers": (1, 0)}))
    assert rec["w_star_zero"] is True and rec["jacobian_zero_at_w_star"] is False
    assert _rank_map_record(nc, nc.validate({"powers": (1, 1)}))["jacobian_zero_at_w_star"]


def test_a_plugin_maps_record_never_says_it_gives_lambda():
    """Mutant: the record's gives_lambda took a plugin map's word, where the rank route
    never does (λ = rank/2 is the plugin's statement): the advice then promised a decision
    the rank route cannot give. Nor is a plugin map's stated zero w* evaluated."""
    from slttheory.verify.evidence.routes import _rank_map_record

    nc = FAMILIES["normal_crossing"]

    def rank_problem(params=None, /, **more):
        return dataclasses.replace(nc.rank_problem(params, **more), gives_lambda=True,
                                   reason="the plugin says λ = rank/2")

    fam = dataclasses.replace(nc, name="nc_plugin", formula=None, rank_problem=rank_problem)
    rec = _rank_map_record(fam, fam.validate({"powers": [1, 2]}))
    assert rec["gives_lambda"] is False and rec["computed"] is True
    assert "w_star_zero" not in rec
    assert _rank_map_record(FAMILIES["regular"], {"d": 2, "noise": 0.1})["gives_lambda"]


def test_a_zero_w_star_is_stated_only_over_every_parameter():
    """Mutants: _stated_zero without its check that the stated point names every parameter
    (a ``true_params`` of ``a`` alone read as w* = 0), or with "every tensor has a non-zero
    entry" for "some tensor does" (a = 0, b = 1 read as w* = 0)."""
    from slttheory.verify.evidence.routes import _stated_zero

    shapes = {"a": (2,), "b": (2,)}

    def rp(**given):
        return types.SimpleNamespace(param_shapes=shapes, true_point="exact",
                                     true_params=given, true_support=None)

    zero, one = torch.zeros(2, dtype=torch.int64), torch.ones(2, dtype=torch.int64)
    assert _stated_zero(rp(a=zero, b=zero))
    assert not _stated_zero(rp(a=zero))
    assert not _stated_zero(rp(a=zero, b=one))
    support = types.SimpleNamespace(param_shapes=shapes, true_point="support",
                                    true_support={"a": torch.zeros(2, dtype=torch.bool)},
                                    true_params=None)
    assert not _stated_zero(support)


@dataclasses.dataclass
class _Diagnostics:
    divergent: bool = False
    warnings: tuple = ()
    passed: bool = True


def test_an_estimate_with_a_failed_check_is_not_recorded_as_passed():
    """Mutant: llc_evidence's passed took the estimator's own flag alone, so a divergent
    estimate whose diagnostics said passed was recorded passed beside its problem (the
    engine reads a rerun's problems only where it did not pass)."""
    from slttheory.verify.evidence.routes import llc_evidence

    def est(divergent):
        return types.SimpleNamespace(llc=1.0, std_error=0.1, config={},
                                     diagnostics=_Diagnostics(divergent=divergent))

    bad = llc_evidence(est(True))
    assert bad.problems == ("divergent chains",) and bad.passed is False and not bad.clean
    good = llc_evidence(est(False))
    assert good.passed is True and good.problems == () and good.clean


def test_a_base_setting_that_is_not_positive_gets_no_rerun():
    """Mutant: the base setting taken where it is finite *or* positive, so a base step size
    of 0 (or −1) was "rerun" at 0 × 3 (or −3): no setting to change, no rerun."""
    from slttheory.verify.evidence.records import LLCEvidence
    from slttheory.verify.evidence.routes import _reruns

    for base in (0.0, -1.0, float("inf")):
        ev = LLCEvidence("ok", config={"step_size": base, "localization": base})
        assert _reruns({0: object()}, {0: ev}, {}, "cpu", {0: 1}) == {0: ()}
