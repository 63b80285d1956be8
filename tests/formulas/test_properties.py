"""Properties every formula shares (an outside property-test audit of ``slttheory.formulas``).

For every public formula, over the arguments of :data:`slttheory.strategies.FORMULA_ARGUMENTS`:

- exactness: λ, its bounds and m are sympy ``Rational``/``Integer`` (never a ``Float``), also
  for sympy and numpy integer arguments, and symbolic arguments give expressions without a
  ``Float`` that substitute back to the integer result;
- the learning-coefficient bounds: 0 ≤ λ ≤ d/2 (K ≥ 0, flat prior; Watanabe 2009, Thm 7.2) and
  1 ≤ m ≤ d (m is the order of a pole of a zeta function in d variables);
- argument checks: every integer argument, and every entry of a list argument, refuses a
  bool, a float (even 2.0), text, a non-integer rational and -1, with ``TypeError`` or
  ``ValueError`` whose message starts with the argument's name;
- huge sizes return promptly.
"""

from __future__ import annotations

import inspect
import re
import time

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import slttheory.formulas as formulas
from slttheory import strategies as sst
from slttheory.formulas import LearningCoefficient, LearningCoefficientBounds

NAMES = sorted(set(formulas.__all__) - {"LearningCoefficient", "LearningCoefficientBounds"})
EXPRESSIONS = {"free_energy", "bayes_generalization_error"}  # sympy expressions in n
REAL_ARGS = {"lam", "n_loss"}  # real numbers, not sizes
# a prior that vanishes at the true parameter can raise λ above d/2
PRIOR_ARGS = {"prior_powers"}
# formulas whose integer arguments may be sympy symbols (the others compare their entries)
SYMBOLIC = sorted(set(NAMES) - {"deep_linear_network", "dln_codimension_bound",
                                "normal_crossing", "newton_polyhedron"})
NONNEGATIVE = {"r", "rank", "feature_rank", "degree"}  # the sizes that may be 0 somewhere


def _call(name, args):
    return getattr(formulas, name)(**args)


def _exact_number(x) -> bool:
    return isinstance(x, sp.Rational) and not x.free_symbols  # Integer is a Rational


def _check_exact(name, out):
    if name in EXPRESSIONS:
        assert isinstance(out, sp.Expr) and not out.atoms(sp.Float), out
        return
    if isinstance(out, LearningCoefficientBounds):
        assert _exact_number(out.lower) and _exact_number(out.upper), out
        assert isinstance(out.dimension, sp.Integer), out
        return
    assert isinstance(out, LearningCoefficient)
    assert _exact_number(out.value), (out.value, type(out.value))
    assert out.multiplicity is None or isinstance(out.multiplicity, sp.Integer), out
    assert isinstance(out.dimension, sp.Integer) or out.dimension.free_symbols, out


def _convert_integers(obj, to):
    """Every int (not bool) in an argument tree converted by ``to``."""
    if isinstance(obj, bool):
        return obj
    if isinstance(obj, int):
        return to(obj)
    if isinstance(obj, dict):
        return {k: (v if k in REAL_ARGS else _convert_integers(v, to)) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_convert_integers(v, to) for v in obj)
    return obj


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=40)
@given(data=st.data())
def test_values_are_exact_for_python_sympy_and_numpy_integers(name, data):
    args = data.draw(sst.FORMULA_ARGUMENTS[name](), label="args")
    out = _call(name, args)
    _check_exact(name, out)
    for to in (sp.Integer, np.int64):
        again = _call(name, _convert_integers(args, to))
        _check_exact(name, again)
        if name in EXPRESSIONS:
            assert again == out
        elif isinstance(out, LearningCoefficient):
            assert (again.value, again.multiplicity, again.dimension) == (
                out.value, out.multiplicity, out.dimension)
        else:
            assert (again.lower, again.upper, again.dimension) == (
                out.lower, out.upper, out.dimension)


@pytest.mark.parametrize("name", sorted(set(NAMES) - EXPRESSIONS))
@settings(max_examples=40)
@given(data=st.data())
def test_lambda_between_zero_and_half_the_dimension_and_m_at_most_d(name, data):
    args = data.draw(sst.FORMULA_ARGUMENTS[name](), label="args")
    out = _call(name, args)
    dim = out.dimension
    if isinstance(out, LearningCoefficientBounds):
        assert 0 <= out.lower <= out.upper
        assert dim.free_symbols or out.upper <= dim / 2, (args, out)
        return
    flat = not any(any(args.get(k) or ()) for k in PRIOR_ARGS)
    # the bound is for K ≥ 0 (a KL divergence); a Newton polyhedron with an odd vertex, as
    # K = w (∫|w|^z: λ = 1 > 1/2), describes a K that changes sign
    flat = flat and all(x % 2 == 0 for a in args.get("exponents", ()) for x in a)
    assert out.value >= 0
    if flat and not dim.free_symbols:
        assert out.value <= dim / 2, (args, out.value, dim)
    if out.multiplicity is not None:
        assert 1 <= out.multiplicity
        assert dim.free_symbols or out.multiplicity <= dim, (args, out.multiplicity, dim)


