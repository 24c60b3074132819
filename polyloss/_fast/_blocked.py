"""Memory-bounded cross entropy for any array-API namespace: the generic formula in row blocks.

The generic definition builds several N x C temporaries (the shifted exponentials,
masks, the smoothing terms); with a vocabulary-sized class axis (C = 128k) those are
gigabytes. Evaluated ``rows`` at a time, the temporaries are bounded by
:data:`BLOCK_ELEMENTS` elements and the result is the same -- it is the generic
formula, on slices. Used for backends without a dedicated fast path (torch, NumPy and
JAX have their own, which are blocked or fused already).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["cross_entropy_indices", "cross_entropy_probabilities", "row_slices", "rows_of"]

BLOCK_ELEMENTS = 1 << 22


def row_slices(n: int, per_row: int, block_elements: int):
    """Consecutive slices of ``range(n)``, each of at most ``block_elements`` elements
    (``per_row`` per row) and at least one row. Every blocked fast path walks these."""
    step = max(1, block_elements // max(1, per_row))
    for i in range(0, n, step):
        yield slice(i, min(i + step, n))


def rows_of(a: Any, ndim: int, n0: int, rows: slice) -> Any:
    """Rows ``rows`` of ``a``, an operand broadcast against an ``(n0, ...)`` array of ``ndim``
    dimensions: sliced where it spans axis 0, itself otherwise (``None`` too)."""
    if a is None or a.ndim < ndim or a.shape[0] == 1 or n0 == 1:
        return a
    return a[rows]


def _row_slices(x: Any):
    return row_slices(x.shape[0], math.prod(x.shape[1:]), BLOCK_ELEMENTS)


def cross_entropy_indices(xp: Any, x: Any, target: Any, w_t: Any, weight: Any, eps: float) -> Any:
    from .._classification import _class_axis_weight, _pick
    from .._special import _lse_parts

    C = x.shape[1]
    parts = []
    for sl in _row_slices(x):
        xb, tb = x[sl, ...], target[sl, ...]
        m, tail = _lse_parts(xp, xb, 1)
        loss = w_t[sl, ...] * ((xp.squeeze(m, axis=1) - _pick(xp, xb, tb)) + xp.squeeze(tail, axis=1))
        if eps > 0:
            nlp = (m - xb) + tail
            if weight is not None:
                nlp = nlp * _class_axis_weight(xp, weight, xb.ndim)
            loss = (1 - eps) * loss + (eps / C) * xp.sum(nlp, axis=1)
        parts.append(loss)
    return parts[0] if len(parts) == 1 else xp.concat(parts, axis=0)


def cross_entropy_probabilities(xp: Any, x: Any, q: Any, weight: Any, eps: float) -> Any:
    from .._classification import _class_axis_weight
    from .._special import _lse_parts

    C = x.shape[1]
    parts = []
    for sl in _row_slices(x):
        xb, qb = x[sl, ...], q[sl, ...]
        m, tail = _lse_parts(xp, xb, 1)
        if eps > 0:
            qb = qb * (1 - eps) + eps / C
        if weight is not None:
            qb = qb * _class_axis_weight(xp, weight, xb.ndim)
        parts.append(xp.sum(qb * xp.where(qb == 0, 0, (m - xb) + tail), axis=1))
    return parts[0] if len(parts) == 1 else xp.concat(parts, axis=0)
