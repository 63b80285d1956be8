"""Rules of case coverage (``judge.boundaries``) and of the LLC controls
(``evidence.controls``) that a mutation run of both modules found unpinned: each test here
fails on one or more one-line mutants of those modules that every other fast test let pass
(the mutant each kills is named in its docstring)."""

from __future__ import annotations

import sympy as sp
from fake_families import FAMILIES as FAKE
from test_case_coverage import claim, family_boundaries

from slttheory.formulas.core import LearningCoefficient
from slttheory.models.registry import Family, ParamSpec
from slttheory.verify.evidence import controls as ctl
from slttheory.verify.judge.boundaries import case_coverage, coverage_text

# --- case coverage ----------------------------------------------------------------------------


def _lc(d, case):
    return LearningCoefficient(sp.Rational(d, 2), 1, d, case, (), "fake")


def _family(name, params, formula):
    return Family(name, name, params, build=lambda **kw: None, formula=formula)


def _two_formula(d, a):
    # the case changes where d + a crosses 9/2, as min(d + a, 9/2) changes its argument
    return _lc(d, "high" if d + a > 4.5 else "low")


TWO = _family("two", (ParamSpec("d", int, 1, 20), ParamSpec("a", int, 1, 20)), _two_formula)


def _two(grid, predicted="min(d + a, 9/2)"):
    c = claim(grid, families={"two": TWO}, family="two", predicted=predicted)
    cov = case_coverage(c, TWO, "quick")
    (fam,) = family_boundaries(cov).values()
    (pred,) = [b for b in cov.boundaries if b.source == "predicted"]
    return fam, pred


def test_neighbours_two_apart_bracket_and_never_straddle():
    """Straddled says two consecutive integers; neighbours 2 apart only bracket (mutants:
    ``gap <= 2`` for straddled, of the family's boundaries and of the expressions')."""
    fam, pred = _two({"d": [2, 4], "a": [1]})
    assert (fam.status, fam.example) == ("bracketed", "a=1: d=2 | d=4")
    assert (pred.status, pred.example) == ("bracketed", "a=1: d=2 | d=4")


def test_a_boundary_straddled_somewhere_is_straddled_whatever_brackets_it_elsewhere():
    """On the line a = 1 the case changes between d = 2 and d = 4 (bracketed), on a = 3
    between d = 1 and 2 (straddled): the boundary is straddled, for the family's cases and
    for min's tie alike (mutants: every later, wider pair overwriting the family's boundary;
    the expression's crossing pairs taken in grid order instead of the narrowest first)."""
    fam, pred = _two({"d": [1, 2, 4], "a": [1, 3]})
    assert (fam.status, fam.example) == ("straddled", "a=3: d=1 | d=2")
    assert (pred.status, pred.example) == ("straddled", "a=3: d=1 | d=2")


def test_the_narrowest_bracket_is_the_example():
    """Only brackets: d = 3 | 8 (5 apart) on a = 1, and a = 1 | 4 (3 apart) at d = 1 and 3;
    the example is the narrowest, for the family's cases too (mutant: the family's pairs in
    grid order)."""
    fam, pred = _two({"d": [1, 3, 8], "a": [1, 4]})
    assert (fam.status, fam.example) == ("bracketed", "d=1: a=1 | a=4")
    assert (pred.status, pred.example) == ("bracketed", "d=1: a=1 | a=4")


def test_a_bool_grid_variable_has_no_neighbours():
    """An integer grid variable is one whose values are integers, *not bools*, and a real
    one's are numbers, not bools (module docstring): points that differ in a flag are no
    neighbours, so the flag's two cases meet at no boundary (mutants: ``_is_int`` and
    ``_real_vars`` without their bool test: the first read the flag as an integer from 0 to
    1, straddled; the second as a real, bracketed)."""
    def formula(d, bias=False):
        return _lc(d, "with bias" if bias else "without")

    fam = _family("flagged", (ParamSpec("d", int, 1, 20),
                              ParamSpec("bias", bool, None, None, False)), formula)
    c = claim({"d": [1, 2], "bias": [False, True]}, families={"flagged": fam},
              family="flagged")
    cov = case_coverage(c, fam, "quick")
    assert {r.label: r.points for r in cov.reached} == {"without": 2, "with bias": 2}
    assert cov.boundaries == () and cov.box == "enumerated: 4 points"


