"""Free energy and Bayes generalisation error asymptotics."""

from __future__ import annotations

__all__ = ['free_energy', 'bayes_generalization_error']


def free_energy(n, lam, m=1, n_loss=0):
    raise NotImplementedError


def bayes_generalization_error(n, lam):
    raise NotImplementedError
