"""Tests for slttheory.formulas.linear: regular, rank-r manifold, RRR and deep linear networks.

Independent routes written here, not taken from the package:

- ``_lr_codim``: Pepin Lehalleur & Rimányi's closed form for codim mult⁻¹(B) (reference §2);
- ``_qip_min``: the same codimension as the minimum of their quadratic integer program,
  by brute force over all compositions;
- ``_lau_lambda``: the Lau et al. λ for a given Σ, used to check every admissible Σ;
- ``_product_jacobian_rank``: the exact rank of the Jacobian of (A, B) ↦ BA (python-flint);
- the zeta function of a non-degenerate quadratic form in polar coordinates (sympy).

The strategies come from :mod:`slttheory.strategies` (the ones researchers use).
"""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from flint import fmpz_mat
from hypothesis import given
from hypothesis import strategies as st

from slttheory import strategies as sst
from slttheory.formulas import (
    LearningCoefficient,
    deep_linear_network,
    dln_codimension_bound,
    low_rank_manifold,
    normal_crossing,
    reduced_rank_regression,
    regular,
)

# ---------------------------------------------------------------------------------------
# independent routes
# ---------------------------------------------------------------------------------------


def _lr_codim(widths: list[int], r: int) -> Fraction:
    """Pepin Lehalleur–Rimányi: codim mult⁻¹(B) for a rank-r B (reference §2).

    d' = ascending reduced widths, m = max{l : Σ_{i≤l} d'_i ≥ l·d'_l}, x = S̃/m,
    codim = (m/2){x}(1−{x}) − m(m−1)/2·x² + Σ_{i<j≤m} d'_i d'_j + r(d_0 + d_N − r).
    """
    d = sorted(w - r for w in widths)
    m = max(lv for lv in range(len(d)) if sum(d[: lv + 1]) >= lv * d[lv])
    s = sum(d[: m + 1])
    x = Fraction(s, m)
    frac = x - math.floor(x)
    pairs = sum(d[i] * d[j] for i in range(m + 1) for j in range(i + 1, m + 1))
    return (
        Fraction(m, 2) * frac * (1 - frac)
        - Fraction(m * (m - 1), 2) * x * x
        + pairs
        + r * (widths[0] + widths[-1] - r)
    )


def _compositions(total: int, parts: int):
    if parts == 1:
        yield (total,)
        return
    for k in range(total + 1):
        for rest in _compositions(total - k, parts - 1):
            yield (k, *rest)


def _qip_min(widths: list[int], r: int) -> tuple[int, int]:
    """LR's QIP: min Σ_{1≤j≤i≤N} e_i(e_j + d'_j − d'_{j−1}) over e ∈ ℕ^N, Σe = d'_0.

    Returns (minimum, number of minimisers), d' the ascending reduced widths.
    """
    d = sorted(w - r for w in widths)
    big_n = len(d) - 1
    best, count = None, 0
    for e in _compositions(d[0], big_n):
        c = sum(
            e[i - 1] * (e[j - 1] + d[j] - d[j - 1])
            for i in range(1, big_n + 1)
            for j in range(1, i + 1)
        )
        if best is None or c < best:
            best, count = c, 1
        elif c == best:
            count += 1
    return best, count


def _lau_lambda(widths: list[int], r: int, sigma: list[int]) -> Fraction:
    """λ of Aoyagi 2024 Thm 2 (as in the Lau et al. code) for a given Σ of reduced widths."""
    ell, s = len(sigma) - 1, sum(sigma)
    big_m = math.ceil(Fraction(s, ell))
    a = s - (big_m - 1) * ell
    return (
        Fraction(-r * r + r * (widths[0] + widths[-1]), 2)
        + Fraction(a * (ell - a), 4 * ell)
        - Fraction(ell * (ell - 1), 4) * Fraction(s, ell) ** 2
        + Fraction(sum(x * y for x, y in itertools.combinations(sigma, 2)), 2)
    )


def _admissible(sigma: list[int], rest: list[int]) -> bool:
    """Conditions (i)–(iii) on Σ (reference §2)."""
    ell, s = len(sigma) - 1, sum(sigma)
    if ell < 1 or s < ell * max(sigma):
        return False
    return not rest or (max(sigma) < min(rest) and s < ell * min(rest))


def _frac(x) -> Fraction:
    x = sp.Rational(x)
    return Fraction(int(x.p), int(x.q))


def _product_jacobian_rank(m: int, n: int, r: int, seed: int = 0) -> int:
    """Exact rank of the Jacobian of (A, B) ↦ BA, A ∈ ℤ^{r×m}, B ∈ ℤ^{n×r}, at a random point.

    Rows: the n·m entries (i, j) of BA; columns: ∂/∂A_kl (= B_ik [j = l]) and
    ∂/∂B_ik (= A_kj [i = i']).
    """
    rng = random.Random(seed)
    a = [[rng.randint(-1000, 1000) for _ in range(m)] for _ in range(r)]
    b = [[rng.randint(-1000, 1000) for _ in range(r)] for _ in range(n)]
    cols = [
        [b[i][k] if j == col else 0 for i in range(n) for j in range(m)]
        for k in range(r)
        for col in range(m)
    ]
    cols += [
        [a[k][j] if i == row else 0 for i in range(n) for j in range(m)]
        for row in range(n)
        for k in range(r)
    ]
    return fmpz_mat(n * m, len(cols), [c[e] for e in range(n * m) for c in cols]).rank()


