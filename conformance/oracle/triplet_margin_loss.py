"""triplet_margin_loss(anchor, positive, negative, *, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean").

torch semantics, along the last (feature) axis:

    d(x, y) = (sum_k |x_k - y_k + eps|^p)^(1/p)          (eps added to each difference)
    l = max(0, margin + d(a, p) - d(a, n)),  with swap: d(a, n) -> min(d(a, n), d(p, n))

"mean" divides by the number of triplets (nan when empty).
"""

import mpmath
import numpy as np

from . import register, register_terms
from ._mp import as_mp, reduce_losses


def pairwise_distance(x, y, p, eps):
    diffs = [abs(a - b + eps) for a, b in zip(x, y, strict=True)]
    if mpmath.isinf(p):
        return max(diffs)
    return mpmath.fsum(d**p for d in diffs) ** (1 / p)


@register
def triplet_margin_loss(anchor, positive, negative, *, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean"):
    return _losses(anchor, positive, negative, margin, p, eps, swap, reduction,
                   lambda m, dp, dn: max(m + dp - dn, mpmath.mpf(0)))


@register_terms("triplet_margin_loss")
def triplet_margin_loss_terms(anchor, positive, negative, *, margin=1.0, p=2.0, eps=1e-6, swap=False,
                              reduction="mean"):
    """The hinge's argument adds the margin and two distances, each computed (rounded) on its own."""
    return _losses(anchor, positive, negative, margin, p, eps, swap, reduction,
                   lambda m, dp, dn: abs(m) + dp + dn)


def _losses(anchor, positive, negative, margin, p, eps, swap, reduction, hinge):
    a, pos, neg = as_mp(anchor), as_mp(positive), as_mp(negative)
    m, pp, e = mpmath.mpf(margin), mpmath.mpf(p), mpmath.mpf(eps)
    out = np.empty(a.shape[:-1], dtype=object)
    for idx in np.ndindex(*out.shape):
        d_pos = pairwise_distance(a[idx], pos[idx], pp, e)
        d_neg = pairwise_distance(a[idx], neg[idx], pp, e)
        if swap:
            d_neg = min(d_neg, pairwise_distance(pos[idx], neg[idx], pp, e))
        out[idx] = hinge(m, d_pos, d_neg)
    return reduce_losses(out, reduction)
