"""The soundness grid (:mod:`test_soundness_grid`) beyond point claims λ = P: bounds
(``relation`` ``<=``, ``<``, ``>=``, ``>``), claims over a grid of several points (one point
refuted refutes the claim, all confirmed confirm it), scaling claims on exact values, and a
stated multiplicity. The same families of proved λ, the same certified routes (closed form
and exact rank, no LLC), the same three modes (own formula, formula cited, rank facts only).

A bound's expected verdict comes from interval logic on exact fractions, here, not from the
verifier: with the certified facts ``lo ≤ λ ≤ hi``, ``λ rel P`` is refuted where no λ in
[lo, hi] satisfies it and confirmed where every one does, except a bound every model meets
(``<=`` P ≥ d/2, ``<`` P > d/2, ``>=`` P ≤ 0, ``>`` P < 0: verification/README.md, "vacuous
bounds"), which is inconclusive whatever the facts. The verifier's certified interval must
contain the true λ and lie inside :func:`forced` (what the theorems force from the
evidence's exact numbers), and its verdict must be the one interval logic gives on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_soundness_grid import (
    BOUNDARY,
    CITES,
    OWN,
    RANK_ONLY,
    Case,
    _claim,
    _fraction,
    check_reason,
    dln,
    dln_points,
    excluded,
    forced,
    holds,
    implied,
    low_rank,
    other_points,
    regular,
    rrr,
    rrr_points,
)

from slttheory.models import FAMILIES
from slttheory.verify.claims import load_claims, parse_claim_text
from slttheory.verify.claims.common import ClaimError
from slttheory.verify.evidence.records import PointEvidence
from slttheory.verify.judge.facts import facts_of
from slttheory.verify.judge.point import certified_bounds, point_verdict, scope
from slttheory.verify.run import run_claims

RELATIONS = ("<=", "<", ">=", ">")
Q = Fraction(1, 4)


def vacuous(rel: str, p: Fraction, d: int) -> bool:
    """A bound every model of d parameters meets (0 ≤ λ ≤ d/2): it asserts nothing."""
    half = Fraction(d, 2)
    return {"<=": p >= half, "<": p > half, ">=": p <= 0, ">": p < 0}.get(rel, False)


def expected(lo: Fraction | None, hi: Fraction | None, rel: str, p: Fraction, d: int,
             lo_open: bool = False) -> str:
    """The verdict certified facts [lo, hi] (``(lo, hi]`` where ``lo_open``) give ``λ rel p``
    by interval logic alone."""
    if vacuous(rel, p, d):
        return "inconclusive"
    if excluded(lo, hi, rel, p, lo_open):
        return "refuted"
    return "confirmed" if implied(lo, hi, rel, p, lo_open) else "inconclusive"


def bounds(claim: Any, ev: PointEvidence) -> tuple[Fraction | None, Fraction | None, bool]:
    """The verifier's certified interval for ``claim`` at the point, as exact fractions, and
    whether its lower end is strict (a certified fact says ``lo < λ``)."""
    lo, hi = certified_bounds(claim, ev)
    lo_open = any(f.low_open and f.low is not None and _fraction(f.low) == _fraction(lo)
                  for f in facts_of(claim, ev) if f.grade == "certified")
    return _fraction(lo), _fraction(hi), lo_open


def bound_values(case: Case, ends: Sequence[Fraction | None]) -> list[Fraction]:
    """Bounds P to try: λ and λ ± 1/4 (true and false either side), the certified ends and
    ¼ either side of them, and the vacuous rule's edges 0 and d/2 and ¼ either side."""
    centres = [case.lam, Fraction(0), Fraction(case.d, 2), *(e for e in ends if e is not None)]
    return sorted({c + k * Q for c in centres for k in (-1, 0, 1)})


TALLY: dict[str, int] = {}


def _count(key: str) -> None:
    TALLY[key] = TALLY.get(key, 0) + 1


