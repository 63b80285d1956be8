r"""Local learning coefficient (LLC), WBIC and a multi-temperature estimator.

The LLC estimator (Lau et al., "The local learning coefficient", arXiv:2308.12108, §3,
Definition 3 and eq. 8):

.. math::

    \hat\lambda(w^*) = n\beta\,\bigl(E_{w\mid w^*,\beta,\gamma}[L_n(w)] - L_n(w^*)\bigr),
    \qquad \beta = 1/\log n,

the expectation over the localized tempered posterior
:math:`\propto \exp\{-n\beta L_n(w) - \tfrac{\gamma}{2}\lVert w-w^*\rVert^2\}`, sampled by the
kernels of :mod:`slttheory.sampling.kernels` with all chains in one ``torch.func.vmap`` call.

This module validates the arguments, runs the method and assembles the result. The parts:
:mod:`~slttheory.sampling.problem` (data, loss and potential at w*),
:mod:`~slttheory.sampling.chains` (calibration, the sampling loop, the adaptive length, its
constants ``AUTO_*``, ``TARGET_BIAS``, ``MALA_*``), :mod:`~slttheory.sampling.extrapolate`
(the finite-nβ fit and its interval), :mod:`~slttheory.sampling.localisation` (the
localisation deficit, the Morse–Bott test), :mod:`~slttheory.sampling.fluctuation` (the data
error) and :mod:`~slttheory.sampling.results` (:class:`LLCEstimate`, :class:`LLCConfig`).

Conventions (documented choices):

* **Loss.** ``L_n(w)`` is the mean per-sample negative log-likelihood. ``"gaussian"``:
  :math:`\tfrac12\lVert y - f(x)\rVert^2` summed over output dimensions (unit variance,
  constants dropped); ``"cross_entropy"``: :math:`-\log\mathrm{softmax}(f(x))_y` (targets:
  class indices, or probability rows :math:`-\sum_c y_c\log\mathrm{softmax}(f(x))_c`);
  ``"binary_cross_entropy"``: one logit :math:`z`, :math:`\log(1 + e^z) - yz`; a callable
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
  at n = 100 gives 0.92 instead of 1). ``localization=0`` is accepted, but an estimate at
  a w* with directions flat to round-off then fails its diagnostics (:func:`_unlocalised`:
  along a flat fibre the posterior may be improper).
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
  chains accept less than ``MALA_ACCEPT_FLOOR``
  (:func:`~slttheory.sampling.chains._mala_shrink`). ε never grows there:
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
  ``AUTO_TARGET_RSE`` (2 %) of :math:`|\hat\lambda|`, R-hat ≤ ``RHAT_MAX``, the halves of the
  kept trace agree (|z| ≤ 3) and the ESS of the mean and the bulk ESS are at least
  ``ESS_MIN`` (100), at every temperature of a scan, starting at ``AUTO_MIN_STEPS``
  steps per chain and growing up to ``AUTO_MAX_STEPS`` (by the factor the measured MC error
  asks for, (se/target)² with a 15 % margin, 1.25× to 4× per round; 2× when R-hat or
  stationarity fails, ESS_MIN/ESS when the ESS is short); the first quarter of the steps is
  burn-in (``burn_in=None``). Given
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
  ``std_error`` the half-width over 1.96, before the cut to [0, d/2]): on the accuracy
  benchmark's stored scans it covers λ on noisy data in 59/60 (selection) and 42/45
  (held-out) estimates, against 37 and 25 for the one law's interval (docs/estimator.md §4).
  Where every law misses (tanh h = 3), it does not cover λ.
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
import math
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from torch import Tensor

from slttheory.sampling import diagnostics as dg
from slttheory.sampling import extrapolate as _xp
from slttheory.sampling import fluctuation as _fl
from slttheory.sampling import localisation as _loc
from slttheory.sampling import precondition as pc
from slttheory.sampling._checks import positive_float, positive_int, resolve_seed
from slttheory.sampling.chains import (
    _converged_record,
    _group_run,
    _Positions,
    _sample,
    _summarise,
    _unsampled_run,
)
from slttheory.sampling.device import resolve_device
from slttheory.sampling.kernels import (
    SAMPLERS,
    check_jitter,
)
from slttheory.sampling.problem import (
    LOSSES,
    _Setup,
    _setup,
)
from slttheory.sampling.progress import StepProgress
from slttheory.sampling.results import (
    LLCConfig,
    LLCEstimate,
    LLCWarning,
)
from slttheory.sampling.symmetry import OrbitMove

__all__ = [
    "LLCConfig",
    "LLCEstimate",
    "LLCWarning",
    "estimate_llc",
    "LOSSES",
]

SAMPLER_CHOICES = ("auto", *sorted(SAMPLERS))
AUTO_FULL_BATCH_MAX = 20_000
AUTO_BATCH_SIZE = 2048
MINIMUM_CHECK_MAX_DIM = 500
"""Largest number of sampled parameters for which an estimate on noisy data checks that w* is
a local minimum of L_n (dense float64 Hessian, :func:`~slttheory.geometry.critical
.critical_point_check`; about 0.1 s at 36 parameters and n = 1000)."""
METHODS = ("extrapolate", "single")
Z95 = _xp.Z95  # two-sided 95 % normal quantile
DEFAULT_STEP_JITTER = math.log(10)
"""MALA's step jitter when ``step_jitter=None``: each step's size drawn log-uniformly from
[ε/10, 10ε] (chosen on the selection half of ``benchmarks/accuracy.py``; docs/estimator.md §6)."""


ESTIMATOR_REVISION = 14
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
unless the scan rejects it (:func:`.extrapolate.select_fit`); 9: curvatures down to 10⁻¹² of
the largest count in the Gauss–Newton rank (:data:`.localisation.ROUNDOFF_RTOL`, was 10⁻¹⁰),
so that a nondegenerate zero with a weakly curved direction gets its k/2; and the default
method's interval is intersected with [0, d/2] (:func:`_within_range`); 10: a Gauss–Newton
rank below d is read only across a gap in the spectrum (:data:`.localisation.SPECTRAL_GAP`), so
that an ill-conditioned model of full rank (polynomial regression of degree 20) is sampled
instead of given a lower k/2 "exactly"; 11: the SGLD discretisation correction of a scan
subtracts its bias (it had added it where λ̂(t) < 0, at a w* that is no minimum); and the
adaptive length also runs until the ESS is at least :data:`.chains.ESS_MIN` at every
temperature (:func:`.chains._converged`), a check the diagnostics make, which the 2 % target
alone does not imply once λ ≳ 25; 12: the ESS gate (diagnostics and adaptive length) asks the
bulk ESS too, not only the ESS of the mean (:func:`.diagnostics.gate_ess`): issue 12's mixing
criterion names the bulk ESS, and on heavy right tails it is the smaller; 13: MALA chains
that accepted no proposal after burn-in give NaN (their unmoved trace read 0), and estimates on
noisy data note the directions that the localisation, not the data, holds (:func:`_weak_note`);
and a noise-free scan whose localisation deficit reverses its trend fails
(:func:`_deficit_reverses`); 14: at a true parameter (``true_parameter=True``) the Morse–Bott
rule applies as to noise-free data, w* being a zero of the population loss by the caller's
statement (:func:`_morse_bott_rank`): a regular tanh network 2–5–2 at its noisy teacher had read
0.85·d/2 with an interval excluding d/2 and every diagnostic passing (an outside probe)."""