# ---------------------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------------------

sizes = st.integers(min_value=1, max_value=12)


def rrr_args(max_size: int = 12):
    """(m, n, h, r) from the library's strategy."""
    return sst.reduced_rank_regression(max_size=max_size).map(
        lambda a: (a["m"], a["n"], a["h"], a["r"])
    )


def dln_args(max_len: int = 7, max_width: int = 9):
    """(widths, r) with 2..max_len widths, from the library's strategy."""
    return sst.deep_linear_network(max_layers=max_len - 1, max_width=max_width).map(
        lambda a: (a["widths"], a["r"])
    )


# symbols for the Piecewise route (created once: sympy is slow on first use)
M, N, H = sp.symbols("m n h", positive=True, integer=True)
R = sp.Symbol("r", nonnegative=True, integer=True)
RRR_SYMBOLIC = reduced_rank_regression(M, N, H, R)


# ---------------------------------------------------------------------------------------
# regular and low_rank_manifold
# ---------------------------------------------------------------------------------------


@given(st.integers(1, 10_000))
def test_regular_is_half_dimension(d):
    lc = regular(d)
    assert isinstance(lc, LearningCoefficient)
    assert lc.value == sp.Rational(d, 2) and lc.multiplicity == 1 and lc.dimension == d
    assert float(lc) == d / 2


def test_regular_is_pole_of_zeta_of_sum_of_squares():
    """Independent route (standing): near a regular point K is a positive definite quadratic
    form, |u|² after a linear change of variables (a constant Jacobian factor). In polar
    coordinates ∫_{|u|<1} |u|^{2z} du = |S^{d-1}| ∫_0^1 ρ^{2z+d-1} dρ; sympy integrates the
    radial part and finds its largest pole and the pole's order: (−d/2, 1)."""
    z = sp.Symbol("z", positive=True)
    rho = sp.Symbol("rho", positive=True)
    for d in range(1, 13):
        radial = sp.integrate(rho ** (2 * z + d - 1), (rho, 0, 1))
        den = sp.Poly(sp.denom(sp.together(radial)), z)
        poles = sp.roots(den)
        top = max(poles)
        lc = regular(d)
        assert (top, poles[top]) == (-lc.value, lc.multiplicity), d


def test_regular_symbolic():
    d = sp.Symbol("d", positive=True, integer=True)
    assert regular(d).value == d / 2


@pytest.mark.parametrize(
    "bad, exc, msg",
    [
        (0, ValueError, ">= 1"),
        (-3, ValueError, ">= 1"),
        (2.0, TypeError, "integer"),
        (True, TypeError, "integer"),
        ("4", TypeError, "integer"),
    ],
)
def test_regular_errors(bad, exc, msg):
    with pytest.raises(exc, match=msg) as info:
        regular(bad)
    assert "d" in str(info.value)


def test_low_rank_manifold_values():
    assert low_rank_manifold(100, 100, 3).value == sp.Rational(591, 2)
    assert low_rank_manifold(3, 5, 0).value == 0
    # full rank: the open set of all m×n matrices, i.e. regular with mn parameters
    assert low_rank_manifold(3, 5, 3).value == regular(15).value
    assert low_rank_manifold(4, 7, 2).dimension == 28


def test_low_rank_manifold_is_half_exact_jacobian_rank():
    """Independent route (standing): the exact Jacobian rank of (A, B) ↦ BA with h = r.

    A random integer point gives a lower bound on the generic rank; the image lies in the
    rank-≤r matrices, of dimension r(m+n−r), which bounds it above, so equality certifies
    it. Where the rank is that dimension the map is a submersion onto the smooth rank-r
    manifold, the model is regular after reparametrisation and λ = rank/2 with the
    multiplicity of a regular model of that dimension (the order 1 of its zeta pole,
    test_regular_is_pole_of_zeta_of_sum_of_squares). r = 0 is included: no parameters, an
    empty Jacobian of rank 0, λ = 0 (a mutation audit: λ at r = 0 and m were unchecked).
    """
    for m, n in itertools.product(range(1, 6), repeat=2):
        for r in range(min(m, n) + 1):
            rank = _product_jacobian_rank(m, n, r)
            assert rank == r * (m + n - r), (m, n, r)
            lc = low_rank_manifold(m, n, r)
            assert lc.value == Fraction(rank, 2), (m, n, r)
            if rank:
                assert lc.multiplicity == regular(rank).multiplicity == 1, (m, n, r)


@given(sizes, sizes, st.data())
def test_low_rank_manifold_bounds_and_symmetry(m, n, data):
    r = data.draw(st.integers(0, min(m, n)))
    lc = low_rank_manifold(m, n, r)
    assert lc.value == sp.Rational(r * (m + n - r), 2)
    assert 0 <= lc.value <= lc.dimension / 2
    assert lc.value == low_rank_manifold(n, m, r).value


@pytest.mark.parametrize(
    "args, exc, match",
    [
        ((0, 3, 0), ValueError, "m must"),
        ((3, -1, 0), ValueError, "n must"),
        ((3, 4, 4), ValueError, r"r must be an integer in \[0, 3\] \(min\(m, n\)\)"),
        ((3, 4, -1), ValueError, "r must"),
        ((3, 4, 1.0), TypeError, "r must be an integer"),
        ((3.0, 4, 1), TypeError, "m must be an integer"),
        ((3, False, 1), TypeError, "n must"),
    ],
)
def test_low_rank_manifold_errors(args, exc, match):
    with pytest.raises(exc, match=match):
        low_rank_manifold(*args)


