"""The one reduction: "none" / "mean" / "sum" (and kl_div's "batchmean"), and the only
place that validates ``reduction``.

Sums of finite terms overflow only where the true sum does: where the plain sum of finite
terms is not finite, the sum of the terms scaled by ``2**-s`` (``2**s >= n``, n the number
of terms; exact, as the scale is a power of two) is taken instead, and the scale is
divided out at the end, after the division of a mean, so ``mean([3e38, 3e38])`` in float32
is 3e38 and not inf. Otherwise (the common case) the scale is 1 and the sum is the plain
one, so tiny and subnormal results keep every digit. The decision is a ``where`` on a 0-d
array: no value is read on the host, and traced or lazy arrays stay so. Both sums are
taken and one is chosen (XLA fuses the two into one pass over the terms), except where an
overflowing sum warns (NumPy): there the largest ``|term|`` decides, compared with
``max / 2**s``, before the one sum. Where a wider dtype is at hand (float32 and narrower
on torch's CPU and CUDA, and on ndonnx: float64, see :func:`wide_dtype`) the sum is taken
in it instead: no finite sum of float32 terms overflows there and every term, subnormals
included, is exact -- two operations instead of the scaling's ten, what a small call's
cost is made of.


A shape with unknown entries (``None``: an ndonnx graph input; ``nan``: Dask after
boolean masking) has no element count in Python: the count of a mean, and the bound of
the scaling, come from the data then (a sum of ones), so no Python arithmetic runs on an
unknown size.
"""

from __future__ import annotations

import functools
import math
import operator
from typing import Any

import array_api_compat as compat

from ._types import Array, Namespace
from ._xp import device, known, scalar, size

__all__ = ["REDUCTIONS", "check_reduction", "reduce", "reduce_read", "reduce_counted", "scaled_sum", "combine_scaled", "finish_sum", "n_terms", "wide_dtype"]

REDUCTIONS = ("none", "mean", "sum")


def check_reduction(reduction: Any, allowed: tuple[str, ...] = REDUCTIONS) -> str:
    """``reduction`` must be one of ``allowed``."""
    if not isinstance(reduction, str) or reduction not in allowed:
        msg = f"`reduction` must be one of {', '.join(map(repr, allowed))}; got {reduction!r}"
        raise ValueError(msg)
    return reduction


def divide_or_nan(xp: Namespace, num: Array, den: Array) -> Array:
    """``num / den`` with NaN where ``den == 0`` (torch's 0/0 for an empty mean), without warnings."""
    zero = den == 0
    return xp.where(zero, xp.nan, num / xp.where(zero, 1, den))


def wide_dtype(xp: Namespace, x: Array) -> Any:
    """A dtype in which any sum of ``x``'s finite values is finite and each term exact, and
    that costs little on ``x``'s device: float64 for float32 (and narrower) torch tensors on
    the CPU or a CUDA device (MPS has no float64), and for ndonnx arrays (onnxruntime's
    ``ReduceSum`` adds float32 terms in one running float32 sum: 2**20 terms of 1.1 lose
    3.9e-4 of their sum); ``None`` elsewhere (the scaled sum)."""
    if compat.is_torch_array(x):
        if not (x.is_cpu or x.is_cuda):
            return None
        return xp.float64 if x.is_floating_point() and x.element_size() <= 4 else None
    if compat.is_ndonnx_array(x) and xp.isdtype(x.dtype, "real floating") and xp.finfo(x.dtype).bits <= 32:
        return xp.float64
    return None



def n_terms(xp: Namespace, x: Array, *, axis0: bool = False) -> int | Array:
    """The number of elements of ``x`` (``axis0``: the length of its first axis): an int
    when the shape says, else a 0-d integer array counted from the data."""
    if axis0:
        n = x.shape[0]
        if known(n):
            return n
        if x.ndim > 1:  # one value per row: the rows are counted whatever the other axes hold
            x = xp.sum(x, axis=tuple(range(1, x.ndim)))
    else:
        n = size(x)
        if n is not None:
            return n
    index_dtype = xp.__array_namespace_info__().default_dtypes(device=device(x))["indexing"]
    return xp.sum(xp.ones_like(x, dtype=index_dtype))


