"""The family registry: ties each model family to its closed form, parameters and true point.

The verifier reads only this interface: ``FAMILIES[name]`` is a :class:`Family`, whose
``validate`` checks a claim's parameters, ``formula`` gives the library's closed form
(:meth:`Family.closed_form` calls it with the family's parameters), ``build`` gives a model
at its true (or trained) parameter with data for :func:`slttheory.sampling.estimate_llc`,
``rank_problem`` (where defined) gives the parameter-to-function map for
:func:`slttheory.geometry.generic_rank` and, with its ``true_point`` stratum, for
:func:`slttheory.geometry.true_point_rank`. ``differences`` lists where the model as built
differs from the source the family cites, and ``hypotheses`` checks a theorem's hypotheses
at a built problem (:class:`Hypothesis`). The families themselves are registered by
:mod:`slttheory.models.families` (imported by ``slttheory.models``).

This module imports without torch.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ParamSpec",
    "Problem",
    "RankProblem",
    "Hypothesis",
    "CANNOT_HOLD",
    "NOT_AT_DRAWS",
    "Family",
    "FAMILIES",
    "register",
    "TRUE_POINTS",
    "MAX_TUPLE_LENGTH",
]

TRUE_POINTS = ("generic", "support", "exact", "trained")

MAX_TUPLE_LENGTH = 64
"""Most entries of a list-valued parameter (a network's widths, a monomial's powers). Each
entry's size is bounded by its spec; the length was not, and a normal crossing with 1000
powers kept its Newton-polyhedron route busy for 92 s (an outside robustness probe)."""


def _short(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters (an error never echoes a whole input)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a family: name, Python type, inclusive range, default, choices.

    ``default=REQUIRED`` (the default) means the parameter must be given. ``choices`` (for
    ``type=str``) is the tuple of allowed values; a value outside it raises ``ValueError``
    naming the key and the allowed values.

    >>> spec = ParamSpec("loss", str, default="centred", choices=("centred", "mse"))
    >>> spec.check("mse", "claim 'x'")
    'mse'
    >>> spec.check("l1", "claim 'x'")
    Traceback (most recent call last):
    ...
    ValueError: claim 'x': loss must be one of ['centred', 'mse'], got 'l1'
    """

    name: str
    type: type
    minimum: float | None = None
    maximum: float | None = None
    default: Any = "__required__"
    doc: str = ""
    choices: tuple[Any, ...] | None = None

    def __post_init__(self) -> None:
        # choices given as a set: one order, so that the family's description (and so the
        # fingerprint that keys stored results) is the same in every run (a review: a set
        # gave a new fingerprint per process, and --resume never reused anything)
        if isinstance(self.choices, set | frozenset):
            object.__setattr__(self, "choices", tuple(sorted(self.choices, key=repr)))

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
        if t is int:  # numpy integers too, as the formulas take them; kept as Python ints
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"{where}: {self.name} must be an integer, got {value!r}")
            value = int(value)
        elif t is float:
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{where}: {self.name} must be a number, got {value!r}")
            value = float(value)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError(f"{where}: {self.name} must be finite, got {value}")
        elif t is tuple:
            if not isinstance(value, list | tuple) or not all(
                isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value
            ):
                raise TypeError(f"{where}: {self.name} must be a list of integers, got "
                                f"{_short(value)}")
            if len(value) > MAX_TUPLE_LENGTH:
                raise ValueError(f"{where}: {self.name} has {len(value)} entries, at most "
                                 f"{MAX_TUPLE_LENGTH}")
            value = tuple(int(v) for v in value)
            for v in value:
                if self.minimum is not None and v < self.minimum:
                    raise ValueError(
                        f"{where}: every entry of {self.name} must be >= {self.minimum}, got {v}"
                    )
                if self.maximum is not None and v > self.maximum:
                    raise ValueError(
                        f"{where}: every entry of {self.name} must be <= {self.maximum}, got {v}"
                    )
            return value
        elif not isinstance(value, t):
            raise TypeError(f"{where}: {self.name} must be of type {t.__name__}, got {value!r}")
        if self.choices is not None:
            if value not in self.choices:
                raise ValueError(
                    f"{where}: {self.name} must be one of {list(self.choices)}, got {value!r}"
                )
            return value
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"{where}: {self.name} must be >= {self.minimum}, got {value}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"{where}: {self.name} must be <= {self.maximum}, got {value}")
        return value


