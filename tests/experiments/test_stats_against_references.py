"""Interval and p-value checks against independent computations (scipy.stats, numpy, closed
forms). A mutation audit of ``slttheory/experiments/stats.py`` found 14 one-line changes that
the coverage tests (one-sided or ±3.5 s.e. bands) let through: a wrong degree of freedom, a z
for a t, a 90 % interval for a 95 % one, a dropped correction or a wrong count of units shifts
an interval by a few percent, which no coverage test of a few hundred samples sees, but which
moves a verdict whose interval end sits near its threshold."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from slttheory.experiments import stats as st

Z975 = float(sps.norm.ppf(0.975))


# --- correlations --------------------------------------------------------------------------

def test_pearson_ci_is_scipys_fisher_z_interval():
    """scipy's ``pearsonr(...).confidence_interval`` is the Fisher-z interval with
    se = 1/√(n − 3) (the variance of atanh r under bivariate normality)."""
    rng = np.random.default_rng(11)
    for n in (6, 12, 40):
        x = rng.standard_normal(n)
        y = 0.5 * x + rng.standard_normal(n)
        e = st.pearson_ci(x, y)
        ref = sps.pearsonr(x, y).confidence_interval(0.95)
        assert e.value == pytest.approx(sps.pearsonr(x, y).statistic, abs=1e-12)
        assert (e.low, e.high) == pytest.approx((ref.low, ref.high), abs=1e-9), n


def test_spearman_ci_is_bonett_wright_on_average_ranks_with_ties():
    """ρ is Pearson's r of the average ranks (ties share their mean rank), and the interval is
    tanh(atanh ρ ± z·√((1 + ρ²/2)/(n − 3))) (Bonett & Wright 2000)."""
    x = np.array([1, 1, 1, 2, 2, 3, 3, 3, 4, 5, 5, 6], float)   # heavy ties, as in LLC grids
    y = np.array([2, 1, 1, 3, 2, 2, 4, 3, 3, 5, 4, 4], float)
    rho = float(np.corrcoef(sps.rankdata(x), sps.rankdata(y))[0, 1])
    e = st.spearman_ci(x, y)
    assert e.value == pytest.approx(rho, abs=1e-12)
    n = x.size
    se = math.sqrt((1 + rho * rho / 2) / (n - 3))
    z = math.atanh(rho)
    assert (e.low, e.high) == pytest.approx(
        (math.tanh(z - Z975 * se), math.tanh(z + Z975 * se)), abs=1e-12)


def test_grouped_spearman_is_the_sign_test_interval_of_the_runs_tied_rho():
    """Two or more runs: the median of scipy's (tie-corrected) per-run ρ with the sign-test
    interval [ρ_(k), ρ_(G−k+1)], k the largest with P(Bin(G, ½) ≤ k − 1) ≤ α/2 (scipy's
    binomial): none below 6 runs at α = 0.05, [min, max] at 6–8 runs, the 2nd and 8th of 9."""
    t = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], float)
    rng = np.random.default_rng(8)
    runs = [(np.round(t / 2 + rng.normal(0, 1.5, t.size)), t) for _ in range(9)]
    for g in (2, 5, 6, 8, 9):
        rhos = np.sort([sps.spearmanr(a, b).statistic for a, b in runs[:g]])
        e = st.grouped_spearman(runs[:g])
        assert e.n == g and e.value == pytest.approx(np.median(rhos), abs=1e-12)
        ks = [k for k in range(1, g // 2 + 1) if sps.binom.cdf(k - 1, g, 0.5) <= 0.025]
        if not ks:
            assert math.isnan(e.low) and math.isnan(e.high), g
            continue
        k = max(ks)
        assert (e.low, e.high) == pytest.approx((rhos[k - 1], rhos[g - k]), abs=1e-12), g
        assert k == {6: 1, 8: 1, 9: 2}[g]


# --- bootstraps ----------------------------------------------------------------------------

def test_percentile_bootstrap_of_a_mean_matches_the_normal_interval_at_large_n():
    """For a mean of 400 Gaussian values the bootstrap distribution of the mean is close to
    N(x̄, s²/n) (s with ddof 0), so the 95 % percentile interval's half-width is
    1.96·s/√n to within its Monte Carlo error (4000 draws: about 1.5 %; allowed 6 %); a
    90 % interval would be 16 % narrower."""
    rng = np.random.default_rng(5)
    v = rng.standard_normal(400)
    e = st.bootstrap_ci(np.mean, v, n_boot=4000, seed=1)
    half = (e.high - e.low) / 2
    assert half == pytest.approx(Z975 * v.std() / math.sqrt(v.size), rel=0.06)
    assert e.low < v.mean() < e.high


def test_cluster_bootstrap_resamples_whole_clusters_and_needs_three():
    """40 clusters of 5 rows with a strong cluster effect: the bootstrap of the mean resamples
    cluster means, so its half-width is about 1.96·sd(cluster means)/√40, not the much
    smaller 1.96·sd(rows)/√200 of a row bootstrap. Two clusters are not enough."""
    rng = np.random.default_rng(6)
    g, m = 40, 5
    lab = np.repeat(np.arange(g), m)
    y = rng.standard_normal(g)[lab] + 0.1 * rng.standard_normal(g * m)
    e = st.cluster_bootstrap_ci(np.mean, y, clusters=lab, n_boot=4000, seed=2)
    cm = y.reshape(g, m).mean(axis=1)
    assert (e.high - e.low) / 2 == pytest.approx(Z975 * cm.std() / math.sqrt(g), rel=0.08)
    two = st.cluster_bootstrap_ci(np.mean, y[:2 * m], clusters=lab[:2 * m], n_boot=100)
    assert two.n == 2 and math.isnan(two.low) and math.isnan(two.high)


WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])


def wcr_p_value(x, y, lab, b0, draws=20000, seed=123):
    """Restricted wild cluster bootstrap-t p-value of H0: slope = b0 (CGM 2008), CR s.e.,
    Webb's six-point weights; written out independently."""
    X = np.column_stack([np.ones_like(x), x])
    pinv = np.linalg.pinv(X)
    row = np.linalg.inv(X.T @ X)[1]
    ids = np.unique(lab, return_inverse=True)[1]
    g = ids.max() + 1

    def slope_and_se(Y):                      # Y: rows x draws
        B = pinv @ Y
        E = Y - X @ B
        c = np.zeros((g, Y.shape[1]))
        np.add.at(c, ids, (X @ row)[:, None] * E)   # row·X_gᵀ e_g per cluster
        return B[1], np.sqrt((c ** 2).sum(axis=0))

    b, se = slope_and_se(y[:, None])
    t0 = (b[0] - b0) / se[0]
    a0 = np.mean(y - b0 * x)
    u = y - a0 - b0 * x
    w = WEBB[np.random.default_rng(seed).integers(0, 6, (g, draws))][ids]
    bs, ses = slope_and_se((a0 + b0 * x)[:, None] + w * u[:, None])
    return float(np.mean(np.abs((bs - b0) / ses) >= abs(t0)))


