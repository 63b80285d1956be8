"""The symmetry orbits of the quadratic network (slttheory.models.symmetry): their
dimension s gives the certified bound λ ≤ (d − s)/2, so s must never exceed the Jacobian's
kernel (d − rank), every tangent must be a symmetry, and a wrong tangent must be refused.

The rotations preserving diag(v) (p = 1) and the output constant under the centred loss were
added after an independent re-check of seed 001's verdicts: thm4.2 at (d, p, K) = (3, 1, 2)
and the centred App. G bias claims were refuted only through a Schwartz–Zippel probability on
the generic rank (λ = 5/2 "with P(a higher generic rank unseen) ≤ 2.2e-07"), where these
orbits bound λ ≤ 5/2 (and ≤ 2) with no probability at all."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from slttheory.geometry import generic_rank
from slttheory.models import FAMILIES, QuadraticNetwork
from slttheory.models.symmetry import check_tangents, orbit_tangents


def _orbit_and_rank(q):
    fam = FAMILIES["quadratic_network"]
    q = fam.validate(q)
    prob = fam.build(q, n=40, generator=torch.Generator().manual_seed(1))
    s, d, _ = fam.orbit(prob)
    rp = fam.rank_problem(q)
    r = generic_rank(rp.fn, rp.param_shapes, rp.inputs, degree=rp.degree, seed=0).rank
    return s, d, r


@settings(max_examples=12, deadline=None)
@given(d=st.integers(2, 3), k=st.integers(1, 4), p=st.integers(1, 2), bias=st.booleans(),
       loss=st.sampled_from(["centred", "mse"]))
def test_the_orbit_never_exceeds_the_kernel(d, k, p, bias, loss):
    """s ≤ d − generic rank: else λ ≤ (d − s)/2 would fall below the certified rank/2."""
    s, n, r = _orbit_and_rank({"d": d, "k": k, "p": p, "bias": bias, "loss": loss})
    assert 0 < s <= n - r, (s, n, r)


@pytest.mark.parametrize(("q", "s_want", "rank_want"), [
    ({"d": 3, "k": 2, "p": 1}, 3, 5),                               # thm4.2 at (3, 1, 2)
    ({"d": 3, "k": 1, "p": 1, "bias": True}, 2, 4),                 # App. G centred, K = 1
    ({"d": 3, "k": 1, "p": 1, "bias": True, "loss": "mse"}, 1, 5),  # App. G plain MSE
])
def test_the_orbit_accounts_for_the_whole_kernel_where_seed_001_is_refuted(q, s_want, rank_want):
    """There the orbit is the whole fibre: d − s = rank, so λ = rank/2 with no probability."""
    s, n, r = _orbit_and_rank(q)
    assert (s, r) == (s_want, rank_want) and n - s == r


def test_a_finite_rotation_leaves_f_unchanged():
    """W̃ ↦ W̃·exp(tB), B = v_i E_ij − v_j E_ji, preserves diag(v), so f exactly (p = 1)."""
    g = torch.Generator().manual_seed(3)
    m = QuadraticNetwork(3, 3, 1, bias=True).double()
    with torch.no_grad():
        for prm in m.parameters():
            prm.copy_(torch.randn(prm.shape, generator=g, dtype=torch.float64))
    x = torch.randn(20, 3, generator=g, dtype=torch.float64)
    f0 = m(x)
    v = m.V.detach()[0]
    B = torch.zeros(3, 3, dtype=torch.float64)
    B[0, 2], B[2, 0] = v[0], -v[2]
    A = torch.linalg.matrix_exp(0.7 * B)
    assert torch.allclose(A @ torch.diag(v) @ A.T, torch.diag(v), atol=1e-12)
    with torch.no_grad():
        wt = torch.cat([m.W, m.b[None]], 0) @ A
        m.W.copy_(wt[:3])
        m.b.copy_(wt[3])
    assert torch.allclose(m(x), f0, atol=1e-10)


def test_a_wrong_tangent_is_refused():
    """A tangent that is no symmetry would overstate s and refute as certified."""
    g = torch.Generator().manual_seed(0)
    m = QuadraticNetwork(3, 2, 2).double()
    with torch.no_grad():
        for prm in m.parameters():
            prm.copy_(torch.randn(prm.shape, generator=g, dtype=torch.float64))
    x = torch.randn(10, 3, generator=g, dtype=torch.float64)
    tangents, counts = orbit_tangents(m)
    check_tangents(m, x, tangents, centred=False)  # the true ones pass
    wrong = tangents.clone()
    wrong[0, 0] += 1.0  # a W-entry moved with no compensation
    with pytest.raises(ValueError, match="symmetry tangent moves"):
        check_tangents(m, x, wrong, centred=False)
    # the output constant is a symmetry of the centred loss only
    mb = QuadraticNetwork(3, 2, 1, bias=True).double()
    with torch.no_grad():
        for prm in mb.parameters():
            prm.copy_(torch.randn(prm.shape, generator=g, dtype=torch.float64))
    t, c = orbit_tangents(mb, centred=True)
    assert c["constant"] == 1 and c["rotation"] == 1
    check_tangents(mb, x, t, centred=True)
    with pytest.raises(ValueError):
        check_tangents(mb, x, t, centred=False)


def _rank_of_floats(rows: torch.Tensor) -> int:
    """The exact rank of float rows, each entry read as the rational it is."""
    from fractions import Fraction

    from slttheory.models.symmetry import exact_rank_of

    return exact_rank_of([[Fraction(x) for x in row] for row in rows.tolist()])


def test_a_float64_w_star_rounding_the_rotation_products_does_not_raise_the_orbit():
    """The rotation tangents' entries v_i·w_ik rounded in float64 are not the tangents at the
    float w*: with W's columns exactly parallel (rank 1) the rounded rows had rank 6, the exact
    ones 5, so s = 6 read λ ≤ 3/2 where only λ ≤ 2 is certified (a review of the orbit)."""
    from slttheory.models.symmetry import quadratic_orbit

    m = QuadraticNetwork(2, 3, 1, dtype=torch.float64)
    w0 = torch.tensor([1.0, 3.0], dtype=torch.float64)
    with torch.no_grad():
        m.W.copy_(torch.stack([w0, 2 * w0, 4 * w0], 1))
        m.V.copy_(torch.tensor([[0.1, 0.3, 0.7]], dtype=torch.float64))
    tangents, counts = orbit_tangents(m)
    assert counts["rotation"] == 3 and _rank_of_floats(tangents) == 6  # the rounded rows
    s, n, _ = quadratic_orbit(type("P", (), {"model": m})())
    # exact: 3 scalings (independent v-parts) + the rotations' rank K(K−1)/2 − (K−r)(K−r−1)/2
    # with r = rank W = 1, i.e. 3 − 1 = 2
    assert (s, n) == (5, 9)


@pytest.mark.parametrize("bias", [False, True])
def test_the_exact_rank_agrees_with_the_float_rows_on_a_float32_w_star(bias):
    """float32 products are exact in float64: both ranks agree there."""
    from slttheory.models.symmetry import exact_orbit_tangents, exact_rank_of

    g = torch.Generator().manual_seed(3)
    m = QuadraticNetwork(3, 4, 1, bias=bias)
    with torch.no_grad():
        for prm in m.parameters():
            prm.copy_(torch.randn(prm.shape, generator=g))
    tangents, _ = orbit_tangents(m, centred=bias)
    assert exact_rank_of(exact_orbit_tangents(m, centred=bias)[0]) == _rank_of_floats(tangents)


def test_a_large_output_constant_under_the_centred_loss_does_not_widen_the_guard():
    """c is free under the centred loss, so w* may carry any c; the guard's scale had been
    max |f| with c in it, and at c = 1e9 a tangent moving W[0, 0] passed (a review)."""
    g = torch.Generator().manual_seed(0)
    m = QuadraticNetwork(3, 2, 1, bias=True)
    with torch.no_grad():
        for prm in m.parameters():
            prm.copy_(torch.randn(prm.shape, generator=g))
        m.c.fill_(1e9)
    x = torch.randn(100, 3, generator=g)
    wrong = torch.zeros(1, m.n_params, dtype=torch.float64)
    wrong[0, 0] = 1.0
    with pytest.raises(ValueError, match="moves the model's outputs"):
        check_tangents(m, x, wrong, centred=True)
    tangents, _ = orbit_tangents(m, centred=True)
    check_tangents(m, x, tangents, centred=True)  # the right ones still pass