def _resolve(model, data, loss, n, beta, localization, step_size, chains, draws, burn_in,
             sampler, batch_size, params, seed, device, finite: bool = True,
             true_parameter: bool = False):
    if sampler not in SAMPLER_CHOICES:
        raise ValueError(f"sampler must be one of {list(SAMPLER_CHOICES)}, got {sampler!r}")
    chains = positive_int("chains", chains)
    if draws is not None:
        draws = positive_int("draws", draws)
    if burn_in is not None:
        burn_in = positive_int("burn_in", burn_in, minimum=0)
    seed = resolve_seed(seed)
    if step_size is not None:
        step_size = positive_float("step_size", step_size)
    dev = resolve_device(device)
    s = _setup(model, data, loss, params, dev, finite, true_parameter)
    n = s.n_data if n is None else positive_int("n", n, minimum=2)
    if n < 2:
        raise ValueError(f"n must be >= 2 (beta = 1/log n), got {n}")
    beta_v = 1.0 / math.log(n) if beta is None else positive_float("beta", beta)
    gamma = 1.0 if localization is None else positive_float("localization", localization,
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
        bs = min(positive_int("batch_size", batch_size), s.n_data)
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
    data: tuple[Any, Tensor],
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
    seed: int | torch.Generator | None = 0,
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

    ``data``: ``(inputs, targets)`` with the samples on the leading axis, or a
    ``DataLoader``/``Dataset`` of such pairs. ``inputs`` is a tensor, or for a model of
    several inputs a tuple (``model(*inputs)``) or dict (``model(**inputs)``) of tensors.
    A DataLoader must yield each sample once (no ``drop_last``, no sampling with
    replacement). The model's forward must be a deterministic per-sample function: dropout,
    RReLU or batch norm in training mode, batch norm without running statistics and a
    forward that draws random numbers are refused (``ValueError``: call ``model.eval()``);
    the model, its modes and buffers and the global random state are left as given.

    ``method="single"``: :math:`\hat\lambda = n\beta(E_{w|w^*,\beta,\gamma}[L_n(w)] -
    L_n(w^*))` (Lau et al., arXiv:2308.12108, eq. 8) at one inverse temperature.
    ``method="extrapolate"`` (default): the same estimate on a scan of inverse temperatures
    :math:`n\beta f_j` (:data:`slttheory.sampling.extrapolate.GRID`, a decade below nβ, every
    temperature as ``chains`` more chains of one vectorised run), corrected for each
    temperature's first-order discretisation bias (SGLD) and extrapolated to
    :math:`n\beta\to\infty` by a finite-nβ model (module docstring). All chains are
    vectorised; every ``None`` argument is chosen automatically (module docstring) and
    recorded in ``config``. The module is not modified. ``n``: the sample size in
    :math:`\beta = 1/\log n` and :math:`n\beta` (default: the number of samples in ``data``);
    another n (the training set's, where ``data`` is a subsample) is used as given, while
    :math:`L_n` stays the mean over ``data``. ``params``: the names of the
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
    truth is unknown. ``seed``: an integer (default 0); a ``torch.Generator``, from which one
    integer is drawn (advancing it); or ``None``, fresh entropy. The integer used is
    ``config.seed``: the same model, data, arguments and ``seed=est.config.seed`` repeat the
    estimate draw for draw.

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
        exchange = auto_exchange(s.noise_loss, nbeta, method, sampler, preconditioner)
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
            est = _with_rank_note(est, s, nbeta, morse_bott, fit_model, k)
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


def _with_rank_note(est: LLCEstimate, s: _Setup, nbeta: float, morse_bott: bool,
                    fit_model: str | None, k: int | None) -> LLCEstimate:
    """``est`` with :func:`_gapless_note` among its notes where :func:`_exact_rank` looked
    for a rank and found none for want of a spectral gap."""
    if not morse_bott or fit_model is not None or k is not None:
        return est
    note = _gapless_note(s, nbeta)
    return est if note is None else dataclasses.replace(
        est, diagnostics=_with_notes(est.diagnostics, note))


def _scan_args(s: _Setup, nbeta: float, grid: np.ndarray, chains: int,
               step_size: float | None) -> dict[str, Any]:
    """The ``_sample`` arguments of a temperature scan: ``chains`` chains per temperature
    :math:`n\beta f_j`, initial step multipliers :math:`f_j^{-1/2}` (re-tuned per temperature
    in the warm-up when the step size is automatic); adaptive length stops when every
    temperature meets :func:`~slttheory.sampling.chains._converged`'s targets."""
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
    return _fl.data_covariance(groups, ts, s.per_sample, s.n_data, s.observable,
                               step_rows=chains * nt,
                               row_elements=s.largest_draw_tensor())


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
    rows = _fl.chunk_rows(s.n_data, chains * nt, s.largest_draw_tensor())
    for j, t in enumerate(ts):
        g = pos[j * chains:(j + 1) * chains]  # (chains, draws, d)
        flat = g.reshape(-1, g.shape[-1])
        diff = np.concatenate([ob.mean(axis=1) - dl.mean(axis=1) for dl, ob in zip(
            _fl.loss_chunks(flat, s.per_sample, rows), _fl.loss_chunks(flat, s.observable, rows),
            strict=True)]).reshape(g.shape[0], g.shape[1]) * float(t)
        shift[j], err[j] = float(diff.mean(axis=1).mean()), _mean_error(diff)
    return shift, err


def _mean_error(values: np.ndarray) -> float:
    """Standard error of the mean of per-draw ``values`` (chains, draws): the spread of the
    chain means (ddof = 1) over √chains, which sees the draws' autocorrelation; with one
    chain, the draws' spread over √draws.

    >>> _mean_error(np.array([[1.0, 1.0], [3.0, 3.0]]))  # chain means 1 and 3: sd √2, / √2
    1.0
    """
    means = values.mean(axis=1)
    if means.size > 1:
        return float(means.std(ddof=1)) / math.sqrt(means.size)
    return float(values.std(ddof=1)) / math.sqrt(values.size)


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
    weak, unseen = _weak_note(s, nbeta, gamma)
    diag = dataclasses.replace(_with_notes(diag, weak, _minimum_note(s, nbeta)),
                               unresolved=unseen)
    diag = _unlocalised(diag, s, gamma)
    cfg = _config(s, n, beta_v, gamma, run, chains, sampler, bs, seed, dev, auto + run.auto,
                  "single", (nbeta,))
    return LLCEstimate(
        llc=llc, std_error=se, per_chain=per_chain,
        loss_trace=s.init_loss + run.delta[:, run.burn_in:],
        diagnostics=diag, config=cfg, elapsed_s=0.0, init_loss=s.init_loss,
        method="single", ci=(llc - Z95 * se, llc + Z95 * se), mc_error=mc, systematic=0.0,
        single=llc, single_std_error=mc, data_error=data_err,
    )


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
    # SGLD's first-order bias ε·E‖∇U‖²/8 is additive and positive whatever the sign of λ̂(t)
    # (bias_j is it relative to |λ̂(t)|): subtract it, not scale by 1 − b, which adds it back
    # where λ̂(t) < 0 (w* not a minimum)
    corr = llc_j - bias_j * np.abs(llc_j) + shift + (0.0 if deficit is None else deficit)
    err_j = np.hypot(se_j * np.abs(1.0 - bias_j), shift_err)
    if fit_model is None:
        fit = _xp.select_fit(grid, corr, err_j, nbeta, s.estimand_loss, directions)
    else:
        fit = _xp.fit_finite_nbeta(grid, corr, err_j, nbeta, fit_model)
    dcov = _data_cov(s, rec, run.burn_in, ts, chains)
    traces = (s.init_loss + run.delta[:, run.burn_in:]).reshape(len(ts), chains, -1)
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
        loss_traces=traces,
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
    ci, range_note = _within_range(ci, llc, d)
    diag = _merge_diagnostics([p[4] for p in parts], ts, chains, llc, _xp.fit_warning(fit))
    diag = _with_notes(diag, range_note)
    reversed_ = None if k is not None or deficit is None else _deficit_reverses(
        ts, llc_j, corr, err_j, directions)
    if reversed_:
        diag = dataclasses.replace(diag, warnings=[*diag.warnings, reversed_])
    # at a Morse–Bott zero k/2 is exact: nothing unseen
    weak, unseen = (None, 0.0) if k is not None else _weak_note(s, float(ts.max()), gamma)
    diag = dataclasses.replace(_with_notes(diag, loc_note, weak, _minimum_note(s, nbeta)),
                               unresolved=unseen)
    if k is None:
        diag = _unlocalised(diag, s, gamma)
    else:  # λ = k/2 by the Morse–Bott lemma; the scan and its laws stay on record
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
        llc=llc, std_error=se, per_chain=per0, loss_trace=traces[0],
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
    if gamma == 0 or not _xp.is_noise_free(s.estimand_loss, float(ts.max())):
        return None, 0, None
    spectrum = _gauss_newton(s)
    if spectrum is None:
        return None, 0, None
    if isinstance(spectrum, str):
        return None, 0, "localisation deficit not removed: " + spectrum
    deficit, k = _loc.correction(spectrum, ts, gamma)
    return deficit, k, None


def _gauss_newton(s: _Setup) -> np.ndarray | str | None:
    """The Gauss–Newton spectrum at w* (float64); why it cannot be had (more than
    :data:`~.localisation.MAX_DIM` parameters, or its computation failed); ``None`` where the
    set-up has none."""
    if s.spectrum is None:
        return None
    if s.center.numel() > _loc.MAX_DIM:
        return (f"{s.center.numel()} parameters, more than MAX_DIM = {_loc.MAX_DIM} for a "
                "dense spectrum")
    try:
        return np.asarray(s.spectrum(), float)
    except (RuntimeError, TypeError, ValueError, NotImplementedError) as e:
        return f"the Gauss–Newton spectrum at w* failed ({type(e).__name__}: {str(e)[:120]})"


def _within_range(ci: tuple[float, float], llc: float, d: int
                  ) -> tuple[tuple[float, float], str | None]:
    r"""The interval ``ci`` of λ intersected with [0, d/2], where λ always lies: λ ≥ 0, and near
    a minimum :math:`K(w) \le C\lVert w - w^*\rVert^2`, so the volume of
    :math:`\{K < \epsilon\}` is at least a ball's, :math:`\propto \epsilon^{d/2}`, and
    λ ≤ d/2. Where the estimate ``llc`` itself lies outside, nothing is cut (the interval
    would no longer hold its own estimate) and a note says by how much.

    >>> _within_range((-0.3, 2.1), 0.9, 3)
    ((0.0, 1.5), None)
    >>> _within_range((1.4, 1.7), 1.55, 3)[1][:50]
    'the estimate 1.55 lies outside [0, d/2] = [0, 1.5]'
    """
    lo, hi = ci
    top = d / 2
    if not (math.isfinite(lo) and math.isfinite(hi) and math.isfinite(llc)):
        return ci, None
    if not 0.0 <= llc <= top:
        return ci, (f"the estimate {llc:.3g} lies outside [0, d/2] = [0, {top:g}], where λ "
                    f"must be (its interval [{lo:.3g}, {hi:.3g}]): within its error a point "
                    f"at the edge; well beyond it, w* is not a minimum or the chains are "
                    f"out of equilibrium")
    return (max(lo, 0.0), min(hi, top)), None


DEFICIT_REVERSAL_Z = 2.0
"""How many standard errors the corrected scan must fall across the scan, where the raw scan
rises, for :func:`_deficit_reverses` to fail the estimate."""


def _deficit_reverses(ts: np.ndarray, raw: np.ndarray, corr: np.ndarray, corr_se: np.ndarray,
                      directions: int) -> str | None:
    r"""A failed check where the localisation deficit turns a rising raw scan into a
    significantly falling one (by more than :data:`DEFICIT_REVERSAL_Z` standard errors from
    the lowest to the highest temperature): the deficit :math:`\tfrac12\sum\gamma/(th+\gamma)`
    is exact for directions that stay Gaussian across the posterior, and a correction that
    reverses the trend has over-corrected at low t, whose fall the slow law then
    extrapolates. Reduced-rank regression (4, 4, 3) at a rank-2 teacher with singular values
    (1, 0.02), λ = 7, noise-free: raw 5.32 → 5.78, corrected 7.40 → 6.39, estimate 5.03 with
    the interval [3.75, 6.45], every other check passing (an outside probe; its five weak
    directions are the small singular value's, whose curvature is not constant over the
    posterior; flagged at singular values 0.02 and 0.05 on every seed tried, not at 0.3).
    On the stored scans of the accuracy benchmark's 20 noise-free cases (revision 8) no raw
    scan that rises has a corrected one that falls by more than 0.7 standard errors, and the
    leave-one-family-out coverage and power of the controls' band are unchanged (39/42, 5/42;
    docs/estimator.md §6).

    >>> t = np.array([1.0, 10.0])
    >>> _deficit_reverses(t, np.array([5.3, 5.8]), np.array([7.4, 6.4]), np.full(2, 0.2),
    ...                   5)[:40]
    'the localisation deficit reverses the sc'
    >>> _deficit_reverses(t, np.array([5.3, 5.8]), np.array([6.9, 6.8]), np.full(2, 0.2),
    ...                   5) is None
    True
    """
    o = np.argsort(ts)
    lo, hi = o[0], o[-1]
    rise = raw[hi] - raw[lo]
    fall = corr[hi] - corr[lo]
    err = math.hypot(float(corr_se[hi]), float(corr_se[lo]))
    if not (rise > 0 and math.isfinite(err) and err > 0 and fall < -DEFICIT_REVERSAL_Z * err):
        return None
    return (f"the localisation deficit reverses the scan's trend (raw {raw[lo]:.3g} → "
            f"{raw[hi]:.3g}, corrected {corr[lo]:.3g} → {corr[hi]:.3g} from nβ = {ts[lo]:.3g} "
            f"to {ts[hi]:.3g}): its Gaussian model of the {directions} curved direction(s) at "
            "w* does not hold across the posterior, so the extrapolation is not to be "
            "trusted; a larger n, or a point away from lower-rank structure, would resolve them")


def _unlocalised(diag: dg.Diagnostics, s: _Setup, gamma: float) -> dg.Diagnostics:
    """``diag`` with a failed check where ``localization=0`` leaves directions at w* that are
    flat to round-off in the Gauss–Newton spectrum (:data:`~.localisation.ROUNDOFF_RTOL`):
    only higher-order terms of L_n hold the chains there, and along a flat fibre of a
    singular model nothing does, so the tempered posterior may be improper and the estimate
    arbitrary. An outside audit: ½(ab)² at 0 (n = 100), where every proper localisation gives
    nβ·E[L] = ½, read 0.40 ± 0.01 at γ = 0 with every check passed. A note where the spectrum
    cannot be had (more than :data:`~.localisation.MAX_DIM` parameters, or it failed)."""
    if gamma != 0:
        return diag
    h = _gauss_newton(s)
    if not isinstance(h, np.ndarray):
        return _with_notes(diag, "localization = 0: whether every direction at w* is held by "
                           "the loss (else the posterior may be improper along a flat fibre) "
                           f"was not checked ({h or 'this set-up has no spectrum'})")
    flat = int(np.sum(h <= _loc.ROUNDOFF_RTOL * max(float(h.max(initial=0.0)), 0.0)))
    if flat == 0:
        return diag
    return dataclasses.replace(diag, warnings=[*diag.warnings, (
        f"localization = 0 with {flat} of {h.size} directions at w* flat to round-off: only "
        "higher-order terms of L_n hold the chains there, and along a flat fibre of a "
        "singular model nothing does, so the posterior may be improper and the estimate "
        "arbitrary; set localization > 0")])


def _weak_note(s: _Setup, t0: float, gamma: float) -> tuple[str | None, float]:
    """:func:`_unresolved_note` wherever the Gauss–Newton spectrum at w* can be had (γ > 0,
    at most :data:`~.localisation.MAX_DIM` parameters), noisy data included: a regular
    linear regression whose inputs span scales 1, 0.1 and 0.01 (λ = 2, n = 500) read
    1.30 with the interval [0.84, 1.89], every diagnostic passing and no word that two
    directions lie below what the data resolve (on noisy data the deficit is not removed,
    since an empirical minimiser's small curvatures may be fitted noise; the directions are
    unresolved either way)."""
    spectrum = _gauss_newton(s) if gamma != 0 else None
    if not isinstance(spectrum, np.ndarray):  # said by the localisation note where needed
        return None, 0.0
    if _xp.is_noise_free(s.estimand_loss, t0):
        note = _unresolved_note(spectrum, t0, gamma, s.dtype)
        return note, 0.0 if note is None else 0.5 * _loc.unresolved_curvatures(
            spectrum, t0, gamma).size
    # noisy data: no deficit is removed, so every direction the localisation holds more than
    # the data does (t0·h < γ) stays in the estimate with less than ¼ of its ½
    held = _loc.unresolved_curvatures(spectrum, t0, gamma, fraction=1.0)
    if held.size == 0:
        return None, 0.0
    lost = float(_loc.localisation_deficit(held, t0, gamma)[0])
    return (f"{held.size} direction(s) at w* curved less than γ/nβ (curvature "
            f"{float(held.min()):.2g} to {float(held.max()):.2g}): the localisation, not the "
            f"data, holds them, and on noisy data their deficit is not removed (an empirical "
            f"minimiser's small curvatures may be fitted noise), so if they are curved at the "
            f"true parameter λ is up to {lost:.2g} higher than the estimate counts"), lost


def _unresolved_note(spectrum: np.ndarray, t0: float, gamma: float, dtype: torch.dtype
                     ) -> str | None:
    r"""A note when the noise-free spectrum at w* has curvatures above round-off yet below
    what the scan resolves (:math:`t_0h <` :data:`~.localisation.RESOLVED_FRACTION`·γ): each
    such direction adds ½ to λ if it is curved (a regular direction seen at t ≫ 1/h) and 0
    if it lies along the zero set, and no feasible temperature tells which, so the interval
    (which counts them as flat) may miss λ upwards by up to half their number. Where w* is
    an exact zero in float64, the Morse–Bott rule settles it (docs/estimator.md §6)."""
    weak = _loc.unresolved_curvatures(spectrum, t0, gamma)
    if weak.size == 0:
        return None
    hint = (" (w* is a zero of the loss only to its dtype's precision: in float64 the Morse "
            "lemma may settle it)" if dtype != torch.float64 else "")
    return (f"{weak.size} direction(s) at w* curved too weakly for the scan (curvature "
            f"{float(weak.min()):.2g} to {float(weak.max()):.2g}, below γ/(100·nβ)): each "
            f"adds ½ to λ if it stays curved and 0 if it lies along the zero set, which no "
            f"feasible temperature shows; the interval counts them as flat, so λ may be up "
            f"to {0.5 * weak.size:g} higher{hint}")


def _morse_bott_rank(s: _Setup, t0: float) -> int | None:
    r"""k when w* is a Morse–Bott zero of rank k of a noise-free loss (or of the population loss
    at a true parameter, ``true_parameter=True``), where λ = k/2 exactly
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
    gn = _morse_bott_spectrum(s, t0)
    if gn is None:
        return None
    d, noisy = gn.size, not _xp.is_noise_free(s.estimand_loss, t0)
    try:
        k = _loc.numerical_rank(gn) if d else 0
        if k == 0:  # nothing curved: a purely singular point (no need for the rest)
            return None
        # at a true parameter w* is a zero of the population loss K by the caller's statement
        # (true_parameter=True): the residual of the noisy L_n is the noise's, not K's, whose
        # Hessian at w* is the Gauss–Newton matrix; the rank conditions are the same
        residual = s.residual() if s.observable is None else 0.0
        return _loc.morse_bott_rank(gn, residual, s.nearby() if k < d else (d,),
                                    s.nearby_residual() if noisy else None)
    except (RuntimeError, TypeError, ValueError, NotImplementedError):
        return None


def _morse_bott_spectrum(s: _Setup, t0: float) -> np.ndarray | None:
    """The sorted float64 Gauss–Newton spectrum at w* where :func:`_morse_bott_rank` looks
    at it (the probes exist, at most :data:`MINIMUM_CHECK_MAX_DIM` parameters, and with
    noisy data outputs linear in the parameters), else ``None``."""
    d = s.center.numel()
    noisy = not _xp.is_noise_free(s.estimand_loss, t0)
    if (s.spectrum is None or s.residual is None or s.nearby is None
            or (noisy and (s.nearby_residual is None or s.curvature_probe is None))
            or d > min(MINIMUM_CHECK_MAX_DIM, _loc.MAX_DIM)):
        return None
    try:
        if noisy and not s.curvature_probe() <= _loc.PROBE_RTOL:
            return None  # curved outputs (a few Hessian-vector products tell): no full Hessians
        return np.sort(s.spectrum())
    except (RuntimeError, TypeError, ValueError, NotImplementedError):
        return None


def _gapless_note(s: _Setup, t0: float) -> str | None:
    """A note where the spectrum :func:`_morse_bott_rank` looks at falls through float64
    round-off without a gap (:data:`~.localisation.SPECTRAL_GAP`), so that no rank can be
    read from it: the estimate is sampled, and the directions below the cut may each add ½
    to λ."""
    gn = _morse_bott_spectrum(s, t0)
    cut = None if gn is None else _loc.gapless_cut(gn)
    if cut is None:
        return None
    k, kept, dropped = cut
    return (f"the Gauss–Newton spectrum at w* falls through float64 round-off without a gap "
            f"({k} of {gn.size} eigenvalues above {_loc.ROUNDOFF_RTOL:g} of the largest; the "
            f"smallest kept {kept:.2g}, the largest dropped {dropped:.2g} of it, a ratio "
            f"below {_loc.SPECTRAL_GAP:g}): no rank is read and no exact k/2 given; each of "
            f"the {gn.size - k} smallest directions adds ½ to λ if it is curved")


def _morse_bott_note(s: _Setup, k: int, t0: float, sampled: float | None = None,
                     ci: tuple[float, float] = (math.nan, math.nan)) -> str:
    """The note of an estimate at a Morse–Bott zero of rank k (``sampled``: the record scan's
    extrapolated reading with its interval ``ci``; ``None``: no scan was sampled)."""
    d = s.center.numel()
    h = float(np.sort(s.spectrum())[d - k]) if s.spectrum is not None else math.nan
    if _xp.is_noise_free(s.estimand_loss, t0):
        what = "a nondegenerate minimum" if k == d else "a Morse–Bott zero"
        what += (" of the noise-free loss" if s.observable is None else
                 " of the population loss (a true parameter, as the caller states)")
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
    if (s.critical is None or _xp.is_noise_free(s.noise_loss, nbeta)
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
    """One :class:`~slttheory.sampling.diagnostics.Diagnostics` for a scan: the worst R-hat
    and stationarity z, the smallest
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
        # a temperature whose MALA chains never moved makes the fit NaN without diverging
        divergent=any(d.divergent for d in diags) or not (
            math.isfinite(llc) or any(d.acceptance_rate == 0.0 for d in diags)),
        warnings=list(dict.fromkeys(warn)), stationarity_z=z,
        estimated_bias=d0.estimated_bias, divergent_chains=div, calibration=d0.calibration,
        notes=list(dict.fromkeys(notes)), ess_bulk=worst([d.ess_bulk for d in diags], min),
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


def _exact_result(s, k, n, beta_v, gamma, chains, sampler, bs, seed, dev, auto, step_size,
                  preconditioner) -> LLCEstimate:
    """The estimate at a Morse–Bott zero of rank k without a scan (``record_scan=False``):
    λ = k/2 exactly (:func:`_morse_bott_rank`), every error 0, no chain run; the scan has no
    temperatures and its fit is :func:`~slttheory.sampling.extrapolate.morse_bott_fit`'s."""
    nbeta, lam, none = n * beta_v, k / 2, np.zeros(0)
    # away from a minimum k/2 is no LLC: a failed check (a linear model at weights 30 with
    # gradient norm 44 passed with λ = d/2 and interval [d/2, d/2], an outside probe)
    off = _minimum_note(s, nbeta, sampled=False)
    diag = dg.Diagnostics(ess=math.nan, rhat=math.nan, acceptance_rate=None, divergent=False,
                          warnings=[off] if off else [],
                          notes=[x for x in (_morse_bott_note(s, k, nbeta),) if x])
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
