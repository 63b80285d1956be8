"""Claims about λ at grid points (``kind = "closed_form"`` or ``"scaling"``).

A claim names a model family of :data:`slttheory.models.FAMILIES`, a grid of its parameters,
the predicted λ (an expression in the grid variables, parsed by :mod:`slttheory.verify.expr`)
or, for ``kind = "scaling"``, a shape, and the routes of evidence to run. The schema is
documented in ``verification/README.md``.

>>> from slttheory.models.registry import Family, ParamSpec
>>> fam = Family("toy", "toy", (ParamSpec("d", int, 1, 50),), build=lambda **kw: None,
...              formula=lambda d: None)  # a closed form, so the route can run
>>> c = parse_point_claim({"id": "x", "title": "t", "source": "s", "family": "toy",
...                  "kind": "closed_form", "predicted": "d/2", "evidence": ["closed_form"],
...                  "grid": {"d": [1, 2]}}, "x.toml", {"toy": fam})
>>> [p for p in c.points("quick")], c.predicted_at({"d": 3})
([{'d': 1}, {'d': 2}], 3/2)
"""

from __future__ import annotations

import decimal
import difflib
import hashlib
import itertools
import json
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from slttheory._provenance import code_fingerprint
from slttheory.verify.claims.common import (
    MAX_SEED,
    PROFILES,
    ClaimError,
    Faults,
    check_keys,
    claim_id,
    err,
    finite,
    int_limit,
    number,
    point_key,
    string,
    table,
    texts,
)
from slttheory.verify.expr import (
    Comparison,
    DomainTerm,
    ExpressionError,
    ListUseError,
    Parsed,
    PowerDivisor,
    decide,
    evaluate,
    finite_real,
    parse_formula,
    shorten,
    show_value,
)

__all__ = [
    "KINDS",
    "ROUTES",
    "RELATIONS",
    "SHAPES",
    "LLC_KEYS",
    "RANK_KEYS",
    "PROFILE_LLC_DEFAULTS",
    "LLC_LIMITS",
    "RANK_LIMITS",
    "MAX_GRID_INT",
    "MAX_GRID_POINTS",
    "Tolerance",
    "Scaling",
    "Claim",
    "parse_point_claim",
    "settings_hash",
]

KINDS = ("closed_form", "scaling")
ROUTES = ("closed_form", "rank", "llc")
RELATIONS = ("==", "<=", ">=", "<", ">")
SHAPES = {"linear": 1, "affine": 2, "quadratic": 2}
"""Shape → number of coefficients: linear c1·x; affine c1·x + c0; quadratic c2·x² + c1·x."""

LLC_KEYS: dict[str, tuple[type, ...]] = {
    "n": (int,),
    "chains": (int,),
    "draws": (int,),
    "burn_in": (int,),
    "step_size": (int, float),
    "localization": (int, float),
    "beta": (int, float),
    "batch_size": (int,),
    "sampler": (str,),
    "method": (str,),
    "step_jitter": (int, float),
    "seed": (int,),
}
"""Settings of the ``llc`` route: ``n`` is the sample size given to the family's ``build``;
the others are passed to :func:`slttheory.sampling.estimate_llc` (omitted → its defaults)."""

PROFILE_LLC_DEFAULTS: dict[str, dict[str, Any]] = {
    "quick": {},
    "full": {},
}
"""LLC settings each profile uses unless the claim sets them: in both, estimate_llc's own
defaults (the run's length sized from the problem by its stopping rule), so that the
controls' coverage measured in ``tests/verify/test_controls_coverage.py`` holds for the bands
of either profile. Quick used a fixed 2000 draws until 2026-12-01; there the GL-symmetric
controls failed R-hat/ESS and 36 of 42 test pairs got no band (coverage 6/42, against 39/42
with the adaptive length, at +36 s of quick's wall time)."""

RANK_KEYS: dict[str, tuple[type, ...]] = {"trials": (int,), "seed": (int,)}
"""Settings of the ``rank`` route, passed to :func:`slttheory.geometry.generic_rank`."""

LLC_LIMITS: dict[str, int] = {
    "n": 10**7,
    "chains": 4096,
    "draws": 10**7,
    "burn_in": 10**7,
    "batch_size": 10**7,
}
"""Upper limits of the ``[llc]`` sizes. Generous: the claims in ``verification/`` use at most
6000 draws and 8 chains, and the estimator's adaptive length stops at 32 000 steps; a larger
value is a typo that would otherwise run for days or exhaust memory."""

RANK_LIMITS: dict[str, int] = {"trials": 10**4}
"""Upper limit of ``[rank] trials`` (each trial is an exact rank computation; the default is 3)."""

MAX_GRID_INT = 10**6
"""Largest magnitude of an integer grid or fixed value (or list entry) of a parameter for which
the family sets no maximum (a ``*seed`` parameter may go up to :data:`MAX_SEED`). The claims in
``verification/`` use at most 100; a model with a million units per layer is beyond any route."""

MAX_GRID_POINTS = 10_000
"""Most grid points per profile (before the constraint): every point is validated and its
prediction evaluated when the file is loaded. The claims in ``verification/`` have at most 18."""

CHECK_BUDGET_S = 30.0
"""Most seconds spent evaluating ``predicted`` over a claim's grid points when the file is
loaded, and its ``constraint`` over each profile's grid: a 500-character expression took
0.1 s a point, minutes over a 10 000-point grid, before any claim ran (outside robustness
probes)."""

_TOP_KEYS = {
    "id", "title", "source", "family", "kind", "predicted", "relation", "evidence",
    "statement", "notes", "reading", "counterfactual", "differences", "hypotheses", "constraint",
    "grid", "fixed", "tolerance", "scaling", "llc", "rank", "profiles", "not_imposed",
}
_TOL_KEYS = {"llc_rel", "llc_abs", "coef_rel"}
_SCALING_KEYS = {"variable", "shape", "min_r2", "coefficients"}
_PROFILE_KEYS = {"grid", "llc", "rank", "evidence"}


@dataclass(frozen=True)
class Tolerance:
    """How close the LLC (and fitted coefficients) must be to count as agreement.

    ``llc_rel``: a controlled LLC band confirms ``λ == P`` only when it lies within
    ``P ± max(llc_rel·|P|, llc_abs)`` (an equivalence test: every λ the band admits is within
    the tolerance); ``coef_rel``: relative tolerance on the fitted coefficients of a scaling
    claim.
    """

    llc_rel: float = 0.15
    llc_abs: float = 0.0
    coef_rel: float = 0.10

    def llc_abs_for(self, value: float) -> float:
        return max(self.llc_rel * abs(value), self.llc_abs)


