"""WAIC and the singular fluctuation (slttheory.sampling.waic) against the exact values of a
conjugate model, and the algebra of the pointwise estimator."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from slttheory.sampling import waic, waic_from_losses

Z = 4.0  # two-sided 6e-5: a failure is the estimator's, not chance


def _linear(n: int, d: int, seed: int) -> tuple[torch.nn.Linear, tuple[torch.Tensor, ...]]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = x @ torch.linspace(-1.0, 1.0, d, dtype=torch.float64).unsqueeze(1) + torch.randn(
        n, 1, generator=g, dtype=torch.float64)
    m = torch.nn.Linear(d, 1, bias=False).double()
    with torch.no_grad():
        m.weight.copy_(torch.linalg.lstsq(x, y).solution.T)
    return m, (x, y)


def _exact(m: torch.nn.Linear, x: torch.Tensor, y: torch.Tensor, beta: float, gamma: float
           ) -> dict[str, float]:
    r"""WAIC quantities of the Gaussian posterior of y = θ·x + N(0, 1), loss ½(y − θ·x)²,
    energy β Σ ℓ_i + γ/2 |θ − θ*|²: θ ~ N(μ, Σ), Σ⁻¹ = βXᵀX + γI. With z_i = x_iᵀ(θ − μ) ~
    N(0, q_i) and r_i = y_i − x_i·μ: Var ℓ_i = r_i² q_i + q_i²/2 and E e^{−ℓ_i} =
    (1 + q_i)^{−1/2} e^{−r_i²/(2(1 + q_i))}."""
    xs, ys = x.numpy(), y.numpy()[:, 0]
    th = m.weight.detach().numpy()[0]
    prec = beta * xs.T @ xs + gamma * np.eye(xs.shape[1])
    cov = np.linalg.inv(prec)
    mu = cov @ (beta * xs.T @ ys + gamma * th)
    q = np.einsum("ij,jk,ik->i", xs, cov, xs)
    r = ys - xs @ mu
    v = float(np.sum(r**2 * q + q**2 / 2))
    t = float(np.mean(0.5 * np.log1p(q) + r**2 / (2 * (1 + q))))
    n = xs.shape[0]
    return {"V": v, "nu": beta * v / 2, "T": t, "waic": t + beta * v / n,
            "gibbs": float(np.mean(0.5 * (r**2 + q)))}


@pytest.mark.parametrize("beta", [1.0, 0.5])
def test_matches_the_conjugate_posterior_exactly(beta):
    """The sampled V_n, ν̂, T_n, WAIC and Gibbs training loss against their closed forms for
    Bayesian linear regression (d = 3, n = 300, γ = 1). Tolerance: a sample variance of a
    quadratic form in d dimensions from ESS effective draws has relative s.d. about
    √(2/(d·ESS)); Z of those (the ESS is the estimator's own, of nβΔL, the same kind of
    functional). At β = 0.5 the posterior is twice as wide: V_n doubles and ν does not move, so
    a ν̂ that dropped its factor β would fail here. (ν_n = βV_n/2 is d/2 = 1.5 only on
    average over data sets; on this one the exact value is 2.10: the residuals' r_i²|x_i|²
    fluctuate.)"""
    m, (x, y) = _linear(300, 3, seed=3)
    r = waic(m, (x, y), beta=beta, localization=1.0, chains=4, draws=3000, seed=7,
             device="cpu")
    ex = _exact(m, x, y, beta, 1.0)
    ess = r.estimate.diagnostics.ess
    assert r.estimate.diagnostics.passed and ess > 200, r.estimate.summary()
    neff = min(ess, r.draws)  # V_n is read off the thinned draws, at most r.draws of them
    rel = Z * math.sqrt(2 / (3 * neff))
    assert r.functional_variance == pytest.approx(ex["V"], rel=rel)
    assert r.singular_fluctuation == pytest.approx(ex["nu"], rel=rel)
    # T_n and WAIC: per-sample log-mean-exp over the draws, error ~ q/√ESS per sample
    tol = Z * float(np.mean(np.einsum("ij,ij->i", x.numpy(), x.numpy()))) / (
        300 * beta * math.sqrt(neff))
    assert r.training_loss == pytest.approx(ex["T"], abs=tol)
    assert r.waic == pytest.approx(ex["waic"], abs=tol + Z * rel * beta * ex["V"] / 300)
    assert r.gibbs_training_loss == pytest.approx(ex["gibbs"], abs=tol)
    assert 4 * 100 <= r.draws <= 4 * 512  # thinned draws of all chains
    assert r.pointwise_training.shape == r.pointwise_variance.shape == (300,)
    assert r.beta == beta and r.estimate.method == "single"
    assert math.isfinite(r.fluctuation_mc_error) and r.fluctuation_mc_error > 0
    assert "singular fluctuation" in str(r)
    _check_pointwise(r)


def _check_pointwise(r) -> None:
    """The scalar fields are the stated functions of the pointwise arrays."""
    t, v, n = r.pointwise_training, r.pointwise_variance, r.pointwise_training.size
    assert r.training_loss == pytest.approx(t.mean(), rel=1e-12)
    assert r.functional_variance == pytest.approx(v.sum(), rel=1e-12)
    assert r.singular_fluctuation == pytest.approx(r.beta * v.sum() / 2, rel=1e-12)
    assert r.waic == pytest.approx(np.mean(t + r.beta * v), rel=1e-12)
    assert r.std_error == pytest.approx(np.std(t + r.beta * v, ddof=1) / math.sqrt(n),
                                        rel=1e-12)


def test_iid_draws_of_the_conjugate_posterior():
    """The oracle and the pointwise estimator without a sampler: exact iid draws of the
    Gaussian posterior through waic_from_losses reproduce _exact's V_n, T_n, WAIC and Gibbs
    loss (20000 independent draws; V_n's relative s.d. is about √(2/(d·S)) = 0.6 %)."""
    m, (x, y) = _linear(300, 3, seed=3)
    xs, ys, th = x.numpy(), y.numpy()[:, 0], m.weight.detach().numpy()[0]
    for beta in (1.0, 0.5):
        cov = np.linalg.inv(beta * xs.T @ xs + np.eye(3))
        mu = cov @ (beta * xs.T @ ys + th)
        draws = np.random.default_rng(0).multivariate_normal(mu, cov, size=20000)
        losses = 0.5 * (ys[None, :] - draws @ xs.T) ** 2
        t, v = waic_from_losses(losses, beta)
        ex = _exact(m, x, y, beta, 1.0)
        assert v.sum() == pytest.approx(ex["V"], rel=Z * math.sqrt(2 / (3 * 20000)))
        assert t.mean() == pytest.approx(ex["T"], abs=1e-4)
        assert np.mean(t + beta * v) == pytest.approx(ex["waic"], abs=2e-4)
        assert losses.mean() == pytest.approx(ex["gibbs"], abs=1e-4)


@pytest.mark.parametrize("step", [1, 2, 3, 7, 100])
def test_streamed_statistics_equal_the_loss_matrix(step):
    """waic's chunked accumulation (per chain, ``step`` draws at a time) gives exactly what
    waic_from_losses gives on the whole (draws, n) matrix, and each chain's variance."""
    from slttheory.sampling.waic import _pointwise

    g = torch.Generator().manual_seed(0)
    pos = torch.randn(3, 7, 2, generator=g, dtype=torch.float64)  # 3 chains, 7 draws, d = 2
    a = torch.randn(2, 5, generator=g, dtype=torch.float64)

    def per_sample(w):  # (m, 2) -> (m, 5): nonlinear, with large offsets
        return 30 * torch.tanh(w @ a) + (w @ a) ** 2

    lme, mean, m2 = _pointwise(per_sample, pos, step)
    full = per_sample(pos.reshape(-1, 2)).numpy()
    t, v = waic_from_losses(full)
    np.testing.assert_allclose(-lme, t, rtol=1e-12, atol=1e-12)
    k = 7
    pooled = (m2.sum(axis=0) + k * ((mean - mean.mean(axis=0)) ** 2).sum(axis=0)) / (3 * k - 1)
    np.testing.assert_allclose(pooled, v, rtol=1e-10)
    for j in range(3):
        np.testing.assert_allclose(m2[j] / (k - 1), waic_from_losses(full[j * k:(j + 1) * k])[1],
                                   rtol=1e-10)


def test_same_chains_as_estimate_llc_and_preconditioned_draws():
    """The run is estimate_llc(method="single")'s with the same arguments (same LLC, same
    config), and with a preconditioner the draws are mapped back to parameter coordinates
    before they are evaluated (in the whitened coordinates ν̂ would be off by orders of
    magnitude; tolerance Z·√(2/(d·neff)) as above)."""
    from slttheory.sampling import estimate_llc

    m, (x, y) = _linear(300, 3, seed=3)
    kw = dict(beta=1.0, chains=2, draws=1000, seed=2, device="cpu", preconditioner="dense")
    r = waic(m, (x, y), **kw)
    e = estimate_llc(m, (x, y), method="single", **kw)
    assert r.estimate.llc == e.llc
    assert r.estimate.config == e.config
    assert r.estimate.elapsed_s > 0
    assert r.estimate.config.preconditioner == "dense"
    neff = min(r.estimate.diagnostics.ess, r.draws)
    ex = _exact(m, x, y, 1.0, 1.0)
    assert r.singular_fluctuation == pytest.approx(ex["nu"], rel=Z * math.sqrt(2 / (3 * neff)))
    _check_pointwise(r)


def test_one_chain_and_failed_diagnostics_warn():
    """One chain: no spread of per-chain values, so the Monte-Carlo error is nan; and a run
    whose diagnostics fail warns (LLCWarning) as estimate_llc and wbic do."""
    from slttheory.sampling import LLCWarning

    m, data = _linear(100, 2, seed=0)
    with pytest.warns(LLCWarning, match="waic"):
        r = waic(m, data, chains=1, draws=200, device="cpu")
    assert not r.estimate.diagnostics.passed
    assert math.isnan(r.fluctuation_mc_error) and math.isfinite(r.singular_fluctuation)


def test_bad_input_is_named():
    m, data = _linear(50, 2, seed=0)
    with pytest.raises(ValueError, match="beta"):
        waic(m, data, beta=0.0, device="cpu")
    with pytest.raises(ValueError, match="draws"):
        waic(m, data, draws=5, burn_in=0, device="cpu")
    with pytest.raises(ValueError, match="shape"):
        waic_from_losses(np.zeros(3))
    with pytest.raises(ValueError, match="finite"):
        waic_from_losses(np.array([[0.0, np.nan], [1.0, 1.0]]))
    with pytest.raises(ValueError, match="beta"):
        waic_from_losses(np.zeros((2, 2)), beta=-1.0)


losses = arrays(np.float64, st.tuples(st.integers(2, 8), st.integers(1, 5)),
                elements=st.floats(-20, 20, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(losses, st.floats(-10, 10))
def test_pointwise_algebra(x, c):
    """Jensen (min ℓ ≤ t_i ≤ mean ℓ), v_i ≥ 0, a constant added to a sample's loss shifts its
    t_i by that constant and leaves v_i, and the order of the draws does not matter."""
    t, v = waic_from_losses(x)
    assert np.all(v >= 0)
    assert np.all(t <= x.mean(axis=0) + 1e-9) and np.all(t >= x.min(axis=0) - 1e-9)
    t2, v2 = waic_from_losses(x + c)
    np.testing.assert_allclose(t2, t + c, atol=1e-9)
    np.testing.assert_allclose(v2, v, atol=1e-7)
    t3, v3 = waic_from_losses(x[::-1])
    np.testing.assert_allclose(t3, t, atol=1e-9)
    np.testing.assert_allclose(v3, v, atol=1e-9)


def test_cross_entropy_float32_parameter_subset():
    """Integer targets, a float32 model and ``params=`` a subset: a two-class softmax whose
    weights are zero and frozen, sampling the biases (b0, b1) at their MLE. The loss depends on
    u = (b1 − b0)/√2 only, and the localisation prior N(w*, I) is independent in u and the
    orthogonal direction, so the posterior of u is one-dimensional and quadrature gives the
    exact V_n, T_n and Gibbs loss (tolerances as in the conjugate test, d = 1)."""
    n, beta = 400, 1.0
    g = torch.Generator().manual_seed(5)
    x = torch.randn(n, 2, generator=g)
    y = (torch.rand(n, generator=g) < 0.3).long()
    p = float(y.double().mean())
    m = torch.nn.Linear(2, 2)
    with torch.no_grad():
        m.weight.zero_()
        m.bias.copy_(torch.tensor([0.0, math.log(p / (1 - p))]))
    r = waic(m, (x, y), loss="cross_entropy", beta=beta, params=["bias"], chains=2, draws=1500,
             seed=1, device="cpu")
    assert r.estimate.config.dtype == "float32" and r.estimate.config.dimension == 2
    # quadrature over u; ℓ_i(u) = softplus(∓√2·u) for y_i = 1 / 0 (logit b1 − b0 = √2·u)
    u_star = math.log(p / (1 - p)) / math.sqrt(2)
    u = u_star + np.linspace(-2.0, 2.0, 20001)
    z = math.sqrt(2) * u
    l1, l0 = np.logaddexp(0, -z), np.logaddexp(0, z)  # losses of y = 1 and y = 0
    k1 = int(y.sum())
    logw = -beta * (k1 * l1 + (n - k1) * l0) - 0.5 * (u - u_star) ** 2
    w = np.exp(logw - logw.max())
    w /= w.sum()
    ex_v, ex_t, ex_g = 0.0, 0.0, 0.0
    for ell, cnt in ((l1, k1), (l0, n - k1)):
        mean = w @ ell
        ex_v += cnt * (w @ ell**2 - mean**2)
        ex_t += cnt * -math.log(w @ np.exp(-ell))
        ex_g += cnt * mean
    neff = min(r.estimate.diagnostics.ess, r.draws)
    rel = Z * math.sqrt(2 / neff)
    assert r.functional_variance == pytest.approx(ex_v, rel=rel)
    assert r.singular_fluctuation == pytest.approx(beta * ex_v / 2, rel=rel)
    q = ex_v / n  # per-sample posterior variance of the loss
    assert r.training_loss == pytest.approx(ex_t / n, abs=Z * q / math.sqrt(neff) + 1e-6)
    assert r.gibbs_training_loss == pytest.approx(ex_g / n, abs=Z * q / math.sqrt(neff) + 1e-6)
    _check_pointwise(r)


def test_complex_or_non_numeric_losses_are_refused():
    """A complex loss matrix was cast to float64 with only a ComplexWarning, its imaginary
    part dropped (t = 1, v = 0 for [[1 + 5j, 1], [1, 1]]); non-numbers raised numpy's
    ValueError without the argument's name. Both are a TypeError naming ``losses``."""
    with pytest.raises(TypeError, match="losses must be real"):
        waic_from_losses(np.array([[1 + 5j, 1.0], [1.0, 1.0]]))
    with pytest.raises(TypeError, match="losses must be real"):
        waic_from_losses(torch.ones(3, 2, dtype=torch.complex128))
    with pytest.raises(TypeError, match="losses must be an array of real numbers"):
        waic_from_losses(np.array([["a", "b"], ["c", "d"]]))
    t, v = waic_from_losses(torch.ones(3, 2, dtype=torch.float32, requires_grad=True))
    assert t.dtype == v.dtype == np.float64 and np.all(v == 0)
