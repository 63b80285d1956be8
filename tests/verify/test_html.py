"""report.html: content checks on a synthetic report, bounded output for large grids, robustness
to a growing schema, and the page loaded in headless Chromium (table drawn, filter works,
figures decoded).

The browser tests skip only when Chromium is absent *and* ``CI`` is unset; in CI (``CI=true``,
see ``.ci/run``, which installs Chromium) a missing browser fails the test.
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slttheory.verify.report.html import (
    MAX_PAGE_POINT_ROWS,
    MAX_POINT_ROWS,
    render_html,
    write_html,
)

REPO = Path(__file__).resolve().parents[2]
VERDICTS = ("confirmed", "refuted", "inconclusive", "error")


# --- fixtures --------------------------------------------------------------------------------


def make_point(i: int, verdict: str, *, d: int = 3, k: int = 2) -> dict[str, Any]:
    """A point shaped like report.json's (closed form, rank and LLC routes)."""
    return {
        "params": {"d": d, "k": k + i},
        "verdict": verdict,
        "reason": f"{verdict}: point {i}; exact Jacobian rank {5 + i} gives λ = {5 + i}/2, "
        "LLC λ̂ = 2.48 ± 0.14 is consistent with the prediction " + "x" * 200,
        "predicted": 3.0 + i,
        "predicted_exact": str(3 + i),
        "closed_form": {"status": "ok", "value": 2.5, "exact": "5/2", "multiplicity": "1",
                        "case": "K < d", "source": "Thm G.2", "lower": None, "upper": None,
                        "error": None},
        "rank": {"status": "ok", "rank": 5 + i, "n_params": 8 + i, "lambda": (5 + i) / 2,
                 "certified": True, "determines_lambda": True,
                 "bound": 5.112e-7, "reason": "minimally singular", "error": None},
        "llc": {"status": "ok", "mean": 2.479 + 0.01 * i, "std_error": 0.135,
                "diagnostics": {"ess": 154.6, "rhat": 1.014, "acceptance_rate": 0.99,
                                "divergent": False, "estimated_bias": 0.02,
                                "calibration": {"candidates": [1e-5] * 12,
                                                "scores": [0.003] * 12}},
                "clean": verdict != "inconclusive",
                "problems": [] if verdict != "inconclusive" else ["R-hat 1.06 > 1.05"],
                "config": {"n": 1000, "chains": 4, "draws": 2000, "step_size": 1e-4 * (1 + i)},
                "note": "w* generic", "elapsed_s": 3.7, "error": None},
        "elapsed_s": 3.7,
    }


