"""Reports: ``report.json`` (schema below, documented in ``verification/README.md``),
``report.md`` (summary table, then per claim its points and figures) and ``figures/*.png``.

:data:`REPORT_SCHEMA` is a JSON Schema (draft 2020-12); :func:`validate_report` checks a
report against it without third-party packages (types, required keys, enums, items).
"""

from __future__ import annotations

import json
import math
import platform
import re
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slttheory.verify.claims import BadClaim, Claim
from slttheory.verify.engine import ClaimResult, PointResult
from slttheory.verify.verdict import VERDICTS, fmt_point, fmt_value

__all__ = [
    "SCHEMA_VERSION",
    "REPORT_SCHEMA",
    "build_report",
    "validate_report",
    "write_report",
    "render_markdown",
    "environment",
]

SCHEMA_VERSION = 1

_num_or_null = {"type": ["number", "null"]}
_str_or_null = {"type": ["string", "null"]}

REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "slttheory verification report",
    "type": "object",
    "required": ["schema_version", "profile", "created", "environment", "claims"],
    "properties": {
        "schema_version": {"type": "integer", "enum": [SCHEMA_VERSION]},
        "profile": {"type": "string"},
        "created": {"type": "string"},
        "wall_s": _num_or_null,
        "environment": {
            "type": "object",
            "required": ["python", "torch", "device", "platform", "slttheory"],
            "properties": {
                "python": {"type": "string"},
                "torch": _str_or_null,
                "device": {"type": "string"},
                "platform": {"type": "string"},
                "slttheory": {"type": "string"},
            },
        },
        "summary": {"type": "object"},
        "claims": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "id",
                    "title",
                    "source",
                    "family",
                    "kind",
                    "verdict",
                    "reason",
                    "points",
                ],
                "properties": {
                    "id": _str_or_null,
                    "title": {"type": "string"},
                    "source": {"type": "string"},
                    "family": {"type": "string"},
                    "kind": {"type": "string"},
                    "path": {"type": "string"},
                    "predicted": _str_or_null,
                    "relation": {"type": "string"},
                    "evidence": {"type": "array", "items": {"type": "string"}},
                    "verdict": {"type": "string", "enum": list(VERDICTS)},
                    "reason": {"type": "string"},
                    "figure": _str_or_null,
                    "fits": {"type": "array", "items": {"type": "object"}},
                    "experiment": {
                        "type": ["object", "null"],
                        "required": ["name", "settings", "criteria", "statistics", "figures"],
                        "properties": {
                            "name": {"type": "string"},
                            "settings": {"type": "object"},
                            "criteria": {"type": "array", "items": {"type": "object"}},
                            "statistics": {"type": "object"},
                            "figures": {"type": "array", "items": {"type": "object"}},
                        },
                    },
                    "points": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": [
                                "params",
                                "verdict",
                                "reason",
                                "predicted",
                                "predicted_exact",
                                "closed_form",
                                "rank",
                                "llc",
                                "elapsed_s",
                            ],
                            "properties": {
                                "params": {"type": "object"},
                                "verdict": {"type": "string", "enum": list(VERDICTS)},
                                "reason": {"type": "string"},
                                "predicted": _num_or_null,
                                "predicted_exact": _str_or_null,
                                "closed_form": {
                                    "type": ["object", "null"],
                                    "required": ["value", "exact", "multiplicity"],
                                    "properties": {
                                        "value": _num_or_null,
                                        "exact": _str_or_null,
                                        "multiplicity": _str_or_null,
                                        "status": {"type": "string", "enum": ["ok", "error"]},
                                    },
                                },
                                "rank": {
                                    "type": ["object", "null"],
                                    "required": [
                                        "rank",
                                        "n_params",
                                        "lambda",
                                        "certified",
                                        "determines_lambda",
                                    ],
                                    "properties": {
                                        "rank": {"type": ["integer", "null"]},
                                        "n_params": {"type": ["integer", "null"]},
                                        "lambda": _num_or_null,
                                        "certified": {"type": "boolean"},
                                        "determines_lambda": {"type": "boolean"},
                                        "status": {"type": "string", "enum": ["ok", "error"]},
                                    },
                                },
                                "llc": {
                                    "type": ["object", "null"],
                                    "required": ["mean", "std_error", "diagnostics"],
                                    "properties": {
                                        "mean": _num_or_null,
                                        "std_error": _num_or_null,
                                        "diagnostics": {"type": "object"},
                                        "clean": {"type": "boolean"},
                                        "status": {"type": "string", "enum": ["ok", "error"]},
                                    },
                                },
                                "elapsed_s": {"type": "number"},
                            },
                        },
                    },
                },
            },
        },
    },
}


