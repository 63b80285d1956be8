"""The family registry: names, formulas and their adapters, parameter validation."""

import inspect

import pytest
import torch

import slttheory.formulas as formulas
from slttheory.models import FAMILIES, Family, ParamSpec, Problem, RankProblem

EXPECTED = {
    "regular", "reduced_rank_regression", "deep_linear_network", "normal_crossing",
    "tanh_network", "polynomial_regression", "low_rank_linear", "relu_autoencoder",
    "quadratic_network", "modular_addition", "linear_regression_toy", "tanh_sine_toy",
    "parity_mlp", "quadratic_stage_two",
    # seed 001's regimes (slttheory/models/regimes.py, tested in test_regimes.py)
    "ntk", "lazy_regime", "lazy_regime_bounds", "modular_addition_generic",
}
REGIMES = {"ntk", "lazy_regime", "lazy_regime_bounds", "modular_addition_generic"}
# families whose name is not a formula name: the formula they use instead
OTHER_FORMULA = {"low_rank_linear": "low_rank_manifold", "linear_regression_toy": "regular",
                 "quadratic_stage_two": "quadratic_stage_two"}
NO_FORMULA = {"relu_autoencoder", "tanh_sine_toy", "parity_mlp"}


def test_all_families_registered():
    assert set(FAMILIES) == EXPECTED
    for name, fam in FAMILIES.items():
        assert isinstance(fam, Family) and fam.name == name
        assert all(isinstance(p, ParamSpec) for p in fam.parameters)
        assert fam.description and fam.source


@pytest.mark.parametrize("name", sorted(EXPECTED - REGIMES))
def test_names_match_formula_names(name):
    fam = FAMILIES[name]
    if name in NO_FORMULA:
        assert fam.formula is None
        with pytest.raises(ValueError, match="no closed form"):
            fam.formula_kwargs({})
        return
    expected = OTHER_FORMULA.get(name, name)
    assert fam.formula is getattr(formulas, expected)
    if name in formulas.__all__:
        assert fam.formula is getattr(formulas, name)
    # every formula argument without default is supplied by the adapter
    kwargs = fam.formula_kwargs(fam.validate({}))
    sig = inspect.signature(fam.formula)
    sig.bind(**kwargs)  # raises TypeError if the adapter misses or invents an argument


def test_formula_adapters():
    assert FAMILIES["low_rank_linear"].formula_kwargs({"d": 7, "r": 2, "noise": 1.0}) == {
        "m": 7, "n": 7, "r": 2}
    assert FAMILIES["polynomial_regression"].formula_kwargs(
        {"degree": 4, "interval": 0.5, "noise": 1.0}) == {"degree": 4}
    assert FAMILIES["modular_addition"].formula_kwargs(
        FAMILIES["modular_addition"].validate({"p": 5, "k": 3})) == {"p": 5, "k": 3}
    assert FAMILIES["linear_regression_toy"].formula_kwargs({"noise": 0.0}) == {"d": 2}
    assert FAMILIES["quadratic_network"].formula_kwargs(
        FAMILIES["quadratic_network"].validate({"d": 4, "k": 2, "p": 3, "bias": True})
    ) == {"d": 4, "k": 2, "p": 3, "bias": True}


def _closed_form_or_skip(fam, **params):
    try:
        return fam.lambda_(**params)
    except NotImplementedError:
        pytest.skip(f"formula {fam.formula.__name__} not implemented yet")


def test_closed_form_calls_formula():
    assert _closed_form_or_skip(FAMILIES["regular"], d=4).value == 2
    assert _closed_form_or_skip(FAMILIES["linear_regression_toy"]).value == 1
    lc = _closed_form_or_skip(FAMILIES["low_rank_linear"], d=4, r=2)
    assert lc.value == formulas.low_rank_manifold(4, 4, 2).value


def test_closed_form_rrr_uses_output_dimension_n():
    fam = FAMILIES["reduced_rank_regression"]
    try:
        lc = fam.closed_form({"m": 5, "n": 5, "h": 3, "r": 0})
    except NotImplementedError:
        pytest.skip("reduced_rank_regression not implemented yet")
    assert lc.value == formulas.reduced_rank_regression(5, 5, 3, r=0).value


