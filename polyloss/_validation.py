"""Input validation: one helper per concern, shared by every loss.

Shape, dtype and option checks are static and always run. Checks that look at
array *values* go through :func:`check_values`, which skips arrays whose values
are not available (JAX tracers, Dask graphs, PyTorch meta tensors), so the math
itself never branches on data.
"""

from __future__ import annotations

import math
from typing import Any

from ._xp import is_concrete

__all__ = [
    "check_real_floating",
    "check_integer",
    "check_same_shape",
    "check_broadcastable",
    "check_class_layout",
    "check_class_weight",
    "check_in_range",
    "check_values",
    "poison",
    "check_probabilities",
    "check_axis",
]


def _dtype_name(x: Any) -> str:
    return str(x.dtype).rsplit(".", 1)[-1]


def check_real_floating(xp: Any, x: Any, name: str) -> None:
    if x is None:
        return
    if not xp.isdtype(x.dtype, "real floating"):
        msg = f"`{name}` must be a real floating-point array; got dtype {_dtype_name(x)}"
        raise TypeError(msg)


def check_integer(xp: Any, x: Any, name: str) -> None:
    if not xp.isdtype(x.dtype, "integral"):
        msg = f"`{name}` must be an integer array of class indices; got dtype {_dtype_name(x)}"
        raise TypeError(msg)


def check_same_shape(a: Any, b: Any, names: tuple[str, str]) -> None:
    if tuple(a.shape) != tuple(b.shape):
        msg = (
            f"`{names[0]}` and `{names[1]}` must have the same shape; "
            f"got {tuple(a.shape)} and {tuple(b.shape)}"
        )
        raise ValueError(msg)


def check_broadcastable(x: Any, shape: tuple[int, ...], name: str, target_name: str = "input") -> None:
    """``x`` must broadcast to ``shape`` without changing ``shape``."""
    if x is None:
        return
    xs = tuple(x.shape)
    ok = len(xs) <= len(shape) and all(
        a == 1 or a == b for a, b in zip(reversed(xs), reversed(shape))
    )
    if not ok:
        msg = f"`{name}` of shape {xs} does not broadcast to the shape of `{target_name}` {tuple(shape)}"
        raise ValueError(msg)


def check_class_layout(input: Any, target: Any, *, probabilities: bool) -> None:
    """Check the (N, C, d1, ..., dK) / (C,) layout shared by nll_loss and cross_entropy."""
    shape, tshape = tuple(input.shape), tuple(target.shape)
    if len(shape) == 0:
        msg = "`input` must have a class axis: shape (C,) or (N, C, d1, ..., dK); got a 0-d array"
        raise ValueError(msg)
    if probabilities:
        if tshape != shape:
            msg = (
                "`target` of class probabilities must have the shape of `input` "
                f"{shape}; got {tshape}"
            )
            raise ValueError(msg)
        return
    expected = () if len(shape) == 1 else (shape[0], *shape[2:])
    if tshape != expected:
        msg = (
            f"`target` of class indices must have shape {expected} for `input` of shape "
            f"{shape} (class axis {0 if len(shape) == 1 else 1} removed); got {tshape}"
        )
        raise ValueError(msg)


def check_class_weight(weight: Any, n_classes: int) -> None:
    if weight is None:
        return
    if tuple(weight.shape) != (n_classes,):
        msg = f"`weight` must be a 1-d array of one weight per class, shape ({n_classes},); got {tuple(weight.shape)}"
        raise ValueError(msg)


def check_in_range(value: Any, name: str, lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False) -> float:
    """A scalar option must be a real number within [lo, hi] (ends open when asked)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"`{name}` must be a real number; got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    value = float(value)
    below = value <= lo if lo_open else value < lo
    above = value >= hi if hi_open else value > hi
    if math.isnan(value) or below or above:
        left, right = "(" if lo_open else "[", ")" if hi_open else "]"
        msg = f"`{name}` must be in {left}{lo:g}, {hi:g}{right}; got {value!r}"
        raise ValueError(msg)
    return value


def check_values(xp: Any, ok: Any, *arrays: Any, message: str, error: type[Exception] = ValueError) -> Any:
    """Raise ``error(message)`` unless every element of the boolean array ``ok`` is true.

    When any of ``arrays`` is lazy or traced the values cannot be read now: nothing is
    computed, and ``ok`` is returned so that the caller can :func:`poison` the result
    (NaN where the input was invalid) instead of returning something silently wrong.
    Returns ``None`` once the check has passed.
    """
    if not is_concrete(*arrays):
        return ok
    if not bool(xp.all(ok)):
        raise error(message)
    return None


def poison(xp: Any, values: Any, ok: Any) -> Any:
    """``values`` with NaN where ``ok`` is false; ``ok=None`` (already checked) is a no-op."""
    return values if ok is None else xp.where(ok, values, xp.nan)


def check_probabilities(xp: Any, x: Any, name: str, *, upper: bool = True) -> Any:
    """Every value of ``x`` must be a probability in [0, 1] (only >= 0 when ``upper`` is False).

    A data check through :func:`check_values` (NaN fails it); returns what that
    returns, for :func:`poison` when ``x`` is lazy or traced.
    """
    if upper:
        ok, expected = (x >= 0) & (x <= 1), "probabilities in [0, 1]"
    else:
        ok, expected = x >= 0, "non-negative values"
    return check_values(xp, ok, x, message=f"`{name}` must hold {expected}; got values outside that range")


def check_axis(axis: Any, ndim: int, name: str = "axis") -> None:
    if axis is None:
        return
    axes = axis if isinstance(axis, tuple) else (axis,)
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, int):
            msg = f"`{name}` must be an int or a tuple of ints; got {axis!r}"
            raise TypeError(msg)
        if not -ndim <= a < max(ndim, 1):
            msg = f"`{name}` {a} is out of range for an array of {ndim} dimension(s)"
            raise IndexError(msg)
