"""Hypothesis strategies for valid arguments of every formula in :mod:`slttheory.formulas`.

Each strategy has the name of the formula it feeds and draws a ``dict`` of keyword
arguments, so ``formula(**args)`` always succeeds. Sizes are bounded (keyword arguments
change the bounds), so a property test stays fast. A researcher checks their own
closed form against the library's in three lines (decorator, signature, assertion):

>>> from hypothesis import given, settings
>>> from slttheory import deep_linear_network, reduced_rank_regression, strategies
>>> def my_lambda(m, n, h, r):    # your closed form; here Aoyagi's DLN with one hidden layer
...     return deep_linear_network([m, h, n], r).value
>>> @settings(max_examples=30, deadline=None)
... @given(strategies.reduced_rank_regression(max_size=8))
... def test_my_lambda(args):
...     assert my_lambda(**args) == reduced_rank_regression(**args).value
>>> test_my_lambda()

hypothesis is a test dependency (``pip install slttheory[test]``): this module imports it,
``import slttheory`` does not import this module.

:data:`FORMULA_ARGUMENTS` maps every formula name to its strategy (default bounds).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from types import MappingProxyType
from typing import Any

try:
    from hypothesis import strategies as st
except ModuleNotFoundError as e:  # an installed package without the test extra
    raise ModuleNotFoundError(f"slttheory.strategies needs hypothesis ({e}), a dependency of "
                              "the test extra: pip install 'slttheory[test]'",
                              name=e.name) from e

__all__ = [
    "FORMULA_ARGUMENTS",
    "regular",
    "low_rank_manifold",
    "reduced_rank_regression",
    "deep_linear_network",
    "dln_codimension_bound",
    "normal_crossing",
    "newton_polyhedron",
    "tanh_network",
    "polynomial_regression",
    "quadratic_network",
    "modular_addition",
    "quadratic_stage_two",
    "modular_addition_stage_two",
    "ntk",
    "lazy_regime",
    "lazy_regime_bounds",
    "free_energy",
    "bayes_generalization_error",
]

Args = dict[str, Any]


def _bounds(lo_name: str, lo: int, hi_name: str, hi: int, floor: int) -> None:
    """Check a pair of integer bounds (``ValueError``/``TypeError`` naming the argument)."""
    for name, value in ((lo_name, lo), (hi_name, hi)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an integer, got {value!r}")
    if lo < floor:
        raise ValueError(f"{lo_name} must be >= {floor}, got {lo}")
    if hi < lo:
        # a single bound checked against its floor reads "max_power must be >= 1, got 0", not
        # "max_power must be >= max_power = 1" (an outside audit)
        raise ValueError(f"{hi_name} must be >= {lo}, got {hi}" if hi_name == lo_name else
                         f"{hi_name} must be >= {lo_name} = {lo}, got {hi}")


def _int(name: str, value: int, floor: int) -> None:
    _bounds(name, value, name, value, floor)


def regular(*, min_d: int = 1, max_d: int = 50) -> st.SearchStrategy[Args]:
    """``{"d": ...}``: the parameter count of a regular model."""
    _bounds("min_d", min_d, "max_d", max_d, 1)
    return st.fixed_dictionaries({"d": st.integers(min_d, max_d)})


@st.composite
def _matrix_sizes(draw, min_size, max_size, keys):
    out = {k: draw(st.integers(min_size, max_size)) for k in keys}
    out["r"] = draw(st.integers(0, min(out.values())))
    return out


def low_rank_manifold(*, min_size: int = 1, max_size: int = 12) -> st.SearchStrategy[Args]:
    """``{"m", "n", "r"}``: an m×n matrix of rank 0 ≤ r ≤ min(m, n)."""
    _bounds("min_size", min_size, "max_size", max_size, 1)
    return _matrix_sizes(min_size, max_size, ("m", "n"))


def reduced_rank_regression(*, min_size: int = 1, max_size: int = 12) -> st.SearchStrategy[Args]:
    """``{"m", "n", "h", "r"}``: input, output, hidden width, true rank r ≤ min(m, n, h)."""
    _bounds("min_size", min_size, "max_size", max_size, 1)
    return _matrix_sizes(min_size, max_size, ("m", "n", "h"))


@st.composite
def _dln(draw, min_layers, max_layers, min_width, max_width):
    width = st.integers(min_width, max_width)
    widths = draw(st.lists(width, min_size=min_layers + 1, max_size=max_layers + 1))
    return {"widths": widths, "r": draw(st.integers(0, min(widths)))}


def deep_linear_network(
    *, min_layers: int = 1, max_layers: int = 6, min_width: int = 1, max_width: int = 9
) -> st.SearchStrategy[Args]:
    """``{"widths": [H_1, …, H_{L+1}], "r"}`` with L layers (L + 1 widths) and r ≤ min(widths).

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10, deadline=None)
    ... @given(deep_linear_network(min_layers=2, max_layers=2))
    ... def check(args):
    ...     assert len(args["widths"]) == 3 and 0 <= args["r"] <= min(args["widths"])
    >>> check()
    """
    _bounds("min_layers", min_layers, "max_layers", max_layers, 1)
    _bounds("min_width", min_width, "max_width", max_width, 1)
    return _dln(min_layers, max_layers, min_width, max_width)


def dln_codimension_bound(
    *, min_layers: int = 1, max_layers: int = 6, min_width: int = 1, max_width: int = 9
) -> st.SearchStrategy[Args]:
    """The arguments of :func:`slttheory.formulas.dln_codimension_bound`: those of
    :func:`deep_linear_network`."""
    return deep_linear_network(min_layers=min_layers, max_layers=max_layers,
                               min_width=min_width, max_width=max_width)


@st.composite
def _normal_crossing(draw, min_dim, max_dim, max_power, max_prior, prior):
    d = draw(st.integers(min_dim, max_dim))
    powers = draw(st.lists(st.integers(0, max_power), min_size=d, max_size=d).filter(any))
    out: Args = {"powers": powers}
    if prior:
        out["prior_powers"] = draw(st.lists(st.integers(0, max_prior), min_size=d, max_size=d))
    return out


def normal_crossing(
    *, min_dim: int = 1, max_dim: int = 4, max_power: int = 4, max_prior: int = 3,
    prior: bool = True,
) -> st.SearchStrategy[Args]:
    """``{"powers": [k_j], "prior_powers": [h_j]}`` (K = Π w_j^{2k_j}, not all k_j zero).

    ``prior=False`` leaves ``prior_powers`` out (a flat prior).
    """
    _bounds("min_dim", min_dim, "max_dim", max_dim, 1)
    _bounds("max_power", 1, "max_power", max_power, 1)
    _int("max_prior", max_prior, 0)
    return _normal_crossing(min_dim, max_dim, max_power, max_prior, prior)


@st.composite
def _newton(draw, min_dim, max_dim, max_terms, max_exponent, max_prior, even, prior):
    d = draw(st.integers(min_dim, max_dim))
    if even:
        coord = st.integers(0, max_exponent // 2).map(lambda x: 2 * x)
    else:
        coord = st.integers(0, max_exponent)
    exponents = draw(
        st.lists(st.tuples(*[coord] * d).filter(any), min_size=1, max_size=max_terms)
    )
    out: Args = {"exponents": exponents}
    if prior:
        out["prior_powers"] = draw(st.lists(st.integers(0, max_prior), min_size=d, max_size=d))
    return out


def newton_polyhedron(
    *, min_dim: int = 1, max_dim: int = 3, max_terms: int = 4, max_exponent: int = 6,
    max_prior: int = 2, even: bool = False, prior: bool = True,
) -> st.SearchStrategy[Args]:
    """``{"exponents": [α, …], "prior_powers": [h_j]}``: monomials of K (none constant).

    ``even=True`` draws even exponents only (K ≥ 0 with positive coefficients, and then
    non-degenerate); ``prior=False`` leaves ``prior_powers`` out.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10, deadline=None)
    ... @given(newton_polyhedron(min_dim=2, max_dim=2, even=True))
    ... def check(args):
    ...     assert all(len(a) == 2 and a[0] % 2 == a[1] % 2 == 0 for a in args["exponents"])
    >>> check()
    """
    _bounds("min_dim", min_dim, "max_dim", max_dim, 1)
    _bounds("max_terms", 1, "max_terms", max_terms, 1)
    _bounds("max_exponent", 2 if even else 1, "max_exponent", max_exponent, 2 if even else 1)
    _int("max_prior", max_prior, 0)
    return _newton(min_dim, max_dim, max_terms, max_exponent, max_prior, even, prior)


def tanh_network(*, min_h: int = 1, max_h: int = 400) -> st.SearchStrategy[Args]:
    """``{"h": ...}``, the hidden width of the one-input tanh network."""
    _bounds("min_h", min_h, "max_h", max_h, 1)
    return st.fixed_dictionaries({"h": st.integers(min_h, max_h)})


def polynomial_regression(
    *, min_degree: int = 0, max_degree: int = 30
) -> st.SearchStrategy[Args]:
    """``{"degree": ...}`` (degree + 1 coefficients, the constant included)."""
    _bounds("min_degree", min_degree, "max_degree", max_degree, 0)
    return st.fixed_dictionaries({"degree": st.integers(min_degree, max_degree)})


@st.composite
def _quadratic(draw, max_d, max_k, max_p, bias):
    with_bias = draw(st.booleans()) if bias is None else bias
    d, k = draw(st.integers(1, max_d)), draw(st.integers(1, max_k))
    p = 1 if with_bias else draw(st.integers(1, max_p))
    return {"d": d, "k": k, "p": p, "bias": with_bias}


def quadratic_network(
    *, max_d: int = 6, max_k: int = 40, max_p: int = 4, bias: bool | None = False
) -> st.SearchStrategy[Args]:
    """``{"d", "k", "p", "bias"}``: input dimension, hidden width, outputs, biases.

    ``bias=None`` draws it too; with biases p = 1 (the only case the paper states).

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10, deadline=None)
    ... @given(quadratic_network(bias=True))
    ... def check(args):
    ...     assert args["p"] == 1 and args["bias"] is True
    >>> check()
    """
    _bounds("max_d", 1, "max_d", max_d, 1)
    _bounds("max_k", 1, "max_k", max_k, 1)
    _bounds("max_p", 1, "max_p", max_p, 1)
    if bias is not None and not isinstance(bias, bool):
        raise TypeError(f"bias must be True, False or None, got {bias!r}")
    return _quadratic(max_d, max_k, max_p, bias)


def modular_addition(
    *, min_p: int = 2, max_p: int = 12, max_k: int = 200
) -> st.SearchStrategy[Args]:
    """``{"p", "k"}``: modulus p ≥ 2 and hidden width k."""
    _bounds("min_p", min_p, "max_p", max_p, 2)
    _bounds("max_k", 1, "max_k", max_k, 1)
    return st.fixed_dictionaries({"p": st.integers(min_p, max_p), "k": st.integers(1, max_k)})


def quadratic_stage_two(
    *, max_d: int = 20, max_p: int = 10, max_k_eff: int = 50
) -> st.SearchStrategy[Args]:
    """``{"d", "p", "k_eff"}``: input dimension, outputs, active hidden units."""
    for name, value in (("max_d", max_d), ("max_p", max_p), ("max_k_eff", max_k_eff)):
        _bounds(name, 1, name, value, 1)
    return st.fixed_dictionaries(
        {"d": st.integers(1, max_d), "p": st.integers(1, max_p), "k_eff": st.integers(1, max_k_eff)}
    )


def modular_addition_stage_two(
    *, min_p: int = 2, max_p: int = 12, max_k_eff: int = 50
) -> st.SearchStrategy[Args]:
    """``{"p", "k_eff"}``: modulus p ≥ 2 and the number of active units."""
    _bounds("min_p", min_p, "max_p", max_p, 2)
    _bounds("max_k_eff", 1, "max_k_eff", max_k_eff, 1)
    return st.fixed_dictionaries(
        {"p": st.integers(min_p, max_p), "k_eff": st.integers(1, max_k_eff)}
    )


@st.composite
def _rank_of(draw, size_key, rank_key, max_size, extra):
    size = draw(st.integers(1, max_size))
    out = {rank_key: draw(st.integers(0, size)), size_key: size}
    out.update({k: draw(v) for k, v in extra.items()})
    return out


def ntk(*, max_params: int = 200) -> st.SearchStrategy[Args]:
    """``{"rank", "n_params"}`` with 0 ≤ rank ≤ n_params."""
    _bounds("max_params", 1, "max_params", max_params, 1)
    return _rank_of("n_params", "rank", max_params, {})


def lazy_regime(*, max_p: int = 10, max_k: int = 200) -> st.SearchStrategy[Args]:
    """``{"p", "feature_rank", "k"}`` with 0 ≤ feature_rank ≤ k."""
    _bounds("max_p", 1, "max_p", max_p, 1)
    _bounds("max_k", 1, "max_k", max_k, 1)
    return _rank_of("k", "feature_rank", max_k, {"p": st.integers(1, max_p)})


def lazy_regime_bounds(
    *, min_p: int = 2, max_p: int = 9, max_k: int = 120, max_degree: int = 5
) -> st.SearchStrategy[Args]:
    """``{"p", "k", "degree"}``: modulus, width and the power of σ(z) = z^degree."""
    _bounds("min_p", min_p, "max_p", max_p, 2)
    _bounds("max_k", 1, "max_k", max_k, 1)
    _bounds("max_degree", 1, "max_degree", max_degree, 1)
    return st.fixed_dictionaries(
        {
            "p": st.integers(min_p, max_p),
            "k": st.integers(1, max_k),
            "degree": st.integers(1, max_degree),
        }
    )


def _positive_rational(max_denominator: int = 12, max_value: int = 100):
    return st.builds(
        Fraction, st.integers(1, max_value * max_denominator), st.integers(1, max_denominator)
    )


def free_energy(*, max_n: int = 10**9) -> st.SearchStrategy[Args]:
    """``{"n", "lam", "m"}``: sample size ≥ 2, a positive rational λ, multiplicity ≥ 1."""
    _bounds("max_n", 2, "max_n", max_n, 2)
    return st.fixed_dictionaries(
        {"n": st.integers(2, max_n), "lam": _positive_rational(), "m": st.integers(1, 5)}
    )


def bayes_generalization_error(*, max_n: int = 10**9) -> st.SearchStrategy[Args]:
    """``{"n", "lam"}``: sample size ≥ 1 and a positive rational λ."""
    _bounds("max_n", 1, "max_n", max_n, 1)
    return st.fixed_dictionaries({"n": st.integers(1, max_n), "lam": _positive_rational()})


FORMULA_ARGUMENTS: Mapping[str, Callable[..., st.SearchStrategy[Args]]] = MappingProxyType(
    {name: globals()[name] for name in __all__ if name != "FORMULA_ARGUMENTS"}
)
"""Formula name → the strategy function of this module that draws its arguments."""
