"""torch: polyloss against torch.nn.functional, forward and forward + backward.

``POLYLOSS_BENCH_DEVICE`` (default ``cpu``) puts the inputs on another device, e.g. ``cuda``:
each timed call then ends with a ``torch.cuda.synchronize()``, and its rows are labelled
``torch:cuda`` (``benchmarks/gpu_checks.py`` runs them on a GPU machine).
"""

from __future__ import annotations

import os

import pytest

from conftest import measure, selected

if not selected("torch"):
    pytest.skip("torch not selected (POLYLOSS_BACKEND)", allow_module_level=True)
torch = pytest.importorskip("torch")
F = torch.nn.functional

import polyloss as pl  # noqa: E402

DEVICE = os.environ.get("POLYLOSS_BENCH_DEVICE", "cpu").strip() or "cpu"
BACKEND = "torch" if DEVICE == "cpu" else f"torch:{DEVICE}"


def _timed(step):
    """``step``, waiting for the device's queue after it (kernels are asynchronous there)."""
    if DEVICE == "cpu":
        return step

    def synced():
        out = step()
        torch.cuda.synchronize()
        return out

    return synced

CE_SHAPES = [(4096, 32000), (65536, 10), (256, 1000), (32, 10)]
BCE_SHAPES = [(4 * 1024 * 1024,), (32,)]


def _generic(f):
    def run(*args, **kw):
        with pl.options(fast_paths=False):
            return f(*args, **kw)

    return run


CE_IMPLS = {
    "polyloss": ("subject", pl.cross_entropy),
    "F.cross_entropy": ("peer", F.cross_entropy),
    "polyloss-generic": ("reference", _generic(pl.cross_entropy)),
}
BCE_IMPLS = {
    "polyloss": ("subject", pl.binary_cross_entropy_with_logits),
    "F.binary_cross_entropy_with_logits": ("peer", F.binary_cross_entropy_with_logits),
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
            g = torch.Generator().manual_seed(0)
            cache.clear()  # one large input alive at a time
            cache[shape] = (torch.randn(shape, generator=g).to(DEVICE),
                            torch.randint(0, shape[1], shape[:1], generator=g).to(DEVICE))
        return cache[shape]

    return get


@pytest.mark.parametrize("shape", CE_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("impl", list(CE_IMPLS))
def test_cross_entropy_forward(benchmark, ce_data, impl, shape):
    role, f = CE_IMPLS[impl]
    x, t = ce_data(shape)
    with torch.no_grad():
        measure(benchmark, _timed(lambda: f(x, t)), backend=BACKEND, loss="cross_entropy", measure="fwd",
                shape=shape, impl=impl, role=role, heavy=_heavy(shape))


@pytest.mark.parametrize("shape", CE_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("impl", list(CE_IMPLS))
def test_cross_entropy_forward_backward(benchmark, ce_data, impl, shape):
    if impl == "polyloss-generic" and shape == (4096, 32000):
        pytest.skip("the generic backward at (4096, 32000) takes tens of seconds per round")
    role, f = CE_IMPLS[impl]
    x0, t = ce_data(shape)
    x = x0.clone().requires_grad_()

    def step():
        f(x, t).backward()
        x.grad = None

    measure(benchmark, _timed(step), backend=BACKEND, loss="cross_entropy", measure="fwd+bwd",
            shape=shape, impl=impl, role=role, heavy=_heavy(shape))


@pytest.mark.parametrize("shape", BCE_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("impl", list(BCE_IMPLS))
@pytest.mark.parametrize("mode", ["fwd", "fwd+bwd"])
def test_bce_with_logits(benchmark, impl, shape, mode):
    role, f = BCE_IMPLS[impl]
    g = torch.Generator().manual_seed(0)
    z = (torch.randn(shape, generator=g) * 3).to(DEVICE)
    y = torch.rand(shape, generator=g).to(DEVICE)
    if mode == "fwd":
        def step():
            with torch.no_grad():
                return f(z, y)
    else:
        z.requires_grad_()

        def step():
            f(z, y).backward()
            z.grad = None

    measure(benchmark, _timed(step), backend=BACKEND, loss="binary_cross_entropy_with_logits", measure=mode,
            shape=shape, impl=impl, role=role, heavy=_heavy(shape))


# -- linear cross entropy: the logits never formed ------------------------------------------

#: tokens, hidden, vocabulary (issue 16); POLYLOSS_BENCH_LCE_TOKENS overrides the tokens where the
#: machine cannot hold the plain composition's ~3 GiB
LCE_SHAPE = (int(os.environ.get("POLYLOSS_BENCH_LCE_TOKENS", "8192")), 256, 32000)


def _plain_linear_ce(h, w, t):
    return F.cross_entropy(F.linear(h, w), t)


LCE_IMPLS = {
    "polyloss": ("subject", pl.linear_cross_entropy),
    "F.linear+F.cross_entropy": ("peer", _plain_linear_ce),
}


def _lce_inputs(n, d, v):
    g = torch.Generator().manual_seed(0)
    return (torch.randn(n, d, generator=g).to(DEVICE), (torch.randn(v, d, generator=g) * 0.05).to(DEVICE),
            torch.randint(0, v, (n,), generator=g).to(DEVICE))


@pytest.mark.parametrize("impl", list(LCE_IMPLS))
def test_linear_cross_entropy_forward_backward(benchmark, impl):
    role, f = LCE_IMPLS[impl]
    h0, w0, t = _lce_inputs(*LCE_SHAPE)
    h, w = h0.requires_grad_(), w0.requires_grad_()

    def step():
        f(h, w, t).backward()
        h.grad = w.grad = None

    measure(benchmark, _timed(step), backend=BACKEND, loss="linear_cross_entropy", measure="fwd+bwd",
            shape=LCE_SHAPE, impl=impl, role=role, heavy=True)


_LCE_MEMORY = """
import torch, torch.nn.functional as F, polyloss as pl
torch.set_num_threads({threads})
def setup():
    g = torch.Generator().manual_seed(0)
    n, d, v = {shape}
    return (torch.randn(n, d, generator=g).requires_grad_(), (torch.randn(v, d, generator=g) * 0.05).requires_grad_(),
            torch.randint(0, v, (n,), generator=g))
def run(state):
    h, w, t = state
    {call}.backward()
    h.grad = w.grad = None
"""
_LCE_CALLS = {"polyloss": "pl.linear_cross_entropy(h, w, t)",
              "F.linear+F.cross_entropy": "F.cross_entropy(F.linear(h, w), t)"}


@pytest.mark.parametrize("impl", list(LCE_IMPLS))
def test_linear_cross_entropy_peak_memory(benchmark, impl):
    """Peak extra resident memory of one fwd+bwd (gradients included), in a fresh process: see
    ``conftest.peak_rss_extra``; recorded in extra_info, not timed."""
    if DEVICE != "cpu":
        pytest.skip(f"the peak resident memory of the host says nothing of {DEVICE}'s memory")
    from conftest import peak_rss_extra

    threads = torch.get_num_threads()
    code = _LCE_MEMORY.format(threads=threads, shape=LCE_SHAPE, call=_LCE_CALLS[impl])
    peak = peak_rss_extra(code, threads)
    n, _, v = LCE_SHAPE
    benchmark.group = "torch | linear_cross_entropy memory | " + "x".join(map(str, LCE_SHAPE))
    benchmark.extra_info.update(backend="torch", loss="linear_cross_entropy", measure="memory", shape=list(LCE_SHAPE),
                                elements=n * v, impl=impl, role=LCE_IMPLS[impl][0], peak_bytes=peak,
                                logits_bytes=n * v * 4)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
