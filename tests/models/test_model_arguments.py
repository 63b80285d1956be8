"""Bad arguments to the models, data helpers and ``Family.build`` raise ValueError/TypeError
naming the argument (no torch errors, no silent truncation, no zero-parameter models)."""

import pytest
import torch

from slttheory import models as M
from slttheory.models import FAMILIES
from slttheory.models.embed_mlp import EmbedMLP, modular_pairs
from slttheory.models.regimes import FrozenFeatureNetwork, LinearisedQuadraticNetwork

G = torch.Generator  # a fresh generator per call: torch.Generator().manual_seed(0)
NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")


def _build(device):
    return FAMILIES["regular"].build({"d": 2}, n=20, generator=0, device=device, refine_steps=0)


BAD = [
    # data helpers
    (lambda: M.line_data(10, noise=float("nan")), ValueError, r"\bnoise\b"),
    (lambda: M.line_data(10, noise=-1.0), ValueError, r"\bnoise\b"),
    (lambda: M.line_data(10, noise="1"), TypeError, r"\bnoise\b"),
    (lambda: M.line_data(-1), ValueError, r"\bn\b"),
    (lambda: M.line_data(2.0), TypeError, r"\bn\b"),
    (lambda: M.sine_data(-1), ValueError, r"\bn\b"),
    (lambda: M.sine_data(True), TypeError, r"\bn\b"),
    (lambda: M.parity_data(8, 4, -1, G()), ValueError, r"\bk\b"),
    (lambda: M.parity_data(8, 4, 9, G()), ValueError, r"\bk\b"),
    (lambda: M.parity_data(8, 4, 0, G()), ValueError, r"\bk\b"),
    (lambda: M.parity_data(8, True, 1, G()), TypeError, r"\bn_bits\b"),
    (lambda: M.parity_data(-5, 4, 2, G()), ValueError, r"\bn\b"),
    (lambda: M.parity_data(8, 4, 2, None), TypeError, r"\bgenerator\b"),
    (lambda: M.modular_addition_data(-3), ValueError, r"\bp\b"),
    (lambda: M.modular_addition_data(0), ValueError, r"\bp\b"),
    (lambda: M.modular_addition_data(1.5), TypeError, r"\bp\b"),
    (lambda: M.modular_addition_data(10**6), ValueError, r"\bp = 1000000\b"),
    (lambda: M.quadratic_unisolvent_inputs(-1), ValueError, r"\bd\b"),
    (lambda: M.quadratic_unisolvent_inputs(1.5), TypeError, r"\bd\b"),
    (lambda: M.quadratic_unisolvent_inputs(10**6), ValueError, r"\bd = 1000000\b"),
    (lambda: M.rank_inputs(torch.ones(2, 2), like=3), TypeError, r"\blike\b"),
    (lambda: modular_pairs(10**6), ValueError, r"\bp = 1000000\b"),
    # model constructors: sizes, flags, dtypes
    (lambda: M.QuadraticNetwork(3, 5, bias="no"), TypeError, r"\bbias\b"),
    (lambda: M.QuadraticNetwork(3, -1), ValueError, r"\bk\b"),
    (lambda: M.NormalCrossing([1.5, 2]), TypeError, r"powers\[0\]"),
    (lambda: M.NormalCrossing("12"), TypeError, r"\bpowers\b"),
    (lambda: M.NormalCrossing([-1, 2]), ValueError, r"powers\[0\]"),
    (lambda: M.NormalCrossing([]), ValueError, r"\bpowers\b"),
    (lambda: M.NormalCrossing([0, 0]), ValueError, r"\bpowers\b"),
    (lambda: M.ReducedRankRegression(True, 3, 2), TypeError, r"\bm\b"),
    (lambda: M.ReducedRankRegression(4, 3, -2), ValueError, r"\bh\b"),
    (lambda: M.PolynomialRegression(-1), ValueError, r"\bdegree\b"),
    (lambda: M.PolynomialRegression(2.0), TypeError, r"\bdegree\b"),
    (lambda: M.LinearRegression(0), ValueError, r"\bd\b"),
    (lambda: M.LinearRegression(-1), ValueError, r"\bd\b"),
    (lambda: M.TanhNetwork(0), ValueError, r"\bh\b"),
    (lambda: M.TanhNetwork(-1), ValueError, r"\bh\b"),
    (lambda: M.DeepLinearNetwork([5, 0, 5]), ValueError, r"widths\[1\]"),
    (lambda: M.DeepLinearNetwork([5, -1, 5]), ValueError, r"widths\[1\]"),
    (lambda: M.DeepLinearNetwork([5, 1.5, 5]), TypeError, r"widths\[1\]"),
    (lambda: M.DeepLinearNetwork(5), TypeError, r"\bwidths\b"),
    (lambda: M.LowRankLinear(3, -1), ValueError, r"\br\b"),
    (lambda: M.ParityMLP(0, 4), ValueError, r"\bn_bits\b"),
    (lambda: M.ParityMLP(4, 0), ValueError, r"\bwidth\b"),
    (lambda: M.ParityMLP(-1, 4), ValueError, r"\bn_bits\b"),
    (lambda: M.ReLUAutoencoder(0, 2, 3), ValueError, r"\bd\b"),
    (lambda: M.ReLUAutoencoder(4, 2, 0), ValueError, r"\bhidden\b"),
    (lambda: M.TinyTanhMLP(dtype=torch.int64), TypeError, r"\bdtype\b"),
    (lambda: M.LinearRegression(3, dtype=torch.int64), TypeError, r"\bdtype\b"),
    (lambda: EmbedMLP(5, output_bias=1), TypeError, r"\boutput_bias\b"),
    (lambda: EmbedMLP(5, dtype=torch.int32), TypeError, r"\bdtype\b"),
    (lambda: FrozenFeatureNetwork(torch.ones(4, 3), 0), ValueError, r"\bp\b"),
    (lambda: FrozenFeatureNetwork(torch.ones(4, 3, dtype=torch.int64), 2), ValueError, r"\bW\b"),
    (lambda: LinearisedQuadraticNetwork(torch.ones(3, 2), torch.ones(1, 3)), ValueError, r"\bV0\b"),
    # Family.build's device
    (lambda: _build("bogus"), ValueError, r"\bdevice\b"),
    (lambda: _build(3), TypeError, r"\bdevice\b"),
    pytest.param(lambda: _build("cuda"), ValueError, r"\bdevice\b.*CUDA is not available",
                 marks=NO_CUDA),
]


