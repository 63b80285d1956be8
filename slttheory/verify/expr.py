"""Safe parsing of a claim's ``predicted`` expression (and of its optional ``constraint``).

The text is parsed with :func:`ast.parse` and its syntax tree is checked node by node
*before* any sympy object exists; the sympy expression is then built from the tree by
hand. Nothing is ever passed to ``eval`` or to ``sympify``. Allowed:

- numbers (integers, decimals such as ``87.342``, which become exact ``Rational``\\ s),
- the names of the claim's grid and fixed variables,
- ``+ - * / **``, unary ``-``/``+`` and parentheses (``/`` of integers is an exact Rational),
- calls to ``min, max, floor, ceiling, binomial, sqrt, log`` (positional arguments only),
- a variable whose values are lists of numbers (``lists``: ``powers``, ``widths``) only as
  ``max(v)``, ``min(v)``, ``sum(v)``, ``len(v)`` or ``v[i]`` with an integer literal
  ``i >= 0`` or ``-1`` (the last entry). Each such term becomes a symbol of its own, named as
  written (``max(powers)``, ``widths[0]``), whose value at a point :func:`list_value` takes
  from the list (:func:`parse_list_terms` says which term each symbol is).

Constraints additionally allow comparisons (``< <= > >= == !=``) and ``and``/``or``/``not``.
A constraint is decided as Python would (:func:`decide`): ``and``/``or`` (and a chain
``a < b < c``) from left to right, stopping at the first comparison that settles it, so
``len(w) > 2 and w[2] > 1`` reads False where ``w`` has two entries, while ``w[2]`` never
reached is never taken; a comparison that is reached must be defined (``w[2] > 1 and
len(w) > 2`` is an error there, as its index comes first).

Every operation is bounded, at parse time and at each grid point: no exact number may exceed
:data:`MAX_BITS`, no root may be taken of one above :data:`MAX_ROOT_BITS`, no ``floor`` or
``ceiling`` of an irrational number above 2**:data:`MAX_FLOOR_BITS`, and comparisons,
``min``/``max`` and exponents need finite real numbers. A violation is an
:class:`ExpressionError` naming the limit, never a hang, a ``MemoryError`` or a sympy error.

>>> import sympy as sp
>>> parse_predicted("k*(d + p - 1)/2", ["d", "k", "p"])
k*(d + p - 1)/2
>>> parse_predicted("7/2", [])
7/2
>>> parse_predicted("-0.429*r**2 + 87.342*r", ["r"])
-429*r**2/1000 + 43671*r/500
>>> parse_predicted("1/(2*max(powers))", ["powers"], lists=["powers"])
1/(2*max(powers))
>>> parse_predicted("__import__('os').system('x')", [])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
slttheory.verify.expr.ExpressionError: predicted: call of a non-whitelisted function ... at column 1
"""

from __future__ import annotations

import ast
import decimal
import fractions
import functools
import math
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.core.relational import Relational
from sympy.logic.boolalg import BooleanAtom

__all__ = [
    "ExpressionError",
    "ListUseError",
    "FUNCTIONS",
    "MAX_BITS",
    "MAX_EXPONENT",
    "MAX_FLOOR_BITS",
    "MAX_LENGTH",
    "MAX_ROOT_BITS",
    "parse_predicted",
    "parse_constraint",
    "parse_divisors",
    "DomainTerm",
    "parse_formula",
    "Parsed",
    "Comparison",
    "Connective",
    "decide",
    "parse_list_terms",
    "list_value",
    "LIST_FUNCTIONS",
    "evaluate",
    "finite_real",
    "shorten",
    "symbols_for",
]

MAX_LENGTH = 500
"""Longest accepted expression text (characters)."""

MAX_EXPONENT = 64
"""Largest magnitude of a numeric exponent (``2**10**10`` would never finish)."""

MAX_DEPTH = 60
"""Deepest accepted syntax tree."""

MAX_CALL_DEPTH = 6
"""Deepest accepted nesting of function calls: sympy's evaluation of ``log(log(…(d + 10)))``
takes 0.02 s at 8 levels, 30 s at 12 and minutes at 16, for one grid point (an outside fuzzer).
Formulas in the literature nest two or three."""

MAX_BITS = 10_000
"""Largest exact number an expression may produce, in bits of its numerator or denominator
(``2**9999`` is allowed, ``2**10000`` is not), at parse time and at every grid point. Integer
arithmetic of this size takes microseconds, and such a number still prints (Python refuses to
print integers of more than 4300 digits, about 14 300 bits). Powers and binomials are checked
*before* sympy computes them, from an estimate of the result's size."""

MAX_ROOT_BITS = 256
"""Largest exact number (bits) under a root or another non-integer power: sympy looks for
exact roots by trial division and perfect-power tests, about 10 ms at 256 bits but seconds
at 10 000 bits."""


MAX_FLOOR_BITS = 128
"""Largest irrational number (as a power of two) whose ``floor`` or ``ceiling`` is taken."""


class ExpressionError(ValueError):
    """The text is not an allowed expression; the message says which part and where."""


@dataclass(frozen=True)
class PowerDivisor:
    """``base ** exponent`` with a symbolic exponent, as a divisor (:func:`parse_divisors`):
    it divides by ``base`` at the points where ``exponent`` is negative."""

    base: sp.Expr
    exponent: sp.Expr

    def __str__(self) -> str:
        return f"{self.base} (raised to {self.exponent})"

    def is_zero_at(self, values: Mapping[str, Any],
                   terms: Mapping[str, ListTerm] | None = None) -> bool:
        """Whether the base is 0 and the exponent negative at ``values``.

        >>> r = sp.Symbol("r")
        >>> PowerDivisor(r, -r).is_zero_at({"r": 0}), PowerDivisor(r, -r).is_zero_at({"r": 1})
        (False, False)
        >>> PowerDivisor(r - 1, -r).is_zero_at({"r": 1})
        True
        """
        return bool(evaluate(self.base, values, terms) == 0
                    and evaluate(self.exponent, values, terms) < 0)


