"""Which cases and case boundaries a claim's grid reaches (``judge.boundaries``), and how the
reports carry it: real reduced-rank regression, whose case labels are known, and fakes."""

from __future__ import annotations

import sympy as sp
from fake_families import FAMILIES as FAKE

from slttheory.formulas.core import LearningCoefficient
from slttheory.models import FAMILIES
from slttheory.models.registry import Family, ParamSpec
from slttheory.verify.claims import parse_claim
from slttheory.verify.claims.common import point_key
from slttheory.verify.judge import judge_claim
from slttheory.verify.judge.boundaries import case_coverage, coverage_text, short_case
from slttheory.verify.report import validate_report
from slttheory.verify.report.data import build_report, claim_json
from slttheory.verify.report.html import render_html
from slttheory.verify.report.markdown import render_markdown

RRR = FAMILIES["reduced_rank_regression"]
EVEN, ODD = "case 1 (m+n+h+r even)", "case 1 (m+n+h+r odd)"


def claim(grid, families=FAMILIES, family="reduced_rank_regression", predicted="1",
          **more):
    data = {"id": "c", "title": "t", "source": "s", "family": family, "kind": "closed_form",
            "predicted": predicted, "evidence": ["closed_form"], "grid": grid, **more}
    return parse_claim(data, "c.toml", families)


def short(cov):
    return {short_case(r.label): r.points for r in cov.reached}


def family_boundaries(cov):
    return {frozenset(map(short_case, b.between)): b for b in cov.boundaries
            if b.source == "family"}


def test_a_grid_reaching_every_case_of_rrr():
    c = claim({"m": [1, 2, 3, 4], "n": [1, 2, 3, 4], "h": [1, 2, 3, 4], "r": [0, 1]})
    cov = case_coverage(c, RRR, "quick")
    assert cov.status == "ok" and cov.formula == "reduced_rank_regression"
    assert set(short(cov)) == {EVEN, ODD, "case 2", "case 3", "case 4"}
    assert sum(short(cov).values()) == cov.grid_points == 128
    assert cov.box_only == () and cov.box == "enumerated: 128 points"
    bs = family_boundaries(cov)
    # a contiguous grid: every boundary the box has, the grid straddles
    assert all(b.status == "straddled" for b in bs.values())
    assert frozenset((EVEN, "case 2")) in bs and frozenset((EVEN, ODD)) in bs
    b = bs[frozenset((EVEN, "case 2"))]
    assert " | " in b.example


def test_a_grid_missing_a_case_names_it_where_the_box_has_it():
    # m = h = 2, r = 0: n = 2, 4 case 1 even; n = 3 case 1 odd; n = 5, 6 case 2 (m+h < n+r)
    c = claim({"m": [2], "n": [2, 6], "h": [2], "r": [0]})
    cov = case_coverage(c, RRR, "quick")
    assert short(cov) == {EVEN: 1, "case 2": 1}
    assert [(short_case(r.label), r.example) for r in cov.box_only] == [(ODD, "h=2, m=2, n=3, r=0")]
    bs = family_boundaries(cov)
    assert bs[frozenset((EVEN, "case 2"))].status == "bracketed"  # n = 2 | n = 6: gap 4
    assert bs[frozenset((EVEN, ODD))].status == "not reached"
    assert bs[frozenset((EVEN, ODD))].example == "h=2, m=2, r=0: n=2 | n=3"
    text = coverage_text(cov.to_json(), short=short_case)
    assert text.startswith(f"Cases of reduced_rank_regression: reached {EVEN} (1 point), "
                           "case 2 (1 point); not reached in the grid's box: "
                           f"{ODD} (e.g. h=2, m=2, n=3, r=0).")
    assert "bracketed case 1 (m+n+h+r even) | case 2 (h=2, m=2, r=0: n=2 | n=6)" in text


def test_the_constraint_cuts_the_box():
    c = claim({"m": [2], "n": [2, 6], "h": [2], "r": [0]}, constraint="n != 3")
    cov = case_coverage(c, RRR, "quick")
    assert cov.box == "enumerated: 5 points, 4 within the constraint"
    assert cov.box_only == ()  # n = 3, the only odd point, is outside the claim's domain
    (edge,) = [b for b in cov.boundaries if b.source == "constraint"]
    # n = 2 and n = 6 lie on either side of n = 3, four apart
    assert (edge.equation, edge.status, edge.example) == ("n = 3", "bracketed",
                                                          "h=2, m=2, r=0: n=2 | n=6")


