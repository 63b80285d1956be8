"""Coverage and power of the controlled LLC band, leave-one-family-out.

Cases of certified λ from five families (regular models, reduced-rank regression, deep linear
networks, normal crossings, quadratic networks at generic points), each estimated on three data
sets under one set of estimator rules. For every (case, data set) pair the band is built from
three controls of *other* families — a regular one, a singular one of multiplicity 1 and one of
multiplicity 2 where the pool has them — each on its three data sets, exactly as the verifier
does (:func:`slttheory.verify.judge.llc.llc_band`). Measured: how often the band covers the true
λ (target ≥ 90 %) and how often it excludes a value 30 % off (target ≥ 80 %); a pair whose
controls leave the LLC uncontrolled (no band) counts against both.

Run once per distinct set of rules the verifier's profiles use (``PROFILE_LLC_DEFAULTS``;
since 2026-12-01 both profiles use the estimator's adaptive length, so once; before, quick
had a fixed 2000 draws). Measured 2026-11-30 (2 CPU cores):

- quick rules (≈ 2 min alone): 31 of 42 estimates pass their diagnostics; coverage 6/42,
  power 0/42; 36 pairs get no band, because the GL-symmetric controls (reduced-rank
  regression at full rank, the rank-2 DLN, the quadratic networks) fail R-hat/ESS within
  2000 draws;
- full-profile rules (≈ 7 min alone): 38 of 42 estimates pass their diagnostics; 29 pairs get
  a band, and it covers λ in 24 of them: coverage 24/42, power 1/42. The misses are the
  m ≥ 2 normal crossings (−20 % to −50 %), whose bias lies outside every other family's
  controls; the 9 reduced-rank-regression pairs get no band because their controls' biases
  disagree (regular +2 %, w₁w₂² −20 %, DLN −4 %: χ² p = 0.0096 < 0.01); and the bands are
  wide (envelopes of ±20–40 %), so almost none excludes a value 30 % off. (With the former
  linearised errors of the extrapolation, which inflated an interior exponent's error, the
  same draws gave 33/42 with 38 bands: the agreement test passed on larger errors.)

Measured 2026-12-01, after the estimator's interval came to span the finite-nβ laws the scan
allows (``LLCEstimate.law_error``; issue 12) and the band took that total error, so that the
controls correct only the residual bias: full-profile rules **coverage 38/42 (90 %), power
0/42**, 38 pairs with a band, every one of which covers λ; on the same draws the errors without
the law spread give 24/42 and 1/42 with 29 bands, 5 of which miss λ (a refutation from such a
band could be wrong). Quick rules: 6/42 and 0/42 either way (the same 36 pairs have no band:
their GL-symmetric controls fail diagnostics). Power stays the unmet target: the bands are the
envelope of the controls' biases widened by every error, far wider than ±30 %.

Re-measured 2026-12-01 at estimator revision 3 (noise-free scans corrected for the
localisation, an unmet precision target a note rather than a failure; these cases' data have
noise, so only the latter applies): full rules coverage 39/42, power 0/42, 39 bands, all
covering λ; quick 6/42 and 0/42. The reduced-rank-regression bands reach 100–220 (their
controls include the crossing (1,1,1), biased −48 %, whose band of biases reaches −97 %):
correcting by every kind of control's bias leaves no power where the estimator's biases differ
between kinds.

Re-measured 2026-12-01 on another machine of the same kind (3 min 23 s for both rules; the
draws differ from the previous machine's in the last bits, and chains amplify that): full
rules coverage 38/42, power 0/42, 39 bands, of which one misses λ — the crossing u·v·w
(m = 3, λ = ½) read 0.28 with the band [0.112, 0.494]; quick 6/42 and 0/42. The m ≥ 2
crossings sit at the edge of every band built from other kinds' controls.

Measured 2026-12-01 on one set of full-rules draws (the same cases and data sets, offline),
spreads as the issue words them — "data and Monte-Carlo" — instead of the estimator's total
error: each control's spread floored by its statistical error (Monte-Carlo, data, fit; not the
spread between finite-nβ laws) gives coverage 27/42, power 0/42 (30 bands); the point's own
error statistical as well, 25/42 and 1/42; the point's error left out (the controls' spread
standing for it), 16/42 and 5/42; the rule above, 38/42 and 0/42 on those draws. Narrower
spreads make controls of different kinds disagree (fewer bands) and the bands that remain miss
λ. On those draws the mean biases by case were: regular +2 %, 0 %; RRR −1 %, +8 %, +24 % (rank
0 at the empirical minimiser); DLN +8 %, −5 %, +2 %; crossings −21 % (u·v², m = 1), −21 % and
−26 % (m = 2), −47 % (u·v·w, m = 3); quadratic networks −6 %, −1 %. The mean biases of a
regular, an m = 1 and an m = 2 control alone span about [−26 %, +2 %], so before any error is
added a band runs from λ̂/1.02 to λ̂/0.74: for a point the estimator reads right (λ̂ ≈ λ) it
reaches 1.35 λ and cannot exclude 1.3 λ. Power needs the estimator's bias at m ≥ 2 removed,
not a different band.

Re-measured 2026-12-01 after the estimator's interval came to span the WBIC data term's law
on noisy data (``extrapolate.DATA_LAWS``; these cases' data have noise): full rules coverage
**39/42**, power 0/42, 39 bands, all covering λ (the crossing u·v·w, missed before, now
inside); quick's fixed 2000 draws 6/42 and 0/42 — after which quick took the full profile's
rules (``PROFILE_LLC_DEFAULTS``), so that one measurement holds for both profiles' bands.
With the controls restricted to the kinds of singularity the
point's *own* family has (no multiplicity-2 control for the regular models and the quadratic
networks, whose closed forms have m = 1 throughout; the issue's "where the family has one"),
measured on the same draws and not adopted: 33/42 and 0/42 — the regular family's points
lose their band (its third control, the quadratic network, fails diagnostics on one data
set), and the quadratic networks' bands stay ±50 % wide (the regular reduced-rank regression
point (4,3,2,2) reads 5.50, 4.26, 5.06 for λ = 5 on its three data sets: GL-fibre mixing, not
kind, sets the spread).

Re-measured 2026-12-01 at estimator revision 5, with replica exchange between the scan's
temperatures (the estimator's default on noisy data since then) and the verifier's own
estimator arguments (``routes._estimate_kwargs``: no Morse–Bott shortcut, which would make
the regular models' noisy estimates exact): coverage **42/42**, every pair with a band and
every band covering λ; power 0/42. (Run with the estimator's defaults instead, the regular
controls came out exact, with no spread, and ``llc_band`` divided by it: fixed, with a test.)

What bounds the power, measured on those draws: the point's *own* interval, λ̂ ± 2 s.e. with no
control at all, has a median half-width of 34 % of λ (the finite-nβ laws the scan cannot tell
apart, and the data term on noisy data) and excludes both 0.7 λ and 1.3 λ in only 15/42
pairs (covering λ in 37/42). Any band built on it is wider, so 80 % power against 30 % needs
intervals about half as wide at n = 1000 — an estimator that tells the laws apart, not a
different band.

Measured 2026-12-01 (offline, the cases and rules of this test): **a larger n does not buy
power.** At n = 10 000 (15 min on 2 cores, 6× the time) coverage fell to 31/42, power 0/42;
the point's own interval excluded ±30 % in 23/42 (14/42 at n = 1000). The crossings still
read −20 % to −40 % (their bias is the estimand's, not the sample size's), and the narrower
intervals then missed. The one regular point read far off — reduced-rank regression
(4, 3, 2, 2), λ = 5, data set 12: 4.05 ± 0.18, every temperature of the scan at 4.07–4.13,
every diagnostic passing — had a Gaussian teacher with σ₂(BA) = 0.088: w* sat next to the
rank-1 points (λ = 4), which the tempered posterior still feels at nβσ₂² ≈ 8. Since then
the true products of these families have the fixed spectrum 1 … ½ with balanced factors
(``slttheory.models.families.TRUE_SINGULAR_RANGE``): at n = 1000 the reduced-rank regression
point reads 5.26, 5.14, 5.07 (was 5.54, 4.41, 5.21) and the DLN (3, 2, 2, 3), r = 2, 4.23,
4.16, 4.33 (was 5.15, 3.59, 4.89); coverage 42/42, power 0/42, own-interval power 17/42.
The quadratic network (3, 2, 1) on data set 11 (a Gaussian teacher, kept: seed 001 states
only "generic") reads 1.81 ± 0.12 for λ = 5/2 for the same reason: its quadratic form's
eigenvalues are 0.989 and 0.014, next to the rank-1 forms (λ = 3/2). A conditioned quadratic teacher
(measured, not adopted: docs/estimator.md §6) read 2.40, 2.57, 2.33 here, with the same
coverage and power, but worse on the accuracy benchmark.

Measured on the same draws and not adopted (2026-11-30): bands from each control's error of the
mean plus the point's own error inflated by the controls' pooled under-statement of their
scatter, 23/42 and 1/42 (full); the single-temperature values instead of the extrapolated ones,
0/42 (full: precise values make every set of controls disagree, χ² p < 1e-9) and 4/42
(quick); orbit moves for the GL-symmetric models (``estimate_llc(orbit=...)``), 15/42 under
both rules (docs/estimator.md §6).
"""

