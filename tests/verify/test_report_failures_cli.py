"""What the command line says and keeps when a report file fails: ``report.json`` that breaks
its own schema (a bug in slttheory) ended the run with a traceback; ``report.html`` that could
not be written removed the earlier page with a message that did not say so."""
from __future__ import annotations

import json

import pytest
from test_mutation_edges_cli import GOOD  # one good claim

import slttheory.verify.report as report
import slttheory.verify.report.html as html
from slttheory.verify.cli import SCHEMA_EXIT, main


def _args(tmp_path, *extra):
    (tmp_path / "a.toml").write_text(GOOD)
    return ["--claims", str(tmp_path / "a.toml"), "--out", str(tmp_path / "out"),
            "--no-figures", "--device", "cpu", "--jobs", "1", *extra]


def _broken_schema(monkeypatch):
    def broken(rep, *a, **k):
        raise ValueError("$.claims[0].points[0]: unexpected key 'new_field' (not in the "
                         "schema's properties)")
    monkeypatch.setattr(report, "validate_report", broken)


def test_write_report_names_the_failing_field_and_keeps_what_it_wrote(tmp_path, monkeypatch):
    _broken_schema(monkeypatch)
    with pytest.raises(report.ReportSchemaError) as e:
        report.write_report([], tmp_path, profile="quick", device="cpu", figures=False)
    assert e.value.field == "$.claims[0].points[0]"
    assert e.value.path == tmp_path / "report.json"
    assert isinstance(e.value, ValueError)  # callers that caught ValueError still do
    assert json.loads((tmp_path / "report.json").read_text()) == json.loads(
        json.dumps(e.value.report))
    assert (tmp_path / "report.md").exists()


@pytest.mark.parametrize("strict", [False, True])
def test_a_report_that_fails_its_schema_is_a_message_not_a_traceback(tmp_path, monkeypatch,
                                                                     capsys, strict):
    _broken_schema(monkeypatch)
    out = tmp_path / "out"
    assert main(_args(tmp_path, *(["--strict"] if strict else []))) == SCHEMA_EXIT != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]  # the last word, where it is seen
    assert "does not match its own schema at field $.claims[0].points[0]" in last
    assert "unexpected key 'new_field'" in last
    assert "a bug in slttheory" in last and "please report it" in last
    assert "kept" in last and str(out / "report.json") in last
    assert "confirmed" in err  # the summary of the verdicts came first, as ever
    # every report written and kept: json, md, and the page (no earlier page left beside them)
    assert json.loads((out / "report.json").read_text())["claims"][0]["id"] == "good"
    assert (out / "report.md").exists() and (out / "report.html").exists()


def _old_page(tmp_path):
    assert main(_args(tmp_path)) == 0
    page = tmp_path / "out" / "report.html"
    page.write_text("<html>an earlier run's page</html>")
    return page


def _failing_page(monkeypatch):
    def fail(rep, out_dir):
        raise RuntimeError("renderer broke")
    monkeypatch.setattr(html, "write_html", fail)


def test_a_page_that_cannot_be_written_removes_the_earlier_one_and_says_so(tmp_path,
                                                                           monkeypatch, capsys):
    page = _old_page(tmp_path)
    capsys.readouterr()
    _failing_page(monkeypatch)
    assert main(_args(tmp_path, "--resume")) == 0  # the page never stops the report
    err = capsys.readouterr().err
    assert not page.exists()  # a stale page beside this report.json would read as this run's
    assert (tmp_path / "out" / "report.json").exists()
    assert ("warning: report.html not written: RuntimeError: renderer broke; the previous "
            "page was removed so that it cannot be read as this run's") in err.splitlines()


def test_no_earlier_page_no_word_of_one(tmp_path, monkeypatch, capsys):
    _failing_page(monkeypatch)
    assert main(_args(tmp_path)) == 0
    lines = [x for x in capsys.readouterr().err.splitlines() if "report.html" in x]
    assert lines == ["warning: report.html not written: RuntimeError: renderer broke"]
    assert not (tmp_path / "out" / "report.html").exists()


def test_an_earlier_page_that_cannot_be_removed_is_called_stale(tmp_path, monkeypatch, capsys):
    from pathlib import Path

    from slttheory.verify.cli import _write_html

    (tmp_path / "report.html").write_text("<html>an earlier run's page</html>")
    _failing_page(monkeypatch)

    def unlink(self, missing_ok=False):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(Path, "unlink", unlink)
    _write_html({}, tmp_path)
    assert capsys.readouterr().err.splitlines() == [
        "warning: report.html not written: RuntimeError: renderer broke; the previous page "
        "could not be removed (Permission denied): it is an earlier run's, not this run's"]
