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
Learning Theory*, Ch. 6, the equations of states:
:math:`E[B_g] = ((\lambda-\nu)/\beta + \nu)/n`,
:math:`E[B_t] = ((\lambda-\nu)/\beta - \nu)/n`). devinterp lists ν as a requested feature
(timaeus-research/devinterp#78); here it comes from the same vectorised chains as the LLC.

The loss must be a per-sample negative log-likelihood (:func:`~slttheory.sampling
.estimate_llc`'s conventions: ``"gaussian"`` is unit variance without its constant
:math:`\tfrac12\log 2\pi`, which shifts :math:`T_n` and WAIC and nothing else). With a loss
that is not one (a squared error at another noise scale), :math:`\beta V_n/2` still
converges, to :math:`\tfrac12\mathrm{tr}(JH^{-1})` at a regular point (Takeuchi's term),
not to a singular fluctuation. The posterior sampled is :func:`estimate_llc`'s: localised at
:math:`w^*` by :math:`N(w^*, \gamma^{-1}I)`, so these are *local* quantities, as the LLC is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from slttheory.sampling import estimator as _est

__all__ = ["WAICResult", "waic", "waic_from_losses"]

CHUNK_ELEMENTS = 2 ** 22
"""Per-sample losses evaluated at most this many at a time (draws × samples)."""


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
    if not (isinstance(beta, int | float) and not isinstance(beta, bool)
            and math.isfinite(beta) and beta > 0):
        raise ValueError(f"beta must be a positive finite number, got {beta!r}")
    x = np.asarray(losses.detach().cpu() if isinstance(losses, Tensor) else losses,
                   dtype=np.float64)
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
    §2.2); ``training_loss`` :math:`T_n`; ``gibbs_training_loss`` :math:`E_w[L_n(w)]`;
    ``functional_variance`` :math:`V_n`; ``singular_fluctuation`` :math:`\hat\nu = \beta
    V_n/2` with ``fluctuation_mc_error``, the Monte-Carlo standard error from the spread of
    the per-chain values (``nan`` with one chain); ``pointwise_training``,
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
    estimate: _est.LLCEstimate

    def __str__(self) -> str:
        return (f"WAIC = {self.waic:.6g} ± {self.std_error:.2g} (T_n = "
                f"{self.training_loss:.6g}, V_n = {self.functional_variance:.4g}); singular "
                f"fluctuation ν = {self.singular_fluctuation:.4g} ± "
                f"{self.fluctuation_mc_error:.2g} at β = {self.beta:g}, {self.draws} draws")


def waic(model: torch.nn.Module, data: tuple[Tensor, Tensor], *,
         loss: str | Callable[[Tensor, Tensor], Tensor] = "gaussian", beta: float = 1.0,
         localization: float | None = None, step_size: float | None = None, chains: int = 4,
         draws: int | None = None, burn_in: int | None = None, sampler: str = "auto",
         batch_size: int | None = None, params: Iterable[str] | None = None, seed: int = 0,
         device: str | torch.device = "auto") -> WAICResult:
    r"""WAIC and the singular fluctuation :math:`\hat\nu = \beta V_n/2` of ``model`` at its
    current parameters :math:`w^*` (module docstring), from the posterior at inverse
    temperature ``beta`` (default 1, the Bayes posterior) localised at :math:`w^*`.

    The chains are :func:`~slttheory.sampling.estimate_llc`'s with ``method="single"`` at
    :math:`n\beta` (same arguments, same automatic choices, same diagnostics, in
    ``result.estimate``); their thinned draws (up to 512 per chain, evenly spaced after
    burn-in) are evaluated on every sample. ``n`` is the number of data.

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
    (s, n, beta_v, gamma, step_size, chains, draws, burn_in, bs, seed, dev,
     auto) = _est._resolve(model, data, loss, None, beta, localization, step_size, chains,
                           draws, burn_in, sampler, batch_size, params, seed, device)
    sampler = _est._resolve_sampler(sampler, bs, s.n_data)
    if not math.isfinite(s.init_loss):
        raise ValueError(f"model: the loss at w* is not finite ({s.init_loss}); WAIC needs "
                         "finite per-sample losses")
    jitter = _est._step_jitter(None, sampler)
    nbeta = n * beta_v
    rec = _est._Positions.sized(chains, s.center.numel())
    run = _est._sample(s, nbeta_chain=torch.full((chains,), nbeta, dtype=s.dtype, device=dev),
                       nbeta_cal=nbeta, gamma=gamma, step_size=step_size, chains=chains,
                       draws=draws, burn_in=burn_in, sampler=sampler, batch_size=bs,
                       seed=seed, record=rec, jitter=jitter)
    est = _est._single_result(s, run, n, beta_v, gamma, chains, sampler, bs, seed, dev, auto,
                              draws is None, rec)
    est = _est.with_caller_settings(est, jitter, None)
    pos = rec.after(run.burn_in)
    if pos is None or pos.shape[1] < 2:
        raise ValueError(f"draws: too few kept draws for WAIC (positions are kept every "
                         f"{_est.DIAG_EVERY} steps after burn-in; at least "
                         f"{2 * _est.DIAG_EVERY} draws are needed)")
    c, k, d = pos.shape
    flat = pos.reshape(c * k, d)
    step = max(1, CHUNK_ELEMENTS // max(s.n_data, 1))
    delta = torch.cat([s.per_sample(flat[i:i + step]).double().cpu()
                       for i in range(0, c * k, step)]).numpy()  # (C·K, n): ℓ_i(w) − ℓ_i(w*)
    if not np.isfinite(delta).all():
        raise ValueError("model: the per-sample loss is not finite at some posterior draws "
                         "(the chains left the region where the model is defined; see "
                         "result diagnostics of estimate_llc with the same arguments)")
    lstar = s.lstar.double().cpu().numpy()
    t_rel, v = waic_from_losses(delta, beta_v)
    t = t_rel + lstar
    point = t + beta_v * v
    per_chain = [beta_v * waic_from_losses(delta[j * k:(j + 1) * k], beta_v)[1].sum() / 2
                 for j in range(c)]
    mc = float(np.std(per_chain, ddof=1) / math.sqrt(c)) if c > 1 else math.nan
    return WAICResult(
        waic=float(point.mean()),
        std_error=float(point.std(ddof=1) / math.sqrt(s.n_data)) if s.n_data > 1 else math.nan,
        training_loss=float(t.mean()),
        gibbs_training_loss=float(lstar.mean() + delta.mean()),
        functional_variance=float(v.sum()),
        singular_fluctuation=float(beta_v * v.sum() / 2),
        fluctuation_mc_error=mc,
        pointwise_training=t, pointwise_variance=v, draws=c * k, beta=beta_v, estimate=est)
