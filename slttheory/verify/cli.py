"""``python -m slttheory.verify``: run claims, store evidence, write the report.

::

    python -m slttheory.verify [--claims PATH ...] [--profile quick|full] [--out DIR]
                               [--resume] [--strict] [--device auto|cpu|cuda] [--jobs N]
                               [--executor local|process|dask] [--scheduler ADDRESS] [--no-batch]
                               [--list | --dry-run]

``--executor``: where tasks run (:mod:`slttheory.verify.run.executors`): ``local`` (this process;
with ``--jobs N > 1``, N worker processes), ``process`` (``--jobs`` worker processes), ``dask``
(the dask.distributed cluster at ``--scheduler``, else a ``LocalCluster`` of ``--jobs``
workers; needs ``pip install 'slttheory[dask]'``). The report and the result store are
written by this process whatever the executor (see ``docs/cluster.md``).

Defaults: every claim under ``verification/``, profile ``quick``, output ``reports/<profile>/``.
Exit status 0; 1 with ``--strict`` when a claim is refuted or errored; 2 for bad usage; 3
when ``report.json`` fails its own schema (a bug in slttheory: the reports are kept).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sqlite3
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from slttheory.verify.claims import (
    PROFILES,
    BadClaim,
    Claim,
    ExperimentClaim,
    find_claim_files,
    load_claims,
)
from slttheory.verify.claims.common import escape_controls
from slttheory.verify.judge import VERDICTS, fmt_point
from slttheory.verify.run.engine import LLC_EVERYWHERE, load_families, run_claims
from slttheory.verify.run.limits import effective_limit
from slttheory.verify.run.store import STORE_NAME, ResultStore

__all__ = ["main", "build_parser", "default_claims_dir"]


def default_claims_dir() -> Path:
    """``verification/`` in the current directory, else next to the installed package."""
    here = Path("verification")
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "verification"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m slttheory.verify",
        description="Check claims about learning coefficients (TOML files under verification/) "
        "against exact closed forms, exact Jacobian ranks and LLC estimates.",
    )
    p.add_argument(
        "--claims",
        nargs="+",
        metavar="PATH",
        help="claim files or folders (default: every *.toml under ./verification/, else "
        "under the source checkout's verification/ when slttheory is installed from one in "
        "editable mode)",
    )
    p.add_argument(
        "--profile",
        choices=PROFILES,
        default="quick",
        help="grid and sampler sizes: quick (minutes on a CPU) or full (sized for a GPU)",
    )
    p.add_argument("--out", metavar="DIR", help="output folder (default: reports/<profile>/)")
    p.add_argument(
        "--resume",
        action="store_true",
        help="skip points already in the output folder's result store",
    )
    p.add_argument(
        "--strict", action="store_true", help="exit 1 when any claim is refuted or errored"
    )
    p.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="device for the LLC route (auto: cuda when available)",
    )
    p.add_argument(
        "--jobs",
        type=_jobs,
        default=None,
        metavar="N",
        help="run claims' tasks in N worker processes (default auto: one per CPU core, at "
        "most 4; 1 runs everything in this process)",
    )
    p.add_argument(
        "--executor",
        choices=("local", "process", "dask"),
        default=None,
        help="where points run: local (this process; with --jobs N > 1 as 'process'), "
        "process (--jobs worker processes), dask (a dask.distributed cluster: --scheduler, "
        "else a LocalCluster of --jobs workers); default local",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="address of a running dask scheduler, e.g. tcp://host:8786 (--executor dask)",
    )
    p.add_argument(
        "--no-batch",
        action="store_true",
        help="run every point's LLC estimate on its own instead of batching the points of a "
        "claim into one vectorised sampler call",
    )
    plan_only = p.add_mutually_exclusive_group()  # each prints its own plan, then stops
    plan_only.add_argument(
        "--list", action="store_true", help="list the claims and their grid sizes, run nothing"
    )
    plan_only.add_argument(
        "--dry-run", action="store_true",
        help="print what the profile would run (points, routes, LLC settings, experiment "
        "runs), run nothing",
    )
    plan_only.add_argument(
        "--families-info", nargs="*", metavar="FAMILY",
        help="describe the named families (every family when none is named): the parameters a "
        "claim's grid and [fixed] can set, with their types, ranges and defaults, the closed "
        "form and the hypotheses; needs no claim files, runs nothing",
    )
    p.add_argument(
        "--families",
        metavar="MODULE:NAME",
        help="use this mapping of family names to Family objects instead of "
        "slttheory.models.FAMILIES (for plugins and tests); MODULE is an import name "
        "found on PYTHONPATH, not a file path: PYTHONPATH=path/to/folder ... --families "
        "my_families:FAMILIES for path/to/folder/my_families.py (docs/plugins.md)",
    )
    p.add_argument("--no-figures", action="store_true", help="skip figures/*.png")
    p.add_argument(
        "--memory-limit", metavar="GB", type=float, default=None,
        help="cap the address space of each of the run's processes (Linux, CPU device): a "
        "point that would need more fails with an error instead of the system killing the "
        "whole run (default: 90%% of physical memory shared by the --jobs worker processes, "
        f"at least {MIN_MEMORY_GB:g} each; 0 or inf: no cap; at least {MIN_MEMORY_GB:g})",
    )
    p.add_argument(
        "--time-limit", metavar="SECONDS", type=float, default=None,
        help="stop each route at a point (closed form, rank, w*, LLC, reruns) after this many "
        "seconds of wall-clock time, with an 'out of time' error for that route; the other "
        "routes, points and claims run on, and --resume under a longer limit or none computes "
        "such points again; a batch of k LLC control runs gets k times it; experiments are "
        "not limited (default: no limit; 0, inf or 1e8 and above: no limit; not with "
        "--executor dask)",
    )
    return p


MIN_MEMORY_GB = 2.0
"""The smallest ``--memory-limit``: below it the run cannot start (torch and the report's
modules take about 1 GB of address space, and the result store failed as "not a result store"
at 0.75 GB)."""

MEMORY_FRACTION = 0.9
"""The default ``--memory-limit`` as a fraction of physical memory. Without a cap a claim at
d = 10⁶ (a legal size: a closed form is cheap there) drove the process to 21 of 23 GB until
the system killed it, and the other 27 claims of the run got no report (an outside fuzzer);
under a cap the allocation fails, and that point's w* reports the error."""


