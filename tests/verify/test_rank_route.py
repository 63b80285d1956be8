"""The rank route: λ from a rank only where the family says so, and a budget on its cost."""

from __future__ import annotations

import pytest


def test_rank_gives_lambda_only_where_the_family_says_it_does():
    """A rank whose map does not determine λ (a trained point, a modular-addition design) has
    no λ in the evidence: rank/2 there is neither λ nor, for the generic rank, a bound at w*."""
    import dataclasses

    from fake_families import FAMILIES

    from slttheory.verify.evidence.routes import rank_route

    fam = FAMILIES["regular"]  # the package's own
    ok = rank_route(fam, {"d": 3}, {})
    assert (ok.status, ok.rank, ok.lam, ok.determines_lambda) == ("ok", 3, "3/2", True)
    # the same linear map from a plugin's own module: its 'λ = rank/2' is as stated
    plugin = rank_route(FAMILIES["fake_regular"], {"d": 3}, {})
    assert (plugin.rank, plugin.lam, plugin.determines_lambda) == (3, None, False)

    def not_determining(params=None, /, **more):
        return dataclasses.replace(fam.rank_problem(params, **more), gives_lambda=False)

    other = dataclasses.replace(fam, rank_problem=not_determining)
    rk = rank_route(other, {"d": 3}, {})
    assert (rk.status, rk.rank, rk.lam, rk.determines_lambda) == ("ok", 3, None, False)


def test_rank_route_refuses_a_jacobian_above_its_budget(monkeypatch):
    """A Jacobian too large for an exact rank (hours of fraction-free elimination) is not
    attempted: the route says so and returns at once, so one point cannot hold up a run."""
    from fake_families import FAMILIES

    from slttheory.verify.evidence import routes

    fam = FAMILIES["fake_regular"]
    assert routes.jacobian_size(fam.rank_problem({"d": 3})) == (3, 3)
    monkeypatch.setattr(routes, "RANK_MAX_ENTRIES", 8)
    rk = routes.rank_route(fam, {"d": 3}, {})
    assert rk.status == "error" and rk.rank is None
    assert "not computed: the Jacobian would be 3 × 3 (9 entries)" in rk.error
    monkeypatch.setattr(routes, "RANK_MAX_ENTRIES", 9)
    assert routes.rank_route(fam, {"d": 3}, {}).rank == 3


def test_a_bound_below_float_range_is_not_maximal():
    """After 200 trials the Schwartz–Zippel bound (about 1e-444) underflowed to 0.0, which
    the report reads as 'the rank is maximal' (5 of a possible 8 here; an outside audit)."""
    from slttheory.models import FAMILIES
    from slttheory.verify.evidence.routes import rank_route
    from slttheory.verify.judge.facts import sz_text

    r = rank_route(FAMILIES["quadratic_network"],
                   dict(d=3, k=2, p=1, bias=False, loss="centred"), {"trials": 200})
    assert (r.rank, r.n_params) == (5, 8) and r.bound > 0
    assert "maximal" not in sz_text(r.bound)


def test_an_affine_maps_zero_bound_is_not_read_as_a_maximal_rank():
    """An audit of decided verdicts: the NTK model's affine map has rank 2 of 8 parameters, its
    Schwartz–Zippel bound 0 because its Jacobian is the same everywhere, and the reason line
    read "rank 2 of 8 … the rank is maximal" (so did the lazy regime's rank 24 of 48)."""
    from slttheory.models import FAMILIES
    from slttheory.verify.evidence.routes import rank_route
    from slttheory.verify.judge.facts import rank_is_affine, sz_text

    q = dict(d=3, k=2, p=1, rank=2, noise=1.0, init_seed=0, loss="mse")
    r = rank_route(FAMILIES["ntk"], q, {})
    assert (r.rank, r.n_params, r.bound) == (2, 8, 0.0)
    assert rank_is_affine(r) and rank_is_affine({"point_rank_how": r.point_rank_how})
    assert "maximal" not in sz_text(r.bound, affine=rank_is_affine(r))
    assert "affine" in sz_text(r.bound, affine=rank_is_affine(r))
    # a map of higher degree is not affine: a bound of 0 there is a maximal rank
    quad = rank_route(FAMILIES["quadratic_network"],
                      dict(d=2, k=3, p=1, bias=False, loss="centred"), {})
    assert not rank_is_affine(quad) and sz_text(0.0) == "the rank is maximal"


def test_rank_route_refuses_a_map_of_too_high_a_degree_before_evaluating_it():
    """A normal crossing x^(10^6) passed validation and held the whole run for minutes in its
    rank map's product of 2·10^6 factors: the degree is refused before any evaluation."""
    import time

    from slttheory.models import FAMILIES
    from slttheory.verify.evidence import routes

    t = time.perf_counter()
    rk = routes.rank_route(FAMILIES["normal_crossing"], {"powers": (10**6, 10**6)}, {})
    assert rk.status == "error" and "degree 2000000" in rk.error
    assert time.perf_counter() - t < 1.0
    ok = routes.rank_route(FAMILIES["normal_crossing"], {"powers": (2, 3)}, {})
    assert ok.status == "ok"


