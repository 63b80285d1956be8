"""Experiment claims (``kind = "experiment"``): schema, resumable runner, verdicts, report parts.

A claim names an experiment of :data:`slttheory.experiments.EXPERIMENTS`, its settings per
profile and one or more criteria on the statistics it returns; the schema is documented in
``verification/README.md``. Every stage of every run (training, each checkpoint's LLC) is a
row of the table ``experiment_stages`` in the verifier's SQLite file, keyed by (claim id,
run, stage, settings hash) and committed at once: a sweep killed at any point resumes with
``--resume`` and loses at most the stage in progress.

Verdict of one criterion from the statistic's ``1 − alpha`` confidence interval [lo, hi]:

=========  ==========================  ==========================
expect     confirmed                   refuted
=========  ==========================  ==========================
positive   lo > 0                      hi < 0
negative   hi < 0                      lo > 0
above t    lo > t                      hi < t
below t    hi < t                      lo > t
within     a ≤ lo and hi ≤ b           hi < a or lo > b
=========  ==========================  ==========================

otherwise inconclusive (also when the statistic or its interval is not finite). A claim is
refuted when any criterion is, confirmed when all are, error when the experiment failed.

>>> c = Criterion("rho", "positive")
>>> from slttheory.experiments import Statistic
>>> judge_criterion(c, Statistic("rho", 0.8, 0.5, 0.95, 0.95, "Fisher z", 10))[0]
'confirmed'
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slttheory.verify.claims import PROFILES, ClaimError
from slttheory.verify.verdict import ClaimVerdict

__all__ = [
    "EXPECTS",
    "Criterion",
    "ExperimentClaim",
    "ExperimentClaimResult",
    "ExperimentStore",
    "parse_experiment_claim",
    "judge_criterion",
    "judge_experiment",
    "run_experiment_claim",
    "run_with_experiments",
    "experiment_json",
    "experiment_markdown",
    "write_experiment_figures",
]

EXPECTS = ("positive", "negative", "above", "below", "within")
_TOP = {
    "id",
    "title",
    "source",
    "statement",
    "notes",
    "kind",
    "experiment",
    "settings",
    "profiles",
    "criterion",
    "criteria",
}
_CRIT = {"statistic", "expect", "threshold", "range", "alpha"}


@dataclass(frozen=True)
class Criterion:
    """``statistic`` of the experiment, what is expected of it, at level ``1 − alpha``."""

    statistic: str
    expect: str
    threshold: float | None = None
    range: tuple[float, float] | None = None
    alpha: float = 0.05

    def text(self) -> str:
        if self.expect in ("above", "below"):
            return f"{self.statistic} {self.expect} {self.threshold:g}"
        if self.expect == "within":
            return f"{self.statistic} within [{self.range[0]:g}, {self.range[1]:g}]"
        return f"{self.statistic} {self.expect}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "statistic": self.statistic,
            "expect": self.expect,
            "threshold": self.threshold,
            "range": None if self.range is None else list(self.range),
            "alpha": self.alpha,
        }


@dataclass(frozen=True)
class ExperimentClaim:
    """A validated experiment claim (duck-types the parts of :class:`Claim` the CLI uses)."""

    id: str
    title: str
    source: str
    experiment: str
    settings: Mapping[str, Mapping[str, Any]]
    criteria: tuple[Criterion, ...]
    statement: str = ""
    notes: str = ""
    path: str = ""
    kind: str = "experiment"
    implemented: bool = True

    @property
    def family(self) -> str:
        return f"experiment:{self.experiment}"

    @property
    def evidence(self) -> tuple[str, ...]:
        return ("experiment",)

    def settings_for(self, profile: str) -> dict[str, Any]:
        """``[settings]`` with ``[profiles.<profile>.settings]`` on top, validated."""
        from slttheory.experiments import EXPERIMENTS

        s = dict(self.settings.get("", {}))
        s.update(self.settings.get(profile, {}))
        return EXPERIMENTS[self.experiment].validate(s, f"{self.path}: profile {profile}")

    def points(self, profile: str) -> list[dict[str, Any]]:
        """The runs of ``profile`` (one per row of the store's run key)."""
        from slttheory.experiments import EXPERIMENTS

        return EXPERIMENTS[self.experiment].plan(self.settings_for(profile))


def _err(path: str, key: str, msg: str) -> ClaimError:
    return ClaimError(f"{path}: {key}: {msg}")


def _parse_criterion(t: Any, path: str, key: str, stats: Sequence[str]) -> Criterion:
    if not isinstance(t, dict):
        raise _err(path, key, "must be a table")
    unknown = sorted(set(t) - _CRIT)
    if unknown:
        raise _err(
            path, f"{key}.{unknown[0]}", f"unknown key (allowed: {', '.join(sorted(_CRIT))})"
        )
    name = t.get("statistic")
    if name not in stats:
        raise _err(
            path,
            f"{key}.statistic",
            f"{name!r} is not a statistic of this experiment (allowed: {', '.join(stats)})",
        )
    expect = t.get("expect")
    if expect not in EXPECTS:
        raise _err(path, f"{key}.expect", f"must be one of {', '.join(EXPECTS)}, got {expect!r}")
    alpha = t.get("alpha", 0.05)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise _err(path, f"{key}.alpha", f"must be a number in (0, 1), got {alpha!r}")
    thr = rng = None
    if expect in ("above", "below"):
        thr = t.get("threshold")
        if isinstance(thr, bool) or not isinstance(thr, int | float) or not math.isfinite(thr):
            raise _err(
                path,
                f"{key}.threshold",
                f"a finite number is required with expect = {expect!r}, got {thr!r}",
            )
        thr = float(thr)
    elif "threshold" in t:
        raise _err(path, f"{key}.threshold", "only with expect = 'above' or 'below'")
    if expect == "within":
        r = t.get("range")
        if (
            not isinstance(r, list)
            or len(r) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in r)
            or not r[0] < r[1]
        ):
            raise _err(path, f"{key}.range", f"must be [low, high] with low < high, got {r!r}")
        rng = (float(r[0]), float(r[1]))
    elif "range" in t:
        raise _err(path, f"{key}.range", "only with expect = 'within'")
    return Criterion(name, expect, thr, rng, float(alpha))


