"""Places where the ``controlled`` grade could lie (an outside audit of the controls, the band
and the reruns): each test fails on the code before its fix."""

from __future__ import annotations

from fake_families import FAMILIES, exact_control_runs, fake_regular_controls

from slttheory.verify.claims import parse_claim
from slttheory.verify.evidence.records import (
    AtPoint,
    ControlRun,
    ControlSet,
    LLCEvidence,
    PointEvidence,
    Rerun,
)
from slttheory.verify.judge import scaling_verdict
from slttheory.verify.judge.facts import assess_llc
from slttheory.verify.judge.llc import llc_band

KEY = "k1"
MINIMUM = AtPoint("ok", checks={"is_local_min": True, "reason": "a local minimum"})
SETTINGS = ("γ × 3", "γ / 3", "ε / 2")


def _controls(std_error: float | None = 0.001) -> dict[str, ControlSet]:
    """Three unbiased controls of three data sets each (ratios 0.99, 1, 1.01)."""
    runs = []
    for lam in (2.0, 0.5, 0.25):
        for s, e in enumerate((-0.01, 0.0, 0.01)):
            runs.append(ControlRun("regular", {"d": int(4 * lam)}, "regular", str(lam), 1,
                                   "rank", s, mean=lam * (1 + e),
                                   std_error=None if std_error is None else std_error * lam,
                                   passed=True))
    return {KEY: ControlSet(KEY, {}, tuple(runs))}


def _reruns(mean: float, se: float, unresolved_at_3: float) -> tuple[Rerun, ...]:
    return tuple(Rerun(s, mean, se, True, unresolved=unresolved_at_3 if s == "γ × 3" else 0.0)
                 for s in SETTINGS)


def test_a_reruns_own_unseen_directions_raise_its_band():
    """``Diagnostics.unresolved`` grows with γ (more directions are held by the localisation
    at γ × 3). The reruns' bands were built with the *base* estimate's value, so a refutation
    that the γ × 3 rerun itself says it cannot make (λ may be up to 1 higher there) passed
    as robust; with the rerun's own value the verdict moves and the LLC is uncontrolled."""
    lc = LLCEvidence("ok", mean=1.0, std_error=0.02, passed=True, control_key=KEY,
                     diagnostics={"unresolved": 0.0}, reruns=_reruns(1.0, 0.02, 1.0))
    a = assess_llc(lc, _controls(), 1.5, "==", 0.15)
    assert a.grade == "uncontrolled" and "γ × 3" in a.why
    # without unseen directions at the rerun, the same refutation stands
    lc0 = LLCEvidence("ok", mean=1.0, std_error=0.02, passed=True, control_key=KEY,
                      diagnostics={"unresolved": 0.0}, reruns=_reruns(1.0, 0.02, 0.0))
    assert assess_llc(lc0, _controls(), 1.5, "==", 0.15).grade == "controlled"


def test_a_scaling_fit_at_a_rerun_uses_its_own_unseen_directions():
    """The same for a scaling claim, whose fit is judged again on each rerun's values (σ a
    quarter of each band): values that reject the linear shape at the estimator's own
    settings, and at γ × 3 too as the base band saw them, no longer reject it once the
    rerun's own unseen directions widen its bands — the verdict moves there."""
    data = {"id": "s", "title": "t", "source": "Someone 2020", "family": "fake_regular",
            "kind": "scaling", "evidence": ["llc"], "grid": {"d": [1, 2, 4, 8, 16]},
            "scaling": {"variable": "d", "shape": "linear"}}
    claim = parse_claim(data, "s.toml", FAMILIES)
    pts = [{"d": d} for d in (1, 2, 4, 8, 16)]

    def sweep(unseen: float) -> list[PointEvidence]:
        out = []
        for q in pts:
            m = 5.0 if q["d"] % 2 else 1.0
            out.append(PointEvidence(None, None, LLCEvidence(
                "ok", mean=m, std_error=1e-6, passed=True, control_key=KEY,
                reruns=_reruns(m, 1e-6, unseen)), 0.0, at_point=MINIMUM))
        return out

    assert scaling_verdict(claim, pts, sweep(0.0), _controls()).verdict == "refuted"
    v = scaling_verdict(claim, pts, sweep(50.0), _controls())
    assert v.verdict == "inconclusive" and "γ × 3" in v.reason, v.reason


