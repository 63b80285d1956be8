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
  :math:`\alpha` near 1. The stationary law is then not the target: on a regular quadratic
  the LLC read 12–24 % high where SGLD's discretisation bias was 2 %, so every estimate by it
  fails its diagnostics (:data:`~slttheory.sampling.chains.RMSPROP_WARNING`).
* ``sghmc``: stochastic-gradient Hamiltonian Monte Carlo (Chen, Fox & Guestrin 2014), a
  momentum :math:`v` with friction :math:`\alpha` (:func:`sghmc`); :math:`\alpha = 1` is
  ``sgld``.
* ``mala``: the same proposal with :math:`G=I`, followed by a Metropolis–Hastings test, so the
  invariant law is exactly :math:`\pi` (Roberts & Tweedie 1996). A NaN energy difference
  counts as a rejection (blackjax ``proposal.safe_energy_diff``).

States cache the potential and its gradient at the current position, so each step costs one
vectorised gradient evaluation (blackjax ``MALAState``).

:class:`PreconditionedPotential` runs any of them in the coordinates :math:`z` of
:math:`w = w^* + Lz` (a constant preconditioner :math:`G = LL^\top`, exact).
:func:`fused_kernel` is the same kernels with each step traced once into one graph of tensor
operations (what the estimator uses), run by TorchScript where that gives the same bits; the
update formulas exist once (``_sgld_move``, ``_mala_move``, ``_rms_move``, ``_sghmc_move``) and
both paths call them.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

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
    "jittered_step",
    "sgld",
    "rmsprop_sgld",
    "sghmc",
    "SGHMC_FRICTION",
    "mala",
    "SAMPLERS",
    "PreconditionedPotential",
    "fused_kernel",
    "Noise",
]


