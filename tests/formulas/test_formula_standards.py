"""The project's standard for every public formula, where the other test files left gaps.

An audit of ``slttheory.formulas.__all__`` against the standard (property tests; an
independent route for an established formula; a doctest; exact values; argument checks
naming the argument) found these gaps, filled here:

- reduced-rank regression: λ and m against zeta poles only at (m, n, h) = (1, 1, 1) and
  (2, 1, 1); here for every (m, n) with h = 1, r = 0 (polar coordinates: a normal crossing;
  and, by a third route, the Newton polyhedron of K = Σ a_i² b_j²), and the reduction
  r → 0 of Aoyagi & Watanabe's proof (λ(m, n, h, r) = r(m+n−r)/2 + λ(m−r, n−r, h−r, 0),
  same m) for every size, so h = r + 1 is checked from zeta poles at every r; and λ and m at
  every size from a third route, the partition function's Wishart eigenvalue integral
  (Laplace's method on the log scale), which makes m checked everywhere;
- deep linear networks: the same reduction to r = 0 (widths H_s − r);
- ``dln_codimension_bound``: invariance under permuting the hidden widths, the two-width
  (regular) case, and its argument checks (only r was checked);
- ``ntk``/``lazy_regime``/``lazy_regime_bounds``: agreement between the three routes of
  the same paper (full-rank NTK is regular; Thm 5.2 is Thm 5.1 with rank p·rank(P⊥Φ); the
  tight bounds are Thm 5.2 at the almost-sure feature rank), and monotonicity;
- ``quadratic_stage_two``/``modular_addition``/``polynomial_regression``/``regular``:
  monotonicity (and additivity of the regular value over independent parameters);
- ``free_energy``/``bayes_generalization_error``: monotone in λ and m where the theory
  gives it (log n > 0, and log log n > 0 from n = 3 on);
- every public formula has a doctest, and every integer argument refuses the smallest value
  below its range and every rank the first value above it, with ``ValueError`` naming it.
"""

from __future__ import annotations

import inspect
import re

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import slttheory.formulas as formulas
from slttheory.formulas import (
    bayes_generalization_error,
    deep_linear_network,
    dln_codimension_bound,
    free_energy,
    lazy_regime,
    lazy_regime_bounds,
    low_rank_manifold,
    modular_addition,
    modular_addition_stage_two,
    newton_polyhedron,
    normal_crossing,
    ntk,
    polynomial_regression,
    quadratic_network,
    quadratic_stage_two,
    reduced_rank_regression,
    regular,
)

R = sp.Rational
FAST = settings(deadline=None, max_examples=30)
NAMES = sorted(set(formulas.__all__) - {"LearningCoefficient", "LearningCoefficientBounds"})

sizes = st.integers(1, 12)


@st.composite
def rrr_sizes(draw, max_size=12):
    m, n, h = (draw(st.integers(1, max_size)) for _ in range(3))
    return m, n, h, draw(st.integers(0, min(m, n, h)))


@st.composite
def size_pairs(draw):
    """(m, n) for properties that multiplicity_checked claims at every size: small, large
    (to 10⁶) and near the diagonal, where the multiplicity changes (an audit: these were
    drawn from 1..12 only, while multiplicity_checked says m is checked at all sizes)."""
    m = draw(st.integers(1, 12) | st.integers(1, 10**6))
    n = draw(st.integers(1, 12) | st.integers(1, 10**6) | st.integers(-2, 2).map(lambda d: m + d))
    return m, max(n, 1)


@st.composite
def dln_sizes(draw, max_len=7, max_width=10):
    widths = draw(st.lists(st.integers(1, max_width), min_size=2, max_size=max_len))
    return widths, draw(st.integers(0, min(widths)))


# ---------------------------------------------- (a), (b) reduced-rank regression


