"""One-hidden-layer tanh networks and polynomial regression."""

from __future__ import annotations

import sympy as sp

from slttheory.formulas.core import (
    LearningCoefficient,
    check_size,
    is_symbolic,
    rederivable,
)
from slttheory.formulas.standing import standing_of

__all__ = ["tanh_network", "polynomial_regression"]


@rederivable
def tanh_network(h) -> LearningCoefficient:
    r"""1 input, 1 output, h hidden tanh units without biases, true function 0.

    Model y = Σ_{k=1}^h a_k tanh(b_k x) + N(0, 1) noise, 2h parameters. With
    :math:`i = \lfloor\sqrt{h}\rfloor`,

    .. math::
        \lambda = \frac{h + i^2 + i}{4i + 2}, \qquad
        m = \begin{cases} 2 & i^2 = h \\ 1 & \text{otherwise.} \end{cases}

    Equivalently (derived here, checked in the tests) λ is the minimum over integers
    j ≥ 0 of (h + j² + j)/(4j + 2), and m is the number of minimisers: two exactly when
    h is a perfect square (j = √h − 1 and j = √h tie), where λ = √h/2.

    For a sympy ``Symbol`` h the value is the same expression with
    ``floor(sqrt(h))`` unevaluated and m a ``Piecewise``; substitute an integer to
    evaluate.

    Source: Aoyagi & Watanabe 2005, "Resolution of singularities and the generalization
    error with Bayesian estimation for layered neural network", IEICE Trans. J88-D-II
    (primary text not re-read); as implemented in suswei/RLCT (``OneLayerTanh``:
    ``trueRLCT``, ``truem``) for Wei et al. 2022, arXiv:2010.11560.

    >>> lc = tanh_network(1)
    >>> lc.value, lc.multiplicity, lc.dimension
    (1/2, 2, 2)
    >>> tanh_network(5).value, tanh_network(5).multiplicity
    (11/10, 1)
    """
    h = check_size("h", h, minimum=1)
    assumptions = (
        "y = sum_k a_k tanh(b_k x) + N(0, 1) noise; 1 input, 1 output, no biases",
        "true function is 0 (true parameter set {a_k b_k = 0 for all k})",
        "input distribution q(x) makes the odd moments sum_k a_k b_k^(2j-1), j = 1..h, "
        "identifiable (e.g. support containing a neighbourhood of 0, as x ~ U[-1, 1])",
        "prior positive and continuous at the true parameters",
        "primary statement (Aoyagi & Watanabe 2005, IEICE) cited via Wei et al. 2022 "
        "(arXiv:2010.11560) and its code suswei/RLCT; not re-read",
    )
    source = (
        "Aoyagi & Watanabe 2005, IEICE Trans. J88-D-II (Resolution of singularities and the "
        "generalization error with Bayesian estimation for layered neural network); as "
        "implemented in suswei/RLCT for Wei et al. 2022, arXiv:2010.11560"
    )
    if is_symbolic(h):
        i = sp.floor(sp.sqrt(h))
        return LearningCoefficient(
            value=(h + i**2 + i) / (4 * i + 2),
            multiplicity=sp.Piecewise((2, sp.Eq(i**2, h)), (1, True)),
            dimension=2 * h,
            case="i = floor(sqrt(h)) (symbolic)",
            assumptions=assumptions,
            source=source,
            **standing_of("tanh_network").fields(),
        )
    i = sp.Integer(sp.integer_nthroot(int(h), 2)[0])
    square = i**2 == h
    return LearningCoefficient(
        value=(h + i**2 + i) / (4 * i + 2),
        multiplicity=sp.Integer(2 if square else 1),
        dimension=2 * h,
        case="h a perfect square" if square else "h not a perfect square",
        assumptions=assumptions,
        source=source,
        **standing_of("tanh_network").fields(),
    )


@rederivable
def polynomial_regression(degree) -> LearningCoefficient:
    r"""y = Σ_{i=0}^{degree} c_i x^i + noise at a generic true polynomial: regular.

    The model is linear in its ``degree + 1`` coefficients, so with an input
    distribution whose support has at least ``degree + 1`` points (the moment matrix
    E[x^{i+j}] is then positive definite) the Fisher information is positive definite
    everywhere and

    .. math:: \lambda = (\mathrm{degree} + 1)/2, \qquad m = 1.

    Parameter count: the constant term counts. Seed 000 (Lakkapragada, arXiv:2512.00686,
    Question 2, Experiment 1) defines a degree-d regressor as Σ_{i=0}^{d} a_i x^i, i.e.
    d + 1 coefficients, but states the expectation λ_d = d/2; that counts d parameters,
    one fewer than its own definition. This function gives (d + 1)/2, which is 1/2 more
    than the seed's d/2; whether the seed's claim holds is the verifier's question.

    Source: Watanabe 2009, *Algebraic Geometry and Statistical Learning Theory*, regular
    case (λ = d/2 with d the parameter count; standard result).

    >>> lc = polynomial_regression(3)
    >>> lc.value, lc.multiplicity, lc.dimension
    (2, 1, 4)
    """
    degree = check_size("degree", degree, minimum=0)
    d = degree + 1
    return LearningCoefficient(
        value=d / sp.Integer(2),
        multiplicity=sp.Integer(1),
        dimension=d,
        case="regular (linear in the degree + 1 coefficients)",
        assumptions=(
            "y = sum_{i=0}^{degree} c_i x^i + Gaussian noise of known variance",
            "input distribution has at least degree + 1 support points (moment matrix "
            "E[x^(i+j)] positive definite, hence Fisher information positive definite)",
            "prior positive and continuous at the true coefficients",
        ),
        source="Watanabe 2009, Algebraic Geometry and Statistical Learning Theory (CUP, "
        "doi:10.1017/CBO9780511800474) "
        "(regular models: λ = d/2, d = degree + 1 coefficients)",
        **standing_of("polynomial_regression").fields(),
    )
