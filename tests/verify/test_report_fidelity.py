"""The reports say what the judge decided: counts per claim, ‡/† only on decided claims, each
route's own grade, the judge's band and controls, stored points, reach per verdict, worst
points first, undecided hypotheses as undecided, NaN as nan. A mutation audit of
report/data.py, markdown.py and html.py found 21 one-line changes that only a slow test or
none caught; each test builds report data from small hand-made results (no sampler runs)."""

from __future__ import annotations

import copy

from test_judge import MINIMUM, PointEvidence, cf, claim, judge_claim, rk

from slttheory.verify.report.data import build_report, counterfactual_decided
from slttheory.verify.report.markdown import render_markdown


def _report(results):
    return build_report(results, profile="quick", device="cpu", created="2026-01-01")


def _certified(c, d=4):
    return judge_claim(c, [({"d": d}, PointEvidence(cf(d / 2), rk(d), None, 0.0))])


def test_summary_counts_every_claim_even_one_without_points():
    """The header's verdict counts are per claim: a claim with no point (an experiment, a grid
    its constraint emptied) counts as much as one with points."""
    empty = judge_claim(claim(), [])
    rep = _report([empty, _certified(claim())])
    assert empty.verdict.verdict == "error"
    assert rep["summary"] == {"confirmed": 1, "refuted": 0, "inconclusive": 0, "error": 1}
    assert sum(rep["summary"].values()) == len(rep["claims"])
    assert "Verdicts: 1 confirmed, 0 refuted, 0 inconclusive, 1 error" in render_markdown(rep)


def test_an_undecided_counterfactual_claim_gets_no_dagger():
    """† says a verdict was decided on a counterfactual reading; an inconclusive or error
    claim decided nothing, on any reading."""
    base = {"id": "x", "path": "x.toml", "family": "f", "reason": "r", "grade": "none",
            "reading": "a reading", "counterfactual": True, "points": [],
            "point_counts": {}}
    for verdict in ("inconclusive", "error"):
        c = {**base, "verdict": verdict}
        assert not counterfactual_decided(c)
    for verdict in ("confirmed", "refuted"):
        assert counterfactual_decided({**base, "verdict": verdict})
    rep = _report([_certified(claim())])
    rep["claims"].append({**copy.deepcopy(rep["claims"][0]), "id": "cf-undecided",
                          "verdict": "inconclusive", "grade": "none",
                          "reading": "applied to a model the source does not cover",
                          "counterfactual": True})
    rep["summary"]["inconclusive"] += 1
    md = render_markdown(rep)
    assert "†" not in md, [line for line in md.splitlines() if "†" in line]


def _point(ev, c=None):
    from test_judge import controls

    from slttheory.verify.report.data import claim_json
    r = judge_claim(c or claim(), [({"d": 4}, ev)], controls())
    return claim_json(r)["points"][0]


def test_each_route_shows_its_own_grade():
    """A rank that does not determine λ is graded none even where the closed form beside it
    certifies the point; a closed form that failed is graded none beside a certified rank."""
    p = _point(PointEvidence(cf(2), rk(4, n=8, determines=False), None, 0.0))
    assert p["grade"] == "certified" and p["closed_form"]["grade"] == "certified"
    assert p["rank"]["grade"] == "none" and p["rank"]["lambda"] is None
    from slttheory.verify.evidence.records import ClosedFormEvidence
    p = _point(PointEvidence(ClosedFormEvidence("error", error="boom"), rk(4), None, 0.0))
    assert p["rank"]["grade"] == "certified"
    assert p["closed_form"]["grade"] == "none"


def test_markdown_rank_cell_shows_the_rank_routes_grade_and_an_exact_half():
    p = _point(PointEvidence(cf(2), rk(4, n=8, determines=False), None, 0.0))
    rep = _report([_certified(claim())])
    rep["claims"][0]["points"] = [p]
    md = render_markdown(rep)
    assert "rank 4 of 8 (none)" in md, md
    r = judge_claim(claim(), [({"d": 3}, PointEvidence(None, rk(3), None, 0.0))])
    md = render_markdown(_report([r]))
    assert "rank 3 of 3 → λ = 3/2 (certified)" in md, md


def _llc_claim():
    """Three controlled LLC points, controls biased +10 %: d=2, 4 confirmed (λ̂ = 1.1, 2.2
    corrected to 1, 2), d=6 refuted (λ̂ = 6 against 3)."""
    from test_judge import MINIMUM, controls, lc

    items = [({"d": d}, PointEvidence(None, None, lc(m), 0.0, at_point=MINIMUM))
             for d, m in ((2, 1.1), (4, 2.2), (6, 6.0))]
    return judge_claim(claim(), items, controls(biases=(0.1, 0.1, 0.1)))


