"""A fingerprint of the code that computes evidence, for the keys of stored results.

The verifier stores each point's evidence, each control run and each experiment stage under
a hash of what determines it, so that ``--resume`` reuses it. Settings and revision numbers
are not enough: a fix to the exact-rank code, a family's true point or a sampler changes the
evidence without changing any setting. So every key also holds :func:`code_fingerprint`, a
hash of the package's Python sources, except the parts that only judge and report (verdicts
are always re-derived from stored evidence): after any change to the code that computes
evidence, stored results are recomputed rather than trusted.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from collections.abc import Mapping
from pathlib import Path

__all__ = ["code_fingerprint", "fingerprint", "families_fingerprint", "JUDGEMENT_ONLY"]

# Sub-packages that read evidence and never produce it (relative to the package root).
JUDGEMENT_ONLY = ("verify/judge", "verify/report")


@functools.cache
def code_fingerprint() -> str:
    """:func:`fingerprint` of this package's sources.

    >>> len(code_fingerprint()), code_fingerprint() == code_fingerprint()
    (16, True)
    """
    return fingerprint(Path(__file__).resolve().parent)


def fingerprint(root: Path) -> str:
    """SHA-256 (16 hex digits) of every ``.py`` file below ``root``, in path order, except
    :data:`JUDGEMENT_ONLY`."""
    digest = hashlib.sha256()
    for path in sorted(Path(root).rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(JUDGEMENT_ONLY):
            continue
        digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def families_fingerprint(families: Mapping[str, object]) -> str:
    """SHA-256 (16 hex digits) of the source files, outside this package, that define the
    callables of ``families`` (a ``--families`` plugin's builds, rank maps, formulas), or
    ``""`` when every family is the package's own (:func:`code_fingerprint` covers those).

    >>> from slttheory.models import FAMILIES
    >>> families_fingerprint(FAMILIES)
    ''
    """
    root = Path(__file__).resolve().parent
    files: set[Path] = set()
    for family in families.values():
        for value in vars(family).values() if hasattr(family, "__dict__") else ():
            if not callable(value):
                continue
            try:
                src = inspect.getsourcefile(value)
            except TypeError:  # a builtin or a C function: no source to follow
                continue
            if src is not None and not Path(src).resolve().is_relative_to(root):
                files.add(Path(src).resolve())
    if not files:
        return ""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
