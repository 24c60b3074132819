"""Classification losses: binary cross entropy (on probabilities and on logits), NLL, cross entropy.

Each public function reads: parse arguments -> static checks -> value checks
(:class:`~polyloss._core._checks.Checks`) -> kernel (:func:`polyloss._kernels.select`)
-> the one reduction -> finish (cast back to the caller's dtype).
"""

from __future__ import annotations

from .._core._checks import (
    Checks,
    check_broadcastable,
    check_class_layout,
    check_class_weight,
    check_in_range,
    check_integer,
    check_log_probabilities,
    check_real_floating,
    check_same_shape,
    warn_if_probability_rows,
)
from .._core._classes import class_targets, n_classes, pick, unbatch
from .._core._config import resolve
from .._core._reduction import check_reduction, reduce, reduce_counted
from .._core._types import Array
from .._core._xp import compute_dtype, finish, namespace, to
from .._kernels import call, express, select

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "nll_loss",
    "cross_entropy",
]


# -- binary ---------------------------------------------------------------------------


def binary_cross_entropy(
    input: Array,
    target: Array,
    /,
    *,
    weight: Array | None = None,
    reduction: str = "mean",
    detect_mistakes: bool | None = None,
    value_checks: str | None = None,
) -> Array:
    r"""Binary cross entropy between probabilities ``input`` and targets ``target``.

    .. math::
        \ell_i = -w_i\,\bigl[y_i \max(\log p_i, -100) + (1 - y_i)\max(\log(1 - p_i), -100)\bigr]

    Each log term is clamped at -100, as torch documents, so a probability of exactly
    0 or 1 gives a finite loss. ``log(1 - p)`` is evaluated as ``log1p(-p)``.
    ``weight`` broadcasts against ``input``; ``"mean"`` divides by the number of
    elements (not by the weights), as in torch.

    Parameters
    ----------
    input : Array
        Probabilities in [0, 1], any shape, e.g. (N,) or (N, C, d1, ..., dK); a real
        floating dtype.
    target : Array
        The shape of ``input``; values in [0, 1] (0/1 labels or soft targets); a real
        floating dtype (cast to ``input``'s).
    weight : Array or None
        Per-element weights, any shape that broadcasts to ``input``'s without changing
        it (e.g. (C,) or (N, 1)); non-negative. ``None``: every element weighs 1.
    reduction : {"none", "mean", "sum"}
        ``"none"``: the elementwise loss; ``"mean"``: its sum divided by the number of
        elements; ``"sum"``: its sum.
    detect_mistakes : bool or None
        Check that ``input`` is in [0, 1] (``None``: the global option, on by default).
        Off, or for lazy and traced arrays, no value is inspected (no device sync) and an
        element outside [0, 1] gives NaN instead of an error: never a silent number.

    value_checks : {"auto", "raise", "defer", "off"} or None
        What the checks on values do in this call (``None``: the global option,
        ``"auto"`` by default; see :func:`options`): raise a clear error, give NaN where
        a value is invalid without reading any value on the host, or check nothing.

    Returns
    -------
    Array
        0-d for ``"mean"`` and ``"sum"``; the shape of ``input`` for ``"none"``. In
        ``input``'s dtype (float16 and bfloat16 are computed in float32).

    Raises
    ------
    ValueError
        If ``input`` has values outside [0, 1] (likely logits: use
        binary_cross_entropy_with_logits), checked only for concrete arrays; if
        ``target`` is outside [0, 1] or ``weight`` is negative (concrete arrays; lazy and
        traced ones give NaN instead); for shapes that differ or do not broadcast, or an
        unknown ``reduction``.
    TypeError
        If an argument is not a real floating array (arrays must come from one library),
        or ``detect_mistakes`` is not a bool or None.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> round(float(pl.binary_cross_entropy(np.asarray([0.75]), np.asarray([1.0]))), 4)
    0.2877
    """
    xp = namespace(input=input, target=target, weight=weight, optional=("weight",))
    check_reduction(reduction)
    for arr, name in ((input, "input"), (target, "target"), (weight, "weight")):
        check_real_floating(xp, arr, name)
    check_same_shape(input, target, ("input", "target"))
    check_broadcastable(weight, tuple(input.shape), "weight")
    checks = Checks(xp, value_checks)
    # detect_mistakes off: the input's values are not read (no sync); outside [0, 1] gives NaN
    read_input = resolve("detect_mistakes", detect_mistakes) and not checks.deferred(input)
    checks.require(
        (input >= 0) & (input <= 1), input, values=input, defer=not read_input,
        message="`input` of binary_cross_entropy must be probabilities in [0, 1]; got {got}. Likely "
        "mistake: logits were passed (no sigmoid applied). Fix: pass the logits to "
        "binary_cross_entropy_with_logits, which is also more accurate",
    )
    target = checks.probabilities(target, "target")  # a 0/255 mask is a classic mistake
    weight = checks.nonnegative(weight, "weight")
    dtype = input.dtype
    work = compute_dtype(xp, dtype)
    p, y, w = (to(xp, a, work) for a in (input, target, weight))
    # torch's kernel raises on values outside [0, 1] (a device assert on CUDA): checked input only
    kernel = select("binary_cross_entropy", xp, p, y, w, reads=checks.reads(p, y, w), checked=read_input)
    return finish(xp, reduce(checks.result(kernel(p, y, w)), reduction, xp=xp), dtype)