def test_a_control_run_without_a_finite_error_is_not_used():
    """A control run whose standard error is not finite (stored as null) passed as usable and
    dropped out of the floor of its control's spread: controls whose errors were undefined
    gave a *narrower* band than the same controls with errors of 30 %, and refuted a value
    10 % off. The point itself gets no band without a finite error; nor may a control."""
    b = llc_band(1.0, 0.02, _controls(None)[KEY])
    assert not b.controlled and "0 of 3" in b.why
    wide = llc_band(1.0, 0.02, _controls(0.3)[KEY])
    assert wide.controlled and wide.low < 0.9 and wide.high > 1.1


def _llc_at_minima(family, points, settings, device, reruns=False, measure=True):
    """An LLC route stub: λ̂ = 1 ± 0.3, passed, at a checked local minimum."""
    return [(LLCEvidence("ok", mean=1.0, std_error=0.3, passed=True,
                         config={"localization": 1.0, "step_size": 0.01}),
             AtPoint("ok", checks={"is_local_min": True})) for _ in points]


def _minima(family, points, settings, device):
    """An at-point route stub: every point a checked local minimum."""
    return [AtPoint("ok", checks={"is_local_min": True, "reason": "checked"}) for _ in points]


def test_controls_run_at_the_points_sample_size(monkeypatch):
    """A claim that leaves ``n`` to the family: its point is built at the family's
    ``default_n``; its controls were built at each control family's own default (1000 for
    every package family), so a point of ``tanh_sine_toy`` (n = 100) was controlled at
    n = 1000 — and shared its control key with points at n = 1000."""
    from dataclasses import replace

    from slttheory.verify.evidence import Routes
    from slttheory.verify.run import engine, run_claims

    fams = {**FAMILIES, "fake_regular": replace(FAMILIES["fake_regular"], default_n=100)}
    seen = []

    def choose(family, params, families, source):
        return fake_regular_controls()

    def control_unit(jobs, families_ref, settings, *args, **kwargs):
        seen.append(dict(settings))
        return exact_control_runs(jobs, families_ref, settings, *args, **kwargs)

    monkeypatch.setattr(engine, "choose_controls", choose)
    monkeypatch.setattr(engine, "_control_unit", control_unit)
    c = parse_claim({"id": "c", "title": "t", "source": "s", "family": "fake_regular",
                     "kind": "closed_form", "predicted": "d/2", "evidence": ["llc"],
                     "grid": {"d": [2]}}, "c.toml", fams)
    (res,) = run_claims([c], profile="quick", families=fams,
                        routes=Routes(llc=_llc_at_minima, at_point=_minima))
    assert seen and all(s.get("n") == 100 for s in seen), seen
    (p,) = res.points
    assert p.evidence.llc.control_key is not None


def test_controls_share_the_points_data_law():
    """Noisy data are sampled at w0 with the symmetrised estimand, noise-free data at w* with
    the slowest law: another estimand, another bias. A noise-free point was controlled at
    noise 1 (the candidate rules drop ``noise``), sharing one control key with the noisy
    point; and ``linear_regression_toy``, noise-free by default, got regular controls at
    noise 1 though its rule keeps the point's noise (it read the claim's spelling)."""
    from slttheory.models import FAMILIES as PACKAGE
    from slttheory.verify.evidence.controls import choose_controls, control_key

    q = {"m": 3, "n": 3, "h": 2, "r": 1}
    free = choose_controls("reduced_rank_regression", {**q, "noise": 0.0}, PACKAGE, "S 2020")
    noisy = choose_controls("reduced_rank_regression", q, PACKAGE, "S 2020")
    assert free and all(c.params["noise"] == 0.0 for c in free)
    assert noisy and all(c.params["noise"] == 1.0 for c in noisy)
    assert control_key(free, {}, "cpu") != control_key(noisy, {}, "cpu")
    toy = choose_controls("linear_regression_toy", {}, PACKAGE, "S 2020")
    assert toy and all(c.params["noise"] == 0.0 for c in toy)


