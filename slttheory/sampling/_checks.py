"""Argument checks shared by the sampling modules (errors name the argument)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["positive_int", "positive_float", "open_unit_interval", "resolve_seed"]


def positive_int(name: str, v: Any, minimum: int = 1) -> int:
    """``v`` as an ``int`` ≥ ``minimum`` (no ``bool``), else ``ValueError`` naming ``name``.

    >>> positive_int("chains", 4)
    4
    >>> positive_int("chains", True)
    Traceback (most recent call last):
    ...
    ValueError: chains must be an integer >= 1, got True
    """
    if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v!r}")
    return int(v)


def positive_float(name: str, v: Any, allow_zero: bool = False) -> float:
    """``v`` as a finite ``float`` > 0 (≥ 0 with ``allow_zero``); no ``bool``.

    >>> positive_float("nbeta", 20)
    20.0
    >>> positive_float("nbeta", float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: nbeta must be > 0 and finite, got nan
    """
    if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number, got {v!r}")
    v = float(v)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'} and finite, "
                         f"got {v}")
    return v


def open_unit_interval(name: str, v: Any) -> float:
    """``v`` as a ``float`` in (0, 1) (an acceptance rate, a relative bias).

    >>> open_unit_interval("target_acceptance", 1.5)
    Traceback (most recent call last):
    ...
    ValueError: target_acceptance must be in (0, 1), got 1.5
    """
    v = positive_float(name, v)
    if not v < 1:
        raise ValueError(f"{name} must be in (0, 1), got {v}")
    return v


def resolve_seed(seed: Any, name: str = "seed") -> int:
    """The integer seed an estimate runs from (recorded in its ``config``, so that the run can
    be repeated): an ``int`` as given; a ``torch.Generator``, one 63-bit integer drawn from it
    (advancing it: the caller's stream of randomness, no global state); ``None``, fresh
    entropy from the operating system.

    >>> import torch
    >>> resolve_seed(7)
    7
    >>> g = torch.Generator().manual_seed(0)
    >>> a, b = resolve_seed(g), resolve_seed(g)
    >>> a != b and a == resolve_seed(torch.Generator().manual_seed(0))
    True
    >>> resolve_seed("1")
    Traceback (most recent call last):
    ...
    TypeError: seed must be an integer, a torch.Generator or None, got '1'
    """
    import secrets

    import torch

    if seed is None:
        return secrets.randbits(63)
    if isinstance(seed, torch.Generator):
        return int(torch.randint(0, 2**63 - 1, (1,), generator=seed, device=seed.device))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"{name} must be an integer, a torch.Generator or None, got {seed!r}")
    if not -2**63 <= int(seed) < 2**63:  # torch's generators take a 64-bit seed
        raise ValueError(f"{name} must fit in 64 bits, got {seed}")
    return int(seed)
