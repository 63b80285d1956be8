"""Tests for seed 001's closed forms (slttheory.formulas.quadratic).

Three kinds of test:

- the formulas as the paper states them (exact values, symbolic/integer agreement,
  bounds, monotonicity, the relations between the statements, bad input);
- exact generic Jacobian ranks (python-flint, random integer parameters) of the
  parameter map θ ↦ (Q_1, …, Q_p) and of the centred outputs on modular-addition data,
  compared with each theorem: agreement is asserted, disagreement is pinned in tests
  named ``..._documented_discrepancy`` with the numbers observed;
- the exact rank of P⊥σ(XW) on all one-hot pairs against ``lazy_regime_bounds``.

A rank at a random integer point is a lower bound on the generic rank. Where it meets a
proven upper bound (row count; one scaling direction per hidden unit; the dimension of
the rank-≤k symmetric matrices for p = 1; the (1, −1) direction invisible on one-hot
pairs) the generic rank is certified.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest
import sympy as sp
from flint import fmpz_mat
from hypothesis import given
from hypothesis import strategies as st

from slttheory import strategies as sst
from slttheory.formulas.core import LearningCoefficient, LearningCoefficientBounds
from slttheory.formulas.quadratic import (
    lazy_regime,
    lazy_regime_bounds,
    modular_addition,
    modular_addition_stage_two,
    ntk,
    quadratic_network,
    quadratic_stage_two,
)

R = sp.Rational


def T(d: int) -> int:
    """Thm 4.1/4.2 threshold d(d+1)/2 = dim Sym(d)."""
    return d * (d + 1) // 2


# ---------------------------------------------------------------------------------------
# exact ranks (test helpers)
# ---------------------------------------------------------------------------------------


def coefficient_jacobian_rank(d: int, k: int, p: int, bias: bool = False, seed: int = 0) -> int:
    """Exact rank of the Jacobian of θ ↦ (Q_1, …, Q_p) at a random integer θ.

    With biases (p = 1) the model Σ v_k (w_kᵀx + b_k)² + c is homogenised: w̃ = [w; b],
    and the coordinates are the upper triangle of Σ v_k w̃ w̃ᵀ + c E_{d+1,d+1}, a linear
    bijection (up to row scaling) onto the coefficients (Q, linear term, constant).
    """
    rng = random.Random(seed)
    B = 10**6
    D = d + 1 if bias else d
    W = [[rng.randint(-B, B) for _ in range(k)] for _ in range(D)]
    V = [[rng.randint(-B, B) for _ in range(k)] for _ in range(p)]
    pairs = [(a, b) for a in range(D) for b in range(a, D)]
    cols: list[list[int]] = []
    for j in range(k):
        w = [W[i][j] for i in range(D)]
        for i in range(D):  # d/dW_ij of V_oj w_a w_b
            cols.append(
                [
                    V[o][j] * ((w[b] if a == i else 0) + (w[a] if b == i else 0))
                    for o in range(p)
                    for (a, b) in pairs
                ]
            )
        for o in range(p):  # d/dV_oj
            cols.append([w[a] * w[b] if oo == o else 0 for oo in range(p) for (a, b) in pairs])
    if bias:
        cols.append([1 if (a, b) == (D - 1, D - 1) else 0 for (a, b) in pairs])
    n_rows = len(cols[0])
    return fmpz_mat(n_rows, len(cols), [c[r] for r in range(n_rows) for c in cols]).rank()


def one_hot_pairs(p: int) -> list[tuple[int, int]]:
    return [(a, b) for a in range(p) for b in range(p)]


def modular_data_jacobian_rank(p: int, k: int, seed: int = 0,
                               W: list[list[int]] | None = None,
                               V: list[list[int]] | None = None) -> int:
    """Exact rank of the Jacobian of θ ↦ P⊥ f_θ(X) on all p² one-hot pairs (p outputs), at
    random integer (W, V) or at the given ones.

    f_j(a, b) = Σ_k V_jk (W_ak + W_{p+b,k})²; centring by n P⊥ = nI − 11ᵀ (integer, same rank).
    """
    rng = random.Random(seed)
    B = 10**4
    if W is None:
        W = [[rng.randint(-B, B) for _ in range(k)] for _ in range(2 * p)]
    if V is None:
        V = [[rng.randint(-B, B) for _ in range(k)] for _ in range(p)]
    pairs = one_hot_pairs(p)
    n = len(pairs)
    s = {(a, b): [W[a][j] + W[p + b][j] for j in range(k)] for a, b in pairs}
    cols: list[list[int]] = []
    for j in range(k):
        for i in range(2 * p):
            cols.append(
                [
                    2 * V[o][j] * s[a, b][j] if i in (a, p + b) else 0
                    for o in range(p)
                    for (a, b) in pairs
                ]
            )
        for o in range(p):
            cols.append([s[a, b][j] ** 2 if oo == o else 0 for oo in range(p) for (a, b) in pairs])
    centred = []
    for col in cols:
        out = []
        for o in range(p):
            block = col[o * n : (o + 1) * n]
            total = sum(block)
            out += [n * x - total for x in block]
        centred.append(out)
    n_rows = p * n
    return fmpz_mat(n_rows, len(centred), [c[r] for r in range(n_rows) for c in centred]).rank()


def centred_feature_rank(p: int, k: int, degree: int, seed: int = 0) -> int:
    """Exact rank(P⊥ σ(XW)) on all p² one-hot pairs, σ(z) = z^degree, random integer W."""
    rng = random.Random(seed)
    W = [[rng.randint(-(10**3), 10**3) for _ in range(k)] for _ in range(2 * p)]
    pairs = one_hot_pairs(p)
    n = len(pairs)
    phi = [[(W[a][j] + W[p + b][j]) ** degree for j in range(k)] for a, b in pairs]
    col_sums = [sum(row[j] for row in phi) for j in range(k)]
    return fmpz_mat([[n * row[j] - col_sums[j] for j in range(k)] for row in phi]).rank()


# ---------------------------------------------------------------------------------------
# exact values as stated
# ---------------------------------------------------------------------------------------

VALUES = [
    # d, k, p, bias, theorem, λ, dimension, case fragment, source fragment
    (3, 6, 2, False, None, R(6), 30, "Thm 4.1", "Thm 4.1 (= Thm G.5)"),
    (3, 5, 2, False, None, R(10), 25, "Thm 4.2", "Thm 4.2 (= Thm G.6)"),
    (1, 1, 3, False, None, R(3, 2), 4, "Thm 4.1", "Thm 4.1"),
    (4, 4, 1, False, None, R(5), 20, "single output, no bias, K >= d", "Thm G.1"),
    (4, 2, 1, False, None, R(7, 2), 10, "single output, no bias, K < d", "Thm G.2"),
    (4, 3, 1, False, "single_output", R(9, 2), 15, "K < d", "Thm G.2"),
    (1, 1, 1, False, None, R(1, 2), 2, "K >= d", "Thm G.1"),
    (4, 4, 1, True, None, R(15, 2), 25, "with biases, K >= d", "Thm G.1"),
    (4, 2, 1, True, None, R(5), 13, "with biases, K < d", "Thm G.2"),
    (4, 2, 1, True, "single_output", R(5), 13, "with biases, K < d", "Thm G.2"),
    (4, 2, 1, False, "multi_output", R(4), 10, "Thm 4.2", "Thm 4.2"),
    (4, 10, 1, False, "multi_output", R(5), 50, "Thm 4.1", "Thm 4.1"),
    (10, 1024, 5, False, None, R(275, 2), 1024 * 15, "Thm 4.1", "Thm 4.1"),
]


@pytest.mark.parametrize("d, k, p, bias, theorem, lam, dim, case, source", VALUES)
def test_quadratic_network_exact_values(d, k, p, bias, theorem, lam, dim, case, source):
    lc = quadratic_network(d, k, p, bias, theorem=theorem)
    assert isinstance(lc, LearningCoefficient)
    assert lc.value == lam and isinstance(lc.value, sp.Rational)
    assert lc.dimension == dim
    assert lc.multiplicity == 1
    assert case in lc.case
    assert "arXiv:2603.01192" in lc.source and source in lc.source
    assert float(lc) == float(lam)


def test_quadratic_network_assumptions_record_the_hypotheses():
    a41 = " ".join(quadratic_network(3, 6, 2).assumptions)
    assert "no bias" in a41 and "spans the symmetric" in a41 and "Watanabe" in a41
    a42 = " ".join(quadratic_network(3, 5, 2).assumptions)
    assert "(1)" in a42 and "(2)" in a42 and "(3) no cancellation" in a42
    assert "linearly independent" in a42 and "K < d(d+1)/2 = 6" in a42
    single = " ".join(quadratic_network(4, 2).assumptions)
    assert "single output" in single and "bias-free values" in single
    biased = " ".join(quadratic_network(4, 2, bias=True).assumptions)
    assert "with biases" in biased and "bias-free" not in biased


def test_modular_addition_exact_values():
    lc = modular_addition(5, 10)  # d = 10, K < 55: Thm 4.2, 10 (10 + 5 - 1)/2
    assert (lc.value, lc.dimension, lc.multiplicity) == (70, 150, 1)
    assert lc.case.startswith("modular addition (d = 2p): Thm 4.2")
    assert modular_addition(5, 55).value == R(275, 2)  # Thm 4.1: 5 * 10 * 11 / 4
    assert modular_addition(2, 9).value == R(45, 2)
    assert modular_addition(2, 10).value == 10
    assert any("(2p-1)-dim subspace" in a for a in lc.assumptions)
    assert "Thm 4.2 (= Thm G.6)" in lc.source


def test_stage_two_exact_values():
    lc = quadratic_stage_two(10, 5, 3)
    assert (lc.value, lc.dimension, lc.multiplicity) == (21, 45, None)
    assert "Thm 5.5" in lc.source and any("Thm G.5" in a for a in lc.assumptions)
    ma = modular_addition_stage_two(53, 40)  # 40 (3*53 - 1)/2
    assert ma.value == 3160 and ma.dimension == 40 * 159
    assert ma.case.startswith("modular addition")


def test_ntk_and_lazy_exact_values():
    lc = ntk(4)
    assert (lc.value, lc.multiplicity) == (2, 1)
    assert isinstance(lc.dimension, sp.Symbol)
    assert ntk(3, n_params=3).case == "full rank: regular"
    s = ntk(2, n_params=5)
    assert (s.value, s.dimension, s.case) == (1, 5, "rank < n_params: singular")
    assert ntk(0, n_params=2).value == 0
    assert "Thm 5.1" in lc.source
    lz = lazy_regime(5, 8, k=10)
    assert (lz.value, lz.dimension, lz.multiplicity) == (20, 50, 1)
    assert "Thm 5.2" in lz.source
    assert lazy_regime(3, 0, k=2).value == 0


@pytest.mark.parametrize(
    "p, k, degree, lower, upper, tight",
    [
        (5, 4, 2, R(15, 2), 10, 10),  # K < r_phi = 25: tight = upper = pK/2
        (5, 30, 2, 60, 75, 60),  # K >= 25: tight = lower = p (p^2 - 1)/2; E.7: min(30, 45)
        (5, 100, 2, 60, R(225, 2), 60),  # E.7 bound C(10, 2) = 45 binds the upper
        (3, 10, 1, 6, R(15, 2), 6),  # degree 1: r_phi = 2p - 1 = 5 = C(5, 1)
        (2, 20, 3, 3, 10, 3),  # degree 3: r_phi = 4, C(5, 3) = 10
    ],
)
def test_lazy_regime_bounds_exact(p, k, degree, lower, upper, tight):
    b = lazy_regime_bounds(p, k, degree)
    assert isinstance(b, LearningCoefficientBounds)
    assert (b.lower, b.upper, b.dimension) == (lower, upper, p * k)
    t = lazy_regime_bounds(p, k, degree, tight=True)
    assert t.lower == t.upper == tight
    assert b.contains(tight)
    assert "Prop E.7" in b.source


# ---------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------

def quadratic_sizes(bias: bool | None = False):
    """(d, k, p, bias) drawn by the library's strategy, d ≤ 8, k ≤ 60, p ≤ 6."""
    return sst.quadratic_network(max_d=8, max_k=60, max_p=6, bias=bias).map(
        lambda a: (a["d"], a["k"], a["p"], a["bias"])
    )


