"""Runs claims: evaluates every grid point's routes, stores evidence, derives verdicts.

The family registry and the route functions are arguments (no global state): tests pass
fake families and fake routes; the command line passes :data:`slttheory.models.FAMILIES`
and :data:`~slttheory.verify.routes.DEFAULT_ROUTES`.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from slttheory.verify.claims import BadClaim, Claim, point_key, settings_hash
from slttheory.verify.routes import DEFAULT_ROUTES, PointEvidence, Routes
from slttheory.verify.store import ResultStore
from slttheory.verify.verdict import (
    ClaimVerdict,
    PointVerdict,
    claim_verdict,
    point_verdict,
    scaling_verdict,
)

__all__ = [
    "PointResult",
    "ClaimResult",
    "evaluate_point",
    "predicted_for",
    "judge_claim",
    "run_claims",
]

Progress = Callable[[int, int, str, Mapping[str, Any], str, float, bool], None]


@dataclass(frozen=True)
class PointResult:
    params: Mapping[str, Any]
    predicted: sp.Expr | None
    evidence: PointEvidence
    verdict: PointVerdict


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim | BadClaim
    points: tuple[PointResult, ...] = field(default_factory=tuple)
    verdict: ClaimVerdict = field(default_factory=lambda: ClaimVerdict("error", "error: not run"))


def predicted_for(claim: Claim, params: Mapping[str, Any]) -> sp.Expr | None:
    """The predicted λ at a point: ``predicted``, else a scaling claim's stated polynomial."""
    if claim.predicted_expr is not None:
        return claim.predicted_at(params)
    sc = claim.scaling
    if sc is not None and sc.coefficients is not None:
        x = (
            sp.Rational(repr(float(params[sc.variable])))
            if isinstance(params[sc.variable], float)
            else sp.Integer(params[sc.variable])
        )
        c = sc.coefficients
        if sc.shape == "linear":
            return c[0] * x
        if sc.shape == "affine":
            return c[0] * x + c[1]
        return c[0] * x**2 + c[1] * x
    return None


def evaluate_point(
    claim: Claim,
    params: Mapping[str, Any],
    profile: str,
    family: Any,
    routes: Routes = DEFAULT_ROUTES,
    device: str = "cpu",
) -> PointEvidence:
    """Run the claim's routes at one point. Never raises: failures become route errors."""
    t0 = time.perf_counter()
    cf = rk = lc = None
    try:
        q = family.validate(dict(params), where=f"{claim.path}: point {point_key(params)}")
    except Exception as e:  # noqa: BLE001
        from slttheory.verify.routes import ClosedFormEvidence

        return PointEvidence(
            ClosedFormEvidence("error", error=f"invalid point: {e}"),
            None,
            None,
            round(time.perf_counter() - t0, 3),
        )
    if "closed_form" in claim.evidence:
        cf = routes.closed_form(family, q)
    if "rank" in claim.evidence:
        rk = routes.rank(family, q, claim.rank_settings(profile))
    if "llc" in claim.evidence:
        lc = routes.llc(family, q, claim.llc_settings(profile), device)
    return PointEvidence(cf, rk, lc, round(time.perf_counter() - t0, 3))


def _family_ref(family: Any, families_spec: str | None) -> Any:
    """The family itself if it pickles, else a reference the worker resolves by name."""
    try:
        pickle.dumps(family)
        return family
    except Exception:  # noqa: BLE001 - closures (the registry's builds) do not pickle
        return ("registry", families_spec, family.name)


def _work(
    claim: Claim, params: Mapping[str, Any], profile: str, family: Any, routes: Routes, device: str
) -> dict[str, Any]:
    family = _in_worker(family)
    return evaluate_point(claim, params, profile, family, routes, device).to_dict()


def _in_worker(family: Any) -> Any:
    """Worker-process setup: resolve a registry reference (``_family_ref``) to its family and
    run torch on one thread (the pool supplies the parallelism)."""
    if isinstance(family, tuple) and family and family[0] == "registry":
        from slttheory.verify.cli import load_families

        family = load_families(family[1])[family[2]]
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass
    return family