def _modes(case: Case) -> dict[str, str]:
    return {"own": OWN, "cites": CITES[case.family], "rank": RANK_ONLY[case.family]}


def _evidence(case: Case) -> tuple[Mapping[str, Any], PointEvidence]:
    """The point's evidence, run once through the engine (rank mode: the routes do not
    depend on the claim's source, prediction or relation)."""
    claim = _claim(case, case.lam, RANK_ONLY[case.family], "ev", "<=")
    (res,) = run_claims([claim], profile="quick", families=FAMILIES, device="cpu")
    (pt,) = res.points
    return pt.params, pt.evidence


def judge_bounds(case: Case) -> None:
    """Every bound of :func:`bound_values` in every relation and mode: the true never
    refuted, the false never confirmed, a vacuous one inconclusive, and the verdict the one
    interval logic gives on the verifier's certified interval, which contains λ and lies in
    the interval :func:`forced` says the theorems force."""
    formula = FAMILIES[case.family].formula.__name__
    params, ev = _evidence(case)
    for mode, source in _modes(case).items():
        f = forced(case, ev, mode)
        lo, hi, lo_open = bounds(_claim(case, case.lam, source, "b"), ev)
        assert lo_open == (f.low_open and lo == f.low), (case, mode, lo, f)
        assert (lo is None or lo <= case.lam) and (hi is None or case.lam <= hi), (case, lo, hi)
        assert lo is not None and f.low <= lo and hi is not None and hi <= f.high, (
            case, mode, (lo, hi), f)
        for rel in RELATIONS:
            for p in bound_values(case, (lo, hi, f.low, f.high)):
                c = _claim(case, p, source, "b", rel)
                v = point_verdict(c, params, ev, c.predicted_at(params))
                true = holds(case.lam, rel, p)
                why = (case, mode, rel, p, (lo, hi), v.reason)
                assert v.verdict != ("refuted" if true else "confirmed"), why
                assert v.verdict != "error", why
                assert not vacuous(rel, p, case.d) or true, why  # the rule is sound
                assert v.verdict == expected(lo, hi, rel, p, case.d, lo_open), why
                if (want := expected(f.low, f.high, rel, p, case.d,
                                     f.low_open)) != "inconclusive":
                    assert v.verdict == want, why  # decided wherever the theorems force it
                if vacuous(rel, p, case.d):
                    assert "holds for every model" in v.reason, why
                check_reason(v, rel, p, mode, formula)
                _count(f"{rel}/{'true' if true else 'false'}/{v.verdict}")


@pytest.mark.parametrize("case", BOUNDARY, ids=lambda c: f"{c.family}-{c.toml()}".replace(
    "\n", ","))
def test_bounds_at_every_case_boundary_are_judged_soundly(case: Case) -> None:
    """Bounds ``<=``, ``<``, ``>=``, ``>`` at every case boundary of the formulas."""
    judge_bounds(case)


_SETTINGS = settings(max_examples=4, deadline=None, derandomize=True, database=None,
                     suppress_health_check=[HealthCheck.too_slow])


def any_points() -> st.SearchStrategy[Case]:
    """A drawn point of any family of the grid (the first grid file's strategies)."""
    return st.one_of(rrr_points(), dln_points(), other_points())


@_SETTINGS
@given(any_points())
def test_bounds_at_drawn_points_are_judged_soundly(case: Case) -> None:
    """Bounds at drawn points of every family."""
    judge_bounds(case)


@pytest.mark.parametrize("case", [rrr(3, 3, 1, 0), dln((2, 2, 2, 2), 0), low_rank(3, 1)],
                         ids=["rrr-case1-odd", "dln-tie", "low-rank"])
