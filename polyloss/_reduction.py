"""The one reduction helper: applies "none" / "mean" / "sum" and is the only place that validates it."""

from __future__ import annotations

from typing import Any

__all__ = ["check_reduction", "reduce"]

REDUCTIONS = ("none", "mean", "sum")


def check_reduction(reduction: Any, allowed: tuple[str, ...] = REDUCTIONS) -> str:
    if not isinstance(reduction, str) or reduction not in allowed:
        msg = f"`reduction` must be one of {', '.join(map(repr, allowed))}; got {reduction!r}"
        raise ValueError(msg)
    return reduction


def divide_or_nan(xp: Any, num: Any, den: Any) -> Any:
    """``num / den`` with NaN where ``den == 0`` (torch's 0/0 for an empty mean), without warnings."""
    zero = den == 0
    return xp.where(zero, xp.nan, num / xp.where(zero, 1, den))


def reduce(loss: Any, reduction: str, *, xp: Any, denominator: Any = None) -> Any:
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
        n = 1
        for s in loss.shape:
            n *= s
        if n == 0:
            return total * xp.nan  # 0 * nan: the empty mean, keeping dtype and device
        return total / n
    return divide_or_nan(xp, total, xp.sum(denominator))
