"""Every package family's rank map at a true point is its model's function (the outputs, or
the centred outputs a centred loss sees), up to the integer scale some maps use for exact
ranks: the certified facts read the map's Jacobian as the model's (the splitting lemma's
λ ≥ R₀/2, and λ ≤ R/2 + (d − R)/4 from the Hessian's rank at a true parameter, which is
valid only where the ranked map sees at least what the loss sees). Plugins are checked at
run time (``routes._rank_map_disagreement``); this holds the package's own maps to the same
check."""

from __future__ import annotations

import dataclasses

import pytest

from slttheory.models import FAMILIES
from slttheory.models.regimes import _W_SCALE
from slttheory.verify.evidence import routes

CASES = [
    ("regular", {"d": 3}),
    ("reduced_rank_regression", {"m": 3, "n": 3, "h": 2, "r": 1}),
    ("reduced_rank_regression", {"m": 3, "n": 2, "h": 2, "r": 0}),
    ("deep_linear_network", {"widths": [2, 2, 3], "r": 1}),
    ("normal_crossing", {"powers": [1, 2]}),
    ("polynomial_regression", {"degree": 2}),
    ("low_rank_linear", {"d": 4, "r": 2}),
    ("quadratic_network", {"d": 3, "k": 2, "p": 1}),
    ("quadratic_network", {"d": 2, "k": 3, "p": 1, "bias": True, "loss": "mse"}),
    ("linear_regression_toy", {}),
    ("modular_addition_generic", {"p": 3, "k": 2}),
    ("ntk", {"rank": 2, "p": 1}),
    ("lazy_regime", {"p": 2, "feature_rank": 3}),
    ("lazy_regime_bounds", {"p": 2, "k": 3}),
]

SCALED = {"lazy_regime": _W_SCALE**2, "lazy_regime_bounds": _W_SCALE**2}
"""Maps of the integer M = 2^10·W: the model's centred outputs times 2^20 (same rank)."""


@pytest.mark.parametrize(("name", "params"), CASES, ids=[f"{n}-{i}" for i, (n, _) in
                                                          enumerate(CASES)])
def test_a_package_rank_map_is_its_models_function(name, params):
    fam = FAMILIES[name]
    q = {p.name: p.default for p in fam.parameters
         if p.default is not None and p.default != "__required__"}
    q.update(params)
    rp = fam.rank_problem(dict(q))
    assert rp.true_point != "trained"
    scale = SCALED.get(name, 1)
    if scale != 1:
        fn = rp.fn
        rp = dataclasses.replace(rp, fn=lambda prm, x, fn=fn: fn(prm, x) / scale)
    model, why = routes._built_w_star(fam, q)
    assert model is not None, why
    assert routes._rank_map_disagreement(rp, model) == ""
    if rp.inputs_determine:  # and its inputs determine the model's function on the data
        prob, why = routes._built_problem(fam, q)
        assert routes._inputs_undetermined(rp, prob.model, prob.data, prob.loss) == ""


def test_the_check_sees_a_map_that_is_not_the_models():
    """The same check refuses a map off by a factor it was not told of."""
    fam = FAMILIES["regular"]
    q = {p.name: p.default for p in fam.parameters if p.default is not None}
    q.update({"d": 3})
    rp = fam.rank_problem(dict(q))
    fn = rp.fn
    rp = dataclasses.replace(rp, fn=lambda prm, x: 2 * fn(prm, x))
    model, _ = routes._built_w_star(fam, q)
    assert routes._rank_map_disagreement(rp, model).startswith("the rank map's function differs")
