"""What :func:`~slttheory.sampling.estimator.estimate_llc` returns: the estimate
(:class:`LLCEstimate`), every setting it used (:class:`LLCConfig`), and the warning a failed
diagnostic raises (:class:`LLCWarning`)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from slttheory.sampling import calibrate as _cal
from slttheory.sampling import diagnostics as dg
from slttheory.sampling import extrapolate as _xp
from slttheory.sampling.serialize import dumps, loads

__all__ = ["LLCWarning", "LLCConfig", "LLCEstimate"]

class LLCWarning(UserWarning):
    """A failed diagnostic of an LLC run (divergence, R-hat, stationarity, bias, ESS)."""


@dataclass(frozen=True)
class LLCConfig:
    """Every setting a run used, including the automatically chosen ones (``multiplicity``:
    the caller's, ``None`` when not given; ``orbit``: the symmetry move's description, ``None``
    without one; ``morse_bott``: whether k/2 replaces the scan at a Morse–Bott zero;
    ``record_scan``: whether the scan is sampled there anyway, as a record;
    ``true_parameter``: whether the symmetrised estimand at a true parameter was used;
    ``revision``: the :data:`~slttheory.sampling.estimator.ESTIMATOR_REVISION` that produced the
    estimate, so that a stored
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
    choice of finite-nβ law), half the interval's width over 1.96 before the interval is
    cut to [0, d/2] (so ``llc ± 1.96·std_error`` may reach past ``ci``); ``mc_error``: the
    Monte-Carlo part alone; ``data_error``: the data-fluctuation part; ``fit_error``: the
    finite-nβ model's misfit part (the MC error times √(χ²/dof − 1) when the fit's χ² exceeds
    its degrees of freedom); ``law_error``: the part from the finite-nβ laws the scan cannot
    tell apart — the default extrapolation's ``ci`` is the envelope of every such law's interval
    (:func:`~slttheory.sampling.extrapolate.law_interval`; not symmetric about ``llc``),
    intersected with [0, d/2], where λ always lies (d the sampled parameters), and
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
            f"  ESS={d.ess:.0f} (bulk {d.ess_bulk:.0f}) R-hat={d.rhat:.3f} accept={acc} "
            f"est. bias={bias} "
            f"divergent={d.divergent} time={self.elapsed_s:.2f}s",
        ]
        if self.temperatures is not None:
            lines.append(str(self.temperatures))
        lines += [f"  WARNING: {w}" for w in d.warnings]
        lines += [f"  note: {w}" for w in d.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_json(self) -> str:
        """The whole estimate as JSON text (:mod:`slttheory.sampling.serialize`): config,
        diagnostics, scan, fit and traces, with arrays' dtypes and NaN kept; read it back with
        :meth:`from_json`. ``config.revision`` says which estimator made it."""
        return dumps(self, JSON_CLASSES)

    @classmethod
    def from_json(cls, text: str) -> LLCEstimate:
        """The estimate :meth:`to_json` wrote (``ValueError`` naming what is wrong; no code in
        the text is ever run)."""
        est = loads(text, JSON_CLASSES)
        if not isinstance(est, cls):
            raise ValueError(f"the JSON holds a {type(est).__name__}, not an LLCEstimate")
        return est

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_json` to ``path`` (UTF-8)."""
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> LLCEstimate:
        """Read an estimate :meth:`save` wrote.

        >>> import tempfile, torch
        >>> from slttheory.sampling import estimate_llc
        >>> x = torch.randn(100, 1, generator=torch.Generator().manual_seed(0))
        >>> model = torch.nn.Linear(1, 1)
        >>> _ = torch.nn.init.constant_(model.weight, 2.0), torch.nn.init.zeros_(model.bias)
        >>> est = estimate_llc(model, (x, 2 * x), step_size=1e-3, draws=500, method="single",
        ...                    device="cpu")
        >>> with tempfile.TemporaryDirectory() as d:
        ...     est.save(f"{d}/est.json")
        ...     back = LLCEstimate.load(f"{d}/est.json")
        >>> back.llc == est.llc and bool((back.loss_trace == est.loss_trace).all())
        True
        """
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


def _point_words(scan: Any) -> str:
    """How the estimate was read off its scan, in words (:func:`.extrapolate.point_rule`)."""
    if scan.point == _xp.POINT_LAW_MEAN and scan.fit.model != _xp.MORSE_BOTT:
        return ("mean of the laws that fit (each distinct fit once): "
                + ", ".join(f"{m} {v:.4g}" for m, v, _ in scan.laws)
                + f"; the default law: {scan.fit.describe()}")
    return scan.fit.describe()


JSON_CLASSES = (LLCEstimate, LLCConfig, dg.Diagnostics, _cal.StepSizeCalibration,
                _xp.TemperatureScan, _xp.FiniteNbetaFit)
"""The dataclasses an estimate's JSON may name (:meth:`LLCEstimate.from_json` looks classes
up among these only)."""
