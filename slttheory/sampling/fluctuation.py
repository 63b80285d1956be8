r"""Data-fluctuation standard error of an LLC estimate from one data set (infinitesimal
jackknife).

An LLC estimate :math:`\hat\lambda(t) = t\,E_t[\Delta L_n]` depends on the data through the
tempered posterior and the reference loss. Give sample i the weight :math:`\omega_i`
(:math:`\Delta L^\omega = \frac1n\sum_i\omega_i\,\delta\ell_i(w)`, :math:`\delta\ell_i(w) =
\ell_i(w) - \ell_i(w^*)`); differentiating the posterior mean at :math:`\omega = 1`,

.. math::

    g_i = \frac{\partial\hat\lambda(t)}{\partial\omega_i}
        = \frac tn\Bigl(E_t[\delta\ell_i] - t\,\mathrm{Cov}_t(\Delta L_n, \delta\ell_i)\Bigr).

Resampling the data (the nonparametric bootstrap, :math:`\omega \sim` Multinomial) then
changes :math:`\hat\lambda` by :math:`\sum_i g_i(\omega_i - 1)`, whose variance is
:math:`\sum_i (g_i - \bar g)^2`: the infinitesimal jackknife (Jaeckel 1972; Efron 1982, *The
Jackknife, the Bootstrap and Other Resampling Plans*, §6; for posterior expectations
Giordano, Broderick & Jordan 2018, JMLR 19(51), "Covariances, robustness, and variational
Bayes", and Giordano & Broderick 2023, arXiv:2305.06466). The reference point :math:`w^*`
moves with the data only to second order at a minimiser (envelope theorem), so it is held
fixed. For an extrapolated estimate :math:`\sum_j c_j\hat\lambda(t_j)` the influences add
with the fit's weights :math:`c_j`.

The expectations are estimated from thinned posterior draws. Monte-Carlo noise in
:math:`\hat g_i` would inflate :math:`\sum_i(\hat g_i - \bar g)^2`; it is removed by computing
:math:`\hat g^A, \hat g^B` from two independent halves of the chains and using
:math:`\sum_i (\hat g^A_i - \bar g^A)(\hat g^B_i - \bar g^B)` (clipped at 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

import numpy as np
from torch import Tensor

__all__ = ["influence", "data_covariance", "data_std_error", "loss_chunks", "chunk_rows"]

CHUNK_ELEMENTS = 4_000_000  # per-sample losses evaluated per chunk (draws × samples)


def chunk_rows(n: int, step_rows: int | None = None, row_elements: int | None = None) -> int:
    """Draws per chunk so that a chunk holds at most :data:`CHUNK_ELEMENTS` losses of ``n``
    samples and at most ``step_rows`` draws (at least one draw), or, where ``row_elements``
    is known, as many draws as keep the chunk's largest tensor within
    :data:`CHUNK_ELEMENTS` (never fewer than ``step_rows``).

    ``step_rows``: the positions one sampler step evaluates at once (chains × temperatures).
    A chunk is one vectorised forward of the model on all ``n`` samples, whose activations
    (``rows × n ×`` the model's widths) can be far larger than its losses; capped at the
    step's positions, it needs no more memory than the sampling did. Uncapped, 4000 draws
    of a width-64 MLP at n = 1000 took 1.5 GB for a run that sampled in 0.4 GB (measured).
    ``row_elements``: the largest tensor one draw's forward makes (its activations,
    :func:`slttheory.sampling.problem._largest_tensor`). A small model's chunks of
    ``step_rows`` draws are mostly per-call overhead: the devinterp benchmark's two-parameter
    regression (8000 draws of n = 100) spent 0.12 s in 2000 such calls.

    >>> chunk_rows(1000), chunk_rows(10**7), chunk_rows(1000, 16)
    (4000, 1, 16)
    >>> chunk_rows(1000, 16, 64_000), chunk_rows(1000, 16, 10**6), chunk_rows(100, 4, 100)
    (62, 16, 40000)
    """
    rows = max(1, CHUNK_ELEMENTS // max(n, 1))
    if step_rows is None:
        return rows
    fit = CHUNK_ELEMENTS // max(row_elements, 1) if row_elements is not None else 0
    return max(1, min(rows, max(step_rows, fit)))


def loss_chunks(positions: Tensor, per_sample: Callable[[Tensor], Tensor], rows: int
                ) -> Iterator[np.ndarray]:
    """``per_sample`` at ``positions`` ``(M, d)``, ``rows`` draws at a time, in order, as
    float64 arrays ``(rows, n)``: the one place the draws' per-sample losses are evaluated,
    so that no caller holds the ``(M, n)`` matrix.

    >>> import torch
    >>> [c.tolist() for c in loss_chunks(torch.tensor([[1.0], [2.0], [3.0]]),
    ...                                   lambda w: torch.cat([w, -w], 1), 2)]
    [[[1.0, -1.0], [2.0, -2.0]], [[3.0, -3.0]]]
    """
    for i in range(0, positions.shape[0], rows):
        yield per_sample(positions[i:i + rows]).detach().double().cpu().numpy()


def influence(positions: Tensor, nbeta: float, per_sample: Callable[[Tensor], Tensor],
              n: int, observable: Callable[[Tensor], Tensor] | None = None,
              step_rows: int | None = None, row_elements: int | None = None) -> np.ndarray:
    r"""Influences :math:`g_i` of :math:`\hat\lambda(t)` on each sample, from draws
    ``positions`` ``(M, d)`` at :math:`t` = ``nbeta``; ``per_sample`` maps ``(m, d)``
    positions to the ``(m, n)`` values :math:`\delta\ell_i(w)`. ``observable``: when the
    estimate averages other per-sample values :math:`o_i(w)` than the ones that weight the
    posterior (the symmetrised estimand at a true parameter,
    :func:`slttheory.sampling.estimator.estimate_llc` ``true_parameter``), their map; then
    :math:`g_i = \frac tn(E_t[o_i] - t\,\mathrm{Cov}_t(\bar o, \delta\ell_i))`.
    ``step_rows``, ``row_elements``: the draws per evaluation (:func:`chunk_rows`).

    >>> import torch
    >>> def ps(w):  # two samples, delta losses w and 3w
    ...     return torch.cat([w, 3 * w], dim=1)
    >>> g = influence(torch.tensor([[0.0], [1.0], [2.0]]), 1.0, ps, 2)
    >>> [round(float(v), 4) for v in g]   # (t/n)(E[δℓ] − t Cov(ΔL, δℓ)), ΔL = 2w
    [-0.5, -1.5]
    """
    m = positions.shape[0]
    # Streamed over chunks of draws, so that memory is O(n + CHUNK_ELEMENTS), never the
    # (M, n) matrix (at n = 10^6 and 4096 draws that would be 33 GB). Sums are taken about
    # the first draw's values (a shift leaves the covariance unchanged and keeps the one-pass
    # formula free of cancellation).
    rows = chunk_rows(n, step_rows, row_elements)
    chunks = loss_chunks(positions, per_sample, rows)
    pairs = (zip(chunks, loss_chunks(positions, observable, rows), strict=True)
             if observable is not None else ((dl, None) for dl in chunks))
    shift_x = shift_o = s_x = s_o = s_tx = None
    s_t = 0.0
    for dl, ob in pairs:  # (m_chunk, n) each: δℓ_i (weights the posterior), o_i (averaged)
        if shift_x is None:
            shift_x = dl[0].copy()
            shift_o = shift_x if ob is None else ob[0].copy()
            s_x, s_tx = np.zeros_like(shift_x), np.zeros_like(shift_x)
            s_o = s_x if ob is None else np.zeros_like(shift_x)  # one sum when o_i = δℓ_i
        x = dl - shift_x
        o = x if ob is None else ob - shift_o
        tot = o.mean(axis=1)  # the averaged total (ΔL_n) at each draw, shifted
        s_x += x.sum(axis=0)
        if ob is not None:
            s_o += o.sum(axis=0)
        s_tx += tot @ x
        s_t += float(tot.sum())
    mean_o, mean_x, mean_t = s_o / m, s_x / m, s_t / m
    cov_i = (s_tx - m * mean_t * mean_x) / max(m - 1, 1)
    return (nbeta / n) * (mean_o + shift_o - nbeta * cov_i)


def data_covariance(groups: Sequence[Tensor | None], nbetas: Sequence[float],
                    per_sample: Callable[[Tensor], Tensor], n: int,
                    observable: Callable[[Tensor], Tensor] | None = None,
                    step_rows: int | None = None, row_elements: int | None = None
                    ) -> np.ndarray:
    r"""Bootstrap (infinitesimal-jackknife) covariance over data sets of the estimates
    :math:`\hat\lambda(t_j)`, from each temperature's thinned draws ``groups[j]``
    ``(chains, draws, d)`` at :math:`t_j` = ``nbetas[j]``: entry :math:`(j, k)` is
    :math:`\tfrac12\sum_i[(\hat g^A_{ij} - \bar g^A_j)(\hat g^B_{ik} - \bar g^B_k) +
    (\hat g^B_{ij} - \bar g^B_j)(\hat g^A_{ik} - \bar g^A_k)]` with the influences of two
    independent halves of the chains (of the draws, with one chain), so Monte-Carlo noise
    cancels in expectation (module docstring). The variance of a linear combination
    :math:`\sum_j c_j\hat\lambda(t_j)` is :math:`c^\top S c` (clip at 0). ``nan`` entries
    when a temperature has too few draws. ``step_rows``, ``row_elements``: the draws per
    evaluation (:func:`chunk_rows`).

    >>> import torch
    >>> def ps(w):  # two samples, delta losses w and 3w
    ...     return torch.cat([w, 3 * w], dim=1)
    >>> draws = torch.arange(3.0).reshape(1, 3, 1).repeat(2, 1, 1)  # 2 chains, draws 0, 1, 2
    >>> data_covariance([draws, None], [1.0, 1.0], ps, 2).round(4).tolist()  # g = (−½, −3/2)
    [[0.5, nan], [nan, nan]]
    """
    nt = len(groups)
    ga = np.full((n, nt), np.nan)
    gb = np.full((n, nt), np.nan)
    for j, (pos, t) in enumerate(zip(groups, nbetas, strict=True)):
        if pos is None or pos.shape[1] < 2:
            continue
        k = pos.shape[0]
        if k >= 2:
            parts = (pos[: k // 2], pos[k // 2:])
        else:
            h = pos.shape[1] // 2
            parts = (pos[:, :h], pos[:, h:])
        flats = [p.reshape(-1, p.shape[-1]) for p in parts]
        if min(f.shape[0] for f in flats) < 2:
            continue
        ga[:, j] = influence(flats[0], float(t), per_sample, n, observable, step_rows,
                               row_elements)
        gb[:, j] = influence(flats[1], float(t), per_sample, n, observable, step_rows,
                               row_elements)
    ga -= ga.mean(axis=0)
    gb -= gb.mean(axis=0)
    cross = ga.T @ gb
    return 0.5 * (cross + cross.T)


def data_std_error(groups: Sequence[Tensor | None], nbetas: Sequence[float],
                   weights: Sequence[float], per_sample: Callable[[Tensor], Tensor],
                   n: int) -> float:
    r"""Data-fluctuation standard error of :math:`\sum_j c_j\hat\lambda(t_j)` (``weights``
    :math:`c_j`): :math:`\sqrt{\max(c^\top S c, 0)}` with :math:`S` from
    :func:`data_covariance` (temperatures with :math:`c_j = 0` are skipped).

    >>> import torch
    >>> def ps(w):  # two samples, delta losses w and 3w
    ...     return torch.cat([w, 3 * w], dim=1)
    >>> draws = torch.arange(3.0).reshape(1, 3, 1).repeat(2, 1, 1)  # S = [[½]] (data_covariance)
    >>> round(data_std_error([draws, None], [1.0, 1.0], [2.0, 0.0], ps, 2), 4)   # √(2²·½)
    1.4142
    """
    c = np.asarray(weights, float)
    use = [j for j in range(len(c)) if c[j] != 0.0]
    cov = data_covariance([groups[j] for j in use], [nbetas[j] for j in use], per_sample, n)
    v = float(c[use] @ cov @ c[use])
    return math.sqrt(max(v, 0.0)) if math.isfinite(v) else math.nan
