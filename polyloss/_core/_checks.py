"""Checks: static checks that raise inline, and one object for the checks on values.

Static checks (shape, dtype, options) are plain functions that raise at once.

Checks on array *values* are declared on a :class:`Checks` object, once per argument,
and that object alone decides what happens (``docs/architecture.md``, "How checks work"):

* values readable now (NumPy, eager torch and JAX): inspect them and raise a clear error
  naming the argument, the rule, the first offending value and its position;
* values not readable now (JAX tracers, Dask graphs, torch meta tensors): never read them;
  an invalid element turns what it touches into NaN instead -- a float argument is
  returned with NaN where it is invalid (so NaN follows the math to exactly the outputs
  it touches), and other checks (class indices, boxes, labels) poison the unreduced loss
  when the loss passes through :meth:`Checks.result`.

The math never sees validation state: it receives (possibly NaN-poisoned) arguments and
returns a loss. ``Checks(xp, value_checks)`` takes the call's policy (the per-call keyword;
``None``: the ``value_checks`` option): ``"raise"`` reads values wherever they are readable,
``"defer"`` never reads them, ``"off"`` checks nothing, ``"auto"`` reads them only for host
data outside any transform (:func:`~polyloss._core._xp.on_host_eager`).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable
from typing import Any

from ._config import resolve
from ._types import Array, Namespace
from ._classes import as_index
from ._xp import is_concrete, is_empty, known, may_equal, min_max, on_host_eager, scalar, shapes_match

__all__ = [
    "Checks",
    "LikelyMistakeWarning",
    "check_axis",
    "check_broadcastable",
    "check_class_layout",
    "check_class_weight",
    "check_in_range",
    "check_integer",
    "check_known_classes",
    "check_real_floating",
    "check_same_shape",
    "warn_if_probability_rows",
    "check_log_probabilities",
]

def _dtype_name(x: Array) -> str:
    return str(x.dtype).rsplit(".", 1)[-1]


def check_real_floating(xp: Namespace, x: Array, name: str) -> None:
    if x is None:
        return
    if not xp.isdtype(x.dtype, "real floating"):
        msg = f"`{name}` must be a real floating-point array; got dtype {_dtype_name(x)}"
        raise TypeError(msg)


def check_integer(xp: Namespace, x: Array, name: str) -> None:
    if not xp.isdtype(x.dtype, "integral"):
        msg = f"`{name}` must be an integer array of class indices; got dtype {_dtype_name(x)}"
        raise TypeError(msg)


def check_same_shape(a: Any, b: Any, names: tuple[str, str]) -> None:
    if not shapes_match(tuple(a.shape), tuple(b.shape)):
        msg = (
            f"`{names[0]}` and `{names[1]}` must have the same shape; "
            f"got {tuple(a.shape)} and {tuple(b.shape)}"
        )
        raise ValueError(msg)


def check_broadcastable(x: Array, shape: tuple[int, ...], name: str, target_name: str = "input") -> None:
    """``x`` must broadcast to ``shape`` without changing ``shape`` (unknown entries pass)."""
    if x is None:
        return
    xs = tuple(x.shape)
    if not _broadcasts(xs, tuple(shape)):
        msg = f"`{name}` must broadcast to the shape of `{target_name}` {tuple(shape)}; got shape {xs}"
        raise ValueError(msg)


def check_class_layout(input: Any, target: Any, *, probabilities: bool) -> None:
    """Check the (N, C, d1, ..., dK) / (C,) layout shared by nll_loss and cross_entropy."""
    shape, tshape = tuple(input.shape), tuple(target.shape)
    if len(shape) == 0:
        msg = "`input` must have a class axis: shape (C,) or (N, C, d1, ..., dK); got a 0-d array"
        raise ValueError(msg)
    check_known_classes(shape[0 if len(shape) == 1 else 1], "input", shape)
    if probabilities:
        if not shapes_match(tshape, shape):
            msg = (
                "`target` of class probabilities must have the shape of `input` "
                f"{shape}; got {tshape}"
            )
            raise ValueError(msg)
        return
    expected = () if len(shape) == 1 else (shape[0], *shape[2:])
    if not shapes_match(tshape, expected):
        msg = (
            f"`target` of class indices must have shape {expected} for `input` of shape "
            f"{shape} (class axis {0 if len(shape) == 1 else 1} removed); got {tshape}"
        )
        raise ValueError(msg)


def check_known_classes(n_classes: Any, name: str, shape: tuple[Any, ...]) -> None:
    """The number of classes must be known (other sizes may be ``None`` or ``nan``): it is
    the range of the class indices and the denominator of label smoothing."""
    if not known(n_classes):
        msg = (
            f"the class axis of `{name}` must have a known length (the number of classes); got "
            f"shape {shape}. Declare it in the graph input's shape (e.g. ndx.argument(shape=(\"N\", 10), ...))"
        )
        raise ValueError(msg)


def check_class_weight(weight: Any, n_classes: int) -> None:
    if weight is None:
        return
    if not shapes_match(tuple(weight.shape), (n_classes,)):
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




# -- checks on values ------------------------------------------------------------------


class Checks:
    """The value checks of one call: raise now, or poison the result (see the module docstring).

    Parameters
    ----------
    xp : the call's array namespace.
    value_checks : {"raise", "defer", "off", "auto"} or None
        The call's policy (``None``: the ``value_checks`` option). ``"raise"``: read the
        values wherever they are readable (not for JAX tracers, Dask graphs, meta
        tensors) and raise; ``"defer"``: never read a value (no host sync, no Python
        branch on data), poison instead; ``"off"``: check nothing, record nothing;
        ``"auto"``: ``"raise"`` where :func:`~polyloss._core._xp.on_host_eager` holds for
        the arrays of a check, ``"defer"`` elsewhere.
    """

    def __init__(self, xp: Namespace, value_checks: str | None = None) -> None:
        self.xp = xp
        self.policy = resolve("value_checks", value_checks)
        self.off = self.policy == "off"
        self._pending: list[Array] = []  # deferred masks, applied by result()

    # -- the decision, in one place ---------------------------------------------------

    def reads(self, *arrays: Array | None) -> bool:
        """Whether the values of ``arrays`` may be read on the host now (a sync on a device).

        Also what the kernel registry asks before a native kernel that reads values
        (``"off"`` decides as ``"auto"``: no check, but no sync where ``"auto"`` avoids one).
        """
        if self.policy == "defer":
            return False
        if self.policy == "raise":
            return is_concrete(*arrays)
        return on_host_eager(*arrays)

    def deferred(self, *arrays: Array | None) -> bool:
        """Whether checks on ``arrays`` do not read values now (traced, lazy, policy, or off)."""
        return self.off or not self.reads(*arrays)

    def require(
        self,
        ok: Array,
        *arrays: Array | None,
        message: str | Callable[[], str],
        error: type[Exception] = ValueError,
        values: Array | None = None,
        defer: bool | None = None,
    ) -> Array | None:
        """Every element of the boolean ``ok`` (computed from ``arrays``) must be true.

        Read now: raise ``error`` with ``message`` and, when ``values`` (shaped like
        ``ok``) is given, the first offending value, its position and the count of
        offenders; returns ``None``. Deferred: the mask is kept for :meth:`result` and
        returned, for the rare caller that must also keep invalid values out of its math
        (a stand-in where the math itself would fail). ``defer=True`` defers this one check
        whatever the arrays (``detect_mistakes=False``: its values are never read).
        """
        if self.off:
            return None
        # ``ok`` too: under jax.jit an array closed over by the traced function is
        # concrete, but what is computed from it inside the trace is a tracer
        if defer or self.deferred(ok, *arrays):
            self._pending.append(ok)
            return ok
        if not bool(self.xp.all(ok)):
            raise error(self._describe(ok, message, values))
        return None

    def result(self, loss: Array) -> Array:
        """``loss`` (unreduced) with NaN wherever a deferred check failed.

        A mask that broadcasts to ``loss`` poisons element by element; one that shares only
        the batch axis (a per-pixel target of a per-class loss) poisons its samples; any
        other (a per-class weight) poisons all of it.
        """
        xp = self.xp
        for ok in self._pending:
            if not _broadcasts(tuple(ok.shape), tuple(loss.shape)):
                if ok.ndim and loss.ndim and shapes_match((ok.shape[0],), (loss.shape[0],)):
                    ok = xp.all(ok, axis=tuple(range(1, ok.ndim)))
                    ok = ok[(slice(None),) + (None,) * (loss.ndim - 1)]
                else:
                    ok = xp.all(ok)
            loss = xp.where(ok, loss, xp.nan)
        return loss

    def _describe(self, ok: Array, message: str | Callable[[], str], values: Array | None) -> str:
        """The error text: ``message``, then the first offender (its value, when ``values``
        is given, and position) and how many there are. Runs on the error path only."""
        text = message() if callable(message) else message
        xp = self.xp
        bad = xp.reshape(~ok, (-1,))
        count = int(xp.sum(xp.astype(bad, xp.int32)))
        first = int(xp.argmax(xp.astype(bad, xp.int8)))
        where = f" at position {_unravel(first, tuple(ok.shape))}" if ok.ndim else ""
        more = f" ({count} in all)" if count > 1 else ""
        if values is None:
            return f"{text}{where}{more}"
        value = xp.reshape(values, (-1,))[first]
        value = int(value) if xp.isdtype(value.dtype, "integral") else float(value)
        got = f"{value!r}{where}{more}"
        return text.replace("{got}", got) if "{got}" in text else f"{text}; got {got}"

    # -- one declaration per argument -------------------------------------------------

    def argument(self, x: Array, ok: Array, name: str, rule: str, *, error: type[Exception] = ValueError) -> Array:
        """``x`` itself when ``ok`` holds everywhere (read now), else raise; deferred: ``x``
        with NaN where ``ok`` is false (float arguments only); ``"off"``: ``x``."""
        if self.off:
            return x
        if self.deferred(ok, x):
            return self.xp.where(ok, x, self.xp.nan)
        if not bool(self.xp.all(ok)):
            raise error(self._describe(ok, f"`{name}` {rule}", x))
        return x

    def probabilities(self, x: Array, name: str, *, upper: bool = True, rule: str | None = None) -> Array:
        """Every value of ``x`` must be a probability in [0, 1] (only >= 0 when ``upper`` is
        False); NaN fails. Returns ``x`` (NaN where invalid when deferred)."""
        xp = self.xp
        if self.off:
            return x
        rule = rule or ("must hold probabilities in [0, 1]" if upper else "must hold non-negative values")
        if not self.deferred(x) and not is_empty(x):
            # readable: two reductions (NaN propagates and fails) instead of boolean temporaries
            lo, hi = min_max(xp, x) if upper else (xp.min(x), None)
            # under jax.jit a closed-over array is concrete but what is computed from it is a tracer
            if is_concrete(lo, hi) and scalar(lo) >= 0 and (hi is None or scalar(hi) <= 1):  # NaN fails
                return x
        return self.argument(x, (x >= 0) & (x <= 1) if upper else x >= 0, name, rule)

    def nonnegative(self, x: Array | None, name: str) -> Array | None:
        """Every value of the weight ``x`` must be >= 0; NaN passes and propagates to the loss.

        A negative weight turns a loss into a gain that training drives to minus infinity.
        """
        if x is None:
            return None
        return self.argument(x, ~(x < 0), name, "must be non-negative")

    def class_indices(self, target: Array, n_classes: int, ignore_index: int | None = None, name: str = "target") -> bool:
        """Integer class indices must be in [0, n_classes) or equal ``ignore_index``.

        Returns whether every target is known to count (in range, none ignored): then the
        caller needs no masks. Only a read (never in ``"defer"``) can tell: deferred, the
        masks are built and an invalid index poisons its position of the per-position loss
        in :meth:`result`; ``"off"``: masks, no check.
        """
        xp = self.xp
        target = as_index(xp, target)  # any integer dtype (torch reduces no uint16/32/64)
        if self.off:
            return False
        none_ignored = ignore_index is None or not 0 <= ignore_index < n_classes
        if none_ignored and not self.deferred(target) and not is_empty(target):
            lo, hi = min_max(xp, target)
            # under jax.jit a closed-over target is concrete but what is computed from it is a tracer
            if is_concrete(lo, hi) and 0 <= int(lo) and int(hi) < n_classes:
                return True
        ok = (target >= 0) & (target < n_classes)
        if ignore_index is not None:
            ok = ok | (target == ignore_index)
        rule = f"`{name}` must be class indices in [0, {n_classes - 1}]"
        if ignore_index is not None:
            rule += f" or equal `ignore_index` ({ignore_index})"
        self.require(ok, target, message=rule, error=IndexError, values=target)
        return False

    def warn_unless(self, ok: Callable[[], Array], *arrays: Array, message: str) -> None:
        """A likely mistake: warn (:class:`LikelyMistakeWarning`, pointing at the caller's
        code) unless ``ok()`` holds. Only where values are readable; never changes a result."""
        if self.deferred(*arrays):
            return
        good = ok()
        if is_concrete(good) and not bool(self.xp.all(good)):
            # stacklevel: warn_unless <- the heuristic <- the public loss <- the caller's code
            warnings.warn(message, LikelyMistakeWarning, stacklevel=4)


def _broadcasts(shape: tuple[int, ...], to: tuple[int, ...]) -> bool:
    """Whether ``shape`` broadcasts to ``to``; an unknown entry on either side passes."""
    return len(shape) <= len(to) and all(
        (known(a) and a == 1) or may_equal(a, b) for a, b in zip(reversed(shape), reversed(to))
    )


def _unravel(index: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    position = []
    for size in reversed(shape):
        index, rest = divmod(index, size)
        position.append(rest)
    return tuple(reversed(position))


class LikelyMistakeWarning(UserWarning):
    """An input looks like a classic mistake (e.g. softmax applied before ``cross_entropy``).

    Raised as a warning only where the input could still be legitimate; silence it for
    one call with ``detect_mistakes=False``, everywhere with
    ``polyloss.set_options(detect_mistakes=False)``, or with the ``warnings`` filters.
    """


# -- classic input mistakes (switched by the ``detect_mistakes`` option) ---------------


def _slack(xp: Namespace, x: Array, ulps: float) -> float:
    """Rounding slack for values computed in ``x``'s dtype: ``ulps`` units of its epsilon."""
    return ulps * float(xp.finfo(x.dtype).eps)


