"""Keras 3 behind the polyloss signatures (the ``keras`` adapter), on its JAX or PyTorch backend.

Keras picks its backend once, when it is first imported: ``keras:jax`` and
``keras:torch`` set ``KERAS_BACKEND`` for that import; plain ``keras`` takes
``$KERAS_BACKEND``, else jax, else torch (whichever imports).  A Keras already
imported on another backend declines every case.  TensorFlow is not an array
backend of the runner.

Keras losses average over the last axis (``mean(..., axis=-1)``); the adapter
calls them on ``x[..., None]`` so that this mean is over one element and the
result elementwise, then applies polyloss's ``reduction``.  Keras's
``epsilon()`` is 1e-7.  Translation, function by function (Keras 3.15 source
read, ``keras/src/losses/losses.py`` and ``keras/src/backend/*/nn.py``):

``sigmoid``, ``log_sigmoid``, ``softmax(axis)``, ``log_softmax(axis)``, ``logsumexp(axis, keepdims)``
    ``keras.ops`` of the same names and arguments.
``binary_cross_entropy(input, target)``
    ``losses.binary_crossentropy(target, input)``: ``input`` clipped to ``[1e-7, 1 - 1e-7]`` (torch and
    polyloss clamp each log at -100); no ``weight``.
``binary_cross_entropy_with_logits(input, target)``
    ``losses.binary_crossentropy(target, input, from_logits=True)``; no ``weight`` or ``pos_weight``.
``cross_entropy(input, target, ignore_index, label_smoothing)``
    The class axis (1, or 0 unbatched) moved last, Keras's layout.  Index targets:
    ``losses.sparse_categorical_crossentropy(target, input, from_logits=True)``, with
    ``ignore_class=ignore_index`` when a target is ignored (0 for those), the mean over the targets kept; with label smoothing the targets are
    one-hot (ignored ones set to class 0 and their loss to 0) through
    ``losses.categorical_crossentropy(onehot, input, from_logits=True, label_smoothing=eps)``, whose
    ``(1 - eps) y + eps / C`` is polyloss's form.  Probability targets: ``categorical_crossentropy``
    with ``label_smoothing``, the mean over positions.  No class ``weight``.
``mse_loss``, ``l1_loss``, ``huber_loss(delta)``
    ``losses.mean_squared_error``, ``mean_absolute_error``, ``huber(delta=delta)`` (``0.5 e^2`` for
    ``|e| <= delta``, else ``delta |e| - 0.5 delta^2``).
``kl_divergence(p, q, axis)``
    ``losses.kl_divergence(p, q)`` with ``axis`` moved last (``axis=None``: flattened); Keras clips
    ``p`` and ``q`` to ``[1e-7, 1]``.
``sigmoid_focal_loss(input, target, alpha, gamma)``
    ``losses.binary_focal_crossentropy(target, input, from_logits=True, gamma=gamma,
    apply_class_balancing=alpha >= 0, alpha=alpha)``.
``softmax_focal_loss(input, target, gamma)``
    ``losses.categorical_focal_crossentropy(onehot, input, alpha=1.0, gamma=gamma, from_logits=True)``,
    class axis last; no class ``weight``; targets equal to ``ignore_index`` declined.
``dice_loss(input, target, smooth=0)``, ``tversky_loss(input, target, alpha, beta, gamma=1, smooth=0)``
    ``losses.dice(t, p, axis=spatial axes)``, ``losses.tversky(t, p, alpha=alpha, beta=beta,
    axis=spatial axes)`` per sample and class (index targets one-hot on axis 1).  Keras has no
    ``smooth`` (it adds 1e-7 to the denominator instead), so only ``smooth = 0`` runs; no focal
    exponent.  Keras documents ``alpha`` as the weight of false positives and ``beta`` of false
    negatives, as polyloss, and the adapter passes them so.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

from .._runner import Unsupported
from ._peers import class_axis, reduce

__all__ = ["functions", "keras_backend"]

_ARRAY_BACKENDS = ("jax", "torch")


_wanted: list[str] = []  # the backend the last keras adapter was built for


def keras_backend(backend: str | None = None) -> str:
    """The array backend Keras runs on here (see the module docstring), setting
    ``KERAS_BACKEND`` for Keras's first import."""
    imported = sys.modules.get("keras")
    if backend is None:
        if imported is not None:
            backend = imported.backend.backend()
        else:
            backend = os.environ.get("KERAS_BACKEND") or next(
                (b for b in _ARRAY_BACKENDS if importlib.util.find_spec(b) is not None), "jax")
    if backend not in _ARRAY_BACKENDS:
        msg = f"keras on {backend!r}: the runner has array backends for keras:jax and keras:torch only"
        raise ValueError(msg)
    if imported is None:
        os.environ["KERAS_BACKEND"] = backend
    _wanted[:] = [backend]
    return backend


def _keras():
    import keras

    if _wanted and keras.backend.backend() != _wanted[0]:
        msg = f"Keras was imported on {keras.backend.backend()!r} before this adapter asked for {_wanted[0]!r}"
        raise Unsupported(msg)
    return keras


def _elementwise(loss, target, input, **kwargs):
    """A Keras loss that means over the last axis, made elementwise."""
    return loss(target[..., None], input[..., None], **kwargs)


