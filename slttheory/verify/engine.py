"""Runs claims: evaluates every grid point's routes, stores evidence, derives verdicts.

The family registry and the route functions are arguments (no global state): tests pass
fake families and fake routes; the command line passes :data:`slttheory.models.FAMILIES`
and :data:`~slttheory.verify.routes.DEFAULT_ROUTES`.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
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
    if isinstance(family, tuple) and family and family[0] == "registry":
        from slttheory.verify.cli import load_families

        family = load_families(family[1])[family[2]]
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass
    return evaluate_point(claim, params, profile, family, routes, device).to_dict()


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
) -> list[ClaimResult]:
    """Evaluate every point of every claim (skipping stored ones with ``resume``).

    Evidence is written to ``store`` by this (the main) process as each point finishes.
    With ``jobs > 1`` points run in worker processes; routes must pickle, and a family that
    does not is looked up by name in the worker (``families_spec`` as in ``--families``,
    ``None`` for :data:`slttheory.models.FAMILIES`).
    """
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

    if jobs > 1 and len(todo) > 1:
        refs = {
            name: _family_ref(families[name], families_spec)
            for name in {c.family for _, _, c, _, _ in todo}
        }
        with ProcessPoolExecutor(max_workers=jobs) as ex:
            futs = {
                ex.submit(_work, c, p, profile, refs[c.family], routes, device): (
                    ci,
                    pi,
                    c,
                    p,
                    h,
                )
                for ci, pi, c, p, h in todo
            }
            for fut in as_completed(futs):
                ci, pi, c, p, h = futs[fut]
                try:
                    ev_dict = fut.result()
                except Exception as e:  # noqa: BLE001 - a crashed worker is an error for its point
                    from slttheory.verify.routes import ClosedFormEvidence

                    ev_dict = PointEvidence(
                        ClosedFormEvidence("error", error=f"worker failed: {e}"), None, None, 0.0
                    ).to_dict()
                finish(ci, pi, c, p, h, ev_dict)
    else:
        for ci, pi, c, p, h in todo:
            ev = evaluate_point(c, p, profile, families[c.family], routes, device)
            finish(ci, pi, c, p, h, ev.to_dict())

    results = []
    for ci, c in enumerate(claims):
        if isinstance(c, BadClaim):
            results.append(ClaimResult(c, (), ClaimVerdict("error", f"error: {c.message}")))
            continue
        items = [(p, evidence[(ci, pi)]) for pi, p in enumerate(per_claim[ci])]
        results.append(judge_claim(c, items))
    return results


def _quick_verdict(claim: Claim, params: Mapping[str, Any], ev: PointEvidence) -> str:
    try:
        return point_verdict(claim, params, ev, predicted_for(claim, params)).verdict
    except Exception:  # noqa: BLE001
        return "error"
