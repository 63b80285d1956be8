"""Shared pieces of the experiments: LLC settings, a stored training trajectory, LLC stages.

A trajectory is stage ``train`` (the loss/accuracy series at every checkpoint, with the model
states that later stages need packed as ``.npz`` bytes); each LLC is stage ``llc@<step>``.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from slttheory.experiments.base import RunContext, Setting, pack_state, unpack_state

INIT_SEED_OFFSET = 104_729
"""A run with seed ``s`` draws its data from ``s`` and its initialisation from
``s + INIT_SEED_OFFSET``. Runs take the seeds ``seed + j`` (``j`` below the verifier's 100 000
runs of a plan), so no run's initialisation shares a stream with another run's data, as
``s + 1`` had in the parity experiment: run r's initial weights and run r + 1's training set
came from one generator state, and runs assumed independent were not."""

LLC_SETTINGS: tuple[Setting, ...] = (
    Setting("llc_chains", int, 2, 1, 256, doc="SGLD chains per LLC estimate"),
    Setting("llc_draws", int, 300, 0, None,
            doc="kept draws per chain (0: estimate_llc's adaptive length, which runs until "
                "its Monte-Carlo target, R-hat, stationarity and ESS hold; llc_burn_in is "
                "then ignored: the burn-in is the first quarter of the steps)"),
    Setting("llc_burn_in", int, 100, 0, None, doc="burn-in steps per chain"),
    Setting("llc_step_size", float, 0.0, 0.0, None, doc="SGLD step ε (0: calibrated)"),
    Setting("llc_localization", float, 0.0, 0.0, None, doc="γ (0: estimate_llc's default)"),
    Setting("llc_nbeta", float, 0.0, 0.0, None, doc="nβ (0: n/log n)"),
    Setting("llc_sampler", str, "sgld", choices=("sgld", "rmsprop_sgld", "mala", "auto"),
            doc="'auto': estimate_llc's default (MALA at full batch, SGLD with minibatches)"),
    Setting("llc_batch_size", int, 0, 0, None, doc="SGLD minibatch (0: estimate_llc's default)"),
    Setting("llc_method", str, "single", choices=("single", "extrapolate"),
            doc="'single': the seeds' estimator, nβ(E[L_n] − L_n(w*)) at one temperature "
                "(Lau et al., arXiv:2308.12108, eq. 8); 'extrapolate': estimate_llc's default, "
                "a scan of temperatures extrapolated to λ"),
)
"""LLC settings shared by every experiment (passed to :func:`slttheory.sampling.estimate_llc`).

