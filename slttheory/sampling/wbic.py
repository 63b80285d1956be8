"""WBIC (Watanabe 2013) and the multi-temperature slope estimator of the LLC, built on the
same vectorised chains as :func:`~slttheory.sampling.estimator.estimate_llc`."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from slttheory.sampling import diagnostics as dg
from slttheory.sampling import precondition as pc
from slttheory.sampling._checks import positive_float
from slttheory.sampling.chains import (
    _Run,
    _sample,
    _summarise,
)
from slttheory.sampling.estimator import (
    _config,
    _flag,
    _resolve,
    _resolve_sampler,
    _step_jitter,
    estimate_llc,
)
from slttheory.sampling.results import (
    LLCConfig,
    LLCEstimate,
)

__all__ = ["WBICResult", "wbic", "MultiTemperatureEstimate", "estimate_llc_multitemp"]

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
    the LLC scaled by :math:`\log n`. ``n``: the sample size in β and in :math:`nL_n`
    (default: the number of data), as in :func:`estimate_llc`.

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


@dataclass(frozen=True, eq=False)
class MultiTemperatureEstimate:
    r"""Slope :math:`\hat\lambda` of :math:`E^\beta[nL_n]` against :math:`1/\beta`.

    ``betas``: the grid; ``mean_nll``: :math:`E^{\beta}[nL_n]` per β with ``mean_nll_se`` (MC);
    ``intercept``: the fitted value at :math:`1/\beta = 0`; ``std_error``: the weighted
    least-squares standard error of the slope (``nan`` where a temperature's Monte-Carlo
    error is unknown or zero, and the slope is then an unweighted fit); ``per_beta_llc``:
    single-temperature :math:`n\beta(E^\beta[L_n]-L_n(w^*))` per β; ``diagnostics`` per β,
    and :attr:`passed` when every one passed.
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

    @property
    def passed(self) -> bool:
        """Every temperature's diagnostics passed and the slope is finite."""
        return math.isfinite(self.llc) and all(d.passed for d in self.diagnostics)

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
        if isinstance(betas, str) or not isinstance(betas, Iterable):
            raise TypeError(f"betas must be a sequence of inverse temperatures or None, got "
                            f"{betas!r}")
        grid = np.asarray([positive_float("betas", b) for b in betas], dtype=float)
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
                   nonfinite=None if run.nonfinite is None else run.nonfinite[sl],
                   minibatch=run.minibatch)
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
    weighted = bool(np.all(np.isfinite(w)))
    if not weighted:  # an unknown or zero error: an unweighted slope, and no error for it
        w = np.ones_like(x)
    xm = np.sum(w * x) / np.sum(w)
    ym = np.sum(w * yv) / np.sum(w)
    sxx = np.sum(w * (x - xm) ** 2)
    slope = float(np.sum(w * (x - xm) * (yv - ym)) / sxx)
    se_slope = float(math.sqrt(1.0 / sxx)) if weighted and math.isfinite(slope) else math.nan
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
