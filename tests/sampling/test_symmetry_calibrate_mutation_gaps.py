"""Gaps found by a mutation run over ``sampling/symmetry.py`` (orbit moves) and
``sampling/calibrate.py`` (step-size pilot): each test fails on one-line mutants that the other
fast tests let through. The calibration's selection rules are checked on scripted pilots (a
stand-in for ``_pilot`` returning chosen per-candidate means), so every expected step size is
exact."""

from __future__ import annotations

import math

import pytest
import torch

from slttheory.models.linear import DeepLinearNetwork, ReducedRankRegression
from slttheory.sampling import calibrate as cal_mod
from slttheory.sampling.calibrate import (
    LAMBDA_FLOOR,
    ROUND1_GRID,
    ROUND1_STEPS,
    ROUND2_STEPS,
    ROUND2_STEPS_MALA,
    _bias_scores,
    _pilot,
    calibrate_step_size,
)
from slttheory.sampling.kernels import LangevinState, LocalizedPotential, mala, sgld
from slttheory.sampling.symmetry import OrbitMove, matrix_chain_orbit, orbit_step

F64 = torch.float64


def _flat(d: int, center: torch.Tensor | None = None, localization: float = 0.0):
    """ΔL ≡ 0 on ℝ^d (U = γ/2 ‖w − w*‖²)."""
    c = torch.zeros(d, dtype=F64) if center is None else center
    return LocalizedPotential(lambda w, _b: (torch.zeros(w.shape[0], dtype=w.dtype),
                                             torch.zeros_like(w)), 1.0, localization, c)


# ------------------------------------------------------------------------- OrbitMove arguments


def test_orbit_move_arguments_follow_their_stated_ranges():
    """``every`` and ``dim`` are ints ≥ 1 (``every = 1`` allowed, ``bool`` and 0 refused);
    ``scale`` a positive *finite* number; ``names`` matrices only (a bias vector refused)."""
    def prop(w, g):
        return w, torch.zeros(w.shape[0])

    assert OrbitMove(prop, every=1).every == 1
    assert OrbitMove(prop, dim=1).dim == 1
    for bad in (dict(every=True), dict(dim=0), dict(dim=True)):
        with pytest.raises(ValueError):
            OrbitMove(prop, **bad)
    rrr = ReducedRankRegression(3, 2, 2)
    for scale in (math.inf, math.nan):
        with pytest.raises(ValueError, match="scale"):
            matrix_chain_orbit(rrr, ["A", "B"], scale=scale)
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="not a matrix"):
        matrix_chain_orbit(net, ["0.weight", "0.bias"])


def test_matrix_chain_orbit_keeps_every_act_and_the_flat_dimension():
    """The built move runs every ``every`` steps as asked, exposes ``act`` and declares the
    flat dimension of all the model's parameters (the estimator checks it)."""
    model = DeepLinearNetwork((2, 3, 2, 4), dtype=F64)
    move = matrix_chain_orbit(model, ["weights.0", "weights.1", "weights.2"], every=3)
    assert move.every == 3 and callable(move.act)
    assert move.dim == sum(p.numel() for p in model.parameters())


def test_the_proposal_is_act_of_iid_normal_matrices_of_sd_scale():
    """``propose`` draws X with i.i.d. N(0, s²) entries, one (K, h, h) per hidden layer in
    order, from the generator, and returns ``act(w, X)``: a law symmetric under X → −X, which
    the involution argument (module docstring) needs. Bit for bit against the same draws."""
    model = DeepLinearNetwork((2, 3, 2, 4), dtype=F64)
    move = matrix_chain_orbit(model, ["weights.0", "weights.1", "weights.2"], scale=0.3)
    w = torch.randn(4, move.dim, generator=torch.Generator().manual_seed(0), dtype=F64)
    got, logj = move.propose(w, torch.Generator().manual_seed(1))
    g = torch.Generator().manual_seed(1)
    xs = [0.3 * torch.randn((4, h, h), generator=g, dtype=F64) for h in (3, 2)]
    want, want_logj = move.act(w, xs)
    assert torch.equal(got, want) and torch.equal(logj, want_logj)


