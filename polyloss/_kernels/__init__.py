"""Kernels: the math of each heavy loss on normalised inputs, and the one registry that
chooses an implementation.

Each kernel has one generic definition written against the array API
(:mod:`polyloss._kernels._generic`) and, for some backends, a native implementation
with the same signature and the same output -- the unreduced loss:

====================================  ==============================================  =================
kernel                                output (unreduced)                              native on
====================================  ==============================================  =================
``cross_entropy_indices``             per-position loss, before masking               torch, NumPy, JAX
``cross_entropy_probabilities``       per-position loss                               torch, NumPy
``binary_cross_entropy_with_logits``  elementwise loss                                NumPy *, torch *
``binary_cross_entropy``              elementwise loss                                torch **
``linear_cross_entropy``              per-row loss of ``input @ weight.T + bias``     torch, NumPy, JAX
====================================  ==============================================  =================

\\* torch's and NumPy's BCE-with-logits kernels fuse their reduction (they sum block by
block, with no full-size temporary): registered with ``reduces=True``, they take
``reduction`` as one more argument and return the reduced loss. \\*\\* torch's BCE kernel raises on probabilities
outside [0, 1] (a device assert on CUDA): registered with ``needs_checked=True``, it runs
only on an input whose values were checked.

A native kernel that reads values on the host (a Python branch on data: a sync on a
device, a break in a trace) is registered without ``sync_free``; the losses pass
``reads=checks.reads(...)`` (whether this call may read values: ``value_checks``), and
where it may not, the generic kernel runs instead. A kernel registered with
``takes_reads`` receives ``reads`` itself: it tests a flag on the host (to skip a
correction no position needs) only where reads are allowed, and otherwise applies its
corrections with ``where`` on the device, without a sync. torch's kernels are all
sync-free or take ``reads``, so they run under ``value_checks="defer"``, on accelerators
and in ``"auto"`` alike (not under tracing transforms: their ``applies`` declines).

:func:`select` returns the native kernel where one is registered for the namespace, it
applies to the arguments (its ``applies`` predicate: e.g. eager torch, plain ndarrays,
2-d JAX input) and ``polyloss.options(fast_paths=...)`` is on; otherwise the generic
kernel, mapped over row blocks (:func:`~polyloss._kernels._blocked.by_row_blocks`) when
the input exceeds :data:`BLOCK_BYTES_GENERIC` on a backend without a native kernel.
Native modules are imported only when their library's arrays are seen.

:func:`express` returns a backend's *express lane* for a public function: the commonest
small calls of it, whole (arguments to result), in a handful of the library's operations,
where the full path's Python and its many tiny operations are most of the cost. A lane
declines (returns ``None``) anything it does not handle, and the full path runs; see
:mod:`polyloss._kernels._torch_express`, the only one today.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import array_api_compat as compat

from .._core._config import get_option
from .._core._types import Array, Namespace
from .._core._xp import size
from . import _generic
from ._blocked import by_row_blocks
from ._native import Native

__all__ = ["Native", "select", "call", "express", "enabled", "BLOCK_BYTES_GENERIC"]

#: Inputs larger than this take the generic kernel in row blocks on backends without a
#: native kernel (array-api-strict, CuPy, ...). Dask is already chunked.
BLOCK_BYTES_GENERIC = 1 << 28

#: The kernels, each with its generic definition and how many leading arguments are
#: indexed by row (what :func:`by_row_blocks` slices).
GENERIC: dict[str, tuple[Callable[..., Array], int]] = {
    "cross_entropy_indices": (_generic.cross_entropy_indices, 3),
    "cross_entropy_probabilities": (_generic.cross_entropy_probabilities, 2),
    "binary_cross_entropy_with_logits": (_generic.binary_cross_entropy_with_logits, 0),
    "binary_cross_entropy": (_generic.binary_cross_entropy, 0),
    "linear_cross_entropy": (_generic.linear_cross_entropy, 0),  # blocks its rows itself
}

def _torch_kernels() -> tuple[dict[str, Native], ...]:
    from . import _linear_cross_entropy_torch, _torch  # import statements, not importlib: torch.compile traces them

    return _torch.KERNELS, _linear_cross_entropy_torch.KERNELS


def _torch_lanes() -> dict[str, Callable[..., Array | None]]:
    from . import _torch_express

    return _torch_express.EXPRESS


def _numpy_kernels() -> tuple[dict[str, Native], ...]:
    from . import _linear_cross_entropy_numpy, _numpy

    return _numpy.KERNELS, _linear_cross_entropy_numpy.KERNELS


def _jax_kernels() -> tuple[dict[str, Native], ...]:
    from . import _jax, _linear_cross_entropy_jax

    return _jax.KERNELS, _linear_cross_entropy_jax.KERNELS


#: Each backend's native kernels: a function that imports its modules (``_<library>.py``,
#: ``_linear_cross_entropy_<library>.py``) and returns their ``KERNELS`` mappings; run once,
#: when that library's arrays are first seen (:func:`select` keeps the mappings).
NATIVE_MODULES: dict[str, Callable[[], tuple[dict[str, Native], ...]]] = {
    "torch": _torch_kernels,
    "numpy": _numpy_kernels,
    "jax": _jax_kernels,
}


#: Each backend's express lanes (:func:`express`), loaded like :data:`NATIVE_MODULES`.
EXPRESS_MODULES: dict[str, Callable[[], dict[str, Callable[..., Array | None]]]] = {
    "torch": _torch_lanes,
}


class Kernel:
    """What :func:`select` returns: call it with the kernel's arguments."""

    __slots__ = ("fn", "reduces")

    def __init__(self, fn: Callable[..., Array], reduces: bool = False) -> None:
        self.fn, self.reduces = fn, reduces

    def __call__(self, *args: object) -> Array:
        return self.fn(*args)