# ---------------------------------------------------------------------------------------
# reduced-rank regression: exact values
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "m_h_n, lam, mult, case",
    [
        ((5, 3, 5), sp.Rational(13, 2), 2, "case 1 (m+n+h+r odd)"),
        ((5, 4, 5), 8, 1, "case 1 (m+n+h+r even)"),
        ((4, 3, 8), 6, 1, "case 2"),
        ((8, 3, 4), 6, 1, "case 3"),
        ((3, 8, 4), 6, 1, "case 4"),
    ],
)
def test_rrr_devinterp_values(m_h_n, lam, mult, case):
    """devinterp's rrr_test.py orders sizes (m, h, n) = (input, hidden, output), r = 0."""
    m, h, n = m_h_n
    lc = reduced_rank_regression(m, n, h)
    assert lc.value == lam and lc.multiplicity == mult
    assert lc.case.startswith(case)
    assert lc.dimension == h * (m + n)
    assert "Aoyagi & Watanabe 2005" in lc.source and "18(7):924-933" in lc.source


def test_rrr_small_cases_against_normal_crossings():
    """Independent route (standing) for λ and m of the two smallest cases, E[xxᵀ] = I.

    M = N = H = 1: K = (ab)², the normal crossing a²b² (zeta poles: test_monomial.py):
    λ = 1/2, m = 2. M = 2, N = H = 1: K = b²(a1² + a2²), a product of b² (normal crossing,
    λ = 1/2) and a regular form in (a1, a2) (λ = 1) in disjoint variables; by Lehalleur &
    Rimányi 2024, Prop. 8.4, λ is the smaller, 1/2, and m = 1 (the two differ).
    """
    lc = reduced_rank_regression(1, 1, 1)
    ab = normal_crossing([1, 1])
    assert (lc.value, lc.multiplicity) == (ab.value, ab.multiplicity) == (sp.Rational(1, 2), 2)
    lc = reduced_rank_regression(2, 1, 1)
    b2, a2 = normal_crossing([1]), regular(2)
    assert b2.value < a2.value
    assert (lc.value, lc.multiplicity) == (b2.value, b2.multiplicity) == (sp.Rational(1, 2), 1)


def test_rrr_small_cases():
    # true rank 1 with h = 1: regular on the rank-1 manifold of 1×1 matrices
    assert reduced_rank_regression(1, 1, 1, 1).value == sp.Rational(1, 2)
    assert reduced_rank_regression(1, 1, 1, 1).multiplicity == 1


def test_rrr_accepts_sympy_integers():
    lc = reduced_rank_regression(sp.Integer(5), sp.Integer(5), sp.Integer(3), sp.Integer(0))
    assert lc.value == sp.Rational(13, 2) and lc.is_exact


# ---------------------------------------------------------------------------------------
# reduced-rank regression: properties
# ---------------------------------------------------------------------------------------


@given(rrr_args())
def test_rrr_symmetric_in_input_and_output(args):
    m, n, h, r = args
    a, b = reduced_rank_regression(m, n, h, r), reduced_rank_regression(n, m, h, r)
    assert (a.value, a.multiplicity, a.dimension) == (b.value, b.multiplicity, b.dimension)


@given(rrr_args())
def test_rrr_bounds(args):
    m, n, h, r = args
    lc = reduced_rank_regression(m, n, h, r)
    assert sp.Rational(r * (m + n - r), 2) <= lc.value <= sp.Rational(min(h * (m + n), m * n), 2)
    assert 0 <= lc.value <= lc.dimension / 2
    assert lc.multiplicity in (1, 2)
    assert (lc.multiplicity == 2) == lc.case.startswith("case 1 (m+n+h+r odd)")
    # the multiplicity from the main theorem's inequalities, not from the code's case label
    # (an outside property-test audit: the label test passed a mutant that moved case 1's
    # boundary for m only)
    case1 = n + r <= m + h and m + r <= n + h and h + r <= m + n
    assert lc.multiplicity == (2 if case1 and (m + n + h + r) % 2 else 1)


@given(rrr_args())
def test_rrr_monotone_in_hidden_width(args):
    m, n, h, r = args
    assert (
        reduced_rank_regression(m, n, h + 1, r).value >= reduced_rank_regression(m, n, h, r).value
    )


@given(sizes, sizes, st.data())
def test_rrr_hidden_equals_rank_is_low_rank_manifold(m, n, data):
    r = data.draw(st.integers(1, min(m, n)))
    lc = reduced_rank_regression(m, n, r, r)
    assert lc.value == low_rank_manifold(m, n, r).value == sp.Rational(r * (m + n - r), 2)
    assert lc.multiplicity == 1


def test_rrr_h_large_is_regular_in_product():
    # case 4 (h + r > m + n): λ = mn/2 whatever r is
    for r in range(4):
        assert reduced_rank_regression(3, 4, 20, r).value == 6


