"""One point's sampling problem, as :func:`~slttheory.sampling.estimator.estimate_llc` and
:func:`~slttheory.sampling.batched.estimate_llc_batched` set it up: the data as tensors, the
per-sample loss, the sampled parameters at w*, the vectorised loss and gradient, the
localised potential, and the checks on each (a deterministic model, a loss quadratic in the
residual where the symmetrised estimand needs one).

Internal: the names are private and may change between revisions."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.func import vmap

from slttheory._inputs import (
    Inputs,
    call,
    check_inputs,
    describe,
    held_fixed,
    index,
    leaves,
    map_inputs,
    n_samples,
)
from slttheory._torch_args import check_deterministic, no_random_draws
from slttheory.geometry.critical import CriticalPointCheck, critical_point_check
from slttheory.losses import binary_cross_entropy_nll, check_targets
from slttheory.sampling import localisation as _loc
from slttheory.sampling import precondition as pc
from slttheory.sampling.kernels import (
    LocalizedPotential,
    PreconditionedPotential,
)

LOSSES = ("gaussian", "cross_entropy", "binary_cross_entropy")


def _per_sample_loss(loss: str | Callable) -> Callable[[Tensor, Tensor], Tensor]:
    """``loss(outputs, targets)`` → the ``(n,)`` per-sample negative log-likelihoods: the
    named loss (``"gaussian"``: ½‖y − f(x)‖² summed over outputs; ``"cross_entropy"``: class
    indices or probability rows; ``"binary_cross_entropy"``: one logit,
    :func:`~slttheory.losses.binary_cross_entropy_nll`), or the caller's callable as it is."""
    if callable(loss):
        return loss
    if loss == "gaussian":
        def gaussian(out: Tensor, y: Tensor) -> Tensor:
            r = out - y
            return 0.5 * (r * r).reshape(r.shape[0], -1).sum(-1)
        return gaussian
    if loss == "cross_entropy":
        def xent(out: Tensor, y: Tensor) -> Tensor:
            return torch.nn.functional.cross_entropy(out, y, reduction="none")
        return xent
    if loss == "binary_cross_entropy":
        return binary_cross_entropy_nll
    raise ValueError(f"loss must be one of {list(LOSSES)} or a callable, got {loss!r}")


@dataclass
class _Setup:
    """What one point's sampling needs: w* flattened (``center``) and the names of the sampled
    parameters; ΔL and its gradient for a stack of positions, full batch (``vg_full``) and on
    a minibatch (``vg_batch``); the data on the device with ℓ_i(w*) (``lstar``) and its mean
    L_n(w*) (``init_loss``); and the float64 geometry at and near w*, each computed on first
    call (:class:`_GeometryProbes`)."""

    center: Tensor
    names: tuple[str, ...]
    vg_full: Callable
    vg_batch: Callable
    x: Tensor
    y: Tensor
    lstar: Tensor
    init_loss: float
    n_data: int
    device: torch.device
    dtype: torch.dtype
    loss_name: str
    loss_fn: Callable | None = None  # ΔL(flat, x, y, l*) of one chain (for the Hessian)
    per_sample: Callable | None = None  # (M, d) positions -> (M, n) ℓ_i(w) − ℓ_i(w*)
    spectrum: Callable[[], np.ndarray] | None = None  # Gauss–Newton eigenvalues at w*, float64
    critical: Callable[[], CriticalPointCheck] | None = None  # gradient/Hessian check at w*
    nearby: Callable[[], tuple[int, ...]] | None = None  # Gauss–Newton ranks near w*
    residual: Callable[[], float] | None = None  # ‖H − G‖₂ at w*
    nearby_residual: Callable[[], tuple[float, ...]] | None = None  # ‖H − G‖₂ near w*
    curvature_probe: Callable[[], float] | None = None  # ‖(H − G)v‖/‖Hv‖ near w*, 2 probes
    # true_parameter: (M, d) positions -> (M, n) symmetrised o_i(w) (_symmetrised_shift)
    observable: Callable | None = None
    # elements of the largest tensor per_sample makes for one position (None: not measured)
    footprint: Callable[[], int | None] | None = None

    def largest_draw_tensor(self) -> int | None:
        """Elements of the largest tensor ``per_sample`` makes for one position (measured once,
        :func:`_largest_tensor`); ``None`` where not measured: what sizes the chunks of draws
        evaluated on all n samples (:func:`~slttheory.sampling.fluctuation.chunk_rows`)."""
        return None if self.footprint is None else self.footprint()

    @functools.cached_property
    def noise_loss(self) -> float:
        """The spread of the per-sample losses at w*, max ℓ_i(w*) − min ℓ_i(w*): what tells
        noise-free data (fitted exactly: every ℓ_i at the loss's floor) from noisy
        (:func:`~slttheory.sampling.extrapolate.is_noise_free`), whatever constant the loss
        adds. L_n(w*) told them apart only for losses whose floor is 0: the Gaussian loss minus
        its value at w* on noisy data was read as noise-free, +66 % (an outside probe)."""
        ls = self.lstar.detach().double()
        return float(ls.max() - ls.min()) if ls.numel() else 0.0

    @property
    def estimand_loss(self) -> float:
        """The loss by which the fit and its laws tell noise-free from noisy data: 0 for the
        symmetrised estimand at a true parameter, whose mean is the noise-free estimand's."""
        return 0.0 if self.observable is not None else self.noise_loss


