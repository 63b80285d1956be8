"""WBIC (slttheory.sampling.wbic) against the exact tempered posterior mean of a conjugate
model: the Gaussian mean y_i ~ N(μ, 1), loss ½(y − μ)², localisation prior N(μ*, γ⁻¹)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from slttheory.sampling import wbic

Z = 4.0  # two-sided 6e-5: a failure is the estimator's, not chance


def _mean_model(n: int, seed: int) -> tuple[torch.nn.Linear, tuple[torch.Tensor, torch.Tensor]]:
    """y = μ·1 + N(0, 1) with μ = 0.3, the model's μ* at the sample mean ȳ (the MLE)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.ones(n, 1, dtype=torch.float64)
    y = 0.3 + torch.randn(n, 1, generator=g, dtype=torch.float64)
    m = torch.nn.Linear(1, 1, bias=False).double()
    with torch.no_grad():
        m.weight.fill_(float(y.mean()))
    return m, (x, y)


@pytest.mark.parametrize(("gamma", "n_arg"), [(1.0, None), (0.0, None), (1.0, 1000)])
def test_wbic_equals_the_exact_tempered_mean(gamma, n_arg):
    r"""Watanabe 2013 (JMLR 14, Def. of WBIC): WBIC = E^β_w[nL_n(w)] at β = 1/log n. Here the
    tempered posterior is N(ȳ, s²), s² = 1/(nβ + γ) (μ* = ȳ), so exactly
    WBIC = nL_n(ȳ) + n s²/2 (= ½ log n · nβ/(nβ + γ), λ = ½; a β of 1 would give about ½,
    not 3.1). nL_n(μ) − nL_n(ȳ) = (n s²/2)·χ²₁ has s.d. n s²/√2, so the Monte-Carlo error of
    its mean over ESS effective draws is n s²/√(2·ESS): tolerance Z of those (the ESS is the
    diagnostics', of the same functional nβΔL). The reported ``std_error`` must be that
    error to within a factor 2 (its own spread over 4 chains is far smaller than that).
    ``n=1000`` with 500 data: β = 1/log 1000 and nL_n with n = 1000 (the same formula)."""
    m, data = _mean_model(500, seed=11)
    w = wbic(m, data, n=n_arg, localization=gamma, chains=4, draws=3000, seed=5,
             device="cpu")
    n = 500 if n_arg is None else n_arg
    y = data[1].numpy()[:, 0]
    beta = 1 / math.log(n)
    s2 = 1 / (n * beta + gamma)
    nl_min = n * float(np.mean(0.5 * (y - y.mean()) ** 2))
    exact = nl_min + n * s2 / 2
    ess = w.estimate.diagnostics.ess
    assert w.estimate.diagnostics.passed and ess > 500, w.estimate.summary()
    se = n * s2 / math.sqrt(2 * ess)
    assert w.value == pytest.approx(exact, abs=Z * se)
    assert w.nll_at_wstar == pytest.approx(nl_min, rel=1e-12)
    assert w.estimate.config.beta == pytest.approx(beta, rel=1e-12)
    assert 0.5 * se < w.std_error < 2 * se, (w.std_error, se)
