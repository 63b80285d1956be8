"""Theorem hypotheses at built problems (Family.hypotheses), seed 001's effective width and
Stage II, and the certified rank on a trained problem's own training inputs."""

import math

import pytest
import torch

from slttheory.geometry import generic_rank
from slttheory.models import FAMILIES, Hypothesis
from slttheory.models.hypotheses import (
    K_EFF_THRESHOLD,
    TRUE_PARAMETER_LOSS,
    effective_width,
    quadratic_hypotheses,
    stage_two,
    train_rank,
)


@pytest.fixture(scope="module")
def modular():
    return FAMILIES["modular_addition"].build(p=5, k=6, steps=400, generator=0)


def test_modular_addition_records_thm_5_5_quantities(modular):
    ex = modular.extras
    V = modular.model.V.detach().double()
    norms = V.norm(dim=0)
    assert ex["k_eff"] == int((norms > K_EFF_THRESHOLD * norms.max()).sum())
    assert ex["k_eff_threshold"] == K_EFF_THRESHOLD and "eq. 5" in ex["k_eff_measured"]
    assert ex["stage_two"] == (ex["train_acc"] >= 1.0 and ex["val_acc"] >= 0.95)
    assert f"{ex['val_acc']:.3f}" in ex["stage_two_measured"]
    # the certified rank on the training pairs equals the rank problem on those inputs
    rp = FAMILIES["modular_addition"].rank_problem(modular.params, inputs=modular.data[0])
    assert rp.inputs.shape == (len(modular.data[0]), 10) and rp.inputs.dtype == torch.int64
    # the family's 'λ = rank/2 on all p² pairs' is not about these inputs (an outside audit)
    assert not rp.gives_lambda and not rp.inputs_determine and "given by the caller" in rp.reason
    g = generic_rank(rp.fn, rp.param_shapes, rp.inputs, degree=rp.degree, trials=3)
    assert ex["train_rank"] == g.rank and ex["train_rank_bound"] == g.schwartz_zippel_bound
    assert ex["train_rank"] <= ex["train_rank_max_possible"]


def test_modular_addition_hypotheses(modular):
    hyps = FAMILIES["modular_addition"].hypotheses(modular)
    assert [h.name for h in hyps] == ["stage_two", "true_parameter", "effective_width",
                                      "all_units_active", "active_nondegenerate",
                                      "local_minimum"]
    width = {h.name: h for h in hyps}
    assert width["all_units_active"].met == (
        width["effective_width"].met and modular.extras["k_eff"] == modular.params["k"])
    assert all(isinstance(h, Hypothesis) and h.statement and h.measured for h in hyps)
    # the declared names, against which claim files are checked when loaded
    assert FAMILIES["modular_addition"].hypothesis_names == tuple(h.name for h in hyps)
    assert hyps[0].met == modular.extras["stage_two"]
    # a true parameter: the training pairs fitted (Thms 4.1/4.2 are about realisable fits)
    assert hyps[1].met == (modular.extras["train_loss"] <= TRUE_PARAMETER_LOSS)
    from dataclasses import replace

    for loss, met in ((0.156, False), (8e-7, True), (None, None)):  # k = 2 / k = 4 of the report
        extras = {k: v for k, v in modular.extras.items() if k != "train_loss"}
        if loss is not None:
            extras["train_loss"] = loss
        h = FAMILIES["modular_addition"].hypotheses(replace(modular, extras=extras))[1]
        assert (h.name, h.met) == ("true_parameter", met), h.measured


def test_quadratic_hypotheses_measure_thm_4_2_at_one_output():
    """At p = 1 with K below d(d+1)/2, Thm 4.2's (2) and (3) are measured too (besides App.
    G's spanning condition): a claim of Thm 4.2 at p = 1 must not find them missing."""
    fam = FAMILIES["quadratic_network"]
    prob = fam.build({"d": 3, "k": 2, "p": 1, "bias": False},
                     generator=torch.Generator().manual_seed(0), device="cpu")
    names = {h.name: h for h in fam.hypotheses(prob)}
    assert {"spanning", "features_independent", "no_cancellation"} <= set(names)
    assert fam.hypothesis_names == tuple(names)  # declared = measured (claims check against it)
    assert FAMILIES["regular"].hypothesis_names == ()
    assert names["features_independent"].met is True
    # (3) is measured as stated (Thm G.6 (3)): the orthogonal linearisation has rank K(d − 1)
    # = 4 here, so it holds — while the rank of θ ↦ Q, dK − K(K−1)/2 = 5, is below the
    # K(d + p − 1) = 6 the theorem concludes: the hypothesis is not the conclusion in disguise
    nc = names["no_cancellation"]
    assert nc.met is True and "linearisation = 4 (needs K(d−1) = 4" in nc.measured, nc.measured
    assert " is 5, where Thm 4.2's K(d + p − 1) states 6" in nc.measured


