"""The two arguments every numeric layer takes, resolved in one place: ``device`` and a
random ``generator`` (geometry, models, training and sampling sit on this).
"""

from __future__ import annotations

import contextlib
import numbers
import re
from collections.abc import Iterator
from typing import Any

import torch

__all__ = ["as_generator", "check_deterministic", "check_seed", "no_in_place_writes",
           "no_random_draws", "resolve_device"]


def resolve_device(device: Any = "auto", name: str = "device") -> torch.device:
    """A ``torch.device`` from ``"auto"`` (CUDA when available, else CPU), ``"cpu"``,
    ``"cpu:<index>"``, ``"cuda"``, ``"cuda:<index>"`` or a ``torch.device``; an unavailable
    CUDA device is a ``ValueError``, any other type a ``TypeError``; errors name ``name``.

    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("tpu")
    Traceback (most recent call last):
    ...
    ValueError: device must be 'auto', 'cpu', 'cuda', 'cuda:<index>' or a torch.device, got 'tpu'
    >>> resolve_device(torch.device("meta"))
    Traceback (most recent call last):
    ...
    ValueError: device must be a CPU or CUDA device, got 'meta'
    """
    if isinstance(device, str):
        if device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        kind, colon, index = device.partition(":")
        if kind not in ("cpu", "cuda") or (colon and not index.isdigit()):
            raise ValueError(f"{name} must be 'auto', 'cpu', 'cuda', 'cuda:<index>' or a "
                             f"torch.device, got {device!r}")
        dev = torch.device(device)
    elif isinstance(device, torch.device):
        dev = device
    else:
        raise TypeError(f"{name} must be a str or a torch.device, got {device!r} of type "
                        f"{type(device).__name__}")
    if dev.type not in ("cpu", "cuda"):  # meta, mps, xpu: the samplers run on CPU or CUDA
        raise ValueError(f"{name} must be a CPU or CUDA device, got {str(dev)!r}")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{name}={str(dev)!r}: CUDA is not available")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"{name}={str(dev)!r}: only {torch.cuda.device_count()} CUDA "
                             "device(s) available")
    return dev


def check_seed(seed: Any, name: str = "seed") -> int:
    """``seed`` as an ``int`` in [0, 2⁶³) (numpy integers too), else ``TypeError`` (not an
    integer) or ``ValueError`` (out of range), naming ``name``.

    >>> import numpy as np
    >>> check_seed(np.int64(7))
    7
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    ValueError: seed must be in [0, 2^63), got -1
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be an integer seed, got {seed!r}")
    seed = int(seed)
    if not 0 <= seed < 2**63:
        raise ValueError(f"{name} must be in [0, 2^63), got {seed}")
    return seed


def as_generator(generator: torch.Generator | int | None,
                 name: str = "generator") -> torch.Generator:
    """A CPU ``torch.Generator`` from a generator, an ``int`` seed (in [−2⁶³, 2⁶⁴), what
    ``manual_seed`` takes), or ``None`` (seed 0).

    >>> g = as_generator(7)
    >>> g.initial_seed(), as_generator(None).initial_seed(), as_generator(g) is g
    (7, 0, True)
    """
    if generator is None:
        return torch.Generator().manual_seed(0)
    if isinstance(generator, torch.Generator):
        if generator.device.type != "cpu":
            raise ValueError(f"{name} must be a CPU torch.Generator, got device "
                             f"{generator.device}")
        return generator
    if isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
        generator = int(generator)  # numpy integers too
        if not -(2**63) <= generator < 2**64:
            raise ValueError(f"{name} seed must be in [-2^63, 2^64), got {generator}")
        return torch.Generator().manual_seed(generator)
    raise TypeError(f"{name} must be a torch.Generator or an int seed, got {generator!r}")


_MODE_DEPENDENT = (torch.nn.modules.dropout._DropoutNd, torch.nn.modules.batchnorm._BatchNorm,
                   torch.nn.RReLU)
"""Modules whose forward is random (dropout, RReLU) or batch-dependent (batch norm) in
training mode."""


def _why_not_deterministic(mod: torch.nn.Module) -> str | None:
    """Why ``mod``'s forward is not a deterministic per-sample function, or ``None``."""
    if isinstance(mod, torch.nn.modules.batchnorm._BatchNorm) and not mod.track_running_stats:
        return "without running statistics: it normalises by each batch's, even in eval mode"
    if mod.training and isinstance(mod, _MODE_DEPENDENT):
        return "in training mode"
    return None


