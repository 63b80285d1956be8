"""``report.html``: the verification report as one self-contained page.

The page is built from the ``report.json`` object alone (schema: :data:`~slttheory.verify.report.
REPORT_SCHEMA`) and needs nothing from the network: figures are inlined as base64 ``data:`` URIs,
formulas are presentation MathML (which browsers render natively), and the filter for the claim
table is a few lines of inline JavaScript. It opens from ``file://`` and works offline.

- Known keys are rendered as tables and formulas; keys this module does not know (the schema
  grows) are shown generically under "other fields", with limits on size and depth.
- A claim with more than :data:`MAX_POINT_ROWS` points (fewer when the page as a whole would
  exceed :data:`MAX_PAGE_POINT_ROWS`) shows its verdict counts and its worst points only
  (errors, then refuted, then inconclusive); the full data stays in ``report.json``.
- ``predicted`` expressions and exact values are parsed with the safe parser
  :func:`~slttheory.verify.expr.parse_predicted` (never ``eval``/``sympify``) and printed with
  ``sympy.printing.mathml(..., printer="presentation")``; text that does not parse is shown
  as written.
- All text from the report is escaped; a missing or malformed key never raises.

>>> page = render_html({"profile": "quick", "claims": []}, figures_dir=None)
>>> page.startswith("<!DOCTYPE html>") and "quick" in page
True
"""

from __future__ import annotations

import ast
import base64
import html
import json
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal, localcontext
from functools import lru_cache
from pathlib import Path
from typing import Any

from slttheory.verify.judge import VERDICTS, fmt_point
from slttheory.verify.judge.boundaries import coverage_text, short_case
from slttheory.verify.judge.facts import rank_is_affine, sz_text
from slttheory.verify.report.data import (
    GRADE_LEGEND,
    band_words,
    counterfactual_decided,
    edge_text,
    only_in_fit,
    point_rank_text,
    printable,
    reading_decided,
    relation_symbol,
    routes_text,
    short_reason,
    shown_settings,
    stored_note,
    unique_names,
    w_star_status,
    worst_points,
)
from slttheory.verify.report.experiments import about_label
from slttheory.verify.report.files import write_text_atomic
from slttheory.verify.report.references import cited

__all__ = [
    "MAX_POINT_ROWS",
    "MAX_PAGE_POINT_ROWS",
    "MIN_POINT_ROWS",
    "MAX_FIGURE_BYTES",
    "render_html",
    "write_html",
]

MAX_POINT_ROWS = 50
"""A claim with more points than this shows verdict counts and this many of its worst points."""

MAX_PAGE_POINT_ROWS = 2000
"""Point rows in the whole page: with many claims, each shows fewer (at least
:data:`MIN_POINT_ROWS`), so that the page stays a few MB (about 1 kB per row)."""

MIN_POINT_ROWS = 10
"""Point rows a claim with that many points always shows, however many claims there are."""

MAX_FIGURE_BYTES = 8 * 1024 * 1024
"""Figures larger than this are not inlined (a note says so)."""

_VERDICTS = VERDICTS
_MIME = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}

# claim keys rendered by _claim_section; every other key goes to "other fields"
_CLAIM_KNOWN = {
    "id", "title", "source", "family", "kind", "path", "predicted", "relation", "evidence",
    "verdict", "reason", "figure", "scan_figure", "fits", "experiment", "points", "statement",
    "notes", "scaling", "scope", "model_differences", "hypotheses", "controls",
    "summary_large", "grade", "scopes", "reading", "counterfactual", "differences", "cases",
    "point_counts", "grid", "fixed", "defaults", "case_coverage",
}
_POINT_KNOWN = {
    "params", "verdict", "reason", "predicted", "predicted_exact", "closed_form", "rank", "llc",
    "elapsed_s", "grade", "facts", "at_point", "independent", "stored",
}
_EXPERIMENT_KNOWN = {
    "name", "settings", "criteria", "statistics", "summary", "tables", "runs", "stages_computed",
    "stages_reused", "elapsed_s", "error", "figures", "records",
}
_REPORT_KNOWN = {
    "schema_version", "profile", "created", "wall_s", "compute_s", "environment", "summary",
    "decided_on_readings", "claims",
}


# --- small formatting helpers ----------------------------------------------------------------


def _esc(x: Any) -> str:
    """Text as HTML, for an element or a quoted attribute: ``<``, ``>``, ``&`` and both quotes
    escaped, and what does not print (NUL, ESC, direction overrides) shown as U+FFFD
    (:func:`~.data.printable`)."""
    return html.escape(printable(x), quote=True)


def _get(obj: Any, key: str, default: Any = None) -> Any:
    return obj.get(key, default) if isinstance(obj, Mapping) else default


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _str(obj: Any, key: str, default: str = "") -> str:
    v = _get(obj, key)
    return v if isinstance(v, str) else (default if v is None else str(v))


def _num(v: Any) -> str:
    """Numbers for people: integers as they are, floats to 4 significant digits.

    >>> _num(3), _num(2.479443891956584), _num(float("nan")), _num(None), _num(True)
    ('3', '2.479', 'nan', '–', 'true')
    """
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.4g}" if math.isfinite(v) else str(v)
    return _esc(v)


def _fmt_params(params: Any) -> str:
    """``d=3, k=2`` (:func:`~slttheory.verify.judge.fmt_point`) for whatever ``params`` is."""
    if isinstance(params, Mapping):
        return fmt_point({str(k): v for k, v in params.items()})
    return "" if params is None else str(params)


def _shorten(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:80].lower() or "claim"


def _source_group(source: str) -> str:
    """The paper a source string cites: the text before its first comma.

    >>> _source_group("Cullen et al. 2026, arXiv 2603.01192, Theorem 4.2")
    'Cullen et al. 2026'
    """
    head = source.split(",", 1)[0].strip()
    return _shorten(head, 60) or "(none)"


def _verdict_badge(v: Any) -> str:
    v = v if isinstance(v, str) else "unknown"
    return f'<span class="v v-{_esc(_slug(v))}">{_esc(v)}</span>'


# --- formulas as presentation MathML ---------------------------------------------------------

_INT = re.compile(r"-?\d+")
_FRAC = re.compile(r"(-?)(\d+)/(\d+)")
_DECIMAL_LITERAL = re.compile(r"(?<![\w.])\d*\.\d+|(?<![\w.])\d+\.(?!\w)")
_PLAIN_DECIMAL = re.compile(r"-?\d*\.\d+|-?\d+\.")


