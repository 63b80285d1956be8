"""Tests for free energy and Bayes generalisation error (slttheory.formulas.asymptotics).

Independent routes: the partition function ∫ exp(−nK) φ of normal crossings with
m = 1, 2, 3 (exact incomplete gamma function, or one-dimensional integrals by mpmath),
fitted over n = 1e10 … 1e120; the exact Bayes generalisation error of the Gaussian mean
with a conjugate prior (sympy).
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath as mp
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from slttheory import strategies as sst
from slttheory.formulas import (
    LearningCoefficient,
    bayes_generalization_error,
    free_energy,
    normal_crossing,
    regular,
)

R = sp.Rational
n = sp.Symbol("n", positive=True)


def _z_monomial(n, k: int, h: int):
    """∫_0^1 exp(−n w^{2k}) w^h dw = n^{−s} γ(s, n)/(2k), s = (h+1)/(2k) (exact)."""
    s = mp.mpf(h + 1) / (2 * k)
    return mp.gammainc(s, 0, n) / (2 * k) / n**s


def _z_product(n, d: int):
    """∫_{[0,1]^d} exp(−n (w_1⋯w_d)²) dw for d = 2, 3, reduced to one dimension.

    Integrating w_1 gives √π erf(√n u)/(2√n u) with u = w_2⋯w_d; u has density 1 (d = 2)
    or −log u (d = 3) on [0, 1]; with t = √n u the rest is ∫_0^{√n} erf(t)/t · (1 or
    log √n − log t) dt, split at powers of 10 for mpmath's quadrature.
    """
    root = mp.sqrt(n)
    cuts = [0] + [mp.mpf(10) ** j for j in range(int(mp.log10(root)) + 1)] + [root]
    if d == 2:
        inner = mp.quad(lambda t: mp.erf(t) / t, cuts)
    else:
        inner = mp.quad(lambda t: mp.erf(t) / t * (mp.log(root) - mp.log(t)), cuts)
    return mp.sqrt(mp.pi / n) / 2 * inner


@pytest.mark.parametrize(
    ("powers", "prior", "z"),
    [
        ([1], [0], lambda n: _z_monomial(n, 1, 0)),
        ([2], [1], lambda n: _z_monomial(n, 2, 1)),
        ([3], [4], lambda n: _z_monomial(n, 3, 4)),
        ([1, 1], [0, 0], lambda n: _z_product(n, 2)),
        ([1, 1, 1], [0, 0, 0], lambda n: _z_product(n, 3)),
    ],
)
def test_free_energy_matches_partition_functions(powers, prior, z):
    """Independent route (standing): F(n) = −log ∫ exp(−nK) φ for the normal crossing K,
    computed by mpmath (30 digits) at n = 1e10 … 1e120, minus ``free_energy`` with λ and m
    from :func:`normal_crossing`, must be a constant plus a series in 1/log n: a least-squares
    fit on (log n, log log n, 1, 1/log n, 1/log² n, 1/log³ n) gives coefficients 0 for the
    first two (tolerance 1e-4: the truncated series leaves O(1/log⁴ n) ≈ 3e-6; a wrong λ
    or m shows as a coefficient of size 1/2 or 1)."""
    lc = normal_crossing(powers, prior)
    (coef,) = _log_coefficients(z, lc, (None,))
    assert abs(coef[0]) < 1e-4 and abs(coef[1]) < 1e-4, (lc.value, lc.multiplicity, coef[:2])


_EXPONENTS = (10, 20, 30, 45, 60, 80, 100, 120)


def _log_coefficients(z, lc, ms):
    """For each multiplicity in ``ms`` (``None``: the coefficient's own), the least-squares
    coefficients of (log n, log log n, 1, 1/log n, 1/log² n, 1/log³ n) fitted to
    −log z(n) − free_energy(n, lc, m) at n = 10^e, e in :data:`_EXPONENTS` (30 digits)."""
    with mp.workdps(30):
        rows, values = [], []
        for e in _EXPONENTS:
            nn = mp.mpf(10) ** e
            big_l = mp.log(nn)
            rows.append([big_l, mp.log(big_l), 1, 1 / big_l, 1 / big_l**2, 1 / big_l**3])
            values.append(-mp.log(z(nn)))
        a = mp.matrix(rows)
        out = []
        for m in ms:
            formula = [mp.mpf(str(sp.N(free_energy(sp.Integer(10) ** e, lc, m=m), 40)))
                       for e in _EXPONENTS]
            rhs = mp.matrix([v - f for v, f in zip(values, formula, strict=True)])
            out.append(mp.lu_solve(a.T * a, a.T * rhs))
    return out


def test_bayes_generalization_error_of_gaussian_mean():
    """Independent route (standing): y ~ N(μ₀, I_d), prior N(0, τ²I). Per coordinate the
    posterior is N(μ̂, 1/P), P = n + 1/τ², μ̂ = n ȳ/P, and the predictive N(μ̂, 1 + 1/P);
    G_n = Σ KL(N(μ₀, 1) ‖ N(μ̂, 1 + 1/P)). With ȳ = μ₀ + Z/√n, E over Z by its moments;
    sympy's limit of n·E[G_n] is the regular λ = d/2."""
    nn, tau, mu0 = sp.symbols("n tau mu0", positive=True)
    z = sp.Symbol("Z", real=True)
    prec = nn + 1 / tau**2
    muhat = nn * (mu0 + z / sp.sqrt(nn)) / prec
    s2 = 1 + 1 / prec
    sq = sp.expand((mu0 - muhat) ** 2)
    mse = sq.coeff(z, 2) + sq.coeff(z, 0)  # E[Z²] = 1, E[Z] = 0
    kl = (sp.log(s2) + (1 + mse) / s2 - 1) / 2
    for d in (1, 2, 5):
        lam = regular(d).value
        assert sp.limit(nn * d * kl, nn, sp.oo) == lam
        assert bayes_generalization_error(nn, lam) == lam / nn


def test_free_energy_tie_made_by_the_prior():
    """The one m = 2 case above has a flat prior. K = w₁²w₂⁴ with φ ∝ w₂ on [0, 1]² has the
    tie λ = (0 + 1)/2 = (1 + 1)/4 = 1/2 made by the prior power, so m = 2: integrating w₁
    and substituting t = √n w₂² gives Z(n) = √π/(4√n) ∫_0^{√n} erf(t)/t dt exactly. The fit
    of test_free_energy_matches_partition_functions gives 0 for the log n and log log n
    coefficients of −log Z − free_energy; with m = 1 the log log n coefficient is −1."""
    lc = normal_crossing([1, 2], [0, 1])
    assert (lc.value, lc.multiplicity) == (R(1, 2), 2)

    def z(nn):
        root = mp.sqrt(nn)
        cuts = [0] + [mp.mpf(10) ** j for j in range(int(mp.log10(root)) + 1)] + [root]
        return mp.sqrt(mp.pi) / (4 * root) * mp.quad(lambda t: mp.erf(t) / t, cuts)

    cases = ((None, 0), (1, -1))
    for (m, loglog), coef in zip(cases, _log_coefficients(z, lc, [m for m, _ in cases]),
                                 strict=True):
        assert abs(coef[0]) < 1e-4 and abs(coef[1] - loglog) < 1e-4, (m, coef[:2])


def test_bayes_generalization_error_of_a_singular_model():
    """The Gaussian-mean test is regular (λ = d/2). Here λ ≠ d/2: y ~ N(w², 1), true w = 0,
    prior uniform on [−1, 1], so K(w) = w⁴/2, the normal crossing (λ, m) = (1/4, 1) while
    d/2 = 1/2. The data enter through g = Σy_i/√n ~ N(0, 1); with u = n^{1/4} w the posterior
    is ∝ exp(−u⁴/2 + g u²) and the predictive density ratio to the truth at y is
    E_post[exp(y s − s²/2)], s = u²/√n, so E[G_n] = −E_g E_y log E_post[exp(y s − s²/2)]
    (Gauss–Hermite in g and y, Gauss–Legendre in u). n·E[G_n] must be λ = 1/4 to 1e-3."""
    import numpy as np
    from numpy.polynomial.hermite_e import hermegauss
    from numpy.polynomial.legendre import leggauss

    lc = normal_crossing([2])
    assert (lc.value, lc.multiplicity) == (R(1, 4), 1)
    gx, gw = hermegauss(80)
    gw = gw / gw.sum()
    yx, yw = hermegauss(80)
    yw = yw / yw.sum()
    for nn in (10**4, 10**6):
        top = min(nn**0.25, 8.0)  # the posterior in u is negligible beyond |u| = 8
        ux, uw = leggauss(600)
        u, uw = (ux + 1) * top / 2, uw * top / 2  # even integrand: u ≥ 0 suffices
        s = u**2 / math.sqrt(nn)
        expected_g = 0.0
        for g, wg in zip(gx, gw, strict=True):
            log_post = -(u**4) / 2 + g * u**2
            post = uw * np.exp(log_post - log_post.max())
            post /= post.sum()
            e = yx[:, None] * s[None, :] - s[None, :] ** 2 / 2
            top_e = e.max(axis=1, keepdims=True)
            log_ratio = top_e[:, 0] + np.log((np.exp(e - top_e) * post).sum(axis=1))
            expected_g += wg * -(yw * log_ratio).sum()
        predicted = float(bayes_generalization_error(nn, lc))
        assert nn * expected_g == pytest.approx(nn * predicted, rel=1e-3), (nn, nn * expected_g)
        assert nn * expected_g != pytest.approx(float(regular(1).value), rel=0.1)


def test_free_energy_values():
    assert free_energy(100, R(1, 2)) == sp.log(100) / 2
    assert free_energy(100, R(1, 2), m=2) == sp.log(100) / 2 - sp.log(sp.log(100))
    assert free_energy(100, 3, m=3, n_loss=R(7, 2)) == R(7, 2) + 3 * sp.log(100) - 2 * sp.log(
        sp.log(100)
    )
    f = free_energy(10**6, 1.5, m=2, n_loss=10.0)
    expected = 10.0 + 1.5 * math.log(1e6) - math.log(math.log(1e6))
    assert float(f) == pytest.approx(expected, rel=1e-12)
    assert free_energy(50, Fraction(3, 4)) == R(3, 4) * sp.log(50)
    assert isinstance(free_energy(100, 1), sp.Expr)


@given(
    st.fractions(min_value=Fraction(1, 100), max_value=100),
    st.integers(1, 6),
    st.fractions(min_value=-1000, max_value=1000),
)
def test_free_energy_symbolic_in_n(lam, m, loss):
    lam = R(lam.numerator, lam.denominator)
    loss = R(loss.numerator, loss.denominator)
    f = free_energy(n, lam, m=m, n_loss=loss)
    assert f.free_symbols == {n}
    # derivative: λ/n − (m − 1)/(n log n)
    assert sp.simplify(sp.diff(f, n) - (lam / n - (m - 1) / (n * sp.log(n)))) == 0
    # F_n − n L_n grows like λ log n, and the correction is −(m − 1) log log n
    assert sp.limit((f - loss) / sp.log(n), n, sp.oo) == lam
    assert sp.limit((f - loss - lam * sp.log(n)) / sp.log(sp.log(n)), n, sp.oo) == 1 - m
    # integer n gives the substituted value
    assert sp.simplify(free_energy(1000, lam, m=m, n_loss=loss) - f.subs(n, 1000)) == 0


def test_free_energy_symbolic_arguments():
    lam, m, loss = sp.symbols("lambda m L", positive=True)
    f = free_energy(n, lam, m=m, n_loss=loss)
    assert f == loss + lam * sp.log(n) - (m - 1) * sp.log(sp.log(n))


def test_free_energy_takes_value_and_multiplicity_from_learning_coefficient():
    lc = normal_crossing([1, 1])  # x²y²: λ = 1/2, m = 2
    assert free_energy(n, lc) == sp.log(n) / 2 - sp.log(sp.log(n))
    assert free_energy(n, lc, m=1) == sp.log(n) / 2  # explicit m wins
    assert free_energy(n, regular(4), n_loss=5) == 5 + 2 * sp.log(n)
    nomult = LearningCoefficient(value=R(3, 2), multiplicity=None, dimension=4, case="test")
    with pytest.raises(ValueError, match="m must be given"):
        free_energy(n, nomult)
    assert free_energy(n, nomult, m=1) == R(3, 2) * sp.log(n)
    sym = LearningCoefficient(value=sp.Symbol("a", positive=True), multiplicity=1, dimension=2,
                              case="test")
    assert free_energy(n, sym) == sp.Symbol("a", positive=True) * sp.log(n)


def test_bayes_generalization_error():
    assert bayes_generalization_error(100, 3) == R(3, 100)
    assert bayes_generalization_error(1, R(1, 2)) == R(1, 2)
    g = bayes_generalization_error(n, R(3, 4))
    assert g == R(3, 4) / n
    assert sp.limit(n * g, n, sp.oo) == R(3, 4)
    assert bayes_generalization_error(n, normal_crossing([1, 2])) == 1 / (4 * n)
    assert float(bayes_generalization_error(1000, 0.5)) == pytest.approx(5e-4, rel=1e-12)
    # E[G_n] = E[F_{n+1}] − E[F_n] − S: to first order the increment of λ log n, i.e. λ/n
    assert sp.diff(free_energy(n, R(3, 4)), n) == g


@given(sst.bayes_generalization_error(max_n=10**6),
       st.fractions(min_value=Fraction(1, 100), max_value=10).map(lambda f: R(f.numerator,
                                                                             f.denominator)))
def test_bayes_generalization_error_properties(args, other):
    """E[G_n] = λ/n: exact, positive, decreasing in n, additive in λ; and bracketed by the
    free energy's increments (E[G_n] = E[F_{n+1}] − E[F_n] − S, Watanabe 2009): with m = 1,
    λ log((n+1)/n) lies between λ/(n+1) and λ/n."""
    nn, lam = args["n"], args["lam"]
    g = bayes_generalization_error(nn, lam)
    assert g == R(lam) / nn and g > 0
    assert bayes_generalization_error(nn + 1, lam) < g
    assert bayes_generalization_error(nn, R(lam) + other) == g + bayes_generalization_error(
        nn, other)
    if nn >= 2:
        step = (free_energy(nn + 1, lam) - free_energy(nn, lam)).evalf(40)  # λ log((n+1)/n)
        assert bayes_generalization_error(nn + 1, lam).evalf(40) < step < g.evalf(40)


BAD_N = [(0, ValueError), (-5, ValueError), (2.5, TypeError), (100.0, TypeError),
         ("100", TypeError), (True, TypeError), (R(1, 2), TypeError)]
BAD_LAM = [(-1, ValueError), (float("nan"), ValueError),
           (float("inf"), ValueError), (sp.oo, ValueError), (sp.I, ValueError),
           ("1/2", TypeError), (True, TypeError), (None, TypeError), (1j, TypeError),
           ([1], TypeError), (sp.Symbol("l", negative=True), ValueError),
           (sp.Symbol("l", negative=True) - 1, ValueError),
           (sp.Symbol("l", imaginary=True), ValueError)]


@pytest.mark.parametrize(("bad", "exc"), [*BAD_N, (1, ValueError)])
def test_free_energy_bad_n(bad, exc):
    with pytest.raises(exc, match="n must be an integer"):
        free_energy(bad, 1)


@pytest.mark.parametrize(("bad", "exc"), BAD_N)
def test_bayes_bad_n(bad, exc):
    with pytest.raises(exc, match="n must be an integer"):
        bayes_generalization_error(bad, 1)


@pytest.mark.parametrize(("bad", "exc"), BAD_LAM)
def test_bad_lam(bad, exc):
    with pytest.raises(exc, match="lam"):
        free_energy(100, bad)
    with pytest.raises(exc, match="lam"):
        bayes_generalization_error(100, bad)


@pytest.mark.parametrize(("bad", "exc"), [(0, ValueError), (-1, ValueError), (1.5, TypeError),
                                          (True, TypeError), ("2", TypeError)])
def test_free_energy_bad_m(bad, exc):
    with pytest.raises(exc, match="m must be an integer"):
        free_energy(100, 1, m=bad)


@pytest.mark.parametrize(("bad", "exc"), [("3", TypeError), (1j, TypeError), (sp.I, ValueError),
                                          (float("nan"), ValueError), (sp.zoo, ValueError),
                                          (None, TypeError)])
def test_free_energy_bad_n_loss(bad, exc):
    with pytest.raises(exc, match="n_loss"):
        free_energy(100, 1, n_loss=bad)


def test_lambda_zero_is_a_model_without_parameters():
    """λ = 0, which ntk(0) and low_rank_manifold(m, n, 0) return, was refused ('lam must be
    > 0'): F_n = n·L_n and E[G_n] = 0 there (an outside probe of the formulas)."""
    from slttheory.formulas import low_rank_manifold

    zero = low_rank_manifold(3, 3, 0)
    assert zero.value == 0
    assert free_energy(100, zero, n_loss=7) == 7
    assert bayes_generalization_error(100, zero) == 0


def test_sample_size_symbol_must_differ_from_the_sizes():
    """free_energy(n, reduced_rank_regression(m, n, h)) would identify the sample size with
    the output dimension n: refused."""
    import pytest
    import sympy as sp

    from slttheory.formulas import (
        bayes_generalization_error,
        free_energy,
        reduced_rank_regression,
    )

    m, n, h = sp.symbols("m n h", positive=True, integer=True)
    lc = reduced_rank_regression(m, n, h)
    with pytest.raises(ValueError, match="sample size"):
        free_energy(n, lc)
    with pytest.raises(ValueError, match="sample size"):
        bayes_generalization_error(n, lc)
    N = sp.Symbol("N", positive=True)
    assert free_energy(N, lc).free_symbols == {m, n, h, N}
    assert bayes_generalization_error(N, lc) == lc.value / N
    K = sp.Symbol("K", positive=True, integer=True)  # a multiplicity named as the sample size
    with pytest.raises(ValueError, match="sample size"):
        free_energy(K, sp.Rational(1, 2), m=K)
    M = sp.Symbol("M", positive=True, integer=True)
    assert free_energy(K, sp.Rational(1, 2), m=M).free_symbols == {K, M}
