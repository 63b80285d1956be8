"""Every family builds at tiny sizes: reproducible, right shapes, low loss at the true point."""

import math

import pytest
import torch

from slttheory.losses import resolve_loss
from slttheory.models import FAMILIES, modular_addition_data, parity_data
from slttheory.models.families import line_data, sine_data

# tiny sizes; "out" is the output dimension, "noise" the target noise level
TINY = {
    "regular": dict(params={"d": 3}, n=400, out=1),
    "reduced_rank_regression": dict(params={"m": 3, "n": 2, "h": 2, "r": 1}, n=400, out=2),
    "deep_linear_network": dict(params={"widths": [2, 3, 3, 2], "r": 1}, n=400, out=2),
    "normal_crossing": dict(params={"powers": [1, 2]}, n=400, out=1),
    "tanh_network": dict(params={"h": 2}, n=400, out=1),
    "polynomial_regression": dict(params={"degree": 4, "interval": 0.5}, n=400, out=1),
    "low_rank_linear": dict(params={"d": 4, "r": 2}, n=400, out=4),
    "quadratic_network": dict(params={"d": 3, "k": 2, "p": 2}, n=400, out=2, centred=True),
    "quadratic_stage_two": dict(params={"d": 3, "k": 3, "k_eff": 2, "p": 2}, n=400, out=2,
                                centred=True),
    "relu_autoencoder": dict(params={"d": 6, "r": 2, "hidden": 16, "steps": 400}, n=200),
    "modular_addition": dict(params={"p": 5, "k": 12, "steps": 800}, n=None),
    "linear_regression_toy": dict(params={}, n=50, out=1),
    "tanh_sine_toy": dict(params={"steps": 300}, n=50),
    "parity_mlp": dict(params={"n_bits": 6, "k": 2, "width": 16, "steps": 300, "n_val": 64},
                       n=128),
}
NOISY = ["regular", "reduced_rank_regression", "deep_linear_network", "normal_crossing",
         "tanh_network", "polynomial_regression", "low_rank_linear", "quadratic_network",
         "quadratic_stage_two"]


def _build(name, seed=0, **kw):
    spec = TINY[name]
    return FAMILIES[name].build(spec["params"], n=spec["n"],
                                generator=torch.Generator().manual_seed(seed), **kw)


# Families of seed 001's regimes have their own tests (tests/models/test_regimes.py).
REGIME_FAMILIES = {"ntk", "lazy_regime", "lazy_regime_bounds", "modular_addition_generic"}


def test_tiny_table_covers_all_families():
    assert set(TINY) | REGIME_FAMILIES == set(FAMILIES)
    assert not set(TINY) & REGIME_FAMILIES


@pytest.mark.parametrize("name", sorted(TINY))
def test_builds_reproducibly_with_right_shapes(name):
    a, b = _build(name), _build(name)
    x, y = a.data
    out = a.model(x)
    assert out.shape[0] == x.shape[0] == y.shape[0]
    if TINY[name]["n"] is not None:
        assert x.shape[0] == TINY[name]["n"]
    assert out.reshape(len(out), -1).shape == y.reshape(len(y), -1).shape
    assert x.dtype == torch.float32 and out.dtype == torch.float32
    per_sample = resolve_loss(a.loss)(out, y)
    assert per_sample.shape == (x.shape[0],) and torch.isfinite(per_sample).all()
    # same generator state -> identical data and identical w*
    assert torch.equal(a.data[0], b.data[0]) and torch.equal(a.data[1], b.data[1])
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
    assert a.params == FAMILIES[name].validate(TINY[name]["params"])
    assert a.note and math.isfinite(a.extras["loss_at_true"])


