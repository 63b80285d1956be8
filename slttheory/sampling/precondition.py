r"""A constant preconditioner from the curvature of the localized potential at :math:`w^*`.

**Why.** At a point with a continuous symmetry (reduced-rank regression and deep linear
networks at rank :math:`r`: :math:`A \mapsto GA,\ B \mapsto BG^{-1}` for
:math:`G\in GL(r)`) the loss is exactly flat along the orbit, and only the localization
:math:`\gamma` bounds the posterior there. With the identity preconditioner the step size is
set by the stiffest direction (curvature :math:`n\beta h_{\max}`), so a flat direction
(curvature :math:`\gamma`) relaxes in about :math:`2/(\varepsilon\gamma)` steps, thousands at
:math:`\varepsilon \approx 10^{-3.5}`, and the chains drift along the orbit into regions of
different conditioning: R-hat above 1.05 for thousands of steps. Sampling in the
coordinates :math:`z` of :math:`w = w^* + Lz` with :math:`LL^\top = H^{-1}`,

.. math::

    H = n\beta\,\nabla^2 L_n(w^*)_+ + \gamma I,

(the Hessian of the potential :math:`U` at :math:`w^*`, negative eigenvalues of
:math:`\nabla^2 L_n` clipped to 0, condition number capped at ``CONDITION_MAX``) makes every
direction's curvature 1 at :math:`w^*`, so flat and stiff directions relax at the same rate.
The preconditioner is constant, hence the change of variables is linear and exact: the target
is unchanged, MALA's test needs no extra term and there is no :math:`\Gamma` correction
(:class:`~slttheory.sampling.kernels.PreconditionedPotential`).

**Where it does not help.** At a singular point the curvature at :math:`w^*` says little
about the posterior's shape away from it (normal crossings: the Hessian of
:math:`w_1w_2^2` vanishes at 0); there :math:`H` is close to :math:`\gamma I` in the singular
directions and the preconditioner only rescales the others.

**Cost.** ``dense``: :math:`d` Hessian-vector products (forward over
reverse, vmapped in chunks) on at most ``HESSIAN_MAX_SAMPLES`` evenly spaced samples and one
symmetric eigendecomposition, then two :math:`(K, d)\times(d, d)` products per step.
``diagonal`` (for large :math:`d`, where :math:`d` products cost too much): the Hessian's
diagonal by Hutchinson's estimator (``DIAGONAL_PROBES`` Rademacher probes, Bekas,
Kokiopoulou & Saad 2007), clipped and capped the same way; it rescales parameters, it
cannot align with orbits that mix parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.func import grad, jvp, vmap

from slttheory._torch_compat import load_forward_ad

__all__ = ["PRECONDITIONERS", "Curvature", "resolve_preconditioner", "loss_hessian",
           "loss_hessian_diagonal", "curvature_factor", "CONDITION_MAX"]

PRECONDITIONERS = ("dense", "diagonal", "none")
CONDITION_MAX = 1e4
HESSIAN_MAX_SAMPLES = 2000
DENSE_MAX_DIM = 10_000
"""The most parameters ``"dense"`` takes: its d Hessian-vector products build (d, d)
matrices (an identity, the Hessian, its eigenvectors), 0.4 GB each in float32 at 10⁴; at
91 501 parameters the allocator's error (33 GB) was all the caller saw (an outside probe)."""
DIAGONAL_PROBES = 32
_CHUNK = 64


@dataclass(frozen=True)
class Curvature:
    """A constant preconditioner :math:`G = LL^\\top`: ``kind`` (``"dense"`` or
    ``"diagonal"``), ``factor`` :math:`L` (``(d, d)`` or ``(d,)``) and ``curvatures``, the
    eigenvalues (dense) or diagonal (diagonal) of :math:`H` after clipping and capping."""

    kind: str
    factor: Tensor
    curvatures: Tensor


def resolve_preconditioner(preconditioner: str | None) -> str:
    """Validate ``preconditioner`` (``None`` means ``"none"``).

    Not used by default: at the regular points of reduced-rank regression and deep linear
    networks the chains wander O(1/√γ) along the GL(r) orbit, which rotates the stiff
    directions, so a constant :math:`H^{-1}` measured at :math:`w^*` is wrong over most of
    the posterior (measured with MALA at RRR (5,4,2,2): acceptance 0.21 against the 0.65
    calibrated at :math:`w^*`, R-hat 1.05 after the maximal 32000 steps, against 1.01 after
    12300 steps without it). It pays where the curvature is constant over the posterior
    (models linear in their parameters, e.g. polynomial regression: 2000 instead of 6400
    steps to the same Monte-Carlo error).

    >>> resolve_preconditioner("dense"), resolve_preconditioner(None)
    ('dense', 'none')
    """
    if preconditioner is None:
        return "none"
    if not isinstance(preconditioner, str) or preconditioner not in PRECONDITIONERS:
        raise ValueError(f"preconditioner must be one of {list(PRECONDITIONERS)} or None, got "
                         f"{preconditioner!r}")
    return preconditioner


