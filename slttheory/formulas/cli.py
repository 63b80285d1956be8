r"""Formulas from the shell: ``python -m slttheory.formulas NAME key=value ...``.

Prints λ, multiplicity, dimension, case, standing, reference, source and assumptions of
one formula; ``--json`` prints the result's ``to_dict()`` (with the formula name and
arguments); ``--list`` lists the formulas with their parameters and standing.

Values are parsed safely (Python's ``ast`` checked node by node; never ``eval`` or
``sympify``): integers (``h=3``, ``r=-1``), lists and tuples of integers (``widths=3,4,3``,
``widths=[3,4,3]``, ``exponents=(2,0),(0,4)``), booleans (``bias=true``), ``none``,
fractions and decimals as exact rationals (``lam=3/2``, ``lam=0.75``), and a bare name as
a sympy symbol (``m=m``; ``--symbols m,n,h`` is short for ``m=m n=n h=h``). A parameter
typed ``str`` (``theorem=single_output``) takes the name as text. Symbols are integer and
positive (non-negative for ranks and degrees; ``lam`` positive, ``n_loss`` real), and the
value is then the formula's symbolic (``Piecewise``) expression.

Errors (unknown formula or parameter, a missing or malformed value, a value the formula
rejects) print one line naming it, with close names suggested, and exit with status 2.

>>> main(["reduced_rank_regression", "m=5", "n=5", "h=3"])  # doctest: +ELLIPSIS
reduced_rank_regression(m=5, n=5, h=3)
λ             13/2  (6.5)
multiplicity  2
dimension     30
case          case 1 (m+n+h+r odd): n+r ≤ m+h, m+r ≤ n+h, h+r ≤ m+n
standing      established by tests/formulas/test_linear.py::...
reference     Aoyagi & Watanabe 2005
source        Aoyagi & Watanabe 2005, ...
assumptions
...
0
>>> main(["regular", "d=d", "--json"])  # doctest: +ELLIPSIS
{"formula": "regular", "arguments": {"d": "d"}, "value": "d/2", "multiplicity": "1", ...}
0
"""

from __future__ import annotations

import argparse
import ast
import difflib
import inspect
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any, TextIO

import sympy as sp

from slttheory.formulas.core import (
    LearningCoefficient,
    LearningCoefficientBounds,
    finite_float,
    render,
)
from slttheory.formulas.standing import STANDING

__all__ = ["main", "parse_value", "formula_names"]

PROG = "python -m slttheory.formulas"
_MAX_TEXT = 10_000
_MAX_EXPONENT = 100  # decimal exponents beyond this are refused (1e400 is no size)
_NONNEGATIVE = {"r", "rank", "feature_rank", "degree"}
_SYMBOL_ASSUMPTIONS: dict[str, dict[str, bool]] = {
    "lam": {"positive": True},
    "n_loss": {"real": True},
}
_TRUE, _FALSE, _NONE = {"true", "True"}, {"false", "False"}, {"none", "None"}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class UsageError(ValueError):
    """A user error on the command line (exit status 2)."""


def formula_names() -> list[str]:
    """The formulas callable from the shell (every public formula), sorted."""
    return sorted(STANDING)


