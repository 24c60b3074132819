"""Array-namespace plumbing shared by every loss: one place for namespace, dtype and device."""

from __future__ import annotations

from typing import Any

import array_api_compat as compat

__all__ = ["namespace", "is_concrete", "compute_dtype", "finish", "device"]

device = compat.device


def namespace(*arrays: Any, xp: Any = None) -> Any:
    """Return the array namespace shared by ``arrays`` (``None`` entries are skipped).

    Raises ``TypeError`` naming the libraries involved when the arrays come from
    different array libraries, or when an argument is not an array at all.
    """
    if xp is not None:
        return xp
    present = [a for a in arrays if a is not None]
    for a in present:
        if not compat.is_array_api_obj(a):
            msg = (
                "polyloss expects arrays from an array-API library (NumPy, PyTorch, JAX, "
                f"CuPy, Dask, array-api-strict); got {_type_name(a)}"
            )
            raise TypeError(msg)
    try:
        return compat.array_namespace(*present)
    except TypeError:
        kinds = sorted({_type_name(a) for a in present})
        msg = f"all arrays in one call must come from the same array library; got {', '.join(kinds)}"
        raise TypeError(msg) from None


def _type_name(a: Any) -> str:
    t = type(a)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__.split('.')[0]}.{t.__name__}"


def is_concrete(*arrays: Any) -> bool:
    """True when the values of every array can be inspected now.

    False for JAX tracers (inside ``jit``/``grad``), Dask arrays (lazy) and
    PyTorch ``meta`` tensors: data-dependent checks are skipped for those.
    """
    for a in arrays:
        if a is None:
            continue
        if compat.is_jax_array(a):
            import jax  # already imported: ``a`` is a JAX array

            if isinstance(a, jax.core.Tracer):
                return False
            continue  # an eager JAX array has concrete values
        if compat.is_lazy_array(a):
            return False
        if compat.is_torch_array(a) and a.device.type == "meta":
            return False
    return True


def compute_dtype(xp: Any, dtype: Any) -> Any:
    """The dtype the math runs in: float16 and bfloat16 are promoted to float32."""
    if xp.finfo(dtype).bits < 32:
        return xp.float32
    return dtype


def finish(xp: Any, out: Any, dtype: Any) -> Any:
    """Cast a result back to the caller's dtype; 0-d results stay arrays (never NumPy scalars)."""
    if out.dtype != dtype:
        out = xp.astype(out, dtype)
    if compat.is_numpy_namespace(xp) and not hasattr(out, "__array_namespace__"):
        out = xp.asarray(out)
    return out
