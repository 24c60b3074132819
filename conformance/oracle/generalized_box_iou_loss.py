"""generalized_box_iou_loss(boxes1, boxes2, *, reduction="mean", eps=1e-7).

torchvision.ops.generalized_box_iou_loss on (..., 4) boxes (x1, y1, x2, y2):

    I = intersection area (0 unless the boxes overlap with positive width and height)
    U = |A| + |B| - I,   C = area of the smallest enclosing box
    l = 1 - (I / (U + eps) - (C - U) / (C + eps))

"mean" over no boxes is 0 (torchvision), otherwise the mean of the elements.
"""

import mpmath
import numpy as np

from . import register
from ._mp import as_mp, div, reduce_losses


@register
def generalized_box_iou_loss(boxes1, boxes2, *, reduction="mean", eps=1e-7):
    b1, b2 = as_mp(boxes1), as_mp(boxes2)
    e = mpmath.mpf(eps)
    out = np.empty(b1.shape[:-1], dtype=object)
    for idx in np.ndindex(*out.shape):
        x1, y1, x2, y2 = b1[idx]
        x1g, y1g, x2g, y2g = b2[idx]
        wi, hi = min(x2, x2g) - max(x1, x1g), min(y2, y2g) - max(y1, y1g)
        inter = wi * hi if wi > 0 and hi > 0 else mpmath.mpf(0)
        union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter
        area_c = (max(x2, x2g) - min(x1, x1g)) * (max(y2, y2g) - min(y1, y1g))
        # 1 - I / (U + eps) = (U - I + eps) / (U + eps): exact when the loss is tiny
        out[idx] = div(union - inter + e, union + e) + div(area_c - union, area_c + e)
    if reduction == "mean" and out.size == 0:
        return mpmath.mpf(0)
    return reduce_losses(out, reduction)