@given(rrr_args(max_size=15))
def test_rrr_piecewise_substitution_matches_integer_result(args):
    m, n, h, r = args
    lc = reduced_rank_regression(m, n, h, r)
    sub = {M: m, N: n, H: h, R: r}
    assert RRR_SYMBOLIC.value.subs(sub) == lc.value
    assert RRR_SYMBOLIC.multiplicity.subs(sub) == lc.multiplicity
    assert RRR_SYMBOLIC.dimension.subs(sub) == lc.dimension


@given(rrr_args(max_size=10))
def test_rrr_partly_symbolic_rank(args):
    m, n, h, r = args
    lc = reduced_rank_regression(m, n, h, R)
    assert lc.value.subs(R, r) == reduced_rank_regression(m, n, h, r).value
    assert lc.multiplicity.subs(R, r) == reduced_rank_regression(m, n, h, r).multiplicity


def test_rrr_symbolic_is_piecewise():
    assert isinstance(RRR_SYMBOLIC.value, sp.Piecewise)
    assert isinstance(RRR_SYMBOLIC.multiplicity, sp.Piecewise)
    assert RRR_SYMBOLIC.dimension == H * (M + N)
    assert not RRR_SYMBOLIC.is_exact
    with pytest.raises(TypeError, match="symbolic"):
        float(RRR_SYMBOLIC)


def _expected_rrr_pieces():
    hr = H + R
    even = (2 * hr * (M + N) - (M - N) ** 2 - hr**2) / 8
    return {
        "1 even": even,
        "1 odd": even + sp.Rational(1, 8),
        "2": (H * M - H * R + N * R) / 2,
        "3": (H * N - H * R + M * R) / 2,
        "4": M * N / 2,
    }


def test_rrr_piecewise_pieces_are_the_table():
    """The Piecewise is the reference table, pieces and conditions in order."""
    exp = _expected_rrr_pieces()
    args = RRR_SYMBOLIC.value.args
    assert len(args) == 5
    for (expr, cond), key, want_cond in zip(
        args,
        ["2", "3", "4", "1 even", "1 odd"],
        [M + H < N + R, N + H < M + R, M + N < H + R, sp.Eq(sp.Mod(M + N + H + R, 2), 0), True],
        strict=True,
    ):
        assert sp.expand(expr - exp[key]) == 0
        assert getattr(cond, "canonical", cond) == getattr(want_cond, "canonical", want_cond)


@pytest.mark.parametrize(
    "key, boundary",
    [("2", {N: M + H - R}), ("3", {M: N + H - R}), ("4", {H: M + N - R})],
)
def test_rrr_continuity_across_case_boundaries_symbolic(key, boundary):
    """Case 1's (even) expression equals the neighbouring case's on their common boundary."""
    pieces = {
        k: e
        for (e, _), k in zip(
            RRR_SYMBOLIC.value.args, ["2", "3", "4", "1 even", "1 odd"], strict=True
        )
    }
    assert sp.expand((pieces["1 even"] - pieces[key]).subs(boundary, simultaneous=True)) == 0
    # and the odd expression does not (it is offset by 1/8): the boundary is even
    assert sp.expand((pieces["1 odd"] - pieces[key]).subs(boundary, simultaneous=True)) != 0


@given(st.integers(1, 10), st.integers(1, 10), st.data())
def test_rrr_continuity_at_integer_boundary_points(a, b, data):
    r = data.draw(st.integers(0, min(a, b)))
    # boundary of case 2: m + h = n + r (so n = m + h - r >= r); there the parity is even
    m, h = a, b
    n = m + h - r
    on = reduced_rank_regression(m, n, h, r)
    assert on.case.startswith("case 1 (m+n+h+r even)")
    assert on.value == sp.Rational(h * m - h * r + n * r, 2)
    across = reduced_rank_regression(m, n + 1, h, r)
    assert across.case.startswith("case 2")
    assert across.value - on.value == sp.Rational(r, 2)  # the case-2 polynomial's step in n
    # boundary of case 3 (swap roles) and case 4: h = m + n - r
    assert reduced_rank_regression(n, m, h, r).value == on.value
    h4 = a + b - r
    if r <= h4:
        on4 = reduced_rank_regression(a, b, h4, r)
        assert on4.case.startswith("case 1 (m+n+h+r even)")
        assert on4.value == sp.Rational(a * b, 2)
        assert reduced_rank_regression(a, b, h4 + 1, r).case.startswith("case 4")


# ---------------------------------------------------------------------------------------
# deep linear networks: exact values
# ---------------------------------------------------------------------------------------


def test_dln_lr_worked_examples():
    lc = deep_linear_network([2, 2, 3])
    assert (lc.value, lc.multiplicity) == (2, 2)
    assert _qip_min([2, 2, 3], 0) == (4, 2)  # LR: C = 4 with 2 minimisers
    for widths, codim in [([8, 8, 11, 11, 11, 13, 13, 13, 15], 55), ([7, 7, 8, 9, 12, 13], 39)]:
        assert deep_linear_network(widths).value == sp.Rational(codim, 2)
        assert _qip_min(widths, 0)[0] == codim
        assert _lr_codim(widths, 0) == codim


def test_dln_metadata():
    lc = deep_linear_network([3, 4, 5, 2], r=1)
    assert lc.dimension == 3 * 4 + 4 * 5 + 5 * 2
    assert "Aoyagi 2024" in lc.source and "172:106132" in lc.source and "Thm 2" in lc.source
    assert lc.is_exact


