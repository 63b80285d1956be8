r"""Finite-nβ extrapolation of the LLC from a scan over inverse temperatures.

The single-temperature estimator :math:`\hat\lambda(t) = t\,E_t[\Delta L]` at
:math:`t = n\beta` (Lau et al., arXiv:2308.12108, eq. 8) is not λ at finite t. Write
:math:`Z(t) = \int e^{-t\Delta L(w)}\varphi(w)\,dw` (φ the localisation prior) and
:math:`G(t) = -d\log Z/d\log t = t\,E_t[\Delta L]`. For noise-free data
(:math:`\Delta L = K_n \ge 0`), the asymptotic expansion of Z through the poles of the zeta function
:math:`\zeta(z) = \int K(w)^z\varphi(w)\,dw` (Watanabe 2009, *Algebraic Geometry and
Statistical Learning Theory*, Ch. 4) gives

.. math::

    G(t) = \lambda - \frac{m-1}{\log t} + \sum_k a_k\,t^{-(\lambda_k - \lambda)} + \dots,

with m the multiplicity of the largest pole −λ of the zeta function and λ_k the next poles;
the localisation prior contributes such terms too (a direction of curvature h gives
:math:`\tfrac12 th/(th+\gamma)`, a :math:`-\gamma/(2th)` term). With noisy data at fixed n,
Watanabe's WBIC expansion (JMLR 14, 2013, arXiv:1208.6338, Thm 4) adds data terms:
:math:`E_\beta[nL_n] = nL_n(w_0) + \lambda/\beta + U_n\sqrt{\lambda/(2\beta)} + O_p(1)`, so at
:math:`t = n\beta` the estimate carries :math:`U_n\sqrt{\lambda t/(2n)}` and a term
proportional to t (the O_p(1) constant times β, which also holds the reference-point offset
:math:`t(L_n(w_0) - L_n(w^*))`).

This module fits such a model to :math:`\hat\lambda(t_j)` on a grid
:math:`t_j = t_0 f_j` below the estimator's :math:`t_0 = n/\log n` and returns the value at
:math:`t\to\infty` with the fit's standard error (weighted least squares with each
temperature's Monte-Carlo error). :data:`MODELS` lists the candidate bases (columns in
:math:`f = t/t_0`); the default is chosen by the accuracy benchmark
(``benchmarks/accuracy.py``; docs/estimator.md records the measurements).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from slttheory.sampling._checks import positive_float

__all__ = [
    "GRID",
    "MODELS",
    "DEFAULT_MODEL",
    "NOISE_FREE_MODEL",
    "SLOW_LAW",
    "SLOW_LAW_CHI2",
    "default_model",
    "is_noise_free",
    "select_fit",
    "FLAT_P",
    "FREE_MODELS",
    "FIXED_POWERS",
    "MULTIPLICITY_MODELS",
    "multiplicity_of",
    "fit_warning",
    "FiniteNbetaFit",
    "TemperatureScan",
    "fit_finite_nbeta",
    "MORSE_BOTT",
    "morse_bott_fit",
    "scan_errors",
    "ScanErrors",
    "bootstrap_spread",
    "LAWS",
    "DATA_LAWS",
    "laws_for",
    "POINT_FIT",
    "POINT_LAW_MEAN",
    "point_rule",
    "LawInterval",
    "law_interval",
]

GRID: tuple[float, ...] = (1.0, 10 ** (-1 / 3), 10 ** (-2 / 3), 0.1)
"""Default temperature grid :math:`f_j = t_j/t_0`: four points, log-spaced over a decade."""

Basis = Callable[[np.ndarray, float], np.ndarray]


def _ones(f: np.ndarray, t0: float) -> np.ndarray:
    return np.ones_like(f)


MODELS: dict[str, tuple[tuple[str, Basis], ...]] = {
    # λ only: the mean of the scan (no extrapolation; a reference)
    "flat": (("lambda", _ones),),
    # next-pole / localisation term with a fixed exponent
    "pow1/4": (("lambda", _ones), ("a", lambda f, t0: f ** -0.25)),
    "pow1/2": (("lambda", _ones), ("a", lambda f, t0: f ** -0.5)),
    "pow1": (("lambda", _ones), ("a", lambda f, t0: 1.0 / f)),
    # multiplicity term −(m−1)/log t
    "log": (("lambda", _ones), ("mu", lambda f, t0: -1.0 / np.log(t0 * f))),
    # data term ∝ t (reference offset, O_p(1)·β) with a next-pole term
    "pow1/2+t": (("lambda", _ones), ("a", lambda f, t0: f ** -0.5), ("b", lambda f, t0: f)),
    "log+t": (("lambda", _ones), ("mu", lambda f, t0: -1.0 / np.log(t0 * f)),
              ("b", lambda f, t0: f)),
    "t": (("lambda", _ones), ("b", lambda f, t0: f)),
}
"""Candidate finite-nβ models: named columns of the design matrix in :math:`f = t/t_0`."""

FIXED_POWERS: dict[str, str] = {"pow1/4": "1/4", "pow1/2": "1/2", "pow1": "1"}
r"""The :data:`MODELS` :math:`\lambda + a f^{-\delta}` whose exponent is fixed, by name."""

FREE_MODELS: dict[str, tuple[float, float]] = {
    "pow[1/2,1]": (0.5, 1.0),
    "pow[1/4,1]": (0.25, 1.0),
}
r"""Models :math:`\lambda + a f^{-\delta}` with the exponent fitted in the given bounds (the
next pole's distance and the localisation's δ = 1 lie in such a range): least squares
profiled over δ, linear in (λ, a) at the best δ."""

MULTIPLICITY_MODELS = tuple(f"mult{m}" for m in range(2, 6))
r"""Laws for a caller who knows the multiplicity m ≥ 2 of the largest pole:
:math:`\lambda - (m-1)/(\log t + \kappa)`, λ and κ fitted, the coefficient fixed. For m = 2
it is exact up to next-pole terms: :math:`Z(t) \simeq t^{-\lambda}(c_0\log t + c_1)` gives
:math:`G(t) = \lambda - 1/(\log t + c_1/c_0)`; for m > 2 it keeps the leading two orders of
the :math:`1/\log t` expansion. A scan cannot choose m itself (docs/estimator.md §1)."""


def multiplicity_of(model: str) -> int:
    """m of a :data:`MULTIPLICITY_MODELS` name, else 0.

    >>> multiplicity_of("mult2"), multiplicity_of("pow[1/2,1]")
    (2, 0)
    """
    return int(model[4:]) if model in MULTIPLICITY_MODELS else 0


DEFAULT_MODEL = "pow[1/2,1]"
"""The fit for data with noise (any scan whose :math:`L_n(w^*)` is not ~0)."""

NOISE_FREE_MODEL = "pow[1/4,1]"
"""The free-exponent law for noise-free data (:func:`default_model`): with no data terms the
scan's slope is the estimand's own, and next poles as close as 1/4 (:math:`w_1w_2^2`) occur.
:func:`select_fit` prefers its slowest member, :data:`SLOW_LAW`, unless the scan rejects it."""

SLOW_LAW = "pow1/4"
r"""The slowest power law, :math:`\lambda + a f^{-1/4}`: the noise-free default unless the scan
rejects it (:func:`select_fit`)."""

SLOW_LAW_CHI2 = 2.71
r"""The likelihood-ratio threshold at which a noise-free scan rejects :data:`SLOW_LAW` for
:data:`NOISE_FREE_MODEL`: :math:`\chi^2_{1/4} - \chi^2_{\hat\delta} > 2.71`, the 5 % point of
:math:`\tfrac12\chi^2_0 + \tfrac12\chi^2_1`, the null law of the ratio when the tested
value δ = 1/4 lies on the boundary of the allowed range (Self & Liang 1987, JASA 82:605,
case 5)."""

NOISE_FREE_TOL = 1e-6
r""":func:`default_model` treats the data as noise-free when :math:`t_0 L_n(w^*)` is at most
this: the data terms of the scan (:math:`\le t\,(L_n(w^*) - \min L_n)`) are then below it."""


def is_noise_free(init_loss: float, t0: float) -> bool:
    r"""Whether a scan's data count as noise-free: :math:`t_0 \ell \le`
    :data:`NOISE_FREE_TOL`, with ``init_loss`` = ℓ the spread of the per-sample losses at w*,
    :math:`\max_i \ell_i(w^*) - \min_i \ell_i(w^*)` (the estimator passes
    ``_Setup.noise_loss``): noise-free data fitted exactly at w*, whatever constant the loss
    adds; cross-entropy on data it does not fit exactly never is.

    >>> is_noise_free(0.0, 145.0), is_noise_free(1e-6, 145.0)
    (True, False)
    """
    return abs(init_loss) * t0 <= NOISE_FREE_TOL


def default_model(init_loss: float, t0: float) -> str:
    r"""The free-exponent law for a scan: :data:`NOISE_FREE_MODEL` when
    :math:`t_0 L_n(w^*) \le` :data:`NOISE_FREE_TOL` (noise-free data fitted exactly at w*;
    a loss whose minimum is not 0, such as cross-entropy, never is), else
    :data:`DEFAULT_MODEL`. On noisy data it is the estimator's law; on noise-free data
    (since revision 8) :func:`select_fit` keeps :data:`SLOW_LAW` unless the scan rejects it
    for this one.

    Why two: on the selection half of ``benchmarks/accuracy.py`` the slower law (δ down to 1/4)
    removed more of the noise-free estimand's bias (median |error| 2.5 % against 3.3 %, max
    19 % against 23 %), while on noisy data it amplified the O(β) data term of an empirical
    minimiser (reduced-rank regression (5,5,3) at rank 0: +29 % against +12 %;
    docs/estimator.md §6).

    >>> default_model(0.0, 145.0), default_model(0.5, 145.0)
    ('pow[1/4,1]', 'pow[1/2,1]')
    """
    return NOISE_FREE_MODEL if is_noise_free(init_loss, t0) else DEFAULT_MODEL


@dataclass(frozen=True, eq=False)
class FiniteNbetaFit:
    r"""Weighted least-squares fit of :math:`\hat\lambda(t_j)` by a :data:`MODELS` basis.

    ``value``: the fitted λ (the limit :math:`t\to\infty` of the model's finite-t terms);
    ``std_error``: its standard error from the temperatures' Monte-Carlo errors, linearised
    at the data (for a fitted exponent this is what :func:`stop_rule` targets; the reported
    error is :func:`scan_errors`'); ``coef``/``cov``: all coefficients and their covariance;
    ``chi2`` with ``dof`` degrees of freedom (``nan`` when exactly determined); ``weights``:
    :math:`\partial\,\mathrm{value}/\partial\,\mathrm{values}`, so that
    ``value = weights @ values`` for a fixed basis and a free exponent (both homogeneous of
    degree 1 in the values), not for a multiplicity law; ``f``, ``values``, ``errors``: the
    data fitted, at :math:`t = t_0 f`.
    """

    model: str
    value: float
    std_error: float
    coef: np.ndarray
    cov: np.ndarray
    names: tuple[str, ...]
    chi2: float
    dof: int
    weights: np.ndarray
    f: np.ndarray | None = None
    values: np.ndarray | None = None
    errors: np.ndarray | None = None
    t0: float = math.nan

    def describe(self) -> str:
        """The fitted law in words.

        >>> f = np.asarray(GRID)
        >>> fit_finite_nbeta(f, 1.0 - 0.2 * f ** -0.75, np.full(4, 0.01), 145.0,
        ...                  "pow[1/2,1]").describe()
        'fit λ + a·f^-δ, δ = 0.75 in [1/2,1]'
        """
        if self.model in FREE_MODELS:
            return f"fit λ + a·f^-δ, δ = {self.coef[2]:.3g} in {self.model[3:]}"
        if self.model == MORSE_BOTT:
            return "λ = k/2 exactly by the Morse–Bott lemma (k the Gauss–Newton rank), not fitted"
        if self.model == "t":
            return "fit λ + b·f (the data term of noisy data, WBIC)"
        if self.model in FIXED_POWERS:
            return f"fit λ + a·f^-{FIXED_POWERS[self.model]} (exponent fixed)"
        m = multiplicity_of(self.model)
        if m:
            return f"fit λ − {m - 1}/(log nβ + κ), κ = {self.coef[1]:.3g} (stated m = {m})"
        return f"fit {self.model!r}"

    def predict(self, f: np.ndarray, t0: float) -> np.ndarray:
        """The fitted :math:`\\hat\\lambda(t_0 f)`."""
        if self.model == MORSE_BOTT:
            return np.full(np.shape(f), self.value)
        if self.model in FREE_MODELS:
            return self.coef[0] + self.coef[1] * np.asarray(f, float) ** -self.coef[2]
        m = multiplicity_of(self.model)
        if m:
            return self.coef[0] - (m - 1) / (np.log(t0 * np.asarray(f, float)) + self.coef[1])
        cols = MODELS[self.model]
        x = np.stack([b(np.asarray(f, float), t0) for _, b in cols], axis=-1)
        return x @ self.coef


MORSE_BOTT = "morse_bott"
"""The ``model`` of :func:`morse_bott_fit`: λ known exactly, not fitted."""


def morse_bott_fit(sampled: FiniteNbetaFit | None, value: float) -> FiniteNbetaFit:
    r"""The "fit" of a scan at a Morse–Bott zero of a noise-free loss, or of a model linear in
    its sampled parameters
    (:func:`slttheory.sampling.localisation.morse_bott_rank`), where λ = k/2 = ``value``
    exactly: ``model`` :data:`MORSE_BOTT`, no error, the scan's data kept (``chi2`` against
    ``value`` with one degree of freedom per temperature: a record of how far the finite-t
    estimand still is). ``sampled`` is the law the scan alone gives, ``None`` when no scan
    was sampled (``estimate_llc(record_scan=False)``, the default: no data, ``chi2`` nan).

    >>> f = np.asarray(GRID)
    >>> s = fit_finite_nbeta(f, [4.4, 4.3, 4.2, 4.1], [0.05] * 4, 80.0, "pow[1/4,1]")
    >>> r = morse_bott_fit(s, 6.5)
    >>> r.model, r.value, r.std_error
    ('morse_bott', 6.5, 0.0)
    >>> r.describe()
    'λ = k/2 exactly by the Morse–Bott lemma (k the Gauss–Newton rank), not fitted'
    """
    if sampled is None:
        return FiniteNbetaFit(MORSE_BOTT, float(value), 0.0, np.array([float(value)]),
                              np.zeros((1, 1)), ("lambda",), math.nan, 0, np.zeros(0))
    y = np.asarray(sampled.values, float) if sampled.values is not None else np.zeros(0)
    se = np.asarray(sampled.errors, float) if sampled.errors is not None else np.zeros(0)
    chi2 = float(np.sum(((y - value) / se) ** 2)) if y.size and np.all(se > 0) else math.nan
    return FiniteNbetaFit(MORSE_BOTT, float(value), 0.0, np.array([float(value)]),
                          np.zeros((1, 1)), ("lambda",), chi2, int(y.size), np.zeros(y.size),
                          sampled.f, sampled.values, sampled.errors, sampled.t0)


def fit_finite_nbeta(f: Sequence[float], values: Sequence[float], errors: Sequence[float],
                     t0: float, model: str = DEFAULT_MODEL) -> FiniteNbetaFit:
    r"""Fit ``values`` (:math:`\hat\lambda` at :math:`t_0 f_j`) with standard errors
    ``errors`` by the basis ``MODELS[model]``; the coefficient named ``lambda`` is λ.

    >>> f = np.array([1.0, 0.5, 0.25, 0.125])
    >>> y = 2.0 - 0.3 * f ** -0.5          # exactly the pow1/2 model
    >>> r = fit_finite_nbeta(f, y, np.full(4, 0.01), t0=100.0, model="pow1/2")
    >>> round(float(r.value), 6), round(float(r.coef[1]), 6)
    (2.0, -0.3)
    """
    known = sorted(MODELS) + sorted(FREE_MODELS) + list(MULTIPLICITY_MODELS)
    if model not in known:
        raise ValueError(f"model must be one of {known}, got {model!r}")
    t0 = positive_float("t0", t0)
    fv = np.asarray(f, float)
    y = np.asarray(values, float)
    se = np.asarray(errors, float)
    if fv.shape != y.shape or fv.shape != se.shape or fv.ndim != 1:
        raise ValueError("f, values and errors must be 1-D arrays of one length")
    if not (np.isfinite(fv).all() and (fv > 0).all()):
        raise ValueError(f"f must be finite and > 0 (temperatures over t0), got {fv}")
    # values: not checked — a diverged temperature's NaN gives a NaN fit, which the
    # estimator reports as a failed estimate rather than raising
    if (se < 0).any():  # NaN (unknown) is allowed: then equal weights
        raise ValueError(f"errors must be >= 0 (or NaN where unknown), got {se}")
    distinct = np.unique(fv).size
    need = (len(MODELS[model]) if model in MODELS else 2 if multiplicity_of(model) else 3)
    if distinct < need:  # repeated temperatures do not identify more parameters (an outside
        # probe: four equal ones gave three laws' different λ, each with a tiny error)
        raise ValueError(f"f: model {model!r} needs at least {need} distinct temperatures, "
                         f"got {distinct} ({fv})")
    if model in FREE_MODELS or model in MULTIPLICITY_MODELS:
        return _fit_nonlinear(fv, y, se, t0, model)
    cols = MODELS[model]
    if fv.size < len(cols):
        raise ValueError(f"model {model!r} needs at least {len(cols)} temperatures, got "
                         f"{fv.size}")
    x = np.stack([b(fv, t0) for _, b in cols], axis=-1)
    ok = np.isfinite(se) & (se > 0)
    if ok.all():
        w = 1.0 / se**2
    else:  # no usable errors: equal weights, covariance from the residuals
        w = np.ones_like(y)
    xtw = x.T * w
    xtwx = xtw @ x
    try:
        cov = np.linalg.inv(xtwx)
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(xtwx)
    coef = cov @ (xtw @ y)
    resid = y - x @ coef
    dof = int(fv.size - len(cols))
    chi2 = float(np.sum(w * resid**2)) if dof > 0 else math.nan
    if not ok.all():
        s2 = chi2 / dof if dof > 0 else math.nan
        cov = cov * s2
    names = tuple(nm for nm, _ in cols)
    i = names.index("lambda")
    hat = np.linalg.pinv(xtwx) @ xtw
    return FiniteNbetaFit(model, float(coef[i]), float(math.sqrt(max(cov[i, i], 0.0))),
                          coef, cov, names, chi2, dof, hat[i], fv, y, se, float(t0))


FLAT_P = 0.05
r"""Level of the test by which :func:`select_fit` takes a noise-free scan for a Morse–Bott
point's (the scan equal to k/2 at every temperature, p ≥ ``FLAT_P``)."""


def select_fit(f: Sequence[float], values: Sequence[float], errors: Sequence[float],
               t0: float, init_loss: float, curved_directions: int = 0) -> FiniteNbetaFit:
    r"""The default fit of a scan. On noisy data :func:`default_model`'s law. On noise-free
    data (:func:`is_noise_free`):

    * the scan's mean (the ``"flat"`` model) when w* has k = ``curved_directions`` > 0 curved
      directions and the values — with the localisation deficit removed
      (:mod:`slttheory.sampling.localisation`) — are consistent with k/2 at every temperature
      (χ² on len(values) degrees of freedom, p ≥ :data:`FLAT_P`);
    * otherwise the slowest power law, :data:`SLOW_LAW` (δ = 1/4 fixed), unless the scan
      rejects it against the free exponent δ ∈ [1/4, 1] (:data:`NOISE_FREE_MODEL`) by the
      likelihood ratio, :math:`\chi^2_{1/4} - \chi^2_{\hat\delta} >` :data:`SLOW_LAW_CHI2`;
      then the free law.

    Why the mean. At a Morse–Bott point (minima forming a smooth manifold near w*, such as a
    symmetry orbit at a regular point of reduced-rank regression) λ = k/2, the deficit is the
    whole finite-t term, and the corrected scan is k/2 up to Monte-Carlo noise; a law with a
    free exponent extrapolates that noise about threefold (low-rank linear, k = 51: −4.7 % by
    the law, −0.8 % by the mean). The estimate is the mean of the measured values, not k/2:
    the test only decides that there is nothing to extrapolate. A purely singular point (k =
    0) never qualifies, however noisy its scan: a slowly rising scan can look flat at a short
    run (f = w²x, 3000 draws: the mean reads −9 %, the law +1 %). Chosen on the selection half
    of the accuracy benchmark (noise-free median |error| 2.1 % → 1.4 %, nothing worse;
    docs/estimator.md §6). Not for noisy data, whose scans carry the data terms
    :math:`u\sqrt t + bt` and whose w* is an empirical minimiser.

    Why the slowest law. The free exponent is bounded below at 1/4, and the scans that need
    the slowest approach — a next pole at distance 1/4, a multiplicity-2 term, which one decade
    cannot tell from a power law of small δ, the tanh networks' δ ≈ 0.2 — sit on or below that
    bound: noise that would pull δ̂ under it is clamped, noise that pushes it above shortens
    the extrapolation, so the free fit reads low by 3–6 points more than its noiseless fit
    (simulated, docs/estimator.md §6, "The fit's own noise bias"). The fixed law has no such
    bias. A scan that falls steeply at its lowest temperatures (a fast term, δ near 1) rejects
    it, and keeps the free law, which reads it right. Chosen on the selection half of
    ``benchmarks/accuracy.py`` (stored scans; noise-free max |error| 19.1 % → 8.3 %, median
    1.0 % both; at a true parameter, ``true_parameter=True``, the error of the mean over data
    sets: max 22.6 % → 16.5 %, median 3.9 % → 2.5 %); the held-out numbers are in
    docs/estimator.md §6.

    >>> f = np.asarray(GRID)
    >>> select_fit(f, [1.01, 0.99, 1.0, 1.0], [0.02] * 4, 145.0, 0.0, 2).model
    'flat'
    >>> select_fit(f, [1.01, 0.99, 1.0, 1.0], [0.02] * 4, 145.0, 0.0, 0).model  # singular
    'pow1/4'
    >>> select_fit(f, [1.0, 0.9, 0.8, 0.7], [0.02] * 4, 145.0, 0.0, 2).model   # a trend
    'pow1/4'
    >>> select_fit(f, 2.0 - 0.5 / f, [0.01] * 4, 145.0, 0.0, 0).model          # fast: δ = 1
    'pow[1/4,1]'
    >>> select_fit(f, [1.01, 0.99, 1.0, 1.0], [0.02] * 4, 145.0, 0.5, 2).model  # noisy
    'pow[1/2,1]'
    """
    from scipy.stats import chi2

    y, se = np.asarray(values, float), np.asarray(errors, float)
    if not is_noise_free(init_loss, t0):
        return fit_finite_nbeta(f, y, se, t0, DEFAULT_MODEL)
    if curved_directions > 0 and np.all(se > 0):
        stat = float(np.sum(((y - 0.5 * curved_directions) / se) ** 2))
        if math.isfinite(stat) and chi2.sf(stat, y.size) >= FLAT_P:
            return fit_finite_nbeta(f, y, se, t0, "flat")
    slow = fit_finite_nbeta(f, y, se, t0, SLOW_LAW)
    free = fit_finite_nbeta(f, y, se, t0, NOISE_FREE_MODEL)
    return free if slow.chi2 - free.chi2 > SLOW_LAW_CHI2 else slow


def _linear_pow(f: np.ndarray, y: np.ndarray, w: np.ndarray, delta: float
                ) -> tuple[np.ndarray, float, np.ndarray]:
    x = np.stack([np.ones_like(f), f ** -delta], axis=-1)
    xtw = x.T * w
    inv = np.linalg.pinv(xtw @ x)
    coef = inv @ (xtw @ y)
    return coef, float(np.sum(w * (y - x @ coef) ** 2)), inv


def _best_delta(f: np.ndarray, y: np.ndarray, w: np.ndarray, lo: float, hi: float) -> float:
    from scipy.optimize import minimize_scalar

    r = minimize_scalar(lambda d: _linear_pow(f, y, w, d)[1], bounds=(lo, hi),
                        method="bounded", options={"xatol": 1e-6})
    cands = [lo, hi, float(r.x)]
    return min(cands, key=lambda d: _linear_pow(f, y, w, d)[1])


def _fit_nonlinear(f: np.ndarray, y: np.ndarray, se: np.ndarray, t0: float, model: str
                   ) -> FiniteNbetaFit:
    r"""A :data:`FREE_MODELS` law (λ + a f^{−δ}, δ in its bounds) or a
    :data:`MULTIPLICITY_MODELS` law (λ − (m−1)/(log t + κ)); the standard error and the weights
    (:math:`\partial\lambda/\partial y_j`, by central differences through the whole fit, the
    nonlinear parameter included) linearise the fit at the data."""
    m = multiplicity_of(model)
    npar = 2 if m else 3
    if f.size < npar:
        raise ValueError(f"model {model!r} needs at least {npar} temperatures, got {f.size}")
    if f.shape != y.shape or f.shape != se.shape or f.ndim != 1:
        raise ValueError("f, values and errors must be 1-D arrays of one length")
    ok = np.isfinite(se) & (se > 0)
    w = 1.0 / se**2 if ok.all() else np.ones_like(y)
    if m:
        s = np.log(t0 * f)

        def full(yy: np.ndarray) -> tuple[float, float, float]:
            lam, kappa, chi2 = _mult_fit(s, yy[None, :], w, m)
            return float(lam[0]), float(kappa[0]), float(chi2[0])

        def value(yy: np.ndarray) -> float:
            return full(yy)[0]

        lam, kappa, chi2 = full(y)
        coef, names = np.array([lam, kappa]), ("lambda", "kappa")
        cov = np.full((2, 2), math.nan)
    else:
        lo, hi = FREE_MODELS[model]

        def value(yy: np.ndarray) -> float:
            return float(_linear_pow(f, yy, w, _best_delta(f, yy, w, lo, hi))[0][0])

        delta = _best_delta(f, y, w, lo, hi)
        lin, chi2, inv = _linear_pow(f, y, w, delta)
        coef, names = np.array([lin[0], lin[1], delta]), ("lambda", "a", "delta")
        cov = np.zeros((3, 3))
        cov[:2, :2] = inv
    scale = np.where(ok, se, 1e-3 * (1.0 + np.abs(y)))
    weights = np.empty_like(y)
    for j in range(y.size):
        h = 1e-3 * scale[j]
        e = np.zeros_like(y)
        e[j] = h
        weights[j] = (value(y + e) - value(y - e)) / (2 * h)
    dof = int(f.size - npar)
    err = float(np.sqrt(np.sum((weights * se) ** 2))) if ok.all() else math.nan
    return FiniteNbetaFit(model, float(coef[0]), err, coef, cov, names,
                          chi2 if dof > 0 else math.nan, dof, weights, f, y, se, float(t0))


KAPPA_SHIFTS = np.geomspace(1e-2, 1e3, 241)
r"""Values of :math:`\log t_{\min} + \kappa` tried by a :data:`MULTIPLICITY_MODELS` fit (so
that :math:`\log t + \kappa > 0` on the whole scan), refined by a parabola in their log. At
the upper end the law is flat over the scan (λ = the scan's mean plus a small constant)."""


def fit_warning(fit: FiniteNbetaFit) -> str | None:
    """A failed check of the fit itself, or ``None``: a :data:`MULTIPLICITY_MODELS` law whose
    κ ran to the end of its range (:data:`KAPPA_SHIFTS`) — the scan does not rise like
    −(m−1)/(log t + κ), the law is flat over it, and the value is the scan's mean plus a
    small constant, not an extrapolation.

    >>> f = np.asarray(GRID)
    >>> fit_warning(fit_finite_nbeta(f, np.full(4, 0.3), np.full(4, 0.01), 145.0, "mult2"))[:28]
    'multiplicity law (m = 2): κ '
    """
    m = multiplicity_of(fit.model)
    if not m or fit.f is None or not math.isfinite(fit.t0):
        return None
    shift = float(np.log(fit.t0 * fit.f).min() + fit.coef[1])
    if shift < 0.999 * KAPPA_SHIFTS[-1]:
        return None
    return (f"multiplicity law (m = {m}): κ at the end of its range — the scan does not rise "
            f"like −(m−1)/(log t + κ); the value is its mean, not an extrapolation")


def _mult_fit(s: np.ndarray, ys: np.ndarray, w: np.ndarray, m: int
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """λ, κ and χ² of λ − (m−1)/(s + κ) fitted to each row of ``ys`` (vectorised)."""
    c = m - 1

    def at(kappa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # kappa (R, K)
        shifted = ys[:, None, :] + c / (s[None, None, :] + kappa[:, :, None])
        lam = np.sum(w * shifted, -1) / np.sum(w)
        return lam, np.sum(w * (shifted - lam[..., None]) ** 2, -1)

    u = np.log(KAPPA_SHIFTS)
    kappas = np.broadcast_to(KAPPA_SHIFTS - s.min(), (ys.shape[0], u.size))
    _, chi2 = at(kappas)
    best = _grid_minimum(u, chi2)
    h = u[1] - u[0]
    for _ in range(3):  # polish: parabolas through ever closer points (steep curves need it)
        h /= 4
        _, q = at(np.exp(best[:, None] + h * np.array([-1.0, 0.0, 1.0])) - s.min())
        best = np.clip(best + np.nan_to_num(_vertex_step(q, h)), u[0], u[-1])
    kappa = np.exp(best) - s.min()
    lam, chi2 = at(kappa[:, None])
    return lam[:, 0], kappa, chi2[:, 0]


def quad_se(c: np.ndarray, cov: np.ndarray) -> float:
    r""":math:`\sqrt{c^T S c}` (0 when negative by round-off; ``nan`` when not finite)."""
    v = float(np.asarray(c) @ np.asarray(cov) @ np.asarray(c))
    return math.sqrt(max(v, 0.0)) if math.isfinite(v) else math.nan


BOOTSTRAP_DRAWS = 400
"""Replicates of the parametric bootstrap behind a fitted exponent's errors
(:func:`scan_errors`); their standard deviation is known to about 1/√(2·400) = 3.5 %."""

DELTA_GRID = 121
"""Exponents tried per bootstrap replicate (evenly spaced over the model's bounds)."""


@dataclass(frozen=True)
class ScanErrors:
    r"""The error budget of an extrapolated λ: ``std_error`` =
    :math:`\sqrt{\mathrm{mc}^2 + \mathrm{data}^2 + \mathrm{fit}^2}` (a data error that is not
    finite is left out)."""

    std_error: float
    mc_error: float
    data_error: float
    fit_error: float


def scan_errors(fit: FiniteNbetaFit, disc_bias: np.ndarray, data_cov: np.ndarray | None
                ) -> ScanErrors:
    r"""The errors of an extrapolated λ (docs/estimator.md §4).

    ``mc_error`` and ``data_error``: for a fixed basis the fit is linear, and they are
    :math:`\sqrt{c^T S c}` with c the fit's weights (times :math:`1 - b_j` for the data, the
    fitted values being :math:`\hat\lambda_j(1 - b_j)`) and S the Monte-Carlo (diagonal) or
    data covariance of the :math:`\hat\lambda_j`. With a fitted exponent
    (:data:`FREE_MODELS`; likewise κ of a :data:`MULTIPLICITY_MODELS` law) a linearisation is
    wrong near the exponent's bounds — at a bound it
    is the fixed-exponent error, a few times smaller than just inside — so both come from a
    parametric bootstrap instead (:func:`bootstrap_spread`): the fit repeated on the data
    plus Gaussian noise of the MC errors (``mc_error``), and of the MC errors and the data
    covariance together (``data_error`` = the excess over ``mc_error`` in quadrature).
    ``fit_error``: the misfit beyond the Monte-Carlo errors (Birge ratio,
    :math:`\sigma_{MC}\sqrt{\max(\chi^2/\nu - 1, 0)}`).

    >>> fit = fit_finite_nbeta([1.0, 0.5, 0.25], [1.0, 0.9, 0.8], [0.01] * 3, 100.0, "pow1/2")
    >>> e = scan_errors(fit, np.zeros(3), np.zeros((3, 3)))
    >>> e.data_error == 0.0 and e.std_error >= e.mc_error == fit.std_error
    True
    """
    bias = np.asarray(disc_bias, float)
    nonlinear = _nonlinear(fit) and fit.errors is not None and bool(
        np.all(np.isfinite(fit.errors) & (fit.errors > 0)))
    if nonlinear:
        cov = None if data_cov is None else (np.asarray(data_cov, float) * (1.0 - bias)) \
            * (1.0 - bias)[:, None]
        mc, total = bootstrap_spread(fit, cov)
        if cov is None:
            data_err = 0.0
        else:
            data_err = math.sqrt(max(total**2 - mc**2, 0.0)) if math.isfinite(total) \
                else math.nan
    else:
        mc = fit.std_error
        data_err = 0.0 if data_cov is None else quad_se(fit.weights * (1.0 - bias), data_cov)
    fit_err = mc * math.sqrt(max(fit.chi2 / fit.dof - 1.0, 0.0)) if (
        fit.dof > 0 and math.isfinite(fit.chi2)) else 0.0
    se = math.sqrt(mc**2 + fit_err**2 + (data_err**2 if math.isfinite(data_err) else 0.0))
    return ScanErrors(se, mc, data_err, fit_err)


LAWS: tuple[str, ...] = ("pow[1/4,1]", "pow[1/2,1]", "mult2")
r"""The finite-nβ laws one decade of temperatures cannot tell apart (docs/estimator.md §1):
a next pole or the localisation, :math:`\lambda + a f^{-\delta}` with δ down to 1/4 or 1/2,
and multiplicity 2, :math:`\lambda - 1/(\log t + \kappa)`. The default interval spans every
one of them that fits the scan (:func:`law_interval`); with noisy data also
:data:`DATA_LAWS` (:func:`laws_for`)."""

DATA_LAWS: tuple[str, ...] = ("t",)
r"""The law of the data term, spanned as well when the data have noise (:func:`laws_for`):
:math:`\lambda + b\,t`. Watanabe's WBIC expansion (JMLR 14, 2013, Thm 4) puts an
:math:`O_p(1)\cdot\beta` term in :math:`\hat\lambda(t)`, linear in t at fixed n, which holds
the reference-point offset :math:`t\,(L_n(w_0) - L_n(w^*))` of an empirical minimiser
:math:`w^* = \hat w` (positive: :math:`\hat w` fits the noise). Its λ is the intercept of a
straight line in t — the two-temperature estimator :math:`(t_2G_1 - t_1G_2)/(t_2 - t_1)` that
cancels such a term exactly — where the power laws extrapolate the same rise the other way
(reduced-rank regression (8,4,3) at rank 0, n = 1000: the scan rises 6.9 → 7.4 over the
decade, the power law reads +27 % at :math:`\hat w`; docs/estimator.md §4)."""


def laws_for(init_loss: float, t0: float, multiplicity: int | None = None
             ) -> tuple[str, ...]:
    r"""The laws the default interval spans: :data:`LAWS`, and :data:`DATA_LAWS` unless the
    data are noise-free (:func:`is_noise_free`: no data terms); without the multiplicity laws
    when the caller states ``multiplicity=1`` (a stated m ≥ 2 fits its own law alone).

    >>> laws_for(0.0, 145.0), laws_for(0.5, 145.0)[-1]
    (('pow[1/4,1]', 'pow[1/2,1]', 'mult2'), 't')
    >>> laws_for(0.0, 145.0, multiplicity=1)
    ('pow[1/4,1]', 'pow[1/2,1]')
    """
    laws = LAWS if is_noise_free(init_loss, t0) else LAWS + DATA_LAWS
    if multiplicity == 1:
        laws = tuple(law for law in laws if not multiplicity_of(law))
    return laws


POINT_FIT = "fit"
"""The point estimate is the chosen fit's λ (``TemperatureScan.fit``)."""

POINT_LAW_MEAN = "mean of laws"
"""The point estimate is the mean of the λ of the laws the interval spans
(``TemperatureScan.laws``)."""


def point_rule(init_loss: float, t0: float) -> str:
    r"""How the default turns a scan into one value: :data:`POINT_FIT` on noise-free data
    (:func:`is_noise_free`; the default law's λ, or the scan's mean at a Morse–Bott scan),
    :data:`POINT_LAW_MEAN` on noisy data — the mean of the λ of every law of
    :func:`laws_for` that fits the scan without a warning (:func:`law_interval`), the chosen
    one included, each distinct fit once (:attr:`LawInterval.mean`: two power laws whose
    fitted exponent lies in both ranges are one fit).

    Why. On noisy data the scan holds the data term as well as the finite-nβ terms, and the
    laws that fit it read λ on both sides of it: the power laws extrapolate the O(β) rise at
    an empirical minimiser upwards, the data term's line λ + b·t cancels it, and the
    multiplicity-2 law reads above the power laws at a crossing. No law is right on every
    model. Their mean, chosen on the selection half of ``benchmarks/accuracy.py`` (re-fitting
    its stored noisy scans; docs/estimator.md §6), cut the |error of the mean over data
    sets| there from max 36.3 % / median 7.7 % to 33.4 % / 3.8 %, and on the held-out half
    from 42.4 % / 11.0 % to 40.3 % / 7.5 %; it loses on the selection half's DLN (0.1 →
    2.0 %) and on two held-out cases (a crossing +1.5 → +7.5 %, low-rank +4.5 → −6.3 %). On
    noise-free data it lost the default's median on the selection half (2.5 % → 3.2 %), so
    there the chosen law stays. The interval is the laws' envelope either way, so it contains
    the mean.

    >>> point_rule(0.0, 145.0), point_rule(0.5, 145.0)
    ('fit', 'mean of laws')
    """
    return POINT_FIT if is_noise_free(init_loss, t0) else POINT_LAW_MEAN


Z95 = 1.959963984540054
"""Two-sided 95 % normal quantile."""


@dataclass(frozen=True)
class LawInterval:
    """The 95 % interval of an extrapolated λ over the laws (:func:`laws_for`) that fit the scan:
    ``low``/``high`` the envelope of each law's own interval (value ± 1.96 × its
    :func:`scan_errors` standard error); ``laws``: ``(model, value, std_error)`` of each law
    used, the chosen fit first; ``left_out``: laws whose fit failed its own check
    (:func:`fit_warning`)."""

    low: float
    high: float
    laws: tuple[tuple[str, float, float], ...]
    left_out: tuple[str, ...] = ()

    @property
    def mean(self) -> float:
        """The mean of the laws' λ (:data:`POINT_LAW_MEAN`), each distinct fit once (two power
        laws whose fitted exponent lies in both ranges are one fit); inside ``[low, high]``.

        >>> LawInterval(0.0, 2.0, (("pow[1/4,1]", 1.0, 0.1), ("pow[1/2,1]", 1.0, 0.1),
        ...                        ("t", 0.7, 0.2))).mean
        0.85
        """
        distinct: list[float] = []  # equal up to the exponent search's tolerance (~1e-7)
        for _, v, _ in self.laws:
            if not any(math.isclose(v, u, rel_tol=1e-6, abs_tol=1e-9) for u in distinct):
                distinct.append(v)
        return float(np.mean(distinct))


def law_interval(fit: FiniteNbetaFit, disc_bias: np.ndarray, data_cov: np.ndarray | None,
                 laws: Sequence[str] = LAWS, own_error: float | None = None) -> LawInterval:
    r"""The 95 % interval of ``fit``'s λ widened to every law of ``laws`` that fits the same
    scan without a warning: the envelope of their intervals. ``own_error``: ``fit``'s
    :func:`scan_errors` standard error when the caller has it (a bootstrap saved).

    Why. Over one decade of temperatures no law is rejected on exact estimands at 1 % errors,
    yet they extrapolate differently (for :math:`u^2v^2` the power law reads −13 %, the
    multiplicity-2 law −2 %; for :math:`u^4v^2` the reverse, −2 % and +23 %): which one holds is
    a property of the model that the scan does not reveal, so an interval that covers λ must
    span them. Measured on the stored scans of the accuracy benchmark (docs/estimator.md §4):
    noisy coverage 37/60 → 58/60 (selection half), 25/45 → 39/45 (held-out); with
    :data:`DATA_LAWS` on noisy scans 59/60 and 42/45.

    >>> f = np.asarray(GRID)
    >>> g = 0.5 - 1.0 / (np.log(145.0 * f) + 2.0)       # an m = 2 curve, λ = 1/2
    >>> fit = fit_finite_nbeta(f, g, np.full(4, 0.005), 145.0, "pow[1/4,1]")
    >>> li = law_interval(fit, np.zeros(4), None)
    >>> fit.value < 0.47 and li.low < 0.5 < li.high
    True
    >>> [name for name, _, _ in li.laws]
    ['pow[1/4,1]', 'pow[1/2,1]', 'mult2']
    """
    if fit.f is None or fit.values is None or fit.errors is None:
        raise ValueError("law_interval needs a fit that kept its data (fit_finite_nbeta)")
    se0 = scan_errors(fit, disc_bias, data_cov).std_error if own_error is None else own_error
    used = [(fit.model, fit.value, se0)]
    left_out = []
    for law in laws:
        if law == fit.model:
            continue
        alt = fit_finite_nbeta(fit.f, fit.values, fit.errors, fit.t0, law)
        if fit_warning(alt) is not None or not math.isfinite(alt.value):
            left_out.append(law)
            continue
        se = scan_errors(alt, disc_bias, data_cov).std_error
        if math.isfinite(se):
            used.append((law, alt.value, se))
        else:  # no interval of its own: recorded as left out, not silently dropped
            left_out.append(law)
    lo = min(v - Z95 * e for _, v, e in used)
    hi = max(v + Z95 * e for _, v, e in used)
    return LawInterval(float(lo), float(hi), tuple(used), tuple(left_out))


def bootstrap_spread(fit: FiniteNbetaFit, data_cov: np.ndarray | None = None,
                     draws: int = BOOTSTRAP_DRAWS) -> tuple[float, float]:
    r"""Standard deviations of the fitted λ of a :data:`FREE_MODELS` or
    :data:`MULTIPLICITY_MODELS` fit over a parametric
    bootstrap: ``draws`` replicates of the fitted values plus Gaussian noise with the fit's
    ``errors`` (first number), and with ``errors`` and ``data_cov`` together (second; ``nan``
    when ``data_cov`` is ``None`` or not finite; its negative eigenvalues — the split-half
    estimate of the data covariance can have some — are set to 0). Each replicate is refitted
    with the exponent on a grid of :data:`DELTA_GRID` values. The noise comes from a generator
    with a fixed seed shared by both, so the result is a deterministic function of the fit.

    >>> f = np.array([1.0, 10 ** (-1 / 3), 10 ** (-2 / 3), 0.1])
    >>> y = 1.0 - 0.2 * f ** -1.0
    >>> fit = fit_finite_nbeta(f, y, np.full(4, 0.01), 100.0, "pow[1/2,1]")
    >>> mc, _ = bootstrap_spread(fit)
    >>> fit.std_error < mc < 5 * fit.std_error   # at the bound δ = 1 the exponent is free
    True
    """
    if not _nonlinear(fit) or fit.errors is None:
        raise ValueError(f"bootstrap_spread needs a fit with a free exponent or a "
                         f"multiplicity law, got {fit.model!r}")
    f, y, se = fit.f, fit.values, fit.errors
    m = multiplicity_of(fit.model)
    if m:
        s = np.log(fit.t0 * f)

        def refit(ys: np.ndarray) -> np.ndarray:
            return _mult_fit(s, ys, 1.0 / se**2, m)[0]
    else:
        lo, hi = FREE_MODELS[fit.model]

        def refit(ys: np.ndarray) -> np.ndarray:
            return _free_values(f, ys, 1.0 / se**2, lo, hi)

    gen = np.random.default_rng(0)
    noise = gen.standard_normal((draws, y.size))
    mc = float(np.std(refit(y + noise * se)))
    if data_cov is None or not np.all(np.isfinite(data_cov)):
        return mc, math.nan
    ev, vec = np.linalg.eigh(0.5 * (data_cov + data_cov.T))
    root = vec * np.sqrt(np.clip(ev, 0.0, None))
    both = y + noise * se + gen.standard_normal((draws, y.size)) @ root.T
    return mc, float(np.std(refit(both)))


def _nonlinear(fit: FiniteNbetaFit) -> bool:
    return fit.model in FREE_MODELS or fit.model in MULTIPLICITY_MODELS


def _free_values(f: np.ndarray, ys: np.ndarray, w: np.ndarray, lo: float, hi: float
                 ) -> np.ndarray:
    r"""λ of :math:`\lambda + a f^{-\delta}` fitted to each row of ``ys`` (vectorised): χ² on
    :data:`DELTA_GRID` exponents in [lo, hi], refined by the vertex of the parabola through the
    best grid point and its neighbours (clipped to the bounds), then the linear fit there."""
    grid = np.linspace(lo, hi, DELTA_GRID)
    _, chi2 = _linear_at(f, ys, w, np.broadcast_to(grid, (ys.shape[0], grid.size)))
    delta = _grid_minimum(grid, chi2)
    return _linear_at(f, ys, w, delta[:, None])[0][:, 0]


def _grid_minimum(grid: np.ndarray, chi2: np.ndarray) -> np.ndarray:
    """Per row of ``chi2`` (R, K) on the evenly spaced ``grid`` (K,): the best grid point moved
    to the vertex of the parabola through it and its neighbours (at most one spacing, within
    the grid's ends)."""
    i = np.clip(np.argmin(chi2, axis=1), 1, grid.size - 2)
    rows = np.arange(chi2.shape[0])
    near = np.stack([chi2[rows, i - 1], chi2[rows, i], chi2[rows, i + 1]], axis=1)
    return np.clip(grid[i] + _vertex_step(near, grid[1] - grid[0]), grid[0], grid[-1])


def _vertex_step(c: np.ndarray, h: float) -> np.ndarray:
    """Per row of ``c`` (R, 3), values at x − h, x, x + h: the move from x to the vertex of the
    parabola through them, at most one spacing (0 where the parabola is not convex, ``nan``
    where a value is not finite)."""
    curv = c[:, 0] - 2 * c[:, 1] + c[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(curv > 0, 0.5 * h * (c[:, 0] - c[:, 2]) / curv, 0.0)
    return np.clip(step, -h, h)


def _linear_at(f: np.ndarray, ys: np.ndarray, w: np.ndarray, deltas: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least squares of each row of ``ys`` (R, J) on (1, f^-δ) for each of the
    (R, K) exponents ``deltas``: λ and χ², both (R, K)."""
    x = f[None, None, :] ** -deltas[:, :, None]  # (R, K, J)
    y = ys[:, None, :]
    s0, s1, s2 = np.sum(w), np.sum(w * x, -1), np.sum(w * x * x, -1)
    sy, sxy = np.sum(w * y, -1), np.sum(w * x * y, -1)
    det = s0 * s2 - s1 * s1
    lam = (s2 * sy - s1 * sxy) / det
    a = (s0 * sxy - s1 * sy) / det
    chi2 = np.sum(w * (y - lam[..., None] - a[..., None] * x) ** 2, -1)
    return lam, chi2


@dataclass(frozen=True, eq=False)
class TemperatureScan:
    r"""The per-temperature estimates behind an extrapolated LLC.

    ``nbeta``: :math:`t_j = n\beta f_j`; ``llc``: the raw single-temperature
    :math:`\hat\lambda(t_j)` with Monte-Carlo errors ``mc_error``; ``disc_bias``: each
    temperature's estimated first-order relative discretisation bias :math:`b_j` (0 for MALA);
    ``corrected``: :math:`\hat\lambda(t_j) - b_j|\hat\lambda(t_j)| + s_j + c_j` (the additive
    first-order bias removed, whatever the sign of :math:`\hat\lambda(t_j)`), the values
    fitted, with
    ``symmetrisation`` :math:`s_j` (``estimate_llc(true_parameter=True)``: what the
    symmetrised estimand adds, ``None`` and 0 otherwise) and
    ``localisation`` :math:`c_j = \tfrac12\sum_i\gamma/(t_jh_i + \gamma)` over the
    ``curved_directions`` curvatures :math:`h_i` of w* (noise-free data only, else ``None``
    and 0; :mod:`slttheory.sampling.localisation`); ``step_size``, ``ess``,
    ``rhat`` per temperature; ``fit``: the :class:`FiniteNbetaFit`; ``data_cov``: the
    data-fluctuation covariance of the raw :math:`\hat\lambda(t_j)` across data sets
    (:func:`slttheory.sampling.fluctuation.data_covariance`); ``variance``: the posterior
    variance :math:`V_j = \mathrm{Var}_{t_j}(t_j\Delta L)` with its MC error
    ``variance_error`` — :math:`d\hat\lambda/d\log t = \hat\lambda - V` exactly
    (:math:`\partial_t E_t[\Delta L] = -\mathrm{Var}_t(\Delta L)`), the local slope of the
    scan at each temperature; ``laws``: ``(model, value, std_error)`` of each finite-nβ law
    the default interval spans (:func:`law_interval`; empty for a stated law); ``point``: how
    the estimate was read off (:func:`point_rule`): :data:`POINT_FIT`, ``fit.value``, or
    :data:`POINT_LAW_MEAN`, the mean of ``laws``' values, each distinct fit once (noisy
    data; :attr:`LawInterval.mean`). ``loss_traces``: the kept draws of :math:`L_n(w)` (or
    its minibatch estimate) at every temperature, ``(temperatures, chains, draws)``; the
    estimate's own ``loss_trace`` is the first.
    """

    nbeta: np.ndarray
    llc: np.ndarray
    mc_error: np.ndarray
    disc_bias: np.ndarray
    corrected: np.ndarray
    step_size: np.ndarray
    ess: np.ndarray
    rhat: np.ndarray
    fit: FiniteNbetaFit
    data_cov: np.ndarray | None = None
    variance: np.ndarray | None = None
    variance_error: np.ndarray | None = None
    laws: tuple[tuple[str, float, float], ...] = ()
    localisation: np.ndarray | None = None
    curved_directions: int = 0
    symmetrisation: np.ndarray | None = None
    point: str = POINT_FIT
    loss_traces: np.ndarray | None = None

    def __str__(self) -> str:
        loc = np.zeros_like(self.nbeta) if self.localisation is None else self.localisation
        rows = [f"  nβ={t:9.4g}  λ̂={v:8.4g} ± {e:.2g}  disc.bias={100 * b:+5.1f}%  "
                f"localisation={c:+.3g}  ESS={s:6.0f} R-hat={r:.3f}"
                for t, v, e, b, c, s, r in zip(self.nbeta, self.llc, self.mc_error,
                                               self.disc_bias, loc, self.ess, self.rhat,
                                               strict=True)]
        return "\n".join(rows)


def stop_rule(f: Sequence[float], t0: float, model: str, target_rse: float, floor: float,
              rhat_max: float, z_max: float) -> Callable[[np.ndarray, int], tuple[bool, float]]:
    r"""Adaptive stopping rule for a temperature scan: every temperature's chains agree
    (R-hat ≤ ``rhat_max``, stationarity |z| ≤ ``z_max``) and the *fitted* λ's Monte-Carlo error
    is at most ``target_rse``·max(|λ|, ``floor``). Returns ``(converged, factor)`` as
    :func:`slttheory.sampling.chains._converged`."""
    from slttheory.sampling import diagnostics as dg

    fv = np.asarray(f, float)

    def rule(scaled: np.ndarray, groups: int) -> tuple[bool, float]:
        if not np.all(np.isfinite(scaled)):
            return True, 1.0
        factor = 1.0
        means, ses = [], []
        for g in np.split(scaled, groups, axis=0):
            means.append(g.mean())
            ses.append(dg.mcse(g))
            if g.shape[0] > 1 and dg.rhat(g) > rhat_max:
                factor = max(factor, 2.0)
            if abs(dg.stationarity_z(g)) > z_max:
                factor = max(factor, 2.0)
        fit = fit_finite_nbeta(fv, means, ses, t0, model)
        target = target_rse * max(abs(fit.value), floor)
        if not (fit.std_error <= target):
            factor = max(factor, (fit.std_error / target) ** 2
                         if math.isfinite(fit.std_error) else 2.0)
        return factor == 1.0, factor

    return rule
