"""Generic kernels: the math of each heavy loss, written once against the array API.

Every kernel takes normalised inputs (batched, in the compute dtype, class targets in
range -- see ``polyloss._core._classes``) and returns the *unreduced* loss. Native
kernels (``_torch``, ``_numpy``, ``_jax``) have the same signatures and outputs; the
registry in ``polyloss._kernels`` chooses. Every function here takes ``xp`` last, as a
keyword, which the registry binds.
"""

from __future__ import annotations

from .._core._classes import class_axis_weight, pick
from .._core._special import lse_parts, softplus
from .._core._types import Array, Namespace

__all__ = [
    "cross_entropy_indices",
    "cross_entropy_probabilities",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy",
]


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
    log_p = xp.clip(xp.where(has_p, xp.log(xp.where(has_p, p, 1)), -100.0), min=-100.0)
    log_q = xp.clip(xp.where(has_q, xp.log1p(-xp.where(has_q, p, 0)), -100.0), min=-100.0)
    loss = -(y * log_p + (1 - y) * log_q)
    return loss if weight is None else loss * weight
