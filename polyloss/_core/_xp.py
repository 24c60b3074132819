"""Array-namespace plumbing shared by every loss: one place for namespace, dtype and device."""

from __future__ import annotations

import math
import numbers
import sys
from typing import Any

import array_api_compat as compat

from ._types import Array, Namespace

__all__ = ["namespace", "known", "size", "is_empty", "may_equal", "shapes_match", "row_numbers", "is_concrete", "on_host_eager", "constant_under_trace", "compute_dtype", "to", "finish", "device", "min_max", "scalar"]

device = compat.device


def namespace(*, optional: tuple[str, ...] = (), **arrays: Array | None) -> Namespace:
    """The array namespace shared by the named ``arrays`` (the caller's argument names).

    ``None`` is accepted only for the names in ``optional`` (``weight=None``). Raises
    ``TypeError`` naming the argument when one is not an array, and naming the
    libraries involved when the arrays come from different array libraries.
    """
    torch = sys.modules.get("torch")
    if torch is not None and _plain_torch(torch, arrays, optional):
        import array_api_compat.torch as xp_torch  # the common case, without array_namespace

        return xp_torch
    present = {}
    for name, a in arrays.items():
        if a is None:
            if name not in optional:
                msg = f"`{name}` must be an array; got None"
                raise TypeError(msg)
            continue
        if not compat.is_array_api_obj(a):
            msg = (
                f"`{name}` must be an array of an array-API library "
                f"(NumPy, PyTorch, JAX, CuPy, Dask, array-api-strict, ndonnx); got {_type_name(a)}"
            )
            raise TypeError(msg)
        present[name] = a
    try:
        return compat.array_namespace(*present.values())
    except TypeError:
        kinds = ", ".join(f"`{name}` a {_type_name(a)}" for name, a in present.items())
        msg = f"all arrays in one call must come from the same array library; got {kinds}"
        raise TypeError(msg) from None


def _plain_torch(torch: Any, arrays: dict[str, Array | None], optional: tuple[str, ...]) -> bool:
    """Whether every argument is a plain torch tensor (exactly ``Tensor`` or ``Parameter``:
    a subclass may bring its own namespace) or an optional ``None``, and one is a tensor."""
    seen = False
    for name, a in arrays.items():
        if a is None:
            if name not in optional:
                return False
        elif type(a) is torch.Tensor or type(a) is torch.nn.Parameter:
            seen = True
        else:
            return False
    return seen


# -- shapes with unknown entries ---------------------------------------------------------
# The standard lets a shape entry be ``None`` (not known until the data is: ndonnx graph
# inputs); Dask reports ``nan`` after a data-dependent operation (``x[mask]``); traces give
# symbolic sizes (``jax.export``'s dimension variables, ``torch.compile(dynamic=True)``'s
# SymInts). Static checks compare only what can be compared, and no Python arithmetic runs
# on a size that is not a concrete integer.


def known(n: Any) -> bool:
    """Whether the shape entry ``n`` is a concrete size, which Python may compute with: not
    ``None``, not ``nan``, not a symbolic dimension."""
    return isinstance(n, numbers.Integral)


def size(x: Array) -> int | None:
    """The number of elements of ``x``; ``None`` when an entry of its shape is not known."""
    shape = tuple(x.shape)
    return math.prod(shape) if all(known(n) for n in shape) else None


def is_empty(x: Array) -> bool:
    """Whether ``x`` is known to have no element (a known 0 in its shape)."""
    return any(known(n) and n == 0 for n in x.shape)


def may_equal(a: Any, b: Any) -> bool:
    """Whether two shape entries may be equal: equal, or one of them ``None`` / ``nan`` (then
    the data decides). Symbolic sizes compare as their library decides."""
    return _unknown(a) or _unknown(b) or bool(a == b)


def _unknown(n: Any) -> bool:
    return n is None or (isinstance(n, float) and math.isnan(n))


def shapes_match(shape: tuple[Any, ...], expected: tuple[Any, ...]) -> bool:
    """Whether ``shape`` may equal ``expected``: the same length, and :func:`may_equal` entries."""
    return len(shape) == len(expected) and all(may_equal(a, b) for a, b in zip(shape, expected))


def row_numbers(xp: Namespace, x: Array) -> Array:
    """``arange(x.shape[0])`` (the indexing dtype), also when that length is unknown: then
    counted from the data (a cumulative sum of ones)."""
    index_dtype = xp.__array_namespace_info__().default_dtypes(device=device(x))["indexing"]
    if known(x.shape[0]):
        return xp.arange(x.shape[0], dtype=index_dtype, device=device(x))
    first = x[(slice(None),) + (0,) * (x.ndim - 1)]
    return xp.cumulative_sum(xp.ones_like(first, dtype=index_dtype)) - 1


def _type_name(a: Any) -> str:
    t = type(a)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__.split('.')[0]}.{t.__name__}"


