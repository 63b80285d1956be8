"""Running claims: exact routes at every point, LLCs where they are needed, their controls.

Phases, per profile:

1. **Exact routes** (closed form, rank) at every point, and w* built and measured there
   (gradient norm, smallest Hessian eigenvalues, the claim's hypotheses, the family's
   symmetry orbit) wherever the profile runs a route, the claim lists hypotheses or the
   family has a symmetry orbit.
2. **Which LLCs to run.** A point needs an LLC when its claim asks for one and no certified
   fact decides it (``quick``), or at every point that asks (``full``; an LLC at a point a
   certified route already decides is shown for context). Every LLC that is to *decide* a
   point (at a w* that is a minimum of L_n, or a true parameter) gets controls
   (:mod:`slttheory.verify.evidence.controls`).
3. **LLC units and control sets** run on the executor: the LLCs of one claim batched into one
   vectorised sampler call per architecture, each distinct control set once (keyed by its
   rules, so points that share rules share controls). A scaling claim's LLCs run with their
   reruns at γ × 3, γ / 3, ε / 2 (its fit is judged at each).
4. **Reruns** of a point's LLC once its controls are in, only where the controlled band would
   decide the point: a rerun can only turn a decided verdict into an inconclusive one.
5. **Judgement** from the stored evidence (:func:`slttheory.verify.judge.judge_claim`).

The family registry and the routes are arguments (no global state): tests pass fakes; the
command line passes :data:`slttheory.models.FAMILIES`. Evidence is written to the store by this
(coordinating) process as each point's evidence is complete; ``resume`` skips stored points and
control sets. Experiment claims run after the point claims
(:mod:`slttheory.verify.run.experiments`).
"""

from __future__ import annotations

import importlib
import json
import math
import os
import pickle
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from slttheory._provenance import families_fingerprint
from slttheory.verify.claims import AnyClaim, BadClaim, Claim, ExperimentClaim, point_key
from slttheory.verify.claims import settings_hash as point_settings_hash
from slttheory.verify.evidence.controls import (
    choose_controls,
    control_key,
    control_settings,
    data_seeds,
    run_control_jobs,
    run_key,
)
from slttheory.verify.evidence.records import (
    EVIDENCE_THREADS,
    RERUN_SETTINGS,
    AtPoint,
    ClosedFormEvidence,
    ControlRun,
    ControlSet,
    LLCEvidence,
    PointEvidence,
    RankEvidence,
    Rerun,
    consistent_rank,
    jsonable,
    no_minimum_for_the_llc,
    well_typed,
)
from slttheory.verify.evidence.routes import (
    DEFAULT_ROUTES,
    OUT_OF_MEMORY,
    OUT_OF_TIME,
    Routes,
    with_formula_multiplicity,
    with_rank_map,
)
from slttheory.verify.judge import (
    ClaimResult,
    ClaimVerdict,
    judge_claim,
    point_verdict,
    unmet_hypotheses,
)
from slttheory.verify.judge.point import FIT_ONLY, certified_bounds, certified_value
from slttheory.verify.run.executors import (
    WORKER_LOST,
    LocalExecutor,
    ProcessExecutor,
    failure_text,
    run_tasks,
)
from slttheory.verify.run.limits import (
    _call_limited,
    can_limit_here,
    effective_limit,
    limited,
    stored_limit,
    time_limited,
)
from slttheory.verify.run.progress import IN_FIT
from slttheory.verify.run.store import ResultStore

__all__ = ["LLC_EVERYWHERE", "BATCH_MAX", "load_families", "run_claims", "chunk_sizes",
           "NullProgress"]

LLC_EVERYWHERE = {"quick": False, "full": True}
"""Per profile: run the LLC at points a certified route already decides (for context)?"""

BATCH_MAX = 64
"""Most points in one batched LLC task (memory: points × chains × d on the device)."""


def load_families(spec: str | None) -> Mapping[str, Any]:
    """The family registry: :data:`slttheory.models.FAMILIES`, or ``MODULE:NAME``."""
    if spec is None:
        import slttheory.models  # noqa: F401 - registers the families
        from slttheory.models.registry import FAMILIES

        return FAMILIES
    mod, _, name = spec.partition(":")
    if not mod or not name:
        raise ValueError(f"--families must be MODULE:NAME, got {spec!r}")
    if "/" in mod or os.sep in mod:  # a file path: never an import name
        raise ValueError(_no_module(mod, name))
    try:
        module = importlib.import_module(mod)
    except ModuleNotFoundError as e:
        if e.name == mod or mod.startswith(f"{e.name}.") or mod.endswith(".py"):
            raise ValueError(_no_module(mod, name)) from None
        raise ValueError(f"importing {mod!r} failed: it imports {e.name!r}, which is not "
                         "installed") from None
    except (Exception, SystemExit) as e:  # noqa: BLE001 - any error in the user's module,
        # or its sys.exit() (which ended the run silently with its code), is a usage error
        raise ValueError(f"importing {mod!r} failed: {type(e).__name__}: {e}") from None
    try:
        families = getattr(module, name)
    except AttributeError:
        raise ValueError(f"module {mod!r} has no attribute {name!r}") from None
    if not isinstance(families, Mapping) or not all(
            isinstance(k, str) and callable(getattr(f, "validate", None))
            for k, f in families.items()):
        raise ValueError(f"{spec} must be a mapping of family names to Family objects "
                         f"(slttheory.models.registry.Family), got {type(families).__name__}")
    return families


