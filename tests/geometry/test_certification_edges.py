"""The edges where a certified rank or a critical-point check could be silently wrong: a
rank mod the fast prime, the SVD cut's scale, near-integer floats, the Schwartz–Zippel bound
one below the maximum, the max over trials, the value check's every output, partial sums
of every reduction at 2^53, non-integer constants, negative exponents, the gradient and
curvature tolerances, a generic stratum's lower bound. A mutation audit of the geometry
layer found 19 one-line changes here that no other test caught; each now fails one of these."""

import numpy as np
import pytest
import torch

from slttheory.geometry import EXACT_LIMIT, exact_rank, jacobian_rank


def test_exact_rank_does_not_trust_a_rank_drop_modulo_the_fast_prime():
    # det = 2^31 * 2^30 - 1 = 2^61 - 1 = PRIME: rank 2 over Q, rank 1 modulo PRIME.
    # All entries < 2^53, so the float path is taken as well.
    M = [[2**31, 1], [1, 2**30]]
    assert exact_rank(M) == 2
    assert exact_rank(np.array(M, dtype=np.float64)) == 2
    assert exact_rank(M, modulus=2**61 - 1) == 1  # the documented lower-bound mode


def test_svd_default_tolerance_scales_with_the_larger_dimension():
    # J is 6 x 2 (6 rows, 2 parameters): numpy's tol = sigma_max * max(6, 2) * eps.
    x = torch.arange(1.0, 13.0).reshape(6, 2)
    r = jacobian_rank(lambda w, x: x @ w, torch.ones(2), x)
    assert (r.n_rows, r.n_params) == (6, 2)
    s = np.linalg.svd(x.numpy().astype(np.float64), compute_uv=False)
    assert r.tol == pytest.approx(s.max() * 6 * np.finfo(np.float64).eps, rel=1e-12, abs=0)
    # (abs=0: approx's default abs=1e-12 would accept any tolerance this small)


def test_svd_rank_cut_between_min_and_max_dimension_tolerances():
    # singular values 1 and 8e-16: numpy's matrix_rank (tol = 1 * 6 * eps = 1.33e-15) says 1;
    # a tolerance of min(shape) * eps = 4.4e-16 would count the tiny one too.
    x = torch.zeros(6, 2, dtype=torch.float64)
    x[0, 0], x[1, 1] = 1.0, 8e-16
    r = jacobian_rank(lambda w, x: x @ w, torch.ones(2, dtype=torch.float64), x)
    assert r.rank == np.linalg.matrix_rank(x.numpy()) == 1


def test_exact_rank_refuses_a_float_matrix_that_is_almost_but_not_integer():
    for bad in (1 + 2.0**-30, 3 - 1e-9, 2.0**20 + 0.5):
        with pytest.raises(ValueError, match="non-integer"):
            exact_rank(np.array([[bad, 1.0], [1.0, 1.0]]))


def _square_of_first(p, x):
    """w0² · x on two samples: Jacobian [[2 w0 x1, 0], [2 w0 x2, 0]], generic rank 1 < 2;
    rank 0 wherever w0 = 0 (a third of the points at radius 1)."""
    return (p["w"][0] ** 2) * x.to(p["w"].dtype) + 0 * p["w"][1]


def test_generic_rank_is_the_max_over_trials_not_the_last_trial():
    from slttheory.geometry import generic_rank

    x = torch.tensor([[1], [2]])
    res = generic_rank(_square_of_first, {"w": (2,)}, x, trials=5, seed=0, radius=1, degree=2)
    assert res.ranks_per_trial == (1, 1, 0, 0, 0)  # seed 0: the last trial sits at w0 = 0
    assert res.rank == max(res.ranks_per_trial) == 1 < res.max_possible == 2
    assert ">= 1" in res.statement
    assert res.schwartz_zippel_bound == pytest.approx((2 * 1 / 3) ** 5, rel=1e-12, abs=0)


def test_a_rank_one_below_the_maximum_gets_a_positive_bound():
    from slttheory.geometry import generic_rank

    # w0·w1 on two samples: rows (w1, w0) and (2 w1, 2 w0): generic rank 1, max_possible 2.
    fn = lambda p, x: (p["w"][0] * p["w"][1]) * x.to(p["w"].dtype)  # noqa: E731
    res = generic_rank(fn, {"w": (2,)}, torch.tensor([[1], [2]]), degree=2)
    assert (res.rank, res.max_possible) == (1, 2)
    assert res.schwartz_zippel_bound > 0 and res.a_priori_bound > 0
    assert res.schwartz_zippel_bound == pytest.approx(
        (2 * 1 / res.set_size) ** len(res.ranks_per_trial), rel=1e-9, abs=0)


