"""The benchmark cases' models and losses on slttheory's side (same architectures as devinterp)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn


def mse_per_sample(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """devinterp's ``F.mse_loss`` as a per-sample loss: mean over outputs, no 1/2."""
    return ((outputs - targets) ** 2).reshape(outputs.shape[0], -1).mean(dim=1)


class ReducedRankRegressor(nn.Module):
    def __init__(self, m: int, h: int, n: int):
        super().__init__()
        self.fc1 = nn.Linear(m, h, bias=False)
        self.fc2 = nn.Linear(h, n, bias=False)

    def forward(self, x):
        return self.fc2(self.fc1(x))


class Polynomial(nn.Module):
    def __init__(self, powers):
        super().__init__()
        self.register_buffer("powers", torch.tensor(powers), persistent=False)
        self.weights = nn.Parameter(torch.zeros(len(powers)))

    def forward(self, x):
        return x * torch.prod(self.weights**self.powers)


@dataclass(frozen=True)
class Case:
    make_model: Callable[[], nn.Module]
    true_lambda: float
    loss: Callable = mse_per_sample


CASES = {
    "rrr_5_3_5": Case(lambda: ReducedRankRegressor(5, 3, 5), 6.5),
    "rrr_8_3_4": Case(lambda: ReducedRankRegressor(8, 3, 4), 6.0),
    "normal_crossing_1_2": Case(lambda: Polynomial([1, 2]), 0.25),
    "linear_regression": Case(lambda: nn.Linear(1, 1), 1.0),
}
