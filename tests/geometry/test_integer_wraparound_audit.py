"""An audit of certified ranks: integer arithmetic inside the map that wraps around.

The exactness audit checked every operation that reads a floating tensor, and the integer
tensors promoted there (below 2^53), but not the operations on integer tensors alone, which
compute the map's constant coefficients: int64 2^32 · 2^32 is 0, an int32 product or a uint8
negation wraps sooner (−1 as uint8 is 255), and the wrapped constant is small, so it passed.
The map (w₀ + 2^32·w₁, 2^32·w₀ + 2^64·w₁), with 2^64 computed as c·c in int64, has rank 1
(sympy); float64 saw (w₀ + 2^32·w₁, 2^32·w₀), of rank 2, certified by ``jacobian_rank``
and by ``generic_rank`` as the largest possible rank, checked against the map's values (which
wrapped the same way). Likewise ``tanh`` of an integer tensor (default dtype float64) is the
integer 1.0, not tanh(40), and passed as exact.
"""

from __future__ import annotations

import pytest
import sympy as sp
import torch

from slttheory.geometry import generic_rank, jacobian_rank
from slttheory.geometry.exact_arithmetic import InexactArithmeticError, IntegerExactnessAudit

C = 2**32


def _wrapping_map(p, x):
    c = torch.tensor(C)  # int64
    w = p["w"]
    rows = torch.stack([w[0] + c * w[1], c * w[0] + (c * c) * w[1]])  # c·c = 2^64 wraps to 0
    return rows.reshape(1, 2).expand(x.shape[0], 2)


def _true_rank() -> int:
    w0, w1 = sp.symbols("w0 w1")
    f = sp.Matrix([w0 + C * w1, C * w0 + C**2 * w1])
    return int(f.jacobian([w0, w1]).rank())


def test_a_wrapped_int64_coefficient_is_refused_not_ranked():
    assert _true_rank() == 1
    x = torch.zeros(1, 1)
    with pytest.raises(ValueError, match="wrap around"):  # had certified rank 2
        jacobian_rank(_wrapping_map, {"w": torch.tensor([1, 2])}, x, method="exact")
    with pytest.raises(ValueError, match="wrap around"):  # had certified 2 = max_possible
        generic_rank(_wrapping_map, {"w": (2,)}, x, degree=1)


@pytest.mark.parametrize("compute", [
    lambda: torch.tensor(C) * torch.tensor(C),
    lambda: torch.tensor([2**62, 2**62]).sum(),
    lambda: torch.tensor(C) ** 2,
    lambda: torch.tensor(2**16, dtype=torch.int32) * 2**16,
    lambda: -torch.tensor(1, dtype=torch.uint8),
    lambda: torch.tensor([1, 2], dtype=torch.uint8) - 3,
    lambda: torch.tensor([1]) << 62,
    lambda: torch.tensor([[C]]) @ torch.tensor([[C]]),
    lambda: torch.tensor([-128], dtype=torch.int8).abs(),
    lambda: torch.tensor([C, C, 3]).cumprod(0),
])
def test_integer_only_arithmetic_that_wraps_is_refused(compute):
    with pytest.raises(InexactArithmeticError, match="wrap"), IntegerExactnessAudit():
        compute()


@pytest.mark.parametrize(("compute", "expected"), [
    (lambda: torch.arange(5) * 3 + 1, [1, 4, 7, 10, 13]),
    (lambda: 2 ** torch.arange(4), [1, 2, 4, 8]),
    (lambda: torch.tensor([3, 4]) << 2, [12, 16]),
    (lambda: torch.tensor([[1, 2], [3, 4]]) @ torch.tensor([1, 2]), [5, 11]),
    (lambda: torch.arange(1, 5).prod(), 24),
    (lambda: torch.tensor([1, 2], dtype=torch.uint8) - 1, [0, 1]),
    (lambda: -torch.tensor([3, -4]), [-3, 4]),
    (lambda: torch.tensor([-3, 4]).abs(), [3, 4]),
    (lambda: torch.arange(1, 5).cumprod(0), [1, 2, 6, 24]),
    (lambda: torch.zeros(3, dtype=torch.int64).index_add_(0, torch.tensor([0, 0]),
                                                           torch.tensor([5, 6])), [11, 0, 0]),
])
def test_integer_only_arithmetic_that_is_exact_passes(compute, expected):
    with IntegerExactnessAudit():
        assert compute().tolist() == expected


def test_a_transcendental_function_of_an_integer_tensor_is_refused():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        with pytest.raises(InexactArithmeticError, match="not an exact integer"), \
                IntegerExactnessAudit():
            torch.tanh(torch.tensor(40))  # 1.0, an integer, not tanh(40)
    finally:
        torch.set_default_dtype(old)
