"""Models as people write them: the estimator and the Jacobian refuse what would silently
give a wrong number, and leave the caller's state as it was.

Each case came from an outside audit of ``estimate_llc`` on real-world modules: batch norm
without running statistics (+0.8 in λ̂ on minibatches of 50), a callable loss that
broadcast (n, 1) outputs against (n,) targets into an (n, n) loss (L(w*) 4.97 instead of
0.005), a forward that draws random numbers outside dropout (the Jacobian of one draw), a
DataLoader that drops or repeats samples, frozen parameters differentiated by ``jacobian``
but held fixed by the estimator, and targets of a transposed layout reshaped to fit.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, RandomSampler, TensorDataset

from slttheory.geometry import jacobian, jacobian_rank
from slttheory.sampling import estimate_llc

pytestmark = pytest.mark.filterwarnings("ignore::slttheory.sampling.LLCWarning")

FAST = dict(method="single", draws=20, burn_in=5, chains=2, step_size=1e-4, device="cpu",
            progress=False)


def _data(n=200, d=3, k=1, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    return x, torch.randn(n, k, generator=g, dtype=torch.float64)


def _net(*middle):
    with torch.random.fork_rng():  # the layers' own initialisation; the global RNG kept
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(3, 4), *middle, nn.Tanh(), nn.Linear(4, 1)).double()


class Noisy(nn.Module):
    """Adds input noise in training mode: random, yet of no class the mode check knows."""

    def forward(self, x):
        return x + 0.1 * torch.randn_like(x) if self.training else x


def test_batch_norm_without_running_statistics_is_refused_even_in_eval_mode():
    model = _net(nn.BatchNorm1d(4, track_running_stats=False)).eval()
    x, y = _data()
    assert not torch.equal(model(x[:50])[0], model(x)[0])  # what made minibatches biased
    with pytest.raises(ValueError, match=r"BatchNorm1d\) without running statistics"):
        estimate_llc(model, (x, y), **FAST)
    with pytest.raises(ValueError, match="without running statistics"):
        jacobian_rank(model, None, x[:20])
    estimate_llc(_net(nn.BatchNorm1d(4)).eval(), (x, y), **FAST)  # with them: accepted


@pytest.mark.parametrize("middle", [nn.RReLU(), Noisy()], ids=["rrelu", "custom-noise"])
def test_a_forward_that_draws_random_numbers_is_refused_and_the_rng_is_put_back(middle):
    model = _net(middle)
    x, y = _data()
    state = torch.random.get_rng_state()
    with pytest.raises(ValueError, match="random"):
        estimate_llc(model, (x, y), **FAST)
    assert torch.equal(state, torch.random.get_rng_state())
    with pytest.raises(ValueError, match="random"):
        jacobian(model, None, x[:20])
    assert torch.equal(state, torch.random.get_rng_state())


def test_the_same_forward_without_its_noise_is_accepted():
    model = _net(Noisy()).eval()
    x, y = _data()
    est = estimate_llc(model, (x, y), **FAST)
    assert math.isfinite(est.llc) and est.config.n == len(x)
    assert jacobian(model, None, x[:20]).shape[0] == 20


def test_a_callable_loss_whose_outputs_and_targets_broadcast_is_refused():
    model = _net()
    x, y = _data()

    def per_sample(out, target):  # (n, 1) against (n,) broadcasts to (n, n); mean(-1) hides it
        return 0.5 * ((out - target) ** 2).mean(-1)

    with pytest.raises(ValueError, match=r"broadcast to \(200, 200\)"):
        estimate_llc(model, (x, y[:, 0]), loss=per_sample, **FAST)
    estimate_llc(model, (x, y), loss=per_sample, **FAST)  # the same shapes: accepted


def test_the_gaussian_loss_reshapes_size_one_axes_only():
    with torch.random.fork_rng():  # the layers' own initialisation; the global RNG kept
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 6), nn.Unflatten(1, (3, 2))).double()
    x, _ = _data()
    # same count, transposed layout
    y = torch.randn(200, 2, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    with pytest.raises(ValueError, match="shape"):
        estimate_llc(model, (x, y), **FAST)
    a = estimate_llc(_net(), _data(), **FAST)
    x, y = _data()
    b = estimate_llc(_net(), (x, y[:, 0]), **FAST)  # (n, 1) outputs, (n,) targets
    assert a.llc == b.llc


@pytest.mark.parametrize("loader", [
    lambda ds: DataLoader(ds, batch_size=64, drop_last=True),
    lambda ds: DataLoader(ds, batch_size=50,
                          sampler=RandomSampler(ds, replacement=True, num_samples=300,
                                                generator=torch.Generator().manual_seed(0))),
], ids=["drop-last", "with-replacement"])
def test_a_dataloader_that_skips_or_repeats_samples_is_refused(loader):
    x, y = _data()
    with pytest.raises(ValueError, match=r"yielded (192|300) samples of its dataset's 200"):
        estimate_llc(_net(), loader(TensorDataset(x, y)), **FAST)


def test_a_shuffled_dataloader_gives_the_tensors_estimate():
    x, y = _data()
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True,
                        generator=torch.Generator().manual_seed(1))
    a, b = estimate_llc(_net(), (x, y), **FAST), estimate_llc(_net(), loader, **FAST)
    assert a.llc == pytest.approx(b.llc, rel=1e-9)


def test_jacobian_of_a_module_differentiates_only_what_the_estimator_samples():
    model = _net()
    model[0].requires_grad_(False)
    x, _ = _data(n=20)
    assert jacobian(model, None, x).shape == (20, 5)  # the last layer's 4 weights and bias
    assert jacobian_rank(model, None, x).n_params == 5


# --- from a mutation audit of these refusals (each test fails one surviving mutant) -----


def test_p9_a_callable_loss_of_one_output_against_several_targets_is_accepted():
    x, _ = _data()
    _, y3 = _data(k=3)
    est = estimate_llc(_net(), (x, y3), loss=lambda o, t: ((o - t) ** 2).mean(-1), **FAST)
    assert math.isfinite(est.llc) and est.config.n == len(x)


class _Pooled(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 1).double()

    def forward(self, x):
        return self.lin(x).sum(0)  # shape (1,): one output for the whole batch


def test_p7_outputs_of_another_count_are_refused_by_shape():
    x, y = _data()
    with pytest.raises(ValueError, match="shape"):
        estimate_llc(_Pooled(), (x, y[:, 0]), **FAST)


# --- from an outside probe of in-place writes, mixed frozen sets and large dense curvature --


class _Writes(nn.Module):
    """A forward that writes its input, a buffer or a parameter in place."""

    def __init__(self, what):
        super().__init__()
        self.lin, self.what = nn.Linear(3, 1).double(), what
        self.register_buffer("count", torch.zeros((), dtype=torch.float64))

    def forward(self, x):
        if self.what == "input":
            x.mul_(2.0)
        elif self.what == "buffer":
            self.count += 1
        else:
            with torch.no_grad():
                self.lin.weight.clamp_(-0.1, 0.1)
        return self.lin(x)


@pytest.mark.parametrize("what,name", [("input", "the inputs"), ("weight", "'lin.weight'")])
def test_a_forward_that_writes_in_place_is_refused_and_nothing_is_written(what, name):
    model, (x, y) = _Writes(what), _data()
    x0, w0 = x.clone(), model.lin.weight.detach().clone()
    with pytest.raises(ValueError, match=f"writes {name} in place"):
        estimate_llc(model, (x, y), **FAST)
    assert torch.equal(x, x0) and torch.equal(model.lin.weight, w0)
    inplace_act = nn.Sequential(nn.Linear(3, 4), nn.ReLU(inplace=True), nn.Linear(4, 1))
    estimate_llc(inplace_act.double(), (x, y), **FAST)  # on its own activations: accepted


def test_batched_points_that_sample_different_parameters_are_refused():
    from slttheory.sampling import estimate_llc_batched

    x, y = _data()
    kw = {k: v for k, v in FAST.items() if k != "progress"}
    a, b = _net(), _net()
    a[0].weight.requires_grad_(False)
    b[2].weight.requires_grad_(False)
    with pytest.raises(ValueError, match=r"problems\[1\] samples the parameters"):
        estimate_llc_batched([(a, (x, y)), (b, (x, y))], **kw)
    estimate_llc_batched([(a, (x, y)), (b, (x, y))], params=["0.bias", "2.bias"], **kw)


def test_dense_preconditioner_on_too_many_parameters_names_the_argument(monkeypatch):
    from slttheory.sampling import precondition

    monkeypatch.setattr(precondition, "DENSE_MAX_DIM", 10)
    x, y = _data()
    with pytest.raises(ValueError, match="preconditioner='dense' builds 21 x 21"):
        estimate_llc(_net(), (x, y), preconditioner="dense", **FAST)
    monkeypatch.setattr(precondition, "DENSE_MAX_DIM", 21)  # at the limit: accepted
    estimate_llc(_net(), (x, y), preconditioner="dense", **FAST)


class _WritesData(nn.Module):
    """A forward that writes its input through ``.data``, which has its own version counter."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 1).double()

    def forward(self, x):
        x.data.mul_(2.0)
        return self.lin(x)


