r"""Replica exchange between the temperatures of a scan (Metropolis–Hastings swaps).

The default estimator runs chains at several inverse temperatures :math:`t_j = n\beta f_j` at
once (:mod:`slttheory.sampling.estimator`), all with the same localising prior
:math:`\varphi(w) \propto e^{-\frac\gamma2\lVert w - w^*\rVert^2}`. The joint law of all chains
is the product :math:`\prod_r \pi_{t_r}(w_r)`, :math:`\pi_t \propto e^{-t\Delta L}\varphi`.
Proposing to exchange the states of two chains r, s at different temperatures and accepting
with probability

.. math::

    \min\bigl(1,\ e^{(t_r - t_s)(\Delta L(w_r) - \Delta L(w_s))}\bigr)

leaves that product invariant (the prior cancels; Swendsen & Wang 1986, *Phys. Rev. Lett.*
57:2607; Geyer 1991, *Computing Science and Statistics* 23:156), so every temperature keeps its
own target and its estimate :math:`\hat\lambda(t_j) = t_j E_{t_j}[\Delta L]` means what it did.
What changes is mixing: a state that crossed a slow region at a low t (where the posterior is
broad) can be handed up to a high t, where Langevin steps are small and a singular valley's
arms or a symmetry orbit are crossed slowly. Rounds alternate between the even and the odd
pairs of neighbouring temperatures (the deterministic even–odd scheme, Okabe et al. 2001,
*Chem. Phys. Lett.* 335:435; each round is itself an invariant kernel). Chain c of temperature
j is paired with chain c of temperature j + 1.

The acceptance depends only on ΔL, which each chain caches; the swapped chains' cached
gradient and energy are converted to the new temperature exactly:
:math:`\nabla U_t = t\nabla\Delta L + \gamma(w - w^*)` gives
:math:`\nabla U_{t'} = \frac{t'}{t}(\nabla U_t - \gamma(w - w^*)) + \gamma(w - w^*)`, so a
round costs no model evaluation. The energies :math:`t\Delta L` fluctuate by about
:math:`\sqrt\lambda` around λ, so neighbouring temperatures a factor r ≈ 2.15 apart (the
default grid) overlap less as λ grows: measured swap acceptance 0.91 at λ = 1/6 (a normal
crossing), 0.83 at λ = ½, 0.42 at λ = 5/2 (a quadratic network). Swaps help most where λ is
small — the singular points whose chains mix worst. ``estimate_llc`` swaps by default on
noisy data and not on noise-free data (:func:`slttheory.sampling.estimator.auto_exchange`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

__all__ = ["EXCHANGE_EVERY", "exchange_step", "swap_pairs"]

EXCHANGE_EVERY = 10
"""Sampler steps between two exchange rounds."""


def swap_pairs(groups: int, chains: int, parity: int, blocks: int = 1,
               device: torch.device | str | None = None) -> tuple[Tensor, Tensor]:
    """Row indices ``(a, b)`` of the pairs one round proposes to swap: chain c of temperature
    j with chain c of temperature j + 1, for j ≡ ``parity`` (mod 2), in each of ``blocks``
    equal blocks of ``groups × chains`` rows (temperature-major).

    >>> a, b = swap_pairs(groups=4, chains=2, parity=1)
    >>> a.tolist(), b.tolist()
    ([2, 3], [4, 5])
    >>> [t.tolist() for t in swap_pairs(3, 1, 0, blocks=2)]
    [[0, 3], [1, 4]]
    """
    js = torch.arange(parity % 2, groups - 1, 2, device=device)
    cs = torch.arange(chains, device=device)
    base = (js[:, None] * chains + cs[None, :]).reshape(-1)
    a = (torch.arange(blocks, device=device)[:, None] * (groups * chains)
         + base[None, :]).reshape(-1)
    return a, a + chains


def exchange_step(potential, state, groups: int, parity: int,
                  generator: torch.Generator | None = None, *,
                  generators: Sequence[torch.Generator] | None = None):
    """One round of swaps between neighbouring temperatures of a full-batch Langevin
    ``state`` (:class:`~slttheory.sampling.kernels.LangevinState`, rows temperature-major:
    ``groups`` temperatures × chains, in equal blocks, one per generator of ``generators``
    for the batched sampler). ``potential``: the
    :class:`~slttheory.sampling.kernels.LocalizedPotential` the chains sample (its ``nbeta``
    one value per row). Each block draws one uniform per row from its generator; a pair
    whose ΔL is not finite is never swapped. Returns the new state (module docstring).

    >>> from slttheory.sampling.kernels import LangevinState, LocalizedPotential
    >>> pot = LocalizedPotential(lambda w, g: (0.5 * (w**2).sum(-1), w),   # ΔL = w²/2
    ...                          torch.tensor([1.0, 2.0]), 0.0, torch.zeros(1))
    >>> w = torch.tensor([[0.0], [1.0]])      # t = 1 at w = 0, t = 2 at w = 1
    >>> s = exchange_step(pot, LangevinState(w, *pot(w)), 2, 0, torch.Generator().manual_seed(0))
    >>> s.position.flatten().tolist(), s.grad.flatten().tolist()  # (1 − 2)(0 − ½) > 0: swapped
    ([1.0, 0.0], [1.0, 0.0])
    """
    gens = [generator] if generators is None else list(generators)
    pos, dl = state.position, state.loss
    rows = pos.shape[0]
    per = rows // len(gens)
    chains = per // groups
    t = potential.nbeta
    if groups < 2 or t.ndim != 1 or t.shape[0] != rows or chains * groups * len(gens) != rows:
        raise ValueError(f"exchange_step: {rows} rows are not {len(gens)} block(s) of "
                         f"{groups} temperatures × chains with one nbeta each")
    unif = torch.cat([torch.rand((per,), generator=g, dtype=dl.dtype, device=dl.device)
                      for g in gens])
    a, b = swap_pairs(groups, chains, parity, len(gens), pos.device)
    log_r = (t[a] - t[b]) * (dl[a] - dl[b])
    acc = torch.isfinite(log_r) & (torch.log(unif[a]) < log_r)
    perm = torch.arange(rows, device=pos.device)
    perm[a[acc]] = b[acc]
    perm[b[acc]] = a[acc]
    moved = perm != torch.arange(rows, device=pos.device)
    new_pos, new_dl = pos[perm], dl[perm]
    gamma = potential.localization
    ratio = (t / t[perm]).unsqueeze(-1)
    if gamma:
        prior = (new_pos - potential.center) * gamma
        grad = ratio * (state.grad[perm] - prior) + prior
    else:
        grad = ratio * state.grad[perm]
    col = moved.unsqueeze(-1)
    new_u = None
    if state.potential is not None:
        new_u = torch.where(moved, potential.energy(new_pos, new_dl), state.potential)
    return state._replace(position=torch.where(col, new_pos, pos),
                          loss=torch.where(moved, new_dl, dl),
                          grad=torch.where(col, grad, state.grad), potential=new_u)
