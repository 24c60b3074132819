"""binary_cross_entropy(input, target, *, weight=None, reduction="mean").

Input is probabilities p in [0, 1].  torch.nn.functional semantics:

    l = -w * (y * max(log p, -100) + (1 - y) * max(log(1 - p), -100))

Each log is clamped at -100 (so p = 0 or 1 gives a finite loss and
0 * log 0 never appears); ``weight`` broadcasts to the input's shape; "mean"
divides the sum of the weighted losses by the number of elements (NaN when
there are none).
"""

import mpmath
import numpy as np

from . import register
from ._mp import as_mp, reduce_losses

CLAMP = mpmath.mpf(-100)


def _clamped(logv):
    return max(logv, CLAMP)


@register
def binary_cross_entropy(input, target, *, weight=None, reduction="mean"):
    p, y = as_mp(input), as_mp(target)
    w = np.broadcast_to(as_mp(weight), p.shape) if weight is not None else None
    out = np.empty(p.shape, dtype=object)
    for idx, pv in np.ndenumerate(p):
        yv = y[idx]
        # log1p(-p) keeps log(1 - p) exact for tiny p
        loss = -(yv * _clamped(mpmath.log(pv)) + (1 - yv) * _clamped(mpmath.log1p(-pv)))
        out[idx] = loss if w is None else w[idx] * loss
    return reduce_losses(out, reduction)
