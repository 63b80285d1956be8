"""Regular models, rank-r matrices, reduced-rank regression and deep linear networks.

Sizes follow one convention throughout: ``m`` is the input dimension, ``n`` the output
dimension, ``h`` the hidden width (for deep linear networks, ``widths[0]`` is the input
and ``widths[-1]`` the output), and ``r`` the rank of the true product matrix.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from fractions import Fraction

import sympy as sp

from slttheory.formulas.core import (
    LearningCoefficient,
    LearningCoefficientBounds,
    check_size,
    is_symbolic,
    rederivable,
)
from slttheory.formulas.standing import standing_of

__all__ = [
    "regular",
    "low_rank_manifold",
    "reduced_rank_regression",
    "deep_linear_network",
    "dln_codimension_bound",
]

_AW2005 = (
    "Aoyagi & Watanabe 2005, 'Stochastic complexities of reduced rank regression in Bayesian"
    " estimation', Neural Networks 18(7):924-933, doi:10.1016/j.neunet.2005.03.014 (main theorem,"
    " cases 1-4; restated as Thm 1 of Aoyagi 2024, Neural Networks 172:106132)"
)
_LR2024 = (
    "Pepin Lehalleur & Rimányi 2024, 'Geometry of fibers of the multiplication map of deep"
    " linear neural networks', arXiv:2411.19920, §8: Prop. 8.4(i) (λ ≤ codim K⁻¹(0)/2 for any"
    " analytic model) and the closed form of codim mult⁻¹(B) (their main codimension theorem)"
)
_A2024 = (
    "Aoyagi 2024, 'Consideration on the learning efficiency of multiple-layered neural networks"
    " with linear units', Neural Networks 172:106132, doi:10.1016/j.neunet.2024.106132, Thm 2"
    " (SSRN 4404877); set Σ and multiplicity a(ℓ-a)+1 as in the code of Lau et al."
    " (arXiv:2308.12108), validating_lambdahat/dln.py"
)


def _known_min(*sizes) -> int | None:
    """The smallest of the sizes that are integers (``None`` if all are symbolic)."""
    known = [int(s) for s in sizes if not is_symbolic(s)]
    return min(known) if known else None


@rederivable
def regular(d) -> LearningCoefficient:
    r"""Regular model with d parameters: :math:`\lambda = d/2`, m = 1.

    Source: Watanabe (2009), *Algebraic Geometry and Statistical Learning Theory*,
    the regular case (standard result); holds when the Fisher information is positive definite
    at the true parameter and the prior is positive there.

    >>> regular(4).value
    2
    >>> regular(3).value
    3/2
    >>> regular(sp.Symbol("d", positive=True, integer=True)).value
    d/2
    """
    d = check_size("d", d, minimum=1)
    return LearningCoefficient(
        value=d / sp.Integer(2),
        multiplicity=sp.Integer(1),
        dimension=d,
        case="regular",
        assumptions=(
            "Fisher information matrix positive definite at the true parameter",
            "prior density positive and continuous at the true parameter",
        ),
        source=(
            "Watanabe 2009, Algebraic Geometry and Statistical Learning Theory (CUP,"
            " doi:10.1017/CBO9780511800474)"
            " (regular models: λ = d/2)"
        ),
        **standing_of("regular").fields(),
    )


@rederivable
def low_rank_manifold(m, n, r) -> LearningCoefficient:
    r"""Half the dimension of the manifold of rank-r m×n matrices: :math:`\lambda = r(m+n-r)/2`.

    The m×n matrices of rank exactly r form a smooth manifold of dimension r(m+n−r). A model
    whose parameter-to-function map is a submersion onto it near the true parameter (e.g.
    reduced-rank regression with h = r: (A, B) ↦ BA, fibres GL_r-orbits of dimension r²) is
    regular after reparametrisation, so λ = r(m+n−r)/2 and m = 1 (Watanabe 2009, regular
    case; the same argument as Cullen et al. 2026, arXiv:2603.01192, Thm F.1). It is also
    Aoyagi & Watanabe's RRR value at h = r in every case. ``dimension`` is that of the
    ambient matrix space, m·n; 0 ≤ r ≤ min(m, n). See ``docs/closed-forms.md``.

    >>> low_rank_manifold(100, 100, 3).value
    591/2
    >>> low_rank_manifold(4, 6, 2).value == reduced_rank_regression(4, 6, 2, r=2).value
    True
    """
    m = check_size("m", m)
    n = check_size("n", n)
    r = check_size("r", r, minimum=0, maximum=_known_min(m, n), maximum_reason="min(m, n)")
    return LearningCoefficient(
        value=r * (m + n - r) / sp.Integer(2),
        multiplicity=sp.Integer(1),
        dimension=m * n,
        case="rank-r manifold",
        assumptions=(
            "parametrisation is a submersion onto the rank-r matrices near the true point",
        ),
        source=(
            "Watanabe 2009, Algebraic Geometry and Statistical Learning Theory (CUP,"
            " doi:10.1017/CBO9780511800474; regular case, after reparametrising by the"
            " rank-r manifold of dimension r(m+n-r));"
            " the argument of Cullen et al. 2026, arXiv:2603.01192, Thm F.1"
        ),
        **standing_of("low_rank_manifold").fields(),
    )


def _rrr_pieces(m, n, h, r):
    """Aoyagi–Watanabe's five expressions (case 1 split by parity), in (M, N, H) = (m, n, h)."""
    hr = h + r
    case1_even = (2 * hr * (m + n) - (m - n) ** 2 - hr**2) / sp.Integer(8)
    return {
        "1 even": case1_even,
        "1 odd": case1_even + sp.Rational(1, 8),
        "2": (h * m - h * r + n * r) / sp.Integer(2),
        "3": (h * n - h * r + m * r) / sp.Integer(2),
        "4": m * n / sp.Integer(2),
    }