def _work_group(
    claim: Claim,
    points: Sequence[Mapping[str, Any]],
    profile: str,
    family: Any,
    routes: Routes,
    device: str,
) -> list[dict[str, Any]]:
    """A worker's batched task: ``evaluate_group`` at ``points`` (evidence as dicts)."""
    from slttheory.verify.batching import evaluate_group

    family = _in_worker(family)
    return [e.to_dict() for e in evaluate_group(claim, points, profile, family, routes, device)]


def _local_point(claim, params, profile, family, routes, device) -> dict[str, Any]:
    return evaluate_point(claim, params, profile, family, routes, device).to_dict()


def _local_group(claim, points, profile, family, routes, device) -> list[dict[str, Any]]:
    from slttheory.verify.batching import evaluate_group

    return [e.to_dict() for e in evaluate_group(claim, points, profile, family, routes, device)]


def judge_claim(
    claim: Claim, items: Sequence[tuple[Mapping[str, Any], PointEvidence]]
) -> ClaimResult:
    """Verdicts of every point and of the claim, from stored evidence."""
    pts = []
    for params, ev in items:
        pred = predicted_for(claim, params)
        try:
            pv = (
                point_verdict(claim, params, ev, pred)
                if pred is not None or claim.kind == "scaling"
                else PointVerdict("error", "error: no predicted value")
            )
        except Exception as e:  # noqa: BLE001 - one bad point never stops the others
            pv = PointVerdict("error", f"error: verdict failed ({type(e).__name__}: {e})")
        pts.append(PointResult(dict(params), pred, ev, pv))
    if claim.kind == "scaling":
        try:
            cv = scaling_verdict(claim, [p.params for p in pts], [p.evidence for p in pts])
        except Exception as e:  # noqa: BLE001
            cv = ClaimVerdict("error", f"error: scaling fit failed ({type(e).__name__}: {e})")
    else:
        agg = claim_verdict([p.verdict for p in pts])
        cv = ClaimVerdict(agg.verdict, agg.reason)
    return ClaimResult(claim, tuple(pts), cv)


