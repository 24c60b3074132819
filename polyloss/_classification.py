"""Classification losses: binary cross entropy (on probabilities and on logits), NLL, cross entropy."""

from __future__ import annotations

import functools
import math
from typing import Any

from . import _fast
from ._config import resolve
from ._reduction import check_reduction, reduce
from ._special import _lse_parts, _softplus
from ._validation import (
    check_broadcastable,
    check_class_layout,
    check_class_weight,
    check_in_range,
    check_integer,
    check_log_probabilities,
    check_nonnegative,
    check_probabilities,
    check_real_floating,
    check_same_shape,
    check_values,
    poison,
    warn_if_probability_rows,
)
from ._xp import compute_dtype, device, finish, is_concrete, namespace

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "nll_loss",
    "cross_entropy",
]


def _to(xp: Any, x: Any, dtype: Any) -> Any:
    return None if x is None else (x if x.dtype == dtype else xp.astype(x, dtype))


# -- binary ---------------------------------------------------------------------------


def binary_cross_entropy(
    input: Any,
    target: Any,
    /,
    *,
    weight: Any = None,
    reduction: str = "mean",
    detect_mistakes: bool | None = None,
) -> Any:
    r"""Binary cross entropy between probabilities ``input`` and targets ``target``.

    .. math::
        \ell_i = -w_i\,\bigl[y_i \max(\log p_i, -100) + (1 - y_i)\max(\log(1 - p_i), -100)\bigr]

    Each log term is clamped at -100, as torch documents, so a probability of exactly
    0 or 1 gives a finite loss. ``log(1 - p)`` is evaluated as ``log1p(-p)``.
    ``weight`` broadcasts against ``input``; ``"mean"`` divides by the number of
    elements (not by the weights), as in torch.

    Parameters
    ----------
    input : array of probabilities in [0, 1], any shape.
    target : array of the same shape, values in [0, 1].
    weight : optional array broadcastable to ``input``.
    reduction : {"none", "mean", "sum"}
    detect_mistakes : bool or None
        Check that ``input`` is in [0, 1] (``None``: the global option, on by default).
        Off, or for lazy and traced arrays, no value is inspected (no device sync) and an
        element outside [0, 1] gives NaN instead of an error: never a silent number.

    Raises
    ------
    ValueError
        If ``input`` has values outside [0, 1] (likely logits: use
        binary_cross_entropy_with_logits), checked only for concrete arrays.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> round(float(pl.binary_cross_entropy(np.asarray([0.75]), np.asarray([1.0]))), 4)
    0.2877
    """
    xp = namespace(input, target, weight)
    check_reduction(reduction)
    for arr, name in ((input, "input"), (target, "target"), (weight, "weight")):
        check_real_floating(xp, arr, name)
    check_same_shape(input, target, ("input", "target"))
    check_broadcastable(weight, tuple(input.shape), "weight")
    in_unit = (input >= 0) & (input <= 1)
    unchecked = in_unit if not resolve("detect_mistakes", detect_mistakes) else check_values(
        xp, in_unit, input,
        message="`input` of binary_cross_entropy must be probabilities in [0, 1]; got values "
        "outside [0, 1]. Likely mistake: logits were passed (no sigmoid applied). Fix: pass the "
        "logits to binary_cross_entropy_with_logits, which is also more accurate",
    )
    bad_target = check_probabilities(xp, target, "target")  # a 0/255 mask is a classic mistake
    bad_weight = check_nonnegative(xp, weight, "weight")
    dtype = input.dtype
    work = compute_dtype(xp, dtype)
    p, y, w = (_to(xp, a, work) for a in (input, target, weight))
    y = poison(xp, y, bad_target)  # lazy arrays: NaN where a value was invalid
    w = None if w is None else poison(xp, w, bad_weight)
    fast = _fast.binary_cross_entropy(xp, p, y, w) if unchecked is None else None
    if fast is not None:  # torch's kernel (values checked above)
        return finish(xp, reduce(fast, reduction, xp=xp), dtype)
    # torch's clamp of each log at -100, without evaluating log(0) (NumPy would warn):
    # log p at p = 0 and log(1 - p) = log1p(-p) (exact for small p) at p = 1 are -100.
    has_p, has_q = p > 0, p < 1
    log_p = xp.maximum(xp.where(has_p, xp.log(xp.where(has_p, p, 1)), -100.0), -100.0)
    log_q = xp.maximum(xp.where(has_q, xp.log1p(-xp.where(has_q, p, 0)), -100.0), -100.0)
    loss = -(y * log_p + (1 - y) * log_q)
    if w is not None:
        loss = loss * w
    loss = poison(xp, loss, unchecked)  # lazy input outside [0, 1]: NaN, not a wrong number
    return finish(xp, reduce(loss, reduction, xp=xp), dtype)


