"""Rules of the controlled LLC band (``slttheory.verify.judge.llc``) that a mutation run of
that module found no test pinning: each test names the rule (module docstring, a function's
docstring or verification/README.md, "LLC controls" and the rules table's "LLC band" row)."""

from __future__ import annotations

import math
import statistics
from dataclasses import replace

import pytest
from test_judge import KEY, controls

from slttheory.verify.evidence.records import ControlSet
from slttheory.verify.judge.llc import (
    MIN_DATASETS,
    Band,
    ControlSummary,
    Z,
    edge_text,
    llc_band,
    summarise,
    usable_controls,
)


def _runs(**kw):
    """The runs of :func:`test_judge.controls` (λ = 2, ½, ¼; three data sets each)."""
    return controls(**kw)[KEY].runs


def _set(runs) -> ControlSet:
    return ControlSet(KEY, {}, tuple(runs))


def _first_control_with(runs, **change):
    """The runs with the first control's (``λ = 2``) three runs changed by ``change``."""
    return [replace(r, **change) if i < 3 else r for i, r in enumerate(runs)]


def test_a_band_holds_its_own_ends():
    """``Band.contains``: the band ``[low, high]`` is closed, so an end is inside it (a
    prediction at an end is not excluded, so not refuted)."""
    b = Band(True, 1.0, 2.0)
    assert b.contains(1.0) and b.contains(2.0) and b.contains(1.5)
    assert not b.contains(0.999) and not b.contains(2.001)


def test_a_control_of_certified_lambda_zero_is_not_used():
    """summarise: a run counts only where λ > 0 (its ratio divides by λ); a control of λ = 0
    is reported with none of its runs usable, and the reason counts its runs."""
    runs = _first_control_with(_runs(), lam="0")
    (c0, *_) = summarise(_set(runs))
    assert (c0.usable, c0.runs, c0.estimates) == (0, 3, ())
    b = llc_band(2.0, 0.05, _set(runs))
    assert not b.controlled
    assert "only 2 of 3 controls usable" in b.why and "0 of 3 runs passed" in b.why, b.why


@pytest.mark.parametrize("se", [math.inf, math.nan, -0.001, None])
def test_a_run_without_a_finite_non_negative_error_is_not_counted(se):
    """summarise: a run is usable only with a finite standard error ≥ 0; the control counts
    its other runs (2 of 3, below ``MIN_DATASETS``), lists only their estimates, and its
    spread's floor holds only their errors."""
    runs = _runs()
    runs = [replace(r, std_error=se) if i == 0 else r for i, r in enumerate(runs)]
    (c0, *_) = summarise(_set(runs))
    assert (c0.usable, c0.runs) == (2, 3)
    assert c0.estimates == tuple(r.mean for r in runs[1:3])
    assert math.isfinite(c0.spread)
    assert c0.usable < MIN_DATASETS and c0 not in usable_controls([c0])
    b = llc_band(2.0, 0.05, _set(runs))
    assert not b.controlled and "2 of 3 runs passed" in b.why, b.why


def test_the_spreads_floor_is_the_root_mean_square_of_the_runs_errors():
    """Module docstring: the spread over data sets is floored at the root mean square of the
    runs' own standard errors (not a smaller average of them)."""
    errors = (0.01, 0.02, 0.02)  # of the ratio λ̂/λ, at λ = 2
    runs = _runs(spread=0.0)
    runs = [replace(r, std_error=2.0 * errors[i]) if i < 3 else r for i, r in enumerate(runs)]
    (c0, *_) = summarise(_set(runs))
    assert c0.ratio == pytest.approx(1.0)
    assert c0.spread == pytest.approx(math.sqrt(sum(e * e for e in errors) / 3), rel=1e-12)