def default_memory_cap(physical: int, processes: int) -> int:
    """The default ``--memory-limit`` of each of ``processes`` worker processes, in bytes:
    :data:`MEMORY_FRACTION` of ``physical`` memory shared among them (each process has its
    own cap, so with the whole fraction each, ``--jobs 4`` could ask for 3.6 times the memory
    there is, and the system would kill the run), but never below :data:`MIN_MEMORY_GB`.

    >>> round(default_memory_cap(24 * 2**30, 2) / 2**30, 2)
    10.8
    >>> default_memory_cap(8 * 2**30, 8) / 2**30  # floored: below 2 GB the run cannot start
    2.0
    """
    return max(int(MEMORY_FRACTION * physical / max(processes, 1)), int(MIN_MEMORY_GB * 2**30))


def _limit_memory(gb: float | None, device: str, processes: int = 1) -> str:
    """Set the address-space cap of ``--memory-limit`` (``RLIMIT_AS``, inherited by worker
    processes; by default :func:`default_memory_cap` for ``processes`` workers); what it did,
    in words. Not on a CUDA device, whose driver reserves address space far beyond the memory
    it uses, nor where the platform has no such limit."""
    if gb is not None and (gb == 0 or math.isinf(gb)):
        return "no memory cap"
    if device.startswith("cuda"):
        return "no memory cap (CUDA device)"
    try:
        import resource

        phys = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ImportError, ValueError, OSError, AttributeError):
        return "no memory cap (not supported here)"
    cap = min(int(min(gb, 2.0**32) * 2**30) if gb is not None else
              default_memory_cap(phys, processes), 2**62)  # 1e300 GB: no int overflow
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    if soft != resource.RLIM_INFINITY and soft <= cap:
        return f"memory cap {soft / 2**30:.1f} GB (already set)"
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    return f"memory cap {cap / 2**30:.1f} GB"


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _jobs(text: str) -> int:
    """``--jobs``: a positive integer up to 4 per CPU core available (at least 8; a process
    pool starts all its workers at once, so ``--jobs 100000`` forked that many), or ``auto``
    (one per core, at most 4)."""
    if text == "auto":
        return max(1, min(_cores(), 4))
    v = _positive_int(text)
    most = max(8, 4 * _cores())
    if v > most:
        raise argparse.ArgumentTypeError(f"at most {most} (4 per CPU core available), got {v}")
    return v


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {v}")
    return v


