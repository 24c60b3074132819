"""logsumexp(x, axis=None, keepdims=False) = log(sum(exp(x))) over ``axis``.

Empty reductions give -inf (log of an empty sum), an all -inf slice gives
-inf, any +inf gives +inf, any NaN gives NaN.
"""

import numpy as np

import mpmath

from . import register, register_terms
from ._mp import as_mp, logsumexp_parts, logsumexp_seq


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
    return _over(x, axis, keepdims, logsumexp_seq)


@register_terms("logsumexp")
def logsumexp_terms(x, *, axis=None, keepdims=False):
    """m + log(sum exp(x - m)) with m the maximum: the terms |m| and log(...) >= 0
    cancel where m < 0 (e.g. log(exp(-0.7) + exp(-0.7)) = -0.0069)."""

    def magnitudes(values):
        m, s = logsumexp_parts(values)
        return m if not mpmath.isfinite(m) else abs(m) + mpmath.log1p(s)

    return _over(x, axis, keepdims, magnitudes)


def _over(x, axis, keepdims, reduce_seq):
    x = as_mp(x)
    axes = _norm_axes(axis, x.ndim)
    keep = [a for a in range(x.ndim) if a not in axes]
    moved = np.moveaxis(x, keep + list(axes), range(x.ndim))
    kept_shape = tuple(x.shape[a] for a in keep)
    flat = moved.reshape(kept_shape + (-1,)) if moved.size else np.empty(kept_shape + (0,), dtype=object)
    out = np.empty(kept_shape, dtype=object)
    for idx in np.ndindex(*kept_shape):
        out[idx] = reduce_seq(flat[idx].tolist())
    if keepdims:
        out = out.reshape(tuple(1 if a in axes else x.shape[a] for a in range(x.ndim)))
    return out
