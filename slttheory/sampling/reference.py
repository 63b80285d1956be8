r"""Exact single-temperature estimands for reference models: what a sampler should read.

An LLC estimator at inverse temperature t estimates
:math:`G(t) = t\,E_t[\Delta L] = -d\log Z/d\log t` with
:math:`Z(t) = \int e^{-t\Delta L(w)}\varphi(w)\,dw` (φ the localisation prior
:math:`e^{-\gamma|w|^2/2}`), not λ (docs/estimator.md §1). Where Z is a low-dimensional
integral, G is known to quadrature accuracy, and a sampler can be tested against its own
target at the same t, separately from the finite-t bias of the estimand itself.

:func:`crossing_estimand`: the noise-free two-parameter normal crossing
:math:`f(x) = u^{k}v\,x` under the Gaussian loss, :math:`\Delta L = K_n =
\tfrac12\overline{x^2}\,u^{2k}v^2` exactly. The v-integral is Gaussian,

.. math::

    Z(t) = 2\int_0^\infty \sqrt{\frac{2\pi}{t\overline{x^2}u^{2k} + \gamma}}\,
    e^{-\gamma u^2/2}\,du,

and one quadrature in u, with a breakpoint at the crossing's scale :math:`t^{-1/(2k)}`, gives
log Z to about 1e-11 relative; G follows by a central difference in log t. λ is 1/2 with
multiplicity 2 for k = 1, and 1/(2k) with multiplicity 1 for k ≥ 2 (Watanabe 2009,
*Algebraic Geometry and Statistical Learning Theory*, Ch. 2 Example; normal crossings).
"""

from __future__ import annotations

import math

__all__ = ["crossing_log_z", "crossing_estimand"]


def _check(t: float, k: int, x2: float, gamma: float) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    for name, v in (("t", t), ("x2", x2), ("gamma", gamma)):
        if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {v!r}")


def crossing_log_z(t: float, k: int, x2: float, gamma: float) -> float:
    r""":math:`\log Z(t)` for :math:`K = \tfrac12 x_2 u^{2k}v^2` under the localisation
    :math:`e^{-\gamma(u^2+v^2)/2}` (v integrated in closed form, u by quadrature).

    As t → 0 the integrand is the prior alone, Z = 2π/γ:

    >>> round(crossing_log_z(1e-12, 1, 1.0, 1.0), 6) == round(math.log(2 * math.pi), 6)
    True
    """
    from scipy import integrate

    _check(t, k, x2, gamma)

    def f(u: float) -> float:
        return math.exp(-0.5 * gamma * u * u) * math.sqrt(
            2 * math.pi / (t * x2 * u ** (2 * k) + gamma))

    scale = t ** (-1.0 / (2 * k))
    cuts = sorted({0.0, min(scale, 1.0), 1.0, 10.0 / math.sqrt(gamma) + 1.0})
    z = sum(integrate.quad(f, a, b, limit=500, epsabs=0, epsrel=1e-11)[0]
            for a, b in zip(cuts[:-1], cuts[1:], strict=True))
    return math.log(2 * z)


def crossing_estimand(t: float, k: int, x2: float, gamma: float, h: float = 1e-3) -> float:
    r"""The exact single-temperature estimand :math:`G(t) = -d\log Z/d\log t` of the
    noise-free normal crossing :math:`u^k v\,x` (:func:`crossing_log_z`; central difference
    of step ``h`` in log t, error O(h²) ≈ 1e-6).

    At t = 1000 and λ = 1/2 with m = 2 (k = 1), the estimand is 24 % below λ: the
    law :math:`\lambda - (m-1)/\log t` gives 0.355, the next-order terms the rest:

    >>> round(crossing_estimand(1e3, 1, 1.0, 1.0), 3)
    0.381
    >>> round(crossing_estimand(1e3, 2, 1.0, 1.0), 3)   # λ = 1/4, m = 1
    0.22
    """
    if not (isinstance(h, int | float) and 0 < h < 1):
        raise ValueError(f"h must be a number in (0, 1), got {h!r}")
    return -(crossing_log_z(t * math.exp(h), k, x2, gamma)
             - crossing_log_z(t * math.exp(-h), k, x2, gamma)) / (2 * h)
