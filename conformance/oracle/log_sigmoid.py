"""log_sigmoid(x) = log(1 / (1 + exp(-x))) = -softplus(-x), elementwise."""

import numpy as np

from . import register
from ._mp import as_mp, softplus


@register
def log_sigmoid(x):
    x = as_mp(x)
    out = np.empty(x.shape, dtype=object)
    for idx, v in np.ndenumerate(x):
        out[idx] = -softplus(-v)
    return out