@pytest.mark.parametrize(("call", "exc", "match"), BAD)
def test_bad_argument_names_itself(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


ONE_INPUT = [
    lambda: M.TanhNetwork(2),
    lambda: M.PolynomialRegression(2),
    lambda: M.NormalCrossing([1, 2]),
    lambda: M.TinyTanhMLP(generator=0),
]


@pytest.mark.parametrize("make", ONE_INPUT)
def test_one_input_models_take_n_or_n_by_1_and_refuse_wider_inputs(make):
    m = make()
    assert m(torch.zeros(4)).shape == m(torch.zeros(4, 1)).shape == (4, 1)
    for bad in (torch.zeros(4, 3), torch.zeros(2, 2, 1), torch.zeros(())):
        with pytest.raises(ValueError, match=r"\bx must have shape \(N,\) or \(N, 1\)"):
            m(bad)


def test_valid_edge_sizes_still_build():
    assert M.PolynomialRegression(0).coeffs.numel() == 1  # degree 0: one coefficient
    assert M.NormalCrossing((0, 2)).powers == (0, 2)  # k_j = 0 allowed, not all zero
    assert M.parity_data(3, 4, 4, 0)[1].shape == (3, 1)  # k = n_bits, int seed
    assert M.line_data(1)[0].shape == (1, 1)
    assert _build("auto").model.w.device.type in ("cpu", "cuda")
    assert _build(torch.device("cpu")).model.w.device.type == "cpu"
