"""critical_point_check's answer does not depend on the loss's units (a red-team audit of the
checks at w*): a Hessian exactly 0 beside a nonzero gradient is no critical point at any
scale, and the Lanczos path finds a saddle of a loss scaled by 10⁻¹³ as the dense path does."""

import pytest
import torch
from torch import nn

from slttheory.geometry import critical_point_check


class _Scalar(nn.Module):
    """Every sample's output is f(w); with the loss ``out`` itself, L_n = f(w)."""

    def __init__(self, w, f):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w, dtype=torch.float64))
        self.f = f

    def forward(self, x):
        return self.f(self.w) * torch.ones(x.shape[0], dtype=torch.float64)


def _itself(out, y):
    return out


_DATA = (torch.zeros(4, 1, dtype=torch.float64), torch.zeros(4, dtype=torch.float64))


@pytest.mark.parametrize("slope", [1e-4, 1e-2, 1.0])
def test_a_linear_loss_is_no_minimum_at_any_scale(slope):
    """L = slope·w₁ has a Hessian exactly 0 and no minimum anywhere; the tolerance had been
    absolute there (s = 1), so slope 10⁻⁴ passed as a local minimum and 10⁻² did not, and
    adding 10⁻²⁰·w₁² (s = 2·10⁻²⁰) failed it again."""
    c = critical_point_check(_Scalar([0.0, 0.0], lambda w: slope * w[0]), _DATA, _itself,
                             device="cpu")
    assert c.largest_eigenvalue == 0.0 and c.grad_norm == pytest.approx(slope)
    assert not c.is_local_min and c.reason.startswith("not a critical point")
    assert "the Hessian is 0" in c.reason


def test_a_zero_hessian_with_a_zero_gradient_still_passes():
    """w₁²w₂² at 0 (normal crossing, noise-free): gradient and Hessian both 0, a minimum."""
    c = critical_point_check(_Scalar([0.0, 0.0], lambda w: w[0] ** 2 * w[1] ** 2), _DATA,
                             _itself, device="cpu")
    assert c.is_local_min and c.grad_norm == 0.0 and c.largest_eigenvalue == 0.0


@pytest.mark.parametrize("scale", [1.0, 1e-6, 1e-13, 1e-15])
def test_lanczos_finds_a_saddle_at_any_loss_scale(scale):
    """Hessian diag(−2, 2, …, 2)·scale: the Lanczos iteration had stopped after one step
    wherever the Hessian was below 10⁻¹² (an absolute breakdown floor), and the Rayleigh
    quotient of its random start, positive, passed the saddle as a local minimum."""
    d = torch.ones(20, dtype=torch.float64)
    d[0] = -1.0
    m = _Scalar([0.0] * 20, lambda w: scale * (d * w * w).sum())
    dense = critical_point_check(m, _DATA, _itself, device="cpu")
    lz = critical_point_check(m, _DATA, _itself, device="cpu", dense_limit=0)
    assert lz.method.startswith("lanczos") and not lz.method.startswith("lanczos (1 ")
    assert not dense.is_local_min and not lz.is_local_min
    assert lz.smallest_eigenvalues[0] == pytest.approx(-2 * scale, rel=1e-8)
    assert lz.largest_eigenvalue == pytest.approx(2 * scale, rel=1e-8)
