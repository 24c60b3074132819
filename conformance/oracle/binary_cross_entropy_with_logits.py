"""binary_cross_entropy_with_logits(input, target, *, weight=None,
pos_weight=None, reduction="mean").

Input is logits z.  torch.nn.functional semantics, written without any
cancellation:

    l = w * (pos_weight * y * softplus(-z) + (1 - y) * softplus(z))

(softplus(t) = log(1 + exp(t)); -log sigmoid(z) = softplus(-z),
-log(1 - sigmoid(z)) = softplus(z)).  ``pos_weight`` broadcasts against the
target (one value per class on the last axis), ``weight`` against the input;
"mean" divides by the number of elements.
"""

import numpy as np

from . import register
from ._mp import as_mp, reduce_losses, softplus


@register
def binary_cross_entropy_with_logits(input, target, *, weight=None, pos_weight=None, reduction="mean"):
    z, y = as_mp(input), as_mp(target)
    w = np.broadcast_to(as_mp(weight), z.shape) if weight is not None else None
    pw = np.broadcast_to(as_mp(pos_weight), z.shape) if pos_weight is not None else None
    out = np.empty(z.shape, dtype=object)
    for idx, zv in np.ndenumerate(z):
        yv = y[idx]
        pos = yv * softplus(-zv)
        if pw is not None:
            pos = pw[idx] * pos
        loss = pos + (1 - yv) * softplus(zv)
        out[idx] = loss if w is None else w[idx] * loss
    return reduce_losses(out, reduction)
