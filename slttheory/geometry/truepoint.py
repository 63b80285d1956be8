"""Rank of the Jacobian at the true point itself: a certified lower bound on λ(w*).

Why a lower bound. Let f(θ) be the map the loss sees (outputs on inputs that determine the
model), J its Jacobian and K(θ) ≍ ‖f(θ) − f(w*)‖² near w*. By the splitting lemma on the
rank-r = rank J(w*) part, K(θ) ≥ c‖J(w*)(θ − w*)‖² − (higher order), so the sublevel set
{K < ε} lies in a tube of width O(√ε) in r directions and λ(w*) ≥ rank J(w*)/2 (see the
package docstring "When is λ = rank/2?"). So what we need is a certified *lower bound on
rank J(w*)*, at the true point and not at a generic one: at special points (reduced-rank
regression with unused units at zero, the normal crossing at 0) the rank drops.

How it is certified, by the true point's stratum (``RankProblem.true_point``):

- ``"exact"``: w* is given as integers (``true_params``); the exact rank over ℚ of the integer
  Jacobian there *is* rank J(w*) (``exact=True``).
- ``degree <= 1`` (any stratum): the map is affine in θ, J is the same at every point, and
  the exact rank at any integer point is rank J(w*) (``exact=True``).
- ``"generic"``: w* is drawn from a continuous distribution on the whole parameter space. The
  set where rank J < generic rank is a proper algebraic subset (the common zeros of the
  generic-rank minors), of Lebesgue measure zero, so rank J(w*) = generic rank almost
  surely; an integer point's exact rank r is a certified lower bound on the generic rank
  (a nonzero minor at a point is a nonzero polynomial). Hence rank J(w*) ≥ r almost surely.
- ``"support"``: the same on the coordinate subspace where ``true_support`` holds (w* generic
  there, exactly zero elsewhere): rank J(w*) = the generic rank of J restricted to points of
  that subspace, almost surely, which the integer points of the subspace bound from below.
  With no free entry the stratum is the integer point 0, and its rank is exact there.
- ``"trained"``: w* comes from training: no certified statement (``certified=False``); with
  ``at=`` the numerical (SVD) rank at that point is reported, not certified.

Rank J is lower semicontinuous (a nonzero minor stays nonzero nearby), so the bound also holds
at points near w* (e.g. the empirical minimiser a family's ``build`` moves to), but not at
points of lower rank.

>>> import torch
>>> from types import SimpleNamespace
>>> rrr = lambda p, x: x @ p["A"].T @ p["B"].T          # y = B A x, m = n = 5, h = 3
>>> A = torch.zeros(3, 5, dtype=torch.bool); A[:1] = True  # true rank 1: unit 0 only
>>> B = torch.zeros(5, 3, dtype=torch.bool); B[:, :1] = True
>>> rp = SimpleNamespace(fn=rrr, param_shapes={"A": (3, 5), "B": (5, 3)},
...     inputs=torch.eye(5, dtype=torch.int64), degree=2, true_point="support",
...     true_support={"A": A, "B": B}, true_params=None)
>>> res = true_point_rank(rp)
>>> res.rank, res.certified, res.lambda_lower_bound       # 1·(5+5−1) = 9 ≤ 2λ = 16
(9, True, Fraction(9, 2))
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import torch

from slttheory._torch_args import check_seed
from slttheory.geometry.rank import (
    UNCHECKED,
    _check_trials,
    check_jacobian_by_values,
    generic_rank,
    jacobian_rank,
)

__all__ = ["TruePointRank", "true_point_rank", "TRUE_POINTS"]

TRUE_POINTS = ("generic", "support", "exact", "trained")
_REQUIRED = ("fn", "param_shapes", "inputs", "degree")


@dataclass(frozen=True)
class TruePointRank:
    """The Jacobian rank at a family's true point w*.

    ``rank``: a lower bound on rank J(w*) when ``certified`` (equal to it when ``exact``);
    for ``certified=False`` the numerical SVD rank at the given point, or ``None`` when no
    point was given. ``n_params``/``n_rows``: the Jacobian's shape. ``true_point``: the
    stratum it was computed for. ``how``: the argument, in words, with the numbers.
    ``schwartz_zippel_bound``: for ``"generic"``/``"support"``, the bound on the chance that
    the stratum's generic rank exceeds ``rank`` (see :class:`GenericRankResult`); else
    ``None``. :attr:`lambda_lower_bound` = rank/2, a lower bound on λ(w*) when certified.
    """

    rank: int | None
    n_params: int
    n_rows: int
    certified: bool
    exact: bool
    true_point: str
    how: str
    schwartz_zippel_bound: float | None = None

    @property
    def lambda_lower_bound(self) -> Fraction | None:
        """rank/2 as an exact fraction when ``certified`` (λ(w*) ≥ it), else ``None``."""
        if not self.certified or self.rank is None:
            return None
        return Fraction(self.rank, 2)


AFFINE_HOW = "the map is affine in the parameters"
"""How a rank at w* of an affine map begins (``TruePointRank.how``): its Jacobian, and so its
rank, is the same at every point, and the Schwartz–Zippel bound is 0 for that reason, not
because the rank is maximal (:func:`slttheory.verify.judge.facts.sz_text`)."""


def _integer_zero_point(shapes: Mapping[str, tuple[int, ...]]) -> dict[str, torch.Tensor]:
    return {k: torch.zeros(s, dtype=torch.int64) for k, s in shapes.items()}


def true_point_rank(
    rank_problem: Any,
    *,
    trials: int = 3,
    seed: int = 0,
    at: Mapping[str, torch.Tensor] | None = None,
) -> TruePointRank:
    """Certified lower bound on rank J(w*) at a rank problem's true point (so λ(w*) ≥ rank/2).

    ``rank_problem`` is a :class:`~slttheory.models.RankProblem` (any object with ``fn``,
    ``param_shapes``, ``inputs``, ``degree``, ``true_point``, ``true_params``,
    ``true_support``). ``trials``/``seed`` are passed to :func:`generic_rank` for the
    ``"generic"`` and ``"support"`` strata. ``at`` (a dict of tensors, e.g. a trained
    model's parameters) is used only for ``"trained"``: the numerical SVD rank there, not
    certified. The argument for each stratum is in this module's docstring and in ``how``.
    ``at`` must have exactly the keys of ``param_shapes``, each a tensor of that shape
    (or flat, with as many entries).

    Anything else for ``rank_problem`` is a ``TypeError``; ``degree`` must be an integer
    >= 0, ``true_params`` (for ``"exact"``) and ``true_support`` (for ``"support"``) present.

    >>> import torch
    >>> from types import SimpleNamespace
    >>> nc = SimpleNamespace(fn=lambda p, x: (p["w"][0] * p["w"][1]).expand(x.shape[0]),
    ...     param_shapes={"w": (2,)}, inputs=torch.zeros(1, 1), degree=2, true_point="exact",
    ...     true_params={"w": torch.tensor([0, 0])}, true_support=None)
    >>> r = true_point_rank(nc)                  # normal crossing w1·w2 at 0: rank 0
    >>> r.rank, r.exact, r.lambda_lower_bound
    (0, True, Fraction(0, 1))
    """
    missing = [a for a in _REQUIRED if not hasattr(rank_problem, a)]
    if missing:
        raise TypeError(
            "rank_problem must be a slttheory.models.RankProblem (or an object with fn, "
            "param_shapes, inputs, degree, true_point, true_params, true_support), got "
            f"{type(rank_problem).__name__} (no {', '.join(missing)})"
        )
    _check_trials(trials)
    seed = check_seed(seed)
    kind = getattr(rank_problem, "true_point", "trained")
    if kind not in TRUE_POINTS:
        raise ValueError(f"rank_problem.true_point must be one of {list(TRUE_POINTS)}, "
                         f"got {kind!r}")
    if not isinstance(rank_problem.param_shapes, Mapping):
        raise TypeError("rank_problem.param_shapes must be a dict name -> shape, got "
                        f"{type(rank_problem.param_shapes).__name__}")
    fn, shapes, inputs = rank_problem.fn, dict(rank_problem.param_shapes), rank_problem.inputs
    degree = rank_problem.degree
    if isinstance(degree, bool) or not isinstance(degree, int) or degree < 0:
        raise ValueError(f"rank_problem.degree must be an integer >= 0, got {degree!r}")
    for attr, stratum in (("true_params", "exact"), ("true_support", "support")):
        if kind == stratum and not isinstance(getattr(rank_problem, attr, None), Mapping):
            raise ValueError(f"rank_problem.{attr} must be a dict when true_point is "
                             f"{stratum!r}, got {getattr(rank_problem, attr, None)!r}")
    if kind == "exact" and degree > 1:
        _check_true_params(rank_problem.true_params, shapes)
    if at is not None:
        if not isinstance(at, Mapping):
            raise TypeError(f"at must be a dict name -> tensor, got {type(at).__name__}")
        if set(at) != set(shapes):
            raise ValueError(f"at must have the keys of param_shapes {sorted(shapes)}, got "
                             f"{sorted(at)}")
        for k, v in at.items():
            if not isinstance(v, torch.Tensor):
                raise TypeError(f"at[{k!r}] must be a torch.Tensor, got {type(v).__name__}")
            want = tuple(shapes[k])
            if tuple(v.shape) not in (want, (math.prod(want),)):
                raise ValueError(f"at[{k!r}] has shape {tuple(v.shape)}, but param_shapes[{k!r}]"
                                 f" = {want} (or flat, ({math.prod(want)},))")

    if kind == "trained" and degree > 1:
        if at is None:
            n_params = sum(int(torch.Size(s).numel()) for s in shapes.values())
            return TruePointRank(
                rank=None, n_params=n_params, n_rows=0, certified=False, exact=False,
                true_point=kind,
                how="w* is a trained point: no certified statement about rank J(w*) "
                "(pass at= for the numerical rank there)",
            )
        point = {k: v.detach().to(torch.float64).reshape(shapes[k]) for k, v in at.items()}
        res = jacobian_rank(fn, point, inputs, method="svd")
        return TruePointRank(
            rank=res.rank, n_params=res.n_params, n_rows=res.n_rows, certified=False,
            exact=False, true_point=kind,
            how=f"w* is a trained point: numerical (SVD) rank {res.rank} at the given point, "
            f"gap σ_r/σ_(r+1) = {res.gap_ratio:.3g}; not certified",
        )

    if degree <= 1:  # checked affine: J is then the same everywhere, and w* need not be integer
        res = jacobian_rank(fn, _integer_zero_point(shapes), inputs, method="exact")
        checked = check_jacobian_by_values(fn, shapes, inputs, degree, seed)
        return TruePointRank(
            rank=res.rank, n_params=res.n_params, n_rows=res.n_rows, certified=checked,
            exact=checked, true_point=kind,
            how=f"{AFFINE_HOW} (degree {degree}): its Jacobian is the "
            f"same at every point, so rank J(w*) = {res.rank} exactly (exact rank over Q "
            f"at an integer point){_unchecked(checked)}",
        )

    if kind == "exact":
        true = {k: torch.as_tensor(v) for k, v in rank_problem.true_params.items()}
        res = jacobian_rank(fn, true, inputs, method="exact")
        # as for the other strata: a map that hides a parameter from autograd reads a lower
        # rank at w* too, and "certified" would then be wrong
        checked = check_jacobian_by_values(fn, shapes, inputs, degree, seed)
        return TruePointRank(
            rank=res.rank, n_params=res.n_params, n_rows=res.n_rows, certified=checked,
            exact=checked, true_point=kind,
            how=f"w* is given as integers: rank J(w*) = {res.rank} exactly (exact rank over Q "
            f"of the integer Jacobian at w*){_unchecked(checked)}",
        )

    support = rank_problem.true_support if kind == "support" else None
    g = generic_rank(fn, shapes, inputs, trials=trials, seed=seed, degree=degree,
                     support=support)
    argument = getattr(rank_problem, "true_point_argument", "")
    # a rank at a point bounds the generic rank from below with certainty; the chance that
    # the generic rank is higher (g.statement's Schwartz-Zippel bound) could only raise this
    # lower bound, so it is not part of the argument
    where = " on the support stratum" if kind == "support" else ""
    lower = (f"the generic rank{where} is at least {g.rank} (exact rank at an integer point)"
             if g.rank < g.max_possible else
             f"the generic rank{where} is {g.rank}, the largest possible (exact rank at an "
             "integer point)")
    if kind == "generic":
        why = argument or ("w* is a continuous random draw on the whole parameter space, so "
                           "rank J(w*) equals the generic rank almost surely")
        how = f"{why}; {lower}; hence rank J(w*) >= {g.rank}"
    else:
        free = sum(int(torch.as_tensor(m).sum()) for m in support.values())
        # a parameter the support does not name is drawn freely (generic_rank's masks)
        unmasked = sum(math.prod(tuple(s)) for k, s in shapes.items() if k not in support)
        why = argument or ("w* is generic on the support, so rank J(w*) equals the generic "
                           "rank on that stratum almost surely")
        how = (f"support: {free} free entries, the rest exactly zero; {why}; {lower}; "
               f"hence rank J(w*) >= {g.rank}")
    # exact where nothing higher is possible, or where the stratum is the single integer
    # point 0 (a support with no free entry: every point generic_rank ranks is w* itself)
    single = kind == "support" and free + unmasked == 0
    if single:
        how += (f"; with no free entry the stratum is the integer point w* = 0, so rank J(w*) "
                f"= {g.rank} exactly (exact rank over Q of the integer Jacobian at w*)")
    return TruePointRank(
        rank=g.rank, n_params=g.n_params, n_rows=g.n_rows, certified=g.certified,
        exact=g.certified and (g.rank == g.max_possible or single), true_point=kind,
        how=how + _unchecked(g.certified),
        schwartz_zippel_bound=g.schwartz_zippel_bound,
    )


def _unchecked(checked: bool) -> str:
    """What a rank lacks where :func:`~slttheory.geometry.rank.check_jacobian_by_values`
    could not run (:data:`~slttheory.geometry.rank.UNCHECKED`)."""
    return "" if checked else f"; {UNCHECKED}"


def _check_true_params(true_params: Mapping[str, Any], shapes: Mapping[str, tuple]) -> None:
    """``ValueError`` unless ``true_params`` has the keys of ``param_shapes``, each of that
    shape: the exact rank is taken at w* as given, and a point with more coordinates (an extra
    or longer tensor the map broadcasts) had rank 3 certified for a map of 2 parameters, so
    λ ≥ 3/2 where λ ≤ 1 (an audit of certified ranks)."""
    if set(true_params) != set(shapes):
        raise ValueError(f"rank_problem.true_params must have the keys of param_shapes "
                         f"{sorted(shapes)}, got {sorted(true_params)}")
    for k, v in true_params.items():
        got = tuple(torch.as_tensor(v).shape)
        if got != tuple(shapes[k]):
            raise ValueError(f"rank_problem.true_params[{k!r}] has shape {got}, but "
                             f"param_shapes[{k!r}] = {tuple(shapes[k])}")