_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def validate_report(obj: Any, schema: Mapping[str, Any] = REPORT_SCHEMA, path: str = "$") -> None:
    """Raise ``ValueError`` naming the JSON path of the first violation of ``schema``.

    >>> validate_report({"schema_version": 1})
    Traceback (most recent call last):
    ...
    ValueError: $: missing required key 'profile'
    """
    t = schema.get("type")
    if t is not None:
        types = [t] if isinstance(t, str) else list(t)
        if not any(_TYPES[x](obj) for x in types):
            raise ValueError(f"{path}: expected {' or '.join(types)}, got {type(obj).__name__}")
    if "enum" in schema and obj not in schema["enum"]:
        raise ValueError(f"{path}: {obj!r} not one of {schema['enum']}")
    if isinstance(obj, dict):
        for k in schema.get("required", []):
            if k not in obj:
                raise ValueError(f"{path}: missing required key {k!r}")
        for k, sub in schema.get("properties", {}).items():
            if k in obj:
                validate_report(obj[k], sub, f"{path}.{k}")
    if isinstance(obj, list) and "items" in schema:
        for i, v in enumerate(obj):
            validate_report(v, schema["items"], f"{path}[{i}]")


def environment(device: str) -> dict[str, Any]:
    """Versions and machine, for the report header."""
    try:
        import torch

        tv = torch.__version__
        threads = torch.get_num_threads()
    except ImportError:  # pragma: no cover
        tv, threads = None, None
    import numpy
    import sympy

    from slttheory import __version__

    return {
        "python": platform.python_version(),
        "torch": tv,
        "device": device,
        "platform": platform.platform(),
        "slttheory": __version__,
        "numpy": numpy.__version__,
        "sympy": sympy.__version__,
        "torch_threads": threads,
        "machine": platform.machine(),
    }


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _point_json(pr: PointResult) -> dict[str, Any]:
    ev = pr.evidence
    out: dict[str, Any] = {
        "params": {k: list(v) if isinstance(v, tuple) else v for k, v in pr.params.items()},
        "verdict": pr.verdict.verdict,
        "reason": pr.verdict.reason,
        "predicted": None if pr.predicted is None else _finite(pr.predicted),
        "predicted_exact": None if pr.predicted is None else str(pr.predicted),
        "closed_form": None,
        "rank": None,
        "llc": None,
        "elapsed_s": float(ev.elapsed_s),
    }
    cf = ev.closed_form
    if cf is not None:
        sv = cf.sympy_value
        out["closed_form"] = {
            "status": cf.status,
            "value": None if sv is None else _finite(sv),
            "exact": cf.value,
            "multiplicity": cf.multiplicity,
            "case": cf.case,
            "source": cf.source,
            "lower": cf.lower,
            "upper": cf.upper,
            "error": cf.error,
        }
    rk = ev.rank
    if rk is not None:
        out["rank"] = {
            "status": rk.status,
            "rank": rk.rank,
            "n_params": rk.n_params,
            "lambda": None if rk.rank is None else rk.rank / 2,
            "certified": bool(rk.certified),
            "determines_lambda": bool(rk.determines_lambda),
            "schwartz_zippel_bound": rk.bound,
            "reason": rk.reason,
            "error": rk.error,
        }
    lc = ev.llc
    if lc is not None:
        out["llc"] = {
            "status": lc.status,
            "mean": _finite(lc.mean),
            "std_error": _finite(lc.std_error),
            "diagnostics": dict(lc.diagnostics),
            "clean": lc.clean,
            "problems": list(lc.problems),
            "config": dict(lc.config),
            "note": lc.note,
            "elapsed_s": lc.elapsed_s,
            "error": lc.error,
        }
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:80] or "claim"