@pytest.mark.parametrize("name", NOISY + ["relu_autoencoder", "parity_mlp", "modular_addition"])
def test_different_seeds_differ(name):
    a, b = _build(name, seed=0), _build(name, seed=1)
    differs = not torch.equal(a.data[1], b.data[1]) or not torch.equal(a.data[0], b.data[0])
    differs = differs or any(not torch.equal(u, v) for u, v in
                             zip(a.model.state_dict().values(), b.model.state_dict().values(),
                                 strict=True))
    assert differs


@pytest.mark.parametrize("name", NOISY)
def test_true_point_loss_is_noise_level(name):
    """At w*, ℓ_i = ½‖ε_i‖² (ε ~ N(0, I_k)): mean ½k, standard error √(k/(2n)); the centred
    loss has mean ½k(n−1)/n. Five standard errors."""
    spec = TINY[name]
    prob = _build(name)
    k, n = spec["out"], spec["n"]
    mean = 0.5 * k * ((n - 1) / n if spec.get("centred") else 1.0)
    assert abs(prob.extras["loss_at_true"] - mean) < 5 * math.sqrt(k / (2 * n))


@pytest.mark.parametrize("name", NOISY)
def test_true_point_beats_perturbations(name):
    """The population loss is minimal at w*: perturbing every parameter by 1 raises L_n by
    far more than its sampling noise (checked on 2 000 fresh samples)."""
    prob = FAMILIES[name].build(TINY[name]["params"], n=2000, generator=7)
    x, y = prob.data
    loss = resolve_loss(prob.loss)
    with torch.no_grad():
        base = float(loss(prob.model(x), y).mean())
        for p in prob.model.parameters():
            p.add_(1.0)
        moved = float(loss(prob.model(x), y).mean())
    assert moved > base + 0.01


def test_noiseless_toys_are_exact():
    prob = _build("linear_regression_toy")
    assert prob.extras["loss_at_true"] < 1e-12  # float32 rounding of 3x + 2 only
    x, y = line_data(3)
    assert y.flatten().tolist() == [-1.0, 2.0, 5.0] and x.flatten().tolist() == [-1.0, 0.0, 1.0]
    x, y = sine_data(5)
    assert torch.allclose(y, torch.sin(3 * x) + 0.3 * x)


def test_trained_families_fit():
    ae = _build("relu_autoencoder")
    x = ae.data[0]
    initial = 0.5 * float(x.pow(2).sum(1).mean())   # loss of the zero map
    assert ae.extras["train_loss"] < 0.1 * initial and not ae.extras["diverged"]
    assert torch.equal(ae.data[0], ae.data[1])       # targets are the inputs
    sine = _build("tanh_sine_toy")
    y = sine.data[1]
    # better than the best constant predictor (½ var y); one neuron cannot fit sin(3x)
    assert sine.extras["train_loss"] < 0.5 * float(y.var(correction=0))
    par = _build("parity_mlp")
    assert par.extras["train_acc"] == 1.0 and par.val_data is not None
    mod = _build("modular_addition")
    assert mod.extras["train_acc"] == 1.0 and mod.extras["train_loss"] < 1e-3
    assert mod.data[0].shape == (10, 10) and mod.val_data[0].shape == (15, 10)  # 40% of 25


def test_float64_build():
    prob = FAMILIES["reduced_rank_regression"].build(TINY["reduced_rank_regression"]["params"],
                                                     n=20, generator=0, dtype=torch.float64)
    assert prob.data[0].dtype == torch.float64
    assert all(p.dtype == torch.float64 for p in prob.model.parameters())


def test_rrr_true_point_structure():
    prob = _build("reduced_rank_regression", refine_steps=0)  # the true point itself
    A, B = prob.model.A.detach(), prob.model.B.detach()
    assert torch.linalg.matrix_rank(B @ A).item() == 1
    assert torch.count_nonzero(A[1:]) == 0 and torch.count_nonzero(B[:, 1:]) == 0


