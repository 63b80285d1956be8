"""Experiment claims (``kind = "experiment"``): an experiment, its settings, criteria.

A claim names an experiment of :data:`slttheory.experiments.EXPERIMENTS`, its settings per
profile and one or more criteria on the statistics it returns (schema in
``verification/README.md``); how criteria are judged is
:mod:`slttheory.verify.judge.experiment`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slttheory.verify.claims.common import (
    PROFILES,
    ClaimError,
    claim_id,
    err,
    finite,
    int_limit,
    string,
    texts,
)
from slttheory.verify.expr import shorten

__all__ = ["EXPECTS", "MAX_RUNS", "MAX_SETTING_INT", "Criterion", "ExperimentClaim",
           "parse_experiment_claim"]

MAX_RUNS = 100_000
"""Most runs an experiment claim may plan in one profile (the largest in ``verification/``:
500, seed 000's Arrhenius experiment at full)."""

MAX_SETTING_INT = 10**7
"""Largest integer setting where the experiment itself sets no maximum (``steps``,
``llc_draws``, sample sizes; a ``*seed`` setting may go up to
:data:`~slttheory.verify.claims.common.MAX_SEED`). The claims in ``verification/`` use at most
200 000 training steps; ten million is days of training, so a larger value is a typo."""

EXPECTS = ("positive", "negative", "above", "below", "within")
_TOP = {
    "id",
    "title",
    "source",
    "statement",
    "notes",
    "kind",
    "experiment",
    "settings",
    "profiles",
    "criterion",
    "criteria",
    "withhold",
    "differences",
}
MAX_ALPHA = 0.1
"""Largest ``alpha`` of a criterion: its interval is at level 90 % or more."""

_CRIT = {"statistic", "expect", "threshold", "range", "alpha", "shape"}


@dataclass(frozen=True)
class Criterion:
    """``statistic`` of the experiment, what is expected of it, at level ``1 − alpha``."""

    statistic: str
    expect: str
    threshold: float | None = None
    range: tuple[float, float] | None = None
    alpha: float = 0.05
    shape: str | None = None

    def text(self) -> str:
        tail = "" if self.shape is None else f", shape {self.shape}"
        if self.expect in ("above", "below"):
            return f"{self.statistic} {self.expect} {self.threshold:g}{tail}"
        if self.expect == "within":
            return f"{self.statistic} within [{self.range[0]:g}, {self.range[1]:g}]{tail}"
        return f"{self.statistic} {self.expect}{tail}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "statistic": self.statistic,
            "expect": self.expect,
            "threshold": self.threshold,
            "range": None if self.range is None else list(self.range),
            "alpha": self.alpha,
            "shape": self.shape,
        }


@dataclass(frozen=True)
class ExperimentClaim:
    """A validated experiment claim (duck-types the parts of :class:`Claim` the CLI uses)."""

    id: str
    title: str
    source: str
    experiment: str
    settings: Mapping[str, Mapping[str, Any]]
    criteria: tuple[Criterion, ...]
    statement: str = ""
    notes: str = ""
    path: str = ""
    kind: str = "experiment"
    implemented: bool = True
    withhold: str = ""
    """Why no criterion of the claim can decide, where its experiment cannot reproduce the
    source's condition (TOML ``withhold``): the statistics are shown, the verdict stays
    inconclusive with this reason."""
    differences: tuple[str, ...] = ()
    """Where the experiment's model, data or settings differ from the source's (TOML
    ``differences``, optional; printed in the report as point claims' are)."""

    @property
    def family(self) -> str:
        return f"experiment:{self.experiment}"

    @property
    def evidence(self) -> tuple[str, ...]:
        return ("experiment",)

    def settings_for(self, profile: str) -> dict[str, Any]:
        """``[settings]`` with ``[profiles.<profile>.settings]`` on top, validated."""
        from slttheory.experiments import EXPERIMENTS

        s = dict(self.settings.get("", {}))
        s.update(self.settings.get(profile, {}))
        return EXPERIMENTS[self.experiment].validate(s, f"{self.path}: profile {profile}")

    def points(self, profile: str) -> list[dict[str, Any]]:
        """The runs of ``profile`` (one per row of the store's run key)."""
        from slttheory.experiments import EXPERIMENTS

        return EXPERIMENTS[self.experiment].plan(self.settings_for(profile))