def scaled_sum(xp: Any, *arrays: Any) -> tuple[list[Any], Any]:
    """``([sum(a * scale) for a in arrays], scale)``: sums that cannot overflow.

    ``scale`` is 1 (a Python float: no scaling, the plain sums), or a 0-d array, 1 or
    ``2**-s`` with ``2**s`` at least the largest element count: ``2**-s`` where some plain
    sum is not finite (a sum of ``n <= 2**s`` finite terms scaled by ``2**-s`` stays below
    ``max``; a plain sum that overflowed is infinite or NaN, and a NaN or infinite term gives
    the same scaled) -- or, where an overflow warns, where some ``|a|`` exceeds
    ``max / 2**s``. The same scale applies to every array, so ratios of the sums are
    unaffected.
    The true sums are ``sums / scale``; divide by ``scale`` last.
    """
    dtype = arrays[0].dtype
    if not xp.isdtype(dtype, "real floating"):
        return [xp.sum(a) for a in arrays], 1.0
    sizes = [size(a) for a in arrays]
    one = xp.ones((), dtype=dtype, device=device(arrays[0]))
    if None in sizes:  # unknown: 2**s > n from the counted elements (exact powers of two)
        n = xp.astype(n_terms(xp, arrays[sizes.index(None)]), dtype)
        down = xp.pow(one * 2, -(xp.floor(xp.log2(xp.maximum(n, one))) + 1))
    else:
        n = max(sizes)
        if n <= 1:  # one term is its own sum: nothing can overflow
            return [xp.sum(a) for a in arrays], 1.0
        down = one * 2.0 ** -math.ceil(math.log2(n))
    if _warns_on_overflow(xp):
        # the largest term first: a plain sum is taken only where it cannot overflow
        limit = xp.finfo(dtype).max * down
        # NaN compares False: NaN terms keep the plain sum (NaN)
        big = functools.reduce(operator.or_, [xp.max(xp.abs(a)) > limit for a in arrays])
        scale = xp.where(big, down, one)
        return [xp.sum(a * scale) for a in arrays], scale
    # both sums, which XLA fuses into one pass over each array: a plain sum of finite terms
    # that is finite did not overflow; where one is not, the scaled sums (a NaN or infinite
    # term makes both the same)
    plain = [xp.sum(a) for a in arrays]
    scaled = [xp.sum(a * down) for a in arrays]
    big = functools.reduce(operator.or_, [~xp.isfinite(p) for p in plain])
    scale = xp.where(big, down, one)
    return [xp.where(big, s, p) for p, s in zip(plain, scaled)], scale


def _warns_on_overflow(xp: Namespace) -> bool:
    """Whether a sum that overflows warns (NumPy's ``RuntimeWarning``, also in Dask's chunks
    and array-api-strict's arrays, which are NumPy's)."""
    return compat.is_numpy_namespace(xp) or compat.is_dask_namespace(xp) or compat.is_array_api_strict_namespace(xp)


def combine_scaled(xp: Any, sums: list[Any], scales: list[Any]) -> tuple[Any, Any]:
    """``(total, scale)`` with ``total / scale = sum_i sums[i] / scales[i]``, never overflowing
    where that sum is finite. ``sums`` are 0-d partial sums, each with its scale from
    :func:`scaled_sum` (1 for a plain partial sum that is finite)."""
    if all(isinstance(sc, float) and sc == 1.0 for sc in scales):
        (total,), scale = scaled_sum(xp, xp.stack(sums))
        return total, scale
    like = sums[0]
    sc = xp.stack([xp.asarray(v, dtype=like.dtype, device=device(like)) for v in scales])
    smallest = xp.min(sc)
    # rescale every partial to the smallest scale: a power-of-two ratio <= 1, exact
    # unless a partial falls into the subnormals, where it is negligible next to the rest
    (total,), scale = scaled_sum(xp, xp.stack(sums) * (smallest / sc))
    return total, scale * smallest