def test_band_and_controls_in_report_json_are_the_judges_numbers():
    from slttheory.verify.evidence.records import finite

    r = _llc_claim()
    e = _report([r])["claims"][0]
    assert [p["verdict"] for p in e["points"]] == ["confirmed", "confirmed", "refuted"]
    for pr, p in zip(r.points, e["points"], strict=True):
        band, b = pr.verdict.llc.band, p["llc"]["band"]
        assert (b["low"], b["high"], b["corrected"]) == (
            finite(band.low), finite(band.high), finite(band.corrected))
        assert b["low"] <= b["corrected"] < b["high"]
        for ctl, x in zip(band.controls, b["controls"], strict=True):
            assert abs(x["bias"] - 0.1) < 1e-9 and x["bias"] == finite(ctl.ratio - 1)
            assert x["lambda"] == finite(ctl.lam)


def test_markdown_reach_and_controls_table_follow_each_point():
    e = _report([_llc_claim()])
    assert e["claims"][0]["scopes"] == {"confirmed": "d ∈ {2, 4}", "refuted": "d = 6"}
    md = render_markdown(e)
    assert "Reach: confirmed at d ∈ {2, 4}; refuted at d = 6." in md, md
    rows = [line for line in md.splitlines() if "(regular) |" in line]
    assert len(rows) == 9, rows  # 3 controls beside each of the 3 points
    assert sum(line.startswith("| d=6 | regular d=8") for line in rows) == 1
    assert "+10.0% ± 2.0%" in rows[0]


def test_a_rank_with_a_weak_certificate_gives_no_lambda_in_either_report():
    """rk(4, bound=1.0): the Schwartz–Zippel bound says nothing, so rank/2 is no λ: neither
    report.json's rank.lambda nor report.md's rank cell may show λ = 2."""
    p = _point(PointEvidence(None, rk(4, bound=1.0), None, 0.0))
    assert p["rank"]["lambda"] is None and p["rank"]["lam"] is None
    assert p["rank"]["grade"] == "none"
    r = judge_claim(claim(), [({"d": 4}, PointEvidence(None, rk(4, bound=1.0), None, 0.0))])
    md = render_markdown(_report([r]))
    assert "rank 4 of 4 (none)" in md and "λ = 2 (" not in md, md


def test_one_stored_point_in_a_later_claim_is_said_in_json_and_header():
    from dataclasses import replace

    fresh = _certified(claim())
    ev = replace(PointEvidence(cf(1), rk(2), None, 0.0), stored=True)
    resumed = judge_claim(claim(), [({"d": 2}, ev)])
    rep = _report([fresh, resumed])
    assert [p["stored"] for c in rep["claims"] for p in c["points"]] == [False, True]
    head = render_markdown(rep).split("\n\n", 2)[1]
    assert "1 of 2 points read from an earlier run's store" in head, head


def test_an_interval_closed_form_has_no_value_not_zero():
    """A closed form that bounds λ ([1, 2]) has no value: value_float is null, not 0."""
    from slttheory.verify.evidence.records import ClosedFormEvidence

    bound = ClosedFormEvidence("ok", value=None, lower="1", upper="2", case="regular",
                               source="Watanabe 2009", standing="established",
                               reference="Watanabe 2009", formula="regular",
                               established_by="tests/x.py")
    p = _point(PointEvidence(bound, None, None, 0.0))
    assert p["closed_form"]["value_float"] is None, p["closed_form"]


def test_compute_time_counts_control_runs_of_each_data_set():
    from slttheory.verify.report.data import _control_s

    runs = [{"family": "regular", "params": {"d": 2}, "data_seed": s, "elapsed_s": 1.5}
            for s in (11, 12)]
    assert _control_s([{"controls": [{"rules": {}, "runs": runs}]}]) == 3.0


def test_a_large_claim_lists_its_worst_points_first():
    from slttheory.verify.report.markdown import LARGE

    ds = range(1, LARGE + 2)
    items = [({"d": d}, PointEvidence(cf(d if d == LARGE + 1 else d / 2), None, None, 0.0))
             for d in ds]
    rep = _report([judge_claim(claim(), items)])
    c = rep["claims"][0]
    assert c["point_counts"]["refuted"] == 1 and c["point_counts"]["confirmed"] == LARGE
    md = render_markdown(rep)
    assert f"{LARGE + 1} points: {LARGE} confirmed, 1 refuted." in md
    rows = [line for line in md.splitlines() if line.startswith("| d=")]
    assert len(rows) == LARGE // 2
    assert rows[0].startswith(f"| d={LARGE + 1} |") and "| refuted (certified) |" in rows[0]


