"""Exact tests of the Langevin kernels on Gaussian potentials.

Tolerances are z = 4 Monte-Carlo standard errors (two-sided p ≈ 6e-5), each stated where used.
"""

import math
import warnings

import numpy as np
import pytest
import torch

from slttheory.sampling import LocalizedPotential, mala, mcse, rmsprop_sgld, sghmc, sgld
from slttheory.sampling.kernels import mh_log_acceptance

Z = 4.0


def quadratic(a: float, dtype=torch.float64) -> LocalizedPotential:
    """U(w) = ½ a ‖w‖² as nβ·ΔL with ΔL = ½‖w‖², nβ = a, no localization."""
    return LocalizedPotential(lambda w, g: (0.5 * (w * w).sum(-1), w), nbeta=a,
                              localization=0.0, center=torch.zeros(1, dtype=dtype))


def run(alg, chains, steps, burn, seed=0):
    gen = torch.Generator().manual_seed(seed)
    state = alg.init(torch.zeros(chains, 1, dtype=torch.float64), gen)
    out = torch.empty(chains, steps, dtype=torch.float64)
    accs = []
    for t in range(burn + steps):
        state, info = alg.step(gen, state)
        if t >= burn:
            out[:, t - burn] = state.position[:, 0]
            if info.acceptance_prob is not None:
                accs.append(info.acceptance_prob.mean())
    return out.numpy(), (float(torch.stack(accs).mean()) if accs else None)


def test_sgld_stationary_variance_is_the_discretised_one():
    """Euler chain w' = (1 - εa/2) w + √ε ξ is AR(1) with φ = 1 - εa/2 and stationary variance
    ε / (1 - φ²) = 1 / (a (1 - εa/4)); with εa = 0.4 that is 1.111/a, 11 % above 1/a."""
    a, eps = 2.0, 0.2
    x, _ = run(sgld(quadratic(a), eps), chains=200, steps=2000, burn=100)
    exact = 1.0 / (a * (1 - eps * a / 4))
    var_hat = float((x**2).mean())
    se = mcse(x**2)
    assert abs(var_hat - exact) < Z * se
    assert abs(var_hat - 1.0 / a) > 10 * se  # the test can tell the bias apart
    assert abs(float(x.mean())) < Z * mcse(x)