def _cubic_in_later_rows(p, x):
    """(x·w)³ per sample: degree 3. Sample 0 is x = 0, so row 0 is 0 and agrees with any
    derivative. 2 parameters < 3 rows: the value check compares J·v (forward mode) row by row."""
    return (x.to(p["w"].dtype) @ p["w"]) ** 3


def test_the_value_check_compares_every_output_not_only_the_first():
    """A forward-mode J·v disagreeing with the values only in rows 2-3 (degree 3 declared 2:
    the Schwartz-Zippel bound would be computed for the wrong degree)."""
    from slttheory.geometry import check_jacobian_by_values, generic_rank

    x = torch.tensor([[0, 0], [1, 2], [3, 1]])
    with pytest.raises(ValueError, match="degree above degree=2"):
        check_jacobian_by_values(_cubic_in_later_rows, {"w": (2,)}, x, degree=2)
    with pytest.raises(ValueError, match="degree above degree=2"):
        generic_rank(_cubic_in_later_rows, {"w": (2,)}, x, degree=2)
    assert check_jacobian_by_values(_cubic_in_later_rows, {"w": (2,)}, x, degree=3)


def test_the_value_check_says_when_it_did_not_run():
    """(2^20·w)³: past 2^53 even at entries in {-1, 0, 1}, so no check ran: False, not True."""
    from slttheory.geometry import check_jacobian_by_values

    fn = lambda p, x: (p["w"] * x.to(p["w"].dtype)) ** 3  # noqa: E731
    assert check_jacobian_by_values(fn, {"w": (1,)}, torch.tensor([[2.0**20]]), degree=3) is False
    assert check_jacobian_by_values(fn, {"w": (1,)}, torch.tensor([[2.0]]), degree=3) is True


def test_the_audit_refuses_the_value_two_to_the_53():
    from slttheory.geometry.exact_arithmetic import InexactArithmeticError, IntegerExactnessAudit

    big = torch.tensor([float(EXACT_LIMIT)], dtype=torch.float64)  # may be a rounded 2^53 + 1
    with pytest.raises(InexactArithmeticError, match="2\\^53"):
        with IntegerExactnessAudit():
            big.clone()


@pytest.mark.parametrize("op", ["mv", "dot"])
def test_matrix_vector_partial_sums_are_bounded(op):
    from slttheory.geometry.exact_arithmetic import InexactArithmeticError, IntegerExactnessAudit

    row = torch.tensor([2.0**53 - 1, 2.0, -3.0], dtype=torch.float64)  # partial sum 2^53 + 1
    ones = torch.ones(3, dtype=torch.float64)
    with pytest.raises(InexactArithmeticError, match="2\\^53"):
        with IntegerExactnessAudit():
            torch.mv(row[None], ones) if op == "mv" else torch.dot(row, ones)


def test_addmm_partial_sums_are_bounded():
    from slttheory.geometry.exact_arithmetic import InexactArithmeticError, IntegerExactnessAudit

    row = torch.tensor([[2.0**53 - 1, 2.0, -3.0]], dtype=torch.float64)
    with pytest.raises(InexactArithmeticError, match="2\\^53"):
        with IntegerExactnessAudit():
            torch.addmm(torch.zeros(1, 1, dtype=torch.float64), row,
                        torch.ones(3, 1, dtype=torch.float64))


def test_a_non_integer_python_constant_is_refused_even_when_the_result_is_integer():
    from slttheory.geometry.exact_arithmetic import InexactArithmeticError, IntegerExactnessAudit

    x = torch.tensor([2.0, 4.0], dtype=torch.float64)
    with pytest.raises(InexactArithmeticError, match="0.5"):
        with IntegerExactnessAudit():
            x * 0.5  # integers here, but not an integer-coefficient map


def test_an_inexact_output_is_refused_at_the_operation_that_made_it():
    from slttheory.geometry.exact_arithmetic import InexactArithmeticError, IntegerExactnessAudit

    x = torch.tensor([2.0**30 + 1], dtype=torch.float64)
    with pytest.raises(InexactArithmeticError, match="an output"):
        with IntegerExactnessAudit():
            x.to(torch.float32)  # rounds 2^30 + 1 to 2^30, the last operation of the block


