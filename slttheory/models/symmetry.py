r"""Symmetry orbits through w*: a certified *upper* bound on λ.

If K vanishes on a smooth submanifold S ∋ w* of dimension s (e.g. the orbit of a group of
reparametrisations that leave the model's function unchanged), then near w*, in coordinates
(u along S, v across it), K(u, v) ≤ C‖v‖² (K is analytic, ≥ 0 and zero on S), so
{K < ε} contains a tube of volume ≍ ε^{(d−s)/2} and

.. math:: \lambda(w^*) \le (d - s)/2 .

Unlike "generic rank/2" (which over ℝ is no bound at special points), this needs only an
orbit we can exhibit. For seed 001's quadratic network f(x) = Σ_k v_k (w_kᵀx [+ b_k])² [+ c]
(Cullen et al. 2026, arXiv:2603.01192, §3):

- **scaling**, every unit: (w_k, b_k, v_k) ↦ (t w_k, t b_k, t⁻² v_k), tangent (w_k, b_k, −2 v_k);
- **one-hot shift**, on one-hot pair inputs x = [e_a; e_b] without hidden bias: with
  w_k = (u_k, z_k), (u_k, z_k) ↦ (u_k + c·1, z_k − c·1) keeps u_{k,a} + z_{k,b} for every (a, b),
  tangent (1, −1, 0);
- a unit with v_k = 0 leaves f unchanged whatever its w_k (and b_k): all of them are free;
- **rotations**, one output (p = 1): f = x̃ᵀ W̃ diag(v) W̃ᵀ x̃ with x̃ = (x, 1), W̃ = (W; bᵀ), is
  unchanged by W̃ ↦ W̃A for every A of the group preserving diag(v) (an indefinite orthogonal
  group O(q, K − q) on the live units, q of them with v_k > 0); its Lie algebra has the basis
  B = v_i E_ij − v_j E_ji (i < j), tangent δw̃_j = v_i w̃_i, δw̃_i = −v_j w̃_j:
  K_live(K_live − 1)/2 directions, the fibre of W diag(v) Wᵀ beyond the scalings (the rank
  dK − K(K − 1)/2 that remains is App. G.1's count for p = 1);
- the **output constant** c, under seed 001's centred loss (eq. 1), which sees f modulo
  constants: K is unchanged along c, p directions.

Each is a vector field along which f (or, for c, the centred loss) is constant: everywhere,
except the dead units' coordinate fields, which are symmetries only where v_k = 0 — a set every
one of these flows preserves (scalings multiply v_k, the others leave v alone). So the orbit of
their flows through w* is an immersed submanifold on which K is constant
(Sussmann's orbit theorem), of dimension at least the rank of these tangent vectors at w*.
That rank is computed exactly over ℚ from the floating-point w* (every float64 is a
rational; python-flint), so the bound is certified. Each tangent is also checked at w* on the
problem's inputs (:func:`check_tangents`: J(w*)·t = 0 in float64, for c modulo constants), a
guard against a wrong formula, which would overstate s and refute as certified.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import flint
import torch

__all__ = ["quadratic_orbit", "modular_orbit", "exact_orbit_tangents", "orbit_tangents",
           "exact_rank_of", "check_tangents"]


def exact_orbit_tangents(model: Any, *, one_hot: bool = False, centred: bool = False
                         ) -> tuple[list[list[Fraction]], dict[str, int]]:
    """The symmetry tangent vectors at the model's parameters, as exact rationals (rows, flat
    over ``model.named_parameters()``; every float parameter read as the rational it is, and
    every product exact), and how many of each kind: ``scaling``, ``shift`` (one-hot inputs,
    no hidden bias), ``dead`` (w- and b-coordinates of units with v_k = 0), ``rotation``
    (p = 1), ``constant`` (the output constant c under the centred loss). Exact, because a
    rotation entry v_i·w_ik rounded in float64 can raise the rank: a w* whose live columns of
    W̃ are parallel read one orbit dimension more than it has (a review)."""
    named = {n: [Fraction(float(x)) for x in prm.detach().reshape(-1).tolist()]
             for n, prm in model.named_parameters()}
    offsets, at = {}, 0
    for name, flat in named.items():
        offsets[name] = at
        at += len(flat)
    d, k = model.W.shape
    p = model.V.shape[0]
    has_b = "b" in named

    def W(m: int, j: int) -> Fraction:  # W is (d, k), flat row-major
        return named["W"][m * k + j]

    def V(o: int, j: int) -> Fraction:
        return named["V"][o * k + j]

    def unit_row(j: int, w: list[Fraction], bj: Fraction = Fraction(0),
                 v: list[Fraction] | None = None) -> list[Fraction]:
        """A row moving unit j only: δw_j = w, δb_j = bj, δv_j = v."""
        row = [Fraction(0)] * at
        for m in range(d):
            row[offsets["W"] + m * k + j] = w[m]
        if has_b:
            row[offsets["b"] + j] = bj
        for o, x in enumerate(v or ()):
            row[offsets["V"] + o * k + j] = x
        return row

    alive = [j for j in range(k) if any(V(o, j) != 0 for o in range(p))]
    rows, counts = [], {"scaling": 0, "shift": 0, "dead": 0, "rotation": 0, "constant": 0}
    for j in alive:  # (w_j, b_j, −2 v_j)
        rows.append(unit_row(j, [W(m, j) for m in range(d)],
                             named["b"][j] if has_b else Fraction(0),
                             [-2 * V(o, j) for o in range(p)]))
        counts["scaling"] += 1
        if one_hot and not has_b and d % 2 == 0:  # (1, −1) on the two one-hot halves
            rows.append(unit_row(j, [Fraction(1)] * (d // 2) + [Fraction(-1)] * (d // 2)))
            counts["shift"] += 1
    for j in (j for j in range(k) if j not in alive):  # every w- and b-coordinate
        for i in range(d + (1 if has_b else 0)):
            e = [Fraction(int(m == i)) for m in range(d)]
            rows.append(unit_row(j, e, Fraction(int(i == d))))
            counts["dead"] += 1
    if p == 1:  # B = v_i E_ij − v_j E_ji: δw̃_j = v_i w̃_i, δw̃_i = −v_j w̃_j
        for a, i in enumerate(alive):
            for j in alive[a + 1:]:
                vi, vj = V(0, i), V(0, j)
                row_j = unit_row(j, [vi * W(m, i) for m in range(d)],
                                 vi * named["b"][i] if has_b else Fraction(0))
                row_i = unit_row(i, [-vj * W(m, j) for m in range(d)],
                                 -vj * named["b"][j] if has_b else Fraction(0))
                rows.append([x + y for x, y in zip(row_j, row_i, strict=True)])
                counts["rotation"] += 1
    if centred and "c" in named:
        for i in range(len(named["c"])):
            row = [Fraction(0)] * at
            row[offsets["c"] + i] = Fraction(1)
            rows.append(row)
            counts["constant"] += 1
    return rows, counts


def orbit_tangents(model: Any, *, one_hot: bool = False, centred: bool = False
                   ) -> tuple[torch.Tensor, dict[str, int]]:
    """:func:`exact_orbit_tangents` as a float64 tensor (rows), and the counts: for the
    first-order check of :func:`check_tangents`; the orbit's dimension is the exact rows'
    rank (:func:`exact_rank_of`)."""
    rows, counts = exact_orbit_tangents(model, one_hot=one_hot, centred=centred)
    return _as_floats(rows, sum(prm.numel() for prm in model.parameters())), counts


def _as_floats(rows: list[list[Fraction]], width: int) -> torch.Tensor:
    """Exact rows as a float64 tensor (``(0, width)`` where there are none)."""
    return (torch.tensor([[float(x) for x in row] for row in rows], dtype=torch.float64)
            if rows else torch.zeros(0, width, dtype=torch.float64))


def exact_rank_of(rows: list[list[Fraction]]) -> int:
    """Rank over ℚ of rows of rationals (python-flint).

    >>> from fractions import Fraction as F
    >>> exact_rank_of([[F(1, 3), F(2, 3)], [F(1), F(2)]]), exact_rank_of([])
    (1, 0)
    """
    if not rows:
        return 0
    m = flint.fmpq_mat(len(rows), len(rows[0]),
                       [flint.fmpq(x.numerator, x.denominator) for row in rows for x in row])
    return int(m.rref()[1])


def check_tangents(model: Any, x: torch.Tensor, tangents: torch.Tensor, centred: bool,
                   rtol: float = 1e-8) -> None:
    """``ValueError`` unless every tangent t leaves the outputs on ``x`` unchanged to first
    order: max |J(w*)·t| ≤ ``rtol``·(max |f| + 1)·(max |t| + 1) in float64 (J·t and f both
    modulo a constant per output where ``centred``), far above rounding and far below a wrong
    formula's O(max |f|). The tolerance is relative to the largest output: a wrong tangent
    moving only a unit whose share of f is below ``rtol`` of it (or, with f and t ≪ 1, below
    ``rtol`` absolutely) is not caught."""
    from torch.func import functional_call, jvp

    names = [n for n, _ in model.named_parameters()]
    prims = tuple(p.detach().double() for _, p in model.named_parameters())
    xs = x.detach().double()

    def f(*ps: torch.Tensor) -> torch.Tensor:
        return functional_call(model, dict(zip(names, ps, strict=True)), (xs,))

    sizes = [p.numel() for p in prims]
    y0 = f(*prims)
    if centred:  # the loss sees f modulo constants: a large c (free there) must not
        y0 = y0 - y0.mean(dim=0, keepdim=True)  # widen the tolerance (c = 1e9 had)
    scale = float(y0.abs().max()) + 1.0
    for t in tangents:
        parts = tuple(c.reshape(p.shape) for c, p in zip(torch.split(t, sizes), prims,
                                                          strict=True))
        out = jvp(f, prims, parts)[1]
        if centred:
            out = out - out.mean(dim=0, keepdim=True)
        moved = float(out.abs().max())
        if moved > rtol * scale * (float(t.abs().max()) + 1.0):
            raise ValueError(f"a symmetry tangent moves the model's outputs at w* (|J·t| = "
                             f"{moved:.3g}): the orbit formula is wrong for this model")


def _orbit(problem: Any, one_hot: bool) -> tuple[int, int, str]:
    from slttheory.losses import centred_gaussian_nll

    model = problem.model
    centred = getattr(problem, "loss", None) is centred_gaussian_nll
    rows, counts = exact_orbit_tangents(model, one_hot=one_hot, centred=centred)
    n_params = sum(p.numel() for p in model.parameters())
    if getattr(problem, "data", None) is not None:  # the same rows, in float64
        check_tangents(model, problem.data[0], _as_floats(rows, n_params), centred)
    s = exact_rank_of(rows)
    words = {"scaling": "scaling", "shift": "one-hot shift",
             "dead": "free w-coordinates of units with v_k = 0",
             "rotation": "rotations preserving diag(v) (p = 1)",
             "constant": "output constant c, unseen by the centred loss"}
    parts = " + ".join(f"{n} {words[kind]}" for kind, n in counts.items() if n)
    how = f"{parts or 'no tangent'}; their rank at w* (exact over ℚ) = {s}"
    return s, n_params, how


def quadratic_orbit(problem: Any) -> tuple[int, int, str]:
    """``(s, d, how)`` for ``quadratic_network``: scalings, and with one output the rotations
    preserving diag(v); the output constant under the centred loss (inputs are generic).

    >>> import torch
    >>> from slttheory.models import QuadraticNetwork
    >>> m = QuadraticNetwork(3, 2, 1)             # d = 3, K = 2, p = 1: 8 parameters
    >>> with torch.no_grad():
    ...     _ = m.W.copy_(torch.tensor([[1., 0.], [2., 1.], [0., 3.]])), m.V.fill_(1.0)
    >>> s, d, how = quadratic_orbit(type("P", (), {"model": m})())
    >>> s, d, (d - s) / 2             # K + K(K − 1)/2 = 3: λ ≤ (dK − K(K − 1)/2)/2 = 5/2
    (3, 8, 2.5)
    >>> how.split("; ")
    ['2 scaling + 1 rotations preserving diag(v) (p = 1)', 'their rank at w* (exact over ℚ) = 3']
    """
    return _orbit(problem, one_hot=False)


def modular_orbit(problem: Any) -> tuple[int, int, str]:
    """``(s, d, how)`` on one-hot pair inputs: scaling and the one-hot shift per live unit, so
    λ ≤ K(3p − 2)/2 when every unit is live (d = 3pK parameters).

    >>> import torch
    >>> from slttheory.models import QuadraticNetwork
    >>> m = QuadraticNetwork(10, 4, 5)       # p = 5: d = 2p inputs, p outputs, K = 4
    >>> with torch.no_grad():
    ...     _ = m.W.fill_(1.0), m.V.fill_(1.0)
    >>> s, d, _ = modular_orbit(type("P", (), {"model": m})())
    >>> s, d, (d - s) / 2                  # K(3p - 2)/2 = 26 < K(3p - 1)/2 = 28
    (8, 60, 26.0)
    """
    return _orbit(problem, one_hot=True)
