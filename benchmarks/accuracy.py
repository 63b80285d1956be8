"""Accuracy of ``estimate_llc`` at its defaults against closed forms (issue 12).

For every case of :mod:`accuracy_cases` (own families noise-free and noisy, Lau et al.'s DLNs,
devinterp's normal-crossing tests) and every data-set seed, run
``estimate_llc(model, data, loss=loss, seed=s)`` with every setting at its default (the
default ``method``), and, side by side under the same load, ``method="single"`` (today's
single-temperature estimator) for the wall-time ratio. One JSON line per estimate is appended
to ``--out`` (so an interrupted run resumes), then the targets are scored:

* noise-free cases, one estimate at a time: median and maximum |relative error|;
* noisy cases, the mean over the data sets (S ≥ 5): maximum |relative error of the mean|;
  coverage of each data set's 95 % interval (``est.ci``);
* every estimate: ``est.diagnostics.passed``;
* wall-time ratio default / ``"single"``.

Scores are reported separately for the ``selection`` half (on which methods were chosen) and
the ``held-out`` half (on which the targets are reported); see ``accuracy_cases.py``.

Usage::

    python benchmarks/accuracy.py --out benchmarks/results/accuracy.jsonl
        [--half held-out] [--kind noisy] [--only label,...] [--seeds-noisy 5]
        [--seeds-noise-free 1] [--no-single] [--score-only]

``wall_s`` is wall time on whatever machine runs it (a shared 2-core box for the committed
results; see the JSON for the thread count).
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import re
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

_HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(_HERE), str(_HERE.parent)]  # the cases, and this checkout's slttheory

from accuracy_cases import CASES, Case  # noqa: E402

from slttheory.sampling import estimate_llc  # noqa: E402
from slttheory.sampling.estimator import Z95  # noqa: E402
from slttheory.sampling.extrapolate import (  # noqa: E402
    DEFAULT_MODEL,
    POINT_LAW_MEAN,
    default_model,
    fit_finite_nbeta,
    is_noise_free,
    law_interval,
    laws_for,
    point_rule,
    scan_errors,
    select_fit,
)
from slttheory.sampling.localisation import correction, gauss_newton_spectrum  # noqa: E402
from slttheory.sampling.problem import _per_sample_loss  # noqa: E402


def _record(case: Case, seed: int, method: str, step_jitter: float | None = None,
            exchange: bool = False, true_parameter: bool = False) -> dict:
    truth = true_parameter and case.kind == "noisy"
    b = case.build(seed, truth=truth)
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # seed=s only decorrelates the Monte-Carlo noise across data sets (not a tuning)
        kw = {} if method == "default" else {"method": method}
        if step_jitter is not None:
            kw["step_jitter"] = step_jitter
        if exchange and method == "default":
            kw["exchange"] = True
        if truth:  # w* = w0, the symmetrised estimand (estimate_llc's true_parameter)
            kw["true_parameter"] = True
        # record_scan: at a Morse–Bott zero the scan is sampled too (scored as k/2, _morse_bott;
        # the record keeps the sampler's own reading for --refit and the diagnostics)
        est = estimate_llc(b.model, b.data, loss=b.loss, seed=seed, device="cpu",
                           record_scan=True, **kw)
    wall = time.perf_counter() - t0
    temps = None
    if est.temperatures is not None:
        tp = est.temperatures
        temps = {"nbeta": tp.nbeta.tolist(), "llc": tp.llc.tolist(),
                 "mc_error": tp.mc_error.tolist(), "disc_bias": tp.disc_bias.tolist(),
                 "ess": tp.ess.tolist(), "rhat": tp.rhat.tolist(),
                 "step_size": tp.step_size.tolist(),
                 "data_cov": None if tp.data_cov is None else tp.data_cov.tolist(),
                 "variance": None if tp.variance is None else tp.variance.tolist(),
                 "variance_error": None if tp.variance_error is None
                 else tp.variance_error.tolist(),
                 "localisation": None if tp.localisation is None else tp.localisation.tolist(),
                 "symmetrisation": None if tp.symmetrisation is None
                 else tp.symmetrisation.tolist(),
                 "curved_directions": tp.curved_directions}
    return {
        "case": case.label, "kind": case.kind, "half": case.half, "seed": seed,
        "run": method, "method": est.method, "lambda": b.lam, "multiplicity": b.multiplicity,
        "llc": est.llc, "std_error": est.std_error, "ci": list(est.ci),
        "mc_error": est.mc_error, "data_error": est.data_error,
        "systematic": est.systematic, "single": est.single,
        "single_std_error": est.single_std_error, "passed": est.diagnostics.passed,
        "warnings": list(est.diagnostics.warnings), "notes": list(est.diagnostics.notes),
        "caught": sorted({str(w.message) for w in caught}),
        "nbeta": est.config.nbeta, "draws": est.config.draws, "burn_in": est.config.burn_in,
        "step_size": est.config.step_size, "wall_s": wall, "temperatures": temps,
        "init_loss": est.init_loss,
        "source": case.source, "published": case.published,
        "threads": torch.get_num_threads(), "step_jitter": est.config.step_jitter,
        "exchange": est.config.exchange, "true_parameter": est.config.true_parameter,
    }


def _done(path: Path) -> set[tuple[str, int, str]]:
    if not path.exists():
        return set()
    out = set()
    for line in path.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            out.add((r["case"], r["seed"], r["run"]))
    return out


def run(out: Path, cases: list[Case], seeds_noisy: int, seeds_nf: int, single: bool,
        step_jitter: float | None = None, exchange: bool = False,
        true_parameter: bool = False) -> None:
    done = _done(out)
    for c in cases:
        for s in range(seeds_noisy if c.kind == "noisy" else seeds_nf):
            for m in (("default", "single") if single else ("default",)):
                if (c.label, s, m) in done:
                    continue
                r = _record(c, s, m, step_jitter, exchange, true_parameter)
                with out.open("a") as fh:
                    fh.write(json.dumps(r) + "\n")
                print(f"{c.label:42s} s={s} {m:8s} llc/λ={r['llc'] / r['lambda']:.3f} "
                      f"ci=[{r['ci'][0] / r['lambda']:.3f},{r['ci'][1] / r['lambda']:.3f}] "
                      f"single/λ={r['single'] / r['lambda']:.3f} pass={r['passed']} "
                      f"{r['wall_s']:.0f}s", flush=True)


def score(rows: list[dict], run_name: str = "default") -> dict:
    """Targets per half from the JSON lines ``rows`` (estimates of run ``run_name``)."""
    out: dict = {}
    for half in ("selection", "held-out"):
        rs = [r for r in rows if r["half"] == half and r["run"] == run_name]
        nf = [r for r in rs if r["kind"] == "noise-free"]
        ny = [r for r in rs if r["kind"] == "noisy"]
        nf_err = {f"{r['case']} s={r['seed']}": r["llc"] / r["lambda"] - 1 for r in nf}
        by_case: dict[str, list[dict]] = {}
        for r in ny:
            by_case.setdefault(r["case"], []).append(r)
        ny_err = {k: float(np.mean([r["llc"] for r in v])) / v[0]["lambda"] - 1
                  for k, v in by_case.items()}
        cover = [r["ci"][0] <= r["lambda"] <= r["ci"][1] for r in ny]
        cover_nf = [r["ci"][0] <= r["lambda"] <= r["ci"][1] for r in nf]
        out[half] = {
            "noise_free_median_abs_rel_error": statistics.median(map(abs, nf_err.values()))
            if nf_err else math.nan,
            "noise_free_max_abs_rel_error": max(map(abs, nf_err.values()), default=math.nan),
            "noisy_max_abs_rel_error_of_mean": max(map(abs, ny_err.values()), default=math.nan),
            "noisy_coverage_95": float(np.mean(cover)) if cover else math.nan,
            "noise_free_coverage_95": float(np.mean(cover_nf)) if cover_nf else math.nan,
            "all_passed_diagnostics": all(r["passed"] for r in rs),
            "n_failed_diagnostics": sum(not r["passed"] for r in rs),
            "n_estimates": len(rs),
            "noise_free_rel_errors": nf_err,
            "noisy_rel_errors_of_mean": ny_err,
            "noisy_seeds": {k: len(v) for k, v in by_case.items()},
        }
    walls = {}
    for r in rows:
        walls.setdefault((r["case"], r["seed"]), {})[r["run"]] = r["wall_s"]
    pairs = [(w["default"], w["single"]) for w in walls.values() if {"default", "single"} <= set(w)]
    if pairs:
        out["wall_ratio_default_over_single"] = {
            "total": sum(a for a, _ in pairs) / sum(b for _, b in pairs),
            "median": statistics.median(a / b for a, b in pairs),
            "max": max(a / b for a, b in pairs), "pairs": len(pairs)}
    return out


_CASES = {c.label: c for c in CASES}


@functools.cache
def _spectrum(label: str, seed: int) -> tuple[float, ...]:
    b = _CASES[label].build(seed)
    return tuple(gauss_newton_spectrum(b.model, b.data, _per_sample_loss(b.loss)))


@functools.cache
def _morse_bott(label: str, seed: int, t0: float) -> float | None:
    """k/2 when the case's w* is a Morse–Bott zero of rank k at the scan's top temperature
    ``t0``: the estimator's own rule (``estimator._morse_bott_rank``) on the rebuilt case."""
    from slttheory.sampling.estimator import _morse_bott_rank
    from slttheory.sampling.problem import _setup

    b = _CASES[label].build(seed)
    s = _setup(b.model, tuple(b.data), b.loss, None, torch.device("cpu"))
    k = _morse_bott_rank(s, t0)
    return None if k is None else k / 2


