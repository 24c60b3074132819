"""Array libraries: building a case's exact inputs, reading results back,
and (where the library has it) automatic differentiation.

Every library is imported lazily (NumPy too), so an adapter for a library that
is not installed can be built, reports itself unavailable, and declines its
cases.  The list of libraries is ``_backend_table.TABLE``; another library is
added with :func:`register_backend` (see its docstring).
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._cases import ArrayData
from ._backend_table import TABLE

if TYPE_CHECKING:
    import numpy as np

__all__ = ["BACKENDS", "Backend", "get_backend", "register_backend"]


class Backend:
    """Base class: one array library (optionally on one device).

    A subclass sets ``name`` and ``module`` (imported to tell whether the library is
    installed), ``dtypes`` (the floating dtypes it has) and ``autograd``, and
    implements :meth:`from_numpy` and :meth:`is_native` (plus :meth:`numpy` when
    ``numpy.asarray`` cannot read its arrays, :meth:`grad` when it differentiates).
    ``flushes_subnormals_dtypes`` declares the dtypes whose subnormal results the
    library flushes to zero; left at None, :meth:`flushes_subnormals` probes.
    """

    name = "?"
    module = "?"
    dtypes: tuple[str, ...] = ("float64", "float32", "float16", "bfloat16")
    autograd = False
    flushes_subnormals_dtypes: tuple[str, ...] | None = None

    def __init__(self, device: str | None = None) -> None:
        self.device = device
        self._why: list[str | None] = []
        self._ftz: dict[str, bool] = {}  # dtype -> flushes subnormals, see flushes_subnormals

    def unavailable_cached(self) -> str | None:
        """:meth:`unavailable`, asked once per backend object."""
        if not self._why:
            self._why.append(self.unavailable())
        return self._why[0]

    @property
    def label(self) -> str:
        return self.name if self.device is None else f"{self.name}:{self.device}"

    def unavailable(self) -> str | None:
        """None when usable, else why not."""
        try:
            importlib.import_module(self.module)
        except Exception as exc:
            return f"{self.name} is not installed ({type(exc).__name__}: {exc})"
        return None

    def version(self) -> str:
        try:
            mod = importlib.import_module(self.module.split(".")[0])
            return str(getattr(mod, "__version__", "?"))
        except Exception:
            return "not installed"

    def decline_dtype(self, dtype: str) -> str | None:
        if dtype not in self.dtypes:
            return f"{self.name} has no {dtype}"
        return None

    def decline_case(self, case: Any) -> str | None:
        """A reason the platform cannot run ``case`` at all (None: it can)."""
        if "subnormal" in case.tags and self.flushes_subnormals(case.dtype):
            return f"{self.label} flushes {case.dtype} subnormals to zero, so subnormal cases cannot pass"
        return None

    def flushes_subnormals(self, dtype: str) -> bool:
        """Whether arithmetic in ``dtype`` flushes subnormal results to zero here: XLA on CPU
        sets the processor's flush-to-zero mode, CuPy compiles its kernels with ``-ftz=true``
        (float32). Declared by ``flushes_subnormals_dtypes``, else probed once per dtype by
        halving the smallest normal number."""
        if self.flushes_subnormals_dtypes is not None:
            return dtype in self.flushes_subnormals_dtypes
        if dtype == "bfloat16":  # computed in float32, whose subnormal range it shares
            return self.flushes_subnormals("float32")
        if dtype not in self._ftz:
            if dtype not in ("float32", "float64"):
                self._ftz[dtype] = False  # float16's subnormals are normal float32 numbers
            else:
                import numpy as np

                tiny = float(np.finfo(dtype).tiny)
                x = self.asarray(ArrayData(dtype, (1,), (tiny.hex(),)))
                half = self.call(lambda a: a * 0.5, [x], {})
                self._ftz[dtype] = float(self.to_numpy(half).reshape(-1)[0]) == 0.0
        return self._ftz[dtype]

    def context(self, case: Any) -> contextlib.AbstractContextManager:
        """Settings the library needs for ``case``, set for the case only (default: none)."""
        return contextlib.nullcontext()

    # -- conversions ---------------------------------------------------------------------
    def asarray(self, data: ArrayData) -> Any:
        """A case's exact array in this library (ints stay int64, floats in their dtype)."""
        arr = data.numpy()
        return self.from_numpy(arr, "int64" if data.is_int else data.dtype)

    def from_numpy(self, arr: np.ndarray, dtype: str) -> Any:
        """``arr`` (any NumPy array) as an array of this library of dtype ``dtype`` (a
        name: "float32", "bfloat16", "int64", "bool", ...), rounded once."""
        raise NotImplementedError

    def is_native(self, x: Any) -> bool:
        raise NotImplementedError

    def dtype_object(self, name: str) -> Any:
        """The library's dtype called ``name``."""
        return getattr(importlib.import_module(self.module), name)

    def dtype_name(self, x: Any) -> str | None:
        dt = getattr(x, "dtype", None)
        return None if dt is None else str(dt).rsplit(".", 1)[-1]

    def numpy(self, x: Any) -> np.ndarray:
        """``x`` as a NumPy array of its own dtype (bfloat16, which NumPy lacks, as float32)."""
        import numpy as np

        return np.asarray(x)

    def to_numpy(self, x: Any) -> np.ndarray:
        """``x`` as a float64 NumPy array (every supported dtype converts exactly)."""
        import numpy as np

        return np.asarray(self.numpy(x), dtype=np.float64)

    def device_of(self, x: Any) -> Any:
        return None

    def check_result(self, x: Any, like: Any) -> list[str]:
        """Contract problems of a result ``x`` computed from the input ``like``."""
        problems = []
        if not self.is_native(x):
            problems.append(f"returned {type(x).__module__}.{type(x).__qualname__}, not a {self.name} array")
        elif self.device_of(like) is not None and str(self.device_of(x)) != str(self.device_of(like)):
            problems.append(f"result on device {self.device_of(x)}, input on {self.device_of(like)}")
        return problems

    # -- autograd ------------------------------------------------------------------------
    def grad(self, fn: Callable, args: list, kwargs: dict, cotangent: Any | None) -> Any:
        """d sum(cotangent * fn(*args, **kwargs)) / d args[0]."""
        msg = f"{self.name} has no automatic differentiation"
        raise NotImplementedError(msg)

    def call(self, fn: Callable, args: list, kwargs: dict) -> Any:
        return fn(*args, **kwargs)

    def info(self) -> dict:
        return {"library": self.name, "version": self.version(), "device": self.device or "default"}


