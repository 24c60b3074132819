"""softmax_focal_loss(input, target, *, gamma=2.0, weight=None,
ignore_index=-100, reduction="mean").

Multi-class focal loss on logits, class axis 1 for (N, C, d1..dK), 0 for
unbatched (C,), class-index targets t:

    p = softmax(input) along the class axis
    l_i = w[t_i] * (1 - p[i, t_i])^gamma * (-log p[i, t_i])     (0 where t_i == ignore_index)

"mean" divides sum(l_i) by sum(w[t_i]) over targets that are not ignored
(cross_entropy's convention; nan when all are ignored), so gamma = 0 is
cross_entropy.  The class weight is not part of p_t.
"""

import mpmath
import numpy as np

from . import register
from ._mp import as_mp, class_last, logsumexp_parts, mp_sum, reduce_losses
from .nll_loss import _check_targets


@register
def softmax_focal_loss(input, target, *, gamma=2.0, weight=None, ignore_index=-100, reduction="mean"):
    x = class_last(as_mp(input))
    n_classes = x.shape[-1]
    g = as_mp(gamma).item()
    w = as_mp(weight) if weight is not None else as_mp(np.ones(n_classes, dtype=np.int64))
    t = np.asarray(target).astype(np.int64)
    _check_targets(t, n_classes, ignore_index)
    out = np.empty(t.shape, dtype=object)
    picked = []
    for idx in np.ndindex(*t.shape):
        c = int(t[idx])
        if c == ignore_index:
            out[idx] = mpmath.mpf(0)
            continue
        row = [mpmath.mpf(v) for v in x[idx].tolist()]
        m, s = logsumexp_parts(row)
        lse = m + mpmath.log1p(s)
        nll = lse - row[c]
        # 1 - p_t = sum over the other classes, each exp(x_j - lse) (no 1 - p_t cancellation)
        rest = mp_sum(mpmath.exp(v - lse) for k, v in enumerate(row) if k != c)
        out[idx] = w[c] * (rest**g if g != 0 else 1) * nll
        picked.append(w[c])
    return reduce_losses(out, reduction, divisor=mp_sum(picked))