#: The ``KERNELS`` mappings of each backend, once loaded (:data:`NATIVE_MODULES`).
_LOADED: dict[str, tuple[dict[str, Native], ...]] = {}


def enabled() -> bool:
    """Whether native kernels are on (``polyloss.options(fast_paths=...)``)."""
    return bool(get_option("fast_paths"))


def _backend(xp: Namespace) -> str | None:
    if compat.is_torch_namespace(xp):
        return "torch"
    if compat.is_numpy_namespace(xp):
        return "numpy"
    if compat.is_jax_namespace(xp):
        return "jax"
    if compat.is_dask_namespace(xp):
        return "dask"
    return None


def select(name: str, xp: Namespace, *args: Array | float | None, reads: bool, checked: bool = True) -> Kernel:
    """The implementation of kernel ``name`` for these arguments (see the module docstring).

    ``reads``: whether this call may read values on the host (else only ``sync_free``
    natives); ``checked``: whether the values were checked (else no ``needs_checked`` native).
    """
    backend = _backend(xp)
    generic, per_row = GENERIC[name]
    on = enabled()
    if on and backend in NATIVE_MODULES:
        mappings = _LOADED.get(backend)
        if mappings is None:
            mappings = _LOADED[backend] = NATIVE_MODULES[backend]()
        native = next((k[name] for k in mappings if name in k), None)
        if (
            native is not None
            and (checked or not native.needs_checked)
            and (reads or native.sync_free or native.takes_reads)
            and native.applies(*args)
        ):
            fn = functools.partial(native.fn, reads=reads) if native.takes_reads else native.fn
            return Kernel(fn, native.reduces)
    fn = functools.partial(generic, xp=xp)
    if on and backend is None and per_row and _nbytes(xp, args[0]) > BLOCK_BYTES_GENERIC:
        return Kernel(by_row_blocks(fn, per_row, xp))
    return Kernel(fn)


#: The express lanes by array type, once looked up (``{}``: a type without lanes).
_EXPRESS: dict[type, dict[str, Callable[..., Array | None]]] = {}


def express(name: str, array: object) -> Callable[..., Array | None] | None:
    """The express lane of public function ``name`` for ``array``'s library, or ``None``
    (none registered, or ``polyloss.options(fast_paths=False)``). The lane itself decides
    whether it takes a call (it returns ``None`` where it does not)."""
    lanes = _EXPRESS.get(type(array))
    if lanes is None:  # the library by the type's module (``torch.Tensor``: "torch"), nothing imported
        library = type(array).__module__.partition(".")[0]
        lanes = _EXPRESS[type(array)] = EXPRESS_MODULES[library]() if library in EXPRESS_MODULES else {}
    lane = lanes.get(name)
    return lane if lane is not None and enabled() else None


def call(name: str, xp: Namespace, *args: Array | float | None, reads: bool) -> Array:
    """The unreduced loss of kernel ``name`` (one that no native fuses with its reduction)."""
    kernel = select(name, xp, *args, reads=reads)
    assert not kernel.reduces, name  # noqa: S101 -- a registry invariant, not input validation
    return kernel(*args)


def _nbytes(xp: Namespace, x: Array) -> int:
    """The bytes of ``x``; 0 when its size is unknown (rows that cannot be counted are one block)."""
    n = size(x)
    return 0 if n is None else n * (xp.finfo(x.dtype).bits // 8)
