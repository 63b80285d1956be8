r"""The localisation term of the LLC estimand, computed from the curvature at w* and removed.

The estimator samples :math:`\propto \exp\{-t\,\Delta L(w) - \tfrac\gamma2\lVert w-w^*\rVert^2\}`
at :math:`t = n\beta` (:mod:`slttheory.sampling.estimator`). In a direction where
:math:`\Delta L` is quadratic with curvature h the tempered, localised posterior is Gaussian
with precision :math:`th + \gamma`, and that direction's share of
:math:`\hat\lambda(t) = t\,E_t[\Delta L]` is exactly

.. math::

    \tfrac12\,\frac{th}{th + \gamma} = \tfrac12 - \tfrac12\,\frac{\gamma}{th + \gamma},

so the prior that keeps flat directions bounded costs :math:`\tfrac12\gamma/(th+\gamma)` per
curved direction: of order :math:`\gamma/(2th)` once :math:`th \gg \gamma`, but close to ½
while th and γ are comparable — across a scan that spans a decade of t such a direction
bends the curve like a slow power law, which the finite-nβ fit then extrapolates
(docs/estimator.md §6: the line at n = 100, +8.7 %; a regular direction of curvature 0.05,
+30 %). By the splitting (Morse–Bott) lemma the directions of the Hessian's range at w* are
such quadratic directions to leading order, at regular and at singular points alike, and each
contributes ½ to λ; the flat directions carry the singular part and are left alone.

:func:`localisation_deficit` is that sum over the curved directions. The estimator adds it to
each temperature's λ̂ before the finite-nβ fit when the data are noise-free (then w* is an
exact zero of :math:`\Delta L\ge 0` and the Hessian is the Gauss–Newton matrix
:math:`J^\top(\nabla_o^2 L)J`, :func:`gauss_newton_spectrum`, whose
flat directions are exact zeros). With noisy data it does not: w* is an empirical minimiser,
its small curvatures are fitted noise that the population λ does not count, and on the
accuracy benchmark's noisy cases the correction moved a deep linear network from −0.1 % to
+19 % (docs/estimator.md §6).

What stays: the variation of the curvature across the flat directions (along a GL orbit the
normal curvature changes, and the estimand can cross λ from above), and all of the singular
part. Those are the finite-nβ fit's. The curved directions give no floor on the estimate: the
Gaussian prior has full support, so as t grows the estimand tends to the smallest λ over the
true parameters it weights, which can lie below k/2 at w* (a deep linear network with 17
curved directions at w* reads Aoyagi's 6.5; docs/estimator.md §6).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor
from torch.func import grad, jvp, vmap

from slttheory._inputs import call, held_fixed, leaves, map_inputs
from slttheory._torch_compat import load_forward_ad

__all__ = [
    "RESOLVED_FRACTION",
    "ROUNDOFF_RTOL",
    "MAX_DIM",
    "MAX_JACOBIAN_ENTRIES",
    "resolved_curvatures",
    "unresolved_curvatures",
    "localisation_deficit",
    "correction",
    "gauss_newton_spectrum",
    "numerical_rank",
    "ROUNDOFF_FLOOR",
    "NEARBY_SCALES",
    "nearby_ranks",
    "morse_bott_rank",
    "RESIDUAL_RTOL",
    "SPECTRAL_GAP",
    "gapless_cut",
    "nearby_gauss_newton",
    "nearby_residuals",
    "curvature_probe",
    "PROBE_RTOL",
    "residual_norm",
    "gauss_newton_matrix",
    "loss_hessian_matrix",
]

RESOLVED_FRACTION = 0.01
r"""A direction is corrected when :math:`t_0 h \ge` ``RESOLVED_FRACTION``·γ at the top
temperature :math:`t_0`. Below that its share of :math:`\hat\lambda(t_0)` is under 1 % of ½ at
every temperature of the scan, so the scan cannot tell it from a flat (singular) direction,
and a curvature that small at a numerically found w* may be one. All or nothing matters:
on the degree-5 polynomial (curvatures down to 6·10⁻⁴, t₀ = 145) correcting every direction
gave −0.7 %, leaving out the two smallest −22 % (a bent scan is worse than an unbent one)."""

ROUNDOFF_RTOL = 1e-12
"""Curvatures below this fraction of the largest are round-off of exact zeros. The spectrum is
computed in float64: an exact zero of G = JᵀHJ comes out at about d·2·10⁻¹⁶ of the largest
eigenvalue (the backward error of ``eigvalsh``; at d = 2000, the largest d the estimator
decomposes, 4·10⁻¹³), so 10⁻¹² keeps a margin above it. Until 2026-12-02 it was 10⁻¹⁰, which
counted a real curvature as zero: a SiLU network 2–4–1 at its own noise-free teacher point
(float64, n = 5000) has Gauss–Newton eigenvalues from 1.2 down to 1.1·10⁻¹⁰ (9·10⁻¹¹ of the
largest), so its rank read 16 at w* and 17 nearby, the Morse lemma was not applied, and
the scan read 4.89 ± 0.25 for λ = 17/2 with every diagnostic passing."""

MAX_DIM = 2000
"""Largest number of parameters for which the estimator computes the dense spectrum (a
d × d eigendecomposition and d Jacobian-vector products over the data); above it the scan
is fitted without the correction, and the estimate's diagnostics note it."""


