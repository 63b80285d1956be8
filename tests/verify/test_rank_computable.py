"""One gate for "the rank route computes a rank here" (``routes._rank_computable``): the
route's own and the w* record's ``computed`` (``routes._rank_map_record``), which advises
adding the route, had each written the degree and size limits out, so the advice could drift
from what the route does. For each package family at small parameters, at the limits and
just past them, the record says ``computed`` exactly where the route computes a rank."""

from __future__ import annotations

import dataclasses

import pytest
from test_hessian_rank_bound import small_points

from slttheory.models import FAMILIES
from slttheory.verify.evidence import routes

POINTS = small_points()


def _agree(name: str, q: dict) -> bool:
    """The record's ``computed``, after asserting that it is whether the route gave a rank."""
    rec = routes._rank_map_record(FAMILIES[name], q)
    rk = routes.rank_route(FAMILIES[name], q, {"trials": 2, "seed": 0})
    assert rec["computed"] is (rk.rank is not None), (name, q, rec, rk.error)
    assert rk.status == ("ok" if rec["computed"] else "error"), (name, q, rk.error)
    return rec["computed"]


@pytest.mark.parametrize(("name", "q"), POINTS,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(POINTS)])
def test_the_record_says_computed_exactly_where_the_route_computes_a_rank(name, q,
                                                                          monkeypatch):
    rp = FAMILIES[name].rank_problem(dict(q))
    rows, cols = routes.jacobian_size(rp)
    assert _agree(name, q)  # small: computed
    monkeypatch.setattr(routes, "RANK_MAX_ENTRIES", rows * cols)  # at the size limit
    monkeypatch.setattr(routes, "RANK_MAX_DEGREE", rp.degree)  # at the degree limit
    assert _agree(name, q)
    monkeypatch.setattr(routes, "RANK_MAX_ENTRIES", rows * cols - 1)  # one entry past it
    assert not _agree(name, q)
    monkeypatch.setattr(routes, "RANK_MAX_ENTRIES", rows * cols)
    monkeypatch.setattr(routes, "RANK_MAX_DEGREE", rp.degree - 1)  # one degree past it
    assert not _agree(name, q)


def test_the_gate_says_why_not():
    """``("", size)`` where the route computes, else the route's own error text."""
    rp = FAMILIES["normal_crossing"].rank_problem({"powers": (1, 2), "noise": 1.0})
    assert routes._rank_computable(rp) == ("", (1, 2))
    why, size = routes._rank_computable(dataclasses.replace(rp, degree=1001))
    assert size is None and "above RANK_MAX_DEGREE = 1000" in why
    why, size = routes._rank_computable(dataclasses.replace(rp, degree=True))
    assert size is None and "not a non-negative integer" in why
