"""Running experiment claims: every stage of every run stored, resumable, then judged.

Every stage of every run (training, each checkpoint's LLC) is a row of the table
``experiment_stages`` in the verifier's SQLite file, keyed by (claim id, run, stage, settings
hash) and committed at once: a sweep killed at any point resumes with ``--resume`` and loses at
most the stage in progress. The settings hash covers the experiment, its full settings and the
device, not the criteria: editing a criterion recomputes nothing.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from slttheory._provenance import code_fingerprint
from slttheory.verify.claims import ExperimentClaim
from slttheory.verify.evidence.routes import RERUNS
from slttheory.verify.judge import ClaimVerdict, ExperimentClaimResult, judge_experiment
from slttheory.verify.run.store import json_object

__all__ = [
    "ExperimentStore",
    "run_experiment_claim",
    "run_experiment_claims",
    "experiment_settings_hash",
]


# ------------------------------------------------------------------------------- store


_SCHEMA = """
CREATE TABLE IF NOT EXISTS experiment_stages (
    claim_id      TEXT NOT NULL,
    run_key       TEXT NOT NULL,
    stage         TEXT NOT NULL,
    settings_hash TEXT NOT NULL,
    value         TEXT NOT NULL,
    blob          BLOB,
    created       REAL NOT NULL,
    PRIMARY KEY (claim_id, run_key, stage, settings_hash)
)
"""


class ExperimentStore:
    """Stages of experiment runs in the verifier's SQLite file (own table, own connection).

    >>> import tempfile, os, torch
    >>> from slttheory.experiments.base import pack_state
    >>> blob = pack_state({"10": {"W": torch.ones(2)}})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     s = ExperimentStore(os.path.join(d, "r.sqlite"))
    ...     s.put("c", "0:{}", "train", "h", {"a": 1}, blob)
    ...     s.put("c", "1:{}", "train", "h", {"a": 1}, b"xy")  # not an .npz: damaged
    ...     s.get("c", "0:{}", "train", "h") == ({"a": 1}, blob)
    ...     s.get("c", "1:{}", "train", "h"), s.get("c", "0:{}", "train", "other")
    ...     s.close()
    True
    (None, None)
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(str(self.path), timeout=60)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute(_SCHEMA)
        self._con.commit()

    def get(self, claim_id: str, run_key: str, stage: str, h: str):
        """The stored ``(value, blob)`` of a stage, or ``None``: none is stored, or its row is
        damaged (:func:`_stage_row`), and the stage is computed again."""
        row = self._con.execute(
            "SELECT value, blob FROM experiment_stages WHERE claim_id=? AND run_key=? AND "
            "stage=? AND settings_hash=?",
            (claim_id, run_key, stage, h),
        ).fetchone()
        return None if row is None else _stage_row(row[0], row[1])

    def put(
        self,
        claim_id: str,
        run_key: str,
        stage: str,
        h: str,
        value: dict,
        blob: bytes | None = None,
    ) -> None:
        self._con.execute(
            "INSERT OR REPLACE INTO experiment_stages VALUES (?, ?, ?, ?, ?, ?, ?)",
            (claim_id, run_key, stage, h, json.dumps(value, sort_keys=True), blob, time.time()),
        )
        self._con.commit()

    def count(self, claim_id: str | None = None) -> int:
        q = "SELECT COUNT(*) FROM experiment_stages"
        args: tuple = ()
        if claim_id is not None:
            q += " WHERE claim_id=?"
            args = (claim_id,)
        return int(self._con.execute(q, args).fetchone()[0])

    def clear(self) -> None:
        self._con.execute("DELETE FROM experiment_stages")
        self._con.commit()

    def close(self) -> None:
        self._con.close()