def _formula(name: str) -> Callable[..., Any]:
    import slttheory.formulas as formulas

    if name not in STANDING:
        close = difflib.get_close_matches(name, formula_names(), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise UsageError(f"unknown formula {name!r}{hint} (see {PROG} --list)")
    return getattr(formulas, name)


def _symbol(param: str, name: str) -> sp.Symbol:
    if param in _SYMBOL_ASSUMPTIONS:
        return sp.Symbol(name, **_SYMBOL_ASSUMPTIONS[param])
    if param in _NONNEGATIVE:
        return sp.Symbol(name, integer=True, nonnegative=True)
    return sp.Symbol(name, integer=True, positive=True)


def _literal(node: ast.AST, text: str, param: str, top: bool) -> Any:
    """One node of a value: integers, rationals, decimals, lists, names (top level)."""
    if isinstance(node, ast.Constant):
        v = node.value
        if v is None or isinstance(v, bool):
            return v
        if isinstance(v, int):
            return v
        if isinstance(v, float):  # exact decimal from the literal's own text
            literal = ast.get_source_segment(text, node)
            exponent = re.search(r"[eE]([+-]?\d+)$", literal)
            if exponent and abs(int(exponent.group(1))) > _MAX_EXPONENT:
                raise UsageError(f"{param}: exponent of {literal!r} beyond ±{_MAX_EXPONENT}")
            value = sp.Rational(Fraction(literal))
            if value.is_Integer:  # 2.0 or 1e2: a size written as a decimal
                raise UsageError(f"{param}: {literal!r} is a whole number written as a "
                                 f"decimal; write {value} (sizes are integers)")
            return value
        raise UsageError(f"{param}: unsupported literal {ast.get_source_segment(text, node)!r}")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _literal(node.operand, text, param, top=False)
        if isinstance(inner, bool) or not isinstance(inner, int | sp.Rational):
            raise UsageError(f"{param}: a sign must precede a number")
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        num = _literal(node.left, text, param, top=False)
        den = _literal(node.right, text, param, top=False)
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (num, den)):
            raise UsageError(f"{param}: a fraction must be integer/integer, like 3/2")
        if den == 0:
            raise UsageError(f"{param}: division by zero")
        return sp.Rational(num, den)
    if isinstance(node, ast.List | ast.Tuple):
        items = [_literal(e, text, param, top=False) for e in node.elts]
        for item in items:
            if isinstance(item, bool) or not isinstance(item, int | list | tuple):
                raise UsageError(f"{param}: list entries must be integers or lists of integers")
        return items if isinstance(node, ast.List) or top else tuple(items)
    if isinstance(node, ast.Name) and top:
        return node.id
    raise UsageError(
        f"{param}: cannot parse {text!r} (integers, lists like 3,4,3, true/false, 3/2, "
        "or a symbol name)"
    )


_RESERVED_NAMES = frozenset({"pi", "E", "I", "oo", "zoo", "nan", "S", "N", "O", "Q", "None_"})
"""Symbol names that print as (or read back as) something else in sympy (an outside audit:
``d=pi`` gave "λ = π/2", and JSON "pi/2", which any sympify-based reader takes for π/2)."""


