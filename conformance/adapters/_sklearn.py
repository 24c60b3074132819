"""scikit-learn behind the polyloss signatures (the ``sklearn`` adapter), on NumPy arrays.

scikit-learn's metrics return Python floats (NumPy float64 arithmetic on the
given arrays), so results are judged for accuracy only: neither the array type
nor the dtype is checked.  They average over samples, so only the reductions
they express are run.  Translation, function by function (scikit-learn 1.9
source read):

``binary_cross_entropy(input, target, weight, reduction)``
    ``metrics.log_loss(target.ravel(), input.ravel(), labels=[0, 1], normalize=reduction == "mean",
    sample_weight=weight)``: ``-(y log p + (1 - y) log(1 - p))`` with ``p`` clipped to
    ``[eps, 1 - eps]``, ``eps`` the machine epsilon of ``input``'s dtype (torch, and polyloss, clamp
    each log at -100 instead).  An empty batch is declined: scikit-learn's validation refuses it.  ``y`` must be labels 0 or 1 (soft targets declined); ``reduction="none"``
    and a ``weight`` with ``"mean"`` (sklearn's weighted mean divides by the sum of the weights,
    polyloss's by the number of elements) are declined.
``mse_loss(input, target)``  ``metrics.mean_squared_error(target.ravel(), input.ravel())``: ``"mean"`` only.
``l1_loss(input, target)``   ``metrics.mean_absolute_error(target.ravel(), input.ravel())``: ``"mean"`` only.
``class_weights(counts, strategy="inverse")``
    ``utils.class_weight.compute_class_weight("balanced", classes=arange(C), y=repeat(arange(C), counts))``,
    ``n / (C n_c)``: integer counts, each at least 1 (a class must occur in ``y``), at most 10^7 in all.
"""

from __future__ import annotations

from .._runner import Unsupported

__all__ = ["functions"]


def _mean_only(reduction: str, what: str) -> None:
    if reduction != "mean":
        msg = f"reduction={reduction!r}: {what} returns only the mean"
        raise Unsupported(msg)


def _not_empty(y) -> None:
    if y.size == 0:
        msg = "no samples: scikit-learn's input validation refuses an empty array (by design)"
        raise Unsupported(msg)


def binary_cross_entropy(input, target, *, weight=None, reduction="mean"):
    import numpy as np
    from sklearn import metrics

    y = target.ravel()
    if not np.all((y == 0) | (y == 1)):
        msg = "soft targets: log_loss takes labels 0 or 1"
        raise Unsupported(msg)
    if reduction == "none" or (weight is not None and reduction == "mean"):
        msg = (f"reduction={reduction!r}" + (" with a weight" if weight is not None else "")
               + ": log_loss returns the mean or the (weighted) sum; its weighted mean divides by the sum of "
               "the weights")
        raise Unsupported(msg)
    w = None if weight is None else np.broadcast_to(weight, input.shape).ravel()
    _not_empty(y)
    return metrics.log_loss(y, input.ravel(), labels=[0, 1], normalize=reduction == "mean", sample_weight=w)


def mse_loss(input, target, *, reduction="mean"):
    from sklearn import metrics

    _mean_only(reduction, "mean_squared_error")
    _not_empty(input)
    return metrics.mean_squared_error(target.ravel(), input.ravel())


def l1_loss(input, target, *, reduction="mean"):
    from sklearn import metrics

    _mean_only(reduction, "mean_absolute_error")
    _not_empty(input)
    return metrics.mean_absolute_error(target.ravel(), input.ravel())


def class_weights(counts, *, strategy="inverse"):
    import numpy as np
    from sklearn.utils.class_weight import compute_class_weight

    if strategy != "inverse":
        msg = f"strategy={strategy!r}: compute_class_weight's 'balanced' is n / (C n_c), polyloss's 'inverse'"
        raise Unsupported(msg)
    n = counts.astype(np.float64)
    if not np.all((n == np.round(n)) & (n >= 1)) or n.sum() > 1e7:
        msg = "compute_class_weight counts labels: each count must be a whole number >= 1, at most 1e7 in all"
        raise Unsupported(msg)
    classes = np.arange(n.size)
    return compute_class_weight("balanced", classes=classes, y=np.repeat(classes, n.astype(np.int64)))


def functions() -> dict:
    return {f.__name__: f for f in (binary_cross_entropy, mse_loss, l1_loss, class_weights)}
