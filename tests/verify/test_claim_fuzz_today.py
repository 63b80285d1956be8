"""A fuzzing pass over the claim loader after faults were gathered (``Faults``), list terms
in expressions and ``check`` (an outside fuzz of 60 000 claims).

``parse_claim`` on mutations of every claim file under ``verification/`` (deleted, renamed and
retyped keys, list values where numbers go and numbers where lists go, huge integers, NaN,
random ``predicted``/``constraint`` tokens with list terms) never escaped as anything but a
ClaimError naming the file (some 60 000 cases). ``check`` did, twice: TOML text nested too
deeply raised RecursionError (``load_claim`` already caught it; the text branch did not), and a
mapping with a key that is not a string raised TypeError from ``sorted`` in ``check_keys``
(``'<' not supported between instances of 'tuple' and 'int'``).
"""

from __future__ import annotations

import copy
import random
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slttheory.models import FAMILIES
from slttheory.verify.claims import ClaimError, parse_claim, read_toml
from slttheory.verify.run.check import check

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "verification").rglob("*.toml"))
BASES = [read_toml(f.read_text("utf-8"), str(f)) for f in FILES]

VALID = {"id": "x", "title": "t", "source": "Watanabe 2009", "family": "regular",
         "kind": "closed_form", "predicted": "d/2", "evidence": ["closed_form"],
         "grid": {"d": [2]}}


# --- check(): TOML text nested too deeply ------------------------------------------------

@pytest.mark.parametrize("text", [
    "v = " + "[" * 1000 + "]" * 1000,
    "v = " + "{a=" * 1000 + "1" + "}" * 1000,
])
def test_check_refuses_toml_nested_too_deeply_as_a_claim_error(text):
    with pytest.raises(ClaimError, match=r"^<claim>: malformed TOML \(.*nested too deeply"):
        check(text)


# --- check(): a mapping whose keys are not strings ---------------------------------------

@pytest.mark.parametrize("claim, where", [
    ({1: 2, (1, 2): 3}, r"\(top level\): key 1 is a int"),
    ({**VALID, 5: 1}, r"\(top level\): key 5 is a int"),
    ({**VALID, "grid": {"d": [2], 3: [1]}}, r"grid: key 3 is a int"),
    ({**VALID, "tolerance": {"llc_rel": 0.1, 1: 0.2}}, r"tolerance: key 1 is a int"),
    ({**VALID, "profiles": {"quick": {"grid": {None: [1]}}}},
     r"profiles\.quick\.grid: key None is a NoneType"),
])
def test_check_names_a_key_that_is_not_a_string(claim, where):
    with pytest.raises(ClaimError, match=rf"^<claim>: {where}; a claim's keys are strings"):
        check(claim)


def test_check_reads_nested_mappings_as_tables():
    # a MappingProxyType grid is read as a table: the fault found is predicted's, not
    # "grid: must be a table, got mappingproxy"
    bad = {**VALID, "predicted": "d/2 + k", "grid": MappingProxyType({"d": [2]})}
    with pytest.raises(ClaimError, match=r"^<claim>: predicted: unknown variable 'k'"):
        check(bad)


def test_check_refuses_a_mapping_that_holds_itself():
    d = dict(VALID)
    d["grid"] = {"d": [2]}
    d["grid"]["self"] = d["grid"]
    with pytest.raises(ClaimError, match=r"^<claim>: .*nested too deeply"):
        check(d)
    lst: list = [1]
    lst.append(lst)
    with pytest.raises(ClaimError, match=r"^<claim>: .*nested too deeply"):
        check({**VALID, "grid": {"d": lst}})


@pytest.mark.parametrize("arg", [3, None, b"id = 'x'", [VALID], 1.5, True])
def test_check_refuses_an_argument_of_another_type(arg):
    with pytest.raises(TypeError, match="claim: a path, TOML text or a mapping"):
        check(arg)


@pytest.mark.parametrize("text", ["", "id = ", "[[[x", "a = 1\na = 2", "x = " + "9" * 5000,
                                  "a" + ".a" * 100 + " = 1", "id = 'x'\x00"])
def test_check_refuses_malformed_toml_text(text):
    with pytest.raises(ClaimError, match=r"^<claim>: "):
        check(text)


# --- parse_claim(): the mutation fuzzer, small and derandomised --------------------------

_VALUES = [0, 1, -1, 2.5, True, "", "x", "ｄ", 10**400, -10**7, 10**7, float("nan"),
           float("inf"), [], [1, 2], [[1, 2]], [[]], [1, [2]], {}, {"a": 1}, "x" * 2000,
           [10**30], [0.5, 3], [True], "closed_form", ["closed_form"]]
_TOKENS = ["d", "k", "p", "powers", "widths", "max(powers)", "min(widths)", "sum(powers)",
           "len(widths)", "widths[0]", "widths[-1]", "powers[5]", "widths[1.5]", "max(d)",
           "max(powers, 2)", "powers[d]", "max(powers)[0]", "1", "0", "2", "/", "*", "**",
           "+", "-", "<", "==", "and", "(", ")", "__import__('os')", "10**400", "ｄ", "#"]
_KEYS = ["grid", "fixed", "predicted", "constraint", "evidence", "kind", "family", "id",
         "profiles", "scaling", "tolerance", "llc", "rank", "settings", "criterion",
         "experiment", "relation", "hypotheses", "bogus"]


def _mutate(rng: random.Random, d: dict) -> None:
    op = rng.randrange(7)
    key = rng.choice(list(d) or _KEYS)
    if op == 0 and key in d:
        del d[key]
    elif op == 1:
        d[key] = copy.deepcopy(rng.choice(_VALUES))
    elif op == 2 and key in d:
        d[rng.choice(_KEYS)] = d.pop(key)
    elif op == 3:
        d[rng.choice(("predicted", "constraint"))] = " ".join(
            rng.choice(_TOKENS) for _ in range(rng.randint(1, 6)))
    elif op in (4, 5):
        t = d.get(rng.choice(("grid", "fixed", "settings")))
        if isinstance(t, dict) and t:
            k = rng.choice(list(t))
            v = copy.deepcopy(rng.choice(_VALUES))
            t[k] = [v] if op == 4 and rng.random() < 0.7 else v
    else:
        v = d.get(key)
        d[key] = (v[0] if v else 1) if isinstance(v, list) else [v]


def _fuzz_one(seed: int) -> None:
    rng = random.Random(seed)
    d = copy.deepcopy(rng.choice(BASES))
    for _ in range(rng.randint(1, 4)):
        _mutate(rng, d)
    try:
        parse_claim(d, "fz.toml", FAMILIES)
    except ClaimError as e:
        assert str(e).startswith("fz.toml: "), str(e)


@settings(max_examples=40, derandomize=True, deadline=None)
@given(st.integers(0, 2**32))
def test_parse_claim_on_mutated_claim_files_raises_only_claim_errors(seed):
    _fuzz_one(seed)


@pytest.mark.slow
@settings(max_examples=3000, derandomize=False, deadline=None)
@given(st.integers(0, 2**32))
def test_parse_claim_fuzz_long(seed):
    _fuzz_one(seed)
