"""A red team of the list terms (``max(powers)``, ``widths[0]``, …) in ``predicted`` and
``constraint``: what broke, and what held."""

from __future__ import annotations

import time

import pytest
import sympy as sp

from slttheory.models import FAMILIES
from slttheory.verify.claims import ClaimError, load_claim
from slttheory.verify.expr import (
    ExpressionError,
    evaluate,
    list_value,
    parse_divisors,
    parse_list_terms,
    parse_predicted,
)

LISTS = ["powers", "widths"]
NAMES = ["d", "powers", "widths"]

CLAIM = """
id = "rt"
title = "t"
source = "Smith 2021, arXiv:2101.00001"
family = "{family}"
kind = "closed_form"
predicted = "{predicted}"
evidence = ["closed_form"]
{extra}
[grid]
{grid}
"""


def _load(tmp_path, predicted, grid, family="normal_crossing", extra=""):
    p = tmp_path / "c.toml"
    p.write_text(CLAIM.format(family=family, predicted=predicted, grid=grid, extra=extra))
    return load_claim(p, FAMILIES)


# --- broke: sympy's Max/Min of a long list is quadratic ------------------------------------


@pytest.mark.parametrize("op", ["max", "min", "sum"])
def test_a_long_list_term_is_linear_not_sympys_pairwise_max(op):
    """sympy's Max of 10 000 distinct integers took 25 s (pairwise comparisons)."""
    values = {"w": tuple(range(1, 5_001))}
    t = time.monotonic()
    v = list_value((op, "w"), values)
    assert time.monotonic() - t < 1.0
    assert v == {"max": 5_000, "min": 1, "sum": 5_000 * 5_001 // 2}[op]


def test_a_constraint_on_a_long_list_does_not_hang_the_loader(tmp_path):
    """The constraint is evaluated before the family's validation caps a list at 64 entries:
    a 129 kB claim file whose powers had 20 000 entries took 108 s to load."""
    powers = "[" + ", ".join(map(str, range(1, 8_001))) + "]"
    t = time.monotonic()
    with pytest.raises(ClaimError, match="at most 64"):
        _load(tmp_path, "1/2", f"powers = [{powers}]",
              extra='constraint = "max(powers) > 0 and min(powers) > 0"')
    assert time.monotonic() - t < 5.0


def test_list_values_stay_exact():
    assert list_value(("sum", "w"), {"w": (0.1, 0.2)}) == sp.Rational(3, 10)
    assert list_value(("max", "w"), {"w": (0.1, 1e-300)}) == sp.Rational(1, 10)
    assert list_value(("min", "w"), {"w": (3, -0.5)}) == sp.Rational(-1, 2)
    assert list_value(("sum", "w"), {"w": (1, 0.5)}) == sp.Rational(3, 2)
    assert list_value(("index", "w", 0), {"w": (0.1,)}) == sp.Rational(1, 10)
    assert isinstance(list_value(("max", "w"), {"w": (1, 2)}), sp.Integer)
    for bad in [(float("nan"),), (1, True), [1, "2"], 3, None]:
        with pytest.raises(ExpressionError, match="not a list of finite numbers"):
            list_value(("max", "w"), {"w": bad})
    with pytest.raises(ExpressionError, match="empty list"):
        list_value(("max", "w"), {"w": ()})


# --- held: the whitelist ----------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "powers[0].__class__", "powers[0](1)", "max(powers)[0]", "powers[powers[0]]",
    "widths[0:1]", "widths[()]", "widths[-0]", "widths[--1]", "widths[10**30]", "widths[True]",
    "widths[-1.0]", "widths[1.0]", "widths[-2]", "widths[+1]", "widths[...]", "widths[None]",
    "widths[d]", "d[0]", "max(powers, powers)", "max(*powers)", "sum(powers, 1)", "sum(d)",
    "len(d)", "len(powers)[0]", "max(powers)(1)", "powers.count", "min(powers=1)",
    "max(x=powers)", "widths[0,]", "widths[[0]]", "[powers][0]", "widths[0][0]",
    "max(powers, key=d)", "sum(max(powers))", "powers + 1", "-powers",
])
def test_refused(text):
    with pytest.raises(ExpressionError):
        parse_predicted(text, NAMES, lists=LISTS)


@pytest.mark.parametrize(("text", "name"), [
    ("(powers)[0]", "powers[0]"), ("widths[00]", "widths[0]"), ("widths[0x1]", "widths[1]"),
    ("widths[1_0]", "widths[10]"), ("widths [ 0 ]", "widths[0]"), ("widths[(0)]", "widths[0]"),
    ("max(max(powers))", "max(powers)"),
])
def test_spellings_of_one_term_are_one_symbol(text, name):
    assert str(parse_predicted(text, NAMES, lists=LISTS)) == name
    assert list(parse_list_terms(text, NAMES, LISTS)) == [name]


def test_a_huge_index_is_out_of_range_at_the_point(tmp_path):
    with pytest.raises(ClaimError, match=r"widths\[99999999999999999999\]: index out of range"):
        _load(tmp_path, "widths[99999999999999999999]", "widths = [[3, 4, 3]]\nr = [0]",
              family="deep_linear_network")


# --- held: resource limits at the point -----------------------------------------------------