def localisation(row: dict) -> tuple[np.ndarray, int]:
    """The localisation deficit the estimator adds to a stored scan's temperatures, and the
    number of curved directions behind it: the row's own (``temperatures.localisation``;
    ``None`` there means not applied), or, for rows written before it was recorded, recomputed
    from the rebuilt case by the estimator's rule (γ = 1, the default; noise-free data only)."""
    tp = row["temperatures"]
    t = np.asarray(tp["nbeta"], float)
    if "localisation" in tp:
        if tp["localisation"] is None:
            return np.zeros_like(t), 0
        return np.asarray(tp["localisation"], float), int(tp["curved_directions"])
    init = row.get("init_loss", 0.0 if row["kind"] == "noise-free" else math.inf)
    if not is_noise_free(init, float(t.max())):
        return np.zeros_like(t), 0
    return correction(_spectrum(row["case"], row["seed"]), t, 1.0)


_PRECISION_NOTE = re.compile(r"^(at nbeta=\S+: )?Monte-Carlo error \S+ above the \d+% target")


def passed_now(row: dict) -> bool:
    """``row``'s diagnostics under today's rule: rows written before ``Diagnostics.notes``
    (estimator revision 3) counted an unmet precision target at the step cap as a failed
    check; it is a note now (the chains passed every validity check)."""
    if row["passed"] or "notes" in row:
        return bool(row["passed"])
    return bool(row["warnings"]) and all(_PRECISION_NOTE.match(w) for w in row["warnings"])


