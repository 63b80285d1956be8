"""critical_point_check: minima (regular and singular) pass, saddles and non-critical points
are flagged, and the Lanczos path agrees with the dense Hessian."""

import pytest
import torch
from torch import nn

from slttheory.geometry import critical_point_check
from slttheory.losses import centred_gaussian_nll
from slttheory.models import FAMILIES


class Product(nn.Module):
    """f(x) = w1·w2·x: K(w) ∝ (w1 w2 − a)², a saddle at 0 when a != 0, singular minima."""

    def __init__(self, w):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w, dtype=torch.float64))

    def forward(self, x):
        return self.w[0] * self.w[1] * x


def _x(n=200, seed=0):
    return torch.randn(n, 1, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_regular_minimum_eigenvalues_are_the_design():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(100, 3, generator=g, dtype=torch.float64)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]], dtype=torch.float64) + 0.1 * torch.randn(
        100, 1, generator=g, dtype=torch.float64)
    m = nn.Linear(3, 1, bias=False).double()
    with torch.no_grad():
        m.weight.copy_(torch.linalg.lstsq(x, y).solution.T)
    c = critical_point_check(m, (x, y), "gaussian", k=3, device="cpu")
    expected = torch.linalg.eigvalsh(x.T @ x / len(x))
    assert c.is_local_min and c.method == "dense" and c.n_params == 3
    assert c.grad_norm < 1e-10
    assert torch.allclose(torch.tensor(c.smallest_eigenvalues, dtype=torch.float64), expected)
    assert c.largest_eigenvalue == pytest.approx(float(expected[-1]))
    assert c.near_zero == 0 and "local minimum" in c.reason


def test_saddle_is_flagged():
    x = _x()
    c = critical_point_check(Product([0.0, 0.0]), (x, x), "gaussian", k=2, device="cpu")
    ex2 = float((x**2).mean())
    assert c.grad_norm == 0.0
    assert c.smallest_eigenvalues[0] == pytest.approx(-ex2)        # Hessian [[0, −E x²], ...]
    assert c.largest_eigenvalue == pytest.approx(ex2)
    assert not c.is_local_min and c.reason.startswith("saddle")
    assert c.near_zero == 0  # the negative eigenvalue is not counted as a flat direction


def test_singular_minimum_with_zero_eigenvalue_passes():
    x = _x()
    c = critical_point_check(Product([0.0, 1.0]), (x, torch.zeros_like(x)), "gaussian",
                             device="cpu")
    assert c.is_local_min and c.near_zero == 1
    assert c.smallest_eigenvalues[0] == pytest.approx(0.0, abs=1e-12)
    assert c.largest_eigenvalue == pytest.approx(float((x**2).mean()))


def test_not_a_critical_point():
    x = _x()
    c = critical_point_check(Product([1.0, 1.0]), (x, 3 * x), "gaussian", device="cpu")
    assert not c.is_local_min and c.reason.startswith("not a critical point")


def test_cross_entropy_far_from_its_minimum():
    """Softmax regression at W = 0 on labels that depend on x: the gradient is far from 0."""
    g = torch.Generator().manual_seed(2)
    x = torch.randn(300, 2, generator=g)
    labels = (x[:, 0] > 0).long()
    m = nn.Linear(2, 2)
    with torch.no_grad():
        m.weight.zero_()
        m.bias.zero_()
    c = critical_point_check(m, (x, labels), "cross_entropy", device="cpu")
    assert not c.is_local_min and c.grad_norm > 0.1
    assert c.smallest_eigenvalues[0] == pytest.approx(0.0, abs=1e-9)   # softmax shift symmetry


def test_lanczos_agrees_with_dense_and_finds_saddles():
    g = torch.Generator().manual_seed(3)
    net = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 2)).double()
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64))
    x = torch.randn(50, 3, generator=g, dtype=torch.float64)
    y = torch.randn(50, 2, generator=g, dtype=torch.float64)
    dense = critical_point_check(net, (x, y), "gaussian", device="cpu")
    lz = critical_point_check(net, (x, y), "gaussian", device="cpu", dense_limit=0,
                              lanczos_steps=dense.n_params)
    assert dense.method == "dense" and lz.method.startswith("lanczos")
    assert lz.largest_eigenvalue == pytest.approx(dense.largest_eigenvalue, rel=1e-8)
    assert lz.smallest_eigenvalues[0] == pytest.approx(dense.smallest_eigenvalues[0], rel=1e-6)
    x1 = _x()
    sad = critical_point_check(Product([0.0, 0.0]), (x1, x1), "gaussian", device="cpu",
                               dense_limit=0)
    assert not sad.is_local_min and sad.reason.startswith("saddle")


