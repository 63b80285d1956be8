"""Matplotlib (Agg) figures of experiment results, from a :class:`FigureSpec`'s data alone.

Kinds: ``curves`` (losses on a log axis and accuracies against the training step, the LLC on
a twin axis with ± s.e.; further twin series, e.g. estimates that failed diagnostics, as grey
crosses), ``scatter_fit`` (points, OLS line and its confidence band, optional
theory and diagonal), ``histogram`` (one panel per series), ``regimes`` (final accuracy
against scaled data size, coloured by regime), ``lines`` (several series against one x with
error bars).

>>> import tempfile, os
>>> from slttheory.experiments.base import FigureSpec
>>> f = FigureSpec("h", "histogram", "t", {"series": {"a": [1.0, 2.0, 2.5]}})
>>> with tempfile.TemporaryDirectory() as d:
...     _ = render(f, os.path.join(d, "h.png")); os.path.getsize(os.path.join(d, "h.png")) > 0
True
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from slttheory.experiments.base import FigureSpec

__all__ = ["render", "KINDS"]


def _arr(v: Any) -> np.ndarray:
    return np.asarray([np.nan if x is None else x for x in ([] if v is None else v)], dtype=float)


def _curves(ax, d: Mapping[str, Any]) -> None:
    x = _arr(d["x"])
    colors = iter(["tab:blue", "tab:orange", "tab:green", "tab:red"])
    for lab, ys in d.get("loss", {}).items():
        ax.plot(x, _arr(ys), "-", color=next(colors), label=lab)
    ax.set_yscale("log")
    ax.set_ylabel(d.get("loss_label", "loss"))
    ax.set_xlabel(d.get("xlabel", "training step"))
    if d.get("xscale") == "symlog":
        ax.set_xscale("symlog", linthresh=1)
    lines, labels = ax.get_legend_handles_labels()
    if d.get("acc"):
        ax2 = ax.inset_axes([0.0, -0.62, 1.0, 0.4], sharex=ax)
        for lab, ys in d["acc"].items():
            ax2.plot(x, _arr(ys), "-", label=lab)
        ax2.set_ylabel("accuracy")
        ax2.set_ylim(-0.05, 1.05)
        ax2.set_xlabel(d.get("xlabel", "training step"))
        ax2.legend(fontsize=7, loc="center right")
        ax.set_xlabel("")
    if d.get("twin"):
        tw = ax.twinx()
        for k, (lab, ys) in enumerate(d["twin"].items()):
            err = d.get("twin_err", {}).get(lab)
            y = _arr(ys)
            if k and not np.isfinite(y).any():
                continue
            tw.errorbar(
                x,
                y,
                yerr=None if err is None else _arr(err),
                fmt="o-" if k == 0 else "x",
                color="k" if k == 0 else "tab:gray",
                ms=3 if k == 0 else 5,
                lw=1,
                capsize=2,
                label=lab,
            )
        tw.set_ylabel(d.get("twin_label", "LLC"))
        l2, lb2 = tw.get_legend_handles_labels()
        lines, labels = lines + l2, labels + lb2
    ax.legend(lines, labels, fontsize=7, loc="best")


def _scatter(ax, d: Mapping[str, Any]) -> None:
    x, y = _arr(d["x"]), _arr(d["y"])
    ax.plot(x, y, "o", ms=4, alpha=0.7, label=f"runs (n = {int(np.isfinite(x * y).sum())})")
    fit = d.get("fit") or {}
    if fit.get("x") is not None and len(fit.get("x", [])):
        fx = _arr(fit["x"])
        ax.plot(
            fx,
            _arr(fit["y"]),
            "-",
            color="tab:red",
            label=f"OLS fit, slope {fit.get('slope', float('nan')):.3g}, "
            f"R² {fit.get('r2') if fit.get('r2') is None else round(fit['r2'], 3)}",
        )
        ax.fill_between(
            fx,
            _arr(fit["low"]),
            _arr(fit["high"]),
            color="tab:red",
            alpha=0.2,
            label=f"{100 * fit.get('level', 0.95):.0f}% confidence band",
        )
    th = d.get("theory")
    if th:
        ax.plot(_arr(th["x"]), _arr(th["y"]), "k^", ms=5, mfc="none", label=th.get("label"))
    if d.get("diagonal"):
        lim = np.nanmax(np.concatenate([x, y])) if x.size else 1.0
        ax.plot([0, lim], [0, lim], "k--", lw=1, label="y = x")
    if d.get("yscale"):
        ax.set_yscale(d["yscale"])
    ax.set_xlabel(d.get("xlabel", "x"))
    ax.set_ylabel(d.get("ylabel", "y"))
    ax.legend(fontsize=7)


def _regimes(ax, d: Mapping[str, Any]) -> None:
    x, y = _arr(d["x"]), _arr(d["y"])
    reg = np.asarray(d["regime"])
    names = {
        0: ("no generalisation", "tab:red"),
        1: ("grokking", "tab:orange"),
        2: ("immediate generalisation", "tab:green"),
        3: ("still rising at the last step", "tab:gray"),
    }
    groups = np.asarray(d.get("group", [0] * len(x)))
    markers = dict(zip(sorted(set(groups.tolist())), "osD^v<>p*h", strict=False))
    for code, (lab, col) in names.items():
        for gval, mk in markers.items():
            sel = (reg == code) & (groups == gval)
            if sel.any():
                ax.plot(x[sel], y[sel], mk, color=col, ms=6, label=f"{lab}, p = {gval}")
    for v in d.get("vlines", []):
        ax.axvline(v, color="k", lw=0.8, ls=":")
    ax.set_xlabel(d.get("xlabel", "x"))
    ax.set_ylabel(d.get("ylabel", "y"))
    ax.legend(fontsize=6, ncol=2)


def _lines(ax, d: Mapping[str, Any]) -> None:
    x = _arr(d["x"])
    for lab, ys in d["series"].items():
        err = d.get("errors", {}).get(lab)
        ax.errorbar(
            x,
            _arr(ys),
            yerr=None if err is None else _arr(err),
            fmt="o-",
            ms=4,
            capsize=2,
            label=lab,
        )
    for lab, ys in d.get("reference", {}).items():
        ax.plot(x, _arr(ys), "k--", lw=1, label=lab)
    if d.get("yscale"):
        ax.set_yscale(d["yscale"])
    ax.set_xlabel(d.get("xlabel", "x"))
    ax.set_ylabel(d.get("ylabel", "y"))
    ax.legend(fontsize=7)


KINDS = ("curves", "scatter_fit", "histogram", "regimes", "lines")


def render(spec: FigureSpec, path: str | Path) -> Path:
    """Draw ``spec`` to the PNG ``path`` and return it (on a bare ``Figure``, with its own
    Agg canvas: the caller's pyplot backend and figures are left as they were)."""
    from matplotlib.figure import Figure

    if spec.kind not in KINDS:
        raise ValueError(f"spec.kind must be one of {KINDS}, got {spec.kind!r}")
    d = spec.data
    if spec.kind == "histogram":
        series = {k: _arr(v) for k, v in d["series"].items()}
        fig = Figure(figsize=(4.0 * len(series), 3.4))
        axes = fig.subplots(1, len(series), squeeze=False)
        for ax, (lab, v) in zip(axes[0], series.items(), strict=True):
            v = v[np.isfinite(v)]
            ax.hist(v, bins=max(5, min(30, v.size // 3 or 5)), color="tab:blue", alpha=0.8)
            ax.set_xlabel(lab)
            ax.set_ylabel("runs")
        fig.suptitle(spec.title, fontsize=9)
    else:
        tall = spec.kind == "curves" and d.get("acc")
        fig = Figure(figsize=(6.6, 6.0 if tall else 4.2))
        ax = fig.subplots()
        if tall:
            fig.subplots_adjust(bottom=0.38, top=0.93, right=0.86)
        {"curves": _curves, "scatter_fit": _scatter, "regimes": _regimes, "lines": _lines}[
            spec.kind
        ](ax, d)
        ax.set_title(spec.title, fontsize=9)
        if not tall:
            fig.tight_layout()
    p = Path(path)
    fig.savefig(p, dpi=90)
    return p
