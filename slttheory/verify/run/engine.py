"""Running claims: exact routes at every point, LLCs where they are needed, their controls.

Phases, per profile:

1. **Exact routes** (closed form, rank) at every point.
2. **Which LLCs to run.** A point needs an LLC when its claim asks for one and no certified
   fact decides it (``quick``), or at every point that asks (``full``; an LLC at a point a
   certified route already decides is shown for context). Every LLC that is to *decide* a point
   gets controls (:mod:`slttheory.verify.evidence.controls`) and reruns at γ × 3, γ / 3, ε / 2.
3. **LLC units and control sets** run on the executor: the LLCs of one claim batched into one
   vectorised sampler call per architecture, each distinct control set once (keyed by its
   rules, so points that share rules share controls).
4. **Judgement** from the stored evidence (:func:`slttheory.verify.judge.judge_claim`).

The family registry and the routes are arguments (no global state): tests pass fakes; the
command line passes :data:`slttheory.models.FAMILIES`. Evidence is written to the store by this
(coordinating) process as each point's evidence is complete; ``resume`` skips stored points and
control sets. Experiment claims run after the point claims
(:mod:`slttheory.verify.run.experiments`).
"""

from __future__ import annotations

import importlib
import json
import math
import pickle
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from slttheory.verify.claims import AnyClaim, BadClaim, Claim, ExperimentClaim, point_key
from slttheory.verify.claims import settings_hash as point_settings_hash
from slttheory.verify.evidence.controls import (
    choose_controls,
    control_key,
    data_seeds,
    run_control_jobs,
    run_key,
)
from slttheory.verify.evidence.records import (
    AtPoint,
    ClosedFormEvidence,
    ControlRun,
    ControlSet,
    LLCEvidence,
    PointEvidence,
    jsonable,
)
from slttheory.verify.evidence.routes import DEFAULT_ROUTES, Routes
from slttheory.verify.judge import ClaimResult, ClaimVerdict, judge_claim, point_verdict
from slttheory.verify.run.executors import LocalExecutor, ProcessExecutor, run_tasks
from slttheory.verify.run.store import ResultStore

__all__ = ["LLC_EVERYWHERE", "BATCH_MAX", "load_families", "run_claims", "chunk_sizes",
           "NullProgress"]

LLC_EVERYWHERE = {"quick": False, "full": True}
"""Per profile: run the LLC at points a certified route already decides (for context)?"""

BATCH_MAX = 64
"""Most points in one batched LLC task (memory: points × chains × d on the device)."""


def load_families(spec: str | None) -> Mapping[str, Any]:
    """The family registry: :data:`slttheory.models.FAMILIES`, or ``MODULE:NAME``."""
    if spec is None:
        import slttheory.models  # noqa: F401 - registers the families
        from slttheory.models.registry import FAMILIES

        return FAMILIES
    mod, _, name = spec.partition(":")
    if not mod or not name:
        raise ValueError(f"--families must be MODULE:NAME, got {spec!r}")
    return getattr(importlib.import_module(mod), name)


class NullProgress:
    """The progress protocol, doing nothing (``start``, ``add_total``, ``claim``,
    ``advance``, ``close``)."""

    def start(self, total: int) -> None: ...

    def add_total(self, n: int) -> None: ...

    def claim(self, claim_id: str) -> None: ...

    def advance(self, *, claim_id: str, label: str, verdict: str | None, elapsed_s: float,
                cached: bool) -> None: ...

    def close(self) -> None: ...


def chunk_sizes(n: int, workers: int, batch_max: int = BATCH_MAX) -> list[int]:
    """Split ``n`` points into near-equal chunks: at least ``workers`` (so every worker has
    one) when there are enough points, at most ``batch_max`` points each.

    >>> chunk_sizes(64, 1), chunk_sizes(64, 2), chunk_sizes(3, 4), chunk_sizes(130, 1)
    ([64], [32, 32], [1, 1, 1], [44, 43, 43])
    """
    if n <= 0:
        return []
    k = max(min(workers, n), math.ceil(n / batch_max))
    base, extra = divmod(n, k)
    return [base + 1 if i < extra else base for i in range(k)]


# --- worker-side units (top-level functions: they pickle) ----------------------------------