def test_no_cancellation_fails_where_units_cancel_at_first_order():
    """Thm G.6 (3) fails at a generic point of d = 3, p = 1, K = 3: the orthogonal
    linearisation has rank 5 of K(d − 1) = 6 (three units' first-order terms cancel)."""
    fam = FAMILIES["quadratic_network"]
    prob = fam.build({"d": 3, "k": 3, "p": 1, "bias": False},
                     generator=torch.Generator().manual_seed(0), device="cpu")
    nc = {h.name: h for h in fam.hypotheses(prob)}["no_cancellation"]
    assert nc.met is False and "linearisation = 5 (needs K(d−1) = 6" in nc.measured
    # its image lies in the traceless symmetric matrices (tr(u w_kᵀ + w_k uᵀ) = 2 u·w_k = 0),
    # of dimension d(d+1)/2 − 1 = 5 < 6: no w* meets it (p·d(d+1)/2 = 6 had let it pass as
    # possible, and the report advised 'a w* at which no_cancellation holds': a review)
    assert nc.possible is False
    assert "cannot hold at these sizes: K(d−1) = 6 > p(d(d+1)/2 − 1) = 5" in nc.measured


def test_the_orthogonal_linearisation_maps_into_traceless_symmetric_matrices():
    """Every column of the linearisation is traceless in each output, so its rank is at most
    p(d(d+1)/2 − 1) at every w* (5 at (3, 1, 3) and (3, 1, 5), where K(d − 1) = 6 and 10)."""
    from slttheory.models.hypotheses import _orthogonal_linearisation, _svd_rank

    g = torch.Generator().manual_seed(1)
    for d, p, K in ((3, 1, 3), (3, 1, 5), (4, 1, 4), (3, 2, 5), (4, 2, 5), (5, 1, 4)):
        sym = d * (d + 1) // 2
        W = torch.randn(d, K, generator=g, dtype=torch.float64)
        M = _orthogonal_linearisation(W, torch.randn(p, K, generator=g, dtype=torch.float64))
        iu = torch.triu_indices(d, d)
        diag = (iu[0] == iu[1]).repeat(p).reshape(p, sym)
        traces = torch.stack([M[j * sym:(j + 1) * sym][diag[j]].sum(0) for j in range(p)])
        assert float(traces.abs().max()) < 1e-12
        r = _svd_rank(M)[0]
        assert r <= p * (sym - 1), (d, p, K, r)
        if (d, p) == (3, 1):
            assert r == 5


def test_no_cancellation_says_when_no_w_star_can_meet_it():
    """At d = 3, p = 1, K = 5 the orthogonal linearisation maps K(d − 1) = 10 dimensions into
    p(d(d+1)/2 − 1) = 5 traceless symmetric dimensions: rank 10 is impossible at every w*,
    and the hypothesis says so (the report had advised 'a w* at which no_cancellation
    holds': an outside theorist's review)."""
    fam = FAMILIES["quadratic_network"]
    prob = fam.build({"d": 3, "k": 5, "p": 1, "bias": False},
                     generator=torch.Generator().manual_seed(0), device="cpu")
    nc = {h.name: h for h in fam.hypotheses(prob)}["no_cancellation"]
    assert nc.met is False and nc.possible is False
    assert "cannot hold at these sizes: K(d−1) = 10 > p(d(d+1)/2 − 1) = 5" in nc.measured


def test_an_active_subnetwork_no_w_star_of_these_sizes_can_make_non_degenerate_says_so():
    """quadratic_stage_two at d = 3, p = 1, k_eff = 3: the active subnetwork's
    no_cancellation needs K_eff(d − 1) = 6 > p(d(d+1)/2 − 1) = 5 (impossible), and the family's
    k_eff fixes K_eff, so no w* of these sizes meets active_nondegenerate. The conjunction had
    dropped ``possible``, and the verdict advised "a w* at which active_nondegenerate holds"
    (an audit of the hypothesis rules); at a K_eff it can meet, it stays possible."""
    fam = FAMILIES["quadratic_stage_two"]
    hs = {h.name: h for h in fam.hypotheses(fam.build(
        {"d": 3, "k": 4, "k_eff": 3, "p": 1}, n=50, generator=torch.Generator().manual_seed(0),
        refine_steps=0))}
    active = hs["active_nondegenerate"]
    assert active.met is False and active.possible is False
    assert "cannot hold at these sizes: K(d−1) = 6" in active.measured
    ok = {h.name: h for h in fam.hypotheses(fam.build(
        {"d": 3, "k": 3, "k_eff": 2, "p": 2}, n=50, generator=torch.Generator().manual_seed(0),
        refine_steps=0))}["active_nondegenerate"]
    assert ok.met is True and ok.possible is True


