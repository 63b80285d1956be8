"""What an outside chaos run of the verifier broke, each kept broken no more: choosing an LLC's
controls (exact ranks of every candidate, in the coordinating process) ran outside
--time-limit and hung a one-point run for minutes; a result store damaged past its first
page, of an older layout, or holding rows that are not JSON objects ended in a traceback."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import replace

import pytest
from test_evidence_keys import bare_run

from slttheory.verify.evidence import controls as ctl
from slttheory.verify.run import ResultStore, engine


def test_choosing_controls_stops_at_its_deadline():
    from slttheory.models import FAMILIES as REAL

    args = ("reduced_rank_regression", {"m": 3, "n": 3, "h": 2, "r": 1}, REAL, "Someone 2020")
    assert ctl.choose_controls(*args)  # in time: controls
    assert ctl.choose_controls(*args, deadline=time.monotonic() - 1) == []


def test_the_run_chooses_controls_under_its_time_limit(monkeypatch):
    """A control choice that outlasts --time-limit leaves the point without controls (its
    LLC uncontrolled; --resume under a longer limit finds it stale and chooses again)."""
    from slttheory.models import FAMILIES as REAL

    def slow(*args, deadline=None, **kw):
        time.sleep(5)
        return ["never"]

    monkeypatch.setattr(engine, "choose_controls", slow)
    run = bare_run(REAL, time_limit=0.3)

    class Point:
        class claim:  # noqa: N801 - a stand-in for a Claim
            family, source = "reduced_rank_regression", "Someone 2020"

            @staticmethod
            def llc_settings(profile):
                return {}
        params = {"m": 3, "n": 3, "h": 2, "r": 1}

    start = time.monotonic()
    assert run._controls(Point()) == ([], None)
    assert time.monotonic() - start < 3


def damage(path, sql, *params):
    """Run ``sql`` on the store file at ``path`` behind the store's back."""
    con = sqlite3.connect(path)
    con.execute(sql, params)
    con.commit()
    con.close()


def _store_with_rows(path, rows=400):
    with ResultStore(path) as s:
        for i in range(rows):
            s.put("c", f"p{i}", "h", {"x": "y" * 200, "i": i}, "quick")


def test_a_store_damaged_past_its_first_page_is_refused_at_open(tmp_path):
    path = tmp_path / "results.sqlite"
    _store_with_rows(path)
    data = bytearray(path.read_bytes())
    assert len(data) > 20000
    for i in range(12288, len(data), 7):
        data[i] = (data[i] + 91) % 256
    path.write_bytes(bytes(data))
    with pytest.raises(sqlite3.DatabaseError):
        ResultStore(path)


def test_a_store_of_another_layout_is_refused_at_open(tmp_path):
    path = tmp_path / "results.sqlite"
    damage(path, "CREATE TABLE results (claim_id TEXT, point_key TEXT, settings_hash TEXT, "
           "evidence TEXT, created REAL)")
    with pytest.raises(sqlite3.DatabaseError, match="other columns"):
        ResultStore(path)


@pytest.mark.parametrize("text", ["{not json", json.dumps([1, 2, 3]), json.dumps("text"),
                                  "[" * 100_000 + "]" * 100_000])
def test_a_damaged_row_reads_as_missing_and_is_computed_again(tmp_path, text):
    path = tmp_path / "results.sqlite"
    with ResultStore(path) as s:
        s.put("c", "p", "h", {"ok": 1}, "quick")
        s.put("c", "q", "h", {"ok": 2}, "quick")
    damage(path, "UPDATE results SET evidence=? WHERE point_key='p'", text)
    with ResultStore(path) as s:
        assert s.get("c", "p", "h") is None
        assert s.get("c", "q", "h") == {"ok": 2}


def test_a_killed_run_keeps_the_exact_routes_of_points_waiting_for_their_llc(tmp_path):
    """Points whose LLC had not finished were lost whole when the run was killed (an outside
    chaos run: 9680 points, 0 stored). Their exact routes and w* are kept apart, and
    --resume plans only their LLCs."""
    from fake_families import FAMILIES
    from test_run import _fake_routes

    from slttheory.verify.claims import parse_claim
    from slttheory.verify.evidence import Routes
    from slttheory.verify.run import run_claims

    c = parse_claim({"id": "c", "title": "t", "source": "s", "family": "fake_regular",
                     "kind": "closed_form", "predicted": "d/2", "evidence": ["rank", "llc"],
                     "grid": {"d": [1, 2, 3]}}, "c.toml", FAMILIES)
    fake = _fake_routes()
    calls = {"rank": 0, "at_point": 0, "llc": 0}

    def rank(family, q, settings):
        calls["rank"] += 1
        return replace(fake.rank(family, q, settings), determines_lambda=False)

    def at_point(family, points, settings, device):
        calls["at_point"] += len(points)
        return fake.at_point(family, points, settings, device)

    def killed(*args, **kw):
        raise KeyboardInterrupt

    def llc(family, points, settings, device, **kw):
        calls["llc"] += len(points)
        return fake.llc(family, points, settings, device, **kw)

    path = tmp_path / "results.sqlite"
    with ResultStore(path) as store, pytest.raises(KeyboardInterrupt):
        run_claims([c], profile="quick", families=FAMILIES, store=store,
                   routes=Routes(rank=rank, at_point=at_point, llc=killed))
    assert calls["rank"] == 3 and calls["llc"] == 0
    with ResultStore(path) as store:
        assert store.count() == 0
        calls.update(rank=0, at_point=0)
        (res,) = run_claims([c], profile="quick", families=FAMILIES, store=store, resume=True,
                            routes=Routes(rank=rank, at_point=at_point, llc=llc))
        assert calls == {"rank": 0, "at_point": 0, "llc": 3}  # only the LLCs ran again
        assert store.count() == 3
    assert [p.evidence.rank.rank for p in res.points] == [1, 2, 3]
    assert all(p.evidence.llc is not None for p in res.points)


