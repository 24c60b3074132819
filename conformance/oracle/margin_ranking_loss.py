"""margin_ranking_loss(x1, x2, y, *, margin=0.0, reduction="mean").

    l = max(0, -y (x1 - x2) + margin),   y in {1, -1}

"mean" divides by the number of elements (nan when empty).
"""

import mpmath
import numpy as np

from . import register, register_terms
from ._mp import as_mp, reduce_losses


@register
def margin_ranking_loss(x1, x2, y, *, margin=0.0, reduction="mean"):
    return _losses(x1, x2, y, margin, reduction, lambda d, m: max(d + m, mpmath.mpf(0)))


@register_terms("margin_ranking_loss")
def margin_ranking_loss_terms(x1, x2, y, *, margin=0.0, reduction="mean"):
    """The hinge's argument adds -y (x1 - x2) (one rounded difference) and the margin."""
    return _losses(x1, x2, y, margin, reduction, lambda d, m: abs(d) + abs(m))


def _losses(x1, x2, y, margin, reduction, hinge):
    a, b = as_mp(x1), as_mp(x2)
    labels = np.asarray(y)
    out = np.empty(a.shape, dtype=object)
    for idx in np.ndindex(*a.shape):
        out[idx] = hinge(-int(labels[idx]) * (a[idx] - b[idx]), mpmath.mpf(margin))
    return reduce_losses(out, reduction)
