"""Verdict rules for one grid point and for a claim (``verification/README.md`` § Verdicts).

Per point, with prediction P and the claim's relation:

1. **Hypotheses.** A theorem is checked before it is applied: where one of the hypotheses the
   claim names, measured at w*, fails: ``inconclusive: hypothesis not met`` with the measured
   quantity. A hypothesis of the source that the claim lists as not imposed (``not_imposed``)
   is not checked; where it fails at a decided point, the reason says the verdict is for the
   statement without it.
2. **Certified facts decide.** Their intersection must be non-empty, else ``error`` (routes
   contradict: a bug to fix). If it excludes P: ``refuted``; if it implies P: ``confirmed``.
3. **A controlled LLC** decides only where no certified fact does (at a w* that is a local
   minimum of L_n, and on a training set whose exact rank can carry 2P): ``refuted`` when its
   band excludes P, ``confirmed`` when the band lies within P ± the claim's tolerance (an
   equivalence test) — and only if the same verdict holds at γ × 3, γ / 3 and ε / 2, each
   rerun's band inside what the certified facts allow.
4. Everything else is ``inconclusive``, with a reason naming what would decide it.

Failed LLC diagnostics mean no information; they never block a certified verdict. A claim is
refuted if any point is, confirmed if all are, error if all errored, else inconclusive; its
reason says how far the verdict reaches ("confirmed at d ∈ {3, 4}, k ∈ {1, 2}").

A summary: the README's section holds the full rules, which the code below follows — vacuous
bounds (inconclusive whatever any route reads), the true-parameter exception to the local
minimum, the multiplicity and band gates of a controlled LLC, and exact comparison to 90
digits.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sympy as sp

from slttheory.verify.claims import Claim
from slttheory.verify.claims.common import cite_match
from slttheory.verify.evidence.controls import MAX_MULTIPLICITY
from slttheory.verify.evidence.records import (
    ControlSet,
    PointEvidence,
    no_minimum_for_the_llc,
    records_say_w0,
)
from slttheory.verify.judge.facts import (
    Fact,
    LLCAssessment,
    assess_llc,
    band_outside_proof,
    band_refs,
    band_verdict,
    facts_of,
    fmt_value,
    n_params_of,
    stated_multiplicity,
)
from slttheory.verify.judge.llc import (
    MIN_CONTROLS,
    beyond_controls,
    edge_text,
    usable_controls,
)

__all__ = ["VERDICTS", "PointVerdict", "point_verdict", "claim_verdict", "fmt_point", "scope",
           "math_text",
           "unmet_hypotheses", "unimposed_note", "not_a_minimum", "sampled_at_w0",
           "llc_cannot_reach", "band_outside_proof", "certified_bounds", "certified_ends",
           "certified_value",
           "contradict", "llc_assessment", "point_llc", "outside_certified"]

VERDICTS = ("confirmed", "refuted", "inconclusive", "error")
_GRADE_ORDER = ("certified", "controlled", "uncontrolled", "none")  # strongest first


@dataclass(frozen=True)
class PointVerdict:
    """A point's verdict, its reason, the grade of the deciding evidence (``certified``,
    ``controlled`` or ``none``), the graded facts and the LLC's assessment."""

    verdict: str
    reason: str
    grade: str = "none"
    facts: tuple[Fact, ...] = field(default_factory=tuple)
    llc: LLCAssessment | None = None
    asserts_nothing: bool = False  # a bound every model meets: no route, an LLC included, decides


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


COMPARE_DIGITS = 100  # exact values that no cheap rule orders are compared to this precision


class Unordered(ValueError):
    """Two exact values agree to :data:`COMPARE_DIGITS` digits, and nothing proved them equal."""


def _sign(e, proved: bool = False) -> int:
    """The sign of an exact real number, in bounded time (no ``simplify``, whose cost grows
    without bound: an 18-term sum of logs took minutes): sympy's assumptions first, else a
    :data:`COMPARE_DIGITS`-digit evaluation, where |e| < 10^(10 − COMPARE_DIGITS) counts as 0,
    or, with ``proved``, raises :class:`Unordered` (a certified verdict rests on the sign:
    d/2 − (√2 − 1)²⁵⁶, 1e-98 from d/2, was confirmed equal to it, an outside audit).

    Logs are expanded only where that is valid (positive arguments): ``force=True`` split
    log((1 − √2)(1 − √3)), the log of a positive number, into two logs of negatives, so a
    product of two such terms came out 4π² off, and a true claim was refuted and a false one
    confirmed, both certified; on another it never returned (an outside audit).

    >>> _sign(sp.log(4) / 2 - sp.log(2)), _sign(sp.sqrt(2) - sp.Rational(141, 100))
    (0, 1)
    >>> a = sp.log((1 - sp.sqrt(2)) * (1 - sp.sqrt(3)))
    >>> _sign(a * a - sp.log((sp.sqrt(2) - 1) * (sp.sqrt(3) - 1)) ** 2)   # 0, unproved
    0
    """
    e = sp.expand_log(sp.sympify(e))
    if e.is_zero:
        return 0
    if e.is_extended_positive:
        return 1
    if e.is_extended_negative:
        return -1
    v = e.evalf(COMPARE_DIGITS)
    if not v.is_Number:
        raise ValueError(f"cannot order {e}: not a real number")
    if abs(v) < sp.Float(10) ** (10 - COMPARE_DIGITS):
        if proved:
            raise Unordered(f"{e} is below 10^{10 - COMPARE_DIGITS} in magnitude, and not "
                            "proved zero")
        return 0
    return 1 if v > 0 else -1


def _lt(a, b, proved: bool = False) -> bool:
    return _sign(a - b, proved) < 0


def _equal(a, b, proved: bool = False) -> bool:
    """Equal in value, not only in form (log(4)/2 and log(2))."""
    return a == b or _sign(a - b, proved) == 0


def _interval(facts: Sequence[Fact]) -> tuple[Any, Any, Fact | None, Fact | None]:
    """Intersection ``[lo, hi]`` of the facts with the facts that set each end."""
    lo = hi = None
    flo = fhi = None
    for f in facts:
        if f.low is not None and (lo is None or _lt(lo, f.low)):
            lo, flo = f.low, f
        if f.high is not None and (hi is None or _lt(f.high, hi)):
            hi, fhi = f.high, f
    return lo, hi, flo, fhi


def _low_open(facts: Sequence[Fact], lo: Any) -> bool:
    """Whether a fact among ``facts`` makes the lower end ``lo`` of their intersection strict
    (``lo < λ``: λ > 0 where the loss is not flat near w*)."""
    return lo is not None and any(f.low_open and f.low is not None and _equal(f.low, lo)
                                  for f in facts)


def certified_bounds(claim: Claim, ev: PointEvidence) -> tuple[Any, Any]:
    """``(lo, hi)``: the λ the point's certified facts allow (``None``: that side open)."""
    lo, hi, _ = certified_ends(claim, ev)
    return lo, hi


def certified_ends(claim: Claim, ev: PointEvidence) -> tuple[Any, Any, bool]:
    """``(lo, hi, lo_open)``: :func:`certified_bounds` and whether the lower end is strict
    (``lo < λ``: λ > 0), which :func:`contradict` needs (λ = 0 beside λ > 0 contradicts)."""
    cert = [f for f in facts_of(claim, ev) if f.grade == "certified"]
    lo, hi, _, _ = _interval(cert)
    return lo, hi, _low_open(cert, lo)


def contradict(lo: Any, hi: Any, lo_open: bool = False) -> bool:
    """Whether certified bounds ``lo ≤ λ ≤ hi`` (``lo < λ`` where ``lo_open``) leave no λ
    (routes contradict: a bug to fix).

    >>> contradict(sp.Integer(2), sp.Rational(3, 2)), contradict(1, None)
    (True, False)
    >>> contradict(sp.Integer(0), sp.Integer(0)), contradict(sp.Integer(0), sp.Integer(0), True)
    (False, True)
    """
    return lo is not None and hi is not None and (
        _lt(hi, lo) or (lo_open and not _lt(lo, hi)))


def certified_value(lo: Any, hi: Any) -> sp.Expr | None:
    """λ where certified bounds ``[lo, hi]`` fix it exactly, else ``None``.

    >>> certified_value(sp.Rational(3, 2), sp.Rational(3, 2)), certified_value(1, None)
    (3/2, None)
    """
    if lo is not None and hi is not None and _equal(lo, hi):
        return lo
    return None


def _decimal_eq(claim: Claim) -> bool:
    """Whether the claim states λ = P with a decimal written in P (not 1/2, which is exact)."""
    return claim.relation == "==" and "." in (claim.predicted or "")


