"""The verifier: claims as data, graded evidence, verdicts with reasons, reports.

Run it as ``python -m slttheory.verify`` (see ``verification/README.md``). Each part has a
place of its own, and imports only the parts listed before it:

- :mod:`~slttheory.verify.expr`: the safe parser of a claim's ``predicted`` expression.
- :mod:`~slttheory.verify.claims`: TOML claim files, validated (errors name file and key).
- :mod:`~slttheory.verify.evidence`: the routes of evidence (closed form, exact rank, LLC) and
  the LLC controls, as JSON-storable records.
- :mod:`~slttheory.verify.judge`: grades (certified, controlled, uncontrolled, context) and the
  verdict rules for points, claims, scaling fits and experiments — pure functions of evidence.
- :mod:`~slttheory.verify.run`: the engine (phases, executors, the SQLite store), and
  :func:`~slttheory.verify.run.check.check`, which judges one claim from Python
  (``from slttheory.verify import check``).
- :mod:`~slttheory.verify.report`: ``report.json``, ``report.md``, figures and ``report.html``.
- :mod:`~slttheory.verify.cli`: the command line.
"""

from slttheory.verify.claims import Claim, ClaimError, load_claim, load_claims
from slttheory.verify.expr import ExpressionError, parse_predicted

__all__ = [
    "check",
    "Claim",
    "ClaimError",
    "ExpressionError",
    "load_claim",
    "load_claims",
    "parse_predicted",
]


def __getattr__(name: str):
    """``check`` on first use: it imports the engine, and so torch, which reading claims does
    not need."""
    if name == "check":
        from slttheory.verify.run.check import check

        return check
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
