"""Array libraries: building a case's exact inputs, reading results back,
and (where the library has it) automatic differentiation.

Every library is imported lazily, so an adapter for a library that is not
installed can be built, reports itself unavailable, and declines its cases.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

from .._cases import ArrayData

__all__ = ["BACKENDS", "Backend", "get_backend"]


class Backend:
    """Base class: one array library (optionally on one device)."""

    name = "?"
    module = "?"
    dtypes: tuple[str, ...] = ("float64", "float32", "float16", "bfloat16")
    autograd = False

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
        (float32). Probed once per dtype by halving the smallest normal number."""
        if dtype == "bfloat16":  # computed in float32, whose subnormal range it shares
            return self.flushes_subnormals("float32")
        if dtype not in self._ftz:
            if dtype not in ("float32", "float64"):
                self._ftz[dtype] = False  # float16's subnormals are normal float32 numbers
            else:
                tiny = float(np.finfo(dtype).tiny)
                x = self.asarray(ArrayData(dtype, (1,), (tiny.hex(),)))
                half = self.call(lambda a: a * 0.5, [x], {})
                self._ftz[dtype] = float(self.to_numpy(half).reshape(-1)[0]) == 0.0
        return self._ftz[dtype]

    # -- conversions ---------------------------------------------------------------------
    def asarray(self, data: ArrayData) -> Any:
        raise NotImplementedError

    def is_native(self, x: Any) -> bool:
        raise NotImplementedError

    def dtype_name(self, x: Any) -> str | None:
        dt = getattr(x, "dtype", None)
        return None if dt is None else str(dt).rsplit(".", 1)[-1]

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(x).astype(np.float64)

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
    name = module = "numpy"
    dtypes = ("float64", "float32", "float16")

    def asarray(self, data: ArrayData) -> Any:
        arr = data.numpy()
        return arr if data.is_int else arr.astype(data.dtype)

    def is_native(self, x: Any) -> bool:
        return isinstance(x, (np.ndarray, np.generic))


class StrictBackend(Backend):
    name = "array_api_strict"
    module = "array_api_strict"
    dtypes = ("float64", "float32")

    def _xp(self):
        return importlib.import_module("array_api_strict")

    def _device(self):
        xp = self._xp()
        if self.device is None:
            return None
        return xp.Device(self.device)

    def asarray(self, data: ArrayData) -> Any:
        xp = self._xp()
        arr = data.numpy()
        dt = getattr(xp, data.dtype)
        return xp.asarray(arr if data.is_int else arr.astype(data.dtype), dtype=dt, device=self._device())

    def is_native(self, x: Any) -> bool:
        return isinstance(x, type(self._xp().asarray(0.0)))

    def device_of(self, x: Any) -> Any:
        return getattr(x, "device", None)

    def to_numpy(self, x: Any) -> np.ndarray:
        xp = self._xp()
        if self.is_native(x) and self.device is not None:
            x = xp.asarray(x, device=xp.Device("CPU_DEVICE"), copy=True)
        return np.asarray(x).astype(np.float64)


class TorchBackend(Backend):
    name = module = "torch"
    autograd = True

    def unavailable(self) -> str | None:
        why = super().unavailable()
        if why is None and self.device is not None and self.device.startswith("cuda"):
            import torch

            if not torch.cuda.is_available():
                return f"torch has no CUDA device for {self.device}"
        return why

    def asarray(self, data: ArrayData) -> Any:
        import torch

        arr = data.numpy()
        t = torch.from_numpy(arr)  # float64 or int64: exact
        if not data.is_int:
            t = t.to(getattr(torch, data.dtype))
        return t.to(self.device) if self.device is not None else t

    def is_native(self, x: Any) -> bool:
        import torch

        return isinstance(x, torch.Tensor)

    def device_of(self, x: Any) -> Any:
        return getattr(x, "device", None)

    def dtype_name(self, x: Any) -> str | None:
        dt = getattr(x, "dtype", None)
        return None if dt is None else str(dt).removeprefix("torch.")

    def to_numpy(self, x: Any) -> np.ndarray:
        import torch

        if isinstance(x, torch.Tensor):
            return x.detach().to("cpu", torch.float64).numpy()
        return np.asarray(x, dtype=np.float64)

    def grad(self, fn, args, kwargs, cotangent):
        import torch

        x = args[0].detach().clone().requires_grad_(True)
        y = fn(x, *args[1:], **kwargs)
        cot = torch.ones_like(y) if cotangent is None else cotangent
        (g,) = torch.autograd.grad(y, x, grad_outputs=cot)
        return g


