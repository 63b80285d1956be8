"""The force of :class:`~slttheory.sampling.kernels.PreconditionedPotential` and the law of
SGLD run in its coordinates.

The preconditioner is constant (w = w* + Lz), so there is no Γ correction term: the target
in z is exp(−U(w* + Lz)) and the force must be its exact gradient Lᵀ∇U. MALA cannot check
that force (its Metropolis–Hastings test corrects any drift whose proposal density it
computes, so a wrong force only slows it); SGLD cannot hide it. Tolerances: float64
round-off for the identity, z = 4 Monte-Carlo standard errors (``mcse``, two-sided
p ≈ 6e-5) for the stationary law; every draw comes from a seeded torch.Generator.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from slttheory.sampling import LocalizedPotential, mcse, sgld
from slttheory.sampling.kernels import PreconditionedPotential
from slttheory.sampling.precondition import curvature_factor

Z = 4.0


def _quartic_loss(w: torch.Tensor, _batch: object) -> tuple[torch.Tensor, torch.Tensor]:
    """ΔL = ½ Σ c_j w_j² + (w₁w₂)², non-quadratic and coupling the coordinates."""
    c = torch.tensor([3.0, 0.5, 2.0], dtype=w.dtype)
    p = w[:, 0] * w[:, 1]
    g = c * w + torch.nn.functional.pad(torch.stack([2 * p * w[:, 1], 2 * p * w[:, 0]], -1),
                                        (0, 1))
    return 0.5 * (c * w * w).sum(-1) + p * p, g


@pytest.mark.parametrize("dense", [False, True])
@pytest.mark.parametrize("groups", [None, 2])
def test_preconditioned_force_is_the_gradient_of_the_energy_in_z(dense, groups):
    """∇_z of Ũ(z) = U(w* + Lz) by autograd equals the potential's force, for a diagonal and
    a dense L, one L or one per group of rows, with per-chain nβ, γ = 0.7 and w* ≠ 0, and
    each row's w = w* + Lz uses its group's L (exact: float64 round-off, rel/abs 1e-12). A
    diagonal force scaled by L² instead of L passed every sampling test (MALA's tests, the
    batched-equals-alone tests): this one fails for it."""
    gen = torch.Generator().manual_seed(4)
    rows, d = 6, 3
    center = torch.tensor([0.4, -1.0, 0.2], dtype=torch.float64)
    nb = torch.tensor([2.0, 5.0, 0.7, 11.0, 1.0, 3.0], dtype=torch.float64)
    base = LocalizedPotential(_quartic_loss, nb, 0.7, center.expand(rows, -1).contiguous())
    shape = ((groups,) if groups else ()) + ((d, d) if dense else (d,))
    factor = 0.2 + torch.rand(shape, generator=gen, dtype=torch.float64)
    pot = PreconditionedPotential(base, factor, groups=groups)
    z = torch.randn(rows, d, generator=gen, dtype=torch.float64, requires_grad=True)
    dl, force = pot(z)
    (auto,) = torch.autograd.grad(pot.energy(z, dl).sum(), z)
    assert torch.allclose(force, auto, rtol=1e-12, atol=1e-12)
    per = rows // (groups or 1)  # rows of each group use that group's L: w = w* + L z
    fs = factor.unsqueeze(0) if groups is None else factor
    for i in range(rows):
        f = fs[i // per]
        lz = f @ z[i].detach() if dense else f * z[i].detach()
        assert torch.allclose(pot.to_position(z)[i].detach(), center + lz, rtol=1e-12,
                              atol=1e-12)


@pytest.mark.parametrize("kind", ["dense", "diagonal"])
def test_preconditioned_sgld_has_the_discretised_law_of_its_coordinates(kind):
    """SGLD in z on U = ½ wᵀPw is the linear recursion z' = (I − εA/2) z + √ε ξ with
    A = LᵀPL, whose stationary covariance S solves S = (I − εA/2) S (I − εA/2)ᵀ + εI
    (discrete Lyapunov equation, scipy); Cov w = L S Lᵀ. Dense: P with eigenvalues 400 and
    1 rotated by 0.6, whitened by its L (A = I, S = I/(1 − ε/4)). Diagonal: P = [[400, 12],
    [12, 1]], whose diagonal L leaves A = [[1, 0.6], [0.6, 1]], so S is not a rescaled
    identity. Each entry of Cov w within 4 MC errors at ε = 0.5, where the discretisation
    inflates the variances by 5–25 %: each variance lies > 10 MC errors from P⁻¹'s
    (measured 17–37)."""
    from scipy.linalg import solve_discrete_lyapunov

    if kind == "dense":
        c, s_ = math.cos(0.6), math.sin(0.6)
        rot = torch.tensor([[c, -s_], [s_, c]], dtype=torch.float64)
        prec = rot @ torch.diag(torch.tensor([400.0, 1.0], dtype=torch.float64)) @ rot.T
    else:
        prec = torch.tensor([[400.0, 12.0], [12.0, 1.0]], dtype=torch.float64)
    base = LocalizedPotential(lambda w, g: (0.5 * ((w @ prec) * w).sum(-1), w @ prec),
                              nbeta=1.0, localization=0.0,
                              center=torch.zeros(2, dtype=torch.float64))
    factor = curvature_factor(prec if kind == "dense" else prec.diagonal(), 1.0, 0.0,
                              kind).factor
    lmat = factor if kind == "dense" else torch.diag(factor)
    eps = 0.5
    amat = (lmat.T @ prec @ lmat).numpy()
    phi = np.eye(2) - 0.5 * eps * amat
    cov_w = lmat.numpy() @ solve_discrete_lyapunov(phi, eps * np.eye(2)) @ lmat.numpy().T
    pot = PreconditionedPotential(base, factor)
    alg = sgld(pot, eps, mh_diagnostic=False)
    gen = torch.Generator().manual_seed(3)
    state = alg.init(torch.zeros(400, 2, dtype=torch.float64), gen)
    ws = []
    for t in range(1700):
        state, _ = alg.step(gen, state, False)
        if t >= 200:
            ws.append(pot.to_position(state.position))
    w = torch.stack(ws, 1).numpy()
    exact = np.linalg.inv(prec.numpy())
    for i, j in ((0, 0), (1, 1), (0, 1)):
        prod = w[:, :, i] * w[:, :, j]
        se = mcse(prod)
        assert abs(prod.mean() - cov_w[i, j]) < Z * se, (kind, i, j, prod.mean(), cov_w[i, j])
        if i == j:
            assert abs(prod.mean() - exact[i, j]) > 10 * se, (kind, i, j)
