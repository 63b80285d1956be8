"""The report's data, ``report.json``: the object, its JSON Schema, a dependency-free validator.

:data:`REPORT_SCHEMA` is a JSON Schema (draft 2020-12), documented in
``verification/README.md``; :func:`validate_report` checks a report against it (types, required
keys, enums, items) without third-party packages.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from slttheory.verify.claims import Claim
from slttheory.verify.claims.common import same_source
from slttheory.verify.evidence.records import finite, jsonable
from slttheory.verify.judge import (
    GRADES,
    VERDICTS,
    ClaimResult,
    ExperimentClaimResult,
    PointResult,
    scope,
)
from slttheory.verify.judge.facts import assess_llc, closed_form_grade
from slttheory.verify.judge.llc import Band
from slttheory.verify.judge.point import fmt_point

__all__ = ["SCHEMA_VERSION", "REPORT_SCHEMA", "build_report", "validate_report", "environment"]

SCHEMA_VERSION = 2

_num = {"type": ["number", "null"]}
_str = {"type": ["string", "null"]}
_grade = {"type": "string", "enum": [*GRADES, "failed", "absent", "none"]}
_route = {"type": ["object", "null"], "required": ["status", "grade"],
          "properties": {"status": {"type": "string", "enum": ["ok", "error"]},
                         "grade": _grade}}

REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "slttheory verification report",
    "type": "object",
    "required": ["schema_version", "profile", "created", "environment", "summary", "claims"],
    "properties": {
        "schema_version": {"type": "integer", "enum": [SCHEMA_VERSION]},
        "profile": {"type": "string"},
        "created": {"type": "string"},
        "wall_s": _num,
        "environment": {
            "type": "object",
            "required": ["python", "torch", "device", "platform", "slttheory"],
            "properties": {k: {"type": "string"} for k in ("python", "device", "platform",
                                                           "slttheory")} | {"torch": _str},
        },
        "summary": {"type": "object"},
        "claims": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "title", "source", "family", "kind", "verdict", "reason", "grade",
                         "points", "point_counts"],
            "properties": {
                "id": _str, "title": {"type": "string"}, "source": {"type": "string"},
                "family": {"type": "string"}, "kind": {"type": "string"},
                "verdict": {"type": "string", "enum": list(VERDICTS)},
                "reason": {"type": "string"}, "grade": _grade,
                "reading": {"type": "string"},
                "differences": {"type": "array", "items": {"type": "string"}},
                "cases": {"type": "array", "items": {"type": "string"}},
                "point_counts": {"type": "object"},
                "controls": {"type": "array", "items": {"type": "object"}},
                "fits": {"type": "array", "items": {"type": "object"}},
                "experiment": {"type": ["object", "null"]},
                "points": {"type": "array", "items": {
                    "type": "object",
                    "required": ["params", "verdict", "reason", "grade", "predicted",
                                 "predicted_exact", "facts", "closed_form", "rank", "llc",
                                 "elapsed_s"],
                    "properties": {
                        "params": {"type": "object"},
                        "verdict": {"type": "string", "enum": list(VERDICTS)},
                        "reason": {"type": "string"}, "grade": _grade,
                        "predicted": _num, "predicted_exact": _str,
                        "facts": {"type": "array", "items": {
                            "type": "object", "required": ["route", "grade", "text"],
                            "properties": {"grade": {"type": "string",
                                                     "enum": list(GRADES)}}}},
                        "closed_form": _route, "rank": _route, "llc": _route,
                        "independent": {"type": "array", "items": {"type": "object"}},
                        "at_point": {"type": ["object", "null"]},
                        "elapsed_s": {"type": "number"},
                    },
                }},
            },
        }},
    },
}

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def validate_report(obj: Any, schema: Mapping[str, Any] = REPORT_SCHEMA, path: str = "$") -> None:
    """Raise ``ValueError`` naming the JSON path of the first violation of ``schema``.

    >>> validate_report({"schema_version": 2})
    Traceback (most recent call last):
    ...
    ValueError: $: missing required key 'profile'
    """
    t = schema.get("type")
    if t is not None:
        types = [t] if isinstance(t, str) else list(t)
        if not any(_TYPES[x](obj) for x in types):
            raise ValueError(f"{path}: expected {' or '.join(types)}, got {type(obj).__name__}")
    if "enum" in schema and obj not in schema["enum"]:
        raise ValueError(f"{path}: {obj!r} not one of {schema['enum']}")
    if isinstance(obj, dict):
        for k in schema.get("required", []):
            if k not in obj:
                raise ValueError(f"{path}: missing required key {k!r}")
        for k, sub in schema.get("properties", {}).items():
            if k in obj:
                validate_report(obj[k], sub, f"{path}.{k}")
    if isinstance(obj, list) and "items" in schema:
        for i, v in enumerate(obj):
            validate_report(v, schema["items"], f"{path}[{i}]")


def environment(device: str) -> dict[str, Any]:
    """Versions and machine, for the report header."""
    try:
        import torch

        tv, threads = torch.__version__, torch.get_num_threads()
    except ImportError:  # pragma: no cover
        tv, threads = None, None
    import numpy
    import sympy

    from slttheory import __version__
    from slttheory.sampling.estimator import ESTIMATOR_REVISION

    return {"python": platform.python_version(), "torch": tv, "device": device,
            "platform": platform.platform(), "slttheory": __version__,
            "estimator_revision": ESTIMATOR_REVISION,
            "numpy": numpy.__version__, "sympy": sympy.__version__, "torch_threads": threads,
            "machine": platform.machine()}


def _band_json(b: Band | None) -> dict[str, Any] | None:
    if b is None:
        return None
    return {
        "controlled": b.controlled, "low": finite(b.low), "high": finite(b.high),
        "corrected": finite(b.corrected), "ratio_low": finite(b.ratio_low),
        "ratio_high": finite(b.ratio_high), "agreement_p": finite(b.agreement_p), "why": b.why,
        "controls": [{"family": c.family, "params": jsonable(c.params), "kind": c.kind,
                      "lambda": finite(c.lam), "certified_by": c.certified_by,
                      "bias": finite(c.ratio - 1), "spread": finite(c.spread), "usable": c.usable,
                      "runs": c.runs, "estimates": [finite(v) for v in c.estimates]}
                     for c in b.controls],
    }


def point_json(pr: PointResult, claim: Claim, controls: Mapping[str, Any]) -> dict[str, Any]:
    """One point of ``report.json``: verdict, grade, facts and every route with its grade."""
    ev, pv = pr.evidence, pr.verdict
    facts = pv.facts
    out: dict[str, Any] = {
        "params": jsonable(dict(pr.params)),
        "verdict": pv.verdict, "reason": pv.reason, "grade": pv.grade,
        "predicted": None if pr.predicted is None else finite(pr.predicted),
        "predicted_exact": None if pr.predicted is None else str(pr.predicted),
        "facts": [{"route": f.route, "grade": f.grade, "text": f.text, "note": f.note,
                   "low": None if f.low is None else str(f.low),
                   "high": None if f.high is None else str(f.high)} for f in facts],
        "closed_form": None, "rank": None, "llc": None,
        "independent": [{**jsonable(c.__dict__), "value_float": finite(c.sympy_value),
                         "grade": closed_form_grade(claim, c)[0] if c.status == "ok"
                         else "none"}
                        for c in ev.independent],
        "at_point": None if ev.at_point is None else ev.at_point.to_dict(),
        "elapsed_s": float(ev.elapsed_s),
    }
    cf = ev.closed_form
    if cf is not None:
        g = next((f.grade for f in facts if f.route == "closed form"), "none")
        out["closed_form"] = {**jsonable(cf.__dict__), "grade": g,
                              "value_float": finite(cf.sympy_value)}
    rk = ev.rank
    if rk is not None:
        gs = {f.grade for f in facts if f.route in ("rank at w*", "generic rank")}
        out["rank"] = {**jsonable(rk.__dict__), "grade": "certified" if "certified" in gs
                       else "none",
                       # λ from the rank only where the family's reason makes it λ and
                       # the generic rank is certain enough (RankEvidence.equality_certified)
                       "lambda": rk.rank / 2 if rk.rank is not None and rk.determines_lambda
                       and rk.equality_certified else None}
        if out["rank"]["lambda"] is None:
            out["rank"]["lam"] = None  # RankEvidence's text form: the same rule as "lambda"
    lc = ev.llc
    if lc is not None:
        a = pv.llc
        if a is None and pr.predicted is not None:
            a = assess_llc(lc, controls, float(pr.predicted), claim.relation,
                           claim.tolerance.llc_abs_for(float(pr.predicted)))
        d = lc.to_dict()
        d.update(grade=a.grade if a is not None else ("uncontrolled" if lc.clean else "failed"),
                 band=_band_json(a.band if a is not None else None),
                 assessment=a.why if a is not None else "", clean=lc.clean)
        out["llc"] = d
    return out


def family_difference(text: str, family_source: str, claim_source: str) -> str:
    """A family's difference from its own source, said as such where the claim cites another
    work (the family's list compares with the family's source, not with the claim's).

    >>> family_difference("inputs chosen here", "seed 000 (arXiv:2512.00686)", "Textbook 2020")
    "against the family's source, seed 000 (arXiv:2512.00686): inputs chosen here"
    >>> family_difference("inputs chosen here", "Lakkapragada 2025, arXiv:2512.00686",
    ...                   "seed 000 (arXiv:2512.00686), Q2")
    'inputs chosen here'
    """
    if not family_source or same_source(claim_source, family_source):
        return text
    return f"against the family's source, {family_source}: {text}"


def w_star_status(p: Mapping[str, Any]) -> tuple[bool, bool]:
    """``(not_a_minimum, at_w0)`` of a report point (``point_json``): the critical-point check
    found w* no local minimum of L_n; w* is the true parameter w0 (its build says so, or the
    LLC sampled there with the symmetrised estimand), where that is expected of noisy data.
    What the Markdown and HTML reports say beside the LLC and under the table."""
    def get(obj: Any, *keys: str) -> Any:  # the HTML renderer reads any JSON: no KeyError
        for k in keys:
            obj = obj.get(k) if isinstance(obj, Mapping) else None
        return obj

    not_min = get(p, "at_point", "checks", "is_local_min") is False
    at_w0 = bool(get(p, "at_point", "extras", "true_parameter")
                 or get(p, "llc", "config", "true_parameter"))
    return not_min, at_w0


def _counts(points: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    return {v: sum(p["verdict"] == v for p in points) for v in VERDICTS}


def claim_json(r: Any, profile: str | None = None) -> dict[str, Any]:
    """One claim of ``report.json``; ``grid`` is the grid of ``profile`` (the one run), or the
    claim's base grid when no profile is given."""
    c = r.claim
    entry: dict[str, Any] = {
        "id": c.id, "title": c.title, "source": c.source, "family": c.family, "kind": c.kind,
        "path": c.path, "verdict": r.verdict.verdict, "reason": r.verdict.reason,
        "grade": getattr(r.verdict, "grade", "none"),
    }
    if isinstance(c, Claim):
        entry.update(predicted=c.predicted, relation=c.relation, evidence=list(c.evidence),
                     hypotheses=list(c.hypotheses), not_imposed=list(c.not_imposed),
                     statement=c.statement, notes=c.notes, reading=c.reading,
                     cases=list(r.verdict.cases),
                     grid=jsonable(dict(c.grid if profile is None else c.grid_for(profile))))
        if c.scaling is not None:
            entry["scaling"] = {"variable": c.scaling.variable, "shape": c.scaling.shape,
                                "min_r2": c.scaling.min_r2,
                                "coefficients": None if c.scaling.coefficients is None
                                else [float(x) for x in c.scaling.coefficients]}
        entry["points"] = [point_json(p, c, r.controls) for p in r.points]
        diffs = list(c.differences)
        for p in r.points:
            at = p.evidence.at_point
            for d in (at.differences if at is not None else ()):
                d = family_difference(d, at.source, c.source)
                if d not in diffs:
                    diffs.append(d)
        entry["differences"] = diffs
        entry["controls"] = [{"key": k, "rules": jsonable(cs.rules), "elapsed_s": cs.elapsed_s,
                              "runs": [jsonable(run.__dict__) for run in cs.runs]}
                             for k, cs in r.controls.items()]
        names = list(c.grid)
        verdict_of = [p["verdict"] for p in entry["points"]]
        if c.scaling is not None and c.predicted is None and c.scaling.coefficients is None:
            # points without a prediction of their own only enter the fit: their reach is
            # their group's verdict (a point left out of every fit, inconclusive)
            var = c.scaling.variable
            by_group = dict(getattr(r.verdict, "groups", ()))
            verdict_of = [by_group.get(fmt_point({k: v for k, v in p.params.items()
                                                  if k != var and k in c.grid})
                                       or "all points", "inconclusive")
                          for p in r.points]
        entry["scopes"] = {v: scope([p["params"] for p, w in zip(entry["points"], verdict_of,
                                                                 strict=True) if w == v], names)
                           for v in VERDICTS if v in verdict_of}
    else:
        entry["points"] = []
    entry["point_counts"] = _counts(entry["points"])
    entry["fits"] = [jsonable(f.__dict__) for f in getattr(r.verdict, "fits", ())]
    return entry


def build_report(results: Sequence[Any], *, profile: str, device: str,
                 created: str | None = None, wall_s: float | None = None,
                 figures: Mapping[str, str] | None = None,
                 experiment_figures: Mapping[str, Sequence[Mapping[str, Any]]] | None = None
                 ) -> dict[str, Any]:
    """The ``report.json`` object for ``results``."""
    from slttheory.verify.report.experiments import experiment_json

    claims, exp_s = [], 0.0
    for r in results:
        entry = claim_json(r, profile)
        c = r.claim
        entry["figure"] = (figures or {}).get(c.id or c.path)
        if isinstance(r, ExperimentClaimResult):
            entry.update(statement=c.statement, notes=c.notes, evidence=["experiment"])
            entry["experiment"] = experiment_json(r, (experiment_figures or {}).get(c.id))
            paths = [f.get("path") for f in entry["experiment"]["figures"] if f.get("path")]
            entry["figure"] = paths[0] if paths else None
            exp_s += r.elapsed_s
        entry.setdefault("experiment", None)  # documented for every claim: null if none
        entry.setdefault("scan_figure", None)  # set by write_report where scans were drawn
        claims.append(entry)
    summary = {v: sum(1 for c in claims if c["verdict"] == v) for v in VERDICTS}
    return {
        "schema_version": SCHEMA_VERSION, "profile": profile,
        "created": created or datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_s": wall_s,
        "compute_s": round(sum(p["elapsed_s"] for c in claims for p in c["points"]) + exp_s, 3),
        "environment": environment(device), "summary": summary, "claims": claims,
    }


def is_result(r: Any) -> bool:
    return isinstance(r, ClaimResult | ExperimentClaimResult)


def point_rank_text(rk: Mapping[str, Any]) -> str:
    """The rank at w* as certified: "= 2" where it is computed exactly, "≥ 4" where the
    certificate is a lower bound (a generic rank's, carried to w*).

    >>> point_rank_text({"point_rank": 4, "point_rank_how": "... hence rank J(w*) >= 4"})
    '≥ 4'
    >>> point_rank_text({"point_rank": 2, "point_rank_how": "so rank J(w*) = 2 exactly"})
    '= 2'
    """
    how = str(rk.get("point_rank_how") or "")
    return f"{'≥' if '>=' in how or '≥' in how else '='} {rk.get('point_rank')}"


QUALIFIERS = (
    ("a verdict on the statement without", " — for the statement without a hypothesis the "
     "claim does not impose (see below)"),
    ("[reproduces the seed's estimator output", " [the seed's estimator output, not λ]"),
)


def short_reason(reason: str, limit: int = 160) -> str:
    """A reason cut to about ``limit`` characters for a summary table, keeping what
    qualifies the verdict (a statement without a hypothesis, the seed's estimator output):
    a cut must not turn a qualified verdict into a plain one.

    >>> s = short_reason("refuted (certified): " + "x" * 300 + " — a verdict on the "
    ...                  "statement without stage_two")
    >>> len(s) <= 160, s.endswith("a hypothesis the claim does not impose (see below)")
    (True, True)
    >>> short_reason("confirmed")
    'confirmed'
    """
    if len(reason) <= limit:
        return reason
    tail = "".join(t for key, t in QUALIFIERS if key in reason)
    return reason[: max(limit - len(tail), 60) - 1] + "…" + tail


GRADE_LEGEND = (
    "{b}certified{/b} (exact, independent of the claim), {b}controlled{/b} (an LLC corrected "
    "by controls of certified λ measured in the same run, robust to γ × 3, γ / 3, ε / 2; γ "
    "the localisation strength, ε the sampler's step size), {b}uncontrolled{/b} (an LLC "
    "without such controls: shown, never decides), {b}context{/b} (the claim's own "
    "statement, or a formula as its source states it: never evidence), {b}none{/b} (no "
    "evidence of that route at the point; for an LLC also {b}failed{/b}: its diagnostics "
    "failed, no information)."
)
"""The grade words, for both report.md and report.html ({b}…{/b}: emphasis)."""