class Potential(Protocol):
    """``potential(position, generator) -> (delta_loss (K,), grad_U (K, d))`` and
    ``potential.energy(position, delta_loss) -> U (K,)``.

    Optionally (what :func:`fused_kernel` needs to trace a step): ``draw(generator, rows)``
    returns the data of one step for ``rows`` chains (minibatch indices, or anything for full
    batch) and ``evaluate(position, batch)`` is the pure evaluation on it, with
    ``potential(position, generator) == evaluate(position, draw(generator, len(position)))``."""

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
    With ``batch_sampler`` (``(generator, rows) -> batch``, e.g. minibatch indices) it is
    drawn outside: ``loss_and_grad(position, batch)`` then is a pure function of its inputs,
    which lets :func:`fused_kernel` trace whole steps. ``nbeta`` is a scalar or a ``(K,)``
    tensor (one inverse temperature per chain, used by the multi-temperature estimator).
    ``center`` (:math:`w^*`, ``(d,)`` or one row per chain) is also where chains start.

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
        loss_and_grad: Callable[[Tensor, Any], tuple[Tensor, Tensor]],
        nbeta: float | Tensor,
        localization: float,
        center: Tensor,
        full_batch: bool = True,
        *,
        batch_sampler: Callable[[torch.Generator | None, int], Any] | None = None,
    ) -> None:
        if not callable(loss_and_grad):
            raise TypeError(f"loss_and_grad must be callable, got {loss_and_grad!r}")
        if not isinstance(center, Tensor) or not center.is_floating_point():
            raise TypeError(f"center must be a floating-point tensor, got {center!r}")
        if isinstance(nbeta, bool) or not isinstance(nbeta, int | float | Tensor):
            raise TypeError(f"nbeta must be a number or a tensor, got {nbeta!r}")
        self.loss_and_grad = loss_and_grad
        nb = torch.as_tensor(nbeta, dtype=center.dtype, device=center.device)
        if not bool(torch.isfinite(nb).all() & (nb > 0).all()):
            raise ValueError(f"nbeta must be > 0 and finite, got {nbeta}")
        if isinstance(localization, bool) or not isinstance(localization, int | float) or \
                not math.isfinite(localization) or localization < 0:
            raise ValueError(f"localization must be a finite number >= 0, got {localization!r}")
        self.nbeta = nb
        self._nbeta_col = nb.reshape(-1, 1) if nb.ndim == 1 else nb
        self.localization = float(localization)
        self.center = center
        self.full_batch = full_batch
        self.batch_sampler = batch_sampler
        self._graphs: dict = {}

    @property
    def traceable(self) -> bool:
        """Whether a step is a pure function of position, drawn batch and noise."""
        return self.full_batch or self.batch_sampler is not None

    def draw(self, generator: torch.Generator | None, rows: int) -> Any:
        """The data of one evaluation of ``rows`` chains: minibatch indices from
        ``batch_sampler``, else the generator itself (passed on to ``loss_and_grad``)."""
        if self.batch_sampler is None:
            return generator
        return self.batch_sampler(generator, rows)

    def evaluate(self, position: Tensor, batch: Any) -> tuple[Tensor, Tensor]:
        """``(ΔL, ∇U)`` on the drawn ``batch`` (see :meth:`draw`)."""
        dl, g = self.loss_and_grad(position, batch)
        if not self.localization:
            return dl, self._nbeta_col * g
        diff = position - self.center
        if self.localization != 1.0:
            diff = diff * self.localization
        return dl, torch.addcmul(diff, self._nbeta_col, g)

    def __call__(
        self, position: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        return self.evaluate(position, self.draw(generator, position.shape[0]))

    def energy(self, position: Tensor, delta_loss: Tensor) -> Tensor:
        """:math:`U = n\\beta\\,\\Delta L + \\frac{\\gamma}{2}\\lVert w - w^*\\rVert^2`."""
        diff = position - self.center
        return self.nbeta * delta_loss + (0.5 * self.localization) * (diff * diff).sum(-1)


class PreconditionedPotential:
    r"""A potential in the coordinates :math:`z` of :math:`w = w^* + Lz` (constant ``L``).

    Langevin dynamics with identity preconditioner on :math:`\tilde U(z) = U(w^* + Lz)`
    (gradient :math:`L^\top\nabla U`) is, mapped back by :math:`w = w^* + Lz`, Langevin
    dynamics on :math:`U` with the constant preconditioner :math:`G = LL^\top`:
    :math:`w' = w - \tfrac{\varepsilon}{2}G\nabla U + \sqrt{\varepsilon}L\xi`. A linear change
    of variables has a constant Jacobian, so the invariant law of the exact dynamics (and
    MALA's target) is :math:`\pi` itself and no correction term :math:`\Gamma` arises
    (Girolami & Calderhead 2011, eq. 10, with :math:`G` constant); SGLD's and MALA's
    step size, MH test and bias proxy :math:`\tfrac{\varepsilon}{8}\nabla\tilde U^\top
    \nabla\tilde U = \tfrac{\varepsilon}{8}\nabla U^\top G\nabla U` apply unchanged in
    :math:`z`. ``factor``: ``(d,)`` (diagonal ``L``), ``(d, d)`` (dense ``L``), or one per
    group of rows, ``(P, d)`` / ``(P, d, d)`` with ``groups=P`` for ``P`` points of
    ``rows // P`` chains each. Chains start at :math:`z = 0` (``center``).

    >>> import torch
    >>> base = LocalizedPotential(lambda w, g: (0.5 * (w * w).sum(-1), w), nbeta=4.0,
    ...                           localization=0.0, center=torch.zeros(1))
    >>> pot = PreconditionedPotential(base, torch.tensor([0.5]))  # L = 1/sqrt(4)
    >>> dl, gz = pot(torch.tensor([[2.0]]))   # w = 1: U = 2 w^2, grad_z = L * 4 w = 2
    >>> dl, gz
    (tensor([0.5000]), tensor([[2.]]))
    """

    def __init__(self, base: LocalizedPotential, factor: Tensor, *,
                 groups: int | None = None) -> None:
        want = 1 if groups is None else 2
        if factor.ndim not in (want, want + 1) or (groups is not None
                                                   and factor.shape[0] != groups):
            raise ValueError(
                f"factor must have shape (d,) or (d, d) (groups=None), or (P, d) or (P, d, d) "
                f"with P = groups; got {tuple(factor.shape)} with groups={groups}"
            )
        self.base = base
        self.full_batch = base.full_batch
        self.batch_sampler = getattr(base, "batch_sampler", None)
        self.nbeta = base.nbeta
        self.localization = base.localization
        self.groups = groups
        self.dense = factor.ndim == want + 1
        self.factor = factor.to(base.center).contiguous()  # one memory layout: one rounding
        self._factor_t = self.factor.transpose(-1, -2).contiguous() if self.dense else None
        self.center = torch.zeros_like(base.center)
        self._graphs: dict = {}

    @property
    def traceable(self) -> bool:
        return getattr(self.base, "traceable", self.full_batch)

    def draw(self, generator: torch.Generator | None, rows: int) -> Any:
        return self.base.draw(generator, rows)

    def _apply(self, z: Tensor, transposed: bool) -> Tensor:
        """``z @ L^T`` (position) or, ``transposed``, ``g @ L`` (gradient), row-wise."""
        f = self.factor
        if not self.dense:
            if self.groups is not None:
                return (z.view(self.groups, -1, f.shape[-1]) * f.unsqueeze(1)).view(z.shape)
            return z * f
        m = f if transposed else self._factor_t
        if self.groups is not None:
            return torch.bmm(z.view(self.groups, -1, f.shape[-1]), m).view(z.shape)
        return z @ m

    def to_position(self, z: Tensor) -> Tensor:
        """:math:`w = w^* + Lz`."""
        return self.base.center + self._apply(z, transposed=False)

    def evaluate(self, z: Tensor, batch: Any) -> tuple[Tensor, Tensor]:
        dl, g = self.base.evaluate(self.to_position(z), batch)
        return dl, self._apply(g, transposed=True)

    def __call__(self, z: Tensor, generator: torch.Generator | None = None
                 ) -> tuple[Tensor, Tensor]:
        return self.evaluate(z, self.draw(generator, z.shape[0]))

    def energy(self, z: Tensor, delta_loss: Tensor) -> Tensor:
        return self.base.energy(self.to_position(z), delta_loss)


class LangevinState(NamedTuple):
    """Position ``(K, d)`` with ΔL ``(K,)`` and ∇U ``(K, d)`` cached there.

    ``potential`` (U, ``(K,)``) is cached by MALA only (``None`` otherwise: SGLD computes it
    on demand for its diagnostic); ``precond_v`` is RMSProp's running mean of squared
    gradients (``None`` otherwise); ``nonfinite`` (MALA) counts, per chain, the proposals
    rejected because their loss was NaN/Inf (a chain of SGLD would have diverged there);
    ``momentum`` is SGHMC's velocity ``(K, d)`` (``None`` otherwise).
    """

    position: Tensor
    loss: Tensor
    grad: Tensor
    potential: Tensor | None = None
    precond_v: Tensor | None = None
    nonfinite: Tensor | None = None
    momentum: Tensor | None = None


class LangevinInfo(NamedTuple):
    """What a step reports (not carried forward).

    ``acceptance_prob``: MH acceptance probability of the proposal (MALA: used; SGLD:
    diagnostic only; ``None`` where not computed); ``is_accepted``: bool ``(K,)`` or ``None``;
    ``grad_sq``: :math:`\\nabla U^\\top G \\nabla U` at the new position, whose mean times
    ε/8 estimates the discretisation bias of λ̂ (see :mod:`slttheory.sampling.calibrate`);
    SGHMC reports it divided by :math:`2 - \\alpha`, so that the same estimate holds for it
    (:func:`sghmc`).
    Steps called with ``diagnose=False`` leave ``acceptance_prob`` and ``grad_sq`` ``None``
    (MALA still reports ``is_accepted``).
    """

    acceptance_prob: Tensor | None
    is_accepted: Tensor | None
    grad_sq: Tensor | None


class SamplingAlgorithm(NamedTuple):
    """``init(position) -> state`` and ``step(generator, state) -> (state, info)``.

    ``flush`` (``None`` for most kernels): where a step may be called with
    ``diagnose="defer"``, it computes the diagnostics of every deferred step since the last
    flush in one vectorised evaluation, ``(grad_sq, acceptance_prob or None)``, each
    ``(steps, K)`` in step order (:func:`fused_kernel` with SGLD). ``block`` (``None`` for
    most kernels): ``block(generator, state, k)`` runs ``k`` steps exactly as ``k`` calls
    of ``step(generator, state, False)`` would, returning ``(state, ΔL of each step (K, k))``,
    or ``None`` where it cannot (the caller then steps one by one; :func:`fused_kernel`)."""

    init: Callable[..., LangevinState]
    step: Callable[..., tuple[LangevinState, LangevinInfo]]
    flush: Callable[[], tuple[Tensor, Tensor | None]] | None = None
    block: Callable[..., tuple[LangevinState, Tensor] | None] | None = None


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

    >>> import torch
    >>> w, grad, eps = torch.ones(3, 2), torch.full((3, 2), 2.0), torch.full((3, 1), 0.25)
    >>> prop, xi = langevin_proposal(torch.Generator().manual_seed(0), w, grad, eps)
    >>> prop.shape, bool(torch.allclose(prop, w - 0.25 + 0.5 * xi))   # ε/2·∇U = 0.25, √ε = 0.5
    (torch.Size([3, 2]), True)
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


# ----------------------------------------------------------------------------- moves
# One transition of each kernel as a pure function of the state, the drawn noise and the
# evaluation ``ev(position) -> (ΔL, ∇U)`` on this step's data; the blackjax-style kernels below
# and :func:`fused_kernel` both call these, so there is one copy of every update formula.


def _sgld_move(ev, pos, grad, xi, eps, sqrt_eps):
    prop = torch.addcmul(torch.addcmul(pos, grad, eps, value=-0.5), xi, sqrt_eps)
    dl, g = ev(prop)
    return prop, dl, g


def _sgld_diag(energy, pos, dl0, grad, prop, dl, g, xi, eps, mh):
    """``(grad_sq, MH acceptance probability or None)`` of an SGLD move."""
    acc = None
    if mh:
        acc = _accept_prob(mh_log_acceptance(energy(pos, dl0), grad, energy(prop, dl), g, xi,
                                             eps))
    return (g * g).sum(-1), acc


def _mala_move(ev, energy, pos, dl0, grad, u0, nonfinite, xi, unif, eps, sqrt_eps,
               coef=None):
    prop = torch.addcmul(torch.addcmul(pos, grad, eps, value=-0.5), xi, sqrt_eps)
    dl, g = ev(prop)
    u = energy(prop, dl)
    # mh_log_acceptance expanded: with s = ∇U(w) + ∇U(w'), c = √ε/2,
    # -|−ξ + c s|²/2 + |ξ|²/2 = c ξ·s − (c²/2) |s|²  (fewer operations per step);
    # coef = (c, c²/2), each (K,)
    c, c2 = _mala_coef(sqrt_eps) if coef is None else coef
    sg = grad + g
    log_a = (u0 - u) + c * (xi * sg).sum(-1) - c2 * (sg * sg).sum(-1)
    acc = torch.log(unif) < log_a  # NaN (a NaN loss at w') compares False: rejected
    col = acc.unsqueeze(-1)
    nf = nonfinite + ((u - u) != 0)  # NaN or ±Inf energy
    return (torch.where(col, prop, pos), torch.where(acc, dl, dl0), torch.where(col, g, grad),
            torch.where(acc, u, u0), nf, acc, log_a)


def _mala_coef(sqrt_eps: Tensor) -> tuple[Tensor, Tensor]:
    c = 0.5 * sqrt_eps.reshape(-1)
    return c, 0.5 * c * c


def _mala_diag(new_grad, log_a):
    """``(grad_sq, acceptance probability)`` of a MALA step."""
    return (new_grad * new_grad).sum(-1), _accept_prob(torch.nan_to_num(log_a, nan=-math.inf))


def _rms_move(ev, pos, grad, v, xi, eps, alpha, rms_eps):
    precond = 1.0 / (v.sqrt() + rms_eps)
    prop = pos - (0.5 * eps) * precond * grad + (eps * precond).sqrt() * xi
    dl, g = ev(prop)
    return prop, dl, g, torch.addcmul(v * alpha, g, g, value=1.0 - alpha)


def _rms_diag(v_old, g, rms_eps):
    """:math:`\nabla U^\top G\nabla U` with the preconditioner ``G`` of the move."""
    return (g * g / (v_old.sqrt() + rms_eps)).sum(-1)


def _sghmc_move(ev, pos, grad, v, xi, eps, friction):
    v_new = (1.0 - friction) * v - (0.5 * eps) * grad + (friction * eps).sqrt() * xi
    prop = pos + v_new
    dl, g = ev(prop)
    return prop, dl, g, v_new


def _sghmc_diag(g, friction):
    """:math:`\\lVert\\nabla U\\rVert^2 / (2 - \\alpha)`: SGLD's bias estimate holds with it."""
    return (g * g).sum(-1) / (2.0 - friction)


def _check_friction(friction: float) -> float:
    if isinstance(friction, bool) or not isinstance(friction, int | float) or not (
            0.0 < friction <= 1.0):
        raise ValueError(f"friction must be a number in (0, 1], got {friction!r}")
    return float(friction)


def _check_rms(alpha: float, eps: float) -> None:
    if not 0.0 <= alpha < 1.0:
        raise ValueError(f"alpha must be in [0, 1), got {alpha}")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps}")


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
        pos = state.position
        xi = torch.randn(pos.shape, generator=generator, dtype=pos.dtype, device=pos.device)
        eps_ = cache["eps"]
        prop, dl, g = _sgld_move(lambda w: potential(w, generator), pos, state.grad, xi, eps_,
                                 cache["sqrt_eps"])
        gsq = acc = None
        if diagnose:
            gsq, acc = _sgld_diag(potential.energy, pos, state.loss, state.grad, prop, dl, g, xi,
                                  eps_, mh)
        return LangevinState(prop, dl, g), LangevinInfo(acc, None, gsq)

    return SamplingAlgorithm(init, step)


