"""Linear cross entropy without the logits: the generic kernel, and the choice of kernel.

``input @ weight.T + bias`` of shape (N, V) is never held: the rows are walked in blocks
of at most :data:`BLOCK_ELEMENTS` logits, each block's logits are formed, reduced to its
rows' losses with the generic formula (``_lse_parts``: stable for huge logits, and the
``log1p`` of the non-maximal terms keeps a confident row's tiny loss) and dropped. The
temporaries are a few blocks, whatever N and V.

Every kernel -- this generic one and the native ones (``_linear_cross_entropy_torch``,
``_linear_cross_entropy_jax``, ``_linear_cross_entropy_numpy``) -- has the same signature
and output::

    kernel(xp, input, weight, bias, target, w_t, eps) -> loss

``input`` (N, H), ``weight`` (V, H), ``bias`` (V,) or ``None``, all in the compute dtype;
``target`` (N,) class indices in ``[0, V)`` (ignored ones already replaced);
``w_t`` (N,) the weight of each row (0 for an ignored target) or ``None`` (all 1);
``eps`` the label smoothing. The result is the unreduced per-row loss

    w_t * ((1 - eps) (LSE(z) - z_t) + eps / V * sum_c (LSE(z) - z_c)),   z = input @ weight.T + bias.

The generic kernel differentiates through whatever autograd the namespace has (on torch
and JAX that keeps every block's temporaries for the backward); the native kernels have
their own backward and keep no per-block state.
"""

from __future__ import annotations

from typing import Any

import array_api_compat as compat

from .._fast._blocked import row_slices

__all__ = ["linear_cross_entropy", "kernel_for"]

#: Logits per block of the generic kernel (4 MiB of float32): the block and the few
#: temporaries of the generic formula stay within a few times that.
BLOCK_ELEMENTS = 1 << 20


def linear_cross_entropy(
    xp: Any, input: Any, weight: Any, bias: Any, target: Any, w_t: Any, eps: float
) -> Any:
    """Per-row cross entropy of the logits ``input @ weight.T + bias`` (see the module docstring), in row blocks."""
    from .._classification import _pick
    from .._special import _lse_parts
    from .._xp import device

    N, V = input.shape[0], weight.shape[0]
    weight_t = xp.permute_dims(weight, (1, 0))
    parts = []
    for rows in row_slices(N, V, BLOCK_ELEMENTS):
        z = xp.matmul(input[rows, ...], weight_t)
        if bias is not None:
            z = z + bias
        m, tail = _lse_parts(xp, z, 1)
        loss = (xp.squeeze(m, axis=1) - _pick(xp, z, target[rows, ...])) + xp.squeeze(tail, axis=1)
        if eps > 0:
            # sum_c (LSE - z_c): every term >= 0, no cancellation
            loss = (1 - eps) * loss + (eps / V) * xp.sum((m - z) + tail, axis=1)
        if w_t is not None:
            loss = w_t[rows, ...] * loss
        parts.append(loss)
    if not parts:  # no rows
        return xp.zeros((0,), dtype=input.dtype, device=device(input))
    return parts[0] if len(parts) == 1 else xp.concat(parts, axis=0)


def kernel_for(xp: Any, *arrays: Any) -> Any:
    """The kernel for ``xp``'s arrays: a native one where polyloss has one and it applies, else the generic one.

    ``arrays`` are the kernel's array arguments (``None`` allowed). The ``fast_paths``
    option off forces the generic kernel.
    """
    from .._fast import enabled

    if enabled():
        if compat.is_torch_namespace(xp):
            from . import _linear_cross_entropy_torch as native

            if native.usable(*arrays):
                return native.linear_cross_entropy
        elif compat.is_jax_namespace(xp):
            from . import _linear_cross_entropy_jax as native

            return native.linear_cross_entropy
        elif compat.is_numpy_namespace(xp):
            from . import _linear_cross_entropy_numpy as native

            if native.usable(*arrays):
                return native.linear_cross_entropy
    return linear_cross_entropy
