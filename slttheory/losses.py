"""Per-sample negative log-likelihoods shared by training and LLC estimation.

Every loss here maps ``(outputs, targets)`` with a leading sample axis of length n to a
tensor of shape ``(n,)``: the negative log-likelihood of each sample, *without* additive
constants (they cancel in λ̂ = nβ(E_β[L_n] − L_n(w*))). The empirical loss is the mean
``L_n(w) = (1/n) Σ_i ℓ_i(w)``.

Conventions (issue 4 §2):

- ``"gaussian"``: unit-variance Gaussian NLL ``ℓ_i = ½‖y_i − f(x_i)‖²`` (summed over output
  coordinates), so that ``nβ(E[L_n] − L_n(w*))`` has no hidden factor of two
  (Watanabe 2009, Ch. 1 regression model; Lau et al. 2023, §3).
- ``"cross_entropy"``: categorical NLL ``ℓ_i = −log softmax(f(x_i))[y_i]``; targets are class
  indices ``(n,)`` or probability rows ``(n, C)``.
- ``"binary_cross_entropy"``: Bernoulli NLL of one logit per sample,
  ``ℓ_i = softplus(z_i) − y_i z_i`` with ``y_i ∈ [0, 1]`` (seed 003's parity network).
- :func:`centred_gaussian_nll`: seed 001's centred loss ``L = (1/2n)‖P⊥(Y − Ŷ)‖²`` with
  ``P⊥ = I − 11ᵀ/n`` the projection orthogonal to the all-ones vector over the batch, written
  per sample as ``ℓ_i = ½‖r_i − r̄‖²`` with residuals ``r_i = y_i − ŷ_i`` and ``r̄`` their mean
  over the batch. It is *not* separable across samples: evaluated on a minibatch, it centres
  within that minibatch.

:func:`resolve_loss` maps a name or a callable to one of these callables; the sampler
(:func:`slttheory.sampling.estimate_llc`) and :func:`slttheory.train.train` both use it.

>>> import torch
>>> gaussian_nll(torch.tensor([[1.0, 2.0]]), torch.tensor([[0.0, 0.0]]))
tensor([2.5000])
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

__all__ = [
    "LossFn",
    "gaussian_nll",
    "cross_entropy_nll",
    "binary_cross_entropy_nll",
    "centred_gaussian_nll",
    "resolve_loss",
    "check_targets",
    "LOSSES",
]

LossFn = Callable[[Tensor, Tensor], Tensor]


def _flat_pair(outputs: Tensor, targets: Tensor, name: str) -> tuple[Tensor, Tensor]:
    """Reshape outputs and targets to ``(n, k)``; shapes must agree up to trailing singletons."""
    if outputs.ndim == 0 or targets.ndim == 0:
        raise ValueError(f"{name}: outputs and targets need a leading sample axis, got scalars")
    n = outputs.shape[0]
    if targets.shape[0] != n:
        raise ValueError(
            f"{name}: outputs have {n} samples but targets have {targets.shape[0]}"
        )
    o = outputs.reshape(n, -1)
    t = targets.reshape(n, -1)
    if o.shape != t.shape:
        raise ValueError(
            f"{name}: outputs of shape {tuple(outputs.shape)} and targets of shape "
            f"{tuple(targets.shape)} do not match per sample"
        )
    return o, t.to(o.dtype)


def gaussian_nll(outputs: Tensor, targets: Tensor) -> Tensor:
    """Unit-variance Gaussian NLL per sample, ``½‖y_i − f(x_i)‖²`` (constants dropped).

    ``outputs`` and ``targets`` have a leading sample axis and equal per-sample size
    (``(n,)`` and ``(n, 1)`` are both accepted). Returns shape ``(n,)``.

    >>> import torch
    >>> gaussian_nll(torch.tensor([1.0, 3.0]), torch.tensor([[0.0], [1.0]]))
    tensor([0.5000, 2.0000])
    """
    o, t = _flat_pair(outputs, targets, "gaussian_nll")
    return 0.5 * (o - t).pow(2).sum(dim=1)


def centred_gaussian_nll(outputs: Tensor, targets: Tensor) -> Tensor:
    """Seed 001's centred Gaussian NLL per sample, ``½‖r_i − mean_j r_j‖²`` with ``r = y − ŷ``.

    Summed over the batch this is ``½‖P⊥(Y − Ŷ)‖²`` (seed 001, §2, the loss
    ``L = (1/2n)‖P⊥(Y − Ŷ)‖²`` times n); it is invariant under adding one constant vector
    to every output. Returns shape ``(n,)``.

    >>> import torch
    >>> y = torch.tensor([[1.0], [3.0]])
    >>> centred_gaussian_nll(y + 5.0, y)     # a constant shift costs nothing
    tensor([0., 0.])
    >>> centred_gaussian_nll(torch.zeros(2, 1), y)   # residuals 1, 3 -> centred -1, 1
    tensor([0.5000, 0.5000])
    """
    o, t = _flat_pair(outputs, targets, "centred_gaussian_nll")
    r = t - o
    r = r - r.mean(dim=0, keepdim=True)
    return 0.5 * r.pow(2).sum(dim=1)


def cross_entropy_nll(outputs: Tensor, targets: Tensor) -> Tensor:
    """Categorical NLL per sample, ``−log softmax(f(x_i))[y_i]``.

    ``outputs`` are logits ``(n, C)``; ``targets`` are integer class indices ``(n,)`` or
    probability rows ``(n, C)`` (then ``−Σ_c p_ic log softmax_c``). Returns shape ``(n,)``.

    >>> import torch
    >>> out = cross_entropy_nll(torch.zeros(2, 4), torch.tensor([0, 3]))
    >>> torch.allclose(out, torch.log(torch.tensor(4.0)).expand(2))
    True
    """
    if outputs.ndim != 2:
        raise ValueError(
            f"cross_entropy_nll: outputs must be logits of shape (n, C), got {tuple(outputs.shape)}"
        )
    logp = torch.log_softmax(outputs, dim=1)
    if targets.ndim == 1:
        if targets.dtype.is_floating_point or targets.dtype == torch.bool:
            raise TypeError(
                "cross_entropy_nll: 1-d targets must be integer class indices, "
                f"got dtype {targets.dtype}"
            )
        if targets.shape[0] != outputs.shape[0]:
            raise ValueError(
                f"cross_entropy_nll: outputs have {outputs.shape[0]} samples but targets "
                f"have {targets.shape[0]}"
            )
        return -logp.gather(1, targets.long().unsqueeze(1)).squeeze(1)
    if targets.shape != outputs.shape:
        raise ValueError(
            f"cross_entropy_nll: probability targets must have the logits' shape "
            f"{tuple(outputs.shape)}, got {tuple(targets.shape)}"
        )
    return -(targets.to(logp.dtype) * logp).sum(dim=1)


def binary_cross_entropy_nll(outputs: Tensor, targets: Tensor) -> Tensor:
    """Bernoulli NLL per sample from one logit ``z``: ``softplus(z) − y z`` (``y ∈ [0, 1]``).

    ``outputs`` and ``targets`` have one entry per sample (``(n,)`` or ``(n, 1)``).
    Returns shape ``(n,)``.

    >>> import torch
    >>> out = binary_cross_entropy_nll(torch.zeros(2, 1), torch.tensor([[0.0], [1.0]]))
    >>> torch.allclose(out, torch.log(torch.tensor(2.0)).expand(2))
    True
    """
    z, y = _flat_pair(outputs, targets, "binary_cross_entropy_nll")
    if z.shape[1] != 1:
        raise ValueError(
            f"binary_cross_entropy_nll: expects one logit per sample, got {z.shape[1]}"
        )
    z, y = z[:, 0], y[:, 0]
    return torch.nn.functional.softplus(z) - y * z


LOSSES: dict[str, LossFn] = {
    "gaussian": gaussian_nll,
    "cross_entropy": cross_entropy_nll,
    "centred_gaussian": centred_gaussian_nll,
    "binary_cross_entropy": binary_cross_entropy_nll,
}


def resolve_loss(loss: str | LossFn) -> LossFn:
    """Map a name in :data:`LOSSES` (``"gaussian"``, ``"cross_entropy"``,
    ``"centred_gaussian"``, ``"binary_cross_entropy"``) or a callable to a per-sample NLL
    callable ``(outputs, targets) -> (n,)``.

    Unknown names raise ``ValueError`` (listing the allowed ones); anything that is neither
    a string nor callable raises ``TypeError``. A callable returns each sample's full
    negative log-likelihood: the sampler refuses a scalar (mean or sum) reduction, but cannot
    see a per-sample loss rescaled by a constant (``ℓ_i / n``, or a Gaussian NLL without its
    ½), which rescales nβ and so λ̂ by the same factor.

    >>> resolve_loss("gaussian") is gaussian_nll
    True
    >>> resolve_loss("hinge")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: loss must be one of [...] or a callable, got 'hinge'
    """
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(
                f"loss must be one of {sorted(LOSSES)} or a callable, got {loss!r}"
            )
        return LOSSES[loss]
    if callable(loss):
        return loss
    raise TypeError(
        f"loss must be a name in {sorted(LOSSES)} or a callable (outputs, targets) -> (n,), "
        f"got {type(loss).__name__}"
    )


def check_targets(loss: str | LossFn, targets: Tensor, name: str = "targets") -> None:
    """Check ``targets`` against the named loss once, on the data (the losses themselves run
    inside traced, vmapped steps, where no value can be inspected): class indices ≥ 0 for
    ``"cross_entropy"``, probability rows of at least two classes (entries in [0, 1], rows
    summing to 1), entries in [0, 1] for ``"binary_cross_entropy"``. A callable loss is
    not checked.

    >>> check_targets("cross_entropy", torch.tensor([0, 2, 1]))
    >>> check_targets("cross_entropy", torch.tensor([[0.5], [2.0]]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: targets: probability rows for loss 'cross_entropy' need at least two classes...
    """
    if not isinstance(loss, str) or loss not in ("cross_entropy", "binary_cross_entropy"):
        return
    t = targets.detach()
    if loss == "cross_entropy" and t.ndim == 1:
        if not t.dtype.is_floating_point and t.dtype != torch.int64:
            # torch's cross-entropy takes int64 indices; uint8 labels failed later, inside
            # the vectorised forward, blamed on the model (an outside probe)
            raise TypeError(f"{name}: class indices for loss 'cross_entropy' must be int64, "
                            f"got {t.dtype}; convert with .long()")
        if not t.dtype.is_floating_point and t.numel() and int(t.min()) < 0:
            raise ValueError(f"{name}: class indices for loss 'cross_entropy' must be >= 0, "
                             f"got {int(t.min())}")
        return
    if not t.dtype.is_floating_point:
        t = t.double()
    if loss == "cross_entropy" and t.ndim == 2 and t.shape[1] < 2:
        raise ValueError(f"{name}: probability rows for loss 'cross_entropy' need at least "
                         f"two classes, got shape {tuple(t.shape)}")
    if t.numel() and not bool(((t >= 0) & (t <= 1)).all()):
        raise ValueError(f"{name}: loss {loss!r} needs probabilities in [0, 1], got values "
                         f"in [{float(t.min()):.4g}, {float(t.max()):.4g}]")
    if loss == "cross_entropy" and t.ndim == 2:
        err = float((t.sum(dim=1) - 1).abs().max())
        if err > 1e-4:
            raise ValueError(f"{name}: probability rows for loss 'cross_entropy' must sum to "
                             f"1, off by up to {err:.3g}")
