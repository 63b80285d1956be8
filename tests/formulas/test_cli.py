"""``python -m slttheory.formulas``: values, symbols, JSON, listing and errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from slttheory.formulas import deep_linear_network, newton_polyhedron, reduced_rank_regression
from slttheory.formulas.cli import UsageError, main, parse_value
from slttheory.formulas.standing import STANDING

ROOT = Path(__file__).resolve().parents[2]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_integer_sizes_print_value_multiplicity_case_source_standing():
    code, out, err = run("reduced_rank_regression", "m=5", "n=5", "h=3")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "reduced_rank_regression(m=5, n=5, h=3)"
    assert lines[1] == "λ             13/2  (6.5)"
    assert lines[2] == "multiplicity  2"
    assert "case          case 1 (m+n+h+r odd)" in out
    assert "standing      established by tests/formulas/test_linear.py::" in out
    assert "reference     Aoyagi & Watanabe 2005" in out
    assert "source        Aoyagi & Watanabe 2005" in out
    assert "  - the true product B0 A0 has rank r" in out


def test_symbols_give_the_piecewise():
    code, out, _ = run("reduced_rank_regression", "--symbols", "m,n,h", "r=r")
    assert code == 0
    assert "for" in out and "otherwise" in out  # the Piecewise, drawn by sympy
    code2, out2, _ = run("reduced_rank_regression", "m=m", "n=n", "h=h", "r=r")
    assert (code2, out2) == (code, out)
    code, out, _ = run("reduced_rank_regression", "--symbols", "m,n,h,r", "--json")
    record = json.loads(out)
    m, n, h = sp.symbols("m n h", positive=True, integer=True)
    r = sp.Symbol("r", nonnegative=True, integer=True)
    assert record["value"] == str(reduced_rank_regression(m, n, h, r).value)
    assert record["value"].startswith("Piecewise(")


def test_ascii_output():
    code, out, _ = run("tanh_network", "h=h", "--ascii")
    assert code == 0 and "floor" in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("deep_linear_network", "widths=3,4,3", "r=1"), deep_linear_network([3, 4, 3], 1)),
        (("deep_linear_network", "widths=[3, 4, 3]", "r=1"), deep_linear_network([3, 4, 3], 1)),
        (("newton_polyhedron", "exponents=(2,0),(0,4)"), newton_polyhedron([(2, 0), (0, 4)])),
        (
            ("newton_polyhedron", "exponents=[[6,0],[2,2],[0,6]]", "prior_powers=0,0"),
            newton_polyhedron([(6, 0), (2, 2), (0, 6)]),
        ),
    ],
)
def test_json_is_the_to_dict(argv, expected):
    code, out, _ = run(*argv, "--json")
    assert code == 0
    record = json.loads(out)
    assert record["formula"] == argv[0]
    assert {k: record[k] for k in expected.to_dict()} == expected.to_dict()


def test_booleans_strings_and_keyword_only_parameters():
    _, out, _ = run("quadratic_network", "d=4", "k=4", "bias=true", "--json")
    assert json.loads(out)["value"] == "15/2"
    _, out, _ = run("quadratic_network", "d=4", "k=2", "theorem=multi_output", "--json")
    assert json.loads(out)["value"] == "4"
    _, out, _ = run("lazy_regime_bounds", "p=5", "k=30", "tight=True", "--json")
    record = json.loads(out)
    assert (record["lower"], record["upper"], record["standing"]) == ("60", "60", "as_stated")


def test_expression_results():
    code, out, _ = run("free_energy", "n=n", "lam=1/2", "m=2")
    assert code == 0
    assert "log" in out and "standing      established" in out
    _, out, _ = run("bayes_generalization_error", "n=100", "lam=0.75", "--json")
    record = json.loads(out)
    assert record["value"] == "3/400" and record["value_float"] == 0.0075
    assert record["reference"] == "Watanabe 2009"


def test_list():
    code, out, _ = run("--list")
    assert code == 0
    for name in STANDING:
        assert f"\n{name}(" in "\n" + out
    assert "reduced_rank_regression(m, n, h, r=0)  [established; Aoyagi & Watanabe 2005]" in out
    assert "`" not in out and "\\" not in out  # docstring markup removed
    code, out, _ = run("--list", "--json")
    rows = json.loads(out)
    assert [r["name"] for r in rows] == sorted(STANDING)
    rrr = next(r for r in rows if r["name"] == "reduced_rank_regression")
    assert rrr["parameters"] == [
        {"name": "m"}, {"name": "n"}, {"name": "h"}, {"name": "r", "default": 0}
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("reduced_rank_regresion", "m=5"),
            "unknown formula 'reduced_rank_regresion'; did you mean 'reduced_rank_regression'?",
        ),
        (
            ("reduced_rank_regression", "m=5", "n=5", "hh=3"),
            "unknown parameter 'hh' for reduced_rank_regression; did you mean 'h'?",
        ),
        (("reduced_rank_regression", "m=5"), "reduced_rank_regression needs n, h"),
        (("reduced_rank_regression", "m=5", "m=4", "n=1", "h=1"), "parameter 'm' given twice"),
        (("reduced_rank_regression", "m5", "n=1", "h=1"), "expected key=value, got 'm5'"),
        (
            ("reduced_rank_regression", "m=5", "n=5", "h=3", "r=4"),
            "reduced_rank_regression: r must be an integer in [0, 3]",
        ),
        (("regular", "d=2.5"), "regular: d must be an integer"),
        (("regular", "d=__import__('os')"), "d: cannot parse"),
        (("regular", "d=1+1"), "d: cannot parse"),
        (("regular", "d=2**10000"), "d: cannot parse"),
        (("deep_linear_network", "widths=3,m,3"), "widths: cannot parse"),
        (("deep_linear_network", "widths=[3, None, 3]"), "widths: list entries must be integers"),
        (("deep_linear_network", "widths=3,3/2"), "widths: list entries must be integers"),
        (("quadratic_network", "d=3", "k=2", "theorem=4.2"), "theorem: expected a word"),
        (("regular", "d=1/0"), "d: division by zero"),
        (("regular", "d="), "d: empty value"),
        (("regular", "d=2.0"), "d: '2.0' is a whole number written as a decimal; write 2"),
        (("regular", "d=1e2"), "write 100"),
        (("regular", "d=1e400"), "d: exponent of '1e400' beyond ±100"),
        ((), "give a formula name"),
        # names that print as a constant, and one name for two parameters (an outside audit:
        # d=pi printed "λ = π/2"; m=r r=r printed "r*(-r + r + 3)/2")
        (("regular", "d=pi"), "d: 'pi' is the name of a sympy constant"),
        (("low_rank_manifold", "m=r", "n=3", "r=r"), "r: the symbol 'r' already stands for m"),
    ],
)
def test_errors_exit_2_naming_the_problem(argv, message):
    code, out, err = run(*argv)
    assert code == 2 and out == ""
    assert err.startswith("python -m slttheory.formulas: error: ")
    assert message in err


def test_parse_value_is_exact_and_safe():
    assert parse_value("lam", "0.1") == sp.Rational(1, 10)
    assert parse_value("r", "-1") == -1
    assert parse_value("prior_powers", "none") is None
    r = parse_value("r", "r")
    assert r.is_nonnegative and r.is_integer and not r.is_positive
    with pytest.raises(UsageError, match="longer than"):
        parse_value("m", "1" * 20_000)
    for bad in ["lambda: 0", "[x for x in ()]", "{1: 2}", "'text'", "a.b", "f(1)", "1j"]:
        with pytest.raises(UsageError):
            parse_value("m", bad)


def test_module_entry_point():
    """The real command: exit status 0 with output, 2 with a message on stderr."""
    ok = subprocess.run(
        [sys.executable, "-m", "slttheory.formulas", "reduced_rank_regression", "m=5", "n=5",
         "h=3"], cwd=ROOT, capture_output=True, text=True, encoding="utf-8", check=False,
    )
    assert ok.returncode == 0 and "13/2" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "slttheory.formulas", "regulr", "d=3"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert bad.returncode == 2 and "did you mean 'regular'" in bad.stderr
    usage = subprocess.run(
        [sys.executable, "-m", "slttheory.formulas", "--help"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert usage.returncode == 0 and "--symbols" in usage.stdout


def test_json_stays_strict_and_huge_results_are_usage_errors():
    """An outside audit: 10**400 gave "value_float": Infinity (not JSON to a strict reader); a
    result past Python's 4300-digit limit raised a traceback with exit 1."""
    code, out, _ = run("bayes_generalization_error", "n=1", f"lam={10**400}", "--json")
    assert code == 0
    rec = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert rec["value_float"] is None and rec["value"] == str(10**400)
    big = str(10**2500)
    code, _, err = run("low_rank_manifold", f"m={big}", f"n={big}", f"r={big}", "--json")
    assert code == 2 and "cannot be printed" in err


def test_a_reader_that_leaves_early_is_no_error():
    """`--list | head -1` ended in a BrokenPipeError traceback (an outside audit)."""

    class Gone(io.StringIO):
        def write(self, s):
            raise BrokenPipeError

    assert main(["--list"], stdout=Gone()) == 0
    assert main(["regular", "d=3"], stdout=Gone()) == 0
