"""Ranks of the parameter-to-outputs Jacobian: numerical (SVD) and certified exact (flint).

- :func:`jacobian_rank` with ``method="svd"``: numerical rank with numpy's tolerance
  σ_max · max(n_rows, n_params) · ε(float64) (``numpy.linalg.matrix_rank``), plus the
  singular values and the gap ratio at the cut; not certified.
- :func:`jacobian_rank` with ``method="exact"``: for maps that are polynomial with integer
  coefficients, at integer parameters and inputs. The float64 Jacobian is then an integer
  matrix, and every operation that computed it is audited exact (integers below 2^53 at every
  step, partial sums included: :mod:`slttheory.geometry.exact_arithmetic`); its rank over ℚ
  is computed exactly with python-flint (:func:`exact_rank`). The rank at one point is at most the
  generic rank (a minor that is nonzero at the point is a nonzero polynomial), so the result
  is a certified **lower bound** on the generic rank.
- :func:`generic_rank`: the maximum exact rank over random integer points, with the
  Schwartz–Zippel bound (Schwartz 1980, J. ACM 27:701; Zippel 1979) on the chance that the
  generic rank is higher.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

import flint
import numpy as np
import torch

from slttheory._torch_args import check_seed
from slttheory._torch_compat import load_forward_ad
from slttheory.geometry.exact_arithmetic import InexactArithmeticError, IntegerExactnessAudit
from slttheory.geometry.jacobian import (
    FORWARD_MODE_ERRORS,
    ParamsLike,
    _EvaluationError,
    _module_call,
    _unflatten,
    flatten_params,
    jacobian,
    uses_forward_mode,
)

__all__ = [
    "RankResult",
    "GenericRankResult",
    "check_jacobian_by_values",
    "exact_rank",
    "jacobian_rank",
    "generic_rank",
    "schwartz_zippel_bound",
    "METHODS",
    "EXACT_LIMIT",
    "PRIME",
]

METHODS = ("svd", "exact")
EXACT_LIMIT = 2**53  # float64 holds every integer of magnitude < 2^53 exactly
PRIME = 2**61 - 1  # Mersenne prime used for the fast full-rank certificate in exact_rank
AUTO_RADII = (1000, 100, 10, 3, 1)  # generic_rank(radius=None) tries these in turn
AUTO_RADII_QUADRATIC = (10**6, *AUTO_RADII)  # ... for maps of degree 2, whose entries grow
# only like the radius: a Schwartz–Zippel factor (r+1)/|S| a thousand times smaller per point
AUTO_ENTRY_LIMIT = 2**45  # ... keeping the first point's Jacobian entries below this
MAX_TRIALS = 10**4  # trials cap: the exact Schwartz-Zippel bound has ~trials·log2|S| bits


def _check_trials(trials) -> int:
    if isinstance(trials, bool) or not isinstance(trials, int | np.integer) or not (
        1 <= trials <= MAX_TRIALS
    ):
        raise ValueError(f"trials must be an integer in [1, {MAX_TRIALS}], got {trials!r}")
    return int(trials)


def _nonfinite_culprit(fn, params, inputs) -> ValueError | None:
    """The ``ValueError`` naming non-finite (inf/nan) parameters or inputs, if any."""
    try:
        if isinstance(fn, torch.nn.Module):
            bad = [k for k, v in fn.named_parameters()
                   if (params is None or k not in params) and not torch.isfinite(v).all()]
            if bad:
                return ValueError(f"fn (a module) has non-finite (inf/nan) parameters {bad}")
        if params is not None:
            flat, layout = flatten_params(params)
            if not torch.isfinite(flat).all():
                names = [n for n, _ in layout] if layout[0][0] else None
                which = f" (among {names})" if names else ""
                return ValueError(f"params has non-finite (inf/nan) entries{which}")
        x = torch.as_tensor(inputs)
        if x.is_floating_point() and not torch.isfinite(x).all():
            return ValueError("inputs has non-finite (inf/nan) entries")
    except (TypeError, ValueError):  # pragma: no cover - jacobian already accepted them
        pass
    return None


def _nonfinite_error(fn, params, inputs) -> ValueError:
    """The ``ValueError`` for a Jacobian with inf/nan entries, naming the culprit."""
    return _nonfinite_culprit(fn, params, inputs) or ValueError(
        "the Jacobian has non-finite (inf/nan) entries although params and inputs are finite "
        "(an overflow or a 0/0 in fn at this point?)"
    )


def _inexact_error(fn, params, inputs, exc: InexactArithmeticError) -> ValueError:
    """The ``ValueError`` for a Jacobian the exactness audit refused, naming the culprit."""
    bad = _nonfinite_culprit(fn, params, inputs)
    if bad is not None:
        return bad
    for what, value in (("params", params), ("inputs", inputs)):
        if value is None:
            continue
        flat = flatten_params(value)[0] if what == "params" else torch.as_tensor(value)
        if flat.is_floating_point() and not torch.equal(flat, torch.round(flat)):
            return ValueError(f"{what} has non-integer entries; exact rank needs integer "
                              "parameters and inputs")
    return ValueError(
        "exact rank needs a polynomial map with integer coefficients, computed by integer "
        f"operations at integer parameters and inputs, all exact in float64: {exc}")


@dataclass(frozen=True)
class RankResult:
    """Rank of a Jacobian at one point.

    ``rank``: the rank; ``n_params``/``n_rows``: the Jacobian's columns/rows; ``method``:
    ``"svd"`` or ``"exact"``; ``certified``: ``True`` only for ``"exact"`` (then ``rank`` is
    a certified lower bound on the generic rank). For ``"svd"``: ``tol`` (the cut),
    ``singular_values`` (descending numpy array) and ``gap_ratio`` = σ_rank / σ_{rank+1}
    (1-based; ``inf`` when there is no σ_{rank+1} or it is 0; ``nan`` when rank = 0). For
    ``"exact"``: ``max_abs_entry``, the largest |entry| (an ``int``).
    """

    rank: int
    n_params: int
    n_rows: int
    method: str
    certified: bool
    tol: float | None = None
    singular_values: np.ndarray | None = field(default=None, compare=False, repr=False)
    gap_ratio: float | None = None
    max_abs_entry: int | None = None

    @property
    def max_possible(self) -> int:
        """min(n_rows, n_params): the largest rank the Jacobian's shape allows."""
        return min(self.n_rows, self.n_params)


