"""Tests of estimate_llc, wbic and the multi-temperature estimator on plain torch modules.

Statistical tolerances (z = 4 unless stated) come from theory (docs/estimator.md):
* at the least-squares point of a linear-Gaussian model the localized tempered posterior is
  exactly Gaussian, so the discretised SGLD chain's mean of nβΔL is known in closed form
  (per eigen-direction ½ nβh_i / (a_i (1 - ε a_i/4)), a_i = nβh_i + γ) and MALA's is the
  exact one: only Monte-Carlo error remains, and ``mc_error`` is that error;
* for singular models on one data set, the single-temperature estimate fluctuates around
  λ − (m−1)/log(nβ) (the multiplicity term of the partition function's expansion, Watanabe
  2009, *Algebraic Geometry and Statistical Learning Theory*, Ch. 4) with a data-set spread of
  at most √(λ/(2 log n)) (Watanabe 2013, JMLR 14, arXiv:1208.6338, Thm 4: relative
  1/√(2λ log n));
* the default ``method="extrapolate"`` fits the per-temperature estimates by a least-squares
  model (slttheory.sampling.extrapolate): applied to the exact per-temperature curve it gives a
  known number, so the estimate is tested against that number within its own MC error.
"""

import math
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from slttheory.sampling import (
    LLCEstimate,
    LLCWarning,
    estimate_llc,
    estimate_llc_multitemp,
    plot_scan,
    plot_trace,
    wbic,
)
from slttheory.sampling.estimator import DEFAULT_STEP_JITTER, ESTIMATOR_REVISION
from slttheory.sampling.extrapolate import (
    FREE_MODELS,
    GRID,
    POINT_LAW_MEAN,
    bootstrap_spread,
    law_interval,
    laws_for,
)

Z = 4.0


def gen(seed):
    return torch.Generator().manual_seed(seed)


def least_squares_linear(n=1000, p=2, seed=0, dtype=torch.float32):
    """y = X b + 1 + noise, model nn.Linear(p, 1) set to the least-squares fit (d = p + 1)."""
    x = torch.randn(n, p, generator=gen(seed), dtype=torch.float64)
    y = x @ torch.arange(1.0, p + 1, dtype=torch.float64).unsqueeze(1) + 1.0
    y = y + torch.randn(n, 1, generator=gen(seed + 1), dtype=torch.float64)
    X = torch.cat([x, torch.ones(n, 1, dtype=torch.float64)], 1)
    sol = torch.linalg.lstsq(X, y).solution
    m = nn.Linear(p, 1).to(dtype)
    with torch.no_grad():
        m.weight.copy_(sol[:p].T)
        m.bias.copy_(sol[p])
    hess = (X.T @ X / n).numpy()  # Hessian of L_n = mean ½(y - Xw)²
    return m, (x.to(dtype), y.to(dtype)), hess


def exact_sgld_mean(hess, nbeta, gamma, eps):
    h = np.linalg.eigvalsh(hess)
    a = nbeta * h + gamma
    return float(np.sum(0.5 * nbeta * h / (a * (1 - eps * a / 4))))


def fitted_exact(curve, nbeta, model=None):
    """What the default method gives when every temperature's estimate is exact: the
    finite-nβ fit (``model``, default DEFAULT_MODEL) applied to the exact curve ``curve(t)``
    on the scan's grid."""
    from slttheory.sampling.extrapolate import DEFAULT_MODEL, fit_finite_nbeta

    f = np.asarray(GRID)
    y = np.array([curve(nbeta * fj) for fj in f])
    return fit_finite_nbeta(f, y, np.ones_like(f), nbeta, model or DEFAULT_MODEL).value


class RRR(nn.Module):
    def __init__(self, m, h, o):
        super().__init__()
        self.A = nn.Linear(m, h, bias=False)
        self.B = nn.Linear(h, o, bias=False)

    def forward(self, x):
        return self.B(self.A(x))


# ------------------------------------------------------------------ accuracy


def test_regular_model_matches_exact_discretised_mean():
    """d = 3 linear regression at its least-squares point, fixed ε with ε·a_max/4 ≈ 5 %:
    E[nβΔL] of the discretised chain is exact (module docstring), so |λ̂ − exact| < 4 s.e."""
    m, data, hess = least_squares_linear()
    n = 1000
    nbeta = n / math.log(n)
    eps = 0.2 / (nbeta * np.linalg.eigvalsh(hess).max() + 1)
    est = estimate_llc(m, data, step_size=eps, chains=4, draws=4000, burn_in=300,
                       device="cpu", seed=1, sampler="sgld", method="single")
    exact = exact_sgld_mean(hess, nbeta, 1.0, eps)
    assert exact > 1.5 * 1.03  # the discretisation bias is visible (d/2 = 1.5)
    # the exact mean is that of this data set: only the Monte-Carlo error counts
    assert abs(est.llc - exact) < Z * est.mc_error, (est.llc, exact, est.mc_error)
    assert est.config.step_size == pytest.approx(eps)
    assert not est.diagnostics.divergent


def test_mala_sees_the_localisation_at_its_exact_share():
    """MALA (exact: no step-size bias) at a localisation γ as large as the middle curvature
    nβ·h: E[nβΔL] = Σ ½ nβh_i/(nβh_i + γ) (the localising Gaussian's exact share), far from
    d/2 = 1.5, within 4 s.e. The tests at γ = 1 cannot see γ (below 1 % there), and with the
    localisation dropped from the gradient and the energy they passed (an audit of the
    statistical tests)."""
    m, data, hess = least_squares_linear()
    n = 1000
    nbeta = n / math.log(n)
    gamma = float(nbeta * np.median(np.linalg.eigvalsh(hess)))
    est = estimate_llc(m, data, localization=gamma, chains=4, draws=4000, burn_in=300,
                       device="cpu", seed=2, sampler="mala", method="single")
    exact = exact_sgld_mean(hess, nbeta, gamma, 0.0)
    assert exact < 0.8 * 1.5  # the localisation's share is visible
    assert abs(est.llc - exact) < Z * est.mc_error, (est.llc, exact, est.mc_error)
    assert abs(est.llc - exact_sgld_mean(hess, nbeta, 1.0, 0.0)) > 2 * Z * est.mc_error


def test_regular_model_sghmc_matches_exact_discretised_mean():
    """SGHMC (friction α = 0.1) at a fixed ε with ε·a_max = 1.2: on a Gaussian its stationary
    variance is SGLD's with ε/(2 − α) (kernels.sghmc), so E[nβΔL] is exact here too,
    |λ̂ − exact| < 4 s.e.; its bias (about 19 %) is told apart from SGLD's at the same ε
    (about 43 %). The estimator's first-order bias estimate (ε/8 · E grad_sq / λ̂, grad_sq
    reported over 2 − α) matches the bias."""
    from slttheory.sampling.kernels import SGHMC_FRICTION

    m, data, hess = least_squares_linear()
    n = 1000
    nbeta = n / math.log(n)
    eps = 1.2 / (nbeta * np.linalg.eigvalsh(hess).max() + 1)
    est = estimate_llc(m, data, step_size=eps, chains=4, draws=4000, burn_in=300,
                       device="cpu", seed=1, sampler="sghmc", method="single")
    exact = exact_sgld_mean(hess, nbeta, 1.0, eps / (2 - SGHMC_FRICTION))
    unbiased = exact_sgld_mean(hess, nbeta, 1.0, 0.0)
    assert exact > unbiased * 1.05  # the bias is visible
    assert abs(est.llc - exact) < Z * est.mc_error, (est.llc, exact, est.mc_error)
    assert abs(est.llc - exact_sgld_mean(hess, nbeta, 1.0, eps)) > 2 * Z * est.mc_error
    assert est.config.sampler == "sghmc" and not est.diagnostics.divergent
    assert est.diagnostics.estimated_bias == pytest.approx(exact / unbiased - 1, rel=0.25)


