"""A wall-clock limit on each route at a point (``--time-limit``).

:func:`time_limited` wraps every function of a :class:`~slttheory.verify.evidence.routes.Routes`
so that a route running past its limit stops and returns that route's *error* evidence, which
says "out of time" (:data:`~slttheory.verify.evidence.routes.OUT_OF_TIME`) and names the limit:
the point's other routes keep what they found, the other points and claims run on, and
``--resume`` computes such evidence again (a run with a longer limit may finish it). A batched
route (the LLC, w* and the reruns over ``k`` points) gets ``k`` times the limit.

The limit is a ``SIGALRM`` timer (``signal.setitimer``) in the thread that runs the route. It
interrupts Python code between bytecodes, so a single long call into compiled code (one exact
rank in python-flint, one TorchScript block of steps) ends first. It never interrupts an
import (a module left half-initialised would break every later route of the process) or a
finaliser (whose exception Python prints and drops): it fires again every tenth of a second
until they are done. Once it has raised, the route's clean-up (``finally``, ``__exit__``) has
:data:`GRACE_S` seconds before it raises again, where code caught its exception and carried
on; a route that returns at all after its limit has fired returns an error whatever it
computed (a partial result could differ from a complete one). Only the main
thread of a process can take signals: where a route runs in another thread (``--executor
dask``), no limit applies, which the command line refuses to combine.

>>> import time
>>> from slttheory.verify.evidence.routes import Routes
>>> slow = Routes(closed_form=lambda family, params: time.sleep(5))
>>> ev = time_limited(slow, 0.2).closed_form(None, {"d": 2})
>>> ev.status, ev.error
('error', 'out of time: the closed form ran past its limit of 0.2 s (--time-limit 0.2)')
"""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slttheory.verify.evidence.records import (
    AtPoint,
    ClosedFormEvidence,
    LLCEvidence,
    RankEvidence,
    Rerun,
)
from slttheory.verify.evidence.routes import OUT_OF_TIME, RERUNS, Routes

__all__ = [
    "RouteTimeout", "time_limited", "limited", "effective_limit", "can_limit_here",
    "stored_limit", "MAX_LIMIT_S",
]


class RouteTimeout(BaseException):
    """A route ran past its ``--time-limit``. A ``BaseException``, as ``KeyboardInterrupt``
    is: a plugin's ``except Exception`` (a fallback in a loop) caught it at every re-raise,
    and its route ran on past the limit for as long as it liked (an audit: 40 s under
    ``--time-limit 2``)."""


def can_limit_here() -> bool:
    """Whether this thread can take the limit's signal (the main thread, on a platform with
    ``SIGALRM``)."""
    return hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()


def _timeout_text(what: str, limit: float, per_point: float) -> str:
    """The route's error; it names the option's value, which ``--resume`` compares with its
    own (:func:`stored_limit`)."""
    given = repr(float(per_point)).removesuffix(".0")  # exact: --resume compares it
    return (f"{OUT_OF_TIME}: the {what} ran past its limit of {limit:g} s (--time-limit "
            f"{given})")


def stored_limit(error: str) -> float | None:
    """The ``--time-limit`` an out-of-time error was made under (``None`` if it names none).

    >>> stored_limit("out of time: the rank route ran past its limit of 3 s (--time-limit 1.5)")
    1.5
    """
    m = re.search(r"\(--time-limit ([0-9.e+-]+)\)", error)
    try:
        return float(m.group(1)) if m else None
    except ValueError:
        return None


def _failed_closed_form(text: str, args: tuple, kw: dict, each_s: float) -> Any:
    return ClosedFormEvidence("error", error=text)


def _failed_independent(text: str, args: tuple, kw: dict, each_s: float) -> Any:
    return (ClosedFormEvidence("error", error=text),)


def _failed_rank(text: str, args: tuple, kw: dict, each_s: float) -> Any:
    return RankEvidence("error", error=text)


def _failed_llc(text: str, args: tuple, kw: dict, each_s: float) -> Any:
    measure = kw.get("measure", True)
    return [(LLCEvidence("error", error=text, elapsed_s=each_s),
             AtPoint("error", error=text) if measure else None) for _ in args[1]]


def _failed_at_point(text: str, args: tuple, kw: dict, each_s: float) -> Any:
    return [AtPoint("error", error=text) for _ in args[1]]


def _failed_reruns(text: str, args: tuple, kw: dict, each_s: float) -> Any:
    return [tuple(Rerun(label, None, None, False, (text,)) for label, _, _ in RERUNS)
            for _ in args[1]]


def _failed_controls(text: str, args: tuple, kw: dict, each_s: float) -> Any:
    return [control.run(data_seed, error=text, elapsed_s=each_s) for control, data_seed in args[0]]