def binary_cross_entropy_with_logits(
    input: Any,
    target: Any,
    /,
    *,
    weight: Any = None,
    pos_weight: Any = None,
    reduction: str = "mean",
) -> Any:
    r"""Binary cross entropy on logits: sigmoid and BCE fused without cancellation.

    .. math::
        \ell_i = w_i\,\bigl[\,p\,y_i \operatorname{softplus}(-z_i)
                 + (1 - y_i)\operatorname{softplus}(z_i)\bigr],
        \qquad \operatorname{softplus}(t) = \max(t, 0) + \log(1 + e^{-|t|})

    with ``p = pos_weight`` (broadcast along the last axis). This is torch's
    ``(1 - y) z + (1 + (p - 1) y) softplus(-z)`` rearranged so that both terms are
    non-negative: no cancellation, so tiny losses keep their relative accuracy
    (``z = -88.8, y = 0`` gives 2.72e-39, where the textbook form gives 0).

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> z, y = np.asarray([1.8, -0.75]), np.asarray([1.0, 0.0])
    >>> round(float(pl.binary_cross_entropy_with_logits(z, y)), 4)
    0.2699
    """
    xp = namespace(input, target, weight, pos_weight)
    check_reduction(reduction)
    for arr, name in ((input, "input"), (target, "target"), (weight, "weight"), (pos_weight, "pos_weight")):
        check_real_floating(xp, arr, name)
    check_same_shape(input, target, ("input", "target"))
    check_broadcastable(weight, tuple(input.shape), "weight")
    check_broadcastable(pos_weight, tuple(input.shape), "pos_weight")
    bad_weight = check_nonnegative(xp, weight, "weight")
    bad_pos_weight = check_nonnegative(xp, pos_weight, "pos_weight")
    dtype = input.dtype
    work = compute_dtype(xp, dtype)
    z, y, w, pw = (_to(xp, a, work) for a in (input, target, weight, pos_weight))
    w = None if w is None else poison(xp, w, bad_weight)  # lazy arrays: NaN where a value was invalid
    pw = None if pw is None else poison(xp, pw, bad_pos_weight)
    # targets must be in [0, 1] (a 0/255 mask is a classic mistake); a fast path checks them
    # block by block, while they are in cache
    check_target = functools.partial(check_probabilities, xp, name="target")
    fast = _fast.binary_cross_entropy_with_logits(xp, z, y, w, pw, reduction, check_target)
    if fast is not None:
        return finish(xp, fast, dtype)
    y = poison(xp, y, check_target(y))
    return finish(xp, reduce(_bce_with_logits_terms(xp, z, y, w, pw), reduction, xp=xp), dtype)


def _bce_with_logits_terms(xp: Any, z: Any, y: Any, w: Any, pw: Any) -> Any:
    """The elementwise loss of binary_cross_entropy_with_logits (arguments in the compute dtype)."""
    positive = y * _softplus(xp, -z)  # -log sigmoid(z)
    if pw is not None:
        positive = positive * pw
    loss = positive + (1 - y) * _softplus(xp, z)  # -log(1 - sigmoid(z))
    return loss if w is None else loss * w


# -- multi-class ----------------------------------------------------------------------