@dataclass(frozen=True)
class DomainTerm:
    """A ``log``, root or non-integer (or symbolic) power as written, listed with the divisors
    (:func:`parse_divisors`): the formula as written is undefined at a point where it is not a
    finite real number, even where sympy cancels it while building the expression
    (``log(d - 2) - log(d - 2)`` and ``0*log(d - 2)`` are built as 0, ``sqrt(d - 3)**2`` as
    ``d - 3``; a red team had ``d/2 + log(d - 2) - log(d - 2)`` give 1 at d = 2).

    >>> d = sp.Symbol("d")
    >>> t = DomainTerm(sp.log(d - 2))
    >>> t.is_undefined_at({"d": 2}), t.is_undefined_at({"d": 1}), t.is_undefined_at({"d": 3})
    (True, True, False)
    """

    term: sp.Expr

    def __str__(self) -> str:
        return str(self.term)

    def value_at(self, values: Mapping[str, Any],
                 terms: Mapping[str, ListTerm] | None = None) -> Any:
        """The term's value at ``values`` (an :class:`ExpressionError` where it cannot be
        computed within the limits: the formula's own value reports that)."""
        return evaluate(self.term, values, terms)

    def is_undefined_at(self, values: Mapping[str, Any],
                        terms: Mapping[str, ListTerm] | None = None) -> bool:
        """Whether the term is not a finite real number at ``values``."""
        return not finite_real(self.value_at(values, terms))


class ListUseError(ExpressionError):
    """A list variable used other than as a list term: ``name`` is the variable, ``uses`` the
    forms allowed (so that a claim can blame the key that gave it list values)."""

    def __init__(self, message: str, name: str):
        super().__init__(message)
        self.name = name
        self.uses = _list_uses(name)


# name -> (sympy builder, minimum number of arguments, maximum number of arguments)
FUNCTIONS: dict[str, tuple[Callable[..., sp.Expr], int, int]] = {
    "min": (sp.Min, 1, 32),
    "max": (sp.Max, 1, 32),
    "floor": (sp.floor, 1, 1),
    "ceiling": (sp.ceiling, 1, 1),
    "binomial": (sp.binomial, 2, 2),
    "sqrt": (sp.sqrt, 1, 1),
    "log": (sp.log, 1, 2),
}

LIST_FUNCTIONS = ("max", "min", "sum", "len")
"""The functions that take a list variable (alone): ``sum`` and ``len`` take nothing else."""

ListTerm = tuple
"""What a list term computes from a point's values: ``("max", "powers")`` (likewise
``"min"``, ``"sum"``, ``"len"``) or ``("index", "widths", 0)``."""

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_CMPOPS = {
    ast.Lt: sp.Lt,
    ast.LtE: sp.Le,
    ast.Gt: sp.Gt,
    ast.GtE: sp.Ge,
    ast.Eq: sp.Eq,
    ast.NotEq: sp.Ne,
}


def shorten(v: Any, limit: int = 60) -> str:
    """``str(v)`` cut to ``limit`` characters, for error messages (values may be thousands of
    digits long).

    >>> shorten(2**300, 10)
    '2037035976…'
    """
    text = str(v)
    return text if len(text) <= limit else f"{text[:limit]}…"


def show_value(v: Any) -> str:
    """A value for an error message, saying what sympy's names for the non-finite mean.

    >>> show_value(sp.zoo), show_value(sp.Integer(1) / 3)
    ('zoo (complex infinity, e.g. a division by zero or log 0)', '1/3')
    """
    if v is sp.zoo:
        return "zoo (complex infinity, e.g. a division by zero or log 0)"
    if v is sp.nan:
        return "nan (undefined, e.g. 0/0)"
    if v in (sp.oo, -sp.oo):
        return f"{v} (infinite)"
    return shorten(v)


def _bits(r: sp.Rational) -> int:
    """Size of an exact rational: bits of its numerator or denominator, whichever is larger."""
    return max(abs(int(r.p)).bit_length(), int(r.q).bit_length())


def _size(e: Any) -> int:
    """Bits of the largest exact number in ``e`` (0 for none)."""
    if isinstance(e, sp.Rational):
        return _bits(e)
    if not isinstance(e, sp.Basic):
        return 0
    return max((_bits(r) for r in e.atoms(sp.Rational)), default=0)


def _magnitude(e: sp.Expr) -> float:
    """``|e|`` of a finite real number as a float (``inf`` when too large for one)."""
    try:
        return abs(float(e.evalf(15)))
    except (OverflowError, TypeError, ValueError):
        return math.inf


def finite_real(e: Any) -> bool:
    """Whether ``e`` is a finite real number."""
    return isinstance(e, sp.Expr) and bool(e.is_number and e.is_real and e.is_finite)


def _pow_problem(base: sp.Expr, exp: sp.Expr) -> str | None:
    """Why ``base**exp`` must not be computed (``None``: it is cheap)."""
    if not exp.is_number:
        return None  # a symbolic exponent: nothing is computed before the variables have values
    if not finite_real(exp):
        return f"exponent {show_value(exp)} is not a finite real number"
    if base.is_Rational and base.q == 1 and abs(base.p) <= 1:
        return None  # 0, 1 and -1 to any power
    size = max(_size(base), 1)
    if not exp.is_integer and size > MAX_ROOT_BITS:
        what = "a number" if base.is_Rational else "an expression holding a number"
        return (f"a root or non-integer power of {what} of {size} bits "
                f"({_operand(base)}) exceeds the limit MAX_ROOT_BITS = {MAX_ROOT_BITS}")
    width = size
    if base.is_Rational:  # log2 of the larger of numerator and denominator
        width = max(math.log2(abs(int(base.p))), math.log2(int(base.q)))
    bits = _magnitude(exp) * width
    if bits > MAX_BITS:
        return (f"{_operand(base)}**{_operand(exp)} would have about {bits:.3g} bits, above the "
                f"limit MAX_BITS = {MAX_BITS}")
    return None


