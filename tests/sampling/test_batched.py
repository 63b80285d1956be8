"""Batched LLC estimates equal per-point ``estimate_llc`` runs (same seeds, same settings)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from slttheory.models import FAMILIES
from slttheory.sampling import estimate_llc
from slttheory.sampling.batched import batch_signature, estimate_llc_batched

RRR = FAMILIES["reduced_rank_regression"]


def _rrr(points, n=300, dtype=torch.float64):
    out = []
    for r, s in points:
        p = RRR.build({"m": 4, "n": 3, "h": 2, "r": r}, n=n,
                      generator=torch.Generator().manual_seed(s), device="cpu")
        p.model.to(dtype)
        p = type(p)(p.model, tuple(t.to(dtype) for t in p.data), p.loss)
        out.append(p)
    return out


def _both(probs, seeds, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = estimate_llc_batched(probs, seed=seeds, device="cpu", **kw)
        one = [estimate_llc(p.model, p.data, loss=p.loss, seed=s, device="cpu", **kw)
               for p, s in zip(probs, seeds, strict=True)]
    return b, one


@pytest.mark.parametrize("kw", [
    {"step_size": 1e-3, "draws": 300, "burn_in": 100},
    {"sampler": "rmsprop_sgld", "step_size": 1e-3, "draws": 200},
    {"sampler": "sghmc", "step_size": 1e-3, "draws": 200},
    {"draws": 200, "burn_in": 50, "chains": 2, "sampler": "sghmc"},  # calibrated, momentum
    {"step_size": 1e-3, "draws": 200, "batch_size": 50},          # minibatch indices per point
    {"sampler": "mala", "step_size": 1e-3, "draws": 200},
    {"draws": 200, "burn_in": 50, "chains": 2},                    # calibrated step + warm-up
    {"draws": 200, "burn_in": 50, "chains": 2, "sampler": "sgld"},  # per-temperature bias tuning
    {"draws": 200, "burn_in": 50, "chains": 2, "method": "single"},
    {"draws": 200, "preconditioner": "dense"},                      # per-point curvature
    {"sampler": "sgld", "step_size": 1e-2, "draws": 200, "batch_size": 50,
     "preconditioner": "diagonal"},                                # Hutchinson draws per point
])
def test_batched_equals_per_point(kw):
    """Per-point generators: each point's run is estimate_llc's run (float64: to 1e-9), the
    default temperature scan included (its per-temperature step tuning, fit and jackknife)."""
    probs = _rrr([(0, 0), (1, 1), (2, 2)])
    b, one = _both(probs, [3, 4, 5], **kw)
    for x, y in zip(b, one, strict=True):
        assert x.config == y.config
        assert x.method == y.method == kw.get("method", "extrapolate")
        assert math.isclose(x.llc, y.llc, rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(x.std_error, y.std_error, rel_tol=1e-7)
        assert math.isclose(x.data_error, y.data_error, rel_tol=1e-6, abs_tol=1e-9)
        assert x.ci == pytest.approx(y.ci, rel=1e-7)
        assert math.isclose(x.single, y.single, rel_tol=1e-9, abs_tol=1e-9)
        np.testing.assert_allclose(x.loss_trace, y.loss_trace, rtol=1e-10, atol=1e-10)
        assert x.diagnostics.warnings == y.diagnostics.warnings
        if x.temperatures is not None:
            np.testing.assert_allclose(x.temperatures.llc, y.temperatures.llc, rtol=1e-9)
            np.testing.assert_allclose(x.temperatures.step_size, y.temperatures.step_size,
                                       rtol=1e-12)
    # different points really are different runs (r and data differ)
    assert len({round(x.llc, 6) for x in b}) == 3


def test_batched_float32_to_float_tolerance():
    probs = _rrr([(1, 0), (1, 1)], dtype=torch.float32)
    b, one = _both(probs, [0, 0], step_size=1e-3, draws=300)
    for x, y in zip(b, one, strict=True):
        # batched matmuls may round differently: single-precision agreement, not bitwise
        assert abs(x.llc - y.llc) <= 1e-3 * max(1.0, abs(y.llc))


def test_one_seed_for_all_points_and_plain_pairs():
    x = torch.randn(100, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ms = [torch.nn.Linear(2, 1, dtype=torch.float64) for _ in range(2)]
    pairs = [(m, (x, m(x).detach())) for m in ms]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = estimate_llc_batched(pairs, step_size=1e-3, draws=100, seed=7, device="cpu")
        y = estimate_llc(*pairs[1], step_size=1e-3, draws=100, seed=7, device="cpu")
    assert math.isclose(b[1].llc, y.llc, rel_tol=1e-9)
    assert b[0].config.seed == b[1].config.seed == 7
    # a generator (or None) gives each point a seed of its own, recorded and repeatable
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = estimate_llc_batched(pairs, step_size=1e-3, draws=100, device="cpu",
                                 seed=torch.Generator().manual_seed(3))
        y = estimate_llc(*pairs[1], step_size=1e-3, draws=100, seed=g[1].config.seed,
                         device="cpu")
    assert g[0].config.seed != g[1].config.seed
    assert math.isclose(g[1].llc, y.llc, rel_tol=1e-9)


def test_nonfinite_point_does_not_spoil_the_batch():
    probs = _rrr([(1, 0), (1, 1)])
    bad = probs[1]
    y = bad.data[1].clone()
    y[0, 0] = math.nan
    probs[1] = type(bad)(bad.model, (bad.data[0], y), bad.loss)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = estimate_llc_batched(probs, step_size=1e-3, draws=100, device="cpu")
    assert math.isfinite(b[0].llc) and math.isnan(b[1].llc)
    assert b[1].diagnostics.divergent
    assert b[1].config.step_jitter == b[0].config.step_jitter > 0  # same rules, both recorded


def test_signature_separates_architectures_and_attributes():
    class Scaled(torch.nn.Module):
        def __init__(self, c):
            super().__init__()
            self.c = c
            self.w = torch.nn.Parameter(torch.ones(2))

        def forward(self, x):
            return self.c * (x @ self.w).unsqueeze(-1)

    x = torch.zeros(5, 2)
    data = (x, x[:, :1])
    assert batch_signature(Scaled(1.0), data) == batch_signature(Scaled(1.0), data)
    assert batch_signature(Scaled(1.0), data) != batch_signature(Scaled(2.0), data)
    assert batch_signature(Scaled(1.0), data) != batch_signature(Scaled(1.0), (x[:4], x[:4, :1]))
    assert batch_signature(Scaled(1.0), data, "gaussian") != batch_signature(
        Scaled(1.0), data, "cross_entropy")


def test_errors_name_the_argument():
    probs = _rrr([(1, 0)])
    other = RRR.build({"m": 5, "n": 3, "h": 2, "r": 1}, n=300,
                      generator=torch.Generator().manual_seed(0), device="cpu")
    with pytest.raises(ValueError, match=r"problems\[1\] differs"):
        estimate_llc_batched([probs[0], other], step_size=1e-3, draws=10, device="cpu")
    with pytest.raises(ValueError, match="at least one"):
        estimate_llc_batched([], device="cpu")
    with pytest.raises(ValueError, match="seed: 2 seeds for 1"):
        estimate_llc_batched(probs, seed=[1, 2], device="cpu")
    with pytest.raises(ValueError, match="sampler must be one of"):
        estimate_llc_batched(probs, sampler="hmc", device="cpu")
    with pytest.raises(TypeError, match="problems: each entry"):
        estimate_llc_batched([3], device="cpu")
    with pytest.raises(ValueError, match="draws must be"):
        estimate_llc_batched(probs, draws=0, device="cpu")
    with pytest.raises(ValueError, match="method must be one of"):
        estimate_llc_batched(probs, method="richardson", device="cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_batched_on_cuda_equals_per_point_on_cuda():
    probs = _rrr([(0, 0), (1, 1), (2, 2)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = estimate_llc_batched(probs, seed=[1, 2, 3], device="cuda", step_size=1e-3, draws=300)
        one = [estimate_llc(p.model, p.data, seed=s, device="cuda", step_size=1e-3, draws=300)
               for p, s in zip(probs, [1, 2, 3], strict=True)]
    for x, y in zip(b, one, strict=True):
        assert x.config.device.startswith("cuda")
        assert math.isclose(x.llc, y.llc, rel_tol=1e-6, abs_tol=1e-6)


def _linear_problems(count=3, n=100):
    x = torch.randn(n, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    out = []
    for i in range(count):
        m = torch.nn.Linear(2, 1, dtype=torch.float64)
        with torch.no_grad():
            m.weight.copy_(torch.tensor([[1.0 + i, -0.5]], dtype=torch.float64))
            m.bias.fill_(0.1 * i)
        noise = 0.1 * torch.randn(n, 1, generator=torch.Generator().manual_seed(i + 1),
                                  dtype=torch.float64)
        out.append((m, (x, m(x).detach() + noise)))
    return out


def test_batched_adaptive_length_equals_per_point(monkeypatch):
    """draws=None: each point extends its chain by the same rule as estimate_llc.

    The convergence test is rigged (by the last value of the trace) so that points stop at
    different lengths; a batched run that stopped every point early, or at a common length,
    fails here (regression: a tuple from ``_converged`` read as a bool).
    """
    from slttheory.sampling import chains

    def rigged(scaled, groups):
        h = int(abs(float(scaled[0, -1])) * 1e6) % 3
        return h == 0, 1.0 + 0.5 * h

    monkeypatch.setattr(chains, "AUTO_MAX_STEPS", 9000)
    monkeypatch.setattr(chains, "_converged", rigged)
    probs = _linear_problems()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # linear models: λ = d/2 exactly, so their scans are sampled only as records
        kw = dict(device="cpu", step_size=1e-3, record_scan=True)
        b = estimate_llc_batched(probs, seed=[0, 1, 2], **kw)
        one = [estimate_llc(m, d, seed=s, **kw)
               for (m, d), s in zip(probs, [0, 1, 2], strict=True)]
    for x, y in zip(b, one, strict=True):
        assert x.config.draws == y.config.draws
        assert math.isclose(x.llc, y.llc, rel_tol=1e-9, abs_tol=1e-9)
        np.testing.assert_allclose(x.loss_trace, y.loss_trace, rtol=1e-10, atol=1e-10)
    assert any(y.config.draws > 1500 for y in one)  # the adaptive rule did extend some chain


def test_batched_mala_burn_in_shrink_equals_per_point(monkeypatch):
    """MALA's burn-in may shrink a calibrated ε per point (chains._mala_shrink); forced
    here (floor 0.99) so that every point shrinks: batched and per-point runs take the same
    decisions and give the same numbers."""
    from slttheory.sampling import chains

    monkeypatch.setattr(chains, "MALA_ACCEPT_FLOOR", 0.99)
    probs = _rrr([(0, 0), (2, 1)])
    b, one = _both(probs, [3, 4], draws=200, burn_in=400)
    for x, y in zip(b, one, strict=True):
        assert x.config.sampler == "mala"
        cal = x.diagnostics.calibration.step_size
        assert x.config.step_size < 0.9 * cal  # it did shrink
        assert x.config == y.config
        np.testing.assert_allclose(x.loss_trace, y.loss_trace, rtol=1e-10, atol=1e-10)


def test_batched_equals_single_with_step_jitter():
    """The jitter's uniforms come from each point's generator after MALA's, as alone."""
    x = torch.randn(200, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    models = [torch.nn.Linear(2, 1, dtype=torch.float64) for _ in range(2)]
    probs = [(m, (x, m(x).detach())) for m in models]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ests = estimate_llc_batched(probs, draws=300, seed=[0, 1], device="cpu",
                                    step_jitter=1.0)
        one = estimate_llc(*probs[1], draws=300, seed=1, device="cpu", step_jitter=1.0)
        plain = estimate_llc(*probs[1], draws=300, seed=1, device="cpu", step_jitter=0)
    # the sampled values (a nondegenerate zero's llc is d/2 whatever the draws)
    assert np.array_equal(ests[1].temperatures.llc, one.temperatures.llc)
    assert ests[1].config.step_jitter == one.config.step_jitter == 1.0
    assert plain.config.step_jitter == 0.0 and plain.single != one.single


def test_step_jitter_default_is_on_for_mala_only():
    """``step_jitter=None`` (default): DEFAULT_STEP_JITTER with MALA, 0 with SGLD (a random
    step would move an unadjusted sampler's target); recorded as chosen automatically."""
    from slttheory.sampling.estimator import DEFAULT_STEP_JITTER

    x = torch.randn(200, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    m = torch.nn.Linear(1, 1, dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mala_ = estimate_llc(m, (x, m(x).detach()), draws=100, device="cpu", method="single")
        sgld_ = estimate_llc(m, (x, m(x).detach()), draws=100, device="cpu", method="single",
                             sampler="sgld")
        batch = estimate_llc_batched([(m, (x, m(x).detach()))], draws=100, device="cpu",
                                     method="single")
    assert mala_.config.sampler == "mala" and mala_.config.step_jitter == DEFAULT_STEP_JITTER
    assert batch[0].config.step_jitter == DEFAULT_STEP_JITTER
    assert sgld_.config.step_jitter == 0.0
    assert all("step_jitter" in e.config.auto for e in (mala_, sgld_, batch[0]))
    assert abs(batch[0].llc - mala_.llc) < 1e-9


def test_stated_multiplicity_is_the_same_law_batched():
    """``multiplicity`` reaches the batched fit: the same law and value as ``estimate_llc``."""
    x = torch.randn(200, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    m = torch.nn.Linear(1, 1, dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = estimate_llc(m, (x, m(x).detach()), draws=100, device="cpu", multiplicity=2)
        batch = estimate_llc_batched([(m, (x, m(x).detach()))], draws=100, device="cpu",
                                     multiplicity=2)
    assert one.temperatures.fit.model == batch[0].temperatures.fit.model == "mult2"
    assert one.config.multiplicity == batch[0].config.multiplicity == 2
    assert abs(batch[0].llc - one.llc) < 1e-9


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), "1"])
def test_step_jitter_rejects_bad_values(bad):
    x = torch.randn(50, 1, generator=torch.Generator().manual_seed(0))
    m = torch.nn.Linear(1, 1)
    with pytest.raises(ValueError, match="step_jitter"):
        estimate_llc(m, (x, m(x).detach()), draws=50, device="cpu", step_jitter=bad)


def test_step_jitter_needs_mala():
    x = torch.randn(50, 1, generator=torch.Generator().manual_seed(0))
    m = torch.nn.Linear(1, 1)
    with pytest.raises(ValueError, match="sampler='mala'"):
        estimate_llc(m, (x, m(x).detach()), draws=50, device="cpu", sampler="sgld",
                     step_jitter=1.0)


def _tanh_pair(n=200):
    """Two noise-free tanh networks 1–2–1: a generic teacher (Gauss–Newton rank 7 = d at w*
    and nearby: a nondegenerate zero, λ = 7/2) and the same with unit 0 switched off (its
    input weights flat at w*: a singular point, sampled)."""
    x = torch.linspace(-2, 2, n, dtype=torch.float64).unsqueeze(1)
    out = []
    for off in (False, True):
        m = torch.nn.Sequential(torch.nn.Linear(1, 2), torch.nn.Tanh(),
                                torch.nn.Linear(2, 1)).double()
        with torch.no_grad():
            m[0].weight.copy_(torch.tensor([[1.0], [-0.7]]))
            m[0].bias.copy_(torch.tensor([0.3, 0.2]))
            m[2].weight.copy_(torch.tensor([[0.0 if off else 0.8, 1.1]]))
            m[2].bias.fill_(0.1)
            y = m(x)
        out.append((m, (x, y)))
    return out


def test_batched_morse_bott_points_run_no_chain_as_alone():
    """λ = k/2 known before sampling: such a point of a batch runs no chain (as alone), the
    others are sampled as alone; ``record_scan=True`` samples it too, with the same k/2."""
    probs = _tanh_pair()
    kw = dict(draws=300, chains=2, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short runs
        b = estimate_llc_batched(probs, seed=[0, 1], **kw)
        one = [estimate_llc(m, d, seed=s, **kw) for (m, d), s in zip(probs, [0, 1],
                                                                    strict=True)]
        rec = estimate_llc_batched(probs, seed=[0, 1], record_scan=True, **kw)
    assert b[0].exact and one[0].exact and b[0].llc == one[0].llc == 3.5
    assert b[0].loss_trace.size == 0 and b[0].ci == (3.5, 3.5) and b[0].diagnostics.passed
    assert not b[1].exact and b[1].loss_trace.size > 0
    assert math.isclose(b[1].llc, one[1].llc, rel_tol=1e-9)
    np.testing.assert_allclose(b[1].loss_trace, one[1].loss_trace, rtol=1e-10, atol=1e-10)
    assert rec[0].exact and rec[0].llc == 3.5 and rec[0].loss_trace.size > 0
    assert rec[0].config.record_scan and not b[0].config.record_scan
    assert math.isclose(rec[1].llc, b[1].llc, rel_tol=1e-9)  # record_scan: exact points only
