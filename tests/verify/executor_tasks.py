"""Tasks and families for the executor tests (importable by worker processes).

``die_once(marker, x)`` kills its own worker process the first time (creating ``marker``) and
returns ``2 x`` on the retry; ``die_at(bad, x)`` kills it at every ``x == bad``.
``FAMILIES["mortal_regular"]``'s closed form does as ``die_once`` does, with the marker file
named by ``SLTTHEORY_DIE_MARKER`` (unset: never dies).
"""

from __future__ import annotations

import os

from fake_families import _build, _rank_problem, _regular_formula

from slttheory.models.registry import Family, ParamSpec


def die_once(marker: str, x: int) -> int:
    if not os.path.exists(marker):
        with open(marker, "w") as f:
            f.write(str(os.getpid()))
        os._exit(1)
    return 2 * x


def die_at(bad: int, x: int, wait_s: float = 0.0) -> int:
    """Kills its worker process whenever ``x == bad`` (a plugin's segfault, ``os._exit``),
    after ``wait_s / 2`` seconds; ``2 x`` after ``wait_s`` seconds for any other ``x``."""
    import time

    if x == bad:
        time.sleep(wait_s / 2)
        os._exit(1)
    time.sleep(wait_s)
    return 2 * x


def double(x: int) -> int:
    return 2 * x


def _mortal_formula(d):
    marker = os.environ.get("SLTTHEORY_DIE_MARKER")
    if marker and d == 2 and not os.path.exists(marker):
        with open(marker, "w") as f:
            f.write(str(os.getpid()))
        os._exit(1)
    return _regular_formula(d)


FAMILIES = {
    "mortal_regular": Family(
        "mortal_regular",
        "linear regression whose closed form kills its worker once",
        (ParamSpec("d", int, 1, 20),),
        _build,
        _mortal_formula,
        _rank_problem,
    ),
}
