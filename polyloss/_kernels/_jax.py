"""JAX fast path for cross entropy with class indices: a formulation XLA compiles well.

The generic ``_lse_parts`` adds a comparison, a count and two selects to the
``sum(exp(x - max))`` reduction; XLA:CPU then emits slow, unvectorised reduction loops
(4x optax at (4096, 32000)). Here the main pass is exactly optax's -- ``max``, then
``sum(exp(x - max))`` -- and the generic accuracy comes from a correction that runs
only when it matters:

* ``log S`` is exact enough unless ``S < 2`` (see ``_torch``); positions where that
  happens and the target is the argmax (any class, with smoothing) are corrected with
  the generic formula -- nothing at all when there are none (``lax.switch`` on a
  count), a gather of at most ``N / 16`` rows when there are few, every row otherwise (for
  more than ``VARIADIC_UP_TO_C`` classes in blocks of ``N / 16`` rows: no temporary is N x C);
* with few classes (``C <= VARIADIC_UP_TO_C``) a variadic reduction yields ``S`` and the sum of
  the non-maximal terms in the same pass, as fast as optax's single sum.

The loss has a ``custom_vjp``: ``softmax - onehot`` in one fused pass, the target entry
as ``expm1(-loss)``. Inputs other than (N, C) take the generic path.
"""

from __future__ import annotations

import functools
from typing import Any

import array_api_compat
import jax
import jax.numpy as jnp

from .._core._special import lse_parts, needs_log1p
from .._core._xp import size
from ._native import Native

__all__ = ["KERNELS"]

#: Up to this many classes one variadic reduction yields S and the non-maximal sum together.
VARIADIC_UP_TO_C = 16
_XP = array_api_compat.array_namespace(jnp.zeros(0))
#: The "few" branch gathers at most N // FEW_DIVISOR rows.
FEW_DIVISOR = 16


def cross_entropy_indices(x: Any, target: Any, w_t: Any, weight: Any, eps: float) -> Any:
    return _compiled(float(eps), weight is not None)(x, target, w_t, weight)


@functools.lru_cache(maxsize=None)
def _compiled(eps: float, weighted: bool):
    @jax.custom_vjp
    def loss(x, t, w_t, weight):
        return _forward(x, t, w_t, weight, eps)[0]

    def fwd(x, t, w_t, weight):
        out, m, tail, nll = _forward(x, t, w_t, weight, eps)
        return out, (x, t, w_t, weight, m, tail, nll)

    def bwd(res, g):
        return _backward(res, g, eps)

    loss.defvjp(fwd, bwd)
    return jax.jit(loss)


def _generic_lse(x: Any) -> tuple[Any, Any]:
    m, tail = lse_parts(_XP, x, 1)
    return m[:, 0], tail[:, 0]


def _add2(a, b):
    return a[0] + b[0], a[1] + b[1]


def _small_c_tail(x: Any, m: Any) -> Any:
    """log S, or log1p of the non-maximal terms where S < 2, from one variadic reduction."""
    d = x - m[:, None]
    e = jnp.exp(d)
    zero = jnp.zeros((), x.dtype)
    s, rest = jax.lax.reduce((e, jnp.where(d < 0, e, 0)), (zero, zero), _add2, (1,))
    return jnp.where(needs_log1p(s), jnp.log1p(rest), jnp.log(s))


