"""A ``predicted`` that divides by zero at a grid point as written is an error there, even
where sympy cancels the division while building the expression (an outside red team: the
claim ``d/2 + 1/(d - 2) - 1/(d - 2)`` was *confirmed* at d = 2, where it is undefined; the
README's rule is that ``predicted`` must be finite and real at every point)."""

from __future__ import annotations

import pytest
from fake_families import FAMILIES

from slttheory.verify.claims import ClaimError, load_claim
from slttheory.verify.expr import parse_divisors, parse_predicted

CLAIM = """
id = "x"
title = "t"
source = "s"
family = "fake_regular"
kind = "closed_form"
predicted = "{predicted}"
evidence = ["closed_form", "rank"]
[grid]
d = [1, 2, 3]
"""


@pytest.mark.parametrize("predicted", [
    "d/2 + 1/(d - 2) - 1/(d - 2)",     # Add cancels x - x
    "(d - 2)*d/(d - 2)/2",              # Mul cancels (d - 2)/(d - 2)
    "d/2*(d - 2)**(-1)*(d - 2)",        # a negative power is a division too
    "d/2 + 0/(d - 2)",                  # 0/x is folded to 0
])
def test_a_division_by_zero_that_sympy_cancels_is_an_error_naming_the_point(tmp_path,
                                                                             predicted):
    assert parse_predicted(predicted, ["d"]).free_symbols  # finite at d = 2 once built
    p = tmp_path / "c.toml"
    p.write_text(CLAIM.format(predicted=predicted))
    with pytest.raises(ClaimError, match=r'predicted.*grid point \{"d": 2\}.*d - 2 = 0'):
        load_claim(p, FAMILIES)


@pytest.mark.parametrize("predicted", ["d/2", "d/(d + 1)", "d**2/2", "1/(d + 5) + d/2",
                                       "d*(d - 1)/2"])
def test_a_division_that_is_defined_everywhere_still_loads(tmp_path, predicted):
    p = tmp_path / "c.toml"
    p.write_text(CLAIM.format(predicted=predicted))
    claim = load_claim(p, FAMILIES)
    assert claim.id == "x" and claim.predicted_expr is not None


def test_parse_divisors_lists_the_written_divisors():
    assert parse_divisors("(d - 1)*k/(d - 1) + 1/2", ["d", "k"]) == parse_divisors(
        "k*(d - 1)**(-1)*(d - 1)", ["d", "k"])
    assert parse_divisors("d/2", ["d"]) == ()
    assert parse_divisors(None, ["d"]) == ()


def test_a_constraint_that_divides_by_zero_as_written_is_an_error(tmp_path):
    """The same cancellation in a constraint: (d - 2)/(d - 2) > 0 read True at d = 2."""
    p = tmp_path / "c.toml"
    p.write_text(CLAIM.format(predicted="d/2").replace(
        'evidence = ["closed_form", "rank"]',
        'evidence = ["closed_form", "rank"]\nconstraint = "(d - 2)/(d - 2) > 0"'))
    with pytest.raises(ClaimError, match=r'constraint.*grid point \{"d": 2\}.*d - 2 = 0'):
        load_claim(p, FAMILIES)
    p.write_text(CLAIM.format(predicted="d/2").replace(
        'evidence = ["closed_form", "rank"]',
        'evidence = ["closed_form", "rank"]\nconstraint = "d/(d + 2) > 0"'))
    assert [q["d"] for q in load_claim(p, FAMILIES).points("quick")] == [1, 2, 3]


def test_every_written_divisor_is_listed_and_only_those_of_the_variables():
    """Each divisor counts, not only the first one written: 1/(d - 1) is defined at d = 3
    where the cancelled 1/(d - 3) is not. A constant base (2**(-1), i.e. /2) is no divisor
    of the variables."""
    assert parse_divisors("1/(d - 1) + 1/(d - 3) - 1/(d - 3)", ["d"]) == parse_divisors(
        "(d - 1)**(-1)*(d - 3)**(-1)", ["d"])
    assert len(parse_divisors("1/(d - 1) + 1/(d - 3) - 1/(d - 3)", ["d"])) == 2
    assert parse_divisors("d*2**(-1) + d/4", ["d"]) == ()


def test_a_second_cancelled_divisor_is_an_error_at_its_own_point(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text(CLAIM.format(predicted="d/2 + 1/(d + 1) + 1/(d - 2) - 1/(d - 2)"))
    with pytest.raises(ClaimError, match=r'predicted.*grid point \{"d": 2\}.*d - 2 = 0'):
        load_claim(p, FAMILIES)


def test_a_divisor_of_a_fixed_parameter_is_checked_too(tmp_path):
    """The divisors are read with the grid's and ``[fixed]``'s names: with k fixed at 2,
    1/(k - 2) − 1/(k - 2) divides by zero at every point (read with the grid's names alone,
    k was unknown and no divisor was found)."""
    from test_claims_robustness import FAMILIES as WIDE

    p = tmp_path / "c.toml"
    p.write_text(CLAIM.format(predicted="d/2 + 1/(k - 2) - 1/(k - 2)").replace(
        "fake_regular", "wide") + "[fixed]\nk = 2\n")
    with pytest.raises(ClaimError, match=r"predicted.*k - 2 = 0"):
        load_claim(p, WIDE)
    p.write_text(CLAIM.format(predicted="d/2 + 1/(k - 2) - 1/(k - 2)").replace(
        "fake_regular", "wide") + "[fixed]\nk = 3\n")
    load_claim(p, WIDE)


def test_a_divisor_too_large_to_evaluate_is_not_called_zero(tmp_path):
    """2**(d**64) cannot be computed (an ExpressionError), but it is not 0: the formula, which
    sympy cancels to d/2, loads rather than being said to divide by zero."""
    p = tmp_path / "c.toml"
    p.write_text(CLAIM.format(predicted="d/2 + 1/2**(d**64) - 1/2**(d**64)"))
    assert parse_divisors("d/2 + 1/2**(d**64) - 1/2**(d**64)", ["d"])
    load_claim(p, FAMILIES)
