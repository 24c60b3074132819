"""dice_loss(input, target, *, smooth=1.0, reduction="mean").

Per (sample, class): 1 - (2 TP + s) / (sum p + sum t + s) = (FP + FN) / (2 TP + FP + FN + s)
(see _overlap.py); reduction over the (N, C) losses; empty/empty with s = 0 is 0.
"""

from . import register
from ._overlap import index_loss


@register
def dice_loss(input, target, *, smooth=1.0, reduction="mean"):
    return index_loss(input, target, tp_weight=2, alpha=1, beta=1, gamma=1, smooth=smooth, reduction=reduction)
