"""The finite-nβ fit, the per-temperature step rescale and the data-fluctuation estimate."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from slttheory.sampling import chains
from slttheory.sampling import estimator as E
from slttheory.sampling.extrapolate import (
    FREE_MODELS,
    GRID,
    MODELS,
    MULTIPLICITY_MODELS,
    bootstrap_spread,
    fit_finite_nbeta,
    fit_warning,
    law_interval,
    laws_for,
    scan_errors,
    select_fit,
)
from slttheory.sampling.fluctuation import data_covariance, data_std_error, influence


@settings(max_examples=60, deadline=None)
@given(model=st.sampled_from(sorted(MODELS)),
       coef=st.lists(st.floats(-5, 5, allow_nan=False), min_size=3, max_size=3),
       t0=st.floats(20.0, 1e4))
def test_fit_recovers_exact_model(model, coef, t0):
    """Data generated exactly by a model are fitted exactly, whatever the coefficients."""
    f = np.asarray(GRID)
    cols = MODELS[model]
    y = sum(c * b(f, t0) for c, (_, b) in zip(coef, cols, strict=False))
    r = fit_finite_nbeta(f, y, np.full(f.size, 0.01), t0, model)
    assert r.value == pytest.approx(coef[0], abs=1e-6 * (1 + max(map(abs, coef))))
    assert r.weights @ y == pytest.approx(r.value, abs=1e-8 * (1 + abs(r.value)))
    assert np.allclose(r.predict(f, t0), y, atol=1e-7)


def test_fit_standard_error_is_the_wls_one():
    """Two points, one slope: the intercept's variance is Σ w_j² se_j² with the exact weights."""
    f = np.array([1.0, 0.25])
    r = fit_finite_nbeta(f, [1.0, 0.8], [0.1, 0.2], 100.0, "pow1/2")
    # x = f^-1/2 = 1, 2: λ = 2·y(1) − y(2)
    assert r.value == pytest.approx(1.2)
    assert r.std_error == pytest.approx(math.hypot(2 * 0.1, 0.2))
    assert np.allclose(r.weights, [2.0, -1.0])
    with pytest.raises(ValueError, match="model must be one of"):
        fit_finite_nbeta(f, [1.0, 0.8], [0.1, 0.2], 100.0, "cubic")
    with pytest.raises(ValueError, match="at least 3"):
        fit_finite_nbeta(f, [1.0, 0.8], [0.1, 0.2], 100.0, "pow1/2+t")


@pytest.mark.parametrize("model", sorted(FREE_MODELS))
def test_free_exponent_error_is_continuous_at_the_bounds(model):
    """A scan whose fitted exponent sits at a bound and one just inside get nearly the same
    error (the linearised one jumps there: its fixed-exponent value at the bound is several
    times smaller than the free one inside, docs/estimator.md §4)."""
    f, se = np.asarray(GRID), np.full(len(GRID), 0.03)
    lo, hi = FREE_MODELS[model]

    def errors(delta):
        fit = fit_finite_nbeta(f, 2.5 - 0.3 * f ** -delta, se, 145.0, model)
        assert fit.coef[2] == pytest.approx(delta, abs=1e-4)  # the data's own exponent
        return fit.std_error, scan_errors(fit, np.zeros(f.size), None).mc_error

    for at, inside in ((hi, hi - 0.01), (lo, lo + 0.01)):
        (lin_at, boot_at), (lin_in, boot_in) = errors(at), errors(inside)
        assert abs(boot_at / boot_in - 1) < 0.2, (at, boot_at, boot_in)
        assert abs(lin_at / lin_in - 1) > 0.4  # what the bootstrap replaces


