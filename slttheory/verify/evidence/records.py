"""Evidence records: what each route measured at a grid point, as stored and reported.

Every record is a frozen dataclass that round-trips through JSON (``to_dict``/``from_dict``), so
the result store keeps evidence, never verdicts: verdicts are derived from evidence at report
time (:mod:`slttheory.verify.judge`). A route that fails returns a record with
``status = "error"`` and the message, never an exception.

- :class:`ClosedFormEvidence`: the library's formula at the point, exact, with its
  ``standing`` (``"established"``: checked in this repository against an independent
  computation; ``"as_stated"``: a statement under test) and its ``reference``.
- :class:`RankEvidence`: exact Jacobian ranks — the generic rank (a certified lower bound, with
  the Schwartz–Zippel bound on the chance it is higher) and the rank at the true point (a
  certified lower bound on rank J(w*), hence on 2λ by the splitting lemma).
- :class:`AtPoint`: what was measured at the built w*: the gradient norm and smallest Hessian
  eigenvalues (is w* a local minimum?), the family's theorem hypotheses, numbers about the
  build, where the model differs from the source's, and how w* was obtained.
- :class:`LLCEvidence`: an LLC estimate with its interval, diagnostics, the reruns at other
  estimator settings, and the key of its controls.
- :class:`ControlRun` / :class:`ControlSet`: LLC estimates on controls of certified λ under the
  same estimator rules (one run per control and data set).
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import sympy as sp

__all__ = [
    "EVIDENCE_THREADS",
    "ClosedFormEvidence",
    "RankEvidence",
    "LLCEvidence",
    "AtPoint",
    "Rerun",
    "RERUN_SETTINGS",
    "RERUN_SETTINGS_TEXT",
    "ControlRun",
    "ControlSet",
    "PointEvidence",
    "well_typed",
    "consistent_rank",
    "exact_from_text",
    "finite",
    "jsonable",
    "records_say_w0",
    "no_minimum_for_the_llc",
]

EVIDENCE_THREADS = 1
"""The torch threads every piece of evidence is computed on, in worker processes and in the
verifier's own process alike: a trained family's w* depends on the thread count (335 of 428
parameters of a ReLU autoencoder moved by up to 1.5e-7 between 1 and 2 threads, and its LLC
by 3.8e-4 relative, an outside audit), so ``--jobs 1`` on a machine with more cores gave
other numbers than ``--jobs 2``."""


def exact_from_text(text: str | None) -> sp.Expr | None:
    """Exact value from its stored text (rationals, or sqrt/log expressions of numbers), read
    back with the safe expression parser; ``None`` if absent or unreadable."""
    if text is None:
        return None
    from slttheory.verify.expr import ExpressionError, parse_predicted

    try:
        return parse_predicted(text, [], key="stored value")
    except ExpressionError:
        return None


def finite(x: Any) -> float | None:
    """``float(x)`` if it is a finite number, else ``None``.

    >>> finite("2.5"), finite(float("nan")), finite(None)
    (2.5, None, None)
    """
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def jsonable(x: Any) -> Any:
    """``x`` as JSON-ready data (non-finite floats as strings, arrays ≤ 64 entries as lists)."""
    if isinstance(x, bool | int | str) or x is None:
        return x
    if isinstance(x, float):
        return x if math.isfinite(x) else str(x)
    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    try:
        import numpy as np

        if isinstance(x, np.generic):
            return jsonable(x.item())
        if isinstance(x, np.ndarray):
            return jsonable(x.tolist()) if x.size <= 64 else f"array{tuple(x.shape)}"
    except ImportError:  # pragma: no cover
        pass
    if hasattr(x, "__dataclass_fields__"):
        return jsonable(asdict(x))
    return str(x)


def _from(cls, data: Mapping[str, Any] | None):
    """``cls(**data)`` keeping only known fields (older stores may lack new ones)."""
    if data is None:
        return None
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _listed(x: Any) -> list | tuple:
    if not isinstance(x, list | tuple):
        raise TypeError(f"expected a JSON array, got {type(x).__name__}")
    return x


def _mapping(x: Any) -> Mapping[str, Any]:
    if not isinstance(x, Mapping):
        raise TypeError(f"expected a JSON object, got {type(x).__name__}")
    return x


def _conforms(value: Any, tp: Any) -> bool:
    """Whether ``value`` is of the annotated type ``tp`` as a record holds it (``X | None``,
    ``tuple[X, ...]``, ``tuple[X, Y]``, ``Mapping[str, Any]``, a record class, a scalar; a
    float field takes an int, as JSON writes 3.0; anything else passes)."""
    args = typing.get_args(tp)
    origin = typing.get_origin(tp)
    if tp is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, a) for a in args)
    if tp is type(None):
        return value is None
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return _is_int(value)
    if tp is float:
        return _is_number(value)
    if tp is str:
        return isinstance(value, str)
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_conforms(v, args[0]) for v in value)
        return len(args) == len(value) and all(
            _conforms(v, a) for v, a in zip(value, args, strict=True))
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        return isinstance(value, Mapping)
    if isinstance(tp, type) and hasattr(tp, "__dataclass_fields__"):
        return isinstance(value, tp) and well_typed(value) is None
    return True


def well_typed(record: Any) -> None:
    """``TypeError`` naming the first field of the evidence ``record`` (and of the records in
    it) whose value is not of its annotated type: a stored row that is a JSON object of other
    types than a run writes (a rank of "x", checks that are no object) had reached the judge
    on ``--resume`` and crashed it with a traceback, or failed the report's schema at the end
    of the run as "a bug in slttheory" (an audit of the store).

    >>> well_typed(RankEvidence("ok", rank=3))
    >>> well_typed(RankEvidence("ok", rank="x"))
    Traceback (most recent call last):
    ...
    TypeError: RankEvidence.rank is not of type int | None: 'x'
    """
    hints = typing.get_type_hints(type(record))
    for f in fields(record):
        value = getattr(record, f.name)
        if not _conforms(value, hints[f.name]):
            raise TypeError(f"{type(record).__name__}.{f.name} is not of type "
                            f"{f.type}: {value!r}"[:300])


def consistent_rank(rank: RankEvidence | None) -> None:
    """``ValueError`` where a stored rank record is one no run writes: a rank or rank at w*
    negative or above its parameter count, a λ other than rank/2, a Schwartz–Zippel bound
    negative or not finite. Certified ranks decide points without an LLC, so such a row (a
    rank of 99 of 2 parameters, "λ = 7" beside a rank of 2, an outside audit of the store) had
    given a certified verdict on ``--resume``; it is computed again instead. (A row edited
    consistently cannot be told from a computed one: the store is not a signature.)

    >>> consistent_rank(RankEvidence("ok", rank=2, n_params=2, lam="1"))
    >>> consistent_rank(RankEvidence("ok", rank=99, n_params=2))
    Traceback (most recent call last):
    ...
    ValueError: RankEvidence.rank = 99 is not in [0, 2]
    """
    if rank is None or rank.status != "ok":
        return
    n = rank.n_params
    for name in ("rank", "point_rank"):
        r = getattr(rank, name)
        if r is not None and (r < 0 or (n is not None and r > n)):
            raise ValueError(f"RankEvidence.{name} = {r} is not in [0, {n}]")
    if rank.lam is not None and (rank.rank is None or
                                 exact_from_text(rank.lam) != sp.Rational(rank.rank, 2)):
        raise ValueError(f"RankEvidence.lam = {rank.lam!r} is not rank/2 ({rank.rank}/2)")
    if rank.bound is not None and not (math.isfinite(rank.bound) and rank.bound >= 0):
        raise ValueError(f"RankEvidence.bound = {rank.bound} is not a probability bound")


@dataclass(frozen=True)
class ClosedFormEvidence:
    """The library's closed form at a point: ``value`` is exact sympy text."""

    status: str  # "ok" | "error"
    value: str | None = None
    exact: bool = True
    multiplicity: str | None = None
    case: str = ""
    source: str = ""
    lower: str | None = None  # for a formula that gives bounds only
    upper: str | None = None
    error: str | None = None
    formula: str = ""
    standing: str = "as_stated"
    established_by: str = ""
    reference: str = ""

    @property
    def sympy_value(self) -> sp.Expr | None:
        return exact_from_text(self.value)

    @property
    def sympy_lower(self) -> sp.Expr | None:
        return exact_from_text(self.lower)

    @property
    def sympy_upper(self) -> sp.Expr | None:
        return exact_from_text(self.upper)


