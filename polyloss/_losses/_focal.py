"""Focal losses: binary on logits (RetinaNet / torchvision) and multi-class on logits."""

from __future__ import annotations

import math
from typing import Any

from .._core._checks import Checks, check_in_range, check_real_floating, check_same_shape
from .._core._classes import class_mask, pick, unbatch
from .._core._reduction import check_reduction, reduce, reduce_counted
from .._core._special import at_least, lse_parts, softplus
from .._core._types import Array
from .._core._xp import compute_dtype, finish, namespace, to
from .._kernels import call
from ._classification import _check_class_call, _class_index_inputs

__all__ = ["sigmoid_focal_loss", "softmax_focal_loss"]

# exp(-_UNDERFLOW) is 0 in every floating dtype (float64 underflows below -745).
_UNDERFLOW = 1000.0


def _check_gamma(gamma: Any) -> float:
    return check_in_range(gamma, "gamma", 0.0, math.inf, hi_open=True)


def _modulating(xp: Any, log_1m_pt: Any, gamma: float, one_minus_pt: Any = None) -> Any:
    """``(1 - p_t) ** gamma`` from an accurate ``log(1 - p_t)`` (and ``1 - p_t`` if known).

    ``exp(gamma * log(1 - p_t))`` turns an absolute error of the log into a relative
    error ``gamma * abs_err`` of the factor, and works where ``1 - p_t`` itself
    underflows, with a finite gradient. Where an accurate ``1 - p_t`` is given and is
    a normal number, ``(1 - p_t) ** gamma`` is used instead: ``pow`` is correctly
    rounded to an ulp or so whatever ``gamma * log(1 - p_t)`` is. The log is clamped
    where the power underflows anyway, so ``gamma * log`` never overflows.
    Returns ``None`` for ``gamma == 0`` (a factor of exactly 1, also where ``p_t == 1``).
    """
    if gamma == 0:  # a Python option, not array data
        return None
    floor = max(-_UNDERFLOW / gamma, -float(xp.finfo(log_1m_pt.dtype).max))
    factor = xp.exp(gamma * at_least(xp, log_1m_pt, floor))
    if one_minus_pt is None:
        return factor
    normal = one_minus_pt >= float(xp.finfo(log_1m_pt.dtype).smallest_normal)
    return xp.where(normal, xp.where(normal, one_minus_pt, 1) ** gamma, factor)


def _one_minus_pt_binary(xp: Any, z: Any, y: Any) -> tuple[Any, Any]:
    """``(log(1 - p_t), 1 - p_t)`` for logits ``z`` and (soft) targets ``y``, without cancellation.

    ``1 - p_t = y sigmoid(-z) + (1 - y) sigmoid(z) = sigmoid(|z|) (w + (1 - w) e^{-|z|})``
    with ``w = 1 - y`` for ``z >= 0`` and ``w = y`` for ``z < 0``: both terms of the
    bracket are non-negative and ``log sigmoid(|z|) = -log1p(e^{-|z|})``. For a hard
    target on the confident side (``w == 0``) the bracket is ``e^{-|z|}``, whose log
    ``-|z|`` is used directly: it stays exact where ``e^{-|z|}`` underflows.
    """
    a = xp.where(z >= 0, z, -z)  # |z|, with the z >= 0 side's derivative at 0 (abs' is 0 there)
    # e^{-|z|}, set to 0 outright where it is below the smallest normal number: the
    # value changes by less than that, and autograd then never multiplies a large
    # upstream gradient (a loss near the float maximum) by exp's zero derivative (NaN).
    cut = -math.log(float(xp.finfo(z.dtype).smallest_normal))
    e = xp.where(a > cut, 0, xp.exp(-xp.where(a > cut, cut, a)))
    w = xp.where(z >= 0, 1 - y, y)
    hard = w == 0
    bracket = xp.where(hard, e, w + (1 - w) * e)
    log_bracket = xp.where(hard, -a, xp.log(xp.where(hard, 1, bracket)))
    return log_bracket - xp.log1p(e), bracket / (1 + e)


