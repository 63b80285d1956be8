"""The package's layers import downwards only, and no module imports itself back.

The layers are the README's picture: symbolic (``formulas``), geometry, numeric (``train``,
``models``, ``sampling``), then ``experiments`` and the verifier. Imports inside functions
count too: a lazy import hides a cycle from the interpreter, not from a reader.
(``tests/verify/test_layout.py`` orders the verifier's own parts.)
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import slttheory

ROOT = Path(slttheory.__file__).parent
LEVEL = {"_torch_compat": 0, "_torch_args": 0, "_inputs": 0, "_provenance": 0, "losses": 0,
         "strategies": 0,
         "formulas": 1, "": 1, "geometry": 2, "train": 3, "models": 3, "sampling": 3,
         "experiments": 4, "verify": 5}
"""Each part may import parts of a lower level, or of its own (the numeric siblings). ``""``
is the package itself, whose ``__init__`` re-exports the formulas (and ``__version__``)."""


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(f): f for f in ROOT.rglob("*.py")}


def _imports(path: Path) -> set[str]:
    """The slttheory modules ``path`` imports, anywhere in it (``from a import b`` counts as
    ``a.b`` where that is a module)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("slttheory"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                out.add(sub if sub in MODULES else node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("slttheory")}
    return {m for m in out if m in MODULES}


GRAPH = {m: _imports(f) - {m} for m, f in MODULES.items()}


def _part(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def test_parts_import_only_their_own_level_or_below():
    bad = [f"{m} imports {o}" for m, deps in GRAPH.items() for o in deps
           if _part(m) and _part(o) != _part(m) and LEVEL[_part(o)] > LEVEL[_part(m)]]
    assert not bad, bad


def test_every_part_has_a_level():
    assert {_part(m) for m in MODULES if _part(m)} <= set(LEVEL)


def test_no_import_cycles():
    try:
        TopologicalSorter(GRAPH).prepare()
    except CycleError as e:
        raise AssertionError(f"import cycle: {' -> '.join(e.args[1])}") from None
