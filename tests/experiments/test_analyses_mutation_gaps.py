"""Experiment-analysis rules a mutation run of experiments/grokking.py and others.py found
unpinned: which runs and LLC estimates each ``_analyze_*`` reads (gates, windows, regimes),
the quantities it derives, and the thresholds and labels its criteria read. Each test names
the rule; the spec is the docstrings, docs/experiments.md and the claims under
verification/experiments/."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_gate import _llc
from test_shape_rules import _gsm_records, _records

from slttheory.experiments import EXPERIMENTS
from slttheory.experiments import stats as st

# ------------------------------------------------------------------ grokking_llc_tracks_val_loss

TRACKS = EXPERIMENTS["grokking_llc_tracks_val_loss"]


def _tracks_records(runs=6, failed=()):
    """Runs memorising at checkpoint 3 + run % 3: before it λ̂ runs against the validation
    loss, after it with it (plus noise); the train loss is a third curve. ``failed``: (run,
    index) whose LLC fails its diagnostics with an absurd value."""
    rng = np.random.default_rng(1)
    steps = list(range(0, 200, 10))
    recs = []
    for r in range(runs):
        i = 3 + r % 3
        val = [2.0 - 0.08 * k + 0.05 * rng.standard_normal() for k in range(len(steps))]
        train = [1.0 / (k + 1) + 0.05 * rng.standard_normal() for k in range(len(steps))]
        lam = [(-v if k < i else v) + 0.1 * rng.standard_normal() for k, v in enumerate(val)]
        llc = {str(t): _llc(x, True) for t, x in zip(steps, lam, strict=True)}
        for rr, k in failed:
            if rr == r:
                llc[str(steps[k])] = _llc(1e6, False)
        recs.append({"spec": {"seed": r}, "p": 23, "k": 64, "llc": llc, "series": {
            "step": steps, "val_loss": val, "train_loss": train,
            "train_acc": [0.97 if k == 1 else (1.0 if k >= i else 0.5)
                          for k in range(len(steps))],
            "val_acc": [0.2] * (len(steps) - 1) + [0.9 + 0.01 * r]}})
    return recs


def _expected_groups(recs, which):
    """(λ̂, curve) per run as the statement reads them: clean LLCs only; from memorisation on
    (``"after"``, ``"train"``) or over every checkpoint (``"all"``)."""
    out = []
    for rec in recs:
        ser, steps = rec["series"], rec["series"]["step"]
        i = next(k for k, a in enumerate(ser["train_acc"]) if a >= 0.99)
        e = [rec["llc"][str(t)] for t in steps]
        lam = [x["llc"] if x["passed"] else np.nan for x in e]
        cut = 0 if which == "all" else i
        curve = ser["train_loss"] if which == "train" else ser["val_loss"]
        out.append((lam[cut:], list(curve[cut:])))
    return out


def test_tracks_levels_are_read_from_memorisation_on_and_on_clean_llcs_only():
    """Fig. 3 claim, (1): ρ(λ̂, validation loss) per run over the checkpoints from the first
    with train accuracy ≥ mem_acc (0.99, not gen_acc) on, failed LLCs left out; the _all
    variant over every checkpoint, the train-loss one against the train loss."""
    recs = _tracks_records(failed=[(0, 8), (1, 12), (2, 0)])
    s = TRACKS.validate({"runs": 6})
    out = TRACKS.analyze(s, recs, 0.05).statistics
    for name, which in (("spearman_llc_val_loss", "after"), ("spearman_llc_val_loss_all", "all"),
                        ("spearman_llc_train_loss", "train")):
        ref = st.grouped_spearman(_expected_groups(recs, which), 0.05, seed=s["seed"])
        assert out[name].estimate == pytest.approx(ref.value), name
        assert (out[name].low, out[name].high) == pytest.approx((ref.low, ref.high)), name
    assert out["spearman_llc_val_loss"].estimate > 0.8  # after memorisation: with the loss
    assert out["spearman_llc_val_loss_all"].estimate < out["spearman_llc_val_loss"].estimate


def test_tracks_counts_failed_llcs_in_the_window_each_statistic_reads():
    """The gate's counts: statistics read after memorisation count the failed LLCs from
    memorisation on (of the estimates there), the _all variant every failed LLC."""
    recs = _tracks_records(failed=[(0, 8), (1, 12), (2, 0)])  # (2, 0): before memorisation
    del recs[3]["llc"]["190"]  # a checkpoint without an estimate is no estimate
    out = TRACKS.analyze(TRACKS.validate({"runs": 6}), recs, 0.05).statistics
    after = 6 * 20 - (3 + 4 + 5) * 2 - 1  # runs memorise at checkpoints 3, 4, 5, 3, 4, 5
    for name in ("spearman_llc_val_loss", "spearman_llc_train_loss",
                 "spearman_llc_val_loss_changes"):
        assert out[name].n_excluded == 2, name
        assert f"2 of {after} LLC estimates failed diagnostics" in out[name].note, name
    assert out["spearman_llc_val_loss_all"].n_excluded == 3
    assert "3 of 119 LLC estimates failed diagnostics" in out["spearman_llc_val_loss_all"].note


def test_tracks_minimum_runs_and_final_accuracy():
    """A median ρ's sign-test interval needs 6 runs at α = 0.05 (min_n 6 for the three
    levels statistics), the changes' jackknife 5 (RUN_MIN); final_val_acc is the mean final
    validation accuracy."""
    out = TRACKS.analyze(TRACKS.validate({"runs": 6}), _tracks_records(), 0.05).statistics
    for name in ("spearman_llc_val_loss", "spearman_llc_val_loss_all",
                 "spearman_llc_train_loss"):
        assert out[name].min_n == 6, name
    assert out["spearman_llc_val_loss_changes"].min_n == 5
    assert out["final_val_acc"].estimate == pytest.approx(0.9 + 0.01 * 2.5)


def test_tracks_changes_start_at_each_runs_memorisation():
    """(2): own − cross ρ of the changes is read on the checkpoints after both runs
    memorised: each run enters with its own memorisation index and clean LLCs only."""
    from slttheory.experiments.grokking import own_minus_cross

    recs = _tracks_records(failed=[(0, 8), (4, 15)])
    out = TRACKS.analyze(TRACKS.validate({"runs": 6}), recs, 0.05).statistics
    runs = []
    for rec, (lam, _) in zip(recs, _expected_groups(recs, "all"), strict=True):
        i = next(k for k, a in enumerate(rec["series"]["train_acc"]) if a >= 0.99)
        runs.append((lam, rec["series"]["val_loss"], rec["series"]["step"], i))
    ref = own_minus_cross(runs, 0.05)
    got = out["spearman_llc_val_loss_changes"]
    assert got.estimate == pytest.approx(ref.value)
    assert (got.low, got.high) == pytest.approx((ref.low, ref.high))
    shifted = own_minus_cross([(a, b, c, 0) for a, b, c, _ in runs], 0.05)
    assert shifted.value != pytest.approx(ref.value)  # the start matters on these runs


def _omc_reference(runs):
    """own_minus_cross's value as its docstring states it: per run r, the mean over the other
    runs q (same checkpoints) of ρ(r's λ̂, r's loss) − ρ(r's λ̂, q's loss), both read from
    max(i_r, i_q) on, on :func:`changes_beyond_trend`; the mean over the runs."""
    from slttheory.experiments.grokking import changes_beyond_trend

    def rho(lam, val, steps, m):
        a, b = changes_beyond_trend(lam[m:], val[m:], steps[m:])
        ok = np.isfinite(a) & np.isfinite(b)
        return st.spearman_value(a[ok], b[ok])

    per = []
    for r, (lam, own, steps, i) in enumerate(runs):
        d = [rho(lam, own, steps, max(i, j)) - rho(lam, val, steps, max(i, j))
             for q, (_, val, steps_q, j) in enumerate(runs) if q != r and steps_q == steps]
        if d:
            per.append(np.mean(d))
    return float(np.mean(per)), len(per)


def _omc_runs(starts=(0, 3, 6, 9, 12), n=30, seed=4):
    rng = np.random.default_rng(seed)
    t = list(range(0, 10 * n, 10))
    runs = []
    for k, i in enumerate(starts):
        v = 1 / (1 + np.exp((np.arange(n) - 10 - 3 * k) / 2.0)) + 0.02 * rng.standard_normal(n)
        lam = 20 * v + np.exp(-np.arange(n) / 8) + 0.3 * rng.standard_normal(n)
        runs.append((lam.tolist(), v.tolist(), t, i))
    return runs


def test_own_minus_cross_reads_both_runs_after_both_memorised_and_subtracts_the_cross():
    """spearman_llc_val_loss_changes: own ρ less the mean cross ρ, own and cross both on the
    checkpoints after *both* runs memorised (max(i, j)), not from the own run's memorisation."""
    from slttheory.experiments.grokking import own_minus_cross

    runs = _omc_runs()
    value, n = _omc_reference(runs)
    e = own_minus_cross(runs, 0.05)
    assert e.value == pytest.approx(value) and e.n == n == 5
    # runs that share one validation loss: own and cross ρ coincide, the difference is 0
    same = [(lam, runs[0][1], t, i) for lam, _, t, i in runs]
    assert own_minus_cross(same, 0.05).value == pytest.approx(0.0, abs=1e-12)