@pytest.mark.parametrize(("predicted", "grid", "family"), [
    ("2**max(powers)", "powers = [[1000000]]", "normal_crossing"),
    ("max(powers)**max(powers)", "powers = [[100000]]", "normal_crossing"),
    ("binomial(sum(widths), widths[0])", "widths = [[1000000, 1000000, 3]]\nr = [0]",
     "deep_linear_network"),
])
def test_list_terms_in_powers_and_binomials_are_bounded(tmp_path, predicted, grid, family):
    with pytest.raises(ClaimError, match="MAX_BITS"):
        _load(tmp_path, predicted, grid, family=family)


# --- held: division by zero as written, with list terms --------------------------------------


@pytest.mark.parametrize(("predicted", "grid", "family", "match"), [
    ("1/(max(powers) - 2)", "powers = [[2, 1], [3, 1]]", "normal_crossing",
     r'powers": \[2, 1\].*zoo'),
    ("1/(2*min(powers))", "powers = [[0, 2]]", "normal_crossing", r'powers": \[0, 2\].*zoo'),
    ("1/(widths[0] - widths[-1])", "widths = [[3, 4, 3]]\nr = [0]", "deep_linear_network",
     r'widths": \[3, 4, 3\].*zoo'),
    ("1/(len(widths) - 3) - 1/(len(widths) - 3) + 1", "widths = [[3, 4, 3]]\nr = [0]",
     "deep_linear_network", r"divides by len\(widths\) - 3 = 0"),
    ("1/4 + min(powers)/min(powers) - 1", "powers = [[0, 2]]", "normal_crossing",
     r"divides by min\(powers\) = 0"),
])
def test_written_division_by_a_list_term_at_zero_is_an_error_naming_the_point(
        tmp_path, predicted, grid, family, match):
    with pytest.raises(ClaimError, match=match):
        _load(tmp_path, predicted, grid, family=family)


def test_a_constraint_on_list_terms_filters_before_predicted_is_evaluated(tmp_path):
    c = _load(tmp_path, "1/(max(powers) - 2) - 1/(max(powers) - 2) + 1/4",
              "powers = [[2, 1], [3, 1]]", extra='constraint = "max(powers) > 2"')
    assert [p["powers"] for p in c.points("quick")] == [(3, 1)]
    c = _load(tmp_path, "widths[3]", "widths = [[3, 4, 3], [2, 5, 6, 1]]\nr = [0]",
              family="deep_linear_network", extra='constraint = "len(widths) >= 4"')
    assert [c.predicted_at(p) for p in c.points("quick")] == [1]


def test_a_cancelled_division_in_a_constraint_is_an_error(tmp_path):
    with pytest.raises(ClaimError, match=r"constraint: .*divides by max\(powers\) - 2 = 0"):
        _load(tmp_path, "1/4", "powers = [[2, 1], [3, 1]]",
              extra='constraint = "1/(max(powers) - 2) - 1/(max(powers) - 2) == 0"')


def test_a_list_in_one_profile_and_a_number_in_another_names_the_key(tmp_path):
    with pytest.raises(ClaimError, match=r"profiles\.full\.grid\.powers: predicted uses "
                                         r"max\(powers\)"):
        _load(tmp_path, "max(powers)", "powers = [[1, 2]]",
              extra="[profiles.full.grid]\npowers = [3]")


def test_min_of_a_number_parameter_is_the_number(tmp_path):
    c = _load(tmp_path, "min(r)/2 + sum(widths)", "widths = [[3, 4, 3]]\nr = [0, 1]",
              family="deep_linear_network")
    assert [c.predicted_at(p) for p in c.points("quick")] == [10, sp.Rational(21, 2)]
    with pytest.raises(ClaimError, match=r"sum\(\) takes a list variable alone"):
        _load(tmp_path, "sum(r)", "widths = [[3, 4, 3]]\nr = [0]",
              family="deep_linear_network")


# --- a symbolic negative power that sympy cancels ---------------------------------------------


def test_a_symbolic_negative_power_of_zero_cancelled_by_sympy_is_an_error(tmp_path):
    """x**(-n)*x**n is built as 1, so 0**(-2)*0**2 read 1 (scalars alike: r**(-r)*r**r): a
    power with a symbolic exponent now divides by its base wherever the exponent is
    negative."""
    text = "1/4*min(powers)**(-len(powers))*min(powers)**len(powers)"
    assert parse_divisors(text, ["powers"], lists=["powers"])
    with pytest.raises(ClaimError, match="powers"):
        _load(tmp_path, text, "powers = [[0, 2]]")
    _load(tmp_path, text, "powers = [[1, 2]]")  # the base is not 0: the formula is defined


# --- held: the report shows a term's name escaped --------------------------------------------


def test_mathml_of_list_terms():
    from slttheory.verify.report.html import _mathml

    # the report passes the claim's list variables (html._claim_lists)
    mm = _mathml("1/(2*max(powers)) + widths[-1]", ("powers", "widths"), ("powers", "widths"))
    assert "<mi>max(powers)</mi>" in mm and "<mi>widths[-1]</mi>" in mm
    assert "<script" not in (_mathml("max(powers)<script>", (), ("powers",)) or "")


def test_evaluate_takes_a_term_from_the_list_not_a_value_of_that_name():
    e = parse_predicted("max(powers) + 1", ["powers"], lists=["powers"])
    terms = parse_list_terms("max(powers) + 1", ["powers"], ["powers"])
    assert evaluate(e, {"powers": (1, 5), "max(powers)": 100}, terms) == 6