class NumpyBackend(Backend):
    name = "numpy"
    module = TABLE[name]["module"]
    dtypes = ("float64", "float32", "float16")

    def from_numpy(self, arr, dtype):
        return arr.astype(dtype)

    def is_native(self, x: Any) -> bool:
        import numpy as np

        return isinstance(x, (np.ndarray, np.generic))


class StrictBackend(Backend):
    name = "array_api_strict"
    module = TABLE[name]["module"]
    dtypes = ("float64", "float32")

    def _xp(self):
        return importlib.import_module("array_api_strict")

    def _device(self):
        xp = self._xp()
        if self.device is None:
            return None
        return xp.Device(self.device)

    def from_numpy(self, arr, dtype):
        xp = self._xp()
        return xp.asarray(arr.astype(dtype), dtype=getattr(xp, dtype), device=self._device())

    def is_native(self, x: Any) -> bool:
        return isinstance(x, type(self._xp().asarray(0.0)))

    def device_of(self, x: Any) -> Any:
        return getattr(x, "device", None)

    def numpy(self, x: Any) -> np.ndarray:
        import numpy as np

        xp = self._xp()
        cpu = xp.Device("CPU_DEVICE")
        if self.is_native(x) and x.device != cpu:
            x = xp.asarray(x, device=cpu, copy=True)
        return np.asarray(x)