# what is limited -> (words for the message, the argument it is batched over (the limit is
# per item) or None, its error evidence from (the message, the arguments, the keywords, the
# time each item took: the time spent shared by the batch, which the report's compute_s sums;
# stopped runs had recorded 0 s, an outside audit)); all but "controls" are fields of Routes
_LIMITED: dict[str, tuple[str, int | None, Callable[[str, tuple, dict, float], Any]]] = {
    "closed_form": ("closed form", None, _failed_closed_form),
    "independent": ("independent closed forms", None, _failed_independent),
    "rank": ("rank route", None, _failed_rank),
    "llc": ("LLC route", 1, _failed_llc),
    "at_point": ("measurement of w*", 1, _failed_at_point),
    "reruns": ("LLC reruns", 1, _failed_reruns),
    "controls": ("LLC controls", 0, _failed_controls),  # run_control_jobs(jobs, ...)
}
_ROUTES = tuple(name for name in _LIMITED if name != "controls")


MAX_LIMIT_S = 1e8
"""Limits at or above this many seconds (three years) are no limit: ``setitimer`` overflows
near 9·10⁹ s, and every route failed at once ("timestamp out of range")."""


def effective_limit(seconds: float | None) -> float | None:
    """``seconds`` as a limit, or ``None`` where it sets none (``None``, 0, inf, and
    :data:`MAX_LIMIT_S` or more).

    >>> effective_limit(2), effective_limit(0), effective_limit(float("inf")), effective_limit(1e9)
    (2.0, None, None, None)
    """
    return float(seconds) if seconds is not None and 0 < seconds < MAX_LIMIT_S else None

RETRY_S = 0.1
"""After a limit has passed, how often the timer fires again where it could not raise (an
import or a finaliser in progress, which it never interrupts)."""

GRACE_S = 2.0
"""After the timer has raised, how long before it raises again: the route's ``finally``
blocks and ``__exit__`` methods run then and must be let finish (at 0.1 s a clean-up was cut
after its first step, an outside probe found); code that swallowed the exception is stopped
again after it."""


def _unsafe(frame: Any) -> bool:
    """Whether the interrupted stack runs an import or a finaliser: an exception in an import
    would leave a module half-initialised for every later route of the process (torch._dynamo
    without its attributes, an outside probe found), one in ``__del__`` or a weakref callback
    is printed and dropped by Python; the timer waits until they are done."""
    while frame is not None:
        code = frame.f_code
        name = code.co_filename
        if name.startswith("<frozen importlib") or "importlib/_bootstrap" in name or \
                code.co_name == "__del__" or name.endswith(("/weakref.py", "/_weakrefset.py")):
            return True
        frame = frame.f_back
    return False


@dataclass(frozen=True)
class _Limited:
    """``fn`` under a limit of ``seconds`` (times the points of a batched route); a picklable
    callable, so that limited routes travel to worker processes."""

    fn: Callable[..., Any]
    name: str
    seconds: float

    def __call__(self, *args: Any, **kw: Any) -> Any:
        what, batch, failed = _LIMITED[self.name]
        items = 1 if batch is None else max(len(args[batch]), 1)
        limit = self.seconds * items
        if not can_limit_here() or effective_limit(limit) is None:
            return self.fn(*args, **kw)
        text = _timeout_text(what, limit, self.seconds)
        t0 = time.perf_counter()
        out, fired = _call_limited(self.fn, args, kw, limit, text)
        if not fired:
            return out
        return failed(text, args, kw, round((time.perf_counter() - t0) / items, 3))


def _call_limited(fn: Callable[..., Any], args: tuple, kw: dict, limit: float, text: str
                  ) -> tuple[Any, bool]:
    """``fn(*args, **kw)`` under a timer of ``limit`` seconds: ``(its result, False)``, or
    ``(None or a late result, True)`` where the limit fired (the caller returns its error
    ``text`` then). Call it only where :func:`can_limit_here`."""
    state: dict[str, Any] = {"armed": False, "fired": False, "raised": None}

    def alarm(signum: int, frame: Any) -> None:
        now = time.monotonic()
        if not state["armed"] or _unsafe(frame) or (
                state["raised"] is not None and now - state["raised"] < GRACE_S):
            return  # disarmed, an import or finaliser, or clean-up: the timer comes back
        state["fired"], state["raised"] = True, now
        raise RouteTimeout(text)

    previous = signal.signal(signal.SIGALRM, alarm)
    out = None
    try:
        state["armed"] = True
        signal.setitimer(signal.ITIMER_REAL, limit, RETRY_S)
        out = fn(*args, **kw)
    except RouteTimeout:
        state["fired"] = True
    finally:
        # the handler raises only while armed, so once disarmed nothing below can be
        # interrupted; a timeout that lands before that is caught and the step retried
        while True:
            try:
                state["armed"] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                break
            except RouteTimeout:
                state["fired"] = True
    return out, state["fired"]


def limited(fn: Callable[..., Any], name: str, seconds: float | None) -> Callable[..., Any]:
    """``fn`` (the route or the control runs ``name`` of :data:`_LIMITED`) limited to
    ``seconds`` per point or run; ``fn`` itself where :func:`effective_limit` sets none."""
    limit = effective_limit(seconds)
    return fn if limit is None else _Limited(fn, name, limit)


def time_limited(routes: Routes, seconds: float | None) -> Routes:
    """``routes`` with each function limited to ``seconds`` of wall-clock time per point
    (``None``, 0 or infinite: ``routes`` unchanged)."""
    if effective_limit(seconds) is None:
        return routes
    return Routes(**{name: limited(getattr(routes, name), name, seconds) for name in _ROUTES})
