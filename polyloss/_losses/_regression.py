"""Regression losses: mean squared error, L1, Huber and smooth L1 (torch semantics)."""

from __future__ import annotations

import math
from typing import Any

from .._core._checks import check_in_range, check_real_floating, check_same_shape
from .._core._reduction import check_reduction, reduce
from .._core._types import Array
from .._core._xp import compute_dtype, finish, namespace

__all__ = ["huber_loss", "l1_loss", "mse_loss", "smooth_l1_loss"]


def _prepare(input: Any, target: Any, reduction: str) -> tuple[Any, Any, Any]:
    """Validate a pointwise (input, target) call; return (xp, |input - target|, dtype) in the compute dtype."""
    xp = namespace(input=input, target=target)
    check_reduction(reduction)
    check_real_floating(xp, input, "input")
    check_real_floating(xp, target, "target")
    check_same_shape(input, target, ("input", "target"))
    dtype = input.dtype
    work = compute_dtype(xp, dtype)
    x = input if input.dtype == work else xp.astype(input, work)
    y = target if target.dtype == work else xp.astype(target, work)
    return xp, _abs_diff(xp, x, y), dtype


def _abs_diff(xp: Any, x: Any, y: Any) -> Any:
    """``|x - y|``, one correctly rounded subtraction, with ``inf`` where it overflows.

    The result is the same as ``abs(x - y)``, but no operation overflows or forms
    ``inf - inf`` (NumPy would warn): a difference beyond the largest float
    (``3e38 - (-3e38)`` in float32) is detected on the halves ``x/2 - y/2``, and
    non-finite pairs give ``inf``, or NaN for NaN and for equal infinities.
    float16/bfloat16 differences are exact in the float32 compute dtype.
    """
    finite = xp.isfinite(x) & xp.isfinite(y)
    xf, yf = xp.where(finite, x, 0), xp.where(finite, y, 0)
    # |x/2 - y/2| is at most the largest float; beyond half of it, x - y overflows
    over = xp.abs(0.5 * xf - 0.5 * yf) > 0.5 * float(xp.finfo(x.dtype).max)
    d = xp.abs(xp.where(over, 0, xf) - xp.where(over, 0, yf))
    not_finite = xp.where(xp.isnan(x) | xp.isnan(y) | (x == y), xp.nan, xp.full_like(x, xp.inf))
    return xp.where(finite, xp.where(over, xp.inf, d), not_finite)


def _mul(xp: Any, a: Any, b: Any) -> Any:
    """``a * b`` for arrays ``a, b >= 0`` (``b`` may be a Python float), with ``inf``
    where the product overflows, and no warning."""
    top = float(xp.finfo(a.dtype).max)
    if isinstance(b, float):
        big = a > top / max(b, 1.0)
        return xp.where(big, xp.inf, xp.where(big, 0, a) * b)
    big = a > top / xp.where(b > 1, b, 1)
    return xp.where(big, xp.inf, xp.where(big, 0, a) * xp.where(big, 1, b))


def mse_loss(input: Array, target: Array, /, *, reduction: str = "mean") -> Array:
    r"""Mean squared error between ``input`` and ``target``.

    .. math:: \ell_i = (x_i - y_i)^2

    ``"mean"`` divides the sum by the number of elements (NaN for empty input, as in
    torch). ``input`` and ``target`` must have the same shape: torch broadcasts
    with a warning, polyloss raises.

    Parameters
    ----------
    input : Array
        Predictions, any shape, e.g. (N,) or (N, D); a real floating dtype.
    target : Array
        The shape of ``input`` (no broadcasting); a real floating dtype (cast to
        ``input``'s).
    reduction : {"none", "mean", "sum"}
        ``"none"``: the elementwise loss; ``"mean"``: its sum divided by the number of
        elements; ``"sum"``: its sum.

    Returns
    -------
    Array
        0-d for ``"mean"`` and ``"sum"``; the shape of ``input`` for ``"none"``. In
        ``input``'s dtype (float16 and bfloat16 are computed in float32).

    Raises
    ------
    ValueError
        If the shapes differ, or ``reduction`` is unknown.
    TypeError
        If ``input`` or ``target`` is not a real floating array.

    Examples
    --------
    The "Using PyTorch Loss Functions" example of the loss-functions chapter
    (which prints 0.0067; the mean of 0.01, 0.04 and 0.01 is 0.02):

    >>> import numpy as np, polyloss as pl
    >>> round(float(pl.mse_loss(np.asarray([0.9, 0.2, 0.1]), np.asarray([1.0, 0.0, 0.0]))), 6)
    0.02
    """
    xp, z, dtype = _prepare(input, target, reduction)
    return finish(xp, reduce(_mul(xp, z, z), reduction, xp=xp), dtype)


def l1_loss(input: Array, target: Array, /, *, reduction: str = "mean") -> Array:
    r"""Mean absolute error between ``input`` and ``target``.

    .. math:: \ell_i = |x_i - y_i|

    Parameters
    ----------
    input : Array
        Predictions, any shape, e.g. (N,) or (N, D); a real floating dtype.
    target : Array
        The shape of ``input`` (no broadcasting); a real floating dtype (cast to
        ``input``'s).
    reduction : {"none", "mean", "sum"}
        ``"none"``: the elementwise loss; ``"mean"``: its sum divided by the number of
        elements; ``"sum"``: its sum.

    Returns
    -------
    Array
        0-d for ``"mean"`` and ``"sum"``; the shape of ``input`` for ``"none"``. In
        ``input``'s dtype (float16 and bfloat16 are computed in float32).

    Raises
    ------
    ValueError
        If the shapes differ, or ``reduction`` is unknown.
    TypeError
        If ``input`` or ``target`` is not a real floating array.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> round(float(pl.l1_loss(np.asarray([0.9, 0.2, 0.1]), np.asarray([1.0, 0.0, 0.0]))), 6)
    0.133333
    """
    xp, z, dtype = _prepare(input, target, reduction)
    return finish(xp, reduce(z, reduction, xp=xp), dtype)