def _symbols_for(name, args):
    """args with every integer size replaced by a sympy Symbol (integer, and positive or
    non-negative by the size's range), and the substitution back to the integers."""
    out, back = {}, {}
    for key, v in args.items():
        keep = (isinstance(v, bool) or not isinstance(v, int) or key in REAL_ARGS
                # biases are stated for p = 1 only: a symbolic p is refused there
                or (name == "quadratic_network" and key == "p" and args.get("bias")))
        if keep:
            out[key] = v
            continue
        sym = sp.Symbol(f"s_{key}", integer=True,
                        **({"nonnegative": True} if key in NONNEGATIVE else {"positive": True}))
        out[key], back[sym] = sym, v
    return out, back


@pytest.mark.parametrize("name", SYMBOLIC)
@settings(max_examples=25)
@given(data=st.data())
def test_symbolic_sizes_give_exact_expressions_that_substitute_back(name, data):
    args = data.draw(sst.FORMULA_ARGUMENTS[name](), label="args")
    sym_args, back = _symbols_for(name, args)
    out, sym = _call(name, args), _call(name, sym_args)
    if name in EXPRESSIONS:
        assert not sym.atoms(sp.Float)
        assert sym.subs(back) == out
        return
    fields = ("lower", "upper") if isinstance(out, LearningCoefficientBounds) else (
        "value", "multiplicity")
    for f in (*fields, "dimension"):
        expr = getattr(sym, f)
        if expr is None:
            assert getattr(out, f) is None
            continue
        assert not expr.atoms(sp.Float), (f, expr)
        assert sp.simplify(expr.subs(back) - getattr(out, f)) == 0, (f, expr, back)


BAD = [
    (True, TypeError),
    (2.0, TypeError),
    (np.float64(3.0), TypeError),
    ("2", TypeError),
    (sp.Rational(5, 2), TypeError),
    (sp.Float(2), TypeError),
    (None, TypeError),
    (-1, ValueError),
]


def _integer_slots(args):
    """(path, name in messages) of every integer argument and list entry."""
    for key, v in args.items():
        if key in REAL_ARGS or isinstance(v, bool):
            continue
        if isinstance(v, int):
            yield (key,), key
        elif isinstance(v, list | tuple):
            for i, x in enumerate(v):
                if isinstance(x, int):
                    yield (key, i), f"{key}[{i}]"
                else:
                    for j, _ in enumerate(x):
                        yield (key, i, j), f"{key}[{i}][{j}]"


def _replace(args, path, value):
    out = {k: (list(map(list, v)) if k == "exponents" else list(v)) if isinstance(v, list)
           else v for k, v in args.items()}
    if len(path) == 1:
        out[path[0]] = value
    elif len(path) == 2:
        out[path[0]][path[1]] = value
    else:
        out[path[0]][path[1]][path[2]] = value
    return out


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=15)
@given(data=st.data())
def test_bad_integer_arguments_raise_naming_the_argument(name, data):
    args = data.draw(sst.FORMULA_ARGUMENTS[name](), label="args")
    defaults = inspect.signature(getattr(formulas, name)).parameters
    slots = list(_integer_slots(args))
    path, label = data.draw(st.sampled_from(slots), label="slot")
    for bad, exc in BAD:
        if bad is None and len(path) == 1 and defaults[path[0]].default is None:
            continue  # None is the documented default there
        with pytest.raises(exc) as info:
            _call(name, _replace(args, path, bad))
        assert re.match(re.escape(label) + r"(?![\w\[])", str(info.value)), (
            label, bad, str(info.value))


@pytest.mark.parametrize(
    "call",
    [
        lambda: formulas.reduced_rank_regression(10**30, 10**30 + 1, 10**30, 10**29),
        lambda: formulas.deep_linear_network([10**30, 10**30 + 3, 10**30 + 1], 5),
        lambda: formulas.deep_linear_network([5] * 2000, 1),
        lambda: formulas.dln_codimension_bound([5] * 500, 1),
        lambda: formulas.tanh_network(10**30),
        lambda: formulas.normal_crossing([10**30, 1], [10**30, 0]),
        lambda: formulas.newton_polyhedron([(10**30, 0), (0, 10**30)]),
        lambda: formulas.quadratic_network(10**30, 10**30, 10**30),
        lambda: formulas.lazy_regime_bounds(10**6, 2, 10**6),
        lambda: formulas.lazy_regime_bounds(10**7, 2, 10**7, tight=True),
        lambda: formulas.free_energy(10**400, 1, m=2),
        # beyond a float: math.lgamma raised OverflowError out of the assumptions' text
        lambda: formulas.lazy_regime_bounds(10**400, 10**400, 3),
        lambda: formulas.lazy_regime_bounds(10**400, 3, 10**400, tight=True),
        # prefix sums summed anew (and pairs in a double loop): quadratic in the length
        lambda: formulas.deep_linear_network([5] * 20_000, 1),
        lambda: formulas.dln_codimension_bound([5] * 10_000, 1),
    ],
)
def test_huge_sizes_return_promptly_and_exactly(call):
    """lazy_regime_bounds(10**6, 2, 10**6) ran for over a minute (it formed the Prop E.7
    binomial C(3·10⁶ − 2, 10⁶) of 829 300 digits, of which only min(K, ·) is used)."""
    start = time.perf_counter()
    out = call()
    assert time.perf_counter() - start < 2
    fields = [out] if isinstance(out, sp.Expr) else (
        [out.lower, out.upper] if isinstance(out, LearningCoefficientBounds) else [out.value])
    assert all(not f.atoms(sp.Float) for f in fields)