class TorchBackend(Backend):
    name = "torch"
    module = TABLE[name]["module"]
    autograd = True

    def unavailable(self) -> str | None:
        why = super().unavailable()
        if why is None and self.device is not None and self.device.startswith("cuda"):
            import torch

            if not torch.cuda.is_available():
                return f"torch has no CUDA device for {self.device}"
        return why

    def from_numpy(self, arr, dtype):
        import torch

        t = torch.asarray(arr).to(getattr(torch, dtype))  # one rounding, from the NumPy dtype
        return t.to(self.device) if self.device is not None else t

    def is_native(self, x: Any) -> bool:
        import torch

        return isinstance(x, torch.Tensor)

    def device_of(self, x: Any) -> Any:
        return getattr(x, "device", None)

    def dtype_name(self, x: Any) -> str | None:
        dt = getattr(x, "dtype", None)
        return None if dt is None else str(dt).removeprefix("torch.")

    def numpy(self, x: Any) -> np.ndarray:
        import numpy as np
        import torch

        if isinstance(x, torch.Tensor):
            x = x.detach()
            return (x.float() if x.dtype == torch.bfloat16 else x).cpu().numpy()
        return np.asarray(x)

    def grad(self, fn, args, kwargs, cotangent):
        import torch

        x = args[0].detach().clone().requires_grad_(True)
        y = fn(x, *args[1:], **kwargs)
        cot = torch.ones_like(y) if cotangent is None else cotangent
        (g,) = torch.autograd.grad(y, x, grad_outputs=cot)
        return g


class JaxBackend(Backend):
    """JAX.  64-bit types (``jax_enable_x64``) are switched on for the cases with
    float64 arrays only, for the duration of the case (:meth:`context`), and left
    as they were otherwise: other cases run as a default JAX user's code does
    (int64 targets become JAX's default integer, int32)."""

    name = "jax"
    module = TABLE[name]["module"]
    autograd = True

    def context(self, case: Any) -> contextlib.AbstractContextManager:
        import jax

        arrays = [*case.args, *(v for v in case.kwargs.values() if isinstance(v, ArrayData))]
        if case.cotangent is not None:
            arrays.append(case.cotangent)
        if any(a.dtype == "float64" for a in arrays) and not jax.config.jax_enable_x64:
            return jax.enable_x64(True)
        return contextlib.nullcontext()

    def from_numpy(self, arr, dtype):
        import jax
        import jax.numpy as jnp

        if dtype == "int64" and not jax.config.jax_enable_x64:
            dtype = "int32"  # JAX's default integer without 64-bit types
        out = jnp.asarray(arr, dtype=getattr(jnp, dtype))
        if self.device is not None:
            out = jax.device_put(out, jax.devices(self.device)[0])
        return out

    def is_native(self, x: Any) -> bool:
        import jax

        return isinstance(x, jax.Array)

    def dtype_object(self, name: str) -> Any:
        import jax.numpy as jnp

        return getattr(jnp, name)

    def numpy(self, x: Any) -> np.ndarray:
        import numpy as np

        if str(getattr(x, "dtype", "")) == "bfloat16":
            x = x.astype("float32")
        return np.asarray(x)

    def grad(self, fn, args, kwargs, cotangent):
        import jax
        import jax.numpy as jnp

        y, vjp = jax.vjp(lambda x: fn(x, *args[1:], **kwargs), args[0])
        (g,) = vjp(jnp.ones_like(y) if cotangent is None else cotangent)
        return g