def refit(rows: list[dict], model: str, run_name: str = "default") -> list[dict]:
    """The stored scans of ``run_name`` re-fitted with the finite-nβ ``model`` (the fit is a
    function of the per-temperature values, and the scan's length does not depend on it, so
    no sampling is repeated): copies of the rows with ``llc``, ``ci``, ``std_error`` as
    :func:`estimate_llc` would report them with that model, named ``run = "refit:<model>"``.
    ``model="auto"``: the estimator's own rule (:func:`select_fit`: the scan's mean when a
    noise-free scan is k/2 within its errors, k curved directions at w*, else its law; the
    interval spanning the laws the scan allows, :func:`law_interval`; k/2 exactly at a
    Morse–Bott zero of rank k of noise-free data or a point of an exactly quadratic loss,
    :func:`_morse_bott`; noise-free or not by
    the row's ``init_loss``, and for rows written before it was recorded by the case's kind;
    on noisy data the point estimate is the mean of those laws, :func:`point_rule`);
    ``"auto-fit"``: the same with the chosen law's value on noisy data too (the rule before
    2026-12-02); ``"auto-law"``: the same without the mean of a k/2 scan nor of the laws;
    ``"known-m"``: what a caller who
    knows the case's multiplicity gets (``estimate_llc(multiplicity=m)``: the m-law for
    m ≥ 2, else the rule without the multiplicity laws, since 2026-12-02; before, the
    default law alone). Every model adds the localisation deficit (:func:`localisation`)
    as the estimator does; a name ending in ``-noloc`` fits the scan without it."""
    out = []
    noloc = model.endswith("-noloc")
    name, model = model, model.removesuffix("-noloc")
    for r in rows:
        tp = r.get("temperatures")
        if r["run"] != run_name or not tp:
            continue
        t = np.asarray(tp["nbeta"], float)
        bias = np.asarray(tp["disc_bias"], float)
        vals = np.asarray(tp["llc"], float) * (1.0 - bias)
        deficit, curved = (np.zeros_like(t), 0) if noloc else localisation(r)
        vals = vals + deficit
        errs = np.asarray(tp["mc_error"], float) * np.abs(1.0 - bias)
        init = r.get("init_loss", 0.0 if r["kind"] == "noise-free" else math.inf)
        if tp.get("symmetrisation") is not None:  # true_parameter: fitted as noise-free
            vals, init = vals + np.asarray(tp["symmetrisation"], float), 0.0
        m = int(r.get("multiplicity") or 1) if model == "known-m" else None
        rule = model in ("auto", "auto-fit") or m == 1  # the estimator's default rule
        if rule:  # the estimator's own choice (select_fit)
            fit = select_fit(t / t[0], vals, errs, t[0], init, curved)
        elif model == "auto-law":  # the law alone, as before select_fit's flat scans
            fit = fit_finite_nbeta(t / t[0], vals, errs, t[0], default_model(init, t[0]))
        elif model == "known-m":  # what estimate_llc(multiplicity=m) fits for m >= 2
            fit = fit_finite_nbeta(t / t[0], vals, errs, t[0], f"mult{m}")
        else:
            fit = fit_finite_nbeta(t / t[0], vals, errs, t[0], model)
        cov = None if tp.get("data_cov") is None else np.asarray(tp["data_cov"], float)
        se = scan_errors(fit, bias, cov).std_error
        ci = [fit.value - Z95 * se, fit.value + Z95 * se]
        value = fit.value
        if rule or model == "auto-law":  # the interval spans the laws
            li = law_interval(fit, bias, cov, laws_for(init, t[0], m), own_error=se)
            ci, se = [li.low, li.high], (li.high - li.low) / (2 * Z95)
            if model in ("auto", "known-m") and point_rule(init, float(t[0])) == POINT_LAW_MEAN:
                value = li.mean  # noisy data: the mean of the laws
        if rule and not noloc and (exact := _morse_bott(r["case"], r["seed"],
                                                        float(t[0]))) is not None:
            value, se, ci = exact, 0.0, [exact, exact]  # λ = k/2 by the Morse–Bott lemma
        out.append({**r, "run": f"refit:{name}", "llc": value, "std_error": se, "ci": ci,
                    "passed": passed_now(r)})
    return out


