"""Where the verifier's tasks run: a small, engine-neutral executor interface.

An :class:`Executor` has the ``concurrent.futures`` shape the verifier needs and nothing
more: ``submit(fn, *args) -> future``, ``as_completed(futures)`` (an iterator to which more
futures can be ``add``-ed while iterating), ``shutdown()``, and ``lost(exc)``, which says
whether a task's exception means that its *worker* died (the task is then resubmitted) rather
than that the task failed. :func:`run_tasks` drives any executor with that resubmission rule.
Adding another engine (Ray, an MPI pool) means one more class here; the verifier is unchanged.

- :class:`LocalExecutor`: in this process, one task at a time, in submission order.
- :class:`ProcessExecutor`: a :class:`~concurrent.futures.ProcessPoolExecutor` (``--jobs N``).
  A worker killed mid-task breaks the whole pool (Python's semantics): every task then in
  flight (at most ``N``) is resubmitted on a fresh pool. Workers exit when the coordinating
  process dies, even by SIGKILL (:func:`_exit_with_parent`), so an interrupted run leaves no
  orphans behind.
- :class:`DaskExecutor`: a ``dask.distributed`` :class:`~distributed.Client`, to an existing
  scheduler (``scheduler="tcp://host:8786"``) or to a ``LocalCluster`` it starts. dask
  reschedules the tasks of a dead worker itself (up to the scheduler's ``allowed-failures``);
  ``retries`` re-runs a task that raised.

Results come back to the coordinating process, which alone writes the result store.

>>> with LocalExecutor() as ex:
...     futs = [ex.submit(pow, 2, k) for k in range(4)]
...     sorted(f.result() for f in ex.as_completed(futs))
[1, 2, 4, 8]
>>> [(i, r) for i, r, e in run_tasks(LocalExecutor(), abs, [(-1,), (2,)])]
[(0, 1), (1, 2)]
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any

__all__ = [
    "Executor",
    "LocalExecutor",
    "ProcessExecutor",
    "DaskExecutor",
    "make_executor",
    "run_tasks",
    "EXECUTORS",
    "DASK_MISSING",
]

EXECUTORS = ("local", "process", "dask")
DASK_MISSING = (
    "the dask executor needs dask.distributed, which is not installed: "
    "pip install 'slttheory[dask]'  (or: pip install 'dask[distributed]')"
)


class Executor:
    """Interface: ``submit``, ``as_completed``, ``shutdown``, ``lost``; ``workers`` (int)."""

    name = "abstract"
    workers = 1

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def as_completed(self, futures: Iterable[Any]) -> Any:  # pragma: no cover
        """An iterator over ``futures`` as they finish, with ``add(future)``."""
        raise NotImplementedError

    def lost(self, exc: BaseException) -> bool:
        """Whether ``exc`` (from ``future.result()``) means the worker died, not the task."""
        return False

    def shutdown(self) -> None:
        pass

    def abort(self) -> None:
        """Stop now (Ctrl-C): tasks in flight are dropped, not finished (default: shutdown)."""
        self.shutdown()

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


# ------------------------------------------------------------------------------- local


class _LazyFuture(cf.Future):
    def __init__(self, fn: Callable[..., Any], args: tuple) -> None:
        super().__init__()
        self._call = (fn, args)

    def run(self) -> None:
        if self.done():
            return
        fn, args = self._call
        try:
            self.set_result(fn(*args))
        except BaseException as e:  # noqa: BLE001 - delivered through the future
            self.set_exception(e)


class _InOrder:
    """Runs lazy futures one by one when iterated (so results are stored as they come)."""

    def __init__(self, futures: Iterable[_LazyFuture]) -> None:
        self._q = collections.deque(futures)

    def add(self, fut: _LazyFuture) -> None:
        self._q.append(fut)

    def __iter__(self) -> Iterator[_LazyFuture]:
        while self._q:
            f = self._q.popleft()
            f.run()
            yield f


class LocalExecutor(Executor):
    """Serial, in this process: a task runs when ``as_completed`` reaches it."""

    name = "local"

    def submit(self, fn: Callable[..., Any], *args: Any) -> _LazyFuture:
        return _LazyFuture(fn, args)

    def as_completed(self, futures: Iterable[_LazyFuture]) -> _InOrder:
        return _InOrder(futures)


# ------------------------------------------------------------------------------- processes


class _Waiting:
    """``as_completed`` over a set that can grow (``concurrent.futures.wait`` loop)."""

    def __init__(self, futures: Iterable[cf.Future]) -> None:
        self._pending = set(futures)

    def add(self, fut: cf.Future) -> None:
        self._pending.add(fut)

    def __iter__(self) -> Iterator[cf.Future]:
        while self._pending:
            done, _ = cf.wait(self._pending, return_when=cf.FIRST_COMPLETED)
            for f in done:
                self._pending.discard(f)
                yield f


class ProcessExecutor(Executor):
    """``--jobs N``: N worker processes; a broken pool is replaced on the next ``submit``.

    >>> with ProcessExecutor(1) as ex:
    ...     [f.result() for f in ex.as_completed([ex.submit(abs, -3)])]
    [3]
    """

    name = "process"

    def __init__(self, workers: int) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
        self.workers = workers
        self._pool: cf.ProcessPoolExecutor | None = None

    def _live_pool(self) -> cf.ProcessPoolExecutor:
        if self._pool is not None and getattr(self._pool, "_broken", False):
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(max_workers=self.workers,
                                                initializer=_exit_with_parent,
                                                initargs=(os.getpid(),))
        return self._pool

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future:
        try:
            return self._live_pool().submit(fn, *args)
        except BrokenProcessPool:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
            return self._live_pool().submit(fn, *args)

    def as_completed(self, futures: Iterable[cf.Future]) -> _Waiting:
        return _Waiting(futures)

    def lost(self, exc: BaseException) -> bool:
        return isinstance(exc, BrokenProcessPool)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def abort(self) -> None:
        """Terminate the workers: after Ctrl-C, a shutdown that waits let each finish the
        task it held, computing points no store would keep (an outside probe)."""
        if self._pool is not None:
            for proc in list((getattr(self._pool, "_processes", None) or {}).values()):
                proc.terminate()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _exit_with_parent(parent: int, every_s: float = 1.0) -> None:
    """Worker initializer: a daemon thread ends this worker once ``parent`` is gone.

    A forked worker inherits the parent's end of the task pipe, so when the parent is killed
    (SIGKILL: no clean-up runs) the worker never sees end-of-file and would wait forever. The
    thread polls :func:`os.getppid` (the worker is re-parented when ``parent`` dies), which
    works on every POSIX system without ``prctl``. SIGTERM, which the parent may handle as
    Ctrl-C while it runs and which :meth:`ProcessExecutor.abort` sends, ends the worker at
    once, whatever handler it was forked with."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every_s)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


