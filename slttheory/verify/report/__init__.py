"""Reports: ``report.json`` (:mod:`~slttheory.verify.report.data`), ``report.md``
(:mod:`~slttheory.verify.report.markdown`), ``figures/*.png``
(:mod:`~slttheory.verify.report.figures`) and, when available, ``report.html``."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from slttheory.verify.judge import ExperimentClaimResult
from slttheory.verify.report.data import (
    REPORT_SCHEMA,
    SCHEMA_VERSION,
    build_report,
    environment,
    validate_report,
)
from slttheory.verify.report.figures import claim_figure, scan_figure
from slttheory.verify.report.markdown import render_markdown, slug

__all__ = ["SCHEMA_VERSION", "REPORT_SCHEMA", "build_report", "validate_report", "environment",
           "render_markdown", "write_report", "remove_report"]


def write_report(results: Sequence[Any], out_dir: str | Path, *, profile: str, device: str,
                 wall_s: float | None = None, created: str | None = None,
                 figures: bool = True) -> dict[str, Any]:
    """Write ``report.json``, ``report.md`` and ``figures/*.png`` into ``out_dir``."""
    from slttheory.verify.report.experiments import write_experiment_figures

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # this report's figures replace the earlier ones: a note only where none replace them
    _clear_figures(out / "figures", say=not figures)
    exp_figs: dict[str, list[dict[str, Any]]] = {}
    if figures:
        (out / "figures").mkdir(exist_ok=True)
        for r in results:
            if isinstance(r, ExperimentClaimResult):
                exp_figs[r.claim.id] = write_experiment_figures(r, out / "figures",
                                                                slug(r.claim.id))
    rep = build_report(results, profile=profile, device=device, created=created, wall_s=wall_s,
                       experiment_figures=exp_figs if figures else None)
    if figures:
        for c in rep["claims"]:
            if c.get("experiment") or not c.get("points"):
                continue
            for key, draw, name in (("figure", claim_figure, f"{slug(c['id'])}.png"),
                                    ("scan_figure", scan_figure, f"{slug(c['id'])}__scans.png")):
                try:
                    if draw(c, out / "figures" / name):
                        c[key] = f"figures/{name}"
                except Exception as e:  # noqa: BLE001 - a figure never stops the report
                    print(f"warning: {key} for {c['id']} failed: {e}", file=sys.stderr)
    # written first, validated after: a field the schema does not know (a bug) fails the run
    # loudly, but never loses the report of a long run
    # both rendered before either is written (a rendering that fails leaves neither new file
    # beside an old one), in UTF-8 whatever the locale's encoding
    text_json, text_md = json.dumps(rep, indent=1, default=str) + "\n", render_markdown(rep)
    (out / "report.json").write_text(text_json, encoding="utf-8")
    (out / "report.md").write_text(text_md, encoding="utf-8")
    try:
        validate_report(rep)
    except ValueError as e:
        raise ValueError(f"{out / 'report.json'} was written but does not match its schema "
                         f"(a bug; please report it): {e}") from e
    return rep


REPORT_FILES = ("report.json", "report.md", "report.html")


def remove_report(out_dir: str | Path) -> None:
    """Remove the report files and figures an earlier run left in ``out_dir``: a run without
    ``--resume`` has just cleared the store they were made from, and one interrupted before
    its own report would otherwise leave them beside a store that no longer holds their
    evidence."""
    out = Path(out_dir)
    gone = [n for n in REPORT_FILES if (out / n).is_file()]
    for n in gone:
        (out / n).unlink(missing_ok=True)
    if gone:
        print(f"note: removed the earlier run's {', '.join(gone)} from {out} (its store was "
              "cleared; rerun with --resume to keep a store and its report)", file=sys.stderr)
    _clear_figures(out / "figures")


def _clear_figures(folder: Path, say: bool = True) -> None:
    """Remove the PNGs an earlier report left in ``folder`` (the report's own folder), so
    that none outlives its report: a rerun with other claims, or ``--no-figures``, would
    otherwise leave figures of results no longer reported beside the new report."""
    if not folder.is_dir():
        return
    old = sorted(folder.glob("*.png"))
    for f in old:
        f.unlink(missing_ok=True)
    if old and say:
        print(f"note: removed {len(old)} figure(s) of an earlier report from {folder}",
              file=sys.stderr)
