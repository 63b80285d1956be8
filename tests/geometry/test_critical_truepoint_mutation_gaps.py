"""Rules of critical_point_check and true_point_rank that a mutation run of
geometry/critical.py and geometry/truepoint.py found unpinned: each test fails on one or
more one-line mutants of the module and passes on the code as it is."""

import math
from types import SimpleNamespace

import pytest
import torch
from test_critical_scale_audit import _DATA, _itself, _Scalar
from test_geometry_arguments import RP, _cpc, _lin, _xy, rrr

from slttheory.geometry import critical_point_check, true_point_rank

# --- critical_point_check -----------------------------------------------------------------


def _quadratic(diag, grad=None, w=None):
    """L(w) = ½ Σ dᵢ wᵢ² + g·w: Hessian diag(d), gradient g at w = 0 (all exact floats)."""
    d = torch.tensor(diag, dtype=torch.float64)
    g = torch.zeros_like(d) if grad is None else torch.tensor(grad, dtype=torch.float64)
    return _Scalar([0.0] * len(diag) if w is None else w,
                   lambda v: 0.5 * (d * v * v).sum() + (g * v).sum())


def _cq(diag, grad=None, **kw):
    return critical_point_check(_quadratic(diag, grad), _DATA, _itself, device="cpu", **kw)


def _frozen_linear():
    m = _lin()
    for p in m.parameters():
        p.requires_grad_(False)
    return m


def _nan_bias_linear():
    m = _lin()
    with torch.no_grad():
        m.bias.fill_(float("nan"))
    return m


def _at_zero(f):
    return _Scalar([0.0], f)


BAD_CALLS = [
    # (what, exception, match, call)
    ("k=True", ValueError, r"\bk must be a positive integer", lambda: _cpc(k=True)),
    ("complex inputs", TypeError, "data's inputs must be real",
     lambda: _cpc(data=(_xy()[0].to(torch.complex128), _xy()[1]))),
    ("one NaN input", ValueError, r"data has non-finite \(inf/nan\) inputs",
     lambda: _cpc(data=(_xy()[0].index_put((torch.tensor(1), torch.tensor(0)),
                                           torch.tensor(float("nan"), dtype=torch.float64)),
                        _xy()[1]))),
    ("inf target", ValueError, r"data has non-finite \(inf/nan\) targets",
     lambda: _cpc(data=(_xy()[0], torch.full((5, 1), float("inf"), dtype=torch.float64)))),
    ("dense_limit=True", ValueError, "dense_limit must be an integer",
     lambda: _cpc(dense_limit=True)),
    ("lanczos_steps=0", ValueError, "lanczos_steps must be a positive integer",
     lambda: _cpc(lanczos_steps=0)),
    ("data of three", TypeError, r"data must be a pair", lambda: _cpc(data=(*_xy(), _xy()[1]))),
    ("0-d inputs", ValueError, "data must have at least one sample",
     lambda: _cpc(data=(torch.tensor(1.0), torch.zeros(1, 1)))),
    ("0-d targets", ValueError, "data: inputs have 5 samples but targets have shape",
     lambda: _cpc(data=(_xy()[0], torch.tensor(1.0)))),
    ("BCE target 2", ValueError, "data's targets: loss 'binary_cross_entropy' needs",
     lambda: _cpc(data=(_xy()[0], torch.full((5, 1), 2.0)), loss="binary_cross_entropy")),
    ("unknown params key", ValueError, r"params has keys \['nope'\]",
     lambda: _cpc(params={"weight": torch.zeros(1, 2), "nope": torch.zeros(1)})),
    ("bool params", TypeError, r"params\['weight'\] must be real",
     lambda: _cpc(params={"weight": torch.ones(1, 2, dtype=torch.bool)})),
    ("all frozen", ValueError, "model has no parameters to differentiate",
     lambda: _cpc(model=_frozen_linear())),
    ("NaN held-fixed bias", ValueError,
     r"non-finite \(inf/nan\) values in its parameters \['bias'\]",
     lambda: _cpc(model=_nan_bias_linear(), params={"weight": torch.zeros(1, 2)})),
    ("infinite loss", ValueError, r"loss: L_n = inf",
     lambda: critical_point_check(_at_zero(lambda w: -torch.log(w[0].abs())), _DATA, _itself,
                                  device="cpu")),
    ("infinite gradient", ValueError, "gradient of L_n is not finite",
     lambda: critical_point_check(_at_zero(lambda w: w[0].abs().sqrt()), _DATA, _itself,
                                  device="cpu")),
    ("infinite Hessian, dense", ValueError, "Hessian of L_n has non-finite entries",
     lambda: critical_point_check(_at_zero(lambda w: w[0].abs() ** 1.5), _DATA, _itself,
                                  device="cpu")),
    ("infinite Hessian, Lanczos", ValueError, "Hessian-vector product of L_n is not finite",
     lambda: critical_point_check(_at_zero(lambda w: w[0].abs() ** 1.5), _DATA, _itself,
                                  device="cpu", dense_limit=0)),
]


