"""Tests for free energy and Bayes generalisation error (slttheory.formulas.asymptotics)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from slttheory.formulas import (
    LearningCoefficient,
    bayes_generalization_error,
    free_energy,
    normal_crossing,
    regular,
)

R = sp.Rational
n = sp.Symbol("n", positive=True)


def test_free_energy_values():
    assert free_energy(100, R(1, 2)) == sp.log(100) / 2
    assert free_energy(100, R(1, 2), m=2) == sp.log(100) / 2 - sp.log(sp.log(100))
    assert free_energy(100, 3, m=3, n_loss=R(7, 2)) == R(7, 2) + 3 * sp.log(100) - 2 * sp.log(
        sp.log(100)
    )
    f = free_energy(10**6, 1.5, m=2, n_loss=10.0)
    expected = 10.0 + 1.5 * math.log(1e6) - math.log(math.log(1e6))
    assert float(f) == pytest.approx(expected, rel=1e-12)
    assert free_energy(50, Fraction(3, 4)) == R(3, 4) * sp.log(50)
    assert isinstance(free_energy(100, 1), sp.Expr)


@given(
    st.fractions(min_value=Fraction(1, 100), max_value=100),
    st.integers(1, 6),
    st.fractions(min_value=-1000, max_value=1000),
)
def test_free_energy_symbolic_in_n(lam, m, loss):
    lam = R(lam.numerator, lam.denominator)
    loss = R(loss.numerator, loss.denominator)
    f = free_energy(n, lam, m=m, n_loss=loss)
    assert f.free_symbols == {n}
    # derivative: λ/n − (m − 1)/(n log n)
    assert sp.simplify(sp.diff(f, n) - (lam / n - (m - 1) / (n * sp.log(n)))) == 0
    # F_n − n L_n grows like λ log n, and the correction is −(m − 1) log log n
    assert sp.limit((f - loss) / sp.log(n), n, sp.oo) == lam
    assert sp.limit((f - loss - lam * sp.log(n)) / sp.log(sp.log(n)), n, sp.oo) == 1 - m
    # integer n gives the substituted value
    assert sp.simplify(free_energy(1000, lam, m=m, n_loss=loss) - f.subs(n, 1000)) == 0


def test_free_energy_symbolic_arguments():
    lam, m, loss = sp.symbols("lambda m L", positive=True)
    f = free_energy(n, lam, m=m, n_loss=loss)
    assert f == loss + lam * sp.log(n) - (m - 1) * sp.log(sp.log(n))


def test_free_energy_takes_value_and_multiplicity_from_learning_coefficient():
    lc = normal_crossing([1, 1])  # x²y²: λ = 1/2, m = 2
    assert free_energy(n, lc) == sp.log(n) / 2 - sp.log(sp.log(n))
    assert free_energy(n, lc, m=1) == sp.log(n) / 2  # explicit m wins
    assert free_energy(n, regular(4), n_loss=5) == 5 + 2 * sp.log(n)
    nomult = LearningCoefficient(value=R(3, 2), multiplicity=None, dimension=4, case="test")
    with pytest.raises(ValueError, match="m must be given"):
        free_energy(n, nomult)
    assert free_energy(n, nomult, m=1) == R(3, 2) * sp.log(n)
    sym = LearningCoefficient(value=sp.Symbol("a", positive=True), multiplicity=1, dimension=2,
                              case="test")
    assert free_energy(n, sym) == sp.Symbol("a", positive=True) * sp.log(n)


def test_bayes_generalization_error():
    assert bayes_generalization_error(100, 3) == R(3, 100)
    assert bayes_generalization_error(1, R(1, 2)) == R(1, 2)
    g = bayes_generalization_error(n, R(3, 4))
    assert g == R(3, 4) / n
    assert sp.limit(n * g, n, sp.oo) == R(3, 4)
    assert bayes_generalization_error(n, normal_crossing([1, 2])) == 1 / (4 * n)
    assert float(bayes_generalization_error(1000, 0.5)) == pytest.approx(5e-4, rel=1e-12)
    # E[G_n] = E[F_{n+1}] − E[F_n] − S: to first order the increment of λ log n, i.e. λ/n
    assert sp.diff(free_energy(n, R(3, 4)), n) == g


BAD_N = [(0, ValueError), (-5, ValueError), (2.5, TypeError), (100.0, TypeError),
         ("100", TypeError), (True, TypeError), (R(1, 2), TypeError)]
BAD_LAM = [(0, ValueError), (-1, ValueError), (float("nan"), ValueError),
           (float("inf"), ValueError), (sp.oo, ValueError), (sp.I, ValueError),
           ("1/2", TypeError), (True, TypeError), (None, TypeError), (1j, TypeError),
           ([1], TypeError)]


@pytest.mark.parametrize(("bad", "exc"), [*BAD_N, (1, ValueError)])
def test_free_energy_bad_n(bad, exc):
    with pytest.raises(exc, match="n must be an integer"):
        free_energy(bad, 1)


@pytest.mark.parametrize(("bad", "exc"), BAD_N)
def test_bayes_bad_n(bad, exc):
    with pytest.raises(exc, match="n must be an integer"):
        bayes_generalization_error(bad, 1)


@pytest.mark.parametrize(("bad", "exc"), BAD_LAM)
def test_bad_lam(bad, exc):
    with pytest.raises(exc, match="lam"):
        free_energy(100, bad)
    with pytest.raises(exc, match="lam"):
        bayes_generalization_error(100, bad)


@pytest.mark.parametrize(("bad", "exc"), [(0, ValueError), (-1, ValueError), (1.5, TypeError),
                                          (True, TypeError), ("2", TypeError)])
def test_free_energy_bad_m(bad, exc):
    with pytest.raises(exc, match="m must be an integer"):
        free_energy(100, 1, m=bad)


@pytest.mark.parametrize(("bad", "exc"), [("3", TypeError), (1j, TypeError), (sp.I, ValueError),
                                          (float("nan"), ValueError), (sp.zoo, ValueError),
                                          (None, TypeError)])
def test_free_energy_bad_n_loss(bad, exc):
    with pytest.raises(exc, match="n_loss"):
        free_energy(100, 1, n_loss=bad)
