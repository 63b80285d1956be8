r"""Free energy and Bayes generalisation error asymptotics.

Both functions return plain sympy expressions in the sample size n (not
:class:`~slttheory.formulas.core.LearningCoefficient`): pass an integer n for a
value, or a sympy ``Symbol`` for the formula.

``lam`` may be a real number (``int``, ``float``, ``Fraction``, a sympy number), a sympy
expression, or a :class:`LearningCoefficient`, whose ``value`` is then used; for
:func:`free_energy` its ``multiplicity`` is also used unless ``m`` is given explicitly.
"""

from __future__ import annotations

import numbers

import sympy as sp

from slttheory.formulas.core import LearningCoefficient, check_size

__all__ = ["free_energy", "bayes_generalization_error"]

def _real(name: str, value, *, nonnegative: bool = False) -> sp.Expr:
    """A real number or sympy expression (never a string: no sympify of user text);
    ``nonnegative``: refuse a value < 0 (λ = 0 is a model with no parameters, e.g. a rank-0
    manifold, whose free energy is n·L_n)."""
    if isinstance(value, bool) or isinstance(value, str | bytes):
        raise TypeError(f"{name} must be a real number or sympy expression, got {value!r}")
    if isinstance(value, sp.Basic):
        expr = value
    elif isinstance(value, numbers.Real):
        if isinstance(value, numbers.Rational):
            expr = sp.Rational(int(value.numerator), int(value.denominator))
        else:
            expr = sp.Float(float(value))
    else:
        raise TypeError(
            f"{name} must be a real number, sympy expression or LearningCoefficient, "
            f"got {value!r} of type {type(value).__name__}"
        )
    if not isinstance(expr, sp.Expr):
        raise TypeError(f"{name} must be a sympy expression, got {type(expr).__name__}")
    if not expr.free_symbols:
        if expr.is_real is not True or expr.is_finite is not True:
            raise ValueError(f"{name} must be a finite real number, got {expr}")
        if nonnegative and not expr >= 0:
            raise ValueError(f"{name} must be >= 0, got {expr}")
    elif expr.is_real is False or (nonnegative and expr.is_negative is True):
        # symbolic: refuse only what sympy can prove out of range (core.check_size's rule)
        raise ValueError(f"{name} must be {'>= 0' if nonnegative else 'real'}, got {expr}, "
                         "which its assumptions make " + ("not real" if expr.is_real is False
                                                          else "< 0"))
    return expr


def _lam(lam) -> tuple[sp.Expr, sp.Expr | None, bool]:
    """(λ, multiplicity or None, whether lam was a LearningCoefficient)."""
    if isinstance(lam, LearningCoefficient):
        return _real("lam", lam.value, nonnegative=True), lam.multiplicity, True
    return _real("lam", lam, nonnegative=True), None, False


def _check_sample_size_apart(n, *exprs) -> None:
    """Refuse a symbolic sample size n that also occurs in λ or m: the linear formulas name
    the output dimension ``n`` and the input dimension ``m``, so ``free_energy(n,
    reduced_rank_regression(m, n, h))`` would silently identify the sample size with the
    output dimension."""
    if not (isinstance(n, sp.Basic) and n.free_symbols):
        return
    shared = {s for e in exprs if isinstance(e, sp.Basic) for s in e.free_symbols
              if s in n.free_symbols}
    if shared:
        raise ValueError(
            f"the sample size n = {n} shares the symbol(s) {sorted(map(str, shared))} with λ "
            "or m (reduced_rank_regression names its output dimension n and its input "
            "dimension m): use a distinct Symbol for the sample size")


def free_energy(n, lam, m=None, n_loss=0) -> sp.Expr:
    r"""Asymptotic Bayes free energy :math:`F_n = -\log \int \prod_i p(X_i|w)\,\varphi(w)\,dw`.

    .. math:: F_n \approx n L_n(w_0) + \lambda \log n - (m - 1) \log\log n

    (the remainder is :math:`O_p(1)`).

    Parameters
    ----------
    n:
        Sample size: an integer ≥ 2 (so that log log n is defined) or a sympy expression.
    lam:
        λ: a real number ≥ 0 (0: a model without parameters), sympy expression or
        :class:`LearningCoefficient`.
    m:
        Multiplicity (integer ≥ 1 or sympy expression). ``None`` (the default) means
        ``lam.multiplicity`` when ``lam`` is a :class:`LearningCoefficient`, else 1.
        A LearningCoefficient whose source gives no multiplicity needs an explicit m.
        An explicit m always wins.
    n_loss:
        :math:`n L_n(w_0) = -\sum_{i=1}^n \log p(X_i | w_0)`, the empirical negative
        log-likelihood at the true (optimal) parameter, summed over the sample (in the
        realizable case :math:`n S_n`, n times the empirical entropy). Any real number
        or sympy expression; default 0 gives the stochastic-complexity part only.

    Assumptions: the true distribution is realizable by the model (Watanabe 2009;
    Watanabe 2018 relaxes this to relatively finite variance); posterior at β = 1;
    prior positive near the true parameters (or of the standard form behind m).

    Source: Watanabe 2009, *Algebraic Geometry and Statistical Learning Theory*, Main
    Formulae I–II (free energy asymptotics; theorem numbers not re-checked).

    >>> import sympy as sp
    >>> n = sp.Symbol("n", positive=True)
    >>> free_energy(n, sp.Rational(1, 2), m=2)
    log(n)/2 - log(log(n))
    >>> from slttheory.formulas import normal_crossing
    >>> free_energy(n, normal_crossing([1, 1]), n_loss=7)    # λ = 1/2, m = 2 taken from lam
    log(n)/2 - log(log(n)) + 7
    """
    value, lc_m, is_lc = _lam(lam)
    if m is None:
        if is_lc:
            if lc_m is None:
                raise ValueError(
                    "m must be given: lam is a LearningCoefficient whose source gives no "
                    "multiplicity (lam.multiplicity is None)"
                )
            m = lc_m
        else:
            m = 1
    m = check_size("m", m, minimum=1)
    n = check_size("n", n, minimum=2)
    n_loss = _real("n_loss", n_loss)
    _check_sample_size_apart(n, value, m)
    return n_loss + value * sp.log(n) - (m - 1) * sp.log(sp.log(n))


def bayes_generalization_error(n, lam) -> sp.Expr:
    r"""Expected Bayes generalisation error :math:`\mathbb{E}[G_n] \approx \lambda / n`.

    :math:`G_n` is the KL divergence from the true distribution to the Bayes predictive
    distribution; :math:`\mathbb{E}[G_n] = \lambda/n + o(1/n)`.

    ``n``: integer ≥ 1 or sympy expression; ``lam`` as in :func:`free_energy`.

    Assumptions as for :func:`free_energy` (realizable true distribution, β = 1).

    Source: Watanabe 2009, *Algebraic Geometry and Statistical Learning Theory*, Ch. 6: the
    Bayes generalisation error at β = 1 (the book's "Main Formula" III, with the equations of
    state; Main Formula II is the free energy of :func:`free_energy`; theorem numbers not
    re-checked).

    >>> bayes_generalization_error(100, 3)
    3/100
    >>> import sympy as sp
    >>> bayes_generalization_error(sp.Symbol("n"), sp.Rational(3, 4))
    3/(4*n)
    """
    value, _, _ = _lam(lam)
    n = check_size("n", n, minimum=1)
    _check_sample_size_apart(n, value)
    return value / n

