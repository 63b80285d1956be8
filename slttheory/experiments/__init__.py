"""Experiments on training dynamics: grokking, LLC trajectories, phase transitions.

``EXPERIMENTS[name]`` is an :class:`~slttheory.experiments.base.Experiment`; run one with
:func:`run_experiment` (in memory) or through the verifier (``kind = "experiment"`` claims,
stored per run and stage so a sweep resumes). Statistics with confidence intervals are in
:mod:`slttheory.experiments.stats`, figures in :mod:`slttheory.experiments.figures`.

>>> sorted(EXPERIMENTS)[:2]
['_selftest', 'arrhenius_grokking']
"""

from slttheory.experiments import arrhenius as _arrhenius  # noqa: F401 (registers)
from slttheory.experiments import grokking as _grokking  # noqa: F401 (registers)
from slttheory.experiments import others as _others  # noqa: F401 (registers)
from slttheory.experiments import tms as _tms  # noqa: F401 (registers)
from slttheory.experiments._runs import at_rerun, rerun_stages
from slttheory.experiments.base import (
    EXPERIMENTS,
    Analysis,
    Experiment,
    ExperimentResult,
    FigureSpec,
    MemoryCache,
    RunContext,
    Setting,
    ShapeTest,
    Statistic,
    register,
    run_experiment,
    run_key,
)

__all__ = [
    "EXPERIMENTS",
    "Analysis",
    "Experiment",
    "ExperimentResult",
    "FigureSpec",
    "MemoryCache",
    "RunContext",
    "Setting",
    "ShapeTest",
    "Statistic",
    "at_rerun",
    "register",
    "rerun_stages",
    "run_experiment",
    "run_key",
]
