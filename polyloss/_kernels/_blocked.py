"""Row blocks: the one walker every blocked kernel uses, and the generic kernels mapped over it.

The generic cross entropy builds several N x C temporaries (the shifted exponentials,
masks, the smoothing terms); with a vocabulary-sized class axis (C = 128k) those are
gigabytes. :func:`by_row_blocks` evaluates a kernel ``rows`` at a time, so the
temporaries are bounded by :data:`BLOCK_ELEMENTS` elements and the result is the
same: it is the generic kernel, on slices. Used for backends without a native kernel
(torch, NumPy and JAX have their own, which are blocked or fused already).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

from .._core._types import Array, Namespace
from .._core._xp import known

__all__ = ["BLOCK_ELEMENTS", "by_row_blocks", "row_slices", "rows_of"]

BLOCK_ELEMENTS = 1 << 22


def row_slices(n: int, per_row: int, block_elements: int) -> Iterator[slice]:
    """Consecutive slices of ``range(n)``, each of at most ``block_elements`` elements
    (``per_row`` per row) and at least one row. Every blocked kernel walks these. An
    unknown ``n`` (``None``, or Dask's ``nan``) is one block of every row."""
    if not known(n):
        yield slice(None)
        return
    step = max(1, block_elements // max(1, per_row))
    for i in range(0, n, step):
        yield slice(i, min(i + step, n))


def rows_of(a: Array | None, ndim: int, n0: int, rows: slice) -> Array | None:
    """Rows ``rows`` of ``a``, an operand broadcast against an ``(n0, ...)`` array of ``ndim``
    dimensions: sliced where it spans axis 0, itself otherwise (``None`` too)."""
    if a is None or a.ndim < ndim or a.shape[0] == 1 or n0 == 1:
        return a
    return a[rows]


def by_row_blocks(kernel: Callable[..., Array], per_row: int, xp: Namespace) -> Callable[..., Array]:
    """``kernel`` evaluated on blocks of rows of its first ``per_row`` arguments (each of
    them indexed by row on axis 0; the others are passed whole), joined along axis 0."""

    def blocked(*args: object) -> Array:
        x = args[0]
        parts = [
            kernel(*(a[sl, ...] for a in args[:per_row]), *args[per_row:])
            for sl in row_slices(x.shape[0], math.prod(x.shape[1:]), BLOCK_ELEMENTS)
        ]
        return parts[0] if len(parts) == 1 else xp.concat(parts, axis=0)

    return blocked
