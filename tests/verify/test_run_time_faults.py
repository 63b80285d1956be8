"""Run-time faults of plugin families: what a route does with them (an audit of run time,
after the claim files had been fuzzed)."""

from __future__ import annotations

import signal
import time

import pytest
from fake_families import FAMILIES

from slttheory.models.registry import Family
from slttheory.verify.evidence.routes import DEFAULT_ROUTES
from slttheory.verify.run.limits import time_limited


def _formula_that_falls_back_on_any_error(d):
    """A plugin formula written as plugins often are (``except Exception`` around a step,
    then a fallback), in a loop: it catches a timeout raised as an ``Exception``."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < 20:
        try:
            time.sleep(0.2)
        except Exception:  # noqa: BLE001 - the behaviour under test
            pass
    return FAMILIES["fake_regular"].formula(d)


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="the limit is a SIGALRM timer")
def test_a_plugin_that_catches_every_exception_is_still_stopped_at_its_limit():
    """The limit's exception was an ``Exception``: a plugin formula that catches those and
    carries on caught it at each re-raise, and its route ran 40 s under --time-limit 2 (an
    audit). It is a ``BaseException`` now, as ``KeyboardInterrupt`` is."""
    fam = FAMILIES["fake_regular"]
    stubborn = Family("stubborn", "loops", fam.parameters, fam.build,
                      _formula_that_falls_back_on_any_error, None)
    t0 = time.monotonic()
    ev = time_limited(DEFAULT_ROUTES, 0.5).closed_form(stubborn, {"d": 2})
    took = time.monotonic() - t0
    assert ev.status == "error" and ev.error.startswith("out of time: the closed form"), ev
    assert took < 5, took
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def _formula_that_exits(d):
    """A plugin that ends its own program: ``sys.exit``, or ``argparse``'s ``error``."""
    raise SystemExit(3)


@pytest.mark.parametrize("evidence", [["closed_form"], ["closed_form", "rank"]])
def test_a_plugin_that_calls_sys_exit_fails_its_point_and_the_run_goes_on(evidence):
    """A plugin formula's ``sys.exit(3)`` ended the whole run with exit status 3, no word
    said and no report written (an audit): one claim's point errors now, naming it, and the
    other claims get their verdicts."""
    from slttheory.verify.claims import parse_claim
    from slttheory.verify.run import run_claims

    fam = FAMILIES["fake_regular"]
    families = {**FAMILIES, "exits": Family("exits", "sys.exit", fam.parameters, fam.build,
                                            _formula_that_exits, None)}
    base = {"title": "t", "source": "s", "kind": "closed_form", "predicted": "d/2",
            "evidence": evidence[:1], "grid": {"d": [1, 2]}}
    bad = parse_claim({**base, "id": "bad", "family": "exits"}, "bad.toml", families)
    good = parse_claim({**base, "id": "good", "family": "slow_regular", "evidence": evidence},
                       "good.toml", families)
    res = run_claims([bad, good], profile="quick", families=families)
    assert [r.claim.id for r in res] == ["bad", "good"]
    assert res[0].verdict.verdict == "error", res[0].verdict
    assert "SystemExit" in res[0].verdict.reason and "3" in res[0].verdict.reason
    assert res[1].verdict.verdict in ("confirmed", "inconclusive")
    assert all(p.evidence.closed_form.status == "ok" for p in res[1].points)


def test_a_task_that_kills_its_worker_every_time_takes_no_other_task_with_it():
    """A worker that dies breaks the whole process pool: every task in flight was 'lost' with
    it and charged a run, and one plugin that kills its worker (``os._exit``, a segfault) took
    the tasks beside it down in each of its three runs; good claims ended in 'error' (an
    audit: 4 of 5). Lost tasks now run again one at a time, and only a task lost while alone
    is charged."""
    from executor_tasks import die_at

    from slttheory.verify.run.executors import ProcessExecutor, run_tasks

    with ProcessExecutor(2) as ex:
        out = {i: (r, e) for i, r, e in run_tasks(ex, die_at, [(0, k, 0.4) for k in range(6)])}
    assert sorted(out) == list(range(6))
    assert out[0][0] is None and out[0][1] is not None and ex.lost(out[0][1])
    assert {i: r for i, (r, e) in out.items() if i} == {k: 2 * k for k in range(1, 6)}


def _rank_problem_that_exits(params=None, /, **more):
    raise SystemExit(4)


@pytest.mark.parametrize("evidence, routes", [(["rank"], ["rank"]),
                                              (["closed_form", "rank"], ["closed form", "rank"])])
def test_a_failed_task_is_filed_under_the_routes_it_was_running(evidence, routes):
    """A task that ended (its worker died, a plugin's sys.exit) was filed under the closed
    form: "closed form: worker failed …" for a claim that asks for no closed form (an audit).
    It is filed under the routes the task was running."""
    from slttheory.verify.claims import parse_claim
    from slttheory.verify.run import run_claims

    fam = FAMILIES["fake_regular"]
    families = {**FAMILIES, "rank_exits": Family("rank_exits", "sys.exit in its rank map",
                                                 fam.parameters, fam.build, fam.formula,
                                                 _rank_problem_that_exits)}
    c = parse_claim({"id": "c", "title": "t", "source": "s", "family": "rank_exits",
                     "kind": "closed_form", "predicted": "d/2", "evidence": evidence,
                     "grid": {"d": [1, 2]}}, "c.toml", families)
    (r,) = run_claims([c], profile="quick", families=families)
    assert r.verdict.verdict == "error", r.verdict
    for p in r.points:
        ev = p.evidence
        assert ev.rank is not None and ev.rank.status == "error"
        assert ev.rank.error.startswith("worker failed:") and "SystemExit" in ev.rank.error
        assert (ev.closed_form is not None) == ("closed_form" in evidence)
        said = [n for n in ("closed form", "rank") if f"{n}: worker failed" in p.verdict.reason]
        assert said == routes, p.verdict.reason


def test_a_failed_task_of_an_llc_only_claim_is_filed_under_w_star():
    """The exact task of a claim that asks only for an LLC measures w* alone: its failure is
    w*'s, not a closed form's the claim never asked for."""
    from slttheory.verify.claims import parse_claim
    from slttheory.verify.run.engine import _task_error

    c = parse_claim({"id": "c", "title": "t", "source": "s", "family": "fake_regular",
                     "kind": "closed_form", "predicted": "d/2", "evidence": ["llc"],
                     "grid": {"d": [1]}}, "c.toml", FAMILIES)
    ev = _task_error(c, "quick", "worker failed: boom")
    assert ev.closed_form is None and ev.rank is None and ev.llc is None
    assert ev.at_point.status == "error" and ev.at_point.error == "worker failed: boom"