def _class_targets(xp: Any, input: Any, target: Any, weight: Any, ignore_index: int, work: Any):
    """Batch an unbatched call and return (input, safe target, valid mask, per-target weight).

    The mask is ``None`` when every target counts: concrete targets all within range and
    an ``ignore_index`` outside it (two reductions, no boolean masks -- the common case).
    """
    n_classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    safe, valid, unchecked = _index_targets(xp, target, n_classes, ignore_index)
    if input.ndim == 1:
        input, safe = input[None, ...], safe[None, ...]
        valid, unchecked = (None if a is None else a[None, ...] for a in (valid, unchecked))
    if valid is None:
        if weight is None:
            return input, safe, None, xp.ones(tuple(safe.shape), dtype=work, device=device(safe))
        return input, safe, None, _take(xp, weight, safe)
    if weight is None:
        w_t = xp.astype(valid, work)
    else:
        w_t = xp.where(valid, _take(xp, weight, safe), 0)
    # lazy/traced targets: an out-of-range index gives NaN rather than reading class 0
    return input, safe, valid, poison(xp, w_t, unchecked)


def _index_targets(xp: Any, target: Any, n_classes: int, ignore_index: int) -> tuple[Any, Any, Any]:
    """Check class indices against ``[0, n_classes)`` and ``ignore_index``: ``(safe, valid, unchecked)``.

    ``safe`` is ``target`` in the namespace's indexing dtype with every ignored or (lazy)
    out-of-range index replaced by 0; ``valid`` marks the targets that count (``None``: all
    of them); ``unchecked`` is what :func:`check_values` returned, for :func:`poison`.
    """
    # any integer dtype in; gather/take want the namespace's indexing dtype (int64, or
    # int32 on JAX without x64, where asking for int64 would warn)
    index_dtype = xp.__array_namespace_info__().default_dtypes(device=device(target))["indexing"]
    if target.dtype != index_dtype:
        target = xp.astype(target, index_dtype)
    if _every_target_counts(xp, target, n_classes, ignore_index):
        return target, None, None
    valid = target != ignore_index
    in_range = (target >= 0) & (target < n_classes)
    unchecked = check_values(
        xp, in_range | ~valid, target,
        message=f"`target` class indices must be in [0, {n_classes - 1}] or equal "
        f"`ignore_index` ({ignore_index}); got values outside that range",
        error=IndexError,
    )
    return xp.where(valid & in_range, target, xp.zeros_like(target)), valid, unchecked


def _every_target_counts(xp: Any, target: Any, n_classes: int, ignore_index: int) -> bool:
    """Whether every (concrete) target is a class in [0, n_classes) and none is ignored."""
    if 0 <= ignore_index < n_classes or math.prod(target.shape) == 0 or not is_concrete(target):
        return False
    lo, hi = xp.min(target), xp.max(target)
    # under jax.jit a closed-over target is concrete but what is computed from it is a tracer
    return is_concrete(lo, hi) and 0 <= int(lo) and int(hi) < n_classes


def _reduce_counted(xp: Any, loss: Any, valid: Any, w_t: Any, weighted: bool, reduction: str) -> Any:
    """Reduce a per-target loss: ignored targets add 0, and ``"mean"`` divides by the summed
    weights of the counted targets (by their number when every target counts unweighted)."""
    if valid is not None:
        loss = xp.where(valid, loss, 0)
    return reduce(loss, reduction, xp=xp, denominator=w_t if weighted or valid is not None else None)


def _take(xp: Any, values: Any, index: Any) -> Any:
    """``values[index]`` for a 1-d ``values`` and an index array of any shape."""
    if math.prod(index.shape) == 0:  # an empty batch: Dask cannot reshape an empty chunked array
        return xp.zeros(tuple(index.shape), dtype=values.dtype, device=device(values))
    flat = xp.reshape(index, (-1,))
    return xp.reshape(xp.take(values, flat, axis=0), tuple(index.shape))


def _pick(xp: Any, x: Any, index: Any) -> Any:
    """``x[n, index[n, ...], ...]`` along the class axis 1."""
    if hasattr(xp, "take_along_axis"):
        return xp.squeeze(xp.take_along_axis(x, xp.expand_dims(index, axis=1), axis=1), axis=1)
    # Dask has no take_along_axis: select with a one-hot mask, which also works
    # when the class axis is split into chunks.
    return xp.sum(xp.where(_class_mask(xp, x, index), x, 0), axis=1)


