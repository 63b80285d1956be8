"""The report's data, ``report.json``: the object, its JSON Schema, a dependency-free validator.

:data:`REPORT_SCHEMA` is a JSON Schema (draft 2020-12), documented in
``verification/README.md``; :func:`validate_report` checks a report against it (types, required
keys, enums, properties, additionalProperties, items, patterns) without third-party packages.
Every object the report holds lists its keys with their types; objects whose keys are fixed
here or by the evidence records are closed (``additionalProperties: false``); the free-form
ones (a grid point's parameters, an experiment's settings, tables and records, a figure's
data, a build's extras) say why where the schema is written.
"""

from __future__ import annotations

import json
import platform
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from slttheory.verify.claims import Claim
from slttheory.verify.claims.common import same_source
from slttheory.verify.claims.experiment import EXPECTS
from slttheory.verify.evidence.records import (
    EVIDENCE_THREADS,
    AtPoint,
    LLCEvidence,
    PointEvidence,
    finite,
    jsonable,
)
from slttheory.verify.judge import (
    GRADES,
    VERDICTS,
    ClaimResult,
    ExperimentClaimResult,
    PointResult,
    scope,
)
from slttheory.verify.judge.facts import LLCAssessment, closed_form_grade
from slttheory.verify.judge.llc import Band, edge_text
from slttheory.verify.judge.llc import Z as LLC_Z
from slttheory.verify.judge.point import FIT_ONLY, fmt_point, point_llc, sampled_at_w0
from slttheory.verify.judge.scaling import fit_llc

__all__ = ["SCHEMA_VERSION", "REPORT_SCHEMA", "build_report", "validate_report", "environment"]

SCHEMA_VERSION = 2

_NONFINITE = "^(nan|-?inf)$"
"""How :func:`~slttheory.verify.evidence.records.jsonable` writes a non-finite float."""

_num = {"type": ["number", "null"]}  # finite or null (``finite``: NaN and ±inf become null)
_jnum = {"type": ["number", "string", "null"], "pattern": _NONFINITE}
"""A number of an evidence record, through ``jsonable``: non-finite as "nan", "inf", "-inf"."""
_int = {"type": "integer"}
_nint = {"type": ["integer", "null"]}
_float = {"type": "number"}
_bool = {"type": "boolean"}
_nbool = {"type": ["boolean", "null"]}
_text = {"type": "string"}
_str = {"type": ["string", "null"]}
_texts = {"type": "array", "items": _text}
_jnums = {"type": "array", "items": _jnum}
_free = {"type": "object"}  # free-form: see each use for why
_grade = {"type": "string", "enum": [*GRADES, "failed", "absent", "none"]}
DECIDED = ("confirmed", "refuted")
"""The verdicts that decide a claim (counted apart where a reading decides them)."""
_verdict = {"type": "string", "enum": list(VERDICTS)}
_ABOUT = ("lambda", "estimator_output", "dynamics")
"""``slttheory.experiments.base.ABOUT``, copied: importing it imports torch (a test checks)."""


def _obj(props: Mapping[str, Any], required: Sequence[str] | bool = True, *,
         closed: bool = True, null: bool = False) -> dict[str, Any]:
    """An object schema: ``props`` with their types; ``required`` every one (``True``), none
    (``False``) or those named; ``closed``: no other key (``additionalProperties: false``);
    ``null``: the object may be null instead."""
    req = list(props) if required is True else [] if required is False else list(required)
    return {"type": ["object", "null"] if null else "object",
            **({"required": req} if req else {}),
            "properties": dict(props),
            **({"additionalProperties": False} if closed else {})}


# --- evidence records (slttheory.verify.evidence.records): every field, always present ----
_closed_form = _obj({
    "status": {"type": "string", "enum": ["ok", "error"]}, "value": _str, "exact": _bool,
    "multiplicity": _str, "case": _text, "source": _text, "lower": _str, "upper": _str,
    "error": _str, "formula": _text, "standing": _text, "established_by": _text,
    "reference": _text,
    # added by point_json
    "grade": _grade, "value_float": _num,
}, null=True)
_rank = _obj({
    "status": {"type": "string", "enum": ["ok", "error"]}, "rank": _nint, "n_params": _nint,
    "lam": _str, "certified": _bool, "determines_lambda": _bool, "reason": _text,
    "bound": _jnum, "error": _str, "inputs_determine": _bool, "point_rank": _nint,
    "point_rank_certified": _bool, "point_rank_how": _text, "point_rank_exact": _bool,
    "true_point": _text,
    # added by point_json
    "grade": _grade, "lambda": _num,
}, null=True)
# written by every run since they were recorded; a report written before (the reference report)
# lacks them, and reads them as false and "" (RankEvidence's defaults)
_rank["required"] = [k for k in _rank["required"] if k not in ("point_rank_exact", "true_point")]
# The next three are the sampler's and geometry's own dataclasses (LLCConfig, Diagnostics,
# CriticalPointCheck) passed through as stored: their fields are listed with types, but the
# objects stay open (no additionalProperties: false) so that a field added in those layers
# does not fail write_report at the end of a long run; the reference report's keys are all
# listed (tests/verify/test_report_schema.py), so the list is kept up to date there. No key
# is required: a route may store only part of them (tests' fake routes store one or two).
_config = _obj({
    "n": _int, "beta": _jnum, "nbeta": _jnum, "localization": _jnum, "step_size": _jnum,
    "chains": _int, "draws": _int, "burn_in": _int, "sampler": _text, "batch_size": _int,
    "full_batch": _bool, "params": _texts, "dimension": _int, "seed": _nint,
    "device": _text, "dtype": _text, "loss": _text, "auto": _texts, "preconditioner": _text,
    "method": _text, "nbetas": _jnums, "step_jitter": _jnum, "multiplicity": _nint,
    "orbit": _str, "exchange": _bool, "morse_bott": _bool, "record_scan": _bool,
    "true_parameter": _bool, "revision": _int,
}, False, closed=False)
_diagnostics = _obj({
    "ess": _jnum, "rhat": _jnum, "acceptance_rate": _jnum, "divergent": _bool,
    "warnings": _texts, "stationarity_z": _jnum, "estimated_bias": _jnum,
    "divergent_chains": {"type": "array", "items": _int},
    "calibration": _obj({
        "step_size": _jnum, "criterion": _text, "target": _jnum, "candidates": _jnums,
        "scores": _jnums, "pilot_steps": _int, "at_grid_edge": _bool,
    }, False, closed=False, null=True),
    "notes": _texts, "ess_bulk": _jnum, "unresolved": _jnum,
}, False, closed=False)
_checks = _obj({
    "grad_norm": _jnum, "smallest_eigenvalues": _jnums, "largest_eigenvalue": _jnum,
    "n_params": _int, "is_local_min": _nbool, "reason": _text, "method": _text,
    "grad_tol": _jnum, "eig_tol": _jnum, "loss_value": _jnum, "near_zero": _nint,
    "error": _text,  # the check itself failed (routes.at_point)
}, False, closed=False)
# scan_record's dict (slttheory.sampling.plot), {} without a sampled scan: open as above
_scan = _obj({
    "nbeta": _jnums, "llc": _jnums, "mc_error": _jnums, "corrected": _jnums, "fit": _text,
    "curve_nbeta": _jnums, "curve": _jnums, "value": _jnum, "ci": _jnums,
    "laws": {"type": "array", "items": _obj({"law": _text, "value": _jnum,
                                             "std_error": _jnum}, False, closed=False)},
}, False, closed=False)
_rerun = _obj({"setting": _text, "mean": _jnum, "std_error": _jnum, "passed": _bool,
               "problems": _texts, "config": _config, "unresolved": _jnum})
