"""NumPy fast paths: chunked, in-place evaluation on cache-sized blocks.

The textbook NumPy cross entropy (``max``, ``x - max``, ``exp``, ``sum``, ``log``,
``take_along_axis``) allocates two N x C temporaries, and on a large input every
fresh allocation costs page faults and a trip through main memory. Here the class
scores go through a few scratch buffers of :data:`BLOCK_ELEMENTS` elements with
``out=`` ufuncs: the work stays in the core's cache and the extra memory is a few
megabytes whatever the input size (plus the per-position results).

Layouts. With many classes a block is a set of rows ``(L, C)`` reduced along axis 1
(NumPy's pairwise summation). With few classes (``C < TRANSPOSED_BELOW_C``) NumPy's reductions
over a short last axis are slow, so a block is transposed to ``(C, L)`` and reduced
along axis 0: every ufunc then runs across ``L`` positions at once. Inputs with extra
axes ``(N, C, d1, ...)`` are already in that layout, position-major.

Threads. From :data:`PARALLEL_ELEMENTS` elements on, the rows are split into one
contiguous range per thread (``polyloss.options(threads=...)``, one per CPU by
default; the calling thread takes the first range): NumPy's ufuncs release the GIL.
Each row is computed the same way whatever the split.

Accuracy is the generic path's: ``log S`` is used only where ``S >= 2`` (within a
factor 1.44 of ``log1p``'s error bound); rows with ``S < 2`` take
``log1p(sum of the non-maximal terms)``, and rows with a non-finite maximum take the
generic formula itself.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator

import numpy as np

import array_api_compat.numpy as xp_numpy

from .._core._config import get_option
from .._core._reduction import combine_scaled, finish_sum, scaled_sum
from .._core._special import lse_parts, needs_log1p
from ._blocked import row_slices, rows_of
from ._native import Native

__all__ = ["KERNELS"]

#: Elements per block: 256 K (1 MB of float32): the block, its scratch copies and the
#: rows being read stay within one core's L2 (2 MB on the reference machine).
BLOCK_ELEMENTS = 1 << 18
#: Below this many classes blocks are transposed to (C, L).
TRANSPOSED_BELOW_C = 32


#: From this many elements on, an input is shared out by rows over threads
#: (``polyloss.options(threads=...)``; NumPy's ufuncs release the GIL).
PARALLEL_ELEMENTS = 1 << 22
_POOL: tuple[int, ThreadPoolExecutor] | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL[0] != os.getpid():  # none yet, or inherited through fork: its threads are gone
            _POOL = (os.getpid(), ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="polyloss"))
        return _POOL[1]


def _by_rows(n0: int, size: int, part: Callable[[slice], Any]) -> list[Any]:
    """``[part(rows), ...]`` for consecutive row ranges covering ``range(n0)``, in order.

    Large inputs are split into one range per thread (the calling thread takes the
    first); every row is computed the same way whatever the split, so results do not
    depend on the number of threads.
    """
    threads = get_option("threads") or os.cpu_count() or 1
    w = min(threads, n0) if size >= PARALLEL_ELEMENTS else 1
    if w <= 1:
        return [part(slice(0, n0))]
    bounds = [n0 * i // w for i in range(w + 1)]
    ranges = [slice(a, b) for a, b in zip(bounds, bounds[1:])]
    futures = [_pool().submit(part, rows) for rows in ranges[1:]]
    first = part(ranges[0])
    return [first, *(f.result() for f in futures)]


def _joined(parts: list[Any]) -> Any:
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _plain(*arrays: Any) -> bool:
    """Only exact ndarrays of float32/float64 (no subclasses, no 0-d inputs)."""
    for a in arrays:
        if a is None:
            continue
        if type(a) is not np.ndarray:
            return False
    return True


#: Scratch buffers are kept per thread between calls (at most a few blocks' worth):
#: a fresh multi-megabyte ``np.empty`` is an ``mmap`` whose pages fault in on every call.
_LOCAL = threading.local()
_KEEP_BYTES = 4 * BLOCK_ELEMENTS * 8  # a block of float64 with room for a few long rows


def _scratch_buffer(name: str, shape: tuple[int, ...], dtype: Any) -> Any:
    """A scratch array of ``shape`` (contents undefined), reused across calls in a thread."""
    dtype = np.dtype(dtype)
    size = math.prod(shape)
    nbytes = size * dtype.itemsize
    if nbytes > _KEEP_BYTES:
        return np.empty(shape, dtype=dtype)
    store = _LOCAL.__dict__.setdefault("buffers", {})
    buf = store.get((name, dtype))
    if buf is None or buf.size < size:
        buf = store[(name, dtype)] = np.empty(size, dtype=dtype)
    return buf[:size].reshape(shape)


class _Blocks:
    """Blocks of an (N, C, d1, ...) input in a reduction-friendly layout.

    Iterating yields ``(positions, block, axis)``: ``positions`` a slice of the flat
    (N, d1, ...) position index, ``block`` an array whose class axis is ``axis``
    (1: rows (L, C); 0: columns (C, L)). ``take(a)`` returns the matching block of
    another array of ``x``'s shape (``q``) in the same layout.
    """

    def __init__(self, x: Any, block_elements: int | None = None) -> None:
        self.N, self.C = x.shape[0], x.shape[1]
        self.K = math.prod(x.shape[2:])
        self.kdim = x.ndim > 2
        self.axis = 1 if self.C >= TRANSPOSED_BELOW_C else 0
        self.L = max(1, (block_elements or BLOCK_ELEMENTS) // self.C)
        self.x = x.reshape(self.N, self.C, self.K) if self.kdim else x

    def __iter__(self) -> Iterator[tuple[slice, Any, int]]:
        for idx in self._indices():
            yield idx[0], self._layout(self.x, idx, 0), self.axis

    def _indices(self):
        if not self.kdim:
            for i in range(0, self.N, self.L):
                j = min(i + self.L, self.N)
                self._cur = (slice(i, j), None)
                yield slice(i, j), slice(i, j), None
        else:
            for n in range(self.N):
                for k in range(0, self.K, self.L):
                    k1 = min(k + self.L, self.K)
                    self._cur = (n, slice(k, k1))
                    yield slice(n * self.K + k, n * self.K + k1), n, slice(k, k1)

    def _layout(self, a: Any, idx: tuple, slot: int) -> Any:
        _, first, ks = idx
        if not self.kdim:
            blk = a[first]  # (L, C) view
            if self.axis == 1:
                return blk
            out = self._buf(slot, (self.C, blk.shape[0]), a.dtype)
            np.copyto(out, blk.T)
            return out
        blk = a[first, :, ks]  # (C, L) view
        if self.axis == 0:
            return blk
        out = self._buf(slot, (blk.shape[1], self.C), a.dtype)
        np.copyto(out, blk.T)
        return out

    def take(self, a: Any, slot: int = 1) -> Any:
        """The current block of ``a`` (same shape as x), in the block layout."""
        a = a.reshape(self.N, self.C, self.K) if self.kdim else a
        first, ks = self._cur
        return self._layout(a, (None, first, ks), slot)

    def _buf(self, slot: int, shape: tuple[int, int], dtype: Any) -> Any:
        return _scratch_buffer(f"layout{slot}", shape, dtype)


def _scratch(block: Any, name: str, dtype: Any = None) -> Any:
    return _scratch_buffer(name, block.shape, block.dtype if dtype is None else dtype)


def _lse_block(xb: Any, axis: int, pre: Any = None) -> tuple[Any, Any, Any]:
    """``m`` and ``tail`` (1-d over positions) of a block, ``LSE = m + tail``.

    ``pre(d)`` is called with ``d = x - m`` (<= 0) before it is exponentiated in place.
    The third result is ``None``, or the mask of positions whose maximum is not finite:
    their ``m`` and ``tail`` are the generic ones, but what ``pre`` saw there is not
    ``x - m``, so callers recompute those positions with :func:`_nlp`.
    """
    m = np.max(xb, axis=axis, keepdims=True)
    finite = np.isfinite(m)
    all_finite = bool(finite.all())
    d = _scratch(xb, "d")
    np.subtract(xb, m if all_finite else np.where(finite, m, 0), out=d)
    if pre is not None:
        pre(d)
    e = np.exp(d, out=d)
    s = np.add.reduce(e, axis=axis)
    tail = np.log(s)
    m = m.squeeze(axis)
    low = needs_log1p(s)  # S < 2 (or NaN): log S would round the tail away
    if low.any():
        # there the maximum is the only term equal to 1: log1p(sum of the others)
        if axis == 1:  # rows: few and long, take them out
            sel = e[low]
            tail[low] = np.log1p(np.add.reduce(sel * (sel < 1), axis=1))
        else:  # columns: many and short, mask the whole block (where() is not vectorised)
            e *= e < 1
            tail[low] = np.log1p(np.add.reduce(e, axis=0)[low])
    if not all_finite:
        # rows whose maximum is +-inf: the generic formula (it shifts them by 0)
        bad = ~finite.squeeze(axis)
        rows = xb[bad] if axis == 1 else xb[:, bad]
        mg, tg = lse_parts(xp_numpy, rows, axis)
        m[bad], tail[bad] = mg.squeeze(axis), tg.squeeze(axis)
        return m, tail, bad
    return m, tail, None


def _nlp(xb: Any, axis: int, m: Any, tail: Any, bad: Any) -> Any:
    """``-log softmax = (m - x) + tail`` at the positions ``bad``, class axis ``axis``."""
    rows = xb[bad] if axis == 1 else xb[:, bad]
    return (np.expand_dims(m[bad], axis) - rows) + np.expand_dims(tail[bad], axis)


def _rows_of(blocks: _Blocks, x: Any, positions: Any) -> Any:
    """The class vectors (P, C) of the flat ``positions`` of an (N, C, d1, ...) input."""
    if x.ndim == 2:
        return x[positions]
    xr = x.reshape(blocks.N, blocks.C, blocks.K)
    return xr[positions // blocks.K, :, positions % blocks.K]


def _plain_index_loss(x: Any, target: Any, w_t: Any, weight: Any = None, eps: float = 0.0) -> Any:
    """``w_t (LSE - x_t)``: four ufunc calls per block, every correction after the loop.

    The loop keeps only ``m`` and ``S`` per position; the rare positions that need more
    (``S < 2``: log1p of the non-maximal terms; a maximum that is not finite: the generic
    formula) are recomputed from their rows of ``x`` afterwards.
    """
    blocks = _Blocks(x)
    P = target.size
    m = np.empty(P, dtype=x.dtype)
    s = np.empty(P, dtype=x.dtype)
    with np.errstate(all="ignore"):
        for pos, xb, axis in blocks:
            mb = np.expand_dims(m[pos], axis)  # a view: the reductions write through it
            np.max(xb, axis=axis, keepdims=True, out=mb)
            d = np.subtract(xb, mb, out=_scratch_buffer("d", xb.shape, xb.dtype))
            np.exp(d, out=d)
            np.add.reduce(d, axis=axis, out=s[pos])
        tail = np.log(s)
        low = np.flatnonzero(needs_log1p(s))  # S < 2, or NaN (a maximum that is not finite)
        if low.size:
            rows = _rows_of(blocks, x, low)
            e = np.exp(rows - m[low, None])
            tail[low] = np.log1p(np.add.reduce(e * (e < 1), axis=1))
            bad = low[~np.isfinite(m[low])]
            if bad.size:  # the generic formula, with its shift-by-0 convention
                rows = _rows_of(blocks, x, bad)
                mg, tg = lse_parts(xp_numpy, rows, 1)
                m[bad], tail[bad] = mg[:, 0], tg[:, 0]
        t = target.reshape(-1)
        if x.ndim == 2:
            x_t = x[np.arange(P), t]
        else:
            x_t = np.take_along_axis(x, np.expand_dims(target, 1), 1).reshape(-1)
        out = np.subtract(m, x_t)
        out += tail
        out *= w_t.reshape(-1)
    return out.reshape(target.shape)


def cross_entropy_indices(x: Any, target: Any, w_t: Any, weight: Any, eps: float) -> Any:
    index_loss = _plain_index_loss if eps == 0 else _smoothed_index_loss
    return _joined(_by_rows(x.shape[0], x.size, lambda r: index_loss(x[r], target[r], w_t[r], weight, eps)))


def _smoothed_index_loss(x: Any, target: Any, w_t: Any, weight: Any, eps: float) -> Any:
    C = x.shape[1]
    out = np.empty(target.shape, dtype=x.dtype)
    flat_out, flat_t, flat_w = out.reshape(-1), target.reshape(-1), w_t.reshape(-1)
    blocks = _Blocks(x)
    total_w = C if weight is None else weight.sum()
    with np.errstate(all="ignore"):  # non-finite rows are redone by the generic formula
        for pos, xb, axis in blocks:
            smooth = []
            if eps > 0:
                wv = None if weight is None else (weight if axis == 1 else weight[:, None])

                def pre(d: Any, wv: Any = wv) -> None:
                    # sum_c w_c (m - x_c): every term >= 0
                    smooth.append(-np.add.reduce(d if wv is None else d * wv, axis=axis))

            m, tail, bad = _lse_block(xb, axis, pre if eps > 0 else None)
            tb = flat_t[pos]
            if x.ndim == 2:  # a flat gather from the input itself
                x_t = x.reshape(-1)[np.arange(pos.start, pos.stop) * C + tb] if x.flags.c_contiguous else x[np.arange(pos.start, pos.stop), tb]
            else:
                x_t = np.take_along_axis(xb, np.expand_dims(tb, axis), axis).squeeze(axis)
            o = flat_out[pos]
            np.subtract(m, x_t, out=o)
            o += tail
            o *= flat_w[pos]
            if eps > 0:
                smooth = smooth[0] + total_w * tail
                if bad is not None:
                    nlp = _nlp(xb, axis, m, tail, bad)
                    smooth[bad] = np.add.reduce(nlp if wv is None else nlp * wv, axis=axis)
                o *= 1 - eps
                o += (eps / C) * smooth
    return out


def cross_entropy_probabilities(x: Any, q: Any, weight: Any, eps: float) -> Any:
    return _joined(_by_rows(x.shape[0], x.size, lambda r: _probability_loss(x[r], q[r], weight, eps)))


def _probability_loss(x: Any, q: Any, weight: Any, eps: float) -> Any:
    C = x.shape[1]
    out = np.empty((x.shape[0],) + x.shape[2:], dtype=x.dtype)
    flat_out = out.reshape(-1)
    blocks = _Blocks(x)
    with np.errstate(all="ignore"):
        for pos, xb, axis in blocks:
            qb = blocks.take(q)
            qp = _scratch(qb, "q")
            if eps > 0:
                np.multiply(qb, 1 - eps, out=qp)
                qp += eps / C
            else:
                np.copyto(qp, qb)
            if weight is not None:
                qp *= weight if axis == 1 else weight[:, None]
            acc = []

            def pre(d: Any) -> None:
                # sum over classes with mass of q'_c (m - x_c); 0 where q' = 0, even at -inf
                t = _scratch(d, "t")
                np.multiply(d, qp, out=t)
                np.copyto(t, 0, where=qp == 0)
                acc.append(-np.add.reduce(t, axis=axis))

            m, tail, bad = _lse_block(xb, axis, pre)
            o = flat_out[pos]
            np.add(acc[0], np.add.reduce(qp, axis=axis) * tail, out=o)
            if bad is not None:
                qb_bad = qp[bad] if axis == 1 else qp[:, bad]
                o[bad] = np.add.reduce(qb_bad * np.where(qb_bad == 0, 0, _nlp(xb, axis, m, tail, bad)), axis=axis)
    return out


# -- binary cross entropy on logits -----------------------------------------------------


def binary_cross_entropy_with_logits(z: Any, y: Any, weight: Any, pos_weight: Any, reduction: str) -> Any:
    """``(1 - y) softplus(z) + p y softplus(-z)``, blockwise with in-place ufuncs, reduced.

    With ``l = log1p(exp(-|z|))``: ``softplus(z) = max(z, 0) + l``; without
    ``pos_weight`` the loss is ``l + |z| (1 - y if z >= 0 else y)`` -- every term >= 0.
    Registered with ``reduces=True``: a ``"mean"`` or ``"sum"`` is taken block by block while
    the block is in cache, each block's sum without overflow (:func:`scaled_sum`), the sums
    then combined (:func:`combine_scaled`) -- no full-size loss is written or read again.
    """
    out = np.empty(z.shape, dtype=z.dtype) if reduction == "none" else None
    n0 = z.shape[0]

    def rows(r: slice) -> list[tuple[Any, Any]]:
        w, pw = (rows_of(a, z.ndim, n0, r) for a in (weight, pos_weight))
        return _bce_logits_blocks(z[r], y[r], w, pw, None if out is None else out[r])

    parts = _by_rows(n0, z.size, rows)
    if out is not None:
        return out
    sums = [s for part in parts for s, _ in part]
    total, scale = combine_scaled(xp_numpy, sums, [sc for part in parts for _, sc in part])
    return finish_sum(total, scale, reduction, z.size)


def _bce_logits_blocks(z: Any, y: Any, weight: Any, pos_weight: Any, out: Any | None) -> list[tuple[Any, Any]]:
    """Write the loss of each block into ``out``; without ``out``, return each block's
    ``(sum, scale)`` (:func:`scaled_sum`) instead."""
    n0 = z.shape[0]
    sums = []
    with np.errstate(over="ignore"):  # a loss beyond the float range is inf, quietly (as torch)
        for sl in row_slices(n0, z.size // n0, BLOCK_ELEMENTS):
            zb, yb = z[sl], y[sl]
            ob = _scratch(zb, "o") if out is None else out[sl]
            a = np.abs(zb, out=_scratch(zb, "a"))
            l = np.negative(a, out=_scratch(zb, "l"))
            np.exp(l, out=l)
            np.log1p(l, out=l)
            # (where / copyto(where=) / maximum are not vectorised in NumPy: a boolean
            # step function and arithmetic instead)
            h = np.greater_equal(zb, 0, out=_scratch(zb, "h", bool))
            if pos_weight is None:
                # (1 - y) relu(z) + y relu(-z) = |z| |H(z) - y|: 1 - y for z >= 0, y for z < 0
                c = np.subtract(h, yb, out=ob)
                np.abs(c, out=c)
                c *= a
                c += l
            else:
                pw = rows_of(pos_weight, z.ndim, n0, sl)
                c = np.multiply(a, h, out=ob)  # relu(z), exact
                a -= c  # relu(-z) = |z| - relu(z), exact
                a += l  # softplus(-z)
                a *= yb
                a *= pw
                c += l  # softplus(z)
                c *= np.subtract(1, yb, out=l)
                c += a
            if weight is not None:
                ob *= rows_of(weight, z.ndim, n0, sl)
            if out is None:
                (total,), scale = scaled_sum(xp_numpy, ob)
                sums.append((total, scale))
    return sums


def _plain_nonempty(z: Any, *others: Any) -> bool:
    return _plain(z, *others) and z.ndim > 0 and z.size > 0


KERNELS = {
    "cross_entropy_indices": Native(cross_entropy_indices, applies=lambda x, t, w_t, w, eps: _plain(x, t, w_t, w)),
    "cross_entropy_probabilities": Native(cross_entropy_probabilities, applies=lambda x, q, w, eps: _plain(x, q, w)),
    # sums block by block, with no full-size temporary (as torch's)
    "binary_cross_entropy_with_logits": Native(binary_cross_entropy_with_logits, reduces=True, applies=_plain_nonempty),
}
