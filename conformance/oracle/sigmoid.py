"""sigmoid(x) = 1 / (1 + exp(-x)), elementwise."""

import mpmath
import numpy as np

from . import register
from ._mp import NAN, as_mp, is_nan


def _sigmoid(v):
    if is_nan(v):
        return NAN
    if v >= 0:
        return 1 / (1 + mpmath.exp(-v))
    e = mpmath.exp(v)  # exp(-v) would be huge; same value, written from the other side
    return e / (1 + e)


@register
def sigmoid(x):
    x = as_mp(x)
    out = np.empty(x.shape, dtype=object)
    for idx, v in np.ndenumerate(x):
        out[idx] = _sigmoid(v)
    return out