def check_log_probabilities(checks: Checks, x: Array, name: str, function: str) -> None:
    """``x`` must hold log-probabilities: no positive value (beyond rounding; NaN passes).

    A positive value means probabilities (``softmax`` output) or raw logits were passed.
    Never runs on lazy or traced arrays, and never changes a result.
    """
    xp = checks.xp
    if checks.deferred(x):
        return
    tol = _slack(xp, x, 8)  # log(p) of a p rounded up to 1 + eps stays below this
    positive = x > tol  # NaN passes
    found = xp.any(positive)
    if not is_concrete(found) or not bool(found):
        return
    largest = xp.max(xp.where(positive, x, 0))
    msg = (
        f"`{name}` of {function} must be log-probabilities (values <= 0), such as the "
        f"output of log_softmax; got positive values (largest {float(largest):.6g}). Likely "
        "mistake: probabilities (softmax output) or logits were passed. Fix: pass logits "
        f"to cross_entropy instead, or apply log_softmax first; pass detect_mistakes=False "
        "to skip this check"
    )
    raise ValueError(msg)


def warn_if_probability_rows(checks: Checks, x: Array, axis: int, function: str) -> None:
    """Warn when every slice of ``x`` along the class ``axis`` is in [0, 1] and sums to 1.

    Such an ``x`` is almost surely softmax output passed where logits belong. The first
    sample is checked first, so logits cost one small look; never runs on lazy or
    traced arrays, and never changes a result.
    """
    xp = checks.xp
    n_classes = x.shape[axis]
    if checks.deferred(x) or not known(n_classes) or n_classes < 2 or is_empty(x):
        return
    if axis > 0 and known(x.shape[0]) and x.shape[0] > 1:
        lowest = xp.min(x[0, ...])  # logits almost always have a negative value: one reduction decides
        if not is_concrete(lowest) or not scalar(lowest) >= 0:
            return  # traced (a constant inside jax.jit), or the first sample has a logit below 0
    # sum over C values each within 1 ulp: |sum - 1| <= C eps, doubled for the producer's rounding
    tol = _slack(xp, x, 2 * n_classes)

    def looks_like_probabilities(v: Array, ax: int) -> Array:
        rows = xp.sum(v, axis=ax)
        return xp.all((v >= 0) & (v <= 1)) & xp.all(xp.abs(rows - 1) <= tol)

    if axis > 0 and known(x.shape[0]) and x.shape[0] > 1 and not bool(looks_like_probabilities(x[0, ...], axis - 1)):
        return  # the first sample has a row of logits
    checks.warn_unless(
        lambda: ~looks_like_probabilities(x, axis), x,
        message=(
            f"`input` of {function} should be unnormalised logits, but every row along the class "
            f"axis is in [0, 1] and sums to 1: it looks like probabilities. Likely mistake: "
            f"softmax applied before {function}, which applies log_softmax itself (so the "
            f"softmax is applied twice and gradients shrink). Fix: pass the logits; pass "
            "detect_mistakes=False to silence this warning"
        ),
    )
