"""torch kernel of linear cross entropy: row blocks, the gradient formed while each block is in cache.

Each block of rows forms its logits ``addmm(bias, input_b, weight.T)`` into a reused
buffer, their log-softmax with the generic accuracy (``_log_softmax_block`` of the
cross entropy fast path: torch's kernel, with the rows whose loss is below log 2
redone by the ``log1p`` formula), its rows' losses and -- when a gradient is wanted --
``G = d loss / d logits`` in place of the log-softmax, then ``G @ weight`` (the input's
gradient rows), ``G.T @ input_b`` (added to the weight's gradient) and ``G.sum(0)`` (the
bias's). No (N, V) tensor is ever allocated, and the backward does not pass over the
vocabulary again:

* the input's gradient is per row, so the forward's (for an output gradient of 1) is
  scaled by each row's output gradient;
* the weight's and bias's are sums over rows, which a per-row scaling cannot reach. The
  forward forms them for an output gradient that is the same for every counted row --
  what ``"mean"`` and ``"sum"`` give -- and the backward uses them when that holds (one
  comparison, one host sync). Any other output gradient (``reduction="none"`` followed
  by a weighting) recomputes the blocks with it: one more logits product and pass.

Where values may not be read on the host (``reads`` false: ``value_checks="defer"``, which
is the default for accelerator data) the kernel makes no host sync: the corrections of the
log-softmax are chosen with ``where``, the forward forms only the losses, and the backward
walks the blocks again with the output gradient -- four products of the size of the logits
instead of three, and still no (N, V) tensor.

The memory is two blocks of :data:`BLOCK_ELEMENTS` logits plus the gradients themselves.
Second derivatives are not supported (``once_differentiable``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch.autograd.function import once_differentiable

from ._blocked import row_slices
from ._native import Native
from ._torch import _log_softmax_block, _usable

__all__ = ["KERNELS"]

#: Logits per block (16 MiB of float32; two such buffers): large enough that the
#: products run at full speed, small enough to stay near the last-level cache.
BLOCK_ELEMENTS = 1 << 22


def usable(*arrays: Any) -> bool:
    """Whether the eager kernel may run: no tracing, no functorch transforms, no meta tensors."""
    return _usable(*arrays, grad_ok=arrays)


def linear_cross_entropy(
    input: Any, weight: Any, bias: Any, target: Any, w_t: Any, eps: float, *, reads: bool
) -> Any:
    """The generic kernel's (``_generic.linear_cross_entropy``) arguments and result;
    ``reads``: whether values may be read on the host (module docstring)."""
    return _LinearCrossEntropy.apply(input, weight, bias, target, w_t, float(eps), reads)


def _blocks(h, weight, bias, target, scale, eps, grads, reads, want_loss=True):
    """Walk the row blocks: ``(loss, d input, d weight, d bias)`` for row weights ``scale``.

    ``grads`` says which of the three gradients to form (``None`` for the others);
    ``scale`` (N,) or ``None`` multiplies each row's loss and gradient; ``reads``: as for
    :func:`~polyloss._kernels._torch._log_softmax_block`.
    """
    N, V = h.shape[0], weight.shape[0]
    loss = h.new_empty((N,)) if want_loss else None
    g_h = torch.empty_like(h) if grads[0] else None
    g_w = torch.zeros_like(weight) if grads[1] else None
    g_b = torch.zeros_like(bias) if grads[2] and bias is not None else None
    any_grad = any(grads)
    weight_t = weight.t()
    z_buf = y_buf = None
    for rows in row_slices(N, V, BLOCK_ELEMENTS):
        hb, tb = h[rows], target[rows]
        if z_buf is None:
            z_buf = h.new_empty((hb.shape[0], V))
            y_buf = torch.empty_like(z_buf)
        z, y = z_buf[: hb.shape[0]], y_buf[: hb.shape[0]]
        if bias is None:
            torch.mm(hb, weight_t, out=z)
        else:
            torch.addmm(bias, hb, weight_t, out=z)
        # with smoothing every class's term counts: correct every row with S < 2
        _log_softmax_block(z, y, tb if eps == 0 else None, reads=reads)
        nll = torch.rsub(y.gather(1, tb.unsqueeze(1)).squeeze(1), 0)  # 0 - y: +0, not -0
        sb = None if scale is None else scale[rows]
        if want_loss:
            lb = nll if eps == 0 else nll * (1 - eps) + torch.rsub(y.sum(1), 0) * (eps / V)  # -sum log p_c >= 0
            loss[rows] = lb if sb is None else lb * sb
        if not any_grad:
            continue
        # d loss / d z_c = p_c - (1 - eps) [c = t] - eps / V; at the target
        # p_t - 1 = expm1(-nll) (no cancellation), plus eps (1 - 1 / V)
        at_t = torch.expm1(-nll)
        g = y.exp_()
        if eps > 0:
            g.sub_(eps / V)
            at_t = at_t + eps * (1 - 1 / V)
        g.scatter_(1, tb.unsqueeze(1), at_t.unsqueeze(1))
        if sb is not None:
            g.mul_(sb.unsqueeze(1))
        if g_h is not None:
            torch.mm(g, weight, out=g_h[rows])
        if g_w is not None:
            g_w.addmm_(g.t(), hb)
        if g_b is not None:
            g_b.add_(g.sum(0))
    return loss, g_h, g_w, g_b


class _LinearCrossEntropy(torch.autograd.Function):
    """Per-row ``w_t ((1 - eps) (LSE - z_t) + eps / V sum_c (LSE - z_c))``, ``z = input @ weight.T + bias``."""

    @staticmethod
    def forward(ctx, h, weight, bias, target, w_t, eps, reads):
        # without reads the backward cannot test the output gradient: it walks the blocks again
        grads = tuple(ctx.needs_input_grad[:3]) if reads else (False, False, False)
        loss, g_h, g_w, g_b = _blocks(h, weight, bias, target, w_t, eps, grads, reads)
        ctx.eps, ctx.reads = eps, reads
        ctx.save_for_backward(h, weight, bias, target, w_t, g_h, g_w, g_b)
        return loss

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        h, weight, bias, target, w_t, g_h, g_w, g_b = ctx.saved_tensors
        grads = tuple(ctx.needs_input_grad[:3])
        if ctx.reads:
            if h.shape[0] == 0:  # the forward's gradients are the zeros of no rows
                return g_h, g_w, g_b, None, None, None, None
            # the weight's and bias's gradients of the forward hold for an output gradient that
            # is the same on every counted row: take it from the first such row
            counted = torch.ones_like(g, dtype=torch.bool) if w_t is None else w_t != 0
            c = g[torch.argmax(counted.to(torch.uint8))]
            if bool(torch.where(counted, g == c, True).all()):
                # scaled copies, not in place: a second backward through a retained graph (and
                # gradcheck's reentrancy check) must find the forward's gradients unchanged
                return (
                    None if g_h is None else g_h * g.unsqueeze(1),
                    None if g_w is None else g_w * c,
                    None if g_b is None else g_b * c,
                    None, None, None, None,
                )
        scale = g if w_t is None else g * w_t
        _, g_h, g_w, g_b = _blocks(h, weight, bias, target, scale, ctx.eps, grads, ctx.reads, want_loss=False)
        return g_h, g_w, g_b, None, None, None, None


KERNELS = {
    "linear_cross_entropy": Native(
        # (N, H) rows: the generic kernel's other form (rows of more axes) comes only with an
        # unknown number of rows, which eager tensors do not have
        linear_cross_entropy, applies=lambda h, w, b, t, w_t, eps: h.ndim == 2 and usable(h, w, b, t, w_t),
        takes_reads=True,
    )
}