def test_each_control_set_names_its_own_claims_certificate(monkeypatch):
    """Two claims of different sources at one point: the same controls and λ, certified by
    different formulas (the family's own for one, the Newton polyhedron where the family's is
    the other claim's source). One key, and so one stored set, served both, and the runs of
    the set made first carried its certificate into the other: the Watanabe 2009 claim's
    controls read 'certified by Watanabe 2009', its own source."""
    from slttheory.verify.evidence import Routes
    from slttheory.verify.run import engine, run_claims

    def choose(family, params, families, source):
        return fake_regular_controls(certified_by="newton_polyhedron (Varchenko 1976)"
                                     if "Watanabe" in source else
                                     "normal_crossing (Watanabe 2009)")

    monkeypatch.setattr(engine, "choose_controls", choose)
    monkeypatch.setattr(engine, "_control_unit", exact_control_runs)
    claims = [parse_claim({"id": f"c{i}", "title": "t", "source": src, "family": "fake_regular",
                           "kind": "closed_form", "predicted": "d/2", "evidence": ["llc"],
                           "grid": {"d": [2]}}, f"c{i}.toml", FAMILIES)
              for i, src in enumerate(("Someone 2020", "Watanabe 2009, Ch. 2"))]
    res = run_claims(claims, profile="quick", families=FAMILIES,
                     routes=Routes(llc=_llc_at_minima, at_point=_minima))
    for r in res:
        own = "Varchenko" if "Watanabe" in r.claim.source else "Watanabe 2009"
        (cs,) = r.controls.values()
        assert cs.runs and all(own in run.certified_by for run in cs.runs), \
            (r.claim.source, {run.certified_by for run in cs.runs})


def test_a_point_at_its_familys_default_sizes_gets_controls():
    """A claim may leave a family parameter at its default (verification/README.md); the
    candidate rules read the claim's spelling, so a tanh_network point without ``h`` raised
    KeyError 'h' out of ``choose_controls`` and stopped the whole run. They read the
    validated point now, defaults filled in."""
    from slttheory.models import FAMILIES as PACKAGE
    from slttheory.verify.evidence.controls import choose_controls

    got = choose_controls("tanh_network", {}, PACKAGE, "S 2020")
    assert ("regular", 6) in {(c.family, c.params.get("d")) for c in got}
    assert choose_controls("quadratic_network", {"k": 2}, PACKAGE, "S 2020")


def test_a_point_without_target_noise_gets_noise_free_controls():
    """A trained network (no ``noise`` parameter) is sampled at its w* with the plain
    estimand, as a noise-free point is; its controls had run at noise 1, at w0 with the
    symmetrised estimand: the other estimand's bias corrected its estimate."""
    from slttheory.models import FAMILIES as PACKAGE
    from slttheory.verify.evidence.controls import choose_controls, control_key
    from slttheory.verify.evidence.routes import at_true_parameter

    for fam, q in (("tanh_sine_toy", {}),
                   ("modular_addition", {"p": 5, "k": 4, "train_frac": 0.4})):
        assert not at_true_parameter(PACKAGE[fam], q)
        got = choose_controls(fam, q, PACKAGE, "S 2020")
        assert len(got) == 3
        assert not any(at_true_parameter(PACKAGE[c.family], c.params) for c in got), got
    noisy = choose_controls("normal_crossing", {"powers": (1, 3)}, PACKAGE, "S 2020")
    free = choose_controls("tanh_sine_toy", {}, PACKAGE, "S 2020")
    assert control_key(noisy, {}, "cpu") != control_key(free, {}, "cpu")


def test_a_normal_crossing_is_never_controlled_by_itself_relabelled():
    """w₁²w₂ is w₁w₂² with its coordinates swapped (the same f, prior and data): the point
    (2, 1) had been controlled by (1, 2), itself under another name."""
    from slttheory.models import FAMILIES as PACKAGE
    from slttheory.verify.evidence.controls import choose_controls

    for powers in ((2, 1), (3, 1), (2, 2)):
        got = choose_controls("normal_crossing", {"powers": powers}, PACKAGE, "S 2020",
                              count=10)
        assert got
        same = sorted(powers)
        assert not any(c.family == "normal_crossing" and sorted(c.params["powers"]) == same
                       for c in got), (powers, got)
