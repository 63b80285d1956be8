"""Training: full-batch or minibatch SGD/Adam/AdamW with checkpoints at chosen steps.

Loss convention (issue 4 §2): the training objective is the mean per-sample negative
log-likelihood ``L_n(w) = (1/n) Σ_i ℓ_i(w)`` with ``ℓ_i`` from :mod:`slttheory.losses`; the
default is the unit-variance Gaussian NLL ``ℓ_i = ½‖y_i − f(x_i)‖²`` (no factor-of-two
surprises: λ̂ = nβ(E[L_n] − L_n(w*)) uses the same ``L_n``). Weight decay is the optimiser's
own (``torch.optim``'s ``weight_decay``), not part of the recorded losses.

Step convention: a checkpoint at step ``s`` records the model after ``s`` optimiser updates
(step 0 is the initial model); its ``train_loss`` is ``L_n`` on the *whole* training set (and
``val_loss`` on the whole validation set), not the last minibatch's loss. Minibatches are
drawn without replacement from index permutations of an explicit ``torch.Generator`` (a new
permutation each epoch; no DataLoader).

Non-finite loss: training stops before the offending update, the result has
``diverged=True`` and ``diverged_step`` set, and a ``RuntimeWarning`` is issued
(``on_nan="raise"`` raises ``FloatingPointError`` instead).

>>> import torch
>>> from torch import nn
>>> g = torch.Generator().manual_seed(0)
>>> x = torch.randn(64, 2, generator=g); y = x @ torch.tensor([[1.0], [-2.0]])
>>> model = nn.Linear(2, 1, bias=False)
>>> with torch.no_grad():
...     _ = model.weight.zero_()
>>> res = train(model, (x, y), optimizer="adam", lr=0.1, steps=200, checkpoints=[0, 200])
>>> [c.step for c in res.checkpoints], res.checkpoints[-1].train_loss < 1e-3
([0, 200], True)
"""

from __future__ import annotations

import math
import numbers
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from slttheory._torch_args import check_seed, resolve_device
from slttheory.losses import LossFn, check_targets, resolve_loss

__all__ = [
    "Checkpoint",
    "TrainResult",
    "train",
    "log_spaced_checkpoints",
    "argmax_accuracy",
    "binary_accuracy",
    "centred_argmax_accuracy",
]

AccuracyFn = Callable[[Tensor, Tensor], float]
_OPTIMIZERS = ("adam", "adamw", "sgd")


@dataclass(frozen=True)
class Checkpoint:
    """The model after ``step`` updates: losses (mean per-sample NLL), accuracies, weights.

    ``val_loss``/``train_acc``/``val_acc`` are ``None`` where no validation data or no
    accuracy function was given; ``state`` is a CPU copy of the ``state_dict``.
    """

    step: int
    train_loss: float
    val_loss: float | None
    train_acc: float | None
    val_acc: float | None
    state: dict[str, Tensor]


@dataclass(frozen=True)
class TrainResult:
    """Outcome of :func:`train`.

    ``model`` is the trained module (trained in place); ``final_state`` a CPU copy of its
    final ``state_dict``; ``final_train_loss`` the full-data mean NLL at the end;
    ``checkpoints`` the records at the requested steps that were reached; ``steps`` the
    number of updates performed; ``diverged``/``diverged_step`` flag a non-finite loss.
    """

    model: nn.Module
    final_state: dict[str, Tensor]
    final_train_loss: float
    checkpoints: tuple[Checkpoint, ...]
    steps: int
    diverged: bool
    diverged_step: int | None
    config: dict
    elapsed_s: float


