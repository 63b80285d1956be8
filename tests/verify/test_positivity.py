"""λ > 0 where the loss is not flat near w*: the strict lower end of the certified facts.

Where the rank of the Jacobian at the true point w* is 0 (a normal crossing w₁²w₂² at 0,
reduced-rank regression at r = 0), the splitting lemma bounds λ by 0 from below only. Yet the
map the loss sees is a non-constant polynomial (its exact generic rank is at least 1), so K is
not identically 0 on any neighbourhood of w*, and the largest pole −λ of ζ(z) = ∫K^z φ is
negative (Watanabe 2009, *Algebraic Geometry and Statistical Learning Theory*, ch. 2). A
stated formula that gives 0 at such a case boundary is then false, and is refuted as
certified; "λ > 0" there is confirmed. Where the map is constant, or its rank is not exact,
or w* is not the family's true parameter, no such fact is drawn.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import sympy as sp
from test_soundness_grid import RANK_ONLY

from slttheory.models import FAMILIES
from slttheory.verify.claims import parse_claim_text
from slttheory.verify.judge.facts import facts_of
from slttheory.verify.judge.point import point_verdict
from slttheory.verify.report.data import build_report, validate_report
from slttheory.verify.run import run_claims

# the normal crossing's own source (Varchenko 1976, via its Newton polyhedron) is cited too,
# so no closed form decides: the rank facts alone do
SOURCE = "Watanabe 2009, Algebraic Geometry and Statistical Learning Theory; Varchenko 1976"


def _claim(predicted: str, relation: str, fixed: str = "powers = [2, 2]\nnoise = 1.0",
           family: str = "normal_crossing"):
    text = f'''
id = "positivity"
title = "λ at a case boundary where the rank at w* is 0"
source = "{SOURCE}"
family = "{family}"
kind = "closed_form"
predicted = "{predicted}"
relation = "{relation}"
evidence = ["closed_form", "rank"]
[grid]
[fixed]
{fixed}
'''
    return parse_claim_text(text, "positivity.toml", FAMILIES)


@pytest.fixture(scope="module")
def crossing():
    """w₁²w₂² at 0 (λ = 1/4, rank at w* 0, generic rank 1): its params and evidence."""
    (res,) = run_claims([_claim("1/4", "==")], profile="quick", families=FAMILIES,
                        device="cpu")
    (pt,) = res.points
    assert pt.evidence.rank.point_rank == 0 and pt.evidence.rank.rank == 1
    return pt.params, pt.evidence


def _verdict(predicted: str, relation: str, params, ev):
    c = _claim(predicted, relation)
    return point_verdict(c, params, ev, c.predicted_at(params))


@pytest.mark.parametrize(("predicted", "relation", "verdict"), [
    ("0", "==", "refuted"),         # a formula that gives 0 at the boundary
    ("0", "<=", "refuted"),
    ("0", ">", "confirmed"),
    ("-1/4", "==", "refuted"),      # below 0: refuted by the dimension fact too
    ("1/4", "==", "inconclusive"),  # the truth, which the rank facts do not fix
    ("1/8", "<=", "inconclusive"),  # false, but only an LLC could tell
    ("0", ">=", "inconclusive"),    # vacuous: λ ≥ 0 for every model
])
def test_the_strict_lower_end_decides_at_zero_only(crossing, predicted, relation, verdict):
    params, ev = crossing
    v = _verdict(predicted, relation, params, ev)
    assert v.verdict == verdict, v.reason
    if verdict != "inconclusive" and predicted == "0":
        assert v.grade == "certified" and "λ > 0" in v.reason, v.reason
        assert "exact generic rank 1 ≥ 1" in v.reason, v.reason


def test_the_fact_reads_lambda_greater_than_zero(crossing):
    params, ev = crossing
    (pos,) = [f for f in facts_of(_claim("0", "=="), ev) if f.route == "positivity"]
    assert pos.grade == "certified" and pos.low_open and pos.low == 0 and pos.high is None
    assert pos.interval_text() == "λ > 0"


@pytest.mark.parametrize("change", [
    {"rank": 0},                     # a constant map: K ≡ 0 is possible, λ = 0
    {"certified": False},            # the rank not exact (e.g. an unchecked plugin map)
    {"inputs_determine": False},     # the rank map may see outputs the loss does not
    {"point_rank": None},            # w* not the family's true point (a trained one)
    {"point_rank_certified": False},
    {"point_rank": 1},               # the splitting lemma's λ ≥ 1/2 says more
])
def test_no_positivity_without_its_premises(crossing, change):
    """Each premise of the fact is needed: without it, "λ = 0" is not refuted by it."""
    params, ev = crossing
    rk = replace(ev.rank, **change)
    ev2 = replace(ev, rank=rk)
    assert not [f for f in facts_of(_claim("0", "=="), ev2) if f.route == "positivity"]
    v = _verdict("0", "==", params, ev2)
    if change.get("point_rank") == 1:
        assert v.verdict == "refuted" and "splitting lemma" in v.reason, v.reason
    elif change.get("rank") == 0:  # a constant map: λ = 0 by the constant-rank theorem
        assert v.verdict == "confirmed" and "constant-rank theorem" in v.reason, v.reason
    else:
        assert v.verdict == "inconclusive", v.reason


def test_the_engine_refutes_a_formula_that_gives_zero_at_the_boundary():
    """End to end: reduced-rank regression (m, n, h) = (2, 2, 1) over r ∈ {0, 1}, λ stated as
    half the rank at the true point, r(m + n − r)/2, citing every formula: at r = 1 = min the
    rank at w* is the generic rank and λ = 3/2 is confirmed; at r = 0 the statement gives 0,
    where the true λ is (case 1 of Aoyagi & Watanabe 2005) 1, and it is refuted (certified)
    by λ > 0 alone; the claim is refuted at r = 0."""
    text = f'''
id = "zero-at-boundary"
title = "a stated formula that vanishes at a case boundary"
source = "{RANK_ONLY['reduced_rank_regression']}"
family = "reduced_rank_regression"
kind = "closed_form"
predicted = "r*(m + n - r)/2"
relation = "=="
evidence = ["closed_form", "rank"]
[grid]
r = [0, 1]
[fixed]
m = 2
n = 2
h = 1
noise = 1.0
'''
    claim = parse_claim_text(text, "zero.toml", FAMILIES)
    (res,) = run_claims([claim], profile="quick", families=FAMILIES, device="cpu")
    by_r = {pt.params["r"]: pt.verdict for pt in res.points}
    assert by_r[1].verdict == "confirmed", by_r[1].reason
    assert by_r[0].verdict == "refuted" and by_r[0].grade == "certified", by_r[0].reason
    assert "λ > 0" in by_r[0].reason and "splitting lemma" not in by_r[0].reason.split(
        "against")[0], by_r[0].reason
    assert res.verdict.verdict == "refuted" and res.verdict.reason.startswith(
        "refuted at r = 0"), res.verdict.reason
    # report.json says the lower end is strict (a reader of "low": "0" alone would read λ ≥ 0)
    report = build_report([res], profile="quick", device="cpu")
    validate_report(report)
    (p0,) = [p for p in report["claims"][0]["points"] if p["params"]["r"] == 0]
    assert [(f["low"], f["low_open"]) for f in p0["facts"] if f["route"] == "positivity"] == \
        [("0", True)]
    assert all(not f["low_open"] for f in p0["facts"] if f["route"] != "positivity")


def test_sympy_zero_and_fraction_agree():
    """The strict end compares exact values, not forms: 0 and 0/4 are the same end."""
    from slttheory.verify.judge.point import _exact_verdict

    assert _exact_verdict(sp.Integer(0), None, sp.Rational(0, 4), "==", lo_open=True) == \
        "refuted"
    assert _exact_verdict(sp.Integer(0), None, sp.Rational(1, 4), "==", lo_open=True) == "open"