@given(quadratic_sizes())
def test_quadratic_network_between_zero_and_half_dimension(args):
    d, k, p, _ = args
    for theorem in (None, "multi_output"):
        lc = quadratic_network(d, k, p, theorem=theorem)
        assert 0 < lc.value <= lc.dimension / 2
    if p == 1:
        lc = quadratic_network(d, k, bias=True)
        assert 0 < lc.value <= lc.dimension / 2


@given(quadratic_sizes())
def test_monotone_in_width_within_each_regime(args):
    d, k, p, _ = args
    a = quadratic_network(d, k, p, theorem="multi_output")
    b = quadratic_network(d, k + 1, p, theorem="multi_output")
    if (k + 1 < T(d)) or (k >= T(d)):  # same regime
        assert b.value >= a.value
        assert (b.value > a.value) == (k + 1 < T(d))  # 4.2 strictly grows, 4.1 constant


@given(quadratic_sizes(bias=None))
def test_single_output_monotone_and_continuous_at_k_equals_d(args):
    d, k, _, bias = args
    a = quadratic_network(d, k, bias=bias)
    b = quadratic_network(d, k + 1, bias=bias)
    assert b.value >= a.value
    # the K < d formula evaluated at K = d equals the K >= d value: continuity
    under = (d * d - R(d * (d - 1), 2) + (d + 1 if bias else 0)) / 2
    assert under == quadratic_network(d, d, bias=bias).value