@dataclass(frozen=True)
class GenericRankResult:
    """Generic rank of a polynomial parameter-to-outputs map, from random integer points.

    ``rank`` = max of ``ranks_per_trial`` (exact ranks; a lower bound on the generic rank,
    ``certified=True`` once the Jacobian agreed with the map's values,
    :func:`check_jacobian_by_values`, which needs ``degree``).
    ``max_possible`` = min(n_rows, n_params). ``degree`` is the map's degree D in the
    parameters, ``radius`` the one used and ``set_size`` = |S| = 2·radius + 1 the number of
    values each parameter entry is drawn from;
    ``max_abs_entry`` the largest |Jacobian entry| met (exactness needs < 2^53).

    ``schwartz_zippel_bound`` = min(1, (rank+1)(D−1)/|S|)^T for T trials run: if the generic
    rank were above ``rank``, some (rank+1)-minor of the Jacobian would be a nonzero
    polynomial of degree ≤ (rank+1)(D−1), and the chance that it vanished at all T
    independent uniform points is at most this (Schwartz–Zippel). ``a_priori_bound`` =
    min(1, max_possible·(D−1)/|S|)^T bounds P(rank < generic rank) before looking at the
    data (the unknown generic rank r* ≤ max_possible enters instead of rank+1). Both are 0
    when ``rank == max_possible`` (nothing higher is possible) or D ≤ 1 (the Jacobian does
    not depend on the parameters), and ``None`` when nothing is certified (no ``degree``,
    or the value check could not run).
    """

    rank: int
    ranks_per_trial: tuple[int, ...]
    n_params: int
    n_rows: int
    max_possible: int
    degree: int | None
    radius: int
    set_size: int
    max_abs_entry: int
    schwartz_zippel_bound: float | None
    a_priori_bound: float | None
    certified: bool
    statement: str
    seed: int


def _as_numpy_matrix(matrix) -> np.ndarray:
    if isinstance(matrix, torch.Tensor):
        matrix = matrix.detach().cpu().numpy()
    if isinstance(matrix, flint.fmpz_mat):
        raise TypeError("matrix is already an fmpz_mat; call its .rank() directly")
    if isinstance(matrix, str | bytes):
        raise TypeError(f"matrix must be a 2-dimensional array of integers, got {matrix!r}")
    try:
        arr = np.asarray(matrix)
    except ValueError as e:  # ragged rows: numpy's message names no argument
        raise ValueError(f"matrix must be a 2-dimensional array of integers with rows of "
                         f"equal length: {e}") from e
    if arr.ndim != 2:
        raise ValueError(f"matrix must be 2-dimensional, got shape {arr.shape}")
    return arr


def _check_integer_matrix(arr: np.ndarray, what: str = "matrix") -> tuple[list[list[int]], int]:
    """Exact Python-int rows of ``arr`` and max |entry|, or raise explaining why not exact."""
    if arr.dtype == object:
        rows = arr.tolist()
        for row in rows:
            for v in row:
                if isinstance(v, bool) or not isinstance(v, int | np.integer):
                    raise ValueError(
                        f"{what} has a non-integer entry {v!r}; exact rank needs integers"
                    )
        rows = [[int(v) for v in row] for row in rows]
        return rows, max((abs(v) for row in rows for v in row), default=0)
    if np.issubdtype(arr.dtype, np.integer):
        biggest = int(np.abs(arr.astype(object)).max()) if arr.size else 0
        return arr.tolist(), biggest  # Python ints (no object array: 2.5x faster)
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(f"{what} must hold integers or floats, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} has non-finite entries (inf/nan); exact rank needs integers")
    frac = arr != np.round(arr)
    if np.any(frac):
        i, j = np.argwhere(frac)[0]
        raise ValueError(
            f"{what} has non-integer entries (e.g. [{i}, {j}] = {arr[i, j]!r}), so its exact "
            "rank is not that of the polynomial map at an integer point: either the parameters "
            "or inputs are not integers, or the model is not polynomial with integer "
            "coefficients (e.g. tanh, division, a 1/2 factor). Use method='svd' instead, or "
            "integer parameters and inputs."
        )
    biggest_f = float(np.abs(arr).max()) if arr.size else 0.0
    if biggest_f >= EXACT_LIMIT:
        raise ValueError(
            f"{what} has an entry of magnitude {biggest_f:.3g} >= 2^53, beyond which float64 "
            "cannot represent every integer, so the entries may already be rounded and the "
            "exact rank would be that of a different matrix. Use smaller integer parameters "
            "and inputs (e.g. a smaller radius in generic_rank)."
        )
    return arr.astype(np.int64).tolist(), int(biggest_f)  # Python ints


