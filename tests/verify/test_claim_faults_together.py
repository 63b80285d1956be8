"""Independent faults of one claim file are named together, in one ClaimError.

A user's file with an unknown grid parameter, a string where an integer goes, a non-integer
and a `predicted` that uses an undefined variable took four edit-and-rerun cycles, one fault
per run. Now a file's independent faults come in one message ("<file>: 4 faults: grid.rank:
…; grid.m: …"), a check that needs another's input (the grid points need a valid grid) runs
only once that input is valid, and a file with one fault reads exactly as it did.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from slttheory.models.registry import Family, ParamSpec
from slttheory.verify.claims import BadClaim, Claim, ClaimError, load_claim, load_claims


def _no_build(*a, **kw):
    raise NotImplementedError


RRR = Family(
    "rrr",
    "reduced rank regression (integers only)",
    (
        ParamSpec("m", int, 1, None, 5),
        ParamSpec("n", int, 1, None, 5),
        ParamSpec("h", int, 1, None, 3),
        ParamSpec("r", int, 0, None, 0),
    ),
    _no_build,
    formula=_no_build,  # the closed-form route exists (never run here)
)
FAMILIES = {"rrr": RRR}


def claim(predicted: str, grid: str, head: str = "") -> str:
    return (f'id = "c"\ntitle = "t"\nsource = "Me 2026"\nfamily = "rrr"\n'
            f'kind = "closed_form"\n{head}predicted = "{predicted}"\n'
            f'evidence = ["closed_form"]\n\n[grid]\n{grid}\n')


def error(tmp_path: Path, text: str, name: str = "c.toml") -> tuple[Path, str]:
    f = tmp_path / name
    f.write_text(text)
    with pytest.raises(ClaimError) as e:
        load_claim(f, FAMILIES)
    return f, str(e.value)


def test_the_four_faults_of_the_users_file_come_in_one_error(tmp_path):
    f, msg = error(tmp_path, claim("m*h/2 + k", 'rank = [0]\nm = ["4"]\nh = [2.5]'))
    assert msg == (
        f"{f}: 4 faults: "
        "grid.rank: unknown variable for family 'rrr' (its parameters: h, m, n, r); "
        "grid.m: m must be an integer, got '4'; "
        "grid.h: h must be an integer, got 2.5; "
        "predicted: unknown variable 'k' (allowed: the grid and fixed variables: h, m, rank) "
        "at column 9")


@pytest.mark.parametrize("predicted, grid, expected", [
    ("m/2 + h", "m = [4]\nh = [2]\nrank = [0]",
     "grid.rank: unknown variable for family 'rrr' (its parameters: h, m, n, r)"),
    ("h", 'm = ["4"]\nh = [2]',
     'grid point {"h": 2, "m": "4"} (profile quick): m must be an integer, got \'4\' '
     "(from grid.m)"),
    ("m/2", "m = [4]\nh = [2.5]",
     'grid point {"h": 2.5, "m": 4} (profile quick): h must be an integer, got 2.5 '
     "(from grid.h)"),
    ("m/2 + k", "m = [4]\nh = [2]",
     "predicted: unknown variable 'k' (allowed: the grid and fixed variables: h, m) at "
     "column 7"),
    # two checks see the same key (its values, and predicted's use of them): one fault
    ("m/2 + h", 'm = ["4"]\nh = [2]',
     "grid.m: predicted uses 'm', so its values must be numbers, got '4'"),
    ("m/2 + h", "m = [4, 4]\nh = [2]", "grid.m: repeated values in [4, 4]"),
])
def test_a_file_with_one_fault_reads_as_before(tmp_path, predicted, grid, expected):
    f, msg = error(tmp_path, claim(predicted, grid))
    assert msg == f"{f}: {expected}"


def test_two_checks_of_one_key_name_it_once(tmp_path):
    # predicted and constraint both use k, whose values are strings: one fault, grid.k's
    f, msg = error(tmp_path, claim("m/2 + h", 'm = [4]\nh = ["x"]', 'constraint = "h < m"\n'))
    assert msg == f"{f}: grid.h: predicted uses 'h', so its values must be numbers, got 'x'"


def test_top_level_and_grid_faults_come_together(tmp_path):
    text = claim("m/2", 'm = [4]\nh = [2.5]', 'relation = "=<"\n').replace(
        'title = "t"', "title = 3")
    f, msg = error(tmp_path, text)
    assert msg == (f"{f}: 3 faults: title: must be a non-empty string, got 3; relation: must "
                   "be one of ==, <=, >=, <, >, got '=<'; grid.h: h must be an integer, got 2.5")


def test_point_validation_waits_for_a_valid_grid(tmp_path, monkeypatch):
    # an unknown grid parameter: the points are not validated (they would name it again,
    # as "unknown parameter(s)" at a grid point), nor is predicted evaluated there
    calls = []
    monkeypatch.setattr(Family, "validate",
                        lambda self, *a, **kw: calls.append(a) or {})
    f, msg = error(tmp_path, claim("m/2", "m = [4]\nrank = [0]"))
    assert msg == f"{f}: grid.rank: unknown variable for family 'rrr' (its parameters: h, m, n, r)"
    assert calls == []


def test_an_unknown_family_still_names_the_other_faults_but_not_the_grids(tmp_path):
    # the grid is checked against the family's parameters only where the family is known
    text = claim("m/2 + k", 'rank = [0]\nm = ["4"]').replace('"rrr"', '"nope"').replace(
        'title = "t"', 'title = ""')
    f, msg = error(tmp_path, text)
    assert msg.startswith(f"{f}: 3 faults: title: must be a non-empty string, got ''; "
                          "family: unknown family 'nope'"), msg
    assert msg.endswith("; predicted: unknown variable 'k' (allowed: the grid and fixed "
                        "variables: m, rank) at column 7"), msg
    assert "grid." not in msg


def test_a_valid_file_still_loads(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text(claim("m*h/2", "m = [4, 5]\nh = [2]"))
    c = load_claim(f, FAMILIES)
    assert isinstance(c, Claim) and len(c.points("quick")) == 2


def test_a_folder_reports_each_bad_file_and_loads_the_good_ones(tmp_path):
    (tmp_path / "a.toml").write_text(claim("m*h/2 + k", 'rank = [0]\nm = ["4"]\nh = [2.5]'))
    (tmp_path / "b.toml").write_text(claim("m*h/2", "m = [4]\nh = [2]").replace(
        'id = "c"', 'id = "b"'))
    (tmp_path / "c.toml").write_text(claim("m/2", "m = [4]\nh = [2.5]").replace(
        'id = "c"', 'id = "c2"'))
    out = {Path(c.path).name: c for c in load_claims([tmp_path], FAMILIES)}
    assert isinstance(out["b.toml"], Claim)
    a, c = out["a.toml"], out["c.toml"]
    assert isinstance(a, BadClaim) and a.message.startswith(f"{tmp_path / 'a.toml'}: 4 faults: ")
    for key in ("grid.rank: ", "grid.m: ", "grid.h: ", "predicted: "):
        assert key in a.message
    assert isinstance(c, BadClaim) and c.message.endswith("h must be an integer, got 2.5 "
                                                          "(from grid.h)")