def _operand(e: Any) -> str:
    """``e`` shortened, in parentheses unless it is a symbol or a number."""
    return shorten(e) if isinstance(e, sp.Atom) else f"({shorten(e)})"


def _binomial_problem(n: sp.Expr, k: sp.Expr) -> str | None:
    """Why ``binomial(n, k)`` must not be computed (``None``: it is cheap)."""
    if not (n.is_number and k.is_number):
        return None
    for a in (n, k):
        if not finite_real(a):
            return f"binomial(): argument {show_value(a)} is not a finite real number"
    if n.is_Integer and k.is_Integer:  # a product of min(k, n - k) factors of n's size
        nn, kk = int(n), int(k)
        if kk < 0 or 0 <= nn < kk:
            return None  # zero
        if nn >= 0:
            terms, width = min(kk, nn - kk), nn.bit_length()
        else:  # (-1)**k * binomial(k - n - 1, k)
            terms, width = kk, (kk - nn).bit_length()
    else:  # gamma functions, or a product of k factors: about max(|n|, |k|) of them
        terms, width = max(_magnitude(n), _magnitude(k)) + 1, max(_size(n), _size(k))
    bits = terms * max(width, 1)
    if bits > MAX_BITS:
        return (f"binomial({shorten(n)}, {shorten(k)}) would have about {bits:.3g} bits, above "
                f"the limit MAX_BITS = {MAX_BITS}")
    return None


def _problem(func: Any, args: Sequence[Any]) -> str | None:
    """Why ``func(*args)`` must not be computed, checked before sympy sees it."""
    if func is sp.Pow:
        return _pow_problem(*args)
    if func is sp.binomial:
        return _binomial_problem(*args)
    if func is sp.log and len(args) == 2:
        b = args[1]  # sympy's log(x, 0) is log x / log 0 = 0, and log(x, 1) is zoo
        if isinstance(b, sp.Expr) and b.is_number and (
                not finite_real(b) or not b.is_positive or b == 1):
            return f"log(): base {show_value(b)} is not a positive real number other than 1"
    if func in (sp.floor, sp.ceiling):
        a = args[0]
        if isinstance(a, sp.Expr) and a.is_number and not a.is_Rational:
            # sympy finds the integer part of an irrational number by ever more precise
            # evaluation, which at about 2**360 no longer finishes
            if not finite_real(a):
                return f"{func.__name__}(): {show_value(a)} is not a finite real number"
            if _magnitude(a) > 2.0 ** MAX_FLOOR_BITS:
                return (f"{func.__name__}() of an irrational number above "
                        f"2**{MAX_FLOOR_BITS} (the limit MAX_FLOOR_BITS)")
    if func in (sp.Min, sp.Max) or (isinstance(func, type) and issubclass(func, Relational)):
        what = {sp.Min: "min()", sp.Max: "max()"}.get(func, "comparison")
        for a in args:
            if isinstance(a, sp.Expr) and a.is_number and not finite_real(a):
                return f"{what}: {show_value(a)} is not a finite real number"
    return None


def _apply(func: Callable[..., Any], args: Sequence[Any], **kw: Any) -> Any:
    """``func(*args)`` within the limits, or :class:`ExpressionError` (no key, no column)."""
    problem = _problem(func, args)
    if problem:
        raise ExpressionError(problem)
    try:
        out = func(*args, **kw)
    except (TypeError, ValueError, ArithmeticError, RecursionError) as e:
        name = getattr(func, "__name__", str(func))
        shown = ", ".join(shorten(a, 30) for a in args)
        raise ExpressionError(f"{name}({shown}) cannot be evaluated ({shorten(e, 120)})") from None
    size = _size(out)
    if size > MAX_BITS:
        raise ExpressionError(f"a number of {size} bits exceeds the limit MAX_BITS = {MAX_BITS}")
    return out


def symbols_for(names: Iterable[str]) -> dict[str, sp.Symbol]:
    """One plain sympy ``Symbol`` per variable name (created here, never parsed)."""
    return {n: sp.Symbol(n) for n in names}


def _where(node: ast.AST) -> str:
    return f"at column {getattr(node, 'col_offset', 0) + 1}"


