"""softmax(x, axis=-1) = exp(x - logsumexp(x, axis)).

An all -inf slice has no defined softmax; the oracle returns NaN there (0/0),
as torch, scipy and the formula itself do.
"""

import mpmath
import numpy as np

from . import register
from ._mp import NAN, as_mp, is_nan, log_softmax_seq


def _along(x, axis, fn):
    x = as_mp(x)
    moved = np.moveaxis(x, axis, -1)
    out = np.empty(moved.shape, dtype=object)
    for idx in np.ndindex(*moved.shape[:-1]):
        out[idx] = fn(moved[idx].tolist())
    return np.moveaxis(out, -1, axis)


def _softmax_row(row):
    # -inf - (-inf) = nan: an all -inf row is undefined
    return [NAN if is_nan(d) else mpmath.exp(d) for d in log_softmax_seq(row)]


@register
def softmax(x, *, axis=-1):
    return _along(x, axis, _softmax_row)