@FAST
@given(sizes, sizes)
def test_rrr_one_hidden_unit_is_a_normal_crossing_in_polar_coordinates(m, n):
    """h = 1, r = 0: BA = b aᵀ and (E[xxᵀ] = I) K = ‖a‖²‖b‖². In polar coordinates
    a = ρ_a θ_a, b = ρ_b θ_b (measure ρ_a^{m−1} ρ_b^{n−1}) K = ρ_a² ρ_b², the normal
    crossing with k = (1, 1), h = (m − 1, n − 1): λ = min(m, n)/2, m = 2 iff m = n. The
    origin dominates the other true points (a = 0, b ≠ 0: regular in a, λ = m/2)."""
    lc, nc = reduced_rank_regression(m, n, 1), normal_crossing([1, 1], [m - 1, n - 1])
    assert (lc.value, lc.multiplicity) == (nc.value, nc.multiplicity), (m, n, lc.case)
    assert lc.value == R(min(m, n), 2)


@FAST
@given(size_pairs(), st.booleans())
def test_rrr_one_input_or_output_is_a_normal_crossing_in_polar_coordinates(n_h, swap):
    """m = 1 (or n = 1, by transposing), r = 0, any h: BA = B a with a ∈ ℝ^h and
    (E[x²] = 1) K = ‖B a‖². Polar a = ρ_a θ (measure ρ_a^{h−1}); for each θ the map
    B ↦ Bθ ∈ ℝ^n is a linear surjection, so B = (c, free) with c = Bθ, and polar
    c = ρ_c φ (measure ρ_c^{n−1}): K = ρ_a² ρ_c², the normal crossing with k = (1, 1),
    prior powers (h − 1, n − 1): λ = min(h, n)/2, m = 2 iff h = n. This reaches case 1
    with h ≥ 2, case 2 and case 4 (a mutation audit: a multiplicity 2 kept only at
    h − r = 1, and case 4's boundary moved by one, which changes m only, passed every
    established test)."""
    n, h = n_h
    sizes = (n, 1, h) if swap else (1, n, h)
    lc, nc = reduced_rank_regression(*sizes), normal_crossing([1, 1], [h - 1, n - 1])
    assert (lc.value, lc.multiplicity) == (nc.value, nc.multiplicity), (sizes, lc.case)
    assert lc.value == R(min(n, h), 2)


@settings(deadline=None, max_examples=12)
@given(st.integers(1, 4), st.integers(1, 4))
def test_rrr_one_hidden_unit_is_the_newton_polyhedron_of_the_sum_of_squares(m, n):
    """A third route for h = 1, r = 0: K = Σ_{i,j} a_i² b_j² in the m + n coordinates has
    positive coefficients, so it is non-degenerate (no face polynomial vanishes on the
    torus), and λ, m are those of its Newton polyhedron (monomials 2e_i + 2f_j)."""
    d = m + n
    exps = []
    for i in range(m):
        for j in range(n):
            e = [0] * d
            e[i], e[m + j] = 2, 2
            exps.append(tuple(e))
    lc, nw = reduced_rank_regression(m, n, 1), newton_polyhedron(exps)
    assert (lc.value, lc.multiplicity) == (nw.value, nw.multiplicity), (m, n)


@FAST
@given(rrr_sizes())
def test_rrr_reduces_to_true_rank_zero(args):
    """Aoyagi & Watanabe's proof (as Lehalleur & Rimányi's) first splits off the rank-r
    part: λ(m, n, h, r) = r(m+n−r)/2 + λ(m−r, n−r, h−r, 0) with the same multiplicity
    (the case conditions and the parity of m+n+h+r are unchanged by the shift)."""
    m, n, h, r = args
    if r == min(m, n, h):  # the reduced sizes would include a 0
        return
    lc, core = reduced_rank_regression(m, n, h, r), reduced_rank_regression(m - r, n - r, h - r)
    assert lc.value == low_rank_manifold(m, n, r).value + core.value, args
    assert lc.multiplicity == core.multiplicity, args


