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

Each is a vector field along which f (or, for c, the centred loss) is constant everywhere, so
the orbit of their flows through w* is an immersed submanifold on which K is constant
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

__all__ = ["quadratic_orbit", "modular_orbit", "orbit_tangents", "check_tangents"]


def orbit_tangents(model: Any, *, one_hot: bool = False, centred: bool = False
                   ) -> tuple[torch.Tensor, dict[str, int]]:
    """The symmetry tangent vectors at the model's parameters (rows, flat over
    ``model.parameters()``), and how many of each kind: ``scaling``, ``shift`` (one-hot
    inputs, no hidden bias), ``dead`` (w-coordinates of units with v_k = 0), ``rotation``
    (p = 1), ``constant`` (the output constant c under the centred loss)."""
    named = dict(model.named_parameters())
    offsets, at = {}, 0
    for name, prm in named.items():
        offsets[name] = at
        at += prm.numel()
    W, V = named["W"].detach().double(), named["V"].detach().double()
    b = named["b"].detach().double() if "b" in named else None
    d, k = W.shape
    p = V.shape[0]

    def vec(parts: dict[str, torch.Tensor]) -> torch.Tensor:
        out = torch.zeros(at, dtype=torch.float64)
        for name, t in parts.items():
            out[offsets[name]:offsets[name] + t.numel()] = t.reshape(-1)
        return out

    def unit(j: int, w: torch.Tensor, bj: float | None = None,
             v: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        dW = torch.zeros(d, k, dtype=torch.float64)
        dW[:, j] = w
        parts = {"W": dW}
        if b is not None:
            db = torch.zeros(k, dtype=torch.float64)
            db[j] = 0.0 if bj is None else bj
            parts["b"] = db
        if v is not None:
            dV = torch.zeros(p, k, dtype=torch.float64)
            dV[:, j] = v
            parts["V"] = dV
        return parts

    alive = [j for j in range(k) if bool((V[:, j] != 0).any())]
    rows, counts = [], {"scaling": 0, "shift": 0, "dead": 0, "rotation": 0, "constant": 0}
    for j in alive:
        rows.append(vec(unit(j, W[:, j], None if b is None else float(b[j]), -2.0 * V[:, j])))
        counts["scaling"] += 1
        if one_hot and b is None and d % 2 == 0:
            half = d // 2
            rows.append(vec(unit(j, torch.cat([torch.ones(half), -torch.ones(half)]).double())))
            counts["shift"] += 1
    for j in (j for j in range(k) if j not in alive):
        for i in range(d + (1 if b is not None else 0)):
            e = torch.zeros(d, dtype=torch.float64)
            bj = None
            if i < d:
                e[i] = 1.0
            else:
                bj = 1.0
            rows.append(vec(unit(j, e, bj)))
            counts["dead"] += 1
    if p == 1:
        v = V[0]
        for a, i in enumerate(alive):
            for j in alive[a + 1:]:
                parts_j = unit(j, v[i] * W[:, i], None if b is None else float(v[i] * b[i]))
                parts_i = unit(i, -v[j] * W[:, j], None if b is None else float(-v[j] * b[j]))
                rows.append(vec(parts_j) + vec(parts_i))
                counts["rotation"] += 1
    if centred and "c" in named:
        for i in range(named["c"].numel()):
            dc = torch.zeros(named["c"].numel(), dtype=torch.float64)
            dc[i] = 1.0
            rows.append(vec({"c": dc}))
            counts["constant"] += 1
    tangents = torch.stack(rows) if rows else torch.zeros(0, at, dtype=torch.float64)
    return tangents, counts


def _exact_rank(rows: torch.Tensor) -> int:
    """Rank over ℚ of a float64 matrix, every entry read as the rational it is."""
    if rows.numel() == 0:
        return 0
    fr = [Fraction(float(x)) for x in rows.reshape(-1).tolist()]
    m = flint.fmpq_mat(rows.shape[0], rows.shape[1],
                       [flint.fmpq(f.numerator, f.denominator) for f in fr])
    return int(m.rref()[1])


def check_tangents(model: Any, x: torch.Tensor, tangents: torch.Tensor, centred: bool,
                   rtol: float = 1e-8) -> None:
    """``ValueError`` unless every tangent t leaves the outputs on ``x`` unchanged to first
    order: max |J(w*)·t| ≤ ``rtol``·(max |f| + 1)·(max |t| + 1) in float64 (modulo a
    constant per output where ``centred``), far above rounding and far below a wrong formula's
    O(max |f|)."""
    from torch.func import functional_call, jvp

    names = [n for n, _ in model.named_parameters()]
    prims = tuple(p.detach().double() for _, p in model.named_parameters())
    xs = x.detach().double()

    def f(*ps: torch.Tensor) -> torch.Tensor:
        return functional_call(model, dict(zip(names, ps, strict=True)), (xs,))

    sizes = [p.numel() for p in prims]
    scale = float(f(*prims).abs().max()) + 1.0
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
    tangents, counts = orbit_tangents(model, one_hot=one_hot, centred=centred)
    if getattr(problem, "data", None) is not None:
        check_tangents(model, problem.data[0], tangents, centred)
    s = _exact_rank(tangents)
    n_params = sum(p.numel() for p in model.parameters())
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