def _names_in(text: str) -> list[str]:
    """Variable names in ``text`` (names not in call position); parsing only, nothing runs."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return sorted(
        {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called}
    )


def _decimal_display(expr: Any) -> Any:
    """Rationals with a finite decimal expansion as decimals (for text written with decimals)."""
    import sympy as sp

    reps = {}
    for q in expr.atoms(sp.Rational):
        if q.is_Integer:
            continue
        den = int(q.q)
        while den % 2 == 0:
            den //= 2
        while den % 5 == 0:
            den //= 5
        if den != 1:
            continue
        with localcontext() as ctx:
            ctx.prec = 60
            text = format(Decimal(int(q.p)) / Decimal(int(q.q)), "f")
        reps[q] = sp.Float(text, "")
    return expr.xreplace(reps) if reps else expr


def _plain_names(expr: Any) -> tuple[Any, dict[str, str]]:
    """Stand-ins for names with ``_`` or digits, which the printer would turn into subscripts
    (``feature_rank`` is one variable, not feature with subscript rank)."""
    import sympy as sp

    reps, back = {}, {}
    for i, sym in enumerate(sorted(expr.free_symbols, key=lambda x: x.name)):
        if re.search(r"[_\d\W]", sym.name):  # and list terms: max(powers), widths[0]
            tmp = "Qslt" + "".join(chr(ord("a") + int(c)) for c in f"{i:04d}")
            reps[sym] = sp.Symbol(tmp)
            back[tmp] = sym.name
    return (expr.xreplace(reps) if reps else expr), back


@lru_cache(maxsize=4096)
def _mathml(text: str, variables: tuple[str, ...] = (), lists: tuple[str, ...] = ()
            ) -> str | None:
    """Presentation MathML (``<math>…</math>``) for an expression or exact value, else None.

    Integers and fractions are written directly; everything else goes through the safe parser,
    which reads the variables in ``lists`` (those with list values, :func:`_claim_lists`)
    through their list terms, each shown as written (``max(powers)``); ``max(d)`` of a number
    ``d`` is ``d``.

    >>> _mathml("7/2")
    '<math><mfrac><mn>7</mn><mn>2</mn></mfrac></math>'
    >>> "<mi>k</mi>" in _mathml("k*(d + p - 1)/2")
    True
    >>> _mathml("__import__('os')") is None
    True
    """
    t = text.strip()
    if _INT.fullmatch(t):
        return f"<math><mn>{t}</mn></math>"
    m = _FRAC.fullmatch(t)
    if m:
        sign = "<mo>-</mo>" if m.group(1) else ""
        return f"<math>{sign}<mfrac><mn>{m.group(2)}</mn><mn>{m.group(3)}</mn></mfrac></math>"
    if _PLAIN_DECIMAL.fullmatch(t):
        return f"<math><mn>{t}</mn></math>"
    try:
        from sympy.printing.mathml import mathml

        from slttheory.verify.expr import parse_formula

        names = sorted(set(variables) | set(_names_in(t)))
        expr = parse_formula(t, names, key="predicted", lists=lists).expr
        if _DECIMAL_LITERAL.search(t):
            expr = _decimal_display(expr)
        expr, names_back = _plain_names(expr)
        body = mathml(expr, printer="presentation")
        for tmp, name in names_back.items():
            body = body.replace(f"<mi>{tmp}</mi>", f"<mi>{_esc(name)}</mi>")
    except Exception:  # noqa: BLE001 - any failure falls back to the plain text
        return None
    return f"<math>{body}</math>"


def _formula(text: Any, variables: Sequence[str] = (), *, lists: Sequence[str] = (),
             show_text: bool = False) -> str:
    """MathML for ``text`` with the text as tooltip (and shown beside it when asked);
    ``lists``: the variables whose values are lists (:func:`_mathml`)."""
    if text is None:
        return '<span class="na">–</span>'
    s = str(text)
    mm = _mathml(s, tuple(sorted(str(v) for v in variables)),
                 tuple(sorted(str(v) for v in lists))) if len(s) <= 500 else None
    if mm is None:
        return f"<code>{_esc(s)}</code>"
    simple = _INT.fullmatch(s.strip()) or _FRAC.fullmatch(s.strip())
    out = f'<span class="f">{mm}</span>' if simple else (
        f'<span class="f" title="{_esc(s)}">{mm}</span>')
    if show_text:
        out += f' <code class="src">{_esc(s)}</code>'
    return out


def _value(exact: Any, value: Any = None) -> str:
    """An exact value as MathML, with its decimal when it is not an integer."""
    if exact is None:
        return _num(value)
    s = str(exact)
    out = _formula(s)
    if not _INT.fullmatch(s.strip()):
        if isinstance(value, int | float) and not isinstance(value, bool):
            out += f' <span class="dec">({_num(float(value))})</span>'
        else:
            m = _FRAC.fullmatch(s.strip())
            if m:
                v = int(m.group(2)) / int(m.group(3)) * (-1 if m.group(1) else 1)
                out += f' <span class="dec">({_num(v)})</span>'
    return out


# --- generic rendering of unknown keys -------------------------------------------------------


class _Budget:
    """Characters left for generic rendering (keeps a huge unknown value from bloating a page)."""

    def __init__(self, chars: int):
        self.left = chars


def _generic(v: Any, budget: _Budget, depth: int = 0) -> str:
    """Any JSON value as HTML, bounded in depth, items and total size.

    >>> _generic({"a": [1, 2.5]}, _Budget(10_000))
    '<table class="kv"><tr><th>a</th><td>1, 2.5</td></tr></table>'
    >>> _generic("<x>", _Budget(10_000))
    '&lt;x&gt;'
    """
    if budget.left <= 0:
        return '<span class="na">… (more in report.json)</span>'
    if v is None or isinstance(v, bool | int | float):
        out = _num(v)
    elif isinstance(v, str):
        out = _esc(_shorten(v, 2000))
    elif depth >= 4:
        try:
            text = json.dumps(v, default=str)
        except (TypeError, ValueError):
            text = str(v)
        out = f"<code>{_esc(_shorten(text, 300))}</code>"
    elif isinstance(v, Mapping) and len(v) > 6 and all(_short_value(x) for x in v.values()):
        items = [f"<div><b>{_esc(k)}</b> {_generic(x, budget, depth + 1)}</div>"
                 for k, x in list(v.items())[:200]]
        more = f'<div class="na">… {len(v) - 200} more</div>' if len(v) > 200 else ""
        out = f'<div class="flat">{"".join(items)}{more}</div>'
    elif isinstance(v, Mapping):
        rows = []
        for i, (k, x) in enumerate(v.items()):
            if i >= 60 or budget.left <= 0:
                rows.append(f'<tr><td colspan="2" class="na">… {len(v) - i} more keys</td></tr>')
                break
            rows.append(f"<tr><th>{_esc(k)}</th><td>{_generic(x, budget, depth + 1)}</td></tr>")
        out = f'<table class="kv">{"".join(rows)}</table>' if rows else "{}"
    elif isinstance(v, list | tuple):
        out = _generic_list(list(v), budget, depth)
    else:
        out = _esc(_shorten(str(v), 300))
    budget.left -= len(out)
    return out


def _short_value(x: Any) -> bool:
    """A scalar, or a short list of scalars: fits one cell of a flat key/value grid."""
    scalar = (type(None), bool, int, float, str)
    if isinstance(x, list):
        return len(x) <= 8 and all(isinstance(y, scalar) for y in x)
    return isinstance(x, scalar) and not (isinstance(x, str) and len(x) > 80)


def _generic_list(v: list[Any], budget: _Budget, depth: int) -> str:
    if not v:
        return "[]"
    if all(x is None or isinstance(x, bool | int | float | str) for x in v):
        head = ", ".join(_num(x) if not isinstance(x, str) else _esc(_shorten(x, 200))
                         for x in v[:30])
        return head + (f' <span class="na">… ({len(v) - 30} more)</span>' if len(v) > 30 else "")
    if all(isinstance(x, Mapping) for x in v):
        keys: list[str] = []
        for x in v[:20]:
            for k in x:
                if k not in keys:
                    keys.append(k)
        if len(keys) <= 12:
            return _table(v, keys, budget, depth, limit=20)
    items = []
    for i, x in enumerate(v):
        if i >= 20 or budget.left <= 0:
            items.append(f'<li class="na">… {len(v) - i} more</li>')
            break
        items.append(f"<li>{_generic(x, budget, depth + 1)}</li>")
    return f'<ol class="gl">{"".join(items)}</ol>'


def _table(rows: Sequence[Any], keys: Sequence[str], budget: _Budget, depth: int, *,
           limit: int) -> str:
    head = "".join(f"<th>{_esc(k)}</th>" for k in keys)
    body = []
    for i, r in enumerate(rows):
        if i >= limit or budget.left <= 0:
            body.append(
                f'<tr><td colspan="{len(keys)}" class="na">… {len(rows) - i} more rows '
                "(all in report.json)</td></tr>"
            )
            break
        cells = "".join(f"<td>{_generic(_get(r, k), budget, depth + 1)}</td>" for k in keys)
        body.append(f"<tr>{cells}</tr>")
    return f'<table class="t"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _other_fields(obj: Any, known: set[str], title: str = "other fields") -> str:
    if not isinstance(obj, Mapping):
        return ""
    extra = {k: v for k, v in obj.items() if k not in known}
    if not extra:
        return ""
    return (
        f'<details class="other"><summary>{_esc(title)} ({len(extra)})</summary>'
        f"{_generic(extra, _Budget(60_000))}</details>"
    )


# --- figures ---------------------------------------------------------------------------------


def _figure(path_text: Any, title: str, figures_dir: Path | None) -> str:
    """An ``<img>`` with the file inlined as a data URI, or a note saying why not."""
    if not isinstance(path_text, str) or not path_text:
        return ""
    cap = f"<figcaption>{_esc(title or path_text)}</figcaption>"

    def note(why: str) -> str:
        return f'<figure class="missing"><p class="note">{_esc(why)}</p>{cap}</figure>'

    if figures_dir is None:
        return note(f"figure {path_text} not embedded (no figures folder given)")
    rel = Path(path_text)
    suffix = rel.suffix.lower()
    if rel.is_absolute() or ".." in rel.parts:
        return note(f"figure {path_text} not embedded: path leaves the report folder")
    if suffix not in _MIME:
        return note(f"figure {path_text} not embedded: not an image file")
    base = Path(figures_dir)
    for cand in (base / rel, base / rel.name):
        try:
            if not cand.is_file():
                continue
            size = cand.stat().st_size
            if size > MAX_FIGURE_BYTES:
                return note(f"figure {path_text} not embedded: {size / 2**20:.1f} MB is too large")
            data = base64.b64encode(cand.read_bytes()).decode("ascii")
        except OSError as e:
            return note(f"figure {path_text} could not be read: {e.strerror or e}")
        return (
            f'<figure><img class="fig" alt="{_esc(title or path_text)}" '
            f'src="data:{_MIME[suffix]};base64,{data}">{cap}</figure>'
        )
    return note(f"figure {path_text} is missing")


# --- points ----------------------------------------------------------------------------------


def _grade(obj: Any) -> str:
    g = _get(obj, "grade")
    return "" if g is None else f' <span class="grade">{_esc(g)}</span>'


def _cf_cell(cf: Any) -> str:
    if not isinstance(cf, Mapping):
        return '<span class="na">–</span>'
    if cf.get("status", "ok") != "ok":
        return f'<span class="err" title="{_esc(cf.get("error") or "")}">error</span>'
    # "value" is the exact text ("exact" is a flag saying so; "value_float" its decimal)
    if cf.get("value") is None and (cf.get("lower") is not None or cf.get("upper") is not None):
        out = f"[{_value(cf.get('lower'))}, {_value(cf.get('upper'))}]"
    else:
        out = _value(cf.get("value"), cf.get("value_float"))
        if cf.get("exact") is False:
            out += ' <span class="warn" title="not exact: never certified">≈</span>'
    if cf.get("formula"):
        out = f'<span title="{_esc(cf.get("formula"))}">{out}</span>'

    mult = cf.get("multiplicity")
    if mult is not None and str(mult) != "1":
        out += f' <span class="dec">m = {_esc(mult)}</span>'
    return out + _grade(cf)


def _independent_cells(forms: Any) -> str:
    """Closed forms of other formulas for the same model (an identity of models, or a bound),
    each on its own line with its formula's name and grade."""
    if not isinstance(forms, list):
        return ""
    return "".join(f'<br><span class="dec">{_esc(f.get("formula"))}:</span> {_cf_cell(f)}'
                   for f in forms if isinstance(f, Mapping) and f.get("status", "ok") == "ok")


