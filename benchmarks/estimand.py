r"""Which part of an LLC error is the estimand and which is the sampler: exact G(t) by quadrature.

For a noise-free two-parameter normal crossing :math:`f(x) = u^{k_1}v^{k_2}x` the sampled
potential is :math:`U = tK_n + \tfrac\gamma2(u^2+v^2)` with
:math:`K_n = \tfrac12\overline{x^2}\,u^{2k_1}v^{2k_2}` exactly, so the single-temperature
estimand :math:`G(t) = tE_t[K_n] = -d\log Z/d\log t` (:math:`Z(t) = \int e^{-U}`) is a
two-dimensional integral. For k₂ = 1 the v-integral is Gaussian,
:math:`Z(t) = \int \sqrt{2\pi/(t\overline{x^2}u^{2k_1} + \gamma)}\,e^{-\gamma u^2/2}\,du`,
and one quadrature in u gives G to ~1e-6 (:func:`slttheory.sampling.reference
.crossing_estimand`).

For each case the default estimator (``estimate_llc``) runs once per MALA step jitter
(``estimate_llc(step_jitter=...)``); the script prints, per temperature, the sampler's
:math:`\hat\lambda(t_j)` against :math:`G(t_j)` in units of the
reported Monte-Carlo error (the sampler's error), and :math:`G(t_0) - \lambda` (the
estimand's bias, which no sampler removes) and the finite-nβ fit applied to the exact
:math:`G(t_j)` (what the extrapolation would give with a perfect sampler). It separates three
things a benchmark error mixes: estimand, extrapolation, sampler.

    python benchmarks/estimand.py [--out benchmarks/results/estimand.json]

``--laws`` (quadrature only, seconds) asks whether a scan could choose the multiplicity: for
m = 2, :math:`Z(t) \simeq t^{-\lambda}(c_0\log t + c_1)` up to next-pole terms, so
:math:`G(t) = \lambda - 1/(\log t + \kappa)` exactly with :math:`\kappa = c_1/c_0`
(``extrapolate.MULTIPLICITY_MODELS``, what ``estimate_llc(multiplicity=2)`` fits). It fits
that law and the power laws to the exact G on the default grid and prints each fit's error and
χ² (at 1 % relative errors).

``--tanh`` does the same for the tanh networks of the ``tanh_network`` family (h = 1, 2, 3,
noise-free, w* = 0, x ~ U[−1, 1], n = 1000): G(t) over four decades of t by importance sampling
from the prior (:func:`slttheory.sampling.reference.tanh_estimand`, population loss), the
sampler's single-temperature λ̂(t) on the family's own data at t₀·(1, 10, 100, 1000), and fits
of the power law and the m = 2 law to the wide-range G: is Aoyagi's λ (1/2, 2/3, 5/6) what the
estimand tends to, and how far below it is at t₀?

``--noisy`` (quadrature only, about a minute) asks what noisy data add to the estimand and
whether the symmetrised estimand at the true parameter (``estimate_llc(true_parameter=True)``)
removes it. For f = g(w)·x with g = u·v^k (or g = w, regular), prior N(0, I), x ~ N(0, 1) and
y = ε ~ N(0, 1), the posterior depends on w only through g, whose prior density is one
integral, so every posterior expectation is one quadrature in g per data set. Over many data
sets it prints the mean (and spread) of t·E_t of: the training excess loss at w0 (the plain
estimate at the truth), the same plus β²V/2 (V the functional variance; Watanabe's equation
of state for the training error), the excess loss over the empirical minimiser ĝ (the plain
estimate at ŵ, the prior kept at w0), and the symmetrised ½(K_n + K̃_n); beside the noise-free
G(t₀) and, for the last, the fit of its scan by the free-exponent noise-free law
(``extrapolate.NOISE_FREE_MODEL``, the estimator's noise-free fit until revision 8).

Measured 2026-11-30 and 2026-12-01 (2 CPU cores): see ``docs/estimator.md`` §6.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's slttheory
from slttheory.models.polynomial import NormalCrossing  # noqa: E402
from slttheory.sampling import estimate_llc  # noqa: E402
from slttheory.sampling.extrapolate import fit_finite_nbeta  # noqa: E402
from slttheory.sampling.reference import crossing_estimand  # noqa: E402

CASES = {  # label: (k1, lambda, multiplicity, n)
    "normal crossing (1,1), n=1000": (1, 0.5, 2, 1000),
    "normal crossing (1,1), n=10000": (1, 0.5, 2, 10_000),
    "normal crossing (2,1), n=1000": (2, 0.25, 1, 1000),
}


def run_case(label: str, k1: int, lam: float, mult: int, n: int, seed: int = 0,
             jitter: float = 0.0) -> dict:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, generator=g, dtype=torch.float64)
    model = NormalCrossing((k1, 1), dtype=torch.float64)
    x2 = float((x**2).mean())
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = estimate_llc(model, (x, torch.zeros_like(x)), device="cpu", seed=seed,
                           step_jitter=jitter)
    wall = time.perf_counter() - t1
    gamma = est.config.localization
    tp = est.temperatures
    exact = np.array([crossing_estimand(float(t), k1, x2, gamma) for t in tp.nbeta])
    t0 = float(tp.nbeta[0])
    f = tp.nbeta / t0
    fit_exact = fit_finite_nbeta(f, exact, tp.mc_error, t0, tp.fit.model)
    rows = [dict(nbeta=float(t), sampler=float(v), mc_error=float(e), exact=float(x_),
                 z=float((v - x_) / e)) for t, v, e, x_ in zip(tp.nbeta, tp.llc, tp.mc_error,
                                                               exact, strict=True)]
    return dict(label=label, lam=lam, multiplicity=mult, n=n, gamma=gamma, jitter=jitter,
                estimate=est.llc, std_error=est.std_error, passed=est.diagnostics.passed,
                estimand_at_t0=float(exact[0]), fit_of_exact=fit_exact.value,
                wall_s=wall, temperatures=rows)


def laws_table() -> list[dict]:
    """Exact G of u^k·v on the default grid, fitted by each law (see the module docstring)."""
    from slttheory.sampling.extrapolate import GRID

    rows = []
    f = np.asarray(GRID)
    for n in (1000, 10_000):
        t0 = n / np.log(n)
        for k, lam, mult in ((1, 0.5, 2), (2, 0.25, 1), (3, 1 / 6, 1)):
            g = np.array([crossing_estimand(t0 * fj, k, 1.0, 1.0) for fj in f])
            se = np.full(f.size, 0.01 * lam)
            row = dict(n=n, k=k, lam=lam, multiplicity=mult, estimand_at_t0=float(g[0]))
            for law in ("pow[1/2,1]", "pow[1/4,1]"):
                fit = fit_finite_nbeta(f, g, se, t0, law)
                row[law] = (fit.value, fit.chi2)
            fit = fit_finite_nbeta(f, g, se, t0, "mult2")
            row["m=2 law"] = (fit.value, fit.chi2)
            rows.append(row)
            print(f"n = {n:5d}, u^{k}·v (λ = {lam:.3g}, m = {mult}): G(t0) "
                  f"{g[0] / lam - 1:+.1%}; " + "; ".join(
                      f"{law} {row[law][0] / lam - 1:+.1%} (χ² {row[law][1]:.2g})"
                      for law in ("pow[1/2,1]", "pow[1/4,1]", "m=2 law")))
    return rows


def _g_prior_density(k: int, g: np.ndarray) -> np.ndarray:
    """Density of g = u·v^k for (u, v) ~ N(0, I) (k = 0: g = u), by one integral over log v."""
    from scipy.special import k0

    if k == 0:
        return np.exp(-g**2 / 2) / np.sqrt(2 * np.pi)
    if k == 1:
        return k0(np.abs(g)) / np.pi
    s = np.linspace(-60.0, np.log(12.0), 40_001)
    v = np.exp(s)
    phi = np.exp(-v**2 / 2) / np.sqrt(2 * np.pi)
    out = np.empty_like(g)
    for i, gi in enumerate(g):  # p(g) = 2∫ φ(v) φ(g/v^k) v^{-k} dv, dv = v ds
        out[i] = 2 * np.sum(phi * np.exp(-(gi / v**k) ** 2 / 2) / np.sqrt(2 * np.pi)
                            * v ** (1 - k)) * (s[1] - s[0])
    return out


NOISY_CASES = ((0, 0.5, 1000), (1, 0.5, 1000), (2, 0.25, 1000), (3, 1 / 6, 1000),
               (1, 0.5, 10_000), (3, 1 / 6, 10_000))
"""(k, λ, n) of ``--noisy``: g = u·v^k (k = 0: the regular g = u)."""


def noisy_table(sets: int = 300, seed: int = 0) -> list[dict]:
    """The noisy estimands at w0 and ŵ against the noise-free one (module docstring)."""
    from slttheory.sampling.extrapolate import GRID, NOISE_FREE_MODEL

    rng = np.random.default_rng(seed)
    f = np.asarray(GRID)
    rows = []
    for k, lam, n in NOISY_CASES:
        log_n, t0 = np.log(n), n / np.log(n)
        g = np.concatenate([-np.logspace(1.2, -12, 2000), np.logspace(-12, 1.2, 2000)])
        w = np.gradient(g) * _g_prior_density(k, g)

        def moments(t: float, a: float, b: float, g=g, w=w) -> list[float]:
            e = -t * (0.5 * a * g**2 - b * g)
            p = w * np.exp(e - e.max())
            p /= p.sum()
            return [float(p @ g**j) for j in (1, 2, 3, 4)]

        nf = np.array([t0 * fj * 0.5 * moments(t0 * fj, 1.0, 0.0)[1] for fj in f])
        vals = {key: [] for key in ("w0", "w0+b2V/2", "ghat", "symmetrised", "sym fit")}
        for _ in range(sets):
            x, y = rng.standard_normal(n), rng.standard_normal(n)
            a, b = float(x @ x) / n, float(x @ y) / n
            sx4, sx2y2, sx3y = float(np.sum(x**4)), float(np.sum(x**2 * y**2)), float(
                np.sum(x**3 * y))
            sym = []
            for j, fj in enumerate(f):
                t, beta = t0 * fj, fj / log_n
                m1, m2, m3, m4 = moments(t, a, b)
                k_n = t * (0.5 * a * m2 - b * m1)  # training excess loss at w0
                sym.append(t * (0.5 * a * m2 - 0.5 * b * m1))  # ½(K_n + K̃_n)
                if j == 0:
                    v = 0.25 * (m4 - m2**2) * sx4 + (m2 - m1**2) * sx2y2 - (m3 - m1 * m2) * sx3y
                    vals["w0"].append(k_n)
                    vals["w0+b2V/2"].append(k_n + beta**2 * v / 2)
                    vals["ghat"].append(k_n + t * 0.5 * b * b / a)
            vals["symmetrised"].append(sym[0])
            vals["sym fit"].append(fit_finite_nbeta(f, np.array(sym), 0.01 * nf, t0,
                                                    NOISE_FREE_MODEL).value)
        nf_fit = fit_finite_nbeta(f, nf, 0.01 * nf, t0, NOISE_FREE_MODEL).value
        row = dict(k=k, lam=lam, n=n, sets=sets, noise_free=float(nf[0]),
                   noise_free_fit=float(nf_fit),
                   **{key: (float(np.mean(v)), float(np.std(v))) for key, v in vals.items()})
        rows.append(row)
        name = "u (regular)" if k == 0 else f"u·v^{k}"
        print(f"{name:12s} n = {n:5d}, λ = {lam:.4g}: noise-free G(t0) {nf[0]:.4f}, fit "
              f"{nf_fit / lam - 1:+.1%} | " + " | ".join(
                  f"{key} {m:.4f} (sd {sd:.3f})" for key, (m, sd) in
                  ((key, row[key]) for key in vals)), flush=True)
    return rows


TANH_T = tuple(1000 / np.log(1000) * 10 ** (k / 2) for k in range(-2, 7))
"""t₀·10^(k/2), k = −2..6: t₀/10 to 1000 t₀ (t₀ = 1000/log 1000)."""


def tanh_table(samples: int = 2 * 10**7, sampled_h: tuple[int, ...] = (3,)) -> list[dict]:
    """The tanh networks' estimand over four decades, the sampler against it, and the laws
    fitted to it (see the module docstring)."""
    from scipy.optimize import curve_fit

    from slttheory.models import FAMILIES
    from slttheory.sampling.reference import tanh_estimand

    rows = []
    ts = np.asarray(TANH_T)
    t0 = ts[2]
    for h, lam in ((1, 0.5), (2, 2 / 3), (3, 5 / 6)):
        t_start = time.perf_counter()
        r = tanh_estimand(h, list(ts), 1.0, samples=samples,
                          generator=torch.Generator().manual_seed(0))
        g = np.asarray(r.value)
        row = dict(h=h, lam=lam, t=list(ts), estimand=list(g), std_error=list(r.std_error),
                   ess=list(r.ess), samples=samples, fits={}, sampled=[])
        print(f"tanh h = {h} (λ = {lam:.4g}): G(t)/λ − 1 at t/t₀ = 0.1 … 1000 (importance "
              f"sampling, {samples:.0e} prior draws, {time.perf_counter() - t_start:.0f} s):")
        print("   " + ", ".join(f"{t / t0:g}: {v / lam - 1:+.1%}" for t, v in zip(ts, g,
                                                                             strict=True)))
        for lo in (0, 4):  # the whole range; t ≥ 10 t₀
            tt, gg = ts[lo:], g[lo:]
            p, _ = curve_fit(lambda t, l, a, d: l + a * t ** -d, tt, gg,
                             p0=(gg[-1] + 0.1, -1.0, 0.3), bounds=([0, -100, 0.01], [5, 100, 2]))
            q, _ = curve_fit(lambda t, l, k: l - 1 / (np.log(t) + k), tt, gg,
                             p0=(gg[-1] + 0.1, 1.0))
            row["fits"][f"t>={tt[0]:.0f}"] = dict(power=(p[0], p[2]), mult2=q[0])
            print(f"   fitted to t ≥ {tt[0]:.0f}: λ + a t^-δ → {p[0]:.3f} (δ = {p[2]:.2f}); "
                  f"λ − 1/(log t + κ) → {q[0]:.3f}")
        if h in sampled_h:
            prob = FAMILIES["tanh_network"].build({"h": h, "noise": 0.0}, refine_steps=0,
                                                  generator=torch.Generator().manual_seed(0))
            for j, mult in enumerate((1, 10, 100, 1000)):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    e = estimate_llc(prob.model, prob.data, loss=prob.loss,
                                     beta=mult / np.log(1000), method="single", seed=0,
                                     device="cpu", chains=8)
                exact = g[2 + 2 * j]
                z = (e.llc - exact) / e.std_error
                row["sampled"].append(dict(t=mult * t0, llc=e.llc, std_error=e.std_error,
                                           passed=e.diagnostics.passed, exact=exact, z=z))
                print(f"   sampler at {mult:4d} t₀: {e.llc:.4f} ± {e.std_error:.4f} against "
                      f"G = {exact:.4f} (z = {z:+.1f}; diagnostics "
                      f"{'pass' if e.diagnostics.passed else 'FAIL'})")
        rows.append(row)
        sys.stdout.flush()
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=None, help="write the results as JSON here")
    ap.add_argument("--jitter", default="0,2.3", help="MALA step jitters to compare "
                    "(estimate_llc's step_jitter), comma-separated")
    ap.add_argument("--laws", action="store_true", help="only fit the finite-t laws to the "
                    "exact G (no sampling)")
    ap.add_argument("--tanh", action="store_true", help="only the tanh networks' estimand "
                    "over four decades (importance sampling) and the sampler against it")
    ap.add_argument("--noisy", action="store_true", help="only the noisy estimands at w0 and "
                    "ŵ against the noise-free one, by quadrature (no sampling)")
    args = ap.parse_args(argv)
    if args.noisy or args.tanh or args.laws:
        rows = noisy_table() if args.noisy else tanh_table() if args.tanh else laws_table()
        if args.out:
            with open(args.out, "w") as fh:
                json.dump(rows, fh, indent=1)
        return 0
    out = []
    for (label, (k1, lam, mult, n)), jit in ((c, float(j)) for c in CASES.items()
                                             for j in args.jitter.split(",")):
        r = run_case(label, k1, lam, mult, n, jitter=jit)
        out.append(r)
        print(f"{label}, step_jitter {jit:g}: λ = {lam}, m = {mult}, γ = {r['gamma']:.3g}, "
              f"{r['wall_s']:.0f} s")
        print(f"  estimand G(t0) = {r['estimand_at_t0']:.4f} ({r['estimand_at_t0'] / lam - 1:+.1%}"
              f" of λ); finite-nβ fit of the exact G = {r['fit_of_exact']:.4f} "
              f"({r['fit_of_exact'] / lam - 1:+.1%}); estimator {r['estimate']:.4f} ± "
              f"{r['std_error']:.2g} ({r['estimate'] / lam - 1:+.1%}), diagnostics "
              f"{'pass' if r['passed'] else 'FAIL'}")
        for row in r["temperatures"]:
            print(f"    t = {row['nbeta']:8.4g}: sampler {row['sampler']:.4f} ± "
                  f"{row['mc_error']:.2g}, exact {row['exact']:.4f}, z = {row['z']:+.1f}")
        sys.stdout.flush()
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
