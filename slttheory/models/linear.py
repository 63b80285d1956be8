"""Linear models: linear regression, reduced-rank regression, deep linear networks, W₂W₁x.

All map inputs ``(N, in)`` to outputs ``(N, out)`` without biases. Parameters are
initialised to zero; the families (:mod:`slttheory.models.families`) set the true point.

>>> import torch
>>> m = ReducedRankRegression(4, 3, 2)
>>> m(torch.ones(5, 4)).shape
torch.Size([5, 3])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from slttheory.models._common import check_dtype, check_int

__all__ = ["LinearRegression", "ReducedRankRegression", "DeepLinearNetwork", "LowRankLinear"]


def _zeros(*shape: int, dtype: torch.dtype) -> nn.Parameter:
    return nn.Parameter(torch.zeros(*shape, dtype=dtype))


class LinearRegression(nn.Module):
    """``f(x) = x·w`` with ``w ∈ ℝ^d`` (parameter ``w``); output shape ``(N, 1)``.

    >>> m = LinearRegression(3)
    >>> m(torch.ones(5, 3)).shape, sum(p.numel() for p in m.parameters())   # d = 3
    (torch.Size([5, 1]), 3)
    """

    def __init__(self, d: int, *, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.w = _zeros(check_int("d", d), dtype=check_dtype(dtype))

    def forward(self, x: Tensor) -> Tensor:
        return (x @ self.w).unsqueeze(-1)


class ReducedRankRegression(nn.Module):
    """``f(x) = B A x`` with ``A ∈ ℝ^{h×m}``, ``B ∈ ℝ^{n×h}`` (Aoyagi & Watanabe 2005).

    >>> m = ReducedRankRegression(4, 3, 2)     # m = 4 inputs, n = 3 outputs, rank h = 2
    >>> m.A.shape, m.B.shape, sum(p.numel() for p in m.parameters())   # d = h(m + n)
    (torch.Size([2, 4]), torch.Size([3, 2]), 14)
    """

    def __init__(self, m: int, n: int, h: int, *, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        m, n, h = check_int("m", m), check_int("n", n), check_int("h", h)
        check_dtype(dtype)
        self.A = _zeros(h, m, dtype=dtype)
        self.B = _zeros(n, h, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.A.T @ self.B.T


class DeepLinearNetwork(nn.Module):
    """``f(x) = W_L ⋯ W_1 x`` with ``W_l ∈ ℝ^{widths[l]×widths[l−1]}`` (Aoyagi 2024).

    Parameters are ``weights.0`` … ``weights.{L−1}``; ``widths[0]`` is the input and
    ``widths[-1]`` the output dimension.

    >>> m = DeepLinearNetwork([3, 2, 4])
    >>> [tuple(w.shape) for w in m.weights], m(torch.ones(5, 3)).shape
    ([(2, 3), (4, 2)], torch.Size([5, 4]))
    """

    def __init__(self, widths: Sequence[int], *, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        if isinstance(widths, str | bytes) or not isinstance(widths, Sequence):
            raise TypeError(
                f"widths must be a sequence of integers, got {widths!r} of type "
                f"{type(widths).__name__}"
            )
        if len(widths) < 2:
            raise ValueError(f"widths must have at least 2 entries, got {list(widths)}")
        widths = tuple(check_int(f"widths[{i}]", w) for i, w in enumerate(widths))
        check_dtype(dtype)
        self.widths = widths
        self.weights = nn.ParameterList(
            [_zeros(b, a, dtype=dtype) for a, b in zip(widths[:-1], widths[1:], strict=True)]
        )

    def forward(self, x: Tensor) -> Tensor:
        for w in self.weights:
            x = x @ w.T
        return x


class LowRankLinear(nn.Module):
    """Seed 000's factorised network ``f(x) = W₂ W₁ x``, ``W₁ ∈ ℝ^{r×d}``, ``W₂ ∈ ℝ^{d×r}``.

    >>> m = LowRankLinear(4, 2)
    >>> m(torch.ones(5, 4)).shape, sum(p.numel() for p in m.parameters())   # 2rd parameters
    (torch.Size([5, 4]), 16)
    """

    def __init__(self, d: int, r: int, *, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        d, r = check_int("d", d), check_int("r", r)
        check_dtype(dtype)
        self.W1 = _zeros(r, d, dtype=dtype)
        self.W2 = _zeros(d, r, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.W1.T @ self.W2.T