@FAST
@given(size_pairs(), st.data())
def test_rrr_one_hidden_unit_beyond_the_rank_from_zeta_poles(m_n, data):
    """h = r + 1 at every r < min(m, n): by the reduction above, the rank-r manifold's
    regular part plus the polar normal crossing of the remaining (m−r)×(n−r) block."""
    m, n = m_n
    r = data.draw(st.integers(0, min(m, n) - 1))
    lc = reduced_rank_regression(m, n, r + 1, r)
    nc = normal_crossing([1, 1], [m - r - 1, n - r - 1])
    assert lc.value == low_rank_manifold(m, n, r).value + nc.value, (m, n, r)
    assert lc.multiplicity == nc.multiplicity, (m, n, r)


def _rrr_from_the_eigenvalue_integral(m: int, n: int, h: int) -> tuple[sp.Rational, int]:
    """(λ, m) of reduced-rank regression at true product 0 (r = 0), from its partition
    function, without the case formula. With inputs and outputs whitened, K(A, B) = ‖BA‖²
    (A: h × m, B: n × h), and any prior positive at 0 gives the same (λ, m), so take a
    standard Gaussian. Integrating B row by row,

        Z(N) = ∫ e^{−N‖BA‖²} dφ(A, B) = E_A[det(I + 2N·AAᵀ)^{−n/2}],

    and the p = min(h, m) non-zero eigenvalues s of AAᵀ have the real Wishart density
    ∝ ∏ s_i^{(|h−m|−1)/2} e^{−s_i/2} ∏_{i<j} |s_i − s_j|. With s_i = N^{−u_i}, ordered
    u_1 ≥ … ≥ u_p ≥ 0 (larger s are damped by e^{−s/2}), each factor is within constants of
    a power of N: Z ≍ (log N)^p ∫ N^{−E(u)} du with

        E(u) = Σ_j [c·u_j + (j − 1)·u_j + (n/2)·max(0, 1 − u_j)],   c = (|h − m| + 1)/2

    (ds = s log N du gives the + 1 in c; |s_i − s_j| ≍ s_j for i < j). Setting u_j > 1 back
    to 1 keeps the order and lowers E, so the minimum is on 1 ≥ u_1 ≥ … ≥ u_p ≥ 0, a simplex
    on which E is linear, with vertices (1, …, 1, 0, …, 0) (k ones): E = pn/2 + S_k,
    S_k = Σ_{j≤k} (c + j − 1 − n/2). Laplace's method on the log scale then gives
    Z ≍ N^{−λ}(log N)^{m−1} with λ = pn/2 + min_k S_k and m − 1 = the dimension of the
    minimising face, i.e. m = the number of k attaining the minimum. The formula is not
    symmetric in (m, n) as written; Aoyagi & Watanabe's is, and so must this be.

    >>> _rrr_from_the_eigenvalue_integral(1, 1, 1), _rrr_from_the_eigenvalue_integral(2, 3, 2)
    ((1/2, 2), (2, 2))
    """
    p, c = min(h, m), R(abs(h - m) + 1, 2)
    steps = [c + j - 1 - R(n, 2) for j in range(1, p + 1)]
    sums = [sum(steps[:k], R(0)) for k in range(p + 1)]
    low = min(sums)
    return p * R(n, 2) + low, sums.count(low)


def test_rrr_lambda_and_multiplicity_from_the_eigenvalue_integral():
    """Every (m, n, h) up to 12, r = 0, and through the reduction to r = 0 every r: λ and m
    of Aoyagi & Watanabe 2005 (the library's case formula) against the partition function's
    eigenvalue integral (:func:`_rrr_from_the_eigenvalue_integral`), an independent
    computation of both. multiplicity_checked relies on it for reduced-rank regression's m
    at every size (before, m was checked from zeta poles only at full rank, h = r + 1, and
    one input or output; an audit recomputed it by this route at 2 754 points)."""
    for m in range(1, 13):
        for n in range(1, 13):
            for h in range(1, 13):
                lc = reduced_rank_regression(m, n, h)
                assert (lc.value, lc.multiplicity) == _rrr_from_the_eigenvalue_integral(
                    m, n, h), (m, n, h)