def test_an_undecided_hypothesis_is_not_shown_as_met():
    rep = _report([_certified(claim())])
    rep["claims"][0]["points"][0]["at_point"] = {
        "status": "ok", "checks": {"is_local_min": True}, "extras": {}, "differences": [],
        "note": "", "error": None, "orbit": {}, "source": "",
        "hypotheses": [{"name": "stage_two", "statement": "s", "measured": "not measured",
                        "met": None}]}
    md = render_markdown(rep)
    assert "hypothesis `stage_two` not decided (not measured;" in md, md
    assert "`stage_two` met" not in md


def test_a_scaling_point_confirmed_alone_whose_group_is_undecided_is_not_in_the_confirmed_reach():
    """predicted λ = d/2 holds at d = 1, 2, but two values are too few to fit the stated
    shape: the group is inconclusive, so the reach must not say 'confirmed at d ∈ {1, 2}'."""
    from test_judge import _exact, _toml_claim

    c = _toml_claim('predicted = "d/2"\n[scaling]\nvariable = "d"\nshape = "linear"\n'
                    '[grid]\nd = [1, 2]\n')
    r = _exact(c, lambda d: d / 2, ds=(1, 2))
    from slttheory.verify.report.data import claim_json

    e = claim_json(r)
    assert {p["verdict"] for p in e["points"]} == {"confirmed"}, e["points"]
    assert dict(r.verdict.groups).get("all points") != "confirmed", r.verdict.groups
    assert "confirmed" not in e["scopes"], e["scopes"]


def test_the_summary_table_counts_fit_only_points_as_f():
    from test_judge import _exact, _toml_claim

    c = _toml_claim('[scaling]\nvariable = "d"\nshape = "linear"\ncoefficients = [0.5]\n'
                    '[grid]\nd = [1, 2, 3, 4, 5]\n')
    rep = _report([_exact(c, lambda d: d / 2)])
    assert rep["claims"][0]["point_counts"]["in_fit"] == 5
    row = next(line for line in render_markdown(rep).splitlines() if line.startswith("| [s]"))
    assert "| 5f |" in row, row


def test_a_scaling_points_failed_llc_is_graded_failed():
    """A scaling claim's point predicts no value; its LLC that failed its diagnostics is
    'failed' (no information), never 'uncontrolled' (an estimate shown as such)."""
    from test_judge import _sc, controls, lc

    from slttheory.verify.report.data import claim_json

    items = [({"d": d}, PointEvidence(None, None, lc(1.0 * d, se=1e-6, passed=d != 16), 0.0,
                                      at_point=MINIMUM)) for d in (1, 2, 4, 8, 16)]
    r = judge_claim(_sc(), items, controls(spread=0.005))
    assert r.points[-1].verdict.llc is None  # the grade is point_json's own
    grades = [p["llc"]["grade"] for p in claim_json(r)["points"]]
    assert grades == ["controlled"] * 4 + ["failed"], grades


def test_an_llc_without_a_value_is_shown_as_nan_not_zero():
    from slttheory.verify.evidence.records import LLCEvidence

    ev = PointEvidence(None, None, LLCEvidence("ok", mean=None, std_error=None, passed=False,
                                               problems=("no draws",)), 0.0,
                       at_point=MINIMUM)
    md = render_markdown(_report([judge_claim(claim(), [({"d": 4}, ev)], {})]))
    row = next(line for line in md.splitlines() if line.startswith("| d=4 |"))
    assert "| nan |" in row and "0.000" not in row, row


def test_the_schema_rejects_a_point_missing_a_required_key():
    import pytest

    from slttheory.verify.report.data import validate_report

    rep = _report([_certified(claim())])
    validate_report(rep)
    for key in ("grade", "reason", "facts", "llc", "elapsed_s"):
        broken = copy.deepcopy(rep)
        del broken["claims"][0]["points"][0][key]
        with pytest.raises(ValueError, match=f"missing required key '{key}'"):
            validate_report(broken)
    del rep["claims"][0]["points"][0]["stored"]  # came later: optional
    validate_report(rep)


# --- report.html ---------------------------------------------------------------------------


def test_html_counts_fit_only_points_as_in_the_fit():
    from test_judge import _exact, _toml_claim

    from slttheory.verify.report.html import render_html

    c = _toml_claim('[scaling]\nvariable = "d"\nshape = "linear"\ncoefficients = [0.5]\n'
                    '[grid]\nd = [1, 2, 3, 4, 5]\n')
    page = render_html(_report([_exact(c, lambda d: d / 2)]), figures_dir=None)
    assert "5 in the fit" in page
    assert "5 inconclusive" not in page


