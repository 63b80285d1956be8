"""Estimates as JSON: :meth:`LLCEstimate.to_json <slttheory.sampling.LLCEstimate.to_json>`
and :meth:`LLCEstimate.from_json <slttheory.sampling.LLCEstimate.from_json>`.

A result is a tree of frozen dataclasses (the estimate, its config, diagnostics, calibration,
temperature scan and fit), numpy arrays (traces, per-chain values), tuples and numbers. Each
dataclass is written with its class, so that reading rebuilds the same tree; arrays keep their
dtype and shape, tuples stay tuples, and NaN and ±inf are written as strings (JSON has
neither). Reading never runs code from the file: a class is looked up only among the
dataclasses the caller allows (:data:`slttheory.sampling.results.JSON_CLASSES`: the estimate,
config, diagnostics, step-size calibration, temperature scan and finite-nβ fit), and anything
else is an error naming it.

>>> from slttheory.sampling.calibrate import StepSizeCalibration
>>> c = StepSizeCalibration(1e-3, "bias", 0.02, (1e-3,), (float("nan"),), 400, False)
>>> back = loads(dumps(c, [StepSizeCalibration]), [StepSizeCalibration])
>>> back.step_size, back.candidates, back.scores[0] != back.scores[0]   # NaN kept
(0.001, (0.001,), True)
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

__all__ = ["FORMAT", "dumps", "loads"]

FORMAT = "slttheory.LLCEstimate/1"
"""The format tag written at the top of every file (read back only under the same tag)."""


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _encode(obj: Any, allowed: Mapping[str, type]) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        name = _name(type(obj))
        if name not in allowed:
            raise TypeError(f"cannot write a {name} (not one of the allowed classes)")
        return {"__class__": name, **{f.name: _encode(getattr(obj, f.name), allowed)
                                      for f in dataclasses.fields(obj)}}
    if isinstance(obj, np.ndarray):
        return {"__ndarray__": [_encode(v, allowed) for v in obj.ravel().tolist()],
                "dtype": str(obj.dtype), "shape": list(obj.shape)}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, allowed) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, allowed) for v in obj]
    if isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            raise TypeError("cannot write a dict with keys that are not strings")
        return {k: _encode(v, allowed) for k, v in obj.items()}
    if isinstance(obj, bool | int | str) or obj is None:
        return obj
    if isinstance(obj, float | np.floating):
        v = float(obj)
        return v if math.isfinite(v) else {"__float__": repr(v)}
    if isinstance(obj, np.integer | np.bool_):
        return obj.item()
    raise TypeError(f"cannot write a value of type {type(obj).__name__}")


def _decode(data: Any, where: str, allowed: Mapping[str, type]) -> Any:
    if isinstance(data, list):
        return [_decode(v, f"{where}[{i}]", allowed) for i, v in enumerate(data)]
    if not isinstance(data, dict):
        return data
    if "__float__" in data:
        if data["__float__"] not in ("nan", "inf", "-inf"):
            raise ValueError(f"{where}: not a non-finite float: {data['__float__']!r}")
        return float(data["__float__"])
    if "__tuple__" in data:
        return tuple(_decode(v, f"{where}[{i}]", allowed)
                     for i, v in enumerate(data["__tuple__"]))
    if "__ndarray__" in data:
        values = [_decode(v, where, allowed) for v in data["__ndarray__"]]
        dtype = np.dtype(data["dtype"])
        if dtype.kind not in "biuf":
            raise ValueError(f"{where}: an array of dtype {dtype} (a file of {FORMAT} holds "
                             "numeric arrays only)")
        try:
            return np.array(values, dtype=dtype).reshape(data["shape"])
        except (ValueError, TypeError) as e:
            raise ValueError(f"{where}: not an array of dtype {dtype} and shape "
                             f"{data['shape']} ({e})") from None
    if "__class__" in data:
        cls = allowed.get(data["__class__"])
        if cls is None:
            raise ValueError(f"{where}: unknown class {data['__class__']!r} (a file of "
                             f"{FORMAT} names only {', '.join(sorted(allowed))})")
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: _decode(v, f"{where}.{k}", allowed) for k, v in data.items()
                  if k != "__class__"}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"{where}: {cls.__name__} has no field(s) {unknown}")
        hints = typing.get_type_hints(cls)
        for k, v in values.items():
            if not _conforms(v, hints.get(k, Any)):
                raise ValueError(f"{where}.{k}: expected {_hint_name(hints[k])}, got "
                                 f"{_value_name(v)}")
        return cls(**values)
    return {k: _decode(v, f"{where}.{k}", allowed) for k, v in data.items()}


def _conforms(value: Any, hint: Any) -> bool:
    """Whether ``value`` is of the annotated type ``hint`` (the kinds the estimate's fields
    use: numbers, strings, arrays, dataclasses, tuples, lists, optional ones; an int is a
    float, a bool is neither)."""
    if hint is Any or hint is object:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, a) for a in args)
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_conforms(v, args[0]) for v in value)
        return len(value) == len(args) and all(map(_conforms, value, args))
    if origin is list:
        return isinstance(value, list) and all(_conforms(v, args[0]) for v in value)
    if hint is float:
        return isinstance(value, float | int) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint) if isinstance(hint, type) else True


def _hint_name(hint: Any) -> str:
    return hint.__name__ if isinstance(hint, type) else str(hint).replace("typing.", "")


def _value_name(value: Any) -> str:
    if isinstance(value, np.ndarray | tuple | list) or dataclasses.is_dataclass(value):
        return f"a {type(value).__name__}"
    return f"{value!r} ({type(value).__name__})"


def dumps(obj: Any, classes: Iterable[type]) -> str:
    """``obj`` (an estimate, or any of its parts) as JSON text with a format tag; every
    dataclass in it must be one of ``classes``."""
    allowed = {_name(c): c for c in classes}
    return json.dumps({"format": FORMAT, "value": _encode(obj, allowed)}, allow_nan=False)


def loads(text: str, classes: Iterable[type]) -> Any:
    """The object :func:`dumps` wrote, its dataclasses looked up among ``classes`` only
    (raises ``ValueError`` naming what is wrong)."""
    allowed = {_name(c): c for c in classes}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON ({e})") from None
    except RecursionError:
        raise ValueError("not a file this library wrote: its JSON nests too deeply") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        got = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"not a {FORMAT} file (format {got!r})")
    try:
        return _decode(data["value"], "value", allowed)
    except (KeyError, TypeError, AttributeError) as e:  # a part missing or of another kind
        raise ValueError(f"malformed {FORMAT} file: {type(e).__name__}: {e}") from None
    except RecursionError:
        raise ValueError(f"malformed {FORMAT} file: nested too deeply") from None