def test_a_write_through_data_is_refused_too():
    model, (x, y) = _WritesData(), _data()
    x0 = x.clone()
    with pytest.raises(ValueError, match="writes the inputs in place"):
        estimate_llc(model, (x, y), **FAST)
    assert torch.equal(x, x0)


def test_batched_points_take_a_dataloader_as_estimate_llc_does():
    """Iterating a DataLoader gave its batches, and the batched entry point then said 'a model
    of several inputs runs one point at a time' (an outside probe): it is concatenated."""
    from slttheory.sampling import estimate_llc_batched

    x, y = _data()
    kw = {k: v for k, v in FAST.items() if k != "progress"}
    loader = DataLoader(TensorDataset(x, y), batch_size=32)
    a = estimate_llc_batched([(_net(), loader)], **kw)[0]
    b = estimate_llc_batched([(_net(), (x, y))], **kw)[0]
    assert a.llc == b.llc


def test_a_tied_parameters_second_name_is_named_as_tied():
    """params=['b.weight'] for a weight tied to a.weight read 'unknown parameter name'."""
    a, b = nn.Linear(3, 3, bias=False).double(), nn.Linear(3, 3, bias=False).double()
    b.weight = a.weight
    model = nn.Sequential()
    model.add_module("a", a)
    model.add_module("b", b)
    x = torch.randn(50, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="'b.weight' is the same tensor as 'a.weight'"):
        estimate_llc(model, (x, model(x).detach()), params=["b.weight"], **FAST)


