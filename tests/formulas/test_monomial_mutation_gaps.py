"""Rules of ``slttheory.formulas.monomial`` that a mutation run found no fast test pinned:
each test fails on a one-line mutant of the module (a pivot rule of the exact simplex, the
dominance filter ahead of the vertex cap, the array-to-list conversion) and checks the exact
value against an independent computation (a hand-derived λ and m, scipy's HiGHS)."""

from __future__ import annotations

import array
import contextlib
import signal
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import linprog

from slttheory.formulas import newton_polyhedron, normal_crossing
from slttheory.formulas.monomial import MAX_NEWTON_VERTICES, _simplex_max

R = sp.Rational


# ----------------------------------------------------------------------------- input conversion


def test_a_sequence_with_tolist_but_no_ndim_is_read_as_it_is():
    """Only an object with both ``ndim`` and ``tolist`` (numpy, torch) is converted: an
    ``array.array`` (a Sequence with ``tolist`` and no ``ndim``) is read entry by entry. By hand:
    x²y⁴ has λ = min(1/2, 1/4) = 1/4, m = 1; x² + y⁴ meets the diagonal at t(1/2 + 1/4) = 1,
    so λ = 1/t = 3/4, m = 1."""
    nc = normal_crossing(array.array("i", [1, 2]), array.array("i", [0, 0]))
    assert (nc.value, nc.multiplicity, nc.dimension) == (R(1, 4), 1, 2)
    nw = newton_polyhedron([array.array("i", [2, 0]), array.array("i", [0, 4])])
    assert (nw.value, nw.multiplicity) == (R(3, 4), 1)


# ----------------------------------------------------------------------------- vertex cap


def test_weakly_dominated_vectors_do_not_count_towards_the_vertex_cap():
    """A vector that dominates another with equality in some coordinates ((0, 200) ≥ (0, 198))
    lies in Γ₊ of the other and is dropped before the MAX_NEWTON_VERTICES cap is applied. The
    100 minimal vectors x^(2i) y^(198−2i) span the facet x + y = 198, which the diagonal meets
    at t = 99 between (98, 100) and (100, 98): λ = 1/99, m = 1, with or without the extras."""
    n = MAX_NEWTON_VERTICES
    minimal = [(2 * i, 2 * (n - 1 - i)) for i in range(n)]
    extras = [(0, 200), (0, 199), (198, 1), (198, 5), (2, 198), (100, 98 + 7)]
    lc = newton_polyhedron(minimal + extras)
    assert (lc.value, lc.multiplicity) == (R(1, 99), 1)


# ----------------------------------------------------------------------------- exact simplex


@contextlib.contextmanager
def _deadline(seconds: float):
    """Raise TimeoutError in the main thread after ``seconds`` (a cycling simplex never ends)."""
    if not hasattr(signal, "setitimer"):  # pragma: no cover - not on POSIX
        pytest.skip("needs signal.setitimer")

    def _raise(signum, frame):
        raise TimeoutError(f"no result within {seconds} s: the simplex cycles")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# Degenerate LPs max c·x, rows·x ≤ b, x ≥ 0 (all but the last right-hand side 0) on which a
# simplex that departs from Bland's rule cycles, with their exact optima.
CYCLING_LPS = {
    # Chvátal, Linear Programming (1983), Ch. 3: cycles with the largest-coefficient entering
    # rule (ties to the smallest basic index); the optimum 1 is at x = (1, 0, 1, 0).
    "chvatal": ([10, -57, -9, -24],
                [[Fraction(1, 2), Fraction(-11, 2), Fraction(-5, 2), 9],
                 [Fraction(1, 2), Fraction(-3, 2), Fraction(-1, 2), 1], [1, 0, 0, 0]],
                [0, 0, 1], Fraction(1)),
    # cycles when a ratio tie goes to the largest basic index (Bland's leaving rule reversed);
    # x4 ≤ 1 gives x5 ≤ 6 − 2x1, so the optimum is 60 at x5 = 6, x4 = 1.
    "largest_index_leaves": ([1, -4, 0, 0, 10],
                             [[2, 0, 0, -6, 1], [-4, -8, 6, 0, -7], [1, 0, 0, -4, 0],
                              [-1, 10, -6, 0, 0], [0, 0, 0, 1, 0]],
                             [0, 0, 0, 0, 1], Fraction(60)),
    # cycles when a ratio tie goes to the first row instead of the smallest basic index.
    "first_row_leaves": ([-2, -2, 0, 1, -1],
                         [[8, -3, 0, 1, -9], [1, -7, 1, 4, -9], [0, 0, 0, 0, 1]],
                         [0, 0, 1], Fraction(5, 4)),
}


@pytest.mark.parametrize("name", sorted(CYCLING_LPS))
def test_exact_simplex_keeps_blands_rule_on_degenerate_lps(name):
    """Bland's rule (smallest index enters; ratio ties leave by the smallest basic index) is
    what makes the exact simplex finish on degenerate LPs, and both Newton LPs are degenerate
    (right-hand side 0). The optimum is checked against scipy's HiGHS and x for feasibility."""
    c, rows, b, optimum = CYCLING_LPS[name]
    fc = [Fraction(x) for x in c]
    frows = [[Fraction(x) for x in r] for r in rows]
    fb = [Fraction(x) for x in b]
    with _deadline(5):
        value, x = _simplex_max(fc, frows, fb)
    assert value == optimum
    assert sum(ci * xi for ci, xi in zip(fc, x, strict=True)) == optimum
    assert all(xi >= 0 for xi in x)
    assert all(sum(a * xi for a, xi in zip(r, x, strict=True)) <= bi
               for r, bi in zip(frows, fb, strict=True))
    ref = linprog(-np.array(c, float), A_ub=np.array(rows, float), b_ub=np.array(b, float),
                  bounds=(0, None), method="highs")
    assert ref.status == 0 and abs(-ref.fun - float(optimum)) < 1e-9