def test_own_minus_cross_compares_only_runs_on_one_checkpoint_schedule():
    """A run on another checkpoint schedule (same length) is compared with no run: its own
    value is absent and it enters no other run's cross mean."""
    from slttheory.experiments.grokking import own_minus_cross

    runs = _omc_runs()
    other = (runs[4][0], runs[4][1], [t + 5 for t in runs[4][2]], runs[4][3])
    e = own_minus_cross(runs[:4] + [other], 0.05)
    ref = own_minus_cross(runs[:4], 0.05)
    assert e.n == 4 and e.value == pytest.approx(ref.value)


def test_own_minus_cross_withholds_its_interval_below_three_leave_one_out_values():
    """The jackknife needs 3 finite leave-one-run-out values: with 3 runs of which two are
    never comparable (their λ̂ and losses are finite on disjoint halves), only 2 remain and
    the interval is NaN while the value is kept."""
    from slttheory.experiments.grokking import own_minus_cross

    a, b, c = _omc_runs(starts=(0, 0, 0), n=40)[:3]
    nan = [math.nan] * 20

    def half(x, first):
        return list(x[:20]) + nan if first else nan + list(x[20:])

    runs = [a, (half(b[0], True), half(b[1], True), b[2], 0),
            (half(c[0], False), half(c[1], False), c[2], 0)]
    e = own_minus_cross(runs, 0.05)
    assert math.isfinite(e.value) and e.n == 3
    assert math.isnan(e.low) and math.isnan(e.high)