def test_bounds_run_end_to_end_as_judged(case: Case) -> None:
    """Bound claims run through the engine get the verdicts judged on one claim's evidence
    (the routes depend neither on the source, nor the prediction, nor the relation)."""
    params, ev = _evidence(case)
    src = RANK_ONLY[case.family]
    cases = [(rel, p) for rel in RELATIONS for p in (case.lam - Q, case.lam, case.lam + Q)]
    claims = [_claim(case, p, src, f"b{i}", rel) for i, (rel, p) in enumerate(cases)]
    for c, res in zip(claims, run_claims(claims, profile="quick", families=FAMILIES,
                                         device="cpu"), strict=True):
        (pt,) = res.points
        w = point_verdict(c, params, ev, c.predicted_at(params))
        assert (pt.verdict.verdict, pt.verdict.reason) == (w.verdict, w.reason)
        assert (res.verdict.verdict == pt.verdict.verdict), res.verdict.reason


# -- claims over a grid ----------------------------------------------------------------


def _grid_claim(family: str, predicted: str, relation: str, grid: Mapping[str, list[int]],
                source: str = OWN, constraint: str | None = None,
                fixed: str = "") -> Any:
    """A point claim over a ``[grid]`` (certified routes only)."""
    rows = "\n".join(f"{k} = {v}" for k, v in grid.items())
    cons = f'constraint = "{constraint}"\n' if constraint else ""
    text = f'''
id = "grid"
title = "soundness grid over several points: {family}"
source = "{source}"
family = "{family}"
kind = "closed_form"
predicted = "{predicted}"
relation = "{relation}"
evidence = ["closed_form", "rank"]
{cons}[grid]
{rows}
[fixed]
{fixed}
'''
    return parse_claim_text(text, "grid.toml", FAMILIES)


def _case_of(family: str, params: Mapping[str, Any], fixed: Mapping[str, Any]) -> Case:
    """The grid point as a :class:`Case` (its true λ and dimension)."""
    params = {**fixed, **params}
    if family == "regular":
        return regular(params["d"])
    if family == "low_rank_linear":
        return low_rank(params["d"], params["r"])
    return rrr(params["m"], params["n"], params["h"], params["r"])


def judge_grid_claim(claim: Any, names: Sequence[str]) -> tuple[str, list[dict], list[dict]]:
    """Run ``claim`` through the engine; each point's verdict must be interval logic's on
    its certified facts (true never refuted, false never confirmed); the claim's must be
    refuted where any point is (its reason naming exactly the refuted points' reach),
    confirmed only where every point is, else inconclusive. Returns the verdict and the
    refuted and confirmed points."""
    (res,) = run_claims([claim], profile="quick", families=FAMILIES, device="cpu")
    refuted, confirmed, kept = [], [], []
    for pt in res.points:
        case = _case_of(claim.family, pt.params, claim.fixed)
        p = Fraction(str(sp.nsimplify(pt.predicted)))
        lo, hi, lo_open = bounds(claim, pt.evidence)
        v = pt.verdict
        assert v.verdict != ("refuted" if holds(case.lam, claim.relation, p) else "confirmed")
        assert v.verdict == expected(lo, hi, claim.relation, p, case.d, lo_open), v.reason
        q = {k: pt.params[k] for k in names}
        kept.append(q)
        (refuted if v.verdict == "refuted" else confirmed if v.verdict == "confirmed"
         else []).append(q)
    cv = res.verdict
    if refuted:
        assert cv.verdict == "refuted" and cv.grade == "certified", cv.reason
        reach = scope(refuted, names, kept, claim.constraint)
        assert cv.reason.startswith(f"refuted at {reach} (certified)"), (reach, cv.reason)
    elif len(confirmed) == len(kept):
        assert cv.verdict == "confirmed" and cv.grade == "certified", cv.reason
        reach = scope(confirmed, names, kept, claim.constraint)
        assert cv.reason.startswith(f"confirmed at {reach} (certified)"), (reach, cv.reason)
    else:
        assert cv.verdict == "inconclusive", cv.reason
    return cv.verdict, refuted, confirmed