@dataclass(frozen=True)
class Scaling:
    """A scaling claim's shape: λ as a function of ``variable`` (see :data:`SHAPES`)."""

    variable: str
    shape: str
    min_r2: float = 0.95
    coefficients: tuple[sp.Rational, ...] | None = None
    rounding: tuple[sp.Rational, ...] | None = None
    """Half a unit in the last written place of each coefficient (0 for an integer): "0.20"
    stands for [0.195, 0.205], "0.2" for [0.15, 0.25]; ``None``: from the value's shortest
    decimal (:func:`written_rounding`)."""
    written: tuple[str, ...] | None = None
    """Each coefficient as written in the claim file ("0.20", "1e1")."""


COEFFICIENT_DIGITS = 8
"""Most significant digits a stated coefficient may have: fits on exact values are made in
float64 and compared to ~1e-9 of the coefficient, so finer places would be read as coarser
ones (0.50000000001 was confirmed for 0.5)."""


def written_rounding(text: str) -> sp.Rational:
    """Half a unit in the last decimal place of a number as written, exponent applied (``0``
    where it is an integer as written: ``2``, ``1e1``, ``0.1e1``): the numbers a stated decimal
    stands for are those within it.

    >>> written_rounding("0.20"), written_rounding("0.333"), written_rounding("2")
    (1/200, 1/2000, 0)
    >>> written_rounding("1.50e-3"), written_rounding("1_000.5"), written_rounding("1e1")
    (1/200000, 1/20, 0)
    """
    exponent = decimal.Decimal(text.strip()).as_tuple().exponent
    return sp.Rational(1, 2) * sp.Rational(10) ** exponent if exponent < 0 else sp.Integer(0)


def _coefficient(c: Any, path: str) -> tuple[sp.Rational, sp.Rational, str]:
    """A stated coefficient: its exact value, rounding and text, read from its digits as
    ``predicted``'s decimals are (a TOML float keeps the text it was written in,
    ``claims.read_toml``: "0.20" has two places, which the float 0.2 would lose). Refused
    beyond float64's range or :data:`COEFFICIENT_DIGITS` significant digits, which the fits
    cannot resolve (1e-4400 had crashed the report, 0e999999 confirmed any slope)."""
    key = "scaling.coefficients"
    number(c, path, key)
    text = (getattr(c, "written", None) or repr(float(c))) if isinstance(c, float) \
        else str(int(c))
    dec = decimal.Decimal(text.strip())
    _, digits, exponent = dec.as_tuple()
    if abs(exponent) > 300:
        raise err(path, key, f"{text}: outside what a float64 fit resolves (|exponent| ≤ 300, "
                  "a value that is not 0 must not round to 0)")
    # an integer as written counts no trailing zeros (100 is one digit); a decimal counts all
    significant = "".join(map(str, digits)).rstrip("0") if exponent >= 0 else digits
    if len(significant) > COEFFICIENT_DIGITS:
        raise err(path, key, f"{text}: more than {COEFFICIENT_DIGITS} significant digits, "
                  "finer than the fits (float64) compare; state the number to "
                  f"{COEFFICIENT_DIGITS} digits")
    return sp.Rational(*dec.as_integer_ratio()), written_rounding(text), text


