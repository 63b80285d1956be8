"""LLCEstimate.to_json / from_json (save / load): every field comes back, arrays with their
dtype and shape, NaN kept; a file that names anything but the estimate's own classes, or is
not such a file at all, is refused with a reason, and nothing in it is run."""

from __future__ import annotations

import dataclasses
import json
import math
import warnings

import numpy as np
import pytest
import torch

from slttheory.sampling import LLCEstimate, LLCWarning, estimate_llc


def same(a, b, where="est"):
    """Field by field, NaN equal to NaN, arrays by dtype, shape and values."""
    assert type(a) is type(b), (where, type(a), type(b))
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert np.array_equal(a, b, equal_nan=True), where
    elif isinstance(a, tuple | list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), where
    else:
        assert a == b, (where, a, b)


def _problem(noise: float):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 2, generator=g, dtype=torch.float64)
    m = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
    m = m.double()
    y = m(x).detach() + noise * torch.randn(200, 1, generator=g, dtype=torch.float64)
    return m, (x, y)


@pytest.mark.parametrize("kw", [
    dict(morse_bott=False, draws=200),            # a sampled scan, its fit and laws
    dict(draws=200),                              # the Morse–Bott rule: exact, no chain
    dict(method="single", step_size=1e-3, draws=100),
])
def test_an_estimate_comes_back_field_by_field(tmp_path, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)
        est = estimate_llc(*_problem(0.0), device="cpu", **kw)
    back = LLCEstimate.from_json(est.to_json())
    same(est, back)
    est.save(tmp_path / "e.json")
    same(est, LLCEstimate.load(tmp_path / "e.json"))
    assert back.summary() == est.summary()
    json.loads((tmp_path / "e.json").read_text())  # standard JSON: no bare NaN


@pytest.mark.parametrize(("edit", "fragment"), [
    (lambda d: d.update(format="other/1"), "not a slttheory.LLCEstimate/1 file"),
    (lambda d: d["value"].update({"__class__": "os.system"}), "unknown class 'os.system'"),
    (lambda d: d["value"].update(extra=1), "has no field(s) ['extra']"),
    (lambda d: d["value"]["config"].update({"__class__": "builtins.eval"}), "value.config"),
    (lambda d: d["value"].update(llc={"__float__": "1e999"}), "not a non-finite float"),
    (lambda d: d.pop("value"), "malformed"),
    (lambda d: d["value"].pop("llc"), "malformed"),
    (lambda d: d["value"].update(per_chain={"__ndarray__": [1.0]}), "malformed"),
    (lambda d: d["value"].update(ci={"__tuple__": 5}), "malformed"),
    # fields of the wrong kind, which had loaded and failed only when printed (outside fuzz)
    (lambda d: d["value"].update(llc="hello"), "value.llc: expected float, got 'hello'"),
    (lambda d: d["value"].update(llc=True), "value.llc: expected float, got True"),
    (lambda d: d["value"].update(ci={"__tuple__": [0, 1, 2]}), "value.ci: expected"),
    (lambda d: d["value"].update(diagnostics=None), "value.diagnostics: expected Diagnostics"),
    (lambda d: d["value"].update(loss_trace=5), "value.loss_trace: expected ndarray"),
    (lambda d: d["value"]["config"].update(seed=1.5), "value.config.seed: expected int"),
    (lambda d: d["value"]["diagnostics"].update(warnings=[1]), "value.diagnostics.warnings"),
    (lambda d: d["value"].update(per_chain={"__ndarray__": ["x"], "dtype": "object",
                                            "shape": [1]}), "an array of dtype object"),
    (lambda d: d["value"].update(per_chain={"__ndarray__": [1.0], "dtype": "float64",
                                            "shape": [2]}), "value.per_chain: not an array"),
])
def test_a_file_that_is_not_an_estimate_is_refused(edit, fragment):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)
        est = estimate_llc(*_problem(0.0), device="cpu", method="single", step_size=1e-3,
                           draws=20)
    data = json.loads(est.to_json())
    edit(data)
    with pytest.raises(ValueError) as e:
        LLCEstimate.from_json(json.dumps(data))
    assert fragment in str(e.value), str(e.value)
    with pytest.raises(ValueError, match="not JSON"):
        LLCEstimate.from_json("{")
    with pytest.raises(ValueError, match="nests too deeply"):
        LLCEstimate.from_json('{"format": "x", "value": ' + "[" * 100_000 + "]" * 100_000 + "}")
