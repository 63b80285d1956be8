"""Exact check a mutation audit found missing: the localisation force in the gradient (γ doubled
there passed every sampling test; its sign flipped was caught only by an RMSProp diagnostics
test) and the temperature a minibatch chain samples at.

Theory (as in test_chain_statistics_exact): at the least-squares point of a linear model the
localised tempered potential is U(w) = ½ Σ_i a_i z_i², a_i = t h_i + γ (t = nβ, h_i the
eigenvalues of the Hessian of L_n, γ the localisation), and SGLD is, per eigen-direction, the
AR(1) z' = φ_i z + √ε ξ, φ_i = 1 − εa_i/2, with stationary variance σ_i² = 1/(a_i(1 − εa_i/4)),
so E[tΔL] = Σ_i ½ t h_i σ_i² exactly.
"""

import math

import numpy as np
import torch
from torch import nn

from slttheory.sampling import estimate_llc


def _noise_free_linear(n=1000, p=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, p, generator=g, dtype=torch.float64)
    y = x @ torch.arange(1.0, p + 1, dtype=torch.float64).unsqueeze(1) + 1.0
    m = nn.Linear(p, 1).to(torch.float64)
    with torch.no_grad():
        m.weight.copy_(torch.arange(1.0, p + 1, dtype=torch.float64).unsqueeze(0))
        m.bias.fill_(1.0)
    X = torch.cat([x, torch.ones(n, 1, dtype=torch.float64)], 1)
    return m, (x, y), np.linalg.eigvalsh((X.T @ X / n).numpy())


def test_minibatch_sgld_samples_at_n_beta_with_the_stated_localisation():
    """Minibatch SGLD (b = 100 of n = 1000), noise-free y = x·(1, 2) + 1 at w* = (1, 2, 1)
    (so ℓ_i(w*) = 0 and the minibatch gradient noise vanishes at w*), γ = 50, t = n/log n:
    λ̂ must be Σ_i ½ t h_i σ_i² (module docstring; ≈ 1.17, well below d/2 = 1.5 because
    γ is a third of t h). Tolerance: 4 reported MC errors plus the one effect the AR(1) omits,
    the minibatch gradient noise, whose relative inflation of σ_i² is at most
    ε t² Var(x xᵀ δ)/(4b) ≈ ε t · 2d/(4b) ≈ 0.3 % at these settings (E|δ|² ≈ d/t; bounded
    by 1 % below). Caught (each ≥ 5 MC errors here): the localisation force −γ(w−w*)
    with its sign flipped (a_i = t h_i − γ: λ̂ ≈ 2.36), γ doubled in the gradient (≈ 0.94),
    and nβ computed from the batch size instead of n (chains at b/log n, their ΔL scaled by
    n/log n: λ̂ ≈ 3.4). MALA is blind to the first two (its energy has the right γ and the MH
    test corrects any drift), so this is SGLD's check."""
    m, data, h = _noise_free_linear()
    n, b, gamma = 1000, 100, 50.0
    t = n / math.log(n)
    a = t * h + gamma
    eps = 0.2 / a.max()  # φ ≈ 0.9: τ ≈ 10; the ε-bias εa/4 = 5 % is in σ_i² exactly
    est = estimate_llc(m, data, step_size=eps, chains=4, draws=2000, burn_in=500,
                       localization=gamma, batch_size=b, sampler="sgld", method="single",
                       seed=torch.Generator().manual_seed(11), device="cpu")
    assert math.isclose(est.config.nbeta, t, rel_tol=1e-12)  # n·(1/log n), not b·(1/log n)
    var_z = 1.0 / (a * (1 - eps * a / 4))
    want = float(np.sum(0.5 * t * h * var_z))
    minibatch = eps * t * 2 * len(h) / (4 * b)
    assert minibatch < 0.01
    tol = 4 * est.mc_error + minibatch * want
    assert abs(est.llc - want) < tol, (est.llc, want, est.mc_error)
