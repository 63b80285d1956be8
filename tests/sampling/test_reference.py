"""The exact normal-crossing estimand against an independent route and its limits."""

import math

import pytest
from scipy import integrate

from slttheory.sampling.reference import crossing_estimand, crossing_log_z


def _log_z_2d(t: float, k: int, x2: float, gamma: float) -> float:
    """log Z by a plain two-dimensional quadrature (no closed-form v-integral)."""
    def f(v: float, u: float) -> float:
        return math.exp(-t * 0.5 * x2 * u ** (2 * k) * v * v - 0.5 * gamma * (u * u + v * v))

    z, _ = integrate.dblquad(f, 0, 12, 0, 12, epsabs=0, epsrel=1e-10)
    return math.log(4 * z)


@pytest.mark.parametrize("k", [1, 2])
def test_log_z_matches_a_two_dimensional_quadrature(k):
    for t in (0.5, 20.0):
        assert crossing_log_z(t, k, 1.3, 0.7) == pytest.approx(_log_z_2d(t, k, 1.3, 0.7),
                                                               abs=1e-7)


@pytest.mark.parametrize("k, lam, m", [(1, 0.5, 2), (2, 0.25, 1)])
def test_estimand_rises_towards_lambda(k, lam, m):
    """G(t) increases with t and stays below λ (for m = 2 by about 1/log t, §1's law)."""
    ts = [1e2, 1e4, 1e6, 1e8]
    g = [crossing_estimand(t, k, 1.0, 1.0) for t in ts]
    assert all(a < b < lam for a, b in zip(g, g[1:], strict=False))
    if m == 2:
        gap = lam - g[-1]
        assert 0.5 / math.log(ts[-1]) < gap < 1.5 / math.log(ts[-1])


@pytest.mark.parametrize("kwargs, name", [
    (dict(t=0.0, k=1, x2=1.0, gamma=1.0), "t"),
    (dict(t=1.0, k=0, x2=1.0, gamma=1.0), "k"),
    (dict(t=1.0, k=True, x2=1.0, gamma=1.0), "k"),
    (dict(t=1.0, k=1, x2=math.nan, gamma=1.0), "x2"),
    (dict(t=1.0, k=1, x2=1.0, gamma=-1.0), "gamma"),
])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=f"^{name} must"):
        crossing_estimand(**kwargs)


# ------------------------------------------------------------------ the tanh network's estimand


def test_tanh_sampling_matches_the_neuron_quadrature():
    """h = 1: importance sampling from the prior against the one-dimensional quadrature of the
    Gaussian a-integral (independent routes to the same G), within 4 of its standard errors."""
    import torch

    from slttheory.sampling.reference import tanh_estimand, tanh_neuron_log_z

    ts = [14.5, 145.0, 1450.0]
    r = tanh_estimand(1, ts, 0.8, samples=4 * 10**5, generator=torch.Generator().manual_seed(0))
    for t, g, se in zip(ts, r.value, r.std_error, strict=True):
        h = 1e-3
        exact = -(tanh_neuron_log_z(t * math.exp(h), 0.8)
                  - tanh_neuron_log_z(t * math.exp(-h), 0.8)) / (2 * h)
        assert abs(g - exact) < 4 * se, (t, g, exact, se)
        assert 0 < exact < 0.5  # below λ = 1/2 (m = 2: by about 1/log t)


def test_tanh_estimand_bad_input():
    from slttheory.sampling.reference import tanh_estimand

    with pytest.raises(ValueError, match="h must be"):
        tanh_estimand(0, [1.0])
    with pytest.raises(ValueError, match="samples"):
        tanh_estimand(2, [1.0], samples=10)
    with pytest.raises(ValueError, match="t must be"):
        tanh_estimand(2, [-1.0])
