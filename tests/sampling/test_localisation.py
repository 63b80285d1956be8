"""The localisation deficit removed from a noise-free scan (slttheory.sampling.localisation)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from slttheory.models import FAMILIES
from slttheory.sampling import estimate_llc
from slttheory.sampling.localisation import (
    RESOLVED_FRACTION,
    gauss_newton_spectrum,
    localisation_deficit,
    resolved_curvatures,
)
from slttheory.sampling.precondition import loss_hessian
from slttheory.sampling.problem import _per_sample_loss

curvatures = st.lists(st.floats(1e-4, 1e3), min_size=1, max_size=8)
temperature = st.floats(1.0, 1e5)
gammas = st.floats(1e-2, 1e2)


@settings(max_examples=80, deadline=None)
@given(h=curvatures, t=temperature, gamma=gammas)
def test_gaussian_estimand_plus_deficit_is_half_per_direction(h, t, gamma):
    """For a quadratic loss t·E_t[ΔL] = ½Σ th/(th + γ) exactly; with the deficit it is k/2."""
    hh = np.asarray(h)
    gauss = 0.5 * np.sum(t * hh / (t * hh + gamma))
    total = gauss + localisation_deficit(hh, t, gamma)[0]
    assert total == pytest.approx(0.5 * hh.size, rel=1e-12)


@settings(max_examples=80, deadline=None)
@given(h=curvatures, t=temperature, factor=st.floats(1.01, 100.0), gamma=gammas)
def test_deficit_is_bounded_and_falls_with_temperature(h, t, factor, gamma):
    """0 ≤ c(t) ≤ k/2, decreasing in t and increasing in γ."""
    c = localisation_deficit(h, [t, t * factor], gamma)
    assert 0.0 <= c[1] <= c[0] <= 0.5 * len(h)
    assert localisation_deficit(h, t, 2 * gamma)[0] >= c[0]


def test_resolved_curvatures_drop_round_off_and_unresolved_directions():
    t0, gamma = 145.0, 1.0
    floor = RESOLVED_FRACTION * gamma / t0
    h = resolved_curvatures([3.0, 2 * floor, 0.5 * floor, 1e-14, 0.0, -1e-9], t0, gamma)
    assert h.tolist() == [3.0, 2 * floor]
    with pytest.raises(ValueError, match="gamma"):
        resolved_curvatures([1.0], t0, 0.0)
    with pytest.raises(ValueError, match="eigenvalues"):
        resolved_curvatures([], t0, gamma)
    with pytest.raises(ValueError, match="curvatures"):
        localisation_deficit([-1.0], 10.0, gamma)


@pytest.mark.parametrize("name, params, zero", [
    ("tanh_network", {"h": 2}, 4),                           # singular point: all flat
    ("reduced_rank_regression", {"m": 5, "n": 4, "h": 2, "r": 2}, 4),   # GL(2) orbit
    ("quadratic_network", {"d": 3, "k": 2, "p": 1}, 3),     # centred loss couples samples
])
def test_gauss_newton_spectrum_is_the_hessian_at_an_exact_fit(name, params, zero):
    """At a noise-free w* the Gauss–Newton spectrum equals the float64 Hessian's, and its flat
    directions (symmetry orbits, singular directions) are zeros to round-off."""
    fam = FAMILIES[name]
    prob = fam.build({**params, "noise": 0.0}, refine_steps=0,
                     generator=torch.Generator().manual_seed(0))
    model, (x, y) = prob.model, tuple(prob.data)
    per_sample = _per_sample_loss(prob.loss)
    ev = gauss_newton_spectrum(model, (x, y), per_sample)
    names = list(dict(model.named_parameters()))
    m64 = {k: v.detach().double() for k, v in model.named_parameters()}
    sizes = [v.numel() for v in m64.values()]
    shapes = [v.shape for v in m64.values()]
    center = torch.cat([v.reshape(-1) for v in m64.values()])
    x64 = x.double() if x.is_floating_point() else x
    y64 = y.double().reshape(-1, *model(x[:1]).shape[1:])

    def loss(w):
        parts = {k: t.view(s) for k, t, s in zip(names, torch.split(w, sizes), shapes,
                                                  strict=True)}
        out = torch.func.functional_call(model, parts, (x64,))
        return per_sample(out, y64).mean()

    hess = np.linalg.eigvalsh(loss_hessian(loss, center).numpy())
    top = max(ev.max(), 1.0)
    assert np.allclose(np.sort(ev), np.sort(hess), atol=1e-6 * top)
    assert int(np.sum(ev < 1e-10 * top)) == zero


def test_noise_free_regular_scan_reaches_half_the_dimension():
    """The line y = 3x + 2 at n = 100 is exactly Gaussian: its scan bends from 0.54 to 0.91
    through the localisation alone, which the extrapolation used to read as +8.7 %. With the
    deficit added every temperature estimates λ = 1: each within 4 of its Monte-Carlo errors,
    and the scan's own law is the Morse–Bott mean, within 4 of its Monte-Carlo errors of 1. The
    estimate itself is exactly 1: w* is a nondegenerate zero (``morse_bott_rank``, k = d); the
    scan is sampled as a record (``record_scan=True``)."""
    prob = FAMILIES["linear_regression_toy"].build(
        {"noise": 0.0}, refine_steps=0, generator=torch.Generator().manual_seed(0))
    est = estimate_llc(prob.model, tuple(prob.data), loss=prob.loss, seed=0, device="cpu",
                       record_scan=True)
    scan = est.temperatures
    assert scan.localisation is not None and scan.curved_directions == 2
    assert np.allclose(scan.corrected, scan.llc * (1 - scan.disc_bias) + scan.localisation)
    assert np.all(np.abs(scan.corrected - 1.0) <= 4 * scan.mc_error)   # raw: 0.54 at t0/10
    law, value, se = scan.laws[0]  # what the scan alone gives
    assert law == "flat"  # a Morse–Bott scan (k/2 = 1): nothing to extrapolate
    assert abs(value - 1.0) <= 4 * se
    assert scan.fit.model == "morse_bott" and est.llc == 1.0 and est.ci == (1.0, 1.0)
    assert any("nondegenerate minimum" in note for note in est.diagnostics.notes)


def test_noisy_scan_is_not_corrected():
    """An empirical minimiser's small curvatures are fitted noise: no correction."""
    prob = FAMILIES["linear_regression_toy"].build(
        {"noise": 1.0}, generator=torch.Generator().manual_seed(0))
    est = estimate_llc(prob.model, tuple(prob.data), loss=prob.loss, seed=0, device="cpu",
                       draws=300)
    assert est.temperatures.localisation is None
    assert est.temperatures.curved_directions == 0


