"""Fast paths (``polyloss/_kernels``) against the generic definition.

Every test evaluates a loss twice -- fast paths on (the default) and forced off with
``polyloss.options(fast_paths=False)`` -- and checks that the two agree over every
option, that neither is less accurate than the other against mpmath at the extremes,
and (torch, JAX) that the hand-written backward passes equal the generic gradients.
The ``blocks`` fixture also runs each test with blocks of a few dozen elements, so
that the row-block loops, the per-block corrections and the generic row-blocked
path of the other backends run on small inputs. No timing is asserted here: the
speed goals are checked from ``benchmarks/``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import subprocess
import sys
import tracemalloc

import mpmath
import numpy as np
import pytest

import polyloss as pl
import polyloss._kernels as fast
from conftest import CONFORMANCE_SELECTION
from polyloss._kernels import _blocked, _numpy

mpmath.mp.dps = 60

#: fast and generic agree to a few roundings of the dtype (low precision: both are
#: computed in float32 and rounded once, so they may differ by one rounding)
RTOL = {"float64": 1e-12, "float32": 3e-6, "float16": 2e-3, "bfloat16": 1.6e-2}
#: accuracy budget against mpmath, the generic path's promise (tests/test_classification.py)
BUDGET = {"float64": 1e-12, "float32": 3e-6}
EPS = {"float64": 2.0**-52, "float32": 2.0**-23}


@pytest.fixture(params=["default-blocks", "tiny-blocks"])
def blocks(request, monkeypatch):
    """Run with the shipped block sizes, then with blocks of 64 elements everywhere."""
    backend = request.getfixturevalue("backend") if "backend" in request.fixturenames else None
    if request.param == "tiny-blocks" and backend is not None and backend.name == "jax":
        pytest.skip("the JAX path has no blocks (XLA fuses the reductions)")
    if request.param == "tiny-blocks":
        monkeypatch.setattr(_numpy, "BLOCK_ELEMENTS", 64)
        monkeypatch.setattr(_blocked, "BLOCK_ELEMENTS", 64)
        monkeypatch.setattr(fast, "BLOCK_BYTES_GENERIC", 0)  # array-api-strict takes the blocked path
        try:
            from polyloss._kernels import _torch
        except ImportError:
            pass
        else:
            monkeypatch.setattr(_torch, "BLOCK_ELEMENTS", 64)
            monkeypatch.setattr(_torch, "BINARY_BLOCK_ELEMENTS", 64)
    return request.param


@pytest.fixture
def fb(backend):
    """The backend, skipping Dask (lazy and already chunked: it has no fast path)."""
    if backend.name == "dask":
        pytest.skip("Dask has no fast path (lazy, already chunked)")
    return backend


def covers(backend, what, ndim=2):
    """Whether ``backend`` has a fast path for ``what`` (else both sides run the generic code)."""
    if backend.name == "jax":
        return what == "index" and ndim <= 2
    return True


def both(backend, f):
    """``f()`` with fast paths on and off, as (fast, generic) NumPy arrays (namespace, dtype, shape checked)."""
    a = f()
    with pl.options(fast_paths=False):
        b = f()
    assert type(a) is type(b)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    assert tuple(a.shape) == tuple(b.shape)
    return backend.numpy(a), backend.numpy(b)


def assert_agree(got, want, dtype, msg=""):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"NaN pattern {msg}")
    finite = np.isfinite(want)
    np.testing.assert_array_equal(got[~finite], want[~finite], err_msg=f"non-finite values {msg}")
    np.testing.assert_allclose(got[finite], want[finite], rtol=RTOL[dtype], atol=1e-300, err_msg=msg)


# -- agreement over every option ----------------------------------------------------------

# C = 5 (small-class layouts), 40 (between the backends' thresholds), 80 (row layouts),
# with extra axes, and unbatched
SHAPES = [(6, 5), (6, 40), (5, 80), (3, 7, 4), (2, 70, 3), (5,)]
DTYPES = ["float64", "float32", "float16", "bfloat16"]


def _class_inputs(rng, shape, dtype):
    C = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0], *shape[2:])
    x = rng.standard_normal(shape) * 3
    t = rng.integers(0, C, tshape)
    if t.size > 1:
        t.flat[0] = -100  # ignored (becomes class 1, ignored too, with ignore_index=1)
    q = rng.dirichlet(np.ones(C), size=tshape or None)
    q = np.moveaxis(q, -1, 0 if len(shape) == 1 else 1).copy()
    # for the probability targets, a class without mass whose logit is -inf: adds nothing
    x_q = x.copy()
    q.reshape(-1)[1], x_q.reshape(-1)[1] = 0.0, -np.inf
    q = q / q.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)
    if dtype in ("float16", "bfloat16"):
        q = q.astype(np.float32).astype(np.float64)
    w = rng.random(C) + 0.1
    return x, t, x_q, q, w


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_cross_entropy_agrees(fb, blocks, rng, shape, dtype):
    if not covers(fb, "index", len(shape)):
        pytest.skip(f"no {fb.name} fast path for this input")
    x, t, x_q, q, w = _class_inputs(rng, shape, dtype)
    X, W, Q, X_q = fb.asarray(x, dtype), fb.asarray(w, dtype), fb.asarray(q, dtype), fb.asarray(x_q, dtype)
    targets = {-100: fb.asarray(t), 1: fb.asarray(np.where(t == -100, 1, t))}
    for weight, reduction, ignore_index, ls in itertools.product(
        (None, W), ("none", "mean", "sum"), (-100, 1), (0.0, 0.3, 1.0)
    ):
        T = targets[ignore_index]
        kw = dict(weight=weight, reduction=reduction, label_smoothing=ls)
        msg = f"{shape} {dtype} weight={weight is not None} {reduction} ignore={ignore_index} ls={ls}"
        a, b = both(fb, lambda: pl.cross_entropy(X, T, ignore_index=ignore_index, **kw))
        assert_agree(a, b, dtype, msg)
        if ignore_index == -100 and covers(fb, "probabilities"):
            a, b = both(fb, lambda: pl.cross_entropy(X_q, Q, **kw))
            assert_agree(a, b, dtype, "probabilities " + msg)
        if ls == 0.0 and covers(fb, "nll"):
            lp = pl.log_softmax(X, axis=0 if len(shape) == 1 else 1)
            a, b = both(fb, lambda: pl.nll_loss(lp, T, weight=weight, ignore_index=ignore_index, reduction=reduction))
            assert_agree(a, b, dtype, "nll " + msg)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_all_ignored_and_empty_batch(fb, blocks, reduction):
    for C in (4, 80):
        x, t = fb.asarray(np.zeros((3, C))), fb.asarray(np.full(3, -100))
        for ls in (0.0, 0.2):
            a, b = both(fb, lambda: pl.cross_entropy(x, t, reduction=reduction, label_smoothing=ls))
            assert_agree(a, b, "float64")
        a, b = both(fb, lambda: pl.nll_loss(x - 1, t, reduction=reduction))
        assert_agree(a, b, "float64")
        xe, te = fb.asarray(np.zeros((0, C))), fb.asarray(np.zeros((0,), dtype=np.int64))
        a, b = both(fb, lambda: pl.cross_entropy(xe, te, reduction=reduction))
        assert_agree(a, b, "float64")
        a, b = both(fb, lambda: pl.cross_entropy(xe, fb.asarray(np.zeros((0, C))), reduction=reduction))
        assert_agree(a, b, "float64")
    z = fb.asarray(np.zeros((0,)))
    a, b = both(fb, lambda: pl.binary_cross_entropy_with_logits(z, z, reduction=reduction))
    assert_agree(a, b, "float64")


BINARY_SHAPES = [((6,), (1,), (6,)), ((4, 3), (3,), (3,)), ((2, 3, 5), (5,), (3, 1)), ((300,), (300,), (1,))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, pw_shape, w_shape", BINARY_SHAPES, ids=str)
def test_binary_agree(fb, blocks, rng, shape, pw_shape, w_shape, dtype):
    if not covers(fb, "binary"):
        pytest.skip(f"no {fb.name} fast path for binary losses")
    z = rng.standard_normal(shape) * 6
    z.flat[0] = 0.0
    y = rng.random(shape)
    y.flat[-1] = 0.0
    Z, Y = fb.asarray(z, dtype), fb.asarray(y, dtype)
    P = pl.sigmoid(Z)
    W, PW = fb.asarray(rng.random(w_shape), dtype), fb.asarray(rng.random(pw_shape) * 3, dtype)
    for reduction, weight, pos_weight in itertools.product(("none", "mean", "sum"), (None, W), (None, PW)):
        msg = f"{shape} {dtype} {reduction} w={weight is not None} pw={pos_weight is not None}"
        a, b = both(fb, lambda: pl.binary_cross_entropy_with_logits(Z, Y, weight=weight, pos_weight=pos_weight, reduction=reduction))
        assert_agree(a, b, dtype, msg)
        if pos_weight is None:
            a, b = both(fb, lambda: pl.binary_cross_entropy(P, Y, weight=weight, reduction=reduction))
            assert_agree(a, b, dtype, "bce " + msg)


# -- accuracy against mpmath at the extremes ------------------------------------------------


def _mp_ce(row, t, eps=0.0):
    row = [mpmath.mpf(float(v)) for v in row]

    def nll_of(c):  # LSE - x_c = log1p(sum_{j != c} exp(x_j - x_c)): no cancellation
        if mpmath.isinf(row[c]):
            return mpmath.inf if row[c] < 0 else mpmath.nan
        return mpmath.log1p(mpmath.fsum(mpmath.exp(v - row[c]) for j, v in enumerate(row) if j != c))

    nll = [nll_of(c) for c in range(len(row))] if eps else {t: nll_of(t)}
    return (1 - mpmath.mpf(eps)) * nll[t] + mpmath.mpf(eps) / len(row) * mpmath.fsum(nll) if eps else nll[t]


def _rel(got, want, dtype="float64"):
    """Relative error; infinite values must match, values below the normal range must be
    within a subnormal spacing (they hold fewer digits)."""
    if mpmath.isinf(want):
        return 0.0 if got == float(want) else math.inf
    fi = np.finfo(dtype)
    if abs(want) < fi.tiny:
        return 0.0 if abs(float(got) - float(want)) <= float(fi.smallest_subnormal) else math.inf
    return float(abs(mpmath.mpf(float(got)) - want) / abs(want))


def _extreme_rows(dtype):
    big = 1e4 if dtype == "float32" else 1e8
    rows = [
        ([0.0, -40.0], 0),  # true loss 4.25e-18: torch's kernels give 0
        ([0.0] + [-40.0] * 99, 0),  # the same with many classes (the native-kernel path)
        ([3.0] + [-38.0] * 199, 0),
        ([0.0, -88.0, -90.0], 0),
        ([big, -big, 0.0], 0),
        ([-big, big, 0.0], 1),
        ([big, big - 0.5], 1),
        ([big, big - 0.5], 0),
        ([3e38, -3e38, 0.0], 2),
        ([0.0, -np.inf, -np.inf], 0),
        ([1.0, 2.0, -np.inf], 1),
        ([5.0, 5.0, 5.0], 2),
        ([20.0] + [0.0] * 99, 0),
    ]
    return rows


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_cross_entropy_extremes_not_less_accurate(fb, blocks, dtype, eps):
    for row, t in _extreme_rows(dtype):
        if eps and row[0] == 3e38:
            continue  # the smoothing term is 6e38: it overflows (NumPy warns on the generic path)
        row = np.asarray(row, dtype=dtype)
        want = _mp_ce(row, t, eps)
        # alone, and in a batch of ordinary rows (other blocks, other corrections)
        batch = np.concatenate([np.random.default_rng(0).standard_normal((5, row.size)), row[None]]).astype(dtype)
        targets = np.asarray([0, 1, 0, 1, 0, t])
        a, b = both(fb, lambda: pl.cross_entropy(fb.asarray(batch), fb.asarray(targets), reduction="none", label_smoothing=eps))
        ea, eb = _rel(a[-1], want, dtype), _rel(b[-1], want, dtype)
        if fb.name == "jax" and dtype == "float32" and abs(want) < np.finfo(np.float32).tiny:
            continue  # XLA on CPU flushes float32 subnormals
        assert eb <= BUDGET[dtype], (row[:4], "generic", b[-1], float(want), eb)
        assert ea <= BUDGET[dtype], (row[:4], "fast", a[-1], float(want), ea)
        assert ea <= max(2 * eb, 8 * EPS[dtype]), (row[:4], a[-1], b[-1], float(want))
        assert_agree(a[:-1], b[:-1], dtype)


def _mp_softplus(t):
    t = mpmath.mpf(float(t))
    return mpmath.log1p(mpmath.exp(t))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_bce_with_logits_extremes_not_less_accurate(fb, blocks, dtype):
    if not covers(fb, "binary"):
        pytest.skip(f"no {fb.name} fast path for binary losses")
    for yv, pw in itertools.product((0.0, 1.0, 0.5, 0.999, 1e-3), (None, 2.5)):
        big = [] if pw else [3e38, -3e38]  # times pos_weight these overflow (NumPy warns, generic path)
        z = np.asarray([-88.8, 88.8, -30.0, 30.0, 50.0, 1e4, -1e4, 0.0, 2.0, -2.0, *big], dtype=dtype)
        y = np.full_like(z, yv)
        if True:
            a, b = both(fb, lambda: pl.binary_cross_entropy_with_logits(
                fb.asarray(z), fb.asarray(y), pos_weight=None if pw is None else fb.asarray(np.asarray([pw], dtype=dtype)),
                reduction="none"))
            p = mpmath.mpf(1 if pw is None else pw)
            for zi, yi, ai, bi in zip(z, y, a, b):
                want = (1 - mpmath.mpf(float(yi))) * _mp_softplus(zi) + p * mpmath.mpf(float(yi)) * _mp_softplus(-zi)
                if abs(want) < np.finfo(dtype).tiny:
                    if fb.name == "jax":
                        continue  # XLA flushes subnormals
                    tol = np.finfo(dtype).smallest_subnormal * 2
                    assert abs(ai - float(want)) <= max(tol, abs(bi - float(want))), (zi, yi, ai, bi, float(want))
                    continue
                ea, eb = _rel(ai, want, dtype), _rel(bi, want, dtype)
                assert eb <= BUDGET[dtype] and ea <= BUDGET[dtype], (zi, yi, pw, ai, bi, float(want))
                assert ea <= max(2 * eb, 8 * EPS[dtype]), (zi, yi, pw, ai, bi, float(want))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_random_rows_accuracy(fb, rng, dtype):
    """Scaled random rows (confident ones included): both within budget, fast not worse."""
    scale = np.geomspace(0.01, 1e3, 16)[:, None]
    for C in (6, 50, 120):
        x = (rng.standard_normal((16, C)) * scale).astype(dtype)
        t = rng.integers(0, C, 16)
        t[::2] = np.argmax(x[::2], axis=1)
        a, b = both(fb, lambda: pl.cross_entropy(fb.asarray(x), fb.asarray(t), reduction="none"))
        for row, k, ai, bi in zip(x, t, a, b):
            want = _mp_ce(row, k)
            ea, eb = _rel(ai, want, dtype), _rel(bi, want, dtype)
            assert ea <= BUDGET[dtype] and eb <= BUDGET[dtype], (C, ai, bi, float(want))
            assert ea <= max(2 * eb, 8 * EPS[dtype]), (C, ai, bi, float(want))


# -- gradients ---------------------------------------------------------------------------------


def _torch():
    return pytest.importorskip("torch")


def _grad_both(torch, f, *tensors):
    def run():
        leaves = [t.detach().clone().requires_grad_(t.is_floating_point()) for t in tensors]
        out = f(*leaves)
        cot = torch.linspace(0.5, 1.5, out.numel(), dtype=out.dtype).reshape(out.shape)
        diff = [t for t in leaves if t.requires_grad]
        return out.detach(), torch.autograd.grad(out, diff, cot)

    fast_out = run()
    with pl.options(fast_paths=False):
        gen_out = run()
    return fast_out, gen_out


def _assert_grads(torch, fast_out, gen_out, dtype, msg):
    (fo, fg), (go, gg) = fast_out, gen_out
    tol = dict(rtol=1e-11, atol=1e-13) if dtype == torch.float64 else dict(rtol=2e-5, atol=2e-7)
    torch.testing.assert_close(fo, go, equal_nan=True, msg=msg, **tol)
    for a, b in zip(fg, gg):
        scale = float(b.abs().max()) if b.numel() else 1.0
        torch.testing.assert_close(a / max(scale, 1e-300), b / max(scale, 1e-300), equal_nan=True, msg=msg, **tol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_torch_gradients_equal_generic(blocks, rng, shape, dtype):
    torch = _torch()
    dt = getattr(torch, dtype)
    x, t, _, q, w = _class_inputs(rng, shape, dtype)
    X, T, Q, W = (torch.asarray(a) for a in (x.astype(dtype), t, q.astype(dtype), w.astype(dtype)))
    for weight, reduction, ls in itertools.product((None, W), ("none", "mean", "sum"), (0.0, 0.3)):
        msg = f"{shape} {dtype} weight={weight is not None} {reduction} ls={ls}"
        kw = dict(weight=weight, reduction=reduction, label_smoothing=ls)
        res = _grad_both(torch, lambda x: pl.cross_entropy(x, T, **kw), X)
        _assert_grads(torch, *res, dt, msg)
        res = _grad_both(torch, lambda x: pl.cross_entropy(x, Q, **kw), X)
        _assert_grads(torch, *res, dt, "probabilities " + msg)
        if ls == 0.0:
            res = _grad_both(torch, lambda x: pl.nll_loss(x, T, weight=weight, reduction=reduction, detect_mistakes=False), X)
            _assert_grads(torch, *res, dt, "nll " + msg)


def test_torch_gradient_at_confident_rows_is_more_accurate():
    """d/dx of [0, -40, -40] at target 0: -2e^-40 / (1 + 2e^-40), not 0 (p_t - 1 = expm1(-loss))."""
    torch = _torch()
    for C in (3, 100):
        x = torch.full((1, C), -40.0)
        x[0, 0] = 0.0
        grads = {}
        for on in (True, False):
            with pl.options(fast_paths=on):
                xx = x.clone().requires_grad_()
                out = pl.cross_entropy(xx, torch.tensor([0]), reduction="sum")
                grads[on] = (out.detach(), torch.autograd.grad(out, xx)[0])
        (fast_o, fast_g), (_, gen_g) = grads[True], grads[False]
        e = mpmath.exp(-40)
        want0 = -(C - 1) * e / (1 + (C - 1) * e)
        assert _rel(float(fast_g[0, 0]), want0) <= 1e-6
        assert _rel(float(fast_g[0, 0]), want0) <= _rel(float(gen_g[0, 0]), want0)
        assert _rel(float(fast_o), (C - 1) * e) <= 1e-6


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_torch_one_block_backward_keeps_the_exponentials(monkeypatch, rng, dtype):
    """Few classes, one block, values read: the backward multiplies the forward's kept
    ``exp(x - m)`` by ``a / S`` instead of recomputing the softmax. Gradients equal the
    generic path's, confident rows' target entries hold mpmath's ``-R / (1 + R)``, a second
    backward of the same graph gives the same (the kept tensor is not written), and a
    non-finite row keeps the recomputing backward."""
    torch = _torch()
    from polyloss._kernels import _torch as kt
    from polyloss._losses import _classification

    monkeypatch.setattr(_classification, "express", lambda name, array: None)  # the full path, not a lane
    monkeypatch.setattr(kt, "LEAN_ELEMENTS", 0)  # the blocked kernel at every size: one block here
    kept = []
    nll_small_c = kt._nll_small_c
    monkeypatch.setattr(kt, "_nll_small_c", lambda *a: kept.append((r := nll_small_c(*a))[3] is not None) or r)
    dt = getattr(torch, dtype)
    x = torch.asarray((rng.standard_normal((300, 7)) * 3).astype(dtype))
    t = torch.asarray(rng.integers(0, 7, 300))
    x[0], t[0] = torch.tensor([0.0, -40, -38, -45, -50, -39, -60], dtype=dt), 0  # loss 3.7e-17
    x[1], t[1] = torch.tensor([8.0, -9, -7, -11, -10, -8, -9], dtype=dt), 0  # S < 2: log1p of the rest
    t[2] = -100  # ignored
    for reduction in ("none", "mean", "sum"):
        kept.clear()
        res = _grad_both(torch, lambda x: pl.cross_entropy(x, t, reduction=reduction), x)
        _assert_grads(torch, *res, dt, f"{dtype} {reduction}")
        assert kept == [True], "the fast run kept its exponentials (the generic run has no kernel)"
    xx = x.clone().requires_grad_()
    out = pl.cross_entropy(xx, t, reduction="sum")
    g1 = torch.autograd.grad(out, xx, retain_graph=True)[0]
    g2 = torch.autograd.grad(out, xx)[0]
    assert torch.equal(g1, g2)
    for row in (0, 1):
        xs = [mpmath.mpf(float(v)) for v in x[row]]
        others = mpmath.fsum(mpmath.exp(v - xs[0]) for v in xs[1:])
        assert _rel(float(g1[row, 0]), -others / (1 + others), dtype) <= 4 * EPS[dtype]
    y = x.clone()
    y[5, 3] = math.inf  # a maximum that is not finite: its row is patched, nothing kept
    kept.clear()
    _assert_grads(torch, *_grad_both(torch, lambda x: pl.cross_entropy(x, t, reduction="sum"), y), dt, "inf row")
    assert kept[0] is False


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("wrt", ["all", "input"])
def test_torch_binary_gradients_equal_generic(blocks, rng, dtype, wrt):
    """``wrt="input"``: only the logits need a gradient, the fast path's own backward
    (``tails`` holds logits beyond the exp range: with blocks of 64 elements
    rows 0-11 take the generic formula and the others do not); ``"all"``: the generic
    path's autograd."""
    torch = _torch()
    dt = getattr(torch, dtype)
    z = torch.asarray((rng.standard_normal((40, 5)) * 5).astype(dtype))
    z[0, 0] = 0.0  # relu's kink: the slope there is 1/2 - y on both paths
    tails = z.clone()
    tails[1, 1], tails[2, 2] = -90.0, 750.0  # exp(-90) is subnormal in float32; exp(750) overflows float64
    y = torch.asarray(rng.random((40, 5)).astype(dtype))
    y[1, 1], y[2, 2], y[3, 3], y[4, 4] = 0.0, 1.0, 0.0, 1.0
    w = torch.asarray(rng.random(5).astype(dtype))
    pw = torch.asarray((rng.random(5) * 3).astype(dtype))
    for reduction, weight, pos_weight in itertools.product(("none", "mean", "sum"), (None, w), (None, pw)):
        msg = f"{dtype} {reduction} w={weight is not None} pw={pos_weight is not None}"
        if wrt == "input":
            def f(z, weight=weight, pos_weight=pos_weight, reduction=reduction):
                return pl.binary_cross_entropy_with_logits(z, y, weight=weight, pos_weight=pos_weight, reduction=reduction)

            _assert_grads(torch, *_grad_both(torch, f, z), dt, msg)
            _assert_grads(torch, *_grad_both(torch, f, tails), dt, "tails " + msg)
            continue
        args = [z, y] + [a for a in (weight, pos_weight) if a is not None]

        def f(z, y, *rest, weight=weight, pos_weight=pos_weight, reduction=reduction):
            it = iter(rest)
            kw = dict(weight=next(it) if weight is not None else None, pos_weight=next(it) if pos_weight is not None else None)
            return pl.binary_cross_entropy_with_logits(z, y, reduction=reduction, **kw)

        _assert_grads(torch, *_grad_both(torch, f, *args), dt, msg)  # d/dz, d/dy, d/dweight, d/dpos_weight
        p = torch.sigmoid(z).clamp(1e-6, 1 - 1e-6)
        p[0, 1], p[0, 2] = 0.0, 1.0  # the clamped ends: zero slope on both paths
        res = _grad_both(torch, lambda p: pl.binary_cross_entropy(p, y, weight=weight, reduction=reduction), p)
        _assert_grads(torch, *res, dt, "bce " + msg)


