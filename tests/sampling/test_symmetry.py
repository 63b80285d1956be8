"""Orbit moves along the GL symmetry of matrix products (slttheory.sampling.symmetry)."""

from __future__ import annotations

import pytest
import torch

from slttheory.models.linear import DeepLinearNetwork, ReducedRankRegression
from slttheory.sampling import LocalizedPotential, estimate_llc, mala, mcse
from slttheory.sampling.symmetry import OrbitMove, matrix_chain_orbit, orbit_step

CHAINS = [
    (ReducedRankRegression(3, 2, 2, dtype=torch.float64), ["A", "B"]),
    (DeepLinearNetwork((2, 3, 2, 4), dtype=torch.float64),
     ["weights.0", "weights.1", "weights.2"]),
]


def _product(model, names, w):
    params = dict(model.named_parameters())
    off, mats = 0, {}
    for k, p in params.items():
        mats[k] = w[off:off + p.numel()].reshape(p.shape)
        off += p.numel()
    out = mats[names[0]]
    for k in names[1:]:
        out = mats[k] @ out
    return out


@pytest.mark.parametrize("model,names", CHAINS)
def test_the_move_is_an_involution_with_the_stated_jacobian(model, names):
    """Exactness of the Metropolis–Hastings move rests on three facts, checked here: φ_X keeps
    the product (so the loss), φ_{−X} undoes φ_X, and log|det ∂φ_X/∂w| is what the move adds
    to its acceptance (autograd Jacobian of one chain)."""
    move = matrix_chain_orbit(model, names)
    gen = torch.Generator().manual_seed(0)
    d = sum(p.numel() for p in model.parameters())
    w = torch.randn(1, d, generator=gen, dtype=torch.float64)
    widths = [dict(model.named_parameters())[k].shape[0] for k in names[:-1]]
    xs = [0.7 * torch.randn(1, h, h, generator=gen, dtype=torch.float64) for h in widths]
    wp, logj = move.act(w, xs)
    assert torch.allclose(_product(model, names, wp[0]), _product(model, names, w[0]))
    back, logj_back = move.act(wp, [-x for x in xs])
    assert torch.allclose(back, w, atol=1e-10) and float(logj + logj_back) == pytest.approx(0)
    jac = torch.autograd.functional.jacobian(lambda v: move.act(v[None], xs)[0][0], w[0])
    assert float(torch.linalg.slogdet(jac)[1]) == pytest.approx(float(logj[0]), abs=1e-8)
    assert float(logj[0]) != pytest.approx(0.0)  # the dimensions differ: a real test


def test_bad_arguments_are_named():
    rrr = ReducedRankRegression(3, 2, 2)
    with pytest.raises(ValueError, match="names: 'C'"):
        matrix_chain_orbit(rrr, ["A", "C"])
    with pytest.raises(ValueError, match="do not chain"):
        matrix_chain_orbit(rrr, ["B", "A"])
    with pytest.raises(ValueError, match="at least 2"):
        matrix_chain_orbit(rrr, ["A"])
    with pytest.raises(ValueError, match="scale"):
        matrix_chain_orbit(rrr, ["A", "B"], scale=0.0)
    with pytest.raises(ValueError, match="every"):
        matrix_chain_orbit(rrr, ["A", "B"], every=0)
    x = torch.randn(50, 3, generator=torch.Generator().manual_seed(0))
    data = (x, torch.zeros(50, 2))
    move = matrix_chain_orbit(rrr, ["A", "B"])
    with pytest.raises(ValueError, match="preconditioner"):
        estimate_llc(rrr, data, orbit=move, preconditioner="dense", device="cpu")
    with pytest.raises(ValueError, match="full-batch"):
        estimate_llc(rrr, data, orbit=move, batch_size=10, device="cpu")
    with pytest.raises(TypeError, match="OrbitMove"):
        estimate_llc(rrr, data, orbit="GL", device="cpu")
    assert isinstance(move, OrbitMove)


def test_orbit_moves_leave_the_estimate_where_plain_chains_put_it(random_rrr):
    """Reduced-rank regression (4, 3, 2) at a full-rank point, noise-free (λ = 5): plain MALA
    and MALA with orbit moves estimate the same single-temperature value, within 4 combined
    Monte-Carlo errors (the move is exact; a wrong Jacobian shows in the test above)."""
    model, (x, y) = random_rrr(4, 3, 2, 300, torch.Generator().manual_seed(3))
    kw = dict(method="single", draws=3000, seed=1, device="cpu")
    plain = estimate_llc(model, (x, y), **kw)
    orbit = estimate_llc(model, (x, y), orbit=matrix_chain_orbit(model, ["A", "B"]), **kw)
    z = (orbit.llc - plain.llc) / (plain.std_error ** 2 + orbit.std_error ** 2) ** 0.5
    assert abs(z) < 4, (plain.llc, orbit.llc, z)
    assert 4.0 < orbit.llc < 5.5  # λ = 5, read a little low at finite nβ
    assert orbit.config.orbit == "GL orbit of B · A (every 5 steps, s = 0.5)"
    assert plain.config.orbit is None


