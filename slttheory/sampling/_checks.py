"""Argument checks shared by the sampling modules (errors name the argument)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["positive_int", "positive_float", "open_unit_interval"]


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
