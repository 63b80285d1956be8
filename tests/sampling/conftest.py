"""Problems shared by the sampling tests."""

from __future__ import annotations

import pytest
import torch

from slttheory.models.linear import ReducedRankRegression


@pytest.fixture
def random_rrr():
    """A factory ``random_rrr(m, n, h, n_data, generator)`` → ``(model, (x, y))``.

    Reduced-rank regression ``x ↦ B A x`` (A: h × m, B: n × h) at a standard-normal point
    (full rank h almost surely), standard-normal inputs and noise-free outputs ``y = B A x``,
    in float64, every draw from ``generator`` in the order A, B, x.
    """

    def make(m: int, n: int, h: int, n_data: int, generator: torch.Generator):
        model = ReducedRankRegression(m, n, h, dtype=torch.float64)
        with torch.no_grad():
            model.A.copy_(torch.randn(h, m, generator=generator, dtype=torch.float64))
            model.B.copy_(torch.randn(n, h, generator=generator, dtype=torch.float64))
            x = torch.randn(n_data, m, generator=generator, dtype=torch.float64)
            return model, (x, model(x))

    return make
