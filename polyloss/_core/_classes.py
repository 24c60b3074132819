"""Class-axis helpers shared by the class-index losses: targets, pick, one-hot mask, weights.

Layout: ``input`` (N, C, d1, ..., dK) with the class axis 1, or (C,) unbatched;
class-index targets (N, d1, ..., dK) or ().
"""

from __future__ import annotations

import math
from typing import NamedTuple

from ._types import Array, Namespace
from ._xp import device, is_empty, size

__all__ = ["ClassTargets", "as_index", "class_targets", "pick", "class_mask", "class_axis_weight", "take", "unbatch", "n_classes"]


def n_classes(input: Array) -> int:
    """The length of the class axis: axis 1, or axis 0 of an unbatched (C,) input."""
    return input.shape[0] if input.ndim == 1 else input.shape[1]


class ClassTargets(NamedTuple):
    """Class-index targets normalised for the math (always batched).

    ``index``: targets in the namespace's indexing dtype, every value a class in
    [0, C) (ignored and invalid ones replaced by 0); ``counted``: boolean mask of the
    targets that count (``None``: every one does); ``weight``: each position's weight
    ``w[t]`` (1 without class weights), 0 where the target does not count.
    """

    index: Array
    counted: Array | None
    weight: Array


def class_targets(
    xp: Namespace,
    target: Array,
    n_classes: int,
    weight: Array | None,
    ignore_index: int,
    *,
    every_counts: bool,
    dtype: object,
) -> ClassTargets:
    """Normalise class-index ``target`` (batched to (N, ...)) for the math.

    ``every_counts`` (from :meth:`Checks.class_indices`): every target is known to be a
    class and none is ignored, so no masks are built (the common case).
    """
    target = as_index(xp, target)
    if target.ndim == 0:
        target = target[None, ...]
    if every_counts:
        w_t = xp.ones_like(target, dtype=dtype) if weight is None else take(xp, weight, target)
        return ClassTargets(target, None, w_t)
    counted = target != ignore_index
    valid = counted & (target >= 0) & (target < n_classes)
    # an invalid index (values not checked: lazy or traced) reads class 0; its loss is
    # poisoned by the checks (Checks.result), never silently counted
    safe = xp.where(valid, target, xp.zeros_like(target))
    if weight is None:
        w_t = xp.astype(counted, dtype)
    else:
        w_t = xp.where(counted, take(xp, weight, safe), 0)
    return ClassTargets(safe, counted, w_t)


def as_index(xp: Namespace, target: Array) -> Array:
    """Integer class indices of any dtype in the namespace's indexing dtype (int64, or int32
    on JAX without x64, where asking for int64 would warn): what gather/take want, and what
    torch can compare and reduce (it has no min/max for uint16/32/64)."""
    if target.dtype == _INT64.get(type(target)):  # the common case, without asking the namespace
        return target
    index_dtype = xp.__array_namespace_info__().default_dtypes(device=device(target))["indexing"]
    if index_dtype == xp.int64:
        _INT64[type(target)] = index_dtype
    return target if target.dtype == index_dtype else xp.astype(target, index_dtype)


#: Array types whose namespace indexes in int64 (every device), found by :func:`as_index`.
_INT64: dict[type, object] = {}


def take(xp: Namespace, values: Array, index: Array) -> Array:
    """``values[index]`` for a 1-d ``values`` and an index array of any shape."""
    if is_empty(index):  # an empty batch: Dask cannot reshape an empty chunked array
        return xp.zeros(tuple(index.shape), dtype=values.dtype, device=device(values))
    if index.ndim == 1:
        return xp.take(values, index, axis=0)
    if size(index) is None:  # an unknown shape cannot be reshaped to: select by one-hot
        classes = xp.arange(values.shape[0], dtype=index.dtype, device=device(index))
        return xp.sum(xp.where(index[..., None] == classes, values, 0), axis=-1)
    flat = xp.reshape(index, (-1,))
    return xp.reshape(xp.take(values, flat, axis=0), tuple(index.shape))


def pick(xp: Namespace, x: Array, index: Array) -> Array:
    """``x[n, index[n, ...], ...]`` along the class axis 1."""
    if hasattr(xp, "take_along_axis"):
        return xp.squeeze(xp.take_along_axis(x, xp.expand_dims(index, axis=1), axis=1), axis=1)
    # Dask has no take_along_axis: select with a one-hot mask, which also works
    # when the class axis is split into chunks.
    return xp.sum(xp.where(class_mask(xp, x, index), x, 0), axis=1)


def class_mask(xp: Namespace, x: Array, index: Array) -> Array:
    """Boolean one-hot mask of ``index`` along the class axis 1 of ``x`` (``x``'s shape)."""
    classes = xp.arange(x.shape[1], dtype=index.dtype, device=device(x))
    classes = xp.reshape(classes, (1, -1) + (1,) * (x.ndim - 2))
    return index[:, None, ...] == classes  # indexing, not expand_dims: Dask reshapes no unknown size


def class_axis_weight(xp: Namespace, weight: Array, ndim: int) -> Array:
    """Reshape a (C,) weight to broadcast along the class axis 1 of an ndim-d input."""
    return xp.reshape(weight, (1, -1) + (1,) * (ndim - 2))


def unbatch(out: Array, unbatched: bool, reduction: str) -> Array:
    """The per-position result of an unbatched (C,) call without its batch axis."""
    return out[0] if unbatched and reduction == "none" else out