def parse_value(param: str, text: str, *, as_text: bool = False) -> Any:
    """Parse the value of ``param`` from the command line, safely (no eval, no sympify).

    >>> parse_value("widths", "3,4,3"), parse_value("widths", "[3, 4, 3]")
    ([3, 4, 3], [3, 4, 3])
    >>> parse_value("exponents", "(2,0),(0,4)")
    [(2, 0), (0, 4)]
    >>> parse_value("bias", "true"), parse_value("lam", "3/2"), parse_value("lam", "0.75")
    (True, 3/2, 3/4)
    >>> m = parse_value("m", "m"); m, m.is_integer, m.is_positive
    (m, True, True)
    >>> parse_value("m", "__import__('os')")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slttheory.formulas.cli.UsageError: m: cannot parse "__import__('os')" (integers, ...)
    """
    if len(text) > _MAX_TEXT:
        raise UsageError(f"{param}: value longer than {_MAX_TEXT} characters")
    stripped = text.strip()
    if not stripped:
        raise UsageError(f"{param}: empty value")
    if stripped in _TRUE:
        return True
    if stripped in _FALSE:
        return False
    if stripped in _NONE:
        return None
    if as_text:
        if not _IDENTIFIER.fullmatch(stripped):
            raise UsageError(f"{param}: expected a word like single_output, got {text!r}")
        return stripped
    try:
        tree = ast.parse(stripped, mode="eval")
    except (SyntaxError, ValueError):
        raise UsageError(
            f"{param}: cannot parse {text!r} (integers, lists like 3,4,3, true/false, 3/2, "
            "or a symbol name)"
        ) from None
    value = _literal(tree.body, stripped, param, top=True)
    if isinstance(value, str):
        if value in _RESERVED_NAMES:
            # printed (and read back by sympify) as the constant: d=pi gave "λ = π/2"
            raise UsageError(f"{param}: {value!r} is the name of a sympy constant or function; "
                             "choose another symbol name")
        return _symbol(param, value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _takes_text(parameter: inspect.Parameter) -> bool:
    return "str" in str(parameter.annotation)


def _arguments(fn, name: str, assignments: Sequence[str], symbols: str | None) -> dict[str, Any]:
    params = inspect.signature(fn).parameters
    texts: dict[str, str] = {}

    def add(key: str, text: str) -> None:
        if key not in params:
            close = difflib.get_close_matches(key, list(params), n=3, cutoff=0.5)
            hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
            raise UsageError(
                f"unknown parameter {key!r} for {name}{hint} (parameters: {_signature(fn)})"
            )
        if key in texts:
            raise UsageError(f"parameter {key!r} given twice")
        texts[key] = text

    for item in assignments:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise UsageError(f"expected key=value, got {item!r}")
        add(key.strip(), text)
    for key in (symbols or "").split(","):
        if key.strip():
            add(key.strip(), key.strip())
    kwargs = {  # in the signature's order
        k: parse_value(k, texts[k], as_text=_takes_text(params[k])) for k in params if k in texts
    }
    named: dict[str, str] = {}
    for k, v in kwargs.items():  # one name, one symbol: m=r r=r made two symbols printed "r"
        if isinstance(v, sp.Symbol):
            if v.name in named:
                raise UsageError(f"{k}: the symbol {v.name!r} already stands for "
                                 f"{named[v.name]}; give each parameter its own name")
            named[v.name] = k
    missing = [
        p.name
        for p in params.values()
        if p.default is inspect.Parameter.empty and p.name not in kwargs
    ]
    if missing:
        raise UsageError(
            f"{name} needs {', '.join(missing)} (parameters: {_signature(fn)}); "
            f"e.g. {PROG} {name} " + " ".join(f"{m}=..." for m in missing)
        )
    return kwargs


def _signature(fn) -> str:
    return ", ".join(
        p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}"
        for p in inspect.signature(fn).parameters.values()
    )


_TEX = [
    (re.compile(r":math:`([^`]*)`"), r"\1"),
    (re.compile(r"``([^`]*)``"), r"\1"),
    (re.compile(r"\\mathrm\{([^}]*)\}"), r"\1"),
    (re.compile(r"\\mathbb\{([^}]*)\}"), r"\1"),
    (re.compile(r"_\{\\rm ([^}]*)\}"), r"_\1"),
]
_TEX_WORDS = {
    r"\lambda": "λ", r"\approx": "≈", r"\log": "log", r"\int": "∫", r"\prod": "∏",
    r"\varphi": "φ", r"\sigma": "σ", r"^\top": "ᵀ", r"\,": " ",
}


def _first_line(fn) -> str:
    line = (fn.__doc__ or "").strip().splitlines()[0]
    for pattern, repl in _TEX:
        line = pattern.sub(repl, line)
    for tex, text in _TEX_WORDS.items():
        line = line.replace(tex, text)
    return line


def _list(out: TextIO, as_json: bool) -> None:
    rows = []
    for name in formula_names():
        fn, entry = _formula(name), STANDING[name]
        rows.append(
            {
                "name": name,
                "parameters": [
                    {"name": p.name}
                    | ({} if p.default is inspect.Parameter.empty else {"default": p.default})
                    for p in inspect.signature(fn).parameters.values()
                ],
                "signature": f"{name}({_signature(fn)})",
                "summary": _first_line(fn),
                "standing": entry.standing,
                "established_by": entry.established_by,
                "reference": entry.reference,
            }
        )
    if as_json:
        out.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    for row in rows:
        out.write(f"{row['signature']}  [{row['standing']}; {row['reference']}]\n")
        out.write(f"    {row['summary']}\n")