MAX_JACOBIAN_ENTRIES = 50_000_000
"""Largest Jacobian (parameters × all outputs) :func:`gauss_newton_spectrum` holds in float64
(400 MB); it raises ``ValueError`` above, and the estimator fits the scan as sampled."""


def _split_curvatures(eigenvalues: Iterable[float], t0: float, gamma: float,
                      fraction: float = RESOLVED_FRACTION) -> tuple[np.ndarray, np.ndarray]:
    """The eigenvalues above round-off (:data:`ROUNDOFF_RTOL` of the largest), split into
    those the scan resolves (:math:`t_0 h \\ge` ``fraction``·γ, by default
    :data:`RESOLVED_FRACTION`) and the rest."""
    if not (math.isfinite(t0) and t0 > 0 and math.isfinite(gamma) and gamma > 0):
        raise ValueError(f"t0 and gamma must be positive and finite, got {t0}, {gamma}")
    h = np.asarray(list(eigenvalues), float)
    if h.size == 0 or not np.isfinite(h).all():
        raise ValueError("eigenvalues must be a non-empty finite sequence")
    curved = h > ROUNDOFF_RTOL * max(float(h.max()), 0.0)
    seen = h >= fraction * gamma / t0
    return h[curved & seen], h[curved & ~seen]


def resolved_curvatures(eigenvalues: Iterable[float], t0: float, gamma: float) -> np.ndarray:
    """The curvatures the correction uses: eigenvalues h with :math:`t_0 h \\ge`
    :data:`RESOLVED_FRACTION`·γ and above round-off (:data:`ROUNDOFF_RTOL` of the largest).

    >>> resolved_curvatures([2.0, 1e-3, 1e-9, 0.0, -1e-12], t0=145.0, gamma=1.0).tolist()
    [2.0, 0.001]
    >>> resolved_curvatures([2.0, 5e-5], t0=145.0, gamma=1.0).tolist()   # 145 · 5e-5 < 0.01
    [2.0]
    """
    return _split_curvatures(eigenvalues, t0, gamma)[0]


def unresolved_curvatures(eigenvalues: Iterable[float], t0: float, gamma: float,
                          fraction: float = RESOLVED_FRACTION) -> np.ndarray:
    """The curvatures above round-off that the scan does not resolve
    (:math:`t_0 h <` ``fraction``·γ, by default :data:`RESOLVED_FRACTION`): each adds ½ to λ
    if it stays curved and 0 if it lies along the zero set, which no feasible temperature
    tells apart. ``fraction = 1``: the directions the localisation holds more than the data.

    >>> unresolved_curvatures([2.0, 1e-3, 1e-9, 0.0, -1e-12], t0=145.0, gamma=1.0).tolist()
    [1e-09]
    >>> unresolved_curvatures([2.0, 1e-3, 1e-9], t0=145.0, gamma=1.0, fraction=1.0).tolist()
    [0.001, 1e-09]
    """
    return _split_curvatures(eigenvalues, t0, gamma, fraction)[1]