def huber_loss(input: Array, target: Array, /, *, reduction: str = "mean", delta: float = 1.0) -> Array:
    r"""Huber loss: quadratic for errors up to ``delta``, linear beyond.

    .. math::
        \ell_i = \begin{cases}
            \tfrac12 (x_i - y_i)^2 & |x_i - y_i| < \delta \\
            \delta\,\bigl(|x_i - y_i| - \tfrac12 \delta\bigr) & \text{otherwise}
        \end{cases}

    This is the chapter's Huber loss and torch's ``huber_loss``; it equals
    ``delta * smooth_l1_loss(..., beta=delta)``.

    Parameters
    ----------
    input : Array
        Predictions, any shape, e.g. (N,) or (N, D); a real floating dtype.
    target : Array
        The shape of ``input`` (no broadcasting); a real floating dtype (cast to
        ``input``'s).
    reduction : {"none", "mean", "sum"}
        ``"none"``: the elementwise loss; ``"mean"``: its sum divided by the number of
        elements; ``"sum"``: its sum.
    delta : float
        The threshold between the quadratic and the linear part, finite and > 0 (torch
        also rejects ``delta <= 0``).

    Returns
    -------
    Array
        0-d for ``"mean"`` and ``"sum"``; the shape of ``input`` for ``"none"``. In
        ``input``'s dtype (float16 and bfloat16 are computed in float32).

    Raises
    ------
    ValueError
        If the shapes differ, ``delta`` is not finite and > 0, or ``reduction`` is
        unknown.
    TypeError
        If ``input`` or ``target`` is not a real floating array, or ``delta`` is not a
        real number.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> x, y = np.asarray([0.5, 3.0]), np.asarray([0.0, 0.0])
    >>> pl.huber_loss(x, y, reduction="none", delta=1.0)
    array([0.125, 2.5  ])
    """
    delta = check_in_range(delta, "delta", 0.0, math.inf, lo_open=True, hi_open=True)
    xp, z, dtype = _prepare(input, target, reduction)
    quadratic = z < delta
    zq = xp.where(quadratic, z, 0)  # the discarded branch never squares a large z
    # (0.5 z) z and delta (z - delta/2) saturate to inf only where the loss itself does.
    loss = xp.where(quadratic, _mul(xp, 0.5 * zq, zq), _mul(xp, xp.where(quadratic, 0, z - 0.5 * delta), delta))
    return finish(xp, reduce(loss, reduction, xp=xp), dtype)


def smooth_l1_loss(input: Array, target: Array, /, *, reduction: str = "mean", beta: float = 1.0) -> Array:
    r"""Smooth L1 loss: quadratic below ``beta``, L1 shifted by ``beta / 2`` above.

    .. math::
        \ell_i = \begin{cases}
            \tfrac12 (x_i - y_i)^2 / \beta & |x_i - y_i| < \beta \\
            |x_i - y_i| - \tfrac12 \beta & \text{otherwise}
        \end{cases}

    ``beta = 0`` is exactly :func:`l1_loss`, as in torch. The quadratic branch is
    evaluated as :math:`\tfrac12 z\,(z/\beta)`, which cannot overflow since
    :math:`z/\beta < 1` there.

    Parameters
    ----------
    input : Array
        Predictions, any shape, e.g. (N,) or (N, D); a real floating dtype.
    target : Array
        The shape of ``input`` (no broadcasting); a real floating dtype (cast to
        ``input``'s).
    reduction : {"none", "mean", "sum"}
        ``"none"``: the elementwise loss; ``"mean"``: its sum divided by the number of
        elements; ``"sum"``: its sum.
    beta : float
        The threshold between the quadratic and the linear part, finite and >= 0 (torch
        also rejects ``beta < 0``).

    Returns
    -------
    Array
        0-d for ``"mean"`` and ``"sum"``; the shape of ``input`` for ``"none"``. In
        ``input``'s dtype (float16 and bfloat16 are computed in float32).

    Raises
    ------
    ValueError
        If the shapes differ, ``beta`` is negative or infinite, or ``reduction`` is
        unknown.
    TypeError
        If ``input`` or ``target`` is not a real floating array, or ``beta`` is not a
        real number.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> x, y = np.asarray([0.5, 3.0]), np.asarray([0.0, 0.0])
    >>> pl.smooth_l1_loss(x, y, reduction="none", beta=2.0)
    array([0.0625, 2.    ])
    """
    beta = check_in_range(beta, "beta", 0.0, math.inf, hi_open=True)
    xp, z, dtype = _prepare(input, target, reduction)
    if beta == 0:  # a Python option, not array data: torch's beta == 0 branch is l1_loss
        loss = z
    else:
        quadratic = z < beta
        zq = xp.where(quadratic, z, 0)
        loss = xp.where(quadratic, (0.5 * zq) * (zq / beta), z - 0.5 * beta)
    return finish(xp, reduce(loss, reduction, xp=xp), dtype)
