r"""From an LLC estimate and its controls to a band for λ (the ``controlled`` grade).

For every control *j* of certified :math:`\lambda_j`, estimated on data sets *s* under the
point's rules, the ratio :math:`r_{js} = \hat\lambda_{js}/\lambda_j` measures the estimator's
relative bias there. Per control: mean :math:`\bar r_j` and spread :math:`s_j` (standard
deviation over data sets: data fluctuation and Monte-Carlo error of one estimate, floored at
the root mean square of the runs' own standard errors, which are the estimator's total error,
the spread between its finite-nβ laws included: so the agreement test below is lenient, and
biases that differ by kind of singularity by less than that error pass it).

- **Agreement.** The biases must agree within their errors: the χ² of the :math:`\bar r_j`
  about their weighted mean, with errors :math:`s_j/\sqrt{S_j}`, must have p ≥ 0.01
  (``AGREE_P``). If they disagree, the bias at the point depends on which kind of singularity it
  has, which no control can tell: the LLC stays ``uncontrolled``.
- **Band.** The envelope of the controls' biases plus their spread,
  :math:`r_- = \min_j(\bar r_j - 2 s_j)`, :math:`r_+ = \max_j(\bar r_j + 2 s_j)`; the point's
  estimate, widened by twice its own standard error (the estimator's total error, the spread
  between finite-nβ laws included), is corrected by it:
  :math:`\lambda \in [(\hat\lambda - 2\,\mathrm{se})/r_+,\ (\hat\lambda + 2\,\mathrm{se} + u)/r_-]`,
  u the most λ could exceed the estimate by in directions it says it cannot see
  (``Diagnostics.unresolved``: weakly curved directions the localisation holds), 0 elsewhere.
- A control needs at least ``MIN_DATASETS`` usable runs (diagnostics passed and a finite
  standard error), and a band at least ``MIN_CONTROLS`` usable controls; otherwise the LLC is
  ``uncontrolled``, with the reason.

The band's coverage (the truth inside it) and power (a value 30 % off outside it) are measured
leave-one-family-out in ``tests/verify/test_controls_coverage.py``.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from scipy import stats

from slttheory.verify.evidence.records import ControlRun, ControlSet

__all__ = [
    "MIN_CONTROLS", "MIN_DATASETS", "AGREE_P", "ControlSummary", "Band", "llc_band",
    "beyond_controls", "usable_controls", "edge_text",
]

MIN_CONTROLS = 3
MIN_DATASETS = 3
AGREE_P = 0.01
Z = 2.0


@dataclass(frozen=True)
class ControlSummary:
    """One control's measured bias: mean ratio λ̂/λ, its spread, how many runs were usable."""

    family: str
    params: dict
    kind: str
    lam: float
    certified_by: str
    ratio: float
    spread: float
    usable: int
    runs: int
    estimates: tuple[float, ...] = ()
    multiplicity: int | None = None


@dataclass(frozen=True)
class Band:
    """``controlled``: a band ``[low, high]`` for λ from the estimate corrected by its controls;
    otherwise ``why`` says what is missing. ``corrected``: λ̂ divided by the mean bias."""

    controlled: bool
    low: float = math.nan
    high: float = math.nan
    corrected: float = math.nan
    ratio_low: float = math.nan
    ratio_high: float = math.nan
    agreement_p: float = math.nan
    why: str = ""
    controls: tuple[ControlSummary, ...] = field(default_factory=tuple)

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def half_width(self) -> float:
        return 0.5 * (self.high - self.low)


def summarise(cs: ControlSet) -> list[ControlSummary]:
    """Per-control bias summaries of a control set (in the order the controls appear)."""
    groups: dict[str, list[ControlRun]] = {}
    for r in cs.runs:
        groups.setdefault(json.dumps([r.family, dict(r.params)], sort_keys=True, default=list),
                          []).append(r)
    out = []
    for runs in groups.values():
        r0 = runs[0]
        lam = r0.lam_value
        # a run needs a finite standard error, as the point's estimate does: one without it
        # had counted as usable with its error left out of the spread's floor, so that
        # controls of undefined error gave a narrower band than controls of large error
        ok = [r for r in runs if r.usable and lam > 0 and r.std_error is not None
              and math.isfinite(r.std_error) and r.std_error >= 0]
        ratios = [r.mean / lam for r in ok]
        mc = [r.std_error / lam for r in ok]
        if len(ratios) >= 2:
            spread = statistics.stdev(ratios)  # exactly 0 for an exact control, no warning
        else:
            spread = math.nan
        if mc:
            spread = max(spread, math.sqrt(sum(v * v for v in mc) / len(mc))) \
                if math.isfinite(spread) else spread
        mean = sum(ratios) / len(ratios) if ratios else math.nan
        mult = r0.multiplicity if r0.multiplicity is not None else \
            1 if r0.kind == "regular" else None
        out.append(ControlSummary(r0.family, dict(r0.params), r0.kind, lam, r0.certified_by,
                                  mean, spread, len(ok), len(runs),
                                  tuple(r.mean for r in ok), mult))
    return out


