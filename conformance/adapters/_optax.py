"""optax.losses behind the polyloss signatures (the ``optax`` adapter), on JAX arrays.

optax's losses are elementwise or per example; the adapter applies polyloss's
``reduction`` with the array's own ``sum`` / ``mean`` (:func:`._peers.reduce`).
Translation, function by function (optax 0.2.8 source read):

``binary_cross_entropy_with_logits(input, target)``
    ``sigmoid_binary_cross_entropy(input, target)`` (``-y log_sigmoid(z) - (1 - y) log_sigmoid(-z)``);
    no ``weight`` or ``pos_weight``.
``cross_entropy(input, target, ignore_index, label_smoothing)``
    class axis 1 (0 unbatched) passed as ``axis``.  Index targets:
    ``softmax_cross_entropy_with_integer_labels(input, t, axis)``, with ``where=t != ignore_index`` when
    a target is ignored (ignored targets replaced by 0 before the gather; optax returns 0 for rows
    ``where`` excludes), the mean divided by the number of targets kept.  With label smoothing the target is
    ``smooth_labels(one_hot(t), eps, axis)`` = ``(1 - eps) onehot + eps / C`` (polyloss's form) through
    ``softmax_cross_entropy(input, q, axis, where)``.  Probability targets: ``softmax_cross_entropy(input,
    smooth_labels(q, eps, axis), axis)``, the mean over positions.  No class ``weight``.
``mse_loss``      ``squared_error(input, target)`` (not ``l2_loss``, which is half of it).
``huber_loss``    ``huber_loss(input, target, delta=delta)``: ``0.5 min(|d|, delta)^2 + delta (|d| - min(|d|, delta))``,
                  which is torch's ``0.5 d^2`` / ``delta (|d| - delta / 2)``.
``kl_div(input, target, log_target)``
    ``kl_divergence(input, target)`` or ``kl_divergence_with_log_targets`` on ``x[..., None]``, so that
    their sum over the last axis is over one element and the result is elementwise; then
    ``reduction`` (``batchmean``: the sum over ``input.shape[0]``).
``sigmoid_focal_loss(input, target, alpha, gamma)``
    ``sigmoid_focal_loss(input, target, alpha=alpha, gamma=gamma)``; polyloss's ``alpha < 0`` (no
    class balancing) is optax's ``alpha=None``.
``triplet_margin_loss(anchor, positive, negative, margin, p, eps)``
    ``triplet_margin_loss(anchor, positive, negative, norm_degree=p, margin=margin, eps=eps)`` only
    for ``eps = 0``: optax adds ``eps`` to the sum of the powered differences, torch and polyloss to
    each component of the difference, so other ``eps`` are declined.  No ``swap``.
``dice_loss`` / ``jaccard_loss`` / ``tversky_loss``
    ``dice_loss(p, t, apply_softmax=False, reduction="none", alpha, beta, smooth)`` with the class axis
    moved last (index targets one-hot), which gives the (N, C) losses
    ``1 - (TP + s) / (TP + alpha (P - TP) + beta (T - TP) + s)``; then ``reduction``.
    Dice: ``alpha = beta = 1/2`` and ``s = smooth / 2`` (polyloss's ``(2 TP + smooth) / (P + T + smooth)``);
    Jaccard: ``alpha = beta = 1``, ``s = smooth``; Tversky: ``alpha``, ``beta``, ``smooth`` as given,
    ``gamma = 1`` only.  optax rejects predictions that do not sum to 1 over the classes (a ValueError,
    declined with its message).
"""

from __future__ import annotations

from .._runner import Unsupported
from ._peers import class_axis, reduce

__all__ = ["functions"]


def binary_cross_entropy_with_logits(input, target, *, reduction="mean"):
    import optax

    return reduce(optax.losses.sigmoid_binary_cross_entropy(input, target), reduction)


