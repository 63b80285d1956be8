"""A red-team audit of the LLC verdict rules (README § Verdicts, rule 3; § Scaling claims):
a true statement refuted by a controlled LLC, found on synthetic evidence."""

from __future__ import annotations

import pytest
from test_judge import (
    KEY,
    MINIMUM,
    V,
    claim,
    controls,
    lc,
    scaling_claim,
)

from slttheory.verify.evidence.records import (
    ClosedFormEvidence,
    ControlRun,
    ControlSet,
    PointEvidence,
    Rerun,
)
from slttheory.verify.judge import scaling_verdict
from slttheory.verify.judge.facts import stated_multiplicity
from slttheory.verify.judge.llc import llc_band


def _stated(value: str, multiplicity: str, exact: bool) -> ClosedFormEvidence:
    """A plugin's formula (as stated: context only) at the point, stating a multiplicity."""
    return ClosedFormEvidence("ok", value=value, exact=exact, multiplicity=multiplicity,
                              case="c", source="Someone 2020", standing="as_stated",
                              reference="Someone 2020", formula="plugin_formula")


@pytest.mark.parametrize("value, multiplicity, exact", [
    ("2.00000000000000", "3", False),   # λ = 0.5·d computed in floats by a plugin
    ("2", "3.0", True),                 # its multiplicity given as a float
])
def test_a_stated_multiplicity_withholds_whatever_its_spelling(value, multiplicity, exact):
    """λ = d/2 is true here; the estimator reads multiplicity 3 some 35 % low, and the
    controls go to multiplicity 2. The formula's multiplicity 3 must withhold the LLC's
    decision (rule 3) whether or not its λ has a float in it and whether m reads 3 or 3.0:
    it had been dropped, and the true λ = 2 refuted (controlled)."""
    ev = PointEvidence(_stated(value, multiplicity, exact), None, lc(1.3, se=0.02), 0.0,
                       at_point=MINIMUM)
    assert stated_multiplicity(ev) == (3, "plugin_formula")
    v = V(claim("d/2"), ev, 4, controls())
    assert v.verdict == "inconclusive" and v.grade == "none"
    assert "multiplicity 3" in v.reason


def _lopsided_controls():
    """Three controls that agree (χ² p ≈ 0.03): one reads 0.7 ± 0.2, two read 1.0 ± 0.01. The
    envelope is [0.3, 1.1], the weighted mean bias ≈ 1.0: a band reaches far further above
    its corrected value than below."""
    runs = []
    for i, (ratio, spread) in enumerate(((0.7, 0.2), (1.0, 0.01), (1.0, 0.01))):
        kind, m = ("regular", 1) if i == 0 else (f"singular, m = {i}", i)
        for s, e in enumerate((-1.0, 0.0, 1.0)):
            runs.append(ControlRun("regular", {"d": i + 2}, kind, "1", m, "rank", s,
                                   mean=ratio + e * spread, std_error=1e-4, passed=True))
    return {KEY: ControlSet(KEY, {}, tuple(runs))}


def test_a_true_coefficient_is_not_refuted_where_every_band_holds_it():
    """λ = 0.5·d, read at 0.32 of λ (within the controls' envelope [0.3, 1.1]): every
    point's band holds 0.5·d, so the stated coefficient 0.5 is not refuted (a point's band
    that holds P never refutes it). The coefficient's allowance had scaled the values by
    1 ± the bands' half-width, which stops short of their upper ends, and refuted it."""
    ctl = _lopsided_controls()
    ds = tuple(range(1, 13))
    evs = [PointEvidence(None, None, lc(0.32 * 0.5 * d, se=1e-6), 0.0, at_point=MINIMUM)
           for d in ds]
    for d, ev in zip(ds, evs, strict=True):
        b = llc_band(ev.llc.mean, ev.llc.std_error, ctl[KEY])
        assert b.controlled and b.low <= 0.5 * d <= b.high
    v = scaling_verdict(scaling_claim([0.5], shape="linear", ds=ds), [{"d": d} for d in ds],
                        evs, ctl)
    assert v.verdict != "refuted", v.reason
    # a coefficient outside every band is still refuted
    off = scaling_verdict(scaling_claim([2.0], shape="linear", ds=ds),
                          [{"d": d} for d in ds], evs, ctl)
    assert off.verdict == "refuted", off.reason


def test_a_refutation_must_keep_its_side_at_every_rerun():
    """λ = P claimed, P = 2: the band above P at the estimator's settings and below P at
    γ / 3 each exclude P, but they are disjoint, so one of them misses λ: the estimate is not
    robust, and the point is inconclusive (a red-team audit's open point). Bands on one side
    at every setting still refute."""
    ctl = controls(spread=0.01)
    sides = (Rerun("γ × 3", 2.6, 0.02, True), Rerun("γ / 3", 1.4, 0.02, True),
             Rerun("ε / 2", 2.6, 0.02, True))
    v = V(claim("2"), PointEvidence(None, None, lc(2.6, reruns=sides), 0.0,
                                    at_point=MINIMUM), ctl=ctl)
    assert v.verdict == "inconclusive" and "not robust" in v.reason and "γ / 3" in v.reason, \
        v.reason
    same = tuple(Rerun(r.setting, 2.6 if r.setting != "γ / 3" else 2.8, 0.02, True)
                 for r in sides)
    v = V(claim("2"), PointEvidence(None, None, lc(2.6, reruns=same), 0.0,
                                    at_point=MINIMUM), ctl=ctl)
    assert (v.verdict, v.grade) == ("refuted", "controlled"), v.reason


def test_an_experiment_refutation_of_a_range_must_keep_its_side_at_every_rerun():
    """'within [0.75, 1.25]': an interval below the range at the estimator's settings and one
    above it at ε / 2 each refute, but one of the two disjoint intervals misses the truth, so
    the statement about λ is not decided; below at every rerun it is refuted."""
    from slttheory.experiments import Statistic
    from slttheory.verify.claims.experiment import Criterion
    from slttheory.verify.evidence.records import RERUN_SETTINGS
    from slttheory.verify.judge.experiment import judge_criterion

    def st(e):
        return Statistic("slope", e, e - 0.05, e + 0.05, 0.95, "t", 9, about="lambda", min_n=5)

    c = Criterion("slope", "within", range=(0.75, 1.25))
    below = {k: st(0.5) for k in RERUN_SETTINGS}
    assert judge_criterion(c, st(0.5), below)[0] == "refuted"
    v, why = judge_criterion(c, st(0.5), {**below, "ε / 2": st(1.5)})
    assert v == "inconclusive" and "other side" in why, why
