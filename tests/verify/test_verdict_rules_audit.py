"""The README's verdict rules (verification/README.md § Verdicts) against the judge, where an
audit found the code's verdict differing from the stated rule."""

from __future__ import annotations

from dataclasses import replace

from test_judge import V, cf, claim, controls, lc, rk

from slttheory.verify.evidence.records import AtPoint, PointEvidence, Rerun


def test_a_rerun_band_outside_the_certified_facts_is_not_the_same_verdict():
    """Rule 3: a band wholly outside what the certified facts allow decides nothing, and a
    controlled verdict must hold at each of γ × 3, γ / 3 and ε / 2. A rerun at γ × 3 reading
    below the proved λ ≥ 1 (the estimator's error there) had counted as repeating the
    refutation of λ = 4, so the point was "refuted (controlled)"."""
    rank = rk(10, n=10, determines=False, point=2, inputs=True)  # certified 1 ≤ λ ≤ 5
    ok = tuple(Rerun(s, 1.6, 0.02, True) for s in ("γ / 3", "ε / 2"))
    low = (Rerun("γ × 3", 0.4, 0.02, True), *ok)
    v = V(claim("d"), PointEvidence(None, rank, lc(1.6, reruns=low), 0.0), ctl=controls())
    assert v.verdict == "inconclusive", v.reason
    assert "at γ × 3" in v.reason and "outside the certified" in v.reason
    assert v.llc is not None and v.llc.not_robust
    # every rerun inside the proved bounds: the refutation stands, controlled
    fine = (Rerun("γ × 3", 1.6, 0.02, True), *ok)
    v = V(claim("d"), PointEvidence(None, rank, lc(1.6, reruns=fine), 0.0), ctl=controls())
    assert (v.verdict, v.grade) == ("refuted", "controlled"), v.reason


def test_a_bound_the_dimension_implies_asserts_nothing_where_w_star_is_no_minimum():
    """Rule 2: λ ≤ P with P ≥ d/2 holds for every model of d parameters and is inconclusive
    "whatever any route reads". At a trained w* that is neither a local minimum nor a true
    parameter no fact at w* is drawn, λ ≤ d/2 included, and the certified closed form then
    confirmed "λ ≤ 2" for 4 parameters as certified."""
    off = AtPoint("ok", checks={"is_local_min": False, "reason": "not a critical point",
                                "n_params": 4})
    ev = PointEvidence(cf("1"), None, None, 0.0, at_point=off)
    for pred, rel in (("2", "<="), ("3", "<"), ("5/2", "<=")):
        v = V(claim(pred, relation=rel), ev)
        assert v.verdict == "inconclusive" and v.asserts_nothing, (pred, rel, v.reason)
        assert "holds for every model of this dimension" in v.reason
    # below d/2 the bound says something: the closed form decides it
    v = V(claim("3/2", relation="<="), ev)
    assert (v.verdict, v.grade) == ("confirmed", "certified"), v.reason
    v = V(claim("2", relation="<"), ev)  # λ < d/2 is not every model's: regular ones reach it
    assert (v.verdict, v.grade) == ("confirmed", "certified"), v.reason
    # and at a minimum, as before
    at_min = replace(off, checks={**off.checks, "is_local_min": True})
    assert V(claim("2", relation="<="), replace(ev, at_point=at_min)).verdict == "inconclusive"


def _report_point(c, ev, ctl):
    """(the point's verdict, its report.json point, its report.md table row)."""
    from test_judge import judge_claim

    from slttheory.verify.report.data import build_report
    from slttheory.verify.report.markdown import render_markdown

    r = judge_claim(c, [({"d": 4}, ev)], ctl)
    rep = build_report([r], profile="quick", device="cpu", created="2026-01-01")
    row = next(line for line in render_markdown(rep).splitlines() if line.startswith("| d=4 |"))
    return r.points[0].verdict, rep["claims"][0]["points"][0], row


