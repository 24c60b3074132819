"""Overlap losses for segmentation: Dice, Jaccard (IoU) and (focal) Tversky, on probabilities."""

from __future__ import annotations

import math
from typing import Any

from .._core._checks import Checks, check_class_layout, check_in_range, check_integer, check_real_floating
from .._core._classes import class_mask
from .._core._reduction import check_reduction, reduce
from .._core._types import Array
from .._core._xp import compute_dtype, finish, namespace, to

__all__ = ["dice_loss", "jaccard_loss", "tversky_loss"]


def _overlap_loss(
    input: Any,
    target: Any,
    *,
    alpha: float,
    beta: float,
    tp_weight: float,
    gamma: float,
    smooth: float,
    reduction: str,
    value_checks: str | None,
) -> Any:
    r"""The shared core: ``((a FP + b FN) / (k TP + a FP + b FN + smooth)) ** gamma`` per (sample, class).

    ``1 - index`` is formed as this ratio of non-negative sums rather than as
    ``1 - (k TP + smooth) / (...)``, so a nearly perfect overlap keeps its small loss
    with full relative accuracy.
    """
    xp = namespace(input=input, target=target)
    check_reduction(reduction)
    check_real_floating(xp, input, "input")
    if input.ndim < 2:
        msg = (
            "`input` must have a batch and a class axis, shape (N, C, d1, ..., dK); "
            f"got shape {tuple(input.shape)} (for one binary mask use C = 1)"
        )
        raise ValueError(msg)
    probabilities = xp.isdtype(target.dtype, "real floating")
    if not probabilities:
        check_integer(xp, target, "target")
    check_class_layout(input, target, probabilities=probabilities)
    smooth = check_in_range(smooth, "smooth", 0.0, math.inf, hi_open=True)
    n_classes = input.shape[1]
    if not probabilities and target.dtype != xp.int64:
        target = xp.astype(target, xp.int64)  # any integer dtype in (torch cannot compare uint16/32/64)
    checks = Checks(xp, value_checks)
    input = checks.probabilities(input, "input")
    if probabilities:
        target = checks.probabilities(target, "target")
    else:
        checks.class_indices(target, n_classes)
    dtype = input.dtype
    work = compute_dtype(xp, dtype)
    p = to(xp, input, work)
    if probabilities:
        t = to(xp, target, work)
    else:
        t = xp.astype(class_mask(xp, p, target), work)  # one-hot along the class axis 1

    axes = tuple(range(2, p.ndim))  # the spatial axes: one index per (sample, class)

    def total(x: Any) -> Any:
        return xp.sum(x, axis=axes) if axes else x

    tp = total(p * t)
    fp = total(p * (1 - t))
    fn = total((1 - p) * t)
    num = alpha * fp + beta * fn
    den = tp_weight * tp + num + smooth
    # den = 0 only for an empty prediction on an empty mask with smooth = 0: a perfect match, loss 0
    empty = den == 0
    loss = num / xp.where(empty, xp.ones_like(den), den)
    if gamma != 1:
        loss = loss**gamma
    # an index out of range (not read: lazy or traced) one-hot encodes to nothing: NaN for
    # its sample, never a silently smaller loss
    return finish(xp, reduce(checks.result(loss), reduction, xp=xp), dtype)