# ------------------------------------------------------------------------------ llc_scaling_p_k

SCALING = EXPERIMENTS["llc_scaling_p_k"]


def _scaling_records(final_val=None, failed=()):
    """One run per (p, K): K_eff = K − 2, λ̂ = 0.9·K_eff(3p − 1)/2 times a run factor at the
    last checkpoint (an absurd λ̂ at step 0); ``final_val``: {run: final val accuracy}."""
    recs = []
    for i, (p, k) in enumerate((p, k) for k in (8, 16) for p in (5, 7, 11, 13, 17, 19)):
        lam = 0.9 * (k - 2) * (3 * p - 1) / 2 * (1 + 0.05 * math.sin(3 * i))
        acc = (final_val or {}).get(i, 1.0)
        recs.append({"spec": {"seed": i, "p": p, "k": k}, "p": p, "k": k, "k_eff": k - 2,
                     "series": {"step": [0, 10], "val_acc": [0.0, acc],
                                "train_acc": [0.0, 1.0]},
                     "llc": {"0": _llc(1e4, True), "10": _llc(lam, i not in failed)}})
    return recs


def _fitted(recs, s):
    """(p, K, K_eff, λ̂) of the runs the statement covers: final val acc ≥ gen_acc and a clean
    final LLC."""
    return [(r["p"], r["k"], r["k_eff"], r["llc"]["10"]["llc"]) for r in recs
            if r["series"]["val_acc"][-1] >= s["gen_acc"] and r["llc"]["10"]["passed"]]


def test_scaling_ratio_is_the_final_llc_over_thm55_with_measured_k_eff():
    """ratio_llc_to_thm55 = mean over the fitted runs of λ̂(final) / [K_eff(3p − 1)/2]
    (Thm 5.5 with K_eff, not K; λ̂ over theory, not theory over λ̂)."""
    s = SCALING.validate({})
    recs = _scaling_records()
    got = SCALING.analyze(s, recs, 0.05).statistics["ratio_llc_to_thm55"]
    ref = st.mean_ci([lam / (ke * (3 * p - 1) / 2) for p, _, ke, lam in _fitted(recs, s)])
    assert got.estimate == pytest.approx(ref.value) and got.n == 12
    assert (got.low, got.high) == pytest.approx((ref.low, ref.high))
    assert got.estimate == pytest.approx(0.9, abs=0.02)


def test_scaling_generalised_means_the_final_val_acc_at_least_gen_acc():
    """A run is fitted when its *final* validation accuracy is ≥ gen_acc (0.95): one ending
    at exactly 0.95 counts, one that passed 0.95 earlier but ended below does not."""
    s = SCALING.validate({})
    recs = _scaling_records(final_val={0: 0.95, 1: 0.5})
    recs[1]["series"]["val_acc"] = [0.99, 0.5]
    out = SCALING.analyze(s, recs, 0.05).statistics
    assert out["slope_llc_vs_p"].n == 11 and "11 of 12 runs" in out["slope_llc_vs_p"].note


def test_scaling_fits_are_the_weighted_llc_slopes_and_exact_r2_on_the_fitted_runs():
    """slope_llc_vs_p: llc_slope of λ̂/K on p; slope_llc_vs_k: llc_slope of λ̂ on K;
    slope_llc_vs_k_per_p: of λ̂/p on K; r2_llc_vs_p: r2_ci of λ̂ on p; each over the
    generalised runs with a clean final LLC."""
    s = SCALING.validate({})
    recs = _scaling_records(final_val={3: 0.2}, failed=(7, 3))
    out = SCALING.analyze(s, recs, 0.05).statistics
    rows = _fitted(recs, s)
    ps, ks, lam = ([r[j] for r in rows] for j in (0, 1, 3))
    refs = {"slope_llc_vs_p": st.llc_slope(ps, [v / k for v, k in zip(lam, ks, strict=True)]),
            "slope_llc_vs_k": st.llc_slope(ks, lam),
            "slope_llc_vs_k_per_p": st.llc_slope(ks, [v / p for v, p in zip(lam, ps, strict=True)]),
            "r2_llc_vs_p": st.r2_ci(ps, lam)}
    for name, ref in refs.items():
        got = out[name]
        assert got.n == 10 and got.estimate == pytest.approx(ref.value), name
        assert (got.low, got.high) == pytest.approx((ref.low, ref.high)), name
        assert got.n_excluded == 1 and "1 of 11 LLC estimates failed" in got.note, name


def test_changes_are_rates_per_step_so_uneven_spacing_alone_is_no_signal():
    """changes_beyond_trend divides each change by its step gap: a series linear in the step
    on uneven checkpoints has one rate, so no residual; raw changes would follow the gaps."""
    from slttheory.experiments.grokking import changes_beyond_trend

    steps = [0, 1, 3, 4, 8, 9, 15, 16, 30]
    a, b = changes_beyond_trend([2.0 * t for t in steps], [5.0 - t for t in steps], steps)
    assert np.allclose(a, 0.0) and np.allclose(b, 0.0)


# ------------------------------------------------------------------------------------ gsm_vs_lr

GSM = EXPERIMENTS["gsm_vs_lr"]


def _gsm_run(lr, seed, val, llcs=None, n_train=100):
    steps = [0, 10, 30, 60]
    return {"lr": lr, "spec": {"seed": seed}, "llc": llcs or {}, "series": {
        "n_train": n_train, "step": steps, "train_acc": [0.5, 1.0, 1.0, 1.0], "val_acc": val,
        "train_loss": [1.0] * 4, "val_loss": [1.0] * 4}}