def resolve_device(device: str) -> str:
    if device == "cpu":
        return "cpu"
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:  # pragma: no cover
        has_cuda = False
    if device == "cuda" and not has_cuda:
        raise ValueError("--device cuda: no CUDA device is available")
    return "cuda" if has_cuda else "cpu"


class _LineProgress:
    """Per-line progress on a stream (the engine's progress protocol)."""

    def __init__(self, stream: Any = sys.stderr) -> None:
        self.stream, self.total, self.done = stream, 0, 0

    def start(self, total: int) -> None:
        self.total = total

    def add_total(self, n: int) -> None:
        self.total += n

    def claim(self, claim_id: str) -> None:
        pass

    def advance(self, *, claim_id: str, label: str, verdict: str | None, elapsed_s: float,
                cached: bool) -> None:
        self.done += 1
        tag = "stored" if cached else f"{elapsed_s:.1f} s"
        print(f"[{self.done}/{self.total}] {claim_id} {escape_controls(label)}: "
              f"{verdict or 'done'} ({tag})",
              file=self.stream, flush=True)

    def close(self) -> None:
        pass


def _progress(stream: Any) -> Any:
    """A progress bar where one is available (``slttheory.verify.run.progress``), else lines."""
    try:
        from slttheory.verify.run.progress import Progress
    except ImportError:
        return _LineProgress(stream)
    return Progress(stream=stream)


def _list(claims: Sequence[Any]) -> None:
    """One row per claim: id, family, kind, its grid points (runs) per profile and the family
    parameters it leaves at their defaults, in columns as wide as their longest entry."""
    rows = []
    for c in claims:
        if isinstance(c, BadClaim):
            rows.append((escape_controls(c.id or c.path), "", "ERROR",
                         escape_controls(c.message), ""))
        else:
            rows.append((c.id, c.family, c.kind, str(len(c.points("quick"))),
                         str(len(c.points("full"))),
                         ", ".join(f"{k}={v}" for k, v in getattr(c, "defaults", {}).items())))
    head = ("id", "family", "kind", "quick", "full", "defaults")
    w = [max(len(r[i]) for r in [head, *(r for r in rows if r[2] != "ERROR")])
         for i in range(3)]
    print(f"{head[0]:{w[0]}} {head[1]:{w[1]}} {head[2]:{w[2]}} {head[3]:>5} {head[4]:>5} "
          f"{head[5]}")
    for r in rows:
        if r[2] == "ERROR":
            print(f"{r[0]:{w[0]}} {'':{w[1]}} {'ERROR':{w[2]}} {r[3]}")
        else:
            print(f"{r[0]:{w[0]}} {r[1]:{w[1]}} {r[2]:{w[2]}} {r[3]:>5} {r[4]:>5} {r[5]}".rstrip())