def make_report(n_points: int = 2) -> dict[str, Any]:
    claims = [
        {
            "id": "quad-thm4.2",
            "title": "Under-parametrised quadratic network: λ = K(d + p − 1)/2",
            "source": "Cullen et al. 2026, arXiv 2603.01192, Theorem 4.2",
            "family": "quadratic_network",
            "kind": "closed_form",
            "path": "verification/q.toml",
            "predicted": "k*(d + p - 1)/2",
            "relation": "==",
            "evidence": ["closed_form", "rank", "llc"],
            "verdict": "confirmed",
            "reason": "confirmed at all points",
            "figure": "figures/quad.png",
            "fits": [],
            "points": [make_point(i, "confirmed") for i in range(n_points)],
        },
        {
            "id": "poly-regular",
            "title": "Polynomial regression is regular",
            "source": "Lakkapragada 2025, arXiv 2512.00686, Q2 Experiment 1",
            "family": "polynomial_regression",
            "kind": "closed_form",
            "path": "verification/p.toml",
            "predicted": "exp(degree)",  # not allowed by the safe parser: shown as text
            "verdict": "refuted",
            "reason": "refuted: rank 3 < 4",
            "figure": "figures/missing.png",
            "points": [make_point(0, "refuted")],
        },
        {
            "id": "arrhenius",
            "title": "Arrhenius <script>alert('title')</script> & co",
            "source": "Lakkapragada 2025, arXiv 2512.00686, Q1 Exp. 1",
            "family": "experiment:arrhenius_grokking",
            "kind": "experiment",
            "path": "verification/e.toml",
            "verdict": "inconclusive",
            "reason": "inconclusive: interval contains 0",
            "figure": "figures/quad.png",
            "fits": [],
            "points": [],
            "experiment": {
                "name": "arrhenius_grokking",
                "settings": {"p": 23, "runs": 12, "lr": 0.005},
                "criteria": [{"criterion": {"statistic": "slope", "alpha": 0.05},
                              "text": "slope negative", "verdict": "inconclusive",
                              "reason": "CI contains 0",
                              "statistic": {"estimate": -0.01, "low": -0.02, "high": 0.01,
                                            "level": 0.95, "method": "OLS", "n": 12}}],
                "statistics": {"slope": {"estimate": -0.01, "low": -0.02, "high": 0.01,
                                         "level": 0.95, "method": "OLS", "n": 12, "note": ""}},
                "tables": {"runs": [{"seed": s, "log_r": 6.0 + s} for s in range(12)]},
                "figures": [{"name": "a", "title": "log r against ΔF", "path": "figures/quad.png",
                             "data": {"x": [1, 2]}}],
                "records": [{"series": list(range(100))}] * 3,
                "runs": 12,
                "stages_computed": 36,
                "stages_reused": 0,
                "elapsed_s": 11.7,
                "error": None,
            },
            # keys this renderer does not know yet (the schema grows)
            "scope": "p = 23 only",
            "model_differences": ["MSE instead of cross-entropy"],
            "mystery_field": {"unseen": "VALUE-OF-MYSTERY"},
        },
    ]
    return {
        "schema_version": 1,
        "profile": "quick",
        "created": "2026-01-01T00:00:00+00:00",
        "wall_s": 12.0,
        "compute_s": 11.0,
        "environment": {"python": "3.11", "torch": "2.x", "device": "cpu",
                        "platform": "linux", "slttheory": "0.1.0"},
        "summary": {"confirmed": 1, "refuted": 1, "inconclusive": 1, "error": 0},
        "claims": claims,
    }


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory) -> Path:
    """A report folder with one real PNG figure drawn by matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = tmp_path_factory.mktemp("report")
    (out / "figures").mkdir()
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([1, 2, 3], [1, 4, 9], "o-")
    fig.savefig(out / "figures" / "quad.png", dpi=60)
    plt.close(fig)
    return out


class _Tags(HTMLParser):
    """Every start tag with its attributes, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    p = _Tags()
    p.feed(page)
    return p.tags


def section(page: str, anchor: str) -> str:
    """The HTML of one claim's section."""
    return page.split(f'<section class="claim" id="{anchor}"', 1)[1].split("</section>", 1)[0]


# --- content ---------------------------------------------------------------------------------


def test_page_is_self_contained(out_dir):
    page = render_html(make_report(), figures_dir=out_dir)
    for tag, attrs in tags(page):
        assert tag != "link", "no external stylesheets"
        for name in ("src", "href"):
            v = attrs.get(name)
            if v is not None:
                assert v.startswith(("#", "data:")), f"<{tag} {name}={v[:40]!r}> is not inline"
    assert "@import" not in page and "url(" not in page


def test_figure_is_inlined_and_missing_figure_is_a_note(out_dir):
    page = render_html(make_report(), figures_dir=out_dir)
    srcs = [a["src"] for t, a in tags(page) if t == "img"]
    prefix = "data:image/png;base64,"
    assert srcs and all(s.startswith(prefix) for s in srcs)
    assert base64.b64decode(srcs[0][len(prefix):]) == (out_dir / "figures/quad.png").read_bytes()
    assert "figure figures/missing.png is missing" in page
    # the figures folder itself works as figures_dir too
    assert prefix in render_html(make_report(), figures_dir=out_dir / "figures")
    # no folder: notes, nothing inlined, no exception
    bare = render_html(make_report(), figures_dir=None)
    assert prefix not in bare and "no figures folder given" in bare


def test_figure_paths_outside_the_folder_are_not_read(out_dir):
    rep = make_report()
    rep["claims"][0]["figure"] = "../" + out_dir.name + "/figures/quad.png"
    rep["claims"][1]["figure"] = str(out_dir / "figures" / "quad.png")  # absolute
    page = render_html(rep, figures_dir=out_dir)
    assert page.count("path leaves the report folder") == 2