def rounded_decimal(p: sp.Expr, lo: Any, hi: Any) -> str:
    """A refutation's caveat where the prediction is a decimal that the certified λ rounds to
    ("" otherwise): claims read decimals exactly (``verification/README.md``), so λ = 0.1667
    is refuted by λ = 1/6, and the reason says why and how to state what was meant.

    >>> rounded_decimal(sp.Rational(1667, 10000), sp.Rational(1, 6), sp.Rational(1, 6))[:43]
    '; the predicted value is the decimal 0.1667'
    >>> rounded_decimal(sp.Rational(3, 10), sp.Rational(1, 4), sp.Rational(1, 4))  # 20 % off
    ''
    >>> rounded_decimal(sp.Rational(3, 2), sp.Rational(3, 2), sp.Rational(3, 2))  # equal
    ''
    """
    v = certified_value(lo, hi)
    if v is None or not (isinstance(p, sp.Rational) and not p.is_Integer):
        return ""
    k = next((k for k in range(1, 16) if (p * 10 ** k).q == 1), None)  # decimal places
    if k is None or v == p or not abs(v - p) < sp.Rational(1, 2 * 10 ** k):
        return ""
    return (f"; the predicted value is the decimal {float(p):.{k}f}, read exactly (decimals "
            f"are exact rationals), and λ = {v} rounds to it at {k} decimal"
            f"{'s' if k > 1 else ''}: state {v} if that is what is meant")


def _exact_verdict(lo: Any, hi: Any, p: sp.Expr, rel: str, lo_open: bool = False) -> str:
    """``refuted`` when no λ in ``[lo, hi]`` satisfies ``λ rel p``, ``confirmed`` when every one
    does, else ``open`` (``None``: that side is open; ``lo_open``: ``lo < λ``, strictly).

    >>> _exact_verdict(sp.Integer(3), None, sp.Integer(2), "=="), _exact_verdict(1, 1, 1, "==")
    ('refuted', 'confirmed')
    >>> _exact_verdict(None, sp.Integer(2), sp.Integer(3), "<"), _exact_verdict(1, None, 2, "<=")
    ('confirmed', 'open')
    >>> z = sp.Integer(0)
    >>> [_exact_verdict(z, None, z, r, lo_open=True) for r in ("==", "<=", ">")]
    ['refuted', 'refuted', 'confirmed']

    Where an end and ``p`` agree to :data:`COMPARE_DIGITS` digits without a proof that they
    are equal, ``open``: no certified verdict rests on a numerical coincidence.
    """
    def lt(a, b):
        return _lt(a, b, proved=True)

    has_lo, has_hi = lo is not None, hi is not None
    try:
        # p ≤ lo where λ > lo: no λ equals p or lies at or below it, every λ lies above it
        at_open_lo = lo_open and has_lo and not lt(lo, p)
        if rel == "==":
            if (has_lo and lt(p, lo)) or (has_hi and lt(hi, p)) or at_open_lo:
                return "refuted"
            return ("confirmed" if has_lo and has_hi and not lt(lo, hi)
                    and _equal(lo, p, proved=True) else "open")
        if rel == "<=":
            refuted, confirmed = has_lo and lt(p, lo) or at_open_lo, has_hi and not lt(p, hi)
        elif rel == "<":
            refuted, confirmed = has_lo and not lt(lo, p), has_hi and lt(hi, p)
        elif rel == ">=":
            refuted, confirmed = has_hi and lt(hi, p), has_lo and not lt(lo, p)
        else:  # ">"
            refuted = has_hi and not lt(p, hi)
            confirmed = has_lo and lt(p, lo) or at_open_lo
        return "refuted" if refuted else "confirmed" if confirmed else "open"
    except Unordered:
        return "open"


def _unproved(lo: Any, hi: Any, p: sp.Expr) -> str:
    """Why an exact verdict stays open where an end of [lo, hi] and ``p`` agree to the
    compared digits without a proof of equality ('' otherwise)."""
    for end in (lo, hi):
        try:
            if end is not None:
                _sign(end - p, proved=True)
        except Unordered:
            return (f"; the certified λ = {fmt_value(end)} and the prediction agree to "
                    f"{COMPARE_DIGITS - 10} digits, but nothing here proves them equal or "
                    "orders them, so no exact verdict is drawn")
    return ""


def _failed(ev: PointEvidence, names: Sequence[str]) -> list[Mapping[str, Any]]:
    """The family's measured hypotheses at w* among ``names`` that fail."""
    at = ev.at_point
    if at is None or at.status != "ok":
        return []
    return [h for h in at.hypotheses if h.get("met") is False and h.get("name") in names]


def unmet_hypotheses(claim: Claim, ev: PointEvidence, p: sp.Expr | None) -> list[str]:
    """The claim's hypotheses that fail as measured at w*, or that were not measured there (a
    theorem is applied only where its hypotheses are seen to hold), each as "name: why"."""
    return [f"{name}: {why}" for name, why in _unmet(claim, ev)]


def _unmet(claim: Claim, ev: PointEvidence) -> list[tuple[str, str]]:
    """:func:`unmet_hypotheses` as (the claim's name of the hypothesis, why it is unmet)."""
    failed = _failed(ev, claim.hypotheses)
    out = [(h["name"], f"{h.get('statement', '')} (measured: {h.get('measured', '?')})")
           for h in failed]
    at = ev.at_point
    ok = at is not None and at.status == "ok"
    # met only where every measurement of the name says so: a name measured twice, once met
    # and once undecided (None, or a value that is no bool: 1, "false"), had been read as met
    # and the point confirmed (an audit of the hypothesis rules)
    undecided = {h.get("name"): h for h in at.hypotheses
                 if h.get("met") is not True and h.get("met") is not False} if ok else {}
    seen = {h.get("name") for h in failed}
    seen |= {h.get("name") for h in at.hypotheses if h.get("met") is True
             and h.get("name") not in undecided} if ok else set()
    raised = _measurement_error(claim, ev)
    for name in claim.hypotheses:
        if name in seen:
            continue
        if (h := undecided.get(name)) is not None:  # measured, but neither met nor failed
            met = ("" if h.get("met") is None else
                   f"; met = {h.get('met')!r}, neither true nor false")
            out.append((name, f"{h.get('statement', '')} undecided as measured (measured: "
                        f"{h.get('measured', '?')}{met})"))
        else:
            why = ("w* was not measured" if at is None else f"w* failed ({at.error})"
                   if not ok else f"the family's hypotheses could not be measured at w*: "
                   f"{raised}" if raised else "the family reports no measurement of it at "
                   "this point: it may not apply here (see the family's hypotheses)")
            out.append((name, f"not measured ({why})"))
    return out


def _measurement_error(claim: Claim, ev: PointEvidence) -> str:
    """The error of a family's hypotheses that raised at w* ("" otherwise): the w* route
    records it as one hypothesis named "hypotheses", neither met nor failed
    (``routes.at_point``), and no route error says so. The reason had read "the family
    reports no measurement of it at this point: it may not apply here", of a measurement
    that failed (an outside theorist's review)."""
    at = ev.at_point
    if at is None or at.status != "ok" or "hypotheses" in claim.hypotheses:
        return ""
    return next((str(h.get("measured", "?")) for h in at.hypotheses
                 if h.get("name") == "hypotheses" and h.get("met") is None), "")


def _unmeasured(claim: Claim, ev: PointEvidence, names: Sequence[str]) -> list[str]:
    """Those of the claim's hypotheses ``names`` of which w* has no measurement at all (w*
    not measured or failed, the family's measurement raised, or it reports none)."""
    at = ev.at_point
    if at is None or at.status != "ok":
        return list(names)
    got = {h.get("name") for h in at.hypotheses}
    return [n for n in names if n not in got]


def _named_routes(ev: PointEvidence) -> tuple[tuple[str, Any], ...]:
    """The point's routes as the reasons name them, with their evidence (``None``: not run)."""
    return (("closed form", ev.closed_form), ("rank", ev.rank), ("LLC", ev.llc),
            ("w*", ev.at_point))


CANNOT_HOLD = "cannot hold at these sizes: "
NOT_AT_DRAWS = "not met at these sizes at the family's draws: "
"""The openings of a ``Hypothesis.measured`` clause that says no w* of these sizes meets it
(proved; ``possible`` false), or that the family's draws do not (no proof): the same strings as
:data:`slttheory.models.registry.CANNOT_HOLD` and ``NOT_AT_DRAWS`` (kept here: the judge
imports no model code, hence no torch)."""


