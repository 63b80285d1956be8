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
since 2026-12-01 both use the estimator's adaptive length, so once). Latest measurement
(2026-12-01, estimator revision 6, noisy families at w0 with the symmetrised estimand as the
verifier's route builds them, ``routes.W_STAR_RULE``; 2 CPU cores, ≈ 4 min): **coverage
38/42, power 4/42** (at the empirical minimiser before: 42/42 and 0/42); at revision 8
(2026-12-02, noise-free fits with the slowest power law unless the scan rejects it) 38/42 and
5/42; 39/42 and 5/42 on 2026-12-03 (the traced step's shared data copied out once) and on
2026-12-04 (revision 12, the bulk ESS gate), and again at revision 13 with the band's upper
end raised by each estimate's ``Diagnostics.unresolved`` as verdicts raise it (4 min 28 s);
and at revision 14 (2026-12-05, Morse–Bott at a true parameter: regular cases of noisy
families exact).
Power
stays below its target because the controls' biases differ between kinds of singularity
(the crossings of multiplicity 2 and 3 read 8–49 % low at n = 1000, the noise-free law's own
bias), so
almost every band built from a regular, an m = 1 and an m = 2 control is wider than ±30 %;
the misses of coverage are the triple crossing (1, 1, 1) (m = 3) on two data sets, and the
quadratic network (3, 2, 1) on two (a scan at w0 that falls once the localisation deficit is
added; an estimate that failed its diagnostics: a non-stationary trace). Every
earlier measurement, and the variants measured and not adopted (quick's former fixed
length, n = 10 000, spreads without the law term, controls of the point's own kinds only,
orbit moves, single-temperature values, bands of the controls' residual bias about the
point's own interval — which would refute the proved tanh theorem in the quick report), are in
``docs/controls.md``.
"""

from __future__ import annotations

import warnings

import pytest
import sympy as sp

from slttheory.verify.claims.point import PROFILE_LLC_DEFAULTS
from slttheory.verify.evidence.records import ControlRun, ControlSet
from slttheory.verify.evidence.routes import _build, _estimate_many
from slttheory.verify.judge.llc import llc_band

pytestmark = pytest.mark.slow

N = 1000
DATASETS = (11, 12, 13)
UNSEEN: dict[tuple, float] = {}
"""Each estimate's ``Diagnostics.unresolved`` by (rules, case, data set): the band of a
verdict adds it to its upper end (``judge.facts.assess_llc``), so the test's band does too."""
RULES = {"+".join(sorted(k for k, v in PROFILE_LLC_DEFAULTS.items() if v == rules)):
         {"chains": 4, "n": N, **rules} for rules in PROFILE_LLC_DEFAULTS.values()}
"""Each distinct set of the profiles' LLC settings, named by the profiles that use it."""

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
    """Every case on every data set under one profile's rules (batched per case), built and
    estimated as the verifier's LLC route does (``routes._build``: w* = w0 and the symmetrised
    estimand for noisy data, :data:`~slttheory.verify.evidence.routes.W_STAR_RULE`)."""
    out = {}
    settings = RULES[request.param]
    for i, (fam, q, kind) in enumerate(CASES):
        lam, mult = _truth(fam, q)
        probs = [_build(FAMILIES[fam], q, settings, "cpu", data_seed=s) for s in DATASETS]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ests = _estimate_many(probs, settings, "cpu", list(DATASETS))
        k = kind if kind == "regular" else f"singular, m = {mult}"
        # the estimator's total error, as the verifier records it (routes.llc_evidence)
        out[i] = [ControlRun(fam, q, k, str(lam), mult, "test truth", s, e.llc, e.std_error,
                             e.diagnostics.passed) for s, e in zip(DATASETS, ests, strict=True)]
        for s, e in zip(DATASETS, ests, strict=True):  # what the band adds upwards, as verdicts
            UNSEEN[(request.param, i, s)] = e.diagnostics.unresolved
    return request.param, out


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


def _score(named_runs):
    """(pairs, covered, excluded, banded, rows) over every (case, data set) pair."""
    rules, runs = named_runs
    pairs = covered = excluded = banded = 0
    rows = []
    for i, rs in runs.items():
        cs = _controls_for(i, runs)
        for r in rs:
            lam = r.lam_value
            b = llc_band(r.mean if r.passed else None, r.std_error, cs,
                         UNSEEN.get((rules, i, r.data_seed), 0.0))
            pairs += 1
            banded += b.controlled
            covered += b.controlled and b.contains(lam)
            excluded += b.controlled and not b.contains(1.3 * lam) and not b.contains(0.7 * lam)
            rows.append(f"{CASES[i][0]} {CASES[i][1]} λ={lam:.3g} λ̂={r.mean:.3g} "
                        f"band=[{b.low:.3g}, {b.high:.3g}] {b.why[:60]}")
    # coverage among the pairs that got a band: how often a band a verdict could use is wrong
    print(f"\ncoverage {covered}/{pairs}, power {excluded}/{pairs}; with a band: coverage "
          f"{covered}/{banded}\n" + "\n".join(rows))  # pytest -s
    return pairs, covered, excluded, banded, "\n".join(rows)


def test_band_coverage_leave_one_family_out(runs):
    pairs, covered, _, _, report = _score(runs)
    assert pairs >= 40
    assert covered / pairs >= 0.90, f"coverage {covered}/{pairs}\n{report}"


@pytest.mark.xfail(strict=True, reason=(
    "unmet target of issue 10, measured 5/42 (2026-12-02): the controls' biases differ between "
    "kinds of singularity (m >= 2 crossings 8-49 % low), so most bands are wider than ±30 %; "
    "see the module docstring and docs/controls.md. Strict: a pass means the target is met "
    "and this marker goes."))
def test_band_power_against_thirty_percent_leave_one_family_out(runs):
    pairs, _, excluded, _, report = _score(runs)
    assert pairs >= 40
    assert excluded / pairs >= 0.80, f"power {excluded}/{pairs}\n{report}"


from slttheory.models import FAMILIES  # noqa: E402  (after the marks: importing torch is slow)
