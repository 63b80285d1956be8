"""Two decidable experiment statistics whose intervals covered below their level (a red-team
audit of the experiment verdicts).

* ``llc_scaling_p_k``'s ``slope_llc_vs_k`` was the ordinary least-squares t interval of the
  final LLC on the width K, while λ̂'s error grows with λ ∝ K: at one modulus, with 10 %
  relative errors, it decided a sign falsely in about 5 % a side at a nominal 2.5 %. Every
  other slope of LLC estimates is :func:`~slttheory.experiments.stats.llc_slope` (weights
  1/ŷ², HC3, Student t), as ``verification/README.md`` says of slopes of LLC estimates.
* ``arrhenius_grokking``'s ``arrhenius_slope_bootstrap`` was a percentile pairs bootstrap of
  the OLS slope over 5–10 runs, whose 95 % interval excluded a zero slope in 7–11 % of
  simulated null sets: it is shown, and decides nothing.
"""

import math

import numpy as np
import pytest

from slttheory.experiments import EXPERIMENTS
from slttheory.experiments import stats as st
from slttheory.verify.claims import Criterion
from slttheory.verify.judge import judge_criterion


def _llc(value, passed=True):
    return {"llc": value, "std_error": 0.1, "passed": passed, "warnings": []}


def _scaling_records(p, ks, runs, rng, rel):
    recs = []
    for i, k in enumerate(k for k in ks for _ in range(runs)):
        lam = 0.02 * k * (3 * p - 1) / 2
        recs.append({"spec": {"seed": i, "p": p, "k": k}, "p": p, "k": k, "k_eff": k,
                     "series": {"step": [0, 10], "val_acc": [0.0, 1.0]},
                     "llc": {"10": _llc(lam * (1 + rel * rng.standard_normal()))}})
    return recs


def test_the_slope_in_k_is_an_llc_slope():
    exp = EXPERIMENTS["llc_scaling_p_k"]
    s = exp.validate({})
    rng = np.random.default_rng(0)
    recs = _scaling_records(23, [256, 512, 1024], 5, rng, 0.1)
    got = exp.analyze(s, recs, 0.05).statistics["slope_llc_vs_k"]
    ks = [r["k"] for r in recs]
    ys = [r["llc"]["10"]["llc"] for r in recs]
    ref = st.llc_slope(ks, ys, 0.05)
    assert got.method == ref.method
    assert (got.estimate, got.low, got.high) == pytest.approx((ref.value, ref.low, ref.high))


def test_the_slope_in_k_holds_its_level_where_the_error_grows_with_k():
    """3 widths × 15 runs at one modulus, λ̂ = λ(1 + 0.1·N(0, 1)) with λ ∝ K; the slope of
    E λ̂ in K is the truth. OLS's t: about 5 % a side (nominal 2.5 %); llc_slope about 2.8 %."""
    rng = np.random.default_rng(11)
    ks = np.repeat([256.0, 512.0, 1024.0], 15)
    b = 0.02 * (3 * 23 - 1) / 2
    n, ols_miss, llc_miss = 1500, 0, 0
    for _ in range(n):
        y = b * ks * (1 + 0.1 * rng.standard_normal(ks.size))
        o, w = st.ols(ks, y, 0.05).slope, st.llc_slope(ks, y, 0.05)
        ols_miss += (o.low > b) + (o.high < b)
        llc_miss += (w.low > b) + (w.high < b)
    assert ols_miss / n > 0.075  # the old interval: far below its level
    assert llc_miss / n < 0.07  # nominal 0.05, Monte Carlo s.e. about 0.006


def _arr_record(seed, i, j, li, lj, steps=12, n=100):
    step = [100 * (k + 1) for k in range(steps)]
    tr = [0.5] * i + [1.0] * (steps - i)
    va = [0.1] * j + [1.0] * (steps - j)
    loss = [1.0 / (k + 1) for k in range(steps)]
    return {"spec": {"seed": seed},
            "series": {"step": step, "train_acc": tr, "val_acc": va, "train_loss": loss,
                       "val_loss": loss, "n_train": n},
            "llc": {str(step[i]): _llc(li), str(step[j]): _llc(lj)}}


