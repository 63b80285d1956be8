"""Grouping of grid points into batched LLC tasks, and the batched ``llc`` route.

Points of one claim share a family and LLC settings; where their built problems also share an
architecture and data shapes (:func:`slttheory.sampling.batched.batch_signature`: e.g. reduced-rank
regression points that differ only in the true rank ``r`` or the data seed), their LLC
estimates run as one vectorised call of
:func:`~slttheory.sampling.batched.estimate_llc_batched`. Each point keeps its own generator
seeded as in :func:`~slttheory.verify.routes.llc_route`, so its evidence is the one the
per-point route gives (up to float rounding). Closed-form and rank routes stay per point.
A batch that fails as a whole falls back to the per-point route.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from slttheory.verify.routes import (
    LLCEvidence,
    PointEvidence,
    Routes,
    _describe,
    _llc_evidence,
    llc_route,
)

__all__ = ["BATCH_MAX", "chunk_sizes", "llc_route_batched", "evaluate_group", "groupable"]

BATCH_MAX = 64
"""Most points in one batched task (memory: points × chains × d parameters on the device)."""

GROUP_KINDS = ("closed_form", "scaling")


def groupable(claim: Any, routes: Routes) -> bool:
    """Whether a claim's points may run as one batched task: an ``llc`` route that is the
    library's own (injected fake routes are never batched) and a claim kind the routes serve.

    >>> from types import SimpleNamespace as NS
    >>> groupable(NS(evidence=("closed_form", "llc"), kind="closed_form"), Routes())
    True
    >>> groupable(NS(evidence=("rank",), kind="closed_form"), Routes())
    False
    """
    return (
        "llc" in tuple(getattr(claim, "evidence", ()))
        and getattr(claim, "kind", None) in GROUP_KINDS
        and routes.llc is llc_route
    )


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


def llc_route_batched(
    family: Any, points: Sequence[Mapping[str, Any]], settings: Mapping[str, Any], device: str
) -> list[LLCEvidence]:
    """:func:`~slttheory.verify.routes.llc_route` at every point, batched by signature."""
    import torch

    from slttheory.sampling.batched import batch_signature, estimate_llc_batched

    seed = int(settings.get("seed", 0))
    kw = {k: v for k, v in settings.items() if k not in ("n", "seed")}
    out: list[LLCEvidence | None] = [None] * len(points)
    built: dict[Any, list[tuple[int, Any, float]]] = {}
    for j, q in enumerate(points):
        t0 = time.perf_counter()
        try:
            gen = torch.Generator().manual_seed(seed)
            prob = family.build(dict(q), n=settings.get("n"), generator=gen, device=device)
            sig = batch_signature(prob.model, prob.data, prob.loss)
            built.setdefault(sig, []).append((j, prob, time.perf_counter() - t0))
        except Exception as e:  # noqa: BLE001 - a route never raises
            out[j] = LLCEvidence("error", error=_describe(e),
                                 elapsed_s=round(time.perf_counter() - t0, 3))
    for members in built.values():
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ests = estimate_llc_batched([p for _, p, _ in members], seed=seed,
                                            device=device, **kw)
        except Exception:  # noqa: BLE001 - fall back to the per-point route
            for j, _, _ in members:
                out[j] = llc_route(family, points[j], settings, device)
            continue
        share = (time.perf_counter() - t0) / len(members)
        for (j, prob, tb), est in zip(members, ests, strict=True):
            out[j] = _llc_evidence(est, str(getattr(prob, "note", "")), tb + share)
    return out  # type: ignore[return-value]


def evaluate_group(
    claim: Any,
    points: Sequence[Mapping[str, Any]],
    profile: str,
    family: Any,
    routes: Routes,
    device: str,
) -> list[PointEvidence]:
    """``evaluate_point`` at every point, with the LLC route of all valid points batched."""
    from slttheory.verify.engine import evaluate_point

    pending = LLCEvidence("pending")
    captured: dict[int, Mapping[str, Any]] = {}
    current = -1

    def capture(fam: Any, q: Mapping[str, Any], settings: Any, dev: str) -> LLCEvidence:
        captured[current] = q
        return pending

    per_point = Routes(closed_form=routes.closed_form, rank=routes.rank, llc=capture)
    evs = []
    for j, p in enumerate(points):
        current = j
        evs.append(evaluate_point(claim, p, profile, family, per_point, device))
    idx = sorted(captured)
    if idx:
        lcs = llc_route_batched(family, [captured[j] for j in idx],
                                claim.llc_settings(profile), device)
        for j, lc in zip(idx, lcs, strict=True):
            ev = evs[j]
            evs[j] = replace(ev, llc=lc,
                             elapsed_s=round(ev.elapsed_s + (lc.elapsed_s or 0.0), 3))
    return evs
