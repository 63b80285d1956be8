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
    Faults,
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

        return _merged(self.settings, EXPERIMENTS[self.experiment], profile, self.path)

    def points(self, profile: str) -> list[dict[str, Any]]:
        """The runs of ``profile`` (one per row of the store's run key)."""
        from slttheory.experiments import EXPERIMENTS

        return EXPERIMENTS[self.experiment].plan(self.settings_for(profile))


def parse_experiment_claim(data: Mapping[str, Any], path: str) -> ExperimentClaim:
    """Validate an experiment claim (raises :class:`ClaimError` naming file and key): the
    known top-level keys, the required strings, a registered experiment, its settings per
    profile, its criteria, and settings that resolve and stay within bounds.

    Checks that do not depend on each other all run, so that a file with several faults names
    them together (:class:`~slttheory.verify.claims.common.Faults`), in the order the checks
    run: the first is the one the file would report with it alone. A check runs only where
    the checks it needs passed: a criterion's statistic and shape and the settings' values need
    a registered experiment, its threshold or range a valid ``expect``, the runs a profile
    plans every settings table valid (:func:`_check_settings`).
    """
    faults = Faults(path)
    faults.take(_top_keys, data, path)
    cid = faults.take(claim_id, data, path)
    title = faults.take(string, data, "title", path)
    source = faults.take(string, data, "source", path)
    name = faults.take(string, data, "experiment", path)
    for k in ("statement", "notes"):  # optional, and non-empty where given (as point claims')
        faults.take(string, data, k, path, False)
    exp = faults.take(_registered, name, path) if name is not None else None
    settings, complete = _settings(data, path, faults)
    crits = _criteria(data, path, exp, faults)
    withhold = faults.take(_withhold, data, path)
    diffs = faults.take(texts, data, "differences", path, "non-empty strings")
    if exp is not None:
        _check_settings(settings, complete, exp, path, faults)
    faults.raise_any()  # below, every key is valid
    return ExperimentClaim(cid, title, source, name, settings, crits, data.get("statement", ""),
                           data.get("notes", ""), path, implemented=exp.implemented,
                           withhold=withhold, differences=diffs)


def _top_keys(data: Mapping[str, Any], path: str) -> None:
    """Raise naming the first top-level key an experiment claim does not know."""
    unknown = sorted(set(data) - _TOP)
    if unknown:
        raise err(path, unknown[0],
                  f"unknown key for kind = 'experiment' (allowed: {', '.join(sorted(_TOP))})")


def _fault(path: str, key: str, msg: str) -> None:
    """Raise ``err(path, key, msg)``: a fault found inline, taken by :class:`Faults`."""
    raise err(path, key, msg)


def _registered(name: str, path: str) -> Any:
    """The registered experiment ``name`` (:data:`slttheory.experiments.EXPERIMENTS`)."""
    from slttheory.experiments import EXPERIMENTS

    if name not in EXPERIMENTS:
        raise err(path, "experiment",
                  f"unknown experiment {name!r} (known: {', '.join(sorted(EXPERIMENTS))})")
    return EXPERIMENTS[name]


def _withhold(data: Mapping[str, Any], path: str) -> str:
    """``withhold`` (stripped; ``""`` when absent): a non-empty string where given."""
    withhold = data.get("withhold", "")
    if not isinstance(withhold, str) or ("withhold" in data and not withhold.strip()):
        raise err(path, "withhold", "must be a non-empty string: why no criterion of this "
                  "claim can decide")
    return withhold.strip()


# -- settings ----------------------------------------------------------------------------


def _settings(data: Mapping[str, Any], path: str, faults: Faults
              ) -> tuple[dict[str, dict[str, Any]], bool]:
    """The ``[settings]`` table (key ``""``) and each profile's ``[profiles.P.settings]``
    that is a table with no integer too large for a number, and whether every one is (each
    fault taken apart; a table with one is left out)."""
    settings: dict[str, dict[str, Any]] = {}
    base = faults.take(_table, data, "settings", path)
    if base is not None:
        settings[""] = dict(base)
    profiles = faults.take(_table, data, "profiles", path)
    complete = base is not None and profiles is not None
    for pname, ptab in (profiles or {}).items():
        st = faults.take(_profile_settings, pname, ptab, path)
        if st is None:
            complete = False
        else:
            settings[pname] = dict(st)
    for pname, st in list(settings.items()):
        start = len(faults)
        for k, v in st.items():
            faults.take(_fits, v, path, _setting_key(pname, k))
        if len(faults) > start:
            complete = False
            del settings[pname]
    return settings, complete


def _table(data: Mapping[str, Any], key: str, path: str, prefix: str = "") -> dict[str, Any]:
    """The table at ``data[key]`` (``{}`` when absent); errors name ``prefix + key``."""
    v = data.get(key, {})
    if not isinstance(v, dict):
        raise err(path, prefix + key, "must be a table")
    return v


