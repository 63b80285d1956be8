"""The model families, registered in :data:`slttheory.models.FAMILIES` on import.

Each family gives: a model (``torch.nn.Module``), a data generator driven by an explicit
``torch.Generator``, the true (or trained) parameter w* at which λ is claimed, its closed
form where one exists, and (where the parameter-to-function map is polynomial) a
:class:`~slttheory.models.registry.RankProblem`. See :class:`~slttheory.models.registry.Family`
for the ``build`` signature.

Conventions. Regression families use the unit-variance Gaussian NLL ½‖y − f(x)‖² with
``noise`` the standard deviation of the Gaussian target noise (default 1, so the model is
well specified and ``L_n(w*) ≈ ½·noise²·output_dim``). True points of singular families sit
where the extra units are exactly zero (the most singular point of the true fibre, whose
local RLCT is the global one of Aoyagi's theorems). By default ``build`` then moves w* to the
empirical minimiser of ``L_n`` near the true point (:func:`refine_to_minimiser`), where the
LLC estimator is defined; ``refine_steps=0`` keeps the true point (``Problem.note`` says which).

>>> import torch
>>> from slttheory.models import FAMILIES
>>> prob = FAMILIES["reduced_rank_regression"].build(
...     {"m": 3, "n": 2, "h": 2, "r": 1}, n=50, generator=torch.Generator().manual_seed(0))
>>> prob.data[0].shape, prob.data[1].shape, prob.model(prob.data[0]).shape
(torch.Size([50, 3]), torch.Size([50, 2]), torch.Size([50, 2]))
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor, nn

from slttheory import formulas
from slttheory._inputs import functional, held_fixed
from slttheory.losses import (
    binary_cross_entropy_nll,
    centred_gaussian_nll,
    resolve_loss,
)
from slttheory.models._common import (
    Dense,
    as_generator,
    centred_outputs,
    check_elements,
    check_int,
    check_nonnegative,
    randn,
    resolve_device,
    uniform,
)
from slttheory.models.hypotheses import (
    effective_width,
    modular_addition_hypotheses,
    quadratic_hypotheses,
    stage_two,
    stage_two_hypotheses,
    train_rank,
)
from slttheory.models.linear import (
    DeepLinearNetwork,
    LinearRegression,
    LowRankLinear,
    ReducedRankRegression,
)
from slttheory.models.networks import ParityMLP, ReLUAutoencoder, TanhNetwork, TinyTanhMLP
from slttheory.models.polynomial import NormalCrossing, PolynomialRegression
from slttheory.models.quadratic import QuadraticNetwork
from slttheory.models.registry import (
    Family,
    Hypothesis,
    ParamSpec,
    Problem,
    RankProblem,
    register,
)
from slttheory.models.symmetry import modular_orbit, quadratic_orbit
from slttheory.train import argmax_accuracy, binary_accuracy, centred_argmax_accuracy, train

__all__ = [
    "refine_to_minimiser",
    "rank_inputs",
    "line_data",
    "sine_data",
    "parity_data",
    "modular_addition_data",
    "quadratic_unisolvent_inputs",
]

BuildImpl = Callable[[dict[str, Any], int, torch.Generator, Any, torch.dtype], Problem]

_NOISE = ParamSpec("noise", float, 0.0, None, 1.0, "standard deviation of the target noise")


# ----------------------------------------------------------------------------- helpers


def _set(model: nn.Module, **values: Tensor) -> nn.Module:
    """Copy ``values`` into the named parameters of ``model`` (in place, no grad)."""
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, v in values.items():
            params[name].copy_(v.to(params[name].dtype))
    return model


def _regression_targets(f: Tensor, noise: float, g: torch.Generator) -> Tensor:
    return f + noise * randn(*f.shape, generator=g)


def _to(t: Tensor, device: Any, dtype: torch.dtype) -> Tensor:
    return t.to(device=device, dtype=dtype) if t.is_floating_point() else t.to(device=device)


def _check_n(n: Any) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n (the sample size) must be an integer, got {n!r}")
    if n < 1:
        raise ValueError(f"n (the sample size) must be >= 1, got {n}")


def _noise_difference(noise: float, source: str = "the source's model") -> tuple[str, ...]:
    """The line for ``differences`` when the targets' noise is not the model's N(0, 1)."""
    if noise == 1.0:
        return ()
    if noise == 0.0:
        return (f"targets without noise (noise = 0); {source} has y = f(x) + N(0, 1) noise, "
                "so L_n(w*) = 0 here",)
    return (f"target noise std {noise:g} != 1 while the likelihood has unit variance: the data "
            f"distribution is outside {source} (λ of K(w) = ½E‖f_w − f_w*‖² is unchanged)",)


REFINE_PERTURB = 1e-3
REFINE_GRAD_TOL = 1e-7
REFINE_MAX_ITER = 2000
REFINE_MAX_DISTANCE = 3.0
REFINE_MIN_DESCENT = 1e-6
"""How far below n·L_n(w0) the refined point must be (in nats) to count as a descent."""


def refine_to_minimiser(
    model: nn.Module, data: tuple[Tensor, Tensor], loss: Any, *, generator: torch.Generator,
    perturb: float = REFINE_PERTURB, grad_tol: float = REFINE_GRAD_TOL,
    max_iter: int = REFINE_MAX_ITER, max_distance: float = REFINE_MAX_DISTANCE,
    require_descent: bool = True,
) -> dict[str, Any]:
    r"""Move ``model`` (in place) to the empirical local minimiser of :math:`L_n` near its
    current parameters :math:`w_0`; returns ``loss``, ``grad_norm``, ``iterations``,
    ``distance`` (:math:`\lVert\hat w - w_0\rVert`), ``descended`` (n times the loss found is below
    :math:`nL_n(w_0)` by more than :data:`REFINE_MIN_DESCENT`) and ``accepted``.

    Full-batch L-BFGS (strong-Wolfe line search, float64) from :math:`w_0 + N(0,
    \text{perturb}^2 I)` until :math:`\lVert\nabla L_n\rVert \le` ``grad_tol`` or
    ``max_iter`` iterations. The perturbation (drawn from ``generator``) lets the optimiser
    leave the true points of the singular families, which are critical points (saddles) of
    :math:`L_n` with zero gradient. Why: the LLC estimator is defined at a local minimum of
    :math:`L_n` (Lau et al., arXiv:2308.12108, §3); at :math:`w_0` the chains descend below
    :math:`L_n(w_0)` and :math:`\hat\lambda` is offset by
    :math:`-n\beta(L_n(w_0) - \min L_n)`, on average :math:`-d/(2\log n)` for a regular model.
    "Near" means within ``max_distance`` (3, three standard deviations of ``estimate_llc``'s
    default localization γ = 1) of :math:`w_0`: where the optimiser runs off (the tanh network
    fits the noise with saturated units, :math:`|a| \to \infty`), the model keeps
    :math:`w_0` and ``accepted`` is ``False``; so it does where the loss found is not below
    :math:`L_n(w_0)`: near a degenerate critical point the gradient at the perturbed start is
    already below ``grad_tol`` (w₁w₂² at 0: |∇L_n| ≈ 10⁻⁸ at |w| = 10⁻³), L-BFGS stops there,
    and that point, no minimum, had been taken as the minimiser (an outside audit).
    ``require_descent=False`` keeps the fit from the perturbed start even so (where
    :math:`L_n(w_0) = 0` already, to study the nearby approximate zeros).

    >>> import torch
    >>> x = torch.linspace(-1, 1, 50).reshape(-1, 1); y = 2 * x + 0.1 * torch.sin(9 * x)
    >>> m = torch.nn.Linear(1, 1)
    >>> info = refine_to_minimiser(m, (x, y), "gaussian", generator=torch.Generator())
    >>> info["grad_norm"] < 1e-6
    True
    """
    loss_fn = resolve_loss(loss)
    x, y = data
    x64 = x.double() if x.is_floating_point() else x
    y64 = y.double() if y.is_floating_point() else y
    # the parameters the LLC samples and the minimum check varies (requires_grad): a frozen
    # one is held fixed there, and had been perturbed and fitted here (a red-team audit)
    free = [(k, p) for k, p in model.named_parameters() if p.requires_grad]
    params = [p for _, p in free]
    dtypes = [p.dtype for p in params]
    work = [p.detach().to(torch.float64).clone() for p in params]
    with torch.no_grad():
        for w in work:
            w.add_(perturb * randn(*w.shape, generator=generator).to(w))
    names = [k for k, _ in free]
    work = [w.requires_grad_(True) for w in work]
    frozen = held_fixed(model, names, lambda b: b.double() if b.is_floating_point() else b)

    def value_at(at: list[Tensor]) -> Tensor:
        out = functional(model, ({**dict(zip(names, at, strict=True)),
                                                   **frozen},), (x64,))
        return loss_fn(out, y64).mean()

    def value() -> Tensor:
        return value_at(work)

    with torch.no_grad():
        start = float(value_at([p.detach().to(torch.float64) for p in params]))

    opt = torch.optim.LBFGS(work, lr=1.0, max_iter=max_iter, tolerance_grad=grad_tol,
                            tolerance_change=0.0, history_size=50,
                            line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        opt.zero_grad()
        v = value()
        v.backward()
        return v

    with torch.enable_grad():
        opt.step(closure)
        opt.zero_grad()
        v = value()
        grads = torch.autograd.grad(v, work)
    gn = math.sqrt(sum(float((gr * gr).sum()) for gr in grads))
    dist = math.sqrt(sum(float(((w.detach() - p.detach().double()) ** 2).sum())
                         for p, w in zip(params, work, strict=True)))
    # below L_n(w0) by more than round-off on the scale that matters, n·L_n (a step of 10⁻¹¹
    # along a degenerate direction "descends" by 10⁻¹² and is no minimiser)
    descended = len(x64) * (start - float(v.detach())) > REFINE_MIN_DESCENT
    accepted = math.isfinite(gn) and math.isfinite(float(v.detach())) and \
        dist <= max_distance and (descended or not require_descent)
    if accepted:
        with torch.no_grad():
            for p, w, dt in zip(params, work, dtypes, strict=True):
                p.copy_(w.to(dt))
    iters = int(opt.state[work[0]].get("n_iter", 0))
    return {"loss": float(v.detach()), "grad_norm": gn, "iterations": iters,
            "distance": dist, "descended": descended, "accepted": accepted}


def _make_family(
    name: str,
    description: str,
    parameters: tuple[ParamSpec, ...],
    impl: BuildImpl,
    *,
    formula: Callable[..., Any] | None,
    formula_args: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
    rank_impl: Callable[[dict[str, Any]], RankProblem] | None = None,
    check: Callable[[Mapping[str, Any], str], None] | None = None,
    source: str = "",
    default_n: int = 1000,
    trained: bool = False,
    differences: Callable[[Mapping[str, Any]], tuple[str, ...]] | None = None,
    hypotheses: Callable[[Problem], tuple[Hypothesis, ...]] | None = None,
    orbit: Callable[[Problem], tuple[int, int, str]] | None = None,
    source_n: int | None = None,
    readings: Callable[[Mapping[str, Any]], tuple[str, ...]] | None = None,
) -> Family:
    """Register a family whose ``build``/``rank_problem`` validate before calling the impls.

    ``trained``: w* is where training stops (no true point), so ``refine_steps=None`` leaves
    it alone; otherwise ``refine_steps=None`` moves w* to the empirical minimiser near the
    true point (:func:`refine_to_minimiser`), unless the family's ``noise`` is 0 (its targets
    are its outputs at w0, a minimum of L_n already). ``differences`` and ``hypotheses`` become the
    family's fields; ``build`` fills :attr:`Problem.differences` from ``differences`` and,
    where the source states its sample size ``source_n`` and the build's ``n`` differs, adds
    a line saying so.
    ``rank_problem(params, inputs=x)`` replaces the rank map's inputs by the integer-valued
    ``x`` (e.g. a built problem's training inputs, :func:`rank_inputs`); its ``gives_lambda``
    and ``inputs_determine`` are then ``False`` (the family's argument is about its inputs).
    """
    holder: dict[str, Family] = {}

    def build(
        params: Mapping[str, Any] | None = None,
        /,
        *,
        n: int | None = None,
        generator: torch.Generator | int,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
        refine_steps: int | None = None,
        refine_lr: float = 1e-3,
        **more_params: Any,
    ) -> Problem:
        fam = holder["family"]
        both = sorted(set(params or {}) & set(more_params))
        if both:
            raise TypeError(f"{name}.build: {both} given both in params and as keyword "
                            "arguments; give each once")
        q = fam.validate({**(params or {}), **more_params})
        n = fam.default_n if n is None else n
        _check_n(n)
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise TypeError(f"dtype must be a floating torch.dtype, got {dtype!r}")
        device = resolve_device(device)
        g = as_generator(generator)
        prob = impl(q, n, g, device, dtype)
        model = prob.model.to(device=device, dtype=dtype).eval()
        x, y = (_to(t, device, dtype) for t in prob.data)
        val = None
        if prob.val_data is not None:
            val = tuple(_to(t, device, dtype) for t in prob.val_data)
        with torch.no_grad():
            loss_true = float(resolve_loss(prob.loss)(model(x), y).mean())
        extras = {**prob.extras, "loss_at_true": loss_true}
        note = prob.note
        if refine_steps is not None and (isinstance(refine_steps, bool) or
                                         not isinstance(refine_steps, int) or refine_steps < 0):
            raise ValueError(f"refine_steps must be None or an integer >= 0, got {refine_steps!r}")
        noise_free = "noise" in q and float(q["noise"]) == 0.0
        if refine_steps is None and not trained and noise_free:
            # targets are the model's own outputs at w0: L_n(w0) = 0 is the minimum, and a
            # refinement from a perturbed start ended on a saddle near a crossing (an audit)
            extras.update(refined=False)
            note += (f"; w* kept at the true point: the targets are noise-free, so L_n(w0) = "
                     f"{loss_true:.1e} is the minimum (only noisy data are refined)")
        elif refine_steps is None and not trained:
            info = refine_to_minimiser(model, (x, y), prob.loss, generator=g)
            extras.update(refine_grad_norm=info["grad_norm"],
                          refine_iterations=info["iterations"],
                          refine_distance=info["distance"], refined=info["accepted"])
            if info["accepted"]:
                extras.update(loss_refined=info["loss"])
                note += ("; then moved to the empirical minimiser of L_n near the true point "
                         f"(L-BFGS from w0 + N(0, {REFINE_PERTURB:g}²): |∇L_n| = "
                         f"{info['grad_norm']:.1e}, |ŵ − w0| = {info['distance']:.3g}; "
                         "refine_steps=0 keeps the true point)")
            elif (not info["descended"] and math.isfinite(info["loss"])
                  and info["distance"] <= REFINE_MAX_DISTANCE):
                note += ("; w* kept at the true point, which need not be a minimum: L-BFGS "
                         f"from w0 + N(0, {REFINE_PERTURB:g}²) found no loss below L_n(w0) "
                         f"(it stopped after {info['iterations']} iterations at |∇L_n| = "
                         f"{info['grad_norm']:.1e}: a degenerate critical point, flat to that "
                         "tolerance)")
            else:
                why = (f"left the neighbourhood (|ŵ − w0| = {info['distance']:.3g} > "
                       f"{REFINE_MAX_DISTANCE:g})"
                       if not info["distance"] <= REFINE_MAX_DISTANCE else
                       f"ended at a loss that is not finite ({info['loss']:.3g})")
                note += ("; w* kept at the true point: L-BFGS towards the empirical minimiser "
                         + why)
        elif refine_steps:
            res = train(model, (x, y), loss=prob.loss, optimizer="adam", lr=refine_lr,
                        steps=refine_steps, generator=g)
            model.eval()
            if not res.final_train_loss <= loss_true:  # NaN too (an outside probe: lr 1e3
                # took the loss from 0.99 to 1.7e10, and the note said "refined")
                raise ValueError(
                    f"refine_lr: {refine_steps} Adam steps at lr {refine_lr:g} raised the loss "
                    f"from {loss_true:.4g} at the true point to {res.final_train_loss:.4g}; "
                    "lower refine_lr (or refine_steps=None, L-BFGS to the minimiser)")
            extras.update(loss_refined=res.final_train_loss, refine_steps=res.steps)
            note += (f"; then refined by {refine_steps} full-batch Adam steps (lr {refine_lr}) "
                     "towards the empirical minimiser")
        diffs = prob.differences
        if diffs is None and fam.differences is not None:
            diffs = fam.differences(q)
            if source_n is not None and len(x) != source_n:
                diffs += (f"sample size: n = {len(x)}; the source uses n = {source_n}",)
        return dataclasses.replace(
            prob, model=model, data=(x, y), val_data=val, params=q, extras=extras, note=note,
            differences=diffs,
        )

    build.__doc__ = f"Build the {name!r} problem; see ``Family`` for the signature."
    rank_problem = None
    if rank_impl is not None:

        def rank_problem(
            params: Mapping[str, Any] | None = None, /, *, inputs: Any = None, **more: Any
        ) -> RankProblem:
            q = holder["family"].validate({**(params or {}), **more})
            rp = rank_impl(q)
            if inputs is not None:  # the family's argument for λ = rank/2 (and that its
                # inputs determine the function) is about its own inputs, not these
                rp = dataclasses.replace(
                    rp, inputs=rank_inputs(inputs, like=rp.inputs), gives_lambda=False,
                    inputs_determine=False,
                    reason=f"{rp.reason} [on inputs given by the caller, which the argument "
                    "is not about: the rank is exact, λ = rank/2 is not claimed]")
            return rp

        rank_problem.__doc__ = f"The {name!r} parameter-to-function map for exact rank."
    family_differences = None
    if differences is not None:

        def family_differences(params: Mapping[str, Any]) -> tuple[str, ...]:
            return tuple(differences(holder["family"].validate(dict(params))))

        family_differences.__doc__ = (f"Where the {name!r} model differs from its source, at "
                                      "these parameters (validated, defaults filled).")
    fam = Family(
        name=name, description=description, parameters=parameters, build=build,
        formula=formula, rank_problem=rank_problem, source=source,
        formula_args=formula_args, check=check, default_n=default_n,
        differences=family_differences, hypotheses=hypotheses, orbit=orbit,
        readings=readings,
    )
    holder["family"] = fam
    return register(fam)


def rank_inputs(inputs: Any, like: Tensor | None = None) -> Tensor:
    """``inputs`` as an int64 CPU tensor for exact rank (a rank map's ``inputs``).

    Floating inputs must hold integers exactly (one-hot pairs do; Gaussian draws do not):
    otherwise ``ValueError``. With ``like``, the per-sample shape must match it.

    >>> rank_inputs(torch.tensor([[1.0, 0.0], [0.0, 1.0]])).dtype
    torch.int64
    """
    if not isinstance(inputs, Tensor):
        raise TypeError(f"inputs must be a torch.Tensor, got {type(inputs).__name__}")
    if like is not None and not isinstance(like, Tensor):
        raise TypeError(f"like must be a torch.Tensor or None, got {type(like).__name__}")
    x = inputs.detach().cpu()
    if x.is_floating_point():
        if not bool(torch.isfinite(x).all()) or not bool((x == torch.round(x)).all()):
            raise ValueError(
                "inputs must be integer-valued for an exact Jacobian rank (e.g. one-hot pairs); "
                "got non-integer entries"
            )
        x = x.to(torch.int64)
    elif x.dtype == torch.bool or x.is_complex():
        raise TypeError(f"inputs must be integer or floating, got dtype {x.dtype}")
    else:
        x = x.to(torch.int64)
    if like is not None and tuple(x.shape[1:]) != tuple(like.shape[1:]):
        raise ValueError(
            f"inputs must have per-sample shape {tuple(like.shape[1:])} (the rank map's), "
            f"got {tuple(x.shape[1:])}"
        )
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError("inputs must have at least one sample")
    return x


def _identity_inputs(d: int) -> Tensor:
    check_elements("d", d, d * d)
    return torch.eye(d, dtype=torch.int64)


def _first_dtype(params: Mapping[str, Tensor]) -> torch.dtype:
    return next(iter(params.values())).dtype


# ----------------------------------------------------------------------------- data


def line_data(n: int, noise: float = 0.0, generator: torch.Generator | int | None = None):
    """Seed 003's warm-up data: ``x = linspace(−1, 1, n)``, ``y = 3x + 2 (+ noise)``, ``(n, 1)``.

    ``n >= 1``; ``noise`` is the (finite, >= 0) standard deviation of Gaussian target noise,
    drawn from ``generator`` (:func:`~slttheory.models._common.as_generator`).

    >>> x, y = line_data(3)
    >>> y.flatten().tolist()
    [-1.0, 2.0, 5.0]
    """
    n = check_int("n", n)
    check_elements("n", n, n)
    noise = check_nonnegative("noise", noise)
    g = as_generator(generator)
    x = torch.linspace(-1, 1, n, dtype=torch.float64).reshape(-1, 1)
    y = 3 * x + 2
    if noise > 0:
        y = _regression_targets(y, noise, g)
    return x, y


def sine_data(n: int):
    """Seed 003's toy data: ``x = linspace(−2, 2, n)``, ``y = sin(3x) + 0.3x``, ``(n, 1)``;
    ``n >= 1``.

    >>> x, y = sine_data(5)
    >>> x.flatten().tolist(), y.shape, y[2].item()      # y(0) = 0
    ([-2.0, -1.0, 0.0, 1.0, 2.0], torch.Size([5, 1]), 0.0)
    """
    n = check_int("n", n)
    check_elements("n", n, n)
    x = torch.linspace(-2, 2, n, dtype=torch.float64).reshape(-1, 1)
    return x, torch.sin(3 * x) + 0.3 * x


def parity_data(n: int, n_bits: int, k: int, generator: torch.Generator | int):
    """Seed 003's parity data: ``x ∈ {−1, 1}^{n_bits}`` uniform, ``y = parity of the first k
    bits`` (bit = ``x > 0``) as a float ``(n, 1)``. ``n, n_bits >= 1``, ``1 <= k <= n_bits``;
    ``generator`` (a ``torch.Generator`` or an int seed) is required.

    >>> x, y = parity_data(4, 5, 2, torch.Generator().manual_seed(0))
    >>> x.shape, y.shape, set(y.flatten().tolist()) <= {0.0, 1.0}
    (torch.Size([4, 5]), torch.Size([4, 1]), True)
    """
    n, n_bits = check_int("n", n), check_int("n_bits", n_bits)
    k = check_int("k", k, maximum=n_bits)
    check_elements("n·n_bits", f"{n}·{n_bits}", n * n_bits)
    if generator is None:
        raise TypeError("generator is required: a torch.Generator or an int seed, got None")
    g = as_generator(generator)
    x = torch.randint(0, 2, (n, n_bits), generator=g).to(torch.float64) * 2 - 1
    y = ((x[:, :k] > 0).sum(dim=1) % 2).to(torch.float64).unsqueeze(1)
    return x, y


def modular_addition_data(p: int) -> tuple[Tensor, Tensor]:
    """All p² pairs: inputs ``[e_a; e_b] ∈ ℝ^{2p}``, targets ``e_{(a+b) mod p} ∈ ℝ^p``
    (seed 001 §3), rows ordered by ``(a, b)``. ``p >= 2``, and the inputs' 2p³ entries at
    most 2²⁷ (p <= 406).

    >>> x, y = modular_addition_data(3)
    >>> x.shape, y.shape, y[5].tolist()     # (a, b) = (1, 2) -> 0
    (torch.Size([9, 6]), torch.Size([9, 3]), [1.0, 0.0, 0.0])
    """
    p = check_int("p", p, minimum=2)
    check_elements("p", p, 2 * p**3)
    a = torch.arange(p).repeat_interleave(p)
    b = torch.arange(p).repeat(p)
    eye = torch.eye(p, dtype=torch.float64)
    return torch.cat([eye[a], eye[b]], dim=1), eye[(a + b) % p]


def quadratic_unisolvent_inputs(d: int) -> Tensor:
    """Integer points ``0, ±e_i, e_i + e_j (i < j)`` of ℤ^d: ``(d+1)(d+2)/2`` points on which
    a polynomial of degree ≤ 2 is determined by its values (row 0 is the origin). ``d >= 1``,
    and at most 2²⁷ entries.

    >>> quadratic_unisolvent_inputs(2).tolist()
    [[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1], [1, 1]]
    """
    d = check_int("d", d)
    check_elements("d", d, (d + 1) * (d + 2) // 2 * d)
    eye = torch.eye(d, dtype=torch.int64)
    i, j = torch.triu_indices(d, d, offset=1)
    return torch.cat([
        torch.zeros(1, d, dtype=torch.int64),
        torch.stack([eye, -eye], dim=1).reshape(2 * d, d),  # e_0, −e_0, e_1, −e_1, …
        eye[i] + eye[j],  # (i, j) in lexicographic order
    ])


# ----------------------------------------------------------------------------- regular

_WATANABE = "Watanabe 2009, Algebraic Geometry and Statistical Learning Theory (regular case)"


def _build_regular(q, n, g, device, dtype):
    d = q["d"]
    w = randn(d, generator=g)
    x = randn(n, d, generator=g)
    y = _regression_targets((x @ w).unsqueeze(-1), q["noise"], g)
    model = _set(LinearRegression(d, dtype=dtype), w=w)
    return Problem(model, (x, y), "gaussian", note="w* = generic w ~ N(0, I_d); x ~ N(0, I_d)")


def _rank_regular(q):
    d = q["d"]
    return RankProblem(
        fn=lambda params, x: x.to(_first_dtype(params)) @ params["w"],
        param_shapes={"w": (d,)},
        inputs=_identity_inputs(d),
        degree=1,
        gives_lambda=True,
        reason="regular: w ↦ (x_i·w) is linear and injective, so K(w) is a positive-definite "
        "quadratic form in w − w* and ∫ exp(−nK) dw ∝ n^(−d/2) exactly (a Gaussian "
        "integral): λ = d/2 = rank/2",
        true_point="generic",
        inputs_determine=True,
    )


_make_family(
    "regular",
    "linear regression y = w·x + noise with d generic coefficients, x ~ N(0, I_d)",
    (ParamSpec("d", int, 1, None, 3, "number of coefficients"), _NOISE),
    _build_regular,
    formula=formulas.regular,
    rank_impl=_rank_regular,
    source=_WATANABE,
    differences=lambda q: _noise_difference(q["noise"]),
)


# ----------------------------------------------------------------------------- RRR


def _check_rrr(q, where):
    lim = min(q["m"], q["n"], q["h"])
    if q["r"] > lim:
        raise ValueError(f"{where}: r must be <= min(m, n, h) = {lim}, got {q['r']}")


TRUE_SINGULAR_RANGE = (1.0, 0.5)
r"""The nonzero singular values of a true rank-r product (reduced-rank regression, deep linear
networks, the low-rank factorisation): geometrically spaced from 1 down to ½, with random
singular vectors. A generic rank-r product of Gaussian factors often has a singular value
near zero, and then its w* sits close to the rank-(r − 1) points: at finite n the tempered
posterior still feels them and the LLC's estimand reads the smaller λ. Measured on reduced-rank
regression (m, n, h, r) = (4, 3, 2, 2), λ = 5 certified, noisy data: a Gaussian draw with
σ₂ = 0.088 read 4.07 ± 0.07 at every temperature of a scan at n = 10 000 (nβσ₂² ≈ 8 at the
top temperature), passing every diagnostic; three Gaussian draws at n = 1000 read 5.54, 4.41,
5.21 (deep linear network (3, 2, 2, 3), r = 2, λ = 4: 5.15, 3.59, 4.89); with this spectrum
5.26, 5.14, 5.07 and 4.23, 4.16, 4.33. The claims (Aoyagi & Watanabe 2005; Aoyagi 2024;
seed 000) fix only the rank, and λ depends on nothing else; the smallest value ½ keeps
:math:`n\beta\sigma_r^2 \ge 36` at n = 1000 (β = 1/log n)."""


def _true_spectrum(r: int) -> Tensor:
    """The r singular values :data:`TRUE_SINGULAR_RANGE` gives (float64, decreasing)."""
    hi, lo = TRUE_SINGULAR_RANGE
    if r == 1:
        return torch.tensor([hi], dtype=torch.float64)
    return torch.logspace(math.log10(hi), math.log10(lo), r, dtype=torch.float64)


def _balanced_layers(product: Tensor, r: int, shapes: list[tuple[int, int]]) -> list[Tensor]:
    r"""Layers :math:`W_L\cdots W_1` whose product has the singular vectors of ``product`` and
    the singular values :func:`_true_spectrum`, balanced (:math:`W_{\ell+1}^\top W_{\ell+1} =
    W_\ell W_\ell^\top`, each active block :math:`S^{1/L}`): the point of the product's GL
    fibre with the least :math:`\sum_\ell\lVert W_\ell\rVert^2` (Lindsey & Menon 2025,
    arXiv:2511.01137), and the one gradient flow reaches from a small initialisation, since it
    conserves :math:`W_{\ell+1}^\top W_{\ell+1} - W_\ell W_\ell^\top` (Du, Hu & Lee 2018,
    arXiv:1806.00900). ``shapes[ℓ]`` is (rows, cols) of layer ℓ;
    nonzero entries only in the first layer's first r rows, the last layer's first r columns
    and the middle layers' leading r×r blocks."""
    L = len(shapes)
    U, _, Vh = torch.linalg.svd(product)
    s = _true_spectrum(r) ** (1.0 / L)
    out = []
    for ell, shape in enumerate(shapes):
        W = torch.zeros(shape, dtype=torch.float64)
        if ell == 0:
            W[:r] = s[:, None] * Vh[:r]
        elif ell == L - 1:
            W[:, :r] = U[:, :r] * s
        else:
            W[:r, :r] = torch.diag(s)
        out.append(W)
    return out


def _rank_r_factors(rows: int, cols: int, h: int, r: int, g: torch.Generator):
    """A (h×cols) and B (rows×h) with B A of rank r and hidden units r..h−1 zero: singular
    vectors those of a product of Gaussian factors, singular values :func:`_true_spectrum`,
    balanced (:func:`_balanced_layers`)."""
    A = torch.zeros(h, cols, dtype=torch.float64)
    B = torch.zeros(rows, h, dtype=torch.float64)
    if r > 0:
        A0 = randn(r, cols, generator=g, std=1 / math.sqrt(cols))
        B0 = randn(rows, r, generator=g, std=1 / math.sqrt(r))
        A, B = _balanced_layers(B0 @ A0, r, [(h, cols), (rows, h)])
    return A, B


def _build_rrr(q, n, g, device, dtype):
    m, n_out, h, r = q["m"], q["n"], q["h"], q["r"]
    A, B = _rank_r_factors(n_out, m, h, r, g)
    x = randn(n, m, generator=g)
    y = _regression_targets(x @ A.T @ B.T, q["noise"], g)
    model = _set(ReducedRankRegression(m, n_out, h, dtype=dtype), A=A, B=B)
    return Problem(
        model, (x, y), "gaussian",
        note="w* = (A, B) balanced, B A of rank r with random singular vectors and singular "
        "values 1 … ½ (TRUE_SINGULAR_RANGE), the other h − r hidden units zero; x ~ N(0, I_m)",
        symmetry=("A", "B"),
    )


def _unit_support(shape: tuple[int, int], r: int, rows: bool) -> Tensor:
    """Bool mask of a matrix whose first ``r`` rows (``rows``) or columns are free."""
    mask = torch.zeros(shape, dtype=torch.bool)
    if rows:
        mask[:r] = True
    else:
        mask[:, :r] = True
    return mask


def _rank_rrr(q):
    m, n_out, h, r = q["m"], q["n"], q["h"], q["r"]
    ok = r == min(m, n_out, h)
    return RankProblem(
        fn=lambda params, x: x.to(_first_dtype(params)) @ params["A"].T @ params["B"].T,
        param_shapes={"A": (h, m), "B": (n_out, h)},
        inputs=_identity_inputs(m),
        degree=2,
        gives_lambda=ok,
        reason=(
            "r = min(m, n, h): near w* the map (A, B) ↦ BA is a submersion onto the rank-r "
            "matrices (a smooth manifold of dimension r(m+n−r)), so λ = rank/2"
            if ok
            else "r < min(m, n, h): w* is a singular point of the fibre (unused hidden units), "
            "λ (Aoyagi & Watanabe 2005) exceeds r(m+n−r)/2 and is not half a Jacobian rank"
        ),
        true_point="support",
        inputs_determine=True,
        true_point_argument=(
            "w* has full-rank factors on the support (balanced, singular values in "
            "TRUE_SINGULAR_RANGE), not a continuous draw on it; the maps (A, B) ↦ (G A Q, P B "
            "G⁻¹), G ∈ GL(r) on the used units, P, Q invertible change the point, not rank J, and "
            "act transitively on the support's points whose blocks of A and B have full rank r, "
            "so rank J(w*) equals the stratum's generic rank"
        ),
        true_support={"A": _unit_support((h, m), r, rows=True),
                      "B": _unit_support((n_out, h), r, rows=False)},
    )


_make_family(
    "reduced_rank_regression",
    "y = B A x + N(0, I_n), x ~ N(0, I_m), A: h×m, B: n×h, true product of rank r",
    (
        ParamSpec("m", int, 1, None, 5, "input dimension"),
        ParamSpec("n", int, 1, None, 5, "output dimension"),
        ParamSpec("h", int, 1, None, 3, "hidden width"),
        ParamSpec("r", int, 0, None, 0, "rank of the true product B A"),
        _NOISE,
    ),
    _build_rrr,
    formula=formulas.reduced_rank_regression,
    rank_impl=_rank_rrr,
    check=_check_rrr,
    source="Aoyagi & Watanabe 2005, Neural Networks 18(7):924-933",
    differences=lambda q: _noise_difference(q["noise"]),
)


# ----------------------------------------------------------------------------- DLN


def _check_dln(q, where):
    w = q["widths"]
    if len(w) < 2:
        raise ValueError(f"{where}: widths must have at least 2 entries, got {list(w)}")
    if min(w) < 1:
        raise ValueError(f"{where}: every entry of widths must be >= 1, got {list(w)}")
    if q["r"] > min(w):
        raise ValueError(f"{where}: r must be <= min(widths) = {min(w)}, got {q['r']}")


def _dln_true(widths: tuple[int, ...], r: int, g: torch.Generator) -> list[Tensor]:
    L = len(widths) - 1
    if L == 1:
        A, B = _rank_r_factors(widths[1], widths[0], r, r, g)
        return [B @ A]
    shapes = [(widths[ell + 1], widths[ell]) for ell in range(L)]
    if r == 0:
        return [torch.zeros(shape, dtype=torch.float64) for shape in shapes]
    product = torch.eye(widths[0], dtype=torch.float64)
    for ell, (b, a) in enumerate(shapes):
        rows = b if ell == L - 1 else r
        cols = a if ell == 0 else r
        W = torch.zeros(b, a, dtype=torch.float64)
        W[:rows, :cols] = randn(rows, cols, generator=g, std=1 / math.sqrt(cols))
        product = W @ product
    return _balanced_layers(product, r, shapes)


def _build_dln(q, n, g, device, dtype):
    widths, r = q["widths"], q["r"]
    Ws = _dln_true(widths, r, g)
    model = _set(
        DeepLinearNetwork(widths, dtype=dtype), **{f"weights.{i}": W for i, W in enumerate(Ws)}
    )
    x = randn(n, widths[0], generator=g)
    f = x
    for W in Ws:
        f = f @ W.T
    y = _regression_targets(f, q["noise"], g)
    return Problem(
        model, (x, y), "gaussian",
        note="w*: balanced layers of a rank-r product with random singular vectors and "
        "singular values 1 … ½ (TRUE_SINGULAR_RANGE): first layer r×H_1, middle r×r, last "
        "H_{L+1}×r blocks, all other entries zero; x ~ N(0, I)",
        symmetry=tuple(f"weights.{i}" for i in range(len(Ws))) if len(Ws) > 1 else None,
    )


def _dln_fn(params: Mapping[str, Tensor], x: Tensor) -> Tensor:
    out = x.to(_first_dtype(params))
    for i in range(len(params)):
        out = out @ params[f"weights.{i}"].T
    return out


def _dln_support(widths: tuple[int, ...], r: int) -> dict[str, Tensor]:
    """Where ``_dln_true`` draws nonzero entries (the others are exactly zero)."""
    L = len(widths) - 1
    out = {}
    for ell in range(L):
        a, b = widths[ell], widths[ell + 1]
        mask = torch.zeros(b, a, dtype=torch.bool)
        if L == 1:
            mask[:] = r > 0  # one layer: w* = B A, a generic matrix of rank r
        elif r > 0:
            mask[: b if ell == L - 1 else r, : a if ell == 0 else r] = True
        out[f"weights.{ell}"] = mask
    return out


def _rank_dln(q):
    widths, r = q["widths"], q["r"]
    one_layer = len(widths) == 2
    ok = r == min(widths) or one_layer
    return RankProblem(
        fn=_dln_fn,
        param_shapes={f"weights.{i}": (b, a) for i, (a, b) in enumerate(zip(widths[:-1],
                                                                          widths[1:],
                                                                          strict=True))},
        inputs=_identity_inputs(widths[0]),
        degree=len(widths) - 1,
        gives_lambda=ok,
        reason=(
            "one layer: W ↦ W x is linear and injective (the inputs are the identity), so the "
            "model is regular and λ = d/2 = rank/2 at every r"
            if one_layer
            else "r = min(widths): the product map is a submersion onto the rank-r matrices near "
            "w*, so λ = r(H_1 + H_{L+1} − r)/2 = rank/2 (Aoyagi 2024, core term vanishes)"
            if ok
            else "r < min(widths): Aoyagi's λ has a positive core term beyond the rank-r "
            "manifold's dimension; the Jacobian rank does not determine it"
        ),
        # one layer (degree 1): the Jacobian is constant, the mask does not matter
        true_point="support",
        inputs_determine=True,
        true_point_argument=(
            "w* has full-rank blocks on the support (balanced, the product's singular values in "
            "TRUE_SINGULAR_RANGE, diagonal middle blocks), not a continuous draw on it; the maps "
            "W_l ↦ G_l W_l G_{l−1}⁻¹ (G_l ∈ GL(r) on the used units of hidden layer l, invertible "
            "G_0 and G_L on the input and output) change the point, not rank J, and act "
            "transitively on the support's points whose blocks all have full rank r, so rank "
            "J(w*) equals the stratum's generic rank"
        ),
        true_support=_dln_support(widths, r),
    )


_make_family(
    "deep_linear_network",
    "y = W_L ⋯ W_1 x + N(0, I), widths = (input, hidden…, output), true product of rank r",
    (
        ParamSpec("widths", tuple, 1, None, (3, 4, 3), "layer widths, input first"),
        ParamSpec("r", int, 0, None, 0, "rank of the true product"),
        _NOISE,
    ),
    _build_dln,
    formula=formulas.deep_linear_network,
    rank_impl=_rank_dln,
    check=_check_dln,
    source="Aoyagi 2024, Neural Networks 172:106132, Thm 2",
    differences=lambda q: _noise_difference(q["noise"]),
)


# ----------------------------------------------------------------------------- normal crossing


def _check_nc(q, where):
    if len(q["powers"]) < 1 or not any(k > 0 for k in q["powers"]):
        raise ValueError(f"{where}: powers must contain an entry > 0, got {list(q['powers'])}")


def _build_nc(q, n, g, device, dtype):
    powers = q["powers"]
    x = randn(n, 1, generator=g)
    y = q["noise"] * randn(n, 1, generator=g)
    model = NormalCrossing(powers, dtype=dtype)
    return Problem(
        model, (x, y), "gaussian",
        note="f(x) = (Π w_j^{k_j}) x, x ~ N(0, 1), y = noise; population loss "
        "K(w) = ½ Π w_j^{2k_j}; w* = 0",
    )


def _rank_nc(q):
    powers = q["powers"]

    def fn(params, x):
        w = params["w"]
        mono = torch.ones((), dtype=w.dtype)
        for j, k in enumerate(powers):
            for _ in range(k):
                mono = mono * w[j]
        return mono * x.to(w.dtype)

    return RankProblem(
        fn=fn,
        param_shapes={"w": (len(powers),)},
        inputs=torch.ones(1, 1, dtype=torch.int64),
        degree=sum(powers),
        gives_lambda=False,
        reason="w* = 0 is a normal-crossing singularity: the Jacobian vanishes there and the "
        "generic rank 1 says nothing about λ = min_j 1/(2k_j)",
        true_params={"w": torch.zeros(len(powers), dtype=torch.int64)},
        true_point="exact",
        inputs_determine=True,
    )


_make_family(
    "normal_crossing",
    "f(x) = (Π_j w_j^{k_j})·x with x ~ N(0,1), y = noise: K(w) = ½ Π w_j^{2k_j}, w* = 0",
    (ParamSpec("powers", tuple, 0, None, (1, 2), "the exponents k_j"), _NOISE),
    _build_nc,
    formula=formulas.normal_crossing,
    rank_impl=_rank_nc,
    check=_check_nc,
    source="Watanabe 2009, Ch. 2 (monomial rule); uniform prior (prior_powers = None)",
    differences=lambda q: (
        "the source's K(w) = Π_j w_j^(2k_j) is realised as the population loss "
        "½ Π_j w_j^(2k_j) of the regression model f(x) = (Π_j w_j^k_j)·x with x ~ N(0, 1) and "
        f"y = {q['noise']:g}·N(0, 1) independent of x (same λ and multiplicity)",
    ),
)


# ----------------------------------------------------------------------------- tanh


def _build_tanh(q, n, g, device, dtype):
    x = uniform(n, 1, generator=g, low=-1.0, high=1.0)
    y = q["noise"] * randn(n, 1, generator=g)
    return Problem(
        TanhNetwork(q["h"], dtype=dtype), (x, y), "gaussian",
        note="f(x) = Σ a_j tanh(b_j x), true function 0, w* = 0 (a = b = 0); x ~ U[−1, 1]",
    )


_make_family(
    "tanh_network",
    "f(x) = Σ_{j≤h} a_j tanh(b_j x), no biases, true function 0, x ~ U[−1, 1]",
    (ParamSpec("h", int, 1, None, 3, "hidden width"), _NOISE),
    _build_tanh,
    formula=formulas.tanh_network,
    source="Aoyagi & Watanabe 2005, IEICE Trans. J88-D-II (via suswei/RLCT OneLayerTanh)",
    # x ~ U[−1, 1], true function 0 and N(0, 1) noise are the source experiment's own
    # (suswei/RLCT, OneLayerTanh.load_data with zeromean): no difference to record there
    differences=lambda q: _noise_difference(q["noise"]),
)


# ----------------------------------------------------------------------------- polynomial


def _build_poly(q, n, g, device, dtype):
    deg, a = q["degree"], q["interval"]
    coeffs = uniform(deg + 1, generator=g, low=-1.0, high=1.0)
    x = uniform(n, 1, generator=g, low=-a, high=a)
    y = _regression_targets(x.pow(torch.arange(deg + 1, dtype=x.dtype)) @ coeffs.unsqueeze(1),
                            q["noise"], g)
    model = _set(PolynomialRegression(deg, dtype=dtype), coeffs=coeffs)
    return Problem(
        model, (x, y), "gaussian",
        note=f"seed 000: true coefficients ~ U[−1, 1], x ~ U[−{a}, {a}]; w* = true coefficients",
    )


def _nodes_text(pts) -> str:
    """``−1, 0, 1`` (or ``−2, −1, …, 3``): the integer nodes of a Vandermonde matrix."""
    v = [int(x) for x in pts]
    shown = v if len(v) <= 4 else [v[0], v[1], "…", v[-1]]
    return ", ".join(str(x).replace("-", "−") for x in shown)


def _power_text(base: int, k: int) -> str:
    """``3⁵``: a power as printed (the reason had read "reach 3^5 in size", an outside
    review); ``1`` where the base is 1."""
    sup = str(k).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return "1" if base == 1 else f"{base}{sup}"


def _rank_poly(q):
    deg = q["degree"]
    pts = torch.arange(deg + 1, dtype=torch.int64) - deg // 2

    def fn(params, x):
        c = params["coeffs"]
        x = x.to(c.dtype).reshape(-1, 1)
        return (x.pow(torch.arange(deg + 1, dtype=c.dtype)) @ c).unsqueeze(-1)

    return RankProblem(
        fn=fn,
        param_shapes={"coeffs": (deg + 1,)},
        inputs=pts.reshape(-1, 1),
        degree=1,
        gives_lambda=True,
        reason="linear in the coefficients and injective on any interval (a polynomial vanishing "
        "on an interval is 0): regular, λ = (degree + 1)/2 = rank/2 whatever the interval; "
        f"rank computed exactly at the integer nodes {_nodes_text(pts)} (Vandermonde entries "
        f"up to {_power_text(deg - deg // 2, deg)}); any {deg + 1} distinct nodes, those of "
        "any interval included, give the same rank",
        true_point="generic",
        inputs_determine=True,
    )


_make_family(
    "polynomial_regression",
    "seed 000's univariate polynomial regressor Σ_{i≤degree} a_i x^i, x ~ U[−interval, interval]",
    (
        ParamSpec("degree", int, 0, None, 5, "polynomial degree (degree + 1 coefficients)"),
        ParamSpec("interval", float, 1e-6, None, 1.0, "half-width of the input interval"),
        _NOISE,
    ),
    _build_poly,
    formula=formulas.polynomial_regression,
    rank_impl=_rank_poly,
    source="seed 000 (Lakkapragada 2025, arXiv:2512.00686), Q2 Exp. 1",
    differences=lambda q: (
        "w* = the true coefficients " + _w_star_where(q) + "; seed 000 trains a regressor "
        "from scratch 'until convergence' and estimates at the trained point",
        f"inputs x ~ U[−{q['interval']:g}, {q['interval']:g}] chosen here (seed 000 says only "
        "x_i ∈ X, an interval)",
        *(() if q["noise"] == 0 else (
            f"targets carry N(0, {q['noise']:g}²) noise; seed 000's data are 'realizable by some "
            "polynomial regressor' (no noise stated)",)),
    ),
    source_n=500,
)


# ----------------------------------------------------------------------------- low-rank W2W1


def _w_star_where(q) -> str:
    """Where the verifier samples a family with a true point (its ``W_STAR_RULE``)."""
    if q["noise"] == 0:
        return "(on noise-free data an exact minimiser of L_n)"
    return ("(on noisy data the verifier samples at this true point with the symmetrised "
            "estimand, not at the empirical minimiser; a plain build(refine_steps=None) moves "
            "w* to the minimiser near it)")


def _check_le_d(q, where):
    if q["r"] > q["d"]:
        raise ValueError(f"{where}: r must be <= d = {q['d']}, got {q['r']}")


def _build_lowrank(q, n, g, device, dtype):
    d, r = q["d"], q["r"]
    W1, W2 = _rank_r_factors(d, d, r, r, g)
    x = randn(n, d, generator=g)
    y = _regression_targets(x @ W1.T @ W2.T, q["noise"], g)
    model = _set(LowRankLinear(d, r, dtype=dtype), W1=W1, W2=W2)
    return Problem(model, (x, y), "gaussian",
                   note="w* = balanced (W1, W2), product of rank r with random singular "
                   "vectors and singular values 1 … ½ (TRUE_SINGULAR_RANGE); x ~ N(0, I_d)")


def _rank_lowrank(q):
    d, r = q["d"], q["r"]
    return RankProblem(
        fn=lambda params, x: x.to(_first_dtype(params)) @ params["W1"].T @ params["W2"].T,
        param_shapes={"W1": (r, d), "W2": (d, r)},
        inputs=_identity_inputs(d),
        degree=2,
        gives_lambda=True,
        reason="hidden width = true rank r: (W1, W2) ↦ W2W1 is a submersion onto the rank-r "
        "matrices near w*, so λ = r(2d − r)/2 = rank/2 (Jacobian is d²×2dr)",
        true_point="generic",
        inputs_determine=True,
        true_point_argument=(
            "w* has full-rank factors (balanced, singular values in TRUE_SINGULAR_RANGE), not a "
            "continuous draw on the whole space; the maps (W1, W2) ↦ (G W1 Q, P W2 G⁻¹), G ∈ "
            "GL(r), P, Q ∈ GL(d) change the point, not rank J, and act transitively on the points "
            "whose factors have full rank r, so rank J(w*) equals the stratum's generic rank"
        ),
    )


_make_family(
    "low_rank_linear",
    "seed 000's f(x) = W2 W1 x, W1: r×d, W2: d×r, realizable rank-r target, x ~ N(0, I_d)",
    (
        ParamSpec("d", int, 1, None, 100, "input and output dimension"),
        ParamSpec("r", int, 1, None, 10, "inner dimension = rank of the true product"),
        _NOISE,
    ),
    _build_lowrank,
    formula=formulas.low_rank_manifold,
    formula_args=lambda q: {"m": q["d"], "n": q["d"], "r": q["r"]},
    rank_impl=_rank_lowrank,
    check=_check_le_d,
    source="seed 000 (arXiv:2512.00686), Q2 Exp. 2: λ_r = r(2d − r)/2",
    differences=lambda q: (
        "w* = a balanced rank-r factorisation (W1, W2) of the target " + _w_star_where(q)
        + "; seed 000 trains from scratch to convergence ('same methodology' as Exp. 1) and "
        "estimates at the trained point",
        "target's singular values 1 … ½ (TRUE_SINGULAR_RANGE) chosen here (seed 000 does not "
        "state how its rank-r target is drawn)",
        "inputs x ~ N(0, I_d) chosen here (seed 000 does not state its input distribution)",
        *(() if q["d"] == 100 else (
            f"d = {q['d']}; seed 000 fixes d = 100 ('We fix d := 100'), and its r(2d − r)/2 is "
            "stated for every d",)),
        *(() if q["noise"] == 0 else (
            f"targets carry N(0, {q['noise']:g}²) noise; seed 000's data are realizable "
            "(no noise stated)",)),
    ),
    source_n=500,
)


# ----------------------------------------------------------------------------- autoencoder


def _build_autoencoder(q, n, g, device, dtype):
    d, r = q["d"], q["r"]
    A = randn(d, r, generator=g, std=1 / math.sqrt(r))
    x = randn(n, r, generator=g) @ A.T
    model = ReLUAutoencoder(d, r, q["hidden"], generator=g, dtype=dtype).to(device)
    res = train(
        model, (x.to(device, dtype), x.to(device, dtype)), loss="gaussian", optimizer="adam",
        lr=q["lr"], steps=q["steps"], generator=g,
    )
    return Problem(
        model, (x, x), "gaussian",
        note=f"seed 000: x = A z, z ~ N(0, I_r); ReLU autoencoder trained with Adam "
        f"(lr {q['lr']}, {q['steps']} full-batch steps) on ½‖x − f(x)‖²; w* = trained weights",
        extras={"train_loss": res.final_train_loss, "steps": res.steps,
                "diverged": res.diverged},
    )


_make_family(
    "relu_autoencoder",
    "seed 000's ReLU autoencoder d → hidden → r → hidden → d on data x = A z of rank r (trained)",
    (
        ParamSpec("d", int, 1, None, 100, "data dimension"),
        ParamSpec("r", int, 1, None, 10, "bottleneck width = data rank"),
        ParamSpec("hidden", int, 1, None, 128, "hidden width of encoder and decoder"),
        ParamSpec("steps", int, 0, None, 1000, "Adam steps (full batch)"),
        ParamSpec("lr", float, 1e-8, None, 3e-3, "Adam learning rate"),
    ),
    _build_autoencoder,
    formula=None,
    check=_check_le_d,
    source="seed 000 (arXiv:2512.00686), Q2 Exp. 3 (no closed form)",
    trained=True,
    differences=lambda q: (
        f"training: full-batch Adam, lr {q['lr']:g}, {q['steps']} steps; seed 000 says only "
        "'trained with MSE' (optimiser, batch and length not stated)",
        "loss: ½‖x − f(x)‖² summed over the d outputs (Gaussian NLL); seed 000's 'MSE' may "
        "average over outputs, which rescales the loss (the sampler's temperature) by d",
        "mixing matrix A ~ N(0, 1/r) entries chosen here (seed 000: 'A ∈ R^{d×r}', law not "
        "stated)",
        "architecture: biases in every layer and a linear bottleneck chosen here (seed 000 "
        "states the widths d → 128 → r → 128 → d and ReLU, not these)",
        *(() if (q["d"], q["hidden"]) == (100, 128) else (
            f"sizes d = {q['d']}, hidden {q['hidden']}; seed 000's are d = 100, hidden 128",)),
    ),
)


# ----------------------------------------------------------------------------- quadratic

_SEED001 = "seed 001 (Cullen et al., arXiv 2603.01192), §3-4 and App. G"


def _quadratic_true(d, k, p, bias, g):
    vals = {"W": randn(d, k, generator=g, std=1 / math.sqrt(d)), "V": randn(p, k, generator=g)}
    if bias:
        vals["b"] = randn(k, generator=g)
        vals["c"] = randn(p, generator=g)
    return vals


def _quadratic_fn(params: Mapping[str, Tensor], x: Tensor) -> Tensor:
    z = x.to(params["W"].dtype) @ params["W"]
    if "b" in params:
        z = z + params["b"]
    out = z * z @ params["V"].T
    return out + params["c"] if "c" in params else out


_centred_fn = centred_outputs(_quadratic_fn)


QUADRATIC_LOSSES = ("centred", "mse")


def _quadratic_problem(q, vals, n, g, dtype, w_star: str, mse: str) -> Problem:
    """The quadratic network at the true point ``vals`` (a bias iff ``vals`` has ``b``), data
    x ~ N(0, I_d) with y = f_{w*}(x) + noise, and the loss ``q["loss"]`` names; ``w_star`` and
    ``mse`` are the note's words for w* and for the plain loss."""
    x = randn(n, q["d"], generator=g)
    y = _regression_targets(_quadratic_fn(vals, x), q["noise"], g)
    model = _set(QuadraticNetwork(q["d"], q["k"], q["p"], "b" in vals, dtype=dtype), **vals)
    centred = q["loss"] == "centred"
    return Problem(
        model, (x, y), centred_gaussian_nll if centred else "gaussian",
        note=f"{w_star}; x ~ N(0, I_d), y = f_{{w*}}(x) + noise; "
        + ("centred loss ½‖P⊥(Y − Ŷ)‖²/n (eq. 1)" if centred else mse),
    )


def _build_quadratic(q, n, g, device, dtype):
    vals = _quadratic_true(q["d"], q["k"], q["p"], q["bias"], g)
    return _quadratic_problem(
        q, vals, n, g, dtype,
        "seed 001: w* = generic W ~ N(0, 1/d), V ~ N(0, 1) (b, c ~ N(0, 1))",
        "plain squared error ½‖y − f(x)‖² per sample (App. G.1's 'MSE' read literally)")


def _quadratic_shapes(d, k, p, bias):
    shapes = {"W": (d, k), "V": (p, k)}
    if bias:
        shapes.update(b=(k,), c=(p,))
    return shapes


def _quadratic_map(d: int, k: int, p: int, bias: bool, centred: bool) -> dict[str, Any]:
    """The quadratic network's parameter-to-outputs map on a unisolvent set for quadratics
    (degree 3 in the parameters), modulo constants under the centred loss: the arguments
    of its :class:`RankProblem` that every quadratic family shares."""
    return {"fn": _centred_fn if centred else _quadratic_fn,
            "param_shapes": _quadratic_shapes(d, k, p, bias),
            "inputs": quadratic_unisolvent_inputs(d), "degree": 3}


def _rank_quadratic(q):
    d, k, p, bias = q["d"], q["k"], q["p"], q["bias"]
    centred = q["loss"] == "centred"
    seen = (
        "reading 'centred' (seed 001 eq. 1, ½‖P⊥(Y − Ŷ)‖²/n): the map θ ↦ (f(x_i) − f(x_0))_i, "
        "outputs modulo constants as the centred loss sees them"
        if centred else
        "reading 'mse' (plain ½‖y − f(x)‖², App. G.1's 'MSE' read literally): the map "
        "θ ↦ (f(x_i))_i of the plain outputs, output constant c included"
    )
    return RankProblem(
        **_quadratic_map(d, k, p, bias, centred),
        gives_lambda=True,
        reason=f"{seen}, on a unisolvent set for quadratics; at a generic point the rank is "
        "locally constant (the generic rank is the maximum), so the zeros near w* form a "
        "manifold across which the loss is Morse–Bott: λ = rank/2 of that map (constant-rank "
        "theorem; seed 001 Thm F.1 states the same)",
        true_point="generic",
        inputs_determine=True,
    )


def _diff_quadratic(q):
    out: list[str] = []
    if q["loss"] == "centred" and q["bias"]:
        out.append("loss: centred ½‖P⊥(Y − Ŷ)‖²/n (seed 001 eq. 1); App. G.1 states its "
                   "bias results for 'MSE' without centring, and under the centred loss the "
                   + ("output constant c is a flat direction (Jacobian rank one lower)"
                      if q["p"] == 1 else f"output constant c ∈ ℝ^{q['p']} is {q['p']} flat "
                      f"directions (Jacobian rank {q['p']} lower)"))
    elif q["loss"] == "mse":
        out.append("loss: plain squared error ½‖y − f(x)‖² per sample (App. G.1's 'MSE' read "
                   "literally); seed 001 §3 eq. 1 trains with the centred ½‖P⊥(Y − Ŷ)‖²/n")
    if q["bias"] and q["p"] != 1:
        out.append(f"architecture: biases with p = {q['p']} outputs; seed 001 states results "
                   "with biases only for p = 1 (App. G.1)")
    out.append("data: x ~ N(0, I_d), y = f_w*(x) + noise with a generic w* (W ~ N(0, 1/d), "
               "V ~ N(0, 1)); seed 001 names no input distribution for §4/App. G (Watanabe's "
               "2009 Thm 7.1 assumptions)")
    out.extend(_noise_difference(q["noise"], "seed 001's regression model"))
    return tuple(out)


_make_family(
    "quadratic_network",
    "seed 001's f(x) = V (Wᵀx + b)² + c (σ = z²), d inputs, k hidden, p outputs; centred loss",
    (
        ParamSpec("d", int, 1, None, 3, "input dimension"),
        ParamSpec("k", int, 1, None, 2, "hidden width K"),
        ParamSpec("p", int, 1, None, 1, "output dimension"),
        ParamSpec("bias", bool, None, None, False, "hidden biases b and output bias c"),
        _NOISE,
        ParamSpec("loss", str, None, None, "centred",
                  "'centred': seed 001 eq. 1, ½‖P⊥(Y − Ŷ)‖²/n; 'mse': plain ½‖y − f(x)‖² per "
                  "sample (App. G.1's 'MSE' read literally, constant c seen)",
                  choices=QUADRATIC_LOSSES),
    ),
    _build_quadratic,
    formula=formulas.quadratic_network,
    rank_impl=_rank_quadratic,
    source=_SEED001,
    differences=_diff_quadratic,
    hypotheses=quadratic_hypotheses,
    orbit=quadratic_orbit,
    # with biases the two losses differ by the output constant c (rank p lower centred), and
    # App. G.1's "MSE" admits both: the loss is a reading a claim must choose
    readings=lambda q: ("loss",) if q["bias"] else (),
)


# ----------------------------------------------------------------------------- Stage II


def _check_stage_two(q, where):
    if q["k_eff"] > q["k"]:
        raise ValueError(f"{where}: k_eff must be <= k (the active units are among the k), "
                         f"got k_eff = {q['k_eff']}, k = {q['k']}")


def _stage_two_true(q, g):
    """Generic W (every unit) and V, whose columns past the first k_eff are zero: units
    k_eff … k − 1 are inactive in the sense of seed 001's eq. 5 (output rows v_k = 0), their
    input weights w_k generic (eq. 5 constrains v_k only)."""
    vals = _quadratic_true(q["d"], q["k"], q["p"], False, g)
    vals["V"][:, q["k_eff"]:] = 0.0
    return vals


def _build_stage_two(q, n, g, device, dtype):
    return _quadratic_problem(
        q, _stage_two_true(q, g), n, g, dtype,
        f"seed 001 Thm 5.5: w* = generic W ~ N(0, 1/d), V ~ N(0, 1) with v_k = 0 for the "
        f"{q['k'] - q['k_eff']} inactive units (eq. 5) and their w_k generic",
        "plain squared error ½‖y − f(x)‖² per sample")


def _rank_stage_two(q):
    d, k, p, k_eff = q["d"], q["k"], q["p"], q["k_eff"]
    centred = q["loss"] == "centred"
    v_support = torch.zeros(p, k, dtype=torch.bool)
    v_support[:, :k_eff] = True
    return RankProblem(
        **_quadratic_map(d, k, p, False, centred),
        gives_lambda=False,
        reason="the map θ ↦ outputs on a unisolvent set for quadratics"
        + (" modulo constants (the centred loss)" if centred else "")
        + f"; w* is generic where v_k ≠ 0 for the {k_eff} active units and v_k = 0 for the "
        f"{k - k_eff} inactive ones (w_k generic), a special point of lower rank than the "
        "generic one, so its rank bounds λ from below only (splitting lemma), never fixes it",
        true_point="support",
        true_support={"W": torch.ones(d, k, dtype=torch.bool), "V": v_support},
        inputs_determine=True,
    )


def _diff_stage_two(q):
    out = [
        "w*: constructed, not trained: Thm 5.5 speaks of a 'Stage-II feature solution' (§5.2, "
        "a generalising solution reached by training); here w* is a zero of the loss with "
        "exactly k_eff units active in the sense of eq. 5 and v_k = 0 for the other k − k_eff, "
        "whose input weights w_k are generic (eq. 5 constrains v_k only; with weight decay a "
        "trained inactive unit also shrinks w_k)",
        "data: x ~ N(0, I_d), y = f_w*(x) + noise (Thm 4.2's generic-input setting, which "
        "Thm 5.5's non-degeneracy conditions refer to); seed 001 states Thm 5.5 for modular "
        "addition's one-hot pairs in particular",
    ]
    if q["loss"] == "mse":
        out.append("loss: plain squared error ½‖y − f(x)‖² per sample; seed 001 §3 eq. 1 "
                   "trains with the centred ½‖P⊥(Y − Ŷ)‖²/n")
    out.extend(_noise_difference(q["noise"], "seed 001's regression model"))
    return tuple(out)


_make_family(
    "quadratic_stage_two",
    "seed 001's quadratic network f(x) = V (Wᵀx)² (d inputs, k hidden, p outputs) at a zero "
    "of the loss with k_eff active units (eq. 5) and k − k_eff inactive ones (v_k = 0)",
    (
        ParamSpec("d", int, 1, None, 3, "input dimension"),
        ParamSpec("k", int, 1, None, 3, "hidden width K"),
        ParamSpec("k_eff", int, 0, None, 2, "active units K_eff (eq. 5): v_k ≠ 0 for the "
                  "first k_eff units, v_k = 0 (w_k generic) for the rest"),
        ParamSpec("p", int, 1, None, 2, "output dimension"),
        _NOISE,
        ParamSpec("loss", str, None, None, "centred",
                  "'centred': seed 001 eq. 1, ½‖P⊥(Y − Ŷ)‖²/n; 'mse': plain ½‖y − f(x)‖²",
                  choices=QUADRATIC_LOSSES),
    ),
    _build_stage_two,
    formula=formulas.quadratic_stage_two,
    formula_args=lambda q: {"d": q["d"], "p": q["p"], "k_eff": q["k_eff"]},
    check=_check_stage_two,
    rank_impl=_rank_stage_two,
    source="seed 001 (Cullen et al., arXiv 2603.01192), §5.2 Thm 5.5 (eq. 5-6)",
    differences=_diff_stage_two,
    hypotheses=stage_two_hypotheses,
)


# ----------------------------------------------------------------------------- modular addition


def _check_modular(q, where):
    n_train = round(q["train_frac"] * q["p"] ** 2)
    if n_train < 1:
        raise ValueError(
            f"{where}: train_frac must leave at least one training pair "
            f"(train_frac·p² = {q['train_frac'] * q['p'] ** 2:g})"
        )


def _build_modular(q, n, g, device, dtype):
    p, k = q["p"], q["k"]
    x, y = modular_addition_data(p)
    perm = torch.randperm(p * p, generator=g)
    n_train = round(q["train_frac"] * p * p)
    tr, va = perm[:n_train], perm[n_train:]
    model = QuadraticNetwork(2 * p, k, p, dtype=dtype)
    _set(model, W=randn(2 * p, k, generator=g, std=1 / math.sqrt(2 * p)),
         V=randn(p, k, generator=g, std=1 / math.sqrt(k)))
    model.to(device)
    val = (x[va], y[va]) if len(va) else None
    res = train(
        model, (x[tr].to(device, dtype), y[tr].to(device, dtype)), loss=centred_gaussian_nll,
        optimizer="adam", lr=q["lr"], weight_decay=q["weight_decay"], steps=q["steps"],
        generator=g,
        val_data=None if val is None else (val[0].to(device, dtype), val[1].to(device, dtype)),
        accuracy=centred_argmax_accuracy,
    )
    last = res.checkpoints[-1] if res.checkpoints else None
    with torch.no_grad():  # the output offset left free by the centred loss, fitted on train
        xt, yt = x[tr].to(device, dtype), y[tr].to(device, dtype)
        shift = (yt - model(xt)).mean(dim=0)
        train_acc = argmax_accuracy(model(xt) + shift, yt)
        val_acc = (
            None if val is None
            else argmax_accuracy(model(val[0].to(device, dtype)) + shift, val[1].to(device))
        )
    W_, V_ = model.W.detach().cpu().double(), model.V.detach().cpu().double()
    eff = effective_width(W_, V_)
    stage, stage_text = stage_two(train_acc, val_acc)
    extras = {
        "train_loss": res.final_train_loss, "steps": res.steps, "diverged": res.diverged,
        "train_acc": train_acc, "val_acc": val_acc,
        "val_loss": None if last is None else last.val_loss,
        "k_eff": eff["k_eff"], "k_eff_invariant": eff["k_eff_invariant"],
        "k_eff_threshold": eff["threshold"], "k_eff_gap": eff["gap"],
        "unit_v_norms": eff["v_norms"],
        "k_eff_measured": (
            f"K_eff = {eff['k_eff']} of {k}: units with ‖v_k‖ > {eff['threshold']:g}·max_j ‖v_j‖ "
            f"(seed 001 eq. 5, threshold ours); {eff['k_eff_invariant']} by the rescaling-"
            f"invariant ‖v_k‖·‖w_k‖²; gap at the cut {eff['gap']:.3g}"),
        "stage_two": stage, "stage_two_measured": stage_text,
        **train_rank(x[tr], k, p),
    }
    return Problem(
        model, (x[tr], y[tr]), centred_gaussian_nll, val_data=val,
        note=f"seed 001: one-hot pairs, random {n_train} of {p * p} pairs for training (n is "
        f"ignored: n = {n_train}); trained with Adam (lr {q['lr']}, weight decay "
        f"{q['weight_decay']}, {q['steps']} full-batch steps) on the centred loss; "
        "w* = trained weights",
        extras=extras,
    )


def _rank_modular(q):
    p, k = q["p"], q["k"]
    x, _ = modular_addition_data(p)
    return RankProblem(
        fn=_centred_fn,
        param_shapes=_quadratic_shapes(2 * p, k, p, False),
        inputs=x.to(torch.int64),
        degree=3,
        gives_lambda=False,
        reason="w* is a trained point on one-hot data, not a generic point; seed 001 Thm 5.5 "
        "holds only under its hypotheses (Family.hypotheses: Stage II, eq.-5 effective width, "
        "non-degenerate active subnetwork), so the generic rank (on all p² pairs; "
        "rank_problem(params, inputs=problem.data[0]) for the training pairs the empirical "
        "loss sees) is 2λ at a generic point, which a trained w* is not: at w* it bounds "
        "nothing (over ℝ, λ at a special point can exceed generic rank/2)",
        true_point="trained",
    )


def _diff_modular(q):
    out = [
        f"training: full-batch Adam (lr {q['lr']:g}, coupled weight decay "
        f"{q['weight_decay']:g}) for {q['steps']} steps; seed 001's Fig. 3 uses minibatches of 128 "
        "(its caption: lr 1e-4, weight decay 1e-4, hidden width 1024, p = 53; App. H.1's "
        "numbers are lost in the text)",
        "init: W ~ N(0, 1/(2p)), V ~ N(0, 1/K) from the build's generator (chosen here; seed "
        "001's text does not state its initialisation)",
    ]
    if q["p"] != 53 or q["k"] != 1024:
        out.append(f"size: p = {q['p']}, K = {q['k']}; seed 001's Fig. 3 uses p = 53, K = 1024 "
                   "(Figs 1-2 sweep p and K)")
    if q["train_frac"] != 0.4:
        out.append(f"train_frac = {q['train_frac']:g}; seed 001 trains on 40 % of the pairs")
    return tuple(out)


_make_family(
    "modular_addition",
    "seed 001's quadratic network (d = 2p, k hidden, p outputs) trained on a + b mod p",
    (
        ParamSpec("p", int, 2, None, 7, "modulus (output dimension; input 2p)"),
        ParamSpec("k", int, 1, None, 8, "hidden width K"),
        ParamSpec("train_frac", float, 0.0, 1.0, 0.4, "fraction of the p² pairs trained on"),
        ParamSpec("steps", int, 0, None, 2000, "Adam steps (full batch)"),
        ParamSpec("lr", float, 1e-8, None, 1e-2, "Adam learning rate"),
        ParamSpec("weight_decay", float, 0.0, None, 0.0, "Adam weight decay"),
    ),
    _build_modular,
    formula=formulas.modular_addition,
    rank_impl=_rank_modular,
    check=_check_modular,
    source=_SEED001 + ", §5-6 (Thm 5.5, Figs 1-3)",
    trained=True,
    differences=_diff_modular,
    hypotheses=modular_addition_hypotheses,
    orbit=modular_orbit,
)


# ----------------------------------------------------------------------------- seed 003 toys

_SEED003 = "seed 003 (Tóth-Czifra 2026, 'Singular Learning Theory: AI learns like ice melts')"


def _build_line(q, n, g, device, dtype):
    x, y = line_data(n, q["noise"], g)
    model = Dense(1, 1, generator=g, dtype=dtype)
    _set(model, weight=torch.tensor([[3.0]]), bias=torch.tensor([2.0]))
    return Problem(model, (x, y), "gaussian",
                   note="seed 003: x = linspace(−1, 1, n), y = 3x + 2; w* = (w, b) = (3, 2)")


def _rank_line(q):
    return RankProblem(
        fn=lambda params, x: x.to(params["weight"].dtype) @ params["weight"].T + params["bias"],
        param_shapes={"weight": (1, 1), "bias": (1,)},
        inputs=torch.tensor([[0], [1]], dtype=torch.int64),
        degree=1,
        gives_lambda=True,
        reason="regular: (w, b) ↦ wx + b is linear and injective, so K is a positive-definite "
        "quadratic form and ∫ exp(−nK) ∝ n^(−1) exactly (a Gaussian integral): λ = 2/2 = 1",
        true_params={"weight": torch.tensor([[3]]), "bias": torch.tensor([2])},
        true_point="exact",
        inputs_determine=True,
    )


_make_family(
    "linear_regression_toy",
    "seed 003's warm-up: f(x) = w x + b on y = 3x + 2, x = linspace(−1, 1, n)",
    (ParamSpec("noise", float, 0.0, None, 0.0, "standard deviation of added target noise"),),
    _build_line,
    formula=formulas.regular,
    formula_args=lambda q: {"d": 2},
    rank_impl=_rank_line,
    source=_SEED003,
    default_n=100,
    differences=lambda q: (
        "w* = the exact minimiser (w, b) = (3, 2); seed 003 trains nn.Linear(1, 1) 'for some "
        "steps' and estimates from the trained weights",
        *(() if q["noise"] == 0 else (
            f"targets carry N(0, {q['noise']:g}²) noise; seed 003's y = 3x + 2 is noise-free",)),
    ),
    source_n=100,
)


def _build_sine(q, n, g, device, dtype):
    x, y = sine_data(n)
    model = TinyTanhMLP(generator=g, dtype=dtype).to(device)
    res = train(model, (x.to(device, dtype), y.to(device, dtype)), loss="gaussian",
                optimizer="sgd", lr=q["lr"], steps=q["steps"], generator=g)
    return Problem(
        model, (x, y), "gaussian",
        note=f"seed 003: one tanh neuron on y = sin(3x) + 0.3x, x = linspace(−2, 2, n); trained "
        f"with plain SGD as the seed (lr {q['lr']}, {q['steps']} full-batch steps) from a "
        "generator-drawn init; w* is where training stops, which need not be a critical point "
        "(at the defaults, seed 0: w1 ≈ 2.3, |∇L_n| ≈ 0.01, while L-BFGS from there reaches a "
        "non-degenerate minimum at w1 ≈ 17, Hessian eigenvalues 4.7e-6 … 1, where λ = d/2 = 2; "
        "the loss rises again towards the step function |w1| → ∞)",
        extras={"train_loss": res.final_train_loss, "steps": res.steps,
                "diverged": res.diverged},
    )


_make_family(
    "tanh_sine_toy",
    "seed 003's w2 tanh(w1 x + b1) + b2 trained on y = sin(3x) + 0.3x (no closed form)",
    (
        ParamSpec("steps", int, 0, None, 1000, "SGD steps (full batch)"),
        ParamSpec("lr", float, 1e-8, None, 0.1, "SGD learning rate"),
    ),
    _build_sine,
    formula=None,
    source=_SEED003,
    default_n=100,
    trained=True,
    differences=lambda q: (
        f"training: plain full-batch SGD, lr {q['lr']:g}, {q['steps']} steps from an init drawn "
        "from the build's generator (PyTorch's default law); seed 003's learning rate, step "
        "count, n and seed are not restated here",
    ),
)


def _check_parity(q, where):
    if q["k"] > q["n_bits"]:
        raise ValueError(f"{where}: k must be <= n_bits = {q['n_bits']}, got {q['k']}")


def _build_parity(q, n, g, device, dtype):
    x, y = parity_data(n, q["n_bits"], q["k"], g)
    vx, vy = parity_data(q["n_val"], q["n_bits"], q["k"], g)
    model = ParityMLP(q["n_bits"], q["width"], generator=g, dtype=dtype).to(device)
    res = train(
        model, (x.to(device, dtype), y.to(device, dtype)), loss=binary_cross_entropy_nll,
        optimizer="adamw", lr=q["lr"], weight_decay=q["weight_decay"], steps=q["steps"],
        batch_size=None if q["batch_size"] == 0 else min(q["batch_size"], n), generator=g,
        val_data=(vx.to(device, dtype), vy.to(device, dtype)), accuracy=binary_accuracy,
    )
    last = res.checkpoints[-1]
    return Problem(
        model, (x, y), binary_cross_entropy_nll, val_data=(vx, vy),
        note=f"seed 003: parity of the first {q['k']} of {q['n_bits']} ±1 bits; "
        f"{q['n_bits']}→{q['width']}→{q['width']}→1 ReLU trained with AdamW (lr {q['lr']}, "
        f"weight decay {q['weight_decay']}, {q['steps']} steps) on the Bernoulli NLL of one "
        "logit (the seed does not name its loss); w* = trained weights",
        extras={"train_loss": res.final_train_loss, "steps": res.steps, "diverged": res.diverged,
                "train_acc": last.train_acc, "val_acc": last.val_acc, "val_loss": last.val_loss},
    )


_make_family(
    "parity_mlp",
    "seed 003's n_bits → width → width → 1 ReLU MLP trained on k-bit parity with AdamW",
    (
        ParamSpec("n_bits", int, 1, None, 30, "input bits"),
        ParamSpec("k", int, 1, None, 3, "parity of the first k bits"),
        ParamSpec("width", int, 1, None, 256, "hidden width"),
        ParamSpec("steps", int, 0, None, 300, "AdamW steps"),
        ParamSpec("lr", float, 1e-8, None, 1e-3, "AdamW learning rate"),
        ParamSpec("weight_decay", float, 0.0, None, 5e-2, "AdamW weight decay"),
        ParamSpec("batch_size", int, 0, None, 0, "minibatch size (0: full batch)"),
        ParamSpec("n_val", int, 1, None, 1000, "size of the held-out set"),
    ),
    _build_parity,
    formula=None,
    check=_check_parity,
    source=_SEED003,
    default_n=1000,
    trained=True,
    differences=lambda q: (
        "labels: parity of the number of +1 bits among the first k (x > 0); seed 003 counts −1 "
        "bits (X < 0), so for odd k the labels are complemented (the same task up to relabelling)",
        "loss: Bernoulli NLL of one logit (BCE with logits); seed 003 does not name its loss",
        *(() if q["steps"] >= 7500 else (
            f"training length: {q['steps']} AdamW steps; in seed 003 the LLC stays flat until "
            "about step 7,500, where the network groks",)),
        ("batch: full batch" if q["batch_size"] == 0 else f"batch: {q['batch_size']}")
        + "; seed 003 does not state its batch size",
    ),
    source_n=1000,
)