def test_a_grid_claim_false_at_some_points_is_refuted_there() -> None:
    """λ ≥ 3/2 for regular models of d = 1, …, 5 (λ = d/2): refuted at d ∈ {1, 2} alone,
    confirmed elsewhere; λ ≥ 1/2 holds at every d and is confirmed at every d."""
    v, refuted, _ = judge_grid_claim(_grid_claim("regular", "3/2", ">=", {"d": [1, 2, 3, 4, 5]}),
                                     ["d"])
    assert v == "refuted" and refuted == [{"d": 1}, {"d": 2}]
    v, _, confirmed = judge_grid_claim(_grid_claim("regular", "1/2", ">=",
                                                   {"d": [1, 2, 3, 4, 5]}), ["d"])
    assert v == "confirmed" and len(confirmed) == 5
    # λ = d/2 stated as min(d, 3)/2: right up to d = 3, refuted beyond it
    v, refuted, _ = judge_grid_claim(_grid_claim("regular", "min(d, 3)/2", "==",
                                                 {"d": [1, 2, 3, 4, 5]}, CITES["regular"]),
                                     ["d"])
    assert v == "refuted" and refuted == [{"d": 4}, {"d": 5}]


def test_a_grid_claim_under_a_constraint_reaches_only_the_kept_points() -> None:
    """The rank-r d×d matrices (λ = r(2d − r)/2) over d, r ∈ {1, 2, 3} with r ≤ d: λ ≥ 3 is
    refuted at the four points where λ < 3, and the removed r > d are not missing;
    λ < r·d holds at every kept point and is confirmed there, not vacuous (r·d = d_params/2
    is the dimension's bound, which `<` does not meet with equality)."""
    grid = {"d": [1, 2, 3], "r": [1, 2, 3]}
    v, refuted, _ = judge_grid_claim(_grid_claim("low_rank_linear", "3", ">=", grid,
                                                 constraint="r <= d"), ["d", "r"])
    assert v == "refuted"
    assert refuted == [{"d": 1, "r": 1}, {"d": 2, "r": 1}, {"d": 2, "r": 2}, {"d": 3, "r": 1}]
    claim = _grid_claim("low_rank_linear", "r*d", "<", grid, RANK_ONLY["low_rank_linear"],
                        constraint="r <= d")
    v, _, confirmed = judge_grid_claim(claim, ["d", "r"])
    assert v == "confirmed" and len(confirmed) == 6
    (res,) = run_claims([claim], profile="quick", families=FAMILIES, device="cpu")
    assert "with r ≤ d" in res.verdict.reason and "except" not in res.verdict.reason


def test_a_reduced_rank_grid_claim_is_refuted_where_the_rank_fixes_lambda() -> None:
    """Reduced-rank regression at n = 2 over m, h, r with r ≤ min(m, n, h), citing every
    formula: λ > r(m + n − r)/2 (the splitting lemma's bound, strictly) is false exactly
    where r = min(m, n, h) (the rank at w* is the generic rank: λ = R₀/2), true at r = 0
    (λ > 0: the rank at w* is 0 but the map is not constant) and undecided elsewhere; the
    claim is refuted at those points alone."""
    grid = {"m": [1, 2, 3], "h": [1, 2], "r": [0, 1, 2]}
    claim = _grid_claim("reduced_rank_regression", "r*(m + n - r)/2", ">", grid,
                        RANK_ONLY["reduced_rank_regression"], "r <= min(m, n, h)", "n = 2")
    v, refuted, confirmed = judge_grid_claim(claim, list(grid))
    assert v == "refuted" and confirmed == [q for q in confirmed if q["r"] == 0]
    assert len(confirmed) == 6  # every r = 0 point
    assert refuted == [q for q in refuted if q["r"] == min(q["m"], 2, q["h"])]
    assert len(refuted) == 6