def exact_rank(matrix, *, modulus: int | None = None) -> int:
    """Exact rank over ℚ of an integer matrix (numpy/torch/nested lists), with python-flint.

    Floating entries must be exact integers of magnitude < 2^53 (else ``ValueError``).
    First the rank modulo the prime p = 2^61 − 1 (``flint.nmod_mat``, fast): since a minor
    that is nonzero mod p is nonzero over ℤ, rank_p ≤ rank_ℚ ≤ min(shape), so rank_p =
    min(shape) settles it. Otherwise the rank over ℚ comes from ``flint.fmpz_mat.rank``
    (fraction-free elimination) on the tall orientation (much faster than the wide one).

    With ``modulus=q`` (a prime, q < 2^63) only the rank modulo q is returned: a certified
    lower bound on the rank over ℚ, equal to it unless q divides every nonzero maximal minor.

    >>> exact_rank([[1, 2], [2, 4]]), exact_rank([[1, 0], [0, 1]]), exact_rank([[2, 0]], modulus=2)
    (1, 2, 0)
    """
    arr = _as_numpy_matrix(matrix)
    rows, _ = _check_integer_matrix(arr)
    if modulus is not None and (
        isinstance(modulus, bool)
        or not isinstance(modulus, int)
        or not 2 <= modulus < 2**63
        or not flint.fmpz(modulus).is_prime()
    ):  # flint aborts the process on a composite modulus, so check first
        raise ValueError(f"modulus must be a prime integer in [2, 2^63), got {modulus!r}")
    return _rank_of_rows(rows, *arr.shape, modulus=modulus)


def _rank_of_rows(rows: list[list[int]], n_rows: int, n_cols: int, modulus: int | None) -> int:
    if n_rows == 0 or n_cols == 0:
        return 0
    # One conversion from Python ints (the costly step: 0.5 s for a 10⁴ × 200 Jacobian),
    # reduced mod p from there (0.04 s, where building nmod_mat from the rows took 0.8 s).
    mat = flint.fmpz_mat(rows)
    if n_rows < n_cols:  # flint's fraction-free rank is far faster on tall matrices
        mat = mat.transpose()
    if modulus is not None:
        return int(flint.nmod_mat(mat, modulus).rank())
    r_p = int(flint.nmod_mat(mat, PRIME).rank())
    if r_p == min(n_rows, n_cols):
        return r_p
    return int(mat.rank())


def jacobian_rank(
    fn: Callable[..., torch.Tensor] | torch.nn.Module,
    params: ParamsLike | None,
    inputs,
    method: str = "svd",
    tol: float | None = None,
) -> RankResult:
    """Rank of :func:`~slttheory.geometry.jacobian` of ``fn`` at ``params`` over ``inputs``.

    ``method="svd"``: the number of singular values above ``tol``, default
    σ_max · max(n_rows, n_params) · ε with ε = 2^-52 (as ``numpy.linalg.matrix_rank``).
    Not certified: look at ``gap_ratio`` = σ_rank/σ_{rank+1}; a large gap (≫ 1e3) means the
    cut is clear.

    ``method="exact"``: for polynomial maps with integer coefficients at integer parameters
    and inputs. Every Jacobian entry must be an integer of magnitude < 2^53 (else
    ``ValueError`` saying which condition failed and why); the rank over ℚ is then exact
    (:func:`exact_rank`) and is a certified *lower bound on the generic rank*: if an r×r
    minor is nonzero at this point, that minor is a nonzero polynomial in the parameters,
    so the rank is ≥ r at almost every point. Every floating operation of the Jacobian's
    computation is audited exact (:mod:`slttheory.geometry.exact_arithmetic`: integer
    values, integer operations, partial sums below 2^53), else ``ValueError`` naming the
    first operation that may have rounded. ``tol`` must be None.

    Either way, inf/nan in ``params``, ``inputs`` or the module's parameters raise
    ``ValueError`` naming them, before any derivative (an infinite weight behind a saturating
    ``tanh`` gives a finite Jacobian of lower rank), and so does a Jacobian with inf/nan
    entries. Either way the rank is autograd's: a map
    that hides a parameter from it (``.tolist()``) reads a wrong rank, lower or higher (the
    zero map w − c, c = w hidden, reads full rank); ``torch.no_grad`` in a map differentiated
    by reverse mode is refused.
    :func:`check_jacobian_by_values` compares a polynomial map's Jacobian with its values;
    :func:`generic_rank` and :func:`~slttheory.geometry.true_point_rank` run it before they
    certify anything.

    >>> fn = lambda p, x: x @ p["A"].T @ p["B"].T        # y = B A x, m = n = 3, h = 1
    >>> p = {"A": torch.tensor([[1, 2, 3]]), "B": torch.tensor([[1], [-1], [2]])}
    >>> x = torch.eye(3)
    >>> r = jacobian_rank(fn, p, x, method="exact")
    >>> r.rank, r.certified, r.n_rows, r.n_params                  # h(m+n-h) = 5
    (5, True, 9, 6)
    >>> jacobian_rank(fn, p, x).rank
    5
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    if tol is not None and method != "svd":
        raise ValueError("tol applies only to method='svd'; leave it None for method='exact'")
    if tol is not None:
        if isinstance(tol, bool) or not isinstance(tol, int | float | np.integer | np.floating):
            raise TypeError(f"tol must be a finite number >= 0 or None, got {tol!r}")
        if not (math.isfinite(tol) and tol >= 0):
            raise ValueError(f"tol must be a finite number >= 0 or None, got {tol!r}")
    bad = _nonfinite_culprit(fn, params, inputs)
    if bad is not None:
        raise bad
    try:
        Jt = jacobian(fn, params, inputs, exact=method == "exact")
    except InexactArithmeticError as e:
        raise _inexact_error(fn, params, inputs, e) from e
    if not torch.isfinite(Jt).all():
        raise _nonfinite_error(fn, params, inputs)
    J = Jt.numpy()
    n_rows, n_params = J.shape
    if method == "exact":
        rows, biggest = _check_integer_matrix(J, what="the Jacobian")
        rank = _rank_of_rows(rows, n_rows, n_params, modulus=None)
        return RankResult(
            rank=rank, n_params=n_params, n_rows=n_rows, method="exact", certified=True,
            max_abs_entry=biggest,
        )
    s = np.linalg.svd(J, compute_uv=False) if J.size else np.zeros(0)
    if tol is None:
        eps = float(np.finfo(np.float64).eps)
        tol = float(s.max()) * max(n_rows, n_params) * eps if s.size else 0.0
    rank = int(np.sum(s > tol))
    if rank == 0:
        gap = math.nan
    elif rank == s.size or s[rank] == 0:
        gap = math.inf
    else:
        gap = float(s[rank - 1] / s[rank])
    s.setflags(write=False)
    return RankResult(
        rank=rank, n_params=n_params, n_rows=n_rows, method="svd", certified=False,
        tol=float(tol), singular_values=s, gap_ratio=gap,
    )


VALUE_CHECK_RADII = (10**6, 1000, 100, 40)
"""Radii R of the integer sets S = {−R, …, R} from which :func:`check_jacobian_by_values`
draws its points: the first whose probe point keeps the map's values below 2^45."""
VALUE_CHECK_PROBE_LIMIT = 2**45
"""A radius is taken where its probe point's values and derivatives stay below this."""
VALUE_CHECK_NARROW_POINTS = 3
"""Points at entries in {−1, 0, 1} where no radius keeps the values below 2^53: a
disagreement there still raises, but agreement is no check."""
VALUE_CHECK_DEGREE_CEILING = 48
"""The true degree E up to which :func:`check_jacobian_by_values` is sized to refute an
understated ``degree`` with certainty 1 − :data:`VALUE_CHECK_MISS_BOUND` (the assumption of
its bound: no black-box test sees a part of degree above |S| that vanishes on S)."""
VALUE_CHECK_MISS_BOUND = Fraction(1e-6)  # the float 1e-6 exactly (a hair below 10⁻⁶)
"""The most :func:`check_jacobian_by_values` lets pass a map of true degree E in
(``degree``, :data:`VALUE_CHECK_DEGREE_CEILING`]: RANK_CERTAINTY
(:data:`slttheory.verify.evidence.records.RANK_CERTAINTY`), the bound the certified generic
rank is held to."""