@dataclass(frozen=True)
class Problem:
    """A model at its true (or trained) parameter, with data, ready for ``estimate_llc``.

    ``model``'s current parameters are w*; ``data`` is ``(inputs, targets)`` with
    ``n = len(inputs)`` samples; ``loss`` is what ``estimate_llc(loss=...)`` takes (a name
    or a per-sample callable from :mod:`slttheory.losses`); ``params`` are the validated
    family parameters; ``note`` says how w* was obtained. Added fields (with defaults):
    ``val_data`` is held-out ``(inputs, targets)`` where the family has a split (else
    ``None``); ``extras`` holds numbers about the build (e.g. ``"train_loss"``,
    ``"val_acc"``, ``"steps"`` for trained families; ``"loss_at_true"`` for all).
    ``differences`` is :attr:`Family.differences` at these parameters: one line per way the
    model as built differs from the source's model (``()``: it is the source's model;
    ``None``: the family does not say). ``symmetry``: the parameter names of a matrix chain
    ``W_L ⋯ W_1`` (``W_1`` first) whose hidden layers carry a GL symmetry of the loss, for the
    sampler's orbit moves (:func:`slttheory.sampling.matrix_chain_orbit`); ``None``: none
    declared.
    """

    model: Any  # torch.nn.Module (kept Any so this module imports without torch)
    data: tuple[Any, Any]
    loss: Any = "gaussian"
    params: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""
    val_data: tuple[Any, Any] | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)
    differences: tuple[str, ...] | None = None
    symmetry: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RankProblem:
    """The parameter-to-function map of a family for exact Jacobian rank.

    ``fn(params, inputs) -> outputs`` with ``params`` a dict of tensors of the shapes in
    ``param_shapes``; ``inputs`` are integer-valued so that ``method="exact"`` applies;
    ``fn`` is the map *the loss sees* (e.g. outputs modulo constants for the centred loss).
    For a ``--families`` plugin, ``fn`` on ``inputs`` must be its built model's function (its
    outputs, or them minus those at the first input) in the model's parameters (the names and
    shapes of ``named_parameters()``, or other names with unique shapes): the rank route
    checks this at w* and near it before it certifies a rank (docs/plugins.md).
    ``degree`` is the polynomial degree of the map in the parameters (for the
    Schwartz–Zippel bound); ``gives_lambda`` says whether λ = rank/2 holds at the
    family's true parameter, with ``reason``.

    The true point w* (for :func:`slttheory.geometry.true_point_rank`, a certified lower
    bound λ(w*) ≥ rank J(w*)/2) is described by ``true_point``, one of :data:`TRUE_POINTS`:

    - ``"generic"``: w* is a draw from a continuous distribution on the whole parameter
      space, so rank J(w*) equals the generic rank almost surely;
    - ``"support"``: w* is generic on the coordinate subspace where ``true_support`` (name →
      bool tensor of the parameter's shape) is ``True`` and exactly zero elsewhere (e.g.
      reduced-rank regression with its unused hidden units at zero);
    - ``"exact"``: w* is ``true_params`` (integer tensors; any tensors when ``degree <= 1``,
      where the Jacobian does not depend on the point; for a ``--families`` plugin, keyed by
      the built model's parameter names, and certified only where they equal the parameters
      ``build(refine_steps=0)`` returns);
    - ``"trained"`` (the default): w* comes from training; no certified statement.

    ``true_point_argument``: why the built w* attains its stratum's generic rank, where it is
    not a continuous draw on the whole stratum (e.g. balanced factors with a fixed spectrum:
    a symmetry group acting transitively on the stratum's full-rank points keeps rank J);
    ``""`` means the default argument, a continuous random draw.

    ``inputs_determine``: the outputs of ``fn`` on ``inputs`` determine the model's function
    on the data's support (identity inputs for linear maps, a unisolvent set for quadratics,
    the data's own finite support), so that the rank of this map is the rank of the
    population loss's Hessian. (It does *not* make generic rank/2 an upper bound on λ: over ℝ
    a fibre can be smaller than its expected dimension; see :mod:`slttheory.geometry`.)
    """

    fn: Callable[..., Any]
    param_shapes: Mapping[str, tuple[int, ...]]
    inputs: Any
    degree: int
    gives_lambda: bool
    reason: str
    true_params: Mapping[str, Any] | None = None
    true_point: str = "trained"
    true_support: Mapping[str, Any] | None = None
    inputs_determine: bool = False
    true_point_argument: str = ""

    def __post_init__(self) -> None:
        if self.true_point not in TRUE_POINTS:
            raise ValueError(
                f"true_point must be one of {list(TRUE_POINTS)}, got {self.true_point!r}"
            )
        if self.true_point == "support":
            if self.true_support is None:
                raise ValueError("true_point='support' needs true_support (name -> bool mask)")
            unknown = sorted(set(self.true_support) - set(self.param_shapes))
            if unknown:
                raise ValueError(f"true_support has keys {unknown} that are not parameters")
        if self.true_point == "exact" and self.true_params is None:
            raise ValueError("true_point='exact' needs true_params")