_RRR_LABELS = {
    "1 even": "case 1 (m+n+h+r even): n+r ≤ m+h, m+r ≤ n+h, h+r ≤ m+n",
    "1 odd": "case 1 (m+n+h+r odd): n+r ≤ m+h, m+r ≤ n+h, h+r ≤ m+n",
    "2": "case 2: m+h < n+r",
    "3": "case 3: n+h < m+r",
    "4": "case 4: m+n < h+r",
}


@rederivable
def reduced_rank_regression(m, n, h, r=0) -> LearningCoefficient:
    r"""Reduced-rank regression y = B A x + noise: Aoyagi & Watanabe (2005), cases 1–4.

    x ∈ ℝ^m is the input, A is h×m, B is n×h, y ∈ ℝ^n, and the true product B₀A₀ has
    rank r, 0 ≤ r ≤ min(m, n, h). In the paper's letters M = m (input), N = n (output),
    H = h (hidden). With the three inequalities n+r ≤ m+h, m+r ≤ n+h, h+r ≤ m+n:

    - case 1 (all three hold), m+n+h+r even:
      :math:`\lambda = [2(h+r)(m+n) - (m-n)^2 - (h+r)^2]/8`, multiplicity 1;
    - case 1, m+n+h+r odd: the same plus 1/8, multiplicity 2;
    - case 2, m+h < n+r: :math:`\lambda = (hm - hr + nr)/2`, multiplicity 1;
    - case 3, n+h < m+r: :math:`\lambda = (hn - hr + mr)/2`, multiplicity 1;
    - case 4, m+n < h+r: :math:`\lambda = mn/2`, multiplicity 1.

    Cases 2–4 are mutually exclusive, and each meets case 1's formula continuously on its
    boundary, so the strict/non-strict choice at the boundaries does not matter.
    ``dimension`` is h(m+n). With sympy Symbols among the sizes, ``value`` and
    ``multiplicity`` are ``Piecewise`` over the cases (the parity through
    ``Mod(m+n+h+r, 2)``); substituting integers gives the integer result.

    Source: M. Aoyagi & S. Watanabe (2005), Neural Networks 18(7):924–933; read via the
    sBIC implementation (Drton & Plummer 2017) and Aoyagi (2024), Thm 1.

    devinterp's ``rrr_test.py`` orders its sizes (m, h, n) = (input, hidden, output), r = 0:

    >>> reduced_rank_regression(5, 5, 3).value       # devinterp (5, 3, 5): case 1, odd
    13/2
    >>> reduced_rank_regression(5, 5, 3).multiplicity
    2
    >>> reduced_rank_regression(5, 5, 4).value       # devinterp (5, 4, 5): case 1, even
    8
    >>> reduced_rank_regression(4, 8, 3).case        # devinterp (4, 3, 8) -> 6
    'case 2: m+h < n+r'
    >>> [reduced_rank_regression(*s).value for s in [(4, 8, 3), (8, 4, 3), (3, 4, 8)]]
    [6, 6, 6]
    >>> m, n, h = sp.symbols("m n h", positive=True, integer=True)
    >>> lc = reduced_rank_regression(m, n, h)
    >>> lc.value.subs({m: 5, n: 5, h: 3}), lc.multiplicity.subs({m: 5, n: 5, h: 3})
    (13/2, 2)
    """
    m = check_size("m", m)
    n = check_size("n", n)
    h = check_size("h", h)
    r = check_size("r", r, minimum=0, maximum=_known_min(m, n, h), maximum_reason="min(m, n, h)")
    pieces = _rrr_pieces(m, n, h, r)
    cond2, cond3, cond4 = m + h < n + r, n + h < m + r, m + n < h + r
    common = dict(
        dimension=h * (m + n),
        assumptions=(
            "y = B A x + Gaussian noise, x ∈ R^m, A ∈ R^{h×m}, B ∈ R^{n×h}",
            "the true product B0 A0 has rank r, 0 ≤ r ≤ min(m, n, h)",
            "prior positive (and continuous) at the true parameters",
            "input distribution with positive definite second-moment matrix E[x xᵀ]",
        ),
        source=_AW2005,
        **standing_of("reduced_rank_regression").fields(),
    )
    if is_symbolic(m, n, h, r):
        even = sp.Eq(sp.Mod(m + n + h + r, 2), 0)
        value = sp.Piecewise(
            (pieces["2"], cond2),
            (pieces["3"], cond3),
            (pieces["4"], cond4),
            (pieces["1 even"], even),
            (pieces["1 odd"], True),
        )
        mult = sp.Piecewise(
            (sp.Integer(1), sp.Or(cond2, cond3, cond4)),
            (sp.Integer(1), even),
            (sp.Integer(2), True),
        )
        return LearningCoefficient(
            value=value,
            multiplicity=mult,
            case="Piecewise over cases 1-4 (symbolic sizes)",
            **common,
        )
    if cond2:
        key = "2"
    elif cond3:
        key = "3"
    elif cond4:
        key = "4"
    else:
        key = "1 even" if (m + n + h + r) % 2 == 0 else "1 odd"
    return LearningCoefficient(
        value=pieces[key],
        multiplicity=sp.Integer(2 if key == "1 odd" else 1),
        case=_RRR_LABELS[key],
        **common,
    )


