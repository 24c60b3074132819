"""Input validation: one helper per concern, shared by every loss.

Shape, dtype and option checks are static and always run. Checks that look at
array *values* go through :func:`check_values`, which skips arrays whose values
are not available (JAX tracers, Dask graphs, PyTorch meta tensors), so the math
itself never branches on data.
"""

from __future__ import annotations

import math
import numbers
import sys
import warnings
from collections.abc import Callable
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
    "check_nonnegative",
    "check_axis",
    "LikelyMistakeWarning",
    "check_log_probabilities",
    "warn_if_probability_rows",
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
        msg = f"`{name}` must broadcast to the shape of `{target_name}` {tuple(shape)}; got shape {xs}"
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
    """A scalar option must be a real number within [lo, hi] (ends open when asked).

    Python and NumPy real scalars are accepted (``np.float32(0.1)`` from a config);
    bools, strings and arrays (even 0-d) are not. Returns the value as a ``float``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
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


def check_values(
    xp: Any,
    ok: Any,
    *arrays: Any,
    message: str | Callable[[], str],
    error: type[Exception] = ValueError,
    warning: type[Warning] | None = None,
) -> Any:
    """Raise ``error(message)`` unless every element of the boolean array ``ok`` is true.

    When any of ``arrays`` is lazy or traced the values cannot be read now: nothing is
    computed, and ``ok`` is returned so that the caller can :func:`poison` the result
    (NaN where the input was invalid) instead of returning something silently wrong.
    Returns ``None`` once the check has passed. With ``warning``, a failed check warns
    (pointing at the caller's code) instead of raising. ``message`` may be a callable,
    called only when the check fails (to report, say, the offending value).
    """
    # ``ok`` too: under jax.jit an array closed over by the traced function is concrete,
    # but what is computed from it inside the trace is a tracer
    if not is_concrete(ok, *arrays):
        return ok
    if not bool(xp.all(ok)):
        text = message() if callable(message) else message
        if warning is None:
            raise error(text)
        warnings.warn(text, warning, stacklevel=_caller_stacklevel())
    return None


class LikelyMistakeWarning(UserWarning):
    """An input looks like a classic mistake (e.g. softmax applied before ``cross_entropy``).

    Raised as a warning only where the input could still be legitimate; silence it for
    one call with ``detect_mistakes=False``, everywhere with
    ``polyloss.set_options(detect_mistakes=False)``, or with the ``warnings`` filters.
    """


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside polyloss."""
    frame, level = sys._getframe(1), 1  # the caller of warnings.warn is level 1
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == "polyloss":
        frame, level = frame.f_back, level + 1
    return level


def poison(xp: Any, values: Any, ok: Any) -> Any:
    """``values`` with NaN where ``ok`` is false; ``ok=None`` (already checked) is a no-op."""
    return values if ok is None else xp.where(ok, values, xp.nan)


def check_probabilities(xp: Any, x: Any, name: str, *, upper: bool = True) -> Any:
    """Every value of ``x`` must be a probability in [0, 1] (only >= 0 when ``upper`` is False).

    A data check through :func:`check_values` (NaN fails it); returns what that
    returns, for :func:`poison` when ``x`` is lazy or traced.
    """
    expected = "probabilities in [0, 1]" if upper else "non-negative values"
    ok = None
    if math.prod(x.shape) > 0 and is_concrete(x):
        # concrete: two reductions (NaN propagates and fails) instead of boolean temporaries
        # (on torch, amin + amax is faster than aminmax)
        lo, hi = xp.min(x), xp.max(x)
        ok = (lo >= 0) & (hi <= 1) if upper else lo >= 0
        if not is_concrete(ok):
            ok = None  # x closed over by jax.jit is traced after all: poison needs the elementwise mask
    if ok is None:
        ok = (x >= 0) & (x <= 1) if upper else x >= 0
    return check_values(xp, ok, x, message=f"`{name}` must hold {expected}; got values outside that range")


def check_nonnegative(xp: Any, x: Any, name: str) -> Any:
    """Every value of ``x`` (a weight) must be >= 0; NaN passes and propagates to the loss.

    A negative weight turns a loss into a gain that training drives to minus infinity.
    A data check through :func:`check_values`: returns what that returns, for :func:`poison`.
    """
    if x is None:
        return None
    return check_values(xp, ~(x < 0), x, message=f"`{name}` must be non-negative; got a negative value")


def check_axis(axis: Any, ndim: int, name: str = "axis", *, single: bool = False) -> None:
    """``axis`` must be None, an int or a tuple of distinct ints within range (``single``: an int)."""
    if single and (isinstance(axis, bool) or not isinstance(axis, int)):
        msg = f"`{name}` must be an int; got {type(axis).__name__} {axis!r}"
        raise TypeError(msg)
    if axis is None:
        return
    axes = axis if isinstance(axis, tuple) else (axis,)
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, int):
            msg = f"`{name}` must be an int or a tuple of ints; got {axis!r}"
            raise TypeError(msg)
        if not -ndim <= a < max(ndim, 1):
            msg = (
                f"`{name}` {a} is out of range for an array of {ndim} dimension(s); "
                f"expected {-ndim} <= {name} < {max(ndim, 1)}, got {a}"
            )
            raise IndexError(msg)
    if len({a % max(ndim, 1) for a in axes}) < len(axes):
        msg = f"`{name}` must name each axis at most once; got {axis!r}"
        raise ValueError(msg)


