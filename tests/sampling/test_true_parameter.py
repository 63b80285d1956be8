"""``estimate_llc(true_parameter=True)``: the symmetrised estimand at a true parameter.

At the data-generating w0 with Gaussian noise the averaged excess loss is ½(K_n + K̃_n), the
training excess loss and the loss against the teacher's outputs; Watanabe's equations of
state put their means at λ − βν and λ + βν. The oracles below are exact per data set: the
conjugate linear model (Gaussian posterior) and the crossing u·v by one-dimensional quadrature
of the posterior of g = uv. Tolerances are the estimate's own Monte-Carlo error times 4.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special as sp
import torch

from slttheory.models import FAMILIES
from slttheory.sampling import estimate_llc, estimate_llc_batched
from slttheory.sampling.fluctuation import influence


def _linear_problem(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=g, dtype=torch.float64)
    model = torch.nn.Linear(6, 1, dtype=torch.float64)
    with torch.no_grad():
        model.weight.copy_(torch.linspace(-1.5, 1.5, 6).unsqueeze(0))
        model.bias.fill_(0.3)
        y = model(x) + torch.randn(n, 1, generator=g, dtype=torch.float64)
    return model, x, y


def test_linear_model_symmetrised_is_d_over_2_and_plain_reads_the_data_term():
    """Linear regression (d = 7), γ = 0, β = 1 (t = n): the posterior is N(ŵ, (tS)⁻¹), S = XᵀX/n,
    b = Xᵀε/n (X with the bias column). Plain at w0: d/2 − (t/2)bᵀS⁻¹b; symmetrised: d/2
    exactly, for every data set."""
    n = 400
    model, x, y = _linear_problem(n, 3)
    X = torch.cat([x, torch.ones(n, 1, dtype=x.dtype)], 1).numpy()
    eps = (y - model(x)).detach().numpy().ravel()
    S, b = X.T @ X / n, X.T @ eps / n
    data_term = 0.5 * n * float(b @ np.linalg.solve(S, b))  # t/2·bᵀS⁻¹b with t = n
    kw = dict(beta=1.0, localization=0.0, method="single", draws=1500, seed=0, device="cpu")
    sym = estimate_llc(model, (x, y), true_parameter=True, **kw)
    plain = estimate_llc(model, (x, y), **kw)
    assert sym.config.true_parameter and not plain.config.true_parameter
    assert data_term > 8 * max(sym.mc_error, plain.mc_error)  # the test can see the term
    assert abs(sym.llc - 3.5) < 4 * sym.mc_error
    assert abs(plain.llc - (3.5 - data_term)) < 4 * plain.mc_error
    assert abs(sym.single - sym.llc) < 1e-12  # method="single": one temperature


def _uv_oracle(x: np.ndarray, y: np.ndarray, t: float) -> float:
    """t·E[½(K_n + K̃_n)] for f = uv·x, (u, v) ~ N(0, I) (the localisation prior at γ = 1),
    posterior ∝ exp(−t(½a g² − b g)) over g = uv, whose prior density is K₀(|g|)/π."""
    n = x.size
    a, b = float(x @ x) / n, float(x @ y) / n
    g = np.concatenate([-np.logspace(1.2, -12, 4000), np.logspace(-12, 1.2, 4000)])
    e = -t * (0.5 * a * g**2 - b * g)
    p = np.gradient(g) * sp.k0(np.abs(g)) / np.pi * np.exp(e - e.max())
    p /= p.sum()
    return t * float(p @ (0.5 * a * g**2 - 0.5 * b * g))


def test_crossing_symmetrised_single_temperature_matches_quadrature():
    """The normal crossing u·v (λ = 1/2, m = 2) at its truth 0 with noise: the sampler's
    symmetrised single-temperature value against the exact posterior expectation."""
    prob = FAMILIES["normal_crossing"].build({"powers": (1, 1), "noise": 1.0}, n=1000,
                                             generator=torch.Generator().manual_seed(0),
                                             refine_steps=0, dtype=torch.float64)
    x, y = prob.data
    est = estimate_llc(prob.model, prob.data, method="single", true_parameter=True, seed=0,
                       device="cpu")
    exact = _uv_oracle(x.numpy().ravel(), y.numpy().ravel(), est.config.nbeta)
    assert abs(est.llc - exact) < 4 * est.mc_error, (est.llc, exact, est.mc_error)


def test_noise_free_data_are_unchanged():
    """Without noise the teacher's outputs are the targets: nothing to symmetrise, the
    estimate is the same number."""
    model, x, _ = _linear_problem(200, 1)
    y = model(x).detach()
    kw = dict(method="single", draws=400, seed=2, device="cpu")
    a = estimate_llc(model, (x, y), true_parameter=True, **kw)
    b = estimate_llc(model, (x, y), **kw)
    assert a.llc == b.llc and a.std_error == b.std_error


def test_batched_equals_single_calls():
    model, x, y = _linear_problem(300, 5)
    kw = dict(method="single", draws=300, true_parameter=True, device="cpu")
    one = estimate_llc(model, (x, y), seed=4, **kw)
    (many,) = estimate_llc_batched([(model, (x, y))], seed=[4], **kw)
    assert abs(one.llc - many.llc) < 1e-9 and many.config.true_parameter


@pytest.mark.parametrize("loss,err", [
    ("cross_entropy", "loss='gaussian' or a callable"),
    (lambda o, y: (o - y).abs().reshape(len(o), -1).sum(-1), "quadratic in the residual"),
])
def test_loss_that_is_not_gaussian_is_refused(loss, err):
    model, x, y = _linear_problem(50, 0)
    with pytest.raises(ValueError, match=err):
        estimate_llc(model, (x, y), loss=loss, true_parameter=True, draws=10, device="cpu")


def test_a_quadratic_callable_is_accepted_and_flag_must_be_bool():
    model, x, y = _linear_problem(50, 0)
    mse = lambda o, y: ((o - y) ** 2).reshape(len(o), -1).mean(-1)  # noqa: E731 (no ½)
    est = estimate_llc(model, (x, y), loss=mse, true_parameter=True, method="single",
                       draws=50, device="cpu")
    assert est.config.true_parameter and math.isfinite(est.llc)
    with pytest.raises(TypeError, match="true_parameter"):
        estimate_llc(model, (x, y), true_parameter="yes", draws=10, device="cpu")


def test_influence_with_an_observable_is_the_derivative_of_the_reweighted_estimate():
    """g_i = ∂/∂ω_i of t·E^ω[Ō^ω] with the posterior reweighted by exp(−(t/n)Σ(ω_i−1)δℓ_i):
    on fixed draws the reweighted estimate is a self-normalised importance average, whose
    derivative at ω = 1 the formula gives (up to its (M−1)/M covariance)."""
    gen = torch.Generator().manual_seed(0)
    m, n, t = 4000, 5, 3.0
    w = torch.randn(m, 2, generator=gen, dtype=torch.float64)
    c1 = torch.randn(2, n, generator=gen, dtype=torch.float64)
    c2 = torch.randn(2, n, generator=gen, dtype=torch.float64)

    def dl(p):
        return (p**2) @ c1.abs()

    def ob(p):
        return (p**2) @ c1.abs() + p @ c2

    def reweighted(omega):
        lw = -(t / n) * (dl(w) @ (omega - 1.0))
        wt = torch.exp(lw - lw.max())
        wt = wt / wt.sum()
        return t * float(wt @ (ob(w) @ omega / n))

    g = influence(w, t, dl, n, observable=ob)
    h = 1e-6
    for i in range(n):
        e = torch.zeros(n, dtype=torch.float64)
        e[i] = h
        fd = (reweighted(1.0 + e) - reweighted(1.0 - e)) / (2 * h)
        assert abs(g[i] - fd) < 1e-3 * max(1.0, abs(fd)), (i, g[i], fd)
    plain = influence(w, t, dl, n)
    same = influence(w, t, dl, n, observable=dl)
    assert np.allclose(plain, same, rtol=0, atol=1e-12)


def test_a_gaussian_nll_with_its_normaliser_is_accepted_and_changes_nothing():
    """A constant (the Gaussian NLL's ½log 2πσ²) cancels in every excess loss: the same
    estimate as the plain ½‖r‖², not a refusal."""
    model, x, y = _linear_problem(200, 2)
    half = lambda o, y: 0.5 * ((o - y) ** 2).reshape(len(o), -1).sum(-1)  # noqa: E731
    nll = lambda o, y: half(o, y) + 0.5 * math.log(2 * math.pi)  # noqa: E731
    kw = dict(method="single", draws=200, seed=1, device="cpu", true_parameter=True)
    a = estimate_llc(model, (x, y), loss=nll, **kw)
    b = estimate_llc(model, (x, y), loss=half, **kw)
    assert abs(a.llc - b.llc) < 1e-9 * max(1.0, abs(b.llc))


def test_float32_outputs_of_large_magnitude_are_accepted():
    """The quadratic check's probe residuals survive out + r in float32 at outputs ~1e4."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(100, 2, generator=g)
    model = torch.nn.Linear(2, 1)
    with torch.no_grad():
        model.bias.fill_(2e4)
        y = model(x) + torch.randn(100, 1, generator=g)
    est = estimate_llc(model, (x, y), true_parameter=True, method="single", draws=30,
                       device="cpu")
    assert est.config.true_parameter


def test_no_stored_draws_is_flagged_not_a_silent_nan():
    model, x, y = _linear_problem(100, 0)
    with pytest.warns(Warning, match="symmetrisation has no finite stored draws"):
        est = estimate_llc(model, (x, y), true_parameter=True, method="single", draws=5,
                           burn_in=3, step_size=1e-3, device="cpu")
    assert math.isnan(est.llc) and est.diagnostics.divergent


def _tanh_teacher(switch_off: bool):
    """A tanh network 2–3–1 with biases at a generic teacher w0 (d = 13, no continuous
    symmetry, Gauss–Newton matrix positive definite), noisy targets σ = 0.5, n = 300; with
    ``switch_off`` its first unit's outgoing weight is 0 (its incoming weights then flat: a
    singular point, Gauss–Newton rank 10 at w0 and 13 nearby)."""
    g = torch.Generator().manual_seed(1234)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(),
                                torch.nn.Linear(3, 1)).double()
    with torch.no_grad():
        for m, scale in ((model[0], 1.0), (model[2], 1.0)):
            m.weight.copy_(torch.randn(m.weight.shape, generator=g, dtype=torch.float64) * scale)
            m.bias.copy_(torch.randn(m.bias.shape, generator=g, dtype=torch.float64) * 0.5)
        if switch_off:
            model[2].weight[:, 0] = 0.0
        x = torch.randn(300, 2, generator=g, dtype=torch.float64)
        y = model(x) + 0.5 * torch.randn(300, 1, generator=g, dtype=torch.float64)
    return model, x, y


