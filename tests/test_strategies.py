"""slttheory.strategies: valid arguments for every formula, bounded, and opt-in."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

import slttheory.formulas as formulas
from slttheory import strategies as sst

NAMES = sorted(set(formulas.__all__) - {"LearningCoefficient", "LearningCoefficientBounds"})


def test_importing_slttheory_does_not_import_hypothesis():
    code = "import sys, slttheory; assert 'hypothesis' not in sys.modules, 'hypothesis imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_hypothesis_the_error_names_the_test_extra():
    """An installed package without the test extra: the import says which extra to install."""
    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "try:\n    import slttheory.strategies\n"
            "except ModuleNotFoundError as e:\n    assert e.name == 'hypothesis', e.name\n"
            "    assert \"pip install 'slttheory[test]'\" in str(e), str(e)\n"
            "else:\n    raise AssertionError('imported')")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_one_strategy_per_formula_with_the_same_name():
    assert sorted(sst.FORMULA_ARGUMENTS) == NAMES
    for name in NAMES:
        assert sst.FORMULA_ARGUMENTS[name] is getattr(sst, name)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_drawn_arguments_are_valid(name, data):
    """Every draw is accepted by the formula of the same name (no exception)."""
    args = data.draw(sst.FORMULA_ARGUMENTS[name](), label="args")
    assert isinstance(args, dict)
    getattr(formulas, name)(**args)


@given(sst.reduced_rank_regression(min_size=3, max_size=5))
def test_bounds_are_respected(args):
    assert all(3 <= args[k] <= 5 for k in "mnh") and 0 <= args["r"] <= min(args.values())


@given(sst.deep_linear_network(min_layers=3, max_layers=3, min_width=2, max_width=4))
def test_dln_bounds(args):
    assert len(args["widths"]) == 4 and all(2 <= w <= 4 for w in args["widths"])


@given(sst.newton_polyhedron(min_dim=2, max_dim=2, even=True, prior=False))
def test_newton_even_without_prior(args):
    assert set(args) == {"exponents"}
    assert all(len(a) == 2 and any(a) and a[0] % 2 == a[1] % 2 == 0 for a in args["exponents"])


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: sst.regular(min_d=0), ValueError, "^min_d must be >= 1"),
        (lambda: sst.regular(min_d=5, max_d=3), ValueError, "^max_d must be >= min_d"),
        (lambda: sst.reduced_rank_regression(max_size=2.5), TypeError, "^max_size must be an"),
        (lambda: sst.deep_linear_network(min_layers=0), ValueError, "^min_layers"),
        (lambda: sst.modular_addition(min_p=1), ValueError, "^min_p must be >= 2"),
        (lambda: sst.newton_polyhedron(even=True, max_exponent=1), ValueError, "max_exponent"),
        (lambda: sst.quadratic_network(bias="yes"), TypeError, "^bias must be"),
        (lambda: sst.normal_crossing(max_prior=-1), ValueError, "^max_prior"),
        # a single bound below its floor: not "max_power must be >= max_power = 1"
        (lambda: sst.normal_crossing(max_power=0), ValueError, "^max_power must be >= 1, got 0$"),
    ],
)
def test_bad_bounds_name_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