def llc_band(mean: float | None, std_error: float | None, cs: ControlSet | None,
             unresolved: float = 0.0, multiplicity: tuple[int, str] | None = None) -> Band:
    """The controlled band of an estimate ``mean ± std_error`` (see the module docstring);
    ``unresolved``: how much higher λ may be in directions the estimate says it cannot see
    (``Diagnostics.unresolved``), added to the band's upper end, so that such an estimate
    never refutes a prediction that those directions could reach. ``multiplicity``: the
    point's multiplicity as an exact formula states it, and which (no band where it exceeds
    every usable control's)."""
    if cs is None:
        return Band(False, why="no controls were run under these rules")
    summ = summarise(cs)
    usable = usable_controls(summ)
    wrong = [c for c in usable if c.ratio <= 0]
    if wrong:  # an estimator that reads a control at or below 0 is not one to correct by
        txt = "; ".join(f"{c.family} {_short(c.params)}: λ̂/λ = {c.ratio:.3g}" for c in wrong)
        return Band(False, why=f"a control reads λ̂/λ ≤ 0 ({txt}): the estimator fails on a "
                    "model of known λ under these rules, so no band is built on it",
                    controls=tuple(summ))
    if len(usable) < MIN_CONTROLS:
        bad = [f"{c.family} {_short(c.params)}: {c.usable} of {c.runs} runs passed"
               for c in summ if c not in usable]
        why = ("; ".join(bad) if bad else  # every one usable, too few chosen
               f"only {len(summ)} control(s) of known λ resemble this point")
        return Band(False, why=f"only {len(usable)} of {len(summ)} controls usable "
                    f"(need {MIN_CONTROLS}: {why})", controls=tuple(summ))
    if multiplicity is not None and (why := beyond_controls(multiplicity, usable)):
        return Band(False, why=why, controls=tuple(summ))
    p = _agreement(usable)
    r_lo = min(c.ratio - Z * c.spread for c in usable)
    r_hi = max(c.ratio + Z * c.spread for c in usable)
    if p < AGREE_P:
        txt = ", ".join(f"{c.family} {_short(c.params)} {c.ratio - 1:+.1%}" for c in usable)
        return Band(False, ratio_low=r_lo, ratio_high=r_hi, agreement_p=p,
                    why=f"the controls' biases disagree beyond their errors (χ² p = {p:.2g}: "
                    f"{txt}): the bias at the point depends on its kind of singularity "
                    "(or its conditioning)",
                    controls=tuple(summ))
    if mean is None or not math.isfinite(mean) or r_lo <= 0:
        return Band(False, ratio_low=r_lo, ratio_high=r_hi, agreement_p=p,
                    why=f"the controls' band of bias ratios [{r_lo:.2f}, {r_hi:.2f}] reaches "
                    "zero (too wide to correct by: the controls' spread and errors, ± 2 each)"
                    if r_lo <= 0 else "the estimate is not finite", controls=tuple(summ))
    if std_error is None or not math.isfinite(std_error) or std_error < 0:
        return Band(False, ratio_low=r_lo, ratio_high=r_hi, agreement_p=p,
                    why=f"the estimate has no finite standard error ({std_error}): no band",
                    controls=tuple(summ))
    if mean <= 0:
        # λ > 0 wherever the loss is not flat near w*: an estimate at or below 0 says the
        # estimator failed there (a rerun of u₁⋯u₆ at γ × 3 read −1e-4 ± 2e-4 with its
        # diagnostics passed and built a band that refuted ½, an outside audit)
        return Band(False, ratio_low=r_lo, ratio_high=r_hi, agreement_p=p,
                    why=f"the estimate λ̂ = {mean:.3g} is not above 0, where λ is wherever the "
                    "loss is not flat near w*: the estimator failed here, so no band",
                    controls=tuple(summ))
    if unresolved is not None and not math.isfinite(unresolved):
        # λ may be higher by an amount the estimate cannot say: no upper end to refute with
        return Band(False, ratio_low=r_lo, ratio_high=r_hi, agreement_p=p,
                    why=f"the estimate reports directions it cannot resolve, by an amount not "
                    f"known (unresolved = {unresolved}): no band", controls=tuple(summ))
    se = std_error
    w = [1 / _spread(c) ** 2 for c in usable]
    wmean = sum(wi * c.ratio for wi, c in zip(w, usable, strict=True)) / sum(w)
    extra = max(unresolved or 0.0, 0.0)  # finite here
    return Band(True, (mean - Z * se) / r_hi, (mean + Z * se + extra) / r_lo, mean / wmean,
                r_lo, r_hi, p, controls=tuple(summ))