def test_dln_true_product_rank():
    for r in (0, 1, 2):
        prob = FAMILIES["deep_linear_network"].build({"widths": [3, 4, 2, 3], "r": r}, n=5,
                                                     generator=0, refine_steps=0)
        prod = torch.eye(3)
        for W in prob.model.weights:
            prod = W.detach() @ prod
        assert torch.linalg.matrix_rank(prod).item() == r


@pytest.mark.parametrize("name, params, layers", [
    ("reduced_rank_regression", {"m": 4, "n": 3, "h": 3, "r": 2}, ("A", "B")),
    ("deep_linear_network", {"widths": [3, 4, 2, 3], "r": 2},
     ("weights.0", "weights.1", "weights.2")),
    ("low_rank_linear", {"d": 5, "r": 3}, ("W1", "W2")),
])
@pytest.mark.parametrize("seed", [0, 12])
def test_true_products_have_the_fixed_spectrum_and_are_balanced(name, params, layers, seed):
    """The true product's nonzero singular values are TRUE_SINGULAR_RANGE's geometric ladder
    (never near zero, whatever the draw), and consecutive layers are balanced."""
    from slttheory.models.families import _true_spectrum

    prob = FAMILIES[name].build(params, n=5, generator=seed, refine_steps=0)
    mods = dict(prob.model.named_parameters())
    Ws = [mods[k].detach().double() for k in layers]
    prod = Ws[0]
    for W in Ws[1:]:
        prod = W @ prod
    r = params["r"]
    s = torch.linalg.svdvals(prod)
    assert torch.allclose(s[:r], _true_spectrum(r), atol=1e-5)
    assert float(s[r:].abs().sum()) < 1e-5
    assert float(s[0]) == pytest.approx(1.0, abs=1e-5)
    assert float(s[r - 1]) == pytest.approx(0.5, abs=1e-5)
    for lo, hi in zip(Ws, Ws[1:], strict=False):
        assert torch.allclose(hi.T @ hi, lo @ lo.T, atol=1e-5)


def test_single_layer_dln_rank():
    prob = FAMILIES["deep_linear_network"].build({"widths": [3, 4], "r": 2}, n=5, generator=0,
                                                 refine_steps=0)
    assert torch.linalg.matrix_rank(prob.model.weights[0].detach()).item() == 2


@pytest.mark.parametrize("r", [0, 1, 2])
def test_single_layer_dln_is_regular_so_its_rank_gives_lambda(r):
    """One layer, y = W x: linear and injective, so λ = d/2 = rank/2 at every r. The rank map
    said "r < min(widths): a positive core term" and did not give λ (an outside audit)."""
    import sympy as sp

    from slttheory.geometry import generic_rank

    fam = FAMILIES["deep_linear_network"]
    q = fam.validate({"widths": [2, 3], "r": r})
    rp = fam.rank_problem(q)
    rank = generic_rank(rp.fn, rp.param_shapes, rp.inputs, degree=rp.degree).rank
    assert rp.gives_lambda and "regular" in rp.reason
    assert sp.Rational(rank, 2) == fam.closed_form(q).value == 3


def test_normal_crossing_population_loss():
    """K(w) = ½ Π w_j^{2k_j} (x ~ N(0, 1)): L_n(w) − L_n(0) ≈ ½ (w1 w2²)² E[x²]."""
    prob = FAMILIES["normal_crossing"].build({"powers": [1, 2], "noise": 0.0}, n=4000,
                                             generator=0)
    x, y = prob.data
    with torch.no_grad():
        prob.model.w.copy_(torch.tensor([0.5, 2.0]))
        value = float(resolve_loss(prob.loss)(prob.model(x), y).mean())
    assert value == pytest.approx(0.5 * (0.5 * 4.0) ** 2 * float(x.pow(2).mean()), rel=1e-5)
    # gradients at w* = 0 are finite even with a zero exponent
    prob = FAMILIES["normal_crossing"].build({"powers": [0, 2]}, n=10, generator=0)
    out = resolve_loss(prob.loss)(prob.model(prob.data[0]), prob.data[1]).mean()
    out.backward()
    assert torch.isfinite(prob.model.w.grad).all()