def _where_hypotheses_hold(claim: Claim, ev: PointEvidence,
                           unmet: Sequence[tuple[str, str]]) -> str:
    """What would decide a point whose hypotheses fail: a w* at which they hold, or, where
    the family says one cannot hold at these sizes (``possible`` false), other sizes."""
    names = [name for name, _ in unmet]
    failed = _failed(ev, claim.hypotheses)
    never = [h for h in failed if h.get("possible") is False]
    if never:
        why = "; ".join(_clause(str(h.get("measured", "")), CANNOT_HOLD) for h in never)
        return (f"other sizes: {' and '.join(h['name'] for h in never)} cannot hold at any w* "
                f"of these ({why or 'a dimension count, in the measurement'})")
    drawn = [(h["name"], c) for h in failed
             if (c := _clause(str(h.get("measured", "")), NOT_AT_DRAWS))]
    if drawn:  # the family's draws, not a proof: no impossibility claimed
        return ("other sizes: " + "; ".join(f"at the family's draws, {name} is not met at "
                                            f"these sizes ({c})" for name, c in drawn))
    # a hypothesis with no measurement may hold at this very w*: what decides is measuring
    # it ("a w* at which it holds" had been advised where w* could not be measured at all)
    unmeasured = _unmeasured(claim, ev, names)
    at = ev.at_point
    if unmeasured and at is not None and at.status != "ok" and "LLC_MAX_ENTRIES" in str(
            at.error):  # routes._build refuses w* above its budget: never measured here
        return (f"fewer training samples or parameters: w* is not built at this n × d, above "
                f"the w* route's budget LLC_MAX_ENTRIES (see the route errors), so "
                f"{' and '.join(unmeasured)} cannot be measured here")
    seen = [n for n in names if n not in unmeasured]
    out = []
    if seen:
        out.append("a w* at which " + " and ".join(seen) + (" holds" if len(seen) == 1
                                                             else " hold"))
    if unmeasured:
        out.append(f"a measurement of {' and '.join(unmeasured)} at w* that finds "
                   + ("it" if len(unmeasured) == 1 else "them") + " met (none was made here)")
    return ", and ".join(out)


def _clause(text: str, opening: str) -> str:
    """The parenthesised clause of ``text`` that opens with ``opening``, without it ("" if
    none).

    >>> _clause("rank 5 (SVD) (cannot hold at these sizes: 6 > 5 (a count)); more",
    ...         CANNOT_HOLD)
    '6 > 5 (a count)'
    """
    i = text.find("(" + opening)
    if i < 0:
        return ""
    depth, j = 0, i
    for j in range(i, len(text)):
        depth += {"(": 1, ")": -1}.get(text[j], 0)
        if depth == 0:
            break
    return text[i + 1 + len(opening):j].strip()


def unimposed_note(claim: Claim, ev: PointEvidence) -> str:
    """A decided verdict's caveat: the source's hypotheses that the claim lists as not imposed
    (``claim.not_imposed``) and that fail at w* as the family measures them, so the verdict is
    for the statement without them ("" if none)."""
    off = [f"{h.get('name')} ({h.get('measured', '?')})"
           for h in _failed(ev, claim.not_imposed)]
    if not off:
        return ""
    return (f" — a verdict on the statement without {', '.join(off)}: not imposed by the "
            "claim, and not met here")


def sampled_at_w0(ev: PointEvidence) -> bool:
    """Whether w* is the family's true parameter w0 and an LLC there is (or, where the route
    runs, would be) the symmetrised estimand: every record that can say so does, and at least
    one does. Two records say it: the w* measurement (``at_point.extras["true_parameter"]``,
    set by the build, ``routes._build``) and an LLC that ran (``llc.config["true_parameter"]``,
    what ``estimate_llc`` was called with). The routes set both from the same build, so they
    agree in evidence the pipeline stores; evidence judged from elsewhere (a plugin's or a
    test's routes, a store edited by hand) may not, and then the exemption from the minimum
    rests on one record against the other: a plain estimate at w0 of noisy data reads low by
    βν (``routes.W_STAR_RULE``), and a symmetrised one at a w* measured as a trained point
    is not at w0. Where they disagree, no exemption (an audit of the verdict rules). A failed
    LLC (no config) or a failed w* measurement says nothing either way; where no LLC ran
    (perhaps one runs in another profile), the w* record alone says it.

    >>> from slttheory.verify.evidence.records import AtPoint, LLCEvidence
    >>> w0 = AtPoint("ok", extras={"true_parameter": True})
    >>> sampled_at_w0(PointEvidence(None, None, None, 0.0, w0))
    True
    >>> sampled_at_w0(PointEvidence(None, None, LLCEvidence("ok", config={}), 0.0, w0))
    False

    The rule is the records' own (:func:`~slttheory.verify.evidence.records.records_say_w0`),
    which ``facts_of``, :func:`_deciders` and the run (controls, reruns) read through
    :func:`~slttheory.verify.evidence.records.no_minimum_for_the_llc`, so that none of them
    treats as w0 a w* the verdict does not.
    """
    return records_say_w0(ev.at_point, ev.llc)


def not_a_minimum(ev: PointEvidence) -> str:
    """Why an LLC at this w* decides nothing, when the critical-point check found w* not a
    local minimum of L_n (a saddle, or a gradient above tolerance): the LLC is defined at a
    minimum, and chains at a saddle also count the loss they find below it ("" otherwise).
    Not at a true parameter sampled with the symmetrised estimand
    (``estimate_llc(true_parameter=True)``, :data:`~slttheory.verify.evidence.routes
    .W_STAR_RULE`): it is defined at w0, where noisy data leave L_n without a minimum, and
    the loss the chains find below L_n(w0) is the data term it removes. Exempt only where the
    records agree (:func:`sampled_at_w0`)."""
    if sampled_at_w0(ev):
        return ""
    at = ev.at_point
    checks = at.checks if at is not None and at.status == "ok" else {}
    if checks.get("is_local_min") is True:
        return ""
    if checks.get("is_local_min") is None:
        why = ("w* was not measured" if at is None else f"w* failed: {at.error}"
               if at.status != "ok" else checks.get("error") or "no result")
        return (f"w* was not checked to be a local minimum of L_n ({why}), and the LLC is "
                "defined at a minimum: no LLC there decides")
    return (f"w* is not a local minimum of L_n ({checks.get('reason', 'critical-point check')}), "
            "and the LLC is defined at a minimum: no LLC there decides")


def llc_cannot_reach(ev: PointEvidence, p: sp.Expr, what: str = "the prediction") -> str:
    """Why no LLC on this training set tests ``what`` = λ ``p`` ("" if it can): the empirical
    loss sees the model only through its outputs on the training inputs, a map of exact
    Jacobian rank ``tr``, whose zeros near a generic point have codimension ``tr`` (λ = tr/2
    there; at degenerate points λ can be larger, so this is the issue's gate, not a theorem
    that no LLC could read more). With tr < 2p the training set, not the model, sets what an
    LLC on it measures.

    >>> from slttheory.verify.evidence.records import AtPoint
    >>> ev = PointEvidence(None, None, None, 0.0, AtPoint("ok", extras={"train_rank": 9}))
    >>> llc_cannot_reach(ev, sp.Integer(5))[:58]
    'the exact Jacobian rank on the training inputs is 9 < 2λ ='
    >>> llc_cannot_reach(ev, sp.Integer(4))
    ''
    """
    at = ev.at_point
    tr = None if at is None else at.extras.get("train_rank")
    if at is not None and at.extras.get("train_rank_skipped"):
        return (f"the exact Jacobian rank on the training inputs was not computed "
                f"({at.extras['train_rank_skipped']}), so whether an LLC on this training set "
                f"can reach 2λ = {fmt_value(2 * p)} is unknown")
    if isinstance(tr, int) and tr < 2 * p:
        return (f"the exact Jacobian rank on the training inputs is {tr} < 2λ = "
                f"{fmt_value(2 * p)} ({what}): the training loss sees the model only through "
                f"a map of rank {tr} (at a generic point its λ is {fmt_value(sp.Rational(tr, 2))}"
                "), so an LLC on this training set measures the training set, not the "
                "model (train on more pairs)")
    return ""


FIT_ONLY = "inconclusive: scaling point"
"""How the reason of a scaling claim's point that only enters the claim's fit begins (the
reports show such a point as "in the fit", not as a finding of its own)."""


