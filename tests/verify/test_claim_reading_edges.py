"""How a claim file is read, edge by edge: every comparison operator and chained comparisons
in constraints, attribute calls refused, the exponent and grid limits exactly, float values as
their decimals, profile settings kept to their profile, the prediction at the whole point,
scaling polynomials as stated, bounds inclusive, store keys with every parameter. A mutation
audit of expr.py and claims/ found 18 one-line changes here that no other test caught (a
`>=` constraint dropping its boundary point, `1 < d < 4` keeping d = 4, 10·0.1 ≠ 1 refuting
a true claim)."""

from __future__ import annotations

import pytest
import sympy as sp
from test_claims_robustness import FAMILIES  # fake families and an unbounded "wide" one

import slttheory.verify.claims.point as point_mod
from slttheory.verify.claims import ClaimError, load_claim
from slttheory.verify.claims.common import number, point_key
from slttheory.verify.expr import ExpressionError, evaluate, parse_constraint, parse_predicted

BASE = """
id = "x"
title = "t"
source = "s"
family = "wide"
kind = "closed_form"
predicted = "d/2"
evidence = ["closed_form", "rank"]
[grid]
d = [1, 2, 3, 4]
k = [1]
"""

SCALING = """
id = "x"
title = "t"
source = "s"
family = "wide"
kind = "scaling"
evidence = ["llc"]
[scaling]
variable = "{var}"
shape = "{shape}"
{coefs}
[grid]
{grid}
[fixed]
{fixed}
"""


def load(tmp_path, text, name="c.toml"):
    p = tmp_path / name
    p.write_text(text)
    return load_claim(p, FAMILIES)


def _ds(c, profile="full"):
    return [p["d"] for p in c.points(profile)]


# M02, M04, M05: each comparison operator and chained comparisons keep exactly their points
@pytest.mark.parametrize("constraint, ds", [
    ("d >= 2", [2, 3, 4]), ("d > 2", [3, 4]), ("d <= 2", [1, 2]), ("d < 2", [1]),
    ("d == 2", [2]), ("d != 2", [1, 3, 4]),
    ("1 < d < 4", [2, 3]), ("1 < d <= 3", [2, 3]), ("4 > d >= 2", [2, 3]),
    ("1 <= d < 3 < 2*d", [2]),
])
def test_constraint_operators_keep_exactly_their_grid_points(tmp_path, constraint, ds):
    text = BASE.replace('predicted = "d/2"', f'predicted = "d/2"\nconstraint = "{constraint}"')
    c = load(tmp_path, text)
    assert _ds(c, "quick") == ds and _ds(c, "full") == ds
    expr = parse_constraint(constraint, ["d"])
    assert [d for d in (1, 2, 3, 4) if bool(evaluate(expr, {"d": d}))] == ds


# M06: a call made on an attribute is refused even when the attribute is a whitelisted name
@pytest.mark.parametrize("text", ["d.log(d)", "os.log(d)", "sp.sqrt(d)", "x.min(d, 2)",
                                  "(d).floor(d)"])
def test_an_attribute_call_is_never_a_whitelisted_function(text):
    with pytest.raises(ExpressionError, match="non-whitelisted"):
        parse_predicted(text, ["d"])


# M09: the exponent limit is exactly MAX_EXPONENT
def test_the_exponent_limit_is_exact():
    assert parse_predicted("d**64", ["d"]) == sp.Symbol("d") ** 64
    assert parse_predicted("d**(-64)", ["d"]) == sp.Symbol("d") ** -64
    for text in ("d**65", "d**(-65)", "2**65", "d**64.5"):
        with pytest.raises(ExpressionError, match="exceeds the limit 64"):
            parse_predicted(text, ["d"])


# M13: a float grid value stands for its decimal, not for the nearest binary fraction
def test_float_values_are_substituted_as_their_decimals(tmp_path):
    e = parse_predicted("10*x", ["x"])
    assert evaluate(e, {"x": 0.1}) == 1
    assert evaluate(parse_predicted("x", ["x"]), {"x": 0.3}) == sp.Rational(3, 10)
    text = BASE.replace('predicted = "d/2"', 'predicted = "10*noise"').replace(
        "k = [1]", "k = [1]\nnoise = [0.1, 0.3]")
    c = load(tmp_path, text)
    assert [c.predicted_at(p) for p in c.points("full")][:2] == [1, 3]


# M19: a profile's [llc] settings never reach the other profile
def test_profile_llc_settings_stay_in_their_profile(tmp_path):
    text = BASE + "[llc]\nchains = 2\n[profiles.full.llc]\nchains = 8\ndraws = 500\n" \
        "[profiles.quick.rank]\ntrials = 5\n"
    c = load(tmp_path, text)
    assert c.llc_settings("full") == {"chains": 8, "draws": 500}
    assert c.llc_settings("quick") == {"chains": 2}
    assert c.rank_settings("quick") == {"trials": 5} and c.rank_settings("full") == {}


