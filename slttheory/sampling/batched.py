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

The summary (per-chain means, MC standard error, diagnostics, config) is computed by the
estimator's own routines, so an :class:`~slttheory.sampling.LLCEstimate` from here is read
exactly like one from ``estimate_llc``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.func import functional_call, vmap

from slttheory.sampling import estimator as _est
from slttheory.sampling.kernels import LocalizedPotential, mh_log_acceptance

__all__ = ["estimate_llc_batched", "batch_signature"]

_SAMPLERS = ("sgld", "rmsprop_sgld", "mala")
_RMS_ALPHA = 0.99  # rmsprop_sgld defaults of kernels.rmsprop_sgld (estimate_llc passes none)
_RMS_EPS = 0.1


def _unpack(problem: Any) -> tuple[torch.nn.Module, tuple[Tensor, Tensor], Any]:
    if isinstance(problem, tuple | list) and len(problem) == 2:
        return problem[0], tuple(problem[1]), None
    if hasattr(problem, "model") and hasattr(problem, "data"):
        return problem.model, tuple(problem.data), getattr(problem, "loss", None)
    raise TypeError(
        "problems: each entry must be (model, (inputs, targets)) or have .model and .data, got "
        f"{type(problem).__name__}"
    )


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

        def frozen_of(m: torch.nn.Module) -> dict[str, Tensor]:
            f = {k: v.detach().to(self.dev) for k, v in m.named_parameters() if k not in names}
            f.update({k: b.detach().to(self.dev) for k, b in m.named_buffers()})
            return f

        fr = [frozen_of(m) for m in models]
        self.frozen = {k: torch.stack([f[k] for f in fr]) for k in fr[0]}

        def unflatten(flat: Tensor) -> dict[str, Tensor]:
            return {k: t.view(s) for k, t, s in zip(names, torch.split(flat, sizes), shapes,
                                                     strict=True)}

        def delta_loss(flat: Tensor, frozen: dict, xb: Tensor, yb: Tensor, lb: Tensor) -> Tensor:
            o = functional_call(model0, (unflatten(flat), frozen), (xb,))
            return (per_sample(o, yb) - lb).mean()

        over_chains_full = vmap(delta_loss, in_dims=(0, None, None, None, None))
        over_chains_mini = vmap(delta_loss, in_dims=(0, None, 0, 0, 0))
        self._f_full = vmap(over_chains_full, in_dims=(0, 0, 0, 0, 0))
        self._f_mini = vmap(over_chains_mini, in_dims=(0, 0, 0, 0, 0))

    def potential(self, pts: Tensor, nbeta: Tensor, gamma: float, gens: list[torch.Generator]
                  ) -> LocalizedPotential:
        """The localized potential of the points ``pts`` (indices), ``(len(pts)·K, d)`` rows;
        ``nbeta``: the ``(K,)`` inverse temperatures of one point's chains."""
        k, d = self.k, self.d
        np_ = pts.numel()
        fz = {key: v[pts] for key, v in self.frozen.items()}
        x, y, ls = self.x[pts], self.y[pts], self.lstar[pts]
        full, bs, nd = self.full, self.bs, self.n_data
        sel = [gens[i] for i in pts.tolist()]
        ar = torch.arange(np_, device=self.dev).view(-1, 1, 1)

        def loss_and_grad(w: Tensor, _gen: torch.Generator | None) -> tuple[Tensor, Tensor]:
            with torch.enable_grad():
                w3 = w.detach().reshape(np_, k, d).requires_grad_(True)
                if full:
                    v = self._f_full(w3, fz, x, y, ls)
                else:
                    idx = torch.stack([torch.randint(0, nd, (k, bs), generator=g, device=self.dev)
                                       for g in sel])
                    v = self._f_mini(w3, fz, x[ar, idx], y[ar, idx], ls[ar, idx])
                (g,) = torch.autograd.grad(v.sum(), w3)
            return v.detach().reshape(-1), g.reshape(np_ * k, d)

        center = self.center[pts].repeat_interleave(k, dim=0)
        nb = nbeta.to(dtype=self.dtype, device=self.dev).repeat(np_)
        return LocalizedPotential(loss_and_grad, nb, gamma, center, full_batch=full)


