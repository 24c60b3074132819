"""Array-namespace plumbing shared by every loss: one place for namespace, dtype and device."""

from __future__ import annotations

import sys
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
    if any(a is None for a in arrays) and not _torch_compiling():  # weight=None is fine; input=None is not
        _check_required(sys._getframe(1))
    present = [a for a in arrays if a is not None]
    for a in present:
        if not compat.is_array_api_obj(a):
            msg = (
                f"{_argument_name(a, sys._getframe(1))} must be an array of an array-API library "
                f"(NumPy, PyTorch, JAX, CuPy, Dask, array-api-strict); got {_type_name(a)}"
            )
            raise TypeError(msg)
    try:
        return compat.array_namespace(*present)
    except TypeError:
        frame = sys._getframe(1)
        kinds = ", ".join(f"{_argument_name(a, frame)} a {_type_name(a)}" for a in present)
        msg = f"all arrays in one call must come from the same array library; got {kinds}"
        raise TypeError(msg) from None


# -- naming arguments in errors: read from the calling polyloss functions' frames ----------

_REQUIRED: dict[Any, tuple[str, ...]] = {}  # code object -> its required positional-only parameters


def _polyloss_frames(frame: Any) -> Any:
    """The frames of polyloss functions from ``frame`` outwards (the loss and its helpers)."""
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == "polyloss":
        yield frame
        frame = frame.f_back


def _check_required(frame: Any) -> None:
    """A ``None`` passed for a required array (a positional-only parameter without default)."""
    for f in _polyloss_frames(frame):
        code = f.f_code
        if not code.co_posonlyargcount:
            continue  # a private helper: its public caller is further out
        if code not in _REQUIRED:
            fn = f.f_globals.get(code.co_name)
            n_defaults = len(getattr(fn, "__defaults__", None) or ()) if getattr(fn, "__code__", None) is code else 0
            n_required = min(code.co_posonlyargcount, code.co_argcount - n_defaults)
            _REQUIRED[code] = code.co_varnames[:n_required]
        values = f.f_locals
        for name in _REQUIRED[code]:
            if values.get(name, 0) is None:
                msg = f"`{name}` must be an array; got None"
                raise TypeError(msg)
        return


def _argument_name(a: Any, frame: Any) -> str:
    """```name``` of the parameter holding ``a`` in the calling polyloss function (for errors only)."""
    for f in _polyloss_frames(frame):
        code = f.f_code
        params = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
        values = f.f_locals
        for name in params:
            if values.get(name) is a:
                return f"`{name}`"
    return "an argument"


def _torch_compiling() -> bool:
    """True while torch.compile traces polyloss: dynamo cannot trace ``sys._getframe``."""
    torch = sys.modules.get("torch")
    return torch is not None and torch.compiler.is_compiling()


def _type_name(a: Any) -> str:
    t = type(a)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__.split('.')[0]}.{t.__name__}"


def is_concrete(*arrays: Any) -> bool:
    """True when the values of every array can be inspected now.

    False for JAX tracers (inside ``jit``/``grad``), Dask arrays (lazy) and
    PyTorch ``meta`` tensors: data-dependent checks are skipped for those.
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
        if compat.is_lazy_array(a):
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
    if compat.is_numpy_namespace(xp) and out.ndim == 0:
        # NumPy reductions return NumPy scalars, which NumPy 2 also gives __array_namespace__:
        # asarray makes them 0-d arrays (and returns a 0-d array as it is)
        out = xp.asarray(out)
    return out
