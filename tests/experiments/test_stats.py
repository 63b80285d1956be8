"""Statistics on synthetic data with known answers."""

import math

import numpy as np
import pytest

from slttheory.experiments import stats as st


def test_ols_known_slope_and_exact_coverage():
    # y = 1.5 x + 2 + N(0, 1): the t interval covers 1.5 in about 95% of data sets
    rng = np.random.default_rng(0)
    x = np.linspace(0, 10, 20)
    hits = 0
    for _ in range(400):
        y = 1.5 * x + 2 + rng.standard_normal(20)
        f = st.ols(x, y)
        hits += f.slope.low <= 1.5 <= f.slope.high
    # binomial(400, 0.95): sd 4.4 -> 3.5 sd band
    assert abs(hits / 400 - 0.95) < 3.5 * math.sqrt(0.95 * 0.05 / 400)


def test_ols_exact_line():
    f = st.ols([1, 2, 3, 4], [3, 5, 7, 9])
    assert f.slope.value == pytest.approx(2) and f.intercept.value == pytest.approx(1)
    assert f.r2 == pytest.approx(1)
    m, lo, hi = f.band([1, 4])
    assert np.allclose(m, [3, 9]) and np.allclose(lo, m) and np.allclose(hi, m)


def test_spearman_known_correlation_and_sign():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(200)
    y = x + 0.3 * rng.standard_normal(200)  # strongly monotone
    e = st.spearman_ci(x, y)
    assert e.low > 0.85 and e.value > 0.9
    e2 = st.spearman_ci(x, -y)
    assert e2.high < -0.85
    # independent: the interval covers 0 in about 95% of data sets
    hits = sum(
        st.spearman_ci(rng.standard_normal(30), rng.standard_normal(30)).contains(0.0)
        for _ in range(300)
    )
    assert abs(hits / 300 - 0.95) < 3.5 * math.sqrt(0.95 * 0.05 / 300)


def test_pearson_known_rho_coverage():
    rng = np.random.default_rng(2)
    rho = 0.6
    cov = [[1, rho], [rho, 1]]
    hits = 0
    for _ in range(300):
        z = rng.multivariate_normal([0, 0], cov, 40)
        hits += st.pearson_ci(z[:, 0], z[:, 1]).contains(rho)
    assert abs(hits / 300 - 0.95) < 3.5 * math.sqrt(0.95 * 0.05 / 300)


def test_bootstrap_mean_coverage():
    rng = np.random.default_rng(3)
    hits = 0
    for i in range(100):
        e = st.bootstrap_ci(np.mean, rng.exponential(1.0, 60), n_boot=400, seed=i)
        hits += e.contains(1.0)
    # percentile bootstrap of a skewed mean undercovers slightly: accept 0.85..1
    assert hits >= 85


def test_grouped_spearman_sign():
    rng = np.random.default_rng(4)
    groups = []
    for _ in range(6):
        t = np.arange(20.0)
        groups.append((t + rng.standard_normal(20), t))
    e = st.grouped_spearman(groups, n_boot=300)
    assert e.low > 0.5 and e.n == 6
    e2 = st.grouped_spearman([(g[0], -g[1]) for g in groups], n_boot=300)
    assert e2.high < -0.5


def test_exp_decay_known_rate():
    rng = np.random.default_rng(5)
    x = np.repeat(np.linspace(0, 3, 10), 3)  # replicates: each x's variance is estimated
    y = 4 * np.exp(-1.2 * x) * np.exp(0.05 * rng.standard_normal(30))
    f = st.exp_decay_fit(x, y)
    assert f.rate.low < 1.2 < f.rate.high and f.rate.low > 1.0
    assert f.r2_log > 0.99


def test_ratio_and_clopper_pearson_and_mean():
    e = st.mean_ratio([1, 2, 3, 4, 5], [2.1, 3.9, 6.0, 8.1, 9.9])
    assert e.low < 2 < e.high
    cp = st.clopper_pearson(5, 10)
    assert cp.low == pytest.approx(0.187086, abs=1e-5) and cp.high == pytest.approx(
        0.812914, abs=1e-5
    )
    m = st.mean_ci([1.0, 2.0, 3.0, 4.0])
    assert m.value == 2.5 and m.low < 2.5 < m.high