def test_formulas_are_mathml_from_the_safe_parser(out_dir):
    page = render_html(make_report(), figures_dir=out_dir)
    # k*(d + p - 1)/2 as a fraction with identifiers
    assert "<math><mrow><mfrac><mrow><mi>k</mi>" in page
    # exact values: 5/2 as a fraction with its decimal
    assert "<mfrac><mn>5</mn><mn>2</mn></mfrac></math>" in page and "(2.5)" in page
    # exp is not in the parser's whitelist (sympify would accept it): plain text instead
    assert "<code>exp(degree)</code>" in page


def test_text_is_escaped(out_dir):
    page = render_html(make_report(), figures_dir=out_dir)
    assert page.count("<script") == 1  # the page's own script only
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt; &amp; co" in page


def test_known_future_and_unknown_keys_are_shown(out_dir):
    page = render_html(make_report(), figures_dir=out_dir)
    assert "p = 23 only" in page  # scope
    assert "MSE instead of cross-entropy" in page  # model_differences
    assert "mystery_field" in page and "VALUE-OF-MYSTERY" in page  # generic
    assert "slope negative" in page and "36 stage(s) computed" in page  # experiment
    assert "3 run record(s)" in page  # records are summarised, not dumped


def test_point_table_has_routes_grades_and_reasons(out_dir):
    rep = make_report()
    p = rep["claims"][0]["points"][0]
    p["grade"] = "A"
    p["llc"]["grade"] = "strong"
    page = render_html(rep, figures_dir=out_dir)
    assert "2.479 ± 0.135" in page and "ESS 154.6" in page and "R̂ 1.014" in page
    assert "rank 5 of 8 → λ = " in page  # rank → λ
    assert '<span class="grade">strong</span>' in page and "<th>grade</th>" in page
    # a route text equal at every point is shown once above the table, not in every row
    sec = section(page, "c-quad-thm4.2")
    assert sec.count("minimally singular") == 1 and "The same at every point" in sec
    rep["claims"][0]["points"][1]["rank"]["reason"] = "another reason"
    sec = section(render_html(rep, figures_dir=out_dir), "c-quad-thm4.2")
    assert sec.count("minimally singular") == 1 and sec.count("another reason") == 1
    assert "step_size" in page and "varies between points (2 values)" in page  # settings


def test_point_details_show_the_rank_bound_under_report_json_key(out_dir):
    """The details read ``rank.schwartz_zippel_bound``, a key report.json never has (its field
    is ``bound``), so the bound was never shown; and a "<" rounded down was not true."""
    rep = make_report()
    page = render_html(rep, figures_dir=out_dir)
    assert "P(a higher generic rank unseen) ≤ 5.2e-07" in page
    rep["claims"][0]["points"][0]["rank"]["bound"] = 0.0
    assert "the rank is maximal" in render_html(rep, figures_dir=out_dir)


def test_write_html_writes_next_to_the_report(out_dir):
    path = write_html(make_report(), out_dir)
    assert path == out_dir / "report.html"
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_report_must_be_a_mapping():
    with pytest.raises(TypeError, match="report"):
        render_html([], figures_dir=None)  # type: ignore[arg-type]


def test_large_claim_shows_counts_and_worst_points_only(out_dir):
    rng = random.Random(0)
    rep = make_report()
    verdicts = ["error"] * 10 + ["refuted"] * 30 + ["inconclusive"] * 500
    verdicts += ["confirmed"] * (20_000 - len(verdicts))
    rng.shuffle(verdicts)
    rep["claims"][0]["points"] = [make_point(i % 7, v) for i, v in enumerate(verdicts)]
    t0 = time.perf_counter()
    page = render_html(rep, figures_dir=out_dir)
    elapsed = time.perf_counter() - t0
    sec = section(page, "c-quad-thm4.2")
    rows = [a.get("data-verdict") for t, a in tags(sec) if t == "tr" and "data-verdict" in a]
    assert len(rows) == MAX_POINT_ROWS
    # worst first: every error, then refuted, then inconclusive
    assert rows == ["error"] * 10 + ["refuted"] * 30 + ["inconclusive"] * 10
    assert "20000 points" in sec and "every point is in report.json" in sec
    assert "19460 confirmed" in sec and "500 inconclusive" in sec
    assert len(page) < 1_000_000, len(page)
    assert elapsed < 30  # generous: 20 000 points take well under a second on an idle core


