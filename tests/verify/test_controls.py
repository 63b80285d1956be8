"""How the verifier runs its LLC controls."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sympy as sp

from slttheory.verify.evidence import controls as ctl


def test_a_controls_data_sets_are_independent_runs(monkeypatch):
    """Each data set of a control gets its own chain seed (its data seed), different from the
    point's (``settings["seed"]``): with one seed shared by every data set, the chains' noise
    would be common to them and their spread would not measure it."""
    seen = {}

    def fake_estimate_many(problems, settings, device, seed):
        seen["seed"] = list(seed)
        return [SimpleNamespace() for _ in problems]

    monkeypatch.setattr(ctl, "_build", lambda fam, q, settings, device, data_seed: data_seed)
    monkeypatch.setattr(ctl, "_estimate_many", fake_estimate_many)
    monkeypatch.setattr(ctl, "llc_evidence", lambda est: SimpleNamespace(
        mean=1.0, std_error=0.1, clean=True, problems=()))
    c = ctl.Control("regular", {"d": 2}, "regular", "1", 1, "test")
    settings = {"seed": 7}
    seeds = ctl.data_seeds(settings)
    runs = ctl.run_control_jobs([(c, s) for s in seeds], {"regular": None}, settings, "cpu")
    assert seen["seed"] == seeds and len(set(seeds)) == len(seeds) and 7 not in seeds
    assert [r.data_seed for r in runs] == seeds


def test_points_of_a_batched_grid_get_independent_chains(monkeypatch):
    """One batched call for a grid, but each point's chains seeded by the point
    (:func:`chain_seed`); its reruns reuse the point's seed."""
    from slttheory.verify.evidence import routes

    calls = []

    def fake_estimate_many(problems, settings, device, seed):
        calls.append(list(seed))
        return [SimpleNamespace() for _ in problems]

    monkeypatch.setattr(routes, "_build", lambda fam, q, settings, device: q)
    monkeypatch.setattr(routes, "_estimate_many", fake_estimate_many)
    monkeypatch.setattr(routes, "llc_evidence", lambda est, note="": routes.LLCEvidence(
        "ok", mean=1.0, std_error=0.1, passed=True,
        config={"localization": 1.0, "step_size": 0.01}))
    points = [{"r": 0}, {"r": 1}, {"r": 2}]
    routes.llc_routes(None, points, {"seed": 5}, "cpu", reruns=True, measure=False)
    first = calls[0]
    assert first == [routes.chain_seed(5, q) for q in points] and len(set(first)) == 3
    assert len(calls) == 4 and all(c == first for c in calls[1:])  # γ × 3, γ / 3, ε / 2


def test_no_reruns_for_an_llc_that_cannot_decide(monkeypatch):
    """Reruns test a verdict the LLC could decide: none for an estimate that failed its
    diagnostics, nor at a w* measured not to be a minimum of L_n (unless at a true
    parameter, where the symmetrised estimand needs no minimum)."""
    from slttheory.verify.evidence import routes

    calls = []

    def fake_estimate_many(problems, settings, device, seed):
        calls.append([p["r"] for p in problems])
        return [SimpleNamespace(r=p["r"]) for p in problems]

    def fake_at_point(family, q, problem, device):  # as at_point: the build's extras kept
        return routes.AtPoint("ok", checks={"is_local_min": q["r"] not in (1, 3)},
                              extras=dict(problem.extras))

    class Prob(dict):
        extras: dict = {}

    def build(fam, q, settings, device):
        p = Prob(q)
        p.extras = {"true_parameter": q["r"] == 3}
        return p

    monkeypatch.setattr(routes, "_build", build)
    monkeypatch.setattr(routes, "at_point", fake_at_point)
    monkeypatch.setattr(routes, "_estimate_many", fake_estimate_many)
    monkeypatch.setattr(routes, "llc_evidence", lambda est, note="": routes.LLCEvidence(
        "ok", mean=1.0, std_error=0.1, passed=est.r != 2,
        # sampled as at w0 where the build says w* is one, as the route does
        config={"localization": 1.0, "step_size": 0.01, "true_parameter": est.r == 3}))
    # r = 0 decides; r = 1 is no minimum; r = 2 failed; r = 3 no minimum but a true parameter
    points = [{"r": 0}, {"r": 1}, {"r": 2}, {"r": 3}]
    out = routes.llc_routes(None, points, {}, "cpu", reruns=True)
    assert calls[0] == [0, 1, 2, 3] and calls[1:] == [[0, 3]] * 3
    assert [len(e.reruns) for e, _ in out] == [3, 0, 0, 3]