def test_a_regular_true_parameter_of_noisy_data_is_d_over_2_exactly():
    """At a true parameter with positive-definite Gauss–Newton matrix the population loss has
    a nondegenerate minimum, so λ = d/2 (Morse lemma; the caller states w* = w0). The scan at
    t₀ had read 0.85·d/2 with an interval excluding d/2 and every diagnostic passing on a
    regular 2–5–2 network (an outside probe): revision 14 applies the rule as to noise-free
    data. A teacher with a unit switched off is no Morse–Bott point and is sampled."""
    model, x, y = _tanh_teacher(False)
    e = estimate_llc(model, (x, y), device="cpu", seed=0, true_parameter=True)
    assert (e.llc, e.ci, e.std_error) == (6.5, (6.5, 6.5), 0.0)
    assert any("population loss (a true parameter" in s for s in e.diagnostics.notes)
    plain = estimate_llc(model, (x, y), device="cpu", seed=0, draws=200, burn_in=100)
    assert not any("Morse–Bott lemma" in s for s in plain.diagnostics.notes)  # noisy, no flag
    model, x, y = _tanh_teacher(True)
    e = estimate_llc(model, (x, y), device="cpu", seed=0, true_parameter=True, draws=400,
                     burn_in=200)
    assert not any("Morse–Bott lemma" in s for s in e.diagnostics.notes)
    assert e.llc < 6.5 and e.ci[0] < e.ci[1]