class DaskBackend(Backend):
    """Dask arrays in several chunks; a result that is not lazy, or a call that
    computes part of the graph before returning, breaks the contract."""

    name = "dask"
    module = TABLE[name]["module"]
    dtypes = ("float64", "float32", "float16")
    _computes = 0

    def call(self, fn, args, kwargs):
        from dask.callbacks import Callback

        backend = self

        class _Count(Callback):
            def _start(self, dsk):
                backend._computes += 1

        self._computes = 0
        with _Count():
            return fn(*args, **kwargs)

    def check_result(self, x: Any, like: Any) -> list[str]:
        problems = super().check_result(x, like)
        if self._computes:
            problems.append(f"computed the graph {self._computes} time(s) before returning (should stay lazy)")
        return problems

    def version(self) -> str:
        try:
            return importlib.import_module("dask").__version__
        except Exception:
            return "not installed"

    def from_numpy(self, arr, dtype):
        import dask.array as da

        arr = arr.astype(dtype)
        # more than one chunk along every axis of length > 1, so reductions really combine chunks
        chunks = tuple(max(1, (s + 1) // 2) for s in arr.shape)
        return da.from_array(arr, chunks=chunks or ())

    def dtype_object(self, name: str) -> Any:
        import numpy as np

        return np.dtype(name)

    def is_native(self, x: Any) -> bool:
        import dask.array as da

        return isinstance(x, da.Array)

    def numpy(self, x: Any) -> np.ndarray:
        import dask.array as da
        import numpy as np

        if isinstance(x, da.Array):
            x = x.compute(scheduler="synchronous")  # deterministic, and less overhead for tiny graphs
        return np.asarray(x)


class CupyBackend(Backend):
    name = "cupy"
    module = TABLE[name]["module"]
    dtypes = ("float64", "float32", "float16")

    def unavailable(self) -> str | None:
        why = super().unavailable()
        if why is not None:
            return why
        try:
            import cupy

            if cupy.cuda.runtime.getDeviceCount() < 1:
                return "cupy has no CUDA device"
        except Exception as exc:
            return f"cupy has no usable CUDA device ({type(exc).__name__}: {exc})"
        return None

    def from_numpy(self, arr, dtype):
        import cupy

        return cupy.asarray(arr.astype(dtype))

    def is_native(self, x: Any) -> bool:
        import cupy

        return isinstance(x, cupy.ndarray)

    def device_of(self, x: Any) -> Any:
        return getattr(x, "device", None)

    def numpy(self, x: Any) -> np.ndarray:
        import cupy
        import numpy as np

        return cupy.asnumpy(x) if isinstance(x, cupy.ndarray) else np.asarray(x)


class NdonnxBackend(Backend):
    """ndonnx eager arrays: every operation builds an ONNX node and onnxruntime runs it at
    once (value propagation), so the values are readable as NumPy's. Symbolic arrays
    (``ndx.argument``), which have no values, are what an exported loss sees; the tests
    build those themselves."""

    name = "ndonnx"
    module = TABLE[name]["module"]
    dtypes = ("float64", "float32", "float16")

    def from_numpy(self, arr, dtype):
        import ndonnx as ndx

        return ndx.asarray(arr.astype(dtype))

    def is_native(self, x: Any) -> bool:
        import ndonnx as ndx

        return isinstance(x, ndx.Array)

    def dtype_object(self, name: str) -> Any:
        import ndonnx as ndx

        return getattr(ndx, name)

    def numpy(self, x: Any) -> np.ndarray:
        import ndonnx as ndx
        import numpy as np

        return x.unwrap_numpy() if isinstance(x, ndx.Array) else np.asarray(x)


_CLASSES = {cls.name: cls for cls in (NumpyBackend, TorchBackend, StrictBackend, JaxBackend, DaskBackend, CupyBackend, NdonnxBackend)}
#: name -> class of every backend: those of ``TABLE`` in its order, then the registered ones.
BACKENDS: dict[str, type[Backend]] = {name: _CLASSES[name] for name in TABLE}


def register_backend(cls: type[Backend]) -> type[Backend]:
    """Make ``cls`` (a :class:`Backend` subclass) a backend by its ``name``, for
    ``get_backend``, ``MappingAdapter(fns, name)``, ``--backend`` and
    ``--conformance-backend`` (in the process that registers it).  Usable as a
    class decorator::

        @register_backend
        class MLXBackend(Backend):
            name = module = "mlx"
            dtypes = ("float32", "float16", "bfloat16")   # no float64
            flushes_subnormals_dtypes = ("float32", "bfloat16")  # declared, not probed

            def from_numpy(self, arr, dtype):
                import mlx.core as mx
                return mx.array(arr.astype("float32" if dtype == "bfloat16" else dtype)).astype(getattr(mx, dtype))

            def is_native(self, x):
                import mlx.core as mx
                return isinstance(x, mx.array)
    """
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        msg = f"register_backend needs a subclass of conformance.adapters.Backend, got {cls!r}"
        raise TypeError(msg)
    if not cls.name or cls.name == "?" or ":" in cls.name:
        msg = f"a backend class needs a name without ':' (class attribute name), got {cls.name!r}"
        raise ValueError(msg)
    if cls.name in TABLE and BACKENDS[cls.name] is not cls:
        msg = f"{cls.name!r} is a built-in backend; give the new one another name"
        raise ValueError(msg)
    BACKENDS[cls.name] = cls
    return cls


def get_backend(spec: str | Backend) -> Backend:
    """A backend from its name, optionally with a device: "torch", "torch:cuda", "array_api_strict:device1"."""
    if isinstance(spec, Backend):
        return spec
    name, _, device = spec.partition(":")
    if name not in BACKENDS:
        msg = f"unknown backend {name!r}; known: {list(BACKENDS)}"
        raise ValueError(msg)
    return BACKENDS[name](device or None)