@FAST
@given(rrr_sizes(max_size=10**4))
def test_rrr_eigenvalue_integral_at_large_sizes_and_any_rank(args):
    """The same at sizes to 10⁴ and any true rank r, through λ(m, n, h, r) =
    r(m + n − r)/2 + λ(m − r, n − r, h − r, 0) with the same m (the reduction of Aoyagi &
    Watanabe's proof, test_rrr_reduces_to_true_rank_zero)."""
    m, n, h, r = args
    lc = reduced_rank_regression(m, n, h, r)
    if r == min(m, n, h):
        assert lc.multiplicity == 1
        return
    lam, mult = _rrr_from_the_eigenvalue_integral(m - r, n - r, h - r)
    assert (lc.value, lc.multiplicity) == (R(r * (m + n - r), 2) + lam, mult), args


# ------------------------------------------------------------------ (a) deep linear networks


@FAST
@given(dln_sizes())
def test_dln_reduces_to_true_rank_zero(args):
    """λ(H, r) = r(H₁ + H_{L+1} − r)/2 + λ(H − r, 0), same m (Aoyagi 2024 works with the
    reduced widths M_s = H_s − r throughout)."""
    widths, r = args
    if r == min(widths):
        return
    lc, core = deep_linear_network(widths, r), deep_linear_network([w - r for w in widths])
    assert lc.value == R(r * (widths[0] + widths[-1] - r), 2) + core.value, args
    assert lc.multiplicity == core.multiplicity, args


@FAST
@given(dln_sizes(), st.randoms(use_true_random=False))
def test_dln_codimension_bound_symmetries(args, rnd):
    """The fibre's codimension depends on the multiset of reduced widths and on the ends
    only: permuting the hidden widths (and reversing) leaves it unchanged."""
    widths, r = args
    upper = dln_codimension_bound(widths, r).upper
    hidden = widths[1:-1]
    rnd.shuffle(hidden)
    assert dln_codimension_bound([widths[0], *hidden, widths[-1]], r).upper == upper
    assert dln_codimension_bound(widths[::-1], r).upper == upper
    assert 0 <= upper <= dln_codimension_bound(widths, r).dimension / 2


@FAST
@given(sizes, sizes, st.data())
def test_dln_codimension_bound_of_two_widths_is_regular(a, b, data):
    """One layer: mult is the identity on the b×a matrices, the fibre a point (r any):
    codim = ab, the regular value."""
    r = data.draw(st.integers(0, min(a, b)))
    assert dln_codimension_bound([a, b], r).upper == regular(a * b).value


@pytest.mark.parametrize(
    ("widths", "r", "exc", "match"),
    [
        ([3], 0, ValueError, "^widths must have at least 2 entries"),
        ([], 0, ValueError, "^widths must have at least 2 entries"),
        (5, 0, TypeError, "^widths must be a sequence"),
        ("35", 0, TypeError, "^widths must be a sequence"),
        ([3, 0, 2], 0, ValueError, r"^widths\[1\] must be an integer >= 1, got 0"),
        ([3, 2.0], 0, TypeError, r"^widths\[1\] must be an integer"),
        ([True, 2], 0, TypeError, r"^widths\[0\] must be an integer"),
        ([3, 2, 4], 3, ValueError, r"^r must be an integer in \[0, 2\] \(min\(widths\)\)"),
        ([3, 2, 4], -1, ValueError, r"^r must be an integer in \[0, 2\]"),
        ([3, 2, 4], 1.0, TypeError, "^r must be an integer"),
        ([3, 2, 4], True, TypeError, "^r must be an integer"),
    ],
)
def test_dln_codimension_bound_errors_name_the_argument(widths, r, exc, match):
    with pytest.raises(exc, match=match):
        dln_codimension_bound(widths, r)


# ---------------------------------------------- (a) seed 001's NTK and lazy regime