def test_train_rank_on_one_hot_pairs_and_size_limit():
    from slttheory.models import modular_addition_data

    x, _ = modular_addition_data(3)
    assert train_rank(x, k=2, p=3)["train_rank"] == 2 * (3 * 3 - 2)  # (u + c, z − c) symmetry
    skipped = train_rank(x, k=2, p=3, limit=10)
    assert "train_rank" not in skipped and "not computed" in skipped["train_rank_skipped"]


def test_rank_problem_inputs_are_checked():
    fam = FAMILIES["modular_addition"]
    with pytest.raises(ValueError, match="integer-valued"):
        fam.rank_problem(p=3, k=2, inputs=torch.full((4, 6), 0.5))
    with pytest.raises(ValueError, match="per-sample shape"):
        fam.rank_problem(p=3, k=2, inputs=torch.ones(4, 5))


def _with_weights(problem, W, V):
    import copy

    q = copy.deepcopy(problem)
    with torch.no_grad():
        q.model.W.copy_(W.to(q.model.W.dtype))
        q.model.V.copy_(V.to(q.model.V.dtype))
    return q


def test_effective_width_needs_both_counts_to_pick_the_same_units(modular):
    """(‖v‖, ‖w‖) = (1, 0.05) and (0.005, 10): each count drops a different unit, both count
    5 of 6 with a gap of 200, and the width was called clear (a review of the hypotheses);
    the non-degeneracy was then measured on the unit that contributes 0.0025, without the one
    that contributes 0.5."""
    d, k = modular.model.W.shape
    g = torch.Generator().manual_seed(0)
    W = torch.randn(d, k, generator=g, dtype=torch.float64)
    W = W / W.norm(dim=0) * torch.tensor([0.05, 10.0, 1, 1, 1, 1], dtype=torch.float64)
    V = torch.randn(modular.model.V.shape[0], k, generator=g, dtype=torch.float64)
    V = V / V.norm(dim=0) * torch.tensor([1.0, 0.005, 1, 1, 1, 1], dtype=torch.float64)
    e = effective_width(W, V)
    assert (e["k_eff"], e["k_eff_invariant"], e["gap"]) == (5, 5, pytest.approx(200.0))
    assert not e["same_units"]
    hyps = {h.name: h for h in FAMILIES["modular_addition"].hypotheses(
        _with_weights(modular, W, V))}
    assert hyps["effective_width"].met is False and hyps["all_units_active"].met is False


def test_thm_4_2s_independence_fails_past_its_width():
    """Thm 4.2 (= G.6) is stated below d(d+1)/2 units: 12 rank-one w_k w_kᵀ in Sym(4)
    (dimension 10) cannot be independent, yet Thm 4.1's spanning was reported as its
    condition, and a point at p = 2, k = 12 was refuted (certified) with every hypothesis met
    (a review of the hypotheses)."""
    prob = FAMILIES["modular_addition"].build(p=2, k=12, steps=50, generator=0)
    d, k = prob.model.W.shape
    g = torch.Generator().manual_seed(1)
    W = torch.randn(d, k, generator=g, dtype=torch.float64)
    V = torch.ones(prob.model.V.shape[0], k, dtype=torch.float64)
    hyps = {h.name: h for h in FAMILIES["modular_addition"].hypotheses(
        _with_weights(prob, W, V))}
    h = hyps["active_nondegenerate"]
    assert h.met is False and "cannot be linearly independent" in h.measured, h.measured
    # at exactly d(d+1)/2 units Thm 4.1's spanning had still been reported as met (a review)
    prob10 = FAMILIES["modular_addition"].build(p=2, k=10, steps=50, generator=0)
    hyps = {h.name: h for h in FAMILIES["modular_addition"].hypotheses(
        _with_weights(prob10, W[:, :10], V[:, :10]))}
    h = hyps["active_nondegenerate"]
    assert h.met is False and "stated for fewer units" in h.measured, h.measured