def point_verdict(claim: Claim, params: Mapping[str, Any], ev: PointEvidence,
                  predicted: sp.Expr | None,
                  controls: Mapping[str, ControlSet] | None = None) -> PointVerdict:
    """The verdict of one grid point from its evidence (pure; rules in the module docstring).
    Whatever decided it, the verdict carries the LLC's assessment (:func:`llc_assessment`)
    wherever an LLC route ran and the point has a prediction, so that the reports show the
    grade and why the rules read, not a second grading of theirs."""
    v = _point_verdict(claim, params, ev, predicted, controls)
    if v.llc is None and (a := point_llc(claim, ev, controls or {}, predicted,
                                         v.facts or None)) is not None:
        v = replace(v, llc=a)
    return v


def point_llc(claim: Claim, ev: PointEvidence, controls: Mapping[str, ControlSet],
              predicted: sp.Expr | None, facts: Sequence[Fact] | None = None
              ) -> LLCAssessment | None:
    """:func:`llc_assessment` against ``predicted``, within the certified bounds of the
    point's ``facts`` (:func:`facts_of` where not given); ``None`` where no LLC route ran or
    the prediction is no number."""
    if ev.llc is None or predicted is None:
        return None
    p = sp.nsimplify(predicted) if predicted.has(sp.Float) else predicted
    try:
        float(p)
    except (TypeError, ValueError):  # no number to grade an LLC against
        return None
    facts = facts_of(claim, ev) if facts is None else facts
    lo, hi, _, _ = _interval([f for f in facts if f.grade == "certified"])
    return llc_assessment(claim, ev, controls, p, lo, hi)


def llc_assessment(claim: Claim, ev: PointEvidence, controls: Mapping[str, ControlSet],
                   p: sp.Expr, lo: Any, hi: Any) -> LLCAssessment:
    """The LLC at a point as rule 3 reads it: :func:`assess_llc` against the prediction ``p``
    with the claim's tolerance there, the point's stated multiplicity and its certified
    bounds ``[lo, hi]`` (a rerun outside them does not repeat a verdict), and a controlled
    band wholly outside those bounds, at a w* where an LLC may decide, graded uncontrolled
    (the estimator's error, not the theorem's: :func:`band_outside_proof`). One computation
    for the verdict and the reports: ``report.data`` had graded the LLC again without the
    bounds, so its grade could differ from the one the verdict used (an audit). Bounds that
    contradict (an error point) bound nothing here."""
    tol = claim.tolerance.llc_abs_for(float(p))
    proved = None if contradict(lo, hi) else (lo, hi)
    llc = assess_llc(ev.llc, controls, float(p), claim.relation, tol, stated_multiplicity(ev),
                     proved)
    if llc.grade == "controlled" and (outside := outside_certified(ev, lo, hi, llc.band)):
        return LLCAssessment("uncontrolled", llc.band, outside)
    if (llc.band is not None and not llc.band.controlled
            and len(llc.band.controls) < MIN_CONTROLS and (own := anonymous_source(claim))):
        return replace(llc, why=f"{llc.why}; {own}")
    return llc


def anonymous_source(claim: Claim) -> str:
    """Why a claim has fewer controls than it could, where its ``source`` names no year and
    no arXiv id: every formula then counts as the claim's own
    (:func:`~slttheory.verify.claims.common.cite_match`), so no control is certified by a
    formula (an audit of a full-profile run: the reason said only "1 control of known λ
    resembles this point"). ``""`` otherwise.

    >>> from types import SimpleNamespace
    >>> anonymous_source(SimpleNamespace(source="Aoyagi & Watanabe 2005"))
    ''
    >>> anonymous_source(SimpleNamespace(source="a textbook")).startswith("controls certified")
    True
    """
    if not cite_match(claim.source, "", ""):
        return ""
    return ("controls certified by a formula are not used: the claim's source names no year "
            "or arXiv id, so every formula counts as its own (give the source's year or arXiv "
            "id in `source`)")


def outside_certified(ev: PointEvidence, lo: Any, hi: Any, band: Any) -> str:
    """Why a controlled ``band`` decides nothing because it lies wholly outside the point's
    certified ``[lo, hi]`` (:func:`band_outside_proof`), where that reading applies: bounds
    that do not contradict, at a w* where an LLC may decide; ``""`` otherwise. The one rule
    for a point's LLC (:func:`llc_assessment`) and a scaling fit's
    (:func:`~slttheory.verify.judge.scaling.fit_llc`)."""
    if contradict(lo, hi) or not_a_minimum(ev):
        return ""
    return band_outside_proof(lo, hi, band.low, band.high)


def _point_verdict(claim: Claim, params: Mapping[str, Any], ev: PointEvidence,
                   predicted: sp.Expr | None,
                   controls: Mapping[str, ControlSet] | None = None) -> PointVerdict:
    """:func:`point_verdict`, its LLC's assessment only where rule 3 was reached."""
    at = fmt_point({k: v for k, v in params.items() if k in claim.grid} or params) or "the point"
    routes = _named_routes(ev)
    errors = [f"{n}: {r.error}" for n, r in routes if r is not None and r.status != "ok"]
    if ev.at_point is not None and ev.at_point.status == "ok" and ev.at_point.checks.get(
            "error"):  # a build whose data the check refused (only report.json had said so)
        errors.append(f"w* check: {ev.at_point.checks['error']}")
    if all(r is None for _, r in routes):  # the profile's evidence list is empty
        return PointVerdict("inconclusive", f"inconclusive at {at}: no route runs in this "
                            "profile (its [profiles] evidence list is empty); the full profile "
                            "runs " + ", ".join(claim.evidence))
    facts = tuple(facts_of(claim, ev))
    ran = [r for _, r in routes[:3] if r is not None]
    # every route run that says something of λ errored (routes skipped by design, e.g. an
    # LLC where a hypothesis fails, are not errors): an error, unless a certified bound
    # measured at w* (a symmetry orbit, the dimension) decides beside them
    all_errored = not any(r.status == "ok" for r in ran) and (
        ran or ev.at_point is None or ev.at_point.status != "ok")
    error = PointVerdict("error", "error: " + ("; ".join(errors) or "no route was requested"),
                         facts=facts)
    if all_errored and not any(f.grade == "certified" for f in facts):
        return error
    note = f" [route errors: {'; '.join(errors)}]" if errors else ""
    cert = [f for f in facts if f.grade == "certified"]
    lo, hi, flo, fhi = _interval(cert)
    lo_open = _low_open(cert, lo)
    if contradict(lo, hi, lo_open):  # before anything else is read
        if lo_open and not _lt(hi, lo):  # the strict end contradicts: name its fact (the
            # closed end's had been quoted, "λ = 0 … but … λ = 0", no contradiction at all)
            flo = next(f for f in cert if f.low_open and f.low is not None
                       and _equal(f.low, lo))
        return PointVerdict("error", f"error: routes contradict at {at}: {flo.text} but "
                            f"{fhi.text} (a bug to fix){note}", facts=facts)
    if predicted is None or (claim.scaling is not None and claim.predicted_expr is None):
        return error if all_errored else _fit_only(claim, ev, at, predicted, note, facts)
    p = sp.nsimplify(predicted) if predicted.has(sp.Float) else predicted
    rel = claim.relation
    if rel == "==":
        note += _two_statements(facts, p)
    exact = _exact_verdict(lo, hi, p, rel, lo_open)
    if exact == "open":
        note += _unproved(lo, hi, p)
    pt = _Case(claim, ev, at, p, ("" if rel == "==" else f"λ {rel} ") + fmt_value(p), note,
               facts)
    if all_errored and exact == "open":
        return error
    # 1. hypotheses, 2. certified facts, 3. a controlled LLC, 4. inconclusive
    unmet = _unmet(claim, ev)
    if unmet:
        vac = None if exact == "open" else _vacuous(n_params_of(ev), p, rel)
        would = ("" if exact == "open" else f" (the certified facts alone would give: {exact})"
                 if vac is None else f" (the certified facts alone would decide nothing: the "
                 f"predicted {pt.ptxt} holds for every model{vac[0]})")
        return PointVerdict("inconclusive", f"inconclusive: hypothesis not met at {at}: "
                            + "; ".join(f"{n}: {why}" for n, why in unmet) + would
                            + "; would decide: " + (
                                _where_hypotheses_hold(claim, ev, unmet) if vac is None else
                                # a w* where they hold would assert nothing either (cor5.3
                                # at K = 4: an outside theorist's review)
                                f"nothing at this point decides ({_vacuous_here(ev, p, rel)}):"
                                f" {vac[1]}")
                            + note, facts=facts)
    if (vacuous := _vacuous(n_params_of(ev), p, rel)) is not None:
        every, would = vacuous
        # where λ at w* is not defined, say so too (the bound is vacuous either way)
        undefined = "".join(f"; {f.text}" for f in facts if f.route == "w*")
        return PointVerdict("inconclusive", f"inconclusive at {at}: the predicted {pt.ptxt} "
                            f"holds for every model{every}, so it asserts nothing here"
                            f"{undefined}; would decide: {would}" + note, facts=facts,
                            asserts_nothing=True)
    if exact != "open":
        why = [f.text for f in cert
               if _exact_verdict(f.low, f.high, p, rel, f.low_open) == exact]
        return _certified(pt, exact, why or [flo.text, fhi.text], lo, hi)
    return _by_llc(pt, controls or {}, lo, hi)


