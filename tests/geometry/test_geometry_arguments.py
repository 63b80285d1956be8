"""Bad arguments to the geometry functions raise ValueError/TypeError naming the argument
(never a bare RuntimeError/AttributeError from torch, a hang, or a silently wrong result)."""

import time
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from slttheory.geometry import (
    critical_point_check,
    exact_rank,
    generic_rank,
    jacobian,
    jacobian_rank,
    schwartz_zippel_bound,
    true_point_rank,
)

NAN = float("nan")


def rrr(p, x):
    return x @ p["A"].T @ p["B"].T


def _lin():
    m = torch.nn.Linear(2, 1)
    with torch.no_grad():
        m.weight.copy_(torch.tensor([[2.0, -1.0]]))
        m.bias.zero_()
    return m


def _xy(n=5):
    x = torch.randn(n, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    return x, x @ torch.tensor([[2.0], [-1.0]], dtype=torch.float64)


def _nan_x():
    x, y = _xy()
    x[0, 0] = NAN
    return x, y


def _nan_module():
    m = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
    with torch.no_grad():
        m[0].weight.fill_(NAN)  # (a NaN in a linear layer's weight leaves its Jacobian finite)
    return m


class _Log(torch.nn.Module):
    """log(x·w): NaN outputs at finite inputs and parameters when x·w < 0."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([1.0, 1.0], dtype=torch.float64))

    def forward(self, x):
        return torch.log(x @ self.w)


def _cpc(**kw):
    data = kw.pop("data", None) or _xy()
    model = kw.pop("model", None) or _lin()
    return critical_point_check(model, data, device=kw.pop("device", "cpu"), **kw)


def _gr(**kw):
    return generic_rank(rrr, SHAPES, X3, **kw)


P = {"A": torch.ones(1, 3), "B": torch.ones(3, 1)}
NAN_P = {"A": torch.full((1, 3), NAN), "B": torch.ones(3, 1)}
X3 = torch.eye(3)
NAN_X3 = torch.eye(3).index_put_((torch.tensor(0), torch.tensor(0)), torch.tensor(NAN))
SHAPES = {"A": (1, 3), "B": (3, 1)}
RP = dict(fn=rrr, param_shapes={"A": (1, 3), "B": (3, 1)}, inputs=torch.eye(3, dtype=torch.int64),
          degree=2, true_point="trained", true_params=None, true_support=None)

CASES = [
    # critical_point_check
    ("cpc nan data", ValueError, "data", lambda: _cpc(data=_nan_x())),
    ("cpc nan params", ValueError, "params",
     lambda: _cpc(params={"weight": torch.full((1, 2), NAN)})),
    ("cpc empty data", ValueError, "data must have at least one sample",
     lambda: _cpc(data=(_xy()[0][:0], _xy()[1][:0]))),
    ("cpc sample mismatch", ValueError, "data", lambda: _cpc(data=(_xy()[0], _xy()[1][:3]))),
    ("cpc list data", TypeError, "data", lambda: _cpc(data=([[1.0, 2.0]], [[1.0]]))),
    ("cpc params shape", ValueError, r"params\['weight'\]",
     lambda: _cpc(params={"weight": torch.zeros(3, 3)})),
    ("cpc params list", TypeError, r"params\['weight'\]",
     lambda: _cpc(params={"weight": [[1.0, 2.0]]})),
    ("cpc params empty", ValueError, "params", lambda: _cpc(params={})),
    ("cpc input width", ValueError, "data",
     lambda: _cpc(data=(torch.zeros(5, 3), torch.zeros(5, 1)))),
    ("cpc device bogus", ValueError, "device", lambda: _cpc(device="bogus")),
    ("cpc device cuda:99", ValueError, "device", lambda: _cpc(device="cuda:99")),
    ("cpc device int", TypeError, "device", lambda: _cpc(device=3)),
    ("cpc non-finite loss", ValueError, "loss",
     lambda: _cpc(model=_Log(), data=(-torch.ones(3, 2, dtype=torch.float64), torch.zeros(3)))),
    ("cpc grad_tol nan", ValueError, "grad_tol", lambda: _cpc(grad_tol=NAN)),
    ("cpc eig_tol inf", ValueError, "eig_tol", lambda: _cpc(eig_tol=float("inf"))),
    ("cpc generator", TypeError, "generator", lambda: _cpc(generator="seed")),
    # jacobian
    ("jacobian override shape", ValueError, r"params\['weight'\]",
     lambda: jacobian(torch.nn.Linear(2, 2), {"weight": torch.zeros(3, 3)}, torch.ones(4, 2))),
    ("jacobian override list", TypeError, r"params\['weight'\]",
     lambda: jacobian(torch.nn.Linear(2, 2), {"weight": [[0.0] * 2] * 2}, torch.ones(4, 2))),
    ("jacobian input width", ValueError, "inputs",
     lambda: jacobian(torch.nn.Linear(2, 2), None, torch.ones(4, 3))),
    ("jacobian fn shapes", ValueError, "params",
     lambda: jacobian(rrr, {"A": torch.ones(1, 3), "B": torch.ones(3, 2)}, X3)),
    ("jacobian missing param", ValueError, "params",
     lambda: jacobian(rrr, {"A": torch.ones(1, 3)}, X3)),
    # exact_rank
    ("exact_rank ragged", ValueError, "matrix", lambda: exact_rank([[1, 2], [3]])),
    ("exact_rank str", TypeError, "matrix", lambda: exact_rank("12")),
    # jacobian_rank
    ("jacobian_rank tol nan", ValueError, "tol", lambda: jacobian_rank(rrr, P, X3, tol=NAN)),
    ("jacobian_rank tol inf", ValueError, "tol",
     lambda: jacobian_rank(rrr, P, X3, tol=float("inf"))),
    ("jacobian_rank tol bool", TypeError, "tol", lambda: jacobian_rank(rrr, P, X3, tol=True)),
    ("jacobian_rank nan params", ValueError, "params", lambda: jacobian_rank(rrr, NAN_P, X3)),
    ("jacobian_rank nan inputs", ValueError, "inputs", lambda: jacobian_rank(rrr, P, NAN_X3)),
    ("jacobian_rank nan inputs exact", ValueError, "inputs",
     lambda: jacobian_rank(rrr, P, NAN_X3, method="exact")),
    ("jacobian_rank nan module", ValueError, "fn",
     lambda: jacobian_rank(_nan_module(), None, torch.ones(3, 2))),
    # generic_rank
    ("generic_rank bad shapes", ValueError, "param_shapes",
     lambda: generic_rank(rrr, {"A": (1, 3), "B": (3, 2)}, X3)),
    ("generic_rank bad shapes radius", ValueError, "param_shapes",
     lambda: generic_rank(rrr, {"A": (1, 3), "B": (3, 2)}, X3, radius=5)),
    ("generic_rank seed huge", ValueError, "seed", lambda: _gr(seed=2**70)),
    ("generic_rank seed negative", ValueError, "seed", lambda: _gr(seed=-1)),
    ("generic_rank seed bool", TypeError, "seed", lambda: _gr(seed=True)),
    ("generic_rank radius huge", ValueError, "radius", lambda: _gr(radius=2**70)),
    ("generic_rank radius 2^53", ValueError, "radius", lambda: _gr(radius=2**53)),
    ("generic_rank trials huge", ValueError, "trials", lambda: _gr(trials=10**9)),
    ("generic_rank trials bool", ValueError, "trials", lambda: _gr(trials=True)),
    ("generic_rank missing shape", ValueError, "param_shapes",
     lambda: generic_rank(rrr, {"A": (1, 3)}, X3)),
    ("generic_rank empty shapes", ValueError, "param_shapes", lambda: generic_rank(rrr, {}, X3)),
    ("generic_rank module shapes", ValueError, r"param_shapes\['weight'\]",
     lambda: generic_rank(torch.nn.Linear(3, 1), {"weight": (3, 3)}, X3)),
    ("generic_rank module unknown", ValueError, "param_shapes",
     lambda: generic_rank(torch.nn.Linear(3, 1), {"w": (1, 3)}, X3)),
    ("generic_rank nan inputs", ValueError, "inputs", lambda: generic_rank(rrr, SHAPES, NAN_X3)),
    # schwartz_zippel_bound
    ("schwartz_zippel_bound trials huge", ValueError, "trials",
     lambda: schwartz_zippel_bound(2, 2, 3, 10**9)),
    ("schwartz_zippel_bound trials bool", ValueError, "trials",
     lambda: schwartz_zippel_bound(2, 2, 3, True)),
    # true_point_rank
    ("true_point_rank None", TypeError, "rank_problem.*RankProblem",
     lambda: true_point_rank(None)),
    ("true_point_rank int", TypeError, "rank_problem.*RankProblem", lambda: true_point_rank(3)),
    ("true_point_rank degree None", ValueError, "degree",
     lambda: true_point_rank(SimpleNamespace(**{**RP, "degree": None}))),
    ("true_point_rank exact no params", ValueError, "true_params",
     lambda: true_point_rank(SimpleNamespace(**{**RP, "true_point": "exact"}))),
    ("true_point_rank support no masks", ValueError, "true_support",
     lambda: true_point_rank(SimpleNamespace(**{**RP, "true_point": "support"}))),
    ("true_point_rank trials", ValueError, "trials",
     lambda: true_point_rank(SimpleNamespace(**RP), trials=0)),
    ("true_point_rank seed", ValueError, "seed",
     lambda: true_point_rank(SimpleNamespace(**RP), seed=-1)),
    ("true_point_rank at keys", ValueError, "at",
     lambda: true_point_rank(SimpleNamespace(**RP), at={"A": torch.ones(1, 3)})),
    ("true_point_rank at transposed", ValueError, r"at\['A'\]",
     lambda: true_point_rank(SimpleNamespace(**RP),
                             at={"A": torch.ones(3, 1), "B": torch.ones(3, 1)})),
    ("true_point_rank at list", TypeError, "at",
     lambda: true_point_rank(SimpleNamespace(**RP), at=[1])),
]


@pytest.mark.parametrize(("exc", "match", "call"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_argument_is_named(exc, match, call):
    with pytest.raises(exc, match=match):
        call()


def test_accepted_edge_inputs():
    x, y = _xy()
    ref = _cpc(data=(x, y))
    assert _cpc(data=(x.numpy(), y.numpy())) == ref  # numpy data accepted, same result
    assert _cpc(data=(x, y), generator=3).is_local_min  # an int seed for the Lanczos start
    assert jacobian_rank(rrr, P, X3, tol=1e-9).rank == jacobian_rank(rrr, P, X3).rank == 5
    start = time.perf_counter()  # the cap keeps the exact bound fast
    assert schwartz_zippel_bound(2, 2, 3, 10**4) == Fraction(2, 3) ** 10**4
    assert schwartz_zippel_bound(2, 2, 3, 10**4) > 0 and time.perf_counter() - start < 5
    rp = SimpleNamespace(**RP)  # a flat tensor for at is still accepted
    flat = {"A": torch.ones(3, dtype=torch.float64), "B": torch.ones(3, dtype=torch.float64)}
    assert true_point_rank(rp, at=flat).rank == 5
    assert generic_rank(rrr, SHAPES, np.eye(3), seed=2**63 - 1, radius=2**20).rank == 5