@dataclass(frozen=True)
class RankEvidence:
    """Exact Jacobian ranks of the family's parameter-to-function map (the map the loss sees).

    ``rank``: the largest exact rank at random integer points, a certified lower bound on the
    *generic* rank; ``bound``: the Schwartz–Zippel bound on the chance that the generic rank is
    higher; ``determines_lambda``/``reason``: whether the family states λ = rank/2 at its true
    point (minimally singular), and why; ``lam``: that λ = rank/2, exact, and ``None`` where
    the rank does not determine λ; ``inputs_determine``: whether the design's outputs
    determine the function on the data's support (then, at a generic w*, λ = generic rank/2,
    the codimension of the fibre; at a degenerate w* λ can exceed it, e.g. the quadratic network
    d = 2, K = 4, p = 1 at W = 0 has λ = 2 against a generic rank of 3). ``point_rank``: a
    certified lower bound on rank J(w*) at the true point itself (``None`` where w* is a
    trained point), with ``point_rank_how``. ``point_rank_exact``: ``point_rank`` is not only a
    lower bound but at least rank J(w*) itself (an exact rank over ℚ at the integer w*, or of
    an affine map, or the largest possible rank min(rows, d) found at a point of the stratum),
    of the package's own rank map at the family's stated true point (``true_point`` "generic",
    "support" or "exact", never "trained", nor a plugin's map or build); ``False`` in evidence
    stored before it was recorded, which then gives no fact that needs it
    (:func:`slttheory.verify.judge.facts.hessian_rank_bound`). ``true_point``: the rank
    problem's stratum of w*, as recorded ("" where not).
    """

    status: str
    rank: int | None = None
    n_params: int | None = None
    lam: str | None = None
    certified: bool = False
    determines_lambda: bool = False
    reason: str = ""
    bound: float | None = None
    error: str | None = None
    inputs_determine: bool = False
    point_rank: int | None = None
    point_rank_certified: bool = False
    point_rank_how: str = ""
    point_rank_exact: bool = False
    true_point: str = ""

    @property
    def equality_certified(self) -> bool:
        """Whether λ = rank/2 may rest on this generic rank: an exact rank (``certified``)
        and a Schwartz–Zippel bound of at most :data:`RANK_CERTAINTY` on the chance that the
        generic rank is higher (0 where the rank is maximal or the map affine). ``rank`` is
        only a lower bound on the generic rank; with a weak bound (small integer points,
        deep maps: a bound of 1 says nothing) a rank one below the generic rank would give
        a λ too low, "certified".

        >>> RankEvidence("ok", rank=4, certified=True, bound=1e-9).equality_certified
        True
        >>> RankEvidence("ok", rank=4, certified=True, bound=1.0).equality_certified
        False
        """
        return (self.status == "ok" and self.certified and self.bound is not None
                and self.bound <= RANK_CERTAINTY)