def test_bad_alpha_and_short_input():
    with pytest.raises(ValueError, match="alpha"):
        st.ols([1, 2, 3], [1, 2, 3], alpha=1.5)
    assert math.isnan(st.spearman_ci([1, 2], [1, 2]).value)
    assert math.isnan(st.ols([1, 1, 1], [1, 2, 3]).slope.value)


def test_cluster_bootstrap_does_not_count_a_runs_pairs_as_independent():
    """Three pairs per run that share a run effect in both x and y (as a TMS run's consecutive
    transitions share endpoints and a seed): with no slope within runs, OLS's t interval over
    the 60 pairs is much narrower than the bootstrap over the 20 runs, which is the honest one
    (simulated: the t interval decided a sign in 20 % of null cases at a nominal 5 %)."""
    rng = np.random.default_rng(3)
    runs = np.repeat(np.arange(20), 3)
    u = rng.normal(size=20)[runs]  # a run effect on both axes
    x = u + 0.1 * rng.normal(size=60)
    y = rng.normal(size=20)[runs] + 0.1 * rng.normal(size=60)
    t = st.ols(x, y).slope
    c = st.cluster_bootstrap_ci(lambda a, b: st.ols(a, b).slope.value, x, y, clusters=runs)
    assert c.value == pytest.approx(t.value)
    assert (c.high - c.low) > 1.3 * (t.high - t.low)
    assert "20 clusters" in c.method
    with pytest.raises(ValueError, match="same length"):
        st.cluster_bootstrap_ci(np.mean, x, clusters=runs[:5])


def test_r2_interval_covers_at_five_points_and_does_not_confirm_falsely():
    """The exact R² interval (noncentral F inversion) at the quick sweeps' 5 points: coverage
    of the population ρ² = δ/(δ + n) near 95 %, and "R² above 0.95" confirmed in at most a
    few percent of samples whose ρ² is 0.87 (the percentile pairs bootstrap covered about
    67 % and confirmed about a fifth at ρ² = 0.90; found by an audit). 1000 samples per
    noise level: the binomial s.e. of a 95 % coverage is 0.7 %, so ±2.5 % is 3.5 s.e."""
    x = np.array([1.0, 2.0, 4.0, 6.0, 8.0])
    n, sxx = x.size, float(((x - x.mean()) ** 2).sum())
    rng = np.random.default_rng(1)
    for sigma in (0.5, 1.0, 2.0):
        rho2 = (sxx / sigma**2) / (sxx / sigma**2 + n)
        hits = confirms = 0
        for _ in range(1000):
            y = x + rng.normal(0.0, sigma, n)
            e = st.r2_ci(x, y, laws=(0.0,))  # the classical interval: exact here
            hits += e.low <= rho2 <= e.high
            confirms += e.low > 0.95
        assert abs(hits / 1000 - 0.95) < 0.025, (sigma, hits)
        if rho2 < 0.95:
            assert confirms / 1000 < 0.025, (sigma, confirms)


def test_r2_interval_holds_its_level_under_relative_errors():
    """LLC-like errors: 20 points y = x/2 over x = 1…20 with 10 % relative errors, against
    the population ρ² = b²S_xx/(b²S_xx + Σσ_i²). The constant-error interval (noncentral F
    of the ordinary R²) missed ρ² in about 12 % of such sweeps (6.6–7.6 % too high, 4.6–5.4 %
    too low; nominal 2.5 % each); the union over the error laws may miss it in at most
    5 % + 3.5 binomial s.e. (300 sweeps: 9.4 %), and lie above it in at most 2.5 % + 3.5 s.e.
    (5.7 %)."""
    x = np.linspace(1.0, 20.0, 20)
    mu, sd = x / 2, 0.05 * x
    rho2 = float(0.25 * ((x - x.mean()) ** 2).sum())
    rho2 /= rho2 + float((sd**2).sum())
    rng = np.random.default_rng(7)
    above = below = 0
    for _ in range(300):
        e = st.r2_ci(x, mu + sd * rng.standard_normal(x.size))
        above += e.low > rho2
        below += e.high < rho2
    assert (above + below) / 300 < 0.05 + 3.5 * math.sqrt(0.05 * 0.95 / 300), (above, below)
    assert above / 300 < 0.025 + 3.5 * math.sqrt(0.025 * 0.975 / 300), (above, below)


