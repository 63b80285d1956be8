"""refine_to_minimiser moves only the parameters the LLC samples and the minimum check varies
(requires_grad): a frozen parameter is held fixed (a red-team audit of the checks at w*)."""

import torch

from slttheory.geometry import critical_point_check
from slttheory.models.families import refine_to_minimiser


def test_a_frozen_parameter_stays_where_it_is():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(50, 2, dtype=torch.float64, generator=g)
    y = x @ torch.tensor([[1.0], [2.0]], dtype=torch.float64) + 0.3 * torch.randn(
        50, 1, dtype=torch.float64, generator=g)
    m = torch.nn.Linear(2, 1).double()
    with torch.no_grad():
        m.weight.copy_(torch.tensor([[1.0, 2.0]]))
        m.bias.zero_()
    m.bias.requires_grad_(False)
    info = refine_to_minimiser(m, (x, y), "gaussian", generator=torch.Generator().manual_seed(0))
    assert info["accepted"]
    assert m.bias.item() == 0.0 and not m.bias.requires_grad   # it had moved to -0.0195
    c = critical_point_check(m, (x, y), "gaussian", device="cpu")
    assert c.n_params == 2 and c.is_local_min and c.grad_norm < 1e-6
