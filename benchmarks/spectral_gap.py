"""The gap in the float64 Gauss–Newton spectrum at which the Morse–Bott rule reads a rank.

For each point (noise-free unless the family adds noise, n = 1000, data seed 0) print d, the
numerical rank k (:func:`slttheory.sampling.localisation.numerical_rank`), the smallest kept
and the largest dropped eigenvalue (as fractions of the largest) and their ratio, which
:func:`~slttheory.sampling.localisation.morse_bott_rank` needs to be at least
:data:`~slttheory.sampling.localisation.SPECTRAL_GAP` when k < d. The table in
docs/estimator.md §6 ("A rank only across a spectral gap") comes from this script.

Usage (from the repository root)::

    python benchmarks/spectral_gap.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's slttheory
from slttheory.losses import resolve_loss  # noqa: E402
from slttheory.models import FAMILIES  # noqa: E402
from slttheory.sampling.localisation import (  # noqa: E402
    SPECTRAL_GAP,
    gauss_newton_spectrum,
    numerical_rank,
)

POINTS: tuple[tuple[str, str, dict], ...] = (
    *((f"polynomial degree {g}", "polynomial_regression", {"degree": g})
      for g in (5, 12, 14, 16, 20, 32)),
    ("rrr (5,4,2,2)", "reduced_rank_regression", {"m": 5, "n": 4, "h": 2, "r": 2, "noise": 0.0}),
    ("rrr (5,5,3,3)", "reduced_rank_regression", {"m": 5, "n": 5, "h": 3, "r": 3, "noise": 0.0}),
    ("rrr (8,4,3,1)", "reduced_rank_regression", {"m": 8, "n": 4, "h": 3, "r": 1, "noise": 0.0}),
    ("dln (3,2,2,3) r=2", "deep_linear_network", {"widths": (3, 2, 2, 3), "r": 2, "noise": 0.0}),
    ("dln (2,7,5,6) r=2", "deep_linear_network", {"widths": (2, 7, 5, 6), "r": 2, "noise": 0.0}),
    ("dln (7,7,8,9,12,13) r=7", "deep_linear_network",
     {"widths": (7, 7, 8, 9, 12, 13), "r": 7, "noise": 0.0}),
    ("low-rank linear (6, 2)", "low_rank_linear", {"d": 6, "r": 2}),
    ("regular d=5", "regular", {"d": 5}),
)


def main() -> int:
    print(f"{'point':26s} {'d':>4s} {'k':>4s} {'smallest kept':>14s} {'largest dropped':>16s} "
          f"{'ratio':>9s}  (a rank k < d needs ratio >= {SPECTRAL_GAP:g})")
    for label, fam, params in POINTS:
        prob = FAMILIES[fam].build(params, n=1000, generator=torch.Generator().manual_seed(0))
        h = np.sort(gauss_newton_spectrum(prob.model, prob.data, resolve_loss(prob.loss)))
        d, k = h.size, numerical_rank(h)
        kept = h[d - k] / h[-1]
        dropped = float(np.abs(h[: d - k]).max() / h[-1]) if k < d else float("nan")
        ratio = kept / dropped if k < d else float("inf")
        print(f"{label:26s} {d:4d} {k:4d} {kept:14.2e} {dropped:16.2e} {ratio:9.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
