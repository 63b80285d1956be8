"""Plugin families whose rank map is, or is not, the function of the model their build
returns (tests/verify/test_rank_map_consistency.py): a plugin's statement that its rank map
is its model's is checked before the rank at w* is certified.

Each family's model is a product of two weights times its input at the exact true point
w* = (1, 0) (``true_params`` equal to the built w*, so the built-w* check passes):

- ``faithful``: f(x) = w₁ w₂ x, and the rank map is w₁ w₂: the rank at w* is 1 (J = (0, 1)),
  equal to the generic rank, so λ = 1/2 is certified (a smooth fibre).
- ``wrong_map``: the model computes w₁² w₂³ x, whose K ≍ w₂⁶ near w* (λ = 1/6), while the rank
  map still says w₁ w₂: a rank about another model, which had certified λ = 1/2.
- ``renamed``: an affine model a·x₁ + b·x₂ in two scalars ``a`` and ``b``, and its map
  (degree 1) in one ``w`` of shape (2,): no correspondence of the parameters can be
  established (two of one shape under other names), so the rank is unchecked.
- ``reordered``: an affine model x·weight + bias, and its map in ``v`` (shape (2,)) and
  ``c`` (a scalar), given in the other order: the shapes establish the correspondence, and
  the map is the model's.
- ``scaled``: f(x) = 2 w₁ w₂ x with the map w₁ w₂: the two differ nowhere at w* = 0 (both
  vanish with their Jacobians), only at the nearby points.
- ``no_inputs``: the faithful map, and a model that cannot be evaluated on the map's inputs.
- ``too_few_inputs``: a linear model w·x in w of shape (2,), x ∈ ℝ², and its map on the one
  input (1, 1), w₁ + w₂, stated to determine the model's function (``inputs_determine``): the
  map is the model's on its inputs, but its rank 1 is not the rank 2 the loss sees (λ = 1).
"""

from __future__ import annotations

import torch

from slttheory.models.registry import Family, ParamSpec, Problem, RankProblem

W_STAR = (1, 0)


class Product(torch.nn.Module):
    """(w₁^p w₂^q)·x·scale with w = (w₁, w₂) one parameter of shape (2,)."""

    def __init__(self, w, p=1, q=1, scale=1.0):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(w, dtype=torch.float64))
        self.p, self.q, self.scale = p, q, scale

    def forward(self, x):
        return self.scale * self.w[0] ** self.p * self.w[1] ** self.q * x


class TwoScalars(torch.nn.Module):
    """a·x₁ + b·x₂ with two scalar parameters."""

    def __init__(self, w):
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor(float(w[0]), dtype=torch.float64))
        self.b = torch.nn.Parameter(torch.tensor(float(w[1]), dtype=torch.float64))

    def forward(self, x):
        return self.a * x[:, 0] + self.b * x[:, 1]


class Affine(torch.nn.Module):
    """x·weight + bias."""

    def __init__(self, w):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.tensor(w, dtype=torch.float64))
        self.bias = torch.nn.Parameter(torch.tensor(0.5, dtype=torch.float64))

    def forward(self, x):
        return x @ self.weight + self.bias


class NeedsThreeInputs(Product):
    """The faithful product, on inputs of 3 columns only (the rank map's have 1)."""

    def forward(self, x):
        return self.w[0] * self.w[1] * (x @ torch.ones(3, 1, dtype=x.dtype))


class Linear(torch.nn.Module):
    """x·w with w of shape (2,)."""

    def __init__(self, w):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(w, dtype=torch.float64))

    def forward(self, x):
        return x @ self.w


def _product_map(p, x):  # w₁·w₂ on integer inputs: degree 2
    return p["w"][0] * p["w"][1] * x.to(p["w"].dtype)


PRODUCT_MAP = {"fn": _product_map, "param_shapes": {"w": (2,)}, "degree": 2,
               "inputs": torch.ones(1, 1, dtype=torch.int64)}
LINEAR_MAP = {"fn": lambda p, x: x.to(p["w"].dtype) @ p["w"], "param_shapes": {"w": (2,)},
              "degree": 1, "inputs": torch.eye(2, dtype=torch.int64)}
ONE_INPUT_MAP = {**LINEAR_MAP, "inputs": torch.ones(1, 2, dtype=torch.int64)}
AFFINE_MAP = {"fn": lambda p, x: x.to(p["v"].dtype) @ p["v"] + p["c"],
              "param_shapes": {"c": (), "v": (2,)}, "degree": 1,
              "inputs": torch.tensor([[0, 0], [1, 0], [0, 1]])}


def _family(name, model_of, w_star=W_STAR, rank_map=None):
    rank_map = PRODUCT_MAP if rank_map is None else rank_map
    true_params = {"w": torch.tensor(list(w_star))} if "w" in rank_map["param_shapes"] else \
        {"v": torch.tensor(list(w_star)), "c": torch.tensor(0)}

    def build(params=None, /, *, n=None, generator, device="cpu", dtype=torch.float32,
              refine_steps=None, refine_lr=1e-3, **more):
        g = generator if isinstance(generator, torch.Generator) else \
            torch.Generator().manual_seed(int(generator))
        n = 200 if n is None else n
        model = model_of(list(w_star))
        x = torch.randn(n, rank_map["inputs"].shape[1], generator=g, dtype=torch.float64)
        y = 0.1 * torch.randn(n, 1, generator=g, dtype=torch.float64)
        if not isinstance(model, NeedsThreeInputs):
            with torch.no_grad():
                y = y + model(x).reshape(n, 1)
        return Problem(model.to(device, dtype), (x.to(device, dtype), y.to(device, dtype)),
                       "gaussian", {"noise": 0.1})

    def rank_problem(params=None, /, **more):
        return RankProblem(**rank_map, gives_lambda=False, reason="the plugin's statement",
                           true_point="exact", true_params=true_params, inputs_determine=True)

    return Family(name=name, description=f"{name}: a product of two weights",
                  parameters=(ParamSpec("noise", float, 0.0, None, 0.1, "noise"),),
                  build=build, rank_problem=rank_problem, source="A. Theorist 2026")


FAMILIES = {
    "faithful": _family("faithful", lambda w: Product(w)),
    "wrong_map": _family("wrong_map", lambda w: Product(w, p=2, q=3)),
    "renamed": _family("renamed", TwoScalars, rank_map=LINEAR_MAP),
    "reordered": _family("reordered", Affine, rank_map=AFFINE_MAP),
    "scaled": _family("scaled", lambda w: Product(w, scale=2.0), w_star=(0, 0)),
    "no_inputs": _family("no_inputs", NeedsThreeInputs),
    "too_few_inputs": _family("too_few_inputs", Linear, rank_map=ONE_INPUT_MAP),
}