def test_markdown_and_html_list_the_same_worst_points_in_one_order(out_dir):
    """A large grid's summary lists its worst points: the Markdown had listed refutations
    before errors and the HTML errors before refutations, so the two files of one report
    showed different points first. Both now take :func:`worst_points`' order."""
    from slttheory.verify.report.markdown import render_markdown

    rep = make_report()
    verdicts = ["confirmed"] * 40 + ["refuted"] * 12 + ["inconclusive"] * 5 + ["error"] * 3
    c = rep["claims"][0]
    c["points"] = [make_point(i, v) | {"grade": "certified"} for i, v in enumerate(verdicts)]
    c["point_counts"] = {v: verdicts.count(v) for v in set(verdicts)}
    sec = section(render_html(rep, figures_dir=out_dir), "c-quad-thm4.2")
    rows = [a.get("data-verdict") for t, a in tags(sec) if t == "tr" and "data-verdict" in a]
    md = render_markdown(rep)
    listed = md[md.index("worst are listed"):]
    md_rows = [line.rsplit("|", 2)[1].split()[0] for line in listed.splitlines()
               if line.startswith("| d=")]
    assert md_rows == ["error"] * 3 + ["refuted"] * 12 + ["inconclusive"] * 5, md_rows
    assert rows[:20] == md_rows, rows


def test_many_claims_stay_small(out_dir):
    """200 claims with 100 points each (20 000 points): a page of a few MB at most."""
    rep = make_report()
    base = rep["claims"][0]
    rng = random.Random(1)
    rep["claims"] = [
        dict(base, id=f"claim-{j}", family=f"fam{j % 7}",
             points=[make_point(i % 5, rng.choice(VERDICTS)) for i in range(100)])
        for j in range(200)
    ]
    page = render_html(rep, figures_dir=out_dir)
    assert page.count('<section class="claim"') == 200
    rows = sum(1 for t, a in tags(page) if t == "tr" and a.get("data-verdict") and not a.get(
        "data-family"))
    assert rows == MAX_PAGE_POINT_ROWS  # 10 per claim
    assert len(page.encode()) < 5_000_000


def test_quick_reference_report_renders_completely():
    """The committed reference report: every claim present, every figure inlined."""
    folder = REPO / "reports" / "reference"
    if not (folder / "report.json").is_file():
        pytest.skip("reports/reference/report.json is not in this checkout")
    rep = json.loads((folder / "report.json").read_text())
    page = render_html(rep, figures_dir=folder)
    for c in rep["claims"]:
        assert f'id="c-{c["id"].lower()}"' in page or c["id"] in page
    assert "is missing" not in page and "could not render" not in page
    n_figs = len({f for c in rep["claims"] for f in [c.get("figure"), c.get("scan_figure")]
                  + [x.get("path") for x in (c.get("experiment") or {}).get("figures", [])] if f})
    assert any(c.get("scan_figure") for c in rep["claims"])  # the LLC scans are drawn
    assert page.count("data:image/png;base64,") == n_figs


# --- robustness: any JSON in any key ---------------------------------------------------------

_scalars = (st.none() | st.booleans() | st.integers(-10**9, 10**9)
            | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12))
_json = st.recursive(
    _scalars,
    lambda ch: st.lists(ch, max_size=4) | st.dictionaries(st.text(max_size=6), ch, max_size=4),
    max_leaves=10,
)
_POINT_KEYS = ["params", "verdict", "reason", "predicted", "predicted_exact", "closed_form",
               "rank", "llc", "elapsed_s", "grade"]
_ROUTE = st.fixed_dictionaries({}, optional={k: _json for k in (
    "status", "value", "exact", "multiplicity", "rank", "n_params", "lambda", "certified",
    "determines_lambda", "mean", "std_error", "diagnostics", "clean", "problems", "config",
    "lower", "upper", "grade")})
_point = st.fixed_dictionaries({}, optional={
    **{k: _json for k in _POINT_KEYS}, "closed_form": _ROUTE, "rank": _ROUTE, "llc": _ROUTE,
    "verdict": st.sampled_from(VERDICTS) | _json})
_CLAIM_KEYS = ["id", "title", "source", "family", "kind", "path", "predicted", "relation",
               "evidence", "verdict", "reason", "figure", "fits", "experiment", "statement",
               "notes", "scaling", "scope", "model_differences", "hypotheses", "controls",
               "summary_large", "grade", "other"]
