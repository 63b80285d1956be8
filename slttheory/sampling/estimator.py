r"""Local learning coefficient (LLC), WBIC and a multi-temperature estimator.

The LLC estimator (Lau et al., "The local learning coefficient", arXiv:2308.12108, §3,
Definition 3 and eq. 8):

.. math::

    \hat\lambda(w^*) = n\beta\,\bigl(E_{w\mid w^*,\beta,\gamma}[L_n(w)] - L_n(w^*)\bigr),
    \qquad \beta = 1/\log n,

the expectation over the localized tempered posterior
:math:`\propto \exp\{-n\beta L_n(w) - \tfrac{\gamma}{2}\lVert w-w^*\rVert^2\}`, sampled by the
kernels of :mod:`slttheory.sampling.kernels` with all chains in one ``torch.func.vmap`` call.

Conventions (documented choices):

* **Loss.** ``L_n(w)`` is the mean per-sample negative log-likelihood. ``"gaussian"``:
  :math:`\tfrac12\lVert y - f(x)\rVert^2` summed over output dimensions (unit variance,
  constants dropped); ``"cross_entropy"``: :math:`-\log\mathrm{softmax}(f(x))_y`; a callable
  ``loss(outputs, targets)`` must return the ``(n,)`` per-sample NLLs.
* **What is recorded.** The kernels work with :math:`\Delta L(w) = \frac1{|B|}\sum_{i\in B}
  (\ell_i(w) - \ell_i(w^*))` with the per-sample :math:`\ell_i(w^*)` precomputed once. Full
  batch this is exactly :math:`L_n(w)-L_n(w^*)`; with a minibatch it is the minibatch loss with
  :math:`L_B(w^*)` taken *on the same batch*, an unbiased estimate of
  :math:`L_n(w)-L_n(w^*)` (the batch is drawn independently of :math:`w_t`) whose noise
  cancels to first order in :math:`w-w^*` (devinterp's separately-estimated, correlated
  baseline ``init_loss`` does not cancel). ``loss_trace`` reports
  :math:`L_n(w^*) + \Delta L`.
* **Batch.** ``batch_size=None`` means full batch when the data have at most
  ``AUTO_FULL_BATCH_MAX`` samples, else minibatches of ``AUTO_BATCH_SIZE`` drawn with
  replacement from the generator.
* **Localization.** ``localization=None`` gives :math:`\gamma = 1` (a unit Gaussian prior at
  :math:`w^*`, as in Lau et al.'s experiments and devinterp's tests). It is positive so the flat
  directions of singular models stay bounded; its effect on a direction of curvature ``h`` is a
  relative bias :math:`-\gamma/(n\beta h)` (for well-conditioned regular models at n = 1000
  under 1 %; but the degree-5 polynomial on [−1, 1] has h down to 6·10⁻⁴, so exactly
  :math:`\sum_i \tfrac12 n\beta h_i/(n\beta h_i+\gamma)` = 2.08 instead of 3, and the line
  at n = 100 gives 0.92 instead of 1).
* **Sampler.** ``sampler="auto"`` is MALA at full batch (the default batch up to
  ``AUTO_FULL_BATCH_MAX`` samples) and SGLD with minibatches (MALA needs the exact
  potential). MALA targets the posterior exactly (Metropolis–Hastings), so it has no
  discretisation bias, and a move into a region too stiff for the step is rejected instead
  of diverging. Why it is the default (``benchmarks/mixing.py``, n = 1000, every setting at
  its default, data seeds 0 and 1): SGLD's step is limited by its 2 % bias target, and at
  points with a continuous symmetry (RRR and deep linear networks at full rank: the GL(r)
  orbit is flat, only γ bounds it) the chains drift along the orbit for thousands of steps
  while the mean loss, and SGLD's bias, depend on where on the orbit they are (RRR (5,4,2,2):
  the loss's mean varies by ±0.3 over the orbit, whose coordinate has an autocorrelation
  time of about 2000 steps). Steps per chain to the adaptive stopping rule, SGLD → MALA:
  RRR (5,4,2,2) 33000/9000 → 22700/19700, DLN (3,2,3) r = 2 33000/33000 → 3300/8000,
  DLN (3,2,2,3) r = 2 33000 (bias 8 %, a divergent chain) → 8200/17700, RRR (5,5,3,0)
  7800/7100 → 2000/2000, normal crossing 34000 (MC error above target) → 32000 (ESS 8300);
  R-hat ≤ 1.05 and ESS ≥ 100 in every case with MALA.
* **Step size.** ``step_size=None`` calibrates it (:mod:`slttheory.sampling.calibrate`) to a
  ``TARGET_BIAS`` (2 %) first-order discretisation bias (SGLD, RMSProp-SGLD) or a 0.65
  acceptance rate (MALA). SGLD then re-checks the bias on warm-up blocks of the production
  chains (singular points, where the pilot starts at a zero gradient, need this); MALA may
  shrink ε on the first half of its burn-in (at most ``MALA_ADAPT_STEPS`` steps) while its
  chains accept less than ``MALA_ACCEPT_FLOOR`` (:func:`_mala_shrink`). ε never grows there:
  growing it to the target acceptance on the production chains made singular points mix
  worse (normal crossing: ESS 52 instead of thousands).
* **Step jitter.** ``step_jitter=None``: each MALA step uses :math:`\varepsilon e^{j(2u-1)}`,
  u ~ U(0, 1) drawn independently of the state, j = :data:`DEFAULT_STEP_JITTER` = log 10 — a
  mixture of exact MALA kernels, so the target is unchanged (Neal 2011, *MCMC using
  Hamiltonian dynamics*, §5.4.2.2, the same device for HMC). Near a singular point the
  curvature across the zero set grows without bound along it, so no single ε both moves
  near the crossing and is accepted far out on an arm: at the noise-free normal crossing
  u·v, n = 10 000, plain MALA missed its own exact target G(t₀) by 8.9 Monte-Carlo errors
  while R-hat and ESS passed; jittered MALA read it within 0.5 (``benchmarks/estimand.py``).
  Chosen on the selection half of ``benchmarks/accuracy.py`` (docs/estimator.md §6).
* **Preconditioner.** ``preconditioner=None``: the kernels run in parameter units.
  ``"dense"``/``"diagonal"`` run them in the coordinates of the curvature at :math:`w^*`
  (:mod:`slttheory.sampling.precondition`; exact, a linear change of variables). Not the
  default: along a GL orbit the stiff directions rotate, so a constant preconditioner from
  :math:`w^*` is wrong over most of the posterior (MALA acceptance 0.21 instead of the 0.65
  calibrated at :math:`w^*`; R-hat 1.05 after 32000 steps at RRR (5,4,2,2)).
* **Speed.** Each sampler step (proposal, vectorised loss and gradient, MH test) runs as one
  graph traced by ``make_fx`` (:func:`~slttheory.sampling.kernels.fused_kernel`), without
  the per-operation cost of ``vmap``'s batching rules and the autograd engine, and run by
  TorchScript's C++ executor where that reproduces the graph bit for bit: an SGLD step
  costs 0.13–0.2× and a MALA step 0.24–0.29× an eager vmapped batched gradient on the
  devinterp benchmark models (CPU time, ``benchmarks/step_cost.py``, 2026-12-01). The first
  traced step of a process imports torch's tracing machinery (about 1 s of CPU, once).
* **Draws.** ``draws=None`` runs until the Monte-Carlo standard error is at most
  ``AUTO_TARGET_RSE`` (2 %) of :math:`|\hat\lambda|`, R-hat ≤ ``RHAT_MAX`` and the halves of the
  kept trace agree (|z| ≤ 3), at every temperature of a scan, starting at ``AUTO_MIN_STEPS``
  steps per chain and growing up to ``AUTO_MAX_STEPS`` (by the factor the measured MC error
  asks for, (se/target)² with a 15 % margin, 1.25× to 4× per round; 2× when R-hat or
  stationarity fails); the first quarter of the steps is burn-in (``burn_in=None``). Given
  ``draws`` and ``burn_in=None``, the burn-in is ``draws // 3``. At a Morse–Bott zero of
  noise-free data, where ``llc`` = k/2 is known before sampling, the scan is a record and
  stops once R-hat, stationarity and ESS ≥ 100 hold, with no MC target
  (:func:`_converged_record`).
* **Method** (``method=``; docs/estimator.md has the derivations). ``"single"``: λ̂ at
  :math:`t_0 = n\beta` — the finite-t value of the estimand, not λ: with
  :math:`Z(t)=\int e^{-t\Delta L}\varphi`, :math:`\hat\lambda(t) = -d\log Z/d\log t
  = \lambda - (m-1)/\log t + \sum_k a_k t^{-(\lambda_k-\lambda)}` for noise-free data
  (zeta-function poles, Watanabe 2009, *Algebraic Geometry and Statistical Learning
  Theory*, Ch. 4), the localisation adding :math:`-\gamma/(2th)` per direction of curvature
  h; e.g. exactly 0.202 for :math:`\tfrac12 w_1^2w_2^4` (λ = 1/4) at n = 1000. Noisy data add
  :math:`u\sqrt t + bt` (Watanabe 2013, JMLR 14, arXiv:1208.6338, Thm 4; the O(β) term holds
  the reference offset :math:`t(L_n(w_0) - L_n(w^*))`). ``"extrapolate"`` (default): the
  same estimate on the scan :math:`t_0 f_j`, :math:`f = (1, 10^{-1/3}, 10^{-2/3}, 10^{-1})`
  (:data:`slttheory.sampling.extrapolate.GRID`), all temperatures as extra chains of one
  vectorised run, each with its own step size tuned in the warm-up (SGLD: bias target; MALA:
  acceptance) and, for SGLD, multiplied by :math:`1 - \hat b_j` (the first-order
  discretisation bias, exact for Gaussian directions); on noise-free data plus the
  localisation deficit :math:`\tfrac12\sum_i\gamma/(t_jh_i+\gamma)` of the curved
  directions at w* (:mod:`slttheory.sampling.localisation`: exact for Gaussian directions,
  computed from the Gauss–Newton spectrum, not fitted); then fitted by
  :math:`\lambda + a f^{-\delta}`: on noise-free data δ = 1/4 unless the scan rejects it
  against δ ∈ [1/4, 1] (likelihood ratio; :func:`~slttheory.sampling.extrapolate.select_fit`),
  on data with noise δ ∈ [1/2, 1] (:func:`~slttheory.sampling.extrapolate.default_model`:
  noise-free when :math:`t_0 L_n(w^*) \le 10^{-6}`; all chosen on the selection half of
  ``benchmarks/accuracy.py``), and ``llc`` = λ, ``systematic`` = λ − single; a noise-free
  scan equal to k/2 within its errors (k curved directions at w*: a Morse–Bott point) is
  averaged instead (:func:`~slttheory.sampling.extrapolate.select_fit`); and at a
  Morse–Bott zero of noise-free data (Gauss–Newton rank k at w* not below its rank at random
  points nearby, the residual part of the float64 Hessian negligible;
  :func:`~slttheory.sampling.localisation.morse_bott_rank`) ``llc`` is k/2 exactly, by the
  Morse–Bott lemma — d/2 at a nondegenerate minimum — with the scan kept on record
  (``temperatures.fit.model == "morse_bott"``, a note in ``diagnostics.notes``); the same on
  noisy data where the outputs are linear in the sampled parameters (that residual part
  negligible at w* and at the points nearby: polynomial or random-feature regression, whose
  small curvatures the localisation otherwise hides, or logistic regression). Assumptions: the
  leading finite-t correction is a power law with exponent between 1/4 (a next pole at
  distance 1/4, as for :math:`w_1w_2^2`) or 1/2 and 1 (localisation); slower laws — the
  multiplicity term :math:`-(m-1)/\log t`, closer poles, models whose fine structure is
  invisible at this n (tanh network) — are only partly removed (measured in the benchmark;
  the estimate stays between ``single`` and λ there). A caller who knows m ≥ 2 passes
  ``multiplicity=m`` and the fit is :math:`\lambda - (m-1)/(\log t + \kappa)` instead.
  On noisy data the O(β) data term is fitted as if it were such a power law, hence the
  faster law there: a slower one amplifies it where it is positive (RRR at the empirical
  minimiser; docs/estimator.md §6). And on noisy data ``llc`` is the mean of the λ of the
  laws the interval spans (next item; :func:`~slttheory.sampling.extrapolate.point_rule`,
  ``temperatures.point``), which read λ on both sides of the data term: on the accuracy
  benchmark's noisy cases it cut the largest |error of the mean over data sets| from 36 % to
  33 % (selection half) and 42 % to 40 % (held-out), the median from 8 % to 4 % and 11 % to 8 %.
* **Standard error.** ``std_error`` = √(MC² + data² + fit² + law²): ``mc_error``, the Monte-Carlo
  error (arviz-stats MCSE per temperature, carried through the fit by a parametric bootstrap,
  since a fitted exponent makes the fit nonlinear: :func:`~slttheory.sampling.extrapolate
  .scan_errors`); ``data_error``, the spread over data sets by the infinitesimal jackknife on
  stored draws (:mod:`slttheory.sampling.fluctuation`; conservative: measured 1–2× the real
  spread, up to its noise), carried through the same bootstrap; ``fit_error``, the misfit of
  the finite-nβ model (Birge ratio). For one law ``ci`` would be ``llc ± 1.96·std_error``,
  covering the finite-nβ value that law can reach. Since one decade of temperatures cannot
  tell the laws apart (power laws, multiplicity 2), the default's ``ci`` is the envelope of
  the intervals of every law that fits the scan — on noisy data also the WBIC data term's
  line λ + b·t (:func:`~slttheory.sampling.extrapolate.laws_for`)
  (:func:`~slttheory.sampling.extrapolate.law_interval`; ``law_error`` the added part,
  ``std_error`` the half-width over 1.96): on the accuracy benchmark's stored scans it covers
  λ on noisy data in 59/60 (selection) and 42/45 (held-out) estimates, against 37 and 25 for
  the one law's interval (docs/estimator.md §4). Where every law misses (tanh h = 3), it does
  not cover λ.
* **Precision.** Computation keeps the model's floating dtype; traces are stored in float64.
  Because :math:`\Delta L` is accumulated per sample as a difference, float32 loses nothing
  noticeable at n ≤ 10⁵ (measured: RRR (5,3,5) float32 vs float64 agree within MC error).
* **Where to evaluate.** λ̂ is defined at a local minimum of :math:`L_n`. At a true point
  :math:`w_0` that is not one (every noisy data set), the chains descend below
  :math:`L_n(w_0)` and the single-temperature λ̂ is offset by
  :math:`-n\beta(L_n(w_0) - \min L_n)`: about :math:`-d/(2\log n)` for a regular model and
  −20 % to −40 % for RRR/DLN at n = 1000 (measured). The families' ``build`` therefore
  returns the empirical minimiser near :math:`w_0` by default, where the same O(β) term is
  positive (RRR (8, 4, 3) at rank 0: +23 %). On noisy data with at most
  ``MINIMUM_CHECK_MAX_DIM`` parameters the estimate checks w* (gradient and Hessian, second
  order) and notes in ``diagnostics.notes`` when it is not a local minimum (a tanh network's
  true parameter 0 is a saddle of a noisy L_n). γ = 1 is kept by default.
  A γ large enough to pin the GL orbits (so that a constant preconditioner would hold) would
  cost several per cent in the smallest stiff directions (RRR (5,4,2,2): nβh down to 25, a
  relative bias of about γ/(nβh) each), so mixing there is left to MALA and the adaptive
  length instead.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.func import functional_call, vmap

from slttheory.geometry.critical import CriticalPointCheck, critical_point_check
from slttheory.sampling import diagnostics as dg
from slttheory.sampling import extrapolate as _xp
from slttheory.sampling import fluctuation as _fl
from slttheory.sampling import localisation as _loc
from slttheory.sampling import precondition as pc
from slttheory.sampling.calibrate import StepSizeCalibration, calibrate_step_size
from slttheory.sampling.device import resolve_device
from slttheory.sampling.exchange import EXCHANGE_EVERY, exchange_step
from slttheory.sampling.kernels import (
    SAMPLERS,
    LocalizedPotential,
    PreconditionedPotential,
    check_jitter,
    fused_kernel,
)
from slttheory.sampling.progress import StepProgress
from slttheory.sampling.symmetry import OrbitMove, orbit_step

__all__ = [
    "LLCConfig",
    "LLCEstimate",
    "LLCWarning",
    "WBICResult",
    "MultiTemperatureEstimate",
    "estimate_llc",
    "wbic",
    "estimate_llc_multitemp",
    "LOSSES",
]

LOSSES = ("gaussian", "cross_entropy")
SAMPLER_CHOICES = ("auto", *sorted(SAMPLERS))
AUTO_FULL_BATCH_MAX = 20_000
AUTO_BATCH_SIZE = 2048
AUTO_MIN_STEPS = 2000
AUTO_MAX_STEPS = 32_000
AUTO_TARGET_RSE = 0.02
RHAT_MAX = 1.05
STATIONARITY_Z_MAX = 3.0
BIAS_WARN = 0.05
MALA_ACCEPT_WARN = 0.15
TARGET_BIAS = 0.02
DIAG_EVERY = 10
TRACE_BLOCK = 100
WARMUP_STEPS = 1000
WARMUP_ROUNDS = 3
MALA_ADAPT_STEPS = 500
MALA_ADAPT_BLOCK = 100
MALA_ACCEPT_FLOOR = 0.4
LAMBDA_FLOOR_EST = 0.1
MINIMUM_CHECK_MAX_DIM = 500
"""Largest number of sampled parameters for which an estimate on noisy data checks that w* is
a local minimum of L_n (dense float64 Hessian, :func:`~slttheory.geometry.critical
.critical_point_check`; about 0.1 s at 36 parameters and n = 1000)."""
METHODS = ("extrapolate", "single")
Z95 = _xp.Z95  # two-sided 95 % normal quantile
DEFAULT_STEP_JITTER = math.log(10)
"""MALA's step jitter when ``step_jitter=None``: each step's size drawn log-uniformly from
[ε/10, 10ε] (chosen on the selection half of ``benchmarks/accuracy.py``; docs/estimator.md §6)."""


class LLCWarning(UserWarning):
    """A failed diagnostic of an LLC run (divergence, R-hat, stationarity, bias, ESS)."""


@dataclass(frozen=True)
class LLCConfig:
    """Every setting a run used, including the automatically chosen ones (``multiplicity``:
    the caller's, ``None`` when not given; ``orbit``: the symmetry move's description, ``None``
    without one; ``morse_bott``: whether k/2 replaces the scan at a Morse–Bott zero;
    ``record_scan``: whether the scan is sampled there anyway, as a record;
    ``true_parameter``: whether the symmetrised estimand at a true parameter was used;
    ``revision``: the :data:`ESTIMATOR_REVISION` that produced the estimate, so that a stored
    result says which rules made it)."""

    n: int
    beta: float
    nbeta: float
    localization: float
    step_size: float
    chains: int
    draws: int
    burn_in: int
    sampler: str
    batch_size: int
    full_batch: bool
    params: tuple[str, ...]
    dimension: int
    seed: int
    device: str
    dtype: str
    loss: str
    auto: tuple[str, ...] = ()
    preconditioner: str = "none"
    method: str = "single"
    nbetas: tuple[float, ...] = ()
    step_jitter: float = 0.0
    multiplicity: int | None = None
    orbit: str | None = None
    exchange: bool = False
    morse_bott: bool = True
    record_scan: bool = False
    true_parameter: bool = False
    revision: int = 0


@dataclass(frozen=True, eq=False)
class LLCEstimate:
    r"""An LLC estimate.

    ``llc``: the estimate of λ by ``method`` (module docstring); ``ci``: the 95 % interval;
    ``std_error``: the total standard error (Monte-Carlo, data fluctuation, finite-nβ fit, the
    choice of finite-nβ law), half the interval's width over 1.96; ``mc_error``: the
    Monte-Carlo part alone; ``data_error``: the data-fluctuation part; ``fit_error``: the
    finite-nβ model's misfit part (the MC error times √(χ²/dof − 1) when the fit's χ² exceeds
    its degrees of freedom); ``law_error``: the part from the finite-nβ laws the scan cannot
    tell apart — the default extrapolation's ``ci`` is the envelope of every such law's interval
    (:func:`~slttheory.sampling.extrapolate.law_interval`; not symmetric about ``llc``), and
    ``law_error`` the excess of its half-width over the chosen fit's, in quadrature (0 for
    ``"single"`` and for a stated ``multiplicity`` ≥ 2; ``mc_error``, ``data_error`` and
    ``fit_error`` are the chosen law's, also where ``llc`` is the mean of the laws,
    ``temperatures.point``); ``systematic``: the
    finite-nβ correction the method estimated and removed (``llc = single + systematic``; 0 for
    ``"single"``); ``single``: the raw single-temperature
    :math:`\hat\lambda = n\beta(\overline{L_n(w)} - L_n(w^*))` at ``config.nbeta`` with its
    Monte-Carlo error ``single_std_error``; ``temperatures``: the scan behind an extrapolated
    estimate (:class:`~slttheory.sampling.extrapolate.TemperatureScan`; ``None`` for
    ``"single"``). ``per_chain``, ``loss_trace`` (kept draws of :math:`L_n(w)` or its unbiased
    minibatch estimate, ``(chains, draws)``) and ``diagnostics`` describe the chains at
    ``config.nbeta`` (the other temperatures' diagnostics are merged in: worst R-hat, smallest
    ESS, every warning); ``init_loss``: :math:`L_n(w^*)`. At a Morse–Bott zero of noise-free
    data, or a point of rank k of a model linear in its sampled parameters
    (``temperatures.fit.model == "morse_bott"``, :attr:`exact`) ``llc`` is k/2 exactly,
    every error is 0 and ``ci`` is ``(k/2, k/2)``; no chain is run (``temperatures`` has no
    temperatures, ``per_chain`` and ``loss_trace`` no draws, ``single`` is nan) unless
    ``config.record_scan``, where the scan is a record (``temperatures.laws`` has what it alone
    gives).
    """

    llc: float
    std_error: float
    per_chain: np.ndarray
    loss_trace: np.ndarray
    diagnostics: dg.Diagnostics
    config: LLCConfig
    elapsed_s: float
    init_loss: float = math.nan
    method: str = "single"
    ci: tuple[float, float] = (math.nan, math.nan)
    mc_error: float = math.nan
    systematic: float = 0.0
    single: float = math.nan
    single_std_error: float = math.nan
    data_error: float = 0.0
    temperatures: Any = None
    fit_error: float = 0.0
    law_error: float = 0.0

    @property
    def exact(self) -> bool:
        """Whether ``llc`` is k/2 exactly by the Morse–Bott lemma (not sampled)."""
        return self.temperatures is not None and self.temperatures.fit.model == _xp.MORSE_BOTT

    def summary(self) -> str:
        """One-paragraph text summary."""
        c, d = self.config, self.diagnostics
        acc = "n/a" if d.acceptance_rate is None else f"{d.acceptance_rate:.3f}"
        bias = "n/a" if d.estimated_bias is None else f"{100 * d.estimated_bias:+.1f}%"
        lo, hi = self.ci
        temps = "" if len(c.nbetas) < 2 else f" x {len(c.nbetas)} temperatures"
        why = ("w* a Morse–Bott zero" if _xp.is_noise_free(self.init_loss, c.nbeta) else
               "outputs linear in the sampled parameters")
        if self.exact and self.loss_trace.size == 0:  # not sampled: nothing else to show
            return "\n".join([
                f"LLC = {self.llc:.4g} exactly ({why}: λ = k/2, not sampled)",
                f"  n={c.n} beta={c.beta:.4g} gamma={c.localization:.3g} d={c.dimension} "
                f"{c.device}/{c.dtype} time={self.elapsed_s:.2f}s",
                *[f"  WARNING: {w}" for w in d.warnings],
                *[f"  note: {w}" for w in d.notes]])
        head = (f"LLC = {self.llc:.4g} exactly ({why}: λ = k/2, not sampled; "
                "the scan below is a record)" if self.exact else
                f"LLC = {self.llc:.4g} ± {self.std_error:.2g}, 95% CI [{lo:.4g}, {hi:.4g}] "
                f"(method {self.method!r}; s.e.: MC {self.mc_error:.2g}, data "
                f"{self.data_error:.2g}, fit {self.fit_error:.2g}, law {self.law_error:.2g})")
        lines = [
            head,
            f"  single-temperature λ̂ = {self.single:.4g} ± {self.single_std_error:.2g} (MC) at "
            f"nbeta={c.nbeta:.4g}; finite-nβ correction {self.systematic:+.3g}"
            + ("" if self.temperatures is None else f" ({_point_words(self.temperatures)})"),
            f"  {c.sampler}, {c.chains} chains{temps} x {c.draws} draws after {c.burn_in} "
            f"burn-in; n={c.n} beta={c.beta:.4g} gamma={c.localization:.3g} "
            f"eps={c.step_size:.3g} batch={c.batch_size} d={c.dimension} {c.device}/{c.dtype}",
            f"  ESS={d.ess:.0f} R-hat={d.rhat:.3f} accept={acc} est. bias={bias} "
            f"divergent={d.divergent} time={self.elapsed_s:.2f}s",
        ]
        if self.temperatures is not None:
            lines.append(str(self.temperatures))
        lines += [f"  WARNING: {w}" for w in d.warnings]
        lines += [f"  note: {w}" for w in d.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _point_words(scan: Any) -> str:
    """How the estimate was read off its scan, in words (:func:`.extrapolate.point_rule`)."""
    if scan.point == _xp.POINT_LAW_MEAN and scan.fit.model != _xp.MORSE_BOTT:
        return ("mean of the laws that fit (each distinct fit once): "
                + ", ".join(f"{m} {v:.4g}" for m, v, _ in scan.laws)
                + f"; the default law: {scan.fit.describe()}")
    return scan.fit.describe()


# --------------------------------------------------------------------------- set-up


ESTIMATOR_REVISION = 8
"""Bumped whenever ``estimate_llc`` returns something else for the same arguments, so that
stored evidence keyed by settings is recomputed (the verifier's point and control caches).
2: noise-free scans add the localisation deficit (:mod:`slttheory.sampling.localisation`);
3: and a noise-free scan at k/2 is averaged (:func:`.extrapolate.select_fit`); an unmet
precision target at the step cap is a note, not a failed check (``Diagnostics.notes``);
4: k/2 exactly at a Morse–Bott zero of rank k of noise-free data
(:func:`.localisation.morse_bott_rank`); 5: on noisy data the interval also spans the data
term's law (:data:`.extrapolate.DATA_LAWS`), and k/2 exactly where the outputs are linear in
the sampled parameters (:func:`.localisation.nearby_residuals`); 6: there no chain is run
(``record_scan=True`` samples the scan as a record), so the diagnostics are no longer the
record's; and a run too short for an ESS or R-hat fails its diagnostics; 7: on noisy data
``llc`` is the mean of the laws the interval spans (:func:`.extrapolate.point_rule`); 8: a
noise-free scan (and one at a true parameter) is fitted with the slowest power law, δ = 1/4,
unless the scan rejects it (:func:`.extrapolate.select_fit`)."""


def _per_sample_loss(loss: str | Callable) -> Callable[[Tensor, Tensor], Tensor]:
    if callable(loss):
        return loss
    if loss == "gaussian":
        def gaussian(out: Tensor, y: Tensor) -> Tensor:
            r = out - y
            return 0.5 * (r * r).reshape(r.shape[0], -1).sum(-1)
        return gaussian
    if loss == "cross_entropy":
        def xent(out: Tensor, y: Tensor) -> Tensor:
            return torch.nn.functional.cross_entropy(out, y, reduction="none")
        return xent
    raise ValueError(f"loss must be one of {list(LOSSES)} or a callable, got {loss!r}")


@dataclass
class _Setup:
    center: Tensor
    names: tuple[str, ...]
    vg_full: Callable
    vg_batch: Callable
    x: Tensor
    y: Tensor
    lstar: Tensor
    init_loss: float
    n_data: int
    device: torch.device
    dtype: torch.dtype
    loss_name: str
    loss_fn: Callable | None = None  # ΔL(flat, x, y, l*) of one chain (for the Hessian)
    per_sample: Callable | None = None  # (M, d) positions -> (M, n) ℓ_i(w) − ℓ_i(w*)
    spectrum: Callable[[], np.ndarray] | None = None  # Gauss–Newton eigenvalues at w*, float64
    critical: Callable[[], CriticalPointCheck] | None = None  # gradient/Hessian check at w*
    nearby: Callable[[], tuple[int, ...]] | None = None  # Gauss–Newton ranks near w*
    residual: Callable[[], float] | None = None  # ‖H − G‖₂ at w*
    nearby_residual: Callable[[], tuple[float, ...]] | None = None  # ‖H − G‖₂ near w*
    curvature_probe: Callable[[], float] | None = None  # ‖(H − G)v‖/‖Hv‖ near w*, 2 probes
    # true_parameter: (M, d) positions -> (M, n) symmetrised o_i(w) (_symmetrised_shift)
    observable: Callable | None = None

    @property
    def estimand_loss(self) -> float:
        """The loss by which the fit and its laws tell noise-free from noisy data: 0 for the
        symmetrised estimand at a true parameter, whose mean is the noise-free estimand's."""
        return 0.0 if self.observable is not None else self.init_loss


def _check_quadratic(per_sample: Callable[[Tensor, Tensor], Tensor], out: Tensor) -> None:
    r"""Raise unless the per-sample loss is a quadratic form of the residual up to a
    constant, :math:`\ell(f, y) = c + q(y - f)`, which the symmetrised estimand at a true
    parameter assumes (:func:`_symmetrised_shift`; c, a Gaussian NLL's normaliser, cancels in
    every excess loss): the parallelogram law :math:`q(a + b) + q(a - b) = 2q(a) + 2q(b)` on two
    fixed residuals, with :math:`q = \ell - \ell(f, f)`. The residuals are scaled to the
    outputs, so that ``out + r`` keeps r's digits in float32 when the outputs are large."""
    g = torch.Generator().manual_seed(0)
    size = max(1.0, float(out.detach().abs().max())) if out.numel() else 1.0
    a, b = (size * torch.randn(out.shape, generator=g, dtype=torch.float64).to(out)
            for _ in range(2))
    with torch.no_grad():
        q0, *q = [per_sample(out, out + r).double() for r in (0 * a, a + b, a - b, a, b)]
    q = [v - q0 for v in q]
    scale = float(q[0].abs().max() + q[1].abs().max()) + 1e-30
    lhs, rhs = q[0] + q[1], 2 * q[2] + 2 * q[3]
    if not float((lhs - rhs).abs().max()) <= 1e-4 * scale:
        raise ValueError("true_parameter=True needs a loss quadratic in the residual y − f(x) "
                         "(a Gaussian likelihood, up to a constant: the parallelogram law); "
                         "this loss is not")


_MODE_DEPENDENT = (torch.nn.modules.dropout._DropoutNd, torch.nn.modules.batchnorm._BatchNorm)


def _check_deterministic(model: torch.nn.Module) -> None:
    """The LLC is of a deterministic function w ↦ f(·, w): dropout and batch norm in training
    mode make the forward random or batch-dependent (and batch norm writes its running
    statistics), so the estimator asks for ``model.eval()`` rather than choose for the
    caller."""
    live = [f"{name or '(the model)'!s} ({type(mod).__name__})"
            for name, mod in model.named_modules()
            if mod.training and isinstance(mod, _MODE_DEPENDENT)]
    if live:
        raise ValueError(f"model: {', '.join(live[:3])}{' ...' if len(live) > 3 else ''} "
                         f"{'is' if len(live) == 1 else 'are'} in training mode (dropout and "
                         "batch norm make the forward random or batch-dependent); call "
                         "model.eval() first")


def _as_tensors(data: Any) -> tuple[Tensor, Tensor]:
    """``data`` as one (inputs, targets) pair: a pair of tensors, or a
    ``torch.utils.data.DataLoader`` or ``Dataset`` of (input, target) pairs, concatenated
    once (the estimator evaluates the full-data loss at w*; minibatches, if any, it draws
    itself from its own generator).

    >>> ds = torch.utils.data.TensorDataset(torch.zeros(5, 2), torch.ones(5))
    >>> [tuple(t.shape) for t in _as_tensors(torch.utils.data.DataLoader(ds, batch_size=2))]
    [(5, 2), (5,)]
    """
    from torch.utils.data import DataLoader, Dataset

    if isinstance(data, Dataset) and not isinstance(data, DataLoader):
        data = DataLoader(data, batch_size=4096)
    if isinstance(data, DataLoader):
        xs, ys = [], []
        for batch in data:
            if not (isinstance(batch, tuple | list) and len(batch) == 2
                    and all(isinstance(b, Tensor) for b in batch)):
                raise TypeError("data: a DataLoader must yield (inputs, targets) pairs of "
                                f"tensors, got {type(batch).__name__}")
            xs.append(batch[0])
            ys.append(batch[1])
        if not xs:
            raise ValueError("data: the DataLoader yielded no batches")
        return torch.cat(xs), torch.cat(ys)
    if not (isinstance(data, tuple | list) and len(data) == 2
            and all(isinstance(t, Tensor) for t in data)):
        raise TypeError("data must be a tuple (inputs, targets) of tensors or a DataLoader of "
                        f"such pairs, got {type(data).__name__}")
    return data[0], data[1]


def _setup(model: torch.nn.Module, data: Any, loss: str | Callable,
           params: Iterable[str] | None, device: torch.device, finite: bool = True,
           true_parameter: bool = False) -> _Setup:
    """Everything one point's sampling needs. ``finite``: NaN/Inf in the data raise (a
    batched run passes ``False``: such a point is flagged as failed, and the others run).
    ``true_parameter``: also the symmetrised observable (:func:`_symmetrised_shift`)."""
    if true_parameter and not (loss == "gaussian" or callable(loss)):
        raise ValueError("true_parameter=True needs loss='gaussian' or a callable quadratic in "
                         f"the residual (a Gaussian likelihood), got loss={loss!r}")
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    _check_deterministic(model)
    x, y = _as_tensors(data)
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ValueError(
            f"data: inputs and targets need the same leading (sample) dimension n >= 1, got "
            f"shapes {tuple(x.shape)} and {tuple(y.shape)}"
        )
    for name, t in (("inputs", x), ("targets", y)) if finite else ():
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            bad = int((~torch.isfinite(t)).sum())
            raise ValueError(f"data: {name} contain {bad} NaN/Inf entr{'y' if bad == 1 else 'ies'}")
    all_params = dict(model.named_parameters())
    if not all_params:
        raise ValueError("model has no parameters")
    if params is None:  # as torch's optimisers (and devinterp): frozen parameters stay put
        names = tuple(k for k, v in all_params.items() if v.requires_grad)
        if not names:
            raise ValueError("params: every parameter of the model has requires_grad=False; "
                             "pass params=[...] to name the ones to sample")
    else:
        names = tuple(params) if not isinstance(params, str) else (params,)
        unknown = [p for p in names if p not in all_params]
        if unknown or not names:
            raise ValueError(
                f"params: unknown parameter name(s) {unknown or '(empty)'}; valid names: "
                f"{list(all_params)}"
            )
        names = tuple(dict.fromkeys(names))
    dtype = all_params[names[0]].dtype
    if not dtype.is_floating_point:
        raise TypeError(f"model parameters must be floating point, got {dtype}")
    if torch.finfo(dtype).bits < 32:
        raise TypeError(f"model parameters are {dtype}: the sampler's steps (ε down to ~1e-6 "
                        "times the posterior scale) underflow in half precision; pass "
                        "model.float() (or .double())")
    sel = {k: all_params[k].detach().to(device) for k in names}
    frozen = {k: v.detach().to(device) for k, v in all_params.items() if k not in sel}
    # buffers copied: a forward that updates one in place must not change the caller's module
    frozen.update({k: b.detach().to(device).clone() for k, b in model.named_buffers()})
    shapes = [v.shape for v in sel.values()]
    sizes = [v.numel() for v in sel.values()]
    center = torch.cat([v.reshape(-1) for v in sel.values()]).to(dtype)
    x = x.detach().to(device)  # data that requires grad would leak into the sampler's graphs
    y = y.detach()
    if x.is_floating_point():
        x = x.to(dtype)
    loss_name = loss if isinstance(loss, str) else getattr(loss, "__name__", "callable")
    if loss == "cross_entropy":
        if y.is_floating_point() or y.ndim != 1:
            raise ValueError("data: cross_entropy targets must be a 1-D integer tensor of "
                             f"class indices, got dtype {y.dtype} shape {tuple(y.shape)}")
        y = y.to(device)
    else:
        y = y.to(device)
        if y.is_floating_point():
            y = y.to(dtype)
    per_sample = _per_sample_loss(loss)

    with torch.no_grad():
        try:
            out = functional_call(model, (sel, frozen), (x,))
        except (RuntimeError, TypeError, ValueError, IndexError) as e:
            raise ValueError(f"data: the model cannot be evaluated on the inputs (shape "
                             f"{tuple(x.shape)}, dtype {x.dtype}): {type(e).__name__}: "
                             f"{str(e)[:300]}") from e
        if not isinstance(out, Tensor):
            raise TypeError(f"model must return one tensor of outputs, got "
                            f"{type(out).__name__} (wrap the model to select the output)")
        if loss == "gaussian":
            if out.shape != y.shape:
                if out.numel() == y.numel() and out.shape[0] == y.shape[0]:
                    y = y.reshape(out.shape)
                else:
                    raise ValueError(
                        f"data: targets of shape {tuple(y.shape)} do not match model outputs "
                        f"of shape {tuple(out.shape)}"
                    )
        elif loss == "cross_entropy":
            if out.ndim != 2 or out.shape[0] != y.shape[0]:
                raise ValueError(f"cross_entropy needs outputs of shape (n, classes), got "
                                 f"{tuple(out.shape)}")
            if int(y.min()) < 0 or int(y.max()) >= out.shape[1]:
                raise ValueError(f"data: class indices must lie in [0, {out.shape[1] - 1}]")
        try:
            lstar = per_sample(out, y)
        except (RuntimeError, TypeError, ValueError, IndexError) as e:
            raise ValueError(f"loss: cannot be evaluated on the model's outputs (shape "
                             f"{tuple(out.shape)}) and the targets (shape {tuple(y.shape)}, "
                             f"dtype {y.dtype}): {type(e).__name__}: {str(e)[:300]}") from e
        if not isinstance(lstar, Tensor) or not lstar.is_floating_point():
            got = (f"a {lstar.dtype} tensor" if isinstance(lstar, Tensor)
                   else type(lstar).__name__)
            raise TypeError(f"loss must return a floating-point tensor of per-sample NLLs, "
                            f"got {got}")
        if lstar.shape != (x.shape[0],):
            hint = (" (a loss that averages: pass its per-sample form, e.g. reduction='none')"
                    if lstar.ndim == 0 else "")
            raise ValueError(f"loss must return per-sample NLLs of shape ({x.shape[0]},), got "
                             f"{tuple(lstar.shape)}{hint}")
        lstar = lstar.to(dtype)

    def unflatten(flat: Tensor) -> dict[str, Tensor]:
        return {k: t.view(s) for k, t, s in zip(sel, torch.split(flat, sizes), shapes,
                                                 strict=True)}

    def delta_loss(flat: Tensor, xb: Tensor, yb: Tensor, lb: Tensor) -> Tensor:
        o = functional_call(model, (unflatten(flat), frozen), (xb,))
        return (per_sample(o, yb) - lb).mean()

    # Forward vectorised over chains by vmap, backward by ordinary autograd on the sum over
    # chains (chains are independent, so d(sum)/dW_k = grad of chain k): measured about 30 %
    # faster on CPU than vmap(grad(...)).
    f_full = vmap(delta_loss, in_dims=(0, None, None, None))
    f_batch = vmap(delta_loss, in_dims=(0, 0, 0, 0))
    try:  # one vectorised evaluation: a forward vmap cannot run fails here, not mid-sampling
        with torch.no_grad():
            f_full(center.unsqueeze(0), x, y, lstar)
    except RuntimeError as e:
        raise ValueError(
            "model: its forward (with the loss) cannot be vectorised over chains by "
            "torch.func.vmap, which every sampler uses: Python control flow on tensor values "
            "(if x.sum() > 0), .item() or in-place updates of inputs are not allowed "
            f"({str(e).splitlines()[0][:200]})") from e

    def value_and_grad(f: Callable) -> Callable:
        def vg(w: Tensor, *args: Tensor) -> tuple[Tensor, Tensor]:
            with torch.enable_grad():
                w = w.detach().requires_grad_(True)
                v = f(w, *args)
                (g,) = torch.autograd.grad(v.sum(), w)
            return v.detach(), g
        return vg

    def per_sample_delta(flat: Tensor, xb: Tensor, yb: Tensor, lb: Tensor) -> Tensor:
        o = functional_call(model, (unflatten(flat), frozen), (xb,))
        return per_sample(o, yb) - lb

    ps_full = vmap(per_sample_delta, in_dims=(0, None, None, None))

    def per_sample_at(w: Tensor) -> Tensor:
        with torch.no_grad():
            return ps_full(w.to(dtype), x, y, lstar)

    @functools.cache
    def gauss_newton() -> Tensor:  # once per call: the deficit and the Morse–Bott rule use it
        return _loc.gauss_newton_matrix(model, (x, y), per_sample, names)

    @functools.cache
    def spectrum() -> np.ndarray:
        return np.linalg.eigvalsh(gauss_newton().cpu().numpy())

    def critical() -> CriticalPointCheck:
        return critical_point_check(model, (x, y), loss, device=device,
                                    params={k: all_params[k] for k in names})

    @functools.cache
    def nearby_gn() -> list:  # a fixed probe, not a draw of the estimate's; shared below
        return _loc.nearby_gauss_newton(model, (x, y), per_sample, names,
                                        torch.Generator().manual_seed(0))

    def nearby() -> tuple[int, ...]:
        return _loc.nearby_ranks(model, (x, y), per_sample, names, gauss_newton=nearby_gn())

    @functools.cache
    def residual() -> float:
        return _loc.residual_norm(gauss_newton(), _loc.loss_hessian_matrix(
            model, (x, y), per_sample, names))

    def nearby_residual() -> tuple[float, ...]:  # at nearby()'s points
        return _loc.nearby_residuals(model, (x, y), per_sample, names,
                                     gauss_newton=nearby_gn())

    def curvature_probe() -> float:  # as far out as nearby()'s farthest point
        return _loc.curvature_probe(model, (x, y), per_sample, names,
                                    torch.Generator().manual_seed(0))

    observable_at = None
    if true_parameter:  # o_i(w) = δℓ_i against targets halfway to the teacher's outputs
        if not out.is_floating_point() or out.shape != y.shape:
            raise ValueError("true_parameter=True needs real targets of the model's output "
                             f"shape {tuple(out.shape)}, got {tuple(y.shape)}")
        _check_quadratic(per_sample, out)
        y_half = 0.5 * (y + out.to(y.dtype))
        l_half = per_sample(out, y_half).to(dtype)

        def observable_at(w: Tensor) -> Tensor:
            with torch.no_grad():
                return ps_full(w.to(dtype), x, y_half, l_half)

    return _Setup(center, names, value_and_grad(f_full), value_and_grad(f_batch), x, y, lstar,
                  float(lstar.double().mean()), x.shape[0], device, dtype, loss_name,
                  delta_loss, per_sample_at, spectrum, critical, nearby, residual,
                  nearby_residual, curvature_probe, observable_at)


def _potential(s: _Setup, nbeta: float | Tensor, gamma: float, batch_size: int,
               curvature: pc.Curvature | None = None
               ) -> LocalizedPotential | PreconditionedPotential:
    """The localized potential of one point; in the coordinates of ``curvature`` if given."""
    full = batch_size >= s.n_data
    draw = None
    if full:
        def loss_and_grad(w: Tensor, _batch: Any) -> tuple[Tensor, Tensor]:
            return s.vg_full(w, s.x, s.y, s.lstar)
    else:
        def loss_and_grad(w: Tensor, idx: Tensor) -> tuple[Tensor, Tensor]:
            return s.vg_batch(w, s.x[idx], s.y[idx], s.lstar[idx])

        def draw(gen: torch.Generator | None, rows: int) -> Tensor:
            return torch.randint(0, s.n_data, (rows, batch_size), generator=gen,
                                 device=s.device)
    pot = LocalizedPotential(loss_and_grad, nbeta, gamma, s.center, full_batch=full,
                             batch_sampler=draw)
    if curvature is None:
        return pot
    # one group, as the batched sampler's per-point groups: the same bmm, the same rounding
    return PreconditionedPotential(pot, curvature.factor.unsqueeze(0), groups=1)


def _curvature(s: _Setup, kind: str, nbeta: float, gamma: float, gen: torch.Generator
               ) -> pc.Curvature | None:
    """The constant preconditioner of :mod:`slttheory.sampling.precondition` at ``nbeta``
    (``None`` for ``kind='none'``); the Hessian uses at most ``HESSIAN_MAX_SAMPLES`` samples."""
    if kind == "none":
        return None
    idx = pc.subsample(s.n_data, s.device)
    x, y, ls = (s.x, s.y, s.lstar) if idx is None else (s.x[idx], s.y[idx], s.lstar[idx])

    def loss(w: Tensor) -> Tensor:
        return s.loss_fn(w, x, y, ls)

    c = s.center.detach()
    if kind == "dense":
        hess = pc.loss_hessian(loss, c)
    else:
        hess = pc.loss_hessian_diagonal(loss, c, gen)
    return pc.curvature_factor(hess, nbeta, gamma, kind)


def _positive_int(name: str, v: Any, minimum: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v!r}")
    return int(v)


def _positive_float(name: str, v: Any, allow_zero: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float | np.floating):
        raise TypeError(f"{name} must be a number, got {v!r}")
    v = float(v)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'} and finite, "
                         f"got {v}")
    return v