def test_a_unit_just_above_the_cut_is_no_clear_width():
    """Every ‖v_k‖ = 1 and one ‖w_k‖ = 0.1001 against 1: its invariant size is 1.002× the cut,
    and the width was called clear on the v-gap alone (a review)."""
    W = torch.eye(3, dtype=torch.float64) * torch.tensor([1.0, 1.0, 0.1001], dtype=torch.float64)
    e = effective_width(W, torch.ones(1, 3, dtype=torch.float64))
    assert e["same_units"] and e["gap"] == pytest.approx(100.0) and e["gap_invariant"] < 1.01


def test_a_unit_just_above_the_v_cut_is_no_clear_width():
    """‖v_3‖ = 0.0101 (1.01× eq. 5's cut) with ‖w_3‖ = 10: its invariant size is clear of
    its cut, and the v-gap read ``inf`` because no unit fell below the cut (a review), so the
    count was called clear."""
    W = torch.eye(3, dtype=torch.float64) * torch.tensor([1.0, 1.0, 10.0], dtype=torch.float64)
    e = effective_width(W, torch.tensor([[1.0, 1.0, 0.0101]], dtype=torch.float64))
    assert e["same_units"] and e["k_eff"] == 3 and e["gap_invariant"] > 10
    assert e["gap"] == pytest.approx(1.01)


def test_nondegeneracy_is_measured_at_the_balanced_units():
    """(w_k, v_k) → (10⁴ w_k, 10⁻⁸ v_k) leaves the network's function unchanged; the unit's
    ‖v_k‖ fell below the 10⁻⁶ cut and units_active failed (an audit of the hypotheses). Every
    hypothesis now reads the same at both representatives."""
    prob = FAMILIES["quadratic_network"].build(d=3, k=2, p=2, n=100, generator=0,
                                               refine_steps=0)
    W0 = prob.model.W.detach().double().clone()
    V0 = prob.model.V.detach().double().clone()
    scale = torch.tensor([1e4, 1.0], dtype=torch.float64)
    names = ("units_active", "features_independent", "no_cancellation")
    base = {h.name: h.met for h in quadratic_hypotheses(_with_weights(prob, W0, V0))}
    moved = {h.name: h for h in quadratic_hypotheses(
        _with_weights(prob, W0 * scale, V0 / scale ** 2))}
    assert all(base[n] is True for n in names), base
    assert {n: moved[n].met for n in names} == {n: True for n in names}, moved


def test_units_active_needs_every_balanced_size_strictly_above_its_cut():
    """units_active is Thm 4.2 (1) for every unit, on the balanced sizes
    (‖v_k‖·‖w_k‖²)^(1/3) with the cut > 1e-6 of the largest: one dead unit (v_3 = 0, or
    w_3 = 0) fails it, a unit at 1e-7 or exactly at the cut fails it, one at 1e-5 meets it.
    Where p = 1 the spanning rank counts the live units only (e_3 with v_3 = 0 spans no
    direction of the function), and a dead w_3 = 0 is left as it is (no 0·∞ column)."""
    from slttheory.models.hypotheses import _balanced, _nondegeneracy

    def met(w3, v3, p=1):
        W = torch.eye(3, dtype=torch.float64)
        W[2, 2] = w3
        V = torch.tensor([[1.0, 1.0, v3], [1.0, -1.0, v3]][:p], dtype=torch.float64)
        hyps = _nondegeneracy(W, V, "w*")
        assert all("nan" not in h.measured for h in hyps), [h.measured for h in hyps]
        return {h.name: h.met for h in hyps}

    assert met(1.0, 1e-15)["units_active"] is True and met(1.0, 1e-15)["spanning"] is True
    for w3, v3 in ((1.0, 0.0), (0.0, 1.0), (1.0, 1e-21)):  # dead, dead, size 1e-7
        assert met(w3, v3)["units_active"] is False, (w3, v3)
        assert met(w3, v3)["spanning"] is False, (w3, v3)
    assert met(0.0, 1.0, p=2) == {"units_active": False, "features_independent": False,
                                  "no_cancellation": False}
    at_cut = 9.999999999999978e-19  # its balanced size is 1e-6 exactly, the others' 1
    W, V = torch.eye(3, dtype=torch.float64), torch.tensor([[1.0, 1.0, at_cut]],
                                                           dtype=torch.float64)
    assert _balanced(W, V)[2].tolist() == [1.0, 1.0, 1e-6]
    assert met(1.0, at_cut)["units_active"] is False