class _Builder:
    def __init__(self, key: str, variables: Mapping[str, sp.Symbol], boolean: bool,
                 text: str = "", lists: Iterable[str] = ()):
        self.key = key
        self.vars = variables
        self.lists = frozenset(lists) & set(variables)
        # symbol name ("max(powers)", "widths[0]") -> the list term it stands for
        self.terms: dict[str, ListTerm] = {}
        self.built: Any = None  # what build() made of the whole text (set by _parse)
        self.boolean = boolean
        self.text = text
        self.calls = 0  # function calls open around the node being built
        # every divisor as written (b of a / b, a of a ** -k) that depends on the variables:
        # sympy cancels (d - 1)/(d - 1) and x/(d - 2) - x/(d - 2) as it builds them, so the
        # built expression no longer shows where the text divides by zero
        self.divisors: list[sp.Expr] = []
        # each comparison, chain, and/or/not node of a constraint -> what decide() evaluates
        # for it, in the order written (sympy's And and Or sort their arguments)
        self.written: dict[ast.AST, Comparison | Connective] = {}
        self.root: ast.AST | None = None  # the whole text's node (set by _parse)

    def fail(self, what: str, node: ast.AST) -> ExpressionError:
        return ExpressionError(f"{self.key}: {what} {_where(node)}")

    def apply(self, func: Callable[..., Any], args: Sequence[Any], node: ast.AST,
              **kw: Any) -> Any:
        """:func:`_apply` with errors naming the key and the column."""
        try:
            return _apply(func, args, **kw)
        except ExpressionError as e:
            raise self.fail(str(e), node) from None

    def build(self, node: ast.AST, depth: int = 0) -> Any:
        """The sympy object for ``node``: each allowed kind of node has its method below
        (children built at ``depth + 1``); any other kind is refused by name."""
        if depth > MAX_DEPTH:
            raise self.fail("expression nested too deeply", node)
        handler = _HANDLERS.get(type(node))
        if handler is None:
            raise self.fail(f"{_REFUSED.get(type(node), type(node).__name__)} is not allowed",
                            node)
        return handler(self, node, depth + 1)

    def _constant(self, node: ast.Constant, d: int) -> sp.Expr:
        v = node.value
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise self.fail(f"constant {v!r} is not a number", node)
        if isinstance(v, float):
            return self._decimal(node)
        return sp.Integer(v)

    def _decimal(self, node: ast.Constant) -> sp.Rational:
        """A decimal literal as the exact rational its digits write, not the nearest float:
        ``0.50000000000000001`` is not ½ and ``1e-400`` is not 0 (either would let a
        prediction that is not λ be confirmed)."""
        seg = ast.get_source_segment(self.text, node) or repr(node.value)
        try:
            dec = decimal.Decimal(seg.replace("_", ""))
        except decimal.InvalidOperation:
            raise self.fail(f"number {seg!r} is not a decimal", node) from None
        if not dec.is_finite():
            raise self.fail(f"number {seg!r} is not finite", node)
        if dec.is_zero():  # 0e999999 is 0, whatever its exponent
            return sp.Integer(0)
        sign_digits_exponent = dec.as_tuple()
        bits = (abs(sign_digits_exponent.exponent) + len(sign_digits_exponent.digits)) * \
            math.log2(10)
        if bits > MAX_BITS:
            raise self.fail(f"number {seg!r} has about {bits:.3g} bits, above the limit "
                            f"MAX_BITS = {MAX_BITS}", node)
        num, den = dec.as_integer_ratio()
        return sp.Rational(num, den)

    def _name(self, node: ast.Name, d: int) -> sp.Symbol:
        if node.id not in self.vars:
            allowed = ", ".join(sorted(self.vars)) or "none"
            raise self.fail(
                f"unknown variable {node.id!r} "
                f"(allowed: the grid and fixed variables: {allowed})",
                node,
            )
        if node.id in self.lists:  # every allowed use is taken by _call or _subscript
            raise ListUseError(str(self.fail(f"{node.id!r} is a list: {_list_uses(node.id)}",
                                             node)), node.id)
        return self.vars[node.id]

    def _term(self, name: str, term: ListTerm) -> sp.Symbol:
        """The symbol standing for a list term, recorded in :attr:`terms`."""
        self.terms[name] = term
        return sp.Symbol(name)

    def _subscript(self, node: ast.Subscript, d: int) -> sp.Symbol:
        """``v[i]`` of a list variable ``v``, ``i`` an integer literal >= 0 or -1."""
        v = node.value
        if not (isinstance(v, ast.Name) and v.id in self.lists):
            raise self.fail("subscript is not allowed", node)
        i = node.slice
        if isinstance(i, ast.UnaryOp) and isinstance(i.op, ast.USub) \
                and isinstance(i.operand, ast.Constant) and i.operand.value == 1 \
                and type(i.operand.value) is int:
            index = -1
        elif isinstance(i, ast.Constant) and type(i.value) is int:
            index = i.value
        else:
            raise self.fail(f"the index of {v.id!r} must be an integer literal >= 0, or -1 for "
                            f"the last entry, got {shorten(ast.unparse(i), 30)!r}", node)
        return self._term(f"{v.id}[{index}]", ("index", v.id, index))

    def _list_call(self, fname: str, node: ast.Call) -> sp.Symbol | None:
        """``max(v)``, ``min(v)``, ``sum(v)`` or ``len(v)`` of a list variable ``v`` as its
        term; ``None`` where the call takes no list (an ordinary call, built as before)."""
        listed = [a.id for a in node.args if isinstance(a, ast.Name) and a.id in self.lists]
        if not listed:
            if fname in ("sum", "len") and self.lists:
                raise self.fail(f"{fname}() takes a list variable alone (here: "
                                f"{', '.join(sorted(self.lists))})", node)
            return None
        name = listed[0]
        if len(node.args) != 1 or node.keywords:
            raise self.fail(f"{fname}() of the list {name!r} takes the list alone: "
                            f"{fname}({name})", node)
        return self._term(f"{fname}({name})", (fname, name))

    def _unary(self, node: ast.UnaryOp, d: int) -> Any:
        if isinstance(node.op, ast.USub):
            return self.apply(sp.Mul, [sp.S.NegativeOne, self._num(node.operand, d)], node)
        if isinstance(node.op, ast.UAdd):
            return self._num(node.operand, d)
        if isinstance(node.op, ast.Not) and self.boolean:
            operand = self._bool(node.operand, d)
            self.written[node] = Connective("not", (self._written(node.operand, operand),))
            return sp.Not(operand)
        raise self.fail(f"operator {type(node.op).__name__} is not allowed", node)

    def _binary(self, node: ast.BinOp, d: int) -> sp.Expr:
        if type(node.op) not in _BINOPS:
            raise self.fail(
                f"operator {type(node.op).__name__} is not allowed (use + - * / **)", node
            )
        a = self._num(node.left, d)
        b = self._num(node.right, d)
        if isinstance(node.op, ast.Add):
            return self.apply(sp.Add, [a, b], node)
        if isinstance(node.op, ast.Sub):
            return self.apply(sp.Add, [a, self.apply(sp.Mul, [sp.S.NegativeOne, b], node)],
                              node)
        if isinstance(node.op, ast.Mult):
            return self.apply(sp.Mul, [a, b], node)
        if isinstance(node.op, ast.Div):
            if b == 0:
                raise self.fail("division by zero", node)
            if not _constant(b):
                self.divisors.append(b)
            return self.apply(sp.Mul, [a, self.apply(sp.Pow, [b, sp.S.NegativeOne], node)],
                              node)
        return self._power(a, b, node)

    def _power(self, a: sp.Expr, b: sp.Expr, node: ast.AST) -> sp.Expr:
        """``a ** b``, refusing numeric exponents that could not be computed quickly."""
        if b.is_number and not finite_real(b):
            raise self.fail(f"exponent {show_value(b)} is not a finite real number", node)
        if b.is_number and abs(b) > MAX_EXPONENT:
            raise self.fail(f"exponent {shorten(b)} exceeds the limit {MAX_EXPONENT}", node)
        known = {*self.vars.values(), *map(sp.Symbol, self.terms)}
        if not b.is_number and not b.free_symbols <= known:
            raise self.fail("exponent is not an expression of the variables", node)
        if not _constant(a) and b.is_number and b.is_negative:
            self.divisors.append(a)  # a negative power divides by its base
        elif not _constant(a) and not b.is_number:
            # a symbolic exponent divides by the base wherever it is negative: sympy builds
            # r**(-r)*r**r as 1, finite at r = 0 where the formula is 0**0·… (an outside red
            # team of list terms: min(powers)**(-len(powers)) cancelled the same way)
            self.divisors.append(PowerDivisor(a, b))
        out = self.apply(sp.Pow, [a, b], node)
        if not (b.is_number and b.is_integer) and not (_constant(a) and a.is_positive):
            # a root of a negative number is not real: sympy builds sqrt(d - 3)**2 as d - 3
            self.domain(out)
        return out

    def domain(self, term: Any) -> None:
        """Record a written term that must be a finite real number (:class:`DomainTerm`)."""
        if isinstance(term, sp.Expr):
            self.divisors.append(DomainTerm(term))

    def _call(self, node: ast.Call, d: int) -> sp.Expr:
        fname = node.func.id if isinstance(node.func, ast.Name) else None
        if fname in LIST_FUNCTIONS and (term := self._list_call(fname, node)) is not None:
            return term
        if fname not in FUNCTIONS and (isinstance(node.func, ast.Constant | ast.BinOp)
                                       or fname in self.vars):
            # 2(d + 1), d(d + 1), (d - 1)(d + 1): a paper's implicit multiplication
            shown = ast.unparse(node.func)
            raise self.fail(f"{shown!r} is not a function: implicit multiplication is not "
                            f"allowed, write {shown}*(...)", node)
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
        if self.calls >= MAX_CALL_DEPTH:
            raise self.fail(f"function calls nested more than MAX_CALL_DEPTH = "
                            f"{MAX_CALL_DEPTH} deep", node)
        self.calls += 1
        try:
            args = [self._num(a, d) for a in node.args]
        finally:
            self.calls -= 1
        if fname == "sqrt":  # checked as the power it is
            return self._power(args[0], sp.S.Half, node)
        out = self.apply(fn, args, node)
        if fname == "log":  # log x (and log of the base) must be finite and real as written
            self.domain(self.apply(sp.log, [args[0]], node))
            if len(args) == 2:
                base = self.apply(sp.log, [args[1]], node)
                self.domain(base)
                if not _constant(base):
                    self.divisors.append(base)  # log(x, b) divides by log b: 0 at b = 1
        return out

    def _compare(self, node: ast.Compare, d: int) -> Any:
        if not self.boolean:
            raise self.fail("a comparison is not allowed in a value (state a bound as the "
                            "value, e.g. predicted = \"d/2\", with relation = \"<=\")", node)
        left, left_divisors = self._operand(node.left, d)
        parts, leaves = [], []
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if type(op) not in _CMPOPS:
                raise self.fail(f"comparison {type(op).__name__} is not allowed", node)
            right, right_divisors = self._operand(right_node, d)
            part = self.apply(_CMPOPS[type(op)], [left, right], node, evaluate=False)
            parts.append(part)
            # a comparison divides by what its two sides write (a chain's middle operand
            # belongs to both of its comparisons)
            leaves.append(Comparison(part, tuple(dict.fromkeys(left_divisors +
                                                               right_divisors))))
            left, left_divisors = right, right_divisors
        self.written[node] = leaves[0] if len(leaves) == 1 else Connective("and", tuple(leaves))
        return sp.And(*parts) if len(parts) > 1 else parts[0]

    def _operand(self, node: ast.AST, d: int) -> tuple[sp.Expr, tuple]:
        """A comparison's side and the divisors it writes."""
        start = len(self.divisors)
        value = self._num(node, d)
        return value, tuple(self.divisors[start:])

    def _boolean(self, node: ast.BoolOp, d: int) -> Any:
        if not self.boolean:
            raise self.fail("boolean operator is not allowed", node)
        vals = [self._bool(v, d) for v in node.values]
        op = "and" if isinstance(node.op, ast.And) else "or"
        self.written[node] = Connective(op, tuple(self._written(v, b)
                                                  for v, b in zip(node.values, vals,
                                                                  strict=True)))
        return sp.And(*vals) if op == "and" else sp.Or(*vals)

    def _written(self, node: ast.AST, built: Any) -> Comparison | Connective:
        """What :func:`decide` evaluates for ``node`` (built as ``built``): a comparison,
        and/or or not records its own; anything else (none is boolean today) is one
        comparison dividing by every divisor written so far."""
        return self.written.get(node) or Comparison(built, tuple(dict.fromkeys(self.divisors)))

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


