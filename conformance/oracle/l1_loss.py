"""l1_loss(input, target, *, reduction="mean").

torch semantics: l_i = |x_i - y_i|; "mean" divides by the number of elements
(nan when empty).
"""

import numpy as np

from . import register
from ._mp import as_mp, reduce_losses
from .mse_loss import abs_diff


@register
def l1_loss(input, target, *, reduction="mean"):
    x, y = as_mp(input), as_mp(target)
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(*x.shape):
        out[idx] = abs_diff(x[idx], y[idx])
    return reduce_losses(out, reduction)
