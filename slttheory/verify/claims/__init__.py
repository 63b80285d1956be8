"""Claim files: TOML read with :mod:`tomllib`, validated with errors naming file and key.

One file per claim (schema: ``verification/README.md``). ``kind`` selects the parser:
``closed_form`` and ``scaling`` claims (:mod:`~slttheory.verify.claims.point`: λ at grid points
of a model family) and ``experiment`` claims (:mod:`~slttheory.verify.claims.experiment`:
criteria on the statistics of a training-dynamics experiment). A file that does not load
becomes a :class:`BadClaim`, reported with verdict ``error``; the others still run — whatever
the file holds, even where it trips an unexpected exception in the loader.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from slttheory.verify.claims.common import (
    ID_PATTERN,
    PROFILES,
    BadClaim,
    ClaimError,
    err,
    point_key,
)
from slttheory.verify.claims.experiment import (
    EXPECTS,
    Criterion,
    ExperimentClaim,
    parse_experiment_claim,
)
from slttheory.verify.claims.point import (
    KINDS,
    LLC_KEYS,
    RANK_KEYS,
    RELATIONS,
    ROUTES,
    SHAPES,
    Claim,
    Scaling,
    Tolerance,
    parse_point_claim,
    settings_hash,
)
from slttheory.verify.expr import shorten

__all__ = [
    "PROFILES",
    "KINDS",
    "ROUTES",
    "RELATIONS",
    "SHAPES",
    "LLC_KEYS",
    "RANK_KEYS",
    "EXPECTS",
    "ClaimError",
    "BadClaim",
    "Claim",
    "ExperimentClaim",
    "Criterion",
    "Scaling",
    "Tolerance",
    "AnyClaim",
    "parse_claim",
    "load_claim",
    "parse_claim_text",
    "load_claims",
    "find_claim_files",
    "point_key",
    "settings_hash",
    "MAX_FILE_BYTES",
]

AnyClaim = Claim | ExperimentClaim | BadClaim

MAX_FILE_BYTES = 1_000_000
"""Largest claim file read (the claims in ``verification/`` are a few kilobytes each)."""

MAX_KEY_PARTS = 64
"""Most parts of a dotted key (``a.b.c = 1`` has 3). Python's ``tomllib`` takes memory
quadratic in them: 20 000 parts (40 kB) took 1.9 GB, 80 000 were killed by the kernel at
23 GB, with no exception to catch (an outside robustness probe)."""


_STRING_START = re.compile(r'"""|' + "'''" + r"""|["'#]""")
_STRING_END = {
    '"""': re.compile(r'(?<!\\)(?:\\\\)*"""'),
    "'''": re.compile("'''"),
    '"': re.compile(r'(?<!\\)(?:\\\\)*"|\n'),
    "'": re.compile(r"'|\n"),
    "#": re.compile(r"\n"),
}
# a run starts only where no key character precedes it, and its parts never give back what
# they matched: a 40 000-character number or bare key, tried from each of its characters and
# backtracked at each, took 13 s, and one of 1 MB would take hours (an outside red team)
_DOTTED = re.compile(r"(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]++(?:[ \t]*+\.[ \t]*+[A-Za-z0-9_\-]++)+")


def _longest_dotted_key(text: str) -> tuple[int, int]:
    r"""(parts, line) of the longest dotted run outside strings and comments, a string
    counting as one part: a key's parts wherever the key is (a line's start, a table header,
    an inline table), never the dots in a string's text.

    >>> _longest_dotted_key('x = "1.2.3.4.5"  # y.z.w.v.u' + chr(10) + 't = {a.b."c.d".e = 1}')
    (4, 2)
    """
    out, i = [], 0
    while (m := _STRING_START.search(text, i)) is not None:
        out.append(text[i:m.start()])
        end = _STRING_END[m.group()].search(text, m.end())
        stop = len(text) if end is None else end.end()
        newlines = text.count("\n", m.start(), stop)
        out.append(("" if m.group() == "#" else "s") + "\n" * newlines)
        i = stop
    out.append(text[i:])
    clean = "".join(out)
    best, start = 1, 0
    for m in _DOTTED.finditer(clean):
        n = m.group().count(".") + 1
        if n > best:
            best, start = n, m.start()
    return best, clean.count("\n", 0, start) + 1


