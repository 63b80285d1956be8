"""Experiment registry: runs (training + LLC at checkpoints) and their statistical analysis.

An :class:`Experiment` is a sweep of *runs* and an *analysis*:

* ``plan(settings) -> [spec, ...]``: the runs, each a JSON-able mapping with a ``"seed"``;
* ``run(spec, settings, ctx) -> record``: one run (train, then estimate the LLC at chosen
  checkpoints), returning a JSON-able record. Every expensive stage goes through
  ``ctx.stage(key, compute)`` so a store can keep it: the verifier stores one row per
  (claim, run, stage), e.g. ``train`` and ``llc@<step>``, and a killed sweep resumes;
* ``analyze(settings, records, alpha) -> Analysis``: statistics with confidence intervals
  (:class:`Statistic`) and figures (:class:`FigureSpec`, data included).

:func:`run_experiment` runs a whole experiment in memory and returns a frozen
:class:`ExperimentResult`. No global RNG: every run draws from
``torch.Generator().manual_seed(spec["seed"])``.

>>> exp = EXPERIMENTS["_selftest"]
>>> res = run_experiment("_selftest", {"runs": 3}, seed=1)
>>> res.statistics["mean"].estimate, len(res.records)
(2.0, 3)
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

__all__ = [
    "ABOUT",
    "exclusion_note",
    "Setting",
    "Statistic",
    "ShapeTest",
    "FigureSpec",
    "Analysis",
    "ExperimentResult",
    "Experiment",
    "RunContext",
    "StageCache",
    "MemoryCache",
    "EXPERIMENTS",
    "register",
    "run_experiment",
    "pack_state",
    "unpack_state",
]


MAX_LIST = 1000
"""Most entries a list setting may have (the runs it spans are capped by the verifier)."""


@dataclass(frozen=True)
class Setting:
    """One setting of an experiment: name, type (int, float, bool, str, list), default,
    inclusive range (numbers) or allowed values (strings); ``used_with``: the values of the
    experiment's ``model`` setting under which it is used (``()``: always), so that a report
    does not show a setting the run ignored."""

    name: str
    type: type
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    doc: str = ""
    used_with: tuple[str, ...] = ()

    def check(self, value: Any, where: str) -> Any:
        """``value`` checked; raises ``TypeError``/``ValueError`` naming ``where`` and the key."""
        key = f"{where}: {self.name}"
        if self.type is bool:
            if not isinstance(value, bool):
                raise TypeError(f"{key} must be true or false, got {value!r}")
            return value
        if self.type is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{key} must be an integer, got {value!r}")
        elif self.type is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{key} must be a number, got {value!r}")
            value = float(value)
            if not math.isfinite(value):
                raise ValueError(f"{key} must be finite, got {value}")
        elif self.type is str:
            if not isinstance(value, str):
                raise TypeError(f"{key} must be a string, got {value!r}")
        elif self.type is list:
            if not isinstance(value, list | tuple) or not value:
                raise TypeError(f"{key} must be a non-empty list, got {value!r}")
            if len(value) > MAX_LIST:
                raise ValueError(f"{key} has {len(value)} entries, above the limit "
                                 f"MAX_LIST = {MAX_LIST}")
            for v in value:
                if isinstance(v, bool) or not isinstance(v, int | float):
                    raise TypeError(f"{key} must be a list of numbers, got {value!r}")
                if not math.isfinite(v):
                    raise ValueError(f"{key}: entries must be finite, got {v}")
                self._range(v, key)
            repeated = sorted({v for v in value if value.count(v) > 1})
            if repeated:  # a repeated value would count one condition as independent runs
                raise ValueError(f"{key}: repeated values {repeated}")
            return [v for v in value]
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"{key} must be one of {list(self.choices)}, got {value!r}")
        if isinstance(value, int | float):
            self._range(value, key)
        return value

    def _range(self, v: float, key: str) -> None:
        if self.minimum is not None and v < self.minimum:
            raise ValueError(f"{key} must be >= {self.minimum}, got {v}")
        if self.maximum is not None and v > self.maximum:
            raise ValueError(f"{key} must be <= {self.maximum}, got {v}")


ABOUT = ("lambda", "estimator_output", "dynamics")
"""What a :class:`Statistic` is about: ``"lambda"`` (a statement about the learning coefficient,
measured with our own estimator settings), ``"estimator_output"`` (reproduces a seed's
*estimator output* under its sampler settings, not a learning coefficient) or ``"dynamics"``
(training-dynamics quantities: times, accuracies, GSM; no LLC)."""


@dataclass(frozen=True)
class ShapeTest:
    """Fits of candidate *shapes* along a grid variable (``n_c ∝ p log p`` and ``n_c ∝ p``),
    beside the statistic's interval, for a criterion that states one of them (its ``shape``):
    how many distinct ``values`` of ``variable`` were measured, and for each shape in ``fits``
    (``key``, words, goodness-of-fit p with the measurement errors); ``rivals`` maps each key
    to its nearest rival's. A verifier confirms a stated shape only with enough values, the
    shape not rejected and its rival rejected (the scaling rules of ``verification/README.md``).
    ``complete_errors``: the errors include the spread between independent runs; without it
    the fits decide nothing either way.

    >>> t = ShapeTest("p", 4, True, (("p_log_p", "n_c ∝ p log p", 0.6), ("p", "n_c ∝ p", 0.01)),
    ...               {"p_log_p": "p", "p": "p_log_p"})
    >>> t.p_value("p"), t.text("p_log_p"), t.to_dict()["fits"]["p"]["p_value"]
    (0.01, 'n_c ∝ p log p', 0.01)
    """

    variable: str
    values: int
    complete_errors: bool
    fits: tuple[tuple[str, str, float], ...]
    rivals: Mapping[str, str]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k, _, _ in self.fits)

    def p_value(self, key: str) -> float:
        return next(pv for k, _, pv in self.fits if k == key)

    def text(self, key: str) -> str:
        return next(t for k, t, _ in self.fits if k == key)

    def to_dict(self) -> dict[str, Any]:
        return {"variable": self.variable, "values": int(self.values),
                "complete_errors": self.complete_errors,
                "fits": {k: {"text": t, "p_value": _f(pv), "rival": self.rivals.get(k)}
                         for k, t, pv in self.fits}}


@dataclass(frozen=True)
class Statistic:
    """A point estimate with a ``level`` confidence interval ``[low, high]``.

    ``method`` names how the interval was obtained (e.g. ``"t (exact, Gaussian errors)"``,
    ``"bootstrap percentile, 2000 resamples"``); ``n`` the number of *clean* units it rests on
    (runs, pairs, sweep points: see the experiment); ``note`` explains a NaN (e.g. "only 1 run
    grokked") and any exclusion.

    Gating (one rule for every experiment): an LLC estimate is used only when it passed its
    diagnostics (:attr:`slttheory.sampling.Diagnostics.passed`); ``n_excluded`` counts the
    LLC estimates this statistic would have used and left out. ``min_n`` is the fewest clean
    units its criterion may be decided on (5 for a statistic with one value per run); with
    ``n < min_n`` the experiments set the interval to NaN and say so in ``note``, and a
    verifier must not decide on it. ``about`` is one of :data:`ABOUT`; ``needs_controls`` is
    True when the statistic compares an absolute λ̂ with a theorem's value, which means
    nothing unless LLC controls of known λ were measured under the same rules. ``shape``
    (a :class:`ShapeTest`) is set on a statistic whose criterion states a shape along a grid.

    >>> s = Statistic("m", 1.0, 0.5, 1.5, 0.95, "t", 3, min_n=5)
    >>> s.decidable, s.to_dict()["min_n"], s.about
    (False, 5, 'dynamics')
    """

    name: str
    estimate: float
    low: float
    high: float
    level: float
    method: str
    n: int
    note: str = ""
    n_excluded: int = 0
    min_n: int = 1
    about: str = "dynamics"
    needs_controls: bool = False
    shape: ShapeTest | None = None

    def __post_init__(self) -> None:
        if self.about not in ABOUT:
            raise ValueError(f"about must be one of {list(ABOUT)}, got {self.about!r}")
        for k in ("n", "n_excluded", "min_n"):
            v = getattr(self, k)
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0:
                raise ValueError(f"{k} must be an integer >= 0, got {v!r}")
        if not isinstance(self.needs_controls, bool):
            raise TypeError(f"needs_controls must be true or false, got {self.needs_controls!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "estimate": _f(self.estimate),
            "low": _f(self.low),
            "high": _f(self.high),
            "level": self.level,
            "method": self.method,
            "n": int(self.n),
            "note": self.note,
            "n_excluded": int(self.n_excluded),
            "min_n": int(self.min_n),
            "about": self.about,
            "needs_controls": self.needs_controls,
            "shape": None if self.shape is None else self.shape.to_dict(),
        }

    @property
    def finite(self) -> bool:
        return all(math.isfinite(v) for v in (self.estimate, self.low, self.high))

    @property
    def decidable(self) -> bool:
        """A criterion may be decided on it: ``n >= min_n`` and a finite interval."""
        return self.n >= self.min_n and self.finite

    @classmethod
    def from_estimate(
        cls,
        name: str,
        e: Any,
        *,
        about: str,
        min_n: int,
        n_excluded: int = 0,
        n_llc: int = 0,
        needs_controls: bool = False,
        note: str = "",
        shape: ShapeTest | None = None,
        withhold: str = "",
    ) -> Statistic:
        """A statistic from an :class:`~slttheory.experiments.stats.Estimate` ``e`` with the
        gate applied: ``n_excluded`` of ``n_llc`` LLC estimates failed diagnostics (said in the
        note); with ``e.n < min_n``, or a ``withhold`` reason (values that are not evidence,
        e.g. exact but uncertified), the interval is withheld (NaN) and the note says why.

        >>> from slttheory.experiments.stats import Estimate
        >>> s = Statistic.from_estimate("d", Estimate(2.0, 1.0, 3.0, 0.95, "t", 2),
        ...                             about="lambda", min_n=5, n_excluded=3, n_llc=5)
        >>> s.low, s.n, s.n_excluded
        (nan, 2, 3)
        >>> print(s.note.replace("; ", "\\n"))
        3 of 5 LLC estimates failed diagnostics: excluded
        n = 2 clean < min_n = 5: interval withheld (was [1, 3])
        """
        parts = [note] if note else []
        if n_llc and n_excluded:
            parts.append(exclusion_note(n_excluded, n_llc))
        low, high = float(e.low), float(e.high)
        was = (
            f" (was [{low:.4g}, {high:.4g}])"
            if math.isfinite(low) and math.isfinite(high)
            else ""
        )
        if e.n < min_n:
            parts.append(f"n = {e.n} clean < min_n = {min_n}: interval withheld{was}")
            low = high = math.nan
        elif withhold:
            parts.append(f"interval withheld{was}: {withhold}")
            low = high = math.nan
        return cls(
            name,
            float(e.value),
            low,
            high,
            e.level,
            e.method,
            int(e.n),
            "; ".join(parts),
            int(n_excluded),
            int(min_n),
            about,
            needs_controls,
            shape,
        )


def exclusion_note(k: int, total: int) -> str:
    """The sentence every statistic carries when LLC estimates were left out.

    >>> exclusion_note(2, 9)
    '2 of 9 LLC estimates failed diagnostics: excluded'
    """
    return f"{k} of {total} LLC estimates failed diagnostics: excluded"


def _f(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


@dataclass(frozen=True)
class FigureSpec:
    """A figure and the data behind it (rendered by :mod:`slttheory.experiments.figures`).

    ``kind``: ``"curves"`` (series against training step, optional twin axis),
    ``"scatter_fit"`` (points, fitted line, confidence band), ``"histogram"``,
    ``"lines"`` (several y-series against one x). ``data`` is JSON-able.
    """

    name: str
    kind: str
    title: str
    data: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "title": self.title,
            "data": _jsonable(self.data),
        }


@dataclass(frozen=True)
class Analysis:
    """What ``analyze`` returns: statistics, figures, a short summary, extra tables."""

    statistics: Mapping[str, Statistic]
    figures: tuple[FigureSpec, ...] = ()
    summary: str = ""
    tables: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExperimentResult:
    """A whole experiment: its settings, every run's record, statistics and figures."""

    name: str
    settings: Mapping[str, Any]
    records: tuple[Mapping[str, Any], ...]
    statistics: Mapping[str, Statistic]
    figures: tuple[FigureSpec, ...]
    summary: str
    tables: Mapping[str, Any]
    elapsed_s: float


class StageCache(Protocol):
    """Where run stages are kept: ``get(key) -> (value, blob) | None`` and
    ``put(key, value, blob)``."""

    def get(self, key: str) -> tuple[dict[str, Any], bytes | None] | None: ...

    def put(self, key: str, value: dict[str, Any], blob: bytes | None = None) -> None: ...


class MemoryCache:
    """A :class:`StageCache` in a dict (the default for :func:`run_experiment`)."""

    def __init__(self) -> None:
        self.data: dict[str, tuple[dict[str, Any], bytes | None]] = {}

    def get(self, key: str) -> tuple[dict[str, Any], bytes | None] | None:
        return self.data.get(key)

    def put(self, key: str, value: dict[str, Any], blob: bytes | None = None) -> None:
        self.data[key] = (value, blob)


@dataclass
class RunContext:
    """Per run: the device, the stage cache and counters of computed/reused stages.

    ``reruns``: ``(label, setting, factor)`` triples; an LLC stage that feeds a statement about
    λ is computed again with ``estimate_llc``'s ``setting`` (``"localization"`` or
    ``"step_size"``) at ``factor`` times the value its own estimate used (:func:`~slttheory.
    experiments._runs.rerun_stages`), so that a verdict on it can be checked to survive the
    estimator's own settings. Empty (the default): no reruns."""

    device: str = "cpu"
    cache: StageCache = field(default_factory=MemoryCache)
    computed: int = 0
    reused: int = 0
    on_stage: Callable[[str, bool], None] | None = None
    reruns: tuple[tuple[str, str, float], ...] = ()

    def stage(
        self,
        key: str,
        compute: Callable[[], dict[str, Any] | tuple[dict[str, Any], bytes | None]],
    ) -> tuple[dict[str, Any], bytes | None]:
        """The stored ``(value, blob)`` of ``key``, else ``compute()`` stored at once."""
        hit = self.cache.get(key)
        if hit is not None:
            self.reused += 1
            if self.on_stage:
                self.on_stage(key, True)
            return hit
        out = compute()
        value, blob = out if isinstance(out, tuple) else (out, None)
        value = _jsonable(value)
        self.cache.put(key, value, blob)
        self.computed += 1
        if self.on_stage:
            self.on_stage(key, False)
        return value, blob


def _jsonable(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, np.generic):
        return _jsonable(x.item())
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    return x


def pack_state(states: Mapping[str, Mapping[str, Any]]) -> bytes:
    """Model states ``{tag: {param: tensor}}`` as ``.npz`` bytes (no pickle).

    >>> import torch
    >>> b = pack_state({"10": {"W": torch.ones(2)}})
    >>> unpack_state(b)["10"]["W"].tolist()
    [1.0, 1.0]
    """
    arrays = {}
    for tag, st in states.items():
        for name, t in st.items():
            arrays[f"{tag}|{name}"] = t.detach().cpu().numpy()
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def unpack_state(blob: bytes) -> dict[str, dict[str, Any]]:
    """Inverse of :func:`pack_state` (tensors on the CPU); loads with ``allow_pickle=False``."""
    import torch

    out: dict[str, dict[str, Any]] = {}
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        for key in z.files:
            tag, _, name = key.partition("|")
            out.setdefault(tag, {})[name] = torch.from_numpy(z[key].copy())
    return out


@dataclass(frozen=True)
class Experiment:
    """A registered experiment (see the module docstring)."""

    name: str
    description: str
    source: str
    settings: tuple[Setting, ...]
    statistics: tuple[str, ...]
    plan: Callable[[Mapping[str, Any]], list[dict[str, Any]]]
    run: Callable[[Mapping[str, Any], Mapping[str, Any], RunContext], dict[str, Any]]
    analyze: Callable[[Mapping[str, Any], Sequence[Mapping[str, Any]], float], Analysis]
    implemented: bool = True
    shapes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Statistic → the shape keys (:class:`ShapeTest`) a criterion on it may state."""

    def validate(self, settings: Mapping[str, Any], where: str = "settings") -> dict[str, Any]:
        """Defaults filled in, every value checked; unknown keys are errors."""
        known = {s.name: s for s in self.settings}
        unknown = sorted(set(settings) - set(known))
        if unknown:
            raise ValueError(
                f"{where}: {unknown[0]}: unknown setting of experiment {self.name!r} "
                f"(allowed: {', '.join(sorted(known))})"
            )
        out = {}
        for s in self.settings:
            out[s.name] = s.check(settings[s.name], where) if s.name in settings else s.default
        return out


EXPERIMENTS: dict[str, Experiment] = {}
"""Experiment name → :class:`Experiment` (filled by importing :mod:`slttheory.experiments`)."""


def register(exp: Experiment) -> Experiment:
    if exp.name in EXPERIMENTS:
        raise ValueError(f"experiment {exp.name!r} is already registered")
    EXPERIMENTS[exp.name] = exp
    return exp


def run_experiment(
    name: str,
    settings: Mapping[str, Any] | None = None,
    *,
    seed: int | None = None,
    device: str = "cpu",
    alpha: float = 0.05,
    cache: StageCache | None = None,
    reruns: Sequence[tuple[str, str, float]] = (),
) -> ExperimentResult:
    """Run every run of experiment ``name`` and analyse them.

    ``seed`` (if given) replaces the ``seed`` setting; run ``i`` uses ``seed + i`` unless
    the plan says otherwise. ``alpha``: confidence intervals at level ``1 − alpha``.
    ``reruns``: ``(label, setting, factor)`` triples (:class:`RunContext`); the LLCs behind
    statements about λ are also computed at each, kept in their records under ``"reruns"``;
    ``EXPERIMENTS[name].analyze(settings, at_rerun(result.records, label), alpha)`` analyses
    the run at one of them (:func:`slttheory.experiments.at_rerun`).
    """
    if name not in EXPERIMENTS:
        raise ValueError(
            f"name: unknown experiment {name!r} (known: {', '.join(sorted(EXPERIMENTS))})"
        )
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    exp = EXPERIMENTS[name]
    s = dict(settings or {})
    if seed is not None:
        s["seed"] = seed
    s = exp.validate(s)
    cache = cache if cache is not None else MemoryCache()
    t0 = time.perf_counter()
    records = []
    for i, spec in enumerate(exp.plan(s)):
        ctx = RunContext(device=device, cache=_Prefixed(cache, run_key(spec, i)),
                         reruns=tuple(reruns))
        records.append(exp.run(spec, s, ctx))
    an = exp.analyze(s, records, alpha)
    return ExperimentResult(
        name,
        s,
        tuple(records),
        dict(an.statistics),
        tuple(an.figures),
        an.summary,
        dict(an.tables),
        time.perf_counter() - t0,
    )


def run_key(spec: Mapping[str, Any], index: int) -> str:
    """A run's canonical key: its index and spec (sorted JSON).

    >>> run_key({"seed": 3, "lr": 0.01}, 2)
    '2:{"lr": 0.01, "seed": 3}'
    """
    import json

    return f"{index}:{json.dumps(_jsonable(spec), sort_keys=True)}"


class _Prefixed:
    def __init__(self, cache: StageCache, prefix: str) -> None:
        self.cache, self.prefix = cache, prefix

    def get(self, key: str):
        return self.cache.get(f"{self.prefix}/{key}")

    def put(self, key: str, value, blob=None) -> None:
        self.cache.put(f"{self.prefix}/{key}", value, blob)


# ------------------------------------------------------------------ a tiny self-test experiment


def _st_plan(s):
    return [{"seed": s["seed"] + i} for i in range(s["runs"])]


def _st_run(spec, s, ctx):
    v, _ = ctx.stage("value", lambda: {"x": 2.0})
    return {"seed": spec["seed"], "x": v["x"]}


def _st_analyze(s, records, alpha):
    xs = [r["x"] for r in records]
    m = float(np.mean(xs))
    return Analysis({"mean": Statistic("mean", m, m, m, 1 - alpha, "exact (constant)", len(xs))})


register(
    Experiment(
        "_selftest",
        "constant runs (for tests)",
        "slttheory",
        (Setting("runs", int, 2, 1, 100), Setting("seed", int, 0, 0)),
        ("mean",),
        _st_plan,
        _st_run,
        _st_analyze,
    )
)
