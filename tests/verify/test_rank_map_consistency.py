"""An audit of plugin rank maps: a plugin's rank map is its statement that it is its model's
function, which the rank route checks (routes._rank_map_disagreement) before the rank at w*
is certified. The families are in rank_map_plugins.py."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from rank_map_plugins import FAMILIES

from slttheory.verify.evidence.routes import _rank_map_disagreement, rank_route


def _claim(family: str, predicted: str) -> str:
    return f'''id = "{family}-{predicted.replace("/", "-")}"
title = "A product of two weights at (1, 0)"
source = "A. Theorist 2026"
family = "{family}"
kind = "closed_form"
predicted = "{predicted}"
evidence = ["rank"]
'''


def test_a_rank_map_of_another_function_certifies_nothing():
    """The map w₁·w₂ with a build computing w₁²·w₂³ at w* = (1, 0) (λ = 1/6): rank 1 at w*,
    equal to the generic rank, had certified λ = 1/2 for the wrong model, refuting the true
    λ = 1/6 (certified) and confirming λ = 1/2 (certified)."""
    from slttheory.verify import check

    ev = rank_route(FAMILIES["wrong_map"], {"noise": 0.1}, {})
    assert ev.status == "ok" and ev.rank == 1 and ev.point_rank == 1
    assert not ev.point_rank_certified and not ev.certified
    assert "the rank map's function differs from the model's at a point near w*" \
        in ev.point_rank_how
    for predicted in ("1/6", "1/2"):
        r = check(_claim("wrong_map", predicted), families=FAMILIES, device="cpu")
        assert (r.verdict.verdict, r.verdict.grade) == ("inconclusive", "none"), predicted
        assert "a rank map that is the model's own function" in r.verdict.reason


def test_a_faithful_plugin_rank_map_keeps_its_certification():
    from slttheory.verify import check

    ev = rank_route(FAMILIES["faithful"], {"noise": 0.1}, {})
    assert ev.status == "ok" and ev.rank == 1 and ev.point_rank == 1
    assert ev.point_rank_certified and ev.certified
    assert "not certified" not in ev.point_rank_how
    assert (check(_claim("faithful", "1/2"), families=FAMILIES, device="cpu").verdict.grade
            == "certified")
    r = check(_claim("faithful", "1/6"), families=FAMILIES, device="cpu")
    assert (r.verdict.verdict, r.verdict.grade) == ("refuted", "certified")


def test_parameters_correspond_by_name_or_by_unique_shape_else_unchecked():
    """An affine map (degree 1, where the built w* is not compared) in parameters of other
    names: unique shapes give the correspondence; two scalars under other names do not."""
    reordered = rank_route(FAMILIES["reordered"], {"noise": 0.1}, {})
    assert reordered.point_rank == 3 and reordered.point_rank_certified
    renamed = rank_route(FAMILIES["renamed"], {"noise": 0.1}, {})
    assert renamed.point_rank == 2 and not renamed.point_rank_certified
    assert ("the rank map is unchecked: no correspondence between the model's parameters "
            "a: [], b: [] and the rank map's w: [2]") in renamed.point_rank_how


def test_two_maps_that_vanish_at_w_star_are_told_apart_near_it():
    """2·w₁w₂ against w₁w₂ at w* = 0: equal there, with their Jacobians (0)."""
    ev = rank_route(FAMILIES["scaled"], {"noise": 0.1}, {})
    assert ev.point_rank == 0 and not ev.point_rank_certified
    assert "differs from the model's at a point near w*" in ev.point_rank_how


def test_a_model_that_cannot_run_on_the_rank_inputs_is_unchecked():
    ev = rank_route(FAMILIES["no_inputs"], {"noise": 0.1}, {})
    assert ev.point_rank == 1 and not ev.point_rank_certified
    assert "the rank map is unchecked: the model could not be evaluated" in ev.point_rank_how


def test_the_report_reads_why():
    from slttheory.verify.report.data import point_rank_text

    ev = rank_route(FAMILIES["wrong_map"], {"noise": 0.1}, {})
    assert point_rank_text(dataclasses.asdict(ev)).startswith(
        "rank = 1, not certified: the rank map's function differs from the model's at")


class _Linear(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([2.0, -1.0], dtype=torch.float64))
        self.c = torch.nn.Parameter(torch.tensor(3.0, dtype=torch.float64))

    def forward(self, x):
        return x @ self.w + self.c


def test_a_centred_map_is_the_models_and_a_wrong_one_is_named():
    """The map a centred loss sees (outputs minus those at the first input) is the model's;
    a map that drops a coordinate is not, and a map of another output count is not."""
    from slttheory.models._common import centred_outputs
    from slttheory.models.registry import RankProblem

    def lin(p, x):
        return x.to(p["w"].dtype) @ p["w"] + p["c"]

    x = torch.tensor([[0, 0], [1, 0], [0, 1], [1, 1]])
    rp = RankProblem(fn=centred_outputs(lin), param_shapes={"w": (2,), "c": ()}, inputs=x,
                     degree=1, gives_lambda=False, reason="")
    assert _rank_map_disagreement(rp, _Linear()) == ""
    wrong = dataclasses.replace(rp, fn=lambda p, x: x[:, 0].to(p["w"].dtype) * p["w"][0]
                                + p["c"])
    assert _rank_map_disagreement(wrong, _Linear()).startswith(
        "the rank map's function differs from the model's at w*")
    fewer = dataclasses.replace(rp, fn=lambda p, x: lin(p, x)[:2])
    assert "2 outputs on the rank map's inputs, the model 4" in \
        _rank_map_disagreement(fewer, _Linear())


@pytest.mark.parametrize("name,params", [("normal_crossing", {}),
                                         ("linear_regression_toy", {})])
def test_the_packages_map_on_a_plugins_build_of_the_same_model_keeps_its_rank(name, params):
    """The package's exact-w* rank maps on a plugin build that returns the package's own
    model: the function check passes, and the rank at w* is certified as for the package."""
    from slttheory.models import FAMILIES as PACKAGE

    fam = PACKAGE[name]

    def build(params=None, /, **kwargs):
        return fam.build(params, **kwargs)

    build.__module__ = "my_plugin"
    plugin = dataclasses.replace(fam, name=f"{name}_plugin", build=build)
    q = fam.validate(params)
    own, theirs = rank_route(fam, q, {}), rank_route(plugin, q, {})
    assert own.point_rank_certified and theirs.point_rank_certified
    assert (theirs.rank, theirs.point_rank) == (own.rank, own.point_rank)


def test_inputs_that_do_not_determine_the_model_certify_nothing():
    """A linear model w·x in two weights, and its rank map on the one input (1, 1) stated to
    determine the model's function: the map is the model's there, and its rank 1 at w* equals
    its generic rank, which had certified λ = 1/2 (and refuted the true λ = 1: the loss sees
    K = |w − w*|², of rank 2)."""
    from slttheory.verify import check

    ev = rank_route(FAMILIES["too_few_inputs"], {"noise": 0.1}, {})
    assert ev.status == "ok" and ev.rank == 1 and ev.point_rank == 1
    assert not ev.inputs_determine
    assert "the rank map's inputs do not determine the function the loss sees" \
        in ev.point_rank_how
    for predicted in ("1/2", "1"):
        r = check(_claim("too_few_inputs", predicted), families=FAMILIES, device="cpu")
        assert r.verdict.grade != "certified", predicted
    # a map on inputs that determine its model keeps its statement
    ev = rank_route(FAMILIES["faithful"], {"noise": 0.1}, {})
    assert ev.inputs_determine and ev.point_rank_certified


def test_a_rank_map_that_sees_more_than_the_loss_is_not_taken_as_determined():
    """The other side: the map w·x on the inputs e₁, e₂ (rank 2) of a linear model whose data
    all lie at x = (1, 1) (K = ½(w₁ + w₂)², λ = 1/2), and a map of both outputs of a model
    whose loss reads the first only (λ = 1/2): each had certified λ = 1. A loss whose view of
    the outputs is not known here leaves the statement unchecked."""
    from rank_map_plugins import LINEAR_MAP, Linear

    from slttheory.losses import centred_gaussian_nll
    from slttheory.models.registry import RankProblem
    from slttheory.verify.evidence.routes import _inputs_undetermined

    rp = RankProblem(**LINEAR_MAP, gives_lambda=False, reason="", inputs_determine=True)
    model = Linear([1.0, 2.0])
    assert _inputs_undetermined(rp, model, (torch.randn(50, 2, dtype=torch.float64),)) == ""
    one_point = (torch.ones(50, 2, dtype=torch.float64),)
    assert "outside what the loss sees" in _inputs_undetermined(rp, model, one_point)

    def first_output_only(outputs, targets):
        return 0.5 * (targets[:, 0] - outputs[:, 0]) ** 2

    data = (torch.randn(50, 2, dtype=torch.float64),)
    assert "is none whose view of the outputs is known" in _inputs_undetermined(
        rp, model, data, first_output_only)
    # the centred loss does not see the constant: an affine map's bias is outside its view
    affine = RankProblem(fn=lambda p, x: x.to(p["w"].dtype) @ p["w"] + p["b"],
                         param_shapes={"w": (2,), "b": ()}, degree=1,
                         inputs=torch.tensor([[0, 0], [1, 0], [0, 1]]), gives_lambda=False,
                         reason="", inputs_determine=True)

    class WithBias(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.tensor([1.0, 2.0], dtype=torch.float64))
            self.b = torch.nn.Parameter(torch.tensor(0.5, dtype=torch.float64))

        def forward(self, x):
            return x @ self.w + self.b

    assert _inputs_undetermined(affine, WithBias(), data, "gaussian") == ""
    assert "outside what the loss sees" in _inputs_undetermined(affine, WithBias(), data,
                                                                centred_gaussian_nll)
