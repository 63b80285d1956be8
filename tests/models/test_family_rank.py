"""Rank problems: generic Jacobian ranks against known dimensions, and the gives_lambda rules.

Ranks are computed two ways: exactly with :func:`slttheory.geometry.generic_rank` (random
integer points, python-flint) where it is available, and numerically with
``torch.func.jacrev`` and a float64 SVD at a random real point (independent of it).
"""

import pytest
import torch

from slttheory.models import FAMILIES


def _jacobian(fn, params, inputs):
    jac = torch.func.jacrev(fn)(params, inputs)
    n_out = fn(params, inputs).numel()
    return torch.cat([jac[k].reshape(n_out, -1) for k in params], dim=1)


def numeric_rank(rp, params=None, seed=0):
    g = torch.Generator().manual_seed(seed)
    if params is None:
        params = {k: torch.randn(*s, generator=g, dtype=torch.float64)
                  for k, s in rp.param_shapes.items()}
    return int(torch.linalg.matrix_rank(_jacobian(rp.fn, params, rp.inputs)))


def exact_generic_rank(rp):
    geometry = pytest.importorskip("slttheory.geometry")
    if not hasattr(geometry, "generic_rank"):
        pytest.skip("slttheory.geometry.generic_rank not available")
    return geometry.generic_rank(rp.fn, rp.param_shapes, rp.inputs, degree=rp.degree).rank


def both_ranks(rp):
    r = numeric_rank(rp)
    try:
        exact = exact_generic_rank(rp)
    except pytest.skip.Exception:
        return r
    assert exact == r
    return r


def _b(*sizes):
    return min(sizes)


@pytest.mark.parametrize("m,n,h", [(5, 5, 3), (3, 4, 2), (4, 2, 3), (2, 2, 5), (6, 3, 1)])
def test_rrr_generic_rank(m, n, h):
    rp = FAMILIES["reduced_rank_regression"].rank_problem({"m": m, "n": n, "h": h, "r": 0})
    b = _b(m, n, h)
    assert both_ranks(rp) == b * (m + n - b)  # h(m+n−h) when h ≤ min(m, n)
    assert rp.degree == 2


@pytest.mark.parametrize("widths", [(3, 2, 4), (2, 3, 3, 2), (4, 3, 5, 2, 4), (3, 4)])
def test_dln_generic_rank(widths):
    rp = FAMILIES["deep_linear_network"].rank_problem(widths=list(widths))
    b = min(widths)
    assert both_ranks(rp) == b * (widths[0] + widths[-1] - b)
    assert rp.degree == len(widths) - 1


def test_regular_polynomial_toy_low_rank_ranks():
    assert both_ranks(FAMILIES["regular"].rank_problem(d=4)) == 4
    assert both_ranks(FAMILIES["polynomial_regression"].rank_problem(degree=6)) == 7
    assert both_ranks(FAMILIES["linear_regression_toy"].rank_problem()) == 2
    assert both_ranks(FAMILIES["low_rank_linear"].rank_problem(d=5, r=2)) == 2 * (10 - 2)


@pytest.mark.parametrize("d,k", [(3, 1), (3, 2), (4, 2), (3, 3), (3, 5)])
def test_quadratic_single_output_rank(d, k):
    """p = 1: the image is the symmetric d×d matrices of rank ≤ k, of dimension
    dk − k(k−1)/2 for k ≤ d and d(d+1)/2 beyond (classical; seed 001 App. G)."""
    rp = FAMILIES["quadratic_network"].rank_problem(d=d, k=k, p=1)
    kk = min(k, d)
    assert both_ranks(rp) == d * kk - kk * (kk - 1) // 2
    assert rp.gives_lambda and "F.1" in rp.reason


def test_quadratic_bias_rank_is_modulo_constants():
    """With biases, f = Σ v_k (w_kᵀx + b_k)² + c is a quadratic polynomial; the centred loss
    sees it modulo constants: (d+1)(d+2)/2 − 1 directions for k ≥ d + 1."""
    d = 2
    rp = FAMILIES["quadratic_network"].rank_problem(d=d, k=4, p=1, bias=True)
    assert both_ranks(rp) == (d + 1) * (d + 2) // 2 - 1


