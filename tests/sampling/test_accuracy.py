"""Accuracy of the defaults against closed forms (issue 12); the full measurement is
``benchmarks/accuracy.py`` (docs/estimator.md has the theory behind these tolerances).

* A single-temperature estimate at one data set lies around λ − (m − 1)/log(nβ) (the
  multiplicity term of the partition function's expansion, Watanabe 2009, *Algebraic
  Geometry and Statistical Learning Theory*, Ch. 4) with a data-set spread of at most
  √(λ/(2 log n)) (Watanabe 2013, JMLR 14, arXiv:1208.6338, Thm 4).
* The default method's 95 % interval must cover λ where its finite-nβ model holds: at a
  least-squares point of a linear model the posterior is Gaussian at every temperature and the
  fit of the exact curve is within 0.1 % of d/2, so coverage over data sets is a binomial
  count with p ≈ 0.95.
"""

import importlib.util
import math
import sys
import warnings
from pathlib import Path

import pytest
import torch

from slttheory.models import FAMILIES
from slttheory.sampling import LLCWarning, estimate_llc

Z = 3.0


def test_default_build_and_auto_settings_on_singular_rrr():
    """RRR (m, n, h, r) = (5, 5, 3, 0), n = 1000, default ``build`` (w* = the empirical minimiser
    near A = B = 0) and every ``estimate_llc`` setting automatic except ``draws`` (time) and
    ``method="single"`` (the identity below is the single-temperature estimator's).

    λ = 13/2, m = 2: centre λ − 1/log(nβ) = 6.30, spread √(λ/(2 log n)) = 0.69. Also the exact
    identity of the estimator at the two reference points: both runs sample (nearly) the same
    localized posterior, so λ̂(ŵ) − λ̂(w0) = nβ(L_n(w0) − L_n(ŵ)) up to their MC errors and the
    small shift of the localization centre (|ŵ − w0| ≈ 0.75 against the prior scale 1)."""
    fam = FAMILIES["reduced_rank_regression"]
    params = {"m": 5, "n": 5, "h": 3, "r": 0}
    prob = fam.build(params, n=1000, generator=torch.Generator().manual_seed(21))
    true = fam.build(params, n=1000, generator=torch.Generator().manual_seed(21), refine_steps=0)
    assert prob.extras["refined"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)
        est = estimate_llc(prob.model, prob.data, loss=prob.loss, draws=2000, device="cpu",
                           method="single")
        est0 = estimate_llc(true.model, true.data, loss=true.loss, draws=2000, device="cpu",
                            method="single")
    assert {"step_size", "localization", "burn_in"} <= set(est.config.auto), est.config.auto
    n, nbeta = 1000, est.config.nbeta
    lam, mult = 6.5, 2
    centre = lam - (mult - 1) / math.log(nbeta)
    spread = math.sqrt(lam / (2 * math.log(n)))
    assert abs(est.llc - centre) < Z * math.hypot(spread, est.mc_error), est.summary()
    offset = nbeta * (prob.extras["loss_at_true"] - prob.extras["loss_refined"])
    assert offset > 1.0  # the known downward offset at the true point (≈ 1.8 here)
    diff = est.llc - est0.llc
    assert abs(diff - offset) < 4 * math.hypot(est.mc_error, est0.mc_error) + 0.1 * offset, (
        diff, offset, est.summary(), est0.summary())


# ------------------------------------------------------------------ slow


@pytest.mark.slow
def test_interval_covers_d_over_2_on_gaussian_posteriors():
    """Linear regression y = Xb + 1 + noise (d = 3) at its least-squares point, 20 data sets,
    every setting at its default: λ = 3/2 must lie in at least 16 of the 20 intervals
    (P(X ≤ 15) = 1.6 % for a binomial(20, 0.95); an interval that drops the fit's or the MC
    error falls below that)."""
    hits = []
    for s in range(20):
        m, data = _least_squares_linear(seed=100 + 2 * s)
        est = estimate_llc(m, data, device="cpu", seed=s)
        hits.append(est.ci[0] <= 1.5 <= est.ci[1])
    assert sum(hits) >= 16, hits


def _least_squares_linear(seed, n=1000, p=2):
    """y = X (1, 2) + 1 + N(0, 1), nn.Linear(2, 1) at the least-squares fit (d = 3)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, p, generator=g, dtype=torch.float64)
    y = x @ torch.arange(1.0, p + 1, dtype=torch.float64).unsqueeze(1) + 1.0
    y = y + torch.randn(n, 1, generator=g, dtype=torch.float64)
    design = torch.cat([x, torch.ones(n, 1, dtype=torch.float64)], 1)
    sol = torch.linalg.lstsq(design, y).solution
    m = torch.nn.Linear(p, 1).double()
    with torch.no_grad():
        m.weight.copy_(sol[:p].T)
        m.bias.copy_(sol[p])
    return m, (x, y)


def _cases():
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "accuracy_cases.py"
    spec = importlib.util.spec_from_file_location("slt_accuracy_cases", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, mod)  # its dataclasses look their module up by name
    spec.loader.exec_module(sys.modules[spec.name])
    mod = sys.modules[spec.name]
    return {c.label: c for c in mod.CASES}


# selection-half cases whose finite-nβ behaviour the default model describes (measured on the
# selection half, benchmarks/accuracy.py): their intervals must cover λ
WELL_DESCRIBED = ("nf regular d=3", "nf rrr (5,5,3,0)", "nf dln (3,4,3) r=0")


@pytest.mark.slow
@pytest.mark.parametrize("label", WELL_DESCRIBED)
def test_noise_free_selection_cases_inside_their_intervals(label):
    b = _cases()[label].build(0)
    est = estimate_llc(b.model, b.data, loss=b.loss, device="cpu", seed=0)
    assert est.ci[0] <= b.lam <= est.ci[1], est.summary()
    assert est.diagnostics.passed, est.summary()


def test_seed_spread_summary_compares_the_scatter_with_the_stated_errors():
    """``benchmarks/seed_spread.py``'s summary on made-up rows: the seeds' standard deviation
    per temperature against the mean stated MC error, the χ² of the scatter in units of the
    stated errors, the point estimate's mean and spread in units of λ, and the coverage."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "seed_spread.py"
    spec = importlib.util.spec_from_file_location("slt_seed_spread", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rows = [{"case": "c", "lambda": 2.0, "nbeta": [10.0, 5.0], "llc_t": [v, 1.0],
             "mc_error": [1.0, 0.5], "llc": v, "ci": [v - 1, v + 1], "fit": "pow1/4",
             "passed": True} for v in (0.5, 1.5, 2.5)]
    s = mod.summary(rows)
    assert s["sd_over_seeds"] == pytest.approx([1.0, 0.0])
    assert s["ratio"] == pytest.approx([1.0, 0.0])
    # χ² = Σ z² = 2 on 2 degrees of freedom: p = e^{-1}
    assert s["chi2_p"][0] == pytest.approx(math.exp(-1.0))
    assert s["estimate_mean_over_lambda"] == pytest.approx(0.75)
    assert s["estimate_sd_over_lambda"] == pytest.approx(0.5)
    assert s["ci_covers_lambda"] == 2 and s["passed"] == 3 and s["seeds"] == 3