def test_the_report_shows_the_llc_grade_the_verdict_used():
    """report.data graded the LLC again without the certified bounds the judge passes: a point
    that certified facts decide, whose LLC's rerun at γ × 3 reads below the proved λ ≥ 1, was
    shown with a "controlled" band (the rerun, unbounded, repeats the refutation) where the
    judge's own assessment is uncontrolled. Both reports now show the judge's."""
    from slttheory.verify.judge.facts import assess_llc

    rank = rk(10, n=10, determines=False, point=2, inputs=True)  # certified 1 ≤ λ ≤ 5
    ok = tuple(Rerun(s, 1.6, 0.02, True) for s in ("γ / 3", "ε / 2"))
    low = (Rerun("γ × 3", 0.4, 0.02, True), *ok)
    minimum = AtPoint("ok", checks={"is_local_min": True, "reason": "a local minimum"})
    ev = PointEvidence(None, rank, lc(1.6, reruns=low), 0.0, at_point=minimum)
    c = claim("6")  # λ ≤ 5 refutes it, certified
    v, p, row = _report_point(c, ev, controls())
    assert (v.verdict, v.grade) == ("refuted", "certified"), v.reason
    assert v.llc is not None and v.llc.grade == "uncontrolled"
    assert "at γ × 3" in v.llc.why and "outside the certified" in v.llc.why
    # the second grading, without the bounds, would have said otherwise
    tol = c.tolerance.llc_abs_for(6.0)
    assert assess_llc(ev.llc, controls(), 6.0, "==", tol).grade == "controlled"
    assert (p["verdict"], p["grade"]) == ("refuted", "certified")
    assert (p["llc"]["grade"], p["llc"]["assessment"]) == ("uncontrolled", v.llc.why)
    assert "(uncontrolled)" in row and "→" not in row and "refuted (certified)" in row, row

    # decided by the LLC route: the reason, report.json and report.md say one thing
    v, p, row = _report_point(claim("d"), ev, controls())
    assert v.verdict == "inconclusive" and "outside the certified" in v.reason, v.reason
    assert p["grade"] == "none" and p["reason"] == v.reason
    assert p["llc"]["grade"] == "uncontrolled" and p["llc"]["assessment"] in v.reason
    assert "(uncontrolled)" in row and "→" not in row, row
    # every rerun inside the bounds: controlled everywhere, the band shown
    fine = replace(ev, llc=lc(1.6, reruns=(Rerun("γ × 3", 1.6, 0.02, True), *ok)))
    v, p, row = _report_point(claim("d"), fine, controls())
    assert (v.verdict, v.grade, p["grade"]) == ("refuted", "controlled", "controlled")
    assert p["llc"]["grade"] == "controlled" and "(controlled)" in row and "→" in row, row


def test_reruns_under_unexpected_settings_are_said_to_be_so_not_unrun():
    """A rerun under a label that is not one of γ × 3, γ / 3, ε / 2 was run: "the reruns …
    were not run (found: …)" misread it."""
    same = dict(mean=2.0, se=0.02)
    odd = (Rerun("γ × 3", same["mean"], same["se"], True),
           Rerun("γ × 2", same["mean"], same["se"], True),
           Rerun("ε / 2", same["mean"], same["se"], True))
    v = V(claim(), PointEvidence(None, None, lc(2.0, reruns=odd), 0.0), ctl=controls())
    assert v.verdict == "inconclusive" and "were not run" not in v.reason, v.reason
    assert "missing: γ / 3; found under unexpected settings: γ × 2" in v.reason, v.reason
    extra = (*(Rerun(s, 2.0, 0.02, True) for s in ("γ × 3", "γ / 3", "ε / 2")),
             Rerun("γ × 10", 2.0, 0.02, True))
    v = V(claim(), PointEvidence(None, None, lc(2.0, reruns=extra), 0.0), ctl=controls())
    assert v.verdict == "inconclusive" and "missing" not in v.reason, v.reason
    assert "found under unexpected settings: γ × 10" in v.reason, v.reason
    v = V(claim(), PointEvidence(None, None, lc(2.0, reruns=()), 0.0), ctl=controls())
    assert "the reruns at γ × 3, γ / 3 and ε / 2 were not run" in v.reason, v.reason


