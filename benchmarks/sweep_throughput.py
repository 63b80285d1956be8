"""Sweep throughput: points per minute for a 64-point reduced-rank-regression grid.

The grid: reduced-rank regression (M, N, H) = (5, 5, 3) at its true parameter, true rank
r ∈ {0, 1, 2, 3} × 16 data seeds (64 points of one architecture), n = 500 samples. Fixed
sampler settings for every mode (no calibration, no adaptive length, so each mode does the
same arithmetic): SGLD, step size 5e-4, 4 chains, 100 burn-in + 400 draws, seed 0, float32.

Modes:

- ``serial``: ``estimate_llc`` one point at a time, in this process;
- ``batched``: ``estimate_llc_batched`` on all 64 points (one vectorised call);
- ``dask-serial-W`` / ``dask-batched-W``: the same work on a dask ``LocalCluster`` of W
  single-threaded workers (per-point tasks, or W batched chunks of 64/W points).

Writes ``sweep_throughput_<device>.json`` and ``sweep_throughput_<device>.png`` under ``--out``
(default ``benchmarks/results``).
Run: ``OMP_NUM_THREADS=1 python benchmarks/sweep_throughput.py [--workers 1 2] [--points 64]``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent.parent)
sys.path.insert(0, _ROOT)  # this checkout's slttheory, not an installed one
# and in the dask workers' processes too
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [_ROOT, os.environ.get("PYTHONPATH")]))

SETTINGS = {"step_size": 5e-4, "chains": 4, "draws": 400, "burn_in": 100, "sampler": "sgld",
            "seed": 0}
SHAPE = {"m": 5, "n": 5, "h": 3}
N_DATA = 500


def _points(n_points: int) -> list[dict]:
    return [{**SHAPE, "r": i % 4, "data_seed": i // 4} for i in range(n_points)]


def _problem(pt: dict, device: str = "cpu"):
    import torch

    from slttheory.models import FAMILIES

    q = {k: pt[k] for k in ("m", "n", "h", "r")}
    gen = torch.Generator().manual_seed(1000 + pt["data_seed"])
    return FAMILIES["reduced_rank_regression"].build(q, n=N_DATA, generator=gen, device=device)


def run_serial(points: list[dict], device: str = "cpu") -> list[float]:
    import torch

    from slttheory.sampling import estimate_llc

    torch.set_num_threads(1)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for pt in points:
            p = _problem(pt, device)
            out.append(estimate_llc(p.model, p.data, loss=p.loss, device=device, **SETTINGS).llc)
    return out


def run_batched(points: list[dict], device: str = "cpu") -> list[float]:
    import torch

    from slttheory.sampling.batched import estimate_llc_batched

    torch.set_num_threads(1)
    probs = [_problem(pt, device) for pt in points]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [e.llc for e in estimate_llc_batched(probs, device=device, **SETTINGS)]


def _timed(fn, *a):
    t0 = time.perf_counter()
    r = fn(*a)
    return r, time.perf_counter() - t0


def _dask(points, workers, batched):
    from slttheory.verify.run.executors import DaskExecutor, run_tasks

    ex = DaskExecutor(workers=workers)
    try:
        # warm the workers (torch import, model build) outside the timing
        list(run_tasks(ex, run_serial, [(points[:1],)] * workers))
        t0 = time.perf_counter()
        if batched:
            k = -(-len(points) // workers)
            tasks = [(points[i:i + k],) for i in range(0, len(points), k)]
            fn = run_batched
        else:
            tasks = [([pt],) for pt in points]
            fn = run_serial
        res = {}
        for i, r, e in run_tasks(ex, fn, tasks):
            if e is not None:
                raise e
            res[i] = r
        dt = time.perf_counter() - t0
        llcs = [x for i in sorted(res) for x in res[i]]
        return llcs, dt
    finally:
        ex.shutdown()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=64)
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = ap.parse_args()
    import torch

    pts = _points(args.points)
    rows = []

    def record(mode, workers, llcs, dt, ref=None):
        row = {"mode": mode, "workers": workers, "points": len(llcs), "seconds": round(dt, 2),
               "points_per_minute": round(60 * len(llcs) / dt, 1)}
        if ref is not None:
            row["max_abs_diff_vs_serial"] = float(max(abs(a - b) for a, b in zip(llcs, ref,
                                                                                  strict=True)))
        rows.append(row)
        print(json.dumps(row), flush=True)

    run_serial(pts[:1], args.device)  # warm-up (imports, first-call overheads)
    ref, dt = _timed(run_serial, pts, args.device)
    record(f"serial-{args.device}", 1, ref, dt)
    llc, dt = _timed(run_batched, pts, args.device)
    record(f"batched-{args.device}", 1, llc, dt, ref)
    if args.device == "cpu":
        for w in args.workers:
            for batched in (False, True):
                llc, dt = _dask(pts, w, batched)
                record(f"dask-{'batched' if batched else 'serial'}", w, llc, dt, ref)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "device": args.device,
        "grid": f"reduced_rank_regression {SHAPE}, r in 0..3 x {args.points // 4} data seeds, "
                f"n = {N_DATA}",
        "settings": SETTINGS,
        "note": "OMP_NUM_THREADS=1; the machine's cores are shared with other processes, so "
                "wall times are noisy",
        "rows": rows,
    }
    (out / f"sweep_throughput_{args.device}.json").write_text(json.dumps(meta, indent=2) + "\n")
    _figure(meta, out / f"sweep_throughput_{args.device}.png")


def _figure(meta: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = meta["rows"]
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for mode, style in (("dask-serial", "o-"), ("dask-batched", "s-")):
        r = sorted((x for x in rows if x["mode"] == mode), key=lambda x: x["workers"])
        if r:
            ax.plot([x["workers"] for x in r], [x["points_per_minute"] for x in r], style,
                    label=f"{mode} (dask LocalCluster)")
    for x in rows:
        if x["mode"].startswith(("serial", "batched")):
            ax.axhline(x["points_per_minute"], ls="--", lw=1, color="grey")
            ax.annotate(f"{x['mode']} (in process)", (1, x["points_per_minute"]), fontsize=7,
                        va="bottom")
    ax.set_xlabel("dask workers (1 thread each)")
    ax.set_ylabel("points per minute")
    ax.set_yscale("log")
    ws = sorted({x["workers"] for x in rows if x["mode"].startswith("dask")}) or [1]
    ax.set_xticks(ws)
    ax.set_title(f"64-point RRR sweep, {meta['cpu_count']} cores, {meta['date']}", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
