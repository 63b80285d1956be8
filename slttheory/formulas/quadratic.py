"""Seed 001 (Cullen et al. 2026): quadratic networks, NTK and lazy regimes."""

from __future__ import annotations

__all__ = ['quadratic_network', 'modular_addition', 'quadratic_stage_two', 'modular_addition_stage_two', 'ntk', 'lazy_regime', 'lazy_regime_bounds']


def quadratic_network(d, k, p=1, bias=False):
    raise NotImplementedError


def modular_addition(p, k):
    raise NotImplementedError


def quadratic_stage_two(d, p, k_eff):
    raise NotImplementedError


def modular_addition_stage_two(p, k_eff):
    raise NotImplementedError


def ntk(rank):
    raise NotImplementedError


def lazy_regime(p, feature_rank):
    raise NotImplementedError


def lazy_regime_bounds(p, k, degree=2):
    raise NotImplementedError