def _rank_cell(rk: Any) -> str:
    if not isinstance(rk, Mapping):
        return '<span class="na">–</span>'
    if rk.get("status", "ok") != "ok":
        return f'<span class="err" title="{_esc(rk.get("error") or "")}">error</span>'
    r, n = rk.get("rank"), rk.get("n_params")
    # "rank 15 of 24", not "15/24", which beside λ columns reads as a rational λ
    out = f"rank {_num(r)} of {_num(n)}"
    if rk.get("determines_lambda") and rk.get("lambda") is not None:  # as report.md: λ only
        # where the rank is certified to give it (RankEvidence.equality_certified)
        lam = _value(f"{r}/2") if isinstance(r, int) and not isinstance(r, bool) else _num(
            rk.get("lambda"))
        out += f" → λ = {lam}"
    if rk.get("point_rank") is not None:
        out += f"; at w*: {_esc(point_rank_text(rk))}"
    if rk.get("certified") is True:
        out += ' <span class="ok" title="certified exact rank">✓</span>'
    if rk.get("determines_lambda") is False:
        out += (' <span class="na" title="the family gives no reason why λ = rank/2 at this '
                'point; a rank at w* bounds λ from below">(λ = rank/2 not justified here)</span>')
    return out + _grade(rk)


def _edge(v: Any, ref: Any) -> str:
    """An interval's end as :func:`_num` writes it, with the digits that keep it on its own
    side of the prediction ``ref`` (:func:`~.data.edge_text`)."""
    if isinstance(v, float) and not isinstance(v, bool) and math.isfinite(v):
        return edge_text(v, ref, 4)
    return _num(v)


def _llc_cell(lc: Any, ref: Any = None) -> str:
    if not isinstance(lc, Mapping):
        return '<span class="na">–</span>'
    if lc.get("status", "ok") != "ok":
        return f'<span class="err" title="{_esc(lc.get("error") or "")}">error</span>'
    mean, se = lc.get("mean"), lc.get("std_error")
    out = _num(mean) if se is None else f'<span class="nw">{_num(mean)} ± {_num(se)}</span>'
    ci = lc.get("ci")
    if isinstance(ci, list | tuple) and len(ci) == 2 and lc.get("law_error"):
        # the estimator's interval spans its finite-nβ laws (as report.md shows it)
        out += (f' <span class="nw">estimator&#39;s CI [{_edge(ci[0], ref)}, '
                f'{_edge(ci[1], ref)}]</span>')
    band = lc.get("band")
    if isinstance(band, Mapping) and band.get("controlled"):  # what the verdict used
        out += (f' <span class="nw" title="{_esc(band_words(lc, ref))}">→ band '
                f'[{_edge(band.get("low"), ref)}, {_edge(band.get("high"), ref)}]</span>')
    if lc.get("clean") is False:
        probs = lc.get("problems")
        tip = "; ".join(map(str, probs)) if isinstance(probs, list) else "diagnostics failed"
        out += f' <span class="warn" title="{_esc(tip)}">⚠</span>'
    return out + _grade(lc)


def _not_a_minimum(p: Mapping[str, Any]) -> str:
    """Beside the LLC: w* is not a minimum of L_n (where the critical-point check says so)."""
    not_min, w0 = w_star_status(p)
    if not isinstance(_get(p, "llc"), Mapping) or not not_min:
        return ""
    tip = _esc(_get(_get(_get(p, "at_point"), "checks"), "reason", ""))
    return (f'<br><span class="warn" title="{tip}">w* is not a minimum of L_n'
            + ("; the LLC is the symmetrised estimand's at the true parameter" if w0 else "")
            + "</span>")


def _diag_cell(lc: Any) -> str:
    d = _get(lc, "diagnostics")
    if not isinstance(d, Mapping):
        return ""
    parts = []
    for key, label in (("ess", "ESS"), ("ess_bulk", "bulk ESS"), ("rhat", "R̂"),
                       ("acceptance_rate", "acc"),
                       ("estimated_bias", "bias")):
        v = d.get(key)
        if isinstance(v, int | float) and not isinstance(v, bool):
            parts.append(f"{label} {_num(float(v))}")
    if d.get("divergent") is True:
        parts.append('<span class="err">divergent</span>')
    return " · ".join(parts)


def _counts(points: Sequence[Any]) -> Counter:
    return Counter("in the fit" if isinstance(p, Mapping) and only_in_fit(p)
                   else str(_get(p, "verdict", "?")) for p in points)


def _counts_html(c: Mapping[str, int]) -> str:
    order = [v for v in _VERDICTS if c.get(v)] + sorted(k for k in c if k not in _VERDICTS)
    return " ".join(f'<span class="v v-{_esc(_slug(v))}">{c[v]} {_esc(v)}</span>' for v in order)