def _stage_row(text: Any, blob: Any) -> tuple[dict, bytes | None] | None:
    """A stored stage as ``(value, blob)``; ``None`` where the row is damaged: its value is
    not a JSON object (not JSON, nested too deeply, another type), or its blob is not the
    ``.npz`` of numeric arrays that :func:`~slttheory.experiments.base.pack_state` writes
    (read without pickle). Such a row had ended its claim in "error: JSONDecodeError …" or
    "… BadZipFile …" on every ``--resume``, never computed again.

    >>> _stage_row('{"a": 1}', None), _stage_row("{not json", None), _stage_row("[1]", None)
    (({'a': 1}, None), None, None)
    >>> _stage_row("{}", b"not an npz") is None
    True
    """
    value = json_object(text)
    if value is None:
        return None
    if blob is None:
        return value, None
    if not isinstance(blob, bytes):
        return None
    import io
    import zipfile

    import numpy as np

    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as z:
            if not all(z[k].dtype.kind in "biufc" for k in z.files):
                return None
    except (ValueError, TypeError, AttributeError, OSError, EOFError, KeyError,
            zipfile.BadZipFile):  # an .npy (no context manager), a truncated zip, ...
        return None
    return value, blob


class _StageCache:
    def __init__(self, store: ExperimentStore, claim_id: str, run_key: str, h: str):
        self.store, self.cid, self.run, self.h = store, claim_id, run_key, h

    def get(self, key):
        return self.store.get(self.cid, self.run, key, self.h)

    def put(self, key, value, blob=None):
        self.store.put(self.cid, self.run, key, self.h, value, blob)


