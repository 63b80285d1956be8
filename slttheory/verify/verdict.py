"""Verdict rules: per grid point, per claim, and for scaling fits (issue 5 §2).

Per point, with predicted value P and the claim's relation (``==`` by default):

- ``refuted`` when certified evidence contradicts P: the exact Jacobian rank R where the
  family declares λ = rank/2 (R/2 above P is certain, R is a lower bound on the generic
  rank; R/2 below P holds unless the generic rank is higher, whose probability is below the
  Schwartz–Zippel bound), or the library's closed form differs from P and a clean LLC
  backs the closed form against P; or a clean LLC differs from P by more than the tolerance
  *and* by more than 4 standard errors while no exact route supports P.
- ``confirmed`` when every route that ran agrees with P (exactly; the LLC within
  ``tolerance + 2 s.e.``) and at least one independent route (rank that determines λ, or a
  clean LLC) ran.
- ``inconclusive`` when routes disagree with each other, the LLC's diagnostics failed, the
  LLC is neither close nor clearly away, or only the closed form ran.
- ``error`` when no route could be evaluated.

A claim is refuted if any point is, confirmed if all are, error if all errored, else
inconclusive. A scaling claim's verdict comes from least-squares fits of the clean LLC
values over the scaling variable (one fit per combination of the other grid variables).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from slttheory.verify.claims import SHAPES, Claim, Tolerance
from slttheory.verify.routes import LLCEvidence, PointEvidence

__all__ = [
    "VERDICTS",
    "PointVerdict",
    "ClaimVerdict",
    "Fit",
    "fmt_point",
    "fmt_value",
    "judge_llc",
    "point_verdict",
    "claim_verdict",
    "fit_shape",
    "scaling_verdict",
]

VERDICTS = ("confirmed", "refuted", "inconclusive", "error")


@dataclass(frozen=True)
class PointVerdict:
    verdict: str
    reason: str


@dataclass(frozen=True)
class Fit:
    """A least-squares fit of λ against the scaling variable (one group of points)."""

    group: Mapping[str, Any]
    shape: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    coefficients: tuple[float, ...]
    std_errors: tuple[float, ...]
    r2: float
    chi2_dof: float | None
    source: str = "llc"  # or "rank", "closed_form"


@dataclass(frozen=True)
class ClaimVerdict:
    verdict: str
    reason: str
    fits: tuple[Fit, ...] = field(default_factory=tuple)


def fmt_point(params: Mapping[str, Any]) -> str:
    """``d=3, k=2`` (sorted by name; lists as ``[2, 3]``).

    >>> fmt_point({"k": 2, "d": 3, "bias": False})
    'bias=false, d=3, k=2'
    """

    def f(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, tuple | list):
            return "[" + ", ".join(map(str, v)) + "]"
        return str(v)

    return ", ".join(f"{k}={f(v)}" for k, v in sorted(params.items()))


def fmt_value(v: Any) -> str:
    """Exact values as text, with a decimal when not an integer.

    >>> fmt_value(sp.Rational(7, 2)), fmt_value(sp.Integer(3)), fmt_value(1.23456)
    ('7/2 (3.5)', '3', '1.235')
    """
    if isinstance(v, sp.Basic):
        if v.is_Integer:
            return str(v)
        if v.is_number:
            return f"{v} ({float(v):.4g})"
        return str(v)
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _exact_rel(a: sp.Expr, rel: str, b: sp.Expr) -> bool:
    d = sp.nsimplify(sp.simplify(a - b))
    if rel == "==":
        return d == 0
    if rel == "<=":
        return bool(d <= 0)
    if rel == "<":
        return bool(d < 0)
    if rel == ">=":
        return bool(d >= 0)
    return bool(d > 0)


def judge_llc(
    mean: float, se: float, predicted: float, relation: str, tol: Tolerance
) -> tuple[str, str]:
    """``("agree" | "refute" | "unclear", why)`` for an LLC estimate against ``predicted``.

    Agree: within ``tol + 2·se`` (on the relation's side); refute: away by more than ``tol``
    and by more than ``4·se``.

    >>> judge_llc(1.48, 0.05, 1.5, "==", Tolerance(llc_rel=0.1))[0]
    'agree'
    >>> judge_llc(2.5, 0.05, 1.5, "==", Tolerance(llc_rel=0.1))[0]
    'refute'
    >>> judge_llc(2.0, 0.15, 1.5, "==", Tolerance(llc_rel=0.1))[0]
    'unclear'
    """
    t = tol.llc_abs_for(predicted)
    if relation == "==":
        dev = abs(mean - predicted)
    elif relation in ("<=", "<"):
        dev = mean - predicted
    else:
        dev = predicted - mean
    if dev <= t + 2 * se:
        return "agree", f"off by {mean - predicted:+.3g} (tolerance {t:.3g} + 2 s.e. {2 * se:.3g})"
    if dev > t and dev > 4 * se:
        return (
            "refute",
            f"off by {mean - predicted:+.3g} (> tolerance {t:.3g} and > 4 s.e. = {4 * se:.3g})",
        )
    return (
        "unclear",
        f"off by {mean - predicted:+.3g}: beyond tolerance {t:.3g} + 2 s.e. but not beyond 4 s.e.",
    )


def _llc_text(llc: LLCEvidence) -> str:
    return f"LLC λ̂ = {llc.mean:.4g} ± {llc.std_error:.2g}"


def _bound_text(b: float | None) -> str:
    if b is None:
        return "< n/a"
    return "= 0 (the rank is maximal)" if b == 0 else f"< {b:.2g}"


def point_verdict(
    claim: Claim, params: Mapping[str, Any], ev: PointEvidence, predicted: sp.Expr | None = None
) -> PointVerdict:
    """The verdict of one grid point from its evidence (pure function; see module doc)."""
    P = claim.predicted_at(params) if predicted is None else predicted
    rel = claim.relation
    at = fmt_point({k: v for k, v in params.items() if k in claim.grid} or params) or "the point"
    errors: list[str] = []
    cf, rk, lc = ev.closed_form, ev.rank, ev.llc
    for name, r in (("closed form", cf), ("rank", rk), ("LLC", lc)):
        if r is not None and r.status != "ok":
            errors.append(f"{name}: {r.error}")
    ran = [r for r in (cf, rk, lc) if r is not None and r.status == "ok"]
    if not ran:
        if not errors:
            return PointVerdict("error", "error: no route was requested")
        return PointVerdict("error", "error: every route failed (" + "; ".join(errors) + ")")
    err_note = f" [route errors: {'; '.join(errors)}]" if errors else ""
    if P is None:
        if lc is not None and lc.status == "ok":
            state = "clean" if lc.clean else "diagnostics failed: " + "; ".join(lc.problems)
            return PointVerdict(
                "inconclusive",
                f"inconclusive: scaling point, enters the fit only "
                f"({_llc_text(lc)}, {state}){err_note}",
            )
        return PointVerdict("error", f"error: the LLC route did not run{err_note}")
    Pf = float(P)
    Ptxt = fmt_value(P)
    rel_word = "" if rel == "==" else f"λ {rel} "

    # --- judgements per route
    cf_j = None  # "agree" | "disagree" | "unclear"
    cf_val = None
    if cf is not None and cf.status == "ok":
        if cf.value is not None:
            cf_val = cf.sympy_value
            if cf_val is None:
                cf_j = "unclear"
            else:
                cf_j = "agree" if _exact_rel(cf_val, rel, P) else "disagree"
        else:
            lo, hi = cf.sympy_lower, cf.sympy_upper
            if rel in ("<=", "<"):
                cf_j = (
                    "agree"
                    if _exact_rel(hi, rel, P)
                    else "disagree"
                    if not _exact_rel(lo, rel, P)
                    else "unclear"
                )
            elif rel in (">=", ">"):
                cf_j = (
                    "agree"
                    if _exact_rel(lo, rel, P)
                    else "disagree"
                    if not _exact_rel(hi, rel, P)
                    else "unclear"
                )
            else:
                inside = bool(lo <= P) and bool(P <= hi)
                cf_j = ("agree" if lo == hi == P else "unclear") if inside else "disagree"
    rk_j = None
    rk_lam = None
    if rk is not None and rk.status == "ok" and rk.determines_lambda and rk.certified:
        rk_lam = sp.Rational(rk.rank, 2)
        rk_j = "agree" if _exact_rel(rk_lam, rel, P) else "disagree"
    lc_j = None
    lc_why = ""
    if lc is not None and lc.status == "ok":
        if lc.clean:
            lc_j, lc_why = judge_llc(lc.mean, lc.std_error, Pf, rel, claim.tolerance)
        else:
            lc_j = "unclean"

    # --- refutations by certified evidence
    if rk_j == "disagree":
        lam = f"{float(rk_lam):g}"
        if rk_lam < P:
            need = 2 * P - rk.rank
            extra = (
                f"; the rank map has {rk.n_params - rk.rank} null directions among {rk.n_params} "
                f"parameters, the prediction needs rank {fmt_value(2 * P)}"
                + (f" ({fmt_value(need)} more)" if need.is_Integer else "")
            )
            reason = (
                f"refuted: exact Jacobian rank {rk.rank} at {at} gives λ = {rk.rank}/2 = {lam}, "
                f"{'below' if rel == '==' else 'contradicting'} the predicted {rel_word}{Ptxt} "
                f"(certified; P(generic rank higher) {_bound_text(rk.bound)})"
                f"{extra}"
            )
        else:
            reason = (
                f"refuted: exact Jacobian rank {rk.rank} at {at} gives λ = {rk.rank}/2 = {lam}, "
                f"{'above' if rel == '==' else 'contradicting'} the predicted {rel_word}{Ptxt} "
                "(certified: the rank at an integer point is a lower bound "
                "on the generic rank)"
            )
        if lc_j == "agree":
            reason += f"; note: {_llc_text(lc)} is consistent with the prediction"
        return PointVerdict("refuted", reason + err_note)
    if cf_j == "disagree":
        cf_txt = fmt_value(cf_val) if cf_val is not None else f"[{cf.lower}, {cf.upper}]"
        head = (
            f"the library's closed form gives λ = {cf_txt} at {at} ({cf.case}; {cf.source}), "
            f"not the predicted {rel_word}{Ptxt}"
        )
        if rk_j == "agree":
            return PointVerdict(
                "inconclusive",
                f"inconclusive: routes disagree: {head}, but the exact rank "
                f"{rk.rank} gives λ = {fmt_value(rk_lam)}{err_note}",
            )
        if lc_j == "refute" and cf_val is not None:
            j2, _ = judge_llc(lc.mean, lc.std_error, float(cf_val), "==", claim.tolerance)
            if j2 == "agree":
                return PointVerdict(
                    "refuted", f"refuted: {head}, backed by {_llc_text(lc)} ({lc_why}){err_note}"
                )
            return PointVerdict(
                "inconclusive",
                f"inconclusive: routes disagree: {head}; {_llc_text(lc)} fits neither{err_note}",
            )
        if lc_j == "agree":
            return PointVerdict(
                "inconclusive",
                f"inconclusive: routes disagree: {head}, but {_llc_text(lc)} "
                f"agrees with the prediction ({lc_why}){err_note}",
            )
        why = (
            ("LLC diagnostics failed: " + "; ".join(lc.problems))
            if lc_j == "unclean"
            else (
                f"{_llc_text(lc)} cannot tell them apart ({lc_why})"
                if lc_j
                else "no independent route ran"
            )
        )
        return PointVerdict("inconclusive", f"inconclusive: {head}; {why}{err_note}")
    if lc_j == "refute":
        if rk_j == "agree" or cf_j == "agree":
            by = "the exact rank" if rk_j == "agree" else "the closed form"
            return PointVerdict(
                "inconclusive",
                f"inconclusive: routes disagree: {by} gives the predicted "
                f"{Ptxt} at {at}, but {_llc_text(lc)} is {lc_why}{err_note}",
            )
        return PointVerdict(
            "refuted",
            f"refuted: {_llc_text(lc)} at {at} differs from the predicted "
            f"{rel_word}{Ptxt}: {lc_why}{err_note}",
        )

    # --- no refutation: confirmed or inconclusive
    if lc_j == "unclean":
        return PointVerdict(
            "inconclusive",
            f"inconclusive: LLC diagnostics failed at {at} "
            f"({'; '.join(lc.problems)}; λ̂ = {lc.mean}){err_note}",
        )
    if lc_j == "unclear":
        return PointVerdict(
            "inconclusive",
            f"inconclusive: {_llc_text(lc)} at {at} vs predicted "
            f"{rel_word}{Ptxt}: {lc_why}{err_note}",
        )
    if cf_j == "unclear":
        return PointVerdict(
            "inconclusive",
            f"inconclusive: the closed form's bounds [{cf.lower}, {cf.upper}] "
            f"at {at} neither imply nor contradict the predicted {rel_word}{Ptxt}{err_note}",
        )
    independent = [x for x in (rk_j, lc_j) if x == "agree"]
    parts = []
    if cf_j == "agree":
        parts.append(f"closed form {fmt_value(cf_val) if cf_val is not None else 'bounds'}")
    if rk_j == "agree":
        parts.append(
            f"exact rank {rk.rank} (λ = {fmt_value(rk_lam)}, certified; P(generic rank higher) "
            f"{_bound_text(rk.bound)})"
        )
    if lc_j == "agree":
        parts.append(f"{_llc_text(lc)} ({lc_why})")
    rank_note = ""
    if rk is not None and rk.status == "ok" and rk_j is None:
        rank_note = (
            f"; exact rank {rk.rank} of {rk.n_params} recorded, not used "
            f"({rk.reason or 'the family does not declare λ = rank/2 here'})"
        )
    if not independent:
        return PointVerdict(
            "inconclusive",
            f"inconclusive: only the closed form ran at {at} "
            f"({', '.join(parts) or 'no agreeing route'}; predicted {Ptxt}){rank_note}{err_note}",
        )
    return PointVerdict(
        "confirmed",
        f"confirmed: {' and '.join(parts)} agree with the predicted "
        f"{rel_word}{Ptxt} at {at}{rank_note}{err_note}",
    )


def claim_verdict(points: Sequence[PointVerdict]) -> PointVerdict:
    """Aggregate point verdicts: refuted if any, confirmed if all, error if all, else inconclusive.

    >>> pts = [PointVerdict("confirmed", "a"), PointVerdict("refuted", "refuted: b")]
    >>> claim_verdict(pts).verdict
    'refuted'
    """
    n = len(points)
    if n == 0:
        return PointVerdict("error", "error: no grid points were evaluated")
    counts = {v: sum(p.verdict == v for p in points) for v in VERDICTS}
    summary = ", ".join(f"{counts[v]} {v}" for v in VERDICTS if counts[v])
    if counts["refuted"]:
        first = next(p for p in points if p.verdict == "refuted")
        return PointVerdict(
            "refuted", f"{first.reason} [{counts['refuted']} of {n} points refuted; {summary}]"
        )
    if counts["confirmed"] == n:
        return PointVerdict(
            "confirmed",
            f"confirmed at all {n} points ({points[0].reason.removeprefix('confirmed: ')}"
            + (" …)" if n > 1 else ")"),
        )
    if counts["error"] == n:
        return PointVerdict("error", f"{points[0].reason} [all {n} points errored]")
    first = next(p for p in points if p.verdict in ("inconclusive", "error"))
    return PointVerdict("inconclusive", f"inconclusive ({summary}); first: {first.reason}")


# --- scaling claims ---------------------------------------------------------------------------


def _design(x: np.ndarray, shape: str) -> np.ndarray:
    if shape == "linear":
        return x[:, None]
    if shape == "affine":
        return np.stack([x, np.ones_like(x)], axis=1)
    if shape == "quadratic":
        return np.stack([x**2, x], axis=1)
    raise ValueError(f"shape must be one of {', '.join(SHAPES)}, got {shape!r}")


def fit_shape(
    x: Sequence[float],
    y: Sequence[float],
    se: Sequence[float] | None,
    shape: str,
    group: Mapping[str, Any] | None = None,
    source: str = "llc",
) -> Fit:
    """Least-squares fit of ``y`` on ``x`` with the claim's shape, R² and coefficient errors.

    Shapes: linear ``c1·x``, affine ``c1·x + c0``, quadratic ``c2·x² + c1·x``; coefficients
    in that order. R² = 1 − SS_res/SS_tot (SS_tot about the mean). The coefficients'
    standard errors combine the LLC errors propagated through the fit with the residual
    scatter.

    >>> f = fit_shape([1, 2, 3, 4], [2.0, 4.0, 6.0, 8.0], None, "linear")
    >>> round(f.coefficients[0], 6), round(f.r2, 6)
    (2.0, 1.0)
    """
    xa = np.asarray(x, float)
    ya = np.asarray(y, float)
    X = _design(xa, shape)
    coef, *_ = np.linalg.lstsq(X, ya, rcond=None)
    res = ya - X @ coef
    ss_res = float(res @ res)
    ss_tot = float(((ya - ya.mean()) ** 2).sum())
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else (1.0 if ss_res <= 1e-24 else 0.0)
    xtx_inv = np.linalg.pinv(X.T @ X)
    k = X.shape[1]
    dof = len(xa) - k
    cov = np.zeros((k, k))
    chi2_dof = None
    if se is not None:
        s = np.asarray(se, float)
        A = xtx_inv @ X.T
        cov += A @ np.diag(s**2) @ A.T
        if dof > 0 and np.all(s > 0):
            chi2_dof = float(((res / s) ** 2).sum() / dof)
    if dof > 0:
        cov += xtx_inv * ss_res / dof
    errs = np.sqrt(np.clip(np.diag(cov), 0, None))
    return Fit(
        dict(group or {}),
        shape,
        tuple(map(float, xa)),
        tuple(map(float, ya)),
        tuple(map(float, coef)),
        tuple(map(float, errs)),
        float(r2),
        chi2_dof,
        source,
    )


def _poly_text(coefs: Sequence[float], shape: str, var: str) -> str:
    terms = {"linear": [f"{var}"], "affine": [f"{var}", ""], "quadratic": [f"{var}²", f"{var}"]}[
        shape
    ]
    out = []
    for c, t in zip(coefs, terms, strict=True):
        out.append(f"{c:+.4g}{'·' + t if t else ''}")
    return " ".join(out).lstrip("+")


def scaling_verdict(
    claim: Claim, params_list: Sequence[Mapping[str, Any]], evidence: Sequence[PointEvidence]
) -> ClaimVerdict:
    """Fit the clean LLC values of a scaling claim and judge shape (R²) and coefficients.

    Refuted: in some group R² < ``min_r2`` while the misfit is significant (χ²/dof > 4 with
    the LLC errors), or a stated coefficient is off by more than ``coef_rel`` and by more
    than 4 of its standard errors. Confirmed: every group fits with R² ≥ ``min_r2``, every
    stated coefficient agrees within ``coef_rel`` + 2 s.e., and no point's LLC failed.
    """
    sc = claim.scaling
    assert sc is not None
    var = sc.variable
    others = [k for k in claim.grid if k != var]
    groups: dict[tuple, list[tuple[float, PointEvidence]]] = {}
    n_bad = 0
    n_err = 0
    for p, ev in zip(params_list, evidence, strict=True):
        key = tuple((k, p[k]) for k in others)
        if ev.llc is None or ev.llc.status != "ok":
            n_err += 1
            continue
        if not ev.llc.clean:
            n_bad += 1
            continue
        groups.setdefault(key, []).append((float(p[var]), ev))
    need = SHAPES[sc.shape] + 1
    if n_err == len(evidence):
        first = next((e.llc.error for e in evidence if e.llc is not None), "no LLC route")
        return ClaimVerdict("error", f"error: the LLC route failed at every point ({first})")
    fits: list[Fit] = []
    verdicts: list[str] = []
    reasons: list[str] = []
    for key, rows in groups.items():
        gname = fmt_point(dict(key)) or "all points"
        if len(rows) < need:
            verdicts.append("inconclusive")
            reasons.append(
                f"{gname}: only {len(rows)} clean point(s), a {sc.shape} fit needs {need}"
            )
            continue
        rows.sort(key=lambda t: t[0])
        xs = [r[0] for r in rows]
        ys = [r[1].llc.mean for r in rows]
        ses = [r[1].llc.std_error for r in rows]
        f = fit_shape(xs, ys, ses, sc.shape, dict(key), "llc")
        fits.append(f)
        txt = f"{gname}: LLC fit λ̂ = {_poly_text(f.coefficients, sc.shape, var)} (R² = {f.r2:.4f}"
        txt += f", χ²/dof = {f.chi2_dof:.3g})" if f.chi2_dof is not None else ")"
        v = "confirmed"
        if f.r2 < sc.min_r2:
            if f.chi2_dof is not None and f.chi2_dof > 4:
                v = "refuted"
                txt += f"; R² below {sc.min_r2} and the misfit exceeds the LLC errors"
            else:
                v = "inconclusive"
                txt += f"; R² below {sc.min_r2} but within the LLC errors"
        if sc.coefficients is not None:
            for i, (c_fit, c_se, c_st) in enumerate(
                zip(f.coefficients, f.std_errors, sc.coefficients, strict=True)
            ):
                c_st = float(c_st)
                dev = abs(c_fit - c_st)
                t = claim.tolerance.coef_rel * abs(c_st)
                if dev > t and dev > 4 * c_se:
                    v = "refuted"
                    txt += (
                        f"; coefficient {i + 1} = {c_fit:.4g} ± {c_se:.2g} vs stated {c_st:.4g} "
                        f"(off {dev / abs(c_st) if c_st else math.inf:.1%} > "
                        f"coef_rel {claim.tolerance.coef_rel:.0%}"
                        " and > 4 s.e.)"
                    )
                elif dev > t + 2 * c_se and v != "refuted":
                    v = "inconclusive"
                    txt += (
                        f"; coefficient {i + 1} = {c_fit:.4g} ± {c_se:.2g} "
                        f"vs stated {c_st:.4g}: not decided"
                    )
            if v == "confirmed":
                stated = _poly_text([float(c) for c in sc.coefficients], sc.shape, var)
                txt += f"; stated coefficients {stated} agree"
        verdicts.append(v)
        reasons.append(txt)
        # exact routes over the same points, for context
        for src in ("rank", "closed_form"):
            vals = []
            for x, ev in rows:
                if (
                    src == "rank"
                    and ev.rank is not None
                    and ev.rank.status == "ok"
                    and ev.rank.determines_lambda
                ):
                    vals.append((x, ev.rank.rank / 2))
                if (
                    src == "closed_form"
                    and ev.closed_form is not None
                    and ev.closed_form.status == "ok"
                    and ev.closed_form.sympy_value is not None
                ):
                    vals.append((x, float(ev.closed_form.sympy_value)))
            if len(vals) >= need:
                g = fit_shape(
                    [a for a, _ in vals], [b for _, b in vals], None, sc.shape, dict(key), src
                )
                fits.append(g)
                reasons[-1] += (
                    f"; {'exact rank' if src == 'rank' else 'closed form'} gives "
                    f"{_poly_text(g.coefficients, sc.shape, var)} (R² = {g.r2:.4f})"
                )
    if n_bad:
        reasons.append(f"{n_bad} point(s) with failed LLC diagnostics left out")
    if n_err:
        reasons.append(f"{n_err} point(s) where the LLC route errored")
    if not verdicts:
        return ClaimVerdict(
            "inconclusive",
            "inconclusive: no clean LLC points to fit; " + "; ".join(reasons),
            tuple(fits),
        )
    if "refuted" in verdicts:
        verdict = "refuted"
    elif all(v == "confirmed" for v in verdicts) and not n_bad and not n_err:
        verdict = "confirmed"
    else:
        verdict = "inconclusive"
    return ClaimVerdict(
        verdict, f"{verdict}: {sc.shape} in {var}: " + "; ".join(reasons), tuple(fits)
    )
