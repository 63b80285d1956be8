"""Regular models, rank-r matrices, reduced-rank regression and deep linear networks."""

from __future__ import annotations

import sympy as sp

from slttheory.formulas.core import LearningCoefficient, check_size

__all__ = ["regular", "low_rank_manifold", "reduced_rank_regression", "deep_linear_network"]


def regular(d) -> LearningCoefficient:
    r"""Regular model with d parameters: :math:`\lambda = d/2`, m = 1.

    Source: Watanabe (2009), *Algebraic Geometry and Statistical Learning Theory*,
    the regular case (standard result); holds when the Fisher information is positive definite
    at the true parameter and the prior is positive there.

    >>> regular(4).value
    2
    >>> regular(3).value
    3/2
    """
    d = check_size("d", d, minimum=1)
    return LearningCoefficient(
        value=d / sp.Integer(2),
        multiplicity=sp.Integer(1),
        dimension=d,
        case="regular",
        assumptions=(
            "Fisher information matrix positive definite at the true parameter",
            "prior density positive and continuous at the true parameter",
        ),
        source="Watanabe 2009, Algebraic Geometry and Statistical Learning Theory (regular models: λ = d/2)",
    )


def low_rank_manifold(m, n, r) -> LearningCoefficient:
    r"""Half the dimension of the manifold of rank-r m×n matrices: :math:`\lambda = r(m+n-r)/2`.

    A model whose parameter-to-function map is a submersion onto this smooth manifold
    near the true parameter (e.g. reduced-rank regression with h = r) has this λ, m = 1;
    see ``learning-coefficients.md`` §4 and seed 001, Thm F.1.

    >>> low_rank_manifold(100, 100, 3).value
    591/2
    """
    m = check_size("m", m)
    n = check_size("n", n)
    r = check_size("r", r, minimum=0, maximum=sp.Min(m, n), maximum_reason="min(m, n)")
    return LearningCoefficient(
        value=r * (m + n - r) / sp.Integer(2),
        multiplicity=sp.Integer(1),
        dimension=m * n,
        case="rank-r manifold",
        assumptions=("parametrisation is a submersion onto the rank-r matrices near the true point",),
        source="dimension of the rank-r determinantal manifold r(m+n-r); seed 001 Thm F.1 (reparametrisation)",
    )


def reduced_rank_regression(m, n, h, r=0) -> LearningCoefficient:
    raise NotImplementedError


def deep_linear_network(widths, r=0) -> LearningCoefficient:
    raise NotImplementedError