def test_the_llc_route_stays_sampling_evidence(monkeypatch):
    """Points, reruns and controls all call ``estimate_llc_batched`` with
    ``morse_bott=False``: the estimator's k/2 at a Morse–Bott zero is a Gauss–Newton rank,
    which the rank route already weighs, and the controls measure the sampler's bias."""
    import slttheory.sampling.batched as batched
    from slttheory.verify.evidence import routes

    seen = []

    def fake_batched(problems, seed, device, **kw):
        seen.append(kw)
        return [SimpleNamespace() for _ in problems]

    monkeypatch.setattr(batched, "estimate_llc_batched", fake_batched)
    monkeypatch.setattr(batched, "batch_signature", lambda *a: "one")
    probs = [SimpleNamespace(model=None, data=None, loss=None)] * 2
    routes._estimate_many(probs, {"seed": 3, "n": 100, "draws": 50}, "cpu", [1, 2])
    assert seen == [{"draws": 50, "morse_bott": False, "true_parameter": False}]
    # a problem built at its true parameter (routes._build) runs in a batch of its own, with
    # the symmetrised estimand
    seen.clear()
    truth = SimpleNamespace(model=None, data=None, loss=None, extras={"true_parameter": True})
    routes._estimate_many([probs[0], truth], {"draws": 50}, "cpu", [1, 2])
    assert sorted(kw["true_parameter"] for kw in seen) == [False, True]


def test_noisy_points_are_built_at_the_true_parameter():
    """routes._build: a family with target noise is built at w0 (no refinement) and marked for
    the symmetrised estimand; noise-free data keep the family's own w*."""
    import torch

    from slttheory.models import FAMILIES
    from slttheory.verify.evidence import routes

    fam = FAMILIES["reduced_rank_regression"]
    q = {"m": 3, "n": 3, "h": 2, "r": 1}
    p = routes._build(fam, q, {"n": 200}, "cpu", data_seed=4)
    w0 = fam.build(q, n=200, generator=torch.Generator().manual_seed(4), refine_steps=0)
    assert p.extras["true_parameter"] and "refined" not in p.extras
    assert all(torch.equal(a, b) for a, b in zip(p.model.parameters(), w0.model.parameters(),
                                                 strict=True))
    assert "symmetrised estimand" in p.note
    nf = routes._build(fam, {**q, "noise": 0.0}, {"n": 200}, "cpu", data_seed=4)
    assert "true_parameter" not in nf.extras


def test_a_noisy_family_without_a_quadratic_loss_keeps_the_empirical_minimiser():
    """No symmetrised estimand for its loss: the route falls back to the family's default
    w* (refine_steps=None), not to w0 with the plain estimate, which reads low by βν."""
    from slttheory.verify.evidence import routes

    calls = []

    def build(params, *, n, generator, device, refine_steps):
        calls.append(refine_steps)
        return SimpleNamespace(loss="cross_entropy", extras={}, note="")

    fam = SimpleNamespace(parameters=[SimpleNamespace(name="noise")],
                          validate=lambda q: {"noise": 1.0, **q}, build=build)
    p = routes._build(fam, {}, {"n": 10}, "cpu", data_seed=0)
    assert calls == [0, None] and "true_parameter" not in p.extras


def test_a_control_certified_by_another_formula_names_it_and_needs_it_established(monkeypatch):
    """Where the family's own formula is the claim's source, a control's λ may come from an
    identity of models (a normal crossing is its own Newton polyhedron): that formula must be
    established, and the control names it (every such control was labelled 'Newton
    polyhedron', also for reduced-rank regression <-> deep linear network)."""
    from slttheory import formulas
    from slttheory.models import FAMILIES
    from slttheory.verify.evidence.controls import certify

    c = certify(FAMILIES["normal_crossing"], {"powers": (1, 2)}, "Watanabe 2009, Ch. 2")
    assert c is not None and c.lam == "1/4" and c.multiplicity == 1
    assert c.certified_by == "newton_polyhedron (Varchenko 1976; established)"
    real = formulas.newton_polyhedron

    def as_stated(*a, **kw):
        from dataclasses import replace
        return replace(real(*a, **kw), standing="as_stated", established_by="")

    monkeypatch.setattr(formulas, "newton_polyhedron", as_stated)
    assert certify(FAMILIES["normal_crossing"], {"powers": (1, 2)}, "Watanabe 2009") is None