def test_quadratic_multi_output_small_k():
    """k(d + p − 1) for few units (each unit: a direction up to scale, d − 1, plus p outputs)."""
    rp = FAMILIES["quadratic_network"].rank_problem(d=4, k=2, p=3)
    assert both_ranks(rp) == 2 * (4 + 3 - 1)


def _true_params(name, params):
    prob = FAMILIES[name].build(params, n=5, generator=3, dtype=torch.float64,
                                refine_steps=0)  # the true point
    return {k: v.detach() for k, v in prob.model.named_parameters()}


CASES = [
    ("regular", {"d": 3}),
    ("reduced_rank_regression", {"m": 4, "n": 3, "h": 2, "r": 2}),
    ("reduced_rank_regression", {"m": 2, "n": 4, "h": 3, "r": 2}),
    ("reduced_rank_regression", {"m": 4, "n": 3, "h": 3, "r": 1}),
    ("reduced_rank_regression", {"m": 4, "n": 3, "h": 2, "r": 0}),
    ("deep_linear_network", {"widths": [3, 2, 4], "r": 2}),
    ("deep_linear_network", {"widths": [3, 4, 3], "r": 1}),
    ("low_rank_linear", {"d": 4, "r": 2}),
    ("polynomial_regression", {"degree": 3}),
    ("quadratic_network", {"d": 3, "k": 2, "p": 2}),
    ("normal_crossing", {"powers": [1, 2]}),
    ("linear_regression_toy", {}),
]


@pytest.mark.parametrize("name,params", CASES)
def test_gives_lambda_iff_true_point_is_minimally_singular(name, params):
    """gives_lambda is claimed exactly where the Jacobian at the family's own w* has the
    generic rank (a submersion there: seed 001 Thm F.1); the parameter layout of the rank map
    equals the model's."""
    rp = FAMILIES[name].rank_problem(params)
    true = _true_params(name, params)
    assert {k: tuple(v.shape) for k, v in true.items()} == dict(rp.param_shapes)
    at_true = numeric_rank(rp, true)
    generic = numeric_rank(rp)
    assert rp.gives_lambda == (at_true == generic)


def test_gives_lambda_rules():
    rrr = FAMILIES["reduced_rank_regression"].rank_problem
    assert rrr(m=4, n=3, h=2, r=2).gives_lambda
    assert rrr(m=2, n=4, h=3, r=2).gives_lambda          # r = min(m, n, h) = m
    assert not rrr(m=4, n=3, h=3, r=1).gives_lambda
    dln = FAMILIES["deep_linear_network"].rank_problem
    assert dln(widths=[3, 2, 4], r=2).gives_lambda and not dln(widths=[3, 2, 4], r=1).gives_lambda
    assert FAMILIES["regular"].rank_problem().gives_lambda
    assert FAMILIES["polynomial_regression"].rank_problem().gives_lambda
    assert FAMILIES["linear_regression_toy"].rank_problem().gives_lambda
    assert FAMILIES["low_rank_linear"].rank_problem(d=6, r=3).gives_lambda
    assert FAMILIES["quadratic_network"].rank_problem().gives_lambda
    assert not FAMILIES["normal_crossing"].rank_problem().gives_lambda
    assert not FAMILIES["modular_addition"].rank_problem(p=3, k=2).gives_lambda


def test_modular_addition_rank_problem_shapes():
    rp = FAMILIES["modular_addition"].rank_problem(p=3, k=2)
    assert rp.inputs.shape == (9, 6) and rp.param_shapes == {"W": (6, 2), "V": (3, 2)}
    assert numeric_rank(rp) <= 2 * (6 + 3 - 1)


def test_polynomial_rank_reason_says_where_the_rank_is_computed():
    """An outside review: "Vandermonde entries reach 3^5 in size" was cryptic; the reason
    names the integer nodes, the entries' size as a power, and why an interval's rank agrees."""
    why = FAMILIES["polynomial_regression"].rank_problem(degree=5).reason
    assert ("rank computed exactly at the integer nodes −2, −1, …, 3 (Vandermonde entries up "
            "to 3⁵); any 6 distinct nodes, those of any interval included, give the same rank"
            ) in why, why
    assert "reach" not in why and "^" not in why