def test_data_generators():
    x, y = modular_addition_data(5)
    a, b = x[:, :5].argmax(1), x[:, 5:].argmax(1)
    assert torch.equal(y.argmax(1), (a + b) % 5) and x.sum(1).eq(2).all()
    x, y = parity_data(200, 8, 3, torch.Generator().manual_seed(0))
    assert set(x.unique().tolist()) == {-1.0, 1.0}
    assert torch.equal(y.flatten(), ((x[:, :3] > 0).sum(1) % 2).to(y.dtype))


def test_refine_moves_towards_empirical_minimiser():
    fam = FAMILIES["regular"]
    base = fam.build({"d": 3}, n=200, generator=5)
    ref = fam.build({"d": 3}, n=200, generator=5, refine_steps=300, refine_lr=0.01)
    x, y = ref.data
    ols = torch.linalg.lstsq(x.double(), y.double()).solution.flatten()
    assert torch.equal(base.data[0], x)  # same data
    assert ref.extras["loss_refined"] < ref.extras["loss_at_true"]
    assert torch.allclose(ref.model.w.detach().double(), ols, atol=1e-3)
    with pytest.raises(ValueError, match="refine_steps"):
        fam.build(n=10, generator=0, refine_steps=-1)


def test_default_build_is_the_empirical_minimiser_near_the_true_point():
    """refine_steps=None (default): L-BFGS to |∇L_n| ≤ 1e-7 (float64; the model stores float32)
    from w0 + N(0, 1e-6); for a regular model that is the least-squares fit."""
    fam = FAMILIES["regular"]
    ref = fam.build({"d": 3}, n=200, generator=5)
    true = fam.build({"d": 3}, n=200, generator=5, refine_steps=0)
    x, y = ref.data
    assert torch.equal(true.data[0], x) and torch.equal(true.data[1], y)
    ols = torch.linalg.lstsq(x.double(), y.double()).solution.flatten()
    assert torch.allclose(ref.model.w.detach().double(), ols, atol=1e-5)
    assert ref.extras["refined"] and ref.extras["refine_grad_norm"] < 1e-6
    assert ref.extras["loss_refined"] < ref.extras["loss_at_true"]
    assert "empirical minimiser" in ref.note and "refined" not in true.extras
    assert not torch.equal(true.model.w.detach(), ref.model.w.detach())


def test_default_refinement_leaves_rrr_saddle():
    """RRR at A = B = 0 is a saddle of L_n with zero gradient: the perturbation lets L-BFGS reach
    the rank-h fit of the noise, whose loss is lower by ½ Σ_{i≤h} s_i² / n (s_i: singular values
    of Xᵀ Y / √n ... here only checked to be a strict decrease with small gradient)."""
    prob = FAMILIES["reduced_rank_regression"].build({"m": 5, "n": 5, "h": 3, "r": 0}, n=500,
                                                     generator=1)
    e = prob.extras
    assert e["refined"] and e["refine_grad_norm"] < 1e-5
    assert e["loss_refined"] < e["loss_at_true"] - 1e-3
    x, y = prob.data
    c = (x.double().T @ y.double()) / len(x)  # OLS ≈ c for x ~ N(0, I): the rank-3 truncation
    u, s, vh = torch.linalg.svd(torch.linalg.solve(x.double().T @ x.double() / len(x), c))
    fit = (prob.model.B.detach().double() @ prob.model.A.detach().double()).T
    best = u[:, :3] @ torch.diag(s[:3]) @ vh[:3]
    assert torch.allclose(fit, best, atol=2e-3)


