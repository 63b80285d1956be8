"""Edges of this stop's verifier changes that a mutation audit found untested: plural
"hold", the true-parameter exemption only at a measured w*, "name: why" hypotheses, the
vacuous verdict's facts, kept exact evidence (keys, damage, want of memory, measure), a
generous time limit still choosing controls, a read-only store. Each test fails one mutant."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from types import SimpleNamespace

import pytest
from test_evidence_keys import bare_run
from test_judge import AtPoint, PointEvidence, V, claim, rk
from test_store_and_limits_chaos import damage

from slttheory.verify.run import ResultStore


def test_j7_two_unmet_hypotheses_hold_plural():
    hyp = tuple({"name": n, "statement": "s", "measured": "m", "met": False}
                for n in ("stage II", "no_cancellation"))
    c = claim(hypotheses=["stage II", "no_cancellation"])
    v = V(c, PointEvidence(None, rk(4), None, 0.0, AtPoint("ok", hypotheses=hyp)))
    assert "would decide: a w* at which stage II and no_cancellation hold" in v.reason
    assert "no_cancellation holds" not in v.reason


def test_j8_true_parameter_of_a_failed_w_star_is_not_exempt():
    from slttheory.verify.judge.point import not_a_minimum
    bad = AtPoint("error", error="boom", extras={"true_parameter": True})
    assert not_a_minimum(PointEvidence(None, None, None, 0.0, at_point=bad)) != ""


def test_j10_unmet_hypotheses_are_name_colon_why():
    from slttheory.verify.judge import unmet_hypotheses
    hyp = ({"name": "stage II", "statement": "only K", "measured": "K = 3", "met": False},)
    ev = PointEvidence(None, None, None, 0.0, AtPoint("ok", hypotheses=hyp))
    assert unmet_hypotheses(claim(hypotheses=["stage II"]), ev, None) == [
        "stage II: only K (measured: K = 3)"]


def test_j11_vacuous_verdict_keeps_its_facts():
    ev = PointEvidence(None, rk(3, n=4), None, 0.0)
    v = V(claim("d/2", relation="<="), ev)
    assert v.verdict == "inconclusive" and v.facts


def test_r2_interpolation_tolerance():
    from slttheory.models.regimes import lazy_hypotheses
    met = lambda r: lazy_hypotheses(SimpleNamespace(extras={"fit_residual": r}))[0].met  # noqa: E731
    assert met(1e-7) and not met(1e-5)


def test_s3_read_only_store_refused_at_open(tmp_path, monkeypatch):
    path = tmp_path / "r.sqlite"
    with ResultStore(path):
        pass
    real = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda p, **kw: real(
        f"file:{p}?mode=ro", uri=True, **kw))
    with pytest.raises(sqlite3.OperationalError):
        ResultStore(path)


@pytest.mark.parametrize("text", ["{not json", json.dumps([1, 2])])
def test_s5_s8_damaged_exact_row_reads_as_missing(tmp_path, text):
    path = tmp_path / "r.sqlite"
    with ResultStore(path) as s:
        s.put_exact("c", "p", "h", {"ok": 1})
    damage(path, "UPDATE exact SET evidence=?", text)
    with ResultStore(path) as s:
        assert s.get_exact("c", "p", "h") is None


def test_s6_s7_put_exact_replaces_and_is_keyed_by_hash(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as s:
        s.put_exact("c", "p", "h", {"v": 1})
        s.put_exact("c", "p", "h", {"v": 2})
        assert s.get_exact("c", "p", "h") == {"v": 2}
        assert s.get_exact("c", "p", "other") is None


def _killed_then_resumed(tmp_path, spoil=None):
    """A run killed in its LLCs, its store spoilt by the SQL ``spoil``, then resumed: the
    routes' calls, the store's path and ``resume`` to run it again."""
    from fake_families import FAMILIES
    from test_run import _fake_routes

    from slttheory.verify.claims import parse_claim
    from slttheory.verify.evidence import Routes
    from slttheory.verify.run import run_claims

    c = parse_claim({"id": "c", "title": "t", "source": "s", "family": "fake_regular",
                     "kind": "closed_form", "predicted": "d/2", "evidence": ["rank", "llc"],
                     "grid": {"d": [1, 2, 3]}}, "c.toml", FAMILIES)
    fake = _fake_routes()
    calls = {"rank": 0, "measure": []}

    def rank(family, q, settings):
        calls["rank"] += 1
        return replace(fake.rank(family, q, settings), determines_lambda=False)

    def killed(*a, **kw):
        raise KeyboardInterrupt

    def llc(family, points, settings, device, **kw):
        calls["measure"].append(kw.get("measure"))
        return fake.llc(family, points, settings, device, **kw)

    path = tmp_path / "results.sqlite"
    with ResultStore(path) as store, pytest.raises(KeyboardInterrupt):
        run_claims([c], profile="quick", families=FAMILIES, store=store,
                   routes=Routes(rank=rank, at_point=fake.at_point, llc=killed))

    def resume():
        calls["rank"] = 0
        with ResultStore(path) as store:
            run_claims([c], profile="quick", families=FAMILIES, store=store, resume=True,
                       routes=Routes(rank=rank, at_point=fake.at_point, llc=llc))

    if spoil:
        damage(path, spoil)
    resume()
    return calls, path, resume


def test_e5_kept_points_skip_measuring_w_star_again(tmp_path):
    calls, *_ = _killed_then_resumed(tmp_path)
    assert calls["rank"] == 0 and calls["measure"] and not any(calls["measure"])


def test_e11_damaged_kept_exact_row_is_computed_again(tmp_path):
    calls, *_ = _killed_then_resumed(
        tmp_path, spoil="""UPDATE exact SET evidence='{"closed_form": 5}'""")
    assert calls["rank"] == 3


def test_e3_damaged_result_row_is_computed_again(tmp_path):
    calls, path, resume = _killed_then_resumed(tmp_path)
    damage(path, """UPDATE results SET evidence='{"closed_form": 5}'""")
    resume()
    assert calls["rank"] == 3


def test_e9_controls_are_chosen_within_a_generous_time_limit():
    from slttheory.models import FAMILIES as REAL
    run = bare_run(REAL, time_limit=120.0)

    class Point:
        class claim:  # noqa: N801
            family, source = "reduced_rank_regression", "Someone 2020"

            @staticmethod
            def llc_settings(profile):
                return {}
        params = {"m": 3, "n": 3, "h": 2, "r": 1}

    chosen, key = run._controls(Point())
    assert chosen and key is not None