def test_log_jacobian_sums_over_every_hidden_layer():
    """log|J| = Σ_l (b_l − c_l) tr X_l over the hidden layers: on a deep linear network
    (2, 3, 4, 1) both terms are non-zero (−2 tr X₁ and +2 tr X₂), against autograd's
    slogdet of ∂φ_X/∂w."""
    model = DeepLinearNetwork((2, 3, 4, 1), dtype=F64)
    move = matrix_chain_orbit(model, ["weights.0", "weights.1", "weights.2"])
    g = torch.Generator().manual_seed(0)
    w = torch.randn(1, move.dim, generator=g, dtype=F64)
    xs = [0.4 * torch.randn(1, h, h, generator=g, dtype=F64) for h in (3, 4)]
    _, logj = move.act(w, xs)
    want = -2 * xs[0].diagonal(dim1=1, dim2=2).sum() + 2 * xs[1].diagonal(dim1=1, dim2=2).sum()
    assert float(logj[0]) == pytest.approx(float(want), abs=1e-12)
    jac = torch.autograd.functional.jacobian(lambda v: move.act(v[None], xs)[0][0], w[0])
    assert float(torch.linalg.slogdet(jac)[1]) == pytest.approx(float(logj[0]), abs=1e-8)


# ------------------------------------------------------------------------- orbit_step


def _rrr_state(potential, k: int, kernel, gen: torch.Generator):
    center = potential.center
    w = center + torch.randn(k, center.shape[0], generator=gen, dtype=F64)
    return kernel(potential, 0.1).init(w, gen)


def _products(w: torch.Tensor) -> torch.Tensor:
    a, b = w[:, :6].reshape(-1, 2, 3), w[:, 6:].reshape(-1, 2, 2)
    return b @ a


@pytest.mark.parametrize("kernel", [mala, sgld])
def test_orbit_step_keeps_each_chains_cached_loss_gradient_and_energy(kernel):
    """After a move each chain's cached ΔL, ∇U (and U, where the kernel caches it; SGLD's
    stays ``None``) are those of its own new position, accepted or not, and it stays on its
    own orbit (B·A unchanged). The loss here is not invariant (ΔL = ½‖w‖²), so some
    proposals are refused: both branches are checked."""
    gen = torch.Generator().manual_seed(0)
    center = torch.randn(10, generator=gen, dtype=F64)
    pot = LocalizedPotential(lambda w, _b: (0.5 * (w * w).sum(-1), w), 2.0, 1.0, center)
    move = matrix_chain_orbit(ReducedRankRegression(3, 2, 2), ["A", "B"], scale=0.5)
    state = _rrr_state(pot, 64, kernel, gen)
    new = orbit_step(pot, move, gen, state)
    moved = (new.position != state.position).any(-1)
    assert 0 < int(moved.sum()) < 64
    dl, grad = pot(new.position)
    assert torch.allclose(new.loss, dl, rtol=1e-12, atol=1e-12)
    assert torch.allclose(new.grad, grad, rtol=1e-12, atol=1e-12)
    if state.potential is None:
        assert new.potential is None
    else:
        assert torch.allclose(new.potential, pot.energy(new.position, dl), rtol=1e-12)
    assert torch.allclose(_products(new.position), _products(state.position), atol=1e-10)


def test_orbit_step_accepts_with_probability_min_one_exp_log_a():
    """Metropolis–Hastings: accept with probability min(1, e^{U(w) − U(w')} |J|). A flat
    target and a proposal w + 1 with log|J| = log 0.3: 30 % of 20000 chains move (binomial
    s.d. 0.32 %, tolerance 5 s.d.); with log|J| = 1 all move; with an energy rise of
    log(1/0.3) and log|J| = 0 again 30 %."""
    k = 20000

    def move_with(logj: float) -> OrbitMove:
        return OrbitMove(lambda w, g: (w + 1.0, torch.full((w.shape[0],), logj, dtype=F64)))

    sd = math.sqrt(0.3 * 0.7 / k)
    pot = _flat(1)
    state = mala(pot, 0.1).init(torch.zeros(k, 1, dtype=F64))
    gen = torch.Generator().manual_seed(0)
    frac = float(orbit_step(pot, move_with(math.log(0.3)), gen, state).position.mean())
    assert abs(frac - 0.3) < 5 * sd, frac
    assert bool((orbit_step(pot, move_with(1.0), gen, state).position == 1.0).all())
    # U = γ/2 (w − w*)², w* = −0.5: w = 0 → 1 raises U by γ = log(1/0.3)
    gamma = math.log(1 / 0.3)
    pot2 = _flat(1, torch.full((1,), -0.5, dtype=F64), gamma)
    state2 = mala(pot2, 0.1).init(torch.zeros(k, 1, dtype=F64))
    frac2 = float(orbit_step(pot2, move_with(0.0), gen, state2).position.mean())
    assert abs(frac2 - 0.3) < 5 * sd, frac2