def test_gsm_is_the_trapezoid_of_the_accuracy_gap_over_epochs_of_generalised_runs_only():
    """GSM = Σ (acc_train − acc_val) by the trapezoid over checkpoints, time in epochs
    (steps · batch / n_train), only for runs whose final val accuracy is ≥ gen_acc (one at
    exactly 0.95 counts; one that passed it and fell back does not)."""
    s = GSM.validate({"lrs": [0.01], "batch_size": 50})
    recs = [_gsm_run(0.01, 0, [0.0, 0.2, 0.6, 0.95]),
            _gsm_run(0.01, 1, [0.0, 0.96, 0.9, 0.9]),
            _gsm_run(0.01, 2, [0.0, 0.0, 0.5, 1.0])]
    rows = GSM.analyze(s, recs, 0.05).tables["runs"]
    gaps = [[0.5, 0.8, 0.4, 0.05], None, [0.5, 1.0, 0.5, 0.0]]
    epochs = np.diff([0, 5, 15, 30])  # steps × 50 / 100
    for row, gap in zip(rows, gaps, strict=True):
        if gap is None:
            assert row["gsm"] is None and not row["generalised"]
        else:
            mid = (np.array(gap[:-1]) + np.array(gap[1:])) / 2
            want = float(np.sum(mid * epochs))
            assert row["generalised"] and row["gsm"] == pytest.approx(want)
    assert GSM.analyze(s, recs, 0.05).statistics["fraction_generalised"].estimate == \
        pytest.approx(2 / 3)


def _gsm_sweep():
    """4 learning rates × 3 runs of GSM ∝ exp(−100·lr) with replicate scatter; lr 8e-3's last
    run never generalises."""
    lrs = (1e-3, 2e-3, 4e-3, 8e-3)
    recs = _gsm_records(lrs, lambda lr: 5000 * math.exp(-100 * lr), runs=3, scatter=0.05)
    recs[-1]["series"]["val_acc"] = [0.0, 0.0, 0.5]
    return GSM.validate({"lrs": list(lrs), "runs": 3}), recs


def test_gsm_fit_shape_and_counts_read_the_generalised_runs():
    """gsm_decay_rate: exp_decay_fit of GSM on lr over the generalised runs, its R² with n =
    those runs, fraction_generalised their Clopper–Pearson share; the shape test: the
    exponential straight in lr, its rival the power law straight in log lr (Welch–James
    lack of fit), rivals of each other, values = learning rates with a positive GSM."""
    s, recs = _gsm_sweep()
    an = GSM.analyze(s, recs, 0.05)
    out, rows = an.statistics, an.tables["runs"]
    g = [r for r in rows if r["gsm"] is not None]
    assert len(g) == 11
    x, y = [r["lr"] for r in g], [r["gsm"] for r in g]
    fit = st.exp_decay_fit(x, y)
    rate = out["gsm_decay_rate"]
    assert rate.estimate == pytest.approx(fit.rate.value) and rate.n == 11
    assert (rate.low, rate.high) == pytest.approx((fit.rate.low, fit.rate.high))
    assert out["gsm_r2_log"].estimate == pytest.approx(fit.r2_log) and out["gsm_r2_log"].n == 11
    assert out["gsm_r2_log"].min_n == 5
    cp = st.clopper_pearson(11, 12, 0.05)
    assert (out["fraction_generalised"].estimate, out["fraction_generalised"].low) == \
        pytest.approx((cp.value, cp.low))
    shape = rate.shape
    assert shape.values == 4 and shape.complete_errors
    exp_fit = st.lack_of_fit(x, np.log(y), "exp")
    pow_fit = st.lack_of_fit(np.log(x), np.log(y), "power")
    assert shape.p_value("exp") == pytest.approx(exp_fit.p_value)
    assert shape.p_value("power") == pytest.approx(pow_fit.p_value)
    assert shape.rivals == {"exp": "power", "power": "exp"}


def test_gsm_shape_errors_need_two_positive_gsm_runs_at_every_learning_rate():
    """complete_errors only when every learning rate has ≥ 2 runs with a positive GSM (the
    replicate spread); a GSM ≤ 0 is left out of the fits and counted in the note; a shape
    needs 2 learning rates."""
    s, recs = _gsm_sweep()
    recs[9]["series"]["val_acc"] = [1.0, 1.0, 1.0]  # GSM 0: lr 8e-3 keeps one positive run
    out = GSM.analyze(s, recs, 0.05).statistics["gsm_decay_rate"]
    assert out.shape.values == 4 and not out.shape.complete_errors
    assert "1 generalised run(s) with GSM ≤ 0 left out" in out.note
    two = GSM.analyze(s, recs[:6], 0.05).statistics["gsm_decay_rate"].shape
    assert two is not None and two.values == 2 and two.complete_errors