def localisation_deficit(curvatures: Iterable[float], nbeta: Iterable[float] | float,
                         gamma: float) -> np.ndarray:
    r""":math:`\tfrac12\sum_i \gamma/(t h_i + \gamma)` at each t of ``nbeta``: what the Gaussian
    localisation takes from :math:`\hat\lambda(t)` in the curved directions ``curvatures``
    (module docstring).

    For a quadratic loss the corrected estimand is exactly d/2 at every t:

    >>> h = np.array([1.0, 0.34])                   # the line y = 3x + 2 at n = 100
    >>> t = np.array([21.7, 2.17])
    >>> gauss = 0.5 * np.sum(t[:, None] * h / (t[:, None] * h + 1.0), axis=1)
    >>> np.round(gauss + localisation_deficit(h, t, 1.0), 12).tolist()
    [1.0, 1.0]
    """
    h = np.asarray(list(curvatures), float)
    t = np.atleast_1d(np.asarray(nbeta, float))
    if np.any(h < 0) or not np.isfinite(h).all():
        raise ValueError("curvatures must be finite and non-negative")
    if not (math.isfinite(gamma) and gamma > 0):
        raise ValueError(f"gamma must be positive and finite, got {gamma}")
    return 0.5 * np.sum(gamma / (t[:, None] * h[None, :] + gamma), axis=1)


def correction(eigenvalues: Iterable[float], nbeta: Iterable[float], gamma: float
               ) -> tuple[np.ndarray, int]:
    """The deficit :func:`localisation_deficit` at each temperature of a scan ``nbeta`` over
    the :func:`resolved_curvatures` of ``eigenvalues`` (resolved at the scan's top
    temperature), and how many curved directions that is: what the estimator adds to a
    noise-free scan.

    >>> c, k = correction([1.0, 0.34, 0.0], [21.7, 2.17], 1.0)
    >>> k, np.round(c, 3).tolist()
    (2, [0.082, 0.445])
    """
    t = np.atleast_1d(np.asarray(list(nbeta), float))
    h = resolved_curvatures(eigenvalues, float(t.max()), gamma)
    return localisation_deficit(h, t, gamma), int(h.size)


ROUNDOFF_FLOOR = 1e-20
"""Curvatures at or below this are zero whatever the largest one: a spectrum made only of
round-off (a Jacobian that vanishes at w* up to its last bits) has no rank."""


def numerical_rank(eigenvalues: Iterable[float]) -> int:
    """Eigenvalues above round-off — :data:`ROUNDOFF_RTOL` of the largest and
    :data:`ROUNDOFF_FLOOR` — of a float64 Gauss–Newton spectrum.

    >>> numerical_rank([2.0, 1e-5, 3e-33, -1e-17])
    2
    >>> numerical_rank([3e-30, 1e-31])   # round-off only
    0
    """
    h = np.asarray(list(eigenvalues), float)
    if h.size == 0 or not np.isfinite(h).all():
        raise ValueError("eigenvalues must be a non-empty finite sequence")
    return int(np.sum(h > max(ROUNDOFF_RTOL * float(h.max()), ROUNDOFF_FLOOR)))


NEARBY_SCALES = (0.01, 0.1, 1.0)
"""Relative sizes of the random displacements of w* at which :func:`nearby_ranks` measures
the Gauss–Newton rank (each times 1 + the root mean square of w*)."""


def nearby_ranks(model: torch.nn.Module, data: tuple[Tensor, Tensor],
                 per_sample_loss: Callable[[Tensor, Tensor], Tensor],
                 params: Iterable[str] | None = None,
                 generator: torch.Generator | None = None,
                 scales: Iterable[float] = NEARBY_SCALES,
                 gauss_newton: list[tuple[dict[str, Tensor], Tensor]] | None = None
                 ) -> tuple[int, ...]:
    """:func:`numerical_rank` of the Gauss–Newton matrix at w* + s·(1 + rms w*)·ξ, ξ standard
    normal from ``generator`` (default seed 0), for each s of ``scales``: the rank of the
    output map at generic points near w* (with probability one its generic rank, up to
    round-off). ``gauss_newton``: those points' :func:`nearby_gauss_newton`, when already
    computed. The model is not modified.

    >>> m = torch.nn.Linear(2, 1, bias=False)
    >>> x = torch.randn(20, 2, generator=torch.Generator().manual_seed(0))
    >>> nearby_ranks(m, (x, m(x).detach()), lambda o, y: 0.5 * ((o - y) ** 2).sum(-1))
    (2, 2, 2)
    """
    pairs = gauss_newton if gauss_newton is not None else nearby_gauss_newton(
        model, data, per_sample_loss, params, generator, scales)
    return tuple(numerical_rank(np.linalg.eigvalsh(g.cpu().numpy())) for _, g in pairs)