_band = _obj({
    "controlled": _bool, "low": _num, "high": _num, "corrected": _num, "ratio_low": _num,
    "ratio_high": _num, "agreement_p": _num, "why": _text,
    "controls": {"type": "array", "items": _obj({
        "family": _text,
        "params": _free,  # the control family's parameters (its own names)
        "kind": _text, "lambda": _num, "certified_by": _text, "bias": _num, "spread": _num,
        "usable": _int, "runs": _int, "estimates": {"type": "array", "items": _num},
    })},
}, null=True)
_llc = _obj({
    "status": {"type": "string", "enum": ["ok", "error"]}, "mean": _jnum, "std_error": _jnum,
    "diagnostics": _diagnostics, "problems": _texts, "config": _config, "note": _text,
    "elapsed_s": _jnum, "error": _str, "method": _text,
    "ci": {"type": ["array", "null"], "items": _jnum}, "mc_error": _jnum,
    "systematic": _jnum, "single": _jnum, "passed": _bool,
    "reruns": {"type": "array", "items": _rerun}, "control_key": _str, "law_error": _jnum,
    "scan": _scan, "data_error": _jnum, "fit_error": _jnum,
    # added by point_json
    "grade": _grade, "band": _band, "assessment": _text, "clean": _bool,
}, null=True)
_at_point = _obj({
    "status": {"type": "string", "enum": ["ok", "error"]}, "checks": _checks,
    # the family's Hypothesis records (slttheory.models.registry): a --families module
    # defines its own, so open like the sampler's records above
    "hypotheses": {"type": "array", "items": _obj({
        "name": _text, "statement": _text, "measured": _text, "met": _nbool,
        "possible": _bool,
    }, False, closed=False)},
    "extras": _free,  # numbers about the build, each family its own (e.g. train_rank, k_eff)
    "differences": _texts, "note": _text, "error": _str,
    "orbit": _obj({"dimension": _int, "n_params": _int, "how": _text, "error": _text,
                   "stated": _text},  # stated: the plugin module whose statement it is
                  False),  # {} where the family has no orbit
    "source": _text,
}, null=True)
_control_run = _obj({
    "family": _text,
    "params": _free,  # the control family's parameters (its own names)
    "kind": _text, "lam": _text, "multiplicity": _nint, "certified_by": _text,
    "data_seed": _int, "mean": _jnum, "std_error": _jnum, "passed": _bool,
    "problems": _texts, "elapsed_s": _jnum, "error": _str,
})
_fit = _obj({
    "group": _free,  # the fitted group's values of the other grid variables (the claim's names)
    "shape": _text, "x": _jnums, "y": _jnums, "coefficients": _jnums, "std_errors": _jnums,
    "r2": _jnum, "chi2_dof": _jnum, "source": _text, "p_value": _jnum, "role": _text,
})
_POINT_FIELDS = {
    "params": _free,  # the grid point: the family's parameter names, any JSON values
    "verdict": _verdict, "reason": _text, "grade": _grade, "predicted": _num,
    "predicted_exact": _str,
    "facts": {"type": "array", "items": _obj({
        "route": _text, "grade": {"type": "string", "enum": list(GRADES)}, "text": _text,
        "note": _text, "low": _str, "high": _str, "low_open": _bool},
        required=["route", "grade", "text", "note", "low", "high"])},
    "closed_form": _closed_form, "rank": _rank, "llc": _llc,
    "independent": {"type": "array", "items": {**_closed_form, "type": "object"}},
    "at_point": _at_point, "elapsed_s": _float, "stored": {"type": "boolean"},
}
# "stored" came after schema version 2's first reports, which validate without it
_point = _obj(_POINT_FIELDS, [k for k in _POINT_FIELDS if k != "stored"])

