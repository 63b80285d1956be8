"""What an outside chaos run of the verifier broke, each kept broken no more: choosing an LLC's
controls (exact ranks of every candidate, in the coordinating process) ran outside
--time-limit and hung a one-point run for minutes; a result store damaged past its first
page, of an older layout, or holding rows that are not JSON objects ended in a traceback."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

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
    run = engine._Run.__new__(engine._Run)
    run.chosen, run.families, run.profile, run.device, run.families_code = \
        {}, REAL, "quick", "cpu", ""
    run.time_limit = 0.3

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
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE results (claim_id TEXT, point_key TEXT, settings_hash TEXT, "
                "evidence TEXT, created REAL)")
    con.commit()
    con.close()
    with pytest.raises(sqlite3.DatabaseError, match="other columns"):
        ResultStore(path)


@pytest.mark.parametrize("text", ["{not json", json.dumps([1, 2, 3]), json.dumps("text")])
def test_a_damaged_row_reads_as_missing_and_is_computed_again(tmp_path, text):
    path = tmp_path / "results.sqlite"
    with ResultStore(path) as s:
        s.put("c", "p", "h", {"ok": 1}, "quick")
        s.put("c", "q", "h", {"ok": 2}, "quick")
    con = sqlite3.connect(path)
    con.execute("UPDATE results SET evidence=? WHERE point_key='p'", (text,))
    con.commit()
    con.close()
    with ResultStore(path) as s:
        assert s.get("c", "p", "h") is None
        assert s.get("c", "q", "h") == {"ok": 2}