def _check_quadratic(per_sample: Callable[[Tensor, Tensor], Tensor], out: Tensor) -> None:
    r"""Raise unless the per-sample loss is a quadratic form of the residual up to a
    constant, :math:`\ell(f, y) = c + q(y - f)`, which the symmetrised estimand at a true
    parameter assumes (:func:`~slttheory.sampling.estimator._symmetrised_shift`; c, a Gaussian
    NLL's normaliser, cancels in
    every excess loss): the parallelogram law :math:`q(a + b) + q(a - b) = 2q(a) + 2q(b)` on two
    fixed residuals, with :math:`q = \ell - \ell(f, f)`. The residuals are scaled to the
    outputs, so that ``out + r`` keeps r's digits in float32 when the outputs are large."""
    g = torch.Generator().manual_seed(0)
    size = max(1.0, float(out.detach().abs().max())) if out.numel() else 1.0
    a, b = (size * torch.randn(out.shape, generator=g, dtype=torch.float64).to(out)
            for _ in range(2))
    with torch.no_grad():
        q0, *q = [per_sample(out, out + r).double() for r in (0 * a, a + b, a - b, a, b)]
    q = [v - q0 for v in q]
    scale = float(q[0].abs().max() + q[1].abs().max()) + 1e-30
    lhs, rhs = q[0] + q[1], 2 * q[2] + 2 * q[3]
    if not float((lhs - rhs).abs().max()) <= 1e-4 * scale:
        raise ValueError("true_parameter=True needs a loss quadratic in the residual y − f(x) "
                         "(a Gaussian likelihood, up to a constant: the parallelogram law); "
                         "this loss is not")


def _concatenated(batches: list[Any]) -> Any:
    """A loader's input batches joined along the samples, input by input (one tensor, or a
    tuple or dict of them: every batch of the same structure)."""
    first = batches[0]
    if isinstance(first, Tensor):
        return torch.cat(batches)
    if isinstance(first, Mapping):
        if any(not isinstance(b, Mapping) or list(b) != list(first) for b in batches):
            raise TypeError("data: the DataLoader's input dicts differ in their keys")
        return {k: torch.cat([b[k] for b in batches]) for k in first}
    if any(isinstance(b, Mapping | Tensor) or len(b) != len(first) for b in batches):
        raise TypeError("data: the DataLoader's input tuples differ in length")
    return tuple(torch.cat([b[i] for b in batches]) for i in range(len(first)))


