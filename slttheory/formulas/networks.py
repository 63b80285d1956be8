"""One-hidden-layer tanh networks and polynomial regression."""

from __future__ import annotations

__all__ = ['tanh_network', 'polynomial_regression']


def tanh_network(h):
    raise NotImplementedError


def polynomial_regression(degree):
    raise NotImplementedError
