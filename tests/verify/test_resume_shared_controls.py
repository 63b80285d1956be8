"""``--resume`` where points of several claims share their LLC controls (one control set per
key of the estimator's rules) and their LLCs: a resumed run computes what is missing, once,
reuses what still fits the claims as they stand, and writes the report a fresh run writes."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from fake_families import FAMILIES, exact_control_runs, fake_regular_controls

from slttheory.verify.claims import parse_claim
from slttheory.verify.evidence import AtPoint, LLCEvidence, RankEvidence, Routes
from slttheory.verify.evidence.records import RERUN_SETTINGS, Rerun
from slttheory.verify.report import write_report
from slttheory.verify.run import ResultStore, engine, run_claims


class Log:
    """What the engine computed: w* measurements, LLCs, reruns, control runs (by point)."""

    def __init__(self):
        self.at, self.llc, self.reruns, self.runs = [], [], [], []

    def counts(self):
        return sorted(self.at), sorted(self.llc), sorted(self.reruns), len(self.runs)


@pytest.fixture
def log(monkeypatch):
    """Every point's controls are the same three fake_regular controls, certified by the
    claim's source (one key per source and rules); their runs read λ exactly."""
    lg = Log()

    def choose(family, params, families, source):
        return fake_regular_controls(certified_by=f"rank ({source})")

    def control_unit(jobs, *a, **k):
        lg.runs.extend((c.params["d"], ds) for c, ds in jobs)
        return exact_control_runs(jobs, *a, **k)

    monkeypatch.setattr(engine, "choose_controls", choose)
    monkeypatch.setattr(engine, "_control_unit", control_unit)
    return lg


def _routes(lg, rank=None):
    """An LLC reading d/2 (its reruns with it where asked), w* a minimum everywhere."""
    def llc(family, points, settings, device, reruns=False, measure=True):
        want = [reruns] * len(points) if isinstance(reruns, bool) else list(reruns)
        lg.llc.extend(q["d"] for q in points)
        lg.reruns.extend(q["d"] for q, w in zip(points, want, strict=True) if w)
        return [(LLCEvidence("ok", mean=q["d"] / 2, std_error=0.001, passed=True,
                             reruns=tuple(Rerun(s, q["d"] / 2, 0.001, True)
                                          for s in RERUN_SETTINGS) if w else (),
                             config={"localization": 1.0, "step_size": 0.01}),
                 AtPoint("ok", checks={"is_local_min": True}) if measure else None)
                for q, w in zip(points, want, strict=True)]

    def at_point(family, points, settings, device):
        lg.at.extend(q["d"] for q in points)
        return [AtPoint("ok", checks={"is_local_min": True}) for _ in points]

    def reruns(family, points, settings, device, bases):
        lg.reruns.extend(q["d"] for q in points)
        return [tuple(Rerun(s, b.mean, b.std_error, True) for s in RERUN_SETTINGS)
                for b in bases]

    return Routes(llc=llc, at_point=at_point, reruns=reruns,
                  **({"rank": rank} if rank else {}))


def _claim(cid, d, **more):
    data = {"id": cid, "title": "t", "source": "s", "family": "fake_regular",
            "kind": "closed_form", "predicted": "d/2", "evidence": ["llc"],
            "tolerance": {"llc_rel": 0.1}, "grid": {"d": d}, **more}
    return parse_claim(data, f"{cid}.toml", FAMILIES)


def _scaling(cid, grid):
    return parse_claim({"id": cid, "title": "t", "source": "s", "family": "fake_regular",
                        "kind": "scaling", "evidence": ["llc"], "grid": {"d": grid},
                        "scaling": {"variable": "d", "shape": "linear"}}, f"{cid}.toml",
                       FAMILIES)


def _run(claims, store, lg, resume=False, profile="quick", rank=None):
    lg.__init__()
    return run_claims(claims, profile=profile, families=FAMILIES, routes=_routes(lg, rank),
                      store=store, resume=resume)


