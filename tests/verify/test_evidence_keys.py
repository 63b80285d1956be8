"""Evidence the judge is fed must be the point's own, under the claim's own rules.

A mutation audit of ``slttheory/verify/evidence`` and the result store found 18 one-line
changes that no test caught; each test here pins one way the verifier could silently hand the
judge the wrong evidence (another point's
estimate, a rerun at the base setting, a control run under other rules, a stored row of
another point, a control certified by the claim's own theorem) without any existing test
failing. All are fast: no sampler runs.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest
from fake_families import FAMILIES, exact_control_runs, fake_regular_controls

from slttheory.verify.evidence import controls as ctl
from slttheory.verify.evidence import routes
from slttheory.verify.evidence.records import RANK_CERTAINTY, ControlRun, RankEvidence
from slttheory.verify.run import ResultStore

# --- routes: the point's own estimate, reruns at the setting they name -------------------


def test_each_point_of_a_batch_gets_its_own_estimate(monkeypatch):
    """The sampler is batched over points; its estimates must go back to the points they
    were made at, also when a point in the middle failed to build (another point's λ̂ read
    as this one's confirms or refutes the wrong claim)."""

    def build(fam, q, settings, device):
        if q["r"] == 1:
            raise ValueError("no build")
        return q

    monkeypatch.setattr(routes, "_build", build)
    monkeypatch.setattr(routes, "_estimate_many", lambda problems, settings, device, seeds: [
        SimpleNamespace(r=p["r"]) for p in problems])
    monkeypatch.setattr(routes, "llc_evidence", lambda est, note="": routes.LLCEvidence(
        "ok", mean=float(est.r), std_error=0.1, passed=True))
    out = routes.llc_routes(None, [{"r": r} for r in (0, 1, 2, 3)], {}, "cpu", measure=False)
    assert [e.status for e, _ in out] == ["ok", "error", "ok", "ok"]
    assert [e.mean for e, _ in out if e.status == "ok"] == [0.0, 2.0, 3.0]


def test_reruns_run_at_the_setting_they_name(monkeypatch):
    """γ × 3, γ / 3 and ε / 2 are each run at that setting, scaled from the base estimate's
    own value of it: a rerun at the base setting agrees with the base by construction, and
    the robustness check an LLC verdict must pass becomes vacuous."""
    seen = []

    def fake(problems, settings, device, seeds):
        seen.append((settings.get("localization"), settings.get("step_size")))
        return [SimpleNamespace() for _ in problems]

    monkeypatch.setattr(routes, "_build", lambda fam, q, settings, device: q)
    monkeypatch.setattr(routes, "_estimate_many", fake)
    monkeypatch.setattr(routes, "llc_evidence", lambda est, note="": routes.LLCEvidence(
        "ok", mean=1.0, std_error=0.1, passed=True,
        config={"localization": 2.0, "step_size": 0.01}))
    (ev, _), = routes.llc_routes(None, [{"r": 0}], {"localization": 2.0, "step_size": 0.01},
                                 "cpu", reruns=True, measure=False)
    assert seen[0] == (2.0, 0.01)
    assert seen[1:] == [(pytest.approx(6.0), 0.01), (pytest.approx(2.0 / 3.0), 0.01),
                        (2.0, pytest.approx(0.005))]
    assert [r.setting for r in ev.reruns] == ["γ × 3", "γ / 3", "ε / 2"]


def test_w_star_is_measured_on_each_points_own_model(monkeypatch):
    """at_point_route: the minimum check and hypotheses at w* of each point come from that
    point's build (measured on another point's model, a saddle could pass as a minimum)."""
    monkeypatch.setattr(routes, "_build", lambda fam, q, settings, device: SimpleNamespace(
        extras={"d": q["d"]}))
    monkeypatch.setattr(routes, "at_point", lambda family, q, problem, device: routes.AtPoint(
        "ok", extras=dict(problem.extras)))
    out = routes.at_point_route(None, [{"d": 2}, {"d": 3}, {"d": 4}], {}, "cpu")
    assert [a.extras["d"] for a in out] == [2, 3, 4]


def test_a_rank_route_lambda_is_half_the_rank_not_half_the_parameters():
    """Reduced-rank regression at r = min(m, n, h) is regular but its parameters are not all
    identifiable (GL(h)): λ = rank/2 = r(m + n − r)/2 = 4, not d/2 = h(m + n)/2 = 6."""
    from slttheory.models import FAMILIES as REAL

    fam = REAL["reduced_rank_regression"]
    q = fam.validate({"m": 3, "n": 3, "h": 2, "r": 2})
    rk = routes.rank_route(fam, q, {})
    assert rk.status == "ok" and rk.determines_lambda and rk.n_params == 12
    assert rk.lam == "4" == str(fam.closed_form(q).value)


# --- records ----------------------------------------------------------------------------


def test_a_control_run_that_failed_its_diagnostics_is_not_usable():
    """A control run whose diagnostics failed measures nothing: it must not enter the band
    (its bias would widen or shift the band of every point under these rules)."""
    ok = ControlRun("regular", {"d": 2}, "regular", "1", 1, "rank", 101, mean=1.0,
                    std_error=0.1, passed=True)
    assert ok.usable
    assert not replace(ok, passed=False).usable
    assert not replace(ok, problems=("R-hat 1.2",)).usable
    assert not replace(ok, error="boom").usable


def test_only_a_strong_schwartz_zippel_bound_certifies_lambda_from_a_rank():
    """λ = rank/2 rests on the generic rank only when the chance that it is higher is at
    most RANK_CERTAINTY: a bound of 1e-3 leaves a λ one half too low 'certified'."""
    ev = RankEvidence("ok", rank=4, certified=True, bound=RANK_CERTAINTY)
    assert ev.equality_certified
    assert not replace(ev, bound=1e-3).equality_certified
    assert not replace(ev, bound=10 * RANK_CERTAINTY).equality_certified


# --- controls: never certified by the claim's own theorem; keys hold every rule ----------


@pytest.mark.parametrize("source", [
    "Aoyagi & Watanabe 2005, Neural Networks 18(7), main theorem",
    "Aoyagi 2024, Neural Networks 172:106132, Thm 2",
])
def test_a_rrr_control_is_not_certified_by_the_claims_theorem_under_another_name(source):
    """Reduced-rank regression's λ and the one-hidden-layer deep linear network's are one
    theorem (Aoyagi 2024's Thm 1 restates Aoyagi & Watanabe 2005): a claim citing either
    work gets no RRR control whose λ rests on that theorem, by either formula."""
    from slttheory.models import FAMILIES as REAL

    fam = REAL["reduced_rank_regression"]
    assert ctl.certify(fam, {"m": 3, "n": 3, "h": 2, "r": 1}, source) is None
    other = ctl.certify(fam, {"m": 3, "n": 3, "h": 2, "r": 1}, "Someone 2020")
    assert other is not None and other.lam == "7/2"


def bare_run(families, time_limit=None):
    """A verification run with only what choosing controls needs (no claims, no executor)."""
    from slttheory.verify.run import engine

    run = engine._Run.__new__(engine._Run)
    run.chosen, run.families, run.profile, run.device, run.families_code = \
        {}, families, "quick", "cpu", ""
    run.time_limit = time_limit
    return run


def test_controls_are_chosen_per_claim_source_within_one_run():
    """Two claims at the same point with different sources: the second must not reuse the
    controls chosen for the first, which may rest on the second's own theorem."""
    from slttheory.models import FAMILIES as REAL

    run = bare_run(REAL)

    def point(source):
        claim = SimpleNamespace(family="reduced_rank_regression", source=source,
                                llc_settings=lambda profile: {"n": 100})
        return SimpleNamespace(claim=claim, params={"m": 3, "n": 3, "h": 2, "r": 1})

    aw = "Aoyagi & Watanabe 2005, Neural Networks 18(7), main theorem"
    first, _ = run._controls(point("Someone 2020"))
    second, _ = run._controls(point(aw))
    own = ctl.choose_controls("reduced_rank_regression", {"m": 3, "n": 3, "h": 2, "r": 1},
                              REAL, aw)
    assert first != own  # the sources do choose differently here
    assert second == own


def test_controls_take_the_closest_certified_candidate_of_each_kind():
    """The first regular candidate is the nearest neighbour size; further ones fill up."""
    from slttheory.models import FAMILIES as REAL

    chosen = ctl.choose_controls("regular", {"d": 3}, REAL, "Someone 2020")
    assert [c.params["d"] for c in chosen] == [4, 2, 5]


def test_control_and_run_keys_hold_every_rule_that_changes_a_run():
    """Control sets are shared by key and control runs deduplicated by key: a key that
    leaves out the estimator rules, the device, the control's parameters or the data set
    hands a point controls measured under other rules (or one run counted three times,
    which shrinks the band's spread)."""
    c = ctl.Control("regular", {"d": 2}, "regular", "1", 1, "rank")
    c3 = replace(c, params={"d": 3})  # same λ text, another model
    base = ctl.control_key([c], {"n": 100}, "cpu")
    assert ctl.control_key([c], {"n": 200}, "cpu") != base
    assert ctl.control_key([c], {"n": 100}, "cuda") != base
    assert ctl.control_key([c3], {"n": 100}, "cpu") != base
    assert ctl.control_key([c], {"n": 100}, "cpu", "plugin code") != base
    run = ctl.run_key(c, 101, {"n": 100}, "cpu")
    assert ctl.run_key(c, 101, {"n": 200}, "cpu") != run
    assert ctl.run_key(c, 202, {"n": 100}, "cpu") != run
    assert ctl.run_key(c, 101, {"n": 100}, "cuda") != run
    assert ctl.run_key(c3, 101, {"n": 100}, "cpu") != run
    seeds = ctl.data_seeds({"seed": 0})
    assert len({ctl.run_key(c, s, {"n": 100}, "cpu") for s in seeds}) == len(seeds)


# --- the result store -------------------------------------------------------------------


def test_the_store_returns_only_the_row_of_that_claim_point_and_hash(tmp_path):
    """--resume reuses a stored row only for the same claim, point and settings hash, and a
    control set only under its own key."""
    with ResultStore(tmp_path / "r.sqlite") as s:
        s.put("c", '{"d": 1}', "h", {"elapsed_s": 1.0})
        assert s.get("c", '{"d": 2}', "h") is None
        assert s.get("c2", '{"d": 1}', "h") is None
        assert s.get("c", '{"d": 1}', "h2") is None
        s.put("c", '{"d": 2}', "h", {"elapsed_s": 2.0})
        assert s.get("c", '{"d": 1}', "h") == {"elapsed_s": 1.0}
        assert s.get("c", '{"d": 2}', "h") == {"elapsed_s": 2.0}
        s.put_controls("k1", {"key": "k1"})
        assert s.get_controls("k2") is None
        assert s.get_controls("k1") == {"key": "k1"}


def test_the_settings_hash_holds_the_profile_the_llc_settings_and_the_device():
    from slttheory.verify.claims import parse_claim
    from slttheory.verify.claims.point import settings_hash

    data = {"id": "c", "title": "t", "source": "s", "family": "fake_regular",
            "kind": "closed_form", "predicted": "d/2", "evidence": ["llc"],
            "grid": {"d": [2, 3]}}
    claim = parse_claim(data, "c.toml", FAMILIES)
    h = settings_hash(claim, {"d": 2}, "quick", "cpu")
    assert settings_hash(claim, {"d": 2}, "quick", "cpu") == h
    assert settings_hash(claim, {"d": 2}, "full", "cpu") != h
    assert settings_hash(claim, {"d": 2}, "quick", "cuda") != h
    assert settings_hash(claim, {"d": 3}, "quick", "cpu") != h
    assert settings_hash(claim, {"d": 2}, "quick", "cpu", "plugin code") != h
    other = parse_claim({**data, "llc": {"n": 500}}, "c.toml", FAMILIES)
    assert settings_hash(other, {"d": 2}, "quick", "cpu") != h


def test_resume_recomputes_an_llc_whose_controls_an_edited_source_changes(tmp_path,
                                                                         monkeypatch):
    """The settings hash leaves the claim's source out (it only judges), but the source
    decides which controls are independent of the claim: a stored LLC keyed to the controls
    chosen under the old source is stale, and --resume must not judge it with them."""
    from slttheory.verify.claims import parse_claim
    from slttheory.verify.evidence import AtPoint, LLCEvidence, Routes
    from slttheory.verify.evidence.records import RERUN_SETTINGS, Rerun
    from slttheory.verify.run import engine, run_claims

    def choose(family, params, families, source):
        # the edited source rules the first out
        return fake_regular_controls(2 if source == "Someone 2020" else 8)

    monkeypatch.setattr(engine, "choose_controls", choose)
    monkeypatch.setattr(engine, "_control_unit", exact_control_runs)
    asked = []

    def llc(family, points, settings, device, reruns=False, measure=True):
        asked.extend(q["d"] for q in points)
        return [(LLCEvidence("ok", mean=1.5, std_error=0.001, passed=True,
                             config={"localization": 1.0, "step_size": 0.01}),
                 AtPoint("ok", checks={"is_local_min": True})) for q in points]

    fake = Routes(llc=llc, at_point=lambda f, pts, s, d: [
        AtPoint("ok", checks={"is_local_min": True}) for _ in pts], reruns=lambda *a: [
        tuple(Rerun(s, b.mean, b.std_error, True) for s in RERUN_SETTINGS) for b in a[-1]])
    data = {"id": "c", "title": "t", "source": "Someone 2020", "family": "fake_regular",
            "kind": "closed_form", "predicted": "d/2", "evidence": ["llc"],
            "grid": {"d": [3]}}
    with ResultStore(tmp_path / "r.sqlite") as store:
        first = run_claims([parse_claim(data, "c.toml", FAMILIES)], profile="quick",
                           families=FAMILIES, routes=fake, store=store)
        old = first[0].points[0].evidence.llc.control_key
        edited = parse_claim({**data, "source": "Other 2021"}, "c.toml", FAMILIES)
        res = run_claims([edited], profile="quick", families=FAMILIES, routes=fake,
                         store=store, resume=True)
    new = res[0].points[0].evidence.llc.control_key
    assert old is not None and new is not None and new != old
    assert asked == [3, 3]
    assert [r.params["d"] for r in res[0].controls[new].runs][::3] == [8, 10, 12]


def test_a_rank_with_a_weak_schwartz_zippel_bound_certifies_no_control(monkeypatch):
    """A generic rank is only a lower bound: with a bound of 1/2 on the chance that it is
    higher, 'λ = rank/2' may be a half-integer too low, and a control of wrong λ shifts
    every band built from it. Such a rank certifies no control; the closed form may."""
    from slttheory.models import FAMILIES as REAL

    weak = RankEvidence("ok", rank=3, n_params=4, lam="3/2", certified=True,
                        determines_lambda=True, bound=0.5, reason="weak")
    monkeypatch.setattr(ctl, "rank_route", lambda family, q, settings: weak)
    c = ctl.certify(REAL["regular"], {"d": 4}, "Someone 2020")
    assert c is None or (c.lam == "2" and "Jacobian rank" not in c.certified_by), c
    strong = replace(weak, rank=4, lam="2", bound=0.0)
    monkeypatch.setattr(ctl, "rank_route", lambda family, q, settings: strong)
    c = ctl.certify(REAL["regular"], {"d": 4}, "Someone 2020")
    assert c is not None and c.lam == "2" and "Jacobian rank 4" in c.certified_by
