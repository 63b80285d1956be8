"""A list-valued family parameter (``normal_crossing``'s ``powers``, ``deep_linear_network``'s
``widths``) in ``predicted`` and ``constraint``: only as ``max``, ``min``, ``sum`` or ``len`` of
the list alone, or indexed by an integer literal >= 0 or -1 (a usability audit: the normal
crossing λ = 1/(2·max(powers)) could not be written)."""

from __future__ import annotations

import pytest
import sympy as sp

from slttheory.models import FAMILIES
from slttheory.verify.claims import ClaimError, load_claim
from slttheory.verify.expr import (
    ExpressionError,
    ListUseError,
    evaluate,
    list_value,
    parse_constraint,
    parse_divisors,
    parse_list_terms,
    parse_predicted,
)

NC = """
id = "nc"
title = "t"
source = "s"
family = "normal_crossing"
kind = "closed_form"
predicted = "{predicted}"
evidence = ["closed_form"]
{extra}
[grid]
powers = {powers}
"""

DLN = """
id = "dln"
title = "t"
source = "s"
family = "deep_linear_network"
kind = "closed_form"
predicted = "{predicted}"
evidence = ["closed_form"]
[grid]
widths = [[3, 4, 2], [2, 5, 6, 1]]
"""


def _load(tmp_path, text):
    p = tmp_path / "c.toml"
    p.write_text(text)
    return load_claim(p, FAMILIES)


def _nc(tmp_path, predicted, powers="[[1, 2], [1, 3], [2, 2]]", extra=""):
    return _load(tmp_path, NC.format(predicted=predicted, powers=powers, extra=extra))


def test_normal_crossing_lambda_from_max_of_powers(tmp_path):
    c = _nc(tmp_path, "1/(2*max(powers))")
    assert [c.predicted_at(p) for p in c.points("quick")] == [
        sp.Rational(1, 4), sp.Rational(1, 6), sp.Rational(1, 4)]
    assert c.predicted == "1/(2*max(powers))"  # the text as written, for the report
    assert c.list_terms == {"max(powers)": ("max", "powers")}
    assert [str(b) for b in c.predicted_divisors] == ["2*max(powers)"]


@pytest.mark.parametrize(("predicted", "values"), [
    ("widths[0]", [3, 2]),
    ("widths[-1]", [2, 1]),
    ("widths[1]", [4, 5]),
    ("len(widths)", [3, 4]),
    ("sum(widths)", [9, 14]),
    ("min(widths)", [2, 1]),
    ("max(widths)", [4, 6]),
    ("widths[0]*widths[-1]/2 + len(widths)", [6, 5]),
    ("max(widths[0], widths[-1])", [3, 2]),
    ("2**len(widths)", [8, 16]),
])
def test_list_terms_of_widths_evaluate(tmp_path, predicted, values):
    c = _load(tmp_path, DLN.format(predicted=predicted))
    assert [c.predicted_at(p) for p in c.points("quick")] == values


@pytest.mark.parametrize(("predicted", "message"), [
    ("powers", r"grid.powers: predicted uses 'powers', so its values must be numbers, got "
               r"\(1, 2\) \(a list: use it only as max\(powers\), min\(powers\), "
               r"sum\(powers\), len\(powers\) or powers\[i\] with an integer literal i >= 0, "
               r"or -1 for the last entry\)$"),
    ("powers + 1", r"grid.powers: predicted uses 'powers', so .* \(a list: use it only as "),
    ("1/(2*floor(powers))", r"grid.powers: predicted uses 'powers', so .*\(a list: use it "),
    ("powers[1.5]", r"predicted: the index of 'powers' must be an integer literal >= 0, or -1 "
                    r"for the last entry, got '1.5' at column 1"),
    ("powers[noise]", r"the index of 'powers' must be an integer literal .* got 'noise'"),
    ("powers[-2]", r"the index of 'powers' must be .* got '-2'"),
    ("powers[0:1]", r"the index of 'powers' must be .* got '0:1'"),
    ("powers[True]", r"the index of 'powers' must be .* got 'True'"),
    ("max(powers, 3)", r"predicted: max\(\) of the list 'powers' takes the list alone: "
                       r"max\(powers\)"),
    ("min(1, powers)", r"min\(\) of the list 'powers' takes the list alone"),
    ("sum(noise)", r"predicted: sum\(\) takes a list variable alone \(here: powers\)"),
    ("powers.count(1)", r"predicted: call of a non-whitelisted function 'powers.count'"),
    ("powers.real", r"predicted: attribute access is not allowed at column 1"),
    ("noise[0]", r"predicted: subscript is not allowed at column 1"),
])
def test_other_uses_of_a_list_are_errors_naming_it(tmp_path, predicted, message):
    with pytest.raises(ClaimError, match=message):
        _nc(tmp_path, predicted, extra="[fixed]\nnoise = 1.0")