def _profile_settings(pname: str, ptab: Any, path: str) -> dict[str, Any]:
    """The ``[settings]`` table of ``[profiles.<pname>]``, a known profile with only that
    table."""
    if pname not in PROFILES:
        raise err(path, f"profiles.{pname}", f"unknown profile (allowed: {', '.join(PROFILES)})")
    if not isinstance(ptab, dict) or set(ptab) - {"settings"}:
        raise err(path, f"profiles.{pname}", "must be a table with only a [settings] table")
    return _table(ptab, "settings", path, f"profiles.{pname}.")


def _setting_key(profile: str, name: str) -> str:
    """The key of setting ``name`` in ``profile``'s table (``""``: ``[settings]``)."""
    return f"profiles.{profile}.settings.{name}" if profile else f"settings.{name}"


def _fits(v: Any, path: str, key: str) -> Any:
    """A setting's value (or list of values) with no integer too large for a number."""
    for x in v if isinstance(v, list) else [v]:
        if isinstance(x, int) and not isinstance(x, bool) and not finite(x):
            raise err(path, key, f"{shorten(x)} is too large for a number")
    return v


def _check_settings(settings: Mapping[str, Mapping[str, Any]], complete: bool, exp: Any,
                    path: str, faults: Faults) -> None:
    """Each table against the experiment (alone, so that errors name its key), integer sizes
    (:func:`_check_size`), and, where every table is valid, the runs of each profile
    (:func:`_check_runs`); faults taken apart."""
    start = len(faults)
    for table, values in settings.items():
        where = f"{path}: profiles.{table}.settings" if table else f"{path}: settings"
        faults.take(_validate, exp, values, where)
    for s in exp.settings:
        if s.type is int and s.maximum is None:
            for prof, tab in settings.items():
                faults.take(_check_size, s.name, tab.get(s.name), path,
                            _setting_key(prof, s.name))
    if complete and len(faults) == start:
        faults.take(_check_runs, settings, exp, path)