def _class_last(x, axis):
    return _keras().ops.moveaxis(x, axis, -1)


def sigmoid(x):
    return _keras().ops.sigmoid(x)


def log_sigmoid(x):
    return _keras().ops.log_sigmoid(x)


def softmax(x, *, axis=-1):
    return _keras().ops.softmax(x, axis=axis)


def log_softmax(x, *, axis=-1):
    return _keras().ops.log_softmax(x, axis=axis)


def logsumexp(x, *, axis=None, keepdims=False):
    return _keras().ops.logsumexp(x, axis=axis, keepdims=keepdims)


def binary_cross_entropy(input, target, *, reduction="mean"):
    return reduce(_elementwise(_keras().losses.binary_crossentropy, target, input), reduction)


def binary_cross_entropy_with_logits(input, target, *, reduction="mean"):
    return reduce(_elementwise(_keras().losses.binary_crossentropy, target, input, from_logits=True), reduction)


def cross_entropy(input, target, *, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    keras = _keras()
    ops, losses = keras.ops, keras.losses
    axis = class_axis(input)
    x = _class_last(input, axis)
    if "int" not in str(target.dtype):
        q = _class_last(target, axis)
        loss = losses.categorical_crossentropy(q, x, from_logits=True, label_smoothing=label_smoothing)
        return reduce(loss, reduction)
    keep = ops.not_equal(target, ignore_index)
    ignored = bool(ops.any(ops.logical_not(keep)))
    if label_smoothing:
        onehot = ops.one_hot(ops.where(keep, target, 0), x.shape[-1], dtype=x.dtype)
        loss = losses.categorical_crossentropy(onehot, x, from_logits=True, label_smoothing=label_smoothing)
        loss = ops.where(keep, loss, ops.zeros_like(loss))
    else:
        loss = losses.sparse_categorical_crossentropy(target, x, from_logits=True,
                                                      ignore_class=ignore_index if ignored else None)
    return reduce(loss, reduction, ops.cast(ops.sum(ops.cast(keep, "int32")), loss.dtype))


def mse_loss(input, target, *, reduction="mean"):
    return reduce(_elementwise(_keras().losses.mean_squared_error, target, input), reduction)


def l1_loss(input, target, *, reduction="mean"):
    return reduce(_elementwise(_keras().losses.mean_absolute_error, target, input), reduction)


def huber_loss(input, target, *, reduction="mean", delta=1.0):
    return reduce(_elementwise(_keras().losses.huber, target, input, delta=delta), reduction)


def kl_divergence(p, q, *, axis=-1):
    keras = _keras()
    if axis is None:
        p, q = keras.ops.reshape(p, (-1,)), keras.ops.reshape(q, (-1,))
    else:
        p, q = _class_last(p, axis), _class_last(q, axis)
    return keras.losses.kl_divergence(p, q)


def sigmoid_focal_loss(input, target, *, alpha=0.25, gamma=2.0, reduction="mean"):
    loss = _elementwise(_keras().losses.binary_focal_crossentropy, target, input, from_logits=True, gamma=gamma,
                        apply_class_balancing=alpha >= 0, alpha=alpha)
    return reduce(loss, reduction)


def softmax_focal_loss(input, target, *, gamma=2.0, reduction="mean"):
    keras = _keras()
    ops = keras.ops
    if bool(ops.any(ops.equal(target, -100))):
        msg = "targets equal to ignore_index: categorical_focal_crossentropy ignores no target"
        raise Unsupported(msg)
    x = _class_last(input, class_axis(input))
    onehot = ops.one_hot(target, x.shape[-1], dtype=x.dtype)
    loss = keras.losses.categorical_focal_crossentropy(onehot, x, alpha=1.0, gamma=gamma, from_logits=True)
    return reduce(loss, reduction)


def _overlap(input, target, smooth):
    keras = _keras()
    if smooth != 0:
        msg = f"smooth={smooth}: Keras's dice and tversky have no smoothing term (they add 1e-7 to the denominator)"
        raise Unsupported(msg)
    t = target
    if "int" in str(target.dtype):
        t = keras.ops.one_hot(target, input.shape[1], axis=1, dtype=input.dtype)
    return keras, t, tuple(range(2, input.ndim))


def dice_loss(input, target, *, smooth=1.0, reduction="mean"):
    keras, t, spatial = _overlap(input, target, smooth)
    return reduce(keras.losses.dice(t, input, axis=spatial), reduction)


def tversky_loss(input, target, *, alpha=0.5, beta=0.5, gamma=1.0, smooth=1.0, reduction="mean"):
    if gamma != 1:
        msg = f"gamma={gamma}: keras.losses.tversky has no focal exponent"
        raise Unsupported(msg)
    keras, t, spatial = _overlap(input, target, smooth)
    return reduce(keras.losses.tversky(t, input, alpha=alpha, beta=beta, axis=spatial), reduction)


def functions() -> dict:
    return {f.__name__: f for f in (sigmoid, log_sigmoid, softmax, log_softmax, logsumexp, binary_cross_entropy,
                                    binary_cross_entropy_with_logits, cross_entropy, mse_loss, l1_loss, huber_loss,
                                    kl_divergence, sigmoid_focal_loss, softmax_focal_loss, dice_loss, tversky_loss)}
