"""NumPy: polyloss against the plain NumPy formulations and scipy.special.logsumexp."""

from __future__ import annotations

import tracemalloc

import pytest

from conftest import measure, selected

if not selected("numpy"):
    pytest.skip("numpy not selected (POLYLOSS_BACKEND)", allow_module_level=True)
np = pytest.importorskip("numpy")

import polyloss as pl  # noqa: E402

CE_SHAPES = [(4096, 32000), (65536, 10), (32, 10)]
BCE_SHAPES = [(4 * 1024 * 1024,), (32,)]


def plain_cross_entropy(x, t):
    """The textbook NumPy formulation: max, subtract, exp, sum, log, take_along_axis."""
    m = x.max(axis=1, keepdims=True)
    lse = np.log(np.exp(x - m).sum(axis=1)) + m[:, 0]
    return np.mean(lse - np.take_along_axis(x, t[:, None], axis=1)[:, 0])


def scipy_cross_entropy(x, t):
    from scipy.special import logsumexp

    return np.mean(logsumexp(x, axis=1) - np.take_along_axis(x, t[:, None], axis=1)[:, 0])


def plain_bce_with_logits(z, y):
    """The stable textbook formula: max(z, 0) - z y + log1p(exp(-|z|))."""
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


def _generic(f):
    def run(*args, **kw):
        with pl.options(fast_paths=False):
            return f(*args, **kw)

    return run


CE_IMPLS = {
    "polyloss": ("subject", pl.cross_entropy),
    "numpy-plain": ("peer", plain_cross_entropy),
    "scipy.special.logsumexp": ("other", scipy_cross_entropy),
    "polyloss-generic": ("reference", _generic(pl.cross_entropy)),
}
BCE_IMPLS = {
    "polyloss": ("subject", pl.binary_cross_entropy_with_logits),
    "numpy-plain": ("peer", plain_bce_with_logits),
    "polyloss-generic": ("reference", _generic(pl.binary_cross_entropy_with_logits)),
}


def _heavy(shape):
    n = 1
    for s in shape:
        n *= s
    return n >= 1 << 20


@pytest.fixture(scope="module")
def ce_data():
    cache = {}

    def get(shape):
        if shape not in cache:
            rng = np.random.default_rng(0)
            cache.clear()
            cache[shape] = (rng.standard_normal(shape, dtype=np.float32), rng.integers(0, shape[1], shape[0]))
        return cache[shape]

    return get


@pytest.mark.parametrize("shape", CE_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("impl", list(CE_IMPLS))
def test_cross_entropy(benchmark, ce_data, impl, shape):
    role, f = CE_IMPLS[impl]
    x, t = ce_data(shape)
    measure(benchmark, lambda: f(x, t), backend="numpy", loss="cross_entropy", measure="fwd",
            shape=shape, impl=impl, role=role, heavy=_heavy(shape))


@pytest.mark.parametrize("shape", BCE_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("impl", list(BCE_IMPLS))
def test_bce_with_logits(benchmark, impl, shape):
    role, f = BCE_IMPLS[impl]
    rng = np.random.default_rng(0)
    z = (rng.standard_normal(shape) * 3).astype(np.float32)
    y = rng.random(shape, dtype=np.float32)
    measure(benchmark, lambda: f(z, y), backend="numpy", loss="binary_cross_entropy_with_logits", measure="fwd",
            shape=shape, impl=impl, role=role, heavy=_heavy(shape))


@pytest.mark.parametrize("impl", ["polyloss", "numpy-plain", "polyloss-generic"])
def test_cross_entropy_peak_memory(benchmark, ce_data, impl):
    """Peak memory above the input (tracemalloc), recorded in extra_info; timed once."""
    role, f = CE_IMPLS[impl]
    shape = (4096, 32000)
    x, t = ce_data(shape)
    f(x, t)  # per-thread scratch buffers, if any, exist from here on
    tracemalloc.start()
    try:
        f(x, t)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    benchmark.extra_info.update(peak_bytes=peak, input_bytes=x.nbytes, peak_over_input=peak / x.nbytes)
    benchmark.group = "numpy | cross_entropy memory | 4096x32000"
    benchmark.extra_info.update(backend="numpy", loss="cross_entropy", measure="memory", shape=list(shape),
                                elements=x.size, impl=impl, role=role)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)


# -- linear cross entropy: the logits never formed ------------------------------------------

LCE_SHAPE = (2048, 128, 32000)  # tokens, hidden, vocabulary (issue 16)
LCE_IMPLS = {
    "polyloss": ("subject", pl.linear_cross_entropy),
    "h @ W.T + cross_entropy": ("peer", lambda h, w, t: pl.cross_entropy(h @ w.T, t)),
}


@pytest.fixture(scope="module")
def lce_data():
    rng = np.random.default_rng(0)
    n, d, v = LCE_SHAPE
    return (rng.standard_normal((n, d), dtype=np.float32), rng.standard_normal((v, d), dtype=np.float32) * 0.05,
            rng.integers(0, v, n))


@pytest.mark.parametrize("impl", list(LCE_IMPLS))
def test_linear_cross_entropy(benchmark, lce_data, impl):
    role, f = LCE_IMPLS[impl]
    measure(benchmark, lambda: f(*lce_data), backend="numpy", loss="linear_cross_entropy", measure="fwd",
            shape=LCE_SHAPE, impl=impl, role=role, heavy=True)


@pytest.mark.parametrize("impl", list(LCE_IMPLS))
def test_linear_cross_entropy_peak_memory(benchmark, lce_data, impl):
    """tracemalloc's peak of one forward, against the size of the (tokens, V) float32 logits."""
    role, f = LCE_IMPLS[impl]
    f(*lce_data)
    tracemalloc.start()
    try:
        f(*lce_data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    n, _, v = LCE_SHAPE
    benchmark.group = "numpy | linear_cross_entropy memory | " + "x".join(map(str, LCE_SHAPE))
    benchmark.extra_info.update(backend="numpy", loss="linear_cross_entropy", measure="memory", shape=list(LCE_SHAPE),
                                elements=n * v, impl=impl, role=role, peak_bytes=peak, logits_bytes=n * v * 4)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
