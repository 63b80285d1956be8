"""Mixing of ``estimate_llc`` with default settings: R-hat and ESS per case (issue 12).

For each case (regular points of RRR / DLN with a GL(r) fibre, singular points of RRR, normal
crossings, the tanh network) build the family's problem at n = 1000 from data seed ``s``
(default ``build``: w* is the empirical minimiser near the true point) and run
``estimate_llc(model, data, loss=loss, seed=s)`` with every other argument at its default.
Report λ̂, its MC s.e., R-hat, ESS, total steps per chain, the chosen γ and ε, wall time
and whether the run passed every diagnostic. ``--orbit``: add the GL orbit moves
(:func:`slttheory.sampling.matrix_chain_orbit`) where the family declares its matrix chain
(``Problem.symmetry``); ``--method single``: the single-temperature estimator;
``--draws N --burn-in B``: fixed lengths (the verifier's quick profile: 2000, 500);
``--verifier``: each problem built and estimated as the verifier's LLC route does
(``routes._build``: on noisy data w* = w0 and ``true_parameter=True``, the symmetrised
estimand; no Morse–Bott shortcut); ``--exchange on|off``: force the replica exchange between
the scan's temperatures (default: the estimator's rule); ``--deep``: add the regular control
of the full profile's six-layer DLN claim, DLN (7,7,8,9,12,13) at r = 7 (441 parameters,
about 2 minutes a run); ``--data-seeds 101,202,303``: these data seeds instead of
``0 … seeds − 1`` (the verifier's control data sets are 101, 202, 303).

Usage (from the repository root)::

    python benchmarks/mixing.py [--seeds 2] [--only 'label;...'] [--out file.json]
        [--sampler mala] [--preconditioner none|dense|diagonal] [--orbit]
        [--method single] [--draws 2000 --burn-in 500] [--verifier] [--exchange on|off]
        [--deep] [--data-seeds 101,202,303]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's slttheory
from slttheory.models import FAMILIES  # noqa: E402
from slttheory.sampling import estimate_llc, matrix_chain_orbit  # noqa: E402

CASES: tuple[tuple[str, str, dict], ...] = (
    ("rrr (5,4,2,2) regular", "reduced_rank_regression", {"m": 5, "n": 4, "h": 2, "r": 2}),
    ("rrr (5,5,3,3) regular", "reduced_rank_regression", {"m": 5, "n": 5, "h": 3, "r": 3}),
    ("dln (3,2,3) r=2 regular", "deep_linear_network", {"widths": (3, 2, 3), "r": 2}),
    ("dln (3,2,2,3) r=2 regular", "deep_linear_network", {"widths": (3, 2, 2, 3), "r": 2}),
    ("rrr (5,5,3,0)", "reduced_rank_regression", {"m": 5, "n": 5, "h": 3, "r": 0}),
    ("rrr (5,4,2,1)", "reduced_rank_regression", {"m": 5, "n": 4, "h": 2, "r": 1}),
    ("dln (3,4,3) r=0", "deep_linear_network", {"widths": (3, 4, 3), "r": 0}),
    ("dln (3,2,2,3) r=1", "deep_linear_network", {"widths": (3, 2, 2, 3), "r": 1}),
    ("normal crossing (1,2)", "normal_crossing", {"powers": (1, 2)}),
    ("tanh h=3", "tanh_network", {"h": 3}),
    ("polynomial deg 5", "polynomial_regression", {"degree": 5}),
    ("regular d=3", "regular", {"d": 3}),
    ("quadratic (3,2,1) generic", "quadratic_network", {"d": 3, "k": 2, "p": 1}),
)
DEEP = ("dln (7,7,8,9,12,13) r=7 regular", "deep_linear_network",
        {"widths": (7, 7, 8, 9, 12, 13), "r": 7})


def run_case(label: str, family: str, params: dict, seed: int, orbit: bool = False,
             verifier: bool = False, **kw) -> dict:
    fam = FAMILIES[family]
    lam = float(fam.closed_form(params).value)
    if verifier:  # as the verifier's LLC route builds and estimates the point
        from slttheory.verify.evidence.routes import _build, _estimate_kwargs

        prob = _build(fam, params, {"n": 1000}, "cpu", data_seed=seed)
        kw = {**_estimate_kwargs({}), **kw,
              "true_parameter": bool(prob.extras.get("true_parameter", False))}
    else:
        prob = fam.build(params, n=1000, generator=torch.Generator().manual_seed(seed))
    if orbit and prob.symmetry:
        kw["orbit"] = matrix_chain_orbit(prob.model, list(prob.symmetry))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # record_scan: a Morse–Bott zero's scan is sampled too (its mixing is measured here)
        est = estimate_llc(prob.model, prob.data, loss=prob.loss, seed=seed, record_scan=True,
                           **kw)
    wall = time.perf_counter() - t0
    d, c = est.diagnostics, est.config
    return {
        "case": label, "seed": seed, "lambda": lam, "llc": est.llc, "se": est.std_error,
        "rhat": d.rhat, "ess": d.ess, "ess_bulk": d.ess_bulk, "steps": c.draws + c.burn_in,
        "draws": c.draws,
        "gamma": c.localization, "eps": c.step_size, "wall_s": wall, "passed": d.passed,
        "divergent": d.divergent, "warnings": list(d.warnings),
        "acceptance": d.acceptance_rate, "sampler": c.sampler,
        "preconditioner": getattr(c, "preconditioner", "none"), "orbit": c.orbit,
        "method": c.method, "exchange": c.exchange, "verifier": verifier,
    }


def _seed_list(text: str) -> list[int]:
    """``--data-seeds``: comma-separated integers >= 0."""
    try:
        seeds = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}") from None
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"need integers >= 0, got {text!r}")
    return seeds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--only", default="")
    ap.add_argument("--out", default="")
    ap.add_argument("--sampler", default=None, help="override the default sampler")
    ap.add_argument("--preconditioner", default=None, help="override the default")
    ap.add_argument("--orbit", action="store_true",
                    help="orbit moves where the family declares a GL-symmetric chain")
    ap.add_argument("--method", default=None, help="override the default method")
    ap.add_argument("--draws", type=int, default=None, help="fixed draws (default adaptive)")
    ap.add_argument("--burn-in", type=int, default=None)
    ap.add_argument("--verifier", action="store_true",
                    help="build and estimate each point as the verifier's LLC route does")
    ap.add_argument("--exchange", choices=("on", "off"), default=None,
                    help="force replica exchange on or off (default: the estimator's rule)")
    ap.add_argument("--deep", action="store_true",
                    help="add the six-layer DLN (7,7,8,9,12,13) at r = 7 (441 parameters)")
    ap.add_argument("--data-seeds", type=_seed_list, default=None,
                    help="comma-separated data seeds (default 0 … seeds − 1)")
    args = ap.parse_args(argv)
    kw = {k: v for k, v in (("sampler", args.sampler),
                            ("preconditioner", args.preconditioner), ("method", args.method),
                            ("draws", args.draws), ("burn_in", args.burn_in))
          if v is not None}
    kw["orbit"] = args.orbit
    kw["verifier"] = args.verifier
    if args.exchange is not None:
        kw["exchange"] = args.exchange == "on"
    if kw.get("preconditioner") == "none":
        kw["preconditioner"] = None
    only = [s.strip() for s in args.only.split(";") if s.strip()]
    rows = []
    print(f"{'case':28s} {'s':>2s} {'λ':>6s} {'λ̂':>7s} {'se':>6s} {'R-hat':>6s} {'ESS':>6s} "
          f"{'steps':>6s} {'γ':>7s} {'ε':>8s} {'acc':>5s} {'wall':>6s} ok x")
    seeds = args.data_seeds or list(range(args.seeds))
    for label, fam, params in CASES + ((DEEP,) if args.deep else ()):
        if only and not any(o in label for o in only):
            continue
        for s in seeds:
            r = run_case(label, fam, params, s, **kw)
            rows.append(r)
            print(f"{label:28s} {s:2d} {r['lambda']:6.3f} {r['llc']:7.3f} {r['se']:6.3f} "
                  f"{r['rhat']:6.3f} {r['ess']:6.0f} {r['steps']:6d} {r['gamma']:7.3g} "
                  f"{r['eps']:8.2g} {r['acceptance'] or float('nan'):5.2f} {r['wall_s']:6.1f} "
                  f"{'y' if r['passed'] else 'n'} {'y' if r['exchange'] else 'n'}",
                  flush=True)
            if not r["passed"]:
                print("      " + "; ".join(w[:70] for w in r["warnings"]), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