def test_effective_width_and_stage_two_rules():
    W = torch.ones(4, 3)
    e = effective_width(W, torch.tensor([[1.0, 0.2, 1e-3]]))
    assert (e["k_eff"], e["gap"]) == (2, pytest.approx(200.0))
    e = effective_width(torch.tensor([[1.0, 100.0]]), torch.tensor([[1.0, 1e-3]]))
    assert (e["k_eff"], e["k_eff_invariant"]) == (1, 2)          # a rescaled unit
    assert effective_width(W, torch.ones(2, 3))["gap"] == pytest.approx(100.0)  # over the cut
    assert effective_width(W, torch.ones(2, 3), threshold=0.0)["gap"] == math.inf
    assert stage_two(1.0, 0.95)[0] is True and stage_two(0.99, 1.0)[0] is False
    assert stage_two(1.0, None)[0] is None


def test_quadratic_hypotheses_met_at_a_generic_point_and_broken_by_degeneracy():
    prob = FAMILIES["quadratic_network"].build(d=3, k=2, p=2, n=100, generator=0,
                                               dtype=torch.float64)
    hyps = {h.name: h for h in FAMILIES["quadratic_network"].hypotheses(prob)}
    assert set(hyps) == {"units_active", "features_independent", "no_cancellation",
                         "local_minimum"}
    assert all(h.met for h in hyps.values()), [h.measured for h in hyps.values()]
    with torch.no_grad():  # two parallel units: w_1 w_1ᵀ and w_2 w_2ᵀ dependent
        prob.model.W[:, 1] = 2 * prob.model.W[:, 0]
    hyps = {h.name: h for h in quadratic_hypotheses(prob)}
    assert hyps["features_independent"].met is False
    # (3) concerns the directions orthogonal to each w_k only: parallel units with independent
    # output weights do not cancel there, so it holds; (2) is what fails
    assert hyps["no_cancellation"].met is True


def test_single_output_and_spanning_hypotheses():
    fam = FAMILIES["quadratic_network"]
    prob = fam.build(d=3, k=4, p=1, n=50, generator=1, dtype=torch.float64)
    names = {h.name: h.met for h in fam.hypotheses(prob)}
    assert names["spanning"] is True
    prob = FAMILIES["modular_addition_generic"].build(p=2, k=12, n=50, generator=0,
                                                      dtype=torch.float64)
    hyps = {h.name: h for h in quadratic_hypotheses(prob)}
    assert hyps["spanning"].met is True and "Thm 4.1" in hyps["spanning"].statement


def test_thm_4_1_spanning_is_measured_at_one_output():
    """From K = d(d+1)/2 on, 'spanning' is Thm 4.1's condition ({w_k w_kᵀ} spans Sym(d)) at
    every p, p = 1 included; App. G.1's weaker condition (some d of the w_k span ℝ^d) was
    measured there instead."""
    fam = FAMILIES["quadratic_network"]
    prob = fam.build({"d": 2, "k": 3, "p": 1, "bias": False},
                     generator=torch.Generator().manual_seed(0), device="cpu")
    spanning = [h for h in fam.hypotheses(prob) if h.name == "spanning"]
    assert len(spanning) == 1 and "Thm 4.1" in spanning[0].statement and spanning[0].met
    W = prob.model.state_dict()["W"].clone()  # d × K = 2 × 3
    W[1] = W[0]  # every w_k ∝ (1, 1): the w_k w_kᵀ span one direction of Sym(2), not 3
    prob.model.load_state_dict({**prob.model.state_dict(), "W": W})
    spanning = [h for h in fam.hypotheses(prob) if h.name == "spanning"]
    assert len(spanning) == 1 and spanning[0].met is False


def test_rank_cut_follows_the_dtype_of_w_star():
    """A float32 w* is known to ~6e-8 relative: two units one float32 ulp apart are one unit
    to the model's own arithmetic, and Thm 4.2 (2) must not be met there (the cut was
    float64's eps, so their w_k w_kᵀ counted as independent; an audit of the hypotheses)."""
    prob = FAMILIES["quadratic_network"].build({"d": 3, "k": 2, "p": 2, "bias": False}, n=50,
                                               generator=torch.Generator().manual_seed(0))
    assert prob.model.W.dtype == torch.float32
    with torch.no_grad():
        w = prob.model.W[:, 0].clone()
        prob.model.W[:, 1] = torch.nextafter(w, torch.full_like(w, 10.0))
    hyps = {h.name: h for h in quadratic_hypotheses(prob)}
    assert hyps["features_independent"].met is False, hyps["features_independent"].measured
    # at full rank the measured text gives the margin σ_min/σ_max, not an uninformative inf
    assert "margin σ_min/σ_max" in hyps["no_cancellation"].measured