def rmsprop_sgld(potential: Potential, step_size: float | Tensor, *, alpha: float = 0.99,
                 eps: float = 0.1) -> SamplingAlgorithm:
    r"""RMSProp-preconditioned SGLD (Li et al. 2016, pSGLD; devinterp ``rmsprop_sgld``).

    :math:`V \leftarrow \alpha V + (1-\alpha)\nabla U^2`, :math:`G = 1/(\sqrt V + \epsilon)`,
    :math:`\Delta w = -\frac{\varepsilon}{2}G\nabla U + \sqrt{\varepsilon G}\,\xi`; ``V`` starts at
    the squared gradient at the initial position. The :math:`\Gamma` correction is omitted.
    Because :math:`G` depends on the chain's past, the chain is not Markov in :math:`w` and
    :math:`\pi` is not exactly invariant even as :math:`\varepsilon\to 0` (kept for comparison
    with devinterp, not as a default).

    >>> import torch
    >>> pot = LocalizedPotential(lambda w, g: (0.5 * (w**2).sum(-1), w), 1.0, 1.0,
    ...                          torch.zeros(2))
    >>> alg = rmsprop_sgld(pot, 0.01)
    >>> state, info = alg.step(torch.Generator().manual_seed(0), alg.init(torch.ones(3, 2)))
    >>> info.acceptance_prob is None
    True
    """
    _check_rms(alpha, eps)
    cache: dict[str, Tensor] = {}

    def init(position: Tensor, generator: torch.Generator | None = None) -> LangevinState:
        cache["eps"] = _as_column(step_size, position)
        dl, g = potential(position, generator)
        return LangevinState(position, dl, g, None, g * g)

    def step(generator: torch.Generator, state: LangevinState, diagnose: bool = True
             ) -> tuple[LangevinState, LangevinInfo]:
        pos = state.position
        xi = torch.randn(pos.shape, generator=generator, dtype=pos.dtype, device=pos.device)
        prop, dl, g, v = _rms_move(lambda w: potential(w, generator), pos, state.grad,
                                   state.precond_v, xi, cache["eps"], alpha, eps)
        gsq = _rms_diag(state.precond_v, g, eps) if diagnose else None
        return LangevinState(prop, dl, g, None, v), LangevinInfo(None, None, gsq)

    return SamplingAlgorithm(init, step)


SGHMC_FRICTION = 0.1
"""SGHMC's default friction α: the momentum decays over about 1/α = 10 steps."""


def sghmc(potential: Potential, step_size: float | Tensor, *,
          friction: float = SGHMC_FRICTION) -> SamplingAlgorithm:
    r"""SGHMC: stochastic-gradient Hamiltonian Monte Carlo (Chen, Fox & Guestrin 2014,
    ICML, arXiv:1402.4102, eq. 15 with the noise estimate :math:`\hat\beta = 0`).

    .. math::

        v \leftarrow (1-\alpha)\,v - \tfrac{\varepsilon}{2}\nabla U(w)
        + \sqrt{\alpha\varepsilon}\,\xi,\qquad w \leftarrow w + v,

    the semi-implicit Euler discretisation (momentum first) of underdamped Langevin dynamics
    with time step :math:`h = \sqrt{\varepsilon/2}`, friction :math:`\alpha/h` and unit
    mass (v is h times the momentum), in units in which :math:`\alpha = 1` is exactly
    :func:`sgld` with the same ε. One gradient per step,
    like SGLD; the momentum carries a chain along flat directions for about
    :math:`1/\alpha` steps instead of a random walk. No Metropolis–Hastings test: on
    :math:`U = \tfrac a2 w^2` the stationary variance is
    :math:`1/(a\,(1 - \varepsilon a / (4(2-\alpha))))` (the discrete Lyapunov equation of
    the linear recursion; SGLD's at α = 1), so the discretisation bias is SGLD's divided by
    :math:`2-\alpha`, and ``grad_sq`` is reported divided by it (the estimator's bias estimate
    ε/8 · E ``grad_sq`` / λ then holds as for SGLD). Chains start at rest (v = 0).
    ``friction`` α ∈ (0, 1].

    >>> import torch
    >>> pot = LocalizedPotential(lambda w, g: (0.5 * (w**2).sum(-1), w), 1.0, 0.0,
    ...                          torch.zeros(1))
    >>> a, b = sghmc(pot, 0.1, friction=1.0), sgld(pot, 0.1)
    >>> s1, _ = a.step(torch.Generator().manual_seed(0), a.init(torch.ones(3, 1)))
    >>> s2, _ = b.step(torch.Generator().manual_seed(0), b.init(torch.ones(3, 1)))
    >>> bool(torch.allclose(s1.position, s2.position))
    True
    """
    friction = _check_friction(friction)
    cache: dict[str, Tensor] = {}

    def init(position: Tensor, generator: torch.Generator | None = None) -> LangevinState:
        cache["eps"] = _as_column(step_size, position)
        dl, g = potential(position, generator)
        return LangevinState(position, dl, g, momentum=torch.zeros_like(position))

    def step(generator: torch.Generator, state: LangevinState, diagnose: bool = True
             ) -> tuple[LangevinState, LangevinInfo]:
        pos = state.position
        xi = torch.randn(pos.shape, generator=generator, dtype=pos.dtype, device=pos.device)
        v = state.momentum if state.momentum is not None else torch.zeros_like(pos)
        prop, dl, g, v = _sghmc_move(lambda w: potential(w, generator), pos, state.grad, v, xi,
                                     cache["eps"], friction)
        gsq = _sghmc_diag(g, friction) if diagnose else None
        return LangevinState(prop, dl, g, momentum=v), LangevinInfo(None, None, gsq)

    return SamplingAlgorithm(init, step)