def _parse_criterion(t: Any, path: str, key: str, stats: Sequence[str],
                     shapes: Mapping[str, Sequence[str]] | None = None) -> Criterion:
    if not isinstance(t, dict):
        raise err(path, key, "must be a table")
    unknown = sorted(set(t) - _CRIT)
    if unknown:
        raise err(
            path, f"{key}.{unknown[0]}", f"unknown key (allowed: {', '.join(sorted(_CRIT))})"
        )
    name = t.get("statistic")
    if name not in stats:
        raise err(
            path,
            f"{key}.statistic",
            f"{name!r} is not a statistic of this experiment (allowed: {', '.join(stats)})",
        )
    expect = t.get("expect")
    if expect not in EXPECTS:
        raise err(path, f"{key}.expect", f"must be one of {', '.join(EXPECTS)}, got {expect!r}")
    alpha = t.get("alpha", 0.05)
    if (isinstance(alpha, bool) or not isinstance(alpha, int | float)
            or not 0 < alpha <= MAX_ALPHA):
        raise err(path, f"{key}.alpha", f"must be a number in (0, {MAX_ALPHA}] (an interval "
                  f"at level 1 − alpha of at least {1 - MAX_ALPHA:.0%}: a larger alpha narrows "
                  f"it towards a bare point estimate), got {alpha!r}")
    thr = rng = None
    if expect in ("above", "below"):
        thr = t.get("threshold")
        if isinstance(thr, bool) or not isinstance(thr, int | float) or not finite(thr):
            raise err(
                path,
                f"{key}.threshold",
                f"a finite number is required with expect = {expect!r}, got {thr!r}",
            )
        thr = float(thr)
    elif "threshold" in t:
        raise err(path, f"{key}.threshold", "only with expect = 'above' or 'below'")
    if expect == "within":
        r = t.get("range")
        if (
            not isinstance(r, list)
            or len(r) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool)
                       and (finite(v) or isinstance(v, float)) for v in r)
            or not r[0] < r[1]
        ):
            raise err(path, f"{key}.range", f"must be [low, high] with low < high, got {r!r}")
        rng = (float(r[0]), float(r[1]))
    elif "range" in t:
        raise err(path, f"{key}.range", "only with expect = 'within'")
    shape = t.get("shape")
    allowed = tuple((shapes or {}).get(name, ()))
    if shape is not None and shape not in allowed:
        raise err(path, f"{key}.shape", f"{shape!r} is not a shape statistic {name!r} tests "
                  f"(allowed: {', '.join(allowed) or 'none'})")
    return Criterion(name, expect, thr, rng, float(alpha), shape)


def parse_experiment_claim(data: Mapping[str, Any], path: str) -> ExperimentClaim:
    """Validate an experiment claim (raises :class:`ClaimError` naming file and key): the
    known top-level keys, the required strings, a registered experiment, its settings per
    profile, its criteria, and settings that resolve and stay within bounds."""
    unknown = sorted(set(data) - _TOP)
    if unknown:
        raise err(path, unknown[0],
                  f"unknown key for kind = 'experiment' (allowed: {', '.join(sorted(_TOP))})")
    vals = _required_strings(data, path)
    exp = _registered(vals["experiment"], path)
    settings = _settings(data, path)
    crits = _criteria(data, path, exp)
    withhold = data.get("withhold", "")
    if not isinstance(withhold, str) or ("withhold" in data and not withhold.strip()):
        raise err(path, "withhold", "must be a non-empty string: why no criterion of this "
                  "claim can decide")
    diffs = texts(data, "differences", path, "non-empty strings")
    claim = ExperimentClaim(vals["id"], vals["title"], vals["source"], vals["experiment"],
                            settings, crits, data.get("statement", ""), data.get("notes", ""),
                            path, implemented=exp.implemented, withhold=withhold.strip(),
                            differences=diffs)
    for table, values in settings.items():  # each table alone, so errors name its key
        where = f"{path}: profiles.{table}.settings" if table else f"{path}: settings"
        try:
            exp.validate(values, where)
        except (TypeError, ValueError, ArithmeticError) as e:
            raise ClaimError(str(e)) from None
    _check_sizes(settings, exp, path)
    _check_runs(claim, exp, path)
    return claim


def _check_runs(claim: ExperimentClaim, exp: Any, path: str) -> None:
    """Each profile's merged settings (its tables were validated one by one above) plan at
    most :data:`MAX_RUNS` runs, bounded before the plan is built: the product of the list
    settings' lengths times ``runs``, which every plan's size is at most."""
    for prof in PROFILES:
        try:
            s = claim.settings_for(prof)
        except (TypeError, ValueError, ArithmeticError) as e:  # OverflowError: a huge integer
            raise ClaimError(str(e) if path in str(e) else f"{path}: {e}") from None
        runs = s.get("runs")
        bound = math.prod(len(v) for v in s.values() if isinstance(v, list)) * (
            runs if isinstance(runs, int) and not isinstance(runs, bool) else 1)
        if bound > MAX_RUNS or len(exp.plan(s)) > MAX_RUNS:
            raise err(path, "settings", f"profile {prof} would plan up to {bound} runs, above "
                      f"the limit MAX_RUNS = {MAX_RUNS}")