CANNOT_HOLD = "cannot hold at these sizes: "
"""Opens the clause of a ``Hypothesis.measured`` that proves no w* of these sizes meets it."""
NOT_AT_DRAWS = "not met at these sizes at the family's draws: "
"""Opens the clause of a ``Hypothesis.measured`` that says the family's draws of w* do not meet
it at these sizes, without a proof for every w*."""


@dataclass(frozen=True)
class Hypothesis:
    """One hypothesis of a family's theorem, checked at a built problem.

    ``name``: short identifier (e.g. ``"stage_two"``); ``statement``: the hypothesis as the
    source states it (with the source); ``measured``: what was measured and how, with
    numbers and thresholds; ``met``: ``True``/``False``, or ``None`` where it could not be
    decided (e.g. above a size limit); ``possible``: ``False`` where no w* at these sizes can
    meet it (a dimension count says so), so that no other w* would decide the point. The
    verifier reports a claim whose hypothesis has ``met is False`` as inconclusive, printing
    ``measured``. Where ``possible`` is false, ``measured`` says why in a clause
    "(:data:`CANNOT_HOLD` why)"; where only the family's draws (not a proof) say no w* of
    these sizes meets it, ``possible`` stays true and ``measured`` has a clause
    "(:data:`NOT_AT_DRAWS` why)": the verifier quotes either as what would decide (other
    sizes), the second without claiming impossibility.

    >>> h = Hypothesis("stage_two", "w* is a Stage-II solution", "val_acc = 0.31 < 0.95", False)
    >>> h.met
    False
    """

    name: str
    statement: str
    measured: str
    met: bool | None
    possible: bool = True


