"""The Jacobian of the parameter-to-outputs map, in float64, via ``torch.func``.

For a model ``f(θ, x)`` and fixed inputs ``x_1, …, x_N`` the map

    θ ↦ (f(θ, x_1), …, f(θ, x_N)) ∈ ℝ^{N·k}

has a Jacobian of shape ``(N·k, d)``, where ``k`` is the number of outputs and ``d`` the
number of parameters. Its rank at θ is the dimension of the image of the tangent map: the
quantity behind seed 001's reparametrisation argument (arXiv 2603.01192, Thm F.1) and the
NTK/lazy-regime ranks (Thm 5.1, 5.2).

Conventions (fixed; tests pin them):

- **rows are sample-major**: row ``s * k + o`` is output ``o`` at sample ``s``;
- **columns** are the parameters flattened one tensor after another in the dict's
  iteration order (a ``torch.nn.Module``: the order of ``named_parameters()``, or of the
  override dict), each tensor flattened in row-major (C) order, as ``Tensor.reshape(-1)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from torch.func import jacfwd, jacrev

from slttheory._inputs import functional, held_fixed
from slttheory._torch_args import check_deterministic, no_in_place_writes, no_random_draws
from slttheory._torch_compat import load_forward_ad
from slttheory.geometry.exact_arithmetic import IntegerExactnessAudit

__all__ = ["jacobian", "flatten_params"]

ParamsLike = Mapping[str, torch.Tensor] | torch.Tensor


def _as_float64(value: Any, what: str) -> torch.Tensor:
    """``value`` (tensor or numpy array) as a detached float64 CPU tensor; complex/bool refused."""
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    if not isinstance(value, torch.Tensor):
        raise TypeError(
            f"{what} must be a torch.Tensor (or numpy array), got {type(value).__name__}"
        )
    if value.is_complex() or value.dtype == torch.bool:
        raise TypeError(f"{what} must be real (floating or integer), got dtype {value.dtype}")
    return value.detach().to(dtype=torch.float64)


def flatten_params(params: ParamsLike) -> tuple[torch.Tensor, list[tuple[str, tuple[int, ...]]]]:
    """Flatten a dict of tensors (or one tensor) into one float64 vector, in the column order.

    Returns the vector and the layout ``[(name, shape), …]`` (name ``""`` for a single
    tensor) that :func:`jacobian` uses for its columns.

    >>> v, layout = flatten_params({"a": torch.tensor([[1, 2], [3, 4]]), "b": torch.tensor([5])})
    >>> v.tolist(), layout
    ([1.0, 2.0, 3.0, 4.0, 5.0], [('a', (2, 2)), ('b', (1,))])
    """
    if isinstance(params, torch.Tensor | np.ndarray):
        t = _as_float64(params, "params")
        return t.reshape(-1), [("", tuple(t.shape))]
    if not isinstance(params, Mapping):
        raise TypeError(
            "params must be a dict[str, Tensor] or a single Tensor, "
            f"got {type(params).__name__}"
        )
    if len(params) == 0:
        raise ValueError("params must contain at least one tensor, got an empty dict")
    flats, layout = [], []
    for name, value in params.items():
        if not isinstance(name, str):
            raise TypeError(f"params keys must be strings, got {name!r}")
        t = _as_float64(value, f"params[{name!r}]")
        if t.numel() == 0:
            raise ValueError(f"params[{name!r}] has no entries (shape {tuple(t.shape)}): a "
                             "parameter with no coordinates has no Jacobian columns; leave it "
                             "out")
        flats.append(t.reshape(-1))
        layout.append((name, tuple(t.shape)))
    return torch.cat(flats), layout


def _unflatten(flat: torch.Tensor, layout: list[tuple[str, tuple[int, ...]]]):
    sizes = [int(np.prod(shape, dtype=np.int64)) for _, shape in layout]
    pieces = torch.split(flat, sizes)
    if len(layout) == 1 and layout[0][0] == "":
        return pieces[0].reshape(layout[0][1])
    return {name: p.reshape(shape) for (name, shape), p in zip(layout, pieces, strict=True)}


def _module_call(module: torch.nn.Module, params: Mapping[str, torch.Tensor] | None):
    """(callable on (params, inputs), params dict) for a module, all state in float64."""
    named = dict(module.named_parameters())
    if params is None:  # as estimate_llc and critical_point_check: frozen ones stay fixed
        chosen = {k: v.detach() for k, v in named.items() if v.requires_grad}
        if not chosen:
            raise ValueError("fn is a torch.nn.Module without parameters that require grad; "
                             "pass params explicitly")
    elif isinstance(params, Mapping):
        unknown = [k for k in params if k not in named]
        if unknown:
            raise ValueError(
                f"params has keys {unknown} that are not parameters of the module; "
                f"valid names: {list(named)}"
            )
        for k, v in params.items():
            if not isinstance(v, torch.Tensor | np.ndarray):
                raise TypeError(
                    f"params[{k!r}] must be a torch.Tensor (or numpy array), got "
                    f"{type(v).__name__}"
                )
            if tuple(v.shape) != tuple(named[k].shape):
                raise ValueError(
                    f"params[{k!r}] has shape {tuple(v.shape)}, but the module's parameter "
                    f"{k!r} has shape {tuple(named[k].shape)}"
                )
        chosen = dict(params)
    else:
        raise TypeError(
            "with a torch.nn.Module, params must be None (use its parameters) or a dict "
            f"overriding some of them, got {type(params).__name__}"
        )
    # Everything the module holds goes to float64, so that the call never mixes dtypes.
    fixed = held_fixed(module, chosen, lambda v: v.to(torch.float64) if v.is_floating_point()
                       else v, copy_parameters=True)

    def call(p: Mapping[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return functional(module, {**fixed, **p}, (x,))

    return call, chosen


class _EvaluationError(ValueError):
    """The first evaluation of ``fn`` on ``params`` and ``inputs`` failed (a shape mismatch,
    mostly); :func:`~slttheory.geometry.generic_rank` re-raises it naming ``param_shapes``."""


def _what_failed(fn: Any, layout: list[tuple[str, tuple[int, ...]]], x: torch.Tensor) -> str:
    if isinstance(fn, torch.nn.Module):
        return (f"inputs: the module {type(fn).__name__} cannot be evaluated on inputs of "
                f"shape {tuple(x.shape)}")
    shapes = layout[0][1] if len(layout) == 1 and layout[0][0] == "" else dict(layout)
    return (f"params/inputs: fn(params, inputs) failed with params of shape {shapes} and "
            f"inputs of shape {tuple(x.shape)}")


FORWARD_MODE_ERRORS = (NotImplementedError, RuntimeError)
"""What an operation without forward-mode AD raises; :func:`jacobian` then uses reverse mode."""


def uses_forward_mode(n_params: int, n_rows: int) -> bool:
    """Whether :func:`jacobian` computes by forward mode (``jacfwd``): fewer parameters than
    outputs (then reverse mode only where an operation has no forward-mode AD,
    :data:`FORWARD_MODE_ERRORS`)."""
    return n_params < n_rows


def jacobian(
    fn: Callable[..., torch.Tensor] | torch.nn.Module,
    params: ParamsLike | None,
    inputs: torch.Tensor | np.ndarray,
    *,
    exact: bool = False,
) -> torch.Tensor:
    """Jacobian of θ ↦ (fn(θ, x_s))_s over all samples, float64, shape ``(N·k, d)``.

    ``fn`` is either a callable ``fn(params, inputs)`` returning a tensor of shape
    ``(N, k)`` or ``(N,)`` (then k = 1), with ``params`` a ``dict[str, Tensor]`` or a single
    tensor; or a ``torch.nn.Module`` called as ``module(inputs)``, with ``params`` ``None``
    (differentiate in its parameters that require grad, as ``estimate_llc`` and
    ``critical_point_check`` do: frozen ones are held fixed) or a dict overriding some of
    them, each of
    the shape of the parameter it replaces (only those are differentiated; the others are
    held at the module's values), via
    ``torch.func.functional_call``. Parameters, inputs and the module's floating state are
    cast to float64 (integer inputs too, so exact integer points stay exact below 2^53).

    Row ``s * k + o`` is output ``o`` at sample ``s`` (sample-major); columns are the
    parameters flattened in the dict's order, each in row-major order (see
    :func:`flatten_params`). If the first call of ``fn`` raises a ``RuntimeError`` or
    ``IndexError`` (typically a shape mismatch), it is re-raised as a ``ValueError`` naming
    ``inputs`` (module) or ``params``/``inputs`` (callable). Computed with
    ``torch.func.jacfwd`` when there are fewer parameters than rows, else ``jacrev``.

    ``exact=True`` runs the whole computation (forward and derivative) under
    :class:`~slttheory.geometry.exact_arithmetic.IntegerExactnessAudit`: the result is then
    the exact Jacobian at an integer point, or
    :class:`~slttheory.geometry.exact_arithmetic.InexactArithmeticError` (a ``ValueError``)
    names the first operation float64 may have rounded.

    >>> fn = lambda p, x: x @ p["w"]            # linear in w: the Jacobian is x ⊗ I
    >>> x = torch.tensor([[1, 2], [3, 4], [5, 6]])
    >>> jacobian(fn, {"w": torch.zeros(2, 1)}, x).tolist()
    [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    >>> lin = torch.nn.Linear(2, 2)
    >>> jacobian(lin, None, x).shape               # 3 samples × 2 outputs, 4 + 2 parameters
    torch.Size([6, 6])
    """
    if isinstance(fn, torch.nn.Module):
        check_deterministic(fn, "fn")  # dropout in training mode gave ranks 6 and 1 of 26
        call, chosen = _module_call(fn, params)  # type: ignore[arg-type]
        flat, layout = flatten_params(chosen)
    elif callable(fn):
        if params is None:
            raise TypeError("params is None, which is allowed only when fn is a torch.nn.Module")
        call = fn
        flat, layout = flatten_params(params)
    else:
        raise TypeError(f"fn must be a callable or a torch.nn.Module, got {type(fn).__name__}")

    x = _as_float64(inputs, "inputs")
    if x.ndim == 0:
        raise ValueError("inputs must have a leading sample dimension, got a 0-d tensor")
    n_samples = x.shape[0]

    with no_random_draws("fn draws random numbers (dropout, noise or a random activation in "
                         "training mode?): its Jacobian is of one random draw; call "
                         "model.eval() or remove the noise"):
        try:
            out = call(_unflatten(flat, layout), x)
        except (RuntimeError, IndexError, KeyError) as e:  # mismatched shapes, a missing
            # parameter name: name the arguments
            raise _EvaluationError(
                f"{_what_failed(fn, layout, x)}: {type(e).__name__}: {str(e)[:300]}"
            ) from e
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"fn must return a torch.Tensor, got {type(out).__name__}")
    if out.ndim not in (1, 2) or out.shape[0] != n_samples:
        raise ValueError(
            f"fn must return shape (n_samples, n_outputs) or (n_samples,) with n_samples = "
            f"{n_samples} (the inputs' first dimension), got {tuple(out.shape)}"
        )
    n_rows = out.numel()

    def g(v: torch.Tensor) -> torch.Tensor:
        return call(_unflatten(v, layout), x).reshape(-1)

    def audit(reverse: bool):  # reverse mode respects torch.no_grad inside g: refused there
        if not exact:
            return contextlib.nullcontext()
        if not reverse:
            return IntegerExactnessAudit()
        # gradients enabled around g, as jacrev ignores a caller's torch.no_grad or
        # inference_mode anyway: only a cut inside the map reads "gradients disabled"
        stack = contextlib.ExitStack()
        stack.enter_context(torch.enable_grad())
        stack.enter_context(IntegerExactnessAudit(grad_required=True))
        return stack

    with no_in_place_writes("fn"):
        if uses_forward_mode(flat.numel(), n_rows):
            load_forward_ad()
            try:
                with audit(False):
                    jac = jacfwd(g)(flat)
            except FORWARD_MODE_ERRORS:  # an op without forward-mode AD
                with audit(True):
                    jac = jacrev(g)(flat)
        else:
            with audit(True):
                jac = jacrev(g)(flat)
    return jac.detach().to(torch.float64).reshape(n_rows, flat.numel())
