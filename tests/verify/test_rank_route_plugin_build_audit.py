"""An audit of certified ranks in the rank route: what a plugin's build says of w* is its own
statement even where its rank map is the package's, and an exact w* is compared with the
build in float64."""

from __future__ import annotations

import dataclasses

import torch


def test_the_packages_rank_map_with_a_plugins_build_certifies_nothing_at_its_w_star():
    """A plugin that reuses reduced-rank regression's rank map with its own build (w* = 0 at
    m = n = 5, h = r = 3) had the package's 'support' stratum and 'λ = rank/2' trusted, since
    only the rank map's module was looked at: λ = 21/2 confirmed and λ ≥ 21/2 certified at a
    w* whose λ is 13/2 (Aoyagi & Watanabe 2005, rank 0), so a true claim λ = 13/2 was
    refuted."""
    from slttheory.models import FAMILIES
    from slttheory.models.linear import ReducedRankRegression
    from slttheory.models.registry import Problem
    from slttheory.verify.evidence.routes import rank_route

    rrr = FAMILIES["reduced_rank_regression"]

    def build(params=None, /, *, n=None, generator, device="cpu", dtype=torch.float32,
              refine_steps=None, refine_lr=1e-3, **more):
        q = rrr.validate({**(params or {}), **more})
        model = ReducedRankRegression(q["m"], q["n"], q["h"], dtype=dtype)
        with torch.no_grad():
            for w in model.parameters():
                w.zero_()  # the plugin's true point: the zero product
        x = torch.randn(n or 50, q["m"], generator=generator, dtype=dtype)
        return Problem(model, (x, torch.zeros(n or 50, q["n"], dtype=dtype)), "gaussian", q)

    build.__module__ = "my_plugin"
    fam = dataclasses.replace(rrr, name="rrr_at_zero", formula=None, build=build)
    ev = rank_route(fam, fam.validate({"m": 5, "n": 5, "h": 3, "r": 3}), {})
    assert ev.status == "ok" and ev.rank == 21 and ev.point_rank == 21
    assert not ev.determines_lambda and ev.lam is None
    assert not ev.point_rank_certified
    own = rank_route(rrr, rrr.validate({"m": 5, "n": 5, "h": 3, "r": 3}), {})
    assert own.determines_lambda and own.point_rank_certified  # the package's own family


C = 2**24 + 1  # not a float32: it rounds to 2^24


def _shifted_product_plugin():
    """f(w) = (w − C)²·x, built at its true point w* = C, where J = 0 and K ≍ (w − C)⁴
    (λ = 1/4); the rank map states true_params C − 1, one off, where J = −2: rank 1."""
    from slttheory.models.registry import Family, ParamSpec, Problem, RankProblem

    class Shifted(torch.nn.Module):
        def __init__(self, dtype):
            super().__init__()
            self.w = torch.nn.Parameter(torch.tensor([float(C)], dtype=torch.float64)
                                        .to(dtype))

        def forward(self, x):
            return (self.w[0] - C) ** 2 * x

    def build(params=None, /, *, n=None, generator, device="cpu", dtype=torch.float32,
              refine_steps=None, refine_lr=1e-3, **more):
        x = torch.randn(n or 50, 1, generator=generator, dtype=dtype)
        return Problem(Shifted(dtype), (x, torch.zeros(n or 50, 1, dtype=dtype)), "gaussian",
                       {"noise": 0.0})

    def rank_problem(params=None, /, **more):
        return RankProblem(
            fn=lambda p, x: ((p["w"][0] - C) * (p["w"][0] - C)).expand(x.shape[0], 1)
            * x.to(p["w"].dtype),
            param_shapes={"w": (1,)}, inputs=torch.ones(1, 1, dtype=torch.int64), degree=2,
            gives_lambda=False, reason="stated", true_point="exact",
            true_params={"w": torch.tensor([C - 1])}, inputs_determine=True)

    rank_problem.__module__ = build.__module__ = "my_plugin"
    return Family(name="shifted", description="(w - C)^2 x", build=build,
                  parameters=(ParamSpec("noise", float, 0.0, None, 0.0, "noise"),),
                  rank_problem=rank_problem, source="Theorist 2026")


def test_an_exact_w_star_is_compared_with_the_build_in_float64():
    """The build was compared in its default float32, where C = 2^24 + 1 reads 2^24 = C − 1:
    true_params one off the built w* passed, and rank 1 at the wrong point certified λ ≥ 1/2
    where λ(w*) = 1/4."""
    from slttheory.verify.evidence.routes import rank_route

    ev = rank_route(_shifted_product_plugin(), {"noise": 0.0}, {})
    assert ev.status == "ok" and ev.point_rank == 1
    assert not ev.point_rank_certified
    assert "differs from the built w*" in ev.point_rank_how


def test_the_packages_established_formula_on_a_plugins_build_is_as_stated():
    """The closed-form route as the rank route: reduced-rank regression's established
    formula reused by a plugin whose build is its own is the plugin's statement that its
    model is that one, not a published theorem the package's tests check about it."""
    from slttheory.models import FAMILIES
    from slttheory.verify.evidence.routes import closed_form_route

    rrr = FAMILIES["reduced_rank_regression"]

    def build(params=None, /, **kwargs):
        return rrr.build(params, **kwargs)

    build.__module__ = "my_plugin"
    fam = dataclasses.replace(rrr, name="rrr_own_build", build=build)
    q = {"m": 5, "n": 5, "h": 3, "r": 0}
    own = closed_form_route(rrr, rrr.validate(q))
    theirs = closed_form_route(fam, fam.validate(q))
    assert own.standing == "established" and theirs.standing == "as_stated"
    assert theirs.value == own.value and "my_plugin" in theirs.case
