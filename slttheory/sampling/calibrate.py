r"""Automatic step size from short vectorised pilots (candidates run as extra chains).

**SGLD / RMSProp-SGLD: a bias target.** For the Euler–Maruyama chain
:math:`w' = w - \frac{\varepsilon}{2}G\nabla U + \sqrt{\varepsilon G}\xi` the stationary law is
:math:`\pi_\varepsilon = \pi\,(1 + \varepsilon\psi + O(\varepsilon^2))` with
:math:`\psi = (\lVert\nabla U\rVert^2 - \Delta U)/8` (Abdulle, Vilmart & Zygalakis 2014,
SIAM J. Numer. Anal. 52(4), modified-equation analysis of the invariant measure; exact for a
Gaussian, where the chain's variance is :math:`1/(a(1-\varepsilon a/4))`). For a quadratic
potential with curvatures :math:`a_i` the bias of :math:`\hat\lambda = n\beta E[\Delta L]` is
:math:`\sum_i \tfrac12\cdot\tfrac{\varepsilon a_i}{4} = \tfrac{\varepsilon}{8}E_\pi[\nabla U^\top G
\nabla U]` (because :math:`E_\pi\lVert\nabla U\rVert^2 = E_\pi\Delta U`). Minibatch gradient noise
of covariance :math:`\Sigma` adds :math:`\tfrac{\varepsilon}{8}\operatorname{tr}(n\beta)^2\Sigma`,
which the *measured* :math:`E\lVert\nabla U_B\rVert^2` contains as well, so the same proxy

.. math::

    b(\varepsilon) = \frac{\varepsilon\,\overline{\nabla U^\top G\nabla U}}{8\,\hat\lambda}

estimates the relative bias with either gradient. The pilot picks
:math:`\varepsilon = \delta / \mathrm{median}_j\,(b_j/\varepsilon_j)` with target
:math:`\delta` (default 1 %).

**MALA: an acceptance target** (default 0.65; Roberts & Rosenthal 1998 give 0.574 as the
asymptotically optimal rate): the largest candidate below the first one with a replicate
short of it. Pilot chains start at :math:`w^*` and see less curvature than the production
chains will, so the estimator may still shrink ε on its production chains' burn-in
(``chains.MALA_ADAPT_STEPS``).

Round 1 scans :math:`\varepsilon \in 10^{-9}\ldots 10^{1}` (factor :math:`\sqrt{10}`) for
``ROUND1_STEPS`` steps; round 2 runs 2 replicates of 6 candidates within half a decade of the
round-1 choice for ``ROUND2_STEPS`` steps (``ROUND2_STEPS_MALA`` for MALA, whose acceptance
settles faster than a bias estimate). Chains start at :math:`w^*`; the stiff directions,
which carry the bias, equilibrate within :math:`O(1/(\varepsilon a))` steps, while slow
directions make :math:`\hat\lambda` (the denominator) low in a short pilot, erring towards a
smaller step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from slttheory.sampling._checks import open_unit_interval, positive_float
from slttheory.sampling.kernels import SAMPLERS, Potential

__all__ = ["StepSizeCalibration", "calibrate_step_size", "ROUND1_STEPS", "ROUND2_STEPS",
           "ROUND2_STEPS_MALA"]

ROUND1_STEPS = 100
ROUND2_STEPS = 300
ROUND2_STEPS_MALA = 100
ROUND1_GRID = tuple(10.0 ** (k / 2) for k in range(-18, 3))
LAMBDA_FLOOR = 0.1


@dataclass(frozen=True)
class StepSizeCalibration:
    """Result of the pilot: chosen ``step_size``, criterion, and the round-2 candidates/scores.

    ``scores`` are relative-bias estimates b(ε) (SGLD) or mean acceptance (MALA).
    """

    step_size: float
    criterion: str
    target: float
    candidates: tuple[float, ...]
    scores: tuple[float, ...]
    pilot_steps: int
    at_grid_edge: bool


def _pilot(sampler: str, potential: Potential, center: Tensor, eps: Tensor, n_steps: int,
           generator: torch.Generator, kernel_kwargs: dict) -> tuple[Tensor, Tensor, Tensor]:
    """Run ``len(eps)`` chains from ``center``; mean ΔL, gradient² and acceptance, 2nd half."""
    k = eps.shape[0]
    alg = SAMPLERS[sampler](potential, eps, **kernel_kwargs)
    state = alg.init(center.expand(k, -1).clone(), generator)
    zeros = torch.zeros(k, dtype=center.dtype, device=center.device)
    loss_sum, gsq_sum, acc_sum = zeros.clone(), zeros.clone(), zeros.clone()
    bad = torch.zeros(k, dtype=torch.bool, device=center.device)
    start = n_steps // 2
    for t in range(n_steps):
        state, info = alg.step(generator, state, diagnose=True)
        if t >= start:
            loss_sum += state.loss
            gsq_sum += info.grad_sq
            if info.acceptance_prob is not None:
                acc_sum += info.acceptance_prob
    bad |= ~torch.isfinite(state.position).all(-1) | ~torch.isfinite(loss_sum)
    m = n_steps - start
    return loss_sum / m, gsq_sum / m, torch.where(bad, torch.zeros_like(acc_sum), acc_sum / m)


def _bias_scores(eps: Tensor, mean_loss: Tensor, mean_gsq: Tensor, nbeta: float) -> Tensor:
    lam = torch.clamp(nbeta * mean_loss, min=LAMBDA_FLOOR)
    score = eps * mean_gsq / (8.0 * lam)
    # Diverged or exploding candidates (loss far above any λ ≤ d/2 scale) score +inf.
    ok = torch.isfinite(score) & torch.isfinite(mean_loss)
    return torch.where(ok, score, torch.full_like(score, math.inf))


def calibrate_step_size(
    potential: Potential,
    center: Tensor,
    *,
    sampler: str = "sgld",
    nbeta: float,
    generator: torch.Generator,
    target_bias: float = 0.01,
    target_acceptance: float = 0.65,
    kernel_kwargs: dict | None = None,
) -> StepSizeCalibration:
    """Choose the step size for ``sampler`` on ``potential`` (see the module docstring).

    >>> import torch
    >>> from slttheory.sampling.kernels import LocalizedPotential
    >>> pot = LocalizedPotential(lambda w, g: (0.5 * (w**2).sum(-1), w), nbeta=100.0,
    ...                          localization=0.0, center=torch.zeros(4))
    >>> cal = calibrate_step_size(pot, torch.zeros(4), nbeta=100.0,
    ...                           generator=torch.Generator().manual_seed(0))
    >>> 2e-4 < cal.step_size < 8e-4   # exact: 0.01 = eps * 100 / 4  ->  eps = 4e-4
    True
    """
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {sorted(SAMPLERS)}, got {sampler!r}")
    if not isinstance(center, Tensor) or not center.is_floating_point():
        raise TypeError(f"center must be a floating-point tensor, got {center!r}")
    own = getattr(potential, "center", None)  # the pilot chains start here: one position
    if center.ndim != 1 or (isinstance(own, Tensor) and own.shape != center.shape):
        raise ValueError("center must be one position of shape (d,)"
                         + (f" = {tuple(own.shape)}, the potential's" if isinstance(own, Tensor)
                            else "") + f", got shape {tuple(center.shape)}")
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {generator!r}")
    nbeta = positive_float("nbeta", nbeta)
    target_bias = open_unit_interval("target_bias", target_bias)
    target_acceptance = open_unit_interval("target_acceptance", target_acceptance)
    kw = dict(kernel_kwargs or {})
    dt, dev = center.dtype, center.device
    grid = torch.tensor(ROUND1_GRID, dtype=dt, device=dev)
    mala = sampler == "mala"
    loss1, gsq1, acc1 = _pilot(sampler, potential, center, grid, ROUND1_STEPS, generator, kw)
    if mala:
        passed = acc1 >= target_acceptance
    else:
        passed = _bias_scores(grid, loss1, gsq1, nbeta) <= target_bias
    idx = torch.nonzero(passed).flatten().tolist()
    # the largest passing candidate below the first failure (monotone in ε)
    j = -1
    for i in range(len(ROUND1_GRID)):
        if i in idx:
            j = i
        else:
            break
    if j < 0:
        j = 0
    base = ROUND1_GRID[j]
    cands = [base * 10.0 ** (k / 10) for k in (-5, -3, -1, 1, 3, 5)]
    eps2 = torch.tensor([c for c in cands for _ in range(2)], dtype=dt, device=dev)
    steps2 = ROUND2_STEPS_MALA if mala else ROUND2_STEPS
    loss2, gsq2, acc2 = _pilot(sampler, potential, center, eps2, steps2, generator, kw)
    if mala:
        # a candidate passes when both its replicates reach the target (one lucky replicate
        # of a too-large step would otherwise decide), and only below the first failure
        ok = (acc2.view(-1, 2) >= target_acceptance).all(1).tolist()
        first_bad = ok.index(False) if False in ok else len(ok)
        scores = acc2
        chosen = cands[first_bad - 1] if first_bad > 0 else float(eps2.min())
    else:
        scores = _bias_scores(eps2, loss2, gsq2, nbeta)
        good = torch.isfinite(scores) & (scores > 0)
        if bool(good.any()):
            slope = torch.median(scores[good] / eps2[good])
            chosen = float(target_bias / slope)
            chosen = min(max(chosen, float(eps2.min()) / 10), float(eps2.max()))
        else:
            chosen = float(eps2.min())
    edge = j == 0 or j == len(ROUND1_GRID) - 1
    return StepSizeCalibration(
        step_size=chosen,
        criterion="acceptance" if mala else "bias",
        target=target_acceptance if mala else target_bias,
        candidates=tuple(float(e) for e in eps2),
        scores=tuple(float(s) for s in scores),
        pilot_steps=ROUND1_STEPS * len(ROUND1_GRID) + steps2 * int(eps2.shape[0]),
        at_grid_edge=edge,
    )
