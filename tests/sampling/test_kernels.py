"""Exact tests of the Langevin kernels on Gaussian potentials.

Tolerances are z = 4 Monte-Carlo standard errors (two-sided p ≈ 6e-5), each stated where used.
"""

import math

import numpy as np
import pytest
import torch

from slttheory.sampling import LocalizedPotential, mala, mcse, rmsprop_sgld, sgld
from slttheory.sampling.kernels import mh_log_acceptance

Z = 4.0


def quadratic(a: float, dtype=torch.float64) -> LocalizedPotential:
    """U(w) = ½ a ‖w‖² as nβ·ΔL with ΔL = ½‖w‖², nβ = a, no localization."""
    return LocalizedPotential(lambda w, g: (0.5 * (w * w).sum(-1), w), nbeta=a,
                              localization=0.0, center=torch.zeros(1, dtype=dtype))


def run(alg, chains, steps, burn, seed=0):
    gen = torch.Generator().manual_seed(seed)
    state = alg.init(torch.zeros(chains, 1, dtype=torch.float64), gen)
    out = torch.empty(chains, steps, dtype=torch.float64)
    accs = []
    for t in range(burn + steps):
        state, info = alg.step(gen, state)
        if t >= burn:
            out[:, t - burn] = state.position[:, 0]
            if info.acceptance_prob is not None:
                accs.append(info.acceptance_prob.mean())
    return out.numpy(), (float(torch.stack(accs).mean()) if accs else None)


def test_sgld_stationary_variance_is_the_discretised_one():
    """Euler chain w' = (1 - εa/2) w + √ε ξ is AR(1) with φ = 1 - εa/2 and stationary variance
    ε / (1 - φ²) = 1 / (a (1 - εa/4)); with εa = 0.4 that is 1.111/a, 11 % above 1/a."""
    a, eps = 2.0, 0.2
    x, _ = run(sgld(quadratic(a), eps), chains=200, steps=2000, burn=100)
    exact = 1.0 / (a * (1 - eps * a / 4))
    var_hat = float((x**2).mean())
    se = mcse(x**2)
    assert abs(var_hat - exact) < Z * se
    assert abs(var_hat - 1.0 / a) > 10 * se  # the test can tell the bias apart
    assert abs(float(x.mean())) < Z * mcse(x)


def test_mala_is_exact_where_sgld_is_biased():
    """MALA's invariant law is N(0, 1/a) exactly even at εa = 1 (SGLD's variance: 4/3 · 1/a)."""
    a, eps = 2.0, 0.5
    x, acc = run(mala(quadratic(a), eps), chains=200, steps=2000, burn=100)
    var_hat = float((x**2).mean())
    assert abs(var_hat - 1.0 / a) < Z * mcse(x**2)
    assert abs(float(x.mean())) < Z * mcse(x)
    assert 0.5 < acc < 1.0


def test_mala_acceptance_probability_by_hand():
    """1-D: U = a w²/2, w = 0.7, ε = 0.3; q(w'|w) = N(w - ε a w / 2, ε)."""
    a, eps, w = 2.0, 0.3, 0.7
    pot = LocalizedPotential(lambda v, g: (0.5 * (v * v).sum(-1), v), nbeta=a,
                             localization=0.0, center=torch.zeros(1, dtype=torch.float64))
    alg = mala(pot, eps)
    state = alg.init(torch.full((1, 1), w, dtype=torch.float64))
    seed = 123
    xi = float(torch.randn((1, 1), generator=torch.Generator().manual_seed(seed),
                           dtype=torch.float64))
    _, info = alg.step(torch.Generator().manual_seed(seed), state)
    wp = w - eps / 2 * a * w + math.sqrt(eps) * xi

    def log_q(to, frm):
        return -((to - frm + eps / 2 * a * frm) ** 2) / (2 * eps)

    log_alpha = (a * w**2 / 2 - a * wp**2 / 2) + log_q(w, wp) - log_q(wp, w)
    expected = min(1.0, math.exp(log_alpha))
    assert float(info.acceptance_prob) == pytest.approx(expected, rel=1e-12)


def test_mala_rejects_nan_energy():
    """safe_energy_diff: a NaN potential at the proposal is a rejection, the state is kept."""
    pot = LocalizedPotential(lambda w, g: (torch.where(w[:, 0] > 0, torch.nan, 0.0),
                                           torch.zeros_like(w)),
                             nbeta=1.0, localization=0.0, center=torch.zeros(1))
    alg = mala(pot, 1.0)
    state = alg.init(torch.zeros(64, 1))
    new, info = alg.step(torch.Generator().manual_seed(0), state)
    up = (new.position[:, 0] != 0)
    assert torch.isfinite(new.loss).all()
    assert bool((info.acceptance_prob[~info.is_accepted] < 1).all())
    assert bool((new.position[up, 0] < 0).all())  # only moves to w < 0 were accepted
    assert int(up.sum()) > 0


def test_mh_log_acceptance_symmetric_zero_for_flat_potential():
    """With U ≡ 0 the Langevin proposal is a symmetric random walk: log a = 0."""
    xi = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    z = torch.zeros(5, 3)
    la = mh_log_acceptance(torch.zeros(5), z, torch.zeros(5), z, xi, torch.full((1, 1), 0.1))
    assert torch.allclose(la, torch.zeros(5), atol=1e-6)


def test_sgld_same_generator_same_draws_and_noise_scaling():
    """optax-style exact test: with the same generator state, the SGLD move on a flat potential
    is √ε times the generator's normal draw (one (K, d) draw per step)."""
    flat = LocalizedPotential(lambda w, g: (torch.zeros(w.shape[0]), torch.zeros_like(w)),
                              nbeta=1.0, localization=0.0, center=torch.zeros(3))
    eps = 0.04
    alg = sgld(flat, eps)
    state = alg.init(torch.zeros(4, 3))
    new, _ = alg.step(torch.Generator().manual_seed(7), state)
    xi = torch.randn(4, 3, generator=torch.Generator().manual_seed(7))
    assert torch.allclose(new.position, math.sqrt(eps) * xi, rtol=1e-6, atol=0)


def test_rmsprop_sgld_gaussian_is_stable_and_centred():
    """RMSProp-SGLD on U = ½ a w² stays finite and centred (mean 0 within MC error: the
    target is symmetric and the preconditioner is even in w)."""
    x, acc = run(rmsprop_sgld(quadratic(2.0), 0.05, alpha=0.99), chains=100, steps=1000,
                 burn=200)
    assert acc is None
    assert np.isfinite(x).all()
    assert abs(float(x.mean())) < Z * mcse(x)


def test_kernels_reject_bad_arguments():
    pot = quadratic(1.0)
    with pytest.raises(ValueError, match="step_size"):
        sgld(pot, -1.0).init(torch.zeros(1, 1))
    with pytest.raises(ValueError, match="alpha"):
        rmsprop_sgld(pot, 0.1, alpha=1.0)
    mb = LocalizedPotential(lambda w, g: (w.sum(-1), w), 1.0, 0.0, torch.zeros(1),
                            full_batch=False)
    with pytest.raises(ValueError, match="full-batch"):
        mala(mb, 0.1)