def _over_rank_budget(claim: Any, points: Sequence[Mapping[str, Any]],
                      families: Mapping[str, Any]) -> list[str]:
    """The points whose Jacobian is above the rank route's budget, with its size."""
    from slttheory.verify.evidence.routes import above_rank_budget

    fam = families.get(claim.family)
    if getattr(fam, "rank_problem", None) is None:
        return []
    out = []
    for q in points:
        try:
            big = above_rank_budget(fam.rank_problem(dict(q)))
        except Exception:  # noqa: BLE001 - the run reports it; a dry run only plans
            continue
        if big is not None:
            out.append(f"{fmt_point(q)} ({big[0]} × {big[1]})")
    return out


def _dry_run(claims: Sequence[Any], profile: str,
             families: Mapping[str, Any] | None = None) -> None:
    """The plan of ``profile``: per claim its points, routes and LLC settings (point claims) or
    its runs and settings (experiment claims), and the points whose Jacobian is too large for
    the rank route (``routes.RANK_MAX_ENTRIES``). Nothing runs; errors in a claim are shown."""

    print(f"profile {profile}: what would run")
    n_points = n_llc = n_runs = n_bad = 0
    for c in claims:
        if isinstance(c, BadClaim):
            n_bad += 1
            print(f"- {escape_controls(c.id or c.path)}: ERROR {escape_controls(c.message)}")
        elif isinstance(c, ExperimentClaim):
            try:
                s = c.settings_for(profile)
                runs = len(c.points(profile))
                n_runs += runs
                print(f"- {c.id}: experiment {c.experiment}, {runs} run(s); settings "
                      + ", ".join(f"{k}={v}" for k, v in sorted(s.items())))
            except Exception as e:  # noqa: BLE001 - a dry run reports, never stops
                print(f"- {c.id}: ERROR {type(e).__name__}: {e}")
        else:
            pts = c.points(profile)
            ev = c.evidence_for(profile)
            llc = c.llc_settings(profile) if "llc" in ev else None
            n_points += len(pts)
            n_llc += len(pts) if llc is not None else 0
            print(f"- {c.id}: {len(pts)} point(s) of {c.family}; routes {', '.join(ev)}"
                  + ("; LLC settings " + (", ".join(f"{k}={v}" for k, v in sorted(llc.items()))
                                           or "estimate_llc defaults")
                     if llc is not None else ""))
            for q in pts[:5]:
                print(f"    {fmt_point(q) or '(the claim has no grid: one point)'}")
            if len(pts) > 5:
                print(f"    … {len(pts) - 5} more")
            big = _over_rank_budget(c, pts, families or {}) if "rank" in ev else []
            if big:
                print(f"    rank route not computed at {len(big)} point(s), Jacobian above "
                      f"the budget: {'; '.join(big[:5])}" + (" …" if len(big) > 5 else ""))
    llc_where = ("at every point that asks (for context where a certified fact decides)"
                 if LLC_EVERYWHERE.get(profile, True) else
                 "only where no certified fact decides")
    print(f"in all: {n_points} point(s), of which {n_llc} ask for an LLC, run {llc_where}, "
          f"each LLC that is to decide with its controls and reruns; {n_runs} experiment "
          f"run(s); {n_bad} claim file(s) in error")


def _write_html(rep: Mapping[str, Any], out: Path) -> None:
    """``report.html`` next to ``report.md``. Where it cannot be written (the renderer fails
    or cannot be imported, the disk is full) an earlier run's page is removed, and the user
    told so in one line: beside this run's ``report.json`` it would read as this run's
    (other verdicts, other numbers), while a missing page loses nothing that ``report.json``
    and ``report.md`` lack. The page is written whole or not at all (``write_text_atomic``),
    so a failure leaves the earlier page as it was until it is removed here."""
    try:
        from slttheory.verify.report.html import write_html

        write_html(rep, out)
        return
    except Exception as e:  # noqa: BLE001 - the page never stops the report
        why = f"{type(e).__name__}: {e}"
    page = out / "report.html"
    try:
        had = page.exists()
        page.unlink(missing_ok=True)
    except OSError as e:
        print(f"warning: report.html not written: {why}; the previous page could not be "
              f"removed ({e.strerror or e}): it is an earlier run's, not this run's",
              file=sys.stderr)
        return
    print(f"warning: report.html not written: {why}"
          + ("; the previous page was removed so that it cannot be read as this run's"
             if had else ""), file=sys.stderr)