@pytest.mark.parametrize("bad", [-math.inf, math.inf, math.nan])
def test_a_proposal_whose_energy_is_not_finite_is_rejected(bad):
    """``orbit_step``: "A proposal whose energy is not finite is rejected" — −∞ too (its
    e^{U(w) − U(w')} = ∞ would otherwise be accepted)."""
    def loss(w, _b):
        return torch.full((w.shape[0],), bad, dtype=w.dtype), torch.zeros_like(w)

    pot = LocalizedPotential(loss, 1.0, 0.0, torch.zeros(10, dtype=F64))
    k = 8
    pos = torch.randn(k, 10, generator=torch.Generator().manual_seed(0), dtype=F64)
    zeros = torch.zeros(k, dtype=F64)
    state = LangevinState(pos, zeros, torch.zeros_like(pos), zeros)
    move = matrix_chain_orbit(ReducedRankRegression(3, 2, 2), ["A", "B"])
    new = orbit_step(pot, move, torch.Generator().manual_seed(1), state)
    assert torch.equal(new.position, pos) and torch.equal(new.loss, zeros)
    assert torch.equal(new.potential, zeros)


# ------------------------------------------------------------------------- calibration


def test_round1_grid_is_ten_to_minus_nine_to_ten_by_root_ten():
    """Module docstring: round 1 scans ε ∈ 10⁻⁹ … 10¹ by factors √10 (21 candidates)."""
    assert len(ROUND1_GRID) == 21
    assert math.isclose(ROUND1_GRID[0], 1e-9) and math.isclose(ROUND1_GRID[-1], 10.0)
    for a, b in zip(ROUND1_GRID[:-1], ROUND1_GRID[1:], strict=True):
        assert math.isclose(b / a, math.sqrt(10), rel_tol=1e-12)


def test_bias_score_floors_lambda_and_scores_diverged_candidates_infinite():
    """b(ε) = ε ∇U·G∇U / (8 λ̂), λ̂ = nβ ΔL floored at ``LAMBDA_FLOOR``; a candidate whose
    ΔL or score is not finite scores +∞ (never "passes")."""
    eps = torch.full((6,), 1e-3, dtype=F64)
    loss = torch.tensor([2.0, 1e-9, math.inf, math.nan, 1.0, 1.0], dtype=F64)
    gsq = torch.tensor([40.0, 40.0, 40.0, 40.0, math.inf, math.nan], dtype=F64)
    s = _bias_scores(eps, loss, gsq, nbeta=10.0).tolist()
    assert s[0] == pytest.approx(1e-3 * 40 / (8 * 20.0), rel=1e-12)
    assert s[1] == pytest.approx(1e-3 * 40 / (8 * LAMBDA_FLOOR), rel=1e-12)
    assert s[2:] == [math.inf] * 4


class _Script:
    """A stand-in for ``calibrate._pilot``: records (ε, steps) of each round and returns the
    scripted ``(mean ΔL, mean ∇U², acceptance)`` of round 1 and round 2."""

    def __init__(self, round1, round2):
        self.rounds = [round1, round2]
        self.calls: list[tuple[list[float], int]] = []

    def __call__(self, sampler, potential, center, eps, n_steps, generator, kw):
        out = self.rounds[len(self.calls)](eps)
        self.calls.append((eps.tolist(), n_steps))
        return tuple(torch.as_tensor(v, dtype=F64) for v in out)


def _sgld_round(slopes):
    """Means giving b(ε_j) = slopes[j]·ε_j at nβ = 1 (ΔL = 1, or ∞ where slope is None)."""
    def run(eps):
        e = eps.tolist()
        loss = [math.inf if s is None else 1.0 for s in slopes]
        gsq = [8.0 if s is None else 8.0 * s for s in slopes]
        return loss, gsq, [0.0] * len(e)
    return run


def _calibrate(monkeypatch, script, **kw):
    monkeypatch.setattr(cal_mod, "_pilot", script)
    pot = _flat(2)
    return calibrate_step_size(pot, pot.center, nbeta=1.0,
                               generator=torch.Generator().manual_seed(0), **kw)


