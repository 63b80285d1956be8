"""Spread of ``estimate_llc``'s default estimate over estimator seeds on one data set.

The accuracy benchmark (``accuracy.py``) scores each noise-free case at one seed, which draws
the data set and the chains together. This script keeps the data set of seed 0 and reruns
the default estimator with seeds 0 … N−1, so that what varies is Monte-Carlo noise alone. It
reports, per temperature of the scan, the standard deviation of λ̂(t_j) over the seeds beside
the mean ``mc_error`` the estimator states for it (their ratio, and a χ² test of the seeds'
scatter in units of the stated errors: a ratio above 1 means the stated Monte-Carlo error is
too small), then the mean and spread of the default point estimate and how many of the 95 %
intervals cover the case's λ. At the scan's first temperature (nβ, whose kept draws the
estimate returns as ``loss_trace``) it also records two other within-run Monte-Carlo errors,
batch means (√draws batches per chain) and the spread of the chain means, and the
temperature's step size, so that a stated error that is too small can be traced to the
estimator of the error or to variation between runs. Usage (repository root)::

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
        draws0 = (est.loss_trace - est.init_loss) * t.nbeta[0]  # nβ ΔL at t_0
        row = {"case": label, "lambda": float(built.lam), "data_seed": 0, "seed": s,
               "llc": est.llc, "ci": list(est.ci), "fit": t.fit.model,
               "nbeta": t.nbeta.tolist(), "llc_t": t.llc.tolist(),
               "mc_error": t.mc_error.tolist(), "draws": est.config.draws,
               "passed": est.diagnostics.passed, "wall_s": est.elapsed_s,
               "step_size_t": t.step_size.tolist(),
               "mcse_batch_means_t0": batch_means_mcse(draws0),
               "mcse_chain_means_t0": chain_means_mcse(draws0)}
        rows.append(row)
        with out.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
        print(f"{label} seed {s}: λ̂/λ = {est.llc / row['lambda']:.3f} ({t.fit.model}), "
              f"{est.elapsed_s:.0f} s", flush=True)
    return [r for r in rows if r["case"] == label]


def batch_means_mcse(a: np.ndarray) -> float:
    """Monte-Carlo error of the mean of ``a`` (chains, draws) by batch means: ⌊√draws⌋
    batches per chain, the standard deviation of all batch means over √(their number).

    >>> x = np.random.default_rng(0).normal(size=(4, 2500))   # iid: 1/100
    >>> 0.008 < batch_means_mcse(x) < 0.012
    True
    """
    k, n = a.shape
    b = int(np.sqrt(n))
    means = a[:, : b * (n // b)].reshape(k, b, n // b).mean(axis=2).ravel()
    return float(means.std(ddof=1) / np.sqrt(means.size))


def chain_means_mcse(a: np.ndarray) -> float:
    """Monte-Carlo error of the mean of ``a`` (chains, draws) from the spread of the chains'
    means alone (few chains: a noisy error, but one that sees every slow mode the chains do
    not share)."""
    return float(a.mean(axis=1).std(ddof=1) / np.sqrt(a.shape[0]))


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
        **_t0_alternatives(rows, vals[:, 0]),
    }


def _t0_alternatives(rows: list[dict], llc0: np.ndarray) -> dict:
    """At t_0, the seeds' spread over each within-run error's mean, and the rank correlation
    of λ̂(t_0) with its step size (rows written before these fields existed: none)."""
    from scipy.stats import spearmanr

    if not all("mcse_batch_means_t0" in r for r in rows):
        return {}
    sd = float(llc0.std(ddof=1))
    eps = np.array([r["step_size_t"][0] for r in rows])
    return {
        "t0_ratio_batch_means": sd / float(np.mean([r["mcse_batch_means_t0"] for r in rows])),
        "t0_ratio_chain_means": sd / float(np.mean([r["mcse_chain_means_t0"] for r in rows])),
        "t0_spearman_llc_step_size": float(spearmanr(llc0, eps)[0]),
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
    if "t0_ratio_batch_means" in s:
        print(f"  at nβ = {s['nbeta'][0]:.2f}: sd over seeds / mean within-run error: stated "
              f"{s['ratio'][0]:.2f}, batch means {s['t0_ratio_batch_means']:.2f}, chain means "
              f"{s['t0_ratio_chain_means']:.2f}; Spearman(λ̂, step size) "
              f"{s['t0_spearman_llc_step_size']:+.2f}")
    return s


if __name__ == "__main__":
    main()
