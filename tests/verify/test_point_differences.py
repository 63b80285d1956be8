"""A difference from the source that holds at some points only names them (an outside
theorist's review read "4 of the p² pairs", "6 of …" and "9 of …" side by side, unplaced)."""

from __future__ import annotations

from pathlib import Path

from slttheory.models import FAMILIES
from slttheory.verify.claims import load_claim
from slttheory.verify.report import write_report
from slttheory.verify.run import run_claims

ROOT = Path(__file__).resolve().parents[2]


def test_point_specific_differences_name_their_points(tmp_path):
    claim = load_claim(ROOT / "verification" / "seed001" / "thm5.2-lazy.toml", FAMILIES)
    res = run_claims([claim], profile="quick", families=FAMILIES, device="cpu")
    rep = write_report(res, tmp_path, profile="quick", device="cpu", figures=False)
    diffs = rep["claims"][0]["differences"]
    assert any(d.endswith("(at feature_rank=5, p=3)") and "= 6 of the p² pairs" in d
               for d in diffs), diffs
    assert any("(at 2 points: feature_rank=3, p=2; feature_rank=3, p=3)" in d for d in diffs)
    # a line that holds at every point is not annotated
    assert any(d.startswith("targets: the centred ridgeless") and "(at" not in d for d in diffs)