def test_the_interval_is_cut_to_where_lambda_can_be():
    """λ lies in [0, d/2] (estimator._within_range). A tanh network 2–3–1 at its least-squares
    point for targets and noise on the scale of 1000 under the unit-variance Gaussian loss: the
    noisy scan's laws reach beyond both ends (measured [−6.6, 15.4] for d/2 = 6.5), and the
    interval reported is their envelope cut to [0, 6.5] around its estimate; the standard
    error stays the envelope's. A fixed 1000 draws (the adaptive length, 10350 draws, shows
    the same in 5x the time)."""
    g = torch.Generator().manual_seed(2)
    x = torch.randn(1000, 2, generator=g)
    m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
        y = m(x) + 0.1 * torch.randn(1000, 1, generator=g)
    opt = torch.optim.LBFGS(m.parameters(), max_iter=500, tolerance_grad=1e-10,
                            tolerance_change=1e-14, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((m(x) - y) ** 2).mean()
        loss.backward()
        return loss

    for _ in range(5):
        opt.step(closure)
    with torch.no_grad():
        m[2].weight.mul_(1000)
        m[2].bias.mul_(1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = estimate_llc(m, (x, 1000 * y), device="cpu", seed=0, draws=1000)
    assert 0.0 <= est.ci[0] <= est.llc <= est.ci[1] <= 6.5
    assert est.llc - 1.96 * est.std_error < 0 or est.llc + 1.96 * est.std_error > 6.5


def test_rmsprop_sgld_estimates_fail_their_diagnostics():
    """An outside audit: on ½wᵀHw (d = 3, n = 200, exact localised estimand 1.216) RMSProp-SGLD
    read 1.48, 1.37, 1.51 (z = 6–8) with ``estimated_bias`` ≈ 2 % and every check passed: its
    adapted G without the Γ term changes the stationary law, which that bias formula (made for
    a fixed preconditioner) does not see. Every rmsprop estimate now fails with a warning
    saying so; the same SGLD run passes."""
    x = torch.randn(200, 3, generator=gen(0), dtype=torch.float64) @ torch.tensor(
        [[1, 0.9, 0], [0, 0.5, 0], [0, 0, 0.2]], dtype=torch.float64)
    y = torch.zeros(200, 1, dtype=torch.float64)
    out = {}
    for sampler in ("rmsprop_sgld", "sgld"):
        m = nn.Linear(3, 1, bias=False).double()
        with torch.no_grad():
            m.weight.zero_()
        out[sampler] = estimate_llc(m, (x, y), method="single", sampler=sampler, draws=20000,
                                    seed=0, device="cpu")
    rms = out["rmsprop_sgld"].diagnostics
    assert not rms.passed and any("Γ correction" in w for w in rms.warnings), rms.warnings
    assert out["sgld"].diagnostics.passed, out["sgld"].diagnostics.warnings


class _CrossingAB(nn.Module):
    """f = a·b·x: L = ½(ab)² on x = 1, y = 0, whose zero set {ab = 0} is two lines."""

    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.zeros(1, dtype=torch.float64))
        self.b = nn.Parameter(torch.zeros(1, dtype=torch.float64))

    def forward(self, x):
        return self.a * self.b * x


@pytest.mark.parametrize("method", ["single", "extrapolate"])
def test_no_localisation_along_a_flat_fibre_fails_the_estimate(method):
    """An outside audit: at γ = 0 the posterior of ½(ab)² is improper (the a-axis is flat;
    every proper localisation gives nβ·E[L] = ½, b being Gaussian given a); it read 0.40 ± 0.01
    with every check passed. Directions flat to round-off at γ = 0 now fail the estimate; a
    regular model at γ = 0 (all directions curved) still passes."""
    x, y = torch.ones(100, 1, dtype=torch.float64), torch.zeros(100, 1, dtype=torch.float64)
    est = estimate_llc(_CrossingAB(), (x, y), method=method, localization=0.0, draws=1000,
                       seed=0, device="cpu")
    assert not est.diagnostics.passed
    assert any("localization = 0 with 2 of 2 directions" in w for w in est.diagnostics.warnings)
    m, data, _ = least_squares_linear(n=200, dtype=torch.float64)
    reg = estimate_llc(m, data, method="single", localization=0.0, draws=4000, seed=0,
                       device="cpu")
    assert not any("localization = 0" in w for w in reg.diagnostics.warnings)


def test_regular_model_mala_gives_d_over_2():
    """MALA has no discretisation bias: target Σ ½ nβh_i/(nβh_i + γ) (γ-bias only, ≈ −0.7 %)."""
    m, data, hess = least_squares_linear(seed=3)
    nbeta = 1000 / math.log(1000)
    est = estimate_llc(m, data, sampler="mala", chains=4, draws=3000, device="cpu", seed=2,
                       method="single")
    exact = exact_sgld_mean(hess, nbeta, 1.0, 0.0)
    assert abs(est.llc - exact) < Z * est.mc_error, (est.llc, exact, est.mc_error)
    acc = est.diagnostics.acceptance_rate
    assert acc is not None and 0.5 < acc < 0.95
    assert est.diagnostics.estimated_bias == 0.0


def test_dense_preconditioner_keeps_the_target_on_regular_model():
    """MALA in the coordinates of the curvature at w* (preconditioner='dense') samples the
    same Gaussian posterior: λ̂ = Σ ½ nβh_i/(nβh_i + γ) within 4 Monte-Carlo errors (the exact
    value is this data set's, so the data term of std_error, which nearly doubled the band,
    does not apply: an outside audit); in those coordinates every curvature is 1, so the
    calibrated ε is O(1) (not at the grid's edge)."""
    m, data, hess = least_squares_linear(n=1000, p=4, seed=13)
    nbeta = 1000 / math.log(1000)
    est = estimate_llc(m, data, preconditioner="dense", method="single", draws=2000,
                       device="cpu", seed=4)
    exact = exact_sgld_mean(hess, nbeta, 1.0, 0.0)
    assert est.config.preconditioner == "dense" and est.config.sampler == "mala"
    assert abs(est.llc - exact) < Z * est.mc_error, (est.llc, exact, est.mc_error)
    assert 0.1 < est.config.step_size < 5 and est.diagnostics.passed, est.summary()
    with pytest.raises(ValueError, match="preconditioner must be one of"):
        estimate_llc(m, data, preconditioner="newton", device="cpu")


def test_auto_step_size_keeps_bias_small_on_regular_model():
    """Auto-calibrated SGLD, bias target 2 % (calibrate.py). Two exact checks: the chosen
    step's own discretisation bias (the exact mean at ε against ε → 0) is below 4 % (twice the
    target, as the pilot's bias estimate is itself noisy), and λ̂ is the exact mean of the
    chain at that step within 4 Monte-Carlo errors."""
    m, data, hess = least_squares_linear(seed=5)
    nbeta = 1000 / math.log(1000)
    est = estimate_llc(m, data, draws=3000, device="cpu", seed=3, sampler="sgld",
                       method="single")
    at_step = exact_sgld_mean(hess, nbeta, 1.0, est.config.step_size)
    unbiased = exact_sgld_mean(hess, nbeta, 1.0, 0.0)
    assert "step_size" in est.config.auto
    assert at_step / unbiased - 1 < 0.04, (est.config.step_size, at_step, unbiased)
    assert abs(est.llc - at_step) < Z * est.mc_error, (est.llc, at_step, est.mc_error)
    assert est.diagnostics.estimated_bias < 0.05


def test_reduced_rank_regression_within_theory_tolerance():
    """RRR (M, H, N) = (5, 3, 5), true rank 0, y pure noise, n = 1000, estimated at the empirical
    minimiser of L_n near A = B = 0 (``refine_to_minimiser`` on a plain module), as the LLC is
    defined (at A = B = 0 itself λ̂ is offset by −nβ(L_n(0) − min L_n) ≈ −1.8 here).

    λ = 13/2, m = 2 (Aoyagi & Watanabe 2005, case 1 odd). Prediction for one data set:
    λ − (m−1)/log(nβ) = 6.30, data spread √(λ/(2 log n)) = 0.69; assert within 3 spreads
    (combined with the MC s.e.)."""
    from slttheory.formulas import reduced_rank_regression
    from slttheory.models.families import refine_to_minimiser

    lc = reduced_rank_regression(5, 5, 3, 0)
    lam, mult = float(lc.value), int(lc.multiplicity)
    assert (lam, mult) == (6.5, 2)
    n = 1000
    x = torch.randn(n, 5, generator=gen(11))
    y = torch.randn(n, 5, generator=gen(12))
    model = RRR(5, 3, 5)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    info = refine_to_minimiser(model, (x, y), "gaussian", generator=gen(13))
    assert info["accepted"] and info["grad_norm"] < 1e-5
    before = {k: v.clone() for k, v in model.state_dict().items()}
    est = estimate_llc(model, (x, y), draws=3000, device="cpu", seed=0, method="single")
    nbeta = n / math.log(n)
    centre = lam - (mult - 1) / math.log(nbeta)
    spread = math.sqrt(lam / (2 * math.log(n)))
    assert abs(est.llc - centre) < 3 * math.hypot(spread, est.mc_error), est.summary()
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # untouched


# ------------------------------------------------------------------ the default method


def test_extrapolated_estimate_on_exact_gaussian_posterior():
    """Linear regression at its least-squares point with MALA: at every temperature t_j of
    the scan the localized tempered posterior is exactly Gaussian, so t_j E[ΔL] =
    Σ ½ t_j h_i/(t_j h_i + γ) (the γ-term is the finite-nβ bias here). Every temperature's
    estimate must match it within 4 of its own MC errors, and the extrapolated value must be
    the fit of that exact curve within 4 MC errors of the fit."""
    m, data, hess = least_squares_linear(seed=13, dtype=torch.float64)
    nbeta = 1000 / math.log(1000)
    # the scan's own fit (for this linear model the default would return d/2)
    est = estimate_llc(m, data, sampler="mala", chains=4, draws=2000, device="cpu", seed=7,
                       morse_bott=False)
    tp = est.temperatures
    assert est.method == "extrapolate" and tp.nbeta.shape == (len(GRID),)
    for t, v, e in zip(tp.nbeta, tp.llc, tp.mc_error, strict=True):
        assert abs(v - exact_sgld_mean(hess, t, 1.0, 0.0)) < Z * e, (t, v, e)
    assert tp.fit.model == "pow[1/2,1]"  # noisy targets: L_n(w*) > 0
    expect = fitted_exact(lambda t: exact_sgld_mean(hess, t, 1.0, 0.0), nbeta)
    assert abs(est.llc - expect) < Z * est.mc_error, (est.llc, expect, est.mc_error)


def test_extrapolated_estimate_on_a_monomial_with_known_partition_function():
    """Noise-free f(x) = w² x (K = ½ E[x²] w⁴, λ = 1/4): G(t) = t E_t[K] under the prior
    N(0, 1) by quadrature at every temperature; every temperature's MALA estimate within 4 MC
    errors of it, the extrapolated value within 4 of its MC errors of the fit of G."""

    class Square(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(1, dtype=torch.float64))

        def forward(self, x):
            return self.w**2 * x

    x = torch.randn(1000, 1, generator=gen(3), dtype=torch.float64)
    c = 0.5 * float((x**2).mean())
    w = np.linspace(-12, 12, 200_001)

    def exact(t):
        k = c * w**4
        p = np.exp(-t * k - 0.5 * w**2)
        return float(t * np.sum(k * p) / np.sum(p))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)  # fixed length: an ESS warning may come
        est = estimate_llc(Square(), (x, torch.zeros_like(x)), chains=4, draws=3000,
                           device="cpu", seed=1)
    assert est.config.sampler == "mala", est.summary()
    tp = est.temperatures
    for t, v, e in zip(tp.nbeta, tp.llc, tp.mc_error, strict=True):
        assert abs(v - exact(t)) < Z * e, (t, v, exact(t), e)
    assert tp.fit.model == "pow1/4"  # noise-free: L_n(w*) = 0, the slowest law, not rejected
    assert tp.point == "fit" and est.llc == tp.fit.value  # and the law's value is the estimate
    expect = fitted_exact(exact, est.config.nbeta, tp.fit.model)
    assert abs(est.llc - expect) < Z * est.mc_error, (est.llc, expect, est.mc_error)


