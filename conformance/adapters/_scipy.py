"""scipy.special behind the polyloss signatures (the ``scipy`` adapter), on NumPy arrays.

Translation, function by function (scipy 1.17 source read):

``sigmoid(x)``                ``expit(x)``
``log_sigmoid(x)``            ``log_expit(x)``
``softmax(x, axis)``          ``softmax(x, axis=axis)``
``log_softmax(x, axis)``      ``log_softmax(x, axis=axis)``
``logsumexp(x, axis, keepdims)``  ``logsumexp(x, axis=axis, keepdims=keepdims)`` (``axis=None``: all axes, as polyloss)
``entropy(p, axis)``          ``entr(p).sum(axis=axis)``: ``entr`` is ``-p log p`` with ``0 log 0 = 0``;
                              not ``scipy.stats.entropy``, which normalises ``p`` first (polyloss does not)
``kl_divergence(p, q, axis)`` ``rel_entr(p, q).sum(axis=axis)``: ``rel_entr`` is ``p log(p / q)``, 0 for
                              ``p = 0``, +inf for ``q = 0 < p``; not ``scipy.special.kl_div``, which adds ``- p + q``

``expit``, ``log_expit``, ``entr`` and ``rel_entr`` are ufuncs without a float16
loop: float16 inputs come back as float64 (``expit``, ``log_expit``) or float32
(``entr``, ``rel_entr``), which the dtype check reports.  No loss function of
scipy.special takes polyloss's other signatures, so the rest are absent.
"""

from __future__ import annotations

__all__ = ["functions"]


def sigmoid(x):
    from scipy import special

    return special.expit(x)


def log_sigmoid(x):
    from scipy import special

    return special.log_expit(x)


def softmax(x, *, axis=-1):
    from scipy import special

    return special.softmax(x, axis=axis)


def log_softmax(x, *, axis=-1):
    from scipy import special

    return special.log_softmax(x, axis=axis)


def logsumexp(x, *, axis=None, keepdims=False):
    from scipy import special

    return special.logsumexp(x, axis=axis, keepdims=keepdims)


def entropy(p, *, axis=-1):
    from scipy import special

    return special.entr(p).sum(axis=axis)


def kl_divergence(p, q, *, axis=-1):
    from scipy import special

    return special.rel_entr(p, q).sum(axis=axis)


def functions() -> dict:
    return {f.__name__: f for f in (sigmoid, log_sigmoid, softmax, log_softmax, logsumexp, entropy, kl_divergence)}