def test_wild_cluster_interval_inverts_its_two_sided_test_at_alpha():
    """The interval is the set of slopes b0 that the restricted wild cluster bootstrap-t test
    (two-sided |t*| ≥ |t0|) does not reject at α, so at either end the test's p-value is α.
    Recomputed here independently with 20 000 fresh draws: each end's p lies within
    0.05 ± 0.025 (Monte Carlo s.d. of the function's 1999-draw p near 0.005, plus the step
    1/1999), the mean of the 8 ends within 0.05 ± 0.015. A 90 % interval has p ≈ 0.10 at its
    ends; a one-sided test leaves one end unbounded."""
    rng = np.random.default_rng(21)
    ps = []
    for rep in range(4):
        sizes = rng.integers(1, 4, 12)
        lab = np.repeat(np.arange(12), sizes)
        x = rng.standard_normal(12)[lab] + 0.5 * rng.standard_normal(lab.size)
        y = 0.3 * x + rng.standard_normal(12)[lab] + 0.5 * rng.standard_normal(lab.size)
        e = st.wild_cluster_slope_ci(x, y, lab, n_boot=1999, seed=rep)
        assert math.isfinite(e.low) and math.isfinite(e.high) and e.low < e.value < e.high
        for end in (e.low, e.high):
            ps.append(wcr_p_value(x, y, lab, end))
            assert 0.025 <= ps[-1] <= 0.075, (rep, end, ps[-1])
    assert 0.035 <= np.mean(ps) <= 0.065


# --- least squares -------------------------------------------------------------------------