def test_a_large_box_is_not_enumerated_and_says_so():
    c = claim({"m": [1, 30], "n": [1, 30], "h": [1, 30], "r": [0]})
    cov = case_coverage(c, RRR, "quick")
    assert cov.box == "not enumerated: 27000 points, more than 2000"
    assert cov.box_only == () and cov.status == "ok"


def test_a_closed_form_that_raises_is_not_computed():
    c = claim({"d": [1, 2]}, families=FAKE, family="broken")
    cov = case_coverage(c, FAKE["broken"], "quick")
    assert cov.status == "not computed" and "failed at every grid point" in cov.why
    assert cov.not_computed == 2 and "NotImplementedError" in cov.not_computed_example
    assert "not computed" in coverage_text(cov.to_json())
    # through the judge, the verdict stands and the coverage says the same
    r = judge_claim(c, [], family=FAKE["broken"], profile="quick")
    assert r.coverage is not None and r.coverage.status == "not computed"


def test_a_closed_form_that_raises_at_some_points_only():
    def formula(d):
        if d == 2:
            raise ValueError("no formula at d = 2")
        return LearningCoefficient(sp.Rational(d, 2), 1, d, "low" if d < 3 else "high", (),
                                   "fake")

    fam = Family("partial", "p", (ParamSpec("d", int, 1, 20),), build=lambda **kw: None,
                 formula=formula)
    c = claim({"d": [1, 2, 3, 4]}, families={"partial": fam}, family="partial")
    cov = case_coverage(c, fam, "quick")
    assert cov.status == "ok" and short(cov) == {"low": 1, "high": 2}
    assert cov.not_computed == 1 and "no formula at d = 2" in cov.not_computed_example
    # neither neighbour of d = 2 is known: low | high is not located by the grid, and the box
    # (the grid itself) adds nothing
    assert family_boundaries(cov) == {}


def test_a_family_without_a_closed_form():
    fam = Family("none", "n", (ParamSpec("d", int, 1, 20),), build=lambda **kw: None)
    c = claim({"d": [1, 2]}, families={"none": fam}, family="none",
              evidence=["llc"])
    cov = case_coverage(c, fam, "quick")
    assert cov.status == "not computed" and cov.why == "the family has no closed form"


def test_min_ties_of_the_predicted_formula():
    on = case_coverage(claim({"d": [2, 4, 6]}, FAKE, "fake_regular", "min(d, 4)/2"),
                       FAKE["fake_regular"], "quick")
    (b,) = [b for b in on.boundaries if b.source == "predicted"]
    assert (b.status, b.on, b.example, b.equation) == ("on", 1, "d=4", "4 = d (Min tie)")
    apart = case_coverage(claim({"d": [2, 6]}, FAKE, "fake_regular", "min(d, 4)/2"),
                          FAKE["fake_regular"], "quick")
    (b,) = [b for b in apart.boundaries if b.source == "predicted"]
    assert (b.status, b.example) == ("bracketed", "d=2 | d=6")
    short_grid = case_coverage(claim({"d": [1, 2]}, FAKE, "fake_regular", "max(d, 4)/2"),
                               FAKE["fake_regular"], "quick")
    (b,) = [b for b in short_grid.boundaries if b.source == "predicted"]
    assert b.status == "not reached" and b.example == ""


def test_known_labels_are_not_computed_again():
    calls = []

    def formula(d):
        calls.append(d)
        return LearningCoefficient(sp.Rational(d, 2), 1, d, "one", (), "fake")

    fam = Family("counted", "c", (ParamSpec("d", int, 1, 20),), build=lambda **kw: None,
                 formula=formula)
    c = claim({"d": [1, 3]}, families={"counted": fam}, family="counted")
    cov = case_coverage(c, fam, "quick", known={'{"d": 1}': "one", '{"d": 3}': "one"})
    assert calls == [2]  # the box's one point between them only
    assert short(cov) == {"one": 2}
    skipped = case_coverage(c, fam, "quick", known={'{"d": 1}': "one", '{"d": 3}': "one"},
                            skip_box="too slow")
    assert calls == [2] and skipped.box == "not enumerated: too slow"