def _no_module(mod: str, name: str) -> str:
    """Why ``MODULE`` of ``--families MODULE:NAME`` did not import, and what to pass instead
    where it was written as a file path (``path/to/myfam.py``, ``myfam.py``): MODULE is an
    importable name, found on the import path, not a file."""
    path = Path(mod)
    if mod.endswith(".py") or "/" in mod or os.sep in mod:
        folder = str(path.parent) if str(path.parent) not in ("", ".") else "."
        stem = path.name[:-3] if path.name.endswith(".py") else path.name
        return (f"no module named {mod!r}: --families takes a module's import name, not a "
                f"file path; put its folder on PYTHONPATH and name the module, e.g. "
                f"PYTHONPATH={folder} python -m slttheory.verify --families {stem}:{name}")
    return (f"no module named {mod!r} (is its folder on PYTHONPATH? e.g. "
            f"PYTHONPATH=/path/to/folder python -m slttheory.verify --families {mod}:{name})")


class NullProgress:
    """The progress protocol, doing nothing (``start``, ``add_total``, ``claim``,
    ``advance``, ``close``). ``advance``'s ``verdict`` is a point's verdict, ``IN_FIT``
    for a scaling claim's point (judged only in the claim's fit), or ``None`` for a stage."""

    def start(self, total: int) -> None: ...

    def add_total(self, n: int) -> None: ...

    def claim(self, claim_id: str) -> None: ...

    def advance(self, *, claim_id: str, label: str, verdict: str | None, elapsed_s: float,
                cached: bool) -> None: ...

    def close(self) -> None: ...


def chunk_sizes(n: int, workers: int, batch_max: int = BATCH_MAX) -> list[int]:
    """Split ``n`` points into near-equal chunks: at least ``workers`` (so every worker has
    one) when there are enough points, at most ``batch_max`` points each.

    >>> chunk_sizes(64, 1), chunk_sizes(64, 2), chunk_sizes(3, 4), chunk_sizes(130, 1)
    ([64], [32, 32], [1, 1, 1], [44, 43, 43])
    """
    if n <= 0:
        return []
    k = max(min(workers, n), math.ceil(n / batch_max))
    base, extra = divmod(n, k)
    return [base + 1 if i < extra else base for i in range(k)]


# --- worker-side units (top-level functions: they pickle) ----------------------------------


def _in_worker(family: Any, isolated: bool) -> Any:
    """Resolve a registry reference to its family; one torch thread in a worker process."""
    if isinstance(family, tuple) and family and family[0] == "registry":
        family = load_families(family[1])[family[2]]
    if isolated:
        try:
            import torch

            torch.set_num_threads(EVIDENCE_THREADS)
        except ImportError:  # pragma: no cover
            pass
    return family


def _exact_unit(claim: Claim, params: Mapping[str, Any], profile: str, family: Any,
                routes: Routes, device: str, isolated: bool) -> dict[str, Any]:
    """Closed form and rank at one point, and w* built and measured there (its checks, the
    claim's hypotheses, the family's symmetry orbit) wherever the profile runs a route or
    there is a hypothesis or orbit to read (evidence as a dict; LLC left for later)."""
    t0 = time.perf_counter()
    family = _in_worker(family, isolated)
    try:
        q = family.validate(dict(params), where=f"{claim.path}: point {point_key(params)}")
    except Exception as e:  # noqa: BLE001
        return _task_error(claim, profile, f"invalid point: {e}",
                           round(time.perf_counter() - t0, 3)).to_dict()
    ev = claim.evidence_for(profile)
    cf = routes.closed_form(family, q) if "closed_form" in ev else None
    ind = tuple(routes.independent(family, q)) if "closed_form" in ev else ()
    rk = routes.rank(family, q, claim.rank_settings(profile)) if "rank" in ev else None
    # w* is measured wherever a route runs, and for the claim's hypotheses or the family's
    # symmetry orbit even where none does (a scaling claim left out of a profile still says
    # which points its hypotheses exclude)
    measure = _measures(claim, profile, family)
    at = routes.at_point(family, [q], claim.llc_settings(profile), device)[0] if measure \
        else None
    if _guard_needs_multiplicity(ev):
        at = with_formula_multiplicity(at, family, q)
    if _advice_needs_rank_map(claim):
        at = with_rank_map(at, family, q)
    return PointEvidence(cf, rk, None, round(time.perf_counter() - t0, 3), at_point=at,
                         independent=ind).to_dict()


def _measures(claim: Claim, profile: str, family: Any) -> bool:
    """Whether :func:`_exact_unit` builds and measures w* at the claim's points: wherever a
    route runs, and for the claim's hypotheses or the family's symmetry orbit even where none
    does."""
    return bool(claim.evidence_for(profile)) or bool(claim.hypotheses) or \
        callable(getattr(family, "orbit", None))


def _lacks_records(claim: Claim, profile: str, family: Any, ev: PointEvidence) -> bool:
    """Whether stored evidence lacks a record of w* that the claim as it is now would have
    kept, though the settings hash (which leaves out what only judges) is the same: w* not
    measured where the claim now lists hypotheses, or no record of the family's rank map
    where the claim no longer asks for the rank route in its base ``evidence`` (a profile's
    own list unchanged). A resumed reason then told that the rank route's effect "was not
    recorded" where a fresh run said it decides."""
    at = ev.at_point
    if at is None:  # where a route runs, w* is measured (None: the task failed)
        return not claim.evidence_for(profile) and _measures(claim, profile, family)
    return (at.status == "ok" and _advice_needs_rank_map(claim)
            and getattr(family, "rank_problem", None) is not None
            and "rank_map" not in at.extras)


def _guard_needs_multiplicity(evidence: Sequence[str]) -> bool:
    """Whether the point's measurement of w* records the family formula's multiplicity
    (:func:`~slttheory.verify.evidence.routes.with_formula_multiplicity`): for an LLC whose
    claim does not run the closed-form route, the multiplicity guard's only source."""
    return "llc" in evidence and "closed_form" not in evidence


def _advice_needs_rank_map(claim: Claim) -> bool:
    """Whether the point's measurement of w* records what the family's rank map states there
    (:func:`~slttheory.verify.evidence.routes.with_rank_map`): for a claim that does not ask
    for the rank route its family can run, whose reason says what adding it could do."""
    return "rank" in claim.routes_available and "rank" not in claim.evidence