def test_r2_interval_contains_the_constant_error_interval():
    x, y = [1.0, 2.0, 4.0, 6.0, 8.0, 10.0], [0.4, 1.2, 1.9, 3.3, 3.8, 5.2]
    classical, union = st.r2_ci(x, y, laws=(0.0,)), st.r2_ci(x, y)
    assert union.value == classical.value
    assert union.low <= classical.low <= classical.high <= union.high
    assert "union" in union.method and "union" not in classical.method


def test_cluster_bootstrap_counts_clusters_not_rows():
    x = np.tile([0.0, 1.0, 2.0], 3)
    y = 2 * x + np.repeat(np.arange(3.0), 3)
    e = st.cluster_bootstrap_ci(lambda a, b: np.polyfit(a, b, 1)[0], x, y,
                                clusters=np.repeat(np.arange(3), 3), n_boot=100)
    assert e.n == 3  # 9 rows from 3 runs: 3 independent units, below a min_n of 5


def _spearman_rows(t, ys):
    """Spearman ρ of ``t`` (increasing) with each row of ``ys`` (continuous: no ties)."""
    m = t.size
    ranks = ys.argsort(axis=1).argsort(axis=1)
    d = ranks - np.arange(m)
    return np.round(1.0 - 6.0 * (d**2).sum(axis=1) / (m * (m * m - 1)), 12)


def test_grouped_spearman_covers_its_median_at_six_runs_and_has_no_interval_at_five():
    """The sign-test interval over the runs covers the median of a run's ρ (runs y = t +
    noise whose scale varies from run to run, median from 20 000 runs): 400 intervals over 6
    runs ([min, max], level 1 − 2/64 = 96.9 %) cover 387.5 ± 3.5, so at least 373 must. Five
    runs admit no sign-test interval at 95 % (0.5⁵ = 3.1 % > 2.5 %): NaN bounds, which the
    judge reads as undecided. ``n`` counts runs with a finite ρ."""
    rng = np.random.default_rng(3)
    t = np.arange(20.0)

    def run():
        return t + np.exp(rng.normal(np.log(6.0), 0.2)) * rng.standard_normal(20), t

    scale = np.exp(rng.normal(np.log(6.0), 0.2, (20000, 1)))
    truth = np.median(_spearman_rows(t, t + scale * rng.standard_normal((20000, t.size))))
    cover = sum(e.low <= truth <= e.high
                for e in (st.grouped_spearman([run() for _ in range(6)]) for _ in range(400)))
    assert cover >= 373
    five = st.grouped_spearman([run() for _ in range(5)])
    assert math.isnan(five.low) and math.isnan(five.high) and "no interval" in five.method
    flat = (t, np.ones(20))  # a constant series: no ρ, not a run of the count
    assert st.grouped_spearman([run(), run(), flat]).n == 2


@pytest.mark.parametrize(("m", "scale"), [(4, 0.4), (8, 0.05)])
def test_grouped_spearman_does_not_decide_falsely_at_few_checkpoints(m, scale):
    """At few checkpoints a run's ρ is discrete, skewed and bounded (at 8 checkpoints and
    strong co-movement most runs read exactly 1, and a Student t over 8 runs of ρ = 1 has zero
    width): the t interval over 8 runs decided "above the truth" in 8.6 % (4 checkpoints,
    mean ρ 0.60) and 9.5 % (8 checkpoints, mean ρ 0.99) of simulated sets of runs, nominal
    2.5 %, and against the median in 13–14 % "below". The sign-test interval may not: of 600
    sets, false decisions on either side against the median of a run's ρ stay below 2.5 % +
    3.5 binomial s.e. (4.7 %)."""
    rng = np.random.default_rng(20)
    t = np.arange(float(m))

    def runs(k):
        return t + scale * m * rng.standard_normal((k, m))

    truth = float(np.median(_spearman_rows(t, runs(20000))))
    above = below = 0
    for _ in range(600):
        e = st.grouped_spearman([(t, y) for y in runs(8)])
        above += e.low > truth
        below += e.high < truth
    bound = 0.025 + 3.5 * math.sqrt(0.025 * 0.975 / 600)
    assert above / 600 < bound and below / 600 < bound, (above, below, truth)


