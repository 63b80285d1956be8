"""Gaps found by a mutation run over ``sampling/waic.py`` and ``sampling/wbic.py``: each test
fails on a one-line mutant that the other fast tests let through. The references are the
definitions (Watanabe 2010, JMLR 11; Watanabe 2013, JMLR 14) computed by hand with numpy and
scipy on fixed arrays or on the run's own draws."""

from __future__ import annotations

import importlib
import math
import time
import warnings

import numpy as np
import pytest
import torch
from scipy.special import logsumexp
from test_estimator import least_squares_linear
from test_waic import _linear

from slttheory.sampling import LLCWarning, estimate_llc_multitemp, waic, waic_from_losses

_W = importlib.import_module("slttheory.sampling.waic")


def _t_ref(losses: np.ndarray) -> np.ndarray:
    r"""Watanabe 2010: :math:`t_i = -\log \frac1S\sum_s e^{-\ell_i(w_s)}` by scipy's logsumexp."""
    return -(logsumexp(-losses, axis=0) - math.log(losses.shape[0]))


# ------------------------------------------------------------------ waic_from_losses


def test_training_loss_is_stable_for_losses_far_apart():
    """The log-mean-exp is shifted by each sample's smallest loss: draws whose losses differ
    by 2000 give t_i = min ℓ + log 2, not ±inf (mutants: shift by the max, the mean or 0)."""
    x = np.array([[1000.0, -3.0], [3000.0, -3.0 + 1e-3]])
    t, v = waic_from_losses(x)
    np.testing.assert_allclose(t, _t_ref(x), rtol=1e-12)
    assert t[0] == pytest.approx(1000.0 + math.log(2), rel=1e-12)
    np.testing.assert_allclose(v, x.var(axis=0, ddof=1), rtol=1e-12)


@pytest.mark.parametrize("shape", [(1, 3), (2, 0), (0, 2)])
def test_too_few_draws_or_no_sample_is_refused(shape):
    """``losses`` must be (draws ≥ 2, n ≥ 1): one draw has no variance, no column no sample
    (mutants: the bounds lowered to 1 and 0)."""
    with pytest.raises(ValueError, match="shape"):
        waic_from_losses(np.zeros(shape))


# ------------------------------------------------------------------ _pointwise (streamed)


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_streamed_statistics_refuse_a_non_finite_loss(bad):
    """A draw where the per-sample loss is ±inf or NaN is an error naming the model, not a
    silent inf/NaN in t_i and v_i (mutants: the check dropped, or NaN only)."""

    def per_sample(w):
        out = torch.cat([w, 2 * w], dim=1)
        out[w[:, 0] > 0.5, 1] = bad
        return out

    pos = torch.tensor([[[0.0], [1.0], [0.2]]], dtype=torch.float64)
    with pytest.raises(ValueError, match="not finite"):
        _W._pointwise(per_sample, pos, step=2)