def cross_entropy(input, target, *, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    import jax
    import jax.numpy as jnp
    import optax

    L = optax.losses
    axis = class_axis(input)
    if not jnp.issubdtype(target.dtype, jnp.integer):
        q = L.smooth_labels(target, label_smoothing, axis=axis) if label_smoothing else target
        return reduce(L.softmax_cross_entropy(input, q, axis=axis), reduction)
    keep = target != ignore_index
    where = None if bool(keep.all()) else keep
    t = jnp.where(keep, target, 0)
    if label_smoothing:
        onehot = jax.nn.one_hot(t, input.shape[axis], axis=axis, dtype=input.dtype)
        loss = L.softmax_cross_entropy(input, L.smooth_labels(onehot, label_smoothing, axis=axis), axis=axis,
                                         where=where)
    else:
        loss = L.softmax_cross_entropy_with_integer_labels(input, t, axis=axis, where=where)
    return reduce(loss, reduction, keep.sum().astype(loss.dtype))


def mse_loss(input, target, *, reduction="mean"):
    import optax

    return reduce(optax.losses.squared_error(input, target), reduction)


def huber_loss(input, target, *, reduction="mean", delta=1.0):
    import optax

    return reduce(optax.losses.huber_loss(input, target, delta=delta), reduction)


def kl_div(input, target, *, reduction="mean", log_target=False):
    import optax

    f = optax.losses.kl_divergence_with_log_targets if log_target else optax.losses.kl_divergence
    loss = f(input[..., None], target[..., None], axis=-1)
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return reduce(loss, reduction)


def sigmoid_focal_loss(input, target, *, alpha=0.25, gamma=2.0, reduction="mean"):
    import optax

    loss = optax.losses.sigmoid_focal_loss(input, target, alpha=None if alpha < 0 else alpha, gamma=gamma)
    return reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, *, margin=1.0, p=2.0, eps=1e-6, reduction="mean"):
    import optax

    if eps != 0:
        msg = (f"eps={eps}: optax adds eps to the sum of the powered differences, polyloss (torch) to each "
               "component of the difference; only eps = 0 means the same")
        raise Unsupported(msg)
    loss = optax.losses.triplet_margin_loss(anchor, positive, negative, norm_degree=p, margin=margin, eps=eps)
    return reduce(loss, reduction)


def _overlap(input, target, reduction, *, alpha, beta, smooth):
    import jax
    import jax.numpy as jnp
    import optax

    p = jnp.moveaxis(input, 1, -1)
    if jnp.issubdtype(target.dtype, jnp.integer):
        t = jax.nn.one_hot(target, input.shape[1], dtype=input.dtype)
    else:
        t = jnp.moveaxis(target, 1, -1)
    try:
        loss = optax.losses.dice_loss(p, t, apply_softmax=False, reduction="none", alpha=alpha, beta=beta,
                                      smooth=smooth)
    except ValueError as exc:  # the check that predictions sum to 1 over the classes
        raise Unsupported(f"optax.losses.dice_loss refuses the input: {exc}") from exc
    return reduce(loss, reduction)


def dice_loss(input, target, *, smooth=1.0, reduction="mean"):
    return _overlap(input, target, reduction, alpha=0.5, beta=0.5, smooth=smooth / 2)


def jaccard_loss(input, target, *, smooth=1.0, reduction="mean"):
    return _overlap(input, target, reduction, alpha=1.0, beta=1.0, smooth=smooth)


def tversky_loss(input, target, *, alpha=0.5, beta=0.5, gamma=1.0, smooth=1.0, reduction="mean"):
    if gamma != 1:
        msg = f"gamma={gamma}: optax's Tversky (dice_loss with alpha, beta) has no focal exponent"
        raise Unsupported(msg)
    return _overlap(input, target, reduction, alpha=alpha, beta=beta, smooth=smooth)


def functions() -> dict:
    return {f.__name__: f for f in (binary_cross_entropy_with_logits, cross_entropy, mse_loss, huber_loss, kl_div,
                                    sigmoid_focal_loss, triplet_margin_loss, dice_loss, jaccard_loss, tversky_loss)}