def sigmoid_focal_loss(
    input: Array,
    target: Array,
    /,
    *,
    alpha: float = 0.25,
    gamma: float = 2.0,
    reduction: str = "mean",
    value_checks: str | None = None,
) -> Array:
    r"""Binary focal loss on logits (Lin et al., RetinaNet; torchvision semantics).

    With :math:`p = \sigma(z)`, :math:`p_t = p\,y + (1 - p)(1 - y)` and
    :math:`\alpha_t = \alpha y + (1 - \alpha)(1 - y)`:

    .. math::
        \ell_i = \alpha_t\,(1 - p_t)^{\gamma}\,
                 \bigl[y \operatorname{softplus}(-z) + (1 - y)\operatorname{softplus}(z)\bigr]

    The bracket is the binary cross entropy on logits (so soft targets work as in
    torchvision). A negative ``alpha`` disables the :math:`\alpha_t` weighting
    (torchvision's ``alpha < 0``). The modulating factor never forms :math:`1 - p`:

    .. math::
        1 - p_t = \frac{w + (1 - w)e^{-|z|}}{1 + e^{-|z|}}, \qquad
        \log(1 - p_t) = \log\bigl(w + (1 - w)e^{-|z|}\bigr) - \log\bigl(1 + e^{-|z|}\bigr),
        \quad w = \begin{cases} 1 - y & z \ge 0 \\ y & z < 0 \end{cases}

    (a sum of non-negative terms; for a hard target on the confident side the
    bracket is :math:`e^{-|z|}`, whose log is :math:`-|z|` exactly). It is raised to
    :math:`\gamma` with ``pow`` where :math:`1 - p_t` is a normal number and as
    :math:`\exp(\gamma \log(1 - p_t))` where it underflows. So the loss keeps its
    relative accuracy for confident predictions, and loss and gradient stay finite
    (no NaN) for logits as large as the dtype allows, including the gradient at
    :math:`z = 0`.

    Unlike torchvision (whose default is ``"none"``), the default reduction is
    ``"mean"``, like every loss in polyloss.

    Parameters
    ----------
    input : Array
        Logits, any shape, e.g. (N,) or (N, C) for C independent binary labels (one per
        anchor and class in RetinaNet); a real floating dtype.
    target : Array
        The shape of ``input``; values in [0, 1] (0/1 labels or soft targets); a real
        floating dtype (cast to ``input``'s).
    alpha : float
        Weight of the positive class, in [0, 1] (:math:`1 - \alpha` weighs the
        negatives), or negative to disable the weighting.
    gamma : float
        Focusing parameter, finite and >= 0; ``gamma = 0`` gives (alpha-weighted) BCE.
    reduction : {"none", "mean", "sum"}
        ``"none"``: the elementwise loss; ``"mean"``: its sum divided by the number of
        elements; ``"sum"``: its sum.

    value_checks : {"auto", "raise", "defer", "off"} or None
        What the checks on values do in this call (``None``: the global option,
        ``"auto"`` by default; see :func:`options`): raise a clear error, give NaN where
        a value is invalid without reading any value on the host, or check nothing.

    Returns
    -------
    Array
        0-d for ``"mean"`` and ``"sum"``; the shape of ``input`` for ``"none"``. In
        ``input``'s dtype (float16 and bfloat16 are computed in float32).

    Raises
    ------
    ValueError
        If ``target`` is outside [0, 1] (concrete arrays; lazy and traced ones give NaN
        instead), ``alpha`` is above 1, ``gamma`` is negative or infinite, the shapes
        differ, or ``reduction`` is unknown.
    TypeError
        If ``input`` or ``target`` is not a real floating array, or ``alpha`` or
        ``gamma`` is not a real number.

    References
    ----------
    T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollar, "Focal Loss for Dense Object
    Detection", ICCV 2017; ``torchvision.ops.sigmoid_focal_loss``.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> z, y = np.asarray([2.0, -1.0, 0.5]), np.asarray([1.0, 0.0, 0.0])
    >>> pl.sigmoid_focal_loss(z, y, reduction="none").round(6)
    array([0.000451, 0.016994, 0.283059])
    """
    xp = namespace(input=input, target=target)
    check_reduction(reduction)
    if isinstance(alpha, (int, float)) and not isinstance(alpha, bool) and alpha < 0:
        alpha = None  # torchvision: alpha < 0 means no alpha weighting
    else:
        alpha = check_in_range(alpha, "alpha", 0.0, 1.0)
    gamma = _check_gamma(gamma)
    check_real_floating(xp, input, "input")
    check_real_floating(xp, target, "target")
    check_same_shape(input, target, ("input", "target"))
    target = Checks(xp, value_checks).probabilities(target, "target")
    dtype = input.dtype
    work = compute_dtype(xp, dtype)
    z, y = to(xp, input, work), to(xp, target, work)
    # Binary cross entropy on logits; a zero-weight term is dropped rather than
    # multiplied (0 * softplus(inf) would be NaN at an infinite logit).
    neg, pos = y == 0, y == 1
    ce = xp.where(neg, 0, xp.where(neg, 1, y) * softplus(xp, -z)) + xp.where(
        pos, 0, xp.where(pos, 1, 1 - y) * softplus(xp, z)
    )
    if gamma == 0:  # a Python option: (1 - p_t)^0 = 1, even where p_t == 1
        loss = ce
    else:
        log_1m_pt, one_minus_pt = _one_minus_pt_binary(xp, z, y)
        loss = _modulating(xp, log_1m_pt, gamma, one_minus_pt) * ce
    if alpha is not None:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return finish(xp, reduce(loss, reduction, xp=xp), dtype)