def value_check_points(set_size: int, ceiling: int = VALUE_CHECK_DEGREE_CEILING,
                       bound: Fraction = VALUE_CHECK_MISS_BOUND) -> int | None:
    """The fewest points k with ((ceiling + 1)/set_size)^k ≤ ``bound`` (exact), or None where
    set_size ≤ ceiling + 1 (no number of points is enough).

    >>> [value_check_points(2 * r + 1) for r in VALUE_CHECK_RADII]
    [2, 4, 10, 28]
    >>> value_check_points(21) is None
    True
    """
    per = Fraction(ceiling + 1, set_size)
    if per >= 1:
        return None
    k = 1
    while per**k > bound:
        k += 1
    return k


VALUE_CHECK_MAX_DEGREE = 12
"""Maps of higher degree are not checked (their values at t = 0..D overflow 2^53)."""
UNCHECKED = ("not certified: the Jacobian could not be checked against the map's values "
             f"(degree above {VALUE_CHECK_MAX_DEGREE}, or values past 2^53 at the check's "
             "points)")
"""Why a rank is stated but not certified where :func:`check_jacobian_by_values` could not
run: the Jacobian may not be the map's derivative (a ``.tolist()`` cut), nor its degree the
one the Schwartz–Zippel bound assumes."""
NO_DEGREE = ("not certified: without the map's degree its Jacobian is not checked against "
             "its values (pass degree=D)")
"""Why :func:`generic_rank` without ``degree`` certifies nothing: the value check needs D,
and autograd's rank alone can be too high (the zero map w − c with c = w hidden by
``.tolist()`` reads full rank)."""


def _derivative_weights(degree: int) -> list[Fraction]:
    """Weights c_t with p'(0) = Σ_t c_t p(t), t = 0..D, exact for every polynomial p of degree
    ≤ D (the derivative of its Lagrange interpolant on the nodes 0..D).

    >>> _derivative_weights(2)            # p'(0) = −3/2 p(0) + 2 p(1) − 1/2 p(2)
    [Fraction(-3, 2), Fraction(2, 1), Fraction(-1, 2)]
    """
    c = [Fraction(0)] * (degree + 1)
    c[0] = -sum((Fraction(1, t) for t in range(1, degree + 1)), Fraction(0))
    for t in range(1, degree + 1):
        c[t] = Fraction((-1) ** (t + 1) * math.comb(degree, t), t)
    return c


