"""``--resume`` plans a stored point from the exact routes a killed run kept for its LLC
(table ``exact``) only where that row belongs to the stored evidence: a row left by an
earlier run whose w* ran out of memory, beside a point a later run settled without an LLC,
had the resumed run read the point's hypotheses as unmeasured (so settled, no LLC) where a
fresh run runs its LLC; and a kept row that fell short of memory had every ``--resume``
compute the settled point again."""
from __future__ import annotations

from dataclasses import replace

import pytest
from fake_families import FAMILIES
from test_run import _fake_routes

from slttheory.verify.claims import parse_claim
from slttheory.verify.evidence import Routes
from slttheory.verify.evidence.records import AtPoint, RankEvidence
from slttheory.verify.run import ResultStore, run_claims

MET = ({"name": "stage II", "statement": "s", "measured": "m", "met": True},)


def _claim(**kw):
    data = {"id": "c", "title": "t", "source": "s", "family": "fake_regular",
            "kind": "closed_form", "predicted": "d/2", "evidence": ["rank", "llc"],
            "grid": {"d": [2]}} | kw
    return parse_claim(data, "c.toml", FAMILIES)


def _routes(calls, w_star="ok", llc_killed=False, rank_decides=False, rank_error=None):
    fake = _fake_routes()

    def rank(family, q, settings):  # certifies nothing (unless asked to): an LLC may decide
        calls["rank"] = calls.get("rank", 0) + 1
        if rank_error:
            return RankEvidence("error", error=rank_error)
        return replace(fake.rank(family, q, settings), determines_lambda=rank_decides)

    def at_point(family, points, settings, device):
        calls["at_point"] += 1
        if w_star != "ok":
            return [AtPoint("error", error=w_star) for _ in points]
        return [AtPoint("ok", checks={"is_local_min": True}, hypotheses=MET) for _ in points]

    def llc(family, points, settings, device, **kw):
        if llc_killed:
            raise KeyboardInterrupt
        calls["llc"] += 1
        return [(e, replace(a, hypotheses=MET)) for e, a in
                fake.llc(family, points, settings, device, **kw)]

    return Routes(rank=rank, at_point=at_point, llc=llc)


def _stored_row_beside_a_stale_kept_row(path, calls):
    # run 1: w* out of memory, the LLC planned (its exact routes kept), killed in the LLC
    with ResultStore(path) as store, pytest.raises(KeyboardInterrupt):
        run_claims([_claim()], profile="quick", families=FAMILIES, store=store,
                   routes=_routes(calls, "out of memory (address space)", llc_killed=True))
    # run 2 (--resume, more memory): the claim as edited then asserts nothing (λ ≤ d):
    # settled without an LLC, stored; the kept row of run 1 stays
    with ResultStore(path) as store:
        run_claims([_claim(predicted="d", relation="<=", hypotheses=["stage II"])],
                   profile="quick", families=FAMILIES, store=store, resume=True,
                   routes=_routes(calls))


def test_resume_after_edit_runs_the_llc_a_fresh_run_runs(tmp_path):
    calls = {"at_point": 0, "llc": 0}
    _stored_row_beside_a_stale_kept_row(tmp_path / "results.sqlite", calls)
    c = _claim(hypotheses=["stage II"])  # edited again: λ = d/2, which only an LLC can test
    fresh = {"at_point": 0, "llc": 0}
    with ResultStore(tmp_path / "fresh.sqlite") as store:
        [want] = run_claims([c], profile="quick", families=FAMILIES, store=store,
                            routes=_routes(fresh))
    assert fresh["llc"] == 1
    calls["llc"] = 0
    with ResultStore(tmp_path / "results.sqlite") as store:
        [got] = run_claims([c], profile="quick", families=FAMILIES, store=store, resume=True,
                           routes=_routes(calls))
    assert calls["llc"] == 1  # the stored point (no LLC) is stale for the claim as it is
    assert got.points[0].evidence.llc is not None
    assert (got.verdict.verdict, got.verdict.reason) == (want.verdict.verdict,
                                                         want.verdict.reason)


def test_settled_point_is_not_computed_again_on_every_resume(tmp_path):
    path, calls = tmp_path / "results.sqlite", {"at_point": 0, "llc": 0}
    # run 1: the rank out of memory, the LLC planned (exact routes kept), killed in the LLC
    with ResultStore(path) as store, pytest.raises(KeyboardInterrupt):
        run_claims([_claim()], profile="quick", families=FAMILIES, store=store,
                   routes=_routes(calls, rank_error="out of memory", llc_killed=True))
    for _ in range(2):  # --resume with more memory: the rank decides, no LLC; then again
        calls["rank"] = 0
        with ResultStore(path) as store:
            [r] = run_claims([_claim()], profile="quick", families=FAMILIES, store=store,
                             resume=True, routes=_routes(calls, rank_decides=True))
        assert r.verdict.verdict == "confirmed"
    assert calls["rank"] == 0 and calls["llc"] == 0  # nothing changed since it was stored
