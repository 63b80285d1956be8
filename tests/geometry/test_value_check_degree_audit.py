"""check_jacobian_by_values must not vouch for a map's degree from points too few to see it.

An audit of certified ranks: where the values at radius 10 (or 3) pass 2^53 the check fell
back to entries in {−1, 0, 1}, where the points w + t·v (t = 0..D) lie in [−1 − D, 1 + D].
A map whose part of degree above the stated D vanishes to second order there passed, and a
rank "certified exact" came from a misstated degree.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch

from slttheory.geometry import check_jacobian_by_values, true_point_rank

K = 2**30


def _hidden_degree_map(p, x):
    """f(w) = w + K·q(w)², q(w) = w(w² − 1)(w² − 4): degree 11, but stated degree 1 below.
    q vanishes at every integer in [−2, 2], so f(w + v) − f(w) = v = f'(w)·v at every point
    the radius-1 fallback draws, while at radius 10 the values pass 2^53."""
    w = p["w"]
    q = w * (w - 1) * (w + 1) * (w - 2) * (w + 2)
    return (w + K * q * q).expand(x.shape[0], 1) * x.to(w.dtype)


def _critical_point() -> float:
    """A real zero of f' (there rank J = 0), away from the integers."""
    q = np.poly1d([1, 0, -5, 0, 4, 0])
    f = np.poly1d([1, 0]) + K * q * q
    roots = [z.real for z in f.deriv().r if abs(z.imag) < 1e-9]
    return next(r for r in roots if 1.2 < r < 1.9)


def test_a_misstated_degree_is_not_vouched_for_at_the_radius_one_fallback():
    inputs = torch.ones(1, 1, dtype=torch.int64)
    assert not check_jacobian_by_values(_hidden_degree_map, {"w": (1,)}, inputs, degree=1)


def test_no_exact_rank_at_w_star_from_a_misstated_degree():
    """The degree ≤ 1 branch takes J at 0 for J at w*: rank 1 'exactly', where the map's own
    Jacobian at w* ≈ 1.644 is 0 (so λ(w*) ≥ 1/2 would refute a true λ = 1/4 there)."""
    w_star = _critical_point()
    rp = SimpleNamespace(fn=_hidden_degree_map, param_shapes={"w": (1,)},
                         inputs=torch.ones(1, 1, dtype=torch.int64), degree=1,
                         true_point="exact", true_params={"w": torch.tensor([w_star])},
                         true_support=None)
    res = true_point_rank(rp)
    assert res.rank == 1  # J at the integer point 0
    assert not res.certified and not res.exact
