"""Gaps found by a mutation run over ``sampling/diagnostics.py`` and ``sampling/fluctuation.py``:
each test fails on a one-line mutant that the other fast tests let through."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm, rankdata

from slttheory.sampling import diagnostics as dg


def _split_rhat(x: np.ndarray) -> float:
    """Split R-hat (Gelman et al., BDA3 §11.4) of a (chains, draws) array, draws even."""
    h = x.shape[1] // 2
    s = np.concatenate([x[:, :h], x[:, h:]], axis=0)
    n = s.shape[1]
    w = s.var(axis=1, ddof=1).mean()
    b = n * s.mean(axis=1).var(ddof=1)
    return math.sqrt(((n - 1) / n * w + b / n) / w)


def _z(x: np.ndarray) -> np.ndarray:
    r = rankdata(x, method="average").reshape(x.shape)
    return norm.ppf((r - 3 / 8) / (x.size + 1 / 4))


def _rank_rhat(x: np.ndarray) -> float:
    """Vehtari et al. 2021 eq. (4)-(5): max of the rank-normalised split R-hat of the draws
    and of the draws folded about their median."""
    return max(_split_rhat(_z(x)), _split_rhat(_z(np.abs(x - np.median(x)))))


def test_rhat_is_the_rank_normalised_folded_rhat():
    """Chains that agree in location but not in scale: the plain split R-hat is ≈ 1, the folded
    (tail) one sees the disagreement; the gate's R-hat is the rank one (mutant: method="split")."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 400)) * np.array([1.0, 1.0, 3.0, 3.0])[:, None]
    assert _split_rhat(x) < 1.05
    want = _rank_rhat(x)
    assert want > 1.05
    assert dg.rhat(x) == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize("draws", [4, 6, 7])
def test_rhat_defined_from_four_draws(draws):
    """Four draws per chain are enough for a split R-hat (two halves of two); fewer are NaN
    (mutant: the NaN threshold raised)."""
    x = np.random.default_rng(draws).normal(size=(3, draws))
    if draws % 2 == 0:
        assert dg.rhat(x) == pytest.approx(_rank_rhat(x), rel=1e-9)
    assert math.isfinite(dg.rhat(x)) and math.isfinite(dg.ess(x))
    assert math.isnan(dg.rhat(x[:, :3]))


def test_empty_trace_is_nan_not_an_error():
    """A (chains, draws) trace with no chain is degenerate: NaN, not np.ptp's ValueError
    (mutant: ``a.size == 0 and ...``)."""
    for f in (dg.ess, dg.rhat, dg.mcse, dg.gate_ess):
        assert math.isnan(f(np.zeros((0, 10))))


def test_infinite_draw_gives_nan():
    """arviz-stats returns a finite ESS and R-hat for a trace holding +inf; the contract is NaN
    for any non-finite trace (mutant: the isfinite check dropped)."""
    x = np.random.default_rng(0).normal(size=(2, 50))
    x[0, 3] = np.inf
    for f in (dg.ess, dg.rhat, dg.gate_ess):
        assert math.isnan(f(x))


def test_ess_and_rhat_scale_invariant():
    """ESS and R-hat do not depend on the trace's units (scaled by 2⁻²⁰, exactly): a small
    spread is no constant trace (mutant: ptp < 1e-3 read as constant)."""
    x = np.random.default_rng(1).normal(size=(4, 300))
    for f in (dg.ess, dg.rhat, dg.gate_ess):
        assert f(2.0**-20 * x) == pytest.approx(f(x), rel=1e-9)
    assert dg.mcse(2.0**-20 * x) == pytest.approx(2.0**-20 * dg.mcse(x), rel=1e-9)


def test_gate_ess_takes_the_mean_ess_when_it_is_the_smaller():
    """On a right-skewed ½χ²-like AR(1) trace the ESS of the mean is below the bulk ESS, and
    the gate uses it (mutant: gate_ess returns the bulk ESS)."""
    rng = np.random.default_rng(0)
    e = rng.normal(size=(4, 4000))
    z = np.empty_like(e)
    z[:, 0] = e[:, 0]
    rho = 0.99
    for t in range(1, e.shape[1]):
        z[:, t] = rho * z[:, t - 1] + math.sqrt(1 - rho**2) * e[:, t]
    x = 0.5 * z**2
    mean_ess, bulk = dg.ess(x), dg.ess(x, method="bulk")
    assert mean_ess < bulk
    assert dg.gate_ess(x) == mean_ess


