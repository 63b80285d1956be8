"""Fake model families for the verifier's tests (fast, deterministic, no training).

``FAMILIES`` is a plain dict (not the global registry), passed to the engine or to the
command line with ``--families fake_families:FAMILIES``. ``slow_regular``'s closed form sleeps
``SLTTHEORY_FAKE_SLEEP`` seconds and appends a line to ``SLTTHEORY_FAKE_LOG`` per call, so
that a test can kill a run in the middle and count how often each point was computed; it
appends one to ``SLTTHEORY_FAKE_STARTED`` as it begins, so that a test can wait for the
points to be in progress instead of guessing how long start-up takes.
"""

from __future__ import annotations

import os
import time

import sympy as sp

from slttheory.formulas.core import LearningCoefficient
from slttheory.models import FAMILIES as _PACKAGE_FAMILIES
from slttheory.models.registry import Family, ParamSpec, Problem, RankProblem

_REGULAR_FAMILY = _PACKAGE_FAMILIES["regular"]


def _regular_formula(d):
    return LearningCoefficient(sp.Rational(d, 2), 1, d, "regular", (), "fake: d/2")


def _slow_formula(d):
    started = os.environ.get("SLTTHEORY_FAKE_STARTED")
    if started:
        with open(started, "a") as f:
            f.write(f"{d}\n")
    time.sleep(float(os.environ.get("SLTTHEORY_FAKE_SLEEP", "0")))
    log = os.environ.get("SLTTHEORY_FAKE_LOG")
    if log:
        with open(log, "a") as f:
            f.write(f"{d}\n")
    return _regular_formula(d)


def fake_regular_controls(first: int = 2, certified_by: str = "rank") -> list:
    """Three controls of ``fake_regular`` at d = first, first + 2, first + 4, of the kinds a
    band must span (regular, m = 1, m = 2), each certified by ``certified_by``: what a test
    has the engine choose in place of ``choose_controls``."""
    from slttheory.verify.evidence.controls import Control

    return [Control("fake_regular", {"d": k}, kind, str(k / 2), 1, certified_by)
            for k, kind in ((first, "regular"), (first + 2, "singular, m = 1"),
                            (first + 4, "singular, m = 2"))]


def exact_control_runs(jobs, families_ref, settings, device, isolated, time_limit=None):
    """The engine's ``_control_unit`` replaced: every run of a ``fake_regular`` control reads
    its λ = d/2 exactly (standard error 0.001, diagnostics passed)."""
    return [dict(c.run(ds, mean=float(c.params["d"]) / 2, std_error=0.001, passed=True,
                       problems=(), elapsed_s=0.0).__dict__) for c, ds in jobs]


def _build(params=None, /, *, n=None, generator, device="cpu", **more):
    import torch

    q = {**(params or {}), **more}
    d = q["d"]
    n = 200 if n is None else n
    g = (
        generator
        if isinstance(generator, torch.Generator)
        else torch.Generator().manual_seed(generator)
    )
    x = torch.randn(n, d, generator=g)
    w = torch.randn(d, 1, generator=g)
    y = x @ w + torch.randn(n, 1, generator=g)
    model = torch.nn.Linear(d, 1, bias=False)
    with torch.no_grad():
        model.weight.copy_(w.T)
    return Problem(model.to(device), (x.to(device), y.to(device)), "gaussian", q)


def _linear_fn(params, x):
    return x.to(params["w"].dtype) @ params["w"]


def _rank_problem(params=None, /, **more):
    """A plugin's own rank map: exact, but its 'λ = rank/2' is its author's statement, which
    the verifier takes as stated (the rank bounds λ only)."""
    import torch

    d = {**(params or {}), **more}["d"]
    return RankProblem(
        _linear_fn, {"w": (d, 1)}, torch.eye(d, dtype=torch.int64), 1, True, "linear and injective"
    )


# the package's own rank map of the linear model, whose 'λ = rank/2' the package's tests check:
# a rank from it decides (a closure: families using it are looked up by name in worker
# processes, through --families)
_regular_rank_problem = _REGULAR_FAMILY.rank_problem


def _no_hypotheses(problem):
    """Measures nothing; the names are those the tests' claims may list (their evidence is
    made by the tests themselves)."""
    return ()


_no_hypotheses.names = ("stage II", "no_cancellation")


def _broken_formula(d):
    raise NotImplementedError


_D = (ParamSpec("d", int, 1, 20),)

FAMILIES = {
    "fake_regular": Family(
        "fake_regular", "linear regression", _D, _build, _regular_formula, _rank_problem,
        hypotheses=_no_hypotheses,
    ),
    "slow_regular": Family(  # the package's build and rank map: its rank certifies λ = d/2
        "slow_regular",
        "linear regression, slow closed form",
        _D,
        _REGULAR_FAMILY.build,
        _slow_formula,
        _regular_rank_problem,
    ),
    "broken": Family("broken", "formula not implemented", _D, _build, _broken_formula, None),
    "regular": _REGULAR_FAMILY,  # the package's own, beside the plugin's
}