RANK_CERTAINTY = 1e-6
"""The largest Schwartz–Zippel bound (on the chance that the generic rank exceeds the rank
found) at which a generic rank certifies λ = rank/2 (:attr:`RankEvidence.equality_certified`);
the rank route adds random points until its bound is below this where it can
(``evidence.routes.rank_route``)."""


RERUN_SETTINGS: tuple[str, ...] = ("γ × 3", "γ / 3", "ε / 2")
"""The changed estimator settings an LLC-decided verdict must survive, as :class:`Rerun`
labels them (``evidence.routes.RERUNS`` says how each is made)."""

RERUN_CHANGES: dict[str, tuple[str, float]] = {
    "γ × 3": ("localization", 3.0),
    "γ / 3": ("localization", 1.0 / 3.0),
    "ε / 2": ("step_size", 0.5),
}
"""Each of :data:`RERUN_SETTINGS`: the ``LLCConfig`` field it changes and the factor on the
estimate's own value there (``evidence.routes.RERUNS`` makes them so; the judge checks a
rerun's config against it, :func:`~slttheory.verify.judge.facts.rerun_unusable`)."""

RERUN_SETTINGS_TEXT = ", ".join(RERUN_SETTINGS[:-1]) + " and " + RERUN_SETTINGS[-1]
""":data:`RERUN_SETTINGS` in words, for reasons: "γ × 3, γ / 3 and ε / 2"."""


