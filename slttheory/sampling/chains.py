"""Running the vectorised chains of one estimate: step-size calibration and warm-up, the
sampling loop (:func:`_run_steps`, a traced step per kernel call, the undiagnosed steps
between two diagnostic ones as one scripted loop where the kernel has one, ΔL recorded every
step and diagnostics every ``DIAG_EVERY``-th), the adaptive length (:func:`_converged`), stored
positions for the data-fluctuation estimate (:class:`_Positions`), and the run's diagnostics
(:func:`_summarise`). The rules are stated in :mod:`slttheory.sampling.estimator`'s docstring
(**Step size**, **Draws**).

Internal: the names are private and may change between revisions."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.stats as sps
import torch
from torch import Tensor

from slttheory.sampling import diagnostics as dg
from slttheory.sampling import precondition as pc
from slttheory.sampling.calibrate import StepSizeCalibration, calibrate_step_size
from slttheory.sampling.exchange import EXCHANGE_EVERY, exchange_step
from slttheory.sampling.kernels import fused_kernel
from slttheory.sampling.problem import (
    _curvature,
    _potential,
    _Setup,
)
from slttheory.sampling.progress import StepProgress
from slttheory.sampling.symmetry import OrbitMove, orbit_step

AUTO_MIN_STEPS = 2000
AUTO_MAX_STEPS = 32_000
AUTO_TARGET_RSE = 0.02
RHAT_MAX = 1.05
ESS_MIN = 100  # ESS below which an estimate fails its diagnostics
STATIONARITY_Z_MAX = 3.0
BIAS_WARN = 0.05
MALA_ACCEPT_WARN = 0.15
TARGET_BIAS = 0.02
DIAG_EVERY = 10
TRACE_BLOCK = 100
WARMUP_STEPS = 1000
WARMUP_ROUNDS = 3
MALA_ADAPT_STEPS = 500
MALA_ADAPT_BLOCK = 100
MALA_ACCEPT_FLOOR = 0.4
LAMBDA_FLOOR_EST = 0.1


@dataclass
class _Run:
    delta: np.ndarray  # (K, total) float64
    gsq: np.ndarray  # (K, total // DIAG_EVERY): diagnostics of every DIAG_EVERY-th step
    acc: np.ndarray | None
    total: int
    burn_in: int
    step_size: float
    calibration: StepSizeCalibration | None
    auto: list[str] = field(default_factory=list)
    warmup_steps: int = 0
    preconditioner: str = "none"
    nonfinite: np.ndarray | None = None  # MALA: rejected proposals with NaN/Inf loss, per chain
    step_scale: np.ndarray | None = None  # per-chain multipliers of step_size (group_steps)
    minibatch: bool = False  # ΔL from minibatch losses (see _chains_disagree)


def _run_steps(alg, gen, state, tr, gs, ac, start: int, stop: int, record=None,
               orbit: tuple[int, Callable] | None = None,
               exchange: tuple[int, Callable] | None = None,
               progress: StepProgress | None = None):
    """Advance ``stop - start`` steps, writing ΔL every step and diagnostics every 10th.

    The per-step ΔL tensors are written into ``tr`` once per block of ``TRACE_BLOCK`` steps
    (one copy instead of one indexed write per step); nothing is read back to the host. The
    steps between two diagnostic steps run as one ``alg.block`` call where the kernel has
    one (:func:`~slttheory.sampling.kernels.fused_kernel`: the same steps bit for bit in one
    TorchScript loop), cut after any step that an orbit move or exchange round follows.
    ``record``: a :class:`_Positions` that keeps thinned positions, at diagnostic steps.
    ``orbit``: ``(every, move)``, a Metropolis–Hastings orbit move
    ``move(generator, state) -> state`` after every ``every``-th step
    (:mod:`slttheory.sampling.symmetry`). ``exchange``: ``(every, swap)``, a replica-exchange
    round ``swap(generator, state, parity) -> state`` after every ``every``-th step (after the
    orbit move), parity alternating with the round's index in the phase
    (:mod:`slttheory.sampling.exchange`). ``progress``: told of every block's steps."""
    step = alg.step
    flush = getattr(alg, "flush", None)  # diagnostics computed once per block (SGLD)
    run = getattr(alg, "block", None)  # steps without diagnostics in one call, where it can
    diagnose: bool | str = "defer" if flush is not None else True
    hooks = [h[0] for h in (orbit, exchange) if h is not None]

    def after(u: int, state):
        if orbit is not None and (u + 1) % orbit[0] == 0:
            state = orbit[1](gen, state)
        if exchange is not None and (u + 1) % exchange[0] == 0:
            state = exchange[1](gen, state, ((u + 1) // exchange[0]) % 2)
        return state

    t = start
    while t < stop:
        end = min(stop, t + TRACE_BLOCK)
        block: list[Tensor] = []  # ΔL of each step, (K,), or of a run of steps, (K, k)
        deferred: list[int] = []
        u = t
        while u < end:
            if u % DIAG_EVERY:
                # the steps up to the next diagnostic step, or up to and including the next
                # step an orbit move or exchange round follows, in one call where possible
                last = min(end, (u // DIAG_EVERY + 1) * DIAG_EVERY) - 1
                for every in hooks:
                    last = min(last, u + (-(u + 1)) % every)
                done = run(gen, state, last - u + 1) if run is not None and last > u else None
                if done is not None:
                    state, losses = done
                    block.append(losses[:, :-1])
                    state = after(last, state)
                    block.append(state.loss)  # the last step's ΔL after a move or swap
                    u = last + 1
                    continue
                state, _ = step(gen, state, False)
            else:
                state, info = step(gen, state, diagnose)
                j = u // DIAG_EVERY
                if flush is not None:
                    deferred.append(j)
                else:
                    gs[:, j] = info.grad_sq
                    if ac is not None:
                        ac[:, j] = info.acceptance_prob
                if record is not None:
                    record.store(u, state.position)
            state = after(u, state)
            block.append(state.loss)
            u += 1
        tr[:, t:end] = (torch.stack(block, 1) if all(b.dim() == 1 for b in block) else
                        torch.cat([b if b.dim() == 2 else b.unsqueeze(1) for b in block], 1))
        if deferred:
            gsq, prob = flush()
            gs[:, deferred] = gsq.T
            if ac is not None and prob is not None:
                ac[:, deferred] = prob.T
        if progress is not None:
            progress.advance(end - t)
        t = end
    return state


POSITIONS_MAX = 512  # stored draws per chain for the data-fluctuation estimate
POSITIONS_MEMORY = 2 ** 24  # at most this many stored numbers (chains × draws × d)


class _Positions:
    """Thinned chain positions for the data-fluctuation estimate: at most ``capacity``
    stored steps; when full, every other one is dropped and the stride doubles (so the kept
    steps stay evenly spaced over the whole run, whatever its adaptive length)."""

    @classmethod
    def sized(cls, chains: int, d: int) -> _Positions:
        """``POSITIONS_MAX`` draws per chain, fewer when ``chains·d`` is large (memory)."""
        return cls(int(min(POSITIONS_MAX, max(16, POSITIONS_MEMORY // max(chains * d, 1)))))

    def __init__(self, capacity: int = 128) -> None:
        self.capacity, self.stride = capacity, DIAG_EVERY
        self.steps: list[int] = []
        self.pos: list[Tensor] = []
        self.to_position: Callable[[Tensor], Tensor] | None = None  # sampler coords -> w

    def store(self, t: int, position: Tensor) -> None:
        if t % self.stride:
            return
        self.steps.append(t)
        self.pos.append(position.detach().clone())
        if len(self.steps) > self.capacity:
            self.stride *= 2
            keep = [i for i, u in enumerate(self.steps) if u % self.stride == 0]
            self.steps = [self.steps[i] for i in keep]
            self.pos = [self.pos[i] for i in keep]

    def after(self, burn_in: int) -> Tensor | None:
        """Stored positions at steps ≥ ``burn_in``, ``(chains, draws, d)``."""
        sel = [p for u, p in zip(self.steps, self.pos, strict=True) if u >= burn_in]
        if not sel:
            return None
        out = torch.stack(sel, dim=1)
        if self.to_position is not None:
            out = self.to_position(out.reshape(-1, out.shape[-1])).reshape(out.shape)
        return out


def _sample(s: _Setup, *, nbeta_chain: Tensor, nbeta_cal: float, gamma: float,
            step_size: float | None, chains: int, draws: int | None, burn_in: int | None,
            sampler: str, batch_size: int, seed: int, step_scale: Tensor | None = None,
            stat_groups: int = 1, preconditioner: str | None = None,
            group_steps: bool = False,
            converged: Callable[[np.ndarray, int], tuple[bool, float]] | None = None,
            record: _Positions | None = None, jitter: float = 0.0,
            orbit: OrbitMove | None = None, exchange: bool = False,
            progress: StepProgress | None = None) -> _Run:
    """Calibrate (if needed) and run ``len(nbeta_chain)`` chains; adaptive length if asked.

    ``preconditioner`` (``"dense"``/``"diagonal"``): the chains run in the coordinates of
    the curvature at ``nbeta_cal`` (:mod:`slttheory.sampling.precondition`; the Hutchinson
    probes of ``"diagonal"`` are drawn first from the generator). With an automatic step
    size, the calibration is re-checked on warm-up blocks of the production chains (up to
    ``WARMUP_ROUNDS`` blocks of ``WARMUP_STEPS``): while the estimated relative bias exceeds
    twice the target, ε is scaled by target/estimate; the warm-up steps are discarded
    (reported in ``config.burn_in``). ``group_steps``: the ``stat_groups`` groups of chains
    (temperatures) get their own step multipliers, each retuned on its own warm-up draws
    (:func:`_warmup_rescale_groups`); the final per-chain multipliers are in
    ``_Run.step_scale``. ``converged``: the adaptive stopping rule on the kept nβΔL draws
    (default :func:`_converged`). ``record``: keeps thinned positions (parameter
    coordinates) of the production steps. ``jitter``: MALA's step-size jitter
    (:func:`~slttheory.sampling.kernels.jittered_step`) in the warm-up and production steps.
    ``orbit``: a symmetry move (:func:`~slttheory.sampling.symmetry.orbit_step`) interleaved
    with every phase's steps (parameter coordinates only: no preconditioner). ``exchange``:
    replica-exchange rounds between the ``stat_groups`` temperatures
    (:func:`~slttheory.sampling.exchange.exchange_step`), likewise in every phase.
    ``progress``: counts the steps after the step-size pilot against the planned length
    (:mod:`slttheory.sampling.progress`); the caller closes it.
    """
    gen = torch.Generator(device=s.device).manual_seed(seed)
    auto: list[str] = []
    kind = pc.resolve_preconditioner(preconditioner)
    curv = _curvature(s, kind, nbeta_cal, gamma, gen)
    cal = None
    if step_size is None:
        cal = _calibrate(s, nbeta_cal, gamma, batch_size, sampler, gen, curv)
        step_size = cal.step_size
        auto.append("step_size")
    k = nbeta_chain.shape[0]
    pot = _potential(s, nbeta_chain, gamma, batch_size, curv)
    omove = None if orbit is None else (
        orbit.every, lambda g, st: orbit_step(pot, orbit, g, st))
    xmove = None if not exchange or stat_groups < 2 else (
        EXCHANGE_EVERY, lambda g, st, par: exchange_step(pot, st, stat_groups, par, g))
    has_acc = sampler == "mala" or (sampler == "sgld" and pot.full_batch)
    nb_np = nbeta_chain.double().cpu().numpy()

    scale = None if step_scale is None else step_scale.to(s.dtype)

    def build(eps_value: float):
        eps = torch.full((k,), eps_value, dtype=s.dtype, device=s.device)
        if scale is not None:
            eps = eps * scale
        return fused_kernel(sampler, pot, eps, jitter=jitter)

    alg = build(step_size)
    state = alg.init(pot.center.expand(k, -1).clone(), gen)
    warm = 0
    first = _run_lengths(draws, burn_in, [])[1]  # the production phase's first planned length

    def plan(steps: int) -> None:  # the progress bar's total: steps done + still planned
        if progress is not None:
            progress.plan(progress.done + steps)

    if cal is not None and (sampler != "mala" or group_steps):
        w = WARMUP_STEPS
        wtr = torch.empty((k, w), dtype=s.dtype, device=s.device)
        wgs = torch.empty((k, w // DIAG_EVERY), dtype=s.dtype, device=s.device)
        wac = (torch.empty((k, w // DIAG_EVERY), dtype=s.dtype, device=s.device)
               if sampler == "mala" else None)
        for _ in range(WARMUP_ROUNDS):
            plan(w + first)
            state = _run_steps(alg, gen, state, wtr, wgs, wac, 0, w, orbit=omove,
                               exchange=xmove, progress=progress)
            warm += w
            if group_steps:
                cur = (torch.ones(k, dtype=s.dtype, device=s.device) if scale is None
                       else scale)
                upd = _warmup_rescale_groups(wtr, wgs, nb_np, step_size,
                                             cur.double().cpu().numpy(), stat_groups, wac)
                if upd is None:
                    break
                new_scale, reset = upd
                scale = torch.as_tensor(new_scale, dtype=s.dtype, device=s.device)
                pos = state.position
                if reset.any():
                    rows = torch.as_tensor(reset, device=s.device)
                    pos = torch.where(rows.unsqueeze(-1), pot.center.expand(k, -1), pos)
                alg = build(step_size)
                state = alg.init(pos.clone(), gen)
                continue
            new = _warmup_rescale(wtr, wgs, nb_np, step_size, scale)
            if new is None:
                break
            step_size = new
            alg = build(step_size)
            state = alg.init(state.position, gen)

    adaptive, total, cap, burn_in = _run_lengths(draws, burn_in, auto)
    tr, gs, ac = _buffers(k, cap, s.dtype, s.device, has_acc)
    done = 0
    plan(total)
    if cal is not None and sampler == "mala":
        for done in range(0, _mala_window(total, burn_in), MALA_ADAPT_BLOCK):
            state = _run_steps(alg, gen, state, tr, gs, ac, done, done + MALA_ADAPT_BLOCK,
                               orbit=omove, exchange=xmove, progress=progress)
            new = _mala_shrink(ac, done, step_size)
            if new is not None:
                step_size = new
                alg = build(step_size)
        done = _mala_window(total, burn_in)
    while True:
        state = _run_steps(alg, gen, state, tr, gs, ac, done, total, record, orbit=omove,
                           exchange=xmove, progress=progress)
        done = total
        nxt = _extend(tr, total, burn_in, cap, adaptive, nb_np[:, None], stat_groups,
                      converged)
        if nxt is None:
            break
        plan(nxt - total)
        total = nxt
    run = _collect(tr, gs, ac, total, _burn(total, burn_in), step_size, cal, auto, warm,
                   kind, state.nonfinite)
    if scale is not None:
        run.step_scale = scale.double().cpu().numpy()
    run.minibatch = not pot.full_batch
    if record is not None and hasattr(pot, "to_position"):
        record.to_position = pot.to_position
    return run


# Phase steps shared by ``_sample`` and the batched sampler (``batched._sample_batched``), so
# that a point of a batched run takes exactly the decisions of its own ``estimate_llc`` run.


def _calibrate(s: _Setup, nbeta: float, gamma: float, batch_size: int, sampler: str,
               gen: torch.Generator, curvature: pc.Curvature | None = None
               ) -> StepSizeCalibration:
    """Step-size pilot on the potential at ``nbeta`` (draws from ``gen``), in the
    coordinates of ``curvature`` when given."""
    pot1 = _potential(s, nbeta, gamma, batch_size, curvature)
    return calibrate_step_size(pot1, pot1.center, sampler=sampler, nbeta=nbeta, generator=gen,
                               target_bias=TARGET_BIAS)


def _warmup_rescale(wtr: Tensor, wgs: Tensor, nbeta: np.ndarray | float,
                    step_size: float, scale: Tensor | None = None) -> float | None:
    r"""Re-check of the calibrated ε on one warm-up block of one point's chains.

    Relative bias :math:`b = \overline{\varepsilon_c|\nabla L|^2} / (8\hat\lambda)` from the
    second half of the block, :math:`\varepsilon_c` = ε times chain c's multiplier ``scale``
    (1 without one: :func:`~slttheory.sampling.wbic.estimate_llc_multitemp` runs its chains at
    ε·β_max/β_j, which the pooled bias must see); ``None`` when :math:`b \le 2\cdot` target
    (or not finite), else the rescaled :math:`\varepsilon\max(\mathrm{target}/b, 0.1)`."""
    w = wtr.shape[1]
    lam = float((wtr[:, w // 2:].double().mean(1).cpu().numpy() * nbeta).mean())
    per_chain = wgs[:, wgs.shape[1] // 2:].double().mean(1)
    if scale is not None:
        per_chain = per_chain * scale.double().to(per_chain.device)
    g = float(per_chain.mean())
    b = step_size * g / (8.0 * max(lam, LAMBDA_FLOOR_EST))
    if not math.isfinite(b) or b <= 2 * TARGET_BIAS:
        return None
    return step_size * max(TARGET_BIAS / b, 0.1)


def _warmup_rescale_groups(wtr: Tensor, wgs: Tensor, nbeta: np.ndarray, step_size: float,
                           scale: np.ndarray, groups: int, wac: Tensor | None = None
                           ) -> tuple[np.ndarray, np.ndarray] | None:
    r"""Per-group re-check of the step size on one warm-up block (``groups`` equal slices of
    chains, one temperature each).

    SGLD / RMSProp-SGLD: each group's relative bias :math:`b_g =
    \varepsilon_g\overline{|\nabla U|^2}/(8\hat\lambda_g)` (second half of the block,
    :math:`\varepsilon_g` = ``step_size`` times the group's multiplier) is brought to
    ``TARGET_BIAS``: multipliers are scaled by :math:`\mathrm{target}/b_g` clipped to [0.1, 3]
    when :math:`b_g` is above twice or below half the target. MALA (``wac``, the warm-up
    acceptance probabilities): a group whose mean acceptance :math:`a_g` is outside
    [0.5, 0.8] is scaled by :math:`e^{3(a_g - 0.65)}` clipped to [0.2, 3] (the calibration
    targets 0.65). A group with a non-finite trace is divided by 10 and its chains are
    restarted at :math:`w^*`. Returns ``(new multipliers, chains to restart)``, or ``None``
    when no group changed (the multipliers are fixed before the production steps, so the
    chains' invariant law is untouched)."""
    k = wtr.shape[0]
    w = wtr.shape[1]
    per = k // groups
    tr = wtr.double().cpu().numpy()
    gs = wgs.double().cpu().numpy()
    acc = None if wac is None else wac.double().cpu().numpy()
    new = scale.copy()
    reset = np.zeros(k, dtype=bool)
    changed = False
    for g in range(groups):
        sl = slice(g * per, (g + 1) * per)
        block = tr[sl]
        if not np.all(np.isfinite(block)) or not np.all(np.isfinite(gs[sl])):
            new[sl] = scale[sl] / 10.0
            reset[sl] = True
            changed = True
            continue
        if acc is not None:
            a = float(np.nanmean(acc[sl, acc.shape[1] // 2:]))
            if math.isfinite(a) and not 0.5 <= a <= 0.8:
                new[sl] = scale[sl] * min(max(math.exp(3.0 * (a - 0.65)), 0.2), 3.0)
                changed = True
            continue
        lam = float((block[:, w // 2:].mean(1) * nbeta[sl]).mean())
        gm = float(gs[sl, gs.shape[1] // 2:].mean())
        b = step_size * float(scale[sl].mean()) * gm / (8.0 * max(lam, LAMBDA_FLOOR_EST))
        if not math.isfinite(b) or b <= 0:
            continue
        if b > 2 * TARGET_BIAS or b < TARGET_BIAS / 2:
            new[sl] = scale[sl] * min(max(TARGET_BIAS / b, 0.1), 3.0)
            changed = True
    return (new, reset) if changed else None


def _mala_window(total: int, burn_in: int | None) -> int:
    """Steps at the start of MALA's production run in which ε may still shrink: the first
    half of the burn-in, at most ``MALA_ADAPT_STEPS``, in whole blocks."""
    w = min(MALA_ADAPT_STEPS, _burn(total, burn_in) // 2)
    return w - w % MALA_ADAPT_BLOCK


def _mala_shrink(ac: Tensor, start: int, step_size: float) -> float | None:
    r"""After the block of ``MALA_ADAPT_BLOCK`` steps from ``start`` of one point's chains:
    a smaller ε when their mean acceptance probability (``ac``, every ``DIAG_EVERY``-th step)
    is below ``MALA_ACCEPT_FLOOR``, else ``None``.

    The pilot's chains start at :math:`w^*`; the production chains move on to where the
    curvature is larger and may then accept too rarely (measured: 0.2 instead of the pilot's
    0.65 for one RRR rank-0 run). MALA's rejection rate grows as :math:`\varepsilon^{3/2}`
    (Roberts & Rosenthal 1998), so :math:`\varepsilon \leftarrow \varepsilon\,(r^*/r)^{2/3}`
    with :math:`r^* = 1 - 0.65`, by a factor in [1/4, 0.8]. ε only shrinks: raising it to the target
    on these chains made singular points mix worse. The steps belong to the burn-in."""
    a = ac[:, start // DIAG_EVERY:(start + MALA_ADAPT_BLOCK) // DIAG_EVERY]
    acc = float(a.double().mean())
    if not acc < MALA_ACCEPT_FLOOR:
        return None
    return step_size * min(max(((1.0 - 0.65) / (1.0 - acc)) ** (2.0 / 3.0), 0.25), 0.8)


def _run_lengths(draws: int | None, burn_in: int | None,
                 auto: list[str]) -> tuple[bool, int, int, int | None]:
    """``(adaptive, first total, cap, burn_in)`` of the production phase; records the
    automatic choices in ``auto`` (``burn_in=None`` with adaptive draws means total // 4)."""
    adaptive = draws is None
    if adaptive:
        auto.append("draws")
        total = AUTO_MIN_STEPS if burn_in is None else burn_in + AUTO_MIN_STEPS
        cap = AUTO_MAX_STEPS if burn_in is None else burn_in + AUTO_MAX_STEPS
    else:
        if burn_in is None:
            burn_in = draws // 3
            auto.append("burn_in")
        total = cap = burn_in + draws
    if burn_in is None:
        auto.append("burn_in")
    return adaptive, total, cap, burn_in


def _burn(total: int, burn_in: int | None) -> int:
    """Burn-in of a run of ``total`` steps (a quarter when adaptive with ``burn_in=None``)."""
    return total // 4 if burn_in is None else burn_in


def _buffers(rows: int, cap: int, dtype: torch.dtype, device: torch.device, has_acc: bool
             ) -> tuple[Tensor, Tensor, Tensor | None]:
    """ΔL trace ``(rows, cap)`` and per-``DIAG_EVERY`` gradient/acceptance buffers."""
    nd = (cap + DIAG_EVERY - 1) // DIAG_EVERY
    tr = torch.empty((rows, cap), dtype=dtype, device=device)
    gs = torch.empty((rows, nd), dtype=dtype, device=device)
    ac = torch.empty((rows, nd), dtype=dtype, device=device) if has_acc else None
    return tr, gs, ac


def _collect(tr: Tensor, gs: Tensor, ac: Tensor | None, total: int, burn_in: int,
             step_size: float, calibration: StepSizeCalibration | None, auto: list[str],
             warmup_steps: int, preconditioner: str = "none",
             nonfinite: Tensor | None = None) -> _Run:
    """The first ``total`` steps of the buffers of one run as a float64 :class:`_Run`."""
    nd = (total + DIAG_EVERY - 1) // DIAG_EVERY
    return _Run(
        delta=tr[:, :total].double().cpu().numpy(),
        gsq=gs[:, :nd].double().cpu().numpy(),
        acc=None if ac is None else ac[:, :nd].double().cpu().numpy(),
        total=total,
        burn_in=burn_in,
        step_size=float(step_size),
        calibration=calibration,
        auto=auto,
        warmup_steps=warmup_steps,
        preconditioner=preconditioner,
        nonfinite=None if nonfinite is None else nonfinite.double().cpu().numpy(),
    )


def _extend(tr: Tensor, total: int, burn_in: int | None, cap: int, adaptive: bool,
            nbeta: np.ndarray | float, groups: int,
            rule: Callable[[np.ndarray, int], tuple[bool, float]] | None = None) -> int | None:
    """Adaptive rule after ``total`` steps of the chains ``tr``: ``None`` when the run is
    complete (fixed length, the cap reached, or ``rule`` — default :func:`_converged` — on
    nβΔL after burn-in), else the next run length (:func:`_next_total`)."""
    if not adaptive or total >= cap:
        return None
    kept = tr[:, _burn(total, burn_in):total].double().cpu().numpy()
    ok, factor = (rule or _converged)(kept * nbeta, groups)
    return None if ok else _next_total(total, factor, cap)


def _next_total(total: int, factor: float, cap: int) -> int:
    r"""Run length for the next adaptive round: the MC error falls as 1/√draws, so ``factor``
    (:math:`(\mathrm{se}/\mathrm{target})^2`, or 2 when R-hat or stationarity failed) times the
    current length, with a 15 % margin, growing at least 1.25× and at most 4× per round."""
    grow = min(max(1.15 * factor, 1.25), 4.0) if math.isfinite(factor) else 2.0
    return min(cap, int(math.ceil(total * grow / 100.0)) * 100)


def _converged(scaled: np.ndarray, groups: int) -> tuple[bool, float]:
    r"""Adaptive stopping rule on nβΔL draws, per temperature group of chains.

    Every criterion is one the estimate's diagnostics also check (:func:`_summarise`), so a
    run that stops by this rule before the cap passes them: the MC error at most
    ``AUTO_TARGET_RSE`` of λ̂, R-hat ≤ ``RHAT_MAX``, the halves of the trace agreeing, and an
    ESS of the mean and a bulk ESS of at least ``ESS_MIN`` (:func:`.diagnostics.gate_ess`;
    which the MC target alone does not imply once λ ≳ 25: the draws' relative spread is about
    1/√λ, so 2 % needs an ESS of only about 2500/λ).

    Returns ``(converged, factor)``: ``factor`` estimates how much longer the run must be,
    :math:`(\mathrm{se}/\mathrm{target})^2` where the MC error is the failing criterion,
    ``ESS_MIN``/ESS where the ESS is (it grows in proportion to the draws), 2 where R-hat or
    the stationarity test fails (a doubling, as before).

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> _converged(30.0 + 5.0 * rng.standard_normal((4, 2000)), 1)[0]    # ESS ≈ 8000
    True
    """
    if not np.all(np.isfinite(scaled)):
        return True, 1.0  # diverged: more steps will not help; report it
    factor = 1.0
    for g in np.split(scaled, groups, axis=0):
        lam = g.mean()
        se = dg.mcse(g)
        target = AUTO_TARGET_RSE * max(abs(lam), 0.05)
        if not (se <= target):
            factor = max(factor, (se / target) ** 2 if math.isfinite(se) else 2.0)
        r = dg.rhat(g) if g.shape[0] > 1 else 1.0
        if r > RHAT_MAX:
            factor = max(factor, 2.0)
        z = dg.stationarity_z(g)
        if abs(z) > STATIONARITY_Z_MAX:
            factor = max(factor, 2.0)
        e = dg.gate_ess(g)
        if not e >= ESS_MIN:
            factor = max(factor, ESS_MIN / e if math.isfinite(e) and e > 0 else 2.0)
    return factor == 1.0, factor


def _converged_record(scaled: np.ndarray, groups: int) -> tuple[bool, float]:
    r"""The stopping rule of a scan kept only as a record (a Morse–Bott zero, where λ = k/2
    is known before sampling, :func:`~slttheory.sampling.estimator._morse_bott_rank`): every
    temperature's chains agree (R-hat), are stationary and have an ESS of the mean and a bulk
    ESS of at least 100 — a sample that passes its diagnostics — but no Monte-Carlo precision
    target, which the estimate does not need."""
    if not np.all(np.isfinite(scaled)):
        return True, 1.0
    for g in np.split(scaled, groups, axis=0):
        r = dg.rhat(g) if g.shape[0] > 1 else 1.0
        e = dg.gate_ess(g)
        if r > RHAT_MAX or abs(dg.stationarity_z(g)) > STATIONARITY_Z_MAX or not e >= ESS_MIN:
            return False, 2.0
    return True, 1.0


def _summarise(run: _Run, nbeta: np.ndarray, d: int, sampler: str, adaptive: bool
               ) -> tuple[np.ndarray, float, float, dg.Diagnostics]:
    """Per-chain estimates, llc, MC s.e. and diagnostics of one temperature group."""
    nb = nbeta[:, None]
    kept = run.delta[:, run.burn_in:] * nb
    full = run.delta * nb
    per_chain = kept.mean(axis=1)
    explode = 10.0 * d / 2.0 + 50.0
    bad = ~np.isfinite(full).all(axis=1) | (np.nan_to_num(full, nan=np.inf).max(axis=1)
                                            > explode)
    warn: list[str] = []
    div_chains = tuple(int(i) for i in np.flatnonzero(bad))
    if div_chains:
        warn.append(
            f"divergent chains {list(div_chains)}: NaN/Inf loss or nbeta*(L - L*) above "
            f"{explode:.0f} (10x d/2 + 50); reduce step_size or check the model/loss"
        )
    if run.nonfinite is not None and np.any(run.nonfinite > 0):
        ch = [int(i) for i in np.flatnonzero(run.nonfinite > 0)]
        warn.append(
            f"{int(run.nonfinite.sum())} proposals with a NaN/Inf loss were rejected in chains "
            f"{ch}: the loss is not finite near w* (the estimate covers only where it is); "
            "check the model/loss"
        )
    good = ~bad
    use = kept[good] if good.any() else kept
    llc = float(use.mean()) if use.size else math.nan
    se = dg.mcse(use) if use.shape[1] >= 4 else math.nan
    ess = dg.ess(use)
    bulk = dg.ess(use, method="bulk")
    gate = min(ess, bulk)
    rh = dg.rhat(use) if use.shape[0] > 1 else math.nan
    z = dg.stationarity_z(use) if use.shape[1] >= 8 else math.nan
    db = (run.burn_in + DIAG_EVERY - 1) // DIAG_EVERY
    acc = None if run.acc is None else float(np.nanmean(run.acc[:, db:]))
    stuck = sampler == "mala" and acc == 0.0 and math.isfinite(llc)
    if stuck:
        # every proposal after burn-in rejected: the chains sat at their start, and the
        # 0 (or whatever L - L* there is) their trace averages is no estimate of anything
        warn.append("no MALA proposal was accepted after burn-in: the chains never moved, "
                    "so the trace holds no estimate; reduce step_size")
        llc = se = math.nan
    bias = None
    if sampler == "mala":
        bias = 0.0
    elif good.any() and math.isfinite(llc) and llc != 0:
        g = float(run.gsq[good, db:].mean())
        eps_eff = run.step_size
        bias = eps_eff * g / (8.0 * abs(llc))
    if math.isfinite(rh) and rh > RHAT_MAX:
        warn.append(f"R-hat {rh:.3f} > {RHAT_MAX}: chains disagree; run longer (draws) or "
                    "check for multimodality")
    if math.isfinite(z) and abs(z) > STATIONARITY_Z_MAX:
        warn.append(f"loss trace not stationary (first vs second half z = {z:.1f}); "
                    "increase burn_in/draws")
    disagree = _chains_disagree(use) if run.minibatch else None
    if disagree is not None:
        warn.append(f"chain means disagree beyond their Monte-Carlo errors (χ² p = "
                    f"{disagree:.1e}): minibatch noise in the loss trace hides slow drift "
                    "from R-hat and the stationarity check; run longer (draws=None chooses "
                    "the length) or use a larger batch_size")
    constant = use.size > 0 and bool(np.all(use == use.flat[0]))
    if constant and not stuck:  # "run longer" would be the wrong advice (an outside probe)
        warn.append("the loss trace is constant over every kept draw: the chains never moved "
                    "(a step size far too small) or the loss does not depend on the sampled "
                    "parameters, so ESS and R-hat are undefined")
    elif math.isfinite(gate) and gate < ESS_MIN:
        which = "of the mean" if gate == ess else "bulk"
        # rounded down: 99.6 read "100 < 100" (an outside probe)
        warn.append(f"effective sample size ({which}) {math.floor(gate)} < {ESS_MIN}; "
                    "run longer")
    elif (not math.isfinite(gate) or (use.shape[0] > 1 and not math.isfinite(rh))) and (
            np.isfinite(use).all()):  # a NaN trace is no short one: the divergence says why
        warn.append(f"{use.shape[1]} kept draw(s) per chain are too few for an effective "
                    "sample size and R-hat; run longer (draws)")
    if sampler == "mala" and acc is not None and acc < MALA_ACCEPT_WARN:
        warn.append(f"MALA acceptance rate {acc:.3f} < {MALA_ACCEPT_WARN}: the step size is "
                    "too large where the chains are, they rarely move; reduce step_size")
    if sampler == "rmsprop_sgld":
        warn.append(RMSPROP_WARNING)
    if bias is not None and bias > BIAS_WARN:
        warn.append(f"estimated discretisation bias {100 * bias:.1f}% of the LLC "
                    f"(> {100 * BIAS_WARN:.0f}%); reduce step_size or use sampler='mala'")
    if math.isfinite(llc) and llc < 0:
        warn.append("negative LLC: the chains found loss below L(w*), so w* is not a local "
                    "minimum of this loss (train further, localize more, or check that `loss` is "
                    "the one the model was trained on)")
    notes: list[str] = []
    if adaptive and math.isfinite(se) and math.isfinite(llc) and (
            se > AUTO_TARGET_RSE * max(abs(llc), 0.05) * 1.5):
        notes.append(f"Monte-Carlo error {se:.3g} above the {100 * AUTO_TARGET_RSE:.0f}% "
                     f"target after the maximal {AUTO_MAX_STEPS} steps (in the error bars)")
    if not math.isfinite(llc):
        warn.append("LLC estimate is not finite")
    if run.calibration is not None and run.calibration.at_grid_edge:
        warn.append(f"step-size calibration hit the edge of its grid (eps = "
                    f"{run.step_size:.3g}); check the scale of the loss")
    diag = dg.Diagnostics(
        # chains that never moved failed (their warning says so) but did not diverge
        ess=ess, rhat=rh, acceptance_rate=acc,
        divergent=bool(div_chains) or not (stuck or math.isfinite(llc)), warnings=warn,
        stationarity_z=z, estimated_bias=bias,
        divergent_chains=div_chains, calibration=run.calibration, notes=notes,
        ess_bulk=bulk,
    )
    return per_chain, llc, se, diag


RMSPROP_WARNING = (
    "sampler='rmsprop_sgld' omits the Γ correction and adapts its preconditioner along the "
    "chain, so its stationary law is not the localised posterior, and the discretisation-bias "
    "estimate does not include that error (measured +12 % to +24 % on a regular 3-parameter "
    "quadratic, where the estimate read 2 %): it is kept to compare with devinterp; use "
    "'mala' or 'sgld' to estimate λ")
"""Every ``rmsprop_sgld`` estimate carries this warning (and so fails its diagnostics): an
outside audit measured λ̂ = 1.48, 1.37, 1.51 ± 0.03–0.04 against the exact 1.216 of the
localised posterior of ½wᵀHw (d = 3, n = 200), with ``estimated_bias`` 1.6–2.3 %."""


CHAINS_DISAGREE_P = 1e-3
"""The p-value below which chain means count as disagreeing (:func:`_chains_disagree`)."""


def _chains_disagree(trace: np.ndarray) -> float | None:
    """The χ² p-value of the chain means about their grand mean, each with its own MCSE,
    where it is below :data:`CHAINS_DISAGREE_P` (else ``None``). With minibatch gradients the
    loss trace carries nearly independent batch noise that inflates the within-chain variance:
    R-hat and the stationarity z stay quiet while every chain drifts. Minibatch SGLD on a
    4-parameter linear regression (batch 5 of 500, 1500 draws) passed with R-hat 1.018 and
    chain means 0.49–1.16 against the exact 1.975 (an outside probe of the estimator).

    >>> rng = np.random.default_rng(0)
    >>> _chains_disagree(rng.normal(size=(4, 2000))) is None
    True
    >>> _chains_disagree(rng.normal(size=(4, 2000)) + np.arange(4)[:, None]) < 1e-3
    True
    """
    k, t = trace.shape
    if k < 2 or t < 8:
        return None
    means = trace.mean(axis=1)
    se = np.array([dg.mcse(trace[i:i + 1]) for i in range(k)])
    if not (np.isfinite(se).all() and (se > 0).all() and np.isfinite(means).all()):
        return None
    w = 1.0 / se**2
    grand = float((w * means).sum() / w.sum())
    p = float(sps.chi2.sf(float((w * (means - grand) ** 2).sum()), k - 1))
    return p if p < CHAINS_DISAGREE_P else None


def _group_run(run: _Run, sl: slice) -> _Run:
    """The chains ``sl`` of a scan as their own run (step size times their multiplier)."""
    eps = run.step_size if run.step_scale is None else run.step_size * float(
        np.mean(run.step_scale[sl]))
    return _Run(run.delta[sl], run.gsq[sl], None if run.acc is None else run.acc[sl],
                run.total, run.burn_in, eps, run.calibration, run.auto, run.warmup_steps,
                run.preconditioner, None if run.nonfinite is None else run.nonfinite[sl],
                minibatch=run.minibatch)


def _unsampled_run(chains: int, step_size: float | None, preconditioner: str = "none") -> _Run:
    """The :class:`_Run` of an estimate that ran no chain (no draws, the given step size)."""
    return _Run(np.zeros((chains, 0)), np.zeros((chains, 0)), None, 0, 0,
                math.nan if step_size is None else step_size, None,
                preconditioner=preconditioner)
