"""Progress of a verification run: a live bar on a terminal, one line per unit otherwise.

A *unit* is a grid point or an experiment stage. The engine calls, in order::

    p = Progress()                 # stream=sys.stderr; tty detected from stream.isatty()
    p.start(total)                 # points + experiment stages known so far
    p.claim("cullen2026-thm4.2")   # the claim now running
    p.advance(claim_id=..., label="d=3, k=2", verdict="refuted", elapsed_s=1.2, cached=False)
    p.add_total(n)                 # experiment stages discovered later
    p.close()

On a terminal (tqdm) the bar shows units done of total, elapsed and remaining time, the current
claim and the point verdicts so far (``✓3 ✗1 ?5 !0``: confirmed, refuted, inconclusive, error).
Without one (a log file, CI) every unit is one line::

    [12/40] cullen2026-thm4.2 d=3, k=2: refuted (1.2 s)

``Progress`` is also callable with the engine's older callback signature
``(done, total, claim_id, params, verdict, elapsed, cached)`` (see :meth:`Progress.__call__`).

>>> import io
>>> p = Progress(io.StringIO())
>>> p.start(2)
>>> p.advance(claim_id="c", label="d=3", verdict="confirmed", elapsed_s=0.51, cached=False)
>>> p.advance(claim_id="c", label="run 0 train", verdict=None, elapsed_s=2.0, cached=True)
>>> p.close()
>>> print(p.stream.getvalue(), end="")
[1/2] c d=3: confirmed (0.5 s)
[2/2] c run 0 train: done (stored)
>>> p.counts
{'confirmed': 1, 'refuted': 0, 'inconclusive': 0, 'error': 0}
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any, TextIO

from slttheory.verify.judge import VERDICTS, fmt_point

__all__ = ["Progress", "format_counts"]

_VERDICTS = VERDICTS
_SYMBOLS = {"confirmed": "✓", "refuted": "✗", "inconclusive": "?", "error": "!"}
_ASCII = {"confirmed": "c", "refuted": "r", "inconclusive": "i", "error": "e"}
IN_FIT = "in_fit"
"""The progress "verdict" of a scaling claim's point, which only enters the claim's fit."""


def format_counts(counts: Mapping[str, int], *, ascii_only: bool = False) -> str:
    """``✓3 ✗1 ?5 !0`` (confirmed, refuted, inconclusive, error; ``f`` the points that only
    enter a scaling claim's fit, as report.md's point counts; other verdicts by name).

    >>> format_counts({"confirmed": 3, "refuted": 1, "inconclusive": 5, "in_fit": 4})
    '✓3 ✗1 ?5 !0 f4'
    >>> format_counts({"confirmed": 3, "skipped": 2}, ascii_only=True)
    'c3 r0 i0 e0 skipped2'
    """
    sym = _ASCII if ascii_only else _SYMBOLS
    parts = [f"{sym[v]}{counts.get(v, 0)}" for v in _VERDICTS]
    parts += [f"{'f' if k == IN_FIT else k}{n}" for k, n in counts.items() if k not in _SYMBOLS]
    return " ".join(parts)


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name}: must be >= 0, got {value}")
    return value


def _terminal_size(stream: Any) -> tuple[int, int]:
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return 0, 0
    return size.columns, size.lines


def _can_encode(stream: Any, text: str) -> bool:
    enc = getattr(stream, "encoding", None)
    if not enc:
        return True  # io.StringIO and friends hold text, any character goes
    try:
        text.encode(enc)
    except (LookupError, UnicodeEncodeError):
        return False
    return True


LINES_MAX = 400
"""Without a terminal: one line per unit up to this many units; beyond, about this many lines
(every claim's first unit, then evenly spaced ones)."""


class Progress:
    """Progress over points and experiment stages (see the module docstring for the protocol).

    ``stream``: where to write (default: ``sys.stderr`` at construction). ``tty``: draw a live
    bar (True) or print one line per unit (False); None: ``stream.isatty()``.
    ``min_interval_s``: least time between bar redraws.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        tty: bool | None = None,
        *,
        min_interval_s: float = 0.1,
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        if tty is None:
            isatty = getattr(self.stream, "isatty", None)
            try:
                tty = bool(isatty()) if callable(isatty) else False
            except (OSError, ValueError):
                tty = False
        elif not isinstance(tty, bool):
            raise TypeError(f"tty: expected True, False or None, got {type(tty).__name__}")
        self.tty = tty
        self.min_interval_s = float(min_interval_s)
        self.ascii_only = not _can_encode(self.stream, "✓✗")
        self.total = 0
        self.done = 0
        self.stages = 0
        self.current: str | None = None
        self._last_logged_claim: str | None = None
        self._counts: Counter[str] = Counter()
        self._bar: Any = None
        self._started = False
        self._closed = False
        self._t0 = time.perf_counter()
        self._lock = threading.Lock()

    # -- the protocol ---------------------------------------------------------------------

    def start(self, total: int) -> None:
        """Begin with ``total`` units (points + experiment stages known now)."""
        with self._lock:
            self.total = _count(total, "total")
            self._t0 = time.perf_counter()
            self._started = True
            if self.tty and self._bar is None:
                self._open_bar()

    def add_total(self, n: int) -> None:
        """``n`` more units (experiment stages found while running)."""
        n = _count(n, "n")
        with self._lock:
            self._ensure_started()
            self.total += n
            if self._bar is not None:
                self._bar.total = self.total
                self._bar.refresh()

    def claim(self, claim_id: str) -> None:
        """The claim now running (shown on the bar)."""
        with self._lock:
            self._ensure_started()
            self.current = str(claim_id)
            if self._bar is not None:
                self._bar.set_description_str(self._desc(), refresh=True)

    def advance(
        self,
        *,
        claim_id: str,
        label: str,
        verdict: str | None,
        elapsed_s: float,
        cached: bool,
    ) -> None:
        """One unit finished: a point (``verdict`` is its verdict) or a stage (``verdict=None``).

        ``label``: ``"d=3, k=2"`` or ``"run 3 llc@500"``; ``elapsed_s``: its compute time;
        ``cached``: taken from the result store instead of computed.
        """
        self._unit(claim_id, label, verdict, verdict is not None, elapsed_s, cached, None)

    def close(self) -> None:
        """Finish the bar (a no-op in line mode and when already closed)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._bar is not None:
                self._bar.set_postfix_str(self._postfix(), refresh=False)
                self._bar.close()

    def __call__(
        self,
        done: int,
        total: int,
        claim_id: str,
        params: Mapping[str, Any],
        verdict: str,
        elapsed: float,
        cached: bool,
    ) -> None:
        """The engine's older callback: one unit finished, ``done`` of ``total``.

        ``done`` and ``total`` are taken as given (experiments count their runs on their own),
        the line format is the old one, and a ``verdict`` that is not a point verdict (an
        experiment's ``"run"``) counts as a stage.
        """
        total = _count(total, "total")
        done = _count(done, "done")
        if not self._started:
            self.start(total)
        label = fmt_point(params) if isinstance(params, Mapping) else str(params)
        self._unit(claim_id, label, verdict, verdict in _VERDICTS, elapsed, cached, (done, total))

    def write(self, text: str) -> None:
        """A message (a warning, an invalid claim) that does not break the bar."""
        with self._lock:
            if self._bar is not None:
                self._bar.write(str(text), file=self.stream)
            else:
                self._write(str(text))

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- state ----------------------------------------------------------------------------

    @property
    def counts(self) -> dict[str, int]:
        """Point verdicts so far (the four verdicts always present, others when seen)."""
        out = {v: self._counts.get(v, 0) for v in _VERDICTS}
        out.update({k: n for k, n in self._counts.items() if k not in out})
        return out

    @property
    def elapsed_s(self) -> float:
        return time.perf_counter() - self._t0

    # -- internals ------------------------------------------------------------------------

    def _unit(
        self,
        claim_id: str,
        label: str,
        verdict: str | None,
        is_point: bool,
        elapsed_s: float,
        cached: bool,
        position: tuple[int, int] | None,
    ) -> None:
        with self._lock:
            self._ensure_started()
            if position is None:
                self.done += 1
                self.total = max(self.total, self.done)  # an unannounced unit grows the total
            else:
                self.done, self.total = position[0], max(position)
            if is_point:
                self._counts[str(verdict)] += 1
            else:
                self.stages += 1
            if self._bar is not None:
                if claim_id != self.current:
                    self.current = str(claim_id)
                    self._bar.set_description_str(self._desc(), refresh=False)
                self._bar.set_postfix_str(self._postfix(), refresh=False)
                self._bar.total = self.total
                self._bar.update(self.done - self._bar.n)
                return
            new_claim = claim_id != self._last_logged_claim
            self._last_logged_claim = claim_id
            step = max(1, self.total // LINES_MAX) if self.total > LINES_MAX else 1
            if not (new_claim or self.done % step == 0 or self.done == self.total):
                return  # a large run logs about LINES_MAX lines, not one per point
            tag = "stored" if cached else f"{float(elapsed_s):.1f} s"
            self._write(
                f"[{self.done}/{self.total}] {claim_id} {label}: "
                f"{'in the fit' if verdict == IN_FIT else verdict or 'done'} ({tag})"
            )

    def _ensure_started(self) -> None:
        if not self._started:
            self._started = True
            self._t0 = time.perf_counter()
            if self.tty and self._bar is None:
                self._open_bar()

    def _write(self, line: str) -> None:
        if self.ascii_only:
            line = line.encode("ascii", "replace").decode("ascii")
        print(line, file=self.stream, flush=True)

    def _desc(self) -> str:
        c = self.current or ""
        if len(c) > 32:
            c = c[:31] + ("~" if self.ascii_only else "…")
        if self.ascii_only:
            c = c.encode("ascii", "replace").decode("ascii")
        return c + (": " if c else "")

    def _postfix(self) -> str:
        text = format_counts(self.counts, ascii_only=self.ascii_only)
        if self.stages:
            sep = "," if self.ascii_only else " ·"
            text += f"{sep} {self.stages} stage{'s' if self.stages != 1 else ''}"
        return text

    def _open_bar(self) -> None:
        from tqdm import tqdm

        width, height = _terminal_size(self.stream)
        self._bar = tqdm(
            total=self.total,
            desc=self._desc(),
            postfix=self._postfix(),
            file=self.stream,
            # follow the terminal's size; a pseudo-terminal of size 0x0 (CI runners, `script`)
            # would make tqdm hide the bar altogether
            dynamic_ncols=width > 0,
            ncols=None if width > 0 else 100,
            nrows=None if height > 0 else 24,
            mininterval=self.min_interval_s,
            unit="unit",
            ascii=True if self.ascii_only else None,
            bar_format="{desc}{percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
            "[{elapsed}<{remaining}]{postfix}",
        )
