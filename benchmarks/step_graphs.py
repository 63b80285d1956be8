"""Each rewrite of the traced sampler step, timed on the step graphs of every model family.

A rewrite of the step graph (``slttheory.sampling.kernels.STEP_REWRITES``) is chosen by a
shape rule measured on some graphs; this benchmark checks it on all of them before it lands
(a rewrite that won 22 % on reduced-rank regression lost 52 % on a deep linear network,
docs/benchmarks.md, eighth run). For each case (a family's default problem, and the
devinterp benchmark's models on random data of their sizes) and each sampler it builds
the fused kernel with all rewrites, with none, and with each one left out, and times whole
steps (graph, noise draws and Python around them, no diagnostics), the variants
alternating in one process so that the machine's drift falls on all of them alike.
Reports the median µs per step and each variant's ratio to "all". Usage (repository root)::

    python benchmarks/step_graphs.py [--steps 200] [--repeats 7] [--threads 2] [--out F]

Setting ``kernels.STEP_REWRITES`` for a variant is this script's only reach into the
library: ``_trace`` reads it when a potential's graph is first traced, and each variant gets
a fresh potential, so each is traced with its own rewrites.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent

FAMILY_CASES = (
    ("reduced_rank_regression", {}),
    ("deep_linear_network", {}),
    ("tanh_network", {"h": 3}),
    ("quadratic_network", {}),
    ("quadratic_network", {"loss": "mse", "bias": True}),
    ("modular_addition_generic", {}),
    ("polynomial_regression", {}),
    ("normal_crossing", {}),
    ("regular", {}),
)


def _cases(gen: torch.Generator):
    """(label, model, data, loss) for every case."""
    from devinterp_models import CASES, random_problem

    from slttheory.models import FAMILIES

    for family, params in FAMILY_CASES:
        p = FAMILIES[family].build(params, generator=0)
        label = family + "".join(f" {k}={v}" for k, v in params.items())
        yield label, p.model, p.data, p.loss
    for name, case in CASES.items():
        model, data = random_problem(name, gen)
        yield "devinterp " + name, model, data, case.loss


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200, help="steps per timing")
    ap.add_argument("--repeats", type=int, default=7, help="alternations of the variants")
    ap.add_argument("--chains", type=int, default=16, help="chains (the default scan's count)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent))  # this checkout's slttheory

    from slttheory.sampling import kernels, problem

    rewrites = kernels.STEP_REWRITES
    variants = {"all": rewrites, "none": ()}
    for r in rewrites:
        variants["without " + r.__name__.lstrip("_")] = tuple(x for x in rewrites if x is not r)
    rows = []
    for label, model, data, loss in _cases(torch.Generator().manual_seed(0)):
        s = problem._setup(model, data, loss, None, torch.device("cpu"))
        n = s.n_data
        nbeta = torch.full((args.chains,), n / math.log(n), dtype=s.dtype)
        for sampler in ("mala", "sgld"):
            runs = {}
            for name, passes in variants.items():
                kernels.STEP_REWRITES = passes
                try:
                    alg = kernels.fused_kernel(sampler, problem._potential(s, nbeta, 1.0, n),
                                               1e-5)
                    gen = torch.Generator().manual_seed(1)
                    state = alg.init(s.center.expand(args.chains, -1).clone(), gen)
                    for _ in range(20):  # traces on the first step, then warms TorchScript
                        state, _ = alg.step(gen, state, False)
                finally:
                    kernels.STEP_REWRITES = rewrites
                runs[name] = [alg, gen, state, []]
            for _ in range(args.repeats):
                for run in runs.values():
                    alg, gen, state, times = run
                    t0 = time.perf_counter()
                    for _ in range(args.steps):
                        state, _ = alg.step(gen, state, False)
                    times.append((time.perf_counter() - t0) / args.steps)
                    run[2] = state
            us = {k: 1e6 * statistics.median(v[3]) for k, v in runs.items()}
            row = {"case": label, "sampler": sampler, "chains": args.chains,
                   "d": int(s.center.numel()), "n": int(n), "us_per_step": us,
                   "ratio_to_all": {k: v / us["all"] for k, v in us.items()}}
            rows.append(row)
            print(f"{label:42s} {sampler:4s} " + "  ".join(
                f"{k} {v:6.0f}" for k, v in us.items()), flush=True)
    if args.out:
        meta = {"date": time.strftime("%Y-%m-%d"), "torch": torch.__version__,
                "threads": args.threads, "steps": args.steps, "repeats": args.repeats,
                "variants": list(variants)}
        args.out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