def test_ols_matches_scipy_linregress():
    """Slope and intercept intervals: estimate ± t_{n−2}·(linregress's standard error), and
    σ̂ = √(SSE/(n − 2))."""
    rng = np.random.default_rng(9)
    x = np.linspace(1.0, 6.0, 7)
    y = 2.0 + 0.7 * x + rng.standard_normal(7)
    f = st.ols(x, y)
    ref = sps.linregress(x, y)
    t = float(sps.t.ppf(0.975, 5))
    assert (f.slope.low, f.slope.high) == pytest.approx(
        (ref.slope - t * ref.stderr, ref.slope + t * ref.stderr), abs=1e-10)
    assert (f.intercept.low, f.intercept.high) == pytest.approx(
        (ref.intercept - t * ref.intercept_stderr, ref.intercept + t * ref.intercept_stderr),
        abs=1e-10)
    sse = float(((y - ref.intercept - ref.slope * x) ** 2).sum())
    assert f.sigma == pytest.approx(math.sqrt(sse / 5), rel=1e-12)


def test_llc_slope_is_whitened_ols_with_hc3_and_t_on_n_minus_2():
    """Two-step WLS written as OLS on √w-scaled rows (w = 1/ŷ², ŷ the OLS fit floored at 5 %
    of max |y|), HC3 from the whitened hat matrix, Student t on n − 2 dof."""
    rng = np.random.default_rng(10)
    x = np.array([1, 2, 3, 5, 8, 13, 20, 32.0])
    y = (0.5 + 0.5 * x) * (1 + 0.1 * rng.standard_normal(x.size))
    X = np.column_stack([np.ones_like(x), x])
    yhat = X @ np.polyfit(x, y, 1)[::-1]
    w = 1 / np.maximum(np.abs(yhat), 0.05 * np.abs(y).max()) ** 2
    Xt, yt = X * np.sqrt(w)[:, None], y * np.sqrt(w)
    b = np.linalg.lstsq(Xt, yt, rcond=None)[0]
    e = yt - Xt @ b
    inv = np.linalg.inv(Xt.T @ Xt)
    h = np.diag(Xt @ inv @ Xt.T)
    cov = inv @ (Xt.T * (e / (1 - h)) ** 2) @ Xt @ inv
    half = float(sps.t.ppf(0.975, x.size - 2)) * math.sqrt(cov[1, 1])
    got = st.llc_slope(x, y)
    assert got.value == pytest.approx(b[1], rel=1e-10)
    assert (got.low, got.high) == pytest.approx((b[1] - half, b[1] + half), rel=1e-9)


def test_fieller_bounds_solve_fiellers_equation_with_t_on_n_minus_1():
    """Fieller's bounds are the roots R of (ā − R b̄)² = t²_{n−1}(v_aa − 2R v_ab + R² v_bb),
    v the (co)variances of the means; between them the inequality ≤ holds."""
    a = np.array([0.42, 0.31, 0.55, 0.38, 0.47])
    b = np.array([1.1, 0.8, 1.3, 0.9, 1.2])
    e = st.ratio_of_means(a, b)
    n = a.size
    v = np.cov(a, b, ddof=1) / n
    t2 = float(sps.t.ppf(0.975, n - 1)) ** 2

    def q(r):
        return (a.mean() - r * b.mean()) ** 2 - t2 * (v[0, 0] - 2 * r * v[0, 1]
                                                      + r * r * v[1, 1])
    scale = a.mean() ** 2
    assert q(e.low) == pytest.approx(0, abs=1e-9 * scale)
    assert q(e.high) == pytest.approx(0, abs=1e-9 * scale)
    assert q(e.value) < 0 and e.low < a.mean() / b.mean() < e.high


def test_extreme_ratio_is_bonferroni_over_the_values():
    """Each value's Student-t interval at level 1 − α/G (scipy), then the max of the ends."""
    g = [1, 1, 1, 2, 2, 2, 3, 3, 3]
    x = [1, 1, 1, 2, 2, 2, 4, 4, 4.0]
    y = [0.9, 1.1, 1.0, 2.3, 1.9, 2.2, 4.4, 3.8, 4.1]
    r = np.array(y) / np.array(x)
    ivs = [sps.t.interval(1 - 0.05 / 3, 2, loc=r[i:i + 3].mean(), scale=sps.sem(r[i:i + 3]))
           for i in (0, 3, 6)]
    e = st.extreme_ratio(g, x, y, which="max")
    assert e.low == pytest.approx(max(lo for lo, _ in ivs), abs=1e-12)
    assert e.high == pytest.approx(max(hi for _, hi in ivs), abs=1e-12)


# --- shape and lack-of-fit tests -----------------------------------------------------------