def dice_loss(
    input: Array, target: Array, /, *, smooth: float = 1.0, reduction: str = "mean", value_checks: str | None = None
) -> Array:
    r"""Soft Dice loss (Milletari et al., 2016, V-Net), one minus the Sørensen-Dice coefficient.

    .. math::
        \ell_{nc} = 1 - \frac{2\,TP + s}{\sum p + \sum t + s}
                  = \frac{FP + FN}{2\,TP + FP + FN + s}

    It equals ``tversky_loss(input, target, alpha=0.5, beta=0.5, smooth=smooth / 2)``.

    ``input`` holds probabilities, shape (N, C, d1, ..., dK) with the class axis 1
    (``C = 1`` for a single binary mask): apply ``polyloss.softmax(logits, axis=1)``
    (mutually exclusive classes) or ``polyloss.sigmoid(logits)`` (independent binary
    masks) to logits first. ``target`` is either integer class indices of shape
    (N, d1, ..., dK), one-hot encoded internally, or one-hot / soft labels in [0, 1]
    of the shape of ``input``.

    With :math:`TP = \sum p t`, :math:`FP = \sum p (1 - t)`, :math:`FN = \sum (1 - p) t`
    summed over the spatial axes, one index is computed per sample and class;
    ``reduction="none"`` returns them, shape (N, C), ``"mean"`` averages over samples
    and classes (every class counts equally, present or not), ``"sum"`` adds them.
    For a batch-level index, fold the batch into a spatial axis first.

    ``smooth`` (the additive smoothing term, default 1) is added to numerator and
    denominator of the index. Empty masks: with ``smooth > 0`` an empty prediction on
    an empty mask has loss 0 and a prediction of total mass ``P`` on an empty mask has
    loss :math:`P / (P + s)`; with ``smooth = 0`` the empty/empty case (0/0) is
    defined as loss 0, a perfect match, and any other prediction on an empty mask has
    loss 1.

    Parameters
    ----------
    input : Array
        Probabilities in [0, 1], shape (N, C, d1, ..., dK) with the class axis 1, e.g.
        (N, C, H, W); ``C = 1`` for a single binary mask. A real floating dtype.
    target : Array
        Either class indices in [0, C - 1], shape (N, d1, ..., dK) (``input``'s without
        the class axis), any integer dtype; or one-hot / soft labels in [0, 1], the
        shape of ``input``, a real floating dtype (cast to ``input``'s). The dtype
        decides which.
    smooth : float
        :math:`s`, the additive smoothing term, finite and >= 0.
    reduction : {"none", "mean", "sum"}
        ``"none"``: the loss of each sample and class; ``"mean"``: their mean over
        samples and classes; ``"sum"``: their sum.

    value_checks : {"auto", "raise", "defer", "off"} or None
        What the checks on values do in this call (``None``: the global option,
        ``"auto"`` by default; see :func:`options`): raise a clear error, give NaN where
        a value is invalid without reading any value on the host, or check nothing.

    Returns
    -------
    Array
        0-d for ``"mean"`` and ``"sum"``; shape (N, C) for ``"none"``. In ``input``'s
        dtype (float16 and bfloat16 are computed in float32).

    Raises
    ------
    ValueError
        For a layout mismatch (or ``input`` with fewer than 2 axes), ``input`` (or float
        ``target``) values outside [0, 1] (concrete arrays; lazy and traced ones give
        NaN instead), ``smooth`` negative or infinite, or an unknown ``reduction``.
    IndexError
        For integer ``target`` values outside [0, C - 1] (concrete arrays; lazy and
        traced ones give NaN for that sample instead).
    TypeError
        If ``input`` is not real floating, ``target`` is neither integer nor real
        floating, or ``smooth`` is not a real number.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> probs = np.asarray([[[0.9, 0.8, 0.1, 0.2]]])          # (N=1, C=1, 4 pixels)
    >>> mask = np.asarray([[[1.0, 1.0, 0.0, 0.0]]])
    >>> round(float(pl.dice_loss(probs, mask, smooth=0.0)), 6)  # (0.3 + 0.3) / (3.4 + 0.6)
    0.15
    """
    return _overlap_loss(
        input, target, alpha=1.0, beta=1.0, tp_weight=2.0, gamma=1.0, smooth=smooth, reduction=reduction,
        value_checks=value_checks,
    )