def test_bootstrap_spread_matches_the_linear_error_of_a_fixed_law():
    """Far inside the bounds, with small noise, the fit is locally linear: the bootstrap's
    MC spread is the linearised error (within its own 1/√(2·400) precision and the δ grid),
    and a data covariance adds in quadrature."""
    f = np.asarray(GRID)
    fit = fit_finite_nbeta(f, 2.5 - 0.3 * f ** -0.75, np.full(f.size, 1e-4), 145.0,
                           "pow[1/2,1]")
    mc, total = bootstrap_spread(fit, np.diag(np.full(f.size, 1e-8)))
    assert mc == pytest.approx(fit.std_error, rel=0.15)
    assert total == pytest.approx(math.sqrt(2) * mc, rel=0.15)
    assert bootstrap_spread(fit) == (mc, pytest.approx(math.nan, nan_ok=True))
    e = scan_errors(fit, np.zeros(f.size), np.diag(np.full(f.size, 1e-8)))
    assert e.std_error == pytest.approx(math.sqrt(e.mc_error**2 + e.data_error**2
                                                  + e.fit_error**2))
    with pytest.raises(ValueError, match="free exponent"):
        bootstrap_spread(fit_finite_nbeta(f, [1.0, 0.9, 0.8, 0.7], [0.01] * 4, 145.0, "pow1"))


@settings(max_examples=40, deadline=None)
@given(m=st.sampled_from(MULTIPLICITY_MODELS), lam=st.floats(0.05, 20.0),
       kappa=st.floats(-1.5, 30.0), t0=st.floats(50.0, 1e5))
def test_multiplicity_law_recovers_its_own_curve(m, lam, kappa, t0):
    """λ − (m−1)/(log t + κ) on the default grid is fitted back exactly (κ anywhere the law is
    defined on the scan, log(t0/10) + κ ≥ 0.5)."""
    f = np.asarray(GRID)
    s = np.log(t0 * f)
    kappa = max(kappa, 0.5 - s.min())
    mult = int(m[4:])
    y = lam - (mult - 1) / (s + kappa)
    r = fit_finite_nbeta(f, y, np.full(f.size, 0.01), t0, m)
    assert r.value == pytest.approx(lam, abs=2e-3 * (1 + lam))
    assert np.allclose(r.predict(f, t0), y, atol=2e-3)
    assert fit_warning(r) is None


def test_a_flat_scan_fails_the_multiplicity_law_and_the_estimate_says_so():
    """A scan that falls with t (noisy data, devinterp's NC (2,2) at one seed: −47 %) sends κ
    to the end of its range: the law reads the scan's mean, and the estimate must not pass."""
    from slttheory.sampling import diagnostics as dg

    f = np.asarray(GRID)
    flat = fit_finite_nbeta(f, [0.29, 0.30, 0.30, 0.31], np.full(4, 0.01), 145.0, "mult2")
    assert "κ at the end of its range" in fit_warning(flat)
    assert fit_warning(fit_finite_nbeta(f, [0.29, 0.30, 0.30, 0.31], np.full(4, 0.01), 145.0,
                                        "pow[1/2,1]")) is None
    ok = dg.Diagnostics(ess=500.0, rhat=1.0, acceptance_rate=0.6, divergent=False)
    merged = E._merge_diagnostics([ok] * 4, 145.0 * f, 2, flat.value, fit_warning(flat))
    assert not merged.passed and merged.warnings == [fit_warning(flat)]


def test_multiplicity_law_reaches_lambda_on_the_exact_estimand_of_a_crossing():
    """The exact single-temperature estimand of u·v·x (λ = 1/2, m = 2; prior N(0, I), by
    quadrature) on the default grid below t0 = n/log n: the m = 2 law reads λ to −2.3 %
    (n = 1000) and −0.5 % (n = 10 000), the default power law −13 %; applied to an m = 1
    crossing (u²·v, λ = 1/4) the same law reads +23 % — a wrong m is a bias."""
    from slttheory.sampling.reference import crossing_estimand

    f = np.asarray(GRID)
    for n, tol in ((1000, 0.03), (10_000, 0.01)):
        t0 = n / math.log(n)
        g = np.array([crossing_estimand(t0 * x, 1, 1.0, 1.0) for x in f])
        fit = fit_finite_nbeta(f, g, np.full(f.size, 0.005), t0, "mult2")
        assert abs(fit.value / 0.5 - 1) < tol, (n, fit.value)
        assert fit_finite_nbeta(f, g, np.full(f.size, 0.005), t0, "pow[1/4,1]").value < 0.45
    g2 = np.array([crossing_estimand(145.0 * x, 2, 1.0, 1.0) for x in f])
    assert fit_finite_nbeta(f, g2, np.full(f.size, 0.0025), 145.0, "mult2").value > 0.29
    e = scan_errors(fit_finite_nbeta(f, g2, np.full(f.size, 0.0025), 145.0, "mult2"),
                    np.zeros(f.size), np.diag(np.full(f.size, 1e-6)))
    assert 0 < e.mc_error < 0.05 and e.data_error > 0


