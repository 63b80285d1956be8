"""Reports: ``report.json`` (:mod:`~slttheory.verify.report.data`), ``report.md``
(:mod:`~slttheory.verify.report.markdown`), ``figures/*.png``
(:mod:`~slttheory.verify.report.figures`) and, when available, ``report.html``."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from slttheory.verify.evidence.records import jsonable
from slttheory.verify.judge import ExperimentClaimResult
from slttheory.verify.report.data import (
    REPORT_SCHEMA,
    SCHEMA_VERSION,
    build_report,
    environment,
    validate_report,
)
from slttheory.verify.report.figures import claim_figure, scan_figure
from slttheory.verify.report.files import write_text_atomic
from slttheory.verify.report.markdown import render_markdown, slug

__all__ = ["SCHEMA_VERSION", "REPORT_SCHEMA", "build_report", "validate_report", "environment",
           "render_markdown", "write_report", "remove_report", "own_report",
           "foreign_report_files", "ReportSchemaError"]


class ReportSchemaError(ValueError):
    """``report.json`` was written (and ``report.md`` beside it) but does not match its own
    schema: a bug in slttheory, never in the user's claims. ``path``: the file; ``field``:
    the JSON path of the first violation (``$.claims[0].points[2].llc``); ``problem``: what
    :func:`validate_report` said; ``report``: the report as written, so that a caller can
    still show its verdicts and write ``report.html``."""

    def __init__(self, path: Path, problem: str, report: dict[str, Any]) -> None:
        self.path, self.problem, self.report = Path(path), problem, report
        head, sep, _ = problem.partition(": ")
        self.field = head if sep and head.startswith("$") else "$"
        super().__init__(f"{self.path} was written but does not match its schema (a bug; "
                         f"please report it): {problem}")


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
    # strict JSON whatever slipped through un-normalised: a non-finite float as the string
    # "nan", "inf" or "-inf", as evidence numbers are (jsonable), never the bare NaN that
    # Python writes and strict parsers (JSON.parse, jq, serde) refuse
    text_json = json.dumps(jsonable(rep), indent=1, allow_nan=False) + "\n"
    text_md = render_markdown(rep)
    # each whole or not at all (report.files): an interrupt while writing leaves the earlier
    # file as it was, not a truncated one
    write_text_atomic(out / "report.json", text_json)
    write_text_atomic(out / "report.md", text_md)
    try:
        validate_report(rep)
    except ValueError as e:  # the files stay: the caller says so (cli._run_and_report)
        raise ReportSchemaError(out / "report.json", str(e), rep) from e
    return rep


REPORT_FILES = ("report.json", "report.md", "report.html")


def own_report(out_dir: str | Path) -> bool:
    """Whether ``out_dir/report.json`` is a report of this package (a JSON object with
    ``schema_version`` and ``claims``): the sign that the folder's report files and figures
    are an earlier run's, not the user's own."""
    return _own_claims(Path(out_dir)) is not None


def _own_claims(out: Path) -> list | None:
    try:
        rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # nested too deeply: not one of ours
        return None
    ok = isinstance(rep, dict) and "schema_version" in rep and isinstance(rep.get("claims"), list)
    return rep["claims"] if ok else None


def foreign_report_files(out_dir: str | Path) -> list[str]:
    """The report files (``report.json``, ``report.md``, ``report.html``) in ``out_dir`` that
    no report of this package wrote (there is no report.json of one): a run would replace
    them, so the command line refuses such a folder."""
    out = Path(out_dir)
    have = [n for n in REPORT_FILES if (out / n).exists()]
    return [] if not have or own_report(out) else have


def _earlier_figures(out: Path, claims: list | None) -> list[Path]:
    """The PNGs under ``out/figures`` that the earlier report's ``claims`` (:func:`_own_claims`
    of ``out``) name (every ``figures/<name>.png`` in them): only these are the report's to
    remove; other files there (a user's own figures) are left alone."""
    found: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, str) and v.startswith("figures/") and v.endswith(".png") \
                and "/" not in v[len("figures/"):]:
            found.add(v[len("figures/"):])

    walk(claims)
    return [out / "figures" / n for n in sorted(found) if (out / "figures" / n).is_file()]


def remove_report(out_dir: str | Path) -> None:
    """Remove the report files and figures an earlier run left in ``out_dir``: a run without
    ``--resume`` has just cleared the store they were made from, and one interrupted before
    its own report would otherwise leave them beside a store that no longer holds their
    evidence. Only an earlier report's own files go (:func:`own_report`, its figures by name):
    a user's files in the folder are never removed."""
    out = Path(out_dir)
    claims = _own_claims(out)
    if claims is None:  # no report of this package: nothing here is an earlier run's
        return
    figs = _earlier_figures(out, claims)
    gone = [n for n in REPORT_FILES if (out / n).is_file()]
    # report.json last, its figures first: it is what marks the other files as a report's,
    # and a run stopped after removing it first (a Ctrl-C between two unlinks) had left
    # report.md and report.html that every later run into the folder refused as a user's own
    _remove_figures(figs, out / "figures")
    for n in sorted(gone, key=lambda n: n == "report.json"):
        (out / n).unlink(missing_ok=True)
    if gone:
        print(f"note: removed the earlier run's {', '.join(gone)} from {out} (its store was "
              "cleared; rerun with --resume to keep a store and its report)", file=sys.stderr)


def _clear_figures(folder: Path, say: bool = True) -> None:
    """Remove the PNGs the earlier report in ``folder``'s parent named, so that none outlives
    its report: a rerun with other claims, or ``--no-figures``, would otherwise leave figures
    of results no longer reported beside the new report. Other files are left alone."""
    _remove_figures(_earlier_figures(folder.parent, _own_claims(folder.parent)), folder, say)


def _remove_figures(old: Sequence[Path], folder: Path, say: bool = True) -> None:
    for f in old:
        f.unlink(missing_ok=True)
    if old and say:
        print(f"note: removed {len(old)} figure(s) of an earlier report from {folder}",
              file=sys.stderr)