@pytest.mark.parametrize("spoilt", [
    {"runs": 7},                                              # not a list
    {"key": "k", "runs": [{"family": "fake_regular"}]},       # a run lacking its fields
    {"key": "k", "runs": [{"mean": "x", "lam": 1}]},          # fields of other types
    {"key": ["k"], "rules": 3, "runs": []},                   # key and rules of other types
])
def test_a_damaged_control_set_is_run_again_on_resume(tmp_path, monkeypatch, spoilt):
    """A stored control set that is a JSON object but not a control set crashed ``--resume``
    with a traceback (ControlSet.from_dict); it now reads as missing and runs again."""
    from fake_families import FAMILIES
    from test_run import _exact_controls

    from slttheory.verify.claims import parse_claim
    from slttheory.verify.evidence import AtPoint, LLCEvidence, Routes
    from slttheory.verify.run import run_claims

    _exact_controls(monkeypatch)
    ran = []
    unit = engine._control_unit

    def counted(jobs, *args, **kw):
        ran.extend(jobs)
        return unit(jobs, *args, **kw)

    monkeypatch.setattr(engine, "_control_unit", counted)

    def llc(family, points, settings, device, reruns=False, measure=True):
        return [(LLCEvidence("ok", mean=1.0, std_error=0.4, passed=True,
                             config={"localization": 1.0, "step_size": 0.01}),
                 AtPoint("ok", checks={"is_local_min": True})) for _ in points]

    fake = Routes(llc=llc, at_point=lambda f, pts, s, d: [
        AtPoint("ok", checks={"is_local_min": True}) for _ in pts])
    c = parse_claim({"id": "c", "title": "t", "source": "s", "family": "fake_regular",
                     "kind": "closed_form", "predicted": "d/2", "evidence": ["llc"],
                     "grid": {"d": [2]}}, "c.toml", FAMILIES)
    path = tmp_path / "r.sqlite"
    with ResultStore(path) as store:
        run_claims([c], profile="quick", families=FAMILIES, routes=fake, store=store)
    first = len(ran)
    assert first == 9  # three controls on three data sets
    damage(path, "UPDATE controls SET evidence=?", json.dumps(spoilt))
    with ResultStore(path) as store:
        (res,) = run_claims([c], profile="quick", families=FAMILIES, routes=fake,
                            store=store, resume=True)
    assert len(ran) == 2 * first  # run again, not a traceback
    (cs,) = res.controls.values()
    assert len(cs.runs) == 9 and all(r.usable for r in cs.runs)


def _stored_control_set():
    from slttheory.verify.evidence import ControlRun, ControlSet

    run = ControlRun("fake_regular", {"d": 2}, "regular", "1", 1, "exact rank 2", 0,
                     mean=1.0, std_error=0.1, passed=True)
    return json.loads(json.dumps(ControlSet("k", {"draws": 10}, (run,), 1.5).to_dict()))


@pytest.mark.parametrize(("field", "value"), [
    ("key", 5), ("key", None), ("elapsed_s", "1"), ("elapsed_s", True), ("rules", [1]),
    ("runs.mean", "x"), ("runs.std_error", "0.1"), ("runs.passed", "yes"),
    ("runs.passed", 1), ("runs.data_seed", 1.5), ("runs.multiplicity", "1"),
    ("runs.lam", 1), ("runs.error", 3), ("runs.problems", ["ok", 2]), ("runs.params", [1]),
])
def test_each_damaged_field_of_a_stored_control_set_is_refused(field, value):
    """Strict decoding names a damaged field of a stored control set, one at a time (the
    engine then runs the set again): a set whose only damage is its key's type, or a run's
    mean, had decoded and reached the judge."""
    from slttheory.verify.evidence import ControlSet

    good = _stored_control_set()
    assert ControlSet.from_dict(good).runs[0].usable
    bad = json.loads(json.dumps(good))
    where, _, name = field.rpartition(".")
    (bad["runs"][0] if where else bad)[name] = value
    with pytest.raises(TypeError):
        ControlSet.from_dict(bad)