def main(argv: Sequence[str] | None = None, *, cap_memory: bool = False) -> int:
    """The command line; ``cap_memory``: apply the default ``--memory-limit`` (``python -m
    slttheory.verify`` does; a caller in its own process sets no cap unless it passes the
    option)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    gb = args.memory_limit
    if gb is not None and not (gb == 0 or math.isinf(gb) or MIN_MEMORY_GB <= gb):
        parser.error(f"--memory-limit: must be 0 (no cap), inf, or a number of GB of at least "
                     f"{MIN_MEMORY_GB:g} (the run needs about 1 GB to start), got {gb}")
    if args.families_info is not None:
        return _families_info(parser, args)
    if not args.claims and not default_claims_dir().is_dir():
        # an installed wheel carries no claim files: they live in the source repository
        parser.error("no claims to run: there is no verification/ folder in the current "
                     f"directory ({Path.cwd()}), and this installation of slttheory carries "
                     "none (the claim files come with its source repository, not with the "
                     "package); run from a checkout, or pass --claims FILE_OR_FOLDER")
    try:
        paths = args.claims or [str(default_claims_dir())]
        files = find_claim_files(paths)
    except FileNotFoundError as e:
        parser.error(str(e))
    if not files:
        parser.error(f"no claim files (*.toml) under {', '.join(map(str, paths))}")
    try:
        families = load_families(args.families)
    except (ValueError, ImportError, AttributeError) as e:
        parser.error(f"--families: {e}")
    executor_kind = _executor_args(parser, args)
    limit = args.time_limit
    if limit is not None and (math.isnan(limit) or limit < 0):
        parser.error(f"--time-limit: a number of seconds, 0 or inf (no limit), got {limit}")
    args.time_limit = limit = effective_limit(limit)
    if limit is not None and executor_kind == "dask":
        parser.error("--time-limit: not with --executor dask (its workers run routes in "
                     "threads, which a timer signal cannot interrupt)")
    claims = load_claims(files, families)
    if args.list:
        _list(claims)
        return 0
    if args.dry_run:
        _dry_run(claims, args.profile, families)
        return 0
    try:
        device = resolve_device(args.device)
    except ValueError as e:
        parser.error(str(e))
    if args.out is not None and not args.out.strip():
        parser.error("--out: an empty name (give a folder, or leave --out out for "
                     f"reports/{args.profile}/)")
    out = Path(args.out or os.path.join("reports", args.profile))
    if out.exists() and not out.is_dir():
        parser.error(f"--out {out}: is a file, not a folder")
    # what the report will write, checked before any work (it failed only at the end)
    for name in ("report.json", "report.md", "report.html"):
        if (out / name).is_dir():
            parser.error(f"--out {out}: {out / name} is a folder; the report writes a file there")
    from slttheory.verify.report import foreign_report_files

    foreign = foreign_report_files(out)
    if foreign:  # a run replaces them: they would be lost
        parser.error(f"--out {out}: holds {', '.join(foreign)} that no slttheory.verify run "
                     "wrote (there is no report.json of one beside them); the run would "
                     "replace them: move them away, or choose another --out")
    if (out / "figures").exists() and not (out / "figures").is_dir():
        parser.error(f"--out {out}: {out / 'figures'} is a file; the report writes its figures "
                     "into a folder of that name")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"  # two runs at once: each its own probe
        probe.touch()
        probe.unlink()
    except OSError as e:
        parser.error(f"--out {out}: cannot write there ({e.strerror or e})")
    with _sole_writer(parser, out), _address_space_kept():
        if cap_memory or args.memory_limit is not None:
            what = _limit_memory(args.memory_limit, device, args.jobs)
            if what.startswith("memory cap"):
                print(f"slttheory.verify: {what} per process (--memory-limit)", file=sys.stderr)
        return _run_and_report(parser, args, claims, families, device, out, executor_kind)


@contextlib.contextmanager
def _address_space_kept() -> Iterator[None]:
    """Put this process's ``RLIMIT_AS`` back as it was when the run ends: the cap of
    ``--memory-limit`` is the run's, and ``main`` called from Python (a notebook, a test)
    had left the caller's process capped after it returned."""
    try:
        import resource

        before = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, ValueError, OSError, AttributeError):  # no such limit here
        yield
        return
    try:
        yield
    finally:
        try:
            resource.setrlimit(resource.RLIMIT_AS, before)
        except (ValueError, OSError):  # pragma: no cover - the hard limit was lowered meanwhile
            pass