def finish_sum(total: Any, scale: Any, reduction: str, count: int) -> Any:
    """The reduction from a scaled sum (see :func:`scaled_sum`): ``"sum"`` or a mean over
    ``count`` terms (``count >= 1``); the scale is divided out last."""
    if isinstance(scale, float) and scale == 1.0:  # no scaling: the plain sum (a NumPy scale is a float too)
        return total if reduction == "sum" else total / count
    if reduction == "sum":
        return total / scale
    return total / (count * scale)


def reduce(loss: Array, reduction: str, *, xp: Namespace, denominator: Array | None = None) -> Array:
    """Reduce an elementwise loss.

    ``"batchmean"`` (accepted only where a caller allows it, as kl_div does) divides
    the sum by the length of the first axis, as torch does.
    ``denominator`` replaces the element count of ``"mean"`` (the weighted mean of
    nll_loss / cross_entropy divides by the summed weights of the counted targets).
    An empty mean is NaN, as in torch. No sum overflows unless its true value does
    (see :func:`scaled_sum`).
    """
    if reduction == "none":
        return loss
    wide = wide_dtype(xp, loss)
    if reduction == "mean" and denominator is not None:
        if wide is not None:
            num, den = xp.sum(loss, dtype=wide), xp.sum(denominator, dtype=wide)
            return xp.astype(divide_or_nan(xp, num, den), loss.dtype)
        (num, den), _ = scaled_sum(xp, loss, denominator)  # one scale for both: the ratio is the true one
        return divide_or_nan(xp, num, den)
    if reduction == "sum":
        count = 1
    elif reduction == "batchmean":  # kl_div: divide by the size of the first axis; a 0-d loss is its own sum
        count = n_terms(xp, loss, axis0=True) if loss.ndim else 1
    else:
        count = n_terms(xp, loss)
    if isinstance(count, int) and count == 0:
        return xp.sum(loss) * xp.nan  # 0 * nan: the empty mean, keeping dtype and device
    if wide is not None:
        if reduction == "mean" and compat.is_torch_array(loss):
            total = loss.mean(dtype=wide)  # one operation: torch's mean takes the accumulation dtype
        else:
            total = xp.sum(loss, dtype=wide)
            if isinstance(count, int):
                total = total if count == 1 else total / count
            else:  # counted from the data (unknown sizes)
                total = divide_or_nan(xp, total, xp.astype(count, wide))
        return xp.astype(total, loss.dtype)
    (total,), scale = scaled_sum(xp, loss)
    if isinstance(count, int):
        return finish_sum(total, scale, reduction, count)
    count = xp.astype(count, total.dtype)  # counted from the data: no term gives NaN, the empty mean
    return divide_or_nan(xp, total, count if isinstance(scale, float) else count * scale)


def reduce_read(loss: Array, reduction: str, *, xp: Namespace) -> Array:
    """:func:`reduce` for a loss of non-negative terms whose values may be read on the host.

    A sum of terms of one sign loses no digit to cancellation: the dtype's own sum
    (pairwise in NumPy and torch) is within a few ulps, and one read of the result tells
    whether it overflowed, where :func:`reduce` takes over. One operation and one read,
    where the wide or scaled sum takes two to ten: what a small call costs.
    """
    if reduction == "none":
        return loss
    total = xp.mean(loss) if reduction == "mean" else xp.sum(loss)
    return total if math.isfinite(scalar(total)) else reduce(loss, reduction, xp=xp)


def reduce_counted(
    xp: Namespace, loss: Array, counted: Array | None, w_t: Array, weighted: bool, reduction: str
) -> Array:
    """Reduce a per-target loss of a class-index loss (nll_loss, cross_entropy, focal).

    Targets outside ``counted`` (``ignore_index``; ``None``: every target counts) add 0,
    and ``"mean"`` divides by the summed weights ``w_t`` of the counted targets (by their
    number when every target counts unweighted), as torch does.
    """
    if counted is not None:
        loss = xp.where(counted, loss, 0)
    return reduce(loss, reduction, xp=xp, denominator=w_t if weighted or counted is not None else None)
