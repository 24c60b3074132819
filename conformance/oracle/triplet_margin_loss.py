"""triplet_margin_loss(anchor, positive, negative, *, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean").

torch semantics, along the last (feature) axis:

    d(x, y) = (sum_k |x_k - y_k + eps|^p)^(1/p)          (eps added to each difference)
    l = max(0, margin + d(a, p) - d(a, n)),  with swap: d(a, n) -> min(d(a, n), d(p, n))

"mean" divides by the number of triplets (nan when empty).
"""

import mpmath
import numpy as np

from . import register
from ._mp import as_mp, reduce_losses


def pairwise_distance(x, y, p, eps):
    diffs = [abs(a - b + eps) for a, b in zip(x, y, strict=True)]
    if mpmath.isinf(p):
        return max(diffs)
    return mpmath.fsum(d**p for d in diffs) ** (1 / p)


@register
def triplet_margin_loss(anchor, positive, negative, *, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean"):
    a, pos, neg = as_mp(anchor), as_mp(positive), as_mp(negative)
    m, pp, e = mpmath.mpf(margin), mpmath.mpf(p), mpmath.mpf(eps)
    out = np.empty(a.shape[:-1], dtype=object)
    for idx in np.ndindex(*out.shape):
        d_pos = pairwise_distance(a[idx], pos[idx], pp, e)
        d_neg = pairwise_distance(a[idx], neg[idx], pp, e)
        if swap:
            d_neg = min(d_neg, pairwise_distance(pos[idx], neg[idx], pp, e))
        out[idx] = max(m + d_pos - d_neg, mpmath.mpf(0))
    return reduce_losses(out, reduction)
