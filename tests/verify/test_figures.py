"""The claim figure draws what the judge decided: evidence apart from context, bands labelled."""

from __future__ import annotations

from typing import Any

import pytest

from slttheory.verify.report import figures

pytest.importorskip("matplotlib")


def _point(i: int, cf_grade: str, determines: bool, llc_grade: str) -> dict[str, Any]:
    return {
        "params": {"d": 3, "k": i + 1}, "verdict": "inconclusive", "predicted": 3.0,
        "closed_form": {"status": "ok", "value_float": 2.5, "grade": cf_grade},
        "rank": {"status": "ok", "rank": 5, "n_params": 8, "determines_lambda": determines,
                 "lambda": 2.5 if determines else None},
        "llc": {"mean": 2.4, "std_error": 0.1, "grade": llc_grade,
                "band": {"low": 2.0, "high": 2.9} if llc_grade == "controlled" else None},
    }


def _drawn(monkeypatch, tmp_path, claim: dict[str, Any]):
    axes = []
    new = figures._new

    def keep(*a, **k):
        fig, ax = new(*a, **k)
        axes.append(ax)
        return fig, ax

    monkeypatch.setattr(figures, "_new", keep)
    assert figures.claim_figure(claim, tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 0
    return axes[0]


def test_closed_form_is_hollow_when_context_and_bands_have_a_legend(monkeypatch, tmp_path):
    claim = {"id": "c", "verdict": "inconclusive", "grade": "none", "grid": {"k": [1, 2]},
             "points": [_point(0, "context", False, "controlled"),
                        _point(1, "certified", True, "uncontrolled")]}
    ax = _drawn(monkeypatch, tmp_path, claim)
    labels = ax.get_legend_handles_labels()[1]
    assert "closed form (context: never evidence)" in labels
    assert "closed form (certified)" in labels
    assert "controlled band (the verdict reads it)" in labels
    # rank/2 only at the point where the rank determines λ
    (rank_line,) = [ln for ln in ax.get_lines() if ln.get_label() == "rank/2 (certified)"]
    assert list(rank_line.get_xdata()) == [1]
    (ctx,) = [ln for ln in ax.get_lines()
              if ln.get_label() == "closed form (context: never evidence)"]
    assert ctx.get_markerfacecolor() == "none"


@pytest.mark.parametrize("large", [False, True])
def test_a_dollar_in_a_claims_own_strings_is_drawn_as_text(monkeypatch, tmp_path, large):
    # "$x^{" would start matplotlib's math parser and fail the figure at savefig
    n = figures.LARGE + 1 if large else 2
    pts = []
    for i in range(n):
        p = _point(i, "certified", False, "uncontrolled")
        p["params"] = {"cost": "$x^{", "k": i + 1}
        pts.append(p)
    claim = {"id": "c", "verdict": "inconclusive", "grade": "none", "points": pts,
             "point_counts": {"inconclusive": n},
             "grid": {"cost": ["$x^{"], "k": list(range(1, n + 1))}}
    ax = _drawn(monkeypatch, tmp_path, claim)
    shown = [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    assert any(r"\$x^{" in t for t in shown + [ax.get_xlabel(), ax.get_ylabel()])
