r"""Symmetry orbits through w*: a certified *upper* bound on λ.

If K vanishes on a smooth submanifold S ∋ w* of dimension s (e.g. the orbit of a group of
reparametrisations that leave the model's function unchanged), then near w*, in coordinates
(u along S, v across it), K(u, v) ≤ C‖v‖² (K is analytic, ≥ 0 and zero on S), so
{K < ε} contains a tube of volume ≍ ε^{(d−s)/2} and

.. math:: \lambda(w^*) \le (d - s)/2 .

Unlike "generic rank/2" (which over ℝ is no bound at special points), this needs only an
orbit we can exhibit. For seed 001's quadratic network f(x) = Σ_k v_k (w_kᵀx [+ b_k])² [+ c]
(Cullen et al. 2026, arXiv:2603.01192, §3):

- **scaling**, every unit: (w_k, b_k, v_k) ↦ (t w_k, t b_k, t⁻² v_k), tangent (w_k, b_k, −2 v_k);
- **one-hot shift**, on one-hot pair inputs x = [e_a; e_b] without hidden bias: with
  w_k = (u_k, z_k), (u_k, z_k) ↦ (u_k + c·1, z_k − c·1) keeps u_{k,a} + z_{k,b} for every (a, b),
  tangent (1, −1, 0);
- a unit with v_k = 0 leaves f unchanged whatever its w_k (and b_k): all of them are free.

The orbit of (ℝ_{>0} × ℝ)^K (times the free coordinates of dead units) is an immersed
submanifold whose dimension is the rank of these tangent vectors at w*. They are supported on
disjoint units, so the rank is the sum over units: 2 for a unit with v_k ≠ 0 on one-hot data
(its scaling tangent has a non-zero v-part, the shift tangent none), 1 for such a unit on
generic data, and the number of w-coordinates for a unit with v_k = 0. These are exact
statements about the floating-point w* (v_k ≠ 0 is decided exactly), so the bound is certified.
"""

from __future__ import annotations

from typing import Any

__all__ = ["quadratic_orbit", "modular_orbit"]


def _orbit(model: Any, one_hot: bool) -> tuple[int, int, str]:
    W, V = model.W.detach(), model.V.detach()
    bias = getattr(model, "b", None) is not None
    d_w = W.shape[0] + (1 if bias else 0)
    alive = (V != 0).any(dim=0)
    k_alive, k_dead = int(alive.sum()), int((~alive).sum())
    per_alive = 2 if (one_hot and not bias) else 1
    s = per_alive * k_alive + d_w * k_dead
    n_params = sum(p.numel() for p in model.parameters())
    how = (f"{k_alive} unit(s) with v_k ≠ 0 × {per_alive} "
           f"({'scaling and one-hot shift' if per_alive == 2 else 'scaling'}) + {k_dead} unit(s) "
           f"with v_k = 0 × {d_w} free w-coordinates = {s}")
    return s, n_params, how


def quadratic_orbit(problem: Any) -> tuple[int, int, str]:
    """``(s, d, how)`` for ``quadratic_network``: scaling orbits (inputs are generic).

    >>> import torch
    >>> from slttheory.models import QuadraticNetwork
    >>> m = QuadraticNetwork(3, 2, 1)
    >>> with torch.no_grad():
    ...     _ = m.W.fill_(1.0), m.V.fill_(1.0)
    >>> quadratic_orbit(type("P", (), {"model": m})())[:2]
    (2, 8)
    """
    return _orbit(problem.model, one_hot=False)


def modular_orbit(problem: Any) -> tuple[int, int, str]:
    """``(s, d, how)`` on one-hot pair inputs: scaling and the one-hot shift per live unit, so
    λ ≤ K(3p − 2)/2 when every unit is live (d = 3pK parameters).

    >>> import torch
    >>> from slttheory.models import QuadraticNetwork
    >>> m = QuadraticNetwork(10, 4, 5)       # p = 5: d = 2p inputs, p outputs, K = 4
    >>> with torch.no_grad():
    ...     _ = m.W.fill_(1.0), m.V.fill_(1.0)
    >>> s, d, _ = modular_orbit(type("P", (), {"model": m})())
    >>> s, d, (d - s) / 2                  # K(3p - 2)/2 = 26 < K(3p - 1)/2 = 28
    (8, 60, 26.0)
    """
    return _orbit(problem.model, one_hot=True)