def nearby_gauss_newton(model: torch.nn.Module, data: tuple[Tensor, Tensor],
                        per_sample_loss: Callable[[Tensor, Tensor], Tensor],
                        params: Iterable[str] | None = None,
                        generator: torch.Generator | None = None,
                        scales: Iterable[float] = NEARBY_SCALES
                        ) -> list[tuple[dict[str, Tensor], Tensor]]:
    """``(point, Gauss–Newton matrix there)`` at the probe points of :func:`nearby_ranks`
    (w* + s·(1 + rms w*)·ξ), computed once for :func:`nearby_ranks` and
    :func:`nearby_residuals` alike."""
    names = _names(model, params)
    return [(at, gauss_newton_matrix(model, data, per_sample_loss, names, at=at))
            for at in _nearby_points(model, names, generator, scales)]


def nearby_residuals(model: torch.nn.Module, data: tuple[Tensor, Tensor],
                     per_sample_loss: Callable[[Tensor, Tensor], Tensor],
                     params: Iterable[str] | None = None,
                     generator: torch.Generator | None = None,
                     scales: Iterable[float] = NEARBY_SCALES,
                     gauss_newton: list[tuple[dict[str, Tensor], Tensor]] | None = None
                     ) -> tuple[float, ...]:
    r""":func:`residual_norm` :math:`\lVert H - G\rVert_2` at the points of
    :func:`nearby_ranks` (the same points for the same ``generator`` seed; ``gauss_newton``:
    their :func:`nearby_gauss_newton`, when already computed): zero at every
    point when the model's outputs are linear in the sampled parameters (then
    :math:`\nabla^2 f_i = 0` and the Hessian is the Gauss–Newton matrix everywhere), whatever
    the residuals; for a nonlinear model away from an exact zero it is not.

    >>> x = torch.randn(20, 2, generator=torch.Generator().manual_seed(0))
    >>> half_sq = lambda o, y: 0.5 * ((o - y) ** 2).sum(-1)
    >>> m = torch.nn.Linear(2, 1)
    >>> max(nearby_residuals(m, (x, torch.randn(20, 1)), half_sq)) < 1e-12
    True
    """
    names = _names(model, params)
    pairs = gauss_newton if gauss_newton is not None else nearby_gauss_newton(
        model, data, per_sample_loss, names, generator, scales)
    return tuple(residual_norm(g, loss_hessian_matrix(model, data, per_sample_loss, names, at=at))
                 for at, g in pairs)


PROBE_RTOL = 1e-8
""":func:`curvature_probe` above this: the outputs are not linear in the sampled parameters
(round-off gives ~1e-16 for linear ones; nonlinear models measure of order 1)."""


def curvature_probe(model: torch.nn.Module, data: tuple[Tensor, Tensor],
                    per_sample_loss: Callable[[Tensor, Tensor], Tensor],
                    params: Iterable[str] | None = None,
                    generator: torch.Generator | None = None, probes: int = 2) -> float:
    r"""The largest :math:`\lVert (H - G)v\rVert / \lVert Hv\rVert` over ``probes`` random
    directions v at a point as far out as :func:`nearby_ranks`' farthest, w* + (1 + rms w*)ξ
    (ξ the first draw of ``generator``, default seed 0): a screen for outputs
    linear in the sampled parameters (then H = G everywhere and the ratio is round-off) that
    costs a few Hessian–vector products, where :func:`nearby_residuals` needs full Hessians.

    >>> x = torch.randn(30, 2, generator=torch.Generator().manual_seed(0))
    >>> half_sq = lambda o, y: 0.5 * ((o - y) ** 2).sum(-1)
    >>> curvature_probe(torch.nn.Linear(2, 1), (x, torch.randn(30, 1)), half_sq) < 1e-12
    True
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    >>> curvature_probe(net, (x, torch.randn(30, 1)), half_sq) > 1e-3
    True
    """
    names = _names(model, params)
    at = _nearby_points(model, names, generator, (NEARBY_SCALES[-1],))[0]
    fl = _float64_loss(model, data, per_sample_loss, names, at)
    load_forward_ad()
    g_out = grad(fl.mean_loss)
    g_w = grad(lambda w: fl.mean_loss(fl.forward(w)))
    gen = torch.Generator().manual_seed(1)
    worst = 0.0
    with torch.enable_grad():
        pullback = torch.func.vjp(fl.forward, fl.center)[1]  # Jᵀ·, one forward pass
        for _ in range(probes):
            v = torch.randn(fl.center.shape, generator=gen, dtype=torch.float64).to(
                fl.center.device)
            hv = jvp(g_w, (fl.center,), (v,))[1]
            jv = jvp(fl.forward, (fl.center,), (v,))[1]
            u = jvp(g_out, (fl.outputs,), (jv,))[1]
            gv = pullback(u)[0]
            size = float(hv.norm())
            if size == 0.0 or not math.isfinite(size):
                return math.inf if not math.isfinite(size) else 0.0
            worst = max(worst, float((hv - gv).norm()) / size)
    return worst