@given(st.integers(2, 12).flatmap(
    lambda d: st.tuples(st.just(d), st.integers(1, d - 1), st.booleans())))
def test_single_output_below_d_is_the_stated_formula(args):
    """K < d, the branch the continuity test above never evaluates (its sizes reach K < d in
    2–5 % of examples: an outside property-test audit): App. G's single-output value
    λ = (dK − K(K − 1)/2 + (K + 1 with biases))/2, as stated, and it rises with K."""
    d, k, bias = args
    lc = quadratic_network(d, k, bias=bias)
    assert lc.value == (d * k - R(k * (k - 1), 2) + (k + 1 if bias else 0)) / 2
    assert quadratic_network(d, k + 1, bias=bias).value > lc.value


@given(quadratic_sizes())
def test_thm_4_1_4_2_boundary_documented(args):
    """Thms 4.1/4.2 do not join continuously at K = d(d+1)/2 (only for d = 1).

    Thm 4.2's formula at K = T would be T(d+p-1)/2, Thm 4.1 gives pT/2: equal iff d = 1.
    Just below the threshold λ drops from (T-1)(d+p-1)/2 to pT/2 whenever
    (T-1)(d+p-1) > pT, e.g. d = 3, p = 1: 15/2 at K = 5, then 3 at K = 6. This pins the
    paper's statements as they are (the verifier decides which one the evidence supports).
    """
    d, _, p, _ = args
    t = T(d)
    at_t = quadratic_network(d, t, p, theorem="multi_output").value
    assert at_t == R(p * t, 2)
    assert (R(t * (d + p - 1), 2) == at_t) == (d == 1)
    if t > 1:
        below = quadratic_network(d, t - 1, p, theorem="multi_output").value
        assert below == R((t - 1) * (d + p - 1), 2)
        assert (below > at_t) == ((t - 1) * (d + p - 1) > p * t)
    # Thm 4.2 exceeds Thm 4.1's saturated value (the dimension of Sym(d)^p, over 2) exactly
    # when K(d+p-1) > p d(d+1)/2; it never exceeds dim/2 = K(d+p)/2.
    for k in range(1, t):
        v = quadratic_network(d, k, p, theorem="multi_output")
        assert (v.value > R(p * t, 2)) == (k * (d + p - 1) > p * t)
        assert v.value < v.dimension / 2


