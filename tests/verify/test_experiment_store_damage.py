"""A damaged stage of an experiment store (its value not a JSON object, its model states not
the pickle-free ``.npz`` of numeric arrays that ``pack_state`` writes) reads as missing and is
computed again: it had ended its claim in an error on every ``--resume``, and never ran any
code from the file."""

from __future__ import annotations

import io
import json
import os
import sqlite3

import numpy as np
import pytest
import torch

from slttheory.experiments.base import RunContext, pack_state, unpack_state
from slttheory.verify.run.experiments import ExperimentStore, _StageCache


class _Payload:
    def __reduce__(self):
        return (os.system, ("exit 0",))


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _npy(a) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=True)
    return buf.getvalue()


GOOD = pack_state({"10": {"W": torch.ones(2)}})

DAMAGED = {
    "value not JSON": ("{not json", None),
    "value nested too deeply": ("[" * 100_000 + "]" * 100_000, None),
    "value not an object": (json.dumps([1, 2]), None),
    "blob garbage": ("{}", b"garbage"),
    "blob truncated": ("{}", GOOD[: len(GOOD) // 2]),
    "blob an object array": ("{}", _npz(a=np.array([_Payload()], dtype=object))),
    "blob a pickle": ("{}", __import__("pickle").dumps(_Payload())),
    "blob an .npy": ("{}", _npy(np.ones(2))),
    "blob not bytes": ("{}", "text"),
}


def _damage(path, value, blob):
    con = sqlite3.connect(str(path))
    con.execute("UPDATE experiment_stages SET value=?, blob=? WHERE stage='train'", (value, blob))
    con.commit()
    con.close()


@pytest.mark.parametrize("what", sorted(DAMAGED))
def test_a_damaged_stage_reads_as_missing(tmp_path, what):
    path = tmp_path / "results.sqlite"
    s = ExperimentStore(path)
    s.put("c", "0:{}", "train", "h", {"a": 1}, GOOD)
    s.put("c", "0:{}", "llc", "h", {"b": 2})
    _damage(path, *DAMAGED[what])
    assert s.get("c", "0:{}", "train", "h") is None
    assert s.get("c", "0:{}", "llc", "h") == ({"b": 2}, None)
    s.close()


@pytest.mark.parametrize("what", sorted(DAMAGED))
def test_a_damaged_stage_is_computed_again(tmp_path, what):
    path = tmp_path / "results.sqlite"
    s = ExperimentStore(path)
    calls = []

    def compute():
        calls.append(1)
        return {"a": 1}, GOOD

    ctx = RunContext(cache=_StageCache(s, "c", "0:{}", "h"))
    ctx.stage("train", compute)
    _damage(path, *DAMAGED[what])
    ctx = RunContext(cache=_StageCache(s, "c", "0:{}", "h"))
    value, blob = ctx.stage("train", compute)
    assert len(calls) == 2 and ctx.computed == 1 and ctx.reused == 0
    assert value == {"a": 1} and unpack_state(blob)["10"]["W"].tolist() == [1.0, 1.0]
    s.close()


def test_an_intact_stage_is_reused(tmp_path):
    s = ExperimentStore(tmp_path / "results.sqlite")
    s.put("c", "0:{}", "train", "h", {"a": 1}, GOOD)
    assert s.get("c", "0:{}", "train", "h") == ({"a": 1}, GOOD)
    s.close()
