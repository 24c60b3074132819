"""The array backends polyloss supports: the one table of them.

Read by the conformance backends (``_backends.py``), by the test fixtures
(``tests/conftest.py``, through those backends) and by ``noxfile.py``, which
loads this file by path: it must import nothing.

name -> ``extra``: the polyloss-xp optional dependency that installs the library;
``module``: what to import to use it; ``device``: "cpu", or "gpu" when it needs
a CUDA device (no CI session runs it without one).  Order is the order of the
nox sessions and of the test parametrisation.
"""

TABLE: dict[str, dict[str, str]] = {
    "numpy": {"extra": "numpy", "module": "numpy", "device": "cpu"},
    "torch": {"extra": "torch", "module": "torch", "device": "cpu"},
    "array_api_strict": {"extra": "strict", "module": "array_api_strict", "device": "cpu"},
    "jax": {"extra": "jax", "module": "jax", "device": "cpu"},
    "dask": {"extra": "dask", "module": "dask.array", "device": "cpu"},
    "cupy": {"extra": "cupy", "module": "cupy", "device": "gpu"},
}