def test_bare_use_in_the_expression_module_names_the_variable_and_column():
    with pytest.raises(ListUseError, match=r"^predicted: 'powers' is a list: use it only as "
                                           r"max\(powers\), .* at column 12$") as e:
        parse_predicted("1/(2*floor(powers))", ["powers"], lists=["powers"])
    assert e.value.name == "powers"


def test_an_index_out_of_range_at_one_point_names_the_point_and_key(tmp_path):
    with pytest.raises(ClaimError, match=r'predicted: at grid point \{"powers": \[1, 2\]\} '
                                         r"\(profile quick\): powers\[2\]: index out of range "
                                         r"\(powers = \(1, 2\) has 2 entries\)"):
        _nc(tmp_path, "1/(2*powers[2])", powers="[[1, 2, 3], [1, 2]]")


def test_a_list_term_in_a_constraint(tmp_path):
    c = _nc(tmp_path, "1/(2*max(powers))", powers="[[1, 2], [1, 3, 1], [2, 2]]",
            extra='constraint = "len(powers) == 2 and powers[-1] >= 2"')
    assert [p["powers"] for p in c.points("quick")] == [(1, 2), (2, 2)]
    with pytest.raises(ClaimError, match=r"constraint: at grid point .*powers\[2\]: index out "
                                         r"of range"):
        _nc(tmp_path, "1/(2*max(powers))", extra='constraint = "powers[2] > 0"')


def test_a_written_division_by_a_list_term_that_is_zero_is_an_error(tmp_path):
    """parse_divisors still records a divisor written with a list term, and it is checked
    at each point where sympy cancels it (min(powers) = 0 at [0, 2])."""
    with pytest.raises(ClaimError, match=r"predicted: at grid point .*divides by min\(powers\) "
                                         r"= 0"):
        _nc(tmp_path, "1/(2*max(powers)) + 1/min(powers) - 1/min(powers)",
            powers="[[1, 2], [0, 2]]")


def test_a_list_used_as_a_list_must_have_lists_everywhere(tmp_path):
    """The profile grid gives powers a number: the key is named."""
    with pytest.raises(ClaimError, match=r"profiles.full.grid.powers.*max\(powers\), so the "
                                         r"values of 'powers' must be lists of numbers, got 3"):
        _nc(tmp_path, "1/(2*max(powers))", extra="[profiles.full.grid]\npowers = [3]")


def test_the_expression_module_directly():
    e = parse_predicted("1/(2*max(powers))", ["powers"], lists=["powers"])
    assert str(e) == "1/(2*max(powers))"
    terms = parse_list_terms("1/(2*max(powers))", ["powers"], ["powers"])
    assert evaluate(e, {"powers": (1, 3)}, terms) == sp.Rational(1, 6)
    assert parse_divisors("1/(2*max(powers))", ["powers"], lists=["powers"]) == (
        2 * sp.Symbol("max(powers)"),)
    c = parse_constraint("widths[0] <= widths[-1]", ["widths"], lists=["widths"])
    t = parse_list_terms("widths[0] <= widths[-1]", ["widths"], ["widths"], boolean=True)
    assert bool(evaluate(c, {"widths": (2, 3)}, t)) and not evaluate(c, {"widths": (3, 2)}, t)
    with pytest.raises(ExpressionError, match=r"max\(w\) of an empty list"):
        list_value(("max", "w"), {"w": ()})
    with pytest.raises(ExpressionError, match=r"'w' has value 3, which is not a list"):
        list_value(("len", "w"), {"w": 3})
    # without lists, a list term is not one: the numeric language is as before
    assert parse_predicted("max(d)", ["d"]) == sp.Symbol("d")
    with pytest.raises(ExpressionError, match="call of a non-whitelisted function 'len'"):
        parse_predicted("len(d)", ["d"])
    with pytest.raises(ExpressionError, match="predicted: subscript is not allowed"):
        parse_predicted("d[0]", ["d"])


def test_a_numeric_claim_is_unchanged(tmp_path):
    c = _nc(tmp_path, "noise/2 + 1", powers="[[1, 2]]", extra="[fixed]\nnoise = 1.0")
    assert c.predicted_at(c.points("quick")[0]) == sp.Rational(3, 2)
    assert c.list_terms == {}
    for text, message in [
        ("noise[0]", "predicted: subscript is not allowed at column 1"),
        ("len(noise)", "predicted: call of a non-whitelisted function 'len' (allowed: min, "
                       "max, floor, ceiling, binomial, sqrt, log) at column 1"),
    ]:
        with pytest.raises(ExpressionError) as e:
            parse_predicted(text, ["noise"])
        assert str(e.value) == message