# --------------------------------------------------------------------------- core run


@dataclass
class _Run:
    delta: np.ndarray  # (K, total) float64
    gsq: np.ndarray  # (K, total // DIAG_EVERY): diagnostics of every DIAG_EVERY-th step
    acc: np.ndarray | None
    total: int
    burn_in: int
    step_size: float
    calibration: StepSizeCalibration | None
    auto: list[str] = field(default_factory=list)
    warmup_steps: int = 0
    preconditioner: str = "none"
    nonfinite: np.ndarray | None = None  # MALA: rejected proposals with NaN/Inf loss, per chain
    step_scale: np.ndarray | None = None  # per-chain multipliers of step_size (group_steps)


def _run_steps(alg, gen, state, tr, gs, ac, start: int, stop: int, record=None,
               orbit: tuple[int, Callable] | None = None,
               exchange: tuple[int, Callable] | None = None,
               progress: StepProgress | None = None):
    """Advance ``stop - start`` steps, writing ΔL every step and diagnostics every 10th.

    The per-step ΔL tensors are written into ``tr`` once per block of ``TRACE_BLOCK`` steps
    (one copy instead of one indexed write per step); nothing is read back to the host.
    ``record``: a :class:`_Positions` that keeps thinned positions, at diagnostic steps.
    ``orbit``: ``(every, move)``, a Metropolis–Hastings orbit move
    ``move(generator, state) -> state`` after every ``every``-th step
    (:mod:`slttheory.sampling.symmetry`). ``exchange``: ``(every, swap)``, a replica-exchange
    round ``swap(generator, state, parity) -> state`` after every ``every``-th step (after the
    orbit move), parity alternating with the round's index in the phase
    (:mod:`slttheory.sampling.exchange`). ``progress``: told of every block's steps."""
    step = alg.step
    flush = getattr(alg, "flush", None)  # diagnostics computed once per block (SGLD)
    diagnose: bool | str = "defer" if flush is not None else True
    t = start
    while t < stop:
        end = min(stop, t + TRACE_BLOCK)
        block = []
        deferred: list[int] = []
        for u in range(t, end):
            if u % DIAG_EVERY:
                state, _ = step(gen, state, False)
            else:
                state, info = step(gen, state, diagnose)
                j = u // DIAG_EVERY
                if flush is not None:
                    deferred.append(j)
                else:
                    gs[:, j] = info.grad_sq
                    if ac is not None:
                        ac[:, j] = info.acceptance_prob
                if record is not None:
                    record.store(u, state.position)
            if orbit is not None and (u + 1) % orbit[0] == 0:
                state = orbit[1](gen, state)
            if exchange is not None and (u + 1) % exchange[0] == 0:
                state = exchange[1](gen, state, ((u + 1) // exchange[0]) % 2)
            block.append(state.loss)
        tr[:, t:end] = torch.stack(block, 1)
        if deferred:
            gsq, prob = flush()
            gs[:, deferred] = gsq.T
            if ac is not None and prob is not None:
                ac[:, deferred] = prob.T
        if progress is not None:
            progress.advance(end - t)
        t = end
    return state


POSITIONS_MAX = 512  # stored draws per chain for the data-fluctuation estimate
POSITIONS_MEMORY = 2 ** 24  # at most this many stored numbers (chains × draws × d)


class _Positions:
    """Thinned chain positions for the data-fluctuation estimate: at most ``capacity``
    stored steps; when full, every other one is dropped and the stride doubles (so the kept
    steps stay evenly spaced over the whole run, whatever its adaptive length)."""

    @classmethod
    def sized(cls, chains: int, d: int) -> _Positions:
        """``POSITIONS_MAX`` draws per chain, fewer when ``chains·d`` is large (memory)."""
        return cls(int(min(POSITIONS_MAX, max(16, POSITIONS_MEMORY // max(chains * d, 1)))))

    def __init__(self, capacity: int = 128) -> None:
        self.capacity, self.stride = capacity, DIAG_EVERY
        self.steps: list[int] = []
        self.pos: list[Tensor] = []
        self.to_position: Callable[[Tensor], Tensor] | None = None  # sampler coords -> w

    def store(self, t: int, position: Tensor) -> None:
        if t % self.stride:
            return
        self.steps.append(t)
        self.pos.append(position.detach().clone())
        if len(self.steps) > self.capacity:
            self.stride *= 2
            keep = [i for i, u in enumerate(self.steps) if u % self.stride == 0]
            self.steps = [self.steps[i] for i in keep]
            self.pos = [self.pos[i] for i in keep]

    def after(self, burn_in: int) -> Tensor | None:
        """Stored positions at steps ≥ ``burn_in``, ``(chains, draws, d)``."""
        sel = [p for u, p in zip(self.steps, self.pos, strict=True) if u >= burn_in]
        if not sel:
            return None
        out = torch.stack(sel, dim=1)
        if self.to_position is not None:
            out = self.to_position(out.reshape(-1, out.shape[-1])).reshape(out.shape)
        return out


def _sample(s: _Setup, *, nbeta_chain: Tensor, nbeta_cal: float, gamma: float,
            step_size: float | None, chains: int, draws: int | None, burn_in: int | None,
            sampler: str, batch_size: int, seed: int, step_scale: Tensor | None = None,
            stat_groups: int = 1, preconditioner: str | None = None,
            group_steps: bool = False,
            converged: Callable[[np.ndarray, int], tuple[bool, float]] | None = None,
            record: _Positions | None = None, jitter: float = 0.0,
            orbit: OrbitMove | None = None, exchange: bool = False,
            progress: StepProgress | None = None) -> _Run:
    """Calibrate (if needed) and run ``len(nbeta_chain)`` chains; adaptive length if asked.

    ``preconditioner`` (``"dense"``/``"diagonal"``): the chains run in the coordinates of
    the curvature at ``nbeta_cal`` (:mod:`slttheory.sampling.precondition`; the Hutchinson
    probes of ``"diagonal"`` are drawn first from the generator). With an automatic step
    size, the calibration is re-checked on warm-up blocks of the production chains (up to
    ``WARMUP_ROUNDS`` blocks of ``WARMUP_STEPS``): while the estimated relative bias exceeds
    twice the target, ε is scaled by target/estimate; the warm-up steps are discarded
    (reported in ``config.burn_in``). ``group_steps``: the ``stat_groups`` groups of chains
    (temperatures) get their own step multipliers, each retuned on its own warm-up draws
    (:func:`_warmup_rescale_groups`); the final per-chain multipliers are in
    ``_Run.step_scale``. ``converged``: the adaptive stopping rule on the kept nβΔL draws
    (default :func:`_converged`). ``record``: keeps thinned positions (parameter
    coordinates) of the production steps. ``jitter``: MALA's step-size jitter
    (:func:`~slttheory.sampling.kernels.jittered_step`) in the warm-up and production steps.
    ``orbit``: a symmetry move (:func:`~slttheory.sampling.symmetry.orbit_step`) interleaved
    with every phase's steps (parameter coordinates only: no preconditioner). ``exchange``:
    replica-exchange rounds between the ``stat_groups`` temperatures
    (:func:`~slttheory.sampling.exchange.exchange_step`), likewise in every phase.
    ``progress``: counts the steps after the step-size pilot against the planned length
    (:mod:`slttheory.sampling.progress`); the caller closes it.
    """
    gen = torch.Generator(device=s.device).manual_seed(seed)
    auto: list[str] = []
    kind = pc.resolve_preconditioner(preconditioner)
    curv = _curvature(s, kind, nbeta_cal, gamma, gen)
    cal = None
    if step_size is None:
        cal = _calibrate(s, nbeta_cal, gamma, batch_size, sampler, gen, curv)
        step_size = cal.step_size
        auto.append("step_size")
    k = nbeta_chain.shape[0]
    pot = _potential(s, nbeta_chain, gamma, batch_size, curv)
    omove = None if orbit is None else (
        orbit.every, lambda g, st: orbit_step(pot, orbit, g, st))
    xmove = None if not exchange or stat_groups < 2 else (
        EXCHANGE_EVERY, lambda g, st, par: exchange_step(pot, st, stat_groups, par, g))
    has_acc = sampler == "mala" or (sampler == "sgld" and pot.full_batch)
    nb_np = nbeta_chain.double().cpu().numpy()

    scale = None if step_scale is None else step_scale.to(s.dtype)

    def build(eps_value: float):
        eps = torch.full((k,), eps_value, dtype=s.dtype, device=s.device)
        if scale is not None:
            eps = eps * scale
        return fused_kernel(sampler, pot, eps, jitter=jitter)

    alg = build(step_size)
    state = alg.init(pot.center.expand(k, -1).clone(), gen)
    warm = 0
    first = _run_lengths(draws, burn_in, [])[1]  # the production phase's first planned length

    def plan(steps: int) -> None:  # the progress bar's total: steps done + still planned
        if progress is not None:
            progress.plan(progress.done + steps)

    if cal is not None and (sampler != "mala" or group_steps):
        w = WARMUP_STEPS
        wtr = torch.empty((k, w), dtype=s.dtype, device=s.device)
        wgs = torch.empty((k, w // DIAG_EVERY), dtype=s.dtype, device=s.device)
        wac = (torch.empty((k, w // DIAG_EVERY), dtype=s.dtype, device=s.device)
               if sampler == "mala" else None)
        for _ in range(WARMUP_ROUNDS):
            plan(w + first)
            state = _run_steps(alg, gen, state, wtr, wgs, wac, 0, w, orbit=omove,
                               exchange=xmove, progress=progress)
            warm += w
            if group_steps:
                cur = (torch.ones(k, dtype=s.dtype, device=s.device) if scale is None
                       else scale)
                upd = _warmup_rescale_groups(wtr, wgs, nb_np, step_size,
                                             cur.double().cpu().numpy(), stat_groups, wac)
                if upd is None:
                    break
                new_scale, reset = upd
                scale = torch.as_tensor(new_scale, dtype=s.dtype, device=s.device)
                pos = state.position
                if reset.any():
                    rows = torch.as_tensor(reset, device=s.device)
                    pos = torch.where(rows.unsqueeze(-1), pot.center.expand(k, -1), pos)
                alg = build(step_size)
                state = alg.init(pos.clone(), gen)
                continue
            new = _warmup_rescale(wtr, wgs, nb_np, step_size)
            if new is None:
                break
            step_size = new
            alg = build(step_size)
            state = alg.init(state.position, gen)

    adaptive, total, cap, burn_in = _run_lengths(draws, burn_in, auto)
    tr, gs, ac = _buffers(k, cap, s.dtype, s.device, has_acc)
    done = 0
    plan(total)
    if cal is not None and sampler == "mala":
        for done in range(0, _mala_window(total, burn_in), MALA_ADAPT_BLOCK):
            state = _run_steps(alg, gen, state, tr, gs, ac, done, done + MALA_ADAPT_BLOCK,
                               orbit=omove, exchange=xmove, progress=progress)
            new = _mala_shrink(ac, done, step_size)
            if new is not None:
                step_size = new
                alg = build(step_size)
        done = _mala_window(total, burn_in)
    while True:
        state = _run_steps(alg, gen, state, tr, gs, ac, done, total, record, orbit=omove,
                           exchange=xmove, progress=progress)
        done = total
        nxt = _extend(tr, total, burn_in, cap, adaptive, nb_np[:, None], stat_groups,
                      converged)
        if nxt is None:
            break
        plan(nxt - total)
        total = nxt
    run = _collect(tr, gs, ac, total, _burn(total, burn_in), step_size, cal, auto, warm,
                   kind, state.nonfinite)
    if scale is not None:
        run.step_scale = scale.double().cpu().numpy()
    if record is not None and hasattr(pot, "to_position"):
        record.to_position = pot.to_position
    return run


# Phase steps shared by ``_sample`` and the batched sampler (``batched._sample_batched``), so
# that a point of a batched run takes exactly the decisions of its own ``estimate_llc`` run.


def _calibrate(s: _Setup, nbeta: float, gamma: float, batch_size: int, sampler: str,
               gen: torch.Generator, curvature: pc.Curvature | None = None
               ) -> StepSizeCalibration:
    """Step-size pilot on the potential at ``nbeta`` (draws from ``gen``), in the
    coordinates of ``curvature`` when given."""
    pot1 = _potential(s, nbeta, gamma, batch_size, curvature)
    return calibrate_step_size(pot1, pot1.center, sampler=sampler, nbeta=nbeta, generator=gen,
                               target_bias=TARGET_BIAS)


def _warmup_rescale(wtr: Tensor, wgs: Tensor, nbeta: np.ndarray | float,
                    step_size: float) -> float | None:
    r"""Re-check of the calibrated ε on one warm-up block of one point's chains.

    Relative bias :math:`b = \varepsilon\,\overline{|\nabla L|^2} / (8\hat\lambda)` from the
    second half of the block; ``None`` when :math:`b \le 2\cdot` target (or not finite),
    else the rescaled :math:`\varepsilon\max(\mathrm{target}/b, 0.1)`."""
    w = wtr.shape[1]
    lam = float((wtr[:, w // 2:].double().mean(1).cpu().numpy() * nbeta).mean())
    g = float(wgs[:, wgs.shape[1] // 2:].double().mean())
    b = step_size * g / (8.0 * max(lam, LAMBDA_FLOOR_EST))
    if not math.isfinite(b) or b <= 2 * TARGET_BIAS:
        return None
    return step_size * max(TARGET_BIAS / b, 0.1)


def _warmup_rescale_groups(wtr: Tensor, wgs: Tensor, nbeta: np.ndarray, step_size: float,
                           scale: np.ndarray, groups: int, wac: Tensor | None = None
                           ) -> tuple[np.ndarray, np.ndarray] | None:
    r"""Per-group re-check of the step size on one warm-up block (``groups`` equal slices of
    chains, one temperature each).

    SGLD / RMSProp-SGLD: each group's relative bias :math:`b_g =
    \varepsilon_g\overline{|\nabla U|^2}/(8\hat\lambda_g)` (second half of the block,
    :math:`\varepsilon_g` = ``step_size`` times the group's multiplier) is brought to
    ``TARGET_BIAS``: multipliers are scaled by :math:`\mathrm{target}/b_g` clipped to [0.1, 3]
    when :math:`b_g` is above twice or below half the target. MALA (``wac``, the warm-up
    acceptance probabilities): a group whose mean acceptance :math:`a_g` is outside
    [0.5, 0.8] is scaled by :math:`e^{3(a_g - 0.65)}` clipped to [0.2, 3] (the calibration
    targets 0.65). A group with a non-finite trace is divided by 10 and its chains are
    restarted at :math:`w^*`. Returns ``(new multipliers, chains to restart)``, or ``None``
    when no group changed (the multipliers are fixed before the production steps, so the
    chains' invariant law is untouched)."""
    k = wtr.shape[0]
    w = wtr.shape[1]
    per = k // groups
    tr = wtr.double().cpu().numpy()
    gs = wgs.double().cpu().numpy()
    acc = None if wac is None else wac.double().cpu().numpy()
    new = scale.copy()
    reset = np.zeros(k, dtype=bool)
    changed = False
    for g in range(groups):
        sl = slice(g * per, (g + 1) * per)
        block = tr[sl]
        if not np.all(np.isfinite(block)) or not np.all(np.isfinite(gs[sl])):
            new[sl] = scale[sl] / 10.0
            reset[sl] = True
            changed = True
            continue
        if acc is not None:
            a = float(np.nanmean(acc[sl, acc.shape[1] // 2:]))
            if math.isfinite(a) and not 0.5 <= a <= 0.8:
                new[sl] = scale[sl] * min(max(math.exp(3.0 * (a - 0.65)), 0.2), 3.0)
                changed = True
            continue
        lam = float((block[:, w // 2:].mean(1) * nbeta[sl]).mean())
        gm = float(gs[sl, gs.shape[1] // 2:].mean())
        b = step_size * float(scale[sl].mean()) * gm / (8.0 * max(lam, LAMBDA_FLOOR_EST))
        if not math.isfinite(b) or b <= 0:
            continue
        if b > 2 * TARGET_BIAS or b < TARGET_BIAS / 2:
            new[sl] = scale[sl] * min(max(TARGET_BIAS / b, 0.1), 3.0)
            changed = True
    return (new, reset) if changed else None


def _mala_window(total: int, burn_in: int | None) -> int:
    """Steps at the start of MALA's production run in which ε may still shrink: the first
    half of the burn-in, at most ``MALA_ADAPT_STEPS``, in whole blocks."""
    w = min(MALA_ADAPT_STEPS, _burn(total, burn_in) // 2)
    return w - w % MALA_ADAPT_BLOCK


def _mala_shrink(ac: Tensor, start: int, step_size: float) -> float | None:
    r"""After the block of ``MALA_ADAPT_BLOCK`` steps from ``start`` of one point's chains:
    a smaller ε when their mean acceptance probability (``ac``, every ``DIAG_EVERY``-th step)
    is below ``MALA_ACCEPT_FLOOR``, else ``None``.

    The pilot's chains start at :math:`w^*`; the production chains move on to where the
    curvature is larger and may then accept too rarely (measured: 0.2 instead of the pilot's
    0.65 for one RRR rank-0 run). MALA's rejection rate grows as :math:`\varepsilon^{3/2}`
    (Roberts & Rosenthal 1998), so :math:`\varepsilon \leftarrow \varepsilon\,(r^*/r)^{2/3}`
    with :math:`r^* = 1 - 0.65`, by a factor in [1/4, 0.8]. ε only shrinks: raising it to the target
    on these chains made singular points mix worse. The steps belong to the burn-in."""
    a = ac[:, start // DIAG_EVERY:(start + MALA_ADAPT_BLOCK) // DIAG_EVERY]
    acc = float(a.double().mean())
    if not acc < MALA_ACCEPT_FLOOR:
        return None
    return step_size * min(max(((1.0 - 0.65) / (1.0 - acc)) ** (2.0 / 3.0), 0.25), 0.8)


def _run_lengths(draws: int | None, burn_in: int | None,
                 auto: list[str]) -> tuple[bool, int, int, int | None]:
    """``(adaptive, first total, cap, burn_in)`` of the production phase; records the
    automatic choices in ``auto`` (``burn_in=None`` with adaptive draws means total // 4)."""
    adaptive = draws is None
    if adaptive:
        auto.append("draws")
        total = AUTO_MIN_STEPS if burn_in is None else burn_in + AUTO_MIN_STEPS
        cap = AUTO_MAX_STEPS if burn_in is None else burn_in + AUTO_MAX_STEPS
    else:
        if burn_in is None:
            burn_in = draws // 3
            auto.append("burn_in")
        total = cap = burn_in + draws
    if burn_in is None:
        auto.append("burn_in")
    return adaptive, total, cap, burn_in


def _burn(total: int, burn_in: int | None) -> int:
    """Burn-in of a run of ``total`` steps (a quarter when adaptive with ``burn_in=None``)."""
    return total // 4 if burn_in is None else burn_in


def _buffers(rows: int, cap: int, dtype: torch.dtype, device: torch.device, has_acc: bool
             ) -> tuple[Tensor, Tensor, Tensor | None]:
    """ΔL trace ``(rows, cap)`` and per-``DIAG_EVERY`` gradient/acceptance buffers."""
    nd = (cap + DIAG_EVERY - 1) // DIAG_EVERY
    tr = torch.empty((rows, cap), dtype=dtype, device=device)
    gs = torch.empty((rows, nd), dtype=dtype, device=device)
    ac = torch.empty((rows, nd), dtype=dtype, device=device) if has_acc else None
    return tr, gs, ac


def _collect(tr: Tensor, gs: Tensor, ac: Tensor | None, total: int, burn_in: int,
             step_size: float, calibration: StepSizeCalibration | None, auto: list[str],
             warmup_steps: int, preconditioner: str = "none",
             nonfinite: Tensor | None = None) -> _Run:
    """The first ``total`` steps of the buffers of one run as a float64 :class:`_Run`."""
    nd = (total + DIAG_EVERY - 1) // DIAG_EVERY
    return _Run(
        delta=tr[:, :total].double().cpu().numpy(),
        gsq=gs[:, :nd].double().cpu().numpy(),
        acc=None if ac is None else ac[:, :nd].double().cpu().numpy(),
        total=total,
        burn_in=burn_in,
        step_size=float(step_size),
        calibration=calibration,
        auto=auto,
        warmup_steps=warmup_steps,
        preconditioner=preconditioner,
        nonfinite=None if nonfinite is None else nonfinite.double().cpu().numpy(),
    )


def _extend(tr: Tensor, total: int, burn_in: int | None, cap: int, adaptive: bool,
            nbeta: np.ndarray | float, groups: int,
            rule: Callable[[np.ndarray, int], tuple[bool, float]] | None = None) -> int | None:
    """Adaptive rule after ``total`` steps of the chains ``tr``: ``None`` when the run is
    complete (fixed length, the cap reached, or ``rule`` — default :func:`_converged` — on
    nβΔL after burn-in), else the next run length (:func:`_next_total`)."""
    if not adaptive or total >= cap:
        return None
    kept = tr[:, _burn(total, burn_in):total].double().cpu().numpy()
    ok, factor = (rule or _converged)(kept * nbeta, groups)
    return None if ok else _next_total(total, factor, cap)


def _next_total(total: int, factor: float, cap: int) -> int:
    r"""Run length for the next adaptive round: the MC error falls as 1/√draws, so ``factor``
    (:math:`(\mathrm{se}/\mathrm{target})^2`, or 2 when R-hat or stationarity failed) times the
    current length, with a 15 % margin, growing at least 1.25× and at most 4× per round."""
    grow = min(max(1.15 * factor, 1.25), 4.0) if math.isfinite(factor) else 2.0
    return min(cap, int(math.ceil(total * grow / 100.0)) * 100)


def _converged(scaled: np.ndarray, groups: int) -> tuple[bool, float]:
    r"""Adaptive stopping rule on nβΔL draws, per temperature group of chains.

    Returns ``(converged, factor)``: ``factor`` estimates how much longer the run must be,
    :math:`(\mathrm{se}/\mathrm{target})^2` where the MC error is the failing criterion, 2
    where R-hat or the stationarity test fails (a doubling, as before)."""
    if not np.all(np.isfinite(scaled)):
        return True, 1.0  # diverged: more steps will not help; report it
    factor = 1.0
    for g in np.split(scaled, groups, axis=0):
        lam = g.mean()
        se = dg.mcse(g)
        target = AUTO_TARGET_RSE * max(abs(lam), 0.05)
        if not (se <= target):
            factor = max(factor, (se / target) ** 2 if math.isfinite(se) else 2.0)
        r = dg.rhat(g) if g.shape[0] > 1 else 1.0
        if r > RHAT_MAX:
            factor = max(factor, 2.0)
        z = dg.stationarity_z(g)
        if abs(z) > STATIONARITY_Z_MAX:
            factor = max(factor, 2.0)
    return factor == 1.0, factor


def _converged_record(scaled: np.ndarray, groups: int) -> tuple[bool, float]:
    r"""The stopping rule of a scan kept only as a record (a Morse–Bott zero, where λ = k/2
    is known before sampling, :func:`_morse_bott_rank`): every temperature's chains agree
    (R-hat), are stationary and have a bulk ESS of at least 100 — a sample that passes its
    diagnostics — but no Monte-Carlo precision target, which the estimate does not need."""
    if not np.all(np.isfinite(scaled)):
        return True, 1.0
    for g in np.split(scaled, groups, axis=0):
        r = dg.rhat(g) if g.shape[0] > 1 else 1.0
        e = dg.ess(g)
        if r > RHAT_MAX or abs(dg.stationarity_z(g)) > STATIONARITY_Z_MAX or not e >= 100:
            return False, 2.0
    return True, 1.0


def _summarise(run: _Run, nbeta: np.ndarray, d: int, sampler: str, adaptive: bool
               ) -> tuple[np.ndarray, float, float, dg.Diagnostics]:
    """Per-chain estimates, llc, MC s.e. and diagnostics of one temperature group."""
    nb = nbeta[:, None]
    kept = run.delta[:, run.burn_in:] * nb
    full = run.delta * nb
    per_chain = kept.mean(axis=1)
    explode = 10.0 * d / 2.0 + 50.0
    bad = ~np.isfinite(full).all(axis=1) | (np.nan_to_num(full, nan=np.inf).max(axis=1)
                                            > explode)
    warn: list[str] = []
    div_chains = tuple(int(i) for i in np.flatnonzero(bad))
    if div_chains:
        warn.append(
            f"divergent chains {list(div_chains)}: NaN/Inf loss or nbeta*(L - L*) above "
            f"{explode:.0f} (10x d/2 + 50); reduce step_size or check the model/loss"
        )
    if run.nonfinite is not None and np.any(run.nonfinite > 0):
        ch = [int(i) for i in np.flatnonzero(run.nonfinite > 0)]
        warn.append(
            f"{int(run.nonfinite.sum())} proposals with a NaN/Inf loss were rejected in chains "
            f"{ch}: the loss is not finite near w* (the estimate covers only where it is); "
            "check the model/loss"
        )
    good = ~bad
    use = kept[good] if good.any() else kept
    llc = float(use.mean()) if use.size else math.nan
    se = dg.mcse(use) if use.shape[1] >= 4 else math.nan
    ess = dg.ess(use)
    rh = dg.rhat(use) if use.shape[0] > 1 else math.nan
    z = dg.stationarity_z(use) if use.shape[1] >= 8 else math.nan
    db = (run.burn_in + DIAG_EVERY - 1) // DIAG_EVERY
    acc = None if run.acc is None else float(np.nanmean(run.acc[:, db:]))
    bias = None
    if sampler == "mala":
        bias = 0.0
    elif good.any() and math.isfinite(llc) and llc != 0:
        g = float(run.gsq[good, db:].mean())
        eps_eff = run.step_size
        bias = eps_eff * g / (8.0 * abs(llc))
    if math.isfinite(rh) and rh > RHAT_MAX:
        warn.append(f"R-hat {rh:.3f} > {RHAT_MAX}: chains disagree; run longer (draws) or "
                    "check for multimodality")
    if math.isfinite(z) and abs(z) > STATIONARITY_Z_MAX:
        warn.append(f"loss trace not stationary (first vs second half z = {z:.1f}); "
                    "increase burn_in/draws")
    if math.isfinite(ess) and ess < 100:
        warn.append(f"effective sample size {ess:.0f} < 100; run longer")
    elif not math.isfinite(ess) or (use.shape[0] > 1 and not math.isfinite(rh)):
        warn.append(f"{use.shape[1]} kept draw(s) per chain are too few for an effective "
                    "sample size and R-hat; run longer (draws)")
    if sampler == "mala" and acc is not None and acc < MALA_ACCEPT_WARN:
        warn.append(f"MALA acceptance rate {acc:.3f} < {MALA_ACCEPT_WARN}: the step size is "
                    "too large where the chains are, they rarely move; reduce step_size")
    if bias is not None and bias > BIAS_WARN:
        warn.append(f"estimated discretisation bias {100 * bias:.1f}% of the LLC "
                    f"(> {100 * BIAS_WARN:.0f}%); reduce step_size or use sampler='mala'")
    if math.isfinite(llc) and llc < 0:
        warn.append("negative LLC: the chains found loss below L(w*), so w* is not a local "
                    "minimum (train further or localize more)")
    notes: list[str] = []
    if adaptive and math.isfinite(se) and math.isfinite(llc) and (
            se > AUTO_TARGET_RSE * max(abs(llc), 0.05) * 1.5):
        notes.append(f"Monte-Carlo error {se:.3g} above the {100 * AUTO_TARGET_RSE:.0f}% "
                     f"target after the maximal {AUTO_MAX_STEPS} steps (in the error bars)")
    if not math.isfinite(llc):
        warn.append("LLC estimate is not finite")
    if run.calibration is not None and run.calibration.at_grid_edge:
        warn.append(f"step-size calibration hit the edge of its grid (eps = "
                    f"{run.step_size:.3g}); check the scale of the loss")
    diag = dg.Diagnostics(
        ess=ess, rhat=rh, acceptance_rate=acc, divergent=bool(div_chains) or not
        math.isfinite(llc), warnings=warn, stationarity_z=z, estimated_bias=bias,
        divergent_chains=div_chains, calibration=run.calibration, notes=notes,
    )
    return per_chain, llc, se, diag


def _resolve(model, data, loss, n, beta, localization, step_size, chains, draws, burn_in,
             sampler, batch_size, params, seed, device, finite: bool = True,
             true_parameter: bool = False):
    if sampler not in SAMPLER_CHOICES:
        raise ValueError(f"sampler must be one of {list(SAMPLER_CHOICES)}, got {sampler!r}")
    chains = _positive_int("chains", chains)
    if draws is not None:
        draws = _positive_int("draws", draws)
    if burn_in is not None:
        burn_in = _positive_int("burn_in", burn_in, minimum=0)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    if not -2**63 <= int(seed) < 2**63:  # torch's generators take a 64-bit seed
        raise ValueError(f"seed must fit in 64 bits, got {seed}")
    if step_size is not None:
        step_size = _positive_float("step_size", step_size)
    dev = resolve_device(device)
    s = _setup(model, data, loss, params, dev, finite, true_parameter)
    n = s.n_data if n is None else _positive_int("n", n, minimum=2)
    if n < 2:
        raise ValueError(f"n must be >= 2 (beta = 1/log n), got {n}")
    beta_v = 1.0 / math.log(n) if beta is None else _positive_float("beta", beta)
    gamma = 1.0 if localization is None else _positive_float("localization", localization,
                                                             allow_zero=True)
    fi = torch.finfo(s.dtype)  # what the model's dtype can hold, with room for the sampler
    for name, v in (("beta (as n·beta)", n * beta_v), ("localization", gamma),
                    ("step_size", step_size)):
        if v is not None and v > 0 and not fi.tiny * 1e6 <= v <= fi.max * 1e-6:
            raise ValueError(f"{name} = {v:g} is outside what {s.dtype} can hold in the "
                             f"sampler's arithmetic ([{fi.tiny * 1e6:.3g}, {fi.max * 1e-6:.3g}])")
    if batch_size is None:
        bs = s.n_data if s.n_data <= AUTO_FULL_BATCH_MAX else AUTO_BATCH_SIZE
    else:
        bs = min(_positive_int("batch_size", batch_size), s.n_data)
    if sampler == "mala" and bs < s.n_data:
        raise ValueError("sampler='mala' needs full batch: batch_size must be None or >= n")
    auto = [k for k, v in (("n", n), ("beta", beta), ("localization", localization),
                           ("batch_size", batch_size)) if v is None]
    if sampler == "auto":
        auto.append("sampler")
    return s, n, beta_v, gamma, step_size, chains, draws, burn_in, bs, int(seed), dev, auto


def _resolve_sampler(sampler: str, batch_size: int, n_data: int) -> str:
    """``"auto"``: MALA with full batch (exact: no discretisation bias, and the MH test keeps
    chains stable where SGLD's fixed step is too large), SGLD with minibatches."""
    if sampler != "auto":
        return sampler
    return "mala" if batch_size >= n_data else "sgld"


def _flag(warn: list[str], where: str) -> None:
    if warn:
        warnings.warn(f"{where}: " + "; ".join(warn), LLCWarning, stacklevel=3)


def estimate_llc(
    model: torch.nn.Module,
    data: tuple[Tensor, Tensor],
    *,
    loss: str | Callable[[Tensor, Tensor], Tensor] = "gaussian",
    n: int | None = None,
    beta: float | None = None,
    localization: float | None = None,
    step_size: float | None = None,
    chains: int = 4,
    draws: int | None = None,
    burn_in: int | None = None,
    sampler: str = "auto",
    batch_size: int | None = None,
    params: Iterable[str] | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
    preconditioner: str | None = None,
    method: str = "extrapolate",
    step_jitter: float | None = None,
    multiplicity: int | None = None,
    orbit: OrbitMove | None = None,
    exchange: bool | None = None,
    morse_bott: bool = True,
    record_scan: bool = False,
    progress: bool | None = None,
    true_parameter: bool = False,
) -> LLCEstimate:
    r"""Estimate the local learning coefficient of ``model`` at its current parameters.

    ``method="single"``: :math:`\hat\lambda = n\beta(E_{w|w^*,\beta,\gamma}[L_n(w)] -
    L_n(w^*))` (Lau et al., arXiv:2308.12108, eq. 8) at one inverse temperature.
    ``method="extrapolate"`` (default): the same estimate on a scan of inverse temperatures
    :math:`n\beta f_j` (:data:`slttheory.sampling.extrapolate.GRID`, a decade below nβ, every
    temperature as ``chains`` more chains of one vectorised run), corrected for each
    temperature's first-order discretisation bias (SGLD) and extrapolated to
    :math:`n\beta\to\infty` by a finite-nβ model (module docstring). All chains are
    vectorised; every ``None`` argument is chosen automatically (module docstring) and
    recorded in ``config``. The module is not modified. ``params``: the names of the
    parameters to sample (the others stay at their values: the LLC of the restricted model);
    ``None`` (default): every parameter with ``requires_grad``, as torch's optimisers and
    devinterp treat frozen ones. ``preconditioner``:
    ``None``/``"none"`` (default: the kernels in parameter units), ``"dense"`` or
    ``"diagonal"`` (a constant preconditioner from the curvature at :math:`w^*`,
    :mod:`slttheory.sampling.precondition`; the target is the same). ``step_jitter`` (MALA
    only): each step draws its step size log-uniformly from
    :math:`[\varepsilon e^{-j}, \varepsilon e^{j}]`, independently of the state, so the target
    is unchanged (:func:`~slttheory.sampling.kernels.jittered_step`); it lets chains cross
    the scales of a singular point's zero set (``benchmarks/estimand.py``); ``None``
    (default): :data:`DEFAULT_STEP_JITTER` (log 10, two decades) with MALA, 0 otherwise; 0 is
    plain MALA. ``multiplicity`` (``"extrapolate"`` only): ``None`` (default) when the
    multiplicity m of the largest pole is unknown; a caller who knows m ≥ 2 gets the fit
    :math:`\lambda - (m-1)/(\log n\beta + \kappa)`, which removes the multiplicity term
    that no power law over one decade can (:data:`~slttheory.sampling.extrapolate
    .MULTIPLICITY_MODELS`; measured in docs/estimator.md §1 and §6); m = 1 is the default fit
    with the multiplicity laws left out of its interval (and, on noisy data, of its mean).
    A wrong m biases the estimate (m = 2 on an m = 1 crossing: +23 %). ``orbit``: a
    Metropolis–Hastings move along a symmetry orbit of the loss, made every ``orbit.every``
    steps of every chain (:func:`~slttheory.sampling.symmetry.matrix_chain_orbit` for the GL
    symmetry of reduced-rank regression and deep linear networks); exact, so the target is
    unchanged; only without a preconditioner. ``exchange`` (``"extrapolate"`` with MALA, no
    preconditioner): Metropolis–Hastings swaps of states between neighbouring temperatures
    of the scan every :data:`~slttheory.sampling.exchange.EXCHANGE_EVERY` steps (replica
    exchange, :mod:`slttheory.sampling.exchange`); every temperature keeps its target.
    Default ``None``: on for noisy data where allowed, off for noise-free data
    (:func:`auto_exchange`).
    ``morse_bott`` (default ``True``): at a Morse–Bott zero of noise-free data, or where the
    outputs are linear in the sampled parameters (noisy data too),
    ``llc`` is k/2 exactly (:func:`~slttheory.sampling.localisation.morse_bott_rank`);
    ``False`` keeps the
    scan's own estimate there (the verifier does: its LLC route is sampling evidence, and
    ranks are its rank route's). λ is then known before sampling, so no chain is run
    (the Gauss–Newton spectrum and a float64 Hessian are all it costs) unless
    ``record_scan=True``, which samples the temperature scan as a record: its diagnostics and
    the finite-t estimand it reads, beside k/2. ``progress``: a bar of sampler steps on
    stderr (:mod:`slttheory.sampling.progress`): ``True`` always, ``False`` never, ``None``
    (default) on a terminal once the run is projected to take more than ten seconds.
    ``true_parameter``: ``True`` when w* is the data-generating parameter :math:`w_0` of a
    realisable model with Gaussian noise, :math:`y = f_{w_0}(x) + \varepsilon` (loss
    ``"gaussian"`` or a callable quadratic in the residual), as in a teacher–student
    experiment. The chains are unchanged; the averaged quantity becomes
    :math:`\tfrac12(K_n + \tilde K_n)`, the training excess loss and the loss against the
    teacher's outputs, whose means are :math:`\lambda \mp \beta\nu(\beta)` by Watanabe's
    equations of state (ν the singular fluctuation), so their mean has the noise-free
    estimand's expectation and the noise-free fit and localisation deficit apply
    (:func:`_symmetrised_shift`; docs/estimator.md §1). Without it, noisy data at
    :math:`w_0` read low by about βν (:math:`d/(2\log n)` for a regular model) and at an
    empirical minimiser high by a model-dependent amount. Not for a trained network whose
    truth is unknown.

    >>> import torch
    >>> x = torch.randn(1000, 1, generator=torch.Generator().manual_seed(0))
    >>> model = torch.nn.Linear(1, 1)   # y = 3x + 2: a regular model, lambda = d/2 = 1
    >>> with torch.no_grad():
    ...     _ = model.weight.fill_(3.0), model.bias.fill_(2.0)
    >>> y = 3 * x + 2 + torch.randn(1000, 1, generator=torch.Generator().manual_seed(1))
    >>> est = estimate_llc(model, (x, y), draws=2000, device="cpu")
    >>> est.llc, est.ci   # linear in (w, b): a regular model, lambda = d/2 exactly
    (1.0, (1.0, 1.0))
    >>> est.exact, est.loss_trace.size   # known before sampling: no chain was run
    (True, 0)
    >>> scan = estimate_llc(model, (x, y), draws=2000, device="cpu", morse_bott=False)
    >>> abs(scan.llc - 1.0) < 0.15 and scan.ci[0] < scan.llc < scan.ci[1]  # the scan alone
    True
    """
    t0 = time.perf_counter()
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    _check_bool("true_parameter", true_parameter)
    (s, n, beta_v, gamma, step_size, chains, draws, burn_in, bs, seed, dev,
     auto) = _resolve(model, data, loss, n, beta, localization, step_size, chains, draws,
                      burn_in, sampler, batch_size, params, seed, device,
                      true_parameter=true_parameter)
    _check_orbit(orbit, preconditioner, bs, s.n_data, s.center.numel())
    sampler = _resolve_sampler(sampler, bs, s.n_data)
    nbeta = n * beta_v
    if exchange is None:
        exchange = auto_exchange(s.init_loss, nbeta, method, sampler, preconditioner)
        auto.append("exchange")
    _check_exchange(exchange, method, sampler, preconditioner)
    _check_bool("morse_bott", morse_bott)
    _check_bool("record_scan", record_scan)
    jitter = _step_jitter(step_jitter, sampler)
    if step_jitter is None:
        auto.append("step_jitter")
    fit_model = _multiplicity_model(multiplicity, method)
    bar = StepProgress(progress, "estimate_llc")
    if not math.isfinite(s.init_loss):
        return with_caller_settings(
            _nonfinite_result(s, n, beta_v, gamma, step_size, chains, draws, burn_in, sampler,
                              bs, seed, dev, auto, t0, method), jitter, multiplicity, orbit,
            exchange, morse_bott, record_scan, true_parameter)
    rec = _Positions.sized(chains * (1 if method == "single" else len(_xp.GRID)),
                           s.center.numel())
    if method == "single":
        nb = torch.full((chains,), nbeta, dtype=s.dtype, device=dev)
        with bar:
            run = _sample(s, nbeta_chain=nb, nbeta_cal=nbeta, gamma=gamma,
                          step_size=step_size, chains=chains, draws=draws, burn_in=burn_in,
                          sampler=sampler, batch_size=bs, seed=seed,
                          preconditioner=preconditioner, record=rec, jitter=jitter,
                          orbit=orbit, progress=bar)
        est = _single_result(s, run, n, beta_v, gamma, chains, sampler, bs, seed, dev, auto,
                             draws is None, rec)
    else:
        grid = np.asarray(_xp.GRID, dtype=float)
        scan_kw = _scan_args(s, nbeta, grid, chains, step_size)
        k = _exact_rank(s, nbeta, morse_bott, fit_model)
        if k is not None and not record_scan:
            est = _exact_result(s, k, n, beta_v, gamma, chains, sampler, bs, seed, dev, auto,
                                step_size, preconditioner)
        else:
            if k is not None:
                scan_kw["converged"] = _converged_record
            with bar:
                run = _sample(s, **scan_kw, gamma=gamma, step_size=step_size, draws=draws,
                              burn_in=burn_in, sampler=sampler, batch_size=bs, seed=seed,
                              preconditioner=preconditioner, record=rec, jitter=jitter,
                              orbit=orbit, exchange=exchange, progress=bar)
            est = _scan_result(s, run, grid, n, beta_v, gamma, chains, sampler, bs, seed, dev,
                               auto, draws is None, rec, fit_model, k, multiplicity)
    _flag(est.diagnostics.warnings, "estimate_llc")
    est = with_caller_settings(est, jitter, multiplicity, orbit, exchange, morse_bott,
                               record_scan, true_parameter)
    return _with_time(est, time.perf_counter() - t0)


def auto_exchange(init_loss: float, nbeta: float, method: str, sampler: str,
                  preconditioner: str | None) -> bool:
    r"""Whether ``estimate_llc(exchange=None)`` swaps states between the scan's temperatures:
    on noisy data (:func:`~slttheory.sampling.extrapolate.is_noise_free` false at
    :math:`t_0 = n\beta`) wherever swaps are allowed (``"extrapolate"``, MALA, no
    preconditioner), off for noise-free data.

    Why (docs/estimator.md §6, chosen on the selection half of ``benchmarks/accuracy.py``):
    on its noisy cases the swaps took failed diagnostics from 2 to 0 of 60 (the quadratic
    network's top temperature: ESS 239 → 1798) and the interval's coverage from 59 to 60 of
    60, the errors of the means within their noise, in 0.89× the steps; on its noise-free
    cases the median error rose from 1.4 % to 4.6 % (each a single data set, whose
    extrapolation amplified one temperature's 2σ draw), so noise-free scans keep independent
    temperatures.

    >>> auto_exchange(0.5, 145.0, "extrapolate", "mala", None)
    True
    >>> auto_exchange(0.0, 145.0, "extrapolate", "mala", None), auto_exchange(
    ...     0.5, 145.0, "single", "mala", None)
    (False, False)
    """
    return (method == "extrapolate" and sampler == "mala"
            and pc.resolve_preconditioner(preconditioner) == "none"
            and math.isfinite(init_loss) and not _xp.is_noise_free(init_loss, nbeta))


def _check_exchange(exchange: bool, method: str, sampler: str, preconditioner: str | None
                    ) -> None:
    """``exchange`` is a bool, and ``True`` only for a temperature scan sampled by MALA (exact
    energies) in parameter coordinates."""
    _check_bool("exchange", exchange)
    if not exchange:
        return
    if method != "extrapolate":
        raise ValueError(f"exchange: swaps between temperatures need method='extrapolate' "
                         f"(several temperatures), not {method!r}")
    if sampler != "mala":
        raise ValueError(f"exchange: swaps need exact energies (sampler='mala'), not "
                         f"{sampler!r}")
    if pc.resolve_preconditioner(preconditioner) != "none":
        raise ValueError(f"exchange: swaps act in parameter coordinates; they cannot be "
                         f"combined with preconditioner={preconditioner!r}")


def _check_orbit(orbit: OrbitMove | None, preconditioner: str | None, batch_size: int,
                 n_data: int, d: int) -> None:
    """``orbit`` is ``None`` or an :class:`OrbitMove` for the ``d`` sampled coordinates, used
    without a preconditioner (its moves act on parameter coordinates) and on the full batch
    (its acceptance needs the exact energy)."""
    kind = pc.resolve_preconditioner(preconditioner)
    if orbit is None:
        return
    if not isinstance(orbit, OrbitMove):
        raise TypeError(f"orbit must be an OrbitMove or None, got {type(orbit).__name__}")
    if kind != "none":
        raise ValueError(f"orbit: a symmetry move acts on parameter coordinates; it cannot be "
                         f"combined with preconditioner={preconditioner!r}")
    if batch_size < n_data:
        raise ValueError(f"orbit: a symmetry move needs the full-batch energy, got "
                         f"batch_size={batch_size} < n={n_data}")
    if orbit.dim is not None and orbit.dim != d:
        raise ValueError(f"orbit: the move acts on {orbit.dim} coordinates but {d} are sampled "
                         "(params= selects a subset?)")


def _with_time(est: LLCEstimate, elapsed: float) -> LLCEstimate:
    return dataclasses.replace(est, elapsed_s=elapsed)


def _multiplicity_model(multiplicity: int | None, method: str) -> str | None:
    """The finite-nβ law for a caller-stated ``multiplicity`` (``None``: the default rule)."""
    if multiplicity is None:
        return None
    if isinstance(multiplicity, bool) or not isinstance(multiplicity, int) \
            or not 1 <= multiplicity <= len(_xp.MULTIPLICITY_MODELS) + 1:
        raise ValueError(f"multiplicity must be None or an integer in [1, "
                         f"{len(_xp.MULTIPLICITY_MODELS) + 1}], got {multiplicity!r}")
    if method != "extrapolate":
        raise ValueError(f"multiplicity applies to method='extrapolate', not {method!r}")
    return None if multiplicity == 1 else f"mult{multiplicity}"


def _step_jitter(step_jitter: float | None, sampler: str) -> float:
    """``step_jitter`` checked (:func:`~slttheory.sampling.kernels.check_jitter`); ``None``:
    :data:`DEFAULT_STEP_JITTER` for MALA, 0 for the other samplers (their targets would move)."""
    if step_jitter is None:
        return DEFAULT_STEP_JITTER if sampler == "mala" else 0.0
    return check_jitter(step_jitter, sampler, name="step_jitter")


def with_caller_settings(est: LLCEstimate, jitter: float, multiplicity: int | None,
                         orbit: OrbitMove | None = None, exchange: bool = False,
                         morse_bott: bool = True, record_scan: bool = False,
                         true_parameter: bool = False) -> LLCEstimate:
    """``est`` with ``config.step_jitter`` (the jitter its chains ran with),
    ``config.multiplicity`` (the caller's stated m, or ``None``), ``config.orbit`` (the
    symmetry move's name, or ``None``), ``config.exchange``, ``config.morse_bott``,
    ``config.record_scan`` and ``config.true_parameter`` set."""
    return dataclasses.replace(est, config=dataclasses.replace(
        est.config, step_jitter=jitter, multiplicity=multiplicity,
        orbit=None if orbit is None else orbit.name, exchange=exchange,
        morse_bott=morse_bott, record_scan=record_scan, true_parameter=true_parameter))


def _check_bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")


def _exact_rank(s: _Setup, nbeta: float, morse_bott: bool, fit_model: str | None
                ) -> int | None:
    """k when the estimate will be k/2 exactly, whatever the draws: ``morse_bott``, the
    default fit, and w* a Morse–Bott zero of rank k (:func:`_morse_bott_rank`); the scan is
    then not sampled (:func:`_exact_result`), or sampled as a record only
    (:func:`_converged_record`). Else ``None``."""
    return _morse_bott_rank(s, nbeta) if morse_bott and fit_model is None else None


def _scan_args(s: _Setup, nbeta: float, grid: np.ndarray, chains: int,
               step_size: float | None) -> dict[str, Any]:
    """The ``_sample`` arguments of a temperature scan: ``chains`` chains per temperature
    :math:`n\beta f_j`, initial step multipliers :math:`f_j^{-1/2}` (re-tuned per temperature
    in the warm-up when the step size is automatic); adaptive length stops when every
    temperature meets :func:`_converged`'s targets."""
    ts = nbeta * grid
    nt = grid.size
    return dict(
        nbeta_chain=torch.tensor(np.repeat(ts, chains), dtype=s.dtype, device=s.device),
        nbeta_cal=nbeta, chains=nt * chains,
        step_scale=torch.tensor(np.repeat(grid ** -0.5, chains), dtype=s.dtype,
                                device=s.device),
        stat_groups=nt, group_steps=step_size is None, converged=None,
    )


def _data_cov(s: _Setup, rec: _Positions | None, burn_in: int, ts: np.ndarray,
              chains: int) -> np.ndarray:
    """Data-fluctuation covariance of the per-temperature ``λ̂(ts[j])``
    (:func:`.fluctuation.data_covariance`); zeros when no draws were recorded, ``nan`` when
    too few."""
    nt = len(ts)
    if rec is None or s.per_sample is None:
        return np.zeros((nt, nt))
    pos = rec.after(burn_in)
    if pos is None:
        return np.full((nt, nt), np.nan)
    groups = [pos[j * chains:(j + 1) * chains] for j in range(nt)]
    return _fl.data_covariance(groups, ts, s.per_sample, s.n_data, s.observable)


def _symmetrised_shift(s: _Setup, rec: _Positions | None, burn_in: int, ts: np.ndarray,
                       chains: int) -> tuple[np.ndarray, np.ndarray]:
    r"""What ``true_parameter=True`` adds to each temperature's :math:`\hat\lambda(t_j)`:
    :math:`t_j E_t[\bar o - \Delta L_n]` with :math:`o_i(w) = \ell_i(w; y'_i) -
    \ell_i(w^*; y'_i)` against the targets :math:`y' = (y + f_{w^*}(x))/2`, from the thinned
    draws, and its Monte-Carlo error (the spread of the chains' means). For the Gaussian loss
    :math:`\bar o = \tfrac12(K_n + \tilde K_n)`: the mean of the training excess loss
    :math:`K_n = L_n(w) - L_n(w_0)` and the design's population excess loss
    :math:`\tilde K_n = \tfrac1{2n}\sum_i\|f_w(x_i) - f_{w_0}(x_i)\|^2`. Watanabe's
    equations of state (2009, *Algebraic Geometry and Statistical Learning Theory*, Thm 8.3;
    2010, JMLR 11:3571) give :math:`E[t E_t K_n] = \lambda - \beta\nu(\beta)` and
    :math:`E[t E_t \tilde K_n] = \lambda + \beta\nu(\beta)` to leading order, ν the
    singular fluctuation; the mean of the two has the noise-free estimand's expectation
    (docs/estimator.md §1). Zeros when the setup has no observable."""
    nt = len(ts)
    if s.observable is None or s.per_sample is None:
        return np.zeros(nt), np.zeros(nt)
    pos = None if rec is None else rec.after(burn_in)
    if pos is None:
        return np.full(nt, math.nan), np.full(nt, math.nan)
    shift, err = np.empty(nt), np.empty(nt)
    rows = _fl.chunk_rows(s.n_data)
    for j, t in enumerate(ts):
        g = pos[j * chains:(j + 1) * chains]  # (chains, draws, d)
        flat = g.reshape(-1, g.shape[-1])
        diff = np.concatenate([ob.mean(axis=1) - dl.mean(axis=1) for dl, ob in zip(
            _fl.loss_chunks(flat, s.per_sample, rows), _fl.loss_chunks(flat, s.observable, rows),
            strict=True)]).reshape(g.shape[0], g.shape[1]) * float(t)
        means = diff.mean(axis=1)
        shift[j] = float(means.mean())
        err[j] = (float(means.std(ddof=1)) / math.sqrt(means.size) if means.size > 1
                  else float(diff.std(ddof=1)) / math.sqrt(diff.size))
    return shift, err


def _single_result(s, run, n, beta_v, gamma, chains, sampler, bs, seed, dev, auto,
                   adaptive, rec: _Positions | None = None) -> LLCEstimate:
    nbeta = n * beta_v
    per_chain, llc, mc, diag = _summarise(run, np.full(chains, nbeta), s.center.numel(),
                                          sampler, adaptive)
    shift, shift_err = _symmetrised_shift(s, rec, run.burn_in, np.array([nbeta]), chains)
    if s.observable is not None:
        per_chain, llc, mc = per_chain + shift[0], llc + float(shift[0]), math.hypot(
            mc, float(shift_err[0]))
        if not math.isfinite(shift[0]) and "LLC estimate is not finite" not in diag.warnings:
            diag = dataclasses.replace(diag, divergent=True, warnings=[
                *diag.warnings, "LLC estimate is not finite (true_parameter: the "
                "symmetrisation has no finite stored draws after burn-in; run longer)"])
    data_err = _xp.quad_se(np.ones(1), _data_cov(s, rec, run.burn_in, np.array([nbeta]), chains))
    se = math.hypot(mc, data_err) if math.isfinite(data_err) else mc
    diag = _with_notes(diag, _minimum_note(s, nbeta))
    cfg = _config(s, n, beta_v, gamma, run, chains, sampler, bs, seed, dev, auto + run.auto,
                  "single", (nbeta,))
    return LLCEstimate(
        llc=llc, std_error=se, per_chain=per_chain,
        loss_trace=s.init_loss + run.delta[:, run.burn_in:],
        diagnostics=diag, config=cfg, elapsed_s=0.0, init_loss=s.init_loss,
        method="single", ci=(llc - Z95 * se, llc + Z95 * se), mc_error=mc, systematic=0.0,
        single=llc, single_std_error=mc, data_error=data_err,
    )


def _group_run(run: _Run, sl: slice) -> _Run:
    """The chains ``sl`` of a scan as their own run (step size times their multiplier)."""
    eps = run.step_size if run.step_scale is None else run.step_size * float(
        np.mean(run.step_scale[sl]))
    return _Run(run.delta[sl], run.gsq[sl], None if run.acc is None else run.acc[sl],
                run.total, run.burn_in, eps, run.calibration, run.auto, run.warmup_steps,
                run.preconditioner, None if run.nonfinite is None else run.nonfinite[sl])


def _scan_result(s, run, grid, n, beta_v, gamma, chains, sampler, bs, seed, dev, auto,
                 adaptive, rec: _Positions | None = None, fit_model: str | None = None,
                 k: int | None = None, multiplicity: int | None = None) -> LLCEstimate:
    """Summaries per temperature, the finite-nβ fit (``fit_model``, default
    :func:`~slttheory.sampling.extrapolate.select_fit`) and the merged diagnostics of a
    scan; ``k``: the rank of a Morse–Bott zero (:func:`_exact_rank`), where the estimate is
    k/2 and the scan a record; ``multiplicity``: the caller's (1 removes the multiplicity
    laws from the default's interval and mean, :func:`.extrapolate.laws_for`)."""
    nbeta = n * beta_v
    ts = nbeta * grid
    d = s.center.numel()
    precise = adaptive and k is None  # a record's run has no precision target to miss
    parts = []
    for j, t in enumerate(ts):
        sub = _group_run(run, slice(j * chains, (j + 1) * chains))
        parts.append((sub, *_summarise(sub, np.full(chains, t), d, sampler, precise)))
    llc_j = np.array([p[2] for p in parts])
    se_j = np.array([p[3] for p in parts])
    bias_j = np.array([0.0 if p[4].estimated_bias is None else p[4].estimated_bias
                       for p in parts])
    deficit, directions, loc_note = _localisation(s, ts, gamma)
    shift, shift_err = _symmetrised_shift(s, rec, run.burn_in, ts, chains)
    corr = llc_j * (1.0 - bias_j) + shift + (0.0 if deficit is None else deficit)
    err_j = np.hypot(se_j * np.abs(1.0 - bias_j), shift_err)
    if fit_model is None:
        fit = _xp.select_fit(grid, corr, err_j, nbeta, s.estimand_loss, directions)
    else:
        fit = _xp.fit_finite_nbeta(grid, corr, err_j, nbeta, fit_model)
    dcov = _data_cov(s, rec, run.burn_in, ts, chains)
    var_j, var_se = [], []
    for j, t in enumerate(ts):
        x = run.delta[j * chains:(j + 1) * chains, run.burn_in:] * t
        c2 = (x - x.mean()) ** 2
        var_j.append(float(c2.mean()))
        var_se.append(dg.mcse(c2) if x.shape[1] >= 4 else math.nan)
    scan = _xp.TemperatureScan(
        nbeta=ts, llc=llc_j, mc_error=se_j, disc_bias=bias_j, corrected=corr,
        step_size=np.array([p[0].step_size for p in parts]),
        ess=np.array([p[4].ess for p in parts]), rhat=np.array([p[4].rhat for p in parts]),
        fit=fit, data_cov=dcov, variance=np.array(var_j), variance_error=np.array(var_se),
        localisation=deficit, curved_directions=directions,
        symmetrisation=shift if s.observable is not None else None,
    )
    llc = fit.value
    errs = _xp.scan_errors(fit, bias_j, dcov)
    se, mc, data_err, fit_err = errs.std_error, errs.mc_error, errs.data_error, errs.fit_error
    ci, law_err = (llc - Z95 * se, llc + Z95 * se), 0.0
    if fit_model is None:  # the default law: the interval spans the laws the scan allows
        li = _xp.law_interval(fit, bias_j, dcov,
                              _xp.laws_for(s.estimand_loss, nbeta, multiplicity), own_error=se)
        ci = (li.low, li.high)
        total = (li.high - li.low) / (2 * Z95)
        if math.isfinite(total) and total > se:
            law_err, se = math.sqrt(total**2 - se**2), total
        point = _xp.point_rule(s.estimand_loss, nbeta)
        if point == _xp.POINT_LAW_MEAN:  # noisy data: the mean of the laws
            llc = li.mean
        scan = dataclasses.replace(scan, laws=li.laws, point=point)
    diag = _merge_diagnostics([p[4] for p in parts], ts, chains, llc, _xp.fit_warning(fit))
    diag = _with_notes(diag, loc_note, _minimum_note(s, nbeta))
    if k is not None:  # λ = k/2 by the Morse–Bott lemma; the scan and its laws stay on record
        note, lam = _morse_bott_note(s, k, nbeta, llc, ci), k / 2
        llc, se, mc, data_err, fit_err, law_err, ci = lam, 0.0, 0.0, 0.0, 0.0, 0.0, (lam, lam)
        scan = dataclasses.replace(scan, fit=_xp.morse_bott_fit(fit, lam), point=_xp.POINT_FIT)
        diag = _with_notes(diag, note)
    cfg = _config(s, n, beta_v, gamma, run, chains, sampler, bs, seed, dev, auto + run.auto,
                  "extrapolate", tuple(float(t) for t in ts))
    _, per0, llc0, se0, _ = parts[0]
    if s.observable is not None:  # the single-temperature value of the same estimand
        per0, llc0 = per0 + shift[0], llc0 + float(shift[0])
        se0 = math.hypot(se0, float(shift_err[0]))
    return LLCEstimate(
        llc=llc, std_error=se, per_chain=per0,
        loss_trace=s.init_loss + run.delta[:chains, run.burn_in:],
        diagnostics=diag, config=cfg, elapsed_s=0.0, init_loss=s.init_loss,
        method="extrapolate", ci=ci, mc_error=mc,
        systematic=llc - llc0, single=llc0, single_std_error=se0, data_error=data_err,
        fit_error=fit_err, temperatures=scan, law_error=law_err,
    )


def _localisation(s: _Setup, ts: np.ndarray, gamma: float
                  ) -> tuple[np.ndarray | None, int, str | None]:
    r"""The localisation deficit :math:`\tfrac12\sum_i\gamma/(t_jh_i+\gamma)` of each
    temperature over the curved directions at w*, their number, and a note when it was due
    but could not be computed (:func:`.localisation.correction`). ``(None, 0, None)`` where
    there is nothing to remove: γ = 0, or noisy data (the small curvatures of an empirical
    minimiser are fitted noise). ``(None, 0, note)`` for more than
    :data:`~.localisation.MAX_DIM` parameters or a spectrum that failed (a model whose forward
    pass does not run in float64 under ``torch.func``, a Jacobian too large to hold): the scan
    is then fitted as sampled."""
    if gamma == 0 or s.spectrum is None or not _xp.is_noise_free(s.estimand_loss,
                                                                 float(ts.max())):
        return None, 0, None
    why = "localisation deficit not removed: "
    if s.center.numel() > _loc.MAX_DIM:
        return None, 0, why + (f"{s.center.numel()} parameters, more than MAX_DIM = "
                               f"{_loc.MAX_DIM} for a dense spectrum")
    try:
        spectrum = s.spectrum()
    except (RuntimeError, TypeError, ValueError, NotImplementedError) as e:
        return None, 0, why + (f"the Gauss–Newton spectrum at w* failed "
                               f"({type(e).__name__}: {str(e)[:120]})")
    deficit, k = _loc.correction(spectrum, ts, gamma)
    return deficit, k, None


def _morse_bott_rank(s: _Setup, t0: float) -> int | None:
    r"""k when w* is a Morse–Bott zero of rank k of a noise-free loss, where λ = k/2 exactly
    (:func:`.localisation.morse_bott_rank`: Gauss–Newton rank k at w* and no higher at random
    points nearby, the residual part of the float64 Hessian below
    :data:`~.localisation.RESIDUAL_RTOL` of the smallest curvature), or, with noisy data, a
    point of rank k of a model linear in its sampled parameters (that residual part
    negligible at w* and at the points nearby, e.g. polynomial regression),
    else ``None``. At most
    :data:`MINIMUM_CHECK_MAX_DIM` parameters (a dense Hessian). It depends on w* and the data
    only, so it is known before sampling, and the scan then runs as a record only
    (:func:`_converged_record`).

    Why not the scan. Directions of curvature h with th below γ are hardly seen at
    temperature t, and in a small network a few of them are typical (a unit with a small
    outgoing weight): a tanh network 2–3–1 at a generic teacher point, n = 500, has
    curvatures down to 4·10⁻⁶ (t₀h = 3·10⁻⁴), and its scan, extrapolated, read 4.26 with the
    interval [4.01, 4.51] against λ = 13/2, at t = 10³t₀ still 3.8; along a GL orbit the
    normal curvature changes and the scan of reduced-rank regression (5,4,2,2) rose through
    λ = 7 to +18 % (docs/estimator.md §6). The lemma settles what no feasible t resolves."""
    d = s.center.numel()
    noisy = not _xp.is_noise_free(s.init_loss, t0)
    if (s.spectrum is None or s.residual is None or s.nearby is None
            or (noisy and (s.nearby_residual is None or s.curvature_probe is None))
            or d > min(MINIMUM_CHECK_MAX_DIM, _loc.MAX_DIM)):
        return None
    try:
        if noisy and not s.curvature_probe() <= _loc.PROBE_RTOL:
            return None  # curved outputs (a few Hessian-vector products tell): no full Hessians
        gn = np.sort(s.spectrum())
        k = _loc.numerical_rank(gn) if gn.size else 0
        if k == 0:  # nothing curved: a purely singular point (no need for the rest)
            return None
        return _loc.morse_bott_rank(gn, s.residual(), s.nearby() if k < d else (d,),
                                    s.nearby_residual() if noisy else None)
    except (RuntimeError, TypeError, ValueError, NotImplementedError):
        return None


def _morse_bott_note(s: _Setup, k: int, t0: float, sampled: float | None = None,
                     ci: tuple[float, float] = (math.nan, math.nan)) -> str:
    """The note of an estimate at a Morse–Bott zero of rank k (``sampled``: the record scan's
    extrapolated reading with its interval ``ci``; ``None``: no scan was sampled)."""
    d = s.center.numel()
    h = float(np.sort(s.spectrum())[d - k]) if s.spectrum is not None else math.nan
    if _xp.is_noise_free(s.init_loss, t0):
        what = "a nondegenerate minimum" if k == d else "a Morse–Bott zero"
        what += " of the noise-free loss"
        fibre = "" if k == d else f"; its zeros near w* form a manifold of dimension {d - k}"
    else:
        what = ("a point of a model linear in its sampled parameters (Hessian = "
                "Gauss–Newton matrix at w* and nearby: regular on its identifiable directions)")
        fibre = "" if k == d else f"; flat along {d - k} directions"
    return (f"w* is {what} (Gauss–Newton rank {k} of {d}, as at random "
            f"points nearby{fibre}; smallest curvature {h:.3g}, t₀·h = {t0 * h:.3g}): "
            f"λ = {k}/2 = {k / 2:g} exactly (Morse–Bott lemma); " + (
                "not sampled (record_scan=True samples the scan as a record)" if sampled is None
                else f"the scan, sampled as a record, extrapolated reads {sampled:.4g} "
                     f"[{ci[0]:.4g}, {ci[1]:.4g}], the finite-t estimand"))


def _with_notes(diag: dg.Diagnostics, *notes: str | None) -> dg.Diagnostics:
    """``diag`` with the given notes appended (``None`` skipped)."""
    new = [x for x in notes if x]
    return dataclasses.replace(diag, notes=[*diag.notes, *new]) if new else diag


def _minimum_note(s: _Setup, nbeta: float, sampled: bool = True) -> str | None:
    """A note when w* is not a local minimum of L_n (a saddle, or a gradient above tolerance:
    :func:`~slttheory.geometry.critical.critical_point_check`'s second-order test), checked
    for data with noise and at most :data:`MINIMUM_CHECK_MAX_DIM` parameters; noise-free data
    fitted exactly at w* (L_n(w*) = 0 ≤ L_n) need no check. The LLC is defined at a minimum;
    elsewhere the chains may find loss below L_n(w*), and λ̂ then counts that descent too (a
    tanh network at its true parameter 0 with noisy data: a saddle, λ̂ 0.48 against λ = 5/6).
    A failed check is reported, not raised; ``sampled=False``: no chain was run (the estimate
    is k/2 of the point, :func:`_exact_result`), so the note says only where the LLC is defined."""
    if (s.critical is None or _xp.is_noise_free(s.init_loss, nbeta)
            or s.observable is not None or s.center.numel() > MINIMUM_CHECK_MAX_DIM):
        return None
    try:
        c = s.critical()
    except (RuntimeError, TypeError, ValueError, NotImplementedError):
        return None
    if c.is_local_min:
        return None
    return (f"w* is not a local minimum of L_n ({c.reason}): the LLC is defined at a minimum; "
            + ("λ̂ also counts the loss the chains find below L_n(w*)" if sampled else
               "k/2 is the rank of this point, which is not the minimiser"))


def _merge_diagnostics(diags: list[dg.Diagnostics], ts: np.ndarray, chains: int, llc: float,
                       fit_warning: str | None = None) -> dg.Diagnostics:
    """One :class:`Diagnostics` for a scan: the worst R-hat and stationarity z, the smallest
    ESS, every warning (prefixed by its temperature) and the fit's own (``fit_warning``),
    divergence anywhere; acceptance and discretisation bias of the chains at nβ."""
    warn: list[str] = [fit_warning] if fit_warning else []
    notes: list[str] = []
    for j, dj in enumerate(diags):
        pre = "" if j == 0 else f"at nbeta={ts[j]:.4g}: "
        warn += [pre + w for w in dj.warnings]
        notes += [pre + w for w in dj.notes]
    # each temperature's own MC target is checked by _summarise (a note when missed); the
    # extrapolated value's larger MC error is part of its interval, not a failed check
    if not math.isfinite(llc):
        warn.append("LLC estimate is not finite")

    def worst(vals, fn):
        v = [x for x in vals if x is not None and math.isfinite(x)]
        return fn(v) if v else math.nan

    zs = [d.stationarity_z for d in diags]
    z = worst([abs(x) for x in zs], max)
    div = tuple(j * chains + c for j, dj in enumerate(diags) for c in dj.divergent_chains)
    d0 = diags[0]
    return dg.Diagnostics(
        ess=worst([d.ess for d in diags], min), rhat=worst([d.rhat for d in diags], max),
        acceptance_rate=d0.acceptance_rate,
        divergent=any(d.divergent for d in diags) or not math.isfinite(llc),
        warnings=list(dict.fromkeys(warn)), stationarity_z=z,
        estimated_bias=d0.estimated_bias, divergent_chains=div, calibration=d0.calibration,
        notes=list(dict.fromkeys(notes)),
    )


def _config(s, n, beta_v, gamma, run, chains, sampler, bs, seed, dev, auto,
            method: str = "single", nbetas: tuple[float, ...] = ()) -> LLCConfig:
    return LLCConfig(
        n=n, beta=beta_v, nbeta=n * beta_v, localization=gamma, step_size=run.step_size,
        chains=chains, draws=run.total - run.burn_in, burn_in=run.burn_in + run.warmup_steps,
        sampler=sampler,
        batch_size=bs, full_batch=bs >= s.n_data, params=s.names,
        dimension=int(s.center.numel()), seed=seed, device=str(dev),
        dtype=str(s.dtype).replace("torch.", ""), loss=s.loss_name,
        auto=tuple(dict.fromkeys(auto)), preconditioner=run.preconditioner, method=method,
        nbetas=nbetas or (n * beta_v,), revision=ESTIMATOR_REVISION,
    )


def _unsampled_run(chains: int, step_size: float | None, preconditioner: str = "none") -> _Run:
    """The :class:`_Run` of an estimate that ran no chain (no draws, the given step size)."""
    return _Run(np.zeros((chains, 0)), np.zeros((chains, 0)), None, 0, 0,
                math.nan if step_size is None else step_size, None,
                preconditioner=preconditioner)


def _exact_result(s, k, n, beta_v, gamma, chains, sampler, bs, seed, dev, auto, step_size,
                  preconditioner) -> LLCEstimate:
    """The estimate at a Morse–Bott zero of rank k without a scan (``record_scan=False``):
    λ = k/2 exactly (:func:`_morse_bott_rank`), every error 0, no chain run; the scan has no
    temperatures and its fit is :func:`~slttheory.sampling.extrapolate.morse_bott_fit`'s."""
    nbeta, lam, none = n * beta_v, k / 2, np.zeros(0)
    diag = dg.Diagnostics(ess=math.nan, rhat=math.nan, acceptance_rate=None, divergent=False,
                          notes=[x for x in (_morse_bott_note(s, k, nbeta),
                                             _minimum_note(s, nbeta, sampled=False)) if x])
    scan = _xp.TemperatureScan(nbeta=none, llc=none, mc_error=none, disc_bias=none,
                               corrected=none, step_size=none, ess=none, rhat=none,
                               fit=_xp.morse_bott_fit(None, lam))
    run = _unsampled_run(chains, step_size, pc.resolve_preconditioner(preconditioner))
    return LLCEstimate(
        llc=lam, std_error=0.0, per_chain=none, loss_trace=np.zeros((chains, 0)),
        diagnostics=diag, elapsed_s=0.0, init_loss=s.init_loss, method="extrapolate",
        config=_config(s, n, beta_v, gamma, run, chains, sampler, bs, seed, dev, auto,
                       "extrapolate", tuple(float(t) for t in nbeta * np.asarray(_xp.GRID))),
        ci=(lam, lam), mc_error=0.0, systematic=math.nan, temperatures=scan,
    )


def _nonfinite_result(s, n, beta_v, gamma, step_size, chains, draws, burn_in, sampler, bs,
                      seed, dev, auto, t0, method: str = "single") -> LLCEstimate:
    msg = f"L_n(w*) = {s.init_loss} is not finite: the loss is NaN/Inf at the model's parameters"
    diag = dg.Diagnostics(ess=math.nan, rhat=math.nan, acceptance_rate=None, divergent=True,
                          warnings=[msg], divergent_chains=tuple(range(chains)))
    run = _unsampled_run(chains, step_size)
    _flag(diag.warnings, "estimate_llc")
    return LLCEstimate(
        llc=math.nan, std_error=math.nan, per_chain=np.full(chains, math.nan),
        loss_trace=np.zeros((chains, 0)), diagnostics=diag,
        config=_config(s, n, beta_v, gamma, run, chains, sampler, bs, seed, dev, auto, method),
        elapsed_s=time.perf_counter() - t0, init_loss=s.init_loss, method=method,
        mc_error=math.nan, systematic=math.nan,
    )


# --------------------------------------------------------------------------- WBIC


@dataclass(frozen=True, eq=False)
class WBICResult:
    r"""WBIC :math:`= E^{\beta}_w[nL_n(w)]` at :math:`\beta = 1/\log n` (Watanabe 2013).

    ``value`` with its Monte-Carlo ``std_error``; ``nll_at_wstar`` is :math:`nL_n(w^*)`, so
    ``value - nll_at_wstar = llc · log n`` to leading order; ``estimate`` is the underlying run.
    """

    value: float
    std_error: float
    nll_at_wstar: float
    estimate: LLCEstimate

    def __str__(self) -> str:
        return (f"WBIC = {self.value:.6g} ± {self.std_error:.2g} (n L_n(w*) = "
                f"{self.nll_at_wstar:.6g}, LLC = {self.estimate.llc:.4g})")


def wbic(model: torch.nn.Module, data: tuple[Tensor, Tensor], *,
         loss: str | Callable[[Tensor, Tensor], Tensor] = "gaussian", n: int | None = None,
         localization: float | None = None, step_size: float | None = None, chains: int = 4,
         draws: int | None = None, burn_in: int | None = None, sampler: str = "auto",
         batch_size: int | None = None, params: Iterable[str] | None = None, seed: int = 0,
         device: str | torch.device = "auto",
         preconditioner: str | None = None) -> WBICResult:
    r"""Widely applicable BIC (Watanabe, JMLR 14:867–897, 2013, Def. 2 / Thm 4).

    :math:`\mathrm{WBIC} = E^{\beta}_w[nL_n(w)]`, :math:`\beta = 1/\log n`, sampled by the same
    kernels as :func:`estimate_llc`. The prior is the localization Gaussian
    :math:`N(w^*, \gamma^{-1}I)` (``localization=None`` gives γ = 1, as in
    :func:`estimate_llc`), so this is the *local* WBIC around :math:`w^*`; ``localization=0``
    gives the flat-prior version (only sensible when the posterior is proper).
    WBIC = :math:`nL_n(w^*) + n\cdot\overline{\Delta L}`, with the same Monte-Carlo error as
    the LLC scaled by :math:`\log n`.

    >>> import torch
    >>> x = torch.randn(500, 1, generator=torch.Generator().manual_seed(0))
    >>> m = torch.nn.Linear(1, 1, bias=False)
    >>> with torch.no_grad():
    ...     _ = m.weight.fill_(1.0)
    >>> w = wbic(m, (x, x), draws=1000, device="cpu")
    >>> abs(w.value - w.nll_at_wstar - 0.5 * math.log(500)) < 1.0
    True
    """
    est = estimate_llc(model, data, loss=loss, n=n, beta=None, localization=localization,
                       step_size=step_size, chains=chains, draws=draws, burn_in=burn_in,
                       sampler=sampler, batch_size=batch_size, params=params, seed=seed,
                       device=device, preconditioner=preconditioner, method="single")
    nn = est.config.n
    mean_delta = est.llc / est.config.nbeta
    return WBICResult(
        value=nn * (est.init_loss + mean_delta),
        std_error=est.mc_error / est.config.beta,
        nll_at_wstar=nn * est.init_loss,
        estimate=est,
    )


# --------------------------------------------------------------------------- multi-temperature


@dataclass(frozen=True, eq=False)
class MultiTemperatureEstimate:
    r"""Slope :math:`\hat\lambda` of :math:`E^\beta[nL_n]` against :math:`1/\beta`.

    ``betas``: the grid; ``mean_nll``: :math:`E^{\beta}[nL_n]` per β with ``mean_nll_se`` (MC);
    ``intercept``: the fitted value at :math:`1/\beta = 0`; ``std_error``: the weighted
    least-squares standard error of the slope; ``per_beta_llc``: single-temperature
    :math:`n\beta(E^\beta[L_n]-L_n(w^*))` per β; ``diagnostics`` per β.
    """

    llc: float
    std_error: float
    betas: np.ndarray
    mean_nll: np.ndarray
    mean_nll_se: np.ndarray
    intercept: float
    per_beta_llc: np.ndarray
    diagnostics: tuple[dg.Diagnostics, ...]
    config: LLCConfig
    elapsed_s: float

    def __str__(self) -> str:
        return (f"multi-temperature LLC = {self.llc:.4g} ± {self.std_error:.2g} over "
                f"{len(self.betas)} temperatures (beta*log n in "
                f"[{self.betas.min() * math.log(self.config.n):.3g}, "
                f"{self.betas.max() * math.log(self.config.n):.3g}])")


def estimate_llc_multitemp(
    model: torch.nn.Module,
    data: tuple[Tensor, Tensor],
    *,
    loss: str | Callable[[Tensor, Tensor], Tensor] = "gaussian",
    n: int | None = None,
    betas: Iterable[float] | None = None,
    localization: float | None = None,
    step_size: float | None = None,
    chains: int = 4,
    draws: int | None = None,
    burn_in: int | None = None,
    sampler: str = "auto",
    batch_size: int | None = None,
    params: Iterable[str] | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
    preconditioner: str | None = None,
    step_jitter: float | None = None,
) -> MultiTemperatureEstimate:
    r"""Multi-temperature LLC: weighted least-squares slope of :math:`E^\beta[nL_n]` on
    :math:`1/\beta`.

    From :math:`E^\beta_w[nL_n(w)] = nL_n(w_0) + \lambda/\beta + O_p(\sqrt{\lambda/\beta})`
    (Watanabe 2013, Thm 4; the regression form of Wei et al., arXiv:2010.11560,
    ``lsfit_lambda``). ``betas=None`` gives five β with :math:`1/\beta` equally spaced on
    :math:`[\tfrac23, \tfrac32]\log n`. All temperatures run as one vectorised batch of
    ``chains × len(betas)`` chains; the step size is calibrated at the largest β and scaled as
    :math:`\varepsilon_j = \varepsilon\,\beta_{\max}/\beta_j` (constant :math:`\varepsilon n\beta`,
    hence equal relative discretisation bias). The slope's standard error is the WLS one with
    weights :math:`1/\mathrm{se}_j^2` from each temperature's Monte-Carlo error.
    ``step_jitter`` is :func:`estimate_llc`'s (MALA's log-uniform step jitter; ``None``: the
    default for the sampler).

    >>> import torch
    >>> x = torch.randn(500, 2, generator=torch.Generator().manual_seed(0))
    >>> m = torch.nn.Linear(2, 1, bias=False)
    >>> y = m(x).detach()
    >>> r = estimate_llc_multitemp(m, (x, y), draws=1500, device="cpu")
    >>> abs(r.llc - 1.0) < 4 * r.std_error + 0.1
    True
    """
    t0 = time.perf_counter()
    (s, n, beta0, gamma, step_size, chains, draws, burn_in, bs, seed, dev,
     auto) = _resolve(model, data, loss, n, None, localization, step_size, chains, draws,
                      burn_in, sampler, batch_size, params, seed, device)
    pc.resolve_preconditioner(preconditioner)
    sampler = _resolve_sampler(sampler, bs, s.n_data)
    jitter = _step_jitter(step_jitter, sampler)
    if step_jitter is None:
        auto.append("step_jitter")
    if betas is None:
        inv = np.linspace(2 / 3, 3 / 2, 5) * math.log(n)
        grid = 1.0 / inv
    else:
        grid = np.asarray([_positive_float("betas", float(b)) for b in betas], dtype=float)
        if grid.size < 2 or np.unique(grid).size < 2:
            raise ValueError("betas must contain at least two distinct values")
    nt = grid.size
    nbeta_chain = torch.tensor(np.repeat(n * grid, chains), dtype=s.dtype, device=dev)
    scale = torch.tensor(np.repeat(grid.max() / grid, chains), dtype=s.dtype, device=dev)
    run = _sample(s, nbeta_chain=nbeta_chain, nbeta_cal=float(n * grid.max()), gamma=gamma,
                  step_size=step_size, chains=chains, draws=draws, burn_in=burn_in,
                  sampler=sampler, batch_size=bs, seed=seed, step_scale=scale,
                  stat_groups=nt, preconditioner=preconditioner, jitter=jitter)
    means, ses, lls, diags = [], [], [], []
    for j in range(nt):
        sl = slice(j * chains, (j + 1) * chains)
        sub = _Run(run.delta[sl], run.gsq[sl], None if run.acc is None else run.acc[sl],
                   run.total, run.burn_in, run.step_size * grid.max() / grid[j],
                   run.calibration, warmup_steps=run.warmup_steps,
                   preconditioner=run.preconditioner,
                   nonfinite=None if run.nonfinite is None else run.nonfinite[sl])
        nb = n * grid[j]
        _, llc_j, se_j, diag_j = _summarise(sub, np.full(chains, nb), s.center.numel(),
                                            sampler, draws is None)
        lls.append(llc_j)
        means.append(n * s.init_loss + n * llc_j / nb)
        ses.append(n * se_j / nb)
        diags.append(diag_j)
    x = 1.0 / grid
    yv, sv = np.asarray(means), np.asarray(ses)
    w = 1.0 / np.where(np.isfinite(sv) & (sv > 0), sv, np.nan) ** 2
    if not np.all(np.isfinite(w)):
        w = np.ones_like(x)
    xm = np.sum(w * x) / np.sum(w)
    ym = np.sum(w * yv) / np.sum(w)
    sxx = np.sum(w * (x - xm) ** 2)
    slope = float(np.sum(w * (x - xm) * (yv - ym)) / sxx)
    se_slope = float(math.sqrt(1.0 / sxx))
    warn = sorted({m for d in diags for m in d.warnings})
    _flag(warn, "estimate_llc_multitemp")
    cfg = dataclasses.replace(
        _config(s, n, beta0, gamma, run, chains, sampler, bs, seed, dev, auto + run.auto),
        step_jitter=jitter)
    return MultiTemperatureEstimate(
        llc=slope, std_error=se_slope, betas=grid, mean_nll=yv, mean_nll_se=sv,
        intercept=float(ym - slope * xm), per_beta_llc=np.asarray(lls),
        diagnostics=tuple(diags), config=cfg, elapsed_s=time.perf_counter() - t0,
    )
