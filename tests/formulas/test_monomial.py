"""Tests for normal crossings and Newton polyhedra (slttheory.formulas.monomial)."""

from __future__ import annotations

import itertools

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from slttheory.formulas import LearningCoefficient, newton_polyhedron, normal_crossing
from slttheory.formulas.monomial import _newton_distance

R = sp.Rational

# ----------------------------------------------------------------------------- strategies


@st.composite
def monomial(draw, dmin=1, dmax=4, kmax=4, hmax=3):
    d = draw(st.integers(dmin, dmax))
    k = draw(st.lists(st.integers(0, kmax), min_size=d, max_size=d).filter(any))
    h = draw(st.lists(st.integers(0, hmax), min_size=d, max_size=d))
    return k, h


@st.composite
def newton_input(draw, dmin=1, dmax=3, npts=4, emax=6, hmax=2, even=False):
    d = draw(st.integers(dmin, dmax))
    coord = st.integers(0, emax // 2).map(lambda x: 2 * x) if even else st.integers(0, emax)
    pts = draw(
        st.lists(st.tuples(*[coord] * d).filter(any), min_size=1, max_size=npts)
    )
    h = draw(st.lists(st.integers(0, hmax), min_size=d, max_size=d))
    return pts, h


# ----------------------------------------------------------------------------- independent routes


def zeta_pole(k, h):
    """(largest pole, its order) of Π_j 1/(2 k_j z + h_j + 1), found by sympy's roots."""
    z = sp.Symbol("z")
    zeta = sp.Mul(*[1 / (2 * kj * z + hj + 1) for kj, hj in zip(k, h, strict=True)])
    den = sp.Poly(sp.denom(sp.together(zeta)), z)
    roots = sp.roots(den)
    assert sum(roots.values()) == den.degree()  # all poles found (they are rational)
    top = max(roots)
    return top, roots[top]


def newton_by_facets(points, h):
    """t* and the face codimension from an explicit facet enumeration of Γ₊.

    Independent of the LP route: every facet of Γ₊ = conv(points) + ℝ^d_≥0 is spanned by
    some points a_s and coordinate rays e_r (affinely d − 1 dimensional); keep the
    hyperplanes with all points on one side and a non-negative normal. Then
    t* = max_f b_f / ⟨c_f, v⟩, and the codimension of the smallest face containing
    t*·v is the rank of the normals of the facets through it.
    """
    d = len(points[0])
    v = [x + 1 for x in h]
    pts = [sp.Matrix(p) for p in points]
    facets = set()
    for k in range(1, d + 1):
        for sub in itertools.combinations(range(len(pts)), k):
            for rays in itertools.combinations(range(d), d - k):
                vecs = [pts[s] - pts[sub[0]] for s in sub[1:]]
                vecs += [sp.Matrix([int(i == r) for i in range(d)]) for r in rays]
                if vecs:
                    ns = sp.Matrix.hstack(*vecs).T.nullspace()
                else:  # d = 1: the hyperplane is the point itself
                    ns = [sp.Matrix([1])]
                if len(ns) != 1:
                    continue
                c = ns[0]
                c = c * sp.lcm([sp.fraction(x)[1] for x in c])
                for sign in (1, -1):
                    cc = sign * c
                    b = (cc.T * pts[sub[0]])[0]
                    if all(x >= 0 for x in cc) and all((cc.T * p)[0] >= b for p in pts):
                        g = sp.gcd(list(cc) + [b])
                        facets.add((tuple(cc / g), b / g))
    ratios = {f: f[1] / sum(ci * vi for ci, vi in zip(f[0], v, strict=True)) for f in facets}
    t_star = max(ratios.values())
    through = [list(f[0]) for f, r in ratios.items() if r == t_star]
    return t_star, sp.Matrix(through).rank()


# ----------------------------------------------------------------------------- normal crossing


@pytest.mark.parametrize(
    ("k", "h", "lam", "m"),
    [
        ([1], None, R(1, 2), 1),
        ([1, 1], None, R(1, 2), 2),  # K = x²y²
        ([1, 2], None, R(1, 4), 1),  # x²y⁴
        ([1, 2], [1, 0], R(1, 4), 1),  # prior weight x
        ([1, 1], [1, 0], R(1, 2), 1),
        ([2, 2, 2], None, R(1, 4), 3),
        ([0, 3], [5, 2], R(1, 2), 1),  # k = 0 variable does not count
        ([1, 0, 0], None, R(1, 2), 1),
    ],
)
def test_normal_crossing_values(k, h, lam, m):
    lc = normal_crossing(k, h)
    assert isinstance(lc, LearningCoefficient)
    assert lc.value == lam and isinstance(lc.value, sp.Rational)
    assert lc.multiplicity == m
    assert lc.dimension == len(k)
    assert lc.source and lc.assumptions


@pytest.mark.parametrize(("k", "h"), [([1, 2], [0, 0]), ([1, 1], [0, 0]), ([2, 1, 0], [1, 0, 3])])
def test_zeta_integral_is_the_product(k, h):
    """sympy integrates ∫_{[0,1]^d} K^z w^h dw symbolically: the product used below."""
    z = sp.Symbol("z", positive=True)
    w = sp.symbols(f"w1:{len(k) + 1}", positive=True)
    integrand = sp.Mul(*[wj ** (2 * kj * z + hj) for wj, kj, hj in zip(w, k, h, strict=True)])
    integral = sp.integrate(integrand, *[(wj, 0, 1) for wj in w])
    product = sp.Mul(*[1 / (2 * kj * z + hj + 1) for kj, hj in zip(k, h, strict=True)])
    assert sp.simplify(integral - product) == 0
    lc = normal_crossing(k, h)
    assert zeta_pole(k, h) == (-lc.value, lc.multiplicity)


@given(monomial())
def test_normal_crossing_is_largest_pole_of_zeta(kh):
    k, h = kh
    lc = normal_crossing(k, h)
    assert zeta_pole(k, h) == (-lc.value, lc.multiplicity)


@given(monomial(hmax=0))
def test_normal_crossing_bounds(kh):
    k, _ = kh
    lc = normal_crossing(k)
    assert 0 < lc.value <= lc.dimension / 2
    assert 1 <= lc.multiplicity <= sum(1 for x in k if x)


@given(monomial(), st.randoms(use_true_random=False))
def test_normal_crossing_permutation_invariant(kh, rnd):
    k, h = kh
    perm = list(range(len(k)))
    rnd.shuffle(perm)
    a, b = normal_crossing(k, h), normal_crossing([k[i] for i in perm], [h[i] for i in perm])
    assert (a.value, a.multiplicity) == (b.value, b.multiplicity)


@pytest.mark.parametrize(
    ("powers", "prior", "exc", "match"),
    [
        ([0, 0], None, ValueError, "not be all zero"),
        ([], None, ValueError, "non-empty"),
        ([1, -1], None, ValueError, r"powers\[1\].*>= 0"),
        ([1, 1.0], None, TypeError, r"powers\[1\]"),
        ([1, True], None, TypeError, r"powers\[1\]"),
        ([1, sp.Symbol("k")], None, TypeError, "symbolic"),
        (3, None, TypeError, "sequence"),
        ("12", None, TypeError, "sequence"),
        ([1, 2], [0], ValueError, "prior_powers must have length 2"),
        ([1, 2], [0, -1], ValueError, r"prior_powers\[1\]"),
        ([1, 2], [0, 0.5], TypeError, r"prior_powers\[1\]"),
    ],
)
def test_normal_crossing_errors(powers, prior, exc, match):
    with pytest.raises(exc, match=match):
        normal_crossing(powers, prior)


# ----------------------------------------------------------------------------- Newton polyhedron


@pytest.mark.parametrize(
    ("exps", "h", "lam", "m"),
    [
        ([(2, 0), (0, 4)], None, R(3, 4), 1),  # x² + y⁴
        ([(2, 4)], None, R(1, 4), 1),  # x²y⁴
        ([(2, 4)], (1, 0), R(1, 4), 1),  # x²y⁴, prior weight x
        ([(4, 0), (2, 2), (0, 4)], None, R(1, 2), 1),  # diagonal hits the middle of an edge
        ([(6, 0), (2, 2), (0, 6)], None, R(1, 2), 2),  # diagonal hits the vertex (2, 2)
        ([(2, 2)], None, R(1, 2), 2),  # x²y²
        ([(2, 0), (0, 2)], None, R(1), 1),  # regular, d = 2
        ([(2, 0, 0), (0, 2, 0), (0, 0, 2)], None, R(3, 2), 1),  # regular, d = 3
        ([(2, 0)], None, R(1, 2), 1),  # y never appears: K = x² in (x, y)
        ([(2, 0), (0, 2)], (2, 0), R(2), 1),  # prior x²: t*(3, 1) on x/2 + y/2 = 1, t* = 1/2
        ([(4,)], None, R(1, 4), 1),  # one variable
        ([(4,), (6,)], (1,), R(1, 2), 1),
        ([(2, 2, 0), (0, 0, 2)], None, R(1), 2),  # (xy)² + z²: 1/2 + 1/2, m = 2 + 1 - 1
    ],
)
def test_newton_worked_values(exps, h, lam, m):
    lc = newton_polyhedron(exps, h)
    assert lc.value == lam and isinstance(lc.value, sp.Rational)
    assert lc.multiplicity == m
    assert lc.dimension == len(exps[0])
    assert any("non-degenerate" in a for a in lc.assumptions)
    assert "Varchenko 1976" in lc.source and "Lin 2011" in lc.source


def test_newton_case_labels():
    assert "vertex" in newton_polyhedron([(6, 0), (2, 2), (0, 6)]).case
    assert "facet" in newton_polyhedron([(4, 0), (2, 2), (0, 4)]).case
    assert "codimension 2" in newton_polyhedron([(2, 2, 0)]).case


@given(monomial(dmin=2, dmax=4))
def test_newton_monomial_agrees_with_normal_crossing(kh):
    k, h = kh
    a = newton_polyhedron([tuple(2 * x for x in k)], h)
    b = normal_crossing(k, h)
    assert (a.value, a.multiplicity, a.dimension) == (b.value, b.multiplicity, b.dimension)


@given(newton_input(dmax=2), newton_input(dmax=2))
def test_newton_disjoint_sum(f, g):
    """LR 2024 Prop. 8.4: for F, G in disjoint variables, λ adds and m_F + m_G − 1."""
    (pf, hf), (pg, hg) = f, g
    df, dg = len(pf[0]), len(pg[0])
    pts = [tuple(a) + (0,) * dg for a in pf] + [(0,) * df + tuple(b) for b in pg]
    a, b, s = newton_polyhedron(pf, hf), newton_polyhedron(pg, hg), newton_polyhedron(pts, hf + hg)
    assert s.value == a.value + b.value
    assert s.multiplicity == a.multiplicity + b.multiplicity - 1
    assert s.dimension == df + dg


@given(newton_input(dmax=3, npts=4))
def test_newton_agrees_with_facet_enumeration(ph):
    pts, h = ph
    t_star, codim = newton_by_facets(pts, h)
    lc = newton_polyhedron(pts, h)
    assert lc.value == 1 / t_star
    assert lc.multiplicity == codim


@given(newton_input(dmax=4, npts=5, even=True, hmax=0))
def test_newton_bounds(ph):
    """For even exponents, total degree ≥ 2 and a flat prior: 0 < λ ≤ d/2, 1 ≤ m ≤ d."""
    pts, _ = ph
    lc = newton_polyhedron(pts)
    assert 0 < lc.value <= lc.dimension / 2
    assert 1 <= lc.multiplicity <= lc.dimension


@given(newton_input(dmax=4, npts=5), st.randoms(use_true_random=False))
def test_newton_invariances(ph, rnd):
    pts, h = ph
    lc = newton_polyhedron(pts, h)
    d = len(h)
    # permuting variables (with the prior) changes nothing
    perm = list(range(d))
    rnd.shuffle(perm)
    p = newton_polyhedron([tuple(a[i] for i in perm) for a in pts], [h[i] for i in perm])
    assert (p.value, p.multiplicity) == (lc.value, lc.multiplicity)
    # a monomial dominated by another one does not change Γ₊
    extra = tuple(x + rnd.randint(0, 2) for x in pts[0])
    q = newton_polyhedron([*pts, extra], h)
    assert (q.value, q.multiplicity) == (lc.value, lc.multiplicity)
    # ... also for the LP route itself, which newton_polyhedron spares dominated points
    t_star, codim = _newton_distance([*pts, extra], tuple(x + 1 for x in h))
    assert (1 / sp.Rational(t_star.numerator, t_star.denominator), codim) == (
        lc.value,
        lc.multiplicity,
    )
    # K² has Γ₊(K²) = 2 Γ₊(K): λ halves, m stays
    sq = newton_polyhedron([tuple(2 * x for x in a) for a in pts], h)
    assert (sq.value, sq.multiplicity) == (lc.value / 2, lc.multiplicity)
    # a larger prior exponent can only raise λ (t*·v meets Γ₊ no later)
    hi = newton_polyhedron(pts, [x + 1 for x in h])
    assert hi.value >= lc.value


@pytest.mark.parametrize(
    ("exps", "prior", "exc", "match"),
    [
        ([], None, ValueError, "at least one"),
        ([(0, 0), (2, 0)], None, ValueError, "constant term"),
        ([(2, 0), (0, 2, 1)], None, ValueError, r"exponents\[1\] must have length 2"),
        ([(2, -2)], None, ValueError, r"exponents\[0\]\[1\]"),
        ([(2, 1.5)], None, TypeError, r"exponents\[0\]\[1\]"),
        ([(2, sp.Symbol("a"))], None, TypeError, "symbolic"),
        ([()], None, ValueError, "at least one entry"),
        ([2, 0], None, TypeError, "exponents"),
        ("x**2", None, TypeError, "exponents"),
        (None, None, TypeError, "exponents"),
        ([(2, 0), (0, 2)], [1], ValueError, "prior_powers must have length 2"),
        ([(2, 0), (0, 2)], [1, -1], ValueError, r"prior_powers\[1\]"),
    ],
)
def test_newton_errors(exps, prior, exc, match):
    with pytest.raises(exc, match=match):
        newton_polyhedron(exps, prior)
