"""entropy(p, *, axis=-1).

Shannon entropy in nats of the distributions laid along ``axis`` (an int, a
tuple of ints, or None for all axes):

    H(p) = -sum_i p_i log p_i,   0 log 0 = 0

The input is used as given (not renormalised).
"""

import mpmath
import numpy as np

from . import register
from ._mp import as_mp, mp_sum


def along(x: np.ndarray, axis):
    """(rows, out_shape): x with the reduced axes flattened last."""
    axes = tuple(range(x.ndim)) if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
    axes = tuple(a % x.ndim for a in axes)
    keep = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, keep + list(axes))
    out_shape = tuple(x.shape[a] for a in keep)
    return moved.reshape(out_shape + (-1,)), out_shape


def finish(values: np.ndarray):
    return values.reshape(()).item() if values.ndim == 0 else values


@register
def entropy(p, *, axis=-1):
    rows, shape = along(as_mp(p), axis)
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        out[idx] = mp_sum(-(v * mpmath.log(v)) for v in rows[idx].tolist() if v != 0)
    return finish(out)