def test_box_neighbours_differ_in_an_integer_variable_only():
    """In the box neighbours differ by 1 in one *integer* variable: two box points a real
    variable's grid values apart are no neighbours (mutant: the box's pairs over the real
    variables too, at a = 0.5 | 1.5). The closed form fails at the grid points with a = 1.5,
    so "high", at the box's d = 2, a = 1.5 only, meets "low" only across a."""
    def formula(d, a):
        if a > 1 and d != 2:
            raise ValueError("outside")
        return _lc(d, "high" if a > 1 else "low")

    fam = _family("real2", (ParamSpec("d", int, 1, 20), ParamSpec("a", float, 0.0, 5.0)),
                  formula)
    c = claim({"d": [1, 3], "a": [0.5, 1.5]}, families={"real2": fam}, family="real2")
    cov = case_coverage(c, fam, "quick")
    assert [(r.label, r.example) for r in cov.box_only] == [("high", "a=1.5, d=2")]
    assert family_boundaries(cov) == {}


def test_three_arguments_of_min_tie_only_where_both_attain_it():
    """min(4, d, 10 − d): a pair of arguments is crossed only where one attains the minimum
    alone at one neighbour and the other alone at the other; where neither attains it the
    pair says nothing (mutants: Min read as Max; neither attaining read as the first
    attaining; crossed where only one side is "neither")."""
    c = claim({"d": [2, 5]}, FAKE, "fake_regular", "min(d, 4, 10 - d)")
    got = {b.equation: (b.status, b.example) for b in case_coverage(
        c, FAKE["fake_regular"], "quick").boundaries if b.source == "predicted"}
    assert got == {"4 = d (Min tie)": ("bracketed", "d=2 | d=5"),
                   "4 = 10 - d (Min tie)": ("not reached", ""),  # the box ends at d = 5
                   "d = 10 - d (Min tie)": ("not reached", "")}
    c = claim({"d": [2, 7]}, FAKE, "fake_regular", "min(d, 4, 10 - d)")
    got = {b.equation: (b.status, b.example) for b in case_coverage(
        c, FAKE["fake_regular"], "quick").boundaries if b.source == "predicted"}
    # d = 2: d alone; d = 7: 10 − d alone; 4 = 10 − d's pair is "neither" at d = 2
    assert got["4 = 10 - d (Min tie)"] == ("not reached", "d=6")
    assert got["4 = d (Min tie)"] == ("not reached", "d=4")
    assert got["d = 10 - d (Min tie)"] == ("bracketed", "d=2 | d=7")


def test_at_most_24_expression_boundaries():
    """MAX_EQUATIONS: 28 ties of predicted, 24 read (mutants: ``<=``, 23)."""
    pred = " + ".join(f"min(d, {k})" for k in range(2, 30))
    c = claim({"d": [1]}, FAKE, "fake_regular", pred)
    cov = case_coverage(c, FAKE["fake_regular"], "quick")
    assert len([b for b in cov.boundaries if b.source == "predicted"]) == 24


def _none():
    """A family without a closed form: its box is enumerated, never labelled."""
    return Family("none", "n", (ParamSpec("d", int, 1, 3000, 1),
                                ParamSpec("x", float, 0.0, 9.0, 1.0)), build=lambda **kw: None)


def test_a_box_of_2000_points_is_enumerated_and_one_without_an_integer_variable_is_not():
    """The box is enumerated up to MAX_BOX_POINTS = 2000 points (mutant: ``>=``); a grid
    without an integer variable has no box (mutant: that guard dropped, the box read as the
    grid's own points)."""
    fam = _none()
    c = claim({"d": [1, 2000]}, families={"none": fam}, family="none", evidence=["llc"])
    assert case_coverage(c, fam, "quick").box == "enumerated: 2000 points"
    c = claim({"d": [1, 2001]}, families={"none": fam}, family="none", evidence=["llc"])
    assert case_coverage(c, fam, "quick").box == "not enumerated: 2001 points, more than 2000"
    c = claim({"x": [0.5, 1.5]}, families={"none": fam}, family="none", evidence=["llc"])
    assert case_coverage(c, fam, "quick").box == "not enumerated: no integer grid variable"


def test_a_family_without_a_closed_form_has_no_point_where_it_failed():
    """``not_computed`` counts the points where the closed form *failed*: with none, none
    (mutant: every grid point counted)."""
    fam = _none()
    c = claim({"d": [1, 2]}, families={"none": fam}, family="none", evidence=["llc"])
    cov = case_coverage(c, fam, "quick")
    assert (cov.not_computed, cov.not_computed_example) == (0, "")