def test_the_report_carries_it_and_validates():
    c = claim({"m": [2], "n": [2, 6], "h": [2], "r": [0]})
    r = judge_claim(c, [], family=RRR, profile="quick")
    assert claim_json(r, "quick")["case_coverage"]["box_only"][0]["example"] == \
        "h=2, m=2, n=3, r=0"
    broken = claim({"d": [1]}, families=FAKE, family="broken")
    rb = judge_claim(broken, [], family=FAKE["broken"], profile="quick")
    rep = build_report([r, rb, judge_claim(c, [])], profile="quick", device="cpu",
                       created="2026-01-01")
    validate_report(rep)
    assert "case_coverage" not in rep["claims"][2]  # judged without its family
    md = render_markdown(rep)
    assert ("Cases of reduced\\_rank\\_regression: reached case 1 (m+n+h+r even) (1 point), "
            "case 2 (1 point); not reached in the grid's box: case 1 (m+n+h+r odd) (e.g. "
            "h=2, m=2, n=3, r=0).") in md
    assert "Cases of \\_broken\\_formula: not computed (the closed form failed" in md
    page = render_html(rep, figures_dir=None)
    assert "Case coverage." in page and "not reached in the grid&#x27;s box" in page


def test_a_run_reuses_the_closed_forms_it_computed(monkeypatch):
    """Through the engine: the grid points' labels come from the closed-form route's evidence
    (each computed once), the box's other points from the family."""
    from slttheory.verify.run.engine import run_claims

    calls = []

    def formula(d):
        calls.append(d)
        return LearningCoefficient(sp.Rational(d, 2), 1, d, "regular" if d < 4 else "big", (),
                                   "fake")

    base = FAKE["fake_regular"]
    fam = Family("counted", "c", base.parameters, base.build, formula)
    fams = {"counted": fam}
    c = claim({"d": [1, 3, 6]}, families=fams, family="counted", predicted="d/2")
    (r,) = run_claims([c], profile="quick", families=fams)
    assert sorted(calls) == [1, 2, 3, 4, 5, 6]  # 1, 3, 6 by the route; 2, 4, 5 by the box
    cov = r.coverage
    assert short(cov) == {"regular": 2, "big": 1}
    (b,) = [b for b in cov.boundaries if b.source == "family"]
    assert (b.status, b.example) == ("bracketed", "d=3 | d=6")
    rep = build_report([r], profile="quick", device="cpu", created="2026-01-01")
    validate_report(rep)
    assert rep["claims"][0]["case_coverage"]["reached"][1]["label"] == "big"


def test_piecewise_conditions_of_the_predicted_formula():
    """A Piecewise's conditions are boundaries (built by hand: claim files write min/max)."""
    import dataclasses

    d = sp.Symbol("d", integer=True, positive=True)
    c = claim({"d": [1, 2, 5]}, FAKE, "fake_regular", "d/2")
    c = dataclasses.replace(c, predicted_expr=sp.Piecewise((d / 2, d < 3), (sp.Integer(3) / 2,
                                                                            True)))
    cov = case_coverage(c, FAKE["fake_regular"], "quick")
    (b,) = [b for b in cov.boundaries if b.source == "predicted"]
    assert (b.equation, b.status, b.example) == ("d = 3", "bracketed", "d=2 | d=5")


