"""A ``predicted`` or ``constraint`` whose written ``log``, root or non-integer power is not a
finite real number at a grid point is an error there, even where sympy cancels that term
while building the expression (a red team of expr.py: ``d/2 + log(d - 2) - log(d - 2)`` gave
d/2 = 1 at d = 2, ``d/2 + sqrt(d - 5) - sqrt(d - 5)`` gave 3/2 at d = 3, ``sqrt(d - 3)**2``
gave -2 at d = 1, ``log(d - 1)/log(d - 1)`` gave 1 at d = 1, and ``log(8, b)`` gave 0 at a
base b = 0; the README's rule is that the formula as written is finite and real at every
point). The same guard as for cancelled divisions (test_cancelled_division.py)."""

from __future__ import annotations

import pytest
from fake_families import FAMILIES
from test_cancelled_division import CLAIM  # the same one-variable claim

from slttheory.verify.claims import ClaimError, load_claim
from slttheory.verify.expr import (
    DomainTerm,
    decide,
    evaluate,
    parse_divisors,
    parse_formula,
    parse_predicted,
)


@pytest.mark.parametrize("predicted, at", [
    ("d/2 + log(d - 1) - log(d - 1)", 1),        # Add cancels x - x (log 0)
    ("d/2 + 0*log(d - 1)", 1),                    # 0*x is folded to 0
    ("d/2 + sqrt(d - 3) - sqrt(d - 3)", 1),       # a root of a negative number
    ("sqrt(d - 3)**2 + 3", 1),                    # sqrt(x)**2 is built as x
    ("(d - 3)**(1/2)*(d - 3)**(1/2) + 3", 1),     # so is x**(1/2)*x**(1/2)
    ("d*log(d - 1)/log(d - 1)", 1),               # log 0 as a divisor: zoo, not 0
])
def test_an_undefined_term_that_sympy_cancels_is_an_error_naming_the_point(tmp_path,
                                                                         predicted, at):
    names = ["d"]
    p = parse_formula(predicted, names)
    assert evaluate(p.expr, {"d": at}).is_real  # the built expression hides it
    path = tmp_path / "c.toml"
    path.write_text(CLAIM.format(predicted=predicted))
    with pytest.raises(ClaimError, match=rf'predicted.*grid point \{{"d": {at}\}}.*not a '
                                         r'finite real number.*undefined'):
        load_claim(path, FAMILIES)


def test_a_log_base_of_zero_at_a_point_is_an_error_not_0(tmp_path):
    """log(8, b) is built as log(8)/log(b), which sympy reads as 0 at b = 0 (log 0 = zoo)."""
    assert evaluate(parse_predicted("log(8, d)", ["d"]), {"d": 0}) == 0
    path = tmp_path / "c.toml"
    path.write_text(CLAIM.format(predicted="1 + log(8, d - 1)").replace("[1, 2, 3]", "[1, 3]"))
    with pytest.raises(ClaimError, match=r'predicted.*grid point \{"d": 1\}.*log\(d - 1\)'):
        load_claim(path, FAMILIES)


def test_a_log_base_of_one_at_a_point_divides_by_zero(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(CLAIM.format(predicted="1 + 0*log(8, d - 1)").replace("[1, 2, 3]", "[2, 3]"))
    with pytest.raises(ClaimError, match=r'predicted.*grid point \{"d": 2\}.*log\(d - 1\) = 0'):
        load_claim(path, FAMILIES)


@pytest.mark.parametrize("predicted", ["d/2 + log(d + 1)", "sqrt(d)/2", "d**(1/2) + 1",
                                       "log(d + 1, 2)", "sqrt(d*(d + 1)/2)", "d**(d/2)",
                                       "log(8, d + 1)"])
def test_a_term_defined_everywhere_still_loads(tmp_path, predicted):
    path = tmp_path / "c.toml"
    path.write_text(CLAIM.format(predicted=predicted))
    assert load_claim(path, FAMILIES).predicted_expr is not None


def test_the_terms_are_listed_with_the_divisors():
    assert DomainTerm(parse_predicted("log(d - 2)", ["d"])) in parse_divisors(
        "d/2 + log(d - 2) - log(d - 2)", ["d"])
    assert parse_divisors("d/2 + d**2", ["d"]) == ()  # integer powers are always defined


def test_a_guarded_constraint_does_not_reach_the_undefined_term(tmp_path):
    """As with divisions: ``d > 2 and ...`` never evaluates what follows at d <= 2."""
    p = parse_formula("d > 2 and log(d - 2) - log(d - 2) < 1", ["d"], boolean=True)
    assert decide(p.written, {"d": 2}) == (False, ())
    v, reached = decide(p.written, {"d": 3})
    assert bool(v) and reached
    path = tmp_path / "c.toml"
    path.write_text(CLAIM.format(predicted="d/2").replace(
        "[grid]", 'constraint = "log(d - 2) - log(d - 2) < 1 or d > 0"\n[grid]'))
    with pytest.raises(ClaimError, match=r'constraint.*grid point \{"d": 1\}.*log\(d - 2\)'):
        load_claim(path, FAMILIES)