@pytest.mark.parametrize("gamma", [0.5, 3.0])
def test_localised_gradient_is_the_gradient_of_the_localised_energy(gamma):
    """∇U of LocalizedPotential is the autograd gradient of its energy
    U = nβΔL + γ/2‖w − w*‖², with per-chain nβ and an off-origin w*, and U is that formula.
    Exact identities: the only tolerance is float64 round-off (1e-12 relative). Catches a γ
    factor or sign in the force that the energy lacks (γ/2 in the force passed every sampling
    test: at γ = 50 it moves λ̂ of test_localised_minibatch_exact by 3.5 MC errors, inside
    that test's 4), and γ in the energy's quadratic term instead of γ/2 (MALA's MH test uses
    the energy). γ = 1 is a separate branch of the force, covered by the doctest."""
    center = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64)
    c = torch.tensor([1.0, 2.0, -0.5], dtype=torch.float64)

    def loss_and_grad(w, g):  # ΔL = ½ Σ c_j w_j² + sin(w_1), off-quadratic on purpose
        return 0.5 * (c * w * w).sum(-1) + torch.sin(w[:, 0]), c * w + torch.nn.functional.pad(
            torch.cos(w[:, :1]), (0, 2))

    nb = torch.tensor([2.0, 5.0, 0.7, 11.0], dtype=torch.float64)
    pot = LocalizedPotential(loss_and_grad, nbeta=nb, localization=gamma, center=center)
    w = torch.randn(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    w.requires_grad_(True)
    dl, grad = pot(w)
    u = pot.energy(w, dl)
    (auto,) = torch.autograd.grad(u.sum(), w)
    want_u = nb * dl + 0.5 * gamma * ((w - center) ** 2).sum(-1)
    assert torch.allclose(u, want_u, rtol=1e-12, atol=0)
    assert torch.allclose(grad, auto, rtol=1e-12, atol=1e-12)


def test_sgld_stationary_variance_with_localisation_is_the_discretised_one():
    """SGLD on nβΔL = ½ a w² with localisation γ about w* = 0 is the AR(1) of the previous test
    with curvature a + γ: Var = 1/((a + γ)(1 − ε(a + γ)/4)). With γ = 3a the localisation
    carries 3/4 of the force, so γ/2 in the force (Var 1/((a + γ/2)(…)), +58 %) or its sign
    flipped (divergent) lies ≫ 4 MC standard errors (z = 4, two-sided p ≈ 6e-5) away."""
    a, gamma, eps = 0.5, 1.5, 0.2
    pot = LocalizedPotential(lambda w, g: (0.5 * (w * w).sum(-1), w), nbeta=a,
                             localization=gamma, center=torch.zeros(1, dtype=torch.float64))
    x, _ = run(sgld(pot, eps), chains=200, steps=2000, burn=100)
    k = a + gamma
    exact = 1.0 / (k * (1 - eps * k / 4))
    var_hat = float((x**2).mean())
    se = mcse(x**2)
    assert abs(var_hat - exact) < Z * se
    half = 1.0 / ((a + gamma / 2) * (1 - eps * (a + gamma / 2) / 4))
    assert abs(var_hat - half) > 10 * se  # the test can tell γ/2 apart

def test_mala_is_exact_where_sgld_is_biased():
    """MALA's invariant law is N(0, 1/a) exactly even at εa = 1 (SGLD's variance: 4/3 · 1/a)."""
    a, eps = 2.0, 0.5
    x, acc = run(mala(quadratic(a), eps), chains=200, steps=2000, burn=100)
    var_hat = float((x**2).mean())
    assert abs(var_hat - 1.0 / a) < Z * mcse(x**2)
    assert abs(float(x.mean())) < Z * mcse(x)
    assert 0.5 < acc < 1.0


@pytest.mark.parametrize("kernel", [mala, sgld])
def test_acceptance_probability_by_hand(kernel):
    """MALA's acceptance probability, and SGLD's reported one (the MH probability MALA would
    give the same move), by hand: 1-D U = a w²/2 for 64 chains at seeded positions, ε = 0.8
    (εa = 1.6, so many moves have acceptance < 1); q(w'|w) = N(w − εaw/2, ε). Exact in
    float64 (rel 1e-10). MALA's single case before (w = 0.7, ε = 0.3) accepted with
    probability exactly 1, where a sign error in the cross term still passed; a sign error in
    SGLD's reverse proposal passed every other test (an outside mutation test)."""
    a, eps, k, seed = 2.0, 0.8, 64, 123
    pot = LocalizedPotential(lambda v, g: (0.5 * (v * v).sum(-1), v), nbeta=a,
                             localization=0.0, center=torch.zeros(1, dtype=torch.float64))
    alg = kernel(pot, eps)
    w = torch.randn(k, 1, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    xi = torch.randn((k, 1), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    new, info = alg.step(torch.Generator().manual_seed(seed), alg.init(w))
    wp = w - eps / 2 * a * w + math.sqrt(eps) * xi
    if kernel is sgld:  # every move is taken
        assert torch.allclose(new.position, wp, rtol=1e-12, atol=0)

    def log_q(to, frm):
        return -((to - frm + eps / 2 * a * frm) ** 2) / (2 * eps)

    log_alpha = (a * w**2 / 2 - a * wp**2 / 2) + log_q(w, wp) - log_q(wp, w)
    expected = torch.exp(torch.clamp(log_alpha[:, 0], max=0.0))
    assert int((expected < 0.99).sum()) > 10  # the test sees the correction
    assert torch.allclose(info.acceptance_prob, expected, rtol=1e-10, atol=0)


def test_mala_rejects_nan_energy():
    """safe_energy_diff: a NaN potential at the proposal is a rejection, the state is kept."""
    pot = LocalizedPotential(lambda w, g: (torch.where(w[:, 0] > 0, torch.nan, 0.0),
                                           torch.zeros_like(w)),
                             nbeta=1.0, localization=0.0, center=torch.zeros(1))
    alg = mala(pot, 1.0)
    state = alg.init(torch.zeros(64, 1))
    new, info = alg.step(torch.Generator().manual_seed(0), state)
    up = (new.position[:, 0] != 0)
    assert torch.isfinite(new.loss).all()
    assert bool((info.acceptance_prob[~info.is_accepted] < 1).all())
    assert bool((new.position[up, 0] < 0).all())  # only moves to w < 0 were accepted
    assert int(up.sum()) > 0


def test_mh_log_acceptance_symmetric_zero_for_flat_potential():
    """With U ≡ 0 the Langevin proposal is a symmetric random walk: log a = 0."""
    xi = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    z = torch.zeros(5, 3)
    la = mh_log_acceptance(torch.zeros(5), z, torch.zeros(5), z, xi, torch.full((1, 1), 0.1))
    assert torch.allclose(la, torch.zeros(5), atol=1e-6)


def test_sgld_same_generator_same_draws_and_noise_scaling():
    """optax-style exact test: with the same generator state, the SGLD move on a flat potential
    is √ε times the generator's normal draw (one (K, d) draw per step)."""
    flat = LocalizedPotential(lambda w, g: (torch.zeros(w.shape[0]), torch.zeros_like(w)),
                              nbeta=1.0, localization=0.0, center=torch.zeros(3))
    eps = 0.04
    alg = sgld(flat, eps)
    state = alg.init(torch.zeros(4, 3))
    new, _ = alg.step(torch.Generator().manual_seed(7), state)
    xi = torch.randn(4, 3, generator=torch.Generator().manual_seed(7))
    assert torch.allclose(new.position, math.sqrt(eps) * xi, rtol=1e-6, atol=0)



def test_rmsprop_sgld_moves_are_the_preconditioned_euler_steps():
    """optax-style exact test of RMSProp-SGLD: with V₀ = ∇U(w₀)², G = 1/(√V + ϵ) and the
    generator's normal draws ξ, two moves are w₁ = w₀ − (ε/2)G₀∇U(w₀) + √(εG₀) ξ₁ and, with
    V₁ = αV₀ + (1 − α)∇U(w₁)², w₂ = w₁ − (ε/2)G₁∇U(w₁) + √(εG₁) ξ₂. Exact identities
    (tolerance: float64 round-off, 1e-12). Catches noise of scale √ε instead of √(εG) (the
    preconditioner left out of the noise: a stationary variance off by 1/G, which the
    centred-mean test below cannot see), and any slip in the drift or the V update."""
    a, eps, alpha, rms_eps = 2.0, 0.05, 0.9, 0.1
    alg = rmsprop_sgld(quadratic(a), eps, alpha=alpha, eps=rms_eps)
    w0 = torch.randn(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    gen = torch.Generator().manual_seed(9)
    s1, _ = alg.step(gen, alg.init(w0))
    s2, _ = alg.step(gen, s1)
    ref = torch.Generator().manual_seed(9)
    xi1 = torch.randn(4, 3, dtype=torch.float64, generator=ref)
    xi2 = torch.randn(4, 3, dtype=torch.float64, generator=ref)
    v0 = (a * w0) ** 2
    g0 = 1.0 / (v0.sqrt() + rms_eps)
    w1 = w0 - 0.5 * eps * g0 * (a * w0) + (eps * g0).sqrt() * xi1
    v1 = alpha * v0 + (1 - alpha) * (a * w1) ** 2
    g1 = 1.0 / (v1.sqrt() + rms_eps)
    w2 = w1 - 0.5 * eps * g1 * (a * w1) + (eps * g1).sqrt() * xi2
    assert torch.allclose(s1.position, w1, rtol=1e-12, atol=1e-12)
    assert torch.allclose(s2.position, w2, rtol=1e-12, atol=1e-12)

def test_rmsprop_sgld_gaussian_is_stable_and_centred():
    """RMSProp-SGLD on U = ½ a w² stays finite and centred (mean 0 within MC error: the
    target is symmetric and the preconditioner is even in w)."""
    x, acc = run(rmsprop_sgld(quadratic(2.0), 0.05, alpha=0.99), chains=100, steps=1000,
                 burn=200)
    assert acc is None
    assert np.isfinite(x).all()
    assert abs(float(x.mean())) < Z * mcse(x)


def _sghmc_variance(a: float, eps: float, friction: float) -> float:
    """Stationary Var(w) of SGHMC on U = ½ a w², from the discrete Lyapunov equation of its
    linear recursion (v, w) -> (A (v, w) + b ξ): independent of the kernel's closed form."""
    from scipy.linalg import solve_discrete_lyapunov

    h = 0.5 * eps * a
    A = np.array([[1 - friction, -h], [1 - friction, 1 - h]])
    b = np.full((2, 1), math.sqrt(friction * eps))
    return float(solve_discrete_lyapunov(A, b @ b.T)[1, 1])


@pytest.mark.parametrize("friction", [1.0, 0.5, 0.1, 0.01])
def test_sghmc_variance_closed_form_is_the_lyapunov_solution(friction):
    """The docstring's 1/(a(1 - εa/(4(2 - α)))) is the exact stationary variance."""
    for a, eps in ((2.0, 0.2), (1.0, 0.01), (0.5, 1.0)):
        closed = 1.0 / (a * (1 - eps * a / (4 * (2 - friction))))
        assert _sghmc_variance(a, eps, friction) == pytest.approx(closed, rel=1e-10)


def test_sghmc_stationary_variance_and_bias_diagnostic():
    """SGHMC with α = 0.2 at εa = 0.4: Var(w) = 1/(a(1 - 0.4/7.2)) = 1.0588/a, between the
    exact 1/a and SGLD's 1.111/a, each told apart (z = 4 MC errors; the chains' own
    autocorrelation is in ``mcse``). Its reported ``grad_sq`` is ‖∇U‖²/(2 - α), so ε/8 times
    its mean over λ = 1/2 is the relative bias of E[U], exactly on a Gaussian: with
    c = εa/(4(2 - α)), (ε/8) a² Var / (2 - α) / ½ = c·a·Var = c/(1 - c) = a·Var - 1."""
    a, eps, alpha = 2.0, 0.2, 0.2
    alg = sghmc(quadratic(a), eps, friction=alpha)
    gen = torch.Generator().manual_seed(0)
    state = alg.init(torch.zeros(400, 1, dtype=torch.float64), gen)
    assert torch.equal(state.momentum, torch.zeros(400, 1, dtype=torch.float64))
    xs, gsq = [], []
    for t in range(3000):
        state, info = alg.step(gen, state)
        if t >= 500:
            xs.append(state.position[:, 0])
            gsq.append(info.grad_sq)
    x = torch.stack(xs, 1).numpy()
    exact = _sghmc_variance(a, eps, alpha)
    var_hat, se = float((x**2).mean()), mcse(x**2)
    assert abs(var_hat - exact) < Z * se
    assert abs(var_hat - 1.0 / a) > 10 * se and abs(var_hat - 1.0 / (a * 0.9)) > 10 * se
    assert abs(float(x.mean())) < Z * mcse(x)
    bias = eps / 8 * float(torch.stack(gsq).mean()) / 0.5
    assert abs(bias - (exact * a - 1)) < Z * (bias / var_hat) * se  # gsq = a² w² / (2 - α)


def test_sghmc_with_friction_one_is_sgld():
    pot = quadratic(2.0)
    a, b = sghmc(pot, 0.1, friction=1.0), sgld(pot, 0.1)
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    s1 = a.init(torch.ones(3, 1, dtype=torch.float64), g1)
    s2 = b.init(torch.ones(3, 1, dtype=torch.float64), g2)
    for _ in range(20):
        s1, _ = a.step(g1, s1)
        s2, _ = b.step(g2, s2)
    assert torch.allclose(s1.position, s2.position, rtol=1e-12, atol=1e-14)


def test_kernels_reject_bad_arguments():
    pot = quadratic(1.0)
    with pytest.raises(ValueError, match="step_size"):
        sgld(pot, -1.0).init(torch.zeros(1, 1))
    with pytest.raises(ValueError, match="alpha"):
        rmsprop_sgld(pot, 0.1, alpha=1.0)
    mb = LocalizedPotential(lambda w, g: (w.sum(-1), w), 1.0, 0.0, torch.zeros(1),
                            full_batch=False)
    with pytest.raises(ValueError, match="full-batch"):
        mala(mb, 0.1)
    for bad in (0.0, 1.5, -0.1, True, "0.1", math.nan):
        with pytest.raises(ValueError, match="friction"):
            sghmc(pot, 0.1, friction=bad)


# ------------------------------------------------------------------ fused (traced) steps


def _linear_setup(n=200, batch=None, dtype=torch.float64):
    from slttheory.sampling import problem

    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 2, generator=g, dtype=dtype)
    y = x @ torch.tensor([[1.0], [-2.0]], dtype=dtype) + torch.randn(n, 1, generator=g,
                                                                      dtype=dtype)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    model.to(dtype)
    s = problem._setup(model, (x, y), "gaussian", None, torch.device("cpu"))
    nb = torch.full((4,), 50.0, dtype=dtype)
    return s, problem._potential(s, nb, 1.0, batch or n)


@pytest.mark.parametrize("sampler,batch,jitter", [("sgld", None, 0.0), ("sgld", 50, 0.0),
                                                  ("mala", None, 0.0), ("mala", None, 1.5),
                                                  ("rmsprop_sgld", None, 0.0),
                                                  ("sghmc", None, 0.0), ("sghmc", 50, 0.0)])
def test_fused_kernel_is_the_eager_kernel(sampler, batch, jitter):
    """The traced step (make_fx graph, run by TorchScript) replays the kernel's update exactly:
    same draws from the generator, same positions, losses and diagnostics as the
    blackjax-style kernel (MALA's jittered step size is computed inside the graph). Every
    state and diagnostic is compared after the last step: the fused kernel refills its draw
    buffers in place, and nothing it returns may share them."""
    from slttheory.sampling import SAMPLERS
    from slttheory.sampling.kernels import fused_kernel

    s, pot = _linear_setup(batch=batch)
    kw = {"jitter": jitter} if jitter else {}
    fused, plain = fused_kernel(sampler, pot, 1e-3, **kw), SAMPLERS[sampler](pot, 1e-3, **kw)
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    a = fused.init(s.center.expand(4, -1).clone(), g1)
    b = plain.init(s.center.expand(4, -1).clone(), g2)
    history = []
    for t in range(30):
        a, ia = fused.step(g1, a, t % 10 == 0)
        b, ib = plain.step(g2, b, t % 10 == 0)
        history.append((a, ia, b, ib))
    for t, (a, ia, b, ib) in enumerate(history):
        assert torch.allclose(a.position, b.position, rtol=1e-10, atol=1e-12)
        assert torch.allclose(a.loss, b.loss, rtol=1e-10, atol=1e-12)
        assert torch.allclose(a.grad, b.grad, rtol=1e-10, atol=1e-12)
        if t % 10 == 0:
            assert torch.allclose(ia.grad_sq, ib.grad_sq, rtol=1e-10, atol=1e-12)
            if ib.acceptance_prob is not None:
                assert torch.allclose(ia.acceptance_prob, ib.acceptance_prob, rtol=1e-9)
    assert pot._graphs and all(gm is not None for gm in pot._graphs.values())  # traced


@pytest.mark.parametrize("batch", [None, 50])
def test_deferred_sgld_diagnostics_are_the_immediate_ones(batch):
    """SGLD's diagnostics deferred to one vectorised evaluation per block (``diagnose="defer"``,
    then ``flush``) equal those computed step by step, bit for bit, and leave the chains as
    they are (the estimator defers them; docs in ``SamplingAlgorithm``)."""
    from slttheory.sampling.kernels import fused_kernel

    s, pot = _linear_setup(batch=batch)
    now, later = fused_kernel("sgld", pot, 1e-3), fused_kernel("sgld", pot, 1e-3)
    assert later.flush is not None
    assert fused_kernel("rmsprop_sgld", pot, 1e-3).flush is None  # its diagnostics are cheap
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    a = now.init(s.center.expand(4, -1).clone(), g1)
    b = later.init(s.center.expand(4, -1).clone(), g2)
    infos = []
    for t in range(30):
        a, ia = now.step(g1, a, t % 10 == 0)
        b, ib = later.step(g2, b, "defer" if t % 10 == 0 else False)
        if t % 10 == 0:
            infos.append(ia)
            assert ib.grad_sq is None and ib.acceptance_prob is None
    gsq, prob = later.flush()
    assert gsq.shape == (3, 4) and torch.equal(gsq, torch.stack([i.grad_sq for i in infos]))
    if batch is None:  # full batch: the MH acceptance MALA would have had
        assert torch.equal(prob, torch.stack([i.acceptance_prob for i in infos]))
    else:
        assert prob is None
    assert torch.equal(a.position, b.position)
    with pytest.raises(RuntimeError, match="no deferred diagnostics"):
        later.flush()


def _count_loops(monkeypatch):
    """``kernels._step_loop`` patched to record each loop it builds (``built``) and every call
    of one (``used``): a loop is used beyond its checked first run only if it passed."""
    from slttheory.sampling import kernels

    built, used = [], []
    real = kernels._step_loop

    def counted(graph):
        loop = real(graph)
        built.append(loop)
        return None if loop is None else (lambda *a: used.append(1) or loop(*a))

    monkeypatch.setattr(kernels, "_step_loop", counted)
    return built, used


@pytest.mark.parametrize("sampler,jitter", [("sgld", 0.0), ("mala", 0.0), ("mala", 1.5)])
def test_a_block_of_steps_is_the_steps_one_by_one_bit_for_bit(sampler, jitter):
    """``block(generator, state, k)`` runs ``k`` undiagnosed steps in one TorchScript loop: the
    same draws in the same order from the same generator, the same graph, so the same chains
    bit for bit as ``k`` calls of ``step(generator, state, False)`` — positions, ΔL of every
    step, ∇U, and MALA's cached U and non-finite count. Before the first step has traced the
    graph there is no loop (``None``), and a minibatch potential has none."""
    from slttheory.sampling.kernels import fused_kernel

    s, pot = _linear_setup()
    kw = {"jitter": jitter} if jitter else {}
    one, many = fused_kernel(sampler, pot, 1e-3, **kw), fused_kernel(sampler, pot, 1e-3, **kw)
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    a = one.init(s.center.expand(4, -1).clone(), g1)
    b = many.init(s.center.expand(4, -1).clone(), g2)
    assert many.block(g2, b, 5) is None  # nothing traced yet: the caller steps one by one
    a, _ = one.step(g1, a, True)
    b, _ = many.step(g2, b, True)
    for k in (9, 1, 4):
        losses = []
        for _ in range(k):
            a, _ = one.step(g1, a, False)
            losses.append(a.loss)
        done = many.block(g2, b, k)
        assert done is not None
        b, block_losses = done
        assert block_losses.shape == (4, k) and torch.equal(block_losses, torch.stack(losses, 1))
        for x, y in zip(a, b, strict=True):
            assert (x is None) == (y is None) and (x is None or torch.equal(x, y))
    assert torch.equal(g1.get_state(), g2.get_state())  # the same number of draws
    _, pot50 = _linear_setup(batch=50)
    mb = fused_kernel(sampler if sampler == "sgld" else "sgld", pot50, 1e-3)
    st = mb.init(s.center.expand(4, -1).clone(), g1)
    st, _ = mb.step(g1, st, True)
    assert mb.block(g1, st, 3) is None  # minibatches are drawn in Python: no loop


def test_a_loop_that_differs_from_the_steps_is_not_used(monkeypatch):
    """A loop's first run is compared with the same steps made one by one from the same
    generator state; a loop that draws in another order (here MALA's uniforms before its
    normals) is dropped: that call returns the steps made one by one, with the generator
    where they left it, and later calls return ``None`` (the caller steps one by one)."""
    from slttheory.sampling import kernels

    def swapped(fn):
        def loop(pos: torch.Tensor, dl: torch.Tensor, grad: torch.Tensor, u: torch.Tensor,
                 nf: torch.Tensor, xi: torch.Tensor, unif: torch.Tensor, eps: torch.Tensor,
                 sqrt_eps: torch.Tensor, c0: torch.Tensor, c1: torch.Tensor,
                 gens: list[torch.Generator], rows: int, k: int
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor,
                            torch.Tensor, torch.Tensor]:
            losses: list[torch.Tensor] = []
            for _ in range(k):
                unif.uniform_(generator=gens[0])
                xi.normal_(generator=gens[0])
                pos, dl, grad, u, nf, _a, _l = fn(pos, dl, grad, u, nf, xi, unif, eps,
                                                  sqrt_eps, c0, c1)
                losses.append(dl)
            return pos, dl, grad, u, nf, torch.stack(losses, 1)
        return torch.jit.script(loop)

    monkeypatch.setitem(kernels._LOOPS, "mala", swapped)
    s, pot = _linear_setup()
    alg, ref = kernels.fused_kernel("mala", pot, 1e-3), kernels.fused_kernel("mala", pot, 1e-3)
    g, h = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    st = alg.init(s.center.expand(4, -1).clone(), g)
    rt = ref.init(s.center.expand(4, -1).clone(), h)
    st, _ = alg.step(g, st, True)
    rt, _ = ref.step(h, rt, True)
    st, losses = alg.block(g, st, 3)
    for _ in range(3):
        rt, _ = ref.step(h, rt, False)
    assert torch.equal(st.position, rt.position) and torch.equal(losses[:, -1], rt.loss)
    assert torch.equal(g.get_state(), h.get_state())
    assert alg.block(g, st, 3) is None


def test_batched_estimates_with_step_loops_equal_those_stepped_one_by_one(monkeypatch):
    """In a batched run each point draws from its own generator; the loop draws each point's
    rows from it in turn, so batched estimates are the same bit for bit with and without
    loops (MALA with jitter, several points)."""
    from slttheory.models import FAMILIES
    from slttheory.sampling import estimate_llc_batched, kernels

    probs = [FAMILIES["normal_crossing"].build(
        {"powers": (1, 2)}, n=200, generator=torch.Generator().manual_seed(s), device="cpu",
        dtype=torch.float64) for s in (1, 2, 3)]
    built, used = _count_loops(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        looped = estimate_llc_batched(probs, seed=[1, 2, 3], device="cpu", draws=200)
        assert built and all(x is not None for x in built) and len(used) > 10 * len(built)
        monkeypatch.setattr(kernels, "_step_loop", lambda g: None)
        stepped = estimate_llc_batched(probs, seed=[1, 2, 3], device="cpu", draws=200)
    for a, b in zip(looped, stepped, strict=True):
        assert a.llc == b.llc and a.std_error == b.std_error


def test_scripted_graph_is_the_fx_graph_bit_for_bit():
    """TorchScript runs the traced step's aten operations without the Python interpreter; it is
    used only where its outputs equal the FX graph's exactly, so the draws do not depend on
    the executor. ``None`` and tuple arguments are flattened around it; an argument it cannot
    take (here an int) leaves the FX graph in charge."""
    from torch.fx.experimental.proxy_tensor import make_fx

    from slttheory.sampling.kernels import _scripted

    def f(x, none, pair, y):
        a, b = pair
        return (torch.tanh(x) * a + b).sum(-1), torch.where(y > 0, x, -x), (x > 0)

    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)
    pair = (torch.randn(3, generator=g), torch.randn(5, 1, generator=g))
    args = (x, None, pair, y)
    gm = make_fx(f)(*args)
    run = _scripted(gm, args)
    assert run is not None
    x2 = torch.randn(5, 3, generator=g)  # new values, same shapes: still exact
    for a in (args, (x2, None, pair, y)):
        for r, e in zip(run(*a), gm(*a), strict=True):
            assert r.dtype == e.dtype and torch.equal(r, e)
    assert _scripted(gm, (x, 3, pair, y)) is None


def test_tall_batched_products_are_computed_transposed():
    """A batched product whose output is at least ``TALL_PRODUCT_RATIO`` times taller than
    wide (a vmapped linear layer on n data) is rewritten as the transpose of the transposed
    product, with the same values; a product of other shape is left alone."""
    from torch.fx.experimental.proxy_tensor import make_fx

    from slttheory.sampling.kernels import TALL_PRODUCT_RATIO, _orient_products

    def f(x, w, v):
        h = torch.bmm(x, w)  # (4, 200, 3): tall
        return torch.bmm(w.transpose(1, 2), v), (h * h).sum((1, 2))  # (4, 3, 6): not tall

    g = torch.Generator().manual_seed(0)
    args = (torch.randn(4, 200, 5, generator=g), torch.randn(4, 5, 3, generator=g),
            torch.randn(4, 5, 6, generator=g))
    assert 200 >= TALL_PRODUCT_RATIO * 3 and 3 < TALL_PRODUCT_RATIO * 6
    gm = make_fx(f, tracing_mode="fake")(*args)
    ref = gm(*args)
    _orient_products(gm)
    shapes = [tuple(n.meta["val"].shape) for n in gm.graph.nodes
              if n.op == "call_function" and n.target is torch.ops.aten.bmm.default]
    assert sorted(shapes) == [(4, 3, 6), (4, 3, 200)]
    for r, e in zip(gm(*args), ref, strict=True):
        assert torch.allclose(r, e, rtol=1e-5, atol=1e-5)


def test_shared_constant_operands_are_copied_out_once():
    """An operand of a batched product that is a constant repeated along the batch (the
    shared data under ``vmap``, possibly through views) becomes one contiguous constant; a
    batched operand, a constant that is not repeated, and a repeated one above
    ``SHARED_OPERAND_MAX_ELEMENTS`` stay as they are. The products' values do not change
    beyond rounding."""
    from torch.fx.experimental.proxy_tensor import make_fx

    from slttheory.sampling import kernels
    from slttheory.sampling.kernels import _materialised_shared_operands, _simplify

    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 5, generator=g)  # the data: a constant of the traced step
    own = torch.randn(4, 5, 200, generator=g)  # a constant with its own value per batch

    def f(w, dh):
        xt = x.t().unsqueeze(0).expand(4, 5, 200)
        return torch.bmm(w, xt), torch.bmm(xt, dh), torch.bmm(w, own)

    args = (torch.randn(4, 3, 5, generator=g), torch.randn(4, 200, 3, generator=g))

    def operands(gm):
        out = []
        for n in gm.graph.nodes:
            if n.op == "call_function" and n.target is torch.ops.aten.bmm.default:
                out.append([a.op == "get_attr" and a.target.startswith("_shared")
                            for a in n.args])
        return out

    gm = _simplify(make_fx(f, tracing_mode="fake", _allow_non_fake_inputs=True)(*args))
    ref = gm(*args)
    copied = _materialised_shared_operands(gm)
    assert operands(copied) == [[False, True], [True, False], [False, False]]
    assert sum(isinstance(v, torch.Tensor) and v.is_contiguous() and v.shape == (4, 5, 200)
               for k, v in vars(copied).items() if k.startswith("_shared")) == 2
    for r, e in zip(copied(*args), ref, strict=True):
        assert torch.allclose(r, e, rtol=1e-5, atol=1e-5)
    small = kernels.SHARED_OPERAND_MAX_ELEMENTS
    try:
        kernels.SHARED_OPERAND_MAX_ELEMENTS = 4 * 5 * 200 - 1
        gm = _simplify(make_fx(f, tracing_mode="fake", _allow_non_fake_inputs=True)(*args))
        assert operands(_materialised_shared_operands(gm)) == [[False, False]] * 3
    finally:
        kernels.SHARED_OPERAND_MAX_ELEMENTS = small


def test_uniform_constant_factors_become_numbers():
    """A product with a constant of equal entries becomes a product with that number, and a
    product of two numbers in a row one product; a constant of unequal entries stays."""
    from torch.fx.experimental.proxy_tensor import make_fx

    from slttheory.sampling.kernels import _simplify, _uniform_factors_as_scalars

    g = torch.Generator().manual_seed(0)
    same = torch.full((3, 4), 0.25, dtype=torch.float64)
    varied = torch.randn(3, 4, generator=g, dtype=torch.float64)

    def f(x):
        return same * (x * 2.0), varied * x, same * x

    x = torch.randn(3, 4, generator=g, dtype=torch.float64)
    gm = _simplify(make_fx(f, tracing_mode="fake", _allow_non_fake_inputs=True)(x))
    ref = gm(x)
    _uniform_factors_as_scalars(gm)
    muls = [n for n in gm.graph.nodes if n.op == "call_function"
            and n.target in (torch.ops.aten.mul.Tensor, torch.ops.aten.mul.Scalar)]
    numbers = sorted(n.args[1] for n in muls if isinstance(n.args[1], float))
    assert numbers == [0.25, 0.5] and len(muls) == 3  # 0.5 = 2.0 * 0.25, folded
    for r, e in zip(gm(x), ref, strict=True):
        assert torch.allclose(r, e, rtol=1e-15, atol=0)


def test_a_rewrite_that_breaks_the_graph_falls_back_to_the_plain_trace():
    """``_trace`` applies the given rewrites; when the rewritten graph cannot run or computes
    something else, it traces again without them (not the eager step), and the result still
    equals the function's."""
    from slttheory.sampling.kernels import STEP_REWRITES, _trace

    calls = []

    def broken(gm):
        calls.append(gm)

        def fail(*args):
            raise RuntimeError("a layout a later view cannot take")

        gm.forward = fail
        return gm

    def f(w, x):
        return ((w @ x.T).sin().mean(-1),)

    g = torch.Generator().manual_seed(0)
    args = (torch.randn(3, 4, generator=g, dtype=torch.float64),
            torch.randn(50, 4, generator=g, dtype=torch.float64))
    def wrong(gm):  # runs, but computes something else
        calls.append(gm)
        for n in gm.graph.nodes:
            if n.op == "output":
                with gm.graph.inserting_before(n):
                    doubled = gm.graph.call_function(torch.mul, (n.args[0][0], 2.0))
                n.args = ((doubled,),)
        gm.recompile()
        return gm

    for rewrites in ((broken,), (wrong,), (), STEP_REWRITES):
        step = _trace(f, args, rewrites)
        assert step is not None
        assert torch.allclose(step(*args)[0], f(*args)[0], rtol=1e-12, atol=1e-12)
    assert len(calls) == 2  # each bad rewrite was tried once, then left out


def test_means_in_a_step_graph_become_scaled_sums():
    """Every floating-point mean (over some dimensions, kept or not, or over all) is
    rewritten as a sum times 1/N with the same values."""
    from torch.fx.experimental.proxy_tensor import make_fx

    from slttheory.sampling.kernels import _means_as_sums

    def f(x):
        return (x.mean(1), x.mean((0, 2), keepdim=True), x.mean(), (x * x).mean(-1).mean(0),
                x[:, :1].mean(1))

    x = torch.randn(3, 5, 7, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    gm = make_fx(f, tracing_mode="fake")(x)
    ref = gm(x)
    _means_as_sums(gm)
    targets = {n.target for n in gm.graph.nodes if n.op == "call_function"}
    assert torch.ops.aten.mean.dim not in targets
    assert torch.ops.aten.mean.default not in targets
    for r, e in zip(gm(x), ref, strict=True):
        assert r.shape == e.shape and torch.allclose(r, e, rtol=1e-14, atol=1e-15)


def test_fused_kernel_keeps_the_eager_step_when_tracing_cannot_work():
    """Python control flow on a tensor value cannot be traced: the step stays eager (and
    correct) instead of baking in one branch."""
    from slttheory.sampling.kernels import fused_kernel

    def loss_and_grad(w, _batch):
        if bool(w.sum() > 1e9):  # data-dependent branch
            return w.sum(-1), torch.ones_like(w)
        return 0.5 * (w * w).sum(-1), w

    pot = LocalizedPotential(loss_and_grad, 2.0, 0.0, torch.zeros(2, dtype=torch.float64))
    alg = fused_kernel("mala", pot, 0.3)
    gen = torch.Generator().manual_seed(0)
    state = alg.init(torch.zeros(400, 2, dtype=torch.float64), gen)
    xs = []
    for t in range(600):
        state, _ = alg.step(gen, state, t % 10 == 0)
        if t >= 100:
            xs.append(state.position[:, 0].clone())
    assert list(pot._graphs.values()) == [None]  # tried, refused, remembered
    x = torch.stack(xs, 1).numpy()
    assert abs(float((x**2).mean()) - 0.5) < Z * mcse(x**2)  # N(0, 1/2) per coordinate


def _anisotropic(theta=0.6, a=(400.0, 1.0)):
    c, s_ = math.cos(theta), math.sin(theta)
    rot = torch.tensor([[c, -s_], [s_, c]], dtype=torch.float64)
    prec = rot @ torch.diag(torch.tensor(a, dtype=torch.float64)) @ rot.T
    pot = LocalizedPotential(lambda w, g: (0.5 * ((w @ prec) * w).sum(-1), w @ prec),
                             nbeta=1.0, localization=0.0,
                             center=torch.zeros(2, dtype=torch.float64))
    return pot, prec


@pytest.mark.parametrize("kind", ["dense", "diagonal", "wrong"])
def test_preconditioned_mala_targets_the_same_law(kind):
    """MALA in z (w = L z) with a constant L samples π(w) exactly whatever L is: the
    covariance of w is prec⁻¹ within 4 MC standard errors, for the curvature's own L
    (dense), its diagonal, and a deliberately wrong L. Each entry's error is its MCSE."""
    from slttheory.sampling.kernels import PreconditionedPotential
    from slttheory.sampling.precondition import curvature_factor

    base, prec = _anisotropic()
    if kind == "wrong":  # rotation 0.5 instead of 0.6, scales 1/15, 1/1.5 instead of 1/20, 1
        c, s_ = math.cos(0.5), math.sin(0.5)
        factor = torch.tensor([[c / 15, -s_ / 1.5], [s_ / 15, c / 1.5]], dtype=torch.float64)
    else:
        h = prec if kind == "dense" else prec.diagonal()
        factor = curvature_factor(h, 1.0, 0.0, kind).factor
    pot = PreconditionedPotential(base, factor)
    alg = mala(pot, 0.5 if kind != "wrong" else 0.3)
    gen = torch.Generator().manual_seed(1)
    state = alg.init(torch.zeros(200, 2, dtype=torch.float64), gen)
    ws = []
    for t in range(2300):
        state, _ = alg.step(gen, state)
        if t >= 300 and t % 2 == 0:
            ws.append(pot.to_position(state.position))
    w = torch.stack(ws, 1).numpy()  # (chains, draws, 2)
    cov = np.linalg.inv(prec.numpy())
    for i, j in ((0, 0), (1, 1), (0, 1)):
        prod = w[:, :, i] * w[:, :, j]
        assert abs(prod.mean() - cov[i, j]) < Z * mcse(prod), (kind, i, j)


def test_dense_curvature_factor_whitens_the_hessian():
    """Lᵀ H L = I for H = nβ∇²L + γI with ∇²L positive definite (no clipping, no cap)."""
    from slttheory.sampling.precondition import curvature_factor

    _, prec = _anisotropic()
    c = curvature_factor(prec, 3.0, 0.5, "dense")
    h = 3.0 * prec + 0.5 * torch.eye(2, dtype=torch.float64)
    assert torch.allclose(c.factor.T @ h @ c.factor, torch.eye(2, dtype=torch.float64),
                          atol=1e-10)


def test_estimates_with_step_loops_equal_those_stepped_one_by_one(monkeypatch, random_rrr):
    """The sampling loop runs the undiagnosed steps between diagnostic steps as one
    ``block`` call, cut where an orbit move or an exchange round follows a step: every
    estimate is then what stepping one by one gives, bit for bit — the default scan with
    replica exchange (a swap after every 10th step), single-temperature SGLD with deferred
    diagnostics, and orbit moves every 3 steps (blocks cut between diagnostic steps)."""
    from slttheory.models import FAMILIES
    from slttheory.sampling import estimate_llc, kernels
    from slttheory.sampling.symmetry import matrix_chain_orbit

    noisy = FAMILIES["normal_crossing"].build(
        {"powers": (1, 2), "noise": 1.0}, n=200, generator=torch.Generator().manual_seed(1),
        device="cpu", dtype=torch.float64)
    rrr, rrr_data = random_rrr(3, 2, 2, 200, torch.Generator().manual_seed(5))
    runs = [
        (noisy.model, noisy.data, dict(loss=noisy.loss, draws=200, exchange=True)),
        (noisy.model, noisy.data, dict(loss=noisy.loss, method="single", sampler="sgld",
                                       step_size=1e-3, draws=300, burn_in=0)),
        (rrr, rrr_data, dict(method="single", draws=300, burn_in=100,
                                         orbit=matrix_chain_orbit(rrr, ["A", "B"], every=3))),
    ]
    def estimates():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [estimate_llc(m, d, seed=1, device="cpu", **kw) for m, d, kw in runs]

    built, used = _count_loops(monkeypatch)
    looped = estimates()
    assert len(built) >= len(runs) and all(x is not None for x in built)
    assert len(used) > 10 * len(built)  # checked equal on their first run, then used
    monkeypatch.setattr(kernels, "_step_loop", lambda graph: None)
    stepped = estimates()
    for a, b in zip(looped, stepped, strict=True):
        assert a.llc == b.llc and a.std_error == b.std_error
        assert a.config.draws == b.config.draws and a.config.exchange == b.config.exchange


def test_kernels_with_different_jitter_on_one_potential_share_no_traced_graph():
    """The jitter is a constant of a traced MALA step: a second kernel on the same potential
    with another jitter must trace its own graph (it reused the first one's, found by an
    audit), so it steps as a fresh potential's kernel does."""
    from slttheory.sampling.kernels import LocalizedPotential, fused_kernel

    def grad(w, g):
        return 0.5 * (w * w).sum(-1), w

    def step(pot, jitter):
        k = fused_kernel("mala", pot, 0.5, jitter=jitter)
        s, _ = k.step(torch.Generator().manual_seed(0), k.init(torch.ones(3, 1,
                                                                        dtype=torch.float64)))
        return s.position

    shared = LocalizedPotential(grad, 1.0, 0.0, torch.zeros(1, dtype=torch.float64))
    step(shared, 0.1)
    fresh = LocalizedPotential(grad, 1.0, 0.0, torch.zeros(1, dtype=torch.float64))
    assert torch.equal(step(shared, 2.0), step(fresh, 2.0))