def _class_mask(xp: Any, x: Any, index: Any) -> Any:
    """Boolean one-hot mask of ``index`` along the class axis 1 of ``x`` (``x``'s shape)."""
    classes = xp.arange(x.shape[1], dtype=index.dtype, device=device(x))
    classes = xp.reshape(classes, (1, -1) + (1,) * (x.ndim - 2))
    return xp.expand_dims(index, axis=1) == classes


def _class_axis_weight(xp: Any, weight: Any, ndim: int) -> Any:
    """Reshape a (C,) weight to broadcast along the class axis 1 of an ndim-d input."""
    return xp.reshape(weight, (1, -1) + (1,) * (ndim - 2))


def _check_class_call(xp, input, target, weight, ignore_index, reduction, probabilities):
    check_reduction(reduction)
    check_real_floating(xp, input, "input")
    check_real_floating(xp, weight, "weight")
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        msg = f"`ignore_index` must be an int; got {type(ignore_index).__name__} {ignore_index!r}"
        raise TypeError(msg)
    if not probabilities:
        check_integer(xp, target, "target")
    check_class_layout(input, target, probabilities=probabilities)
    check_class_weight(weight, input.shape[0] if input.ndim == 1 else input.shape[1])
    return check_nonnegative(xp, weight, "weight")  # for poison() when lazy


def _unbatch(out: Any, unbatched: bool, reduction: str) -> Any:
    return out[0] if unbatched and reduction == "none" else out


def nll_loss(
    input: Any,
    target: Any,
    /,
    *,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    detect_mistakes: bool | None = None,
) -> Any:
    r"""Negative log-likelihood of class indices under log-probabilities ``input``.

    .. math:: \ell_n = -w_{y_n}\, x_{n, y_n}, \qquad
              \text{mean} = \frac{\sum_n \ell_n}{\sum_{n:\,y_n \ne \text{ignore}} w_{y_n}}

    ``input`` has shape (N, C, d1, ..., dK) or (C,); ``target`` (N, d1, ..., dK) or ().
    Targets equal to ``ignore_index`` contribute 0 to the loss and to the divisor.
    As in torch, the mean over targets that are all ignored is 0/0 = NaN.

    With ``detect_mistakes`` (``None``: the global option, on by default) a positive
    value in ``input`` raises ``ValueError``: log-probabilities are <= 0, so probabilities
    or logits were passed. Skipped for lazy and traced arrays; never changes a result.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> log_probs = np.asarray([[-0.5, -1.2, -2.0, -3.0], [-1.0, -0.2, -3.0, -2.0], [-2.0, -1.0, -0.1, -3.0]])
    >>> round(float(pl.nll_loss(log_probs, np.asarray([3, 1, 2]))), 6)
    1.1
    """
    xp = namespace(input, target, weight)
    bad_weight = _check_class_call(xp, input, target, weight, ignore_index, reduction, probabilities=False)
    if resolve("detect_mistakes", detect_mistakes):
        check_log_probabilities(xp, input, "input", "nll_loss")
    dtype = input.dtype
    work = compute_dtype(xp, dtype)
    unbatched = input.ndim == 1
    x, w = _to(xp, input, work), _to(xp, weight, work)
    w = None if w is None else poison(xp, w, bad_weight)
    x, safe, valid, w_t = _class_targets(xp, x, target, w, ignore_index, work)
    fast = _fast.nll_loss(xp, x, safe, valid, w, ignore_index, reduction)
    if fast is not None:
        return finish(xp, _unbatch(fast, unbatched, reduction), dtype)
    out = _reduce_counted(xp, -(w_t * _pick(xp, x, safe)), valid, w_t, w is not None, reduction)
    return finish(xp, _unbatch(out, unbatched, reduction), dtype)