``llc_method`` defaults to ``"single"``: the experiments reproduce the seeds' own estimator
(devinterp's single-temperature estimate at the seed's nβ, ε, γ and length), whose output
is what their figures show; ``estimate_llc``'s default scans a decade of temperatures *below*
nβ and extrapolates to λ, another quantity (and at a seed's nβ = 2, a meaningless one)."""


def llc_settings(**defaults: Any) -> tuple[Setting, ...]:
    """:data:`LLC_SETTINGS` with other defaults (e.g. a seed's own sampler settings)."""
    from dataclasses import replace

    unknown = set(defaults) - {s.name for s in LLC_SETTINGS}
    if unknown:
        raise ValueError(f"defaults: unknown LLC setting(s) {sorted(unknown)}")
    return tuple(replace(s, default=defaults.get(s.name, s.default)) for s in LLC_SETTINGS)


def llc_kwargs(s: Mapping[str, Any], prefix: str = "llc_") -> dict[str, Any]:
    """``estimate_llc`` keyword arguments from the settings (0 → automatic; ``draws`` 0 →
    the adaptive length, with its own burn-in).

    >>> s = {"llc_chains": 4, "llc_draws": 0, "llc_burn_in": 100, "llc_step_size": 0.0,
    ...      "llc_localization": 0.0}
    >>> kw = llc_kwargs(s)
    >>> kw["draws"], kw["burn_in"], "step_size" in kw
    (None, None, False)
    """
    draws = s[prefix + "draws"]
    kw: dict[str, Any] = {
        "chains": s[prefix + "chains"],
        "draws": draws or None,
        "burn_in": s[prefix + "burn_in"] if draws else None,
        "sampler": s.get(prefix + "sampler", "sgld"),
        "method": s.get(prefix + "method", "single"),
    }
    if s[prefix + "step_size"] > 0:
        kw["step_size"] = s[prefix + "step_size"]
    if s[prefix + "localization"] > 0:
        kw["localization"] = s[prefix + "localization"]
    if s.get(prefix + "nbeta", 0.0) > 0:
        kw["nbeta"] = s[prefix + "nbeta"]
    if s.get(prefix + "batch_size", 0) > 0:
        kw["batch_size"] = s[prefix + "batch_size"]
    return kw


def clean(est: Mapping[str, Any] | None) -> bool:
    """The one gate: a stored LLC record counts iff its estimate passed its diagnostics
    (``passed``, from :attr:`slttheory.sampling.Diagnostics.passed`: no divergent chain, no
    failed check) and is finite. Records without ``passed`` (errors, old stores) do not count.

    >>> clean({"llc": 1.0, "passed": True}), clean({"llc": 1.0, "passed": False})
    (True, False)
    >>> clean({"llc": 1.0}), clean({"llc": None, "passed": True}), clean(None)
    (False, False, False)
    """
    return bool(est) and est.get("passed") is True and est.get("llc") is not None


def clean_llc(est: Mapping[str, Any] | None) -> float | None:
    """The LLC value of a record if it is :func:`clean`, else ``None``.

    >>> clean_llc({"llc": 2.5, "passed": True}), clean_llc({"llc": 2.5, "passed": False})
    (2.5, None)
    """
    return float(est["llc"]) if clean(est) else None


def gradient_norm(
    model: torch.nn.Module, data: tuple[torch.Tensor, torch.Tensor], loss: Any
) -> float:
    """‖∇L_n(w)‖₂ at the model's parameters, ``L_n`` the mean per-sample ``loss`` on ``data``
    (full batch): how far a checkpoint is from a critical point of the loss it is sampled on.

    >>> m = torch.nn.Linear(1, 1, bias=False)
    >>> with torch.no_grad():
    ...     _ = m.weight.fill_(1.0)
    >>> x = torch.ones(4, 1)
    >>> round(gradient_norm(m, (x, 3 * x), lambda o, t: 0.5 * ((o - t) ** 2).sum(-1)), 6)
    2.0
    """
    params = [q for q in model.parameters() if q.requires_grad]
    value = loss(model(data[0]), data[1]).mean()
    grads = torch.autograd.grad(value, params)
    return float(torch.sqrt(sum((g.detach().double() ** 2).sum() for g in grads)))


def failed_llc(error: str) -> dict[str, Any]:
    """An LLC record that counts nowhere (:func:`clean` is False), saying why.

    >>> clean(failed_llc("no stored state"))
    False
    """
    return {"llc": None, "std_error": None, "passed": False, "error": error}


def estimate(
    model: torch.nn.Module,
    data: tuple[torch.Tensor, torch.Tensor],
    loss: Any,
    kw: Mapping[str, Any],
    seed: int,
    device: str,
) -> dict[str, Any]:
    """One LLC estimate as a JSON-able dict (never raises: failures are recorded).

    ``passed`` is :attr:`slttheory.sampling.Diagnostics.passed` (False on an error): the one
    gate every statistic applies through :func:`clean`; ``warnings`` lists the failed checks.
    """
    from slttheory.sampling import estimate_llc

    kw = dict(kw)
    n = int(data[0].shape[0])
    nbeta = kw.pop("nbeta", None)
    if nbeta is not None:
        kw["beta"] = nbeta / n
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = estimate_llc(model, data, loss=loss, seed=seed, device=device, **kw)
    except Exception as e:  # noqa: BLE001 - one failed estimate never stops a sweep
        return {**failed_llc(f"{type(e).__name__}: {e}"),
                "elapsed_s": time.perf_counter() - t0}
    d = est.diagnostics
    return {
        "llc": est.llc if math.isfinite(est.llc) else None,
        "passed": bool(d.passed),
        "std_error": est.std_error if math.isfinite(est.std_error) else None,
        "init_loss": est.init_loss,
        "rhat": d.rhat if math.isfinite(d.rhat) else None,
        "ess": d.ess if math.isfinite(d.ess) else None,
        "divergent": bool(d.divergent),
        "warnings": list(d.warnings),
        "step_size": est.config.step_size,
        "nbeta": est.config.nbeta,
        "localization": est.config.localization,
        "method": est.method,
        "exact": bool(est.exact),  # k/2 by the Morse–Bott lemma, not sampled
        "elapsed_s": time.perf_counter() - t0,
    }


def trajectory(
    ctx: RunContext,
    make_model: Callable[[], torch.nn.Module],
    train_data: tuple[torch.Tensor, torch.Tensor],
    val_data: tuple[torch.Tensor, torch.Tensor] | None,
    *,
    loss: Any,
    accuracy: Any,
    optimizer: str,
    lr: float,
    weight_decay: float,
    steps: int,
    batch_size: int | None,
    checkpoints: Sequence[int],
    seed: int,
    keep: Callable[[dict[str, Any]], Sequence[int]] | None = None,
) -> tuple[dict[str, Any], dict[str, dict[str, torch.Tensor]]]:
    """Stage ``train``: the series at ``checkpoints`` and the states of the steps ``keep``
    picks from it (default: every checkpoint). Returns ``(series, states)``."""
    from slttheory.train import train

    def compute():
        model = make_model()
        res = train(
            model,
            train_data,
            loss=loss,
            optimizer=optimizer,
            lr=lr,
            weight_decay=weight_decay,
            steps=steps,
            batch_size=batch_size,
            generator=torch.Generator().manual_seed(seed + 7919),
            checkpoints=list(checkpoints),
            val_data=val_data,
            accuracy=accuracy,
            device=ctx.device,
        )
        cks = res.checkpoints
        series = {
            "step": [c.step for c in cks],
            "train_loss": [c.train_loss for c in cks],
            "val_loss": [c.val_loss for c in cks],
            "train_acc": [c.train_acc for c in cks],
            "val_acc": [c.val_acc for c in cks],
            "diverged": res.diverged,
            "elapsed_s": res.elapsed_s,
            "n_train": int(train_data[0].shape[0]),
        }
        wanted = set(keep(series) if keep is not None else series["step"])
        series["kept_steps"] = sorted(wanted)
        states = {str(c.step): c.state for c in cks if c.step in wanted}
        return series, pack_state(states)

    series, blob = ctx.stage("train", compute)
    states = unpack_state(blob) if blob else {}
    return series, states


def critical_point(
    model: torch.nn.Module, data: tuple[torch.Tensor, torch.Tensor], loss: Any
) -> dict[str, Any]:
    """How far the model's parameters are from a critical point of ``L_n``: ``grad_norm`` =
    ‖∇L_n‖ always; with ``slttheory.geometry.critical_point_check`` available (not in every
    version of this package) also its ``smallest_eigenvalues`` of the Hessian and
    ``is_local_min`` (30 Lanczos steps at most). Never raises.

    >>> m = torch.nn.Linear(1, 1, bias=False)
    >>> x = torch.ones(3, 1)
    >>> out = critical_point(m, (x, 0 * x), lambda o, t: 0.5 * ((o - t) ** 2).sum(-1))
    >>> out["grad_norm"] >= 0
    True
    """
    out: dict[str, Any] = {"grad_norm": gradient_norm(model, data, loss)}
    try:
        from slttheory.geometry import critical_point_check  # type: ignore[attr-defined]
    except ImportError:
        return out
    try:
        c = critical_point_check(model, data, loss, device="cpu", lanczos_steps=30)
        out.update(
            smallest_eigenvalues=[float(v) for v in c.smallest_eigenvalues],
            is_local_min=bool(c.is_local_min),
            critical_method=str(c.method),
        )
    except Exception as e:  # noqa: BLE001 - the gradient norm above is the fallback
        out["critical_point_error"] = f"{type(e).__name__}: {e}"
    return out


def llc_at(
    ctx: RunContext,
    step: int,
    state: Mapping[str, torch.Tensor] | None,
    make_model: Callable[[], torch.nn.Module],
    data: tuple[torch.Tensor, torch.Tensor],
    loss: Any,
    kw: Mapping[str, Any],
    seed: int,
    tag: str = "llc",
    note: str = "",
    reruns: bool = False,
) -> dict[str, Any]:
    """Stage ``<tag>@<step>``: the LLC of the checkpoint ``state``. A non-empty ``note`` (e.g.
    "cross-entropy has no minimum") is stored with the record together with how far the
    checkpoint is from a critical point (:func:`critical_point`: ``grad_norm`` = ‖∇L_n‖).
    ``reruns``: the estimate feeds a statement about λ, so it is also computed at
    ``ctx.reruns`` (:func:`rerun_stages`)."""

    def checkpoint() -> torch.nn.Module:
        model = make_model()
        model.load_state_dict(dict(state))
        return model

    def compute():
        if state is None:
            return failed_llc(f"no stored state at step {step}")
        model = checkpoint()
        out = estimate(model, data, loss, kw, seed, ctx.device)
        if note:
            out.update(critical_point(model, data, loss))
            out["note"] = note
        return out

    key = f"{tag}@{step}"
    v, _ = ctx.stage(key, compute)
    if not reruns or state is None:
        return v
    return rerun_stages(ctx, key, v, lambda changed: estimate(
        checkpoint(), data, loss, {**kw, **changed}, seed, ctx.device))


RERUNNABLE = ("localization", "step_size")
"""The ``estimate_llc`` settings a rerun may change (:func:`rerun_stages`)."""



def rerun_stages(ctx: RunContext, key: str, base: Mapping[str, Any],
                 compute_at: Callable[[Mapping[str, float]], dict[str, Any]]
                 ) -> dict[str, Any]:
    """The LLC record ``base`` (stage ``key``) with ``"reruns"``: for each ``(label, setting,
    factor)`` of ``ctx.reruns``, stage ``key|label`` = ``compute_at({setting: factor ×
    base[setting]})``, the same estimate with that one setting changed from the value the
    base estimate used (a calibrated step size halved, not the setting's 0 = automatic). A
    base without a finite positive value of the setting gets a failed rerun saying so.
    :func:`at_rerun` reads the records at one rerun.

    >>> from slttheory.experiments.base import RunContext
    >>> ctx = RunContext(reruns=(("ε / 2", "step_size", 0.5),))
    >>> out = rerun_stages(ctx, "llc@0", {"llc": 1.0, "passed": True, "step_size": 0.2},
    ...                    lambda c: {"llc": 1.0 + c["step_size"], "passed": True})
    >>> out["reruns"]["ε / 2"]["llc"], ctx.computed
    (1.1, 1)
    """
    if not ctx.reruns:
        return dict(base)
    out = dict(base)
    out["reruns"] = {}
    for label, setting, factor in ctx.reruns:
        if setting not in RERUNNABLE:
            raise ValueError(f"reruns: setting must be one of {RERUNNABLE}, got {setting!r}")
        value = base.get(setting)
        if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
            out["reruns"][label] = failed_llc(f"the base estimate has no {setting} to rerun at")
            continue
        changed = {setting: float(value) * factor}
        out["reruns"][label], _ = ctx.stage(f"{key}|{label}", lambda c=changed: compute_at(c))
    return out


def at_rerun(records: Any, label: str) -> Any:
    """``records`` with every LLC record replaced by its rerun ``label`` (a failed record where
    that rerun, or every rerun, is missing: a statistic on estimates never rerun must not pass
    the rerun rule by default), and ``"reruns"`` dropped everywhere else:
    the records an analysis would have seen had the estimator run at that setting.

    >>> rec = {"x": 1, "llc": {"llc": 2.0, "passed": True, "reruns": {"γ × 3": {"llc": 2.5}}}}
    >>> at_rerun([rec], "γ × 3")[0]["llc"], at_rerun([rec], "γ / 3")[0]["llc"]["passed"]
    ({'llc': 2.5}, False)
    >>> at_rerun([{"llc": {"llc": 2.0, "passed": True}}], "γ × 3")[0]["llc"]["passed"]
    False
    """
    if isinstance(records, Mapping):
        if "reruns" in records and isinstance(records["reruns"], Mapping):
            got = records["reruns"].get(label)
            return dict(got) if got is not None else failed_llc(f"no rerun at {label}")
        if "llc" in records and "passed" in records:  # an LLC never rerun: no value there
            return failed_llc(f"no rerun at {label} (this estimate was not rerun)")
        return {k: at_rerun(v, label) for k, v in records.items()}
    if isinstance(records, list | tuple):
        return type(records)(at_rerun(v, label) for v in records)
    return records


def first_index(values: Sequence[float | None], threshold: float, start: int = 0) -> int | None:
    """First index ``i >= start`` with ``values[i] >= threshold`` (None if never).

    >>> first_index([0.1, 0.5, 0.99, 1.0], 0.99)
    2
    """
    for i in range(start, len(values)):
        v = values[i]
        if v is not None and v >= threshold:
            return i
    return None


def linear_and_log_checkpoints(steps: int, count: int) -> list[int]:
    """About ``count`` distinct steps: half log-spaced, half linearly spaced, with 0 and
    ``steps``.

    >>> linear_and_log_checkpoints(100, 6)
    [0, 1, 33, 67, 100]
    """
    from slttheory.train import log_spaced_checkpoints

    half = max(2, count // 2)
    lin = [round(steps * i / half) for i in range(half + 1)]
    return sorted(set(log_spaced_checkpoints(steps, half)) | set(lin))