@FAST
@given(st.integers(1, 200), st.data())
def test_ntk_full_rank_is_regular_and_monotone_in_rank(n_params, data):
    """rank(F) = n_params is the regular case (Thm 5.1's own remark); λ grows with rank."""
    full, reg = ntk(n_params, n_params=n_params), regular(n_params)
    assert (full.value, full.multiplicity, full.dimension) == (
        reg.value, reg.multiplicity, reg.dimension)
    rank = data.draw(st.integers(0, n_params - 1))
    assert ntk(rank, n_params=n_params).value < ntk(rank + 1, n_params=n_params).value
    assert ntk(rank).value == ntk(rank, n_params=n_params).value  # n_params only bounds rank


@FAST
@given(st.integers(1, 8), st.integers(1, 40), st.data())
def test_lazy_regime_is_the_ntk_of_its_rank_and_monotone(p, k, data):
    """Thm 5.2 is Thm 5.1 for the linear-in-V model with Fisher rank p·rank(P⊥Φ)."""
    r = data.draw(st.integers(0, k))
    lc, lin = lazy_regime(p, r, k=k), ntk(p * r, n_params=p * k)
    assert (lc.value, lc.multiplicity, lc.dimension) == (lin.value, lin.multiplicity,
                                                         lin.dimension)
    assert lazy_regime(p + 1, r, k=k).value >= lc.value
    if r < k:
        assert lazy_regime(p, r + 1, k=k).value > lc.value


@FAST
@given(st.integers(2, 8), st.integers(1, 80), st.integers(1, 4))
def test_tight_lazy_bounds_are_thm_5_2_at_the_almost_sure_rank(p, k, degree):
    """tight=True is Thm 5.2 with rank(P⊥Φ) = min(K, r_φ − 1) (its docstring's step 4)."""
    r_phi = 2 * p - 1 if degree == 1 else p * p
    t = lazy_regime_bounds(p, k, degree, tight=True)
    lc = lazy_regime(p, min(k, r_phi - 1), k=k)
    assert t.lower == t.upper == lc.value and t.dimension == lc.dimension


# ------------------------------------------------------------------ (a) monotonicity elsewhere


@FAST
@given(st.integers(1, 12), st.integers(1, 8), st.integers(1, 30))
def test_stage_two_monotone_in_every_size(d, p, k_eff):
    lam = quadratic_stage_two(d, p, k_eff).value
    assert quadratic_stage_two(d + 1, p, k_eff).value > lam
    assert quadratic_stage_two(d, p + 1, k_eff).value > lam
    assert quadratic_stage_two(d, p, k_eff + 1).value > lam
    assert modular_addition_stage_two(p + 1, k_eff).value == quadratic_stage_two(
        2 * (p + 1), p + 1, k_eff).value


@FAST
@given(st.integers(2, 6), st.integers(1, 100))
def test_modular_addition_monotone_in_width_below_and_above_the_threshold(p, k):
    """Thm 4.2 (k < p(2p+1)) grows with k; Thm 4.1 (k ≥ p(2p+1)) is constant in k. (At the
    threshold Thm 4.2 is discontinuous: documented in test_quadratic.py.)"""
    threshold = p * (2 * p + 1)
    a, b = modular_addition(p, k).value, modular_addition(p, k + 1).value
    if k + 1 < threshold:
        assert b > a
    elif k >= threshold:
        assert b == a == quadratic_network(2 * p, k, p).value


@FAST
@given(st.integers(0, 500), st.integers(1, 500), st.integers(1, 500))
def test_regular_values_monotone_and_additive(degree, d1, d2):
    """Independent parameters add: λ of a product of two regular models is the sum."""
    assert polynomial_regression(degree + 1).value > polynomial_regression(degree).value
    assert polynomial_regression(degree).value == regular(degree + 1).value
    assert regular(d1).value + regular(d2).value == regular(d1 + d2).value
    assert regular(d1 + 1).value > regular(d1).value


# ------------------------------------------------------------------ (a) asymptotics


lams = st.fractions(min_value=0, max_value=50).map(lambda f: R(f.numerator, f.denominator))


