"""margin_ranking_loss(x1, x2, y, *, margin=0.0, reduction="mean").

    l = max(0, -y (x1 - x2) + margin),   y in {1, -1}

"mean" divides by the number of elements (nan when empty).
"""

import mpmath
import numpy as np

from . import register
from ._mp import as_mp, reduce_losses


@register
def margin_ranking_loss(x1, x2, y, *, margin=0.0, reduction="mean"):
    a, b = as_mp(x1), as_mp(x2)
    labels = np.asarray(y)
    out = np.empty(a.shape, dtype=object)
    for idx in np.ndindex(*a.shape):
        out[idx] = max(-int(labels[idx]) * (a[idx] - b[idx]) + mpmath.mpf(margin), mpmath.mpf(0))
    return reduce_losses(out, reduction)
