"""Losses between probability distributions: torch's ``kl_div``, entropy and KL divergence."""

from __future__ import annotations

from typing import Any

from .._core._checks import Checks, check_axis, check_real_floating, check_same_shape
from .._core._reduction import REDUCTIONS, check_reduction, reduce
from .._core._types import Array
from .._core._xp import compute_dtype, finish, namespace, to

__all__ = ["entropy", "kl_div", "kl_divergence"]


def _check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        msg = f"`{name}` must be a bool; got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    return value


def _log_ratio(xp: Any, p: Any, q: Any) -> Any:
    """``log(p / q)`` for ``0 < p, q <= 1``, accurate to a few ulp in every regime.

    * ``q/2 <= p <= 3q/2``: ``log1p((p - q) / q)``; ``p - q`` is exact there (Sterbenz),
      so a ratio close to 1 keeps its relative accuracy (``log(p) - log(q)`` would not).
    * both normal: ``log(p / q)``, one rounding in the ratio (no cancellation between logs,
      and ``p / q`` can neither overflow nor underflow since ``p, q <= 1``).
    * a subnormal operand: ``log(p) - log(q)``, where the difference is at least ~0.4.
    """
    tiny = xp.finfo(p.dtype).smallest_normal
    d = p - q
    near = xp.abs(d) <= 0.5 * q
    normal = (p >= tiny) & (q >= tiny)
    close = xp.log1p(xp.where(near, d, 0) / q)
    ratio = xp.log(p / xp.where(normal, q, 1))  # p / 1 = p > 0 where unused: no warning
    return xp.where(near, close, xp.where(normal, ratio, xp.log(p) - xp.log(q)))


def kl_div(
    input: Array, target: Array, /, *, reduction: str = "mean", log_target: bool = False, value_checks: str | None = None
) -> Array:
    r"""Kullback-Leibler divergence loss with torch's ``kl_div`` semantics.

    ``input`` holds log-probabilities :math:`x = \log q`; ``target`` holds probabilities
    :math:`p` (log-probabilities :math:`\log p` when ``log_target``). Pointwise,

    .. math::
        \ell_i = p_i\,(\log p_i - x_i), \qquad \ell_i = 0 \text{ where } p_i = 0

    (torch's ``xlogy(p, p) - p x``; with ``log_target``, ``exp(t) (t - x)``). The
    reductions are torch's: ``"mean"`` divides the sum by the number of *elements*;
    ``"batchmean"`` divides it by ``input.shape[0]`` and is the mathematical KL
    divergence averaged over a batch of distributions laid along the last axes
    (a 0-d input is returned as its sum, like torch). For distributions along an
    arbitrary axis, see :func:`kl_divergence`.

    A zero target probability (``-inf`` log-target) contributes exactly 0, even where
    ``input`` is ``-inf``; torch returns NaN there (``0 * inf``).

    Where :math:`\log p_i \approx x_i` the pointwise term cancels: it is ill-conditioned
    in its inputs, and its error is bounded by a few ulp of :math:`p_i(|\log p_i| + |x_i|)`
    rather than of the term (with ``log_target`` the difference ``t - x`` is exact).

    Parameters
    ----------
    input : Array
        Log-probabilities :math:`\log q`, any shape, e.g. (N, C) with the distributions
        along the last axis; a real floating dtype.
    target : Array
        The shape of ``input``: probabilities :math:`p` (non-negative), or
        log-probabilities with ``log_target``; a real floating dtype (cast to
        ``input``'s).
    reduction : {"none", "batchmean", "mean", "sum"}
        ``"none"``: the pointwise loss; ``"batchmean"``: the sum divided by
        ``input.shape[0]``; ``"mean"``: the sum divided by the number of elements;
        ``"sum"``: the sum.
    log_target : bool
        Whether ``target`` holds log-probabilities.

    value_checks : {"auto", "raise", "defer", "off"} or None
        What the checks on values do in this call (``None``: the global option,
        ``"auto"`` by default; see :func:`options`): raise a clear error, give NaN where
        a value is invalid without reading any value on the host, or check nothing.

    Returns
    -------
    Array
        0-d for ``"batchmean"``, ``"mean"`` and ``"sum"``; the shape of ``input`` for
        ``"none"``. In ``input``'s dtype (float16 and bfloat16 are computed in float32).

    Raises
    ------
    ValueError
        If ``target`` has negative values (or NaN) and ``log_target`` is False
        (checked for concrete arrays only; torch returns NaN); if the shapes differ or
        ``reduction`` is unknown.
    TypeError
        If ``input`` or ``target`` is not a real floating array, or ``log_target`` is
        not a bool.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> log_q = np.log(np.asarray([[0.3, 0.15, 0.25, 0.3]]))
    >>> p = np.asarray([[0.4, 0.1, 0.25, 0.25]])
    >>> round(float(pl.kl_div(log_q, p, reduction="batchmean")), 6)
    0.028946
    """
    xp = namespace(input=input, target=target)
    check_reduction(reduction, (*REDUCTIONS, "batchmean"))
    _check_bool(log_target, "log_target")
    check_real_floating(xp, input, "input")
    check_real_floating(xp, target, "target")
    check_same_shape(input, target, ("input", "target"))
    if not log_target:
        target = Checks(xp, value_checks).probabilities(target, "target", upper=False)
    dtype = input.dtype
    work = compute_dtype(xp, dtype)
    x, t = to(xp, input, work), to(xp, target, work)
    if log_target:
        zero = t == -xp.inf
        t_safe = xp.where(zero, 0, t)  # keeps -inf - (-inf) out of the discarded branch
        loss = xp.where(zero, 0, xp.exp(t_safe) * (t_safe - x))
    else:
        zero = t == 0
        t_safe = xp.where(zero, 1, t)  # neither log(0) nor 0 * inf (input -inf) is formed
        loss = xp.where(zero, 0, t_safe * (xp.log(t_safe) - x))
    return finish(xp, reduce(loss, reduction, xp=xp), dtype)


