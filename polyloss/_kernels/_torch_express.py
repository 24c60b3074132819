"""torch's express lanes: the commonest small calls, whole, in a handful of operations.

A call on a small tensor costs Python and the number of operations, not arithmetic: the
full path of ``cross_entropy`` (namespace, static checks, value checks, the kernel, the
reduction) is about fifteen torch operations and a hundred microseconds of Python around
torch's ten-microsecond call, and on a CPU each further operation costs about as much as
that call. An express lane takes the public function's arguments and handles one form of
call -- plain CPU tensors of a small size, value checks raised on the host
(``value_checks`` ``"auto"`` or ``"raise"``), outside ``torch.compile`` and ``torch.func`` --
in as few operations as its checks and its accuracy allow, reading values the math
computes anyway.

A lane returns ``None`` to decline: for any argument it does not handle, and for an input
that needs what only the full path does (an error message, a warning, a correction the lane
does not make). The full path then runs from the start, so a lane changes no error and
keeps the full path's accuracy; the tests compare the two on every call they make (with
``fast_paths`` on and off), and the conformance suite measures the lane's results.

Why a mean of cross entropies of at least log 2 may be torch's fused one: torch's loss of a
row, ``(m - x_t) + log S``, adds two non-negative terms, each correct to a few ulps except
for the rounding of the sum ``S``, a relative error ``e`` of a few ulps, which is an
absolute error ``e`` in ``log S``. That is why a row's torch value is kept from a loss of
log 2 up (a relative error of at most ``e / log 2``) and recomputed below (where it is all
error: ``[0, -40]`` gives 0, not 4.25e-18). Over the rows of a mean these absolute errors
average to at most ``e`` and the rest is a few ulps relative (a sum of non-negative terms;
torch adds the rows in a cascade: within 1 ulp for 2M rows, and the tests hold 1M rows to
the budget), so a mean of at least log 2 has the same bound ``e / log 2``: what the
row-by-row path guarantees. A sum is a mean times the number of counted rows, at most N:
one of at least ``N log 2`` qualifies. Gradients are another matter (torch's ``p_t - 1``
cancels where ``p_t`` is near 1): a call that differentiates reads the rows' losses first,
and takes the fused call only where none is below log 2.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

import array_api_compat.torch as xp_torch

from .._core._config import get_option
from .._core._reduction import REDUCTIONS, reduce, reduce_read
from . import _torch  # its size limits are read at each call (tests set them; the lanes follow)
from ._torch import LN2, bce_logits_lean, lean_target_loss

__all__ = ["EXPRESS"]

_FLOATING = (torch.float32, torch.float64)
#: The largest finite value of each: a mean of N losses below ``_LARGEST / N`` sums without overflow.
_LARGEST = {dt: torch.finfo(dt).max for dt in _FLOATING}
#: A mean or sum without a gradient takes torch's fused call up to this many elements (its
#: log-softmax temporary is at most 16 MB of float32; beyond, the full path's blocks, which
#: allocate nothing of the input's size, are faster). The rows of the other calls take the
#: lane up to ``LEAN_ELEMENTS``.
_FUSED_ELEMENTS = 1 << 22
#: A call that differentiates takes the lane up to this many elements; beyond, the full
#: path's blocks and their hand-written backward are faster than autograd through torch's.
_GRAD_ELEMENTS = 1 << 16
#: Up to this many elements the likely-mistake look takes the smallest logit of the whole
#: input (one operation), beyond it of the first sample (the full path's first look).
_WHOLE = 1 << 12


def _plain_cpu(value_checks: Any, a: Any, b: Any) -> bool:
    """Whether values may be read on the host with nothing traced: plain strided CPU tensors
    ``a`` and ``b``, no transform, and value checks that raise (what ``"auto"`` means there)."""
    if torch.compiler.is_compiling() or torch._C._are_functorch_transforms_active():
        return False
    if (get_option("value_checks") if value_checks is None else value_checks) not in ("auto", "raise"):
        return False
    return (
        type(a) is torch.Tensor and type(b) is torch.Tensor and a.is_cpu and b.is_cpu
        and a.layout == torch.strided and b.layout == torch.strided
    )


def _detects(detect_mistakes: Any) -> bool | None:
    """``detect_mistakes`` resolved (``None``: not a bool, which the full path reports)."""
    detect = get_option("detect_mistakes") if detect_mistakes is None else detect_mistakes
    return detect if isinstance(detect, bool) else None


def _like_logits(detect: bool, values: Any, lowest: float = math.nan, highest: float = math.nan) -> bool:
    """Whether the full path's likely-mistake look would pass ``values`` (N, C) in silence.

    ``lowest``, ``highest``: the smallest and the largest of some cross entropies of these
    values, each of one row or a mean of rows (NaN: none at hand). Rows of probabilities (in
    [0, 1], summing to 1) have ``LSE(x)`` in
    ``[log C + 1/C, log(C - 1 + e)]``, so their losses lie in ``[log C + 1/C - 1,
    log(C - 1 + e)]`` (widened by 0.01 here for rows that sum to 1 only to rounding): a
    loss outside proves logits without a look. Otherwise the smallest value of the whole
    input (or of its first sample, for a large one) is read: a negative one is the proof.
    """
    C = values.shape[1]
    if not detect or C < 2:
        return True
    if lowest < math.log(C) + 1 / C - 1.01 or highest > math.log(C - 1 + math.e) + 0.01:
        return True
    return float((values if values.numel() <= _WHOLE else values[0]).detach().min()) < 0


def cross_entropy(
    input: Any, target: Any, weight: Any, ignore_index: Any, reduction: Any, label_smoothing: Any,
    detect_mistakes: Any, value_checks: Any,
) -> Any:
    """Class-index targets, (N, C) input, no class weight, no smoothing.

    Without a gradient to take, a mean (or sum) is torch's fused ``cross_entropy`` where it is
    at least log 2 (module docstring). Otherwise torch's losses row by row, the rows below
    log 2 recomputed (:func:`~polyloss._kernels._torch.lean_target_loss`, which reads the
    smallest loss). A mean or sum to differentiate reads the rows' losses off torch's
    ``log_softmax`` first: where none is below log 2, the reduction is ``nll_loss`` of those
    log-probabilities (``F.cross_entropy``'s own graph, whose gradient is accurate there), with
    no second pass over the input; otherwise the corrected rows. torch checks the targets (an
    ``IndexError`` for a class outside [0, C - 1] that is not ``ignore_index``): the lane then
    declines, and the full path says which target is wrong.
    A call whose input might be probabilities (:func:`_like_logits`) goes to the full path,
    whose likely-mistake look decides.
    """
    detect = _detects(detect_mistakes)
    if not (
        weight is None and type(label_smoothing) in (float, int) and label_smoothing == 0
        and type(ignore_index) is int and reduction in REDUCTIONS and detect is not None
        and _plain_cpu(value_checks, input, target)
        and input.dtype in _FLOATING and target.dtype == torch.int64 and input.ndim == 2 and target.ndim == 1
        and input.shape[0] == target.shape[0] and 0 < input.numel() <= _FUSED_ELEMENTS
    ):
        return None
    grad = input.requires_grad and torch.is_grad_enabled()
    if grad and input.numel() > _GRAD_ELEMENTS:
        return None
    reduced_grad = grad and reduction != "none"
    try:
        if reduction != "none" and not reduced_grad:
            out = F.cross_entropy(input, target, ignore_index=ignore_index, reduction=reduction)
            total = float(out)
            if LN2 * (input.shape[0] if reduction == "sum" else 1) <= total < math.inf:
                mean = total if reduction == "mean" else math.nan
                return out if _like_logits(detect, input, mean, mean) else None
        if reduced_grad:
            # torch's log-probabilities, differentiable; the rows' losses read off them detached
            y = torch.log_softmax(input, 1)
            nll = F.nll_loss(y.detach(), target, ignore_index=ignore_index, reduction="none")
            smallest, largest = map(float, nll.aminmax())
            # torch's reduction, and its gradient, are accurate: F.cross_entropy's graph -- where
            # its sum cannot overflow (a sum that does is the true one's inf; a mean's is not)
            if smallest >= LN2 and (reduction == "sum" or largest * input.shape[0] < _LARGEST[input.dtype]):
                return F.nll_loss(y, target, ignore_index=ignore_index, reduction=reduction) \
                    if _like_logits(detect, input, smallest, largest) else None
        if input.numel() > _torch.LEAN_ELEMENTS:
            return None  # too large for the rows of torch's loss: the full path's blocks
        nll, smallest, largest = lean_target_loss(input, target, ignore_index)  # the corrected rows
    except IndexError:
        return None
    if not (_like_logits(detect, input, smallest, largest) if smallest >= LN2 else _like_logits(detect, input)):
        return None
    if smallest >= LN2 or reduction != "mean":  # from log 2 up, no target was ignored
        return reduce_read(nll, reduction, xp=xp_torch)
    counted = target != ignore_index
    if bool(counted.all()):
        return reduce_read(nll, reduction, xp=xp_torch)
    return reduce(nll, reduction, xp=xp_torch, denominator=counted.to(nll.dtype))


def binary_cross_entropy_with_logits(
    input: Any, target: Any, weight: Any, pos_weight: Any, reduction: Any, value_checks: Any
) -> Any:
    """No weight, no ``pos_weight``, targets of ``input``'s shape and dtype: the lean kernel's
    ``lerp(softplus(z), softplus(-z), y)``, after one read of the targets' range."""
    if not (
        weight is None and pos_weight is None and reduction in REDUCTIONS
        and _plain_cpu(value_checks, input, target)
        and input.dtype in _FLOATING and target.dtype == input.dtype and target.shape == input.shape
        and 0 < input.numel() <= _torch.LEAN_BINARY_ELEMENTS
    ):
        return None
    lo, hi = torch.aminmax(target.detach())
    if not (float(lo) >= 0 and float(hi) <= 1):
        return None  # a target outside [0, 1] (or NaN): the full path's error
    return reduce_read(bce_logits_lean(input, target, None, None, "none"), reduction, xp=xp_torch)


#: The lanes by public function; each takes that function's arguments in order (keywords
#: as positionals) and returns its result or ``None`` (declined).
EXPRESS = {
    "cross_entropy": cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
}
