"""Stored evidence is keyed by the code that computed it: a fix to that code is never
hidden by --resume (the exact-rank audit of c03110e left every key unchanged)."""

import shutil
from pathlib import Path

import pytest

import slttheory
from slttheory._provenance import code_fingerprint, fingerprint, with_versions
from slttheory.models import FAMILIES
from slttheory.verify.claims import load_claim
from slttheory.verify.claims import point as point_module
from slttheory.verify.evidence import controls as controls_module
from slttheory.verify.run import experiments as experiments_module

ROOT = Path(slttheory.__file__).resolve().parent


def test_fingerprint_follows_the_code_that_computes_evidence(tmp_path):
    copy = tmp_path / "slttheory"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = fingerprint(copy)
    assert with_versions(before) == code_fingerprint()
    rank = copy / "geometry" / "rank.py"
    rank.write_text(rank.read_text() + "\n# a change\n")
    assert fingerprint(copy) != before
    rank.write_text(rank.read_text().removesuffix("\n# a change\n"))
    assert fingerprint(copy) == before
    for judging in ("verify/judge", "verify/report"):  # verdicts are re-derived anyway
        f = next((copy / judging).glob("*.py"))
        f.write_text(f.read_text() + "\n# a change\n")
        assert fingerprint(copy) == before


def test_the_fingerprint_holds_the_versions_of_the_libraries_that_compute(monkeypatch):
    """A result computed under another torch (or numpy, sympy, python-flint) was reused on
    --resume, reported under this run's versions (an outside audit)."""
    import importlib.metadata

    real = importlib.metadata.version
    base = with_versions("x")
    monkeypatch.setattr(importlib.metadata, "version",
                        lambda name: "0.0.0" if name == "torch" else real(name))
    assert with_versions("x") != base


def test_every_store_key_holds_the_fingerprint(monkeypatch):
    claim_file = ROOT.parent / "verification" / "literature"
    claim = load_claim(sorted(claim_file.glob("*.toml"))[0], FAMILIES)
    params = claim.points("quick")[0]
    point_before = point_module.settings_hash(claim, params, "quick", "cpu")
    ctl = controls_module.Control("regular", {"d": 2}, "regular", "1", 1, "d/2")
    control_before = controls_module.control_key([ctl], {"n": 100}, "cpu")
    run_before = controls_module.run_key(ctl, 0, {"n": 100}, "cpu")
    for module in (point_module, controls_module, experiments_module):
        monkeypatch.setattr(module, "code_fingerprint", lambda: "changed")
    assert point_module.settings_hash(claim, params, "quick", "cpu") != point_before
    assert controls_module.control_key([ctl], {"n": 100}, "cpu") != control_before
    assert controls_module.run_key(ctl, 0, {"n": 100}, "cpu") != run_before
    exp = load_claim(ROOT.parent / "verification" / "experiments" / "seed000-sweep-polynomial.toml",
                     FAMILIES)
    monkeypatch.setattr(experiments_module, "code_fingerprint", lambda: "again")
    again = experiments_module.experiment_settings_hash(exp, {"values": [1]}, "cpu")
    monkeypatch.setattr(experiments_module, "code_fingerprint", lambda: "changed")
    assert experiments_module.experiment_settings_hash(exp, {"values": [1]}, "cpu") != again


