r"""WAIC and the singular fluctuation from posterior draws (Watanabe 2010).

For the posterior at inverse temperature β, :math:`p_\beta(w) \propto \varphi(w)
\prod_i p(X_i\mid w)^\beta`, Watanabe (JMLR 11:3571–3594, 2010, "Asymptotic equivalence of
Bayes cross validation and widely applicable information criterion in singular learning
theory", arXiv:1004.2316) defines

.. math::

    T_n = -\frac1n\sum_i \log E_w[p(X_i\mid w)], \qquad
    V_n = \sum_i \bigl(E_w[\ell_i(w)^2] - E_w[\ell_i(w)]^2\bigr), \qquad
    \mathrm{WAIC} = T_n + \frac{\beta}{n} V_n,

with :math:`\ell_i(w) = -\log p(X_i\mid w)` (the Bayes training loss, the functional
variance, and the criterion whose expectation equals that of the Bayes generalisation loss
up to :math:`o(1/n)`, regular or singular). The *singular fluctuation* is
:math:`\nu(\beta) = \lim_n \tfrac{\beta}{2}E[V_n]`; :math:`\hat\nu = \beta V_n/2` estimates
it. For a regular, realisable model :math:`\nu = d/2` at every β; in a singular model ν is
a birational invariant besides λ (Watanabe 2009, *Algebraic Geometry and Statistical
Learning Theory*, Ch. 6, the equations of states for the generalisation and training
*errors* :math:`B_g, B_t` (the losses less the entropy and the empirical entropy):
:math:`E[B_g] = ((\lambda-\nu)/\beta + \nu)/n`,
:math:`E[B_t] = ((\lambda-\nu)/\beta - \nu)/n`, up to :math:`o(1/n)`). devinterp lists ν
as a requested feature (timaeus-research/devinterp#78); here it comes from the same
vectorised chains as the LLC.

The loss must be a per-sample negative log-likelihood (:func:`~slttheory.sampling
.estimate_llc`'s conventions: ``"gaussian"`` is unit variance without its constant
:math:`\tfrac12\log 2\pi`, which shifts :math:`T_n` and WAIC and nothing else). With a loss
that is not one (a squared error at another noise scale), :math:`\beta V_n/2` still
converges, to :math:`\tfrac12\mathrm{tr}(JH^{-1})` at a regular point (Takeuchi's term),
not to a singular fluctuation. The posterior sampled is
:func:`~slttheory.sampling.estimator.estimate_llc`'s: localised at
:math:`w^*` by :math:`N(w^*, \gamma^{-1}I)`, so these are *local* quantities, as the LLC is.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from slttheory.sampling import chains as _chains
from slttheory.sampling import estimator as _est
from slttheory.sampling import fluctuation as _fl
from slttheory.sampling import results as _results
from slttheory.sampling._checks import positive_float
from slttheory.sampling.progress import StepProgress

__all__ = ["WAICResult", "waic", "waic_from_losses"]

def waic_from_losses(losses: np.ndarray | Tensor, beta: float = 1.0
                     ) -> tuple[np.ndarray, np.ndarray]:
    r"""Pointwise Bayes training loss and functional variance from per-sample losses.

    ``losses``: ``(draws, n)`` values :math:`\ell_i(w_s)` (negative log-likelihoods) at
    posterior draws :math:`w_s`. Returns ``(t, v)``, each ``(n,)``:
    :math:`t_i = -\log \frac1S\sum_s e^{-\ell_i(w_s)}` and :math:`v_i` the sample variance
    (``ddof=1``) of :math:`\ell_i(w_s)`; then :math:`T_n = \bar t`, :math:`V_n = \sum_i v_i`
    and WAIC :math:`= \overline{t + \beta v}` (Watanabe 2010, module docstring).
    ``beta`` is only checked here (the caller weights ``v`` by it).

    >>> t, v = waic_from_losses(np.array([[1.0, 2.0], [3.0, 2.0]]))
    >>> [round(float(x), 4) for x in t], [float(x) for x in v]
    ([1.5662, 2.0], [2.0, 0.0])
    """
    positive_float("beta", beta)  # as estimate_llc checks it (numpy floats too)
    raw = losses.detach().cpu() if isinstance(losses, Tensor) else losses
    if raw.is_complex() if isinstance(raw, Tensor) else np.iscomplexobj(raw):
        # a cast to float64 would drop the imaginary part with only a ComplexWarning
        raise TypeError("losses must be real (per-sample negative log-likelihoods), got a "
                        "complex array")
    try:
        x = np.asarray(raw.double() if isinstance(raw, Tensor) else raw, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError(f"losses must be an array of real numbers, got {type(losses).__name__}"
                        f" ({e})") from None
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise ValueError(f"losses must have shape (draws >= 2, n >= 1), got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("losses: not all finite (a draw where the model's loss is NaN/Inf)")
    lo = x.min(axis=0)  # log-mean-exp, stable
    t = lo - np.log(np.mean(np.exp(-(x - lo)), axis=0))
    return t, x.var(axis=0, ddof=1)


@dataclass(frozen=True, eq=False)
class WAICResult:
    r"""WAIC and the singular fluctuation at one inverse temperature (module docstring).

    ``waic`` :math:`= T_n + \beta V_n/n` per sample, in the loss's units, with
    ``std_error``, its spread over the data (:math:`\mathrm{sd}_i(t_i + \beta v_i)/\sqrt n`,
    Vehtari, Gelman & Gabry 2017, *Statistics and Computing* 27:1413, arXiv:1507.04544,
    §2.2 and eq. 23); ``training_loss`` :math:`T_n`; ``gibbs_training_loss`` :math:`E_w[L_n(w)]`;
    ``functional_variance`` :math:`V_n`; ``singular_fluctuation`` :math:`\hat\nu = \beta
    V_n/2` with ``fluctuation_mc_error``, the Monte-Carlo standard error from the spread of
    the per-chain values (``nan`` with one chain; an estimate with chains − 1 degrees of
    freedom, so with the default 4 chains ±1.96 of it covers about 85 %, Student's t₃, not
    95 %); ``pointwise_training``,
    ``pointwise_variance``: :math:`t_i, v_i`; ``draws``: the posterior draws used (all
    chains, thinned); ``beta``; ``estimate``: the single-temperature LLC run the draws come
    from (its ``diagnostics`` are theirs).
    """

    waic: float
    std_error: float
    training_loss: float
    gibbs_training_loss: float
    functional_variance: float
    singular_fluctuation: float
    fluctuation_mc_error: float
    pointwise_training: np.ndarray
    pointwise_variance: np.ndarray
    draws: int
    beta: float
    estimate: _results.LLCEstimate

    def __str__(self) -> str:
        return (f"WAIC = {self.waic:.6g} ± {self.std_error:.2g} (T_n = "
                f"{self.training_loss:.6g}, V_n = {self.functional_variance:.4g}); singular "
                f"fluctuation ν = {self.singular_fluctuation:.4g} ± "
                f"{self.fluctuation_mc_error:.2g} at β = {self.beta:g}, {self.draws} draws")


def _pointwise(per_sample: Callable[[Tensor], Tensor], pos: Tensor, step: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Per-sample statistics of the draws ``pos`` ``(chains, K, d)``, streamed over chunks
    of at most ``step`` draws of one chain, so that memory is ``O(chains·n)`` rather than the
    ``(chains·K, n)`` loss matrix: ``(lme, mean, m2)`` with ``lme`` ``(n,)`` the
    log-mean-exp of :math:`-\delta\ell_i` over all draws, ``mean`` and ``m2`` ``(chains, n)``
    each chain's mean of :math:`\delta\ell_i` and sum of squared deviations from it
    (Chan, Golub & LeVeque's pairwise update). ``per_sample`` maps ``(m, d)`` draws to the
    ``(m, n)`` values :math:`\delta\ell_i(w) = \ell_i(w) - \ell_i(w^*)`.

    >>> def ps(w):  # two samples, delta losses w and 3w
    ...     return torch.cat([w, 3 * w], dim=1)
    >>> lme, mean, m2 = _pointwise(ps, torch.tensor([[[0.0], [1.0], [2.0]]]), step=2)
    >>> mean.tolist(), m2.tolist()
    ([[1.0, 3.0]], [[2.0, 18.0]])
    """
    c, k, _ = pos.shape
    amax: np.ndarray | None = None
    sexp: np.ndarray | None = None
    means, m2s = [], []
    for j in range(c):
        mean: np.ndarray | None = None
        m2: np.ndarray | None = None
        cnt = 0
        for dl in _fl.loss_chunks(pos[j], per_sample, step):  # (m, n)
            if not np.isfinite(dl).all():
                raise ValueError("model: the per-sample loss is not finite at some posterior "
                                 "draws (the chains left the region where the model is "
                                 "defined; see the diagnostics of estimate_llc with the same "
                                 "arguments)")
            m = dl.shape[0]
            cm = dl.mean(axis=0)
            cm2 = ((dl - cm) ** 2).sum(axis=0)
            if mean is None or m2 is None:
                mean, m2 = cm, cm2
            else:
                d = cm - mean
                mean = mean + d * (m / (cnt + m))
                m2 = m2 + cm2 + d * d * (cnt * m / (cnt + m))
            cnt += m
            a = -dl
            top = a.max(axis=0)
            if amax is None or sexp is None:
                amax, sexp = top, np.exp(a - top).sum(axis=0)
            else:
                new = np.maximum(amax, top)
                sexp = sexp * np.exp(amax - new) + np.exp(a - new).sum(axis=0)
                amax = new
        means.append(mean)
        m2s.append(m2)
    assert amax is not None and sexp is not None
    return amax + np.log(sexp / (c * k)), np.stack(means), np.stack(m2s)