def _as_tensors(data: Any) -> tuple[Tensor, Tensor]:
    """``data`` as one (inputs, targets) pair: a pair of tensors, or a
    ``torch.utils.data.DataLoader`` or ``Dataset`` of (input, target) pairs, concatenated
    once (the estimator evaluates the full-data loss at w*; minibatches, if any, it draws
    itself from its own generator). Iterating a loader draws its base seed from torch's
    global generator; that state is put back (``torch.random.fork_rng``), so that passing a
    Dataset leaves the caller's random state as passing tensors does.

    >>> ds = torch.utils.data.TensorDataset(torch.zeros(5, 2), torch.ones(5))
    >>> [tuple(t.shape) for t in _as_tensors(torch.utils.data.DataLoader(ds, batch_size=2))]
    [(5, 2), (5,)]
    """
    from torch.utils.data import DataLoader, Dataset, IterableDataset

    if isinstance(data, Dataset) and not isinstance(data, DataLoader):
        data = DataLoader(data, batch_size=4096)
    if isinstance(data, DataLoader):
        if isinstance(data.dataset, IterableDataset):  # it may never end (an outside probe)
            raise TypeError("data: a DataLoader over an IterableDataset has no fixed size, and "
                            "the estimator needs the whole data set (n samples); pass tensors "
                            "(inputs, targets) or a map-style Dataset")
        xs, ys = [], []
        with torch.random.fork_rng(devices=[]):
            batches = list(data)
        for batch in batches:
            if not (isinstance(batch, tuple | list) and len(batch) == 2
                    and isinstance(batch[1], Tensor)
                    and isinstance(batch[0], Tensor | tuple | list | Mapping)):
                raise TypeError("data: a DataLoader must yield (inputs, targets) pairs of "
                                "tensors (inputs may be a tuple or dict of tensors), got "
                                f"{type(batch).__name__}")
            xs.append(batch[0] if isinstance(batch[0], Tensor) else check_inputs(batch[0]))
            ys.append(batch[1])
        if not xs:
            raise ValueError("data: the DataLoader yielded no batches")
        total = sum(int(t.shape[0]) for t in ys)
        size = len(data.dataset) if hasattr(data.dataset, "__len__") else total
        if total != size:
            raise ValueError(f"data: the DataLoader yielded {total} samples of its dataset's "
                             f"{size} (drop_last, or a sampler that skips or repeats samples); "
                             "the estimator needs each sample once: pass the Dataset itself")
        return _concatenated(xs), torch.cat(ys)
    if (isinstance(data, tuple | list) and len(data) == 2 and isinstance(data[1], Tensor)
            and isinstance(data[0], tuple | list | Mapping)):  # a model of several inputs
        return check_inputs(data[0]), data[1]
    if not (isinstance(data, tuple | list) and len(data) == 2
            and all(isinstance(t, Tensor) for t in data)):
        got = type(data).__name__
        if isinstance(data, tuple | list):
            got = (f"a {got} of {len(data)} ("
                   + ", ".join(type(t).__name__ for t in data[:3])
                   + (", ..." if len(data) > 3 else "") + ")")
        hint = ("; convert arrays with torch.as_tensor" if isinstance(data, tuple | list)
                and any(hasattr(t, "__array__") and not isinstance(t, Tensor) for t in data)
                else "")
        raise TypeError("data must be a tuple (inputs, targets) of tensors (inputs may be a "
                        "tuple or dict of tensors, for a model of several inputs) or a "
                        f"DataLoader of such pairs, got {got}{hint}")
    return data[0], data[1]