@pytest.mark.parametrize(("where", "value"), [
    ("rank.rank", "x"),                      # the judge compared it with numbers: TypeError
    ("rank.point_rank", "x"),
    ("at_point.checks", 1.5),                # no object: AttributeError in the judge
    ("at_point.orbit", None),
    ("at_point.extras", [1]),
    ("rank.status", 5),                      # passed the judge, failed the report's schema
    ("closed_form.exact", "yes"),            # as "a bug in slttheory" (exit status 3)
    ("at_point.hypotheses", {"a": 1}),       # read as the keys' tuple: AttributeError
    # well typed, but no run writes it: each gave a certified verdict of its own
    ("rank.point_rank", 99),                 # of 1 or 2 parameters: refuted, "certified"
    ("rank.rank", -1),
    ("rank.lam", "7"),                       # beside a rank of 1 or 2
    ("rank.bound", -1.0),
    ("rank.bound", float("nan")),            # JSON's NaN literal
])
def test_a_stored_point_with_a_field_of_another_type_is_computed_again(tmp_path, where,
                                                                        value):
    """A stored row that is a JSON object but whose fields are of other types than a run
    writes reached the judge on ``--resume``: a traceback, or a report that failed its own
    schema; it now reads as damaged (``records.well_typed``: each field against its record's
    annotation; the values inside a free-form mapping such as ``checks`` are not checked),
    and the point is computed again."""
    from slttheory.models import FAMILIES
    from slttheory.verify.claims import parse_claim
    from slttheory.verify.report.data import point_json
    from slttheory.verify.run import run_claims

    c = parse_claim({"id": "c", "title": "t", "source": "s", "family": "regular",
                     "kind": "closed_form", "predicted": "d/2",
                     "evidence": ["closed_form", "rank"], "grid": {"d": [1, 2]}},
                    "c.toml", FAMILIES)
    path = tmp_path / "r.sqlite"
    with ResultStore(path) as store:
        (fresh,) = run_claims([c], profile="quick", families=FAMILIES, store=store)
    with sqlite3.connect(path) as con:
        row, text = con.execute("SELECT rowid, evidence FROM results ORDER BY rowid").fetchone()
    ev = json.loads(text)
    *parents, name = where.split(".")
    node = ev
    for k in parents:
        node = node[k]
    node[name] = value
    damage(path, "UPDATE results SET evidence=? WHERE rowid=?", json.dumps(ev), row)
    with ResultStore(path) as store:
        (res,) = run_claims([c], profile="quick", families=FAMILIES, store=store,
                            resume=True)
    assert [p.evidence.stored for p in res.points].count(False) == 1  # computed again
    assert res.verdict == fresh.verdict
    for a, b in zip(res.points, fresh.points, strict=True):
        assert a.verdict == b.verdict
        assert point_json(a, c, res.controls)["facts"] == point_json(b, c, {})["facts"]
        assert a.evidence.rank == b.evidence.rank and a.evidence.at_point == b.evidence.at_point


def test_a_report_json_nested_too_deeply_is_not_ours(tmp_path):
    """``--out`` holding a report.json nested past the JSON reader's depth (not one of this
    package's) ended the run in a RecursionError traceback before anything ran; it is now a
    foreign report, which the command line refuses to overwrite with a usage error."""
    from slttheory.verify.report import foreign_report_files, own_report

    (tmp_path / "report.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert not own_report(tmp_path)
    assert foreign_report_files(tmp_path) == ["report.json"]


def test_a_run_stopped_while_removing_the_earlier_report_can_run_again(tmp_path,
                                                                        monkeypatch):
    """A run without ``--resume`` removes the earlier run's report files; it removed
    report.json (the sign that the folder's report files are this package's) first, so a run
    stopped (Ctrl-C, a kill) after that unlink left report.md and report.html alone, which
    every later run into that ``--out``, ``--resume`` included, refused as a user's own
    files. report.json now goes last."""
    from pathlib import Path

    from slttheory.verify.report import foreign_report_files, remove_report

    (tmp_path / "report.json").write_text(json.dumps({"schema_version": 2, "claims": []}),
                                          encoding="utf-8")
    (tmp_path / "report.md").write_text("# report\n", encoding="utf-8")
    (tmp_path / "report.html").write_text("<html></html>", encoding="utf-8")
    real_unlink = Path.unlink
    calls = []

    def unlink_then_stop(self, *a, **k):
        real_unlink(self, *a, **k)
        calls.append(self.name)
        raise KeyboardInterrupt  # stopped right after the first file went

    monkeypatch.setattr(Path, "unlink", unlink_then_stop)
    with pytest.raises(KeyboardInterrupt):
        remove_report(tmp_path)
    monkeypatch.setattr(Path, "unlink", real_unlink)
    assert len(calls) == 1
    assert foreign_report_files(tmp_path) == []