def check_jacobian_by_values(fn: Callable[..., torch.Tensor],
                             param_shapes: Mapping[str, tuple] | tuple, inputs, degree: int,
                             seed: int = 0) -> bool:
    """Check the exact Jacobian against the map's own values: at random integer points w and
    directions v, J(w)·v (or uᵀJ(w)·v for a random integer u, where :func:`jacobian` uses
    reverse mode) must equal d/dt f(w + t v) at t = 0 (times u), which for a map of degree
    ≤ ``degree`` = D is Σ_t c_t f(w + t v) over t = 0..D exactly (:func:`_derivative_weights`;
    values and products under the exactness audit). ``ValueError`` otherwise: the map cuts its
    parameters off from autograd (``torch.no_grad``, ``.tolist()``, an integer cast; the audit
    refuses ``detach``, but not these), or its degree is above ``degree``. Either would make a
    rank certificate wrong (a cut hides directions; the Schwartz–Zippel bound assumes the
    degree).

    **The bound.** Let f (integer coefficients, as the audit makes it) have true total degree
    E > D, and autograd's Jacobian be f's. Write f(w + t v) = Σ_k t^k a_k(w, v), a_k
    homogeneous of degree k in v and of total degree ≤ E. The rule Σ_t c_t p(t) is exact for
    deg p ≤ D, and its error on t^k (k ≥ 2) is L_k = −Σ_t c_t t^k = (−1)^D D! S(k−1, D)
    (S: Stirling numbers of the second kind), so L_{D+1} = (−1)^D D! ≠ 0 (for D = 0,
    L_1 = 1 directly). The discrepancy
    Δ(w, v) = J(w)v − Σ_t c_t f(w + t v) = Σ_{k>D} L_k a_k(w, v) is a polynomial of total
    degree ≤ E, and not zero: its part of degree D + 1 in v, L_{D+1} a_{D+1}(w, v), cannot
    cancel with the others, and a_{D+1}(w, v) = Σ_{|α|=D+1} ∂^α f(w) v^α/α! ≢ 0 as f has a
    nonzero derivative of order D + 1. uᵀΔ has degree ≤ E + 1 in (u, w, v).
    Schwartz–Zippel: at one point with every entry of u, w, v uniform on
    S = {−R, …, R}, P(uᵀΔ = 0) ≤ (E + 1)/|S|, independently over the k points. The radius R
    is the first of :data:`VALUE_CHECK_RADII` at which a probe point (a full check whose
    disagreement raises, whose agreement is not counted) keeps every value below 2^45 (the
    last, 40, wherever its values stay below 2^53); the k
    points are drawn afresh after it, so P(miss) = Σ_R P(probe picks R)·P(k points at R
    agree) ≤ max_R ((E + 1)/|S_R|)^k_R, and k_R = :func:`value_check_points` (|S_R|) makes
    this ≤ :data:`VALUE_CHECK_MISS_BOUND` (= RANK_CERTAINTY, 10⁻⁶) for every
    E ≤ :data:`VALUE_CHECK_DEGREE_CEILING` (48): 2 points at R = 10⁶, 4 at 10³, 10 at 10²,
    28 at 40.
    The assumption E ≤ 48 is needed: no test from finitely many values sees a part of degree
    above |S| that vanishes on S (beyond 48 the bound is still ((E + 1)/|S_R|)^k_R). A value
    reaching 2^53 at a counted point is no miss either: the check is then retried at entries
    in {−1, 0, 1}, whose disagreement still raises but whose agreement is no check (False:
    those few points cannot see a part of degree above D that vanishes on them), and so is a
    map whose probe passes 2^53 at every radius.

    Returns whether the check ran (True: no understated degree in (D, 48], with the above
    certainty, and no cut that a disagreement exposes); False above
    :data:`VALUE_CHECK_MAX_DEGREE`, or where the values leave float64's exact integers.

    >>> check_jacobian_by_values(lambda p, x: p["w"][0] * p["w"][1] * x, {"w": (2,)},
    ...                          torch.ones(1), degree=2)
    True
    >>> check_jacobian_by_values(lambda p, x: p["w"][0] ** 3 * x, {"w": (1,)}, torch.ones(1),
    ...                          degree=2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: the rank map's Jacobian disagrees with its values...
    """
    if degree > VALUE_CHECK_MAX_DEGREE:
        return False
    gen = torch.Generator().manual_seed(seed)
    weights = _derivative_weights(degree)
    scale = math.lcm(*(c.denominator for c in weights))
    ints = [int(c * scale) for c in weights]  # scale·c_t, integers
    x = torch.as_tensor(inputs).to(torch.float64)
    named = isinstance(param_shapes, Mapping)

    def draw(radius: int) -> ParamsLike:
        def one(s: tuple) -> torch.Tensor:
            return torch.randint(-radius, radius + 1, tuple(s), generator=gen).to(torch.float64)
        return {k: one(s) for k, s in param_shapes.items()} if named else one(param_shapes)

    def at(radius: int) -> tuple[list[int], list[int], bool, int]:
        """(the AD product, the same from f's values, whether reverse mode, the largest
        magnitude of a value or derivative), the first two exact integers times scale, in the
        mode :func:`jacobian` uses: J·v by forward mode, else uᵀJ·v by reverse mode for a
        random integer u (one pass, far cheaper than the Jacobian; a cut such as
        ``torch.no_grad`` hides a parameter from reverse mode only)."""
        w, v = draw(radius), draw(radius)
        flat_w, layout = flatten_params(w)
        flat_v = flatten_params(v)[0]

        def g(z: torch.Tensor) -> torch.Tensor:
            return fn(_unflatten(z, layout), x).reshape(-1)

        fd: list[int] = []
        with IntegerExactnessAudit(), torch.no_grad():
            values = [g(flat_w + t * flat_v) for t in range(len(ints))]
        big = 0
        for c, value in zip(ints, values, strict=True):  # integer conversion outside the audit
            out = [int(b) for b in value.to(torch.int64).tolist()]
            big = max(big, *(abs(b) for b in out)) if out else big
            fd = [a + c * b for a, b in zip(fd or [0] * len(out), out, strict=True)]
        if uses_forward_mode(flat_w.numel(), len(fd)):
            load_forward_ad()
            try:
                with IntegerExactnessAudit():
                    _, jv = torch.func.jvp(g, (flat_w,), (flat_v,))
                jvs = [int(e) for e in jv.tolist()]
                big = max(big, *(abs(e) for e in jvs)) if jvs else big
                return [scale * e for e in jvs], fd, False, big
            except FORWARD_MODE_ERRORS:  # jacobian() falls back to reverse mode here too
                pass
        u = torch.randint(-radius, radius + 1, (len(fd),), generator=gen).to(torch.float64)
        with IntegerExactnessAudit():
            _, pull = torch.func.vjp(g, flat_w)
            (uj,) = pull(u)
        ujs = [int(a) for a in uj.tolist()]
        big = max(big, *(abs(a) for a in ujs)) if ujs else big
        ujv = sum(a * int(b) for a, b in zip(ujs, flat_v.tolist(), strict=True))
        fdu = sum(int(a) * b for a, b in zip(u.tolist(), fd, strict=True))
        return [scale * ujv], [fdu], True, big

    def too_large(e: InexactArithmeticError) -> bool:  # values past 2^53, not an inexact op
        return "2^53" in str(e)

    def compare(jv: list[int], fd: list[int], rev: bool) -> None:
        if jv == fd:
            return
        i = next(i for i, (a, b) in enumerate(zip(jv, fd, strict=True)) if a != b)
        what = "uᵀJ·v (reverse mode)" if rev else f"output {i} has J·v (forward mode)"
        raise ValueError(
            f"the rank map's Jacobian disagrees with its values: at a random integer point "
            f"and direction, {what} = {Fraction(jv[i], scale)} but "
            f"{'uᵀ·' if rev else ''}d/dt f(w + t v) = {Fraction(fd[i], scale)} (exact, "
            f"from f at t = 0..{degree}): the map hides parameters from autograd "
            f"(torch.no_grad, .tolist(), an integer cast, .data) or has degree above "
            f"degree={degree} (pass the map's polynomial degree); no rank of it is "
            "certified")

    def narrow_point() -> bool:
        """A point with entries in {-1, 0, 1}: a disagreement found here still refutes the
        map, but agreement vouches for nothing: the points w + t·v lie in [-1-D, 1+D], where
        a part of degree above D can vanish to second order (w + 2^30·q(w)², q of degree 5
        vanishing on [-2, 2], passed as degree 1: an audit of certified ranks). False where
        even these values pass 2^53."""
        try:
            jv, fd, rev, _ = at(1)
        except InexactArithmeticError as e1:
            if not too_large(e1):
                raise
            return False
        compare(jv, fd, rev)
        return True

    # The probe: the first radius whose point keeps the values below 2^45 (a margin of 2^8
    # for the counted points); its disagreement raises, its agreement is not counted (the
    # radius depends on it), so the counted points below are uniform on S^d given the radius.
    radius = None
    for rad in VALUE_CHECK_RADII:
        try:
            jv, fd, rev, big = at(rad)
        except InexactArithmeticError as e:
            if not too_large(e):
                raise
            continue
        compare(jv, fd, rev)
        if big < VALUE_CHECK_PROBE_LIMIT or rad == VALUE_CHECK_RADII[-1]:
            radius = rad
            break
    n_points = None if radius is None else value_check_points(2 * radius + 1)
    if n_points is None:  # values past 2^53 at every radius: look for a disagreement only
        for _ in range(VALUE_CHECK_NARROW_POINTS):
            if not narrow_point():
                break
        return False
    narrow = False
    for _ in range(n_points):
        try:
            jv, fd, rev, _ = at(radius)
        except InexactArithmeticError as e:
            if not too_large(e):
                raise
            # a counted point past 2^53: the count is broken, so nothing is vouched for
            narrow = True
            if not narrow_point():
                return False
            continue
        compare(jv, fd, rev)
    return not narrow


