"""nll_loss(input, target, *, weight=None, ignore_index=-100, reduction="mean").

Input is log-probabilities, shape (C,) with a 0-d target or (N, C, d1..dK)
with target (N, d1..dK); the class axis is 1 (0 when unbatched).  torch
semantics:

    l_i = -w[t_i] * x[i, t_i]     (0 where t_i == ignore_index)

"mean" divides sum(l_i) by sum(w[t_i]) over the targets that are not ignored:
a batch with nothing left (all ignored, empty, or zero total weight) gives
0/0 = NaN.
"""

import numpy as np

from . import register
from ._mp import as_mp, class_last, mp_sum, reduce_losses


def _check_targets(t, n_classes, ignore_index):
    for v in np.asarray(t).ravel():
        if v != ignore_index and not 0 <= v < n_classes:
            msg = f"target {v} out of range for {n_classes} classes"
            raise IndexError(msg)


@register
def nll_loss(input, target, *, weight=None, ignore_index=-100, reduction="mean"):
    x = class_last(as_mp(input))
    t = np.asarray(target, dtype=np.int64)
    n_classes = x.shape[-1]
    _check_targets(t, n_classes, ignore_index)
    w = as_mp(weight) if weight is not None else as_mp(np.ones(n_classes, dtype=np.int64))
    out = np.empty(t.shape, dtype=object)
    picked_weights = []
    for idx in np.ndindex(*t.shape):
        c = int(t[idx])
        if c == ignore_index:
            out[idx] = as_mp(0).item()
            continue
        out[idx] = -w[c] * x[idx + (c,)]
        picked_weights.append(w[c])
    return reduce_losses(out, reduction, divisor=mp_sum(picked_weights))
