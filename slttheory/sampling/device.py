"""Device selection for the samplers: :func:`slttheory._torch_args.resolve_device`, the one
resolver every numeric layer uses ("auto" = CUDA when available; an unavailable CUDA device is
a ``ValueError``)."""

from __future__ import annotations

from slttheory._torch_args import resolve_device

__all__ = ["resolve_device"]
