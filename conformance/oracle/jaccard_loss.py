"""jaccard_loss(input, target, *, smooth=1.0, reduction="mean").

Per (sample, class): 1 - (TP + s) / (sum p + sum t - TP + s) = (FP + FN) / (TP + FP + FN + s)
(see _overlap.py); reduction over the (N, C) losses; empty/empty with s = 0 is 0.
"""

from . import register
from ._overlap import index_loss


@register
def jaccard_loss(input, target, *, smooth=1.0, reduction="mean"):
    return index_loss(input, target, tp_weight=1, alpha=1, beta=1, gamma=1, smooth=smooth, reduction=reduction)
