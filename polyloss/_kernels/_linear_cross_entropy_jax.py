"""JAX kernel of linear cross entropy: a ``lax.scan`` over row blocks with a ``custom_vjp``.

The rows are padded to whole blocks (padding rows weigh 0) and scanned; each step forms
one block's logits (R, V), their log-sum-exp with the generic accuracy (``_lse`` of the
cross entropy fast path: optax's ``log(sum(exp))``, corrected by the ``log1p`` formula
only on the rows whose loss is below log 2) and the rows' losses. Under differentiation
the same step also forms ``G = d loss / d logits`` and its products ``G @ weight`` (the
input's gradient rows), ``G.T @ input_b`` and ``G.sum(0)`` (carried: the weight's and
bias's gradients), so no (N, V) array exists in the forward or the backward, and the
backward does not pass over the vocabulary again: it scales the input's gradient rows by
the output gradient, and the weight's and bias's sums by the output gradient when that
is the same on every counted row (``"mean"``, ``"sum"``); otherwise (``lax.cond``) it
recomputes the blocks with the given output gradient. Works under ``jit``, ``grad`` and
``vmap`` (where ``cond`` evaluates both branches).
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from .._core._xp import size
from ._jax import _lse
from ._native import Native

__all__ = ["KERNELS"]

#: Logits per block (16 MiB of float32).
BLOCK_ELEMENTS = 1 << 22


def linear_cross_entropy(input: Any, weight: Any, bias: Any, target: Any, w_t: Any, eps: float) -> Any:
    """The generic kernel's (``_generic.linear_cross_entropy``) arguments and result."""
    if input.shape[0] == 0:
        return jnp.zeros((0,), dtype=input.dtype)
    if w_t is None:
        w_t = jnp.ones(input.shape[:1], dtype=input.dtype)
    return _compiled(float(eps), bias is not None)(input, weight, bias, target, w_t)


def _blocks(h, weight, bias, target, scale, eps, grads):
    """``(loss, d input, d weight, d bias)`` (gradients only with ``grads``), rows weighted by ``scale``."""
    N, H = h.shape
    V = weight.shape[0]
    R = max(1, min(N, BLOCK_ELEMENTS // max(V, 1)))
    n_blocks = -(-N // R)
    pad = n_blocks * R - N
    xs = (
        jnp.pad(h, ((0, pad), (0, 0))).reshape(n_blocks, R, H),
        jnp.pad(target, (0, pad)).reshape(n_blocks, R),
        jnp.pad(scale, (0, pad)).reshape(n_blocks, R),  # padding rows weigh 0
    )

    def step(carry, block):
        hb, tb, sb = block
        z = hb @ weight.T
        if bias is not None:
            z = z + bias
        z_t = jnp.take_along_axis(z, tb[:, None], axis=1)[:, 0]
        if eps > 0:
            flag_of = lambda s, m: ~(s >= 2)  # noqa: E731 -- every class's term counts
        else:
            # the target loss is below log 2 only where the target is the argmax and S < 2
            flag_of = lambda s, m: ~(s >= 2) & ~(z_t < m)  # noqa: E731
        m, tail = _lse(z, flag_of)
        nll = (m - z_t) + tail
        loss = nll
        if eps > 0:
            # sum_c (LSE - z_c): every term >= 0
            loss = (1 - eps) * nll + (eps / V) * jnp.sum((m[:, None] - z) + tail[:, None], axis=1)
        loss = sb * loss
        if not grads:
            return carry, loss
        # d loss / d z_c = p_c - (1 - eps) [c = t] - eps / V; at the target
        # p_t - 1 = expm1(-nll) (no cancellation), plus eps (1 - 1 / V)
        p = jnp.exp((z - m[:, None]) - tail[:, None])
        at_t = jnp.expm1(-nll)
        if eps > 0:
            p = p - eps / V
            at_t = at_t + eps * (1 - 1 / V)
        onehot = jnp.arange(V, dtype=tb.dtype)[None, :] == tb[:, None]
        g = jnp.where(onehot, at_t[:, None], p) * sb[:, None]
        g_w, g_b = carry
        g_w = g_w + g.T @ hb
        g_b = None if g_b is None else g_b + jnp.sum(g, axis=0)
        return (g_w, g_b), (loss, g @ weight)

    init = (jnp.zeros_like(weight), None if bias is None else jnp.zeros_like(bias)) if grads else None
    carry, out = jax.lax.scan(step, init, xs)
    if not grads:
        return out.reshape(-1)[:N], None, None, None
    loss, g_h = out
    return loss.reshape(-1)[:N], g_h.reshape(-1, H)[:N], carry[0], carry[1]


@functools.lru_cache(maxsize=None)
def _compiled(eps: float, has_bias: bool):
    @jax.custom_vjp
    def loss(h, weight, bias, target, w_t):
        return _blocks(h, weight, bias, target, w_t, eps, False)[0]

    def fwd(h, weight, bias, target, w_t):
        out, g_h, g_w, g_b = _blocks(h, weight, bias, target, w_t, eps, True)
        return out, (h, weight, bias, target, w_t, g_h, g_w, g_b)

    def bwd(res, g):
        h, weight, bias, target, w_t, g_h, g_w, g_b = res
        # the weight's and bias's gradients of the forward hold for an output gradient
        # that is the same on every counted row: take it from the first such row
        counted = w_t != 0
        c = g[jnp.argmax(counted)]
        uniform = jnp.all(jnp.where(counted, g == c, True))

        def scaled(_):
            return g_h * g[:, None], g_w * c, None if g_b is None else g_b * c

        def again(_):
            return _blocks(h, weight, bias, target, g * w_t, eps, True)[1:]

        d_h, d_w, d_b = jax.lax.cond(uniform, scaled, again, None)
        return d_h, d_w, d_b, None, None

    loss.defvjp(fwd, bwd)
    return jax.jit(loss)


KERNELS = {
    # jit-compiled: no host read; its blocks need a concrete number of rows (a symbolic batch
    # of jax.export runs the generic kernel)
    "linear_cross_entropy": Native(linear_cross_entropy, sync_free=True, applies=lambda h, *rest: size(h) is not None),
}