def softmax_focal_loss(
    input: Array,
    target: Array,
    /,
    *,
    gamma: float = 2.0,
    weight: Array | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    value_checks: str | None = None,
) -> Array:
    r"""Multi-class focal loss on logits and class indices (the loss chapter's form).

    With :math:`p_{n} = \operatorname{softmax}(x_n)` along the class axis and target
    class :math:`t = y_n`:

    .. math::
        \ell_n = w_{t}\,(1 - p_{n,t})^{\gamma}\,\bigl(-\log p_{n,t}\bigr), \qquad
        \text{mean} = \frac{\sum_n \ell_n}{\sum_{n:\,y_n \ne \text{ignore}} w_{y_n}}

    Layout, ``weight``, ``ignore_index`` and the weighted mean are those of
    :func:`cross_entropy` (``input`` (N, C, d1, ..., dK) or (C,), class axis 1), so
    ``gamma = 0`` is exactly ``cross_entropy``. The class weight scales the loss but
    does not enter :math:`p_t` (the chapter's ``exp(-cross_entropy)`` would fold the
    weight into :math:`p_t`); the modulating factor is not part of the divisor.

    :math:`-\log p_t = (m - x_t) + \log(1 + \sum_{j \ne j^*} e^{x_j - m})` as in
    cross_entropy, and :math:`\log(1 - p_t) = \operatorname{LSE}_{j \ne t}(x) -
    \operatorname{LSE}(x)` is formed as a difference of maxima plus a difference of
    ``log1p`` tails, so it is accurate both for confident predictions
    (:math:`1 - p_t` far below the smallest float) and for hopeless ones; the power
    is :math:`\exp(\gamma \log(1 - p_t))`.

    Parameters
    ----------
    input : Array
        Logits, shape (N, C, d1, ..., dK) with the class axis 1 (K = 0 for the usual
        (N, C)), or (C,) for one sample; a real floating dtype.
    target : Array
        Class indices in [0, C - 1] (or ``ignore_index``), shape (N, d1, ..., dK) --
        ``input``'s without the class axis -- or () for an unbatched ``input``; any
        integer dtype.
    gamma : float
        Focusing parameter, finite and >= 0; ``gamma = 0`` is :func:`cross_entropy`.
    weight : Array or None
        Class weights :math:`w_c`, shape (C,), non-negative, in a real floating dtype.
        ``None``: every class weighs 1.
    ignore_index : int
        A target value that contributes nothing, neither to the loss nor to the divisor
        of ``"mean"``.
    reduction : {"none", "mean", "sum"}
        ``"none"``: the per-position loss; ``"mean"``: the weighted mean above;
        ``"sum"``: the sum.

    value_checks : {"auto", "raise", "defer", "off"} or None
        What the checks on values do in this call (``None``: the global option,
        ``"auto"`` by default; see :func:`options`): raise a clear error, give NaN where
        a value is invalid without reading any value on the host, or check nothing.

    Returns
    -------
    Array
        0-d for ``"mean"`` and ``"sum"``; shape (N, d1, ..., dK) (0-d for an unbatched
        input) for ``"none"``, with 0 at ignored positions. In ``input``'s dtype
        (float16 and bfloat16 are computed in float32).

    Raises
    ------
    IndexError
        If a target is outside [0, C - 1] and not ``ignore_index`` (concrete arrays;
        lazy and traced ones give NaN at that position instead).
    ValueError
        If ``weight`` is negative (concrete arrays), shapes do not match the layout
        above, ``gamma`` is negative or infinite, or ``reduction`` is unknown.
    TypeError
        If ``input`` or ``weight`` is not real floating, ``target`` is not integer (class
        probabilities are not supported), ``ignore_index`` is not an int, or ``gamma``
        is not a real number.

    References
    ----------
    T.-Y. Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> logits, labels = np.asarray([[2.0, 1.0, 0.1]]), np.asarray([0])
    >>> round(float(pl.softmax_focal_loss(logits, labels, gamma=2.0)), 6)
    0.048492
    >>> round(float(pl.softmax_focal_loss(logits, labels, gamma=0.0)), 4)  # = cross entropy
    0.417
    """
    xp = namespace(input=input, target=target, weight=weight, optional=("weight",))
    _check_class_call(xp, input, target, weight, ignore_index, reduction, probabilities=False)
    gamma = _check_gamma(gamma)
    checks = Checks(xp, value_checks)
    x, w, t, dtype = _class_index_inputs(checks, input, target, weight, ignore_index)
    if gamma == 0:  # cross_entropy, bit for bit: the same kernel
        loss = call("cross_entropy_indices", xp, x, t.index, t.weight, w, 0.0, reads=checks.reads(x, t.index, w))
    else:
        m, tail = lse_parts(xp, x, 1)
        m, tail = xp.squeeze(m, axis=1), xp.squeeze(tail, axis=1)
        nll = (m - pick(xp, x, t.index)) + tail  # -log p_t, exactly as in cross_entropy
        # log(1 - p_t) = LSE over the other classes - LSE over all: mask the target with -inf.
        m_ex, tail_ex = lse_parts(xp, xp.where(class_mask(xp, x, t.index), -xp.inf, x), 1)
        m_ex, tail_ex = xp.squeeze(m_ex, axis=1), xp.squeeze(tail_ex, axis=1)
        log_1m_pt = (m_ex - m) + (tail_ex - tail)
        loss = t.weight * (_modulating(xp, log_1m_pt, gamma) * nll)
    out = reduce_counted(xp, checks.result(loss), t.counted, t.weight, w is not None, reduction)
    return finish(xp, unbatch(out, input.ndim == 1, reduction), dtype)