def test_the_point_is_never_its_own_control_and_the_fallback_formula_is_independent():
    """With a fixed key the candidate rule leaves out (noise), the point was among its own
    controls; and the fallback formula (the Newton polyhedron for a crossing) was accepted
    for a claim whose source the judge reads as that formula's own (no year: every formula's
    own, verification/README.md § Evidence and its grades)."""
    from slttheory.models import FAMILIES

    point = {"powers": (1, 2), "noise": 1.0}
    chosen = ctl.choose_controls("normal_crossing", point, FAMILIES, "Someone 2020")
    spelt = FAMILIES["normal_crossing"].validate(dict(point))
    assert all((c.family, dict(c.params)) != ("normal_crossing", spelt) for c in chosen)
    no_year = "Watanabe, Algebraic Geometry and Statistical Learning Theory, Ch. 7"
    assert ctl.certify(FAMILIES["normal_crossing"], {"powers": (1, 1)}, no_year) is None


def test_the_same_model_under_another_name_or_noise_is_not_a_control():
    """A deep linear network with one hidden layer is reduced-rank regression: DLN (3, 2, 3)
    at r = 1 was controlled by RRR (3, 3, 2, 1), itself; and a noise-free point by itself at
    noise 1, both with the point's own certified λ (an outside audit)."""
    from slttheory.models import FAMILIES

    point = {"widths": (3, 2, 3), "r": 1, "noise": 0.0}
    chosen = ctl.choose_controls("deep_linear_network", point, FAMILIES, "Someone 2020")
    spelt = {(c.family, ctl._spelt(c.params)) for c in chosen}
    assert ("reduced_rank_regression",
            ctl._spelt({"m": 3, "n": 3, "h": 2, "r": 1})) not in spelt
    assert all(not (c.family == "deep_linear_network" and tuple(c.params["widths"]) == (3, 2, 3)
                    and c.params["r"] == 1) for c in chosen), chosen
    assert len(chosen) >= 3
    one_unit = {"widths": (3, 1, 4), "r": 0}  # reduced-rank regression (3, 4, 1, 0) itself
    chosen = ctl.choose_controls("deep_linear_network", one_unit, FAMILIES, "Aoyagi 2024")
    assert ("reduced_rank_regression", ctl._spelt({"m": 3, "n": 4, "h": 1, "r": 0})) not in \
        {(c.family, ctl._spelt(c.params)) for c in chosen}, chosen


@pytest.mark.parametrize(("point", "source"), [
    ({"widths": (2, 2, 3), "r": 0},
     "Aoyagi 2024, Neural Networks 172:106132, Thm 2; Pepin Lehalleur & Rimányi worked example"),
    ({"widths": (7, 7, 8, 9, 12, 13), "r": 0}, "Aoyagi 2024, Neural Networks 172:106132, Thm 2"),
    ({"widths": (3, 2, 4), "r": 0}, "Aoyagi & Watanabe 2005, Neural Networks 18(7), case 1"),
])
def test_a_claim_of_aoyagis_formulas_gets_singular_linear_network_controls(point, source):
    """Every rank-deficient deep linear network and reduced-rank regression is certified by
    Aoyagi 2024 or Aoyagi & Watanabe 2005 (one theorem, restated), so a claim citing either had
    only the generic crossings w₁w₂², w₁w₂ as singular controls; one hidden unit at the true
    product 0 is a normal crossing in polar coordinates (Watanabe 2009), independent of both,
    and the search for an independent formula had stopped at the first established one, the
    claim's own. Its controls are now of the linear networks' own kind, none certified by the
    claim's source, and never the point under another name."""
    from slttheory.models import FAMILIES
    from slttheory.verify.claims.common import cites

    chosen = ctl.choose_controls("deep_linear_network", point, FAMILIES, source)
    assert [c.kind for c in chosen] == list(ctl.KINDS), chosen
    singular = [c for c in chosen if c.kind != "regular"]
    assert all(c.family == "reduced_rank_regression" and c.params["h"] == 1 for c in singular)
    assert all(c.certified_by.startswith("normal_crossing (Watanabe 2009") for c in singular)
    assert not any(cites(source, c.certified_by) for c in chosen), chosen
    w = point["widths"]
    assert [c.lam for c in singular] == [str(sp.Rational(min(w[0], w[-1]), 2))] * 2
    if len(w) == 3:
        spelt = ctl._spelt({"m": w[0], "n": w[-1], "h": w[1], "r": point["r"]})
        assert all(ctl._spelt(c.params) != spelt for c in singular)  # _spelt drops noise