def test_extrapolated_contract():
    """Every field of the default method's result, as the verifier reads them."""
    m, data, _ = least_squares_linear(n=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)  # short run
        est = estimate_llc(m, data, step_size=1e-3, chains=3, draws=200, burn_in=50,
                           device="cpu", morse_bott=False)  # the scan's own estimate
    c, tp = est.config, est.temperatures
    assert est.method == c.method == "extrapolate"
    assert c.revision == ESTIMATOR_REVISION > 0  # provenance of a stored result
    assert c.nbetas == pytest.approx(tuple(c.nbeta * np.asarray(GRID)))
    assert est.loss_trace.shape == (3, 200) and est.per_chain.shape == (3,)
    assert est.single == tp.llc[0] and est.single_std_error == tp.mc_error[0]
    assert est.single == pytest.approx(float(np.mean(est.per_chain)))
    assert est.llc == pytest.approx(est.single + est.systematic)
    # noisy data: the estimate is the mean of the laws the interval spans (point_rule)
    assert tp.point == POINT_LAW_MEAN
    assert tp.fit.value == pytest.approx(float(tp.fit.weights @ tp.corrected))
    # a fitted exponent: MC and data errors by the parametric bootstrap of the fit
    assert tp.fit.model in FREE_MODELS
    mc, total = bootstrap_spread(tp.fit, tp.data_cov * np.outer(1 - tp.disc_bias, 1 - tp.disc_bias))
    assert est.mc_error == pytest.approx(mc)
    assert est.data_error == pytest.approx(math.sqrt(max(total**2 - mc**2, 0.0)))
    assert est.std_error == pytest.approx(
        math.sqrt(est.mc_error**2 + est.data_error**2 + est.fit_error**2 + est.law_error**2))
    assert est.data_error >= 0.0 and tp.data_cov.shape == (len(GRID), len(GRID))
    chi2 = tp.fit.chi2 / tp.fit.dof
    assert est.fit_error == pytest.approx(est.mc_error * math.sqrt(max(chi2 - 1.0, 0.0)))
    # the interval: the envelope of every finite-nβ law that fits the scan, the chosen first
    lo, hi = est.ci
    li = law_interval(tp.fit, tp.disc_bias, tp.data_cov, laws_for(est.init_loss, c.nbeta))
    assert (lo, hi) == pytest.approx((li.low, li.high)) and tp.laws == li.laws
    assert est.llc == pytest.approx(li.mean)  # each distinct law's fit once
    assert [name for name, _, _ in tp.laws][-1] == "t"  # noisy data: the data term's law too
    assert tp.laws[0][:2] == (tp.fit.model, tp.fit.value) and len(tp.laws) >= 2
    assert lo <= est.llc <= hi
    assert "mean of the" in est.summary()
    own = math.sqrt(est.mc_error**2 + est.data_error**2 + est.fit_error**2)
    v = tp.fit.value  # the envelope holds the chosen law's own interval
    assert lo <= v - 1.959964 * own + 1e-12 and hi >= v + 1.959964 * own - 1e-12
    assert est.std_error == pytest.approx((hi - lo) / (2 * 1.959964))
    assert est.law_error >= 0.0 and "law" in est.summary()
    assert np.all(tp.disc_bias == 0.0)  # MALA: no discretisation bias to correct
    assert "single-temperature" in str(est) and "nβ=" in str(est)
    assert tp.fit.describe() in str(est) and "δ =" in tp.fit.describe()


def test_stated_multiplicity_one_leaves_the_multiplicity_laws_out():
    """``multiplicity=1``: the default rule without the m ≥ 2 laws the caller ruled out, in
    the interval and (noisy data) in the mean; the same draws otherwise."""
    from slttheory.models.polynomial import NormalCrossing

    g = gen(0)  # the crossing u·v on noisy data: its scan rises, so the m = 2 law fits it
    x = torch.randn(200, 1, generator=g, dtype=torch.float64)
    data = (x, 0.5 * torch.randn(200, 1, generator=g, dtype=torch.float64))
    m = NormalCrossing((1, 1), dtype=torch.float64)
    kw = dict(chains=3, draws=300, burn_in=100, device="cpu", morse_bott=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)  # short runs
        free = estimate_llc(m, data, **kw)
        one = estimate_llc(m, data, multiplicity=1, **kw)
    assert one.config.multiplicity == 1 and np.array_equal(one.temperatures.llc,
                                                           free.temperatures.llc)
    assert "mult2" in [name for name, _, _ in free.temperatures.laws]
    names = [name for name, _, _ in one.temperatures.laws]
    assert "mult2" not in names and names[-1] == "t"
    distinct = {round(v, 6) for _, v, _ in one.temperatures.laws}
    assert one.llc == pytest.approx(float(np.mean(sorted(distinct))), rel=1e-5)
    assert one.ci[0] <= one.llc <= one.ci[1]