def test_batched_orbit_moves_equal_the_single_runs(random_rrr):
    """Each point of a batched run draws its orbit moves from its own generator, so its
    estimate equals ``estimate_llc`` alone with the same seed (as for every other phase)."""
    from slttheory.sampling import estimate_llc_batched

    g = torch.Generator().manual_seed(5)
    probs = [random_rrr(3, 2, 2, 200, g) for _ in range(2)]
    move = matrix_chain_orbit(probs[0][0], ["A", "B"], every=3)
    kw = dict(method="single", draws=400, burn_in=100, device="cpu", orbit=move)
    both = estimate_llc_batched(probs, seed=[1, 2], **kw)
    for (model, data), sd, est in zip(probs, (1, 2), both, strict=True):
        alone = estimate_llc(model, data, seed=sd, **kw)
        assert est.llc == pytest.approx(alone.llc, rel=1e-9, abs=1e-9)
        assert est.config.orbit == alone.config.orbit is not None
    plain = estimate_llc_batched(probs, seed=[1, 2], **{**kw, "orbit": None})
    assert plain[0].llc != pytest.approx(both[0].llc, rel=1e-9)  # the moves did something
    with pytest.raises(ValueError, match="coordinates"):
        estimate_llc(probs[0][0], probs[0][1], orbit=move, params=["A"], device="cpu")


@pytest.mark.parametrize("family,params", [
    ("reduced_rank_regression", {"m": 4, "n": 3, "h": 2, "r": 1}),
    ("deep_linear_network", {"widths": (3, 2, 2, 3), "r": 1}),
])
def test_families_declare_their_matrix_chain(family, params):
    """``Problem.symmetry`` names a chain whose orbit move keeps the model's function."""
    from slttheory.models import FAMILIES

    prob = FAMILIES[family].build(params, n=20, generator=torch.Generator().manual_seed(0),
                                  device="cpu")
    move = matrix_chain_orbit(prob.model, list(prob.symmetry))
    w = torch.cat([p.detach().reshape(-1) for p in prob.model.parameters()])[None]
    wp, _ = move.propose(w.double(), torch.Generator().manual_seed(1))
    x = prob.data[0]
    out = torch.func.functional_call(
        prob.model, {k: v.view(p.shape).to(p.dtype) for (k, p), v in zip(
            prob.model.named_parameters(),
            torch.split(wp[0], [p.numel() for p in prob.model.parameters()]), strict=True)},
        (x,))
    assert torch.allclose(out, prob.model(x), atol=1e-4)
    assert FAMILIES["regular"].build({"d": 2}, n=5, generator=torch.Generator().manual_seed(0),
                                     device="cpu").symmetry is None


def test_orbit_moves_keep_the_localising_gaussian():
    """A flat loss (ΔL ≡ 0): the target is the localising prior N(w*, I/γ) alone, γ = 1, at a
    full-rank point of reduced-rank regression (4, 3, 2) (A: 2×4, B: 3×2, log|J| = tr X ≠ 0).
    MALA steps (exact) with a GL orbit move after every other step: E‖A − A*‖² = 8 and
    E‖B − B*‖² = 6 within 4 Monte-Carlo errors (mcse of the per-draw squared norms). The MH
    ratio must carry |det ∂φ/∂w|; without it (or with its sign flipped) the orbit moves drift
    volume between A and B (an outside mutation test: with log|J| dropped or its sign
    flipped the sampling suite passed; these means move by 7σ and 12σ)."""
    model = ReducedRankRegression(4, 3, 2, dtype=torch.float64)
    move = matrix_chain_orbit(model, ["A", "B"], scale=0.5, every=2)
    g = torch.Generator().manual_seed(0)
    center = torch.randn(14, generator=g, dtype=torch.float64)
    pot = LocalizedPotential(lambda w, _b: (torch.zeros(w.shape[0], dtype=w.dtype),
                                            torch.zeros_like(w)), 1.0, 1.0, center)
    alg = mala(pot, 0.5)
    k = 200
    state = alg.init(center.repeat(k, 1), g)
    a2, b2 = [], []
    for t in range(3000):
        state, _ = alg.step(g, state)
        if t % 2 == 1:
            state = orbit_step(pot, move, g, state)
        if t >= 500:
            d = state.position - center
            a2.append((d[:, :8] ** 2).sum(-1))
            b2.append((d[:, 8:] ** 2).sum(-1))
    a2 = torch.stack(a2, 1).numpy()
    b2 = torch.stack(b2, 1).numpy()
    assert abs(a2.mean() - 8.0) < 4.0 * mcse(a2), (a2.mean(), mcse(a2))
    assert abs(b2.mean() - 6.0) < 4.0 * mcse(b2), (b2.mean(), mcse(b2))
