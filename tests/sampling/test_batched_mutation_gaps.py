"""Batched-estimation rules a mutation run of ``sampling/batched.py`` found unpinned.

Each test names the documented rule it pins (``estimate_llc_batched``'s and
``batch_signature``'s docstrings, the module docstring: every point is its own
``estimate_llc`` run).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from test_batched import _linear_problems, _tanh_pair

from slttheory.sampling import estimate_llc
from slttheory.sampling.batched import batch_signature, estimate_llc_batched


class _Buffered(torch.nn.Module):
    """A linear map with a buffer of a given length (the buffer does not enter the output)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.lin = torch.nn.Linear(2, 1, dtype=torch.float64)
        self.register_buffer("extra", torch.zeros(size, dtype=torch.float64))

    def forward(self, x):
        return self.lin(x)


def _x(n=20, dtype=torch.float64):
    return torch.randn(n, 2, generator=torch.Generator().manual_seed(0), dtype=dtype)


def test_signature_compares_target_shapes_input_dtypes_and_buffers():
    """batch_signature: 'architecture, data shapes, loss' — target shape, input dtype and buffer
    shapes each separate two problems, and such a batch is refused naming problems[1]."""
    x = _x()
    m = torch.nn.Linear(2, 1, dtype=torch.float64)
    y = torch.zeros(20, 1, dtype=torch.float64)
    assert batch_signature(m, (x, y)) != batch_signature(m, (x, y[:, 0]))
    assert batch_signature(m, (x, y)) != batch_signature(m, (x.float(), y))
    assert batch_signature(_Buffered(2), (x, y)) != batch_signature(_Buffered(3), (x, y))
    for second in [(m, (x, y[:, 0])), (_Buffered(3), (x, y))]:
        first = (_Buffered(2), (x, y)) if isinstance(second[0], _Buffered) else (m, (x, y))
        with pytest.raises(ValueError, match=r"problems\[1\] differs"):
            estimate_llc_batched([first, second], step_size=1e-3, draws=10, device="cpu")


def test_training_flag_is_not_architecture():
    """A deterministic model in train() and in eval() mode is one architecture: same
    signature, one batch (the training flag is left out of the structure)."""
    x = _x()
    y = torch.zeros(20, 1, dtype=torch.float64)
    a = torch.nn.Linear(2, 1, dtype=torch.float64).train()
    b = torch.nn.Linear(2, 1, dtype=torch.float64).eval()
    assert batch_signature(a, (x, y)) == batch_signature(b, (x, y))


