"""Spread of ``estimate_llc``'s default estimate over estimator seeds on one data set.

The accuracy benchmark (``accuracy.py``) scores each noise-free case at one seed, which draws
the data set and the chains together. This script keeps the data set of seed 0 and reruns
the default estimator with seeds 0 … N−1, so that what varies is Monte-Carlo noise alone. It
reports, per temperature of the scan, the standard deviation of λ̂(t_j) over the seeds beside
the mean ``mc_error`` the estimator states for it (their ratio, and a χ² test of the seeds'
scatter in units of the stated errors: a ratio above 1 means the stated Monte-Carlo error is
too small), then the mean and spread of the default point estimate and how many of the 95 %
intervals cover the case's λ. Usage (repository root)::

    python benchmarks/seed_spread.py "nf tanh h=3" --seeds 14 \\
        --out benchmarks/results/seed_spread_tanh3.jsonl

Rows already in ``--out`` (same case and seed) are not rerun.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # this checkout's slttheory, not an installed one

from accuracy_cases import CASES  # noqa: E402

from slttheory.sampling import estimate_llc  # noqa: E402


def run(label: str, seeds: int, out: Path) -> list[dict]:
    """The default estimate of case ``label`` on its seed-0 data set, estimator seeds
    ``0 … seeds − 1`` (appended to ``out`` as JSON lines); every row of ``out`` for it."""
    case = next((c for c in CASES if c.label == label), None)
    if case is None:
        raise ValueError(f"case: no benchmark case {label!r}; one of {[c.label for c in CASES]}")
    rows = [json.loads(x) for x in out.read_text().splitlines()] if out.exists() else []
    done = {r["seed"] for r in rows if r["case"] == label}
    built = case.build(0, truth=False)
    for s in range(seeds):
        if s in done:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = estimate_llc(built.model, built.data, loss=built.loss, seed=s, device="cpu")
        t = est.temperatures
        row = {"case": label, "lambda": float(built.lam), "data_seed": 0, "seed": s,
               "llc": est.llc, "ci": list(est.ci), "fit": t.fit.model,
               "nbeta": t.nbeta.tolist(), "llc_t": t.llc.tolist(),
               "mc_error": t.mc_error.tolist(), "draws": est.config.draws,
               "passed": est.diagnostics.passed, "wall_s": est.elapsed_s}
        rows.append(row)
        with out.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
        print(f"{label} seed {s}: λ̂/λ = {est.llc / row['lambda']:.3f} ({t.fit.model}), "
              f"{est.elapsed_s:.0f} s", flush=True)
    return [r for r in rows if r["case"] == label]


def summary(rows: list[dict]) -> dict:
    """Seed-to-seed spread against the stated Monte-Carlo errors, and the point estimate's
    spread and coverage."""
    from scipy.stats import chi2

    lam = rows[0]["lambda"]
    vals = np.array([r["llc_t"] for r in rows])
    errs = np.array([r["mc_error"] for r in rows])
    sd = vals.std(0, ddof=1)
    stated = errs.mean(0)
    z2 = (((vals - vals.mean(0)) / errs) ** 2).sum(0)
    est = np.array([r["llc"] for r in rows])
    ci = np.array([r["ci"] for r in rows])
    return {
        "case": rows[0]["case"], "lambda": lam, "seeds": len(rows),
        "nbeta": rows[0]["nbeta"],
        "sd_over_seeds": sd.tolist(), "mean_stated_mc_error": stated.tolist(),
        "ratio": (sd / stated).tolist(),
        "chi2_p": [float(chi2.sf(x, len(rows) - 1)) for x in z2],
        "estimate_mean_over_lambda": float(est.mean() / lam),
        "estimate_sd_over_lambda": float(est.std(ddof=1) / lam),
        "estimate_range_over_lambda": [float(est.min() / lam), float(est.max() / lam)],
        "ci_covers_lambda": int(((ci[:, 0] <= lam) & (lam <= ci[:, 1])).sum()),
        "fits": sorted({r["fit"] for r in rows}),
        "passed": int(sum(r["passed"] for r in rows)),
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case", help="a label of benchmarks/accuracy_cases.py")
    ap.add_argument("--seeds", type=int, default=14)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "seed_spread.jsonl")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    if a.seeds < 2:
        ap.error(f"--seeds must be at least 2 (a spread needs two runs), got {a.seeds}")
    torch.set_num_threads(a.threads)
    s = summary(run(a.case, a.seeds, a.out))
    print(f"{s['case']}: λ = {s['lambda']:.4g}, {s['seeds']} estimator seeds on one data set")
    for t, sd, st, p in zip(s["nbeta"], s["sd_over_seeds"], s["mean_stated_mc_error"],
                            s["chi2_p"], strict=True):
        print(f"  nβ = {t:8.2f}: sd over seeds {sd:.4f}, stated MC error {st:.4f} "
              f"(ratio {sd / st:.2f}, χ² p = {p:.3g})")
    print(f"  default λ̂/λ: mean {s['estimate_mean_over_lambda']:.3f}, sd "
          f"{s['estimate_sd_over_lambda']:.3f}, range {s['estimate_range_over_lambda'][0]:.3f}"
          f"–{s['estimate_range_over_lambda'][1]:.3f}; 95 % interval covers λ in "
          f"{s['ci_covers_lambda']}/{s['seeds']}; fits {s['fits']}; "
          f"diagnostics passed {s['passed']}/{s['seeds']}")
    return s


if __name__ == "__main__":
    main()