@pytest.mark.parametrize("errors", ["relative", "sqrt", "constant"])
def test_mean_ratio_covers_under_an_llc_like_error_law(errors):
    """A sweep over predictions x = 0.5 … 16 whose measurements err relatively (the LLC's
    relative spread 1/√(2λ log n)), as √x, or by a constant: the 95 % interval of the ratio
    covers the true ratio 1 at least at its level, within 4 binomial standard deviations
    (σ = 0.49 % at 2000 sweeps). Least squares through the origin, which this replaced,
    covered 54 % under relative errors."""
    rng = np.random.default_rng(20261204)
    x = np.array([0.5, 1.0, 2.0, 4.0, 8.0, 16.0])
    scale = {"relative": 0.1 * x, "sqrt": 0.1 * np.sqrt(x), "constant": 0.3 + 0 * x}[errors]
    sweeps = 2000
    covered = sum(st.mean_ratio(x, x + scale * rng.standard_normal(x.size)).contains(1.0)
                  for _ in range(sweeps))
    assert covered / sweeps >= 0.95 - 4 * 0.0049


@pytest.mark.parametrize("runs", [5, 8])
def test_ratio_of_means_covers_the_ratio_of_the_means(runs):
    """Post-drop λ̂ ~ N(0.4, 0.12) and plateau λ̂ ~ |N(1, 0.3)| per run: Fieller's interval
    covers μ_post/μ_pre at its level, within 4 binomial s.e. (The mean of the per-run ratios
    it replaced covered its own estimand, E[post/pre], 86 % at 5 runs: a ratio of noisy
    values is skewed.)"""
    rng = np.random.default_rng(20261204 + runs)
    truth = 0.4 / (np.abs(np.random.default_rng(0).normal(1, 0.3, 4_000_000)).mean())
    sims, covered = 2000, 0
    for _ in range(sims):
        pre = np.abs(rng.normal(1.0, 0.3, runs))
        post = rng.normal(0.4, 0.12, runs)
        covered += st.ratio_of_means(post, pre).contains(truth)  # NaN bounds never cover
    assert covered / sims >= 0.95 - 4 * 0.0049


@pytest.mark.parametrize("errors", ["relative", "sqrt", "constant"])
@pytest.mark.parametrize("repeats", [1, 10])
def test_llc_slope_covers_under_an_llc_like_error_law(errors, repeats):
    """λ = 0.5 + 0.5·degree over degrees 1 … 80 (seed 000's polynomial sweep; 10 points, or
    100 with 10 runs), errors relative, ∝ √λ (the LLC's law) or constant: the slope's 95 %
    interval covers at its level within 4 binomial s.e. Ordinary least squares covered 60 %
    under relative errors at 10 points."""
    rng = np.random.default_rng(20261204 + repeats)
    x = np.repeat(np.array([1, 2, 3, 5, 8, 13, 20, 32, 50, 80.0]), repeats)
    lam = 0.5 + 0.5 * x
    scale = {"relative": 0.1 * lam, "sqrt": np.sqrt(lam / (2 * np.log(500))),
             "constant": 0.3 + 0 * lam}[errors]
    sims = 2000
    covered = sum(st.llc_slope(x, lam + scale * rng.standard_normal(x.size)).contains(0.5)
                  for _ in range(sims))
    assert covered / sims >= 0.95 - 4 * 0.0049