def _check_widths(widths) -> list[int]:
    if not isinstance(widths, Sequence) and hasattr(widths, "tolist"):
        widths = widths.tolist()  # numpy / torch 1-d arrays of integers
    if isinstance(widths, str | bytes) or not isinstance(widths, Sequence):
        raise TypeError(
            "widths must be a sequence of positive integers (input, hidden..., output),"
            f" got {widths!r} of type {type(widths).__name__}"
        )
    if len(widths) < 2:
        raise ValueError(
            "widths must have at least 2 entries (input and output widths),"
            f" got {len(widths)}: {list(widths)!r}"
        )
    out = []
    for i, w in enumerate(widths):
        if is_symbolic(w):
            raise TypeError(
                f"widths[{i}] = {w} is symbolic: the set Σ in Aoyagi's theorem is chosen by"
                " comparing the widths, so deep_linear_network needs integer widths"
                " (for one hidden layer with symbolic sizes use reduced_rank_regression)"
            )
        out.append(int(check_size(f"widths[{i}]", w)))
    return out


def _dln_sigma(reduced: list[int]) -> tuple[int, ...]:
    """Σ of Aoyagi (2024) Thm 2: the first prefix of the ascending sort that qualifies.

    Conditions on Σ (ℓ = |Σ| − 1): (i) max Σ < min of the rest, (ii) ΣM ≥ ℓ·max Σ,
    (iii) ΣM < ℓ·min of the rest ((i), (iii) vacuous when Σ is everything).
    """
    ms = sorted(reduced)
    s = ms[0]  # running prefix sum: summing each prefix anew was quadratic in the length
    for k in range(2, len(ms) + 1):
        s += ms[k - 1]
        ell, top = k - 1, ms[k - 1]
        if s < ell * top:
            continue
        if k < len(ms) and not (top < ms[k] and s < ell * ms[k]):
            continue
        return tuple(ms[:k])
    raise AssertionError(f"no admissible Σ for reduced widths {reduced}")  # pragma: no cover