@pytest.mark.parametrize("what,exc,match,call", BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
def test_a_bad_input_is_refused_by_its_own_check(what, exc, match, call):
    """Each validation names its own fault: a later check catching it by accident (a NaN
    input seen only as a NaN loss, an infinite loss only as an infinite gradient) is not it."""
    with pytest.raises(exc, match=match):
        call()


def test_hessian_at_exactly_dense_limit_parameters_is_dense():
    """Dense up to and including ``dense_limit`` parameters, Lanczos above."""
    assert _cq([1.0, 2.0, 3.0], dense_limit=3).method == "dense"
    assert _cq([1.0, 2.0, 3.0], dense_limit=2).method.startswith("lanczos")


def test_lanczos_steps_default_to_min_n_120_and_honour_lanczos_steps():
    """Default min(n, 120) Lanczos steps (a spectrum of n distinct values never breaks down
    earlier); ``lanczos_steps`` caps them."""
    d150 = [float(i) for i in range(1, 151)]
    assert _cq(d150, dense_limit=0).method.startswith("lanczos (120 steps")
    d20 = [float(i) for i in range(1, 21)]
    full = _cq(d20, dense_limit=0)
    assert full.method.startswith("lanczos (20 steps")
    assert full.smallest_eigenvalues[0] == pytest.approx(1.0, rel=1e-9)
    assert _cq(d20, dense_limit=0, lanczos_steps=3).method.startswith("lanczos (3 steps")


def test_lanczos_start_is_drawn_from_the_generator():
    """The random start comes from ``generator``: after 2 steps the Ritz values depend on it,
    and the same seed gives the same answer."""
    d = [float(i) for i in range(1, 21)]
    a = _cq(d, dense_limit=0, lanczos_steps=2, generator=1)
    b = _cq(d, dense_limit=0, lanczos_steps=2, generator=2)
    assert a.smallest_eigenvalues != b.smallest_eigenvalues
    assert _cq(d, dense_limit=0, lanczos_steps=2, generator=1) == a


def test_lanczos_breakdown_is_relative_to_the_operator_at_1e_12():
    """A start with a 10⁻⁸ component along the negative direction: the residual after one
    step is ~10⁻⁸·‖H‖, above the 10⁻¹²·‖H‖ breakdown floor, so the iteration goes on and finds
    the saddle; a looser floor stopped at the positive Rayleigh quotient of the start."""
    n = 5
    v0 = torch.randn(n, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    q = v0 / v0.norm()
    r = torch.zeros(n, dtype=torch.float64)
    r[int(q.abs().argmin())] = 1.0
    r = r - (r @ q) * q
    u = 1e-8 * q + math.sqrt(1 - 1e-16) * r / r.norm()          # u·q = 10⁻⁸
    H = torch.eye(n, dtype=torch.float64) - 2.0 * torch.outer(u, u)  # eigenvalues −1, 1, …, 1
    m = _Scalar([0.0] * n, lambda w: 0.5 * w @ H @ w)
    c = critical_point_check(m, _DATA, _itself, device="cpu", dense_limit=0, generator=0)
    assert not c.is_local_min and c.reason.startswith("saddle")
    assert c.smallest_eigenvalues[0] == pytest.approx(-1.0, rel=1e-6)


@pytest.mark.parametrize("f,is_min", [(lambda w: w[0] ** 2 * w[1] ** 2, True),
                                      (lambda w: 1e-4 * w[0], False)])
def test_lanczos_on_a_hessian_exactly_zero_stops_cleanly(f, is_min):
    """‖H q‖ = 0: the breakdown test b ≤ 10⁻¹²·0 holds (inclusive), so the iteration stops
    with Ritz value 0 instead of dividing by b = 0; the s = 0 rule then decides."""
    c = critical_point_check(_Scalar([0.0, 0.0], f), _DATA, _itself, device="cpu",
                             dense_limit=0)
    assert c.smallest_eigenvalues == (0.0,) and c.largest_eigenvalue == 0.0
    assert c.is_local_min is is_min


def test_grad_norm_is_euclidean():
    """‖∇L_n‖ is the Euclidean norm over all parameters: gradient (3, 4) gives 5."""
    c = _cq([1.0, 1.0], grad=[3.0, 4.0])
    assert c.grad_norm == pytest.approx(5.0)


def test_k_smallest_eigenvalues_are_returned():
    """``k`` smallest eigenvalues, ascending, no more."""
    assert _cq([3.0, 1.0, 2.0], k=2).smallest_eigenvalues == pytest.approx((1.0, 2.0))
    assert _cq([3.0, 1.0, 2.0], k=5).smallest_eigenvalues == pytest.approx((1.0, 2.0, 3.0))


def test_tolerance_boundaries_are_inclusive():
    """‖∇L_n‖ ≤ grad_tol·s, λ_min ≥ −eig_tol·s and |λ| ≤ eig_tol·s (near_zero) all include
    equality (dyadic numbers, so the equalities are exact)."""
    c = _cq([1.0, -0.25], grad=[0.0, 0.25], grad_tol=0.25, eig_tol=0.25)
    assert c.grad_norm == 0.25 and c.smallest_eigenvalues[0] == -0.25
    assert c.is_local_min and c.near_zero == 1
    assert not _cq([1.0, -0.25], grad=[0.0, 0.25], grad_tol=0.125, eig_tol=0.25).is_local_min
    assert not _cq([1.0, -0.25], grad=[0.0, 0.25], grad_tol=0.25, eig_tol=0.125).is_local_min


def test_grad_tol_and_eig_tol_each_govern_their_own_condition():
    """eig_tol, not grad_tol, bounds the negative eigenvalues and sets near_zero; grad_tol,
    not eig_tol, bounds the gradient; both are reported as given."""
    c = _cq([1.0, -0.1], grad_tol=1e-3, eig_tol=0.2)              # −0.1 ≥ −0.2: passes
    assert c.is_local_min and c.near_zero == 1 and (c.grad_tol, c.eig_tol) == (1e-3, 0.2)
    assert not _cq([1.0, -0.1], grad_tol=0.2, eig_tol=0.05).is_local_min
    g = _cq([1.0, 1.0], grad=[0.0, 0.1], grad_tol=0.2, eig_tol=1e-3)
    assert g.is_local_min and (g.grad_tol, g.eig_tol) == (0.2, 1e-3)
    assert not _cq([1.0, 1.0], grad=[0.0, 0.1], grad_tol=1e-3, eig_tol=0.2).is_local_min


def test_scale_is_the_largest_absolute_eigenvalue_even_when_negative():
    """At a maximum-like point with a tiny positive eigenvalue, s = max|λ| = 1 (not the
    largest signed eigenvalue): 5·10⁻⁴ is within eig_tol·s of 0, and largest_eigenvalue is
    the largest signed one."""
    c = _cq([-1.0, 5e-4])
    assert c.largest_eigenvalue == pytest.approx(5e-4) and c.near_zero == 1
    assert "s = max|eigenvalue| = 1" in c.reason and c.reason.startswith("saddle")
    m = _cq([-2.0, -1.0])
    assert m.largest_eigenvalue == pytest.approx(-1.0) and not m.is_local_min


def test_reason_words_follow_the_decision():
    """The reason names each failed condition, the flat directions of a passing point, and
    the Lanczos caveat only for Lanczos."""
    both = _cq([1.0, -1.0], grad=[0.0, 1.0])
    assert both.reason.startswith("not a critical point") and "also an eigenvalue" in both.reason
    only_grad = _cq([1.0, 1.0], grad=[0.0, 1.0])
    assert "also an eigenvalue" not in only_grad.reason
    flat = _cq([1.0, 0.0])
    assert flat.near_zero == 1 and "1 of 2 eigenvalues within ±eig_tol·s of 0" in flat.reason
    assert "within ±eig_tol·s" not in _cq([1.0, 2.0]).reason
    assert "Ritz values" not in flat.reason
    lz = _cq([1.0, 0.0], dense_limit=0)
    assert "Ritz values lie inside the spectrum" in lz.reason and lz.near_zero is None


# --- true_point_rank -----------------------------------------------------------------------


def _rp(**kw):
    """test_geometry_arguments' rank problem (y = B A x, A 1×3, B 3×1; trained) with changes."""
    return SimpleNamespace(**{**RP, **kw})


def _none(shape):
    return torch.zeros(shape, dtype=torch.bool)


def _squares(p, x):
    """w ↦ (w₁², w₂²): degree 2, generic rank 2 = the largest possible."""
    return (p["w"] ** 2).expand(x.shape[0], -1)


BAD_PROBLEMS = [
    ("unknown stratum", ValueError, "true_point must be one of",
     lambda: true_point_rank(_rp(true_point="random"))),
    ("param_shapes a list", TypeError, "param_shapes must be a dict",
     lambda: true_point_rank(_rp(param_shapes=[(1, 3), (3, 1)]))),
    ("degree True", ValueError, "degree must be an integer >= 0",
     lambda: true_point_rank(_rp(degree=True))),
    ("at of lists", TypeError, r"at\['A'\] must be a torch.Tensor",
     lambda: true_point_rank(_rp(), at={"A": [[1.0, 1.0, 1.0]], "B": torch.ones(3, 1)})),
]


@pytest.mark.parametrize("what,exc,match,call", BAD_PROBLEMS, ids=[c[0] for c in BAD_PROBLEMS])
def test_a_bad_rank_problem_is_refused(what, exc, match, call):
    """A stratum outside TRUE_POINTS, shapes not a dict, a bool degree, ``at`` values that
    are not tensors: each refused by its own check."""
    with pytest.raises(exc, match=match):
        call()


def test_degree_zero_is_a_constant_map_with_exact_rank_zero():
    """degree must be an integer >= 0: 0 (a map not depending on the parameters) is accepted
    and its rank, 0, is exact."""
    const = _rp(fn=lambda p, x: x.double() + 0 * p["A"].sum() * p["B"].sum(), degree=0,
                true_point="generic")
    res = true_point_rank(const)
    assert (res.rank, res.certified, res.exact) == (0, True, True)


def test_an_object_without_a_stratum_is_a_trained_point():
    """No ``true_point`` attribute: treated as ``"trained"``, so nothing is certified."""
    bare = SimpleNamespace(**{k: v for k, v in RP.items() if k != "true_point"})
    res = true_point_rank(bare)
    assert res.true_point == "trained" and not res.certified and res.rank is None


def test_a_trained_point_reports_its_size_and_no_lambda_bound():
    """Trained: without ``at`` the Jacobian's parameter count is still reported; with ``at``
    (float or integer tensors, cast to float64) the SVD rank is given but, uncertified, it
    bounds no λ."""
    bare = true_point_rank(_rp())
    assert bare.n_params == 6 and bare.lambda_lower_bound is None
    at = {"A": torch.ones(1, 3, dtype=torch.int64), "B": torch.ones(3, 1, dtype=torch.int64)}
    res = true_point_rank(_rp(), at=at)
    assert res.rank == 5 and not res.certified and res.lambda_lower_bound is None


def test_a_generic_stratum_at_the_largest_rank_is_exact():
    """Generic stratum, rank = max_possible: nothing higher is possible, so exact (and the
    text says "the largest possible"); a Schwartz–Zippel bound of 0 is reported."""
    rp = SimpleNamespace(fn=_squares, param_shapes={"w": (2,)},
                         inputs=torch.zeros(1, 1, dtype=torch.int64), degree=2,
                         true_point="generic", true_params=None, true_support=None)
    res = true_point_rank(rp)
    assert (res.rank, res.certified, res.exact) == (2, True, True)
    assert "the largest possible" in res.how and res.schwartz_zippel_bound == 0.0


def test_a_generic_stratum_ignores_a_true_support():
    """``true_support`` is read only for the ``"support"`` stratum: a generic w* is drawn on
    the whole space even where the object also carries masks."""
    masks = {"A": _none((1, 3)), "B": _none((3, 1))}
    res = true_point_rank(_rp(true_point="generic", true_support=masks))
    assert res.rank == 5 and "on the support stratum" not in res.how


def test_a_support_with_one_free_entry_is_no_single_point():
    """Only a support with no free entry at all is the single point 0 (exact there); one free
    entry is a line, and a rank below the maximum there is a lower bound only."""
    one = torch.zeros(1, 3, dtype=torch.bool)
    one[0, 0] = True
    res = true_point_rank(_rp(true_point="support", true_support={"A": one, "B": _none((3, 1))}))
    assert res.rank == 3 and res.certified and not res.exact
    assert "1 free entries" in res.how and "the generic rank on the support stratum" in res.how


def test_trials_and_seed_reach_generic_rank(monkeypatch):
    """``trials``/``seed`` are passed to generic_rank, and its Schwartz–Zippel bound (which
    falls with the number of trials) is reported as it gave it."""
    import slttheory.geometry.truepoint as tp

    seen = []
    real = tp.generic_rank

    def spy(*a, **kw):
        seen.append((kw["trials"], kw["seed"]))
        return real(*a, **kw)

    monkeypatch.setattr(tp, "generic_rank", spy)
    one = true_point_rank(_rp(true_point="generic"), trials=1, seed=7)
    three = true_point_rank(_rp(true_point="generic"), trials=3, seed=11)
    assert seen == [(1, 7), (3, 11)]
    assert one.schwartz_zippel_bound == real(rrr, RP["param_shapes"], RP["inputs"], trials=1,
                                             seed=7, degree=2).schwartz_zippel_bound
    assert 0 < three.schwartz_zippel_bound < one.schwartz_zippel_bound