# -- classic input mistakes (switched by the ``detect_mistakes`` option) ---------------


def _slack(xp: Any, x: Any, ulps: float) -> float:
    """Rounding slack for values computed in ``x``'s dtype: ``ulps`` units of its epsilon."""
    return ulps * float(xp.finfo(x.dtype).eps)


def check_log_probabilities(xp: Any, x: Any, name: str, function: str) -> None:
    """``x`` must hold log-probabilities: no positive value (beyond rounding; NaN passes).

    A positive value means probabilities (``softmax`` output) or raw logits were passed.
    Never runs on lazy or traced arrays, and never changes a result.
    """
    tol = _slack(xp, x, 8)  # log(p) of a p rounded up to 1 + eps stays below this

    def message() -> str:
        largest = float(xp.max(x))
        return (
            f"`{name}` of {function} must be log-probabilities (values <= 0), such as the "
            f"output of log_softmax; got positive values (largest {largest:.6g}). Likely "
            "mistake: probabilities (softmax output) or logits were passed. Fix: pass logits "
            f"to cross_entropy instead, or apply log_softmax first; pass detect_mistakes=False "
            "to skip this check"
        )

    check_values(xp, ~(x > tol), x, message=message)


def warn_if_probability_rows(xp: Any, x: Any, axis: int, function: str) -> None:
    """Warn when every slice of ``x`` along the class ``axis`` is in [0, 1] and sums to 1.

    Such an ``x`` is almost surely softmax output passed where logits belong. The first
    sample is checked first, so logits cost one small look; never runs on lazy or
    traced arrays, and never changes a result.
    """
    n_classes = x.shape[axis]
    if n_classes < 2 or math.prod(x.shape) == 0 or not is_concrete(x):
        return
    # sum over C values each within 1 ulp: |sum - 1| <= C eps, doubled for the producer's rounding
    tol = _slack(xp, x, 2 * n_classes)

    def looks_like_probabilities(v: Any, ax: int) -> Any:
        rows = xp.sum(v, axis=ax)
        return xp.all((v >= 0) & (v <= 1)) & xp.all(xp.abs(rows - 1) <= tol)

    if axis > 0 and x.shape[0] > 1:
        first = x[0, ...]
        lowest = xp.min(first)  # logits almost always have a negative value: one reduction decides
        if not is_concrete(lowest) or not bool(lowest >= 0) or not bool(looks_like_probabilities(first, axis - 1)):
            return  # traced (a constant inside jax.jit), or the first sample has a row of logits
    check_values(
        xp, ~looks_like_probabilities(x, axis), x,
        message=(
            f"`input` of {function} should be unnormalised logits, but every row along the class "
            f"axis is in [0, 1] and sums to 1: it looks like probabilities. Likely mistake: "
            f"softmax applied before {function}, which applies log_softmax itself (so the "
            f"softmax is applied twice and gradients shrink). Fix: pass the logits; pass "
            "detect_mistakes=False to silence this warning"
        ),
        warning=LikelyMistakeWarning,
    )
