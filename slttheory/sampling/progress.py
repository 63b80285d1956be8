"""Progress of one sampling run: a tqdm bar of sampler steps on stderr.

``progress=True`` shows the bar from the first step; ``False`` never; ``None`` (the samplers'
default) shows it only on a terminal or in a Jupyter kernel's output, and only once the run
is projected to take more than
:data:`SHOW_AFTER_S` seconds, so that toy models stay silent and a large model (a 10⁵-parameter
MLP on a CPU runs for minutes at the defaults) tells its user how far it is. The bar counts
the steps of all phases after the step-size pilot (warm-up, adaptation, production); its total
is the planned length and grows when the adaptive length extends the run. Updates come once
per block of steps (:data:`~slttheory.sampling.chains.TRACE_BLOCK`), so they cost nothing
measurable.
"""

from __future__ import annotations

import sys
import time
from typing import Any

__all__ = ["SHOW_AFTER_S", "StepProgress"]

SHOW_AFTER_S = 10.0
"""With ``progress=None``, the bar appears once the projected run time exceeds this."""


class StepProgress:
    """Steps done of a planned total, shown as a tqdm bar according to ``mode``.

    >>> with StepProgress(False, "estimate_llc") as p:  # closed on leaving the block
    ...     p.plan(300); p.advance(100); p.advance(200)
    >>> p.done, p.total, p.bar is None
    (300, 300, True)
    """

    def __init__(self, mode: bool | None, desc: str, *, stream: Any = None) -> None:
        if mode is not None and not isinstance(mode, bool):
            raise TypeError(f"progress must be True, False or None, got {mode!r}")
        self.mode, self.desc = mode, desc
        self.stream = sys.stderr if stream is None else stream
        self.done = self.total = 0
        self.bar: Any = None
        self._t0 = time.perf_counter()

    def _interactive(self) -> bool:
        """A terminal, or a Jupyter kernel's output stream (whose ``isatty`` is False)."""
        isatty = getattr(self.stream, "isatty", None)
        if callable(isatty) and isatty():
            return True
        return "ipykernel" in sys.modules and type(self.stream).__name__ == "OutStream"

    def _want(self) -> bool:
        if self.mode is not None:
            return self.mode
        if self.done <= 0 or not self._interactive():
            return False
        per_step = (time.perf_counter() - self._t0) / self.done
        return per_step * max(self.total, self.done) > SHOW_AFTER_S

    def _open(self) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=max(self.total, self.done), initial=self.done, desc=self.desc,
                        unit="step", file=self.stream, leave=False, dynamic_ncols=True)

    def plan(self, total: int) -> None:
        """The run's planned number of steps (it may grow; it never shrinks)."""
        self.total = max(self.total, int(total))
        if self.bar is not None:
            self.bar.total = self.total
            self.bar.refresh()

    def advance(self, steps: int) -> None:
        """``steps`` more steps done."""
        self.done += int(steps)
        if self.bar is None and self.mode is not False and self._want():
            self._open()
        elif self.bar is not None:
            self.bar.update(int(steps))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> StepProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