def _print_score(sc: dict) -> None:
    for half in ("selection", "held-out"):
        h = sc[half]
        med = h["noise_free_median_abs_rel_error"]
        print(f"[{half}] noise-free median |rel err| {100 * med:.1f}%, max "
              f"{100 * h['noise_free_max_abs_rel_error']:.1f}%; noisy max |rel err of mean| "
              f"{100 * h['noisy_max_abs_rel_error_of_mean']:.1f}%; noisy 95% coverage "
              f"{100 * h['noisy_coverage_95']:.0f}%; noise-free coverage "
              f"{100 * h['noise_free_coverage_95']:.0f}%; failed diagnostics "
              f"{h['n_failed_diagnostics']}/{h['n_estimates']}")
        for k, v in {**h["noise_free_rel_errors"], **h["noisy_rel_errors_of_mean"]}.items():
            print(f"    {k:48s} {100 * v:+6.1f}%")
    if "wall_ratio_default_over_single" in sc:
        w = sc["wall_ratio_default_over_single"]
        print(f"wall time default/single: total {w['total']:.2f}x, median {w['median']:.2f}x, "
              f"max {w['max']:.2f}x over {w['pairs']} pairs")


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True,
                    help="the .jsonl of rows (appended to) and beside it its .score.json "
                    "(rewritten); no default, so that no run appends to a committed result "
                    "(benchmarks/results/) by accident")
    ap.add_argument("--half", default="", help="selection | held-out (default both)")
    ap.add_argument("--kind", default="", help="noise-free | noisy (default both)")
    ap.add_argument("--only", default="", help="comma-separated case labels (prefix match)")
    ap.add_argument("--seeds-noisy", type=int, default=5)
    ap.add_argument("--seeds-noise-free", type=int, default=1)
    ap.add_argument("--no-single", action="store_true", help="skip the method='single' runs")
    ap.add_argument("--score-only", action="store_true")
    ap.add_argument("--step-jitter", type=float, default=None,
                    help="estimate_llc's step_jitter for every run (default: the library's "
                    "default; write a non-default run to its own --out)")
    ap.add_argument("--exchange", action="store_true",
                    help="estimate_llc(exchange=True) for the default runs (replica exchange "
                    "between the scan's temperatures; write it to its own --out)")
    ap.add_argument("--true-parameter", action="store_true",
                    help="noisy cases at their true point w0 with estimate_llc("
                    "true_parameter=True), the symmetrised estimand (write it to its own --out)")
    ap.add_argument("--refit", action="append", default=[], metavar="MODEL",
                    help="also score the stored scans re-fitted with this finite-nβ model (a "
                    "name in slttheory.sampling.extrapolate's MODELS, FREE_MODELS or "
                    "MULTIPLICITY_MODELS, 'auto' for the estimator's rule, 'known-m' for "
                    "estimate_llc(multiplicity=<the case's m>); a trailing '-noloc' fits "
                    "without the localisation deficit; "
                    "repeatable), to compare laws on the selection half without resampling")
    a = ap.parse_args(argv)
    out = Path(a.out)
    only = [x for x in a.only.split(",") if x]
    cases = [c for c in CASES if (not a.half or c.half == a.half)
             and (not a.kind or c.kind == a.kind)
             and (not only or any(c.label.startswith(o) for o in only))]
    if not a.score_only:
        run(out, cases, a.seeds_noisy, a.seeds_noise_free, not a.no_single, a.step_jitter,
            a.exchange, a.true_parameter)
    rows = [json.loads(x) for x in out.read_text().splitlines() if x.strip()]
    sc = score(rows)
    _print_score(sc)
    for model in a.refit:
        print(f"--- stored scans re-fitted with {model!r} (DEFAULT_MODEL, for data with noise, "
              f"is {DEFAULT_MODEL!r}; 'auto' is the estimator's rule) ---")
        sc[f"refit:{model}"] = score(refit(rows, model), f"refit:{model}")
        _print_score(sc[f"refit:{model}"])
    with open(out.with_suffix(".score.json"), "w") as fh:
        json.dump(sc, fh, indent=1)
    return sc


if __name__ == "__main__":
    main()