def _llc_unit(claim: Claim, points: Sequence[Mapping[str, Any]], profile: str, family: Any,
              routes: Routes, device: str, reruns: Sequence[bool],
              keys: Sequence[str | None], measure: bool, isolated: bool
              ) -> list[dict[str, Any]]:
    """The LLC route at ``points`` (batched), with reruns and control keys as planned; w* is
    measured there unless it was before (``measure=False``)."""
    family = _in_worker(family, isolated)
    settings = claim.llc_settings(profile)
    qs = [family.validate(dict(p)) for p in points]
    evs = routes.llc(family, qs, settings, device, reruns=list(reruns), measure=measure)
    if _guard_needs_multiplicity(claim.evidence_for(profile)):
        evs = [(e, with_formula_multiplicity(a, family, q)) for (e, a), q in zip(evs, qs,
                                                                                strict=True)]
    if _advice_needs_rank_map(claim):
        evs = [(e, with_rank_map(a, family, q)) for (e, a), q in zip(evs, qs, strict=True)]
    return [{"llc": replace(e, control_key=k).to_dict(),
             "at_point": None if a is None else a.to_dict()}
            for (e, a), k in zip(evs, keys, strict=True)]


def _rerun_unit(claim: Claim, points: Sequence[Mapping[str, Any]], profile: str, family: Any,
                routes: Routes, device: str, bases: Sequence[dict[str, Any]], isolated: bool
                ) -> list[list[dict[str, Any]]]:
    """The reruns (γ × 3, γ / 3, ε / 2) of the LLCs ``bases`` already made at ``points``."""
    t0 = time.perf_counter()
    family = _in_worker(family, isolated)
    qs = [family.validate(dict(p)) for p in points]
    rrs = routes.reruns(family, qs, claim.llc_settings(profile), device,
                        [LLCEvidence.from_dict(b) for b in bases])
    share = round((time.perf_counter() - t0) / max(len(points), 1), 3)
    return [{"reruns": [jsonable(r.__dict__) for r in rr], "elapsed_s": share} for rr in rrs]


def _control_unit(jobs: Sequence[tuple[Any, int]], families_ref: Any,
                  settings: Mapping[str, Any], device: str, isolated: bool,
                  time_limit: float | None = None) -> list[dict[str, Any]]:
    """Control runs of one family under one set of rules (a batched sampler call), under
    ``time_limit`` seconds per run where one is set (``--time-limit``)."""
    families = load_families(families_ref[1]) if isinstance(families_ref, tuple) else \
        families_ref
    _in_worker(None, isolated)
    runs = limited(run_control_jobs, "controls", time_limit)(jobs, families, settings, device)
    return [jsonable(r.__dict__) for r in runs]


def _experiment_unit(claim: ExperimentClaim, profile: str, store_path: Any, device: str,
                     progress: Any, isolated: bool) -> Any:
    """One experiment claim, its stages stored at ``store_path`` (its own connection)."""
    from slttheory.verify.run.experiments import ExperimentStore, run_experiment_claim

    _in_worker(None, isolated)
    if progress is not None:
        progress.claim(claim.id)
    es = ExperimentStore(store_path) if store_path is not None else None
    try:
        return run_experiment_claim(claim, profile=profile, store=es, device=device,
                                    progress=progress)
    finally:
        if es is not None:
            es.close()


def _as_certified(run: ControlRun, control: Any) -> ControlRun:
    """``run`` with the certificate of ``control`` (the control set's own): one run serves
    every set that shares its control and data set, but claims of different sources certify
    the same λ by different formulas, and a set must name the one independent of its own
    claim (a Watanabe 2009 claim's control had been shown certified by Watanabe 2009, an
    outside audit)."""
    if (run.family, dict(run.params)) != (control.family, dict(control.params)):
        return run
    return replace(run, kind=control.kind, lam=control.lam,
                   multiplicity=control.multiplicity, certified_by=control.certified_by)


def _unit(kind: str, args: tuple) -> Any:
    try:
        return {"exact": _exact_unit, "llc": _llc_unit,
                "controls": _control_unit, "experiment": _experiment_unit,
                "reruns": _rerun_unit}[kind](*args)
    except SystemExit as e:  # a plugin's sys.exit (or argparse's error): that task's error
        # it had ended the whole run, exit status e.code, with no report (an audit)
        raise RuntimeError(f"code it ran (a model family's, an experiment's) called "
                           f"sys.exit({e.code!r}) (SystemExit)") from None


def _ref(obj: Any, spec: str | None, name: str | None = None) -> Any:
    """``obj`` if it pickles, else a reference the worker resolves by name."""
    try:
        pickle.dumps(obj)
        return obj
    except Exception:  # noqa: BLE001 - closures (the registry's builds) do not pickle
        return ("registry", spec, name)


# --- the coordinator -----------------------------------------------------------------------


@dataclass(eq=False)
class _Point:
    ci: int
    pi: int
    claim: Claim
    params: dict[str, Any]
    hash: str
    evidence: PointEvidence | None = None
    llc: bool = False  # run the LLC
    decide: bool = False  # the LLC is to decide: controls, and reruns where they matter
    rerun_later: bool = False  # reruns once the controls say the LLC's verdict may stand
    measure: bool = False  # w* was built and measured with the exact routes
    key: str | None = None
    exact_kept: bool = False  # its exact routes were read from the store (LLC still to come)


