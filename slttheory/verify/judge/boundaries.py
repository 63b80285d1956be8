"""Which cases of a formula, and which of its case boundaries, a claim's grid reaches.

A verdict reaches only the cases its grid points fall in, and stated formulas break at case
boundaries: :func:`case_coverage` says which cases of the family's closed form (its
``LearningCoefficient.case`` label) the grid reaches, which boundaries between them it touches
or straddles, and which cases occur in the grid's bounding box but at no grid point. It reads
the case structure of the claim's own ``predicted`` expression (``Piecewise`` conditions,
``Min``/``Max`` arguments) and of its ``constraint`` the same way.

Definitions (``v`` an integer grid variable: every value in its grid an integer, not a bool):

- **neighbours** in the grid: two grid points that differ in one grid variable only, ``v``,
  whose values are adjacent among the values of ``v`` at the grid points that agree with them
  in every other grid variable (after the constraint); their **gap** is the difference of
  those values. Two grid points that differ in one real grid variable only (every value a
  number, not all integers), at adjacent values in the same sense, are neighbours too, with
  an unbounded gap: they bracket a boundary, never straddle it. In the **box** (every
  integer from ``v``'s smallest to its largest grid value, the other variables at their grid
  values, kept only where the claim's ``constraint`` holds) neighbours differ by 1 in one
  integer variable.
- a **family boundary** is a pair of case labels {A, B} taken at neighbouring points. The grid
  **straddles** it where neighbours with gap 1 take A and B (the boundary lies between two
  consecutive integers), **brackets** it where only neighbours with a larger gap do (the case
  changes somewhere in between, not located), and does **not reach** it where the two labels
  meet only at neighbours in the box.
- an **expression boundary** is an equation ``g = 0``: ``lhs = rhs`` of a relational in a
  ``Piecewise`` condition of ``predicted`` or in ``constraint``, or ``a_i = a_j`` for two
  arguments of a ``Min``/``Max`` of ``predicted``. A grid point is **on** it where ``g = 0``
  (for ``Min``/``Max``: where ``a_i`` and ``a_j`` both attain the extremum, a tie); the grid
  straddles (gap 1) or brackets (gap > 1) it where ``g`` has opposite signs at neighbours
  (for ``Min``/``Max``: the extremum is attained by ``a_i`` alone at one, by ``a_j`` alone
  at the other); else it is not reached, and the box's first point on it is given.

Safe and bounded: expressions are the claim's already parsed sympy expressions, substituted
exactly (:func:`~slttheory.verify.expr.evaluate`), never text run as code; the box is
enumerated only up to :data:`MAX_BOX_POINTS` points; all evaluation shares a budget of
:data:`BUDGET_S` seconds, checked before each call (so one call of a slow closed form may run
past it); an error of the family's closed form at a grid point makes that point's case "not
computed", never an exception.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import sympy as sp

from slttheory.verify.claims import Claim
from slttheory.verify.claims.common import point_key
from slttheory.verify.expr import evaluate
from slttheory.verify.judge.point import fmt_point

__all__ = ["MAX_BOX_POINTS", "BUDGET_S", "MAX_EQUATIONS", "CaseReach", "Boundary",
           "CaseCoverage", "case_coverage", "coverage_text", "short_case"]

MAX_BOX_POINTS = 2000
"""Most points of the grid's bounding box enumerated (before the constraint)."""
BUDGET_S = 5.0
"""Seconds all evaluations of one claim's coverage share (checked before each call)."""
MAX_EQUATIONS = 24
"""Most expression boundaries read from ``predicted`` and ``constraint``."""

STRADDLED, BRACKETED, ON, NOT_REACHED = "straddled", "bracketed", "on", "not reached"


@dataclass(frozen=True)
class CaseReach:
    """A case label and the grid points (``points``; ``example`` the first) or box point
    (``points`` = 0) where the family's closed form takes it."""

    label: str
    points: int
    example: str


