"""Edges of slttheory.verify.expr from a red team: implicit multiplication is refused with a
message that says so (it read "call of a non-whitelisted function '2'"), and a grid value
that is NaN or infinite is an ExpressionError, not sympy's TypeError."""

from __future__ import annotations

from fractions import Fraction

import pytest

from slttheory.verify.expr import ExpressionError, evaluate, parse_predicted


@pytest.mark.parametrize("text, shown", [("2(d + 1)", "2"), ("d(d + 1)", "d"),
                                         ("(d - 1)(d + 1)", "d - 1")])
def test_implicit_multiplication_is_named(text, shown):
    with pytest.raises(ExpressionError, match=rf"predicted: '{shown}' is not a function: "
                                              r"implicit multiplication"):
        parse_predicted(text, ["d"])


def test_an_unknown_function_is_still_named_as_one():
    with pytest.raises(ExpressionError, match="non-whitelisted function 'exp'"):
        parse_predicted("exp(d)", ["d"])


@pytest.mark.parametrize("v", [float("nan"), float("inf"), -float("inf")])
def test_a_non_finite_value_is_an_expression_error(v):
    with pytest.raises(ExpressionError, match="not a number usable"):
        evaluate(parse_predicted("d/2", ["d"]), {"d": v})


PYTHON_VALUES = {"3/2": Fraction(3, 2), "-2**2": -4, "2**-1": Fraction(1, 2), "2**3**2": 512,
                 "-2**-2": Fraction(-1, 4), "(-2)**2": 4, "0**0": 1,
                 "7/2 - 1/3": Fraction(19, 6)}
"""Each text's value as Python reads it (``/`` exact here, as ``Fraction`` would give)."""


@pytest.mark.parametrize("text", sorted(PYTHON_VALUES))
def test_python_semantics_of_plain_numbers(text):
    """What a theorist relies on: precedence and associativity as in Python."""
    assert parse_predicted(text, []) == PYTHON_VALUES[text]
