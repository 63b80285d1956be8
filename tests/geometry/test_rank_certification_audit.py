"""An audit of certified ranks: an integer tensor that float64 arithmetic promotes.

The exactness audit checked the floating tensors an operation reads and its absolute-value
bound, but not the integer tensors promoted beside them: an int64 constant −(2^53 + 1) is
read as −2^53, and a negative integer operand lowered the bound instead of raising it. The
map (w₀, w₁·((w₀ + 2^53 − 100) + c + 99)) with c = −(2^53 + 1) is (w₀, w₁(w₀ − 2)) over the
integers, of rank 1 at w* = (2, 0) (sympy), where λ = 1/2; float64 computed (w₀, w₁(w₀ − 1)),
whose Jacobian there has rank 2, certified exact, so λ ≥ 1 refuted the true λ.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sympy as sp
import torch

from slttheory.geometry import jacobian_rank, true_point_rank
from slttheory.geometry.exact_arithmetic import InexactArithmeticError, IntegerExactnessAudit

BIG = -(2**53 + 1)  # float64 reads it as −2^53
OFFSET = 2**53 - 100


def _rounding_map(p, x):
    w = p["w"]
    c = torch.tensor(BIG, dtype=torch.int64)
    h = (w[0] + OFFSET) + c + 99  # = w0 − 2 over the integers
    return torch.stack([w[0], w[1] * h]).reshape(1, 2) * x


def _true_rank() -> int:
    w0, w1 = sp.symbols("w0 w1")
    f = sp.Matrix([w0, w1 * (w0 + OFFSET + BIG + 99)])
    return int(f.jacobian([w0, w1]).subs({w0: 2, w1: 0}).rank())


def test_a_promoted_integer_constant_past_2_53_is_refused_not_ranked():
    assert _true_rank() == 1
    x = torch.ones(1, 1, dtype=torch.int64)
    with pytest.raises(ValueError, match="integer tensor"):
        jacobian_rank(_rounding_map, {"w": torch.tensor([2, 0])}, x, method="exact")
    rp = SimpleNamespace(fn=_rounding_map, param_shapes={"w": (2,)}, inputs=x, degree=2,
                         true_point="exact", true_params={"w": torch.tensor([2, 0])},
                         true_support=None)
    with pytest.raises(ValueError, match="integer tensor"):
        true_point_rank(rp)  # had certified rank 2 (exact): λ ≥ 1 where λ = 1/2


@pytest.mark.parametrize("compute", [
    # a negative integer operand had lowered the bound: (2^53 − 1) + (−2^53) "= −1"
    lambda s, t1: torch.add(s, torch.tensor([BIG])),
    # its product with a float passes 2^53 inside a fused operation
    lambda s, t1: torch.addcmul(s, t1, torch.tensor([-(2**52 + 1)])),
    lambda s, t1: torch.tensor([-(2**52 + 1)]) * 3.0 + s,
])
def test_integer_operands_enter_the_bound_with_their_absolute_values(compute):
    s = torch.tensor([2.0**53 - 1], dtype=torch.float64)
    t1 = torch.tensor([3.0], dtype=torch.float64)
    with pytest.raises(InexactArithmeticError), IntegerExactnessAudit():
        compute(s, t1)


def test_small_integer_operands_and_negative_indices_stay_audited_exact():
    w = torch.tensor([[1.0, -2.0], [3.0, 4.0]], dtype=torch.float64)
    with IntegerExactnessAudit() as audit:
        a = w * torch.tensor([-3, 5]) - torch.tensor([7, -8])  # promoted small integers
        b = torch.index_put(w, (torch.tensor([-1]),), torch.ones(1, 2, dtype=torch.float64),
                            accumulate=True)  # a negative index is no operand
        c = torch.index_add(w, 0, torch.tensor([1, 1]), w)
    assert audit.n_ops > 0
    assert a.tolist() == [[-10.0, -2.0], [-16.0, 28.0]]
    assert b.tolist() == [[1.0, -2.0], [4.0, 5.0]]
    assert c.tolist() == [[1.0, -2.0], [7.0, 6.0]]


def test_an_integer_tensor_promoted_by_a_python_float_is_audited():
    # no floating tensor read: under a float64 default dtype, int64 + 99.0 is float64 and
    # read −(2^53 + 1) as −2^53 (−2^53 + 99 for −2^53 + 98), past the output check
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        with pytest.raises(InexactArithmeticError, match="integer tensor"), \
                IntegerExactnessAudit():
            torch.tensor([BIG]) + 99.0
        with IntegerExactnessAudit():
            out = torch.tensor([-(2**52)]) + 99.0
        assert out.dtype == torch.float64 and out.item() == -(2**52) + 99
    finally:
        torch.set_default_dtype(default)