@dataclass(frozen=True)
class Boundary:
    """A case boundary. ``source``: ``family`` (``between`` the two labels), ``predicted`` or
    ``constraint`` (``equation`` the text of ``g = 0``); ``status``: ``on``, ``straddled``,
    ``bracketed`` or ``not reached``; ``on``: grid points on it (expression boundaries);
    ``example``: the first grid point on it, or the pair of neighbours across it (``a | b``),
    or, not reached, where the box reaches it ("" where the box was not enumerated or never
    reaches it)."""

    source: str
    status: str
    between: tuple[str, ...] = ()
    equation: str = ""
    on: int = 0
    example: str = ""


@dataclass(frozen=True)
class CaseCoverage:
    """What :func:`case_coverage` found for one claim (module docstring for the definitions).

    ``formula``: the family's closed form's name ("" where none); ``status``: ``ok``, or ``not
    computed`` with ``why`` (no closed form, or it failed at every grid point);
    ``reached``: the labels at grid points, in grid order; ``not_computed``: grid points where
    the closed form failed, ``not_computed_example`` the first with its error; ``box``: how the
    box was read ("enumerated: N points, M within the constraint", or "not enumerated: ...");
    ``box_only``: labels reached in the box at no grid point, each with its first box point;
    ``boundaries``: the family's and the expressions' boundaries."""

    formula: str
    status: str
    why: str = ""
    grid_points: int = 0
    reached: tuple[CaseReach, ...] = ()
    not_computed: int = 0
    not_computed_example: str = ""
    box: str = ""
    box_only: tuple[CaseReach, ...] = ()
    boundaries: tuple[Boundary, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """``report.json``'s ``case_coverage`` (tuples as lists)."""
        d = asdict(self)
        d["boundaries"] = [{**b, "between": list(b["between"])} for b in d["boundaries"]]
        d["reached"] = [dict(x) for x in d["reached"]]
        d["box_only"] = [dict(x) for x in d["box_only"]]
        return d


# --- points and neighbours -------------------------------------------------------------------

def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _integer_vars(grid: Mapping[str, Sequence[Any]]) -> list[str]:
    return [k for k, vals in grid.items() if vals and all(_is_int(v) for v in vals)]


def _real_vars(grid: Mapping[str, Sequence[Any]]) -> list[str]:
    """Grid variables whose values are all real numbers, not all integers (nor bools)."""
    return [k for k, vals in grid.items() if vals and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in vals)
        and not all(_is_int(v) for v in vals)]


def _neighbours(points: Sequence[Mapping[str, Any]], grid: Mapping[str, Sequence[Any]],
                unit: bool) -> list[tuple[int, int, int]]:
    """Pairs ``(i, j, gap)`` of neighbouring points (module docstring): differing in one
    integer grid variable only, by 1 (``unit``) or at adjacent values among the points; not
    ``unit``, also in one real grid variable, with gap ``inf`` (they bracket, never straddle:
    a grid a = 0.5, 1.5 read "not reached" for min(a, 1)'s tie at a = 1)."""
    names = list(grid)
    index = {tuple(_hashable(p[k]) for k in names): i for i, p in enumerate(points)}
    out = []
    ints = _integer_vars(grid)
    for v in ints + ([] if unit else _real_vars(grid)):
        pos = names.index(v)
        if unit:
            for key, i in index.items():
                j = index.get(key[:pos] + (key[pos] + 1,) + key[pos + 1:])
                if j is not None:
                    out.append((i, j, 1))
            continue
        # adjacent among the points on each line, not among the grid's values: a grid value
        # the constraint removes had left its two sides unpaired, so the same points read
        # "bracketed" for n in (2, 6) and "not reached" for n in (2, 3, 6) with n != 3
        lines: dict[tuple, list[tuple[Any, int]]] = {}
        for key, i in index.items():
            lines.setdefault(key[:pos] + key[pos + 1:], []).append((key[pos], i))
        for line in lines.values():
            line.sort()
            for (a, i), (b, j) in zip(line, line[1:], strict=False):
                out.append((i, j, b - a if v in ints else math.inf))
    return out


