"""Draws of a kernel's chains for the exactness tests: every draw from one seeded generator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch


def draws(alg: Any, chains: int, dim: int, steps: int, burn: int, seed: int,
          record: Callable[[Any], torch.Tensor]) -> np.ndarray:
    """``(chains, steps)`` values of ``record(state)`` after ``burn`` steps of ``alg`` from
    w = 0 in ℝ^dim (float64), its draws from ``torch.Generator().manual_seed(seed)``."""
    gen = torch.Generator().manual_seed(seed)
    state = alg.init(torch.zeros(chains, dim, dtype=torch.float64), gen)
    out = torch.empty(chains, steps, dtype=torch.float64)
    for t in range(burn + steps):
        state, _ = alg.step(gen, state, False)
        if t >= burn:
            out[:, t - burn] = record(state)
    return out.numpy()
