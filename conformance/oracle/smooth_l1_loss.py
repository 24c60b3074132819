"""smooth_l1_loss(input, target, *, reduction="mean", beta=1.0).

torch semantics, with z = |x - y|:

    l = z^2 / (2 beta)   if z < beta
    l = z - beta / 2     otherwise

so beta = 0 is the L1 loss.  "mean" divides by the number of elements (nan
when empty).
"""

import numpy as np

from . import register
from ._mp import as_mp, is_nan, reduce_losses
from .mse_loss import abs_diff


@register
def smooth_l1_loss(input, target, *, reduction="mean", beta=1.0):
    x, y = as_mp(input), as_mp(target)
    b = as_mp(beta).item()
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(*x.shape):
        z = abs_diff(x[idx], y[idx])
        out[idx] = z if is_nan(z) else (z * z / (2 * b) if z < b else z - b / 2)
    return reduce_losses(out, reduction)
