"""Plots of an LLC run: the chains' traces and the temperature scan with its finite-nβ fit
(matplotlib; safe under the non-interactive Agg backend)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from slttheory.sampling._checks import positive_float, positive_int

__all__ = ["plot_scan", "plot_scan_record", "plot_trace", "scan_record"]


def _axes(ax: Any, figsize: tuple[float, float]) -> tuple[Any, Any]:
    """``(figure, axes)``: a new figure's axes for ``ax=None``, else ``ax``'s own."""
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize)
        return fig, fig.add_subplot(1, 1, 1)
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {ax!r}")
    return ax.figure, ax


def plot_trace(estimate: Any, ax: Any = None) -> Any:
    """Plot each chain's running estimate nβ(L_n(w_t) − L_n(w*)) with the final LLC ± s.e.
    (and, for an extrapolated estimate, the traces' own mean λ̂(nβ), ``estimate.single``).

    Returns the matplotlib ``Figure``. ``estimate`` is an
    :class:`~slttheory.sampling.LLCEstimate`; ``ax`` an optional axes to draw on.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import torch, warnings
    >>> from slttheory.sampling import estimate_llc
    >>> x = torch.randn(100, 1, generator=torch.Generator().manual_seed(0))
    >>> model = torch.nn.Linear(1, 1, bias=False)
    >>> _ = torch.nn.init.ones_(model.weight)   # y = x exactly: w* = 1 is the minimum
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")       # a 50-draw demo run has a small ESS
    ...     est = estimate_llc(model, (x, x), draws=50, step_size=1e-3, device="cpu")
    >>> fig = plot_trace(est)
    >>> len(fig.axes[0].lines) >= 2
    True
    """
    import matplotlib.pyplot as plt

    if not all(hasattr(estimate, a) for a in ("config", "loss_trace", "init_loss", "llc")):
        raise TypeError(f"estimate must be an LLCEstimate, got {type(estimate).__name__}")
    fig, ax = _axes(ax, (7, 3.5))
    cfg = estimate.config
    scaled = cfg.nbeta * (np.asarray(estimate.loss_trace) - estimate.init_loss)
    steps = np.arange(cfg.burn_in, cfg.burn_in + scaled.shape[1])
    for k, row in enumerate(scaled):
        ax.plot(steps, row, lw=0.5, alpha=0.6, label=f"chain {k}")
    ax.axhline(estimate.llc, color="k", lw=1.2,
               label=f"LLC = {estimate.llc:.3g} ± {estimate.std_error:.2g}")
    if np.isfinite(estimate.std_error):
        ax.axhspan(estimate.llc - 2 * estimate.std_error, estimate.llc + 2 * estimate.std_error,
                   color="k", alpha=0.1)
    if estimate.method != "single" and np.isfinite(estimate.single):
        ax.axhline(estimate.single, color="k", lw=1.0, ls="--",
                   label=f"traces' mean λ̂(nβ) = {estimate.single:.3g}")
    ax.set_xlabel("step (after burn-in)")
    ax.set_ylabel(r"$n\beta\,(L_n(w_t) - L_n(w^*))$")
    title = f"{cfg.sampler}, eps={cfg.step_size:.3g}, gamma={cfg.localization:.3g}"
    if estimate.diagnostics.divergent:
        title += "  [DIVERGENT]"
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper right")
    del plt
    return fig


def scan_record(estimate: Any, reach: float = 100.0, points: int = 40) -> dict[str, Any]:
    """The temperature scan of an extrapolated estimate as JSON-able numbers: what
    :func:`plot_scan` draws, for a report to store and draw later (:func:`plot_scan_record`).

    ``nbeta``, ``llc``, ``mc_error`` and ``corrected`` per temperature; ``fit`` (the law in
    words) and its values ``curve`` at ``curve_nbeta`` (``points`` values from the lowest
    temperature to ``reach`` × the highest); ``value`` and ``ci``, the estimate and its 95 %
    interval; ``laws``, ``{"law", "value", "std_error"}`` of every law the interval spans. Empty
    for an estimate without a sampled scan (``method="single"``, or λ = k/2 at a Morse–Bott
    zero without ``record_scan=True``).

    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from slttheory.sampling.extrapolate import GRID, fit_finite_nbeta
    >>> f = np.asarray(GRID)
    >>> fit = fit_finite_nbeta(f, 1.0 - 0.2 * f ** -1.0, np.full(4, 0.01), 100.0, "pow1")
    >>> scan = SimpleNamespace(nbeta=100.0 * f, llc=fit.values, mc_error=fit.errors,
    ...                        corrected=fit.values, fit=fit, laws=(("pow1", 1.0, 0.01),))
    >>> rec = scan_record(SimpleNamespace(temperatures=scan, llc=1.0, ci=(0.98, 1.02)))
    >>> round(rec["value"], 6), len(rec["curve"]), round(rec["curve"][-1], 4)   # 1 − 0.2/100
    (1.0, 40, 0.998)
    >>> rec["laws"]   # one object per law, so that report.json holds no mixed lists
    [{'law': 'pow1', 'value': 1.0, 'std_error': 0.01}]
    """
    reach = positive_float("reach", reach)
    if reach < 1:
        raise ValueError(f"reach must be >= 1 (a multiple of the highest nβ), got {reach}")
    points = positive_int("points", points, minimum=2)
    scan = getattr(estimate, "temperatures", None)
    if scan is None or np.size(scan.nbeta) == 0:
        return {}
    t = np.asarray(scan.nbeta, float)
    t0 = float(t.max())
    grid = np.geomspace(t.min(), reach * t0, points)
    curve = np.asarray(scan.fit.predict(grid / t0, t0), float)
    lo, hi = estimate.ci
    return {
        "nbeta": t.tolist(), "llc": np.asarray(scan.llc, float).tolist(),
        "mc_error": np.asarray(scan.mc_error, float).tolist(),
        "corrected": np.asarray(scan.corrected, float).tolist(),
        "fit": scan.fit.describe(), "curve_nbeta": grid.tolist(),
        "curve": [float(v) if np.isfinite(v) else None for v in curve],
        "value": float(estimate.llc), "ci": [float(lo), float(hi)],
        "laws": [{"law": str(m), "value": float(v), "std_error": float(se)}
                 for m, v, se in (scan.laws or ())],
    }


def plot_scan(estimate: Any, ax: Any = None, lam: float | None = None) -> Any:
    """Plot the temperature scan of an extrapolated estimate (the default method): each
    temperature's λ̂(t_j) ± 2 Monte-Carlo errors, the values fitted (corrected for the
    discretisation and localisation biases), the fitted finite-nβ law continued to 100 nβ, and
    at the right edge, for nβ → ∞, the estimate with its 95 % interval beside the value of
    every law the interval spans (± 2 s.e.). ``lam``: a value to compare with (a closed form),
    dotted.

    Returns the matplotlib ``Figure``. Raises ``ValueError`` for an estimate without a
    sampled scan (``method="single"``, or λ = k/2 at a Morse–Bott zero without
    ``record_scan=True``): :func:`plot_trace` shows those.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import torch, warnings
    >>> from slttheory.sampling import estimate_llc
    >>> x = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
    >>> model = torch.nn.Linear(2, 1)
    >>> y = model(x).detach() + 0.1 * torch.randn(200, 1, generator=torch.Generator())
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")       # a short demo run
    ...     est = estimate_llc(model, (x, y), draws=200, morse_bott=False, device="cpu")
    >>> fig = plot_scan(est, lam=1.5)             # regular, d = 3: λ = 3/2
    >>> ax = fig.axes[0]
    >>> ax.get_xscale(), len(ax.lines) >= 2
    ('log', True)
    """
    rec = scan_record(estimate)
    if not rec:
        raise ValueError("plot_scan: the estimate has no sampled temperature scan "
                         "(method='single', or λ = k/2 at a Morse–Bott zero without "
                         "record_scan=True); plot_trace shows its chains")
    cfg = estimate.config
    title = f"{cfg.sampler}, n = {cfg.n}, {len(rec['nbeta'])} temperatures × {cfg.chains} chains"
    return plot_scan_record(rec, ax, lam, title)


def plot_scan_record(rec: Mapping[str, Any], ax: Any = None, lam: float | None = None,
                     title: str = "") -> Any:
    """Draw a :func:`scan_record` (see :func:`plot_scan`); returns the ``Figure``."""
    if lam is not None:  # a float, or an exact closed form (sympy Rational) as one
        try:
            if isinstance(lam, bool | str):
                raise TypeError
            lam = float(lam)
        except (TypeError, ValueError):
            raise TypeError(f"lam must be a number or None, got {lam!r}") from None
    fig, ax = _axes(ax, (7, 4))
    t = np.asarray(rec["nbeta"], float)
    t0 = float(t.max())
    ax.errorbar(t, rec["llc"], yerr=2 * np.asarray(rec["mc_error"], float), fmt="o",
                mfc="none", color="C0", capsize=3, label="λ̂(nβ) ± 2 MC errors")
    if not np.allclose(rec["corrected"], rec["llc"]):
        ax.plot(t, rec["corrected"], "o", color="C0", label="values fitted (bias-corrected)")
    curve = np.array([np.nan if v is None else v for v in rec["curve"]], float)
    if np.isfinite(curve).any():
        ax.plot(rec["curve_nbeta"], curve, color="C1", lw=1.2, label=rec["fit"])
    edge = 200 * t0
    ax.axvline(140 * t0, color="0.6", lw=0.8, ls="--")  # left: sampled and fitted; right: nβ → ∞
    value, (lo, hi) = rec["value"], rec["ci"]
    ax.errorbar([edge], [value], yerr=[[value - lo], [hi - value]], fmt="s", color="k",
                capsize=4, label=f"estimate {value:.3g}, 95 % CI [{lo:.3g}, {hi:.3g}]")
    for i, (model, v, se) in enumerate(_law_triples(rec.get("laws") or ())):
        ax.errorbar([edge * 1.35 ** (i + 1)], [v], yerr=[2 * se], fmt="^", color=f"C{i + 2}",
                    capsize=3, label=f"law {model}: {v:.3g}")
    if lam is not None:
        ax.axhline(lam, color="0.3", lw=1.0, ls=":", label=f"λ = {lam:.4g} (stated)")
    ax.set_xscale("log")
    ax.set_xlabel("nβ (right edge: nβ → ∞)")
    ax.set_ylabel(r"$\hat\lambda(n\beta)$")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6, loc="best")
    return fig


def _law_triples(laws: Any) -> list[tuple[str, float, float]]:
    """``(law, value, std_error)`` of a scan record's laws: the objects :func:`scan_record`
    writes, or the ``[law, value, std_error]`` lists of records stored before 2026-12-03.

    >>> _law_triples([{"law": "pow1", "value": 1.0, "std_error": 0.1}, ["mult2", 1.2, 0.2]])
    [('pow1', 1.0, 0.1), ('mult2', 1.2, 0.2)]
    """
    out = []
    for law in laws:
        if isinstance(law, dict):
            out.append((str(law["law"]), float(law["value"]), float(law["std_error"])))
        else:
            m, v, se = law
            out.append((str(m), float(v), float(se)))
    return out