def _lse(x: Any, flag_of: Any) -> tuple[Any, Any]:
    """``m``, ``tail`` per row; ``flag_of(s, m)`` marks rows whose ``log S`` must be redone."""
    N, C = x.shape
    m = jnp.max(x, axis=1)
    if C <= VARIADIC_UP_TO_C:
        tail = _small_c_tail(x, m)
        flag = ~jnp.isfinite(m)  # only non-finite rows still need the generic formula
    else:
        d = x - m[:, None]
        s = jnp.sum(jnp.exp(d), axis=1)
        tail = jnp.log(s)
        flag = flag_of(s, m)
    count = jnp.sum(flag)
    few = max(1, N // FEW_DIVISOR)

    def none(ops):
        return ops[1], ops[2]

    def some(ops):
        x, m, tail, flag = ops
        idx = jnp.nonzero(flag, size=few, fill_value=0)[0]
        mg, tg = _generic_lse(x[idx])
        keep = flag[idx]
        return m.at[idx].set(jnp.where(keep, mg, m[idx])), tail.at[idx].set(jnp.where(keep, tg, tail[idx]))

    def every(ops):
        x, m, tail, flag = ops
        if C <= VARIADIC_UP_TO_C:  # temporaries the size of x: a loop would cost more than it saves
            mg, tg = _generic_lse(x)
        else:  # row blocks of `few`: the generic formula's temporaries stay (few, C), not (N, C)
            mg, tg = jax.lax.map(lambda r: tuple(v[0] for v in _generic_lse(r[None])), x, batch_size=few)
        return jnp.where(flag, mg, m), jnp.where(flag, tg, tail)

    branch = jnp.where(count == 0, 0, jnp.where(count <= few, 1, 2))
    return jax.lax.switch(branch, (none, some, every), (x, m, tail, flag))


def _forward(x, t, w_t, weight, eps):
    C = x.shape[1]
    x_t = jnp.take_along_axis(x, t[:, None], axis=1)[:, 0]
    if C <= VARIADIC_UP_TO_C and eps == 0:
        # no branch at all: a row whose maximum is not finite gets the generic path's
        # value directly -- inf for a +inf maximum and a finite target, NaN otherwise
        m = jnp.max(x, axis=1)
        tail = _small_c_tail(x, m)
        nll = jnp.where(jnp.isfinite(m), (m - x_t) + tail, jnp.where((m == jnp.inf) & (x_t < jnp.inf), jnp.inf, jnp.nan))
        return w_t * nll, m, tail, nll
    if eps > 0:
        flag_of = lambda s, m: needs_log1p(s)  # noqa: E731 -- every class's term counts
    else:
        # the target loss is below log 2 only where the target is the argmax and S < 2
        flag_of = lambda s, m: needs_log1p(s) & ~(x_t < m)  # noqa: E731
    m, tail = _lse(x, flag_of)
    nll = (m - x_t) + tail
    out = w_t * nll
    if eps > 0:
        # sum_c w_c ((m - x_c) + tail): every term >= 0
        d = m[:, None] - x
        smooth = (jnp.sum(d, axis=1) if weight is None else d @ weight) + tail * (C if weight is None else jnp.sum(weight))
        out = (1 - eps) * out + (eps / C) * smooth
    return out, m, tail, nll


def _backward(res, g, eps):
    x, t, w_t, weight, m, tail, nll = res
    C = x.shape[1]
    p = jnp.exp((x - m[:, None]) - tail[:, None])
    b = g * (1 - eps) * w_t
    c = g * (eps / C)
    total_w = C if weight is None else jnp.sum(weight)
    a = b + c * total_w
    onehot = jnp.arange(C, dtype=t.dtype)[None, :] == t[:, None]
    grad = a[:, None] * p
    at_t = b * jnp.expm1(-nll)  # p_t - 1 = expm1(-loss): no cancellation
    if eps > 0:
        w_row = jnp.ones((1, C), x.dtype) if weight is None else weight[None, :]
        grad = grad - c[:, None] * w_row
        p_t = jnp.take_along_axis(p, t[:, None], axis=1)[:, 0]
        w_cls = jnp.ones_like(w_t) if weight is None else weight[t]
        at_t = at_t + c * (total_w * p_t - w_cls)
    grad = jnp.where(onehot, at_t[:, None], grad)
    d_wt = g * (1 - eps) * nll
    d_weight = None
    if weight is not None:
        d_weight = jnp.zeros_like(weight)
        if eps > 0:
            nlp = (m[:, None] - x) + tail[:, None]
            d_weight = (eps / C) * (g @ nlp)
    return grad, None, d_wt, d_weight


KERNELS = {
    "cross_entropy_indices": Native(  # jit-compiled: never reads a value on the host; its blocks
        # need concrete sizes (a symbolic batch of jax.export runs the generic kernel)
        cross_entropy_indices, sync_free=True,
        applies=lambda x, t, w_t, w, eps: x.ndim == 2 and size(x) is not None and x.shape[0] > 0 and x.shape[1] > 0,
    ),
}
