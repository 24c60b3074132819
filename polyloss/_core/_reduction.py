"""The one reduction: "none" / "mean" / "sum" (and kl_div's "batchmean"), and the only
place that validates ``reduction``."""

from __future__ import annotations

import math
from typing import Any

from ._types import Array, Namespace

__all__ = ["REDUCTIONS", "check_reduction", "reduce", "reduce_counted"]

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


def reduce(loss: Array, reduction: str, *, xp: Namespace, denominator: Array | None = None) -> Array:
    """Reduce an elementwise loss.

    ``"batchmean"`` (accepted only where a caller allows it, as kl_div does) divides
    the sum by the length of the first axis, as torch does.
    ``denominator`` replaces the element count of ``"mean"`` (the weighted mean of
    nll_loss / cross_entropy divides by the summed weights of the counted targets).
    An empty mean is NaN, as in torch.
    """
    if reduction == "none":
        return loss
    total = xp.sum(loss)
    if reduction == "sum":
        return total
    if reduction == "batchmean":  # kl_div: divide by the size of the first axis; a 0-d loss is its own sum
        n = loss.shape[0] if loss.ndim else 1
        return total * xp.nan if n == 0 else total / n
    if denominator is None:
        n = math.prod(loss.shape)
        if n == 0:
            return total * xp.nan  # 0 * nan: the empty mean, keeping dtype and device
        return total / n
    return divide_or_nan(xp, total, xp.sum(denominator))


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