def read_toml(text: str, where: str) -> dict[str, Any]:
    """``tomllib.loads`` after a check that no dotted key has more than
    :data:`MAX_KEY_PARTS` parts (raises :class:`ClaimError` naming ``where`` and the line),
    wherever it is (:func:`_longest_dotted_key`: an inline table's key too, and not the
    decimals of a multi-line string, which the check line by line had refused).

    >>> read_toml("a.b = 1", "x.toml")
    {'a': {'b': 1}}
    >>> read_toml("a" + ".a" * 100 + " = 1", "x.toml")
    Traceback (most recent call last):
    ...
    slttheory.verify.claims.common.ClaimError: x.toml: line 1: a key of 101 dotted parts ...
    """
    n, line = _longest_dotted_key(text)
    if n > MAX_KEY_PARTS:
        raise ClaimError(f"{where}: line {line}: a key of {n} dotted parts (at most "
                         f"{MAX_KEY_PARTS})")
    return tomllib.loads(text, parse_float=WrittenFloat)


class WrittenFloat(float):
    """A TOML float that keeps the text it was written in (``written``): a scaling claim's
    coefficient "0.20" stands for [0.195, 0.205], which the float 0.2 cannot say.

    >>> x = read_toml("c = 0.20", "x.toml")["c"]
    >>> x == 0.2, x.written
    (True, '0.20')
    """

    written: str

    def __new__(cls, value: str | float) -> WrittenFloat:
        obj = super().__new__(cls, value)
        obj.written = value if isinstance(value, str) else repr(float(value))
        return obj


def parse_claim(
    data: Mapping[str, Any], path: str, families: Mapping[str, Any]
) -> Claim | ExperimentClaim:
    """Validate the parsed TOML ``data`` of ``path`` (raises :class:`ClaimError`). Parse the
    text with :func:`read_toml`: its floats keep their written places (``WrittenFloat``), which
    a scaling claim's coefficients need; a plain float stands for its shortest decimal
    (0.30 read by ``tomllib.loads`` alone is 0.3, ten times coarser)."""
    kinds = (*KINDS, "experiment")
    if not data:
        raise ClaimError(f"{path}: empty (no keys): a claim needs id, title, source, kind and "
                         "family or experiment (verification/README.md)")
    if "kind" not in data:  # an experiment's, or the point claim's check with its other faults
        if "experiment" in data:
            raise err(path, "kind", f"missing (required: one of {', '.join(kinds)})")
        return parse_point_claim(data, path, families)
    if data["kind"] not in kinds:
        raise err(path, "kind", f"must be one of {', '.join(kinds)}, got {data['kind']!r}")
    if data["kind"] == "experiment":
        return parse_experiment_claim(data, path)
    return parse_point_claim(data, path, families)


def load_claim(path: str | Path, families: Mapping[str, Any]) -> Claim | ExperimentClaim:
    """Read and validate one claim file (raises :class:`ClaimError`)."""
    p = Path(path)
    try:
        if not p.is_file():  # a FIFO would block the read, a device never end
            raise ClaimError(f"{p}: not a regular file (a broken or looping link, a pipe or "
                             "a device)")
        if p.stat().st_size > MAX_FILE_BYTES:
            raise ClaimError(f"{p}: larger than {MAX_FILE_BYTES} bytes (not a claim file)")
        raw = p.read_bytes()
    except OSError as e:
        raise ClaimError(f"{p}: cannot read ({e.strerror})") from None
    try:
        # "utf-8-sig": a byte-order mark, which some editors write, is not TOML but harmless
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ClaimError(f"{p}: not UTF-8 text") from None
    return parse_claim_text(text, str(p), families)


def parse_claim_text(text: str, path: str, families: Mapping[str, Any]
                     ) -> Claim | ExperimentClaim:
    """Read and validate a claim's TOML ``text``, named ``path`` in errors (raises
    :class:`ClaimError`).

    >>> parse_claim_text("id = ", "<claim>", {})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slttheory.verify.claims.common.ClaimError: <claim>: malformed TOML (...)
    """
    try:
        data = read_toml(text, path)
    except ClaimError:
        raise
    except ValueError as e:  # TOMLDecodeError, or an integer of more than 4300 digits
        raise ClaimError(f"{path}: malformed TOML ({e})") from None
    except RecursionError:
        raise ClaimError(f"{path}: malformed TOML (arrays or tables nested too deeply)") from None
    return parse_claim(data, path, families)


