"""Stable elementwise and log-domain building blocks: sigmoid, softplus, logsumexp, softmax."""

from __future__ import annotations

import math

from typing import Any

from ._validation import check_axis, check_real_floating
from ._xp import compute_dtype, device, finish, namespace

__all__ = ["sigmoid", "log_sigmoid", "softmax", "log_softmax", "logsumexp"]


# -- private helpers: arrays already in the compute dtype, xp given -----------------


def _softplus(xp: Any, t: Any) -> Any:
    # log(1 + exp(t)) = max(t, 0) + log1p(exp(-|t|)): exp never overflows, and for
    # t << 0 the result is log1p(exp(t)) ~ exp(t) with full relative accuracy.
    # max(t, 0) and |t| are spelled as one where() per side so that autograd
    # differentiates one smooth branch: softplus'(0) = 1/2 on every backend
    # (abs'(0) is 0 in torch but 1 in JAX, which gave 0 there).
    pos = t >= 0
    return xp.where(pos, t, 0) + xp.log1p(xp.exp(xp.where(pos, -t, t)))


def _sigmoid(xp: Any, x: Any) -> Any:
    # 1 / (1 + exp(-x)) for x >= 0, exp(x) / (1 + exp(x)) for x < 0: only exp(-|x|) is formed.
    # -|x| as where(): torch's abs'(0) = 0 would make sigmoid'(0) = 0 instead of 1/4.
    e = xp.exp(xp.where(x >= 0, -x, x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _exp_shifted(xp: Any, x: Any, m: Any) -> Any:
    """``exp(x - shift)`` with ``shift = m`` where ``m`` is finite, else 0.

    ``x - m`` can overflow to ``-inf`` (``-3e38 - 3e38`` in float32): the right answer
    after ``exp`` (0), but NumPy warns. Clamping ``x`` at ``m - max`` (formed only
    where ``m > 0``, so it cannot overflow itself) keeps the difference finite.
    """
    shift = xp.where(xp.isfinite(m), m, 0)
    floor = xp.where(shift > 0, shift - xp.finfo(x.dtype).max, -xp.finfo(x.dtype).max)
    return xp.exp(xp.maximum(x, floor) - shift)


def _lse_parts(xp: Any, x: Any, axis: Any) -> tuple[Any, Any]:
    """Split ``logsumexp(x, axis) = m + tail`` with ``m = max(x)``, both kept with ``keepdims``.

    ``tail = log1p(sum_{j != argmax} exp(x_j - m))`` is computed with ``log1p`` after
    pulling one maximal term out (scipy.special.logsumexp does the same), so
    ``lse - x_max`` -- a confident cross entropy -- keeps full relative accuracy
    instead of rounding to 0. Rows whose maximum is infinite (all ``-inf``, or a
    ``+inf``) are shifted by 0 instead so that no ``inf - inf`` is formed.
    """
    if math.prod(x.shape) == 0:
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
    rest = xp.sum(xp.where(is_max, 0, _exp_shifted(xp, x, m)), axis=axis, keepdims=True)
    return m, xp.log1p(rest + (n_max - 1))


def _logsumexp(xp: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    m, tail = _lse_parts(xp, x, axis)
    out = m + tail
    if not keepdims:
        out = xp.squeeze(out, axis=axis) if axis is not None else xp.reshape(out, ())
    return out


def _log_softmax(xp: Any, x: Any, axis: int) -> Any:
    m, tail = _lse_parts(xp, x, axis)
    return (x - m) - tail


def _softmax(xp: Any, x: Any, axis: int) -> Any:
    if math.prod(x.shape) == 0:  # nothing to normalise; NumPy and Dask cannot take the max of an empty axis
        return x + 0  # a fresh (empty) array, still on the autograd graph
    e = _exp_shifted(xp, x, xp.max(x, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


# -- public functions ----------------------------------------------------------------


def _prepare(x: Any, name: str = "x") -> tuple[Any, Any, Any]:
    xp = namespace(x)
    check_real_floating(xp, x, name)
    dtype = x.dtype
    work = compute_dtype(xp, dtype)
    return xp, (xp.astype(x, work) if work != dtype else x), dtype


def sigmoid(x: Any, /) -> Any:
    r"""Logistic sigmoid, evaluated without overflow.

    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}}

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> pl.sigmoid(np.asarray([-2.0, 0.0, 2.0])).round(4)
    array([0.1192, 0.5   , 0.8808])
    """
    xp, x, dtype = _prepare(x)
    return finish(xp, _sigmoid(xp, x), dtype)


def log_sigmoid(x: Any, /) -> Any:
    r"""Log of the sigmoid, accurate for large ``|x|``.

    .. math:: \log\sigma(x) = -\operatorname{softplus}(-x) = \min(x, 0) - \log(1 + e^{-|x|})

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> pl.log_sigmoid(np.asarray([-800.0, 0.0, 40.0]))
    array([-8.00000000e+02, -6.93147181e-01, -4.24835426e-18])
    """
    xp, x, dtype = _prepare(x)
    return finish(xp, -_softplus(xp, -x), dtype)


def logsumexp(x: Any, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
    r"""Log of the sum of exponentials along ``axis`` (all axes when ``None``).

    .. math:: \operatorname{LSE}(x) = m + \log\Bigl(1 + \sum_{j \ne j^*} e^{x_j - m}\Bigr),
              \quad m = x_{j^*} = \max_j x_j

    Never overflows; an all ``-inf`` slice (and an empty one) gives ``-inf``.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> float(pl.logsumexp(np.asarray([1000.0, 1001.0, 1002.0])))  # doctest: +ELLIPSIS
    1002.4076059644...
    """
    xp, x, dtype = _prepare(x)
    check_axis(axis, x.ndim)
    if not isinstance(keepdims, bool):
        msg = f"`keepdims` must be a bool; got {type(keepdims).__name__} {keepdims!r}"
        raise TypeError(msg)
    axes = tuple(range(x.ndim)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    return finish(xp, _logsumexp(xp, x, axes, keepdims), dtype)


def log_softmax(x: Any, /, *, axis: int = -1) -> Any:
    r"""Log of the softmax along ``axis``.

    .. math:: \log\operatorname{softmax}(x)_i = x_i - \operatorname{LSE}(x)

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> pl.log_softmax(np.asarray([-0.8956, 1.1171, 1.3302])).round(4)
    array([-2.8761, -0.8634, -0.6503])
    """
    xp, x, dtype = _prepare(x)
    check_axis(axis, x.ndim, single=True)
    return finish(xp, _log_softmax(xp, x, axis), dtype)


def softmax(x: Any, /, *, axis: int = -1) -> Any:
    r"""Softmax along ``axis``, shifted by the maximum so that nothing overflows.

    .. math:: \operatorname{softmax}(x)_i = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}}, \quad m = \max_j x_j

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> pl.softmax(np.asarray([[-0.2869, 0.8709, -1.0575]]), axis=1).round(4)
    array([[0.2153, 0.6851, 0.0996]])
    """
    xp, x, dtype = _prepare(x)
    check_axis(axis, x.ndim, single=True)
    return finish(xp, _softmax(xp, x, axis), dtype)