def _hashable(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def _show(p: Mapping[str, Any], names: Sequence[str]) -> str:
    return fmt_point({k: p[k] for k in names if k in p}) or "the point"


def _pair(p: Mapping[str, Any], q: Mapping[str, Any], names: Sequence[str]) -> str:
    """Two neighbours: ``h=2, m=2: n=2 | n=3`` (what they share, then where they differ)."""
    same = [k for k in names if k in p and k in q and p[k] == q[k]]
    other = [k for k in names if k not in same]
    head = fmt_point({k: p[k] for k in same})
    return (f"{head}: " if head else "") + f"{_show(p, other)} | {_show(q, other)}"


# --- the family's cases ----------------------------------------------------------------------

def _label(family: Any, params: Mapping[str, Any]) -> str:
    """The case label of the family's closed form at ``params`` (raises what it raises)."""
    lc = family.closed_form(dict(params))
    return str(getattr(lc, "case", "") or "(no case label)")


def _family_boundaries(points, labels, grid, names, box_pts, box_labels) -> list[Boundary]:
    """Family boundaries: straddled/bracketed by grid neighbours, or met only in the box."""
    seen: dict[frozenset, Boundary] = {}
    for i, j, gap in sorted(_neighbours(points, grid, unit=False), key=lambda t: t[2]):
        a, b = labels[i], labels[j]
        if a is None or b is None or a == b:
            continue
        pair = frozenset((a, b))
        status = STRADDLED if gap == 1 else BRACKETED
        if pair not in seen or (seen[pair].status == BRACKETED and status == STRADDLED):
            seen[pair] = Boundary("family", status, tuple(sorted(pair)),
                                  example=_pair(points[i], points[j], names))
    if box_pts:
        for i, j, _ in _neighbours(box_pts, _axes(box_pts, grid), unit=True):
            a, b = box_labels[i], box_labels[j]
            if a is None or b is None or a == b or frozenset((a, b)) in seen:
                continue
            seen[frozenset((a, b))] = Boundary(
                "family", NOT_REACHED, tuple(sorted((a, b))),
                example=_pair(box_pts[i], box_pts[j], names))
    return list(seen.values())


def _axes(box_pts: Sequence[Mapping[str, Any]], grid: Mapping[str, Sequence[Any]]
                  ) -> dict[str, list[Any]]:
    """Each grid variable's values in the box (integers filled in between)."""
    return {k: sorted(set(range(min(v), max(v) + 1))) if k in _integer_vars(grid) else list(v)
            for k, v in grid.items()}


# --- the expressions' case structure ---------------------------------------------------------

@dataclass(frozen=True)
class _Equation:
    source: str
    text: str
    g: Any = None  # lhs − rhs
    args: tuple = ()  # Min/Max: all its arguments
    pair: tuple[int, int] = (0, 0)
    best: Any = None  # sp.Min or sp.Max


def _relationals(cond: Any) -> list[Any]:
    if isinstance(cond, sp.core.relational.Relational):
        return [cond]
    if isinstance(cond, sp.logic.boolalg.Boolean) and not isinstance(
            cond, sp.logic.boolalg.BooleanAtom):
        return [r for a in cond.args for r in _relationals(a)]
    return []


def _equations(claim: Claim) -> list[_Equation]:
    """The expression boundaries of ``predicted`` and ``constraint`` (module docstring), each
    once (``g`` and ``−g`` are one), at most :data:`MAX_EQUATIONS`."""
    out: list[_Equation] = []
    keys: set[Any] = set()

    def add(eq: _Equation, g: Any) -> None:
        # g and −g as sympy builds them (−1 distributes over a sum), not expanded: expanding
        # min((m + n + h + r)**60, m*n)'s tie took 20 s, outside the time budget
        k = frozenset((g, -g))
        if k not in keys and len(out) < MAX_EQUATIONS:
            keys.add(k)
            out.append(eq)

    pred = claim.predicted_expr
    if isinstance(pred, sp.Basic):
        for node in sp.preorder_traversal(pred):
            if isinstance(node, sp.Min | sp.Max):
                for i, j in itertools.combinations(range(len(node.args)), 2):
                    a, b = node.args[i], node.args[j]
                    add(_Equation("predicted", f"{a} = {b} ({type(node).__name__} tie)",
                                  a - b, node.args, (i, j), type(node)), a - b)
            elif isinstance(node, sp.Piecewise):
                for _, cond in node.args:
                    for r in _relationals(cond):
                        add(_Equation("predicted", f"{r.lhs} = {r.rhs}", r.lhs - r.rhs),
                            r.lhs - r.rhs)
    for r in _relationals(claim.constraint_expr):
        add(_Equation("constraint", f"{r.lhs} = {r.rhs}", r.lhs - r.rhs), r.lhs - r.rhs)
    return out


def _state(eq: _Equation, p: Mapping[str, Any], terms: Mapping[str, Any]) -> Any:
    """Where ``p`` lies: ``0`` on the equation; else a sign (±1) or, for a Min/Max,
    ``("alone", k)`` where argument ``k`` of the two attains it and the other does not
    (``"other"``: neither does); ``None`` where it cannot be evaluated."""
    try:
        if eq.best is None:
            g = evaluate(eq.g, p, terms)
            if not g.is_number or not g.is_real:
                return None
            return 0 if g == 0 else (1 if g > 0 else -1)
        vals = [evaluate(a, p, terms) for a in eq.args]
        best = (min if eq.best is sp.Min else max)(vals)
        hit = {k for k, v in enumerate(vals) if v == best}
        i, j = eq.pair
        if {i, j} <= hit:
            return 0
        return ("alone", i) if i in hit else ("alone", j) if j in hit else "other"
    except Exception:  # noqa: BLE001 - an expression that fails here says nothing of a boundary
        return None


def _crosses(eq: _Equation, a: Any, b: Any) -> bool:
    if a is None or b is None or a == 0 or b == 0 or a == b:
        return False
    return a != "other" and b != "other" if eq.best is not None else a == -b


# --- the whole -------------------------------------------------------------------------------

class _Clock:
    def __init__(self, budget_s: float) -> None:
        self.deadline = time.monotonic() + budget_s

    def out(self) -> bool:
        return time.monotonic() > self.deadline


def _box(claim: Claim, grid: Mapping[str, Sequence[Any]], fixed: Mapping[str, Any],
         clock: _Clock) -> tuple[list[dict[str, Any]], str]:
    """The box's points within the constraint, and how it was read."""
    ints = _integer_vars(grid)
    if not ints:
        return [], "not enumerated: no integer grid variable"
    # the size from each range's ends: building the ranges first took all memory for an
    # init_seed grid [0, 2**31 - 1] (a seed's limit), before the size said not to
    size = math.prod(max(v) - min(v) + 1 if k in ints else len(v) for k, v in grid.items())
    if size > MAX_BOX_POINTS:
        return [], f"not enumerated: {size} points, more than {MAX_BOX_POINTS}"
    axes = _axes([], grid)
    names, out = list(axes), []
    for n, combo in enumerate(itertools.product(*axes.values())):
        if clock.out():
            return out, f"enumerated in part: {n} of {_n(size)} (time budget)"
        p = {**dict(zip(names, combo, strict=True)), **fixed}
        if claim.constraint_expr is not None:
            try:
                if not claim.constraint_holds(p, "box"):
                    continue
            except Exception:  # noqa: BLE001 - a point the constraint cannot decide is left out
                continue
        out.append(p)
    return out, f"enumerated: {_n(size)}, {len(out)} within the constraint" \
        if claim.constraint_expr is not None else f"enumerated: {_n(size)}"


def case_coverage(claim: Claim, family: Any, profile: str, *,
                  known: Mapping[str, str | None] | None = None,
                  skip_box: str = "", budget_s: float = BUDGET_S) -> CaseCoverage:
    """The cases and case boundaries that ``claim``'s grid in ``profile`` reaches (module
    docstring for the definitions). ``family``: the claim's family (``closed_form(params)``
    returning an object with a ``case`` label); ``known``: the label already computed at grid
    points, by :func:`~slttheory.verify.claims.common.point_key` (``None``: that point's closed
    form failed), so that the closed form is not called there again; ``skip_box``: a reason not
    to enumerate the box (its closed form ran out of time). Never raises for a family's error.
    """
    clock = _Clock(budget_s)
    grid = claim.grid_for(profile)
    names = list(grid)
    points = claim.points(profile)
    fixed = {k: v for k, v in points[0].items() if k not in grid} if points else dict(claim.fixed)
    formula = getattr(getattr(family, "formula", None), "__name__", "") or ""
    has_formula = family is not None and getattr(family, "formula", None) is not None
    labels: list[str | None] = []
    first_error = ""
    for p in points:
        key = point_key(p)
        if known is not None and key in known:
            labels.append(known[key])
            continue
        if not has_formula or clock.out():
            labels.append(None)
            continue
        try:
            labels.append(_label(family, p))
        except Exception as e:  # noqa: BLE001 - reported as "not computed"
            labels.append(None)
            first_error = first_error or f"{_show(p, names)}: {type(e).__name__}: {e}"[:300]
    reached: dict[str, list[int]] = {}
    for i, lab in enumerate(labels):
        if lab is not None:
            reached.setdefault(lab, []).append(i)
    missing = [i for i, lab in enumerate(labels) if lab is None]
    if not first_error and missing:
        first_error = _show(points[missing[0]], names)
    status, why = "ok", ""
    if not has_formula:
        status, why = "not computed", "the family has no closed form"
    elif not reached:
        status, why = "not computed", "the closed form failed at every grid point"

    box_pts, box_text = _box(claim, grid, fixed, clock)
    if skip_box and box_pts:
        box_pts, box_text = [], f"not enumerated: {skip_box}"
    grid_keys = {point_key(p): lab for p, lab in zip(points, labels, strict=True)}
    box_labels: list[str | None] = []
    box_only: dict[str, str] = {}
    box_failed = 0
    if status == "ok":
        for p in box_pts:
            key = point_key(p)
            if key in grid_keys:
                box_labels.append(grid_keys[key])
                continue
            if clock.out():
                box_labels.append(None)
                continue
            try:
                lab = _label(family, p)
            except Exception:  # noqa: BLE001 - outside the family's domain, or its error
                lab = None
                box_failed += 1
            box_labels.append(lab)
            if lab is not None and lab not in reached:
                box_only.setdefault(lab, _show(p, names))
        if box_failed:
            box_text += f"; the closed form failed at {box_failed} of them"
        if clock.out() and box_pts:
            box_text += f"; the time budget ({budget_s:g} s) ran out"
    boundaries = _family_boundaries(points, labels, grid, names, box_pts, box_labels) \
        if status == "ok" else []
    boundaries += _expression_boundaries(claim, points, grid, names, box_pts, clock)
    return CaseCoverage(
        formula=formula, status=status, why=why, grid_points=len(points),
        reached=tuple(CaseReach(lab, len(ix), _show(points[ix[0]], names))
                      for lab, ix in reached.items()),
        not_computed=len(missing) if has_formula else 0,
        not_computed_example=first_error if has_formula and missing else "",
        box=box_text,
        box_only=tuple(CaseReach(lab, 0, ex) for lab, ex in box_only.items()),
        boundaries=tuple(boundaries))


def _expression_boundaries(claim: Claim, points, grid, names, box_pts, clock
                           ) -> list[Boundary]:
    out = []
    terms = claim.list_terms
    pairs = _neighbours(points, grid, unit=False)
    for eq in _equations(claim):
        if clock.out():
            out.append(Boundary(eq.source, "not computed", equation=eq.text))
            continue
        # the clock before each point, as the module docstring says: checked per equation
        # only, one equation over 10⁴ grid points took 13 s of a 5 s budget (an audit)
        states = []
        for p in points:
            if clock.out():
                break
            states.append(_state(eq, p, terms))
        if len(states) < len(points):
            out.append(Boundary(eq.source, "not computed", equation=eq.text))
            continue
        on = [i for i, s in enumerate(states) if s == 0]
        if on:
            out.append(Boundary(eq.source, ON, equation=eq.text, on=len(on),
                                example=_show(points[on[0]], names)))
            continue
        across = sorted(((gap, i, j) for i, j, gap in pairs
                         if _crosses(eq, states[i], states[j])))
        if across:
            gap, i, j = across[0]
            out.append(Boundary(eq.source, STRADDLED if gap == 1 else BRACKETED,
                                equation=eq.text,
                                example=_pair(points[i], points[j], names)))
            continue
        example = ""
        for p in box_pts:
            if clock.out():
                break
            if _state(eq, p, terms) == 0:
                example = _show(p, names)
                break
        out.append(Boundary(eq.source, NOT_REACHED, equation=eq.text, example=example))
    return out


# --- text ------------------------------------------------------------------------------------

def _n(k: int, what: str = "point") -> str:
    return f"{k} {what}{'' if k == 1 else 's'}"


_SOURCE = {"predicted": "of predicted", "constraint": "an edge of the constraint"}


def short_case(label: Any) -> str:
    """A case label up to its first colon, where that leaves a name (the rest states the
    conditions, which ``report.json`` keeps).

    >>> short_case("case 2: m+h < n+r"), short_case("normal crossing")
    ('case 2', 'normal crossing')
    """
    head = str(label).split(":", 1)[0].strip()
    return head or str(label)


def coverage_text(d: Mapping[str, Any], *, short: Callable[[str], str] = str) -> str:
    """One line for the reports from ``report.json``'s ``case_coverage``: the cases reached,
    those met only in the box, and the boundaries by status. ``short`` shortens a label.

    >>> print(coverage_text({"formula": "f", "status": "ok", "reached": [{"label": "A",
    ...     "points": 2, "example": "d=1"}], "box": "enumerated: 3 points",
    ...     "box_only": [{"label": "B", "points": 0, "example": "d=2"}], "boundaries": [
    ...     {"source": "family", "status": "not reached", "between": ["A", "B"],
    ...      "equation": "", "on": 0, "example": "d=1 | d=2"}]}))  # doctest: +NORMALIZE_WHITESPACE
    Cases of f: reached A (2 points); not reached in the grid's box: B (e.g. d=2).
    Boundaries: not reached A | B (in the box at d=1 | d=2). Box: enumerated: 3 points.
    """
    try:
        return _text(d, short)
    except (KeyError, TypeError, AttributeError, ValueError):  # a report.json edited by hand
        return "Cases: case_coverage could not be read."


def _text(d: Mapping[str, Any], short: Callable[[str], str]) -> str:
    formula = d.get("formula") or "the family's formula"
    parts = []
    if d.get("status") != "ok":
        parts.append(f"Cases of {formula}: not computed ({d.get('why', '')})")
    else:
        reached = ", ".join(f"{short(r['label'])} ({_n(r['points'])})" for r in d["reached"])
        parts.append(f"Cases of {formula}: reached {reached}")
        if d.get("not_computed"):
            parts[-1] += (f"; not computed at {_n(d['not_computed'])} (first: "
                          f"{d.get('not_computed_example', '')})")
        if d.get("box_only"):
            parts[-1] += "; not reached in the grid's box: " + ", ".join(
                f"{short(r['label'])} (e.g. {r['example']})" for r in d["box_only"])
    lines = []
    for b in d.get("boundaries", []):
        what = " | ".join(short(x) for x in b["between"]) if b["source"] == "family" \
            else f"{b['equation']} ({_SOURCE.get(b['source'], b['source'])})"
        if b["status"] == ON:
            lines.append(f"on {what} at {_n(b['on'])} (e.g. {b['example']})")
        elif b["status"] in (STRADDLED, BRACKETED):
            lines.append(f"{b['status']} {what} ({b['example']})")
        else:
            lines.append(f"{b['status']} {what}"
                         + (f" (in the box at {b['example']})" if b.get("example") else ""))
    text = parts[0] + "."
    if lines:
        text += " Boundaries: " + "; ".join(lines) + "."
    if d.get("box"):
        text += f" Box: {d['box']}."
    return text