def test_dln_accepts_tuples_and_arrays():
    ref = deep_linear_network([5, 3, 5])
    for w in [(5, 3, 5), np.array([5, 3, 5]), [np.int64(5), sp.Integer(3), 5]]:
        lc = deep_linear_network(w)
        assert (lc.value, lc.multiplicity, lc.dimension) == (
            ref.value,
            ref.multiplicity,
            ref.dimension,
        )


@given(sizes, sizes, st.data())
def test_dln_two_widths_is_regular(a, b, data):
    r = data.draw(st.integers(0, min(a, b)))
    lc = deep_linear_network([a, b], r)
    assert lc.value == regular(a * b).value and lc.multiplicity == 1
    assert lc.dimension == a * b


@given(dln_args())
def test_dln_full_rank_has_zero_core(args):
    widths, _ = args
    r = min(widths)
    lc = deep_linear_network(widths, r)
    assert lc.value == sp.Rational(r * (widths[0] + widths[-1] - r), 2)
    assert lc.multiplicity == 1


def test_dln_three_widths_equals_rrr_on_grid():
    """One hidden layer is RRR, λ and multiplicity, for every r (sizes 1..6)."""
    for m, h, n in itertools.product(range(1, 7), repeat=3):
        for r in range(min(m, n, h) + 1):
            a, b = deep_linear_network([m, h, n], r), reduced_rank_regression(m, n, h, r)
            assert (a.value, a.multiplicity, a.dimension) == (
                b.value,
                b.multiplicity,
                b.dimension,
            ), (m, h, n, r)


@given(rrr_args(max_size=30))
def test_dln_three_widths_equals_rrr(args):
    m, n, h, r = args
    a, b = deep_linear_network([m, h, n], r), reduced_rank_regression(m, n, h, r)
    assert (a.value, a.multiplicity) == (b.value, b.multiplicity)


# ---------------------------------------------------------------------------------------
# deep linear networks: independent routes and properties
# ---------------------------------------------------------------------------------------


def test_rrr_matches_lr_codimension_and_qip():
    """Independent route (standing): 2λ = codim of the fibre of the multiplication map
    (Pepin Lehalleur & Rimányi 2024, Thm 8.6), by their closed form and, by brute force,
    their quadratic integer program, on every (m, h, n) ≤ 6 and every rank r."""
    checked = 0
    for m, h, n in itertools.product(range(1, 7), repeat=3):
        for r in range(min(m, n, h) + 1):
            lam = reduced_rank_regression(m, n, h, r).value
            assert 2 * _frac(lam) == _lr_codim([m, h, n], r), (m, h, n, r)
            qmin, _ = _qip_min([m, h, n], r)
            assert 2 * lam == qmin + r * (m + n - r), (m, h, n, r)
            checked += 1
    assert checked == 657  # Σ over (m, h, n) ∈ [1, 6]³ of (min(m, h, n) + 1)


@given(rrr_args(max_size=40))
def test_rrr_matches_lr_codimension_large(args):
    m, n, h, r = args
    assert 2 * _frac(reduced_rank_regression(m, n, h, r).value) == _lr_codim([m, h, n], r)


@given(dln_args())
def test_dln_matches_lr_closed_form(args):
    widths, r = args
    assert 2 * _frac(deep_linear_network(widths, r).value) == _lr_codim(widths, r)


@given(dln_args(max_len=5, max_width=5))
def test_dln_matches_qip_brute_force(args):
    widths, r = args
    qmin, _ = _qip_min(widths, r)
    assert 2 * deep_linear_network(widths, r).value == qmin + r * (widths[0] + widths[-1] - r)


def test_dln_matches_qip_on_grid():
    for length in (3, 4):
        for widths in itertools.product(range(1, 5), repeat=length):
            widths = list(widths)
            for r in range(min(widths) + 1):
                qmin, _ = _qip_min(widths, r)
                lam = deep_linear_network(widths, r).value
                assert 2 * lam == qmin + r * (widths[0] + widths[-1] - r), (widths, r)


def test_dln_codimension_matches_qip():
    """Pepin Lehalleur & Rimányi's closed form of codim mult⁻¹(B) (the library's
    dln_codimension_bound, upper = codim/2) against their quadratic integer program, minimised
    here by brute force (an independent characterisation of the same codimension); and the
    test's own transcription of the closed form."""
    for length in (2, 3, 4, 5):
        for widths in itertools.product(range(1, 5 if length < 5 else 4), repeat=length):
            widths = list(widths)
            for r in range(min(widths) + 1):
                b = dln_codimension_bound(widths, r)
                qmin, _ = _qip_min(widths, r)
                codim = qmin + r * (widths[0] + widths[-1] - r)
                assert 2 * b.upper == codim == _lr_codim(widths, r), (widths, r)
                assert b.lower == 0 and b.dimension == sum(
                    a * c for a, c in zip(widths, widths[1:], strict=False))


def test_dln_codimension_bound_holds_for_rrr():
    """One hidden layer: the bound is λ of reduced-rank regression (Aoyagi & Watanabe 2005),
    so it holds there and is attained (Pepin Lehalleur & Rimányi, Thm 8.6)."""
    for m, h, n in itertools.product(range(1, 7), repeat=3):
        for r in range(min(m, n, h) + 1):
            assert dln_codimension_bound([m, h, n], r).upper == \
                reduced_rank_regression(m, n, h, r).value, (m, h, n, r)


