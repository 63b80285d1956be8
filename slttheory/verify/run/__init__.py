"""Running: the engine (phases, executors, store, progress) and experiment claims.

- :mod:`~slttheory.verify.run.engine`: :func:`run_claims`.
- :mod:`~slttheory.verify.run.executors`: local, process-pool and dask.distributed executors.
- :mod:`~slttheory.verify.run.store`: the SQLite result store (resume after a kill).
- :mod:`~slttheory.verify.run.experiments`: experiment claims, their stages stored.
"""

from slttheory.verify.run.engine import load_families, run_claims
from slttheory.verify.run.store import STORE_NAME, ResultStore

__all__ = ["run_claims", "load_families", "ResultStore", "STORE_NAME"]
