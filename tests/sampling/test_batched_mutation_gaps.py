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
from test_batched import _both, _linear_problems, _rrr, _tanh_pair

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


def test_points_asking_different_lengths_run_to_the_nearest_one(monkeypatch):
    """draws=None: the points still running go together to the NEAREST length one of them
    asked for, so each point's rule is read at exactly the lengths it reads alone. Rigged
    rules that read no data: the Morse–Bott point's record rule asks 4× more steps, the
    singular point's rule 1.25× more, until each has its own number of draws; each point's
    length and trace equal estimate_llc's alone."""
    from slttheory.sampling import chains, estimator

    def grow_4x(scaled, groups):
        return scaled.shape[1] >= 600, 4.0

    def grow_slow(scaled, groups):
        return scaled.shape[1] >= 375, 1.0

    monkeypatch.setattr(chains, "AUTO_MIN_STEPS", 200)
    monkeypatch.setattr(chains, "_converged", grow_slow)
    monkeypatch.setattr(chains, "_converged_record", grow_4x)
    monkeypatch.setattr(estimator, "_converged_record", grow_4x)
    b, one = _alone(_tanh_pair(), [0, 1], chains=2, record_scan=True)
    assert [y.config.draws for y in one] == [600, 375]  # the two rules really differ
    for x, y in zip(b, one, strict=True):
        assert x.config.draws == y.config.draws
        np.testing.assert_allclose(x.loss_trace, y.loss_trace, rtol=1e-10, atol=1e-12)


def test_mala_burn_in_shrink_reads_each_points_own_acceptance(monkeypatch):
    """MALA's burn-in shrinking of ε (chains._mala_shrink) reads point p's own chains'
    acceptance: with the floor set to 0.7, the point at w* = 4 (acceptance about 0.6) shrinks
    its ε and the point at w* = 0.01 (about 0.8) keeps its own, each as estimate_llc alone."""
    from slttheory.sampling import chains

    monkeypatch.setattr(chains, "MALA_ACCEPT_FLOOR", 0.7)
    x = torch.linspace(-1, 1, 50, dtype=torch.float64).unsqueeze(1)
    probs = [(_Root(w), (x, x * w ** 0.5)) for w in (4.0, 0.01)]
    b, one = _alone(probs, [0, 1], sampler="mala", method="single", draws=200, burn_in=400,
                    chains=4)
    shrunk = [y.config.step_size < 0.9 * y.diagnostics.calibration.step_size for y in one]
    assert shrunk == [True, False]  # the points really decide differently
    for x_, y_ in zip(b, one, strict=True):
        assert x_.config.step_size == pytest.approx(y_.config.step_size, rel=1e-12)
        np.testing.assert_allclose(x_.loss_trace, y_.loss_trace, rtol=1e-10, atol=1e-12)


def test_orbit_moves_of_a_later_point_use_its_own_generator(monkeypatch):
    """draws=None with orbit moves: when point 0 has stopped and point 1 runs on alone, point
    1's orbit moves still come from its own generator (its seed), as estimate_llc alone. A
    rigged rule: a λ̂ below 4.2 (the rank-0 point) stops at once, the rank-2 point runs one
    more round."""
    from slttheory.sampling import chains
    from slttheory.sampling.symmetry import matrix_chain_orbit

    def rule(scaled, groups):
        return bool(scaled.mean() < 4.2 or scaled.shape[1] >= 225), 1.0

    monkeypatch.setattr(chains, "AUTO_MIN_STEPS", 200)
    monkeypatch.setattr(chains, "_converged", rule)
    probs = _rrr([(0, 0), (2, 1)])
    move = matrix_chain_orbit(probs[0].model, ["A", "B"], every=3)
    b, one = _both(probs, [3, 4], method="single", orbit=move, chains=2)
    assert [y.config.draws for y in one] == [150, 225]  # point 0 stopped first
    for x, y in zip(b, one, strict=True):
        assert x.config.draws == y.config.draws
        np.testing.assert_allclose(x.loss_trace, y.loss_trace, rtol=1e-10, atol=1e-12)


def test_full_batch_sgld_reports_each_points_acceptance_rate():
    """diagnostics.acceptance_rate: SGLD on the full batch reports its MH acceptance
    probability, batched as alone (a batch does not drop the acceptance buffer)."""
    probs = _linear_problems(2)
    b, one = _alone(probs, [0, 1], sampler="sgld", method="single", step_size=1e-3,
                    draws=100, batch_size=100)
    for x, y in zip(b, one, strict=True):
        assert y.diagnostics.acceptance_rate is not None
        assert x.diagnostics.acceptance_rate == pytest.approx(y.diagnostics.acceptance_rate,
                                                              rel=1e-10)


def test_the_calls_loss_comes_before_each_problems_own():
    """A problem's ``.loss`` is used only when ``loss=None``: the call's loss (here twice the
    Gaussian NLL) applies to every point, as estimate_llc(..., loss=...) alone."""
    def twice_gaussian(out, y):
        return ((out - y) ** 2).reshape(out.shape[0], -1).sum(-1)

    probs = _rrr([(0, 0), (2, 1)])
    assert all(p.loss == "gaussian" for p in probs)
    kw = dict(loss=twice_gaussian, method="single", step_size=1e-4, draws=100, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = estimate_llc_batched(probs, seed=[0, 1], **kw)
        one = [estimate_llc(p.model, p.data, seed=s, **kw)
               for p, s in zip(probs, [0, 1], strict=True)]
    for x, y in zip(b, one, strict=True):
        np.testing.assert_allclose(x.loss_trace, y.loss_trace, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seeds", [[0], [0, 1, 2]])
def test_a_seed_list_of_the_wrong_length_is_refused_naming_seed(seeds):
    """``seed``: one int for every point or ONE PER POINT: a list shorter or longer than
    ``problems`` is a ValueError naming ``seed``, before any sampling."""
    with pytest.raises(ValueError, match=r"seed: \d seeds for 2 problems"):
        estimate_llc_batched(_linear_problems(2), seed=seeds, step_size=1e-3, draws=20,
                             device="cpu")


@pytest.mark.parametrize("make", [iter, lambda p: {0: p[0], 1: p[1]}, lambda p: "ab"])
def test_problems_that_are_no_sequence_are_refused_naming_problems(make):
    """``problems`` is a sequence of problems: an iterator, a mapping or a string is a
    TypeError naming ``problems`` (not a len() error or a complaint about its entries)."""
    with pytest.raises(TypeError, match="problems must be a sequence of problems"):
        estimate_llc_batched(make(_linear_problems(2)), seed=0, step_size=1e-3, draws=20,
                             device="cpu")