def _vacuous(n_params: int | None, p: sp.Expr, rel: str) -> tuple[str, str] | None:
    """(Which models, what would decide) where a bound holds for every model: an upper bound
    ``λ <= P`` or ``λ < P`` that the dimension alone implies (P ≥ d/2, or above it: an
    outside reading, Cor. 5.3's bound equals d/2 = pK/2 wherever K ≤ p(2p − 1)), or a lower
    bound ``λ >= P`` with P ≤ 0 or ``λ > P`` with P < 0 (λ ≥ 0 for every model, since K ≥ 0:
    an outside acceptance run had "λ ≥ 0" confirmed as certified). Its confirmation would say
    nothing of the claim. ``None`` otherwise. ``n_params``: the model's d
    (:func:`~slttheory.verify.judge.facts.n_params_of`), known also at a w* where no fact at
    w* is drawn (a closed form there confirmed "λ ≤ d/2" as certified, an audit of the
    README's rules)."""
    if rel in (">=", ">"):
        if _exact_verdict(sp.Integer(0), None, p, rel) != "confirmed":
            return None
        return " (λ ≥ 0 for every model, since K ≥ 0)", "a lower bound above 0"
    if rel not in ("<=", "<") or not n_params:
        return None
    d = sp.Rational(n_params, 2)
    if _exact_verdict(None, d, p, rel) != "confirmed":
        return None
    return (f" of this dimension ({n_params} parameters ⇒ λ ≤ {fmt_value(d)} (K ≤ C‖w − w*‖² "
            "near a minimum))", "a point where the bound is below d/2")


def _vacuous_here(ev: PointEvidence, p: sp.Expr, rel: str) -> str:
    """Where :func:`_vacuous` says the bound P asserts nothing, what P is here in words."""
    if rel in (">=", ">"):
        return "the bound is 0 here" if _equal(p, sp.Integer(0)) else "the bound is below 0 here"
    d = sp.Rational(n_params_of(ev) or 0, 2)
    return "the bound is d/2 here" if _equal(p, d) else "the bound is above d/2 here"


@dataclass(frozen=True)
class _Case:
    """What the verdict rules of one point share: the claim, the evidence, where (text), the
    prediction P and its text, the note every reason ends with, the graded facts."""

    claim: Claim
    ev: PointEvidence
    at: str
    p: sp.Expr
    ptxt: str
    note: str
    facts: tuple[Fact, ...]


def _fit_only(claim: Claim, ev: PointEvidence, at: str, predicted: sp.Expr | None, note: str,
              facts: tuple[Fact, ...]) -> PointVerdict:
    """A scaling claim's point: its stated coefficients are judged by the claim's fit, within
    coef_rel (or their decimal rounding on exact values); a point compared with them exactly
    would say "refuted" where the claim is confirmed (0.333·d against d/3)."""
    unmet = unmet_hypotheses(claim, ev, None)
    if unmet:
        return PointVerdict("inconclusive", f"inconclusive: hypothesis not met at {at}: "
                            + "; ".join(unmet) + f"; left out of the fit{note}", facts=facts)
    stated = "" if predicted is None else (
        f" (the stated coefficients give {fmt_value(predicted)} here)")
    return PointVerdict("inconclusive", f"{FIT_ONLY} at {at}{stated}, it enters the fit "
                        f"only, which judges the claim{note}", facts=facts)


def _certified(pt: _Case, exact: str, why: Sequence[str], lo: Any, hi: Any) -> PointVerdict:
    """Rule 2: the certified facts ``why`` decide ``exact`` (refuted or confirmed)."""
    facts = "; ".join(why)
    caveat = unimposed_note(pt.claim, pt.ev) + pt.note
    if exact == "refuted":
        rounded = rounded_decimal(pt.p, lo, hi) if _decimal_eq(pt.claim) else ""
        return PointVerdict("refuted", f"refuted (certified) at {pt.at}: {facts}, against the "
                            f"predicted {pt.ptxt}{rounded}{caveat}", "certified", pt.facts)
    return PointVerdict("confirmed", f"confirmed (certified) at {pt.at}: {facts} gives the "
                        f"predicted {pt.ptxt}{caveat}", "certified", pt.facts)


def _by_llc(pt: _Case, controls: Mapping[str, ControlSet], lo: Any, hi: Any) -> PointVerdict:
    """Rule 3, else rule 4: a controlled LLC decides where its preconditions hold (a training
    set that can carry 2P, a w* that is a minimum, a band not outside what is proved, robust
    to the reruns); otherwise the point is inconclusive, saying what would decide it."""
    claim, ev, p, rel = pt.claim, pt.ev, pt.p, pt.claim.relation
    cannot = llc_cannot_reach(ev, p)
    if cannot and ev.llc is not None:
        return PointVerdict("inconclusive", f"inconclusive at {pt.at}: no certified route "
                            f"decides, and {cannot}{pt.note}", facts=pt.facts)
    tol = claim.tolerance.llc_abs_for(float(p))
    llc = llc_assessment(claim, ev, controls, p, lo, hi)  # a band outside lo, hi: uncontrolled
    if llc.grade == "controlled" and not not_a_minimum(ev):
        b = llc.band
        bv = band_verdict(b, float(p), rel, tol)
        # each end on its side of P and, for ==, of the window P ± tol it is compared with
        refs = band_refs(float(p), rel, tol)
        btxt = (f"controlled LLC band [{edge_text(b.low, refs, 4)}, "
                f"{edge_text(b.high, refs, 4)}] (λ̂ = {ev.llc.mean:.4g} ± "
                f"{ev.llc.std_error:.2g}, corrected {b.corrected:.4g} by {len(b.controls)} "
                f"controls; same verdict at γ × 3, γ / 3, ε / 2)")
        caveat = unimposed_note(claim, ev) + pt.note
        if bv == "refuted":
            return PointVerdict("refuted", f"refuted (controlled) at {pt.at}: {btxt} excludes "
                                f"the predicted {pt.ptxt}{caveat}", "controlled", pt.facts, llc)
        if bv == "confirmed":
            within = (f", and lies within the claim's tolerance ± {tol:.3g} of it"
                      if rel == "==" else "")
            verb = "contains the predicted" if rel == "==" else "satisfies the predicted"
            return PointVerdict("confirmed", f"confirmed (controlled) at {pt.at}: {btxt} "
                                f"{verb} {pt.ptxt}{within}{caveat}", "controlled", pt.facts, llc)
        llc = LLCAssessment(
            "controlled", b, f"its band [{edge_text(b.low, refs, 4)}, "
            f"{edge_text(b.high, refs, 4)}] contains the prediction "
            f"but reaches beyond it ± {tol:.3g} (the tolerance)" if rel == "==" else
            f"its band [{edge_text(b.low, refs, 4)}, {edge_text(b.high, refs, 4)}] "
            f"straddles {fmt_value(p)}: some of its values "
            f"satisfy λ {rel} {fmt_value(p)} and some do not")
    return PointVerdict("inconclusive", f"inconclusive at {pt.at}: "
                        + _undecided(claim, pt.facts, llc, ev, pt.ptxt, p) + pt.note,
                        facts=pt.facts, llc=llc)


def _two_statements(facts: Sequence[Fact], p: sp.Expr) -> str:
    """A caveat where a formula that is only context (the claim's own source, or as stated)
    gives another exact value than the prediction here: the sources state two values at this
    point (seed 001's Thm 4.2 against its App. G at p = 1), which a reader should see whatever
    the verdict ("" otherwise)."""
    other = [f for f in facts if f.grade == "context" and f.route.endswith("closed form")
             and f.low is not None and f.low == f.high and not _equal(f.low, p)]
    if not other:
        return ""
    vals = ", ".join(sorted({fmt_value(f.low) for f in other}))
    # not "a library formula": for a --families plugin's own formula that read as if the
    # package had one of its own (an outside run); the reason names the formula before this
    return (f" [a formula that is not evidence here (as stated, or from the claim's own "
            f"source) gives {vals} at this point, not the predicted {fmt_value(p)}: the "
            "statements disagree here]")


