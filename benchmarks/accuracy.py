"""Accuracy of ``estimate_llc`` with no tuning against the closed forms (issue 4 §3).

For each family with a closed form, build the problem at its natural n (1000, or 100 for
seed 003's line) from ``S`` seeded data sets (``generator = seed``, default ``build``: w* is
the empirical minimiser near the true point, see ``slttheory.models.families
.refine_to_minimiser``), run ``estimate_llc(problem.model, problem.data, loss=problem.loss)``
with every hyperparameter left at its default (``seed=s`` so that the Monte-Carlo noise is
independent across data sets), and report

* the closed form λ and its multiplicity m,
* the mean λ̂ over data sets, its across-data-set sd, the mean Monte-Carlo s.e.,
* the relative error of the mean, wall time,
* a theory tolerance: 3·√(λ/(2 log n))/√S (data-set spread of the mean, Watanabe 2013
  Thm 4) + (m − 1)/log(nβ) (multiplicity bias), and whether the mean lies inside it,

and the median |relative error| over families. Writes JSON with ``--out``.

Usage: ``python benchmarks/accuracy.py [--seeds 3] [--only name,...] [--out file.json]``.
``cpu_s`` is the single-thread CPU time (``time.process_time``), ``wall_s`` the wall time
(larger on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
import warnings

import numpy as np
import torch

from slttheory.models import FAMILIES
from slttheory.sampling import estimate_llc

# (label, family, parameters). RRR parameter order: m = input, n = output, h = hidden.
CASES: tuple[tuple[str, str, dict], ...] = (
    ("regular d=3", "regular", {"d": 3}),
    ("rrr (m,n,h,r)=(5,5,3,0)", "reduced_rank_regression", {"m": 5, "n": 5, "h": 3, "r": 0}),
    ("rrr (m,n,h,r)=(8,4,3,0)", "reduced_rank_regression", {"m": 8, "n": 4, "h": 3, "r": 0}),
    ("dln (3,4,3) r=0", "deep_linear_network", {"widths": (3, 4, 3), "r": 0}),
    ("dln (3,2,2,3) r=1", "deep_linear_network", {"widths": (3, 2, 2, 3), "r": 1}),
    ("normal crossing w1 w2^2", "normal_crossing", {"powers": (1, 2)}),
    ("tanh h=2", "tanh_network", {"h": 2}),
    ("tanh h=3", "tanh_network", {"h": 3}),
    ("polynomial deg 5", "polynomial_regression", {"degree": 5}),
    ("low-rank linear d=10 r=3", "low_rank_linear", {"d": 10, "r": 3}),
    ("quadratic d=3 k=2 p=1", "quadratic_network", {"d": 3, "k": 2, "p": 1}),
    ("line y=3x+2 (n=100)", "linear_regression_toy", {}),
)


def run_case(label: str, family: str, params: dict, seeds: int) -> dict:
    fam = FAMILIES[family]
    lc = fam.closed_form(params)
    lam, mult = float(lc.value), int(lc.multiplicity)
    vals, ses, times, cpu, warns, refined = [], [], [], [], [], []
    n = fam.default_n
    for s in range(seeds):
        prob = fam.build(params, n=n, generator=torch.Generator().manual_seed(s))
        refined.append(bool(prob.extras.get("refined", False)))
        t0, c0 = time.perf_counter(), time.process_time()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # seed=s only decorrelates the Monte-Carlo noise across data sets (not a tuning)
            est = estimate_llc(prob.model, prob.data, loss=prob.loss, seed=s)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        vals.append(est.llc)
        ses.append(est.std_error)
        warns += [str(w.message) for w in caught]
    mean = float(np.mean(vals))
    nbeta = n / math.log(n)
    spread = math.sqrt(lam / (2 * math.log(n)))
    tol = 3 * spread / math.sqrt(seeds) + (mult - 1) / math.log(nbeta)
    return {
        "case": label, "family": family, "params": {k: list(v) if isinstance(v, tuple) else v
                                                     for k, v in params.items()},
        "n": n, "lambda": lam, "multiplicity": mult, "estimates": vals,
        "mean": mean, "sd_across_datasets": float(np.std(vals, ddof=1)) if seeds > 1 else None,
        "mean_mc_se": float(np.mean(ses)), "rel_error": mean / lam - 1,
        "theory_tolerance": tol, "within_tolerance": abs(mean - lam) <= tol,
        "refined": refined, "wall_s": float(np.sum(times)), "cpu_s": float(np.sum(cpu)),
        "draws": est.config.draws, "warnings": sorted(set(warns)),
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=3, help="data sets per family (S)")
    ap.add_argument("--only", default="", help="comma-separated family names")
    ap.add_argument("--out", default="", help="write JSON here")
    a = ap.parse_args(argv)
    only = {x for x in a.only.split(",") if x}
    rows = []
    t0 = time.perf_counter()
    print(f"{'case':28s} {'lambda':>7s} {'m':>2s} {'mean':>7s} {'sd':>6s} {'mc_se':>6s} "
          f"{'rel':>7s} {'tol':>6s} ok   wall    cpu")
    for label, family, params in CASES:
        if only and family not in only:
            continue
        r = run_case(label, family, params, a.seeds)
        rows.append(r)
        sd = "  -   " if r["sd_across_datasets"] is None else f"{r['sd_across_datasets']:6.3f}"
        print(f"{label:28s} {r['lambda']:7.3f} {r['multiplicity']:2d} {r['mean']:7.3f} {sd} "
              f"{r['mean_mc_se']:6.3f} {100 * r['rel_error']:+6.1f}% {r['theory_tolerance']:6.3f} "
              f"{'yes' if r['within_tolerance'] else 'NO ':3s} {r['wall_s']:6.1f}s "
              f"{r['cpu_s']:6.1f}s", flush=True)
    med = statistics.median(abs(r["rel_error"]) for r in rows) if rows else math.nan
    total = time.perf_counter() - t0
    cpu = sum(r["cpu_s"] for r in rows)
    print(f"median |relative error| over {len(rows)} cases: {100 * med:.1f}%  "
          f"(S = {a.seeds} data sets each; sampling wall {total:.0f}s, CPU {cpu:.0f}s, "
          f"torch threads {torch.get_num_threads()})")
    out = {"seeds": a.seeds, "median_abs_rel_error": med, "total_s": total, "cpu_s": cpu,
           "torch_threads": torch.get_num_threads(), "cases": rows}
    if a.out:
        with open(a.out, "w") as f:
            json.dump(out, f, indent=1)
    return out


if __name__ == "__main__":
    main()