class JaxBackend(Backend):
    name = "jax"
    module = "jax"
    autograd = True
    def _x64(self):
        import jax

        return jax.enable_x64(True)

    def asarray(self, data: ArrayData) -> Any:
        import jax
        import jax.numpy as jnp

        arr = data.numpy()
        with self._x64():
            out = jnp.asarray(arr, dtype=jnp.int64 if data.is_int else getattr(jnp, data.dtype))
            if self.device is not None:
                out = jax.device_put(out, jax.devices(self.device)[0])
        return out

    def is_native(self, x: Any) -> bool:
        import jax

        return isinstance(x, jax.Array)

    def call(self, fn, args, kwargs):
        with self._x64():
            return fn(*args, **kwargs)

    def grad(self, fn, args, kwargs, cotangent):
        import jax
        import jax.numpy as jnp

        with self._x64():
            y, vjp = jax.vjp(lambda x: fn(x, *args[1:], **kwargs), args[0])
            (g,) = vjp(jnp.ones_like(y) if cotangent is None else cotangent)
        return g


class DaskBackend(Backend):
    """Dask arrays in several chunks; a result that is not lazy, or a call that
    computes part of the graph before returning, breaks the contract."""

    name = "dask"
    module = "dask.array"
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

    def asarray(self, data: ArrayData) -> Any:
        import dask.array as da

        arr = data.numpy()
        if not data.is_int:
            arr = arr.astype(data.dtype)
        # more than one chunk along the leading axis, so reductions really combine chunks
        chunks = tuple(max(1, (s + 1) // 2) for s in arr.shape)
        return da.from_array(arr, chunks=chunks or ())

    def is_native(self, x: Any) -> bool:
        import dask.array as da

        return isinstance(x, da.Array)

    def to_numpy(self, x: Any) -> np.ndarray:
        import dask.array as da

        if isinstance(x, da.Array):
            x = x.compute(scheduler="synchronous")  # deterministic, and less overhead for tiny graphs
        return np.asarray(x).astype(np.float64)


class CupyBackend(Backend):
    name = module = "cupy"
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

    def asarray(self, data: ArrayData) -> Any:
        import cupy

        arr = data.numpy()
        return cupy.asarray(arr if data.is_int else arr.astype(data.dtype))

    def is_native(self, x: Any) -> bool:
        import cupy

        return isinstance(x, cupy.ndarray)

    def device_of(self, x: Any) -> Any:
        return getattr(x, "device", None)

    def to_numpy(self, x: Any) -> np.ndarray:
        import cupy

        return cupy.asnumpy(x).astype(np.float64) if isinstance(x, cupy.ndarray) else np.asarray(x, np.float64)


BACKENDS: dict[str, type[Backend]] = {
    "numpy": NumpyBackend,
    "torch": TorchBackend,
    "array_api_strict": StrictBackend,
    "jax": JaxBackend,
    "dask": DaskBackend,
    "cupy": CupyBackend,
}


def get_backend(spec: str | Backend) -> Backend:
    """A backend from its name, optionally with a device: "torch", "torch:cuda", "array_api_strict:device1"."""
    if isinstance(spec, Backend):
        return spec
    name, _, device = spec.partition(":")
    if name not in BACKENDS:
        msg = f"unknown backend {name!r}; known: {list(BACKENDS)}"
        raise ValueError(msg)
    return BACKENDS[name](device or None)