@pytest.mark.parametrize(
    "name,params,exc,key",
    [
        ("regular", {"dd": 3}, ValueError, "dd"),
        ("regular", {"d": 0}, ValueError, "d"),
        ("regular", {"d": 2.5}, TypeError, "d"),
        ("regular", {"d": True}, TypeError, "d"),
        ("regular", {"noise": -1.0}, ValueError, "noise"),
        ("regular", {"noise": float("nan")}, ValueError, "noise"),
        ("reduced_rank_regression", {"m": 2, "n": 3, "h": 2, "r": 3}, ValueError, "r"),
        ("reduced_rank_regression", {"h": "3"}, TypeError, "h"),
        ("deep_linear_network", {"widths": [3]}, ValueError, "widths"),
        ("deep_linear_network", {"widths": [3, 0, 2]}, ValueError, "widths"),
        ("deep_linear_network", {"widths": [3, 2.0]}, TypeError, "widths"),
        ("deep_linear_network", {"widths": [3, 2, 3], "r": 3}, ValueError, "r"),
        ("normal_crossing", {"powers": [0, 0]}, ValueError, "powers"),
        ("normal_crossing", {"powers": [-1, 2]}, ValueError, "powers"),
        ("polynomial_regression", {"interval": 0.0}, ValueError, "interval"),
        ("quadratic_network", {"bias": 1}, TypeError, "bias"),
        ("modular_addition", {"train_frac": 1.5}, ValueError, "train_frac"),
        ("modular_addition", {"p": 3, "train_frac": 0.01}, ValueError, "train_frac"),
        ("low_rank_linear", {"d": 3, "r": 4}, ValueError, "r"),
        ("parity_mlp", {"n_bits": 2, "k": 3}, ValueError, "k"),
        ("tanh_network", {"h": 0}, ValueError, "h"),
    ],
)
def test_validate_errors_name_the_key(name, params, exc, key):
    fam = FAMILIES[name]
    with pytest.raises(exc, match=rf"\b{key}\b") as info:
        fam.validate(params, where="claims/x.toml")
    assert "claims/x.toml" in str(info.value)
    # build validates the same way
    with pytest.raises(exc, match=rf"\b{key}\b"):
        fam.build(params, n=10, generator=0)


def test_validate_fills_defaults_and_converts():
    q = FAMILIES["deep_linear_network"].validate({"widths": [2, 3, 2]})
    assert q == {"widths": (2, 3, 2), "r": 0, "noise": 1.0}
    q = FAMILIES["polynomial_regression"].validate({"interval": 1})
    assert q["interval"] == 1.0 and isinstance(q["interval"], float)


def test_build_signature_mapping_and_keywords():
    fam = FAMILIES["reduced_rank_regression"]
    # the family parameter n (outputs) goes in the mapping; the keyword n is the sample size
    prob = fam.build({"m": 3, "n": 2, "h": 2}, n=40, generator=torch.Generator().manual_seed(0))
    assert isinstance(prob, Problem)
    assert prob.data[0].shape == (40, 3) and prob.data[1].shape == (40, 2)
    assert prob.params == {"m": 3, "n": 2, "h": 2, "r": 0, "noise": 1.0}
    prob2 = FAMILIES["regular"].build(n=30, generator=0, d=4)
    assert prob2.data[0].shape == (30, 4)
    assert FAMILIES["regular"].build(generator=0).data[0].shape[0] == FAMILIES["regular"].default_n
    with pytest.raises(ValueError, match="sample size"):
        FAMILIES["regular"].build(n=0, generator=0)
    with pytest.raises(TypeError, match="generator"):
        FAMILIES["regular"].build(n=10, generator="seed")
    # a parameter given twice is refused, not silently taken from the keyword (outside fuzz)
    with pytest.raises(TypeError, match=r"\['m'\] given both"):
        fam.build({"m": 5}, m=6, generator=0)


def test_rank_problem_availability():
    with_rank = {name for name, f in FAMILIES.items() if f.rank_problem is not None}
    assert with_rank == {
        "regular", "reduced_rank_regression", "deep_linear_network", "normal_crossing",
        "polynomial_regression", "low_rank_linear", "quadratic_network", "modular_addition",
        "linear_regression_toy", "quadratic_stage_two",
    } | REGIMES
    for name in with_rank - REGIMES:  # the regimes' rank problems need parameters
        rp = FAMILIES[name].rank_problem()
        assert isinstance(rp, RankProblem) and rp.reason
        assert not rp.inputs.is_floating_point()  # integer inputs for exact rank