def _alone(probs, seeds, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = estimate_llc_batched(probs, seed=seeds, device="cpu", **kw)
        one = [estimate_llc(m, d, seed=s, device="cpu", **kw)
               for (m, d), s in zip(probs, seeds, strict=True)]
    return b, one


def test_each_point_reads_its_own_frozen_parameters():
    """Point p equals estimate_llc(model_p, ...) alone: the parameters outside ``params``
    (held fixed) are point p's, not problems[0]'s."""
    probs = _linear_problems(2)
    b, one = _alone(probs, [0, 1], params=["bias"], method="single", step_size=1e-3,
                    draws=100)
    for x, y in zip(b, one, strict=True):
        np.testing.assert_allclose(x.loss_trace, y.loss_trace, rtol=1e-10, atol=1e-12)


def _scaled_pair():
    """Two noisy linear problems whose inputs differ 10× in scale: their calibrated step
    sizes differ about 80×."""
    probs = _linear_problems(2)
    m, (x, y) = probs[1]
    probs[1] = (m, (x * 10, m(x * 10).detach() + (y - m(x).detach())))
    return probs


@pytest.mark.parametrize("sampler", ["sgld", "rmsprop_sgld"])
def test_warm_up_retuning_reads_each_points_own_step_size(sampler):
    """Per-temperature warm-up re-tuning (chains._warmup_rescale_groups) of point p uses
    point p's calibrated ε, as alone, and a re-tuned point restarts its sampler state
    (RMSProp's running average) as alone: the tuned steps and traces equal estimate_llc's."""
    b, one = _alone(_scaled_pair(), [0, 1], sampler=sampler, draws=200, burn_in=50, chains=2,
                    record_scan=True)
    assert b[1].config.step_size < 0.5 * b[0].config.step_size  # the points really differ
    for x, y in zip(b, one, strict=True):
        np.testing.assert_allclose(x.temperatures.step_size, y.temperatures.step_size,
                                   rtol=1e-12)
        np.testing.assert_allclose(x.loss_trace, y.loss_trace, rtol=1e-10, atol=1e-12)


class _ForcedReset:
    """chains._warmup_rescale_groups made to restart chain 0 of a point by a rule that reads
    only that point's ε: a point with ε above ``cut`` leaves the warm-up at once; one below
    keeps its multipliers in round 1 and restarts its chain 0 in round 2."""

    def __init__(self, cut: float) -> None:
        self.cut, self.calls = cut, {}

    def __call__(self, wtr, wgs, nbeta, step_size, scale, groups, wac=None):
        c = self.calls[step_size] = self.calls.get(step_size, -1) + 1
        if step_size > self.cut or c > 1:
            return None
        reset = np.zeros(wtr.shape[0], dtype=bool)
        reset[0] = c == 1
        return scale.copy(), reset


def test_warm_up_restarts_the_chains_of_the_point_that_asked(monkeypatch):
    """A warm-up group restarted at w* (non-finite trace) is restarted in its own point's
    rows, also when an earlier point has already left the warm-up, as alone."""
    from slttheory.sampling import chains

    probs = _scaled_pair()
    kw = dict(sampler="sgld", draws=100, burn_in=20, chains=2, record_scan=True, device="cpu")
    res = []
    for batched in (True, False):
        monkeypatch.setattr(chains, "_warmup_rescale_groups", _ForcedReset(1e-3))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if batched:
                res.append(estimate_llc_batched(probs, seed=[0, 1], **kw))
            else:
                res.append([estimate_llc(m, d, seed=s, **kw)
                            for (m, d), s in zip(probs, [0, 1], strict=True)])
    for x, y in zip(*res, strict=True):
        np.testing.assert_allclose(x.loss_trace, y.loss_trace, rtol=1e-10, atol=1e-12)


def test_single_temperature_warm_up_reads_each_points_own_step_size():
    """method='single', SGLD: the warm-up's bias re-check (chains._warmup_rescale) of point p
    rescales point p's own calibrated ε, and its calibration record is its own, as alone."""
    b, one = _alone(_scaled_pair(), [0, 1], sampler="sgld", method="single", draws=200,
                    burn_in=50, chains=2)
    for x, y in zip(b, one, strict=True):
        assert x.config.step_size == pytest.approx(y.config.step_size, rel=1e-12)
        cx, cy = x.diagnostics.calibration, y.diagnostics.calibration  # its own calibration
        assert cx.step_size == pytest.approx(cy.step_size, rel=1e-12)
        np.testing.assert_allclose(x.loss_trace, y.loss_trace, rtol=1e-10, atol=1e-12)


def test_each_point_keeps_its_own_stopping_rule(monkeypatch):
    """draws=None, record_scan=True: a Morse–Bott point's scan stops by the record rule, a
    singular point's by the estimate's own rule (chains._extend with that point's rule), each
    as alone — the second point does not inherit the first's rule (order: singular, then
    Morse–Bott)."""
    from slttheory.sampling import chains

    monkeypatch.setattr(chains, "AUTO_MAX_STEPS", 4000)
    probs = _tanh_pair()[::-1]  # the singular point first, the Morse–Bott one second
    b, one = _alone(probs, [0, 1], chains=2, record_scan=True)
    for x, y in zip(b, one, strict=True):
        assert x.config.draws == y.config.draws
        np.testing.assert_allclose(x.loss_trace, y.loss_trace, rtol=1e-10, atol=1e-12)


class _Root(torch.nn.Module):
    """x ↦ √w·x: the loss is NaN wherever a proposal takes w below 0."""

    def __init__(self, w: float) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([w], dtype=torch.float64))

    def forward(self, x):
        return x * torch.sqrt(self.w)


def test_each_point_counts_its_own_rejected_non_finite_proposals():
    """MALA's count of proposals rejected for a NaN/Inf loss is per chain and per point: the
    point at w* = 0.01, next to the NaN region w < 0, reports its rejections and the point at
    w* = 4, far from it, reports none, each exactly as estimate_llc alone."""
    x = torch.linspace(-1, 1, 50, dtype=torch.float64).unsqueeze(1)
    probs = [(_Root(w), (x, x * w ** 0.5)) for w in (4.0, 0.01)]
    b, one = _alone(probs, [0, 1], sampler="mala", method="single", step_size=1e-2,
                    draws=200, chains=4)
    rejected = ["NaN/Inf loss were rejected" in " ".join(e.diagnostics.warnings) for e in b]
    assert rejected == [False, True]
    for x_, y_ in zip(b, one, strict=True):
        assert x_.diagnostics.warnings == y_.diagnostics.warnings
