"""Scaling claims: a stated shape of λ along one grid variable, fitted to the points' values.

Each point's λ is the value its certified facts fix, where they do (σ = 0: they decide, as at
a point), else its controlled LLC band (:mod:`slttheory.verify.judge.llc`): the estimate
corrected by its controls, with σ = a quarter of the band's width. The gates of a point hold:
points whose hypotheses fail, whose LLC is uncontrolled or failed, at a w* that is not a
minimum, on a training set of too low rank, or with a band outside their certified bounds are
left out (counted in the reason). One fit per combination of the other grid variables. A
scaling claim is **confirmed** only with all four of:

1. at least ``MIN_VALUES`` (4) values of the variable;
2. a χ² goodness of fit of the stated shape with p ≥ 0.05, using the controlled errors;
3. estimator settings held constant along the sweep (n, nβ, γ, sampler, method, chains), or
   the change corrected for by controls measured at each point's own settings;
4. the nearest rival shape (linear: c·x log x; quadratic: linear; affine in x: affine in
   x log x) fitted beside it and rejected by the data (χ² p < 0.05, and on LLC values no λ
   of the rival lies within every value's band); the report gives both;

and every stated coefficient's fit ± (2 s.e. + the bias the controlled values may share,
:func:`_shared_bias`: how far, relative to itself, a value lies from its band's further end,
as it moves that coefficient, :func:`_shared_shifts`) within
``coef_rel`` of it, and R² ≥ ``min_r2``. It is
**refuted** when the stated shape is rejected (χ² p < 0.01, and on LLC values no λ of the
shape lies within every band, :func:`_within_every_band`) or a stated coefficient is off by
more than ``coef_rel`` and by more than 4 standard errors plus the bias the controlled values
may share (:func:`_shared_bias`); otherwise inconclusive. A mixed group whose certified values
alone reject the shape is refuted (certified); otherwise, in a mixed group, a shape (stated or
rival) is rejected only at its best common factor on the LLC values within 1 ± the bias they may
share (:func:`_profiled`), since the certified values pin the fit. On a group of exact
(certified) values conditions 2 and 4 and the shape's rejection are exact where they can be:
rational values are of a polynomial shape (linear, affine, quadratic) or not, in exact
arithmetic (:func:`_exact_fit`), and only an x·log x shape is judged by its χ² with σ at
round-off. There is no noise for ``coef_rel`` to absorb: a stated coefficient must
match up to its own decimal rounding (0.333 stands for [0.3325, 0.3335]), and a stated shape
whose leading term is exactly 0 (λ = d/2 stated quadratic, a constant stated affine) is
refuted, since no further value could make λ that shape. Like every LLC-decided verdict,
a confirmation or refutation must survive the estimator's own settings: the same fits on the
values of the reruns at γ × 3, γ / 3 and ε / 2 (each corrected by the point's controls) must
give the same verdict in every group, else it is inconclusive. The grade is certified where
every deciding group rests on certified values only, else controlled.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np
import sympy as sp
from scipy import optimize, special, stats

from slttheory.verify.claims import SHAPES, Claim
from slttheory.verify.claims.point import written_rounding
from slttheory.verify.evidence.records import (
    RERUN_SETTINGS,
    RERUN_SETTINGS_TEXT,
    ControlSet,
    PointEvidence,
)
from slttheory.verify.judge.facts import (
    LLCAssessment,
    rerun_unresolved,
    rerun_unusable,
    stated_multiplicity,
    unresolved_of,
)
from slttheory.verify.judge.llc import llc_band
from slttheory.verify.judge.point import (
    certified_bounds,
    certified_ends,
    certified_value,
    contradict,
    fmt_point,
    llc_cannot_reach,
    not_a_minimum,
    outside_certified,
    scope,
    unmet_hypotheses,
)

__all__ = ["MIN_VALUES", "RIVALS", "Fit", "ScalingVerdict", "fit_shape", "scaling_verdict",
           "fit_llc"]

MIN_VALUES = 4
RIVAL_ONLY = ("affine_xlogx", "xlogx")  # shapes fitted only as rivals
RIVALS = {"linear": "xlogx", "quadratic": "linear", "affine": "affine_xlogx"}
"""The nearest rival of each stated shape, which the data must reject. A rival that nests the
stated shape can never be rejected where the stated shape fits (the quadratic c₂x² + c₁x
fits linear data exactly), so linear's rival is c·x log x, as affine's is c₁·x log x + c₀;
quadratic's rival, linear, is nested in it and rejected exactly when the curvature is
needed."""

_SETTINGS = ("n", "nbeta", "localization", "sampler", "method", "chains")


@dataclass(frozen=True)
class Fit:
    """A weighted least-squares fit of λ against the scaling variable (one group of points).

    ``p_value``: χ² goodness of fit with the given errors (``None`` without errors or
    degrees of freedom); ``role``: "stated" or "rival" shape, or the route the values came from.
    """

    group: Mapping[str, Any]
    shape: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    coefficients: tuple[float, ...]
    std_errors: tuple[float, ...]
    r2: float
    chi2_dof: float | None
    source: str = "llc"
    p_value: float | None = None
    role: str = "stated"


@dataclass(frozen=True)
class ScalingVerdict:
    """A scaling claim's verdict; ``groups``: each group's verdict (a rerun must repeat every
    one of them, not only the claim's)."""

    verdict: str
    reason: str
    fits: tuple[Fit, ...] = ()
    grade: str = "none"
    groups: tuple[tuple[str, str], ...] = ()
    certified_groups: tuple[str, ...] = ()  # groups whose verdict rests on certified values
    left_out: tuple[str, ...] = ()  # the points no fit took (fmt_point of each)


def _design(x: np.ndarray, shape: str) -> np.ndarray:
    if shape == "linear":
        return x[:, None]
    if shape == "affine":
        return np.stack([x, np.ones_like(x)], axis=1)
    if shape == "quadratic":
        return np.stack([x**2, x], axis=1)
    if shape == "affine_xlogx":  # x·log x → 0 at x = 0 (a rank r = 0 is a grid value)
        return np.stack([special.xlogy(x, x), np.ones_like(x)], axis=1)
    if shape == "xlogx":
        return special.xlogy(x, x)[:, None]
    raise ValueError(f"shape must be one of {', '.join([*SHAPES, *RIVAL_ONLY])}, got {shape!r}")


def fit_shape(x: Sequence[float], y: Sequence[float], se: Sequence[float] | None, shape: str,
              group: Mapping[str, Any] | None = None, source: str = "llc",
              role: str = "stated") -> Fit:
    """Least-squares fit of ``y`` on ``x`` with ``shape`` (weights 1/se² when given), with R²,
    coefficient errors and the χ² goodness of fit.

    >>> f = fit_shape([1, 2, 3, 4], [2.0, 4.0, 6.0, 8.0], None, "linear")
    >>> round(f.coefficients[0], 6), round(f.r2, 6)
    (2.0, 1.0)
    """
    xa, ya = np.asarray(x, float), np.asarray(y, float)
    X = _design(xa, shape)
    if not len(xa):  # a rival with no value it can take (every x < 0 or 1): no fit
        nan = (math.nan,) * X.shape[1]
        return Fit(dict(group or {}), shape, (), (), nan, nan, math.nan, None, source, None,
                   role)
    # an exact value (σ = 0, a certified point) weighs as if known to 1e-9 of itself: a float
    # floor of 1e-12 made float64 round-off in the fit a χ² that rejected exact values
    floor = 1e-9 * np.maximum(1.0, np.abs(ya))
    w = np.ones_like(ya) if se is None else 1.0 / np.maximum(np.asarray(se, float), floor) ** 2
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(X * sw[:, None], ya * sw, rcond=None)
    res = ya - X @ coef
    ss_tot = float(((ya - ya.mean()) ** 2).sum())
    ss_res = float(res @ res)
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else (1.0 if ss_res <= 1e-24 else 0.0)
    k = X.shape[1]
    dof = len(xa) - k
    cov = _unscaled_cov(X * sw[:, None])
    chi2_dof = p = None
    if se is not None and dof > 0:
        chi2 = float((w * res**2).sum())
        chi2_dof, p = chi2 / dof, float(stats.chi2.sf(chi2, dof))
        cov = cov * max(1.0, chi2_dof)  # errors include unexplained scatter
    elif dof > 0:
        cov = cov * ss_res / dof
    errs = np.sqrt(np.clip(np.diag(cov), 0, None))
    return Fit(dict(group or {}), shape, tuple(map(float, xa)), tuple(map(float, ya)),
               tuple(map(float, coef)), tuple(map(float, errs)), float(r2), chi2_dof, source,
               p, role)


def _unscaled_cov(a: np.ndarray) -> np.ndarray:
    """(AᵀA)⁻¹ from the QR factors of the weighted design ``a`` = √W·X: R⁻¹R⁻ᵀ. Forming AᵀA
    squares the condition number, and a certified point (σ floored at 10⁻⁹ of its value)
    beside LLC points (σ ≈ 0.2) makes it about 10¹⁶, where a pseudo-inverse drops the
    direction only the LLC points constrain: the coefficient errors came out ±5·10⁻¹⁰
    instead of ±0.064, and a true stated coefficient was refuted (an outside acceptance
    run). A rank-deficient design (fewer distinct values than coefficients) keeps the
    pseudo-inverse.

    >>> a = np.array([[1e9, 1e9], [5.1, 10.2], [4.1, 12.4], [4.1, 16.5]])
    >>> float(np.sqrt(_unscaled_cov(a)[0, 0])) > 0.01
    True
    """
    r = np.linalg.qr(a, mode="r")
    d = np.abs(np.diag(r))
    if d.size == 0 or d.min() <= 1e-12 * d.max():
        return np.linalg.pinv(a.T @ a)
    rinv = np.linalg.solve(r, np.eye(r.shape[0]))
    return rinv @ rinv.T


def _terms(shape: str, var: str) -> list[str]:
    """The terms of ``shape``'s formula in ``var``, in its coefficients' order ("" = 1)."""
    return {"linear": [var], "affine": [var, ""], "quadratic": [f"{var}²", var],
            "affine_xlogx": [f"{var}·log {var}", ""], "xlogx": [f"{var}·log {var}"]}[shape]


def coefficient_text(shape: str, var: str, i: int, fitted: float, se: float,
                     stated: float | str, exact: bool) -> str:
    """A fitted coefficient against the stated one, named by its term; values certified
    exact carry no standard error (the fit's ±1e-10 is round-off, not an error).

    >>> coefficient_text("quadratic", "r", 0, 0.5, 2.8e-10, 1.0, True)
    'the coefficient of r² = 0.5 (from exact values) vs stated 1'
    >>> coefficient_text("affine", "p", 1, -0.4, 0.06, 0.0, False)
    'the constant term = -0.4 ± 0.06 vs stated 0'
    """
    term = _terms(shape, var)[i]
    name = f"the coefficient of {term}" if term else "the constant term"
    err = " (from exact values)" if exact else f" ± {se:.2g}"
    said = stated if isinstance(stated, str) else f"{stated:.4g}"
    return f"{name} = {fitted:.4g}{err} vs stated {said}"


def poly_text(coefs: Sequence[float], shape: str, var: str) -> str:
    """``+2.287·p -4.25`` style text of a fitted shape."""
    terms = _terms(shape, var)
    return " ".join(f"{c:+.4g}{'·' + t if t else ''}" for c, t in
                    zip(coefs, terms, strict=True)).lstrip("+")


def shape_text(shape: str, var: str) -> str:
    """The stated shape with its formula, as the README defines it: no term beyond these.

    >>> shape_text("quadratic", "h")
    'quadratic (c₂·h² + c₁·h, no constant term)'
    >>> shape_text("affine", "r")
    'affine (c₁·r + c₀)'
    """
    return {"linear": f"linear (c·{var}, through the origin)",
            "affine": f"affine (c₁·{var} + c₀)",
            "quadratic": f"quadratic (c₂·{var}² + c₁·{var}, no constant term)"}[shape]


def stated_rounding(c: sp.Rational) -> float:
    """Half a unit in the last decimal of a stated coefficient: the only tolerance on exact
    (certified) values, which have no noise for ``coef_rel`` to absorb. A decimal stands for
    every number it rounds to (0.333 for [0.3325, 0.3335], so 1/3 is within it); an integer
    is exact.

    >>> stated_rounding(sp.Rational("0.333")), stated_rounding(sp.Integer(2))
    (0.0005, 0.0)
    >>> stated_rounding(sp.Rational(1, 2))  # written 0.5
    0.05
    """
    # the shortest decimal: claims keep what was written (Scaling.rounding, half_units)
    return 0.0 if c.is_Integer else float(written_rounding(repr(float(c))))


def half_units(sc: Any) -> tuple[float, ...]:
    """Each stated coefficient's rounding: half a unit in its last *written* place
    (``Scaling.rounding``: "0.20" gives 0.005), else in its shortest decimal
    (:func:`stated_rounding`)."""
    if getattr(sc, "rounding", None) is not None:
        return tuple(float(r) for r in sc.rounding)
    return tuple(stated_rounding(c) for c in sc.coefficients)


def _beyond(dev: float, allowed: float, scale: float) -> bool:
    """``dev > allowed`` beyond float64 round-off: a value exactly at a rounding boundary
    (0.25 against a stated 0.2 ± 0.05) is within it, whichever term it is."""
    return dev > allowed + 1e-9 * max(1.0, abs(scale))


def _controlled(claim: Claim, params: Mapping[str, Any], ev: PointEvidence,
                controls: Mapping[str, ControlSet],
                setting: str | None = None
                ) -> tuple[float, float, str, tuple[float, float] | None] | str:
    """The point's λ, σ, grade and band (``None`` for a certified value), or why it has
    none: a value the certified facts fix exactly (σ = 0, ``certified``: they decide, as at
    a point), else the controlled LLC (σ a
    quarter of the band's width; ``setting``: from its rerun at that changed estimator
    setting instead). The gates of a
    point's LLC hold here too (``judge.point``): the claim's hypotheses met at w*, a w* that
    is a local minimum (or a true parameter), a training set whose exact rank lets an LLC on
    it reach the value (the predicted one where stated coefficients give it, else the band's
    upper end), and a band not wholly outside what the certified facts allow."""
    unmet = unmet_hypotheses(claim, ev, None)
    if unmet:
        return "hypothesis not met (" + "; ".join(unmet) + ")"
    lo, hi, lo_open = certified_ends(claim, ev)
    if contradict(lo, hi, lo_open):  # λ = 0 beside λ > 0 too, as at a point
        return (f"routes contradict (certified λ {'>' if lo_open else '≥'} {lo} and "
                f"λ ≤ {hi}: a bug to fix)")
    exact = certified_value(lo, hi)
    if exact is not None:  # certified facts decide: the LLC, if any, is context
        return float(exact), 0.0, "certified", None
    lc = ev.llc
    if lc is None:
        failed = [f"{n}: {r.error}" for n, r in (("closed form", ev.closed_form),
                                                 ("rank", ev.rank)) if r is not None
                  and r.status != "ok"]
        if failed:  # its certified routes failed: say so, not only that no LLC ran
            return "route errors (" + "; ".join(failed) + "; no LLC runs in this profile)"
        return "the LLC route is not run in this profile (the full profile runs it)"
    if lc.status != "ok":
        return f"the LLC failed ({lc.error})"
    if not lc.clean:
        return "failed diagnostics"
    off = not_a_minimum(ev)  # as at a point: the LLC is defined at a minimum of L_n
    if off:
        return off
    if setting is not None:
        rr = next((r for r in lc.reruns if r.setting == setting), None)
        if rr is None:
            return f"no rerun at {setting}"
        if why := rerun_unusable(lc, rr):
            return f"its rerun at {setting} {why}"
    a = fit_llc(claim, ev, controls, setting, (lo, hi))
    assert a is not None  # a clean LLC, and a passed rerun at ``setting``: a band
    band = a.band
    if a.grade != "controlled":  # a controlled band graded down: outside the proof
        return (f"outside what is proved ({a.why})" if band.controlled
                else f"uncontrolled ({a.why})")
    predicted = claim.predicted_at(params)
    cannot = (llc_cannot_reach(ev, predicted) if predicted is not None else
              llc_cannot_reach(ev, sp.Rational(band.high), "the band's upper end"))
    if cannot:
        return f"training rank ({cannot})"
    return band.corrected, (band.high - band.low) / 4.0, "controlled", (band.low, band.high)


def fit_llc(claim: Claim, ev: PointEvidence, controls: Mapping[str, ControlSet],
            setting: str | None = None, bounds: tuple[Any, Any] | None = None
            ) -> LLCAssessment | None:
    """The grade of a scaling claim's point's LLC (``setting``: of its rerun there) as the
    fit reads it, and why: its controlled band (:func:`~slttheory.verify.judge.llc.llc_band`,
    the point's stated multiplicity, what the estimate cannot see), graded ``uncontrolled``
    where it lies wholly outside the point's certified bounds at a w* where an LLC may decide
    (:func:`~slttheory.verify.judge.point.outside_certified`: the estimator's error, not the
    theorem's; no bounds where they contradict). ``None`` where no clean LLC, or no passed
    rerun at ``setting``, gives a band. ``bounds``: the point's certified ``(lo, hi)``
    (:func:`~slttheory.verify.judge.point.certified_bounds`, computed where not given). One
    computation for the fit (:func:`_controlled`, which leaves the point out unless
    it is controlled) and for the reports (``report.data``, a point with no prediction of its
    own): graded there again by ``llc_band`` alone, a band outside the bounds had shown as
    controlled where the fit left it out. The fit's other gates (hypotheses, a w* that is no
    minimum, the training rank, certified facts that fix λ) are not the LLC's grade: the
    claim's reason names them, as a point's reason does (``judge.point.llc_assessment``)."""
    lc = ev.llc
    if lc is None or not lc.clean:
        return None
    mean, se, unseen = lc.mean, lc.std_error, unresolved_of(lc)
    if setting is not None:
        rr = next((r for r in lc.reruns if r.setting == setting), None)
        if rr is None or rerun_unusable(lc, rr):
            return None
        # the rerun's own unseen directions too (more of them at γ × 3)
        mean, se, unseen = rr.mean, rr.std_error, rerun_unresolved(lc, rr)
    band = llc_band(mean, se, controls.get(lc.control_key or ""), unseen,
                    stated_multiplicity(ev))
    if not band.controlled:
        return LLCAssessment("uncontrolled", band, band.why)
    lo, hi = certified_bounds(claim, ev) if bounds is None else bounds
    if outside := outside_certified(ev, lo, hi, band):
        return LLCAssessment("uncontrolled", band, outside)
    return LLCAssessment("controlled", band, "")


class _Row(NamedTuple):
    """One value of a group: the variable's value, λ, σ, the point's evidence and its grade
    (``certified``: σ = 0; ``controlled``: σ a quarter of its band's width), and the
    controlled band ``(low, high)`` itself where there is one (the value need not sit at
    its middle). Plain 5-tuples (tests of the float rules) read as rows without a band."""

    x: float
    value: float
    sigma: float
    evidence: PointEvidence | None
    grade: str
    band: tuple[float, float] | None = None


def _within_every_band(rows: Sequence[_Row], shape: str, power: float | None = None) -> bool:
    """Whether some λ of ``shape`` (any coefficients) lies within every value's band: a
    controlled value's band (λ ± 2σ where a row carries none), a certified value itself (to
    round-off). Where one does, the values do not exclude the shape, whatever its χ² says: the
    bands are mostly their controls' bias envelope, which varies from model to model within
    it, not independent normal errors of σ, so a χ² on them had refuted λ = d/2 (controlled)
    from values ±4.5 % off it in bands of ±5 %, every band holding d/2 (a red-team audit). A
    shape is refuted by LLC values as a point is: only where no λ of it lies in every band.
    ``power``, where given, replaces the power of the shape's leading term (x → x^p).

    >>> rows = [(d, 0.5 * d * (1 + 0.045 * (-1) ** d), 0.0125 * d, None, "controlled")
    ...         for d in range(1, 9)]
    >>> _within_every_band(rows, "linear"), _within_every_band(
    ...     [(d, 0.5 * d * (1 + 0.2 * (-1) ** d), 0.0125 * d, None, "controlled")
    ...      for d in range(1, 9)], "linear")
    (True, False)
    """
    xs = np.asarray([r[0] for r in rows], float)
    design = _design(xs, shape)
    if power is not None:  # the leading term's power replaced (:func:`_power_reach`)
        with np.errstate(all="ignore"):
            design[:, 0] = np.power(xs, power)
    lo, hi = [], []
    for r in rows:
        band = getattr(r, "band", None)
        if r[4] == "certified":
            tol = 1e-9 * max(1.0, abs(r[1]))
            band = (r[1] - tol, r[1] + tol)
        elif band is None:
            band = (r[1] - 2.0 * r[2], r[1] + 2.0 * r[2])
        lo.append(band[0])
        hi.append(band[1])
    if not (np.isfinite(design).all() and np.isfinite(lo).all() and np.isfinite(hi).all()):
        return False
    # a scale per row, so that HiGHS's absolute feasibility tolerance (1e-7) is relative
    scale = np.maximum(1.0, np.maximum(np.abs(lo), np.abs(hi)))
    a = design / scale[:, None]
    res = optimize.linprog(np.zeros(design.shape[1]), A_ub=np.vstack([a, -a]),
                           b_ub=np.concatenate([np.asarray(hi) / scale,
                                                -np.asarray(lo) / scale]),
                           bounds=[(None, None)] * design.shape[1], method="highs")
    return bool(res.status == 0)


_LEADING_POWER = {"linear": 1.0, "affine": 1.0, "quadratic": 2.0}


def _power_reach(rows: Sequence[_Row], shape: str, step: float = 0.005
                 ) -> tuple[float, float] | None:
    """How far LLC values bound the stated shape's leading power: the interval of powers p
    around the stated one for which some λ of the shape with x^p in place of its leading
    term (c·x^p for 'linear') lies within every value's band (:func:`_within_every_band`),
    to ``step``; an end at 0 or at 4× the stated power means "at least that far". ``None``
    where the stated power itself fits no band set, or a value of the variable is ≤ 0 (x^p
    is not defined there). A confirmation is "not rejected, and the rival rejected": this
    says how far from the stated shape λ could be and still not be rejected (0.5·d^1.05 in
    bands of ±10 % at d ≤ 8 is confirmed 'linear', and the interval shows p = 1.05 inside).

    >>> rows = [(d, 0.5 * d, 0.025 * d, None, "controlled") for d in (1.0, 2.0, 4.0, 8.0)]
    >>> _power_reach(rows, "linear")  # bands of ±10 %: 8^p / 8 within 1.1 / 0.9
    (0.905, 1.095)
    """
    xs = [r[0] for r in rows]
    k = _LEADING_POWER.get(shape)
    if k is None or not xs or min(xs) <= 0 or not _within_every_band(rows, shape, k):
        return None

    def end(direction: float, limit: float) -> float:
        inside, delta = k, step
        while True:  # step out, doubling, to the first power outside (or the limit) ...
            p = k + direction * delta
            if direction * (p - limit) >= 0:
                if _within_every_band(rows, shape, limit):
                    return limit
                return bisect(inside, limit, direction)
            if not _within_every_band(rows, shape, p):
                return bisect(inside, p, direction)
            inside, delta = p, 2 * delta

    def bisect(inside: float, outside: float, direction: float) -> float:
        while abs(outside - inside) > step / 16:  # ... then in, to the last power inside,
            mid = (inside + outside) / 2
            inside, outside = (mid, outside) if _within_every_band(rows, shape, mid) else (
                inside, mid)
        # ... rounded towards the stated power, so that the interval shown is all inside
        rounded = (math.floor if direction > 0 else math.ceil)(inside / step + 1e-9 * direction)
        return round(rounded * step, 6)

    return end(-1.0, 0.0), end(1.0, 4.0 * k)


def scaling_verdict(claim: Claim, params_list: Sequence[Mapping[str, Any]],
                    evidence: Sequence[PointEvidence],
                    controls: Mapping[str, ControlSet] | None = None) -> ScalingVerdict:
    """Fit the controlled LLC values of a scaling claim and judge it (module docstring). A
    decided verdict must come out the same on the values of the reruns at γ × 3, γ / 3 and
    ε / 2 (each point's rerun, corrected by the same controls), else it is inconclusive."""
    controls = controls or {}
    base = _judge_sweep(claim, params_list, evidence, controls)
    checked = [g for g, v in base.groups if v in ("confirmed", "refuted")
               and g not in base.certified_groups]
    if not checked:
        return base  # a verdict on certified values alone has no estimator setting to vary
    used = [(q, ev) for q, ev in zip(params_list, evidence, strict=True)
            if not isinstance(_controlled(claim, q, ev, controls), str)]
    if base.verdict not in ("confirmed", "refuted") or (
            base.grade == "certified" and base.verdict == "refuted"):
        # the claim is undecided, or refuted on certified values (which stands), but the reach
        # still shows its groups' verdicts: those the LLC values decided must hold at every
        # rerun setting too, with every point's rerun, else they are inconclusive
        return _groups_rechecked(claim, params_list, evidence, controls, base, used)
    for setting in RERUN_SETTINGS:
        # every point the verdict rests on must have its rerun, or the check is on fewer points
        lost = [(fmt_point(q) or "the point", why) for q, ev in used
                if isinstance(why := _controlled(claim, q, ev, controls, setting), str)]
        if lost:
            return ScalingVerdict(
                "inconclusive", f"inconclusive: the verdict cannot be checked at {setting}, "
                f"where {len(lost)} of the {len(used)} fitted points have no controlled value "
                f"(first: {lost[0][0]}: {lost[0][1]}); at the estimator's own settings: "
                f"{base.reason}", base.fits)
        again = _judge_sweep(claim, params_list, evidence, controls, setting)
        was, now = dict(base.groups), dict(again.groups)
        if was != now:  # every group's verdict, not only the claim's
            moved = [g for g in {**was, **now} if was.get(g) != now.get(g)]
            return ScalingVerdict(
                "inconclusive", f"inconclusive: the verdict does not hold again at {setting} "
                f"(it moves at {', '.join(moved)}; there: {again.reason}); at the estimator's "
                f"own settings: {base.reason}", base.fits)
    return base


def _group_of(claim: Claim, q: Mapping[str, Any]) -> str:
    """The name of the group of points ``q`` belongs to (its other grid variables)."""
    var = claim.scaling.variable if claim.scaling is not None else ""
    return fmt_point({k: q[k] for k in claim.grid if k != var}) or "all points"


def _groups_rechecked(claim: Claim, params_list: Sequence[Mapping[str, Any]],
                      evidence: Sequence[PointEvidence], controls: Mapping[str, ControlSet],
                      base: ScalingVerdict, used: Sequence[tuple[Mapping[str, Any], Any]]
                      ) -> ScalingVerdict:
    """An undecided claim's groups decided by LLC values, each made inconclusive where its
    verdict moves at a rerun setting or a point of it has no controlled rerun value."""
    off: set[str] = set()
    for setting in RERUN_SETTINGS:
        off |= {_group_of(claim, q) for q, ev in used
                if isinstance(_controlled(claim, q, ev, controls, setting), str)}
        again = dict(_judge_sweep(claim, params_list, evidence, controls, setting).groups)
        off |= {g for g, v in base.groups if again.get(g) != v}
    moved = [g for g, v in base.groups if g in off and v in ("confirmed", "refuted")
             and g not in base.certified_groups]
    if not moved:
        return base
    groups = tuple((g, "inconclusive" if g in moved else v) for g, v in base.groups)
    return replace(base, groups=groups, reason=f"{base.reason}; the verdicts of "
                   f"{', '.join(moved)} do not hold again at {RERUN_SETTINGS_TEXT}, so they "
                   "are inconclusive")


def _judge_sweep(claim: Claim, params_list: Sequence[Mapping[str, Any]],
                 evidence: Sequence[PointEvidence], controls: Mapping[str, ControlSet],
                 setting: str | None = None) -> ScalingVerdict:
    """The verdict on one set of values: the estimates, or their reruns at ``setting``."""
    sc = claim.scaling
    assert sc is not None
    var = sc.variable
    others = [k for k in claim.grid if k != var]
    groups: dict[tuple, list[_Row]] = {}
    left_out: dict[str, list[tuple[str, str]]] = {}  # kind of exclusion → (point, reason)
    for p, ev in zip(params_list, evidence, strict=True):
        c = _controlled(claim, p, ev, controls, setting)
        if isinstance(c, str):
            key = c.split(" (")[0]
            left_out.setdefault(key, []).append((fmt_point(p) or "the point", c))
            continue
        groups.setdefault(tuple((k, p[k]) for k in others), []).append(
            _Row(float(p[var]), *c[:2], ev, *c[2:]))
    fits: list[Fit] = []
    verdicts, reasons, named, certified = [], [], [], []
    for key, rows in groups.items():
        v, txt, group_fits, on_certified = _judge_group(claim, dict(key),
                                                        sorted(rows, key=lambda t: t[0]))
        verdicts.append(v)
        reasons.append(txt)
        named.append((fmt_point(dict(key)) or "all points", v))
        certified.append(on_certified)
        fits += group_fits
    reasons += _left_out_reasons(left_out)
    out = tuple(label for kind in left_out.values() for label, _ in kind)
    if not verdicts:
        return ScalingVerdict("inconclusive", "inconclusive: no controlled LLC values to fit; "
                              + "; ".join(reasons)
                              + _no_values_would_decide(claim, params_list, left_out),
                              tuple(fits), left_out=out)
    if "refuted" in verdicts:
        verdict = "refuted"
    elif all(v == "confirmed" for v in verdicts) and not left_out:
        verdict = "confirmed"
    else:
        verdict = "inconclusive"
    deciding = [c for v, c in zip(verdicts, certified, strict=True) if v == verdict]
    grade = ("none" if verdict not in ("confirmed", "refuted") else "certified"
             if (any(deciding) if verdict == "refuted" else all(deciding)) else "controlled")
    head = f"{verdict} ({grade})" if grade != "none" else verdict
    return ScalingVerdict(verdict, f"{head}: {sc.shape} in {var}: " + "; ".join(reasons),
                          tuple(fits), grade, tuple(named),
                          tuple(g for (g, _), c in zip(named, certified, strict=True) if c),
                          out)


def _judge_group(claim: Claim, group: dict[str, Any], rows: Sequence[_Row]
                 ) -> tuple[str, str, list[Fit], bool]:
    """Verdict, reason, fits (stated shape and rival) of one group of points along the
    variable, and whether the verdict rests on certified values (the module docstring's
    rules, in this order):

    1. values no fit can weigh, or too few, decide nothing; certified values off the stated
       coefficients' prediction refute (:func:`_before_the_fit`);
    2. **refuted** where the stated shape is rejected, or a stated coefficient is off
       (:meth:`_ShapeFits.rejections`, :func:`_coefficients`);
    3. **confirmed** only with every condition met (:func:`_unconfirmed`), else inconclusive.
    """
    sc = claim.scaling
    assert sc is not None
    early = _before_the_fit(claim, group, rows)
    if early is not None:
        return early
    s = _shape_fits(claim, group, rows)
    fits = [s.fit, s.rival]
    # how far the group's verdict reaches: the values of the variable it was fitted at (a
    # shape read from a few values says nothing of λ beyond them)
    at = scope([{sc.variable: int(x) if float(x).is_integer() else x} for x in
                sorted({r[0] for r in rows})], [sc.variable])
    txt = f"{fmt_point(group) or 'all points'}, at {at}: {s.described(sc)}"
    off, open_ = _coefficients(claim, rows, s)
    rejected, held = s.rejections(sc), []
    if rejected and not s.exact and _within_every_band(rows, sc.shape):
        # LLC values refute a shape only where no λ of it lies within every band
        rejected, held = [], [f"the χ² rejects the stated {sc.shape} shape, but a λ of that "
                              "shape lies within every value's band, so the values do not "
                              "refute it"]
    refuted = rejected + off
    if refuted:
        return "refuted", txt + "".join("; " + r for r in refuted), fits, s.exact
    missing = held + open_ + _unconfirmed(claim, rows, s)
    if missing:
        return "inconclusive", txt + "; cannot confirm: " + "; ".join(missing), fits, s.exact
    return ("confirmed", txt + _coefficients_match(claim, rows, s)
            + ("" if s.exact else _power_text(sc, _power_reach(rows, sc.shape))), fits, s.exact)


def _power_text(sc: Any, reach: tuple[float, float] | None) -> str:
    """A confirmation's reach in the shape's leading power (:func:`_power_reach`).

    >>> from types import SimpleNamespace
    >>> _power_text(SimpleNamespace(shape="linear", variable="d"), (0.905, 1.095))
    '; the values bound its power: c·d^p lies within every band for p ∈ [0.905, 1.095] only'
    """
    if reach is None:
        return ""
    k, x = _LEADING_POWER[sc.shape], sc.variable
    lead = {"linear": f"c·{x}^p", "affine": f"c₁·{x}^p + c₀",
            "quadratic": f"c₂·{x}^p + c₁·{x}"}[sc.shape]
    lo, hi = reach
    if lo <= 0 and hi >= 4 * k:
        return f"; the values do not bound its power: {lead} lies within every band for " \
               f"every p in (0, {4 * k:g}]"
    where = (f"p ≤ {hi:g}" if lo <= 0 else f"p ≥ {lo:g}" if hi >= 4 * k else
             f"p ∈ [{lo:g}, {hi:g}] only")
    return f"; the values bound its power: {lead} lies within every band for {where}"


def _before_the_fit(claim: Claim, group: dict[str, Any], rows: Sequence[_Row]
                    ) -> tuple[str, str, list[Fit], bool] | None:
    """The group's verdict where no fit is needed or none can be made, else ``None``."""
    sc = claim.scaling
    assert sc is not None
    var, gname = sc.variable, fmt_point(group) or "all points"
    xs = [r[0] for r in rows]
    # only a certified value has σ = 0; a measured value with σ ≤ 0, or a value, σ or x that
    # is not finite, has no error to weigh it by (the floor would make it exact, and NaN
    # stopped the fit with a LinAlgError): the group decides nothing
    bad = [f"{var}={r[0]:g}: λ = {r[1]:.4g}, σ = {r[2]:.3g}" for r in rows
           if not (math.isfinite(r[0]) and math.isfinite(r[1]))
           or (r[4] != "certified" and not (math.isfinite(r[2]) and r[2] > 0))]
    if bad:
        return ("inconclusive", f"{gname}: value(s) without a finite positive error, which "
                f"no fit can weigh: {'; '.join(bad)}", [], False)
    exact = all(r[4] == "certified" for r in rows)  # σ = 0, floored at round-off in the fit
    need = SHAPES[sc.shape] + 1
    # a mixed group, or one too short to fit: its exact values alone refute the stated
    # coefficients (the fit's coef_rel, meant for LLC noise, would let the LLC points outvote
    # an exact value; a group of 2 exact values off the stated line was left undecided)
    off = [] if exact and len(set(xs)) >= need else _certified_off(sc, rows)
    if off:
        return ("refuted", f"{gname}: certified value(s) off the stated coefficients' "
                f"prediction by more than its rounding: {'; '.join(off)}", [], True)
    cert = [r for r in rows if r[4] == "certified"]
    if not exact and len({r[0] for r in cert}) >= need:
        # a mixed group whose certified values alone reject the shape: that refutation is
        # certified and stands (one controlled point had turned it into a controlled one,
        # which the reruns then left inconclusive, an outside audit)
        v, txt, fits, _ = _judge_group(claim, group, cert)
        if v == "refuted":
            return v, txt + " (the group's certified values alone)", fits, True
    if len(set(xs)) < need:
        return ("inconclusive", f"{gname}: {len(set(xs))} certified or controlled value(s) of "
                f"{var}; a {sc.shape} fit needs {need}", [], exact)
    return None


@dataclass(frozen=True)
class _ShapeFits:
    """The stated shape's and its rival's fits to one group. On exact (certified) values,
    ``fits_exactly``/``rival_exactly`` say whether the values are of that shape in exact
    arithmetic (``None`` where that cannot be computed: an x·log x shape), and ``shown``/
    ``rival_shown`` are the coefficients to quote: exact ones where the shape fits exactly,
    else the float fit's with round-off read as 0."""

    fit: Fit
    rival: Fit
    exact: bool
    fits_exactly: bool | None
    rival_exactly: bool | None
    leading_zero: bool  # the stated shape's leading coefficient is 0 (exact values)
    shown: tuple[float, ...]
    rival_shown: tuple[float, ...]
    # a group that mixes certified and LLC values: the bias the LLC values may share
    # (:func:`_shared_bias`), and each shape's best fit with the LLC values scaled together
    # by a factor within it, (factor, p) (:func:`_profiled`); ``None`` in other groups
    shared: float = 0.0
    profile: tuple[float, float | None] | None = None
    rival_profile: tuple[float, float | None] | None = None
    # the values of the variable the rival was not fitted at (:func:`_rival_rows`)
    rival_without: tuple[float, ...] = ()

    @property
    def shape_rejected(self) -> bool:
        """The stated shape rejected: exactly, or by χ² at p < 0.01 (in a mixed group,
        whatever factor within their shared bias scales the LLC values)."""
        if self.fits_exactly is not None:
            return not self.fits_exactly
        p = self.fit.p_value if self.profile is None else self.profile[1]
        return p is not None and p < 0.01

    @property
    def rival_rejected(self) -> bool:
        """The rival shape rejected: exactly, or by χ² at p < 0.05 (in a mixed group,
        whatever factor within their shared bias scales the LLC values)."""
        if self.rival_exactly is not None:
            return not self.rival_exactly
        p = self.rival.p_value if self.rival_profile is None else self.rival_profile[1]
        return p is not None and p < 0.05

    @property
    def rival_p(self) -> float | None:
        """The rival's p-value as its rejection reads it."""
        return self.rival.p_value if self.rival_profile is None else self.rival_profile[1]

    def _how(self, fit: Fit, exactly: bool | None) -> str:
        """How a shape's fit was judged."""
        if exactly is not None:
            # a shape the exact values reject has no coefficients: those shown are its
            # closest float fit (relative least squares), which read as a slope "from exact
            # values" (an outside audit of scaling claims)
            return ("exactly of this shape" if exactly else
                    "not of this shape, exactly: the closest fit shown, indicative only")
        return ("σ at round-off: " if self.exact else "") + f"χ² p = {_p(fit.p_value)}"

    def _profiled_text(self, profile: tuple[float, float | None] | None) -> str:
        """A mixed group's best fit with its LLC values scaled together ('' elsewhere)."""
        if profile is None:
            return ""
        return (f"; p = {_p(profile[1])} with the LLC values scaled together by "
                f"{profile[0]:.3g}, within the {self.shared:.0%} bias they may share")

    def described(self, sc: Any) -> str:
        """Both fits, as the reason quotes them."""
        return (f"λ = {poly_text(self.shown, sc.shape, sc.variable)} ("
                + ("exact values, " if self.exact else "") + self._how(self.fit, self.fits_exactly)
                + f", R² = {self.fit.r2:.4f}{self._profiled_text(self.profile)}); rival "
                f"{RIVALS[sc.shape]} " + (
                    f"not fitted ({self._without(sc)[2:]})" if not self.rival.x else
                    f"{poly_text(self.rival_shown, self.rival.shape, sc.variable)} "
                    f"({self._how(self.rival, self.rival_exactly)}"
                    f"{self._profiled_text(self.rival_profile)}{self._without(sc)})"))

    def _without(self, sc: Any) -> str:
        """Where the rival was not fitted, and why ('' where it was fitted at every value)."""
        if not self.rival_without:
            return ""
        zero = [x for x in self.rival_without if x >= 0]
        undefined = [x for x in self.rival_without if not x >= 0]
        parts = ([f"{sc.variable} = {', '.join(f'{x:g}' for x in zero)}, where it is 0 "
                  "whatever its coefficient"] if zero else []) + (
            [f"{sc.variable} = {', '.join(f'{x:g}' for x in undefined)}, where "
             f"{sc.variable}·log {sc.variable} is not defined"] if undefined else [])
        return "; fitted without " + ", and ".join(parts)

    def rejections(self, sc: Any) -> list[str]:
        """Why the stated shape is refuted: rejected by the values, or (exact values) of a
        lower order than stated, since no further value could make λ that shape."""
        stated = shape_text(sc.shape, sc.variable)
        if self.shape_rejected:
            errors = ("certified values in exact arithmetic" if self.fits_exactly is False else
                      "certified values (σ = 0, floored at round-off)" if self.exact else
                      "controlled errors" if self.profile is None else
                      "controlled errors, whatever factor within the bias they may share "
                      "scales the LLC values")
            return [f"the stated {stated} shape is rejected by the {errors}"]
        if self.leading_zero and not (sc.coefficients is not None and sc.coefficients[0] == 0):
            # exact values fit by the stated shape with its leading term exactly 0 (d/2 stated
            # quadratic; a constant stated affine)
            return [f"{_terms(sc.shape, sc.variable)[0]}'s coefficient is 0 (exact values): λ "
                    f"is of a lower order than the stated {stated}"]
        return []


def _shape_fits(claim: Claim, group: dict[str, Any], rows: Sequence[_Row]) -> _ShapeFits:
    """Fit the stated shape and its rival to the group; exactly where the values are exact."""
    sc = claim.scaling
    assert sc is not None
    xs, ys, ses = [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
    exact = all(r[4] == "certified" for r in rows)
    kinds = {r[4] for r in rows}  # what the fitted values are: exact, controlled or both
    source = "certified" if exact else "llc" if "certified" not in kinds else "certified+llc"
    f = fit_shape(xs, ys, ses, sc.shape, group, source=source)
    # the rival on the values where it can take any value (:func:`_rival_rows`)
    rrows = _rival_rows(rows, sc.shape)
    rkinds = {r[4] for r in rrows}
    rival = fit_shape([r[0] for r in rrows], [r[1] for r in rrows], [r[2] for r in rrows],
                      RIVALS[sc.shape], group, source=source, role="rival")
    # exact values are of a shape or not, in exact arithmetic where it can be done; the float
    # fit's round-off floor (1e-9 of λ) hid an intercept of 50 at λ ≈ 5·10⁵ (an outside audit)
    values = _exact_values(claim, rows) if exact else None
    coefs = _exact_fit(values, sc.shape)
    rival_coefs = _exact_fit(_exact_values(claim, rrows) if exact else None, RIVALS[sc.shape])
    fits_exactly = None if coefs is None else bool(coefs)
    # the leading term exactly 0, where the exact fit knows it; else at round-off
    leading_zero = (coefs[0] == 0 if coefs else
                    exact and fits_exactly is None and f.p_value is not None
                    and _round_off_to_zero(f)[0] == 0.0)
    # exact values: the exact coefficients where the shape fits exactly, else the float fit's
    # with round-off read as 0 ("5.17e-17·m" had been quoted as a coefficient "from exact
    # values"); the rival's likewise
    shown = (tuple(float(c) for c in coefs) if coefs else
             _round_off_to_zero(f) if exact else f.coefficients)
    rival_shown = (tuple(float(c) for c in rival_coefs) if rival_coefs else
                   _round_off_to_zero(rival) if exact else rival.coefficients)
    # a mixed group: the certified values pin the fit, so a bias the LLC values share (which a
    # homogeneous shape absorbs where every value is an LLC) reads as a departure from the
    # shape. λ = d/2 certified at d = 1 beside LLC values of 0.44·d, each band holding the
    # truth, rejected the true linear shape (p = 0.006); 0.57·d rejected the true rival of a
    # stated quadratic, which was confirmed. Each shape is judged at its best common factor
    # on the LLC values within that bias: χ² there is at most its value at the true factor,
    # so its p-value keeps its level.
    shared = _shared_bias(rows) if "certified" in kinds and not exact else 0.0
    profile = rival_profile = None
    if "certified" in kinds and not exact:
        profile = _profiled(rows, sc.shape, shared)
    if "certified" in rkinds and len(rkinds) > 1:
        rival_profile = _profiled(rrows, RIVALS[sc.shape], _shared_bias(rrows))
    return _ShapeFits(f, rival, exact, fits_exactly,
                      None if rival_coefs is None else bool(rival_coefs), bool(leading_zero),
                      shown, rival_shown, shared, profile, rival_profile,
                      tuple(r[0] for r in rows if not any(r is q for q in rrows)))


def _rival_rows(rows: Sequence[_Row], shape: str) -> list[_Row]:
    """The rows on which ``shape``'s rival is fitted: all but those where the rival is 0
    whatever its coefficients while the stated shape is not (c·x·log x at x = 1). A value
    there rejects the rival whatever the other values say, so a grid with x = 1 made the rival
    test vacuous: λ = 0.5·x^0.95 was confirmed linear, the rival x·log x rejected by its
    value at x = 1 alone (an outside review of the scaling rules). Where the stated shape is
    0 too (x = 0 for both linear shapes), the value tests both alike and stays. Values where
    the rival is not defined (x·log x at x < 0, a plugin's variable) are left out too: their
    NaN had stopped the fit with a LinAlgError.

    >>> [r[0] for r in _rival_rows([(x, 1.0, 0.1, None, "controlled") for x in (0.0, 1.0, 2.0)],
    ...                            "linear")]
    [0.0, 2.0]
    """
    if not rows:
        return list(rows)
    xs = np.asarray([r[0] for r in rows], float)
    rival = _design(xs, RIVALS[shape])
    undefined = ~np.isfinite(rival).all(axis=1)
    forced = ~np.nan_to_num(rival).any(axis=1) & _design(xs, shape).any(axis=1)
    return [r for r, f, u in zip(rows, forced, undefined, strict=True) if not (f or u)]


def _profiled(rows: Sequence[_Row], shape: str, shared: float
              ) -> tuple[float, float | None]:
    """The factor κ within [1 − ``shared``, 1 + ``shared``] (kept above 0) that, scaling every
    controlled value of a mixed group, fits ``shape`` best, and that fit's χ² p-value (on the
    group's degrees of freedom: the minimum over κ is at most the χ² at the true factor, so
    a rejection keeps its level). χ² is quadratic in κ (the errors are held), so a bounded
    scalar search finds its minimum; the ends and κ = 1 are tried too.

    >>> rows = [(1.0, 0.5, 0.0, None, "certified")] + [
    ...     (d, 0.44 * d, 0.0315 * d, None, "controlled") for d in (2.0, 4.0, 8.0, 16.0)]
    >>> k, p = _profiled(rows, "linear", 0.143)
    >>> round(k, 3), p > 0.5
    (1.136, True)
    """
    xs, ses = [r[0] for r in rows], [r[2] for r in rows]

    def chi2(k: float) -> float:
        ys = [r[1] * (k if r[4] != "certified" else 1.0) for r in rows]
        f = fit_shape(xs, ys, ses, shape)
        return math.inf if f.chi2_dof is None else f.chi2_dof

    lo, hi = max(1.0 - shared, 1e-9), 1.0 + shared
    tried = [lo, 1.0, hi]
    if hi > lo:
        tried.append(float(optimize.minimize_scalar(chi2, bounds=(lo, hi), method="bounded",
                                                    options={"xatol": 1e-9}).x))
    best = min(tried, key=chi2)
    dof = len(rows) - _design(np.ones(1), shape).shape[1]
    if dof <= 0:
        return best, None
    return best, float(stats.chi2.sf(chi2(best) * dof, dof))


def _coefficients(claim: Claim, rows: Sequence[_Row], s: _ShapeFits
                  ) -> tuple[list[str], list[str]]:
    """The stated coefficients that refute (off by more than their tolerance and by more
    than 4 s.e. plus the bias the controlled values may share), and those that cannot
    confirm (their interval, so widened, not within the stated number ± its tolerance)."""
    sc = claim.scaling
    assert sc is not None
    if sc.coefficients is None:
        return [], []
    off, open_ = [], []
    halves, shared = half_units(sc), _shared_bias(rows)
    shifts = _shared_shifts(rows, sc.shape, shared)
    for i, (c_fit, c_se, c_st) in enumerate(
            zip(s.shown if s.exact else s.fit.coefficients, s.fit.std_errors, sc.coefficients,
                strict=True)):
        # exact values: only the stated number's own rounding (coef_rel absorbs LLC
        # noise, which they have none of: 9.6 for 10 was confirmed within 10 %); LLC
        # values: coef_rel on top of that rounding (a stated 0.2 stands for [0.15, 0.25],
        # so 0.24·d measured precisely must not refute what exact values confirm)
        t = halves[i] + (0.0 if s.exact else claim.tolerance.coef_rel * abs(float(c_st)))
        dev = abs(c_fit - float(c_st))
        said = coefficient_text(sc.shape, sc.variable, i, c_fit, c_se, _written(sc, i),
                                s.exact)
        if _beyond(dev, t, float(c_st)) and dev > 4 * c_se + shifts[i]:
            off.append(said + (" (exact values: off by more than the stated number's "
                               "rounding)" if s.exact else
                               " (off by more than coef_rel and by more than 4 s.e. "
                               f"plus the {shared:.0%} bias the controlled values may "
                               "share)"))
        elif dev + (0.0 if s.exact else 2 * c_se + shifts[i]) > t:
            # an equivalence test, as a point's band: the coefficient's interval, widened
            # by the bias its values may share, lies within the stated number ± t (a fit
            # merely not excluded from it kept the truth only within 2t plus that bias);
            # exact coefficients have no interval (their float fit's s.e. is round-off)
            open_.append(said)
    return off, open_


def _unconfirmed(claim: Claim, rows: Sequence[_Row], s: _ShapeFits) -> list[str]:
    """The module docstring's conditions of a confirmation that the group does not meet."""
    sc = claim.scaling
    assert sc is not None
    var, missing = sc.variable, []
    n_values = len({r[0] for r in rows})
    if n_values < MIN_VALUES:
        missing.append(f"only {n_values} values of {var} (needs {MIN_VALUES})")
    if not s.fits_exactly and (s.fit.p_value is None or s.fit.p_value < 0.05):
        missing.append(f"goodness of fit p = {_p(s.fit.p_value)} < 0.05")
    if not s.fit.r2 >= sc.min_r2:
        missing.append(f"R² = {s.fit.r2:.4f} < min_r2 = {sc.min_r2:g}")
    if not s.rival_rejected:
        missing.append(f"the rival {RIVALS[sc.shape]} shape is not rejected "
                       f"(p = {_p(s.rival_p)})")
    elif not s.exact and _within_every_band(_rival_rows(rows, sc.shape), RIVALS[sc.shape]):
        # as a shape is refuted only where none of it lies within every band: the χ² on
        # σ = band/4 had "rejected" an x·log x inside every (lopsided) band, p = 0.003, and
        # confirmed 'linear' (a review)
        missing.append(f"the rival {RIVALS[sc.shape]} shape's χ² p = {_p(s.rival_p)}, but a "
                       "λ of that shape lies within every value's band, so the values do not "
                       "reject it")
    drift = _settings_drift([r[3] for r in rows if r[4] == "controlled"])
    if drift:
        missing.append(drift)
    return missing


def _coefficients_match(claim: Claim, rows: Sequence[_Row], s: _ShapeFits) -> str:
    """What a confirmation says of the stated coefficients ('' where none are stated)."""
    sc = claim.scaling
    assert sc is not None
    if sc.coefficients is None:
        return ""
    coefs = ", ".join(_written(sc, i) for i in range(len(sc.coefficients)))
    return (f"; stated coefficients [{coefs}] match " + (
        "up to their rounding" if s.exact else
        f"within coef_rel = {claim.tolerance.coef_rel:g}, with their 2 s.e. and the "
        f"{_shared_bias(rows):.0%} bias the controlled values may share"))


_POWERS = {"linear": (1,), "affine": (1, 0), "quadratic": (2, 1)}
"""The polynomial shapes as powers of the variable: those an exact fit can decide."""


def _exact_values(claim: Claim, rows: Sequence[_Row]
                  ) -> list[tuple[sp.Rational, sp.Rational]] | None:
    """The rows' (variable, λ) as exact rationals, λ the value their certified facts fix;
    ``None`` where one is not rational (or a row carries no evidence: tests of the float
    rules), and no exact fit can be made."""
    out = []
    for x, _, _, ev, *_ in rows:
        if ev is None:
            return None
        value = certified_value(*certified_bounds(claim, ev))
        xr = sp.nsimplify(x, rational=True)
        if value is None or not sp.sympify(value).is_Rational or not xr.is_Rational:
            return None
        out.append((xr, sp.sympify(value)))
    return out


def _exact_fit(values: Sequence[tuple[sp.Rational, sp.Rational]] | None, shape: str
               ) -> tuple[sp.Expr, ...] | None:
    """Whether the exact ``values`` (:func:`_exact_values`) are of ``shape``: its exact
    coefficients where they are (λ in the span of the shape's terms: the rational design
    with and without λ has one rank), ``()`` where they are not, ``None`` where that cannot
    be computed exactly: no exact values, or a shape with x·log x.
    """
    powers = _POWERS.get(shape)
    if values is None or powers is None:
        return None
    design = sp.Matrix([[x**k for k in powers] for x, _ in values])
    lam = sp.Matrix([y for _, y in values])
    if design.rank() != design.row_join(lam).rank():
        return ()
    coefficients = (design.T * design).LUsolve(design.T * lam)  # the exact solution
    return tuple(coefficients)


def _shared_bias(rows: Sequence[_Row]) -> float:
    """The relative bias the controlled values may share: the largest distance from a
    controlled value to either end of its band, relative to the value (0 for certified
    values; 2σ where a row carries no band). A band is mostly the
    envelope of its controls' biases, the same for every point that shares the controls, so
    it does not average out over the fit as the per-point σ (a quarter of the band) would:
    coefficients are refuted only beyond it. λ = d/2 measured as 0.44·d with bands of ±14 %,
    each holding the truth, refuted the stated 0.5 at 0.44 ± 0.011 (an outside audit).
    Not the band's half-width: the value is λ̂ corrected by the controls' weighted mean bias,
    and the band [(λ̂ − 2se)/r₊, (λ̂ + 2se)/r₋] reaches further above it than below (1/r is
    convex), far further where one control reads low with a wide spread; scaled by 1 ± the
    half-width, the values stopped short of their bands' upper ends, and a true coefficient
    was refuted (controlled) with every band holding the truth (a red-team audit: 0.5·d
    refuted from values 0.16·d in bands [0.91, 3.33] × λ̂).

    >>> _shared_bias([(1.0, 0.44, 0.0154, None, "controlled"), (2.0, 1.0, 0.0, None,
    ...                "certified")])
    0.07
    >>> round(_shared_bias([_Row(1.0, 1.0, 0.6, None, "controlled", (0.91, 3.33))]), 2)
    2.33
    """
    out = 0.0
    for r in rows:
        if r[4] != "controlled" or not r[1]:
            continue
        band = getattr(r, "band", None)
        reach = (max(band[1] - r[1], r[1] - band[0]) if band is not None else 2.0 * r[2])
        out = max(out, reach / abs(r[1]))
    return out


def _shared_shifts(rows: Sequence[_Row], shape: str, shared: float) -> tuple[float, ...]:
    """How far each coefficient of ``shape`` moves when every controlled value is scaled
    together by 1 ± ``shared`` (the bias they may share, :func:`_shared_bias`): where every
    value is controlled, ``shared`` × |coefficient| (the fit is linear in the values); beside
    certified values, which pin the fit, the shift of the LLC values loads on the terms they
    alone constrain. λ = d/2 + 2 certified at d = 1 beside LLC values of 0.865·λ at d = 2..16,
    every band holding the truth, fitted a slope 0.39 ± 0.014, and 0.14 × 0.39 allowed too
    little: the true slope 1/2 was refuted. Below, 1 ± 0.1 moves the slope by 0.097, not
    0.05, and the pinned intercept by 0.097, not 0.2.

    >>> rows = [(1.0, 2.5, 0.0, None, "certified")] + [
    ...     (d, 0.5 * d + 2, 0.1, None, "controlled") for d in (2.0, 4.0, 8.0)]
    >>> [round(v, 3) for v in _shared_shifts(rows, "affine", 0.1)]
    [0.097, 0.097]
    """
    if not shared or not any(r[4] == "controlled" for r in rows):
        return (0.0,) * _design(np.ones(1), shape).shape[1]
    xs, ses = [r[0] for r in rows], [r[2] for r in rows]
    fits = [fit_shape(xs, [r[1] * (k if r[4] == "controlled" else 1.0) for r in rows], ses,
                      shape).coefficients for k in (1.0 - shared, 1.0, 1.0 + shared)]
    return tuple(max(abs(a - c), abs(b - c)) for a, c, b in zip(*fits, strict=True))


def _certified_off(sc: Any, rows: Sequence[_Row]) -> list[str]:
    """The certified values of ``rows`` that the stated coefficients' polynomial misses by
    more than the coefficients' own decimal rounding (:func:`stated_rounding`, term by term).

    >>> from types import SimpleNamespace
    >>> sc = SimpleNamespace(shape="linear", variable="d", coefficients=[sp.Rational("0.52")])
    >>> _certified_off(sc, [(1.0, 0.5, 0.0, None, "certified"), (2.0, 1.0, 0.1, None, "x")])
    ['d=1: λ = 0.5, the stated 0.52 ± 0.005']
    """
    if sc.coefficients is None:
        return []
    out = []
    halves = half_units(sc)
    for x, lam, _, _, grade, *_ in rows:
        if grade != "certified":
            continue
        basis = _design(np.array([x]), sc.shape)[0]
        stated = sum(float(c) * b for c, b in zip(sc.coefficients, basis, strict=True))
        slack = sum(h * abs(b) for h, b in zip(halves, basis, strict=True))
        if _beyond(abs(lam - stated), slack, lam):
            out.append(f"{sc.variable}={x:g}: λ = {lam:.6g}, the stated {stated:.6g} ± "
                       f"{slack:.3g}")
    return out


def _written(sc: Any, i: int) -> str:
    """The ``i``-th stated coefficient as written, to its places ("0.20", not "0.2"); its
    shortest decimal where the claim records no text (a ``Scaling`` built directly)."""
    if getattr(sc, "written", None) is not None:
        return sc.written[i].replace("_", "")
    return f"{float(sc.coefficients[i]):g}"


def _round_off_to_zero(f: Fit) -> tuple[float, ...]:
    """The fit's coefficients with float64 round-off of exact values as 0: a term that
    contributes less than 1e-8 of max |λ| over the grid ('8.3e-18·d²' read as a finding; a
    leading term that is 0 here fits as exactly 0)."""
    if not f.y:  # no values fitted (fit_shape): nothing to read as round-off
        return f.coefficients
    scale = 1e-8 * max(1.0, max(abs(y) for y in f.y))
    terms = {"linear": (1,), "affine": (1, 0), "quadratic": (2, 1),
             "affine_xlogx": (None, 0), "xlogx": (None,)}[f.shape]
    xmax = max(abs(x) for x in f.x)
    size = [xmax * max(1.0, abs(math.log(xmax or 1.0))) if k is None else xmax ** k
            for k in terms]
    return tuple(0.0 if abs(c) * m <= scale else c for c, m in zip(f.coefficients, size,
                                                                    strict=True))


def _no_values_would_decide(claim: Claim, params_list: Sequence[Mapping[str, Any]],
                            left_out: Mapping[str, list[tuple[str, str]]]) -> str:
    """What would decide a scaling claim none of whose points has a value to fit: values of
    λ (certified, or controlled LLCs) at enough values of the variable, at points where the
    claim's hypotheses hold (an LLC is not run where one fails, in any profile) and the LLC
    route runs. Wording only: the verdict stays inconclusive."""
    sc = claim.scaling
    assert sc is not None
    var = sc.variable
    others = [k for k in claim.grid if k != var]
    per_fit: dict[tuple, set] = {}
    for p in params_list:
        per_fit.setdefault(tuple((k, p.get(k)) for k in others), set()).add(p.get(var))
    most = max((len(v) for v in per_fit.values()), default=0)
    where = []
    if "hypothesis not met" in left_out and claim.hypotheses:
        hyps = ", ".join(claim.hypotheses)
        where.append(f"at points whose w* meets {hyps}")
    if any(k.startswith(("the LLC route is not run", "no route runs")) for k in left_out):
        where.append("with the LLC route run (the full profile runs it)")
    few = (f"; this profile's grid has {most} value(s) of {var} per fit, fewer than the "
           f"{MIN_VALUES} a confirmation needs" if most < MIN_VALUES else "")
    return (f"; would decide: values of λ (certified, or controlled LLCs) at ≥ {MIN_VALUES} "
            f"values of {var} per fit" + ("" if not where else " " + " ".join(where)) + few)


def _left_out_reasons(left_out: Mapping[str, list[tuple[str, str]]]) -> list[str]:
    """One reason per kind of exclusion: whole when every point shares it, else the first."""
    out = []
    for why, pts in left_out.items():
        full = {c for _, c in pts}
        if len(full) == 1:
            out.append(f"{len(pts)} point(s) left out: {full.pop()}")
        else:
            at, c = pts[0]
            out.append(f"{len(pts)} point(s) left out: {why} (first, at {at}: {c})")
    return out


def _p(p: float | None) -> str:
    return "n/a" if p is None else f"{p:.3g}"


def _settings_drift(evs: Sequence[PointEvidence]) -> str:
    """Which estimator settings change along the sweep without per-point controls."""
    cfgs = [e.llc.config for e in evs]
    changed = [k for k in _SETTINGS if len({str(c.get(k)) for c in cfgs}) > 1]
    if not changed:
        return ""
    # every fitted point is corrected by the controls of its own key, which hashes its full
    # estimator rules: points that share a key share settings, so a change is corrected for
    # unless a key is shared across different settings (a bug in the key)
    by_key: dict[str, set[str]] = {}
    for e, c in zip(evs, cfgs, strict=True):
        by_key.setdefault(str(e.llc.control_key), set()).add(
            str([c.get(k) for k in _SETTINGS]))
    if all(e.llc.control_key for e in evs) and all(len(v) == 1 for v in by_key.values()):
        return ""
    return ("estimator settings change along the sweep (" + ", ".join(changed)
            + ") and are not corrected for by per-point controls")