def check_deterministic(model: torch.nn.Module, name: str = "model") -> None:
    """``ValueError`` if dropout, RReLU or batch norm in ``model`` is in training mode, or a
    batch norm keeps no running statistics: they make the forward random or batch-dependent
    (and batch norm in training mode writes its running statistics), while a learning
    coefficient, a Jacobian or a critical point is of the deterministic function
    w ↦ f(·, w); the caller is asked for ``model.eval()`` rather than have it chosen for them.
    (Random numbers drawn by other code in a forward are caught where the forward first runs.)

    >>> check_deterministic(torch.nn.Sequential(torch.nn.Dropout(0.5)))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: model: 0 (Dropout) in training mode ...
    >>> bn = torch.nn.BatchNorm1d(3, track_running_stats=False).eval()
    >>> check_deterministic(torch.nn.Sequential(bn))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: model: 0 (BatchNorm1d) without running statistics: ...
    """
    live = [f"{sub or '(the model)'!s} ({type(mod).__name__}) {why}"
            for sub, mod in model.named_modules()
            if (why := _why_not_deterministic(mod)) is not None]
    if live:
        raise ValueError(f"{name}: {'; '.join(live[:3])}{' ...' if len(live) > 3 else ''} "
                         "(dropout, RReLU and batch norm make the forward random or "
                         "batch-dependent); call model.eval() first, and give batch norm "
                         "track_running_stats=True")


@contextlib.contextmanager
def no_random_draws(message: str) -> Iterator[None]:
    """Run a first forward with torch's global random state kept: it is put back afterwards,
    and ``ValueError(message)`` is raised where the forward drew from it (a random layer or
    noise the mode check of :func:`check_deterministic` does not know). An error inside the
    block propagates as it is, after the state is put back.

    >>> with no_random_draws("deterministic"):
    ...     _ = torch.ones(2) * 2
    >>> with no_random_draws("the forward drew random numbers"):  # doctest: +ELLIPSIS
    ...     _ = torch.rand(2)
    Traceback (most recent call last):
    ValueError: the forward drew random numbers
    """
    state = torch.random.get_rng_state()
    try:
        yield
    finally:
        drew = not torch.equal(state, torch.random.get_rng_state())
        torch.random.set_rng_state(state)
    if drew:
        raise ValueError(message)


_IN_PLACE = ("mutate a captured Tensor", "has been modified inplace")
"""torch's words for a function transform over a forward that writes a tensor in place."""


@contextlib.contextmanager
def no_in_place_writes(what: str) -> Iterator[None]:
    """torch.func's errors for a forward that writes a tensor in place (a parameter held
    fixed, a buffer, an input: "would mutate a captured Tensor", "a view ... has been modified
    inplace") as a ``ValueError`` naming ``what`` and the operation; any other error
    propagates as it is. Derivatives of a function that changes its own arguments are not
    defined (an outside audit: the minimum check and the Jacobian raised torch's message).

    >>> with no_in_place_writes("model"):  # doctest: +ELLIPSIS
    ...     raise RuntimeError("... in-place operation (aten::add_.Tensor) that would mutate "
    ...                        "a captured Tensor. ...")
    Traceback (most recent call last):
    ValueError: model: its forward writes a tensor in place (aten::add_.Tensor)...
    """
    try:
        yield
    except RuntimeError as e:
        if not any(s in str(e) for s in _IN_PLACE):
            raise
        op = re.search(r"\(aten::[\w.]+\)", str(e))
        raise ValueError(f"{what}: its forward writes a tensor in place"
                         + (f" {op.group(0)}" if op else "") + " (a parameter, buffer or input "
                         "changed by the call: bias.add_(...), buffer += 1); derivatives of a "
                         "function that changes its own arguments are not defined: use "
                         "out-of-place operations") from e