def _settled_without_llc(p: _Point) -> bool:
    """Whether the point is settled without an LLC: the exact evidence decides it (certified
    verdict), a hypothesis of the claim fails as measured at w*, or the prediction is a bound
    every model meets (λ ≤ P with P ≥ d/2: it asserts nothing) — no LLC can then decide.
    A scaling claim's point is settled where the certified facts fix λ exactly (its fit takes
    that value, :func:`slttheory.verify.judge.scaling._controlled`) or a hypothesis fails
    (the fit leaves it out)."""
    if p.evidence is None:
        return False
    try:
        if p.claim.kind == "scaling":
            return bool(unmet_hypotheses(p.claim, p.evidence, None)) or \
                certified_value(*certified_bounds(p.claim, p.evidence)) is not None
        pred = p.claim.predicted_at(p.params)
        if pred is None:
            return False
        pv = point_verdict(p.claim, p.params, p.evidence, pred)
        unmet = unmet_hypotheses(p.claim, p.evidence, pred)
    except Exception:  # noqa: BLE001 - judged again (and reported) later
        return False
    return pv.grade == "certified" or pv.asserts_nothing or bool(unmet)


def run_claims(
    claims: Sequence[AnyClaim],
    *,
    profile: str,
    families: Mapping[str, Any],
    routes: Routes = DEFAULT_ROUTES,
    store: ResultStore | None = None,
    resume: bool = False,
    device: str = "cpu",
    jobs: int = 1,
    progress: Any = None,
    families_spec: str | None = None,
    executor: Any = None,
    batch: bool = True,
    time_limit: float | None = None,
) -> list[Any]:
    """Evaluate every claim (module docstring); results in the order of ``claims``.

    Tasks run on ``executor`` (``None``: a process pool of ``jobs`` workers when ``jobs > 1``,
    else this process). Outside this process a family that does not pickle is looked up by name
    (``families_spec`` as in ``--families``); a task whose worker died is resubmitted. With
    ``batch`` (default) the LLCs of a claim run in batched tasks of at most ``BATCH_MAX``
    points; ``batch=False`` gives one task per point. ``time_limit``: seconds of wall-clock
    time each route may take per point (:func:`slttheory.verify.run.limits.time_limited`).
    """
    own = executor is None
    if own:
        executor = ProcessExecutor(jobs) if jobs > 1 else LocalExecutor()
    limit = effective_limit(time_limit)
    import torch

    threads = torch.get_num_threads()
    # the local executor computes in this process: on the workers' one thread as well, for
    # the same numbers whatever --jobs and the machine's cores (EVIDENCE_THREADS)
    local = isinstance(executor, LocalExecutor)
    if local:
        torch.set_num_threads(EVIDENCE_THREADS)
    try:
        return _Run(claims, profile, families, time_limited(routes, limit), store, resume,
                    device, progress or NullProgress(), families_spec, executor, batch,
                    limit).run()
    finally:
        if local:
            torch.set_num_threads(threads)
        if own:
            executor.shutdown()


