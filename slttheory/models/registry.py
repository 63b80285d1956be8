"""The family registry: ties each model family to its closed form, parameters and true point.

The verifier reads only this interface: ``FAMILIES[name]`` is a :class:`Family`, whose
``validate`` checks a claim's parameters, ``formula`` gives the library's closed form,
``build`` gives a model at its true (or trained) parameter with data for
:func:`slttheory.sampling.estimate_llc`, and ``rank_problem`` (where defined) gives the
parameter-to-function map for :func:`slttheory.geometry.generic_rank`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ParamSpec", "Problem", "RankProblem", "Family", "FAMILIES", "register"]


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a family: name, Python type, inclusive range, default.

    ``default=REQUIRED`` (the default) means the parameter must be given.
    """

    name: str
    type: type
    minimum: float | None = None
    maximum: float | None = None
    default: Any = "__required__"
    doc: str = ""

    @property
    def required(self) -> bool:
        return isinstance(self.default, str) and self.default == "__required__"

    def check(self, value: Any, where: str) -> Any:
        """Return ``value`` checked against type and range; raise naming ``where`` and the key."""
        t = self.type
        if t is bool:
            if not isinstance(value, bool):
                raise TypeError(f"{where}: {self.name} must be true or false, got {value!r}")
            return value
        if t is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{where}: {self.name} must be an integer, got {value!r}")
        elif t is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{where}: {self.name} must be a number, got {value!r}")
            value = float(value)
        elif t is tuple:
            if not isinstance(value, list | tuple) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value
            ):
                raise TypeError(f"{where}: {self.name} must be a list of integers, got {value!r}")
            value = tuple(value)
            for v in value:
                if self.minimum is not None and v < self.minimum:
                    raise ValueError(f"{where}: every entry of {self.name} must be >= {self.minimum}, got {v}")
            return value
        elif not isinstance(value, t):
            raise TypeError(f"{where}: {self.name} must be of type {t.__name__}, got {value!r}")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"{where}: {self.name} must be >= {self.minimum}, got {value}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"{where}: {self.name} must be <= {self.maximum}, got {value}")
        return value


@dataclass(frozen=True)
class Problem:
    """A model at its true (or trained) parameter, with data, ready for ``estimate_llc``.

    ``model``'s current parameters are w*; ``data`` is ``(inputs, targets)``; ``loss`` is
    what ``estimate_llc(loss=...)`` takes; ``params`` are the validated family parameters.
    """

    model: Any  # torch.nn.Module (kept Any so this module imports without torch)
    data: tuple[Any, Any]
    loss: Any = "gaussian"
    params: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class RankProblem:
    """The parameter-to-function map of a family for exact Jacobian rank.

    ``fn(params, inputs) -> outputs`` with ``params`` a dict of tensors of the shapes in
    ``param_shapes``; ``inputs`` are integer-valued so that ``method="exact"`` applies;
    ``degree`` is the polynomial degree of the map in the parameters (for the
    Schwartz–Zippel bound); ``gives_lambda`` says whether λ = rank/2 holds at the
    family's true parameter, with ``reason``.
    """

    fn: Callable[..., Any]
    param_shapes: Mapping[str, tuple[int, ...]]
    inputs: Any
    degree: int
    gives_lambda: bool
    reason: str
    true_params: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Family:
    """A model family: parameters, closed form, constructor of the true point, rank map."""

    name: str
    description: str
    parameters: tuple[ParamSpec, ...]
    build: Callable[..., Problem]
    formula: Callable[..., Any] | None = None
    rank_problem: Callable[..., RankProblem] | None = None
    source: str = ""

    def validate(self, params: Mapping[str, Any], where: str | None = None) -> dict[str, Any]:
        """Check ``params`` against the specs, fill defaults; errors name ``where`` and the key."""
        where = where or f"family {self.name!r}"
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise ValueError(
                f"{where}: unknown parameter(s) {unknown} for family {self.name!r}; "
                f"allowed: {sorted(known)}"
            )
        out: dict[str, Any] = {}
        for name, spec in known.items():
            if name in params:
                out[name] = spec.check(params[name], where)
            elif spec.required:
                raise ValueError(f"{where}: missing parameter {name!r} for family {self.name!r}")
            else:
                out[name] = spec.default
        return out


FAMILIES: dict[str, Family] = {}


def register(family: Family) -> Family:
    """Add ``family`` to :data:`FAMILIES` (names are unique)."""
    if family.name in FAMILIES:
        raise ValueError(f"family {family.name!r} is already registered")
    FAMILIES[family.name] = family
    return family