# --- experiment claims (report.experiments.experiment_json) ------------------------------
_statistic = _obj({
    "name": _text, "estimate": _num, "low": _num, "high": _num, "level": _float,
    "method": _text, "n": _int, "note": _text, "n_excluded": _int, "min_n": _int,
    "about": {"type": "string", "enum": list(_ABOUT)}, "needs_controls": _bool,
    "shape": _obj({
        "variable": _text, "values": _int, "complete_errors": _bool,
        # shape name -> its fit (the names are the statistic's shapes, e.g. p_log_p, exp)
        "fits": {"type": "object", "additionalProperties": _obj(
            {"text": _text, "p_value": _num, "rival": _str})},
    }, null=True),
})
_experiment = _obj({
    "name": _text,
    "settings": _free,  # the experiment's own settings (Experiment.settings), per experiment
    "criteria": {"type": "array", "items": _obj({
        "criterion": _obj({
            "statistic": _text, "expect": {"type": "string", "enum": list(EXPECTS)},
            "threshold": _num, "range": {"type": ["array", "null"], "items": _float},
            "alpha": _float, "shape": _str}),
        "text": _text, "verdict": _verdict, "reason": _text,
        "statistic": {**_statistic, "type": ["object", "null"]}})},
    # statistic name -> statistic (the names are the experiment's own)
    "statistics": {"type": "object", "additionalProperties": _statistic},
    "summary": _text,
    "tables": _free,  # table name -> rows, each experiment its own columns
    "runs": _int, "stages_computed": _int, "stages_reused": _int, "elapsed_s": _float,
    "error": _str,
    "figures": {"type": "array", "items": _obj({
        "name": _text, "kind": _text, "title": _text,
        "data": _free,  # the plotted series, named by their legend labels: per figure kind
        "path": _str, "error": _text}, ["name", "kind", "title", "data"])},
    # every run's raw record (settings, series, LLCs at checkpoints): per experiment
    "records": {"type": "array", "items": _free},
}, null=True)

# the cases and case boundaries the grid reaches (judge.boundaries.CaseCoverage.to_json)
_reach = _obj({"label": _text, "points": _int, "example": _text})
_case_coverage = _obj({
    "formula": _text, "status": {"type": "string", "enum": ["ok", "not computed"]},
    "why": _text, "grid_points": _int,
    "reached": {"type": "array", "items": _reach},
    "not_computed": _int, "not_computed_example": _text, "box": _text,
    "box_only": {"type": "array", "items": _reach},
    "boundaries": {"type": "array", "items": _obj({
        "source": {"type": "string", "enum": ["family", "predicted", "constraint"]},
        "status": {"type": "string", "enum": ["on", "straddled", "bracketed", "not reached",
                                              "not computed"]},
        "between": _texts, "equation": _text, "on": _int, "example": _text})},
}, null=True)

_claim = _obj({
    "id": _str, "title": _text, "source": _text, "family": _text, "kind": _text,
    "path": _text, "verdict": _verdict, "reason": _text, "grade": _grade,
    # point and scaling claims (verify.claims.Claim); experiment claims: statement, notes,
    # evidence and differences only
    "predicted": _str, "relation": _text, "evidence": _texts, "evidence_run": _texts,
    "hypotheses": _texts,
    "not_imposed": _texts, "statement": _text, "notes": _text, "reading": _text,
    "counterfactual": _bool, "cases": _texts, "case_coverage": _case_coverage,
    "grid": _free,  # grid variable -> its values in the profile run (the family's names)
    "fixed": _free,  # family parameter the claim fixes ([fixed]) -> its value at every point
    "defaults": _free,  # family parameter the claim leaves out -> the default every point takes
    "scaling": _obj({"variable": _text, "shape": _text, "min_r2": _float,
                     "coefficients": {"type": ["array", "null"], "items": _float},
                     "coefficients_written": {"type": ["array", "null"], "items": _text},
                     "rounding": {"type": ["array", "null"], "items": _float}}),
    "points": {"type": "array", "items": _point},
    "differences": _texts,
    "controls": {"type": "array", "items": _obj({
        "key": _text,
        "rules": _free,  # the claim's LLC settings for the profile ([llc] keys; {}: defaults)
        "elapsed_s": _jnum, "runs": {"type": "array", "items": _control_run}})},
    "scopes": _obj({v: _text for v in VERDICTS}, False),
    "point_counts": _obj({v: _int for v in (*VERDICTS, "in_fit")}),
    "fits": {"type": "array", "items": _fit},
    "figure": _str, "experiment": _experiment, "scan_figure": _str,
}, ["id", "title", "source", "family", "kind", "path", "verdict", "reason", "grade", "points",
    "point_counts", "fits", "figure", "experiment", "scan_figure"])

REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "slttheory verification report",
    **_obj({
        "schema_version": {"type": "integer", "enum": [SCHEMA_VERSION]},
        "profile": _text, "created": _text, "wall_s": _num, "compute_s": _float,
        "environment": _obj({
            "python": _text, "torch": _str, "device": _text, "platform": _text,
            "slttheory": _text, "estimator_revision": _int, "numpy": _text, "sympy": _text,
            "torch_threads": _nint, "machine": _text}),
        "summary": _obj({v: _int for v in VERDICTS}),
        "decided_on_readings": _obj({m: _obj({v: _int for v in DECIDED})
                                     for m in ("reading", "counterfactual")}),
        "claims": {"type": "array", "items": _claim},
    }, ["schema_version", "profile", "created", "wall_s", "compute_s", "environment",
        "summary", "decided_on_readings", "claims"]),
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

    The subset of JSON Schema that :data:`REPORT_SCHEMA` uses: ``type``, ``enum``,
    ``required``, ``properties``, ``additionalProperties`` (``false`` or a schema),
    ``items`` (one schema) and ``pattern`` (on strings only, as JSON Schema has it).

    >>> validate_report({"schema_version": 2})
    Traceback (most recent call last):
    ...
    ValueError: $: missing required key 'profile'
    >>> closed = {"type": "object", "properties": {"a": {"type": "integer"}},
    ...           "additionalProperties": False}
    >>> validate_report({"a": 1, "b": 2}, closed)
    Traceback (most recent call last):
    ...
    ValueError: $: unexpected key 'b' (not in the schema's properties)
    >>> validate_report({"x": "1"}, {"type": "object", "additionalProperties": {"type": "number"}})
    Traceback (most recent call last):
    ...
    ValueError: $.x: expected number, got str
    >>> number = {"type": ["number", "string"], "pattern": "^(nan|-?inf)$"}
    >>> validate_report(1.5, number), validate_report("-inf", number)
    (None, None)
    >>> validate_report("1.5", number)
    Traceback (most recent call last):
    ...
    ValueError: $: '1.5' does not match '^(nan|-?inf)$'
    """
    t = schema.get("type")
    if t is not None:
        types = [t] if isinstance(t, str) else list(t)
        if not any(_TYPES[x](obj) for x in types):
            raise ValueError(f"{path}: expected {' or '.join(types)}, got {type(obj).__name__}")
    if "enum" in schema and obj not in schema["enum"]:
        raise ValueError(f"{path}: {obj!r} not one of {schema['enum']}")
    if "pattern" in schema and isinstance(obj, str) and not re.search(schema["pattern"], obj):
        raise ValueError(f"{path}: {obj!r} does not match {schema['pattern']!r}")
    if isinstance(obj, dict):
        for k in schema.get("required", []):
            if k not in obj:
                raise ValueError(f"{path}: missing required key {k!r}")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for k, v in obj.items():
            if k in props:
                validate_report(v, props[k], f"{path}.{k}")
            elif extra is False:
                raise ValueError(f"{path}: unexpected key {k!r} (not in the schema's properties)")
            elif isinstance(extra, Mapping):
                validate_report(v, extra, f"{path}.{k}")
    if isinstance(obj, list) and "items" in schema:
        for i, v in enumerate(obj):
            validate_report(v, schema["items"], f"{path}[{i}]")


def environment(device: str) -> dict[str, Any]:
    """Versions and machine, for the report header."""
    try:
        import torch

        tv, threads = torch.__version__, EVIDENCE_THREADS  # what the evidence ran on
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
                   "high": None if f.high is None else str(f.high),
                   "low_open": f.low_open} for f in facts],
        "closed_form": None, "rank": None, "llc": None,
        "independent": [{**jsonable(c.__dict__), "value_float": finite(c.sympy_value),
                         "grade": closed_form_grade(claim, c)[0] if c.status == "ok"
                         else "none"}
                        for c in ev.independent],
        "at_point": None if ev.at_point is None else ev.at_point.to_dict(),
        "elapsed_s": float(ev.elapsed_s), "stored": bool(ev.stored),
    }
    cf = ev.closed_form
    if cf is not None:
        g = next((f.grade for f in facts if f.route == "closed form"), "none")
        out["closed_form"] = {**jsonable(cf.__dict__), "grade": g,
                              "value_float": finite(cf.sympy_value)}
    rk = ev.rank
    if rk is not None:
        gs = {f.grade for f in facts
              if f.route in ("rank at w*", "generic rank", "hessian rank")}
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
        # the judge's own assessment, which point_verdict carries wherever the point has a
        # prediction; else (a verdict that failed) the one function the judge grades with, on
        # the same certified bounds: grading here again without them had shown another grade
        # than the verdict's (a rerun band outside them: an audit of the verdict rules)
        # the same function grades a scaling claim's fitted value (judge.scaling.fit_llc, a
        # point with no prediction of its own): by llc_band alone here, a band wholly outside
        # the certified bounds showed as controlled where the fit had left the point out
        a = pv.llc
        if a is None and pr.predicted is not None:
            a = _judged(point_llc, claim, ev, controls, pr.predicted)
        if a is None and lc.status == "ok" and lc.clean:  # a scaling claim's fitted value
            a = _judged(fit_llc, claim, ev, controls)
        d = lc.to_dict()
        d.update(grade=a.grade if a is not None else ("uncontrolled" if lc.clean else "failed"),
                 band=_band_json(a.band if a is not None else None),
                 assessment=a.why if a is not None else "", clean=lc.clean)
        out["llc"] = d
    return out


def _judged(grade: Any, *args: Any) -> LLCAssessment | None:
    """``grade(*args)``: the judge's grading of an LLC (``point_llc`` at a point whose verdict
    carries none, ``fit_llc`` for a scaling fit's value); ``None`` where it gives none or
    fails, as the verdict did already."""
    try:
        return grade(*args)
    except Exception:  # noqa: BLE001 - the verdict failed already; the report still renders
        return None


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
    found w* no local minimum of L_n; w* is the true parameter w0, sampled there with the
    symmetrised estimand, where that is expected of noisy data. ``at_w0`` is the judge's own
    :func:`~slttheory.verify.judge.point.sampled_at_w0` on the point's two records (the w*
    record's ``extras["true_parameter"]`` and the LLC's ``config["true_parameter"]``: every
    one that can say so does, at least one does): "either record says so" had called w* the
    true parameter where the records disagree, and the judge, which then grants no exemption
    from the minimum rule, left the LLC out. What the Markdown and HTML reports say beside
    the LLC and under the table."""
    def get(obj: Any, *keys: str) -> Any:  # the HTML renderer reads any JSON: no KeyError
        for k in keys:
            obj = obj.get(k) if isinstance(obj, Mapping) else None
        return obj

    not_min = get(p, "at_point", "checks", "is_local_min") is False
    return not_min, sampled_at_w0(_w0_records(get(p, "llc"), get(p, "at_point")))


def _w0_records(llc: Any, at: Any) -> PointEvidence:
    """The two records :func:`~slttheory.verify.judge.point.sampled_at_w0` reads, rebuilt
    from a report point's ``llc`` and ``at_point`` (their status, the LLC's ``config``, the
    w* record's ``extras``; any JSON: a record that is no mapping or has no status is
    absent)."""
    def rec(cls: Any, d: Any, key: str) -> Any:
        if not isinstance(d, Mapping) or not isinstance(d.get("status"), str):
            return None
        v = d.get(key)
        return cls(d["status"], **{key: v if isinstance(v, Mapping) else {}})

    return PointEvidence(None, None, rec(LLCEvidence, llc, "config"), 0.0,
                         rec(AtPoint, at, "extras"))


def band_words(lc: Mapping[str, Any], ref: Any = None) -> str:
    """How a controlled LLC band was built from the numbers beside it, so a reader can redo
    it: (λ̂ − 2 s.e.) / r_hi and (λ̂ + 2 s.e. + u) / r_lo, with [r_lo, r_hi] the controls' bias
    ratios λ̂/λ widened by their spread and u what the estimate cannot see
    (``diagnostics.unresolved``); "" where there is no controlled band. ``ref``: the
    prediction, which no end of the band may seem to reach by rounding (:func:`edge_text`).

    >>> print(band_words({"mean": 0.594, "std_error": 0.06, "band": {"controlled": True,
    ...     "low": 0.372, "high": 1.18, "ratio_low": 0.603, "ratio_high": 1.276}}))
    band [0.372, 1.18] = (λ̂ ± 2 s.e.) / controls' λ̂/λ ∈ [0.603, 1.28]
    """
    b = lc.get("band") or {}
    if not b.get("controlled") or b.get("low") is None or b.get("ratio_low") is None:
        return ""
    u = (lc.get("diagnostics") or {}).get("unresolved") or 0.0
    plus = f", + {u:.3g} unresolved above" if isinstance(u, int | float) and u > 0 else ""
    return (f"band [{edge_text(b['low'], ref)}, {edge_text(b['high'], ref)}] = "
            f"(λ̂ ± {LLC_Z:g} s.e.{plus}) / "
            f"controls' λ̂/λ ∈ [{b['ratio_low']:.3g}, {b['ratio_high']:.3g}]")


def _setting_text(doc: str, value: Any) -> str:
    """A setting's value as the report shows it: a 0 whose setting's ``doc`` says what 0 means
    ("0: calibrated") says so, so that ``llc_step_size=0`` does not read as a zero step.

    >>> _setting_text("SGLD step ε (0: calibrated)", 0.0), _setting_text("sample size", 500)
    ('0 (calibrated)', '500')
    """
    auto = re.search(r"\b0: ([^),;]+)", doc)
    if auto and not isinstance(value, bool) and value == 0:
        return f"0 ({auto.group(1).strip()})"
    return str(value)


def shown_settings(experiment: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings a report shows: those the run used (a setting of another ``model`` is left
    out: ``hidden=128`` beside a low-rank sweep read as a hidden width of 128), numbers as
    :func:`_setting_text` writes them.

    >>> shown_settings("seed000_estimator_sweep", {"model": "low_rank", "hidden": 128, "d": 10,
    ...                                            "llc_step_size": 0.0})
    {'model': 'low_rank', 'd': '10', 'llc_step_size': '0 (calibrated)'}
    """
    from slttheory.experiments import EXPERIMENTS

    spec = {s.name: s for s in getattr(EXPERIMENTS.get(experiment), "settings", ())}
    model = settings.get("model")
    out: dict[str, Any] = {}
    for k, v in settings.items():
        s = spec.get(k)
        used = getattr(s, "used_with", ())
        if used and model is not None and model not in used:
            continue
        out[k] = v if isinstance(v, str | Mapping | list) else _setting_text(
            getattr(s, "doc", ""), v)
    return out


def counts_text(counts: Mapping[str, int]) -> str:
    """``point_counts`` in words, the non-zero ones.

    >>> counts_text({"confirmed": 2, "refuted": 0, "in_fit": 5})
    '2 confirmed, 5 in the fit'
    """
    return ", ".join(f"{n} {'in the fit' if v == 'in_fit' else v}"
                     for v, n in counts.items() if n)


def unique_names(bases: Sequence[str]) -> list[str]:
    """Each base name, with ``-2``, ``-3`` … on its repeats, never taking a name that is
    another entry's own base (ids ``a-b``, ``A-B``, ``a-b-2`` had given ``a-b-2`` twice): one
    anchor per claim in either report, whose links had led to the first of those sharing one.

    >>> unique_names(["a-b", "a-b", "a-b-2", "x"])
    ['a-b', 'a-b-3', 'a-b-2', 'x']
    """
    used, seen, out = set(bases), Counter[str](), []
    for a in bases:
        seen[a] += 1
        name = a
        while seen[a] > 1 and (name == a or name in used):
            name = f"{a}-{seen[a]}"
            seen[a] += 1
        used.add(name)
        out.append(name)
    return out


def reading_decided(c: Mapping[str, Any]) -> bool:
    """Whether a claim of ``report.json`` is decided on one stated reading of its source
    (marked ‡; an undecided verdict says nothing of either reading; a counterfactual reading
    is marked † instead, :func:`counterfactual_decided`)."""
    return (bool(c.get("reading")) and not c.get("counterfactual")
            and c.get("verdict") in DECIDED)


def counterfactual_decided(c: Mapping[str, Any]) -> bool:
    """Whether a claim of ``report.json`` is decided on a counterfactual reading (marked †):
    the source's formula applied to a model its statement does not cover, so the verdict says
    whether the formula carries over there, not whether the source is right."""
    return bool(c.get("counterfactual")) and c.get("verdict") in DECIDED


def decided_on_readings(claims: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Of ``summary``'s decided claims, how many rest on one stated reading of a source that
    admits several (``reading``, marked ‡ in report.md) and how many on a counterfactual
    reading (``counterfactual``, marked †): the split report.md's header gives in words.

    >>> decided_on_readings([{"verdict": "refuted", "reading": "x", "counterfactual": True},
    ...                      {"verdict": "confirmed", "reading": "y"}, {"verdict": "confirmed"}])
    {'reading': {'confirmed': 1, 'refuted': 0}, 'counterfactual': {'confirmed': 0, 'refuted': 1}}
    """
    def count(marked: Any) -> dict[str, int]:
        return {v: sum(1 for c in claims if marked(c) and c["verdict"] == v) for v in DECIDED}
    return {"reading": count(reading_decided), "counterfactual": count(counterfactual_decided)}


def stored_note(claims: Any) -> str:
    """Where a resumed run read points from an earlier run's store, how many (for the
    reports' header; ``""`` where none): their evidence and ``elapsed_s`` are that run's.
    Tolerates a malformed report (``report.html`` renders any).

    >>> stored_note([{"points": [{"stored": True}, {"stored": False}]}])
    "1 of 2 points read from an earlier run's store (--resume; their times are that run's)"
    """
    points = [p for c in claims if isinstance(c, Mapping)
              for p in (c.get("points") if isinstance(c.get("points"), list) else ())
              if isinstance(p, Mapping)] if isinstance(claims, list) else []
    k = sum(p.get("stored") is True for p in points)
    return (f"{k} of {len(points)} points read from an earlier run's store (--resume; their "
            "times are that run's)") if k else ""


def only_in_fit(p: Mapping[str, Any]) -> bool:
    """Whether a point of ``report.json`` only enters its scaling claim's fit (its verdict is
    the fit's, not a finding of its own; ``judge.point.FIT_ONLY``).

    >>> only_in_fit({"verdict": "inconclusive", "reason": "inconclusive: scaling point at d=1"})
    True
    """
    return p.get("verdict") == "inconclusive" and str(p.get("reason", "")).startswith(FIT_ONLY)


SEVERITY = {"error": 0, "refuted": 1, "inconclusive": 2, "confirmed": 3}
"""Which points a large grid's summary lists first: errors (a bug to fix), refutations,
then the undecided and the confirmed; anything else last."""


def worst_points(points: Sequence[Any], limit: int) -> list[tuple[int, Any]]:
    """The first ``limit`` points of ``report.json`` by :data:`SEVERITY`, ties in grid order,
    with their indices: the one order the Markdown and HTML summaries list (they had listed
    refutations and errors in opposite orders).

    >>> [i for i, _ in worst_points([{"verdict": "confirmed"}, {"verdict": "refuted"},
    ...                              {"verdict": "error"}, {"verdict": "refuted"}], 3)]
    [2, 1, 3]
    """
    def rank(ip: tuple[int, Any]) -> tuple[int, int]:
        v = ip[1].get("verdict") if isinstance(ip[1], Mapping) else None
        return SEVERITY.get(v, len(SEVERITY)) if isinstance(v, str) else len(SEVERITY), ip[0]

    return sorted(enumerate(points), key=rank)[:limit]


def _counts(points: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Points per verdict, with a scaling claim's points that only enter its fit counted as
    ``in_fit``, not as ``inconclusive`` (their verdict is the claim's fit).

    >>> _counts([{"verdict": "confirmed"}, {"verdict": "inconclusive", "reason": FIT_ONLY}])
    {'confirmed': 1, 'refuted': 0, 'inconclusive': 0, 'error': 0, 'in_fit': 1}
    """
    fit = [only_in_fit(p) for p in points]
    out = {v: sum(p["verdict"] == v and not f for p, f in zip(points, fit, strict=True))
           for v in VERDICTS}
    return out | {"in_fit": sum(fit)}


def _differences(c: Claim, points: Sequence[Any], listed: int = 4) -> list[str]:
    """Where the claim's model differs from its source's: the claim's own lines, then each
    point's family lines once; a line that holds at some points only names them (up to
    ``listed``), so that its numbers are read at the points they are about (an outside
    theorist's review read "4 of the p² pairs" and "6 of the p² pairs" side by side)."""
    at_points: dict[str, list[str]] = {}
    measured = 0
    for p in points:
        at = p.evidence.at_point if p.evidence is not None else None
        if at is None:
            continue
        measured += 1
        for d in at.differences:
            d = family_difference(d, at.source, c.source)
            at_points.setdefault(d, []).append(fmt_point({k: v for k, v in p.params.items()
                                                          if k in c.grid}) or "the point")
    out = list(c.differences)
    for d, where in at_points.items():
        if d in out:
            continue
        if len(where) < measured:
            shown = "; ".join(where[:listed]) + (f"; and {len(where) - listed} more"
                                                 if len(where) > listed else "")
            d = f"{d} (at {shown})" if len(where) == 1 else f"{d} (at {len(where)} points: {shown})"
        out.append(d)
    return out


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
                     evidence_run=list(c.evidence if profile is None else
                                       c.evidence_for(profile)),
                     hypotheses=list(c.hypotheses), not_imposed=list(c.not_imposed),
                     statement=c.statement, notes=c.notes, reading=c.reading,
                     counterfactual=c.counterfactual,
                     cases=list(r.verdict.cases),
                     grid=jsonable(dict(c.grid if profile is None else c.grid_for(profile))),
                     fixed=jsonable(dict(c.fixed)), defaults=jsonable(dict(c.defaults)))
        if getattr(r, "coverage", None) is not None:  # judged with its family
            entry["case_coverage"] = r.coverage.to_json()
        if c.scaling is not None:
            entry["scaling"] = {"variable": c.scaling.variable, "shape": c.scaling.shape,
                                "min_r2": c.scaling.min_r2,
                                "coefficients": None if c.scaling.coefficients is None
                                else [float(x) for x in c.scaling.coefficients],
                                # as written, and the rounding each stands for: what decided
                                # (1e0 is exact, 1.0 stands for [0.95, 1.05])
                                "coefficients_written": None if c.scaling.written is None
                                else list(c.scaling.written),
                                "rounding": None if c.scaling.rounding is None
                                else [float(x) for x in c.scaling.rounding]}
        entry["points"] = [point_json(p, c, r.controls) for p in r.points]
        entry["differences"] = _differences(c, r.points)
        entry["controls"] = [{"key": k, "rules": jsonable(cs.rules), "elapsed_s": cs.elapsed_s,
                              "runs": [jsonable(run.__dict__) for run in cs.runs]}
                             for k, cs in r.controls.items()]
        names = list(c.grid)
        verdict_of = [p["verdict"] for p in entry["points"]]
        if c.scaling is not None:
            # points without a prediction of their own (stated coefficients are the fit's to
            # judge) only enter the fit: their reach is their group's verdict (a point no fit
            # took, inconclusive); with a `predicted` formula the point's own verdict and its
            # group's both count (refuted if either is, confirmed if both are)
            var = c.scaling.variable
            by_group = dict(getattr(r.verdict, "groups", ()))
            left_out = set(getattr(r.verdict, "left_out", ()))
            groups = ["inconclusive" if (fmt_point(p.params) or "the point") in left_out
                      else by_group.get(fmt_point({k: v for k, v in p.params.items()
                                                   if k != var and k in c.grid})
                                        or "all points", "inconclusive")
                      for p in r.points]
            verdict_of = groups if c.predicted is None else [
                own if own == "error" else "refuted" if "refuted" in (own, g) else
                "confirmed" if own == g == "confirmed" else "inconclusive"
                for own, g in zip(verdict_of, groups, strict=True)]
        grid = [p["params"] for p in entry["points"]]
        entry["scopes"] = {v: scope([p["params"] for p, w in zip(entry["points"], verdict_of,
                                                                 strict=True) if w == v], names,
                                    grid, c.constraint)
                           for v in VERDICTS if v in verdict_of}
    else:
        entry["points"] = []
    entry["point_counts"] = _counts(entry["points"])
    entry["fits"] = [jsonable(f.__dict__) for f in getattr(r.verdict, "fits", ())]
    return entry


_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SEPARATORS = re.compile("[\u2028\u2029]")


def printable(text: Any) -> str:
    r"""``text`` (of a claim file, a plugin's error) with nothing in it that acts instead of
    showing: control characters (NUL, ESC, bell; not tab and line breaks, which each report
    treats as it must) and the bidirectional embeddings, overrides and isolates that reorder
    what follows them (a title could show other text than its own) become U+FFFD; Unicode's
    line and paragraph separators a space. Marks that only set direction (U+200E, U+200F) and
    joiners stay: right-to-left text shows as written. ``report.json`` keeps the text as it is.

    >>> printable("a\x00b\x1b[31m\u202egnp.exe\u2028c\td\u200f") == (
    ...     "a\ufffdb\ufffd[31m\ufffdgnp.exe c\td\u200f")
    True
    """
    return _SEPARATORS.sub(" ", _UNPRINTABLE.sub("\ufffd", str(text)))


def _entry_that_failed(r: Any, e: BaseException) -> dict[str, Any]:
    """A claim's ``report.json`` entry where building it raised (a bug): its verdict and
    reason as the judge gave them, with the failure said, and no points, so that the other
    claims' entries, and this claim's verdict, are not lost with it."""
    c = getattr(r, "claim", None)
    v = getattr(r, "verdict", None)

    def text(obj: Any, key: str) -> str:
        x = getattr(obj, key, None)
        return x if isinstance(x, str) else "" if x is None else str(x)

    verdict = text(v, "verdict")
    grade = text(v, "grade") or "none"
    cid = getattr(c, "id", None)
    return {
        "id": cid if isinstance(cid, str) else None, "title": text(c, "title"),
        "source": text(c, "source"), "family": text(c, "family"), "kind": text(c, "kind"),
        "path": text(c, "path"), "verdict": verdict if verdict in VERDICTS else "error",
        "reason": (text(v, "reason") + " " if text(v, "reason") else "")
        + f"[report: this claim's evidence could not be written ({type(e).__name__}: {e}); "
        "a bug, please report it]",
        "grade": grade if grade in (*GRADES, "failed", "absent", "none") else "none",
        "points": [], "point_counts": _counts([]), "fits": [], "figure": None,
        "experiment": None, "scan_figure": None,
    }


def build_report(results: Sequence[Any], *, profile: str, device: str,
                 created: str | None = None, wall_s: float | None = None,
                 figures: Mapping[str, str] | None = None,
                 experiment_figures: Mapping[str, Sequence[Mapping[str, Any]]] | None = None
                 ) -> dict[str, Any]:
    """The ``report.json`` object for ``results``."""
    from slttheory.verify.report.experiments import experiment_json

    claims, exp_s = [], 0.0
    for r in results:
        try:
            entry = claim_json(r, profile)
            c = r.claim
            entry["figure"] = (figures or {}).get(c.id or c.path)
            if isinstance(r, ExperimentClaimResult):
                entry.update(statement=c.statement, notes=c.notes, evidence=["experiment"],
                             differences=list(getattr(c, "differences", ())))
                entry["experiment"] = experiment_json(r, (experiment_figures or {}).get(c.id))
                paths = [f.get("path") for f in entry["experiment"]["figures"] if f.get("path")]
                entry["figure"] = paths[0] if paths else None
                exp_s += r.elapsed_s
        except Exception as e:  # noqa: BLE001 - one claim's entry never loses the others'
            entry = _entry_that_failed(r, e)
        entry.setdefault("experiment", None)  # documented for every claim: null if none
        entry.setdefault("scan_figure", None)  # set by write_report where scans were drawn
        claims.append(entry)
    summary = {v: sum(1 for c in claims if c["verdict"] == v) for v in VERDICTS}
    return {
        "schema_version": SCHEMA_VERSION, "profile": profile,
        "created": created or datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_s": wall_s,
        "compute_s": round(sum(p["elapsed_s"] for c in claims for p in c["points"]) + exp_s
                           + _control_s(claims), 3),
        "environment": environment(device), "summary": summary,
        "decided_on_readings": decided_on_readings(claims), "claims": claims,
    }


def _control_s(claims: Sequence[Mapping[str, Any]]) -> float:
    """Seconds of the control runs the report's claims used, each run once (control sets
    of different points share runs under the same rules).

    >>> run = {"family": "regular", "params": {"d": 2}, "data_seed": 11, "elapsed_s": 1.5}
    >>> sets = [{"rules": {}, "runs": [run]}, {"rules": {}, "runs": [run]}]
    >>> _control_s([{"controls": sets}])
    1.5
    """
    seen: dict[str, float] = {}
    for c in claims:
        for cs in c.get("controls", ()):
            for run in cs.get("runs", ()):
                ident = json.dumps([cs.get("rules"), run.get("family"), run.get("params"),
                                    run.get("data_seed")], sort_keys=True, default=str)
                seen[ident] = float(run.get("elapsed_s") or 0.0)
    return sum(seen.values())


def is_result(r: Any) -> bool:
    return isinstance(r, ClaimResult | ExperimentClaimResult)


def relation_symbol(relation: Any) -> str:
    """A claim's relation as the reports print it (``"<="`` → ``"≤"``; ``"=="`` → ``"="``).

    >>> relation_symbol("<="), relation_symbol("=="), relation_symbol(">")
    ('≤', '=', '>')
    """
    rel = str(relation) if relation is not None else "=="
    return {"==": "=", "<=": "≤", ">=": "≥", "!=": "≠"}.get(rel, rel)


def routes_text(c: Mapping[str, Any]) -> str:
    """The routes a claim's profile ran, and the claim's own list where they differ.

    >>> routes_text({"evidence": ["rank", "llc"], "evidence_run": ["rank"]})
    'rank (this profile; the claim lists rank, llc)'
    >>> routes_text({"evidence": ["rank"], "evidence_run": ["rank"]})
    'rank'
    """
    listed = [str(x) for x in c.get("evidence") or []]
    run = [str(x) for x in c.get("evidence_run", listed) or []]
    text = ", ".join(run) or "none"
    return text if run == listed else (f"{text} (this profile; the claim lists "
                                       f"{', '.join(listed) or 'none'})")


def point_rank_text(rk: Mapping[str, Any]) -> str:
    """The rank at w* as certified: "rank = 2" where it is computed exactly, "rank ≥ 4" where
    the certificate is a lower bound (a generic rank's, carried to w*). Named, since it follows
    a λ in the rank cell ("λ = 1; at w*: = 2" read as λ = 2, an acceptance run found).

    >>> point_rank_text({"point_rank": 4, "point_rank_how": "... hence rank J(w*) >= 4"})
    'rank ≥ 4'
    >>> point_rank_text({"point_rank": 2, "point_rank_how": "so rank J(w*) = 2 exactly"})
    'rank = 2'

    A rank that is not certified says so, with why where the route gave it (a plugin's
    ``true_params`` that are not its built w* had been named in ``report.json`` only):

    >>> point_rank_text({"point_rank": 1, "point_rank_certified": False, "point_rank_how":
    ...     "exact at w* (true_params is stated by a plugin, and its 'b' differs from the "
    ...     "built w*: not certified)"})
    "rank = 1, not certified: true_params is stated by a plugin, and its 'b' differs from ..."
    """
    how = str(rk.get("point_rank_how") or "")
    txt = f"rank {'≥' if '>=' in how or '≥' in how else '='} {rk.get('point_rank')}"
    if rk.get("point_rank_certified") is False:
        why = re.search(r"\(([^()]*): not certified\)\s*$", how)
        txt += ", not certified" + (f": {why.group(1)}" if why else "")
    return txt


QUALIFIERS = (
    ("a verdict on the statement without", " — for the statement without a hypothesis the "
     "claim does not impose (see below)"),
    ("[the seed's estimator output at its", " [the seed's estimator output, not λ]"),
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
    >>> short_reason("inconclusive: [gsm: inconclusive] " + "y" * 200 + "; [rho: inconclusive] "
    ...              "z [the seed's estimator output at its settings]")[-57:]
    "[a further criterion: the seed's estimator output, not λ]"
    """
    if len(reason) <= limit:
        return reason
    cut = max(limit - 40, 60) - 1
    # an experiment's reason is one "[criterion: verdict] …" per criterion: a qualifier of a
    # criterion the cut leaves out says so, not that it qualifies the one shown (an outside
    # audit: the GSM's dynamics statistic was labelled the seed's estimator output)
    shown = reason.split("; [", 1)[0] if reason[cut:].count("; [") else reason
    tail = "".join(t if key in shown else f" [a further criterion: {t.lstrip(' [')}"
                   for key, t in QUALIFIERS if key in reason)
    return reason[: max(limit - len(tail), 60) - 1] + "…" + tail


GRADE_LEGEND = (
    "{b}certified{/b} (exact, independent of the claim), {b}controlled{/b} (an LLC corrected "
    "by controls of certified λ measured in the same run; where its band decides, the same "
    "verdict at γ × 3, γ / 3, ε / 2, with γ the localisation strength, ε the step size), "
    "{b}uncontrolled{/b} (an LLC without such controls, or whose controlled verdict changes at "
    "a rerun or lies outside the certified facts: shown, never decides; the LLC is Lau "
    "et al. 2023's local learning coefficient, estimated from nβ(E[L_n] − L_n(w*)), by "
    "default over a scan of temperatures with its finite-nβ terms removed: "
    "docs/estimator.md), {b}context{/b} (the claim's own statement, or a formula as its source "
    "states it: never evidence), {b}none{/b} (no evidence of that route at the point, or "
    "none that bounds λ: a rank column reading 'at w*: rank = 0 (none)' computed that rank, "
    "which gives only λ ≥ 0, and a generic rank alone bounds nothing; for an "
    "LLC also {b}failed{/b}: its diagnostics failed, no information)."
)
"""The grade words, for both report.md and report.html ({b}…{/b}: emphasis)."""