def _undecided(claim: Claim, facts: Sequence[Fact], llc: LLCAssessment, ev: PointEvidence,
               ptxt: str, p: sp.Expr | None = None) -> str:
    """Why nothing decided, and what would (``p``: the prediction, for the LLC's advice)."""
    parts = []
    cert = [f.text for f in facts if f.grade == "certified"]
    ctx = [f"{f.text} — {f.note}" for f in facts if f.grade == "context"]
    parts.append("no certified route decides" + (f" ({'; '.join(cert)}: consistent with "
                                                  f"{ptxt})" if cert else ""))
    parts += ctx
    if ev.llc is not None and (why_not := not_a_minimum(ev)):
        parts.append(why_not)
    lc = ev.llc
    if llc.grade == "absent":
        skipped = ev.llc is None and "llc" in claim.evidence
        unasked = ev.llc is None and "llc" not in claim.evidence
        parts.append("the LLC route is not run in this profile (see the claim's [profiles] "
                     "table; the full profile runs it)" if skipped else
                     f"the claim does not ask for the LLC route (evidence = "
                     f"{list(claim.evidence)})" if unasked else llc.why)
    elif llc.grade == "failed":
        parts.append(llc.why)
    else:
        b = llc.band
        why = llc.why or (f"its band [{b.low:.4g}, {b.high:.4g}]" if b is not None else "")
        se = "?" if lc.std_error is None else f"{lc.std_error:.2g}"
        parts.append(f"LLC λ̂ = {lc.mean:.4g} ± {se} is {llc.grade}"
                     + (f": {why}" if why else ""))
    failed = [n for n, r in _named_routes(ev) if r is not None and r.status != "ok"]
    # a route that raised (a plugin's build, a rank map) first: the advice below assumes the
    # routes ran (an outside usability audit read it as the reason)
    first = (f"the failed route(s) ({', '.join(failed)}: see [route errors]) run, then "
             if failed else "")
    parts.append("would decide: " + first + " or ".join(_deciders(claim, ev, llc, facts, p)))
    return "; ".join(parts)


def _deciders(claim: Claim, ev: PointEvidence, llc: LLCAssessment | None = None,
              facts: Sequence[Fact] = (), p: sp.Expr | None = None) -> list[str]:
    """What could decide an undecided point, among what the claim's family can run (``p``:
    the prediction, for an ``==`` claim's LLC advice; ``None``: not known)."""
    at = ev.at_point
    if no_minimum_for_the_llc(at, ev.llc):  # the records do not agree on w0: as the verdict
        # no formula for λ either: λ at this w* is not defined, so none decides here (the
        # tanh toy: an outside theorist's review)
        return ["a w* that is a local minimum of L_n or a true parameter (λ is not defined at "
                "this one, so nothing measured at it decides: train to convergence; there, a "
                "certified positive-definite Hessian would give λ = d/2 by the Morse lemma "
                "(not a route the library runs: none of the verifier's routes certifies a "
                "Hessian), which an LLC at a nearly flat minimum may read far below)"]
    out = ["an established formula for λ from a source other than the claim's"]
    if "rank" in claim.routes_available:  # else no polynomial rank map: nothing to suggest
        _, hi, _, _ = _interval([f for f in facts if f.grade == "certified"])
        out += _rank_decider(claim, ev.rank, hi, ev.at_point)
    if "llc" not in claim.evidence:
        m = stated_multiplicity(ev)
        if m is not None and m[0] > MAX_MULTIPLICITY:  # its LLC would stay uncontrolled
            out.append(f"an LLC with controls of multiplicity at least {m[0]} (as {m[1]} "
                       f"states it here, and the controls' is at most {MAX_MULTIPLICITY}: adding "
                       '"llc" to the claim\'s evidence would give an uncontrolled LLC only)')
        else:
            out.append('an LLC with controls (add "llc" to the claim\'s evidence)')
    elif not_a_minimum(ev):
        out.append("an LLC at a w* that is a local minimum of L_n (none at this w* decides)")
    elif (few := _too_few_controls(llc)) is not None:
        m = _beyond_its_controls(ev, llc)
        out.append(f"an LLC with at least {MIN_CONTROLS} usable controls of certified λ (here "
                   f"{few})" + ("" if m is None else f", one of multiplicity at least {m} "
                                "(lower ones do not measure its bias)"))
    elif (m := _beyond_its_controls(ev, llc)) is not None:
        out.append(f"an LLC with controls of multiplicity at least {m} (lower ones do not "
                   "measure its bias)")
    elif llc is not None and llc.not_robust:
        # its band decided; what it lacked is the same verdict at every rerun ("narrow
        # enough" or "on one side" misstated it: a band that excludes P is neither)
        out.append("an LLC whose controlled band gives the same verdict at each of γ × 3, "
                   "γ / 3 and ε / 2, each rerun passing its diagnostics")
    elif claim.relation == "==" and (envelope := _envelope_too_wide(claim, llc, p)):
        out.append(envelope)
    elif claim.relation == "==":
        out.append("an LLC whose controls agree and whose band is narrow enough to lie "
                   "within the tolerance around the prediction")
    else:
        out.append("an LLC whose controls agree and whose band lies on one side of the "
                   "prediction")
    return out


def _envelope_too_wide(claim: Claim, llc: LLCAssessment | None, p: sp.Expr | None) -> str:
    """An ``==`` claim's LLC advice where its controls' bias envelope [r_lo, r_hi] rules out
    confirmation ("" otherwise, and where no controls were measured). The band is
    [(λ̂ − 2se)/r_hi, (λ̂ + 2se + u)/r_lo] (:func:`~slttheory.verify.judge.llc.llc_band`), so
    its ends are in a ratio of at least r_hi/r_lo wherever its lower end is above 0; it
    confirms only lying within [P − tol, P + tol] (:func:`~slttheory.verify.judge.facts.
    band_verdict`, tol = ``Tolerance.llc_abs_for(P)``), whose ends are in the ratio
    (P + tol)/(P − tol) where P − tol > 0: a wider envelope confirms at no λ̂ and se ("narrow
    enough to lie within the tolerance" asked for what no LLC with these controls can give:
    an outside theorist's review)."""
    band = llc.band if llc is not None else None
    if band is None or p is None or not band.controls:
        return ""
    r_lo, r_hi = band.ratio_low, band.ratio_high
    try:
        pf = float(p)
    except TypeError:
        return ""
    if not all(map(math.isfinite, (r_lo, r_hi, pf))) or r_lo <= 0:
        return ""
    tol = claim.tolerance.llc_abs_for(pf)
    lo, hi = pf - tol, pf + tol
    if lo <= 0 or r_hi / r_lo <= hi / lo:
        return ""
    return (f"an LLC with controls whose bias envelope is narrower than the tolerance window, "
            f"or a certified route (an LLC here can only refute: its controls' bias envelope "
            f"[r_lo, r_hi] = [{r_lo:.4g}, {r_hi:.4g}] spans a ratio r_hi/r_lo = "
            f"{r_hi / r_lo:.3g}, and so does at least any band it corrects, [(λ̂ − 2se)/r_hi, "
            f"(λ̂ + 2se)/r_lo]; the tolerance window [{lo:.4g}, {hi:.4g}] = "
            f"{fmt_value(p)} ± {tol:.3g} a band must lie within to confirm spans only "
            f"{hi / lo:.3g})")


def _too_few_controls(llc: LLCAssessment | None) -> int | None:
    """How many usable controls an LLC's band had where that was fewer than
    :data:`~slttheory.verify.judge.llc.MIN_CONTROLS` (``None`` otherwise, and where none were
    measured): the advice names the count first, as the band's own reason does (it had named
    only a missing multiplicity-2 control where two controls of three were lacking)."""
    band = llc.band if llc is not None else None
    if band is None or band.controlled or not band.controls:
        return None
    k = len(usable_controls(band.controls))
    return k if k < MIN_CONTROLS else None


def _beyond_its_controls(ev: PointEvidence, llc: LLCAssessment | None) -> int | None:
    """The point's stated multiplicity where it exceeds every usable control's of its LLC
    (:func:`~slttheory.verify.judge.llc.beyond_controls`; ``None`` otherwise)."""
    m = stated_multiplicity(ev)
    band = llc.band if llc is not None else None
    if m is None:
        return None
    if band is None or not band.controls:  # none measured here: the kinds controls span
        return m[0] if m[0] > MAX_MULTIPLICITY else None
    return m[0] if beyond_controls(m, usable_controls(band.controls)) else None