def test_gsm_max_llc_needs_every_llc_of_the_curve_clean_and_is_its_maximum():
    """spearman_max_llc_lr: per run the maximum of its LLC curve, a run entering only when
    every LLC passed (generalised or not); n_excluded counts every failed LLC."""
    s = GSM.validate({"lrs": [1e-3, 2e-3, 4e-3], "runs": 3})
    recs = []
    for i, lr in enumerate([1e-3, 2e-3, 4e-3] * 3):
        curve = [5.0 + i, 9.0 - 0.5 * i, 7.0]
        llcs = {str(t): _llc(v, True) for t, v in zip((0, 30, 60), curve, strict=True)}
        val = [0.0, 0.0, 0.5, 0.5] if i == 1 else [0.0, 0.0, 0.5, 1.0]
        recs.append(_gsm_run(lr, i, val, llcs))
    recs[2]["llc"]["30"] = _llc(1e3, False)
    an = GSM.analyze(s, recs, 0.05)
    rows = an.tables["runs"]
    assert rows[2]["max_llc"] is None and rows[1]["max_llc"] == pytest.approx(8.5)
    assert rows[0]["max_llc"] == pytest.approx(9.0) and rows[8]["max_llc"] == pytest.approx(13.0)
    sp = an.statistics["spearman_max_llc_lr"]
    m = [r for r in rows if r["max_llc"] is not None]
    ref = st.spearman_union_ci([r["lr"] for r in m], [r["max_llc"] for r in m])
    assert sp.n == 8 and sp.estimate == pytest.approx(ref.value)
    assert (sp.low, sp.high) == pytest.approx((ref.low, ref.high))
    assert sp.n_excluded == 1 and "1 of 27 LLC estimates failed" in sp.note


# ---------------------------------------------------------------------------- critical_data_ratio

CDR = EXPERIMENTS["critical_data_ratio"]
_S = {"mem_acc": 0.99, "gen_acc": 0.95, "immediate_factor": 3.0}


@pytest.mark.parametrize("steps, train, val, want", [
    # final val acc exactly gen_acc: generalised (here within 3× the memorisation step)
    ([10, 100, 200, 400], [0.5, 1, 1, 1], [0.0, 0.2, 0.96, 0.95], "immediate"),
    # passed gen_acc, then fell back and stopped rising: no generalisation
    ([10, 100, 200, 400], [0.5, 1, 1, 1], [0.0, 0.96, 0.5, 0.5], "none"),
    # the rise is measured from the last checkpoint at or before half the last step (200)
    ([10, 100, 200, 400], [0.5, 1, 1, 1], [0.0, 0.0, 0.3, 0.34], "none"),
    # a rise of exactly RISING_MIN (0.05) is still rising
    ([10, 100, 200, 400], [0.5, 1, 1, 1], [0.0, 0.0, 0.0, 0.05], "unsettled"),
    ([10, 100, 200, 400], [0.5, 1, 1, 1], [0.0, 0.0, 0.0, 0.07], "unsettled"),
    # generalised at exactly immediate_factor × the memorisation step: immediate
    ([10, 100, 300, 400], [0.5, 1, 1, 1], [0.0, 0.0, 1.0, 1.0], "immediate"),
    ([10, 100, 301, 400], [0.5, 1, 1, 1], [0.0, 0.0, 1.0, 1.0], "grokking"),
    # memorised at step 0: the factor applies to step 1
    ([0, 2, 5], [1, 1, 1], [0.0, 0.96, 0.96], "immediate"),
    # generalised without ever memorising: immediate
    ([10, 100, 200, 400], [0.5, 0.5, 0.5, 0.5], [0.0, 0.96, 1.0, 1.0], "immediate"),
])
def test_regime_thresholds(steps, train, val, want):
    """regime(): none / unsettled / immediate / grokking as the critical-data-ratio claim
    defines them (final val acc vs gen_acc; a rise ≥ RISING_MIN since half the last step;
    generalised within immediate_factor × max(memorisation step, 1))."""
    from slttheory.experiments.grokking import regime

    assert regime({"step": steps, "train_acc": train, "val_acc": val}, _S) == want


def _rows(seed_bounds, sizes=(10, 20, 40, 80), p=5, gen="grokking"):
    return [{"p": p, "seed": sd, "n_train": n, "regime": gen if n >= b else "none"}
            for sd, b in seed_bounds for n in sizes]


def test_bracket_is_largest_none_below_smallest_generalising():
    """_bracket: (largest non-generalising, smallest generalising) size; immediate counts as
    generalising, unsettled on neither side; a size both generalising and not (runs
    disagree) gives no bracket."""
    from slttheory.experiments.grokking import _bracket

    assert _bracket(_rows([(0, 30)])) == (20.0, 40.0)
    assert _bracket(_rows([(0, 30)], gen="immediate")) == (20.0, 40.0)
    assert _bracket(_rows([(0, 15), (1, 30)])) is None  # 20: grokked in run 0, not in run 1
    cut_off = _rows([(0, 30)])
    cut_off[1]["regime"] = "unsettled"  # 20: still rising at its end, on neither side
    assert _bracket(cut_off) == (10.0, 40.0)


