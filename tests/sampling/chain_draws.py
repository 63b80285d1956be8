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


def exchange_draws(alg: Any, potential: Any, temperatures: int, rows: int, dim: int,
                   steps: int, burn: int, seed: int,
                   record: Callable[[Any], torch.Tensor]) -> tuple[np.ndarray, int]:
    """``(rows, steps − burn)`` values of ``record(state)`` from ``alg`` with an exchange round
    among its ``temperatures`` after every step (parity alternating), from w = 0 in ℝ^dim
    (float64), every draw from ``torch.Generator().manual_seed(seed)``; and how many rows the
    exchange rounds moved over all ``steps``."""
    from slttheory.sampling.exchange import exchange_step

    gen = torch.Generator().manual_seed(seed)
    state = alg.init(torch.zeros(rows, dim, dtype=torch.float64), gen)
    kept, moved = [], 0
    for t in range(steps):
        state, _ = alg.step(gen, state, False)
        new = exchange_step(potential, state, temperatures, t % 2, gen)
        moved += int((new.position != state.position).any(-1).sum())
        state = new
        if t >= burn:
            kept.append(record(state).clone())
    return torch.stack(kept, 1).numpy(), moved