def _report(results, out):
    """report.json's claims, less what tells how this run got the evidence."""
    rep = write_report(results, out, profile="quick", device="cpu", figures=False)
    claims = json.loads(json.dumps(rep["claims"]))
    for c in claims:
        for p in c["points"]:
            p.pop("elapsed_s")
            p.pop("stored")
    return claims


def _sql(store, query, *args):
    store._con.execute(query, args)
    store._con.commit()


def _fresh(claims, tmp_path, lg, **kw):
    with ResultStore(tmp_path / "fresh.sqlite") as st:
        return _report(_run(claims, st, lg, **kw), tmp_path / "fresh")


def test_shared_controls_run_once_and_a_complete_resume_reuses_everything(tmp_path, log):
    """Two claims whose points share one control set (and, at d = 2, one LLC): a fresh run
    computes the set once (3 controls × 3 data sets) and each LLC once; a resume after it
    computes nothing and writes the same report."""
    claims = [_claim("a", [1, 2]), _claim("b", [2, 3])]
    with ResultStore(tmp_path / "r.sqlite") as st:
        first = _run(claims, st, log)
        assert log.counts() == ([1, 2, 2, 3], [1, 2, 3], [1, 2, 3], 9)  # w* per claim
        keys = {p.evidence.llc.control_key for r in first for p in r.points}
        assert len(keys) == 1 and all(set(r.controls) == keys for r in first)
        again = _run(claims, st, log, resume=True)
        assert log.counts() == ([], [], [], 0)
        assert st._con.execute("SELECT COUNT(*) FROM controls").fetchone()[0] == 1
    assert [r.verdict.verdict for r in first] == ["confirmed", "confirmed"]
    assert _report(again, tmp_path / "o2") == _report(first, tmp_path / "o1")


@pytest.mark.parametrize("lost, computed", [
    # the shared control set lost (killed while its runs ran): its runs, nothing else
    (["DELETE FROM controls"], ([], [], [], 9)),
    # claim b's points lost: their LLCs and reruns, the stored control set reused
    (["DELETE FROM results WHERE claim_id='b'"], ([], [2, 3], [2, 3], 0)),
    # claim a's points and the control set lost: a's LLCs, the set once for both claims
    (["DELETE FROM results WHERE claim_id='a'", "DELETE FROM controls"],
     ([], [1, 2], [1, 2], 9)),
    # killed after the exact routes (kept for the LLCs to come): LLCs and controls only
    (["DELETE FROM results", "DELETE FROM controls"], ([], [1, 2, 3], [1, 2, 3], 9)),
])
def test_resume_after_a_kill_computes_only_what_is_missing(tmp_path, log, lost, computed):
    claims = [_claim("a", [1, 2]), _claim("b", [2, 3])]
    with ResultStore(tmp_path / "r.sqlite") as st:
        first = _run(claims, st, log)
        for q in lost:
            _sql(st, q)
        again = _run(claims, st, log, resume=True)
        assert log.counts() == computed
        assert st._con.execute("SELECT COUNT(*) FROM controls").fetchone()[0] == 1
        assert st.count() == 4
    assert _report(again, tmp_path / "o2") == _report(first, tmp_path / "o1")


@pytest.mark.parametrize("edit, computed, sets", [
    # a new prediction only re-judges: nothing computed, the shared set reused
    ({"predicted": "d"}, ([], [], [], 0), 1),
    # new estimator settings: a's points again, with a new control set of their own; b
    # keeps its points and the set it had shared
    ({"llc": {"draws": 123}}, ([1, 2], [1, 2], [1, 2], 9), 2),
    # a grid grown by d = 4: that point alone, under the shared set
    ({"grid": {"d": [1, 2, 4]}}, ([4], [4], [4], 0), 1),
])
def test_an_edited_claim_reuses_the_shared_controls_that_still_fit(tmp_path, log, edit,
                                                                   computed, sets):
    a, b = _claim("a", [1, 2]), _claim("b", [2, 3])
    edited = [_claim("a", [1, 2], **edit), b]
    with ResultStore(tmp_path / "r.sqlite") as st:
        _run([a, b], st, log)
        again = _run(edited, st, log, resume=True)
        assert log.counts() == computed
        assert st._con.execute("SELECT COUNT(*) FROM controls").fetchone()[0] == sets
    keys = [{p.evidence.llc.control_key for p in r.points} for r in again]
    assert (keys[0] == keys[1]) == (sets == 1)
    assert _report(again, tmp_path / "o2") == _fresh(edited, tmp_path, log)


