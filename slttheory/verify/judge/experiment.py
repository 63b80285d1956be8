"""Verdicts of experiment claims: each criterion judged on its statistic's interval.

From the statistic's ``1 − alpha`` interval [lo, hi]:

=========  ==========================  ==========================
expect     confirmed                   refuted
=========  ==========================  ==========================
positive   lo > 0                      hi < 0
negative   hi < 0                      lo > 0
above t    lo > t                      hi < t
below t    hi < t                      lo > t
within     a ≤ lo and hi ≤ b           hi < a or lo > b
=========  ==========================  ==========================

otherwise inconclusive; so is a statistic whose interval is at a level below the criterion's
1 − alpha or is no interval (low above high). The same gate as for points applies first: a
statistic rests only on LLC estimates that passed their diagnostics (the experiment counts
the ones it excluded; where it excluded any, the statistic can refute but not confirm), and
one with fewer clean values than its ``min_n`` (at least 5 runs for a run-level statistic), or
without a finite interval, is inconclusive. A statistic that compares an absolute λ̂ with a
theorem's value (``needs_controls``) decides nothing without LLC controls. One about λ
(``about = "lambda"``: our own estimator's LLCs) keeps a verdict only if the same statistic,
computed from its LLCs rerun at γ × 3, γ / 3 and ε / 2 (every other setting and draw as
before), gets the same verdict under these rules. The quick profile decides no criterion:
it runs reduced sizes and budgets, while a statistic of a seed's experiment or estimator
output is about the seed's settings (and the reruns a statement about λ needs are not run
there). A criterion that
states a shape along a grid (its ``shape``, one of the shapes its statistic fits: n_c ∝ p log p,
GSM ∝ exp(−b·lr)) follows the scaling rules of :mod:`slttheory.verify.judge.scaling` as
well, on errors that hold the spread between independent runs (``complete_errors``; narrower
errors decide neither way): confirmed only
with at least ``MIN_VALUES`` grid values, the stated shape's goodness-of-fit p ≥ 0.05 and its
nearest rival's < 0.05; refuted also when the stated shape's p < 0.01.
A claim is refuted when any criterion is, confirmed when all are, error when the experiment
failed.

>>> from slttheory.verify.claims import Criterion
>>> from slttheory.experiments import Statistic
>>> rho = Statistic("rho", 0.8, 0.5, 0.95, 0.95, "Fisher z", 10)
>>> judge_criterion(Criterion("rho", "positive"), rho)[0]
'confirmed'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from slttheory.verify.claims import Criterion, ExperimentClaim
from slttheory.verify.evidence.records import RERUN_SETTINGS, RERUN_SETTINGS_TEXT
from slttheory.verify.judge.scaling import MIN_VALUES

__all__ = ["judge_criterion", "judge_experiment"]


def judge_criterion(c: Criterion, s: Any, reruns: Mapping[str, Any] | None = None
                    ) -> tuple[str, str]:
    """``(verdict, reason)`` of one criterion given the :class:`Statistic` ``s``; a statistic
    about λ keeps a decided verdict only if the same statistic computed from the reruns of its
    LLCs (``reruns``: label of :data:`RERUN_SETTINGS` → statistic) gives the same verdict."""
    v, why = _judge_statistic(c, s)
    if s is None or getattr(s, "about", "") != "lambda" or v == "inconclusive":
        return v, why
    return _rerun_rule(c, v, why, reruns, s)


def _judge_statistic(c: Criterion, s: Any) -> tuple[str, str]:
    """The interval rules, then the shape rules where the criterion states a shape; a
    confirmation only where no LLC estimate was excluded (:func:`_all_values`)."""
    v, why = _judge_interval(c, s)
    fits = getattr(s, "shape", None)
    if c.shape is None or s is None:
        return _all_values(v, why, s)
    if not s.decidable:
        # an interval known on one side only can still decide by its known end, but the
        # shape rules (values, fit, rival) were never applied: it may refute, not confirm
        if v == "confirmed":
            return "inconclusive", (f"{why}; not confirmed: the criterion states the shape "
                                    f"{c.shape!r}, and a statistic without a two-sided "
                                    "interval on enough values is not judged by its fits")
        return _all_values(v, why, s)
    if getattr(s, "needs_controls", False):
        return v, why  # an absolute λ̂ without controls decides nothing, not even by its shape
    if fits is None or c.shape not in fits.keys:
        return "inconclusive", f"{why}; the shape {c.shape!r} was not fitted"
    return _all_values(*_shape_rules(v, why, fits, c.shape), s)


def _all_values(v: str, why: str, s: Any) -> tuple[str, str]:
    """``v``, except that a confirmation resting on part of the LLC estimates is inconclusive:
    the point claims' rule (an LLC that failed its diagnostics leaves its point out of the fit,
    and so the claim is not confirmed). Which estimates fail is no chance: it follows the
    value (an outside audit confirmed "lower than theory across all degrees" from degree 1's
    runs alone, the 90 others excluded). A refutation by the clean values stands.

    >>> from slttheory.experiments import Statistic
    >>> s = Statistic("d", 2.0, 1.0, 3.0, 0.95, "t", 9, n_excluded=1, min_n=5)
    >>> _all_values("confirmed", "ok", s)[0], _all_values("refuted", "ok", s)[0]
    ('inconclusive', 'refuted')
    """
    excl = int(getattr(s, "n_excluded", 0) or 0)
    if v != "confirmed" or not excl:
        return v, why
    return "inconclusive", (f"{why}; not confirmed: {excl} LLC estimate(s) failed their "
                            "diagnostics, and a confirmation must rest on every value the "
                            "statement covers (which estimates fail follows the value)")


def _below_range(c: Criterion, s: Any) -> bool:
    """Whether a statistic refuting ``within [a, b]`` lies below a (else above b)."""
    hi = s.high
    return c.range is not None and hi == hi and hi < c.range[0]


def _rerun_rule(c: Criterion, v: str, why: str, reruns: Mapping[str, Any] | None,
                base: Any = None) -> tuple[str, str]:
    """``v`` if the criterion's verdict is ``v`` at every rerun, else inconclusive; a
    refutation of ``within [a, b]`` must stay on the same side of the range (intervals below
    and above it each refute, but one of the two disjoint intervals misses the truth).

    >>> from slttheory.experiments import Statistic
    >>> st = lambda e: Statistic("d", e, e - 1, e + 1, 0.95, "t", 5, about="lambda", min_n=5)
    >>> c = Criterion("d", "positive")
    >>> _rerun_rule(c, "confirmed", "ok", {k: st(3.0) for k in RERUN_SETTINGS})[0]
    'confirmed'
    >>> _rerun_rule(c, "confirmed", "ok", {**{k: st(3.0) for k in RERUN_SETTINGS},
    ...                                    "ε / 2": st(0.5)})[1][:45]
    'ok; not decided: the verdict changes to incon'
    """
    if reruns is None:
        return "inconclusive", (f"{why}; not decided: a statement about λ from LLC estimates "
                                "decides only if its verdict survives reruns of those estimates "
                                f"at {RERUN_SETTINGS_TEXT}, which this run did not compute "
                                "(the quick profile skips them)")
    seen = []
    for label in RERUN_SETTINGS:
        st = reruns.get(label)
        if st is None:
            return "inconclusive", f"{why}; not decided: the rerun at {label} was not computed"
        v2, why2 = _judge_statistic(c, st)
        if v2 != v:
            return "inconclusive", (f"{why}; not decided: the verdict changes to {v2} at "
                                    f"{label} ({why2})")
        if (v == "refuted" and c.expect == "within" and base is not None
                and _below_range(c, st) != _below_range(c, base)):
            return "inconclusive", (f"{why}; not decided: at {label} the interval is on the "
                                    f"other side of the range ({why2})")
        seen.append(f"{label}: {st.estimate:.4g} [{st.low:.4g}, {st.high:.4g}]")
    return v, f"{why}; the same verdict at every rerun ({'; '.join(seen)})"


def _shape_rules(v: str, why: str, t: Any, stated: str) -> tuple[str, str]:
    """The scaling rules for the ``stated`` shape on top of an interval verdict ``v`` (module
    docstring).

    >>> from slttheory.experiments import ShapeTest
    >>> fits = (("a", "y ∝ a", 0.5), ("b", "y ∝ b", 0.001))
    >>> t = ShapeTest("p", 5, True, fits, {"a": "b", "b": "a"})
    >>> _shape_rules("confirmed", "ok", t, "a")[0], _shape_rules("confirmed", "ok", t, "b")[0]
    ('confirmed', 'refuted')
    >>> _shape_rules("confirmed", "ok", ShapeTest("p", 3, True, fits, {"a": "b"}), "a")[0]
    'inconclusive'
    >>> narrow = ShapeTest("p", 5, False, fits, {"a": "b", "b": "a"})  # no between-run spread
    >>> [_shape_rules(v, "", narrow, "b")[0] for v in ("confirmed", "refuted")]
    ['inconclusive', 'refuted']
    """
    rival = t.rivals.get(stated)
    p_st = t.p_value(stated)
    p_rv = None if rival is None else t.p_value(rival)
    fits = (f"; shape: {t.text(stated)} fits with p = {_p(p_st)}"
            + ("" if rival is None else f", its rival {t.text(rival)} with p = {_p(p_rv)}")
            + f", over {t.values} value(s) of {t.variable}")
    if p_st is not None and p_st < 0.01:
        if t.complete_errors:
            return "refuted", f"{why}{fits}: the stated shape is rejected (p < 0.01)"
        misfit = ("the stated shape misfits (p < 0.01) on errors without the spread between "
                  "runs, which cannot refute")
        if v == "refuted":  # the interval refutes on its own; the shape adds nothing
            return v, f"{why}{fits}; {misfit} (the interval alone decides)"
        return "inconclusive", f"{why}{fits}; {misfit}: more runs would decide"
    if v != "confirmed":
        return v, why + fits
    missing = []
    if not t.complete_errors:
        missing.append("the errors hold no spread between runs (fewer than 2 runs bracket "
                       "each value), so the rival's rejection is not trusted")
    if t.values < MIN_VALUES:
        missing.append(f"only {t.values} values of {t.variable} (needs {MIN_VALUES})")
    if p_st is None or not p_st >= 0.05:
        missing.append(f"the stated shape fits with p = {_p(p_st)} < 0.05")
    if rival is None or p_rv is None or not p_rv < 0.05:
        missing.append(f"the rival {t.text(rival) if rival else '(none)'} is not rejected "
                       f"(p = {_p(p_rv)} ≥ 0.05)")
    if missing:
        return "inconclusive", f"{why}{fits}; not confirmed: {'; '.join(missing)}"
    return v, why + fits


def _p(x: Any, spec: str = ".3g") -> str:
    """A number in a reason, "–" where there is none (no clean value), as the tables show."""
    return "–" if x is None or not math.isfinite(x) else format(x, spec)


def _judge_interval(c: Criterion, s: Any) -> tuple[str, str]:
    if s is None:
        return "inconclusive", f"{c.statistic}: not computed"
    est, lo, hi = s.estimate, s.low, s.high
    excl = int(getattr(s, "n_excluded", 0) or 0)
    excl_txt = f"; {excl} LLC estimate(s) failed diagnostics and were excluded" if excl else ""
    ci = (f"{c.statistic} = {_p(est, '.4g')}, {100 * s.level:.0f}% CI "
          f"[{_p(lo, '.4g')}, {_p(hi, '.4g')}] "
          f"({s.method}; n = {s.n}{excl_txt})")
    about = getattr(s, "about", "")
    label = {"estimator_output": " [the seed's estimator output at its sampler settings, not "
             "a statement about λ]"}.get(about, "")
    min_n = int(getattr(s, "min_n", 0) or 0)
    if getattr(s, "needs_controls", False):
        # before the count: whatever the count, it cannot decide
        why = f" ({s.note})" if getattr(s, "note", "") else ""
        return "inconclusive", (f"{ci}: compares an absolute λ̂ with a theorem's value, which "
                                "needs LLC controls of known λ under the same rules, and "
                                "experiment claims run none (a point claim on the same model "
                                f"gets them), so it cannot decide here{why}{label}")
    if min_n and s.n < min_n:
        # "clean" is the LLC gate's word; a statistic of training dynamics has no LLC. The
        # note says what it counts ("3 of 5 runs grokked", "0/3 moduli with a bracketed
        # boundary"), less what the reason already says (the exclusions, the minimum)
        llc = about in ("lambda", "estimator_output") or excl
        what = "clean value(s)" if llc else "usable value(s)"
        kept = [t for t in str(getattr(s, "note", "") or "").split("; ")
                if t and "failed diagnostics: excluded" not in t and "< min_n" not in t]
        why = f" ({'; '.join(kept)})" if kept else ""
        return "inconclusive", (f"{c.statistic}: only {s.n} {what}, its criterion needs "
                                f"at least {min_n}{why}{excl_txt}{label}")
    if math.isnan(lo) and math.isnan(hi) or not math.isfinite(est):
        why = f"; {s.note}" if getattr(s, "note", "") else ""
        return "inconclusive", (f"{c.statistic} = {est:.4g} without a finite interval "
                                f"({s.method}; n = {s.n}){why}{excl_txt}{label}")
    # a statistic whose interval is at a lower level than the criterion's 1 − alpha, or that
    # is no interval (low above high, or an end infinite on the wrong side), decides nothing:
    # [0.5, −1] read as "above 0" by its low end alone (a review)
    if not s.level >= 1 - c.alpha - 1e-9:
        return "inconclusive", (f"{ci}: an interval at level {100 * s.level:.3g} % is below "
                                f"the criterion's {100 * (1 - c.alpha):.3g} %{label}")
    if lo > hi or lo == math.inf or hi == -math.inf:
        return "inconclusive", f"{ci}: not an interval (its ends are out of order){label}"
    # an interval known on one side only (an extreme over values some of which have none):
    # the unknown end is unbounded, so it can decide only through the known one
    lo, hi = (-math.inf if math.isnan(lo) else lo), (math.inf if math.isnan(hi) else hi)
    a, b = {"positive": (0.0, math.inf), "negative": (-math.inf, 0.0),
            "above": (c.threshold, math.inf), "below": (-math.inf, c.threshold)}.get(
        c.expect, c.range or (math.nan, math.nan))
    if c.expect == "within":
        if a <= lo and hi <= b:
            return "confirmed", f"{ci} lies within [{a:g}, {b:g}]{label}"
        if hi < a or lo > b:
            return "refuted", f"{ci} is disjoint from [{a:g}, {b:g}]{label}"
        return "inconclusive", f"{ci} overlaps the edge of [{a:g}, {b:g}]{label}"
    bound = a if math.isfinite(a) else b
    side = "above" if math.isfinite(a) else "below"
    if (lo > a) if math.isfinite(a) else (hi < b):
        return "confirmed", f"{ci} is {side} {bound:g}{label}"
    if (hi < a) if math.isfinite(a) else (lo > b):
        return "refuted", f"{ci} is {'below' if side == 'above' else 'above'} {bound:g}{label}"
    return "inconclusive", f"{ci} contains {bound:g}{label}"


REDUCED_TEXT = ("not decided: the quick profile runs the experiment at reduced sizes and "
                "budgets, not the source's, so its statistics preview the full profile's "
                "and decide nothing")
"""Why no criterion decides in the quick profile (``reduced``)."""

PREVIEW_TEXT = ("quick profile: reduced sizes and budgets, not the source's, so these statistics "
                "preview the full profile's and would decide nothing here whatever they read")
"""Said of an undecided criterion in the quick profile too, so that a near miss there ("overlaps
the edge", "not confirmed: the rival is not rejected") does not read as the source's."""


def judge_experiment(claim: ExperimentClaim, results: Mapping[float, Any],
                     reruns: Mapping[str, Mapping[float, Any]] | None = None,
                     runs: int | None = None, reduced: bool = False
                     ) -> tuple[str, str, list[dict]]:
    """``(verdict, reason, outcomes)`` from the analysis at each criterion's alpha;
    ``reruns``: label → the same analyses on the records at that rerun (None: not run);
    ``runs``: the runs the profile plans in all, named where a criterion needs more clean
    units than that (so the reason does not blame the diagnostics alone); ``reduced``: the
    profile runs reduced settings (quick), where a criterion's verdict is shown and stays
    inconclusive: a statement about a source's experiment or estimator output is about its
    settings, and one about λ lacks its reruns."""
    outcomes = []
    for c in claim.criteria:
        res = results.get(c.alpha)
        st = None if res is None else res.statistics.get(c.statistic)
        at = None if reruns is None else {
            label: None if r.get(c.alpha) is None else r[c.alpha].statistics.get(c.statistic)
            for label, r in reruns.items()}
        v, why = judge_criterion(c, st, at)
        withhold = getattr(claim, "withhold", "")
        if withhold and v != "inconclusive":
            v, why = "inconclusive", f"{why}; would be {v}, but not decided: {withhold}"
        elif reduced and v != "inconclusive":
            v, why = "inconclusive", f"{why}; would be {v} at these settings, but {REDUCED_TEXT}"
        elif reduced:
            why += f" ({PREVIEW_TEXT})"
        if (v == "inconclusive" and st is not None and runs is not None and st.n < st.min_n
                and runs < st.min_n):
            why += f" (this profile plans {runs} run{'s' if runs != 1 else ''} in all)"
        outcomes.append({"criterion": c.to_dict(), "text": c.text(), "verdict": v,
                         "reason": why, "statistic": None if st is None else st.to_dict()})
    vs = [o["verdict"] for o in outcomes]
    if not vs:  # the loader refuses it; all([]) had confirmed a claim of no criterion
        return "inconclusive", "inconclusive: the claim states no criterion", outcomes
    verdict = ("refuted" if "refuted" in vs else
               "confirmed" if all(v == "confirmed" for v in vs) else "inconclusive")
    reason = "; ".join(f"[{o['text']}: {o['verdict']}] {o['reason']}" for o in outcomes)
    return verdict, f"{verdict}: {reason}", outcomes