def test_the_true_parameter_exempts_from_the_minimum_only_where_the_records_agree():
    """The routes write both records from one build, but the judge reads stored evidence
    from anywhere: a w* record saying w0 beside an LLC that ran the plain estimand (which
    reads low by βν at w0 of noisy data) had been exempt from the local-minimum rule."""
    from slttheory.verify.judge.point import not_a_minimum

    saddle = {"is_local_min": False, "reason": "saddle: eigenvalue -0.01"}
    w0 = AtPoint("ok", checks=saddle, extras={"true_parameter": True})
    trained = AtPoint("ok", checks=saddle)
    sym = lc(2.0, config={"true_parameter": True})
    for at, llc in ((w0, lc(2.0)), (trained, sym)):  # one record says w0, the other not
        ev = PointEvidence(None, None, llc, 0.0, at_point=at)
        assert "not a local minimum" in not_a_minimum(ev)
        v = V(claim(), ev, ctl=controls())
        assert v.verdict == "inconclusive" and "no LLC there decides" in v.reason, v.reason
    v = V(claim(), PointEvidence(None, None, sym, 0.0, at_point=w0), ctl=controls())
    assert v.verdict == "confirmed", v.reason
    # no LLC (perhaps one runs in another profile): the w* record alone says it
    assert not_a_minimum(PointEvidence(None, None, None, 0.0, at_point=w0)) == ""


def test_the_familys_lambda_at_its_true_parameter_is_drawn_where_w_star_is_undefined():
    """λ = R/2 where the family states it (``determines_lambda``) is about the family's true
    parameter w0, which the claim's parameters fix, not about a trained w*: kept where λ at
    w* is undefined. The rank at w* equal to R (constant rank near w*) is about w* and is
    not."""
    from slttheory.verify.judge.facts import facts_of

    off = AtPoint("ok", checks={"is_local_min": False, "reason": "not a critical point",
                                "n_params": 4})
    stated = PointEvidence(None, rk(3, n=4), None, 0.0, at_point=off)
    routes = {f.route for f in facts_of(claim(), stated)}
    assert {"generic rank", "w*"} <= routes and "dimension" not in routes, routes
    assert V(claim("3/2"), stated).verdict == "confirmed"
    at_w_star = PointEvidence(None, rk(3, n=4, determines=False, point=3, inputs=True), None,
                              0.0, at_point=off)
    routes = {f.route for f in facts_of(claim(), at_w_star)}
    assert "generic rank" not in routes and "rank at w*" not in routes, routes


def test_the_dimension_bound_counts_the_models_parameters_not_the_rank_maps():
    """λ ≤ d/2 with d the parameters of the model the LLC samples, as measured at w*: a rank
    map with fewer parameters (a plugin's statement about its model, perhaps of another
    function) made "λ ≤ 1" certified for a model of 4 parameters, and refuted λ = 3/2 on it.
    Where w* was not measured, the rank record's count still serves."""
    at = AtPoint("ok", checks={"is_local_min": True, "n_params": 4})
    small_map = rk(1, n=2, determines=False, point=0, inputs=True)
    v = V(claim("3/2"), PointEvidence(None, small_map, None, 0.0, at_point=at))
    assert v.verdict != "refuted", v.reason
    assert "4 parameters ⇒ 0 ≤ λ ≤ 2" in v.reason, v.reason
    v = V(claim("3/2"), PointEvidence(None, small_map, None, 0.0))
    assert "2 parameters ⇒ 0 ≤ λ ≤ 1" in v.reason, v.reason
