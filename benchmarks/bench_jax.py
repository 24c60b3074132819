"""JAX: polyloss under jax.jit against optax and jax.nn formulations under jit."""

from __future__ import annotations

import pytest

from conftest import measure, selected

if not selected("jax"):
    pytest.skip("jax not selected (POLYLOSS_BACKEND)", allow_module_level=True)
jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import polyloss as pl  # noqa: E402

CE_SHAPES = [(4096, 32000), (65536, 10), (32, 10)]
BCE_SHAPES = [(4 * 1024 * 1024,), (32,)]


def _generic(f):
    def run(*args, **kw):
        with pl.options(fast_paths=False):
            return f(*args, **kw)

    return run


def optax_ce(x, t):
    return optax.softmax_cross_entropy_with_integer_labels(x, t).mean()


def jax_nn_ce(x, t):
    return -jnp.take_along_axis(jax.nn.log_softmax(x, axis=1), t[:, None], axis=1).mean()


CE_IMPLS = {
    "polyloss": ("subject", pl.cross_entropy),
    "optax": ("peer", optax_ce),
    "jax.nn.log_softmax": ("other", jax_nn_ce),
    "polyloss-generic": ("reference", _generic(pl.cross_entropy)),
}
BCE_IMPLS = {
    "polyloss": ("subject", pl.binary_cross_entropy_with_logits),
    "optax": ("peer", lambda z, y: optax.sigmoid_binary_cross_entropy(z, y).mean()),
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
            cache[shape] = (jnp.asarray(rng.standard_normal(shape, dtype=np.float32)),
                            jnp.asarray(rng.integers(0, shape[1], shape[0]).astype(np.int32)))
        return cache[shape]

    return get


@pytest.mark.parametrize("shape", CE_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("impl", list(CE_IMPLS))
@pytest.mark.parametrize("mode", ["fwd", "fwd+bwd"])
def test_cross_entropy_jit(benchmark, ce_data, impl, shape, mode):
    if mode == "fwd+bwd" and impl == "polyloss-generic" and shape == (4096, 32000):
        pytest.skip("the generic gradient at (4096, 32000) takes seconds per round")
    role, f = CE_IMPLS[impl]
    x, t = ce_data(shape)
    g = jax.jit(f if mode == "fwd" else jax.grad(f))
    g(x, t).block_until_ready()  # compile outside the timing
    measure(benchmark, lambda: g(x, t).block_until_ready(), backend="jax", loss="cross_entropy", measure=mode,
            shape=shape, impl=impl, role=role, heavy=_heavy(shape))


@pytest.mark.parametrize("shape", BCE_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("impl", list(BCE_IMPLS))
def test_bce_with_logits_jit(benchmark, impl, shape):
    role, f = BCE_IMPLS[impl]
    rng = np.random.default_rng(0)
    z = jnp.asarray((rng.standard_normal(shape) * 3).astype(np.float32))
    y = jnp.asarray(rng.random(shape, dtype=np.float32))
    g = jax.jit(f)
    g(z, y).block_until_ready()
    measure(benchmark, lambda: g(z, y).block_until_ready(), backend="jax", loss="binary_cross_entropy_with_logits",
            measure="fwd", shape=shape, impl=impl, role=role, heavy=_heavy(shape))


# -- linear cross entropy: the logits never formed ------------------------------------------

LCE_SHAPE = (2048, 128, 32000)  # tokens, hidden, vocabulary (issue 16)
LCE_IMPLS = {
    "polyloss": ("subject", pl.linear_cross_entropy),
    "h @ W.T + cross_entropy": ("peer", lambda h, w, t: pl.cross_entropy(h @ w.T, t)),
    "h @ W.T + optax": ("other", lambda h, w, t: optax_ce(h @ w.T, t)),
}


def _lce_jitted(impl):
    n, d, v = LCE_SHAPE
    rng = np.random.default_rng(0)
    args = (jnp.asarray(rng.standard_normal((n, d), dtype=np.float32)),
            jnp.asarray(rng.standard_normal((v, d), dtype=np.float32) * 0.05),
            jnp.asarray(rng.integers(0, v, n).astype(np.int32)))
    return jax.jit(jax.value_and_grad(LCE_IMPLS[impl][1], argnums=(0, 1))), args


@pytest.mark.parametrize("impl", list(LCE_IMPLS))
def test_linear_cross_entropy_jit(benchmark, impl):
    g, args = _lce_jitted(impl)
    jax.block_until_ready(g(*args))  # compile outside the timing
    measure(benchmark, lambda: jax.block_until_ready(g(*args)), backend="jax", loss="linear_cross_entropy",
            measure="fwd+bwd", shape=LCE_SHAPE, impl=impl, role=LCE_IMPLS[impl][0], heavy=True)


@pytest.mark.parametrize("impl", list(LCE_IMPLS))
def test_linear_cross_entropy_compiled_memory(benchmark, impl):
    """XLA's compiled temporaries of the jitted value_and_grad (memory_analysis), against the logits' size."""
    g, args = _lce_jitted(impl)
    stats = g.lower(*args).compile().memory_analysis()
    n, _, v = LCE_SHAPE
    benchmark.group = "jax | linear_cross_entropy memory | " + "x".join(map(str, LCE_SHAPE))
    benchmark.extra_info.update(backend="jax", loss="linear_cross_entropy", measure="memory", shape=list(LCE_SHAPE),
                                elements=n * v, impl=impl, role=LCE_IMPLS[impl][0],
                                peak_bytes=stats.temp_size_in_bytes, logits_bytes=n * v * 4)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