_HANDLERS: dict[type, Callable[[_Builder, Any, int], Any]] = {
    ast.Constant: _Builder._constant,
    ast.Name: _Builder._name,
    ast.UnaryOp: _Builder._unary,
    ast.BinOp: _Builder._binary,
    ast.Call: _Builder._call,
    ast.Subscript: _Builder._subscript,
    ast.Compare: _Builder._compare,
    ast.BoolOp: _Builder._boolean,
}
"""The kinds of syntax node an expression may contain, each with its builder."""

_REFUSED = {
    ast.Attribute: "attribute access",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehension",
    ast.SetComp: "comprehension",
    ast.DictComp: "comprehension",
    ast.GeneratorExp: "comprehension",
    ast.IfExp: "conditional expression",
    ast.NamedExpr: "assignment expression",
    ast.JoinedStr: "string",
}
"""How an error names a refused kind of node (others by their class name)."""


def _list_uses(name: str) -> str:
    """The allowed uses of the list variable ``name``, for an error message."""
    return (f"use it only as max({name}), min({name}), sum({name}), len({name}) or "
            f"{name}[i] with an integer literal i >= 0, or -1 for the last entry")


_PASTED = {"−": "write '-'", "·": "write '*'", "×": "write '*'", "√": "write 'sqrt(...)'",
           "≤": "write '<='", "≥": "write '>='"}