@FAST
@given(st.integers(3, 10**9), lams, lams, st.integers(1, 6))
def test_free_energy_monotone_in_lambda_and_multiplicity(n, lam, other, m):
    """F_n − nL_n = λ log n − (m − 1) log log n: increasing in λ (log n > 0), decreasing in
    m from n = 3 on (log log n > 0; at n = 2 log log 2 < 0). E[G_n] = λ/n increases in λ."""
    lo, hi = sorted((lam, other))
    if lo == hi:
        return
    assert (free_energy(n, hi, m=m) - free_energy(n, lo, m=m)).evalf(30) > 0
    assert (free_energy(n, lam, m=m) - free_energy(n, lam, m=m + 1)).evalf(30) > 0
    assert bayes_generalization_error(n, hi) > bayes_generalization_error(n, lo)
    loss = R(7, 3)
    assert free_energy(n, lam, m=m, n_loss=loss) - free_energy(n, lam, m=m) == loss


# ------------------------------------------------------------------ (c) doctests


@pytest.mark.parametrize("name", NAMES)
def test_every_public_formula_has_a_doctest(name):
    doc = inspect.getdoc(getattr(formulas, name)) or ""
    assert re.search(rf"^>>> .*\b{name}\(", doc, re.M), f"{name} has no doctest calling it"


# ------------------------------------------------------------------ (e) argument ranges


BELOW_RANGE = [
    ("regular", lambda: regular(0), "d", ">= 1"),
    ("low_rank_manifold", lambda: low_rank_manifold(0, 3, 0), "m", ">= 1"),
    ("low_rank_manifold", lambda: low_rank_manifold(3, 0, 0), "n", ">= 1"),
    ("low_rank_manifold", lambda: low_rank_manifold(3, 3, -1), "r", r"\[0, 3\]"),
    ("reduced_rank_regression", lambda: reduced_rank_regression(0, 3, 3), "m", ">= 1"),
    ("reduced_rank_regression", lambda: reduced_rank_regression(3, 0, 3), "n", ">= 1"),
    ("reduced_rank_regression", lambda: reduced_rank_regression(3, 3, 0), "h", ">= 1"),
    ("reduced_rank_regression", lambda: reduced_rank_regression(3, 3, 3, -1), "r", r"\[0, 3\]"),
    ("deep_linear_network", lambda: deep_linear_network([3, 0, 3]), r"widths\[1\]", ">= 1"),
    ("deep_linear_network", lambda: deep_linear_network([3, 3], -1), "r", r"\[0, 3\]"),
    ("dln_codimension_bound", lambda: dln_codimension_bound([0, 3]), r"widths\[0\]", ">= 1"),
    ("dln_codimension_bound", lambda: dln_codimension_bound([3, 3], -1), "r", r"\[0, 3\]"),
    ("normal_crossing", lambda: normal_crossing([0, 0]), "powers", "all zero"),
    ("normal_crossing", lambda: normal_crossing([1, -1]), r"powers\[1\]", ">= 0"),
    ("normal_crossing", lambda: normal_crossing([1], [-1]), r"prior_powers\[0\]", ">= 0"),
    ("newton_polyhedron", lambda: newton_polyhedron([(0, 0)]), r"exponents\[0\]", "all zero"),
    ("newton_polyhedron", lambda: newton_polyhedron([(2, -1)]), r"exponents\[0\]\[1\]", ">= 0"),
    ("tanh_network", lambda: formulas.tanh_network(0), "h", ">= 1"),
    ("polynomial_regression", lambda: polynomial_regression(-1), "degree", ">= 0"),
    ("quadratic_network", lambda: quadratic_network(0, 1), "d", ">= 1"),
    ("quadratic_network", lambda: quadratic_network(1, 0), "k", ">= 1"),
    ("quadratic_network", lambda: quadratic_network(1, 1, 0), "p", ">= 1"),
    ("modular_addition", lambda: modular_addition(1, 1), "p", ">= 2"),
    ("modular_addition", lambda: modular_addition(2, 0), "k", ">= 1"),
    ("quadratic_stage_two", lambda: quadratic_stage_two(0, 1, 1), "d", ">= 1"),
    ("quadratic_stage_two", lambda: quadratic_stage_two(1, 0, 1), "p", ">= 1"),
    ("quadratic_stage_two", lambda: quadratic_stage_two(1, 1, 0), "k_eff", ">= 1"),
    ("modular_addition_stage_two", lambda: modular_addition_stage_two(1, 1), "p", ">= 2"),
    ("modular_addition_stage_two", lambda: modular_addition_stage_two(2, 0), "k_eff", ">= 1"),
    ("ntk", lambda: ntk(-1), "rank", ">= 0"),
    ("ntk", lambda: ntk(0, n_params=0), "n_params", ">= 1"),
    ("lazy_regime", lambda: lazy_regime(0, 1), "p", ">= 1"),
    ("lazy_regime", lambda: lazy_regime(1, -1), "feature_rank", ">= 0"),
    ("lazy_regime", lambda: lazy_regime(1, 0, k=0), "k", ">= 1"),
    ("lazy_regime_bounds", lambda: lazy_regime_bounds(1, 1), "p", ">= 2"),
    ("lazy_regime_bounds", lambda: lazy_regime_bounds(2, 0), "k", ">= 1"),
    ("lazy_regime_bounds", lambda: lazy_regime_bounds(2, 1, 0), "degree", ">= 1"),
    ("free_energy", lambda: free_energy(1, 1), "n", ">= 2"),
    ("free_energy", lambda: free_energy(10, 1, m=0), "m", ">= 1"),
    ("free_energy", lambda: free_energy(10, -1), "lam", ">= 0"),
    ("bayes_generalization_error", lambda: bayes_generalization_error(0, 1), "n", ">= 1"),
    ("bayes_generalization_error", lambda: bayes_generalization_error(10, -1), "lam", ">= 0"),
]


