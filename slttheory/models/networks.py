"""Neural networks: tanh networks, seed 003's toys, seed 000's ReLU autoencoder.

Layers with random initialisation draw it from an explicit ``torch.Generator``
(``None`` means ``torch.Generator().manual_seed(0)``), never from the global RNG.

>>> import torch
>>> ParityMLP(n_bits=30, width=256).n_params     # seed 003: "73,985 parameters"
73985
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from slttheory.models._common import (
    Dense,
    as_generator,
    check_dtype,
    check_input_width,
    check_int,
)

__all__ = ["TanhNetwork", "TinyTanhMLP", "ParityMLP", "ReLUAutoencoder"]


class _Counted(nn.Module):
    @property
    def n_params(self) -> int:
        """Number of scalar parameters."""
        return sum(p.numel() for p in self.parameters())


class TanhNetwork(_Counted):
    """``f(x) = Σ_{j=1}^{h} a_j tanh(b_j x)``: 1 input, 1 output, no biases (parameters ``a``,
    ``b``; zero-initialised). Aoyagi & Watanabe 2005 (IEICE J88-D-II): at the true function 0,
    λ = (h + i² + i)/(4i + 2) with i = ⌊√h⌋. Inputs ``(N,)`` or ``(N, 1)``, outputs ``(N, 1)``.

    >>> m = TanhNetwork(3)
    >>> m(torch.linspace(-1, 1, 5)).shape, m.n_params    # 2h parameters
    (torch.Size([5, 1]), 6)
    """

    def __init__(self, h: int, *, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        h = check_int("h", h)
        check_dtype(dtype)
        self.a = nn.Parameter(torch.zeros(h, dtype=dtype))
        self.b = nn.Parameter(torch.zeros(h, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        check_input_width(x, 1)
        return (torch.tanh(x.reshape(-1, 1) * self.b) @ self.a).unsqueeze(-1)


class TinyTanhMLP(_Counted):
    """Seed 003's ``TinyMLP1``: ``f(x) = w₂ tanh(w₁x + b₁) + b₂`` (``fc1``, ``fc2`` as there);
    inputs ``(N,)`` or ``(N, 1)``, outputs ``(N, 1)``.

    >>> m = TinyTanhMLP(generator=torch.Generator().manual_seed(0))
    >>> m(torch.linspace(-1, 1, 5)).shape, m.n_params    # w₁, b₁, w₂, b₂
    (torch.Size([5, 1]), 4)
    """

    def __init__(
        self, *, generator: torch.Generator | int | None = None, dtype: torch.dtype = torch.float32
    ) -> None:
        super().__init__()
        check_dtype(dtype)
        g = as_generator(generator)
        self.fc1 = Dense(1, 1, generator=g, dtype=dtype)
        self.fc2 = Dense(1, 1, generator=g, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        check_input_width(x, 1)
        return self.fc2(torch.tanh(self.fc1(x.reshape(-1, 1))))


class ParityMLP(_Counted):
    """Seed 003's parity network ``n_bits → width → width → 1`` with ReLU (``net.0``,
    ``net.2``, ``net.4`` as in its ``nn.Sequential``); outputs one logit per sample.

    >>> m = ParityMLP(n_bits=4, width=8, generator=torch.Generator().manual_seed(0))
    >>> m(torch.ones(5, 4)).shape, m.n_params     # 8·(4 + 1) + 8·(8 + 1) + (8 + 1)
    (torch.Size([5, 1]), 121)
    """

    def __init__(
        self,
        n_bits: int = 30,
        width: int = 256,
        *,
        generator: torch.Generator | int | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        n_bits, width = check_int("n_bits", n_bits), check_int("width", width)
        check_dtype(dtype)
        g = as_generator(generator)
        self.net = nn.Sequential(
            Dense(n_bits, width, generator=g, dtype=dtype),
            nn.ReLU(),
            Dense(width, width, generator=g, dtype=dtype),
            nn.ReLU(),
            Dense(width, 1, generator=g, dtype=dtype),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class ReLUAutoencoder(_Counted):
    """Seed 000's autoencoder: encoder ``d → hidden → r``, decoder ``r → hidden → d``, ReLU
    after each hidden layer, linear bottleneck (the seed does not say; we keep it linear).

    >>> m = ReLUAutoencoder(d=6, r=2, hidden=4, generator=torch.Generator().manual_seed(0))
    >>> x = torch.ones(5, 6)
    >>> m.encoder(x).shape, m(x).shape, m.n_params   # 28 + 10 + 12 + 30 weights and biases
    (torch.Size([5, 2]), torch.Size([5, 6]), 80)
    """

    def __init__(
        self,
        d: int = 100,
        r: int = 10,
        hidden: int = 128,
        *,
        generator: torch.Generator | int | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        d, r, hidden = check_int("d", d), check_int("r", r), check_int("hidden", hidden)
        check_dtype(dtype)
        g = as_generator(generator)
        self.encoder = nn.Sequential(
            Dense(d, hidden, generator=g, dtype=dtype), nn.ReLU(),
            Dense(hidden, r, generator=g, dtype=dtype),
        )
        self.decoder = nn.Sequential(
            Dense(r, hidden, generator=g, dtype=dtype), nn.ReLU(),
            Dense(hidden, d, generator=g, dtype=dtype),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.decoder(self.encoder(x))
