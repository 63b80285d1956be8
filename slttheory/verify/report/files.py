"""How the report layer writes a file: whole or not at all.

Every file of a report (``report.json``, ``report.md``, ``report.html``, ``figures/*.png``) is
written to a temporary file in its own folder and moved over the old one with
:func:`os.replace` (atomic within a file system): an interrupt, a full disk or a writer that
raises midway leaves the earlier file as it was, never a truncated one, and the temporary file
is removed.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["replacing", "write_text_atomic"]


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` (same folder, same suffix, not yet created) to write
    to; it replaces ``path`` when the block ends without an exception, with ``path``'s
    permission bits where it existed, and is removed otherwise (``KeyboardInterrupt``
    included).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> with replacing(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("new")
    >>> (d / "a.txt").read_text(), sorted(p.name for p in d.iterdir())
    ('new', ['a.txt'])
    """
    path = Path(path)
    # the suffix kept: a writer that reads the format from the name (savefig) still can
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(6)}.tmp{path.suffix}")
    try:
        yield tmp
        try:  # the old file's permissions kept (a report made private stays private)
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        except FileNotFoundError:
            pass  # a new file (umask), or a writer that wrote nothing (os.replace says)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # gone already where it replaced path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8, whatever the locale's encoding) to ``path`` through
    :func:`replacing`; returns ``path``."""
    path = Path(path)
    with replacing(path) as tmp:
        _write(tmp, text)
    return path


def _write(tmp: Path, text: str) -> None:
    """Write and flush ``text`` to the new file ``tmp`` (to disk before it replaces the old)."""
    with open(tmp, "x", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