_claim = st.fixed_dictionaries({}, optional={
    **{k: _json for k in _CLAIM_KEYS},
    "points": st.lists(_point, max_size=3) | _json,
    "predicted": st.sampled_from(["k*(d+1)/2", "7/2", "1.5", "x__", "(", "min(k, d)"]) | _json,
    "experiment": st.fixed_dictionaries({}, optional={k: _json for k in (
        "name", "settings", "criteria", "statistics", "tables", "figures", "records", "runs")}),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims=st.lists(_claim, max_size=3) | _json, extra=_json)
def test_any_json_renders_without_exceptions(claims, extra):
    rep = {"profile": "p", "claims": claims, "environment": extra, "summary": extra, "x": extra}
    page = render_html(rep, figures_dir=None)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count("<script") == 1
    assert "could not render" not in page  # the last-resort guard in render_html never fires


# --- in a real browser -----------------------------------------------------------------------


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("Chromium is required in CI (.ci/run installs Debian's chromium package)")
    pytest.skip("Chromium is not installed (apt-get install chromium); CI runs this test")


def run_chromium(browser: str, url: str, tmp: Path, *extra: str) -> str:
    cmd = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp / 'profile'}", *extra, url,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def body_and_rows(dom: str) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    t = tags(dom)
    body = next(a for tag, a in t if tag == "body")
    rows, seen_claims = [], False
    for tag, a in t:
        if tag == "table" and a.get("id") == "claims":
            seen_claims = True
        elif tag == "section":
            seen_claims = False
        elif tag == "tr" and seen_claims and "data-verdict" in a:
            rows.append(a)
    imgs = [a for tag, a in t if tag == "img"]
    return body, rows, imgs


@pytest.fixture(scope="module")
def page_url(out_dir) -> str:
    return write_html(make_report(), out_dir).as_uri()


def test_browser_draws_table_and_figures(out_dir, page_url, tmp_path):
    dom = run_chromium(_chromium(), page_url, tmp_path, "--dump-dom")
    body, rows, imgs = body_and_rows(dom)
    assert body.get("data-script") == "ran"
    assert body.get("data-rows") == "3" and body.get("data-shown") == "3"
    assert len(rows) == 3 and not any("hidden" in r for r in rows)
    # figures decoded: the script records each image's naturalWidth after load, which must be
    # the PNG's own width (IHDR, bytes 16-20)
    width = int.from_bytes((out_dir / "figures/quad.png").read_bytes()[16:20], "big")
    assert width > 0
    assert imgs and [a.get("data-natural-width") for a in imgs] == [str(width)] * len(imgs)
    assert body.get("data-images-drawn") == str(len(imgs))
    assert "<mfrac>" in dom  # MathML survived parsing into the DOM


def test_browser_filters_from_the_address(out_dir, page_url, tmp_path):
    browser = _chromium()
    dom = run_chromium(browser, page_url + "#verdict=refuted", tmp_path, "--dump-dom")
    body, rows, _ = body_and_rows(dom)
    assert body.get("data-shown") == "1"
    assert [r["data-verdict"] for r in rows if "hidden" not in r] == ["refuted"]
    sections = {a["id"]: "hidden" in a for tag, a in tags(dom) if tag == "section"}
    assert sections == {"c-quad-thm4.2": True, "c-poly-regular": False, "c-arrhenius": True}
    url = page_url + "#source=Lakkapragada+2025&family=experiment%3Aarrhenius_grokking"
    body, rows, _ = body_and_rows(run_chromium(browser, url, tmp_path, "--dump-dom"))
    assert body.get("data-shown") == "1"
    assert [r["data-family"] for r in rows if "hidden" not in r] == [
        "experiment:arrhenius_grokking"]
    body, rows, _ = body_and_rows(run_chromium(browser, page_url + "#q=polynomial", tmp_path,
                                               "--dump-dom"))
    assert [r["data-family"] for r in rows if "hidden" not in r] == ["polynomial_regression"]