def test_the_time_budget_is_checked_before_each_point_of_an_expression(monkeypatch):
    """The clock was checked once per expression boundary: one equation over 10⁴ grid points
    took 13 s of a 5 s budget (an audit). Here the clock runs out after 40 evaluations."""
    import slttheory.verify.judge.boundaries as bd

    calls = []
    real = bd.evaluate
    monkeypatch.setattr(bd, "evaluate", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(bd._Clock, "out", lambda self: len(calls) >= 40)
    c = claim({"m": list(range(1, 21)), "n": list(range(1, 21)), "h": [1], "r": [0]},
              predicted="min(m, n, m + n - 5)")
    known = {point_key(p): "x" for p in c.points("quick")}
    cov = case_coverage(c, RRR, "quick", known=known)
    assert len(calls) <= 40 + 3  # one point's three arguments past the deadline at most
    assert {b.status for b in cov.boundaries if b.source == "predicted"} == {"not computed"}


def test_a_grid_value_the_constraint_removes_leaves_its_sides_neighbours():
    """n in (2, 3, 6) with n != 3 is the points n = 2 and n = 6, as n in (2, 6) is: both
    bracket case 1 | case 2 and the edge n = 3. The removed grid value had left them
    unpaired, and the same points read 'not reached' (an audit)."""
    for grid in ([2, 6], [2, 3, 6]):
        c = claim({"m": [2], "n": grid, "h": [2], "r": [0]}, constraint="n != 3")
        cov = case_coverage(c, RRR, "quick")
        b = family_boundaries(cov)[frozenset((EVEN, "case 2"))]
        (edge,) = [b for b in cov.boundaries if b.source == "constraint"]
        assert (b.status, b.example) == ("bracketed", "h=2, m=2, r=0: n=2 | n=6"), grid
        assert (edge.status, edge.example) == ("bracketed", "h=2, m=2, r=0: n=2 | n=6"), grid


def test_a_huge_box_is_sized_without_building_its_ranges():
    """A seed's limit is 2**31 - 1: the box's size comes from each range's ends, not from
    the ranges themselves (built first, they took 280 MB for init_seed up to 3·10⁶, and all
    memory for a seed up to 2**31 - 1)."""
    import tracemalloc

    ntk = FAMILIES["ntk"]
    c = claim({"rank": [2], "init_seed": [0, 3 * 10**6]}, family="ntk", predicted="rank/2")
    case_coverage(c, ntk, "quick")  # imports and caches outside the measurement
    tracemalloc.start()
    try:
        cov = case_coverage(c, ntk, "quick")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert cov.box == "not enumerated: 3000001 points, more than 2000"
    assert peak < 10 * 2**20


def test_a_tie_of_a_large_power_is_read_within_the_budget():
    """The expression boundaries are told apart without expanding them: expanding the tie of
    min((m + n + h + r)**50, m*n) took 10 s, outside the time budget."""
    import time

    c = claim({"m": [1, 2], "n": [1, 2], "h": [1, 2], "r": [0]},
              predicted="min((m + n + h + r)**50, m*n)/2")
    t = time.monotonic()
    cov = case_coverage(c, RRR, "quick", budget_s=1.0)
    assert time.monotonic() - t < 4.0
    (b,) = [b for b in cov.boundaries if b.source == "predicted"]
    assert b.status == "not reached"  # (m + n + h + r)**50 > m*n at every point
    # g and −g are still one boundary: the constraint's n >= 2 and min's tie 2 = n
    c2 = claim({"m": [2], "n": [2, 3], "h": [2], "r": [0]}, predicted="min(n, 2)/2",
               constraint="n >= 2")
    eqs = [b.equation for b in case_coverage(c2, RRR, "quick").boundaries
           if b.source != "family"]
    assert eqs == ["2 = n (Min tie)"]


def test_neighbours_in_a_real_variable_bracket_a_boundary():
    """A grid a = 0.5, 1.5 has points on both sides of min(a, 1)'s tie at a = 1: bracketed
    (not located), not "not reached"; never straddled, which says two consecutive integers."""
    def formula(d, a=0.5):
        return LearningCoefficient(sp.Rational(d, 2), 1, d, "low" if a < 1 else "high", (),
                                   "fake")

    fam = Family("real", "r", (ParamSpec("d", int, 1, 20), ParamSpec("a", float, 0.0, 5.0)),
                 build=lambda **kw: None, formula=formula)
    c = claim({"d": [2], "a": [0.5, 1.5]}, families={"real": fam}, family="real",
              predicted="min(a, 1) + d")
    cov = case_coverage(c, fam, "quick")
    (b,) = [b for b in cov.boundaries if b.source == "predicted"]
    assert (b.status, b.example) == ("bracketed", "d=2: a=0.5 | a=1.5")
    assert family_boundaries(cov)[frozenset(("low", "high"))].status == "bracketed"
    on = case_coverage(claim({"d": [2], "a": [0.5, 1.0]}, families={"real": fam},
                             family="real", predicted="min(a, 1) + d"), fam, "quick")
    assert [(b.status, b.on) for b in on.boundaries if b.source == "predicted"] == [("on", 1)]
