"""Jacobian ranks of parameter-to-function maps: numerical (SVD) and certified exact (flint).

- :func:`jacobian`: the float64 Jacobian of θ ↦ (f(θ, x_s))_s over fixed inputs, via
  ``torch.func``; rows sample-major (row ``s·k + o``), columns the flattened parameters.
- :func:`jacobian_rank`: its rank at one point, ``method="svd"`` (numerical, with
  singular values and the gap at the cut) or ``method="exact"`` (python-flint, for integer
  polynomial maps at integer points: a certified lower bound on the generic rank; every
  float64 operation is audited exact by
  :class:`~slttheory.geometry.exact_arithmetic.IntegerExactnessAudit`).
- :func:`generic_rank`: the maximum exact rank over random integer points, with the
  Schwartz–Zippel bound on the chance that the generic rank is higher.
- :func:`exact_rank`: exact rank over ℚ of an integer matrix.
- :func:`true_point_rank`: a certified lower bound on rank J(w*) at a family's true point
  (from its stratum: generic, generic on a support, exact integers), so λ(w*) ≥ rank/2.
- :func:`critical_point_check`: gradient and extreme Hessian eigenvalues of L_n at a point
  (dense, or Lanczos on Hessian-vector products): is w* a local minimum, where λ is defined?

When is λ = rank/2?
-------------------
Let f(θ) = (f(θ, x_s))_s, J(θ) its Jacobian, θ₀ a true parameter, and the loss the squared
error with a design whose outputs determine the model (so K(θ) ≍ ‖f(θ) − f(θ₀)‖²).

**It holds** when θ₀ is a *minimally singular* point: J has constant rank r on a
neighbourhood of θ₀, i.e. rank J(θ₀) equals the generic rank. By the constant-rank theorem,
f is then a submersion onto an r-dimensional smooth image near f(θ₀), and seed 001's
reparametrisation theorem (arXiv 2603.01192, Thm F.1 and Cor. F.2: a submersion onto a space
where the model is regular leaves λ unchanged) gives λ = r/2 with multiplicity 1. Instances:
regular models (r = d); the rank-r m×n matrices, λ = r(m+n−r)/2; reduced-rank regression with
h = r at a true point where A, B have rank r (rank J = h(m+n−h) = 2λ, checked below). Seed
001 argues this way for its quadratic networks under its non-degeneracy assumptions (Thm 4.1,
4.2); whether those statements hold is :mod:`slttheory.verify`'s question.

**It fails** at points where the rank drops. In general [derived here] λ ≥ rank J(θ₀)/2,
because {K < ε} lies in a tube {‖J(θ₀)(θ−θ₀)‖ ≲ √ε} of volume O(ε^{rank/2}) around the fibre;
and λ ≤ codim K⁻¹(0)/2 (Pepin Lehalleur–Rimányi, Prop. 8.4(i)), the codimension of the *real*
zero set near θ₀. Over ℝ that codimension can exceed the generic rank, so generic rank/2 is
**not** an upper bound in general: f(x, y, z) = x² + y² + z² has generic rank 1, but its
fibre through 0 is a point, K = f² = r⁴ and λ = 3/4 > 1/2. Both bounds can be strict:

- Reduced-rank regression y = B A x at true rank 0, m = n = 5, h = 3: the generic rank is
  h(m+n−h) = 21 (computed below), the rank at the true point A = B = 0 is 0, and
  Aoyagi–Watanabe (2005, case 1, odd) give λ = [2·3·10 − 0 − 9 + 1]/8 = 13/2, multiplicity 2:
  0 < 13/2 < 21/2. At true rank 1 (A, B rank 1) the point rank is 9 = 1·(5+5−1) while λ = 8.
- The normal crossing f(w) = w₁w₂ (K = w₁²w₂²): rank 0 at the origin, generic rank 1, and
  λ = 1/2 with multiplicity 2; here λ equals generic rank/2 but the multiplicity 2 shows the
  point is not minimally singular (a submersion would give multiplicity 1).

In these two examples generic rank/2 happens to bound λ from above; it is λ (with m = 1) when
the rank at θ₀ itself (``jacobian_rank`` at the true point) equals the generic rank.

**The two bounds, and what is certified.**

- *Upper*: λ(θ₀) ≤ codim_θ₀ K⁻¹(0)/2 (Pepin Lehalleur & Rimányi 2024, "Geometry of fibers of
  the multiplication map of deep linear neural networks", Prop. 8.4(i)), the codimension of the
  real zero set near θ₀. A smooth submanifold of dimension s through θ₀ on which K vanishes
  (e.g. a symmetry orbit) gives λ ≤ (d − s)/2. The generic rank bounds this codimension only
  where the real fibre has its expected dimension d − generic rank (over ℂ every fibre does;
  over ℝ not: x² + y² + z² above), which holds at minimally singular points (where λ =
  rank/2). So the verifier uses "λ = generic rank/2" only where the family states that θ₀ is
  minimally singular, never "λ ≤ generic rank/2" by itself. Caveat (Schwartz–Zippel):
  :func:`generic_rank` returns the maximum exact rank over random integer points, a certified
  *lower* bound on the generic rank, equal to it except with the probability
  ``schwartz_zippel_bound``.
- *Lower*: λ(θ₀) ≥ rank J(θ₀)/2 (splitting lemma). :func:`true_point_rank` certifies a lower
  bound on rank J(θ₀) from the true point's stratum (``RankProblem.true_point``): exact
  integers give rank J(θ₀) itself; a continuous random θ₀ (``"generic"``) or one generic on
  a coordinate subspace and zero elsewhere (``"support"``) attains that stratum's generic
  rank almost surely (the rank-drop locus is a proper algebraic subset), which an integer
  point's exact rank bounds from below; rank J is lower semicontinuous, so nearby points
  keep at least that rank. Trained points get no certified statement.

>>> import torch
>>> rrr = lambda p, x: x @ p["A"].T @ p["B"].T                 # y = B A x, inputs e_1..e_5
>>> x = torch.eye(5, dtype=torch.int64)
>>> generic_rank(rrr, {"A": (3, 5), "B": (5, 3)}, x, degree=2).rank      # h(m+n-h)
21
>>> zero = {"A": torch.zeros(3, 5), "B": torch.zeros(5, 3)}
>>> jacobian_rank(rrr, zero, x, method="exact").rank                    # at true rank 0
0
>>> A = torch.eye(3, 5, dtype=torch.int64)                              # true rank r = h = 3
>>> jacobian_rank(rrr, {"A": A, "B": A.T.clone()}, x, method="exact").rank   # = 2 λ
21
>>> nc = lambda w, x: (w[0] * w[1]).expand(x.shape[0])                  # normal crossing w1 w2
>>> jacobian_rank(nc, torch.zeros(2), torch.zeros(1, 1), method="exact").rank
0
"""

from slttheory.geometry.critical import CriticalPointCheck, critical_point_check
from slttheory.geometry.jacobian import flatten_params, jacobian
from slttheory.geometry.rank import (
    EXACT_LIMIT,
    METHODS,
    PRIME,
    GenericRankResult,
    RankResult,
    check_jacobian_by_values,
    exact_rank,
    generic_rank,
    jacobian_rank,
    schwartz_zippel_bound,
)
from slttheory.geometry.truepoint import TRUE_POINTS, TruePointRank, true_point_rank

__all__ = [
    "CriticalPointCheck",
    "TRUE_POINTS",
    "TruePointRank",
    "critical_point_check",
    "true_point_rank",
    "EXACT_LIMIT",
    "METHODS",
    "PRIME",
    "GenericRankResult",
    "RankResult",
    "check_jacobian_by_values",
    "exact_rank",
    "flatten_params",
    "generic_rank",
    "jacobian",
    "jacobian_rank",
    "schwartz_zippel_bound",
]
