r"""Normal crossings and non-degenerate Newton polyhedra.

Both functions return the largest pole :math:`-\lambda` of the zeta function
:math:`\zeta(z) = \int |K(w)|^z\, |w^h|\, dw` near :math:`w = 0` and its order m.
Everything is exact: the Newton-polyhedron route solves its two linear programs with
an exact simplex method over :class:`fractions.Fraction` (no floating point).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from fractions import Fraction

import sympy as sp

from slttheory.formulas.core import LearningCoefficient, rederivable
from slttheory.formulas.standing import standing_of

__all__ = ["normal_crossing", "newton_polyhedron"]

_WATANABE = ("Watanabe 2009, Algebraic Geometry and Statistical Learning Theory (CUP, "
             "doi:10.1017/CBO9780511800474)")


# --------------------------------------------------------------------------- validation


def _int_entry(name: str, value) -> int:
    """A non-negative integer entry (Python or sympy integer, not bool, not symbolic)."""
    if isinstance(value, sp.Basic) and value.free_symbols:
        raise TypeError(
            f"{name} must be a non-negative integer, got the symbolic {value!r}: symbolic "
            "exponents are not supported (λ is a minimum over the exponents)"
        )
    if isinstance(value, bool) or not isinstance(value, numbers.Integral | sp.Integer):
        raise TypeError(
            f"{name} must be a non-negative integer, got {value!r} of type {type(value).__name__}"
        )
    v = int(value)
    if v < 0:
        raise ValueError(f"{name} must be a non-negative integer (>= 0), got {v}")
    return v


def _from_array(name: str, values, ndim: int):
    """A numpy array or tensor of ``ndim`` dimensions as nested lists (the sequences the
    checks below read); anything else as it is."""
    if not (hasattr(values, "ndim") and hasattr(values, "tolist")):
        return values
    if values.ndim != ndim:
        what = "one-dimensional" if ndim == 1 else "two-dimensional (one row per monomial)"
        raise ValueError(f"{name} must be {what}, got {values.ndim} dimensions")
    return values.tolist()


def _int_vector(name: str, values, length: int | None = None) -> tuple[int, ...]:
    values = _from_array(name, values, 1)
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise TypeError(
            f"{name} must be a sequence (list or tuple) of non-negative integers, "
            f"got {type(values).__name__}"
        )
    if len(values) == 0:
        raise ValueError(f"{name} must be non-empty")
    if length is not None and len(values) != length:
        raise ValueError(
            f"{name} must have length {length} (one entry per variable), got {len(values)}"
        )
    return tuple(_int_entry(f"{name}[{j}]", x) for j, x in enumerate(values))


def _prior(prior_powers, d: int) -> tuple[int, ...]:
    if prior_powers is None:
        return (0,) * d
    return _int_vector("prior_powers", prior_powers, length=d)


# --------------------------------------------------------------------------- normal crossing


@rederivable
def normal_crossing(powers, prior_powers=None) -> LearningCoefficient:
    r"""Normal crossing K(w) = Π_j w_j^{2k_j} with prior ∝ Π_j |w_j|^{h_j}.

    .. math::
        \lambda = \min_{j:\,k_j>0} \frac{h_j+1}{2k_j}, \qquad
        m = \#\{j : k_j > 0,\ (h_j+1)/(2k_j) = \lambda\}.

    Near 0 the zeta function is :math:`\prod_j 1/(2k_j z + h_j + 1)` up to a
    holomorphic non-vanishing factor, so its largest pole is at :math:`-\lambda` with
    order m. Variables with :math:`k_j = 0` do not enter λ (they count in ``dimension``).

    Parameters
    ----------
    powers:
        The :math:`k_j` (non-negative integers, not all zero; K's exponents are 2k_j).
    prior_powers:
        The :math:`h_j` (non-negative integers, same length); ``None`` means all zero.

    Source: Watanabe 2009, *Algebraic Geometry and Statistical Learning Theory*, the
    standard-form (normal crossing) computation of Ch. 2 and Ch. 6 (Main Formula I);
    monomial rule as in LR 2024 Prop. 8.4 / Example 8.5.

    >>> lc = normal_crossing([1, 2])          # K = x^2 y^4
    >>> lc.value, lc.multiplicity, lc.dimension
    (1/4, 1, 2)
    >>> normal_crossing([1, 1]).multiplicity   # K = x^2 y^2
    2
    >>> normal_crossing([1, 1], prior_powers=[1, 0]).value
    1/2
    """
    k = _int_vector("powers", powers)
    h = _prior(prior_powers, len(k))
    if not any(k):
        raise ValueError(
            f"powers must not be all zero (K ≡ 1 does not vanish at 0), got {list(k)}"
        )
    ratios = [sp.Rational(hj + 1, 2 * kj) for kj, hj in zip(k, h, strict=True) if kj > 0]
    lam = min(ratios)
    m = sum(1 for r in ratios if r == lam)
    return LearningCoefficient(
        value=lam,
        multiplicity=sp.Integer(m),
        dimension=sp.Integer(len(k)),
        case="normal crossing",
        assumptions=(
            "K(w) = prod_j w_j^(2 k_j) exactly in a neighbourhood of w = 0 (standard form)",
            "prior density = prod_j |w_j|^(h_j) times a function positive at 0",
        ),
        source=f"{_WATANABE}, Ch. 2 and Ch. 6 (normal crossing / standard form, Main Formula I); "
        "Pepin Lehalleur & Rimányi 2024, Prop. 8.4 and Example 8.5",
        **standing_of("normal_crossing").fields(),
    )


# --------------------------------------------------------------------------- exact LP


def _simplex_max(c: list[Fraction], rows: list[list[Fraction]], b: list[Fraction]):
    """Maximise c·x subject to rows·x ≤ b, x ≥ 0, where b ≥ 0 (x = 0 is feasible).

    Exact tableau simplex with Bland's rule (no cycling). Returns (optimum, x).
    Raises ``ArithmeticError`` if unbounded (never the case for the LPs below).
    """
    n, mrows = len(c), len(rows)
    # tableau rows: [A | I | b]; objective row: [-c | 0 | 0]
    tab = [list(r) + [Fraction(int(i == j)) for j in range(mrows)] + [bi]
           for i, (r, bi) in enumerate(zip(rows, b, strict=True))]
    obj = [-ci for ci in c] + [Fraction(0)] * (mrows + 1)
    basis = [n + i for i in range(mrows)]
    width = n + mrows
    while True:
        enter = next((j for j in range(width) if obj[j] < 0), None)
        if enter is None:
            break
        best = None
        for i in range(mrows):
            a = tab[i][enter]
            if a > 0:
                ratio = tab[i][-1] / a
                key = (ratio, basis[i])  # Bland: ties go to the smallest basic index
                if best is None or key < best[0]:
                    best = (key, i)
        if best is None:
            raise ArithmeticError("linear program is unbounded")
        r = best[1]
        piv = tab[r][enter]
        tab[r] = [x / piv for x in tab[r]]
        for i in range(mrows):
            f = tab[i][enter]
            if i != r and f != 0:
                tab[i] = [x - f * y for x, y in zip(tab[i], tab[r], strict=True)]
        f = obj[enter]
        obj = [x - f * y for x, y in zip(obj, tab[r], strict=True)]
        basis[r] = enter
    x = [Fraction(0)] * width
    for i, j in enumerate(basis):
        x[j] = tab[i][-1]
    return obj[-1], x[:n]


def _rank(vectors: list[list[Fraction]]) -> int:
    """Exact rank by Gaussian elimination over the rationals."""
    rows = [list(v) for v in vectors if any(v)]
    rank, col = 0, 0
    ncols = len(rows[0]) if rows else 0
    while rank < len(rows) and col < ncols:
        piv = next((i for i in range(rank, len(rows)) if rows[i][col] != 0), None)
        if piv is None:
            col += 1
            continue
        rows[rank], rows[piv] = rows[piv], rows[rank]
        for i in range(rank + 1, len(rows)):
            f = rows[i][col] / rows[rank][col]
            if f:
                rows[i] = [x - f * y for x, y in zip(rows[i], rows[rank], strict=True)]
        rank += 1
        col += 1
    return rank


def _newton_distance(points: list[tuple[int, ...]], v: tuple[int, ...]) -> tuple[Fraction, int]:
    """(t*, codim of the smallest face of Γ₊ containing t*·v), exactly.

    Γ₊ = conv(points) + ℝ^d_≥0. Its supporting half-spaces have normals c ≥ 0, so by LP
    duality t* = max{ min_i ⟨c, a_i⟩ : c ≥ 0, ⟨c, v⟩ ≤ 1 } (LP 1).

    The codimension of the smallest face F ∋ p = t*·v equals the dimension of the normal
    cone N_p = {c ≥ 0 : ⟨c, a_i − p⟩ ≥ 0 ∀i}. LP 2 maximises Σ s_i + Σ u_j with
    s_i ≤ ⟨c, a_i − p⟩, u_j ≤ c_j, 0 ≤ s, u ≤ 1: since N_p is a convex cone, every
    inequality that is not tight on all of N_p reaches 1 at the optimum, and the tight
    ones (the implicit equalities) are 0. Those name F: F = conv{a_i : s_i = 0} +
    cone{e_j : u_j = 0}, so codim F = d − rank{a_i − p, e_j over the tight ones}.
    """
    d = len(v)
    a = [[Fraction(x) for x in p] for p in points]
    # LP 1: variables (c_1..c_d, s); maximise s.
    rows = [[-x for x in ai] + [Fraction(1)] for ai in a]
    rows.append([Fraction(x) for x in v] + [Fraction(0)])
    rhs = [Fraction(0)] * len(a) + [Fraction(1)]
    t_star, _ = _simplex_max([Fraction(0)] * d + [Fraction(1)], rows, rhs)
    p = [t_star * x for x in v]
    # LP 2: variables (c_1..c_d, s_1..s_N, u_1..u_d); maximise Σ s + Σ u.
    n_pts = len(a)
    nv = d + n_pts + d
    rows, b = [], []
    for i, ai in enumerate(a):
        row = [Fraction(0)] * nv
        for j in range(d):
            row[j] = p[j] - ai[j]
        row[d + i] = Fraction(1)
        rows.append(row)
        b.append(Fraction(0))
    for j in range(d):
        row = [Fraction(0)] * nv
        row[j] = Fraction(-1)
        row[d + n_pts + j] = Fraction(1)
        rows.append(row)
        b.append(Fraction(0))
    for k in range(d, nv):
        row = [Fraction(0)] * nv
        row[k] = Fraction(1)
        rows.append(row)
        b.append(Fraction(1))
    _, x = _simplex_max([Fraction(0)] * d + [Fraction(1)] * (n_pts + d), rows, b)
    s, u = x[d:d + n_pts], x[d + n_pts:]
    if not all(val in (0, 1) for val in s + u):  # pragma: no cover - excluded by the cone argument
        raise ArithmeticError("internal error: LP 2 optimum is not 0/1")
    span = [[ai[j] - p[j] for j in range(d)] for ai, si in zip(a, s, strict=True) if si == 0]
    span += [[Fraction(int(i == j)) for i in range(d)] for j in range(d) if u[j] == 0]
    codim = d - _rank(span)
    return t_star, codim


# --------------------------------------------------------------------------- Newton polyhedron


MAX_NEWTON_VERTICES = 100
"""The most exponent vectors :func:`newton_polyhedron` takes once dominated ones are dropped
(an outside audit: 501 vectors of 4.8 kB of command-line text ran for 2 minutes)."""


@rederivable
def newton_polyhedron(exponents, prior_powers=None) -> LearningCoefficient:
    r"""λ and m of a K that is non-degenerate with respect to its Newton polyhedron.

    K(w) = Σ_α c_α w^α (c_α ≠ 0) near 0 is given by its exponent vectors α ∈ ℕ^d, and
    the prior is ∝ Π_j |w_j|^{h_j}. With :math:`\Gamma_+ = \mathrm{conv}\{\alpha\} +
    \mathbb{R}^d_{\ge 0}` and :math:`v = h + (1,\dots,1)`,

    .. math::
        t^* = \min\{t : t\,v \in \Gamma_+\}, \qquad \lambda = 1/t^*, \qquad
        m = \operatorname{codim} \tau,

    where τ is the smallest face of Γ₊ containing :math:`t^* v`. Computed exactly for
    any d ≥ 1 (two exact linear programs; see ``_newton_distance``).

    Accepted input: any number d ≥ 1 of variables and any non-negative integer
    exponents (a variable that occurs in no monomial is fine: Γ₊ is then a product with [0, ∞)
    and the variable behaves like a k_j = 0 variable of :func:`normal_crossing`).
    The value is that of the zeta function :math:`\int |K|^z |w^h| dw`; a K ≥ 0 on a
    neighbourhood of 0 has even coordinates at every vertex of Γ₊ (not checked).
    An all-zero exponent (a constant term, K(0) ≠ 0) is rejected: K must vanish at 0.

    Non-degeneracy depends on the coefficients, which are not given, so it is recorded in
    ``assumptions``, not checked: for every compact face γ of Γ₊ the face polynomial K_γ has
    no zero in the torus (ℝ∖0)^d. For a K ≥ 0 near 0 (a Kullback–Leibler divergence, as in
    SLT) that is the same as "no singular zero"; for a K that changes sign the weaker
    condition is not enough: x² − y² has K_γ = K with smooth zeros in the torus, and
    ∫|K|^z has a double pole at −1 (λ = 1, m = 2), not the m = 1 the polyhedron gives.

    Sources: Varchenko 1976 (Funct. Anal. Appl. 10:175–196, Newton polyhedra and estimation
    of oscillating integrals); Watanabe 2009 (Newton diagrams); Lin 2011 PhD thesis
    (UC Berkeley), *Algebraic methods for evaluating integrals in Bayesian statistics*,
    (non-degenerate functions; multiplicity = codimension of the face; chapter and theorem
    number not re-read: check the non-degeneracy hypothesis and the multiplicity clause there
    before citing this function's m, which the tests check independently for two variables
    only).

    >>> newton_polyhedron([(2, 0), (0, 4)]).value          # x^2 + y^4
    3/4
    >>> lc = newton_polyhedron([(6, 0), (2, 2), (0, 6)])   # diagonal hits the vertex (2, 2)
    >>> lc.value, lc.multiplicity
    (1/2, 2)
    >>> lc = newton_polyhedron([(4, 0), (2, 2), (0, 4)])   # ... the middle of an edge
    >>> lc.value, lc.multiplicity
    (1/2, 1)
    """
    exponents = _from_array("exponents", exponents, 2)
    if isinstance(exponents, str | bytes) or not isinstance(exponents, Sequence):
        raise TypeError(
            "exponents must be a sequence of exponent vectors (tuples of non-negative "
            f"integers), got {type(exponents).__name__}"
        )
    if len(exponents) == 0:
        raise ValueError("exponents must contain at least one exponent vector")
    first = exponents[0]
    if isinstance(first, str | bytes) or not isinstance(first, Sequence):
        raise TypeError(
            f"exponents[0] must be a tuple of non-negative integers, got {type(first).__name__}"
        )
    d = len(first)
    if d == 0:
        raise ValueError("exponents[0] must have at least one entry (d >= 1 variables)")
    points = [_int_vector(f"exponents[{i}]", e, length=d) for i, e in enumerate(exponents)]
    for i, pt in enumerate(points):
        if not any(pt):
            raise ValueError(
                f"exponents[{i}] is all zero: K has a constant term, so K(0) ≠ 0 and K does "
                "not vanish at 0 (every monomial must have total degree >= 1)"
            )
    h = _prior(prior_powers, d)
    v = tuple(x + 1 for x in h)
    # a monomial dominated by another (α ≥ β coordinatewise) lies in β + ℝ^d_≥0 and
    # changes neither Γ₊ nor the face spans; dropping it only shrinks the LPs.
    # A vector that dominates another comes after it in lexicographic order, so in that order
    # each vector need only be compared with the minimal ones kept so far (a dominating vector
    # that is itself dominated has a minimal one below it). Stopping once the cap is passed
    # keeps the refusal prompt: the all-pairs filter took 22 s on 3001 vectors before refusing.
    minimal: list[tuple[int, ...]] = []
    for a in sorted(set(points)):
        if any(all(x >= y for x, y in zip(a, b, strict=True)) for b in minimal):
            continue
        minimal.append(a)
        if len(minimal) > MAX_NEWTON_VERTICES:
            break
    if len(minimal) > MAX_NEWTON_VERTICES:
        raise ValueError(
            f"exponents: more than MAX_NEWTON_VERTICES = {MAX_NEWTON_VERTICES} exponent vectors "
            "that no other dominates (the exact linear programs' time grows fast: 100 take "
            "about 1.5 s, 150 about 4 s, 500 over two minutes)")
    t_star, codim = _newton_distance(minimal, v)
    if codim == d:
        where = "is a vertex"
    elif codim == 1:
        where = "lies in the interior of a facet"
    else:
        where = f"lies in the relative interior of a face of codimension {codim}"
    return LearningCoefficient(
        value=1 / sp.Rational(t_star.numerator, t_star.denominator),
        multiplicity=sp.Integer(codim),
        dimension=sp.Integer(d),
        case=f"Newton polyhedron: t*(h+1) {where}",
        assumptions=(
            "K is non-degenerate with respect to its Newton polyhedron: for every compact face "
            "γ the face polynomial K_γ has no zero in the torus (R \\ 0)^d (for K >= 0 near 0 "
            "the same as no singular zero; depends on the coefficients; not checked)",
            "prior density = prod_j |w_j|^(h_j) times a function positive at 0",
            "λ, m are those of the zeta function ∫|K|^z |w^h| dw near w = 0",
        ),
        source="Varchenko 1976 (Funct. Anal. Appl. 10:175-196, Newton polyhedra and estimation "
        f"of oscillating integrals); {_WATANABE}, Newton diagrams; Lin 2011 PhD thesis "
        "(UC Berkeley), non-degenerate functions (chapter and theorem number not re-read)",
        **standing_of("newton_polyhedron").fields(),
    )
