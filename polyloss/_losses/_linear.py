"""Linear cross entropy: the cross entropy of a linear layer's logits, never holding the logits."""

from __future__ import annotations

import math

from .._core._checks import Checks, check_in_range, check_integer, check_known_classes, check_real_floating
from .._core._classes import class_targets
from .._core._reduction import check_reduction, reduce_counted
from .._core._types import Array, Namespace
from .._core._xp import compute_dtype, device, finish, known, namespace, shapes_match, to
from .._kernels import call

__all__ = ["linear_cross_entropy"]


def linear_cross_entropy(
    input: Array,
    weight: Array,
    target: Array,
    /,
    *,
    bias: Array | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    value_checks: str | None = None,
) -> Array:
    r"""Cross entropy of the logits ``input @ weight.T + bias`` without forming them.

    For a language model's output layer: ``input`` holds the hidden states, ``weight``
    (and ``bias``) the layer, as in ``torch.nn.Linear``. The result equals
    ``cross_entropy(movedim(input @ weight.T + bias, -1, 1), target, ...)``
    with every option meaning what it means for :func:`cross_entropy` -- but the class
    axis of the logits is the **last** one (the natural layout of (batch, time, hidden)
    inputs), where :func:`cross_entropy` wants it on axis 1. With :math:`z_n = W h_n + b`:

    .. math::
        \ell_n = (1 - \varepsilon) \bigl(\operatorname{LSE}(z_n) - z_{n,y_n}\bigr)
                 + \frac{\varepsilon}{V} \sum_c \bigl(\operatorname{LSE}(z_n) - z_{n,c}\bigr)

    and ``"mean"`` divides by the number of targets that are not ``ignore_index`` (all
    ignored gives NaN, as in torch). The (tokens, V) logits are never held: rows are
    evaluated in blocks of a few MiB of logits, and on torch and JAX the gradients of
    ``input``, ``weight`` and ``bias`` are formed while each block is in cache. The
    accuracy is that of :func:`cross_entropy`: no logit overflows, a confident row keeps
    its tiny loss (4.25e-18, not 0), float16 and bfloat16 are computed in float32.

    Parameters
    ----------
    input : array (..., H)
        Hidden states, real floating.
    weight : array (V, H)
        The output layer's weight (V classes).
    target : integer array (...)
        Class indices in [0, V), or ``ignore_index``; the shape of ``input`` without its last axis.
    bias : array (V,) or None
        The output layer's bias.
    ignore_index : int
        Targets equal to it add 0 to the loss and to the divisor of ``"mean"``.
    reduction : {"none", "mean", "sum"}
        ``"none"`` returns shape (...); the others a 0-d array.
    label_smoothing : float in [0, 1]
    value_checks : {"auto", "raise", "defer", "off"} or None
        What the checks on values do in this call (``None``: the global option,
        ``"auto"`` by default; see :func:`options`): raise a clear error, give NaN where
        a value is invalid without reading any value on the host, or check nothing.

    Returns
    -------
    array
        Shape (...) for ``"none"``, () otherwise; the dtype of ``input``, ``weight`` and
        ``bias`` promoted together.

    Raises
    ------
    ValueError
        On shapes that do not fit together (named), an unknown reduction, a
        ``label_smoothing`` outside [0, 1].
    TypeError
        On a non-floating ``input``/``weight``/``bias``, a non-integer ``target``.
    IndexError
        On a class index outside [0, V) that is not ``ignore_index`` (checked for concrete
        arrays; lazy and traced ones give NaN there instead).

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> h = np.asarray([[1.0, 0.0], [0.0, 2.0]])
    >>> W = np.asarray([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> round(float(pl.linear_cross_entropy(h, W, np.asarray([2, 1]))), 4)
    0.8103
    """
    xp = namespace(input=input, weight=weight, target=target, bias=bias, optional=("bias",))
    V, dtype = _check_linear_call(xp, input, weight, target, bias, ignore_index, reduction)
    eps = check_in_range(label_smoothing, "label_smoothing", 0.0, 1.0)
    checks = Checks(xp, value_checks)
    lead = tuple(input.shape[:-1])
    n = math.prod(lead) if all(known(s) for s in lead) else None  # rows; None: unknown
    # (N, H) rows, the kernels' form; an unknown number of rows of more axes stays as it is
    # (Dask cannot flatten it), which the generic kernel also takes
    flat = n is not None or len(lead) == 1
    rows = _reshape(xp, target, (n,)) if flat else target
    # checked as given (an error names the position in `target`), or, with an unknown number
    # of rows, as rows: a deferred check then poisons exactly its row of the per-row loss
    every_counts = checks.class_indices(target if n is not None else rows, V, ignore_index)
    work = compute_dtype(xp, dtype)
    h = _reshape(xp, input, (n, input.shape[-1])) if flat else input
    h, w, b = (to(xp, a, work) for a in (h, weight, bias))
    t = class_targets(xp, rows, V, None, ignore_index, every_counts=every_counts, dtype=work)
    # each row's weight: None when every target counts (the kernels take 1), else 0 where ignored
    w_t = None if t.counted is None else t.weight
    reads = checks.reads(h, w, b, t.index)
    loss = checks.result(call("linear_cross_entropy", xp, h, w, b, t.index, w_t, eps, reads=reads))
    out = reduce_counted(xp, loss, t.counted, t.weight, False, reduction)
    if reduction == "none" and flat:
        out = _reshape(xp, out, lead)
    return finish(xp, out, dtype)


