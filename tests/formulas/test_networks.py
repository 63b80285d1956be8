"""Tests for tanh networks and polynomial regression (slttheory.formulas.networks).

The tanh formula (Aoyagi & Watanabe 2005, IEICE) is tested as stated: its properties and
its h = 1 value (a normal crossing); nothing here computes λ independently for h ≥ 2, so
its standing is "as_stated". Polynomial regression is checked by an exact Jacobian rank.
"""

from __future__ import annotations

import math

import pytest
import sympy as sp
from flint import fmpz_mat
from hypothesis import given
from hypothesis import strategies as st

from slttheory import strategies as sst
from slttheory.formulas import normal_crossing, polynomial_regression, regular, tanh_network

R = sp.Rational


def branch(j, h):
    """The j-th linear branch (h + j² + j)/(4j + 2) of the tanh formula, for real h."""
    return (h + j**2 + j) / sp.Integer(4 * j + 2)


# ----------------------------------------------------------------------------- tanh network


@pytest.mark.parametrize(
    ("h", "lam", "m"),
    [
        (1, R(1, 2), 2),  # leading term a²b²: normal crossing (1/2, 2)
        (2, R(2, 3), 1),
        (3, R(5, 6), 1),
        (4, R(1), 2),
        (5, R(11, 10), 1),
        (9, R(3, 2), 2),
        (10, R(11, 7), 1),
    ],
)
def test_tanh_values(h, lam, m):
    lc = tanh_network(h)
    assert lc.value == lam and isinstance(lc.value, sp.Rational)
    assert lc.multiplicity == m
    assert lc.dimension == 2 * h
    assert "Aoyagi & Watanabe 2005" in lc.source
    assert any("odd moments" in a for a in lc.assumptions)
    assert any("2010.11560" in a for a in lc.assumptions)


@given(st.one_of(st.integers(1, 10**6), st.integers(1, 1000).map(lambda i: i * i)))
def test_tanh_bounds_and_strict_increase(h):
    lc, nxt = tanh_network(h), tanh_network(h + 1)
    assert 0 < lc.value <= h  # λ ≤ H ...
    assert lc.value <= lc.dimension / 2  # ... = dim/2
    assert nxt.value > lc.value
    # two minimising branches exactly at the perfect squares (perfect squares are drawn half
    # of the time: among 10^6 integers they are one in a thousand)
    assert (lc.multiplicity == 2) == (math.isqrt(h) ** 2 == h)


@given(st.integers(1, 2000))
def test_tanh_is_min_over_branches(h):
    """Derived route: λ = min_{j ≥ 0} (h + j² + j)/(4j + 2), m = number of minimisers."""
    vals = [branch(j, h) for j in range(0, 2 * int(h**0.5) + 3)]
    lam = min(vals)
    lc = tanh_network(h)
    assert lc.value == lam
    assert lc.multiplicity == vals.count(lam)


@pytest.mark.parametrize("i", [1, 2, 3, 7, 30])
def test_tanh_continuous_at_perfect_squares(i):
    """At h = i² the branches j = i − 1 (used for h < i²) and j = i (for h ≥ i²) agree.

    Tested two ways: the linear branches at the real point h = i², and the one-sided
    sympy limits of the symbolic value (with floor(sqrt(h))) as h → i² over the reals.
    """
    assert branch(i - 1, i**2) == branch(i, i**2) == R(i, 2) == tanh_network(i**2).value
    h = sp.Symbol("h", positive=True)
    expr = tanh_network(h).value
    # sanity: sympy's one-sided limit does see the jump of floor(sqrt(h)) itself
    assert sp.limit(sp.floor(sp.sqrt(h)), h, i**2, dir="-") == i - 1
    assert sp.limit(expr, h, i**2, dir="-") == R(i, 2)
    assert sp.limit(expr, h, i**2, dir="+") == R(i, 2)