def _row_cap(sizes: Sequence[int]) -> int:
    """Rows per claim: the largest cap ≤ MAX_POINT_ROWS whose rows fit MAX_PAGE_POINT_ROWS.

    >>> _row_cap([3, 60]), _row_cap([100] * 200), _row_cap([100] * 1000)
    (50, 10, 10)
    """
    for cap in range(MAX_POINT_ROWS, MIN_POINT_ROWS, -1):
        if sum(min(n, cap) for n in sizes) <= MAX_PAGE_POINT_ROWS:
            return cap
    return MIN_POINT_ROWS


def _points_section(claim: Mapping[str, Any], cap: int = MAX_POINT_ROWS) -> str:
    points = claim.get("points")
    if not isinstance(points, list) or not points:
        return ""
    n = len(points)
    large = n > cap
    shown = worst_points(points, cap) if large else list(enumerate(points))
    pts = [p for _, p in shown]
    has = {k: any(_get(p, k) is not None for p in pts) for k in ("closed_form", "rank", "llc")}
    has["closed_form"] |= any(_get(p, "independent") for p in pts)
    has_grade = any(_get(p, "grade") is not None for p in pts)
    variables = sorted({str(k) for p in pts if isinstance(_get(p, "params"), Mapping)
                        for k in p["params"]})
    cols = ["#", "point", "predicted"]
    cols += ["closed form"] * has["closed_form"] + ["rank → λ"] * has["rank"]
    cols += ["LLC ± s.e.", "diagnostics"] * has["llc"]
    cols += ["verdict"] + ["grade"] * has_grade + ["time (s)", "reason"]
    head = "".join(f"<th>{c}</th>" for c in cols)
    rows = []
    budget = _Budget(200_000)
    common = _common_notes(points)
    for i, p in shown:
        if not isinstance(p, Mapping):
            rows.append(f'<tr><td>{i + 1}</td><td colspan="{len(cols) - 1}">'
                        f"{_generic(p, budget)}</td></tr>")
            continue
        pe = p.get("predicted_exact")
        cells = [str(i + 1), _esc(_fmt_params(p.get("params"))),
                 _value(pe, p.get("predicted")) if pe is not None else _num(p.get("predicted"))]
        if has["closed_form"]:
            cells.append(_cf_cell(p.get("closed_form")) + _independent_cells(p.get("independent")))
        if has["rank"]:
            cells.append(_rank_cell(p.get("rank")))
        if has["llc"]:
            cells += [_llc_cell(p.get("llc"), p.get("predicted")) + _not_a_minimum(p),
                      _diag_cell(p.get("llc"))]
        cells.append('<span class="na">in the fit</span>' if only_in_fit(p)
                     else _verdict_badge(p.get("verdict")))
        if has_grade:
            g = p.get("grade")  # a point in the fit decides nothing itself: no grade shown
            cells.append("" if g is None or (only_in_fit(p) and g == "none") else _esc(g))
        et = p.get("elapsed_s")
        cells.append(f"{et:.1f}" if isinstance(et, int | float) else _num(et))
        cells.append(_point_reason(p, variables, budget, full=not large, common=common))
        rows.append(
            f'<tr data-verdict="{_esc(p.get("verdict"))}">'
            + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
        )
    note = ""
    if large:
        note = (
            f'<p class="note">{n} points: {_counts_html(_counts(points))}. Shown: the '
            f"{len(shown)} worst (errors, then refuted, inconclusive, confirmed); every point "
            "is in report.json.</p>"
        )
    if common:
        labels = {route: label for route, label, _ in _NOTES}
        note += '<p class="note"><b>The same at every point</b>: ' + "; ".join(
            f"{labels[route]} {k}: {_esc(v)}" for (route, k), v in common.items()) + "</p>"
    return (
        f'{note}<div class="scroll"><table class="t pts"><thead><tr>{head}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></div>'
    )


# per-route texts that are often the same at every point of a claim: shown once if so
_NOTES = (("closed_form", "closed form", ("case", "source")), ("rank", "rank", ("reason",)),
          ("llc", "LLC", ("note",)))


def _common_notes(points: Sequence[Any]) -> dict[tuple[str, str], Any]:
    """(route, key) → text, for the route texts equal (and non-empty) at every point."""
    out = {}
    for route, _, keys in _NOTES:
        for k in keys:
            first = _get(_get(points[0], route), k) if points else None
            if first and all(_get(_get(p, route), k) == first for p in points):
                out[(route, k)] = first
    return out


def _point_reason(p: Mapping[str, Any], variables: Sequence[str], budget: _Budget, *,
                  full: bool, common: Mapping[tuple[str, str], Any] | None = None) -> str:
    reason = _str(p, "reason")
    common = common or {}
    extra = []
    cf, rk, lc = p.get("closed_form"), p.get("rank"), p.get("llc")
    facts = [f for f in _list(p.get("facts")) if isinstance(f, Mapping)]
    if facts:
        extra.append("<p><b>facts</b></p><ul>" + "".join(
            f"<li><b>{_esc(f.get('grade'))}</b> — {_esc(f.get('text'))}"
            + (f" <i>({_esc(f.get('note'))})</i>" if f.get("note") else "") + "</li>"
            for f in facts) + "</ul>")
    at = p.get("at_point")
    if isinstance(at, Mapping):
        chk = at.get("checks") if isinstance(at.get("checks"), Mapping) else {}
        not_min, w0 = w_star_status(p)
        if not_min:
            extra.append("<p><b>w* is not a local minimum of L_n</b>"
                         + (" (w* is the true parameter w0 of noisy data: a minimum of K(w), "
                            "the point the claim is about)" if w0 else "")
                         + f" — {_esc(chk.get('reason'))}</p>")
        hyps = [h for h in _list(at.get("hypotheses")) if isinstance(h, Mapping)]
        if hyps:
            state = {True: "met", False: "NOT met", None: "undecided"}
            extra.append("<p><b>hypotheses at w*</b></p><ul>" + "".join(
                f"<li>{_esc(h.get('name'))}: {state.get(h.get('met'), '?')} — "
                f"{_esc(h.get('measured'))}</li>" for h in hyps) + "</ul>")
    if isinstance(lc, Mapping) and isinstance(lc.get("band"), Mapping):
        b = lc["band"]
        ref = p.get("predicted")
        txt = (f"[{_edge(b.get('low'), ref)}, {_edge(b.get('high'), ref)}], corrected "
               f"{_num(b.get('corrected'))}" if b.get("controlled") else _esc(b.get("why")))
        extra.append(f"<p><b>LLC grade</b> {_esc(lc.get('grade'))} — band {txt}</p>")
    if isinstance(cf, Mapping):
        bits = [f"{k}: {_esc(cf[k])}" for k in ("case", "source", "error")
                if cf.get(k) and ("closed_form", k) not in common]
        if bits:
            extra.append("<p><b>closed form</b> — " + "; ".join(bits) + "</p>")
    if isinstance(rk, Mapping):
        bits = [f"{k}: {_esc(rk[k])}" for k in ("reason", "error")
                if rk.get(k) and ("rank", k) not in common]
        if isinstance(rk.get("bound"), (int, float)) and not isinstance(rk["bound"], bool):
            # report.json's key ("bound"), rounded up
            bits.append(_esc(sz_text(rk["bound"], affine=rank_is_affine(rk))))
        if bits:
            extra.append("<p><b>rank</b> — " + "; ".join(bits) + "</p>")
    if isinstance(lc, Mapping):
        bits = [f"{k}: {_esc(lc[k])}" for k in ("note", "error")
                if lc.get(k) and ("llc", k) not in common]
        if isinstance(lc.get("problems"), list) and lc["problems"]:
            bits.append("problems: " + _esc("; ".join(map(str, lc["problems"]))))
        if bits:
            extra.append("<p><b>LLC</b> — " + "; ".join(bits) + "</p>")
        if full and isinstance(lc.get("diagnostics"), Mapping):
            extra.append("<p><b>LLC diagnostics</b></p>" + _generic(lc["diagnostics"], budget))
    if full:
        other = {k: v for k, v in p.items() if k not in _POINT_KNOWN}
        if other:
            extra.append("<p><b>other fields</b></p>" + _generic(other, budget))
    summ = _esc(_shorten(reason, 90)) or "details"
    return (f'<details class="why"><summary>{summ}</summary><p>{_esc(reason)}</p>'
            f'{"".join(extra)}</details>')