@dataclass(frozen=True)
class Claim:
    """A validated claim. ``predicted_expr`` is the parsed sympy expression (or None).

    ``reading``: which reading of the source's model the claim tests, where the source admits
    more than one (e.g. "plain MSE"); ``counterfactual``: the claim applies the source's formula
    to a model its statement does not cover (its ``reading`` says why), so its verdict says
    whether the formula carries over, not whether the source is right; ``differences``: where
    this claim's model differs from the source's beyond what the family itself records (both
    printed under the claim);
    ``hypotheses``: the names of the family's measured hypotheses (``Family.hypotheses``) that
    the claimed theorem assumes — a point where one fails is inconclusive; ``not_imposed``: the
    source's hypotheses the claim does not check (named in a verdict where they fail);
    ``routes_available``: the routes the claim's family can run (what a reason may suggest);
    ``defaults``: the family's parameters that neither ``[grid]`` nor ``[fixed]`` sets, at the
    defaults every point takes (``noise = 1.0``, say: printed under the claim, so that the
    model tested is the one a reader sees).
    """

    id: str
    title: str
    source: str
    family: str
    kind: str
    evidence: tuple[str, ...]
    grid: Mapping[str, tuple[Any, ...]]
    fixed: Mapping[str, Any]
    predicted: str | None = None
    predicted_expr: sp.Expr | None = None
    relation: str = "=="
    statement: str = ""
    notes: str = ""
    reading: str = ""
    counterfactual: bool = False
    differences: tuple[str, ...] = ()
    hypotheses: tuple[str, ...] = ()
    not_imposed: tuple[str, ...] = ()
    constraint: str | None = None
    constraint_expr: Any = None
    # the divisors of predicted and constraint as written, before sympy cancels them
    # (expr.parse_divisors): a point where one is 0 is an error (_written_division_by_zero)
    predicted_divisors: tuple = ()
    constraint_divisors: tuple = ()
    # the constraint's comparisons and and/or/not in the order written (expr.Parsed.written),
    # decided from left to right (expr.decide): a guard such as len(w) > 2 keeps the
    # comparisons after it (w[2] > 1) from being evaluated, or their divisors counted, where
    # it is False. None (a claim built by hand): constraint_expr is evaluated as a whole
    constraint_written: Any = None
    # the list terms of predicted and constraint (expr.parse_list_terms): the symbol
    # "max(powers)" or "widths[0]" -> what it takes from the point's list
    list_terms: Mapping[str, tuple] = field(default_factory=dict)
    tolerance: Tolerance = field(default_factory=Tolerance)
    scaling: Scaling | None = None
    llc: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    rank: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    profile_grids: Mapping[str, Mapping[str, tuple[Any, ...]]] = field(default_factory=dict)
    # points per profile, computed once: the constraint is evaluated at every grid point,
    # which the loader, --list and the run each asked for again (an outside probe). Not
    # copied by dataclasses.replace (init=False), so a changed grid recomputes them.
    _points: dict[str, tuple[dict[str, Any], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    # the prediction per point, kept from the loader's check: evaluated again at verdict and
    # report time, a slow expression took 168 s for one cheap claim (an outside fuzzer)
    _predicted: dict[str, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    profile_evidence: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    path: str = ""
    routes_available: tuple[str, ...] = ("closed_form", "rank", "llc")
    defaults: Mapping[str, Any] = field(default_factory=dict)

    def evidence_for(self, profile: str) -> tuple[str, ...]:
        """The routes run in ``profile``: ``evidence``, or the profile's own list."""
        return tuple(self.profile_evidence.get(profile, self.evidence))

    def grid_for(self, profile: str) -> dict[str, tuple[Any, ...]]:
        """The grid of ``profile``: the base grid with the profile's keys replaced."""
        g = dict(self.grid)
        g.update(self.profile_grids.get(profile, {}))
        return g

    def points(self, profile: str) -> list[dict[str, Any]]:
        """The grid points of ``profile`` (cartesian product, filtered by ``constraint``),
        each merged with the fixed parameters."""
        if profile not in self._points:
            g = self.grid_for(profile)
            names = list(g)
            out = []
            deadline = time.monotonic() + CHECK_BUDGET_S
            for i, combo in enumerate(itertools.product(*(g[k] for k in names))):
                p = dict(zip(names, combo, strict=True))
                p.update(self.fixed)
                if self.constraint_expr is not None:
                    if time.monotonic() > deadline:
                        raise err(self.path, "constraint", f"evaluating it took more than "
                                  f"{CHECK_BUDGET_S:g} s over {i} grid points of profile "
                                  f"{profile!r} (CHECK_BUDGET_S): simplify it or shrink the "
                                  "grid")
                    if not self.constraint_holds(p, profile):
                        continue
                out.append(p)
            self._points[profile] = tuple(out)
        return [dict(p) for p in self._points[profile]]

    def constraint_holds(self, params: Mapping[str, Any], profile: str) -> bool:
        """Whether ``constraint`` holds at ``params``, decided from left to right as written
        (:func:`~slttheory.verify.expr.decide`); a ClaimError naming the file, the key and the
        point where a comparison it reaches is not one of finite real numbers, or divides by
        zero as written."""
        where = f"at grid point {shorten(point_key(params))} (profile {profile})"
        written = self.constraint_written or Comparison(self.constraint_expr,
                                                        self.constraint_divisors)
        try:
            v, divisors = decide(written, params, self.list_terms)
            if not isinstance(v, sp.logic.boolalg.BooleanAtom) and \
                    self.constraint_written is not None:
                v, divisors = _as_a_whole(self, params, v, divisors)
        except ExpressionError as e:
            raise err(self.path, "constraint", f"{where}: {e}") from None
        if not isinstance(v, sp.logic.boolalg.BooleanAtom):
            raise err(self.path, "constraint", f"{where}: cannot be decided (got {shorten(v)})")
        _written_division_by_zero(self.path, "constraint", divisors, params,
                                  where, f"it would read {v}", self.list_terms)
        return bool(v)

    def llc_settings(self, profile: str) -> dict[str, Any]:
        """The profile's defaults, then ``[llc]``, then ``[profiles.<profile>.llc]`` on top."""
        s = dict(PROFILE_LLC_DEFAULTS.get(profile, {}))
        s.update(self.llc.get("", {}))
        s.update(self.llc.get(profile, {}))
        return s

    def rank_settings(self, profile: str) -> dict[str, Any]:
        """``[rank]`` with ``[profiles.<profile>.rank]`` on top."""
        s = dict(self.rank.get("", {}))
        s.update(self.rank.get(profile, {}))
        return s

    def predicted_at(self, params: Mapping[str, Any]) -> sp.Expr | None:
        """The predicted λ at a point: ``predicted``, else a scaling claim's stated
        polynomial in its variable, else ``None``. A list variable's terms (``max(powers)``,
        ``widths[0]``) take their values from the point's lists."""
        if self.predicted_expr is not None:
            key = point_key(params)
            if key not in self._predicted:
                self._predicted[key] = evaluate(self.predicted_expr, params, self.list_terms)
            return self._predicted[key]
        sc = self.scaling
        if sc is None or sc.coefficients is None:
            return None
        v = params[sc.variable]
        x = sp.Rational(repr(float(v))) if isinstance(v, float) else sp.Integer(v)
        c = sc.coefficients
        if sc.shape == "linear":
            return c[0] * x
        if sc.shape == "affine":
            return c[0] * x + c[1]
        return c[0] * x**2 + c[1] * x

    def variable_names(self) -> list[str]:
        return sorted(set(self.grid) | set(self.fixed))


def _settings(
    tab: Mapping[str, Any], spec: Mapping[str, tuple[type, ...]], path: str, prefix: str
) -> dict[str, Any]:
    """An ``[llc]`` or ``[rank]`` table: known keys, right types, finite positive numbers,
    sizes within :data:`LLC_LIMITS` / :data:`RANK_LIMITS`, known sampler and method names."""
    check_keys(tab, spec, path, prefix)
    limits = {**LLC_LIMITS, **RANK_LIMITS}
    out = {}
    for k, v in tab.items():
        key, types = prefix + k, spec[k]
        if isinstance(v, bool) or not isinstance(v, types):
            names = " or ".join(t.__name__ for t in types)
            raise err(path, key, f"must be {names}, got {v!r}")
        if isinstance(v, str):
            allowed = _choices(k)
            if v not in allowed:
                raise err(path, key, f"must be one of {', '.join(allowed)}, got {v!r}")
        elif k == "seed":
            if not 0 <= v <= MAX_SEED:
                raise err(path, key, f"must be in [0, {MAX_SEED}], got {shorten(v)}")
        elif float in types and not finite(v):
            raise err(path, key, f"must be a finite number, got {shorten(v)}")
        elif k in ("burn_in", "step_jitter") and v < 0:
            raise err(path, key, f"must be >= 0, got {v}")
        elif k == "n" and v < 2:
            raise err(path, key, f"must be >= 2 (the estimator's β = 1/log n), got {v}")
        elif k not in ("burn_in", "step_jitter") and v <= 0:
            raise err(path, key, f"must be > 0, got {v}")
        if k in limits and v > limits[k]:
            raise err(path, key, f"must be <= {limits[k]}, got {shorten(v)}")
        if k in ("step_size", "localization", "beta") and not 1e-30 <= v <= 1e30:
            # the sampler's float32 arithmetic (estimate_llc checks [1.2e-32, 3.4e32] at
            # run time): found at load, naming the file and key, not mid-run
            raise err(path, key, f"must be in [1e-30, 1e30] (the sampler's float32 "
                      f"arithmetic), got {shorten(v)}")
        out[k] = v
    return out


def _choices(key: str) -> tuple[str, ...]:
    """The allowed values of the string setting ``key`` of the LLC route (``sampler``,
    ``method``), as :func:`slttheory.sampling.estimate_llc` accepts them."""
    from slttheory.sampling.estimator import METHODS, SAMPLER_CHOICES

    return tuple({"sampler": SAMPLER_CHOICES, "method": METHODS}[key])


def _value(x: Any, path: str, key: str) -> Any:
    """A ``[grid]`` or ``[fixed]`` value: a boolean, a finite number, a string, or a list of
    finite numbers (returned as a tuple). Anything else (a date, a table, a nested list, NaN,
    an integer too large for a float) is a ClaimError naming ``key``."""
    if isinstance(x, bool | str):
        return x
    if isinstance(x, int | float):
        if not finite(x):
            raise err(path, key, f"values must be finite numbers, got {shorten(x)}")
        return x
    if isinstance(x, list):
        if not all(isinstance(v, int | float) and not isinstance(v, bool) and finite(v)
                   for v in x):
            raise err(path, key, f"a list value must hold only finite numbers, got "
                      f"{shorten(repr(x))}")
        return tuple(x)
    raise err(path, key, "values must be numbers, booleans, strings or lists of numbers, "
              f"got {type(x).__name__} {shorten(repr(x))}")


def _grid_entry(k: str, v: Any, path: str, prefix: str) -> tuple[Any, ...]:
    """One ``[grid]`` entry: a non-empty list of distinct values (:func:`_value`)."""
    if not isinstance(v, list) or not v:
        raise err(path, prefix + k, f"must be a non-empty list of values, got {v!r}")
    vals = [_value(x, path, prefix + k) for x in v]
    if len({json.dumps(x) for x in vals}) != len(vals):
        raise err(path, prefix + k, f"repeated values in {v!r}")
    return tuple(vals)


def _grid(tab: Mapping[str, Any], path: str, prefix: str, faults: Faults
          ) -> dict[str, tuple[Any, ...]]:
    """A ``[grid]`` table's valid entries (:func:`_grid_entry`); each fault taken apart."""
    out = {}
    for k, v in tab.items():
        vals = faults.take(_grid_entry, k, v, path, prefix)
        if vals is not None:
            out[k] = vals
    return out


def parse_point_claim(
    data: Mapping[str, Any], path: str, families: Mapping[str, Any]
) -> Claim:
    """Validate the parsed TOML ``data`` of the file ``path`` against ``families``.

    Raises :class:`ClaimError` naming ``path`` and the offending key. Checks that do not
    depend on each other all run, so that a file with several faults names them together
    (:class:`~slttheory.verify.claims.common.Faults`), in the order the checks run; a check
    runs only where the checks it needs passed (the grid against the family needs a known
    family), and the grid points are checked only once every key is valid.
    """
    faults = Faults(path)
    faults.take(check_keys, data, _TOP_KEYS, path, "")
    cid = faults.take(claim_id, data, path)
    title = faults.take(string, data, "title", path)
    source = faults.take(string, data, "source", path)
    fam = faults.take(_family, data, path, families)
    kind = faults.take(_kind, data, path)
    ev = faults.take(_routes, data, path)
    relation = faults.take(_relation, data, path)
    tolerance = faults.take(_tolerance, data, path)
    fam_name, family = fam or (None, None)
    if family is not None and ev is not None:
        faults.take(_routes_available, ev, family, fam_name, path, "evidence")
    grid, fixed, names = _variables(data, path, fam_name, family, faults)
    profile_grids, profile_evidence, llc, rank = _profiles(data, path, names[0], faults)
    if family is not None:
        for pname, pev in profile_evidence.items():
            faults.take(_routes_available, pev, family, fam_name, path,
                        f"profiles.{pname}.evidence")
    values = _value_sources(grid, fixed, profile_grids)
    if family is not None:
        _check_values(values, family, path, faults)
        faults.take(_check_sizes, values, family, path)
    for name in (*names[0], *names[1]):  # a variable whose values failed is still defined
        values.setdefault(name, [])
    predicted = data.get("predicted")
    if predicted is None and kind == "closed_form":
        faults.take(_fault, path, "predicted", 'missing (required for kind = "closed_form")')
    constraint = data.get("constraint")
    hypotheses = faults.take(texts, data, "hypotheses", path, "hypothesis names")
    not_imposed = faults.take(texts, data, "not_imposed", path, "hypothesis names")
    if family is not None and hypotheses is not None and not_imposed is not None:
        faults.take(_hypotheses, hypotheses, not_imposed, family, fam_name, path)
    predicted_p = faults.take(_expression, predicted, values, path, "predicted", False)
    statement = faults.take(string, data, "statement", path, False)
    notes = faults.take(string, data, "notes", path, False)
    reading = faults.take(string, data, "reading", path, False)
    counterfactual = faults.take(_counterfactual, data, path)
    differences = faults.take(texts, data, "differences", path, "non-empty strings")
    constraint_p = faults.take(_expression, constraint, values, path, "constraint", True)
    scaling = (faults.take(_scaling, data, path, kind, values, ev)
               if kind is not None and ev is not None else None)
    faults.raise_any()  # below, every key is valid (but for one weak fault: the points say it)
    predicted_p, constraint_p = predicted_p or Parsed(None), constraint_p or Parsed(None)
    claim = Claim(
        id=cid,
        title=title,
        source=source,
        family=fam_name,
        kind=kind,
        evidence=ev,
        grid=grid,
        fixed=fixed,
        predicted=predicted,
        predicted_expr=predicted_p.expr,
        predicted_divisors=predicted_p.divisors,
        relation=relation,
        statement=statement or "",
        notes=notes or "",
        reading=reading or "",
        counterfactual=counterfactual,
        differences=differences,
        hypotheses=hypotheses,
        not_imposed=not_imposed,
        constraint=constraint,
        constraint_expr=constraint_p.expr,
        constraint_divisors=constraint_p.divisors,
        constraint_written=constraint_p.written,
        list_terms={**predicted_p.terms, **constraint_p.terms},
        tolerance=tolerance,
        scaling=scaling,
        llc=llc,
        rank=rank,
        profile_grids=profile_grids,
        profile_evidence=profile_evidence,
        path=path,
        routes_available=runnable_routes(family),
        defaults={p.name: p.default for p in family.parameters
                  if p.name not in grid and p.name not in fixed and p.default is not None},
    )
    _check_points(claim, family)
    return claim


def _hypotheses(hypotheses: Sequence[str], not_imposed: Sequence[str], family: Any,
                fam_name: str, path: str) -> None:
    """``hypotheses`` and ``not_imposed``: hypotheses the family measures, each named once,
    and in one list only."""
    known = getattr(family, "hypothesis_names", ())
    for key, names in (("hypotheses", hypotheses), ("not_imposed", not_imposed)):
        for name in names:
            if name not in known:
                raise err(path, key, f"{name!r} is not a hypothesis family {fam_name!r} "
                          f"measures (known: {', '.join(known) or 'none'})")
        if len(set(names)) < len(names):
            raise err(path, key, f"repeated name in {list(names)!r}")
    if both := [h for h in hypotheses if h in not_imposed]:
        raise err(path, "not_imposed", f"{both[0]!r} is also in hypotheses: a hypothesis is "
                  "either checked (hypotheses) or not imposed, not both")


def _kind(data: Mapping[str, Any], path: str) -> str:
    if "kind" not in data:
        raise err(path, "kind", f"missing (required: one of {', '.join(KINDS)}, experiment)")
    kind = string(data, "kind", path)
    if kind not in KINDS:
        raise err(path, "kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    return kind


def _relation(data: Mapping[str, Any], path: str) -> str:
    relation = data.get("relation", "==")
    if relation not in RELATIONS:
        raise err(path, "relation", f"must be one of {', '.join(RELATIONS)}, got {relation!r}")
    return relation


def _family(data: Mapping[str, Any], path: str, families: Mapping[str, Any]
            ) -> tuple[str, Any]:
    """The claim's ``family``: its name and the registered family."""
    name = string(data, "family", path)
    if name not in families:
        known = f"(known: {', '.join(sorted(families)) or 'none'})"
        close = difflib.get_close_matches(name, list(families), n=1)
        if close:
            why = f"unknown family {name!r}: did you mean {close[0]!r}? {known}"
        else:
            why = (f"unknown family {name!r} {known}; a family of your own module "
                   "needs --families MODULE:NAME (docs/plugins.md)")
        raise err(path, "family", why)
    return name, families[name]


def _routes(data: Mapping[str, Any], path: str) -> tuple[str, ...]:
    """``evidence``: a non-empty list of distinct route names."""
    ev = data.get("evidence")
    if not isinstance(ev, list) or not ev or not all(isinstance(e, str) for e in ev):
        raise err(
            path,
            "evidence",
            f"must be a non-empty list of route names ({', '.join(ROUTES)}), got {ev!r}",
        )
    for e in ev:
        if e not in ROUTES:
            raise err(path, "evidence", f"unknown route {e!r} (allowed: {', '.join(ROUTES)})")
    if len(set(ev)) != len(ev):
        raise err(path, "evidence", f"repeated route in {ev!r}")
    return tuple(ev)


_NEEDS = {"rank": ("rank_problem", "no polynomial rank map"),
          "closed_form": ("formula", "no closed form")}


def runnable_routes(family: Any) -> tuple[str, ...]:
    """The routes ``family`` can run (a rank route needs a polynomial rank map, a closed form
    a formula; every family builds a model for the LLC)."""
    return tuple(r for r in ROUTES
                 if r not in _NEEDS or getattr(family, _NEEDS[r][0], None) is not None)


def _routes_available(ev: Sequence[str], family: Any, name: str, path: str, key: str) -> None:
    """Refuse a route the family cannot run (a rank route without a polynomial rank map, a
    closed form without a formula), naming it: it would only ever report an error."""
    can = runnable_routes(family)
    for route in ev:
        if route not in can:
            raise err(path, key, f"route {route!r} cannot run: family {name!r} has "
                      f"{_NEEDS[route][1]}")


def _counterfactual(data: Mapping[str, Any], path: str) -> bool:
    """``counterfactual`` (default false): a boolean, and only beside the ``reading`` that says
    which model outside the source's statement the claim tests."""
    v = data.get("counterfactual", False)
    if not isinstance(v, bool):
        raise err(path, "counterfactual", f"must be true or false, not {v!r}")
    if v and not string(data, "reading", path, required=False):
        raise err(path, "counterfactual", "needs a 'reading' saying which model outside the "
                  "source's statement the claim tests, and why")
    return v


def _variables(data: Mapping[str, Any], path: str, fam_name: str | None, family: Any,
               faults: Faults) -> tuple[dict[str, tuple[Any, ...]], dict[str, Any],
                                        tuple[list[str], list[str]]]:
    """``[grid]`` and ``[fixed]``: disjoint, and parameters of the family (where it is known).
    Their valid entries, and the names of all of them (what the expressions may use)."""
    grid_t = faults.take(table, data, "grid", path) or {}
    grid = _grid(grid_t, path, "grid.", faults)
    fixed_t = faults.take(table, data, "fixed", path) or {}
    fixed = {}
    for k, v in fixed_t.items():
        x = faults.take(_value, v, path, f"fixed.{k}")
        if x is not None:
            fixed[k] = x
    for k in sorted(set(grid) & set(fixed)):
        faults.take(_fault, path, f"fixed.{k}", "is also a grid variable")
        del fixed[k]
    if family is not None:
        param_names = {p.name for p in family.parameters}
        for k in [k for k in (*grid, *fixed) if k not in param_names]:
            where = "grid" if k in grid else "fixed"
            faults.take(_fault, path, f"{where}.{k}",
                        f"unknown variable for family {fam_name!r} "
                        f"(its parameters: {', '.join(sorted(param_names))})")
            (grid if k in grid else fixed).pop(k)
    return grid, fixed, (list(grid_t), list(fixed_t))


def _fault(path: str, key: str, msg: str) -> None:
    """Raise ``err(path, key, msg)``: a fault found inline, taken by :class:`Faults`."""
    raise err(path, key, msg)


def _check_values(values: ValueSources, family: Any, path: str, faults: Faults) -> None:
    """Each grid and fixed value against its parameter's type and range
    (``ParamSpec.check``), key by key, so that several keys' faults are found together; the
    first bad value of a key is its fault. Taken weak: alone, a grid point's validation
    names it with the point, as it did before these were gathered."""
    specs = {p.name: p for p in family.parameters}
    for name, sources in values.items():
        if name in specs:
            for key, vals in sources:
                faults.take(_check_param, specs[name], vals, f"{path}: {key}", weak=True)


def _check_param(spec: Any, vals: Sequence[Any], where: str) -> None:
    """``spec.check`` on each value; what it raises as a :class:`ClaimError`, as the point
    check converts it."""
    for v in vals:
        try:
            spec.check(v, where)
        except (TypeError, ValueError, ArithmeticError) as e:
            raise ClaimError(str(e)) from None


def _profiles(data: Mapping[str, Any], path: str, grid_names: Sequence[str], faults: Faults):
    """``[profiles.<name>]`` with the base ``[llc]`` and ``[rank]``: per-profile grid
    overrides, route lists, and LLC and rank settings (key ``""``: the base tables), each
    table's valid part; faults taken apart."""
    profile_grids: dict[str, dict[str, tuple[Any, ...]]] = {}
    profile_evidence: dict[str, tuple[str, ...]] = {}
    llc = {"": faults.take(_settings_table, data, "llc", LLC_KEYS, path, "")}
    rank = {"": faults.take(_settings_table, data, "rank", RANK_KEYS, path, "")}
    for pname, ptab in (faults.take(table, data, "profiles", path) or {}).items():
        if faults.take(_profile_table, pname, ptab, path) is None:
            continue
        pre = f"profiles.{pname}."
        faults.take(check_keys, ptab, _PROFILE_KEYS, path, pre)
        pg = _grid(faults.take(table, ptab, "grid", path, pre) or {}, path, f"{pre}grid.",
                   faults)
        for k in [k for k in pg if k not in grid_names]:
            faults.take(_fault, path, f"{pre}grid.{k}",
                        "overrides a variable that is not in [grid]")
            del pg[k]
        profile_grids[pname] = pg
        if "evidence" in ptab:
            pev = faults.take(_profile_routes, ptab["evidence"], path, f"{pre}evidence")
            if pev is not None:
                profile_evidence[pname] = pev
        llc[pname] = faults.take(_settings_table, ptab, "llc", LLC_KEYS, path, pre)
        rank[pname] = faults.take(_settings_table, ptab, "rank", RANK_KEYS, path, pre)
    for pname in PROFILES:
        if llc[""] is not None and llc.get(pname, {}) is not None:
            faults.take(_check_llc_combination, llc[""], llc.get(pname, {}), path,
                        f"profiles.{pname}.llc.")
    return profile_grids, profile_evidence, llc, rank


def _settings_table(data: Mapping[str, Any], key: str, spec: Mapping[str, tuple[type, ...]],
                    path: str, pre: str) -> dict[str, Any]:
    """The ``[llc]`` or ``[rank]`` table at ``data[key]`` (:func:`_settings`); errors name
    ``pre + key``."""
    return _settings(table(data, key, path, pre), spec, path, f"{pre}{key}.")


def _profile_table(pname: str, ptab: Any, path: str) -> Any:
    """A ``[profiles.<pname>]`` table: a known profile, and a table."""
    if pname not in PROFILES:
        raise err(path, f"profiles.{pname}", f"unknown profile (allowed: {', '.join(PROFILES)})")
    if not isinstance(ptab, dict):
        raise err(path, f"profiles.{pname}", "must be a table")
    return ptab


def _profile_routes(pev: Any, path: str, key: str) -> tuple[str, ...]:
    """A profile's ``evidence``: a list of distinct routes ([] lists the claim in this
    profile without running it: a route too costly there)."""
    if not isinstance(pev, list) or any(e not in ROUTES for e in pev) \
            or len(set(pev)) != len(pev):
        raise err(path, key, f"must be a list of distinct routes ({', '.join(ROUTES)}), "
                  f"got {pev!r}")
    return tuple(pev)


def _check_llc_combination(base: Mapping[str, Any], over: Mapping[str, Any], path: str,
                           prefix: str) -> None:
    """The ``[llc]`` settings of one profile (``over`` on ``base``) that the estimator would
    refuse together: a step jitter without MALA, MALA on minibatches."""
    merged = {**base, **over}

    def key(k: str) -> str:
        return prefix + k if k in over else "llc." + k

    sampler = merged.get("sampler", "auto")
    if merged.get("step_jitter") and sampler not in ("mala", "auto"):
        raise err(path, key("step_jitter"), f"a step jitter needs sampler = 'mala' (a random "
                  f"step size keeps only a Metropolis-adjusted target), got {key('sampler')} "
                  f"= {sampler!r}")
    if sampler == "mala" and "batch_size" in merged:
        raise err(path, key("batch_size"), "sampler = 'mala' needs the full batch: leave "
                  "batch_size out")


MAX_REL_TOLERANCE = 0.5
"""Largest ``llc_rel`` and ``coef_rel``: a confirmation within ±50 % already says little,
and without a bound ``coef_rel = 1e308`` confirmed any stated coefficients (an outside
robustness probe)."""


MAX_ABS_TOLERANCE = 0.5
"""Largest ``llc_abs`` (in units of λ; meant for predictions near 0, where a relative
tolerance is none): unbounded, ``llc_abs = 1e300`` let any controlled band that contains the
prediction confirm it, however wide (an outside fuzzer), undoing the cap on ``llc_rel``."""


def _tolerance(data: Mapping[str, Any], path: str) -> Tolerance:
    tol_t = table(data, "tolerance", path)
    check_keys(tol_t, _TOL_KEYS, path, "tolerance.")
    return Tolerance(**{k: number(v, path, f"tolerance.{k}", 0.0,
                                  MAX_REL_TOLERANCE if k.endswith("_rel") else MAX_ABS_TOLERANCE)
                        for k, v in tol_t.items()})


ValueSources = dict[str, list[tuple[str, tuple[Any, ...]]]]
"""Variable → every (key, values) that gives it values: ``grid.d``, ``fixed.d``,
``profiles.full.grid.d``."""


def _value_sources(grid: Mapping[str, tuple[Any, ...]], fixed: Mapping[str, Any],
                   profile_grids: Mapping[str, Mapping[str, tuple[Any, ...]]]) -> ValueSources:
    """Where each grid and fixed variable takes its values, by key."""
    out: ValueSources = {k: [(f"grid.{k}", v)] for k, v in grid.items()}
    out.update({k: [(f"fixed.{k}", (v,))] for k, v in fixed.items()})
    for pname, pg in profile_grids.items():
        for k, v in pg.items():
            out.setdefault(k, []).append((f"profiles.{pname}.grid.{k}", v))
    return out


def _check_sizes(values: ValueSources, family: Any, path: str) -> None:
    """Integers of a parameter the family leaves unbounded stay within :data:`MAX_GRID_INT`
    (:data:`MAX_SEED` for a ``*seed`` parameter)."""
    specs = {p.name: p for p in family.parameters}
    for name, sources in values.items():
        spec = specs.get(name)
        if spec is None or spec.type not in (int, tuple) or spec.maximum is not None:
            continue
        limit = int_limit(name, MAX_GRID_INT)
        for key, vals in sources:
            for v in vals:
                for x in v if isinstance(v, tuple) else (v,):
                    if isinstance(x, int) and not isinstance(x, bool) and abs(x) > limit:
                        raise err(path, key, f"{shorten(x)} exceeds the limit {limit} (the family "
                                  f"sets no maximum for {name!r})")


def _list_names(values: ValueSources) -> list[str]:
    """The variables with a list among their values: an expression may use them only through
    ``max``, ``min``, ``sum``, ``len`` or an index (:mod:`slttheory.verify.expr`)."""
    return sorted(name for name, sources in values.items()
                  if any(isinstance(v, tuple) for _, vals in sources for v in vals))


def _expression(text: Any, values: ValueSources, path: str, key: str, boolean: bool
                ) -> Parsed | None:
    """``text`` parsed once (:func:`~slttheory.verify.expr.parse_formula`; ``boolean``: a
    constraint; ``None`` stays ``None``); errors name the file. A
    variable it uses must have numeric values (booleans count as 0/1), one it uses through a
    list term (``max(powers)``) lists of numbers: else the error names the key that gives it
    another value."""
    if text is None:
        return None
    lists = _list_names(values)
    try:
        parsed = parse_formula(text, list(values), key=key, boolean=boolean, lists=lists)
    except ListUseError as e:  # used as a number: the key that gives it a list is named
        where, bad = next((where, v) for where, vals in values[e.name] for v in vals
                          if isinstance(v, tuple))
        raise err(path, where, f"{key} uses {e.name!r}, so its values must be numbers, got "
                  f"{shorten(repr(bad))} (a list: {e.uses})") from None
    except ExpressionError as e:
        raise ClaimError(f"{path}: {e}") from None
    terms = parsed.terms
    for name in sorted(s.name for s in parsed.expr.free_symbols if s.name not in terms):
        for where, vals in values[name]:
            bad = [v for v in vals if isinstance(v, str | tuple)]
            if bad:
                raise err(path, where, f"{key} uses {name!r}, so its values must be numbers, "
                          f"got {shorten(repr(bad[0]))}")
    for symbol, (_, name, *_) in sorted(terms.items()):
        for where, vals in values[name]:
            bad = [v for v in vals if not isinstance(v, tuple)]
            if bad:
                raise err(path, where, f"{key} uses {symbol}, so the values of {name!r} must "
                          f"be lists of numbers, got {shorten(repr(bad[0]))}")
    return parsed


def _scaling(data: Mapping[str, Any], path: str, kind: str, values: ValueSources,
             ev: tuple[str, ...]) -> Scaling | None:
    """``[scaling]``: required for ``kind = "scaling"``, forbidden otherwise."""
    sc_t = table(data, "scaling", path)
    if kind != "scaling":
        if sc_t:
            raise err(path, "scaling", 'only allowed with kind = "scaling"')
        return None
    if not sc_t:
        raise err(path, "scaling", 'missing (required for kind = "scaling")')
    check_keys(sc_t, _SCALING_KEYS, path, "scaling.")
    var = string(sc_t, "variable", path, prefix="scaling.")
    # ([] or a profile's values only: a grid variable whose own values failed, named there)
    if var not in values or any(where.startswith("fixed.") for where, _ in values[var]):
        raise err(path, "scaling.variable", f"{var!r} is not a grid variable")
    for where, vals in values[var]:
        bad = [v for v in vals if isinstance(v, bool) or not isinstance(v, int | float)]
        if bad:
            raise err(path, where, "the scaling variable's values must be numbers, got "
                      f"{shorten(repr(bad[0]))}")
    shape = string(sc_t, "shape", path, prefix="scaling.")
    if shape not in SHAPES:
        raise err(path, "scaling.shape", f"must be one of {', '.join(SHAPES)}, got {shape!r}")
    min_r2 = number(sc_t.get("min_r2", 0.95), path, "scaling.min_r2", 0.0, 1.0)
    coefs = sc_t.get("coefficients")
    if coefs is not None:
        if not isinstance(coefs, list) or len(coefs) != SHAPES[shape]:
            raise err(
                path,
                "scaling.coefficients",
                f"must be a list of {SHAPES[shape]} number(s) for shape {shape!r}, "
                f"got {coefs!r}",
            )
        read = [_coefficient(c, path) for c in coefs]
        coefs = tuple(v for v, _, _ in read)
        rounding = tuple(r for _, r, _ in read)
        written = tuple(t for _, _, t in read)
        if data.get("relation", "==") != "==":
            raise err(path, "relation", f"{data['relation']!r} with scaling.coefficients: "
                      "stated coefficients give λ exactly (==); a relation applies to "
                      "`predicted` only (drop the coefficients, or state the inequality "
                      "in `predicted`)")
    else:
        rounding = written = None
        if data.get("relation", "==") != "==" and data.get("predicted") is None:
            raise err(path, "relation", f"{data['relation']!r} without `predicted`: a "
                      "scaling claim's relation applies to its `predicted` formula only")
    if "llc" not in ev:
        raise err(
            path, "evidence", 'a scaling claim needs the "llc" route (it fits the measured λ)'
        )
    return Scaling(var, shape, min_r2, coefs, rounding, written)


def _value_key(claim: Claim, profile: str, name: str) -> str:
    """The key that gives ``name`` its values in ``profile``: ``profiles.P.grid.name``,
    ``grid.name`` or ``fixed.name``."""
    if name in claim.profile_grids.get(profile, {}):
        return f"profiles.{profile}.grid.{name}"
    return f"grid.{name}" if name in claim.grid else f"fixed.{name}"


def _check_readings(claim: Claim, family: Any, q: Mapping[str, Any], path: str,
                    at: str) -> None:
    """A parameter that chooses between readings of the source's model (the family's
    ``readings``) must be set by the claim, beside a ``reading``: left at its default, the
    verdict would rest on a reading nobody chose (an outside acceptance run: an App. G claim
    with biases and no loss was refuted on the centred loss, unmarked, where plain MSE
    confirms it)."""
    names = family.readings(q) if getattr(family, "readings", None) is not None else ()
    for name in names:
        if name in claim.defaults:
            spec = next(s for s in family.parameters if s.name == name)
            raise err(path, f"fixed.{name}", f"at {at}: {name} chooses between readings of "
                      f"the source's model that give different λ here ({family.name}: "
                      f"{spec.doc}); set it (one of {list(spec.choices or ())}) and say "
                      "which reading the claim tests in `reading`")
    if names and not claim.reading:
        raise err(path, "reading", f"at {at}: {', '.join(names)} chooses between readings of "
                  "the source's model that give different λ here; say which one the claim "
                  "tests")


def _check_points(claim: Claim, family: Any) -> None:
    """Every point of every profile is valid for the family and gives a finite real
    prediction; at most :data:`MAX_GRID_POINTS` per profile."""
    path, scaling = claim.path, claim.scaling
    checked: set[str] = set()  # a point shared by several profiles is checked once
    deadline = time.monotonic() + CHECK_BUDGET_S
    for prof in PROFILES:
        n = math.prod(len(v) for v in claim.grid_for(prof).values())
        if n > MAX_GRID_POINTS:
            key = f"profiles.{prof}.grid" if claim.profile_grids.get(prof) else "grid"
            raise err(path, key, f"profile {prof!r} has {n} grid points, above the limit "
                      f"MAX_GRID_POINTS = {MAX_GRID_POINTS}")
        pts = claim.points(prof)
        if not pts:
            raise err(path, "grid", f"profile {prof!r} has no grid points (after the constraint)")
        if scaling is not None:
            xs = {p[scaling.variable] for p in pts}
            if len(xs) < SHAPES[scaling.shape] + 1:
                raise err(
                    path,
                    f"profiles.{prof}.grid.{scaling.variable}",
                    f"a {scaling.shape} fit needs at least {SHAPES[scaling.shape] + 1} values",
                )
        for p in pts:
            if point_key(p) in checked:
                continue
            checked.add(point_key(p))
            at = f"grid point {shorten(point_key(p))} (profile {prof})"
            where = f"{path}: {at}"
            try:
                q = family.validate(p, where=where)
            except (TypeError, ValueError, ArithmeticError) as e:
                msg = str(e) if path in str(e) else f"{where}: {e}"
                keys = [_value_key(claim, prof, k) for k in p
                        if re.search(rf"\b{re.escape(k)}\b", str(e).replace(where, ""))]
                raise ClaimError(msg + (f" (from {', '.join(keys)})" if keys else "")) from None
            _check_readings(claim, family, q, path, at)
            if claim.predicted_expr is not None:
                if time.monotonic() > deadline:
                    raise err(path, "predicted", f"evaluating it took more than "
                              f"{CHECK_BUDGET_S:g} s over {len(checked) - 1} grid points "
                              "(CHECK_BUDGET_S): simplify it or shrink the grid")
                try:
                    v = claim.predicted_at(p)
                except ExpressionError as e:
                    raise err(path, "predicted", f"at {at}: {e}") from None
                if not finite_real(v):
                    raise err(path, "predicted",
                              f"does not give a finite real number at {at} (got {show_value(v)})")
                _written_division_by_zero(path, "predicted", claim.predicted_divisors, p,
                                          f"at {at}", f"it would give {show_value(v)}",
                                          claim.list_terms)


def _as_a_whole(claim: Claim, params: Mapping[str, Any], v: Any, divisors: tuple
                ) -> tuple[Any, tuple]:
    """Where :func:`~slttheory.verify.expr.decide` reached a comparison sympy cannot decide
    (``v``, as ``log(d) - log(k) == log(d/k)``): the constraint evaluated as a whole, every
    comparison and every divisor counted (as before ``decide``), which settles ``... or d > 0``
    whatever the undecided one reads; ``(v, divisors)`` unchanged where it does not (a part
    that cannot be evaluated, or nothing settles it)."""
    try:
        whole = evaluate(claim.constraint_expr, params, claim.list_terms)
    except ExpressionError:
        return v, divisors
    if isinstance(whole, sp.logic.boolalg.BooleanAtom):
        return whole, claim.constraint_divisors
    return v, divisors


def _written_division_by_zero(path: Any, key: str, divisors: Sequence[Any],
                              params: Mapping[str, Any], where: str, would: str,
                              terms: Mapping[str, tuple] | None = None) -> None:
    """A ClaimError where a divisor of ``key``'s formula as written is 0 at ``params``: sympy
    cancels (d − 2)/(d − 2) and x/(d − 2) − x/(d − 2) while building the expression, whose
    value is then finite where the formula is undefined (an outside red team: d/2 + 1/(d − 2)
    − 1/(d − 2) was confirmed at d = 2).

    A constraint passes only the divisors of the comparisons its decision reached
    (:func:`~slttheory.verify.expr.decide`): in ``d > 2 and (d - 2)/(d - 2) > 0`` the guard
    reads False at d = 2, the comparison after it is never evaluated and its division is no
    fault there, as in Python; ``(d - 2)/(d - 2) > 0 and d > 2`` divides first and is one. A
    ``predicted`` formula has no guard (no and/or, no conditional; min and max take every
    argument), so all its divisors count at every point."""
    for b in divisors:
        if isinstance(b, DomainTerm):  # a log or root as written: finite and real
            try:
                v = b.value_at(params, terms)
            except ExpressionError:
                continue  # its own fault shows in the formula's value
            if not finite_real(v):
                raise err(path, key, f"{where}: {b} is {show_value(v)}, not a finite real "
                          "number, so the formula as written is undefined there (sympy "
                          f"cancels the term: {would})")
            continue
        try:
            zero = (b.is_zero_at(params, terms) if isinstance(b, PowerDivisor) else
                    evaluate(b, params, terms) == 0)
        except ExpressionError:
            zero = False  # the divisor's own fault shows in the formula's value
        if zero:
            raise err(path, key, f"{where}: divides by {b} = 0, so the formula as written is "
                      f"undefined there (sympy cancels the division: {would})")


def settings_hash(claim: Claim, params: Mapping[str, Any], profile: str, device: str,
                  families_code: str = "") -> str:
    """Hash of everything that determines a point's evidence (not its verdict).

    Changing ``predicted`` or ``tolerance`` re-derives verdicts from stored evidence;
    changing the routes, the family, the point, the sampler settings or the code that
    computes evidence (:func:`slttheory._provenance.code_fingerprint`, and ``families_code``
    for families defined outside the package: ``families_fingerprint``) recomputes it.
    """
    blob = json.dumps(
        {
            "family": claim.family,
            "point": point_key(params),
            "evidence": list(claim.evidence_for(profile)),
            # w* is built (and its hypotheses, orbit and minimum measured) from the LLC
            # settings and on the device whatever the routes: they key every point
            "llc": claim.llc_settings(profile),
            "rank": claim.rank_settings(profile) if "rank" in claim.evidence_for(profile)
            else None,
            "device": device,
            "profile": profile,
            "library": _library_version(),
            "code": code_fingerprint(),
            **({"families": families_code} if families_code else {}),
            "estimator": _estimator_revision(),
            "version": 7,  # 3: each point's chains seeded by the point (chain_seed);
            # 4: closed forms of other formulas by an identity of models (independent);
            # 5: LLC evidence records the law spread; 6: its std_error includes it;
            # 7: noisy points at w0 with the symmetrised estimand (routes.W_STAR_RULE)
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _estimator_revision() -> int:
    from slttheory.sampling.estimator import ESTIMATOR_REVISION

    return ESTIMATOR_REVISION


def _library_version() -> str:
    from slttheory import __version__

    return __version__
