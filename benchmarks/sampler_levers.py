"""Two levers on the noise-free normal crossings' error, measured and not adopted.

docs/estimator.md §6 ("A position-dependent step", "The fit's own noise bias") records the
numbers; this script reproduces them.

``--crossing`` (hand-written, about 3 min on one core): MALA on the exact potential of the crossing
:math:`f(x) = u^k v\\,x`, :math:`U = \\tfrac t2\\,\\overline{x^2}\\,u^{2k}v^2 + \\tfrac\\gamma2
(u^2+v^2)` (x̄² = 1, γ = 1), 256 chains × 20 000 steps, against the exact estimand
:math:`G(t)` (:func:`slttheory.sampling.reference.crossing_estimand`) at t = 145, 1450,
14 500, 145 000. Three step rules, each with the estimator's log-uniform jitter [ε/10, 10ε]:

- ``fixed``: one ε per run, the largest on a grid with acceptance ≥ 0.65 (the estimator's rule);
- ``curvature``: :math:`\\varepsilon(w) = a/\\operatorname{tr}H_{GN}(w)`, the trace of the
  Gauss–Newton Hessian of U (prior included) — exact for this model, a Jacobian in general;
- ``gradient``: :math:`\\varepsilon(w) = a/(\\lVert\\nabla U(w)\\rVert^2 + 2\\gamma)` — free in
  MALA, whose gradients at w and w' are computed anyway (in equilibrium
  :math:`E\\lVert\\nabla U\\rVert^2 = E\\,\\Delta U`, the trace of the curvature).

A position-dependent step is a Metropolis–Hastings proposal like any other: the test uses
:math:`q(w'|w) = N(w - \\tfrac{\\varepsilon(w)}2\\nabla U(w), \\varepsilon(w)I)` and the reverse
density with :math:`\\varepsilon(w')`, including the :math:`\\tfrac d2\\log\\varepsilon` terms,
so the target is exact for every rule and only mixing differs. Errors: the spread of the
chains' own means over √256.

``--metric`` (about 3 min on 2 cores): the anisotropic lever the table above calls for,
simplified manifold MALA (Girolami & Calderhead 2011, *J. R. Stat. Soc. B* 73:123, §5, the
metric held at the current point): :math:`q(w'|w) = N(w - \\tfrac\\varepsilon2
G(w)^{-1}\\nabla U(w), \\varepsilon G(w)^{-1})` with the Gauss–Newton metric
:math:`G = t\\,\\overline{x^2}\\,JJ^\\top + \\gamma I`, :math:`J = \\nabla_w(u^k v)`, and the
exact MH test (reverse density at :math:`G(w')`, the :math:`\\tfrac12\\log\\det G` terms
included); ε the largest on a grid with acceptance ≥ 0.65 in a pilot, with the jitter.

``--library`` (about 10 min on 2 cores): ``estimate_llc`` at its defaults on u²·v (n = 5000,
float64), ten chain seeds, against the exact G at each scan temperature — as is, and with the
MALA move replaced by the ``gradient`` rule (ε(w) = ε/(1 + ε‖∇U(w)‖²/(d/2)), the calibrated ε
the cap; a patch of ``slttheory.sampling.kernels._mala_move`` in this process only, for the
measurement).

``--fit-noise`` (about 25 min on one core): the noise-free default fit (``pow[1/4,1]``) of
exact estimands with Gaussian noise of 1 % and 2 % per temperature (150 scans each), plain
and with a parametric-bootstrap bias correction (λ̂ − (mean of 100 refits of the fitted
curve plus noise − λ̂); Efron & Tibshirani 1993, *An Introduction to the Bootstrap*, §10.6).

    python benchmarks/sampler_levers.py --crossing | --metric | --library | --fit-noise
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's slttheory
from slttheory.sampling.extrapolate import GRID, fit_finite_nbeta  # noqa: E402
from slttheory.sampling.reference import crossing_estimand  # noqa: E402

X2, GAMMA, JITTER = 1.0, 1.0, math.log(10)


def _crossing(t: float, k: int):
    def energy(w):
        u, v = w[..., 0], w[..., 1]
        return 0.5 * t * X2 * u ** (2 * k) * v**2 + 0.5 * GAMMA * (u * u + v * v)

    def grad(w):
        u, v = w[..., 0], w[..., 1]
        return torch.stack([t * X2 * k * u ** (2 * k - 1) * v**2 + GAMMA * u,
                            t * X2 * u ** (2 * k) * v + GAMMA * v], -1)

    def gn_trace(w):
        u, v = w[..., 0], w[..., 1]
        return t * X2 * (k * k * u ** (2 * k - 2) * v**2 + u ** (2 * k)) + 2 * GAMMA

    return energy, grad, gn_trace


def run_chains(t: float, k: int, rule: str, a: float, steps: int = 20_000, chains: int = 256,
               seed: int = 0) -> tuple[float, float, float]:
    """``(G estimate, its error, mean acceptance)`` of MALA with step rule ``rule``."""
    energy, grad, gn_trace = _crossing(t, k)
    g = torch.Generator().manual_seed(seed)
    w = 0.1 * torch.randn(chains, 2, generator=g, dtype=torch.float64)
    u0, g0 = energy(w), grad(w)

    def step_at(w_, g_, jit):
        if rule == "fixed":
            return a * jit
        if rule == "curvature":
            return a * jit / gn_trace(w_)
        return a * jit / ((g_ * g_).sum(-1) + 2 * GAMMA)

    k_sum, kept, acc = torch.zeros(chains, dtype=torch.float64), 0, 0.0
    for s in range(steps):
        jit = torch.exp((2 * torch.rand(chains, generator=g, dtype=torch.float64) - 1) * JITTER)
        e_f = step_at(w, g0, jit)
        xi = torch.randn(chains, 2, generator=g, dtype=torch.float64)
        prop = w - 0.5 * e_f[:, None] * g0 + e_f.sqrt()[:, None] * xi
        u1, g1 = energy(prop), grad(prop)
        e_r = step_at(prop, g1, jit)
        back = w - prop + 0.5 * e_r[:, None] * g1
        log_a = (u0 - u1 + 0.5 * (xi * xi).sum(-1) - (back * back).sum(-1) / (2 * e_r)
                 + torch.log(e_f) - torch.log(e_r))  # (d/2) log ε terms, d = 2
        ok = torch.log(torch.rand(chains, generator=g, dtype=torch.float64)) < log_a
        w = torch.where(ok[:, None], prop, w)
        u0, g0 = torch.where(ok, u1, u0), torch.where(ok[:, None], g1, g0)
        if s >= steps // 4:
            k_sum += 0.5 * X2 * w[:, 0] ** (2 * k) * w[:, 1] ** 2
            kept += 1
            acc += float(ok.double().mean())
    per_chain = t * k_sum / kept
    return float(per_chain.mean()), float(per_chain.std() / math.sqrt(chains)), acc / kept


def crossing_table() -> list[dict]:
    rows = []
    for k in (1, 2):
        for t in (145.0, 1450.0, 14_500.0, 145_000.0):
            exact = crossing_estimand(t, k, X2, GAMMA)
            fixed = max((e for e in (10 ** (x / 4) for x in range(-28, 1))
                         if run_chains(t, k, "fixed", e, 400, 64, 1)[2] >= 0.65), default=1e-7)
            for rule, a in (("fixed", fixed), ("curvature", 1.0), ("gradient", 1.0)):
                m, se, acc = run_chains(t, k, rule, a)
                rows.append(dict(k=k, t=t, exact=exact, rule=rule, a=a, estimate=m,
                                 std_error=se, z=(m - exact) / se, acceptance=acc))
                print(f"k={k} t={t:9.0f} G={exact:.4f} {rule:9s} a={a:<8.3g} {m:.4f} ± {se:.4f}"
                      f"  z={(m - exact) / se:+5.1f}  acceptance {acc:.2f}", flush=True)
    return rows


def _crossing_metric(w: torch.Tensor, t: float, k: int) -> torch.Tensor:
    """The Gauss–Newton metric of U at ``w`` (chains, 2): t x̄² J Jᵀ + γ I, J = ∇(u^k v)."""
    u, v = w[..., 0], w[..., 1]
    jac = torch.stack([k * u ** (k - 1) * v, u**k], -1)
    return t * X2 * jac[..., :, None] * jac[..., None, :] + GAMMA * torch.eye(2, dtype=w.dtype)


def run_metric_chains(t: float, k: int, a: float, steps: int = 20_000, chains: int = 256,
                      seed: int = 0) -> tuple[float, float, float]:
    """``(G estimate, its error, mean acceptance)`` of simplified manifold MALA (``--metric``)."""
    energy, grad, _ = _crossing(t, k)
    g = torch.Generator().manual_seed(seed)

    def parts(w_, g_):
        chol = torch.linalg.cholesky(_crossing_metric(w_, t, k))
        return (chol, torch.cholesky_solve(g_[..., None], chol)[..., 0],
                2 * torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1))

    w = 0.1 * torch.randn(chains, 2, generator=g, dtype=torch.float64)
    u0, g0 = energy(w), grad(w)
    chol0, drift0, logdet0 = parts(w, g0)
    k_sum, kept, acc = torch.zeros(chains, dtype=torch.float64), 0, 0.0
    for s in range(steps):
        e = a * torch.exp((2 * torch.rand(chains, generator=g, dtype=torch.float64) - 1)
                          * JITTER)
        xi = torch.randn(chains, 2, generator=g, dtype=torch.float64)
        noise = torch.linalg.solve_triangular(chol0.transpose(-1, -2), xi[..., None],
                                              upper=True)[..., 0]  # covariance G(w)^-1
        prop = w - 0.5 * e[:, None] * drift0 + e.sqrt()[:, None] * noise
        u1, g1 = energy(prop), grad(prop)
        chol1, drift1, logdet1 = parts(prop, g1)
        back = (chol1.transpose(-1, -2) @ (w - prop + 0.5 * e[:, None] * drift1)[..., None])
        log_a = ((u0 - u1) + 0.5 * (logdet1 - logdet0) + 0.5 * (xi * xi).sum(-1)
                 - (back * back).sum((-1, -2)) / (2 * e))
        ok = torch.log(torch.rand(chains, generator=g, dtype=torch.float64)) < torch.nan_to_num(
            log_a, nan=-math.inf)
        c = ok[:, None]
        w, u0, g0 = torch.where(c, prop, w), torch.where(ok, u1, u0), torch.where(c, g1, g0)
        chol0 = torch.where(ok[:, None, None], chol1, chol0)
        drift0, logdet0 = torch.where(c, drift1, drift0), torch.where(ok, logdet1, logdet0)
        if s >= steps // 4:
            k_sum += 0.5 * X2 * w[:, 0] ** (2 * k) * w[:, 1] ** 2
            kept += 1
            acc += float(ok.double().mean())
    per_chain = t * k_sum / kept
    return float(per_chain.mean()), float(per_chain.std() / math.sqrt(chains)), acc / kept


def metric_table() -> list[dict]:
    rows = []
    for k in (1, 2):
        for t in (145.0, 1450.0, 14_500.0, 145_000.0):
            exact = crossing_estimand(t, k, X2, GAMMA)
            a = max((e for e in (2 * 10 ** (-x / 4) for x in range(28))
                     if run_metric_chains(t, k, e, 400, 64, 1)[2] >= 0.65), default=2e-7)
            m, se, acc = run_metric_chains(t, k, a)
            rows.append(dict(k=k, t=t, exact=exact, rule="metric", a=a, estimate=m,
                             std_error=se, z=(m - exact) / se, acceptance=acc))
            print(f"k={k} t={t:9.0f} G={exact:.4f} metric    a={a:<8.3g} {m:.4f} ± {se:.4f}"
                  f"  z={(m - exact) / se:+5.1f}  acceptance {acc:.2f}", flush=True)
    return rows


def _gradient_move(ev, energy, pos, dl0, grad, u0, nonfinite, xi, unif, eps, sqrt_eps,
                   coef=None):
    """``kernels._mala_move`` with ε(w) = ε/(1 + ε‖∇U(w)‖²/(d/2)) and its exact MH test."""
    d = pos.shape[-1]
    e0 = eps.reshape(-1)
    e_f = e0 / (1.0 + e0 * (grad * grad).sum(-1) / (0.5 * d))
    prop = pos - (0.5 * e_f).unsqueeze(-1) * grad + e_f.sqrt().unsqueeze(-1) * xi
    dl, g = ev(prop)
    u = energy(prop, dl)
    e_r = e0 / (1.0 + e0 * (g * g).sum(-1) / (0.5 * d))
    back = pos - prop + (0.5 * e_r).unsqueeze(-1) * g
    log_a = ((u0 - u) + 0.5 * (xi * xi).sum(-1) - (back * back).sum(-1) / (2.0 * e_r)
             + (0.5 * d) * (torch.log(e_f) - torch.log(e_r)))
    acc = torch.log(unif) < log_a
    col = acc.unsqueeze(-1)
    return (torch.where(col, prop, pos), torch.where(acc, dl, dl0), torch.where(col, g, grad),
            torch.where(acc, u, u0), nonfinite + ((u - u) != 0), acc, log_a)


def library_table(seeds: int = 10, n: int = 5000) -> list[dict]:
    from slttheory.models.polynomial import NormalCrossing
    from slttheory.sampling import estimate_llc, kernels

    rows, default_move = [], kernels._mala_move
    for rule in ("default", "gradient"):
        kernels._mala_move = default_move if rule == "default" else _gradient_move
        for seed in range(seeds):
            gen = torch.Generator().manual_seed(seed)
            x = torch.randn(n, 1, generator=gen, dtype=torch.float64)
            model = NormalCrossing((2, 1), dtype=torch.float64)
            x2 = float((x**2).mean())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est = estimate_llc(model, (x, torch.zeros_like(x)), device="cpu", seed=seed)
            tp = est.temperatures
            exact = np.array([crossing_estimand(float(t), 2, x2, est.config.localization)
                              for t in tp.nbeta])
            rows.append(dict(rule=rule, seed=seed, error=est.llc / 0.25 - 1,
                             passed=est.diagnostics.passed,
                             z=((np.asarray(tp.llc) - exact) / np.asarray(tp.mc_error)).tolist(),
                             rel=(np.asarray(tp.llc) / exact - 1).tolist()))
            print(json.dumps(rows[-1]), flush=True)
    kernels._mala_move = default_move
    for rule in ("default", "gradient"):
        r = [x for x in rows if x["rule"] == rule]
        print(f"{rule:9s} mean z per temperature {np.mean([x['z'] for x in r], 0).round(2)}, "
              f"mean relative error per temperature "
              f"{(100 * np.mean([x['rel'] for x in r], 0)).round(2)} %, error of λ̂: mean "
              f"{100 * np.mean([x['error'] for x in r]):+.1f} %, median |.| "
              f"{100 * np.median(np.abs([x['error'] for x in r])):.1f} %, passed "
              f"{sum(x['passed'] for x in r)}/{len(r)}")
    return rows


def fit_noise_table(scans: int = 150, refits: int = 100, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    f = np.asarray(GRID)
    rows = []
    for k, lam in ((1, 0.5), (2, 0.25)):
        for n in (1000, 5000):
            t0 = n / math.log(n)
            exact = np.array([crossing_estimand(t0 * x, k, X2, GAMMA) for x in f])
            for rel in (0.01, 0.02):
                se = exact * rel
                plain, corrected = [], []
                for _ in range(scans):
                    fit = fit_finite_nbeta(f, exact + se * rng.standard_normal(4), se, t0,
                                           "pow[1/4,1]")
                    curve = fit.coef[0] + fit.coef[1] * f ** -fit.coef[2]
                    reps = [fit_finite_nbeta(f, curve + se * rng.standard_normal(4), se, t0,
                                             "pow[1/4,1]").value for _ in range(refits)]
                    plain.append(fit.value / lam - 1)
                    corrected.append((2 * fit.value - np.mean(reps)) / lam - 1)
                p, c = np.asarray(plain), np.asarray(corrected)
                noiseless = fit_finite_nbeta(f, exact, se, t0, "pow[1/4,1]").value / lam - 1
                rows.append(dict(k=k, n=n, rel_noise=rel, noiseless_fit=noiseless,
                                 plain_mean=p.mean(), plain_sd=p.std(),
                                 plain_rmse=float(np.sqrt((p**2).mean())),
                                 corrected_mean=c.mean(), corrected_sd=c.std(),
                                 corrected_rmse=float(np.sqrt((c**2).mean()))))
                print(f"u^{k}v n={n} noise {100 * rel:.0f}%: noiseless fit {100 * noiseless:+.1f}%"
                      f" | plain mean {100 * p.mean():+.1f}% sd {100 * p.std():.1f}%"
                      f" | bootstrap-corrected mean {100 * c.mean():+.1f}% sd {100 * c.std():.1f}%",
                      flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    part = ap.add_mutually_exclusive_group(required=True)
    part.add_argument("--crossing", action="store_true")
    part.add_argument("--metric", action="store_true")
    part.add_argument("--library", action="store_true")
    part.add_argument("--fit-noise", action="store_true")
    ap.add_argument("--out", default=None, help="write the rows as JSON here")
    a = ap.parse_args(argv)
    t = time.perf_counter()
    rows = (crossing_table() if a.crossing else metric_table() if a.metric
            else library_table() if a.library else fit_noise_table())
    print(f"{time.perf_counter() - t:.0f} s")
    if a.out:
        with open(a.out, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
