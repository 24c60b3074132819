"""torch fast paths: native kernels in row blocks, never less accurate than the generic path.

Each kernel takes ``reads`` (bound by the registry: whether the call may read values on
the host). Where it may, a flag per block is read to skip the corrections below when no
position needs them; where it may not (``value_checks="defer"``, accelerators), the
corrected values are computed for every position and chosen with ``torch.where``: no
host sync, the same values. Small inputs take lean paths (:func:`_lean`,
:func:`bce_logits_lean`): there the cost is the number of operations, not the passes.

Cross entropy runs torch's ``log_softmax`` kernel block by block (rows of
:data:`BLOCK_ELEMENTS` elements at most: the temporaries stay in cache and no N x C
tensor is allocated besides the gradient), and keeps only per-position statistics for
a hand-written backward, ``softmax - onehot`` evaluated in the same blocks. Two
corrections keep the generic accuracy:

* ``log_softmax`` evaluates ``log S`` with ``S = sum_j exp(x_j - max)``; when the target is
  the argmax and ``S < 2`` (a loss below log 2) the rounding of ``S`` to ``1 + rest``
  loses the tail (``[0, -40]`` gives 0 instead of 4.25e-18). Exactly those positions
  (``loss < log 2`` or not finite) are recomputed with the generic
  ``log1p(rest)`` formula. For label smoothing and probability targets every class
  term counts, so positions whose largest log-probability exceeds ``-log 2`` are redone.
* The target entry of the gradient, ``p_t - 1``, is ``expm1(-loss)``: no cancellation.

For small class counts torch's lastdim kernels are slow, so the same quantities come
from an ``amax``/``exp``/``sum`` composition instead.

``binary_cross_entropy_with_logits`` runs in cache-sized blocks with a hand-written
backward, keeping both terms non-negative (torch's kernel subtracts, and loses
``z = -88.8, y = 0``); the mean and sum are taken block by block, so no full-size
temporary is allocated;
``binary_cross_entropy`` calls the native kernel, whose forward is the generic formula,
with a backward of the generic derivative.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import torch
import torch.nn.functional as F

import array_api_compat.torch as xp_torch

from .._core._reduction import combine_scaled, finish_sum, reduce, scaled_sum
from .._core._special import lse_parts, needs_log1p
from . import _generic
from ._native import Native
from ._blocked import row_slices, rows_of

__all__ = ["KERNELS", "LEAN_ELEMENTS", "LEAN_BINARY_ELEMENTS", "lean_target_loss", "bce_logits_lean"]

#: Elements per block (16 MB of float32): fits the last-level cache, stays below
#: glibc's mmap threshold (no page faults on reuse) and keeps the number of kernel
#: launches low.
BLOCK_ELEMENTS = 1 << 22
#: Below this many classes the ``amax``/``exp``/``sum`` composition beats torch's
#: lastdim softmax kernels.
COMPOSED_BELOW_C = 64

#: Inputs of at most this many elements (and no label smoothing) take the lean path
#: (:func:`_lean`): few operations, no blocks. Larger ones keep the blocks (cache-sized
#: temporaries, nothing N x C saved for the backward).
LEAN_ELEMENTS = 1 << 18

LN2 = math.log(2.0)
_LOCAL = threading.local()  # per-thread scratch buffers, see _scratch


def _usable(*tensors: Any, grad_ok: tuple[Any, ...] = ()) -> bool:
    """Whether the eager fast path may run: no tracing, no functorch, no meta tensors,
    and gradients wanted only for ``grad_ok`` (the custom backward covers those)."""
    if torch.compiler.is_compiling() or torch._C._are_functorch_transforms_active():
        return False
    for t in tensors:
        if t is None:
            continue
        if t.is_meta:
            return False
        if t.requires_grad and not any(t is g for g in grad_ok):
            return False
    return True


def _class_view(w: Any, ndim: int) -> Any:
    return w.reshape((1, -1) + (1,) * (ndim - 2))


# -- accurate log-softmax of a block ------------------------------------------------------


def _generic_block(xb: Any) -> tuple[Any, Any, Any]:
    """The generic formula on a whole block, for the corrections without a host read:
    (log-probabilities, their max m, their tail), ``m`` and ``tail`` kept along dim 1."""
    m, tail = lse_parts(xp_torch, xb, 1)
    return (xb - m) - tail, m, tail


def _generic_rows(xb: Any, flag: Any) -> tuple[Any, Any, Any]:
    """Recompute positions ``flag`` of block ``xb`` with the generic formula.

    Returns (rows of log-probabilities (P, C), their max m (P,), their tail (P,)).
    """
    rows = xb.movedim(1, -1)[flag]
    m, tail = lse_parts(xp_torch, rows, -1)
    return (rows - m) - tail, m[:, 0], tail[:, 0]


def _log_softmax_block(xb: Any, yb: Any, tb: Any | None, reads: bool) -> tuple[Any, Any] | None:
    """Write the log-softmax of ``xb`` along dim 1 into ``yb`` with the generic accuracy.

    ``tb`` (the block's targets) limits the correction to positions whose target loss
    is below log 2; without it, every position with ``S < 2`` is corrected. ``reads``: a
    host read of the flag skips the correction where no position needs it (and redoes
    only the flagged rows); otherwise the corrected values are chosen with ``where``,
    without a sync. Returns
    ``(m, S)`` with ``softmax = exp(x - m) / S`` for the small-C composition (the
    backward uses them), ``None`` for the native kernel.
    """
    C = xb.shape[1]
    if C >= COMPOSED_BELOW_C:
        torch.log_softmax(xb, 1, out=yb)
        if tb is not None:
            # the target loss is below log 2 only if the target is the argmax and S < 2
            probe = yb.gather(1, tb.unsqueeze(1)).squeeze(1)
        else:
            probe = torch.amax(yb, 1)  # = -log S
        flag = ~(probe <= -LN2)  # NaN too: a non-finite row is redone the generic way
        if not reads:
            yb.copy_(torch.where(flag.unsqueeze(1), _generic_block(xb)[0], yb))
        elif bool(flag.any()):
            y_rows, _, _ = _generic_rows(xb, flag)
            yb.movedim(1, -1)[flag] = y_rows
        return None
    m = torch.amax(xb, 1, keepdim=True)
    torch.sub(xb, m, out=yb)
    e = torch.exp(yb)
    s = e.sum(1, keepdim=True)
    tail = torch.log(s)
    # S < 2: exactly one term is 1 (the max); log1p of the others keeps the tail's digits.
    # Rows with a non-finite max take the generic formula (its shift-by-0 convention).
    low = needs_log1p(s)
    if not reads or bool(low.any()):
        rest = torch.where(e < 1, e, 0).sum(1, keepdim=True)
        tail = torch.where(low, torch.log1p(rest), tail)
    m, tail, flag, y_rows = _patch_nonfinite(xb, m, tail, reads)
    yb.sub_(tail)
    if flag is not None and reads:
        yb.movedim(1, -1)[flag] = y_rows
    elif flag is not None:
        yb.copy_(torch.where(flag, y_rows, yb))
    return m, s


def _patch_nonfinite(xb: Any, m: Any, tail: Any, reads: bool) -> tuple[Any, Any, Any, Any]:
    """Rows whose maximum is not finite take the generic formula (its shift-by-0 convention).

    ``m`` and ``tail`` are kept along dim 1; returns them patched, with the rows' flag and
    log-probabilities (``None, None`` when every maximum is finite). ``reads``: the flag
    is read on the host and only those rows are redone (flag and rows indexed by row);
    otherwise every row is computed both ways and ``where`` chooses (flag kept along
    dim 1, log-probabilities of the whole block).
    """
    finite = torch.isfinite(m)
    if not reads:
        y_gen, m_gen, t_gen = _generic_block(xb)
        return torch.where(finite, m, m_gen), torch.where(finite, tail, t_gen), ~finite, y_gen
    if bool(finite.all()):
        return m, tail, None, None
    flag = ~finite.squeeze(1)
    y_rows, m_rows, t_rows = _generic_rows(xb, flag)
    m = m.clone()
    m.movedim(1, -1)[flag] = m_rows.unsqueeze(-1)
    tail.movedim(1, -1)[flag] = t_rows.unsqueeze(-1)
    return m, tail, flag, y_rows


def _unpack_stats(saved: tuple[Any, ...], composed: list[bool]) -> list[tuple[Any, Any] | None]:
    it = iter(saved)
    return [(next(it), next(it)) if c else None for c in composed]


def _nll_small_c(xb: Any, tb: Any, buf: Any, reads: bool) -> tuple[Any, Any, Any, Any]:
    """``LSE - x_t`` for few classes without forming the log-softmax: ``(nll, m, S, e)``
    (``reads``: as for :func:`_log_softmax_block`). ``e``: ``exp(x - m)``, written into
    ``buf``, whose quotient by ``S`` is the softmax -- ``None`` where a maximum is not finite
    or was not read (``m`` is then patched, and the softmax is not that quotient)."""
    m = torch.amax(xb, 1, keepdim=True)
    e = torch.sub(xb, m, out=buf).exp_()
    s = e.sum(1, keepdim=True)
    tail = torch.log(s)
    low = needs_log1p(s)  # S < 2, or NaN: a maximum that is not finite
    patched = not reads
    if not reads or bool(low.any()):
        # the terms other than the max: each e_j is in [0, 1], the max's is 1, so frac(e_j) is
        # e_j but for the max's (and a tie's, where S >= 2 and no log1p is taken), which is 0
        rest = torch.frac(e).sum(1, keepdim=True)
        tail = torch.where(low, torch.log1p(rest), tail)
        m, tail, flag, _ = _patch_nonfinite(xb, m, tail, reads)
        patched = patched or flag is not None
    nll = (m - xb.gather(1, tb.unsqueeze(1))).add_(tail).squeeze(1)
    return nll, m, s, None if patched else e


def _softmax_block(xb: Any, out: Any, stats: tuple[Any, Any] | None) -> Any:
    if stats is None:
        return torch.softmax(xb, 1, out=out)
    m, s = stats
    torch.sub(xb, m, out=out)
    return out.exp_().div_(s)


# -- cross entropy, class-index targets -----------------------------------------------


class _CrossEntropyIndices(torch.autograd.Function):
    """Per-position ``(1 - eps) w_t (LSE - x_t) + eps / C sum_c w_c (LSE - x_c)``."""

    @staticmethod
    def forward(ctx, x, target, w_t, weight, eps, block_elements, reads):
        N, C = x.shape[0], x.shape[1]
        per_row = math.prod(x.shape[1:])
        nll = x.new_empty(target.shape)
        smooth = x.new_empty(target.shape) if eps > 0 else None
        wv = None if weight is None else _class_view(weight, x.ndim)
        stats = []
        buf = kept = None
        blocks = list(row_slices(N, per_row, block_elements))
        for sl in blocks:
            xb, tb = x[sl], target[sl]
            if buf is None:
                buf = torch.empty(xb.shape, dtype=x.dtype, device=x.device)
            yb = buf[: xb.shape[0]]
            if eps == 0 and C < COMPOSED_BELOW_C:
                nll[sl], m, s, e = _nll_small_c(xb, tb, yb, reads)
                stats.append((m, s))
                # one block: its exponentials, kept for the backward (at most a block's memory)
                kept = e if len(blocks) == 1 else None
                continue
            st = _log_softmax_block(xb, yb, None if eps > 0 else tb, reads)
            stats.append(st)
            nll[sl] = torch.rsub(yb.gather(1, tb.unsqueeze(1)).squeeze(1), 0)  # 0 - y: +0, not -0
            if eps > 0:
                # sum_c w_c (-log p_c): every term >= 0, no cancellation
                smooth[sl] = torch.rsub(yb.sum(1) if wv is None else (yb * wv).sum(1), 0)
        loss = nll * w_t
        if eps > 0:
            loss = loss * (1 - eps) + smooth * (eps / C)
        ctx.eps, ctx.block_elements = eps, block_elements
        ctx.composed = [s is not None for s in stats]
        ctx.save_for_backward(x, target, w_t, weight, nll, kept, *[t for s in stats if s is not None for t in s])
        return loss

    @staticmethod
    def backward(ctx, g):
        x, target, w_t, weight, nll, kept = ctx.saved_tensors[:6]
        eps = ctx.eps
        N, C = x.shape[0], x.shape[1]
        per_row = math.prod(x.shape[1:])
        stats = _unpack_stats(ctx.saved_tensors[6:], ctx.composed)
        total_w = float(C) if weight is None else weight.sum()
        # d loss / d x_j = a p_j - b [j = t] - c w_j
        b = g * (1 - eps) * w_t
        c = g * (eps / C)
        a = b + c * total_w
        w_class = torch.ones_like(w_t) if weight is None else weight[target]
        wv = None if weight is None else _class_view(weight, x.ndim)
        grad = torch.empty(x.shape, dtype=x.dtype, device=x.device)
        for sl, st in zip(row_slices(N, per_row, ctx.block_elements), stats):
            xb, tb1 = x[sl], target[sl].unsqueeze(1)
            if kept is not None:  # eps = 0, one block: a p_j = e_j (a / S), in one pass
                gb = torch.mul(kept, a[sl].unsqueeze(1) / st[1], out=grad[sl])
                gb.scatter_(1, tb1, (b[sl] * torch.expm1(-nll[sl])).unsqueeze(1))
                continue
            gb = _softmax_block(xb, grad[sl], st)
            p_t = gb.gather(1, tb1).squeeze(1)
            # target entry b (p_t - 1) + c (W p_t - w_t), with p_t - 1 = expm1(-loss_t)
            at_t = b[sl] * torch.expm1(-nll[sl])
            if eps > 0:
                # grouped as the generic path's derivative: b p_j + c (W p_j - w_j)
                smooth = gb * total_w
                smooth.sub_(1 if wv is None else wv).mul_(c[sl].unsqueeze(1))
                gb.mul_(b[sl].unsqueeze(1)).add_(smooth)
                at_t = at_t + c[sl] * (total_w * p_t - w_class[sl])
            else:
                gb.mul_(a[sl].unsqueeze(1))
            gb.scatter_(1, tb1, at_t.unsqueeze(1))
        return grad, None, None, None, None, None, None


def _tail_of_others(x: Any, t1: Any) -> Any:
    """``log1p(sum_{j != t} exp(x_j - x_t))`` along dim 1 (``t1``: targets along dim 1);
    differentiable (torch's autograd runs through it)."""
    x_t = x.gather(1, t1)
    u = torch.sub(x, x_t).scatter(1, t1, -math.inf)
    # + (x_t - x_t): NaN for a non-finite x_t, as the generic formula gives (inf - inf)
    return torch.log1p(u.exp_().sum(1)).add_((x_t - x_t).squeeze(1))


def _lean(x: Any, target: Any, w_t: Any, reads: bool) -> Any:
    """Cross entropy of a small input: torch's ``log_softmax`` and ``nll_loss``, then the
    positions whose loss is below log 2 (or not finite) recomputed.

    The per-call cost of a small input is the number of operations, so there are no blocks
    and few passes. ``-log_softmax(x)_t`` is accurate except where the target is the argmax
    and ``S < 2`` (``log S`` rounds the tail away: ``[0, -40]`` gives 0, not 4.25e-18) and
    where the row's maximum is not finite (torch gives NaN). There the loss is
    ``log1p(sum_{j != t} exp(x_j - x_t))`` (:func:`_tail_of_others`) -- every term at most 1
    when the target is the argmax, and the generic conventions (inf, NaN) where the row is
    not finite. ``reads``: one host read of the smallest loss tells whether any position
    needs that (:func:`lean_target_loss`). Otherwise every position is computed both
    ways and ``where`` chooses, on the device: :class:`_CrossEntropyLean`.
    """
    if reads:
        return lean_target_loss(x, target)[0] * w_t
    if x.requires_grad and torch.is_grad_enabled():
        return _CrossEntropyLean.apply(x, target, w_t)
    return _lean_nll(x, target)[1] * w_t


def lean_target_loss(x: Any, target: Any, ignore_index: int = -100) -> tuple[Any, float, float]:
    """``(LSE(x) - x_t, smallest, largest)`` along dim 1 after one host read, 0 where the
    target is ``ignore_index``; ``smallest`` and ``largest``: the extremes of torch's losses,
    that read. From a smallest of log 2 up no position was ignored (its loss is 0) and none
    needed the correction of :func:`_lean`.

    torch checks the targets: an ``IndexError`` for a class outside [0, C - 1] that is not
    ``ignore_index``. Where some position needs the correction, :func:`_tail_of_others` is
    evaluated on every row -- the rows that keep torch's value replaced by zeros first, so
    that no ``exp`` of theirs overflows into the gradient -- and ``where`` chooses: a few more
    operations, and none of the synchronising index operations of a selection of rows.
    torch's autograd differentiates both (exact: elsewhere ``p_t < 1/2``, so ``p_t - 1`` does
    not cancel; in the recomputed rows the target's derivative is ``-R / (1 + R)``).
    """
    nll = F.cross_entropy(x, target, ignore_index=ignore_index, reduction="none")
    smallest, largest = map(float, nll.detach().aminmax())
    if smallest >= LN2:  # NaN compares False
        return nll, smallest, largest
    counted = target != ignore_index
    flag = ~(nll.detach() >= LN2) & counted
    rows = torch.where(flag.unsqueeze(1), x, 0)
    t1 = torch.where(counted, target, 0).unsqueeze(1)
    return torch.where(flag, _tail_of_others(rows, t1), nll), smallest, largest


def _lean_nll(x: Any, target: Any) -> tuple[Any, Any]:
    """``(log_softmax(x), LSE - x_t)`` without a host read: the correction chosen with ``where``."""
    y = torch.log_softmax(x, 1)
    nll = F.nll_loss(y, target, reduction="none")
    return y, torch.where(nll >= LN2, nll, _tail_of_others(x, target.unsqueeze(1)))


class _CrossEntropyLean(torch.autograd.Function):
    """:func:`_lean` without host reads, with its backward: ``softmax - onehot`` from the
    saved log-probabilities, the target entry ``expm1(-loss)`` (no cancellation)."""

    @staticmethod
    def forward(ctx, x, target, w_t):
        y, nll = _lean_nll(x, target)
        ctx.save_for_backward(y, target, w_t, nll)
        return nll * w_t

    @staticmethod
    def backward(ctx, g):
        y, target, w_t, nll = ctx.saved_tensors
        b = g * w_t
        t1 = target.unsqueeze(1)
        grad = y.exp().mul_(b.unsqueeze(1))
        grad.scatter_(1, t1, torch.expm1(nll.neg()).mul_(b).unsqueeze(1))
        return grad, None, None


def cross_entropy_indices(x: Any, target: Any, w_t: Any, weight: Any, eps: float, *, reads: bool = False) -> Any:
    if eps == 0 and 0 < x.numel() <= LEAN_ELEMENTS:
        return _lean(x, target, w_t, reads)
    return _CrossEntropyIndices.apply(x, target, w_t, weight, float(eps), BLOCK_ELEMENTS, reads)


# -- cross entropy, class-probability targets ------------------------------------------


def _smoothed(qb: Any, eps: float, C: int, wv: Any) -> Any:
    qp = qb * (1 - eps) + eps / C if eps > 0 else qb
    return qp if wv is None else qp * wv


class _CrossEntropyProbabilities(torch.autograd.Function):
    """Per-position ``sum_c q'_c (LSE - x_c)``, ``q' = w ((1 - eps) q + eps / C)``, 0 where q' = 0."""

    @staticmethod
    def forward(ctx, x, q, weight, eps, block_elements, reads):
        N, C = x.shape[0], x.shape[1]
        per_row = math.prod(x.shape[1:])
        loss = x.new_empty((N,) + tuple(x.shape[2:]))
        mass = x.new_empty(loss.shape)
        wv = None if weight is None else _class_view(weight, x.ndim)
        stats, buf = [], None
        for sl in row_slices(N, per_row, block_elements):
            xb = x[sl]
            if buf is None:
                buf = torch.empty(xb.shape, dtype=x.dtype, device=x.device)
            yb = buf[: xb.shape[0]]
            stats.append(_log_softmax_block(xb, yb, None, reads))
            qp = _smoothed(q[sl], eps, C, wv)
            nlp = yb.neg_().masked_fill_(qp == 0, 0)  # a class without mass adds 0, even at -inf
            loss[sl] = nlp.mul_(qp).sum(1).add_(0.0)  # -0 + 0 = +0, as the generic sum gives
            mass[sl] = qp.sum(1)
        ctx.eps, ctx.block_elements = eps, block_elements
        ctx.composed = [s is not None for s in stats]
        ctx.save_for_backward(x, q, weight, mass, *[t for s in stats if s is not None for t in s])
        return loss

    @staticmethod
    def backward(ctx, g):
        x, q, weight, mass = ctx.saved_tensors[:4]
        eps = ctx.eps
        N, C = x.shape[0], x.shape[1]
        per_row = math.prod(x.shape[1:])
        stats = _unpack_stats(ctx.saved_tensors[4:], ctx.composed)
        wv = None if weight is None else _class_view(weight, x.ndim)
        grad = torch.empty(x.shape, dtype=x.dtype, device=x.device)
        # d loss / d x_j = g (Q' p_j - q'_j)
        for sl, st in zip(row_slices(N, per_row, ctx.block_elements), stats):
            gb = _softmax_block(x[sl], grad[sl], st)
            gs = g[sl].unsqueeze(1)
            gb.mul_(gs * mass[sl].unsqueeze(1))
            gb.sub_(_smoothed(q[sl], eps, C, wv) * gs)  # never in place: q may be the caller's
        return grad, None, None, None, None, None


def cross_entropy_probabilities(x: Any, q: Any, weight: Any, eps: float, *, reads: bool = False) -> Any:
    return _CrossEntropyProbabilities.apply(x, q, weight, float(eps), BLOCK_ELEMENTS, reads)


# -- binary ---------------------------------------------------------------------------------


#: Elements per block of the elementwise binary losses on the CPU: three temporaries of
#: 2 MiB (float32) stay in the L2/L3 caches, so the light passes cost little.
BINARY_BLOCK_ELEMENTS = 1 << 19
#: Beyond this ``|z|``, ``exp(-|z|)`` nears the subnormal numbers, where torch's vectorised
#: ``exp`` is not accurate (float32 ``exp(-100)`` gives 3.92e-44 for 3.72e-44) and its
#: ``sigmoid`` returns 0; such blocks take the generic formula.
_EXP_RANGE = {torch.float32: 80.0, torch.float64: 700.0}


def _binary_blocks(z: Any, *others: Any) -> list[tuple[slice, Any, tuple[Any, ...]]]:
    """``(slice, z block, blocks of others)`` along axis 0; each of ``others`` is ``None``,
    an array of z's shape, or one that broadcasts against it (sliced only when it spans
    axis 0). Off the CPU one block: there the caches do not pay for the launches."""
    n0 = z.shape[0]
    per_row = max(1, z.numel() // max(n0, 1))
    block = BINARY_BLOCK_ELEMENTS if z.device.type == "cpu" else z.numel()
    return [(sl, z[sl], tuple(rows_of(a, z.ndim, n0, sl) for a in others)) for sl in row_slices(n0, per_row, block)]


def _bce_logits_generic(zb: Any, yb: Any, wb: Any, pb: Any) -> Any:
    return _generic.binary_cross_entropy_with_logits(zb, yb, wb, pb, xp=xp_torch)


class _Scratch:
    """Scratch tensors shaped like the blocks of one call (contents undefined).

    On the CPU they are views of a per-thread buffer kept between calls (at most three
    blocks of :data:`BINARY_BLOCK_ELEMENTS` elements): a fresh multi-megabyte tensor is an
    ``mmap`` whose pages fault in on every call. Views are made once per block shape.
    """

    def __init__(self) -> None:
        self._shape, self._views = None, None

    def __call__(self, like: Any, slots: int = 3) -> list[Any]:
        if like.shape != self._shape:
            self._shape, self._views = like.shape, self._make(like)
        return self._views[:slots]

    @staticmethod
    def _make(like: Any) -> list[Any]:
        n = like.numel()
        if like.device.type != "cpu" or n > BINARY_BLOCK_ELEMENTS:
            return [torch.empty(like.shape, dtype=like.dtype, device=like.device) for _ in range(3)]
        store = _LOCAL.__dict__.setdefault("scratch", {})
        buf = store.get(like.dtype)
        if buf is None or buf.shape[1] < n:
            buf = store[like.dtype] = torch.empty((3, max(n, BINARY_BLOCK_ELEMENTS)), dtype=like.dtype)
        return [buf[i, :n].view(like.shape) for i in range(3)]


def _bce_logits_block(zb: Any, yb: Any, wb: Any, pb: Any, dst: Any | None, scratch: _Scratch) -> tuple[Any, Any, Any]:
    """One block: ``(max |z|, the loss summed, l summed)``; with ``dst`` the loss is written
    there and the sums are ``None``; the last is ``None`` when ``l`` is in the loss.

    ``l = log1p(exp(-|z|))`` (torch's vectorised exp and log1p are much faster than its
    softplus); ``lerp(relu(z), relu(-z), y)`` mixes the two relus -- torch's lerp uses
    ``a + y (b - a)`` for y < 1/2 and ``b - (b - a)(1 - y)`` otherwise, so no term cancels.
    Only valid where ``max |z|`` is within :data:`_EXP_RANGE` (the caller redoes other
    blocks).
    """
    l, a, b = scratch(zb)
    z_max = torch.amax(torch.abs(zb, out=l))
    torch.log1p(torch.exp(l.neg_(), out=l), out=l)
    torch.clamp_min(zb, 0, out=a)  # relu(z)
    torch.sub(a, zb, out=b)  # relu(-z), exact
    if pb is None:
        loss = torch.lerp(a, b, yb, out=b if dst is None else dst)
        if dst is None and wb is None:
            return z_max, loss.sum(), l.sum()  # two sums of terms >= 0: one pass fewer
        loss.add_(l)
    else:
        loss = torch.lerp(a.add_(l), b.add_(l).mul_(pb), yb, out=b if dst is None else dst)
    if wb is not None:
        loss.mul_(wb)
    return z_max, (None if dst is not None else loss.sum()), None


def _stacked(values: list[Any]) -> Any:
    """0-d tensors as one tensor (the one itself when alone: one kernel launch fewer)."""
    return values[0] if len(values) == 1 else torch.stack(values)


class _BCEWithLogits(torch.autograd.Function):
    """``(1 - y) softplus(z) + p y softplus(-z)`` reduced, blockwise; gradient for ``z`` only."""

    @staticmethod
    def forward(ctx, z, y, weight, pos_weight, reduction):
        out = torch.empty(z.shape, dtype=z.dtype, device=z.device) if reduction == "none" else None
        blocks = _binary_blocks(z, y, weight, pos_weight)
        z_max, sums, tails = [], [], []
        scratch = _Scratch()
        for sl, zb, (yb, wb, pb) in blocks:
            m, total, tail = _bce_logits_block(zb, yb, wb, pb, None if out is None else out[sl], scratch)
            z_max.append(m)
            sums.append(total)
            tails.append(tail)
        # blocks beyond the exp range (_EXP_RANGE) (or with NaN) take the generic formula;
        # so do blocks whose sum is not finite (huge weights), summed without overflow there
        in_range = _stacked(z_max) <= _EXP_RANGE[z.dtype]
        weighted = weight is not None or pos_weight is not None
        if out is None and weighted:  # unweighted, a term in range is below 81: no block sum overflows
            in_range = in_range & torch.isfinite(_stacked(sums))
        generic = [False] * len(blocks) if bool(in_range.all()) else [not bool(v) for v in in_range.reshape(-1)]
        scales = [1.0] * len(blocks)
        for i, (sl, zb, (yb, wb, pb)) in enumerate(blocks):
            if generic[i]:
                loss = _bce_logits_generic(zb, yb, wb, pb)
                if out is None:
                    (sums[i],), scales[i] = scaled_sum(xp_torch, loss)
                    tails[i] = None
                else:
                    out[sl] = loss
        ctx.save_for_backward(z, y, weight, pos_weight)
        ctx.reduction, ctx.generic = reduction, generic
        if out is not None:
            return out
        tails = [t for t in tails if t is not None]
        if not weighted and not any(generic) or len(sums) == 1 and not generic[0]:
            # every term below 81 (or one block whose sum is finite): the plain sum is finite
            total = _stacked(sums).sum()
            if tails:
                total = total + _stacked(tails).sum()
            return total / z.numel() if reduction == "mean" else total
        # the blocks' sums, added without overflow; the tails (sums of l <= log 2 per
        # element) are small next to any sum that needs scaling
        total, scale = combine_scaled(xp_torch, sums, scales)
        if tails:
            total = total + _stacked(tails).sum() * scale
        return finish_sum(total, scale, reduction, z.numel())

    @staticmethod
    def backward(ctx, g):
        z, y, weight, pos_weight = ctx.saved_tensors
        if ctx.reduction == "mean":
            g = g / z.numel()
        grad = torch.empty(z.shape, dtype=z.dtype, device=z.device)
        blocks = _binary_blocks(z, y, weight, pos_weight, g)  # g: per element ("none") or 0-d
        scratch = _Scratch()
        for (sl, zb, (yb, wb, pb, gb)), is_generic in zip(blocks, ctx.generic):
            gz = grad[sl]
            if is_generic:  # outside the exp range: the generic formula's derivative
                with torch.enable_grad():
                    zr = zb.detach().requires_grad_()
                    gz.copy_(torch.autograd.grad(_bce_logits_generic(zr, yb, wb, pb), zr, gb.expand(zb.shape))[0])
                continue
            # d/dz = w [(1 - y) sigmoid(z) - p y sigmoid(-z)]: both terms accurate, lerp cancels nothing
            (t,) = scratch(zb, 1)
            neg = torch.sigmoid(torch.neg(zb, out=t), out=t).neg_()
            if pb is not None:
                neg.mul_(pb)
            torch.lerp(torch.sigmoid(zb, out=gz), neg, yb, out=gz).mul_(gb)
            if wb is not None:
                gz.mul_(wb)
        return grad, None, None, None, None


#: BCE-with-logits inputs of at most this many elements take the lean formula
#: (:func:`bce_logits_lean`): a handful of operations instead of the blocks' passes.
LEAN_BINARY_ELEMENTS = 1 << 12
#: ``softplus(t) = t`` beyond this: ``log1p(exp(-t)) < 5e-18 t`` is below half a float64 ulp.
SOFTPLUS_THRESHOLD = 40.0


def bce_logits_lean(z: Any, y: Any, weight: Any, pos_weight: Any, reduction: str) -> Any:
    """``lerp(softplus(z), p softplus(-z), y)`` weighted and reduced, differentiated by autograd.

    torch's ``softplus`` keeps subnormal results (``z = -88.8`` gives 2.72e-39) and is
    exact to rounding up to the threshold; ``lerp`` mixes two non-negative terms without
    cancelling. No host read: the small inputs' path, and every input's where values may
    not be read (the blocks' range test reads a flag).
    """
    neg = F.softplus(-z, threshold=SOFTPLUS_THRESHOLD)
    if pos_weight is not None:
        neg = neg * pos_weight
    loss = torch.lerp(F.softplus(z, threshold=SOFTPLUS_THRESHOLD), neg, y)
    if weight is not None:
        loss = loss * weight
    return reduce(loss, reduction, xp=xp_torch)


def binary_cross_entropy_with_logits(
    z: Any, y: Any, weight: Any, pos_weight: Any, reduction: str, *, reads: bool = False
) -> Any:
    if not reads or z.numel() <= LEAN_BINARY_ELEMENTS:
        return bce_logits_lean(z, y, weight, pos_weight, reduction)
    return _BCEWithLogits.apply(z, y, weight, pos_weight, reduction)


class _BinaryCrossEntropy(torch.autograd.Function):
    """torch's BCE kernel forward (the generic formula); the generic path's derivative."""

    @staticmethod
    def forward(ctx, p, y, weight):
        ctx.save_for_backward(p, y, weight)
        return F.binary_cross_entropy(p, y, weight=weight, reduction="none")

    @staticmethod
    def backward(ctx, g):
        p, y, weight = ctx.saved_tensors
        # d/dp of -(y max(log p, -100) + (1 - y) max(log1p(-p), -100)); 0 where clamped
        has_p = (p > 0) & (torch.log(p) > -100)
        has_q = (p < 1) & (torch.log1p(-p) > -100)
        d = torch.where(has_q, (1 - y) / torch.where(has_q, 1 - p, 1), 0) - torch.where(
            has_p, y / torch.where(has_p, p, 1), 0
        )
        d = d * g
        return (d if weight is None else d * weight), None, None


def binary_cross_entropy(p: Any, y: Any, weight: Any) -> Any:
    if weight is not None and weight.shape != p.shape:
        weight = weight.expand(p.shape)
    return _BinaryCrossEntropy.apply(p, y, weight)


def _eager(*tensors: Any) -> bool:
    """Gradients wanted for the first tensor only (the custom backwards cover that one)."""
    return _usable(*tensors, grad_ok=tensors[:1])


# the kernels that take ``reads`` test a flag on the host only where the call allows it
KERNELS = {
    "cross_entropy_indices": Native(
        cross_entropy_indices, takes_reads=True, applies=lambda x, t, w_t, w, eps: _eager(x, t, w_t, w)
    ),
    "cross_entropy_probabilities": Native(
        cross_entropy_probabilities, takes_reads=True, applies=lambda x, q, w, eps: _eager(x, q, w)
    ),
    # a gradient for y, weight or pos_weight: the generic kernel's autograd
    "binary_cross_entropy_with_logits": Native(
        binary_cross_entropy_with_logits, reduces=True, takes_reads=True,
        applies=lambda z, y, w, pw: z.ndim > 0 and z.numel() > 0 and _eager(z, y, w, pw),
    ),
    # torch's kernel checks [0, 1] inside (a device assert on CUDA): no host read of its own
    "binary_cross_entropy": Native(
        binary_cross_entropy, needs_checked=True, sync_free=True, applies=lambda p, y, w: _eager(p, y, w)
    ),
}
