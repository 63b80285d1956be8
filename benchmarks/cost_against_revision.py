"""Wall time of today's default estimator against ``estimate_llc``'s auto mode at an earlier
revision, on the same models and data, in alternating processes on one machine.

Issue 12 bounds the cost of the default method: "at most twice today's auto mode", today being
the day the issue was filed. The auto mode of that day is a revision of this repository
(default ``cbda1b2``, the last commit before the issue: single temperature, SGLD, step size,
draws and burn-in chosen automatically). This script checks that revision out into a
temporary git worktree, builds every case of :mod:`accuracy_cases` with the current code
(model, data, loss), saves it, and times ``estimate_llc(model, data, loss=loss, seed=0,
device="cpu")`` once with each code base, each in a fresh process that first pays its
one-time costs on a tiny model (as ``compare_devinterp.py`` does), the two alternating case
by case so that both see the same machine load.

The classes of the saved models are resolved by name in each process, so the earlier
revision runs its own model code; a case whose model or loss that revision cannot load is
reported as such. Cases that the current estimator decides without sampling (Morse–Bott
zeros) cost it milliseconds; they are timed like the others.

Usage::

    python benchmarks/cost_against_revision.py --out benchmarks/results/cost_against_cbda1b2.json
        [--rev cbda1b2] [--half held-out] [--kind noise-free] [--only label,...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_ROOT = _HERE.parent

# The child: one estimate with whichever slttheory is first on sys.path, after a warm-up on
# another shape. Prints one JSON line.
_CHILD = r"""
import json, sys, time, warnings
sys.path.insert(0, sys.argv[1])
import torch
torch.set_num_threads(int(sys.argv[3]))
warnings.simplefilter("ignore")
from slttheory.sampling import estimate_llc

def mse_mean_over_outputs(outputs, targets):
    r = outputs - targets
    return (r * r).reshape(r.shape[0], -1).mean(dim=1)

lin = torch.nn.Linear(1, 1)
x1 = torch.linspace(-1, 1, 20).unsqueeze(1)
y1 = x1 + 0.1 * torch.randn(20, 1, generator=torch.Generator().manual_seed(0))
estimate_llc(lin, (x1, y1), chains=2, draws=20, device="cpu")
blob = torch.load(sys.argv[2], weights_only=False)
loss = mse_mean_over_outputs if blob["loss"] == "mse_mean_over_outputs" else blob["loss"]
t0 = time.perf_counter()
est = estimate_llc(blob["model"], tuple(blob["data"]), loss=loss, seed=0, device="cpu")
wall = time.perf_counter() - t0
cfg = est.config
print(json.dumps({"wall_s": wall, "llc": float(est.llc), "draws": cfg.draws,
                  "burn_in": cfg.burn_in, "sampler": cfg.sampler,
                  "method": getattr(est, "method", "single"),
                  "code": sys.modules["slttheory"].__file__}))
"""


def _child(code_root: Path, blob: Path, threads: int) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(code_root), str(blob), str(threads)],
        capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": str(threads)},
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # which code base the child imported, checked and recorded without this machine's paths
    imported = Path(out.pop("code")).resolve()
    if not imported.is_relative_to(code_root.resolve()):
        return {"error": f"the child imported slttheory from outside {code_root.name}"}
    out["code"] = "imported from the code base under test"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--rev", default="cbda1b2")
    ap.add_argument("--half", default="held-out", choices=("held-out", "selection"))
    ap.add_argument("--kind", default="noise-free", choices=("noise-free", "noisy"))
    ap.add_argument("--only", default=None)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)

    sys.path[:0] = [str(_HERE), str(_ROOT)]
    import torch
    from accuracy_cases import CASES, mse_mean_over_outputs

    cases = [c for c in CASES if c.half == args.half and c.kind == args.kind]
    if args.only:
        want = args.only.split(",")
        cases = [c for c in cases if any(c.label.startswith(w) for w in want)]
    if not cases:
        ap.error(f"no {args.kind} case of the {args.half} half matches --only {args.only!r}")
    found = subprocess.run(["git", "-C", str(_ROOT), "rev-parse", "--verify", "--quiet",
                            f"{args.rev}^{{commit}}"], capture_output=True, text=True)
    if found.returncode != 0:
        ap.error(f"--rev {args.rev!r} is not a commit of {_ROOT}")
    rev = found.stdout.strip()
    head = subprocess.run(["git", "-C", str(_ROOT), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(_ROOT), "worktree", "add", "-q", "--detach",
                        str(old), rev], check=True)
        try:
            for case in cases:
                b = case.build(0)
                loss = "mse_mean_over_outputs" if b.loss is mse_mean_over_outputs else b.loss
                if not isinstance(loss, str):
                    rows.append({"case": case.label, "error": f"loss {loss!r} not portable"})
                    continue
                blob = Path(tmp) / "case.pt"
                torch.save({"model": b.model, "data": list(b.data), "loss": loss}, blob)
                then = _child(old, blob, args.threads)
                now = _child(_ROOT, blob, args.threads)
                row = {"case": case.label, "lambda": b.lam, "then": then, "now": now}
                if "wall_s" in then and "wall_s" in now:
                    row["ratio"] = now["wall_s"] / then["wall_s"]
                rows.append(row)
                print(json.dumps(row), flush=True)
        finally:
            subprocess.run(["git", "-C", str(_ROOT), "worktree", "remove", "--force", str(old)],
                           check=False)
    ratios = [r["ratio"] for r in rows if "ratio" in r]
    then_total = sum(r["then"]["wall_s"] for r in rows if "ratio" in r)
    now_total = sum(r["now"]["wall_s"] for r in rows if "ratio" in r)
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.platform()}",
        "threads": args.threads, "torch": torch.__version__,
        "then": rev, "now": head, "half": args.half, "kind": args.kind,
        "median_ratio": statistics.median(ratios) if ratios else None,
        "max_ratio": max(ratios) if ratios else None,
        "total_ratio": now_total / then_total if then_total else None,
        "cases": rows,
    }
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"now / then ({rev[:7]} auto mode): median {result['median_ratio']}, "
          f"max {result['max_ratio']}, total {result['total_ratio']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