def test_sets_of_two_sources_share_their_runs_and_resume_runs_only_the_lost_one(tmp_path,
                                                                                 log):
    """Claims of two sources certify the same controls by different formulas: two control
    sets (two keys) from one set of runs; one set lost, resume runs its runs alone and each
    set keeps its own certificates."""
    claims = [_claim("a", [1, 2]), _claim("b", [2, 3], source="t")]
    with ResultStore(tmp_path / "r.sqlite") as st:
        first = _run(claims, st, log)
        assert len(log.runs) == 9
        ka, kb = (r.points[0].evidence.llc.control_key for r in first)
        assert ka != kb
        _sql(st, "DELETE FROM controls WHERE control_key=?", ka)
        again = _run(claims, st, log, resume=True)
        assert log.counts() == ([], [], [], 9)
    for r, source in zip(again, ("s", "t"), strict=True):
        (cs,) = r.controls.values()
        assert {x.certified_by for x in cs.runs} == {f"rank ({source})"}
    assert _report(again, tmp_path / "o2") == _report(first, tmp_path / "o1")


@pytest.mark.parametrize("lost", [["DELETE FROM controls"],
                                  ["DELETE FROM controls",
                                   "DELETE FROM results WHERE claim_id='b'"]])
def test_a_scaling_claim_and_a_point_claim_sharing_controls_resume_as_fresh(tmp_path, log,
                                                                           lost):
    """A scaling claim's points are stored before their controls, a point claim's after
    its reruns: killed in between, resume plans the shared set once for both."""
    claims = [_scaling("sc", [1, 2, 3]), _claim("b", [2, 3])]
    with ResultStore(tmp_path / "r.sqlite") as st:
        first = _run(claims, st, log)
        assert len(log.runs) == 9 and sorted(log.llc) == [1, 2, 3]
        for q in lost:
            _sql(st, q)
        again = _run(claims, st, log, resume=True)
        assert len(log.runs) == 9
        assert sorted(log.llc) == ([2, 3] if len(lost) == 2 else [])
    assert _report(again, tmp_path / "o2") == _report(first, tmp_path / "o1")


def _lower_bound_rank(family, q, settings):
    """Only a lower bound: λ ≥ rank at w* / 2 = (d − 1)/2."""
    return RankEvidence("ok", rank=q["d"], n_params=q["d"], lam=str(q["d"] / 2),
                        certified=True, determines_lambda=False, inputs_determine=True,
                        point_rank=q["d"] - 1, point_rank_certified=True,
                        point_rank_how="exact", reason="linear", bound=1e-9)


