"""NumPy kernel of linear cross entropy: each row block's logits into one reused buffer, then
the NumPy cross entropy fast path on them.

The generic kernel's formula costs a dozen NumPy passes per block; the cross entropy
kernel (``_numpy``: ``out=`` ufuncs on cache-sized pieces, the ``log1p`` tail
only where it matters) does the same work in a few, and the logits of a block are
written by ``matmul(..., out=)`` into a buffer kept for the whole call. Memory: one
block of :data:`BLOCK_ELEMENTS` logits and the fast path's scratch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _numpy as fast
from ._blocked import row_slices
from ._native import Native

__all__ = ["KERNELS"]

#: Logits per block (8 MiB of float32).
BLOCK_ELEMENTS = 1 << 21


def usable(*arrays: Any) -> bool:
    """Only exact ndarrays (no subclasses), as the fast path takes."""
    return fast._plain(*arrays)


def linear_cross_entropy(input: Any, weight: Any, bias: Any, target: Any, w_t: Any, eps: float) -> Any:
    """The generic kernel's (``_generic.linear_cross_entropy``) arguments and result."""
    N, V = input.shape[0], weight.shape[0]
    out = np.empty((N,), dtype=input.dtype)
    weight_t = weight.T
    buf = None
    for rows in row_slices(N, V, BLOCK_ELEMENTS):
        hb = input[rows]
        if buf is None:
            buf = np.empty((hb.shape[0], V), dtype=input.dtype)
        z = buf[: hb.shape[0]]
        np.matmul(hb, weight_t, out=z)
        if bias is not None:
            z += bias
        ones = np.ones(hb.shape[:1], dtype=input.dtype) if w_t is None else w_t[rows]
        out[rows] = fast.cross_entropy_indices(z, target[rows], ones, None, eps)
    return out


KERNELS = {
    # (N, H) rows (the generic kernel also takes rows of more axes, for unknown sizes)
    "linear_cross_entropy": Native(
        linear_cross_entropy, applies=lambda h, w, b, t, w_t, eps: h.ndim == 2 and usable(h, w, b, t, w_t)
    ),
}
