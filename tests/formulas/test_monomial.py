"""Tests for normal crossings and Newton polyhedra (slttheory.formulas.monomial).

Independent routes: the zeta function of a normal crossing integrated by sympy and its
poles found by sympy; for non-degenerate K in two variables, the volume
V(ε) = vol{w ∈ [0,1]² : K(w) < ε} integrated numerically (scipy), whose scaling
V(ε) ~ c ε^λ log(1/ε)^(m−1) gives λ and m without Newton polyhedra; an explicit facet
enumeration of Γ₊ (sympy) for the linear programs.
"""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.optimize import brentq

from slttheory import strategies as sst
from slttheory.formulas import LearningCoefficient, newton_polyhedron, normal_crossing
from slttheory.formulas.monomial import _newton_distance

R = sp.Rational

# ----------------------------------------------------------------------------- strategies


def monomial(dmin=1, dmax=4, kmax=4, hmax=3):
    """(k, h) from the library's strategy."""
    return sst.normal_crossing(
        min_dim=dmin, max_dim=dmax, max_power=kmax, max_prior=hmax
    ).map(lambda a: (a["powers"], a["prior_powers"]))


def newton_input(dmin=1, dmax=3, npts=4, emax=6, hmax=2, even=False):
    """(exponents, h) from the library's strategy."""
    return sst.newton_polyhedron(
        min_dim=dmin, max_dim=dmax, max_terms=npts, max_exponent=emax, max_prior=hmax, even=even
    ).map(lambda a: (a["exponents"], a["prior_powers"]))


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


def _lse(xs) -> float:
    top = max(xs)
    return top + math.log(sum(math.exp(x - top) for x in xs))


def _first_root(f, lo: float) -> float:
    """The root of a decreasing f with f(lo) > 0 (bracketed by doubling)."""
    hi = max(2 * lo, lo + 1.0)
    while f(hi) > 0:
        hi *= 2
    return brentq(f, lo, hi, xtol=1e-13, rtol=1e-15)


def log_volume(exponents, prior, log_eps: float) -> float:
    """log ∫_{[0,1]², K < ε} x^{h1} y^{h2} dx dy for K = Σ_α x^{α1} y^{α2} (coefficients 1).

    Independent of Newton polyhedra: with u = −log y, the x-section of {K < ε} is
    [0, X(u)], X the root of K(X, y) = ε (K increases in x), so the volume is
    ∫ e^{−(h2+1)u} X(u)^{h1+1}/(h1+1) du; scipy's quad integrates it between u0 (below
    which K(0, y) ≥ ε) and u1 (beyond which K(1, y) < ε, the rest in closed form), in
    log space so that ε = e^{−650} is no problem.
    """
    h1, h2 = prior

    def log_k(s: float, u: float) -> float:  # log K(e^{-s}, e^{-u})
        return _lse([-a * s - b * u for a, b in exponents])

    pure_y = [b for a, b in exponents if a == 0]
    u0 = 0.0
    if pure_y and _lse([0.0] * len(pure_y)) > log_eps:
        u0 = _first_root(lambda u: _lse([-b * u for b in pure_y]) - log_eps, 0.0)
    if any(b == 0 for _, b in exponents):
        u1 = math.inf  # a pure power of x: K(1, y) >= 1 > ε
    elif log_k(0.0, u0) <= log_eps:
        u1 = u0
    else:
        u1 = _first_root(lambda u: log_k(0.0, u) - log_eps, u0)

    def g(u: float) -> float:  # log of the integrand
        lx = 0.0
        if log_k(0.0, u) > log_eps:
            lx = -_first_root(lambda s: log_k(s, u) - log_eps, 0.0)
        return -(h2 + 1) * u + (h1 + 1) * lx

    logs = []
    if math.isfinite(u1):
        logs.append(-(h2 + 1) * u1 - math.log(h2 + 1))
    if u1 > u0:
        top = u1 if math.isfinite(u1) else u0 + 2 * abs(log_eps)
        grid = np.linspace(u0, top, 201)
        gmax = max(g(u) for u in grid)
        if not math.isfinite(u1):  # integrate until the integrand is e^-80 of its peak
            while g(top) > gmax - 80:
                top *= 1.5
            grid = np.linspace(u0, top, 201)
        val, _ = quad(
            lambda u: math.exp(g(u) - gmax), u0, top, limit=1000, epsabs=0, epsrel=1e-12,
            points=list(grid[10:-1:10]),
        )
        logs.append(gmax + math.log(val))
    return _lse(logs) - math.log(h1 + 1)


