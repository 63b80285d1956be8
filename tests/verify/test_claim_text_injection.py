"""Text from a claim file that may come from someone else (a pull request, a shared folder)
is shown as text: in the console, in report.md (GitHub) and in report.html (a browser).

An outside audit of the report writers found the reports themselves escaped every claim
string; the one place a file's own text reached the user unescaped was the name of an
unknown key, quoted as written in the loader's message: its control characters reached the
terminal (``invalid claim: …``, ``--list``, ``--dry-run``), where ``ESC [2K`` and a carriage
return erased the line and wrote a forged one in its place.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from slttheory.verify.claims import BadClaim, load_claims
from slttheory.verify.report.html import render_html
from slttheory.verify.report.markdown import render_markdown
from slttheory.verify.run.engine import load_families

HEAD = """id = "c"
title = "t"
source = "s"
family = "regular"
kind = "closed_form"
predicted = "d/2"
evidence = ["closed_form"]
"""
ESC = "\\u001b[2K\\rconfirmed  fake\\n# Verdict: confirmed\\u202e"


@pytest.mark.parametrize("body, key", [
    (f'"{ESC}" = 1\n[grid]\nd = [1]\n', ""),
    (f'[grid]\nd = [1]\n"{ESC}" = [1]\n', "grid."),
    (f'[grid]\nd = [1]\n[llc]\n"{ESC}" = 1\n', "llc."),
    (f'[grid]\nd = [1]\n[tolerance]\n"{ESC}" = 1\n', "tolerance."),
    (f'[grid]\nd = [1]\n[profiles."{ESC}".grid]\nd = [2]\n', "profiles."),
])
def test_an_unknown_key_is_quoted_with_its_control_characters_escaped(tmp_path, body, key):
    (tmp_path / "c.toml").write_text(HEAD + body, encoding="utf-8")
    (bad,) = load_claims([tmp_path], load_families(None))
    assert isinstance(bad, BadClaim)
    assert not re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]", bad.message), \
        repr(bad.message)
    assert f"{key}\\x1b[2K\\rconfirmed  fake\\n# Verdict: confirmed\\u202e: unknown" \
        in bad.message


def test_a_plain_unknown_key_reads_as_written(tmp_path):
    (tmp_path / "c.toml").write_text(HEAD + "titel = 1\n[grid]\nd = [1]\n", encoding="utf-8")
    (bad,) = load_claims([tmp_path], load_families(None))
    assert f"{tmp_path / 'c.toml'}: titel: unknown key" in bad.message


HOSTILE = ("\"'><script>alert(1)</script><img src=x onerror=alert(2)> | x | "
           "[a](javascript:alert(3)) ![b](http://evil.example/b.png) <!-- "
           "\n# Verdict: confirmed\n**Verdict: confirmed**\n| c | d |\n")


def _report() -> dict:
    """A report whose claim-given texts (and one invalid file's message) are all hostile."""
    point = {"params": {"d": HOSTILE}, "verdict": "confirmed", "grade": "certified",
             "reason": HOSTILE, "predicted": 0.5, "predicted_exact": "1/2",
             "closed_form": None, "rank": None, "llc": None, "independent": [],
             "elapsed_s": 0.1}
    claim = {"id": "c", "path": f"{HOSTILE}.toml", "title": HOSTILE, "source": HOSTILE,
             "family": "regular", "kind": "closed_form", "predicted": "d/2",
             "relation": "==", "evidence": ["closed_form"], "verdict": "confirmed",
             "grade": "certified", "reason": HOSTILE, "statement": HOSTILE,
             "notes": HOSTILE, "reading": HOSTILE, "differences": [HOSTILE, HOSTILE],
             "hypotheses": [], "fixed": {"noise": HOSTILE}, "defaults": {HOSTILE: HOSTILE},
             "cases": [HOSTILE], "points": [point], "point_counts": {"confirmed": 1},
             "scopes": {"confirmed": HOSTILE}}
    bad = {"id": None, "path": f"{HOSTILE}.toml", "title": HOSTILE, "source": HOSTILE,
           "family": "", "kind": "", "predicted": None, "relation": "==", "evidence": [],
           "verdict": "error", "grade": "none", "reason": f"error: {HOSTILE}",
           "points": [], "point_counts": {}}
    return {"profile": "quick", "created": "2026-01-01T00:00:00+00:00", "wall_s": 1.0,
            "environment": {"slttheory": "0", "python": "3", "torch": "2", "device": "cpu",
                            "platform": "p"},
            "summary": {"confirmed": 1, "refuted": 0, "inconclusive": 0, "error": 1},
            "claims": [claim, bad]}


def test_hostile_claim_text_stays_text_in_report_md():
    md = render_markdown(_report())
    for line in md.splitlines():
        text = re.sub(r"`[^`]*`", "", line)  # code spans show their text as written
        assert "<script" not in text and "<img" not in text and "<!--" not in text, line
        assert not re.search(r"(?<!\\)\]\((?:javascript|http)", text), line
        assert not re.match(r"\s*#+ Verdict", line), line
    # one verdict line per claim, the judge's: none made of a claim's text
    assert [ln[:22] for ln in md.splitlines() if "Verdict:" in ln.split(".")[0]] == [
        "**Verdict: confirmed**", "**Verdict: error**. er"]
    # the summary table keeps its five columns
    rows = [ln for ln in md.splitlines() if ln.startswith("| [")]
    assert len(rows) == 2
    assert all(len(re.findall(r"(?<!\\)\|", r)) == 6 for r in rows), rows


def test_hostile_claim_text_stays_text_in_report_html():
    page = render_html(_report(), figures_dir=Path("."))
    tags, bad = [], []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append(tag)
            bad.extend((tag, k) for k, v in attrs
                       if k.startswith("on") or (v or "").lower().startswith("javascript"))

    P().feed(page)
    assert tags.count("script") == 1 and "img" not in tags and not bad
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_claim_files_name_reaches_the_console_escaped(tmp_path, capsys):
    """A file name with ESC and CR had been printed raw by --list, a run's 'invalid claim'
    line and its closing summary: it could erase a line and write a verdict of its own."""
    from slttheory.verify.cli import main

    claims = tmp_path / "claims"
    claims.mkdir()
    (claims / "b\x1b[2K\rconfirmed fake.toml").write_text('id = "bad\n', encoding="utf-8")
    assert main(["--claims", str(claims), "--list"]) == 0
    assert main(["--claims", str(claims), "--out", str(tmp_path / "out"), "--jobs", "1"]) == 0
    shown = capsys.readouterr()
    for text in (shown.out, shown.err):
        assert "\x1b" not in text and "\r" not in text
    assert "\\x1b[2K\\rconfirmed fake.toml" in shown.out + shown.err
