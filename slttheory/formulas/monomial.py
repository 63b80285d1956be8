"""Normal crossings and non-degenerate Newton polyhedra."""

from __future__ import annotations

__all__ = ['normal_crossing', 'newton_polyhedron']


def normal_crossing(powers, prior_powers=None):
    raise NotImplementedError


def newton_polyhedron(exponents, prior_powers=None):
    raise NotImplementedError