# ------------------------------------------------------------------ contract, reproducibility


def test_result_fields_and_config():
    m, data, _ = least_squares_linear(n=200)
    est = estimate_llc(m, data, step_size=1e-3, chains=3, draws=100, burn_in=20,
                       device="cpu", method="single")
    assert isinstance(est, LLCEstimate)
    assert est.loss_trace.shape == (3, 100) and est.per_chain.shape == (3,)
    c = est.config
    # sampler="auto" is MALA at full batch (estimator.py: _resolve_sampler)
    assert (c.n, c.chains, c.draws, c.burn_in, c.sampler) == (200, 3, 100, 20, "mala")
    assert "sampler" in c.auto and c.preconditioner == "none"
    assert c.beta == pytest.approx(1 / math.log(200))
    assert c.nbeta == pytest.approx(200 / math.log(200))
    assert c.localization == 1.0 and c.batch_size == 200 and c.full_batch
    assert c.params == ("weight", "bias") and c.dimension == 3
    assert c.device == "cpu" and c.dtype == "float32"
    assert est.llc == pytest.approx(float(np.mean(est.per_chain)))
    assert np.allclose(est.per_chain,
                       c.nbeta * (est.loss_trace - est.init_loss).mean(1), rtol=1e-6)
    assert "LLC =" in str(est)
    # the contract of a single-temperature estimate
    assert est.method == c.method == "single" and c.nbetas == (c.nbeta,)
    assert est.single == est.llc and est.systematic == 0.0 and est.temperatures is None
    assert est.single_std_error == est.mc_error
    assert est.std_error == pytest.approx(math.hypot(est.mc_error, est.data_error))
    assert est.ci == pytest.approx((est.llc - 1.959964 * est.std_error,
                                    est.llc + 1.959964 * est.std_error))
    with pytest.raises(AttributeError):
        est.llc = 0.0  # frozen
    with pytest.raises(ValueError, match="method must be one of"):
        estimate_llc(m, data, method="richardson", device="cpu")


def test_same_seed_same_numbers_different_seed_different():
    m, data, _ = least_squares_linear(n=100)
    kw = dict(chains=2, draws=100, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)  # short runs: ESS warnings expected
        # auto step size and the scan included (a linear model's scan is only sampled as a
        # record: λ = d/2 exactly)
        a = estimate_llc(m, data, seed=5, record_scan=True, **kw)
        b = estimate_llc(m, data, seed=5, record_scan=True, **kw)
        c = estimate_llc(m, data, seed=6, step_size=a.config.step_size, record_scan=True, **kw)
    assert np.array_equal(a.loss_trace, b.loss_trace) and a.llc == b.llc
    assert a.std_error == b.std_error and a.ci == b.ci
    assert a.config.step_size == b.config.step_size
    assert not np.array_equal(a.loss_trace, c.loss_trace)


def exact_minibatch_sgld_mean(model, data, hess, nbeta, gamma, eps, batch_size):
    """The stationary mean of nβΔL for minibatch SGLD at the least-squares point of
    ``least_squares_linear``: the chain is the linear recursion
    δ' = (I − ε/2 (nβH + γI)) δ + ε/2 nβ ξ + √ε η, with ξ the batch-mean gradient at w*
    (b rows drawn with replacement: covariance C/b, C the per-sample gradients' covariance),
    so its covariance P solves the discrete Lyapunov equation P = A P Aᵀ + ε I + (εnβ/2)² C/b.
    The same-batch ΔL has mean ½ tr(HP) (the batch at a draw is independent of δ); the term
    δᵀ(H_B − H)δ/2 adds no mean, and its effect on the chain is O(ε² nβ² /b) of ½tr(HP)."""
    import scipy.linalg

    x, y = (t.double() for t in data)
    X = torch.cat([x, torch.ones(len(x), 1, dtype=torch.float64)], 1).numpy()
    w = torch.cat([model.weight.detach().double().ravel(), model.bias.detach().double()])
    per_sample = -X * (y.numpy().ravel() - X @ w.numpy())[:, None]  # ∇ ½(y − xᵀw)²
    cov = np.cov(per_sample.T, bias=True)
    d = len(hess)
    a = np.eye(d) - eps / 2 * (nbeta * hess + gamma * np.eye(d))
    q = eps * np.eye(d) + (eps * nbeta / 2) ** 2 * cov / batch_size
    return float(0.5 * nbeta * np.trace(hess @ scipy.linalg.solve_discrete_lyapunov(a, q)))


def test_minibatch_sgld_matches_its_exact_stationary_mean():
    """Minibatch SGLD (b = 100 of n = 1000) at a step where its gradient noise adds 11 % to
    nβΔL: the estimate must be the exact stationary mean of the minibatch chain (within 4
    Monte-Carlo errors, no slack), and 4 errors away from the full-batch chain's mean (the
    test can tell a sampler that ignores the batch noise, or uses a biased batch)."""
    m, data, hess = least_squares_linear(seed=8)
    nbeta, eps = 1000 / math.log(1000), 2e-3
    est = estimate_llc(m, data, batch_size=100, draws=4000, chains=16, step_size=eps,
                       device="cpu", seed=4, method="single")
    target = exact_minibatch_sgld_mean(m, data, hess, nbeta, 1.0, eps, 100)
    assert est.config.batch_size == 100 and not est.config.full_batch
    assert abs(est.llc - target) < Z * est.mc_error, (est.llc, target, est.mc_error)
    assert abs(est.llc - exact_sgld_mean(hess, nbeta, 1.0, eps)) > Z * est.mc_error


def test_minibatch_estimate_is_unbiased_on_regular_model():
    """The default minibatch path (b = 100 of n = 1000, calibrated step, same-batch
    baseline) against the exact mean of the chain it ran: tolerance 4 s.e. + 6 % (3× the
    calibration's 2 % bias target). A smoke test of the default path: its calibrated step is
    small, so 4 chains mix slowly (ESS ≈ 40) and the band is wide; the test above is the
    sharp one."""
    m, data, hess = least_squares_linear(seed=8)
    nbeta = 1000 / math.log(1000)
    est = estimate_llc(m, data, batch_size=100, draws=3000, device="cpu", seed=4,
                       method="single")
    target = exact_minibatch_sgld_mean(m, data, hess, nbeta, 1.0, est.config.step_size, 100)
    assert est.config.batch_size == 100 and not est.config.full_batch
    assert est.diagnostics.acceptance_rate is None
    assert abs(est.llc - target) < Z * est.mc_error + 0.06 * target, (est.llc, target)


def test_restricted_llc_equals_smaller_model_exactly():
    """Freezing c in f = a x + b x² + c x³ gives the same chain as the model without c."""

    class Three(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Parameter(torch.tensor([1.0]))
            self.b = nn.Parameter(torch.tensor([0.5]))
            self.c = nn.Parameter(torch.tensor([0.25]))

        def forward(self, x):
            return self.a * x + self.b * x**2 + self.c * x**3

    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Parameter(torch.tensor([1.0]))
            self.b = nn.Parameter(torch.tensor([0.5]))

        def forward(self, x):
            return self.a * x + self.b * x**2 + 0.25 * x**3

    x = torch.randn(300, 1, generator=gen(0))
    y = 1.0 * x + 0.5 * x**2 + 0.25 * x**3 + torch.randn(300, 1, generator=gen(1))
    kw = dict(step_size=1e-3, chains=2, draws=300, device="cpu", seed=9, method="single")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)  # short runs: ESS warnings expected
        r = estimate_llc(Three(), (x, y), params=["a", "b"], **kw)
        s = estimate_llc(Two(), (x, y), **kw)
        full = estimate_llc(Three(), (x, y), **kw)
    assert r.config.params == ("a", "b") and r.config.dimension == 2
    assert np.allclose(r.per_chain, s.per_chain, rtol=1e-5, atol=1e-6)
    assert not np.allclose(r.per_chain, full.per_chain, rtol=1e-2)


