"""tversky_loss(input, target, *, alpha=0.5, beta=0.5, gamma=1.0, smooth=1.0, reduction="mean").

Per (sample, class): TI = (TP + s) / (TP + alpha FP + beta FN + s) (alpha weights false
positives, beta false negatives, Salehi et al. 2017), loss (1 - TI)^gamma (focal Tversky
with the exponent applied as written; Abraham & Khan's 1/gamma is gamma here).
"""

from . import register
from ._overlap import index_loss


@register
def tversky_loss(input, target, *, alpha=0.5, beta=0.5, gamma=1.0, smooth=1.0, reduction="mean"):
    return index_loss(input, target, tp_weight=1, alpha=alpha, beta=beta, gamma=gamma, smooth=smooth,
                      reduction=reduction)