def test_refinement_that_runs_off_keeps_the_true_point():
    """tanh network on pure noise: the optimiser saturates units (|a| → ∞), so w* stays 0."""
    prob = FAMILIES["tanh_network"].build({"h": 2}, n=200, generator=1)
    assert prob.extras["refined"] is False and prob.extras["refine_distance"] > 3
    assert all(float(p.detach().abs().max()) == 0 for p in prob.model.parameters())
    assert "kept at the true point" in prob.note


def test_a_refinement_that_finds_no_descent_keeps_the_true_point_and_says_so():
    """w₁w₂² at 0 with noisy targets: at the perturbed start |∇L_n| ≈ 10⁻⁸ is already below
    L-BFGS's tolerance, and that start (a saddle, n·L_n 1.1 above the minimum) was reported
    as the empirical minimiser, refined=True (an outside audit). The family at (1, 1) still
    descends to its minimiser."""
    prob = FAMILIES["normal_crossing"].build({"powers": (1, 2)}, n=1000, generator=3)
    assert prob.extras["refined"] is False and torch.all(prob.model.w == 0)
    assert "need not be a minimum" in prob.note and "found no loss below" in prob.note
    prob = FAMILIES["normal_crossing"].build({"powers": (1, 1)}, n=1000, generator=3)
    assert prob.extras["refined"] is True
    assert prob.extras["loss_refined"] < prob.extras["loss_at_true"]


def test_trained_families_are_not_refined():
    prob = _build("tanh_sine_toy")
    assert "refined" not in prob.extras and "refine_grad_norm" not in prob.extras


def test_noise_free_data_keep_the_true_point():
    """Targets that are the model's own outputs at w0 make w0 a minimum (L_n = 0): the default
    build keeps it. It had moved the normal crossing (1, 2) from 0 to (0.0014, −0.0006), a
    saddle near the crossing, from its perturbed start (an outside audit)."""
    prob = FAMILIES["normal_crossing"].build({"powers": [1, 2], "noise": 0.0}, n=200,
                                             generator=0)
    assert torch.equal(prob.model.w.detach(), torch.zeros(2))
    assert prob.extras["refined"] is False and "noise-free" in prob.note
    noisy = FAMILIES["normal_crossing"].build({"powers": [1, 2], "noise": 1.0}, n=200,
                                              generator=0)
    assert "refined" in noisy.extras and "noise-free" not in noisy.note


def test_a_refinement_that_raises_the_loss_is_an_error():
    """Adam refinement at lr 1e3 took reduced-rank regression's loss from 0.99 to 1.7e10 and
    the problem's note still said 'refined towards the empirical minimiser' (an outside
    probe): a refinement that does not lower the loss is an error naming refine_lr."""
    fam = FAMILIES["reduced_rank_regression"]
    with pytest.raises(ValueError, match="refine_lr: 50 Adam steps at lr 1000 raised the loss"):
        fam.build({"r": 2}, n=200, generator=0, refine_steps=50, refine_lr=1e3)
    ok = fam.build({"r": 2}, n=200, generator=0, refine_steps=50, refine_lr=1e-3)
    assert ok.extras["loss_refined"] <= ok.extras["loss_at_true"]


def test_numpy_integers_are_integers_here_too():
    """The formulas and estimate_llc(seed=) took numpy integers; the families' parameters and
    generator refused them (an outside probe). They are read as Python ints."""
    import numpy as np

    fam = FAMILIES["reduced_rank_regression"]
    p = fam.build({"m": np.int64(3), "n": 3, "h": 2, "r": np.int32(1)}, n=50,
                  generator=np.int64(3))
    q = fam.build({"m": 3, "n": 3, "h": 2, "r": 1}, n=50, generator=3)
    assert type(p.params["m"]) is int and p.params == q.params
    assert torch.equal(p.data[1], q.data[1])
    assert FAMILIES["deep_linear_network"].validate(
        {"widths": [np.int64(2), 3, 2], "r": 1})["widths"] == (2, 3, 2)
    with pytest.raises(TypeError, match="must be an integer"):
        fam.validate({"m": np.float64(3.0)})