"""Typeset operators a formula copied from a paper carries, with what to write instead."""


def _parse(text: Any, names: Iterable[str], key: str, boolean: bool,
           lists: Iterable[str] = ()) -> _Builder:
    """A builder that has built ``text`` (its result in ``built``), or ExpressionError."""
    if isinstance(names, str):
        raise TypeError(f"variables must be a list of names, got the string {names!r}")
    if not isinstance(text, str):
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            written = getattr(text, "written", None) or repr(text)
            raise ExpressionError(f"{key}: must be a string, got the number {written}: "
                                  f"quote it, {key} = \"{written}\"")
        raise ExpressionError(f"{key}: must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ExpressionError(f"{key}: is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"{key}: longer than {MAX_LENGTH} characters")
    # one line of formula: Python's parser would take a comment ("# ...") and, inside
    # brackets, line breaks, so free text (a Markdown heading, HTML) rode in an expression into
    # the reports (an outside audit)
    if "#" in text:
        raise ExpressionError(f"{key}: '#' (a comment) is not part of a formula")
    if any(not ch.isprintable() and ch not in " \t" for ch in text.strip()):
        raise ExpressionError(f"{key}: a formula is one line of printable characters (a "
                              "line break inside it, or a control character)")
    # Python folds look-alike letters into names (NFKC: a full-width 'ｄ' was read as d and
    # shown as written in the reports, an outside fuzzer): a character it would fold is refused
    if (folded := [c for c in text if unicodedata.normalize("NFKC", c) != c]):
        ch = folded[0]
        raise ExpressionError(f"{key}: {ch!r} (U+{ord(ch):04X}) at column {text.index(ch) + 1} "
                              f"would be read as {unicodedata.normalize('NFKC', ch)!r}; write "
                              "formulas in ASCII")
    # from a paper's typesetting ('·' would even be read as part of a name: "d·2")
    if (pasted := next((c for c in text if c in _PASTED), None)) is not None:
        raise ExpressionError(f"{key}: {pasted!r} at column {text.index(pasted) + 1} is not an "
                              f"operator here ({_PASTED[pasted]})")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExpressionError(
            f"{key}: not a valid expression ({e.msg} at column {e.offset})"
        ) from None
    builder = _Builder(key, symbols_for(names), boolean, text.strip(), lists)
    builder.root = tree.body
    builder.built = builder.build(tree.body)
    return builder


@dataclass(frozen=True)
class Comparison:
    """One comparison of a constraint as written (a chain ``a < b < c`` has one per
    operator), with the ``divisors`` its two sides write: :func:`decide` evaluates it, and
    counts its divisors, only where it reaches it."""

    expr: Any
    divisors: tuple = ()


@dataclass(frozen=True)
class Connective:
    """``and``/``or`` of its ``parts`` in the order written, or ``not`` of its one part."""

    op: str
    parts: tuple


@dataclass(frozen=True)
class Parsed:
    """One parse of a formula (:func:`parse_formula`): its sympy ``expr``, the ``divisors``
    it writes (:func:`parse_divisors`) and its list ``terms`` (:func:`parse_list_terms`);
    for a constraint, also the comparisons and and/or/not as ``written``, in order, which
    :func:`decide` evaluates (sympy's ``expr`` has them sorted)."""

    expr: Any
    divisors: tuple = ()
    terms: Mapping[str, ListTerm] = field(default_factory=dict)
    written: Comparison | Connective | None = None


def parse_formula(text: Any, variables: Iterable[str], *, key: str = "predicted",
                  boolean: bool = False, lists: Iterable[str] = ()) -> Parsed:
    """``text`` parsed once into what a claim keeps of it, or ExpressionError;
    ``boolean=True`` reads a constraint, which must be a comparison.

    >>> p = parse_formula("(d - 1)*k/(d - 1)", ["d", "k"])
    >>> p.expr, p.divisors, p.terms
    (k, (d - 1,), {})
    """
    b = _parse(text, variables, key, boolean, lists)
    if boolean and isinstance(b.built, sp.Expr):
        raise ExpressionError(f"{key}: must be a comparison (e.g. k < d*(d+1)/2), got a number")
    written = b._written(b.root, b.built) if boolean else None
    return Parsed(b.built, tuple(dict.fromkeys(b.divisors)), dict(b.terms), written)


