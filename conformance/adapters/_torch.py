"""torch.nn.functional behind the polyloss signatures (the ``torch`` adapter).

Only conventions are translated (``axis`` -> ``dim``, ``logsumexp`` over all
axes); the numbers are torch's own.
"""

from __future__ import annotations

from typing import Any

__all__ = ["functions"]


def functions() -> dict[str, Any]:
    import torch
    import torch.nn.functional as F  # noqa: N812

    def sigmoid(x):
        return torch.sigmoid(x)

    def log_sigmoid(x):
        return F.logsigmoid(x)

    def softmax(x, *, axis=-1):
        return F.softmax(x, dim=axis)

    def log_softmax(x, *, axis=-1):
        return F.log_softmax(x, dim=axis)

    def logsumexp(x, *, axis=None, keepdims=False):
        if axis is None:
            r = torch.logsumexp(x.reshape(-1), dim=0)
            return r.reshape((1,) * x.ndim) if keepdims else r
        return torch.logsumexp(x, dim=axis, keepdim=keepdims)

    def binary_cross_entropy(input, target, *, weight=None, reduction="mean"):
        return F.binary_cross_entropy(input, target, weight=weight, reduction=reduction)

    def binary_cross_entropy_with_logits(input, target, *, weight=None, pos_weight=None, reduction="mean"):
        return F.binary_cross_entropy_with_logits(input, target, weight=weight, pos_weight=pos_weight,
                                                  reduction=reduction)

    def nll_loss(input, target, *, weight=None, ignore_index=-100, reduction="mean"):
        return F.nll_loss(input, target, weight=weight, ignore_index=ignore_index, reduction=reduction)

    def cross_entropy(input, target, *, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        return F.cross_entropy(input, target, weight=weight, ignore_index=ignore_index, reduction=reduction,
                               label_smoothing=label_smoothing)

    def linear_cross_entropy(input, weight, target, *, bias=None, ignore_index=-100, reduction="mean",
                             label_smoothing=0.0):
        # the plain composition: F.linear's logits (classes last) into F.cross_entropy (classes on axis 1)
        z = F.linear(input, weight, bias)
        return F.cross_entropy(z.movedim(-1, 1) if z.ndim > 1 else z, target, ignore_index=ignore_index,
                               reduction=reduction, label_smoothing=label_smoothing)

    def mse_loss(input, target, *, reduction="mean"):
        return F.mse_loss(input, target, reduction=reduction)

    def l1_loss(input, target, *, reduction="mean"):
        return F.l1_loss(input, target, reduction=reduction)

    def huber_loss(input, target, *, reduction="mean", delta=1.0):
        return F.huber_loss(input, target, reduction=reduction, delta=delta)

    def smooth_l1_loss(input, target, *, reduction="mean", beta=1.0):
        return F.smooth_l1_loss(input, target, reduction=reduction, beta=beta)

    def kl_div(input, target, *, reduction="mean", log_target=False):
        return F.kl_div(input, target, reduction=reduction, log_target=log_target)

    def triplet_margin_loss(anchor, positive, negative, *, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean"):
        return F.triplet_margin_loss(anchor, positive, negative, margin=margin, p=p, eps=eps, swap=swap,
                                     reduction=reduction)

    def cosine_embedding_loss(x1, x2, y, *, margin=0.0, reduction="mean"):
        return F.cosine_embedding_loss(x1, x2, y, margin=margin, reduction=reduction)

    def margin_ranking_loss(x1, x2, y, *, margin=0.0, reduction="mean"):
        return F.margin_ranking_loss(x1, x2, y.to(x1.dtype), margin=margin, reduction=reduction)

    return {f.__name__: f for f in (sigmoid, log_sigmoid, softmax, log_softmax, logsumexp, binary_cross_entropy,
                                    binary_cross_entropy_with_logits, nll_loss, cross_entropy, linear_cross_entropy, mse_loss, l1_loss,
                                    huber_loss, smooth_l1_loss, kl_div, triplet_margin_loss, cosine_embedding_loss,
                                    margin_ranking_loss)}