def test_critical_size_averages_the_runs_own_brackets_in_log():
    """n_c: the geometric mean of the midpoints of the brackets of the runs that bracket on
    their own; cell = √(mean of their σ²), log_se = cell/√runs, low/high the outermost ends;
    runs_bracketed counts those runs only; with none, the pooled bracket and 0 runs."""
    from slttheory.experiments.grokking import _critical_size

    rows = _rows([(0, 15), (1, 30), (2, 30)]) + [
        {"p": 5, "seed": 3, "n_train": n, "regime": "unsettled"} for n in (10, 20, 40, 80)]
    c = _critical_size(rows)
    mids = [math.log(10 * 20) / 2, math.log(20 * 40) / 2, math.log(20 * 40) / 2]
    cell = math.log(2) / math.sqrt(12)
    assert c["runs_bracketed"] == 3 and c["mids"] == pytest.approx(mids)
    assert c["n_c"] == pytest.approx(math.exp(np.mean(mids)))
    assert c["cell"] == pytest.approx(cell) and c["log_se"] == pytest.approx(cell / math.sqrt(3))
    assert (c["low"], c["high"]) == (10, 40)
    # no run brackets alone, the pooled rows do
    pooled = [{"p": 5, "seed": 0, "n_train": 10, "regime": "none"},
              {"p": 5, "seed": 1, "n_train": 40, "regime": "grokking"}]
    c = _critical_size(pooled)
    assert c["runs_bracketed"] == 0 and c["n_c"] == pytest.approx(20.0)
    assert c["log_se"] == pytest.approx(math.log(4) / math.sqrt(12))


def test_with_scatter_pools_over_moduli_with_two_runs_and_floors_at_the_cell():
    """_with_scatter: the run-to-run sd pooled over moduli bracketed by ≥ 2 runs (Σ(m − m̄)²
    over Σ(runs − 1)), error² = cell² + max(pooled, cell)²/runs; moduli with < 2 runs keep
    their error; the pooled dof is returned only where the scatter exceeded a cell."""
    from slttheory.experiments.grokking import _with_scatter

    def crit(mids, cell, runs):
        return {"n_c": 1.0, "mids": mids, "cell": cell, "runs_bracketed": runs, "log_se": 9.0}

    cs = [crit([0.0, 0.6, 1.2], 0.1, 3), crit([0.0, 0.4], 0.1, 2), crit([5.0], 0.1, 1),
          crit([7.0], 0.2, 0)]
    dof = _with_scatter(cs)
    pooled = math.sqrt((0.36 + 0 + 0.36 + 0.04 + 0.04) / 3)
    assert dof == 3
    assert cs[0]["log_run_spread"] == pytest.approx(pooled)
    assert cs[0]["log_se"] == pytest.approx(math.sqrt(0.01 + pooled**2 / 3))
    assert cs[1]["log_se"] == pytest.approx(math.sqrt(0.01 + pooled**2 / 2))
    assert cs[2]["log_se"] == cs[3]["log_se"] == 9.0 and cs[2]["log_run_spread"] is None
    # runs that agree within a cell: the cell is the floor, and no dof is claimed
    cs = [crit([0.0, 0.02], 0.1, 2), crit([1.0, 1.02], 0.1, 2)]
    assert _with_scatter(cs) is None
    assert cs[0]["log_se"] == pytest.approx(math.sqrt(0.01 + 0.01 / 2))


def test_ratio_interval_is_the_union_of_the_t_interval_and_every_bracket_admitted_constant():
    """_ratio_interval: widened to the constants every modulus's bracket admits (from two
    moduli on), never narrowed below the Student-t interval."""
    from slttheory.experiments.grokking import _ratio_interval

    def mod(p, ratio, lo, hi):
        s = p * math.log(p)
        return {"p": p, "ratio": ratio, "low": lo * s, "high": hi * s}

    narrow = [mod(11, 3.0, 2.0, 4.0), mod(13, 3.0001, 2.5, 5.0)]
    e = _ratio_interval(narrow, 0.05)
    assert (e.low, e.high) == pytest.approx((2.5, 4.0))
    wide = [mod(11, 2.0, 2.9, 3.1), mod(13, 4.0, 2.95, 3.2), mod(17, 3.0, 2.8, 3.05)]
    t = st.mean_ci([2.0, 4.0, 3.0], 0.05)
    e = _ratio_interval(wide, 0.05)
    assert (e.low, e.high) == pytest.approx((t.low, t.high))