def parse_predicted(text: Any, variables: Iterable[str], *, key: str = "predicted",
                    lists: Iterable[str] = ()) -> sp.Expr:
    """Parse ``text`` into a sympy expression in the given variables, or raise ExpressionError.
    ``lists``: the variables whose values are lists, usable only as the module docstring says.

    >>> parse_predicted("binomial(d + 1, 2)/2 + floor(k/2)", ["d", "k"])
    binomial(d + 1, 2)/2 + floor(k/2)
    >>> parse_predicted("(lambda: 1)()", [])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slttheory.verify.expr.ExpressionError: predicted: call of a non-whitelisted function ...
    >>> parse_predicted("widths[0]*widths[-1]/len(widths)", ["widths"], lists=["widths"])
    widths[-1]*widths[0]/len(widths)
    >>> parse_predicted("widths + 1", ["widths"], lists=["widths"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slttheory.verify.expr.ListUseError: predicted: 'widths' is a list: use it only as ...
    """
    return parse_formula(text, variables, key=key, lists=lists).expr


def parse_divisors(text: Any, variables: Iterable[str], *, key: str = "predicted",
                   boolean: bool = False, lists: Iterable[str] = ()) -> tuple[sp.Expr, ...]:
    """The divisors ``text`` writes that depend on the variables (``b`` of ``a / b``, ``a``
    of ``a ** -k``), so that a caller can refuse a point where one is 0: sympy cancels
    ``(d - 1)/(d - 1)`` and ``x/(d - 2) - x/(d - 2)`` while :func:`parse_predicted` builds
    them, and the built expression is then finite where the formula as written is undefined
    (0/0 or x/0 is not a value, whatever it cancels to elsewhere). ``boolean=True`` reads a
    constraint (:func:`parse_constraint`).

    >>> parse_predicted("(d - 1)*k/(d - 1)", ["d", "k"])
    k
    >>> parse_divisors("(d - 1)*k/(d - 1)", ["d", "k"])
    (d - 1,)
    >>> parse_divisors("k/(d - 1) > 0 and d < 5", ["d", "k"], boolean=True)
    (d - 1,)
    >>> parse_divisors("1/(2*max(powers))", ["powers"], lists=["powers"])
    (2*max(powers),)
    """
    if text is None:
        return ()
    try:
        return parse_formula(text, variables, key=key, boolean=boolean, lists=lists).divisors
    except ExpressionError:
        return ()  # the text's own parse reports it


def parse_list_terms(text: Any, variables: Iterable[str], lists: Iterable[str], *,
                     key: str = "predicted", boolean: bool = False) -> dict[str, ListTerm]:
    """The list terms ``text`` uses: symbol name -> term (``{}`` where there are none, or
    where the text does not parse: its own parse reports that). ``boolean=True`` reads a
    constraint.

    >>> parse_list_terms("1/(2*max(powers))", ["powers"], ["powers"])
    {'max(powers)': ('max', 'powers')}
    >>> parse_list_terms("widths[0] < sum(widths)", ["widths"], ["widths"], boolean=True)
    {'widths[0]': ('index', 'widths', 0), 'sum(widths)': ('sum', 'widths')}
    """
    if text is None or not lists:
        return {}
    try:
        return dict(parse_formula(text, variables, key=key, boolean=boolean, lists=lists).terms)
    except ExpressionError:
        return {}


def parse_constraint(text: Any, variables: Iterable[str], *, key: str = "constraint",
                     lists: Iterable[str] = ()):
    """Parse a grid constraint such as ``"k < d*(d+1)/2 and p >= 2"`` into a sympy Boolean.

    >>> c = parse_constraint("k < d*(d+1)/2", ["d", "k"])
    >>> bool(evaluate(c, {"d": 3, "k": 5})), bool(evaluate(c, {"d": 3, "k": 6}))
    (True, False)
    """
    return parse_formula(text, variables, key=key, boolean=True, lists=lists).expr


def _as_sympy(value: Any) -> Any:
    if isinstance(value, bool):
        return sp.Integer(int(value))
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, float) and math.isfinite(value):  # NaN or inf: sympy's TypeError
        return sp.Rational(repr(value))
    return None


def list_value(term: ListTerm, values: Mapping[str, Any]) -> sp.Expr:
    """The value of a list term (:func:`parse_list_terms`) at a point's ``values``, or
    :class:`ExpressionError` (an index out of range, ``max`` of an empty list, a value that is
    not a list of numbers).

    >>> list_value(("max", "powers"), {"powers": (1, 3)}), list_value(("len", "w"), {"w": (2, 5)})
    (3, 2)
    >>> list_value(("index", "w", -1), {"w": (2, 5)}), list_value(("sum", "w"), {"w": (2, 0.5)})
    (5, 5/2)
    >>> list_value(("index", "w", 2), {"w": (2, 5)})
    Traceback (most recent call last):
    ...
    slttheory.verify.expr.ExpressionError: w[2]: index out of range (w = (2, 5) has 2 entries)
    """
    op, name, *index = term
    seq = values.get(name)
    if not isinstance(seq, tuple | list) or any(
            isinstance(x, bool) or not isinstance(x, int | float)
            or (isinstance(x, float) and not math.isfinite(x)) for x in seq):
        raise ExpressionError(f"variable {name!r} has value {shorten(repr(seq))}, which is not "
                              "a list of finite numbers")
    if op == "len":
        return sp.Integer(len(seq))
    if op == "index":
        i = index[0]
        if not -len(seq) <= i < len(seq):
            raise ExpressionError(f"{name}[{i}]: index out of range ({name} = "
                                  f"{shorten(repr(seq))} has {len(seq)} entries)")
        return _as_sympy(seq[i])
    if not seq:
        raise ExpressionError(f"{op}({name}) of an empty list")
    # exact rationals (a float as the decimal it writes, as _as_sympy takes it) compared and
    # added in Python, in one pass: sympy's Max and Min of n numbers compare them pairwise
    # (25 s for 10 000 entries, quadratic), and a constraint is evaluated before the family's
    # validation limits a list's length (a red team: a 129 kB claim file with a powers list of
    # 20 000 entries took 108 s to load, a 1 MB one would take hours)
    exact = [fractions.Fraction(repr(x)) if isinstance(x, float) else x for x in seq] \
        if any(isinstance(x, float) for x in seq) else seq  # ints: as they are
    out = {"max": max, "min": min, "sum": sum}[op](exact)
    return _apply(sp.Rational, [out.numerator, out.denominator])


