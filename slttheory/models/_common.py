"""Shared helpers for the model modules: generators, seeded initialisation, a dense layer."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["as_generator", "randn", "uniform", "Dense"]


def as_generator(
    generator: torch.Generator | int | None, name: str = "generator"
) -> torch.Generator:
    """A CPU ``torch.Generator`` from a generator, an ``int`` seed, or ``None`` (seed 0).

    >>> g = as_generator(7)
    >>> g.initial_seed(), as_generator(None).initial_seed(), as_generator(g) is g
    (7, 0, True)
    """
    if generator is None:
        return torch.Generator().manual_seed(0)
    if isinstance(generator, torch.Generator):
        if generator.device.type != "cpu":
            raise ValueError(f"{name} must be a CPU torch.Generator, got device {generator.device}")
        return generator
    if isinstance(generator, int) and not isinstance(generator, bool):
        return torch.Generator().manual_seed(generator)
    raise TypeError(f"{name} must be a torch.Generator or an int seed, got {generator!r}")


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
