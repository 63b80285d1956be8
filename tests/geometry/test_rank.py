"""slttheory.geometry.rank: exact vs SVD ranks, generic ranks of RRR and DLNs, bounds, errors.

Random integer matrices and points are drawn from a numpy/torch generator seeded by the
example, and hypothesis runs derandomized, so every run checks the same cases. Where a
random matrix could by chance have lower rank, the chance is bounded by Schwartz–Zippel
(stated at the test) and is below 1e-4 over the whole test.
"""

import dataclasses
import math
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from slttheory.geometry import (
    EXACT_LIMIT,
    check_jacobian_by_values,
    exact_rank,
    generic_rank,
    jacobian_rank,
    schwartz_zippel_bound,
)

det = settings(derandomize=True, max_examples=30, deadline=None)


def rrr(p, x):
    """Reduced-rank regression y = B A x (degree 2 in the parameters)."""
    return x @ p["A"].T @ p["B"].T


def dln(p, x):
    """Deep linear network y = W_L … W_1 x (degree L)."""
    for i in range(len(p)):
        x = x @ p[f"W{i}"].T
    return x


def rrr_expected(m, n, h):
    return h * (m + n) - h * h if h <= min(m, n) else m * n


def integer_inputs(m, rng, extra=2):
    """e_1..e_m (so the inputs span ℝ^m) and a few random integer rows."""
    return torch.from_numpy(np.vstack([np.eye(m, dtype=np.int64), rng.integers(-3, 4, (extra, m))]))


# ---------------------------------------------------------------- exact_rank


@det
@given(a=st.integers(1, 9), k=st.integers(1, 9), b=st.integers(1, 9), seed=st.integers(0, 2**31))
def test_exact_rank_of_product_of_random_integer_matrices_is_min_size(a, k, b, seed):
    # rank(AB) < min(a, k, b) needs a nonzero minor of degree 2·min ≤ 18 to vanish:
    # probability ≤ 18 / (2·10^6 + 1) per example (Schwartz–Zippel).
    rng = np.random.default_rng(seed)
    A = rng.integers(-10**6, 10**6 + 1, (a, k))
    B = rng.integers(-10**6, 10**6 + 1, (k, b))
    M = [[int(v) for v in row] for row in (A.astype(object) @ B.astype(object))]  # exact
    assert exact_rank(np.array(M, dtype=object)) == min(a, k, b)


def test_exact_rank_of_totally_positive_products_is_min_size():
    # Vandermonde matrices with nodes 0 < x_1 < … are totally positive, so are their
    # products (Cauchy–Binet): every minor is > 0, hence rank = min of the sizes, no chance.
    def vdm(rows, cols, start):
        rows_ = [[(start + i) ** j for j in range(cols)] for i in range(rows)]
        return np.array(rows_, dtype=object)

    for a, k, b in [(7, 3, 5), (4, 6, 9), (12, 5, 12), (3, 8, 3)]:
        M = vdm(a, k, 1) @ vdm(k, b, 2)
        assert exact_rank(M) == min(a, k, b)


def test_exact_rank_rank_deficient_tall_and_wide_agree_with_svd():
    # 60×40 of rank 25 (goes through fmpz_mat, not the mod-p shortcut), and its transpose
    rng = np.random.default_rng(7)
    M = rng.integers(-50, 51, (60, 25)) @ rng.integers(-50, 51, (25, 40))
    assert exact_rank(M) == exact_rank(M.T) == np.linalg.matrix_rank(M.astype(float)) == 25
    assert exact_rank(torch.from_numpy(M)) == 25
    assert exact_rank(M.astype(np.float64)) == 25


def test_exact_rank_modulus_is_a_lower_bound():
    M = [[2, 4], [6, 10]]  # det = -4: rank 2 over ℚ, rank 0 mod 2, rank 2 mod 3
    assert exact_rank(M) == 2
    assert exact_rank(M, modulus=2) == 0
    assert exact_rank(M, modulus=3) == 2