# ------------------------------------------------------------------------------- dask


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as e:
        raise ImportError(DASK_MISSING) from e
    return distributed


class DaskExecutor(Executor):
    """A ``dask.distributed`` client: ``scheduler`` address, else a new ``LocalCluster``.

    ``workers``: number of worker processes of the ``LocalCluster`` (one thread each; ignored
    with ``scheduler``). ``retries``: re-runs of a task that raised (``client.submit(...,
    retries=)``); tasks of a worker that died are rescheduled by dask itself.
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None,
                 retries: int = 2, **cluster_kwargs: Any) -> None:
        dd = _distributed()
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        self.retries = int(retries)
        self._cluster = None
        if scheduler is not None:
            if not isinstance(scheduler, str) or not scheduler.strip():
                raise ValueError(f"scheduler must be an address like 'tcp://host:8786', "
                                 f"got {scheduler!r}")
            if workers is not None:
                raise ValueError("workers applies to a LocalCluster only; the cluster at "
                                 "scheduler has its own workers")
            try:
                self._client = dd.Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as e:
                raise ConnectionError(
                    f"cannot reach the dask scheduler at {scheduler!r}: {e}") from e
        else:
            nw = 1 if workers is None else int(workers)
            if nw < 1:
                raise ValueError(f"workers must be >= 1, got {workers}")
            kw = {"n_workers": nw, "threads_per_worker": 1, "processes": True,
                  "dashboard_address": ":0"}
            kw.update(cluster_kwargs)
            self._cluster = dd.LocalCluster(**kw)
            self._client = dd.Client(self._cluster)
        self._dd = dd

    @property
    def client(self) -> Any:
        return self._client

    @property
    def workers(self) -> int:  # type: ignore[override]
        try:
            return max(1, len(self._client.scheduler_info()["workers"]))
        except Exception:  # noqa: BLE001
            return 1

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self._client.submit(fn, *args, pure=False, retries=self.retries)

    def as_completed(self, futures: Iterable[Any]) -> Any:
        return self._dd.as_completed(list(futures))

    def lost(self, exc: BaseException) -> bool:
        killed = getattr(self._dd, "KilledWorker", None)
        if killed is None:
            from distributed.scheduler import KilledWorker as killed
        return isinstance(exc, killed)

    def shutdown(self) -> None:
        try:
            self._client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()
                self._cluster = None


def make_executor(kind: str = "local", *, jobs: int = 1, scheduler: str | None = None
                  ) -> Executor:
    """The executor of ``--executor KIND`` (``--jobs``, ``--scheduler`` as on the CLI).

    ``local`` with ``jobs > 1`` gives a :class:`ProcessExecutor` (``--jobs N`` alone keeps its
    meaning); ``process`` with ``jobs`` workers; ``dask`` connects to ``scheduler`` or starts a
    ``LocalCluster`` of ``jobs`` workers.

    >>> make_executor("local").name, make_executor("process", jobs=2).name
    ('local', 'process')
    >>> make_executor("ray")
    Traceback (most recent call last):
    ...
    ValueError: executor must be one of local, process, dask; got 'ray'
    """
    if kind not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}; got {kind!r}")
    if scheduler is not None and kind != "dask":
        raise ValueError("scheduler applies to the dask executor only")
    if kind == "dask":
        return DaskExecutor(scheduler, None if scheduler is not None else jobs)
    if kind == "process" or jobs > 1:
        return ProcessExecutor(jobs)
    return LocalExecutor()


WORKER_LOST = "its worker died"
"""How the error of a task that killed its worker in every run begins (after ``worker failed:``;
:func:`failure_text`): memory (the kernel's OOM killer), a crash or a signal, none of which is
about the claim, so ``--resume`` runs it again, as it does a route out of memory."""


def failure_text(executor: Executor, exc: BaseException, max_attempts: int = 3) -> str:
    """The stored error of a task that ended with ``exc``: ``worker failed: …``, marked
    :data:`WORKER_LOST` where the worker died (``executor.lost``) in each of its runs.

    >>> from concurrent.futures.process import BrokenProcessPool
    >>> failure_text(ProcessExecutor(1), BrokenProcessPool("terminated abruptly"))[:44]
    'worker failed: its worker died in 3 run(s) a'
    >>> failure_text(ProcessExecutor(1), RuntimeError("a bug"))
    'worker failed: a bug'
    """
    if executor.lost(exc):
        return (f"worker failed: {WORKER_LOST} in {max_attempts} run(s) alone (memory, a "
                f"crash or a kill; --resume runs it again): {exc}")
    return f"worker failed: {exc}"


def run_tasks(
    executor: Executor,
    fn: Callable[..., Any],
    tasks: Sequence[tuple],
    max_attempts: int = 3,
) -> Iterator[tuple[int, Any, BaseException | None]]:
    """Run ``fn(*tasks[i])`` for all ``i``; yield ``(i, result, None)`` or ``(i, None, exc)``.

    A task whose worker died (``executor.lost(exc)``) is run again, up to ``max_attempts``
    runs in all; any other exception is yielded at once. Order: as tasks finish.

    A worker that dies breaks a process pool, and every task in flight with it is lost: the
    one that killed it (a plugin's segfault or ``os._exit``, memory) cannot be told from the
    others. Lost tasks therefore run again one at a time once nothing else is in flight, and
    only a run lost while its task was alone counts towards ``max_attempts`` (a task that kept
    killing its worker had taken the tasks beside it down in each of its runs, an audit).
    """
    futs: dict[Any, int] = {}
    attempts = [0] * len(tasks)  # runs lost while the task was alone
    suspects: collections.deque[int] = collections.deque()  # lost, to run again alone
    alone = len(tasks) == 1
    for i, args in enumerate(tasks):
        futs[executor.submit(fn, *args)] = i
    it = executor.as_completed(list(futs))
    for fut in it:
        i = futs.pop(fut)
        try:
            res = fut.result()
        except BaseException as e:  # noqa: BLE001 - sorted below
            if executor.lost(e) and attempts[i] + alone < max_attempts:
                attempts[i] += alone
                suspects.append(i)
            elif isinstance(e, KeyboardInterrupt | SystemExit):
                raise
            else:
                yield i, None, e
        else:
            yield i, res, None
        if not futs and suspects:  # nothing in flight: the next lost task, alone
            j = suspects.popleft()
            alone = True
            nf = executor.submit(fn, *tasks[j])
            futs[nf] = j
            it.add(nf)