def find_claim_files(paths: Sequence[str | Path] | str | Path) -> list[Path]:
    """All ``*.toml`` files under the given files/folders, sorted (errors for missing paths).

    ``paths``: a sequence of files and folders, or one (a ``str`` or ``Path``). In folders,
    files and folders whose names start with ``.`` are skipped."""
    if isinstance(paths, str | Path):
        paths = [paths]
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            # hidden files and folders (editor backups, .ipynb_checkpoints) are not claims
            # not only regular files: a broken link, a FIFO or a device named *.toml is
            # reported as a file that cannot be read, not silently dropped
            out.extend(sorted(x for x in p.rglob("*.toml") if not x.is_dir() and not any(
                part.startswith(".") for part in x.relative_to(p).parts)))
        elif p.exists() or p.is_symlink():  # a pipe or a broken link: load_claim says so
            out.append(p)
        else:
            raise FileNotFoundError(f"--claims: {p} is neither a file nor a folder")
    seen, uniq = set(), []
    for p in out:
        try:
            key = p.resolve()
        except (OSError, RuntimeError):  # a link loop: reported when it is read
            key = p.absolute()
        if key not in seen:
            seen.add(key)
            uniq.append(p)
    return uniq


def _bad(f: Path, message: str) -> BadClaim:
    """A :class:`BadClaim` with whatever identifying keys the file still yields."""
    try:
        if not f.is_file() or f.stat().st_size > MAX_FILE_BYTES:
            return BadClaim(str(f), message)
        d = read_toml(f.read_text("utf-8"), str(f))
    except Exception:  # noqa: BLE001 - unreadable: the path is all we have
        return BadClaim(str(f), message)
    def name(key: str) -> str:  # a family or kind name as the file gives it, if it is one
        v = d.get(key)
        return v if isinstance(v, str) and _NAME.fullmatch(v) else ""

    cid = d.get("id") if isinstance(d.get("id"), str) and ID_PATTERN.fullmatch(d["id"]) else None
    return BadClaim(str(f), message, cid, str(d.get("title", "")), str(d.get("source", "")),
                    name("family"), name("kind"))


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,79}")  # what a family or kind name can be


def load_claims(paths: Sequence[str | Path] | str | Path,
                families: Mapping[str, Any]) -> list[AnyClaim]:
    """Load every claim file; a bad file becomes a :class:`BadClaim`, never an exception.

    An unexpected exception while loading one file (a loader bug) also becomes a BadClaim, whose
    message names the file and the exception. Duplicate ids (compared ignoring case): every
    file that shares one becomes a BadClaim naming the others, whatever their order (which
    one was meant is not for the loader to guess).
    """
    out: list[AnyClaim] = []
    for f in find_claim_files(paths):
        shown = str(f).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        if shown != str(f):  # its name would reach the reports as a lone surrogate, which no
            # UTF-8 file holds: report.md failed to write after report.json (an outside audit)
            out.append(BadClaim(shown, f"{shown}: the file name is not UTF-8; rename the file"))
            continue
        try:
            out.append(load_claim(f, families))
        except ClaimError as e:
            out.append(_bad(f, str(e)))
        except Exception as e:  # noqa: BLE001 - one file must never stop the others
            out.append(_bad(f, f"{f}: could not be loaded ({type(e).__name__}: "
                               f"{shorten(e, 200)})"))
    # ids name files and anchors, which may ignore case; a file that failed for another
    # reason still holds its id, and shares it (else the other file would run unnoticed)
    files: dict[str, list[str]] = {}
    for c in out:
        if c.id:
            files.setdefault(c.id.lower(), []).append(c.path)

    def shared(c: AnyClaim) -> str:
        return (f"id: {c.id!r} is also used by "
                + ", ".join(f for f in files[c.id.lower()] if f != c.path)
                + " (ids are compared ignoring case; give each claim its own)")

    return [c if not c.id or len(files[c.id.lower()]) == 1 else
            replace(c, message=f"{c.message}; {shared(c)}") if isinstance(c, BadClaim) else
            BadClaim(c.path, f"{c.path}: {shared(c)}", c.id, c.title, c.source, c.family,
                     c.kind)
            for c in out]
