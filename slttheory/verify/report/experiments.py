"""The report's parts for experiment claims: figures, the JSON entry, the Markdown section."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from slttheory.verify.judge import ExperimentClaimResult

__all__ = ["write_experiment_figures", "experiment_json", "about_label", "fmt_number"]



def write_experiment_figures(r: ExperimentClaimResult, fdir: Path, slug: str) -> list[dict]:
    """Render every figure of ``r`` to ``fdir/<slug>__<name>.png``; entries for the JSON."""
    from slttheory.experiments.figures import render
    from slttheory.verify.report.files import replacing

    out = []
    if r.result is None:
        return out
    for f in r.result.figures:
        name = f"{slug}__{f.name}.png"
        entry = f.to_dict()
        try:
            with replacing(fdir / name) as tmp:  # whole or not at all
                render(f, tmp)
            entry["path"] = f"figures/{name}"
        except Exception as e:  # noqa: BLE001 - a figure never stops the report
            entry["path"] = None
            entry["error"] = f"{type(e).__name__}: {e}"
            print(f"warning: figure {name} failed: {e}", file=sys.stderr)
        out.append(entry)
    return out


def experiment_json(r: ExperimentClaimResult, figures: Sequence[Mapping[str, Any]] | None) -> dict:
    """The ``experiment`` entry of a claim in ``report.json``."""
    from slttheory.experiments.base import _jsonable

    c = r.claim
    res = r.result
    return {
        "name": c.experiment,
        "settings": _jsonable(dict(r.settings)),
        "criteria": [dict(o) for o in r.criteria],
        "statistics": {} if res is None else {k: v.to_dict() for k, v in res.statistics.items()},
        "summary": "" if res is None else res.summary,
        "tables": {} if res is None else _jsonable(dict(res.tables)),
        "runs": r.runs,
        "stages_computed": r.stages_computed,
        "stages_reused": r.stages_reused,
        "elapsed_s": round(r.elapsed_s, 3),
        "error": r.error,
        "figures": list(figures or [])
        if figures is not None
        else ([] if res is None else [f.to_dict() for f in res.figures]),
        "records": [] if res is None else _jsonable(list(res.records)),
    }


def about_label(s: Mapping[str, Any]) -> str:
    """What a statistic is about, in words (``verification/README.md``: statistics on a seed's
    estimator output are labelled as such; a comparison with a theorem needs controls).

    >>> about_label({"about": "lambda", "needs_controls": True})
    'λ (needs LLC controls)'
    >>> about_label({"about": "estimator_output"})
    "the seed's estimator output"
    """
    text = {"lambda": "λ", "estimator_output": "the seed's estimator output",
            "dynamics": "training dynamics"}.get(s.get("about") or "", s.get("about") or "–")
    return text + (" (needs LLC controls)" if s.get("needs_controls") else "")


def fmt_number(v: Any) -> str:
    """A statistic's number to 4 significant digits; "–" for none."""
    if v is None:
        return "–"
    try:
        return f"{float(v):.4g}"
    except (TypeError, ValueError):
        return str(v)