def parse_experiment_claim(data: Mapping[str, Any], path: str) -> ExperimentClaim:
    """Validate an experiment claim (raises :class:`ClaimError` naming file and key)."""
    from slttheory.experiments import EXPERIMENTS

    unknown = sorted(set(data) - _TOP)
    if unknown:
        raise _err(
            path,
            unknown[0],
            f"unknown key for kind = 'experiment' (allowed: {', '.join(sorted(_TOP))})",
        )
    vals = {}
    for k in ("id", "title", "source", "experiment"):
        v = data.get(k)
        if not isinstance(v, str) or not v.strip():
            raise _err(
                path,
                k,
                f"must be a non-empty string, got {v!r}" if k in data else "missing (required)",
            )
        vals[k] = v
    for k in ("statement", "notes"):
        if k in data and not isinstance(data[k], str):
            raise _err(path, k, "must be a string")
    name = vals["experiment"]
    if name not in EXPERIMENTS:
        raise _err(
            path,
            "experiment",
            f"unknown experiment {name!r} (known: {', '.join(sorted(EXPERIMENTS))})",
        )
    exp = EXPERIMENTS[name]
    settings: dict[str, dict[str, Any]] = {}
    base = data.get("settings", {})
    if not isinstance(base, dict):
        raise _err(path, "settings", "must be a table")
    settings[""] = dict(base)
    prof = data.get("profiles", {})
    if not isinstance(prof, dict):
        raise _err(path, "profiles", "must be a table")
    for pname, ptab in prof.items():
        if pname not in PROFILES:
            raise _err(
                path, f"profiles.{pname}", f"unknown profile (allowed: {', '.join(PROFILES)})"
            )
        if not isinstance(ptab, dict) or set(ptab) - {"settings"}:
            raise _err(path, f"profiles.{pname}", "must be a table with only a [settings] table")
        st = ptab.get("settings", {})
        if not isinstance(st, dict):
            raise _err(path, f"profiles.{pname}.settings", "must be a table")
        settings[pname] = dict(st)
    crits_raw: list[tuple[str, Any]] = []
    if "criterion" in data:
        crits_raw.append(("criterion", data["criterion"]))
    if "criteria" in data:
        if not isinstance(data["criteria"], list) or not data["criteria"]:
            raise _err(path, "criteria", "must be a non-empty array of tables ([[criteria]])")
        crits_raw += [(f"criteria[{i}]", c) for i, c in enumerate(data["criteria"])]
    if not crits_raw:
        raise _err(path, "criterion", "missing (required: [criterion] or [[criteria]])")
    crits = tuple(_parse_criterion(c, path, k, exp.statistics) for k, c in crits_raw)
    claim = ExperimentClaim(
        vals["id"],
        vals["title"],
        vals["source"],
        name,
        settings,
        crits,
        data.get("statement", ""),
        data.get("notes", ""),
        path,
        implemented=exp.implemented,
    )
    for p in PROFILES:
        try:
            claim.settings_for(p)
        except (TypeError, ValueError) as e:
            raise ClaimError(str(e) if path in str(e) else f"{path}: {e}") from None
    return claim


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

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     s = ExperimentStore(os.path.join(d, "r.sqlite"))
    ...     s.put("c", "0:{}", "train", "h", {"a": 1}, b"xy")
    ...     s.get("c", "0:{}", "train", "h"), s.get("c", "0:{}", "train", "other")
    ...     s.close()
    (({'a': 1}, b'xy'), None)
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(str(self.path), timeout=60)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute(_SCHEMA)
        self._con.commit()

    def get(self, claim_id: str, run_key: str, stage: str, h: str):
        row = self._con.execute(
            "SELECT value, blob FROM experiment_stages WHERE claim_id=? AND run_key=? AND "
            "stage=? AND settings_hash=?",
            (claim_id, run_key, stage, h),
        ).fetchone()
        return None if row is None else (json.loads(row[0]), row[1])

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


