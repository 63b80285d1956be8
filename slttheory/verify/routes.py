"""The three routes of evidence for one grid point, and their results.

- ``closed_form``: the library's formula for the family (:mod:`slttheory.formulas`), exact.
- ``rank``: the exact Jacobian rank at random integer points
  (:func:`slttheory.geometry.generic_rank`): a certified lower bound on the generic rank,
  with the Schwartz–Zippel bound on the chance that the generic rank is higher. λ = rank/2
  is used only where the family's :class:`~slttheory.models.registry.RankProblem` declares
  ``gives_lambda`` (minimally singular true points, as in seed 001's proofs).
- ``llc``: :func:`slttheory.sampling.estimate_llc` at the family's true (or trained)
  parameter, with its standard error and diagnostics.

Each route returns a frozen evidence record; a route that fails returns a record with
``status = "error"`` and the message, never an exception. The route functions are
collected in :class:`Routes`, which the engine takes as an argument (tests inject fakes).
"""

from __future__ import annotations

import math
import time
import traceback
import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import sympy as sp

__all__ = [
    "ClosedFormEvidence",
    "RankEvidence",
    "LLCEvidence",
    "PointEvidence",
    "Routes",
    "DEFAULT_ROUTES",
    "closed_form_route",
    "rank_route",
    "llc_route",
    "llc_problems",
    "RHAT_MAX",
]

RHAT_MAX = 1.1
"""R-hat above this marks an LLC estimate as not clean (chains disagree)."""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, NotImplementedError):
        where = traceback.extract_tb(exc.__traceback__)
        fn = where[-1].name if where else "?"
        detail = f": {exc}" if str(exc) else ""
        return f"not implemented yet ({fn} raised NotImplementedError{detail})"
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


@dataclass(frozen=True)
class ClosedFormEvidence:
    """The library's closed form at a point: ``value`` is exact sympy text (``str``)."""

    status: str  # "ok" | "error"
    value: str | None = None
    exact: bool = True
    multiplicity: str | None = None
    case: str = ""
    source: str = ""
    lower: str | None = None  # for a formula that gives bounds only
    upper: str | None = None
    error: str | None = None

    @property
    def sympy_lower(self) -> sp.Expr | None:
        return _from_text(self.lower)

    @property
    def sympy_upper(self) -> sp.Expr | None:
        return _from_text(self.upper)

    @property
    def sympy_value(self) -> sp.Expr | None:
        """The exact value, re-read with the safe expression parser (None if absent)."""
        return _from_text(self.value)


@dataclass(frozen=True)
class RankEvidence:
    """Exact Jacobian rank: ``lam`` = rank/2 (exact text); ``bound`` = Schwartz–Zippel bound."""

    status: str
    rank: int | None = None
    n_params: int | None = None
    lam: str | None = None
    certified: bool = False
    determines_lambda: bool = False
    reason: str = ""
    bound: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class LLCEvidence:
    """An LLC estimate: mean ± standard error, diagnostics, and whether it is clean."""

    status: str
    mean: float | None = None
    std_error: float | None = None
    diagnostics: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    config: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""
    elapsed_s: float | None = None
    error: str | None = None

    @property
    def clean(self) -> bool:
        return self.status == "ok" and not self.problems


