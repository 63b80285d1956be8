"""Models of several inputs: ``data = (inputs, targets)`` with the inputs a tuple (passed as
``model(*inputs)``) or a dict (``model(**inputs)``, as a tokenizer's output) of tensors.

The estimate on such a model must be the estimate on the same function written with one
input tensor: same chains, same seeds, so the same numbers up to rounding.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch import nn

from slttheory.geometry import critical_point_check
from slttheory.sampling import LLCWarning, estimate_llc, estimate_llc_batched


class OneInput(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 4)
        self.b = nn.Linear(2, 4)
        self.out = nn.Linear(4, 1)

    def forward(self, x):
        return self.out(torch.tanh(self.a(x[:, :3]) + self.b(x[:, 3:])))


class TwoInputs(OneInput):
    def forward(self, u, v):
        return self.out(torch.tanh(self.a(u) + self.b(v)))


class KeywordInputs(OneInput):
    def forward(self, *, tokens, extra):
        return self.out(torch.tanh(self.a(tokens) + self.b(extra)))


def _data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 5, generator=g, dtype=torch.float64)
    with torch.random.fork_rng():  # the module's own initialisation; the global RNG kept
        torch.manual_seed(0)
        one = OneInput().double()
    y = one(x).detach() + 0.1 * torch.randn(300, 1, generator=g, dtype=torch.float64)
    return one, x, y


def _same_weights(cls, one):
    m = cls().double()
    m.load_state_dict(one.state_dict())
    return m


@pytest.mark.parametrize("kw", [
    dict(method="single", step_size=1e-4, draws=200),
    dict(draws=200, morse_bott=False),
    dict(method="single", step_size=1e-4, draws=200, batch_size=50),
])
def test_tuple_and_dict_inputs_give_the_one_tensor_estimate(kw):
    one, x, y = _data()
    two = _same_weights(TwoInputs, one)
    kwd = _same_weights(KeywordInputs, one)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)
        ref = estimate_llc(one, (x, y), device="cpu", seed=3, **kw)
        a = estimate_llc(two, ((x[:, :3], x[:, 3:]), y), device="cpu", seed=3, **kw)
        b = estimate_llc(kwd, ({"tokens": x[:, :3], "extra": x[:, 3:]}, y), device="cpu",
                         seed=3, **kw)
    for est in (a, b):
        assert np.allclose(est.loss_trace, ref.loss_trace, rtol=1e-9, atol=1e-12)
        assert est.llc == pytest.approx(ref.llc, rel=1e-9)


def test_a_mapping_and_a_loader_of_several_inputs_give_the_same_estimate():
    """A tokenizer's output is a Mapping, not a dict (transformers' BatchEncoding is a
    UserDict), and a Dataset may yield ({...}, y) or ((u, v), y) samples: each is the same
    data as the dict of tensors (a review found both refused)."""
    from collections import UserDict

    from torch.utils.data import DataLoader, Dataset

    one, x, y = _data()
    kwd = _same_weights(KeywordInputs, one)
    two = _same_weights(TwoInputs, one)
    inputs = {"tokens": x[:, :3], "extra": x[:, 3:]}

    class Pairs(Dataset):
        def __init__(self, as_dict):
            self.as_dict = as_dict

        def __len__(self):
            return len(y)

        def __getitem__(self, i):
            if self.as_dict:
                return {"tokens": x[i, :3], "extra": x[i, 3:]}, y[i]
            return (x[i, :3], x[i, 3:]), y[i]

    kw = dict(method="single", step_size=1e-4, draws=100, device="cpu", seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)
        ref = estimate_llc(kwd, (inputs, y), **kw)
        mapping = estimate_llc(kwd, (UserDict(inputs), y), **kw)
        loader = estimate_llc(kwd, DataLoader(Pairs(True), batch_size=64), **kw)
        tuples = estimate_llc(two, Pairs(False), **kw)
    for est in (mapping, loader, tuples):
        assert np.allclose(est.loss_trace, ref.loss_trace, rtol=1e-9, atol=1e-12)
    with pytest.raises(TypeError, match="one point at a time"):
        estimate_llc_batched([(kwd, (UserDict(inputs), y))], device="cpu", draws=10)


def test_several_inputs_in_the_minimum_check():
    one, x, y = _data()
    kwd = _same_weights(KeywordInputs, one)
    ref = critical_point_check(one, (x, y), "gaussian", device="cpu")
    got = critical_point_check(kwd, ({"tokens": x[:, :3], "extra": x[:, 3:]}, y), "gaussian",
                               device="cpu")
    assert got.grad_norm == pytest.approx(ref.grad_norm, rel=1e-9)
    assert np.allclose(got.smallest_eigenvalues, ref.smallest_eigenvalues, rtol=1e-7,
                       atol=1e-12)


@pytest.mark.parametrize(("inputs", "error", "fragment"), [
    (lambda x: (x[:, :3], x[:200, 3:]), ValueError, "same leading (sample) size"),
    (lambda x: {"tokens": x[:, :3], "extra": "nope"}, TypeError, "['extra'] must be a tensor"),
    (lambda x: (), TypeError, "non-empty tuple or dict"),
    (lambda x: {"tokens": x[:, :3]}, ValueError, "cannot be evaluated on the inputs"),
])
def test_malformed_inputs_are_named(inputs, error, fragment):
    one, x, y = _data()
    kwd = _same_weights(KeywordInputs, one)
    with pytest.raises(error) as e:
        estimate_llc(kwd, (inputs(x), y), device="cpu", draws=10)
    assert fragment in str(e.value), str(e.value)


def test_the_batched_sweep_asks_for_one_input_tensor():
    one, x, y = _data()
    two = _same_weights(TwoInputs, one)
    with pytest.raises(TypeError, match="one point at a time in estimate_llc"):
        estimate_llc_batched([(two, ((x[:, :3], x[:, 3:]), y))], device="cpu", draws=10)


class Untied(nn.Module):
    """``Sequential(shared, Tanh(), shared, out)`` written with the shared layer's function
    applied twice: the same function of the same parameters."""

    def __init__(self, shared: nn.Linear, out: nn.Linear):
        super().__init__()
        self.shared, self.out = shared, out

    def forward(self, x):
        return self.out(self.shared(torch.tanh(self.shared(x))))


def test_a_submodule_registered_twice_is_left_intact_and_sampled_once():
    """``nn.Sequential(lin, act, lin, out)`` registers one layer under two names. torch's
    ``functional_call`` (2.13) restored that layer's parameters as the call's tensors, so the
    caller's model came back holding float64 plain tensors and its next forward failed
    (after ``estimate_llc``, ``jacobian_rank`` and ``critical_point_check``). The model is now
    left as it was, and its estimate is the one of the same function written without the
    double registration (the shared layer sampled once)."""
    from slttheory.geometry import jacobian_rank

    gen = torch.Generator().manual_seed(0)
    with torch.random.fork_rng():  # the layers' own initialisation; the global RNG kept
        torch.manual_seed(0)
        shared, out = nn.Linear(2, 2), nn.Linear(2, 1)
    tied = nn.Sequential(shared, nn.Tanh(), shared, out)
    x = torch.randn(64, 2, generator=gen)
    y = tied(x).detach() + 0.1 * torch.randn(64, 1, generator=gen)
    before = {k: (type(v), v.dtype, v.detach().clone()) for k, v in
              tied.named_parameters(remove_duplicate=False)}
    kw = dict(method="single", draws=100, chains=2, seed=3, device="cpu", progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)
        a = estimate_llc(tied, (x, y), **kw)
        jacobian_rank(tied, None, x)
        critical_point_check(tied, (x, y), device="cpu")
        b = estimate_llc(Untied(shared, out), (x, y), **kw)
    after = dict(tied.named_parameters(remove_duplicate=False))
    assert tied[0] is tied[2] and tied[0].weight is shared.weight
    for k, (kind, dtype, value) in before.items():
        assert type(after[k]) is kind is nn.Parameter and after[k].dtype == dtype
        assert torch.equal(after[k].detach(), value)
    assert torch.equal(tied(x), out(shared(torch.tanh(shared(x)))))
    assert a.llc == pytest.approx(b.llc, rel=1e-9)


@pytest.mark.parametrize("wrap", ["tensors", "dataset", "loader"])
def test_the_data_s_form_leaves_torch_s_global_random_state_alone(wrap):
    """A DataLoader draws its base seed from torch's global generator when iterated; a Dataset
    (or a loader) of the data left the global state advanced where tensors did not (outside
    fuzz). Every form now leaves it as it was."""
    from torch.utils.data import DataLoader, TensorDataset

    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(64, 2, generator=gen), torch.randn(64, 1, generator=gen)
    data = {"tensors": (x, y), "dataset": TensorDataset(x, y),
            "loader": DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)}[wrap]
    model = nn.Linear(2, 1)
    state = torch.get_rng_state()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)
        estimate_llc(model, data, method="single", draws=50, chains=2, device="cpu",
                     progress=False)
    assert torch.equal(torch.get_rng_state(), state)