def test_documented_examples_of_the_4_2_excess():
    assert quadratic_network(3, 5, 1, theorem="multi_output").value == R(15, 2)
    assert quadratic_network(3, 6, 1, theorem="multi_output").value == 3
    assert quadratic_network(4, 9, 2).value == R(45, 2)  # > 4.1's 10 at K = 10
    assert quadratic_network(4, 10, 2).value == 10


@given(quadratic_sizes())
def test_p1_single_output_and_thm_4_2_disagree_documented(args):
    """At p = 1 App. G and Thm 4.2 agree only for k = 1 (d/2) or k >= d(d+1)/2."""
    d, k, _, _ = args
    single = quadratic_network(d, k).value
    multi = quadratic_network(d, k, theorem="multi_output").value
    assert (single == multi) == (k == 1 or k >= T(d) or d == 1)


@given(sst.modular_addition(max_p=8, max_k=200))
def test_modular_addition_is_quadratic_network_with_d_2p(args):
    p, k = args["p"], args["k"]
    a, b = modular_addition(p, k), quadratic_network(2 * p, k, p)
    assert (a.value, a.dimension, a.multiplicity) == (b.value, b.dimension, b.multiplicity)
    assert a.source == b.source


@given(sst.quadratic_stage_two(max_d=8, max_p=6, max_k_eff=60))
def test_stage_two_equals_thm_4_2_below_threshold(args):
    d, p, k = args["d"], args["p"], args["k_eff"]
    st2 = quadratic_stage_two(d, p, k)
    assert st2.value == R(k * (d + p - 1), 2)
    assert 0 < st2.value <= st2.dimension / 2
    if k < T(d):
        assert st2.value == quadratic_network(d, k, p, theorem="multi_output").value


@given(sst.modular_addition_stage_two(max_p=8, max_k_eff=200))
def test_modular_stage_two_consistency(args):
    p, k = args["p"], args["k_eff"]
    a = modular_addition_stage_two(p, k)
    assert a.value == quadratic_stage_two(2 * p, p, k).value == R(k * (3 * p - 1), 2)
    if k < p * (2 * p + 1):
        assert a.value == modular_addition(p, k).value


@given(sst.ntk(max_params=100))
def test_ntk_bounds(args):
    rank, n = args["rank"], args["n_params"]
    lc = ntk(rank, n_params=n)
    assert 0 <= lc.value <= lc.dimension / 2
    assert (lc.value == lc.dimension / 2) == (rank == n)


@given(sst.lazy_regime(max_p=6, max_k=80))
def test_lazy_regime_bounds_dimension(args):
    p, r, k = args["p"], args["feature_rank"], args["k"]
    lc = lazy_regime(p, r, k=k)
    assert lc.value == R(p * r, 2) and 0 <= lc.value <= lc.dimension / 2


