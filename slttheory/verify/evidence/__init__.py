"""Evidence: what each route measured at a grid point, and the LLC controls.

- :mod:`~slttheory.verify.evidence.records`: the evidence records (JSON round-trip).
- :mod:`~slttheory.verify.evidence.routes`: closed form (the family's and other formulas' by
  an identity of models), exact rank, LLC (with reruns).
- :mod:`~slttheory.verify.evidence.controls`: controls of certified λ under the same rules.
"""

from slttheory.verify.evidence.controls import (
    Control,
    choose_controls,
    control_key,
    run_controls,
)
from slttheory.verify.evidence.records import (
    AtPoint,
    ClosedFormEvidence,
    ControlRun,
    ControlSet,
    LLCEvidence,
    PointEvidence,
    RankEvidence,
    Rerun,
)
from slttheory.verify.evidence.routes import (
    DEFAULT_ROUTES,
    RERUNS,
    Routes,
    closed_form_route,
    independent_forms_route,
    llc_route,
    llc_routes,
    rank_route,
)

__all__ = [
    "AtPoint",
    "ClosedFormEvidence",
    "RankEvidence",
    "LLCEvidence",
    "Rerun",
    "ControlRun",
    "ControlSet",
    "PointEvidence",
    "Control",
    "choose_controls",
    "control_key",
    "run_controls",
    "Routes",
    "DEFAULT_ROUTES",
    "RERUNS",
    "closed_form_route",
    "independent_forms_route",
    "rank_route",
    "llc_route",
    "llc_routes",
]