def test_a_grid_claim_true_everywhere_but_undecided_somewhere_is_inconclusive() -> None:
    """Reduced-rank regression m = n = h = 2 at r ∈ {0, 1, 2}, citing every formula: λ ≥ 1/4
    holds at every r, but only r = 2 (rank at w* = generic rank) fixes λ; the rank at w* at
    r = 0, 1 leaves it open, so the claim is inconclusive, not confirmed."""
    claim = _grid_claim("reduced_rank_regression", "1/4", ">=", {"r": [0, 1, 2]},
                        RANK_ONLY["reduced_rank_regression"], fixed="m = 2\nn = 2\nh = 2")
    v, refuted, confirmed = judge_grid_claim(claim, ["r"])
    assert v == "inconclusive" and not refuted and {"r": 2} in confirmed


# -- scaling claims ----------------------------------------------------------------------


def _scaling(family: str, variable: str, shape: str, grid: Mapping[str, list[int]],
             coefficients: Sequence[float] | None = None, predicted: str | None = None,
             fixed: str = "", relation: str = "==") -> Any:
    """A scaling claim on certified values (the quick profile runs the rank route only),
    with a ``predicted`` formula in ``relation`` to λ where one is given."""
    rows = "\n".join(f"{k} = {v}" for k, v in grid.items())
    coef = f"coefficients = {list(coefficients)}\n" if coefficients is not None else ""
    pred = f'predicted = "{predicted}"\nrelation = "{relation}"\n' if predicted else ""
    text = f'''
id = "scaling"
title = "soundness grid, scaling: {family}"
source = "{RANK_ONLY[family]}"
family = "{family}"
kind = "scaling"
evidence = ["rank", "llc"]
{pred}
[scaling]
variable = "{variable}"
shape = "{shape}"
{coef}
[grid]
{rows}
[fixed]
{fixed}
[profiles.quick]
evidence = ["rank"]
'''
    return parse_claim_text(text, "scaling.toml", FAMILIES)


REGULAR_D = {"d": [1, 2, 3, 5, 8]}
LOW_RANK_R = {"r": [1, 2, 3, 4, 5]}  # λ = r(2d − r)/2 = −r²/2 + d·r at d = 6: quadratic in r

SCALING = [
    ("regular linear, 1/2", _scaling("regular", "d", "linear", REGULAR_D, [0.5]), "confirmed"),
    ("regular linear", _scaling("regular", "d", "linear", REGULAR_D), "confirmed"),
    ("regular affine, 1/2 and 0",
     _scaling("regular", "d", "affine", REGULAR_D, [0.5, 0]), "confirmed"),
    ("regular linear, 0.6", _scaling("regular", "d", "linear", REGULAR_D, [0.6]), "refuted"),
    ("regular linear, 0.4", _scaling("regular", "d", "linear", REGULAR_D, [0.4]), "refuted"),
    ("regular quadratic", _scaling("regular", "d", "quadratic", REGULAR_D), "refuted"),
    ("regular quadratic, 1/2 and 0",
     _scaling("regular", "d", "quadratic", REGULAR_D, [0.5, 0]), "refuted"),
    ("regular linear, predicted 3d/5",
     _scaling("regular", "d", "linear", REGULAR_D, predicted="3*d/5"), "refuted"),
    ("regular quadratic, predicted d/2",
     _scaling("regular", "d", "quadratic", REGULAR_D, predicted="d/2"), "refuted"),
    # a predicted bound with the shape: its points are judged as a point claim's, and the
    # claim is confirmed only where every point is (a vacuous bound, true at every point,
    # asserts nothing: it was confirmed by the fit alone)
    ("regular linear, predicted <= d/2 + 1/4 (vacuous)", _scaling(
        "regular", "d", "linear", REGULAR_D, predicted="d/2 + 1/4", relation="<="),
     "inconclusive"),
    ("regular linear, predicted >= 0 (vacuous)", _scaling(
        "regular", "d", "linear", REGULAR_D, predicted="0", relation=">="), "inconclusive"),
    ("regular linear, predicted >= d/4", _scaling(
        "regular", "d", "linear", REGULAR_D, predicted="d/4", relation=">="), "confirmed"),
    ("regular linear, predicted <= d/2 - 1/4", _scaling(
        "regular", "d", "linear", REGULAR_D, predicted="d/2 - 1/4", relation="<="), "refuted"),
    ("regular linear, predicted > d/2", _scaling(
        "regular", "d", "linear", REGULAR_D, predicted="d/2", relation=">"), "refuted"),
    ("low rank quadratic, -1/2 and 6", _scaling("low_rank_linear", "r", "quadratic",
                                                LOW_RANK_R, [-0.5, 6], fixed="d = 6"),
     "confirmed"),
    ("low rank quadratic", _scaling("low_rank_linear", "r", "quadratic", LOW_RANK_R,
                                    fixed="d = 6"), "confirmed"),
    ("low rank linear", _scaling("low_rank_linear", "r", "linear", LOW_RANK_R, fixed="d = 6"),
     "refuted"),
    # λ = r(2d − r)/2 = d − 1/2 at r = 1: affine in d, not linear (through the origin)
    ("low rank affine in d, 1 and -1/2", _scaling("low_rank_linear", "d", "affine",
                                                 {"d": [1, 2, 3, 4, 5]}, [1, -0.5],
                                                 fixed="r = 1"), "confirmed"),
    ("low rank linear in d", _scaling("low_rank_linear", "d", "linear", {"d": [1, 2, 3, 4, 5]},
                                      fixed="r = 1"), "refuted"),
    # reduced-rank regression at r = 0: the rank at w* (0) fixes no λ, no value to fit
    ("rrr linear in h, r = 0", _scaling("reduced_rank_regression", "h", "linear",
                                        {"h": [1, 2, 3, 4]}, fixed="m = 3\nn = 3\nr = 0"),
     "inconclusive"),
    ("low rank quadratic, -0.5 and 5", _scaling("low_rank_linear", "r", "quadratic",
                                                LOW_RANK_R, [-0.5, 5], fixed="d = 6"),
     "refuted"),
]