def test_browser_screenshot(out_dir, page_url, tmp_path):
    shot = tmp_path / "shot.png"
    run_chromium(_chromium(), page_url, tmp_path, f"--screenshot={shot}",
                 "--window-size=1280,1600")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_reports_name_the_estimator_revision():
    """Provenance: the environment records the estimator revision, and both renderings show it
    (a stored report then says which estimator rules made its LLCs)."""
    from slttheory.sampling.estimator import ESTIMATOR_REVISION
    from slttheory.verify.report import environment
    from slttheory.verify.report.markdown import render_markdown

    env = environment("cpu")
    assert env["estimator_revision"] == ESTIMATOR_REVISION
    rep = make_report()
    rep["environment"] = {**rep["environment"], "estimator_revision": ESTIMATOR_REVISION}
    bare = {"profile": "quick", "created": "now", "environment": rep["environment"],
            "summary": {}, "claims": []}
    assert f"estimator revision {ESTIMATOR_REVISION}" in render_markdown(bare)
    assert f"estimator revision {ESTIMATOR_REVISION}" in render_html(rep, figures_dir=None)


def test_closed_form_cells_show_the_value_and_points_show_the_relation():
    """The html closed-form cell printed the boolean flag "exact" (True) instead of the value
    in every row of the reference report; the points tables dropped the claim's relation, so a
    refuted "λ < 3/2" read "3/2 | 3/2"; measured hypotheses were listed without saying which
    the claim assumes."""
    from slttheory.verify.report import html, markdown

    cell = html._cf_cell({"status": "ok", "value": "5/2", "exact": True, "value_float": 2.5,
                          "grade": "context"})
    assert "True" not in cell and "5" in cell and "2.5" in cell
    bounds = html._cf_cell({"status": "ok", "value": None, "exact": True, "lower": "9/2",
                            "upper": "6"})
    assert "True" not in bounds and "[" in bounds
    row = {"params": {"d": 2}, "predicted_exact": "3/2", "closed_form": None, "rank": None,
           "llc": None, "verdict": "refuted", "grade": "certified"}
    assert "| λ < 3/2 |" in "\n".join(markdown._points_table([row], "<"))
    at = {**row, "at_point": {"hypotheses": [{"name": "stage_two", "met": False,
                                              "measured": "val 0.4"}]}}
    text = "\n".join(markdown._checks([at], assumed=("true_parameter",)))
    assert "`stage_two` NOT met (val 0.4; not a hypothesis of this claim)" in text


def test_llc_cells_show_the_band_and_statistics_say_what_they_are_about():
    """The html LLC cell showed λ̂ ± s.e. without the controlled band the verdict used; the
    experiments' statistic tables did not say which numbers are the seed's estimator output
    or need controls (verification/README.md says such statistics are labelled)."""
    from slttheory.verify.report import html
    from slttheory.verify.report.experiments import about_label

    lc = {"status": "ok", "mean": 0.5942, "std_error": 0.0598, "grade": "controlled",
          "band": {"controlled": True, "low": 0.3757, "high": 1.162}}
    assert "band [0.3757, 1.162]" in html._llc_cell(lc)
    assert "band" not in html._llc_cell({**lc, "band": {"controlled": False}})
    # the estimator's own interval where it spans its laws, as report.md shows it
    assert "CI [0.41, 0.83]" in html._llc_cell({**lc, "ci": [0.41, 0.83], "law_error": 0.1})
    assert "CI" not in html._llc_cell({**lc, "ci": [0.41, 0.83]})
    assert about_label({"about": "estimator_output"}) == "the seed's estimator output"
    assert about_label({"about": "lambda", "needs_controls": True}) == "λ (needs LLC controls)"