def test_llc_slope_has_no_interval_where_a_point_has_leverage_one():
    """x = 23, 23, 23, 23, 61: the line passes through the one point at 61, whose residual is
    0 whatever its error, so HC3 saw none of its share of the slope's variance. Under a zero
    slope (y = 1 + N(0, 0.1²)) the interval lay above 0 ("positive" confirmed) in 9.5 % of
    3000 samples (nominal 2.5 %; an audit). Now no interval; a design without such a point
    keeps its interval and its level: at x = 23, 23, 24, 24, 61, 1000 samples, at most 2.5 %
    + 4 binomial s.e. (0.5 %) confirm."""
    rng = np.random.default_rng(20260601)
    x = np.array([23.0, 23.0, 23.0, 23.0, 61.0])
    e = st.llc_slope(x, 1.0 + 0.1 * rng.standard_normal(x.size))
    assert math.isfinite(e.value) and math.isnan(e.low) and math.isnan(e.high)
    assert "leverage 1" in e.method and e.n == 5
    x2 = np.array([23.0, 23.0, 24.0, 24.0, 61.0])
    sims = 1000
    confirms = sum(st.llc_slope(x2, 1.0 + 0.1 * rng.standard_normal(x2.size)).low > 0
                   for _ in range(sims))
    assert confirms / sims <= 0.025 + 4 * math.sqrt(0.025 * 0.975 / sims)


def _false_sign_rates(intervals):
    a = np.array(intervals)
    return float(np.mean(a[:, 0] > 0)), float(np.mean(a[:, 1] < 0))


def test_welch_slope_holds_its_level_where_the_spread_grows_with_x():
    # gsm_decay_rate's design: 5 learning rates 3e-5…3e-3, 3 runs each, log GSM flat (rate 0)
    # with sd rising 0.1 → 0.6 across them. Ordinary least squares' pooled t decided a sign
    # falsely in about 8 % on each side (nominal 2.5 %); the per-x variances with the fewest
    # replicates' dof in about 1.5 %. Bounds: 2.5 % ± 3 binomial s.e. (0.35 % at 2000 sets).
    rng = np.random.default_rng(20261206)
    lrs = np.array([3e-5, 1e-4, 3e-4, 1e-3, 3e-3])
    x = np.repeat(lrs, 3)
    sd = np.repeat(np.linspace(0.1, 0.6, 5), 3)
    old, new = [], []
    for _ in range(2000):
        y = 3.0 + sd * rng.standard_normal(x.size)
        o = st.ols(x, y).slope
        w = st.welch_slope(x, y)
        old.append((o.low, o.high))
        new.append((w.low, w.high))
    bound = 0.025 + 3 * math.sqrt(0.025 * 0.975 / 2000)
    assert min(_false_sign_rates(old)) > bound  # the pooled t: about 0.08 each side
    assert max(_false_sign_rates(new)) <= bound


def test_exp_decay_rate_needs_replicates_at_every_x():
    x = [1.0, 1.0, 2.0, 2.0, 3.0]
    f = st.exp_decay_fit(x, np.exp(-np.asarray(x)))
    assert math.isnan(f.rate.low) and "single value" in f.rate.method
    assert round(f.rate.value, 6) == 1.0


def test_wild_slope_over_runs_holds_its_level_where_the_spread_grows_with_x():
    # arrhenius_slope: one row a run, slope 0, log r's sd growing with |ΔF| (0.2 + |x|, x
    # heavy-tailed), 10 runs. OLS's pooled t decided a sign falsely in about 14 % on each
    # side (nominal 2.5 %); the restricted wild bootstrap-t with one cluster a run in about
    # 3 % (1000 sets). Bounds from binomial s.e.: the two sides together, nominal 5 %.
    rng = np.random.default_rng(7)
    old, new = [], []
    for i in range(200):
        x = rng.normal(0, 1, 10) * np.exp(rng.normal(0, 0.5, 10))
        y = (0.2 + np.abs(x)) * rng.standard_normal(10)
        o = st.ols(x, y).slope
        w = st.wild_cluster_slope_ci(x, y, np.arange(10), n_boot=199, seed=i)
        old.append((o.low, o.high))
        new.append((w.low, w.high))
    bound = 0.05 + 3 * math.sqrt(0.05 * 0.95 / 200)
    assert sum(_false_sign_rates(old)) > bound  # the pooled t: about 0.28 in all
    assert sum(_false_sign_rates(new)) <= bound