def test_the_pairs_bootstrap_slope_is_shown_and_decides_nothing():
    exp = EXPERIMENTS["arrhenius_grokking"]
    s = exp.validate({"seed": 0})
    # ΔF falls as the transition time grows: a clear negative slope over 8 clean runs
    recs = [_arr_record(r, 1, 3 + r, 10.0 + 0.5 * r, 5.0) for r in range(8)]
    stats = exp.analyze(s, recs, 0.05).statistics
    wild = stats["arrhenius_slope"]
    boot = stats["arrhenius_slope_bootstrap"]
    assert wild.decidable and boot.n == 8 and math.isfinite(boot.estimate)
    assert math.isnan(boot.low) and math.isnan(boot.high) and "was [" in boot.note
    for expect in ("negative", "positive"):
        assert judge_criterion(Criterion(boot.name, expect), boot)[0] == "inconclusive"


def test_the_pairs_bootstrap_of_a_slope_under_covers():
    """Why it is withheld: its 95 % interval excludes a true zero slope well above 5 % (at 5,
    6, 8 and 10 runs: 9.3, 9.7, 11 and 7.1 % of 1000 simulated sets each)."""
    rng = np.random.default_rng(6)
    sims, miss = 400, 0
    for _ in range(sims):
        x = 50 + 30 * rng.standard_normal(6)
        y = 8 + 0.5 * rng.standard_normal(6)
        e = st.bootstrap_ci(lambda a, b: st.ols(a, b).slope.value, x, y, n_boot=200,
                            seed=int(rng.integers(2**31)))
        miss += (e.low > 0) + (e.high < 0)
    assert miss / sims > 0.065, miss


def _gated(p, k, runs, passed, seed0):
    """Records at one (p, k) with λ = 0.02·K(3p − 1)/2 (±1 % by run), each LLC ``passed``."""
    return [{"spec": {"seed": seed0 + i, "p": p, "k": k}, "p": p, "k": k, "k_eff": k,
             "series": {"step": [0, 10], "val_acc": [0.0, 1.0]},
             "llc": {"10": _llc(0.02 * k * (3 * p - 1) / 2 * (1 + 0.01 * (i - 1)), passed)}}
            for i in range(runs)]


def test_the_slope_in_k_per_modulus_is_not_confounded_by_uneven_gating():
    """Fig. 2's 'the LLC grows with K' at every p, but the gate keeps only the wide runs at
    p = 11 and only the narrow ones at p = 61: the pooled line in K falls (λ grows faster
    with p than with K), the slope of λ̂/p in K rises, as it does within each modulus."""
    exp = EXPERIMENTS["llc_scaling_p_k"]
    s = exp.validate({})
    recs = (_gated(11, 1024, 3, True, 0) + _gated(11, 256, 3, False, 10)
            + _gated(61, 256, 3, True, 20) + _gated(61, 1024, 3, False, 30))
    stats_ = exp.analyze(s, recs, 0.05).statistics
    pooled, per_p = stats_["slope_llc_vs_k"], stats_["slope_llc_vs_k_per_p"]
    assert pooled.high < 0 < per_p.low
    kept = [r for r in recs if r["llc"]["10"]["passed"]]
    ref = st.llc_slope([r["k"] for r in kept], [r["llc"]["10"]["llc"] / r["p"] for r in kept])
    assert (per_p.estimate, per_p.low, per_p.high) == pytest.approx((ref.value, ref.low,
                                                                     ref.high))
    # the judge reads its interval as above 0 (not confirmed: half the LLCs failed their
    # diagnostics, and a confirmation rests on every value the statement covers)
    crit = Criterion(statistic="slope_llc_vs_k_per_p", expect="positive")
    verdict, why = judge_criterion(crit, per_p)
    assert verdict == "inconclusive" and "is above 0" in why
