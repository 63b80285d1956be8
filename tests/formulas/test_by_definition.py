"""Corner cases of the closed forms, each against a computation that does not go through the
code under test. A mutation audit of the formulas found three changes that no other test
caught: a deep linear network's multiplicity wrong where 1 < a < ℓ, the tanh network's
symbolic multiplicity negated, the Newton polyhedron's vertex cap off by one.

The references: Aoyagi's Σ and multiplicity from their definition (brute force over all
subsets, as Lau et al.'s code, public repository edmundlth/validating_lambdahat, dln.py,
states them), the min-over-branches form of the tanh formula, and the quasi-homogeneous
value λ = d/D of a Newton polyhedron with a single compact facet."""

from __future__ import annotations

import itertools
import math
import re
from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import event, given
from hypothesis import strategies as st

from slttheory.formulas import deep_linear_network, newton_polyhedron, tanh_network
from slttheory.formulas.monomial import MAX_NEWTON_VERTICES

# ------------------------------------------------------------------ deep linear networks


def _aoyagi_by_definition(widths: list[int], r: int) -> set[tuple[Fraction, int, bool]]:
    """(λ, m) of Aoyagi 2024 Thm 2 for every subset Σ of the reduced widths (by position)
    that satisfies the three conditions of the Lau et al. code (``_condition``):
    (i) max Σ < min of the rest, (ii) ΣM ≥ ℓ·max Σ, (iii) ΣM < ℓ·min of the rest, with
    ℓ = |Σ| − 1 ≥ 1; a = S − (⌈S/ℓ⌉ − 1)ℓ, m = a(ℓ − a) + 1. Found without sorting or
    prefixes: every subset is tried. The third entry: whether 1 < a < ℓ."""
    reduced = [w - r for w in widths]
    out = set()
    idx = range(len(reduced))
    for k in range(2, len(reduced) + 1):
        for sub in itertools.combinations(idx, k):
            sigma = [reduced[i] for i in sub]
            rest = [reduced[i] for i in idx if i not in sub]
            ell, s = k - 1, sum(sigma)
            if s < ell * max(sigma):
                continue
            if rest and not (max(sigma) < min(rest) and s < ell * min(rest)):
                continue
            a = s - (math.ceil(Fraction(s, ell)) - 1) * ell
            lam = (Fraction(r * (widths[0] + widths[-1]) - r * r, 2)
                   + Fraction(a * (ell - a), 4 * ell)
                   - Fraction(ell * (ell - 1), 4) * Fraction(s, ell) ** 2
                   + Fraction(sum(x * y for x, y in itertools.combinations(sigma, 2)), 2))
            out.add((lam, a * (ell - a) + 1, 1 < a < ell))
    return out


@pytest.mark.parametrize(
    ("widths", "lam", "m"),
    [
        ([2, 2, 2, 2], Fraction(3, 2), 3),  # ℓ = 3, S = 8, a = 2: m = 2·1 + 1
        ([2, 2, 2, 2, 2], Fraction(3, 2), 5),  # ℓ = 4, S = 10, a = 2: m = 2·2 + 1
        ([3, 3, 3, 3, 3], Fraction(3), 4),  # ℓ = 4, S = 15, a = 3: m = 3·1 + 1
        ([2, 3, 3, 3, 3], None, 5),  # ℓ = 4, S = 14, a = 2
    ],
)
def test_dln_multiplicity_with_a_strictly_between_1_and_ell(widths, lam, m):
    """The a ∉ {1, ℓ} multiplicities that no other test reaches (RRR has ℓ ≤ 2, the
    width-one product rule a ∈ {1, ℓ})."""
    (want,) = _aoyagi_by_definition(widths, 0)
    assert want[1] == m and want[2] and (lam is None or want[0] == lam)
    lc = deep_linear_network(widths)
    assert (lc.value, lc.multiplicity) == (sp.Rational(want[0].numerator, want[0].denominator),
                                           want[1])


def test_dln_lambda_and_multiplicity_match_the_definition_on_a_grid():
    """Every admissible Σ gives one (λ, m), and it is the library's, on all widths in
    [1, 5]^L, L = 4, 5, and every rank (a(ℓ − a) + 1 with 1 < a < ℓ occurs)."""
    middle = 0
    for length in (4, 5):
        for widths in itertools.product(range(1, 6), repeat=length):
            widths = list(widths)
            for r in range(min(widths) + 1):
                found = _aoyagi_by_definition(widths, r)
                assert len(found) == 1, (widths, r, found)
                (lam, m, is_middle), = found
                lc = deep_linear_network(widths, r)
                assert lc.value == sp.Rational(lam.numerator, lam.denominator), (widths, r)
                assert lc.multiplicity == m, (widths, r)
                middle += is_middle
    assert middle > 0


