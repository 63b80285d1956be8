"""The convergence diagnostics against cases whose answer is known (an outside mutation test:
an R-hat without the split, and ESS or MCSE with the iid formula, passed every other test)."""

import math

import numpy as np
import torch

from slttheory.sampling.diagnostics import ess, mcse, rhat


def _ar1(rho: float, chains: int, draws: int, seed: int) -> np.ndarray:
    """Stationary AR(1) x_t = ρ x_{t-1} + √(1−ρ²) ξ_t, unit variance, from a seeded generator."""
    xi = torch.randn(chains, draws, generator=torch.Generator().manual_seed(seed),
                     dtype=torch.float64).numpy()
    x = np.empty_like(xi)
    x[:, 0] = xi[:, 0]
    s = math.sqrt(1 - rho * rho)
    for t in range(1, draws):
        x[:, t] = rho * x[:, t - 1] + s * xi[:, t]
    return x


def test_ess_and_mcse_of_an_ar1_are_the_autocorrelated_ones():
    """AR(1), ρ = 0.9, 4 × 20 000 draws: ESS = N(1−ρ)/(1+ρ) = 4211, MCSE = 1/√ESS = 0.0154.
    The estimators' relative error at this ESS is a few % (Geyer 1992, initial-sequence
    estimator, sd ≈ √(2·2τ/N)·… ≈ 3 %): tolerance 15 %. The iid formulas (ESS = N, MCSE
    = 1/√N) are 4.4× off in MCSE, 19× in ESS."""
    rho, k, n = 0.9, 4, 20_000
    x = _ar1(rho, k, n, seed=0)
    want_ess = k * n * (1 - rho) / (1 + rho)
    assert abs(ess(x) / want_ess - 1) < 0.15, ess(x)
    assert abs(mcse(x) * math.sqrt(want_ess) - 1) < 0.15, mcse(x)


def test_split_rhat_sees_a_drift_that_every_chain_shares():
    """4 chains whose mean moves from 0 to 1 half-way: the chains agree with each other (the
    non-split R-hat ≈ 1.0) but not with themselves; the split R-hat (Vehtari et al. 2021 §4)
    compares the halves: between-half variance 1/4 against within 1, R-hat ≈ √(1 + 1/4)
    ≈ 1.1 > 1.05."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 2000, generator=g, dtype=torch.float64).numpy()
    x[:, 1000:] += 1.0
    assert rhat(x) > 1.05, rhat(x)