def test_an_out_of_memory_error_is_marked_so_that_resume_computes_it_again():
    from slttheory.verify.evidence.routes import OUT_OF_MEMORY, describe_error

    assert describe_error(MemoryError()).startswith(OUT_OF_MEMORY)
    alloc = RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried 8 GB")
    assert describe_error(alloc).startswith(OUT_OF_MEMORY)
    assert not describe_error(ValueError("bad")).startswith(OUT_OF_MEMORY)


def test_a_plugin_rank_maps_lambda_is_stated_not_certified():
    """An outside audit: a --families module's rank map declaring ``gives_lambda`` made
    'λ = rank/2' certified (the normal crossing w₁²w₂⁴ confirmed at 1/2; its λ is 1/4), while
    a plugin's 'established' formula is taken as stated. The rank is still exact and bounds
    λ; the equality is the plugin's statement."""
    import dataclasses

    from slttheory.models import FAMILIES
    from slttheory.verify.evidence.routes import rank_route

    nc = FAMILIES["normal_crossing"]

    def plugin_rank_problem(params=None, /, **more):
        return dataclasses.replace(nc.rank_problem(params, **more), gives_lambda=True,
                                   reason="the plugin says λ = rank/2")

    fam = dataclasses.replace(nc, name="nc_plugin", formula=None,
                              rank_problem=plugin_rank_problem)
    ev = rank_route(fam, fam.validate({"powers": [1, 2]}), {})
    assert ev.status == "ok" and ev.rank == 1 and ev.certified
    assert not ev.determines_lambda and ev.lam is None and "outside slttheory" in ev.reason
    own = rank_route(nc, nc.validate({"powers": [1, 1]}), {})  # the package's own map
    assert own.status == "ok"


def test_a_plugin_stratum_label_certifies_no_rank_at_w_star():
    """A plugin rank map labelling a special w* 'generic' (reduced-rank regression at rank 0,
    w* = 0, λ = 5/2) certified rank 8 at w*, so λ ≥ 4: the stratum is the plugin's statement,
    as its λ = rank/2 is, and is no longer certified."""
    import dataclasses

    from slttheory.models import FAMILIES
    from slttheory.verify.evidence.routes import rank_route

    rrr = FAMILIES["reduced_rank_regression"]

    def plugin_rank_problem(params=None, /, **more):
        return dataclasses.replace(rrr.rank_problem(params, **more), true_point="generic",
                                   true_support=None)

    plugin_rank_problem.__module__ = "my_plugin"
    fam = dataclasses.replace(rrr, name="rrr_plugin", formula=None,
                              rank_problem=plugin_rank_problem)
    ev = rank_route(fam, fam.validate({"m": 3, "n": 3, "h": 2, "r": 0}), {})
    assert ev.status == "ok" and ev.point_rank == 8 and not ev.point_rank_certified
    assert "not certified" in ev.point_rank_how
    own = rank_route(rrr, rrr.validate({"m": 3, "n": 3, "h": 2, "r": 1}), {})
    assert own.point_rank == 5 and own.point_rank_certified  # the package's own stratum


def _ba_plugin(true_a, true_b, built=("A", "B")):
    """y = B·A·x (2-1-2) built at w* = 0 by a plugin whose rank map states ``true_params``
    (keyed "A", "B"); ``built``: the built module's names for A and B."""
    import torch

    from slttheory.models.registry import Family, ParamSpec, Problem, RankProblem

    class BA(torch.nn.Module):
        def __init__(self):
            super().__init__()
            setattr(self, built[0], torch.nn.Parameter(torch.zeros(1, 2)))
            setattr(self, built[1], torch.nn.Parameter(torch.zeros(2, 1)))

        def forward(self, x):
            a, b = (getattr(self, k) for k in built)
            return x @ a.T @ b.T

    def build(params=None, /, *, n=None, generator, device="cpu", dtype=torch.float32,
              refine_steps=None, refine_lr=1e-3, **more):
        x = torch.randn(n or 50, 2, generator=generator)
        return Problem(BA(), (x, torch.zeros(n or 50, 2)), "gaussian", {"noise": 0.0})

    def rank_problem(params=None, /, **more):
        return RankProblem(
            fn=lambda p, x: x.to(p["A"].dtype) @ p["A"].T @ p["B"].T,
            param_shapes={"A": (1, 2), "B": (2, 1)}, inputs=torch.eye(2, dtype=torch.int64),
            degree=2, gives_lambda=False, reason="stated", true_point="exact",
            true_params={"A": torch.tensor([true_a]), "B": torch.tensor(true_b)},
            inputs_determine=True)

    rank_problem.__module__ = "my_plugin"
    return Family(name="ba_plugin", description="y = BAx", build=build,
                  parameters=(ParamSpec("noise", float, 0.0, None, 0.0, "noise"),),
                  rank_problem=rank_problem, source="Theorist 2026")