def _setup(model: torch.nn.Module, data: Any, loss: str | Callable,
           params: Iterable[str] | None, device: torch.device, finite: bool = True,
           true_parameter: bool = False) -> _Setup:
    """Everything one point's sampling needs. ``finite``: NaN/Inf in the data raise (a
    batched run passes ``False``: such a point is flagged as failed, and the others run).
    ``true_parameter``: also the symmetrised observable
    (:func:`~slttheory.sampling.estimator._symmetrised_shift`)."""
    if true_parameter and not (loss == "gaussian" or callable(loss)):
        raise ValueError("true_parameter=True needs loss='gaussian' or a callable quadratic in "
                         f"the residual (a Gaussian likelihood), got loss={loss!r}")
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if torch.is_inference_mode_enabled():  # an outside probe: torch's version-counter error
        raise RuntimeError("the sampler differentiates the loss, which torch.inference_mode() "
                           "forbids: call it outside the inference_mode block "
                           "(torch.no_grad() is fine)")
    check_deterministic(model)
    x, y = _checked_data(data, finite)
    all_params, names, dtype = _sampled_parameters(model, params)
    sel = {k: _plain(all_params[k].detach().to(device)) for k in names}
    frozen = held_fixed(model, sel, lambda v: _plain(v.to(device)))
    shapes = [v.shape for v in sel.values()]
    sizes = [v.numel() for v in sel.values()]
    center = torch.cat([v.reshape(-1) for v in sel.values()]).to(dtype)
    # data that requires grad would leak into the sampler's graphs
    x = map_inputs(lambda t: _plain(t.detach().to(device, dtype if t.is_floating_point()
                                                  else None)), x)
    y = _plain(y.detach())
    loss_name = loss if isinstance(loss, str) else getattr(loss, "__name__", "callable")
    if loss == "cross_entropy":
        if y.ndim == 2 and y.is_floating_point():  # probability rows (soft labels), as
            y = y.to(device, dtype)                # cross_entropy_nll documents
        elif y.is_floating_point() or y.ndim != 1:
            raise ValueError("data: cross_entropy targets must be a 1-D integer tensor of "
                             "class indices or (n, C) probability rows, got dtype "
                             f"{y.dtype} shape {tuple(y.shape)}")
        else:
            y = y.to(device)
    else:
        y = y.to(device)
        if y.is_floating_point():
            y = y.to(dtype)
    check_targets(loss, y, "data's targets")
    per_sample = _per_sample_loss(loss)
    out, y, lstar = _loss_at_center(model, (sel, frozen), x, y, loss, per_sample, dtype)

    def unflatten(flat: Tensor) -> dict[str, Tensor]:
        return {k: t.view(s) for k, t, s in zip(sel, torch.split(flat, sizes), shapes,
                                                 strict=True)}

    def delta_loss(flat: Tensor, xb: Inputs, yb: Tensor, lb: Tensor) -> Tensor:
        o = call(model, (unflatten(flat), frozen), xb)
        # in the parameters' dtype: a float64 loss of a float32 model failed mid-sampling
        return (per_sample(o, yb).to(lb.dtype) - lb).mean()

    # Forward vectorised over chains by vmap, backward by ordinary autograd on the sum over
    # chains (chains are independent, so d(sum)/dW_k = grad of chain k): measured about 30 %
    # faster on CPU than vmap(grad(...)).
    f_full = vmap(delta_loss, in_dims=(0, None, None, None))
    f_batch = vmap(delta_loss, in_dims=(0, 0, 0, 0))
    try:  # one vectorised evaluation: a forward vmap cannot run fails here, not mid-sampling
        with torch.no_grad():
            f_full(center.unsqueeze(0), x, y, lstar)
    except RuntimeError as e:
        raise ValueError(
            "model: its forward (with the loss) cannot be vectorised over chains by "
            "torch.func.vmap, which every sampler uses: Python control flow on tensor values "
            "(if x.sum() > 0), .item() or in-place updates of inputs are not allowed "
            f"({str(e).splitlines()[0][:200]})") from e

    def per_sample_delta(flat: Tensor, xb: Inputs, yb: Tensor, lb: Tensor) -> Tensor:
        o = call(model, (unflatten(flat), frozen), xb)
        return per_sample(o, yb).to(lb.dtype) - lb

    ps_full = vmap(per_sample_delta, in_dims=(0, None, None, None))

    def per_sample_at(w: Tensor) -> Tensor:
        with torch.no_grad():
            return ps_full(w.to(dtype), x, y, lstar)

    @functools.cache
    def footprint() -> int | None:
        return _largest_tensor(ps_full, center, x, y, lstar)

    observable_at = None
    if true_parameter:  # o_i(w) = δℓ_i against targets halfway to the teacher's outputs
        if not out.is_floating_point() or out.shape != y.shape:
            raise ValueError("true_parameter=True needs real targets of the model's output "
                             f"shape {tuple(out.shape)}, got {tuple(y.shape)}")
        _check_quadratic(per_sample, out)
        y_half = 0.5 * (y + out.to(y.dtype))
        l_half = per_sample(out, y_half).to(dtype)

        def observable_at(w: Tensor) -> Tensor:
            with torch.no_grad():
                return ps_full(w.to(dtype), x, y_half, l_half)

    probes = _GeometryProbes(model, (x, y), loss, per_sample, names, all_params, device)
    return _Setup(center, names, _value_and_grad(f_full), _value_and_grad(f_batch), x, y,
                  lstar, float(lstar.double().mean()), n_samples(x), device, dtype, loss_name,
                  delta_loss, per_sample_at, probes.spectrum, probes.critical, probes.nearby,
                  probes.residual, probes.nearby_residual, probes.curvature_probe,
                  observable_at, footprint)


def _plain(t: Tensor) -> Tensor:
    """``t``, or a normal copy of it where it is an inference tensor (made under
    ``torch.inference_mode()``: autograd cannot save it and it has no version counter, so
    the in-place write check read a clone's version as a write by the forward, an outside
    probe)."""
    return t.clone() if t.is_inference() else t