def test_one_data_set_has_no_spread_and_two_have_their_standard_deviation():
    """summarise (``spread`` in report.json): the standard deviation over data sets needs two
    of them (one gives NaN, not its error); two give their standard deviation."""
    runs = _runs(spread=0.02)
    (one,) = summarise(_set(runs[:1]))
    assert math.isnan(one.spread) and one.ratio == pytest.approx(0.98)
    (two,) = summarise(_set(runs[:2]))
    assert two.spread == pytest.approx(statistics.stdev([0.98, 1.0]))


def test_a_regular_control_without_a_stated_multiplicity_is_of_multiplicity_one():
    """summarise: a regular control is of multiplicity 1 where its run states none, so a point
    of stated multiplicity 1 passes the multiplicity gate (``beyond_controls``)."""
    runs = [replace(r, multiplicity=None) for r in _runs()]
    assert [c.multiplicity for c in summarise(_set(runs))] == [1, 1, 1]
    assert llc_band(2.0, 0.05, _set(runs), multiplicity=(1, "f")).controlled


def test_a_singular_control_without_a_multiplicity_stands_for_none():
    """README, LLC controls: a singular control whose multiplicity no test checks has none, so
    it never lets a point of that multiplicity pass; the reason says it is not known (and,
    where controls have one, what the highest is)."""
    runs = [replace(r, kind="singular", multiplicity=None) for r in _runs()]
    assert [c.multiplicity for c in summarise(_set(runs))] == [None, None, None]
    b = llc_band(2.0, 0.05, _set(runs), multiplicity=(1, "f"))
    assert not b.controlled
    assert "multiplicity 1 (as f states it), its usable controls' is not known" in b.why, b.why
    b = llc_band(2.0, 0.05, controls()[KEY], multiplicity=(3, "g"))
    assert not b.controlled and "its usable controls' is at most 1:" in b.why, b.why


def test_a_control_below_zero_that_is_not_usable_does_not_withhold_the_band():
    """llc_band: only a *usable* control reading λ̂/λ ≤ 0 withholds the band (README: "a
    ratio that cannot divide a band"); one with too few passed runs is left out as unusable."""
    extra = [replace(r, params={"d": 99}, mean=-1.0, passed=i > 0)
             for i, r in enumerate(_runs()[:3])]
    cs = _set(_runs() + tuple(extra))
    assert [c.usable for c in summarise(cs)] == [3, 3, 3, 2]
    b = llc_band(2.0, 0.05, cs)
    assert b.controlled, b.why


def test_the_ratio_envelope_spans_every_control():
    """Module docstring, Band: r₋ = min_j(r̄_j − 2 s_j), r₊ = max_j(r̄_j + 2 s_j), the band
    [(λ̂ − 2 se)/r₊, (λ̂ + 2 se)/r₋], and ``ratio_low``/``ratio_high`` report r₋ and r₊."""
    b = llc_band(2.0, 0.05, controls(biases=(0.0, 0.02, -0.02), spread=0.02)[KEY])
    assert b.controlled, b.why
    r_lo, r_hi = 0.98 - Z * 0.02, 1.02 + Z * 0.02
    assert (b.ratio_low, b.ratio_high) == (pytest.approx(r_lo), pytest.approx(r_hi))
    assert b.low == pytest.approx((2.0 - Z * 0.05) / r_hi)
    assert b.high == pytest.approx((2.0 + Z * 0.05) / r_lo)


@pytest.mark.parametrize("mean", [math.nan, math.inf])
def test_a_non_finite_estimate_builds_no_band(mean):
    """llc_band: an estimate that is not finite gives no band (and says so)."""
    b = llc_band(mean, 0.05, controls()[KEY])
    assert not b.controlled and b.why == "the estimate is not finite"


def test_a_negative_standard_error_builds_no_band():
    """llc_band: the estimate's standard error must be finite and ≥ 0; a negative one would
    swap the band's widening for a narrowing."""
    b = llc_band(2.0, -0.05, controls()[KEY])
    assert not b.controlled and "no finite standard error (-0.05)" in b.why, b.why


