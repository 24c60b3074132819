"""kl_divergence(p, q, *, axis=-1).

KL divergence D(p || q) in nats between probability vectors laid along
``axis`` (an int, a tuple of ints, or None):

    D = sum_i p_i log(p_i / q_i),   0 log(0 / q) = 0,   p log(p / 0) = +inf (p > 0)

Inputs are used as given (not renormalised).
"""

import mpmath
import numpy as np

from . import register, register_terms
from ._mp import INF, as_mp, mp_sum
from .entropy import along, finish


@register
def kl_divergence(p, q, *, axis=-1):
    return _kl(p, q, axis, lambda term: term)


@register_terms("kl_divergence")
def kl_divergence_terms(p, q, *, axis=-1):
    """The terms p log(p / q) have either sign (each is accurate with log1p((p - q) / q))."""
    return _kl(p, q, axis, abs)


def _kl(p, q, axis, each):
    prow, shape = along(as_mp(p), axis)
    qrow, _ = along(as_mp(q), axis)
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        terms = []
        for a, b in zip(prow[idx].tolist(), qrow[idx].tolist(), strict=True):
            if a == 0:
                continue
            terms.append(INF if b == 0 else each(a * mpmath.log(a / b)))
        out[idx] = mp_sum(terms)
    return finish(out)