def entropy(p: Array, /, *, axis: int | tuple[int, ...] | None = -1, value_checks: str | None = None) -> Array:
    r"""Shannon entropy (natural log) of the distributions laid along ``axis``.

    .. math:: H(p) = -\sum_i p_i \log p_i, \qquad 0 \log 0 = 0

    ``p`` is used as given (not renormalised); values must lie in [0, 1]. Every term
    is non-negative, so the sum has no cancellation. ``axis=None`` sums over all axes.

    Parameters
    ----------
    p : Array
        Probabilities in [0, 1], any shape, e.g. (N, C) for N distributions over C
        outcomes; a real floating dtype.
    axis : int or tuple of int or None
        The axis (or axes) along which the distributions lie, each in
        ``[-p.ndim, p.ndim)``; the default is the last axis. ``None``: all axes, one
        distribution.

    value_checks : {"auto", "raise", "defer", "off"} or None
        What the checks on values do in this call (``None``: the global option,
        ``"auto"`` by default; see :func:`options`): raise a clear error, give NaN where
        a value is invalid without reading any value on the host, or check nothing.

    Returns
    -------
    Array
        ``p``'s shape without the axes in ``axis`` -- (N,) for ``p`` of shape (N, C) and
        the default axis; 0-d for ``axis=None``. In ``p``'s dtype (float16 and bfloat16
        are computed in float32).

    Raises
    ------
    ValueError
        If ``p`` has a value outside [0, 1] or NaN (concrete arrays; lazy and traced ones
        give NaN instead), or ``axis`` names an axis twice.
    TypeError
        If ``p`` is not a real floating array, or ``axis`` is not an int, a tuple of ints
        or None.
    IndexError
        If an axis is out of range (a 0-d ``p`` accepts only ``axis=0`` or ``None``).

    Examples
    --------
    The label mix of the classification-losses post (cat 40%, dog 10%, horse 25%,
    sheep 25%), whose entropy it gives as 1.29:

    >>> import numpy as np, polyloss as pl
    >>> round(float(pl.entropy(np.asarray([0.4, 0.1, 0.25, 0.25]))), 6)
    1.289922
    """
    xp = namespace(p=p)
    check_real_floating(xp, p, "p")
    check_axis(axis, p.ndim)
    p = Checks(xp, value_checks).probabilities(p, "p")
    dtype = p.dtype
    p = to(xp, p, compute_dtype(xp, dtype))
    zero = p == 0
    terms = xp.where(zero, 0, -(p * xp.log(xp.where(zero, 1, p))))
    return finish(xp, xp.sum(terms, axis=axis), dtype)


