"""The array backends polyloss supports: the one table of them.

Read by the conformance backends (``_backends.py``), by the test fixtures
(``tests/conftest.py``, through those backends) and by ``noxfile.py``, which
loads this file by path: it must import nothing.

name -> ``extra``: the polyloss-xp optional dependency that installs the library;
``module``: what to import to use it; ``device``: "cpu", or "gpu" when it needs
a CUDA device (no CI session runs it without one).  Order is the order of the
nox sessions and of the test parametrisation.

A library too slow for the whole suite in CI says what its sessions run instead, and why:
``tests`` (the pytest arguments of ``nox -s "tests(backend=...)"`` when none are given),
``conformance`` (the arguments of its own ``python -m conformance`` run in ``nox -s
conformance``) and ``bounded`` (the reason, which both sessions print).
"""

TABLE: dict[str, dict[str, str]] = {
    "numpy": {"extra": "numpy", "module": "numpy", "device": "cpu"},
    "torch": {"extra": "torch", "module": "torch", "device": "cpu"},
    "array_api_strict": {"extra": "strict", "module": "array_api_strict", "device": "cpu"},
    "jax": {"extra": "jax", "module": "jax", "device": "cpu"},
    "dask": {"extra": "dask", "module": "dask.array", "device": "cpu"},
    "cupy": {"extra": "cupy", "module": "cupy", "device": "gpu"},
    "ndonnx": {
        "extra": "ndonnx", "module": "ndonnx", "device": "cpu",
        "tests": "tests/test_backends.py tests/test_reduction.py tests/test_docs.py",
        "conformance": "--tag basic --dtype float32",
        "bounded": "eager ndonnx starts one onnxruntime session per ONNX node (a loss call takes "
        "0.3-2 s), so CI runs the per-function table of tests/test_backends.py (every public "
        "function: values, reductions, dtypes, labels, invalid values, symbolic ONNX export), "
        "the reductions' accuracy and overflow tests, the docs examples, and the basic float32 "
        "golden cases",
    },
}