def run_claims(
    claims: Sequence[Claim | BadClaim],
    *,
    profile: str,
    families: Mapping[str, Any],
    routes: Routes = DEFAULT_ROUTES,
    store: ResultStore | None = None,
    resume: bool = False,
    device: str = "cpu",
    jobs: int = 1,
    progress: Progress | None = None,
    families_spec: str | None = None,
    executor: Any = None,
    batch: bool = True,
) -> list[ClaimResult]:
    """Evaluate every point of every claim (skipping stored ones with ``resume``).

    Evidence is written to ``store`` by this (the coordinating) process as each task finishes.
    Tasks run on ``executor`` (:mod:`slttheory.verify.executors`; ``None``: a
    :class:`~slttheory.verify.executors.ProcessExecutor` of ``jobs`` workers when ``jobs > 1``,
    else in this process). Outside this process routes must pickle, and a family that does not
    is looked up by name in the worker (``families_spec`` as in ``--families``, ``None`` for
    :data:`slttheory.models.FAMILIES`); a task whose worker died is resubmitted.
    With ``batch`` the points of a claim with the library's ``llc`` route form batched tasks
    (:mod:`slttheory.verify.batching`, at most ``BATCH_MAX`` points, split so that every
    worker has one); closed-form and rank routes stay per point.
    """
    if any(getattr(c, "kind", None) == "experiment" for c in claims):  # experiment claims
        from slttheory.verify.experiments import run_with_experiments

        return run_with_experiments(
            run_claims, claims, profile=profile, families=families, routes=routes, store=store,
            resume=resume, device=device, jobs=jobs, progress=progress,
            families_spec=families_spec, executor=executor, batch=batch,
        )
    tasks: list[tuple[int, int, Claim, dict[str, Any], str]] = []
    per_claim: dict[int, list[dict[str, Any]]] = {}
    for ci, c in enumerate(claims):
        if isinstance(c, BadClaim):
            continue
        pts = c.points(profile)
        per_claim[ci] = pts
        for pi, p in enumerate(pts):
            tasks.append((ci, pi, c, p, settings_hash(c, p, profile, device)))
    total = len(tasks)
    evidence: dict[tuple[int, int], PointEvidence] = {}
    todo = []
    done = 0
    for ci, pi, c, p, h in tasks:
        stored = store.get(c.id, point_key(p), h) if (store is not None and resume) else None
        if stored is not None:
            evidence[(ci, pi)] = PointEvidence.from_dict(stored)
            done += 1
            if progress:
                progress(
                    done,
                    total,
                    c.id,
                    p,
                    _quick_verdict(c, p, evidence[(ci, pi)]),
                    evidence[(ci, pi)].elapsed_s,
                    True,
                )
        else:
            todo.append((ci, pi, c, p, h))

    def finish(ci, pi, c, p, h, ev_dict):
        nonlocal done
        ev = PointEvidence.from_dict(ev_dict)
        if store is not None:
            store.put(c.id, point_key(p), h, ev.to_dict(), profile)
        evidence[(ci, pi)] = ev
        done += 1
        if progress:
            progress(done, total, c.id, p, _quick_verdict(c, p, ev), ev.elapsed_s, False)

    from slttheory.verify.batching import chunk_sizes, groupable
    from slttheory.verify.executors import LocalExecutor, ProcessExecutor, run_tasks

    own = executor is None
    if own:
        executor = ProcessExecutor(jobs) if jobs > 1 and len(todo) > 1 else LocalExecutor()
    local = isinstance(executor, LocalExecutor)
    try:
        # work units: one point, or a batch of one claim's points (LLC route batched)
        units: list[list[tuple[int, int, Claim, dict[str, Any], str]]] = []
        by_claim: dict[int, list[tuple[int, int, Claim, dict[str, Any], str]]] = {}
        grouped = {ci for ci, _, c, _, _ in todo if batch and groupable(c, routes)}
        for item in todo:
            if item[0] in grouped:
                by_claim.setdefault(item[0], []).append(item)
        workers = max(1, int(getattr(executor, "workers", 1)))
        for item in todo:  # in claim order
            if item[0] not in grouped:
                units.append([item])
            elif item is by_claim[item[0]][0]:
                items, i = by_claim[item[0]], 0
                for size in chunk_sizes(len(items), workers):
                    units.append(items[i : i + size])
                    i += size
        refs = {
            name: (families[name] if local else _family_ref(families[name], families_spec))
            for name in {c.family for _, _, c, _, _ in todo}
        }
        args = []
        for u in units:
            c = u[0][2]
            if len(u) == 1:
                args.append((0, (c, u[0][3], profile, refs[c.family], routes, device)))
            else:
                pts = [it[3] for it in u]
                args.append((1, (c, pts, profile, refs[c.family], routes, device)))
        for k, res, exc in run_tasks(executor, _run_local if local else _run_unit, args):
            u = units[k]
            if exc is not None:
                from slttheory.verify.routes import ClosedFormEvidence

                err = PointEvidence(
                    ClosedFormEvidence("error", error=f"worker failed: {exc}"), None, None, 0.0
                ).to_dict()
                dicts = [err] * len(u)
            else:
                dicts = [res] if args[k][0] == 0 else list(res)
            for (ci, pi, c, p, h), ev_dict in zip(u, dicts, strict=True):
                finish(ci, pi, c, p, h, ev_dict)
    finally:
        if own:
            executor.shutdown()

    results = []
    for ci, c in enumerate(claims):
        if isinstance(c, BadClaim):
            results.append(ClaimResult(c, (), ClaimVerdict("error", f"error: {c.message}")))
            continue
        items = [(p, evidence[(ci, pi)]) for pi, p in enumerate(per_claim[ci])]
        results.append(judge_claim(c, items))
    return results


def _run_unit(kind: int, args: tuple) -> Any:
    """A worker's task: one point (``kind`` 0) or one batched group (``kind`` 1)."""
    return (_work, _work_group)[kind](*args)


def _run_local(kind: int, args: tuple) -> Any:
    """The same in the coordinating process (no family lookup, torch threads untouched)."""
    return (_local_point, _local_group)[kind](*args)


def _quick_verdict(claim: Claim, params: Mapping[str, Any], ev: PointEvidence) -> str:
    try:
        return point_verdict(claim, params, ev, predicted_for(claim, params)).verdict
    except Exception:  # noqa: BLE001
        return "error"