from __future__ import annotations

import warnings

import pytest
import sympy as sp

from slttheory.verify.claims.point import PROFILE_LLC_DEFAULTS
from slttheory.verify.evidence.records import ControlRun, ControlSet
from slttheory.verify.evidence.routes import _estimate_kwargs
from slttheory.verify.judge.llc import llc_band

pytestmark = pytest.mark.slow

N = 1000
DATASETS = (11, 12, 13)
RULES = {"+".join(sorted(k for k, v in PROFILE_LLC_DEFAULTS.items() if v == rules)):
         _estimate_kwargs({"chains": 4, **rules}) for rules in PROFILE_LLC_DEFAULTS.values()}
"""Each distinct set of the profiles' LLC rules, named by the profiles that use it."""

# (family, params, kind): λ certified by the family's exact rank (regular kind) or an
# established formula checked independently in tests/formulas
CASES = [
    ("regular", {"d": 2}, "regular"),
    ("regular", {"d": 5}, "regular"),
    ("reduced_rank_regression", {"m": 4, "n": 3, "h": 2, "r": 2}, "regular"),
    ("reduced_rank_regression", {"m": 5, "n": 5, "h": 3, "r": 0}, "singular"),
    ("reduced_rank_regression", {"m": 4, "n": 8, "h": 3, "r": 0}, "singular"),
    ("deep_linear_network", {"widths": (3, 2, 2, 3), "r": 2}, "regular"),
    ("deep_linear_network", {"widths": (3, 4, 3), "r": 1}, "singular"),
    ("deep_linear_network", {"widths": (2, 2, 3), "r": 0}, "singular"),
    ("normal_crossing", {"powers": (1, 2)}, "singular"),
    ("normal_crossing", {"powers": (1, 1)}, "singular"),
    ("normal_crossing", {"powers": (2, 2)}, "singular"),
    ("normal_crossing", {"powers": (1, 1, 1)}, "singular"),
    ("quadratic_network", {"d": 3, "k": 2, "p": 1}, "regular"),
    ("quadratic_network", {"d": 2, "k": 3, "p": 2}, "regular"),
]