def waic(model: torch.nn.Module, data: tuple[Tensor, Tensor], *,
         loss: str | Callable[[Tensor, Tensor], Tensor] = "gaussian",
         beta: float | None = 1.0,
         localization: float | None = None, step_size: float | None = None, chains: int = 4,
         draws: int | None = None, burn_in: int | None = None, sampler: str = "auto",
         batch_size: int | None = None, params: Iterable[str] | None = None, seed: int = 0,
         device: str | torch.device = "auto",
         preconditioner: str | None = None, progress: bool | None = None) -> WAICResult:
    r"""WAIC and the singular fluctuation :math:`\hat\nu = \beta V_n/2` of ``model`` at its
    current parameters :math:`w^*` (module docstring), from the posterior at inverse
    temperature ``beta`` (default 1, the Bayes posterior; ``None``: :math:`1/\log n`, as in
    :func:`~slttheory.sampling.estimate_llc`) localised at :math:`w^*`.

    The chains are :func:`~slttheory.sampling.estimate_llc`'s with ``method="single"`` at
    :math:`n\beta` (same arguments, same automatic choices, same diagnostics and
    :class:`~slttheory.sampling.LLCWarning` when they fail, in ``result.estimate``); their
    thinned draws (up to 512 per chain, fewer for large models, evenly spaced after burn-in)
    are evaluated on every sample in chunks, accumulated per sample (this step holds
    :math:`O(\text{chains}\cdot n)` numbers, never the ``(draws, n)`` loss matrix).
    ``n`` is the number of data. ``preconditioner``: as in
    :func:`~slttheory.sampling.estimator.estimate_llc` (the draws are
    mapped back to parameter coordinates); ``progress``: as in
    :func:`~slttheory.sampling.estimator.estimate_llc`.

    >>> import torch
    >>> x = torch.randn(400, 2, generator=torch.Generator().manual_seed(0))
    >>> noise = torch.randn(400, 1, generator=torch.Generator().manual_seed(1))
    >>> y = x @ torch.tensor([[1.0], [-2.0]]) + noise
    >>> m = torch.nn.Linear(2, 1, bias=False)
    >>> with torch.no_grad():
    ...     _ = m.weight.copy_(torch.linalg.lstsq(x, y).solution.T)
    >>> r = waic(m, (x, y), draws=2000, device="cpu")
    >>> abs(r.singular_fluctuation - 1.0) < 0.2   # regular: nu = d/2
    True
    >>> r.training_loss < r.waic
    True
    """
    t0 = time.perf_counter()
    (s, n, beta_v, gamma, step_size, chains, draws, burn_in, bs, seed, dev,
     auto) = _est._resolve(model, data, loss, None, beta, localization, step_size, chains,
                           draws, burn_in, sampler, batch_size, params, seed, device)
    sampler = _est._resolve_sampler(sampler, bs, s.n_data)
    if not math.isfinite(s.init_loss):
        raise ValueError(f"model: the loss at w* is not finite ({s.init_loss}); WAIC needs "
                         "finite per-sample losses")
    jitter = _est._step_jitter(None, sampler)
    auto += ["exchange", "step_jitter"]  # as estimate_llc(method="single") records them
    nbeta = n * beta_v
    rec = _chains._Positions.sized(chains, s.center.numel())
    with StepProgress(progress, "waic") as bar:
        nb = torch.full((chains,), nbeta, dtype=s.dtype, device=dev)
        run = _chains._sample(s, nbeta_chain=nb, nbeta_cal=nbeta, gamma=gamma,
                              step_size=step_size, chains=chains, draws=draws,
                              burn_in=burn_in, sampler=sampler, batch_size=bs, seed=seed,
                              preconditioner=preconditioner, record=rec, jitter=jitter,
                              progress=bar)
    est = _est._single_result(s, run, n, beta_v, gamma, chains, sampler, bs, seed, dev, auto,
                              draws is None, rec)
    est = _est.with_caller_settings(est, jitter, None)
    pos = rec.after(run.burn_in)
    if pos is None or pos.shape[1] < 2:
        raise ValueError(f"draws: too few kept draws for WAIC (positions are kept every "
                         f"{_chains.DIAG_EVERY} steps after burn-in; at least "
                         f"{2 * _chains.DIAG_EVERY} draws are needed)")
    _est._flag(est.diagnostics.warnings, "waic")
    c, k, _ = pos.shape
    # statistics of δℓ_i = ℓ_i(w) − ℓ_i(w*)
    rows = _fl.chunk_rows(s.n_data, chains, s.largest_draw_tensor())
    lme, mean, m2 = _pointwise(s.per_sample, pos, rows)
    lstar = s.lstar.detach().cpu().double().numpy()
    t = lstar - lme
    grand = mean.mean(axis=0)  # every chain has k draws
    v = (m2.sum(axis=0) + k * ((mean - grand) ** 2).sum(axis=0)) / (c * k - 1)
    point = t + beta_v * v
    per_chain = beta_v * m2.sum(axis=1) / (k - 1) / 2  # ν̂ of each chain
    mc = float(np.std(per_chain, ddof=1) / math.sqrt(c)) if c > 1 else math.nan
    est = _est._with_time(est, time.perf_counter() - t0)
    return WAICResult(
        waic=float(point.mean()),
        std_error=float(point.std(ddof=1) / math.sqrt(s.n_data)) if s.n_data > 1 else math.nan,
        training_loss=float(t.mean()),
        gibbs_training_loss=float(lstar.mean() + grand.mean()),
        functional_variance=float(v.sum()),
        singular_fluctuation=float(beta_v * v.sum() / 2),
        fluctuation_mc_error=mc,
        pointwise_training=t, pointwise_variance=v, draws=c * k, beta=beta_v, estimate=est)
