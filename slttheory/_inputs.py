"""A model's inputs as the numeric layers take them: one tensor, a tuple of tensors (passed
as positional arguments, ``model(*inputs)``) or a dict of tensors (keyword arguments,
``model(**inputs)``, as a tokenizer's ``input_ids`` and ``attention_mask``), every tensor
with the samples on its leading axis.

>>> import torch
>>> x = {"ids": torch.zeros(5, 3, dtype=torch.long), "mask": torch.ones(5, 3)}
>>> n_samples(x), describe(x)
(5, '{ids: (5, 3) torch.int64, mask: (5, 3) torch.float32}')
>>> n_samples(index(x, torch.tensor([0, 2])))
2
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor
from torch.func import functional_call

__all__ = ["Inputs", "call", "check_inputs", "describe", "functional", "held_fixed", "index",
           "leaves", "map_inputs", "n_samples"]

Inputs = Tensor | tuple[Tensor, ...] | dict[str, Tensor]


def leaves(x: Any) -> list[Tensor]:
    """The tensors of ``x``, in order."""
    if isinstance(x, Tensor):
        return [x]
    if isinstance(x, Mapping):
        return list(x.values())
    return list(x)


def map_inputs(fn: Callable[[Tensor], Tensor], x: Any) -> Any:
    """``fn`` applied to every tensor of ``x``, the structure kept."""
    if isinstance(x, Tensor):
        return fn(x)
    if isinstance(x, Mapping):
        return {k: fn(v) for k, v in x.items()}
    return tuple(fn(v) for v in x)


def index(x: Any, idx: Tensor) -> Any:
    """The samples ``idx`` (any index tensor on the leading axis) of every tensor of ``x``."""
    return map_inputs(lambda t: t[idx], x)


def n_samples(x: Any) -> int:
    """The number of samples: the leading size shared by every tensor of ``x``."""
    return int(leaves(x)[0].shape[0])


def describe(x: Any) -> str:
    """Shapes and dtypes, for error messages."""
    if isinstance(x, Tensor):
        return f"shape {tuple(x.shape)}, dtype {x.dtype}"
    if isinstance(x, Mapping):
        return "{" + ", ".join(f"{k}: {tuple(v.shape)} {v.dtype}" for k, v in x.items()) + "}"
    return "(" + ", ".join(f"{tuple(v.shape)} {v.dtype}" for v in x) + ")"


def check_inputs(x: Any, name: str = "data's inputs") -> Any:
    """``x`` if it is a tensor, or a non-empty tuple/list (made a tuple) or dict with string
    keys of tensors, each with at least one axis and one leading size n ≥ 1; else
    ``TypeError``/``ValueError`` naming ``name``."""
    if isinstance(x, Tensor):
        parts = {"": x}
    elif isinstance(x, Mapping) and x and all(isinstance(k, str) for k in x):
        parts = {f"[{k!r}]": v for k, v in x.items()}
    elif isinstance(x, tuple | list) and x:
        parts = {f"[{i}]": v for i, v in enumerate(x)}
        x = tuple(x)
    else:
        raise TypeError(f"{name} must be a tensor, or a non-empty tuple or dict (str keys) of "
                        f"tensors for a model of several inputs, got {type(x).__name__}")
    bad = [k for k, v in parts.items() if not isinstance(v, Tensor)]
    if bad:
        raise TypeError(f"{name}{bad[0]} must be a tensor, got "
                        f"{type(parts[bad[0]]).__name__}")
    sizes = {k: (v.shape[0] if v.ndim else None) for k, v in parts.items()}
    n = next(iter(sizes.values()))
    if any(s is None or s != n for s in sizes.values()) or not n:
        raise ValueError(f"{name}: every tensor needs the same leading (sample) size n >= 1, "
                         f"got {describe(x)}")
    return x


_FASTPATH_MODULES = (torch.nn.MultiheadAttention, torch.nn.TransformerEncoderLayer,
                     torch.nn.TransformerEncoder)


def held_fixed(module: torch.nn.Module, varied: Any = (),
               convert: Callable[[Tensor], Tensor] = lambda t: t, *,
               copy_parameters: bool = False) -> dict[str, Tensor]:
    """What a functional call of ``module`` holds fixed while the parameters named in
    ``varied`` move: every other parameter and every buffer, detached and passed through
    ``convert`` (a device or dtype). Buffers are always copies, parameters with
    ``copy_parameters``: a forward that updates a buffer in place (batch norm's running
    statistics) must never write the caller's module. Geometry, models and sampling each
    build this table.

    >>> bn = torch.nn.BatchNorm1d(2)
    >>> sorted(held_fixed(bn, {"weight"}))
    ['bias', 'num_batches_tracked', 'running_mean', 'running_var']
    >>> held_fixed(bn)["running_mean"].data_ptr() == bn.running_mean.data_ptr()
    False
    """
    fixed = {k: convert(v.detach()) for k, v in module.named_parameters() if k not in varied}
    if copy_parameters:
        fixed = {k: v.clone() for k, v in fixed.items()}
    fixed.update({k: convert(b.detach()).clone() for k, b in module.named_buffers()})
    return fixed


def functional(module: torch.nn.Module, weights: Any, args: tuple = (),
               kwargs: Mapping[str, Any] | None = None) -> Any:
    """``torch.func.functional_call(module, weights, args, kwargs)``, leaving the module as it
    was.

    When one submodule is registered under two names (``nn.Sequential(lin, act, lin)``),
    ``functional_call`` (torch 2.13, ``tie_weights=True``) restores the shared submodule's
    parameters as the call's tensors: the caller's module came back holding plain (float64,
    fake or batched) tensors, and its next forward failed. Such a module's parameter and
    buffer tables are saved before the call and put back after it; any other module goes
    straight through.

    >>> lin = torch.nn.Linear(1, 1)
    >>> m = torch.nn.Sequential(lin, lin)
    >>> w = {k: torch.zeros_like(v) for k, v in m.named_parameters()}
    >>> functional(m, w, (torch.ones(2, 1),)).tolist(), type(lin.weight).__name__
    ([[0.0], [0.0]], 'Parameter')
    """
    unique = list(module.modules())
    mha = getattr(torch.backends, "mha", None)
    if (mha is not None and hasattr(mha, "set_fastpath_enabled") and mha.get_fastpath_enabled()
            and any(isinstance(m, _FASTPATH_MODULES) for m in unique)):
        # in eval mode these take a fused kernel with no derivative when no parameter
        # requires grad, as here ("derivative for aten::_native_multi_head_attention is not
        # implemented"): the call uses the equal composite path, and torch's flag (global)
        # is switched only for modules that have such a kernel
        mha.set_fastpath_enabled(False)
        try:
            return functional(module, weights, args, kwargs)
        finally:
            mha.set_fastpath_enabled(True)
    if sum(1 for _ in module.named_modules(remove_duplicate=False)) == len(unique):
        return functional_call(module, weights, args, kwargs)
    saved = [(m, dict(m._parameters), dict(m._buffers)) for m in unique]
    try:
        return functional_call(module, weights, args, kwargs)
    finally:
        for m, params, buffers in saved:
            m._parameters.clear()
            m._parameters.update(params)
            m._buffers.clear()
            m._buffers.update(buffers)


def call(module: torch.nn.Module, weights: Any, x: Any) -> Any:
    """``module`` evaluated on ``x`` with ``weights`` (:func:`functional`):
    ``module(x)``, ``module(*x)`` for a tuple, ``module(**x)`` for a dict."""
    if isinstance(x, Tensor):
        return functional(module, weights, (x,))
    if isinstance(x, Mapping):
        return functional(module, weights, (), dict(x))
    return functional(module, weights, tuple(x))