def _names(model: torch.nn.Module, params: Iterable[str] | None) -> list[str]:
    return [k for k, _ in model.named_parameters()] if params is None else list(params)


def _nearby_points(model: torch.nn.Module, names: list[str],
                   generator: torch.Generator | None, scales: Iterable[float]
                   ) -> list[dict[str, Tensor]]:
    """The parameters at w* + s·(1 + rms w*)·ξ for each s of ``scales`` (ξ standard normal from
    ``generator``, default seed 0): the probe points of :func:`nearby_ranks`."""
    gen = generator if generator is not None else torch.Generator().manual_seed(0)
    named = dict(model.named_parameters())
    base = {k: named[k].detach().double().cpu() for k in names}
    rms = float(torch.cat([v.reshape(-1) for v in base.values()]).pow(2).mean().sqrt())
    return [{k: (v + s * (1.0 + rms) * torch.randn(v.shape, generator=gen,
                                                   dtype=torch.float64)).to(named[k].device)
             for k, v in base.items()} for s in scales]


RESIDUAL_RTOL = 1e-2
r""":func:`morse_bott_rank` takes w* for an exact zero when the residual part of the Hessian,
:math:`\lVert H - G\rVert_2`, is at most this fraction of the smallest nonzero Gauss–Newton
eigenvalue. Near a singular stratum both scale alike: reduced-rank regression (5,4,2),
r = 1, fitted to 3·10⁻¹² with both factors of rank 2, has Gauss–Newton rank 14 at w* and
nearby — the rank of a regular point — with smallest curvature 1.9·10⁻⁶ and a residual of the
same order however far the fit is refined; it is an approximate zero next to the singular
zeros (λ = 11/2, not 7). Measured (2026-12-01) on the noise-free fits of reduced-rank
regression (5,4,2), (4,3,2) and deep linear networks (3,2,2,3), r = 0, 1, 2, three seeds,
n = 200 and 2000, and the accuracy benchmark's cases: exact zeros (regular or Morse–Bott)
have ratios 2·10⁻¹⁶ to 5.6·10⁻⁴, the approximate zeros next to singular ones 1.1 to 800."""

SPECTRAL_GAP = 1e3
r""":func:`morse_bott_rank` reads a rank k < d only across a gap: its smallest kept curvature
at least this many times the largest (in absolute value) it counts as round-off. A cut
through a spectrum that decays without a gap is no rank: polynomial regression of degree 20
on x ∈ [−1, 1] (n = 1000), linear in its 21 coefficients and of full rank in exact
arithmetic (a Vandermonde design on distinct points), has float64 Gauss–Newton eigenvalues
falling by about a decade per index through :data:`ROUNDOFF_RTOL` (kept 3.7·10⁻¹² of the
largest, dropped 6.8·10⁻¹³: a ratio of 5.4; degree 32: 9.5), and without this test the
estimator returned λ = 18/2 "exactly" for 21/2 (degree 32: 21/2 for 33/2). Exact zeros of
the shipped families have ratios of 3.5·10¹³ (the six-layer DLN of the verifier's claims)
to 9·10¹⁴ (``benchmarks/spectral_gap.py``, 2026-12-05: noise-free RRR, DLN and low-rank
points; 5·10⁹ for reduced-rank regression (8,4,3), r = 1, until its true point changed)."""