def schwartz_zippel_bound(rank: int, degree: int, set_size: int, trials: int) -> Fraction:
    """min(1, rank·(degree−1)/set_size)^trials, exactly, for 1 <= trials <= 10^4.

    (The exact power has about trials·log2(set_size) bits, so ``trials`` is capped at
    ``MAX_TRIALS`` = 10^4: ``ValueError`` beyond.)

    The Jacobian of a degree-D polynomial map has entries of degree ≤ D−1, so an r-minor
    has degree ≤ r(D−1); a nonzero polynomial of degree δ vanishes at a uniform point of
    S^d with probability ≤ δ/|S| (Schwartz 1980, Lemma 1), independently over trials.

    >>> schwartz_zippel_bound(22, 2, 2001, 3)   # RRR m=n=5, h=3: could the rank exceed 21?
    Fraction(10648, 8012006001)
    """
    for name, v, lo in (("rank", rank, 0), ("degree", degree, 0), ("set_size", set_size, 1)):
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    _check_trials(trials)
    per = Fraction(rank * max(degree - 1, 0), set_size)
    return min(Fraction(1), per) ** trials


def generic_rank(
    fn: Callable[..., torch.Tensor] | torch.nn.Module,
    param_shapes: Mapping[str, tuple[int, ...]] | tuple[int, ...] | None,
    inputs,
    trials: int = 3,
    seed: int = 0,
    *,
    radius: int | None = None,
    degree: int | None = None,
    support: Mapping[str, torch.Tensor] | None = None,
) -> GenericRankResult:
    """Generic rank of θ ↦ (fn(θ, x_s))_s: max exact Jacobian rank over random integer θ.

    Each trial draws every parameter entry uniformly from S = {−radius, …, radius} with a
    ``torch.Generator`` seeded by ``seed`` (same seed, same points, same result) and computes
    the exact rank (``jacobian_rank(..., method="exact")``); trials stop early once the rank
    reaches max_possible = min(n_rows, n_params). ``inputs`` are fixed (integer-valued for
    exactness). ``param_shapes`` is a dict name → shape (``fn`` gets a dict), a single shape
    (``fn`` gets a tensor), or, for a ``torch.nn.Module``, ``None`` (its parameters' shapes).

    ``degree`` = D, the map's total degree in the parameters, gives the Schwartz–Zippel
    bounds of :class:`GenericRankResult`: ((rank+1)(D−1)/|S|)^T for "some (rank+1)-minor is
    a nonzero polynomial yet vanished at all T points", and (max_possible·(D−1)/|S|)^T for
    P(rank < generic rank) a priori. Larger ``radius`` tightens both, but Jacobian entries
    grow like radius^(D−1) and must stay below 2^53. ``radius=None`` picks the first of
    1000, 100, 10, 3, 1 (10⁶ first for D = 2, whose entries grow only like the radius) at
    which a probe point (then discarded, so the trial points stay uniform) gives Jacobian
    entries below 2^45: a margin of 2^8 for the intermediate values, which the exactness
    audit then checks at every trial point (a value or partial sum reaching 2^53 raises
    ``ValueError`` instead of rounding). An explicit ``radius`` is used as given (an integer
    in [1, 2^53): the drawn entries must be exact in float64). ``trials`` is an integer in
    [1, 10^4] and ``seed`` in [0, 2^63). If ``fn`` fails on the first drawn point (a
    ``RuntimeError``/``IndexError``, e.g. shapes in ``param_shapes`` that do not fit together
    or the inputs), the error is re-raised as a ``ValueError`` naming ``param_shapes``.

    ``support`` (name → bool tensor of the parameter's shape; dict ``param_shapes`` only)
    sets the entries outside it to zero at every drawn point: the result is then the generic
    rank of the Jacobian (in *all* parameters) on that coordinate subspace, the stratum of
    a true point that is generic on ``support`` and zero elsewhere. The Schwartz–Zippel
    bounds hold as stated (a minor restricted to the subspace is a polynomial of no larger
    degree in the free entries).

    >>> fn = lambda p, x: x @ p["A"].T @ p["B"].T      # reduced-rank regression y = B A x
    >>> res = generic_rank(fn, {"A": (3, 5), "B": (5, 3)}, torch.eye(5), degree=2)
    >>> res.rank, res.max_possible, res.schwartz_zippel_bound < 1e-5   # h(m+n-h) = 21 < 25
    (21, 25, True)
    """
    _check_trials(trials)
    if radius is not None and (
        not isinstance(radius, int) or isinstance(radius, bool) or not 1 <= radius < EXACT_LIMIT
    ):
        raise ValueError(
            f"radius must be an integer in [1, 2^53) or None, got {radius!r} (the drawn "
            "entries are cast to float64, which holds every integer only below 2^53)"
        )
    if degree is not None and (
        not isinstance(degree, int) or isinstance(degree, bool) or degree < 0
    ):
        raise ValueError(f"degree must be a non-negative integer or None, got {degree!r}")
    seed = check_seed(seed)

    if param_shapes is None:
        if not isinstance(fn, torch.nn.Module):
            raise TypeError("param_shapes may be None only when fn is a torch.nn.Module")
        shapes: Mapping[str, tuple[int, ...]] | tuple[int, ...] = {
            k: tuple(v.shape) for k, v in fn.named_parameters()
        }
    elif isinstance(param_shapes, Mapping):
        if not all(isinstance(k, str) for k in param_shapes):
            raise TypeError(f"param_shapes keys must be strings, got {list(param_shapes)}")
        shapes = {k: _check_shape(v, f"param_shapes[{k!r}]") for k, v in param_shapes.items()}
    elif isinstance(param_shapes, tuple | list | torch.Size):
        shapes = _check_shape(param_shapes, "param_shapes")
    else:
        raise TypeError(
            "param_shapes must be a dict name -> shape, a shape tuple, or None for a module; "
            f"got {type(param_shapes).__name__}"
        )
    if isinstance(shapes, dict) and not shapes:
        raise ValueError("param_shapes must name at least one parameter, got none")
    if isinstance(fn, torch.nn.Module):
        if not isinstance(shapes, dict):
            raise TypeError("with a torch.nn.Module, param_shapes must be None or a dict "
                            f"name -> shape, got {type(param_shapes).__name__}")
        own = {k: tuple(v.shape) for k, v in fn.named_parameters()}
        for k, s in shapes.items():
            if k not in own:
                raise ValueError(f"param_shapes has key {k!r}, which is not a parameter of the "
                                 f"module; valid names: {list(own)}")
            if s != own[k]:
                raise ValueError(f"param_shapes[{k!r}] = {s}, but the module's parameter has "
                                 f"shape {own[k]}")

    masks: dict[str, torch.Tensor] = {}
    if support is not None:
        if not isinstance(shapes, dict) or not isinstance(support, Mapping):
            raise TypeError("support needs param_shapes as a dict and support as a dict of masks")
        for k, m in support.items():
            if k not in shapes:
                raise ValueError(f"support has key {k!r}, which is not in param_shapes")
            m = torch.as_tensor(m)
            if m.dtype != torch.bool or tuple(m.shape) != tuple(shapes[k]):
                raise ValueError(
                    f"support[{k!r}] must be a bool tensor of shape {tuple(shapes[k])}, got "
                    f"dtype {m.dtype} shape {tuple(m.shape)}"
                )
            masks[k] = m

    gen = torch.Generator().manual_seed(seed)

    def draw(shape: tuple[int, ...], rad: int) -> torch.Tensor:
        return torch.randint(-rad, rad + 1, shape, generator=gen, dtype=torch.int64)

    def point(rad: int) -> ParamsLike:
        if isinstance(shapes, dict):
            return {k: draw(s, rad) * masks[k] if k in masks else draw(s, rad)
                    for k, s in shapes.items()}
        return draw(shapes, rad)

    first = [True]

    def rank_at(rad: int) -> RankResult:
        """Exact rank at a fresh point; a failure of the first evaluation names param_shapes."""
        if not first[0]:
            return jacobian_rank(fn, point(rad), inputs, method="exact")
        first[0] = False
        try:
            return jacobian_rank(fn, point(rad), inputs, method="exact")
        except _EvaluationError as e:
            if isinstance(fn, torch.nn.Module):  # shapes were checked above: inputs are wrong
                raise
            raise ValueError(f"param_shapes: fn cannot be evaluated at a point of shapes "
                             f"{shapes} on inputs of shape {tuple(torch.as_tensor(inputs).shape)}"
                             f" ({e})") from e

    if radius is None:  # probe points (then discarded) choose the radius
        radii = AUTO_RADII_QUADRATIC if degree == 2 else AUTO_RADII
        for rad in radii:
            radius = rad
            try:
                probe = rank_at(rad)
            except ValueError as e:
                if "2^53" not in str(e) or rad == radii[-1]:
                    raise
                continue
            if probe.max_abs_entry < AUTO_ENTRY_LIMIT:
                break

    # Fresh points for the trials, so that each is uniform on S^d (Schwartz–Zippel's premise).
    ranks: list[int] = []
    biggest = 0
    n_rows = n_params = 0
    while len(ranks) < trials and (not ranks or ranks[-1] < min(n_rows, n_params)):
        res = rank_at(radius)
        ranks.append(res.rank)
        biggest = max(biggest, int(res.max_abs_entry or 0))
        n_rows, n_params = res.n_rows, res.n_params
    if degree is not None:
        # after the first rank (which names param_shapes if fn cannot be evaluated), before
        # any is returned: a map whose Jacobian is not its derivative certifies nothing (a
        # module too: its .tolist() cut read rank 2 for the zero map, unchecked)
        call = fn if not isinstance(fn, torch.nn.Module) else _module_call(
            fn, {k: torch.zeros(s, dtype=torch.float64) for k, s in shapes.items()})[0]
        checked = check_jacobian_by_values(call, shapes, inputs, degree, seed)
    else:  # nothing to check the Jacobian against: autograd's rank, stated, not certified
        checked = False
    rank = max(ranks)
    max_possible = min(n_rows, n_params)
    set_size = 2 * radius + 1
    t = len(ranks)
    if not checked:
        # no degree given, or the Jacobian could not be compared with the map's values
        # (degree above VALUE_CHECK_MAX_DEGREE, or values past 2^53 even at entries in
        # {-1, 0, 1}): a cut such as .tolist() can read a rank that is too high, and an
        # understated degree a false bound, so nothing is certified (an outside audit)
        sz = ap = None
    elif rank == max_possible:
        sz: float | None = 0.0
        ap: float | None = 0.0
    else:
        # a positive bound below float64's range (10⁻⁴⁴⁴ after 200 trials) is the smallest
        # float, not 0.0: zero is kept for "the rank is maximal", nothing higher possible
        sz = _positive_float(schwartz_zippel_bound(rank + 1, degree, set_size, t))
        ap = _positive_float(schwartz_zippel_bound(max_possible, degree, set_size, t))
    where = " on the support stratum" if masks else ""
    if degree is None:
        stmt = (f"generic rank{where} >= {rank} at {t} random integer points, {NO_DEGREE}")
    elif not checked:
        stmt = (f"generic rank{where} >= {rank} at {t} random integer points of a map of "
                f"degree {degree}, {UNCHECKED}")
    elif rank == max_possible:
        stmt = (f"generic rank{where} = {rank} = min(n_rows, n_params) "
                "(certified: exact rank at an integer point)")
    else:
        stmt = (f"generic rank{where} >= {rank} (certified); P(all {t} trials <= {rank} although "
                "generic "
                f"rank > {rank}) <= {sz:.3g} (Schwartz-Zippel, degree {degree}, |S| = {set_size})")
    return GenericRankResult(
        rank=rank, ranks_per_trial=tuple(ranks), n_params=n_params, n_rows=n_rows,
        max_possible=max_possible, degree=degree, radius=radius, set_size=set_size,
        max_abs_entry=biggest,
        schwartz_zippel_bound=sz, a_priori_bound=ap, certified=checked, statement=stmt,
        seed=seed,
    )


def _check_shape(shape, what: str) -> tuple[int, ...]:
    if not isinstance(shape, tuple | list | torch.Size) or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape
    ):
        raise TypeError(f"{what} must be a tuple of non-negative integers, got {shape!r}")
    return tuple(shape)


def _positive_float(x: Fraction | int | float) -> float:
    """``float(x)``, but never 0.0 for a positive ``x`` (then the smallest positive float).

    >>> from fractions import Fraction
    >>> _positive_float(Fraction(1, 10**500)) > 0, _positive_float(0)
    (True, 0.0)
    """
    f = float(x)
    return math.ulp(0.0) if f == 0.0 and x > 0 else f