def test_points_tables_show_every_route_grade_independent_forms_and_a_non_minimum():
    """The rank cell showed no grade; an independent closed form that decided a point (a DLN
    with one hidden layer by reduced-rank regression) had no cell; a w* that is no minimum was
    said under the table, not beside its LLC (issue 10 §1, §3)."""
    from slttheory.verify.report import html, markdown

    rank = {"status": "ok", "rank": 4, "n_params": 6, "determines_lambda": True,
            "lambda": 2.0, "grade": "certified"}
    ind = [{"status": "ok", "formula": "reduced_rank_regression", "value": "2",
            "grade": "certified"}]
    llc = {"status": "ok", "mean": 0.59, "std_error": 0.06, "grade": "controlled",
           "config": {"true_parameter": True}}
    # both records say w0, as the routes write them (report.data.w_star_status)
    saddle = {"status": "ok", "checks": {"is_local_min": False, "reason": "a saddle"},
              "extras": {"true_parameter": True}}
    row = {"params": {"d": 2}, "predicted_exact": "2", "closed_form": None, "rank": rank,
           "independent": ind, "llc": llc, "at_point": saddle, "verdict": "confirmed",
           "grade": "certified"}
    # Markdown escapes in the cells (w\\*, L\\_n) render as the characters: compare those
    text = "\n".join(markdown._points_table([row])).replace("\\", "")
    assert "rank 4 of 6 → λ = 2 (certified)" in text
    assert "reduced_rank_regression: 2 (certified)" in text
    assert "(controlled); w* is not a minimum of L_n: the LLC is the symmetrised" in text
    page = html._points_section({"points": [row]})
    cell = html._cf_cell(None) + html._independent_cells(ind)
    assert "reduced_rank_regression" in cell and "certified" in cell
    assert "not a minimum" in html._not_a_minimum(row)
    assert html._not_a_minimum({**row, "at_point": {"checks": {"is_local_min": True}}}) == ""
    assert html._not_a_minimum({**row, "llc": None}) == ""  # no LLC there: nothing beside it
    assert "true parameter" in html._not_a_minimum(row)
    # records that disagree (the judge's sampled_at_w0 grants no exemption): no w0 said
    for one in ({**row, "llc": {**llc, "config": {}}},
                {**row, "at_point": {**saddle, "extras": {}}}):
        assert "true parameter" not in html._not_a_minimum(one)
        assert "not a minimum" in html._not_a_minimum(one)
    assert "reduced_rank_regression" in page and "not a minimum" in page


def test_true_parameter_points_of_noisy_data_are_said_once_not_flagged_each():
    """With w* measured at every point, 52 of the quick report's points listed "w* is not a
    local minimum" one by one: the true parameter w0 of noisy data, which no L_n has as its
    minimum and which the claims are about. They are now said in one line per claim, with
    the largest gradient; a w* that is not w0 is still listed on its own."""
    from slttheory.verify.report import markdown

    w0 = {"status": "ok", "checks": {"is_local_min": False, "grad_norm": 0.12,
                                     "smallest_eigenvalues": [0.5],
                                     "reason": "not a critical point"},
          "extras": {"true_parameter": True}}
    trained = {"status": "ok", "checks": {"is_local_min": False, "grad_norm": 0.3,
                                          "smallest_eigenvalues": [-1.0], "reason": "a saddle"},
               "extras": {}}
    pts = [{"params": {"d": d}, "at_point": w0} for d in (2, 3)] + \
        [{"params": {"d": 4}, "at_point": trained}]
    text = "\n".join(markdown._checks(pts))
    assert text.count("true parameter w0") == 1 and "|∇L_n| up to 0.12" in text
    assert "`d=4`: w* is not a local minimum (a saddle" in text


def test_markdown_report_escapes_claim_text_in_experiment_tables():
    """A criterion text with '|' split the experiment table's row, and stars or underscores
    in a claim's text turned into emphasis in report.md (the HTML report always escaped)."""
    from slttheory.verify.report import markdown

    entry = {"experiment": {"name": "e", "runs": 1, "criteria": [
        {"text": "slope | 2*k_eff > 0", "criterion": {"alpha": 0.05}, "verdict": "confirmed",
         "statistic": {"estimate": 1.0, "low": 0.5, "high": 1.5, "method": "OLS", "n": 5}}],
        "settings": {"lr": 0.1}}}
    row = next(line for line in markdown._experiment(entry) if line.startswith("| slope"))
    assert row.count(" | ") == 4  # five cells: the text's '|' is escaped, not a column
    assert "slope \\| 2\\*k\\_eff" in row
    assert "`lr=0.1`" in "\n".join(markdown._experiment(entry))


def test_scaling_points_that_only_enter_the_fit_say_so():
    """A confirmed scaling claim's points read 'inconclusive (none)' in both formats: they only
    enter the fit, which decides the claim."""
    from slttheory.verify.report import html
    from slttheory.verify.report.markdown import _verdict_cell

    p = {"verdict": "inconclusive", "grade": "none",
         "reason": "inconclusive: scaling point at d=1, it enters the fit only"}
    assert _verdict_cell(p) == "in the fit (the claim's verdict)"
    assert _verdict_cell({**p, "reason": "inconclusive at d=1: no route"}) == \
        "inconclusive (none)"
    rep = make_report()
    rep["claims"][0]["points"][0].update(p)
    page = html.render_html(rep, figures_dir=None)
    assert "in the fit" in page


