"""Decision points of the scaling verdict (``slttheory/verify/judge/scaling.py``) that a
mutation run found unpinned: each test cites the rule of verification/README.md ("Scaling
claims" and the rules table row "scaling") that it holds the code to."""

from __future__ import annotations

from types import SimpleNamespace

import sympy as sp
from test_judge import MINIMUM, controls, lc, rk, scaling_claim, two_variable_scaling_claim

from slttheory.verify.evidence.records import PointEvidence, Rerun
from slttheory.verify.judge.scaling import (
    Fit,
    _certified_off,
    _judge_group,
    _Row,
    _ShapeFits,
    _shared_bias,
    _unconfirmed,
    _within_every_band,
    scaling_verdict,
)


def _claim(shape="linear", coefs=None, ds=tuple(range(1, 9)), min_r2=0.95):
    """:func:`test_judge.scaling_claim` with a linear shape over d = 1 … 8."""
    return scaling_claim(coefs, shape, ds, min_r2)


def _ev(n=1000, key="K"):
    return SimpleNamespace(llc=SimpleNamespace(config={"n": n}, control_key=key))


def _fit(p, shape="linear", r2=0.99, role="stated"):
    return Fit({}, shape, (1.0, 2.0, 3.0, 4.0), (1.0, 2.0, 3.0, 4.0), (1.0,), (0.01,), r2,
               1.0, "llc", p, role)


def _fits(p=0.5, rival_p=0.001, r2=0.99, profile=None, rival_profile=None):
    return _ShapeFits(_fit(p, r2=r2), _fit(rival_p, "xlogx", role="rival"), False, None,
                      None, False, (1.0,), (1.0,), 0.0, profile, rival_profile)


def test_the_stated_shape_is_rejected_below_p_0_01_and_not_at_it():
    """README: refuted "when the stated shape is rejected (p < 0.01 ...)": p = 0.01 exactly
    does not reject it."""
    assert not _fits(p=0.01).shape_rejected
    assert _fits(p=0.0099).shape_rejected


def test_the_rival_is_rejected_only_below_p_0_05():
    """README: the rival must be "rejected (p < 0.05 ...)" for a confirmation: at p = 0.05,
    or at 0.07, it is not, and the stated shape cannot be confirmed over it."""
    assert not _fits(rival_p=0.05).rival_rejected
    assert not _fits(rival_p=0.07).rival_rejected
    assert _fits(rival_p=0.049).rival_rejected


def test_goodness_of_fit_and_r2_boundaries_confirm_at_their_ends():
    """README: a confirmation needs "goodness of fit p ≥ 0.05" and "R² ≥ min_r2": both ends
    are included, so p = 0.05 and R² = min_r2 leave nothing missing."""
    rows = [(float(d), 0.5 * d, 0.01 * d, _ev(), "controlled") for d in (1, 2, 4, 8)]
    c = _claim(min_r2=0.95)
    assert _unconfirmed(c, rows, _fits(p=0.05, r2=0.95)) == []
    assert _unconfirmed(c, rows, _fits(p=0.0499, r2=0.95)) != []
    assert _unconfirmed(c, rows, _fits(p=0.05, r2=0.9499)) != []


def test_a_setting_that_changes_at_the_first_point_only_blocks_a_confirmation():
    """README: confirmed only with "estimator settings constant along the sweep (or each
    point corrected by controls at its own settings)": n = 500 at d = 1 only, beside
    n = 1000 elsewhere under one control key, is a change no control corrects for."""
    rows = [(float(d), 0.5 * d, 0.005 * d, _ev(500 if d == 1 else 1000), "controlled")
            for d in range(1, 9)]
    v, why, _, _ = _judge_group(_claim(), {}, rows)
    assert v == "inconclusive" and "estimator settings change" in why, why
    same = [(x, y, s, _ev(), g) for x, y, s, _, g in rows]
    assert _judge_group(_claim(), {}, same)[0] == "confirmed"


def test_a_mixed_group_rejects_a_shape_only_at_its_best_factor_within_the_shared_bias():
    """README: "in a group that mixes certified and LLC values ... a shape, stated or rival,
    is rejected only if it is so whatever common factor within 1 ± that shared bias scales
    the LLC values". λ = d/2 certified at d = 1 beside LLC values of 0.44·d: one of them
    (d = 2) has a band of ±14 %, so the values may share a 14 % bias, and 0.44·d × 1.136 is
    d/2 exactly. The χ² at factor 1 rejects linear, and the narrow bands at d ≥ 4 exclude
    d/2, but the shape is not refuted (only not confirmed: its measured fit is poor)."""
    rows = [(1.0, 0.5, 0.0, None, "certified")] + [
        (float(d), 0.44 * d, (0.07 if d == 2 else 0.0025) * 0.44 * d, _ev(), "controlled")
        for d in (2, 4, 8, 16)]
    v, why, _, _ = _judge_group(_claim(ds=(1, 2, 4, 8, 16)), {}, rows)
    assert v == "inconclusive", why