def jaccard_loss(
    input: Array, target: Array, /, *, smooth: float = 1.0, reduction: str = "mean", value_checks: str | None = None
) -> Array:
    r"""Soft Jaccard (IoU) loss, one minus the soft intersection over union.

    .. math::
        \ell_{nc} = 1 - \frac{TP + s}{\sum p + \sum t - TP + s}
                  = \frac{FP + FN}{TP + FP + FN + s}

    It equals ``tversky_loss(input, target, alpha=1, beta=1, smooth=smooth)``.

    The layout, :math:`TP`, :math:`FP`, :math:`FN`, the reductions and the loss on empty
    masks are those of :func:`dice_loss`.

    Parameters
    ----------
    input : Array
        Probabilities in [0, 1], shape (N, C, d1, ..., dK) with the class axis 1, e.g.
        (N, C, H, W); ``C = 1`` for a single binary mask. A real floating dtype.
    target : Array
        Either class indices in [0, C - 1], shape (N, d1, ..., dK) (``input``'s without
        the class axis), any integer dtype; or one-hot / soft labels in [0, 1], the
        shape of ``input``, a real floating dtype (cast to ``input``'s). The dtype
        decides which.
    smooth : float
        :math:`s`, the additive smoothing term, finite and >= 0.
    reduction : {"none", "mean", "sum"}
        ``"none"``: the loss of each sample and class; ``"mean"``: their mean over
        samples and classes; ``"sum"``: their sum.

    value_checks : {"auto", "raise", "defer", "off"} or None
        What the checks on values do in this call (``None``: the global option,
        ``"auto"`` by default; see :func:`options`): raise a clear error, give NaN where
        a value is invalid without reading any value on the host, or check nothing.

    Returns
    -------
    Array
        0-d for ``"mean"`` and ``"sum"``; shape (N, C) for ``"none"``. In ``input``'s
        dtype (float16 and bfloat16 are computed in float32).

    Raises
    ------
    ValueError
        For a layout mismatch (or ``input`` with fewer than 2 axes), ``input`` (or float
        ``target``) values outside [0, 1] (concrete arrays; lazy and traced ones give
        NaN instead), ``smooth`` negative or infinite, or an unknown ``reduction``.
    IndexError
        For integer ``target`` values outside [0, C - 1] (concrete arrays; lazy and
        traced ones give NaN for that sample instead).
    TypeError
        If ``input`` is not real floating, ``target`` is neither integer nor real
        floating, or ``smooth`` is not a real number.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> probs = np.asarray([[[0.9, 0.8, 0.1, 0.2]]])
    >>> mask = np.asarray([[[1.0, 1.0, 0.0, 0.0]]])
    >>> round(float(pl.jaccard_loss(probs, mask, smooth=0.0)), 6)  # 0.6 / (1.7 + 0.6)
    0.26087
    """
    return _overlap_loss(
        input, target, alpha=1.0, beta=1.0, tp_weight=1.0, gamma=1.0, smooth=smooth, reduction=reduction,
        value_checks=value_checks,
    )