def _largest_tensor(per_sample: Callable, center: Tensor, *args: Any) -> int | None:
    """Elements of the largest tensor that ``per_sample`` (vectorised over positions) makes
    for the one position ``center``: the most of any tensor a torch function returns or its
    backward would save (the activations), and of its output, at least the number of
    samples; ``None`` when the evaluation fails. One forward, watched by autograd's
    saved-tensor hooks and by a :class:`torch.overrides.TorchFunctionMode`, neither of which
    traces the model or imports torch's compiler stack (a dispatch mode would, about 1 s the
    first time).

    Both are needed. Autograd saves only what a backward reads: the output of a linear map
    consumed by another linear one is never saved (a convolution averaged over the image,
    an embedding lookup averaged over tokens, a wide layer summed, anything upstream of
    frozen parameters or computed from data and buffers alone), and measured by the hooks
    alone such models were chunked by their inputs' size: a width-512 layer summed, at
    n = 1000, evaluated 1000 draws at once, a (1000, 1000, 512) tensor, where a sampler
    step held 4 draws (peak resident memory 2.5 GB against 1.6 GB, measured). The function
    mode sees every result of a torch call made from Python; the hooks see the intermediates
    of composite operators called as one (a loss's log-softmax).

    >>> import torch
    >>> from torch.func import vmap
    >>> f = vmap(lambda w, x: torch.tanh(x[:, None] * w).sum(-1), in_dims=(0, None))
    >>> _largest_tensor(f, torch.zeros(8), torch.ones(100))   # the (100, 8) activation
    800
    >>> g = vmap(lambda w, x: (x[:, None] * w).sum(-1), in_dims=(0, None))
    >>> _largest_tensor(g, torch.zeros(8), torch.ones(100))   # (100, 8), never saved
    800
    """
    from torch.overrides import TorchFunctionMode
    from torch.utils._pytree import tree_leaves

    largest = 0

    def seen(t: Any) -> None:
        nonlocal largest
        if isinstance(t, Tensor):
            largest = max(largest, t.numel())

    def pack(t: Tensor) -> Tensor:
        seen(t)
        return t

    class _Results(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
            out = func(*args, **(kwargs or {}))
            for t in tree_leaves(out):
                seen(t)
            return out

    w = center.detach().unsqueeze(0).clone().requires_grad_(True)
    try:
        with (torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t),
              _Results()):
            out = per_sample(w, *args)
    except Exception:  # noqa: BLE001  (not measured: the caller keeps its cautious chunks)
        return None
    return max(largest, out.numel())


def _checked_data(data: Any, finite: bool) -> tuple[Tensor, Tensor]:
    """``data`` as (inputs, targets) with one leading sample dimension; NaN/Inf raise when
    ``finite``."""
    x, y = _as_tensors(data)
    xs = leaves(x)
    if any(t.ndim == 0 for t in xs) or y.ndim == 0 or any(t.shape[0] != y.shape[0] for t in xs) \
            or y.shape[0] == 0:
        raise ValueError(
            f"data: inputs and targets need the same leading (sample) dimension n >= 1, got "
            f"inputs {describe(x)} and targets of shape {tuple(y.shape)}"
        )
    for name, t in [*(("inputs", t) for t in xs), ("targets", y)] if finite else ():
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            bad = int((~torch.isfinite(t)).sum())
            raise ValueError(f"data: {name} contain {bad} NaN/Inf entr{'y' if bad == 1 else 'ies'}")
    return x, y