def markdown_report() -> dict[str, Any]:
    """:func:`make_report` with each point's grade, as the writer records it (the page needs
    none; the Markdown renderer reads it)."""
    rep = make_report()
    for c in rep["claims"]:
        for p in c.get("points", []):
            p.setdefault("grade", "certified")
    return rep


def test_markdown_anchors_are_unique_per_claim():
    """Ids that differ only in case (both reported as errors, as duplicates) shared one
    Markdown anchor, and both summary links led to the first section (an outside audit); the
    HTML anchors were already unique."""
    import copy
    import re

    from slttheory.verify.report.markdown import render_markdown

    rep = markdown_report()
    second = copy.deepcopy(rep["claims"][0])
    second["id"] = rep["claims"][0]["id"].upper()
    rep["claims"].append(second)
    text = render_markdown(rep)
    anchors = re.findall(r'<a id="([^"]+)"></a>', text)
    links = re.findall(r"\]\(#([^)]+)\)", text)
    assert len(anchors) == len(set(anchors)) == len(rep["claims"])
    assert set(links) == set(anchors)
    # a repeat's "-2" may be another claim's own id (a review of the fix above)
    from slttheory.verify.report.html import _anchors
    from slttheory.verify.report.markdown import claim_anchors

    ids = [{"id": "a-b"}, {"id": "A-B"}, {"id": "a-b-2"}]
    assert len(set(claim_anchors(ids))) == 3 and len(set(_anchors(ids))) == 3


def test_a_counterfactual_reading_is_marked_apart_in_both_reports():
    """A claim that applies a source's formula to a model its statement does not cover (App.
    G's biased formula on the centred loss, which hides c; Thm 5.1 on a loss that is not
    per-sample) was counted with the readings a source admits (‡) in the headline's refuted
    (an outside audit of the claims against their sources). It is marked † and counted
    apart, and its reading is labelled counterfactual."""
    import copy

    from slttheory.verify.report.html import render_html
    from slttheory.verify.report.markdown import render_markdown

    rep = markdown_report()
    stated, cf = copy.deepcopy(rep["claims"][0]), copy.deepcopy(rep["claims"][0])
    stated.update(id="stated", verdict="confirmed", reading="plain MSE")
    cf.update(id="cf", verdict="refuted", reading="the centred loss", counterfactual=True)
    rep["claims"] = [stated, cf]
    text = render_markdown(rep)
    head = next(line for line in text.splitlines() if line.startswith("Verdicts:"))
    assert "‡ marks the 1 decided (1 confirmed)" in head
    assert "† marks the 1 decided (1 refuted) on a counterfactual reading" in head
    row = next(line for line in text.splitlines() if line.startswith("| [cf]"))
    assert "**refuted** †" in row and "‡" not in row
    assert "Counterfactual reading: the centred loss." in text
    page = render_html(rep, figures_dir=None)
    assert "†</span>" in page and "<b>Counterfactual reading:</b>" in page


def test_markdown_of_a_file_that_could_not_be_read():
    """A claim file that is no TOML has no title, source or family: its section read
    "**** — " and "Family ``;" (an outside audit); now it names the file."""
    from slttheory.verify.report.markdown import render_markdown

    rep = make_report()
    bad = {"id": None, "path": "verification/bad.toml", "title": "", "source": "",
           "family": "", "kind": "closed_form", "verdict": "error", "grade": "none",
           "reason": "error: malformed TOML", "points": [], "evidence": []}
    rep["claims"] = [bad]
    text = render_markdown(rep)
    assert "****" not in text and "Family ``" not in text
    assert "File `verification/bad.toml`." in text


def test_markdown_lines_from_claim_text_cannot_become_headings_or_html():
    """A statement "# Verdict: confirmed" rendered as a heading, and the Reach line printed a
    constraint's text unescaped (an outside audit: raw HTML with an onerror handler)."""
    from slttheory.verify.report.markdown import render_markdown

    rep = markdown_report()
    c = rep["claims"][0]
    c["statement"] = "# Verdict: confirmed (certified)"
    c["differences"] = ["# fake heading", "---"]
    c["scopes"] = {"confirmed": 'd ∈ {1} with p <k and <img src=x onerror="alert(1)">'}
    text = render_markdown(rep)
    assert "> \\# Verdict" in text and "- \\# fake heading" in text and "- \\---" in text
    assert "<img" not in text and "&lt;img" in text and "p &lt;k" in text