def _extreme_false_rates(sigma: float, runs: int, law: str, values: int = 10,
                         sets: int = 1500) -> tuple[float, float]:
    # every value's mean ratio at 1: the rates at which "min above 1" and "max below 1" are
    # refuted (the min's upper end below 1, the max's lower end above 1), nominal 2.5 % each
    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(values), runs)
    lo_max, hi_min = [], []
    for _ in range(sets):
        z = rng.standard_normal(values * runs)
        r = 1 + sigma * z if law == "normal" else np.exp(sigma * z - sigma**2 / 2)
        hi_min.append(st.extreme_ratio(g, np.ones_like(r), r, which="min").high)
        lo_max.append(st.extreme_ratio(g, np.ones_like(r), r, which="max").low)
    return float(np.mean(np.array(hi_min) < 1)), float(np.mean(np.array(lo_max) > 1))


def test_extreme_ratio_holds_its_level_under_normal_ratios():
    # Bonferroni Student t is exact here; bounds from the binomial s.e. of 1500 sets (0.4 %)
    se = math.sqrt(0.025 * 0.975 / 1500)
    for rate in _extreme_false_rates(0.3, 3, "normal"):
        assert 0.025 - 3 * se <= rate <= 0.025 + 3 * se


def test_extreme_ratio_min_is_liberal_under_log_normal_ratios_as_documented():
    # the limitation its docstring states (7.3–10.2 % at 10 runs a value and 30 % spread):
    # right-skewed ratios of arithmetic mean 1 refute "min above 1" too often, while the
    # max's lower end is conservative. A remedy that holds its level here should fail this
    # test and update the docstring and verification/README.md.
    se = math.sqrt(0.025 * 0.975 / 1500)
    min_rate, max_rate = _extreme_false_rates(0.3, 10, "lognormal")
    assert min_rate > 0.025 + 3 * se
    assert max_rate < 0.025


def _null_spread_along_x(interval, reps, sds, sims, seed):
    """One-sided false decisions of ``interval`` under ρ = 0 (y symmetric about 0 at every
    x) where y's spread changes with x: (fraction high < 0, fraction low > 0)."""
    rng = np.random.default_rng(seed)
    x = np.repeat(np.arange(len(sds), dtype=float), reps)
    s = np.repeat(np.asarray(sds, float), reps)
    neg = pos = 0
    for _ in range(sims):
        e = interval(x, rng.standard_normal(x.size) * s)
        neg += e.high < 0
        pos += e.low > 0
    return neg / sims, pos / sims


def test_spearman_union_holds_its_level_where_the_spread_changes_along_x():
    # spearman_max_llc_lr's design (learning rates with replicate runs): Bonett–Wright's
    # Fisher z decided a sign falsely in about 5 % a side (nominal 2.5 %) where max λ̂'s
    # spread rises along the learning rates; the union with the jackknife in about 2 %
    sds = [0.1, 0.3, 1.0, 3.0]
    bw = _null_spread_along_x(st.spearman_ci, 2, sds, 1500, 11)
    un = _null_spread_along_x(st.spearman_union_ci, 2, sds, 1500, 11)
    assert max(bw) > 0.035  # the defect this guards against
    assert max(un) < 0.033, un


def test_gsm_max_llc_correlation_uses_the_union_interval():
    from slttheory.experiments import EXPERIMENTS

    gsm = EXPERIMENTS["gsm_vs_lr"]
    lrs = [1e-3, 2e-3, 4e-3, 8e-3]
    s = gsm.validate({"lrs": lrs, "seed": 0, "runs": 2})
    recs = []
    for i, lr in enumerate(lrs):
        for r in range(2):
            recs.append({"lr": lr, "spec": {"seed": 2 * i + r}, "series": {
                "n_train": 100, "step": [0, 5, 10], "train_acc": [1.0] * 3,
                "val_acc": [0.0, 0.0, 1.0], "train_loss": [1.0] * 3, "val_loss": [1.0] * 3},
                "llc": {"10": {"llc": 10.0 - i + 0.3 * r, "passed": True}}})
    sp = gsm.analyze(s, recs, 0.05).statistics["spearman_max_llc_lr"]
    assert "jackknife" in sp.method
    ref = st.spearman_ci([r["lr"] for r in recs],
                         [r["llc"]["10"]["llc"] for r in recs])
    assert sp.low <= ref.low and sp.high >= ref.high
