"""The controlled band's error rates under the model it assumes, on synthetic controls.

``tests/verify/test_controls_coverage.py`` measures the band with the real estimator (slow);
these tests check the band's *logic* (:func:`slttheory.verify.judge.llc.llc_band`,
:func:`slttheory.verify.judge.facts.band_verdict`) where the truth is known: a multiplicative
bias shared by the point and three controls (plus per-kind differences of known size), each
control on three data sets, every estimate drawn with Gaussian noise at its stated standard
error. Each rate is bounded by its nominal level plus three binomial Monte-Carlo errors.

Measured with 4000–6000 draws per setting (2026-12-06): the band excludes the true λ in at
most 2Φ(−2) = 4.55 % of draws, reached only where the controls are exact (the band is then
λ̂ ± 2 s.e. alone); with noisy controls 0–0.1 % (controls' spread and the point's error are
both added, at ± 2 each), 2.3 % where the point's error dominates. A band within P ± tol
with λ just outside it: at most Φ(−2) = 2.3 % (exact controls), else ≤ 1.6 %. The χ²
agreement test rejects agreeing controls in 0.6–0.7 % of draws (p < 0.01; its errors are
floored at the stated ones, so it is conservative); its power against one kind's bias 10 /
20 / 30 % off is 99.6 / 100 / 100 % at σ = 2 %, 36 / 97 / 100 % at σ = 5 %, 6 / 35 / 81 % at
σ = 10 %. A point whose kind's bias (−47 %, a crossing of multiplicity 3) lies outside every
control's (+0.3 %, −8 %, −21 %) is refuted falsely in up to 74 % of its bands where its
multiplicity is not known; where it is stated, no band is built (``beyond_controls``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from slttheory.verify.evidence.records import ControlRun, ControlSet
from slttheory.verify.judge.facts import band_verdict
from slttheory.verify.judge.llc import (
    AGREE_P,
    Z,
    _agreement,
    llc_band,
    summarise,
    usable_controls,
)

LAMS = (1.0, 0.75, 0.5)
KINDS = (("regular", 1), ("singular, m = 1", 1), ("singular, m = 2", 2))
TWO_SIDED = 2 * stats.norm.sf(Z)  # λ̂ ± 2 s.e. misses: 4.55 %
ONE_SIDED = stats.norm.sf(Z)


def _controls(rng: np.random.Generator, biases, sigma: float, datasets: int = 3) -> ControlSet:
    """Three controls of certified λ, each on ``datasets`` data sets: λ̂ = λ (b_j + σ z), its
    stated standard error σ λ (the estimator's total error, as the band assumes)."""
    runs = []
    for j, (lam, b, (kind, m)) in enumerate(zip(LAMS, biases, KINDS, strict=True)):
        for s in range(datasets):
            runs.append(ControlRun(f"c{j}", {"j": j}, kind, str(lam), m, "synthetic", 101 * s,
                                   mean=lam * (b + sigma * rng.standard_normal()),
                                   std_error=sigma * lam, passed=True))
    return ControlSet("k", {}, tuple(runs))


def _band(rng, biases, sigma_c, point_bias, sigma_p, lam=1.0, multiplicity=None):
    cs = _controls(rng, biases, sigma_c)
    mean = lam * (point_bias + sigma_p * rng.standard_normal())
    return llc_band(mean, sigma_p * lam, cs, 0.0, multiplicity)


def _misses(seed: int, n: int, *band_args) -> tuple[int, int]:
    """(bands built, bands missing λ = 1) over ``n`` draws of :func:`_band` ``(*band_args)``."""
    rng = np.random.default_rng(seed)
    bands = miss = 0
    for _ in range(n):
        b = _band(rng, *band_args)
        if b.controlled:
            bands += 1
            miss += not b.contains(1.0)
    return bands, miss


def _bound(level: float, n: int) -> float:
    """The nominal ``level`` plus three binomial Monte-Carlo errors over ``n`` draws."""
    return level + 3 * math.sqrt(level * (1 - level) / n)


def test_exact_controls_keep_the_points_own_level():
    """Controls read exactly (no spread, no error: the envelope is one ratio), so the band is
    (λ̂ ± 2 s.e.)/b: it misses λ at the level of λ̂ ± 2 s.e., no more, and a band within
    P ± tol with λ just outside it (an equivalence test) is one-sided at Φ(−2)."""
    rng = np.random.default_rng(20261206)
    n = 1500
    miss = below = above = bands = 0
    p_low, p_high = 1 / 1.1501, 1 / 0.8499  # λ = 1 just above P + tol, just below P − tol
    for _ in range(n):
        b = _band(rng, (0.9, 0.9, 0.9), 0.0, 0.9, 0.05)
        assert b.controlled, b.why
        bands += 1
        miss += not b.contains(1.0)
        below += band_verdict(b, p_low, "==", 0.15 * p_low) == "confirmed"
        above += band_verdict(b, p_high, "==", 0.15 * p_high) == "confirmed"
    assert miss / n <= _bound(TWO_SIDED, n), miss
    assert below / n <= _bound(ONE_SIDED, n), below
    assert above / n <= _bound(ONE_SIDED, n), above
    assert miss > 0  # the draws reach the band's edge: the bound is not vacuous


def test_noisy_controls_of_differing_kinds_cover_the_truth():
    """Per-kind biases (+2 %, −3 %, −6 %) that the agreement test lets pass at σ = 5 %, a
    point whose kind reads −6 % (the envelope's edge) with twice the controls' error: the
    band misses λ at no more than the nominal two-sided level (measured 0–0.1 %)."""
    n = 1500
    bands, miss = _misses(7, n, (1.02, 0.97, 0.94), 0.05, 0.94, 0.10)
    assert bands > n // 2
    assert miss / bands <= _bound(TWO_SIDED, bands), (miss, bands)


def test_the_controls_spread_covers_their_bias_where_the_point_is_precise():
    """A precise point (σ = 1 %) and controls of the same bias read with σ = 10 % on three data
    sets: the bias is known only to σ/√3 from each control, which the envelope's ± 2 spreads
    carry (their means' range alone missed λ in about a quarter of the draws)."""
    n = 1000
    bands, miss = _misses(5, n, (0.85, 0.85, 0.85), 0.10, 0.85, 0.01)
    assert bands > 0.9 * n
    assert miss / bands <= _bound(TWO_SIDED, bands), (miss, bands)


def test_agreement_test_level_and_power():
    """χ² p < 0.01 on controls that share one bias at most at its level (errors floored at the
    stated ones); one kind 30 % off at σ = 5 % is told apart."""
    rng = np.random.default_rng(11)
    n = 1000

    def rejects(biases, sigma):
        return sum(_agreement(usable_controls(summarise(_controls(rng, biases, sigma))))
                   < AGREE_P for _ in range(n)) / n

    assert rejects((0.9, 0.9, 0.9), 0.05) <= _bound(AGREE_P, n)
    assert rejects((0.9, 0.9, 0.6), 0.05) >= 0.95


def test_a_point_beyond_every_control_is_gated_where_its_multiplicity_is_stated():
    """The known failure mode: a point whose kind's bias (−47 %, multiplicity 3) is outside
    every control's (−20 %, −20 %, −21 %, which agree). Without its multiplicity the band
    refutes the true λ in most draws; with it stated, no band is built, at every draw."""
    rng = np.random.default_rng(3)
    n = 300
    refuted = 0
    for _ in range(n):
        b = _band(rng, (0.8, 0.8, 0.79), 0.05, 0.53, 0.05)
        refuted += b.controlled and band_verdict(b, 1.0, "==", 0.15) == "refuted"
    assert refuted / n > 0.3  # what the gate is for
    for _ in range(n):
        b = _band(rng, (0.8, 0.8, 0.79), 0.05, 0.53, 0.05, multiplicity=(3, "f"))
        assert not b.controlled and "multiplicity 3" in b.why


def test_exact_and_nearly_exact_controls_divide_safely():
    """Spreads of 0 (exact controls, standard error 0) or far below float noise in λ: no
    division by zero, the controls agree, and an exact estimate (s.e. 0) gets the band
    λ̂/r_hi … λ̂/r_lo."""
    runs = []
    for j, lam in enumerate(LAMS):
        ratios = (1.0, 1 + 1e-13, 1 - 1e-13) if j == 0 else (1.0, 1.0, 1.0)
        runs += [ControlRun(f"c{j}", {"j": j}, "regular", str(lam), 1, "synthetic", s,
                            mean=lam * r, std_error=0.0, passed=True)
                 for s, r in enumerate(ratios)]
    b = llc_band(0.7, 0.0, ControlSet("k", {}, tuple(runs)))
    assert b.controlled and b.agreement_p > 0.5, b.why
    assert math.isclose(b.low, 0.7, rel_tol=1e-9) and math.isclose(b.high, 0.7, rel_tol=1e-9)
    b = llc_band(0.7, 0.05, ControlSet("k", {}, tuple(runs)))
    assert math.isclose(b.low, 0.6, rel_tol=1e-9) and math.isclose(b.high, 0.8, rel_tol=1e-9)


def test_an_unresolved_excess_of_unknown_size_withholds_the_band():
    """``Diagnostics.unresolved`` says how much higher λ may be than the estimate; where it
    is inf, NaN or unreadable the excess is not known, so no band may refute from its upper
    end (an audit: inf had been read as 0, leaving the band where it was)."""
    from slttheory.verify.evidence import LLCEvidence
    from slttheory.verify.judge.facts import unresolved_of

    cs = _controls(np.random.default_rng(7), (1.0, 1.0, 1.0), 0.02)
    assert llc_band(1.0, 0.01, cs, 0.0).controlled
    for v in (math.inf, math.nan):
        b = llc_band(1.0, 0.01, cs, v)
        assert not b.controlled and "cannot resolve" in b.why
    for raw, read in ((None, 0.0), (-1.0, 0.0), (0.5, 0.5), ("inf", math.inf),
                      ("nan", math.inf), ("?", math.inf), ([1], math.inf)):
        assert unresolved_of(LLCEvidence("ok", diagnostics={"unresolved": raw})) == read