class _Run:
    """One verification run: the points of every claim, what is known of them, the tasks."""

    def __init__(self, claims, profile, families, routes, store, resume, device, progress,
                 families_spec, executor, batch, time_limit=None) -> None:
        self.claims, self.profile, self.families, self.routes = claims, profile, families, routes
        self.store, self.resume, self.device, self.progress = store, resume, device, progress
        self.executor, self.batch = executor, batch
        self.time_limit: float | None = time_limit  # the limit out-of-time evidence names
        self.local = isinstance(executor, LocalExecutor)
        self.workers = max(1, int(getattr(executor, "workers", 1)))
        self.pts: list[_Point] = []
        self.per_claim: dict[int, list[_Point]] = {}
        # a --families plugin's own code keys its stored evidence, as the package's does
        self.families_code = families_fingerprint(families, package=load_families(None))
        for ci, c in enumerate(claims):
            if isinstance(c, Claim):
                for pi, q in enumerate(c.points(profile)):
                    p = _Point(ci, pi, c, q, point_settings_hash(c, q, profile, device,
                                                                  self.families_code))
                    self.pts.append(p)
                    self.per_claim.setdefault(ci, []).append(p)
        self.refs = {n: families[n] if self.local else _ref(families[n], families_spec, n)
                     for n in {p.claim.family for p in self.pts}}
        self.families_ref = families if self.local else _ref(families, families_spec)
        self.controls: dict[str, ControlSet] = {}
        self.chosen: dict[tuple, list[Any]] = {}
        self.planned: dict[str, tuple[list[Any], dict[str, Any]]] = {}
        self.run_jobs: dict[str, tuple[Any, int, dict[str, Any]]] = {}
        # each control set's runs, as (run key, the set's own control): a run shared between
        # sets (its key leaves out how λ was certified) carries the certificate of the set it
        # is read into
        self.needed: dict[str, list[tuple[str, Any]]] = {}
        self.run_results: dict[str, ControlRun] = {}
        self.sharing: dict[int, list[_Point]] = {}
        self.exp_results: dict[int, Any] = {}
        # points whose LLC is in but whose controls are not: their verdict is shown when
        # the controls arrive (shown earlier, it would be the verdict without them)
        self.waiting: dict[str, list[tuple[_Point, bool]]] = {}
        # points whose LLC may decide, held until their controls say whether to rerun it
        self.rerun_pending: list[_Point] = []

    # --- the phases ------------------------------------------------------------------------

    def run(self) -> list[Any]:
        self.progress.start(len(self.pts))
        todo = self._load_stored()
        # 1. exact routes and w* (its checks, the claim's hypotheses, the family's symmetry
        # orbit: it may decide without an LLC) at every point; 2. the plan; 3. experiments,
        # control runs and LLCs, all on the executor
        self._exact(todo)
        units, owners = self._experiment_units()
        for u, o in (self._control_units(), self._llc_units(todo)):
            units += u
            owners += o
        self.progress.add_total(sum(isinstance(o, tuple) for o in owners)
                                + (0 if self.local else sum(isinstance(o, int) for o in owners)))
        for i, res, exc in run_tasks(self.executor, _unit, units):
            self._finish(owners[i], res, exc)
        # 4. reruns of the LLCs whose verdict, with their controls in, would stand
        self._reruns()
        return self._judge()

    def _load_stored(self) -> list[_Point]:
        """Points already in the store (with ``resume``) are done; the rest are returned."""
        todo = []
        for p in self.pts:
            stored = self.store.get(p.claim.id, point_key(p.params), p.hash) \
                if (self.store and self.resume) else None
            if stored is None:
                self._kept_exact(p)
                todo.append(p)
                continue
            ev = _evidence_of(stored)
            if ev is None:  # a damaged row: computed again
                todo.append(p)
                continue
            p.evidence = replace(ev, stored=True)
            if self._stale(p):
                p.evidence = None
                todo.append(p)
                continue
            key = p.evidence.llc.control_key if p.evidence.llc is not None else None
            cs = self._stored_controls(key) if key else None
            if cs is not None:
                self.controls[key] = cs
            elif key is not None and self._controls(p)[1] == key:
                # stored before its controls were (a scaling point is stored once its LLC is
                # in; a run killed before its controls finished left it without them for
                # good, an outside audit), or with stale ones: planned as in a fresh run
                p.key = key
                self.planned.setdefault(key, (self._controls(p)[0],
                                              self._control_settings(p)))
            if p.key is not None or (key is not None and self._needs_reruns(p)):
                # controls to come, or stored without reruns (its band decided nothing then)
                # while it would decide under the claim as edited since: its reruns, where
                # they can change the verdict, run after the controls, as in a fresh run
                p.key, p.rerun_later = key, True
                self.rerun_pending.append(p)
                continue
            self._done(p, True)
        return todo

    def _kept_exact(self, p: _Point) -> None:
        """With ``resume``, the exact routes a killed run kept for the point while its LLC
        was to come (:meth:`ResultStore.put_exact`): read back, so that only the LLC runs;
        kept evidence that fell short of memory or time is computed again."""
        kept = self.store.get_exact(p.claim.id, point_key(p.params), p.hash) \
            if (self.store and self.resume) else None
        ev = None if kept is None else _evidence_of(kept)
        if ev is not None and not _for_want_of_resources(ev, self.time_limit) and \
                not _lacks_records(p.claim, self.profile, self.families.get(p.claim.family),
                                   ev):
            p.evidence, p.exact_kept = ev, True

    def _stale(self, p: _Point) -> bool:
        """Whether stored evidence no longer fits the claim as it is now: the settings hash
        leaves out what only judges (the prediction, relation and source), yet those decide
        whether an LLC runs and which controls are independent of the claim. Evidence a
        route could not compute for want of memory or time is computed again (a run with more
        may)."""
        ev = p.evidence
        if _for_want_of_resources(ev, self.time_limit) or \
                _lacks_records(p.claim, self.profile, self.families.get(p.claim.family), ev):
            return True
        if "llc" not in p.claim.evidence_for(self.profile):
            return False
        llc = ev.llc
        # the plan a fresh run makes from the point's exact evidence, before any LLC (_plan):
        # as kept in the store for the LLC to come, else the stored evidence without its LLC.
        # Kept exact routes belong to the stored evidence only where it has an LLC (the run
        # that ran it kept them, or read them back): beside a point stored without one, a
        # kept row is an earlier run's (its w* out of memory, say), which had the claim's
        # hypotheses read as unmeasured, the point settled and its LLC never run (an audit)
        kept = self.store.get_exact(p.claim.id, point_key(p.params), p.hash) \
            if self.store is not None and llc is not None else None
        exact = _evidence_of(kept) if kept is not None else None
        planned = replace(p, evidence=exact if exact is not None else replace(ev, llc=None))
        run, decide = self._wants_llc(planned)[0], self._decides(planned)
        if llc is None:  # stored without an LLC: does this claim now need one?
            return run
        if not run:  # stored with one a fresh run would not run: the point is settled now
            # (quick; a resumed report had kept the LLC, its controls and reruns, an audit)
            return True
        if llc.control_key is None:  # stored for context: is it now to decide, with controls?
            return decide and self._controls(p)[1] is not None
        # stored to decide: a fresh run now runs it for context only (full), or with others
        return not decide or self._controls(p)[1] != llc.control_key

    def _decides(self, p: _Point) -> bool:
        """Whether the point's LLC is to decide it (and so gets controls): it runs, no
        certified fact settles the point, and w* is a minimum of L_n or a true parameter."""
        run, undecided = self._wants_llc(p)
        at = p.evidence.at_point if p.evidence is not None else None
        llc = p.evidence.llc if p.evidence is not None else None
        return run and undecided and not no_minimum_for_the_llc(at, llc)

    def _wants_llc(self, p: _Point) -> tuple[bool, bool]:
        """``(run an LLC, it may decide)``: everywhere in the full profile, else where no
        certified fact (or unmet hypothesis) settles the point (for a scaling claim: fixes
        its λ exactly)."""
        decided = _settled_without_llc(p)
        return LLC_EVERYWHERE.get(self.profile, True) or not decided, not decided

    def _controls(self, p: _Point) -> tuple[list, str | None]:
        """The point's controls (chosen once per family, point and source) and their key
        (``None`` without controls)."""
        ck = (p.claim.family, point_key(p.params), p.claim.source)
        if ck not in self.chosen:
            args = (p.claim.family, p.params, self.families, p.claim.source)
            if self.time_limit is not None and can_limit_here():
                # certifying candidates runs exact ranks here, in the coordinating process:
                # under --time-limit as every route is (a point of 880 parameters took
                # minutes with --time-limit 2); none certified in time: no controls
                got, fired = _call_limited(
                    choose_controls, args,
                    {"deadline": time.monotonic() + self.time_limit}, self.time_limit,
                    f"{OUT_OF_TIME}: choosing controls")
                self.chosen[ck] = [] if fired else got
            else:
                self.chosen[ck] = choose_controls(*args)
        chosen = self.chosen[ck]
        if not chosen:
            return chosen, None
        return chosen, control_key(chosen, self._control_settings(p), self.device,
                                   self.families_code)

    def _control_settings(self, p: _Point) -> dict[str, Any]:
        """The rules of the point's controls: its LLC settings at the sample size the point
        itself is built at (:func:`~slttheory.verify.evidence.controls.control_settings`)."""
        return control_settings(p.claim.llc_settings(self.profile),
                                self.families.get(p.claim.family))

    def _exact(self, todo: list[_Point]) -> None:
        """Closed form, rank and w* at every point, then the point's plan. w* is measured
        before the LLC is planned (an LLC at a w* that is no minimum gets no controls, a
        hypothesis that fails there settles the point) and at every point where a route runs,
        so that each records its checks (gradient norm, smallest Hessian eigenvalues)."""
        kept = [p for p in todo if p.exact_kept]
        todo = [p for p in todo if not p.exact_kept]
        args = [("exact", (p.claim, p.params, self.profile, self.refs[p.claim.family],
                           self.routes, self.device, not self.local)) for p in todo]
        for p in kept:  # read back from a killed run's store: straight to the plan
            at = p.evidence.at_point
            p.measure = at is not None and at.status == "ok"
            self._plan(p)
        for i, res, exc in run_tasks(self.executor, _unit, args):
            p = todo[i]
            p.evidence = _task_error(p.claim, self.profile, self._failure(exc)) \
                if exc is not None else PointEvidence.from_dict(res)
            at = p.evidence.at_point
            p.measure = at is not None and at.status == "ok"  # a failed build: the LLC's own
            self._plan(p)

    def _plan(self, p: _Point) -> None:
        """Run the LLC where asked and (quick) no certified fact decides; an LLC that is to
        decide gets controls (and, for a scaling claim, its reruns now; a point's wait for its
        controls). A point with nothing left to do is stored now."""
        if "llc" in p.claim.evidence_for(self.profile):
            p.llc = self._wants_llc(p)[0]
            p.decide = self._decides(p)
            # a scaling verdict fits every point at each rerun's setting: its reruns run with
            # the LLC; a point's reruns wait for its controls (most bands decide nothing)
            p.rerun_later = p.decide and p.claim.kind != "scaling"
        if not p.llc:
            self._done(p, False)  # complete: stored now, so a kill loses nothing
            return
        if self.store is not None and not p.exact_kept:  # a kill now loses only the LLC
            self.store.put_exact(p.claim.id, point_key(p.params), p.hash, p.evidence.to_dict())
        if p.decide:
            chosen, p.key = self._controls(p)
            if p.key is not None:
                self.planned.setdefault(p.key, (chosen, self._control_settings(p)))

    def _chunks(self, points: list[_Point]) -> list[list[_Point]]:
        """Points of one claim at a time, in chunks that keep every worker busy."""
        out = []
        for group in self.per_claim.values():
            mine = {id(p) for p in group}
            need = [p for p in points if id(p) in mine]
            for size in (chunk_sizes(len(need), self.workers) if self.batch
                         else [1] * len(need)):
                out.append(need[:size])
                need = need[size:]
        return out

    # --- the tasks of phase 3 --------------------------------------------------------------

    def _experiment_units(self) -> tuple[list, list]:
        store_path = getattr(self.store, "path", None)
        exps = [(ci, c) for ci, c in enumerate(self.claims) if isinstance(c, ExperimentClaim)]
        if exps and store_path is not None and not self.resume:
            from slttheory.verify.run.experiments import ExperimentStore

            es = ExperimentStore(store_path)
            es.clear()
            es.close()
        units = [("experiment", (c, self.profile, store_path, self.device,
                                 self.progress if self.local else None, not self.local))
                 for _, c in exps]
        return units, [ci for ci, _ in exps]

    def _control_units(self) -> tuple[list, list]:
        """Control runs shared by several control sets run once, batched per family and
        rules (stored control sets are loaded instead)."""
        for key, (ctl, settings) in self.planned.items():
            stored = self._stored_controls(key) if (self.store and self.resume) else None
            if stored is not None:
                self.controls[key] = stored
                continue
            self.needed[key] = []
            for c in ctl:
                for ds in data_seeds(settings):
                    rk = run_key(c, ds, settings, self.device, self.families_code)
                    self.run_jobs.setdefault(rk, (c, ds, settings))
                    self.needed[key].append((rk, c))
        groups: dict[str, list[str]] = {}
        for rk, (c, _ds, settings) in self.run_jobs.items():
            g = json.dumps([c.family, dict(settings)], sort_keys=True, default=list)
            groups.setdefault(g, []).append(rk)
        units = [("controls", ([self.run_jobs[r][:2] for r in rks], self.families_ref,
                               self.run_jobs[rks[0]][2], self.device, not self.local,
                               self.time_limit))
                 for rks in groups.values()]
        return units, [("runs", rks) for rks in groups.values()]

    def _stored_controls(self, key: str) -> ControlSet | None:
        """The stored control set of ``key``, or ``None`` where it must run (again): none is
        stored, its row is damaged (not a control set), or it holds a run that failed for
        want of memory or time (under a shorter limit than this run's, or where this run has
        none), as a point's evidence is computed again (:func:`_for_want_of_resources`)."""
        row = self.store.get_controls(key)
        try:
            cs = ControlSet.from_dict(row) if row is not None else None
        except (TypeError, ValueError, KeyError):
            return None
        if cs is None or _resources_short([r.error or "" for r in cs.runs], self.time_limit):
            return None
        return cs

    def _llc_key(self, p: _Point) -> str:
        """Points of any claim with the same family, point and LLC rules share one LLC."""
        return json.dumps([p.claim.family, point_key(p.params),
                           p.claim.llc_settings(self.profile)], sort_keys=True, default=list)

    def _llc_units(self, todo: list[_Point]) -> tuple[list, list]:
        """One LLC per (family, point, rules): claims that share a model share its estimate."""
        same: dict[str, list[_Point]] = {}
        for p in todo:
            if p.llc:
                same.setdefault(self._llc_key(p), []).append(p)
        self.sharing = {id(ps[0]): ps for ps in same.values()}
        reps = [p for p in todo if id(p) in self.sharing]
        units, owners = [], []
        for measured in (False, True):  # LLCs whose w* was measured already skip that
            for chunk in self._chunks([p for p in reps if p.measure == measured]):
                c = chunk[0].claim
                reruns = [any(q.decide and not q.rerun_later for q in self.sharing[id(p)])
                          for p in chunk]
                units.append(("llc", (c, [p.params for p in chunk], self.profile,
                                      self.refs[c.family], self.routes, self.device, reruns,
                                      [None] * len(chunk), not measured, not self.local)))
                owners.append(chunk)
        return units, owners

    def _finish(self, owner: Any, res: Any, exc: BaseException | None) -> None:
        """Take a finished task's result: an experiment, control runs or LLCs."""
        if isinstance(owner, int):  # an experiment claim
            r = res if exc is None else _experiment_failed(self.claims[owner], exc)
            self.exp_results[owner] = r
            if not self.local:
                self.progress.advance(claim_id=r.claim.id, label="experiment",
                                      verdict=r.verdict.verdict, elapsed_s=r.elapsed_s,
                                      cached=False)
            return
        if isinstance(owner, tuple):  # control runs
            rks = owner[1]
            for rk, d in zip(rks, res if exc is None else [None] * len(rks), strict=True):
                c, ds, _s = self.run_jobs[rk]
                self.run_results[rk] = ControlRun.from_dict(d) if d is not None else c.run(
                    ds, error=self._failure(exc))
            for key, need in self.needed.items():
                if key not in self.controls and all(r in self.run_results for r, _ in need):
                    cs = ControlSet(key, dict(self.planned[key][1]),
                                    tuple(_as_certified(self.run_results[r], c)
                                          for r, c in need),
                                    round(sum(self.run_results[r].elapsed_s for r, _ in need),
                                          3))
                    self.controls[key] = cs
                    if self.store is not None:
                        self.store.put_controls(key, cs.to_dict())
                    for p, cached in self.waiting.pop(key, []):
                        self._show(p, cached)
            self.progress.advance(claim_id="controls",
                                  label=f"{self.run_jobs[rks[0]][0].family} controls "
                                  f"({len(rks)} runs)", verdict=None, cached=False,
                                  elapsed_s=sum(self.run_results[r].elapsed_s for r in rks))
            return
        for rep, d in zip(owner, res if exc is None else [None] * len(owner), strict=True):
            measured = None if d is None else AtPoint.from_dict(d["at_point"])
            lc0 = LLCEvidence("error", error=self._failure(exc)) if d is None else \
                LLCEvidence.from_dict(d["llc"])
            for p in self.sharing[id(rep)]:  # the point and every claim's point sharing it
                ev = p.evidence
                lc = replace(lc0, control_key=p.key)
                mine = ev.at_point if ev.at_point is not None and ev.at_point.status == "ok" \
                    else None  # a w* that failed to build before: the LLC unit's, if it built
                at = mine or measured or ev.at_point or (
                    AtPoint("error", error=self._failure(exc)) if d is None else None)
                p.evidence = replace(ev, llc=lc, at_point=at,
                                     elapsed_s=round(ev.elapsed_s + (lc.elapsed_s or 0), 3))
                self._done(p, False)

    def _failure(self, exc: BaseException) -> str:
        """The stored error of a task that ended with ``exc`` (``executors.failure_text``)."""
        return failure_text(self.executor, exc)

    def _done(self, p: _Point, cached: bool) -> None:
        """A point's evidence is complete: store it, and show its verdict once the controls
        its LLC needs are in. One whose reruns wait for its controls is held back (stored
        with or without them by :meth:`_reruns`; a run killed before loses its LLC)."""
        if p.rerun_later and not cached:
            self.rerun_pending.append(p)
            return
        if self.store is not None and not cached:
            self.store.put(p.claim.id, point_key(p.params), p.hash, p.evidence.to_dict(),
                           self.profile)
        if p.key is not None and p.key not in self.controls:
            self.waiting.setdefault(p.key, []).append((p, cached))
        else:
            self._show(p, cached)

    def _needs_reruns(self, p: _Point) -> bool:
        """Whether the point's LLC, with its controls, would decide it if its reruns agreed:
        only then can the reruns change the verdict (to inconclusive)."""
        lc = p.evidence.llc if p.evidence is not None else None
        if lc is None or not lc.clean or lc.reruns:  # nothing to test, or done with the LLC
            return False
        if p.claim.kind == "scaling":
            # its fit is judged at every rerun's setting, so each LLC that enters it needs
            # them (a fresh run computes them with the LLC; evidence stored for the claim as
            # a point claim had none, and a resumed fit stayed inconclusive: an outside audit)
            return lc.control_key is not None
        same = tuple(Rerun(s, lc.mean, lc.std_error, True) for s in RERUN_SETTINGS)
        ev = replace(p.evidence, llc=replace(lc, reruns=same))
        pv = point_verdict(p.claim, p.params, ev, p.claim.predicted_at(p.params), self.controls)
        return pv.grade == "controlled"

    def _reruns(self) -> None:
        """Reruns at γ × 3, γ / 3 and ε / 2 for the held-back points whose LLC would decide;
        then every held-back point is stored and shown."""
        pending, self.rerun_pending = self.rerun_pending, []
        same: dict[str, list[_Point]] = {}
        for p in pending:
            if self._needs_reruns(p):
                same.setdefault(self._llc_key(p), []).append(p)
        sharing = {id(ps[0]): ps for ps in same.values()}
        reps = [ps[0] for ps in same.values()]
        units, owners = [], []
        for chunk in self._chunks(reps):
            c = chunk[0].claim
            units.append(("reruns", (c, [p.params for p in chunk], self.profile,
                                     self.refs[c.family], self.routes, self.device,
                                     [p.evidence.llc.to_dict() for p in chunk],
                                     not self.local)))
            owners.append(chunk)
        self.progress.add_total(len(units))
        for i, res, exc in run_tasks(self.executor, _unit, units):
            unit_s = 0.0
            for rep, rr in zip(owners[i], res if exc is None else [None] * len(owners[i]),
                               strict=True):
                got = LLCEvidence.from_dict({"status": "ok", "reruns": rr["reruns"]}).reruns \
                    if rr is not None else tuple(
                    Rerun(s, None, None, False, (self._failure(exc),))
                    for s in RERUN_SETTINGS)
                dt = 0.0 if rr is None else float(rr["elapsed_s"])
                unit_s += dt
                for p in sharing[id(rep)]:
                    ev, lc = p.evidence, p.evidence.llc
                    p.evidence = replace(ev, llc=replace(lc, reruns=got),
                                         elapsed_s=round(ev.elapsed_s + dt, 3))
            self.progress.advance(claim_id="reruns", label=f"{owners[i][0].claim.id} reruns",
                                  verdict=None, cached=False, elapsed_s=unit_s)
        for p in pending:
            p.rerun_later = False
            self._done(p, False)

    def _show(self, p: _Point, cached: bool) -> None:
        pv = point_verdict(p.claim, p.params, p.evidence, p.claim.predicted_at(p.params),
                           self.controls)
        # a scaling claim's point that only enters its fit has no verdict of its own: shown
        # as in the reports ("inconclusive" per point, then "confirmed" for the claim, read
        # as a contradiction in an outside walkthrough)
        verdict = IN_FIT if pv.reason.startswith(FIT_ONLY) else pv.verdict
        self.progress.advance(claim_id=p.claim.id, label=_label(p), verdict=verdict,
                              elapsed_s=p.evidence.elapsed_s, cached=cached)

    def _judge(self) -> list[Any]:
        for waiting in self.waiting.values():  # controls that never came (judged without)
            for p, cached in waiting:
                self._show(p, cached)
        self.waiting.clear()
        results: list[Any] = [None] * len(self.claims)
        for ci, c in enumerate(self.claims):
            if isinstance(c, BadClaim):
                results[ci] = ClaimResult(c, (), ClaimVerdict("error", f"error: {c.message}"))
            elif isinstance(c, Claim):
                self.progress.claim(c.id)
                results[ci] = judge_claim(
                    c, [(p.params, p.evidence) for p in self.per_claim.get(ci, [])],
                    self.controls, family=self.families.get(c.family), profile=self.profile)
        for ci, r in self.exp_results.items():
            results[ci] = r
        return results


