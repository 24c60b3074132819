"""Shared fixtures: one ``backend`` fixture parametrised over the array libraries.

The libraries, and how arrays move in and out of them, are the conformance
suite's backends (``conformance/adapters/_backends.py``, listed in
``_backend_table.py``, which noxfile.py reads too).  The backends run are the
installed ones, narrowed by the ``POLYLOSS_BACKEND`` environment variable
(comma-separated) -- the variable each nox ``tests(backend=...)`` session sets.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from conformance.adapters import BACKENDS, TABLE, get_backend
from conformance.adapters import Backend as ConformanceBackend

ALL_BACKENDS = tuple(TABLE)


#: The golden cases a test session runs in-process, per backend (all of them where absent).
#: JAX compiles every operation for every new shape (about 0.3-1 s per case) and Dask
#: builds and computes a graph per case (about 200 s for every case, per worker that
#: asks), so the test suite runs their "basic" and "extreme" float32 cases (152, every
#: function) -- ``python -m conformance``, the main job that CI runs too, runs all 1674
#: on both.
CONFORMANCE_SELECTION: dict[str, dict] = {
    "jax": {"dtypes": ["float32"], "tags": ["basic", "extreme"]},
    "dask": {"dtypes": ["float32"], "tags": ["basic", "extreme"]},
}


def selected_backends() -> list[str]:
    wanted = os.environ.get("POLYLOSS_BACKEND", "")
    names = [n.strip() for n in wanted.split(",") if n.strip()] or list(ALL_BACKENDS)
    unknown = set(names) - set(BACKENDS)
    if unknown:
        raise ValueError(f"POLYLOSS_BACKEND names unknown backends: {sorted(unknown)}")
    return [n for n in names if get_backend(n).unavailable() is None]


@dataclass
class Backend:
    """An array library under test (its conformance backend), with conversions to and from NumPy."""

    name: str
    xp: Any
    impl: ConformanceBackend

    def asarray(self, a: Any, dtype: str | None = None) -> Any:
        a = np.asarray(a)
        dtype = dtype or str(a.dtype)
        if dtype in ("float16", "bfloat16"):
            self.dtype(dtype)  # skip where the library lacks it
        return self.impl.from_numpy(a, dtype)

    def dtype(self, name: str) -> Any:
        """The backend's dtype object; skips (with the reason) where the library has no such dtype."""
        if name in ("float64", "float32", "float16", "bfloat16"):
            why = self.impl.decline_dtype(name)
            if why:
                pytest.skip(why)
        return self.impl.dtype_object(name)

    def numpy(self, x: Any) -> np.ndarray:
        return self.impl.numpy(x)

    def check_result(self, out: Any, dtype_name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Assert namespace, dtype and shape of a polyloss result, then return it as NumPy."""
        import array_api_compat

        assert array_api_compat.array_namespace(out) is self.xp, type(out)
        assert out.dtype == self.dtype(dtype_name), (out.dtype, dtype_name)
        assert tuple(out.shape) == tuple(shape), (out.shape, shape)
        return self.numpy(out)


def make_backend(spec: str) -> Backend:
    """The :class:`Backend` that the ``backend`` fixture gives for ``spec`` (for tests that pick one):
    a backend name, optionally with a device ("array_api_strict:device1").  For JAX it switches
    64-bit types on for the whole session, as the tests need float64."""
    import array_api_compat

    impl = get_backend(spec)
    if impl.name == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)
    return Backend(impl.name, array_api_compat.array_namespace(impl.from_numpy(np.zeros(1), "float64")), impl)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``backend_independent`` run once, where numpy is selected -- not again in
    each backend's nox session, where they would test the same thing again."""
    if "numpy" in selected_backends():
        return
    skip = pytest.mark.skip(reason="backend-independent: runs where numpy is selected (nox tests(backend='numpy'))")
    for item in items:
        if item.get_closest_marker("backend_independent"):
            item.add_marker(skip)


@pytest.fixture(params=selected_backends(), scope="session")
def backend(request: pytest.FixtureRequest) -> Backend:
    return make_backend(request.param)


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