def cross_entropy(
    input: Any,
    target: Any,
    /,
    *,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    detect_mistakes: bool | None = None,
) -> Any:
    r"""Cross entropy between logits ``input`` and class indices or class probabilities.

    With class indices :math:`y_n` and label smoothing :math:`\varepsilon`:

    .. math::
        \ell_n = (1 - \varepsilon)\, w_{y_n} \bigl(\operatorname{LSE}(x_n) - x_{n,y_n}\bigr)
                 + \frac{\varepsilon}{C} \sum_c w_c \bigl(\operatorname{LSE}(x_n) - x_{n,c}\bigr)

    and ``"mean"`` divides by :math:`\sum_n w_{y_n}` over non-ignored targets
    (torch's convention; all ignored gives NaN). With probability targets
    :math:`q` (same shape as ``input``), :math:`q \leftarrow (1-\varepsilon) q + \varepsilon / C` and

    .. math:: \ell_n = \sum_c w_c\, q_{n,c} \bigl(\operatorname{LSE}(x_n) - x_{n,c}\bigr),

    where ``"mean"`` divides by the number of samples and ignores the weights, as torch
    does. A class with zero target probability contributes nothing, even at a
    ``-inf`` logit. :math:`\operatorname{LSE}(x) - x_c` is evaluated as
    :math:`(m - x_c) + \log(1 + \sum_{j \ne j^*} e^{x_j - m})`, so confident
    predictions keep full relative accuracy and no logit overflows.

    With ``detect_mistakes`` (``None``: the global option, on by default), an ``input``
    whose every row is in [0, 1] and sums to 1 gets a :class:`LikelyMistakeWarning`:
    softmax output passed where logits belong. Skipped for lazy and traced arrays;
    never changes a result.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> round(float(pl.cross_entropy(np.asarray([[2.0, 1.0, 0.1]]), np.asarray([0]))), 4)
    0.417
    """
    xp = namespace(input, target, weight)
    probabilities = xp.isdtype(target.dtype, "real floating")
    bad_weight = _check_class_call(xp, input, target, weight, ignore_index, reduction, probabilities)
    bad_target = check_probabilities(xp, target, "target") if probabilities else None
    eps = check_in_range(label_smoothing, "label_smoothing", 0.0, 1.0)
    if resolve("detect_mistakes", detect_mistakes):
        warn_if_probability_rows(xp, input, 0 if input.ndim == 1 else 1, "cross_entropy")
    dtype = input.dtype
    work = compute_dtype(xp, dtype)
    unbatched = input.ndim == 1
    x, w = _to(xp, input, work), _to(xp, weight, work)
    w = None if w is None else poison(xp, w, bad_weight)
    n_classes = x.shape[0] if unbatched else x.shape[1]

    if probabilities:
        q = poison(xp, _to(xp, target, work), bad_target)
        if unbatched:
            x, q = x[None, ...], q[None, ...]
        loss = _fast.cross_entropy_probabilities(xp, x, q, w, eps)
        if loss is not None:
            return finish(xp, _unbatch(reduce(loss, reduction, xp=xp), unbatched, reduction), dtype)
        m, tail = _lse_parts(xp, x, 1)
        nlp = (m - x) + tail  # -log softmax(x)
        if eps > 0:
            q = q * (1 - eps) + eps / n_classes
        if w is not None:
            q = q * _class_axis_weight(xp, w, x.ndim)
        # where(): a zero-probability class adds 0 even if its logit is -inf (0 * inf)
        loss = xp.sum(q * xp.where(q == 0, 0, nlp), axis=1)
        out = reduce(loss, reduction, xp=xp)
        return finish(xp, _unbatch(out, unbatched, reduction), dtype)

    x, safe, valid, w_t = _class_targets(xp, x, target, w, ignore_index, work)
    loss = _fast.cross_entropy_indices(xp, x, safe, w_t, w, eps)
    if loss is None:
        m, tail = _lse_parts(xp, x, 1)
        m, tail = xp.squeeze(m, axis=1), xp.squeeze(tail, axis=1)
        loss = w_t * ((m - _pick(xp, x, safe)) + tail)
        if eps > 0:
            nlp = (xp.expand_dims(m, axis=1) - x) + xp.expand_dims(tail, axis=1)
            if w is not None:
                nlp = nlp * _class_axis_weight(xp, w, x.ndim)
            loss = (1 - eps) * loss + (eps / n_classes) * xp.sum(nlp, axis=1)
    out = _reduce_counted(xp, loss, valid, w_t, w is not None, reduction)
    return finish(xp, _unbatch(out, unbatched, reduction), dtype)
