"""Fast paths: a thin layer over the generic definitions in ``polyloss._classification``.

The generic function validates its arguments, casts them to the compute dtype and
normalises them (batched input, in-range targets, per-target weights); then it asks
this module for a fast evaluation of the heavy part. Each hook returns the same
quantity the generic code would compute next, or ``None`` to let the generic code
run (another backend, an option the fast path does not cover, a traced tensor, or
``polyloss.options(fast_paths=False)``):

``cross_entropy_indices``        per-position loss before masking and reduction
``cross_entropy_probabilities``  per-position loss before reduction
``binary_cross_entropy_with_logits``  the reduced loss
``binary_cross_entropy``             elementwise loss
``nll_loss``                     per-position loss before reduction (torch's native kernel)

Backends:

* torch -- native kernels (``log_softmax``, ``softmax``, ``binary_cross_entropy``,
  ``nll_loss``) evaluated in row blocks, with a hand-written backward; rows where the
  native kernel would round a tiny loss (``log S`` with ``S < 2``) or meet a non-finite
  maximum are recomputed with the generic formula, so no case is less accurate.
* NumPy -- a chunked evaluation with ``out=`` ufuncs on cache-sized blocks: bounded
  temporaries (a few MB whatever the input size) and no N x C intermediate.
* JAX -- a formulation XLA compiles as well as optax's, with a ``custom_vjp``.
* anything else -- inputs of more than :data:`BLOCK_BYTES_GENERIC` bytes are evaluated
  with the generic formula in row blocks, bounding the temporaries (vocabulary-sized C).
"""

from __future__ import annotations

from typing import Any

import array_api_compat as compat

from .._config import get_option

__all__ = [
    "enabled",
    "cross_entropy_indices",
    "cross_entropy_probabilities",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy",
    "nll_loss",
]

#: Inputs larger than this take the generic row-blocked path on backends without a
#: dedicated fast path (array-api-strict, CuPy, ...). Dask is already chunked.
BLOCK_BYTES_GENERIC = 1 << 28


def enabled() -> bool:
    """Whether fast paths are on (``polyloss.options(fast_paths=...)``)."""
    return bool(get_option("fast_paths"))


def _kind(xp: Any) -> str | None:
    if compat.is_torch_namespace(xp):
        return "torch"
    if compat.is_numpy_namespace(xp):
        return "numpy"
    if compat.is_jax_namespace(xp):
        return "jax"
    if compat.is_dask_namespace(xp):
        return None
    return "other"


def cross_entropy_indices(xp: Any, x: Any, target: Any, w_t: Any, weight: Any, eps: float) -> Any:
    """Per-position cross entropy with class-index targets, or ``None``.

    ``x`` (N, C, d1, ...) in the compute dtype; ``target`` (N, d1, ...) int64, every
    value a valid class; ``w_t`` the weight of each position's target (0 where the
    target is ignored); ``weight`` the (C,) class weights or ``None``. Returns
    ``(1 - eps) w_t (LSE - x_t) + eps / C sum_c w_c (LSE - x_c)``, unmasked.
    """
    if not enabled():
        return None
    kind = _kind(xp)
    if kind == "torch":
        from . import _torch

        return _torch.cross_entropy_indices(x, target, w_t, weight, eps)
    if kind == "numpy":
        from . import _numpy

        return _numpy.cross_entropy_indices(x, target, w_t, weight, eps)
    if kind == "jax":
        from . import _jax

        return _jax.cross_entropy_indices(x, target, w_t, weight, eps)
    if kind == "other" and _nbytes(xp, x) > BLOCK_BYTES_GENERIC:
        from . import _blocked

        return _blocked.cross_entropy_indices(xp, x, target, w_t, weight, eps)
    return None


def cross_entropy_probabilities(xp: Any, x: Any, q: Any, weight: Any, eps: float) -> Any:
    """Per-position cross entropy with class-probability targets ``q`` (x's shape), or ``None``."""
    if not enabled():
        return None
    kind = _kind(xp)
    if kind == "torch":
        from . import _torch

        return _torch.cross_entropy_probabilities(x, q, weight, eps)
    if kind == "numpy":
        from . import _numpy

        return _numpy.cross_entropy_probabilities(x, q, weight, eps)
    if kind == "other" and _nbytes(xp, x) > BLOCK_BYTES_GENERIC:
        from . import _blocked

        return _blocked.cross_entropy_probabilities(xp, x, q, weight, eps)
    return None


def binary_cross_entropy_with_logits(
    xp: Any, z: Any, y: Any, weight: Any, pos_weight: Any, reduction: str, check_target: Any
) -> Any:
    """BCE on logits (weights applied) reduced by ``reduction``, or ``None``.

    ``y`` is not validated yet: a fast path that runs calls ``check_target`` on every
    block of it (in cache); one that returns ``None`` has not.
    """
    if not enabled():
        return None
    kind = _kind(xp)
    if kind == "torch":
        from . import _torch

        return _torch.binary_cross_entropy_with_logits(z, y, weight, pos_weight, reduction, check_target)
    if kind == "numpy":
        from . import _numpy

        return _numpy.binary_cross_entropy_with_logits(z, y, weight, pos_weight, reduction, check_target)
    return None


def binary_cross_entropy(xp: Any, p: Any, y: Any, weight: Any) -> Any:
    """Elementwise BCE on probabilities (weights applied), or ``None``; torch only."""
    if not enabled() or _kind(xp) != "torch":
        return None
    from . import _torch

    return _torch.binary_cross_entropy(p, y, weight)


def nll_loss(xp: Any, x: Any, safe: Any, valid: Any, weight: Any, ignore_index: int) -> Any:
    """The per-position NLL loss from torch's native kernel (0 where ignored), or ``None``.

    ``x`` batched (N, C, d1, ...) in the compute dtype; ``safe`` the validated targets
    (in range), ``valid`` where they are not ``ignore_index`` (``None``: everywhere).
    """
    if not enabled() or _kind(xp) != "torch":
        return None
    from . import _torch

    return _torch.nll_loss(x, safe, valid, weight, ignore_index)


def _nbytes(xp: Any, x: Any) -> int:
    n = 1
    for s in x.shape:
        n *= s
    return n * (xp.finfo(x.dtype).bits // 8)