def test_a_plugin_exact_true_point_is_checked_against_its_build():
    """A plugin that gave a generic integer point as the 'exact' w* of y = BAx, built at
    w* = 0 (λ = 1), certified rank 3 there and confirmed a false λ = 3/2 (an outside plugin
    author's audit): true_params is compared with the built model's parameters."""
    from slttheory.verify.evidence.routes import rank_route

    wrong = _ba_plugin([1, 2], [[3], [4]])
    ev = rank_route(wrong, {"noise": 0.0}, {})
    assert ev.point_rank == 3 and not ev.point_rank_certified
    assert "'A' differs from the built w*" in ev.point_rank_how
    right = _ba_plugin([0, 0], [[0], [0]])
    ev = rank_route(right, {"noise": 0.0}, {})
    assert ev.point_rank == 0 and ev.point_rank_certified


def test_a_plugin_returning_the_wrong_types_is_named():
    """A formula returning a float, or a rank map returning a dict, failed with "'float' object
    has no attribute 'lower'" (an outside plugin author's audit): the error names the
    family, the function and what it returned."""
    import dataclasses

    from slttheory.verify.evidence.routes import closed_form_route, rank_route

    fam = _ba_plugin([0, 0], [[0], [0]])

    def my_formula(noise):
        return 1.0

    ev = closed_form_route(dataclasses.replace(fam, formula=my_formula), {"noise": 0.0})
    assert ev.status == "error" and "my_formula returned float" in ev.error
    ev = rank_route(dataclasses.replace(fam, rank_problem=lambda *a, **k: {"fn": None}),
                    {"noise": 0.0}, {})
    assert ev.status == "error" and "rank_problem returned dict, not a RankProblem" in ev.error
    from slttheory.verify.evidence.routes import _build

    with pytest.raises(TypeError, match="build returned tuple, not a Problem"):
        _build(dataclasses.replace(fam, build=lambda *a, **k: (1, 2)), {"noise": 0.0}, {},
               "cpu")


def test_a_plugin_support_label_certifies_no_rank_at_w_star():
    """The package's own reduced-rank regression states its w* by support ("support"): taken
    from a --families module, that label is the plugin's statement as "generic" is, and its
    rank at w* is not certified."""
    import dataclasses

    from slttheory.models import FAMILIES
    from slttheory.verify.evidence.routes import rank_route

    rrr = FAMILIES["reduced_rank_regression"]

    def plugin_rank_problem(params=None, /, **more):
        return rrr.rank_problem(params, **more)

    plugin_rank_problem.__module__ = "my_plugin"
    fam = dataclasses.replace(rrr, name="rrr_plugin", formula=None,
                              rank_problem=plugin_rank_problem)
    params = fam.validate({"m": 3, "n": 3, "h": 2, "r": 1})
    assert fam.rank_problem(params).true_point == "support"
    ev = rank_route(fam, params, {})
    assert ev.status == "ok" and ev.point_rank == 5 and not ev.point_rank_certified
    assert "outside slttheory" in ev.point_rank_how


def test_a_plugin_exact_true_point_must_name_the_built_parameters():
    """true_params keyed by names the built model lacks (the map's "A", "B" for a module's
    "a", "b") cannot be compared with the build: not certified, and the reason names it."""
    from slttheory.verify.evidence.routes import rank_route

    ev = rank_route(_ba_plugin([0, 0], [[0], [0]], built=("a", "b")), {"noise": 0.0}, {})
    assert ev.point_rank == 0 and not ev.point_rank_certified
    assert "names 'A', which is no parameter of the built model" in ev.point_rank_how


def test_a_plugin_exact_true_point_whose_build_fails_is_not_certified():
    """Where the build cannot be run to compare, true_params stays the plugin's statement."""
    import dataclasses

    from slttheory.verify.evidence.routes import rank_route

    def broken(params=None, /, **kw):
        raise RuntimeError("no data here")

    fam = dataclasses.replace(_ba_plugin([0, 0], [[0], [0]]), build=broken)
    ev = rank_route(fam, {"noise": 0.0}, {})
    assert ev.point_rank == 0 and not ev.point_rank_certified
    assert "could not be compared with the built w*" in ev.point_rank_how
    assert "no data here" in ev.point_rank_how


def test_a_plugin_build_without_refine_steps_names_its_signature():
    """A build whose signature lacks refine_steps passed it to validate through **more, and
    the error read like a bad family parameter (a plugin author following docs/plugins.md)."""
    import dataclasses

    from slttheory.verify.evidence.routes import _build

    fam = _ba_plugin([0, 0], [[0], [0]])

    def build(params=None, /, *, n=None, generator, device="cpu", **more):
        return fam.validate({**(params or {}), **more})

    with pytest.raises(ValueError, match="must take the keywords refine_steps and refine_lr"):
        _build(dataclasses.replace(fam, build=build), {"noise": 0.0}, {}, "cpu")