def test_exact_rank_edge_cases_and_errors():
    assert exact_rank(np.zeros((0, 3), dtype=np.int64)) == 0
    assert exact_rank(np.zeros((4, 3), dtype=np.int64)) == 0
    assert exact_rank(np.array([[2**70, 1], [2**71, 2]], dtype=object)) == 1  # big ints exact
    with pytest.raises(ValueError, match="2-dimensional"):
        exact_rank(np.zeros(3))
    with pytest.raises(ValueError, match="non-integer"):
        exact_rank([[0.5, 1.0]])
    with pytest.raises(ValueError, match="2\\^53"):
        exact_rank(np.array([[float(EXACT_LIMIT)]]))
    with pytest.raises(ValueError, match="non-finite"):
        exact_rank(np.array([[np.nan]]))
    with pytest.raises(ValueError, match="prime"):
        exact_rank([[1]], modulus=4)  # flint would abort on a composite modulus
    with pytest.raises(ValueError, match="prime"):
        exact_rank([[1]], modulus=2**64 + 13)


# ---------------------------------------------------------------- jacobian_rank


@det
@given(m=st.integers(1, 5), n=st.integers(1, 5), h=st.integers(1, 5), seed=st.integers(0, 2**31))
def test_exact_rank_equals_svd_rank_on_integer_rrr(m, n, h, seed):
    rng = np.random.default_rng(seed)
    p = {"A": torch.from_numpy(rng.integers(-5, 6, (h, m))),
         "B": torch.from_numpy(rng.integers(-5, 6, (n, h)))}
    x = integer_inputs(m, rng)
    ex = jacobian_rank(rrr, p, x, method="exact")
    sv = jacobian_rank(rrr, p, x, method="svd")
    assert ex.certified and not sv.certified
    assert ex.rank == sv.rank
    assert (ex.n_rows, ex.n_params) == (sv.n_rows, sv.n_params) == ((m + 2) * n, h * m + n * h)


@det
@given(m=st.integers(1, 5), n=st.integers(1, 5), h=st.integers(1, 5), seed=st.integers(0, 2**31))
def test_svd_rank_of_random_float_rrr_is_the_generic_rank_with_a_clear_gap(m, n, h, seed):
    # Gaussian parameters and inputs: a well-conditioned point of generic rank.
    g = torch.Generator().manual_seed(seed)
    p = {"A": torch.randn(h, m, generator=g), "B": torch.randn(n, h, generator=g)}
    x = torch.randn(m + 3, m, generator=g)
    res = jacobian_rank(rrr, p, x)
    assert res.rank == rrr_expected(m, n, h)
    assert res.gap_ratio > 1e6  # σ_r / σ_{r+1}: σ_{r+1} is rounding noise (~1e-15 σ_max)