def binary_cross_entropy_with_logits(
    input: Array,
    target: Array,
    /,
    *,
    weight: Array | None = None,
    pos_weight: Array | None = None,
    reduction: str = "mean",
    value_checks: str | None = None,
) -> Array:
    r"""Binary cross entropy on logits: sigmoid and BCE fused without cancellation.

    .. math::
        \ell_i = w_i\,\bigl[\,p\,y_i \operatorname{softplus}(-z_i)
                 + (1 - y_i)\operatorname{softplus}(z_i)\bigr],
        \qquad \operatorname{softplus}(t) = \max(t, 0) + \log(1 + e^{-|t|})

    with ``p = pos_weight`` (broadcast along the last axis). This is torch's
    ``(1 - y) z + (1 + (p - 1) y) softplus(-z)`` rearranged so that both terms are
    non-negative: no cancellation, so tiny losses keep their relative accuracy
    (``z = -88.8, y = 0`` gives 2.72e-39, where the textbook form gives 0).

    Parameters
    ----------
    input : Array
        Logits, any shape, e.g. (N,) or (N, C) for C independent binary labels; a real
        floating dtype.
    target : Array
        The shape of ``input``; values in [0, 1] (0/1 labels or soft targets); a real
        floating dtype (cast to ``input``'s).
    weight : Array or None
        Per-element weights, any shape that broadcasts to ``input``'s without changing
        it; non-negative. ``None``: every element weighs 1.
    pos_weight : Array or None
        Weight :math:`p` of the positive term, non-negative; any shape that broadcasts to
        ``input``'s, typically (C,), one per class along the last axis (torch's
        convention). ``None``: 1 (plain BCE).
    reduction : {"none", "mean", "sum"}
        ``"none"``: the elementwise loss; ``"mean"``: its sum divided by the number of
        elements (not by the weights); ``"sum"``: its sum.

    value_checks : {"auto", "raise", "defer", "off"} or None
        What the checks on values do in this call (``None``: the global option,
        ``"auto"`` by default; see :func:`options`): raise a clear error, give NaN where
        a value is invalid without reading any value on the host, or check nothing.

    Returns
    -------
    Array
        0-d for ``"mean"`` and ``"sum"``; the shape of ``input`` for ``"none"``. In
        ``input``'s dtype (float16 and bfloat16 are computed in float32).

    Raises
    ------
    ValueError
        If ``target`` is outside [0, 1] or ``weight`` or ``pos_weight`` is negative
        (concrete arrays; lazy and traced ones give NaN instead); for shapes that differ
        or do not broadcast, or an unknown ``reduction``.
    TypeError
        If an argument is not a real floating array (arrays must come from one library).

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> z, y = np.asarray([1.8, -0.75]), np.asarray([1.0, 0.0])
    >>> round(float(pl.binary_cross_entropy_with_logits(z, y)), 4)
    0.2699
    """
    lane = express("binary_cross_entropy_with_logits", input)
    if lane is not None:  # the commonest small calls, whole (see _kernels/_torch_express.py)
        out = lane(input, target, weight, pos_weight, reduction, value_checks)
        if out is not None:
            return out
    xp = namespace(input=input, target=target, weight=weight, pos_weight=pos_weight, optional=("weight", "pos_weight"))
    check_reduction(reduction)
    for arr, name in ((input, "input"), (target, "target"), (weight, "weight"), (pos_weight, "pos_weight")):
        check_real_floating(xp, arr, name)
    check_same_shape(input, target, ("input", "target"))
    check_broadcastable(weight, tuple(input.shape), "weight")
    check_broadcastable(pos_weight, tuple(input.shape), "pos_weight")
    checks = Checks(xp, value_checks)
    target = checks.probabilities(target, "target")  # a 0/255 mask is a classic mistake
    weight = checks.nonnegative(weight, "weight")
    pos_weight = checks.nonnegative(pos_weight, "pos_weight")
    dtype = input.dtype
    work = compute_dtype(xp, dtype)
    z, y, w, pw = (to(xp, a, work) for a in (input, target, weight, pos_weight))
    kernel = select("binary_cross_entropy_with_logits", xp, z, y, w, pw, reads=checks.reads(z, y, w, pw))
    if kernel.reduces:  # torch's blockwise kernel sums as it goes: no full-size temporary
        return finish(xp, kernel(z, y, w, pw, reduction), dtype)
    return finish(xp, reduce(kernel(z, y, w, pw), reduction, xp=xp), dtype)