def _evidence_of(row: Mapping[str, Any]) -> PointEvidence | None:
    """A stored row as point evidence; ``None`` where it is damaged (fields of other types
    than their records', :func:`~slttheory.verify.evidence.records.well_typed`, or values no
    run writes, :func:`~slttheory.verify.evidence.records.consistent_rank`)."""
    try:
        ev = PointEvidence.from_dict(row)
        well_typed(ev)
        consistent_rank(ev.rank)
    except (TypeError, ValueError, KeyError, AttributeError):
        return None
    return ev


def _for_want_of_resources(ev: PointEvidence, time_limit: float | None = None) -> bool:
    """Whether a route's evidence at the point (a rerun's included) is an error of memory
    (:data:`OUT_OF_MEMORY`), of a worker that died in each of its runs (:data:`WORKER_LOST`:
    memory, a crash, a kill) or of ``--time-limit`` (:data:`OUT_OF_TIME`; also where it ended
    the whole task, "worker failed: out of time …"): it says nothing of the claim, and
    ``--resume`` computes it again — an out-of-time error only under a longer limit than its
    own, or none (under the same limit it would run out again)."""
    routes = (ev.closed_form, ev.rank, ev.llc, ev.at_point, *ev.independent)
    errors = [r.error or "" for r in routes if r is not None and r.status != "ok"]
    for rr in ev.llc.reruns if ev.llc is not None else ():
        errors += [str(x) for x in rr.problems] if not rr.passed else []
    return _resources_short(errors, time_limit)