@given(sst.lazy_regime_bounds(max_p=9, max_k=120, max_degree=5))
def test_lazy_regime_bounds_properties(args):
    p, k, degree = args["p"], args["k"], args["degree"]
    b = lazy_regime_bounds(p, k, degree)
    t = lazy_regime_bounds(p, k, degree, tight=True)
    assert 0 <= b.lower <= t.lower == t.upper <= b.upper <= b.dimension / 2
    r_phi = 2 * p - 1 if degree == 1 else p * p
    assert sp.binomial(2 * p + degree - 2, degree) >= r_phi  # Prop E.7 bounds r_phi
    # the exact value meets the upper bound below r_phi, the lower bound from r_phi on
    if k < r_phi:
        assert t.upper == b.upper == R(p * k, 2)
    else:
        assert t.lower == b.lower == R(p * (r_phi - 1), 2)
    assert lazy_regime_bounds(p, k + 1, degree, tight=True).lower >= t.lower


d_, k_, p_ = sp.symbols("d k p", integer=True, positive=True)


@given(quadratic_sizes())
def test_symbolic_piecewise_matches_integers(args):
    d, k, p, _ = args
    sub = {d_: d, k_: k, p_: p}
    sym = quadratic_network(d_, k_, p_)
    assert isinstance(sym.value, sp.Piecewise)
    assert sym.value.subs(sub) == quadratic_network(d, k, p).value
    assert sym.dimension.subs(sub) == quadratic_network(d, k, p).dimension
    multi = quadratic_network(d_, k_, p_, theorem="multi_output")
    assert multi.value.subs(sub) == quadratic_network(d, k, p, theorem="multi_output").value
    biased = quadratic_network(d_, k_, bias=True)
    assert biased.value.subs(sub) == quadratic_network(d, k, bias=True).value
    assert biased.dimension.subs(sub) == k * (d + 2) + 1


@given(sst.lazy_regime_bounds(max_p=8, max_k=100, max_degree=4))
def test_symbolic_lazy_bounds_match_integers(args):
    p, k, degree = args["p"], args["k"], args["degree"]
    sub = {p_: p, k_: k}
    sym = lazy_regime_bounds(p_, k_, degree)
    num = lazy_regime_bounds(p, k, degree)
    assert sp.simplify(sym.lower.subs(sub) - num.lower) == 0
    assert sp.simplify(sym.upper.subs(sub) - num.upper) == 0
    symt = lazy_regime_bounds(p_, k_, degree, tight=True)
    assert symt.lower.subs(sub) == lazy_regime_bounds(p, k, degree, tight=True).lower


def test_symbolic_modular_and_stage_two():
    assert modular_addition_stage_two(p_, k_).value == k_ * (3 * p_ - 1) / 2
    lc = modular_addition(p_, k_)
    assert lc.value.subs({p_: 5, k_: 10}) == 70
    assert lc.value.subs({p_: 5, k_: 55}) == R(275, 2)


# ---------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------

ERRORS = [
    (lambda: quadratic_network(3, 4, 2, bias=True), ValueError, "bias.*p must be 1"),
    (lambda: quadratic_network(3, 4, p_, bias=True), ValueError, "bias"),
    (lambda: quadratic_network(0, 1), ValueError, "^d must"),
    (lambda: quadratic_network(-2, 1), ValueError, "^d must"),
    (lambda: quadratic_network(3, 0), ValueError, "^k must"),
    (lambda: quadratic_network(3, 2, 0), ValueError, "^p must"),
    (lambda: quadratic_network(2.0, 3), TypeError, "^d must be an integer"),
    (lambda: quadratic_network(3, 2.5), TypeError, "^k must be an integer"),
    (lambda: quadratic_network(True, 3), TypeError, "^d must be an integer"),
    (lambda: quadratic_network(3, 3, bias=1), TypeError, "^bias must be True or False"),
    (lambda: quadratic_network(3, 3, theorem="4.2"), ValueError, "^theorem must be"),
    (lambda: quadratic_network(3, 3, 2, theorem="single_output"), ValueError, "p = 1"),
    (lambda: quadratic_network(3, 3, 1, True, theorem="multi_output"), ValueError, "bias"),
    (lambda: modular_addition(1, 3), ValueError, "^p must"),
    (lambda: modular_addition(3, 0), ValueError, "^k must"),
    (lambda: modular_addition(3.0, 2), TypeError, "^p must be an integer"),
    (lambda: quadratic_stage_two(3, 2, 0), ValueError, "^k_eff must"),
    (lambda: quadratic_stage_two(0, 2, 1), ValueError, "^d must"),
    (lambda: modular_addition_stage_two(1, 2), ValueError, "^p must"),
    (lambda: modular_addition_stage_two(3, False), TypeError, "^k_eff must be an integer"),
    (lambda: ntk(-1), ValueError, "^rank must"),
    (lambda: ntk(5, n_params=3), ValueError, r"^rank must be an integer in \[0, 3\] \(n_params\)"),
    (lambda: ntk(1.5), TypeError, "^rank must be an integer"),
    (lambda: ntk(1, n_params=0), ValueError, "^n_params must"),
    (lambda: lazy_regime(0, 1), ValueError, "^p must"),
    (lambda: lazy_regime(2, -1), ValueError, "^feature_rank must"),
    (lambda: lazy_regime(2, 5, k=3), ValueError, r"^feature_rank must .* \(width k\)"),
    (lambda: lazy_regime_bounds(5, 4, degree=0), ValueError, "^degree must"),
    (lambda: lazy_regime_bounds(5, 4, degree=2.0), TypeError, "^degree must be an integer"),
    (lambda: lazy_regime_bounds(1, 4), ValueError, "^p must"),
    (lambda: lazy_regime_bounds(5, 0), ValueError, "^k must"),
    (lambda: lazy_regime_bounds(5, 4, tight=1), TypeError, "^tight must be True or False"),
]