def _rank_decider(claim: Claim, rk: Any, hi: Any = None, at: Any = None) -> list[str]:
    """What the rank route could still add at an undecided point ([] if nothing). ``hi``:
    the certified upper bound on λ at the point (``None``: none); where half the generic
    rank found exceeds it, λ is not half the generic rank, so w* is not minimally singular
    and no argument that it is can exist (reduced-rank regression below full rank: generic
    rank/2 = 9 against the codimension bound 11/2 at (m, h, n, r) = (5, 3, 4, 0)). ``at``:
    the w* measurement, whose ``extras["rank_map"]`` says what the family's rank map states
    at the point where the claim does not run the rank route (:func:`_unasked_rank`).

    >>> from slttheory.verify.evidence.records import RankEvidence
    >>> rk = RankEvidence("ok", rank=18, certified=True, bound=1e-9)
    >>> class C: evidence = ("rank",)
    >>> _rank_decider(C, rk, sp.Rational(11, 2))
    []
    >>> _rank_decider(C, rk, sp.Integer(9))[0][:46]
    'an argument that w* is minimally singular, so '
    """
    if "rank" not in claim.evidence:
        return _unasked_rank(at)
    if rk is None or rk.status != "ok":
        return ["the rank route, which did not give a rank here"]
    how = str(getattr(rk, "point_rank_how", "") or "")
    if "the rank map's function differs" in how or "the rank map is unchecked" in how:
        # a plugin's rank map that is not its model's function (routes._rank_map_disagreement)
        return ["a rank map that is the model's own function on its inputs (this one is "
                "not, or could not be compared with it: see the rank at w*)"]
    if not rk.equality_certified:
        return ["a generic rank certain beyond its Schwartz–Zippel bound (more rank trials)"]
    if not rk.determines_lambda:
        if (hi is not None and rk.certified and rk.rank is not None
                and _exact_verdict(None, hi, sp.Rational(rk.rank, 2), "<") == "confirmed"):
            return []  # rank/2 > a proved bound on λ: w* is not minimally singular
        bounds = ("its rank at w* bounds λ only from below" if rk.point_rank is not None else
                  "and the generic rank alone bounds nothing at this w*")
        return ["an argument that w* is minimally singular, so that λ is half the generic "
                f"rank (the family gives none here: {bounds})"]
    return []


UNKNOWN_RANK_ADVICE = ('the rank route (add "rank" to the claim\'s evidence; what it gives at '
                       "this point was not recorded: it decides only where the family "
                       "justifies λ = rank/2 at w*, and elsewhere gives bounds on λ at most, "
                       "or nothing)")
"""The rank route's advice where nothing says what the family's rank map states at the point
(w* not measured or failed, evidence stored before the record was kept): what it could do,
promising neither a decision nor a bound (it had read "elsewhere bounds λ only from below",
which a trained w*, a Jacobian 0 at w* or one above the route's budget do not give)."""


def _unasked_rank(at: Any) -> list[str]:
    """What adding the rank route would do, from what the family's rank map states at the
    point (``at.extras["rank_map"]``,
    :func:`~slttheory.verify.evidence.routes.with_rank_map`): it decides where the family
    gives λ = rank/2 there; elsewhere it bounds λ from below by half rank J(w*) only, which is
    nothing where w* is a trained point or where the exact Jacobian at w* = 0 is 0 (deep
    linear networks and reduced-rank regression at r = 0), and it computes nothing above its
    budget, nor where the rank map could not be built at the point (``{"error": why}``: the
    route builds it the same way). No record (w* not measured or failed, or measured before
    the record was kept): :data:`UNKNOWN_RANK_ADVICE`. (A family with no rank map is never
    advised it: its claims do not list the route in ``routes_available``.)

    >>> from slttheory.verify.evidence.records import AtPoint
    >>> _unasked_rank(None) == [UNKNOWN_RANK_ADVICE]
    True
    >>> _unasked_rank(AtPoint("ok", extras={"rank_map": {"gives_lambda": False,
    ...     "degree": 2, "true_point": "support", "computed": True, "w_star_zero": True,
    ...     "jacobian_zero_at_w_star": True}}))
    []
    >>> _unasked_rank(AtPoint("ok", extras={"rank_map": {"error": "ValueError: no map"}}))
    []
    """
    rec = at.extras.get("rank_map") if at is not None and at.status == "ok" else None
    if isinstance(rec, Mapping) and "error" in rec and "gives_lambda" not in rec:
        return []  # the rank map cannot be built here: the rank route would fail as well
    if not isinstance(rec, Mapping) or not isinstance(rec.get("gives_lambda"), bool):
        return [UNKNOWN_RANK_ADVICE]
    if rec.get("computed") is False:
        return []  # the route would not compute a rank here (degree or Jacobian size)
    if rec["gives_lambda"]:
        return ['the rank route (add "rank" to the claim\'s evidence): it decides here: the '
                "family gives λ = rank/2 at this point"]
    if rec.get("jacobian_zero_at_w_star") is True:
        return []  # rank J(w*) = 0: it bounds λ by 0 only
    if rec.get("true_point") == "trained" and isinstance(rec.get("degree"), int) \
            and rec["degree"] > 1:
        return []  # no certified rank at a trained w*: it bounds nothing here
    return ['the rank route (add "rank" to the claim\'s evidence): here it can only bound λ '
            "from below by half the Jacobian's rank at w*"]


# --- claims --------------------------------------------------------------------------------


SCOPE_LISTED = 8
"""At most this many grid tuples are listed in a reach; larger sets are described by the
grid they fill (with the few tuples it lacks) or counted within it."""


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def math_text(expr: str) -> str:
    """A claim's constraint (Python syntax) as mathematics, for display only: ``**2`` → ²,
    ``**k`` → ^k, ``<=`` → ≤, ``>=`` → ≥, ``==`` → =, ``!=`` → ≠, a ``*`` after a number
    dropped and any other ``*`` → ·, a binary ``-`` → − (the reach text had read
    "feature_rank <= p**2 - 1", an outside review). The constraint itself is never rewritten.

    >>> math_text("feature_rank <= p**2 - 1")
    'feature_rank ≤ p² − 1'
    >>> math_text("n + r <= m + h and (h <= 4 or r == h)")
    'n + r ≤ m + h and (h ≤ 4 or r = h)'
    >>> math_text("k < p*(2*p + 1) and k >= p - 1")
    'k < p·(2p + 1) and k ≥ p − 1'
    >>> math_text("k >= d*(d + 1)/2"), math_text("x != 2**k"), math_text("x2*y")
    ('k ≥ d·(d + 1)/2', 'x ≠ 2^k', 'x2·y')
    """
    s = re.sub(r"\s*\*\*\s*(\d+)(?![\w.])", lambda m: m.group(1).translate(_SUPERSCRIPT), expr)
    s = re.sub(r"\s*\*\*\s*", "^", s)
    s = re.sub(r"(?<![\w.])(\d+)\s*\*\s*(?=[A-Za-z_(])", r"\1", s)
    s = re.sub(r"\s*\*\s*", "·", s)
    for a, b in (("<=", "≤"), (">=", "≥"), ("!=", "≠"), ("==", "=")):
        s = s.replace(a, b)
    return re.sub(r"(?<=[\w)\]²³¹⁰⁴⁵⁶⁷⁸⁹]) - ", " − ", s)