@pytest.mark.parametrize("profile", ["quick", "full"])
def test_resume_drops_the_controlled_llc_of_a_point_the_edit_settles(tmp_path, log, profile):
    """λ = 3d/8 needs an LLC (λ ≥ 1/2 decides nothing at d = 2); edited to λ ≥ d/8 the
    rank's bound settles the point. A fresh run then runs no LLC (quick) or one for context
    without controls or reruns (full); --resume had kept the stored LLC with its control
    set, band and reruns in the report (the settings hash leaves the prediction out)."""
    data = {"evidence": ["rank", "llc"], "predicted": "3*d/8"}
    old = _claim("a", [2], **data)
    new = _claim("a", [2], **{**data, "predicted": "d/8", "relation": ">="})
    with ResultStore(tmp_path / "r.sqlite") as st:
        first = _run([old], st, log, profile=profile, rank=_lower_bound_rank)
        assert first[0].points[0].evidence.llc.control_key is not None
        again = _run([new], st, log, profile=profile, rank=_lower_bound_rank, resume=True)
        assert sorted(log.llc) == ([2] if profile == "full" else [])
        assert not log.runs
        twice = _run([new], st, log, profile=profile, rank=_lower_bound_rank, resume=True)
        assert log.counts() == ([], [], [], 0)  # stored as a fresh run stores it
    (r,) = again
    assert (r.verdict.verdict, r.verdict.grade) == ("confirmed", "certified")
    assert not r.controls
    llc = r.points[0].evidence.llc
    assert (llc is None) if profile == "quick" else (llc.control_key is None
                                                     and not llc.reruns)
    fresh = _fresh([new], tmp_path, log, profile=profile, rank=_lower_bound_rank)
    assert _report(again, tmp_path / "o2") == fresh
    assert _report(twice, tmp_path / "o3") == fresh


def test_resume_plans_from_the_kept_exact_evidence_not_the_llcs_measurement(tmp_path, log):
    """Where w* failed to build with the exact routes, the LLC measured it (here: not a
    minimum). A fresh run planned the LLC, with its controls, before that measurement; the
    staleness check plans from the same exact evidence, so that --resume keeps the point
    instead of computing it again at every resume."""
    c = _claim("a", [2])
    routes = _routes(log)

    def at_point(family, points, settings, device):
        return [AtPoint("error", error="build failed") for _ in points]

    def llc(family, points, settings, device, reruns=False, measure=True):
        return [(e, AtPoint("ok", checks={"is_local_min": False}) if measure else None)
                for e, _ in routes.llc(family, points, settings, device, reruns, measure)]

    fake = replace(routes, at_point=at_point, llc=llc)
    with ResultStore(tmp_path / "r.sqlite") as st:
        log.__init__()
        run_claims([c], profile="quick", families=FAMILIES, routes=fake, store=st)
        assert log.llc == [2] and len(log.runs) == 9
        log.__init__()
        run_claims([c], profile="quick", families=FAMILIES, routes=fake, store=st,
                   resume=True)
        assert log.counts() == ([], [], [], 0)


@pytest.mark.parametrize("exc, again", [(ConnectionError("killed"), True),
                                        (RuntimeError("a bug in the route"), False)])
def test_resume_runs_again_a_task_whose_worker_died_not_one_that_failed(tmp_path, log, exc,
                                                                        again):
    """An LLC task whose worker died in each of its three runs (memory, a crash, a kill) is
    stored as "worker failed: its worker died …" and says nothing of the claim: ``--resume``
    runs it again, as it does a route out of memory. A task that raised is the task's own
    error, kept (it would raise again). Before, both were kept for good (an audit)."""
    from slttheory.verify.run.executors import WORKER_LOST, LocalExecutor

    class Dying(LocalExecutor):
        def lost(self, e):
            return isinstance(e, ConnectionError)

    def broken(*a, **k):
        log.llc.append("broken")
        raise exc

    claims = [_claim("a", [1])]
    with ResultStore(tmp_path / "r.sqlite") as st:
        log.__init__()
        first = run_claims(claims, profile="quick", families=FAMILIES, store=st,
                           routes=replace(_routes(log), llc=broken), executor=Dying())
        err = first[0].points[0].evidence.llc.error
        assert err.startswith("worker failed: ") and (WORKER_LOST in err) == again
        # run beside the control set first (a death then is not counted), then alone 3 times
        assert log.llc == ["broken"] * (4 if again else 1)
        second = _run(claims, st, log, resume=True)
    assert log.llc == ([1] if again else [])
    assert second[0].verdict.verdict == ("confirmed" if again else first[0].verdict.verdict)
