"""Edges of this stop's CLI changes that a mutation audit found untested: the SIGTERM handler
put back after a run, the executor named in the header, a store that cannot be opened named
so, a store write failing mid-run exiting 2. Each test fails one mutant."""
from __future__ import annotations

import signal
import sqlite3
from dataclasses import replace

import pytest

from slttheory.verify.cli import main
from slttheory.verify.run import ResultStore

GOOD = ('id = "good"\ntitle = "t"\nsource = "S 2030"\nfamily = "regular"\n'
        'kind = "closed_form"\npredicted = "d/2"\nevidence = ["closed_form"]\n'
        "[grid]\nd = [1]\n")


def _args(tmp_path, *extra):
    (tmp_path / "a.toml").write_text(GOOD)
    return ["--claims", str(tmp_path / "a.toml"), "--out", str(tmp_path / "out"),
            "--no-figures", "--device", "cpu", *extra]


def test_cl4_sigterm_handler_is_restored_after_the_run(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    main(_args(tmp_path, "--jobs", "1"))
    assert signal.getsignal(signal.SIGTERM) is before


def test_cl5_header_names_the_executor_that_runs(tmp_path, capsys):
    main(_args(tmp_path, "--executor", "local", "--jobs", "2"))
    assert "executor process, jobs 2" in capsys.readouterr().err


def test_cl7_a_store_write_that_fails_mid_run_exits_2(tmp_path, monkeypatch, capsys):
    def put(*a, **kw):
        raise sqlite3.OperationalError("database or disk is full")
    monkeypatch.setattr(ResultStore, "put", put)
    with pytest.raises(SystemExit) as e:
        main(_args(tmp_path, "--jobs", "1"))
    assert e.value.code == 2 and "writing the result store" in capsys.readouterr().err


def test_cl6_a_store_that_cannot_be_opened_is_named_so(tmp_path, capsys):
    (tmp_path / "out" / "results.sqlite").mkdir(parents=True)
    with pytest.raises(SystemExit) as e:
        main(_args(tmp_path, "--jobs", "1", "--resume"))
    assert e.value.code == 2
    assert "cannot be used" in capsys.readouterr().err


def test_e2_kept_exact_evidence_short_of_memory_is_computed_again(tmp_path):
    from fake_families import FAMILIES
    from test_run import _fake_routes

    from slttheory.verify.claims import parse_claim
    from slttheory.verify.evidence import RankEvidence, Routes
    from slttheory.verify.evidence.routes import OUT_OF_MEMORY
    from slttheory.verify.run import run_claims

    c = parse_claim({"id": "c", "title": "t", "source": "s", "family": "fake_regular",
                     "kind": "closed_form", "predicted": "d/2", "evidence": ["rank", "llc"],
                     "grid": {"d": [1, 2, 3]}}, "c.toml", FAMILIES)
    fake = _fake_routes()
    calls = {"rank": 0}

    def oom(family, q, settings):
        calls["rank"] += 1
        return RankEvidence("error", error=f"{OUT_OF_MEMORY}: test")

    def rank(family, q, settings):
        calls["rank"] += 1
        return replace(fake.rank(family, q, settings), determines_lambda=False)

    def killed(*a, **kw):
        raise KeyboardInterrupt

    path = tmp_path / "results.sqlite"
    with ResultStore(path) as store, pytest.raises(KeyboardInterrupt):
        run_claims([c], profile="quick", families=FAMILIES, store=store,
                   routes=Routes(rank=oom, at_point=fake.at_point, llc=killed))
    calls["rank"] = 0
    with ResultStore(path) as store:
        run_claims([c], profile="quick", families=FAMILIES, store=store, resume=True,
                   routes=Routes(rank=rank, at_point=fake.at_point, llc=fake.llc))
    assert calls["rank"] == 3


def test_t1_rrelu_in_training_mode_is_refused():
    import torch

    from slttheory._torch_args import check_deterministic
    with pytest.raises(ValueError, match="RReLU"):
        check_deterministic(torch.nn.Sequential(torch.nn.RReLU()))
    check_deterministic(torch.nn.Sequential(torch.nn.RReLU()).eval())


def test_t2_instance_norm_without_running_stats_is_accepted():
    import torch

    from slttheory._torch_args import check_deterministic
    check_deterministic(torch.nn.Sequential(torch.nn.InstanceNorm1d(3)).eval())


def test_p4_a_random_forward_is_named_as_such():
    import torch

    from slttheory.sampling import estimate_llc

    class Noisy(torch.nn.Module):
        def forward(self, x):
            return x + 0.1 * torch.randn_like(x)

    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(0))
    y = x.sum(1, keepdim=True)
    with torch.random.fork_rng():  # the layers' own initialisation; the global RNG kept
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(2, 3), Noisy(), torch.nn.Linear(3, 1))
    with pytest.raises(ValueError, match="forward draws random numbers"):
        estimate_llc(model, (x, y), method="single", draws=20, burn_in=5, chains=2,
                     step_size=1e-4, device="cpu", progress=False)
