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


SIZES = {"rrr_5_3_5": (5, 5, 1000), "rrr_8_3_4": (8, 4, 1000),
         "normal_crossing_1_2": (1, 1, 1000), "linear_regression": (1, 1, 100)}
"""(inputs, outputs, n) of each case's data in the per-step benchmarks."""


def random_problem(name: str, generator: torch.Generator
                   ) -> tuple[nn.Module, tuple[torch.Tensor, torch.Tensor]]:
    """Case ``name``'s model and standard-normal data of its :data:`SIZES` (inputs drawn
    first, then targets), for timing a step: the crossing's weights at 0.1, off its zero
    gradient at the origin."""
    m_in, m_out, n = SIZES[name]
    model = CASES[name].make_model()
    if name == "normal_crossing_1_2":
        with torch.no_grad():
            model.weights.fill_(0.1)
    x = torch.randn(n, m_in, generator=generator)
    return model, (x, torch.randn(n, m_out, generator=generator))