@pytest.mark.parametrize("call, exc, match", ERRORS)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ---------------------------------------------------------------------------------------
# exact generic Jacobian ranks against the statements
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("d", [1, 2, 3, 4, 5])
def test_single_output_matches_generic_rank(d, bias):
    """App. G.1 (p = 1, with and without biases): λ = rank/2 at a random integer point.

    Certified: the rank meets the dimension of {rank-≤k symmetric (d or d+1)-square
    matrices} (+1 for c), which bounds it above.
    """
    for k in range(1, d + 3):
        rank = coefficient_jacobian_rank(d, k, 1, bias=bias)
        assert Fraction(rank, 2) == quadratic_network(d, k, bias=bias).value, (d, k)


@pytest.mark.parametrize("d, p", [(d, p) for d in (1, 2, 3, 4) for p in (1, 2, 3, 4)])
def test_thm_4_1_matches_generic_rank(d, p):
    """Thm 4.1 (k ≥ d(d+1)/2): rank = p d(d+1)/2, the row count (certified)."""
    for k in (T(d), T(d) + 1):
        rank = coefficient_jacobian_rank(d, k, p)
        assert rank == p * T(d)
        assert Fraction(rank, 2) == quadratic_network(d, k, p, theorem="multi_output").value


DEFECTIVE = {(4, 3, 5)}  # (d, p, k): Segre-Veronese secant defect, see below


def test_thm_4_2_matches_generic_rank_when_subabundant():
    """Thm 4.2 holds (rank = k(d+p-1), certified by the k scaling directions) when p ≥ 2,
    k < d(d+1)/2 and k(d+p-1) ≤ p d(d+1)/2, except the defective (d, p, k) = (4, 3, 5);
    also for k = 1 at every p."""
    checked = 0
    for d in (2, 3, 4, 5):
        for p in (1, 2, 3, 4):
            for k in range(1, T(d)):
                sub = k * (d + p - 1) <= p * T(d)
                if (k == 1 or (p >= 2 and sub)) and (d, p, k) not in DEFECTIVE:
                    rank = coefficient_jacobian_rank(d, k, p)
                    lam = quadratic_network(d, k, p, theorem="multi_output").value
                    assert Fraction(rank, 2) == lam, (d, p, k)
                    checked += 1
    assert checked == 51