def gapless_cut(eigenvalues: Iterable[float]) -> tuple[int, float, float] | None:
    """``(k, smallest kept, largest dropped)`` (both as fractions of the largest eigenvalue)
    where :func:`numerical_rank` cuts a spectrum at k < d with no :data:`SPECTRAL_GAP`
    between the kept and the dropped eigenvalues, else ``None`` (nothing dropped, or a gap).

    >>> gapless_cut([1.0, 1e-11, 3e-12, 4e-13])     # a decade apart through the threshold
    (3, 3e-12, 4e-13)
    >>> gapless_cut([1.0, 1e-3, 2e-16]) is None, gapless_cut([1.0, 1e-3]) is None
    (True, True)
    """
    h = np.sort(np.asarray(list(eigenvalues), float))
    k = numerical_rank(h)
    dropped = h[:h.size - k]
    if not dropped.size or k == 0:
        return None
    top, kept, worst = float(h[-1]), float(h[h.size - k]), float(np.abs(dropped).max())
    return None if kept >= SPECTRAL_GAP * worst else (k, kept / top, worst / top)


def residual_norm(gauss_newton: Tensor | np.ndarray, hessian: Tensor | np.ndarray) -> float:
    r""":math:`\lVert H - G\rVert_2`, the size of the residual term
    :math:`\tfrac1n\sum_i r_i\nabla^2 f_i` (zero at an exact zero of a squared loss).

    >>> residual_norm(np.eye(2), np.diag([1.0, 1.5]))
    0.5
    """
    diff = np.asarray(hessian, float) - np.asarray(gauss_newton, float)
    return float(np.linalg.norm(diff, 2)) if diff.size else 0.0


def morse_bott_rank(gauss_newton: Iterable[float], residual: float,
                    nearby: Iterable[int],
                    nearby_residual: Iterable[float] | None = None) -> int | None:
    r"""The rank k when w* of a noise-free loss is a *Morse–Bott zero* — its zeros near w*
    form a smooth manifold of codimension k along which :math:`K_n` is nondegenerate in the
    normal directions — else ``None``. Then λ = k/2 and m = 1 exactly (Morse–Bott lemma:
    in suitable coordinates :math:`K_n = \tfrac12\sum_{i\le k} y_i^2`, and
    :math:`\int e^{-tK_n}\varphi \sim c\,t^{-k/2}`); k = d is a nondegenerate minimum.

    With noisy data w* is no zero (the residuals are the noise), but the conclusion still
    holds when the outputs are *linear in the sampled parameters*: then
    :math:`\nabla^2 f_i = 0` and the Hessian equals the Gauss–Newton matrix at w* and at every
    point nearby, whatever the residuals (``nearby_residual``, :func:`nearby_residuals`, each
    at most the same tolerance; with noise the residual term of a nonlinear model is of the
    order of the noise times its curvature, and does not vanish). The model is then regular on
    its k identifiable directions (the loss a convex function of an affine map of w: for the
    squared loss exactly the Gauss–Newton quadratic), and λ = k/2, m = 1 for the population
    and the data alike.

    The conditions, each checked numerically in float64:

    * the output map has constant rank near w*: the Gauss–Newton rank k at w*
      (``gauss_newton``, its eigenvalues; :func:`numerical_rank`, k ≥ 1) is at least its rank
      at random points nearby (``nearby``, :func:`nearby_ranks`) — rank is lower
      semicontinuous, so then it is k on a neighbourhood, and by the constant-rank theorem the
      fibre through w* is a manifold of dimension d − k whose normal Hessian is the
      Gauss–Newton matrix on its range;
    * w* is an exact zero: the residual part of the Hessian (``residual``,
      :func:`residual_norm`) is at most :data:`RESIDUAL_RTOL` of the smallest nonzero
      Gauss–Newton eigenvalue;
    * the rank is a rank, not a cut through a decaying spectrum: where k < d the smallest
      kept eigenvalue is at least :data:`SPECTRAL_GAP` times every dropped one (in absolute
      value). Otherwise the float64 spectrum cannot tell tiny curvatures, each worth ½ of λ,
      from zeros.

    The local learning coefficient is λ(w*) = k/2 (Lau et al., arXiv:2308.12108, define it on
    a small neighbourhood of w*); zeros of lower λ farther away do not enter it.

    >>> morse_bott_rank([2.0, 1e-5], 1e-10, [2, 2])           # nondegenerate
    2
    >>> morse_bott_rank([2.0, 0.5, 1e-33], 1e-9, [2, 2])     # a smooth fibre
    2
    >>> morse_bott_rank([2.0, 1e-33], 1e-12, [1, 2])          # w* on a singular stratum
    >>> morse_bott_rank([2.0, 1e-5], 1e-6, [2, 2])            # only an approximate zero
    >>> morse_bott_rank([2.0, 1e-5], 1e-19, [2, 2], [1e-18, 1e-17])  # noisy, quadratic loss
    2
    >>> morse_bott_rank([2.0, 1e-5], 1e-19, [2, 2], [1e-18, 0.3])    # noisy, curved outputs
    >>> morse_bott_rank([1.0, 1e-11, 3e-12, 4e-13], 1e-20, [3, 3])   # no gap: no rank
    """
    h = np.sort(np.asarray(list(gauss_newton), float))
    near = list(nearby)
    if h.size == 0 or not near or not np.isfinite(h).all() or not math.isfinite(residual):
        return None
    k = numerical_rank(h)
    if k == 0 or max(near) > k:
        return None
    if gapless_cut(h) is not None:
        return None
    tol = RESIDUAL_RTOL * h[h.size - k]
    if nearby_residual is not None:
        far = [float(r) for r in nearby_residual]
        if not far or not all(math.isfinite(r) and r <= tol for r in far):
            return None
    return k if residual <= tol else None