def subsample(n: int, device: torch.device) -> Tensor | None:
    """Evenly spaced indices of at most ``HESSIAN_MAX_SAMPLES`` samples (``None``: all)."""
    if n <= HESSIAN_MAX_SAMPLES:
        return None
    return torch.linspace(0, n - 1, HESSIAN_MAX_SAMPLES, device=device).round().long()


def loss_hessian(loss: Callable[[Tensor], Tensor], center: Tensor) -> Tensor:
    r""":math:`\nabla^2 L(w^*)` of a scalar ``loss`` of the flat parameters, by
    Hessian-vector products (forward over reverse) in vmapped chunks; symmetrised.

    >>> import torch
    >>> h = loss_hessian(lambda w: (w[0] * w[1]) ** 2 + w[0] ** 2, torch.tensor([1.0, 2.0]))
    >>> h.tolist()   # [[2 w1^2 + 2, 4 w0 w1], [4 w0 w1, 2 w0^2]]
    [[10.0, 8.0], [8.0, 2.0]]
    """
    d = center.numel()
    load_forward_ad()
    g = grad(loss)

    def hvp(v: Tensor) -> Tensor:
        return jvp(g, (center,), (v,))[1]

    eye = torch.eye(d, dtype=center.dtype, device=center.device)
    rows = [vmap(hvp)(eye[i:i + _CHUNK]) for i in range(0, d, _CHUNK)]
    h = torch.cat(rows)
    return 0.5 * (h + h.T)


def loss_hessian_diagonal(loss: Callable[[Tensor], Tensor], center: Tensor,
                          generator: torch.Generator, probes: int = DIAGONAL_PROBES) -> Tensor:
    r"""Hutchinson's estimate :math:`\mathrm{diag}\,H \approx \frac1m\sum_k v_k \odot Hv_k`
    with Rademacher :math:`v_k` drawn from ``generator`` (Bekas et al. 2007).

    >>> import torch
    >>> f = lambda w: 0.5 * (3 * w[0] ** 2 + 5 * w[1] ** 2)   # diagonal Hessian: exact
    >>> loss_hessian_diagonal(f, torch.zeros(2), torch.Generator().manual_seed(0)).tolist()
    [3.0, 5.0]
    """
    load_forward_ad()
    g = grad(loss)

    def hvp(v: Tensor) -> Tensor:
        return jvp(g, (center,), (v,))[1]

    v = torch.randint(0, 2, (probes, center.numel()), generator=generator,
                      device=center.device).to(center.dtype).mul_(2).sub_(1)
    hv = torch.cat([vmap(hvp)(v[i:i + _CHUNK]) for i in range(0, probes, _CHUNK)])
    return (v * hv).mean(0)


def curvature_factor(hessian: Tensor, nbeta: float, gamma: float, kind: str) -> Curvature:
    r""":math:`L` with :math:`LL^\top = H^{-1}`, :math:`H = n\beta\nabla^2L_+ + \gamma I`
    (module docstring); ``hessian`` is :math:`\nabla^2 L` (dense) or its diagonal.

    Eigenvalues (or diagonal entries) of :math:`n\beta\nabla^2 L` are clipped at 0, raised by
    γ and floored at ``max / CONDITION_MAX``; if all are 0 (γ = 0 at a flat point) the
    preconditioner is the identity.

    >>> import torch
    >>> c = curvature_factor(torch.diag(torch.tensor([4.0, 0.0])), 2.0, 1.0, "dense")
    >>> c.curvatures.tolist(), [round(v, 6) for v in (c.factor @ c.factor.T).diagonal().tolist()]
    ([1.0, 9.0], [0.111111, 1.0])
    """
    dt = hessian.dtype
    if not bool(torch.isfinite(hessian).all()):
        n = hessian.shape[0]
        one = torch.ones(n, dtype=dt, device=hessian.device)
        return Curvature(kind, torch.diag(one) if kind == "dense" else one, one)
    if kind == "dense":
        h, vecs = torch.linalg.eigh(hessian.double())
    elif kind == "diagonal":
        h, vecs = hessian.double(), None
    else:
        raise ValueError(f"kind must be 'dense' or 'diagonal', got {kind!r}")
    a = nbeta * torch.clamp(h, min=0.0) + gamma
    top = float(a.max()) if a.numel() else 0.0
    if not math.isfinite(top) or top <= 0.0:
        a = torch.ones_like(a)
    else:
        a = torch.clamp(a, min=top / CONDITION_MAX)
    scale = a.rsqrt()
    factor = scale if vecs is None else vecs * scale
    return Curvature(kind, factor.to(dt).contiguous(), a.to(dt))
