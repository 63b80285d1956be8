"""A constraint is decided as Python decides ``and``/``or``/``not``, from left to right as
written (``expr.decide``): a guard such as ``len(widths) > 3`` keeps the comparison after it
from being evaluated where it is False, so ``widths[3]`` is never taken from a shorter list
and a claim can leave such points out. Every list term had been taken up front, so the guarded
index was an error at those points. An index no guard before it excludes is still an error
naming the key and the point; and the report reads ``max(d)`` of a number ``d`` as ``d``, a
list term only for a variable with list values."""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from slttheory.models import FAMILIES
from slttheory.verify.claims import ClaimError, load_claim
from slttheory.verify.expr import ExpressionError, decide, evaluate, parse_formula

DLN = """
id = "dln"
title = "t"
source = "s"
family = "deep_linear_network"
kind = "closed_form"
predicted = "{predicted}"
evidence = ["closed_form"]
constraint = "{constraint}"
[grid]
widths = [[3, 4, 2], [2, 5, 6, 1], [2, 3, 4, 5]]
r = [0]
"""

NC = """
id = "nc"
title = "t"
source = "s"
family = "normal_crossing"
kind = "closed_form"
predicted = "1/(2*max(powers))"
evidence = ["closed_form"]
constraint = "{constraint}"
[grid]
powers = [[2, 1], [3, 1]]
"""


def _load(tmp_path, text):
    p = tmp_path / "c.toml"
    p.write_text(text)
    return load_claim(p, FAMILIES)


def _dln(tmp_path, constraint, predicted="sum(widths)"):
    return _load(tmp_path, DLN.format(constraint=constraint, predicted=predicted))


def _widths(claim):
    return [p["widths"] for p in claim.points("quick")]


def _constraint(text, names=("w", "d"), lists=("w",)):
    return parse_formula(text, list(names), key="constraint", boolean=True, lists=list(lists))


# --- the guard reads False at a short list, the index after it is never taken ----------------


@pytest.mark.parametrize(("constraint", "kept"), [
    ("len(widths) > 3 and widths[3] >= 1", [(2, 5, 6, 1), (2, 3, 4, 5)]),
    ("len(widths) > 3 and widths[3] == 1", [(2, 5, 6, 1)]),
    ("len(widths) > 3 and widths[3] > 1", [(2, 3, 4, 5)]),
    ("len(widths) < 4 or widths[3] == 1", [(3, 4, 2), (2, 5, 6, 1)]),
    ("not (len(widths) < 4 or widths[3] != 1)", [(2, 5, 6, 1)]),
    ("r == 0 and (len(widths) <= 3 or widths[3] > widths[2])", [(3, 4, 2), (2, 3, 4, 5)]),
    # a chain is an `and` of its comparisons, left to right
    ("3 < len(widths) <= widths[3] + 3", [(2, 5, 6, 1), (2, 3, 4, 5)]),
])
def test_a_guarded_index_reads_false_where_the_guard_does(tmp_path, constraint, kept):
    assert _widths(_dln(tmp_path, constraint)) == kept


def test_predicted_is_evaluated_only_where_the_constraint_holds(tmp_path):
    c = _dln(tmp_path, "len(widths) > 3 and widths[3] > 1", predicted="widths[3]/2")
    assert [c.predicted_at(p) for p in c.points("quick")] == [sp.Rational(5, 2)]


@pytest.mark.parametrize("constraint", [
    "widths[3] >= 1",
    "widths[3] >= 1 and len(widths) > 3",  # the guard comes after the index: not a guard
    "len(widths) > 2 and widths[3] >= 1",  # a guard that does not exclude the short list
    "len(widths) > 3 or widths[3] >= 1",
])
def test_an_unguarded_index_is_still_an_error_naming_the_key_and_the_point(tmp_path,
                                                                           constraint):
    with pytest.raises(ClaimError) as e:
        _dln(tmp_path, constraint)
    assert str(e.value).endswith(
        'c.toml: constraint: at grid point {"r": 0, "widths": [3, 4, 2]} (profile quick): '
        "widths[3]: index out of range (widths = (3, 4, 2) has 3 entries)")


# --- decide() on its own ------------------------------------------------------------------------


def test_decide_stops_at_the_first_comparison_that_settles_it():
    c = _constraint("len(w) > 2 and w[2] > 1")
    assert c.written is not None
    assert decide(c.written, {"w": (1, 2)}, c.terms) == (sp.false, ())
    assert decide(c.written, {"w": (1, 2, 3)}, c.terms) == (sp.true, ())
    assert decide(c.written, {"w": (1, 2, 0)}, c.terms) == (sp.false, ())
    # the sympy expression as a whole still takes every term: the written order decides
    with pytest.raises(ExpressionError, match=r"w\[2\]: index out of range"):
        evaluate(c.expr, {"w": (1, 2)}, c.terms)


