"""Bad arguments to the sampling layer's public pieces name themselves (a review of
2026-12-03 found each of these accepted silently or failing inside numpy, torch or arviz)."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
import torch

from slttheory.sampling import calibrate_step_size, estimate_llc, estimate_llc_multitemp
from slttheory.sampling.diagnostics import ess, mcse, rhat
from slttheory.sampling.extrapolate import GRID, fit_finite_nbeta
from slttheory.sampling.kernels import LocalizedPotential
from slttheory.sampling.plot import plot_scan_record, plot_trace, scan_record
from slttheory.sampling.symmetry import OrbitMove

matplotlib.use("Agg")


def _quadratic(w, g):
    return 0.5 * (w**2).sum(-1), w


def _pot(**kw):
    args = {"loss_and_grad": _quadratic, "nbeta": 10.0, "localization": 0.0,
            "center": torch.zeros(2), **kw}
    return LocalizedPotential(**args)


F = np.asarray(GRID)
Y = 1.0 - 0.2 / F


@pytest.mark.parametrize("call, exc, match", [
    (lambda: _pot(nbeta=-10.0), ValueError, "nbeta must be > 0"),
    (lambda: _pot(nbeta=torch.tensor([1.0, float("nan")])), ValueError, "nbeta must be > 0"),
    (lambda: _pot(nbeta=True), TypeError, "nbeta must be a number"),
    (lambda: _pot(localization=-1.0), ValueError, "localization must be a finite number"),
    (lambda: _pot(loss_and_grad=3), TypeError, "loss_and_grad must be callable"),
    (lambda: _pot(center=[0.0, 0.0]), TypeError, "center must be a floating-point tensor"),
    (lambda: calibrate_step_size(_pot(), torch.zeros(2), nbeta=-1.0,
                                 generator=torch.Generator()), ValueError, "nbeta must be > 0"),
    (lambda: calibrate_step_size(_pot(), torch.zeros(2), nbeta=math.nan,
                                 generator=torch.Generator()), ValueError, "nbeta must be > 0"),
    (lambda: calibrate_step_size(_pot(), torch.zeros(2), nbeta=10.0, target_bias=-1,
                                 generator=torch.Generator()), ValueError, "target_bias"),
    (lambda: calibrate_step_size(_pot(), torch.zeros(2), nbeta=10.0, target_acceptance=1.5,
                                 generator=torch.Generator()), ValueError,
     r"target_acceptance must be in \(0, 1\)"),
    (lambda: calibrate_step_size(_pot(), torch.zeros(2), nbeta=10.0, generator=0),
     TypeError, "generator must be a torch.Generator"),
    (lambda: fit_finite_nbeta(F, Y, np.full(4, 0.01), 0.0, "log"), ValueError, "t0 must be > 0"),
    (lambda: fit_finite_nbeta(F, Y, np.full(4, 0.01), math.nan), ValueError, "t0 must be > 0"),
    (lambda: fit_finite_nbeta(F, Y, np.full(4, 0.01), True), TypeError, "t0 must be a number"),
    (lambda: fit_finite_nbeta(F, Y, np.full(4, -0.01), 100.0), ValueError, "errors must be >= 0"),
    (lambda: fit_finite_nbeta(-F, Y, np.full(4, 0.01), 100.0), ValueError, "f must be finite"),
    (lambda: scan_record(None, reach=-1), ValueError, "reach must be > 0"),
    (lambda: scan_record(None, reach=0.5), ValueError, "reach must be >= 1"),
    (lambda: scan_record(None, points=0), ValueError, "points must be an integer >= 2"),
    (lambda: ess(np.zeros((2, 10)), method=None), ValueError, "method must be one of"),
    (lambda: OrbitMove(propose=3), TypeError, "propose must be callable"),
    (lambda: OrbitMove(propose=_quadratic, dim=-1), ValueError, "dim must be an int >= 1"),
    (lambda: plot_trace(None), TypeError, "estimate must be an LLCEstimate"),
    (lambda: plot_scan_record({}, ax=3), TypeError, "ax must be a matplotlib Axes"),
    (lambda: plot_scan_record({}, lam="a"), TypeError, "lam must be a number"),
])
def test_bad_arguments_name_themselves(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_multitemp_refuses_a_bool_temperature():
    """``betas=[True, 0.5]`` ran at β = 1 and returned a negative LLC."""
    x = torch.linspace(-1, 1, 20).unsqueeze(1)
    with pytest.raises(TypeError, match="betas must be a number"):
        estimate_llc_multitemp(torch.nn.Linear(1, 1), (x, x), betas=[True, 0.5], device="cpu")


def test_empty_traces_have_no_diagnostics():
    for f in (ess, rhat, mcse):
        assert math.isnan(f(np.zeros((0, 10)))) and math.isnan(f(np.zeros((2, 0))))


def test_every_sampled_parameter_is_checked_and_a_loss_of_another_dtype_is_cast():
    """Only the first sampled parameter's dtype was checked (an int64 second one was sampled
    as if continuous), and a float64 loss of a float32 model failed mid-sampling with
    'Index put requires the source and destination dtypes match' (an outside probe)."""
    from torch import nn

    from slttheory.sampling import estimate_llc

    class WithCount(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Parameter(torch.zeros(2))
            self.k = nn.Parameter(torch.zeros(1, dtype=torch.int64), requires_grad=False)

        def forward(self, x):
            return (x @ self.a)[:, None]

    g = torch.Generator().manual_seed(0)
    x = torch.randn(40, 2, generator=g)
    y = x @ torch.tensor([1.0, -1.0])[:, None]
    with pytest.raises(TypeError, match="'k' is torch.int64; a sampled parameter must be float"):
        estimate_llc(WithCount(), (x, y), params=["a", "k"], device="cpu", chains=2, draws=20,
                     step_size=1e-3, method="single")
    m = nn.Linear(2, 1)

    def loss(o, t):
        return (0.5 * ((o - t) ** 2).sum(-1)).double()

    r = estimate_llc(m, (x, y), loss=loss, device="cpu", method="single", chains=2, draws=30,
                     step_size=1e-3, sampler="sgld", morse_bott=False, seed=0)
    assert math.isfinite(r.llc)


def test_minibatch_chains_that_disagree_do_not_pass():
    """Minibatch SGLD (batch 5 of 500, 1500 draws): the batch noise in the loss trace kept
    R-hat at 1.018 while the chain means spread over 0.49–1.16 against the exact 1.975, and
    the estimate passed with an interval that missed it (an outside probe of the estimator).
    The chains' means are now tested against their own Monte-Carlo errors."""
    from slttheory.models import LinearRegression
    from slttheory.sampling import estimate_llc

    g = torch.Generator().manual_seed(0)
    n, d = 500, 4
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = (x @ torch.arange(1.0, d + 1, dtype=torch.float64))[:, None] + 0.5 * torch.randn(
        n, 1, generator=g, dtype=torch.float64)
    m = LinearRegression(d, dtype=torch.float64)
    with torch.no_grad():
        m.w.copy_(torch.linalg.lstsq(x, y).solution[:, 0])
    r = estimate_llc(m, (x, y), device="cpu", chains=4, draws=1500, seed=2, batch_size=5,
                     method="single")
    assert not r.diagnostics.passed
    assert any("chain means disagree" in w for w in r.diagnostics.warnings)