def _round2(base):
    return [base * 10.0 ** (k / 10) for k in (-5, -3, -1, 1, 3, 5) for _ in range(2)]


def test_sgld_round1_takes_the_last_pass_before_the_first_failure(monkeypatch):
    """Round 1 (bias target 1 %): ε₀ … ε₇ pass, ε₈ has an infinite ΔL (a finite gradient:
    it must not pass), ε₉ fails, ε₁₀ … ε₁₂ pass again: round 2 is centred on ε₇ — 2 replicates
    of 6 candidates 10^{±0.5, ±0.3, ±0.1}·ε₇ — for ``ROUND2_STEPS`` steps after
    ``ROUND1_STEPS``. Round 2: the step is δ / median of b_j/ε_j over the finite positive
    scores (a zero and two infinite ones dropped), here ε₇/1.1 exactly."""
    base = ROUND1_GRID[7]
    r1 = [1e-3 / e for e in ROUND1_GRID]  # b = 0.1 % passes
    r1[8] = None
    r1[9] = 1.0 / ROUND1_GRID[9]  # b = 100 %
    r1[13:] = [1.0 / e for e in ROUND1_GRID[13:]]
    m = 0.01 / base  # slope giving exactly ε = base
    rel = [0.0, None, 0.5, 0.8, None, 0.9, 1.0, 1.1, 1.25, 1.5, 50.0, 400.0]
    script = _Script(_sgld_round(r1), _sgld_round([None if r is None else r * m
                                                   for r in rel]))
    cal = _calibrate(monkeypatch, script)
    (eps1, n1), (eps2, n2) = script.calls
    assert eps1 == pytest.approx(list(ROUND1_GRID), rel=1e-12) and n1 == ROUND1_STEPS
    assert eps2 == pytest.approx(_round2(base), rel=1e-12) and n2 == ROUND2_STEPS
    assert cal.step_size == pytest.approx(base / 1.1, rel=1e-12)
    assert cal.criterion == "bias" and cal.target == 0.01 and not cal.at_grid_edge
    assert cal.pilot_steps == ROUND1_STEPS * 21 + ROUND2_STEPS * 12
    assert list(cal.candidates) == pytest.approx(_round2(base), rel=1e-12)


def test_sgld_grid_edges_and_the_round2_clamp(monkeypatch):
    """Nothing passes: round 2 at the grid's first point, flagged at its edge, and with no
    finite positive score the smallest candidate. Everything passes: round 2 at the last
    point, flagged; a slope that asks for a larger step is capped at the largest candidate,
    one that asks for a smaller one floored at a tenth of the smallest."""
    fail = [1.0 / e for e in ROUND1_GRID]
    script = _Script(_sgld_round(fail), _sgld_round([None] * 12))
    cal = _calibrate(monkeypatch, script)
    assert script.calls[1][0] == pytest.approx(_round2(ROUND1_GRID[0]), rel=1e-12)
    assert cal.at_grid_edge and cal.step_size == pytest.approx(min(_round2(ROUND1_GRID[0])))
    ok = [1e-3 / e for e in ROUND1_GRID]
    for slope, want in ((1e-12, max(_round2(10.0))), (1e12, min(_round2(10.0)) / 10)):
        script = _Script(_sgld_round(ok), _sgld_round([slope] * 12))
        cal = _calibrate(monkeypatch, script)
        assert script.calls[1][0] == pytest.approx(_round2(10.0), rel=1e-12)
        assert cal.at_grid_edge and cal.step_size == pytest.approx(want, rel=1e-12)


def _mala_round(acc):
    def run(eps):
        return [0.0] * len(acc), [0.0] * len(acc), list(acc)
    return run


def test_mala_takes_the_largest_candidate_below_the_first_one_with_a_short_replicate(
        monkeypatch):
    """Acceptance target 0.65. Round 1: ε₀ … ε₁₀ reach it, ε₁₁ not, ε₁₂ … again: round 2 at
    ε₁₀ for ``ROUND2_STEPS_MALA`` steps. Round 2 (replicates adjacent): candidates 0, 1 pass
    in both replicates, 2 and 3 in one only (they fail), 4 in neither, 5 in both: ε =
    candidate 1; the scores are the acceptances themselves."""
    r1 = [0.9] * 21
    r1[11] = 0.3
    acc2 = [0.9, 0.8, 0.9, 0.7, 0.95, 0.5, 0.3, 0.9, 0.2, 0.3, 0.9, 0.9]
    script = _Script(_mala_round(r1), _mala_round(acc2))
    cal = _calibrate(monkeypatch, script, sampler="mala")
    base = ROUND1_GRID[10]
    assert script.calls[1] == (pytest.approx(_round2(base), rel=1e-12), ROUND2_STEPS_MALA)
    assert cal.step_size == pytest.approx(base * 10 ** -0.3, rel=1e-12)
    assert cal.criterion == "acceptance" and cal.target == 0.65 and not cal.at_grid_edge
    assert list(cal.scores) == pytest.approx(acc2)
    assert cal.pilot_steps == ROUND1_STEPS * 21 + ROUND2_STEPS_MALA * 12


