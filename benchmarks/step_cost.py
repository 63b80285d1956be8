"""Per-step cost of the samplers against a bare vmapped batched gradient (issue 12).

For each devinterp benchmark model (same architectures and data sizes as
``compare_devinterp.py``) this times, in CPU seconds of this process (``time.process_time``,
robust to other load on a shared machine), per step of all chains:

* ``grad``: the bare vmapped batched gradient ``vmap(functional_call)`` + autograd, i.e. one
  evaluation of ΔL and ∇ΔL for all chains (``problem._setup``'s ``vg_full``), eager;
* ``sgld`` / ``mala``: one step of :func:`~slttheory.sampling.kernels.fused_kernel` (traced
  graph), without diagnostics; ``*_diag``: the same with diagnostics (every 10th step);
* ``sgld_eager``: the step without tracing,

and the ratio of each to ``grad``. Usage (repository root)::

    python benchmarks/step_cost.py [--steps 2000] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent


def _time(fn, steps: int) -> float:
    fn()  # warm (traces on first call)
    best = math.inf
    for _ in range(3):
        t0 = time.process_time()
        for _ in range(steps):
            fn()
        best = min(best, (time.process_time() - t0) / steps)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent))  # this checkout's slttheory
    from devinterp_models import CASES, random_problem  # noqa: E402

    from slttheory.sampling import problem
    from slttheory.sampling.kernels import fused_kernel

    g = torch.Generator().manual_seed(0)
    chain_counts = {"rrr_5_3_5": 3, "rrr_8_3_4": 3, "normal_crossing_1_2": 10,
                    "linear_regression": 4}
    rows = []
    for name, case in CASES.items():
        chains = chain_counts[name]
        model, data = random_problem(name, g)
        n = data[0].shape[0]
        s = problem._setup(model, data, case.loss, None, torch.device("cpu"))
        w = s.center.expand(chains, -1).clone()
        res = {"case": name, "chains": chains, "d": s.center.numel(), "n": n}
        res["grad"] = _time(lambda w=w, s=s: s.vg_full(w, s.x, s.y, s.lstar), args.steps)
        nb = torch.full((chains,), n / math.log(n))
        for sampler, trace in (("sgld", True), ("mala", True), ("sgld", False)):
            pot = problem._potential(s, nb, 1.0, n)
            alg = fused_kernel(sampler, pot, 1e-4, trace=trace)
            gen = torch.Generator().manual_seed(1)
            box = [alg.init(w.clone(), gen)]
            label = sampler if trace else sampler + "_eager"
            for diag in (False, True):
                def one(alg=alg, box=box, gen=gen, diag=diag):
                    box[0], _ = alg.step(gen, box[0], diag)
                res[label + ("_diag" if diag else "")] = _time(one, args.steps)
        rows.append(res)
        ratios = {k: round(v / res["grad"], 2) for k, v in res.items()
                  if isinstance(v, float) and k != "grad"}
        print(f"{name:20s} grad {1e6 * res['grad']:7.0f} us/step  ratios to grad: {ratios}",
              flush=True)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