def test_corrected_divides_by_the_inverse_variance_weighted_bias():
    """Band.corrected: λ̂ over the controls' mean bias weighted by 1/s_j² (floored spreads),
    not their plain mean nor a 1/s_j weighting."""
    runs = (_runs(biases=(0.0, 0.0, 0.0), spread=0.01)[:3]
            + _runs(biases=(0.0, 0.03, 0.0), spread=0.03)[3:6]
            + _runs(biases=(0.0, 0.0, 0.01), spread=0.06)[6:])
    b = llc_band(2.0, 0.05, _set(runs))
    assert b.controlled, b.why
    r = [c.ratio for c in b.controls]
    s = [c.spread for c in b.controls]
    assert s == pytest.approx([0.01, 0.03, 0.06])

    def weighted(p):
        return sum(ri / si ** p for ri, si in zip(r, s, strict=True)) / sum(si ** -p for si in s)

    assert b.corrected == pytest.approx(2.0 / weighted(2), rel=1e-12)
    assert b.corrected != pytest.approx(2.0 / weighted(1), rel=1e-4)
    assert b.corrected != pytest.approx(2.0 / weighted(0), rel=1e-4)


def test_a_negative_unresolved_never_lowers_the_upper_end():
    """llc_band: ``unresolved`` can only raise the band's upper end (how much *higher* λ may
    be); a negative value is taken as 0, never as a narrowing that could refute."""
    cs = controls()[KEY]
    assert llc_band(2.0, 0.05, cs, unresolved=-0.5).high == llc_band(2.0, 0.05, cs).high
    assert llc_band(2.0, 0.05, cs, unresolved=0.5).high > llc_band(2.0, 0.05, cs).high


@pytest.mark.parametrize(("ratio", "spread"), [(math.inf, 0.01), (1.0, math.inf),
                                               (math.nan, 0.01), (1.0, math.nan)])
def test_usable_controls_need_a_finite_ratio_and_spread(ratio, spread):
    """usable_controls: at least ``MIN_DATASETS`` passed runs *and* a finite bias ratio and
    spread (an overflowing mean of ratios 1e308, or a run's error of 1e200, is not one)."""
    good = ControlSummary("regular", {}, "regular", 1.0, "rank", 1.0, 0.01, 3, 3)
    bad = replace(good, ratio=ratio, spread=spread)
    assert usable_controls([good, bad]) == [good]


def test_exact_controls_that_differ_disagree():
    """_spread's floor (1e-12) is for exact controls only: controls that read λ exactly, with
    no error, agree (p = 1) only where their ratios are equal; a 0.1 % difference between
    them is beyond their errors, and no band is built on it."""
    exact = [replace(r, std_error=0.0) for r in _runs(spread=0.0)]
    b = llc_band(2.0, 0.05, _set(exact))
    assert b.controlled and b.agreement_p == pytest.approx(1.0)
    off = [replace(r, std_error=0.0) for r in _runs(biases=(0.0, 0.0, 0.001), spread=0.0)]
    b = llc_band(2.0, 0.05, _set(off))
    assert not b.controlled and "disagree" in b.why and b.agreement_p < 1e-6, b.why


def test_a_reason_names_a_control_by_its_parameters_without_noise():
    """_short/_v: a control is named in a reason by its parameters, sorted, the data's
    ``noise`` left out and a list written compactly ("[2,3]")."""
    runs = [replace(r, params={"widths": [2, 3], "noise": 0.1, "d": 4}, passed=False)
            if i < 3 else r for i, r in enumerate(_runs())]
    b = llc_band(2.0, 0.05, _set(runs))
    assert not b.controlled and "regular (d=4, widths=[2,3]): 0 of 3 runs passed" in b.why, b.why
    assert "noise" not in b.why


def test_edge_text_leaves_a_bool_as_it_is():
    """edge_text: a non-number is written as it is; a bool is not a number here."""
    assert edge_text(True, 1.0) == "True" and edge_text(False) == "False"