# -- multi-class ----------------------------------------------------------------------


def _check_class_call(xp, input, target, weight, ignore_index, reduction, probabilities):
    """The static checks shared by the class-axis losses (nll_loss, cross_entropy, focal)."""
    check_reduction(reduction)
    if xp.isdtype(input.dtype, "integral") and xp.isdtype(target.dtype, "real floating"):
        msg = (
            "`input` must be a real floating-point array of scores and `target` the class indices "
            f"(or probabilities); got an integer `input` ({input.dtype}) and a floating `target` "
            f"({target.dtype}): did you swap input and target?"
        )
        raise TypeError(msg)
    check_real_floating(xp, input, "input")
    check_real_floating(xp, weight, "weight")
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        msg = f"`ignore_index` must be an int; got {type(ignore_index).__name__} {ignore_index!r}"
        raise TypeError(msg)
    if not probabilities:
        check_integer(xp, target, "target")
    check_class_layout(input, target, probabilities=probabilities)
    check_class_weight(weight, n_classes(input))


def _class_index_inputs(checks: Checks, input: Array, target: Array, weight: Array | None, ignore_index: int):
    """The value checks and normalisation shared by the class-index losses.

    Returns ``(x, w, t, dtype)``: ``input`` batched in the compute dtype, the checked class
    weights in it, the normalised targets (:class:`~polyloss._core._classes.ClassTargets`)
    and the caller's dtype.
    """
    xp = checks.xp
    weight = checks.nonnegative(weight, "weight")
    every_counts = checks.class_indices(target, n_classes(input), ignore_index)
    dtype = input.dtype
    work = compute_dtype(xp, dtype)
    x, w = to(xp, input, work), to(xp, weight, work)
    t = class_targets(xp, target, n_classes(input), w, ignore_index, every_counts=every_counts, dtype=work)
    return (x[None, ...] if x.ndim == 1 else x), w, t, dtype


