"""torch fast paths: native kernels in row blocks, never less accurate than the generic path.

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

``binary_cross_entropy_with_logits`` is a composition of native ops that keeps both
terms non-negative (torch's kernel subtracts, and loses ``z = -88.8, y = 0``);
``binary_cross_entropy`` and ``nll_loss`` call the native kernels, whose forward is
the generic formula; the former gets a backward with the generic derivative.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

__all__ = [
    "cross_entropy_indices",
    "cross_entropy_probabilities",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy",
    "nll_loss",
]

#: Elements per block (16 MB of float32): fits the last-level cache, stays below
#: glibc's mmap threshold (no page faults on reuse) and keeps the number of kernel
#: launches low.
BLOCK_ELEMENTS = 1 << 22
#: Below this many classes the ``amax``/``exp``/``sum`` composition beats torch's
#: lastdim softmax kernels.
SMALL_C = 64

LN2 = math.log(2.0)


def _usable(*tensors: Any, grad_ok: tuple[Any, ...] = ()) -> bool:
    """Whether the eager fast path may run: no tracing, no functorch, no meta tensors,
    and gradients wanted only for ``grad_ok`` (the custom backward covers those)."""
    if torch.compiler.is_compiling() or torch._C._are_functorch_transforms_active():
        return False
    for t in tensors:
        if t is None:
            continue
        if t.device.type == "meta":
            return False
        if t.requires_grad and not any(t is g for g in grad_ok):
            return False
    return True


def _blocks(n: int, per_row: int, block_elements: int | None = None):
    step = max(1, (block_elements or BLOCK_ELEMENTS) // max(per_row, 1))
    for i in range(0, n, step):
        yield slice(i, min(i + step, n))


def _class_view(w: Any, ndim: int) -> Any:
    return w.reshape((1, -1) + (1,) * (ndim - 2))


# -- accurate log-softmax of a block ------------------------------------------------------


def _generic_rows(xb: Any, flag: Any) -> tuple[Any, Any, Any]:
    """Recompute positions ``flag`` of block ``xb`` with the generic formula.

    Returns (rows of log-probabilities (P, C), their max m (P,), their tail (P,)).
    """
    from .._special import _lse_parts
    from .._xp import namespace

    rows = xb.movedim(1, -1)[flag]
    xp = namespace(rows)
    m, tail = _lse_parts(xp, rows, -1)
    return (rows - m) - tail, m[:, 0], tail[:, 0]


def _log_softmax_block(xb: Any, yb: Any, tb: Any | None) -> tuple[Any, Any] | None:
    """Write the log-softmax of ``xb`` along dim 1 into ``yb`` with the generic accuracy.

    ``tb`` (the block's targets) limits the correction to positions whose target loss
    is below log 2; without it, every position with ``S < 2`` is corrected. Returns
    ``(m, S)`` with ``softmax = exp(x - m) / S`` for the small-C composition (the
    backward uses them), ``None`` for the native kernel.
    """
    C = xb.shape[1]
    if C >= SMALL_C:
        torch.log_softmax(xb, 1, out=yb)
        if tb is not None:
            # the target loss is below log 2 only if the target is the argmax and S < 2
            probe = yb.gather(1, tb.unsqueeze(1)).squeeze(1)
        else:
            probe = torch.amax(yb, 1)  # = -log S
        flag = ~(probe <= -LN2)  # NaN too: a non-finite row is redone the generic way
        if bool(flag.any()):
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
    low = ~(s >= 2)
    finite = torch.isfinite(m)
    if bool(low.any()):
        rest = torch.where(e < 1, e, 0).sum(1, keepdim=True)
        tail = torch.where(low, torch.log1p(rest), tail)
    if not bool(finite.all()):
        flag = ~finite.squeeze(1)
        y_rows, m_rows, t_rows = _generic_rows(xb, flag)
        m = m.clone()
        m.movedim(1, -1)[flag] = m_rows.unsqueeze(-1)
        tail.movedim(1, -1)[flag] = t_rows.unsqueeze(-1)
        yb.sub_(tail)
        yb.movedim(1, -1)[flag] = y_rows
    else:
        yb.sub_(tail)
    return m, s


def _unpack_stats(saved: tuple[Any, ...], composed: list[bool]) -> list[tuple[Any, Any] | None]:
    it = iter(saved)
    return [(next(it), next(it)) if c else None for c in composed]


def _nll_small_c(xb: Any, tb: Any, buf: Any) -> tuple[Any, Any, Any]:
    """``LSE - x_t`` for few classes without forming the log-softmax: ``(nll, m, S)``."""
    m = torch.amax(xb, 1, keepdim=True)
    e = torch.sub(xb, m, out=buf).exp_()
    s = e.sum(1, keepdim=True)
    tail = torch.log(s)
    low = ~(s >= 2)  # S < 2, or NaN: a maximum that is not finite
    if bool(low.any()):
        rest = e.masked_fill_(e >= 1, 0).sum(1, keepdim=True)  # the terms other than the max
        tail = torch.where(low, torch.log1p(rest), tail)
        finite = torch.isfinite(m)
        if not bool(finite.all()):
            flag = ~finite.squeeze(1)
            _, m_rows, t_rows = _generic_rows(xb, flag)
            m = m.clone()
            m.movedim(1, -1)[flag] = m_rows.unsqueeze(-1)
            tail.movedim(1, -1)[flag] = t_rows.unsqueeze(-1)
    nll = (m - xb.gather(1, tb.unsqueeze(1))).add_(tail).squeeze(1)
    return nll, m, s


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
    def forward(ctx, x, target, w_t, weight, eps, block_elements):
        N, C = x.shape[0], x.shape[1]
        per_row = math.prod(x.shape[1:])
        nll = x.new_empty(target.shape)
        smooth = x.new_empty(target.shape) if eps > 0 else None
        wv = None if weight is None else _class_view(weight, x.ndim)
        stats = []
        buf = None
        for sl in _blocks(N, per_row, block_elements):
            xb, tb = x[sl], target[sl]
            if buf is None:
                buf = torch.empty(xb.shape, dtype=x.dtype, device=x.device)
            yb = buf[: xb.shape[0]]
            if eps == 0 and C < SMALL_C:
                nll[sl], m, s = _nll_small_c(xb, tb, yb)
                stats.append((m, s))
                continue
            st = _log_softmax_block(xb, yb, None if eps > 0 else tb)
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
        ctx.save_for_backward(x, target, w_t, weight, nll, *[t for s in stats if s is not None for t in s])
        return loss

    @staticmethod
    def backward(ctx, g):
        x, target, w_t, weight, nll = ctx.saved_tensors[:5]
        eps = ctx.eps
        N, C = x.shape[0], x.shape[1]
        per_row = math.prod(x.shape[1:])
        stats = _unpack_stats(ctx.saved_tensors[5:], ctx.composed)
        total_w = float(C) if weight is None else weight.sum()
        # d loss / d x_j = a p_j - b [j = t] - c w_j
        b = g * (1 - eps) * w_t
        c = g * (eps / C)
        a = b + c * total_w
        w_class = torch.ones_like(w_t) if weight is None else weight[target]
        wv = None if weight is None else _class_view(weight, x.ndim)
        grad = torch.empty(x.shape, dtype=x.dtype, device=x.device)
        for sl, st in zip(_blocks(N, per_row, ctx.block_elements), stats):
            xb, tb1 = x[sl], target[sl].unsqueeze(1)
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
        return grad, None, None, None, None, None


def cross_entropy_indices(x: Any, target: Any, w_t: Any, weight: Any, eps: float) -> Any:
    if not _usable(x, target, w_t, weight, grad_ok=(x,)):
        return None
    return _CrossEntropyIndices.apply(x, target, w_t, weight, float(eps), BLOCK_ELEMENTS)


# -- cross entropy, class-probability targets ------------------------------------------


def _smoothed(qb: Any, eps: float, C: int, wv: Any) -> Any:
    qp = qb * (1 - eps) + eps / C if eps > 0 else qb
    return qp if wv is None else qp * wv


class _CrossEntropyProbabilities(torch.autograd.Function):
    """Per-position ``sum_c q'_c (LSE - x_c)``, ``q' = w ((1 - eps) q + eps / C)``, 0 where q' = 0."""

    @staticmethod
    def forward(ctx, x, q, weight, eps, block_elements):
        N, C = x.shape[0], x.shape[1]
        per_row = math.prod(x.shape[1:])
        loss = x.new_empty((N,) + tuple(x.shape[2:]))
        mass = x.new_empty(loss.shape)
        wv = None if weight is None else _class_view(weight, x.ndim)
        stats, buf = [], None
        for sl in _blocks(N, per_row, block_elements):
            xb = x[sl]
            if buf is None:
                buf = torch.empty(xb.shape, dtype=x.dtype, device=x.device)
            yb = buf[: xb.shape[0]]
            stats.append(_log_softmax_block(xb, yb, None))
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
        for sl, st in zip(_blocks(N, per_row, ctx.block_elements), stats):
            gb = _softmax_block(x[sl], grad[sl], st)
            gs = g[sl].unsqueeze(1)
            gb.mul_(gs * mass[sl].unsqueeze(1))
            gb.sub_(_smoothed(q[sl], eps, C, wv) * gs)  # never in place: q may be the caller's
        return grad, None, None, None, None


def cross_entropy_probabilities(x: Any, q: Any, weight: Any, eps: float) -> Any:
    if not _usable(x, q, weight, grad_ok=(x,)):
        return None
    return _CrossEntropyProbabilities.apply(x, q, weight, float(eps), BLOCK_ELEMENTS)


# -- binary ---------------------------------------------------------------------------------


def binary_cross_entropy_with_logits(z: Any, y: Any, weight: Any, pos_weight: Any) -> Any:
    """``(1 - y) softplus(z) + p y softplus(-z)`` from native ops, both terms >= 0.

    ``l = log1p(exp(-|z|)) = -logsigmoid(|z|)`` is the only transcendental; with
    ``softplus(+-z) = relu(+-z) + l``, ``lerp`` mixes the two relus -- torch's lerp uses
    ``a + y (b - a)`` for y < 1/2 and ``b - (b - a)(1 - y)`` otherwise, so no term
    cancels (``a - y z`` would lose ``(1 - y) z`` for soft labels near 1). Autograd
    differentiates it; ``maximum`` splits the tie at ``z = 0`` so the slope there is
    ``1/2 - y``, as the generic path's.
    """
    if not _usable(z, y, weight, pos_weight, grad_ok=(z, y, weight, pos_weight)):
        return None
    if not (torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (z, y, weight, pos_weight))):
        # no autograd: the same arithmetic in place, two temporaries fewer
        t = z.abs()
        l = F.logsigmoid(t)  # -log1p(exp(-|z|))
        a = torch.clamp_min(z, 0, out=t)  # relu(z)
        b = torch.sub(a, z)  # relu(-z), exact
        if pos_weight is None:
            loss = torch.lerp(a, b, y, out=b).sub_(l)
        else:
            loss = torch.lerp(a.sub_(l), b.sub_(l).mul_(pos_weight), y)
        return loss if weight is None else loss.mul_(weight)
    a = torch.maximum(z, z.new_zeros(()))  # relu(z); at 0 the slope is split, 1/2
    b = a - z  # relu(-z), exact
    l = F.logsigmoid(z.abs())  # -log1p(exp(-|z|))
    if pos_weight is None:
        loss = torch.lerp(a, b, y) - l
    else:
        loss = torch.lerp(a - l, (b - l) * pos_weight, y)
    return loss if weight is None else loss * weight


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
    if not _usable(p, y, weight, grad_ok=(p,)):
        return None
    if weight is not None and weight.shape != p.shape:
        weight = weight.expand(p.shape)
    return _BinaryCrossEntropy.apply(p, y, weight)


def nll_loss(x: Any, safe: Any, valid: Any, weight: Any, ignore_index: int, reduction: str) -> Any:
    if not _usable(x, safe, weight, grad_ok=(x,)):
        return None
    target = torch.where(valid, safe, ignore_index)
    return F.nll_loss(x, target, weight=weight, ignore_index=ignore_index, reduction=reduction)