@rederivable
def deep_linear_network(widths, r=0) -> LearningCoefficient:
    r"""Deep linear network x ↦ W_L ⋯ W_1 x: Aoyagi (2024), Neural Networks 172:106132, Thm 2.

    ``widths`` = (H₁, …, H_{L+1}) with H₁ the input and H_{L+1} the output width
    (W_s is H_{s+1}×H_s); the true product has rank r, 0 ≤ r ≤ min(widths).
    Reduce the widths, M_s = H_s − r, and let Σ be the ℓ+1 smallest of them, the
    first prefix of the ascending sort with (i) max Σ < min of the others,
    (ii) S = Σ_{σ∈Σ} M_σ ≥ ℓ·max Σ, (iii) S < ℓ·min of the others. With
    a = S − (⌈S/ℓ⌉ − 1)ℓ ∈ [1, ℓ],

    .. math::
        \lambda = \frac{r(H_1 + H_{L+1}) - r^2}{2} + \frac{a(\ell-a)}{4\ell}
                  - \frac{\ell(\ell-1)}{4}\Big(\frac{S}{\ell}\Big)^2
                  + \frac12 \sum_{i<j \in \Sigma} M_i M_j,
        \qquad \text{multiplicity } a(\ell-a) + 1.

    Σ and the multiplicity are as in the Lau et al. authors' code (``dln.py``,
    ``true_dln_learning_coefficient``); the printed Definition 3 has typos in its
    inequalities, and Pepin Lehalleur & Rimányi's printed multiplicity a(ℓ−a) lacks the +1.
    Two widths give the regular value H₁H₂/2; three widths give reduced-rank regression
    (Aoyagi–Watanabe 2005) with its multiplicity. ``dimension`` is Σ H_s H_{s+1}.
    Widths must be integers: Σ is chosen by comparing them.

    Worked examples of Pepin Lehalleur & Rimányi (2·λ = codimension of the fibre):

    >>> lc = deep_linear_network([2, 2, 3])
    >>> lc.value, lc.multiplicity
    (2, 2)
    >>> deep_linear_network([8, 8, 11, 11, 11, 13, 13, 13, 15]).value
    55/2
    >>> deep_linear_network([7, 7, 8, 9, 12, 13]).value
    39/2
    >>> deep_linear_network([5, 3, 5]).value == reduced_rank_regression(5, 5, 3).value
    True
    """
    ws = _check_widths(widths)
    if is_symbolic(r):
        raise TypeError(
            f"r = {r} is symbolic: the set Σ in Aoyagi's theorem depends on the reduced widths"
            " H_s - r, so deep_linear_network needs an integer r"
        )
    r = int(check_size("r", r, minimum=0, maximum=min(ws), maximum_reason="min(widths)"))
    sigma = _dln_sigma([w - r for w in ws])
    ell, s = len(sigma) - 1, sum(sigma)
    a = s - (-(-s // ell) - 1) * ell  # ⌈S/ℓ⌉ with integer arithmetic
    pairs = (s * s - sum(x * x for x in sigma)) // 2  # Σ_{i<j} M_i M_j
    lam = (
        Fraction(r * (ws[0] + ws[-1]) - r * r, 2)
        + Fraction(a * (ell - a), 4 * ell)
        - Fraction(ell * (ell - 1) * s * s, 4 * ell * ell)
        + Fraction(pairs, 2)
    )
    if r == min(ws):
        label = f"full rank r = min(widths) = {r}: core term 0"
    else:
        label = f"Thm 2 with ℓ = {ell}, a = {a}, Σ = reduced widths {sigma}"
    return LearningCoefficient(
        value=sp.Rational(lam.numerator, lam.denominator),
        multiplicity=sp.Integer(a * (ell - a) + 1),
        dimension=sp.Integer(sum(x * y for x, y in zip(ws, ws[1:], strict=False))),
        case=label,
        assumptions=(
            "y = W_L ... W_1 x + Gaussian noise, widths[0] input, widths[-1] output",
            "the true product W_L ... W_1 has rank r, 0 ≤ r ≤ min(widths)",
            "prior positive (and continuous) at the true parameters",
            "input distribution with positive definite second-moment matrix E[x xᵀ]",
        ) + ((f"multiplicity a(ℓ − a) + 1 = {a * (ell - a) + 1} as Aoyagi 2024 and Lau et al.'s "
              "code state it: with 1 < a < ℓ not checked independently in this repository "
              "(λ is)",) if 1 < a < ell and r != min(ws) else ()),
        source=_A2024,
        **standing_of("deep_linear_network").fields(),
    )


def dln_codimension_bound(widths, r=0) -> LearningCoefficientBounds:
    r"""λ ≤ codim mult⁻¹(B)/2 for a deep linear network (Pepin Lehalleur & Rimányi 2024).

    For any analytic model λ ≤ codim K⁻¹(0)/2 (their Prop. 8.4(i): K vanishes to second
    order at least across the zero set), and for x ↦ W_L ⋯ W_1 x the zero set is the fibre
    of the multiplication map over the true product B of rank r. Its codimension, with d'
    the ascending reduced widths H_s − r, m = max{l : Σ_{i≤l} d'_i ≥ l·d'_l} and
    x = Σ_{i≤m} d'_i / m:

    .. math::
        \operatorname{codim} = \frac m2\{x\}(1 - \{x\}) - \frac{m(m-1)}2 x^2
            + \sum_{0\le i<j\le m} d'_i d'_j + r(H_1 + H_{L+1} - r).

    The bound does not use Aoyagi's theorem (that DLNs attain it, their Thm 8.6, compares
    with it), so it is exact evidence independent of :func:`deep_linear_network`; ``lower``
    is 0. Worked examples of the source:

    >>> dln_codimension_bound([2, 2, 3]).upper
    2
    >>> dln_codimension_bound([7, 7, 8, 9, 12, 13]).upper, dln_codimension_bound([3, 4, 3], 1).upper
    (39/2, 9/2)
    """
    ws = _check_widths(widths)
    if is_symbolic(r):
        raise TypeError(f"r = {r} is symbolic: dln_codimension_bound needs an integer r")
    r = int(check_size("r", r, minimum=0, maximum=min(ws), maximum_reason="min(widths)"))
    d = sorted(w - r for w in ws)
    # prefix sums, and Σ_{i<j} d_i d_j = (S² − Σ d_i²)/2: the sums and the double loop over
    # pairs were quadratic in the number of widths (10⁴ widths took 8 s)
    prefix = list(itertools.accumulate(d))
    m = max(lv for lv in range(1, len(d)) if prefix[lv] >= lv * d[lv])
    x = Fraction(prefix[m], m)
    frac = x - (x.numerator // x.denominator)
    pairs = (prefix[m] ** 2 - sum(v * v for v in d[: m + 1])) // 2
    codim = (Fraction(m, 2) * frac * (1 - frac) - Fraction(m * (m - 1), 2) * x * x + pairs
             + r * (ws[0] + ws[-1] - r))
    if codim.denominator != 1:  # pragma: no cover - the codimension is an integer
        raise AssertionError(f"non-integer codimension {codim} for widths {ws}, r = {r}")
    return LearningCoefficientBounds(
        lower=sp.Integer(0),
        upper=sp.Rational(int(codim), 2),
        dimension=sp.Integer(sum(a * b for a, b in zip(ws, ws[1:], strict=False))),
        case=f"codim mult⁻¹(B) = {int(codim)} (reduced widths {tuple(d)}, m = {m})",
        assumptions=(
            "y = W_L ... W_1 x + Gaussian noise, widths[0] input, widths[-1] output",
            "the true product has rank r; E[x xᵀ] positive definite",
        ),
        source=_LR2024,
        **standing_of("dln_codimension_bound").fields(),
    )
