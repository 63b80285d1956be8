"""The public API is a contract: pin the names, and keep the symbolic layer torch-free."""

import subprocess
import sys

import slttheory

FORMULAS = {
    "regular", "low_rank_manifold", "reduced_rank_regression", "deep_linear_network",
    "normal_crossing", "newton_polyhedron", "tanh_network", "polynomial_regression",
    "quadratic_network", "modular_addition", "quadratic_stage_two", "modular_addition_stage_two",
    "ntk", "lazy_regime", "lazy_regime_bounds", "free_energy", "bayes_generalization_error",
}


def test_formula_names_exported_from_top_level():
    missing = FORMULAS - set(slttheory.__all__)
    assert not missing
    for name in FORMULAS:
        fn = getattr(slttheory, name)
        assert callable(fn)
        assert fn.__doc__ and len(fn.__doc__) > 40, f"{name} needs a docstring with its source"


def test_result_types_exported():
    assert {"LearningCoefficient", "LearningCoefficientBounds"} <= set(slttheory.__all__)


def test_importing_slttheory_does_not_import_torch():
    code = "import sys, slttheory; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