def test_a_families_plugin_keys_its_own_code(tmp_path, monkeypatch):
    """Families from a --families module outside the package: their source is in the keys
    too, so an edited plugin is not resumed from stale evidence."""
    import importlib
    import sys

    from slttheory._provenance import families_fingerprint

    assert families_fingerprint(FAMILIES, FAMILIES) == ""  # the package's own: code_fingerprint
    plugin = tmp_path / "my_families.py"
    plugin.write_text("from slttheory.models import FAMILIES as F\n"
                      "from dataclasses import replace\n"
                      "def build(*a, **k):\n    return F['regular'].build(*a, **k)\n"
                      "FAMILIES = {'mine': replace(F['regular'], name='mine', build=build)}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = importlib.import_module("my_families")
    before = families_fingerprint(mod.FAMILIES, FAMILIES)
    assert before
    plugin.write_text(plugin.read_text() + "# edited\n")
    assert families_fingerprint(mod.FAMILIES, FAMILIES) != before
    sys.modules.pop("my_families", None)


def test_a_plugins_helper_modules_and_partials_are_in_its_key(tmp_path, monkeypatch):
    """Editing only a helper module that a plugin's formula calls, or a plugin whose callables
    are ``functools.partial`` objects, left the key unchanged, and --resume reused stale
    closed forms (an outside acceptance run)."""
    import importlib
    import sys

    from slttheory._provenance import families_fingerprint

    (tmp_path / "acc_helper.py").write_text("def half(d):\n    return d / 2\n")
    plugin = tmp_path / "acc_plugin.py"
    plugin.write_text("import functools\nfrom dataclasses import replace\n"
                      "from slttheory.models import FAMILIES as F\nimport acc_helper\n"
                      "def build(scale, *a, **k):\n    return F['regular'].build(*a, **k)\n"
                      "FAMILIES = {'mine': replace(F['regular'], name='mine', "
                      "build=functools.partial(build, acc_helper.half(2)))}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        mod = importlib.import_module("acc_plugin")
        before = families_fingerprint(mod.FAMILIES, FAMILIES)
        assert before
        (tmp_path / "acc_helper.py").write_text("def half(d):\n    return 3 * d / 2\n")
        assert families_fingerprint(mod.FAMILIES, FAMILIES) != before
    finally:
        sys.modules.pop("acc_plugin", None)
        sys.modules.pop("acc_helper", None)


def test_a_helper_imported_inside_a_plugin_function_from_another_folder_is_in_its_key(
        tmp_path, monkeypatch):
    """A helper imported inside a formula's body, from another folder on the import path, is
    no reference the plugin module holds: an edit to it was reused by --resume (an outside
    plugin author's audit). Top-level modules of the user's import path are in the key."""
    import importlib
    import sys

    from slttheory._provenance import families_fingerprint

    (tmp_path / "lib").mkdir()
    (tmp_path / "plug").mkdir()
    helper = tmp_path / "lib" / "lazy_helper.py"
    helper.write_text("def val(d):\n    return d\n")
    (tmp_path / "plug" / "lazy_plugin.py").write_text(
        "from dataclasses import replace\nfrom slttheory.models import FAMILIES as F\n"
        "def build(*a, **k):\n    import lazy_helper\n    return F['regular'].build(*a, **k)\n"
        "FAMILIES = {'mine': replace(F['regular'], name='mine', build=build)}\n")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    monkeypatch.syspath_prepend(str(tmp_path / "plug"))
    try:
        mod = importlib.import_module("lazy_plugin")
        before = families_fingerprint(mod.FAMILIES, FAMILIES)
        helper.write_text("def val(d):\n    return 2 * d\n")
        assert families_fingerprint(mod.FAMILIES, FAMILIES) != before
    finally:
        sys.modules.pop("lazy_plugin", None)


@pytest.mark.parametrize("layout", ["venv", "system"])
def test_a_plugin_installed_into_site_packages_keys_its_own_code(tmp_path, monkeypatch, layout):
    """A plugin installed with ``pip install .`` (not ``-e``) lives in site-packages, which
    held no user code: editing and reinstalling it left its key unchanged, and --resume reused
    its earlier version's evidence (an outside audit). The defining module is keyed wherever
    it lives but in the standard library — also outside a venv (python.org, pyenv, conda, the
    docker images), where site-packages is lib/python3.X/site-packages, inside the standard
    library's folder, which excluded it again (a review)."""
    import importlib
    import sys
    import sysconfig

    from slttheory._provenance import families_fingerprint

    stdlib = tmp_path / "lib" / "python3"
    site = tmp_path / "site-packages" if layout == "venv" else stdlib / "site-packages"
    (site / f"{layout}_plugin").mkdir(parents=True)
    init = site / f"{layout}_plugin" / "__init__.py"
    init.write_text("from dataclasses import replace\n"
                    "from slttheory.models import FAMILIES as F\n"
                    "def formula(**kw):\n    return F['regular'].formula(**kw)\n"
                    "FAMILIES = {'mine': replace(F['regular'], name='mine', formula=formula)}\n")
    paths = {**sysconfig.get_paths(), "purelib": str(site), "platlib": str(site)}
    if layout == "system":
        paths.update(stdlib=str(stdlib), platstdlib=str(stdlib))
    monkeypatch.setattr(sysconfig, "get_paths", lambda *a, **k: paths)
    monkeypatch.syspath_prepend(str(site))
    mod = importlib.import_module(f"{layout}_plugin")
    try:
        before = families_fingerprint(mod.FAMILIES, FAMILIES)
        init.write_text(init.read_text().replace("return F", "return  F"))
        assert families_fingerprint(mod.FAMILIES, FAMILIES) != before
    finally:
        sys.modules.pop(f"{layout}_plugin", None)