def _resources_short(errors: Sequence[str], time_limit: float | None) -> bool:
    """Whether one of ``errors`` is for want of memory (or of a worker), or of time under a shorter
    ``--time-limit`` than ``time_limit`` (an :func:`effective_limit`; ``None``: no limit
    now)."""
    for text in errors:
        if OUT_OF_MEMORY in text or WORKER_LOST in text:
            return True
        if OUT_OF_TIME in text:
            was = stored_limit(text)
            if time_limit is None or was is None or time_limit > was:
                return True
    return False


def _label(p: _Point) -> str:
    from slttheory.verify.judge import fmt_point

    return fmt_point({k: v for k, v in p.params.items() if k in p.claim.grid}) or "the point"


def _experiment_failed(claim: ExperimentClaim, exc: BaseException) -> Any:
    from slttheory.verify.judge import ExperimentClaimResult

    return ExperimentClaimResult(claim, ClaimVerdict("error", f"error: worker failed: {exc}"),
                                 error=str(exc))


def _task_error(claim: Claim, profile: str, text: str, elapsed_s: float = 0.0) -> PointEvidence:
    """The evidence of a point whose exact task (:func:`_exact_unit`) ended with ``text`` (its
    worker died, the point is invalid), filed under the routes that task was running: the
    closed form and the rank where the profile asks for them, else w* (which it measures for
    an LLC, the claim's hypotheses or the family's orbit). It had been filed under the closed
    form alone: "closed form: worker failed …" for a claim that asks for no closed form (an
    audit)."""
    ev = claim.evidence_for(profile)
    cf = ClosedFormEvidence("error", error=text) if "closed_form" in ev else None
    rk = RankEvidence("error", error=text) if "rank" in ev else None
    at = AtPoint("error", error=text) if cf is None and rk is None else None
    return PointEvidence(cf, rk, None, elapsed_s, at_point=at)