def test_the_first_point_not_computed_is_the_example():
    """``not_computed_example``: the first of them, with its error where one was caught
    (mutants: the last error kept; the last point without an error)."""
    def formula(d):
        if d > 1:
            raise ValueError(f"no formula at d = {d}")
        return _lc(d, "one")

    fam = _family("late", (ParamSpec("d", int, 1, 20),), formula)
    c = claim({"d": [1, 2, 3]}, families={"late": fam}, family="late")
    cov = case_coverage(c, fam, "quick")
    assert cov.not_computed == 2
    assert cov.not_computed_example == "d=2: ValueError: no formula at d = 2"
    known = {'{"d": 1}': "one", '{"d": 2}': None, '{"d": 3}': None}
    cov = case_coverage(c, fam, "quick", known=known)
    assert (cov.not_computed, cov.not_computed_example) == (2, "d=2")


def test_a_case_reached_names_its_first_point_and_a_tie_counts_its_points():
    """``reached[].example`` is the first grid point in the case; an ``on`` boundary counts
    every grid point on it and names the first; the text carries the count (mutants: the
    last point as the example; one point on; the text's count 1)."""
    c = claim({"d": [1, 2, 3], "a": [1, 2]}, families={"two": TWO}, family="two",
              predicted="min(d, 3)")
    cov = case_coverage(c, TWO, "quick")
    assert [(r.label, r.points, r.example) for r in cov.reached] == [
        ("low", 5, "a=1, d=1"), ("high", 1, "a=2, d=3")]
    (tie,) = [b for b in cov.boundaries if b.source == "predicted"]
    assert (tie.status, tie.on, tie.example) == ("on", 2, "a=1, d=3")
    assert "at 2 points (e.g. a=1, d=3)" in coverage_text(cov.to_json())


def test_skipping_a_box_that_was_never_enumerated_keeps_why():
    """``skip_box`` (the closed form ran out of time) replaces an enumerated box; a box too
    large to enumerate keeps its size as the reason (mutant: the skip's reason over it)."""
    fam = _none()
    c = claim({"d": [1, 2500]}, families={"none": fam}, family="none", evidence=["llc"])
    assert case_coverage(c, fam, "quick", skip_box="too slow").box == \
        "not enumerated: 2500 points, more than 2000"


def test_the_text_of_points_not_computed_and_of_a_boundary_the_box_never_reaches():
    """The one-line text says where the closed form was not computed, and names no box point
    for a boundary not reached where the box never reaches it (mutants: the not-computed
    clause dropped; "(in the box at )" with an empty example)."""
    d = {"formula": "f", "status": "ok", "not_computed": 2, "not_computed_example": "d=2",
         "reached": [{"label": "A", "points": 1, "example": "d=1"}], "box": "",
         "box_only": [], "boundaries": [{"source": "predicted", "status": "not reached",
                                         "between": [], "equation": "d = 9", "on": 0,
                                         "example": ""}]}
    assert coverage_text(d) == ("Cases of f: reached A (1 point); not computed at 2 points "
                                "(first: d=2). Boundaries: not reached d = 9 (of predicted).")


# --- LLC controls -----------------------------------------------------------------------------

RRR_POINT = {"m": 3, "n": 4, "h": 3, "r": 1}


def _chosen(family, params, **kw):
    from slttheory.models import FAMILIES as PACKAGE

    return ctl.choose_controls(family, params, PACKAGE, "Someone 2020", **kw)


def test_the_first_control_of_each_kind_in_the_kinds_order():
    """Reduced-rank regression (3, 4, 3, 1): its certified candidates run regular (r = 3),
    m = 1 (r = 0), m = 1 (r = 2), unlabelled DLNs, m = 2 (DLN r = 2): the chosen are the
    first regular, the first m = 1 (r = 0, the smallest rank: mutant ``range(1, top)``) and
    the first m = 2, not the next candidate (mutant: m = 2 not among the kinds sought), in
    the order regular, m = 1, m = 2 (mutant: the kinds reordered)."""
    got = [(c.family, c.kind, c.params.get("r")) for c in _chosen("reduced_rank_regression",
                                                                   RRR_POINT)]
    assert got == [("reduced_rank_regression", "regular", 3),
                   ("reduced_rank_regression", "singular, m = 1", 0),
                   ("deep_linear_network", "singular, m = 2", 2)]


def test_count_caps_the_controls_even_below_the_kinds():
    """``count`` controls at most, the first kinds first (mutant: the three kinds returned
    whatever ``count``)."""
    assert [c.kind for c in _chosen("reduced_rank_regression", RRR_POINT, count=1)] == \
        ["regular"]


def test_no_candidate_is_certified_after_the_deadline():
    """``deadline``: no candidate certified after it (mutant: the deadline ignored)."""
    import time

    assert _chosen("reduced_rank_regression", RRR_POINT, deadline=time.monotonic() - 1) == []