def scope(points: Sequence[Mapping[str, Any]], names: Sequence[str],
          grid: Sequence[Mapping[str, Any]] | None = None, constraint: str | None = None
          ) -> str:
    """How far a set of grid points reaches, in the grid variables ``names``: a product of
    value sets where the points fill one, else the points themselves, and for a large set
    the product it lies in (less the few points it lacks, or with a count).

    >>> scope([{"d": 3, "k": 1}, {"d": 4, "k": 1}, {"d": 3, "k": 2}, {"d": 4, "k": 2}], ["d", "k"])
    'd ∈ {3, 4}, k ∈ {1, 2}'
    >>> scope([{"d": 3, "k": 1}, {"d": 4, "k": 2}], ["d", "k"])
    '(d, k) ∈ {(3, 1), (4, 2)}'
    >>> scope([{"d": d} for d in range(1, 41)], ["d"])
    'd ∈ {1, 2, …, 40}'
    >>> grid = [{"d": d, "k": k} for d in range(2, 12) for k in range(1, 6)]
    >>> scope([p for p in grid if (p["d"], p["k"]) != (5, 3)], ["d", "k"])
    'd ∈ {2, 3, …, 11}, k ∈ {1, 2, 3, 4, 5} except (d, k) = (5, 3)'
    >>> scope([p for p in grid if p["k"] < p["d"] - 3], ["d", "k"])
    '25 of the 35 points of d ∈ {5, 6, …, 11}, k ∈ {1, 2, 3, 4, 5}'

    With the claim's ``constraint`` and every ``grid`` point it kept, points the constraint
    removed are not counted as missing (they were never judged):

    A claim without a grid has one point, named by its fixed parameters:

    >>> scope([{"powers": (1, 2)}], [])
    'the point powers = [1, 2]'

    >>> scope([p for p in grid if p["k"] < p["d"] - 3], ["d", "k"], grid=[p for p in grid
    ...       if p["k"] < p["d"] - 3], constraint="k < d - 3")
    'every point of d ∈ {5, 6, …, 11}, k ∈ {1, 2, 3, 4, 5} with k < d − 3'
    >>> kept = [p for p in grid if p["k"] <= p["d"] - 3]
    >>> scope([p for p in kept if (p["d"] + p["k"]) % 3], ["d", "k"], grid=kept,
    ...       constraint="k <= d - 3")  # of the 30 it kept, not of the product's 40
    '20 of the 30 points of d ∈ {4, 5, …, 11}, k ∈ {1, 2, 3, 4, 5} with k ≤ d − 3'
    """
    names = [n for n in names if any(n in p for p in points)]
    if not points:
        return "no point"

    def fv(v):
        return fmt_point({"x": v}).removeprefix("x=")

    if not names:  # a claim without a grid: its one point, named by its parameters
        named = ", ".join(f"{n} = {fv(v)}" for n, v in sorted(points[0].items()))
        return f"the point {named}" if len(points) == 1 and named else "the point"

    values = {n: sorted({fv(p[n]) for p in points}, key=_natural) for n in names}
    full = 1
    for v in values.values():
        full *= len(v)
    product = ", ".join(f"{n} = {v[0]}" if len(v) == 1 else f"{n} ∈ {_value_set(v)}"
                        for n, v in values.items())
    tuples = {tuple(fv(p[n]) for n in names) for p in points}
    if full == len(tuples):
        return product
    if constraint and grid is not None:
        # the product's tuples the constraint removed were never judged: not "missing"
        judged = {tuple(fv(p[n]) for n in names) for p in grid if all(n in p for n in names)}
        inside = judged & set(itertools.product(*values.values()))
        shown = math_text(constraint)
        if tuples == inside:
            return f"every point of {product} with {shown}"
        missing = inside - tuples
        if len(missing) <= SCOPE_LISTED // 2 and len(tuples) > SCOPE_LISTED:
            return (f"every point of {product} with {shown} except "
                    + _listed(missing, names))
        if len(tuples) > SCOPE_LISTED and len(missing) > SCOPE_LISTED // 2:
            # counted among the points the constraint kept, not the whole product's
            return f"{len(tuples)} of the {len(inside)} points of {product} with {shown}"

    if len(tuples) <= SCOPE_LISTED:
        return _listed(tuples, names)
    if full - len(tuples) <= SCOPE_LISTED // 2:
        missing = set(itertools.product(*values.values())) - tuples
        return f"{product} except {_listed(missing, names)}"
    return f"{len(tuples)} of the {full} points of {product}"


def _listed(ts: set, names: Sequence[str]) -> str:
    """``(d, k) ∈ {(3, 1), (4, 2)}`` (or ``= (3, 1)`` for one tuple)."""
    if len(ts) == 1:
        return f"({', '.join(names)}) = ({', '.join(next(iter(ts)))})"
    return (f"({', '.join(names)}) ∈ {{"
            + ", ".join(f"({', '.join(t)})" for t in sorted(ts, key=_natural_tuple)) + "}")


def _value_set(values: Sequence[str]) -> str:
    """``{1, 2, …, 40}`` for a run of more than five consecutive integers, else every value."""
    try:
        ints = [int(v) for v in values]
    except ValueError:
        ints = None
    if (ints is not None and len(ints) > 5 and [str(i) for i in ints] == list(values)
            and ints == list(range(ints[0], ints[-1] + 1))):
        return f"{{{ints[0]}, {ints[1]}, …, {ints[-1]}}}"
    return "{" + ", ".join(values) + "}"


def _natural_tuple(t: tuple[str, ...]):
    return tuple(_natural(x) for x in t)


def _natural(s: str):
    """Sort key of a shown value: numbers by value, lists ``[1, 2, 3]`` by length and then
    element by element (``[1, 1, 1]`` before ``[1, 1, 1, 1]``), anything else as text.

    >>> sorted(["[1, 1, 1, 1]", "[1, 1, 1]", "10", "9"], key=_natural)
    ['9', '10', '[1, 1, 1]', '[1, 1, 1, 1]']
    """
    try:
        return (0, (float(s),), s)
    except ValueError:
        pass
    if s.startswith("[") and s.endswith("]"):
        try:
            items = [float(x) for x in s[1:-1].split(",") if x.strip()]
            return (1, (len(items), *items), s)
        except ValueError:
            pass
    return (2, (), s)


def claim_verdict(points: Sequence[tuple[Mapping[str, Any], PointVerdict]],
                  names: Sequence[str], constraint: str | None = None) -> PointVerdict:
    """Aggregate point verdicts: refuted if any, confirmed if all, error if all, else
    inconclusive; the reason says where each verdict holds and by which grade.

    >>> pts = [({"d": 3}, PointVerdict("confirmed", "c", "certified")),
    ...        ({"d": 4}, PointVerdict("refuted", "refuted (certified) at d=4: x", "certified"))]
    >>> claim_verdict(pts, ["d"]).reason
    'refuted at d = 4 (certified); first at d=4: x [confirmed at d = 3]'
    >>> mixed = [({"d": 2}, PointVerdict("confirmed", "c", "certified")),
    ...          ({"d": 4}, PointVerdict("confirmed", "c", "controlled"))]
    >>> claim_verdict(mixed, ["d"]).grade     # a confirmation is as strong as its weakest point
    'controlled'
    >>> two = [({"d": 2}, PointVerdict("refuted", "refuted (controlled) at d=2: y", "controlled")),
    ...        ({"d": 4}, PointVerdict("refuted", "refuted (certified) at d=4: x", "certified"))]
    >>> claim_verdict(two, ["d"]).reason      # it quotes a point of the deciding grade
    'refuted at d ∈ {2, 4} (certified/controlled); first at d=4: x'
    """
    if not points:
        return PointVerdict("error", "error: no grid points were evaluated")
    by = {v: [(q, pv) for q, pv in points if pv.verdict == v] for v in VERDICTS}

    def where(v: str) -> str:
        return scope([q for q, _ in by[v]], names, [q for q, _ in points], constraint)

    def grades(v: str) -> str:
        gs = sorted({pv.grade for _, pv in by[v]})
        return "/".join(gs)

    others = [f"{v} at {where(v)}" for v in ("confirmed", "refuted", "inconclusive", "error")
              if by[v]]

    def tail(pv: PointVerdict) -> str:  # "refuted (certified) at d=3: x" -> "at d=3: x"
        t = re.sub(r"^(confirmed|refuted|inconclusive|error)( \(\w+\))?:? ?", "", pv.reason)
        return f" {t}" if t.startswith("at ") else f": {t}"

    def grade(v: str, pick) -> str:  # the claim's grade from its deciding points'
        return pick((pv.grade for _, pv in by[v]), key=_GRADE_ORDER.index)

    if by["refuted"]:  # one refuting point suffices: the strongest refutation's grade
        g = grade("refuted", min)
        first = next(pv for _, pv in by["refuted"] if pv.grade == g)  # quote a deciding one
        rest = [o for o in others if not o.startswith("refuted")]
        return PointVerdict("refuted", f"refuted at {where('refuted')} ({grades('refuted')}); "
                            f"first{tail(first)}" + (f" [{'; '.join(rest)}]" if rest else ""),
                            g)
    if len(by["confirmed"]) == len(points):  # every point is needed: the weakest grade
        g = grade("confirmed", max)
        first = next(pv for _, pv in by["confirmed"] if pv.grade == g)
        return PointVerdict("confirmed", f"confirmed at {where('confirmed')} "
                            f"({grades('confirmed')}); first{tail(first)}"
                            + (" …" if len(points) > 1 else ""), g)
    if len(by["error"]) == len(points):
        return PointVerdict("error", f"{by['error'][0][1].reason} [all {len(points)} points "
                            "errored]")
    first = next(pv for _, pv in points if pv.verdict in ("inconclusive", "error"))
    return PointVerdict("inconclusive", f"inconclusive ({'; '.join(others)}); first undecided"
                        f"{tail(first)}")