@pytest.mark.parametrize("bad", [-0.5, 1.5, math.nan])
def test_binary_targets_are_checked_in_every_block(fb, blocks, bad):
    """The fast paths check the targets block by block: a bad value in the last block raises."""
    if not covers(fb, "binary"):
        pytest.skip(f"no {fb.name} fast path for binary losses")
    y = np.full(1000, 0.25)
    y[-1] = bad
    for reduction in ("none", "mean", "sum"):
        with pytest.raises(ValueError, match=r"`target` must hold probabilities in \[0, 1\]"):
            pl.binary_cross_entropy_with_logits(fb.asarray(np.zeros(1000)), fb.asarray(y), reduction=reduction)


def test_jax_gradients_equal_generic(rng):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    for C in (5, 40):
        x = jnp.asarray(rng.standard_normal((6, C)) * 3)
        t = jnp.asarray(rng.integers(0, C, 6))
        w = jnp.asarray(rng.random(C) + 0.1)
        for ls in (0.0, 0.3):
            f = lambda x, w: pl.cross_entropy(x, t, weight=w, label_smoothing=ls)  # noqa: E731
            gf = jax.grad(f, argnums=(0, 1))(x, w)
            with pl.options(fast_paths=False):
                gg = jax.grad(f, argnums=(0, 1))(x, w)
            for a, b in zip(gf, gg):
                np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-11, atol=1e-14)
            jf = jax.jit(jax.grad(f))(x, w)  # and under jit
            np.testing.assert_allclose(np.asarray(jf), np.asarray(gg[0]), rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("confident_rows", [0, 2, 64], ids=["none", "some", "every"])
def test_jax_corrections_every_branch(confident_rows):
    """The JAX path redoes rows whose ``log S`` rounds (S < 2): none, a gather of a few
    (at most N / 16), or every row in blocks. Each branch agrees with the generic path
    and keeps the confident rows' tiny losses (4.25e-18 for [0, -40, ...])."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    N, C = 64, 40
    x = np.random.default_rng(3).standard_normal((N, C)) * 0.1  # S near C: nothing to redo
    x[:confident_rows] = -40.0
    x[:confident_rows, 0] = 0.0
    t = np.zeros(N, dtype=np.int64)
    for ls in (0.0, 0.2):
        f = jax.jit(lambda x, t: pl.cross_entropy(x, t, reduction="none", label_smoothing=ls))  # noqa: B023
        got = np.asarray(f(jnp.asarray(x), jnp.asarray(t)))
        with pl.options(fast_paths=False):
            want = np.asarray(f.__wrapped__(jnp.asarray(x), jnp.asarray(t)))
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)
        if confident_rows and ls == 0.0:
            assert _rel(got[0], _mp_ce(x[0], 0)) <= 1e-13


# -- NumPy threads ------------------------------------------------------------------------------------


@pytest.fixture
def numpy_threads(monkeypatch):
    """Every input counts as large: the NumPy paths share rows out over threads."""
    monkeypatch.setattr(_numpy, "PARALLEL_ELEMENTS", 0)
    monkeypatch.setattr(_numpy, "BLOCK_ELEMENTS", 64)


def _thread_counts(f):
    """``f()`` with 1, 2 and 3 threads (3 does not divide the rows evenly)."""
    out = []
    for threads in (1, 2, 3):
        with pl.options(threads=threads):
            out.append(np.asarray(f()))
    return out


def test_numpy_results_do_not_depend_on_threads(numpy_threads, rng):
    x = rng.standard_normal((37, 7)) * 3
    x[5] = [0.0] + [-40.0] * 6  # a confident row: its tiny loss is redone after the blocks
    x[30, 2] = np.inf  # a row with a +inf maximum: the generic formula
    t = rng.integers(0, 7, 37)
    q = rng.dirichlet(np.ones(7), 37)
    w = rng.random(7) + 0.1
    z, y = rng.standard_normal((37, 5)) * 4, rng.random((37, 5))
    pw, bw = rng.random(5) * 3, rng.random((37, 1))
    calls = [
        lambda: pl.cross_entropy(x, t, reduction="none"),
        lambda: pl.cross_entropy(x, t, weight=w, label_smoothing=0.2, reduction="none"),
        lambda: pl.cross_entropy(x[:, :, None].repeat(3, axis=2), t[:, None].repeat(3, axis=1), reduction="none"),
        lambda: pl.cross_entropy(x, q, weight=w, label_smoothing=0.1, reduction="none"),
        lambda: pl.binary_cross_entropy_with_logits(z, y, weight=bw, pos_weight=pw, reduction="none"),
        lambda: pl.binary_cross_entropy_with_logits(z, y, reduction="none"),
    ]
    for f in calls:
        one, *more = _thread_counts(f)
        with pl.options(fast_paths=False), np.errstate(invalid="ignore"):  # the generic path's inf - inf
            generic = np.asarray(f())
        for other in more:
            np.testing.assert_array_equal(other, one)  # bit for bit
        np.testing.assert_allclose(one, generic, rtol=1e-12, atol=0)


def test_numpy_threads_raise_for_a_bad_target_in_any_share(numpy_threads):
    y = np.full((40, 3), 0.5)
    y[-1, -1] = 2.0  # in the last thread's share
    with pl.options(threads=3), pytest.raises(ValueError, match=r"`target` must hold probabilities"):
        pl.binary_cross_entropy_with_logits(np.zeros((40, 3)), y)
    t = np.zeros(40, dtype=np.int64)
    t[-1] = 9
    with pl.options(threads=3), pytest.raises(IndexError, match="must be class indices in"):
        pl.cross_entropy(np.zeros((40, 3)), t)


_FORK_SCRIPT = """
import multiprocessing, numpy as np, polyloss as pl
from polyloss._kernels import _numpy
_numpy.PARALLEL_ELEMENTS = 0  # every input is shared out over threads

def loss():
    x = np.random.default_rng(0).standard_normal((64, 10))
    with pl.options(threads=2):
        return float(pl.cross_entropy(x, np.zeros(64, dtype=np.int64)))

def child(conn):
    conn.send(loss())

if __name__ == "__main__":
    want = loss()  # starts the pool in this process
    ctx = multiprocessing.get_context("fork")
    parent, end = ctx.Pipe()
    p = ctx.Process(target=child, args=(end,))
    p.start()
    assert parent.poll(60), "the forked process did not answer within 60 s"
    assert parent.recv() == want
    p.join(10)
    print("ok")
"""


@pytest.mark.skipif(sys.platform != "linux", reason="fork is the default start method only on Linux")
def test_numpy_threads_survive_fork(tmp_path):
    """A process forked after the thread pool started gets a pool of its own (the
    inherited one has no threads): it computes instead of waiting forever. In a fresh
    interpreter: JAX and torch, imported here, warn about forking their own threads."""
    script = tmp_path / "fork_check.py"
    script.write_text(_FORK_SCRIPT)
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr


# -- the switch, memory, conformance ---------------------------------------------------------------


def test_switch_forces_the_generic_path(monkeypatch):
    calls = []
    native = _numpy.KERNELS["cross_entropy_indices"]
    counting = dataclasses.replace(native, fn=lambda *a: calls.append(1) or native.fn(*a))
    monkeypatch.setitem(_numpy.KERNELS, "cross_entropy_indices", counting)
    x, t = np.zeros((2, 3)), np.asarray([0, 1])
    pl.cross_entropy(x, t)
    assert calls == [1]
    with pl.options(fast_paths=False):
        pl.cross_entropy(x, t)
    assert calls == [1]
    assert pl.get_options()["fast_paths"] is True


def test_environment_variable_turns_fast_paths_off():
    code = "import polyloss; print(polyloss.get_options()['fast_paths'])"
    env = dict(os.environ, POLYLOSS_FAST_PATHS="0")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_numpy_cross_entropy_memory_is_bounded(rng):
    """No N x C temporary: peak extra memory a small fraction of the input (tracemalloc)."""
    x = rng.standard_normal((256, 32000), dtype=np.float32)
    t = rng.integers(0, 32000, 256)
    for kw in ({}, {"label_smoothing": 0.1}):
        pl.cross_entropy(x, t, **kw)  # the per-thread scratch buffers exist from here on
        tracemalloc.start()
        try:
            pl.cross_entropy(x, t, **kw)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak <= 0.25 * x.nbytes, (kw, peak / x.nbytes)
    with pl.options(fast_paths=False):  # the generic definition, for contrast
        tracemalloc.start()
        try:
            pl.cross_entropy(x, t)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak > x.nbytes


CONFORMANCE_FUNCTIONS = ["cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"]


def test_conformance_cases_with_fast_paths_on_and_off(fb):
    """The golden cases pass either way, and the fast path never loses more than rounding."""
    conformance = pytest.importorskip("conformance")
    reports = {}
    select = CONFORMANCE_SELECTION.get(fb.name, {})  # JAX: a bounded selection (tests/conftest.py)
    for on in (True, False):
        with pl.options(fast_paths=on):
            reports[on] = conformance.run(f"polyloss:{fb.name}", functions=CONFORMANCE_FUNCTIONS, **select)
    generic_failures = {r.id for r in reports[False].failures()}
    fast_failures = {r.id for r in reports[True].failures()}
    assert fast_failures <= generic_failures, sorted(fast_failures - generic_failures)
    gen = {r.id: r for r in reports[False].results}
    for r in reports[True].results:
        g = gen[r.id]
        if r.error_ulps is None or g.error_ulps is None or r.id in generic_failures:
            continue
        assert r.error_ulps <= 2 * g.error_ulps + 8, (r.id, r.error_ulps, g.error_ulps)