def _required_strings(data: Mapping[str, Any], path: str) -> dict[str, str]:
    """``id`` (:func:`~slttheory.verify.claims.common.claim_id`), ``title``, ``source`` and
    ``experiment`` (non-empty strings); ``statement`` and ``notes`` non-empty where given."""
    vals = {"id": claim_id(data, path)}
    for k in ("title", "source", "experiment"):
        v = data.get(k)
        if not isinstance(v, str) or not v.strip():
            raise err(path, k, f"must be a non-empty string, got {v!r}" if k in data
                      else "missing (required)")
        vals[k] = v
    for k in ("statement", "notes"):  # optional, and non-empty where given (as point claims')
        string(data, k, path, required=False)
    return vals


def _registered(name: str, path: str) -> Any:
    """The registered experiment ``name`` (:data:`slttheory.experiments.EXPERIMENTS`)."""
    from slttheory.experiments import EXPERIMENTS

    if name not in EXPERIMENTS:
        raise err(path, "experiment",
                  f"unknown experiment {name!r} (known: {', '.join(sorted(EXPERIMENTS))})")
    return EXPERIMENTS[name]


def _settings(data: Mapping[str, Any], path: str) -> dict[str, dict[str, Any]]:
    """The ``[settings]`` table (key ``""``) and each profile's ``[profiles.P.settings]``;
    no integer too large for a number."""
    settings: dict[str, dict[str, Any]] = {}
    base = data.get("settings", {})
    if not isinstance(base, dict):
        raise err(path, "settings", "must be a table")
    settings[""] = dict(base)
    prof = data.get("profiles", {})
    if not isinstance(prof, dict):
        raise err(path, "profiles", "must be a table")
    for pname, ptab in prof.items():
        if pname not in PROFILES:
            raise err(path, f"profiles.{pname}",
                      f"unknown profile (allowed: {', '.join(PROFILES)})")
        if not isinstance(ptab, dict) or set(ptab) - {"settings"}:
            raise err(path, f"profiles.{pname}", "must be a table with only a [settings] table")
        st = ptab.get("settings", {})
        if not isinstance(st, dict):
            raise err(path, f"profiles.{pname}.settings", "must be a table")
        settings[pname] = dict(st)
    for pname, st in settings.items():
        for k, v in st.items():
            for x in v if isinstance(v, list) else [v]:
                if isinstance(x, int) and not isinstance(x, bool) and not finite(x):
                    key = f"profiles.{pname}.settings.{k}" if pname else f"settings.{k}"
                    raise err(path, key, f"{shorten(x)} is too large for a number")
    return settings


def _criteria(data: Mapping[str, Any], path: str, exp: Any) -> tuple[Criterion, ...]:
    """``[criterion]`` and ``[[criteria]]``, at least one, each checked against the
    experiment's statistics and shapes (:func:`_parse_criterion`)."""
    raw: list[tuple[str, Any]] = []
    if "criterion" in data:
        raw.append(("criterion", data["criterion"]))
    if "criteria" in data:
        if not isinstance(data["criteria"], list) or not data["criteria"]:
            raise err(path, "criteria", "must be a non-empty array of tables ([[criteria]])")
        raw += [(f"criteria[{i}]", c) for i, c in enumerate(data["criteria"])]
    if not raw:
        raise err(path, "criterion", "missing (required: [criterion] or [[criteria]])")
    return tuple(_parse_criterion(c, path, k, exp.statistics, exp.shapes) for k, c in raw)


def _check_sizes(settings: Mapping[str, Mapping[str, Any]], exp: Any, path: str) -> None:
    """Integer settings the experiment leaves unbounded stay within :data:`MAX_SETTING_INT`
    (:data:`~slttheory.verify.claims.common.MAX_SEED` for a ``*seed`` setting)."""
    for s in exp.settings:
        if s.type is not int or s.maximum is not None:
            continue
        limit = int_limit(s.name, MAX_SETTING_INT)
        for prof, tab in settings.items():
            v = tab.get(s.name)
            if isinstance(v, int) and not isinstance(v, bool) and abs(v) > limit:
                key = f"profiles.{prof}.settings.{s.name}" if prof else f"settings.{s.name}"
                raise err(path, key, f"must be <= {limit}, got {shorten(v)}")
