"""Judgement: evidence → graded facts → verdicts, for points, claims, scaling fits, experiments.

- :mod:`~slttheory.verify.judge.facts`: grades (certified, controlled, uncontrolled, context).
- :mod:`~slttheory.verify.judge.llc`: an LLC's band from its controls.
- :mod:`~slttheory.verify.judge.point`: the verdict rules per point and per claim.
- :mod:`~slttheory.verify.judge.scaling`: scaling claims (fits with controlled errors, rivals).
- :mod:`~slttheory.verify.judge.experiment`: experiment criteria.
- :mod:`~slttheory.verify.judge.boundaries`: the cases and case boundaries a grid reaches.

Everything here is pure: the same evidence gives the same verdicts, so verdicts are derived
again at report time and editing a claim's prediction or tolerance recomputes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from slttheory.verify.claims import BadClaim, Claim, ExperimentClaim
from slttheory.verify.claims.common import point_key
from slttheory.verify.evidence.records import ControlSet, PointEvidence
from slttheory.verify.evidence.routes import OUT_OF_TIME
from slttheory.verify.judge.boundaries import CaseCoverage, case_coverage
from slttheory.verify.judge.experiment import judge_criterion, judge_experiment
from slttheory.verify.judge.facts import GRADES, Fact, fmt_value
from slttheory.verify.judge.point import (
    VERDICTS,
    PointVerdict,
    claim_verdict,
    fmt_point,
    point_verdict,
    scope,
    unmet_hypotheses,
)
from slttheory.verify.judge.scaling import Fit, fit_shape, scaling_verdict

__all__ = [
    "VERDICTS",
    "GRADES",
    "Fact",
    "Fit",
    "PointVerdict",
    "ClaimVerdict",
    "PointResult",
    "ClaimResult",
    "ExperimentClaimResult",
    "CaseCoverage",
    "case_coverage",
    "point_verdict",
    "claim_verdict",
    "scaling_verdict",
    "judge_claim",
    "judge_criterion",
    "judge_experiment",
    "fit_shape",
    "fmt_point",
    "fmt_value",
    "scope",
    "unmet_hypotheses",
]


@dataclass(frozen=True)
class ClaimVerdict:
    """A claim's verdict and reason; ``grade`` of the deciding evidence; ``fits`` (scaling);
    ``cases``: the cases of the library's formula the grid covered; ``groups`` (scaling):
    each fitted group's name and verdict; ``left_out`` (scaling): the points no fit took
    (:func:`~slttheory.verify.judge.point.fmt_point` of each)."""

    verdict: str
    reason: str
    fits: tuple[Fit, ...] = field(default_factory=tuple)
    grade: str = "none"
    cases: tuple[str, ...] = ()
    groups: tuple[tuple[str, str], ...] = ()
    left_out: tuple[str, ...] = ()


@dataclass(frozen=True)
class PointResult:
    params: Mapping[str, Any]
    predicted: sp.Expr | None
    evidence: PointEvidence
    verdict: PointVerdict


@dataclass(frozen=True)
class ClaimResult:
    """A point claim's outcome (``claim`` may be a :class:`BadClaim`: verdict ``error``);
    ``coverage``: the cases and case boundaries its grid reaches (``None`` where the family
    was not given to :func:`judge_claim`)."""

    claim: Claim | BadClaim
    points: tuple[PointResult, ...] = field(default_factory=tuple)
    verdict: ClaimVerdict = field(default_factory=lambda: ClaimVerdict("error", "error: not run"))
    controls: Mapping[str, ControlSet] = field(default_factory=dict)
    coverage: CaseCoverage | None = None


@dataclass(frozen=True)
class ExperimentClaimResult:
    """An experiment claim's outcome; runs are in ``result.records``."""

    claim: ExperimentClaim
    verdict: ClaimVerdict
    result: Any = None
    criteria: tuple[Mapping[str, Any], ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    runs: int = 0
    stages_computed: int = 0
    stages_reused: int = 0
    elapsed_s: float = 0.0
    error: str | None = None
    points: tuple = ()


def judge_claim(claim: Claim, items: Sequence[tuple[Mapping[str, Any], PointEvidence]],
                controls: Mapping[str, ControlSet] | None = None, *, family: Any = None,
                profile: str | None = None) -> ClaimResult:
    """Verdicts of every point and of the claim, from stored evidence (never raises); with
    the claim's ``family`` and ``profile``, the cases its grid reaches too
    (:func:`coverage_of`)."""
    controls = controls or {}
    pts = []
    for params, ev in items:
        pred = None
        try:
            pred = claim.predicted_at(params)
            pv = point_verdict(claim, params, ev, pred, controls)
        except Exception as e:  # noqa: BLE001 - one bad point never stops the others
            pv = PointVerdict("error", f"error: verdict failed ({type(e).__name__}: {e})")
        pts.append(PointResult(dict(params), pred, ev, pv))
    cases = tuple(dict.fromkeys(p.evidence.closed_form.case for p in pts
                                if p.evidence.closed_form is not None
                                and p.evidence.closed_form.status == "ok"
                                and p.evidence.closed_form.case))
    # the claim's control sets in the order its points first use them: ``controls`` fills in
    # the order runs finish, which differs between runs of the same report
    used = dict.fromkeys(p.evidence.llc.control_key for p in pts if p.evidence.llc is not None
                         and p.evidence.llc.control_key)
    mine = {k: controls[k] for k in used if k in controls}
    # the points' verdicts, combined (claim_verdict): a point claim's verdict; for a scaling
    # claim an error where every point errored (its routes ran out of time, say), and with a
    # `predicted` formula, judged point by point, a refutation whatever its fit says, and a
    # confirmation only where every point is confirmed too
    agg = claim_verdict([(p.params, p.verdict) for p in pts], list(claim.grid),
                        claim.constraint)
    if claim.kind != "scaling" or (pts and agg.verdict == "error"):
        cv = ClaimVerdict(agg.verdict, agg.reason, (), agg.grade, cases)
    else:
        try:
            sv = scaling_verdict(claim, [p.params for p in pts], [p.evidence for p in pts],
                                 controls)
            cv = ClaimVerdict(sv.verdict, sv.reason, sv.fits, sv.grade, cases, sv.groups,
                              sv.left_out)
            if claim.predicted_expr is not None and sv.verdict != "refuted" and \
                    agg.verdict == "refuted":
                cv = ClaimVerdict("refuted", f"{agg.reason} [the claim's predicted formula, "
                                  f"point by point; the fit of its shape: {sv.reason}]",
                                  sv.fits, agg.grade, cases, sv.groups, sv.left_out)
            elif claim.predicted_expr is not None and sv.verdict == "confirmed" and \
                    agg.verdict != "confirmed":
                # confirmed only if every point is: a fit confirmed "λ ≤ d/2 + 1/4, linear
                # in d" whose bound asserts nothing at any point (the soundness grid)
                cv = ClaimVerdict("inconclusive", f"{agg.reason} [the claim's predicted "
                                  "formula, point by point, is not confirmed at every point; "
                                  f"the fit of its shape: {sv.reason}]", sv.fits, agg.grade,
                                  cases, sv.groups, sv.left_out)
        except Exception as e:  # noqa: BLE001
            cv = ClaimVerdict("error", f"error: scaling fit failed ({type(e).__name__}: {e})")
    coverage = None if family is None or profile is None else coverage_of(claim, family,
                                                                          profile, pts)
    return ClaimResult(claim, tuple(pts), cv, mine, coverage)


def coverage_of(claim: Claim, family: Any, profile: str, pts: Sequence[PointResult]
                ) -> CaseCoverage:
    """:func:`~slttheory.verify.judge.boundaries.case_coverage` with the case labels the
    closed-form route already found at the grid points (not computed again there; ``None``
    where it failed); the box is not enumerated where that route ran out of time at a point
    (its closed form is too slow to call at more). Never raises."""
    known: dict[str, str | None] = {}
    slow = False
    for p in pts:
        cf = p.evidence.closed_form
        if cf is None:
            continue
        known[point_key(p.params)] = (cf.case or "(no case label)") if cf.status == "ok" \
            else None
        slow = slow or (cf.status != "ok" and OUT_OF_TIME in str(cf.error or ""))
    try:
        return case_coverage(claim, family, profile, known=known,
                             skip_box="the closed form ran out of time at a grid point"
                             if slow else "")
    except Exception as e:  # noqa: BLE001 - the verdicts stand without it
        return CaseCoverage("", "not computed", f"failed ({type(e).__name__}: {e})"[:300])
