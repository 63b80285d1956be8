"""Replica exchange between the temperatures of a scan (``slttheory.sampling.exchange``)."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from chain_draws import exchange_draws

from slttheory.sampling import estimate_llc, estimate_llc_batched
from slttheory.sampling.diagnostics import mcse
from slttheory.sampling.exchange import exchange_step, swap_pairs
from slttheory.sampling.kernels import LocalizedPotential, fused_kernel

Z = 4.0  # a test fails only beyond 4 Monte-Carlo standard errors


def _quadratic(ts, chains, a=3.0, gamma=1.0, d=1):
    """ΔL = a‖w‖²/2, so temperature t's target is N(0, 1/(a t + γ)) per coordinate."""
    nb = torch.tensor([t for t in ts for _ in range(chains)], dtype=torch.float64)
    pot = LocalizedPotential(lambda w, _b: (0.5 * a * (w * w).sum(-1), a * w), nb, gamma,
                             torch.zeros(d, dtype=torch.float64))
    return pot, nb


def test_swap_pairs_cover_each_neighbour_pair_once_per_two_rounds():
    seen = set()
    for parity in (0, 1):
        a, b = swap_pairs(groups=4, chains=3, parity=parity, blocks=2)
        assert torch.equal(b - a, torch.full_like(a, 3))
        seen |= set(zip(a.tolist(), b.tolist(), strict=True))
    # 2 blocks × 3 neighbour pairs × 3 chains, each proposed in one of the two parities
    assert len(seen) == 18 and all(a // 12 == b // 12 for a, b in seen)


def test_swapped_chains_carry_their_new_temperature_s_gradient_and_energy():
    """The cached ∇U and U after a swap are those of the chain's new temperature (converted,
    not re-evaluated): equal to a fresh evaluation."""
    ts, ch = (8.0, 4.0, 2.0), 5
    pot, _ = _quadratic(ts, ch, d=2)
    alg = fused_kernel("mala", pot, 0.05)
    g = torch.Generator().manual_seed(0)
    state = alg.init(torch.randn(len(ts) * ch, 2, generator=g, dtype=torch.float64), g)
    swapped = 0
    for r in range(6):
        new = exchange_step(pot, state, len(ts), r % 2, g)
        swapped += int((new.position != state.position).any(-1).sum())
        dl, grad = pot(new.position)
        assert torch.allclose(new.loss, dl, rtol=1e-12, atol=1e-12)
        assert torch.allclose(new.grad, grad, rtol=1e-10, atol=1e-12)
        assert torch.allclose(new.potential, pot.energy(new.position, dl), rtol=1e-12)
        state = new
    assert swapped > 0


def test_exchange_keeps_every_temperature_s_target():
    """MALA steps with an exchange round after every step: each temperature's draws follow its
    own N(0, 1/(a t + γ)); swaps do happen (a wrong acceptance rule mixes the temperatures'
    variances, which differ by a factor 1.8–3.7 here)."""
    ts, ch, a = (8.0, 4.0, 2.0, 1.0), 100, 3.0
    pot, _ = _quadratic(ts, ch, a=a)
    alg = fused_kernel("mala", pot, 0.1)
    x, moves = exchange_draws(alg, pot, len(ts), len(ts) * ch, 1, steps=600, burn=100, seed=1,
                              record=lambda state: state.position[:, 0])  # (rows, draws)
    for j, t in enumerate(ts):
        x2 = x[j * ch:(j + 1) * ch] ** 2
        want = 1.0 / (a * t + 1.0)
        assert abs(float(x2.mean()) - want) < Z * mcse(x2), (t, float(x2.mean()), want)
    assert moves > 0.2 * 600 * ch  # about half the proposed pairs swap


# The batched-equals-alone checks build the points in float64 (the families' ``dtype``), as
# test_batched.py does: float32 batched matmuls may round differently from a point's own on
# some CPUs (an AMD EPYC: 5.7e-7 apart after 300 draws), float64 stays below 1e-9.


def test_exchange_estimate_is_reproducible_and_batched_equals_alone():
    from slttheory.models import FAMILIES

    probs = [FAMILIES["normal_crossing"].build(
        {"powers": (1, 2)}, n=300, generator=torch.Generator().manual_seed(s), device="cpu",
        dtype=torch.float64) for s in (1, 2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        both = estimate_llc_batched(probs, seed=[1, 2], device="cpu", draws=300,
                                    exchange=True)
        alone = estimate_llc(probs[1].model, probs[1].data, loss=probs[1].loss, seed=2,
                             device="cpu", draws=300, exchange=True)
        plain = estimate_llc(probs[1].model, probs[1].data, loss=probs[1].loss, seed=2,
                             device="cpu", draws=300, exchange=False)
    assert abs(both[1].llc - alone.llc) < 1e-9 and alone.config.exchange
    assert not plain.config.exchange and plain.llc != alone.llc
    assert math.isfinite(alone.llc)


def test_exchange_by_default_on_noisy_data_only_alone_and_batched():
    """``exchange=None`` (the default) swaps on noisy data and not on noise-free data; a batch
    mixing both runs each point as it runs alone (as two batches)."""
    from slttheory.models import FAMILIES

    noisy, clean = (FAMILIES["normal_crossing"].build(
        {"powers": (1, 2), "noise": noise}, n=300, generator=torch.Generator().manual_seed(1),
        device="cpu", dtype=torch.float64, **({} if noise else {"refine_steps": 0}))
        for noise in (1.0, 0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone = [estimate_llc(p.model, p.data, loss=p.loss, seed=s, device="cpu", draws=300)
                 for p, s in ((noisy, 1), (clean, 2))]
        both = estimate_llc_batched([noisy, clean], seed=[1, 2], device="cpu", draws=300)
    assert alone[0].config.exchange and not alone[1].config.exchange
    for a, b in zip(alone, both, strict=True):
        assert "exchange" in a.config.auto and a.config.auto == b.config.auto
        assert a.config.exchange == b.config.exchange and abs(a.llc - b.llc) < 1e-9


@pytest.mark.parametrize("kw,err", [
    ({"method": "single"}, ValueError),
    ({"sampler": "sgld", "step_size": 1e-3}, ValueError),
    ({"preconditioner": "dense"}, ValueError),
    ({"exchange": 1}, TypeError),
])
def test_exchange_needs_a_scan_sampled_exactly(kw, err):
    model = torch.nn.Linear(1, 1)
    x = torch.linspace(-1, 1, 50).unsqueeze(1)
    kw = {"exchange": True, **kw}
    with pytest.raises(err, match="exchange"):
        estimate_llc(model, (x, x), draws=20, device="cpu", **kw)
