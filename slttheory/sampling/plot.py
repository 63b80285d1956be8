"""Trace plots of an LLC run (matplotlib; safe under the non-interactive Agg backend)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["plot_trace"]


def plot_trace(estimate: Any, ax: Any = None) -> Any:
    """Plot each chain's running estimate nβ(L_n(w_t) − L_n(w*)) with the final LLC ± s.e.

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
    ax.set_xlabel("step (after burn-in)")
    ax.set_ylabel(r"$n\beta\,(L_n(w_t) - L_n(w^*))$")
    title = f"{cfg.sampler}, eps={cfg.step_size:.3g}, gamma={cfg.localization:.3g}"
    if estimate.diagnostics.divergent:
        title += "  [DIVERGENT]"
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper right")
    del plt
    return fig