@pytest.mark.parametrize(("acc2", "pick"), [([0.9] * 12, 5), ([0.5, 0.9] + [0.9] * 10, 0)])
def test_mala_round2_all_pass_takes_the_largest_and_a_first_failure_the_smallest(
        monkeypatch, acc2, pick):
    """Every candidate passes: the largest; the first already fails: the smallest."""
    script = _Script(_mala_round([0.9] * 3 + [0.1] * 18), _mala_round(acc2))
    cal = _calibrate(monkeypatch, script, sampler="mala")
    cands = _round2(ROUND1_GRID[2])[::2]
    assert cal.step_size == pytest.approx(cands[pick], rel=1e-12)


def test_pilot_chains_start_at_the_centre_and_average_the_second_half():
    """``_pilot`` runs its chains from ``center`` and returns means over steps n/2 … n−1. A
    clock: ∇U = −2/ε along the first axis moves every chain by exactly +1 a step (noise
    √ε = 10⁻⁵), ΔL = that coordinate minus w*'s: after step t it is t + 1, so 100 steps
    average to 75.5 (a window from step 25: 63; from 51, divided by 50: 74.5)."""
    eps = 1e-10
    center = torch.tensor([3.0, -1.0], dtype=F64)

    def clock(w, _b):
        g = torch.zeros_like(w)
        g[:, 0] = -2.0 / eps
        return w[:, 0] - center[0], g

    pot = LocalizedPotential(clock, 1.0, 0.0, center)
    loss, gsq, _ = _pilot("sgld", pot, center, torch.full((3,), eps, dtype=F64), 100,
                          torch.Generator().manual_seed(0), {})
    assert torch.allclose(loss, torch.full((3,), 75.5, dtype=F64), atol=1e-3), loss
    assert torch.allclose(gsq, torch.full((3,), (2.0 / eps) ** 2, dtype=F64), rtol=1e-12)


class _NoCentre:
    """A full-batch potential without a ``center`` attribute (ΔL ≡ 0)."""

    full_batch = True

    def __call__(self, w, generator=None):
        return torch.zeros(w.shape[0], dtype=w.dtype), torch.zeros_like(w)

    def energy(self, w, dl):
        return dl


def test_a_calibration_centre_must_be_one_position_even_without_the_potentials_own():
    """``center`` must have shape (d,): a 0-d tensor is refused also for a potential that
    carries no ``center`` of its own to compare with."""
    with pytest.raises(ValueError, match="one position"):
        calibrate_step_size(_NoCentre(), torch.tensor(0.0, dtype=F64), nbeta=1.0,
                            generator=torch.Generator().manual_seed(0))


def test_a_pilot_chain_that_diverged_counts_as_never_accepting():
    """``_pilot``: a chain whose ΔL is not finite over the averaged half reports acceptance 0,
    even where its MH step into the hole was accepted with probability 1. Flat U except a hole
    ΔL = −∞ at w₁ > 0.5, MALA ε = 100, 2 steps (only the second averaged): chains that stay
    out accept with probability 1, every chain in the hole reports 0."""
    def hole(w, _b):
        dl = torch.where(w[:, 0] > 0.5, -math.inf, 0.0).to(w.dtype)
        return dl, torch.zeros_like(w)

    center = torch.zeros(1, dtype=F64)
    pot = LocalizedPotential(hole, 1.0, 0.0, center)
    loss, _, acc = _pilot("mala", pot, center, torch.full((64,), 100.0, dtype=F64), 2,
                          torch.Generator().manual_seed(0), {})
    out = torch.isfinite(loss)
    assert 0 < int(out.sum()) < 64
    assert torch.equal(acc, out.to(F64))
