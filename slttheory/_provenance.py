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

__all__ = ["code_fingerprint", "fingerprint", "families_fingerprint", "with_versions",
           "DEPENDENCIES", "JUDGEMENT_ONLY"]

# Sub-packages that read evidence and never produce it (relative to the package root).
JUDGEMENT_ONLY = ("verify/judge", "verify/report")


DEPENDENCIES = {"torch": "torch", "numpy": "numpy", "scipy": "scipy", "sympy": "sympy",
                "flint": "python-flint"}
"""The libraries (import name: distribution) whose version is part of
:func:`code_fingerprint`: they compute evidence too (an outside audit: a stored result from
another torch was reused, under this run's version in the report's environment)."""


@functools.cache
def code_fingerprint() -> str:
    """:func:`fingerprint` of this package's sources, with Python's version and those of
    :data:`DEPENDENCIES` (absent: ``-``).

    >>> len(code_fingerprint()), code_fingerprint() == code_fingerprint()
    (16, True)
    """
    return with_versions(fingerprint(Path(__file__).resolve().parent))


def with_versions(sources: str) -> str:
    """``sources`` (a :func:`fingerprint`) hashed with the versions of Python and of
    :data:`DEPENDENCIES`."""
    import importlib.metadata
    import platform

    versions = [platform.python_version()]
    for name, dist in DEPENDENCIES.items():
        try:
            versions.append(f"{name}={importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name}=-")
    return hashlib.sha256("\0".join([sources, *versions]).encode()).hexdigest()[:16]


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


def _callable_module(value: object) -> object | None:
    """The module that defines ``value``'s code: through ``functools.partial``, bound methods,
    decorators (``__wrapped__``) and callable instances (their class)."""
    seen = 0
    while seen < 20:  # a partial of a partial of ..., bounded
        seen += 1
        if isinstance(value, functools.partial):
            value = value.func
        elif inspect.ismethod(value):
            value = value.__func__
        elif hasattr(value, "__wrapped__"):
            value = value.__wrapped__
        else:
            break
    if not (inspect.isfunction(value) or inspect.isclass(value) or inspect.isbuiltin(value)):
        value = type(value)  # a callable instance: its class's code
    return inspect.getmodule(value)


def _user_file(module: object, root: Path, system: tuple[Path, ...],
               keep: tuple[Path, ...] = ()) -> Path | None:
    """``module``'s source file where it is user code: outside this package and outside the
    Python installation (the standard library, site-packages), but inside ``keep`` wherever
    that lies (site-packages is a folder of the standard library's outside a venv)."""
    f = getattr(module, "__file__", None)
    if not f:
        return None
    path = Path(f).resolve()
    if path.is_relative_to(root) or (any(path.is_relative_to(s) for s in system)
                                     and not any(path.is_relative_to(k) for k in keep)):
        return None
    return path if path.suffix == ".py" and path.is_file() else None


def _described(key: str, family: object) -> str:
    """What a family is besides its code: its key, and each attribute, a callable as its
    module and qualified name, any other value as its ``repr`` (a parameter's default or
    bounds, ``default_n``) unless that names a memory address, which would change every run."""
    parts = [key]
    for name, value in sorted(vars(family).items() if hasattr(family, "__dict__") else ()):
        if callable(value):
            module = _callable_module(value)
            text = f"{getattr(module, '__name__', '?')}." + getattr(
                value, "__qualname__", type(value).__qualname__)
        else:
            text = repr(value)
            if " at 0x" in text:
                text = type(value).__qualname__
        parts.append(f"{name}={text}")
    return "\0".join(parts)


def families_fingerprint(families: Mapping[str, object],
                         package: Mapping[str, object] | None = None) -> str:
    """SHA-256 (16 hex digits) of what a ``--families`` plugin defines, or ``""`` when every
    family is the package's own: the object its registry ``package`` holds under that name
    (:func:`code_fingerprint` covers those; without ``package`` every family is a plugin's):
    each plugin family's key and data (:func:`_described`: which callables, the parameters'
    defaults and bounds), the source files that define its callables (outside this package
    and the standard library: a plugin installed into site-packages too), those of every user
    module (outside the Python installation) those files refer to, and every ``.py`` file
    beside them (a helper module a formula imports inside its body
    is no reference the module holds). A plugin that maps a name to another package family,
    changes a default or edits such a helper changes the fingerprint, so ``--resume``
    recomputes (an outside audit found each of the three reused).

    >>> from slttheory.models import FAMILIES
    >>> families_fingerprint(FAMILIES, package=FAMILIES)
    ''
    """
    import sys
    import sysconfig

    root = Path(__file__).resolve().parent
    system = tuple({Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix,
                                                *sysconfig.get_paths().values()) if p})
    # the modules that define the callables are keyed wherever they live but in the standard
    # library: a plugin installed into site-packages (pip install ., not -e) was left out,
    # and --resume reused evidence its earlier version computed (an outside audit)
    stdlib = tuple({Path(p).resolve() for k, p in sysconfig.get_paths().items()
                    if k in ("stdlib", "platstdlib") and p})
    # outside a venv (python.org, pyenv, conda, docker images) site-packages lies inside the
    # standard library's folder: kept all the same
    site = tuple({Path(p).resolve() for k, p in sysconfig.get_paths().items()
                  if k in ("purelib", "platlib") and p})
    mine = {k: f for k, f in families.items() if (package or {}).get(k) is not f}
    if not mine:
        return ""
    todo = []
    for family in mine.values():
        for value in vars(family).values() if hasattr(family, "__dict__") else ():
            if callable(value):
                todo.append(_callable_module(value))
    defining = {id(m) for m in todo}
    files: set[Path] = set()
    done: set[int] = set()
    while todo:  # the modules the callables live in, and the user modules they refer to
        module = todo.pop()
        if module is None or id(module) in done:
            continue
        done.add(id(module))
        path = (_user_file(module, root, stdlib, site) if id(module) in defining
                else _user_file(module, root, system))
        if path is None:
            continue
        files.add(path)
        for v in list(vars(module).values()):
            ref = v if inspect.ismodule(v) else sys.modules.get(getattr(v, "__module__", "")
                                                               or "")
            if ref is not None and id(ref) not in done:
                todo.append(ref)
    files |= {f.resolve() for path in list(files) for f in path.parent.glob("*.py")
              if f.is_file()}
    # top-level modules on the user's import path too: a helper imported inside a formula's
    # or rank map's body is no reference the module holds, and an edit to it in another
    # folder was reused by --resume (stale closed forms)
    for entry in sys.path:
        folder = Path(entry or ".").resolve()
        if folder.is_dir() and not folder.is_relative_to(root) and \
                not any(folder.is_relative_to(s) for s in system):
            files |= {f.resolve() for f in folder.glob("*.py") if f.is_file()}
    digest = hashlib.sha256()
    for key in sorted(mine):
        digest.update(_described(key, mine[key]).encode() + b"\0")
    for path in sorted(files):
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