def test_a_mapping_without_a_candidates_family_skips_its_candidates():
    """A ``--families`` mapping with reduced-rank regression but not deep linear networks:
    the DLN candidates are passed over, not a KeyError out of the run (mutant: the
    ``fam not in families`` guard dropped)."""
    from slttheory.models import FAMILIES as PACKAGE

    mine = {"reduced_rank_regression": PACKAGE["reduced_rank_regression"]}
    got = ctl.choose_controls("reduced_rank_regression", RRR_POINT, mine, "Someone 2020")
    assert [c.kind for c in got] == list(ctl.KINDS)
    assert "deep_linear_network" not in {c.family for c in got}


def test_candidates_keep_the_smallest_sizes_and_drop_the_point():
    """Neighbouring sizes down to the family's least (d = 1 for ``regular``, degree 0 for
    ``polynomial_regression``: mutant ``> low``); a deep linear network's reduced-rank
    regression candidates at its narrowest hidden layer, the rank its product can reach
    (mutant: the widest); the point itself never a candidate, where its rule names it
    (a quadratic network: mutant, the point left in)."""
    assert [q["d"] for _, q in ctl.candidates("regular", {"d": 2})] == [3, 1, 4, 5]
    assert [q["degree"] for _, q in ctl.candidates("polynomial_regression", {"degree": 1})] \
        == [2, 0, 3, 4]
    dln = ctl.candidates("deep_linear_network", {"widths": (3, 4, 2, 5), "r": 1})
    assert {q["h"] for f, q in dln if f == "reduced_rank_regression"} == {2, 1}  # 1: one unit
    point = {"d": 3, "k": 2, "p": 1}
    assert ("quadratic_network", point) not in ctl.candidates("quadratic_network", point)


def test_a_regular_control_is_of_multiplicity_one():
    """A regular point has m = 1: a regular control certified by the exact rank counts for
    the multiplicity gate (``judge.llc.beyond_controls``) at m = 1, so a family whose every
    point is regular, controlled by regular models only, is not left uncontrolled (mutant:
    its multiplicity None)."""
    from slttheory.models import FAMILIES as PACKAGE

    c = ctl.certify(PACKAGE["regular"], {"d": 3}, "Someone 2020")
    assert (c.kind, c.multiplicity) == ("regular", 1)


def test_a_controls_own_closed_form_certifies_only_where_established(monkeypatch):
    """The control family's own closed form certifies only where it is established; as
    stated, the next independent identity does (for a crossing, the Newton polyhedron)
    (mutant: the standing of the family's own formula unchecked)."""
    from dataclasses import replace

    from slttheory.models import FAMILIES as PACKAGE

    real = ctl.closed_form_route
    monkeypatch.setattr(ctl, "closed_form_route",
                        lambda fam, q: replace(real(fam, q), standing="as_stated"))
    c = ctl.certify(PACKAGE["normal_crossing"], {"powers": (1, 2)}, "Someone 2020")
    assert c is not None and c.certified_by.startswith("newton_polyhedron (Varchenko 1976")


def test_control_settings_fill_only_a_missing_or_unset_n_from_a_positive_integer():
    """The point's ``n``, or its family's ``default_n`` where the settings leave it unset,
    ``None`` included (mutant: only a missing key); a ``default_n`` that is no positive
    integer is not used (mutants: a bool taken; 0 taken)."""
    from types import SimpleNamespace as NS

    assert ctl.control_settings({"n": None}, NS(default_n=100)) == {"n": 100}
    assert ctl.control_settings({}, NS(default_n=True)) == {}
    assert ctl.control_settings({}, NS(default_n=0)) == {}


def test_a_control_run_that_failed_its_diagnostics_is_not_passed(monkeypatch):
    """A control run carries its estimate's diagnostics (``passed``), so a failing run is not
    usable (mutant: every run passed)."""
    from types import SimpleNamespace as NS

    monkeypatch.setattr(ctl, "_build", lambda fam, q, settings, device, data_seed: data_seed)
    monkeypatch.setattr(ctl, "_estimate_many",
                        lambda problems, settings, device, seed: [NS() for _ in problems])
    monkeypatch.setattr(ctl, "llc_evidence", lambda est: NS(mean=1.0, std_error=0.1,
                                                            clean=False, problems=()))
    c = ctl.Control("regular", {"d": 2}, "regular", "1", 1, "test")
    (run,) = ctl.run_control_jobs([(c, 0)], {"regular": None}, {}, "cpu")
    assert run.passed is False and not run.usable