def test_html_reach_labels_each_scope_with_its_verdict():
    import re

    from slttheory.verify.report.html import render_html

    page = render_html(_report([_llc_claim()]), figures_dir=None)
    reach = re.search(r"<b>Reach:</b>(.*?)</p>", page).group(1)
    assert re.search(r">confirmed</span> at d ∈ \{2, 4\}", reach), reach
    assert re.search(r">refuted</span> at d = 6", reach), reach


def test_html_header_counts_stored_points_of_every_claim():
    from dataclasses import replace

    from slttheory.verify.report.html import render_html

    ev = replace(PointEvidence(cf(1), rk(2), None, 0.0), stored=True)
    rep = _report([_certified(claim()), judge_claim(claim(), [({"d": 2}, ev)])])
    assert "1 of 2 points read from an earlier run's store" in render_html(rep,
                                                                          figures_dir=None)


def test_an_llc_with_a_nan_mean_renders_as_nan():
    """report.json writes non-finite floats as strings ("nan"); report.md's LLC cell had
    formatted them with :.3f and crashed the whole report (found by the same audit)."""
    import math

    from slttheory.verify.evidence.records import LLCEvidence
    from slttheory.verify.report.html import render_html

    ev = PointEvidence(None, None, LLCEvidence("ok", mean=math.nan, std_error=math.nan,
                                               passed=False, problems=("x",)), 0.0,
                       at_point=MINIMUM)
    rep = _report([judge_claim(claim(), [({"d": 4}, ev)], {})])
    row = next(line for line in render_markdown(rep).splitlines() if line.startswith("| d=4 |"))
    assert "| nan ± nan (failed) |" in row, row
    assert "nan" in render_html(rep, figures_dir=None)


def test_report_json_splits_the_decided_claims_as_the_markdown_header_does():
    """report.json counts the claims decided on a stated reading (‡) and on a counterfactual
    one (†) from the same rule as report.md's header, so a reader of either file sees how many
    of the headline's verdicts say nothing of the source as printed."""
    rep = _report([_certified(claim())])
    one = rep["claims"][0]
    rep["claims"] = [
        {**copy.deepcopy(one), "id": "stated", "verdict": "confirmed", "reading": "plain MSE"},
        {**copy.deepcopy(one), "id": "cf", "verdict": "refuted", "reading": "centred",
         "counterfactual": True},
        {**copy.deepcopy(one), "id": "cf-open", "verdict": "inconclusive", "reading": "centred",
         "counterfactual": True},
        {**copy.deepcopy(one), "id": "plain", "verdict": "refuted", "reading": ""},
    ]
    from slttheory.verify.report.data import decided_on_readings, validate_report
    split = decided_on_readings(rep["claims"])
    assert split == {"reading": {"confirmed": 1, "refuted": 0},
                     "counterfactual": {"confirmed": 0, "refuted": 1}}
    rep["decided_on_readings"] = split
    rep["summary"] = {"confirmed": 1, "refuted": 2, "inconclusive": 1, "error": 0}
    validate_report(rep)
    head = next(line for line in render_markdown(rep).splitlines()
                if line.startswith("Verdicts:"))
    assert "‡ marks the 1 decided (1 confirmed)" in head
    assert "† marks the 1 decided (1 refuted)" in head
    assert _report([_certified(claim())])["decided_on_readings"] == {
        "reading": {"confirmed": 0, "refuted": 0},
        "counterfactual": {"confirmed": 0, "refuted": 0}}


# --- from a mutation audit of decided_on_readings and defaults ---------------------------


def test_d4_build_report_counts_decided_claims_on_a_reading():
    rep = _report([_certified(claim(reading="plain MSE"))])
    assert rep["decided_on_readings"]["reading"] == {"confirmed": 1, "refuted": 0}


def test_h1_html_prints_the_defaults(tmp_path):
    from slttheory.models import FAMILIES as REAL
    from slttheory.verify.claims import parse_claim
    from slttheory.verify.judge import judge_claim
    from slttheory.verify.report.data import build_report
    from slttheory.verify.report.html import render_html

    c = parse_claim({"id": "bare", "title": "t", "source": "s", "family": "regular",
                     "kind": "closed_form", "predicted": "1", "evidence": ["closed_form"]},
                    "c.toml", REAL)
    rep = build_report([judge_claim(c, [])], profile="quick", device="cpu", created="2026-01-01")
    assert "leaves at their defaults:</b> d = 3" in render_html(rep, figures_dir=None)