L1, L2 = 550.0, 650.0  # ε = e^{-L}
LOG_TERM = (math.log(L2) - math.log(L1)) / (L2 - L1)  # slope of log log(1/ε) between them
VOLUME_TOL = LOG_TERM / 4


def volume_lambda(exponents, prior, m: int) -> float:
    """λ from the slope of log V between ε = e^{−550} and e^{−650}, given m.

    log V = log c + λ log ε + (m−1) log L + a/L + …, L = log(1/ε), so
    λ = slope + (m−1)·LOG_TERM up to a/(L1 L2) ≈ 3e-6·a (and ε^δ terms from the next
    pole, δ·e^{−δL}). The tolerance is LOG_TERM/4 ≈ 4e-4: far above those remainders (the
    worst seen over 300 random K of this test's range was 3e-5), and a quarter of the
    step LOG_TERM ≈ 1.7e-3 that a wrong m would add, so λ and m are both checked.
    """
    slope = (log_volume(exponents, prior, -L1) - log_volume(exponents, prior, -L2)) / (L2 - L1)
    return slope + (m - 1) * LOG_TERM


def _check_volume(exponents, prior):
    lc = newton_polyhedron(exponents, prior)
    m = int(lc.multiplicity)
    assert abs(volume_lambda(exponents, prior, m) - float(lc.value)) < VOLUME_TOL
    for wrong in (m - 1, m + 1):
        if wrong >= 1:
            assert abs(volume_lambda(exponents, prior, wrong) - float(lc.value)) > VOLUME_TOL


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


@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), min_size=1, max_size=4)
       .filter(lambda kh: any(k for k, _ in kh)))
@example(kh=[(50, 0), (49, 0)])  # ratios 1/100, 1/98: m = 1
@example(kh=[(60, 60), (59, 58)])  # 61/120 and 1/2: m = 1
@example(kh=[(40, 39), (41, 40), (0, 5)])  # a tie at 1/2 beside k = 0: m = 2
def test_normal_crossing_is_largest_pole_of_zeta_for_large_powers(kh):
    """The zeta poles beyond the small powers above, where distinct ratios (h_j+1)/(2k_j)
    can be as close as 1/7000 (a mutation audit: a multiplicity counting the ratios within
    1/100 of λ passed with k ≤ 4, h ≤ 3). Variables with k_j = 0 contribute no pole."""
    k, h = [x for x, _ in kh], [y for _, y in kh]
    lc = normal_crossing(k, h)
    kept = [(x, y) for x, y in kh if x]
    assert zeta_pole([x for x, _ in kept], [y for _, y in kept]) == (-lc.value, lc.multiplicity)


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


@pytest.mark.parametrize(
    ("exps", "h"),
    [
        ([(2, 0), (0, 4)], (0, 0)),  # x² + y⁴: 3/4, m = 1
        ([(4, 0), (2, 2), (0, 4)], (0, 0)),  # diagonal hits the middle of an edge: m = 1
        ([(6, 0), (2, 2), (0, 6)], (0, 0)),  # ... the vertex (2, 2): m = 2
        ([(2, 2)], (0, 0)),  # x²y²: m = 2
        ([(2, 0), (0, 2)], (2, 0)),  # prior x²
        ([(2, 4)], (1, 0)),  # x²y⁴, prior x
        ([(6, 2), (2, 4), (0, 8)], (1, 2)),
    ],
)
def test_newton_matches_volume_scaling_worked(exps, h):
    """Independent route (standing): λ and m from the volume scaling, worked examples."""
    _check_volume(exps, h)


@settings(max_examples=20)
@given(sst.newton_polyhedron(min_dim=2, max_dim=2, max_terms=4, max_exponent=6, even=True))
def test_newton_matches_volume_scaling(args):
    """Independent route (standing): K = Σ x^a y^b with even exponents and coefficients 1 is
    positive on the torus, hence non-degenerate; its λ and m from the volume scaling."""
    _check_volume(args["exponents"], tuple(args["prior_powers"]))


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


def test_numpy_arrays_are_accepted_like_lists():
    """deep_linear_network took numpy arrays, normal_crossing and newton_polyhedron refused
    them ('got ndarray'; an outside probe of the formulas)."""
    assert normal_crossing(np.array([1, 2])) == normal_crossing([1, 2])
    assert newton_polyhedron(np.array([[2, 0], [0, 4]])) == newton_polyhedron([(2, 0), (0, 4)])
    with pytest.raises(ValueError, match="two-dimensional"):
        newton_polyhedron(np.array([2, 4]))