def usable_controls(summaries: Sequence[ControlSummary]) -> list[ControlSummary]:
    """The controls a band may use: at least :data:`MIN_DATASETS` runs that passed their
    diagnostics, and a finite bias ratio and spread."""
    return [c for c in summaries if c.usable >= MIN_DATASETS and math.isfinite(c.ratio)
            and math.isfinite(c.spread)]


def beyond_controls(multiplicity: tuple[int, str], usable: Sequence[ControlSummary]) -> str:
    """Why controls cannot correct an estimate at a point of higher multiplicity than any of
    theirs ("" where one of them has at least the point's).

    The estimand's leading finite-nβ term is −(m − 1)/log(nβ) (from the zeta function's
    largest pole of order m; Watanabe 2009, *Algebraic Geometry and Statistical Learning
    Theory*, Ch. 4), so the bias grows with m, and the estimator's fits leave part of it:
    normal crossings of multiplicity 3 read 30–50 % low (``docs/estimator.md``). A band from
    controls of lower multiplicity would refute true statements there. The multiplicity may
    come from the claim's own formula: it can only withhold a decision, never make one.

    >>> c = ControlSummary("normal_crossing", {}, "singular, m = 2", 0.5, "", 0.8, 0.05, 3, 3,
    ...                    multiplicity=2)
    >>> beyond_controls((2, "f"), [c])
    ''
    >>> beyond_controls((3, "deep_linear_network"), [c])[:63]
    'the point has multiplicity 3 (as deep_linear_network states it)'
    """
    m, source = multiplicity
    known = [c.multiplicity for c in usable if c.multiplicity is not None]
    top = max(known, default=None)
    if top is not None and m <= top:
        return ""
    have = f"at most {top}" if top is not None else "not known"
    return (f"the point has multiplicity {m} (as {source} states it), its usable controls' "
            f"is {have}: the estimator's bias grows with the multiplicity (about "
            f"−(m − 1)/log nβ; crossings of multiplicity 3 read 30–50 % low), so controls of "
            "lower multiplicity do not measure it here")


def _agreement(cs: Sequence[ControlSummary]) -> float:
    """p-value of the χ² test that the controls share one bias ratio."""
    err2 = [_spread(c) ** 2 / c.usable for c in cs]
    w = [1 / e for e in err2]
    m = sum(wi * c.ratio for wi, c in zip(w, cs, strict=True)) / sum(w)
    chi2 = sum((c.ratio - m) ** 2 / e for c, e in zip(cs, err2, strict=True))
    return float(stats.chi2.sf(chi2, len(cs) - 1))


def _spread(c: ControlSummary) -> float:
    """A control's spread, floored: an exact control (every run λ̂ = λ, no error) has none."""
    return max(c.spread, 1e-12)


def _short(params: dict) -> str:
    return "(" + ", ".join(f"{k}={_v(v)}" for k, v in sorted(params.items())
                           if k not in ("noise",)) + ")"


def _v(v) -> str:
    if isinstance(v, list | tuple):
        return "[" + ",".join(map(str, v)) + "]"
    return str(v)


def edge_text(x: Any, ref: Any = None, digits: int = 3) -> str:
    """``x`` (an interval's end) to ``digits`` significant digits, or as many more as it takes
    to keep it on its own side of ``ref`` (the prediction it is compared with, or several
    numbers it is compared with: the prediction and the ends of its tolerance window): a band
    [1.50003, 1.71] that refutes λ = 3/2 had read "[1.5, 1.71]" beside "refuted", in the
    reason and in both reports, as if it held the prediction (a red-team audit); a band
    [1.34996, 1.504] that reaches below the window 3/2 ± 0.15 had read "[1.35, 1.504] contains
    the prediction but reaches beyond it ± 0.15" (another). Non-numbers (report.json's "nan")
    as they are.

    >>> edge_text(1.50003, 1.5), edge_text(1.50003), edge_text(1.5, 1.5), edge_text(0.372, 1.5)
    ('1.50003', '1.5', '1.5', '0.372')
    >>> edge_text(1.99996, 2, 4), edge_text("nan", 2)
    ('1.99996', 'nan')
    >>> edge_text(1.34996, (1.5, 1.35, 1.65), 4), edge_text(1.34996, 1.5, 4)
    ('1.34996', '1.35')
    """
    if not isinstance(x, int | float) or isinstance(x, bool):
        return str(x)
    text = f"{x:.{digits}g}"
    refs = [r for r in (ref if isinstance(ref, list | tuple) else (ref,))
            if isinstance(r, int | float) and not isinstance(r, bool) and r == r]
    if not refs or x != x or abs(x) == float("inf"):
        return text
    for n in range(digits, 18):
        text = f"{x:.{n}g}"
        y = float(text)
        if all((y > r) == (x > r) and (y < r) == (x < r) for r in refs):
            return text
    return repr(x)
