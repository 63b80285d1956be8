"""Seed 000's Arrhenius test on Anthropic's Toy Models of Superposition, two transition detectors.

Model (Elhage et al. 2022, arXiv 2209.10652, §2): features ``x ∈ ℝ^F``, each present with
probability ``feature_prob`` (= 1 − S) with value U[0, 1]; ``h = W x ∈ ℝ^m`` (m < F);
``x̂ = ReLU(Wᵀh + b)``; per-sample loss ``ℓ = Σ_k I_k (x_k − x̂_k)²`` with importance
``I_k = importance_decay^k``. A fixed finite data set of ``n_samples`` points (drawn from an
explicit generator) makes ``L_n`` and the LLC well defined. Trained with Adam on minibatches;
the detectors read the full-data loss ``L_n`` at every step (``detect_on="full"``, the
default) or the logged minibatch loss (``detect_on="batch"``). (On L_n, which is smooth, the
seed's smoothing changes little, and the smoothed and raw detectors mostly find the same
transitions; whether the seed's "training loss curve" was the minibatch loss is not stated.)

Seed 000 (Lakkapragada 2025, arXiv 2512.00686, Q1 Exp. 2, Fig. 4): transitions are found by
(1) smoothing the training loss over ~10 steps and (2) taking segments where the loss fell by
≥ 10 % of its total decrease (:func:`detect_seed`); ``ΔF_{i→j} = F_i − F_j`` between
consecutive transitions with ``F = n L_n + λ̂ log n``; ``log r_{i→j}`` (``r = j − i`` steps)
is regressed on ΔF. The seed found an upward slope with smoothing and a downward one with "a
more rudimentary, non-smoothing" detector (:func:`detect_seed` with ``window=1``). A third,
robust detector (:func:`detect_robust`) takes peaks of ``−d log L / d log t`` on a log-time
grid with a minimum prominence and a minimum share of the total drop.

Registered experiment: ``arrhenius_tms_detectors``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from slttheory.experiments import stats as st
from slttheory.experiments._runs import (
    INIT_SEED_OFFSET,
    clean_llc,
    estimate,
    linear_and_log_checkpoints,
    llc_kwargs,
    llc_settings,
)
from slttheory.experiments.base import (
    Analysis,
    Experiment,
    FigureSpec,
    RunContext,
    Setting,
    Statistic,
    pack_state,
    register,
    unpack_state,
)

__all__ = [
    "TMS",
    "Transition",
    "tms_data",
    "tms_loss",
    "moving_average",
    "detect_seed",
    "detect_robust",
    "consecutive_pairs",
]

SEED000 = "Lakkapragada 2025, arXiv 2512.00686 (seed 000)"


# ------------------------------------------------------------------------------ model, data


class TMS(torch.nn.Module):
    """Toy model of superposition ``x̂ = ReLU(WᵀW x + b)``, ``W ∈ ℝ^{m×F}`` (Elhage et al.
    2022, §2).

    >>> m = TMS(5, 2)
    >>> m(torch.zeros(3, 5)).shape
    torch.Size([3, 5])
    """

    def __init__(self, n_features: int, n_hidden: int) -> None:
        super().__init__()
        if n_features < 1 or n_hidden < 1:
            raise ValueError(f"n_features, n_hidden must be >= 1, got {n_features}, {n_hidden}")
        self.W = torch.nn.Parameter(torch.zeros(n_hidden, n_features))
        self.b = torch.nn.Parameter(torch.zeros(n_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu((x @ self.W.T) @ self.W + self.b)


def tms_data(
    n_features: int, n_samples: int, feature_prob: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x, x)``: ``n_samples`` sparse feature vectors, each feature present with probability
    ``feature_prob`` with value U[0, 1] (Elhage et al. 2022, §2), drawn from ``seed``.

    >>> x, y = tms_data(6, 100, 0.1, 0)
    >>> x.shape, bool((x == y).all()), 0.0 < float((x > 0).float().mean()) < 0.3
    (torch.Size([100, 6]), True, True)
    """
    if not 0 < feature_prob <= 1:
        raise ValueError(f"feature_prob must be in (0, 1], got {feature_prob}")
    g = torch.Generator().manual_seed(seed)
    mask = torch.rand(n_samples, n_features, generator=g) < feature_prob
    x = torch.rand(n_samples, n_features, generator=g) * mask
    return x, x.clone()


