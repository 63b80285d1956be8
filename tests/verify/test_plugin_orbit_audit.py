"""An audit of symmetry orbits: a family's ``orbit`` from outside slttheory (or the package's
orbit on a plugin's build) is its author's statement, which nothing here checks, and must not
give a certified upper bound λ ≤ (d − s)/2.

A plugin of the linear model y = wᵀx (d = 4, λ = 2) stating an orbit of dimension 3 through
its w* had the true claim λ = d/2 refuted as certified (λ ≤ 1/2)."""

from __future__ import annotations

import dataclasses

import torch
from fake_families import FAMILIES

from slttheory.models.registry import Problem
from slttheory.verify.claims import parse_claim
from slttheory.verify.evidence.records import PointEvidence
from slttheory.verify.evidence.routes import _build, at_point
from slttheory.verify.judge import point_verdict
from slttheory.verify.judge.facts import facts_of


def _plugin_build(params=None, /, *, n=None, generator, device="cpu", refine_steps=None,
                  refine_lr=1e-3, **more):
    d = {**(params or {}), **more}["d"]
    x = torch.randn(200, d, generator=generator)
    w = torch.randn(d, 1, generator=generator)
    model = torch.nn.Linear(d, 1, bias=False)
    with torch.no_grad():
        model.weight.copy_(w.T)
    return Problem(model, (x, x @ w), "gaussian", {"d": d})  # noiseless: w* the minimiser


_plugin_build.__module__ = "my_plugin"


def _stated_orbit(problem):
    return 3, 4, "a rescaling its author believes in"


_stated_orbit.__module__ = "my_plugin"


def _verdict(fam):
    fams = {**FAMILIES, "fake_regular": fam}
    params = {"d": 4}
    at = at_point(fam, params, _build(fam, params, {}, "cpu"), "cpu")
    assert at.checks.get("is_local_min") is True and at.orbit["dimension"] == 3
    c = parse_claim({"id": "c", "title": "t", "source": "Someone 2020",
                     "family": "fake_regular", "kind": "closed_form", "predicted": "d/2",
                     "relation": "==", "evidence": ["closed_form", "rank", "llc"],
                     "grid": {"d": [4]}, "tolerance": {"llc_rel": 0.1}}, "c.toml", fams)
    ev = PointEvidence(None, None, None, 0.0, at)
    return point_verdict(c, params, ev, c.predicted_at(params), {}), facts_of(c, ev), at


def test_a_plugins_stated_orbit_certifies_no_upper_bound():
    fam = dataclasses.replace(FAMILIES["fake_regular"], orbit=_stated_orbit,
                              build=_plugin_build)
    v, facts, at = _verdict(fam)
    assert not (v.verdict == "refuted" and v.grade == "certified"), v.reason
    orbit_facts = [f for f in facts if f.route == "symmetry orbit"]
    assert orbit_facts and all(f.grade != "certified" for f in orbit_facts)
    assert "my_plugin" in at.orbit.get("stated", "")


class _Cubic(torch.nn.Module):
    """Σ_k v_k (w_kᵀx)³: the rotations preserving diag(v) and the scaling (w, −2v) of the
    quadratic network are no symmetries of it."""

    def __init__(self, W, V):
        super().__init__()
        self.W, self.V = torch.nn.Parameter(W), torch.nn.Parameter(V)

    def forward(self, x):
        return (x @ self.W).pow(3) @ self.V.T


def _cubic_build(params=None, /, *, n=None, generator, device="cpu", refine_steps=None,
                 refine_lr=1e-3, **more):
    # small input weights: the tangents' first-order guard is relative to the outputs, which
    # are then tiny, so the wrong tangents pass it
    W = 1e-4 * torch.randn(3, 2, generator=generator, dtype=torch.float64)
    V = torch.randn(1, 2, generator=generator, dtype=torch.float64)
    model = _Cubic(W, V)
    x = torch.randn(200, 3, generator=generator, dtype=torch.float64)
    with torch.no_grad():
        y = model(x)
    return Problem(model, (x, y), "gaussian", {"d": 3})


_cubic_build.__module__ = "my_plugin"


def test_the_packages_orbit_on_a_plugins_build_is_the_plugins_statement():
    """The package's quadratic orbit on a plugin's cubic network: 2 scalings and 1 rotation,
    s = 3 of 8 parameters, where the cubic network's own scalings (w, −3v) make 2: its
    first-order guard passed on the plugin's small weights, and λ ≤ 5/2 was certified."""
    from slttheory.models.symmetry import quadratic_orbit

    fam = dataclasses.replace(FAMILIES["fake_regular"], orbit=quadratic_orbit,
                              build=_cubic_build)
    params = {"d": 3}
    at = at_point(fam, params, _build(fam, params, {}, "cpu"), "cpu")
    assert at.orbit.get("dimension") == 3, at.orbit  # the guard did not catch it
    assert "my_plugin" in at.orbit.get("stated", "")
