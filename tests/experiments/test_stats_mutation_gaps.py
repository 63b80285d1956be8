"""Rules of ``slttheory.experiments.stats`` that a mutation run found no fast test pinned:
each test fails on a one-line mutant (a degrees-of-freedom count, a quantile level, a gate)
and checks the exact value against an independent computation (scipy, closed forms)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from slttheory.experiments import stats as st


@pytest.mark.parametrize("fn", [st.pearson_ci, st.spearman_ci, st.spearman_union_ci])
def test_fisher_intervals_need_four_points(fn):
    # se ∝ 1/√(n − 3): three points have no Fisher-z interval (a gate at n < 3 divides by 0)
    e = fn([0.0, 1.0, 2.0], [0.0, 2.0, 1.0])
    assert math.isnan(e.low) and math.isnan(e.high) and e.n == 3
    assert math.isfinite(fn([0.0, 1.0, 2.0, 3.0], [0.0, 2.0, 1.0, 3.0]).low)


def test_spearman_union_jackknife_uses_t_on_n_minus_1_dof():
    rng = np.random.default_rng(1)
    x = np.repeat(np.arange(5.0), 3)
    y = rng.normal(size=15) * (0.1 + x**2)
    n = x.size
    rho = sps.spearmanr(x, y).statistic
    keep = np.ones(n, bool)
    loo = []
    for i in range(n):
        keep[i] = False
        loo.append(math.atanh(sps.spearmanr(x[keep], y[keep]).statistic))
        keep[i] = True
    loo = np.array(loo)
    se = math.sqrt((n - 1) / n * ((loo - loo.mean()) ** 2).sum())
    q = sps.t.ppf(0.975, n - 1)
    z0 = math.atanh(rho)
    bw = st.spearman_ci(x, y)
    lo, hi = math.tanh(z0 - q * se), math.tanh(z0 + q * se)
    assert lo < bw.low and hi > bw.high  # the jackknife decides both ends here
    e = st.spearman_union_ci(x, y)
    assert e.low == pytest.approx(lo, abs=1e-12) and e.high == pytest.approx(hi, abs=1e-12)


def test_spearman_union_has_no_interval_when_a_leave_one_out_set_is_constant():
    # leaving out x = 0 leaves x constant: no jackknife, so no union (not Bonett–Wright's alone)
    x, y = [0.0, 1.0, 1.0, 1.0, 1.0], [0.0, 1.0, 2.0, 3.0, 4.0]
    assert math.isfinite(st.spearman_ci(x, y).low)
    e = st.spearman_union_ci(x, y)
    assert math.isnan(e.low) and math.isnan(e.high)
    assert "no jackknife" in e.method


def test_bootstrap_of_one_row_has_no_interval():
    # one row resamples to itself: a zero-width interval would "confirm" anything it touches
    e = st.bootstrap_ci(np.mean, [3.0, math.nan], n_boot=50)
    assert e.n == 1
    assert math.isnan(e.low) and math.isnan(e.high)


def test_wild_cluster_needs_three_clusters():
    x = np.array([0.0, 1.0, 2.0, 0.5, 1.5, 2.5])
    y = x + np.array([0.1, -0.2, 0.05, 0.3, -0.1, 0.2])
    e = st.wild_cluster_slope_ci(x, y, [0, 0, 0, 1, 1, 1])
    assert e.n == 2 and math.isnan(e.low) and math.isnan(e.high)
    assert math.isfinite(st.wild_cluster_slope_ci(x, y, [0, 0, 1, 1, 2, 2]).low)



def test_sign_test_interval_exists_when_its_level_equals_the_bound_exactly():
    # α = 1/16: with 5 runs P(Bin(5, ½) ≤ 0) = 1/32 = α/2 exactly, so k = 1 (≤, not <) and
    # the interval is [min, max] at level 1 − 2/32 = 1 − α
    alpha = 1 / 16
    assert sps.binom.cdf(0, 5, 0.5) == alpha / 2
    assert st.sign_test_min_runs(alpha) == 5
    t = np.arange(6.0)
    runs = [(t, t + s * np.sin(3 * t)) for s in (0.1, 0.5, 1.0, 2.0, 4.0)]
    rhos = sorted(sps.spearmanr(a, b).statistic for a, b in runs)
    e = st.grouped_spearman(runs, alpha=alpha)
    assert e.n == 5
    assert e.low == pytest.approx(rhos[0]) and e.high == pytest.approx(rhos[-1])


def test_grouped_spearman_ignores_runs_of_fewer_than_four_checkpoints():
    t = np.arange(5.0)
    runs = [(t, t + s * np.cos(2 * t)) for s in (0.1, 0.3, 0.6, 1.0, 1.5, 2.0)]
    short = (np.arange(3.0), np.array([0.0, 2.0, 1.0]))
    assert st.grouped_spearman(runs + [short]).n == 6


def test_spearman_value_needs_three_points():
    assert math.isnan(st.spearman_value(np.array([0.0, 1.0]), np.array([0.0, 1.0])))
    assert st.spearman_value(np.arange(3.0), np.arange(3.0)) == 1.0


def test_ols_band_is_the_mean_response_interval():
    x = np.array([0.0, 1.0, 2.0, 4.0, 7.0])
    y = np.array([0.3, 1.1, 2.4, 3.9, 7.5])
    fit = st.ols(x, y)
    n = x.size
    b, a = np.polyfit(x, y, 1)
    s = math.sqrt(((y - a - b * x) ** 2).sum() / (n - 2))
    t = sps.t.ppf(0.975, n - 2)
    yhat, lo, hi = fit.band([x.mean(), 0.0])
    # at x̄: ȳ ± t·s/√n; at 0: the intercept's own interval
    assert yhat[0] == pytest.approx(y.mean())
    assert hi[0] - yhat[0] == pytest.approx(t * s / math.sqrt(n))
    assert lo[1] == pytest.approx(fit.intercept.low) and hi[1] == pytest.approx(fit.intercept.high)


def test_ols_r2_of_a_constant_response_is_undefined():
    assert math.isnan(st.ols([0.0, 1.0, 2.0, 3.0], [1.0, 1.0, 1.0, 1.0]).r2)


def test_welch_slope_matches_its_formula():
    # b = Σ n_g c_g ȳ_g, var = Σ n_g c_g² s_g² (sample variances, ddof 1), t on min n_g − 1
    groups = {1.0: [1.0, 1.4, 0.7], 2.0: [2.2, 1.8, 2.5, 2.1], 4.0: [3.9, 4.6, 4.0, 5.1, 4.4]}
    x = np.concatenate([[k] * len(v) for k, v in groups.items()])
    y = np.concatenate(list(groups.values()))
    xm = x.mean()
    sxx = ((x - xm) ** 2).sum()
    b = sum(len(v) * (k - xm) / sxx * np.mean(v) for k, v in groups.items())
    var = sum(len(v) * ((k - xm) / sxx) ** 2 * np.var(v, ddof=1) for k, v in groups.items())
    half = sps.t.ppf(0.975, 2) * math.sqrt(var)
    e = st.welch_slope(x, y)
    assert e.value == pytest.approx(b)
    assert e.low == pytest.approx(b - half) and e.high == pytest.approx(b + half)
    assert e.method.endswith("2 dof")


def test_r2_interval_with_constant_errors_is_steiger_fouladi():
    from scipy.optimize import brentq

    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    y = np.array([1.3, 1.7, 3.4, 3.6, 5.5, 5.2, 7.4])
    n = x.size
    r2 = np.corrcoef(x, y)[0, 1] ** 2
    f = (n - 2) * r2 / (1 - r2)
    bounds = []
    for p in (0.975, 0.025):  # the cdf of F falls in δ: its 97.5 % point bounds δ below
        d = brentq(lambda d, p=p: sps.ncf.cdf(f, 1, n - 2, d) - p, 1e-9, 1e4, xtol=1e-12)
        bounds.append(d / (d + n))
    e = st.r2_ci(x, y, laws=(0.0,))
    assert e.value == pytest.approx(r2)
    assert e.low == pytest.approx(bounds[0], rel=1e-6)
    assert e.high == pytest.approx(bounds[1], rel=1e-6)


def test_r2_interval_under_relative_errors_maps_delta_through_the_weights():
    # law p = 1: w = f^−2 (f the OLS fit), δ_w bounds θ = b²/c², ρ² = θS_xx/(θS_xx + Σf²)
    from scipy.optimize import brentq

    x = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    y = np.array([0.6, 0.9, 2.3, 3.7, 8.6])
    n = x.size
    b, a = np.polyfit(x, y, 1)
    f = np.maximum(np.abs(a + b * x), 0.05 * np.abs(y).max())
    w = f**-2.0
    xw, yw = (w * x).sum() / w.sum(), (w * y).sum() / w.sum()
    s_w = (w * (x - xw) ** 2).sum()
    bw = (w * (x - xw) * (y - yw)).sum() / s_w
    r2w = 1 - (w * (y - yw - bw * (x - xw)) ** 2).sum() / (w * (y - yw) ** 2).sum()
    fw = (n - 2) * r2w / (1 - r2w)
    sxx = ((x - x.mean()) ** 2).sum()
    ends = []
    for p in (0.975, 0.025):
        d = brentq(lambda d, p=p: sps.ncf.cdf(fw, 1, n - 2, d) - p, 1e-9, 1e5, xtol=1e-12)
        theta = d / s_w
        ends.append(theta * sxx / (theta * sxx + (f**2).sum()))
    e = st.r2_ci(x, y, laws=(1.0,))
    assert e.low == pytest.approx(ends[0], rel=1e-6)
    assert e.high == pytest.approx(ends[1], rel=1e-6)



@pytest.mark.parametrize("scale_dof", [0.5, 1, 3])
def test_log_shape_fit_uses_the_f_test_for_any_positive_scale_dof(scale_dof):
    log_y, se, log_g = [0.0, 0.4, 0.1, -0.2], [0.1, 0.2, 0.1, 0.15], [0.0] * 4
    w = 1 / np.square(se)
    c = (w * log_y).sum() / w.sum()
    chi2 = (w * (np.array(log_y) - c) ** 2).sum()
    f = st.log_shape_fit(log_y, se, log_g, "y ∝ 1", scale_dof)
    assert f.chi2 == pytest.approx(chi2) and f.dof == 3
    assert f.p_value == pytest.approx(sps.f.sf(chi2 / 3, 3, scale_dof), rel=1e-9)
    assert st.log_shape_fit(log_y, se, log_g, "y ∝ 1").p_value == pytest.approx(
        sps.chi2.sf(chi2, 3), rel=1e-9)


def test_weighted_slope_switches_to_t_as_soon_as_the_scatter_sets_the_scale():
    # χ²/ν slightly above 1: errors × √(χ²/ν) and Student t on n − 2 dof (not the normal)
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    se = np.array([0.1, 0.1, 0.2, 0.2, 0.1])
    y = 2 * x + np.array([0.1, -0.12, 0.2, -0.25, 0.05])
    w = 1 / se**2
    X = np.stack([x, np.ones_like(x)], axis=1)
    cov = np.linalg.inv((X * w[:, None]).T @ X)
    b, a = cov @ (X * w[:, None]).T @ y
    birge = (w * (y - b * x - a) ** 2).sum() / 3
    assert 1 < birge < 2
    half = sps.t.ppf(0.975, 3) * math.sqrt(cov[0, 0] * birge)
    e = st.weighted_slope(x, y, se)
    assert e.low == pytest.approx(b - half) and e.high == pytest.approx(b + half)


def test_lack_of_fit_needs_three_distinct_x():
    # two x values: a line fits their means exactly, no degrees of freedom are left to test
    f = st.lack_of_fit([1, 1, 2, 2], [1.0, 1.2, 2.0, 2.3], "line")
    assert f.dof == 0
    assert math.isnan(f.chi2) and math.isnan(f.p_value) and math.isnan(f.log_c)


def test_lack_of_fit_without_spread_in_a_group_has_no_answer():
    f = st.lack_of_fit([1, 1, 2, 2, 3, 3], [1.0, 1.0, 2.0, 2.3, 3.1, 2.9], "line")
    assert f.dof == 1
    assert math.isnan(f.chi2) and math.isnan(f.p_value) and math.isnan(f.log_c)