def gauss_newton_spectrum(model: torch.nn.Module, data: tuple[Tensor, Tensor],
                          per_sample_loss: Callable[[Tensor, Tensor], Tensor],
                          params: Iterable[str] | None = None, chunk: int = 32,
                          at: Mapping[str, Tensor] | None = None) -> np.ndarray:
    r"""Eigenvalues (ascending, float64) of :func:`gauss_newton_matrix` (same arguments).

    >>> m = torch.nn.Linear(1, 1)
    >>> with torch.no_grad():
    ...     _ = m.weight.fill_(3.0), m.bias.fill_(2.0)
    >>> x = torch.linspace(-1, 1, 5).reshape(-1, 1)
    >>> half_sq = lambda o, y: 0.5 * ((o - y) ** 2).sum(-1)
    >>> np.round(gauss_newton_spectrum(m, (x, m(x).detach()), half_sq), 6).tolist()
    [0.5, 1.0]
    """
    g = gauss_newton_matrix(model, data, per_sample_loss, params, chunk, at)
    return np.linalg.eigvalsh(g.cpu().numpy())


class _Float64Loss(NamedTuple):
    """A model's loss as a function of its flat sampled parameters, in float64 on a copy."""

    center: Tensor  # w*, flat
    forward: Callable[[Tensor], Tensor]  # flat parameters -> all outputs
    mean_loss: Callable[[Tensor], Tensor]  # all outputs -> L_n
    outputs: Tensor  # forward(center)


def _float64_loss(model: torch.nn.Module, data: tuple[Tensor, Tensor],
                  per_sample_loss: Callable[[Tensor, Tensor], Tensor],
                  params: Iterable[str] | None, at: Mapping[str, Tensor] | None
                  ) -> _Float64Loss:
    x, y = data
    dev = leaves(x)[0].device

    def f64(t: Tensor) -> Tensor:
        return t.detach().to(dev, torch.float64) if t.is_floating_point() else t.detach().to(dev)

    named = dict(model.named_parameters())
    names = list(named) if params is None else list(params)
    unknown = [k for k in names if k not in named]
    if unknown or not names:
        raise ValueError(f"params: unknown parameter name(s) {unknown or '(empty)'}; valid "
                         f"names: {list(named)}")
    sel = {k: f64(named[k] if at is None else at[k]) for k in names}
    frozen = held_fixed(model, sel, f64)
    x64, y64 = map_inputs(f64, x), f64(y)
    shapes = [v.shape for v in sel.values()]
    sizes = [v.numel() for v in sel.values()]
    center = torch.cat([v.reshape(-1) for v in sel.values()])

    def forward(flat: Tensor) -> Tensor:
        parts = {k: t.view(s) for k, t, s in zip(sel, torch.split(flat, sizes), shapes,
                                                  strict=True)}
        return call(model, (parts, frozen), x64)

    with torch.no_grad():
        out = forward(center)
    if y64.is_floating_point() and y64.numel() == out.numel() and y64.shape != out.shape:
        y64 = y64.reshape(out.shape)

    def mean_loss(o: Tensor) -> Tensor:  # of all outputs: a loss may couple the samples
        return per_sample_loss(o, y64).mean()

    return _Float64Loss(center, forward, mean_loss, out)