def test_group_rescale_brings_each_temperature_to_the_target():
    """Per-group ε multipliers: a group far above the bias target shrinks, one far below grows
    (capped at 3x), one inside [target/2, 2 target] is left alone, a NaN group is cut tenfold
    and restarted."""
    k, w = 2, 200
    nb = np.repeat([100.0, 50.0, 20.0, 10.0], k)
    # ΔL so that λ̂_g = 1 in every group; |∇U|² chosen to give biases 8x, 1/8x, 1x the target
    wtr = torch.tensor(np.repeat(1.0 / nb, w).reshape(-1, w))
    eps = 1e-3
    g_for_bias = [8.0, 1 / 8, 1.0, 1.0]
    gsq = np.repeat([8 * b * chains.TARGET_BIAS / eps for b in g_for_bias], k)
    wgs = torch.tensor(np.repeat(gsq, w // chains.DIAG_EVERY).reshape(-1, w // chains.DIAG_EVERY))
    wtr[3 * k:, 5] = float("nan")
    scale = np.ones(4 * k)
    new, reset = chains._warmup_rescale_groups(wtr, wgs, nb, eps, scale, 4)
    assert np.allclose(new[:k], 1 / 8) and np.allclose(new[k:2 * k], 3.0)
    assert np.allclose(new[2 * k:3 * k], 1.0) and np.allclose(new[3 * k:], 0.1)
    assert not reset[:3 * k].any() and reset[3 * k:].all()
    ok = torch.tensor(np.repeat(1.0 / nb, w).reshape(-1, w))
    flat = torch.tensor(np.repeat(8 * chains.TARGET_BIAS / eps, 4 * k * (w // chains.DIAG_EVERY))
                        .reshape(4 * k, -1))
    assert chains._warmup_rescale_groups(ok, flat, nb, eps, scale, 4) is None


def test_influence_is_the_derivative_of_the_reweighted_posterior_mean():
    """g_i equals d/dω_i of the self-normalised importance-weighted estimate
    t·E_ω[ΔL^ω] on the same draws (finite difference), for every sample."""
    gen = torch.Generator().manual_seed(0)
    n, m, t = 7, 400, 3.0
    a = torch.randn(n, 2, generator=gen, dtype=torch.float64)

    def per_sample(w):  # δℓ_i(w) = (a_i·w)² + a_i0 w_0
        return (w @ a.T) ** 2 + w[:, :1] * a[:, 0]

    w = torch.randn(m, 2, generator=gen, dtype=torch.float64)
    g = influence(w, t, per_sample, n)
    dl = per_sample(w).numpy()

    def est(omega):
        lw = dl @ omega / n
        logr = -t * (lw - dl.mean(1))
        r = np.exp(logr - logr.max())
        return t * float(np.sum(r * lw) / np.sum(r))

    h = 1e-6
    for i in range(n):
        e = np.zeros(n)
        e[i] = h
        fd = (est(np.ones(n) + e) - est(np.ones(n) - e)) / (2 * h)
        # the draws' covariance uses m − 1, the importance weights m: equal to O(1/m)
        assert g[i] == pytest.approx(fd, rel=3 / m, abs=1e-9)


@pytest.mark.parametrize("chunk", [1, 7, 50, 10_000])
def test_influence_streamed_equals_the_full_matrix(chunk, monkeypatch):
    """Streamed over chunks of draws (memory O(n), not draws × n), the influences equal the
    direct formula on the whole loss matrix, whatever the chunk, also with losses far from 0
    (the one-pass covariance is taken about the first draw)."""
    from slttheory.sampling import fluctuation

    gen = torch.Generator().manual_seed(4)
    n, m, t = 9, 61, 2.5
    a = torch.randn(n, 3, generator=gen, dtype=torch.float64)

    def per_sample(w):
        return 1e4 + (w @ a.T) ** 2 + w[:, :1] * a[:, 0]

    w = torch.randn(m, 3, generator=gen, dtype=torch.float64)
    dl = per_sample(w).numpy()
    total = dl.mean(axis=1)
    cov = ((total - total.mean())[:, None] * (dl - dl.mean(axis=0))).sum(axis=0) / (m - 1)
    direct = (t / n) * (dl.mean(axis=0) - t * cov)
    monkeypatch.setattr(fluctuation, "CHUNK_ELEMENTS", chunk * n)
    np.testing.assert_allclose(influence(w, t, per_sample, n), direct, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("budget", ["roomy", "tight"])
@pytest.mark.parametrize("method", ["single", "extrapolate"])
@pytest.mark.parametrize("true_parameter", [False, True])
def test_per_sample_losses_keep_the_forwards_activations_within_the_chunk_budget(
        method, true_parameter, budget, monkeypatch):
    """The data-fluctuation estimate (and the symmetrised estimand's shift) evaluate the model
    on all n samples at the stored draws: as many draws per vectorised forward as keep its
    largest activation within CHUNK_ELEMENTS, and never fewer than one sampler step
    evaluates (chains × temperatures). The activations, not the losses, set the memory:
    capped by losses alone, a 16-chain single-temperature run of a width-64 MLP at n = 1000
    evaluated 2720 draws at once, 1.5 GB (measured); capped at a step's positions, a
    two-parameter model spent most of its estimate in thousands of tiny forwards."""
    from slttheory.sampling import fluctuation
    from slttheory.sampling.estimator import estimate_llc

    seen = []
    chunks = fluctuation.loss_chunks

    def spy(positions, per_sample, rows):
        seen.append(rows)
        return chunks(positions, per_sample, rows)

    monkeypatch.setattr(fluctuation, "loss_chunks", spy)
    n, width = 200, 4
    # the (rows, n, width) activations: room for 50 draws, or for 3 (at most a step's)
    monkeypatch.setattr(fluctuation, "CHUNK_ELEMENTS",
                        {"roomy": 50, "tight": 3}[budget] * n * width)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, generator=gen)
    model = torch.nn.Sequential(torch.nn.Linear(3, width), torch.nn.Tanh(),
                                torch.nn.Linear(width, 1))
    y = model(x).detach() + 0.1 * torch.randn(n, 1, generator=gen)  # noisy: a data term
    chains_ = 3
    # morse_bott=False: at its true parameter this regular network is k/2 exactly, unsampled
    estimate_llc(model, (x, y), method=method, chains=chains_, draws=200, seed=0,
                 device="cpu", progress=False, true_parameter=true_parameter, morse_bott=False)
    step = chains_ * (1 if method == "single" else len(GRID))
    assert seen and max(seen) == (50 if budget == "roomy" else step)


def test_largest_tensor_is_the_forwards_widest_activation():
    """What sets a chunk's memory, measured without tracing the model: a width-64 layer on
    n = 1000 samples makes a (1000, 64) activation; a failing forward is not measured."""
    from slttheory.sampling.problem import _largest_tensor

    model = torch.nn.Sequential(torch.nn.Linear(3, 64), torch.nn.Tanh(), torch.nn.Linear(64, 2))
    x, y = torch.randn(1000, 3), torch.randn(1000, 2)
    names = [k for k, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    sizes = [p.numel() for p in model.parameters()]

    def per_sample(flat, x, y):
        parts = (t.view(s) for t, s in zip(torch.split(flat, sizes), shapes, strict=True))
        w = dict(zip(names, parts, strict=True))
        return ((torch.func.functional_call(model, w, (x,)) - y) ** 2).sum(-1)

    center = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    f = torch.func.vmap(per_sample, in_dims=(0, None, None))
    assert _largest_tensor(f, center, x, y) == 64_000
    assert _largest_tensor(f, center, x[:, :2], y) is None  # wrong input width: a clear None


@pytest.mark.parametrize("kind", ["summed", "conv_mean", "embedding", "frozen", "buffer"])
def test_largest_tensor_sees_activations_autograd_never_saves(kind):
    """A chunk's memory is set by the forward's widest tensor whether or not a backward
    would keep it: a linear map's output consumed by a linear reduction, an embedding
    lookup, a frozen layer's activations and features of data and buffers alone are never
    saved by autograd, and measured by its hooks alone the summed width-512 layer, at
    n = 1000, was chunked 1000 draws at once (a 5e8-element tensor, where a step held 4)."""
    from slttheory.sampling import fluctuation
    from slttheory.sampling.problem import _setup

    nn = torch.nn
    gen = torch.Generator().manual_seed(0)
    n = 100

    class Summed(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 512)

        def forward(self, x):
            return self.lin(x).sum(-1)

    class ConvMean(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.head = nn.Conv2d(1, 32, 3, padding=1), nn.Linear(32, 1)

        def forward(self, x):
            return self.head(self.conv(x).mean(dim=(2, 3))).squeeze(-1)

    class EmbedMean(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb, self.head = nn.Embedding(50, 64), nn.Linear(64, 1)

        def forward(self, t):
            return self.head(self.emb(t).mean(1)).squeeze(-1)

    class Frozen(ConvMean):
        def __init__(self):
            super().__init__()
            self.conv.requires_grad_(False)

    class Buffer(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("c", torch.randn(256, 8, generator=gen))
            self.head = nn.Linear(256, 1)

        def forward(self, x):
            return self.head(torch.exp(-((x[:, None, :] - self.c) ** 2).sum(-1))).squeeze(-1)

    model, x, widest = {
        "summed": (Summed(), torch.randn(n, 3, generator=gen), n * 512),
        "conv_mean": (ConvMean(), torch.randn(n, 1, 8, 8, generator=gen), n * 32 * 64),
        "embedding": (EmbedMean(), torch.randint(0, 50, (n, 16), generator=gen), n * 16 * 64),
        "frozen": (Frozen(), torch.randn(n, 1, 8, 8, generator=gen), n * 32 * 64),
        "buffer": (Buffer(), torch.randn(n, 8, generator=gen), n * 256 * 8),
    }[kind]
    s = _setup(model, (x, torch.randn(n, generator=gen)), "gaussian", None,
               torch.device("cpu"))
    assert s.footprint() == widest
    assert fluctuation.chunk_rows(n, 4, s.footprint()) == max(4, 4_000_000 // widest)


def test_data_std_error_removes_monte_carlo_noise():
    """Draws that do not depend on the data in any way (δℓ_i independent of i apart from noise
    in the draws) have zero influence spread: the split-half cross-product is ~0, while the
    plain sum of squares of noisy influences would not be."""
    gen = torch.Generator().manual_seed(1)
    n = 50
    c = torch.ones(n, dtype=torch.float64)

    def per_sample(w):  # every sample sees the same loss w²: all g_i equal
        return (w[:, :1] ** 2) * c

    pos = torch.randn(4, 300, 1, generator=gen, dtype=torch.float64)
    assert data_std_error([pos], [5.0], [1.0], per_sample, n) == pytest.approx(0.0, abs=1e-9)

    b = torch.randn(n, generator=gen, dtype=torch.float64)

    def per_sample2(w):  # sample-specific slopes: a real spread of influences
        return w[:, :1] * b + (w[:, :1] ** 2)

    se = data_std_error([pos], [5.0], [1.0], per_sample2, n)
    gi = influence(pos.reshape(-1, 1), 5.0, per_sample2, n)
    assert 0.5 * np.std(gi) * math.sqrt(n) < se < 2 * np.std(gi) * math.sqrt(n)



def test_data_covariance_is_unbiased_where_the_true_influences_vanish():
    """Split-half data covariance (fluctuation.data_covariance) is unbiased for Σ(g_i − ḡ)²:
    draws w ~ N(0, 1) that do not depend on the data, δℓ_i(w) = b_i w with Σ b_i = 0 (so
    ΔL ≡ 0, the posterior is untempered by the data and every true g_i = (t/n) b_i E[w] = 0).
    Each half's estimate is ĝ_i = (t/n) b_i w̄, so S = (t/n)² Σb_i² w̄_A w̄_B with w̄_A, w̄_B
    independent N(0, 1/M) (M = draws per half); s = S M/((t/n)² Σb²) is a product of two
    independent standard normals: mean 0, s.d. 1. Over R = 100 independent draw sets
    (explicit generator) the mean of s is within z = 4 of 0 (|mean| < 4/√R = 0.4). One half
    used twice (S = (t/n)² Σb² w̄_A², Monte-Carlo noise no longer cancelling: s ~ χ²₁, mean
    1) passed every sampling test; here its mean is 1 ± 0.14."""
    gen = torch.Generator().manual_seed(2)
    n, t, chains, draws, reps = 40, 5.0, 4, 100, 100
    b = torch.randn(n, generator=gen, dtype=torch.float64)
    b = b - b.mean()

    def per_sample(w):
        return w[:, :1] * b

    half = chains // 2 * draws
    scale = (t / n) ** 2 * float((b * b).sum()) / half
    s = np.array([data_covariance([torch.randn(chains, draws, 1, generator=gen,
                                               dtype=torch.float64)], [t], per_sample, n)[0, 0]
                  / scale for _ in range(reps)])
    assert abs(s.mean()) < 4 / math.sqrt(reps), s.mean()
    assert 0.5 < s.std() < 2.0, s.std()  # the stated scale (product of normals: s.d. 1)

@settings(max_examples=40, deadline=None)
@given(lam=st.floats(0.25, 20.0), rise=st.floats(0.05, 0.3), t0=st.floats(50.0, 2000.0))
def test_noisy_interval_spans_the_data_term(lam, rise, t0):
    """A noisy scan that rises like the WBIC data term, λ + b·t (an empirical minimiser's
    reference offset; Watanabe 2013, Thm 4), with 1 % errors: the power laws extrapolate the
    rise upwards and their envelope misses λ; with the data term's law (``laws_for`` of noisy
    data) the interval covers it. Noise-free data have no such term and no such law."""
    f = np.asarray(GRID)
    y = lam * (1.0 + rise * f)  # rises by `rise`·λ over the decade up to t0
    se = np.full(f.size, 0.01 * lam)
    fit = select_fit(f, y, se, t0, init_loss=0.5)
    alone = law_interval(fit, np.zeros(f.size), None, laws_for(0.0, t0))
    both = law_interval(fit, np.zeros(f.size), None, laws_for(0.5, t0))
    assert not alone.low <= lam <= alone.high
    assert both.low <= lam <= both.high
    assert [name for name, _, _ in both.laws][-1] == "t" and fit.value > y[0]
    assert "t" not in laws_for(0.0, t0)


def test_noise_free_is_told_by_the_losses_spread_not_their_level():
    """A constant added to the per-sample loss cancels in λ̂, so it must not change which
    laws the scan fits: noisy data with the Gaussian loss minus L_n(w*) (mean 0 at w*) were
    read as noise-free and their estimate moved from 3.36 to 5.59 (an outside probe); and
    noise-free data with the loss plus 10 were read as noisy. The decision reads the spread
    of ℓ_i(w*)."""
    import torch
    from torch import nn

    from slttheory.sampling.extrapolate import is_noise_free
    from slttheory.sampling.problem import _setup

    g = torch.Generator().manual_seed(0)
    x = torch.randn(50, 2, generator=g, dtype=torch.float64)
    model = nn.Linear(2, 1, bias=False).double()
    exact = model(x).detach()
    noisy = exact + torch.randn(50, 1, generator=g, dtype=torch.float64)

    def gauss(shift):
        return lambda o, t: 0.5 * ((o - t) ** 2).sum(1) + shift

    dev = torch.device("cpu")
    c = float(0.5 * ((exact - noisy) ** 2).sum(1).mean())
    for shift in (0.0, 10.0, -c):
        assert not is_noise_free(_setup(model, (x, noisy), gauss(shift), None, dev).noise_loss,
                                 100.0)
        assert is_noise_free(_setup(model, (x, exact), gauss(shift), None, dev).noise_loss,
                             100.0)


def test_a_law_needs_as_many_distinct_temperatures_as_parameters():
    """Four equal temperatures gave three laws three different λ (0.93, 1.77, 1.85), each
    with an error of 0.5 % (an outside probe): repeated temperatures identify nothing more."""
    import numpy as np
    import pytest

    from slttheory.sampling.extrapolate import fit_finite_nbeta

    f, y, se = np.ones(4), np.array([1.0, 1.1, 0.9, 1.0]), np.full(4, 0.01)
    for model in ("pow[1/2,1]", "log", "pow1/2"):
        with pytest.raises(ValueError, match="distinct temperatures"):
            fit_finite_nbeta(f, y, se, 100.0, model)
    assert fit_finite_nbeta(f, y, se, 100.0, "flat").value == pytest.approx(1.0)
    assert np.isfinite(fit_finite_nbeta(np.array([1.0, 0.5, 0.25, 0.1]), y, se, 100.0,
                                        "pow[1/2,1]").value)
