r"""Langevin kernels for all chains at once, in the ``init``/``step`` style of blackjax.

Every kernel targets the localized tempered posterior of Lau et al. (arXiv:2308.12108, §3)

.. math::

    \pi(w) \propto \exp(-U(w)),\qquad
    U(w) = n\beta\,\Delta L(w) + \tfrac{\gamma}{2}\lVert w - w^*\rVert^2,

with :math:`\Delta L(w) = L_n(w) - L_n(w^*)` (a constant shift of :math:`L_n`). Positions are
``(chains, d)`` tensors; the potential is evaluated for all chains in one vectorised call.

All samplers share one Langevin proposal (Euler–Maruyama step of
:math:`dw = -\tfrac12 G\nabla U\,dt + G^{1/2} dW` with step :math:`\varepsilon`):

.. math::

    w' = w - \tfrac{\varepsilon}{2} G\,\nabla U(w) + \sqrt{\varepsilon G}\,\xi,
    \qquad \xi \sim N(0, I),

* ``sgld``: :math:`G = I`, always accepted (Welling & Teh 2011; Lau et al. eq. 11). In full-batch
  mode it also reports, as a *diagnostic only*, the Metropolis–Hastings acceptance probability
  that MALA would have given the same move.
* ``rmsprop_sgld``: diagonal :math:`G = 1/(\sqrt{V}+\epsilon)` with
  :math:`V \leftarrow \alpha V + (1-\alpha)(\nabla U)^2` (Li et al. 2016, pSGLD; devinterp's
  ``RMSpropPreconditioner``). The correction term :math:`\Gamma(w)=\sum_j\partial_j G_{ij}` is
  omitted, as in Li et al.'s experiments and devinterp's default (``add_grad_correction=False``):
  :math:`G` depends on the chain's history, not on :math:`w`, and its drift is small for
  :math:`\alpha` near 1.
* ``mala``: the same proposal with :math:`G=I`, followed by a Metropolis–Hastings test, so the
  invariant law is exactly :math:`\pi` (Roberts & Tweedie 1996). A NaN energy difference
  counts as a rejection (blackjax ``proposal.safe_energy_diff``).

States cache the potential and its gradient at the current position, so each step costs one
vectorised gradient evaluation (blackjax ``MALAState``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple, Protocol

import torch
from torch import Tensor

__all__ = [
    "Potential",
    "LocalizedPotential",
    "LangevinState",
    "LangevinInfo",
    "SamplingAlgorithm",
    "langevin_proposal",
    "mh_log_acceptance",
    "sgld",
    "rmsprop_sgld",
    "mala",
    "SAMPLERS",
]


class Potential(Protocol):
    """``potential(position, generator) -> (delta_loss (K,), grad_U (K, d))`` and
    ``potential.energy(position, delta_loss) -> U (K,)``."""

    full_batch: bool

    def __call__(
        self, position: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]: ...

    def energy(self, position: Tensor, delta_loss: Tensor) -> Tensor: ...


class LocalizedPotential:
    r"""Localized tempered potential.

    :math:`U = n\beta\,\Delta L + \frac{\gamma}{2}\lVert w-w^*\rVert^2`.

    ``loss_and_grad(position, generator) -> (delta_loss (K,), grad (K, d))`` evaluates
    :math:`\Delta L` (or an unbiased minibatch estimate of it) and its gradient for all chains.
    ``nbeta`` is a scalar or a ``(K,)`` tensor (one inverse temperature per chain, used by the
    multi-temperature estimator).

    >>> import torch
    >>> pot = LocalizedPotential(lambda w, g: (0.5 * (w**2).sum(-1), w), nbeta=2.0,
    ...                          localization=1.0, center=torch.zeros(1))
    >>> w = torch.tensor([[3.0]])
    >>> dl, grad = pot(w)
    >>> pot.energy(w, dl), grad  # U = 2 * 4.5 + 0.5 * 9, grad U = 2 * 3 + 3
    (tensor([13.5000]), tensor([[9.]]))
    """

    def __init__(
        self,
        loss_and_grad: Callable[[Tensor, torch.Generator | None], tuple[Tensor, Tensor]],
        nbeta: float | Tensor,
        localization: float,
        center: Tensor,
        full_batch: bool = True,
    ) -> None:
        self.loss_and_grad = loss_and_grad
        nb = torch.as_tensor(nbeta, dtype=center.dtype, device=center.device)
        self.nbeta = nb
        self._nbeta_col = nb.reshape(-1, 1) if nb.ndim == 1 else nb
        self.localization = float(localization)
        self.center = center
        self.full_batch = full_batch

    def __call__(
        self, position: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        dl, g = self.loss_and_grad(position, generator)
        if self.localization:
            grad = torch.addcmul((position - self.center).mul_(self.localization),
                                 self._nbeta_col, g)
        else:
            grad = self._nbeta_col * g
        return dl, grad

    def energy(self, position: Tensor, delta_loss: Tensor) -> Tensor:
        """:math:`U = n\\beta\\,\\Delta L + \\frac{\\gamma}{2}\\lVert w - w^*\\rVert^2`."""
        diff = position - self.center
        return self.nbeta * delta_loss + (0.5 * self.localization) * (diff * diff).sum(-1)


class LangevinState(NamedTuple):
    """Position ``(K, d)`` with ΔL ``(K,)`` and ∇U ``(K, d)`` cached there.

    ``potential`` (U, ``(K,)``) is cached by MALA only (``None`` otherwise: SGLD computes it
    on demand for its diagnostic); ``precond_v`` is RMSProp's running mean of squared
    gradients (``None`` otherwise).
    """

    position: Tensor
    loss: Tensor
    grad: Tensor
    potential: Tensor | None = None
    precond_v: Tensor | None = None


class LangevinInfo(NamedTuple):
    """What a step reports (not carried forward).

    ``acceptance_prob``: MH acceptance probability of the proposal (MALA: used; SGLD:
    diagnostic only; ``None`` where not computed); ``is_accepted``: bool ``(K,)`` or ``None``;
    ``grad_sq``: :math:`\\nabla U^\\top G \\nabla U` at the new position, whose mean times
    ε/8 estimates the discretisation bias of λ̂ (see :mod:`slttheory.sampling.calibrate`).
    Steps called with ``diagnose=False`` leave the diagnostic fields ``None`` (MALA always
    reports acceptance).
    """

    acceptance_prob: Tensor | None
    is_accepted: Tensor | None
    grad_sq: Tensor | None


class SamplingAlgorithm(NamedTuple):
    """``init(position) -> state`` and ``step(generator, state) -> (state, info)``."""

    init: Callable[..., LangevinState]
    step: Callable[..., tuple[LangevinState, LangevinInfo]]


def _as_column(step_size: float | Tensor, like: Tensor) -> Tensor:
    eps = torch.as_tensor(step_size, dtype=like.dtype, device=like.device)
    if eps.ndim == 0:
        eps = eps.reshape(1, 1)
    elif eps.ndim == 1:
        eps = eps.reshape(-1, 1)
    if not bool((eps > 0).all()):
        raise ValueError(f"step_size must be > 0, got {step_size!r}")
    return eps


def langevin_proposal(
    generator: torch.Generator, position: Tensor, grad: Tensor, eps: Tensor,
    precond: Tensor | None = None, sqrt_eps: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    r"""One Euler–Maruyama Langevin move for all chains; returns ``(proposal, xi)``.

    :math:`w' = w - \frac{\varepsilon}{2}G\nabla U + \sqrt{\varepsilon G}\,\xi`, one ``(K, d)``
    normal draw from ``generator``.
    """
    xi = torch.randn(position.shape, generator=generator, dtype=position.dtype,
                     device=position.device)
    if precond is None:
        sq = eps.sqrt() if sqrt_eps is None else sqrt_eps
        prop = torch.addcmul(torch.addcmul(position, grad, eps, value=-0.5), xi, sq)
    else:
        prop = position - (0.5 * eps) * precond * grad + (eps * precond).sqrt() * xi
    return prop, xi


def mh_log_acceptance(
    u: Tensor, grad: Tensor, u_new: Tensor, grad_new: Tensor, xi: Tensor, eps: Tensor
) -> Tensor:
    r"""Log MH acceptance ratio of a Langevin move ``w -> w'`` with :math:`G = I`.

    :math:`\log a = U(w) - U(w') + \log q(w\mid w') - \log q(w'\mid w)`, where
    :math:`\log q(w'\mid w) = -\lVert\xi\rVert^2/2` and, since
    :math:`w - w' + \frac{\varepsilon}{2}\nabla U(w') = -\sqrt{\varepsilon}\xi
    + \frac{\varepsilon}{2}(\nabla U(w) + \nabla U(w'))`,
    :math:`\log q(w\mid w') = -\lVert -\xi + \frac{\sqrt{\varepsilon}}{2}(\nabla U(w)
    + \nabla U(w'))\rVert^2/2`. NaN becomes :math:`-\infty` (rejection).

    >>> import torch
    >>> z = torch.zeros(1, 1)
    >>> mh_log_acceptance(torch.zeros(1), z, torch.zeros(1), z, z, torch.ones(1, 1))
    tensor([0.])
    """
    back = -xi + (0.5 * eps.sqrt()) * (grad + grad_new)
    log_a = (u - u_new) - 0.5 * (back * back).sum(-1) + 0.5 * (xi * xi).sum(-1)
    return torch.nan_to_num(log_a, nan=-math.inf)


def _accept_prob(log_a: Tensor) -> Tensor:
    return torch.exp(torch.clamp(log_a, max=0.0))


def sgld(potential: Potential, step_size: float | Tensor, *, mh_diagnostic: bool = True
         ) -> SamplingAlgorithm:
    r"""SGLD (Welling & Teh 2011), as used for the LLC by Lau et al. (arXiv:2308.12108, eq. 11).

    :math:`\Delta w = -\frac{\varepsilon}{2}[n\beta\nabla L_B(w) + \gamma(w-w^*)]
    + N(0, \varepsilon I)`. With a full-batch potential and ``mh_diagnostic`` it reports the MH
    acceptance probability of each move (nothing is rejected).

    >>> import torch
    >>> pot = LocalizedPotential(lambda w, g: (0.5 * (w**2).sum(-1), w), 1.0, 0.0,
    ...                          torch.zeros(1))
    >>> alg = sgld(pot, 0.1)
    >>> state = alg.init(torch.zeros(4, 1))
    >>> state, info = alg.step(torch.Generator().manual_seed(0), state)
    >>> state.position.shape, info.acceptance_prob.shape
    (torch.Size([4, 1]), torch.Size([4]))
    """
    mh = mh_diagnostic and potential.full_batch
    cache: dict[str, Tensor] = {}

    def init(position: Tensor, generator: torch.Generator | None = None) -> LangevinState:
        cache["eps"] = eps = _as_column(step_size, position)
        cache["sqrt_eps"] = eps.sqrt()
        dl, g = potential(position, generator)
        return LangevinState(position, dl, g)

    def step(generator: torch.Generator, state: LangevinState, diagnose: bool = True
             ) -> tuple[LangevinState, LangevinInfo]:
        eps = cache["eps"]
        prop, xi = langevin_proposal(generator, state.position, state.grad, eps,
                                     sqrt_eps=cache["sqrt_eps"])
        dl, g = potential(prop, generator)
        new = LangevinState(prop, dl, g)
        if not diagnose:
            return new, LangevinInfo(None, None, None)
        acc = None
        if mh:
            u0 = potential.energy(state.position, state.loss)
            u1 = potential.energy(prop, dl)
            acc = _accept_prob(mh_log_acceptance(u0, state.grad, u1, g, xi, eps))
        return new, LangevinInfo(acc, None, (g * g).sum(-1))

    return SamplingAlgorithm(init, step)


def rmsprop_sgld(potential: Potential, step_size: float | Tensor, *, alpha: float = 0.99,
                 eps: float = 0.1) -> SamplingAlgorithm:
    r"""RMSProp-preconditioned SGLD (Li et al. 2016, pSGLD; devinterp ``rmsprop_sgld``).

    :math:`V \leftarrow \alpha V + (1-\alpha)\nabla U^2`, :math:`G = 1/(\sqrt V + \epsilon)`,
    :math:`\Delta w = -\frac{\varepsilon}{2}G\nabla U + \sqrt{\varepsilon G}\,\xi`; ``V`` starts at
    the squared gradient at the initial position. The :math:`\Gamma` correction is omitted.

    >>> import torch
    >>> pot = LocalizedPotential(lambda w, g: (0.5 * (w**2).sum(-1), w), 1.0, 1.0,
    ...                          torch.zeros(2))
    >>> alg = rmsprop_sgld(pot, 0.01)
    >>> state, info = alg.step(torch.Generator().manual_seed(0), alg.init(torch.ones(3, 2)))
    >>> info.acceptance_prob is None
    True
    """
    if not 0.0 <= alpha < 1.0:
        raise ValueError(f"alpha must be in [0, 1), got {alpha}")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps}")

    cache: dict[str, Tensor] = {}

    def init(position: Tensor, generator: torch.Generator | None = None) -> LangevinState:
        cache["eps"] = _as_column(step_size, position)
        dl, g = potential(position, generator)
        return LangevinState(position, dl, g, None, g * g)

    def step(generator: torch.Generator, state: LangevinState, diagnose: bool = True
             ) -> tuple[LangevinState, LangevinInfo]:
        precond = 1.0 / (state.precond_v.sqrt() + eps)
        prop, _ = langevin_proposal(generator, state.position, state.grad, cache["eps"],
                                    precond)
        dl, g = potential(prop, generator)
        v = torch.addcmul(state.precond_v * alpha, g, g, value=1.0 - alpha)
        gsq = (precond * g * g).sum(-1) if diagnose else None
        return LangevinState(prop, dl, g, None, v), LangevinInfo(None, None, gsq)

    return SamplingAlgorithm(init, step)


def mala(potential: Potential, step_size: float | Tensor) -> SamplingAlgorithm:
    r"""MALA: the Langevin proposal plus a Metropolis–Hastings test (Roberts & Tweedie 1996).

    Accept :math:`w'` with probability :math:`\min(1, e^{\log a})`, ``log a`` from
    :func:`mh_log_acceptance`; needs a full-batch potential (exact :math:`U`).

    >>> import torch
    >>> pot = LocalizedPotential(lambda w, g: (0.5 * (w**2).sum(-1), w), 1.0, 0.0,
    ...                          torch.zeros(1))
    >>> alg = mala(pot, 0.5)
    >>> state, info = alg.step(torch.Generator().manual_seed(0), alg.init(torch.zeros(2, 1)))
    >>> info.is_accepted.dtype
    torch.bool
    """
    if not potential.full_batch:
        raise ValueError("sampler='mala' needs the full-batch potential (batch_size=None or n)")

    cache: dict[str, Tensor] = {}

    def init(position: Tensor, generator: torch.Generator | None = None) -> LangevinState:
        cache["eps"] = eps = _as_column(step_size, position)
        cache["sqrt_eps"] = eps.sqrt()
        dl, g = potential(position, generator)
        return LangevinState(position, dl, g, potential.energy(position, dl))

    def step(generator: torch.Generator, state: LangevinState, diagnose: bool = True
             ) -> tuple[LangevinState, LangevinInfo]:
        eps = cache["eps"]
        prop, xi = langevin_proposal(generator, state.position, state.grad, eps,
                                     sqrt_eps=cache["sqrt_eps"])
        dl, g = potential(prop, generator)
        u = potential.energy(prop, dl)
        log_a = mh_log_acceptance(state.potential, state.grad, u, g, xi, eps)
        log_unif = torch.log(torch.rand(log_a.shape, generator=generator, dtype=log_a.dtype,
                                        device=log_a.device))
        acc = log_unif < log_a
        col = acc.unsqueeze(-1)
        new = LangevinState(
            torch.where(col, prop, state.position),
            torch.where(acc, dl, state.loss),
            torch.where(col, g, state.grad),
            torch.where(acc, u, state.potential),
        )
        gsq = (new.grad * new.grad).sum(-1) if diagnose else None
        return new, LangevinInfo(_accept_prob(log_a), acc, gsq)

    return SamplingAlgorithm(init, step)


SAMPLERS: dict[str, Callable[..., SamplingAlgorithm]] = {
    "sgld": sgld,
    "rmsprop_sgld": rmsprop_sgld,
    "mala": mala,
}