@dataclass(frozen=True)
class PointEvidence:
    """All evidence of one grid point (what the store keeps)."""

    closed_form: ClosedFormEvidence | None
    rank: RankEvidence | None
    llc: LLCEvidence | None
    elapsed_s: float

    def to_dict(self) -> dict[str, Any]:
        def d(x):
            if x is None:
                return None
            out = asdict(x)
            if "problems" in out:
                out["problems"] = list(out["problems"])
            return out

        return {
            "closed_form": d(self.closed_form),
            "rank": d(self.rank),
            "llc": d(self.llc),
            "elapsed_s": self.elapsed_s,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PointEvidence:
        cf = data.get("closed_form")
        rk = data.get("rank")
        lc = data.get("llc")
        if lc is not None:
            lc = dict(lc)
            lc["problems"] = tuple(lc.get("problems", ()))
        return cls(
            closed_form=None if cf is None else ClosedFormEvidence(**cf),
            rank=None if rk is None else RankEvidence(**rk),
            llc=None if lc is None else LLCEvidence(**lc),
            elapsed_s=float(data.get("elapsed_s", 0.0)),
        )


def _from_text(text: str | None) -> sp.Expr | None:
    """Exact value from its stored text (rationals, or sqrt/log expressions of numbers)."""
    if text is None:
        return None
    from slttheory.verify.expr import ExpressionError, parse_predicted

    try:
        return parse_predicted(text, [], key="stored value")
    except ExpressionError:
        return None


def _exact_text(value: sp.Expr) -> str:
    return str(value)


# --- the default routes -------------------------------------------------------------------


def closed_form_route(family: Any, params: Mapping[str, Any]) -> ClosedFormEvidence:
    """The family's closed form at ``params`` (its ``formula``), exact."""
    try:
        if getattr(family, "formula", None) is None:
            return ClosedFormEvidence("error", error=f"family {family.name!r} has no closed form")
        if hasattr(family, "closed_form"):
            lc = family.closed_form(dict(params))
        else:
            lc = family.formula(**params)
        if hasattr(lc, "lower") and hasattr(lc, "upper") and not hasattr(lc, "value"):
            return ClosedFormEvidence(
                "ok",
                value=None,
                exact=True,
                case=getattr(lc, "case", ""),
                source=getattr(lc, "source", ""),
                lower=_exact_text(sp.sympify(lc.lower)),
                upper=_exact_text(sp.sympify(lc.upper)),
            )
        value = sp.sympify(lc.value)
        if value.free_symbols:
            return ClosedFormEvidence(
                "error", error=f"closed form is symbolic ({value}) at an integer point"
            )
        mult = getattr(lc, "multiplicity", None)
        return ClosedFormEvidence(
            "ok",
            value=_exact_text(value),
            exact=not value.has(sp.Float),
            multiplicity=None if mult is None else str(mult),
            case=str(getattr(lc, "case", "")),
            source=str(getattr(lc, "source", "")),
        )
    except Exception as e:  # noqa: BLE001 - a route never raises
        return ClosedFormEvidence("error", error=_describe(e))


def rank_route(family: Any, params: Mapping[str, Any], settings: Mapping[str, Any]) -> RankEvidence:
    """Exact generic Jacobian rank of the family's rank map (certified lower bound)."""
    try:
        if getattr(family, "rank_problem", None) is None:
            return RankEvidence("error", error=f"family {family.name!r} has no polynomial rank map")
        from slttheory.geometry import generic_rank

        rp = family.rank_problem(dict(params))
        kw: dict[str, Any] = {
            "trials": int(settings.get("trials", 3)),
            "seed": int(settings.get("seed", 0)),
        }
        res = generic_rank(rp.fn, rp.param_shapes, rp.inputs, degree=rp.degree, **kw)
        rank = int(res.rank)
        bound = getattr(res, "schwartz_zippel_bound", None)
        return RankEvidence(
            "ok",
            rank=rank,
            n_params=int(res.n_params),
            lam=str(sp.Rational(rank, 2)),
            certified=bool(getattr(res, "certified", False)),
            determines_lambda=bool(rp.gives_lambda),
            reason=str(rp.reason),
            bound=None if bound is None else float(bound),
        )
    except Exception as e:  # noqa: BLE001
        return RankEvidence("error", error=_describe(e))


def _jsonable(x: Any) -> Any:
    if isinstance(x, bool | int | str) or x is None:
        return x
    if isinstance(x, float):
        return x if math.isfinite(x) else str(x)
    if isinstance(x, Mapping):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    try:
        import numpy as np

        if isinstance(x, np.generic):
            return _jsonable(x.item())
        if isinstance(x, np.ndarray):
            return _jsonable(x.tolist()) if x.size <= 64 else f"array{tuple(x.shape)}"
    except ImportError:  # pragma: no cover
        pass
    if hasattr(x, "__dataclass_fields__"):
        return _jsonable(asdict(x))
    return str(x)


def llc_problems(
    mean: float | None, std_error: float | None, diagnostics: Mapping[str, Any]
) -> list[str]:
    """Why an LLC estimate is not clean (empty list: clean).

    >>> llc_problems(1.0, 0.1, {"divergent": False, "rhat": 1.01, "warnings": []})
    []
    >>> llc_problems(1.0, 0.1, {"divergent": True, "rhat": 1.5, "warnings": ["step too big"]})
    ['divergent chains', 'R-hat 1.50 > 1.1', 'step too big']
    """
    out = []
    if mean is None or not math.isfinite(mean):
        out.append(f"estimate is not finite ({mean})")
    if std_error is None or not math.isfinite(std_error):
        out.append(f"standard error is not finite ({std_error})")
    if diagnostics.get("divergent"):
        out.append("divergent chains")
    rhat = diagnostics.get("rhat")
    warned = any("R-hat" in str(w) for w in diagnostics.get("warnings", []) or [])
    if isinstance(rhat, int | float) and math.isfinite(rhat) and rhat > RHAT_MAX and not warned:
        out.append(f"R-hat {rhat:.2f} > {RHAT_MAX}")
    for w in diagnostics.get("warnings", []) or []:
        out.append(str(w))
    return out


def llc_route(
    family: Any, params: Mapping[str, Any], settings: Mapping[str, Any], device: str
) -> LLCEvidence:
    """``estimate_llc`` at the family's true (or trained) parameter."""
    t0 = time.perf_counter()
    try:
        import torch

        from slttheory.sampling import estimate_llc

        seed = int(settings.get("seed", 0))
        gen = torch.Generator().manual_seed(seed)
        problem = family.build(dict(params), n=settings.get("n"), generator=gen, device=device)
        kw = {k: v for k, v in settings.items() if k not in ("n", "seed")}
        with warnings.catch_warnings():
            # diagnostics warnings are recorded in the evidence (and make it unclean)
            warnings.simplefilter("ignore")
            est = estimate_llc(
                problem.model, problem.data, loss=problem.loss, seed=seed, device=device, **kw
            )
        return _llc_evidence(est, str(getattr(problem, "note", "")), time.perf_counter() - t0)
    except Exception as e:  # noqa: BLE001
        return LLCEvidence(
            "error", error=_describe(e), elapsed_s=round(time.perf_counter() - t0, 3)
        )


def _llc_evidence(est: Any, note: str, elapsed: float) -> LLCEvidence:
    """The ``"ok"`` evidence record of an LLC estimate (used by ``llc_route`` and the batched
    route): mean, standard error, JSON diagnostics and config, and the ``llc_problems`` found."""
    diag = est.diagnostics
    diag_d = _jsonable(
        diag
        if isinstance(diag, Mapping)
        else asdict(diag)
        if hasattr(diag, "__dataclass_fields__")
        else vars(diag)
    )
    mean = float(est.llc)
    se = float(est.std_error)
    return LLCEvidence(
        "ok",
        mean=mean,
        std_error=se,
        diagnostics=diag_d,
        problems=tuple(llc_problems(mean, se, diag_d)),
        config=_jsonable(getattr(est, "config", {})),
        note=note,
        elapsed_s=round(elapsed, 3),
    )


@dataclass(frozen=True)
class Routes:
    """The route functions the engine calls (inject fakes in tests).

    ``closed_form(family, params)``, ``rank(family, params, settings)``,
    ``llc(family, params, settings, device)``.
    """

    closed_form: Callable[..., ClosedFormEvidence] = closed_form_route
    rank: Callable[..., RankEvidence] = rank_route
    llc: Callable[..., LLCEvidence] = llc_route


DEFAULT_ROUTES = Routes()
