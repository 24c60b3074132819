"""sigmoid_focal_loss(input, target, *, alpha=0.25, gamma=2.0, reduction="mean").

RetinaNet / torchvision semantics on logits z and (soft) targets y in [0, 1]:

    p = sigmoid(z),  p_t = p y + (1 - p)(1 - y),  alpha_t = alpha y + (1 - alpha)(1 - y)
    l = alpha_t * (1 - p_t)^gamma * (y softplus(-z) + (1 - y) softplus(z))

alpha < 0 disables the alpha_t factor; (1 - p_t)^0 = 1.  "mean" divides by
the number of elements (nan when empty).
"""

import mpmath
import numpy as np

from . import register
from ._mp import as_mp, is_nan, reduce_losses, softplus


def _sigmoid(z):
    if mpmath.isinf(z):
        return mpmath.mpf(1) if z > 0 else mpmath.mpf(0)
    # exp of the negative magnitude only: mpmath has the range, this keeps it cheap
    e = mpmath.exp(-abs(z))
    return 1 / (1 + e) if z >= 0 else e / (1 + e)


@register
def sigmoid_focal_loss(input, target, *, alpha=0.25, gamma=2.0, reduction="mean"):
    z, y = as_mp(input), as_mp(target)
    a, g = as_mp(alpha).item(), as_mp(gamma).item()
    out = np.empty(z.shape, dtype=object)
    for idx in np.ndindex(*z.shape):
        zv, yv = z[idx], y[idx]
        if is_nan(zv) or is_nan(yv):
            out[idx] = mpmath.mpf("nan")
            continue
        ce = (yv * softplus(-zv) if yv != 0 else 0) + ((1 - yv) * softplus(zv) if yv != 1 else 0)
        one_minus_pt = yv * _sigmoid(-zv) + (1 - yv) * _sigmoid(zv)
        loss = ce * (one_minus_pt**g if g != 0 else 1)
        if a >= 0:
            loss = (a * yv + (1 - a) * (1 - yv)) * loss
        out[idx] = mpmath.mpf(loss)
    return reduce_losses(out, reduction)