def is_concrete(*arrays: Array | None) -> bool:
    """True when the values of every array can be inspected now.

    False for JAX tracers (inside ``jit``/``grad``), Dask arrays (lazy), symbolic
    ndonnx arrays (graph inputs, and what is computed from them) and PyTorch ``meta``
    tensors: data-dependent checks are deferred for those. Eager ndonnx arrays (built
    from values: onnxruntime has computed them) are concrete.
    """
    torch = sys.modules.get("torch")
    for a in arrays:
        if a is None:
            continue
        if torch is not None and isinstance(a, torch.Tensor):  # the common case first: cheap
            if a.device.type == "meta":
                return False
            continue
        if compat.is_jax_array(a):
            import jax  # already imported: ``a`` is a JAX array

            if isinstance(a, jax.core.Tracer):
                return False
            continue  # an eager JAX array has concrete values
        if compat.is_ndonnx_array(a):
            if not _has_values(a):
                return False
            continue
        if compat.is_lazy_array(a):
            return False
    return True


def on_host_eager(*arrays: Array | None) -> bool:
    """True when every array lives in host memory and no transform is tracing the call.

    Reading such values costs no device sync and breaks no trace: the ``"auto"`` value
    checks read them. False for accelerator data (torch CUDA/MPS/XPU tensors, CuPy
    arrays, JAX arrays on a GPU or TPU), under ``torch.compile`` and ``torch.func``
    transforms, and for what :func:`is_concrete` rejects (JAX tracers, Dask, meta tensors).
    """
    torch = sys.modules.get("torch")
    tensor = None if torch is None else torch.Tensor
    transforms_checked = False
    for a in arrays:
        if a is None:
            continue
        if tensor is not None and isinstance(a, tensor):
            if not a.is_cpu:  # cuda, mps, xpu, meta, ...
                return False
            if not transforms_checked:
                if torch.compiler.is_compiling() or torch._C._are_functorch_transforms_active():
                    return False
                transforms_checked = True
            continue
        if compat.is_jax_array(a):
            import jax  # already imported: ``a`` is a JAX array

            if isinstance(a, jax.core.Tracer) or any(d.platform != "cpu" for d in a.devices()):
                return False
            continue
        if compat.is_ndonnx_array(a):
            if not _has_values(a):
                return False
            continue
        if compat.is_cupy_array(a) or compat.is_lazy_array(a):
            return False
    return True


def _has_values(a: Array) -> bool:
    """Whether an ndonnx array carries values (eager) rather than only a graph (symbolic)."""
    try:
        a.unwrap_numpy()
    except ValueError:
        return False
    return True


def constant_under_trace(fn: Any) -> Any:
    """Mark ``fn`` (a pure function of Python values: options, bin edges) as evaluated once
    while ``torch.compile`` traces, its result a constant of the graph.

    What ``torch.compiler.assume_constant_result(fn)`` does (it sets this attribute), without
    importing torch. Dynamo cannot trace some of what such functions do (``ContextVar.get``,
    ``fractions``); the result is fixed for that compiled graph.
    """
    fn._dynamo_marked_constant = True
    return fn


def scalar(x: Array) -> float | int | bool:
    """The Python value of a 0-d concrete array: ``item()`` where there is one (torch's does
    not warn for a tensor that requires grad, as ``float()`` does), else ``float()``."""
    item = getattr(x, "item", None)
    return item() if item is not None else float(x)


def min_max(xp: Namespace, x: Array) -> tuple[Array, Array]:
    """``(min(x), max(x))``: torch's ``aminmax`` for a small tensor (what costs is the call) and
    for one larger than the caches (one pass over memory instead of two: 0.78 ms for amin +
    amax's 1.16 at 4M float32 on one thread); two reductions otherwise (in cache they are
    faster). Other libraries: two reductions."""
    if compat.is_torch_array(x) and not (1 << 16 < x.numel() < 1 << 20):
        return x.aminmax()
    return xp.min(x), xp.max(x)


def compute_dtype(xp: Namespace, dtype: Any) -> Any:
    """The dtype the math runs in: float16 and bfloat16 are promoted to float32."""
    if xp.finfo(dtype).bits < 32:
        return xp.float32
    return dtype


def to(xp: Namespace, x: Array | None, dtype: Any) -> Array | None:
    """``x`` in ``dtype`` (``None`` stays ``None``); no copy when it already is."""
    return None if x is None else (x if x.dtype == dtype else xp.astype(x, dtype))


def finish(xp: Namespace, out: Array, dtype: Any) -> Array:
    """Cast a result back to the caller's dtype; 0-d results stay arrays (never NumPy scalars)."""
    if out.dtype != dtype:
        out = xp.astype(out, dtype)
    if compat.is_numpy_namespace(xp) and out.ndim == 0:
        # NumPy reductions return NumPy scalars, which NumPy 2 also gives __array_namespace__:
        # asarray makes them 0-d arrays (and returns a 0-d array as it is)
        out = xp.asarray(out)
    return out
