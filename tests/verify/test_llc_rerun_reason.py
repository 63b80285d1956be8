"""What would decide a point whose controlled LLC band decided but whose reruns did not agree.

An outside audit (planted tanh claims, quick profile): at h = 2, λ = 2/3, the band
[0.376, 1.16] excluded the predicted 1/3, the rerun at ε / 2 read 0.4635 with the band
[0.269, 0.955], so the point was rightly inconclusive; but its reason said "would decide: an
LLC whose controls agree and whose band is narrow enough" — the band had decided, its width
was not what was missing: an LLC whose verdict holds at every rerun was.
"""

from __future__ import annotations

from test_judge import V, claim, controls, lc

from slttheory.verify.evidence.records import PointEvidence, Rerun

ROBUST = "same verdict at each of γ × 3, γ / 3 and ε / 2"


def test_a_verdict_that_moved_at_a_rerun_says_robustness_would_decide():
    ctl = controls(spread=0.01)
    moved = (Rerun("γ × 3", 3.0, 0.02, True), Rerun("γ / 3", 3.0, 0.02, True),
             Rerun("ε / 2", 2.0, 0.02, True))  # the base band refutes 2, ε / 2 contains it
    v = V(claim(), PointEvidence(None, None, lc(3.0, reruns=moved), 0.0), ctl=ctl)
    assert v.verdict == "inconclusive" and "not robust" in v.reason, v.reason
    assert ROBUST in v.reason, v.reason
    assert "narrow enough" not in v.reason, v.reason


def test_failed_or_missing_reruns_say_so_too():
    ctl = controls(spread=0.01)
    for reruns in ((Rerun("γ × 3", None, None, False),), ()):
        v = V(claim(), PointEvidence(None, None, lc(3.0, reruns=reruns), 0.0), ctl=ctl)
        assert v.verdict == "inconclusive" and ROBUST in v.reason, v.reason


def test_a_band_too_wide_still_asks_for_a_narrower_one():
    v = V(claim(), PointEvidence(None, None, lc(2.0, se=0.3), 0.0), ctl=controls(spread=0.01))
    assert "narrow enough" in v.reason and ROBUST not in v.reason, v.reason
    # controls whose bias envelope is wider than the tolerance window: no band could confirm
    # (tests/verify/test_would_decide_review.py)
    v = V(claim(), PointEvidence(None, None, lc(2.0), 0.0), ctl=controls(spread=0.2))
    assert "can only refute" in v.reason and ROBUST not in v.reason, v.reason