def _show(name: str, kwargs: dict[str, Any], result, out: TextIO, use_unicode: bool) -> None:
    args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    out.write(f"{name}({args})\n")
    if isinstance(result, LearningCoefficient | LearningCoefficientBounds):
        out.write(result.summary(pretty=True, use_unicode=use_unicode) + "\n")
        return
    entry = STANDING[name]
    out.write(f"value         {render(result, pretty=True, use_unicode=use_unicode)}\n")
    how = f" by {entry.established_by}" if entry.established_by else ""
    out.write(f"standing      {entry.standing}{how}\nreference     {entry.reference}\n")


def _record(name: str, kwargs: dict[str, Any], result) -> dict[str, Any]:
    head = {"formula": name, "arguments": {k: _jsonable(v) for k, v in kwargs.items()}}
    if isinstance(result, LearningCoefficient | LearningCoefficientBounds):
        return head | result.to_dict()
    out = head | {"value": str(result)} | STANDING[name].fields()
    if not result.free_symbols:
        out["value_float"] = finite_float(result)
    return out


def _jsonable(value):
    if isinstance(value, bool | int) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Evaluate a closed form of slttheory.formulas: λ, multiplicity, case, "
        "assumptions, source and standing.",
        epilog="examples:\n"
        f"  {PROG} --list\n"
        f"  {PROG} reduced_rank_regression m=5 n=5 h=3\n"
        f"  {PROG} reduced_rank_regression --symbols m,n,h    (the Piecewise)\n"
        f"  {PROG} deep_linear_network widths=3,4,3 r=1 --json\n"
        f"  {PROG} newton_polyhedron exponents='(2,0),(0,4)'\n"
        f"  {PROG} free_energy n=n lam=1/2 m=2",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("formula", nargs="?", help="formula name (see --list)")
    parser.add_argument("assignments", nargs="*", metavar="key=value", help="arguments")
    parser.add_argument("--list", action="store_true", help="list the formulas and exit")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--symbols", metavar="NAMES",
        help="comma-separated parameters to make sympy symbols (a bare name as a value, m=m "
        "or m=k, makes a symbol too)"
    )
    parser.add_argument(
        "--ascii", action="store_true", help="ASCII instead of Unicode for symbolic values"
    )
    return parser


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line; return the exit status (0 ok, 2 usage error)."""
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    parser = _parser()
    try:
        ns = parser.parse_intermixed_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    try:
        if ns.list:
            return _emit(lambda: _list(out, ns.json), out, err, "--list")
        if ns.formula is None:
            raise UsageError(f"give a formula name (see {PROG} --list) or --list")
        fn = _formula(ns.formula)
        kwargs = _arguments(fn, ns.formula, ns.assignments, ns.symbols)
        try:
            result = fn(**kwargs)
        except (ValueError, TypeError) as exc:
            raise UsageError(f"{ns.formula}: {exc}") from None
    except UsageError as exc:
        err.write(f"{PROG}: error: {exc}\n")
        return 2
    if ns.json:
        return _emit(lambda: out.write(json.dumps(_record(ns.formula, kwargs, result),
                                                  ensure_ascii=False, allow_nan=False) + "\n"),
                     out, err, ns.formula)
    return _emit(lambda: _show(ns.formula, kwargs, result, out, use_unicode=not ns.ascii),
                 out, err, ns.formula)


def _emit(write: Callable[[], Any], out: TextIO, err: TextIO, what: str) -> int:
    """Run ``write``; the exit status: 0, also where the reader left early (``| head``),
    2 where the result cannot be printed (an integer past Python's 4300-digit limit for
    text; both had ended in a traceback, an outside audit)."""
    try:
        write()
    except ValueError as exc:
        err.write(f"{PROG}: error: {what}: the result cannot be printed ({exc})\n")
        return 2
    except BrokenPipeError:
        _quiet_stdout(out)
    return 0


def _quiet_stdout(out: TextIO) -> None:
    """After a broken pipe on the process's own stdout, point it at devnull so that Python's
    flush at exit does not print a second traceback (the recipe of the signal module's
    documentation); another stream (a caller's) is left alone."""
    if out is not sys.__stdout__ or sys.__stdout__ is None:
        return
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.__stdout__.fileno())
    except (OSError, ValueError):
        pass
