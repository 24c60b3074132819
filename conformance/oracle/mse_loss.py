"""mse_loss(input, target, *, reduction="mean").

torch semantics: l_i = (x_i - y_i)^2; "mean" divides by the number of
elements (nan when empty).  Evaluated exactly on the given inputs; any nan
input gives nan, inf - inf (equal infinities) gives nan.
"""

import mpmath
import numpy as np

from . import register
from ._mp import NAN, as_mp, is_nan, reduce_losses


def abs_diff(a, b):
    """|a - b| with IEEE specials: nan in, nan out; equal infinities give nan."""
    if is_nan(a) or is_nan(b) or (mpmath.isinf(a) and a == b):
        return NAN
    return abs(a - b)


@register
def mse_loss(input, target, *, reduction="mean"):
    x, y = as_mp(input), as_mp(target)
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(*x.shape):
        z = abs_diff(x[idx], y[idx])
        out[idx] = z * z
    return reduce_losses(out, reduction)