def _usable(passed: Any, problems: Any, mean: float | None) -> bool:
    """An estimate's record is evidence: it passed its diagnostics, lists no failed check and
    gave a finite value."""
    return bool(passed) and not problems and mean is not None and math.isfinite(mean)


@dataclass(frozen=True)
class Rerun:
    """The point's LLC re-estimated at one changed estimator setting (γ × 3, γ / 3, ε / 2).

    ``unresolved``: the rerun's own ``Diagnostics.unresolved`` (how much higher λ may be in
    directions too weakly curved for its scan). It depends on γ — at γ × 3 the localisation
    holds more directions — so the rerun's band must rise by its own, not the base estimate's
    (0 in records stored before it was kept)."""

    setting: str
    mean: float | None
    std_error: float | None
    passed: bool
    problems: tuple[str, ...] = ()
    config: Mapping[str, Any] = field(default_factory=dict)
    unresolved: float = 0.0

    @property
    def clean(self) -> bool:
        """Usable as evidence, as :attr:`LLCEvidence.clean` reads an estimate
        (:func:`_usable`; a record with ``passed`` beside failed checks is a failed rerun)."""
        return _usable(self.passed, self.problems, self.mean)


@dataclass(frozen=True)
class LLCEvidence:
    """An LLC estimate at the family's true (or trained) parameter.

    ``mean``/``std_error``/``ci``: the estimator's value, total standard error and 95 %
    interval, the spread between finite-nβ laws included (``law_error``: that part), so that
    controls correct only the residual bias (``mc_error``: the Monte-Carlo part;
    ``data_error``, ``fit_error``: the data-fluctuation and fit parts, ``LLCEstimate``'s;
    ``single``: the raw single-temperature λ̂ where the method extrapolates); ``passed``: the
    estimator's own diagnostics passed (``Diagnostics.passed``), with ``problems`` listing
    every failed check; ``reruns``: the robustness reruns; ``control_key``: the key of the
    :class:`ControlSet` measured under the same rules; ``scan``: the temperature scan and its
    fit as numbers (:func:`slttheory.sampling.scan_record`; empty without a sampled scan),
    which the report draws.
    """

    status: str
    mean: float | None = None
    std_error: float | None = None
    diagnostics: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    config: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""
    elapsed_s: float | None = None
    error: str | None = None
    method: str = "single"
    ci: tuple[float, float] | None = None
    mc_error: float | None = None
    systematic: float | None = None
    single: float | None = None
    passed: bool = False
    reruns: tuple[Rerun, ...] = ()
    control_key: str | None = None
    law_error: float | None = None
    scan: Mapping[str, Any] = field(default_factory=dict)
    data_error: float | None = None
    fit_error: float | None = None

    @property
    def clean(self) -> bool:
        """Usable as evidence: it ran, gave a finite value and passed every diagnostic."""
        return self.status == "ok" and _usable(self.passed, self.problems, self.mean)

    def to_dict(self) -> dict[str, Any]:
        d = jsonable(asdict(self))
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> LLCEvidence | None:
        if data is None:
            return None
        d = dict(data)
        d["problems"] = tuple(d.get("problems", ()))
        d["reruns"] = tuple(
            _from(Rerun, {**r, "problems": tuple(r.get("problems", ()))})
            for r in d.get("reruns", ())
        )
        if d.get("ci") is not None:
            d["ci"] = tuple(float(v) for v in d["ci"])
        return _from(cls, d)


