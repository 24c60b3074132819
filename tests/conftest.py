"""Shared fixtures: one ``backend`` fixture parametrised over the array libraries.

The backends run are the installed ones among ``numpy, torch, array_api_strict,
jax, dask, cupy``, narrowed by the ``POLYLOSS_BACKEND`` environment variable
(comma-separated) -- the variable each nox ``tests(backend=...)`` session sets.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

ALL_BACKENDS = ("numpy", "torch", "array_api_strict", "jax", "dask", "cupy")


def _available(name: str) -> bool:
    try:
        if name == "cupy":
            import cupy

            return cupy.cuda.runtime.getDeviceCount() > 0
        importlib.import_module({"dask": "dask.array"}.get(name, name))
    except Exception:
        return False
    return True


def selected_backends() -> list[str]:
    wanted = os.environ.get("POLYLOSS_BACKEND", "")
    names = [n.strip() for n in wanted.split(",") if n.strip()] or list(ALL_BACKENDS)
    unknown = set(names) - set(ALL_BACKENDS)
    if unknown:
        raise ValueError(f"POLYLOSS_BACKEND names unknown backends: {sorted(unknown)}")
    return [n for n in names if _available(n)]


@dataclass
class Backend:
    """An array library under test, with conversions to and from NumPy."""

    name: str
    xp: Any

    def asarray(self, a: Any, dtype: str | None = None) -> Any:
        a = np.asarray(a)
        dtype = dtype or str(a.dtype)
        if dtype in ("float16", "bfloat16"):
            self.dtype(dtype)  # skip where the library lacks it
        if self.name == "torch":
            import torch

            return torch.asarray(a.astype("float32") if dtype == "bfloat16" else a).to(getattr(torch, dtype))
        if self.name == "jax":
            import jax.numpy as jnp

            return jnp.asarray(a, dtype=getattr(jnp, dtype))
        if self.name == "dask":
            import dask.array as da

            return da.from_array(a.astype(dtype), chunks=tuple(max(1, (s + 1) // 2) for s in a.shape) or ())
        return self.xp.asarray(a.astype(dtype))

    def dtype(self, name: str) -> Any:
        """The backend's dtype object; skips (with the reason) where the library has no such dtype."""
        if name == "bfloat16" and self.name not in ("torch", "jax"):
            pytest.skip(f"{self.name} has no bfloat16 dtype")
        if name == "float16" and self.name == "array_api_strict":
            pytest.skip("array-api-strict has no float16 (the standard does not define it)")
        if self.name == "dask":
            return np.dtype(name)
        if self.name in ("torch", "jax"):
            return getattr(importlib.import_module("torch" if self.name == "torch" else "jax.numpy"), name)
        return getattr(self.xp, name)

    def numpy(self, x: Any) -> np.ndarray:
        if self.name == "torch":
            import torch

            x = x.detach()
            return (x.float() if x.dtype == torch.bfloat16 else x).cpu().numpy()
        if self.name == "dask":
            return np.asarray(x.compute())
        if self.name == "cupy":
            return x.get()
        if self.name == "array_api_strict":
            return np.asarray(x._array)
        if self.name == "jax":
            return np.asarray(x.astype("float32") if str(x.dtype) == "bfloat16" else x)
        return np.asarray(x)

    def check_result(self, out: Any, dtype_name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Assert namespace, dtype and shape of a polyloss result, then return it as NumPy."""
        import array_api_compat

        assert array_api_compat.array_namespace(out) is self.xp, type(out)
        assert out.dtype == self.dtype(dtype_name), (out.dtype, dtype_name)
        assert tuple(out.shape) == tuple(shape), (out.shape, shape)
        return self.numpy(out)


def _namespace(name: str) -> Any:
    import array_api_compat

    if name == "dask":
        return array_api_compat.array_namespace(importlib.import_module("dask.array").zeros(1))
    if name == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)
        return array_api_compat.array_namespace(importlib.import_module("jax.numpy").zeros(1))
    mod = importlib.import_module(name)
    return array_api_compat.array_namespace(mod.asarray([0.0]))


def make_backend(name: str) -> Backend:
    """The :class:`Backend` that the ``backend`` fixture gives for ``name`` (for tests that pick one)."""
    return Backend(name, _namespace(name))


@pytest.fixture(params=selected_backends(), scope="session")
def backend(request: pytest.FixtureRequest) -> Backend:
    return Backend(request.param, _namespace(request.param))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261125)


# -- Hypothesis profiles: "ci" (derandomised, the default) and "dev" (more examples) --------
# Select with HYPOTHESIS_PROFILE=dev; "ci" is used when CI is set or nothing is asked for.
try:
    from hypothesis import HealthCheck, settings
except ImportError:  # hypothesis is only a test dependency of the property tests
    pass
else:
    _quiet = [HealthCheck.too_slow, HealthCheck.differing_executors]
    settings.register_profile("ci", derandomize=True, max_examples=40, deadline=None,
                              suppress_health_check=_quiet, print_blob=True)
    settings.register_profile("dev", max_examples=400, deadline=None, suppress_health_check=_quiet)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "ci")
