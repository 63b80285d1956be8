"""Judge claims from Python (a notebook, a script, another package's tests).

:func:`check` runs one claim, given as a file, as TOML text or as a mapping, through the same
routes, controls and verdict rules as ``python -m slttheory.verify``, in this process, and
returns its result; nothing is written to disk.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from slttheory.verify.claims import ClaimError, load_claim, parse_claim, parse_claim_text
from slttheory.verify.expr import shorten
from slttheory.verify.run.engine import run_claims

__all__ = ["check"]


def check(claim: str | Path | Mapping[str, Any], *, profile: str = "quick",
          families: Mapping[str, Any] | None = None, device: str = "auto",
          time_limit: float | None = None) -> Any:
    """Judge one claim and return its result: a ``ClaimResult`` (``.verdict.verdict``,
    ``.verdict.grade``, ``.verdict.reason``, and each point's evidence in ``.points``) or,
    for an experiment claim, an ``ExperimentClaimResult``.

    ``claim``: a path to a claim file (a :class:`~pathlib.Path`, or a string that names an
    existing ``.toml`` file), TOML text, or the claim's table as a mapping
    (verification/README.md gives the schema). ``families``: the model families its
    ``family`` names (default :data:`slttheory.models.FAMILIES`; a plugin's mapping as with
    ``--families``). ``device``: for the LLC route ("auto": CUDA when available).
    ``time_limit``: seconds each route may take per point (as ``--time-limit``). A malformed
    claim raises :class:`~slttheory.verify.claims.ClaimError` naming its key.

    >>> r = check('''
    ... id = "regular-d2"
    ... title = "A regular model of 2 parameters"
    ... source = "Watanabe 2009, Thm 6.4"
    ... family = "regular"
    ... kind = "closed_form"
    ... predicted = "d/2"
    ... evidence = ["closed_form", "rank"]
    ... [grid]
    ... d = [2]
    ... ''', device="cpu")
    >>> r.verdict.verdict, r.verdict.grade
    ('confirmed', 'certified')
    >>> bad = {"id": "x", "title": "t", "source": "s", "family": "regular",
    ...        "kind": "closed_form", "predicted": 1, "evidence": ["rank"], "grid": {"d": [2]}}
    >>> check(bad)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slttheory.verify.claims.common.ClaimError: <claim>: predicted: must be a string, got the ...
    """
    from slttheory._torch_args import resolve_device
    from slttheory.models import FAMILIES

    families = FAMILIES if families is None else families
    if isinstance(claim, Path) or (isinstance(claim, str) and claim.strip().endswith(".toml")
                                   and "\n" not in claim):
        parsed = load_claim(claim, families)
    elif isinstance(claim, str):
        parsed = parse_claim_text(claim, "<claim>", families)
    elif isinstance(claim, Mapping):
        try:
            data = _as_table(claim, "")
        except RecursionError:  # nested too deeply to be a claim, or a mapping holding itself
            raise ClaimError("<claim>: tables or lists nested too deeply (or one that holds "
                             "itself)") from None
        parsed = parse_claim(data, "<claim>", families)
    else:
        raise TypeError(f"claim: a path, TOML text or a mapping, got {type(claim).__name__}")
    dev = str(resolve_device(device))
    return run_claims([parsed], profile=profile, families=families, device=dev,
                      time_limit=time_limit)[0]


def _as_table(m: Mapping[Any, Any], where: str) -> dict[str, Any]:
    """A mapping as the table TOML would give: string keys (a key of another type is a
    ClaimError naming where it is: the loader sorts a table's keys to name the unknown ones,
    and ``1`` and ``"d"`` do not sort), and nested mappings as dicts (the loader takes a
    ``dict`` for a table, as ``tomllib`` gives). Lists are copied, their mappings converted."""
    out = {}
    for k, v in m.items():
        if not isinstance(k, str):
            raise ClaimError(f"<claim>: {where or '(top level)'}: key {shorten(repr(k))} is a "
                             f"{type(k).__name__}; a claim's keys are strings")
        out[k] = _as_value(v, f"{where}.{k}" if where else k)
    return out


def _as_value(v: Any, where: str) -> Any:
    if isinstance(v, Mapping):
        return _as_table(v, where)
    if isinstance(v, list):
        return [_as_value(x, f"{where}[{i}]") for i, x in enumerate(v)]
    return v