def test_centred_loss_at_a_built_quadratic_problem():
    prob = FAMILIES["quadratic_network"].build(d=3, k=2, p=2, n=200, generator=0,
                                               dtype=torch.float64)
    c = critical_point_check(prob.model, prob.data, prob.loss, device="cpu")
    assert prob.loss is centred_gaussian_nll
    assert c.is_local_min and c.near_zero >= 2                      # K rescalings are flat


def test_bad_arguments_name_themselves():
    x = _x(5)
    m = Product([0.0, 1.0])
    with pytest.raises(ValueError, match=r"\bk\b"):
        critical_point_check(m, (x, x), k=0)
    with pytest.raises(ValueError, match="eig_tol"):
        critical_point_check(m, (x, x), eig_tol=-1.0)
    with pytest.raises(ValueError, match="loss must be one of"):
        critical_point_check(m, (x, x), loss="hinge")
    with pytest.raises(TypeError, match="model"):
        critical_point_check(lambda v: v, (x, x))


def test_first_forward_mode_derivative_is_quiet():
    """torch (2.13) announces the deprecation of ``torch.jit.script`` when it first loads its
    jvp decompositions: a notice about torch's internals that a caller of the Hessian check
    (and of ``estimate_llc``, which runs it) cannot act on. Run in a fresh process, where the
    decompositions are not yet loaded."""
    import subprocess
    import sys

    code = ("import warnings, torch\n"
            "warnings.filterwarnings('error', message='.*jit.script.*')\n"
            "from slttheory.geometry import critical_point_check\n"
            "m = torch.nn.Linear(2, 1)\n"
            "x = torch.randn(8, 2)\n"
            "critical_point_check(m, (x, m(x).detach()))\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]


def test_a_forward_that_draws_random_numbers_is_a_value_error():
    """F.dropout(training=True) inside forward raised torch's raw vmap RuntimeError from the
    Hessian, after the first forward pass had run (an outside audit)."""
    import torch.nn.functional as F

    class Drop(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(3, 1)

        def forward(self, x):
            return self.lin(F.dropout(x, 0.5, training=True))

    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(5, 3, generator=g), torch.randn(5, 1, generator=g)
    with pytest.raises(ValueError, match="draws random numbers"):
        critical_point_check(Drop(), (x, y), device="cpu")


class _BumpsItsBias(nn.Module):
    """A forward that writes a parameter it is not differentiated in (lin.bias) in place."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 1).double()

    def forward(self, x):
        with torch.no_grad():
            self.lin.bias.add_(1.0)
        return self.lin(x)


def test_a_forward_that_writes_a_held_parameter_never_writes_the_callers():
    """The minimum check and the Jacobian hold the parameters they do not vary as float64
    copies (held_fixed's copy_parameters): a float64 module's .to(float64) is the module's
    own tensor, so without the copy a forward writing lin.bias wrote the caller's. The call
    is a ValueError naming the write (it had been torch's raw RuntimeError, "would mutate a
    captured Tensor", or for every parameter "a view ... has been modified inplace")."""
    from slttheory.geometry import jacobian

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(20, 3, dtype=torch.float64, generator=gen)
    y = torch.randn(20, 1, dtype=torch.float64, generator=gen)
    m = _BumpsItsBias()
    b0 = m.lin.bias.detach().clone()
    only_w = {"lin.weight": m.lin.weight.detach().clone()}
    with pytest.raises(ValueError, match=r"fn: its forward writes a tensor in place \(aten::add_"):
        jacobian(m, only_w, x)
    assert torch.equal(m.lin.bias, b0)
    with pytest.raises(ValueError, match=r"model: its forward writes a tensor in place"):
        critical_point_check(m, (x, y), "gaussian", params=only_w, device="cpu")
    assert torch.equal(m.lin.bias, b0)
    with pytest.raises(ValueError, match=r"model: its forward writes a tensor in place"):
        critical_point_check(m, (x, y), "gaussian", device="cpu")
    assert torch.equal(m.lin.bias, b0)