def _sampled_parameters(model: torch.nn.Module, params: Iterable[str] | None
                        ) -> tuple[dict[str, Tensor], tuple[str, ...], torch.dtype]:
    """All named parameters, the names of the sampled ones (``params``, or every parameter
    with ``requires_grad``, as torch's optimisers take them) and their floating dtype."""
    all_params = dict(model.named_parameters())
    if not all_params:
        raise ValueError("model has no parameters")
    if params is None:  # as torch's optimisers (and devinterp): frozen parameters stay put
        names = tuple(k for k, v in all_params.items() if v.requires_grad)
        if not names:
            raise ValueError("params: every parameter of the model has requires_grad=False; "
                             "pass params=[...] to name the ones to sample")
    else:
        try:
            names = tuple(params) if not isinstance(params, str) else (params,)
        except TypeError:
            raise TypeError(f"params must be parameter names (a str or an iterable of str), "
                            f"got {type(params).__name__}; valid names: "
                            f"{list(all_params)}") from None
        if not all(isinstance(p, str) for p in names):
            raise TypeError(f"params must name parameters by str, got {names!r}; valid "
                            f"names: {list(all_params)}")
        unknown = [p for p in names if p not in all_params]
        tied = {k: next(n for n, w in all_params.items() if w is v)
                for k, v in model.named_parameters(remove_duplicate=False) if k in unknown}
        if tied:  # a second name of a shared tensor: torch lists each tensor once
            k, first = next(iter(tied.items()))
            raise ValueError(f"params: {k!r} is the same tensor as {first!r} (tied weights); "
                             f"name it {first!r}, once")
        if unknown or not names:
            raise ValueError(
                f"params: unknown parameter name(s) {unknown or '(empty)'}; valid names: "
                f"{list(all_params)}"
            )
        names = tuple(dict.fromkeys(names))
    dtype = all_params[names[0]].dtype
    for name in names:  # every sampled parameter, not only the first (an outside probe)
        if not all_params[name].dtype.is_floating_point:
            raise TypeError(f"params: {name!r} is {all_params[name].dtype}; a sampled "
                            "parameter must be floating point")
        if all_params[name].dtype != dtype:
            raise TypeError(f"params: {name!r} is {all_params[name].dtype} and "
                            f"{names[0]!r} {dtype}; the sampled parameters share one dtype")
    if torch.finfo(dtype).bits < 32:
        raise TypeError(f"model parameters are {dtype}: the sampler's steps (ε down to ~1e-6 "
                        "times the posterior scale) underflow in half precision; pass "
                        "model.float() (or .double())")
    return all_params, names, dtype


def _same_values(a: Tensor, b: Tensor) -> bool:
    """Whether two tensors of one shape hold the same values, NaN equal to NaN."""
    return bool(((a == b) | ((a != a) & (b != b))).all())