def _reshape(xp: Namespace, x: Array, shape: tuple[int | None, ...]) -> Array:
    """``reshape`` to ``shape``, also for an empty array (which Dask cannot reshape when it is
    chunked) and for one unknown entry (``None``: the rest of the elements); ``x`` itself
    when its shape may be ``shape`` already."""
    unknown = [i for i, s in enumerate(shape) if not known(s)]
    if not unknown:
        if math.prod(shape) == 0:
            # zeros of the shape, still on the autograd graph of x (the sum of nothing is 0)
            return xp.zeros(shape, dtype=x.dtype, device=device(x)) + xp.sum(x)
        return xp.reshape(x, shape)
    if x.ndim == len(shape) and shapes_match(tuple(x.shape), shape):
        return x
    if len(unknown) > 1:
        msg = f"cannot reshape an array of shape {tuple(x.shape)} to {shape}: more than one unknown size"
        raise ValueError(msg)
    return xp.reshape(x, tuple(-1 if i in unknown else s for i, s in enumerate(shape)))


def _check_linear_call(xp, input, weight, target, bias, ignore_index, reduction):
    """The static checks; returns (V, the result dtype)."""
    check_reduction(reduction)
    for arr, name in ((input, "input"), (weight, "weight"), (bias, "bias")):
        check_real_floating(xp, arr, name)
    check_integer(xp, target, "target")
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        msg = f"`ignore_index` must be an int; got {type(ignore_index).__name__} {ignore_index!r}"
        raise TypeError(msg)
    shape, wshape = tuple(input.shape), tuple(weight.shape)
    if len(shape) == 0:
        msg = "`input` must have a hidden axis: shape (..., H); got a 0-d array"
        raise ValueError(msg)
    if len(wshape) != 2 or not shapes_match(wshape[1:], shape[-1:]):
        msg = f"`weight` must have shape (V, H) with H = {shape[-1]} (the last axis of `input` {shape}); got {wshape}"
        raise ValueError(msg)
    V = wshape[0]
    check_known_classes(V, "weight", wshape)
    if bias is not None and not shapes_match(tuple(bias.shape), (V,)):
        msg = f"`bias` must have shape ({V},) (one per row of `weight` {wshape}); got {tuple(bias.shape)}"
        raise ValueError(msg)
    if not shapes_match(tuple(target.shape), shape[:-1]):
        msg = (
            f"`target` must have shape {shape[:-1]} (the shape of `input` {shape} without its "
            f"last axis); got {tuple(target.shape)}"
        )
        raise ValueError(msg)
    return V, xp.result_type(*(a for a in (input, weight, bias) if a is not None))