def _validate(exp: Any, values: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``exp.validate``; what it raises as a :class:`ClaimError`."""
    try:
        return exp.validate(values, where)
    except (TypeError, ValueError, ArithmeticError) as e:
        raise ClaimError(str(e)) from None


def _check_size(name: str, v: Any, path: str, key: str) -> None:
    """An integer setting the experiment leaves unbounded stays within
    :data:`MAX_SETTING_INT` (:data:`~slttheory.verify.claims.common.MAX_SEED` for a
    ``*seed`` setting)."""
    limit = int_limit(name, MAX_SETTING_INT)
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > limit:
        raise err(path, key, f"must be <= {limit}, got {shorten(v)}")


def _merged(settings: Mapping[str, Mapping[str, Any]], exp: Any, profile: str,
            path: str) -> dict[str, Any]:
    """``[settings]`` with ``[profiles.<profile>.settings]`` on top, validated."""
    s = dict(settings.get("", {}))
    s.update(settings.get(profile, {}))
    return exp.validate(s, f"{path}: profile {profile}")


def _check_runs(settings: Mapping[str, Mapping[str, Any]], exp: Any, path: str) -> None:
    """Each profile's merged settings (its tables were validated one by one above) plan at
    most :data:`MAX_RUNS` runs, bounded before the plan is built: the product of the list
    settings' lengths times ``runs``, which every plan's size is at most."""
    for prof in PROFILES:
        try:
            s = _merged(settings, exp, prof, path)
        except (TypeError, ValueError, ArithmeticError) as e:  # OverflowError: a huge integer
            raise ClaimError(str(e) if path in str(e) else f"{path}: {e}") from None
        runs = s.get("runs")
        bound = math.prod(len(v) for v in s.values() if isinstance(v, list)) * (
            runs if isinstance(runs, int) and not isinstance(runs, bool) else 1)
        if bound > MAX_RUNS or len(exp.plan(s)) > MAX_RUNS:
            raise err(path, "settings", f"profile {prof} would plan up to {bound} runs, above "
                      f"the limit MAX_RUNS = {MAX_RUNS}")


# -- criteria ----------------------------------------------------------------------------


def _criteria(data: Mapping[str, Any], path: str, exp: Any, faults: Faults
              ) -> tuple[Criterion, ...]:
    """``[criterion]`` and ``[[criteria]]``, at least one, each checked against the
    experiment's statistics and shapes (:func:`_parse_criterion`); the valid ones."""
    raw: list[tuple[str, Any]] = []
    if "criterion" in data:
        raw.append(("criterion", data["criterion"]))
    if "criteria" in data:
        array = faults.take(_criteria_array, data["criteria"], path)
        raw += [(f"criteria[{i}]", c) for i, c in enumerate(array or [])]
    elif not raw:
        faults.take(_fault, path, "criterion", "missing (required: [criterion] or [[criteria]])")
    crits = (_parse_criterion(c, path, k, exp, faults) for k, c in raw)
    return tuple(c for c in crits if c is not None)


def _criteria_array(v: Any, path: str) -> list[Any]:
    """``[[criteria]]``: a non-empty array."""
    if not isinstance(v, list) or not v:
        raise err(path, "criteria", "must be a non-empty array of tables ([[criteria]])")
    return v


def _parse_criterion(t: Any, path: str, key: str, exp: Any, faults: Faults
                     ) -> Criterion | None:
    """The criterion at ``key``, or ``None`` where it has a fault (each taken apart). Its
    statistic and shape are checked only against a registered experiment ``exp``, the shape
    only of a valid statistic, the threshold and range only with a valid ``expect``."""
    if faults.take(_criterion_table, t, path, key) is None:
        return None
    start = len(faults)
    faults.take(_criterion_keys, t, path, key)
    name = faults.take(_statistic, t, path, key, exp.statistics) if exp is not None else None
    expect = faults.take(_expect, t, path, key)
    alpha = faults.take(_alpha, t, path, key)
    thr = rng = shape = None
    if expect is not None:
        thr = faults.take(_threshold, t, expect, path, key)
        rng = faults.take(_range, t, expect, path, key)
    if name is not None:
        shape = faults.take(_shape, t, name, exp.shapes, path, key)
    if name is None or len(faults) > start:
        return None
    return Criterion(name, expect, thr, rng, alpha, shape)


def _criterion_table(t: Any, path: str, key: str) -> dict[str, Any]:
    """A criterion is a table."""
    if not isinstance(t, dict):
        raise err(path, key, "must be a table")
    return t


def _criterion_keys(t: Mapping[str, Any], path: str, key: str) -> None:
    """Raise naming the first key of the criterion that is not in ``_CRIT``."""
    unknown = sorted(set(t) - _CRIT)
    if unknown:
        raise err(
            path, f"{key}.{unknown[0]}", f"unknown key (allowed: {', '.join(sorted(_CRIT))})"
        )


def _statistic(t: Mapping[str, Any], path: str, key: str, stats: Sequence[str]) -> str:
    """``statistic``: one of the experiment's ``stats``."""
    name = t.get("statistic")
    if name not in stats:
        raise err(
            path,
            f"{key}.statistic",
            f"{name!r} is not a statistic of this experiment (allowed: {', '.join(stats)})",
        )
    return name


def _expect(t: Mapping[str, Any], path: str, key: str) -> str:
    """``expect``: one of :data:`EXPECTS`."""
    expect = t.get("expect")
    if expect not in EXPECTS:
        raise err(path, f"{key}.expect", f"must be one of {', '.join(EXPECTS)}, got {expect!r}")
    return expect


def _alpha(t: Mapping[str, Any], path: str, key: str) -> float:
    """``alpha`` (default 0.05): a number in ``(0, MAX_ALPHA]``."""
    alpha = t.get("alpha", 0.05)
    if (isinstance(alpha, bool) or not isinstance(alpha, int | float)
            or not 0 < alpha <= MAX_ALPHA):
        raise err(path, f"{key}.alpha", f"must be a number in (0, {MAX_ALPHA}] (an interval "
                  f"at level 1 − alpha of at least {1 - MAX_ALPHA:.0%}: a larger alpha narrows "
                  f"it towards a bare point estimate), got {alpha!r}")
    return float(alpha)


def _threshold(t: Mapping[str, Any], expect: str, path: str, key: str) -> float | None:
    """``threshold``: a finite number with ``expect`` above or below, absent otherwise."""
    if expect in ("above", "below"):
        thr = t.get("threshold")
        if isinstance(thr, bool) or not isinstance(thr, int | float) or not finite(thr):
            raise err(
                path,
                f"{key}.threshold",
                f"a finite number is required with expect = {expect!r}, got {thr!r}",
            )
        return float(thr)
    if "threshold" in t:
        raise err(path, f"{key}.threshold", "only with expect = 'above' or 'below'")
    return None


def _range(t: Mapping[str, Any], expect: str, path: str, key: str
           ) -> tuple[float, float] | None:
    """``range``: ``[low, high]`` with ``low < high`` with ``expect = 'within'``, absent
    otherwise."""
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
        return (float(r[0]), float(r[1]))
    if "range" in t:
        raise err(path, f"{key}.range", "only with expect = 'within'")
    return None


def _shape(t: Mapping[str, Any], name: str, shapes: Mapping[str, Sequence[str]] | None,
           path: str, key: str) -> str | None:
    """``shape`` (optional): a shape that statistic ``name`` tests."""
    shape = t.get("shape")
    allowed = tuple((shapes or {}).get(name, ()))
    if shape is not None and shape not in allowed:
        raise err(path, f"{key}.shape", f"{shape!r} is not a shape statistic {name!r} tests "
                  f"(allowed: {', '.join(allowed) or 'none'})")
    return shape
