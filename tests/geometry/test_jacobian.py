"""slttheory.geometry.jacobian: values, row/column order, modules, errors."""

import numpy as np
import pytest
import torch

from slttheory.geometry import flatten_params, jacobian


def test_linear_module_matches_analytic_jacobian():
    # y = W x + b: d y_o / d W[o', i] = δ_{o o'} x_i, d y_o / d b[o'] = δ_{o o'}.
    lin = torch.nn.Linear(3, 2)
    x = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]])
    J = jacobian(lin, None, x)
    assert J.dtype == torch.float64 and J.shape == (2 * 2, 2 * 3 + 2)
    expected = torch.zeros(4, 8, dtype=torch.float64)
    for s in range(2):
        for o in range(2):
            row = s * 2 + o  # sample-major
            expected[row, o * 3 : o * 3 + 3] = x[s].double()  # weight, row-major
            expected[row, 6 + o] = 1.0  # bias after weight (named_parameters order)
    assert torch.equal(J, expected)


@pytest.mark.parametrize("n_samples", [2, 40])  # wide (jacrev) and tall (jacfwd)
def test_tanh_mlp_matches_central_differences(n_samples):
    gen = torch.Generator().manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    x = torch.randn(n_samples, 3, generator=gen)
    J = jacobian(net, None, x)
    flat, layout = flatten_params(dict(net.named_parameters()))
    names = [n for n, _ in layout]

    def f(v):
        pieces = torch.split(v, [int(np.prod(s)) for _, s in layout])
        p = {n: q.reshape(s) for (n, s), q in zip(layout, pieces, strict=True)}
        return torch.func.functional_call(net.double(), p, (x.double(),)).reshape(-1)

    h = 1e-6
    basis = torch.eye(flat.numel(), dtype=torch.float64)
    fd = torch.stack([(f(flat + h * e) - f(flat - h * e)) / (2 * h) for e in basis], dim=1)
    assert names == [n for n, _ in net.named_parameters()]
    # central differences: error O(h^2 f''') + O(eps/h) ≈ 1e-10
    torch.testing.assert_close(J, fd, rtol=0, atol=1e-8)


def test_row_and_column_order():
    # output o at sample s is  (o+1) * x_s * a[o] + b[2] * x_s^2 * [o == 1]
    def fn(p, x):
        col0 = 1 * x[:, 0] * p["a"][0]
        col1 = 2 * x[:, 0] * p["a"][1] + p["b"][2] * x[:, 0] ** 2
        return torch.stack([col0, col1], dim=1)

    params = {"a": torch.zeros(2), "b": torch.zeros(3)}
    x = torch.tensor([[2.0], [3.0], [5.0]])
    J = jacobian(fn, params, x)
    assert J.shape == (3 * 2, 2 + 3)
    for s, xs in enumerate([2.0, 3.0, 5.0]):
        assert J[s * 2 + 0].tolist() == [xs, 0, 0, 0, 0]
        assert J[s * 2 + 1].tolist() == [0, 2 * xs, 0, 0, xs**2]


def test_single_tensor_params_and_vector_output():
    fn = lambda w, x: (x @ w.reshape(2, 2)).sum(dim=1)  # noqa: E731 - output shape (N,)
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    J = jacobian(fn, torch.ones(4), x)
    # d/dw[i, j] of sum_j (x w)_j = x_i: columns row-major over the (2, 2) reshape
    assert J.tolist() == [[1, 1, 0, 0], [0, 0, 1, 1], [1, 1, 1, 1]]


def test_module_override_differentiates_only_given_parameters():
    lin = torch.nn.Linear(2, 3)
    x = torch.randn(5, 2, generator=torch.Generator().manual_seed(0))
    full = jacobian(lin, None, x)
    w_only = jacobian(lin, {"weight": lin.weight.detach()}, x)
    assert w_only.shape == (15, 6)
    assert torch.equal(w_only, full[:, :6])
    # the override's values are used: at W = 0 the Jacobian of tanh(W x + b) in W is
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh())
    w2 = torch.zeros(2, 2)
    J0 = jacobian(net, {"0.weight": w2}, x)
    # tanh'(b) ⊗ x, whatever the module's own W
    b = net[0].bias.detach().double()
    d = 1 - torch.tanh(b) ** 2
    expected = torch.tensor([d[0] * x[0, 0], d[0] * x[0, 1], 0, 0], dtype=torch.float64)
    assert torch.allclose(J0[0], expected)


def test_integer_inputs_and_params_stay_exact():
    fn = lambda p, x: x @ p["A"].T @ p["B"].T  # noqa: E731
    A = torch.tensor([[3, -7]])
    B = torch.tensor([[11], [-13]])
    J = jacobian(fn, {"A": A, "B": B}, torch.tensor([[10**6, 1]]))
    assert J.dtype == torch.float64
    assert J[0, 0].item() == 11 * 10**6 and J[1, 0].item() == -13 * 10**6


def test_errors():
    fn = lambda p, x: x @ p["w"]  # noqa: E731
    x = torch.ones(3, 2)
    good = {"w": torch.zeros(2)}
    with pytest.raises(TypeError, match="fn"):
        jacobian(42, good, x)
    with pytest.raises(TypeError, match="params"):
        jacobian(fn, [torch.zeros(2)], x)
    with pytest.raises(TypeError, match="params is None"):
        jacobian(fn, None, x)
    with pytest.raises(ValueError, match="empty"):
        jacobian(fn, {}, x)
    with pytest.raises(TypeError, match="real"):
        jacobian(fn, {"w": torch.zeros(2, dtype=torch.complex64)}, x)
    with pytest.raises(TypeError, match="inputs"):
        jacobian(fn, good, [[1.0, 2.0]])
    with pytest.raises(ValueError, match="leading sample"):
        jacobian(fn, good, torch.tensor(1.0))
    with pytest.raises(ValueError, match="n_samples"):
        jacobian(lambda p, x: torch.zeros(4, 1), good, x)
    with pytest.raises(ValueError, match="n_samples"):
        jacobian(lambda p, x: torch.zeros(3, 1, 1), good, x)
    with pytest.raises(TypeError, match="return a torch.Tensor"):
        jacobian(lambda p, x: 1.0, good, x)
    with pytest.raises(ValueError, match="not parameters of the module"):
        jacobian(torch.nn.Linear(2, 1), {"nope": torch.zeros(1)}, x)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        jacobian(torch.nn.Linear(2, 1), torch.zeros(3), x)