def mala(potential: Potential, step_size: float | Tensor, *, jitter: float = 0.0
         ) -> SamplingAlgorithm:
    r"""MALA: the Langevin proposal plus a Metropolis–Hastings test (Roberts & Tweedie 1996).

    Accept :math:`w'` with probability :math:`\min(1, e^{\log a})`, ``log a`` from
    :func:`mh_log_acceptance`; needs a full-batch potential (exact :math:`U`). ``jitter``: each
    step and chain uses :math:`\varepsilon e^{j(2u-1)}`, u ~ U(0, 1) drawn independently of
    the state (:func:`jittered_step`); 0 (default) is plain MALA.

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
    check_jitter(jitter)

    cache: dict[str, Tensor] = {}

    def init(position: Tensor, generator: torch.Generator | None = None) -> LangevinState:
        cache["eps"] = eps = _as_column(step_size, position)
        cache["sqrt_eps"] = eps.sqrt()
        dl, g = potential(position, generator)
        return LangevinState(position, dl, g, potential.energy(position, dl), None,
                             torch.zeros_like(dl))

    def step(generator: torch.Generator, state: LangevinState, diagnose: bool = True
             ) -> tuple[LangevinState, LangevinInfo]:
        pos = state.position
        xi = torch.randn(pos.shape, generator=generator, dtype=pos.dtype, device=pos.device)
        batch = (potential.draw(generator, pos.shape[0]) if hasattr(potential, "draw")
                 else generator)
        unif = torch.rand(pos.shape[:1], generator=generator, dtype=pos.dtype,
                          device=pos.device)
        ev = (lambda w: potential.evaluate(w, batch)) if hasattr(potential, "evaluate") else (
            lambda w: potential(w, generator))
        nf = state.nonfinite if state.nonfinite is not None else torch.zeros_like(state.loss)
        eps, sqrt_eps = cache["eps"], cache["sqrt_eps"]
        if jitter:
            eps = jittered_step(eps, torch.rand(pos.shape[:1], generator=generator,
                                                dtype=pos.dtype, device=pos.device), jitter)
            sqrt_eps = eps.sqrt()
        p, dl, g, u, nf, acc, log_a = _mala_move(ev, potential.energy, pos, state.loss,
                                                 state.grad, state.potential, nf, xi, unif,
                                                 eps, sqrt_eps)
        gsq = prob = None
        if diagnose:
            gsq, prob = _mala_diag(g, log_a)
        return LangevinState(p, dl, g, u, None, nf), LangevinInfo(prob, acc, gsq)

    return SamplingAlgorithm(init, step)


def jittered_step(eps: Tensor, u: Tensor, jitter: float) -> Tensor:
    r"""Per-chain step sizes :math:`\varepsilon_k e^{j(2u_k - 1)}`: log-uniform over
    :math:`[\varepsilon e^{-j}, \varepsilon e^{j}]` for u ~ U(0, 1).

    A step size drawn independently of the state leaves the target invariant: the step is a
    mixture over ε of MALA kernels, each reversible with respect to it (Neal 2011, *MCMC using
    Hamiltonian dynamics*, §5.4.2.2, for the same device in HMC). It helps where one ε cannot
    fit everywhere: near a singularity the curvature across the zero set grows without bound
    along it (:math:`K = u^2v^2`: curvature :math:`tu^2` in v), so a fixed ε is either
    rejected far out or slow near the crossing; the exact estimand check in
    ``benchmarks/estimand.py`` measures the difference.

    >>> import torch
    >>> e = jittered_step(torch.ones(2, 1, dtype=torch.float64),
    ...                   torch.tensor([0.5, 1.0], dtype=torch.float64), 1.0)
    >>> [round(v, 6) for v in e.flatten().tolist()]
    [1.0, 2.718282]
    """
    return eps * torch.exp(jitter * (2.0 * u - 1.0)).reshape(-1, 1)


def check_jitter(jitter: float, sampler: str = "mala", *, name: str = "jitter") -> float:
    """``jitter`` (reported as ``name``) checked: a finite number ≥ 0, and > 0 only with
    ``sampler == "mala"`` (a random step size leaves only a Metropolis-adjusted sampler's
    target unchanged); returned as a float."""
    if isinstance(jitter, bool) or not (isinstance(jitter, int | float)
                                        and math.isfinite(jitter) and jitter >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {jitter!r}")
    if jitter and sampler != "mala":
        raise ValueError(f"{name} needs sampler='mala' (full batch); the sampler here is "
                         f"{sampler!r}: a random step size leaves only a Metropolis-adjusted "
                         "sampler's target unchanged")
    return float(jitter)


SAMPLERS: dict[str, Callable[..., SamplingAlgorithm]] = {
    "sgld": sgld,
    "rmsprop_sgld": rmsprop_sgld,
    "sghmc": sghmc,
    "mala": mala,
}


# ----------------------------------------------------------------------------- fused steps


class Noise(Protocol):
    """Where :func:`fused_kernel` draws its noise from when not from the step's generator
    (the batched estimator draws each point's rows from that point's generator). A noise
    whose draws are exactly "``rows // P`` rows from each of ``P`` generators in turn" may say
    so with an attribute ``point_generators`` (the ``P`` generators); the kernel's
    ``block`` then draws the same numbers inside its loop (and checks that it does)."""

    def normal(self, like: Tensor) -> Tensor: ...

    def uniform(self, like: Tensor) -> Tensor: ...


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if not a.dtype.is_floating_point:
        return bool(torch.equal(a, b))
    tol = 1e-10 if a.dtype == torch.float64 else 1e-4
    return bool(torch.allclose(a, b, rtol=tol, atol=tol, equal_nan=True))


def _simplify(gm: Any) -> Any:
    """Drop what a traced step does not need to compute at run time: ``detach``, views and
    expansions to the same shape, ``x ** 1`` and ``x * 1`` (when nothing in the graph
    mutates in place), and every operation on constants alone (e.g. the seed
    ``ones_like(loss)`` of the backward pass and its expansions), evaluated once."""
    aten = torch.ops.aten
    graph = gm.graph
    nodes = [n for n in graph.nodes if n.op == "call_function"]
    mutates = any(getattr(getattr(n.target, "_schema", None), "is_mutable", False)
                  for n in nodes)
    views = {aten.view.default, aten.expand.default, aten._unsafe_view.default,
             aten.reshape.default, aten.detach.default, aten.alias.default}
    unit = {aten.pow.Tensor_Scalar, aten.mul.Scalar, aten.mul.Tensor, aten.div.Scalar,
            aten.div.Tensor}

    def meta(n: Any) -> Any:
        return n.meta.get("val") if isinstance(n, torch.fx.Node) else None

    def same(a: Any, b: Any) -> bool:
        va, vb = meta(a), meta(b)
        return (isinstance(va, Tensor) and isinstance(vb, Tensor) and va.shape == vb.shape
                and va.dtype == vb.dtype and va.stride() == vb.stride())

    for n in nodes:
        src = n.args[0] if n.args else None
        if not isinstance(src, torch.fx.Node) or not same(n, src):
            continue
        if n.target in views or (not mutates and n.target in unit and len(n.args) == 2
                                 and not isinstance(n.args[1], torch.fx.Node)
                                 and n.args[1] == 1):
            n.replace_all_uses_with(src)
    # common subexpressions (e.g. w - w* in both the gradient and the energy)
    def key(x: Any) -> Any:
        if isinstance(x, list | tuple):
            return tuple(key(y) for y in x)
        if isinstance(x, dict):
            return tuple(sorted((k, key(v)) for k, v in x.items()))
        hash(x)
        return x

    seen: dict[Any, Any] = {}
    for n in list(graph.nodes):
        if n.op == "call_function":
            schema = getattr(n.target, "_schema", None)
            if (schema is None or schema.is_mutable
                    or torch.Tag.nondeterministic_seeded in getattr(n.target, "tags", ())):
                continue
        elif n.op != "get_attr":
            continue
        try:
            k = (n.op, n.target, key(n.args), key(n.kwargs))
        except TypeError:
            continue
        if k in seen:
            n.replace_all_uses_with(seen[k])
        else:
            seen[k] = n
    # constant folding (deterministic, non-mutating ops whose tensor inputs are constants)
    const: dict[Any, Any] = {}
    likes = {aten.ones_like.default, aten.zeros_like.default, aten.full_like.default}
    for n in list(graph.nodes):
        if n.op == "get_attr":
            obj = gm
            for part in n.target.split("."):
                obj = getattr(obj, part)
            const[n] = obj
            continue
        if n.op != "call_function" or not n.users:
            continue
        schema = getattr(n.target, "_schema", None)
        tags = getattr(n.target, "tags", ())
        if schema is None or schema.is_mutable or torch.Tag.nondeterministic_seeded in tags:
            continue
        deps = list(n.all_input_nodes)
        if n.target in likes and deps and isinstance(meta(deps[0]), Tensor):
            v = meta(deps[0])
            first = torch.empty_strided(v.shape, v.stride(), dtype=v.dtype, device=v.device)
            rest = [const.get(x, x) for x in n.args[1:]]
            const[n] = n.target(first, *rest, **n.kwargs)
        elif deps and all(x in const for x in deps):
            args = torch.fx.node.map_arg(n.args, lambda x: const[x])
            kwargs = torch.fx.node.map_arg(n.kwargs, lambda x: const[x])
            const[n] = n.target(*args, **kwargs)
    for i, (n, value) in enumerate(const.items()):
        if n.op == "get_attr" or not isinstance(value, Tensor):
            continue
        if all(u in const for u in n.users):
            continue  # only feeds other constants: dropped below
        name = f"_folded{i}"
        gm.register_buffer(name, value)
        with graph.inserting_before(n):
            new = graph.get_attr(name)
        new.meta = dict(n.meta)
        n.replace_all_uses_with(new)
    graph.eliminate_dead_code()
    gm.recompile()
    _buffers_as_attributes(gm)
    return gm


def _buffers_as_attributes(gm: Any) -> None:
    """The constants registered on ``gm`` moved to plain instance attributes: the generated
    code reads them as ``self.<name>``, and a registered buffer goes through
    ``nn.Module.__getattr__`` (≈ 2 µs a read, 10 % of a tiny model's step); the graph is
    never moved or saved, so nothing needs the registry."""
    for name in list(gm._buffers):
        gm.__dict__[name] = gm._buffers.pop(name)


TALL_PRODUCT_RATIO = 20
"""A batched product ``bmm(A, B)`` in a traced step whose output (b, m, n) has
``m ≥ TALL_PRODUCT_RATIO · n`` is computed as ``bmm(Bᵀ, Aᵀ)ᵀ`` (:func:`_orient_products`)."""


def _rewrite_calls(gm: Any, rewrite: Callable[[Any, Any], Any]) -> Any:
    """``gm`` with each function call node ``n`` for which ``rewrite(graph, n)`` returns a
    node (inserted before ``n``) replaced by that node; recompiled if anything changed."""
    graph = gm.graph
    changed = False
    for n in list(graph.nodes):
        if n.op != "call_function":
            continue
        with graph.inserting_before(n):
            new = rewrite(graph, n)
        if new is None:
            continue
        n.replace_all_uses_with(new)
        graph.erase_node(n)
        changed = True
    if changed:
        graph.eliminate_dead_code()
        gm.recompile()
    return gm


def _orient_products(gm: Any) -> Any:
    r"""Each tall batched product ``bmm(A, B)`` in the step graph ``gm`` rewritten as
    ``bmm(Bᵀ, Aᵀ)ᵀ``: the same sums of the same products, returned as a transposed view.

    Under ``vmap`` a linear layer on n data becomes products of shape (K, n, k) × (K, k, h),
    n in the thousands, k and h the layer's widths, and these products are most of a small
    network's step. MKL's batched GEMM is slow on such tall, narrow outputs: on 2 cores of
    an AMD EPYC (torch 2.13, MKL 2024.2) the transposed product ran 0.98–7.6× as fast over
    13 shapes with m ≥ 20 n (K = 4–48, m = 50–10 000, k, h = 1–50; 2.3–5.8× for K = 12,
    m = 1000, k, h ≤ 10), and 0.1–1.6× as fast over 12 shapes without, which are left
    alone. The rule reads shapes only, so the graph, and the draws it makes, do not depend
    on timings. Eager steps (no graph) are not rewritten."""
    aten = torch.ops.aten

    def transposed(graph: Any, n: Any) -> Any:
        out = n.meta.get("val")
        if (n.target is not aten.bmm.default or not isinstance(out, Tensor) or out.dim() != 3
                or out.shape[1] < TALL_PRODUCT_RATIO * out.shape[2]):
            return None
        a, b = n.args
        bt = graph.call_function(aten.transpose.int, (b, 1, 2))
        at = graph.call_function(aten.transpose.int, (a, 1, 2))
        prod = graph.call_function(aten.bmm.default, (bt, at))
        res = graph.call_function(aten.transpose.int, (prod, 1, 2))
        for node, like in ((bt, b), (at, a)):
            if isinstance(like.meta.get("val"), Tensor):
                node.meta["val"] = like.meta["val"].transpose(1, 2)
        prod.meta["val"] = out.transpose(1, 2)
        res.meta = dict(n.meta)
        return res

    return _rewrite_calls(gm, transposed)


SHARED_OPERAND_MAX_ELEMENTS = 2**22
"""The largest constant operand (elements) :func:`_materialised_shared_operands` copies out."""


def _materialised_shared_operands(gm: Any) -> Any:
    r"""Each operand of a batched product ``bmm(A, B)`` in the step graph ``gm`` that is a
    constant repeated along the batch (stride 0: the data every chain shares, under
    ``vmap``) replaced by that constant copied out once, contiguous, at trace time.

    ATen's CPU ``bmm`` does not multiply such an operand as it is: it first makes a batch of
    copies, at every call. For the first linear layer's products with the data, the forward
    ``W_k xᵀ`` and the weight gradient ``xᵀ ∂h_k``, that copy costs more than the product: on 2
    cores of an AMD EPYC (torch 2.13) over 10 shapes (K = 4–48 chains, n = 200–5000 data,
    widths 2–20) the gradient took 0.99–6.7× (median 3.3×) and the forward 0.96–3.9× as long as
    with the copied-out operand. ``_orient_products`` runs first, so the operand copied is the
    one the product reads. Operands above :data:`SHARED_OPERAND_MAX_ELEMENTS` are left alone;
    the values multiplied are the same, in another memory layout, so the last bits of the
    sums can differ."""
    aten = torch.ops.aten
    views = {aten.transpose.int, aten.expand.default, aten.view.default, aten.permute.default,
             aten._unsafe_view.default, aten.t.default, aten.unsqueeze.default,
             aten.alias.default, aten.select.int, aten.slice.Tensor}

    def constant(node: Any) -> Tensor | None:
        """The value of ``node`` if it is a constant or views of one, else None."""
        if not isinstance(node, torch.fx.Node):
            return None
        if node.op == "get_attr":
            v = getattr(gm, node.target, None)
            return v if isinstance(v, Tensor) else None
        if node.op == "call_function" and node.target in views and not node.kwargs:
            base = constant(node.args[0])
            return None if base is None else node.target(base, *node.args[1:])
        return None

    graph = gm.graph
    copied: list[str] = []
    for n in list(graph.nodes):
        if n.op != "call_function" or n.target is not aten.bmm.default:
            continue
        args = list(n.args)
        for i, a in enumerate(args):
            v = constant(a)
            if (v is None or v.dim() != 3 or v.shape[0] < 2 or v.stride(0) != 0
                    or v.numel() > SHARED_OPERAND_MAX_ELEMENTS):
                continue
            name = f"_shared{len(copied)}"
            copied.append(name)
            gm.register_buffer(name, v.contiguous())
            with graph.inserting_before(n):
                node = graph.get_attr(name)
            if isinstance(a.meta.get("val"), Tensor):
                node.meta["val"] = a.meta["val"].contiguous()
            args[i] = node
        n.args = tuple(args)
    if copied:
        graph.eliminate_dead_code()
        gm.recompile()
        _buffers_as_attributes(gm)
    return gm


def _uniform_factors_as_scalars(gm: Any) -> Any:
    r"""Each product ``c * x`` in the step graph ``gm`` with ``c`` a constant whose entries
    are all equal (and which does not broadcast ``x`` to a larger shape) rewritten as
    ``x * c₀`` with the number ``c₀``; and ``(x * a) * b`` with numbers ``a``, ``b`` and no
    other use of ``x * a`` as ``x * (a·b)``.

    The backward pass of a mean over (K, n, p) outputs multiplies the residuals by a
    constant tensor of K·n·p equal entries (the folded seed of the gradient times 1/N):
    a second full-size operand to read, in a layout that need not match the residuals'.
    On 2 cores of an AMD EPYC (torch 2.13) that product took 56 µs for K = 12, n = 1000,
    p = 5 against 10 µs for the product with a number. ``x · (a·b)`` can differ from
    ``(x · a) · b`` in the last bit."""
    aten = torch.ops.aten
    mul = {aten.mul.Tensor, aten.mul.Scalar}

    def number(node: Any) -> float | None:
        """The one value of a constant of equal entries, or None."""
        if not isinstance(node, torch.fx.Node) or node.op != "get_attr":
            return None
        value = getattr(gm, node.target, None)
        if (not isinstance(value, Tensor) or not value.dtype.is_floating_point
                or value.numel() == 0 or value.requires_grad):
            return None
        first = value.reshape(-1)[0]
        return float(first) if bool((value == first).all()) else None

    def plain(v: Any) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool)

    def scalar_product(graph: Any, n: Any) -> Any:
        if n.target not in mul or len(n.args) != 2 or n.kwargs:
            return None
        out = n.meta.get("val")
        if not isinstance(out, Tensor):
            return None

        def like_out(v: Any) -> bool:
            """A node whose value has the product's shape and dtype (no broadcasting)."""
            val = v.meta.get("val") if isinstance(v, torch.fx.Node) else None
            return (isinstance(val, Tensor) and val.shape == out.shape
                    and val.dtype == out.dtype)

        for c, x in (n.args, n.args[::-1]):
            if not like_out(x):
                continue
            value = float(c) if plain(c) else number(c)
            if value is None:
                continue
            inner = x.args if x.op == "call_function" and x.target in mul else ()
            folds = (len(x.users) == 1 and not x.kwargs and len(inner) == 2
                     and plain(inner[1]) and like_out(inner[0]))
            if folds:
                x, value = inner[0], value * float(inner[1])  # (y * a) * b -> y * (a·b)
            elif plain(c):
                return None  # already a product with a number
            res = graph.call_function(aten.mul.Tensor, (x, value))
            res.meta = dict(n.meta)
            return res
        return None

    return _rewrite_calls(gm, scalar_product)


def _means_as_sums(gm: Any) -> Any:
    r"""Each floating-point ``mean`` in the step graph ``gm`` rewritten as its ``sum`` times
    ``1/N`` (N the number of reduced elements): the same sum, scaled by a multiplication.

    ATen's ``mean`` is a sum followed by an in-place division by N that first makes N a
    tensor (``to``, ``fill_``, ``copy_``): about 33 µs a call through TorchScript on 2 cores
    of an AMD EPYC, against 17 µs for the sum and the product, and a loss has two means
    (over outputs, over samples) — 15 % of the devinterp benchmark's 2-parameter regression
    step (torch profiler). ``x · (1/N)`` can differ from ``x / N`` in the last bit."""
    aten = torch.ops.aten

    def scaled_sum(graph: Any, n: Any) -> Any:
        if n.target not in (aten.mean.dim, aten.mean.default):
            return None
        x = n.args[0]
        xv = x.meta.get("val") if isinstance(x, torch.fx.Node) else None
        if (not isinstance(xv, Tensor) or not xv.dtype.is_floating_point
                or n.kwargs.get("dtype") is not None or xv.numel() == 0 or len(n.args) > 3):
            return None  # not a float tensor, or an explicit dtype
        dims = n.args[1] if len(n.args) > 1 else n.kwargs.get("dim")
        keep = bool(n.args[2] if len(n.args) > 2 else n.kwargs.get("keepdim", False))
        if n.target is aten.mean.default or not dims:
            dims = list(range(xv.dim()))
        count = math.prod(int(xv.shape[d]) for d in dims)
        total = graph.call_function(aten.sum.dim_IntList, (x, list(dims), keep))
        total.meta["val"] = xv.sum(list(dims), keepdim=keep)
        if count == 1:
            return total
        res = graph.call_function(aten.mul.Tensor, (total, 1.0 / count))
        res.meta = dict(n.meta)
        return res

    return _rewrite_calls(gm, scaled_sum)


STEP_REWRITES: tuple[Callable[[Any], Any], ...] = (
    _orient_products, _materialised_shared_operands, _uniform_factors_as_scalars,
    _means_as_sums)
"""The rewrites of a traced step graph for speed, applied in this order by :func:`_trace`;
each keeps the step's arithmetic up to the last bits. ``benchmarks/step_graphs.py`` times
every step graph of the model families with each of them left out."""


def _trace(fn: Callable, args: tuple,
           rewrites: tuple[Callable[[Any], Any], ...] | None = None) -> Callable | None:
    """``fn`` traced to one graph of aten ops (``make_fx`` with fake tensors) and returned as a
    callable with ``fn``'s signature (run by TorchScript where it reproduces the graph bit for
    bit, :func:`_scripted`), or ``None``.

    The graph replays the step's tensor operations without the per-operation cost of
    ``vmap``'s batching rules and the autograd engine (about 1.8× faster per step for the
    devinterp benchmark models on CPU). Fake-tensor tracing refuses Python control flow on
    tensor values (``if loss > 0``), so a model with such flow keeps the eager step; the
    graph is also checked against one eager evaluation and dropped when they disagree
    (e.g. a model that draws random numbers). The graph is rewritten for speed by
    ``rewrites`` (default :data:`STEP_REWRITES`); if the rewritten graph cannot run (a layout
    a later view cannot take) or disagrees with the eager step, the step is traced again
    and, if that plain graph agrees, runs unrewritten."""
    from torch.fx.experimental.proxy_tensor import make_fx

    def plain() -> Any:
        return _simplify(make_fx(fn, tracing_mode="fake", _allow_non_fake_inputs=True)(*args))

    def agrees(got: Any) -> bool:
        return len(ref) == len(got) and all(_same(r, g) for r, g in zip(ref, got, strict=True))

    passes = STEP_REWRITES if rewrites is None else rewrites
    try:
        gm = plain()
        ref = fn(*args)
    except Exception:  # noqa: BLE001  (an untraceable step, or one that fails: stay eager)
        return None
    if passes:
        try:
            fast = gm
            for apply in passes:
                fast = apply(fast)
            if agrees(fast(*args)):
                return _scripted(fast, args) or fast.forward  # skip nn.Module's hooks
        except Exception:  # noqa: BLE001  (a failed rewrite: the plain graph below)
            pass
        try:
            gm = plain()  # afresh: the rewrites changed the first graph in place
        except Exception:  # noqa: BLE001
            return None
    try:
        ok = agrees(gm(*args))
    except Exception:  # noqa: BLE001
        return None
    return (_scripted(gm, args) or gm.forward) if ok else None


SCRIPT_CHECK_CALLS = 3
"""Calls of a scripted step graph compared with its FX graph before it is used: TorchScript's
executor profiles the first calls and may re-plan after them."""


def _scripted(gm: Any, args: tuple) -> Callable | None:
    r"""The step graph ``gm`` run by TorchScript's C++ executor, or ``None``.

    The FX graph replays its aten operations from Python, at a few microseconds each; for a
    small model that is most of a step (the devinterp benchmark's linear regression: 150 µs
    per MALA step, 60 µs scripted, 2 CPU cores). ``torch.jit.trace`` records the same aten
    calls and runs them without the interpreter; the result is kept only if it is *bitwise*
    equal to the FX graph's on ``args`` after :data:`SCRIPT_CHECK_CALLS` calls, so the
    samplers' draws do not depend on which executor ran them. Arguments that are ``None``
    or tuples of tensors (the call's signature fixes which) are flattened around it."""
    flat: list[Tensor] = []
    spec: list[int | None] = []  # None: the argument is None; k >= 0: k tensors (a tuple)
    for a in args:
        if a is None:
            spec.append(None)
        elif isinstance(a, Tensor):
            spec.append(0)
            flat.append(a)
        elif isinstance(a, tuple) and a and all(isinstance(b, Tensor) for b in a):
            spec.append(len(a))
            flat.extend(a)
        else:
            return None
    forward = gm.forward

    def rebuilt(*xs: Tensor) -> Any:
        out, i = [], 0
        for k in spec:
            if k is None:
                out.append(None)
            elif k == 0:
                out.append(xs[i])
                i += 1
            else:
                out.append(tuple(xs[i:i + k]))
                i += k
        return forward(*out)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # TracerWarnings, deprecation notices
            script = torch.jit.trace(rebuilt, tuple(flat), check_trace=False)
            ref = forward(*args)
            for _ in range(SCRIPT_CHECK_CALLS):
                got = script(*flat)
            if not isinstance(got, tuple) or len(got) != len(ref) or not all(
                    r.shape == g.shape and r.dtype == g.dtype and torch.equal(r, g)
                    for r, g in zip(ref, got, strict=True)):
                return None
    except Exception:  # noqa: BLE001  (TorchScript absent or unable: the FX graph runs)
        return None

    def call(*a: Any) -> Any:
        xs: list[Tensor] = []
        for v, k in zip(a, spec, strict=True):
            if k == 0:
                xs.append(v)
            elif k:
                xs.extend(v)
        return script(*xs)

    tensor_at = [i for i, k in enumerate(spec) if k == 0]
    if len(tensor_at) < 2 or len(tensor_at) != len(flat):
        out = call
    else:
        pick = operator.itemgetter(*tensor_at)  # no tuple arguments: the tensors in one C call
        out = lambda *a: script(*pick(a))  # noqa: E731  (a plain function: attributes below)
    # for :func:`_step_loop`: the TorchScript function and which arguments it takes
    out.script, out.spec = script, tuple(spec)  # type: ignore[attr-defined]
    return out


# The argument layouts (``_scripted``'s spec: 0 a tensor, None absent, k a k-tuple) of the step
# graphs that :func:`_step_loop` can repeat, in ``move``'s order (position, ΔL, ∇U, extra,
# non-finite count, normal draws, uniforms, minibatch, ε, √ε, MALA's coefficients, jitter).
_LOOP_LAYOUTS: dict[tuple, str] = {
    (0, 0, 0, None, None, 0, None, None, 0, 0, None, None): "sgld",
    (0, 0, 0, 0, 0, 0, 0, None, 0, 0, 2, None): "mala",
    (0, 0, 0, 0, 0, 0, 0, None, 0, None, None, 0): "mala_jitter",
}


def _draw_normal(x: Tensor, gens: list[torch.Generator], rows: int) -> None:
    """``x``'s rows, ``rows`` per generator in order, from standard normals: the same numbers
    as ``torch.randn`` per group of rows (or as one ``normal_`` with one generator)."""
    if len(gens) == 1:  # one generator: the whole buffer (no views, ~3 µs a draw less)
        x.normal_(generator=gens[0])
        return
    v = x.view(len(gens), rows, -1)
    for i in range(len(gens)):
        v[i].normal_(generator=gens[i])


def _draw_uniform(x: Tensor, gens: list[torch.Generator], rows: int) -> None:
    if len(gens) == 1:
        x.uniform_(generator=gens[0])
        return
    v = x.view(len(gens), rows)
    for i in range(len(gens)):
        v[i].uniform_(generator=gens[i])


def _sgld_loop(fn: Callable) -> Callable:
    def loop(pos: Tensor, dl: Tensor, grad: Tensor, xi: Tensor, eps: Tensor,
             sqrt_eps: Tensor, gens: list[torch.Generator], rows: int,
             k: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        losses: list[Tensor] = []
        for _ in range(k):
            _draw_normal(xi, gens, rows)
            pos, dl, grad = fn(pos, dl, grad, xi, eps, sqrt_eps)
            losses.append(dl)
        return pos, dl, grad, torch.stack(losses, 1)
    return torch.jit.script(loop)


def _mala_loop(fn: Callable) -> Callable:
    def loop(pos: Tensor, dl: Tensor, grad: Tensor, u: Tensor, nf: Tensor, xi: Tensor,
             unif: Tensor, eps: Tensor, sqrt_eps: Tensor, c0: Tensor, c1: Tensor,
             gens: list[torch.Generator], rows: int,
             k: int) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        losses: list[Tensor] = []
        for _ in range(k):
            _draw_normal(xi, gens, rows)
            _draw_uniform(unif, gens, rows)
            pos, dl, grad, u, nf, _acc, _log_a = fn(pos, dl, grad, u, nf, xi, unif, eps,
                                                   sqrt_eps, c0, c1)
            losses.append(dl)
        return pos, dl, grad, u, nf, torch.stack(losses, 1)
    return torch.jit.script(loop)


def _mala_jitter_loop(fn: Callable) -> Callable:
    def loop(pos: Tensor, dl: Tensor, grad: Tensor, u: Tensor, nf: Tensor, xi: Tensor,
             unif: Tensor, eps: Tensor, jit: Tensor, gens: list[torch.Generator], rows: int,
             k: int) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        losses: list[Tensor] = []
        for _ in range(k):
            _draw_normal(xi, gens, rows)
            _draw_uniform(unif, gens, rows)
            _draw_uniform(jit, gens, rows)
            pos, dl, grad, u, nf, _acc, _log_a = fn(pos, dl, grad, u, nf, xi, unif, eps, jit)
            losses.append(dl)
        return pos, dl, grad, u, nf, torch.stack(losses, 1)
    return torch.jit.script(loop)


_LOOPS = {"sgld": _sgld_loop, "mala": _mala_loop, "mala_jitter": _mala_jitter_loop}


def _step_loop(graph: Callable) -> Callable | None:
    r"""Steps of the scripted step ``graph`` repeated in one TorchScript loop, or ``None``.

    A traced step of a small model costs about as much in Python around it (the call from
    Python into TorchScript, the draws, the state) as in its graph: the devinterp benchmark's
    2-parameter regression takes 86 µs a step one call at a time and 48 µs inside a scripted
    loop (SGLD, 4 chains, 2 CPU cores). The loop ``loop(*tensors, gens, rows, k)`` draws what
    :func:`fused_kernel`'s step draws, in its order (normal ``(K, d)``, then MALA's uniforms,
    then the jitter's), ``rows`` rows from each generator of ``gens`` in turn, into the
    step's buffers, and calls the same TorchScript function; :func:`fused_kernel` checks it
    bit for bit against its own steps before using it. Only the plain full-batch layouts of
    SGLD and MALA (with or without jitter) have a loop (:data:`_LOOP_LAYOUTS`)."""
    script, spec = getattr(graph, "script", None), getattr(graph, "spec", None)
    kind = _LOOP_LAYOUTS.get(spec) if script is not None else None
    if kind is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _LOOPS[kind](script)
    except Exception:  # noqa: BLE001  (TorchScript unable: one graph call per step)
        return None


def fused_kernel(sampler: str, potential: Potential, step_size: float | Tensor, *,
                 noise: Noise | None = None, trace: bool = True, alpha: float = 0.99,
                 eps: float = 0.1, jitter: float = 0.0,
                 friction: float = SGHMC_FRICTION) -> SamplingAlgorithm:
    r"""The kernel ``SAMPLERS[sampler]`` with each step one traced graph (same updates).

    Each step draws its noise as the kernel does (normal ``(K, d)``, then the potential's
    minibatch, then MALA's uniforms, from the generator or from ``noise``) and runs the
    update of :func:`sgld`, :func:`mala`, :func:`rmsprop_sgld` or :func:`sghmc` (``friction``
    α; the same functions) as one
    ``make_fx`` graph per shape, cached on the potential and reused for every step size (ε is
    an input). Needs a potential with ``evaluate``/``draw`` (:class:`LocalizedPotential`,
    :class:`PreconditionedPotential`); otherwise, or when tracing fails, the step runs
    eagerly. ``info.grad_sq`` and ``info.acceptance_prob`` are computed (eagerly, from the
    step's outputs) on ``diagnose`` steps only. ``block(generator, state, k)`` makes ``k``
    undiagnosed steps in one TorchScript loop over the same graph (:func:`_step_loop`; SGLD
    and MALA at full batch, with the generator or with a noise that names its
    ``point_generators``), kept after its first run equals the steps made one by one bit for
    bit, else ``None``. ``jitter`` (MALA only): a step size
    :func:`jittered_step` per step and chain, its uniforms drawn after MALA's.

    >>> import torch
    >>> pot = LocalizedPotential(lambda w, g: (0.5 * (w**2).sum(-1), w), 1.0, 0.0,
    ...                          torch.zeros(1))
    >>> a, b = fused_kernel("sgld", pot, 0.1), sgld(pot, 0.1)
    >>> s1, _ = a.step(torch.Generator().manual_seed(0), a.init(torch.ones(3, 1)))
    >>> s2, _ = b.step(torch.Generator().manual_seed(0), b.init(torch.ones(3, 1)))
    >>> bool(torch.allclose(s1.position, s2.position))
    True
    """
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {sorted(SAMPLERS)}, got {sampler!r}")
    if sampler == "mala" and not potential.full_batch:
        raise ValueError("sampler='mala' needs the full-batch potential (batch_size=None or n)")
    if sampler == "rmsprop_sgld":
        _check_rms(alpha, eps)
    if sampler == "sghmc":
        friction = _check_friction(friction)
    check_jitter(jitter, sampler)
    pure = hasattr(potential, "evaluate") and hasattr(potential, "draw")
    plain_full = potential.full_batch and getattr(potential, "batch_sampler", None) is None
    can_trace = trace and pure and bool(getattr(potential, "traceable", False))
    graphs: dict = getattr(potential, "_graphs", {})
    mh = sampler == "sgld" and potential.full_batch
    energy = potential.energy
    cache: dict[str, Tensor] = {}

    def move(pos, dl0, grad, extra, nf, xi, unif, batch, eps_, sqrt_eps, coef, jit):
        if jit is not None:  # MALA's jittered step size, inside the graph (fewer eager ops)
            eps_ = jittered_step(eps_, jit, jitter)
            sqrt_eps = eps_.sqrt()
            coef = _mala_coef(sqrt_eps)

        def ev(w: Tensor) -> tuple[Tensor, Tensor]:
            return potential.evaluate(w, batch) if pure else potential(w, batch)

        if sampler == "sgld":
            return _sgld_move(ev, pos, grad, xi, eps_, sqrt_eps)
        if sampler == "mala":
            return _mala_move(ev, energy, pos, dl0, grad, extra, nf, xi, unif, eps_, sqrt_eps,
                              coef)
        if sampler == "sghmc":
            return _sghmc_move(ev, pos, grad, extra, xi, eps_, friction)
        return _rms_move(ev, pos, grad, extra, xi, eps_, alpha, eps)

    def compiled(args: tuple) -> Callable | None:
        if not can_trace:
            return None
        def sig(a: Any) -> Any:  # tensors by shape, dtype and device, never by identity
            if isinstance(a, Tensor):
                return tuple(a.shape), a.dtype, a.device
            return tuple(sig(b) for b in a) if isinstance(a, tuple) else a

        # jitter is a constant of the traced graph: kernels on one potential that differ in
        # it must not share a graph
        key = (sampler, alpha, eps, friction, jitter) + tuple(sig(a) for a in args)
        if key not in graphs:
            graphs[key] = _trace(move, args)
        return graphs[key]

    # The graph for this kernel's current shapes: every argument's shape follows from the
    # position's, the step size's and the minibatch's (and which optional ones are given),
    # so those few decide it without the full signature (≈ 15 µs a step).
    fast: dict[tuple, Callable | None] = {}

    def shape_key(args: tuple) -> tuple:
        pos, e, batch = args[0], args[8], args[7]
        return (pos.shape, pos.dtype, pos.device, e.shape,
                None if batch is None else batch.shape,
                args[3] is None, args[6] is None, args[10] is None, args[11] is None)

    def lookup(args: tuple) -> Callable | None:
        batch = args[7]
        if batch is not None and not isinstance(batch, Tensor):
            return compiled(args)  # a structured minibatch: the full signature decides
        k = shape_key(args)
        if k not in fast:
            fast[k] = compiled(args)
        return fast[k]

    def init(position: Tensor, generator: torch.Generator | None = None) -> LangevinState:
        cache["eps"] = e = _as_column(step_size, position)
        cache["sqrt_eps"] = e.sqrt()
        cache["coef"] = _mala_coef(cache["sqrt_eps"]) if sampler == "mala" else None
        dl, g = potential(position, generator)
        u = energy(position, dl) if sampler == "mala" else None
        v = g * g if sampler == "rmsprop_sgld" else None
        nf = torch.zeros_like(dl) if sampler == "mala" else None
        mom = torch.zeros_like(position) if sampler == "sghmc" else None
        return LangevinState(position, dl, g, u, v, nf, mom)

    # SGLD's diagnostics (an MH acceptance from four energies, ~30 eager operations) are the
    # largest per-step cost outside the graph: deferred, they are computed for a block of
    # steps at once (the same formulas on stacked tensors). Only for LocalizedPotential,
    # whose energy broadcasts over a leading step axis.
    pending: list[tuple[Tensor, ...]] = []
    can_defer = sampler == "sgld" and type(potential) is LocalizedPotential

    def flush() -> tuple[Tensor, Tensor | None]:
        if not pending:
            raise RuntimeError("flush: no deferred diagnostics")
        pos, dl0, grad, prop, dl, g, xi = (torch.stack(t) for t in zip(*pending, strict=True))
        pending.clear()
        return _sgld_diag(energy, pos, dl0, grad, prop, dl, g, xi, cache["eps"], mh)

    # Each step's draws are written into buffers kept from step to step: the same numbers as
    # torch.randn / torch.rand from the same generator, without a fresh tensor per draw,
    # which in a loop of small traced steps costs more than the draw (the devinterp
    # regression: 103 -> 88 us a step). No draw outlives its step, except in the deferred
    # SGLD diagnostics, which keep a copy.
    buffers: dict[tuple, Tensor] = {}

    def buffer(kind: str, shape: torch.Size, like: Tensor) -> Tensor:
        key = (kind, shape, like.dtype, like.device)
        buf = buffers.get(key)
        if buf is None:
            buf = buffers[key] = torch.empty(shape, dtype=like.dtype, device=like.device)
        return buf

    def draw(kind: str, shape: torch.Size, like: Tensor,
             generator: torch.Generator | None) -> Tensor:
        buf = buffer(kind, shape, like)
        return buf.normal_(generator=generator) if kind == "normal" else buf.uniform_(
            generator=generator)

    def step_args(state: LangevinState, xi: Tensor, unif: Tensor | None, batch: Any,
                  j: Tensor | None) -> tuple:
        """The step graph's arguments, in ``move``'s order, for ``state`` and these draws."""
        pos = state.position
        extra = (state.potential if sampler == "mala" else state.precond_v
                 if sampler == "rmsprop_sgld" else state.momentum)
        if sampler == "sghmc" and extra is None:
            extra = torch.zeros_like(pos)
        e, sq, coef = cache["eps"], cache["sqrt_eps"], cache["coef"]
        if jitter:
            sq = coef = None  # the graph derives them from the jittered ε
        return (pos, state.loss, state.grad, extra, state.nonfinite, xi, unif, batch, e, sq,
                coef, j)

    def step(generator: torch.Generator | None, state: LangevinState,
             diagnose: bool | str = True) -> tuple[LangevinState, LangevinInfo]:
        pos = state.position
        if "eps" not in cache:  # a state from another kernel of the same chains
            cache["eps"] = e = _as_column(step_size, pos)
            cache["sqrt_eps"] = e.sqrt()
            cache["coef"] = _mala_coef(cache["sqrt_eps"]) if sampler == "mala" else None
        xi = draw("normal", pos.shape, pos, generator) if noise is None else noise.normal(pos)
        batch = None if (plain_full and can_trace) else (
            potential.draw(generator, pos.shape[0]) if pure else generator)
        unif = None
        if sampler == "mala":
            unif = (noise.uniform(pos) if noise is not None
                    else draw("accept", pos.shape[:1], pos, generator))
        j = None
        if jitter:
            j = (noise.uniform(pos) if noise is not None
                 else draw("jitter", pos.shape[:1], pos, generator))
        args = step_args(state, xi, unif, batch, j)
        extra, e = args[3], args[8]
        gm = lookup(args)
        out = gm(*args) if gm is not None else move(*args)
        gsq = prob = acc = None
        if sampler == "sgld":
            p, dl, g = out
            new = LangevinState(p, dl, g)
            if diagnose == "defer" and can_defer:
                pending.append((pos, state.loss, state.grad, p, dl, g, xi.clone()))
            elif diagnose:
                gsq, prob = _sgld_diag(energy, pos, state.loss, state.grad, p, dl, g, xi,
                                       e, mh)
        elif sampler == "mala":
            p, dl, g, u, nf, acc, log_a = out
            new = LangevinState(p, dl, g, u, None, nf)
            if diagnose:
                gsq, prob = _mala_diag(g, log_a)
        elif sampler == "sghmc":
            p, dl, g, v = out
            new = LangevinState(p, dl, g, momentum=v)
            if diagnose:
                gsq = _sghmc_diag(g, friction)
        else:
            p, dl, g, v = out
            new = LangevinState(p, dl, g, None, v)
            if diagnose:
                gsq = _rms_diag(extra, g, eps)
        return new, LangevinInfo(prob, acc, gsq)

    # Runs of steps without diagnostics as one TorchScript loop (_step_loop), built once per
    # step graph after a step has traced the graph, and used only after its first run has
    # been compared bit for bit with the same steps made one by one (None: no loop).
    loops: dict[int, Callable | None] = {}
    checked: set[int] = set()
    point_gens = getattr(noise, "point_generators", None)  # batched: a generator per point
    can_loop = (plain_full and can_trace and sampler in ("sgld", "mala")
                and (noise is None or point_gens is not None))

    def block(generator: torch.Generator | None, state: LangevinState,
              k: int) -> tuple[LangevinState, Tensor] | None:
        if not can_loop or "eps" not in cache:
            return None
        gens = [generator] if noise is None else list(point_gens)
        if any(g is None for g in gens):
            return None
        pos = state.position
        xi = buffer("normal", pos.shape, pos)
        unif = j = None
        if sampler == "mala":
            unif = buffer("accept", pos.shape[:1], pos)
            if jitter:
                j = buffer("jitter", pos.shape[:1], pos)
        args = step_args(state, xi, unif, None, j)
        graph = fast.get(shape_key(args))
        if graph is None:  # not traced yet (the first step traces it), or not traceable
            return None
        if id(graph) not in loops:
            loops[id(graph)] = _step_loop(graph)
        loop = loops[id(graph)]
        if loop is None:
            return None
        flat = [x for a in args if a is not None for x in (a if isinstance(a, tuple) else (a,))]
        rows = pos.shape[0] // len(gens)
        if rows * len(gens) != pos.shape[0]:
            return None
        if id(graph) in checked:
            return _unpack(loop(*flat, gens, rows, k))
        # first use: the same k steps one by one, then the loop from the same generator
        # states; the loop is kept only if everything it returns is equal bit for bit
        before = [g.get_state() for g in gens]
        ref, losses = state, []
        for _ in range(k):
            ref, _ = step(generator, ref, False)
            losses.append(ref.loss)
        after = [g.get_state() for g in gens]
        for g, st in zip(gens, before, strict=True):
            g.set_state(st)
        try:
            got = _unpack(loop(*flat, gens, rows, k))
            same = all(g.get_state().equal(a) for g, a in zip(gens, after, strict=True)) and \
                torch.equal(got[1], torch.stack(losses, 1)) and all(
                    (x is None) == (y is None) and (x is None or torch.equal(x, y))
                    for x, y in zip(got[0], ref, strict=True))
        except Exception:  # noqa: BLE001  (a loop that cannot run: steps one by one)
            same = False
        if not same:
            loops[id(graph)] = None
            for g, st in zip(gens, after, strict=True):
                g.set_state(st)
            return ref, torch.stack(losses, 1)
        checked.add(id(graph))
        return got

    def _unpack(out: tuple) -> tuple[LangevinState, Tensor]:
        if sampler == "sgld":
            return LangevinState(out[0], out[1], out[2]), out[3]
        return LangevinState(out[0], out[1], out[2], out[3], None, out[4]), out[5]

    return SamplingAlgorithm(init, step, flush if can_defer else None, block)