# ------------------------------------------------------------------ error paths


def test_error_paths():
    m = nn.Linear(2, 1)
    x, y = torch.randn(10, 2), torch.randn(10, 1)
    with pytest.raises(ValueError, match="leading"):
        estimate_llc(m, (x, torch.randn(9, 1)), device="cpu")
    with pytest.raises(ValueError, match="do not match"):
        estimate_llc(m, (x, torch.randn(10, 3)), device="cpu")
    with pytest.raises(TypeError, match="tuple"):
        estimate_llc(m, x, device="cpu")
    with pytest.raises(TypeError, match=r"got a tuple of 2 \(ndarray, ndarray\); convert arrays "
                       "with torch.as_tensor"):
        estimate_llc(m, (x.numpy(), y.numpy()), device="cpu")
    with pytest.raises(TypeError, match=r"got a list of 3 \(Tensor, Tensor, Tensor\)$"):
        estimate_llc(m, [x, y, y], device="cpu")
    with pytest.raises(ValueError, match="sampler must be one of.*mala.*rmsprop_sgld.*sgld"):
        estimate_llc(m, (x, y), sampler="hmc", device="cpu")
    with pytest.raises(ValueError, match=r"unknown parameter.*valid names: \['weight', 'bias'\]"):
        estimate_llc(m, (x, y), params=["weights"], device="cpu")
    with pytest.raises(ValueError, match="loss must be one of"):
        estimate_llc(m, (x, y), loss="mse", device="cpu")
    with pytest.raises(ValueError, match="chains"):
        estimate_llc(m, (x, y), chains=0, device="cpu")
    with pytest.raises(ValueError, match="step_size"):
        estimate_llc(m, (x, y), step_size=-1.0, device="cpu")
    with pytest.raises(ValueError, match="full batch"):
        estimate_llc(m, (x, y), sampler="mala", batch_size=5, device="cpu")
    with pytest.raises(ValueError, match="device"):
        estimate_llc(m, (x, y), device="tpu")
    with pytest.raises(ValueError, match="class indices"):
        estimate_llc(nn.Linear(2, 3), (x, torch.randn(10)), loss="cross_entropy",
                     device="cpu")
    with pytest.raises(ValueError, match="seed must fit in 64 bits"):
        estimate_llc(m, (x, y), seed=2**64, device="cpu")
    with pytest.raises(TypeError, match=r"torch.float16.*model.float\(\)"):
        estimate_llc(nn.Linear(2, 1).half(), (x, y), device="cpu")


def test_seed_may_be_a_generator_or_none_and_config_seed_repeats_the_run():
    """A torch.Generator gives one integer seed drawn from it (the caller's stream, no global
    state), None fresh entropy; either way ``config.seed`` repeats the estimate draw for draw,
    and the caller's generator advances, so a second call gets other chains."""
    m, data, _ = least_squares_linear(n=200)
    kw = dict(step_size=1e-3, draws=60, chains=2, method="single", device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)
        g = gen(5)
        a, b = estimate_llc(m, data, seed=g, **kw), estimate_llc(m, data, seed=g, **kw)
        again = estimate_llc(m, data, seed=gen(5), **kw)
        fresh = estimate_llc(m, data, seed=None, **kw)
        repeat = estimate_llc(m, data, seed=fresh.config.seed, **kw)
        alone = estimate_llc(m, data, seed=a.config.seed, **kw)
    assert a.config.seed == again.config.seed != b.config.seed
    assert np.array_equal(a.loss_trace, alone.loss_trace)
    assert not np.array_equal(a.loss_trace, b.loss_trace)
    assert np.array_equal(fresh.loss_trace, repeat.loss_trace)
    with pytest.raises(TypeError, match="seed must be an integer, a torch.Generator or None"):
        estimate_llc(m, data, seed=1.5, **kw)


def test_mistakes_found_by_fuzzing_get_errors_that_name_them():
    """Inputs the model cannot take, losses that return no float tensor, too few draws for
    any diagnostic, data that requires grad, and a forward that updates a buffer."""
    m = nn.Linear(2, 1)
    x, y = torch.randn(50, 2, generator=gen(0)), torch.randn(50, 1, generator=gen(1))
    with pytest.raises(ValueError, match=r"data: the model cannot be evaluated.*int64"):
        estimate_llc(m, (x.long(), y), device="cpu")
    with pytest.raises(ValueError, match=r"data: the model cannot be evaluated.*\(50, 3\)"):
        estimate_llc(m, (torch.randn(50, 3), y), device="cpu")
    with pytest.raises(TypeError, match="floating-point tensor of per-sample NLLs, got float"):
        estimate_llc(m, (x, y), loss=lambda o, t: 1.0, device="cpu")
    with pytest.raises(TypeError, match="targets: class indices .* int64, got torch.bool"):
        estimate_llc(nn.Linear(2, 3), (x, torch.ones(50, dtype=torch.bool)),
                     loss="cross_entropy", device="cpu")
    kw = dict(chains=2, device="cpu", method="single", step_size=1e-3, morse_bott=False)
    with pytest.warns(LLCWarning, match="too few for an effective sample size"):
        few = estimate_llc(m, (x, y), draws=2, **kw)
    assert not few.diagnostics.passed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)  # short runs
        a = estimate_llc(m, (x.clone().requires_grad_(), y), draws=50, **kw)
        b = estimate_llc(m, (x, y), draws=50, **kw)
    assert a.llc == b.llc

    class Counter(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(2, 1)
            self.register_buffer("calls", torch.zeros(()))

        def forward(self, inp: torch.Tensor) -> torch.Tensor:
            self.calls.add_(1.0)
            return self.lin(inp)

    class Branchy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(2, 1)

        def forward(self, inp: torch.Tensor) -> torch.Tensor:
            out = self.lin(inp)
            return out if out.sum() > 0 else -out

    with pytest.raises(ValueError, match="cannot be vectorised over chains by torch.func.vmap"):
        estimate_llc(Branchy(), (x, y), **kw)
    for bad in (dict(beta=1e300), dict(step_size=1e-300)):
        with pytest.raises(ValueError, match="outside what torch.float32 can hold"):
            estimate_llc(m, (x, y), **{**kw, **bad})
    frozen = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    frozen[0].requires_grad_(False)  # a frozen first layer stays put, as in torch's optimisers
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)
        est = estimate_llc(frozen, (x, y), draws=20, **kw)
    assert est.config.params == ("2.weight", "2.bias") and est.config.dimension == 4
    frozen.requires_grad_(False)
    with pytest.raises(ValueError, match="every parameter of the model has requires_grad=False"):
        estimate_llc(frozen, (x, y), draws=20, **kw)
    c = Counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)
        estimate_llc(c, (x, y), draws=20, **kw)
    assert float(c.calls) == 0.0  # "the module is not modified"



