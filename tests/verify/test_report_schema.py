"""``report.json``'s schema against the committed reference report and the README.

Every key path of ``reports/reference/report.json`` must be listed by ``REPORT_SCHEMA`` (below a
free-form object: not looked into) and documented in the section "``report.json`` (schema
version 2)" of ``verification/README.md``; every field the schema lists must be documented
there, and the README must document no field the schema lacks. A fixed (closed) object
rejects a key it does not list, with both validators.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from slttheory.verify.report import REPORT_SCHEMA, validate_report

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "reports" / "reference" / "report.json"
README = ROOT / "verification" / "README.md"
SECTION = "## `report.json` (schema version 2)"

ALIASES = {
    # objects documented once, under another path ("fields as ...")
    "claims[].points[].independent[].": "claims[].points[].closed_form.",
    "claims[].points[].llc.reruns[].config.": "claims[].points[].llc.config.",
    "claims[].experiment.criteria[].statistic.": "claims[].experiment.statistics.<name>.",
}


def canonical(path: str) -> str:
    for alias, doc in ALIASES.items():
        if path.startswith(alias):
            return doc + path[len(alias):]
    return path


def readme_fields(text: str | None = None) -> set[str]:
    """The fields the README section documents: a line "`<object path>` ..." names (and so
    documents) an object ("$" the report), each following "- `<key>`: ..." one of its fields."""
    text = README.read_text(encoding="utf-8") if text is None else text
    section = text[text.index(SECTION) + len(SECTION):]
    section = section.split("\n## ", 1)[0]
    section = section[section.index("\n`$`") + 1:]  # the skeleton and notes above: prose
    fields, prefix = set(), None
    for line in section.splitlines():
        if m := re.match(r"`([^`]+)`", line):
            prefix = "" if m.group(1) == "$" else m.group(1) + "."
            if prefix:
                fields.add(m.group(1).removesuffix("[]"))
        elif (m := re.match(r"- `([^`]+)`:", line)) and prefix is not None:
            fields.add(prefix + m.group(1))
    return fields


def schema_paths(schema: Mapping[str, Any], path: str = "") -> Iterator[str]:
    """Every key path the schema lists ("[]": items; "<name>": a map's keys)."""
    for k, sub in schema.get("properties", {}).items():
        p = f"{path}.{k}" if path else k
        yield p
        yield from schema_paths(sub, p)
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        yield f"{path}.<name>"
        yield from schema_paths(extra, f"{path}.<name>")
    if isinstance(schema.get("items"), Mapping):
        yield from schema_paths(schema["items"], path + "[]")


def report_paths(obj: Any, schema: Mapping[str, Any], path: str = "",
                 unlisted: list[str] | None = None) -> Iterator[str]:
    """Every key path of ``obj`` that ``schema`` lists, not looking into free-form objects (an
    object schema without properties); a key the schema does not list goes to ``unlisted``."""
    if isinstance(obj, dict):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        if not props and not isinstance(extra, Mapping):
            return  # free-form
        for k, v in obj.items():
            if k in props:
                p = f"{path}.{k}" if path else k
                yield p
                yield from report_paths(v, props[k], p, unlisted)
            elif isinstance(extra, Mapping):
                yield f"{path}.<name>"
                yield from report_paths(v, extra, f"{path}.<name>", unlisted)
            elif unlisted is not None:
                unlisted.append(f"{path}.{k}")
    elif isinstance(obj, list) and isinstance(schema.get("items"), Mapping):
        for v in obj:
            yield from report_paths(v, schema["items"], path + "[]", unlisted)


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    return json.loads(REFERENCE.read_text(encoding="utf-8"))


def test_the_reference_report_validates(reference):
    assert validate_report(reference) is None  # raises ValueError on any violation


def test_the_reference_report_validates_with_jsonschema(reference):
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(REPORT_SCHEMA)
    errors = list(jsonschema.Draft202012Validator(REPORT_SCHEMA).iter_errors(reference))
    assert not errors, [f"{e.json_path}: {e.message}" for e in errors[:5]]


def test_every_key_of_the_reference_report_is_listed_by_the_schema(reference):
    unlisted: list[str] = []
    paths = set(report_paths(reference, REPORT_SCHEMA, unlisted=unlisted))
    assert not sorted(set(unlisted)), "keys REPORT_SCHEMA does not list"
    # the walk reached the deep records (not stopped early at a free-form object)
    assert {"claims[].points[].llc.band.ratio_low", "claims[].points[].at_point.orbit.how",
            "claims[].not_imposed", "compute_s",
            "claims[].experiment.statistics.<name>.shape.fits.<name>.p_value"} <= paths


def test_every_key_path_of_the_reference_report_is_documented(reference):
    paths = {canonical(p) for p in report_paths(reference, REPORT_SCHEMA)}
    assert sorted(paths - readme_fields()) == []


def test_every_field_of_the_schema_is_documented_and_no_other():
    listed = {canonical(p) for p in schema_paths(REPORT_SCHEMA)}
    documented = readme_fields()
    assert sorted(listed - documented) == [], "listed by REPORT_SCHEMA, not documented"
    assert sorted(documented - listed) == [], "documented, not in REPORT_SCHEMA"


def test_the_readme_parser_reads_objects_and_their_fields():
    text = (f"{SECTION}\n\n`$` — the report:\n- `wall_s`: seconds.\n\n"
            "`claims[].scaling`:\n- `shape`: the shape.\n  - `nested`: not a field\n"
            "## Next\n`other`:\n- `x`: no.\n")
    assert readme_fields(text) == {"wall_s", "claims[].scaling", "claims[].scaling.shape"}


def _first(reference: dict[str, Any], test) -> dict[str, Any]:
    return next(x for x in test(reference))


FIXED = {
    "report": lambda r: r,
    "environment": lambda r: r["environment"],
    "summary": lambda r: r["summary"],
    "claim": lambda r: r["claims"][0],
    "point_counts": lambda r: r["claims"][0]["point_counts"],
    "point": lambda r: next(p for c in r["claims"] for p in c["points"]),
    "fact": lambda r: next(f for c in r["claims"] for p in c["points"] for f in p["facts"]),
    "closed_form": lambda r: next(p["closed_form"] for c in r["claims"] for p in c["points"]
                                  if p["closed_form"]),
    "rank": lambda r: next(p["rank"] for c in r["claims"] for p in c["points"] if p["rank"]),
    "llc": lambda r: next(p["llc"] for c in r["claims"] for p in c["points"] if p["llc"]),
    "band": lambda r: next(p["llc"]["band"] for c in r["claims"] for p in c["points"]
                           if p["llc"]),
    "at_point": lambda r: next(p["at_point"] for c in r["claims"] for p in c["points"]
                               if p["at_point"]),
    "control run": lambda r: next(x for c in r["claims"] for s in c.get("controls", [])
                                  for x in s["runs"]),
    "experiment": lambda r: next(c["experiment"] for c in r["claims"] if c["experiment"]),
    "statistic": lambda r: next(s for c in r["claims"] if c["experiment"]
                                for s in c["experiment"]["statistics"].values()),
}


@pytest.mark.parametrize("where", sorted(FIXED))
def test_an_unknown_key_in_a_fixed_object_fails(reference, where):
    bad = copy.deepcopy(reference)
    FIXED[where](bad)["not_a_field"] = 1
    with pytest.raises(ValueError, match="unexpected key 'not_a_field'"):
        validate_report(bad)
    jsonschema = pytest.importorskip("jsonschema")
    with pytest.raises(jsonschema.ValidationError, match="not_a_field"):
        jsonschema.validate(bad, REPORT_SCHEMA)


def test_free_form_and_open_objects_take_other_keys(reference):
    """A grid point's parameters are the family's; the sampler's config is its own
    dataclass's (open: a new field there must not fail the report after a run)."""
    ok = copy.deepcopy(reference)
    point = next(p for c in ok["claims"] for p in c["points"] if p["llc"])
    point["params"]["any_name"] = {"nested": [1, "x"]}
    point["llc"]["config"]["a_new_setting"] = 3
    point["at_point"]["extras"]["a_new_number"] = 0.5
    assert validate_report(ok) is None  # raises ValueError on an unexpected key


def test_a_stored_number_may_be_non_finite_as_text_and_nothing_else(reference):
    ok = copy.deepcopy(reference)
    llc = next(p["llc"] for c in ok["claims"] for p in c["points"] if p["llc"])
    llc["diagnostics"]["rhat"] = "nan"
    llc["std_error"] = "inf"
    validate_report(ok)
    llc["std_error"] = "0.1"
    with pytest.raises(ValueError, match=r"std_error: '0.1' does not match"):
        validate_report(ok)
    # a number the report computes itself is null where not finite, never text
    band = llc["band"]
    band["ratio_low"] = "nan"
    llc["std_error"] = 0.1
    with pytest.raises(ValueError, match="ratio_low: expected number or null"):
        validate_report(ok)


def test_a_wrong_type_in_a_documented_field_fails(reference):
    for mutate, where in [
        (lambda r: r.__setitem__("compute_s", "300"), r"\$.compute_s"),
        (lambda r: _first(r, lambda r: (c for c in r["claims"] if c.get("not_imposed") is not None))
         .__setitem__("not_imposed", "stage_two"), "not_imposed"),
        (lambda r: _first(r, lambda r: (p["at_point"] for c in r["claims"] for p in c["points"]
                                        if p["at_point"] and p["at_point"]["orbit"]))
         ["orbit"].__setitem__("dimension", 1.5), "orbit.dimension"),
    ]:
        bad = copy.deepcopy(reference)
        mutate(bad)
        with pytest.raises(ValueError, match=where):
            validate_report(bad)


def test_the_statistics_about_values_match_the_experiments():
    from slttheory.experiments.base import ABOUT
    from slttheory.verify.report.data import _ABOUT

    assert tuple(_ABOUT) == tuple(ABOUT)


def test_a_report_that_breaks_its_schema_is_still_written(tmp_path, monkeypatch):
    """Validation runs after writing: a field the schema lacks fails the run loudly (a bug)
    without losing the report of a long run."""
    import slttheory.verify.report as report

    def broken(rep, *a, **k):
        raise ValueError("$.claims[0]: unexpected key 'new_field'")

    monkeypatch.setattr(report, "validate_report", broken)
    with pytest.raises(ValueError, match="was written but does not match its schema"):
        report.write_report([], tmp_path, profile="quick", device="cpu", figures=False)
    assert (tmp_path / "report.json").exists() and (tmp_path / "report.md").exists()
