"""Safe parsing of a claim's ``predicted`` expression (and of its optional ``constraint``).

The text is parsed with :func:`ast.parse` and its syntax tree is checked node by node
*before* any sympy object exists; the sympy expression is then built from the tree by
hand. Nothing is ever passed to ``eval`` or to ``sympify``. Allowed:

- numbers (integers, decimals such as ``87.342``, which become exact ``Rational``\\ s),
- the names of the claim's grid and fixed variables,
- ``+ - * / **``, unary ``-``/``+`` and parentheses (``/`` of integers is an exact Rational),
- calls to ``min, max, floor, ceiling, binomial, sqrt, log`` (positional arguments only).

Constraints additionally allow comparisons (``< <= > >= == !=``) and ``and``/``or``/``not``.

>>> import sympy as sp
>>> parse_predicted("k*(d + p - 1)/2", ["d", "k", "p"])
k*(d + p - 1)/2
>>> parse_predicted("7/2", [])
7/2
>>> parse_predicted("-0.429*r**2 + 87.342*r", ["r"])
-429*r**2/1000 + 43671*r/500
>>> parse_predicted("__import__('os').system('x')", [])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
slttheory.verify.expr.ExpressionError: predicted: call of a non-whitelisted function ... at column 1
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import sympy as sp

__all__ = [
    "ExpressionError",
    "FUNCTIONS",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "parse_predicted",
    "parse_constraint",
    "evaluate",
    "symbols_for",
]

MAX_LENGTH = 500
"""Longest accepted expression text (characters)."""

MAX_EXPONENT = 64
"""Largest magnitude of a numeric exponent (``2**10**10`` would never finish)."""

MAX_DEPTH = 60
"""Deepest accepted syntax tree."""


class ExpressionError(ValueError):
    """The text is not an allowed expression; the message says which part and where."""


def _min(*a):
    return sp.Min(*a)


def _max(*a):
    return sp.Max(*a)


# name -> (sympy builder, minimum number of arguments, maximum number of arguments)
FUNCTIONS: dict[str, tuple[Callable[..., sp.Expr], int, int]] = {
    "min": (_min, 1, 32),
    "max": (_max, 1, 32),
    "floor": (sp.floor, 1, 1),
    "ceiling": (sp.ceiling, 1, 1),
    "binomial": (sp.binomial, 2, 2),
    "sqrt": (sp.sqrt, 1, 1),
    "log": (sp.log, 1, 2),
}

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_CMPOPS = {
    ast.Lt: sp.Lt,
    ast.LtE: sp.Le,
    ast.Gt: sp.Gt,
    ast.GtE: sp.Ge,
    ast.Eq: sp.Eq,
    ast.NotEq: sp.Ne,
}


def symbols_for(names: Iterable[str]) -> dict[str, sp.Symbol]:
    """One plain sympy ``Symbol`` per variable name (created here, never parsed)."""
    return {n: sp.Symbol(n) for n in names}


def _where(node: ast.AST) -> str:
    return f"at column {getattr(node, 'col_offset', 0) + 1}"


class _Builder:
    def __init__(self, key: str, variables: Mapping[str, sp.Symbol], boolean: bool):
        self.key = key
        self.vars = variables
        self.boolean = boolean

    def fail(self, what: str, node: ast.AST) -> ExpressionError:
        return ExpressionError(f"{self.key}: {what} {_where(node)}")

    def build(self, node: ast.AST, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail("expression nested too deeply", node)
        d = depth + 1
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise self.fail(f"constant {v!r} is not a number", node)
            if isinstance(v, float):
                if v != v or v in (float("inf"), float("-inf")):
                    raise self.fail(f"number {v!r} is not finite", node)
                return sp.Rational(repr(v))
            return sp.Integer(v)
        if isinstance(node, ast.Name):
            if node.id not in self.vars:
                allowed = ", ".join(sorted(self.vars)) or "none"
                raise self.fail(
                    f"unknown variable {node.id!r} "
                    f"(allowed: the grid and fixed variables: {allowed})",
                    node,
                )
            return self.vars[node.id]
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return -self._num(node.operand, d)
            if isinstance(node.op, ast.UAdd):
                return self._num(node.operand, d)
            if isinstance(node.op, ast.Not) and self.boolean:
                return sp.Not(self._bool(node.operand, d))
            raise self.fail(f"operator {type(node.op).__name__} is not allowed", node)
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                raise self.fail(
                    f"operator {type(node.op).__name__} is not allowed (use + - * / **)", node
                )
            a = self._num(node.left, d)
            b = self._num(node.right, d)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.Div):
                if b == 0:
                    raise self.fail("division by zero", node)
                return a / b
            # power: refuse numeric exponents that could not be computed quickly
            if b.is_number and abs(b) > MAX_EXPONENT:
                raise self.fail(f"exponent {b} exceeds the limit {MAX_EXPONENT}", node)
            if not b.is_number and not b.free_symbols <= set(self.vars.values()):
                raise self.fail("exponent is not an expression of the variables", node)
            return a**b
        if isinstance(node, ast.Call):
            fname = node.func.id if isinstance(node.func, ast.Name) else None
            if fname not in FUNCTIONS:
                # a name, or what the call is made on: an attribute (os.system), a subscript,
                # another call (__import__('os').system) — shown as the source wrote it
                shown = fname if fname else ast.unparse(node.func)
                raise self.fail(
                    f"call of a non-whitelisted function {shown!r} "
                    f"(allowed: {', '.join(FUNCTIONS)})",
                    node,
                )
            if node.keywords:
                raise self.fail(f"{fname}() takes positional arguments only", node)
            fn, lo, hi = FUNCTIONS[fname]
            if any(isinstance(a, ast.Starred) for a in node.args):
                raise self.fail(f"{fname}() does not take *arguments", node)
            if not lo <= len(node.args) <= hi:
                raise self.fail(
                    f"{fname}() takes {lo}"
                    + (f" to {hi}" if hi != lo else "")
                    + f" argument(s), got {len(node.args)}",
                    node,
                )
            args = [self._num(a, d) for a in node.args]
            return fn(*args)
        if self.boolean and isinstance(node, ast.Compare):
            left = self._num(node.left, d)
            parts = []
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                if type(op) not in _CMPOPS:
                    raise self.fail(f"comparison {type(op).__name__} is not allowed", node)
                right = self._num(right_node, d)
                parts.append(_CMPOPS[type(op)](left, right, evaluate=False))
                left = right
            return sp.And(*parts) if len(parts) > 1 else parts[0]
        if self.boolean and isinstance(node, ast.BoolOp):
            vals = [self._bool(v, d) for v in node.values]
            return sp.And(*vals) if isinstance(node.op, ast.And) else sp.Or(*vals)
        kind = {
            ast.Attribute: "attribute access",
            ast.Lambda: "lambda",
            ast.ListComp: "comprehension",
            ast.SetComp: "comprehension",
            ast.DictComp: "comprehension",
            ast.GeneratorExp: "comprehension",
            ast.Subscript: "subscript",
            ast.Compare: "comparison",
            ast.BoolOp: "boolean operator",
            ast.IfExp: "conditional expression",
            ast.NamedExpr: "assignment expression",
            ast.JoinedStr: "string",
        }.get(type(node), type(node).__name__)
        if isinstance(node, ast.Compare) and not self.boolean:
            raise self.fail("a comparison is not allowed in a value (state a bound as the "
                            "value, e.g. predicted = \"d/2\", with relation = \"<=\")", node)
        raise self.fail(f"{kind} is not allowed", node)

    def _num(self, node: ast.AST, depth: int) -> sp.Expr:
        v = self.build(node, depth)
        if isinstance(v, sp.logic.boolalg.Boolean) and not isinstance(v, sp.Expr):
            raise self.fail("a comparison cannot be used as a number", node)
        return v

    def _bool(self, node: ast.AST, depth: int):
        v = self.build(node, depth)
        if isinstance(v, sp.Expr):
            raise self.fail("expected a comparison (e.g. k < d*(d+1)/2)", node)
        return v


def _parse(text: Any, names: Iterable[str], key: str, boolean: bool):
    if not isinstance(text, str):
        raise ExpressionError(f"{key}: must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ExpressionError(f"{key}: is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"{key}: longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExpressionError(
            f"{key}: not a valid expression ({e.msg} at column {e.offset})"
        ) from None
    builder = _Builder(key, symbols_for(names), boolean)
    return builder.build(tree.body)


def parse_predicted(text: Any, variables: Iterable[str], *, key: str = "predicted") -> sp.Expr:
    """Parse ``text`` into a sympy expression in the given variables, or raise ExpressionError.

    >>> parse_predicted("binomial(d + 1, 2)/2 + floor(k/2)", ["d", "k"])
    binomial(d + 1, 2)/2 + floor(k/2)
    >>> parse_predicted("(lambda: 1)()", [])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slttheory.verify.expr.ExpressionError: predicted: call of a non-whitelisted function ...
    """
    return _parse(text, variables, key, boolean=False)


def parse_constraint(text: Any, variables: Iterable[str], *, key: str = "constraint"):
    """Parse a grid constraint such as ``"k < d*(d+1)/2 and p >= 2"`` into a sympy Boolean.

    >>> c = parse_constraint("k < d*(d+1)/2", ["d", "k"])
    >>> bool(evaluate(c, {"d": 3, "k": 5})), bool(evaluate(c, {"d": 3, "k": 6}))
    (True, False)
    """
    out = _parse(text, variables, key, boolean=True)
    if isinstance(out, sp.Expr):
        raise ExpressionError(f"{key}: must be a comparison (e.g. k < d*(d+1)/2), got a number")
    return out


def _as_sympy(value: Any) -> Any:
    if isinstance(value, bool):
        return sp.Integer(int(value))
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, float):
        return sp.Rational(repr(value))
    return None


def evaluate(expr: Any, values: Mapping[str, Any]) -> Any:
    """Substitute grid values (ints, floats as exact decimals, bools as 0/1) exactly.

    >>> evaluate(parse_predicted("r*(2*d - r)/2", ["d", "r"]), {"d": 100, "r": 3})
    591/2
    """
    subs = {}
    for s in expr.free_symbols:
        v = values.get(s.name)
        sv = _as_sympy(v)
        if sv is None:
            raise ExpressionError(
                f"variable {s.name!r} has value {v!r}, "
                "which is not a number usable in an expression"
            )
        subs[s] = sv
    out = expr.xreplace(subs)
    return out.doit() if isinstance(out, sp.Basic) else out
