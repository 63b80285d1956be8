"""Executors (local, process, dask), batched grouping, worker deaths, and the CLI flags."""

from __future__ import annotations

import json
import os
import sys

import pytest
from executor_tasks import FAMILIES as MORTAL
from executor_tasks import die_once, double

from slttheory.verify.claims import load_claims
from slttheory.verify.cli import main
from slttheory.verify.run import ResultStore, run_claims
from slttheory.verify.run.executors import (
    LocalExecutor,
    ProcessExecutor,
    make_executor,
    run_tasks,
)

LLC = """
[llc]
n = 200
chains = 2
draws = 200
burn_in = 50
step_size = 0.001
"""

CLAIMS = {
    "regular.toml": """
id = "regular"
title = "regular"
source = "Watanabe 2009"
family = "regular"
kind = "closed_form"
predicted = "d/2"
evidence = ["closed_form", "rank", "llc"]
[grid]
d = [2, 3]
""" + LLC,
    "noise.toml": """
id = "regular-noise"
title = "regular, three noise levels (one architecture: a batch of three)"
source = "Watanabe 2009"
family = "regular"
kind = "closed_form"
predicted = "d/2"
evidence = ["rank", "llc"]
[grid]
noise = [0.5, 1.0, 2.0]
[fixed]
d = 3
""" + LLC,
}

MORTAL_CLAIM = """
id = "mortal"
title = "a closed form whose worker dies once"
source = "test"
family = "mortal_regular"
kind = "closed_form"
predicted = "d/2"
evidence = ["closed_form"]
[grid]
d = [1, 2, 3, 4]
"""


def _real():
    import slttheory.models  # noqa: F401
    from slttheory.models.registry import FAMILIES

    return FAMILIES


def _write(tmp_path, files):
    d = tmp_path / "claims"
    d.mkdir(exist_ok=True)
    for name, text in files.items():
        (d / name).write_text(text)
    return d


def _rows(db):
    """Stored evidence without timings: {(claim, point): evidence}."""
    import sqlite3

    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k != "elapsed_s"}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT claim_id, point_key, settings_hash, evidence FROM results")
        return {(c, p, h): strip(json.loads(e)) for c, p, h, e in rows}


def _run(claims, families, db, profile="full", **kw):
    """The ``full`` profile runs the LLC at every point (here for context: the exact rank
    decides, so no controls), which is what these tests compare across executors."""
    with ResultStore(db) as store:
        res = run_claims(claims, profile=profile, families=families, store=store, device="cpu",
                         **kw)
    return [(r.claim.id, r.verdict.verdict, tuple(p.verdict.verdict for p in r.points))
            for r in res]


@pytest.fixture(scope="module")
def local_reference(tmp_path_factory):
    """The small real claim set, run point by point in this process (the reference)."""
    tmp = tmp_path_factory.mktemp("ref")
    claims = load_claims([_write(tmp, CLAIMS)], _real())
    verdicts = _run(claims, _real(), tmp / "ref.sqlite", batch=False)
    return claims, verdicts, _rows(tmp / "ref.sqlite")


def test_batched_grouping_gives_the_same_evidence(local_reference, tmp_path, monkeypatch):
    import slttheory.sampling.batched as b

    sizes = []
    real = b.estimate_llc_batched

    def spy(problems, **kw):
        sizes.append(len(problems))
        return real(problems, **kw)

    monkeypatch.setattr(b, "estimate_llc_batched", spy)
    claims, verdicts, rows = local_reference
    got = _run(claims, _real(), tmp_path / "b.sqlite", batch=True)
    assert got == verdicts
    assert _rows(tmp_path / "b.sqlite") == rows
    # one batched call per claim and signature: regular d = 2 and d = 3 differ in shape (two
    # calls of one point), the 3 noise levels share the architecture and run as one batch
    assert sorted(sizes) == [1, 1, 3]
    assert {v for _, v, _ in got} == {"confirmed"}


def test_grouping_splits_a_claim_across_workers(local_reference, tmp_path, monkeypatch):
    import slttheory.sampling.batched as b

    sizes = []
    real = b.estimate_llc_batched
    monkeypatch.setattr(b, "estimate_llc_batched",
                        lambda problems, **kw: sizes.append(len(problems)) or real(problems, **kw))

    class TwoWorkers(LocalExecutor):
        workers = 2

    claims, verdicts, rows = local_reference
    noise = [c for c in claims if c.id == "regular-noise"]
    _run(noise, _real(), tmp_path / "s.sqlite", executor=TwoWorkers())
    assert sorted(sizes) == [1, 2]  # 3 points over 2 workers: a batch of 2 and a single point
    got = _rows(tmp_path / "s.sqlite")
    assert got == {k: v for k, v in rows.items() if k[0] == "regular-noise"}


def test_process_executor_same_evidence(local_reference, tmp_path):
    claims, verdicts, rows = local_reference
    with ProcessExecutor(2) as ex:
        assert _run(claims, _real(), tmp_path / "p.sqlite", executor=ex) == verdicts
    assert _rows(tmp_path / "p.sqlite") == rows


def test_process_pool_worker_killed_task_is_resubmitted(tmp_path):
    marker = str(tmp_path / "died")
    with ProcessExecutor(2) as ex:
        out = sorted(r for _, r, e in run_tasks(ex, die_once, [(marker, k) for k in range(4)]))
    assert out == [0, 2, 4, 6] and os.path.exists(marker)