def _in_worker(family: Any, isolated: bool) -> Any:
    """Resolve a registry reference to its family; one torch thread in a worker process."""
    if isinstance(family, tuple) and family and family[0] == "registry":
        family = load_families(family[1])[family[2]]
    if isolated:
        try:
            import torch

            torch.set_num_threads(1)
        except ImportError:  # pragma: no cover
            pass
    return family


def _exact_unit(claim: Claim, params: Mapping[str, Any], profile: str, family: Any,
                routes: Routes, isolated: bool) -> dict[str, Any]:
    """Closed form and rank at one point (evidence as a dict; LLC left for later)."""
    t0 = time.perf_counter()
    family = _in_worker(family, isolated)
    try:
        q = family.validate(dict(params), where=f"{claim.path}: point {point_key(params)}")
    except Exception as e:  # noqa: BLE001
        return PointEvidence(ClosedFormEvidence("error", error=f"invalid point: {e}"), None,
                             None, round(time.perf_counter() - t0, 3)).to_dict()
    ev = claim.evidence_for(profile)
    cf = routes.closed_form(family, q) if "closed_form" in ev else None
    rk = routes.rank(family, q, claim.rank_settings(profile)) if "rank" in ev else None
    return PointEvidence(cf, rk, None, round(time.perf_counter() - t0, 3)).to_dict()


def _llc_unit(claim: Claim, points: Sequence[Mapping[str, Any]], profile: str, family: Any,
              routes: Routes, device: str, reruns: Sequence[bool],
              keys: Sequence[str | None], measure: bool, isolated: bool
              ) -> list[dict[str, Any]]:
    """The LLC route at ``points`` (batched), with reruns and control keys as planned; w* is
    measured there unless it was before (``measure=False``)."""
    family = _in_worker(family, isolated)
    settings = claim.llc_settings(profile)
    qs = [family.validate(dict(p)) for p in points]
    evs = routes.llc(family, qs, settings, device, reruns=list(reruns), measure=measure)
    return [{"llc": replace(e, control_key=k).to_dict(),
             "at_point": None if a is None else a.to_dict()}
            for (e, a), k in zip(evs, keys, strict=True)]


def _at_point_unit(claim: Claim, points: Sequence[Mapping[str, Any]], profile: str,
                   family: Any, routes: Routes, device: str, isolated: bool
                   ) -> list[dict[str, Any]]:
    """Build the points' problems and measure w* there (for the claim's hypotheses)."""
    family = _in_worker(family, isolated)
    qs = [family.validate(dict(p)) for p in points]
    return [a.to_dict() for a in routes.at_point(family, qs, claim.llc_settings(profile),
                                                  device)]


def _control_unit(jobs: Sequence[tuple[Any, int]], families_ref: Any,
                  settings: Mapping[str, Any], device: str, isolated: bool
                  ) -> list[dict[str, Any]]:
    """Control runs of one family under one set of rules (a batched sampler call)."""
    families = load_families(families_ref[1]) if isinstance(families_ref, tuple) else \
        families_ref
    _in_worker(None, isolated)
    return [jsonable(r.__dict__) for r in run_control_jobs(jobs, families, settings, device)]


def _experiment_unit(claim: ExperimentClaim, profile: str, store_path: Any, device: str,
                     progress: Any, isolated: bool) -> Any:
    """One experiment claim, its stages stored at ``store_path`` (its own connection)."""
    from slttheory.verify.run.experiments import ExperimentStore, run_experiment_claim

    _in_worker(None, isolated)
    if progress is not None:
        progress.claim(claim.id)
    es = ExperimentStore(store_path) if store_path is not None else None
    try:
        return run_experiment_claim(claim, profile=profile, store=es, device=device,
                                    progress=progress)
    finally:
        if es is not None:
            es.close()


def _unit(kind: str, args: tuple) -> Any:
    return {"exact": _exact_unit, "llc": _llc_unit, "at_point": _at_point_unit,
            "controls": _control_unit, "experiment": _experiment_unit}[kind](*args)


def _ref(obj: Any, spec: str | None, name: str | None = None) -> Any:
    """``obj`` if it pickles, else a reference the worker resolves by name."""
    try:
        pickle.dumps(obj)
        return obj
    except Exception:  # noqa: BLE001 - closures (the registry's builds) do not pickle
        return ("registry", spec, name)


# --- the coordinator -----------------------------------------------------------------------


