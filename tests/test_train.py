"""Training: loss decreases, checkpoints, reproducibility, optimisers, NaN handling, errors."""

import warnings

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from slttheory.models import LinearRegression, QuadraticNetwork
from slttheory.train import (
    argmax_accuracy,
    centred_argmax_accuracy,
    log_spaced_checkpoints,
    train,
)


def _data(n=200, d=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    w = torch.tensor([1.0, -2.0, 0.5])[:d]
    y = (x @ w).unsqueeze(1) + 0.1 * torch.randn(n, 1, generator=g)
    return x, y


@pytest.mark.parametrize("optimizer,lr", [("adam", 0.05), ("adamw", 0.05), ("sgd", 0.1)])
def test_training_reduces_loss_and_records_checkpoints(optimizer, lr):
    x, y = _data()
    model = LinearRegression(3)
    res = train(model, (x, y), optimizer=optimizer, lr=lr, steps=300,
                checkpoints=[0, 10, 300], val_data=_data(seed=1))
    steps = [c.step for c in res.checkpoints]
    assert steps == [0, 10, 300] and res.steps == 300 and not res.diverged
    first, last = res.checkpoints[0], res.checkpoints[-1]
    # initial w = 0: L = ½ E[(x·w*)²] ≈ ½·5.25; optimum: ½·0.01
    assert first.train_loss > 1.5
    assert last.train_loss < 0.01 and last.val_loss < 0.01
    assert res.final_train_loss == pytest.approx(last.train_loss)
    # checkpoint states are CPU copies, not views of the live parameters
    assert torch.equal(first.state["w"], torch.zeros(3))
    assert torch.allclose(last.state["w"], torch.tensor([1.0, -2.0, 0.5]), atol=0.05)
    with torch.no_grad():
        model.w.add_(1.0)
    assert torch.allclose(last.state["w"], res.final_state["w"])
    assert not torch.allclose(last.state["w"], model.w)


def test_train_loss_is_mean_half_squared_error():
    x, y = _data()
    res = train(LinearRegression(3), (x, y), steps=0, checkpoints=[0])
    assert res.checkpoints[0].train_loss == pytest.approx(float(0.5 * y.pow(2).mean()), rel=1e-6)


def test_minibatch_reproducible_and_seed_dependent():
    x, y = _data()

    def run(seed):
        return train(LinearRegression(3), (x, y), lr=0.01, steps=25, batch_size=16,
                     generator=torch.Generator().manual_seed(seed)).final_state["w"]

    assert torch.equal(run(3), run(3))
    assert not torch.equal(run(3), run(4))


def test_adamw_weight_decay_is_decoupled_shrinkage():
    """With inputs 0 the data gradient vanishes, so AdamW's update is w ← (1 − lr·wd)·w."""
    x, y = torch.zeros(20, 3), torch.zeros(20, 1)
    m = LinearRegression(3)
    with torch.no_grad():
        m.w.fill_(1.0)
    train(m, (x, y), optimizer="adamw", lr=0.01, weight_decay=0.5, steps=200)
    assert torch.allclose(m.w.detach(), torch.full((3,), (1 - 0.005) ** 200), rtol=1e-5)


def test_accuracy_recorded():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(60, 2, generator=g)
    labels = (x[:, 0] > 0).long()
    model = torch.nn.Linear(2, 2)
    res = train(model, (x, labels), loss="cross_entropy", lr=0.1, steps=200,
                checkpoints=[0, 200], accuracy=argmax_accuracy, val_data=(x, labels))
    assert res.checkpoints[-1].train_acc > 0.95
    assert res.checkpoints[-1].val_acc == res.checkpoints[-1].train_acc
    assert res.checkpoints[-1].train_loss < res.checkpoints[0].train_loss


def test_centred_loss_training_and_accuracy():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(40, 2, generator=g, dtype=torch.float64)
    y = (x[:, :1] ** 2 - x[:, 1:] ** 2) + 7.0  # constant offset the centred loss ignores
    model = QuadraticNetwork(2, 2, 1, dtype=torch.float64)
    with torch.no_grad():
        model.W.copy_(torch.randn(2, 2, generator=g, dtype=torch.float64))
        model.V.copy_(torch.randn(1, 2, generator=g, dtype=torch.float64))
    res = train(model, (x, y), loss="centred_gaussian", lr=0.02, steps=1500)
    assert res.final_train_loss < 1e-3
    assert centred_argmax_accuracy(torch.eye(3) + 4.0, torch.eye(3)) == 1.0


def test_nan_loss_stops_and_flags():
    x, y = _data()

    def nan_after(outputs, targets):
        return (outputs - targets).pow(2).sum(1) * float("nan")

    with pytest.warns(RuntimeWarning, match="step 0"):
        res = train(LinearRegression(3), (x, y), loss=nan_after, steps=10)
    assert res.diverged and res.diverged_step == 0 and res.steps == 0
    with pytest.raises(FloatingPointError):
        train(LinearRegression(3), (x, y), loss=nan_after, steps=10, on_nan="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = train(LinearRegression(3), (x, y), steps=5)  # a clean run warns nothing
    assert not res.diverged


def test_sgd_divergence_is_flagged():
    x, y = _data()
    with pytest.warns(RuntimeWarning):
        res = train(LinearRegression(3), (x * 100, y), optimizer="sgd", lr=10.0, steps=200)
    assert res.diverged and 0 < res.diverged_step < 200


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        (dict(optimizer="lbfgs"), ValueError, "optimizer"),
        (dict(loss="mse"), ValueError, "loss"),
        (dict(loss=5), TypeError, "loss"),
        (dict(steps=-1), ValueError, "steps"),
        (dict(steps=1.5), TypeError, "steps"),
        (dict(lr=0.0), ValueError, "lr"),
        (dict(batch_size=0), ValueError, "batch_size"),
        (dict(batch_size=10_000), ValueError, "batch_size"),
        (dict(checkpoints=[5, 2000]), ValueError, "checkpoints"),
        (dict(on_nan="ignore"), ValueError, "on_nan"),
        (dict(generator="x"), TypeError, "generator"),
        (dict(generator=2**70), ValueError, "generator must be in"),
        (dict(seed=2**70), ValueError, "seed must be in"),
        (dict(seed=1.5), TypeError, "seed must be an integer"),
        (dict(seed=True), TypeError, "seed must be an integer"),
        (dict(checkpoints=5), TypeError, "checkpoints must be a sequence"),
        (dict(accuracy=3), TypeError, "accuracy must be a callable"),
        (dict(optimizer="sgd", momentum=2.0), ValueError, "momentum must be in"),
        (dict(device="tpu"), ValueError, "device must be"),
        (dict(device=3), TypeError, "device must be"),
        pytest.param(dict(device="cuda"), ValueError, "device='cuda': CUDA is not available",
                     marks=pytest.mark.skipif(torch.cuda.is_available(), reason="has CUDA")),
    ],
)
def test_argument_errors(kwargs, exc, match):
    x, y = _data()
    with pytest.raises(exc, match=match):
        train(LinearRegression(3), (x, y), **{"steps": 10, **kwargs})