def test_svd_fields():
    x = torch.eye(3)
    full = jacobian_rank(lambda w, x: x @ w, torch.ones(3), x)  # J = I
    assert full.rank == 3 and full.gap_ratio == math.inf
    assert np.allclose(full.singular_values, 1) and not full.singular_values.flags.writeable
    assert full.tol == pytest.approx(1.0 * 3 * np.finfo(np.float64).eps)
    zero = jacobian_rank(lambda w, x: x @ w * 0, torch.ones(3), x)
    assert zero.rank == 0 and math.isnan(zero.gap_ratio)
    diag = jacobian_rank(lambda w, x: x @ (w * torch.tensor([1.0, 1e-3, 1e-9])), torch.ones(3), x)
    assert diag.rank == 3 and diag.gap_ratio == math.inf
    cut = jacobian_rank(lambda w, x: x @ (w * torch.tensor([1.0, 1e-3, 1e-9])), torch.ones(3), x,
                        tol=1e-6)
    assert cut.rank == 2 and cut.gap_ratio == pytest.approx(1e6) and cut.tol == 1e-6
    assert list(cut.singular_values) == sorted(cut.singular_values, reverse=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cut.rank = 3  # type: ignore[misc]


def test_exact_rank_is_a_lower_bound_rank_drops_at_special_points():
    x = torch.eye(4, dtype=torch.int64)
    zero = {"A": torch.zeros(2, 4, dtype=torch.int64), "B": torch.zeros(3, 2, dtype=torch.int64)}
    at0 = jacobian_rank(rrr, zero, x, method="exact")
    assert at0.rank == 0 and at0.max_abs_entry == 0
    gen = generic_rank(rrr, {"A": (2, 4), "B": (3, 2)}, x, degree=2)
    assert gen.rank == rrr_expected(4, 3, 2) == 10 > at0.rank


def test_exact_method_errors():
    x = torch.eye(2, dtype=torch.int64)
    p = {"w": torch.tensor([1, 2])}
    with pytest.raises(ValueError, match="polynomial map.*tanh.* not an exact integer"):
        jacobian_rank(lambda p, x: torch.tanh(x @ p["w"]), p, x, method="exact")
    with pytest.raises(ValueError, match="non-integer"):  # integer model, non-integer point
        jacobian_rank(lambda p, x: (x @ p["w"]) ** 2, {"w": torch.tensor([1 / 3, 1.0])}, x,
                      method="exact")
    with pytest.raises(ValueError, match="2\\^53"):
        jacobian_rank(lambda p, x: (x @ p["w"]) * 2.0**60, p, x, method="exact")
    with pytest.raises(ValueError, match="'svd', 'exact'"):
        jacobian_rank(rrr, p, x, method="qr")
    with pytest.raises(ValueError, match="tol"):
        jacobian_rank(lambda p, x: x @ p["w"], p, x, method="exact", tol=1e-3)
    with pytest.raises(ValueError, match="tol"):
        jacobian_rank(lambda p, x: x @ p["w"], p, x, tol=-1.0)


# ---------------------------------------------------------------- generic_rank


@det
@given(m=st.integers(1, 5), n=st.integers(1, 5), h=st.integers(1, 6), seed=st.integers(0, 1000))
def test_rrr_generic_rank(m, n, h, seed):
    x = integer_inputs(m, np.random.default_rng(seed))
    res = generic_rank(rrr, {"A": (h, m), "B": (n, h)}, x, trials=2, seed=seed, degree=2)
    assert res.rank == rrr_expected(m, n, h)
    assert res.certified and res.max_possible == min((m + 2) * n, h * (m + n))
    if res.rank < res.max_possible:  # 2 trials at |S| = 2001: ((r+1)/2001)^2 ≤ (31/2001)^2
        assert res.schwartz_zippel_bound < 2.5e-4
    else:
        assert res.schwartz_zippel_bound == 0.0


@det
@given(widths=st.lists(st.integers(1, 4), min_size=2, max_size=5), seed=st.integers(0, 1000))
def test_deep_linear_network_generic_rank(widths, seed):
    # The product W_L…W_1 fills the d_L×d_0 matrices of rank ≤ r = min(widths), a variety
    # of dimension r(d_0 + d_L − r), so the generic Jacobian rank is that dimension.
    shapes = {f"W{i}": (b, a) for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True))}
    x = torch.eye(widths[0], dtype=torch.int64)
    res = generic_rank(dln, shapes, x, trials=2, seed=seed, degree=len(widths) - 1)
    r = min(widths)
    assert res.rank == r * (widths[0] + widths[-1] - r)
    assert res.max_abs_entry < 2**53


def test_generic_rank_reproducible_and_seed_dependent():
    drawn = {}

    def recorder(key):
        def fn(p, x):
            if not torch._C._functorch.is_functorch_wrapped_tensor(p["A"]):
                drawn.setdefault(key, []).append(p["A"].clone())
            return rrr(p, x)
        return fn

    x = torch.eye(3, dtype=torch.int64)
    shapes = {"A": (2, 3), "B": (3, 2)}
    r1 = generic_rank(recorder("a"), shapes, x, seed=5, degree=2)
    r2 = generic_rank(recorder("b"), shapes, x, seed=5, degree=2)
    r3 = generic_rank(recorder("c"), shapes, x, seed=6, degree=2)
    assert r1 == r2 and r1.ranks_per_trial == (8, 8, 8) and r1.seed == 5
    assert all(torch.equal(u, v) for u, v in zip(drawn["a"], drawn["b"], strict=True))
    assert not torch.equal(drawn["a"][-1], drawn["c"][-1])
    assert r3.rank == 8
    # the rank's points lie in [-radius, radius]; the value check's (w + t·v, t = 0..2) in
    # 3·[-R, R] for its own radius R (at most VALUE_CHECK_RADII[0])
    from slttheory.geometry.rank import VALUE_CHECK_RADII
    assert all(int(t.abs().max()) <= max(r1.radius, 3 * VALUE_CHECK_RADII[0])
               for t in drawn["a"])