@pytest.fixture(scope="module")
def mortal_reference(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mortal")
    claims = load_claims([_write(tmp, {"m.toml": MORTAL_CLAIM})], MORTAL)
    verdicts = _run(claims, MORTAL, tmp / "m.sqlite")  # in process, marker unset: no death
    assert len(verdicts[0][2]) == 4
    return claims, verdicts, _rows(tmp / "m.sqlite")


def test_process_pool_run_claims_survives_a_dead_worker(tmp_path, monkeypatch, mortal_reference):
    monkeypatch.setenv("SLTTHEORY_DIE_MARKER", str(tmp_path / "died"))
    claims, verdicts, rows = mortal_reference
    with ProcessExecutor(2) as ex:
        got = _run(claims, MORTAL, tmp_path / "m.sqlite", executor=ex)
    assert (tmp_path / "died").exists(), "the task did not kill its worker"
    assert got == verdicts
    assert _rows(tmp_path / "m.sqlite") == rows


def test_run_tasks_gives_up_after_max_attempts():
    class AlwaysLost(LocalExecutor):
        def lost(self, exc):
            return True

    def boom():
        raise RuntimeError("worker gone")

    out = list(run_tasks(AlwaysLost(), boom, [()], max_attempts=2))
    assert len(out) == 1 and isinstance(out[0][2], RuntimeError)
    assert [r for _, r, _ in run_tasks(LocalExecutor(), double, [(1,), (2,)])] == [2, 4]


def test_make_executor_errors():
    with pytest.raises(ValueError, match="executor must be one of"):
        make_executor("ray")
    with pytest.raises(ValueError, match="scheduler applies to the dask executor only"):
        make_executor("process", scheduler="tcp://h:1")
    with pytest.raises(ValueError, match="workers must be an integer"):
        ProcessExecutor(0)


def test_cli_flag_errors(tmp_path, capsys, monkeypatch):
    d = _write(tmp_path, {"m.toml": MORTAL_CLAIM})
    base = ["--claims", str(d), "--families", "executor_tasks:FAMILIES", "--out", str(tmp_path)]
    cases = [
        (["--scheduler", "tcp://h:8786"], "--scheduler needs --executor dask"),
        (["--executor", "ray"], "invalid choice: 'ray'"),
        (["--executor", "dask", "--scheduler", " "], "empty address"),
        (["--executor", "dask", "--scheduler", "tcp://h:1", "--jobs", "2"], "drop --jobs"),
        (["--jobs", "0"], "must be a positive integer"),
    ]
    for extra, msg in cases:
        with pytest.raises(SystemExit) as e:
            main(base + extra)
        assert e.value.code == 2
        assert msg in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "distributed", None)  # dask absent
    with pytest.raises(SystemExit) as e:
        main(base + ["--executor", "dask"])
    assert e.value.code == 2 and "pip install 'slttheory[dask]'" in capsys.readouterr().err


def test_cli_no_batch_and_process_executor_same_report(tmp_path):
    d = _write(tmp_path, {"m.toml": MORTAL_CLAIM})
    base = ["--claims", str(d), "--families", "executor_tasks:FAMILIES", "--no-figures"]
    assert main(base + ["--out", str(tmp_path / "a"), "--no-batch"]) == 0
    assert main(base + ["--out", str(tmp_path / "b"), "--executor", "process", "--jobs",
                        "2"]) == 0
    assert _rows(tmp_path / "a" / "results.sqlite") == _rows(tmp_path / "b" / "results.sqlite")


# --------------------------------------------------------------------------- dask


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    pytest.importorskip("distributed")
    from slttheory.verify.run.executors import DaskExecutor

    marker = tmp_path_factory.mktemp("marker") / "died"
    old = os.environ.get("SLTTHEORY_DIE_MARKER")
    os.environ["SLTTHEORY_DIE_MARKER"] = str(marker)  # inherited by the worker processes
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        ex = DaskExecutor(workers=2)
    finally:
        if old is None:
            os.environ.pop("SLTTHEORY_DIE_MARKER")
        else:
            os.environ["SLTTHEORY_DIE_MARKER"] = old
    yield ex, marker
    ex.shutdown()


def test_dask_local_cluster_same_verdicts_and_evidence(dask_cluster, local_reference, tmp_path):
    ex, _ = dask_cluster
    assert ex.workers == 2
    claims, verdicts, rows = local_reference
    assert _run(claims, _real(), tmp_path / "d.sqlite", executor=ex) == verdicts
    assert _rows(tmp_path / "d.sqlite") == rows


def test_dask_worker_killed_mid_run_loses_nothing(dask_cluster, tmp_path, mortal_reference):
    ex, marker = dask_cluster
    claims, verdicts, rows = mortal_reference
    got = _run(claims, MORTAL, tmp_path / "m.sqlite", executor=ex)
    assert marker.exists(), "the task did not kill its worker"
    assert got == verdicts
    assert _rows(tmp_path / "m.sqlite") == rows
    # and a bare task that kills its worker once is rescheduled by dask
    m2 = str(tmp_path / "died2")
    out = sorted(r for _, r, e in run_tasks(ex, die_once, [(m2, 1), (m2, 2)]))
    assert out == [2, 4]
