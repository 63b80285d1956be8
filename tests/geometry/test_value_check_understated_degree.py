"""check_jacobian_by_values refutes an understated degree with certainty 1 − 10⁻⁶.

An audit of the value check: it compared J·v with the derivative of the degree-D interpolant
of f(w + t v) at 3 points with entries in {−10, …, 10}, so a map of degree D + 1 passed as
degree D with chance about (2/21)³ ≈ 10⁻³ (w0(1 − w1) passed as degree 1), a thousand times
the RANK_CERTAINTY = 10⁻⁶ its certificate claims. The check now draws from sets of size
≥ 81 and counts points until ((E + 1)/|S|)^k ≤ 10⁻⁶ for every true degree E ≤ 48.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import torch

from slttheory.geometry import check_jacobian_by_values
from slttheory.geometry.rank import (
    VALUE_CHECK_DEGREE_CEILING,
    VALUE_CHECK_MISS_BOUND,
    VALUE_CHECK_RADII,
    _derivative_weights,
    value_check_points,
)
from slttheory.verify.evidence.records import RANK_CERTAINTY


def _w0_one_minus_w1(p, x):
    """w0(1 − w1): degree 2, one output (reverse mode)."""
    w = p["w"]
    return (w[0] * (1 - w[1])).reshape(1) * x.to(w.dtype)


def _cubic(p, x):
    """w0²·w1 + w1: degree 3."""
    w = p["w"]
    return (w[0] * w[0] * w[1] + w[1]).reshape(1) * x.to(w.dtype)


def _vanishing_on_small_integers(p, x):
    """∏_{i=0..5} (w0 − i) + w1: degree 6, its top part zero at w0 ∈ {0, …, 5}."""
    w = p["w"]
    prod = w[0]
    for i in range(1, 6):
        prod = prod * (w[0] - i)
    out = prod + w[1]
    return out.reshape(1) * x.to(w.dtype)


def _cubic_rows(p, x):
    """(x·w)³ row by row: degree 3, three outputs over two parameters (forward mode)."""
    return (x.to(p["w"].dtype) @ p["w"]) ** 3


ONE = torch.ones(1, dtype=torch.int64)
ROWS = torch.tensor([[0, 0], [1, 2], [3, 1]])
UNDERSTATED = [  # (map, inputs, true degree, understated degree)
    (_w0_one_minus_w1, ONE, 2, 1),
    (_cubic, ONE, 3, 2),
    (_cubic, ONE, 3, 1),
    (_vanishing_on_small_integers, ONE, 6, 1),
    (_vanishing_on_small_integers, ONE, 6, 5),
    (_cubic_rows, ROWS, 3, 2),
]
IDS = [f"{f.__name__}-{d}-as-{u}" for f, _, d, u in UNDERSTATED]


def _vanishing_check():
    """The map above really is ∏(w0 − i) + w1 (a typo in the loop would test nothing)."""
    for w0 in range(-3, 9):
        out = _vanishing_on_small_integers({"w": torch.tensor([float(w0), 2.0])}, ONE)
        assert float(out) == math.prod(w0 - i for i in range(6)) + 2


def test_the_counted_points_reach_rank_certainty_for_every_true_degree_up_to_the_ceiling():
    assert VALUE_CHECK_MISS_BOUND <= Fraction(RANK_CERTAINTY)
    for r in VALUE_CHECK_RADII:
        k = value_check_points(2 * r + 1)
        assert k is not None
        assert Fraction(VALUE_CHECK_DEGREE_CEILING + 1, 2 * r + 1) ** k <= VALUE_CHECK_MISS_BOUND
        assert Fraction(VALUE_CHECK_DEGREE_CEILING + 1, 2 * r + 1) ** (k - 1) > (
            VALUE_CHECK_MISS_BOUND)
    assert value_check_points(2 * 24 + 1) is None  # |S| ≤ E + 1: no count is enough


def test_the_rule_errs_on_every_degree_above_the_declared_one():
    """The proof's step: the rule's error on t^(D+1) is (−1)^D·D! ≠ 0."""
    for d in range(13):
        c = _derivative_weights(d)
        err = (1 if d == 0 else 0) - sum(ct * t ** (d + 1) for t, ct in enumerate(c))
        assert err == (-1) ** d * math.factorial(d)


@pytest.mark.parametrize(("fn", "x", "true", "declared"), UNDERSTATED, ids=IDS)
def test_an_understated_degree_is_refuted_with_a_fixed_seed(fn, x, true, declared):
    _vanishing_check()
    with pytest.raises(ValueError, match=f"degree above degree={declared}"):
        check_jacobian_by_values(fn, {"w": (2,)}, x, degree=declared, seed=0)


@pytest.mark.parametrize(("fn", "x", "true", "declared"), UNDERSTATED, ids=IDS)
def test_an_understated_degree_is_refuted_at_every_one_of_200_seeds(fn, x, true, declared):
    missed = []
    for seed in range(200):
        try:
            check_jacobian_by_values(fn, {"w": (2,)}, x, degree=declared, seed=seed)
        except ValueError:
            continue
        missed.append(seed)
    assert not missed


@pytest.mark.parametrize(("fn", "x", "true"),
                         sorted({(f, x, d) for f, x, d, _ in UNDERSTATED}, key=str))
def test_a_true_degree_passes(fn, x, true):
    """A true (or overstated) degree never raises. Below degree 4 the check runs (True);
    the degree-6 map's values at radius 40 come near 2^53 (uᵀ·J(w) in reverse mode passes
    it at some points), where the check is not run (False: stated, not certified)."""
    results = [check_jacobian_by_values(fn, {"w": (2,)}, x, degree=true, seed=seed)
               for seed in range(6)]
    if true <= 3:
        assert all(r is True for r in results)
    else:
        assert set(results) <= {True, False} and any(results)
    # an overstated degree is no error (the Schwartz–Zippel bound only gets weaker)
    assert check_jacobian_by_values(fn, {"w": (2,)}, x, degree=true + 1) in (True, False)