def test_schwartz_zippel_arithmetic():
    assert schwartz_zippel_bound(3, 2, 11, 2) == Fraction(9, 121)
    assert schwartz_zippel_bound(3, 4, 11, 1) == Fraction(9, 11)
    assert schwartz_zippel_bound(30, 3, 11, 5) == 1  # capped: vacuous
    assert schwartz_zippel_bound(5, 1, 11, 3) == 0  # linear map: constant Jacobian
    assert schwartz_zippel_bound(5, 0, 11, 3) == 0
    with pytest.raises(ValueError, match="set_size"):
        schwartz_zippel_bound(1, 2, 0, 1)
    with pytest.raises(ValueError, match="trials"):
        schwartz_zippel_bound(1, 2, 5, 0)


def test_generic_rank_reports_the_bounds():
    x = torch.eye(5, dtype=torch.int64)
    shapes = {"A": (3, 5), "B": (5, 3)}
    res = generic_rank(rrr, shapes, x, trials=3, seed=0, radius=50, degree=2)
    assert res.rank == 21 and res.max_possible == 25 and res.set_size == 101
    assert res.ranks_per_trial == (21, 21, 21)
    assert res.schwartz_zippel_bound == pytest.approx((22 / 101) ** 3)
    assert res.a_priori_bound == pytest.approx((25 / 101) ** 3)
    assert ">= 21" in res.statement
    none = generic_rank(rrr, shapes, x, trials=1, seed=0)
    assert none.schwartz_zippel_bound is None and none.a_priori_bound is None
    assert not none.certified and "pass degree" in none.statement and none.rank == 21
    full = generic_rank(rrr, {"A": (5, 5), "B": (5, 5)}, x, trials=3, degree=2)
    assert full.rank == 25 and full.ranks_per_trial == (25,)  # stops at the maximum
    assert full.schwartz_zippel_bound == 0.0 and "= 25" in full.statement


def test_generic_rank_shrinks_radius_for_deep_products_and_accepts_modules():
    widths = (2, 3, 3, 3, 3, 3, 3, 3, 2)  # degree 8: radius 1000 would overflow 2^53
    shapes = {f"W{i}": (b, a) for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True))}
    res = generic_rank(dln, shapes, torch.eye(2, dtype=torch.int64), trials=1, degree=8)
    assert res.radius < 1000 and res.rank == 4
    with pytest.raises(ValueError, match="2\\^53"):
        generic_rank(dln, shapes, torch.eye(2, dtype=torch.int64), trials=1, radius=10**6)
    net = torch.nn.Sequential(torch.nn.Linear(3, 2, bias=False), torch.nn.Linear(2, 3, bias=False))
    mod = generic_rank(net, None, torch.eye(3, dtype=torch.int64), degree=2)
    assert mod.rank == 2 * (3 + 3) - 4 and mod.n_params == 12
    single = generic_rank(lambda w, x: x @ w, (3,), torch.eye(3, dtype=torch.int64), degree=1)
    assert single.rank == 3 and single.schwartz_zippel_bound == 0.0