def test_a_scaling_points_llc_grade_in_the_report_is_the_fits():
    """A scaling claim's point with no prediction of its own was graded in report.data by
    ``llc_band`` alone, without the fit's check that a band wholly outside the certified
    bounds decides nothing (``judge.scaling._controlled``): the fit left the point out, and
    report.json and report.md showed its LLC "controlled", with the band. Both now show the
    grade the fit used (``judge.scaling.fit_llc``)."""
    from test_judge import judge_claim, scaled, scaling_claim

    from slttheory.verify.judge.llc import llc_band
    from slttheory.verify.judge.scaling import _controlled, fit_llc
    from slttheory.verify.report.data import build_report
    from slttheory.verify.report.markdown import render_markdown

    c = scaling_claim()  # a shape, no coefficients: no point has a prediction of its own
    params, evs, ctl = scaled(lambda d: -0.5 * d * d + 20 * d)  # λ̂ = 72 at d = 4
    ten = AtPoint("ok", checks={"is_local_min": True, "reason": "a local minimum",
                                "n_params": 10})  # certified λ ≤ 5
    evs = [replace(e, at_point=ten) if p["d"] == 4 else e for p, e in zip(params, evs,
                                                                          strict=True)]
    ev = evs[2]
    # the band alone is controlled; the fit reads it outside what is proved, and leaves it out
    assert llc_band(ev.llc.mean, ev.llc.std_error, ctl["k1"]).controlled
    why = _controlled(c, {"d": 4}, ev, ctl)
    assert isinstance(why, str) and why.startswith("outside what is proved"), why
    a = fit_llc(c, ev, ctl)
    assert a is not None and a.grade == "uncontrolled" and "outside the certified" in a.why
    assert why == f"outside what is proved ({a.why})"
    r = judge_claim(c, list(zip(params, evs, strict=True)), ctl)
    assert "d=4" in r.verdict.left_out and "outside what is proved" in r.verdict.reason
    assert r.points[2].predicted is None and r.points[2].verdict.llc is None
    rep = build_report([r], profile="quick", device="cpu", created="2026-01-01")
    pts = rep["claims"][0]["points"]
    p = next(q for q in pts if q["params"] == {"d": 4})
    assert p["grade"] == "none"
    assert (p["llc"]["grade"], p["llc"]["assessment"]) == ("uncontrolled", a.why)
    assert rep["claims"][0]["scopes"]["inconclusive"] == "d = 4"  # the fit left it out
    row = next(line for line in render_markdown(rep).splitlines()
               if line.startswith("| d=4 |"))
    assert "(uncontrolled)" in row and "→" not in row, row
    # the other points entered the fit, controlled: shown so
    others = [q for q in pts if q["params"] != {"d": 4}]
    assert {q["llc"]["grade"] for q in others} == {"controlled"}
    assert all(not isinstance(_controlled(c, q, e, ctl), str) and
               fit_llc(c, e, ctl).grade == "controlled"
               for q, e in zip(params, evs, strict=True) if q["d"] != 4)


def test_the_reports_say_w_star_is_the_true_parameter_only_where_the_judge_does():
    """``w_star_status`` (the note beside the LLC and under the table) called w* the true
    parameter where either record said so; the judge exempts it from the minimum rule only
    where both records that can say so agree (``judge.point.sampled_at_w0``). Where they
    disagree the reports now say only that w* is no minimum, as the verdict reads it."""
    from slttheory.verify.report.data import w_star_status

    saddle = {"is_local_min": False, "reason": "saddle: eigenvalue -0.01"}
    w0 = {"status": "ok", "checks": saddle, "extras": {"true_parameter": True}}
    trained = {"status": "ok", "checks": saddle, "extras": {}}
    sym = {"status": "ok", "config": {"true_parameter": True}}
    plain = {"status": "ok", "config": {}}
    assert w_star_status({"at_point": w0, "llc": plain}) == (True, False)
    assert w_star_status({"at_point": trained, "llc": sym}) == (True, False)
    assert w_star_status({"at_point": w0, "llc": sym}) == (True, True)
    assert w_star_status({"at_point": w0, "llc": None}) == (True, True)  # no LLC ran
    failed = {"status": "error", "config": {}}  # a failed LLC says nothing either way
    assert w_star_status({"at_point": w0, "llc": failed}) == (True, True)
    assert w_star_status({"at_point": "junk", "llc": [1]}) == (False, False)  # any JSON

    # through the pipeline: the verdict, report.json and report.md read one way
    ctl = controls()
    for at, llc, at_w0 in ((w0, lc(2.0), False),
                           (w0, lc(2.0, config={"true_parameter": True}), True)):
        rec = AtPoint("ok", checks=at["checks"], extras=at["extras"])
        v, p, row = _report_point(claim(), PointEvidence(None, None, llc, 0.0, at_point=rec),
                                  ctl)
        assert ("no LLC there decides" not in v.reason) == at_w0, v.reason
        assert w_star_status(p) == (True, at_w0)
        assert ("symmetrised estimand's at the true parameter" in row) == at_w0, row


