"""Models polynomial in their inputs or parameters: polynomial regression and normal crossings.

>>> import torch
>>> m = PolynomialRegression(2)
>>> with torch.no_grad():
...     _ = m.coeffs.copy_(torch.tensor([1.0, 0.0, 2.0]))
>>> m(torch.tensor([[0.5], [-1.0]])).flatten().tolist()
[1.5, 3.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from slttheory.models._common import check_dtype, check_input_width, check_int

__all__ = ["PolynomialRegression", "NormalCrossing"]


class PolynomialRegression(nn.Module):
    """Seed 000's univariate regressor ``f(x) = Σ_{i=0}^{degree} a_i x^i`` (parameter ``coeffs``).

    Inputs ``(N, 1)`` (or ``(N,)``), outputs ``(N, 1)``; ``degree + 1`` parameters.

    >>> m = PolynomialRegression(3)
    >>> with torch.no_grad():
    ...     _ = m.coeffs.copy_(torch.tensor([1.0, 0.0, 0.0, 1.0]))   # 1 + x³
    >>> m(torch.tensor([2.0, -1.0])).flatten().tolist(), m.coeffs.numel()
    ([9.0, 0.0], 4)
    """

    def __init__(self, degree: int, *, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        degree = check_int("degree", degree, minimum=0)
        check_dtype(dtype)
        self.degree = degree
        self.coeffs = nn.Parameter(torch.zeros(degree + 1, dtype=dtype))
        self.register_buffer("exponents", torch.arange(degree + 1, dtype=dtype), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        check_input_width(x, 1)
        x = x.reshape(-1, 1)
        return (x.pow(self.exponents) @ self.coeffs).unsqueeze(-1)


class NormalCrossing(nn.Module):
    """``f(x) = (Π_j w_j^{k_j}) · x`` with scalar input and output (parameter ``w``).

    With x ~ N(0, 1) and unit Gaussian noise the population loss is
    ``K(w) = ½ Π_j w_j^{2k_j}``, a normal crossing at w = 0 (Watanabe 2009, Ch. 2):
    λ = min_j 1/(2k_j) over k_j > 0. ``powers`` as :func:`slttheory.formulas.normal_crossing`
    takes them (non-negative integers, not all zero); inputs ``(N,)`` or ``(N, 1)``.

    >>> m = NormalCrossing([1, 2])
    >>> with torch.no_grad():
    ...     _ = m.w.copy_(torch.tensor([3.0, 2.0]))
    >>> m(torch.tensor([1.0, -0.5])).flatten().tolist()      # w₁ w₂² x = 12x
    [12.0, -6.0]
    """

    def __init__(self, powers: Sequence[int], *, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        if isinstance(powers, str | bytes) or not isinstance(powers, Sequence):
            raise TypeError(
                f"powers must be a sequence (list or tuple) of non-negative integers, got "
                f"{powers!r} of type {type(powers).__name__}"
            )
        if len(powers) == 0:
            raise ValueError("powers must be non-empty")
        self.powers = tuple(check_int(f"powers[{j}]", k, minimum=0) for j, k in enumerate(powers))
        if not any(self.powers):
            raise ValueError(
                f"powers must not be all zero (K ≡ 1 does not vanish at 0), got {list(self.powers)}"
            )
        check_dtype(dtype)
        self.w = nn.Parameter(torch.zeros(len(self.powers), dtype=dtype))
        # Only k_j > 0 enter: d/dw w^0 at w = 0 would be 0·∞ = NaN in autograd.
        active = [j for j, k in enumerate(self.powers) if k > 0]
        self.register_buffer("active", torch.tensor(active, dtype=torch.long), persistent=False)
        self.register_buffer(
            "k", torch.tensor([self.powers[j] for j in active], dtype=dtype), persistent=False
        )

    def forward(self, x: Tensor) -> Tensor:
        check_input_width(x, 1)
        return torch.prod(self.w[self.active].pow(self.k)) * x.reshape(-1, 1)
