"""The verifier's engine, executors and time limits, edge by edge: a lost task retried exactly
max_attempts times and keeping its index, a failing task not retried, one pool of N workers,
the executor asked for, each point's evidence its own whatever the order of completion, the
evidence threads in workers, --time-limit reaching the controls, --resume recomputing what ran
out of time or memory, failures reported as errors. A mutation audit of run/ found 9 one-line
changes that no test caught (and 2 caught only by timing); each fails one of these."""

from __future__ import annotations

import signal
import threading

import pytest
from fake_families import FAMILIES
from test_run import _fake_routes as _routes  # rank, LLC and w* routes that read λ = d/2

from slttheory.verify.claims import BadClaim, parse_claim
from slttheory.verify.evidence import RankEvidence, Routes
from slttheory.verify.run import ResultStore, run_claims
from slttheory.verify.run.executors import (
    LocalExecutor,
    ProcessExecutor,
    _InOrder,
    make_executor,
    run_tasks,
)


class _LastFirst(LocalExecutor):
    """This process's executor, finishing the submitted tasks in reverse order."""

    def as_completed(self, futures):
        return _InOrder(reversed(list(futures)))


def _claim(evidence: list[str], ds: list[int]):
    """A claim λ = d/2 of the fake regular family on the grid ``ds``."""
    return parse_claim({"id": "c", "title": "t", "source": "s", "family": "fake_regular",
                        "kind": "closed_form", "predicted": "d/2", "evidence": evidence,
                        "grid": {"d": ds}}, "c.toml", FAMILIES)


# --- executors.run_tasks -------------------------------------------------------------------


def test_run_tasks_runs_a_lost_task_exactly_max_attempts_times():
    """A task whose worker keeps dying is run max_attempts times in all, then its error is
    yielded (one run more re-ran a task that kills its worker, e.g. by memory, once too often)."""
    calls = []

    class AlwaysLost(LocalExecutor):
        def lost(self, exc):
            return True

    def boom(k):
        calls.append(k)
        raise RuntimeError("worker gone")

    out = list(run_tasks(AlwaysLost(), boom, [(7,)], max_attempts=3))
    assert calls == [7, 7, 7]
    assert len(out) == 1 and out[0][:2] == (0, None) and isinstance(out[0][2], RuntimeError)
    calls.clear()
    list(run_tasks(AlwaysLost(), boom, [(1,)], max_attempts=1))
    assert calls == [1]


def test_a_resubmitted_task_keeps_its_own_index():
    """The result of a task rerun after its worker died belongs to that task, not another."""
    died = set()

    class Flaky(LocalExecutor):
        def lost(self, exc):
            return isinstance(exc, ConnectionError)

    def f(x):
        if x == 3 and x not in died:
            died.add(x)
            raise ConnectionError("worker died")
        return 10 * x

    out = sorted((i, r, e) for i, r, e in run_tasks(Flaky(), f, [(1,), (2,), (3,), (4,)]))
    assert out == [(0, 10, None), (1, 20, None), (2, 30, None), (3, 40, None)]


def test_only_a_dead_worker_counts_as_lost_and_a_failing_task_runs_once():
    """A task that raised is an error of the task (yielded at once), not a lost worker: it
    is not rerun (a flaky route retried until it passes would hide its failure)."""
    from concurrent.futures.process import BrokenProcessPool

    ex = ProcessExecutor(1)
    assert ex.lost(BrokenProcessPool("gone"))
    assert not ex.lost(RuntimeError("the task failed"))
    assert not ex.lost(MemoryError())


def test_process_executor_keeps_one_pool_of_n_workers():
    """--jobs N means N worker processes: every task runs in the same pool (a pool started
    per task ran all tasks at once, whatever N)."""
    import os

    with ProcessExecutor(1) as ex:
        futs = [ex.submit(os.getpid) for _ in range(3)]
        pids = {f.result() for f in ex.as_completed(futs)}
    assert len(pids) == 1, pids