class _StageCache:
    def __init__(self, store: ExperimentStore, claim_id: str, run_key: str, h: str):
        self.store, self.cid, self.run, self.h = store, claim_id, run_key, h

    def get(self, key):
        return self.store.get(self.cid, self.run, key, self.h)

    def put(self, key, value, blob=None):
        self.store.put(self.cid, self.run, key, self.h, value, blob)


def settings_hash(claim: ExperimentClaim, settings: Mapping[str, Any], device: str) -> str:
    """Hash of what determines a run's stages (not its verdict: criteria are excluded)."""
    blob = json.dumps(
        {"experiment": claim.experiment, "settings": settings, "device": device, "version": 1},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


# ------------------------------------------------------------------------------ verdicts


def judge_criterion(c: Criterion, s: Any) -> tuple[str, str]:
    """``(verdict, reason)`` of one criterion given the :class:`Statistic` ``s``."""
    if s is None:
        return "inconclusive", f"{c.statistic}: not computed"
    est, lo, hi = s.estimate, s.low, s.high
    ci = (
        f"{c.statistic} = {est:.4g}, {100 * s.level:.0f}% CI [{lo:.4g}, {hi:.4g}] "
        f"({s.method}; n = {s.n})"
    )
    if not (math.isfinite(est) and math.isfinite(lo) and math.isfinite(hi)):
        why = f"; {s.note}" if s.note else ""
        return (
            "inconclusive",
            f"{c.statistic} = {est:.4g} without a finite interval (n = {s.n}){why}",
        )
    if c.expect == "positive":
        a, b = (0.0, math.inf)
    elif c.expect == "negative":
        a, b = (-math.inf, 0.0)
    elif c.expect == "above":
        a, b = (c.threshold, math.inf)
    elif c.expect == "below":
        a, b = (-math.inf, c.threshold)
    else:
        a, b = c.range
    if c.expect == "within":
        if a <= lo and hi <= b:
            return "confirmed", f"{ci} lies within [{a:g}, {b:g}]"
        if hi < a or lo > b:
            return "refuted", f"{ci} is disjoint from [{a:g}, {b:g}]"
        return "inconclusive", f"{ci} overlaps the edge of [{a:g}, {b:g}]"
    bound = a if math.isfinite(a) else b
    ok = lo > a if math.isfinite(a) else hi < b
    bad = hi < a if math.isfinite(a) else lo > b
    side = "above" if math.isfinite(a) else "below"
    if ok:
        return "confirmed", f"{ci} is {side} {bound:g}"
    if bad:
        other = "below" if side == "above" else "above"
        return "refuted", f"{ci} is {other} {bound:g}"
    return "inconclusive", f"{ci} contains {bound:g}"


def judge_experiment(
    claim: ExperimentClaim, results: Mapping[float, Any]
) -> tuple[ClaimVerdict, list[dict]]:
    """Claim verdict from the analysis at each criterion's alpha (``results[alpha]``)."""
    outcomes = []
    for c in claim.criteria:
        res = results.get(c.alpha)
        st = None if res is None else res.statistics.get(c.statistic)
        v, why = judge_criterion(c, st)
        outcomes.append(
            {
                "criterion": c.to_dict(),
                "text": c.text(),
                "verdict": v,
                "reason": why,
                "statistic": None if st is None else st.to_dict(),
            }
        )
    vs = [o["verdict"] for o in outcomes]
    if "refuted" in vs:
        verdict = "refuted"
    elif all(v == "confirmed" for v in vs):
        verdict = "confirmed"
    else:
        verdict = "inconclusive"
    reason = "; ".join(f"[{o['text']}: {o['verdict']}] {o['reason']}" for o in outcomes)
    return ClaimVerdict(verdict, f"{verdict}: {reason}"), outcomes


# ------------------------------------------------------------------------------ running


@dataclass(frozen=True)
class ExperimentClaimResult:
    """An experiment claim's outcome; ``points`` is empty (runs are in ``result.records``)."""

    claim: ExperimentClaim
    verdict: ClaimVerdict
    result: Any = None
    criteria: tuple[Mapping[str, Any], ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    runs: int = 0
    stages_computed: int = 0
    stages_reused: int = 0
    elapsed_s: float = 0.0
    error: str | None = None
    points: tuple = ()


Progress = Callable[[int, int, str, Mapping[str, Any], str, float, bool], None]


def run_experiment_claim(
    claim: ExperimentClaim,
    *,
    profile: str,
    store: ExperimentStore | None = None,
    device: str = "cpu",
    progress: Progress | None = None,
    done0: int = 0,
    total: int = 0,
) -> ExperimentClaimResult:
    """Run (or resume from ``store``) every run of ``claim`` and judge it. Never raises."""
    from slttheory.experiments import EXPERIMENTS, MemoryCache, RunContext, run_key

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
        h = settings_hash(claim, s, device)
        specs = exp.plan(s)
        records, computed, reused = [], 0, 0
        mem = MemoryCache()
        for i, spec in enumerate(specs):
            rk = run_key(spec, i)
            cache = _StageCache(store, claim.id, rk, h) if store is not None else _Pref(mem, rk)
            ctx = RunContext(device=device, cache=cache)
            t1 = time.perf_counter()
            records.append(exp.run(spec, s, ctx))
            computed += ctx.computed
            reused += ctx.reused
            if progress:
                progress(
                    done0 + i + 1,
                    total or len(specs),
                    claim.id,
                    spec,
                    "run",
                    time.perf_counter() - t1,
                    ctx.computed == 0,
                )
        results = {}
        for alpha in sorted({c.alpha for c in claim.criteria}):
            results[alpha] = _analyse(exp, s, records, alpha)
        verdict, outcomes = judge_experiment(claim, results)
        main = results[claim.criteria[0].alpha]
        return ExperimentClaimResult(
            claim,
            verdict,
            main,
            tuple(outcomes),
            s,
            len(specs),
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


def run_with_experiments(run_claims: Callable[..., list], claims: Sequence[Any], **kw: Any) -> list:
    """Engine hook: experiment claims run here, the others through ``run_claims``; results
    keep the order of ``claims``. ``kw`` are ``run_claims``'s keyword arguments (``profile``,
    ``store``, ``resume``, ``device``, ``progress`` are used here)."""
    exp_idx = [i for i, c in enumerate(claims) if isinstance(c, ExperimentClaim)]
    rest = [c for c in claims if not isinstance(c, ExperimentClaim)]
    out_rest = run_claims(rest, **kw) if rest else []
    store = kw.get("store")
    es = ExperimentStore(store.path) if store is not None and hasattr(store, "path") else None
    try:
        if es is not None and not kw.get("resume", False):
            es.clear()
        exp_results = {}
        for i in exp_idx:
            exp_results[i] = run_experiment_claim(
                claims[i],
                profile=kw["profile"],
                store=es,
                device=kw.get("device", "cpu"),
                progress=kw.get("progress"),
            )
    finally:
        if es is not None:
            es.close()
    it = iter(out_rest)
    return [exp_results[i] if i in exp_results else next(it) for i in range(len(claims))]


# ------------------------------------------------------------------------------ report parts


def write_experiment_figures(r: ExperimentClaimResult, fdir: Path, slug: str) -> list[dict]:
    """Render every figure of ``r`` to ``fdir/<slug>__<name>.png``; entries for the JSON."""
    from slttheory.experiments.figures import render

    out = []
    if r.result is None:
        return out
    for f in r.result.figures:
        name = f"{slug}__{f.name}.png"
        entry = f.to_dict()
        try:
            render(f, fdir / name)
            entry["path"] = f"figures/{name}"
        except Exception as e:  # noqa: BLE001 - a figure never stops the report
            entry["path"] = None
            entry["error"] = f"{type(e).__name__}: {e}"
            print(f"warning: figure {name} failed: {e}", file=sys.stderr)
        out.append(entry)
    return out


def experiment_json(r: ExperimentClaimResult, figures: Sequence[Mapping[str, Any]] | None) -> dict:
    """The ``experiment`` entry of a claim in ``report.json``."""
    from slttheory.experiments.base import _jsonable

    c = r.claim
    res = r.result
    return {
        "name": c.experiment,
        "settings": _jsonable(dict(r.settings)),
        "criteria": [dict(o) for o in r.criteria],
        "statistics": {} if res is None else {k: v.to_dict() for k, v in res.statistics.items()},
        "summary": "" if res is None else res.summary,
        "tables": {} if res is None else _jsonable(dict(res.tables)),
        "runs": r.runs,
        "stages_computed": r.stages_computed,
        "stages_reused": r.stages_reused,
        "elapsed_s": round(r.elapsed_s, 3),
        "error": r.error,
        "figures": list(figures or [])
        if figures is not None
        else ([] if res is None else [f.to_dict() for f in res.figures]),
        "records": [] if res is None else _jsonable(list(res.records)),
    }


def experiment_markdown(entry: Mapping[str, Any]) -> list[str]:
    """Markdown lines of an experiment claim's section (after its title and verdict)."""
    e = entry.get("experiment") or {}
    lines = [
        f"Experiment `{e.get('name')}`: {e.get('runs', 0)} run(s), "
        f"{e.get('stages_computed', 0)} stage(s) computed, {e.get('stages_reused', 0)} "
        f"reused from the store, {e.get('elapsed_s', 0):.1f} s."
    ]
    if e.get("summary"):
        lines[-1] += f" {e['summary']}."
    lines.append("")
    if e.get("criteria"):
        lines += ["| criterion | statistic | CI | method | verdict |", "|---|---|---|---|---|"]
        for o in e["criteria"]:
            s = o.get("statistic") or {}
            lines.append(
                f"| {o['text']} (α = {o['criterion']['alpha']}) | {_fmt(s.get('estimate'))} | "
                f"[{_fmt(s.get('low'))}, {_fmt(s.get('high'))}] | {s.get('method', '–')} "
                f"(n = {s.get('n', '–')}) | **{o['verdict']}** |"
            )
        lines.append("")
    if e.get("statistics"):
        lines += [
            "<details><summary>all statistics</summary>",
            "",
            "| statistic | estimate | CI | method | n | note |",
            "|---|---|---|---|---|---|",
        ]
        for k, s in e["statistics"].items():
            lvl = s.get("level") or 0
            lines.append(
                f"| {k} | {_fmt(s['estimate'])} | {100 * lvl:.0f}% "
                f"[{_fmt(s['low'])}, {_fmt(s['high'])}] | {s['method']} | {s['n']} | "
                f"{s.get('note', '')} |"
            )
        lines += ["", "</details>", ""]
    settings = e.get("settings") or {}
    if settings:
        lines += ["Settings: " + ", ".join(f"`{k}={v}`" for k, v in settings.items()), ""]
    for f in e.get("figures", []):
        if f.get("path"):
            lines += [f"![{f['title']}]({f['path']})", ""]
    return lines


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    try:
        return f"{float(v):.4g}"
    except (TypeError, ValueError):
        return str(v)