def test_generic_rank_argument_errors():
    x = torch.eye(2, dtype=torch.int64)
    shapes = {"A": (1, 2), "B": (2, 1)}
    for bad in ({"trials": 0}, {"radius": 0}, {"degree": -1}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            generic_rank(rrr, shapes, x, **bad)
    with pytest.raises(TypeError, match="seed"):
        generic_rank(rrr, shapes, x, seed=1.5)
    with pytest.raises(TypeError, match="param_shapes"):
        generic_rank(rrr, None, x)
    with pytest.raises(TypeError, match="param_shapes"):
        generic_rank(rrr, {"A": (1, -2), "B": (2, 1)}, x)
    with pytest.raises(TypeError, match="param_shapes"):
        generic_rank(rrr, "A", x)
    with pytest.raises(ValueError, match="non-integer"):
        generic_rank(rrr, shapes, torch.full((2, 2), 0.5))


def test_lambda_is_not_rank_over_two_for_rrr_at_rank_zero():
    # Documented example (slttheory.geometry docstring): m = n = 5, h = 3, r = 0.
    from slttheory.formulas import reduced_rank_regression

    res = generic_rank(rrr, {"A": (3, 5), "B": (5, 3)}, torch.eye(5, dtype=torch.int64), degree=2)
    lam = reduced_rank_regression(5, 5, 3).value
    assert res.rank == 21 and lam * 2 == 13 < res.rank
    # at h = r the rank at the true point is 2λ
    A = torch.eye(3, 5, dtype=torch.int64)
    at_true = jacobian_rank(rrr, {"A": A, "B": A.T.clone()}, torch.eye(5), method="exact")
    assert at_true.rank == 2 * reduced_rank_regression(5, 5, 3, r=3).value == 21


def _w1w2_cut(how):
    """w₁·w₂ (generic rank 1), computed with the product hidden from autograd by ``how``."""
    def fn(p, x):
        w = p["w"]
        if how == "no_grad":
            with torch.no_grad():
                a = w * 1
        elif how == "tolist":
            a = torch.tensor(w.tolist(), dtype=w.dtype)
        elif how == "int_cast":  # an integer round trip
            a = w.to(torch.int64).to(w.dtype)
        else:
            a = w
        return (a[0] * a[1]).reshape(1, 1) * x.to(w.dtype) + 0 * w[0]
    return fn


@pytest.mark.parametrize("how", ["no_grad", "tolist", "int_cast"])
def test_a_map_that_hides_parameters_from_autograd_certifies_no_rank(how):
    """An outside audit: these three cuts passed the exactness audit (which refuses detach)
    and certified generic rank 0 for w₁·w₂, with P(higher) ≤ 1e-19. The Jacobian is now
    checked against the map's own values (J·v = d/dt f(w + t v), exact)."""
    x = torch.ones(1, 1, dtype=torch.int64)
    # (the integer round trip is now refused by the exactness audit itself)
    with pytest.raises(ValueError,
                       match="disagrees with its values|non-floating dtype|gradients disabled"):
        generic_rank(_w1w2_cut(how), {"w": (2,)}, x, degree=2)
    assert check_jacobian_by_values(_w1w2_cut("none"), {"w": (2,)}, x, degree=2)


@pytest.mark.parametrize("seed", range(6))
def test_a_map_that_branches_through_an_integer_cast_certifies_no_rank(seed):
    """where(w₀.long() > 0, w₀w₁, 0) is piecewise: rank 0 on half of the space, 1 on the
    other. The comparison sees no float, so it passed the audit's piecewise refusal, and at
    seed 3 (where the value check's points did not straddle the branch) the "generic" stratum
    certified rank J(w*) >= 1, false for every w* with w₀ < 0."""
    from slttheory.geometry import true_point_rank

    rp = _branching_rank_problem(lambda w: w[0].to(torch.int64) > 0)
    with pytest.raises(ValueError, match="non-floating dtype"):
        true_point_rank(rp, seed=seed)


def _branching_rank_problem(branch):
    """The "generic" rank problem of where(branch(w), w₀w₁, 0): rank 1 where the branch is
    taken, 0 elsewhere — piecewise, so no rank of it may be certified."""
    from types import SimpleNamespace

    def fn(p, x):
        w = p["w"]
        return (torch.where(branch(w), w[0] * w[1], torch.zeros_like(w[0]))
                * x.to(w.dtype).reshape(-1))

    return SimpleNamespace(fn=fn, param_shapes={"w": (2,)}, degree=2, true_point="generic",
                           inputs=torch.ones(1, 1, dtype=torch.int64), true_params=None,
                           true_support=None)


@pytest.mark.parametrize("how", ["fill_", "masked_fill", "bool_fill_", "view_dtype"])
def test_a_map_that_branches_through_a_filled_integer_certifies_no_rank(how):
    """The integer cast refusal covered casts only (_to_copy, copy_): filling an integer
    tensor with a float parameter's value, or viewing its bits as an integer, converts it as
    much, and where(that > 0, w₀w₁, 0) certified rank J(w*) >= 1 at seed 3, as the cast
    had."""
    from slttheory.geometry import true_point_rank

    def branch(w):
        if how == "fill_":
            return torch.zeros((), dtype=torch.int64).fill_(w[0]) > 0
        if how == "masked_fill":
            return torch.zeros((), dtype=torch.int64).masked_fill(
                torch.ones((), dtype=torch.bool), w[0]) > 0
        if how == "bool_fill_":
            return torch.zeros((), dtype=torch.bool).fill_(w[0] + 1)
        return w[0].view(torch.int64) > 0  # the bits of w₀ read as an integer: its sign bit

    with pytest.raises(ValueError, match="non-floating dtype"):
        true_point_rank(_branching_rank_problem(branch), seed=3)


def test_shape_only_creators_of_integer_tensors_are_not_refused():
    """zeros_like(w, dtype=bool) reads w's shape only: no conversion of a value."""
    from slttheory.geometry.exact_arithmetic import IntegerExactnessAudit

    w = torch.tensor([3.0, -2.0], dtype=torch.float64)
    with IntegerExactnessAudit():
        m = torch.zeros_like(w, dtype=torch.bool)
        k = w.new_zeros(2, dtype=torch.int64)
        out = torch.where(m, w * w, w) + k.to(w.dtype)
    assert out.tolist() == [3.0, -2.0]


@pytest.mark.parametrize("how", ["no_grad", "tolist"])
def test_a_cut_map_certifies_no_rank_at_a_given_integer_true_point(how):
    """rank J(w*) at w* = (1, 1) of w₁·w₂ is 1; cut, it read 0 and was returned certified
    (the stratum "exact" had no value check, the others had)."""
    from types import SimpleNamespace

    from slttheory.geometry import true_point_rank

    x = torch.ones(1, 1, dtype=torch.int64)
    rp = SimpleNamespace(fn=_w1w2_cut(how), param_shapes={"w": (2,)}, inputs=x, degree=2,
                         true_point="exact", true_params={"w": torch.tensor([1, 1])},
                         true_support=None)
    with pytest.raises(ValueError, match="disagrees with its values|gradients disabled"):
        true_point_rank(rp)
    assert true_point_rank(SimpleNamespace(**{**vars(rp), "fn": _w1w2_cut("none")})).rank == 1


def test_a_declared_degree_below_the_maps_is_caught():
    """w² + 2w declared of degree 1 (affine): true_point_rank took rank J(0) = 1 as the rank
    at w* = −1, where it is 0 (an outside audit); the Schwartz–Zippel bound assumes the degree
    too. Declared 2, it is accepted."""
    from types import SimpleNamespace

    from slttheory.geometry import true_point_rank

    def fn(p, x):
        w = p["w"]
        return (w * w + 2 * w).reshape(1, 1) * x.to(w.dtype)

    x = torch.ones(1, 1, dtype=torch.int64)
    rp = SimpleNamespace(fn=fn, param_shapes={"w": (1,)}, inputs=x, degree=1,
                         true_point="exact", true_params={"w": torch.tensor([-1])},
                         true_support=None)
    with pytest.raises(ValueError, match="degree above degree=1"):
        true_point_rank(rp)
    with pytest.raises(ValueError, match="degree above degree=1"):
        generic_rank(fn, {"w": (1,)}, x, degree=1)
    assert true_point_rank(SimpleNamespace(**{**vars(rp), "degree": 2})).rank == 0


def test_forward_mode_jacobians_of_one_dimensional_parameters_are_audited_exact():
    """jacfwd of (x·w)² with a 1-D w (rows > parameters) creates its tangents with
    aten._new_zeros_with_same_feature_meta, a zeros creation the audit refused as 'not an
    exact integer operation' (an outside audit)."""
    x = torch.tensor([[1, 2], [3, 4], [5, 6]])
    r = jacobian_rank(lambda p, x: (x.to(p["w"].dtype) @ p["w"]) ** 2,
                      {"w": torch.ones(2, dtype=torch.int64)}, x, method="exact")
    assert (r.rank, r.n_rows, r.n_params) == (2, 3, 2)


def test_a_module_with_dropout_or_batch_norm_in_training_mode_is_refused():
    """Dropout in training mode gave Jacobian ranks 6 and 1 of 26 on two calls and moved the
    global random state; batch norm crashed in vmap (an outside probe). As estimate_llc does,
    the geometry asks for model.eval()."""
    from slttheory.geometry import critical_point_check

    x = torch.randn(10, 2, generator=torch.Generator().manual_seed(0))
    for layer in (torch.nn.Dropout(0.9), torch.nn.BatchNorm1d(5)):
        m = torch.nn.Sequential(torch.nn.Linear(2, 5), layer, torch.nn.Linear(5, 1))
        with pytest.raises(ValueError, match=r"fn: 1 \(.*\) in training mode.*eval"):
            jacobian_rank(m, None, x)
        with pytest.raises(ValueError, match="model: 1 .* training mode"):
            critical_point_check(m, (x, torch.zeros(10, 1)))
        assert jacobian_rank(m.eval(), None, x).rank >= 1


def test_every_built_in_rank_map_agrees_with_its_own_values():
    """The value check that guards a certified rank (J·v against d/dt f(w + t v), exact)
    passes on every family's rank map at its default parameters, at the degree it declares:
    the built-in maps cut nothing off from autograd and state their degrees truly."""
    from slttheory.models import FAMILIES

    required = {"ntk": {"rank": 4}, "lazy_regime": {"p": 3, "k": 8, "feature_rank": 5}}
    checked = []
    for name, fam in FAMILIES.items():
        if fam.rank_problem is None:
            continue
        rp = fam.rank_problem(required.get(name, {}))
        assert check_jacobian_by_values(rp.fn, rp.param_shapes, rp.inputs, rp.degree), name
        checked.append(name)
    assert len(checked) >= 10


def test_a_map_of_the_wrong_shapes_is_named_with_a_degree_too():
    """The value check ran the map before the first rank, so mismatched shapes raised torch's
    raw RuntimeError when a degree was given; the first rank names param_shapes as before."""
    with pytest.raises(ValueError, match="param_shapes: fn cannot be evaluated"):
        generic_rank(rrr, {"A": (1, 3), "B": (2, 1)}, torch.eye(2, dtype=torch.int64), degree=2)


@pytest.mark.parametrize("method", ["svd", "exact"])
def test_an_infinite_weight_is_refused_before_it_can_lower_the_rank(method):
    """An infinite weight behind a saturating tanh gives a finite Jacobian of lower rank (7 of
    10 here, with no error: an outside fuzz); inf/nan in the module's parameters, ``params``
    or ``inputs`` now raise before any derivative, naming where they are."""
    x = torch.randn(10, 3, generator=torch.Generator().manual_seed(0))
    with torch.random.fork_rng():  # the layers' own initialisation; the global RNG kept
        torch.manual_seed(0)
        m = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
    assert jacobian_rank(m, None, x).rank == 10
    with torch.no_grad():
        m[0].weight[0, 0] = float("inf")
    with pytest.raises(ValueError, match=r"parameters \['0.weight'\]"):
        jacobian_rank(m, None, x, method=method)
    fn = lambda p, x: torch.tanh(x @ p["w"])  # noqa: E731
    with pytest.raises(ValueError, match="params has non-finite"):
        jacobian_rank(fn, {"w": torch.tensor([[float("inf")], [1.0], [1.0]])}, x, method=method)


def test_generic_rank_takes_a_numpy_integer_seed():
    """As ``estimate_llc`` and the formulas take numpy integers (outside fuzz)."""
    rrr = lambda p, x: x @ p["A"].T @ p["B"].T  # noqa: E731
    shapes, x = {"A": (1, 3), "B": (3, 1)}, torch.eye(3, dtype=torch.int64)
    assert (generic_rank(rrr, shapes, x, seed=np.int64(5)).rank
            == generic_rank(rrr, shapes, x, seed=5).rank == 5)


def test_a_tensor_set_to_a_floats_storage_is_refused():
    """torch.empty(0, dtype=long).set_(w.untyped_storage()) reads a float's bits as an integer
    with no floating tensor in the call, past the conversion refusal (an outside mutation
    audit): any operation that reads a storage directly is refused."""
    from slttheory.geometry.exact_arithmetic import InexactArithmeticError, IntegerExactnessAudit

    w = torch.tensor([3.0, -2.0], dtype=torch.float64)
    with pytest.raises(InexactArithmeticError, match="storage"), IntegerExactnessAudit():
        torch.empty(0, dtype=torch.int64).set_(w.untyped_storage())


def _zero_map_cut(how):
    """f(w) = w₀ − c₀, w₁ − c₁ with c = w hidden from autograd: the zero map (rank 0), whose
    autograd Jacobian is I (rank 2). 3 parameters, 2 rows: reverse mode."""
    def fn(w, x):
        if how == "no_grad":
            with torch.no_grad():
                c = w * 1
        else:
            c = torch.tensor(w.tolist(), dtype=torch.float64)
        return (w[:2] - c[:2]) * x[:, 0]
    return fn


def test_a_no_grad_cut_that_raises_the_rank_is_refused_by_every_exact_route():
    """An outside audit: the zero map w − (w under no_grad) read the Jacobian I, and
    jacobian_rank(method="exact") and generic_rank without a degree (which run no value check)
    certified rank 2 = min(n_rows, n_params), a module even with a degree. A cut can raise the
    rank, not only lower it; reverse mode now refuses operations under no_grad."""
    x = torch.tensor([[1], [2]])
    fn = _zero_map_cut("no_grad")
    with pytest.raises(ValueError, match="gradients disabled"):
        jacobian_rank(fn, torch.tensor([2, 3, 1]), x, method="exact")
    with pytest.raises(ValueError, match="gradients disabled"):
        generic_rank(fn, (3,), x)
    assert jacobian_rank(fn, torch.tensor([2, 3, 1]), x).rank == 2  # svd: not certified


def test_a_module_that_hides_parameters_is_value_checked_too():
    """generic_rank ran the value check for callables only: a module whose forward hides its
    parameter by .tolist() (the zero map) certified generic rank 2 with degree=1."""

    class Cut(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.tensor([2.0, 3.0, 1.0]))

        def forward(self, x):
            return _zero_map_cut("tolist")({"w": self.w}["w"], x)

    x = torch.tensor([[1], [2]])
    with pytest.raises(ValueError, match="disagrees with its values"):
        generic_rank(Cut(), None, x, degree=1)
    # without a degree nothing can be checked, so the full rank it reads is not certified
    blind = generic_rank(Cut(), None, x)
    assert blind.rank == 2 and not blind.certified and blind.schwartz_zippel_bound is None
    lin = torch.nn.Linear(3, 2, bias=False)
    assert generic_rank(lin, None, torch.eye(3), degree=1).rank == 6


def _degree_13(p, x):
    """w₀¹³·x: a polynomial map of degree 13, above the value check's limit."""
    return p["w"][:1] ** 13 * x[:, 0]


def test_a_rank_whose_jacobian_could_not_be_value_checked_is_not_certified():
    """An outside audit: above VALUE_CHECK_MAX_DEGREE (or where values pass 2^53 even at
    entries in {-1, 0, 1}) the value check does not run, and its False was ignored, so a
    .tolist() cut (which can raise the rank) or an understated degree (a false Schwartz–Zippel
    bound) was certified. Such a rank is now stated, not certified, and carries no bound."""
    from types import SimpleNamespace

    from slttheory.geometry import true_point_rank
    from slttheory.geometry.rank import VALUE_CHECK_MAX_DEGREE

    assert VALUE_CHECK_MAX_DEGREE < 13
    x = torch.ones(1, 1, dtype=torch.int64)
    g = generic_rank(_degree_13, {"w": (2,)}, x, degree=13, radius=1)
    assert g.rank == 1 and not g.certified and g.schwartz_zippel_bound is None
    assert "not certified" in g.statement
    for kind, params in (("exact", {"w": torch.tensor([1, 0])}), ("generic", None)):
        rp = SimpleNamespace(fn=_degree_13, param_shapes={"w": (2,)}, inputs=x, degree=13,
                             true_point=kind, true_params=params, true_support=None)
        r = true_point_rank(rp)
        assert r.rank == 1 and not r.certified and not r.exact and "not certified" in r.how, kind
    checked = SimpleNamespace(fn=lambda p, x: p["w"][:1] ** 2 * x[:, 0],
                              param_shapes={"w": (2,)}, inputs=x, degree=2, true_point="exact",
                              true_params={"w": torch.tensor([1, 0])}, true_support=None)
    assert true_point_rank(checked).certified


def test_a_callers_no_grad_around_an_exact_rank_is_not_a_cut():
    """A review: reverse mode refused every exact rank computed under the caller's
    torch.no_grad or inference_mode (jacrev ignores an outer no_grad, so nothing was cut);
    only a no_grad inside the map is refused."""
    x = torch.tensor([[1, 0, 2], [0, 1, 1]])

    def fn(p, x):  # 12 parameters, 2 rows: reverse mode
        return (x.double() @ p["W"]).pow(2).sum(-1)

    for outer in (torch.no_grad, torch.inference_mode):
        with outer():
            assert generic_rank(fn, {"W": (3, 4)}, x, degree=2).rank == 2
            assert jacobian_rank(fn, {"W": torch.ones(3, 4)}, x, method="exact").rank == 2
        with outer(), pytest.raises(ValueError, match="gradients disabled"):
            generic_rank(_zero_map_cut("no_grad"), (3,), torch.tensor([[1], [2]]))
