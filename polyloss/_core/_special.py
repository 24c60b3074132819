"""Stable elementwise and log-domain building blocks (arrays already in the compute dtype).

The accuracy rule every cross-entropy kernel shares lives here: ``log S`` with
``S = sum_j exp(x_j - max)`` rounds away the tail of a confident row when ``S < 2``
(``[0, -40]`` gives 0 instead of 4.25e-18), so there the tail is ``log1p`` of the
non-maximal terms (:func:`log_of_sum`); rows whose maximum is not finite take
:func:`lse_parts`, which shifts them by 0. Native kernels (``polyloss._kernels``) test
``needs_log1p(S)`` and fall back to :func:`lse_parts` for the rows that need it.
"""

from __future__ import annotations

import math

from ._types import Array, Namespace
from ._xp import device, is_empty

__all__ = [
    "at_least",
    "at_most",
    "softplus",
    "sigmoid",
    "exp_shifted",
    "lse_parts",
    "log_of_sum",
    "needs_log1p",
    "logsumexp",
    "log_softmax",
    "softmax",
]

#: Below this ``S = 1 + rest``, ``log S`` loses the digits of ``rest``: use ``log1p(rest)``.
#: (At ``S >= 2``, ``log S`` is within a factor 1.44 of ``log1p``'s error bound.)
LOG1P_BELOW = 2.0



def at_least(xp: Namespace, x: Array, lo: float | Array) -> Array:
    """``clip(x, min=lo)``, NaN kept: a ``where``, which survives what ``clip`` and ``maximum``
    do not (array-api-compat's Dask ``clip`` broadcasts its bounds to an unknown shape; its
    torch ``maximum`` with a Python number breaks a ``torch.compile(fullgraph=True)`` graph);
    the gradient at ``x == lo`` is 1, as ``clip``'s."""
    return xp.where(x < lo, lo, x)


def at_most(xp: Namespace, x: Array, hi: float | Array) -> Array:
    """``clip(x, max=hi)``, NaN kept (see :func:`at_least`)."""
    return xp.where(x > hi, hi, x)

def needs_log1p(s: Array) -> Array:
    """Where ``log S`` would round the tail away: ``S < 2``, or NaN (a non-finite maximum)."""
    return ~(s >= LOG1P_BELOW)


def log_of_sum(xp: Namespace, s: Array, rest: Array) -> Array:
    """``log S`` for ``S = 1 + rest`` (the maximal term is 1): ``log1p(rest)`` where it matters."""
    return xp.where(needs_log1p(s), xp.log1p(rest), xp.log(s))


def softplus(xp: Namespace, t: Array) -> Array:
    # log(1 + exp(t)) = max(t, 0) + log1p(exp(-|t|)): exp never overflows, and for
    # t << 0 the result is log1p(exp(t)) ~ exp(t) with full relative accuracy.
    # max(t, 0) and |t| are spelled as one where() per side so that autograd
    # differentiates one smooth branch: softplus'(0) = 1/2 on every backend
    # (abs'(0) is 0 in torch but 1 in JAX, which gave 0 there).
    pos = t >= 0
    return xp.where(pos, t, 0) + xp.log1p(xp.exp(xp.where(pos, -t, t)))


def sigmoid(xp: Namespace, x: Array) -> Array:
    # 1 / (1 + exp(-x)) for x >= 0, exp(x) / (1 + exp(x)) for x < 0: only exp(-|x|) is formed.
    # -|x| as where(): torch's abs'(0) = 0 would make sigmoid'(0) = 0 instead of 1/4.
    e = xp.exp(xp.where(x >= 0, -x, x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def exp_shifted(xp: Namespace, x: Array, m: Array) -> Array:
    """``exp(x - shift)`` with ``shift = m`` where ``m`` is finite, else 0.

    ``x - m`` can overflow to ``-inf`` (``-3e38 - 3e38`` in float32): the right answer
    after ``exp`` (0), but NumPy warns. Clamping ``x`` at ``m - max`` (formed only
    where ``m > 0``, so it cannot overflow itself) keeps the difference finite.
    """
    shift = xp.where(xp.isfinite(m), m, 0)
    floor = xp.where(shift > 0, shift - xp.finfo(x.dtype).max, -xp.finfo(x.dtype).max)
    return xp.exp(xp.maximum(x, floor) - shift)


def lse_parts(xp: Namespace, x: Array, axis: int | tuple[int, ...]) -> tuple[Array, Array]:
    """Split ``logsumexp(x, axis) = m + tail`` with ``m = max(x)``, both kept with ``keepdims``.

    ``tail = log1p(sum_{j != argmax} exp(x_j - m))`` is computed with ``log1p`` after
    pulling one maximal term out (scipy.special.logsumexp does the same), so
    ``lse - x_max`` -- a confident cross entropy -- keeps full relative accuracy
    instead of rounding to 0. Rows whose maximum is infinite (all ``-inf``, or a
    ``+inf``) are shifted by 0 instead so that no ``inf - inf`` is formed.
    """
    if is_empty(x):
        # Nothing to reduce (an empty sum is log 0 = -inf), or an empty batch. Decided
        # from the static shape: Dask cannot take the max of an empty array.
        axes = (axis,) if isinstance(axis, int) else axis
        axes = {a % x.ndim for a in axes}
        shape = tuple(1 if i in axes else s for i, s in enumerate(x.shape))
        m = xp.full(shape, -xp.inf, dtype=x.dtype, device=device(x))
        return m, xp.zeros_like(m)
    m = xp.max(x, axis=axis, keepdims=True)
    is_max = x == m
    n_max = xp.sum(xp.astype(is_max, x.dtype), axis=axis, keepdims=True)
    rest = xp.sum(xp.where(is_max, 0, exp_shifted(xp, x, m)), axis=axis, keepdims=True)
    return m, xp.log1p(rest + (n_max - 1))


def logsumexp(xp: Namespace, x: Array, axis: int | tuple[int, ...], keepdims: bool) -> Array:
    m, tail = lse_parts(xp, x, axis)
    out = m + tail
    if not keepdims:
        out = xp.squeeze(out, axis=axis) if axis is not None else xp.reshape(out, ())
    return out


def log_softmax(xp: Namespace, x: Array, axis: int) -> Array:
    m, tail = lse_parts(xp, x, axis)
    return (x - m) - tail


def softmax(xp: Namespace, x: Array, axis: int) -> Array:
    if is_empty(x):  # nothing to normalise; NumPy and Dask cannot take the max of an empty axis
        return x + 0  # a fresh (empty) array, still on the autograd graph
    e = exp_shifted(xp, x, xp.max(x, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)