# widths near one another, so that Σ holds several of them (ℓ ≥ 3) and 1 < a < ℓ is common;
# or any widths, longer than the exhaustive grid's
_near_equal = st.tuples(st.integers(2, 7), st.integers(4, 7)).flatmap(
    lambda t: st.lists(st.integers(t[0], t[0] + 2), min_size=t[1], max_size=t[1]))
_any = st.lists(st.integers(1, 9), min_size=4, max_size=7)


@given(st.one_of(_near_equal, _any), st.data())
def test_dln_matches_the_definition_beyond_the_grid(widths, data):
    """The grid above stops at five widths of at most 5; here up to seven widths of up to 9,
    drawn so that multiplicities a(ℓ − a) + 1 with 1 < a < ℓ are frequent (an outside
    property-test audit found them in 1–7 % of the other DLN properties' examples)."""
    r = data.draw(st.integers(0, min(widths) - 1), label="r")
    found = _aoyagi_by_definition(widths, r)
    assert len(found) == 1, (widths, r, found)
    (lam, m, is_middle), = found
    event("1 < a < ℓ" if is_middle else "a ∈ {1, ℓ}")
    lc = deep_linear_network(widths, r)
    assert (lc.value, lc.multiplicity) == (sp.Rational(lam.numerator, lam.denominator), m)


def test_dln_case_label_reports_a_in_1_to_ell():
    """a = S − (⌈S/ℓ⌉ − 1)ℓ lies in [1, ℓ] (docstring); for ℓ | S it is ℓ, not 0."""
    for widths in ([2, 2, 2], [3, 3, 3, 3], [4, 4, 4, 4, 4], [1, 1]):
        case = deep_linear_network(widths).case
        ell, a = map(int, re.search(r"ℓ = (\d+), a = (\d+)", case).groups())
        assert 1 <= a <= ell and a == ell, case


# ------------------------------------------------------------------ tanh network


def test_tanh_symbolic_value_and_multiplicity_substituted_directly():
    """The symbolic value and multiplicity, substituted with sympy's own ``subs`` (not
    LearningCoefficient.subs, which re-runs the integer code), against the derived route
    λ = min_j (h + j² + j)/(4j + 2), m = number of minimisers (two exactly at squares)."""
    h = sp.Symbol("h", positive=True, integer=True)
    lc = tanh_network(h)
    for k in range(1, 80):
        branches = [sp.Rational(k + j * j + j, 4 * j + 2) for j in range(0, 2 * math.isqrt(k) + 3)]
        lam = min(branches)
        assert lc.value.subs(h, k) == lam, k
        assert lc.multiplicity.subs(h, k) == branches.count(lam), k
    assert lc.multiplicity.subs(h, 1) == 2 and lc.multiplicity.subs(h, 2) == 1


# ------------------------------------------------------------------ Newton polyhedron


@given(st.integers(2, 4), st.integers(1, 3), st.integers(1, 5))
def test_newton_diagonal_vertex_has_multiplicity_d(d, k, extra):
    """K = Π w_i^(2k) + Σ w_i^(2B) with B > kd: the diagonal leaves the polyhedron through
    its vertex (2k, …, 2k), a face of codimension d, so λ = 1/(2k) and m = d (Varchenko:
    m is the codimension of the face the diagonal meets). No other test reaches m ≥ 3 but
    by chance (an outside property-test audit: m capped at 2 went unnoticed by every
    example test)."""
    big = k * d + extra
    pts = [(2 * k,) * d] + [tuple(2 * big * (i == j) for i in range(d)) for j in range(d)]
    lc = newton_polyhedron(pts)
    assert (lc.value, lc.multiplicity) == (sp.Rational(1, 2 * k), d)
    assert (newton_polyhedron([(2 * k,) * d]).value,
            newton_polyhedron([(2 * k,) * d]).multiplicity) == (sp.Rational(1, 2 * k), d)


def test_newton_accepts_exactly_max_newton_vertices():
    """MAX_NEWTON_VERTICES is the most accepted: 100 monomials x^(2i) y^(198−2i) (all
    minimal) form a homogeneous K of degree D = 198 in d = 2 variables whose Newton
    polyhedron has the single compact facet x + y = 198, so λ = d/D = 1/99 with m = 1
    (the diagonal meets the facet's interior)."""
    n = MAX_NEWTON_VERTICES
    assert n == 100
    exps = [(2 * i, 2 * (n - 1 - i)) for i in range(n)]
    lc = newton_polyhedron(exps)
    assert (lc.value, lc.multiplicity) == (sp.Rational(2, 2 * (n - 1)), 1)
    with pytest.raises(ValueError, match="exponents: more than MAX_NEWTON_VERTICES = 100"):
        newton_polyhedron([(i, n - i) for i in range(n + 1)])  # 101 minimal vectors