# M20: the prediction is evaluated at the point asked for, fixed values included
def test_the_prediction_is_evaluated_at_the_whole_point(tmp_path):
    c = load(tmp_path, BASE.replace('"d/2"', '"d*k"'))
    assert c.predicted_at({"d": 2, "k": 1}) == 2
    assert c.predicted_at({"d": 2, "k": 5}) == 10
    text = BASE.replace('"d/2"', '"d*k"').replace("k = [1]\n", "") + "[fixed]\nk = 3\n"
    c = load(tmp_path, text, "f.toml")
    assert [c.predicted_at(p) for p in c.points("full")] == [3, 6, 9, 12]
    assert c.predicted_at({"d": 1, "k": 7}) == 7


# M23: a profile may only override variables of [grid]
@pytest.mark.parametrize("var", ["noise", "k"])
def test_a_profile_grid_cannot_add_or_shadow_a_variable(tmp_path, var):
    text = BASE.replace("k = [1]\n", "") + "[fixed]\nk = 1\n" \
        f"[profiles.quick.grid]\n{var} = [2]\n"
    with pytest.raises(ClaimError, match=r"overrides a variable that is not in \[grid\]"):
        load(tmp_path, text)


# M24: the grid point limit is exact
def test_the_grid_point_limit_is_exact(tmp_path, monkeypatch):
    monkeypatch.setattr(point_mod, "MAX_GRID_POINTS", 4)
    assert len(load(tmp_path, BASE).points("full")) == 4
    with pytest.raises(ClaimError, match="5 grid points, above the limit"):
        load(tmp_path, BASE.replace("d = [1, 2, 3, 4]", "d = [1, 2, 3, 4, 5]"), "b.toml")


# M26, M27: a scaling claim's stated polynomial is evaluated as written
def test_scaling_coefficients_give_the_stated_polynomial(tmp_path):
    c = load(tmp_path, SCALING.format(var="d", shape="quadratic", coefs="coefficients = [1, 2]",
                                      grid="d = [1, 2, 3]", fixed="k = 1"))
    assert [c.predicted_at(p) for p in c.points("full")] == [3, 8, 15]
    c = load(tmp_path, SCALING.format(var="d", shape="affine", coefs="coefficients = [3, 1]",
                                      grid="d = [1, 2, 3]", fixed="k = 1"), "a.toml")
    assert [c.predicted_at(p) for p in c.points("full")] == [4, 7, 10]
    c = load(tmp_path, SCALING.format(var="noise", shape="linear", coefs="coefficients = [10]",
                                      grid="noise = [0.1, 0.3]", fixed="d = 1\nk = 1"),
             "n.toml")
    assert [c.predicted_at(p) for p in c.points("full")] == [1, 3]


# M28: a fit needs one more distinct value than it has coefficients
@pytest.mark.parametrize("shape, grid", [("linear", "d = [2]"), ("affine", "d = [2, 3]"),
                                         ("quadratic", "d = [2, 3]")])
def test_a_scaling_fit_needs_enough_values(tmp_path, shape, grid):
    with pytest.raises(ClaimError, match="fit needs at least"):
        load(tmp_path, SCALING.format(var="d", shape=shape, coefs="", grid=grid, fixed="k = 1"))


# M30: the scaling variable must be a grid variable, not a fixed one
def test_a_fixed_scaling_variable_is_refused(tmp_path):
    with pytest.raises(ClaimError, match="'noise' is not a grid variable"):
        load(tmp_path, SCALING.format(var="noise", shape="linear", coefs="", grid="d = [1, 2, 3]",
                                      fixed="k = 1\nnoise = 0.1"))


# M29: an empty route list lists the claim in a profile without running anything there
def test_an_empty_profile_evidence_runs_no_route(tmp_path):
    c = load(tmp_path, BASE + "[profiles.quick]\nevidence = []\n")
    assert c.evidence_for("quick") == ()
    assert c.evidence_for("full") == ("closed_form", "rank")


# M32, M33: number() bounds are inclusive and exact
def test_number_bounds_are_exact():
    assert number(0.0, "p", "k", 0.0, 0.5) == 0.0
    assert number(0.5, "p", "k", 0.0, 0.5) == 0.5
    for v in (-1e-12, 0.5 + 1e-12, 0.504):
        with pytest.raises(ClaimError):
            number(v, "p", "k", 0.0, 0.5)


# M35: the store's key tells apart points that differ only in a boolean
def test_point_key_keeps_every_parameter():
    keys = {point_key({"d": 1, "flag": b}) for b in (True, False)}
    keys |= {point_key({"d": 1, "flag": "x"}), point_key({"d": 1, "flag": 0.5}),
             point_key({"d": 1})}
    assert len(keys) == 5