def test_divergent_fails_even_without_a_warning():
    """``passed`` needs no divergence *and* no warnings (mutant: divergence ignored)."""
    d = dg.Diagnostics(ess=500.0, rhat=1.0, acceptance_rate=None, divergent=True)
    assert not d.passed


def test_bulk_ess_defaults_to_unknown():
    """A Diagnostics built without a bulk ESS records it as unknown (NaN), not as an ESS of 0."""
    d = dg.Diagnostics(ess=500.0, rhat=1.0, acceptance_rate=None, divergent=False)
    assert math.isnan(d.ess_bulk)


def _summarised(x: np.ndarray):
    from slttheory.sampling.chains import _Run, _summarise

    k, t = x.shape
    run = _Run(delta=x, gsq=np.ones((k, t // 10)), acc=None, total=t, burn_in=0,
               step_size=1e-6, calibration=None)
    return _summarise(run, np.ones(k), 3, "sgld", False)[3]


def _with_z(base: np.ndarray, z: float) -> np.ndarray:
    """``base`` with its second half shifted so that its stationarity z is exactly ``z`` (a
    constant shift of one half leaves each half's MCSE unchanged)."""
    h = base.shape[1] // 2
    se = math.hypot(dg.mcse(base[:, :h]), dg.mcse(base[:, h:]))
    z0 = dg.stationarity_z(base)
    x = base.copy()
    x[:, h:] -= (z - z0) * se
    return x


@pytest.mark.parametrize("z", [3.3, -3.3, 3.9])
def test_stationarity_fails_just_above_three(z):
    """|z| > 3 fails an estimate, in either direction (mutants: the bound 3 → 4, z one-sided)."""
    from slttheory.sampling.chains import STATIONARITY_Z_MAX

    assert STATIONARITY_Z_MAX == 3.0
    base = np.random.default_rng(5).standard_normal((4, 2000)) + 5.0
    d = _summarised(_with_z(base, z))
    assert d.stationarity_z == pytest.approx(z, rel=1e-6)
    assert any("not stationary" in w for w in d.warnings) and not d.passed


def test_stationarity_passes_just_below_three():
    base = np.random.default_rng(5).standard_normal((4, 2000)) + 5.0
    d = _summarised(_with_z(base, -2.7))
    assert d.stationarity_z == pytest.approx(-2.7, rel=1e-6)
    assert not any("not stationary" in w for w in d.warnings)


def _with_rhat(base: np.ndarray, target: float) -> np.ndarray:
    """``base`` with its last chain shifted until its rank R-hat is ``target`` (bisection)."""
    lo, hi = 0.0, 2.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        x = base.copy()
        x[-1] += mid
        lo, hi = (mid, hi) if dg.rhat(x) < target else (lo, mid)
    x = base.copy()
    x[-1] += 0.5 * (lo + hi)
    return x


@pytest.mark.parametrize(("target", "fails"), [(1.055, True), (1.045, False)])
def test_rhat_gate_is_one_point_zero_five(target, fails):
    """R-hat 1.055 fails an estimate, 1.045 raises no R-hat warning (mutants: the bound
    moved). (The shifted chain also lowers the ESS of the mean below 100, a separate check.)"""
    base = np.random.default_rng(0).standard_normal((4, 2000)) + 5.0
    d = _summarised(_with_rhat(base, target))
    assert d.rhat == pytest.approx(target, abs=1e-4)
    assert any("R-hat" in w for w in d.warnings) is fails
    if fails:
        assert not d.passed


def _ar1(rho: float, shape: tuple[int, int], seed: int) -> np.ndarray:
    e = np.random.default_rng(seed).normal(size=shape)
    z = np.empty_like(e)
    z[:, 0] = e[:, 0]
    for t in range(1, shape[1]):
        z[:, t] = rho * z[:, t - 1] + math.sqrt(1 - rho**2) * e[:, t]
    return z


def test_low_bulk_ess_fails_even_when_the_mean_ess_passes():
    """A lognormal AR(1) trace (ρ = 0.95, 4 × 1000): ESS of the mean ≈ 230 but bulk ESS ≈ 92
    (rank-based, so that of the Gaussian AR(1)); the estimate fails on the bulk ESS
    (mutant: the gate uses the ESS of the mean only)."""
    x = np.exp(2.0 * _ar1(0.95, (4, 1000), 0)) + 1.0
    assert dg.ess(x) >= 100 > dg.ess(x, method="bulk")
    d = _summarised(x)
    assert any("effective sample size (bulk)" in w for w in d.warnings), d.warnings
    assert not d.passed


def test_stationarity_checked_from_eight_draws():
    """Eight kept draws per chain (halves of four, each with an MCSE) get a stationarity z
    (mutant: the threshold raised to 16)."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 10)) + np.linspace(0.0, 3.0, 10) + 5.0
    d = _summarised(x)
    assert d.stationarity_z == pytest.approx(dg.stationarity_z(x), rel=1e-12)
    assert abs(d.stationarity_z) > 3 and any("not stationary" in w for w in d.warnings)


def test_record_rule_checks_rhat_stationarity_and_ess_each():
    """``_converged_record`` (the stopping rule of a record-only scan) stops only on a sample
    that passes its diagnostics: each trace below fails exactly one of R-hat, stationarity
    and ESS, and each keeps it running (mutants: one of the three checks dropped)."""
    from slttheory.sampling.chains import _converged_record

    ok = np.random.default_rng(5).standard_normal((4, 2000)) + 5.0
    assert _converged_record(ok, 1) == (True, 1.0)
    scales = np.random.default_rng(3).normal(size=(4, 2000)) * np.array([1, 1, 3, 3.0])[:, None]
    drift = _with_z(ok, 3.5)
    slow = _ar1(0.99, (1, 4000), 0) + 5.0  # one chain: no R-hat; ESS ≈ 25
    cases = {"rhat": scales + 20.0, "stationarity": drift, "ess": slow}
    assert dg.rhat(cases["rhat"]) > 1.05 and dg.gate_ess(cases["rhat"]) > 1000
    assert abs(dg.stationarity_z(cases["rhat"])) < 3
    assert dg.rhat(drift) < 1.05 and dg.gate_ess(drift) > 1000
    assert dg.gate_ess(slow) < 100 and abs(dg.stationarity_z(slow)) < 3
    for name, x in cases.items():
        assert _converged_record(x, 1) == (False, 2.0), name


def test_adaptive_rule_keeps_running_on_a_high_rhat():
    """``_converged``: chains that agree in location (MC error, stationarity and ESS all met)
    but not in scale, rank R-hat ≈ 1.17, run on with a doubling (mutant: R-hat bound loosened)."""
    from slttheory.sampling.chains import _converged

    x = np.random.default_rng(3).normal(size=(4, 2000)) * np.array([1, 1, 3, 3.0])[:, None]
    x += 20.0
    assert dg.rhat(x) > 1.1 and dg.gate_ess(x) > 1000 and abs(dg.stationarity_z(x)) < 3
    assert _converged(x, 1) == (False, 2.0)


@pytest.mark.parametrize("n", [1, 3, 1000])
def test_chunk_rows_fills_the_chunk(n):
    """Without a step cap a chunk holds ⌊CHUNK_ELEMENTS / n⌋ draws, for one sample too."""
    from slttheory.sampling import fluctuation

    assert fluctuation.chunk_rows(n) == fluctuation.CHUNK_ELEMENTS // n


@pytest.mark.parametrize("chunk", [1, 7, 10_000])
def test_influence_with_an_observable_equals_the_direct_formula(chunk, monkeypatch):
    """With an ``observable`` o_i (the true-parameter estimand), g_i = (t/n)(E[o_i] −
    t·Cov(ō, δℓ_i)) with ō the average of the o_i: o, not δℓ, is averaged and centred, δℓ
    weights the posterior (mutants: o's shift, ō or the covariance's factor taken from δℓ).
    Losses far from 0 and o ≠ δℓ at the first draw test the streamed shifts."""
    import torch

    from slttheory.sampling import fluctuation

    gen = torch.Generator().manual_seed(7)
    n, m, t = 6, 53, 2.0
    a = torch.randn(n, 2, generator=gen, dtype=torch.float64)
    b = torch.randn(n, 2, generator=gen, dtype=torch.float64)

    def per_sample(w):
        return 1e3 + (w @ a.T) ** 2

    def observable(w):
        return -50.0 + (w @ b.T) ** 3 + w[:, :1]

    w = torch.randn(m, 2, generator=gen, dtype=torch.float64)
    dl, ob = per_sample(w).numpy(), observable(w).numpy()
    obar = ob.mean(axis=1)
    cov = ((obar - obar.mean())[:, None] * (dl - dl.mean(axis=0))).sum(axis=0) / (m - 1)
    direct = (t / n) * (ob.mean(axis=0) - t * cov)
    monkeypatch.setattr(fluctuation, "CHUNK_ELEMENTS", chunk * n)
    got = fluctuation.influence(w, t, per_sample, n, observable=observable)
    np.testing.assert_allclose(got, direct, rtol=1e-9, atol=1e-9)


def _ps(a):
    def per_sample(w):
        return (w @ a.T) ** 2 + 0.3 * w[:, :1]
    return per_sample


def test_one_chain_data_covariance_splits_its_draws():
    """With one chain, the split-half covariance uses the influences of its first and second
    half of draws: Σ_i (g^A_i − ḡ^A)(g^B_i − ḡ^B) (mutant: both halves the first one, which
    turns the cross-product into a biased sum of squares)."""
    import torch

    from slttheory.sampling import fluctuation

    gen = torch.Generator().manual_seed(2)
    n, t = 5, 1.5
    a = torch.randn(n, 2, generator=gen, dtype=torch.float64)
    pos = torch.randn(1, 40, 2, generator=gen, dtype=torch.float64)
    ga = fluctuation.influence(pos[0, :20], t, _ps(a), n)
    gb = fluctuation.influence(pos[0, 20:], t, _ps(a), n)
    want = float((ga - ga.mean()) @ (gb - gb.mean()))
    got = fluctuation.data_covariance([pos], [t], _ps(a), n)
    assert got.shape == (1, 1)
    assert got[0, 0] == pytest.approx(want, rel=1e-12)


def test_a_half_of_one_draw_gives_nan():
    """A half with one draw has no covariance term (its influence would be t/n·δℓ_i alone):
    one chain of three draws (halves of 1 and 2) is too few, NaN (mutant: one draw allowed)."""
    import torch

    from slttheory.sampling import fluctuation

    a = torch.ones(3, 2, dtype=torch.float64)
    pos = torch.randn(1, 3, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert np.isnan(fluctuation.data_covariance([pos], [1.0], _ps(a), 3)).all()
    assert math.isnan(fluctuation.data_std_error([pos], [1.0], [1.0], _ps(a), 3))


def test_data_covariance_is_the_symmetrised_cross_product():
    """Two temperatures, four chains: entry (j, k) is ½Σ_i[(g^A_ij − ḡ^A_j)(g^B_ik − ḡ^B_k) +
    (g^B_ij − ḡ^B_j)(g^A_ik − ḡ^A_k)], a symmetric matrix (mutant: the unsymmetrised
    cross-product, whose quadratic forms agree but whose off-diagonal entries do not)."""
    import torch

    from slttheory.sampling import fluctuation

    gen = torch.Generator().manual_seed(9)
    n, ts = 6, (0.7, 2.0)
    a = torch.randn(n, 2, generator=gen, dtype=torch.float64)
    groups = [torch.randn(4, 15, 2, generator=gen, dtype=torch.float64) for _ in ts]
    ga = np.stack([fluctuation.influence(g[:2].reshape(-1, 2), t, _ps(a), n)
                   for g, t in zip(groups, ts, strict=True)], axis=1)
    gb = np.stack([fluctuation.influence(g[2:].reshape(-1, 2), t, _ps(a), n)
                   for g, t in zip(groups, ts, strict=True)], axis=1)
    ga, gb = ga - ga.mean(0), gb - gb.mean(0)
    want = 0.5 * (ga.T @ gb + gb.T @ ga)
    got = fluctuation.data_covariance(groups, ts, _ps(a), n)
    assert abs(got[0, 1] - got[1, 0]) <= 1e-15 * abs(got).max()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_negative_split_half_variance_is_clipped_to_zero():
    """The split-half cross-product is unbiased but can be negative when the true influences
    are small against the Monte-Carlo noise; the standard error is √max(v, 0) = 0 there, not
    √|v| (mutant). Seed 5 gives v ≈ −0.206."""
    import torch

    from slttheory.sampling import fluctuation

    gen = torch.Generator().manual_seed(5)
    a = torch.randn(4, 2, generator=gen, dtype=torch.float64)
    pos = torch.randn(2, 10, 2, generator=gen, dtype=torch.float64)
    assert fluctuation.data_covariance([pos], [1.0], _ps(a), 4)[0, 0] < -0.1
    assert fluctuation.data_std_error([pos], [1.0], [1.0], _ps(a), 4) == 0.0