def test_make_executor_gives_the_kind_asked_for():
    assert make_executor("process", jobs=1).name == "process"
    assert make_executor("local", jobs=2).name == "process"
    assert make_executor("local", jobs=2).workers == 2
    assert make_executor("local", jobs=1).name == "local"


# --- engine: results follow their point whatever the order of completion --------------------


def test_each_points_evidence_stays_with_its_point_when_tasks_finish_out_of_order():
    """Tasks finish in any order under --jobs N (here: last first, in this process): each
    point's exact evidence and LLC must be its own (an index taken from the order of
    completion gave d = 1 the evidence of d = 3)."""
    c = _claim(["rank", "llc"], [1, 2, 3])
    (res,) = run_claims([c], profile="full", families=FAMILIES, routes=_routes(),
                        executor=_LastFirst(), batch=False)
    for p in res.points:
        d = p.params["d"]
        assert p.evidence.rank.rank == d, p
        assert p.evidence.llc.mean == pytest.approx(d / 2 + 0.01), p
        assert p.verdict.verdict == "confirmed", p.verdict


def test_a_worker_process_computes_on_the_evidence_threads():
    """In a worker (isolated) torch runs on EVIDENCE_THREADS threads, as in this process, so
    --jobs does not change the numbers; in this process it leaves them alone."""
    import torch

    from slttheory.verify.evidence.records import EVIDENCE_THREADS
    from slttheory.verify.run.engine import _in_worker

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(EVIDENCE_THREADS + 1)
        _in_worker(None, False)
        assert torch.get_num_threads() == EVIDENCE_THREADS + 1
        _in_worker(None, True)
        assert torch.get_num_threads() == EVIDENCE_THREADS
    finally:
        torch.set_num_threads(before)


def test_control_units_run_under_the_time_limit(monkeypatch):
    """--time-limit reaches the control runs' units (they ran without any limit)."""
    from slttheory.verify.evidence.controls import Control
    from slttheory.verify.run import engine

    limits = []

    def choose(family, params, families, source, deadline=None):
        return [Control("fake_regular", {"d": 2}, "regular", "1", 1, "rank")]

    def control_unit(jobs, families_ref, settings, device, isolated, time_limit=None):
        limits.append(time_limit)
        return [dict(c.run(ds, mean=1.0, std_error=0.001, passed=True, problems=(),
                           elapsed_s=0.0).__dict__) for c, ds in jobs]

    monkeypatch.setattr(engine, "choose_controls", choose)
    monkeypatch.setattr(engine, "_control_unit", control_unit)
    c = _claim(["llc"], [1])
    r = _routes()
    run_claims([c], profile="quick", families=FAMILIES, time_limit=30,
               routes=Routes(llc=r.llc, at_point=r.at_point))
    assert limits and set(limits) == {30.0}


def test_resume_recomputes_stored_controls_that_ran_out_of_time(tmp_path, monkeypatch):
    """Controls stored with out-of-time runs are run again by --resume without a limit (they
    were taken as they were, so the point stayed judged by controls that said nothing)."""
    from slttheory.verify.evidence.controls import Control
    from slttheory.verify.run import engine

    calls = []
    out_of_time = {"on": True}

    def choose(family, params, families, source, deadline=None):
        return [Control("fake_regular", {"d": k}, kind, str(k / 2), 1, "rank")
                for k, kind in ((2, "regular"), (4, "singular, m = 1"))]

    def control_unit(jobs, families_ref, settings, device, isolated, time_limit=None):
        calls.append(len(jobs))
        if out_of_time["on"]:
            text = "out of time: the LLC controls ran past its limit of 1 s (--time-limit 1)"
            return [dict(c.run(ds, error=text, elapsed_s=1.0).__dict__) for c, ds in jobs]
        return [dict(c.run(ds, mean=float(c.params["d"]) / 2, std_error=0.001, passed=True,
                           problems=(), elapsed_s=0.0).__dict__) for c, ds in jobs]

    monkeypatch.setattr(engine, "choose_controls", choose)
    monkeypatch.setattr(engine, "_control_unit", control_unit)
    c = _claim(["llc"], [1])
    r = _routes()
    routes = Routes(llc=r.llc, at_point=r.at_point)
    with ResultStore(tmp_path / "s.sqlite") as store:
        run_claims([c], profile="quick", families=FAMILIES, routes=routes, store=store,
                   time_limit=1)
    assert calls
    calls.clear()
    out_of_time["on"] = False
    with ResultStore(tmp_path / "s.sqlite") as store:
        (res,) = run_claims([c], profile="quick", families=FAMILIES, routes=routes,
                            store=store, resume=True)
        key = res.points[0].evidence.llc.control_key
        stored = store.get_controls(key)
    assert calls, "the out-of-time controls were reused"
    assert all(not r.get("error") for r in stored["runs"])