def test_a_constraint_loads_to_the_same_expression():
    c = _constraint("len(w) > 2 and w[2] > 1 or not d < 3")
    assert str(c.expr) == "(d >= 3) | ((len(w) > 2) & (w[2] > 1))"
    assert c.terms == {"len(w)": ("len", "w"), "w[2]": ("index", "w", 2)}
    assert [str(p) for p in _constraint("d > 1").divisors] == []


def test_not_of_a_guarded_index():
    c = _constraint("not (len(w) <= 2 or w[2] <= 1)")
    assert [bool(decide(c.written, {"w": w}, c.terms)[0]) for w in [(1, 2), (0, 0, 2),
                                                                   (0, 0, 1)]] == [
        False, True, False]


def test_a_constant_false_comparison_guards_too():
    c = _constraint("1 > 2 and w[9] > 0")
    assert decide(c.written, {"w": ()}, c.terms) == (sp.false, ())


# --- division by zero as written: only in the comparisons reached -----------------------------


def test_a_division_behind_a_false_guard_is_no_fault(tmp_path):
    # cancelled by sympy: the written division counts only where its comparison is reached
    c = _load(tmp_path, NC.format(
        constraint="max(powers) > 2 and 1/(max(powers) - 2) - 1/(max(powers) - 2) == 0"))
    assert [p["powers"] for p in c.points("quick")] == [(3, 1)]
    # not cancelled: 1/0 is never computed behind the guard
    c = _load(tmp_path, NC.format(constraint="max(powers) > 2 and 1/(max(powers) - 2) > 0"))
    assert [p["powers"] for p in c.points("quick")] == [(3, 1)]


@pytest.mark.parametrize(("constraint", "match"), [
    ("1/(max(powers) - 2) - 1/(max(powers) - 2) == 0 and max(powers) > 2",
     r"constraint: .*\[2, 1\].*divides by max\(powers\) - 2 = 0"),
    ("max(powers) < 3 and 1/(max(powers) - 2) - 1/(max(powers) - 2) == 0",
     r"constraint: .*\[2, 1\].*divides by max\(powers\) - 2 = 0"),
    ("1/(max(powers) - 2) > 0 or max(powers) > 2", r"constraint: .*\[2, 1\].*zoo"),
])
def test_a_division_reached_is_still_a_fault(tmp_path, constraint, match):
    with pytest.raises(ClaimError, match=match):
        _load(tmp_path, NC.format(constraint=constraint))


def test_decide_names_the_divisors_of_the_comparisons_reached():
    c = _constraint("d > 2 and w[0]/(d - 1) > 0 or 1/(d - 3) > 5")
    assert decide(c.written, {"d": 2, "w": (1,)}, c.terms)[1] == (sp.Symbol("d") - 3,)
    assert decide(c.written, {"d": 4, "w": (1,)}, c.terms) == (sp.true, (sp.Symbol("d") - 1,))


# --- the property ------------------------------------------------------------------------------


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.lists(st.integers(-3, 3), max_size=5), st.integers(0, 6), st.integers(-3, 3),
       st.booleans())
def test_a_guarded_index_never_errors_and_reads_as_python(w, i, c, negated):
    if negated:  # the same guard through `or`
        text, want = f"len(w) <= {i} or w[{i}] <= {c}", len(w) <= i or w[i] <= c
    else:
        text, want = f"len(w) > {i} and w[{i}] > {c}", len(w) > i and w[i] > c
    parsed = _constraint(text)
    value, divisors = decide(parsed.written, {"w": tuple(w), "d": 1}, parsed.terms)
    assert value is (sp.true if want else sp.false) and divisors == ()


# --- the report: max(d) of a number is d --------------------------------------------------------


def test_the_report_reads_max_of_a_number_as_the_number():
    from slttheory.verify.report.html import _claim_lists, _mathml, _prediction_cell

    assert _mathml("max(d) + 1", ("d",)) == \
        "<math><mrow><mi>d</mi><mo>+</mo><mn>1</mn></mrow></math>"
    scalar = {"predicted": "max(d)/2", "grid": {"d": [1, 2]},
              "points": [{"params": {"d": 1}}, {"params": {"d": 2}}]}
    assert _claim_lists(scalar) == []
    cell = _prediction_cell(scalar)
    assert "max(d)" not in cell.replace('title="max(d)/2"', "") and "<mi>d</mi>" in cell
    listed = {"predicted": "1/(2*max(powers))", "grid": {"powers": [[1, 2], [1, 3]]},
              "points": [{"params": {"powers": [1, 2]}}]}
    assert _claim_lists(listed) == ["powers"]
    assert "<mi>max(powers)</mi>" in _prediction_cell(listed)
