"""Generic kernels: the math of each heavy loss, written once against the array API.

Every kernel takes normalised inputs (batched, in the compute dtype, class targets in
range -- see ``polyloss._core._classes``) and returns the *unreduced* loss. Native
kernels (``_torch``, ``_numpy``, ``_jax``) have the same signatures and outputs; the
registry in ``polyloss._kernels`` chooses. Every function here takes ``xp`` last, as a
keyword, which the registry binds.
"""

from __future__ import annotations

import math

from .._core._classes import class_axis_weight, pick
from .._core._xp import device, known
from .._core._special import at_least, lse_parts, softplus
from .._core._types import Array, Namespace
from ._blocked import row_slices

__all__ = [
    "cross_entropy_indices",
    "cross_entropy_probabilities",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy",
    "linear_cross_entropy",
]

#: Logits per block of the generic linear cross entropy (4 MiB of float32): the block and
#: the few temporaries of the generic formula stay within a few times that.
LINEAR_BLOCK_ELEMENTS = 1 << 20


def cross_entropy_indices(x: Array, target: Array, w_t: Array, weight: Array | None, eps: float, *, xp: Namespace) -> Array:
    r"""Per-position cross entropy with class-index targets, before masking and reduction.

    ``x`` (N, C, d1, ...); ``target`` (N, d1, ...) every value a class; ``w_t`` (N, d1, ...)
    the weight of each position's target; ``weight`` the (C,) class weights or ``None``.

    .. math:: \ell = (1 - \varepsilon)\, w_t (\mathrm{LSE} - x_t)
                     + \frac{\varepsilon}{C} \sum_c w_c (\mathrm{LSE} - x_c)
    """
    m, tail = lse_parts(xp, x, 1)  # LSE = m + tail; LSE - x_t keeps its digits when tiny
    loss = w_t * ((xp.squeeze(m, axis=1) - pick(xp, x, target)) + xp.squeeze(tail, axis=1))
    if eps == 0:
        return loss
    nlp = (m - x) + tail  # -log softmax(x): every term >= 0
    if weight is not None:
        nlp = nlp * class_axis_weight(xp, weight, x.ndim)
    return (1 - eps) * loss + (eps / x.shape[1]) * xp.sum(nlp, axis=1)


def cross_entropy_probabilities(x: Array, q: Array, weight: Array | None, eps: float, *, xp: Namespace) -> Array:
    r"""Per-position cross entropy with class-probability targets ``q`` (``x``'s shape).

    .. math:: \ell = \sum_c w_c q'_c (\mathrm{LSE} - x_c), \qquad q' = (1 - \varepsilon) q + \varepsilon / C
    """
    m, tail = lse_parts(xp, x, 1)
    if eps > 0:
        q = q * (1 - eps) + eps / x.shape[1]
    if weight is not None:
        q = q * class_axis_weight(xp, weight, x.ndim)
    # where(): a zero-probability class adds 0 even if its logit is -inf (0 * inf)
    return xp.sum(q * xp.where(q == 0, 0, (m - x) + tail), axis=1)


def binary_cross_entropy_with_logits(
    z: Array, y: Array, weight: Array | None, pos_weight: Array | None, *, xp: Namespace
) -> Array:
    r"""Elementwise :math:`w [p\, y \operatorname{softplus}(-z) + (1 - y) \operatorname{softplus}(z)]`.

    Both terms are non-negative: no cancellation, so tiny losses keep their digits.
    """
    positive = y * softplus(xp, -z)  # -log sigmoid(z)
    if pos_weight is not None:
        positive = positive * pos_weight
    loss = positive + (1 - y) * softplus(xp, z)  # -log(1 - sigmoid(z))
    return loss if weight is None else loss * weight


def binary_cross_entropy(p: Array, y: Array, weight: Array | None, *, xp: Namespace) -> Array:
    r"""Elementwise :math:`-w [y \max(\log p, -100) + (1 - y) \max(\log(1 - p), -100)]` (torch's clamp)."""
    # the clamp of each log at -100, without evaluating log(0) (NumPy would warn):
    # log p at p = 0 and log(1 - p) = log1p(-p) (exact for small p) at p = 1 are -100.
    has_p, has_q = p > 0, p < 1
    log_p = at_least(xp, xp.where(has_p, xp.log(xp.where(has_p, p, 1)), -100.0), -100.0)
    log_q = at_least(xp, xp.where(has_q, xp.log1p(-xp.where(has_q, p, 0)), -100.0), -100.0)
    loss = -(y * log_p + (1 - y) * log_q)
    return loss if weight is None else loss * weight


def linear_cross_entropy(
    input: Array, weight: Array, bias: Array | None, target: Array, w_t: Array | None, eps: float, *, xp: Namespace
) -> Array:
    r"""Per-row cross entropy of the logits ``z = input @ weight.T + bias``, never holding them.

    ``input`` (N, H), ``weight`` (V, H), ``bias`` (V,) or ``None``; ``target`` (N,) class
    indices in [0, V); ``w_t`` (N,) each row's weight (0 for an ignored target) or
    ``None`` (all 1); ``eps`` the label smoothing. Returns the unreduced (N,) loss

    .. math:: w_t \bigl((1 - \varepsilon)(\mathrm{LSE}(z) - z_t)
              + \frac{\varepsilon}{V} \sum_c (\mathrm{LSE}(z) - z_c)\bigr)

    The rows are walked in blocks of at most :data:`LINEAR_LINEAR_BLOCK_ELEMENTS` logits; each
    block's logits are formed, reduced to its rows' losses with :func:`lse_parts` (stable
    for huge logits; a confident row keeps its tiny loss) and dropped. Differentiated by
    the namespace's autograd (which keeps every block for the backward); the native
    kernels have their own backward.

    Rows of more axes, ``input`` (N, ..., H) with ``target`` and ``w_t`` (N, ...), are taken
    too, and give the (N, ...) loss: the public function passes them where their number is
    unknown (Dask cannot flatten an array of unknown chunk sizes); the native kernels, which
    only ever see known sizes, take (N, H).
    """
    N, V = input.shape[0], weight.shape[0]
    inner = input.shape[1:-1]  # the further axes of rows of more axes
    per_row = V * math.prod(inner) if all(known(s) for s in inner) else None
    weight_t = xp.permute_dims(weight, (1, 0))
    parts = []
    for rows in row_slices(N if per_row is not None else None, per_row or 1, LINEAR_BLOCK_ELEMENTS):
        z = xp.matmul(input[rows, ...], weight_t)
        if bias is not None:
            z = z + bias
        if z.ndim > 2:  # the class axis 1, where lse_parts and pick take it
            z = xp.permute_dims(z, (0, z.ndim - 1, *range(1, z.ndim - 1)))
        m, tail = lse_parts(xp, z, 1)
        loss = (xp.squeeze(m, axis=1) - pick(xp, z, target[rows, ...])) + xp.squeeze(tail, axis=1)
        if eps > 0:
            # sum_c (LSE - z_c): every term >= 0, no cancellation
            loss = (1 - eps) * loss + (eps / V) * xp.sum((m - z) + tail, axis=1)
        if w_t is not None:
            loss = w_t[rows, ...] * loss
        parts.append(loss)
    if not parts:  # no rows
        return xp.zeros((0,), dtype=input.dtype, device=device(input))
    return parts[0] if len(parts) == 1 else xp.concat(parts, axis=0)