def test_lack_of_fit_with_equal_group_variances_is_the_textbook_f_statistic():
    """With every group's sample variance equal, the Welch–James statistic times c/q is the
    pooled lack-of-fit F = [(SSE_line − SS_pe)/(k − 2)] / [SS_pe/(N − k)] (Draper & Smith
    §2.1), written out from the group means; two distinct x leave no dof (NaN)."""
    x = np.repeat([1, 2, 3, 4, 5.0], 2)
    centre = np.array([1.1, 2.3, 2.8, 4.1, 5.0])
    y = np.repeat(centre, 2) + np.tile([-0.15, 0.15], 5)  # every s_i² = 0.045
    k, n = 5, 10
    sse = float(((y - np.polyval(np.polyfit(x, y, 1), x)) ** 2).sum())
    pe = float(sum(((y[x == v] - y[x == v].mean()) ** 2).sum() for v in np.unique(x)))
    f = ((sse - pe) / (k - 2)) / (pe / (n - k))
    got = st.lack_of_fit(x, y, "line")
    # equal weights: H is the OLS hat matrix of the means, A = Σ (1 − H_ii)²/f_i
    X = np.stack([np.arange(1, 6.0), np.ones(5)], axis=1)
    h = np.diag(X @ np.linalg.inv(X.T @ X) @ X.T)
    a = float(((1 - h) ** 2).sum())
    q = k - 2
    c = q + 2 * a - 6 * a / (q + 2)
    assert got.chi2 * c / q == pytest.approx(f, rel=1e-10) and got.dof == q
    assert got.p_value == pytest.approx(float(sps.f.sf(f * q / c, q, q * (q + 2) / (3 * a))),
                                        rel=1e-10)
    two = st.lack_of_fit([1, 1, 2, 2], [1.0, 1.1, 2.0, 2.2], "line")
    assert math.isnan(two.p_value) and two.dof == 0
    # a value with one run has no variance of its own: no test
    assert math.isnan(st.lack_of_fit([1, 2, 2, 3, 3], [1.0, 2.0, 2.1, 3.0, 3.2], "l").p_value)


def test_lack_of_fit_holds_its_level_where_the_spread_changes_along_the_grid():
    """The GSM claim's full design (5 learning rates × 5 runs, x = lr), spread of log GSM
    falling tenfold along the grid: a true line is rejected at p < 0.01 in about 1.3 % of
    sweeps (Welch–James), where the pooled F test rejected it in 5.5 %; and a curve (log GSM
    straight in lr, tested straight in log lr: the rival of the claim) is still rejected in
    about 72 % (pooled: 24 %). Bounds 5 binomial s.e. from the expected rates (4000 sweeps)."""
    gen = np.random.default_rng(20261206)
    lrs = np.array([3e-5, 1e-4, 3e-4, 1e-3, 3e-3])
    sd = 10.0 ** (-np.arange(5) / 4)
    x = np.repeat(lrs, 5)
    sweeps = 4000
    null = alt = 0
    for _ in range(sweeps):
        noise = np.repeat(sd, 5) * gen.standard_normal(25)
        null += st.lack_of_fit(x, 1.0 - 400.0 * x + noise, "exp").p_value < 0.01
        alt += st.lack_of_fit(np.log(x), -x / 3e-3 + 0.3 * np.sqrt(10) * noise / 1.0,
                              "power").p_value < 0.05
    assert 0.004 <= null / sweeps <= 0.022
    assert alt / sweeps >= 0.60


def test_log_shape_fit_chi2_uses_inverse_variance_weights():
    """χ² = Σ ((r_i − c)/se_i)², c the inverse-variance weighted mean, on n − 1 dof."""
    ly = np.array([0.1, 0.5, 0.2, 0.9])
    se = np.array([0.1, 0.2, 0.3, 0.4])
    w = 1 / se**2
    c = (w * ly).sum() / w.sum()
    chi2 = float((((ly - c) / se) ** 2).sum())
    f = st.log_shape_fit(ly, se, np.zeros(4), "const")
    assert f.log_c == pytest.approx(c) and f.chi2 == pytest.approx(chi2) and f.dof == 3
    assert f.p_value == pytest.approx(float(sps.chi2.sf(chi2, 3)))
    g = st.log_shape_fit(ly, se, np.zeros(4), "const", scale_dof=6)
    assert g.p_value == pytest.approx(float(sps.f.sf(chi2 / 3, 3, 6)))
