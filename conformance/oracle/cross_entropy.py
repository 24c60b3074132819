"""cross_entropy(input, target, *, weight=None, ignore_index=-100,
reduction="mean", label_smoothing=0.0).

Input is logits, class axis 1 for (N, C, d1..dK), 0 for unbatched (C,).
log p = log_softmax(input) along the class axis.  torch semantics, with
eps = label_smoothing and w = weight (ones when absent):

Index targets t (integers; ``ignore_index`` positions give 0):

    l_i = (1 - eps) * (-w[t_i] log p[i, t_i]) + (eps / C) * sum_c (-w[c] log p[i, c])

    i.e. the smoothed target (1 - eps) * onehot + eps / C, with the class
    weight applied per class inside the smoothing term; "mean" divides
    sum(l_i) by sum(w[t_i]) over non-ignored targets (NaN when that is empty).

Probability targets q (same shape as input):

    l_i = -sum_c w[c] * ((1 - eps) q[i, c] + eps / C) * log p[i, c]

    "mean" divides by the number of positions N * d1 * ... * dK, ignoring the
    weights (a documented torch oddity; NaN for an empty batch).  A class with
    zero target mass contributes nothing even where log p = -inf (the limit
    0 * log 0 = 0; torch itself returns NaN there).
"""

import numpy as np

from . import register
from ._mp import as_mp, class_last, log_softmax_seq, mp_sum, reduce_losses, xlogy
from .nll_loss import _check_targets


def _log_softmax_last(x):
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(*x.shape[:-1]):
        vals = log_softmax_seq(x[idx].tolist())
        for k, v in enumerate(vals):
            out[idx + (k,)] = v
    return out


@register
def cross_entropy(input, target, *, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    x = class_last(as_mp(input))
    n_classes = x.shape[-1]
    eps = as_mp(label_smoothing).item()
    w = as_mp(weight) if weight is not None else as_mp(np.ones(n_classes, dtype=np.int64))
    logp = _log_softmax_last(x)
    tgt = np.asarray(target)
    if tgt.dtype != object and np.issubdtype(tgt.dtype, np.integer):
        t = tgt.astype(np.int64)
        _check_targets(t, n_classes, ignore_index)
        out = np.empty(t.shape, dtype=object)
        picked = []
        for idx in np.ndindex(*t.shape):
            c = int(t[idx])
            if c == ignore_index:
                out[idx] = as_mp(0).item()
                continue
            row = logp[idx]
            nll = -w[c] * row[c]
            loss = (1 - eps) * nll
            if eps != 0:
                smooth = mp_sum(-w[k] * row[k] for k in range(n_classes))
                loss = loss + eps / n_classes * smooth
            out[idx] = loss
            picked.append(w[c])
        return reduce_losses(out, reduction, divisor=mp_sum(picked))
    q = class_last(as_mp(tgt))
    if q.shape != x.shape:
        msg = f"probability target shape {tgt.shape} does not match input {np.shape(input)}"
        raise ValueError(msg)
    out = np.empty(x.shape[:-1], dtype=object)
    for idx in np.ndindex(*x.shape[:-1]):
        row, qrow = logp[idx], q[idx]
        terms = [-w[k] * xlogy((1 - eps) * qrow[k] + eps / n_classes, row[k]) for k in range(n_classes)]
        out[idx] = mp_sum(terms)
    return reduce_losses(out, reduction)
