"""Benchmark slttheory's ``estimate_llc`` against devinterp 1.3.2 on the same models and data.

Run from the repository root::

    python benchmarks/compare_devinterp.py [--draws-scale 1.0] [--threads 2]

devinterp is installed from the package registry into its own virtual environment
(``benchmarks/.venv-devinterp``, created on first use, sharing this interpreter's torch)
and never vendored. The devinterp side (``devinterp_side.py``) builds each case exactly as
devinterp's own tests do, saves the tensors, and times its sampler; this script then loads
the same tensors and runs slttheory twice: "auto" (every setting left to ``estimate_llc``,
calibration included, at equal chains x draws and the same nβ) and "same settings"
(devinterp's algorithm, SGLD, with its step size and localization, no burn-in: equal work).
Both sides record wall time and CPU time of the process (``time.process_time``); on a shared
machine the CPU-time ratio is the one that does not depend on what else runs (use
``--threads 1`` there, so that no thread spins while waiting for a core). A tiny run before
any timing pays slttheory's one-time cost of a process (importing torch's tracing machinery
for the first traced step), which is reported separately. It prints for each
case the closed form, both estimates ± standard error, the times and the speed ratios, and
writes ``benchmarks/results/devinterp_comparison.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import site
import subprocess
import sys
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-devinterp"


def devinterp_python() -> Path:
    """The devinterp venv's interpreter, created on first use (works from nothing).

    The venv sees this interpreter's packages through a ``.pth`` file (a venv created from
    inside another venv with ``system_site_packages`` would see the *base* interpreter's
    packages, not this one's, and pip would then pull a second torch from the registry), so
    both sides run the same torch; pip adds only devinterp and what this environment lacks.
    """
    py = VENV / "bin" / "python"
    ok = VENV / ".installed-devinterp-1.3.2"
    if not ok.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        purelib = subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        ours = [p for p in site.getsitepackages() if Path(p).is_dir()]
        (Path(purelib) / "_slttheory_parent.pth").write_text("\n".join(ours) + "\n")
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "devinterp==1.3.2"], check=True)
        ok.write_text("devinterp==1.3.2\n")
    return py


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws-scale", type=float, default=1.0, help="scale every case's draws")
    ap.add_argument("--threads", type=int, default=2, help="torch intra-op threads, both sides")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    ap.add_argument("--reuse-devinterp", type=Path, default=None,
                    help="take devinterp's side from this earlier comparison JSON (and the "
                    "tensors under --out) instead of running it: for iterating on slttheory "
                    "only; published numbers come from one run of both sides")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    tensors = args.out / "tensors"
    tensors.mkdir(exist_ok=True)

    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    if args.reuse_devinterp is not None:
        old = json.loads(args.reuse_devinterp.read_text())
        theirs = {"devinterp_version": old["devinterp"], "cases": {
            c["case"]: dict(c["devinterp"], llc_mean=c["devinterp"]["llc"],
                            settings=c["devinterp_settings"]) for c in old["cases"]}}
        missing = [name for name in theirs["cases"] if not (tensors / f"{name}.pt").exists()]
        if missing:
            ap.error(f"--reuse-devinterp needs the saved models and data of the run it reuses "
                     f"in {tensors} (a run without it writes them there); missing: "
                     f"{', '.join(missing)}")
    else:
        theirs = None
    proc = None if theirs is not None else subprocess.run(
        [
            str(devinterp_python()),
            str(HERE / "devinterp_side.py"),
            str(tensors),
            "--draws-scale",
            str(args.draws_scale),
            "--threads",
            str(args.threads),
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    if theirs is None:
        theirs = json.loads(proc.stdout.strip().splitlines()[-1])

    import torch

    torch.set_num_threads(args.threads)
    from devinterp_models import CASES  # noqa: E402  (local helper module, same folder)

    from slttheory.sampling import estimate_llc

    # One-time costs of a process (torch's tracing machinery is imported by the first traced
    # sampler step, about 1 s of CPU; the first Hessian of the minimum check on noisy data
    # initialises torch.func's forward mode, about 0.6 s; the first run of each code path),
    # paid by tiny runs of both timed paths on another model shape before any timing, and
    # reported.
    t0, c0 = time.perf_counter(), time.process_time()
    lin = torch.nn.Linear(1, 1)
    x1 = torch.linspace(-1, 1, 20).unsqueeze(1)
    y1 = x1 + 0.1 * torch.randn(20, 1, generator=torch.Generator().manual_seed(0))
    estimate_llc(lin, (x1, y1), step_size=1e-3, chains=2, draws=20, device="cpu")
    estimate_llc(lin, (x1, y1), sampler="sgld", step_size=1e-3, chains=2, draws=20,
                 device="cpu")
    # the equal-work path (one temperature, SGLD, no burn-in), on another shape
    estimate_llc(lin, (x1, y1), sampler="sgld", step_size=1e-3, chains=2, draws=20,
                 device="cpu", method="single", burn_in=0)
    one_time = {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}

    rows = []
    for name, case in CASES.items():
        d = theirs["cases"][name]
        blob = torch.load(tensors / f"{name}.pt", weights_only=True)
        model = case.make_model()
        model.load_state_dict(blob["state"])
        s = d["settings"]
        # devinterp's loss is F.mse_loss (mean over samples and outputs, no 1/2): pass the
        # same per-sample loss so both sample the same tempered posterior at the same nβ.
        kwargs = dict(
            loss=case.loss,
            beta=s["nbeta"] / blob["x"].shape[0],
            chains=s["chains"],
            draws=s["draws"],
            seed=0,
            device="cpu",
        )
        t0, c0 = time.perf_counter(), time.process_time()
        ours = estimate_llc(model, (blob["x"], blob["y"]), **kwargs)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        # Equal work: devinterp's estimator (one temperature, its chains x draws), sampler
        # (SGLD), step size and localization, no burn-in, no calibration: the pure speed of
        # the sampling loop. (The default method samples four temperatures.)
        t0, c0 = time.perf_counter(), time.process_time()
        same = estimate_llc(
            model,
            (blob["x"], blob["y"]),
            **kwargs,
            method="single",
            sampler="sgld",
            step_size=s["lr"],
            localization=s["localization"],
            burn_in=0,
        )
        wall_same, cpu_same = time.perf_counter() - t0, time.process_time() - c0
        rows.append(
            {
                "case": name,
                "closed_form": case.true_lambda,
                "devinterp": {
                    "llc": d["llc_mean"],
                    "std_error": d["std_error"],
                    "wall_s": d["wall_s"],
                    "cpu_s": d.get("cpu_s"),
                },
                "devinterp_settings": s,
                "slttheory": {
                    "llc": ours.llc,
                    "std_error": ours.std_error,
                    "wall_s": wall,
                    "cpu_s": cpu,
                    "sampler": ours.config.sampler,
                    "steps_per_chain": ours.config.draws + ours.config.burn_in,
                    "step_size": ours.config.step_size,
                    "divergent": ours.diagnostics.divergent,
                },
                "slttheory_devinterp_settings": {
                    "llc": same.llc,
                    "std_error": same.std_error,
                    "wall_s": wall_same,
                    "cpu_s": cpu_same,
                },
                "chains_x_draws": [s["chains"], s["draws"]],
                "speed_ratio": d["wall_s"] / wall,
                "speed_ratio_same_settings": d["wall_s"] / wall_same,
                "cpu_ratio": d["cpu_s"] / cpu if d.get("cpu_s") else None,
                "cpu_ratio_same_settings": d["cpu_s"] / cpu_same if d.get("cpu_s") else None,
            }
        )
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.platform()}",
        "threads": args.threads,
        "torch": torch.__version__,
        "devinterp": theirs["devinterp_version"],
        "draws_scale": args.draws_scale,
        "devinterp_reused_from": args.reuse_devinterp and str(args.reuse_devinterp),
        "slttheory_one_time_per_process": one_time,
        "cases": rows,
    }
    (args.out / "devinterp_comparison.json").write_text(json.dumps(result, indent=2))
    print(
        f"{'case':20s} {'λ':>6s} {'devinterp':>15s} {'slttheory (auto)':>17s}"
        f" {'t_dev':>7s} {'t_auto':>7s} {'ratio':>6s} {'t_same':>7s} {'ratio':>6s}"
        f" {'cpu_dev':>8s} {'cpu_auto':>8s} {'ratio':>6s} {'cpu_same':>8s} {'ratio':>6s}"
    )
    print(f"slttheory one-time cost per process (not in the times below): "
          f"{one_time['cpu_s']:.2f} s CPU, {one_time['wall_s']:.2f} s wall")
    for r in rows:
        dv, sl, sm = r["devinterp"], r["slttheory"], r["slttheory_devinterp_settings"]
        print(
            f"{r['case']:20s} {r['closed_form']:6.3f} {dv['llc']:7.3f}±{dv['std_error']:<7.3f}"
            f" {sl['llc']:8.3f}±{sl['std_error']:<8.3f} {dv['wall_s']:7.2f} {sl['wall_s']:7.2f}"
            f" {r['speed_ratio']:6.1f} {sm['wall_s']:7.2f} {r['speed_ratio_same_settings']:6.1f}"
            f" {dv['cpu_s'] or float('nan'):8.2f} {sl['cpu_s']:8.2f}"
            f" {r['cpu_ratio'] or float('nan'):6.1f} {sm['cpu_s']:8.2f}"
            f" {r['cpu_ratio_same_settings'] or float('nan'):6.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent))  # this checkout's slttheory, not an installed one
    raise SystemExit(main())
