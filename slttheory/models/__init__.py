"""Torch model families matching the closed forms of :mod:`slttheory.formulas`.

``FAMILIES[name]`` (a :class:`Family`) ties each family to its formula, its parameters and
their ranges, a ``build`` of the model at its true (or trained) parameter with data, and,
where the model is polynomial in its parameters, a ``rank_problem``. Importing this package
registers every family (:mod:`slttheory.models.families`).

>>> from slttheory.models import FAMILIES
>>> "reduced_rank_regression" in FAMILIES and FAMILIES["regular"].formula.__name__
'regular'
"""

from slttheory.models import families as _families  # noqa: F401  (registers the families)
from slttheory.models.families import (
    line_data,
    modular_addition_data,
    parity_data,
    quadratic_unisolvent_inputs,
    rank_inputs,
    sine_data,
)
from slttheory.models.linear import (
    DeepLinearNetwork,
    LinearRegression,
    LowRankLinear,
    ReducedRankRegression,
)
from slttheory.models.networks import ParityMLP, ReLUAutoencoder, TanhNetwork, TinyTanhMLP
from slttheory.models.polynomial import NormalCrossing, PolynomialRegression
from slttheory.models.quadratic import QuadraticNetwork
from slttheory.models.registry import (
    FAMILIES,
    TRUE_POINTS,
    Family,
    Hypothesis,
    ParamSpec,
    Problem,
    RankProblem,
    register,
)

__all__ = [
    "FAMILIES",
    "TRUE_POINTS",
    "Family",
    "Hypothesis",
    "ParamSpec",
    "Problem",
    "RankProblem",
    "register",
    "LinearRegression",
    "ReducedRankRegression",
    "DeepLinearNetwork",
    "LowRankLinear",
    "PolynomialRegression",
    "NormalCrossing",
    "TanhNetwork",
    "TinyTanhMLP",
    "ParityMLP",
    "ReLUAutoencoder",
    "QuadraticNetwork",
    "line_data",
    "sine_data",
    "parity_data",
    "modular_addition_data",
    "quadratic_unisolvent_inputs",
    "rank_inputs",
]

from slttheory.models import regimes as _regimes  # noqa: F401  (registers families)