def _truth(fam, q):
    if fam in ("regular", "quadratic_network") or (fam == "reduced_rank_regression" and
                                                 q["r"] == min(q["m"], q["n"], q["h"])) or \
            (fam == "deep_linear_network" and q["r"] == min(q["widths"])):
        from slttheory.geometry import generic_rank

        rp = FAMILIES[fam].rank_problem(q)
        assert rp.gives_lambda
        r = generic_rank(rp.fn, rp.param_shapes, rp.inputs, degree=rp.degree, seed=0).rank
        return sp.Rational(r, 2), 1
    lc = FAMILIES[fam].closed_form(q)
    return lc.value, int(lc.multiplicity)


@pytest.fixture(scope="module", params=sorted(RULES))
def runs(request):
    """Every case on every data set under one profile's rules (batched per case)."""
    import torch

    from slttheory.sampling import estimate_llc_batched

    out = {}
    for i, (fam, q, kind) in enumerate(CASES):
        lam, mult = _truth(fam, q)
        probs = [FAMILIES[fam].build(q, n=N, generator=torch.Generator().manual_seed(s),
                                     device="cpu") for s in DATASETS]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ests = estimate_llc_batched(probs, seed=list(DATASETS), device="cpu",
                                        **RULES[request.param])
        k = kind if kind == "regular" else f"singular, m = {mult}"
        # the estimator's total error, as the verifier records it (routes.llc_evidence)
        out[i] = [ControlRun(fam, q, k, str(lam), mult, "test truth", s, e.llc, e.std_error,
                             e.diagnostics.passed) for s, e in zip(DATASETS, ests, strict=True)]
    return out


def _controls_for(i, runs):
    fam = CASES[i][0]
    chosen = []
    for kind in ("regular", "singular, m = 1", "singular, m = 2"):
        j = next((j for j, r in runs.items() if CASES[j][0] != fam and r[0].kind == kind
                  and j not in chosen), None)
        if j is not None:
            chosen.append(j)
    for j in runs:  # fill up to three from other families
        if len(chosen) >= 3:
            break
        if CASES[j][0] != fam and j not in chosen:
            chosen.append(j)
    return ControlSet("loo", {}, tuple(x for j in chosen for x in runs[j]))


def test_band_coverage_and_power_leave_one_family_out(runs):
    pairs = covered = excluded = banded = 0
    rows = []
    for i, rs in runs.items():
        cs = _controls_for(i, runs)
        for r in rs:
            lam = r.lam_value
            b = llc_band(r.mean if r.passed else None, r.std_error, cs)
            pairs += 1
            banded += b.controlled
            cov = b.controlled and b.contains(lam)
            exc = b.controlled and not b.contains(1.3 * lam) and not b.contains(0.7 * lam)
            covered += cov
            excluded += exc
            rows.append(f"{CASES[i][0]} {CASES[i][1]} λ={lam:.3g} λ̂={r.mean:.3g} "
                        f"band=[{b.low:.3g}, {b.high:.3g}] {b.why[:60]}")
    report = "\n".join(rows)
    # coverage among the pairs that got a band: how often a band a verdict could use is wrong
    print(f"\ncoverage {covered}/{pairs}, power {excluded}/{pairs}; with a band: coverage "
          f"{covered}/{banded}\n{report}")  # pytest -s
    assert pairs >= 40
    assert covered / pairs >= 0.90, f"coverage {covered}/{pairs}\n{report}"
    assert excluded / pairs >= 0.80, f"power {excluded}/{pairs}\n{report}"


from slttheory.models import FAMILIES  # noqa: E402  (after the marks: importing torch is slow)
