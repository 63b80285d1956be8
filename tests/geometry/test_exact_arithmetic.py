"""The exactness audit behind certified ranks: it refuses every computation float64 may have
rounded, and what it passes is the exact Jacobian (checked against sympy's)."""

import pytest
import sympy as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from slttheory.geometry import jacobian, jacobian_rank
from slttheory.geometry.exact_arithmetic import (
    EXACT_LIMIT,
    InexactArithmeticError,
    IntegerExactnessAudit,
)

F64 = torch.float64


def cancelling(p, x):
    """((w1·x + w2) − w1·x)·w3 = w2·w3, written so that w1·x + w2 can round."""
    w1, w2, w3 = p["w"][0], p["w"][1], p["w"][2]
    return (((w1 * x[:, 0] + w2) - w1 * x[:, 0]) * w3).unsqueeze(1)


def test_a_rounded_intermediate_is_refused_although_the_entries_are_small():
    # w1·x = 2^54 on the first sample: 2^54 + 1 rounds to 2^54, the derivative in w3 reads 0
    # instead of 1, and the rounded 2×3 Jacobian [[0, 1, 0], [0, 1, 1]] has rank 2, where the
    # true map w2·w3 has rank 1 everywhere: a higher rank, which would refute 2λ = 1.
    p = {"w": torch.tensor([2**27, 1, 1])}
    x = torch.tensor([[2**27], [1]])
    J = jacobian(cancelling, p, x)
    assert J.tolist() == [[0.0, 1.0, 0.0], [0.0, 1.0, 1.0]]  # what float64 computes
    assert int(torch.linalg.matrix_rank(J)) == 2 and J.abs().max() < 2**53
    with pytest.raises(ValueError, match="2\\^53"):
        jacobian_rank(cancelling, p, x, method="exact")
    small = {"w": torch.tensor([3, 1, 1])}  # the same map where nothing rounds
    assert jacobian_rank(cancelling, small, x, method="exact").rank == 1


def test_partial_sums_are_bounded_not_only_the_result():
    a = torch.tensor([[2.0**52, 2.0**52, -(2.0**52), -(2.0**52)]], dtype=F64)
    b = torch.ones(4, 1, dtype=F64)
    assert (a @ b).item() == 0.0  # a small result ...
    with pytest.raises(InexactArithmeticError, match="absolute values"), IntegerExactnessAudit():
        a @ b  # ... whose partial sums reach 2^53
    with pytest.raises(InexactArithmeticError, match="absolute values"), IntegerExactnessAudit():
        torch.tensor([2.0**52], dtype=F64) - torch.tensor([-(2.0**52)], dtype=F64)


@pytest.mark.parametrize(("what", "compute"), [
    ("division", lambda x: x / 2),
    ("a transcendental function", lambda x: torch.exp(x)),
    ("float32", lambda x: x.float() * 2),
    ("a non-integer constant", lambda x: x * 0.5),
    ("a non-integer constant tensor", lambda x: x * torch.tensor(1 / 3, dtype=F64)),
    ("a mean", lambda x: x.mean()),
    ("a negative power", lambda x: x ** -1),
    ("a fractional power", lambda x: x ** 0.5),
    ("a scatter that adds (a sum with no bound)",
     lambda x: torch.zeros(2, dtype=F64).scatter(0, torch.tensor([0, 0]), x, reduce="add")),
])
def test_operations_that_may_round_are_refused(what, compute):
    x = torch.tensor([3.0, 6.0], dtype=F64)
    with pytest.raises(InexactArithmeticError), IntegerExactnessAudit():
        compute(x)


def test_integer_powers_are_checked_against_repeated_products():
    x = torch.tensor([-3.0, 2.0, 7.0], dtype=F64)
    with IntegerExactnessAudit() as audit:
        y = x**5 + x ** torch.tensor([0.0, 1.0, 2.0], dtype=F64)
    assert y.tolist() == [-243.0 + 1, 32.0 + 2, 16807.0 + 49] and audit.n_ops >= 3
    with pytest.raises(InexactArithmeticError, match="2\\^53"), IntegerExactnessAudit():
        torch.tensor([3.0**20], dtype=F64) ** 2