@pytest.mark.parametrize("params, exc, match", [
    (3, TypeError, r"params must be parameter names .* got int; valid names: \['weight'"),
    ([0], TypeError, "params must name parameters by str"),
    (["nope"], ValueError, "unknown parameter name"),
])
def test_params_that_name_nothing_say_so(params, exc, match):
    """params=3 raised a bare 'int object is not iterable' (an outside probe)."""
    from slttheory.sampling import estimate_llc

    m = torch.nn.Linear(2, 1).double()
    x = torch.randn(20, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    with pytest.raises(exc, match=match):
        estimate_llc(m, (x, x[:, :1]), params=params, draws=10, device="cpu")


def test_an_iterable_dataset_is_refused_not_read_forever():
    """A DataLoader over a never-ending IterableDataset hung estimate_llc while its memory
    grew (an outside probe): the estimator needs the whole data set, so it says so."""
    import itertools

    class Endless(torch.utils.data.IterableDataset):
        def __iter__(self):
            return ((torch.zeros(2), torch.zeros(1)) for _ in itertools.count())

    with pytest.raises(TypeError, match="IterableDataset"):
        estimate_llc(torch.nn.Linear(2, 1), torch.utils.data.DataLoader(Endless(), batch_size=4),
                     device="cpu")


def test_class_labels_of_another_integer_type_are_named_as_the_targets_fault():
    """uint8 labels with the cross-entropy failed inside the vectorised forward, and the error
    blamed the model's Python control flow (an outside probe)."""
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(0))
    for dt in (torch.uint8, torch.int32):
        with pytest.raises(TypeError, match=f"targets: class indices .* int64, got {dt}"):
            estimate_llc(torch.nn.Linear(2, 3), (x, (x[:, 0] > 0).to(dt)),
                         loss="cross_entropy", device="cpu")


def test_multitemp_betas_must_be_a_sequence():
    x = torch.randn(20, 2, generator=torch.Generator().manual_seed(0))
    with pytest.raises(TypeError, match="betas must be a sequence"):
        estimate_llc_multitemp(torch.nn.Linear(2, 1), (x, x[:, :1]), betas=5, device="cpu")
