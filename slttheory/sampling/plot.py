"""Plots of an LLC run: the chains' traces and the temperature scan with its finite-nβ fit
(matplotlib; safe under the non-interactive Agg backend)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["plot_scan", "plot_trace"]


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
    from matplotlib.figure import Figure

    if ax is None:
        fig = Figure(figsize=(7, 3.5))
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
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
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    scan = getattr(estimate, "temperatures", None)
    if scan is None or np.size(scan.nbeta) == 0:
        raise ValueError("plot_scan: the estimate has no sampled temperature scan "
                         "(method='single', or λ = k/2 at a Morse–Bott zero without "
                         "record_scan=True); plot_trace shows its chains")
    if ax is None:
        fig = Figure(figsize=(7, 4))
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
    t = np.asarray(scan.nbeta, float)
    t0 = float(t.max())
    ax.errorbar(t, scan.llc, yerr=2 * np.asarray(scan.mc_error), fmt="o", mfc="none",
                color="C0", capsize=3, label="λ̂(nβ) ± 2 MC errors")
    if not np.allclose(scan.corrected, scan.llc):
        ax.plot(t, scan.corrected, "o", color="C0", label="values fitted (bias-corrected)")
    fit = scan.fit
    grid = np.geomspace(t.min(), 100 * t0, 200)
    curve = fit.predict(grid / t0, t0)
    if np.all(np.isfinite(curve)):
        ax.plot(grid, curve, color="C1", lw=1.2, label=fit.describe())
    edge = 200 * t0
    ax.axvline(140 * t0, color="0.6", lw=0.8, ls="--")  # left: sampled and fitted; right: nβ → ∞
    lo, hi = estimate.ci
    ax.errorbar([edge], [estimate.llc], yerr=[[estimate.llc - lo], [hi - estimate.llc]],
                fmt="s", color="k", capsize=4,
                label=f"estimate {estimate.llc:.3g}, 95 % CI [{lo:.3g}, {hi:.3g}]")
    for i, (model, value, se) in enumerate(scan.laws or ()):
        ax.errorbar([edge * 1.35 ** (i + 1)], [value], yerr=[2 * se], fmt="^",
                    color=f"C{i + 2}", capsize=3, label=f"law {model}: {value:.3g}")
    if lam is not None:
        ax.axhline(lam, color="0.3", lw=1.0, ls=":", label=f"λ = {lam:.4g} (stated)")
    ax.set_xscale("log")
    ax.set_xlabel("nβ (right edge: nβ → ∞)")
    ax.set_ylabel(r"$\hat\lambda(n\beta)$")
    cfg = estimate.config
    ax.set_title(f"{cfg.sampler}, n = {cfg.n}, {len(t)} temperatures × {cfg.chains} chains")
    ax.legend(fontsize=7, loc="best")
    del plt
    return fig
