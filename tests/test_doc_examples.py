"""The examples of README.md and docs/*.md that its doctests do not run (tests/test_readme.py
runs the ``>>>`` ones; tests/verify/test_plugin_doc.py docs/plugins.md) run as written and
print what the text shows: the shell sessions of ``python -m slttheory.formulas``, the README's
example claim and its ``check`` block, verification/README.md's schema example, and (slow)
docs/estimator.md's reproduction of the localisation deficit."""

from __future__ import annotations

import io
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from slttheory.formulas.cli import main as formulas_main

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FORMULAS = "python -m slttheory.formulas "


def blocks(page: Path, lang: str) -> list[str]:
    """The fenced blocks of ``page`` whose info string is ``lang`` ('' for a bare fence)."""
    text = page.read_text(encoding="utf-8")
    return re.findall(rf"^ *```{lang}\n(.*?)^ *```", text, re.S | re.M)


def run_formulas(command: str) -> tuple[int, str]:
    argv = shlex.split(command.split(FORMULAS, 1)[1], comments=True)
    out, err = io.StringIO(), io.StringIO()
    code = formulas_main(argv, stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


def sessions() -> list[tuple[str, str, list[str]]]:
    """(page, command, shown output lines) of every ``$ python -m slttheory.formulas`` session."""
    found = []
    for page in PAGES:
        for block in blocks(page, "text"):
            lines = block.splitlines()
            for i, line in enumerate(lines):
                if line.startswith("$ " + FORMULAS):
                    shown = []
                    for out in lines[i + 1:]:
                        if out.startswith("$ "):
                            break
                        shown.append(out)
                    found.append((page.name, line[2:], shown))
    return found


def commands() -> list[tuple[str, str]]:
    """(page, command) of every formulas command in a bare or bash block, without a prompt."""
    found = []
    for page in PAGES:
        for block in blocks(page, "") + blocks(page, "bash"):
            for line in block.splitlines():
                if line.strip().startswith(FORMULAS):
                    found.append((page.name, line.strip()))
    return found


def test_the_pages_have_formulas_examples():
    assert sessions() and commands()


@pytest.mark.parametrize("page, command, shown", sessions())
def test_formulas_sessions_print_what_the_page_shows(page, command, shown):
    """Each shown line is the output's line; a line ending in '…' is a prefix of it, and a
    line that is only '…' ends what the page shows."""
    code, out = run_formulas(command)
    assert code == 0, out
    got = out.splitlines()
    for i, line in enumerate(shown):
        if line.strip() == "…":
            break
        assert i < len(got), (page, command, line)
        if line.endswith("…"):
            assert got[i].startswith(line[:-1].rstrip()), (page, command, line, got[i])
        else:
            assert got[i] == line, (page, command, line, got[i])


@pytest.mark.parametrize("page, command", commands())
def test_formulas_commands_run(page, command):
    code, out = run_formulas(command)
    assert code == 0 and out.strip(), (page, command, out)


def test_the_readme_claim_is_confirmed_certified_at_lambda_6(tmp_path):
    """README § Checking a claim: saved in a folder of its own and run with --claims, it is
    confirmed, certified, by the established formulas' λ = 6."""
    (claim,) = blocks(ROOT / "README.md", "toml")
    (tmp_path / "claims").mkdir()
    (tmp_path / "claims" / "my-claim.toml").write_text(claim, encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "slttheory.verify", "--claims", "claims", "--out", "out",
         "--jobs", "1", "--no-figures"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    rep = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    (got,) = rep["claims"]
    assert (got["id"], got["verdict"], got.get("grade")) == ("my-claim", "confirmed", "certified")
    assert "λ = 6" in got["reason"], got["reason"]


@pytest.mark.slow
def test_the_estimator_page_reproduction_fails_its_check():
    """docs/estimator.md's reproduction of the localisation deficit (about 20 s): the stated
    estimate, and the failed check that revision 13 added."""
    (code,) = blocks(ROOT / "docs" / "estimator.md", "python")
    stated = re.search(r"# ([\d.]+), \(([\d.]+), ([\d.]+)\)", code)
    import torch

    from slttheory.sampling import LLCWarning

    dtype = torch.get_default_dtype()
    scope: dict = {}
    try:
        with pytest.warns(LLCWarning, match="localisation deficit reverses"):
            exec(compile(code, "docs/estimator.md", "exec"), scope)  # noqa: S102
    finally:
        torch.set_default_dtype(dtype)
    est = scope["e"]
    assert not est.diagnostics.passed
    assert any("localisation deficit reverses" in w for w in est.diagnostics.warnings)
    assert est.llc == pytest.approx(float(stated.group(1)), abs=0.3)
    assert est.ci[0] < est.llc < est.ci[1]


def test_the_readme_check_example_gives_the_verdict_it_shows():
    """README § Checking a claim: the ``slttheory.verify.check`` block runs as written and
    gives the verdict and grade its comment shows."""
    (code,) = [b for b in blocks(ROOT / "README.md", "python") if ">>>" not in b]
    shown = re.search(r"# \('(\w+)', '(\w+)'\)", code)
    import os

    cwd = os.getcwd()
    scope: dict = {}
    try:
        os.chdir(ROOT)  # its claim path is relative to the checkout
        exec(compile(code, "README.md", "exec"), scope)  # noqa: S102
    finally:
        os.chdir(cwd)
    r = scope["r"]
    assert (r.verdict.verdict, r.verdict.grade) == shown.groups(), r.verdict.reason


def test_the_schema_example_claim_is_valid():
    """verification/README.md § Claims: the schema: its first example, a whole claim, loads
    without a fault (a hypothesis its family does not measure made it an error claim)."""
    from slttheory.models import FAMILIES
    from slttheory.verify.claims import parse_claim_text

    claim = blocks(ROOT / "verification" / "README.md", "toml")[0]
    parsed = parse_claim_text(claim, "verification/README.md", FAMILIES)
    assert parsed.id == "cullen2026-thm4.2"