@settings(max_examples=10, deadline=None, derandomize=True)
@given(st.data())
def test_audited_jacobian_equals_sympys(data):
    """A two-hidden-layer linear network with a squared unit, y = C·((B·A x)∘(B·A x) + A'x),
    at random integer points: the audited float64 Jacobian is the exact one."""
    ints = st.integers(-50, 50)
    A = torch.tensor(data.draw(st.lists(st.lists(ints, min_size=3, max_size=3), min_size=2,
                                        max_size=2)))
    B = torch.tensor(data.draw(st.lists(st.lists(ints, min_size=2, max_size=2), min_size=2,
                                        max_size=2)))
    C = torch.tensor(data.draw(st.lists(st.lists(ints, min_size=2, max_size=2), min_size=1,
                                        max_size=1)))
    X = torch.tensor(data.draw(st.lists(st.lists(ints, min_size=3, max_size=3), min_size=4,
                                        max_size=4)))

    def fn(p, x):
        h = x @ p["A"].T
        g = h @ p["B"].T
        return (g**2 + h) @ p["C"].T

    params = {"A": A, "B": B, "C": C}
    J = jacobian(fn, params, X, exact=True)

    syms = {k: sp.Matrix(*v.shape, lambda i, j, k=k: sp.Symbol(f"{k}{i}{j}"))
            for k, v in params.items()}
    rows = []
    for x in X.tolist():
        h = syms["A"] * sp.Matrix(x)
        g = syms["B"] * h
        rows.extend(list(syms["C"] * (g.applyfunc(lambda e: e**2) + h)))
    flat = [s for k in params for s in syms[k]]  # row-major, the jacobian's column order
    at = {s: int(v) for k in params for s, v in zip(syms[k], params[k].reshape(-1).tolist(),
                                                     strict=True)}
    exact = sp.Matrix(rows).jacobian(flat).subs(at)
    assert J.tolist() == [[float(e) for e in exact.row(i)] for i in range(exact.rows)]
    assert float(J.abs().max()) < EXACT_LIMIT


@pytest.mark.parametrize("kink", [torch.relu, torch.abs, lambda t: torch.clamp(t, min=0)])
def test_a_piecewise_map_is_refused_although_its_arithmetic_is_exact(kink):
    """relu(w1·x)·w2 is exact in float64 at integers, but not polynomial: at a kink autograd's
    Jacobian is one side's, and the generic-rank bound assumes a polynomial map. The audit
    passed it before, so its rank came out certified."""
    p = {"w": torch.tensor([0.0, 1.0], dtype=F64)}
    x = torch.tensor([[1.0], [2.0]], dtype=F64)

    def piecewise(p, x):
        return (kink(p["w"][0] * x[:, 0]) * p["w"][1]).unsqueeze(1)

    with pytest.raises(ValueError, match="not polynomial"):
        jacobian_rank(piecewise, p, x, method="exact")


@pytest.mark.parametrize("cut", [lambda t: t.detach(), lambda t: t.detach().clone()])
def test_a_map_that_cuts_its_gradient_is_refused(cut):
    """x·w detached reads a Jacobian of 0: rank 0 came out certified for a map of rank 2 (an
    outside fuzzer). The audit refuses the cut, naming it."""
    w = torch.ones(2, 1, dtype=F64)
    x = torch.eye(2, dtype=F64)
    with pytest.raises(ValueError, match="cuts the map's parameters off"):
        jacobian_rank(lambda p, x: cut(x @ p) + 0 * p.sum(), w, x, method="exact")
    assert jacobian_rank(lambda p, x: x @ p, w, x, method="exact").rank == 2