def log_spaced_checkpoints(total: int, count: int) -> list[int]:
    """``min(count, total + 1)`` distinct steps in ``[0, total]``, roughly log-spaced.

    Always contains 0 and ``total`` (for ``count >= 2``); strictly increasing; where
    rounding a geometric grid ``1 … total`` would repeat a step, the next free integer is
    used instead, so small totals give consecutive steps.

    >>> log_spaced_checkpoints(1000, 5)
    [0, 1, 10, 100, 1000]
    >>> log_spaced_checkpoints(3, 10)
    [0, 1, 2, 3]
    """
    if isinstance(total, bool) or not isinstance(total, int):
        raise TypeError(f"total must be an integer, got {total!r}")
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError(f"count must be an integer, got {count!r}")
    if total < 0:
        raise ValueError(f"total must be >= 0, got {total}")
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    k = min(count, total + 1)
    if k == 1:
        return [total]
    if k == 2:
        return [0, total]
    # k - 1 points geometrically spaced on [1, total], then made strictly increasing.
    grid = [round(math.exp(math.log(total) * i / (k - 2))) for i in range(k - 1)]
    out = [0]
    for i, v in enumerate(grid):
        hi = total - (k - 2 - i)  # leave room for the remaining points
        out.append(min(max(v, out[-1] + 1), hi))
    return out


def argmax_accuracy(outputs: Tensor, targets: Tensor) -> float:
    """Fraction of rows whose argmax matches the target class (indices or one-hot rows).

    >>> import torch
    >>> argmax_accuracy(torch.tensor([[0.1, 0.9], [0.8, 0.2]]), torch.tensor([1, 1]))
    0.5
    """
    if outputs.ndim != 2 or targets.ndim not in (1, 2) or targets.shape[0] != outputs.shape[0]:
        raise ValueError(f"argmax_accuracy needs outputs (n, C) and targets (n,) or (n, C), "
                         f"got {tuple(outputs.shape)} and {tuple(targets.shape)}")
    pred = outputs.argmax(dim=1)
    t = targets.argmax(dim=1) if targets.ndim == 2 else targets
    return float((pred == t).float().mean())


def centred_argmax_accuracy(outputs: Tensor, targets: Tensor) -> float:
    """:func:`argmax_accuracy` after the offset the centred loss leaves free: each output is
    shifted by ``mean(targets) − mean(outputs)`` over the batch (one-hot targets ``(n, C)``).

    >>> import torch
    >>> y = torch.eye(2)
    >>> centred_argmax_accuracy(y + torch.tensor([0.0, 5.0]), y)   # offset removed
    1.0
    """
    shift = targets.to(outputs.dtype).mean(dim=0) - outputs.mean(dim=0)
    return argmax_accuracy(outputs + shift, targets)


def binary_accuracy(outputs: Tensor, targets: Tensor) -> float:
    """Fraction of samples with ``(output > 0) == (target > 0.5)`` (single logit per sample).

    >>> import torch
    >>> binary_accuracy(torch.tensor([[2.0], [-1.0]]), torch.tensor([[1.0], [1.0]]))
    0.5
    """
    z, y = outputs.reshape(-1), targets.reshape(-1)
    if z.shape != y.shape:
        raise ValueError(f"binary_accuracy needs one logit and one target per sample, got "
                         f"{tuple(outputs.shape)} and {tuple(targets.shape)}")
    return float(((z > 0) == (y > 0.5)).float().mean())


def _as_generator(generator: torch.Generator | int | None, seed: int) -> torch.Generator:
    if generator is None:
        return torch.Generator().manual_seed(check_seed(seed))
    if isinstance(generator, torch.Generator):
        return generator
    if isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
        return torch.Generator().manual_seed(check_seed(generator, "generator"))
    raise TypeError(f"generator must be a torch.Generator or an int seed, got {generator!r}")


