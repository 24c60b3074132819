"""Shared by the dice_loss, jaccard_loss and tversky_loss oracles.

``input`` (N, C, d1..dK) probabilities; ``target`` int64 class indices (N, d1..dK)
(one-hot along axis 1) or probabilities of input's shape.  Per (sample, class),
summing over the spatial axes, TP = sum p t, FP = sum p (1 - t), FN = sum (1 - p) t.
"""

import mpmath
import numpy as np

from ._mp import as_mp, reduce_losses


def counts(input, target):
    """(TP, FP, FN) object arrays of shape (N, C)."""
    p = as_mp(input)
    n, c = p.shape[:2]
    if np.asarray(target).dtype.kind in "iu":
        t_idx = np.asarray(target)
        t = np.empty(p.shape, dtype=object)
        for idx in np.ndindex(*p.shape):
            t[idx] = mpmath.mpf(1 if t_idx[(idx[0], *idx[2:])] == idx[1] else 0)
    else:
        t = as_mp(target)
    tp, fp, fn = (np.empty((n, c), dtype=object) for _ in range(3))
    for i in range(n):
        for k in range(c):
            pv = np.asarray(p[i, k], dtype=object).ravel().tolist()
            tv = np.asarray(t[i, k], dtype=object).ravel().tolist()
            tp[i, k] = mpmath.fsum(a * b for a, b in zip(pv, tv, strict=True))
            fp[i, k] = mpmath.fsum(a * (1 - b) for a, b in zip(pv, tv, strict=True))
            fn[i, k] = mpmath.fsum((1 - a) * b for a, b in zip(pv, tv, strict=True))
    return tp, fp, fn


def index_loss(input, target, *, tp_weight, alpha, beta, gamma, smooth, reduction):
    """((alpha FP + beta FN) / (tp_weight TP + alpha FP + beta FN + smooth))^gamma: one minus
    the index (TP_w TP + s) / (...), written as the ratio so that a tiny loss stays exact; the
    empty/empty case with smooth = 0 (0/0) is 0, a perfect match."""
    tp, fp, fn = counts(input, target)
    a, b, g, s = (mpmath.mpf(v) for v in (alpha, beta, gamma, smooth))
    out = np.empty(tp.shape, dtype=object)
    for idx in np.ndindex(*tp.shape):
        num = a * fp[idx] + b * fn[idx]
        den = tp_weight * tp[idx] + num + s
        loss = mpmath.mpf(0) if den == 0 else num / den
        out[idx] = loss**g if loss != 0 else mpmath.mpf(0)
    return reduce_losses(out, reduction)