def _loss_at_center(model: torch.nn.Module, weights: tuple[dict, dict], x: Tensor, y: Tensor,
                    loss: str | Callable, per_sample: Callable, dtype: torch.dtype
                    ) -> tuple[Tensor, Tensor, Tensor]:
    """The outputs at w*, the targets (reshaped to the outputs for a Gaussian loss) and the
    per-sample losses ℓ_i(w*), each step checked with an error that names what is wrong."""
    with torch.no_grad():
        with no_random_draws("model: its forward draws random numbers (dropout, noise or a "
                             "random activation in training mode?); the LLC is of a "
                             "deterministic function: call model.eval() or remove the noise"):
            # on copies: a forward that writes its inputs, parameters or buffers in place is
            # refused before it can write the caller's (x.mul_(2) doubled the caller's data
            # at every step, an outside probe)
            xc = map_inputs(torch.clone, x)
            wc = tuple({k: v.clone() for k, v in w.items()} for w in weights)
            try:
                out = call(model, wc, xc)
            except (RuntimeError, TypeError, ValueError, IndexError) as e:
                raise ValueError(f"data: the model cannot be evaluated on the inputs "
                                 f"({describe(x)}): {type(e).__name__}: {str(e)[:300]}") from e
        # a version counter for ordinary in-place ops, the values for writes through .data
        # (which has a counter of its own; an outside review)
        pairs = (*(("the inputs", c, o) for c, o in zip(leaves(xc), leaves(x), strict=True)),
                 *((repr(k), wc[i][k], v) for i, w in enumerate(weights) for k, v in w.items()))
        written = [k for k, c, o in pairs if c._version or not _same_values(c, o)]
        buffers = {repr(k) for k, _ in model.named_buffers()}
        if written and set(written) <= buffers:
            # the estimator samples on copies of the buffers, so a write there (a call
            # counter, a cache) changes nothing of the caller's: refused only where the
            # outputs move with it, and the loss would drift from step to step
            again = call(model, wc, map_inputs(torch.clone, x))
            if isinstance(out, Tensor) and isinstance(again, Tensor) and again.shape == out.shape \
                    and _same_values(again, out):
                written = []
        if written:
            raise ValueError(f"model: its forward writes {written[0]} in place (x.mul_(...), "
                             "buffer += 1, h.relu_() on an input): the sampled loss must be a "
                             "fixed function of the parameters, and the caller's tensors would "
                             "be changed; use out-of-place operations")
        if not isinstance(out, Tensor):
            raise TypeError(f"model must return one tensor of outputs, got "
                            f"{type(out).__name__} (wrap the model to select the output)")
        if loss == "gaussian":
            if out.shape != y.shape:
                if (out.shape[0] == y.shape[0] and [k for k in out.shape[1:] if k != 1]
                        == [k for k in y.shape[1:] if k != 1]):  # (n, 1) vs (n,) only
                    y = y.reshape(out.shape)
                else:
                    raise ValueError(
                        f"data: targets of shape {tuple(y.shape)} do not match model outputs "
                        f"of shape {tuple(out.shape)} under loss='gaussian' (the default)"
                        + ("; class indices need loss='cross_entropy'"
                           if y.ndim == 1 and not y.is_floating_point() else "")
                    )
        elif loss == "cross_entropy":
            if out.ndim != 2 or out.shape[0] != y.shape[0]:
                raise ValueError(f"cross_entropy needs outputs of shape (n, classes), got "
                                 f"{tuple(out.shape)}")
            if y.ndim == 2 and y.shape != out.shape:
                raise ValueError(f"data: probability rows of shape {tuple(y.shape)} do not "
                                 f"match logits of shape {tuple(out.shape)}")
            if y.ndim == 1 and (int(y.min()) < 0 or int(y.max()) >= out.shape[1]):
                raise ValueError(f"data: class indices must lie in [0, {out.shape[1] - 1}]")
        if callable(loss) and out.shape != y.shape:
            try:
                both = torch.broadcast_shapes(out.shape, y.shape)
            except RuntimeError:
                both = None
            if both is not None and both not in (out.shape, y.shape):
                raise ValueError(
                    f"data: outputs of shape {tuple(out.shape)} and targets of shape "
                    f"{tuple(y.shape)} broadcast to {tuple(both)}, pairing every output with "
                    f"every target; reshape the targets to the outputs' shape")
        try:
            lstar = per_sample(out, y)
        except (RuntimeError, TypeError, ValueError, IndexError) as e:
            raise ValueError(f"loss: cannot be evaluated on the model's outputs (shape "
                             f"{tuple(out.shape)}) and the targets (shape {tuple(y.shape)}, "
                             f"dtype {y.dtype}): {type(e).__name__}: {str(e)[:300]}") from e
        if not isinstance(lstar, Tensor) or not lstar.is_floating_point():
            got = (f"a {lstar.dtype} tensor" if isinstance(lstar, Tensor)
                   else type(lstar).__name__)
            raise TypeError(f"loss must return a floating-point tensor of per-sample NLLs, "
                            f"got {got}")
        if lstar.shape != (n_samples(x),):
            hint = (" (a loss that averages: pass its per-sample form, e.g. reduction='none')"
                    if lstar.ndim == 0 else "")
            raise ValueError(f"loss must return per-sample NLLs of shape ({n_samples(x)},), "
                             f"got {tuple(lstar.shape)}{hint}")
    return out, y, lstar.to(dtype)


def _value_and_grad(f: Callable) -> Callable:
    """``f``'s values and its gradient in the first argument (chains on the leading axis)."""
    def vg(w: Tensor, *args: Tensor) -> tuple[Tensor, Tensor]:
        with torch.enable_grad():
            w = w.detach().requires_grad_(True)
            v = f(w, *args)
            (g,) = torch.autograd.grad(v.sum(), w)
        return v.detach(), g
    return vg