# --- engine: errors are reported as errors ---------------------------------------------------


def test_a_claim_file_that_failed_to_load_is_an_error_not_inconclusive():
    good = _claim(["rank"], [1])
    bad, res = run_claims([BadClaim("x.toml", "x.toml: bad value"), good], profile="quick",
                          families=FAMILIES, routes=_routes())
    assert bad.verdict.verdict == "error" and "bad value" in bad.verdict.reason
    assert res.verdict.verdict == "confirmed"


def test_an_experiment_whose_worker_failed_is_an_error_not_inconclusive():
    from types import SimpleNamespace

    from slttheory.verify.run.engine import _experiment_failed

    r = _experiment_failed(SimpleNamespace(id="e", title="t"), RuntimeError("boom"))
    assert r.verdict.verdict == "error" and "boom" in r.verdict.reason


# --- limits ----------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="the limit is a SIGALRM timer")
def test_a_route_in_another_thread_runs_unlimited_instead_of_failing():
    """Only the main thread takes signals: in a worker thread (dask) a limited route runs
    without its limit rather than raising (signal.signal fails outside the main thread)."""
    from slttheory.verify.run.limits import time_limited

    routes = time_limited(Routes(rank=lambda f, q, s: RankEvidence("ok", rank=2)), 5)
    got = []

    def call():
        try:
            got.append(routes.rank(None, {}, {}))
        except BaseException as e:  # noqa: BLE001 - recorded for the assertion
            got.append(e)

    t = threading.Thread(target=call)
    t.start()
    t.join()
    assert isinstance(got[0], RankEvidence) and got[0].status == "ok", got


def test_zero_or_no_time_limit_is_no_limit():
    from slttheory.verify.run.limits import effective_limit, limited

    assert effective_limit(0) is None and effective_limit(-1) is None
    fn = lambda *a: 1  # noqa: E731
    assert limited(fn, "rank", 0) is fn


def test_resume_recomputes_evidence_that_ran_out_of_memory(tmp_path):
    """A route that failed for want of memory says nothing of the claim: --resume computes
    it again (it was reused, and the point stayed undecided for good)."""
    from slttheory.verify.evidence.records import ClosedFormEvidence, PointEvidence
    from slttheory.verify.run.engine import _for_want_of_resources

    oom = "out of memory (the process's address space is capped at 3.0 GB): cannot allocate"
    assert _for_want_of_resources(PointEvidence(ClosedFormEvidence("error", error=oom), None,
                                                None, 0.0), None)
    assert _for_want_of_resources(PointEvidence(ClosedFormEvidence("error", error=oom), None,
                                                None, 0.0), 5.0)
    c = _claim(["rank"], [2])
    good = _routes()
    short = Routes(rank=lambda f, q, s: RankEvidence("error", error=oom),
                   at_point=good.at_point)
    with ResultStore(tmp_path / "s.sqlite") as store:
        (first,) = run_claims([c], profile="quick", families=FAMILIES, routes=short,
                              store=store)
    assert first.points[0].verdict.verdict != "confirmed"
    with ResultStore(tmp_path / "s.sqlite") as store:
        (again,) = run_claims([c], profile="quick", families=FAMILIES, store=store,
                              resume=True, routes=Routes(rank=good.rank, at_point=good.at_point))
    assert again.points[0].evidence.rank.status == "ok"
    assert again.points[0].verdict.verdict == "confirmed"
