"""Figures: one PNG per point claim (the data behind it stays in ``report.json``).

Small grids: every point's predicted λ, the closed form (filled where certified, hollow where it
is the claim's own statement), rank/2 where it determines λ, and the LLC with its controlled
band (blue bar) or uncontrolled (grey) or failed (red). Scaling claims: λ against the variable with
the stated and rival fits. Large grids (more than ``markdown.LARGE`` points): a heat map of the
verdicts over the two grid variables with the most values (the worst verdict per cell), whose
cost does not grow with the number of points beyond one pass over them. Beside it, for the
points whose LLC sampled a temperature scan, the scans themselves (:func:`scan_figure`): each
temperature's λ̂, the fitted finite-nβ law, the estimate's interval and the laws it spans,
against the prediction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import special

from slttheory.verify.evidence.records import finite
from slttheory.verify.judge import fmt_point
from slttheory.verify.report.data import counts_text, only_in_fit
from slttheory.verify.report.files import replacing
from slttheory.verify.report.markdown import LARGE

__all__ = ["claim_figure", "scan_figure"]

_ORDER = {"in the fit": 0, "confirmed": 1, "inconclusive": 2, "error": 3, "refuted": 4}
"""A heat map cell's colour: its worst point's verdict; a scaling claim's points that only
enter its fit (``data.only_in_fit``) have no verdict of their own and rank below every one."""
_COLOURS = ("tab:blue", "tab:green", "tab:gray", "tab:orange", "tab:red")


def _new(figsize=(6.4, 4.0)):
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.add_subplot(1, 1, 1)


def _fin(v: Any) -> float | None:
    """A number of ``report.json`` as a finite float; ``None`` for none, a non-finite one (which
    report.json writes as "nan", "inf", "-inf") or anything else: such a value is left out of
    a figure, never its end.

    >>> _fin(1), _fin("nan"), _fin(float("inf")), _fin(None), _fin(True)
    (1.0, None, None, None, None)
    """
    return None if isinstance(v, bool) else finite(v)


def _nan(v: Any) -> float:
    """``_fin(v)``, with NaN for none: a gap in a line or a list of points."""
    x = _fin(v)
    return math.nan if x is None else x


def _save(fig: Any, path: Path, dpi: int) -> None:
    """``fig`` as a PNG at ``path``, whole or not at all (:func:`~.files.replacing`)."""
    with replacing(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")


def _poly(coefs: Sequence[float], shape: str, x: np.ndarray) -> np.ndarray:
    if shape == "linear":
        return coefs[0] * x
    if shape == "affine":
        return coefs[0] * x + coefs[1]
    if shape == "affine_xlogx":
        return coefs[0] * _xlogx(x) + coefs[1]
    if shape == "xlogx":
        return coefs[0] * _xlogx(x)
    if shape == "quadratic":
        return coefs[0] * x**2 + coefs[1] * x
    raise ValueError(f"no curve for shape {shape!r}")


def _xlogx(x: np.ndarray) -> np.ndarray:
    """x·log x as the fit reads it (``judge.scaling``'s design, ``xlogy``): 0 at x = 0, and
    NaN (a gap in the curve) at x < 0, where it is not defined; ``x * np.log(x)`` had left a
    gap at 0 and warned "invalid value encountered in log" on a grid with x ≤ 0.

    >>> _xlogx(np.array([-1.0, 0.0, 1.0])).tolist()
    [nan, 0.0, 0.0]
    """
    x = np.asarray(x, float)
    safe = np.where(x >= 0, x, 1.0)
    return np.where(x >= 0, special.xlogy(safe, safe), np.nan)


def heat_cells(c: Mapping[str, Any]) -> tuple[list[str], list[str], list[str], np.ndarray]:
    """The heat map's axes (the two grid variables with the most values), their values as
    shown, and each cell's worst verdict (:data:`_ORDER`; -1 where no point lies). Grid values
    and point values are matched by one key (:func:`_val`): a list-valued variable
    (``widths``, ``powers``) had been keyed ``[2, 1, 3]`` on the axis and ``(2, 1, 3)`` at the
    points, so that its heat map drew no cell at all (a red-team audit of the reports).

    >>> c = {"grid": {"widths": [[2, 1], [2, 2]]}, "points": [
    ...     {"params": {"widths": [2, 1]}, "verdict": "refuted"},
    ...     {"params": {"widths": [2, 2]}, "verdict": "confirmed"}]}
    >>> heat_cells(c)[3].tolist()
    [[4, 1]]
    """
    grid = c.get("grid") or {}
    names = sorted(grid, key=lambda k: -len(grid[k]))[:2]
    if not names:
        return [], [], [], np.full((0, 0), -1, dtype=int)
    if len(names) == 1:
        names = [names[0], names[0]]
    xkeys = [str(_val(v)) for v in grid[names[0]]]
    ykeys = [str(_val(v)) for v in grid[names[1]]] if names[1] != names[0] else ["–"]
    cell = np.full((len(ykeys), len(xkeys)), -1, dtype=int)
    ix = {v: i for i, v in enumerate(xkeys)}
    iy = {v: i for i, v in enumerate(ykeys)}
    for p in c["points"]:
        i = ix.get(str(_val(p["params"].get(names[0]))))
        j = iy.get(str(_val(p["params"].get(names[1])))) if names[1] != names[0] else 0
        if i is not None and j is not None:
            v = "in the fit" if only_in_fit(p) else p["verdict"]
            cell[j, i] = max(cell[j, i], _ORDER[v])
    xs = [str(v) for v in grid[names[0]]]
    ys = [str(v) for v in grid[names[1]]] if names[1] != names[0] else ["–"]
    return names, xs, ys, cell


def _heatmap(c: Mapping[str, Any], path: Path) -> bool:
    names, xs, ys, cell = heat_cells(c)
    if not names:
        return False
    from matplotlib.colors import ListedColormap

    fig, ax = _new((7.0, 5.0))
    masked = np.ma.masked_less(cell, 0)
    ax.imshow(masked, cmap=ListedColormap(_COLOURS), vmin=0, vmax=len(_COLOURS) - 1,
              aspect="auto", origin="lower", interpolation="nearest")
    step = max(1, len(xs) // 12)
    ax.set_xticks(range(0, len(xs), step), [_text(v) for v in xs[::step]], fontsize=7)
    step = max(1, len(ys) // 12)
    ax.set_yticks(range(0, len(ys), step), [_text(v) for v in ys[::step]], fontsize=7)
    ax.set_xlabel(_text(names[0]))
    ax.set_ylabel(_text(names[1]) if names[1] != names[0] else "")
    counts = counts_text(c["point_counts"])
    ax.set_title(f"{c['id']}: {c['verdict']} ({counts}; worst verdict per cell)", fontsize=8)
    fig.tight_layout()
    _save(fig, path, 90)
    return True


def _text(s: Any) -> str:
    """``s`` as literal figure text: a claim's own strings (a grid value, a variable or shape
    name) may hold ``$``, which matplotlib reads as the start of math and then fails to draw.

    >>> _text("cost $5"), _text(3)
    ('cost \\\\$5', '3')
    """
    return str(s).replace("$", r"\$")


def _val(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def claim_figure(c: Mapping[str, Any], path: Path) -> bool:
    """Draw the figure of one claim entry of ``report.json`` to ``path``; ``False`` if none."""
    pts = c.get("points") or []
    if not pts:
        return False
    if len(pts) > LARGE:
        return _heatmap(c, path)
    fig, ax = _new()
    scaling = c.get("scaling")
    if scaling:
        var = scaling["variable"]
        xs = [float(p["params"][var]) for p in pts]
        ax.set_xlabel(_text(var))
    else:
        xs = list(range(len(pts)))
        names = list(c.get("grid") or {})
        ax.set_xticks(xs, [_text(fmt_point({k: p["params"][k] for k in names
                                            if k in p["params"]})) for p in pts],
                      rotation=30, ha="right", fontsize=7)
        ax.set_xlabel("grid point")
    pred = [(x, _fin(p["predicted"])) for x, p in zip(xs, pts, strict=True)
            if _fin(p["predicted"]) is not None]
    if pred and not scaling:
        ax.plot(*zip(*pred, strict=True), "o", mfc="none", ms=10, color="k",
                label=f"predicted ({c.get('relation', '==')})")
    # The closed form is drawn filled only where it is evidence (certified: an established
    # formula from another source); the claim's own statement is hollow (context).
    for certified, mfc, label in ((True, "tab:green", "closed form (certified)"),
                                  (False, "none", "closed form (context: never evidence)")):
        cf = [(x, _fin(p["closed_form"]["value_float"])) for x, p in zip(xs, pts, strict=True)
              if p["closed_form"] and _fin(p["closed_form"].get("value_float")) is not None
              and (p["closed_form"].get("grade") == "certified") == certified]
        if cf:
            ax.plot(*zip(*cf, strict=True), "s", ms=5, color="tab:green", mfc=mfc, label=label)
    rk = [(x, _fin(p["rank"]["lambda"])) for x, p in zip(xs, pts, strict=True)
          if p["rank"] and _fin(p["rank"].get("lambda")) is not None
          and p["rank"]["determines_lambda"]]
    if rk:
        ax.plot(*zip(*rk, strict=True), "^", ms=6, color="tab:orange", label="rank/2 (certified)")
    styles = {"controlled": ("o", "tab:blue"), "uncontrolled": ("o", "tab:gray"),
              "failed": ("x", "tab:red")}
    for grade, (marker, colour) in styles.items():
        sel = [(x, p["llc"]) for x, p in zip(xs, pts, strict=True)
               if p["llc"] and _fin(p["llc"].get("mean")) is not None
               and p["llc"].get("grade") == grade]
        if not sel:
            continue
        ax.errorbar([x for x, _ in sel], [_fin(lc["mean"]) for _, lc in sel],
                    yerr=[abs(_fin(lc.get("std_error")) or 0.0) for _, lc in sel], fmt=marker,
                    color=colour, capsize=3, label=f"LLC ± s.e. ({grade})")
        bands = [(x, _fin(lc["band"]["low"]), _fin(lc["band"]["high"])) for x, lc in sel
                 if grade == "controlled" and _fin((lc.get("band") or {}).get("low")) is not None
                 and _fin(lc["band"].get("high")) is not None]
        for i, (x, low, high) in enumerate(bands):
            ax.vlines(x + 0.08, low, high, color=colour, lw=3, alpha=0.4,
                      label="controlled band (the verdict reads it)" if i == 0 else None)
    if scaling:
        gx = np.linspace(min(xs), max(xs), 100)
        for f in c.get("fits", []):  # on certified values, LLC values or both
            if any(_fin(k) is None for k in f["coefficients"]):
                continue  # a fit that gave no finite curve: nothing to draw
            style = "-" if f.get("role") == "stated" else ":"
            ax.plot(gx, _poly(f["coefficients"], f["shape"], gx), style, lw=1,
                    label=_text(f"{f.get('role', 'fit')} {f['shape']} {fmt_point(f['group'])} "
                                f"({f.get('source', 'llc')})".strip()))
    ax.set_ylabel("λ")
    ax.set_title(f"{c['id']}: {c['verdict']} ({c.get('grade', 'none')})", fontsize=9)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    fig.tight_layout()
    _save(fig, path, 90)
    return True


def _scan_numbers(rec: Mapping[str, Any]) -> dict[str, Any]:
    """A scan record of ``report.json`` with its numbers as floats, NaN where non-finite
    (written as "nan", "inf"): matplotlib leaves NaN out, and "inf" as text had ended the
    figure of every scan of the claim."""
    out = dict(rec)
    for k in ("nbeta", "llc", "mc_error", "corrected", "curve_nbeta", "curve", "ci"):
        if isinstance(rec.get(k), list):
            out[k] = [_nan(v) for v in rec[k]]
    out["value"] = _nan(rec.get("value"))
    if isinstance(rec.get("laws"), list):
        out["laws"] = [{**law, "value": _nan(law.get("value")),
                        "std_error": _nan(law.get("std_error"))} if isinstance(law, dict)
                       else law for law in rec["laws"]]
    return out


SCAN_PANELS = 6
"""Scans drawn per claim at most (its first points with a sampled scan)."""


def scan_figure(c: Mapping[str, Any], path: Path) -> bool:
    """Draw the LLC temperature scans of a claim entry of ``report.json`` to ``path``, one
    panel per point (at most :data:`SCAN_PANELS`); ``False`` if no point has one."""
    from slttheory.sampling.plot import plot_scan_record

    pts = [p for p in c.get("points") or [] if (p.get("llc") or {}).get("scan")]
    if not pts:
        return False
    pts = pts[:SCAN_PANELS]
    cols = min(2, len(pts))
    rows = (len(pts) + cols - 1) // cols
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.0 * cols, 3.8 * rows))
    for i, p in enumerate(pts):
        ax = fig.add_subplot(rows, cols, i + 1)
        lc = p["llc"]
        title = _text(f"{fmt_point(p['params']) or 'the point'}: LLC {lc.get('grade', '')}, "
                      f"point {p['verdict']}")
        try:
            plot_scan_record(_scan_numbers(lc["scan"]), ax, lam=_fin(p.get("predicted")),
                             title=title)
        except Exception as e:  # noqa: BLE001 - one scan never loses the others' panels
            ax.clear()
            ax.set_title(title, fontsize=9)
            ax.text(0.5, 0.5, f"scan not drawn ({type(e).__name__}); report.json has it",
                    ha="center", va="center", transform=ax.transAxes, fontsize=8)
    fig.suptitle(f"{c['id']}: LLC temperature scans (dotted: the predicted λ)", fontsize=9)
    fig.tight_layout()
    _save(fig, path, 80)
    return True
