"""Shared helpers for the model modules: argument checks, generators, seeded initialisation,
a dense layer."""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor, nn

from slttheory._torch_args import as_generator, resolve_device
from slttheory.formulas.core import check_bool

__all__ = [
    "MAX_ELEMENTS",
    "as_generator",
    "check_bool",
    "check_dtype",
    "check_elements",
    "check_input_width",
    "check_int",
    "check_nonnegative",
    "resolve_device",
    "randn",
    "uniform",
    "Dense",
]

MAX_ELEMENTS = 2**27
"""Largest tensor (in elements) a data helper allocates; beyond it a ``ValueError`` names the
size argument instead of an attempt to allocate (2²⁷ float64 entries are 1 GiB, and the model
evaluated on them takes a few times that: at 2³¹, 16 GiB a tensor, a dry run of a claim at
p = 400 took 3.3 GB and one at d = 20 000 6.6 GB; an outside robustness probe)."""


def check_int(name: str, value: Any, minimum: int = 1, maximum: int | None = None) -> int:
    """Validate an integer argument (sizes, counts) and return it as a Python ``int``.

    ``bool`` and whole floats (``2.0``) are rejected: nothing is silently truncated.

    >>> check_int("h", 3), check_int("r", 0, minimum=0)
    (3, 0)
    >>> check_int("h", 0)
    Traceback (most recent call last):
    ...
    ValueError: h must be an integer >= 1, got 0
    >>> check_int("k", 5, maximum=4)
    Traceback (most recent call last):
    ...
    ValueError: k must be an integer in [1, 4], got 5
    >>> check_int("h", 2.0)
    Traceback (most recent call last):
    ...
    TypeError: h must be an integer, got 2.0 of type float
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    v = int(value)
    if maximum is not None:
        if not minimum <= v <= maximum:
            raise ValueError(f"{name} must be an integer in [{minimum}, {maximum}], got {v}")
    elif v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v}")
    return v


def check_nonnegative(name: str, value: Any) -> float:
    """Validate a finite real number >= 0 (e.g. a noise level) and return it as a ``float``.

    >>> check_nonnegative("noise", float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: noise must be a finite number >= 0, got nan
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} of type {type(value).__name__}")
    v = float(value)
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {v}")
    return v


def check_dtype(dtype: Any, name: str = "dtype") -> torch.dtype:
    """Validate a floating ``torch.dtype`` (models' parameters must be floating).

    >>> check_dtype(torch.float64)
    torch.float64
    >>> check_dtype(torch.int64)
    Traceback (most recent call last):
    ...
    TypeError: dtype must be a floating torch.dtype, got torch.int64
    """
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"{name} must be a floating torch.dtype, got {dtype!r}")
    return dtype


def check_elements(name: str, value: Any, elements: int) -> None:
    """Refuse to allocate more than :data:`MAX_ELEMENTS` elements (``name`` = the size
    argument, ``value`` its value, ``elements`` the size it implies), before allocating.

    >>> check_elements("p", 10**6, 3 * 10**18)
    Traceback (most recent call last):
    ...
    ValueError: p = 1000000 would allocate 3000000000000000000 elements (more than 2**27)
    """
    if elements > MAX_ELEMENTS:
        raise ValueError(
            f"{name} = {value} would allocate {elements} elements (more than "
            f"2**{MAX_ELEMENTS.bit_length() - 1})"
        )


def check_input_width(x: Tensor, width: int, name: str = "x") -> None:
    """Check that ``x`` has shape ``(N, width)``; with ``width == 1`` also ``(N,)``.

    Only the static shape is read (cheap, and valid inside ``vmap``/``make_fx``).

    >>> check_input_width(torch.zeros(4, 1), 1); check_input_width(torch.zeros(4), 1)
    >>> check_input_width(torch.zeros(4, 3), 1)
    Traceback (most recent call last):
    ...
    ValueError: x must have shape (N,) or (N, 1), got (4, 3)
    """
    shape = tuple(x.shape)
    if len(shape) == 2 and shape[1] == width or width == 1 and len(shape) == 1:
        return
    want = "(N,) or (N, 1)" if width == 1 else f"(N, {width})"
    raise ValueError(f"{name} must have shape {want}, got {shape}")


def randn(*shape: int, generator: torch.Generator, std: float = 1.0) -> Tensor:
    """Standard normal draws (CPU, float64) times ``std``.

    >>> x = randn(2, 3, generator=torch.Generator().manual_seed(0), std=0.5)
    >>> ref = 0.5 * torch.randn(2, 3, generator=torch.Generator().manual_seed(0),
    ...                         dtype=torch.float64)
    >>> x.shape, x.dtype, bool(torch.equal(x, ref))
    (torch.Size([2, 3]), torch.float64, True)
    """
    return torch.randn(*shape, generator=generator, dtype=torch.float64) * std


def uniform(*shape: int, generator: torch.Generator, low: float, high: float) -> Tensor:
    """Uniform draws on ``[low, high)`` (CPU, float64).

    >>> u = uniform(1000, generator=torch.Generator().manual_seed(0), low=-2.0, high=3.0)
    >>> u.shape, u.dtype, bool((u >= -2.0).all() and (u < 3.0).all())
    (torch.Size([1000]), torch.float64, True)
    """
    return low + (high - low) * torch.rand(*shape, generator=generator, dtype=torch.float64)


class Dense(nn.Module):
    """Affine layer ``x Wᵀ + b`` like ``nn.Linear`` (same parameter names ``weight``, ``bias``),
    initialised from an explicit generator with PyTorch's default U(−1/√in, 1/√in).

    >>> layer = Dense(4, 3, generator=torch.Generator().manual_seed(0))
    >>> layer(torch.ones(5, 4)).shape, bool(layer.weight.abs().max() <= 0.5)  # 1/√4 = 0.5
    (torch.Size([5, 3]), True)
    >>> Dense(4, 3, bias=False, generator=torch.Generator().manual_seed(0)).bias is None
    True
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        in_features = check_int("in_features", in_features)
        out_features = check_int("out_features", out_features)
        check_bool("bias", bias)
        check_dtype(dtype)
        g = as_generator(generator)
        bound = 1.0 / math.sqrt(in_features)
        self.weight = nn.Parameter(
            uniform(out_features, in_features, generator=g, low=-bound, high=bound).to(dtype)
        )
        self.bias = (
            nn.Parameter(uniform(out_features, generator=g, low=-bound, high=bound).to(dtype))
            if bias
            else None
        )

    def forward(self, x: Tensor) -> Tensor:
        out = x @ self.weight.T
        return out + self.bias if self.bias is not None else out


OutputFn = Callable[[Mapping[str, Tensor], Tensor], Tensor]


def _outputs_minus_first(fn: OutputFn, params: Mapping[str, Tensor], x: Tensor) -> Tensor:
    out = fn(params, x)
    return out - out[:1]


def centred_outputs(fn: OutputFn) -> OutputFn:
    """``fn``'s outputs minus its output at ``x[0]``, for the exact rank under a centred
    loss (seed 001 eq. 1): row 0 is zero and the rows span the same space as ``P⊥`` centring,
    without dividing by N, so integer inputs stay integer. A ``functools.partial`` of a module
    function, so it pickles wherever ``fn`` does.

    >>> import torch
    >>> centred_outputs(lambda p, x: x * p["a"])({"a": torch.tensor(2.0)}, torch.tensor([1.0, 3.0]))
    tensor([0., 4.])
    """
    return functools.partial(_outputs_minus_first, fn)

