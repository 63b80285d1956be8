r"""Seed 001 (Cullen et al. 2026): quadratic networks, NTK and lazy regimes.

The closed forms of Cullen, Estan-Ruiz, Danait, Li, "Grokking as a Phase Transition
between Competing Basins: a Singular Learning Theory Approach", arXiv:2603.01192v2
(retitled in v3, "A Basin-Selection Perspective on Grokking via Singular Learning Theory"; the
theorem numbers here are v1–v2's), implemented **exactly as the paper states them**, with
each theorem's hypotheses in ``assumptions``. Whether a statement holds is the verifier's
question, not this module's; where a statement disagrees with another one of the paper, or with the
generic Jacobian rank of the model, the docstring says so (the tests pin the numbers).
Every formula here has standing ``"as_stated"`` (the paper is under test), so agreeing
with it is never evidence for the paper's claims; ``docs/quadratic-networks.md`` restores
the statements and records what the tests found.

Model (§3, eq. 1): :math:`f_\theta(x) = V\sigma(W^\top x)`, :math:`\sigma(z) = z^2`,
x ∈ ℝ^d, W ∈ ℝ^{d×K}, V ∈ ℝ^{p×K}; per output :math:`f_j(x) = x^\top Q_j x` with
:math:`Q_j = \sum_k V_{jk} w_k w_k^\top`. Loss: centred squared error ("MSE").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction

import sympy as sp

from slttheory.formulas.core import (
    LearningCoefficient,
    LearningCoefficientBounds,
    check_bool,
    check_size,
    is_symbolic,
    rederivable,
)
from slttheory.formulas.standing import standing_of

__all__ = [
    "quadratic_network",
    "modular_addition",
    "quadratic_stage_two",
    "modular_addition_stage_two",
    "ntk",
    "lazy_regime",
    "lazy_regime_bounds",
]

_PAPER = "Cullen, Estan-Ruiz, Danait, Li 2026, arXiv:2603.01192"
_WATANABE = (
    "standard SLT assumptions of Watanabe (2009, Thm 7.1): i.i.d. data, analyticity near "
    "the true parameter, proper prior positive and continuous there"
)
_MSE = "trained with MSE (the centred squared loss of §3)"
_THEOREMS = ("single_output", "multi_output")
_HALF = sp.Rational(1, 2)


@dataclass(frozen=True)
class _Branch:
    cond: object
    value: sp.Expr
    case: str
    assumptions: tuple[str, ...]
    source: str


def _select(
    branches: list[_Branch], *, multiplicity, dimension, name: str
) -> LearningCoefficient:
    """The branch whose condition holds, or a ``Piecewise`` over the undecided ones.

    The last branch must have condition ``True``; ``name`` is the formula (its standing).
    """
    live: list[tuple[sp.Basic, _Branch]] = []
    for b in branches:
        c = sp.sympify(b.cond)
        if c is sp.false:
            continue
        live.append((c, b))
        if c is sp.true:
            break
    if live[0][0] is sp.true:
        b = live[0][1]
        return LearningCoefficient(
            value=b.value,
            multiplicity=multiplicity,
            dimension=dimension,
            case=b.case,
            assumptions=b.assumptions,
            source=b.source,
            **standing_of(name).fields(),
        )
    sources: list[str] = []
    for _, b in live:
        if b.source not in sources:
            sources.append(b.source)
    return LearningCoefficient(
        value=sp.Piecewise(*[(b.value, c) for c, b in live]),
        multiplicity=multiplicity,
        dimension=dimension,
        case="symbolic: " + " | ".join(b.case for _, b in live),
        assumptions=tuple(f"[{b.case}] {a}" for _, b in live for a in b.assumptions),
        source="; ".join(sources),
        **standing_of(name).fields(),
    )


def _assumptions_4_1(d) -> tuple[str, ...]:
    return (
        "no bias terms",
        f"hidden width K >= d(d+1)/2 = {d * (d + 1) / 2}",
        "true solution theta* = (W*, V*) with an index set I, |I| = d(d+1)/2, such that "
        "{w_i* w_i*^T : i in I} spans the symmetric d x d matrices",
        _MSE,
        _WATANABE,
    )


def _assumptions_4_2(d) -> tuple[str, ...]:
    return (
        "no bias terms",
        f"hidden width K < d(d+1)/2 = {d * (d + 1) / 2}",
        "(1) w_k* != 0 and the output column v_k* != 0 for every k",
        "(2) the rank-one matrices {w_k* w_k*^T} are linearly independent in Sym(d)",
        "(3) no cancellation across outputs: if sum_k V*_jk (u_k w_k*^T + w_k* u_k^T) = 0 "
        "for all j with u_k orthogonal to w_k*, then u_k = 0 for all k",
        _MSE,
        _WATANABE,
    )


def _single_output_assumptions(bias: bool, over: bool) -> tuple[str, ...]:
    model = (
        "single output (p = 1) with biases: f(x) = sum_k v_k (w_k^T x + b_k)^2 + c"
        if bias
        else "single output (p = 1), no biases: f(x) = sum_k v_k (w_k^T x)^2"
    )
    if over:
        point = (
            "hidden width K >= d; true point with an index set I, |I| = d, v_i* != 0 and "
            "{w_i* : i in I} spanning R^d (Q* = sum_k v_k* w_k* w_k*^T of full rank d)"
        )
    else:
        point = (
            "hidden width K < d; true point with w_1*, ..., w_K* linearly independent and "
            "v_k* != 0 (rank Q* = K)"
        )
    # App. G.1 says only "a MSE loss", and its proof identifies the output constant c among
    # (Q, q, c): only a loss that sees constants can, so with biases that is the plain squared
    # loss, not §3's centred one (under which these values are one half too high)
    loss = ("trained with MSE (App. G.1: plain squared loss, which sees the output constant c "
            "its proof identifies; the centred loss of §3 does not)" if bias else _MSE)
    out = [model, point, loss, _WATANABE]
    if not over:
        out.append(
            "curvature weight bounded away from 0 and infinity on supp q(x); Fisher form "
            "nonsingular on the tangent directions of the rank-K manifold (Thm G.2)"
        )
    if not bias:
        out.append(
            "bias-free values: the Q-block of the proofs of Thms G.1/G.2 (symmetric matrices "
            "of rank <= K), which the paper states for the model with biases"
        )
    return tuple(out)


def _single_output_branches(d, k, bias: bool, extra=True) -> list[_Branch]:
    if bias:
        over = (d + 1) * (d + 2) / sp.Integer(4)
        under = (d * k - k * (k - 1) / 2 + k + 1) * _HALF
        src_over = f"{_PAPER}, Thm G.1 (App. G.1, single output with biases, K >= d)"
        src_under = f"{_PAPER}, Thm G.2 (App. G.1, single output with biases, K < d)"
        tag = "with biases"
    else:
        over = d * (d + 1) / sp.Integer(4)
        under = (d * k - k * (k - 1) / 2) * _HALF
        src_over = f"{_PAPER}, App. G.1, Thm G.1 without biases (Q-block; K >= d)"
        src_under = f"{_PAPER}, App. G.1, Thm G.2 without biases (Q-block; K < d)"
        tag = "no bias"
    return [
        _Branch(
            sp.And(extra, sp.Ge(k, d)),
            over,
            f"single output, {tag}, K >= d",
            _single_output_assumptions(bias, True),
            src_over,
        ),
        _Branch(
            extra,
            under,
            f"single output, {tag}, K < d",
            _single_output_assumptions(bias, False),
            src_under,
        ),
    ]


def _multi_output_branches(d, k, p) -> list[_Branch]:
    threshold = d * (d + 1) / 2
    return [
        _Branch(
            sp.Ge(k, threshold),
            p * d * (d + 1) / sp.Integer(4),
            "Thm 4.1: no bias, K >= d(d+1)/2",
            _assumptions_4_1(d),
            f"{_PAPER}, Thm 4.1 (= Thm G.5)",
        ),
        _Branch(
            True,
            k * (d + p - 1) * _HALF,
            "Thm 4.2: no bias, K < d(d+1)/2",
            _assumptions_4_2(d),
            f"{_PAPER}, Thm 4.2 (= Thm G.6)",
        ),
    ]


@rederivable
def quadratic_network(d, k, p=1, bias=False, *, theorem: str | None = None) -> LearningCoefficient:
    r"""Quadratic network :math:`f(x) = V\sigma(W^\top x)`, σ = square, as seed 001 states it.

    x ∈ ℝ^d, hidden width k (the paper's K), p outputs. Parameters: k(d + p) without
    biases; with biases (p = 1 only) :math:`f = \sum_k v_k (w_k^\top x + b_k)^2 + c`,
    k(d + 2) + 1.

    ``theorem="multi_output"`` (Thm 4.1 = G.5, Thm 4.2 = G.6; no biases, any p ≥ 1):

    - k ≥ d(d+1)/2: :math:`\lambda = p\,d(d+1)/4` (Thm 4.1);
    - k < d(d+1)/2: :math:`\lambda = k(d+p-1)/2` (Thm 4.2).

    ``theorem="single_output"`` (App. G.1, p = 1):

    - no biases: k ≥ d: d(d+1)/4; k < d: [dk − k(k−1)/2]/2;
    - with biases: k ≥ d: (d+1)(d+2)/4 (Thm G.1); k < d: [dk − k(k−1)/2 + k + 1]/2 (Thm G.2).

    The paper's Thms G.1/G.2 are stated for the model with biases; the bias-free
    single-output values are the Q-block of their proofs (dimension of the symmetric
    d×d matrices of rank ≤ k), as restored in ``docs/quadratic-networks.md``.

    Default ``theorem=None``: the single-output results for p = 1 (they are the specific
    statements for that case) and Thms 4.1/4.2 for p ≥ 2. For a symbolic p the value is
    a ``Piecewise`` on ``Eq(p, 1)``, so substituting p = 1 gives the p = 1 default.

    **The two families disagree at p = 1** for 2 ≤ k < d(d+1)/2 (Thm 4.2 gives kd/2, the
    single-output result d(d+1)/4 or [dk − k(k−1)/2]/2); both are exposed, and the tests
    pin where each matches the generic Jacobian rank of θ ↦ (Q_1, …, Q_p). Thm 4.2 is also
    discontinuous at k = d(d+1)/2 for every d ≥ 2 (its value there would be
    d(d+1)(d+p−1)/4, not p·d(d+1)/4).

    Multiplicity m = 1 in every case: the paper's proofs (Thm F.1, Cor. F.2) show the map
    θ ↦ (Q_j) (with b, c) is a submersion onto a smooth manifold near the true point, so
    the reparametrised model is regular, whose zeta function has a simple largest pole. The
    paper states no m; this one is as stated in the same sense as λ, and fails with it where
    the stated λ exceeds half the generic rank of θ ↦ (Q_j) (Thm 4.2 with
    K(d + p − 1) > p·d(d+1)/2, or p = 1 with 2 ≤ k: no submersion of that dimension exists).

    Raises ``ValueError`` for ``bias=True`` with p ≠ 1 (the paper states no result) or
    with ``theorem="multi_output"``, and for ``theorem="single_output"`` with p ≠ 1.

    >>> quadratic_network(3, 6, 2).value      # Thm 4.1: 2*3*4/4
    6
    >>> quadratic_network(3, 5, 2).value      # Thm 4.2: 5*(3+2-1)/2
    10
    >>> quadratic_network(4, 2).value, quadratic_network(4, 2, theorem="multi_output").value
    (7/2, 4)
    >>> lc = quadratic_network(4, 4, bias=True)
    >>> lc.value, lc.dimension, lc.multiplicity
    (15/2, 25, 1)
    """
    d = check_size("d", d)
    k = check_size("k", k)
    p = check_size("p", p)
    bias = check_bool("bias", bias)
    if theorem is not None and theorem not in _THEOREMS:
        raise ValueError(
            f"theorem must be None, 'single_output' or 'multi_output', got {theorem!r}"
        )
    p_is_one = p == 1  # False for a symbolic p
    if bias:
        if theorem == "multi_output":
            raise ValueError(
                "bias=True: Thms 4.1/4.2 (theorem='multi_output') are stated without biases; "
                "use theorem='single_output' or None with p=1"
            )
        if not p_is_one:
            raise ValueError(
                f"bias=True is stated by the paper only for a single output (App. G.1): p must "
                f"be 1, got p={p}"
            )
    if theorem == "single_output" and not p_is_one:
        raise ValueError(f"theorem='single_output' (App. G.1) needs p = 1, got p={p}")

    dimension = k * (d + 2) + 1 if bias else k * (d + p)
    if bias or theorem == "single_output":
        branches = _single_output_branches(d, k, bias)
    elif theorem == "multi_output" or not (p_is_one or is_symbolic(p)):
        branches = _multi_output_branches(d, k, p)
    elif p_is_one:
        branches = _single_output_branches(d, k, False)
    else:  # symbolic p, default: single output where p = 1, Thms 4.1/4.2 otherwise
        branches = _single_output_branches(d, k, False, extra=sp.Eq(p, 1))
        branches += _multi_output_branches(d, k, p)
    return _select(
        branches, multiplicity=sp.Integer(1), dimension=dimension, name="quadratic_network"
    )


@rederivable
def modular_addition(p, k) -> LearningCoefficient:
    r"""Seed 001's quadratic network on modular addition: d = 2p inputs, p outputs.

    Inputs x = [e_a; e_b] (two one-hots), target e_{(a+b) mod p}. As the paper states it
    (Thms 4.1/4.2 with d = 2p): k ≥ p(2p+1): :math:`\lambda = p^2(2p+1)/2`;
    k < p(2p+1): :math:`\lambda = k(3p-1)/2`. Equal to ``quadratic_network(2p, k, p)``.

    Caveat recorded in ``assumptions`` (the value is unchanged): the one-hot pairs span
    only the (2p−1)-dimensional subspace {Σ_{i≤p} x_i = Σ_{i>p} x_i} of ℝ^{2p}, and on the
    p² pairs a quadratic form takes the values
    :math:`Q_{aa} + Q_{p+b,p+b} + 2Q_{a,p+b}`, so each output is an arbitrary function
    on the p × p grid (p² values, p² − 1 after centring) while Sym(2p) has p(2p+1)
    coordinates. The paper's genericity assumptions (spanning Sym(2p), non-degeneracy in
    Q) treat Q as identifiable, which the data do not allow; the tests record the generic
    Jacobian rank of θ ↦ centred outputs on all p² pairs (min(k(3p−2), p(p²−1)) for the
    small p checked), against which the stated value is too large.

    p ≥ 2 (mod 1 has a single class, removed by centring).

    >>> modular_addition(5, 10).value        # 10*(15-1)/2
    70
    >>> modular_addition(5, 55).value        # 25*11/2
    275/2
    """
    p = check_size("p", p, minimum=2)
    k = check_size("k", k)
    lc = quadratic_network(2 * p, k, p, theorem="multi_output")  # the p >= 2 default
    return replace(
        lc,
        case=f"modular addition (d = 2p): {lc.case}",
        assumptions=lc.assumptions
        + (
            "inputs x = [e_a; e_b] (d = 2p), one-hot targets e_{(a+b) mod p}, p outputs",
            "the genericity assumptions are applied with d = 2p although one-hot pairs span "
            "only a (2p-1)-dim subspace and determine each Q_j only through its p^2 values "
            "Q_aa + Q_{p+b,p+b} + 2 Q_{a,p+b} on the grid (p(2p+1) coordinates in Sym(2p))",
        ),
        **standing_of("modular_addition").fields(),
    )


@rederivable
def quadratic_stage_two(d, p, k_eff) -> LearningCoefficient:
    r"""Stage-II LLC via effective width (Thm 5.5, eq. 6): :math:`\lambda = K_{\rm eff}(d+p-1)/2`.

    Exactly K_eff hidden units are active in the sense of eq. (5) (output column
    v_k not ≈ 0). The paper asks the active subnetwork to satisfy "the non-degeneracy
    conditions of Thm G.5" (the over-parametrised theorem) while the value is
    Thm G.6's under-parametrised count; both are recorded. ``dimension`` counts the
    active subnetwork's K_eff(d+p) parameters only (the full width is not an argument).
    The paper gives no multiplicity (the inactive units, v_k = 0, are a singular locus
    the statement ignores): ``multiplicity=None``.

    >>> quadratic_stage_two(10, 5, 3).value
    21
    """
    d = check_size("d", d)
    p = check_size("p", p)
    k_eff = check_size("k_eff", k_eff)
    return LearningCoefficient(
        value=k_eff * (d + p - 1) * _HALF,
        multiplicity=None,
        dimension=k_eff * (d + p),
        case="Stage II, K_eff active units",
        assumptions=(
            "Stage-II feature solution with exactly K_eff units active in the sense of eq. (5) "
            "(output row v_k attached to unit k not approximately 0)",
            "the active subnetwork (restricted to those units) satisfies the non-degeneracy "
            "conditions of Thm G.5 (as the paper states; the value is Thm G.6's count)",
            "inactive units contribute nothing to lambda (implicit in the statement)",
            "dimension counts the active subnetwork's parameters only",
            _MSE,
            _WATANABE,
        ),
        source=f"{_PAPER}, Thm 5.5, eq. (6)",
        **standing_of("quadratic_stage_two").fields(),
    )


@rederivable
def modular_addition_stage_two(p, k_eff) -> LearningCoefficient:
    r"""Stage-II LLC for modular addition (Thm 5.5 with d = 2p): :math:`K_{\rm eff}(3p-1)/2`.

    >>> modular_addition_stage_two(5, 3).value
    21
    """
    p = check_size("p", p, minimum=2)
    k_eff = check_size("k_eff", k_eff)
    lc = quadratic_stage_two(2 * p, p, k_eff)
    return replace(
        lc,
        case=f"modular addition (d = 2p): {lc.case}",
        assumptions=lc.assumptions
        + ("inputs x = [e_a; e_b] (d = 2p), one-hot targets e_{(a+b) mod p}, p outputs",),
        source=f"{_PAPER}, Thm 5.5 (modular addition, d = 2p)",
        **standing_of("modular_addition_stage_two").fields(),
    )


@rederivable
def ntk(rank, *, n_params=None) -> LearningCoefficient:
    r"""LLC of an NTK (linearised) model (Thm 5.1): :math:`\lambda = \mathrm{rank}(F)/2`.

    F = E[∇f(x; θ₀) ∇f(x; θ₀)ᵀ] is the Fisher-type matrix of the linearisation
    f(x; θ₀) + ∇f(x; θ₀)ᵀ(θ − θ₀) at a true parameter; full rank (rank = n_params) is the
    regular case λ = n_params/2. m = 1: the proof (App. D) integrates a Gaussian in the
    range coordinates of F and a flat fibre in its kernel, so Z(n) ∝ n^{−rank/2} with no
    log n factor. ``dimension`` is ``n_params`` when given (rank ≤ n_params is checked),
    else the positive integer symbol ``n_params``.

    >>> ntk(4).value
    2
    >>> ntk(3, n_params=3).case
    'full rank: regular'
    """
    if n_params is None:
        dimension = sp.Symbol("n_params", integer=True, positive=True)
        rank = check_size("rank", rank, minimum=0)
        case = "rank(F) of the linearisation"
    else:
        dimension = check_size("n_params", n_params)
        rank = check_size("rank", rank, minimum=0, maximum=dimension, maximum_reason="n_params")
        full = sp.Eq(rank, dimension)
        case = (
            "full rank: regular"
            if full is sp.true
            else "rank < n_params: singular"
            if full is sp.false
            else "rank(F) of the linearisation"
        )
    return LearningCoefficient(
        value=rank * _HALF,
        multiplicity=sp.Integer(1),
        dimension=dimension,
        case=case,
        assumptions=(
            "model linearised at theta_0: f(x; theta_0) + grad f(x; theta_0)^T (theta - theta_0)",
            "true regression function realised by the linearised model",
            "(i) the weight function is C^2 and bounded away from 0 and infinity on supp q(x)",
            "(ii) proper prior density on the parameters, positive at the true parameter",
            "(iii) i.i.d. data from the true model",
            "rank = rank of the Fisher-type matrix F = E[grad f grad f^T] of the linearisation",
        ),
        source=f"{_PAPER}, Thm 5.1 (proof App. D)",
        **standing_of("ntk").fields(),
    )


@rederivable
def lazy_regime(p, feature_rank, *, k=None) -> LearningCoefficient:
    r"""Lazy (random-feature) memorisation regime, Thm 5.2: λ = p·rank(P⊥Φ)/2.

    :math:`\lambda = p\,\mathrm{rank}(P_\perp\Phi)/2`. W is frozen at a continuous random
    initialisation, V ∈ ℝ^{p×K} fitted by centred ridge to interpolation; Φ = σ(XW) is the
    n × K feature matrix, P⊥ the centring projection, and ``feature_rank`` = rank(P⊥Φ).
    The excess risk is a quadratic form of rank
    p·rank(P⊥Φ) in V, so m = 1 (same argument as Thm 5.1). ``dimension`` = p·k (the trained
    V) when the width ``k`` is given (feature_rank ≤ k is checked), else p·K with K a
    positive integer symbol.

    >>> lazy_regime(5, 8).value
    20
    """
    p = check_size("p", p)
    if k is None:
        width = sp.Symbol("K", integer=True, positive=True)
        feature_rank = check_size("feature_rank", feature_rank, minimum=0)
    else:
        width = check_size("k", k)
        feature_rank = check_size(
            "feature_rank", feature_rank, minimum=0, maximum=width, maximum_reason="width k"
        )
    return LearningCoefficient(
        value=p * feature_rank * _HALF,
        multiplicity=sp.Integer(1),
        dimension=p * width,
        case="lazy regime: W frozen, V at the centred-ridge memorisation solution",
        assumptions=(
            "two-layer model f = V sigma(W^T x); W frozen at initialisation, only V trained",
            "initial columns of W i.i.d. with a density absolutely continuous w.r.t. Lebesgue "
            "measure; sigma piecewise injective",
            "V is the centred ridge solution and interpolates the full finite dataset",
            "squared loss, x uniformly distributed over the finite dataset",
            "feature_rank = rank(P_perp Phi), Phi = sigma(XW) the n x K feature matrix",
        ),
        source=f"{_PAPER}, Thm 5.2 (proof App. E)",
        **standing_of("lazy_regime").fields(),
    )


def lazy_regime_bounds(p, k, degree=2, *, tight: bool = False) -> LearningCoefficientBounds:
    r"""Bounds on Thm 5.2's λ for modular addition, σ(z) = z^degree (Prop E.7 / Cor 5.3).

    Cor. 5.3's printed expression is lost in our copy of the paper; the bounds are
    derived here. Setting: all n = p² one-hot pairs x = [e_a; e_b] (the full dataset),
    W ∈ ℝ^{2p×K} with i.i.d. columns having a density, Φ = σ(XW) ∈ ℝ^{n×K}, and by
    Thm 5.2 :math:`\lambda = p\,\mathrm{rank}(P_\perp\Phi)/2`. Write m = degree and
    r_φ for the dimension of the span F of the possible columns.

    1. *Prop E.7 route (upper bound).* Every pair satisfies Σ_{i≤p} x_i = Σ_{i>p} x_i = 1,
       and the pairs span that (2p − 1)-dimensional subspace. Prop E.7 with r = 2p − 1 gives
       rank Φ ≤ C(r + m − 1, m) = C(2p + m − 2, m) (= p(2p − 1) for m = 2); also
       rank Φ ≤ K and rank P⊥Φ ≤ rank Φ. Hence λ ≤ p·min(K, C(2p + m − 2, m))/2.
    2. *Feature span.* Column k is φ(w)_{(a,b)} = (u_a + v_b)^m with w = [u; v].
       For m = 1, F is the additive functions u_a + v_b on the p × p grid: r_φ = 2p − 1.
       For m ≥ 2, replacing u by t·u and comparing powers of t (Vandermonde) puts every
       term u_a^j v_b^{m−j} in F; j = 1 with v = e_b gives all u e_bᵀ, so F = ℝ^{p×p} and
       r_φ = p² (smaller than the Prop E.7 bound C(2p + m − 2, m)).
    3. *Almost-sure rank* (the paper's Thm E.1). For a proper subspace G ⊊ F pick a linear
       functional ℓ vanishing on G but not on F; ℓ∘φ is a non-zero polynomial, so
       {w : φ(w) ∈ G} is Lebesgue-null. Adding columns one at a time, rank Φ = min(K, r_φ)
       almost surely. Centring removes at most one dimension:
       rank P⊥Φ = rank Φ − [1 ∈ col Φ]. This gives the returned (default) bounds

       .. math:: \frac{p\,(\min(K, r_\phi) - 1)}{2} \le \lambda \le
                 \frac{p\,\min(K, \binom{2p+m-2}{m})}{2}.

    4. *Exact value* (``tight=True``). The constants lie in F (u = c·1, v = 0). If
       K ≥ r_φ then col Φ = F ∋ 1, so rank P⊥Φ = r_φ − 1. If K ≤ r_φ − 1, apply step 3 in
       the quotient F/span(1) (dimension r_φ − 1 ≥ K, still spanned by the image of φ):
       the columns are a.s. independent modulo 1, so 1 ∉ col Φ and rank P⊥Φ = K. Hence,
       almost surely, rank P⊥Φ = min(K, r_φ − 1) and

       .. math:: \lambda = \frac{p\,\min(K, r_\phi - 1)}{2}
                 = \begin{cases} p\min(K, 2p-2)/2 & m = 1 \\
                                 p\min(K, p^2-1)/2 & m \ge 2, \end{cases}

       returned as lower = upper. The default bounds (steps 1–3) are the route of the
       paper's Cor. 5.3 via Prop E.7; the exact value meets the default upper bound when
       K < r_φ and the default lower bound when K ≥ r_φ, where the Prop E.7 upper bound
       p·min(K, C(2p + m − 2, m))/2 is loose (e.g. m = 2, K ≥ p(2p − 1): p²(2p − 1)/2
       against the exact p(p² − 1)/2).

    Only the full dataset of p² pairs is covered (the paper's experiments train on 40 %;
    with n training pairs every rank above is also capped by n − 1). The tests compare
    both with the exact rank of P⊥σ(XW) at random integer W.

    >>> b = lazy_regime_bounds(5, 4)
    >>> b.lower, b.upper
    (15/2, 10)
    >>> t = lazy_regime_bounds(5, 30, tight=True)
    >>> t.lower, t.upper                       # 5*min(30, 24)/2
    (60, 60)
    """
    p = check_size("p", p, minimum=2)
    k = check_size("k", k)
    degree = check_size("degree", degree, minimum=1)
    tight = check_bool("tight", tight)
    r_phi = sp.Piecewise((2 * p - 1, sp.Eq(degree, 1)), (p**2, True))
    if is_symbolic(p, degree):
        e7 = sp.binomial(2 * p + degree - 2, degree)
        e7_text = str(e7)
    else:
        # only min(K, C(2p + degree - 2, degree)) enters the bound: computing the binomial in
        # full took 11 s for p = degree = 10**5 and over a minute for 10**6 (an outside audit)
        cap = max(int(k), 2**200) if not is_symbolic(k) else 2**200
        exact = _binomial_capped(int(2 * p + degree - 2), int(degree), cap)
        if exact is None:
            e7 = sp.binomial(2 * p + degree - 2, degree, evaluate=False)
            e7_text = _binomial_magnitude(int(2 * p + degree - 2), int(degree))
        else:
            e7 = sp.Integer(exact)
            e7_text = _number_text(e7)
    assumptions = (
        "inputs: all p^2 one-hot pairs x = [e_a; e_b] (d = 2p, n = p^2), the full dataset",
        "sigma(z) = z^degree",
        "W frozen; columns i.i.d. with a density absolutely continuous w.r.t. Lebesgue "
        "measure on R^{2p}; V at the centred-ridge interpolating solution (Thm 5.2)",
        "bounds hold almost surely over the initialisation of W",
        f"feature-span dimension r_phi = {r_phi} (2p-1 for degree 1, p^2 for degree >= 2); "
        f"Prop E.7 bound C(2p+degree-2, degree) = {e7_text}",
    )
    if tight:
        value = p * sp.Min(k, r_phi - 1) * _HALF
        return LearningCoefficientBounds(
            lower=value,
            upper=value,
            dimension=p * k,
            case="exact a.s. value: rank(P_perp Phi) = min(K, r_phi - 1)",
            assumptions=assumptions,
            source=f"derived here from {_PAPER}, Thm 5.2 and Thm E.1 (one-hot pair feature span)",
            **standing_of("lazy_regime_bounds").fields(),
        )
    # e7 unevaluated (too large to compute) exceeds every integer K
    upper_width = k if e7.func is sp.binomial and not is_symbolic(k, p, degree) else sp.Min(k, e7)
    return LearningCoefficientBounds(
        lower=p * (sp.Min(k, r_phi) - 1) * _HALF,
        upper=p * upper_width * _HALF,
        dimension=p * k,
        case="Cor 5.3 route: Prop E.7 upper bound, centring lower bound",
        assumptions=assumptions,
        source=f"{_PAPER}, Thm 5.2 + Prop E.7 (r = 2p - 1) / Cor 5.3, derived for one-hot pairs",
        **standing_of("lazy_regime_bounds").fields(),
    )


def _number_text(v: sp.Expr) -> str:
    """``str(v)``, or its order of magnitude for an integer of more than 60 digits (str()
    refuses above 4300 digits: lazy_regime_bounds(10**4, 5, 10**4) raised that).

    >>> _number_text(sp.Integer(10) ** 5000)
    'an integer of about 10^5000'
    >>> _number_text(sp.Integer(12))
    '12'
    """
    if isinstance(v, sp.Integer) and abs(int(v)).bit_length() > 200:
        return f"an integer of about 10^{round(abs(int(v)).bit_length() * math.log10(2))}"
    return str(v)


def _binomial_capped(n: int, k: int, cap: int) -> int | None:
    """C(n, k) when it is at most ``cap``, else ``None``, without computing a larger one.

    C(n, j) increases for j ≤ n/2, so the running value exceeding ``cap`` decides it.

    >>> _binomial_capped(10, 3, 1000), _binomial_capped(10**9, 10**8, 10**6)
    (120, None)
    """
    k = min(k, n - k)
    if k < 0:
        return 0
    c = 1
    for j in range(k):
        c = c * (n - j) // (j + 1)
        if c > cap:
            return None
    return c


def _binomial_magnitude(n: int, k: int) -> str:
    """The order of magnitude of C(n, k), from logarithms (the integer is not formed).

    With k the smaller of k and n − k: ln C(n, k) = Σ_{j<k} ln((n − j)/(j + 1)) for k ≤ 1000,
    else Stirling, k ln(n/k) + (n − k) ln(n/(n − k)) + ½ ln(n/(2πk(n − k))), summed in exact
    rational arithmetic from floats of size ln n. ``math.lgamma(n + 1) − math.lgamma(n − k + 1)``
    (the earlier route) cancelled to 0 once lgamma's rounding exceeded k ln n (C(2·10³⁰ + 8, 10)
    read "about 10^0"; it is about 10^296) and raised ``OverflowError`` above n ≈ 10³⁰⁶. An
    exponent of more than 60 digits is itself given as a power of ten.

    >>> _binomial_magnitude(3 * 10**6, 10**6)
    'an integer of about 10^829300'
    >>> _binomial_magnitude(2 * 10**30 + 8, 10)
    'an integer of about 10^296'
    >>> _binomial_magnitude(3 * 10**400, 10**400)
    'an integer of about 10^(10^399.9)'
    """
    k = min(k, n - k)
    if k <= 1000:
        log_c = sum((Fraction(math.log(n - j) - math.log(j + 1)) for j in range(k)), Fraction(0))
    else:
        log_c = (k * Fraction(math.log(n) - math.log(k))
                 + (n - k) * Fraction(-math.log1p(-k / n))
                 + Fraction(math.log(n) - math.log(k) - math.log(n - k) - math.log(2 * math.pi))
                 / 2)
    exponent = round(log_c / Fraction(math.log(10)))
    if exponent.bit_length() > 200:
        return f"an integer of about 10^(10^{math.log10(exponent):.1f})"
    return f"an integer of about 10^{exponent}"