def tversky_loss(
    input: Array,
    target: Array,
    /,
    *,
    alpha: float = 0.5,
    beta: float = 0.5,
    gamma: float = 1.0,
    smooth: float = 1.0,
    reduction: str = "mean",
    value_checks: str | None = None,
) -> Array:
    r"""Tversky loss (Salehi et al., 2017) and, with ``gamma != 1``, focal Tversky loss.

    .. math::
        TI_{nc} = \frac{TP + s}{TP + \alpha\,FP + \beta\,FN + s}, \qquad
        \ell_{nc} = (1 - TI_{nc})^{\gamma}
                  = \Bigl(\frac{\alpha\,FP + \beta\,FN}{TP + \alpha\,FP + \beta\,FN + s}\Bigr)^{\gamma}

    ``alpha`` weights false positives and ``beta`` false negatives, as in Salehi et
    al. (``beta > alpha`` favours recall); ``alpha = beta = 0.5`` is Dice (with
    smoothing ``2 s``), ``alpha = beta = 1`` is Jaccard.

    Focal Tversky convention: the exponent is applied as :math:`(1 - TI)^\gamma`
    (segmentation_models_pytorch's convention; ``gamma = 1`` is the plain Tversky
    loss). Abraham & Khan (2019) write :math:`(1 - TI)^{1/\gamma}` with
    :math:`\gamma \in [1, 3]` and swap the roles of the two weights (their
    :math:`\alpha` multiplies FN); their recommended :math:`\gamma = 4/3`,
    :math:`\alpha = 0.7` is ``gamma=0.75, alpha=0.3, beta=0.7`` here.

    The layout, :math:`TP`, :math:`FP`, :math:`FN` and the reductions are those of
    :func:`dice_loss`. Empty masks: with ``smooth > 0`` an empty prediction on an empty
    mask has loss 0 and a prediction of total mass ``P`` on an empty mask has loss
    :math:`(\alpha P / (\alpha P + s))^\gamma`; with ``smooth = 0`` the empty/empty case
    (0/0) is defined as loss 0 and, with ``alpha > 0``, any other prediction on an empty
    mask has loss 1.

    Parameters
    ----------
    input : Array
        Probabilities in [0, 1], shape (N, C, d1, ..., dK) with the class axis 1, e.g.
        (N, C, H, W); ``C = 1`` for a single binary mask. A real floating dtype.
    target : Array
        Either class indices in [0, C - 1], shape (N, d1, ..., dK) (``input``'s without
        the class axis), any integer dtype; or one-hot / soft labels in [0, 1], the
        shape of ``input``, a real floating dtype (cast to ``input``'s). The dtype
        decides which.
    alpha : float
        :math:`\alpha`, the weight of false positives, finite and >= 0.
    beta : float
        :math:`\beta`, the weight of false negatives, finite and >= 0.
    gamma : float
        :math:`\gamma`, the focal exponent, finite and > 0; 1 is the plain Tversky loss.
    smooth : float
        :math:`s`, the additive smoothing term, finite and >= 0.
    reduction : {"none", "mean", "sum"}
        ``"none"``: the loss of each sample and class; ``"mean"``: their mean over
        samples and classes; ``"sum"``: their sum.

    value_checks : {"auto", "raise", "defer", "off"} or None
        What the checks on values do in this call (``None``: the global option,
        ``"auto"`` by default; see :func:`options`): raise a clear error, give NaN where
        a value is invalid without reading any value on the host, or check nothing.

    Returns
    -------
    Array
        0-d for ``"mean"`` and ``"sum"``; shape (N, C) for ``"none"``. In ``input``'s
        dtype (float16 and bfloat16 are computed in float32).

    Raises
    ------
    ValueError
        For a layout mismatch (or ``input`` with fewer than 2 axes), ``input`` (or float
        ``target``) values outside [0, 1] (concrete arrays; lazy and traced ones give
        NaN instead), ``smooth`` negative or infinite, ``alpha`` or ``beta``
        negative or infinite, ``gamma`` not finite and > 0, or an unknown ``reduction``.
    IndexError
        For integer ``target`` values outside [0, C - 1] (concrete arrays; lazy and
        traced ones give NaN for that sample instead).
    TypeError
        If ``input`` is not real floating, ``target`` is neither integer nor real
        floating, or ``smooth``, ``alpha``, ``beta`` or ``gamma`` is not a real number.

    References
    ----------
    Salehi, Erdogmus, Gholipour, "Tversky loss function for image segmentation using
    3D fully convolutional deep networks", MLMI 2017. Abraham, Khan, "A novel focal
    Tversky loss function with improved attention U-Net for lesion segmentation",
    ISBI 2019.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> probs = np.asarray([[[0.9, 0.8, 0.4, 0.2]]])  # TP = 1.7, FP = 0.6, FN = 0.3
    >>> mask = np.asarray([[[1.0, 1.0, 0.0, 0.0]]])
    >>> round(float(pl.tversky_loss(probs, mask, alpha=0.3, beta=0.7, smooth=0.0)), 6)  # 0.39 / 2.09
    0.186603
    """
    alpha = check_in_range(alpha, "alpha", 0.0, math.inf, hi_open=True)
    beta = check_in_range(beta, "beta", 0.0, math.inf, hi_open=True)
    gamma = check_in_range(gamma, "gamma", 0.0, math.inf, lo_open=True, hi_open=True)
    return _overlap_loss(
        input, target, alpha=alpha, beta=beta, tp_weight=1.0, gamma=gamma, smooth=smooth, reduction=reduction,
        value_checks=value_checks,
    )