def gauss_newton_matrix(model: torch.nn.Module, data: tuple[Tensor, Tensor],
                        per_sample_loss: Callable[[Tensor, Tensor], Tensor],
                        params: Iterable[str] | None = None, chunk: int = 32,
                        at: Mapping[str, Tensor] | None = None) -> Tensor:
    r"""The Gauss–Newton matrix
    :math:`G = J^\top(\nabla_o^2 L)J` (J the Jacobian of all outputs, L the mean of
    ``per_sample_loss`` as a function of them: :math:`\frac1n\sum_i J_i^\top\nabla_o^2\ell_i
    J_i` for a loss that is a sum over samples, and right also for one that couples them, such
    as a centred loss) at the model's parameters (``params``: the names sampled, default all;
    ``at``: other values for them, the model's own by default), computed in float64 on a copy;
    symmetrised, d × d. At an exact zero of a non-negative loss G is the Hessian, and its zero
    eigenvalues are exact (the residual term :math:`\sum_i r_i\nabla^2 f_i` that a float32
    fit leaves in the full Hessian at about 10⁻⁶ is absent; :func:`loss_hessian_matrix` has it).

    >>> m = torch.nn.Linear(1, 1, bias=False)
    >>> half_sq = lambda o, y: 0.5 * ((o - y) ** 2).sum(-1)
    >>> gauss_newton_matrix(m, (torch.ones(4, 1), torch.zeros(4, 1)), half_sq).tolist()
    [[1.0]]
    """
    fl = _float64_loss(model, data, per_sample_loss, params, at)
    center, out = fl.center, fl.outputs
    d = center.numel()
    if d * out.numel() > MAX_JACOBIAN_ENTRIES:
        raise ValueError(f"gauss_newton_matrix: a {d} × {out.numel()} Jacobian is above "
                         f"MAX_JACOBIAN_ENTRIES = {MAX_JACOBIAN_ENTRIES}")
    g_out = grad(fl.mean_loss)
    load_forward_ad()

    def jv(v: Tensor) -> Tensor:  # J v, (n, ...) like the outputs
        return jvp(fl.forward, (center,), (v,))[1]

    def hv(u: Tensor) -> Tensor:  # (∇²_o L) u
        return jvp(g_out, (out,), (u,))[1]

    eye = torch.eye(d, dtype=torch.float64, device=center.device)
    jac = torch.cat([vmap(jv)(eye[i:i + chunk]) for i in range(0, d, chunk)])  # (d, n, ...)
    hjac = torch.cat([vmap(hv)(jac[i:i + chunk]) for i in range(0, d, chunk)])
    g = jac.reshape(d, -1) @ hjac.reshape(d, -1).T
    return 0.5 * (g + g.T)


def loss_hessian_matrix(model: torch.nn.Module, data: tuple[Tensor, Tensor],
                        per_sample_loss: Callable[[Tensor, Tensor], Tensor],
                        params: Iterable[str] | None = None,
                        at: Mapping[str, Tensor] | None = None) -> Tensor:
    r"""The full Hessian of :math:`L_n` at the model's parameters (``params``: the names
    sampled; ``at``: other values for them), float64 on a copy (``torch.func.hessian``),
    symmetrised, d × d: the Gauss–Newton matrix plus the residual term (:func:`residual_norm`).

    >>> m = torch.nn.Linear(1, 1, bias=False)
    >>> half_sq = lambda o, y: 0.5 * ((o - y) ** 2).sum(-1)
    >>> loss_hessian_matrix(m, (torch.ones(4, 1), torch.zeros(4, 1)), half_sq).tolist()
    [[1.0]]
    """
    fl = _float64_loss(model, data, per_sample_loss, params, at)
    load_forward_ad()
    with torch.enable_grad():
        h = torch.func.hessian(lambda w: fl.mean_loss(fl.forward(w)))(fl.center).detach()
    return 0.5 * (h + h.T)