def experiment_settings_hash(claim: ExperimentClaim, settings: Mapping[str, Any],
                             device: str) -> str:
    """Hash of what determines a run's stages (not its verdict: criteria are excluded),
    including the estimator's revision (its LLCs are stages) and the code that computes
    evidence (:func:`slttheory._provenance.code_fingerprint`)."""
    from slttheory.sampling.estimator import ESTIMATOR_REVISION

    blob = json.dumps(
        {"experiment": claim.experiment, "settings": settings, "device": device, "version": 1,
         "estimator": ESTIMATOR_REVISION, "code": code_fingerprint()},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


# ------------------------------------------------------------------------------ running


def run_experiment_claim(
    claim: ExperimentClaim,
    *,
    profile: str,
    store: ExperimentStore | None = None,
    device: str = "cpu",
    progress: Any = None,
    reruns: bool | None = None,
) -> ExperimentClaimResult:
    """Run (or resume from ``store``) every run of ``claim`` and judge it. Never raises.

    ``reruns`` (default: in every profile but quick, whose time budget they would exceed):
    the LLCs behind statements about λ are also computed at the settings of
    :data:`~slttheory.verify.evidence.routes.RERUNS` (stages ``<stage>|<label>``), the
    analysis is repeated on the records at each, and a verdict about λ stands only if it is
    the same at all of them (:func:`~slttheory.verify.judge.judge_experiment`)."""
    from slttheory.experiments import EXPERIMENTS

    t0 = time.perf_counter()
    if not claim.implemented:
        return ExperimentClaimResult(
            claim,
            ClaimVerdict("error", f"error: experiment {claim.experiment!r} is not implemented"),
            error="not implemented",
        )
    try:
        exp = EXPERIMENTS[claim.experiment]
        s = claim.settings_for(profile)
        at = RERUNS if (profile != "quick" if reruns is None else reruns) else ()
        records, computed, reused = _run_all(claim, exp, s, store, device, progress, at)
        verdict, reason, outcomes, main = _judge_runs(claim, exp, s, records, at,
                                                      reduced=profile == "quick")
        return ExperimentClaimResult(
            claim,
            ClaimVerdict(verdict, reason),
            main,
            tuple(outcomes),
            s,
            len(records),
            computed,
            reused,
            time.perf_counter() - t0,
        )
    except Exception as e:  # noqa: BLE001 - one failed experiment never stops the others
        tb = traceback.format_exc(limit=3)
        print(f"experiment claim {claim.id} failed:\n{tb}", file=sys.stderr)
        return ExperimentClaimResult(
            claim,
            ClaimVerdict("error", f"error: {type(e).__name__}: {e}"),
            elapsed_s=time.perf_counter() - t0,
            error=f"{type(e).__name__}: {e}",
        )


def _run_all(claim: ExperimentClaim, exp: Any, s: Mapping[str, Any],
             store: ExperimentStore | None, device: str, progress: Any,
             reruns: tuple[tuple[str, str, float], ...]) -> tuple[list, int, int]:
    """Every run of the experiment's plan, each stage stored in ``store`` (else in memory):
    ``(records, stages computed, stages reused)``."""
    from slttheory.experiments import MemoryCache, RunContext, run_key

    h = experiment_settings_hash(claim, s, device)
    specs = exp.plan(s)
    if progress is not None:
        progress.add_total(len(specs))
    records, computed, reused = [], 0, 0
    mem = MemoryCache()
    for i, spec in enumerate(specs):
        rk = run_key(spec, i)
        cache = _StageCache(store, claim.id, rk, h) if store is not None else _Pref(mem, rk)
        ctx = RunContext(device=device, cache=cache, reruns=reruns)
        t1 = time.perf_counter()
        records.append(exp.run(spec, s, ctx))
        computed += ctx.computed
        reused += ctx.reused
        if progress is not None:
            progress.advance(claim_id=claim.id, label=f"run {i + 1} of {len(specs)}",
                             verdict=None, elapsed_s=time.perf_counter() - t1,
                             cached=ctx.computed == 0)
    return records, computed, reused


def _judge_runs(claim: ExperimentClaim, exp: Any, s: Mapping[str, Any], records: list,
                reruns: tuple[tuple[str, str, float], ...], reduced: bool = False
                ) -> tuple[str, str, list[dict], Any]:
    """The analysis at each criterion's alpha (and at each of ``reruns``, when given),
    judged (``reduced``: in the quick profile, :func:`judge_experiment`): ``(verdict, reason,
    outcomes, the first criterion's analysis)``."""
    from slttheory.experiments import at_rerun

    alphas = sorted({c.alpha for c in claim.criteria})
    results = {alpha: _analyse(exp, s, records, alpha) for alpha in alphas}
    at = None if not reruns else {
        label: {alpha: _analyse(exp, s, at_rerun(records, label), alpha) for alpha in alphas}
        for label, _, _ in reruns}
    verdict, reason, outcomes = judge_experiment(claim, results, at, len(records), reduced)
    return verdict, reason, outcomes, results[claim.criteria[0].alpha]


def _analyse(exp, s, records, alpha):
    from slttheory.experiments import ExperimentResult

    an = exp.analyze(s, records, alpha)
    return ExperimentResult(
        exp.name,
        s,
        tuple(records),
        dict(an.statistics),
        tuple(an.figures),
        an.summary,
        dict(an.tables),
        0.0,
    )


class _Pref:
    def __init__(self, cache, prefix):
        self.cache, self.prefix = cache, prefix

    def get(self, key):
        return self.cache.get(f"{self.prefix}/{key}")

    def put(self, key, value, blob=None):
        self.cache.put(f"{self.prefix}/{key}", value, blob)


def run_experiment_claims(claims: Sequence[ExperimentClaim], *, profile: str,
                          store_path: str | Path | None, resume: bool, device: str,
                          progress: Any = None) -> list[ExperimentClaimResult]:
    """Run every experiment claim (stages stored next to the point results at ``store_path``;
    without ``resume`` the stored stages are cleared first)."""
    es = ExperimentStore(store_path) if store_path is not None else None
    try:
        if es is not None and not resume:
            es.clear()
        out = []
        for c in claims:
            if progress is not None:
                progress.claim(c.id)
            out.append(run_experiment_claim(c, profile=profile, store=es, device=device,
                                            progress=progress))
        return out
    finally:
        if es is not None:
            es.close()
