"""The result type of every closed form, and the argument checks they share.

Every formula in :mod:`slttheory.formulas` returns a :class:`LearningCoefficient`:
an exact sympy value with its multiplicity, the parameter count, the case of the
source's case analysis that applied, the source's assumptions and a citation.

Every result also carries its **standing** (see :mod:`slttheory.formulas.standing`):
``"established"`` when a test of this repository checks its values against an independent
computation (named in ``established_by``), ``"as_stated"`` when it implements a statement
under test exactly as its source states it. ``reference`` is the short key of that source
("Aoyagi & Watanabe 2005"), so that a claim citing the same source can be recognised.

Argument checks follow sympy.stats' ``_value_check`` discipline: an integer size
that is provably out of range raises ``ValueError`` (wrong type: ``TypeError``)
naming the argument and the allowed range; a sympy ``Symbol`` passes unchecked,
and the formula then returns a symbolic (often ``Piecewise``) value.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy as sp

__all__ = [
    "STANDINGS",
    "LearningCoefficient",
    "LearningCoefficientBounds",
    "check_standing",
    "check_size",
    "check_bool",
    "is_symbolic",
]


STANDINGS = ("established", "as_stated")
"""The two standings of a formula: checked independently here, or a statement under test."""


def check_standing(standing, established_by, reference) -> None:
    """Validate the standing fields of a result (``ValueError``/``TypeError`` naming the field).

    >>> check_standing("established", "", "Watanabe 2009")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: established_by must name the independent check (a test of this repository) ...
    """
    for name, value in (
        ("standing", standing),
        ("established_by", established_by),
        ("reference", reference),
    ):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a str, got {value!r} of type {type(value).__name__}")
    if standing not in STANDINGS:
        raise ValueError(f"standing must be one of {STANDINGS}, got {standing!r}")
    if standing == "established" and not established_by.strip():
        raise ValueError(
            "established_by must name the independent check (a test of this repository) "
            "when standing is 'established'"
        )
    if standing == "as_stated" and established_by:
        raise ValueError(
            f"established_by must be empty when standing is 'as_stated', got {established_by!r}"
        )


def render(expr, *, pretty: bool = False, use_unicode: bool = True) -> str:
    """An expression as text: ``str``, or sympy's 2-D ``pretty`` form for symbolic values.

    Multi-line pretty output starts on a new line, indented by two spaces.
    """
    if expr is None:
        return "(not given by the source)"
    if not (pretty and isinstance(expr, sp.Basic) and expr.free_symbols):
        return str(expr)
    text = sp.pretty(expr, use_unicode=use_unicode)
    if "\n" not in text:
        return text
    return "\n" + "\n".join(("  " + line).rstrip() for line in text.splitlines())


def _join(lines: list[str]) -> str:
    """Lines (some multi-line) joined, without trailing spaces."""
    return "\n".join(line.rstrip() for line in "\n".join(lines).split("\n"))


def _standing_lines(result) -> list[str]:
    how = f" by {result.established_by}" if result.established_by else ""
    return [
        f"standing      {result.standing}{how}",
        f"reference     {result.reference or '(none)'}",
    ]


def _summary_tail(result) -> list[str]:
    lines = [f"case          {result.case}", *_standing_lines(result)]
    lines.append(f"source        {result.source or '(none)'}")
    if result.assumptions:
        lines.append("assumptions")
        lines += [f"  - {a}" for a in result.assumptions]
    return lines


@dataclass(frozen=True)
class LearningCoefficient:
    """A learning coefficient λ (RLCT) as a source states it.

    Attributes
    ----------
    value:
        λ as a sympy expression: an exact ``Rational`` for integer arguments, a
        symbolic expression (``Piecewise`` where the case depends on the
        arguments) for sympy ``Symbol`` arguments.
    multiplicity:
        The multiplicity m (order of the largest pole of the zeta function), or
        ``None`` where the source gives none.
    dimension:
        The number of parameters d of the model. λ ≤ d/2 where the prior is positive at
        the true parameter and K ≥ 0 is analytic there (Watanabe 2009, Thm 7.2); a
        prior that vanishes there can raise λ above it (``normal_crossing([1],
        prior_powers=[2])`` has λ = 3/2 with d = 1).
    case:
        Short label of the regime or case of the source's analysis that applied.
    assumptions:
        The hypotheses under which the source states the result, as it states them.
    source:
        Citation with theorem number.
    standing:
        ``"established"`` (values checked here against an independent computation) or
        ``"as_stated"`` (a statement under test, implemented as its source states it; the
        default). An as_stated result is never evidence for a claim about its own statement.
    established_by:
        The test that checks it (``tests/...py::test_name: what it computes``); ``""`` for
        as_stated.
    reference:
        Short key of the formula's own source, first author surname(s) and year
        (``"Aoyagi & Watanabe 2005"``, ``"Cullen et al. 2026"``).

    >>> from slttheory.formulas import regular
    >>> lc = regular(3)
    >>> lc.value, lc.multiplicity, float(lc)
    (3/2, 1, 1.5)
    >>> lc.standing, lc.reference
    ('established', 'Watanabe 2009')
    """

    value: sp.Expr
    multiplicity: sp.Expr | None
    dimension: sp.Expr
    case: str
    assumptions: tuple[str, ...] = field(default=())
    source: str = ""
    standing: str = "as_stated"
    established_by: str = ""
    reference: str = ""
    # (formula, args, kwargs) of the call that made this result, set by @rederivable, so that
    # subs() re-runs the formula and its argument checks; not part of the value.
    _call: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_standing(self.standing, self.established_by, self.reference)
        _check_label(self)
        value = _as_expr("value", self.value)
        dimension = _as_expr("dimension", self.dimension, integer=True)
        _check_nonnegative("value", value)
        object.__setattr__(self, "value", value)
        if self.multiplicity is not None:
            m = _as_expr("multiplicity", self.multiplicity, integer=True)
            if m.is_number and m < 1:
                raise ValueError(f"multiplicity must be an integer >= 1 or None, got {m}")
            object.__setattr__(self, "multiplicity", m)
        object.__setattr__(self, "dimension", dimension)
        object.__setattr__(self, "assumptions", tuple(self.assumptions))

    def _sympy_(self) -> sp.Expr:
        """``sympify(lc)`` is the exact ``value`` (without this, sympy fell back on
        ``__float__``: ``sp.Rational(1, 2) + lc`` gave the Float 7.0, ``n * lc`` 6.5*n)."""
        return self.value

    def _latex(self, printer) -> str:
        """``sp.latex(lc)``: the LaTeX of ``value`` (not of the dataclass repr)."""
        return printer._print(self.value)

    def _repr_latex_(self) -> str:
        return f"$\\lambda = {sp.latex(self.value)}$"

    def __float__(self) -> float:
        if self.value.free_symbols:
            raise TypeError(
                f"λ = {self.value} is symbolic (free symbols "
                f"{sorted(map(str, self.value.free_symbols))}); "
                "substitute integers before converting to float"
            )
        return float(self.value)

    @property
    def is_exact(self) -> bool:
        """True when the value is a number with no free symbols."""
        return not self.value.free_symbols

    def subs(self, *args) -> LearningCoefficient:
        """Substitute numbers or expressions for symbols: ``subs(old, new)``, ``subs({old: new})``.

        Each ``old`` must be a sympy ``Symbol`` and each ``new`` a number or a sympy expression
        (text is refused: sympy would evaluate it as Python). A result made by a formula of
        this package is recomputed by calling that formula again on the substituted
        arguments, so its checks apply (``ValueError`` for r > min(m, n, h), a non-integer
        size, ...); a hand-made one has its fields substituted.

        >>> import sympy as sp
        >>> from slttheory.formulas import reduced_rank_regression
        >>> m = sp.Symbol("m", integer=True, positive=True)
        >>> reduced_rank_regression(m, 5, 3, 1).subs(m, 5).value
        8
        >>> reduced_rank_regression(m, 2, 1, 1).subs(m, 0)
        Traceback (most recent call last):
        ...
        ValueError: ...
        """
        pairs = _substitution_pairs(args)
        if self._call is not None:
            formula, f_args, f_kwargs = self._call
            return formula(*_subs_into(f_args, pairs), **_subs_into(f_kwargs, pairs))

        def _s(x):
            return None if x is None else x.subs(pairs, simultaneous=True)

        return LearningCoefficient(
            value=_s(self.value),
            multiplicity=_s(self.multiplicity),
            dimension=_s(self.dimension),
            case=self.case,
            assumptions=self.assumptions,
            source=self.source,
            standing=self.standing,
            established_by=self.established_by,
            reference=self.reference,
        )

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready record: exact values as strings, floats where numeric."""
        out: dict[str, object] = {
            "value": str(self.value),
            "multiplicity": None if self.multiplicity is None else str(self.multiplicity),
            "dimension": str(self.dimension),
            "case": self.case,
            "assumptions": list(self.assumptions),
            "source": self.source,
            "standing": self.standing,
            "established_by": self.established_by,
            "reference": self.reference,
        }
        if self.is_exact:
            out["value_float"] = finite_float(self.value)
        return out

    def __str__(self) -> str:
        """``print(lc)`` shows :meth:`summary` (the repr stays the dataclass's)."""
        return self.summary()

    def summary(self, *, pretty: bool = False, use_unicode: bool = True) -> str:
        """A few lines for people: λ, multiplicity, dimension, case, standing, source.

        ``pretty=True`` draws symbolic values (a ``Piecewise``) with sympy's ``pretty``.

        >>> from slttheory.formulas import normal_crossing
        >>> print(normal_crossing([1, 1]).summary())  # doctest: +ELLIPSIS
        λ             1/2  (0.5)
        multiplicity  2
        dimension     2
        case          normal crossing
        standing      established by tests/formulas/test_monomial.py::...
        reference     Watanabe 2009
        source        Watanabe 2009, ...
        assumptions
          - K(w) = prod_j w_j^(2 k_j) exactly in a neighbourhood of w = 0 (standard form)
          - prior density = prod_j |w_j|^(h_j) times a function positive at 0
        """
        style = {"pretty": pretty, "use_unicode": use_unicode}
        value = render(self.value, **style)
        if self.is_exact and not self.value.is_Integer:
            value += f"  ({float(self.value):.6g})"
        lines = [
            f"λ             {value}",
            f"multiplicity  {render(self.multiplicity, **style)}",
            f"dimension     {render(self.dimension, **style)}",
        ]
        return _join(lines + _summary_tail(self))