def test_inputs_an_outside_user_passes():
    """Mistakes a devinterp user makes get an error that says what to do, before any
    sampling; a DataLoader is accepted and read once, in the same order as its tensors."""
    x, y = torch.randn(40, 2, generator=gen(0)), torch.randn(40, 1, generator=gen(1))
    drop = nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.5), nn.Linear(3, 1))
    with pytest.raises(ValueError, match=r"1 \(Dropout\) in training mode.*model\.eval\(\)"):
        estimate_llc(drop, (x, y), device="cpu")
    norm = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1))
    with pytest.raises(ValueError, match=r"BatchNorm1d.*training mode"):
        estimate_llc(norm, (x, y), device="cpu")

    class Pair(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(2, 1)

        def forward(self, inp: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return self.lin(inp), inp

    with pytest.raises(TypeError, match="one tensor of outputs, got tuple"):
        estimate_llc(Pair(), (x, y), device="cpu")
    m = nn.Linear(2, 1)
    with pytest.raises(ValueError, match="reduction='none'"):
        estimate_llc(m, (x, y), loss=lambda o, t: ((o - t) ** 2).mean(), device="cpu")
    bad = x.clone()
    bad[3, 1] = float("nan")
    with pytest.raises(ValueError, match="data: inputs contain 1 NaN/Inf entry"):
        estimate_llc(m, (bad, y), device="cpu")
    with pytest.raises(ValueError, match="data: targets contain"):
        estimate_llc(m, (x, y / 0.0), device="cpu")
    kw = dict(draws=100, chains=2, device="cpu", method="single", step_size=1e-3)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)  # a short run
        a = estimate_llc(m, loader, **kw)
        b = estimate_llc(m, (x, y), **kw)
    assert np.array_equal(a.per_chain, b.per_chain)


def test_stated_multiplicity_removes_the_log_term_at_a_normal_crossing():
    """f = u·v·x, noise-free, n = 1000 (λ = 1/2, m = 2). The default fit reads about −27 %
    here (the −(m−1)/log t term, docs/estimator.md §6); told m = 2, the estimator fits
    λ − 1/(log t + κ). The sampled estimate must agree with that law fitted to the exact
    estimand at the same temperatures (quadrature) within 4 standard errors — the sampler —
    and with λ within the law's own −2.3 % at this n plus 4 standard errors."""
    from slttheory.models.polynomial import NormalCrossing
    from slttheory.sampling.extrapolate import fit_finite_nbeta
    from slttheory.sampling.reference import crossing_estimand

    x = torch.randn(1000, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    model = NormalCrossing((1, 1), dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)
        e = estimate_llc(model, (x, torch.zeros_like(x)), seed=0, device="cpu", multiplicity=2)
    tp = e.temperatures
    assert tp.fit.model == "mult2" and e.diagnostics.passed
    assert "stated m = 2" in e.summary()
    exact = [crossing_estimand(float(t), 1, float((x**2).mean()), e.config.localization)
             for t in tp.nbeta]
    law = fit_finite_nbeta(tp.nbeta / tp.nbeta[0], exact, tp.mc_error, tp.nbeta[0], "mult2")
    assert abs(e.llc - law.value) < 4 * e.std_error, (e.llc, law.value, e.std_error)
    assert abs(e.llc - 0.5) < 0.023 * 0.5 + 4 * e.std_error, (e.llc, e.std_error)
    for bad, match in ((0, "multiplicity must be"), (True, "multiplicity must be"),
                       (9, "multiplicity must be")):
        with pytest.raises(ValueError, match=match):
            estimate_llc(model, (x, torch.zeros_like(x)), multiplicity=bad, device="cpu")
    with pytest.raises(ValueError, match="applies to method='extrapolate'"):
        estimate_llc(model, (x, torch.zeros_like(x)), multiplicity=2, method="single",
                     device="cpu")


def test_nan_loss_is_flagged_not_silent():
    class NaNModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(1))

        def forward(self, x):
            return self.w * x * torch.nan

    x = torch.randn(20, 1)
    with pytest.warns(LLCWarning, match="not finite"):
        est = estimate_llc(NaNModel(), (x, x), draws=10, device="cpu")
    assert est.diagnostics.divergent and math.isnan(est.llc)
    assert any("not finite" in w for w in est.diagnostics.warnings)
    # the config says what would have run: the default jitter, listed as chosen automatically
    assert "step_jitter" in est.config.auto and est.config.step_jitter == DEFAULT_STEP_JITTER


def test_exploding_chains_are_flagged():
    """A step size far beyond stability makes SGLD chains overflow: divergent with a warning;
    MALA rejects every such move instead: flagged by its acceptance rate."""
    m, data, _ = least_squares_linear(n=200)
    kw = dict(draws=200, device="cpu", record_scan=True)  # linear: sampled as a record only
    with pytest.warns(LLCWarning, match="divergent"):
        est = estimate_llc(m, data, step_size=1.0, sampler="sgld", **kw)
    assert est.diagnostics.divergent
    # every chain of every temperature of the scan (indices over the whole scan)
    assert len(est.diagnostics.divergent_chains) == est.config.chains * len(est.config.nbetas)
    with pytest.warns(LLCWarning, match="acceptance"):  # even ε/10 of the jitter is unstable
        est = estimate_llc(m, data, step_size=100.0, **kw)
    assert est.config.sampler == "mala" and not est.diagnostics.passed
    assert est.diagnostics.acceptance_rate < 0.01 and not est.diagnostics.divergent
    # sampled (not the Morse–Bott shortcut): chains that never moved sat at w*, and their
    # trace's 0 is no estimate, so λ̂ is NaN
    with pytest.warns(LLCWarning, match="never moved"):
        est = estimate_llc(m, data, step_size=100.0, morse_bott=False, method="single",
                           draws=200, device="cpu")
    assert est.diagnostics.acceptance_rate == 0.0
    assert math.isnan(est.llc) and any("never moved" in w for w in est.diagnostics.warnings)
    # it failed, but nothing diverged: the verifier would otherwise list "divergent chains"
    assert not est.diagnostics.passed and not est.diagnostics.divergent


def test_nan_away_from_wstar_is_flagged():
    """A loss that is NaN for w < 0.9 (sqrt of a negative) is NaN for some chains."""

    class Sqrt(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(1))

        def forward(self, x):
            return torch.sqrt(self.w - 0.9) * x

    x = torch.randn(50, 1, generator=gen(0))
    data = (x, torch.sqrt(torch.tensor(0.1)) * x)
    kw = dict(draws=200, device="cpu", record_scan=True)  # a Morse–Bott zero: record only
    with pytest.warns(LLCWarning):
        est = estimate_llc(Sqrt(), data, step_size=0.05, sampler="sgld", **kw)
    assert est.diagnostics.divergent
    # MALA rejects the NaN proposals (its chains stay where the loss is finite): counted
    # and warned about, never silent
    with pytest.warns(LLCWarning, match="NaN/Inf loss were rejected"):
        est = estimate_llc(Sqrt(), data, step_size=0.05, **kw)
    assert not est.diagnostics.passed and np.isfinite(est.llc)


def test_cross_entropy_and_callable_loss():
    x = torch.randn(400, 3, generator=gen(0))
    lin = nn.Linear(3, 2)
    with torch.no_grad():
        yc = lin(x).argmax(1)


    def abs_loss(out, target):
        return (out - target).abs().sum(-1)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)  # w* not a minimum here: warned
        est = estimate_llc(lin, (x, yc), loss="cross_entropy", step_size=1e-4, draws=100,
                           device="cpu")
        est2 = estimate_llc(nn.Linear(3, 1), (x, x[:, :1]), loss=abs_loss, step_size=1e-4,
                            draws=50, device="cpu")
    assert np.isfinite(est.llc) and est.config.loss == "cross_entropy"
    assert est2.config.loss == "abs_loss" and np.isfinite(est2.llc)


def test_probability_row_targets_and_every_named_loss():
    """losses.cross_entropy_nll documents probability rows, and LOSSES names
    "binary_cross_entropy": estimate_llc refused both. One-hot rows give the class
    indices' estimate draw for draw."""
    x = torch.randn(300, 2, generator=gen(0))
    lin = nn.Linear(2, 3)
    with torch.no_grad():
        yc = lin(x).argmax(1)
    kw = dict(method="single", step_size=1e-4, draws=60, chains=2, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)
        a = estimate_llc(lin, (x, yc), loss="cross_entropy", **kw)
        b = estimate_llc(lin, (x, nn.functional.one_hot(yc, 3).float()), loss="cross_entropy",
                         **kw)
        c = estimate_llc(nn.Linear(2, 1), (x, (x[:, :1] > 0).float()),
                         loss="binary_cross_entropy", **kw)
    assert abs(a.llc - b.llc) < 1e-6 and np.isfinite(c.llc)


def test_binary_cross_entropy_is_the_bernoulli_nll_of_its_targets():
    """loss="binary_cross_entropy" samples the Bernoulli NLL log(1 + e^z) − yz of the data's
    labels: draw for draw the estimate of that NLL written as a callable (labels read the
    other way round gave a finite LLC of another loss, which the finiteness check passed)."""
    x = torch.randn(300, 2, generator=gen(1))
    lin = nn.Linear(2, 1)
    y = (x[:, :1] + 0.3 * torch.randn(300, 1, generator=gen(2)) > 0).float()
    kw = dict(method="single", step_size=1e-4, draws=60, chains=2, device="cpu", seed=3)

    def bernoulli(out, t):
        z, t = out.reshape(-1), t.reshape(-1)
        return nn.functional.softplus(z) - t * z

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)
        a = estimate_llc(lin, (x, y), loss="binary_cross_entropy", **kw)
        b = estimate_llc(lin, (x, y), loss=bernoulli, **kw)
        c = estimate_llc(lin, (x, 1 - y), loss=bernoulli, **kw)
    assert abs(a.llc - b.llc) < 1e-6 and abs(a.llc - c.llc) > 1e-3, (a.llc, b.llc, c.llc)


