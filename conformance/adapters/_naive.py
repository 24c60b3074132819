"""The textbook formulas, as the documents first write them (the ``naive`` adapter).

sigmoid = 1 / (1 + exp(-x)) and then log; softmax = exp(x) / sum(exp(x)) and
then log; BCE = -(y log p + (1 - y) log(1 - p)) with no clamp.  NumPy, in the
input's dtype.  Options (weights, ignore_index, label smoothing, reductions)
follow torch, so these pass the ordinary cases and fail where the formulas
overflow, underflow or cancel: that is what this adapter is for.
"""

from __future__ import annotations

import numpy as np

__all__ = ["functions"]


def _class_last(x):
    return x if x.ndim <= 1 else np.moveaxis(x, 1, -1)


def _reduce(loss, reduction, denom=None):
    if reduction == "none":
        return loss
    total = loss.sum(dtype=loss.dtype)
    if reduction == "sum":
        return total
    if denom is None:
        return total / loss.dtype.type(loss.size) if loss.size else loss.dtype.type(np.nan)
    return total / denom


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def log_sigmoid(x):
    return np.log(sigmoid(x))


def softmax(x, *, axis=-1):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, *, axis=-1):
    return np.log(softmax(x, axis=axis))


def logsumexp(x, *, axis=None, keepdims=False):
    return np.log(np.exp(x).sum(axis=axis, keepdims=keepdims))


def binary_cross_entropy(input, target, *, weight=None, reduction="mean"):
    p, y = input, target
    loss = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    if weight is not None:
        loss = loss * weight
    return _reduce(np.asarray(loss, dtype=p.dtype), reduction)


def binary_cross_entropy_with_logits(input, target, *, weight=None, pos_weight=None, reduction="mean"):
    p, y = sigmoid(input), target
    pos = y * np.log(p)
    if pos_weight is not None:
        pos = pos_weight * pos
    loss = -(pos + (1 - y) * np.log(1 - p))
    if weight is not None:
        loss = loss * weight
    return _reduce(np.asarray(loss, dtype=input.dtype), reduction)


def _picked(logp, target, weight, ignore_index):
    x = _class_last(logp)
    n_classes = x.shape[-1]
    w = np.ones(n_classes, dtype=x.dtype) if weight is None else weight
    keep = target != ignore_index
    t = np.where(keep, target, 0)
    picked = np.take_along_axis(x, t[..., None], axis=-1)[..., 0]
    wt = np.where(keep, w[t], 0).astype(x.dtype)
    return x, w, keep, picked, wt


def nll_loss(input, target, *, weight=None, ignore_index=-100, reduction="mean"):
    _, _, keep, picked, wt = _picked(input, target, weight, ignore_index)
    loss = np.where(keep, -wt * picked, 0).astype(input.dtype)
    return _reduce(loss, reduction, wt.sum(dtype=input.dtype))


def cross_entropy(input, target, *, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    axis = 0 if input.ndim == 1 else 1
    logp = log_softmax(input, axis=axis)
    eps = input.dtype.type(label_smoothing)
    n_classes = input.shape[axis]
    if np.issubdtype(target.dtype, np.integer):
        x, w, keep, picked, wt = _picked(logp, target, weight, ignore_index)
        loss = (1 - eps) * (-wt * picked)
        if label_smoothing:
            loss = loss + eps / n_classes * (-(x * w).sum(axis=-1))
        loss = np.where(keep, loss, 0).astype(input.dtype)
        return _reduce(loss, reduction, wt.sum(dtype=input.dtype))
    q = _class_last(target) * (1 - eps) + eps / n_classes
    w = 1 if weight is None else weight
    loss = np.asarray(-(w * q * _class_last(logp)).sum(axis=-1), dtype=input.dtype)
    return _reduce(loss, reduction)


def mse_loss(input, target, *, reduction="mean"):
    return _reduce(np.asarray((input - target) ** 2, dtype=input.dtype), reduction)


def l1_loss(input, target, *, reduction="mean"):
    return _reduce(np.asarray(np.abs(input - target), dtype=input.dtype), reduction)


def huber_loss(input, target, *, reduction="mean", delta=1.0):
    d = np.abs(input - target)
    loss = np.where(d <= delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    return _reduce(np.asarray(loss, dtype=input.dtype), reduction)


def smooth_l1_loss(input, target, *, reduction="mean", beta=1.0):
    d = np.abs(input - target)
    loss = np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta) if beta > 0 else d
    return _reduce(np.asarray(loss, dtype=input.dtype), reduction)


def kl_div(input, target, *, reduction="mean", log_target=False):
    loss = np.exp(target) * (target - input) if log_target else target * (np.log(target) - input)
    loss = np.asarray(loss, dtype=input.dtype)
    if reduction == "batchmean":
        n = input.shape[0] if input.ndim else 1
        return loss.sum(dtype=loss.dtype) / loss.dtype.type(n) if n else loss.dtype.type(np.nan)
    return _reduce(loss, reduction)


def functions() -> dict:
    return {f.__name__: f for f in (sigmoid, log_sigmoid, softmax, log_softmax, logsumexp, binary_cross_entropy,
                                    binary_cross_entropy_with_logits, nll_loss, cross_entropy, mse_loss, l1_loss,
                                    huber_loss, smooth_l1_loss, kl_div)}