class _GeometryProbes:
    """The float64 geometry at and near w* that the estimate may ask for, each computed on
    first use (:mod:`slttheory.sampling.localisation`, :func:`~slttheory.geometry.critical
    .critical_point_check`): the Gauss–Newton spectrum, the minimum check, the Gauss–Newton
    ranks and Hessian residuals at nearby points (a fixed probe, not a draw of the estimate's),
    and the curvature probe."""

    def __init__(self, model: torch.nn.Module, data: tuple[Tensor, Tensor], loss: Any,
                 per_sample: Callable, names: tuple[str, ...], all_params: dict[str, Tensor],
                 device: torch.device) -> None:
        self._args = (model, data, per_sample, names)
        self._model, self._data, self._loss = model, data, loss
        self._params = {k: all_params[k] for k in names}
        self._device = device

    @functools.cached_property
    def _gauss_newton(self) -> Tensor:  # the deficit and the Morse–Bott rule both use it
        return _loc.gauss_newton_matrix(*self._args)

    @functools.cached_property
    def _nearby_gn(self) -> list:  # shared by nearby() and nearby_residual()
        return _loc.nearby_gauss_newton(*self._args, torch.Generator().manual_seed(0))

    @functools.cached_property
    def _spectrum(self) -> np.ndarray:
        return np.linalg.eigvalsh(self._gauss_newton.cpu().numpy())

    @functools.cached_property
    def _residual(self) -> float:
        return _loc.residual_norm(self._gauss_newton, _loc.loss_hessian_matrix(*self._args))

    # Methods, as _Setup's fields are callables; the cached values live on this instance
    # (a functools.cache on a method would keep every set-up's model and data alive).
    def spectrum(self) -> np.ndarray:
        return self._spectrum

    def critical(self) -> CriticalPointCheck:
        return critical_point_check(self._model, self._data, self._loss, device=self._device,
                                    params=self._params)

    def nearby(self) -> tuple[int, ...]:
        return _loc.nearby_ranks(*self._args, gauss_newton=self._nearby_gn)

    def residual(self) -> float:
        return self._residual

    def nearby_residual(self) -> tuple[float, ...]:  # at nearby()'s points
        return _loc.nearby_residuals(*self._args, gauss_newton=self._nearby_gn)

    def curvature_probe(self) -> float:  # as far out as nearby()'s farthest point
        return self._curvature_probe

    @functools.cached_property
    def _curvature_probe(self) -> float:  # seeded, so one value: asked by the rank and its note
        return _loc.curvature_probe(*self._args, torch.Generator().manual_seed(0))


def _potential(s: _Setup, nbeta: float | Tensor, gamma: float, batch_size: int,
               curvature: pc.Curvature | None = None
               ) -> LocalizedPotential | PreconditionedPotential:
    """The localized potential of one point; in the coordinates of ``curvature`` if given."""
    full = batch_size >= s.n_data
    draw = None
    if full:
        def loss_and_grad(w: Tensor, _batch: Any) -> tuple[Tensor, Tensor]:
            return s.vg_full(w, s.x, s.y, s.lstar)
    else:
        def loss_and_grad(w: Tensor, idx: Tensor) -> tuple[Tensor, Tensor]:
            return s.vg_batch(w, index(s.x, idx), s.y[idx], s.lstar[idx])

        def draw(gen: torch.Generator | None, rows: int) -> Tensor:
            return torch.randint(0, s.n_data, (rows, batch_size), generator=gen,
                                 device=s.device)
    pot = LocalizedPotential(loss_and_grad, nbeta, gamma, s.center, full_batch=full,
                             batch_sampler=draw)
    if curvature is None:
        return pot
    # one group, as the batched sampler's per-point groups: the same bmm, the same rounding
    return PreconditionedPotential(pot, curvature.factor.unsqueeze(0), groups=1)


def _curvature(s: _Setup, kind: str, nbeta: float, gamma: float, gen: torch.Generator
               ) -> pc.Curvature | None:
    """The constant preconditioner of :mod:`slttheory.sampling.precondition` at ``nbeta``
    (``None`` for ``kind='none'``); the Hessian uses at most ``HESSIAN_MAX_SAMPLES`` samples."""
    if kind == "none":
        return None
    d = s.center.numel()
    if kind == "dense" and d > pc.DENSE_MAX_DIM:
        raise ValueError(f"preconditioner='dense' builds {d} x {d} matrices ({d} sampled "
                         f"parameters, at most {pc.DENSE_MAX_DIM}); pass "
                         "preconditioner='diagonal' or None")
    idx = pc.subsample(s.n_data, s.device)
    x, y, ls = (s.x, s.y, s.lstar) if idx is None else (index(s.x, idx), s.y[idx], s.lstar[idx])

    def loss(w: Tensor) -> Tensor:
        return s.loss_fn(w, x, y, ls)

    c = s.center.detach()
    if kind == "dense":
        hess = pc.loss_hessian(loss, c)
    else:
        hess = pc.loss_hessian_diagonal(loss, c, gen)
    return pc.curvature_factor(hess, nbeta, gamma, kind)