def test_every_use_of_the_minimum_rule_reads_the_records_as_the_verdict_does():
    """``AtPoint.no_minimum_for_the_llc`` read the w* record alone, while the judge exempts a
    w* from the local-minimum rule only where the w* record and the LLC's settings agree
    (``judge.point.sampled_at_w0``). A w* record saying w0 at a saddle beside an LLC not
    sampled as at w0 then had the certified rank at w* refute the claim (a fact about λ at a
    w* the verdict treats as no minimum), advice as at a minimum, and controls planned for
    a stored LLC that decides nothing. One records-level rule now serves all of them."""
    from itertools import product

    from slttheory.verify.evidence.records import (
        LLCEvidence,
        no_minimum_for_the_llc,
        records_say_w0,
    )
    from slttheory.verify.judge.facts import facts_of
    from slttheory.verify.judge.point import _deciders, not_a_minimum, sampled_at_w0

    checks = ({"is_local_min": False, "reason": "saddle"}, {"is_local_min": True}, {})
    ats = [None, AtPoint("error", error="boom")] + [
        AtPoint("ok", checks=c, extras=x)
        for c, x in product(checks, ({}, {"true_parameter": True}))]
    llcs = [None, LLCEvidence("error", error="boom"), lc(2.0, config={}),
            lc(2.0, config={"true_parameter": True})]
    for at, llc in product(ats, llcs):
        ev = PointEvidence(None, None, llc, 0.0, at_point=at)
        assert records_say_w0(at, llc) == sampled_at_w0(ev), (at, llc)
        measured_saddle = (at is not None and at.status == "ok"
                           and at.checks.get("is_local_min") is False)
        # the run withholds controls and reruns, and facts_of draws no fact at w*, exactly
        # where a measured saddle gets no exemption from the verdict's rule
        assert no_minimum_for_the_llc(at, llc) == (measured_saddle and not sampled_at_w0(ev))
        if no_minimum_for_the_llc(at, llc):
            assert not_a_minimum(ev), (at, llc)

    rank = rk(10, n=10, determines=False, point=4, inputs=True)  # λ ≥ 2 at w*, certified
    w0 = AtPoint("ok", checks=checks[0], extras={"true_parameter": True})
    for llc, agree in ((None, True), (lc(2.0, config={"true_parameter": True}), True),
                       (lc(2.0, config={}), False)):
        ev = PointEvidence(None, rank, llc, 0.0, at_point=w0)
        v = V(claim("1"), ev, ctl=controls())
        at_w_star = [f for f in facts_of(claim("1"), ev) if f.route == "rank at w*"]
        assert bool(at_w_star) == agree
        if agree:
            assert (v.verdict, v.grade) == ("refuted", "certified"), v.reason
        else:
            assert v.verdict == "inconclusive", v.reason
            assert "not known to be a true parameter" in v.reason, v.reason
            assert any("a w* that is a local minimum of L_n or a true parameter" in d
                       for d in _deciders(claim("1"), ev)), _deciders(claim("1"), ev)


def test_a_points_band_wholly_outside_the_certified_facts_decides_nothing():
    """Rule 3: a controlled band that lies wholly outside what the certified facts allow is the
    estimator's error, not the theorem's: graded uncontrolled, it neither refutes nor
    confirms. The rank proves 1 ≤ λ ≤ 5, the claim says λ = 2 (open to the facts), and an LLC
    reading 7 (its reruns 4, inside the facts, refuting 2 as well) would otherwise refute it
    as controlled: the reruns' own check does not see the point's band."""
    rank = rk(10, n=10, determines=False, point=2, inputs=True)  # certified 1 ≤ λ ≤ 5
    reruns = tuple(Rerun(s, 4.0, 0.02, True) for s in ("γ × 3", "γ / 3", "ε / 2"))
    v = V(claim("2"), PointEvidence(None, rank, lc(7.0, reruns=reruns), 0.0), ctl=controls())
    assert v.verdict == "inconclusive", v.reason
    assert "outside the certified" in v.reason
    assert v.llc is not None and v.llc.grade == "uncontrolled"
    # the same LLC inside the facts decides, controlled (a refutation of 2 by a band near 4)
    v = V(claim("2"), PointEvidence(None, rank, lc(4.0, reruns=reruns), 0.0), ctl=controls())
    assert (v.verdict, v.grade) == ("refuted", "controlled"), v.reason