@dataclass(frozen=True)
class AtPoint:
    """What was measured at the built w* (wherever the problem is built: for an LLC, or to
    check the claim's hypotheses).

    ``checks``: :func:`slttheory.geometry.critical_point_check` as data (``is_local_min``,
    ``grad_norm``, ``smallest_eigenvalues``, ``reason``); ``hypotheses``: the family's measured
    hypotheses (``name``, ``statement``, ``measured``, ``met``); ``extras``: numbers about the
    build (training losses, the exact rank on the training inputs, K_eff); ``differences``:
    where the family's model differs from its source's, ``source`` (the family's, which a
    claim may not share); ``note``: how w* was obtained;
    ``orbit``: a symmetry orbit through w* (``dimension`` s, ``n_params`` d, ``how``), which
    bounds λ ≤ (d − s)/2 (:mod:`slttheory.models.symmetry`).
    """

    status: str
    checks: Mapping[str, Any] = field(default_factory=dict)
    hypotheses: tuple[Mapping[str, Any], ...] = ()
    extras: Mapping[str, Any] = field(default_factory=dict)
    differences: tuple[str, ...] = ()
    note: str = ""
    error: str | None = None
    orbit: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> AtPoint | None:
        if data is None:
            return None
        d = dict(data)
        d["hypotheses"] = tuple(d.get("hypotheses", ()))
        d["differences"] = tuple(d.get("differences", ()))
        return _from(cls, d)


def records_say_w0(at: AtPoint | None, llc: LLCEvidence | None) -> bool:
    """Whether w* is the family's true parameter w0 and an LLC there is (or, where the route
    runs, would be) the symmetrised estimand: every record that can say so does, and at least
    one does. Two records say it: the w* measurement (``at.extras["true_parameter"]``, set by
    the build, ``routes._build``) and an LLC that ran (``llc.config["true_parameter"]``, what
    ``estimate_llc`` was called with). A failed record (an LLC with no config, a w* that
    failed) says nothing either way; where no LLC ran, the w* record alone says it. The rule
    the judge exempts a w* from the local-minimum rule by
    (:func:`slttheory.verify.judge.point.sampled_at_w0`), and that decides, through
    :func:`no_minimum_for_the_llc`, which facts at w* are drawn and what is run there.

    >>> w0 = AtPoint("ok", extras={"true_parameter": True})
    >>> records_say_w0(w0, None), records_say_w0(w0, LLCEvidence("ok", config={}))
    (True, False)
    >>> records_say_w0(w0, LLCEvidence("error")), records_say_w0(None, None)
    (True, False)
    """
    says = []
    if llc is not None and llc.status == "ok":
        says.append(bool(llc.config.get("true_parameter")))
    if at is not None and at.status == "ok":
        says.append(bool(at.extras.get("true_parameter")))
    return bool(says) and all(says)


def no_minimum_for_the_llc(at: AtPoint | None, llc: LLCEvidence | None = None) -> bool:
    """Measured, w* is not a local minimum of L_n, and the records do not agree that it is a
    true parameter sampled with the symmetrised estimand (:func:`records_say_w0`, whose
    estimand needs no minimum): λ at w* is not defined, so no fact at w* is drawn
    (``judge.facts.facts_of``), no LLC there decides (the judge's ``not_a_minimum`` rule),
    and it gets no controls or reruns. ``llc``: the point's LLC where one ran (a w* record
    that says w0 beside an LLC that was not sampled as at w0 is not exempt). ``False`` where
    unknown (w* not measured, or its check gave no answer).

    >>> saddle = {"is_local_min": False}
    >>> w0 = AtPoint("ok", checks=saddle, extras={"true_parameter": True})
    >>> no_minimum_for_the_llc(w0), no_minimum_for_the_llc(w0, LLCEvidence("ok", config={}))
    (False, True)
    >>> no_minimum_for_the_llc(AtPoint("ok", checks=saddle)), no_minimum_for_the_llc(None)
    (True, False)
    """
    if at is None or at.status != "ok" or at.checks.get("is_local_min") is not False:
        return False
    return not records_say_w0(at, llc)