def test_refined_w_star_on_the_boundary_is_not_spanning():
    """At (d, p, K) = (3, 1, 3), n = 100, the empirical minimiser the build refines to lies
    where W is singular (σ_min(W) ≈ 1.5e-8, L-BFGS's residue): App. G.1's spanning fails
    there, and only a cut at the float32 w*'s precision sees it."""
    prob = FAMILIES["quadratic_network"].build({"d": 3, "k": 3, "p": 1, "bias": False}, n=100,
                                               generator=torch.Generator().manual_seed(0))
    s = torch.linalg.svdvals(prob.model.W.detach().double())
    assert float(s[-1] / s[0]) < 1e-6
    spanning = [h for h in quadratic_hypotheses(prob) if h.name == "spanning"]
    assert len(spanning) == 1 and spanning[0].met is False, spanning[0].measured


def test_units_alike_on_every_one_hot_pair_are_degenerate():
    """On one-hot pairs the loss sees w_k only on the (2p − 1)-dimensional span of the inputs:
    w_2 = w_1 + c·(1, …, 1, −1, …, −1) is unit 1 again on every pair, so Thm 4.2 (2) fails
    for the network the loss sees although w_1 w_1ᵀ and w_2 w_2ᵀ are independent in Sym(2p)
    (every check passed in ℝ^d; an audit of the hypotheses)."""
    from slttheory.models import QuadraticNetwork, modular_addition_data
    from slttheory.models.hypotheses import modular_addition_hypotheses
    from slttheory.models.registry import Problem

    p, K = 3, 2
    g = torch.Generator().manual_seed(0)
    m = QuadraticNetwork(2 * p, K, p, dtype=torch.float64)
    x, y = modular_addition_data(p)
    u = torch.cat([torch.ones(p), -torch.ones(p)]).double()
    with torch.no_grad():
        m.W.normal_(generator=g), m.V.normal_(generator=g)
        m.W[:, 1] = m.W[:, 0] + 0.7 * u
    xs = x.double()
    assert torch.allclose((xs @ m.W[:, 0]) ** 2, (xs @ m.W[:, 1]) ** 2)
    prob = Problem(m, (x, y), "centred_gaussian",
                   extras={"train_acc": 1.0, "val_acc": 1.0, "train_loss": 0.0})
    hyps = {h.name: h for h in modular_addition_hypotheses(prob)}
    assert hyps["all_units_active"].met is True
    assert hyps["active_nondegenerate"].met is False, hyps["active_nondegenerate"].measured
    assert "span of the inputs" in hyps["active_nondegenerate"].measured
    hyps = {h.name: h for h in quadratic_hypotheses(prob)}  # modular_addition_generic's
    assert hyps["features_independent"].met is False
    # inputs that span ℝ^d: measured in ℝ^d only, as the theorem states it
    prob = FAMILIES["quadratic_network"].build(d=3, k=2, p=2, n=100, generator=0,
                                               dtype=torch.float64)
    assert all("span of the inputs" not in h.measured for h in quadratic_hypotheses(prob))


def test_interpolates_below_p_squared_minus_one_says_the_draws_without_claiming_impossibility():
    """Cor. 5.3's lazy fit at p = 3: below K = p² − 1 = 8 the family's continuous draws of W
    never interpolate, which is no proof for every W (the labels' centred span is only
    p − 1 dimensional), so ``possible`` stays true and the measurement says "at the family's
    draws" (a review: 'a w* at which interpolates holds' was advised at K = 4)."""
    from slttheory.models import FAMILIES
    from slttheory.models.regimes import lazy_hypotheses
    from slttheory.models.registry import NOT_AT_DRAWS

    fam = FAMILIES["lazy_regime_bounds"]
    for k, met in ((4, False), (8, True)):
        prob = fam.build({"p": 3, "k": k}, n=20, generator=torch.Generator().manual_seed(0),
                         device="cpu")
        (h,) = lazy_hypotheses(prob)
        assert h.met is met and h.possible is True
        assert (NOT_AT_DRAWS in h.measured) is (not met), h.measured
        if not met:
            assert ("centred features span rank(P⊥Φ) = 4 (exact) of the 8 dimensions"
                    in h.measured and "not a proof for every W" in h.measured), h.measured