def _check_data(data: object, name: str) -> tuple[Tensor, Tensor]:
    if not (isinstance(data, tuple | list) and len(data) == 2):
        raise TypeError(f"{name} must be a tuple (inputs, targets) of tensors")
    x, y = data
    if not (isinstance(x, Tensor) and isinstance(y, Tensor)):
        raise TypeError(f"{name} must be a tuple (inputs, targets) of tensors")
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
        raise ValueError(
            f"{name}: inputs and targets need the same leading sample axis, got shapes "
            f"{tuple(x.shape)} and {tuple(y.shape)}"
        )
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    for part, t in (("inputs", x), ("targets", y)):
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise ValueError(f"{name} has non-finite (inf/nan) {part}")
    return x, y


def _cpu_state(model: nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def train(
    model: nn.Module,
    data: tuple[Tensor, Tensor],
    *,
    loss: str | LossFn = "gaussian",
    optimizer: str = "adam",
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    steps: int = 1000,
    batch_size: int | None = None,
    generator: torch.Generator | int | None = None,
    seed: int = 0,
    checkpoints: Sequence[int] | None = None,
    val_data: tuple[Tensor, Tensor] | None = None,
    accuracy: AccuracyFn | None = None,
    device: str | torch.device | None = None,
    on_nan: str = "stop",
) -> TrainResult:
    """Train ``model`` in place on ``data = (inputs, targets)`` and record checkpoints.

    Minimises the mean per-sample NLL ``loss`` (``"gaussian"``: ½‖y − f(x)‖², the default;
    ``"cross_entropy"``; ``"centred_gaussian"``; or a callable ``(outputs, targets) -> (n,)``)
    with ``optimizer`` ``"adam"``, ``"adamw"`` or ``"sgd"`` (``momentum`` applies to SGD only)
    for ``steps`` updates. ``batch_size=None`` is full batch; otherwise minibatches come
    from per-epoch permutations drawn from ``generator`` (a ``torch.Generator``, an ``int``
    seed, or ``None`` for ``torch.Generator().manual_seed(seed)``). ``checkpoints``: steps in
    ``[0, steps]`` at which to record a :class:`Checkpoint` (default: only ``steps``); see
    :func:`log_spaced_checkpoints`. ``accuracy(outputs, targets) -> float`` (e.g.
    :func:`argmax_accuracy`) is recorded for train and ``val_data``. ``device=None`` keeps
    the model's device. ``on_nan``: ``"stop"`` (flag ``diverged`` and warn) or ``"raise"``.

    >>> import torch
    >>> from slttheory.models import LinearRegression
    >>> x = torch.tensor([[1.0], [2.0]]); y = 2 * x          # w = 0: L_n = ½·mean(4, 16) = 5
    >>> res = train(LinearRegression(1), (x, y), optimizer="sgd", lr=0.1, steps=1,
    ...             checkpoints=[0, 1])                      # ∇L_n = −mean(x·y) = −5
    >>> [(c.step, round(c.train_loss, 4)) for c in res.checkpoints], round(res.model.w.item(), 4)
    ([(0, 5.0), (1, 2.8125)], 0.5)
    """
    loss_fn = resolve_loss(loss)
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    x, y = _check_data(data, "data")
    check_targets(loss, y, "data's targets")
    if val_data is not None:
        vx, vy = _check_data(val_data, "val_data")
        check_targets(loss, vy, "val_data's targets")
    if accuracy is not None and not callable(accuracy):
        raise TypeError(f"accuracy must be a callable (outputs, targets) -> float, got "
                        f"{accuracy!r}")
    if checkpoints is not None and not isinstance(checkpoints, Sequence | range):
        raise TypeError(f"checkpoints must be a sequence of steps, got {checkpoints!r}")
    if optimizer not in _OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {list(_OPTIMIZERS)}, got {optimizer!r}")
    if isinstance(momentum, int | float) and not isinstance(momentum, bool) and momentum >= 1:
        raise ValueError(f"momentum must be in [0, 1) (SGD's heavy ball diverges at 1 and "
                         f"above), got {momentum}")
    if isinstance(steps, bool) or not isinstance(steps, int):
        raise TypeError(f"steps must be an integer, got {steps!r}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    for name, v in (("lr", lr), ("weight_decay", weight_decay), ("momentum", momentum)):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise TypeError(f"{name} must be a number, got {v!r}")
        if not (math.isfinite(v) and v >= 0):
            raise ValueError(f"{name} must be finite and >= 0, got {v}")
    if lr <= 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    n = x.shape[0]
    if batch_size is not None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int):
            raise TypeError(f"batch_size must be an integer or None, got {batch_size!r}")
        if not 1 <= batch_size <= n:
            raise ValueError(f"batch_size must be in [1, {n}] (the sample size), got {batch_size}")
    ckpts = sorted(set(checkpoints)) if checkpoints is not None else [steps]
    for c in ckpts:
        if isinstance(c, bool) or not isinstance(c, int) or not 0 <= c <= steps:
            raise ValueError(f"checkpoints must be integers in [0, {steps}], got {c!r}")
    if on_nan not in ("stop", "raise"):
        raise ValueError(f"on_nan must be 'stop' or 'raise', got {on_nan!r}")
    gen = _as_generator(generator, seed)

    if device is not None:
        model.to(resolve_device(device))
    try:
        dev = next(model.parameters()).device
    except StopIteration:
        raise ValueError("model has no parameters to train") from None
    x, y = x.to(dev), y.to(dev)
    if val_data is not None:
        vx, vy = vx.to(dev), vy.to(dev)
    params = [p for p in model.parameters() if p.requires_grad]
    if optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    elif optimizer == "adamw":
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.SGD(params, lr=lr, weight_decay=weight_decay, momentum=momentum)

    def evaluate(xx: Tensor, yy: Tensor) -> tuple[float, float | None]:
        with torch.no_grad():
            out = model(xx)
            val = float(loss_fn(out, yy).mean())
            acc = accuracy(out, yy) if accuracy is not None else None
        return val, acc

    records: list[Checkpoint] = []

    def record(step: int) -> None:
        tl, ta = evaluate(x, y)
        vl = va = None
        if val_data is not None:
            vl, va = evaluate(vx, vy)
        records.append(Checkpoint(step, tl, vl, ta, va, _cpu_state(model)))

    t0 = time.perf_counter()
    ck = set(ckpts)
    perm: Tensor | None = None
    pos = n
    diverged_step: int | None = None
    model.train()
    step = 0
    if 0 in ck:
        record(0)
    while step < steps:
        if batch_size is None:
            bx, by = x, y
        else:
            if pos + batch_size > n:
                perm = torch.randperm(n, generator=gen).to(dev)
                pos = 0
            idx = perm[pos : pos + batch_size]
            pos += batch_size
            bx, by = x[idx], y[idx]
        opt.zero_grad(set_to_none=True)
        value = loss_fn(model(bx), by).mean()
        if not math.isfinite(value.item()):  # a Python float: no tensor op per step
            diverged_step = step
            msg = (
                f"training loss became {float(value.detach())} at step {step}; "
                "stopped before that update"
            )
            if on_nan == "raise":
                raise FloatingPointError(msg)
            warnings.warn(msg, RuntimeWarning, stacklevel=2)
            break
        value.backward()
        opt.step()
        step += 1
        if step in ck:
            record(step)
    model.eval()
    final_loss, _ = evaluate(x, y)
    config = dict(
        loss=loss if isinstance(loss, str) else getattr(loss, "__name__", "callable"),
        optimizer=optimizer, lr=lr, weight_decay=weight_decay, momentum=momentum,
        steps=steps, batch_size=batch_size, checkpoints=ckpts, device=str(dev),
    )
    return TrainResult(
        model=model,
        final_state=_cpu_state(model),
        final_train_loss=final_loss,
        checkpoints=tuple(records),
        steps=step,
        diverged=diverged_step is not None,
        diverged_step=diverged_step,
        config=config,
        elapsed_s=time.perf_counter() - t0,
    )
