"""cosine_embedding_loss(x1, x2, y, *, margin=0.0, reduction="mean").

torch semantics, along the last axis of (N, D) or (D,) inputs, labels y in {1, -1}:

    cos = x1 . x2 / sqrt((|x1|^2 + 1e-12) (|x2|^2 + 1e-12))      (torch's EPSILON, on each squared norm)
    l = 1 - cos  (y = 1),   max(0, cos - margin)  (y = -1)

"mean" divides by the number of pairs (nan when empty).
"""

import mpmath
import numpy as np

from . import register
from ._mp import as_mp, reduce_losses

EPS = mpmath.mpf(1e-12)  # the double 1e-12 of aten's cosine_embedding_loss


@register
def cosine_embedding_loss(x1, x2, y, *, margin=0.0, reduction="mean"):
    a, b = as_mp(x1), as_mp(x2)
    labels = np.asarray(y)
    out = np.empty(a.shape[:-1], dtype=object)
    for idx in np.ndindex(*out.shape):
        u, v = a[idx], b[idx]
        dot = mpmath.fsum(p * q for p, q in zip(u, v, strict=True))
        n1 = mpmath.fsum(p * p for p in u) + EPS
        n2 = mpmath.fsum(q * q for q in v) + EPS
        cos = dot / mpmath.sqrt(n1 * n2)
        if int(labels[idx]) == 1:
            out[idx] = 1 - cos
        elif int(labels[idx]) == -1:
            out[idx] = max(cos - mpmath.mpf(margin), mpmath.mpf(0))
        else:
            msg = f"y must be 1 or -1, got {labels[idx]}"
            raise ValueError(msg)
    return reduce_losses(out, reduction)
