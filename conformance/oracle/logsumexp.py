"""logsumexp(x, axis=None, keepdims=False) = log(sum(exp(x))) over ``axis``.

Empty reductions give -inf (log of an empty sum), an all -inf slice gives
-inf, any +inf gives +inf, any NaN gives NaN.
"""

import numpy as np

from . import register
from ._mp import as_mp, logsumexp_seq


def _norm_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            msg = f"axis {a} out of range for {ndim}-d input"
            raise ValueError(msg)
        out.append(a % ndim)
    return tuple(sorted(set(out)))


@register
def logsumexp(x, *, axis=None, keepdims=False):
    x = as_mp(x)
    axes = _norm_axes(axis, x.ndim)
    keep = [a for a in range(x.ndim) if a not in axes]
    moved = np.moveaxis(x, keep + list(axes), range(x.ndim))
    kept_shape = tuple(x.shape[a] for a in keep)
    flat = moved.reshape(kept_shape + (-1,)) if moved.size else np.empty(kept_shape + (0,), dtype=object)
    out = np.empty(kept_shape, dtype=object)
    for idx in np.ndindex(*kept_shape):
        out[idx] = logsumexp_seq(flat[idx].tolist())
    if keepdims:
        out = out.reshape(tuple(1 if a in axes else x.shape[a] for a in range(x.ndim)))
    return out