def nll_loss(
    input: Array,
    target: Array,
    /,
    *,
    weight: Array | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    detect_mistakes: bool | None = None,
    value_checks: str | None = None,
) -> Array:
    r"""Negative log-likelihood of class indices under log-probabilities ``input``.

    .. math:: \ell_n = -w_{y_n}\, x_{n, y_n}, \qquad
              \text{mean} = \frac{\sum_n \ell_n}{\sum_{n:\,y_n \ne \text{ignore}} w_{y_n}}

    ``input`` has shape (N, C, d1, ..., dK) or (C,); ``target`` (N, d1, ..., dK) or ().
    Targets equal to ``ignore_index`` contribute 0 to the loss and to the divisor.
    As in torch, the mean over targets that are all ignored is 0/0 = NaN.

    With ``detect_mistakes`` (``None``: the global option, on by default) a positive
    value in ``input`` raises ``ValueError``: log-probabilities are <= 0, so probabilities
    or logits were passed. Skipped for lazy and traced arrays; never changes a result.

    Parameters
    ----------
    input : Array
        Log-probabilities (values <= 0, e.g. the output of :func:`log_softmax` along
        axis 1), shape (N, C, d1, ..., dK) with the class axis 1 (K = 0 for the usual
        (N, C)), or (C,) for one sample; a real floating dtype.
    target : Array
        Class indices in [0, C - 1] (or ``ignore_index``), shape (N, d1, ..., dK) --
        ``input``'s without the class axis -- or () for an unbatched (C,) ``input``; any
        integer dtype.
    weight : Array or None
        Class weights, shape (C,), non-negative, in a real floating dtype. ``None``:
        every class weighs 1.
    ignore_index : int
        A target value that contributes nothing, neither to the loss nor to the divisor
        of ``"mean"``; it may lie in [0, C - 1].
    reduction : {"none", "mean", "sum"}
        ``"none"``: the per-position loss; ``"mean"``: the weighted mean above;
        ``"sum"``: the sum.
    detect_mistakes : bool or None
        Check that ``input`` has no positive value (``None``: the global option, on by
        default).

    value_checks : {"auto", "raise", "defer", "off"} or None
        What the checks on values do in this call (``None``: the global option,
        ``"auto"`` by default; see :func:`options`): raise a clear error, give NaN where
        a value is invalid without reading any value on the host, or check nothing.

    Returns
    -------
    Array
        0-d for ``"mean"`` and ``"sum"``; shape (N, d1, ..., dK) (``target``'s, 0-d for
        an unbatched input) for ``"none"``, with 0 at ignored positions. In ``input``'s
        dtype (float16 and bfloat16 are computed in float32).

    Raises
    ------
    IndexError
        If a target is outside [0, C - 1] and not ``ignore_index`` (concrete arrays; lazy
        and traced ones give NaN at that position instead).
    ValueError
        If ``input`` has a positive value (with ``detect_mistakes``), ``weight`` is
        negative (concrete arrays), shapes do not match the layout above, or
        ``reduction`` is unknown.
    TypeError
        If ``input`` or ``weight`` is not real floating, ``target`` is not integer,
        ``ignore_index`` is not an int, or ``detect_mistakes`` is not a bool or None.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> log_probs = np.asarray([[-0.5, -1.2, -2.0, -3.0], [-1.0, -0.2, -3.0, -2.0], [-2.0, -1.0, -0.1, -3.0]])
    >>> round(float(pl.nll_loss(log_probs, np.asarray([3, 1, 2]))), 6)
    1.1
    """
    xp = namespace(input=input, target=target, weight=weight, optional=("weight",))
    _check_class_call(xp, input, target, weight, ignore_index, reduction, probabilities=False)
    checks = Checks(xp, value_checks)
    if resolve("detect_mistakes", detect_mistakes):
        check_log_probabilities(checks, input, "input", "nll_loss")
    x, w, t, dtype = _class_index_inputs(checks, input, target, weight, ignore_index)
    loss = checks.result(-(t.weight * pick(xp, x, t.index)))
    out = reduce_counted(xp, loss, t.counted, t.weight, w is not None, reduction)
    return finish(xp, unbatch(out, input.ndim == 1, reduction), dtype)