def test_newton_polyhedron_refuses_more_vertices_than_it_can_solve_in_seconds():
    """501 exponent vectors on an antidiagonal (4.8 kB on the command line) ran for two minutes
    (an outside audit); beyond MAX_NEWTON_VERTICES they are a ValueError naming the argument."""
    from slttheory.formulas.monomial import MAX_NEWTON_VERTICES

    n = MAX_NEWTON_VERTICES + 1
    with pytest.raises(ValueError, match="exponents: more than MAX_NEWTON_VERTICES = 100"):
        newton_polyhedron([(i, n - i) for i in range(n + 1)])
    dominated = [(i, 200) for i in range(1, 150)] + [(1, 1)]  # all but (1, 1) dominated
    assert newton_polyhedron(dominated).value == 1


@pytest.mark.parametrize("n", [3000, 6000])
def test_newton_polyhedron_refuses_many_vertices_promptly(n):
    """The all-pairs dominance filter ran before the MAX_NEWTON_VERTICES check: an antidiagonal
    of 3001 exponent vectors took 22 s, of 6001 86 s, to be refused (an outside audit)."""
    start = time.perf_counter()
    with pytest.raises(ValueError, match="^exponents: more than MAX_NEWTON_VERTICES"):
        newton_polyhedron([(i, n - i) for i in range(n + 1)])
    assert time.perf_counter() - start < 2


@given(newton_input(dmax=3, npts=8))
def test_newton_dominance_filter_keeps_the_minimal_vectors(ph):
    """Dropping dominated monomials (one pass in lexicographic order) changes nothing: the
    result equals that of the minimal vectors found by comparing every pair."""
    points, h = ph
    uniq = sorted(set(map(tuple, points)))
    minimal = [a for a in uniq
               if not any(b != a and all(x >= y for x, y in zip(a, b, strict=True)) for b in uniq)]
    a, b = newton_polyhedron(points, h), newton_polyhedron(minimal, h)
    assert (a.value, a.multiplicity) == (b.value, b.multiplicity)


# ----------------------------------------------------------------------------- monotonicity
# (an outside property-test audit)


@given(monomial(), st.data())
def test_normal_crossing_monotone_in_powers_and_prior(kh, data):
    """A larger k_j makes K smaller near 0 (λ never rises); a larger h_j makes the prior
    vanish faster (λ never drops); a new variable with k = 0 changes neither λ nor m."""
    k, h = kh
    lc = normal_crossing(k, h)
    j = data.draw(st.integers(0, len(k) - 1), label="j")
    more_k = [x + (i == j) for i, x in enumerate(k)]
    more_h = [x + (i == j) for i, x in enumerate(h)]
    assert normal_crossing(more_k, h).value <= lc.value
    assert normal_crossing(k, more_h).value >= lc.value
    extra = normal_crossing([*k, 0], [*h, data.draw(st.integers(0, 3), label="h_new")])
    assert (extra.value, extra.multiplicity, extra.dimension) == (
        lc.value, lc.multiplicity, lc.dimension + 1)


@given(monomial(dmax=3), monomial(dmax=3))
def test_normal_crossing_product_in_disjoint_variables(f, g):
    """LR 2024 Prop. 8.4: for F, G ≥ 0 in disjoint variables λ(FG) = min(λ(F), λ(G)), and the
    zeta function is the product, so m adds over the factors attaining the minimum."""
    (kf, hf), (kg, hg) = f, g
    a, b, fg = normal_crossing(kf, hf), normal_crossing(kg, hg), normal_crossing(kf + kg, hf + hg)
    assert fg.value == min(a.value, b.value)
    assert fg.multiplicity == sum(x.multiplicity for x in (a, b) if x.value == fg.value)


@given(newton_input(dmax=3, npts=4), st.data())
def test_newton_monotone_in_monomials_and_scaling(ph, data):
    """Adding a monomial enlarges Γ₊ (λ never drops: for K ≥ 0, K + w^{2β} ≥ K); scaling
    every exponent by c scales Γ₊ by c (λ/c, m unchanged; c = 2 is K², tested above)."""
    pts, h = ph
    d = len(h)
    lc = newton_polyhedron(pts, h)
    new = tuple(data.draw(st.lists(st.integers(0, 6), min_size=d, max_size=d), label="new"))
    if any(new):
        assert newton_polyhedron([*pts, new], h).value >= lc.value
    c = data.draw(st.integers(1, 5), label="c")
    scaled = newton_polyhedron([tuple(c * x for x in a) for a in pts], h)
    assert (scaled.value, scaled.multiplicity) == (lc.value / c, lc.multiplicity)