@pytest.mark.parametrize("pos", [[0.0, 1.0, 1.0, 1.0], [1.0, 1.0, 0.0, 1.0]])
def test_streamed_log_mean_exp_is_stable_across_chunks(pos):
    """Draws whose losses differ by 2000, within a chunk and across chunks: the running
    log-sum-exp keeps the larger exponent as its reference, so the result is finite and
    equals logsumexp of all draws (mutants: the min or the mean instead of the max for a
    chunk's reference, the min or the chunk's alone for the running one)."""
    p = torch.tensor(pos, dtype=torch.float64).reshape(1, 4, 1)

    def per_sample(w):  # two samples, delta losses 2000 w and 2000 w − 3
        return torch.cat([2000 * w, 2000 * w - 3], dim=1)

    lme, mean, m2 = _W._pointwise(per_sample, p, step=2)
    full = per_sample(p.reshape(4, 1)).numpy()
    np.testing.assert_allclose(lme, logsumexp(-full, axis=0) - math.log(4), rtol=1e-12)
    np.testing.assert_allclose(mean[0], full.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(m2[0], 3 * full.var(axis=0, ddof=1), rtol=1e-12)


# ------------------------------------------------------------------ waic() on its own draws


def _waic_and_draws(monkeypatch, **kw):
    """``waic`` of a 2-parameter linear model (40 data) with the thinned draws it evaluated,
    read by a pass-through spy on ``_pointwise``, and the data."""
    seen = {}
    real = _W._pointwise

    def spy(per_sample, pos, step):
        seen["pos"] = pos.detach().clone()
        return real(per_sample, pos, step)

    monkeypatch.setattr(_W, "_pointwise", spy)
    m, (x, y) = _linear(40, 2, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)  # short runs: ESS a little under 100
        r = waic(m, (x, y), localization=1.0, seed=3, device="cpu", **kw)
    return r, seen["pos"].numpy(), x.numpy(), y.numpy()[:, 0]


@pytest.mark.parametrize("chains", [2, 3])
def test_waic_fields_are_the_definitions_on_its_own_draws(monkeypatch, chains):
    r"""Every field of WAICResult from the (draws, n) matrix of ℓ_i(w_s) = ½(y_i − w_s·x_i)²
    at the draws waic evaluated (Watanabe 2010; module docstring): t_i by logsumexp,
    v_i the ddof = 1 variance over all chains' draws, WAIC = mean(t + βv), its std error
    sd_i(t + βv)/√n, ν̂ = βΣv/2, the Gibbs loss mean ℓ, and the MC error of ν̂ the ddof = 1
    spread of the per-chain ν̂ over √chains, exact to rounding at β = 0.5 (mutants: the
    pooled variance's denominator and between-chain term, the per-chain ν̂ and its error, the
    draw count, the chains threshold)."""
    beta = 0.5
    r, pos, x, y = _waic_and_draws(monkeypatch, beta=beta, chains=chains, draws=300)
    c, k, _ = pos.shape
    assert c == chains and k >= 20
    ell = 0.5 * (y[None, :] - pos.reshape(c * k, 2) @ x.T) ** 2  # (draws, n), chain-major
    t, v = _t_ref(ell), ell.var(axis=0, ddof=1)
    point = t + beta * v
    assert r.draws == c * k and r.beta == beta
    np.testing.assert_allclose(r.pointwise_training, t, rtol=1e-10)
    np.testing.assert_allclose(r.pointwise_variance, v, rtol=1e-9)
    assert r.training_loss == pytest.approx(t.mean(), rel=1e-10)
    assert r.functional_variance == pytest.approx(v.sum(), rel=1e-9)
    assert r.singular_fluctuation == pytest.approx(beta * v.sum() / 2, rel=1e-9)
    assert r.waic == pytest.approx(point.mean(), rel=1e-10)
    assert r.std_error == pytest.approx(point.std(ddof=1) / math.sqrt(40), rel=1e-9)
    assert r.gibbs_training_loss == pytest.approx(ell.mean(), rel=1e-10)
    nu_c = beta * ell.reshape(c, k, -1).var(axis=1, ddof=1).sum(axis=1) / 2
    assert r.fluctuation_mc_error == pytest.approx(nu_c.std(ddof=1) / math.sqrt(c), rel=1e-8)


def test_waic_default_temperature_is_one_over_log_n(monkeypatch):
    """``beta=None`` is 1/log n, as in estimate_llc, and ν̂ and WAIC weigh V_n by it
    (mutant: the result's beta the caller's None)."""
    r, _, _, _ = _waic_and_draws(monkeypatch, beta=None, chains=2, draws=200)
    b = 1 / math.log(40)
    assert r.beta == pytest.approx(b, rel=1e-12)
    assert r.estimate.config.beta == pytest.approx(b, rel=1e-12)
    assert r.singular_fluctuation == pytest.approx(b * r.functional_variance / 2, rel=1e-12)


def test_waic_refuses_a_non_finite_loss_at_the_centre():
    """A model whose loss at w* is NaN is refused before sampling, with a reason (mutant: the
    check dropped)."""
    m, data = _linear(20, 2, seed=0)
    with torch.no_grad():
        m.weight.fill_(math.nan)
    with pytest.raises(ValueError, match=r"loss at w\* is not finite"):
        waic(m, data, chains=2, draws=40, device="cpu")


def test_waic_needs_two_kept_draws_per_chain():
    """Positions are kept every 10 steps after burn-in: 10 draws keep one per chain, too few
    for a variance (an error naming ``draws``), 20 keep two, enough (mutants: the bound moved
    to 1 or 3)."""
    m, data = _linear(30, 2, seed=0)
    with pytest.raises(ValueError, match="too few kept draws"):
        waic(m, data, chains=2, draws=10, burn_in=0, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # too short a run to pass its diagnostics
        r = waic(m, data, chains=2, draws=20, burn_in=0, device="cpu")
    assert r.draws == 4 and math.isfinite(r.singular_fluctuation)
    assert math.isfinite(r.fluctuation_mc_error)


def test_waic_std_error_from_two_data():
    """Two data are enough for the spread of t_i + βv_i: std_error = sd/√2, finite (mutant:
    NaN below three)."""
    m, data = _linear(2, 1, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = waic(m, data, chains=2, draws=100, device="cpu")
    point = r.pointwise_training + r.beta * r.pointwise_variance
    assert math.isfinite(r.std_error)
    assert r.std_error == pytest.approx(point.std(ddof=1) / math.sqrt(2), rel=1e-12)


# ------------------------------------------------------------------ estimate_llc_multitemp

_B = importlib.import_module("slttheory.sampling.wbic")


def _multitemp_spied(monkeypatch, se_at: tuple[int, float] | None = None, **kw):
    """``estimate_llc_multitemp`` on a d = 3 least-squares line (200 data, float64) with what
    it passed to and got from the chains (``_sample``) and each temperature's summary
    (``_summarise``); ``se_at=(j, e)``: temperature j's Monte-Carlo error replaced by e."""
    seen: dict = {"summaries": []}
    real_sample, real_summarise = _B._sample, _B._summarise

    def sample(*a, **k):
        run = real_sample(*a, **k)
        seen["sample"], seen["run"] = k, run
        return run

    def summarise(sub, nbeta, *a, **k):
        out = real_summarise(sub, nbeta, *a, **k)
        j = len(seen["summaries"])
        if se_at is not None and j == se_at[0]:
            out = (out[0], out[1], se_at[1], out[3])
        seen["summaries"].append((sub.step_size, np.asarray(nbeta).copy(), out[1], out[2]))
        return out

    monkeypatch.setattr(_B, "_sample", sample)
    monkeypatch.setattr(_B, "_summarise", summarise)
    m, (x, y), _ = least_squares_linear(n=200, seed=5, dtype=torch.float64)
    with torch.no_grad():
        nl_star = float(0.5 * ((y - m(x)) ** 2).sum())  # n L_n(w*)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)  # short runs: ESS a little under 100
        mt = estimate_llc_multitemp(m, (x, y), chains=2, draws=300, seed=2, device="cpu", **kw)
    seen["wall"] = time.perf_counter() - t0
    return mt, seen, nl_star


def test_multitemp_grid_chains_and_per_temperature_values(monkeypatch):
    r"""The documented construction: five β with 1/β equally spaced on [⅔, 3⁄2]·log n; chain
    nβ_j = n β_j; the step calibrated at the largest β and scaled ε_j = ε β_max/β_j; and per
    temperature E^β[nL_n] = nL_n(w*) + λ̂_j/β_j with error se_j/β_j (Watanabe 2013, Thm 4)
    (mutants: the grid's ends, the scales, nβ, the per-temperature values, elapsed time)."""
    mt, seen, nl_star = _multitemp_spied(monkeypatch)
    n, chains, g = 200, 2, mt.betas
    np.testing.assert_allclose(1 / g, np.linspace(2 / 3, 3 / 2, 5) * math.log(n), rtol=1e-12)
    k = seen["sample"]
    np.testing.assert_allclose(k["nbeta_chain"].numpy(), np.repeat(n * g, chains), rtol=1e-12)
    np.testing.assert_allclose(k["step_scale"].numpy(), np.repeat(g.max() / g, chains),
                               rtol=1e-12)
    assert k["nbeta_cal"] == pytest.approx(n * g.max(), rel=1e-12)
    eps = seen["run"].step_size
    assert len(seen["summaries"]) == 5
    llc = np.array([s[2] for s in seen["summaries"]])
    se = np.array([s[3] for s in seen["summaries"]])
    for j, (step, nb, _, _) in enumerate(seen["summaries"]):
        assert step == pytest.approx(eps * g.max() / g[j], rel=1e-12)
        np.testing.assert_allclose(nb, np.full(chains, n * g[j]), rtol=1e-12)
    np.testing.assert_allclose(mt.per_beta_llc, llc, rtol=1e-12)
    np.testing.assert_allclose(mt.mean_nll, nl_star + llc / g, rtol=1e-10)
    np.testing.assert_allclose(mt.mean_nll_se, se / g, rtol=1e-10)
    assert 0 < mt.elapsed_s <= seen["wall"]


def test_multitemp_slope_is_the_weighted_least_squares_fit(monkeypatch):
    r"""λ̂, the intercept and the slope's standard error are the WLS fit of E^β[nL_n] on 1/β
    with weights 1/se_j² (numpy.polyfit with w = 1/se_j, unscaled covariance) (mutants:
    unweighted centring, sums or slope, the weights' power, the intercept's sign, √ dropped)."""
    mt, _, _ = _multitemp_spied(monkeypatch)
    (slope, icept), cov = np.polyfit(1 / mt.betas, mt.mean_nll, 1, w=1 / mt.mean_nll_se,
                                     cov="unscaled")
    assert np.all(mt.mean_nll_se > 0)
    assert mt.llc == pytest.approx(slope, rel=1e-9)
    assert mt.intercept == pytest.approx(icept, rel=1e-9)
    assert mt.std_error == pytest.approx(math.sqrt(cov[0, 0]), rel=1e-9)


@pytest.mark.parametrize("se", [0.0, math.inf, math.nan])
def test_multitemp_unknown_or_zero_error_gives_an_unweighted_slope_without_error(monkeypatch,
                                                                                 se):
    """One temperature whose Monte-Carlo error is 0, infinite or NaN: the slope is the
    unweighted fit and its standard error NaN (mutants: | in the weight mask, any for all,
    the error kept for a finite slope)."""
    mt, _, _ = _multitemp_spied(monkeypatch, se_at=(2, se))
    assert not mt.mean_nll_se[2] > 0 or math.isinf(mt.mean_nll_se[2])
    slope, icept = np.polyfit(1 / mt.betas, mt.mean_nll, 1)
    assert mt.llc == pytest.approx(slope, rel=1e-9)
    assert mt.intercept == pytest.approx(icept, rel=1e-9)
    assert math.isnan(mt.std_error)


def test_multitemp_refuses_a_repeated_temperature():
    """Two equal β leave the slope undefined (Sxx = 0): refused with a reason, not a NaN fit
    (mutants: only the grid's size checked)."""
    m, data, _ = least_squares_linear(n=50)
    with pytest.raises(ValueError, match="two distinct"):
        estimate_llc_multitemp(m, data, betas=[0.2, 0.2], device="cpu")


def test_a_failed_multitemp_estimate_warns():
    """Temperatures whose diagnostics fail raise an LLCWarning naming the estimator, as
    estimate_llc, waic and wbic do (mutant: the flag dropped)."""
    m, data, _ = least_squares_linear(n=100)
    with pytest.warns(LLCWarning, match="estimate_llc_multitemp"):
        estimate_llc_multitemp(m, data, loss=lambda o, t: ((o - t) ** 2).sum(-1) * math.nan,
                               draws=60, chains=2, burn_in=10, device="cpu")