def test_negative_tensor_exponents_are_refused():
    from slttheory.geometry.exact_arithmetic import InexactArithmeticError, IntegerExactnessAudit

    x = torch.tensor([1.0, -1.0], dtype=torch.float64)  # x ** -1 is an integer here, but 1/x
    with pytest.raises(InexactArithmeticError, match="exponent"):
        with IntegerExactnessAudit():
            x ** torch.tensor([-1.0, -1.0], dtype=torch.float64)


_ROW = [2.0**53 - 1, 2.0, -3.0]  # exact sum 2^53 - 2, but the partial sum 2^53 + 1 rounds


@pytest.mark.parametrize("op", ["sum", "bmm", "index_put_accumulate", "rsub_alpha"])
def test_more_partial_sums_and_scaled_subtractions_are_bounded(op):
    from slttheory.geometry.exact_arithmetic import InexactArithmeticError, IntegerExactnessAudit

    f64 = dict(dtype=torch.float64)
    row = torch.tensor(_ROW, **f64)
    with pytest.raises(InexactArithmeticError, match="2\\^53"):
        with IntegerExactnessAudit():
            if op == "sum":
                row.sum()
            elif op == "bmm":
                torch.bmm(row.reshape(1, 1, 3), torch.ones(1, 3, 1, **f64))
            elif op == "index_put_accumulate":
                torch.zeros(1, **f64).index_put_((torch.zeros(3, dtype=torch.int64),), row,
                                                 accumulate=True)
            else:  # other - 3·input with 3·input = 2^53 + 1 (rounded) and |result| < 2^53
                torch.rsub(torch.tensor([(2.0**53 + 1) / 3], **f64),
                           torch.tensor([2.0], **f64), alpha=3)


def test_a_gradient_above_grad_tol_times_s_is_not_a_critical_point():
    from slttheory.geometry import critical_point_check

    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    y = x @ torch.tensor([[2.0], [-1.0]])
    m = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        m.weight.copy_(torch.tensor([[2.01, -1.0]]))  # |grad| ~ 7e-3 > 1e-3 · s (s = 1)
    c = critical_point_check(m, (x, y), "gaussian", device="cpu")
    assert c.grad_norm > 1e-3 * abs(c.largest_eigenvalue)
    assert not c.is_local_min and "not a critical point" in c.reason


class _Product(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(2))

    def forward(self, x):
        return (self.w[0] * self.w[1] * x).reshape(-1, 1)


def test_a_saddle_of_tiny_curvature_is_still_a_saddle():
    """w0·w1·x against y = 1/2 at w = 0: gradient 0, Hessian eigenvalues ±c with c = 5e-4;
    the tolerance is relative to s = c, so the saddle is flagged whatever the scale."""
    from slttheory.geometry import critical_point_check

    x = torch.full((4, 1), 1e-3, dtype=torch.float64)
    c = critical_point_check(_Product(), (x, torch.full((4, 1), 0.5)), "gaussian", device="cpu")
    assert c.smallest_eigenvalues[0] < 0 and abs(c.largest_eigenvalue) < 1e-3  # ±5e-4
    assert not c.is_local_min and "saddle" in c.reason


def test_a_generic_stratum_below_the_maximum_is_a_lower_bound_not_exact():
    from types import SimpleNamespace

    from slttheory.geometry import true_point_rank

    rrr = lambda p, x: x @ p["A"].T @ p["B"].T  # noqa: E731
    rp = SimpleNamespace(fn=rrr, param_shapes={"A": (3, 5), "B": (5, 3)},
                         inputs=torch.eye(5, dtype=torch.int64), degree=2, true_point="generic",
                         true_support=None, true_params=None)
    res = true_point_rank(rp)
    assert res.rank == 21 and res.certified and not res.exact  # 21 < 25: ">= 21", not "= 21"


def test_a_parameter_with_no_entries_is_named():
    """A zero-size parameter had failed inside forward-mode AD with a bare IndexError
    (outside fuzz); it is now a ValueError naming it."""
    fn = lambda p, x: x.sum(1) * p["a"].sum()  # noqa: E731
    with pytest.raises(ValueError, match=r"params\['a'\] has no entries"):
        jacobian_rank(fn, {"a": torch.zeros(0)}, torch.eye(3))
