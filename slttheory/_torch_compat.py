"""Quiet torch's own one-time notices that are not about the caller's code.

The first forward-mode derivative in a process (``torch.func.jvp``, ``jacfwd``, ``hessian``)
makes torch import its jvp decompositions, which call ``torch.jit.script`` and, from torch
2.13 on, emit "`torch.jit.script` is deprecated" from inside torch. The warning is about
torch's internals, so a caller of :func:`slttheory.sampling.estimate_llc` could do nothing
about it. :func:`load_forward_ad` does that import once with the notice suppressed; every
module here that takes forward-mode derivatives calls it first. Nothing global is changed:
the warnings filter is restored on exit.
"""

from __future__ import annotations

import warnings

__all__ = ["load_forward_ad"]


def load_forward_ad() -> None:
    """Import torch's forward-mode decompositions with its deprecation notice suppressed
    (idempotent: torch imports them once per process).

    >>> load_forward_ad()
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning,
                                message=r".*torch\.jit\.script.*deprecated")
        try:
            from torch.autograd.forward_ad import _maybe_load_decompositions
        except ImportError:  # a torch without the private hook: nothing to load early
            return
        _maybe_load_decompositions()