LOCK_NAME = ".slttheory-verify.lock"
"""The file under ``--out`` that a run holds an exclusive lock on while it writes there."""


@contextlib.contextmanager
def _sole_writer(parser: argparse.ArgumentParser, out: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``out`` for the run (POSIX ``flock``; elsewhere none): a
    second run into the same folder would clear the first's stored points and overwrite its
    reports (an outside audit: two concurrent runs left the store with 16 of 40 points)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    try:
        fh = open(out / LOCK_NAME, "a+")  # noqa: SIM115 - held open for the whole run
    except OSError as e:
        parser.error(f"--out {out}: cannot open its lock file {out / LOCK_NAME} "
                     f"({e.strerror or e})")
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            locked = True
        except BlockingIOError:
            parser.error(f"--out {out}: another slttheory.verify run is writing there; wait "
                         "for it, or choose another --out")
        except OSError as e:  # a file system without locks (some NFS or FUSE mounts)
            print(f"slttheory.verify: warning: --out {out} cannot be locked "
                  f"({e.strerror or e}); make sure no other run writes there", file=sys.stderr)
            locked = False
        try:
            yield
        finally:
            if locked:
                fcntl.flock(fh, fcntl.LOCK_UN)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is (the workers stopped, what is stored said), exit 143."""


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM raises :class:`_Terminated` in the main thread while the run lasts (it had
    ended the process silently, exit 143, with no word of what was stored)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise _Terminated()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stored_points(path: Path) -> str:
    """The number of points in the store at ``path``, as text ("?" where it cannot be read)."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return str(con.execute("SELECT COUNT(*) FROM results").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return "?"


def _run_and_report(parser: argparse.ArgumentParser, args: argparse.Namespace, claims: list,
                    families: Any, device: str, out: Path, executor_kind: str) -> int:
    """Run the claims into ``out``'s store, write the reports, print the summary; the exit
    code."""
    t0 = time.perf_counter()
    try:
        with _terminate_as_interrupt():
            results = _run(parser, args, claims, families, device, out, executor_kind)
    except KeyboardInterrupt as e:  # every finished point is in the store: say how many
        print(f"\n{'terminated' if isinstance(e, _Terminated) else 'interrupted'}; "
              f"{_stored_points(out / STORE_NAME)} finished point(s) are stored in "
              f"{out / STORE_NAME} (points whose LLC, controls or reruns had not finished keep "
              "their exact routes and compute those again): rerun with --resume (and the "
              "same --out) to continue",
              file=sys.stderr)
        return 143 if isinstance(e, _Terminated) else 130
    wall = time.perf_counter() - t0
    from slttheory.verify.report import ReportSchemaError, write_report

    schema_error: ReportSchemaError | None = None
    try:
        rep = write_report(results, out, profile=args.profile, device=device, wall_s=wall,
                           figures=not args.no_figures)
    except ReportSchemaError as e:  # written, and kept: the page and the summary as ever
        rep, schema_error = e.report, e
    except OSError as e:
        print(f"slttheory.verify: error: --out {out}: the report could not be written "
              f"({e.strerror or e}); every finished point is in {out / STORE_NAME}: fix "
              "that and rerun with --resume", file=sys.stderr)
        return 2
    _write_html(rep, out)
    counts = rep["summary"]
    print("", file=sys.stderr)
    for c in rep["claims"]:
        note = _route_error_note(c)
        print(f"{c['verdict']:13} {escape_controls(c['id'] or c['path'])}{note}", file=sys.stderr)
    print(
        f"\n{', '.join(f'{counts[v]} {v}' for v in VERDICTS)} in {wall:.0f} s; "
        f"report: {out / 'report.md'}",
        file=sys.stderr,
    )
    if schema_error is not None:  # last, where it is seen; the exit status says it too
        print(_schema_error_text(schema_error, out), file=sys.stderr)
        return SCHEMA_EXIT
    if counts["error"] and not args.strict:  # exit 0 all the same: say how to make it 1
        print(f"{counts['error']} claim(s) in error (the run exits 0; --strict exits 1 on "
              "refuted or errored claims)", file=sys.stderr)
    if args.strict and (counts["refuted"] or counts["error"]):
        return 1
    return 0


SCHEMA_EXIT = 3
"""The exit status of a run whose ``report.json`` fails its own schema (a bug in slttheory)."""


def _schema_error_text(e: Any, out: Path) -> str:
    """What the user reads when ``report.json`` fails its own schema
    (:class:`~slttheory.verify.report.ReportSchemaError`): the failing field, that it is a
    bug of slttheory and where to report it, and that the reports written are kept."""
    return (f"slttheory.verify: error: {e.path} does not match its own schema at field "
            f"{e.field} ({e.problem}). This is a bug in slttheory, not in your claims: please "
            "report it to the slttheory developers (the project's issue tracker), with this "
            "message and report.json. The reports were written and are kept "
            f"({out / 'report.json'}, {out / 'report.md'}; the verdicts above are this run's); "
            f"every finished point is in {out / STORE_NAME}. Exit status {SCHEMA_EXIT}.")


def _route_error_note(claim: dict) -> str:
    """A note for the closing summary where a claim that is not itself ``error`` has points
    with a failed route (a plugin's build or rank map that raised, a route out of time): its
    verdict then rests on fewer routes than it asked for, which only the report said.

    >>> _route_error_note({"verdict": "inconclusive", "points": [
    ...     {"rank": {"status": "error"}, "at_point": {"status": "ok"}}, {"rank": None}]})
    '  (a route failed at 1 of 2 point(s): see the reason, [route errors: ...])'
    >>> _route_error_note({"verdict": "error", "points": [{"rank": {"status": "error"}}]})
    ''
    """
    if claim.get("verdict") == "error":
        return ""
    points = claim.get("points") or []
    routes = ("closed_form", "rank", "llc", "at_point")
    k = sum(any(isinstance(p.get(r), dict) and p[r].get("status") == "error" for r in routes)
            for p in points)
    return (f"  (a route failed at {k} of {len(points)} point(s): see the reason, "
            "[route errors: ...])") if k else ""


def _families_info(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """``--families-info``: describe the named families (every one when none is named)."""
    from slttheory.models.registry import describe

    try:
        families = load_families(args.families)
    except (ValueError, ImportError, AttributeError) as e:
        parser.error(f"--families: {e}")
    unknown = [n for n in args.families_info if n not in families]
    if unknown:
        parser.error(f"--families-info: unknown famil{'y' if len(unknown) == 1 else 'ies'} "
                     f"{', '.join(map(repr, unknown))} (known: {', '.join(sorted(families))})")
    for name in args.families_info or sorted(families):
        print(describe(families[name]) + "\n")
    return 0


def _executor_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """Check ``--executor``/``--scheduler``/``--jobs`` together; set ``args.jobs``; the
    executor kind."""
    executor_kind = args.executor or "local"
    if args.scheduler is not None and executor_kind != "dask":
        parser.error("--scheduler needs --executor dask")
    if args.scheduler is not None and not args.scheduler.strip():
        parser.error("--scheduler: empty address (expected e.g. tcp://host:8786)")
    if args.scheduler is not None and args.jobs is not None:
        parser.error("--jobs sets the workers of a LocalCluster; with --scheduler the cluster "
                     "has its own workers (drop --jobs)")
    if args.jobs is None:
        args.jobs = 1 if args.scheduler is not None else _jobs("auto")
    if executor_kind == "dask":
        try:
            import distributed  # noqa: F401
        except ImportError:
            from slttheory.verify.run.executors import DASK_MISSING

            parser.error(f"--executor dask: {DASK_MISSING}")
    return executor_kind


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace, claims: list,
         families: Any, device: str, out: Path, executor_kind: str) -> list:
    """Run every claim into the store under ``out`` with progress on stderr; the results."""

    from slttheory.verify.run.executors import make_executor

    try:
        store_cm = ResultStore(out / STORE_NAME)
    except sqlite3.OperationalError as e:
        parser.error(f"--out {out}: the result store {out / STORE_NAME} cannot be used ({e})")
    except sqlite3.DatabaseError as e:
        parser.error(f"--out {out}: {out / STORE_NAME} is not a result store ({e}); move it "
                     "away, or choose another --out")
    with store_cm as store:
        if not args.resume:
            from slttheory.verify.report import remove_report

            store.clear()
            remove_report(out)
        n_points = sum(len(c.points(args.profile)) for c in claims
                       if isinstance(c, Claim))
        n_runs = sum(len(c.points(args.profile)) for c in claims
                     if isinstance(c, ExperimentClaim))
        n_bad = sum(isinstance(c, BadClaim) for c in claims)
        try:
            executor = make_executor(executor_kind, jobs=args.jobs, scheduler=args.scheduler)
        except (ConnectionError, OSError, ValueError) as e:
            parser.error(f"--executor {executor_kind}: {e}")
        print(
            f"slttheory.verify: {len(claims)} claims ({n_bad} invalid), {n_points} points"
            + (f", {n_runs} experiment runs" if n_runs else "") + ", "
            f"profile {args.profile}, device {device}, executor {executor.name}, jobs {args.jobs}"
            f"{', no batching' if args.no_batch else ''}"
            + (f", time limit {args.time_limit:g} s per route and point"
               if args.time_limit is not None else "") + f" -> {out}",
            file=sys.stderr,
        )
        for c in claims:
            if isinstance(c, BadClaim):
                # its file's name may hold control characters: written as escapes
                print(f"invalid claim: {escape_controls(c.message)}", file=sys.stderr)
        prog = _progress(sys.stderr)
        try:
            return run_claims(
                claims,
                profile=args.profile,
                families=families,
                store=store,
                resume=args.resume,
                device=device,
                jobs=args.jobs,
                progress=prog,
                families_spec=args.families,
                executor=executor,
                batch=not args.no_batch,
                time_limit=args.time_limit,
            )
        except KeyboardInterrupt:  # drop the tasks in flight: no store would keep them
            executor.abort()
            raise
        except sqlite3.Error as e:  # the disk filled, the file was damaged or made read-only
            executor.abort()
            print(f"slttheory.verify: error: --out {out}: writing the result store "
                  f"{out / STORE_NAME} failed ({e}); the points stored before are kept: fix "
                  "that and rerun with --resume", file=sys.stderr)
            raise SystemExit(2) from None
        finally:
            prog.close()
            executor.shutdown()