@given(dln_args(max_len=6))
def test_dln_codimension_bound_is_deep_linear_network(args):
    """Aoyagi 2024's λ attains the bound (the two sources agree; LR Thm 8.6)."""
    widths, r = args
    assert dln_codimension_bound(widths, r).upper == deep_linear_network(widths, r).value


def test_dln_codimension_bound_errors():
    with pytest.raises(ValueError, match="r"):
        dln_codimension_bound([3, 2, 3], 3)
    with pytest.raises(TypeError, match="symbolic"):
        dln_codimension_bound([3, 2, 3], sp.Symbol("r"))


@given(dln_args(max_len=6))
def test_dln_every_admissible_sigma_gives_the_same_lambda(args):
    widths, r = args
    reduced = [w - r for w in widths]
    idx = range(len(reduced))
    found = 0
    for k in range(2, len(reduced) + 1):
        for sub in itertools.combinations(idx, k):
            sigma = [reduced[i] for i in sub]
            rest = [reduced[i] for i in idx if i not in sub]
            if _admissible(sigma, rest):
                found += 1
                assert _lau_lambda(widths, r, sigma) == _frac(deep_linear_network(widths, r).value)
    assert found >= 1


@given(dln_args())
def test_dln_reversal_invariance(args):
    widths, r = args
    a, b = deep_linear_network(widths, r), deep_linear_network(widths[::-1], r)
    assert (a.value, a.multiplicity, a.dimension) == (b.value, b.multiplicity, b.dimension)


@given(dln_args(), st.randoms(use_true_random=False))
def test_dln_core_term_is_permutation_invariant(args, rnd):
    """λ − r(H₁+H_{L+1}−r)/2 depends only on the multiset of widths (reference §2)."""
    widths, r = args
    perm = list(widths)
    rnd.shuffle(perm)

    def core(ws):
        return deep_linear_network(ws, r).value - sp.Rational(r * (ws[0] + ws[-1] - r), 2)

    assert core(perm) == core(widths)
    assert deep_linear_network(perm, r).multiplicity == deep_linear_network(widths, r).multiplicity
    # hence permuting the hidden widths with the ends fixed leaves λ unchanged
    hidden = widths[1:-1]
    rnd.shuffle(hidden)
    same_ends = [widths[0], *hidden, widths[-1]]
    assert deep_linear_network(same_ends, r).value == deep_linear_network(widths, r).value


@given(dln_args(max_len=9, max_width=12))
def test_dln_bounds(args):
    widths, r = args
    lc = deep_linear_network(widths, r)
    d0, dn, k = widths[0], widths[-1], min(widths)
    assert 0 <= lc.value <= lc.dimension / 2
    # the core term is half a codimension, so λ is at least half the rank-r manifold's dimension
    assert lc.value >= low_rank_manifold(d0, dn, r).value
    # λ = codim of the fibre / 2 (LR Thm 8.6) ≤ dim of the image / 2, the image being the
    # d0×dn matrices of rank ≤ k = min(widths) (fibre dimension ≥ source − image dimension)
    assert lc.value <= sp.Rational(k * (d0 + dn - k), 2)
    assert lc.multiplicity >= 1


def test_dln_monotone_in_hidden_widths_on_grid():
    """Widening a hidden layer never lowers λ (L = 2: the sourced RRR property; deeper: grid)."""
    for length in (3, 4, 5):
        for widths in itertools.product(range(1, 5), repeat=length):
            for r in range(min(widths) + 1):
                lam = deep_linear_network(list(widths), r).value
                for i in range(1, length - 1):
                    wider = list(widths)
                    wider[i] += 1
                    assert deep_linear_network(wider, r).value >= lam, (widths, r, i)


