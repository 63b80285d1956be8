"""What an outside probe of the public LLC API (2026-12-06) found: inference tensors and
``torch.inference_mode()`` misread as in-place writes or failing inside torch, a warning that
read "100 < 100", advice to run longer for chains that had diverged, and a calibration
centre of the wrong shape failing inside torch. Each test fails before its fix."""

from __future__ import annotations

import warnings

import pytest
import torch

from slttheory.sampling import LLCWarning, calibrate_step_size, estimate_llc, waic
from slttheory.sampling import chains as _chains
from slttheory.sampling.kernels import LocalizedPotential

KW = {"device": "cpu", "draws": 100, "chains": 2, "method": "single"}


def _data():
    g = torch.Generator().manual_seed(0)
    return torch.randn(100, 2, generator=g), torch.randn(100, 1, generator=g)


def _linear(seed: int = 0) -> torch.nn.Linear:
    torch.manual_seed(seed)
    return torch.nn.Linear(2, 1)


def _quiet(f):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)
        return f()


def test_inference_tensors_as_data_give_the_ordinary_estimate():
    # before: "model: its forward writes the inputs in place" (a clone of an inference
    # tensor has version 1)
    x, y = _data()
    with torch.inference_mode():
        xi, yi = x.clone(), y.clone()
    model = _linear()
    plain = _quiet(lambda: estimate_llc(model, (x, y), **KW))
    inference = _quiet(lambda: estimate_llc(model, (xi, yi), **KW))
    assert inference.llc == plain.llc
    assert _quiet(lambda: waic(model, (xi, yi), device="cpu", draws=100, chains=2)).waic == \
        _quiet(lambda: waic(model, (x, y), device="cpu", draws=100, chains=2)).waic


def test_a_model_made_under_inference_mode_is_sampled_as_its_copy():
    # before: "model: its forward writes 'weight' in place"
    x, y = _data()
    with torch.inference_mode():
        made = _linear()
    with torch.no_grad():
        copy = _linear(1)
        copy.load_state_dict(made.state_dict())
    assert _quiet(lambda: estimate_llc(made, (x, y), **KW)).llc == \
        _quiet(lambda: estimate_llc(copy, (x, y), **KW)).llc
    assert made.weight.is_inference()


def test_inside_inference_mode_the_error_says_so():
    # before: torch's "Inference tensors do not track version counter."
    x, y = _data()
    with torch.inference_mode(), pytest.raises(RuntimeError, match="inference_mode"):
        estimate_llc(_linear(), (x, y), **KW)


def test_an_ess_just_short_of_the_gate_is_not_printed_as_the_gate(monkeypatch):
    # before: "effective sample size (of the mean) 100 < 100"
    x, y = _data()
    monkeypatch.setattr(_chains.dg, "ess", lambda *a, **k: 99.6)
    est = _quiet(lambda: estimate_llc(_linear(), (x, y), **KW))
    text = "; ".join(est.diagnostics.warnings)
    assert "effective sample size (of the mean) 99 < 100" in text, text
    assert not est.diagnostics.passed


def test_chains_that_all_diverged_are_not_told_to_run_longer():
    # before: "200 kept draw(s) per chain are too few for an effective sample size and
    # R-hat; run longer (draws)" beside the divergence
    x, y = _data()
    est = _quiet(lambda: estimate_llc(_linear(), (x, y), step_size=10.0, sampler="sgld",
                                      **{**KW, "draws": 200}))
    text = "; ".join(est.diagnostics.warnings)
    assert est.diagnostics.divergent and not est.diagnostics.passed
    assert "divergent chains" in text and "too few" not in text, text


@pytest.mark.parametrize("center", [torch.zeros(3), torch.zeros(2, 4)])
def test_a_calibration_centre_of_the_wrong_shape_names_itself(center):
    # before: torch's RuntimeError on the sizes of tensors a and b
    pot = LocalizedPotential(lambda w, g: (0.5 * (w**2).sum(-1), w), nbeta=100.0,
                             localization=0.0, center=torch.zeros(4))
    with pytest.raises(ValueError, match=r"center must be one position of shape \(d,\)"):
        calibrate_step_size(pot, center, nbeta=100.0, generator=torch.Generator())
