"""jax.nn and jax.scipy.special behind the polyloss signatures (the ``jax`` adapter).

Translation, function by function (JAX 0.10 source read):

``sigmoid(x)``                ``jax.nn.sigmoid(x)``
``log_sigmoid(x)``            ``jax.nn.log_sigmoid(x)``
``softmax(x, axis)``          ``jax.nn.softmax(x, axis=axis)``
``log_softmax(x, axis)``      ``jax.nn.log_softmax(x, axis=axis)``
``logsumexp(x, axis, keepdims)``  ``jax.scipy.special.logsumexp(x, axis=axis, keepdims=keepdims)``
``entropy(p, axis)``          ``jax.scipy.special.entr(p).sum(axis=axis)`` (``-p log p``, ``0 log 0 = 0``, no
                              normalisation)
``kl_divergence(p, q, axis)`` ``jax.scipy.special.rel_entr(p, q).sum(axis=axis)`` (``p log(p / q)``)

Gradient cases run through ``jax.vjp``.  On CPU, XLA flushes subnormals to
zero, so the backend declines subnormal cases.  The losses of ``jax.nn`` are
not in these modules; optax has them (the ``optax`` adapter).
"""

from __future__ import annotations

__all__ = ["functions"]


def sigmoid(x):
    import jax

    return jax.nn.sigmoid(x)


def log_sigmoid(x):
    import jax

    return jax.nn.log_sigmoid(x)


def softmax(x, *, axis=-1):
    import jax

    return jax.nn.softmax(x, axis=axis)


def log_softmax(x, *, axis=-1):
    import jax

    return jax.nn.log_softmax(x, axis=axis)


def logsumexp(x, *, axis=None, keepdims=False):
    from jax.scipy import special

    return special.logsumexp(x, axis=axis, keepdims=keepdims)


def entropy(p, *, axis=-1):
    from jax.scipy import special

    return special.entr(p).sum(axis=axis)


def kl_divergence(p, q, *, axis=-1):
    from jax.scipy import special

    return special.rel_entr(p, q).sum(axis=axis)


def functions() -> dict:
    return {f.__name__: f for f in (sigmoid, log_sigmoid, softmax, log_softmax, logsumexp, entropy, kl_divergence)}