def _settings(claim: Mapping[str, Any]) -> str:
    """LLC settings common to all points, and which settings vary between points."""
    configs = [
        _get(_get(p, "llc"), "config") for p in _list(claim.get("points"))
        if isinstance(_get(_get(p, "llc"), "config"), Mapping)
    ]
    if not configs:
        return ""
    keys: dict[Any, None] = {}
    for c in configs:
        keys.update(dict.fromkeys(c))
    common, varies = {}, {}
    for k in keys:
        first = configs[0].get(k)
        if all(c.get(k) == first for c in configs):
            common[k] = first
        else:
            n = len({repr(c.get(k)) for c in configs})
            varies[k] = f"varies between points ({n} values)"
    return (
        f"<h4>LLC settings ({len(configs)} points)</h4>"
        + _generic({**common, **varies}, _Budget(30_000))
    )


# --- experiments -----------------------------------------------------------------------------


def _interval(s: Any) -> str:
    """``95% [low, high]`` of a statistic, or – when it has no interval."""
    lo, hi, lvl = _get(s, "low"), _get(s, "high"), _get(s, "level")
    if lo is None and hi is None:
        return "–"
    pct = f"{100 * lvl:.0f}% " if isinstance(lvl, int | float) and not isinstance(lvl, bool) else ""
    return f"{pct}[{_num(lo)}, {_num(hi)}]"


def _experiment(e: Any, figures_dir: Path | None) -> tuple[str, str, str]:
    """(criteria and summary, figures, details) of an experiment entry."""
    if not isinstance(e, Mapping):
        return "", "", ""
    head = [
        f"<p>Experiment <code>{_esc(e.get('name', '?'))}</code>: {_num(e.get('runs'))} run(s), "
        f"{_num(e.get('stages_computed'))} stage(s) computed, {_num(e.get('stages_reused'))} "
        f"reused, {_num(e.get('elapsed_s'))} s."
        + (f" {_esc(e['summary'])}." if e.get("summary") else "") + "</p>"
    ]
    if e.get("error"):
        head.append(f'<p class="err">error: {_esc(e["error"])}</p>')
    crit = e.get("criteria")
    if isinstance(crit, list) and crit:
        rows = []
        for o in crit:
            s = _get(o, "statistic") or {}
            rows.append(
                f"<tr><td>{_esc(_str(o, 'text'))} (α = {_num(_get(_get(o, 'criterion'), 'alpha'))})"
                f"</td><td>{_num(_get(s, 'estimate'))}</td><td>{_interval(s)}</td>"
                f"<td>{_esc(_str(s, 'method'))} "
                f"(n = {_num(_get(s, 'n'))})</td><td>{_verdict_badge(_get(o, 'verdict'))}</td>"
                f"<td>{_esc(_str(o, 'reason'))}</td></tr>"
            )
        head.append(
            '<table class="t"><thead><tr><th>criterion</th><th>estimate</th><th>interval</th>'
            "<th>method</th><th>verdict</th><th>reason</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>"
        )
    figs = []
    for f in _list(e.get("figures")):
        if isinstance(f, Mapping) and f.get("path"):
            figs.append(_figure(f.get("path"), _str(f, "title"), figures_dir))
    det = []
    stats = e.get("statistics")
    if isinstance(stats, Mapping) and stats:
        rows = []
        for k, s in stats.items():
            about = about_label(s) if isinstance(s, Mapping) else "–"
            rows.append(
                f"<tr><td>{_esc(k)}</td><td>{_esc(about)}</td><td>{_num(_get(s, 'estimate'))}"
                f"</td><td>{_interval(s)}</td>"
                f"<td>{_esc(_str(s, 'method'))}</td><td>{_num(_get(s, 'n'))}</td>"
                f"<td>{_esc(_str(s, 'note'))}</td></tr>"
            )
        det.append(
            f"<details><summary>all statistics ({len(stats)})</summary><table class=\"t\"><thead>"
            "<tr><th>statistic</th><th>about</th><th>estimate</th><th>interval</th><th>method</th>"
            "<th>n</th><th>note</th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table></details>"
        )
    if isinstance(e.get("settings"), Mapping) and e["settings"]:
        shown = shown_settings(str(e.get("name", "")), e["settings"])  # as report.md
        det.append("<details><summary>settings</summary>"
                   f"{_generic(shown, _Budget(30_000))}</details>")
    tables = e.get("tables")
    if isinstance(tables, Mapping):
        for name, t in tables.items():
            size = f" ({len(t)} rows)" if isinstance(t, list) else ""
            det.append(f"<details><summary>table: {_esc(name)}{size}</summary>"
                       f"{_generic(t, _Budget(60_000))}</details>")
    recs = e.get("records")
    if isinstance(recs, list) and recs:
        det.append(f'<p class="note">{len(recs)} run record(s) with their series: in '
                   "report.json.</p>")
    det.append(_other_fields(e, _EXPERIMENT_KNOWN, "other experiment fields"))
    return "".join(head), "".join(figs), "".join(det)


# --- claims ----------------------------------------------------------------------------------