def test_a_mixed_group_with_exactly_enough_certified_values_is_refuted_by_them_alone():
    """README: "A mixed group whose certified values alone reject the shape is refuted
    (certified)". Two certified values (a linear fit needs 2) at d = 1, 2 of λ = 0.5, 1.5 are
    not c·d in exact arithmetic: the refutation rests on them, whatever the LLC values say."""
    rows = [(1.0, 0.5, 0.0, None, "certified"), (2.0, 1.5, 0.0, None, "certified")] + [
        (float(d), 0.5 * d, 0.01 * d, _ev(), "controlled") for d in (4, 8)]
    v, why, _, on_certified = _judge_group(_claim(ds=(1, 2, 4, 8)), {}, rows)
    assert (v, on_certified) == ("refuted", True), why


def test_a_group_with_exactly_the_values_a_fit_needs_is_fitted_and_can_refute():
    """README: a confirmation needs ≥ 4 values, but a refutation only the fit itself ("a
    coefficient off beyond 4 s.e. + shared bias"): two tight LLC values of 0.3·d refute a
    stated 0.5·d (a linear fit needs 2 values of d)."""
    rows = [(float(d), 0.3 * d, 0.001 * d, _ev(), "controlled") for d in (1, 2)]
    v, why, _, _ = _judge_group(_claim(coefs=[0.5], ds=(1, 2)), {}, rows)
    assert v == "refuted" and "coefficient" in why, why


def test_the_shared_bias_reaches_the_bands_further_end_below_as_well_as_above():
    """README: the bias the controlled values may share is "the largest distance from a value
    to its band's further end, relative to the value": a band reaching 50 % below its value
    and 10 % above gives 50 %."""
    assert _shared_bias([_Row(1.0, 1.0, 0.15, None, "controlled", (0.5, 1.1))]) == 0.5


def test_a_certified_value_just_beyond_the_stated_rounding_refutes():
    """README: "each certified value must itself lie within the stated coefficients'
    prediction widened by their rounding" (an integer is exact): λ = 2.004 at d = 1 misses
    a stated 2·d, however little."""
    sc = SimpleNamespace(shape="linear", variable="d", coefficients=[sp.Integer(2)])
    assert _certified_off(sc, [(1.0, 2.004, 0.0, None, "certified")]) != []
    assert _certified_off(sc, [(1.0, 2.0, 0.0, None, "certified")]) == []


def test_a_rerun_must_repeat_every_groups_verdict_not_only_the_first():
    """README: a confirmation or refutation must survive the reruns: "the same fits on the
    values of the reruns ... must give the same verdict in every group, else it is
    inconclusive". Group k=1 is refuted at every setting; group k=2 is confirmed at the
    estimator's settings and refuted at its reruns: the claim's 'refuted' does not hold in
    every group, so it is inconclusive."""
    c = two_variable_scaling_claim(
        "k", (1, 2), {"variable": "d", "shape": "linear", "coefficients": [1]})
    params, evs = [], []
    for k in (1, 2):
        for d in (1, 2, 4, 8, 16):
            base, rerun = (2.0 * d, 2.0 * d) if k == 1 else (1.0 * d, 2.0 * d)
            params.append({"d": d, "k": k})
            evs.append(PointEvidence(None, None, lc(base, se=1e-6, reruns=tuple(
                Rerun(s, rerun, 1e-6, True) for s in ("γ × 3", "γ / 3", "ε / 2"))), 0.0,
                at_point=MINIMUM))
    v = scaling_verdict(c, params, evs, controls(spread=0.005))
    assert v.verdict == "inconclusive" and "moves at k=2" in v.reason, v.reason


def test_a_certified_value_is_its_own_band_to_round_off_only():
    """README: on LLC values a shape is refuted only where no λ of it lies within every
    value's band, and a certified value is exact (its band is itself, to round-off): λ = 1 at
    d = 1 and 2.0005 at d = 2, both certified, admit no c·d."""
    cert = [(1.0, 1.0, 0.0, None, "certified"), (2.0, 2.0005, 0.0, None, "certified")]
    assert not _within_every_band(cert, "linear")
    assert _within_every_band([cert[0], (2.0, 2.0, 0.0, None, "certified")], "linear")


def test_a_group_refuted_on_its_certified_values_alone_is_not_undone_by_a_missing_rerun():
    """README: "A mixed group whose certified values alone reject the shape is refuted
    (certified)", and only "every LLC-decided verdict" must survive the reruns. Group g=1
    holds λ = d/2 certified at d = 1..8 (its leading term is 0: not quadratic) beside an LLC
    value at d = 16 that has no reruns: the group stays refuted in the claim's reach, while
    g=2, decided by LLC values that hold at every rerun, stays confirmed."""
    c = two_variable_scaling_claim("g", (1, 2), {"variable": "d", "shape": "quadratic"},
                                   ("rank", "llc"))
    params, evs = [], []
    for g in (1, 2):
        for d in (1, 2, 4, 8, 16):
            params.append({"d": d, "g": g})
            if g == 1 and d < 16:
                evs.append(PointEvidence(None, rk(d), None, 0.0, at_point=MINIMUM))
            elif g == 1:  # an LLC value with no reruns
                evs.append(PointEvidence(None, None, lc(8.0, se=1e-6, reruns=()), 0.0,
                                         at_point=MINIMUM))
            else:
                evs.append(PointEvidence(None, None, lc(0.1 * d * d + d, se=1e-6), 0.0,
                                         at_point=MINIMUM))
    v = scaling_verdict(c, params, evs, controls(spread=0.005))
    assert (v.verdict, v.grade) == ("refuted", "certified"), v.reason
    assert dict(v.groups) == {"g=1": "refuted", "g=2": "confirmed"}, (v.groups, v.reason)
