"""A proof that a float64 computation on integers was exact: every operation audited.

The exact Jacobian rank (:func:`~slttheory.geometry.jacobian_rank` with ``method="exact"``)
computes the Jacobian of a polynomial map by autograd in float64 at an integer point and
takes its rank over ℚ. That rank is the rank of the true Jacobian only if float64 never
rounded: a final entry below 2^53 does not show this, since an intermediate value (a partial
sum in a matrix product, a factor of a deep product) may have been rounded before it
cancelled. A rounded matrix can have a *higher* rank than the true one, and a rank above
2λ refutes a claim: so the rank is certified only if every operation was exact.

:class:`IntegerExactnessAudit` is a ``TorchDispatchMode`` that checks, at every ATen
operation the computation runs (autograd's backward and ``torch.func``'s batched operations
included), that

1. every floating tensor read or written is float64 and holds integers of magnitude < 2^53,
   and every Python number argument is such an integer; so does every integer tensor an
   operation reads beside a floating one or turns into one (float64 arithmetic promotes it,
   and an int64 of magnitude ≥ 2^53 is rounded on the way in);
2. the operation is one whose exact result float64 then returns: a data movement
   (view, index, copy, concatenation, ``where``, ...), a ring operation (``add``, ``sub``,
   ``mul``, ``neg``, integer ``pow``), or a sum of products (``sum``, ``mm``, ``bmm``,
   ``addmm``, accumulating ``index_put``, ...). ``relu``, ``abs``, ``maximum``, ``clamp``
   and the like are exact too, but they make the map piecewise polynomial, whose Jacobian
   at a kink is one side's and whose generic rank the Schwartz–Zippel bound does not cover:
   refused, with that reason. (``where`` stays, since autograd's own backward formulas
   select with it; a map that branches with it is the family's responsibility.)
3. for the ring operations and sums of products, the same operation on the absolute values
   (subtraction read as addition; integer operands included, indices excepted) stays below
   2^53. Its partial sums, in whatever order the
   kernel adds them, bound those of the real computation, so none of them was rounded.
   (IEEE 754 rounds an exact integer result below 2^53 to itself; rounding is monotone, so a
   bound computed in float64 that comes out below 2^53 was below it exactly.)

4. an operation on integer tensors alone (a constant coefficient of the map, computed in
   int64 or a narrower type) that can wrap around (``add``, ``mul``, ``pow``, ``neg``, a
   sum of products, ...) returns the exact integers: its bound on absolute values stays below
   2^53 and its result equals the same operation in float64 (int64 2^32 · 2^32 is 0, uint8
   −1 is 255); one that turns integers into floats is a move or one of the operations above.

Anything else (a division, ``tanh``, a float32 tensor, a non-integer constant) makes the
computation unaudited: :class:`InexactArithmeticError`, naming the operation. Under these
conditions every intermediate value is the exact integer, by induction over the
operations, so the result is exact.

>>> import torch
>>> x = torch.tensor([[1., 2.], [3., 4.]], dtype=torch.float64)
>>> with IntegerExactnessAudit() as audit:
...     y = (x @ x).sum()
>>> float(y), audit.n_ops > 0
(54.0, True)
>>> with IntegerExactnessAudit():  # doctest: +ELLIPSIS
...     (x / 3).sum()
Traceback (most recent call last):
slttheory.geometry.exact_arithmetic.InexactArithmeticError: aten.div.Tensor is not ...
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten, tree_map

__all__ = ["IntegerExactnessAudit", "InexactArithmeticError", "EXACT_LIMIT"]

EXACT_LIMIT = 2**53  # float64 holds every integer of magnitude < 2^53 exactly

aten = torch.ops.aten


class InexactArithmeticError(ValueError):
    """A float64 computation could not be shown exact (the message names the operation)."""


def _packets(*names: str) -> frozenset:
    """The overload packets of ``aten`` that exist in this torch, by name."""
    return frozenset(getattr(aten, n) for n in names if hasattr(aten, n))


# Exact whatever the magnitudes: values are moved, selected or created, never combined.
_MOVES = _packets(
    "view", "_unsafe_view", "reshape", "expand", "permute", "transpose", "t", "diagonal",
    "split", "split_with_sizes", "unbind", "select", "slice", "index", "index_select",
    "gather", "cat", "stack", "clone", "copy", "copy_", "alias", "squeeze",
    "unsqueeze", "flatten", "narrow", "as_strided", "lift_fresh", "lift_fresh_copy",
    "_to_copy", "to", "contiguous", "new_zeros", "new_ones", "new_empty", "new_full",
    "zeros", "ones", "empty", "empty_like", "zeros_like", "ones_like", "full", "full_like",
    "fill", "fill_", "zero_", "scalar_tensor", "_efficientzerotensor", "eye", "arange",
    "masked_fill", "masked_fill_", "where", "diag_embed", "diagonal_scatter", "select_scatter",
    "slice_scatter", "repeat", "flip", "roll", "tril", "triu", "constant_pad_nd",
    "expand_copy", "view_copy", "permute_copy", "transpose_copy", "t_copy", "unsqueeze_copy",
    "squeeze_copy", "_reshape_alias", "unfold", "movedim", "movedim_copy", "index_put",
    "index_put_", "_index_put_impl_", "_conj", "_neg_view", "resolve_conj",
    "resolve_neg", "neg", "neg_", "_unsafe_index", "set_", "resize_",
    "empty_strided", "new_empty_strided", "select_backward", "slice_backward",
    "diagonal_backward", "as_strided_scatter", "_unsafe_split", "chunk", "tensor_split",
    "split_copy", "unbind_copy", "alias_copy", "_new_zeros_with_same_feature_meta",
    "is_same_size", "_has_same_storage_numel",
)
# Exact in value, but the map they build is piecewise polynomial, not polynomial: autograd's
# Jacobian at a kink is one side's, and a rank certificate needs a polynomial map (the
# Schwartz–Zippel bound on the generic rank, the rank at w*). Refused with their own reason.
_PIECEWISE = _packets(
    "relu", "threshold_backward", "maximum", "minimum", "clamp", "clamp_min", "clamp_max",
    "abs", "sign", "sgn",
)
# Value conversions: exact, but a float -> integer/bool conversion lets the map branch on its
# parameters (``torch.where(w.long() > 0, …)``) past the piecewise refusal above, and the
# comparison that follows sees no floating tensor. Refused wherever an operation reads a
# floating tensor and returns a non-floating one (a cast, and as much a ``fill_`` or
# ``masked_fill`` of an integer tensor with a float's value), except the creators below,
# which read its shape only.
_SHAPE_ONLY = _packets(
    "new_zeros", "new_ones", "new_empty", "new_full", "new_empty_strided", "zeros_like",
    "ones_like", "empty_like", "full_like", "_new_zeros_with_same_feature_meta",
)
# Exact in value, but they cut the gradient: a map that detaches (or reads .data) has a
# Jacobian of 0 in what it cuts off, and rank 0 came out certified for a map of rank 2.
_SEVERS = _packets("detach", "detach_")
# Ring operations and sums of products: exact when their absolute-value bound is < 2^53.
_SUMS = _packets(
    "add", "add_", "sub", "sub_", "rsub", "mul", "mul_", "sum", "mm", "bmm", "addmm",
    "addmm_", "baddbmm", "addbmm", "mv", "addmv", "dot", "vdot", "matmul", "index_add",
    "index_add_", "scatter_add", "scatter_add_", "cumsum", "addcmul", "addcmul_", "linear",
    "einsum", "tensordot", "outer", "ger", "square", "unfold_backward",
    "embedding_dense_backward", "index_select_backward", "trace", "prod", "sum_to_size",
)
_POW = _packets("pow", "pow_")
# Accumulating only when their ``accumulate`` argument is set.
_MAYBE_ACCUMULATE = _packets("index_put", "index_put_", "_index_put_impl_")
# Subtractions, whose bound adds: a − α·b is bounded by |a| + |α|·|b|.
_SUBTRACT = _packets("sub", "sub_", "rsub")
# Sums whose integer tensors are indices (their floating operands must share one dtype), not
# operands: kept as they are in the absolute-value bound, where every other integer tensor is
# an operand that float64 arithmetic promotes, and enters with its absolute value (a negative
# integer operand had lowered the bound: −(2^53 + 1) + (2^53 − 1) passed as exact, −1 for −2).
_INDEXED = _packets(
    "index_add", "index_add_", "scatter_add", "scatter_add_", "index_put", "index_put_",
    "_index_put_impl_", "embedding_dense_backward", "index_select_backward",
)


# Integer-only operations (no floating tensor read) compute the map's constant coefficients.
# Those that can wrap around in their integer dtype are checked: int64 2^32 * 2^32 is 0, an
# int32 or uint8 one wraps far sooner (-1 as uint8 is 255), and a wrapped coefficient had a
# map of rank 1 certified rank 2.
_SHIFTS = _packets("__lshift__", "__ilshift__", "bitwise_left_shift", "bitwise_left_shift_")
_INTEGER_ARITHMETIC = _SUMS | _POW | _SHIFTS | _packets("neg", "neg_", "abs", "abs_",
                                                         "cumprod", "cumprod_")
# Where the operands of an indexed accumulation sit (the other integer tensors are indices).
_INDEXED_OPERANDS = {
    **dict.fromkeys(_packets("index_add", "index_add_", "scatter_add", "scatter_add_"),
                    (0, 3)),
    **dict.fromkeys(_packets("index_put", "index_put_", "_index_put_impl_"), (0, 2)),
}


_UNINITIALISED = _packets("empty", "empty_like", "new_empty", "empty_strided",
                          "new_empty_strided")
# In-place operations that overwrite their first argument whatever it held (it may be an
# uninitialised buffer, so it is not read as an input).
_OVERWRITES = _packets("copy_", "fill_", "zero_", "set_", "resize_")


def _is_float(t: Any) -> bool:
    return isinstance(t, torch.Tensor) and t.is_floating_point()


def _is_integer(t: Any) -> bool:
    """An integer tensor (bool excluded: its 0 and 1 are exact in any dtype)."""
    return (isinstance(t, torch.Tensor) and not t.is_floating_point() and not t.is_complex()
            and t.dtype != torch.bool)


def _integer_operands_exact(t: torch.Tensor) -> bool:
    """Every entry of an integer tensor has magnitude < 2^53, so float64 holds it exactly
    (compared in float64, where rounding is monotone: no int64 overflow of ``abs``)."""
    if t.numel() == 0 or t.is_meta:
        return True
    return bool(torch.all(t.detach().to(torch.float64).abs() < EXACT_LIMIT))


def _exact_integers(t: torch.Tensor) -> bool:
    """Every entry a finite integer of magnitude < 2^53 (float64 only)."""
    if t.dtype != torch.float64:
        return False
    if t.numel() == 0 or t._is_zerotensor():
        return True
    a = t.detach()
    # one reduction: |a| < 2^53 is false for NaN and ±inf, so it implies finiteness
    return bool(torch.all((a.abs() < EXACT_LIMIT) & (a == torch.round(a))))


def _integer_number(v: Any) -> bool:
    """True unless ``v`` is a number that is not an integer of magnitude < 2^53."""
    if isinstance(v, bool):
        return True
    if isinstance(v, int):
        return abs(v) < EXACT_LIMIT
    if isinstance(v, float):
        return math.isfinite(v) and v.is_integer() and abs(v) < EXACT_LIMIT
    return True  # not a number (a dtype, a size list, None, ...)


def _out_of_place(func):
    """``aten.add_.Tensor`` -> ``aten.add.Tensor``; other overloads unchanged."""
    name = func.overloadpacket.__name__
    if not name.endswith("_"):
        return func
    packet = getattr(aten, name[:-1], None)
    return getattr(packet, func._overloadname, func) if packet is not None else func


def _absolute(v: Any) -> Any:
    if _is_float(v):
        return v if v._is_zerotensor() else v.detach().abs()
    if _is_integer(v):  # an operand float64 promotes: in float64, as the kernel reads it
        return v.detach().to(torch.float64).abs()
    if isinstance(v, int | float) and not isinstance(v, bool):
        return abs(v)
    return v


def _accumulates(args, kwargs) -> bool:
    if "accumulate" in kwargs:
        return bool(kwargs["accumulate"])
    return len(args) > 3 and bool(args[3])


class IntegerExactnessAudit(TorchDispatchMode):
    """Raise :class:`InexactArithmeticError` at the first operation float64 may have rounded.

    Use as a context manager around a computation on integer-valued float64 tensors (see the
    module docstring for the rules). ``n_ops`` counts the floating operations audited.
    ``grad_required=True`` (for a reverse-mode derivative) also refuses every floating
    operation run with gradients disabled: reverse mode respects ``torch.no_grad`` inside the
    map, so a value computed there is a constant to autograd, and ``w − (w under no_grad)``,
    the zero map, had the Jacobian I and a certified full rank.
    """

    def __init__(self, *, grad_required: bool = False) -> None:
        super().__init__()
        self.n_ops = 0
        self.grad_required = grad_required

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        packet = func.overloadpacket
        leaves = tree_flatten((args, kwargs))[0]
        if any(isinstance(v, torch.UntypedStorage | torch.TypedStorage) for v in leaves):
            # a tensor set to a storage reads its bytes as any dtype (a float's bits as an
            # integer, past the conversion refusal below): no polynomial map does this
            raise InexactArithmeticError(
                f"{func} reads a storage's bytes directly: a view of a float's bits is no "
                "polynomial operation, and a rank certificate needs a polynomial map")
        for v in leaves:
            if not _integer_number(v):
                raise InexactArithmeticError(
                    f"{func} takes the number {v!r}, not an integer of magnitude < 2^53, so "
                    "float64 may have rounded")
        read = leaves[1:] if packet in _OVERWRITES else leaves
        floats = [a for a in read if _is_float(a)]
        ints = [a for a in read if _is_integer(a)]
        if floats:
            self.n_ops += 1
            _check_integer_operands(func, ints)
            if self.grad_required and not torch.is_grad_enabled():
                raise InexactArithmeticError(
                    f"{func} runs with gradients disabled (torch.no_grad) inside a map whose "
                    "reverse-mode Jacobian is taken: what it computes is a constant to "
                    "autograd, so the Jacobian may not be the map's (a cancelled dependence "
                    "reads as a real one, raising the rank), and a rank certificate needs it")
            _check_values(func, floats, "an input")
            if packet in _SUMS or (packet in _MAYBE_ACCUMULATE and _accumulates(args, kwargs)):
                _check_bound(func, args, kwargs)
            elif packet in _POW:
                out = func(*args, **kwargs)
                _check_pow(func, args, out)
                return out
            elif packet in _SEVERS:
                raise InexactArithmeticError(
                    f"{func} cuts the map's parameters off from autograd: its Jacobian reads 0 "
                    "where the map depends on them, and a rank certificate needs every "
                    "dependence seen")
            elif packet in _PIECEWISE:
                raise InexactArithmeticError(
                    f"{func} is exact but not polynomial: the map is piecewise, autograd's "
                    "Jacobian at a kink is one side's, and a rank certificate needs a "
                    "polynomial map")
            elif packet not in _MOVES:
                raise InexactArithmeticError(
                    f"{func} is not an exact integer operation (float64 may have rounded: "
                    "a division, a transcendental function, ...)")
        reference = None
        if not floats and ints and (packet in _INTEGER_ARITHMETIC and (
                packet not in _MAYBE_ACCUMULATE or _accumulates(args, kwargs))):
            # before the call: an in-place operation overwrites its operand
            reference = _integer_reference(func, args, kwargs)
        out = func(*args, **kwargs)
        outs = tree_flatten(out)[0]
        if reference is not None:
            _check_integer_result(func, reference, outs)
        if not floats and ints and any(_is_float(o) for o in outs):
            # integers turned into floats with no floating tensor read (an integer tensor
            # plus a Python float): the promotion and the arithmetic after it are audited too
            self.n_ops += 1
            _check_integer_operands(func, ints)
            if packet in _SUMS or (packet in _MAYBE_ACCUMULATE and _accumulates(args, kwargs)):
                _check_bound(func, args, kwargs)
            elif packet in _POW:
                _check_pow(func, _float_operands(func, args, kwargs)[0], outs[0])
            elif packet not in _MOVES:
                # tanh(40) of an integer tensor is 1.0 in float64: an integer, not the value
                raise InexactArithmeticError(
                    f"{func} turns integers into floats by an operation that is not an exact "
                    "integer one (a division, a transcendental function, ...): its value may "
                    "have been rounded to an integer")
        if floats and packet not in _SHAPE_ONLY and any(
                isinstance(o, torch.Tensor) and not o.is_floating_point() for o in outs):
            raise InexactArithmeticError(
                f"{func} converts a floating tensor to a non-floating dtype: exact, but a map "
                "that branches on the result is piecewise polynomial, and a rank certificate "
                "needs a polynomial map")
        if packet not in _UNINITIALISED:
            _check_values(func, [o for o in outs if _is_float(o)], "an output")
        return out


def _check_values(func, tensors: list, what: str) -> None:
    for t in tensors:
        if not _exact_integers(t):
            raise InexactArithmeticError(
                f"{func} has {what} that is not float64 integers of magnitude < 2^53 "
                f"(dtype {t.dtype}), so float64 may have rounded")


def _check_integer_operands(func, tensors: list) -> None:
    for t in tensors:
        if not _integer_operands_exact(t):
            raise InexactArithmeticError(
                f"{func} reads an integer tensor (dtype {t.dtype}) with an entry of magnitude "
                ">= 2^53 beside floats: float64 rounds it when the operation promotes it")


def _check_bound(func, args, kwargs) -> None:
    """The operation on absolute values (subtraction read as addition) stays below 2^53."""
    absolute = _absolute if func.overloadpacket not in _INDEXED else (
        lambda v: v if _is_integer(v) else _absolute(v))
    a_args, a_kwargs = tree_map(absolute, (args, kwargs))
    func = _out_of_place(func)
    packet = func.overloadpacket
    if packet in _SUBTRACT:  # a − α·b and α·a − b are bounded by |a| + |α|·|b|
        if packet is aten.rsub:
            a_args = (a_args[1], a_args[0], *a_args[2:])
        func = aten.add.Tensor if _is_float(a_args[1]) else aten.add.Scalar
    bound = func(*a_args, **a_kwargs)
    for b in tree_flatten(bound)[0]:
        if _is_float(b) and b.numel() and not bool(torch.all(b < EXACT_LIMIT)):
            raise InexactArithmeticError(
                f"{func} on absolute values reaches {float(b.max()):.3g} >= 2^53: a partial "
                "sum or product may have been rounded in float64")


def _float_operands(func, args, kwargs) -> tuple[Any, Any]:
    """``(args, kwargs)`` with the integer operands (not indices) as float64 and an integer
    ``dtype`` argument as float64: the same operation, computed in float64."""
    packet = func.overloadpacket
    positions = _INDEXED_OPERANDS.get(packet)

    def convert(v: Any) -> Any:
        return v.detach().to(torch.float64) if _is_integer(v) else v

    if positions is not None:
        args = tuple(tree_map(convert, a) if i in positions else a for i, a in enumerate(args))
    elif packet not in _INDEXED:
        args = tree_map(convert, args)
    kwargs = tree_map(convert, kwargs)
    dtype = kwargs.get("dtype")
    if isinstance(dtype, torch.dtype) and not dtype.is_floating_point:
        kwargs = {**kwargs, "dtype": torch.float64}
    return args, kwargs


def _integer_reference(func, args, kwargs) -> list[torch.Tensor]:
    """The exact result of an integer-only arithmetic operation, computed in float64 (whose
    bound on absolute values is checked below 2^53 first, so nothing rounds there)."""
    packet = func.overloadpacket
    if packet in _INDEXED and packet not in _INDEXED_OPERANDS:
        raise InexactArithmeticError(
            f"{func} on integer tensors only: not audited (its operands and indices share "
            "a dtype)")
    f_args, f_kwargs = _float_operands(func, args, kwargs)
    func = _out_of_place(func)
    if func.overloadpacket in _SHIFTS:  # a << b = a · 2^b
        func, f_args = aten.mul.Tensor, (f_args[0], torch.as_tensor(2.0) ** f_args[1])
    try:
        if func.overloadpacket in _POW:
            if not isinstance(f_args[0], torch.Tensor):  # a number to integer-tensor powers
                func = aten.pow.Tensor_Tensor
                f_args = (torch.tensor(f_args[0], dtype=torch.float64), *f_args[1:])
            reference = func(*f_args, **f_kwargs)
            _check_pow(func, f_args, reference)
        else:
            _check_bound(func, f_args, f_kwargs)
            reference = func(*f_args, **f_kwargs)
    except InexactArithmeticError as e:
        # worded without "2^53": not values that a smaller radius would keep exact
        # (check_jacobian_by_values and generic_rank retry those), but a constant of the map
        raise InexactArithmeticError(
            f"{func} on integer tensors may wrap around in their integer dtype: a constant "
            "coefficient of the map computed in integers beyond float64's exact ones"
        ) from e
    return [t for t in tree_flatten(reference)[0] if isinstance(t, torch.Tensor)]


def _check_integer_result(func, reference: list[torch.Tensor], outs: list) -> None:
    """An integer-only operation returned the exact integers (no wrap-around)."""
    got = [o for o in outs if isinstance(o, torch.Tensor)]
    if len(got) != len(reference) or not all(
            torch.equal(g.detach().to(torch.float64), r.to(torch.float64).expand_as(g))
            for g, r in zip(got, reference, strict=False)):
        raise InexactArithmeticError(
            f"{func} on integer tensors wrapped around in its integer dtype (an overflow: "
            "int64 2^32 * 2^32 is 0, uint8 -1 is 255): a constant coefficient of the map is "
            "then not the integer it stands for")


def _check_pow(func, args, out) -> None:
    """``x ** k`` for integers 0 <= k <= 64 (a number or a tensor) equals k exact products.

    ``pow`` kernels (glibc's, SLEEF's) promise about one ulp, not the correctly rounded
    result, so the output is compared with x·x·…·x, computed with the absolute values first:
    each product is exact once max |x|^k < 2^53.
    """
    base, exponent = args[0], args[1] if len(args) > 1 else None
    if isinstance(exponent, torch.Tensor) and not exponent.is_floating_point() \
            and not exponent.is_complex():
        exponent = exponent.to(torch.float64)
    whole = (isinstance(exponent, int | float) and not isinstance(exponent, bool)
             and float(exponent).is_integer() and 0 <= exponent <= 64) or (
        _is_float(exponent) and _exact_integers(exponent)
        and bool(torch.all((exponent >= 0) & (exponent <= 64))))
    if not (_is_float(base) and whole):
        raise InexactArithmeticError(
            f"{func} with exponent {exponent!r}: only a tensor ** integers in [0, 64] is "
            "audited exact")
    k = torch.as_tensor(exponent, dtype=torch.float64).detach()
    top = int(k.max()) if k.numel() else 0
    ref, bound = torch.ones_like(base.detach()), torch.ones_like(base.detach())
    for j in range(top):
        more = j < k
        bound = torch.where(more, bound * base.detach().abs(), bound)
        ref = torch.where(more, ref * base.detach(), ref)
    if bound.numel() and not bool(torch.all(bound < EXACT_LIMIT)):
        raise InexactArithmeticError(f"{func}: |x|^k reaches {float(bound.max()):.3g} >= 2^53")
    if not torch.equal(out.detach(), ref.expand_as(out)):
        raise InexactArithmeticError(f"{func} differs from exact repeated multiplication")
