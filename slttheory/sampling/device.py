"""Device selection for the samplers."""

from __future__ import annotations

import torch

__all__ = ["resolve_device"]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Return a :class:`torch.device` for ``device``.

    ``"auto"`` gives CUDA when it is available, else CPU; ``"cpu"``, ``"cuda"``, ``"cuda:k"``
    and ``torch.device`` objects pass through (``"cuda"`` without CUDA is a ``ValueError``).

    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("tpu")
    Traceback (most recent call last):
    ...
    ValueError: device must be 'auto', 'cpu', 'cuda', 'cuda:<index>' or a torch.device, got 'tpu'
    """
    if isinstance(device, torch.device):
        dev = device
    elif isinstance(device, str):
        if device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        if device != "cpu" and not (device == "cuda" or device.startswith("cuda:")):
            raise ValueError(
                "device must be 'auto', 'cpu', 'cuda', 'cuda:<index>' or a torch.device, "
                f"got {device!r}"
            )
        try:
            dev = torch.device(device)
        except RuntimeError as exc:
            raise ValueError(f"device: cannot parse {device!r}: {exc}") from None
    else:
        raise TypeError(f"device must be a str or torch.device, got {type(device).__name__}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={str(dev)!r} requested but CUDA is not available")
    return dev