def test_cdr_statistics_read_n_c_over_p_log_p_with_their_errors():
    """collapse_slope: weighted slope of log n_c on log(p log p) with the moduli's errors;
    critical_ratio: n_c/(p log p); the shape: p log p against its rival p (log_shape_fit on
    log p), with the pooled scatter's dof, rivals of each other, errors complete only when
    every modulus has ≥ 2 runs bracketing; both need 3 moduli."""
    from slttheory.experiments.grokking import _ratio_interval

    ps = (23, 31, 41, 53)
    rng = np.random.default_rng(5)
    recs = []
    fracs = [0.02 * 1.08**i for i in range(50)]
    for p in ps:
        for r in range(2):
            nc = 1.3 * p * math.log(p) * math.exp(0.15 * rng.standard_normal())
            for f in fracs:
                n = round(f * p * p)
                recs.append({"p": p, "train_frac": f, "spec": {"seed": r}, "series": {
                    "n_train": n, "step": [0, 10, 20], "train_acc": [0.5, 1.0, 1.0],
                    "val_acc": [0.0, 0.3, 1.0 if n > nc else 0.3]}})
    s = CDR.validate({"ps": list(ps), "seed": 0, "runs": 2})
    an = CDR.analyze(s, recs, 0.05)
    crit, out = an.tables["critical"], an.statistics
    for row in an.tables["runs"]:
        assert row["scaled"] == pytest.approx(row["n_train"] / (row["p"] * math.log(row["p"])))
    for c in crit:
        assert c["ratio"] == pytest.approx(c["n_c"] / (c["p"] * math.log(c["p"])))
        assert c["runs_bracketed"] == 2
    x = [math.log(c["p"] * math.log(c["p"])) for c in crit]
    y = [math.log(c["n_c"]) for c in crit]
    err = [c["log_se"] for c in crit]
    dof = sum(len(c["mids"]) - 1 for c in crit)
    assert all(e > c["cell"] for e, c in zip(err, crit, strict=True))  # the scatter set the errors
    ref = st.weighted_slope(x, y, err, 0.05)
    slope = out["collapse_slope"]
    assert slope.estimate == pytest.approx(ref.value)
    assert (slope.low, slope.high) == pytest.approx((ref.low, ref.high))
    assert slope.min_n == out["critical_ratio"].min_n == 3
    stated = st.log_shape_fit(y, err, x, "p log p", dof)
    rival = st.log_shape_fit(y, err, [math.log(c["p"]) for c in crit], "p", dof)
    sh = slope.shape
    assert sh.values == 4 and sh.complete_errors
    assert sh.p_value("p_log_p") == pytest.approx(stated.p_value)
    assert sh.p_value("p") == pytest.approx(rival.p_value)
    assert sh.rivals == {"p_log_p": "p", "p": "p_log_p"}
    ratio = _ratio_interval(crit, 0.05)
    assert (out["critical_ratio"].low, out["critical_ratio"].high) == \
        pytest.approx((ratio.low, ratio.high))
    # one modulus bracketed by one run only: the errors lack the run-to-run spread
    one = [r for r in recs if not (r["p"] == 23 and r["spec"]["seed"] == 1)]
    assert not CDR.analyze(s, one, 0.05).statistics["collapse_slope"].shape.complete_errors
    # two moduli: a shape is fitted (and decides nothing, below the scaling rules' 4)
    two = [r for r in recs if r["p"] in (23, 31)]
    s2 = CDR.validate({"ps": [23, 31], "seed": 0, "runs": 2})
    assert CDR.analyze(s2, two, 0.05).statistics["collapse_slope"].shape.values == 2


def test_critical_ratio_is_widened_to_the_constants_every_bracket_admits():
    """critical_ratio's interval is _ratio_interval's (the Student-t interval of n_c/(p log p)
    widened to every constant all brackets admit), not the t interval alone: on quick's grid
    at n_c = 3·p log p the brackets reach above the t interval."""
    ps, fracs = [11, 17, 23, 29], [0.2, 0.3, 0.4, 0.5, 0.6, 0.8]
    s = CDR.validate({"ps": ps, "fracs": fracs, "seed": 0, "runs": 2})
    an = CDR.analyze(s, _records(ps, lambda p: 3.0 * p * math.log(p), fracs=fracs), 0.05)
    got = an.statistics["critical_ratio"]
    t = st.mean_ci([c["ratio"] for c in an.tables["critical"]], 0.05)
    assert got.estimate == pytest.approx(t.value) and got.low == pytest.approx(t.low)
    assert got.high > t.high + 0.02 and "widened" in got.method


# -------------------------------------------------------------------------------- parity_llc_drop

PARITY = EXPERIMENTS["parity_llc_drop"]


def _parity_run(seed, train, val, lam, failed=()):
    steps = [10 * k for k in range(len(train))]
    return {"spec": {"seed": seed}, "series": {
        "step": steps, "train_acc": train, "val_acc": val, "train_loss": [1.0] * len(steps),
        "val_loss": [1.0] * len(steps)},
        "llc": {str(t): _llc(x, k not in failed)
                for k, (t, x) in enumerate(zip(steps, lam, strict=True))}}