# ---------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, kwargs, exc, match",
    [
        ((0, 3, 3), {}, ValueError, r"m must be an integer >= 1, got 0"),
        ((3, -2, 3), {}, ValueError, r"n must be an integer >= 1"),
        ((3, 3, 0), {}, ValueError, r"h must be an integer >= 1"),
        ((3, 4, 2), {"r": 3}, ValueError, r"r must be an integer in \[0, 2\] \(min\(m, n, h\)\)"),
        ((3, 4, 5), {"r": -1}, ValueError, r"r must be an integer in \[0, 3\]"),
        ((3.0, 4, 5), {}, TypeError, "m must be an integer"),
        ((3, 4, 5), {"r": 1.5}, TypeError, "r must be an integer"),
        ((3, True, 5), {}, TypeError, "n must be an integer"),
        ((3, 4, "5"), {}, TypeError, "h must be an integer"),
        ((3, 4, None), {}, TypeError, "h must be an integer"),
    ],
)
def test_rrr_errors(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        reduced_rank_regression(*args, **kwargs)


def test_rrr_rank_checked_against_integer_sizes_when_others_symbolic():
    with pytest.raises(ValueError, match=r"r must be an integer in \[0, 2\]"):
        reduced_rank_regression(M, 2, 5, 3)


@pytest.mark.parametrize(
    "widths, kwargs, exc, match",
    [
        ([3], {}, ValueError, "at least 2 entries"),
        ([], {}, ValueError, "at least 2 entries"),
        (5, {}, TypeError, "widths must be a sequence"),
        ("35", {}, TypeError, "widths must be a sequence"),
        ({3, 5}, {}, TypeError, "widths must be a sequence"),
        ([3, 0, 2], {}, ValueError, r"widths\[1\] must be an integer >= 1, got 0"),
        ([3, -1], {}, ValueError, r"widths\[1\] must be an integer >= 1"),
        ([3, 2.0], {}, TypeError, r"widths\[1\] must be an integer"),
        ([True, 2], {}, TypeError, r"widths\[0\] must be an integer"),
        (["3", 2], {}, TypeError, r"widths\[0\] must be an integer"),
        ([3, 2, 4], {"r": 3}, ValueError, r"r must be an integer in \[0, 2\] \(min\(widths\)\)"),
        ([3, 2, 4], {"r": -1}, ValueError, r"r must be an integer in \[0, 2\]"),
        ([3, 2, 4], {"r": 1.0}, TypeError, "r must be an integer"),
        ([3, H, 4], {}, TypeError, r"widths\[1\] = h is symbolic.*needs integer widths"),
        ([3, 2, 4], {"r": R}, TypeError, "r = r is symbolic"),
    ],
)
def test_dln_errors(widths, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        deep_linear_network(widths, **kwargs)


# widths and r beyond the smallest: multiplicity_checked relies on these two at every size
_DLN_WIDTH = st.integers(1, 4) | st.integers(1, 60)


@given(st.lists(_DLN_WIDTH, min_size=2, max_size=6), st.data())
def test_dln_multiplicity_obeys_the_product_rule_at_a_width_one_layer(widths, data):
    """A hidden layer of width 1 at true product 0 splits the network: W_L⋯W_1 = u·v with
    u = W_L⋯W_{j+1} (a column) and v = W_j⋯W_1 (a row) in disjoint parameters, so
    K = ‖u‖²‖v‖² and the zeta function is the product of the two halves'. Hence λ is the
    smaller half's and m the sum of the halves' where they tie (Pepin Lehalleur & Rimányi
    2024, Prop. 8.4(iv)): a check of Aoyagi's multiplicity a(ℓ − a) + 1 for ℓ ≥ 3, which
    otherwise is only checked through reduced-rank regression."""
    j = data.draw(st.integers(1, len(widths) - 1))
    full = [*widths[:j], 1, *widths[j:]]  # width 1 at hidden layer j
    left, right = deep_linear_network(full[:j + 1]), deep_linear_network(full[j:])
    whole = deep_linear_network(full)
    lam = min(left.value, right.value)
    m = sum(h.multiplicity for h in (left, right) if h.value == lam)
    assert (whole.value, whole.multiplicity) == (lam, m), (full, left.case, right.case)


@given(st.lists(_DLN_WIDTH, min_size=2, max_size=6), st.integers(1, 3) | st.integers(1, 60),
       st.data())
def test_dln_multiplicity_at_a_width_r_plus_one_layer_from_the_product_rule(widths, r, data):
    """True rank r ≥ 1 with a hidden layer of width r + 1 (a mutation audit: the product rule
    above is at r = 0 only, and a multiplicity wrong only for r > 0 passed every established
    test). Near a rank-r truth the fibre is locally the rank-r manifold's regular directions
    times the fibre over 0 of the reduced network H_s − r (the reduction that
    test_rrr_one_hidden_unit_beyond_the_rank_from_zeta_poles uses), whose layer of width
    r + 1 has reduced width 1: so λ = r(H₁ + H_{L+1} − r)/2 plus the product rule's λ of the
    reduced halves, and m is the product rule's (Pepin Lehalleur & Rimányi 2024,
    Prop. 8.4(iv))."""
    j = data.draw(st.integers(1, len(widths) - 1))
    reduced = [*widths[:j], 1, *widths[j:]]
    full = [w + r for w in reduced]
    left, right = deep_linear_network(reduced[:j + 1]), deep_linear_network(reduced[j:])
    core = min(left.value, right.value)
    m = sum(h.multiplicity for h in (left, right) if h.value == core)
    whole = deep_linear_network(full, r)
    regular_part = sp.Rational(r * (full[0] + full[-1] - r), 2)
    assert (whole.value, whole.multiplicity) == (regular_part + core, m), (full, r, whole.case)


def _split_by_zeta_poles(reduced):
    """(λ, m) of a reduced network at true product 0 from the zeta poles of its pieces, or
    ``None``: it is cut at every hidden layer of width 1, K is the product of the pieces'
    K in disjoint parameters, and each piece has a known zeta function without any formula
    of this package: two widths (a, b) are regular (ab/2, 1); three widths (x, h, 1),
    x ↦ bᵀA x, or their transpose have K = ‖Aᵀb‖², which polar coordinates in b and then in
    Aᵀb make the normal crossing t²s² with prior powers h − 1 and x − 1 (min(h, x)/2, m 2 at
    a tie)."""
    cuts = [0, *(j for j in range(1, len(reduced) - 1) if reduced[j] == 1), len(reduced) - 1]
    pieces = []
    for a, b in itertools.pairwise(cuts):
        piece = reduced[a:b + 1]
        if len(piece) == 2:
            pieces.append((Fraction(piece[0] * piece[1], 2), 1))
        elif len(piece) == 3 and min(piece[0], piece[2]) == 1:
            x, h = max(piece[0], piece[2]), piece[1]
            pieces.append((Fraction(min(h, x), 2), 2 if h == x else 1))
        else:
            return None
    lam = min(v for v, _ in pieces)
    return lam, sum(m for v, m in pieces if v == lam)


def test_dln_multiplicity_wherever_checked_matches_zeta_poles_of_all_width_one_cuts():
    """Every size up to 6 widths ≤ 4, r ≤ 2, where multiplicity_checked says a deep linear
    network's m is checked and the network has a hidden layer of reduced width 1: λ and m
    against the product of the zeta functions of all its pieces at once (several cuts: the
    two product-rule tests above cut once and rely on the formula for the halves)."""
    from slttheory.formulas.standing import multiplicity_checked

    seen = 0
    for n_widths in range(4, 7):
        for widths in itertools.product(range(1, 5), repeat=n_widths):
            for r in range(min(2, min(widths) - 1) + 1):
                reduced = [w - r for w in widths]
                if 1 not in reduced[1:-1] or not multiplicity_checked(
                        "deep_linear_network", {"widths": widths, "r": r}):
                    continue
                lam, m = _split_by_zeta_poles(reduced)
                lc = deep_linear_network(widths, r)
                regular_part = Fraction(r * (widths[0] + widths[-1] - r), 2)
                assert (_frac(lc.value), lc.multiplicity) == (regular_part + lam, m), (widths, r)
                seen += 1
    assert seen > 1000


# ---------------------------------------------------------------------------------------
# monotonicity and full-rank agreement (an outside property-test audit)
# ---------------------------------------------------------------------------------------


@given(rrr_args())
def test_rrr_monotone_in_input_output_and_true_rank(args):
    """λ never drops when m or n grows (r fixed) or when r grows (sizes fixed).

    m (and by symmetry n): with E[xxᵀ] = I and the truth's extra column 0, the larger model's
    K is the smaller one's plus ‖B a_{m+1}‖² ≥ 0, in the smaller model's variables and new
    ones, and K ≤ K′ gives λ(K) ≤ λ(K′). r: every case's polynomial is non-decreasing in r
    on its region (case 1: ∂/∂r = (m + n − h − r)/4 ≥ 0; case 2: (n − h)/2 > 0 as
    n > m + h − r ≥ h; case 3 likewise; case 4 constant) and the cases meet continuously;
    this is the semicontinuity of the log canonical threshold (a rank-r truth is a limit of
    rank-(r + 1) truths)."""
    m, n, h, r = args
    lam = reduced_rank_regression(m, n, h, r).value
    assert reduced_rank_regression(m + 1, n, h, r).value >= lam
    assert reduced_rank_regression(m, n + 1, h, r).value >= lam
    if r < min(m, n, h):
        assert reduced_rank_regression(m, n, h, r + 1).value >= lam


@given(sizes, sizes, st.data())
def test_rrr_and_low_rank_at_full_rank_are_regular_in_the_product(m, n, data):
    """A true product of full rank min(m, n) is an interior point of the m×n matrices: the
    model is regular in the product, λ = mn/2 with m = 1 (regular(m·n)), whatever h ≥ r."""
    r = min(m, n)
    h = data.draw(st.integers(r, 2 * (m + n)))
    full = regular(m * n)
    for lc in (reduced_rank_regression(m, n, h, r), low_rank_manifold(m, n, r)):
        assert (lc.value, lc.multiplicity) == (full.value, full.multiplicity)


@given(sizes, sizes, st.data())
def test_low_rank_manifold_monotone_in_rank(m, n, data):
    r = data.draw(st.integers(0, min(m, n) - 1))
    assert low_rank_manifold(m, n, r + 1).value > low_rank_manifold(m, n, r).value


@given(dln_args(max_len=7, max_width=10), st.data())
def test_dln_monotone_in_widths_and_true_rank(args, data):
    """Widening the input or output layer never lowers λ (the argument of
    test_rrr_monotone_in_input_output_and_true_rank: K gains a square in new variables);
    nor do a wider hidden layer (the grid test above, here beyond it) or a larger r."""
    widths, r = args
    lam = deep_linear_network(widths, r).value
    i = data.draw(st.integers(0, len(widths) - 1), label="layer widened")
    wider = list(widths)
    wider[i] += 1
    assert deep_linear_network(wider, r).value >= lam, (widths, r, i)
    if r < min(widths):
        assert deep_linear_network(widths, r + 1).value >= lam, (widths, r)


@given(dln_args(max_len=7, max_width=10))
def test_dln_full_rank_at_an_end_is_regular_in_the_product(args):
    """r = min(widths) = min(H₁, H_{L+1}): the product is an interior point of the
    H_{L+1}×H₁ matrices, so λ = H₁H_{L+1}/2, m = 1 (regular(H₁·H_{L+1}))."""
    widths, _ = args
    ends = min(widths[0], widths[-1])
    widths = [widths[0], *(max(w, ends) for w in widths[1:-1]), widths[-1]]
    lc, full = deep_linear_network(widths, ends), regular(widths[0] * widths[-1])
    assert (lc.value, lc.multiplicity) == (full.value, full.multiplicity)


@given(dln_args(max_len=7, max_width=10))
def test_dln_multiplicity_is_at_most_the_dimension(args):
    widths, r = args
    lc = deep_linear_network(widths, r)
    assert 1 <= lc.multiplicity <= lc.dimension
    # the codimension bound is invariant under reversing the widths (transposing the product)
    assert dln_codimension_bound(widths[::-1], r).upper == dln_codimension_bound(widths, r).upper