class _Stepper:
    """Langevin steps of ``kernels.sgld`` / ``rmsprop_sgld`` / ``mala`` with per-point noise."""

    def __init__(self, sampler: str, pot: LocalizedPotential, eps_rows: Tensor,
                 gens: list[torch.Generator], k: int) -> None:
        self.sampler, self.pot, self.gens, self.k = sampler, pot, gens, k
        self.eps = eps_rows.reshape(-1, 1)
        self.sqrt_eps = self.eps.sqrt()
        self.mh = sampler == "sgld" and pot.full_batch

    def _randn(self, like: Tensor) -> Tensor:
        shape = (self.k, like.shape[1])
        return torch.cat([torch.randn(shape, generator=g, dtype=like.dtype, device=like.device)
                          for g in self.gens])

    def init(self, position: Tensor) -> tuple:
        dl, g = self.pot(position, None)
        u = self.pot.energy(position, dl) if self.sampler == "mala" else None
        v = g * g if self.sampler == "rmsprop_sgld" else None
        return position, dl, g, u, v

    def step(self, state: tuple, diagnose: bool) -> tuple[tuple, Tensor | None, Tensor | None]:
        pos, loss, grad, u0, v = state
        eps = self.eps
        xi = self._randn(pos)
        if self.sampler == "rmsprop_sgld":
            precond = 1.0 / (v.sqrt() + _RMS_EPS)
            prop = pos - (0.5 * eps) * precond * grad + (eps * precond).sqrt() * xi
            dl, g = self.pot(prop, None)
            v = torch.addcmul(v * _RMS_ALPHA, g, g, value=1.0 - _RMS_ALPHA)
            gsq = (precond * g * g).sum(-1) if diagnose else None
            return (prop, dl, g, None, v), gsq, None
        prop = torch.addcmul(torch.addcmul(pos, grad, eps, value=-0.5), xi, self.sqrt_eps)
        dl, g = self.pot(prop, None)
        if self.sampler == "sgld":
            if not diagnose:
                return (prop, dl, g, None, None), None, None
            acc = None
            if self.mh:
                e0 = self.pot.energy(pos, loss)
                e1 = self.pot.energy(prop, dl)
                la = mh_log_acceptance(e0, grad, e1, g, xi, eps)
                acc = torch.exp(torch.clamp(la, max=0.0))
            return (prop, dl, g, None, None), (g * g).sum(-1), acc
        u = self.pot.energy(prop, dl)
        log_a = mh_log_acceptance(u0, grad, u, g, xi, eps)
        unif = torch.cat([torch.rand((self.k,), generator=gn, dtype=log_a.dtype,
                                     device=log_a.device) for gn in self.gens])
        acc = torch.log(unif) < log_a
        col = acc.unsqueeze(-1)
        new = (torch.where(col, prop, pos), torch.where(acc, dl, loss),
               torch.where(col, g, grad), torch.where(acc, u, u0), None)
        gsq = (new[2] * new[2]).sum(-1) if diagnose else None
        return new, gsq, torch.exp(torch.clamp(log_a, max=0.0))


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
    sampler: str = "sgld",
    batch_size: int | None = None,
    params: Iterable[str] | None = None,
    seed: int | Sequence[int] = 0,
    device: str | torch.device = "auto",
    method: str = "extrapolate",
) -> list[_est.LLCEstimate]:
    r"""``estimate_llc`` for every problem, all points and chains in one vectorised run.

    ``problems``: ``(model, (inputs, targets))`` pairs or objects with ``.model``, ``.data``
    (and ``.loss``, used when ``loss=None``; a family's :class:`~slttheory.models.Problem`),
    all with equal :func:`batch_signature`. ``seed``: one int for every point or one per point.
    The other arguments (``method`` included) are those of
    :func:`~slttheory.sampling.estimate_llc` and apply to every point. Point ``p``'s result
    equals ``estimate_llc(model_p, data_p, seed=seed[p], ...)`` up to floating-point rounding
    (module docstring: per-point generators, per-point calibration, per-point temperature
    scan and stopping).

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
    if not isinstance(problems, Sequence) or isinstance(problems, str | bytes):
        raise TypeError(f"problems must be a sequence of problems, got {type(problems).__name__}")
    if len(problems) == 0:
        raise ValueError("problems must contain at least one problem")
    if sampler not in _SAMPLERS:
        raise ValueError(f"sampler must be one of {sorted(_SAMPLERS)}, got {sampler!r}")
    if method not in _est.METHODS:
        raise ValueError(f"method must be one of {list(_est.METHODS)}, got {method!r}")
    unpacked = [_unpack(p) for p in problems]
    losses = [loss if loss is not None else (lo if lo is not None else "gaussian")
              for _, _, lo in unpacked]
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer | Sequence):
        raise TypeError(f"seed must be an int or a sequence of ints, got {seed!r}")
    seeds = [int(seed)] * len(problems) if isinstance(seed, int | np.integer) else list(seed)
    if len(seeds) != len(problems):
        raise ValueError(f"seed: {len(seeds)} seeds for {len(problems)} problems")
    sig0 = batch_signature(unpacked[0][0], unpacked[0][1], losses[0])
    for i, ((m, dat, _), lo) in enumerate(zip(unpacked, losses, strict=True)):
        if batch_signature(m, dat, lo) != sig0:
            raise ValueError(
                f"problems[{i}] differs from problems[0] in architecture, data shapes or loss "
                "(batch_signature); batch only problems of one architecture"
            )
    resolved = [
        _est._resolve(m, dat, lo, n, beta, localization, step_size, chains, draws, burn_in,
                      sampler, batch_size, params, sd, device)
        for (m, dat, _), lo, sd in zip(unpacked, losses, seeds, strict=True)
    ]
    setups = [r[0] for r in resolved]
    (_, n_, beta_v, gamma, step_size, chains, draws, burn_in, bs, _, dev, auto) = resolved[0]
    seeds = [r[9] for r in resolved]
    nbeta = n_ * beta_v
    ok = [i for i, s in enumerate(setups) if math.isfinite(s.init_loss)]
    out: list[Any] = [None] * len(problems)
    for i in set(range(len(problems))) - set(ok):
        out[i] = _est._nonfinite_result(setups[i], n_, beta_v, gamma, step_size, chains, draws,
                                        burn_in, sampler, bs, seeds[i], dev, auto, t0, method)
    if ok:
        if method == "single":
            scan = {"nbeta_chain": np.full(chains, nbeta), "chains": chains,
                    "step_scale": None, "stat_groups": 1, "group_steps": False,
                    "converged": None}
        else:
            grid = np.asarray(_est._xp.GRID, dtype=float)
            scan = _est._scan_args(setups[ok[0]], nbeta, grid, chains, step_size)
            scan["nbeta_chain"] = np.repeat(nbeta * grid, chains)
        runs, recs = _sample_batched(
            [setups[i] for i in ok], [unpacked[i][0] for i in ok],
            _est._per_sample_loss(losses[0]), [seeds[i] for i in ok], nbeta=nbeta,
            gamma=gamma, step_size=step_size, draws=draws, burn_in=burn_in, sampler=sampler,
            batch_size=bs, **{k: v for k, v in scan.items() if k != "nbeta_cal"})
        share = (time.perf_counter() - t0) / len(problems)
        for i, run, rec in zip(ok, runs, recs, strict=True):
            s = setups[i]
            if method == "single":
                est = _est._single_result(s, run, n_, beta_v, gamma, chains, sampler, bs,
                                          seeds[i], dev, auto, draws is None, rec)
            else:
                est = _est._scan_result(s, run, grid, n_, beta_v, gamma, chains, sampler, bs,
                                        seeds[i], dev, auto, draws is None, rec)
            _est._flag(est.diagnostics.warnings, f"estimate_llc_batched (problem {i})")
            out[i] = _est._with_time(est, share)
    return out


def _sample_batched(setups, models, per_sample, seeds, *, nbeta, gamma, step_size, chains,
                    draws, burn_in, sampler, batch_size, nbeta_chain, step_scale=None,
                    stat_groups=1, group_steps=False, converged=None) -> tuple[list, list]:
    """The batched counterpart of ``estimator._sample`` (same phases, per-point decisions).

    ``chains`` rows per point at the inverse temperatures ``nbeta_chain`` (``(chains,)``),
    with initial step multipliers ``step_scale`` and ``stat_groups`` temperature groups, as
    ``estimator._sample``'s arguments. Returns the per-point runs and position records."""
    p, k = len(setups), chains
    dev, dt = setups[0].device, setups[0].dtype
    gens = [torch.Generator(device=dev).manual_seed(sd) for sd in seeds]
    batch = _Batch(setups, models, per_sample, k, batch_size)
    run_auto: list[str] = []
    cals: list[Any] = [None] * p
    eps = np.full(p, np.nan)
    if step_size is None:
        for i, s in enumerate(setups):
            cals[i] = _est._calibrate(s, nbeta, gamma, batch_size, sampler, gens[i])
            eps[i] = cals[i].step_size
        run_auto.append("step_size")
    else:
        eps[:] = step_size
    has_acc = sampler == "mala" or (sampler == "sgld" and batch.full)
    # estimate_llc's per-chain nβ tensor has the model's dtype; its warm-up and stopping rules
    # read it back, rounded: use the same rounding so the per-point decisions agree exactly
    nb_t = torch.as_tensor(np.asarray(nbeta_chain, dtype=float), dtype=dt, device=dev)
    nb_dt = nb_t.double().cpu().numpy()
    scale = np.ones((p, k)) if step_scale is None else np.tile(
        step_scale.to(dt).double().cpu().numpy(), (p, 1))
    every = _est.DIAG_EVERY
    recs = [_est._Positions() for _ in range(p)]

    def stepper(pts: Tensor) -> _Stepper:
        pot = batch.potential(pts, nb_t, gamma, gens)
        idx = pts.cpu().numpy()
        rows_eps = (torch.as_tensor(eps[idx], dtype=dt, device=dev).unsqueeze(1)
                    * torch.as_tensor(scale[idx], dtype=dt, device=dev)).reshape(-1)
        if step_scale is None:
            rows_eps = torch.tensor(np.repeat(eps[idx], k), dtype=dt, device=dev)
        return _Stepper(sampler, pot, rows_eps, [gens[i] for i in pts.tolist()], k)

    def run(st: _Stepper, state: tuple, tr: Tensor, gs: Tensor, ac: Tensor | None,
            start: int, stop: int, pts: Tensor | None = None) -> tuple:
        pl = None if pts is None else pts.tolist()
        for t in range(start, stop):
            diag = t % every == 0
            state, gsq, acc = st.step(state, diag)
            tr[:, t] = state[1]
            if diag:
                gs[:, t // every] = gsq
                if ac is not None:
                    ac[:, t // every] = acc
                if pl is not None:
                    for j, i in enumerate(pl):
                        recs[i].store(t, state[0][j * k:(j + 1) * k])
        return state

    # state of all points, (P·K, ·) rows; phases work on the rows of their points
    allp = torch.arange(p, device=dev)
    st = stepper(allp)
    pos0 = batch.center.repeat_interleave(k, dim=0).clone()
    state = list(st.init(pos0))
    warm = np.zeros(p, dtype=int)

    def gather(rows: Tensor) -> tuple:
        return tuple(None if x is None else x[rows] for x in state)

    def scatter(rows: Tensor, sub: tuple) -> None:
        for j, x in enumerate(sub):
            if x is not None:
                state[j][rows] = x

    if step_size is None and sampler != "mala":
        w = _est.WARMUP_STEPS
        active = allp
        for _ in range(_est.WARMUP_ROUNDS):
            if active.numel() == 0:
                break
            rows = _rows(active, k)
            st = stepper(active)
            wtr = torch.empty((rows.numel(), w), dtype=dt, device=dev)
            wgs = torch.empty((rows.numel(), w // every), dtype=dt, device=dev)
            sub = run(st, gather(rows), wtr, wgs, None, 0, w)
            scatter(rows, sub)
            warm[active.cpu().numpy()] += w
            keep = []
            for j, i in enumerate(active.tolist()):
                r = slice(j * k, (j + 1) * k)
                if group_steps:
                    upd = _est._warmup_rescale_groups(wtr[r], wgs[r], nb_dt, eps[i], scale[i],
                                                      stat_groups)
                    if upd is None:
                        continue
                    new_scale, reset = upd
                    # estimate_llc keeps the multipliers in the model's dtype
                    scale[i] = torch.as_tensor(new_scale, dtype=dt).double().numpy()
                    if reset.any():
                        rr = torch.as_tensor(np.flatnonzero(reset), device=dev) + i * k
                        state[0][rr] = batch.center[i].expand(rr.numel(), -1)
                    keep.append(i)
                    continue
                new = _est._warmup_rescale(wtr[r], wgs[r], float(nb_dt[0]), eps[i])
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

    adaptive, total, cap, burn_in = _est._run_lengths(draws, burn_in, run_auto)
    tr, gs, ac = _est._buffers(p * k, cap, dt, dev, has_acc)
    # every point has its own run length (its adaptive rule, as in estimate_llc); the points
    # still running always share the same number of steps done, and run together to the
    # nearest length one of them asked for
    target = np.full(p, total)
    totals = np.zeros(p, dtype=int)
    active, done = allp, 0
    while active.numel():
        stop = int(target[active.cpu().numpy()].min())
        rows = _rows(active, k)
        st = stepper(active)
        full_set = active.numel() == p
        if full_set:
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
            nxt = _est._extend(tr[i * k:(i + 1) * k], stop, burn_in, cap, adaptive,
                               nb_dt[:, None], stat_groups, converged)
            if nxt is None:
                totals[i] = stop
            else:
                target[i] = nxt
                keep.append(i)
        active = torch.tensor(keep, dtype=torch.long, device=dev)

    runs = []
    for i in range(p):
        r = slice(i * k, (i + 1) * k)
        tot = int(totals[i])
        one = _est._collect(tr[r], gs[r], None if ac is None else ac[r], tot,
                            _est._burn(tot, burn_in), eps[i], cals[i], list(run_auto),
                            int(warm[i]))
        if step_scale is not None:
            one.step_scale = scale[i].copy()
        runs.append(one)
    return runs, recs