@dataclass(frozen=True)
class LearningCoefficientBounds:
    """Lower and upper bounds on λ where a source gives only bounds.

    >>> from slttheory.formulas import lazy_regime_bounds
    >>> b = lazy_regime_bounds(5, 4)
    >>> b.lower <= b.upper
    True
    """

    lower: sp.Expr
    upper: sp.Expr
    dimension: sp.Expr
    case: str
    assumptions: tuple[str, ...] = field(default=())
    source: str = ""
    standing: str = "as_stated"
    established_by: str = ""
    reference: str = ""

    def __post_init__(self) -> None:
        check_standing(self.standing, self.established_by, self.reference)
        _check_label(self)
        lower, upper = _as_expr("lower", self.lower), _as_expr("upper", self.upper)
        _check_nonnegative("lower", lower)
        if lower.is_number and upper.is_number and lower > upper:
            raise ValueError(f"lower must be <= upper, got lower = {lower}, upper = {upper}")
        object.__setattr__(self, "lower", lower)
        object.__setattr__(self, "upper", upper)
        object.__setattr__(self, "dimension", _as_expr("dimension", self.dimension,
                                                       integer=True))
        object.__setattr__(self, "assumptions", tuple(self.assumptions))

    def contains(self, value) -> bool:
        """Whether ``lower ≤ value ≤ upper`` (exact comparison for exact input).

        >>> from slttheory.formulas import lazy_regime_bounds
        >>> b = lazy_regime_bounds(5, 4)
        >>> b.contains(b.lower), b.contains(b.upper + 1)
        (True, False)
        """
        v = _as_expr("value", value)
        if v.free_symbols or self.lower.free_symbols or self.upper.free_symbols:
            raise TypeError(f"contains needs numbers, got value {v} with bounds "
                            f"[{self.lower}, {self.upper}]; substitute integers first")
        return bool(self.lower <= v) and bool(v <= self.upper)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready record: exact bounds as strings."""
        return {
            "lower": str(self.lower),
            "upper": str(self.upper),
            "dimension": str(self.dimension),
            "case": self.case,
            "assumptions": list(self.assumptions),
            "source": self.source,
            "standing": self.standing,
            "established_by": self.established_by,
            "reference": self.reference,
        }

    def __str__(self) -> str:
        """``print(bounds)`` shows :meth:`summary`."""
        return self.summary()

    def summary(self, *, pretty: bool = False, use_unicode: bool = True) -> str:
        """A few lines for people: the bounds, dimension, case, standing, source."""
        style = {"pretty": pretty, "use_unicode": use_unicode}
        lines = [
            f"λ lower       {render(self.lower, **style)}",
            f"λ upper       {render(self.upper, **style)}",
            f"dimension     {render(self.dimension, **style)}",
        ]
        return _join(lines + _summary_tail(self))


def rederivable(formula):
    """Decorator for a formula returning a :class:`LearningCoefficient`: records the call on
    the result, so that :meth:`LearningCoefficient.subs` re-runs the formula (and its checks)."""

    @functools.wraps(formula)
    def wrapper(*args, **kwargs):
        out = formula(*args, **kwargs)
        if isinstance(out, LearningCoefficient):
            object.__setattr__(out, "_call", (wrapper, args, kwargs))
        return out

    return wrapper


def _substitution_pairs(args: tuple) -> list[tuple[sp.Symbol, sp.Expr]]:
    """``(old, new)`` or ``({old: new, ...},)`` as checked pairs: symbols to expressions."""
    if len(args) == 2:
        items = [tuple(args)]
    elif len(args) == 1 and isinstance(args[0], Mapping):
        items = list(args[0].items())
    elif len(args) == 1 and isinstance(args[0], list | tuple):
        items = [tuple(pair) for pair in args[0]]
        if any(len(pair) != 2 for pair in items):
            raise TypeError("subs takes (old, new) pairs")
    else:
        raise TypeError("subs takes (old, new), a dict {old: new} or a list of (old, new) pairs")
    pairs = []
    for old, new in items:
        if not isinstance(old, sp.Symbol):
            raise TypeError(f"subs: each old must be a sympy Symbol, got {old!r} of type "
                            f"{type(old).__name__}")
        pairs.append((old, _as_expr(f"subs value for {old}", new)))
    return pairs


def _subs_into(obj, pairs):
    """``obj`` (arguments of a formula call) with the substitution applied to sympy parts."""
    if isinstance(obj, sp.Basic):
        return obj.subs(pairs, simultaneous=True)
    if isinstance(obj, dict):
        return {k: _subs_into(v, pairs) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_subs_into(v, pairs) for v in obj)
    return obj


def _as_expr(name: str, value, *, integer: bool = False) -> sp.Expr:
    """A result field as a sympy expression: sympy objects, ints, fractions and finite floats.

    Text is refused: ``sympify`` of a string evaluates it as Python, and claim files are
    parsed by :mod:`slttheory.verify.expr`, never here.

    >>> _as_expr("value", 3) / 2, _as_expr("value", sp.Symbol("d") / 2)
    (3/2, d/2)
    >>> _as_expr("value", "1/2")
    Traceback (most recent call last):
    ...
    TypeError: value must be a number or a sympy expression, got '1/2' of type str
    """
    if isinstance(value, bool) or not isinstance(value, sp.Basic | numbers.Number):
        raise TypeError(f"{name} must be a number or a sympy expression, got {value!r} of "
                        f"type {type(value).__name__}")
    if isinstance(value, numbers.Number) and not isinstance(value, sp.Basic | numbers.Real):
        raise TypeError(f"{name} must be real, got {value!r}")
    expr = sp.sympify(value)
    if not isinstance(expr, sp.Expr):
        raise TypeError(f"{name} must be a sympy expression, got {value!r}")
    if expr.is_number and not (expr.is_real and expr.is_finite):
        raise ValueError(f"{name} must be a finite real number, got {expr}")
    if integer and expr.is_number and not (expr.is_Integer and expr >= 0):
        raise ValueError(f"{name} must be an integer >= 0, got {expr}")
    return expr


def _check_nonnegative(name: str, expr: sp.Expr) -> None:
    """λ and its bounds are ≥ 0 (a log canonical threshold is positive; 0 at a point)."""
    if expr.is_number and expr < 0:
        raise ValueError(f"{name} must be >= 0 (a learning coefficient), got {expr}")


def _check_label(result) -> None:
    if not isinstance(result.case, str):
        raise TypeError(f"case must be a str, got {result.case!r}")
    if isinstance(result.assumptions, str) or not all(
            isinstance(a, str) for a in result.assumptions):
        raise TypeError(f"assumptions must be a sequence of str, got {result.assumptions!r}")


def is_symbolic(*values) -> bool:
    """True if any argument is a sympy expression with free symbols."""
    return any(isinstance(v, sp.Basic) and v.free_symbols for v in values)


def finite_float(value) -> float | None:
    """``float(value)`` where that is finite, else ``None`` (JSON has no Infinity: a strict
    reader refused the formula CLI's ``"value_float": Infinity``).

    >>> finite_float(sp.Rational(1, 3)) == 1 / 3, finite_float(sp.Integer(10) ** 400)
    (True, None)
    """
    try:
        v = float(value)
    except (OverflowError, TypeError):
        return None
    return v if math.isfinite(v) else None


def check_size(name: str, value, *, minimum: int = 1, maximum=None, maximum_reason: str = ""):
    """Validate an integer size argument and return it as a sympy ``Integer``.

    Symbols (and symbolic expressions) are returned unchanged: they cannot be
    checked, only integers can. ``bool`` is rejected (it is an int in Python).

    >>> check_size("h", 3)
    3
    >>> check_size("h", 0)
    Traceback (most recent call last):
    ...
    ValueError: h must be an integer >= 1, got 0
    >>> check_size("r", 4, minimum=0, maximum=3, maximum_reason="min(m, n, h)")
    Traceback (most recent call last):
    ...
    ValueError: r must be an integer in [0, 3] (min(m, n, h)), got 4
    >>> check_size("d", sp.Symbol("d", positive=True))
    d
    >>> check_size("d", sp.Symbol("d", negative=True))
    Traceback (most recent call last):
    ...
    ValueError: d must be an integer >= 1; d is provably not, by its sympy assumptions
    """
    if isinstance(value, sp.Basic) and value.free_symbols:
        if not isinstance(value, sp.Expr):
            raise TypeError(f"{name} must be an integer or a sympy expression, got {value!r}")
        # unchecked unless its assumptions decide it (sympy.stats' _value_check): a symbol
        # declared negative is provably below any minimum ≥ 0
        if value.is_integer is False or sp.Ge(value, minimum) is sp.false:
            raise ValueError(f"{name} must be an integer >= {minimum}; {value} is provably "
                             "not, by its sympy assumptions")
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral | sp.Integer):
        # a float that happens to be whole (2.0) is rejected too: sizes are counts,
        # and silently truncating 2.5 would hide a caller's bug.
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    v = int(value)
    if maximum is not None and not (isinstance(maximum, sp.Basic) and maximum.free_symbols):
        hi = int(maximum)
        if not minimum <= v <= hi:
            why = f" ({maximum_reason})" if maximum_reason else ""
            raise ValueError(f"{name} must be an integer in [{minimum}, {hi}]{why}, got {v}")
    elif v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v}")
    return sp.Integer(v)


def check_bool(name: str, value) -> bool:
    """Validate a boolean flag (``True``/``False`` only, not 0/1 or strings)."""
    if not isinstance(value, bool):
        raise TypeError(
            f"{name} must be True or False, got {value!r} of type {type(value).__name__}"
        )
    return value