def test_held_fixed_copies_buffers_always_and_parameters_when_asked():
    """What a functional call holds fixed: every parameter not varied and every buffer, each
    passed through ``convert`` (here float32 → float64, the integer counter left alone);
    buffers are copies, parameters the module's own tensors (detached) unless
    ``copy_parameters`` (a copy of every frozen parameter per call was never needed where
    the forward cannot write it)."""
    from slttheory._inputs import held_fixed

    bn = nn.BatchNorm1d(2)
    to64 = lambda t: t.double() if t.is_floating_point() else t  # noqa: E731
    f = held_fixed(bn, {"weight"}, to64)
    assert sorted(f) == ["bias", "num_batches_tracked", "running_mean", "running_var"]
    assert {k: v.dtype for k, v in f.items()} == {
        "bias": torch.float64, "num_batches_tracked": torch.int64,
        "running_mean": torch.float64, "running_var": torch.float64}
    bn.double()
    f = held_fixed(bn, {"weight"})
    assert f["bias"].data_ptr() == bn.bias.data_ptr() and not f["bias"].requires_grad
    assert f["running_var"].data_ptr() != bn.running_var.data_ptr()
    g = held_fixed(bn, {"weight"}, copy_parameters=True)
    assert g["bias"].data_ptr() != bn.bias.data_ptr() and torch.equal(g["bias"], bn.bias)
    assert g["running_var"].data_ptr() != bn.running_var.data_ptr()


class _Drifts(nn.Module):
    """A forward that adds a buffer it increments to its output: the loss moves each call."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 1).double()
        self.register_buffer("count", torch.zeros((), dtype=torch.float64))

    def forward(self, x):
        self.count += 1
        return self.lin(x) + self.count


def test_a_buffer_written_in_place_is_refused_only_where_the_outputs_move_with_it():
    """The estimator samples on copies of the buffers (every route: the sampler, the
    critical-point check, the curvature, the Jacobian), so a call counter changes nothing of
    the caller's (tests/sampling/test_estimator.py keeps it accepted); a buffer the outputs
    read would make the loss drift from step to step."""
    x, y = _data()
    counter = _Writes("buffer")  # self.count += 1: the critical-point check had passed the
    estimate_llc(counter, (x, y), **FAST)  # caller's buffer itself, which then read 2
    assert float(counter.count) == 0.0
    drifts = _Drifts()
    drifts.forward = lambda x: drifts.lin(x) + drifts.count.add_(1)
    with pytest.raises(ValueError, match="writes 'count' in place"):
        estimate_llc(drifts, (x, y), **FAST)
    assert float(drifts.count) == 0.0
