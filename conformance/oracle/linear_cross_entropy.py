"""linear_cross_entropy(input, weight, target, *, bias=None, ignore_index=-100,
reduction="mean", label_smoothing=0.0).

The cross entropy of the logits of a linear layer, classes on the last axis:

    z[..., c] = sum_k input[..., k] * weight[c, k] + bias[c]

    linear_cross_entropy(input, weight, target, ...) = cross_entropy(z with its last axis moved to 1, target, ...)

(the logits exact at the oracle's precision; every option as in ``cross_entropy``).
"""

import numpy as np

from . import register
from ._mp import as_mp, mp_sum
from .cross_entropy import cross_entropy


@register
def linear_cross_entropy(input, weight, target, *, bias=None, ignore_index=-100, reduction="mean",
                         label_smoothing=0.0):
    h, w = as_mp(input), as_mp(weight)
    n_classes, hidden = w.shape
    b = as_mp(bias) if bias is not None else None
    z = np.empty(h.shape[:-1] + (n_classes,), dtype=object)
    for idx in np.ndindex(*h.shape[:-1]):
        for c in range(n_classes):
            dot = mp_sum(h[idx + (k,)] * w[c, k] for k in range(hidden))
            z[idx + (c,)] = dot if b is None else dot + b[c]
    x = np.moveaxis(z, -1, 1) if z.ndim > 1 else z
    return cross_entropy(x, target, ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing)