def test_tanh_symbolic():
    h = sp.Symbol("h", positive=True, integer=True)
    lc = tanh_network(h)
    assert lc.value.free_symbols == {h}
    assert isinstance(lc.multiplicity, sp.Piecewise)
    assert lc.dimension == 2 * h
    for k in range(1, 40):
        num, sub = tanh_network(k), lc.subs(h, k)
        assert (sub.value, sub.multiplicity, sub.dimension) == (
            num.value,
            num.multiplicity,
            num.dimension,
        )
    with pytest.raises(TypeError, match="symbolic"):
        float(lc)


@pytest.mark.parametrize(
    ("h", "exc"),
    [(0, ValueError), (-3, ValueError), (1.5, TypeError), (2.0, TypeError), (True, TypeError),
     ("3", TypeError), (R(1, 2), TypeError), (None, TypeError)],
)
def test_tanh_errors(h, exc):
    with pytest.raises(exc, match="h must be an integer"):
        tanh_network(h)


# ------------------------------------------------------------------------ polynomial regression


def test_tanh_h1_is_a_normal_crossing():
    """h = 1: K(a, b) = E[(a tanh(bx))²] = a²b²·(positive), the normal crossing (1/2, 2)."""
    lc, nc = tanh_network(1), normal_crossing([1, 1])
    assert (lc.value, lc.multiplicity) == (nc.value, nc.multiplicity)
    assert lc.standing == "as_stated" and lc.established_by == ""


@pytest.mark.parametrize("degree", range(0, 13))
def test_polynomial_regression_is_half_exact_vandermonde_rank(degree):
    """Independent route (standing): the Jacobian of c ↦ (Σ_i c_i x^i)_x on sample points is
    the Vandermonde matrix [x^i]; its exact rank (python-flint) on 2·degree + 3 distinct
    integer points is degree + 1, the parameter count, so the Fisher information is
    positive definite (regular) and λ = rank/2 (regular's zeta pole, test_linear.py)."""
    points = range(-degree - 1, degree + 2)
    rank = fmpz_mat([[x**i for i in range(degree + 1)] for x in points]).rank()
    assert rank == degree + 1
    lc = polynomial_regression(degree)
    assert lc.dimension == rank
    assert (lc.value, lc.multiplicity) == (regular(rank).value, 1) == (R(rank, 2), 1)


@given(sst.polynomial_regression(max_degree=10**4))
def test_polynomial_regression_is_regular_in_degree_plus_one(args):
    degree = args["degree"]
    lc = polynomial_regression(degree)
    assert lc.value == R(degree + 1, 2)
    assert lc.multiplicity == 1
    assert lc.dimension == degree + 1
    ref = regular(degree + 1)
    assert (lc.value, lc.multiplicity, lc.dimension) == (ref.value, ref.multiplicity, ref.dimension)


def test_polynomial_regression_vs_seed_count():
    """Seed 000 states λ_d = d/2 for Σ_{i=0}^{d} a_i x^i; the coefficient count gives 1/2 more."""
    for degree in (1, 10, 1000):
        assert polynomial_regression(degree).value - R(degree, 2) == R(1, 2)
    assert "seed 000" in polynomial_regression.__doc__.lower()


def test_polynomial_regression_values_and_symbolic():
    assert polynomial_regression(0).value == R(1, 2)
    assert polynomial_regression(3).value == 2
    d = sp.Symbol("d", integer=True, nonnegative=True)
    lc = polynomial_regression(d)
    assert sp.simplify(lc.value - (d + 1) / 2) == 0
    assert lc.subs(d, 5).value == 3


@pytest.mark.parametrize(
    ("degree", "exc"),
    [(-1, ValueError), (2.0, TypeError), (False, TypeError), ("2", TypeError),
     (R(3, 2), TypeError)],
)
def test_polynomial_regression_errors(degree, exc):
    with pytest.raises(exc, match="degree must be an integer"):
        polynomial_regression(degree)
