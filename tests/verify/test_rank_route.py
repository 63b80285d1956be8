"""The rank route: λ from a rank only where the family says so, and a budget on its cost."""

from __future__ import annotations


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
    from slttheory.verify.judge.facts import _sz

    r = rank_route(FAMILIES["quadratic_network"],
                   dict(d=3, k=2, p=1, bias=False, loss="centred"), {"trials": 200})
    assert (r.rank, r.n_params) == (5, 8) and r.bound > 0
    assert "maximal" not in _sz(r.bound)


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