@dataclass(eq=False)
class _Point:
    ci: int
    pi: int
    claim: Claim
    params: dict[str, Any]
    hash: str
    evidence: PointEvidence | None = None
    llc: bool = False  # run the LLC
    decide: bool = False  # the LLC is to decide: controls and reruns
    measure: bool = False  # build w* (no LLC) to measure the claim's hypotheses there
    key: str | None = None


def _certified_decides(p: _Point) -> bool:
    """Whether the exact evidence alone decides the point (certified verdict)."""
    pred = p.claim.predicted_at(p.params)
    if pred is None or p.evidence is None:
        return False
    try:
        pv = point_verdict(p.claim, p.params, p.evidence, pred)
    except Exception:  # noqa: BLE001 - judged again (and reported) later
        return False
    return pv.grade == "certified"


def run_claims(
    claims: Sequence[AnyClaim],
    *,
    profile: str,
    families: Mapping[str, Any],
    routes: Routes = DEFAULT_ROUTES,
    store: ResultStore | None = None,
    resume: bool = False,
    device: str = "cpu",
    jobs: int = 1,
    progress: Any = None,
    families_spec: str | None = None,
    executor: Any = None,
    batch: bool = True,
) -> list[Any]:
    """Evaluate every claim (module docstring); results in the order of ``claims``.

    Tasks run on ``executor`` (``None``: a process pool of ``jobs`` workers when ``jobs > 1``,
    else this process). Outside this process a family that does not pickle is looked up by name
    (``families_spec`` as in ``--families``); a task whose worker died is resubmitted. With
    ``batch`` (default) the LLCs of a claim run in batched tasks of at most ``BATCH_MAX``
    points; ``batch=False`` gives one task per point.
    """
    progress = progress or NullProgress()
    pts: list[_Point] = []
    per_claim: dict[int, list[_Point]] = {}
    for ci, c in enumerate(claims):
        if isinstance(c, Claim):
            for pi, q in enumerate(c.points(profile)):
                p = _Point(ci, pi, c, q, point_settings_hash(c, q, profile, device))
                pts.append(p)
                per_claim.setdefault(ci, []).append(p)
    n_exp = sum(isinstance(c, ExperimentClaim) for c in claims)
    progress.start(len(pts))
    controls: dict[str, ControlSet] = {}

    def done(p: _Point, cached: bool) -> None:
        if store is not None and not cached:
            store.put(p.claim.id, point_key(p.params), p.hash, p.evidence.to_dict(), profile)
        pv = point_verdict(p.claim, p.params, p.evidence, p.claim.predicted_at(p.params),
                           controls) if p.evidence is not None else None
        progress.advance(claim_id=p.claim.id, label=_label(p), verdict=None if pv is None
                         else pv.verdict, elapsed_s=p.evidence.elapsed_s, cached=cached)

    todo = []
    for p in pts:
        stored = store.get(p.claim.id, point_key(p.params), p.hash) if (store and resume) \
            else None
        if stored is not None:
            p.evidence = PointEvidence.from_dict(stored)
            lc = p.evidence.llc
            if lc is not None and lc.control_key:
                cs = store.get_controls(lc.control_key)
                if cs is not None:
                    controls[lc.control_key] = ControlSet.from_dict(cs)
            done(p, True)
        else:
            todo.append(p)

    own = executor is None
    if own:
        executor = ProcessExecutor(jobs) if jobs > 1 else LocalExecutor()
    local = isinstance(executor, LocalExecutor)
    refs = {name: families[name] if local else _ref(families[name], families_spec, name)
            for name in {p.claim.family for p in todo}}
    fams_ref = families if local else _ref(families, families_spec)
    try:
        workers = max(1, int(getattr(executor, "workers", 1)))
        chosen: dict[tuple, list[Any]] = {}
        planned: dict[str, tuple[list[Any], dict[str, Any]]] = {}

        def plan(p: _Point) -> None:
            """Run the LLC where asked and (quick) no certified fact decides; an LLC that is to
            decide gets controls and reruns. A point with nothing left to do is stored now."""
            if "llc" in p.claim.evidence_for(profile):
                decided = p.claim.kind != "scaling" and _certified_decides(p)
                p.llc = LLC_EVERYWHERE.get(profile, True) or not decided
                p.decide = p.llc and not decided
            if not p.llc:
                done(p, False)  # complete: stored now, so a kill loses nothing
                return
            if p.decide:
                ck = (p.claim.family, point_key(p.params), p.claim.source)
                if ck not in chosen:
                    chosen[ck] = choose_controls(p.claim.family, p.params, families,
                                                 p.claim.source)
                if chosen[ck]:
                    settings = p.claim.llc_settings(profile)
                    p.key = control_key(chosen[ck], settings, device)
                    planned.setdefault(p.key, (chosen[ck], settings))

        # 1. exact routes; 2. where the claim names hypotheses or the family exhibits a
        # symmetry orbit, w* is built and measured first (it may decide without an LLC)
        args = [("exact", (p.claim, p.params, profile, refs[p.claim.family], routes, not local))
                for p in todo]
        measuring: set[int] = set()
        for i, res, exc in run_tasks(executor, _unit, args):
            p = todo[i]
            p.evidence = _failed(exc) if exc is not None else PointEvidence.from_dict(res)
            p.measure = bool(p.claim.hypotheses) or callable(
                getattr(families[p.claim.family], "orbit", None))
            if p.measure:
                measuring.add(id(p))
            else:
                plan(p)
        args = []
        owners_m: list[list[_Point]] = []
        for group in per_claim.values():
            need = [p for p in group if p.measure and id(p) in measuring]
            for size in (chunk_sizes(len(need), workers) if batch else [1] * len(need)):
                chunk, need = need[:size], need[size:]
                c = chunk[0].claim
                args.append(("at_point", (c, [p.params for p in chunk], profile,
                                          refs[c.family], routes, device, not local)))
                owners_m.append(chunk)
        for i, res, exc in run_tasks(executor, _unit, args):
            for p, d in zip(owners_m[i], res if exc is None else [None] * len(owners_m[i]),
                            strict=True):
                at = AtPoint.from_dict(d) if d is not None else AtPoint(
                    "error", error=f"worker failed: {exc}")
                p.evidence = replace(p.evidence, at_point=at)
                plan(p)
        pending = {id(p) for p in todo}
        # 3. experiment claims (longest first), control sets and LLC units, on the executor
        units: list[tuple[str, tuple]] = []
        owners: list[Any] = []
        store_path = getattr(store, "path", None)
        if n_exp and store_path is not None and not resume:
            from slttheory.verify.run.experiments import ExperimentStore

            es = ExperimentStore(store_path)
            es.clear()
            es.close()
        for ci, c in enumerate(claims):
            if isinstance(c, ExperimentClaim):
                units.append(("experiment", (c, profile, store_path, device,
                                             progress if local else None, not local)))
                owners.append(ci)
        # control runs shared by several control sets run once, batched per family and rules
        run_jobs: dict[str, tuple[Any, int, dict[str, Any]]] = {}
        needed: dict[str, list[str]] = {}
        for key, (ctl, settings) in planned.items():
            stored = store.get_controls(key) if (store and resume) else None
            if stored is not None:
                controls[key] = ControlSet.from_dict(stored)
                continue
            needed[key] = []
            for c in ctl:
                for ds in data_seeds(settings):
                    rk = run_key(c, ds, settings, device)
                    run_jobs.setdefault(rk, (c, ds, settings))
                    needed[key].append(rk)
        by_group: dict[str, list[str]] = {}
        for rk, (c, _ds, settings) in run_jobs.items():
            g = json.dumps([c.family, dict(settings)], sort_keys=True, default=list)
            by_group.setdefault(g, []).append(rk)
        for rks in by_group.values():
            settings = run_jobs[rks[0]][2]
            units.append(("controls", ([run_jobs[r][:2] for r in rks], fams_ref, settings,
                                       device, not local)))
            owners.append(("runs", rks))
        run_results: dict[str, ControlRun] = {}
        # one LLC per (family, point, rules): claims that share a model share its estimate
        same: dict[str, list[_Point]] = {}
        for p in pts:
            if id(p) in pending and p.llc:
                k = json.dumps([p.claim.family, point_key(p.params),
                                p.claim.llc_settings(profile)], sort_keys=True, default=list)
                same.setdefault(k, []).append(p)
        reps = {id(ps[0]): ps for ps in same.values()}
        for group in per_claim.values():
            for measured in (False, True):  # LLCs whose w* was measured already skip that
                need = [p for p in group if id(p) in reps and p.measure == measured]
                sizes = chunk_sizes(len(need), workers) if batch else [1] * len(need)
                i = 0
                for size in sizes:
                    chunk = need[i:i + size]
                    i += size
                    c = chunk[0].claim
                    reruns = [any(q.decide and q.claim.kind != "scaling" for q in reps[id(p)])
                              for p in chunk]
                    units.append(("llc", (c, [p.params for p in chunk], profile, refs[c.family],
                                          routes, device, reruns, [None] * len(chunk),
                                          not measured, not local)))
                    owners.append(chunk)
        progress.add_total(sum(1 for o in owners if isinstance(o, tuple))
                           + (0 if local else n_exp))
        exp_results: dict[int, Any] = {}
        for i, res, exc in run_tasks(executor, _unit, units):
            owner = owners[i]
            if isinstance(owner, int):  # an experiment claim
                exp_results[owner] = res if exc is None else _experiment_failed(claims[owner],
                                                                                exc)
                if not local:
                    progress.advance(claim_id=claims[owner].id, label="experiment",
                                     verdict=exp_results[owner].verdict.verdict,
                                     elapsed_s=exp_results[owner].elapsed_s, cached=False)
                continue
            if isinstance(owner, tuple):  # control runs
                _, rks = owner
                for rk, d in zip(rks, res if exc is None else [None] * len(rks), strict=True):
                    c, ds, _s = run_jobs[rk]
                    run_results[rk] = ControlRun.from_dict(d) if d is not None else ControlRun(
                        c.family, dict(c.params), c.kind, c.lam, c.multiplicity,
                        c.certified_by, ds, error=f"worker failed: {exc}")
                for key in [k for k, rks_ in needed.items() if k not in controls
                            and all(r in run_results for r in rks_)]:
                    cs = ControlSet(key, dict(planned[key][1]),
                                    tuple(run_results[r] for r in needed[key]),
                                    round(sum(run_results[r].elapsed_s for r in needed[key]), 3))
                    controls[key] = cs
                    if store is not None:
                        store.put_controls(key, cs.to_dict())
                fam = run_jobs[rks[0]][0].family
                progress.advance(claim_id="controls", label=f"{fam} controls ({len(rks)} runs)",
                                 verdict=None, elapsed_s=sum(run_results[r].elapsed_s
                                                            for r in rks), cached=False)
                continue
            dicts = [None] * len(owner) if exc is not None else res
            for rep, d in zip(owner, dicts, strict=True):
                measured = None if d is None else AtPoint.from_dict(d["at_point"])
                lc0 = LLCEvidence("error", error=f"worker failed: {exc}") if d is None else \
                    LLCEvidence.from_dict(d["llc"])
                for p in reps[id(rep)]:  # the point and every claim's point sharing its LLC
                    ev = p.evidence
                    lc = replace(lc0, control_key=p.key)
                    p.evidence = replace(ev, llc=lc, at_point=ev.at_point or measured or (
                        AtPoint("error", error=f"worker failed: {exc}") if d is None else None),
                        elapsed_s=round(ev.elapsed_s + (lc.elapsed_s or 0), 3))
                    done(p, False)
    finally:
        if own:
            executor.shutdown()

    results: list[Any] = [None] * len(claims)
    for ci, c in enumerate(claims):
        if isinstance(c, BadClaim):
            results[ci] = ClaimResult(c, (), ClaimVerdict("error", f"error: {c.message}"))
        elif isinstance(c, Claim):
            progress.claim(c.id)
            results[ci] = judge_claim(c, [(p.params, p.evidence) for p in per_claim.get(ci, [])],
                                      controls)
    for ci, r in exp_results.items():
        results[ci] = r
    return results


def _label(p: _Point) -> str:
    from slttheory.verify.judge import fmt_point

    return fmt_point({k: v for k, v in p.params.items() if k in p.claim.grid}) or "the point"


def _experiment_failed(claim: ExperimentClaim, exc: BaseException) -> Any:
    from slttheory.verify.judge import ExperimentClaimResult

    return ExperimentClaimResult(claim, ClaimVerdict("error", f"error: worker failed: {exc}"),
                                 error=str(exc))


def _failed(exc: BaseException) -> PointEvidence:
    return PointEvidence(ClosedFormEvidence("error", error=f"worker failed: {exc}"), None, None,
                         0.0)
