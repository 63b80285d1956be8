"""The verifier: claims as data, evidence from three routes, verdicts and reports.

Run it as ``python -m slttheory.verify`` (see ``verification/README.md``). The pieces:

- :mod:`~slttheory.verify.claims`: TOML claim files, validated (errors name file and key).
- :mod:`~slttheory.verify.expr`: the safe parser of a claim's ``predicted`` expression.
- :mod:`~slttheory.verify.routes`: the three routes of evidence (closed form, exact rank, LLC).
- :mod:`~slttheory.verify.verdict`: verdict rules per point, per claim, and for scaling fits.
- :mod:`~slttheory.verify.store`: the SQLite result store (resume after a kill).
- :mod:`~slttheory.verify.report`: ``report.md``, ``report.json`` and figures.
- :mod:`~slttheory.verify.cli`: the command line.
"""

from slttheory.verify.claims import Claim, ClaimError, load_claim, load_claims
from slttheory.verify.expr import ExpressionError, parse_predicted

__all__ = [
    "Claim",
    "ClaimError",
    "ExpressionError",
    "load_claim",
    "load_claims",
    "parse_predicted",
]
