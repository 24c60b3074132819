"""Shared arbitrary-precision helpers for the oracle modules.

Arrays are NumPy object arrays whose elements are mpmath ``mpf`` numbers;
integer targets are ordinary int64 arrays.  mpmath has no signed zero and
raises on 0/0, so the IEEE-like corner cases the loss conventions need (NaN for
a mean over nothing, log 0 = -inf, 0 * log 0 = 0 where a convention says so)
are spelled out here, once.
"""

from __future__ import annotations

import mpmath
import numpy as np
from mpmath import mpf

__all__ = [
    "NAN",
    "INF",
    "as_mp",
    "class_last",
    "div",
    "is_nan",
    "log_softmax_seq",
    "logsumexp_parts",
    "logsumexp_seq",
    "mp_sum",
    "reduce_losses",
    "softplus",
    "xlogy",
]

NAN = mpf("nan")
INF = mpf("inf")


def as_mp(x) -> np.ndarray:
    """Object array of mpf from anything array-like (copies)."""
    arr = np.asarray(x, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    for idx, v in np.ndenumerate(arr):
        out[idx] = v if isinstance(v, mpf) else mpf(v)
    return out


def is_nan(v) -> bool:
    return mpmath.isnan(v)


def mp_sum(values) -> mpf:
    """Exact-as-precision sum with IEEE treatment of specials (inf + -inf = nan)."""
    vals = list(values)
    if any(is_nan(v) for v in vals):
        return NAN
    pos = any(mpmath.isinf(v) and v > 0 for v in vals)
    neg = any(mpmath.isinf(v) and v < 0 for v in vals)
    if pos and neg:
        return NAN
    if pos:
        return INF
    if neg:
        return -INF
    return mpmath.fsum(vals)


def div(a, b) -> mpf:
    """a / b with IEEE semantics for a zero divisor (0/0 = nan, x/0 = ±inf)."""
    a, b = mpf(a), mpf(b)
    if is_nan(a) or is_nan(b):
        return NAN
    if b == 0:
        if a == 0:
            return NAN
        return INF if a > 0 else -INF
    return a / b


def softplus(t) -> mpf:
    """log(1 + exp(t)), written so mpmath never forms exp of a huge positive."""
    t = mpf(t)
    if is_nan(t):
        return NAN
    if mpmath.isinf(t):
        return INF if t > 0 else mpf(0)
    if t > 0:
        return t + mpmath.log1p(mpmath.exp(-t))
    return mpmath.log1p(mpmath.exp(t))


def xlogy(x, logy) -> mpf:
    """x * log(y) given log(y), with the limit convention 0 * log(0) = 0."""
    x = mpf(x)
    if x == 0 and not is_nan(logy):
        return mpf(0)
    return x * logy


def logsumexp_parts(values) -> tuple[mpf, mpf]:
    """(m, s) with logsumexp(values) = m + log1p(s): m is the maximum and s the
    sum of exp(v - m) over every other element (the first maximum left out).

    Keeping log1p(s) separate keeps tiny results exact: log_softmax of the
    maximum is -log1p(s), not the cancellation (m - m) - log(1 + s).  Returns
    (nan, 0) for any nan, (-inf, 0) for an empty or all -inf sequence and
    (+inf, 0) when +inf is present.
    """
    vals = [mpf(v) for v in values]
    if any(is_nan(v) for v in vals):
        return NAN, mpf(0)
    if not vals:
        return -INF, mpf(0)
    m = max(vals)
    if mpmath.isinf(m):
        return m, mpf(0)
    k = vals.index(m)
    # Shift by the maximum so mpmath never builds exp of a huge argument.
    s = mpmath.fsum(mpmath.exp(v - m) for i, v in enumerate(vals) if i != k)
    return m, s


def logsumexp_seq(values) -> mpf:
    """log(sum(exp(v))) over a sequence; empty -> -inf, any nan -> nan."""
    m, s = logsumexp_parts(values)
    if mpmath.isinf(m) or is_nan(m):
        return m
    return m + mpmath.log1p(s)


def log_softmax_seq(values) -> list:
    """v - logsumexp(values) for each v, as (v - m) - log1p(s) (no cancellation
    for the maximum); nan everywhere for an all -inf or +inf-holding sequence."""
    m, s = logsumexp_parts(values)
    if mpmath.isinf(m) or is_nan(m):
        return [mpf(v) - m for v in values]
    l1p = mpmath.log1p(s)
    return [(mpf(v) - m) - l1p for v in values]


def class_last(x: np.ndarray) -> np.ndarray:
    """Move the class axis of a torch-layout input ((C,) or (N, C, d1..dK)) last."""
    if x.ndim <= 1:
        return x
    return np.moveaxis(x, 1, -1)


def reduce_losses(losses: np.ndarray, reduction: str, divisor=None):
    """Apply "none" / "sum" / "mean".  ``divisor`` overrides the element count
    for "mean" (weighted means); a zero divisor gives IEEE 0/0 = nan."""
    if reduction == "none":
        return losses
    total = mp_sum(losses.ravel().tolist())
    if reduction == "sum":
        return total
    if reduction == "mean":
        return div(total, losses.size if divisor is None else divisor)
    msg = f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}"
    raise ValueError(msg)