def test_no_localisation_means_nothing_to_remove():
    """γ = 0 (devinterp's setting in some of its tests) leaves the scan as sampled."""
    prob = FAMILIES["linear_regression_toy"].build(
        {"noise": 0.0}, refine_steps=0, generator=torch.Generator().manual_seed(0))
    est = estimate_llc(prob.model, tuple(prob.data), loss=prob.loss, seed=0, device="cpu",
                       localization=0.0, draws=300)
    assert est.temperatures.localisation is None
    assert np.allclose(est.temperatures.corrected, est.temperatures.llc)



def test_a_model_without_a_float64_forward_is_fitted_as_sampled():
    """The spectrum runs the model in float64; a forward pass that cannot (here: a float32
    constant mixed in) leaves the scan uncorrected, with a note, and nothing else lost."""

    class Float32Only(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(1, 1)

        def forward(self, x):
            return self.lin(x) @ torch.ones(1, 1, dtype=torch.float32)

    m = Float32Only()
    x = torch.linspace(-1, 1, 200).reshape(-1, 1)
    with torch.no_grad():
        y = m(x)
    est = estimate_llc(m, (x, y), seed=0, device="cpu", draws=300)
    assert est.temperatures.localisation is None
    assert any("localisation deficit not removed" in n for n in est.diagnostics.notes)
    assert np.isfinite(est.llc)


def test_spectrum_refuses_a_jacobian_too_large_to_hold(monkeypatch):
    from slttheory.sampling import localisation as L

    monkeypatch.setattr(L, "MAX_JACOBIAN_ENTRIES", 10)
    m = torch.nn.Linear(2, 3)
    x = torch.randn(5, 2)
    with pytest.raises(ValueError, match="MAX_JACOBIAN_ENTRIES"):
        L.gauss_newton_spectrum(m, (x, m(x).detach()), _per_sample_loss("gaussian"))


def test_spectrum_names_an_unknown_parameter():
    m = torch.nn.Linear(1, 1)
    x = torch.randn(4, 1)
    with pytest.raises(ValueError, match="params.*'nope'"):
        gauss_newton_spectrum(m, (x, m(x).detach()), _per_sample_loss("gaussian"), ["nope"])


def test_a_model_above_max_dim_is_fitted_as_sampled_with_a_note(monkeypatch):
    from slttheory.sampling import localisation as L

    monkeypatch.setattr(L, "MAX_DIM", 1)
    prob = FAMILIES["linear_regression_toy"].build(
        {"noise": 0.0}, refine_steps=0, generator=torch.Generator().manual_seed(0))
    est = estimate_llc(prob.model, tuple(prob.data), loss=prob.loss, seed=0, device="cpu",
                       draws=300)
    assert est.temperatures.localisation is None
    assert any("MAX_DIM" in n for n in est.diagnostics.notes), est.diagnostics.notes


def _tanh_teacher(widths, n, seed=0):
    g = torch.Generator().manual_seed(seed)
    layers = []
    for a, b in zip(widths[:-1], widths[1:], strict=True):
        lin = torch.nn.Linear(a, b, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.rand(b, a, generator=g, dtype=torch.float64) * 2 - 1)
            lin.bias.copy_(torch.rand(b, generator=g, dtype=torch.float64) * 2 - 1)
        layers += [lin, torch.nn.Tanh()]
    model = torch.nn.Sequential(*layers[:-1])
    x = torch.randn(n, widths[0], generator=g, dtype=torch.float64)
    return model, x


def test_nondegenerate_zero_gives_half_the_dimension_and_only_there():
    """A tanh network 2–3–1 at a generic teacher point, noise-free, n = 500: 13 parameters,
    Gauss–Newton rank 13 with curvatures down to ~1e-5, so λ = 13/2 by the Morse lemma,
    while the sampled scan reads far below (the unresolved directions). The rule must not
    fire where it would be wrong: the same network with noisy targets (an empirical minimiser
    whose population λ can be below d/2), and a singular point (a unit switched off: its
    input weights flat, Gauss–Newton rank 10 at w* and 13 nearby)."""
    import warnings

    model, x = _tanh_teacher((2, 3, 1), 500)
    with torch.no_grad():
        y = model(x)
    kw = dict(draws=600, chains=2, seed=0, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short runs
        est = estimate_llc(model, (x, y), **kw)
        record = estimate_llc(model, (x, y), record_scan=True, **kw)
    assert est.exact and est.temperatures.fit.model == "morse_bott"
    assert est.llc == 6.5 and est.ci == (6.5, 6.5) and est.std_error == 0.0
    assert est.loss_trace.size == 0 and est.temperatures.nbeta.size == 0  # no chain was run
    assert any("nondegenerate minimum" in note for note in est.diagnostics.notes)
    assert est.summary().startswith("LLC = 6.5 exactly (w* a Morse–Bott zero")
    assert est.diagnostics.passed and not est.config.record_scan
    # the record: the same k/2, and the scan beside it
    assert record.exact and record.llc == 6.5 and record.config.record_scan
    assert record.single < 6.5 and record.systematic == 6.5 - record.single
    assert record.summary().startswith("LLC = 6.5 exactly (w* a Morse–Bott zero")
    assert record.temperatures.laws[0][1] < 6.0  # the scan alone: the finite-t estimand
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sampled = estimate_llc(model, (x, y), morse_bott=False, **kw)
    assert sampled.config.morse_bott is False and est.config.morse_bott is True
    assert sampled.llc == record.temperatures.laws[0][1] and sampled.std_error > 0
    with pytest.raises(TypeError, match="record_scan must be True or False"):
        estimate_llc(model, (x, y), record_scan="yes", **kw)
    with pytest.raises(TypeError, match="morse_bott must be True or False"):
        estimate_llc(model, (x, y), morse_bott=1, **kw)

    noisy = y + 0.1 * torch.randn(y.shape, generator=torch.Generator().manual_seed(1),
                                  dtype=torch.float64)
    off = _tanh_teacher((2, 3, 1), 500)[0]
    with torch.no_grad():
        off[2].weight[0, 0] = 0.0  # unit 0 off: its weights in are flat
        y_off = off(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m, data in ((model, (x, noisy)), (off, (x, y_off))):
            other = estimate_llc(m, data, **kw)
            assert other.temperatures.fit.model != "morse_bott"
            assert other.std_error > 0


def test_small_real_curvatures_are_not_round_off():
    """A SiLU network 2–4–1 at its own noise-free teacher point (float64, n = 2000) whose
    fourth unit has outgoing weight 3·10⁻⁴: that unit's incoming weights have curvatures about
    10⁻¹¹ of the largest — small, but five orders above float64 round-off (about 10⁻¹⁵ here) —
    so w* is a nondegenerate minimum and λ = 17/2 exactly. With the former round-off threshold
    (10⁻¹⁰ of the largest) its rank read 15 at w* and 17 nearby, and the rule was not applied
    (the same happened at PyTorch's default initialisation: 8.5 read as 4.89 ± 0.25)."""
    import warnings

    from slttheory.sampling import problem

    g = torch.Generator().manual_seed(0)
    x = torch.randn(2000, 2, generator=g, dtype=torch.float64)
    m = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.SiLU(),
                            torch.nn.Linear(4, 1)).double()
    with torch.no_grad():
        m[0].weight.copy_(torch.randn(4, 2, generator=g, dtype=torch.float64))
        m[0].bias.copy_(torch.randn(4, generator=g, dtype=torch.float64))
        m[2].weight.copy_(torch.tensor([[1.0, -0.7, 0.5, 3e-4]], dtype=torch.float64))
        m[2].bias.fill_(0.1)
        y = m(x)
    s = problem._setup(m, (x, y), "gaussian", None, torch.device("cpu"))
    h = np.sort(s.spectrum()) / np.sort(s.spectrum())[-1]
    assert 1e-11 < h[0] < 1e-10  # between float64 round-off and the former threshold
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = estimate_llc(m, (x, y), device="cpu", seed=0)
    assert est.temperatures.fit.model == "morse_bott" and est.llc == 8.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a short record
        rec = estimate_llc(m, (x, y), device="cpu", seed=0, record_scan=True, draws=200,
                           chains=2)
    assert rec.llc == 8.5  # exact: no note that the weak directions might add to it
    assert not any("curved too weakly" in n for n in rec.diagnostics.notes)


def test_weakly_curved_directions_get_a_note_that_bounds_what_they_may_add():
    """The same network in float32: w* is a zero only to float32 precision, the Morse lemma
    cannot be applied, and the scan counts the weakly curved directions as flat. The estimate
    says so, with how much they may add (½ each) and that float64 may settle it; a spectrum
    without such directions gets no note, and neither does an exact zero (round-off)."""
    import warnings

    from slttheory.sampling.estimator import _unresolved_note

    g = torch.Generator().manual_seed(0)
    x = torch.randn(500, 2, generator=g)
    m = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.SiLU(), torch.nn.Linear(4, 1))
    with torch.no_grad():
        m[0].weight.copy_(torch.randn(4, 2, generator=g))
        m[0].bias.copy_(torch.randn(4, generator=g))
        m[2].weight.copy_(torch.tensor([[1.0, -0.7, 0.5, 3e-4]]))
        m[2].bias.fill_(0.1)
        y = m(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a short run
        est = estimate_llc(m, (x, y), device="cpu", seed=0, draws=300, chains=2)
    assert est.temperatures.fit.model != "morse_bott"
    note = [n for n in est.diagnostics.notes if "curved too weakly" in n]
    assert len(note) == 1 and "in float64 the Morse lemma may settle it" in note[0]
    k = int(note[0].split(" direction")[0])
    assert k >= 3 and f"up to {0.5 * k:g} higher" in note[0]
    assert _unresolved_note(np.array([2.0, 0.5, 1e-3]), 145.0, 1.0, torch.float64) is None
    assert _unresolved_note(np.array([2.0, 1e-17, 0.0]), 145.0, 1.0, torch.float64) is None
    got = _unresolved_note(np.array([2.0, 1e-8, 1e-17]), 145.0, 1.0, torch.float64)
    assert got.startswith("1 direction(s)") and "up to 0.5 higher" in got
    assert "float64" not in got


def test_an_exactly_quadratic_loss_is_exact_on_noisy_data():
    """Noisy data: w* (the least-squares fit) is no zero, but where the outputs are linear in
    the sampled parameters the model is regular and λ = k/2, k the Gauss–Newton rank.
    Polynomial regression of degree 5 on [−1, 1] has curvatures down to 6·10⁻⁴, which the
    localisation hides from the scan (the accuracy benchmark's noisy cases read −23 % by the
    scan alone); the output layer of a tanh network sampled alone is linear too. Nonlinear
    models with noise must not get it: their residual Hessian can be small at w* (the
    quadratic network's is 0.3 % of its smallest curvature) but not at the points nearby."""
    import warnings

    from slttheory.sampling.localisation import nearby_residuals

    kw = dict(draws=400, chains=2, seed=0, device="cpu")
    poly = FAMILIES["polynomial_regression"].build({"degree": 5, "noise": 1.0}, device="cpu",
                                                   generator=torch.Generator().manual_seed(0))
    model, x = _tanh_teacher((2, 3, 1), 500)
    with torch.no_grad():
        y = model(x) + 0.5 * torch.randn(500, 1, generator=torch.Generator().manual_seed(1),
                                         dtype=torch.float64)
    quad = FAMILIES["quadratic_network"].build({"d": 3, "k": 2, "p": 1, "noise": 1.0},
                                               device="cpu",
                                               generator=torch.Generator().manual_seed(0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short runs
        exact = estimate_llc(poly.model, tuple(poly.data), loss=poly.loss, record_scan=True,
                             **kw)
        last = estimate_llc(model, (x, y), params=["2.weight", "2.bias"], **kw)
        every = estimate_llc(model, (x, y), **kw)
        curved = estimate_llc(quad.model, tuple(quad.data), loss=quad.loss, **kw)
    assert exact.init_loss > 0.1  # noisy: w* is no zero
    assert exact.temperatures.fit.model == "morse_bott" and exact.llc == 3.0
    assert exact.ci == (3.0, 3.0) and exact.single < 2.5  # the scan alone: far below
    assert any("linear in its sampled parameters" in note for note in exact.diagnostics.notes)
    assert exact.summary().startswith("LLC = 3 exactly (outputs linear in the sampled")
    # noisy, but exact: not the mean of the recorded scan's laws, and not described as one
    assert exact.temperatures.point == "fit" and "mean of the" not in exact.summary()
    assert last.temperatures.fit.model == "morse_bott" and last.llc == 2.0
    for est in (every, curved):
        assert est.temperatures.fit.model != "morse_bott" and est.std_error > 0
        assert est.temperatures.point == "mean of laws"  # noisy and sampled
    ps = _per_sample_loss(quad.loss)
    assert min(nearby_residuals(quad.model, tuple(quad.data), ps)) > 1e-3
    assert max(nearby_residuals(poly.model, tuple(poly.data),
                                _per_sample_loss(poly.loss))) < 1e-12


@pytest.mark.parametrize("r, lam", [(2, 7.0), (1, None)])
def test_morse_bott_zero_of_reduced_rank_regression(r, lam):
    """Reduced-rank regression (m, n, h) = (5, 4, 2), noise-free, w* the family's fit. At
    r = h = 2 the zeros {BA = C} form a smooth orbit of GL(2) (Gauss–Newton rank 14 of 18 at
    w* and at random points nearby), so λ = 14/2 = 7 exactly — where the sampled scan rose
    through λ to +18 % (docs/estimator.md §6). At r = 1 the fit has both factors of rank 2 and
    the same Gauss–Newton ranks, but it is only an approximate zero next to the singular ones
    (λ = 11/2): its residual Hessian is of the order of its smallest curvature, and the rule
    must not fire."""
    import warnings

    from slttheory.models.families import refine_to_minimiser
    from slttheory.sampling.localisation import (
        RESIDUAL_RTOL,
        gauss_newton_matrix,
        loss_hessian_matrix,
        nearby_ranks,
        numerical_rank,
        residual_norm,
    )

    gen = torch.Generator().manual_seed(0)
    prob = FAMILIES["reduced_rank_regression"].build(
        {"m": 5, "n": 4, "h": 2, "r": r, "noise": 0.0}, n=500, generator=gen, device="cpu")
    # the fit from a perturbed start, which the build keeps only for noisy data (noise-free,
    # it keeps the true point): the approximate zero this test is about
    refine_to_minimiser(prob.model, tuple(prob.data), prob.loss, generator=gen,
                        require_descent=False)  # L_n = 0 at the true point: none possible
    ps = _per_sample_loss(prob.loss)
    g = gauss_newton_matrix(prob.model, tuple(prob.data), ps)
    h = loss_hessian_matrix(prob.model, tuple(prob.data), ps)
    ev = np.linalg.eigvalsh(g.numpy())
    assert numerical_rank(ev) == 14 == max(nearby_ranks(prob.model, tuple(prob.data), ps))
    ratio = residual_norm(g, h) / np.sort(ev)[-14]
    assert (ratio < 1e-4) if lam else (ratio > 10 * RESIDUAL_RTOL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a short run
        est = estimate_llc(prob.model, tuple(prob.data), loss=prob.loss, draws=400, chains=2,
                           seed=0, device="cpu")
    if lam is None:
        assert est.temperatures.fit.model != "morse_bott" and est.std_error > 0
    else:
        assert est.temperatures.fit.model == "morse_bott" and est.llc == lam
        assert any("Morse–Bott zero" in note and "manifold of dimension 4" in note
                   for note in est.diagnostics.notes)


def test_a_morse_bott_scan_is_a_record_alone_and_batched():
    """With λ = k/2 known before sampling, the scan runs until it is a valid sample (R-hat,
    stationarity, ESS ≥ 100: ``_converged_record``) but not to a Monte-Carlo precision the
    estimate does not use; in a batch each point keeps its own stopping rule, so a batched
    Morse–Bott point and a singular one equal their runs alone."""
    import warnings

    from slttheory.sampling import estimate_llc_batched

    probs = [FAMILIES["reduced_rank_regression"].build(
        {"m": 5, "n": 4, "h": 2, "r": r, "noise": 0.0}, n=500,
        generator=torch.Generator().manual_seed(0), device="cpu") for r in (2, 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone = [estimate_llc(p.model, tuple(p.data), loss=p.loss, seed=3, device="cpu")
                 for p in probs]
        both = estimate_llc_batched(probs, seed=[3, 3], device="cpu")
    exact, sampled = alone
    assert exact.temperatures.fit.model == "morse_bott" and exact.llc == 7.0
    assert exact.diagnostics.passed and not any("target" in x for x in exact.diagnostics.notes)
    assert sampled.temperatures.fit.model != "morse_bott"
    for a, b in zip(alone, both, strict=True):
        assert a.config.draws == b.config.draws
        assert np.allclose(a.temperatures.llc, b.temperatures.llc, rtol=1e-6)
        assert a.llc == pytest.approx(b.llc, rel=1e-6)


@settings(max_examples=100, deadline=None)
@given(curved=st.lists(st.floats(1e-6, 1e3), min_size=1, max_size=8),
       flat=st.integers(0, 5), ratio=st.floats(0.0, 1e3),
       extra=st.integers(-2, 2))
def test_morse_bott_rank_properties(curved, flat, ratio, extra):
    """k = the curved directions exactly when nothing nearby has a higher rank and the residual
    is small against the smallest curvature; never a rank the spectrum does not have."""
    from slttheory.sampling.localisation import RESIDUAL_RTOL, morse_bott_rank

    h = np.array(curved)
    if h.min() <= 1e-9 * h.max():  # keep every curved one above round-off
        return
    eig = np.concatenate([h, np.full(flat, 1e-30)])
    k = h.size
    residual = ratio * RESIDUAL_RTOL * h.min()
    got = morse_bott_rank(eig, residual, [k + extra])
    want = k if (extra <= 0 and ratio <= 1.0) else None
    assert got == want
    assert morse_bott_rank(np.full(3, 1e-30), 0.0, [0]) is None  # nothing curved


@settings(max_examples=100, deadline=None)
@given(curved=st.lists(st.floats(1e-6, 1e3), min_size=1, max_size=8),
       flat=st.integers(0, 5), ratios=st.lists(st.floats(0.0, 1e3), min_size=1, max_size=3))
def test_morse_bott_rank_with_noise_needs_flat_residuals_nearby(curved, flat, ratios):
    """With the residuals nearby given (noisy data), the rank is the noise-free rule's when
    every one of them is within the tolerance, and ``None`` as soon as one is not."""
    from slttheory.sampling.localisation import RESIDUAL_RTOL, morse_bott_rank

    h = np.array(curved)
    if h.min() <= 1e-9 * h.max() or any(abs(r - 1.0) < 1e-9 for r in ratios):
        return  # (a ratio at the tolerance itself is decided by rounding)
    eig = np.concatenate([h, np.full(flat, 1e-30)])
    k = h.size
    near = [r * RESIDUAL_RTOL * h.min() for r in ratios]
    got = morse_bott_rank(eig, 0.0, [k], near)
    assert got == (k if max(ratios) <= 1.0 else None)
    assert morse_bott_rank(eig, 0.0, [k], []) is None  # no probe measured: no claim


@settings(max_examples=100, deadline=None)
@given(decades=st.floats(0.3, 2.0), d=st.integers(8, 40))
def test_a_spectrum_decaying_through_round_off_has_no_morse_bott_rank(decades, d):
    """Eigenvalues falling by a fixed number of decades per index carry no gap: wherever the
    round-off threshold cuts them, the dropped ones may be real curvatures (each worth ½ of
    λ), so no rank is read unless nothing is dropped."""
    from slttheory.sampling.localisation import morse_bott_rank, numerical_rank

    eig = 10.0 ** (-decades * np.arange(d, dtype=float))
    k = numerical_rank(eig)
    got = morse_bott_rank(eig, 0.0, [k])
    assert got == (d if k == d else None)


def test_an_ill_conditioned_linear_model_is_not_read_as_rank_deficient():
    """Polynomial regression of degree 20 on x ∈ [−1, 1] is linear in its 21 coefficients and
    of full rank in exact arithmetic (a Vandermonde design on distinct points), so λ = 21/2.
    Its float64 Gauss–Newton spectrum decays through the round-off threshold without a gap:
    the rule reads no rank (it read 18, λ = 9 "exactly", before ``SPECTRAL_GAP``), while at
    degree 5 every curvature is far above round-off and λ = 3 exactly."""
    import warnings

    from slttheory.models import FAMILIES
    from slttheory.sampling import problem
    from slttheory.sampling.estimator import _gapless_note, _morse_bott_rank
    from slttheory.sampling.localisation import SPECTRAL_GAP, numerical_rank

    got, notes = {}, {}
    for deg in (5, 20):
        prob = FAMILIES["polynomial_regression"].build(
            {"degree": deg}, n=1000, generator=torch.Generator().manual_seed(0))
        s = problem._setup(prob.model, prob.data, prob.loss, None, torch.device("cpu"))
        h = np.sort(s.spectrum())
        k = numerical_rank(h)
        if deg == 20:  # the cut: a rank below d, with a kept/dropped ratio far below the gap
            assert k < h.size and h[h.size - k] < SPECTRAL_GAP * abs(h[: h.size - k]).max()
        got[deg], notes[deg] = _morse_bott_rank(s, 145.0), _gapless_note(s, 145.0)
    assert got == {5: 6, 20: None}
    assert notes[5] is None and "without a gap" in notes[20]
    # the sampled estimate says why it is not exact
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = estimate_llc(prob.model, prob.data, loss=prob.loss, device="cpu", seed=0,
                           chains=2, draws=200)
    assert not est.exact and any("without a gap" in x for x in est.diagnostics.notes)


def test_a_float32_model_s_held_parameters_go_to_float64_too():
    """The curvature is computed in float64 on a copy: the parameters it does not vary (here
    the bias of a float32 Linear, params=["weight"]) are converted like the varied ones (held
    as float32 they broke the call: "self and mat2 must have the same dtype"). G = xᵀx/n."""
    from slttheory.sampling.localisation import gauss_newton_matrix

    m = torch.nn.Linear(2, 1)
    with torch.no_grad():
        m.weight.copy_(torch.tensor([[0.1, 0.2]]))
        m.bias.fill_(0.3)
    x, y = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.25]]), torch.zeros(3, 1)
    half_sq = lambda o, t: 0.5 * ((o - t) ** 2).sum(-1)  # noqa: E731
    g = gauss_newton_matrix(m, (x, y), half_sq, params=["weight"])
    assert g.dtype == torch.float64
    assert g.flatten().tolist() == pytest.approx(
        [10.25 / 3, -0.875 / 3, -0.875 / 3, 5.0625 / 3], rel=1e-12)
