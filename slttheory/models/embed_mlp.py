"""Seed 000's modular-addition network: an embedding MLP trained with cross-entropy.

Panickssery & Vaintrob (2023), "Investigating the learning coefficient of modular addition:
hackathon project" (LessWrong), public code ``nrimsky/devinterp``, ``modular_addition/``;
adapted in devinterp's ``examples/grokking.ipynb`` (timaeus-research/devinterp), whose
defaults (p = 53, 40 % of the pairs, 100 checkpoints) are those of Lakkapragada 2025
(arXiv:2512.00686, Fig. 1, Q1 Exp. 1). For a pair ``(a, b)`` of residues mod p::

    logits(a, b) = W₂ · GELU(W_l E[a] + b_l + W_r E[b] + b_r)        (+ b₂ if output_bias)

with a shared embedding ``E ∈ ℝ^{p×embed_dim}``, two input layers ``linear1l``/``linear1r``
(``embed_dim → hidden``, with bias) and an unembedding ``linear2`` (``hidden → p``, no bias
in the notebook). Parameter names follow the source's ``state_dict``. Initialisation is
PyTorch's default for those layers (embedding N(0, 1); linear weights and biases
U(−1/√fan_in, 1/√fan_in)), drawn from an explicit ``torch.Generator``.

The loss is the categorical NLL (cross-entropy) of ``(a + b) mod p``. Cross-entropy has no
minimum at a finite parameter once the training set is fitted: scaling the logits up keeps
lowering it, so checkpoints are never critical points of ``L_n``.

>>> x, y = modular_pairs(5)
>>> x.shape, y[:6].tolist()
(torch.Size([25, 2]), [0, 1, 2, 3, 4, 1])
>>> m = EmbedMLP(5, embed_dim=3, hidden=4, generator=0)
>>> m(x).shape, m.n_params          # 5·3 + 2·(3·4 + 4) + 4·5
(torch.Size([25, 5]), 67)
>>> EmbedMLP(53).n_params           # the notebook's p = 53, embed 12, hidden 48
4428
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from slttheory.models._common import (
    Dense,
    as_generator,
    check_bool,
    check_dtype,
    check_elements,
    check_int,
    randn,
)

__all__ = ["EmbedMLP", "modular_pairs", "modular_split", "ACTIVATIONS"]

ACTIVATIONS = ("gelu", "relu")
"""Activations of :class:`EmbedMLP` (the source's default and its ``activation`` option)."""


class EmbedMLP(nn.Module):
    """Embedding MLP for ``(a, b) ↦ (a + b) mod p`` (module docstring); input ``x`` is an
    integer tensor ``(n, 2)`` of residues, output the logits ``(n, p)``.

    Defaults are devinterp's grokking notebook (embed 12, hidden 48, GELU, no output bias);
    the original ``modular_addition/train.py`` defaults were embed 8, hidden 32.

    >>> m = EmbedMLP(7, generator=torch.Generator().manual_seed(1))
    >>> sorted(m.state_dict())
    ['embedding.weight', 'linear1l.bias', 'linear1l.weight', 'linear1r.bias', \
'linear1r.weight', 'linear2.weight']
    >>> bool((EmbedMLP(7, generator=1).embedding.weight == EmbedMLP(7, generator=1)
    ...       .embedding.weight).all())
    True
    """

    def __init__(
        self,
        p: int,
        embed_dim: int = 12,
        hidden: int = 48,
        *,
        activation: str = "gelu",
        output_bias: bool = False,
        generator: torch.Generator | int | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        p = check_int("p", p, minimum=2)
        embed_dim, hidden = check_int("embed_dim", embed_dim), check_int("hidden", hidden)
        check_bool("output_bias", output_bias)
        check_dtype(dtype)
        if not isinstance(activation, str) or activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {activation!r}")
        g = as_generator(generator)
        self.p = p
        self.activation = activation
        # nn.Embedding(_weight=...) skips its own (global-RNG) initialisation
        w = randn(p, embed_dim, generator=g).to(dtype)
        self.embedding = nn.Embedding(p, embed_dim, _weight=w)
        self.linear1l = Dense(embed_dim, hidden, generator=g, dtype=dtype)
        self.linear1r = Dense(embed_dim, hidden, generator=g, dtype=dtype)
        self.linear2 = Dense(hidden, p, bias=output_bias, generator=g, dtype=dtype)

    @property
    def n_params(self) -> int:
        """Number of scalar parameters."""
        return sum(q.numel() for q in self.parameters())

    def forward(self, x: Tensor) -> Tensor:
        if x.dtype.is_floating_point or x.ndim != 2 or x.shape[-1] != 2:
            raise ValueError(
                f"x must be an integer tensor of shape (n, 2) (pairs of residues mod {self.p}), "
                f"got dtype {x.dtype} shape {tuple(x.shape)}"
            )
        h = self.linear1l(self.embedding(x[:, 0])) + self.linear1r(self.embedding(x[:, 1]))
        h = torch.nn.functional.gelu(h) if self.activation == "gelu" else torch.relu(h)
        return self.linear2(h)


def modular_pairs(p: int) -> tuple[Tensor, Tensor]:
    """All ``p²`` pairs ``(a, b)`` (int64, row ``a·p + b``) and the labels ``(a + b) mod p``.

    >>> x, y = modular_pairs(3)
    >>> x[:4].tolist(), y.tolist()
    ([[0, 0], [0, 1], [0, 2], [1, 0]], [0, 1, 2, 1, 2, 0, 2, 0, 1])
    """
    p = check_int("p", p, minimum=2)
    check_elements("p", p, 2 * p * p)
    a = torch.arange(p).repeat_interleave(p)
    b = torch.arange(p).repeat(p)
    return torch.stack([a, b], dim=1), (a + b) % p


def modular_split(
    p: int, train_frac: float, generator: torch.Generator | int | None
) -> tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor] | None]:
    """Random train/validation split of the ``p²`` pairs as the source does it: the first
    ``⌊train_frac·p²⌋`` of a random permutation train (at least one), the rest validate
    (``None`` when empty). The permutation comes from ``generator``.

    >>> (xt, yt), (xv, yv) = modular_split(53, 0.4, 0)
    >>> len(xt), len(xv)
    (1123, 1686)
    """
    if isinstance(train_frac, bool) or not isinstance(train_frac, int | float):
        raise TypeError(f"train_frac must be a number, got {train_frac!r}")
    if not 0 < train_frac <= 1:
        raise ValueError(f"train_frac must be in (0, 1], got {train_frac}")
    x, y = modular_pairs(p)
    perm = torch.randperm(p * p, generator=as_generator(generator))
    k = max(1, int(train_frac * p * p))
    tr, va = perm[:k], perm[k:]
    return (x[tr], y[tr]), ((x[va], y[va]) if len(va) else None)
