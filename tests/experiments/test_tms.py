"""Tests of seed 000's TMS Arrhenius experiment: detectors on synthetic loss curves with known
transition times, the model/loss, and a tiny end-to-end run."""

import math

import numpy as np
import pytest
import torch

from slttheory.experiments import EXPERIMENTS, run_experiment
from slttheory.experiments.tms import (
    TMS,
    Transition,
    consecutive_pairs,
    detect_robust,
    detect_seed,
    moving_average,
    tms_data,
    tms_loss,
)


def _sigmoid_steps(times, drops, widths, T=4000, base=1.0, noise=0.0, seed=0):
    t = np.arange(T, dtype=float)
    y = np.full(T, base)
    for c, d, w in zip(times, drops, widths, strict=True):
        y -= d / (1 + np.exp(-(t - c) / w))
    if noise:
        y = y * np.exp(noise * np.random.default_rng(seed).standard_normal(T))
    return y


def test_moving_average_constant_and_mean():
    assert np.allclose(moving_average(np.full(50, 2.0), 10), 2.0)
    y = np.arange(20.0)
    assert moving_average(y, 3)[5] == pytest.approx(5.0)
    with pytest.raises(ValueError, match="window"):
        moving_average(y, 0)


def test_seed_detector_finds_known_steps():
    y = _sigmoid_steps([200, 1000, 2500], [0.4, 0.3, 0.2], [10, 20, 30])
    trs = detect_seed(y, window=10, min_frac=0.1)
    # noiseless: runs break only where the curve is flat to rounding, so a run may span
    # several drops; each run's steepest step is a true centre and the runs cover the whole
    # decrease
    assert 1 <= len(trs) <= 3
    assert all(min(abs(tr.peak - c) for c in (200, 1000, 2500)) <= 5 for tr in trs)
    assert sum(tr.drop for tr in trs) == pytest.approx(y[0] - y[-1], rel=1e-3)


def test_seed_detector_on_plateaus_with_bumps():
    # plateaus separated by small upward bumps (as minibatch noise does) -> separate segments
    y = np.concatenate(
        [
            np.full(300, 1.0),
            np.linspace(1.0, 0.6, 50),
            np.full(300, 0.61),
            np.linspace(0.61, 0.3, 50),
            np.full(300, 0.31),
        ]
    )
    trs = detect_seed(y, window=1, min_frac=0.1)
    assert [(tr.start, tr.end) for tr in trs] == [(300, 349), (650, 699)]
    assert trs[0].drop == pytest.approx(0.4, abs=1e-9)


def test_seed_detector_ignores_small_drops():
    y = np.concatenate(
        [
            np.full(100, 1.0),
            np.linspace(1.0, 0.97, 20),
            np.full(100, 0.98),
            np.linspace(0.98, 0.1, 20),
            np.full(100, 0.11),
        ]
    )
    trs = detect_seed(y, window=1, min_frac=0.1)
    assert len(trs) == 1 and trs[0].start == 220


def test_raw_detector_fragments_under_noise_smoothing_does_not():
    y = _sigmoid_steps([300, 1500], [0.5, 0.4], [15, 40], noise=0.003)
    raw = detect_seed(y, window=1, min_frac=0.1)
    smooth = detect_seed(y, window=50, min_frac=0.1)
    assert len(smooth) == 2
    assert abs(smooth[0].peak - 300) < 30 and abs(smooth[1].peak - 1500) < 100
    # without smoothing, noise cuts each transition into short runs: far less of the curve
    # is covered by detected segments
    covered = lambda trs: sum(t.end - t.start for t in trs)  # noqa: E731
    assert covered(raw) < covered(smooth) / 2


@pytest.mark.parametrize("noise", [0.0, 0.01])
def test_robust_detector_finds_known_times(noise):
    times = [300, 1500]
    y = _sigmoid_steps(times, [0.5, 0.4], [15, 40], noise=noise)
    trs = detect_robust(y)
    assert len(trs) == 2
    for tr, c in zip(trs, times, strict=True):
        assert abs(math.log(tr.peak / c)) < 0.1  # within one grid cell or two in log t
        assert tr.start <= tr.peak <= tr.end


def test_robust_detector_flat_curve_has_none():
    assert detect_robust(np.full(2000, 0.5)) == []
    assert detect_seed(np.full(2000, 0.5)) == []


def test_consecutive_pairs():
    trs = [Transition(0, 5, 10, 1.0), Transition(20, 25, 30, 1.0), Transition(40, 45, 50, 1.0)]
    assert consecutive_pairs(trs) == [(10, 30), (30, 50)]
    assert consecutive_pairs(trs[:1]) == []


def test_tms_model_and_loss():
    x, y = tms_data(5, 200, 0.2, 3)
    x2, _ = tms_data(5, 200, 0.2, 3)
    assert torch.equal(x, x2) and torch.equal(x, y)
    m = TMS(5, 2)
    with torch.no_grad():
        m.W.copy_(torch.eye(2, 5))
    out = m(x)
    # features 0, 1 are reconstructed exactly (b = 0, x ≥ 0); 2-4 are dropped
    lossv = tms_loss(1.0)(out, x)
    assert torch.allclose(lossv, (x[:, 2:] ** 2).sum(1))
    w = torch.tensor([0.25, 0.125, 0.0625])
    assert torch.allclose(tms_loss(0.5)(out, x), (x[:, 2:] ** 2 * w).sum(1))
    with pytest.raises(ValueError, match="feature_prob"):
        tms_data(5, 10, 0.0, 0)


def test_tiny_experiment_runs():
    assert EXPERIMENTS["arrhenius_tms_detectors"].implemented
    res = run_experiment(
        "arrhenius_tms_detectors",
        {"runs": 2, "steps": 300, "checkpoints": 4, "llc_draws": 20, "n_samples": 256},
        seed=1,
    )
    assert set(res.statistics) >= {
        "slope_seed_detector",
        "slope_robust_detector",
        "slope_raw_detector",
    }
    rec = res.records[0]
    assert len(rec["series"]["train_loss"]) == 301
    for step in rec["checkpoints"]:
        assert rec["llc"][str(step)]["llc"] is not None
    for d in ("seed", "raw", "robust"):
        for tr in rec["transitions"][d]:
            assert str(tr["end"]) in rec["llc"]