def test_parity_plateau_is_memorised_to_before_generalised_and_after_from_it():
    """Drop = mean clean λ̂ from the first checkpoint with train acc ≥ mem_acc (0.99) to the
    last before val acc ≥ gen_acc (searched from memorisation on), less the mean clean λ̂
    from that checkpoint on; the counts are of the estimates in those two windows."""
    train = [0.5, 0.97, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    val = [0.96, 0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0]  # 0.96 at step 0: before memorisation
    lam = [1000.0, 500.0, 100.0, 100.0, 400.0, 30.0, 20.0, 10.0]
    recs = [_parity_run(r, train, val, lam, failed=(7,) if r == 0 else ()) for r in range(5)]
    an = PARITY.analyze(PARITY.validate({}), recs, 0.05)
    rows = an.tables["runs"]
    assert rows[0]["memorised_step"] == 20 and rows[0]["generalised_step"] == 50
    assert rows[1]["llc_pre"] == pytest.approx(200.0) and rows[1]["llc_post"] == pytest.approx(20)
    assert rows[0]["llc_post"] == pytest.approx(25.0) and rows[0]["failed"] == 1
    d = an.statistics["llc_drop"]
    assert d.estimate == pytest.approx((175 + 4 * 180) / 5) and d.n == 5
    assert d.n_excluded == 1 and "1 of 30 LLC estimates failed" in d.note
    assert "5/5 runs memorised then generalised" in d.note


def test_parity_needs_a_plateau_and_a_positive_plateau_llc_for_the_ratio():
    """A run that generalises at its memorisation checkpoint has no plateau and no drop; a
    plateau λ̂ of exactly 0 is left out of the post/pre ratio (> 0 only)."""
    train, val = [0.5, 1.0, 1.0, 1.0], [0.5, 0.5, 1.0, 1.0]
    recs = [_parity_run(r, train, val, [9.0, 10.0 + r, 4.0, 4.0]) for r in range(5)]
    recs.append(_parity_run(5, train, [0.5, 1.0, 1.0, 1.0], [9.0, 10.0, 4.0, 4.0]))
    recs.append(_parity_run(6, train, val, [9.0, 0.0, 4.0, 4.0]))
    an = PARITY.analyze(PARITY.validate({}), recs, 0.05)
    assert "6/7 runs memorised then generalised" in an.statistics["llc_drop"].note
    assert an.statistics["llc_drop"].n == 6
    assert "drop" not in an.tables["runs"][5]
    r = an.statistics["llc_ratio_post_pre"]
    assert r.n == 5 and "1 run(s) with a plateau λ̂ ≤ 0 left out" in r.note


# ----------------------------------------------------------------------- seed000_estimator_sweep

SWEEP = EXPERIMENTS["seed000_estimator_sweep"]


def _sweep(model, values, ours, theirs, theory, exact=None, passed=None, **settings):
    s = SWEEP.validate({"model": model, **settings})
    recs = []
    for k, v in enumerate(values):
        o = _llc(ours(v, k), True if passed is None else passed[k])
        if exact is not None:
            o["exact"] = exact[k]
        recs.append({"spec": {"value": v, "seed": k}, "value": v, "ours": o,
                     "theirs": _llc(theirs(v, k), True), "theory": theory(v)})
    return s, recs


def test_sweep_statistics_read_their_own_estimator_and_expectation():
    """'ours' statistics read our estimates, 'theirs' the seed's settings' (slope, exact R²,
    ratio to theory), the extreme ratios 'theirs' against the seed's stated expectation
    r(2d − r)/2 at the full α; every one needs 5 sweep points; the slope of 'ours' needs
    controls only for the polynomial, its ratio to theory always."""
    vals = [1, 2, 3, 4] * 3
    s, recs = _sweep("low_rank", vals, lambda v, k: 0.9 * v * (8 - v) / 2 + 0.01 * k,
                     lambda v, k: (1 + 0.1 * v) * v * (8 - v) / 2 * (1 + 0.02 * (k % 3 - 1)),
                     lambda v: v * (8 - v) / 2, d=4)
    out = SWEEP.analyze(s, recs, 0.05).statistics
    o = [r["ours"]["llc"] for r in recs]
    t = [r["theirs"]["llc"] for r in recs]
    th = [r["theory"] for r in recs]
    refs = {"slope_ours": st.llc_slope(vals, o), "slope_theirs": st.llc_slope(vals, t),
            "r2_ours": st.r2_ci(vals, o), "r2_theirs": st.r2_ci(vals, t),
            "ratio_ours_to_theory": st.mean_ratio(th, o),
            "ratio_theirs_to_theory": st.mean_ratio(th, t),
            "max_ratio_theirs_to_expected": st.extreme_ratio(vals, th, t, 0.05, which="max"),
            "min_ratio_theirs_to_expected": st.extreme_ratio(vals, th, t, 0.05, which="min")}
    for name, ref in refs.items():
        got = out[name]
        assert got.estimate == pytest.approx(ref.value), name
        assert (got.low, got.high) == pytest.approx((ref.low, ref.high)), name
        assert got.min_n == 5 and got.decidable, name
    assert not out["slope_ours"].needs_controls and out["ratio_ours_to_theory"].needs_controls
    s, recs = _sweep("polynomial", [1, 2, 3, 4, 5], lambda v, k: (v + 1) / 2 + 0.01 * k,
                     lambda v, k: 0.8 * v / 2, lambda v: (v + 1) / 2)
    assert SWEEP.analyze(s, recs, 0.05).statistics["slope_ours"].needs_controls


def test_sweep_withholds_ours_only_when_every_clean_value_is_an_exact_k_over_2():
    """'ours' intervals are withheld when every *clean* 'ours' value is estimate_llc's exact
    k/2 (failed ones do not count); one sampled clean value keeps them; with no clean value
    nothing is called exact (the figure's label included)."""
    def run(exact, passed=None):
        s, recs = _sweep("polynomial", [1, 2, 3, 4, 5, 6], lambda v, k: (v + 1) / 2,
                         lambda v, k: 0.8 * v / 2, lambda v: (v + 1) / 2, exact=exact,
                         passed=passed)
        an = SWEEP.analyze(s, recs, 0.05)
        return an.statistics["r2_ours"], " ".join(an.figures[0].data["series"])

    withheld, label = run([True] * 5 + [False], passed=[True] * 5 + [False])
    assert math.isnan(withheld.low) and "Morse–Bott" in withheld.note and "k/2" in label
    assert "Morse–Bott" not in run([True] * 5 + [False])[0].note
    none_clean, label = run([True] * 6, passed=[False] * 6)
    assert "Morse–Bott" not in none_clean.note and "k/2" not in label


def test_sweep_autoencoder_has_no_stated_expectation():
    """Seed 000 states no λ for the autoencoder: its extreme ratios to the expectation are
    NaN (nothing to compare with), while 'theirs' slopes are still read."""
    s, recs = _sweep("autoencoder", [1, 2, 3, 4, 5], lambda v, k: 3.0 * v,
                     lambda v, k: 2.0 * v + 0.01 * k, lambda v: None, d=4, hidden=4)
    out = SWEEP.analyze(s, recs, 0.05).statistics
    for w in ("max", "min"):
        assert not math.isfinite(out[f"{w}_ratio_theirs_to_expected"].estimate)
    assert out["slope_theirs"].decidable