def evaluate(expr: Any, values: Mapping[str, Any],
             terms: Mapping[str, ListTerm] | None = None) -> Any:
    """Substitute grid values (ints, floats as exact decimals, bools as 0/1) exactly; a list
    term's symbol (named in ``terms``, :func:`parse_list_terms`) by :func:`list_value`.

    The expression is rebuilt bottom-up, each operation within the module's limits, so that
    a value too large to compute, or a comparison of a non-real number, is an
    :class:`ExpressionError` (the caller names the key and the grid point).

    >>> evaluate(parse_predicted("r*(2*d - r)/2", ["d", "r"]), {"d": 100, "r": 3})
    591/2
    >>> evaluate(parse_predicted("2**(d**64)", ["d"]), {"d": 3})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slttheory.verify.expr.ExpressionError: 2**3433683820292512484657849089281 would have about ...
    >>> evaluate(parse_constraint("1/(d - 2) < 3", ["d"]), {"d": 2})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slttheory.verify.expr.ExpressionError: comparison: zoo (complex infinity...
    >>> terms = {"max(powers)": ("max", "powers")}
    >>> evaluate(parse_predicted("1/(2*max(powers))", ["powers"], lists=["powers"]),
    ...          {"powers": (1, 3)}, terms)
    1/6
    """
    subs = {}
    for s in expr.free_symbols:
        if terms and s.name in terms:
            subs[s] = list_value(terms[s.name], values)
            continue
        v = values.get(s.name)
        sv = _as_sympy(v)
        if sv is None:
            raise ExpressionError(
                f"variable {s.name!r} has value {v!r}, "
                "which is not a number usable in an expression"
            )
        subs[s] = sv
    return _substitute(expr, subs) if isinstance(expr, sp.Basic) else expr


def decide(written: Comparison | Connective, values: Mapping[str, Any],
           terms: Mapping[str, ListTerm] | None = None) -> tuple[Any, tuple]:
    """A constraint's value at a point's ``values`` (``written``: :attr:`Parsed.written`),
    decided as Python decides ``and``/``or``/``not``: the parts of an ``and`` (and of a chain
    ``a < b < c``) from left to right until one is False, those of an ``or`` until one is
    True. Each comparison reached is evaluated on its own (:func:`evaluate`), so a list term
    is taken from its list only where its comparison is reached, and an index that a guard
    before it excludes is never taken. Returns the value (``true`` or ``false``; or the first
    comparison reached that sympy cannot decide, as it is) and the divisors written in the
    comparisons reached (where the formula as written divides), in order.

    >>> w = parse_formula("len(w) > 2 and w[2] > 1", ["w"], boolean=True, lists=["w"])
    >>> decide(w.written, {"w": (1, 2)}, w.terms), decide(w.written, {"w": (1, 2, 3)}, w.terms)
    ((False, ()), (True, ()))
    >>> w = parse_formula("w[2] > 1 and len(w) > 2", ["w"], boolean=True, lists=["w"])
    >>> decide(w.written, {"w": (1, 2)}, w.terms)
    Traceback (most recent call last):
    ...
    slttheory.verify.expr.ExpressionError: w[2]: index out of range (w = (1, 2) has 2 entries)
    >>> c = parse_formula("d > 2 or 1/(d - 2) > 3", ["d"], boolean=True)
    >>> decide(c.written, {"d": 3}), decide(c.written, {"d": 1})
    ((True, ()), (False, (d - 2,)))
    """
    reached: list[Any] = []
    return _decide(written, values, terms, reached), tuple(dict.fromkeys(reached))


def _decide(w: Comparison | Connective, values: Mapping[str, Any],
            terms: Mapping[str, ListTerm] | None, reached: list[Any]) -> Any:
    if isinstance(w, Comparison):
        reached.extend(w.divisors)
        return evaluate(w.expr, values, terms)
    if w.op == "not":
        v = _decide(w.parts[0], values, terms, reached)
        return sp.Not(v) if isinstance(v, BooleanAtom) else v
    settles = sp.false if w.op == "and" else sp.true
    for part in w.parts:
        v = _decide(part, values, terms, reached)
        if not isinstance(v, BooleanAtom):
            return v  # undecided: the caller says so, naming it
        if v == settles:
            return settles
    return sp.Not(settles)


@functools.lru_cache(maxsize=4096)
def _constant(e: sp.Basic) -> bool:
    """Whether ``e`` is an expression without symbols (cached: a claim's expression is
    evaluated at every grid point, and sympy walks the whole subtree for ``free_symbols``)."""
    return isinstance(e, sp.Expr) and not e.free_symbols


def _substitute(e: sp.Basic, subs: Mapping[sp.Symbol, Any]) -> Any:
    """``e`` with ``subs`` put in, rebuilt bottom-up through :func:`_apply`."""
    if e in subs:
        return subs[e]
    if not e.args or _constant(e):
        return e  # a number built, and checked, when the text was parsed
    # comparisons were built unevaluated: rebuilding them decides them
    return _apply(e.func, [_substitute(a, subs) for a in e.args])