def test_thm_4_2_vs_generic_rank_documented_discrepancy():
    """Where Thm 4.2's k(d+p-1)/2 is NOT half the generic Jacobian rank (observed, exact).

    (a) p = 1, 2 ≤ k < d(d+1)/2: the generic rank is dk - k(k-1)/2 for k ≤ d and d(d+1)/2
        beyond (symmetric matrices of rank ≤ k), i.e. App. G's value, below 4.2's kd.
        Assumption (3) of Thm 4.2 fails generically at p = 1 (a single output cannot stop
        the u_i w_jᵀ + w_j u_iᵀ directions of distinct units from cancelling).
    (b) p ≥ 2, k(d+p-1) > p d(d+1)/2 (still k < d(d+1)/2): the rank saturates at the
        row count p d(d+1)/2, so 4.2 exceeds even Thm 4.1's value; its assumptions (2)-(3)
        cannot all hold there.
    (c) (d, p, k) = (4, 3, 5): k(d+p-1) = 30 = p d(d+1)/2 but the rank is 29 at every
        point tried (a defective secant variety of the Segre-Veronese P² × ν₂(P³); the
        generic-reading formula min(k(d+p-1), p d(d+1)/2)/2 of new_proof.tex misses it).
        Not certified as the generic rank: each random point has Schwartz-Zippel
        probability ≤ 60/(2·10⁶+1) of dropping rank, and all three seeds give 29.
    """
    # (a) p = 1
    observed_a = {
        (d, k): coefficient_jacobian_rank(d, k, 1) for d in (2, 3, 4, 5) for k in range(2, T(d))
    }
    for (d, k), rank in observed_a.items():
        assert rank == (d * k - k * (k - 1) // 2 if k <= d else T(d))
        assert Fraction(rank, 2) < quadratic_network(d, k, theorem="multi_output").value
        assert Fraction(rank, 2) == quadratic_network(d, k).value  # App. G.1 agrees
    assert observed_a[(3, 2)] == 5 and observed_a[(5, 4)] == 14 and observed_a[(4, 9)] == 10
    # (b) p >= 2 beyond the expected dimension
    for d, p in [(3, 2), (3, 3), (3, 4), (4, 2), (4, 3), (4, 4), (5, 2), (5, 3)]:
        for k in range(1, T(d)):
            if k * (d + p - 1) > p * T(d):
                rank = coefficient_jacobian_rank(d, k, p)
                assert rank == p * T(d), (d, p, k)
                assert Fraction(rank, 2) < quadratic_network(d, k, p).value
    assert coefficient_jacobian_rank(3, 5, 2) == 12  # 4.2 says 20 (λ = 10 vs 6)
    assert coefficient_jacobian_rank(5, 14, 4) == 60  # 4.2 says 112 (λ = 56 vs 30)
    # (c) the defective case
    assert [coefficient_jacobian_rank(4, 5, 3, seed=s) for s in range(3)] == [29, 29, 29]
    assert quadratic_network(4, 5, 3).value == 15


@pytest.mark.parametrize("p, ks", [(2, (1, 2, 3, 10)), (3, (1, 2, 3, 4, 8, 21))])
def test_modular_addition_vs_data_rank_documented_discrepancy(p, ks):
    """Jacobian of θ ↦ centred outputs on all p² one-hot pairs: rank = min(k(3p-2), p(p²-1)).

    Certified: each unit has two invisible directions (the scaling w ↦ tw, v ↦ v/t², and
    w ↦ w + t(1_p; -1_p), orthogonal to every pair), so rank ≤ k(3p-2); centring leaves
    p(p²-1) rows. The paper's value (Thm 4.2: k(3p-1)/2; Thm 4.1 at k ≥ p(2p+1):
    p²(2p+1)/2) is larger for every k checked: it treats Q_j ∈ Sym(2p) as identifiable,
    which one-hot pair data do not allow.
    """
    for k in ks:
        rank = modular_data_jacobian_rank(p, k)
        assert rank == min(k * (3 * p - 2), p * (p * p - 1)), (p, k)
        assert Fraction(rank, 2) < modular_addition(p, k).value


# ---------------------------------------------------------------------------------------
# the lazy regime on one-hot pairs
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("degree", [1, 2, 3])
@pytest.mark.parametrize("p", [2, 3, 4])
def test_lazy_regime_feature_rank_within_bounds(p, degree):
    """Exact rank(P⊥σ(XW)) at random integer W: p·rank/2 equals the tight value and lies
    within the Cor 5.3-route bounds, across k below, at and above r_phi and the E.7 bound."""
    r_phi = 2 * p - 1 if degree == 1 else p * p
    e7 = int(sp.binomial(2 * p + degree - 2, degree))
    for k in sorted({1, 2, p, r_phi - 1, r_phi, r_phi + 1, e7 + 1}):
        rank = centred_feature_rank(p, k, degree)
        assert rank == min(k, r_phi - 1), (p, k, degree)
        lam = lazy_regime(p, rank, k=k).value
        tight = lazy_regime_bounds(p, k, degree, tight=True)
        assert lam == tight.lower == tight.upper
        assert lazy_regime_bounds(p, k, degree).contains(lam)


def test_lazy_bounds_with_a_huge_prop_e7_bound():
    """C(2p + degree − 2, degree) of more than 4300 digits made the assumptions' text raise
    (str() of the integer; an outside probe of the formulas)."""
    b = lazy_regime_bounds(10**4, 5, 10**4)
    assert b.upper == 10**4 * 5 / sp.Integer(2)
    assert any("an integer of about 10^" in a for a in b.assumptions)


def test_lazy_bounds_do_not_form_a_huge_prop_e7_binomial():
    """p = degree = 10**6 formed C(3·10⁶ − 2, 10⁶) (829 300 digits) for over a minute, though
    only min(K, C) enters the bound (an outside audit); K = 2 < C gives p·K/2."""
    b = lazy_regime_bounds(10**6, 2, 10**6)
    assert (b.lower, b.upper) == (R(10**6 * 1, 2), R(10**6 * 2, 2))
    assert any("an integer of about 10^829300" in a for a in b.assumptions)
    t = lazy_regime_bounds(10**6, 2, 10**6, tight=True)
    assert t.lower == t.upper == R(10**6 * 2, 2)
    # where the binomial is below K it is still computed exactly (C(6, 2) = 15 < K = 40)
    assert lazy_regime_bounds(3, 40, 2).upper == R(3 * 15, 2)


@given(st.integers(10**15, 10**450), st.integers(3, 60), st.integers(1, 10))
def test_lazy_bounds_state_the_magnitude_of_a_huge_prop_e7_bound(p, degree, k):
    """The assumptions' order of magnitude of C(2p + degree − 2, degree), against the exact
    binomial (math.log10 of the integer). The lgamma difference cancelled to 0 for large p and
    small degree ("about 10^0" for p = 10**30, degree = 10, where C ≈ 10^296) and raised
    OverflowError above p ≈ 10^306 (an outside audit)."""
    b = lazy_regime_bounds(p, k, degree)
    assert b.upper == p * k / sp.Integer(2)
    text = next(a for a in b.assumptions if "Prop E.7 bound" in a)
    exact = math.comb(2 * p + degree - 2, degree)
    if exact > 2**200:
        exponent = int(text.rsplit("an integer of about 10^", 1)[1])
        assert abs(exponent - math.log10(exact)) <= 0.5 + 1e-9, (p, degree, text)


# ---------------------------------------------------------------------------------------
# Thm 5.5 (Stage II) at a point with inactive units
# ---------------------------------------------------------------------------------------


def _stage_two_point(rows: int, p: int, k_eff: int, k: int, seed: int):
    """Random integer (W, V) with units k_eff … k − 1 inactive in the sense of eq. (5):
    output column v_k = 0, input weights w_k ≠ 0 (eq. (5) says nothing about w_k)."""
    rng = random.Random(seed)
    W = [[rng.randint(1, 10**4) * rng.choice((-1, 1)) for _ in range(k)] for _ in range(rows)]
    V = [[rng.randint(-(10**4), 10**4) if j < k_eff else 0 for j in range(k)] for _ in range(p)]
    return W, V


def _rank(cols: list[list[int]]) -> int:
    n_rows = len(cols[0])
    return fmpz_mat(n_rows, len(cols), [c[r] for r in range(n_rows) for c in cols]).rank()


@pytest.mark.parametrize(("d", "p", "k_eff", "k"), [(3, 1, 1, 3), (4, 2, 2, 4), (5, 3, 2, 5)])
def test_stage_two_below_the_hessian_rank_with_inactive_units_documented_discrepancy(
        d, p, k_eff, k):
    """Thm 5.5 as stated (``quadratic_stage_two``) counts the K_eff active units only. At a
    Stage-II point whose K − K_eff inactive units have v_k = 0 but w_k ≠ 0 (eq. (5) constrains
    v_k only), the Jacobian of θ ↦ (Q_1, …, Q_p) has rank K_eff(d + p − 1) + p(K − K_eff):
    each inactive unit adds δv_k ⊗ w_k w_kᵀ (certified: an active unit spans at most d + p − 1
    directions, an inactive one at most p, as its δw_k columns vanish). Since λ ≥ rank/2 at
    any zero of K ≥ 0 (splitting lemma: K = |x|² + h(y) with h ≥ 0), the learning coefficient
    of the whole network there exceeds the stated K_eff(d + p − 1)/2: the statement holds
    for the active subnetwork (as ``dimension`` and the assumptions record), not for the
    network with inactive units of non-zero input weight."""
    W, V = _stage_two_point(d, p, k_eff, k, seed=d + 10 * p)
    pairs = [(a, b) for a in range(d) for b in range(a, d)]
    cols = []
    for j in range(k):
        w = [W[i][j] for i in range(d)]
        for i in range(d):
            cols.append([V[o][j] * ((w[b] if a == i else 0) + (w[a] if b == i else 0))
                         for o in range(p) for (a, b) in pairs])
        for o in range(p):
            cols.append([w[a] * w[b] if oo == o else 0 for oo in range(p) for (a, b) in pairs])
    rank = _rank(cols)
    assert rank == k_eff * (d + p - 1) + p * (k - k_eff) <= p * T(d), (d, p, k_eff, k, rank)
    stated = quadratic_stage_two(d, p, k_eff).value
    assert stated == R(k_eff * (d + p - 1), 2) < R(rank, 2)


@pytest.mark.parametrize(("p", "k_eff", "k"), [(3, 2, 4), (4, 2, 5)])
def test_modular_stage_two_below_the_hessian_rank_with_inactive_units_documented_discrepancy(
        p, k_eff, k):
    """The same on all p² one-hot pairs (centred outputs, as
    test_modular_addition_vs_data_rank_documented_discrepancy): an active unit spans at most
    3p − 2 directions there, an inactive one (v_k = 0, w_k ≠ 0) at most p, and the exact rank
    K_eff(3p − 2) + p(K − K_eff) is attained, so λ ≥ rank/2 > K_eff(3p − 1)/2 once
    p(K − K_eff) > K_eff."""
    W, V = _stage_two_point(2 * p, p, k_eff, k, seed=p)
    rank = modular_data_jacobian_rank(p, k, W=W, V=V)
    assert rank == k_eff * (3 * p - 2) + p * (k - k_eff) <= p * (p * p - 1), (p, k_eff, k, rank)
    assert modular_addition_stage_two(p, k_eff).value == R(k_eff * (3 * p - 1), 2) < R(rank, 2)
