"""The verifier's parts import only the parts below them (no cycles, no upward imports)."""

from __future__ import annotations

import ast
from pathlib import Path

import slttheory.verify

ROOT = Path(slttheory.verify.__file__).parent
ORDER = ["expr", "claims", "evidence", "judge", "run", "report", "cli", "__main__"]
"""Each part may import the parts before it (``run`` and ``report`` are siblings)."""
LEVEL = {"expr": 0, "claims": 1, "evidence": 2, "judge": 3, "run": 4, "report": 4, "cli": 5,
         "__main__": 6}


def _part(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    return rel.parts[0]


def test_every_module_imports_only_lower_parts():
    bad = []
    for f in ROOT.rglob("*.py"):
        if f.parent == ROOT and f.name == "__init__.py":
            continue  # the package facade re-exports
        mine = _part(f)
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "slttheory.verify."):
                other = node.module.split(".")[2]
                if other != mine and LEVEL[other] >= LEVEL[mine]:
                    bad.append(f"{f.relative_to(ROOT)} imports {node.module}")
    assert not bad, bad


def test_parts_cover_the_package():
    assert {_part(f) for f in ROOT.rglob("*.py") if f.name != "__init__.py" or f.parent != ROOT} \
        <= set(LEVEL)