def test_a_plugin_family_gets_the_generic_controls(monkeypatch):
    """A --families mapping of a user's own models lacks the package's regular and
    normal-crossing families, so no control was chosen and every plugin LLC stayed
    uncontrolled (an outside acceptance run); the generic controls now come from the
    package, and run from it too."""
    from slttheory.models import FAMILIES

    plugin = {"my_tanh": FAMILIES["tanh_network"]}
    chosen = ctl.choose_controls("my_tanh", {"h": 2}, plugin, "Someone 2020")
    assert {c.kind for c in chosen} == {"regular", "singular, m = 1", "singular, m = 2"}
    assert {c.family for c in chosen} <= {"regular", "normal_crossing"}
    built = []
    monkeypatch.setattr(ctl, "_build", lambda fam, *a, **k: built.append(fam) or 1 / 0)
    runs = ctl.run_control_jobs([(chosen[0], 0)], plugin, {"chains": 2}, "cpu")
    assert built == [FAMILIES[chosen[0].family]] and runs[0].error is not None
    mine = {"regular": FAMILIES["polynomial_regression"], **plugin}  # the mapping's name wins
    assert ctl.with_generic_controls(mine)["regular"] is FAMILIES["polynomial_regression"]


def test_a_control_whose_multiplicity_no_test_checks_has_no_kind_of_multiplicity():
    """A deep linear network's λ is checked everywhere, its multiplicity only where one hidden
    layer (reduced-rank regression, whose m the eigenvalue integral checks at every size) or
    layers of width r + 1 cut it into such pieces; at widths (4, 2, 2, 2, 4), r = 0, m is as
    Aoyagi 2024 states it. Such a control certifies λ but is no 'singular, m = k' control, and
    its m never tells a point's bias apart (judge.llc.beyond_controls): an audit of the
    formulas' checks found the verifier labelling controls with unchecked m."""
    from slttheory.formulas import deep_linear_network
    from slttheory.formulas.standing import multiplicity_checked
    from slttheory.models import FAMILIES as REAL
    from slttheory.verify.evidence.controls import certify

    fam = REAL["deep_linear_network"]
    c = certify(fam, {"widths": [4, 2, 2, 2, 4], "r": 0}, "Lau et al. 2023")
    assert c is not None and (c.kind, c.multiplicity) == ("singular", None)
    assert c.lam == str(deep_linear_network([4, 2, 2, 2, 4], 0).value)
    assert "as stated, not checked here" in c.certified_by
    checked = certify(fam, {"widths": [4, 2, 1, 2, 4], "r": 0}, "Lau et al. 2023")
    m = deep_linear_network([4, 2, 1, 2, 4], 0).multiplicity
    assert (checked.kind, checked.multiplicity) == (f"singular, m = {m}", m)
    rrr = certify(REAL["reduced_rank_regression"], {"m": 6, "n": 6, "h": 4, "r": 0},
                  "Lau et al. 2023")  # m checked at every size now
    assert rrr.multiplicity is not None and "not checked here" not in rrr.certified_by
    assert not multiplicity_checked("deep_linear_network", {"widths": (4, 2, 2, 2, 4), "r": 0})
    assert multiplicity_checked("deep_linear_network", {"widths": (4, 2, 1, 2, 4), "r": 0})