@pytest.mark.parametrize(("claim", "want"), [(c, w) for _, c, w in SCALING],
                         ids=[n for n, _, _ in SCALING])
def test_scaling_claims_on_exact_values(claim: Any, want: str) -> None:
    """On exact (certified) values a true shape is confirmed, a false shape or a wrong
    coefficient refuted (certified): never the other way."""
    (res,) = run_claims([claim], profile="quick", families=FAMILIES, device="cpu")
    v = res.verdict
    assert v.verdict == want, v.reason
    assert v.reason.startswith(want), v.reason
    if want != "inconclusive":
        assert v.grade == "certified", v.reason
    if claim.predicted_expr is not None:  # confirmed only where every point is
        points = {p.verdict.verdict for p in res.points}
        assert v.verdict != "confirmed" or points == {"confirmed"}, (points, v.reason)


# -- a stated multiplicity ---------------------------------------------------------------


def test_a_claim_cannot_state_a_multiplicity(tmp_path: Any) -> None:
    """The claim schema has no multiplicity: a claim stating one (here a wrong m = 2 beside
    the right λ = 3/2 of a regular model, whose m is 1) is an error naming the key, in the
    parser and as the engine reports the file, never judged as if λ alone were stated
    (the certified routes fix λ only: the wrong m would come out confirmed)."""
    case = regular(3)
    text = f'''
id = "m"
title = "λ with a multiplicity"
source = "{OWN}"
family = "regular"
kind = "closed_form"
predicted = "{case.lam}"
multiplicity = 2
evidence = ["closed_form", "rank"]
[fixed]
{case.toml()}
'''
    with pytest.raises(ClaimError, match="multiplicity: unknown key"):
        parse_claim_text(text, "m.toml", FAMILIES)
    (tmp_path / "m.toml").write_text(text, encoding="utf-8")
    (res,) = run_claims(load_claims([tmp_path], FAMILIES), profile="quick", families=FAMILIES,
                        device="cpu")
    assert res.verdict.verdict == "error", res.verdict.reason
    assert "multiplicity: unknown key" in res.verdict.reason
