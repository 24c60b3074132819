"""Bounding-box regression losses on (x1, y1, x2, y2) boxes."""

from __future__ import annotations

import math

from .._core._checks import Checks, check_in_range, check_real_floating, check_same_shape
from .._core._reduction import check_reduction, n_terms, reduce
from .._core._special import at_least
from .._core._types import Array
from .._core._xp import compute_dtype, finish, is_empty, namespace, size, to

__all__ = ["generalized_box_iou_loss"]


def _check_boxes(checks: Checks, boxes: Array, name: str) -> None:
    """(..., 4) boxes with x2 >= x1 and y2 >= y1 (deferred: NaN for an invalid box)."""
    if boxes.ndim == 0 or boxes.shape[-1] != 4:
        msg = f"`{name}` must have shape (..., 4) with boxes as (x1, y1, x2, y2); got shape {tuple(boxes.shape)}"
        raise ValueError(msg)
    x1, y1, x2, y2 = (boxes[..., k] for k in range(4))
    checks.require(
        ~((x2 < x1) | (y2 < y1)), boxes,
        message=f"`{name}` must hold boxes (x1, y1, x2, y2) with x2 >= x1 and y2 >= y1; "
        "got a box with x2 < x1 or y2 < y1",
    )


def generalized_box_iou_loss(
    boxes1: Array, boxes2: Array, /, *, reduction: str = "mean", eps: float = 1e-7, value_checks: str | None = None
) -> Array:
    r"""Generalized IoU loss (Rezatofighi et al., 2019) between pairs of boxes.

    For boxes :math:`A` (``boxes1``) and :math:`B` (``boxes2``) with intersection
    :math:`I`, union :math:`U` and smallest enclosing box :math:`C`:

    .. math::
        \ell = 1 - \Bigl(\frac{I}{U + \epsilon} - \frac{|C| - U}{|C| + \epsilon}\Bigr)
             = \frac{U - I + \epsilon}{U + \epsilon} + \frac{|C| - U}{|C| + \epsilon}

    exactly ``torchvision.ops.generalized_box_iou_loss`` (``eps`` included), in
    ``[0, 2)``. Boxes that only touch have :math:`I = 0`.

    Accuracy: for overlapping boxes both numerators are formed without cancellation,
    :math:`U - I = (|A| - I) + (|B| - I)` with
    :math:`|A| - I = \delta^x_A h_A + w_I \delta^y_A` (:math:`\delta_A` the length of
    ``A`` sticking out of ``B`` along an axis) and :math:`|C| - U = \delta^x_B \delta^y_A
    + \delta^y_B \delta^x_A` (the two corners of :math:`C` outside both boxes). So
    nearly coincident boxes -- a well-trained detector -- keep full relative accuracy
    in their small loss, where ``1 - iou`` loses it (float32, or float16/bfloat16,
    which are computed in float32 and returned in the input dtype).

    Parameters
    ----------
    boxes1, boxes2 : Array
        Pairs of boxes as (x1, y1, x2, y2) with ``x2 >= x1`` and ``y2 >= y1``, the same
        shape (N, 4), or (4,) for one pair -- any leading batch axes are allowed,
        (B1, ..., Bk, 4); box ``i`` of ``boxes1`` is compared with box ``i`` of
        ``boxes2``. Real floating dtypes.
    reduction : {"none", "mean", "sum"}
        ``"none"``: the loss of each pair; ``"mean"``: their mean (the default;
        torchvision's default is ``"none"``); ``"sum"``: their sum. As in torchvision,
        the mean over no boxes is 0, not NaN, so that a batch without matched boxes
        trains on.
    eps : float
        Torchvision's guard against division by zero, finite and >= 0.

    value_checks : {"auto", "raise", "defer", "off"} or None
        What the checks on values do in this call (``None``: the global option,
        ``"auto"`` by default; see :func:`options`): raise a clear error, give NaN where
        a value is invalid without reading any value on the host, or check nothing.

    Returns
    -------
    Array
        0-d for ``"mean"`` and ``"sum"``; for ``"none"``, the shape of the boxes without
        the last axis: (N,) for (N, 4) boxes, 0-d for (4,), (B1, ..., Bk) in general. In
        the promoted dtype of ``boxes1`` and ``boxes2`` (float16 and bfloat16 are
        computed in float32).

    Raises
    ------
    ValueError
        For shapes that differ or are not (..., 4), boxes with ``x2 < x1`` or
        ``y2 < y1`` (torchvision does not check), checked for concrete arrays (lazy and
        traced ones give NaN for that pair instead), ``eps`` negative or infinite, or an
        unknown ``reduction``.
    TypeError
        For integer boxes (torchvision upcasts them): convert to floating first; or an
        ``eps`` that is not a real number.

    References
    ----------
    Rezatofighi, Tsoi, Gwak, Sadeghian, Reid, Savarese, "Generalized intersection over
    union: a metric and a loss for bounding box regression", CVPR 2019.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> a = np.asarray([[0.0, 0.0, 2.0, 2.0]]); b = np.asarray([[1.0, 1.0, 3.0, 3.0]])
    >>> round(float(pl.generalized_box_iou_loss(a, b, eps=0.0)), 6)  # 1 - (1/7 - 2/9)
    1.079365
    """
    xp = namespace(boxes1=boxes1, boxes2=boxes2)
    check_reduction(reduction)
    check_real_floating(xp, boxes1, "boxes1")
    check_real_floating(xp, boxes2, "boxes2")
    check_same_shape(boxes1, boxes2, ("boxes1", "boxes2"))
    checks = Checks(xp, value_checks)
    _check_boxes(checks, boxes1, "boxes1")
    _check_boxes(checks, boxes2, "boxes2")
    eps = check_in_range(eps, "eps", 0.0, math.inf, hi_open=True)
    dtype = xp.result_type(boxes1, boxes2)
    work = compute_dtype(xp, dtype)
    b1, b2 = to(xp, boxes1, work), to(xp, boxes2, work)
    x1, y1, x2, y2 = (b1[..., k] for k in range(4))
    x1g, y1g, x2g, y2g = (b2[..., k] for k in range(4))

    w1, h1, w2, h2 = x2 - x1, y2 - y1, x2g - x1g, y2g - y1g
    wi = xp.minimum(x2, x2g) - xp.maximum(x1, x1g)
    hi = xp.minimum(y2, y2g) - xp.maximum(y1, y1g)
    overlap = (wi > 0) & (hi > 0)  # torchvision: touching boxes have I = 0
    inter = xp.where(overlap, wi * hi, 0)
    # how far each box sticks out of the other along x and y (0 if it does not)
    ax = at_least(xp, x2 - x2g, 0) + at_least(xp, x1g - x1, 0)
    ay = at_least(xp, y2 - y2g, 0) + at_least(xp, y1g - y1, 0)
    bx = at_least(xp, x2g - x2, 0) + at_least(xp, x1 - x1g, 0)
    by = at_least(xp, y2g - y2, 0) + at_least(xp, y1 - y1g, 0)
    # |A| - I = w1 h1 - wi hi = (w1 - wi) h1 + wi (h1 - hi), with w1 - wi = ax, h1 - hi = ay
    a_only = xp.where(overlap, ax * h1 + wi * ay, w1 * h1)
    b_only = xp.where(overlap, bx * h2 + wi * by, w2 * h2)
    union = a_only + b_only + inter
    # enclosing box C: |C| - U is the two corners outside both boxes when they overlap
    area_c = (xp.maximum(x2, x2g) - xp.minimum(x1, x1g)) * (xp.maximum(y2, y2g) - xp.minimum(y1, y1g))
    c_gap = xp.where(overlap, bx * ay + by * ax, area_c - union)
    # 1 - I / (U + eps) = (U - I + eps) / (U + eps); den = 0 only for degenerate boxes with eps = 0
    den_u = union + eps
    den_c = area_c + eps
    loss = (a_only + b_only + eps) / xp.where(den_u == 0, xp.ones_like(den_u), den_u)
    loss = xp.where(den_u == 0, xp.nan, loss)  # 0 / 0, as torchvision with eps = 0
    loss = loss + c_gap / xp.where(den_c == 0, xp.ones_like(den_c), den_c)
    loss = checks.result(loss)  # lazy boxes with x2 < x1 or y2 < y1: NaN
    if reduction == "mean" and is_empty(loss):
        return finish(xp, xp.sum(loss), dtype)  # torchvision: the mean over no boxes is 0
    out = reduce(loss, reduction, xp=xp)
    if reduction == "mean" and size(loss) is None:  # an unknown number of boxes, maybe none
        out = xp.where(n_terms(xp, loss) == 0, 0, out)
    return finish(xp, out, dtype)
