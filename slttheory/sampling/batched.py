r"""LLC estimates of many problems of one architecture in one vectorised sampler run.

A sweep (a claim grid, a set of data seeds) asks for :func:`~slttheory.sampling.estimate_llc`
at many points whose models share an architecture and whose data share shapes. Here their
flattened parameters are stacked as ``(points, chains, d)`` and the per-sample loss is
evaluated with ``torch.func.functional_call`` under two nested ``vmap``\ s (over chains with
the point's data fixed, then over points with ``in_dims=0`` for parameters, frozen tensors,
inputs, targets and :math:`\ell_i(w^*)`), so one call computes all ``points × chains``
gradients. The Langevin moves are those of :mod:`slttheory.sampling.kernels`
(same update formulas, :func:`~slttheory.sampling.kernels.mh_log_acceptance`,
:class:`~slttheory.sampling.kernels.LocalizedPotential` with one row of :math:`w^*` and one
:math:`n\beta` per chain).

**Seeding: each point is its own** ``estimate_llc`` **run.** Every point ``p`` has its own
``torch.Generator`` seeded with ``seed[p]``, from which, in the same order as in
:func:`~slttheory.sampling.estimate_llc`, its step-size pilot, its Langevin noise ``(chains, d)``,
its minibatch indices and its MALA uniforms are drawn. The step-size calibration
(:func:`~slttheory.sampling.calibrate.calibrate_step_size`) runs per point on that point's
potential; the warm-up rounds that re-check it, and the adaptive doubling of ``draws``, run
batched over the points still in that phase (a point leaves when its own rule says so, exactly
as alone). Hence every point's estimate equals ``estimate_llc(model_p, data_p, seed=seed[p],
...)`` with the same settings up to floating-point reassociation in the batched matmuls
(≈1e-12 relative in float64, ≈1e-6 in float32); automatic settings included. The price is
one small random draw per point per step (``points`` generator calls instead of one).

Every step of all points is one traced graph (:func:`~slttheory.sampling.kernels.fused_kernel`,
cached per set of running points); MALA's burn-in shrinking of ε and SGLD's warm-up rescaling
decide per point from that point's rows. With ``preconditioner=`` each point's curvature
factor is computed from its own data and generator and the factors are applied as one
``(P, d, d)`` batched product; ``estimate_llc`` applies its factor as the same product with
one group, so the rounding agrees.

The summary (per-chain means, MC standard error, diagnostics, config) is computed by the
estimator's own routines, so an :class:`~slttheory.sampling.LLCEstimate` from here is read
exactly like one from ``estimate_llc``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.func import vmap

from slttheory._inputs import functional, held_fixed
from slttheory.sampling import chains as _chains
from slttheory.sampling import estimator as _est
from slttheory.sampling import precondition as pc
from slttheory.sampling import problem as _problem
from slttheory.sampling import results as _results
from slttheory.sampling._checks import resolve_seed
from slttheory.sampling.exchange import EXCHANGE_EVERY, exchange_step
from slttheory.sampling.kernels import (
    LangevinState,
    LocalizedPotential,
    PreconditionedPotential,
    fused_kernel,
)
from slttheory.sampling.symmetry import OrbitMove, orbit_step

__all__ = ["estimate_llc_batched", "batch_signature"]



def _unpack(problem: Any) -> tuple[torch.nn.Module, tuple[Tensor, Tensor], Any]:
    if isinstance(problem, tuple | list) and len(problem) == 2:
        return _tensor_inputs(problem[0], _pair(problem[1]), None)
    if hasattr(problem, "model") and hasattr(problem, "data"):
        return _tensor_inputs(problem.model, _pair(problem.data), getattr(problem, "loss", None))
    raise TypeError(
        "problems: each entry must be (model, (inputs, targets)) or have .model and .data, got "
        f"{type(problem).__name__}"
    )


def _pair(data: Any) -> tuple:
    """A point's data as a tuple; a ``DataLoader`` or ``Dataset`` concatenated as
    :func:`~slttheory.sampling.estimate_llc` does (iterating it gave its batches, and the error
    then spoke of a model of several inputs, an outside probe)."""
    from torch.utils.data import DataLoader, Dataset

    if isinstance(data, DataLoader | Dataset):
        return tuple(_problem._as_tensors(data))
    return tuple(data)


def _tensor_inputs(model: Any, data: tuple, loss: Any) -> tuple:
    """``(model, data, loss)`` when the inputs are one tensor; a model of several inputs
    (a tuple or dict of tensors) runs in :func:`~slttheory.sampling.estimate_llc`, not here."""
    if data and isinstance(data[0], tuple | list | Mapping):
        raise TypeError("problems: estimate_llc_batched stacks one input tensor per point; a "
                        "model of several inputs (a tuple or dict) runs one point at a time "
                        "in estimate_llc")
    return model, data, loss


def _simple(v: Any) -> Any:
    if isinstance(v, bool | int | float | str | type(None)):
        return v
    if isinstance(v, tuple | list):
        return tuple(_simple(x) for x in v)
    if callable(v):
        return getattr(v, "__qualname__", repr(v))
    return type(v).__qualname__


def _structure(model: torch.nn.Module) -> tuple:
    """Module types, non-tensor attributes, parameter and buffer shapes/dtypes of ``model``."""
    out = []
    for name, m in model.named_modules():
        attrs = tuple(sorted((k, _simple(v)) for k, v in vars(m).items()
                             if not k.startswith("_") and k != "training"))
        out.append((name, type(m).__module__, type(m).__qualname__, attrs))
    out += [(k, tuple(v.shape), str(v.dtype)) for k, v in model.named_parameters()]
    out += [(k, tuple(v.shape), str(v.dtype)) for k, v in model.named_buffers()]
    return tuple(out)


def batch_signature(model: torch.nn.Module, data: Sequence[Tensor], loss: Any = None) -> tuple:
    """What problems must share to be batched: architecture, data shapes, loss.

    Two problems with equal signatures run as one vectorised call of
    :func:`estimate_llc_batched`. The loss enters by name (a string) or identity (a callable).

    >>> a, b = torch.nn.Linear(2, 1), torch.nn.Linear(2, 1)
    >>> x = torch.zeros(5, 2)
    >>> batch_signature(a, (x, x[:, :1])) == batch_signature(b, (x + 1, x[:, :1]))
    True
    >>> batch_signature(a, (x, x[:, :1])) == batch_signature(torch.nn.Linear(2, 2), (x, x))
    False
    """
    x, y = data
    lk = loss if isinstance(loss, str) or loss is None else ("callable", id(loss))
    return (_structure(model), tuple(x.shape), str(x.dtype), tuple(y.shape), str(y.dtype), lk)


class _Batch:
    """Stacked per-point tensors and the vectorised ΔL and gradient over points × chains."""

    def __init__(self, setups: list, models: list[torch.nn.Module], per_sample: Callable,
                 chains: int, batch_size: int) -> None:
        s0 = setups[0]
        self.k, self.d, self.dev, self.dtype = chains, s0.center.numel(), s0.device, s0.dtype
        self.n_data, self.bs = s0.n_data, batch_size
        self.full = batch_size >= s0.n_data
        names = s0.names
        self.center = torch.stack([s.center for s in setups])  # (P, d)
        self.x = torch.stack([s.x for s in setups])
        self.y = torch.stack([s.y for s in setups])
        self.lstar = torch.stack([s.lstar for s in setups])
        model0 = models[0]
        p0 = dict(model0.named_parameters())
        shapes = [p0[k].shape for k in names]
        sizes = [p0[k].numel() for k in names]

        fr = [held_fixed(m, names, lambda v: v.to(self.dev)) for m in models]
        self.frozen = {k: torch.stack([f[k] for f in fr]) for k in fr[0]}

        def unflatten(flat: Tensor) -> dict[str, Tensor]:
            return {k: t.view(s) for k, t, s in zip(names, torch.split(flat, sizes), shapes,
                                                     strict=True)}

        def delta_loss(flat: Tensor, frozen: dict, xb: Tensor, yb: Tensor, lb: Tensor) -> Tensor:
            o = functional(model0, (unflatten(flat), frozen), (xb,))
            return (per_sample(o, yb) - lb).mean()

        over_chains_full = vmap(delta_loss, in_dims=(0, None, None, None, None))
        over_chains_mini = vmap(delta_loss, in_dims=(0, None, 0, 0, 0))
        self._f_full = vmap(over_chains_full, in_dims=(0, 0, 0, 0, 0))
        self._f_mini = vmap(over_chains_mini, in_dims=(0, 0, 0, 0, 0))

    def potential(self, pts: Tensor, nbeta: Tensor, gamma: float, gens: list[torch.Generator],
                  factors: Tensor | None = None
                  ) -> LocalizedPotential | PreconditionedPotential:
        """The localized potential of the points ``pts`` (indices), ``(len(pts)·K, d)`` rows,
        with one point's ``(K,)`` inverse temperatures ``nbeta`` repeated for every point;
        in the coordinates of the per-point ``factors`` (``(P, d)`` or ``(P, d, d)``, all
        points) when given. Minibatch indices are drawn per point from its generator."""
        k, d = self.k, self.d
        np_ = pts.numel()
        fz = {key: v[pts] for key, v in self.frozen.items()}
        x, y, ls = self.x[pts], self.y[pts], self.lstar[pts]
        full, bs, nd = self.full, self.bs, self.n_data
        sel = [gens[i] for i in pts.tolist()]
        ar = torch.arange(np_, device=self.dev).view(-1, 1, 1)

        def loss_and_grad(w: Tensor, idx: Tensor | None) -> tuple[Tensor, Tensor]:
            with torch.enable_grad():
                w3 = w.detach().reshape(np_, k, d).requires_grad_(True)
                if full:
                    v = self._f_full(w3, fz, x, y, ls)
                else:
                    v = self._f_mini(w3, fz, x[ar, idx], y[ar, idx], ls[ar, idx])
                (g,) = torch.autograd.grad(v.sum(), w3)
            return v.detach().reshape(-1), g.reshape(np_ * k, d)

        def draw(_gen: torch.Generator | None, _rows: int) -> Tensor:
            return torch.stack([torch.randint(0, nd, (k, bs), generator=g, device=self.dev)
                                for g in sel])

        center = self.center[pts].repeat_interleave(k, dim=0)
        nb = nbeta.to(dtype=self.dtype, device=self.dev).repeat(np_)
        pot = LocalizedPotential(loss_and_grad, nb, gamma, center, full_batch=full,
                                 batch_sampler=None if full else draw)
        if factors is None:
            return pot
        return PreconditionedPotential(pot, factors[pts], groups=np_)


class _PointNoise:
    """Each point's rows of the Langevin noise and MALA uniforms from that point's generator
    (in point order), as ``estimate_llc`` draws them from its one generator."""

    def __init__(self, gens: list[torch.Generator], k: int) -> None:
        self.gens, self.k = gens, k
        self.point_generators = gens  # kernels.Noise: k rows from each in turn

    def normal(self, like: Tensor) -> Tensor:
        shape = (self.k, like.shape[1])
        return torch.cat([torch.randn(shape, generator=g, dtype=like.dtype, device=like.device)
                          for g in self.gens])

    def uniform(self, like: Tensor) -> Tensor:
        return torch.cat([torch.rand((self.k,), generator=g, dtype=like.dtype,
                                     device=like.device) for g in self.gens])


def _rows(pts: Tensor, k: int) -> Tensor:
    return (pts.view(-1, 1) * k + torch.arange(k, device=pts.device)).reshape(-1)


def estimate_llc_batched(
    problems: Sequence[Any],
    *,
    loss: str | Callable[[Tensor, Tensor], Tensor] | None = None,
    n: int | None = None,
    beta: float | None = None,
    localization: float | None = None,
    step_size: float | None = None,
    chains: int = 4,
    draws: int | None = None,
    burn_in: int | None = None,
    sampler: str = "auto",
    batch_size: int | None = None,
    params: Iterable[str] | None = None,
    seed: int | torch.Generator | None | Sequence[int] = 0,
    device: str | torch.device = "auto",
    preconditioner: str | None = None,
    method: str = "extrapolate",
    step_jitter: float | None = None,
    multiplicity: int | None = None,
    orbit: OrbitMove | None = None,
    exchange: bool | None = None,
    morse_bott: bool = True,
    record_scan: bool = False,
    true_parameter: bool = False,
) -> list[_results.LLCEstimate]:
    r"""``estimate_llc`` for every problem, all points and chains in one vectorised run.

    ``problems``: ``(model, (inputs, targets))`` pairs or objects with ``.model``, ``.data``
    (and ``.loss``, used when ``loss=None``; a family's :class:`~slttheory.models.Problem`),
    all with equal :func:`batch_signature`. ``seed``: one int for every point or one per point;
    a ``torch.Generator`` or ``None`` gives each point its own (drawn from it, or fresh
    entropy), recorded in each estimate's ``config.seed``.
    The other arguments (``method``, ``step_jitter``, ``multiplicity``, ``orbit``,
    ``exchange``, ``morse_bott``, ``record_scan`` and ``true_parameter`` included) are those of
    :func:`~slttheory.sampling.estimate_llc` and apply to every point. Point ``p``'s result
    equals ``estimate_llc(model_p, data_p, seed=seed[p], ...)`` up to floating-point rounding
    (module docstring: per-point generators, per-point calibration, per-point temperature
    scan and stopping). With ``exchange=None`` each point gets
    :func:`~slttheory.sampling.estimator.auto_exchange`'s choice, as alone: a batch mixing
    noisy and noise-free points runs as two batches.

    >>> import torch
    >>> from slttheory.sampling import estimate_llc
    >>> x = torch.randn(200, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    >>> models = [torch.nn.Linear(2, 1, dtype=torch.float64) for _ in range(3)]
    >>> probs = [(m, (x, m(x).detach())) for m in models]
    >>> ests = estimate_llc_batched(probs, step_size=1e-3, draws=300, seed=[0, 1, 2],
    ...                             device="cpu")
    >>> one = estimate_llc(*probs[1], step_size=1e-3, draws=300, seed=1, device="cpu")
    >>> abs(ests[1].llc - one.llc) < 1e-9
    True
    """
    t0 = time.perf_counter()
    _est._check_bool("true_parameter", true_parameter)
    unpacked, losses, seeds = _checked_problems(problems, loss, seed, sampler, preconditioner,
                                                method)
    resolved = [
        _est._resolve(m, dat, lo, n, beta, localization, step_size, chains, draws, burn_in,
                      sampler, batch_size, params, sd, device, finite=False,
                      true_parameter=true_parameter)
        for (m, dat, _), lo, sd in zip(unpacked, losses, seeds, strict=True)
    ]
    setups = [r[0] for r in resolved]
    for i, s in enumerate(setups):
        # the stacked sampler unflattens every point by problems[0]'s names: a point whose
        # requires_grad flags differ was sampled in the wrong parameters (an outside probe:
        # a.weight frozen in one point, b.weight in the other, λ̂ 32 instead of 4.7)
        if s.names != setups[0].names:
            raise ValueError(
                f"problems[{i}] samples the parameters {list(s.names)} and problems[0] "
                f"{list(setups[0].names)} (their requires_grad flags differ); batch only "
                "problems that sample the same parameters, or pass params=[...]")
    (_, n_, beta_v, gamma, step_size, chains, draws, burn_in, bs, _, dev, auto) = resolved[0]
    seeds = [r[9] for r in resolved]
    _est._check_orbit(orbit, preconditioner, bs, setups[0].n_data, setups[0].center.numel())
    sampler_arg, sampler = sampler, _est._resolve_sampler(sampler, bs, setups[0].n_data)
    nbeta = n_ * beta_v
    if exchange is None:  # each point as alone; a mixed batch runs as one batch per choice
        uses = [_est.auto_exchange(s.noise_loss, nbeta, method, sampler, preconditioner)
                for s in setups]
        if len(set(uses)) > 1:
            args = dict(loss=loss, n=n, beta=beta, localization=localization,
                        step_size=step_size, chains=chains, draws=draws, burn_in=burn_in,
                        sampler=sampler_arg, batch_size=batch_size, params=params,
                        device=device, preconditioner=preconditioner, method=method,
                        step_jitter=step_jitter, multiplicity=multiplicity, orbit=orbit,
                        morse_bott=morse_bott, record_scan=record_scan,
                        true_parameter=true_parameter)
            parts: list[Any] = [None] * len(problems)
            for flag in (False, True):  # each part is uniform: it takes the path below
                idx = [i for i, u in enumerate(uses) if u is flag]
                sub = estimate_llc_batched([problems[i] for i in idx],
                                           seed=[seeds[i] for i in idx], exchange=None, **args)
                for i, est in zip(idx, sub, strict=True):
                    parts[i] = est
            return parts
        exchange = uses[0]
        auto = [*auto, "exchange"]
    _est._check_exchange(exchange, method, sampler, preconditioner)
    _est._check_bool("morse_bott", morse_bott)
    _est._check_bool("record_scan", record_scan)
    jitter = _est._step_jitter(step_jitter, sampler)
    if step_jitter is None:
        auto = [*auto, "step_jitter"]
    fit_model = _est._multiplicity_model(multiplicity, method)
    ok = [i for i, s in enumerate(setups) if math.isfinite(s.init_loss)]
    out: list[Any] = [None] * len(problems)
    for i in set(range(len(problems))) - set(ok):
        out[i] = _est.with_caller_settings(
            _est._nonfinite_result(setups[i], n_, beta_v, gamma, step_size, chains, draws,
                                   burn_in, sampler, bs, seeds[i], dev, auto, t0, method),
            jitter, multiplicity, orbit, exchange, morse_bott, record_scan, true_parameter)
    ks: dict[int, int | None] = {i: None for i in ok}
    if ok and method != "single":
        # each point's rank, as alone: λ = k/2 at a Morse–Bott zero, known before sampling
        ks = {i: _est._exact_rank(setups[i], nbeta, morse_bott, fit_model) for i in ok}
        if not record_scan:
            for i in [i for i in ok if ks[i] is not None]:
                est = _est._exact_result(setups[i], ks[i], n_, beta_v, gamma, chains, sampler,
                                         bs, seeds[i], dev, auto, step_size, preconditioner)
                _est._flag(est.diagnostics.warnings, f"estimate_llc_batched (problem {i})")
                out[i] = _est._with_time(_est.with_caller_settings(
                    est, jitter, multiplicity, orbit, exchange, morse_bott, record_scan,
                    true_parameter), time.perf_counter() - t0)
            ok = [i for i in ok if ks[i] is None]
    if ok:
        if method == "single":
            scan: dict[str, Any] = {"chains": chains, "step_scale": None, "stat_groups": 1,
                                    "group_steps": False, "converged": None}
            rows_nbeta = np.full(chains, nbeta)
        else:
            grid = np.asarray(_est._xp.GRID, dtype=float)
            scan = _est._scan_args(setups[ok[0]], nbeta, grid, chains, step_size)
            rows_nbeta = np.repeat(nbeta * grid, chains)
            del scan["nbeta_chain"], scan["nbeta_cal"]
            # each point's stopping rule, as alone (a Morse–Bott zero's scan is a record)
            scan["converged"] = [None if ks[i] is None else _chains._converged_record for i in ok]
        runs, recs = _sample_batched(
            [setups[i] for i in ok], [unpacked[i][0] for i in ok],
            _problem._per_sample_loss(losses[0]), [seeds[i] for i in ok], nbeta=nbeta,
            gamma=gamma, step_size=step_size, draws=draws, burn_in=burn_in, sampler=sampler,
            batch_size=bs, preconditioner=preconditioner, nbeta_chain=rows_nbeta,
            jitter=jitter, orbit=orbit, exchange=exchange, **scan)
        share = (time.perf_counter() - t0) / len(problems)
        for i, run, rec in zip(ok, runs, recs, strict=True):
            s = setups[i]
            if method == "single":
                est = _est._single_result(s, run, n_, beta_v, gamma, chains, sampler, bs,
                                          seeds[i], dev, auto, draws is None, rec)
            else:
                est = _est._scan_result(s, run, grid, n_, beta_v, gamma, chains, sampler, bs,
                                        seeds[i], dev, auto, draws is None, rec, fit_model,
                                        ks[i], multiplicity)
                est = _est._with_rank_note(est, s, nbeta, morse_bott, fit_model, ks[i])
            _est._flag(est.diagnostics.warnings, f"estimate_llc_batched (problem {i})")
            est = _est.with_caller_settings(est, jitter, multiplicity, orbit, exchange,
                                            morse_bott, record_scan, true_parameter)
            out[i] = _est._with_time(est, share)
    return out


def _checked_problems(problems: Any, loss: Any, seed: Any, sampler: str,
                      preconditioner: str | None, method: str
                      ) -> tuple[list[tuple[Any, Any, Any]], list[Any], list[int]]:
    """``estimate_llc_batched``'s arguments checked: each problem as ``(model, data, loss)``,
    each problem's loss (``loss``, else its own, else ``"gaussian"``) and seed; every problem
    of one :func:`batch_signature`. Raises ``TypeError``/``ValueError`` naming the argument."""
    if not isinstance(problems, Sequence) or isinstance(problems, str | bytes):
        raise TypeError(f"problems must be a sequence of problems, got {type(problems).__name__}")
    if len(problems) == 0:
        raise ValueError("problems must contain at least one problem")
    if sampler not in _est.SAMPLER_CHOICES:
        raise ValueError(f"sampler must be one of {list(_est.SAMPLER_CHOICES)}, got "
                         f"{sampler!r}")
    pc.resolve_preconditioner(preconditioner)
    if method not in _est.METHODS:
        raise ValueError(f"method must be one of {list(_est.METHODS)}, got {method!r}")
    unpacked = [_unpack(p) for p in problems]
    losses = [loss if loss is not None else (lo if lo is not None else "gaussian")
              for _, _, lo in unpacked]
    if seed is None or isinstance(seed, torch.Generator):  # a seed of its own for each point
        seeds = [resolve_seed(seed) for _ in problems]
    elif isinstance(seed, Sequence) and not isinstance(seed, str | bytes):
        seeds = [resolve_seed(s, "seed[]") for s in seed]
    elif isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int, a torch.Generator, None or a sequence of ints, "
                        f"got {seed!r}")
    else:
        seeds = [resolve_seed(seed)] * len(problems)
    if len(seeds) != len(problems):
        raise ValueError(f"seed: {len(seeds)} seeds for {len(problems)} problems")
    sig0 = batch_signature(unpacked[0][0], unpacked[0][1], losses[0])
    for i, ((m, dat, _), lo) in enumerate(zip(unpacked, losses, strict=True)):
        if batch_signature(m, dat, lo) != sig0:
            raise ValueError(
                f"problems[{i}] differs from problems[0] in architecture, data shapes or loss "
                "(batch_signature); batch only problems of one architecture"
            )
    return unpacked, losses, seeds


class _PointPositions:
    """Splits the thinned positions of a batched run's rows into each point's
    :class:`~slttheory.sampling.chains._Positions` (the same steps as alone)."""

    def __init__(self, recs: list, pts: list[int], k: int) -> None:
        self.recs, self.pts, self.k = recs, pts, k

    def store(self, t: int, position: Tensor) -> None:
        k = self.k
        for j, i in enumerate(self.pts):
            self.recs[i].store(t, position[j * k:(j + 1) * k])


def _sample_batched(setups, models, per_sample, seeds, *, nbeta, gamma, step_size, chains,
                    draws, burn_in, sampler, batch_size, nbeta_chain, preconditioner=None,
                    step_scale=None, stat_groups=1, group_steps=False,
                    converged=None, jitter: float = 0.0, orbit=None,
                    exchange: bool = False) -> tuple[list, list]:
    """The batched counterpart of ``chains._sample`` (same phases, per-point decisions).

    ``chains`` rows per point at the inverse temperatures ``nbeta_chain`` (``(chains,)``),
    initial step multipliers ``step_scale``, ``stat_groups`` temperature groups with their
    own step tuning (``group_steps``), the stopping rule ``converged`` (one for every point, or a
    list with each point's) and MALA's step
    ``jitter`` and symmetry move ``orbit``, as ``chains._sample``'s arguments (the orbit
    move's draws come from each point's generator, as in ``estimate_llc``). Returns the
    per-point runs and position records."""
    p, k = len(setups), chains
    dev, dt = setups[0].device, setups[0].dtype
    gens = [torch.Generator(device=dev).manual_seed(sd) for sd in seeds]
    batch = _Batch(setups, models, per_sample, k, batch_size)
    run_auto: list[str] = []
    kind = pc.resolve_preconditioner(preconditioner)
    curv = [_problem._curvature(s, kind, nbeta, gamma, g)
            for s, g in zip(setups, gens, strict=True)]
    factors = None if kind == "none" else torch.stack([c.factor for c in curv])
    cals: list[Any] = [None] * p
    eps = np.full(p, np.nan)
    if step_size is None:
        for i, s in enumerate(setups):
            cals[i] = _chains._calibrate(s, nbeta, gamma, batch_size, sampler, gens[i], curv[i])
            eps[i] = cals[i].step_size
        run_auto.append("step_size")
    else:
        eps[:] = step_size
    has_acc = sampler == "mala" or (sampler == "sgld" and batch.full)
    # estimate_llc's per-chain nβ tensor has the model's dtype; its warm-up and stopping rules
    # read it back, rounded: use the same rounding so the per-point decisions agree exactly
    nb_t = torch.as_tensor(np.asarray(nbeta_chain, dtype=float), dtype=dt, device=dev)
    nb_dt = nb_t.double().cpu().numpy()
    scale = None if step_scale is None else np.tile(
        step_scale.to(dt).double().cpu().numpy(), (p, 1))
    recs = [_chains._Positions.sized(k, batch.d) for _ in range(p)]
    pots: dict[tuple[int, ...], Any] = {}  # one potential (and its traced steps) per point set

    def stepper(pts: Tensor):
        key = tuple(pts.tolist())
        if key not in pots:
            pots[key] = batch.potential(pts, nb_t, gamma, gens, factors)
        idx = pts.cpu().numpy()
        if scale is None:
            e = torch.tensor(np.repeat(eps[idx], k), dtype=dt, device=dev)
        else:  # as estimate_llc: ε in the model's dtype times the dtype-rounded multipliers
            e = (torch.as_tensor(eps[idx], dtype=dt, device=dev).unsqueeze(1)
                 * torch.as_tensor(scale[idx], dtype=dt, device=dev)).reshape(-1)
        return fused_kernel(sampler, pots[key], e,
                            noise=_PointNoise([gens[i] for i in key], k), jitter=jitter)

    def run(st, state, tr: Tensor, gs: Tensor, ac: Tensor | None, start: int, stop: int,
            pts: Tensor | None = None, moving: Tensor | None = None):
        """``pts``: record these points' positions; ``moving``: the points whose rows
        ``state`` holds (for the orbit move)."""
        rec = None if pts is None else _PointPositions(recs, pts.tolist(), k)
        om = xm = None
        key = tuple((pts if moving is None else moving).tolist())
        if orbit is not None:
            om = (orbit.every, lambda _g, s_: orbit_step(
                pots[key], orbit, None, s_, generators=[gens[i] for i in key]))
        if exchange and stat_groups > 1:
            xm = (EXCHANGE_EVERY, lambda _g, s_, par: exchange_step(
                pots[key], s_, stat_groups, par, None, generators=[gens[i] for i in key]))
        return _chains._run_steps(st, None, state, tr, gs, ac, start, stop, rec, orbit=om,
                                  exchange=xm)

    # state of all points, (P·K, ·) rows; phases work on the rows of their points
    allp = torch.arange(p, device=dev)
    st = stepper(allp)
    pos0 = pots[tuple(range(p))].center
    pos0 = (pos0 if pos0.ndim == 2 else pos0.expand(p * k, -1)).clone()
    state = list(st.init(pos0))
    warm = np.zeros(p, dtype=int)

    def gather(rows: Tensor) -> LangevinState:
        return LangevinState(*(None if x is None else x[rows] for x in state))

    def scatter(rows: Tensor, sub: LangevinState) -> None:
        for j, x in enumerate(sub):
            if x is not None:
                state[j][rows] = x

    if step_size is None and (sampler != "mala" or group_steps):
        w = _chains.WARMUP_STEPS
        every = _chains.DIAG_EVERY
        active = allp
        for _ in range(_chains.WARMUP_ROUNDS):
            if active.numel() == 0:
                break
            rows = _rows(active, k)
            st = stepper(active)
            wtr = torch.empty((rows.numel(), w), dtype=dt, device=dev)
            wgs = torch.empty((rows.numel(), w // every), dtype=dt, device=dev)
            wac = (torch.empty((rows.numel(), w // every), dtype=dt, device=dev)
                   if sampler == "mala" else None)
            sub = run(st, gather(rows), wtr, wgs, wac, 0, w, moving=active)
            scatter(rows, sub)
            warm[active.cpu().numpy()] += w
            keep = []
            for j, i in enumerate(active.tolist()):
                r = slice(j * k, (j + 1) * k)
                if group_steps:
                    upd = _chains._warmup_rescale_groups(wtr[r], wgs[r], nb_dt, eps[i], scale[i],
                                                         stat_groups,
                                                         None if wac is None else wac[r])
                    if upd is None:
                        continue
                    new_scale, reset = upd
                    scale[i] = torch.as_tensor(new_scale, dtype=dt).double().numpy()
                    if reset.any():
                        rr = torch.as_tensor(np.flatnonzero(reset), device=dev) + i * k
                        c0 = pots[tuple(range(p))].center
                        state[0][rr] = c0[rr] if c0.ndim == 2 else c0.expand(rr.numel(), -1)
                    keep.append(i)
                    continue
                new = _chains._warmup_rescale(wtr[r], wgs[r], nb_dt, eps[i])
                if new is None:
                    continue
                eps[i] = new
                keep.append(i)
            if keep:
                active = torch.tensor(keep, device=dev)
                rows = _rows(active, k)
                scatter(rows, stepper(active).init(state[0][rows].clone()))
            else:
                active = allp[:0]

    adaptive, total, cap, burn_in = _chains._run_lengths(draws, burn_in, run_auto)
    tr, gs, ac = _chains._buffers(p * k, cap, dt, dev, has_acc)
    # every point has its own run length (its adaptive rule, as in estimate_llc); the points
    # still running always share the same number of steps done, and run together to the
    # nearest length one of them asked for
    target = np.full(p, total)
    totals = np.zeros(p, dtype=int)
    active, done = allp, 0
    if step_size is None and sampler == "mala":  # estimate_llc's burn-in shrinking of ε
        rows = _rows(allp, k)
        window = _chains._mala_window(total, burn_in)
        for start in range(0, window, _chains.MALA_ADAPT_BLOCK):
            scatter(rows, run(stepper(allp), gather(rows), tr, gs, ac, start,
                              start + _chains.MALA_ADAPT_BLOCK, moving=allp))
            for i in range(p):
                new = _chains._mala_shrink(ac[i * k:(i + 1) * k], start, eps[i])
                if new is not None:
                    eps[i] = new
        done = window
    while active.numel():
        stop = int(target[active.cpu().numpy()].min())
        rows = _rows(active, k)
        st = stepper(active)
        if active.numel() == p:
            sub = run(st, gather(rows), tr, gs, ac, done, stop, active)
        else:
            t_, g_ = tr[rows], gs[rows]
            a_ = None if ac is None else ac[rows]
            sub = run(st, gather(rows), t_, g_, a_, done, stop, active)
            tr[rows], gs[rows] = t_, g_
            if ac is not None:
                ac[rows] = a_
        scatter(rows, sub)
        done = stop
        keep = []
        for i in active.tolist():
            if target[i] > stop:
                keep.append(i)
                continue
            rule = converged[i] if isinstance(converged, list) else converged
            nxt = _chains._extend(tr[i * k:(i + 1) * k], stop, burn_in, cap, adaptive,
                                  nb_dt[:, None], stat_groups, rule)
            if nxt is None:
                totals[i] = stop
            else:
                target[i] = nxt
                keep.append(i)
        active = torch.tensor(keep, dtype=torch.long, device=dev)

    runs = []
    nonfinite = state[5]
    pot_all = pots[tuple(range(p))]
    for i in range(p):
        r = slice(i * k, (i + 1) * k)
        tot = int(totals[i])
        one = _chains._collect(tr[r], gs[r], None if ac is None else ac[r], tot,
                               _chains._burn(tot, burn_in), eps[i], cals[i], list(run_auto),
                               int(warm[i]), kind, None if nonfinite is None else nonfinite[r])
        if scale is not None:
            one.step_scale = scale[i].copy()
        one.minibatch = not pot_all.full_batch  # as estimate_llc's runs (_chains_disagree)
        if hasattr(pot_all, "to_position"):
            recs[i].to_position = _point_to_position(pot_all, i, k)
        runs.append(one)
    return runs, recs


def _point_to_position(pot: Any, i: int, k: int) -> Callable[[Tensor], Tensor]:
    """Point ``i``'s map from sampler coordinates to parameters (preconditioned runs)."""
    f = pot.factor[i]
    c = pot.base.center[i * k]

    def to_position(z: Tensor) -> Tensor:
        return c + (z * f if f.ndim == 1 else z @ f.T)

    return to_position