def kl_divergence(
    p: Array, q: Array, /, *, axis: int | tuple[int, ...] | None = -1, value_checks: str | None = None
) -> Array:
    r"""Kullback-Leibler divergence :math:`D_{KL}(p \,\|\, q)` along ``axis``, on probabilities.

    .. math:: D_{KL}(p \,\|\, q) = \sum_i p_i \log\frac{p_i}{q_i}, \qquad
              0 \log\frac{0}{q} = 0, \quad p \log\frac{p}{0} = +\infty \ (p > 0)

    The cross entropy is :math:`H(p, q) = H(p) + D_{KL}(p \,\|\, q)`
    (``entropy(p) + kl_divergence(p, q)``). Each :math:`\log(p_i / q_i)` is evaluated
    as ``log1p((p - q) / q)`` when the ratio is near 1, so a divergence between two
    close distributions keeps its relative accuracy instead of being lost to the
    cancellation of ``log p - log q``. Inputs are used as given (not renormalised).
    The terms are summed as they are: for two nearly equal *normalised*
    distributions they cancel to first order, and the result carries the usual
    summation error, a few ulp of :math:`\sum_i |p_i \log(p_i / q_i)|`.

    Parameters
    ----------
    p : Array
        Probabilities in [0, 1], any shape, e.g. (N, C) for N distributions over C
        outcomes; a real floating dtype.
    q : Array
        Probabilities in [0, 1], the shape of ``p``; a real floating dtype (cast to
        ``p``'s).
    axis : int or tuple of int or None
        The axis (or axes) along which the distributions lie, each in
        ``[-p.ndim, p.ndim)``; the default is the last axis. ``None``: all axes, one
        distribution.

    value_checks : {"auto", "raise", "defer", "off"} or None
        What the checks on values do in this call (``None``: the global option,
        ``"auto"`` by default; see :func:`options`): raise a clear error, give NaN where
        a value is invalid without reading any value on the host, or check nothing.

    Returns
    -------
    Array
        ``p``'s shape without the axes in ``axis`` -- (N,) for ``p`` of shape (N, C) and
        the default axis; 0-d for ``axis=None``; ``inf`` where some :math:`q_i = 0 < p_i`.
        In ``p``'s dtype (float16 and bfloat16 are computed in float32).

    Raises
    ------
    ValueError
        If ``p`` or ``q`` has a value outside [0, 1] or NaN (concrete arrays; lazy and
        traced ones give NaN instead), the shapes differ, or ``axis`` names an axis
        twice.
    TypeError
        If ``p`` or ``q`` is not a real floating array, or ``axis`` is not an int, a
        tuple of ints or None.
    IndexError
        If an axis is out of range (a 0-d ``p`` accepts only ``axis=0`` or ``None``).

    Examples
    --------
    The classification-losses post compares the label mix (0.4, 0.1, 0.25, 0.25)
    with predicted mixes whose cross entropies it gives as 1.32 and 1.35:

    >>> import numpy as np, polyloss as pl
    >>> p = np.asarray([[0.4, 0.1, 0.25, 0.25], [0.4, 0.1, 0.25, 0.25]])
    >>> q = np.asarray([[0.3, 0.15, 0.25, 0.3], [0.3, 0.2, 0.2, 0.3]])
    >>> (pl.entropy(p) + pl.kl_divergence(p, q)).round(4)
    array([1.3189, 1.3459])
    """
    xp = namespace(p=p, q=q)
    check_real_floating(xp, p, "p")
    check_real_floating(xp, q, "q")
    check_same_shape(p, q, ("p", "q"))
    check_axis(axis, p.ndim)
    checks = Checks(xp, value_checks)
    p, q = checks.probabilities(p, "p"), checks.probabilities(q, "q")
    dtype = p.dtype
    work = compute_dtype(xp, dtype)
    p, q = to(xp, p, work), to(xp, q, work)
    p_zero, q_zero = p == 0, q == 0
    p_safe, q_safe = xp.where(p_zero, 1, p), xp.where(q_zero, 1, q)
    terms = xp.where(q_zero, xp.inf, p * _log_ratio(xp, p_safe, q_safe))
    terms = xp.where(p_zero, 0, terms)
    return finish(xp, xp.sum(terms, axis=axis), dtype)
