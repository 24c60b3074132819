"""huber_loss(input, target, *, reduction="mean", delta=1.0).

torch semantics, with z = |x - y|:

    l = z^2 / 2                  if z < delta
    l = delta * (z - delta / 2)  otherwise

"mean" divides by the number of elements (nan when empty).
"""

import numpy as np

from . import register
from ._mp import as_mp, is_nan, reduce_losses
from .mse_loss import abs_diff


@register
def huber_loss(input, target, *, reduction="mean", delta=1.0):
    x, y = as_mp(input), as_mp(target)
    d = as_mp(delta).item()
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(*x.shape):
        z = abs_diff(x[idx], y[idx])
        out[idx] = z if is_nan(z) else (z * z / 2 if z < d else d * (z - d / 2))
    return reduce_losses(out, reduction)
