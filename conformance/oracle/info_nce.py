"""info_nce(query, positive, negatives, *, temperature=0.1, reduction="mean").

Cross entropy of the positive (class 0) among [positive, negatives] with logits
sim / temperature, sim the cosine similarity (0 when either vector is zero):

    l_i = -log( e^{s(q_i, p_i)/t} / (e^{s(q_i, p_i)/t} + sum_j e^{s(q_i, n_ij)/t}) )
        = log1p( sum_j e^{(s(q_i, n_ij) - s(q_i, p_i)) / t} )

negatives (M, D) are shared by every query, (N, M, D) are per query.  (The
in-batch form, negatives=None, is the per-query form with n_i = the other rows'
positives.)  "mean" divides by N.
"""

import mpmath
import numpy as np

from . import register
from ._mp import as_mp, reduce_losses


def cosine_similarity(u, v):
    nu = mpmath.sqrt(mpmath.fsum(a * a for a in u))
    nv = mpmath.sqrt(mpmath.fsum(b * b for b in v))
    if nu == 0 or nv == 0:
        return mpmath.mpf(0)
    return mpmath.fsum(a * b for a, b in zip(u, v, strict=True)) / (nu * nv)


@register
def info_nce(query, positive, negatives, *, temperature=0.1, reduction="mean"):
    q, p, n = as_mp(query), as_mp(positive), as_mp(negatives)
    t = mpmath.mpf(temperature)
    out = np.empty(q.shape[0], dtype=object)
    for i in range(q.shape[0]):
        negs = n if n.ndim == 2 else n[i]
        pos = cosine_similarity(q[i], p[i]) / t
        # log of the sum over [positive, negatives] of e^{x_j - x_pos}, the positive's term (1) kept apart
        out[i] = mpmath.log1p(mpmath.fsum(mpmath.exp(cosine_similarity(q[i], m) / t - pos) for m in negs))
    return reduce_losses(out, reduction)