def test_numpy_integer_seeds_and_indexed_cpu_device_are_taken():
    """As ``estimate_llc`` takes them (an outside fuzz found ``train`` refusing them)."""
    import numpy as np

    x, y = _data()
    a = train(LinearRegression(3), (x, y), steps=5, batch_size=4, seed=np.int64(3),
              device="cpu:0")
    b = train(LinearRegression(3), (x, y), steps=5, batch_size=4, seed=3)
    assert a.final_train_loss == b.final_train_loss


def test_data_errors():
    x, y = _data()
    with pytest.raises(ValueError, match="leading sample axis"):
        train(LinearRegression(3), (x, y[:5]))
    with pytest.raises(TypeError, match="tuple"):
        train(LinearRegression(3), x)
    bad = x.clone()
    bad[0, 0] = float("nan")
    with pytest.raises(ValueError, match="data has non-finite"):  # was: diverged at step 0
        train(LinearRegression(3), (bad, y))
    with pytest.raises(ValueError, match="val_data has non-finite"):
        train(LinearRegression(3), (x, y), val_data=(bad, y))
    # real-valued targets under cross-entropy: one "class" whose loss is identically 0
    with pytest.raises(ValueError, match="at least two classes"):
        train(torch.nn.Linear(3, 1), (x, y.reshape(-1, 1)), loss="cross_entropy", steps=1)
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        train(torch.nn.Linear(3, 1), (x, 5 * torch.ones(len(x), 1)),
              loss="binary_cross_entropy", steps=1)


def test_accuracy_helpers_check_shapes():
    from slttheory.train import argmax_accuracy, binary_accuracy

    with pytest.raises(ValueError, match="argmax_accuracy needs outputs"):
        argmax_accuracy(torch.zeros(3), torch.zeros(3))
    with pytest.raises(ValueError, match="argmax_accuracy needs outputs"):
        argmax_accuracy(torch.zeros(3, 2), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="binary_accuracy needs one logit"):
        binary_accuracy(torch.zeros(3, 1), torch.zeros(4, 1))


@given(st.integers(0, 10**7), st.integers(1, 300))
def test_log_spaced_checkpoints_properties(total, count):
    c = log_spaced_checkpoints(total, count)
    assert len(c) == min(count, total + 1)
    assert all(a < b for a, b in zip(c, c[1:], strict=False))
    assert c[-1] == total and c[0] >= 0
    if len(c) >= 2:
        assert c[0] == 0
    if count >= 3 and total >= 10 * count:
        # log-spaced: the lower half of the points covers only a small part of the range
        assert c[len(c) // 2] <= max(total ** 0.6, 2 * count)


def test_log_spaced_checkpoints_decades():
    assert log_spaced_checkpoints(10**4, 6) == [0, 1, 10, 100, 1000, 10000]
    with pytest.raises(ValueError, match="count"):
        log_spaced_checkpoints(10, 0)
    with pytest.raises(TypeError, match="total"):
        log_spaced_checkpoints(10.0, 3)