@pytest.mark.parametrize(("name", "call", "arg", "why"), BELOW_RANGE,
                         ids=[f"{c[0]}-{c[2]}" for c in BELOW_RANGE])
def test_first_value_below_the_range_is_refused_naming_the_argument(name, call, arg, why):
    """The boundary value (0 where a size must be ≥ 1, 1 where p ≥ 2, −1 where 0 is allowed),
    not only −1 (test_properties.py): ValueError whose message starts with the argument."""
    with pytest.raises(ValueError, match=rf"^{arg}(?![\w\[]).*{why}"):
        call()


def test_the_table_covers_every_public_formula():
    assert {c[0] for c in BELOW_RANGE} == set(NAMES)


@FAST
@given(sizes, sizes, sizes)
def test_rank_one_above_its_maximum_is_refused_naming_the_argument(m, n, h):
    """Every rank-like argument at max + 1 (and max itself accepted)."""
    top = min(m, n, h)
    reduced_rank_regression(m, n, h, top)
    with pytest.raises(ValueError, match=rf"^r must be an integer in \[0, {top}\]"):
        reduced_rank_regression(m, n, h, top + 1)
    low_rank_manifold(m, n, min(m, n))
    with pytest.raises(ValueError, match=rf"^r must be an integer in \[0, {min(m, n)}\]"):
        low_rank_manifold(m, n, min(m, n) + 1)
    for f in (deep_linear_network, dln_codimension_bound):
        f([m, h, n], top)
        with pytest.raises(ValueError, match=rf"^r must be an integer in \[0, {top}\]"):
            f([m, h, n], top + 1)
    ntk(m, n_params=m)
    with pytest.raises(ValueError, match=rf"^rank must be an integer in \[0, {m}\]"):
        ntk(m + 1, n_params=m)
    lazy_regime(n, h, k=h)
    with pytest.raises(ValueError, match=rf"^feature_rank must be an integer in \[0, {h}\]"):
        lazy_regime(n, h + 1, k=h)
