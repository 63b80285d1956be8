"""The report's parts for experiment claims: figures, the JSON entry, the Markdown section."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from slttheory.verify.judge import ExperimentClaimResult

__all__ = ["write_experiment_figures", "experiment_json", "experiment_markdown"]



def write_experiment_figures(r: ExperimentClaimResult, fdir: Path, slug: str) -> list[dict]:
    """Render every figure of ``r`` to ``fdir/<slug>__<name>.png``; entries for the JSON."""
    from slttheory.experiments.figures import render

    out = []
    if r.result is None:
        return out
    for f in r.result.figures:
        name = f"{slug}__{f.name}.png"
        entry = f.to_dict()
        try:
            render(f, fdir / name)
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


def experiment_markdown(entry: Mapping[str, Any]) -> list[str]:
    """Markdown lines of an experiment claim's section (after its title and verdict)."""
    e = entry.get("experiment") or {}
    lines = [
        f"Experiment `{e.get('name')}`: {e.get('runs', 0)} run(s), "
        f"{e.get('stages_computed', 0)} stage(s) computed, {e.get('stages_reused', 0)} "
        f"reused from the store, {e.get('elapsed_s', 0):.1f} s."
    ]
    if e.get("summary"):
        lines[-1] += f" {e['summary']}."
    lines.append("")
    if e.get("criteria"):
        lines += ["| criterion | statistic | CI | method | verdict |", "|---|---|---|---|---|"]
        for o in e["criteria"]:
            s = o.get("statistic") or {}
            lines.append(
                f"| {o['text']} (α = {o['criterion']['alpha']}) | {_fmt(s.get('estimate'))} | "
                f"[{_fmt(s.get('low'))}, {_fmt(s.get('high'))}] | {s.get('method', '–')} "
                f"(n = {s.get('n', '–')}) | **{o['verdict']}** |"
            )
        lines.append("")
    if e.get("statistics"):
        lines += [
            "<details><summary>all statistics</summary>",
            "",
            "| statistic | about | estimate | CI | method | n | note |",
            "|---|---|---|---|---|---|---|",
        ]
        for k, s in e["statistics"].items():
            lvl = s.get("level") or 0
            lines.append(
                f"| {k} | {about_label(s)} | {_fmt(s['estimate'])} | {100 * lvl:.0f}% "
                f"[{_fmt(s['low'])}, {_fmt(s['high'])}] | {s['method']} | {s['n']} | "
                f"{s.get('note', '')} |"
            )
        lines += ["", "</details>", ""]
    settings = e.get("settings") or {}
    if settings:
        lines += ["Settings: " + ", ".join(f"`{k}={v}`" for k, v in settings.items()), ""]
    for f in e.get("figures", []):
        if f.get("path"):
            lines += [f"![{f['title']}]({f['path']})", ""]
    return lines


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


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    try:
        return f"{float(v):.4g}"
    except (TypeError, ValueError):
        return str(v)
