"""``report.md``: a summary table, then per claim its verdict, reach, evidence and figures.

Large grids are summarised (counts per verdict, the worst points, a heat map): the Markdown
grows with the number of claims, not of points; every point stays in ``report.json``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from slttheory.verify.judge import fmt_point
from slttheory.verify.judge.boundaries import coverage_text, short_case
from slttheory.verify.report.data import (
    DECIDED,
    GRADE_LEGEND,
    band_words,
    counterfactual_decided,
    counts_text,
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
from slttheory.verify.report.experiments import about_label, fmt_number
from slttheory.verify.report.references import cited

__all__ = ["LARGE", "render_markdown", "slug"]

LARGE = 40
"""Claims with more points than this are summarised (worst ``LARGE // 2`` points listed)."""


def slug(text: str) -> str:
    """A file- and anchor-safe name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:80] or "claim"


def _esc(s: Any, lead: bool = True) -> str:
    r"""Text from a claim file or a reason, safe in a Markdown line or table cell: it can
    neither end the cell nor the line, nor open HTML (a comment would hide the rest of the
    report), nor turn into emphasis, code or a link (``k*(d + p)/2 ... 2*k`` would italicise
    what lies between its stars).

    >>> _esc("a | b\n<!-- c")
    'a \\| b &lt;!-- c'
    >>> _esc("k*(d + 1)/2 and 2*k, K_eff, [x](y)")
    'k\\*(d + 1)/2 and 2\\*k, K\\_eff, \\[x\\](y)'

    Nor, where it starts a line (a statement's quote, a list item), a heading, a rule or a
    list (an outside audit: ``# Verdict: confirmed`` as a statement read as a heading):

    >>> _esc("# Verdict: confirmed"), _esc("---"), _esc("1. item")
    ('\\# Verdict: confirmed', '\\---', '1\\. item')

    An ampersand that would start an entity is escaped, others are left as written:

    >>> _esc("&lt;b&gt; & Watanabe")
    '&amp;lt;b&amp;gt; & Watanabe'

    Control characters and direction overrides show as U+FFFD (:func:`~.data.printable`).
    ``lead=False``: text that never starts a line (within a table row) keeps its first mark.
    """
    text = printable(s).replace("\\", "\\\\")
    for ch in "*_`[]|":
        text = text.replace(ch, "\\" + ch)
    # an ampersand only where it would start an entity (a claim's "&lt;" must not show as
    # "<"); "Aoyagi & Watanabe" stays as written
    text = re.sub(r"&(?=#?\w+;)", "&amp;", text)
    text = (text.replace("\n", " ").replace("\r", " ")
            .replace("<", "&lt;").replace(">", "&gt;"))
    lead = lead and re.match(r"\s*(?:[#+=~-]|\d+[.)])", text)
    if lead:  # a backslash before the mark: CommonMark shows the mark itself
        i = lead.end() - 1
        text = text[:i] + "\\" + text[i:]
    return text


def _code(s: Any, cell: bool = False) -> str:
    """Text for an inline code span: no backtick to close it, no line break (Markdown takes
    everything else inside a code span literally, so nothing is escaped), nothing that does
    not print (:func:`~.data.printable`). ``cell``: the span stands in a table cell, where a
    "|" ends the cell even inside a code span unless escaped (GitHub's tables); outside a
    table the escape would show.

    >>> _code("a|b`c"), _code("a|b", cell=True)
    ("a|b'c", 'a\\\\|b')
    """
    text = printable(s).replace("`", "'").replace("\n", " ").replace("\r", " ")
    return text.replace("|", "\\|") if cell else text


def _num(v: Any, spec: str) -> str:
    """A number of report.json formatted by ``spec``; the non-finite ones, which report.json
    writes as the strings "nan", "inf" and "-inf", as they are."""
    return v if isinstance(v, str) else format(v, spec)


def _fixed(v: Any) -> str:
    """An LLC or its standard error to 3 decimals, or 2 significant digits where 3 decimals
    would write a value that is not zero as 0.000 (a s.e. of 0.0004 had read "± 0.000").

    >>> _fixed(0.5941), _fixed(0.0004), _fixed(-0.0004), _fixed(0.0), _fixed("nan")
    ('0.594', '0.0004', '-0.0004', '0.000', 'nan')
    """
    text = _num(v, ".3f")
    if isinstance(v, int | float) and v != 0 and float(text) == 0:
        return format(v, ".2g")
    return text


def _llc_cell(p: Mapping[str, Any]) -> str:
    lc = p["llc"]
    if lc is None:
        return "–"
    if lc["status"] != "ok":
        return "error"
    if lc.get("mean") is None:
        return "nan"
    se = lc.get("std_error")
    txt = _fixed(lc["mean"]) + (f" ± {_fixed(se)}" if se is not None else "")
    ci = lc.get("ci")
    ref = p.get("predicted")  # no interval's end seems to reach the prediction by rounding
    if ci is not None and lc.get("law_error"):  # the estimator's interval spans its laws
        txt += f", estimator's CI [{edge_text(ci[0], ref)}, {edge_text(ci[1], ref)}]"
    band = lc.get("band") or {}
    if lc.get("grade") == "controlled" and band.get("low") is not None:
        txt += " → " + (band_words(lc, ref)
                        or f"[{edge_text(band['low'], ref)}, {edge_text(band['high'], ref)}]")
    txt += f" ({lc.get('grade', '?')})"
    not_min, w0 = w_star_status(p)
    if not_min:  # beside the LLC, not only under the table
        txt += ("; w* is not a minimum of L_n: the LLC is the symmetrised estimand's at the "
                "true parameter" if w0 else "; w* is not a minimum of L_n")
    return txt


def _form(cf: Mapping[str, Any]) -> str:
    """A closed form's value, or its interval where it bounds λ."""
    return cf["value"] if cf["value"] is not None else f"[{cf['lower']}, {cf['upper']}]"


def _cf_cell(p: Mapping[str, Any]) -> str:
    """The claim's closed form, then the independent ones (other formulas that give λ of the
    same model by an identity of models, or bound it), each with its grade."""
    cf = p["closed_form"]
    parts = []
    if cf is not None:
        parts.append("error" if cf["status"] != "ok" else
                     f"{_form(cf)} ({cf.get('grade', 'none')}, {cf.get('standing', '?')})")
    parts += [f"{i['formula']}: {_form(i)} ({i.get('grade', 'none')})"
              for i in p.get("independent") or () if i.get("status") == "ok"]
    return "; ".join(parts) or "–"


def _rank_cell(p: Mapping[str, Any]) -> str:
    rk = p["rank"]
    if rk is None:
        return "–"
    if rk["status"] != "ok":
        return "error"
    txt = f"rank {rk['rank']} of {rk['n_params']}"  # not "15/24", read beside λ as a rational
    if rk["determines_lambda"] and rk.get("lambda") is not None:
        r = rk["rank"]
        lam = str(r // 2) if isinstance(r, int) and r % 2 == 0 else f"{r}/2"
        txt += f" → λ = {lam}"  # exact, never a rounded float beside exact columns
    if rk.get("point_rank") is not None:
        txt += f"; at w*: {point_rank_text(rk)}"
    return f"{txt} ({rk.get('grade', 'none')})"


def _points_table(points: list[Mapping[str, Any]], relation: str = "==") -> list[str]:
    """One row per point; the predicted column carries the claim's relation (λ < 3/2)."""
    lines = ["| point | predicted | closed forms: the family's formula; independent (grade) "
             "| rank (grade) | LLC ± s.e., CI → band (grade) | verdict (grade) |",
             "|---|---|---|---|---|---|"]
    rel = "" if relation == "==" else f"λ {relation_symbol(relation)} "
    for p in points:
        pe = "–" if p["predicted_exact"] is None else rel + _esc(p["predicted_exact"], False)
        at = fmt_point(p["params"]) or "the point"
        # cells never start a line: a leading "1." or "-" is no list (it had read 1\.600)
        lines.append(f"| {_esc(at, False)} | {pe} | {_esc(_cf_cell(p), False)} | "
                     f"{_esc(_rank_cell(p), False)} | {_esc(_llc_cell(p), False)} | "
                     f"{_verdict_cell(p)} |")
    return lines


def _verdict_cell(p: Mapping[str, Any]) -> str:
    """A point's verdict and grade; a scaling claim's point that only enters its fit says so
    (its 'inconclusive' is not a finding: the claim's fit decides)."""
    if only_in_fit(p):
        return "in the fit (the claim's verdict)"
    return f"{p['verdict']} ({p['grade']})"


def _controls(c: Mapping[str, Any]) -> list[str]:
    """The controls of every LLC that was to decide a point (true λ, λ̂ per data set, band)."""
    rows, seen = [], set()
    for p in c["points"]:
        lc = p.get("llc") or {}
        band = lc.get("band") or {}
        for ctl in band.get("controls", []):
            key = (p["verdict"], fmt_point(p["params"]), ctl["family"], str(ctl["params"]))
            if key in seen:
                continue
            seen.add(key)
            est = ", ".join(f"{v:.3g}" for v in ctl["estimates"] if v is not None)
            rows.append(f"| {_esc(fmt_point(p['params']))} | {_esc(ctl['family'])} "
                        f"{_esc(fmt_point(ctl['params']))} ({_esc(ctl['kind'])}) | "
                        f"{ctl['lambda']:.4g} | {est or '–'} | "
                        f"{(ctl['bias'] or 0):+.1%} ± {(ctl['spread'] or 0):.1%} | "
                        f"{ctl['usable']}/{ctl['runs']} |")
    if not rows:
        return []
    return ["<details><summary>LLC controls (certified λ, estimates per data set, bias)"
            "</summary>", "", "| point | control | true λ | λ̂ per data set | bias ± spread "
            "| usable |", "|---|---|---|---|---|---|", *rows, "",
            "Spread: the standard deviation of λ̂/λ over the data sets, floored at the runs' own "
            "s.e. (RMS of s.e./λ); the band divides by the range of 1 + bias ± 2·spread over "
            "the controls.", "", "</details>", ""]


def _checks(points: list[Mapping[str, Any]], assumed: Sequence[str] = (),
            not_imposed: Sequence[str] = ()) -> list[str]:
    """Points whose w* is not a local minimum, and hypotheses measured at w*, each with its
    role: assumed by the claim (decides), not imposed (a caveat), or neither (shown only)."""
    def role(name: str) -> str:
        return ("assumed by the claim" if name in assumed else "not imposed by the claim"
                if name in not_imposed else "not a hypothesis of this claim")

    rows, at_w0 = [], []
    for p in points[:LARGE]:
        at_ = p.get("at_point") or {}
        chk = at_.get("checks") or {}
        at = _code(fmt_point(p["params"]) or "the point")
        not_min, w0 = w_star_status(p)
        if not_min and w0:
            at_w0.append((at, chk))  # expected there: said once, below
        elif not_min:
            rows.append(f"- `{at}`: w* is not a local minimum ({_esc(chk.get('reason', ''))}; "
                        f"|∇L_n| = {chk.get('grad_norm')}, smallest Hessian eigenvalues "
                        f"{chk.get('smallest_eigenvalues')})")
        for h in at_.get("hypotheses") or []:
            state = {True: "met", False: "NOT met", None: "not decided"}[h.get("met")]
            rows.append(f"- `{at}`: hypothesis `{_code(h.get('name', ''))}` {state} "
                        f"({_esc(h.get('measured', ''))}; {role(h.get('name', ''))})")
    if at_w0:
        g = [c["grad_norm"] for _, c in at_w0 if isinstance(c.get("grad_norm"), int | float)]
        e = [min(c["smallest_eigenvalues"]) for _, c in at_w0 if c.get("smallest_eigenvalues")]
        rows.insert(0, f"- at {len(at_w0)} point(s) ({', '.join(f'`{a}`' for a, _ in at_w0[:4])}"
                    f"{', …' if len(at_w0) > 4 else ''}) w* is the true parameter w0 of noisy "
                    "data, a minimum of K(w) but not of L_n"
                    + ((" (∇L_n = 0" if max(g) == 0 else f" (|∇L_n| up to {max(g):.3g}")
                       if g else " (")
                    + (f", smallest Hessian eigenvalue {min(e):.3g})" if e else ")")
                    + ": the claim is about w0, and an LLC there is the symmetrised "
                    "estimand's, defined at w0")
    head = "Checks at w*:" if len(points) <= LARGE else \
        f"Checks at w* (the first {LARGE} of {len(points)} points; all are in report.json):"
    return [head, "", *rows, ""] if rows else []


def _grade(c: Mapping[str, Any]) -> str:
    """`` (certified)`` after a claim's verdict; nothing where no grade applies (an undecided
    claim, or an experiment, whose criteria are statistics with intervals, not routes)."""
    g = c.get("grade")
    return "" if g in (None, "none") else f" ({g})"


def claim_anchors(claims: Sequence[Mapping[str, Any]]) -> list[str]:
    """One anchor per claim, from its id (or path), lower case, ``-2``, ``-3`` … on repeats:
    ids that differ only in case or in characters the slug drops share a slug, and the
    summary's links had all led to the first of them (an outside audit).

    >>> claim_anchors([{"id": "a-b"}, {"id": "A-B"}, {"id": None, "path": "x.toml"}])
    ['a-b', 'a-b-2', 'x.toml']
    """
    return unique_names([slug(c.get("id") or c.get("path") or "").lower() for c in claims])


def _claim(c: Mapping[str, Any], anchor: str) -> list[str]:
    lines = [f"## {_esc(c['id'] or c['path'])}", "", f'<a id="{anchor}"></a>', ""]
    # the title stripped: "**Title **" (a TOML multi-line string ends in a line break) is no
    # emphasis in CommonMark, and showed its asterisks
    title = printable(c.get("title") or "").strip()
    head = ([f"**{_esc(title)}**"] if title else []) + \
        ([_esc(c["source"])] if c.get("source") else [])
    if head:  # a file that could not be read has neither (it had read "**** — ")
        lines += [" — ".join(head), ""]
    if c.get("statement"):
        lines += [f"> {_esc(c['statement'])}", ""]
    if c.get("predicted"):
        lines.append(f"Predicted: λ {relation_symbol(c.get('relation'))} "
                     f"`{_code(c['predicted'])}`; "
                     f"family `{_code(c['family'])}`; routes: {routes_text(c)}"
                     f"; file `{_code(c['path'])}`.")
    elif c.get("family"):
        lines.append(f"Family `{_code(c['family'])}`; routes: {routes_text(c)}; "
                     f"file `{_code(c['path'])}`.")
    else:
        lines.append(f"File `{_code(c['path'])}`.")
    if c.get("reading"):
        label = "Counterfactual reading" if c.get("counterfactual") else "Reading"
        lines.append(f"{label}: {_esc(c['reading'])}.")
    if c.get("scaling"):
        s = c["scaling"]
        lines.append(f"Scaling: {_esc(s['shape'])} in `{_code(s['variable'])}`"
                     + (f", stated coefficients {s['coefficients']}" if s["coefficients"] else "")
                     + ".")
    lines += ["", f"**Verdict: {c['verdict']}**{_grade(c)}. "
              f"{_esc(c['reason'])}", ""]
    if c.get("scopes"):
        lines += ["Reach: " + "; ".join(f"{v} at {_esc(s)}" for v, s in c["scopes"].items())
                  + ".", ""]
    if c.get("fixed"):  # part of the model tested, and so of every verdict's reach
        lines += ["Fixed at every point: "
                  + ", ".join(f"{_esc(k)} = {_esc(str(v), False)}"
                             for k, v in c["fixed"].items())
                  + ".", ""]
    covered = isinstance(c.get("case_coverage"), dict) and \
        c["case_coverage"].get("status") == "ok"  # it lists the cases reached, with more
    if c.get("cases") and not covered:
        lines += ["Cases of the family's formula on this grid: "
                  + "; ".join(_esc(x) for x in c["cases"]) + ".", ""]
    if isinstance(c.get("case_coverage"), dict):
        lines += [_esc(coverage_text(c["case_coverage"], short=short_case)), ""]
    if c.get("defaults"):
        lines += ["Family parameters the claim leaves at their defaults: "
                  + ", ".join(f"{_esc(k)} = {_esc(str(v), False)}"
                             for k, v in c["defaults"].items())
                  + ".", ""]
    if c.get("differences"):
        lines += ["Where the model differs from the source's:", ""]
        lines += [f"- {_esc(d)}" for d in c["differences"]] + [""]
    if c.get("notes"):
        lines += [f"Notes: {_esc(c['notes'])}", ""]
    if c.get("experiment"):
        return lines + _experiment(c)
    pts = c["points"]
    if len(pts) > LARGE:
        counts = counts_text(c["point_counts"])
        worst = [p for _, p in worst_points(pts, LARGE // 2)]
        lines += [f"{len(pts)} points: {counts}. The {len(worst)} worst are listed (errors, "
                  "then refuted, inconclusive, confirmed); every point is in `report.json`.", ""]
        lines += _points_table(worst, c.get("relation", "==")) + [""]
    elif pts:
        lines += _points_table(pts, c.get("relation", "==")) + [""]
        lines += ["<details><summary>reasons per point</summary>", ""]
        lines += [f"- `{_code(fmt_point(p['params']) or 'the point')}`: {_esc(p['reason'])}"
                  for p in pts]
        lines += ["", "</details>", ""]
    lines += _checks(pts, c.get("hypotheses") or (), c.get("not_imposed") or ())
    lines += _controls(c)
    if c.get("figure"):
        lines += [f"![{_esc(c['id'])}]({c['figure']})", ""]
    if c.get("scan_figure"):
        lines += [f"![{_esc(c['id'])}: LLC temperature scans]({c['scan_figure']})", ""]
    return lines


def _experiment(entry: Mapping[str, Any]) -> list[str]:
    """Markdown lines of an experiment claim's section (after its title and verdict)."""
    e = entry.get("experiment") or {}
    lines = [
        f"Experiment `{_code(e.get('name'))}`: {e.get('runs', 0)} run(s), "
        f"{e.get('stages_computed', 0)} stage(s) computed, {e.get('stages_reused', 0)} "
        f"reused from the store, {e.get('elapsed_s', 0):.1f} s."
    ]
    if e.get("summary"):
        lines[-1] += f" {_esc(e['summary'])}."
    lines.append("")
    if e.get("criteria"):
        lines += ["| criterion | statistic | CI | method | verdict |", "|---|---|---|---|---|"]
        for o in e["criteria"]:
            s = o.get("statistic") or {}
            lines.append(
                f"| {_esc(o['text'])} (α = {o['criterion']['alpha']}) | "
                f"{fmt_number(s.get('estimate'))} | [{fmt_number(s.get('low'))}, "
                f"{fmt_number(s.get('high'))}] | {_esc(s.get('method', '–'))} "
                f"(n = {_esc(s.get('n', '–'))}) | **{_esc(o['verdict'])}** |"
            )
        lines.append("")
    if e.get("statistics"):
        lines += [
            "<details><summary>all statistics</summary>",
            "",
            "| statistic | about | estimate | CI | method | n | note |",
            "|---|---|---|---|---|---|---|",
        ]
        for k, s in e["statistics"].items():
            lvl = s.get("level") or 0
            lines.append(
                f"| `{_code(k, cell=True)}` | {_esc(about_label(s))} | "
                f"{fmt_number(s['estimate'])} | "
                f"{100 * lvl:.0f}% [{fmt_number(s['low'])}, {fmt_number(s['high'])}] | "
                f"{_esc(s['method'])} | {_esc(s['n'])} | "
                f"{_esc(s.get('note', ''))} |"
            )
        lines += ["", "</details>", ""]
    settings = e.get("settings") or {}
    if settings:
        shown = shown_settings(str(e.get("name", "")), settings)
        lines += ["Settings: " + ", ".join(f"`{_code(k)}={_code(v)}`" for k, v in shown.items())
                  + ("" if len(shown) == len(settings) else " (settings of other models left out; "
                     "report.json has all)"), ""]
    for f in e.get("figures", []):
        if f.get("path"):
            lines += [f"![{_esc(f['title'])}]({f['path']})", ""]
    return lines


def _on_a_reading(claims: Sequence[Mapping[str, Any]]) -> str:
    """How many decided verdicts hold on one reading of a source that admits several (marked
    ‡): they say which reading is right no more than the source does; and how many on a
    counterfactual reading (marked †): they say whether the source's formula carries over to
    a model its statement does not cover, not whether the source is right.

    >>> _on_a_reading([{"verdict": "refuted", "reading": "centred"}, {"verdict": "confirmed"}])[:35]
    '; ‡ marks the 1 decided (1 refuted)'
    >>> _on_a_reading([{"verdict": "refuted", "reading": "x", "counterfactual": True}])[:38]
    '; † marks the 1 decided (1 refuted) on'
    """

    def counts(dec: list[str]) -> str:
        return ", ".join(f"{dec.count(v)} {v}" for v in DECIDED if dec.count(v))

    dec = [c["verdict"] for c in claims if reading_decided(c)]
    cf = [c["verdict"] for c in claims if counterfactual_decided(c)]
    out = ""
    if dec:
        out += (f"; ‡ marks the {len(dec)} decided ({counts(dec)}) on one stated reading of a "
                "source that admits several (each claim says which)")
    if cf:
        out += (f"; † marks the {len(cf)} decided ({counts(cf)}) on a counterfactual reading: "
                "the source's formula on a model its statement does not cover (each claim says "
                "why), so they say whether the formula carries over, not whether the source is "
                "right")
    return out


def _mark(c: Mapping[str, Any]) -> str:
    """The table's mark of a verdict decided on a reading (‡) or a counterfactual one (†)."""
    return " ‡" if reading_decided(c) else " †" if counterfactual_decided(c) else ""


def _summary_row(c: Mapping[str, Any], anchor: str) -> str:
    """A claim's row of the summary table."""
    cnt = " ".join(f"{n}{'f' if v == 'in_fit' else v[0]}"
                   for v, n in c.get("point_counts", {}).items() if n) or "–"
    short = short_reason(c["reason"])
    return (f"| [{_esc(c['id'] or c['path'])}](#{anchor}) | {_esc(c['family'])} | "
            f"**{c['verdict']}**{_grade(c)}{_mark(c)} | "
            f"{cnt} | {_esc(short)} |")


def _get(c: Any, key: str) -> str:
    """``c[key]`` as text, "?" where ``c`` has none (a claim entry whose rendering failed)."""
    v = c.get(key) if isinstance(c, Mapping) else None
    return "?" if v is None else str(v)


def _key(c: Any) -> str:
    """A claim entry's id, else its path (as :func:`claim_anchors` names it)."""
    return next((x for x in (_get(c, "id"), _get(c, "path")) if x != "?"), "?")


def _failed_text(e: BaseException) -> str:
    return (f"This claim's section could not be rendered ({type(e).__name__}: {e}; a bug, "
            "please report it); its entry in report.json has every field.")


def render_markdown(report: Mapping[str, Any]) -> str:
    """``report.md`` from the report object."""
    env = report["environment"]
    lines = [
        f"# slttheory verification report ({report['profile']} profile)", "",
        f"Created {report['created']} · slttheory {env['slttheory']}"
        + (f" (estimator revision {env['estimator_revision']})"
           if "estimator_revision" in env else "")
        + f" · python {env['python']} · torch {env['torch']} · device "
        f"{env['device']} · {env['platform']}"
        + (f" · wall time {report['wall_s']:.0f} s" if report.get("wall_s") else "")
        + (f" · {note}" if (note := stored_note(report["claims"])) else ""), "",
        "Verdicts: " + ", ".join(f"{n} {v}" for v, n in report["summary"].items())
        + _on_a_reading(report["claims"]), "",
        "Grades: " + GRADE_LEGEND.replace("{b}", "**").replace("{/b}", "**") + " See "
        "`verification/README.md`.", "",
        "| claim | family | verdict (grade) | points | reason |", "|---|---|---|---|---|",
    ]
    anchors = claim_anchors(report["claims"])
    for c, anchor in zip(report["claims"], anchors, strict=True):
        try:
            lines.append(_summary_row(c, anchor))
        except Exception as e:  # noqa: BLE001 - one claim's row never loses the others'
            lines.append(f"| [{_esc(_key(c))}](#{anchor}) | – | **{_esc(_get(c, 'verdict'))}** "
                         f"| – | {_esc(_failed_text(e))} |")
    lines += ["", "Points: c = confirmed, r = refuted, i = inconclusive, e = error, f = in the "
              "fit (a scaling claim's point, judged by the claim's fit).", ""]
    for c, anchor in zip(report["claims"], anchors, strict=True):
        try:
            lines += _claim(c, anchor)
        except Exception as e:  # noqa: BLE001 - one claim's section never loses the others'
            lines += [f"## {_esc(_key(c))}", "", f'<a id="{anchor}"></a>', "",
                      f"**Verdict: {_esc(_get(c, 'verdict'))}**. {_esc(_get(c, 'reason'))}",
                      "", _esc(_failed_text(e)), ""]
    refs = cited("\n".join(lines))
    if refs:
        lines += ["## References", "", *(f"- **{r.key}**: {_esc(r.citation)}" for r in refs),
                  ""]
    return "\n".join(lines) + "\n"