def test_probability_rows_of_another_width_than_the_logits_are_named():
    """Rows of 4 classes for 3 logits: refused before sampling, naming both shapes."""
    x = torch.randn(50, 2, generator=gen(0))
    rows = torch.full((50, 4), 0.25)
    with pytest.raises(ValueError, match=r"probability rows of shape \(50, 4\) do not match "
                                         r"logits of shape \(50, 3\)"):
        estimate_llc(nn.Linear(2, 3), (x, rows), loss="cross_entropy", method="single",
                     step_size=1e-4, draws=10, chains=1, device="cpu")


def test_eval_mode_attention_is_differentiable():
    """In eval mode nn.MultiheadAttention took torch's fused fast path, which has no
    derivative ("derivative for aten::_native_multi_head_attention is not implemented")."""
    class Att(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(5, 4)
            self.att = nn.MultiheadAttention(4, 2, batch_first=True)
            self.out = nn.Linear(4, 5)

        def forward(self, t):
            h = self.emb(t)
            return self.out(self.att(h, h, h)[0].mean(1))

    with torch.random.fork_rng():  # the module's own initialisation, the caller's RNG kept
        torch.manual_seed(0)
        m = Att().eval()
    toks = torch.randint(0, 5, (64, 3), generator=gen(0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = estimate_llc(m, (toks, toks[:, 0]), loss="cross_entropy", method="single",
                           step_size=1e-4, draws=20, chains=2, device="cpu")
    assert np.isfinite(est.llc) and torch.backends.mha.get_fastpath_enabled()


# ------------------------------------------------------------------ other estimators


def test_wbic_relation_and_multitemp_regular():
    """WBIC = nL_n(w*) + n·mean ΔL = nL_n(w*) + λ̂ log n; the multi-temperature slope of a
    regular d = 3 model is d/2 within 4 of its own standard errors + the 2 % bias target."""
    m, data, hess = least_squares_linear(seed=21)
    w = wbic(m, data, step_size=1e-3, draws=300, device="cpu", seed=1)
    assert w.value - w.nll_at_wstar == pytest.approx(w.estimate.llc * math.log(1000),
                                                     rel=1e-9)
    assert w.std_error == pytest.approx(w.estimate.mc_error * math.log(1000))
    assert w.estimate.method == "single"
    mt = estimate_llc_multitemp(m, data, chains=2, draws=1500, device="cpu", seed=2)
    assert len(mt.betas) == 5 and mt.per_beta_llc.shape == (5,)
    assert mt.std_error > 0 and mt.passed
    assert mt.config.step_jitter == DEFAULT_STEP_JITTER and "step_jitter" in mt.config.auto
    target = exact_sgld_mean(hess, 1000 / math.log(1000), 1.0, 0.0)
    assert abs(mt.llc - target) < Z * mt.std_error + 0.04 * target, (mt.llc, mt.std_error)
    with pytest.raises(ValueError, match="two distinct"):
        estimate_llc_multitemp(m, data, betas=[0.1], device="cpu")


def test_a_failed_multitemp_estimate_has_no_error_bar_and_says_it_failed():
    """A loss that is NaN everywhere: the slope is NaN, and so is its standard error (it had
    read 0.36, the unit-weight fit's 1/√Sxx, a number from the grid alone: outside fuzz), and
    ``passed`` is False."""
    m, data, _ = least_squares_linear(n=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)
        mt = estimate_llc_multitemp(m, data, loss=lambda o, t: ((o - t) ** 2).sum(-1) * math.nan,
                                    draws=60, chains=2, burn_in=10, device="cpu")
    assert math.isnan(mt.llc) and math.isnan(mt.std_error) and not mt.passed


def test_plot_scan_shows_the_scan_the_fit_and_the_interval():
    """The scan plot draws every temperature, the fitted law and the estimate with its
    interval; an estimate without a sampled scan is refused with a reason."""
    import matplotlib

    matplotlib.use("Agg")
    m, data, _ = least_squares_linear(n=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)
        est = estimate_llc(m, data, draws=100, morse_bott=False, device="cpu")
        single = estimate_llc(m, data, step_size=1e-3, draws=50, method="single",
                              device="cpu")
    fig = plot_scan(est, lam=1.0)
    ax = fig.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert any(lab.startswith("estimate") and "95 % CI" in lab for lab in labels)
    assert any(lab == est.temperatures.fit.describe() for lab in labels)
    points = [c for c in ax.containers if hasattr(c, "lines")]
    assert len(points[0].lines[0].get_xdata()) == len(est.temperatures.nbeta)
    with pytest.raises(ValueError, match="no sampled temperature scan"):
        plot_scan(single)


def test_plot_trace_agg():
    import matplotlib

    matplotlib.use("Agg")
    m, data, _ = least_squares_linear(n=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)
        est = estimate_llc(m, data, step_size=1e-3, draws=50, device="cpu")
    fig = plot_trace(est)
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) >= est.config.chains


# ------------------------------------------------------------------ slow sweeps


@pytest.mark.slow
@pytest.mark.parametrize("sampler", ["sgld", "mala", "rmsprop_sgld", "sghmc"])
def test_fully_automatic_regular_model(sampler):
    """No tuning at all (draws adaptive), the default method. The model is linear in its
    parameters, so by default λ = d/2 exactly (the Morse–Bott rule, not sampled); the sampled
    scan (``morse_bott=False``) must satisfy |λ̂ − target| < 4 MC s.e. + 4 % (twice SGLD's 2 %
    bias target; MALA is exact), target = the fit of the exact per-temperature curve
    Σ ½ t h_i/(t h_i + γ)."""
    m, data, hess = least_squares_linear(seed=31)
    exact = estimate_llc(m, data, sampler=sampler, device="cpu", seed=0)
    assert (exact.llc, exact.temperatures.fit.model) == (1.5, "morse_bott"), exact.summary()
    est = estimate_llc(m, data, sampler=sampler, device="cpu", seed=0, morse_bott=False)
    target = fitted_exact(lambda t: exact_sgld_mean(hess, t, 1.0, 0.0), 1000 / math.log(1000),
                          est.temperatures.fit.model)
    assert abs(est.llc - target) < Z * est.mc_error + 0.04 * target, est.summary()


@pytest.mark.slow
@pytest.mark.xfail(strict=False, reason=(
    "measured −18 % at the true point and +23 % at the empirical minimiser (S = 3): an O(β) "
    "reference-point term, nβ(L_n(0) − min L_n) ≈ 2.5, outside this tolerance; see "
    "estimator.py 'Where to evaluate' and benchmarks/accuracy.py. At estimator revision 5 "
    "(2026-12-01) the mean is 5.19 (−13.5 %; 5.14, 5.12, 4.77, 5.54, 5.38), inside the "
    "tolerance 0.88 by 0.07: it passes, but by too little to call the term gone"))
def test_rrr_average_over_datasets():
    """RRR (8, 3, 4) (λ = 6, m = 1) at its true rank-0 point, 5 data sets: the mean over data
    sets has spread √(λ/(2 log n))/√5 = 0.29; assert within 3 of those (plus MC)."""
    n, vals, mc = 1000, [], []
    for s in range(5):
        x = torch.randn(n, 8, generator=gen(100 + s))
        y = torch.randn(n, 4, generator=gen(200 + s))
        model = RRR(8, 3, 4)
        with torch.no_grad():
            for p in model.parameters():
                p.zero_()
        est = estimate_llc(model, (x, y), device="cpu", seed=s)
        vals.append(est.llc)
        mc.append(est.mc_error)
    spread = math.sqrt(6.0 / (2 * math.log(n))) / math.sqrt(5)
    mc_of_mean = math.sqrt(sum(e * e for e in mc)) / 5
    assert abs(np.mean(vals) - 6.0) < 3 * math.hypot(spread, mc_of_mean), (vals, mc)


def test_a_saddle_at_w_star_is_noted_and_a_minimum_is_not():
    """The LLC is defined at a minimum: at the tanh network's true parameter 0 with noisy data
    L_n has a saddle (the noise's linear part is fitted by a·b ≠ 0), and the estimate says so
    (a note: the estimate is still what the chains measured); at the empirical minimiser of a
    regular linear model, and on noise-free data, there is no such note."""
    from slttheory.models import FAMILIES

    def notes(fam, q, noise=None):
        extra = {} if noise is None else {"noise": noise}
        p = FAMILIES[fam].build({**q, **extra}, n=300,
                                generator=torch.Generator().manual_seed(0), device="cpu",
                                **({"refine_steps": 0} if noise == 0.0 else {}))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e = estimate_llc(p.model, p.data, loss=p.loss, draws=200, device="cpu",
                             method="single")
        return [x for x in e.diagnostics.notes if "not a local minimum" in x]

    saddle = notes("tanh_network", {"h": 2})
    assert len(saddle) == 1 and "saddle" in saddle[0]
    assert notes("regular", {"d": 3}) == []
    assert notes("tanh_network", {"h": 2}, noise=0.0) == []  # noise-free: L_n(w*) = 0


def test_a_set_up_and_its_cached_geometry_are_freed_with_it():
    """The float64 geometry at w* is cached on the set-up, not in a process-wide cache that
    would keep every estimate's model and data alive."""
    import gc
    import weakref

    from slttheory.sampling.problem import _setup

    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(20, 2, generator=g), torch.randn(20, 1, generator=g)
    s = _setup(nn.Linear(2, 1), (x, y), "gaussian", None, torch.device("cpu"))
    first = s.spectrum()
    assert s.spectrum() is first and s.residual() == s.residual()  # computed once
    probes = weakref.ref(s.spectrum.__self__)
    del s
    gc.collect()
    assert probes() is None


def test_directions_the_localisation_holds_are_named_on_noisy_data():
    """A regular linear regression (λ = 2) whose inputs span scales 1, 0.1 and 0.01 at n = 500:
    two directions are curved less than γ/nβ, so the localisation, not the data, holds them
    and the estimate reads about 1.3 with every diagnostic passing. On noisy data their
    deficit is not removed (an empirical minimiser's small curvatures may be fitted noise);
    the estimate now says so, and how much λ could be higher, which covers the shortfall."""
    n = 500
    x = torch.randn(n, 3, generator=gen(0), dtype=torch.float64) * torch.tensor(
        [1.0, 0.1, 0.01], dtype=torch.float64)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]], dtype=torch.float64) + 0.5
    y = y + 0.3 * torch.randn(n, 1, generator=gen(1), dtype=torch.float64)
    X = torch.cat([x, torch.ones(n, 1, dtype=torch.float64)], 1)
    sol = torch.linalg.lstsq(X, y).solution
    m = nn.Linear(3, 1).double()
    with torch.no_grad():
        m.weight.copy_(sol[:3].T)
        m.bias.copy_(sol[3])
    est = estimate_llc(m, (x, y), morse_bott=False, draws=1500, seed=0, device="cpu")
    note = [t for t in est.diagnostics.notes if "the localisation, not the data" in t]
    assert len(note) == 1 and note[0].startswith("2 direction(s)"), est.diagnostics.notes
    up_to = float(note[0].split("λ is up to ")[1].split()[0])
    assert est.diagnostics.unresolved == pytest.approx(up_to, rel=0.01)  # the same, as data
    assert est.llc < 2.0 <= est.ci[1] + up_to  # the shortfall is within what the note says