def tms_loss(importance_decay: float = 1.0):
    """Per-sample importance-weighted squared error ``ℓ_i = Σ_k I_k (x̂_ik − x_ik)²``,
    ``I_k = importance_decay^k`` (Elhage et al. 2022, §2).

    >>> float(tms_loss(1.0)(torch.ones(1, 3), torch.zeros(1, 3))[0])
    3.0
    """
    if not 0 < importance_decay <= 1:
        raise ValueError(f"importance_decay must be in (0, 1], got {importance_decay}")

    def loss(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        k = outputs.shape[-1]
        w = importance_decay ** torch.arange(k, dtype=outputs.dtype, device=outputs.device)
        return ((outputs - targets) ** 2 * w).sum(-1)

    loss.__name__ = f"tms_loss_{importance_decay:g}"
    return loss


# ------------------------------------------------------------------------------- detectors


@dataclass(frozen=True)
class Transition:
    """A detected transition: steps ``start`` ≤ ``peak`` ≤ ``end`` and the loss ``drop``."""

    start: int
    peak: int
    end: int
    drop: float


def moving_average(y: Sequence[float], window: int) -> np.ndarray:
    """Centred moving average over ``window`` points (shrinking at the ends).

    >>> moving_average([0.0, 3.0, 0.0, 3.0], 3).tolist()
    [1.5, 1.0, 2.0, 1.5]
    """
    a = np.asarray(y, dtype=float)
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    if window == 1 or a.size == 0:
        return a.copy()
    lo, hi = window // 2, window - 1 - window // 2
    c = np.concatenate([[0.0], np.cumsum(a)])
    idx = np.arange(a.size)
    left = np.maximum(idx - lo, 0)
    right = np.minimum(idx + hi + 1, a.size)
    return (c[right] - c[left]) / (right - left)


def detect_seed(loss: Sequence[float], window: int = 10, min_frac: float = 0.1) -> list[Transition]:
    """Seed 000's detector: smooth the per-step loss over ``window`` steps (1: no smoothing),
    then every maximal run of strictly decreasing steps whose drop is ≥ ``min_frac`` of the
    total decrease ``L(0) − min L`` is a transition (``end``: where the run stops; ``peak``:
    its steepest step).

    >>> y = [1.0] * 20 + [0.5] * 20 + [0.1] * 20
    >>> [(t.start, t.end) for t in detect_seed(y, window=5)]
    [(17, 22), (37, 42)]
    """
    if not 0 < min_frac <= 1:
        raise ValueError(f"min_frac must be in (0, 1], got {min_frac}")
    s = moving_average(loss, window)
    if s.size < 2 or not np.all(np.isfinite(s)):
        return []
    total = float(s[0] - s.min())
    if total <= 0:
        return []
    d = np.diff(s)
    out, i = [], 0
    while i < d.size:
        if d[i] < 0:
            j = i
            while j + 1 < d.size and d[j + 1] < 0:
                j += 1
            drop = float(s[i] - s[j + 1])
            if drop >= min_frac * total:
                peak = i + int(np.argmin(d[i : j + 1]))
                out.append(Transition(i, peak, j + 1, drop))
            i = j + 1
        else:
            i += 1
    return out


def detect_robust(
    loss: Sequence[float],
    points_per_decade: int = 40,
    smooth_decades: float = 0.1,
    min_prominence: float = 0.1,
    min_frac: float = 0.1,
    start: int = 10,
) -> list[Transition]:
    """Robust detector: ``g = −d log L / d log t`` of the loss, interpolated onto a log-time
    grid (``points_per_decade``) from ``start`` on and smoothed over ``smooth_decades``; every
    peak of ``g`` with prominence ≥ ``min_prominence`` whose half-height interval carries a drop
    ≥ ``min_frac`` of the total decrease is a transition (``start``/``end``: where ``g`` falls
    below half the peak's height; ``peak``: its step). Noise of a minibatch loss is averaged in
    log time, so the result does not hinge on a window in steps. The factor t/L puts the peak
    of ``g`` slightly after the steepest point of ``L`` (below: 1580 for a drop centred at 1500).

    >>> t = np.arange(3000)
    >>> y = 1.0 - 0.5 / (1 + np.exp(-(t - 300) / 15)) - 0.4 / (1 + np.exp(-(t - 1500) / 40))
    >>> [round(tr.peak, -1) for tr in detect_robust(y)]
    [310, 1580]
    """
    from scipy.signal import find_peaks

    y = np.asarray(loss, dtype=float)
    if y.size < start + 10 or not np.all(np.isfinite(y)) or np.any(y <= 0):
        return []
    lt0, lt1 = math.log10(max(start, 1)), math.log10(y.size - 1)
    npts = max(8, int((lt1 - lt0) * points_per_decade))
    grid = np.linspace(lt0, lt1, npts)
    # average the loss over each grid cell (in log t) before differentiating
    edges = 10 ** np.concatenate([[grid[0]], (grid[1:] + grid[:-1]) / 2, [grid[-1]]])
    c = np.concatenate([[0.0], np.cumsum(np.log(y))])
    lo = np.clip(np.floor(edges[:-1]).astype(int), 0, y.size - 1)
    hi = np.clip(np.ceil(edges[1:]).astype(int), lo + 1, y.size)
    ly = (c[hi] - c[lo]) / (hi - lo)
    w = max(1, int(round(smooth_decades * points_per_decade)))
    ly = moving_average(ly, w)
    g = -np.gradient(ly, grid * math.log(10))
    total = float(y[: max(1, start)].mean() - moving_average(y, 10).min())
    if total <= 0:
        return []
    peaks, _ = find_peaks(g, prominence=min_prominence)
    out = []
    for p in peaks:
        half = g[p] / 2
        a = p
        while a > 0 and g[a - 1] > half:
            a -= 1
        b = p
        while b < g.size - 1 and g[b + 1] > half:
            b += 1
        ta, tp, tb = (int(round(10 ** grid[k])) for k in (a, p, b))
        drop = float(math.exp(ly[a]) - math.exp(ly[b]))
        if drop >= min_frac * total and (not out or ta >= out[-1].end):
            out.append(Transition(ta, tp, tb, drop))
    return out


def consecutive_pairs(transitions: Sequence[Transition]) -> list[tuple[int, int]]:
    """``(i, j)`` = ends of consecutive transitions with ``j > i`` (seed 000: "any two
    consecutive transitions").

    >>> consecutive_pairs([Transition(0, 1, 2, 1.0), Transition(5, 6, 9, 1.0)])
    [(2, 9)]
    """
    ends = [tr.end for tr in transitions]
    return [(a, b) for a, b in zip(ends, ends[1:], strict=False) if b > a]


# ------------------------------------------------------------------------------ one run

LLC_TMS = llc_settings(
    llc_step_size=5e-4, llc_localization=1.0, llc_draws=400, llc_burn_in=0, llc_chains=2
)
"""Seed 000's table, Q1 Exp. 2: SGLD ε = 5e-4, γ = 1, 400 steps (nβ: n/log n)."""

SETTINGS: tuple[Setting, ...] = (
    Setting("n_features", int, 6, 2, 1000, doc="F"),
    Setting("n_hidden", int, 2, 1, 1000, doc="m (m < F)"),
    Setting("feature_prob", float, 0.05, 1e-6, 1.0, doc="1 − S"),
    Setting("importance_decay", float, 1.0, 1e-6, 1.0),
    Setting("n_samples", int, 1024, 2, None, doc="fixed data set size n"),
    Setting("init_scale", float, 0.01, 0.0, 100.0, doc="W, b ~ N(0, init_scale²)"),
    Setting("lr", float, 5e-3, 1e-9, 10.0, doc="Adam learning rate"),
    Setting("batch_size", int, 64, 0, None, doc="minibatch size (0: full batch)"),
    Setting("steps", int, 4500, 20, None),
    Setting("checkpoints", int, 100, 0, 10000, doc="LLC checkpoints, linear+log (0: none)"),
    Setting("runs", int, 60, 1, 100000),
    Setting("seed", int, 0, 0),
    Setting(
        "detect_on",
        str,
        "full",
        choices=("full", "batch"),
        doc="loss curve the detectors read: full-data L_n or the logged minibatch loss",
    ),
    Setting("window", int, 10, 2, 10000, doc="seed detector smoothing window (steps)"),
    Setting("min_frac", float, 0.1, 1e-6, 1.0, doc="share of the total drop per transition"),
    Setting("prominence", float, 0.1, 0.0, None, doc="robust detector: peak prominence"),
    Setting("points_per_decade", int, 40, 4, 10000, doc="robust detector log-time grid"),
)
DETECTORS = ("seed", "raw", "robust")


def _detect(name: str, loss: Sequence[float], s: Mapping[str, Any]) -> list[Transition]:
    if name == "seed":
        return detect_seed(loss, s["window"], s["min_frac"])
    if name == "raw":
        return detect_seed(loss, 1, s["min_frac"])
    return detect_robust(
        loss, s["points_per_decade"], min_prominence=s["prominence"], min_frac=s["min_frac"]
    )


def _train(spec: Mapping[str, Any], s: Mapping[str, Any]) -> tuple[dict[str, Any], bytes]:
    seed = spec["seed"]
    data = tms_data(s["n_features"], s["n_samples"], s["feature_prob"], seed)
    lossf = tms_loss(s["importance_decay"])
    g = torch.Generator().manual_seed(seed + INIT_SEED_OFFSET)
    model = TMS(s["n_features"], s["n_hidden"])
    with torch.no_grad():
        model.W.normal_(0.0, s["init_scale"], generator=g) if s["init_scale"] > 0 else None
        model.b.normal_(0.0, s["init_scale"], generator=g) if s["init_scale"] > 0 else None
    opt = torch.optim.Adam(model.parameters(), lr=s["lr"])
    x = data[0]
    n = x.shape[0]
    bs = min(s["batch_size"] or n, n)
    T = s["steps"]
    Ws = torch.empty(T + 1, *model.W.shape)
    bs_ = torch.empty(T + 1, *model.b.shape)
    batch_loss = np.empty(T + 1)
    full_loss = np.empty(T + 1)
    for t in range(T + 1):
        with torch.no_grad():
            Ws[t], bs_[t] = model.W, model.b
            full_loss[t] = float(lossf(model(x), x).mean())
        if t == T:
            batch_loss[t] = full_loss[t]
            break
        idx = torch.randint(0, n, (bs,), generator=g) if bs < n else slice(None)
        xb = x[idx]
        lb = lossf(model(xb), xb).mean()
        opt.zero_grad()
        lb.backward()
        opt.step()
        batch_loss[t] = float(lb.detach())
    series = {"batch_loss": batch_loss, "train_loss": full_loss, "n_train": n}
    return series, pack_state({"all": {"W": Ws, "b": bs_}})


def tms_run(spec: Mapping[str, Any], s: Mapping[str, Any], ctx: RunContext) -> dict[str, Any]:
    """Train one TMS (stage ``train``: per-step minibatch and full-data losses, every step's
    parameters), detect transitions with the three detectors, then stage ``llc@<step>`` at
    every transition end (and at ``checkpoints`` linear+log steps)."""
    seed = spec["seed"]
    series, blob = ctx.stage("train", lambda: _train(spec, s))
    states = unpack_state(blob)["all"]
    data = tms_data(s["n_features"], s["n_samples"], s["feature_prob"], seed)
    lossf = tms_loss(s["importance_decay"])
    curve = series["train_loss"] if s["detect_on"] == "full" else series["batch_loss"]
    det = {d: _detect(d, curve, s) for d in DETECTORS}
    steps = {tr.end for trs in det.values() for tr in trs}
    cks = linear_and_log_checkpoints(s["steps"], s["checkpoints"]) if s["checkpoints"] else []
    steps |= set(cks)
    kw = llc_kwargs(s)

    def make_model() -> TMS:
        return TMS(s["n_features"], s["n_hidden"])

    llc = {}
    for step in sorted(steps):

        def compute(step=step):
            m = make_model()
            m.load_state_dict({"W": states["W"][step], "b": states["b"][step]})
            return estimate(m, data, lossf, kw, seed, ctx.device)

        llc[str(step)], _ = ctx.stage(f"llc@{step}", compute)
    return {
        "spec": dict(spec),
        "series": series,
        "checkpoints": cks,
        "transitions": {d: [tr.__dict__ for tr in trs] for d, trs in det.items()},
        "llc": llc,
    }


# ------------------------------------------------------------------------------ analysis


def _rows(records: Sequence[Mapping[str, Any]], detector: str) -> list[dict[str, Any]]:
    rows = []
    for rec in records:
        ser = rec["series"]
        n = ser["n_train"]
        trs = [Transition(**t) for t in rec["transitions"][detector]]
        for i, j in consecutive_pairs(trs):
            li = clean_llc(rec["llc"].get(str(i)))
            lj = clean_llc(rec["llc"].get(str(j)))
            row = {
                "seed": rec["spec"]["seed"],
                "i": i,
                "j": j,
                "log_r": math.log(j - i),
                "passed_i": li is not None,
                "passed_j": lj is not None,
            }
            if li is not None and lj is not None:
                fi = n * ser["train_loss"][i] + li * math.log(n)
                fj = n * ser["train_loss"][j] + lj * math.log(n)
                row.update(llc_i=li, llc_j=lj, delta_F=fi - fj)
            rows.append(row)
    return rows


def _analyze(s: Mapping[str, Any], records: Sequence[Mapping[str, Any]], alpha: float) -> Analysis:
    from slttheory.experiments.grokking import _scatter_fig

    stats_: dict[str, Statistic] = {}
    figs: list[FigureSpec] = []
    tables: dict[str, Any] = {}
    parts = []
    labels = {
        "seed": f"seed's detector (smoothed over {s['window']} steps)",
        "raw": "seed's detector without smoothing",
        "robust": "robust detector (peaks of −d log L/d log t)",
    }
    for d in DETECTORS:
        rows = _rows(records, d)
        g = [r for r in rows if r.get("delta_F") is not None]
        x, y = [r["delta_F"] for r in g], [r["log_r"] for r in g]
        fit = st.ols(x, y, alpha)
        ntr = [len(rec["transitions"][d]) for rec in records]
        note = (
            f"{len(g)} of {len(rows)} pairs of consecutive transitions (from "
            f"{sum(1 for k in ntr if k >= 2)} of {len(records)} runs) with both LLCs clean; "
            "OLS slope, interval from a wild cluster bootstrap-t over runs (a run's pairs "
            "share endpoints and its seed, so they are not independent)"
        )
        e = st.wild_cluster_slope_ci(x, y, [r["seed"] for r in g], alpha=alpha,
                                     seed=s["seed"])
        # the distinct LLC estimates the pairs use (an end shared by two pairs counts once)
        used = {(r["seed"], r["i"]): r["passed_i"] for r in rows}
        used.update({(r["seed"], r["j"]): r["passed_j"] for r in rows})
        stats_[f"slope_{d}_detector"] = Statistic.from_estimate(
            f"slope_{d}_detector",
            e,
            about="estimator_output",
            min_n=PAIR_MIN,
            n_excluded=sum(not ok for ok in used.values()),
            n_llc=len(used),
            note=note,
        )
        stats_[f"transitions_per_run_{d}"] = _mean_stat(f"transitions_per_run_{d}", ntr, alpha)
        figs.append(
            _scatter_fig(
                f"arrhenius_{d}",
                f"log r against ΔF = F_i − F_j, {labels[d]} (seed 000 Fig. 4)",
                x,
                y,
                fit,
                "ΔF = F_i − F_j (nats)",
                "log r = log(j − i)  (steps)",
            )
        )
        tables[d] = rows
        parts.append(f"{d}: slope {e.value:.3g} [{e.low:.3g}, {e.high:.3g}], {len(g)} pairs"
                     if math.isfinite(e.value) else f"{d}: no slope, {len(g)} pairs")
    rec = records[0]
    ser = rec["series"]
    T = len(ser["train_loss"])
    cks = rec["checkpoints"] or sorted(int(k) for k in rec["llc"])
    figs.append(
        FigureSpec(
            "curves",
            "curves",
            f"seed {rec['spec']['seed']}: losses, transitions (seed detector) and LLC",
            {
                "x": list(range(T)),
                "xlabel": "training step",
                "xscale": "symlog",
                "loss": {
                    "minibatch loss": ser["batch_loss"],
                    f"{s['detect_on']} loss smoothed over {s['window']} steps": moving_average(
                        ser["train_loss" if s["detect_on"] == "full" else "batch_loss"],
                        s["window"],
                    ),
                    "full-data loss": ser["train_loss"],
                },
                "loss_label": "importance-weighted MSE",
                "vlines": [t["end"] for t in rec["transitions"]["seed"]],
                "twin": {
                    "LLC": [clean_llc(rec["llc"].get(str(t))) for t in range(T)],
                    "failed diagnostics (not used)": [
                        None
                        if clean_llc(rec["llc"].get(str(t))) is not None
                        else rec["llc"].get(str(t), {}).get("llc")
                        for t in range(T)
                    ],
                }
                if cks
                else {},
                "twin_label": "LLC λ̂",
            },
        )
    )
    return Analysis(stats_, tuple(figs), "; ".join(parts), tables)


def _mean_stat(name: str, values: Sequence[float], alpha: float) -> Statistic:
    return Statistic.from_estimate(name, st.mean_ci(values, alpha), about="dynamics", min_n=5)


PAIR_MIN = 5
"""Fewest runs contributing pairs (with both LLCs clean) a detector's slope is decided on:
the runs are the cluster bootstrap's independent units, not the pairs."""


def _plan(s: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"seed": s["seed"] + i} for i in range(s["runs"])]


register(
    Experiment(
        "arrhenius_tms_detectors",
        "seed 000's Arrhenius test on Toy Models of Superposition: log(j − i) against "
        "ΔF = F_i − F_j between consecutive transitions, three transition detectors",
        SEED000 + ", Q1 Exp. 2, Fig. 4",
        SETTINGS + LLC_TMS,
        tuple(f"slope_{d}_detector" for d in DETECTORS)
        + tuple(f"transitions_per_run_{d}" for d in DETECTORS),
        _plan,
        tms_run,
        _analyze,
    )
)
