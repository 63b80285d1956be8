"""Exact closed forms for learning coefficients (RLCTs), their multiplicities and asymptotics.

Every function returns a :class:`LearningCoefficient` (or, where a source gives only
bounds, :class:`LearningCoefficientBounds`) holding exact sympy values. This layer
imports sympy only: no torch, no numpy.

Modules by subject:

- :mod:`~slttheory.formulas.linear`: regular models, rank-r matrices, reduced-rank
  regression, deep linear networks.
- :mod:`~slttheory.formulas.monomial`: normal crossings and non-degenerate Newton polyhedra.
- :mod:`~slttheory.formulas.networks`: tanh networks and polynomial regression.
- :mod:`~slttheory.formulas.quadratic`: seed 001's quadratic networks, NTK and lazy regime.
- :mod:`~slttheory.formulas.asymptotics`: free energy and Bayes generalisation error.
- :mod:`~slttheory.formulas.standing`: the standing of every formula (below).

**Standing.** Every formula has a standing (:data:`slttheory.formulas.standing.STANDING`),
and every result carries it as ``standing``, ``established_by`` and ``reference``:

- ``"established"``: a test of this repository checks the formula's values against an
  independent computation (zeta-function poles, an exact Jacobian rank, a volume or
  partition function integrated numerically, or another paper's formula); ``established_by``
  names that test.
- ``"as_stated"``: a statement under test, implemented exactly as its source states it
  (all of seed 001's theorems, seed 000's statements, and the tanh formula of Aoyagi &
  Watanabe 2005, whose primary text was not checked independently).

An ``"as_stated"`` formula is **never evidence** for a claim about the same statement: a
claim whose source cites the formula's ``reference``
(:func:`slttheory.formulas.standing.cites_reference`) is decided by the other routes
(exact rank, LLC estimate). The verifier enforces this. ``docs/closed-forms.md`` lists
every formula with its source, standing and caveats.

From the shell (:mod:`slttheory.formulas.cli`): ``python -m slttheory.formulas --list``;
``python -m slttheory.formulas reduced_rank_regression m=5 n=5 h=3`` (add ``--json`` for
the ``to_dict``, ``--symbols m,n,h`` for the symbolic ``Piecewise``).
"""

from slttheory.formulas.asymptotics import bayes_generalization_error, free_energy
from slttheory.formulas.core import LearningCoefficient, LearningCoefficientBounds
from slttheory.formulas.linear import (
    deep_linear_network,
    dln_codimension_bound,
    low_rank_manifold,
    reduced_rank_regression,
    regular,
)
from slttheory.formulas.monomial import newton_polyhedron, normal_crossing
from slttheory.formulas.networks import polynomial_regression, tanh_network
from slttheory.formulas.quadratic import (
    lazy_regime,
    lazy_regime_bounds,
    modular_addition,
    modular_addition_stage_two,
    ntk,
    quadratic_network,
    quadratic_stage_two,
)

__all__ = [
    "LearningCoefficient",
    "LearningCoefficientBounds",
    "bayes_generalization_error",
    "deep_linear_network",
    "dln_codimension_bound",
    "free_energy",
    "lazy_regime",
    "lazy_regime_bounds",
    "low_rank_manifold",
    "modular_addition",
    "modular_addition_stage_two",
    "newton_polyhedron",
    "normal_crossing",
    "ntk",
    "polynomial_regression",
    "quadratic_network",
    "quadratic_stage_two",
    "reduced_rank_regression",
    "regular",
    "tanh_network",
]