@dataclass(frozen=True)
class Family:
    """A model family: parameters, closed form, constructor of the true point, rank map.

    Fields
    ------
    name, description, source:
        Registry key (for the package's families, equal to the formula's name where a
        formula exists; a ``--families`` plugin may name both freely), one line, citation.
    parameters:
        The :class:`ParamSpec` of every family parameter (claims' grid and fixed variables).
    build:
        ``build(params=None, /, *, n=None, generator, device="cpu", dtype=torch.float32,
        refine_steps=None, refine_lr=1e-3, **more_params) -> Problem``. Family parameters
        come from the positional mapping ``params`` merged with ``more_params`` (keywords
        win) and are validated with :meth:`validate` (so errors name the key). Pass them
        as the mapping whenever a family parameter is itself called ``n``
        (``reduced_rank_regression``'s output dimension), since the keyword ``n`` is the
        sample size: ``n=None`` uses
        ``default_n``; families whose data set is fixed by their parameters
        (``modular_addition``: the training pairs) ignore ``n`` and say so in
        ``Problem.note``. ``generator`` is a ``torch.Generator`` (or an ``int`` seed) that
        draws the true point, the data and any training: the same generator state gives the
        same problem. Data are drawn on CPU and then moved to ``device`` and ``dtype``.
        ``refine_steps=None`` (the default) moves w* from the true point w0 to the empirical
        minimiser of ``L_n`` near it (``families.refine_to_minimiser``: full-batch L-BFGS in
        float64 from w0 + N(0, 10⁻⁶ I) until ‖∇L_n‖ ≤ 10⁻⁷, kept only if within distance 3
        of w0), the point at which the LLC is defined (Lau et al., arXiv:2308.12108, §3);
        families whose w* is already a trained point are left alone. At w0 itself the chains
        descend below ``L_n(w0)`` and λ̂ carries a negative offset −nβ(L_n(w0) − min L_n)
        (≈ −d/(2 log n) for regular models; −20 % to −40 % for RRR and DLN at n = 1000),
        which ``estimate_llc(true_parameter=True)`` removes there (the symmetrised estimand;
        the verifier's LLC route samples noisy families at w0 with it).
        ``refine_steps=0`` keeps the exact true point; ``refine_steps > 0`` runs that many
        full-batch Adam steps (``refine_lr``) from w0 instead. ``Problem.extras`` records
        ``loss_at_true``, and ``loss_refined``, ``refine_grad_norm``, ``refine_distance``,
        ``refined`` where refined.
    formula:
        The closed form in :mod:`slttheory.formulas`, or ``None`` where none exists.
    formula_args:
        Maps the validated family parameters to the formula's keyword arguments. ``None``
        (the default) passes the family parameters whose names are arguments of
        ``formula`` and drops the rest (e.g. ``noise``, ``interval``, ``train_frac``).
    rank_problem:
        ``rank_problem(params=None, /, **more_params) -> RankProblem`` where the
        parameter-to-function map is polynomial; ``None`` otherwise.
    check:
        Cross-parameter constraints (e.g. ``r <= min(m, n, h)``), called by
        :meth:`validate` with ``(params, where)`` after the per-parameter checks; raises
        ``ValueError`` naming the key.
    default_n:
        Sample size used by ``build`` when ``n`` is ``None``.
    differences:
        ``differences(params) -> tuple[str, ...]`` (validated ``params``): where the model as
        built differs from the model of ``source`` (loss, architecture, data distribution,
        n, training), one line each; ``()`` where the model is the source's. ``build`` copies
        it into :attr:`Problem.differences`. ``None``: the family does not say.
    orbit:
        ``orbit(problem) -> (s, d, how)``: a smooth submanifold of dimension ≥ ``s`` through the
        built w* on which the model's function is constant (a symmetry orbit), with the
        parameter count ``d``: then λ ≤ (d − s)/2 (:mod:`slttheory.models.symmetry`); ``None``
        where the family exhibits none.
    hypotheses:
        ``hypotheses(problem) -> tuple[Hypothesis, ...]``: the hypotheses of the theorem
        behind ``formula`` that can be checked numerically at a built ``problem`` (its
        ``model`` at w*, ``data`` and ``extras``). ``None``: none are checked.
    readings:
        ``readings(params) -> tuple[str, ...]`` (validated ``params``): the parameters whose
        value chooses between readings of the source's model that give different λ at these
        parameters (quadratic networks with biases: the centred loss cannot see the output
        constant that plain MSE sees). A claim must set them and say which reading it tests:
        a family default there would be a reading chosen silently. ``None``: no such choice.
    """

    name: str
    description: str
    parameters: tuple[ParamSpec, ...]
    build: Callable[..., Problem]
    formula: Callable[..., Any] | None = None
    rank_problem: Callable[..., RankProblem] | None = None
    source: str = ""
    formula_args: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None
    check: Callable[[Mapping[str, Any], str], None] | None = None
    default_n: int = 1000
    differences: Callable[[Mapping[str, Any]], tuple[str, ...]] | None = None
    hypotheses: Callable[[Problem], tuple[Hypothesis, ...]] | None = None
    orbit: Callable[[Problem], tuple[int, int, str]] | None = None
    readings: Callable[[Mapping[str, Any]], tuple[str, ...]] | None = None

    @property
    def hypothesis_names(self) -> tuple[str, ...]:
        """The names ``hypotheses`` may measure (its ``names`` attribute), so that a claim
        naming another is refused when it is loaded; ``()`` where none are measured."""
        return tuple(getattr(self.hypotheses, "names", ()))

    def formula_kwargs(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The keyword arguments of ``formula`` for (already validated) family ``params``."""
        if self.formula is None:
            raise ValueError(f"family {self.name!r} has no closed form (formula is None)")
        if self.formula_args is not None:
            return dict(self.formula_args(params))
        names = inspect.signature(self.formula).parameters
        return {k: v for k, v in params.items() if k in names}

    def closed_form(self, params: Mapping[str, Any] | None = None, /, **more: Any) -> Any:
        """The library's λ (a ``LearningCoefficient``) at these family parameters.

        Validates ``{**params, **more}`` (defaults filled), maps it with
        :meth:`formula_kwargs` and calls ``formula``; ``ValueError`` if the family has
        no closed form.
        """
        q = self.validate({**(params or {}), **more})
        return self.formula(**self.formula_kwargs(q))

    def lambda_(self, **params: Any) -> Any:
        """Shorthand for :meth:`closed_form` with keyword parameters."""
        return self.closed_form(params)

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
        if self.check is not None:
            self.check(out, where)
        return out


def describe(family: Family) -> str:
    """What a claim on ``family`` can set: its parameters (type, range or choices, default,
    meaning), the closed form it compares with, and the hypotheses it measures; the text of
    ``python -m slttheory.verify --families-info NAME``.

    >>> fam = Family("toy", "a toy", (ParamSpec("d", int, 1, None, doc="dimension"),
    ...                               ParamSpec("loss", str, default="mse",
    ...                                         choices=("mse", "centred"))),
    ...              build=lambda *a, **k: None, source="Me 2026")
    >>> print(describe(fam))
    toy: a toy (Me 2026)
      parameters:
        d        integer >= 1, required: dimension
        loss     one of mse, centred, default 'mse'
      closed form: none
      hypotheses: none measured
      rank map: none
    """
    kinds = {int: "integer", float: "number", bool: "true/false", tuple: "list of integers",
             str: "text"}
    rows, width = [], max([8] + [len(spec.name) for spec in family.parameters])
    for spec in family.parameters:
        what = kinds.get(spec.type, spec.type.__name__)
        if spec.choices is not None:
            what = "one of " + ", ".join(map(str, spec.choices))
        bounds = [f">= {spec.minimum:g}" if spec.minimum is not None else "",
                  f"<= {spec.maximum:g}" if spec.maximum is not None else ""]
        what += "".join(" " + b for b in bounds if b)
        if spec.type is tuple and any(bounds):
            what = what.replace("integers ", "integers, each ", 1)
        what += ", required" if spec.required else f", default {spec.default!r}"
        rows.append(f"    {spec.name:{width}} {what}" + (f": {spec.doc}" if spec.doc else ""))
    formula = getattr(family.formula, "__name__", None) if family.formula else None
    return "\n".join([
        f"{family.name}: {family.description}" + (f" ({family.source})" if family.source else ""),
        "  parameters:", *rows,
        f"  closed form: {formula or 'none'}",
        "  hypotheses: " + (", ".join(family.hypothesis_names) or "none measured"),
        "  rank map: " + ("exact Jacobian ranks" if family.rank_problem else "none")])


FAMILIES: dict[str, Family] = {}


def register(family: Family) -> Family:
    """Add ``family`` to :data:`FAMILIES` (names are unique)."""
    if family.name in FAMILIES:
        raise ValueError(f"family {family.name!r} is already registered")
    FAMILIES[family.name] = family
    return family
