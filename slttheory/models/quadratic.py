"""Seed 001's quadratic networks ``f(x) = V σ(Wᵀx + b) + c`` with ``σ(z) = z²``.

Seed 001 (Cullen et al., arXiv 2603.01192, §3 eq. 1): ``W ∈ ℝ^{d×k}`` (columns w_j),
``V ∈ ℝ^{p×k}``; per output ``f_i(x) = xᵀQ_i x`` with ``Q_i = Σ_j V_ij w_j w_jᵀ``. With
``bias=True`` the hidden biases ``b ∈ ℝ^k`` and output bias ``c ∈ ℝ^p`` are added
(App. G's single-output model ``Σ_j v_j (w_jᵀx + b_j)² + c``). Trained and evaluated with the
centred loss :func:`slttheory.losses.centred_gaussian_nll`, under which ``c`` is a flat
direction.

>>> import torch
>>> m = QuadraticNetwork(3, 2, p=2)
>>> m(torch.ones(4, 3)).shape, m.n_params
(torch.Size([4, 2]), 10)
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from slttheory.models._common import check_bool, check_dtype, check_int

__all__ = ["QuadraticNetwork"]


class QuadraticNetwork(nn.Module):
    """``f(x) = V (Wᵀx + b)² + c`` (entry-wise square); parameters ``W``, ``V`` and, with
    ``bias``, ``b``, ``c``; zero-initialised (families set the true point).

    >>> m = QuadraticNetwork(2, 1, bias=True)       # d = 2, k = 1, p = 1
    >>> with torch.no_grad():
    ...     _ = m.W.fill_(1.0), m.V.fill_(2.0), m.c.fill_(1.0)
    >>> m(torch.tensor([[1.0, 2.0]])).item(), m.n_params   # 2·(1 + 2)² + 1; k(d + p) + k + p
    (19.0, 5)
    """

    def __init__(
        self, d: int, k: int, p: int = 1, bias: bool = False, *, dtype: torch.dtype = torch.float32
    ) -> None:
        super().__init__()
        d, k, p = check_int("d", d), check_int("k", k), check_int("p", p)
        check_bool("bias", bias)
        check_dtype(dtype)
        self.d, self.k, self.p, self.bias = d, k, p, bias
        self.W = nn.Parameter(torch.zeros(d, k, dtype=dtype))
        self.V = nn.Parameter(torch.zeros(p, k, dtype=dtype))
        if bias:
            self.b = nn.Parameter(torch.zeros(k, dtype=dtype))
            self.c = nn.Parameter(torch.zeros(p, dtype=dtype))

    @property
    def n_params(self) -> int:
        """Number of scalar parameters: k(d + p), plus k + p with biases."""
        return sum(q.numel() for q in self.parameters())

    def forward(self, x: Tensor) -> Tensor:
        z = x @ self.W
        if self.bias:
            z = z + self.b
        out = z.pow(2) @ self.V.T
        return out + self.c if self.bias else out