def _fits(fits: Any) -> str:
    if not isinstance(fits, list) or not fits:
        return ""
    rows = []
    for f in fits[:50]:
        coefs, ses = _get(f, "coefficients"), _list(_get(f, "std_errors"))
        cs = ", ".join(
            f"{_num(c)} ± {_num(s)}" for c, s in zip(coefs, list(ses) + [None] * len(coefs),
                                                     strict=False)
        ) if isinstance(coefs, list) else _esc(coefs)
        xs = _get(f, "x")
        r2, chi2 = _num(_get(f, "r2")), _num(_get(f, "chi2_dof"))
        if isinstance(xs, list) and not xs:
            # a shape with no value it can take (a rival x·log x at x < 0 or 1: its fit is
            # empty, NaN coefficients and R²): the reason says "not fitted", so does the row
            cs, r2, chi2 = ('<span class="na">not fitted (no value it can take)</span>',
                            "–", "–")
        rows.append(
            f"<tr><td>{_esc(_fmt_params(_get(f, 'group')) or '–')}</td>"
            f"<td>{_esc(_str(f, 'source'))}</td><td>{_esc(_str(f, 'shape'))}</td><td>{cs}</td>"
            f"<td>{r2}</td><td>{chi2}</td>"
            f"<td>{len(xs) if isinstance(xs, list) else '–'}</td></tr>"
        )
    return (
        "<h4>Fits</h4><table class=\"t\"><thead><tr><th>group</th><th>route</th><th>shape</th>"
        "<th>coefficients ± s.e.</th><th>R²</th><th>χ²/dof</th><th>points</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _claim_key(c: Mapping[str, Any]) -> str:
    return _str(c, "id") or _str(c, "path") or "(unnamed claim)"


def _claim_attrs(c: Mapping[str, Any]) -> str:
    return (
        f'data-verdict="{_esc(_str(c, "verdict", "unknown"))}" '
        f'data-family="{_esc(_str(c, "family"))}" '
        f'data-source="{_esc(_source_group(_str(c, "source")))}"'
    )


def _claim_vars(c: Mapping[str, Any]) -> list[str]:
    names: set[str] = set()
    pts = c.get("points")
    if isinstance(pts, list):
        for p in pts[:100]:
            params = _get(p, "params")
            if isinstance(params, Mapping):
                names.update(str(k) for k in params)
    return sorted(names)


def _claim_lists(c: Mapping[str, Any]) -> list[str]:
    """The claim's variables with a list among their values (in its grid or at a point), which
    its formulas use through list terms (``max(powers)``), as the claim's loader reads them.

    >>> _claim_lists({"grid": {"powers": [[1, 2], [3]], "d": [1, 2]},
    ...               "points": [{"params": {"d": 1, "widths": [2, 3], "powers": [1, 2]}}]})
    ['powers', 'widths']
    """
    names: set[str] = set()
    grid = c.get("grid")
    if isinstance(grid, Mapping):
        names.update(str(k) for k, vals in grid.items()
                     if isinstance(vals, list) and any(isinstance(v, list) for v in vals))
    pts = c.get("points")
    if isinstance(pts, list):
        for p in pts[:100]:
            params = _get(p, "params")
            if isinstance(params, Mapping):
                names.update(str(k) for k, v in params.items() if isinstance(v, list))
    return sorted(names)


def _list_or_text(v: Any) -> str:
    if isinstance(v, str):
        return f"<p>{_esc(v)}</p>"
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return "<ul>" + "".join(f"<li>{_esc(x)}</li>" for x in v) + "</ul>"
    return _generic(v, _Budget(30_000))


def _claim_section(
    c: Mapping[str, Any], anchor: str, figures_dir: Path | None, cap: int = MAX_POINT_ROWS
) -> str:
    """One claim's section: its head (verdict, scope, reading, statement), what it states and
    how it was checked, the reason and notes, figures, then the evidence in folded details."""
    exp_head, exp_figs, exp_det = _experiment(c.get("experiment"), figures_dir)
    out = _claim_head(c, anchor) + [f"<p>{m}.</p>" for m in _claim_meta(c)]
    out += _claim_reasons(c)
    out.append(exp_head)
    figs = _claim_figures(c, figures_dir, exp_figs)
    if figs:
        out.append(f'<div class="figs">{figs}</div>')
    out += _claim_evidence(c, cap)
    out.append(exp_det)
    out.append(_other_fields(c, _CLAIM_KNOWN))
    out.append('<p class="top"><a href="#top">↑ claims</a></p></section>')
    return "".join(out)


def _claim_head(c: Mapping[str, Any], anchor: str) -> list[str]:
    """The section's opening, the verdict heading, title, scope and reach, reading, statement."""
    out = [
        f'<section class="claim" id="{_esc(anchor)}" {_claim_attrs(c)}>',
        f"<h2>{_verdict_badge(c.get('verdict'))} {_esc(_claim_key(c))}</h2>",
        f'<p class="title"><b>{_esc(_str(c, "title"))}</b> — {_esc(_str(c, "source"))}</p>',
    ]
    if c.get("scope") is not None:
        out.append(f'<p class="scope"><b>Scope:</b> {_esc(c["scope"])}</p>')
    if isinstance(c.get("scopes"), Mapping) and c["scopes"]:
        reach = "; ".join(f"{_verdict_badge(v)} at {_esc(w)}" for v, w in c["scopes"].items())
        out.append(f'<p class="scope"><b>Reach:</b> {reach}</p>')
    if c.get("reading"):
        label = "Counterfactual reading" if c.get("counterfactual") else "Reading"
        out.append(f'<p class="reading"><b>{label}:</b> {_esc(c["reading"])}</p>')
    if c.get("statement"):
        out.append(f"<blockquote>{_esc(c['statement'])}</blockquote>")
    return out


def _claim_meta(c: Mapping[str, Any]) -> list[str]:
    """What the claim predicts (a formula, a scaling) and how it was checked (family, kind,
    routes, file, grade), one sentence each."""
    meta = []
    if c.get("predicted") is not None:
        pf = _formula(c["predicted"], _claim_vars(c), lists=_claim_lists(c), show_text=True)
        meta.append(f"Predicted: λ {_relation(c)} {pf}")
    sc = c.get("scaling")
    if isinstance(sc, Mapping):
        meta.append(
            f"Scaling: {_esc(_str(sc, 'shape'))} in <code>{_esc(_str(sc, 'variable'))}</code>, "
            f"min R² {_num(sc.get('min_r2'))}"
            + (f", stated coefficients {_generic(sc['coefficients'], _Budget(2000))}"
               if sc.get("coefficients") else "")
        )
    ev = c.get("evidence")
    routes = routes_text(c) if isinstance(ev, list) else _esc(ev or "–")
    meta.append(
        f"Family <code>{_esc(_str(c, 'family'))}</code>; kind {_esc(_str(c, 'kind'))}; "
        f"routes: {_esc(routes)}; file <code>{_esc(_str(c, 'path'))}</code>"
        + (f"; grade {_esc(c['grade'])}" if c.get("grade") is not None else "")
    )
    return meta


def _claim_reasons(c: Mapping[str, Any]) -> list[str]:
    """The verdict's reason, the notes, where the model differs from the source's, the cases
    of the formula on the grid and the hypotheses."""
    out = [f'<p class="reason"><b>Reason.</b> {_esc(_str(c, "reason"))}</p>']
    if c.get("notes"):
        out.append(f'<p class="notes"><b>Notes.</b> {_esc(c["notes"])}</p>')
    if isinstance(c.get("fixed"), dict) and c["fixed"]:  # part of every verdict's reach
        out.append("<p><b>Fixed at every point:</b> "
                   + _esc(", ".join(f"{k} = {v}" for k, v in c["fixed"].items())) + "</p>")
    if isinstance(c.get("defaults"), dict) and c["defaults"]:
        out.append("<p><b>Family parameters the claim leaves at their defaults:</b> "
                   + _esc(", ".join(f"{k} = {v}" for k, v in c["defaults"].items())) + "</p>")
    for key in ("model_differences", "differences"):
        if c.get(key):
            out.append("<details open><summary>Where the model differs from the source's"
                       f"</summary>{_list_or_text(c[key])}</details>")
    covered = isinstance(c.get("case_coverage"), dict) and \
        c["case_coverage"].get("status") == "ok"  # it lists the cases reached, with more
    if c.get("cases") and not covered:
        out.append("<p><b>Cases of the family's formula on this grid:</b> "
                   f"{_esc('; '.join(map(str, _list(c['cases']))))}</p>")
    if isinstance(c.get("case_coverage"), dict):
        out.append('<p class="coverage"><b>Case coverage.</b> '
                   f"{_esc(coverage_text(c['case_coverage'], short=short_case))}</p>")
    if c.get("hypotheses"):
        out.append("<details><summary>Hypotheses</summary>"
                   f"{_list_or_text(c['hypotheses'])}</details>")
    return out


def _claim_figures(c: Mapping[str, Any], figures_dir: Path | None, experiment_figs: str
                   ) -> str:
    """The claim's own figure (unless its experiment shows the same file), the experiment's
    figures, then the LLC scans."""
    figs = experiment_figs
    fig = c.get("figure")
    if isinstance(fig, str) and fig and not (
        isinstance(c.get("experiment"), Mapping)
        and any(_get(f, "path") == fig for f in _list(c["experiment"].get("figures")))
    ):
        figs = _figure(fig, "", figures_dir) + figs
    scan_fig = c.get("scan_figure")
    if isinstance(scan_fig, str) and scan_fig:
        figs += _figure(scan_fig, "LLC temperature scans", figures_dir)
    return figs


def _claim_evidence(c: Mapping[str, Any], cap: int) -> list[str]:
    """Folded details: the points, the LLC controls, the large grid's summary, fits and
    settings."""
    out = []
    pts = c.get("points")
    if isinstance(pts, list) and pts:
        out.append(
            f"<details><summary>Evidence: {len(pts)} point(s) — "
            f"{_counts_html(_counts(pts))}</summary>{_points_section(c, cap)}</details>"
        )
    ctl = _controls_table(pts if isinstance(pts, list) else [])
    if ctl:
        out.append(f"<details><summary>LLC controls</summary>{ctl}</details>")
    if c.get("summary_large") is not None:
        out.append("<details open><summary>Summary of the large grid</summary>"
                   f"{_generic(c['summary_large'], _Budget(60_000))}</details>")
    settings = _fits(c.get("fits")) + _settings(c)
    if settings:
        out.append(f"<details><summary>Fits and settings</summary>{settings}</details>")
    return out


def _controls_table(points: Sequence[Any]) -> str:
    """Each deciding LLC's controls: certified λ, estimates per data set, bias ± spread."""
    rows, seen = [], set()
    for p in points[:MAX_POINT_ROWS]:
        band = _get(_get(p, "llc"), "band")
        for ctl in _list(_get(band, "controls")):
            key = (_fmt_params(_get(p, "params")), _get(ctl, "family"), str(_get(ctl, "params")))
            if key in seen:
                continue
            seen.add(key)
            est = ", ".join(_num(v) for v in _list(_get(ctl, "estimates")))
            rows.append(
                f"<tr><td>{_esc(key[0])}</td><td>{_esc(_get(ctl, 'family'))} "
                f"{_esc(_fmt_params(_get(ctl, 'params')))} ({_esc(_get(ctl, 'kind'))})</td>"
                f"<td>{_num(_get(ctl, 'lambda'))}</td><td>{_esc(est) or '–'}</td>"
                f"<td>{_num(_get(ctl, 'bias'))} ± {_num(_get(ctl, 'spread'))}</td>"
                f"<td>{_esc(_get(ctl, 'certified_by'))}</td></tr>")
    if not rows:
        return ""
    return ("<table><tr><th>point</th><th>control</th><th>certified λ</th><th>λ̂ per data "
            "set</th><th>bias ± spread</th><th>certified by</th></tr>" + "".join(rows)
            + "</table>")


def _reading_mark(c: Mapping[str, Any]) -> str:
    """The summary row's mark of a verdict decided on one stated reading (‡) or on a
    counterfactual one (†), with its meaning as a tooltip."""
    if reading_decided(c):
        return ' <span title="on one stated reading of a source that admits several">‡</span>'
    if counterfactual_decided(c):
        return (' <span title="on a counterfactual reading: the source&#x27;s formula on a '
                'model its statement does not cover">†</span>')
    return ""


def _claim_row(c: Mapping[str, Any], anchor: str) -> str:
    pts = c.get("points")
    counts = _counts_html(_counts(pts)) if isinstance(pts, list) and pts else "–"
    reason = _str(c, "reason")
    return (
        f"<tr {_claim_attrs(c)}>"
        f'<td><a href="#{_esc(anchor)}">{_esc(_claim_key(c))}</a></td>'
        f"<td>{_esc(_str(c, 'family')).replace('_', '_<wbr>').replace(':', ':<wbr>')}</td>"
        f"<td>{_esc(_source_group(_str(c, 'source')))}</td>"
        f'<td><div class="pred">{_prediction_cell(c)}</div></td>'
        f"<td>{_verdict_badge(c.get('verdict'))}"
        + (f"<br><small>{_esc(c['grade'])}</small>" if c.get("grade") not in (None, "none")
           else "")
        + _reading_mark(c)
        + f"</td><td>{counts}</td>"
        f'<td title="{_esc(reason)}">{_esc(short_reason(reason, 180))}</td></tr>'
    )


def _relation(c: Mapping[str, Any]) -> str:
    return _esc(relation_symbol(_str(c, "relation", "==")))


def _prediction_cell(c: Mapping[str, Any]) -> str:
    """λ's predicted formula, or an experiment's criteria as text."""
    pred = c.get("predicted")
    if pred is not None:
        return (f'<span class="nw">λ {_relation(c)} '
                f'{_formula(pred, _claim_vars(c), lists=_claim_lists(c))}</span>')
    crit = _get(c.get("experiment"), "criteria")
    if isinstance(crit, list) and crit:
        return "; ".join(_esc(_str(o, "text")) for o in crit[:6] if isinstance(o, Mapping))
    sc = c.get("scaling")
    if isinstance(sc, Mapping):
        return f"{_esc(_str(sc, 'shape'))} in {_esc(_str(sc, 'variable'))}"
    return ""


def _options(name: str, label: str, values: Sequence[str]) -> str:
    opts = "".join(f'<option value="{_esc(v)}">{_esc(v)}</option>' for v in values)
    return (f'<label>{label} <select id="f-{name}" data-key="{name}">'
            f'<option value="">all</option>{opts}</select></label>')


# --- the page --------------------------------------------------------------------------------

_CSS = """
:root{--fg:#1d2126;--mut:#5f6b77;--bg:#fff;--line:#d9dee3;--alt:#f5f7f9;
--ok:#1a7f37;--bad:#c62828;--unk:#9a6700;--errc:#6f42c1}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);
background:var(--bg);margin:0 auto;max-width:1200px;padding:0 16px 40px}
h1{font-size:22px;margin:18px 0 4px}h2{font-size:17px;margin:0 0 4px}h4{margin:10px 0 4px}
.meta,.note,.na,.dec,figcaption,.src{color:var(--mut)}.meta{margin:0 0 10px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--alt);padding:0 3px}
.v{display:inline-block;border-radius:9px;padding:0 7px;font-size:12px;color:#fff;
background:var(--mut);white-space:nowrap}
.v-confirmed{background:var(--ok)}.v-refuted{background:var(--bad)}
.v-inconclusive{background:var(--unk)}.v-error{background:var(--errc)}
a.v{text-decoration:none}.err{color:var(--bad)}.warn{color:var(--unk)}.ok{color:var(--ok)}
.grade{border:1px solid var(--line);border-radius:4px;padding:0 4px;font-size:11px}
.filters{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin:10px 0;
position:sticky;top:0;background:var(--bg);padding:6px 0;border-bottom:1px solid var(--line)}
table{border-collapse:collapse}.t{width:100%;margin:6px 0}
.t th,.t td{border-bottom:1px solid var(--line);padding:3px 6px;text-align:left;
vertical-align:top}.t th{background:var(--alt);font-weight:600}
.t tbody tr:hover{background:var(--alt)}
p,li,blockquote,summary,td,th{overflow-wrap:break-word}.t td{overflow-wrap:anywhere}
#claims{font-size:13px}#claims td:nth-child(1){min-width:140px;word-break:break-word}
#claims td:nth-child(7){min-width:250px}#claims td:nth-child(2){max-width:150px}
#claims .pred{max-width:260px;overflow-x:auto;overflow-y:hidden}.nw{white-space:nowrap}
.pts td:nth-child(2){min-width:110px}.pts td:last-child{min-width:240px}
.pts .f,.pts .dec{white-space:nowrap}
.kv th,.kv td{padding:1px 6px;text-align:left;vertical-align:top;border-bottom:1px solid var(--alt)}
.kv th{font-weight:600;color:var(--mut)}
.scroll{overflow-x:auto}
.flat{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:0 14px}
.flat b{font-weight:600;color:var(--mut)}
section.claim{border-top:2px solid var(--line);padding:12px 0;margin-top:12px}
blockquote{margin:6px 0;padding:2px 10px;border-left:3px solid var(--line);color:var(--mut)}
details{margin:6px 0}summary{cursor:pointer;color:#0b5cad}
details.why summary{color:var(--fg)}details.why p{margin:4px 0;max-width:700px}
.figs{display:flex;flex-wrap:wrap;gap:10px}figure{margin:4px 0}
img.fig{max-width:580px;width:100%;border:1px solid var(--line)}
figure.missing{border:1px dashed var(--line);padding:6px 10px}
.f math{font-size:1.1em;math-style:normal}.top{font-size:12px}
@media print{.filters{position:static}}
"""

_JS = """
(function(){
var body=document.body, rows=[].slice.call(document.querySelectorAll('#claims tbody tr')),
 secs={}, sels=[].slice.call(document.querySelectorAll('.filters select')),
 q=document.getElementById('f-q'), shown=document.getElementById('shown');
[].forEach.call(document.querySelectorAll('section.claim'),function(s){secs[s.id]=s;});
function state(){var st={};sels.forEach(function(s){if(s.value)st[s.dataset.key]=s.value;});
 if(q.value)st.q=q.value;return st;}
function apply(){var st=state(),n=0,text=(st.q||'').toLowerCase();
 rows.forEach(function(r){var ok=true;
  ['verdict','family','source'].forEach(function(k){if(st[k]&&r.dataset[k]!==st[k])ok=false;});
  if(ok&&text&&r.textContent.toLowerCase().indexOf(text)<0)ok=false;
  r.hidden=!ok;var a=r.querySelector('a'),s=a&&secs[a.getAttribute('href').slice(1)];
  if(s)s.hidden=!ok;if(ok)n++;});
 body.dataset.shown=n;shown.textContent=n+' of '+rows.length+' claims';
 var h=new URLSearchParams(st).toString();
 try{history.replaceState(null,'',h?'#'+h:location.pathname+location.search);}catch(e){}}
function fromHash(){var h=location.hash.slice(1);if(h.indexOf('=')<0)return false;
 var p=new URLSearchParams(h);sels.forEach(function(s){var v=p.get(s.dataset.key)||'';
  s.value=[].some.call(s.options,function(o){return o.value===v;})?v:'';});
 q.value=p.get('q')||'';return true;}
sels.forEach(function(s){s.addEventListener('change',apply);});
q.addEventListener('input',apply);
window.addEventListener('hashchange',function(){if(fromHash())apply();});
fromHash();apply();body.dataset.rows=rows.length;body.dataset.script='ran';
function figs(){var imgs=[].slice.call(document.querySelectorAll('img.fig')),k=0;
 imgs.forEach(function(i){i.dataset.naturalWidth=i.naturalWidth;if(i.naturalWidth>0)k++;});
 body.dataset.images=imgs.length;body.dataset.imagesDrawn=k;}
if(document.readyState==='complete')figs();else window.addEventListener('load',figs);
})();
"""


def render_html(report: Mapping[str, Any], *, figures_dir: Path | None) -> str:
    """The report as one self-contained HTML page (figures inlined from ``figures_dir``).

    ``figures_dir`` is the folder the report's figure paths (``figures/x.png``) are relative to
    (normally the report's output folder; the ``figures`` folder itself also works). ``None``:
    no figures are inlined, a note stands in for each.

    >>> r = {"profile": "t", "claims": [{"id": "c1", "verdict": "refuted",
    ...      "predicted": "k*(d + 1)/2", "title": "<b>", "figure": "figures/none.png"}]}
    >>> page = render_html(r, figures_dir=None)
    >>> "<mfrac>" in page, "&lt;b&gt;" in page, "not embedded" in page
    (True, True, True)
    """
    if not isinstance(report, Mapping):
        raise TypeError(f"report: expected a mapping (the report.json object), "
                        f"got {type(report).__name__}")
    fdir = None if figures_dir is None else Path(figures_dir)
    claims_raw = report.get("claims")
    claims = [c for c in claims_raw if isinstance(c, Mapping)] if isinstance(
        claims_raw, list) else []
    bad = len(claims_raw) - len(claims) if isinstance(claims_raw, list) else 0
    anchors = _anchors(claims)
    parts = _page_head(report, claims, bad)
    sections = []
    cap = _row_cap([len(c["points"]) for c in claims if isinstance(c.get("points"), list)])
    for c, a in zip(claims, anchors, strict=True):
        try:
            parts.append(_claim_row(c, a))
            sections.append(_claim_section(c, a, fdir, cap))
        except Exception as e:  # noqa: BLE001 - one odd claim never loses the whole page
            sections.append(
                f'<section class="claim" id="{_esc(a)}" {_claim_attrs(c)}><h2>{_esc(a)}</h2>'
                f'<p class="err">could not render this claim ({_esc(type(e).__name__)}: '
                f"{_esc(e)}); raw data:</p>{_generic(dict(c), _Budget(60_000))}</section>"
            )
    parts.append("</tbody></table>")
    parts += sections
    parts.append(_other_fields(report, _REPORT_KNOWN, "other report fields"))
    refs = cited(json.dumps(report, ensure_ascii=False))
    if refs:
        parts.append("<h2>References</h2><ul>" + "".join(
            f"<li><b>{_esc(r.key)}</b>: {_esc(r.citation)}</li>" for r in refs) + "</ul>")
    parts.append(
        '<p class="note">Generated by slttheory.verify.report.html from report.json (all data is '
        "there).</p>"
    )
    parts.append(f"<script>{_JS}</script></body></html>\n")
    return "\n".join(parts)


def _anchors(claims: list[Mapping[str, Any]]) -> list[str]:
    """One unique HTML anchor per claim, from its key (:func:`~.data.unique_names`)."""
    return unique_names(["c-" + _slug(_claim_key(c)) for c in claims])


def _meta_line(report: Mapping[str, Any]) -> str:
    """Creation time, environment and run times, joined by middle dots."""
    env = report.get("environment")
    env = env if isinstance(env, Mapping) else {}
    meta = [f"created {_esc(_str(report, 'created', '?'))}"]
    for k in ("python", "torch", "device", "platform", "slttheory"):
        if env.get(k) is not None:
            meta.append(f"{k} {_esc(env[k])}")
    if env.get("estimator_revision") is not None:
        meta.append(f"estimator revision {_esc(env['estimator_revision'])}")
    for k, label in (("wall_s", "wall time"), ("compute_s", "point time (sum)")):
        v = report.get(k)
        if isinstance(v, int | float) and not isinstance(v, bool):
            meta.append(f"{label} {v:.0f} s")
    if note := stored_note(report.get("claims")):
        meta.append(note)  # our own text and two counts
    return " · ".join(meta)


def _page_head(report: Mapping[str, Any], claims: list[Mapping[str, Any]],
               bad: int) -> list[str]:
    """The page up to the claims table's body: title, meta line, verdict counts, filters."""
    profile = _str(report, "profile", "?")
    counts = Counter(_str(c, "verdict", "unknown") for c in claims)
    order = [v for v in _VERDICTS if counts.get(v)] + sorted(k for k in counts
                                                              if k not in _VERDICTS)
    badges = " ".join(
        f'<a class="v v-{_esc(_slug(v))}" href="#verdict={_esc(v)}">{counts[v]} {_esc(v)}</a>'
        for v in order
    )
    families = sorted({_str(c, "family") for c in claims})
    sources = sorted({_source_group(_str(c, "source")) for c in claims})
    verdicts = [v for v in _VERDICTS if v in counts] + [v for v in order if v not in _VERDICTS]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>slttheory verification report ({_esc(profile)})</title>",
        f"<style>{_CSS}</style></head>",
        '<body id="top">',
        f"<h1>slttheory verification report <small>({_esc(profile)} profile)</small></h1>",
        f'<p class="meta">{_meta_line(report)}</p>',
        f"<p>{len(claims)} claims: {badges or '–'}</p>",
        "<p class=\"legend\">Grades: " + _esc(GRADE_LEGEND).replace("{b}", "<b>").replace(
            "{/b}", "</b>") + " See <code>verification/README.md</code>.</p>",
    ]
    if bad:
        parts.append(f'<p class="note">{bad} claim entries are not objects and are not shown.</p>')
    parts += [
        '<div class="filters">',
        _options("verdict", "verdict", verdicts),
        _options("family", "family", families),
        _options("source", "source", sources),
        '<label>search <input id="f-q" type="search" placeholder="id, title, reason…"></label>',
        f'<span id="shown" class="note">{len(claims)} of {len(claims)} claims</span></div>',
        '<table class="t" id="claims"><thead><tr><th>claim</th><th>family</th><th>source</th>'
        "<th>prediction</th><th>verdict</th><th>points</th><th>reason</th></tr></thead><tbody>",
    ]
    return parts


def write_html(report: Mapping[str, Any], out_dir: str | Path) -> Path:
    """Write ``report.html`` into ``out_dir`` (figures read from there) and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "report.html"
    return write_text_atomic(path, render_html(report, figures_dir=out))  # whole or none