@dataclass(frozen=True)
class ControlRun:
    """One control of certified λ, estimated on one data set under the point's rules.

    ``lam``: the certified λ (exact text) with ``multiplicity``; ``certified_by``: how (e.g.
    "exact Jacobian rank 14, λ = rank/2: regular"); ``kind``: "regular", "singular, m = 1",
    "singular, m = 2".
    """

    family: str
    params: Mapping[str, Any]
    kind: str
    lam: str
    multiplicity: int | None
    certified_by: str
    data_seed: int
    mean: float | None = None
    std_error: float | None = None
    passed: bool = False
    problems: tuple[str, ...] = ()
    elapsed_s: float = 0.0
    error: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ControlRun:
        """The run stored as ``data``; ``TypeError`` where it is not one (a damaged row)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"a control run is a JSON object, got {type(data).__name__}")
        run = _from(cls, {**data, "problems": tuple(_listed(data.get("problems", ()))),
                          "params": dict(_mapping(data.get("params", {})))})
        well_typed(run)
        return run

    @property
    def lam_value(self) -> float:
        v = exact_from_text(self.lam)
        return float(v) if v is not None else math.nan

    @property
    def usable(self) -> bool:
        return (self.error is None and self.passed and not self.problems
                and self.mean is not None and math.isfinite(self.mean))


@dataclass(frozen=True)
class ControlSet:
    """Controls run under one estimator configuration (``key``: a hash of that configuration,
    the method and the library version, so points that share rules share controls)."""

    key: str
    rules: Mapping[str, Any]
    runs: tuple[ControlRun, ...]
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ControlSet:
        """The set stored as ``data``; ``TypeError``/``KeyError`` where it is not one (a
        damaged row, which the verifier then runs again)."""
        if not isinstance(data.get("key"), str):
            raise TypeError("a control set's key is a string")
        runs = tuple(ControlRun.from_dict(r) for r in _listed(data.get("runs", ())))
        elapsed = data.get("elapsed_s", 0.0)
        if not _is_number(elapsed):
            raise TypeError("a control set's elapsed_s is a number")
        return cls(data["key"], dict(_mapping(data.get("rules", {}))), runs, float(elapsed))


@dataclass(frozen=True)
class PointEvidence:
    """All evidence of one grid point (what the store keeps). ``independent``: closed forms of
    other formulas that give λ of the same model by an identity of models
    (:func:`~slttheory.verify.evidence.routes.independent_forms_route`)."""

    closed_form: ClosedFormEvidence | None
    rank: RankEvidence | None
    llc: LLCEvidence | None
    elapsed_s: float
    at_point: AtPoint | None = None
    independent: tuple[ClosedFormEvidence, ...] = ()
    stored: bool = False
    """Read from the store of an earlier run (``--resume``), not computed by this one: how
    this run got it, so never itself stored (``to_dict`` leaves it out)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "closed_form": None if self.closed_form is None else jsonable(asdict(self.closed_form)),
            "rank": None if self.rank is None else jsonable(asdict(self.rank)),
            "llc": None if self.llc is None else self.llc.to_dict(),
            "at_point": None if self.at_point is None else self.at_point.to_dict(),
            "independent": [jsonable(asdict(c)) for c in self.independent],
            "elapsed_s": self.elapsed_s,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PointEvidence:
        return cls(
            closed_form=_from(ClosedFormEvidence, data.get("closed_form")),
            rank=_from(RankEvidence, data.get("rank")),
            llc=LLCEvidence.from_dict(data.get("llc")),
            elapsed_s=float(data.get("elapsed_s", 0.0)),
            at_point=AtPoint.from_dict(data.get("at_point")),
            independent=tuple(_from(ClosedFormEvidence, c)
                              for c in data.get("independent") or ()),
        )