def _rank2_rrr(second: float):
    """RRR (4, 4, 3) at a noise-free rank-2 teacher with singular values (1, second), w* the
    teacher's balanced factorisation (third unit zero): λ = 7 (Aoyagi & Watanabe 2005)."""
    g = gen(1000)
    q1, _ = torch.linalg.qr(torch.randn(4, 4, generator=g, dtype=torch.float64))
    q2, _ = torch.linalg.qr(torch.randn(4, 4, generator=g, dtype=torch.float64))
    c0 = q1[:, :2] @ torch.diag(torch.tensor([1.0, second], dtype=torch.float64)) @ q2[:, :2].T
    x = torch.randn(1000, 4, generator=g, dtype=torch.float64)
    model = nn.Sequential(nn.Linear(4, 3, bias=False), nn.Linear(3, 4, bias=False)).double()
    u, s, vh = torch.linalg.svd(c0)
    with torch.no_grad():
        model[0].weight.copy_((u[:, :3] * s[:3].sqrt()).T)
        model[1].weight.copy_(vh[:3].T * s[:3].sqrt())
    return model, (x, x @ c0)


def test_a_deficit_that_reverses_the_scan_fails_the_estimate():
    """At singular values (1, 0.02) the Gaussian deficit of the five weak directions turned the
    raw scan's rise into a fall that the slow law extrapolated to 5.03 [3.75, 6.45] for λ = 7,
    every check passing (an outside probe): it now fails, saying why. At (1, 0.3) nothing is
    reversed and the interval covers 7."""
    with pytest.warns(LLCWarning, match="reverses the scan's trend"):
        est = estimate_llc(*_rank2_rrr(0.02), device="cpu", seed=0)
    assert not est.diagnostics.passed
    est = estimate_llc(*_rank2_rrr(0.3), device="cpu", seed=0)
    assert est.diagnostics.passed and est.ci[0] <= 7.0 <= est.ci[1]


def test_the_exact_shortcut_away_from_a_minimum_fails_its_diagnostics():
    """A model linear in its parameters gets λ = k/2 without sampling; at weights far from
    the least-squares fit (gradient norm 44) that is no LLC, yet it passed with the interval
    [d/2, d/2] and only a note (an outside probe): the failed minimum check is a warning."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1000, 2, generator=g)
    y = x @ torch.randn(2, 1, generator=g) + 0.3 * torch.randn(1000, 1, generator=g)
    m = nn.Linear(2, 1)
    with torch.no_grad():
        m.weight.fill_(30.0)
        m.bias.fill_(1.0)
    with pytest.warns(LLCWarning, match="not a local minimum"):
        est = estimate_llc(m, (x, y), device="cpu")
    assert est.exact and est.llc == 1.5 and not est.diagnostics.passed
    m.weight.data, m.bias.data = (torch.linalg.lstsq(torch.cat([x, torch.ones(1000, 1)], 1), y)
                                  .solution.T.split([2, 1], dim=1))
    m.bias.data = m.bias.data.flatten()
    assert estimate_llc(m, (x, y), device="cpu").diagnostics.passed  # at the fit


def test_a_constant_loss_trace_says_why_not_run_longer():
    """Chains that never move (SGLD at ε = 1e-30) or a loss that ignores the parameters gave
    a constant trace, reported as 'too few draws … run longer' (an outside probe)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 2, generator=g)
    y = x[:, :1] + 0.3 * torch.randn(200, 1, generator=g)
    with pytest.warns(LLCWarning, match="loss trace is constant"):
        est = estimate_llc(nn.Linear(2, 1), (x, y), method="single", sampler="sgld",
                           step_size=1e-30, chains=4, draws=300, device="cpu")
    assert not est.diagnostics.passed
    assert not any("run longer" in w for w in est.diagnostics.warnings)


def test_the_scan_keeps_every_temperatures_trace():
    """``temperatures.loss_traces`` holds the draws of every temperature (the estimate's own
    ``loss_trace`` first), and each temperature's raw λ̂(t) is t times its mean excess loss."""
    m, data, _ = least_squares_linear(n=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)
        est = estimate_llc(m, data, draws=200, morse_bott=False, device="cpu", seed=1)
    scan = est.temperatures
    assert scan.loss_traces.shape == (len(scan.nbeta), est.config.chains, est.config.draws)
    assert np.array_equal(scan.loss_traces[0], est.loss_trace)
    raw = scan.nbeta * (scan.loss_traces.mean(axis=(1, 2)) - est.init_loss)
    assert np.allclose(raw, scan.llc, rtol=1e-6, atol=1e-9), (raw, scan.llc)