def test_too_few_controls_name_a_source_without_a_year_as_the_cause():
    """A claim whose ``source`` names no year or arXiv id takes every formula for its own, so
    no control is certified by a formula: a full-profile run said only "1 control(s) of known
    λ resemble this point", never the cause nor the fix. With a year the text is unchanged."""
    one = controls()
    (key, cs), = one.items()
    few = {key: replace(cs, runs=tuple(r for r in cs.runs if r.lam == "2.0"))}
    ev = PointEvidence(None, None, lc(1.6), 0.0)
    anonymous = V(claim("2", source="a textbook"), ev, ctl=few)
    assert anonymous.verdict == "inconclusive"
    assert anonymous.llc is not None and anonymous.llc.grade == "uncontrolled"
    assert "names no year or arXiv id" in anonymous.llc.why, anonymous.llc.why
    dated = V(claim("2", source="Someone 2020"), ev, ctl=few)
    assert "resemble this point" in dated.llc.why
    assert "names no year" not in dated.llc.why
    # enough controls: nothing to explain, whatever the source says
    full = V(claim("2", source="a textbook"), ev, ctl=one)
    assert "names no year" not in full.llc.why


def test_would_decide_names_the_missing_controls_first():
    """Too few usable controls: the advice asks for them (with the count), not only for a
    control of higher multiplicity, which an audit saw named alone where two of three
    controls were lacking."""
    one = controls()
    (key, cs), = one.items()
    few = {key: replace(cs, runs=tuple(r for r in cs.runs if r.lam == "2.0"))}
    v = V(claim("2"), PointEvidence(None, None, lc(1.6), 0.0), ctl=few)
    assert "would decide:" in v.reason
    assert "an LLC with at least 3 usable controls of certified λ (here 1)" in \
        v.reason.split("would decide:")[1], v.reason


def test_the_grade_legend_says_what_makes_a_controlled_llc_uncontrolled():
    """A point whose controlled band changed verdict at a rerun reads "uncontrolled: not
    robust …"; the report's legend had defined the grade only as "an LLC without such
    controls", which that point had (a full-profile audit)."""
    from slttheory.verify.report.data import GRADE_LEGEND

    uncontrolled = GRADE_LEGEND.split("{b}uncontrolled{/b}")[1].split("{b}context{/b}")[0]
    assert "rerun" in uncontrolled and "outside the certified facts" in uncontrolled


def test_the_dimension_fact_does_not_say_lambda_is_positive_for_every_model():
    """The grade table's 0 ≤ λ ≤ d/2: its text read "λ > 0 for every model", beside a
    certified λ = rank/2 = 0 at the same point (the centred NTK at rank 1: K vanishes near
    w*, ζ(z) = ∫K^z φ is constant and λ = 0; holomorphy on Re z > 0 gives only λ ≥ 0), so one
    reason's facts contradicted each other in words (an outside theorist's review)."""
    from slttheory.verify.judge.facts import facts_of

    c = claim("0", relation=">")
    ev = PointEvidence(None, rk(0, n=8), None, 0.0)  # certified λ = 0/2 = 0, d = 8
    facts = facts_of(c, ev)
    assert any(f.route == "generic rank" and f.low == 0 == f.high for f in facts)
    dim = [f for f in facts if f.route == "dimension"]
    assert dim and dim[0].low == 0
    assert "λ > 0" not in dim[0].text and "λ ≥ 0 for every model" in dim[0].text
    v = V(c, ev, d=8)  # and "λ > 0" is refuted there, as certified
    assert (v.verdict, v.grade) == ("refuted", "certified"), v.reason
