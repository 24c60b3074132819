"""Public activations and log-domain functions: sigmoid, log_sigmoid, logsumexp, log_softmax, softmax."""

from __future__ import annotations

from .._core._checks import check_axis, check_real_floating
from .._core._special import log_softmax as _log_softmax
from .._core._special import logsumexp as _logsumexp
from .._core._special import sigmoid as _sigmoid
from .._core._special import softmax as _softmax
from .._core._special import softplus
from .._core._types import Array, Namespace
from .._core._xp import compute_dtype, finish, namespace

__all__ = ["sigmoid", "log_sigmoid", "softmax", "log_softmax", "logsumexp"]


def _prepare(x: Array) -> tuple[Namespace, Array, object]:
    xp = namespace(x=x)
    check_real_floating(xp, x, "x")
    dtype = x.dtype
    work = compute_dtype(xp, dtype)
    return xp, (xp.astype(x, work) if work != dtype else x), dtype


def sigmoid(x: Array, /) -> Array:
    r"""Logistic sigmoid, evaluated without overflow.

    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}}

    Parameters
    ----------
    x : Array
        Any shape; a real floating dtype (float16, bfloat16, float32, float64).

    Returns
    -------
    Array
        The shape and dtype of ``x`` (float16 and bfloat16 are computed in float32 and
        cast back).

    Raises
    ------
    TypeError
        If ``x`` is not an array of an array-API library, or not real floating.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> pl.sigmoid(np.asarray([-2.0, 0.0, 2.0])).round(4)
    array([0.1192, 0.5   , 0.8808])
    """
    xp, x, dtype = _prepare(x)
    return finish(xp, _sigmoid(xp, x), dtype)


def log_sigmoid(x: Array, /) -> Array:
    r"""Log of the sigmoid, accurate for large ``|x|``.

    .. math:: \log\sigma(x) = -\operatorname{softplus}(-x) = \min(x, 0) - \log(1 + e^{-|x|})

    Parameters
    ----------
    x : Array
        Any shape; a real floating dtype (float16, bfloat16, float32, float64).

    Returns
    -------
    Array
        The shape and dtype of ``x`` (float16 and bfloat16 are computed in float32 and
        cast back).

    Raises
    ------
    TypeError
        If ``x`` is not an array of an array-API library, or not real floating.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> pl.log_sigmoid(np.asarray([-800.0, 0.0, 40.0]))
    array([-8.00000000e+02, -6.93147181e-01, -4.24835426e-18])
    """
    xp, x, dtype = _prepare(x)
    return finish(xp, -softplus(xp, -x), dtype)


def logsumexp(x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Array:
    r"""Log of the sum of exponentials along ``axis`` (all axes when ``None``).

    .. math:: \operatorname{LSE}(x) = m + \log\Bigl(1 + \sum_{j \ne j^*} e^{x_j - m}\Bigr),
              \quad m = x_{j^*} = \max_j x_j

    Never overflows; an all ``-inf`` slice (and an empty one) gives ``-inf``.

    Parameters
    ----------
    x : Array
        Any shape, e.g. (N, C); a real floating dtype.
    axis : int or tuple of int or None
        The axes to reduce, each in ``[-x.ndim, x.ndim)`` and named once. ``None``
        (default): every axis.
    keepdims : bool
        Keep the reduced axes with length 1, so that the result broadcasts against
        ``x``.

    Returns
    -------
    Array
        ``x``'s shape without the axes in ``axis`` (0-d for ``axis=None``); with
        ``keepdims``, the same number of axes as ``x``, length 1 along ``axis``. E.g.
        (N,) for ``x`` of shape (N, C) and ``axis=1``. In ``x``'s dtype (float16 and
        bfloat16 are computed in float32).

    Raises
    ------
    TypeError
        If ``x`` is not a real floating array, ``axis`` is not an int, a tuple of ints
        or None, or ``keepdims`` is not a bool.
    IndexError
        If an axis is out of range for ``x``.
    ValueError
        If ``axis`` names an axis twice.

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


def log_softmax(x: Array, /, *, axis: int = -1) -> Array:
    r"""Log of the softmax along ``axis``.

    .. math:: \log\operatorname{softmax}(x)_i = x_i - \operatorname{LSE}(x)

    Parameters
    ----------
    x : Array
        Any shape, e.g. (N, C); a real floating dtype.
    axis : int
        The class axis (``exp`` of the result sums to 1 along it), in ``[-x.ndim, x.ndim)``;
        the default is the last axis.

    Returns
    -------
    Array
        The shape and dtype of ``x`` (float16 and bfloat16 are computed in float32 and
        cast back).

    Raises
    ------
    TypeError
        If ``x`` is not a real floating array, or ``axis`` is not an int.
    IndexError
        If ``axis`` is out of range for ``x`` (a 0-d ``x`` accepts only ``axis=0``).

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> pl.log_softmax(np.asarray([-0.8956, 1.1171, 1.3302])).round(4)
    array([-2.8761, -0.8634, -0.6503])
    """
    xp, x, dtype = _prepare(x)
    check_axis(axis, x.ndim, single=True)
    return finish(xp, _log_softmax(xp, x, axis), dtype)


def softmax(x: Array, /, *, axis: int = -1) -> Array:
    r"""Softmax along ``axis``, shifted by the maximum so that nothing overflows.

    .. math:: \operatorname{softmax}(x)_i = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}}, \quad m = \max_j x_j

    Parameters
    ----------
    x : Array
        Any shape, e.g. (N, C); a real floating dtype.
    axis : int
        The class axis, along which the result sums to 1, in ``[-x.ndim, x.ndim)``; the
        default is the last axis.

    Returns
    -------
    Array
        The shape and dtype of ``x`` (float16 and bfloat16 are computed in float32 and
        cast back).

    Raises
    ------
    TypeError
        If ``x`` is not a real floating array, or ``axis`` is not an int.
    IndexError
        If ``axis`` is out of range for ``x`` (a 0-d ``x`` accepts only ``axis=0``).

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> pl.softmax(np.asarray([[-0.2869, 0.8709, -1.0575]]), axis=1).round(4)
    array([[0.2153, 0.6851, 0.0996]])
    """
    xp, x, dtype = _prepare(x)
    check_axis(axis, x.ndim, single=True)
    return finish(xp, _softmax(xp, x, axis), dtype)
