"""The SQLite result store: one row per (claim, point, settings hash), written per point, and
one row per LLC control set (keyed by its rules' hash).

Each finished point is committed at once, and each finished control set; ``--resume`` reads
what is stored and skips it. A point is finished when all its evidence is in. The exact
routes of a point whose LLC is still to come are kept apart (table ``exact``), so a run
killed then loses only its LLC work: ``--resume`` plans the LLC from them (an outside chaos
run had lost every exact route of 9680 points waiting for their LLCs). Rows hold the evidence
(JSON), never a verdict: verdicts are derived from evidence at report time, so a resumed
run gives the same report as an uninterrupted one.

>>> import tempfile, os
>>> with tempfile.TemporaryDirectory() as d:
...     s = ResultStore(os.path.join(d, "results.sqlite"))
...     s.put("c1", '{"d": 1}', "abc", {"elapsed_s": 0.5})
...     s.get("c1", '{"d": 1}', "abc"), s.get("c1", '{"d": 1}', "other")
...     s.close()
({'elapsed_s': 0.5}, None)
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

__all__ = ["ResultStore", "STORE_NAME", "json_object"]

STORE_NAME = "results.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    claim_id      TEXT NOT NULL,
    point_key     TEXT NOT NULL,
    settings_hash TEXT NOT NULL,
    profile       TEXT NOT NULL DEFAULT '',
    evidence      TEXT NOT NULL,
    created       REAL NOT NULL,
    PRIMARY KEY (claim_id, point_key, settings_hash)
);
CREATE TABLE IF NOT EXISTS controls (
    control_key   TEXT PRIMARY KEY,
    evidence      TEXT NOT NULL,
    created       REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS exact (
    claim_id      TEXT NOT NULL,
    point_key     TEXT NOT NULL,
    settings_hash TEXT NOT NULL,
    evidence      TEXT NOT NULL,
    created       REAL NOT NULL,
    PRIMARY KEY (claim_id, point_key, settings_hash)
);
"""


def json_object(text: Any) -> dict[str, Any] | None:
    """Stored JSON text as an object; ``None`` where it is damaged (not JSON, not an object,
    or nested too deeply for the JSON reader: a RecursionError had ended ``--resume`` in a
    traceback), so that what it held is computed again.

    >>> json_object('{"a": 1}'), json_object("{not json"), json_object("[1]")
    ({'a': 1}, None, None)
    """
    try:
        ev = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return None
    return ev if isinstance(ev, dict) else None


def _json_object(row: tuple | None) -> dict[str, Any] | None:
    """A row's evidence as a JSON object (:func:`json_object`); ``None`` for no row or a
    damaged one, whose point or control set is then computed again."""
    return None if row is None else json_object(row[0])


class ResultStore:
    """Results keyed by (claim id, canonical point, settings hash)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(str(self.path), timeout=30)
        # another database of that name (the user's own): clear() would empty its tables
        tables = {r[0] for r in self._con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")}
        if tables and "results" not in tables:
            self._con.close()
            raise sqlite3.DatabaseError(f"it is another database (tables: "
                                        f"{', '.join(sorted(tables))})")
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=NORMAL")
        self._con.executescript(_SCHEMA)
        self._con.commit()
        # a file damaged past its first page opened fine and failed mid-run with a traceback
        bad = [r[0] for r in self._con.execute("PRAGMA quick_check(5)")]
        if bad != ["ok"]:
            raise sqlite3.DatabaseError(f"damaged: {'; '.join(bad)}")
        cols = [r[1] for r in self._con.execute("PRAGMA table_info(results)")]
        if cols != ["claim_id", "point_key", "settings_hash", "profile", "evidence", "created"]:
            raise sqlite3.DatabaseError(f"its results table has other columns ({', '.join(cols)})")
        # a read-only file was found only at the first point to store (or at the clearing)
        self._con.execute("CREATE TABLE IF NOT EXISTS _write_probe (x)")
        self._con.execute("DROP TABLE _write_probe")
        self._con.commit()

    def get(self, claim_id: str, point_key: str, settings_hash: str) -> dict[str, Any] | None:
        row = self._con.execute(
            "SELECT evidence FROM results WHERE claim_id=? AND point_key=? AND settings_hash=?",
            (claim_id, point_key, settings_hash),
        ).fetchone()
        return _json_object(row)

    def put(
        self,
        claim_id: str,
        point_key: str,
        settings_hash: str,
        evidence: dict[str, Any],
        profile: str = "",
    ) -> None:
        """Insert or replace a row and commit immediately."""
        self._con.execute(
            "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?)",
            (
                claim_id,
                point_key,
                settings_hash,
                profile,
                json.dumps(evidence, sort_keys=True),
                time.time(),
            ),
        )
        self._con.commit()

    def put_exact(self, claim_id: str, point_key: str, settings_hash: str,
                  evidence: dict[str, Any]) -> None:
        """Keep the exact routes' evidence of a point whose LLC is still to come."""
        self._con.execute("INSERT OR REPLACE INTO exact VALUES (?, ?, ?, ?, ?)",
                          (claim_id, point_key, settings_hash,
                           json.dumps(evidence, sort_keys=True), time.time()))
        self._con.commit()

    def get_exact(self, claim_id: str, point_key: str, settings_hash: str
                  ) -> dict[str, Any] | None:
        """The kept exact evidence of a point (JSON object), or ``None``."""
        row = self._con.execute(
            "SELECT evidence FROM exact WHERE claim_id=? AND point_key=? AND settings_hash=?",
            (claim_id, point_key, settings_hash)).fetchone()
        return _json_object(row)

    def get_controls(self, key: str) -> dict[str, Any] | None:
        """The stored control set of ``key`` (JSON), or ``None``."""
        row = self._con.execute("SELECT evidence FROM controls WHERE control_key=?",
                                (key,)).fetchone()
        return _json_object(row)

    def put_controls(self, key: str, evidence: dict[str, Any]) -> None:
        """Insert or replace a control set and commit immediately."""
        self._con.execute("INSERT OR REPLACE INTO controls VALUES (?, ?, ?)",
                          (key, json.dumps(evidence, sort_keys=True), time.time()))
        self._con.commit()

    def clear(self) -> None:
        """Delete every row of every table in the file, the experiment stages that
        :class:`~slttheory.verify.run.experiments.ExperimentStore` keeps beside the results
        included (a run without ``--resume`` starts from an empty store, whichever claims it
        runs)."""
        tables = [r[0] for r in self._con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        for t in tables:
            self._con.execute(f'DELETE FROM "{t}"')  # names read from the file's own schema
        self._con.commit()

    def count(self) -> int:
        return int(self._con.execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
