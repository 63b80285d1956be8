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

:func:`tanh_estimand`: the noise-free tanh network :math:`f(x) = \sum_{j\le h} a_j
\tanh(b_jx)` at w* = 0 with x ~ U[−1, 1] (the ``tanh_network`` family, population loss
:math:`K = \tfrac12 E_x f(x)^2` by Gauss–Legendre quadrature in x), by self-normalised
importance sampling from the localisation prior: :math:`G(t) = \sum_i \omega_i tK(w_i) /
\sum_i \omega_i`, :math:`\omega_i = e^{-tK(w_i)}`, :math:`w_i \sim N(0, I/\gamma)`, with its
delta-method standard error and effective sample size. Every t shares the draws. Prior draws
reach the posterior while its mass :math:`\sim t^{-\lambda}` is not tiny (ESS ≈ 5·10⁴ of
2·10⁷ at h = 3, t = 1.4·10⁵). For h = 1 the a-integral is Gaussian and one quadrature in b
gives Z (:func:`tanh_neuron_log_z`), against which the sampling is tested.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["crossing_log_z", "crossing_estimand", "tanh_neuron_log_z", "tanh_estimand",
           "TanhEstimand"]


def _check(t: float, k: int, x2: float, gamma: float) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    _positive(t=t, x2=x2, gamma=gamma)


def _positive(**values: float) -> None:
    for name, v in values.items():
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


QUADRATURE_NODES = 48
"""Gauss–Legendre nodes for :math:`E_x` over x ~ U[−1, 1] (tanh(bx)² is smooth: 48 nodes
integrate it to ~1e-12 for |b| ≤ 10)."""


def _legendre(nodes: int = QUADRATURE_NODES) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(nodes)
    return x, w / 2.0  # weights of E over U[-1, 1]


def tanh_neuron_log_z(t: float, gamma: float) -> float:
    r""":math:`\log Z(t)` of one tanh neuron :math:`a\tanh(bx)`, x ~ U[−1, 1], noise-free:
    :math:`K = \tfrac12 a^2 m(b)`, :math:`m(b) = E_x\tanh^2(bx)`, under the prior
    :math:`e^{-\gamma(a^2+b^2)/2}`; the a-integral is Gaussian,
    :math:`Z = \int \sqrt{2\pi/(t\,m(b) + \gamma)}\,e^{-\gamma b^2/2}\,db`.

    >>> round(tanh_neuron_log_z(1e-12, 1.0), 6) == round(math.log(2 * math.pi), 6)
    True
    """
    from scipy import integrate

    _positive(t=t, gamma=gamma)
    xs, ws = _legendre()

    def f(b: float) -> float:
        m = float(ws @ np.tanh(b * xs) ** 2)
        return math.exp(-0.5 * gamma * b * b) * math.sqrt(2 * math.pi / (t * m + gamma))

    scale = 1.0 / math.sqrt(t)
    cuts = sorted({0.0, min(scale, 1.0), 1.0, 10.0 / math.sqrt(gamma) + 1.0})
    z = sum(integrate.quad(f, a, b, limit=500, epsabs=0, epsrel=1e-11)[0]
            for a, b in zip(cuts[:-1], cuts[1:], strict=True))
    return math.log(2 * z)


@dataclass(frozen=True)
class TanhEstimand:
    """:func:`tanh_estimand`'s result, one entry per t: ``value`` G(t), ``std_error`` (delta
    method), ``ess`` (effective sample size of the weights)."""

    t: tuple[float, ...]
    value: tuple[float, ...]
    std_error: tuple[float, ...]
    ess: tuple[float, ...]
    samples: int


def tanh_estimand(h: int, ts: Sequence[float], gamma: float = 1.0, *,
                  samples: int = 10**6, generator=None, chunk: int = 10**6) -> TanhEstimand:
    r"""The single-temperature estimand G(t) of the noise-free tanh network of width ``h`` at
    w* = 0 (module docstring), by importance sampling from the prior; ``generator``: a
    ``torch.Generator`` (the draws).

    Aoyagi's λ for this model is (h + i² + i)/(4i + 2), i = ⌊√h⌋ (m = 2 when h = i²): 1/2,
    2/3, 5/6 for h = 1, 2, 3. At t = 145 (n = 1000, nβ = n/log n) the estimand is far below:

    >>> import torch
    >>> r = tanh_estimand(3, [145.0], samples=2 * 10**5, generator=torch.Generator().manual_seed(0))
    >>> 0.49 < r.value[0] < 0.53 and r.std_error[0] < 0.005
    True
    """
    import torch

    if isinstance(h, bool) or not isinstance(h, int) or h < 1:
        raise ValueError(f"h must be an integer >= 1, got {h!r}")
    if not (isinstance(samples, int) and samples >= 1000):
        raise ValueError(f"samples must be an integer >= 1000, got {samples!r}")
    for t in ts:
        _positive(t=float(t), gamma=gamma)
    xs, ws = (torch.tensor(v, dtype=torch.float64) for v in _legendre())
    ks = []
    done = 0
    while done < samples:
        m = min(chunk, samples - done)
        w = torch.randn(m, 2 * h, generator=generator, dtype=torch.float64) / math.sqrt(gamma)
        a, b = w[:, :h, None], w[:, h:, None]
        f = (a * torch.tanh(b * xs)).sum(1)
        ks.append(0.5 * (f * f * ws).sum(1))
        done += m
    k = torch.cat(ks)
    vals, errs, ess = [], [], []
    for t in ts:
        tk = float(t) * k
        om = torch.exp(-(tk - tk.min()))
        g = float((om * tk).sum() / om.sum())
        vals.append(g)
        errs.append(float(torch.sqrt(((om * (tk - g)) ** 2).sum()) / om.sum()))
        ess.append(float(om.sum() ** 2 / (om * om).sum()))
    return TanhEstimand(tuple(float(t) for t in ts), tuple(vals), tuple(errs), tuple(ess),
                        samples)