def build_report(
    results: Sequence[ClaimResult],
    *,
    profile: str,
    device: str,
    created: str | None = None,
    wall_s: float | None = None,
    figures: Mapping[str, str] | None = None,
    experiment_figures: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> dict[str, Any]:
    """The ``report.json`` object for ``results`` (experiment claims: an ``experiment``
    entry with settings, criteria, statistics, figures with their data, and run records)."""
    from slttheory.verify.experiments import ExperimentClaimResult, experiment_json

    claims = []
    exp_s = 0.0
    for r in results:
        c = r.claim
        entry: dict[str, Any] = {
            "id": c.id,
            "title": c.title,
            "source": c.source,
            "family": c.family,
            "kind": c.kind,
            "path": c.path,
            "verdict": r.verdict.verdict,
            "reason": r.verdict.reason,
        }
        if isinstance(c, Claim):
            entry.update(
                {
                    "predicted": c.predicted,
                    "relation": c.relation,
                    "evidence": list(c.evidence),
                    "statement": c.statement,
                    "notes": c.notes,
                }
            )
            if c.scaling is not None:
                entry["scaling"] = {
                    "variable": c.scaling.variable,
                    "shape": c.scaling.shape,
                    "min_r2": c.scaling.min_r2,
                    "coefficients": None
                    if c.scaling.coefficients is None
                    else [float(x) for x in c.scaling.coefficients],
                }
        entry["fits"] = [
            {
                "group": dict(f.group),
                "source": f.source,
                "shape": f.shape,
                "x": list(f.x),
                "y": list(f.y),
                "coefficients": list(f.coefficients),
                "std_errors": list(f.std_errors),
                "r2": f.r2,
                "chi2_dof": f.chi2_dof,
            }
            for f in r.verdict.fits
        ]
        entry["figure"] = (figures or {}).get(c.id or c.path)
        entry["points"] = [_point_json(p) for p in r.points]
        if isinstance(r, ExperimentClaimResult):
            figs = (experiment_figures or {}).get(c.id)
            entry.update(statement=c.statement, notes=c.notes, evidence=["experiment"])
            entry["experiment"] = experiment_json(r, figs)
            paths = [f.get("path") for f in entry["experiment"]["figures"] if f.get("path")]
            entry["figure"] = paths[0] if paths else None
            exp_s += r.elapsed_s
        claims.append(entry)
    summary = {v: sum(1 for c in claims if c["verdict"] == v) for v in VERDICTS}
    return {
        "schema_version": SCHEMA_VERSION,
        "profile": profile,
        "created": created or datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_s": wall_s,
        "compute_s": round(
            sum(p["elapsed_s"] for c in claims for p in c["points"]) + exp_s, 3
        ),
        "environment": environment(device),
        "summary": summary,
        "claims": claims,
    }


# --- figures --------------------------------------------------------------------------------


def _figure(r: ClaimResult, path: Path) -> bool:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not r.points:
        return False
    c = r.claim
    assert isinstance(c, Claim)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    pts = r.points
    if c.kind == "scaling" and c.scaling is not None:
        var = c.scaling.variable
        xs = [float(p.params[var]) for p in pts]
        xlabel = var
    else:
        xs = list(range(len(pts)))
        xlabel = "grid point"
        ax.set_xticks(xs)
        ax.set_xticklabels(
            [fmt_point({k: p.params[k] for k in c.grid}) for p in pts],
            rotation=30,
            ha="right",
            fontsize=7,
        )
    pred = [
        (x, float(p.predicted)) for x, p in zip(xs, pts, strict=True) if p.predicted is not None
    ]
    if pred and c.kind != "scaling":
        ax.plot(
            *zip(*pred, strict=True),
            "o",
            mfc="none",
            ms=10,
            color="k",
            label=f"predicted ({c.relation})",
        )
    cfv = [
        (x, float(p.evidence.closed_form.sympy_value))
        for x, p in zip(xs, pts, strict=True)
        if p.evidence.closed_form is not None and p.evidence.closed_form.sympy_value is not None
    ]
    if cfv:
        ax.plot(*zip(*cfv, strict=True), "s", ms=5, color="tab:green", label="closed form")
    rkv = [
        (x, p.evidence.rank.rank / 2)
        for x, p in zip(xs, pts, strict=True)
        if p.evidence.rank is not None and p.evidence.rank.status == "ok"
    ]
    if rkv:
        ax.plot(*zip(*rkv, strict=True), "^", ms=6, color="tab:orange", label="rank/2")
    lcv = [
        (x, p.evidence.llc.mean, p.evidence.llc.std_error, p.evidence.llc.clean)
        for x, p in zip(xs, pts, strict=True)
        if p.evidence.llc is not None
        and p.evidence.llc.status == "ok"
        and _finite(p.evidence.llc.mean) is not None
    ]
    if lcv:
        for clean in (True, False):
            sel = [t for t in lcv if t[3] == clean]
            if sel:
                ax.errorbar(
                    [t[0] for t in sel],
                    [t[1] for t in sel],
                    yerr=[_finite(t[2]) or 0.0 for t in sel],
                    fmt="o" if clean else "x",
                    color="tab:blue" if clean else "tab:red",
                    capsize=3,
                    label="LLC ± s.e." + ("" if clean else " (diagnostics failed)"),
                )
    if c.kind == "scaling" and c.scaling is not None:
        import numpy as np

        grid_x = np.linspace(min(xs), max(xs), 100) if xs else np.array([])
        for f in r.verdict.fits:
            if f.source != "llc":
                continue
            y = _poly(f.coefficients, f.shape, grid_x)
            lab = f"fit {fmt_point(dict(f.group))} (R²={f.r2:.3f})".replace(" ()", "")
            ax.plot(grid_x, y, "-", lw=1, label=lab)
        if c.scaling.coefficients is not None:
            ax.plot(
                grid_x,
                _poly([float(v) for v in c.scaling.coefficients], c.scaling.shape, grid_x),
                "k--",
                lw=1,
                label="stated",
            )
        if c.predicted_expr is not None:
            ax.plot([x for x, _ in pred], [y for _, y in pred], "k:", lw=1, label="predicted")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("λ")
    ax.set_title(f"{c.id}: {r.verdict.verdict}", fontsize=9)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def _poly(coefs: Sequence[float], shape: str, x):
    if shape == "linear":
        return coefs[0] * x
    if shape == "affine":
        return coefs[0] * x + coefs[1]
    return coefs[0] * x**2 + coefs[1] * x


# --- markdown -------------------------------------------------------------------------------


def _md_escape(s: str) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def _llc_cell(p: dict[str, Any]) -> str:
    lc = p["llc"]
    if lc is None:
        return "–"
    if lc["status"] != "ok":
        return "error"
    if lc["mean"] is None:
        return "nan"
    flag = "" if lc["clean"] else " ⚠"
    se = lc["std_error"]
    return f"{lc['mean']:.3f} ± {se:.3f}{flag}" if se is not None else f"{lc['mean']:.3f}{flag}"


def _cf_cell(p: dict[str, Any]) -> str:
    cf = p["closed_form"]
    if cf is None:
        return "–"
    if cf["status"] != "ok":
        return "error"
    if cf["exact"] is None:
        return f"[{cf['lower']}, {cf['upper']}]"
    return cf["exact"]


def _rank_cell(p: dict[str, Any]) -> str:
    rk = p["rank"]
    if rk is None:
        return "–"
    if rk["status"] != "ok":
        return "error"
    used = "" if rk["determines_lambda"] else " (not used)"
    return f"{rk['rank']}/{rk['n_params']} → {fmt_value(rk['lambda'])}{used}"


def render_markdown(report: Mapping[str, Any]) -> str:
    """``report.md`` from the report object."""
    env = report["environment"]
    lines = [
        f"# slttheory verification report ({report['profile']} profile)",
        "",
        f"Created {report['created']} · python {env['python']} · torch {env['torch']} · device "
        f"{env['device']} · {env['platform']}"
        + (f" · wall time {report['wall_s']:.0f} s" if report.get("wall_s") else "")
        + (f" · point time (sum) {report['compute_s']:.0f} s" if report.get("compute_s") else ""),
        "",
        "Verdicts: " + ", ".join(f"{n} {v}" for v, n in report["summary"].items()),
        "",
        "| claim | family | kind | verdict | points | reason |",
        "|---|---|---|---|---|---|",
    ]
    for c in report["claims"]:
        counts = {}
        for p in c["points"]:
            counts[p["verdict"]] = counts.get(p["verdict"], 0) + 1
        cnt = " ".join(f"{n}{v[0]}" for v, n in counts.items()) or "–"
        reason = c["reason"]
        short = reason if len(reason) <= 160 else reason[:157] + "…"
        anchor = _slug(c["id"] or c["path"]).lower()
        lines.append(
            f"| [{_md_escape(c['id'] or c['path'])}](#{anchor}) | {c['family']} | {c['kind']} | "
            f"**{c['verdict']}** | {cnt} | {_md_escape(short)} |"
        )
    lines += [
        "",
        "Points: c = confirmed, r = refuted, i = inconclusive, e = error. "
        "⚠ = LLC diagnostics failed.",
        "",
    ]
    for c in report["claims"]:
        lines += [
            f"## {c['id'] or c['path']}",
            "",
            f'<a id="{_slug(c["id"] or c["path"]).lower()}"></a>',
            "",
        ]
        lines += [f"**{_md_escape(c['title'])}** — {_md_escape(c['source'])}", ""]
        if c.get("statement"):
            lines += [f"> {_md_escape(c['statement'])}", ""]
        pred = c.get("predicted")
        if pred:
            lines.append(
                f"Predicted: λ {c.get('relation', '==')} `{pred}`; family `{c['family']}`; "
                f"routes: {', '.join(c.get('evidence', []))}; file `{c['path']}`."
            )
        else:
            lines.append(
                f"Family `{c['family']}`; routes: {', '.join(c.get('evidence', []))}; "
                f"file `{c['path']}`."
            )
        if c.get("scaling"):
            s = c["scaling"]
            lines.append(
                f"Scaling: {s['shape']} in `{s['variable']}`, min R² {s['min_r2']}"
                + (f", stated coefficients {s['coefficients']}" if s["coefficients"] else "")
                + "."
            )
        lines += ["", f"**Verdict: {c['verdict']}.** {_md_escape(c['reason'])}", ""]
        if c.get("notes"):
            lines += [f"Notes: {_md_escape(c['notes'])}", ""]
        if c.get("experiment"):
            from slttheory.verify.experiments import experiment_markdown

            lines += experiment_markdown(c)
            continue
        if c["points"]:
            lines += [
                "| point | predicted | closed form | rank → λ | LLC ± s.e. | verdict | time (s) |",
                "|---|---|---|---|---|---|---|",
            ]
            for p in c["points"]:
                pe = p["predicted_exact"] if p["predicted_exact"] is not None else "–"
                lines.append(
                    f"| {_md_escape(fmt_point(p['params']))} | {pe} | {_cf_cell(p)} | "
                    f"{_rank_cell(p)} | "
                    f"{_llc_cell(p)} | {p['verdict']} | {p['elapsed_s']:.1f} |"
                )
            lines.append("")
            lines.append("<details><summary>reasons per point</summary>")
            lines.append("")
            for p in c["points"]:
                lines.append(f"- `{_md_escape(fmt_point(p['params']))}`: {_md_escape(p['reason'])}")
            lines += ["", "</details>", ""]
        if c.get("figure"):
            lines += [f"![{c['id']}]({c['figure']})", ""]
    return "\n".join(lines) + "\n"


def write_report(
    results: Sequence[ClaimResult],
    out_dir: str | Path,
    *,
    profile: str,
    device: str,
    wall_s: float | None = None,
    created: str | None = None,
    figures: bool = True,
) -> dict[str, Any]:
    """Write ``report.json``, ``report.md`` and ``figures/*.png`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    from slttheory.verify.experiments import ExperimentClaimResult, write_experiment_figures

    figs: dict[str, str] = {}
    exp_figs: dict[str, list[dict[str, Any]]] = {}
    if figures:
        fdir = out / "figures"
        fdir.mkdir(exist_ok=True)
        for r in results:
            if isinstance(r, ExperimentClaimResult):
                exp_figs[r.claim.id] = write_experiment_figures(r, fdir, _slug(r.claim.id))
                continue
            if isinstance(r.claim, BadClaim) or not r.points:
                continue
            name = f"{_slug(r.claim.id)}.png"
            try:
                if _figure(r, fdir / name):
                    figs[r.claim.id] = f"figures/{name}"
            except Exception as e:  # noqa: BLE001 - a figure never stops the report
                print(f"warning: figure for {r.claim.id} failed: {e}", file=sys.stderr)
    rep = build_report(
        results,
        profile=profile,
        device=device,
        created=created,
        wall_s=wall_s,
        figures=figs,
        experiment_figures=exp_figs if figures else None,
    )
    validate_report(rep)
    (out / "report.json").write_text(json.dumps(rep, indent=1, sort_keys=False, default=str) + "\n")
    (out / "report.md").write_text(render_markdown(rep))
    return rep
