"""An audit of the LLC reruns (γ × 3, γ / 3, ε / 2): what a rerun record must show before a
verdict counts as surviving it.

- A rerun whose record lists failed checks failed its diagnostics, whatever its ``passed``
  says: the point's own LLC is read that way (``LLCEvidence.clean``), and a rerun read as
  passing had let a verdict stand on a rerun with "R-hat 1.3 > 1.05" among its problems.
- A rerun keeps its estimator's whole config (``verification/README.md``: "its estimator
  settings, fields as llc.config"): only the changed setting had been kept, so nothing showed
  that a rerun ran with the estimate's n, nβ, chain seed, sampler and method.
- A rerun whose config differs from the estimate's in a setting it must share (n, nβ, the
  chain seed, the sampler, the method, …) is no rerun of that estimate: the verdict does not
  count as surviving it.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

from test_judge import MINIMUM, V, claim, controls, lc

from slttheory.verify.evidence.records import LLCEvidence, PointEvidence, Rerun
from slttheory.verify.judge.facts import rerun_unusable

S = ("γ × 3", "γ / 3", "ε / 2")
BASE = {"n": 100, "nbeta": 21.7, "seed": 11, "sampler": "mala", "method": "extrapolate",
        "dtype": "float64", "localization": 1.0, "step_size": 0.01, "chains": 4,
        "auto": ["step_size", "draws"]}


def _reruns(first: Rerun) -> tuple[Rerun, ...]:
    return (first, *(Rerun(s, 3.0, 0.02, True) for s in S[1:]))


def test_a_rerun_listing_failed_checks_is_a_failed_rerun():
    ctl = controls(spread=0.01)
    ok = V(claim(), PointEvidence(None, None, lc(3.0), 0.0), ctl=ctl)
    assert (ok.verdict, ok.grade) == ("refuted", "controlled"), ok.reason
    bad = _reruns(Rerun(S[0], 3.0, 0.02, True, ("R-hat 1.3 > 1.05",)))
    v = V(claim(), PointEvidence(None, None, lc(3.0, reruns=bad), 0.0), ctl=ctl)
    assert v.verdict == "inconclusive" and "failed its diagnostics" in v.reason, v.reason


def test_a_rerun_under_other_shared_settings_is_no_rerun_of_the_estimate():
    ctl = controls(spread=0.01)
    same = tuple(Rerun(s, 3.0, 0.02, True, config={**BASE, **change}) for s, change in zip(
        S, ({"localization": 3.0}, {"localization": 1 / 3}, {"step_size": 0.005}),
        strict=True))
    base = lc(3.0, reruns=same, config=BASE)
    v = V(claim(), PointEvidence(None, None, base, 0.0), ctl=ctl)
    assert (v.verdict, v.grade) == ("refuted", "controlled"), v.reason
    for field, other in (("seed", 12), ("n", 200), ("sampler", "sgld"), ("method", "single"),
                         ("nbeta", 30.0)):
        moved = (replace(same[0], config={**same[0].config, field: other}), *same[1:])
        v = V(claim(), PointEvidence(None, None, replace(base, reruns=moved), 0.0), ctl=ctl)
        assert v.verdict == "inconclusive" and field in v.reason, (field, v.reason)
    # the setting a rerun changes may differ, and so may a γ rerun's recalibrated ε; a given
    # ε may not, nor the γ of an ε rerun, nor the changed setting by another factor
    recal = replace(same[0], config={**same[0].config, "step_size": 0.004})
    assert rerun_unusable(base, recal) == ""
    given = replace(base, config={**BASE, "auto": ["draws"]})
    assert "step_size" in rerun_unusable(given, recal)
    assert "localization" in rerun_unusable(base, replace(same[2], config={
        **same[2].config, "localization": 3.0}))
    assert "localization" in rerun_unusable(base, replace(same[0], config={
        **same[0].config, "localization": 2.0}))
    # records without a config (stored before it was kept) are compared on nothing
    assert rerun_unusable(base, Rerun(S[0], 3.0, 0.02, True)) == ""


def test_scaling_fits_read_a_rerun_as_the_point_does():
    from slttheory.verify.judge.scaling import fit_llc

    ctl = controls(spread=0.01)
    c = claim()
    bad = _reruns(Rerun(S[0], 3.0, 0.02, True, ("R-hat 1.3 > 1.05",)))
    ev = PointEvidence(None, None, lc(3.0, reruns=bad), 0.0, at_point=MINIMUM)
    assert fit_llc(c, ev, ctl, S[0]) is None
    assert fit_llc(c, ev, ctl, S[1]) is not None


def test_a_rerun_records_its_estimators_whole_config(monkeypatch):
    from slttheory.verify.evidence import routes

    def fake_estimate_many(problems, settings, device, seed):
        return [SimpleNamespace(settings=dict(settings), seed=s) for s in seed]

    def fake_evidence(est, note=""):
        s = est.settings
        return LLCEvidence("ok", mean=1.0, std_error=0.1, passed=True, config={
            **BASE, "seed": est.seed, "localization": s.get("localization", 1.0),
            "step_size": s.get("step_size", 0.01)})

    monkeypatch.setattr(routes, "_build", lambda fam, q, settings, device: q)
    monkeypatch.setattr(routes, "_estimate_many", fake_estimate_many)
    monkeypatch.setattr(routes, "llc_evidence", fake_evidence)
    (ev, _), = routes.llc_routes(None, [{"r": 0}], {"seed": 5}, "cpu", reruns=True,
                                 measure=False)
    assert [r.setting for r in ev.reruns] == list(S)
    for rr in ev.reruns:
        assert rr.config["seed"] == ev.config["seed"] and rr.config["n"] == BASE["n"]
        assert rerun_unusable(ev, rr) == ""
    assert [rr.config["localization"] for rr in ev.reruns[:2]] == [3.0, 1 / 3]
    assert ev.reruns[2].config["step_size"] == 0.005