def cross_entropy(
    input: Array,
    target: Array,
    /,
    *,
    weight: Array | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    detect_mistakes: bool | None = None,
    value_checks: str | None = None,
) -> Array:
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

    Parameters
    ----------
    input : Array
        Logits, shape (N, C, d1, ..., dK) with the class axis 1 (K = 0 for the usual
        (N, C); (N, C, H, W) for per-pixel classes), or (C,) for one sample; a real
        floating dtype.
    target : Array
        Either class indices in [0, C - 1] (or ``ignore_index``), shape
        (N, d1, ..., dK) -- ``input``'s without the class axis -- or () for an unbatched
        ``input``, any integer dtype; or class probabilities, the shape of ``input``,
        values in [0, 1], a real floating dtype (cast to ``input``'s). The dtype decides
        which.
    weight : Array or None
        Class weights :math:`w_c`, shape (C,), non-negative, in a real floating dtype.
        ``None``: every class weighs 1.
    ignore_index : int
        With class indices, a target value that contributes nothing, neither to the
        loss nor to the divisor of ``"mean"``. Unused with probability targets.
    reduction : {"none", "mean", "sum"}
        ``"none"``: the per-position loss; ``"mean"``: the mean described above;
        ``"sum"``: the sum.
    label_smoothing : float
        :math:`\varepsilon` in [0, 1]; 0 (default) is no smoothing.
    detect_mistakes : bool or None
        Warn when ``input`` looks like probabilities (``None``: the global option, on by
        default).

    value_checks : {"auto", "raise", "defer", "off"} or None
        What the checks on values do in this call (``None``: the global option,
        ``"auto"`` by default; see :func:`options`): raise a clear error, give NaN where
        a value is invalid without reading any value on the host, or check nothing.

    Returns
    -------
    Array
        0-d for ``"mean"`` and ``"sum"``; shape (N, d1, ..., dK) (0-d for an unbatched
        input) for ``"none"``, with 0 at ignored positions. In ``input``'s dtype
        (float16 and bfloat16 are computed in float32).

    Raises
    ------
    IndexError
        If a class index is outside [0, C - 1] and not ``ignore_index`` (concrete
        arrays; lazy and traced ones give NaN at that position instead).
    ValueError
        If probability targets are outside [0, 1] or ``weight`` is negative (concrete
        arrays; lazy and traced ones give NaN instead), shapes do not match the layout
        above, ``label_smoothing`` is outside [0, 1], or ``reduction`` is unknown.
    TypeError
        If ``input`` or ``weight`` is not real floating, ``target`` is neither integer
        nor real floating, ``ignore_index`` is not an int, ``label_smoothing`` is not a
        real number, or ``detect_mistakes`` is not a bool or None.

    Warns
    -----
    LikelyMistakeWarning
        With ``detect_mistakes``, when every row of ``input`` along the class axis is in
        [0, 1] and sums to 1.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> round(float(pl.cross_entropy(np.asarray([[2.0, 1.0, 0.1]]), np.asarray([0]))), 4)
    0.417
    """
    lane = express("cross_entropy", input)
    if lane is not None:  # the commonest small calls, whole (see _kernels/_torch_express.py)
        out = lane(input, target, weight, ignore_index, reduction, label_smoothing, detect_mistakes, value_checks)
        if out is not None:
            return out
    xp = namespace(input=input, target=target, weight=weight, optional=("weight",))
    probabilities = xp.isdtype(target.dtype, "real floating")
    _check_class_call(xp, input, target, weight, ignore_index, reduction, probabilities)
    eps = check_in_range(label_smoothing, "label_smoothing", 0.0, 1.0)
    checks = Checks(xp, value_checks)
    if resolve("detect_mistakes", detect_mistakes):
        warn_if_probability_rows(checks, input, 0 if input.ndim == 1 else 1, "cross_entropy")
    if probabilities:
        weight = checks.nonnegative(weight, "weight")
        target = checks.probabilities(target, "target")
        dtype = input.dtype
        work = compute_dtype(xp, dtype)
        x, q, w = to(xp, input, work), to(xp, target, work), to(xp, weight, work)
        if x.ndim == 1:
            x, q = x[None, ...], q[None, ...]
        loss = call("cross_entropy_probabilities", xp, x, q, w, eps, reads=checks.reads(x, q, w))
        out = reduce(loss, reduction, xp=xp)  # the mean divides by the number of samples, as torch
    else:
        x, w, t, dtype = _class_index_inputs(checks, input, target, weight, ignore_index)
        loss = call("cross_entropy_indices", xp, x, t.index, t.weight, w, eps, reads=checks.reads(x, t.index, w))
        out = reduce_counted(xp, checks.result(loss), t.counted, t.weight, w is not None, reduction)
    return finish(xp, unbatch(out, input.ndim == 1, reduction), dtype)
