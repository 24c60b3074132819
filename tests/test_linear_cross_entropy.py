"""linear_cross_entropy: the cross entropy of ``input @ weight.T + bias`` without the logits.

Values on every backend against the plain composition ``cross_entropy(movedim(logits, -1, 1))``
(polyloss on NumPy float64, itself checked against torch and mpmath elsewhere), gradients
on torch and JAX against autograd of that composition on the same backend, the tiny-loss
and overflow cases against mpmath, the errors, and the backends' transformations (torch
gradcheck, JAX jit / grad / vmap / sharding, Dask laziness and a distributed cluster).
Small row blocks (``small_blocks``) make every kernel walk several blocks, the last one
short, so that the block boundaries are exercised on tiny inputs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import mpmath
import numpy as np
import pytest

import polyloss as pl
from polyloss._kernels import _generic as generic

V, H = 11, 4


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 2 rows (of V logits) in every kernel: 7 rows walk 2 + 2 + 2 + 1."""
    from polyloss._kernels import _linear_cross_entropy_numpy as kn

    monkeypatch.setattr(generic, "LINEAR_BLOCK_ELEMENTS", 2 * V + 1)
    monkeypatch.setattr(kn, "BLOCK_ELEMENTS", 2 * V + 1)
    try:
        from polyloss._kernels import _linear_cross_entropy_torch as kt

        monkeypatch.setattr(kt, "BLOCK_ELEMENTS", 2 * V + 1)
    except ImportError:
        pass
    try:
        from polyloss._kernels import _linear_cross_entropy_jax as kj
    except ImportError:
        yield
        return
    monkeypatch.setattr(kj, "BLOCK_ELEMENTS", 2 * V + 1)
    kj._compiled.cache_clear()  # the block size is read when tracing
    yield
    kj._compiled.cache_clear()


def _problem(rng, lead=(7,), *, bias=True, scale=2.0, v=V):
    h = rng.standard_normal((*lead, H)) * scale
    w = rng.standard_normal((v, H))
    b = rng.standard_normal(v) if bias else None
    t = rng.integers(0, v, lead)
    return h, w, b, t


def _logits(h, w, b):
    z = h @ w.T
    return z if b is None else z + b


def reference(h, w, b, t, **kw):
    """The plain composition on NumPy float64: cross_entropy with the class axis moved to 1."""
    z = _logits(h, w, b)
    return np.asarray(pl.cross_entropy(np.moveaxis(z, -1, 1) if z.ndim > 1 else z, t, **kw))


def _call(backend, h, w, b, t, dtype=None, **kw):
    """The call on ``backend``, float arrays in ``dtype`` (``None``: as given)."""
    a = lambda x: backend.asarray(x, dtype if x.dtype.kind == "f" else None)  # noqa: E731
    return pl.linear_cross_entropy(a(h), a(w), a(t), bias=None if b is None else a(b), **kw)


OPTIONS = {
    "plain": {},
    "smoothing": {"label_smoothing": 0.2},
    "ignore a class": {"ignore_index": 3},
    "ignored rows, full smoothing": {"label_smoothing": 1.0},
}


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("option", list(OPTIONS))
@pytest.mark.parametrize("lead", [(), (7,), (2, 5)], ids=["unbatched", "N", "B,T"])
def test_values_match_the_composition(backend, small_blocks, rng, lead, option, reduction):
    kw = dict(OPTIONS[option], reduction=reduction)
    h, w, b, t = _problem(rng, lead, bias=option != "plain")
    if option == "ignored rows, full smoothing" and t.size > 1:
        t.reshape(-1)[::3] = -100
    out = _call(backend, h, w, b, t, **kw)
    want = reference(h, w, b, t, **kw)
    got = backend.check_result(out, "float64", want.shape)
    assert want.shape == (lead if reduction == "none" else ())
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_vocabulary_not_a_multiple_of_the_block(backend, monkeypatch, rng):
    """V = 1000 with blocks of 77 rows (generic and NumPy kernels) and the default blocks (torch,
    JAX: 4194 rows, one block): uneven blocks."""
    from polyloss._kernels import _linear_cross_entropy_numpy as kn

    h, w, b, t = _problem(rng, (300,), v=1000)
    monkeypatch.setattr(generic, "LINEAR_BLOCK_ELEMENTS", 77_777)
    monkeypatch.setattr(kn, "BLOCK_ELEMENTS", 77_777)
    out = _call(backend, h, w, b, t, reduction="none", label_smoothing=0.1)
    np.testing.assert_allclose(backend.numpy(out), reference(h, w, b, t, reduction="none", label_smoothing=0.1),
                               rtol=1e-12)


@pytest.mark.parametrize("eps", [0.0, 0.3])
def test_native_and_generic_kernels_agree(backend, small_blocks, rng, eps):
    """The kernel chosen for the backend and the generic one (``fast_paths=False``), ignored rows included."""
    h, w, b, t = _problem(rng, (9,))
    t[4] = -100
    h[0] = 0.0
    w[t[0]] = 0.0
    b[t[0]] = 50.0  # a confident row: a loss of about e^-50
    native = backend.numpy(_call(backend, h, w, b, t, reduction="none", label_smoothing=eps))
    with pl.options(fast_paths=False):
        plain = backend.numpy(_call(backend, h, w, b, t, reduction="none", label_smoothing=eps))
    np.testing.assert_allclose(native, plain, rtol=1e-13, atol=0)
    np.testing.assert_allclose(native, reference(h, w, b, t, reduction="none", label_smoothing=eps), rtol=1e-12, atol=0)


def test_float32_and_half_precision(backend, rng):
    h, w, b, t = _problem(rng)
    want = reference(h, w, b, t)
    got32 = backend.check_result(_call(backend, h, w, b, t, "float32"), "float32", ())
    np.testing.assert_allclose(got32, want, rtol=2e-6)
    for half in ("float16", "bfloat16"):
        out = _call(backend, h, w, b, t, half)  # skips where the library lacks the dtype
        got = backend.check_result(out, half, ())
        # computed in float32 from the rounded inputs, then rounded once
        rounded = [None if a is None else backend.numpy(backend.asarray(a, half)).astype(np.float64) for a in (h, w, b)]
        np.testing.assert_allclose(got, reference(*rounded, t), rtol=8e-3 if half == "bfloat16" else 1e-3)


def test_all_ignored_and_empty(backend, rng):
    h, w, b, t = _problem(rng)
    ignored = np.full_like(t, -100)
    assert np.isnan(backend.numpy(_call(backend, h, w, b, ignored)))  # 0 / 0, as torch
    assert backend.numpy(_call(backend, h, w, b, ignored, reduction="sum")) == 0
    np.testing.assert_array_equal(backend.numpy(_call(backend, h, w, b, ignored, reduction="none")), np.zeros(7))
    for lead in [(0,), (2, 0)]:
        he, te = np.zeros((*lead, H)), np.zeros(lead, dtype=np.int64)
        assert backend.check_result(_call(backend, he, w, b, te, reduction="none"), "float64", lead).size == 0
        assert np.isnan(backend.numpy(_call(backend, he, w, b, te)))
        assert backend.numpy(_call(backend, he, w, b, te, reduction="sum")) == 0


# -- accuracy: mpmath ---------------------------------------------------------------------


def _mp_losses(h, w, b, t, eps=0.0):
    """Per-row loss from the exact logits of float64 ``h, w, b`` (50 digits)."""
    with mpmath.workdps(50):
        out = []
        for hn, tn in zip(h, t):
            z = [mpmath.fsum(mpmath.mpf(float(x)) * mpmath.mpf(float(y)) for x, y in zip(hn, wc)) for wc in w]
            if b is not None:
                z = [zc + mpmath.mpf(float(bc)) for zc, bc in zip(z, b)]
            lse = mpmath.log(mpmath.fsum(mpmath.exp(zc) for zc in z))
            nll = [lse - zc for zc in z]
            out.append(float((1 - eps) * nll[int(tn)] + eps / len(z) * mpmath.fsum(nll)))
        return np.asarray(out)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_tiny_loss_is_kept(backend, dtype):
    """A confident row: logits [0, -40] with target 0 lose log1p(e^-40) = 4.25e-18, not 0."""
    h, w, t = np.asarray([[1.0]]), np.asarray([[0.0], [-40.0]]), np.asarray([0])
    want = _mp_losses(h, w, None, t)
    assert 4.24e-18 < want[0] < 4.26e-18
    got = backend.numpy(_call(backend, h, w, None, t, dtype, reduction="none"))
    np.testing.assert_allclose(got, want, rtol=1e-12 if dtype == "float64" else 1e-6)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_extreme_logits_are_finite_and_exact(backend, rng, dtype):
    """Weight rows of 1e4: logits of order 1e4, where exp overflows; the losses are mpmath's."""
    h = rng.standard_normal((6, H))
    w = np.round(rng.standard_normal((V, H)) * 4) * 2500.0  # multiples of 2500: exact in float32
    b = np.round(rng.standard_normal(V)) * 1e4
    t = rng.integers(0, V, 6)
    t[0] = int(np.argmax(_logits(h[:1], w, b)))  # one confident row with a tiny loss
    if dtype == "float32":
        h = h.astype(np.float32).astype(np.float64)  # the inputs as the float32 call sees them
    want = _mp_losses(h, w, b, t, eps=0.1)
    got = backend.numpy(_call(backend, h, w, b, t, dtype, reduction="none", label_smoothing=0.1))
    assert np.all(np.isfinite(got))
    # float64: the logits' own rounding (1e4 * 2^-52) bounds the error; float32: 1e4 * 2^-23
    np.testing.assert_allclose(got, want, rtol=1e-10 if dtype == "float64" else 1e-5,
                               atol=1e-8 if dtype == "float64" else 5e-2)
    plain_t = rng.integers(0, V, 6)
    got = backend.numpy(_call(backend, h, w, b, plain_t, dtype, reduction="none"))
    np.testing.assert_allclose(got, _mp_losses(h, w, b, plain_t), rtol=1e-10 if dtype == "float64" else 1e-5,
                               atol=1e-8 if dtype == "float64" else 5e-2)


# -- errors -----------------------------------------------------------------------------------


def test_errors(backend, rng):
    h, w, b, t = _problem(rng, (2, 3))
    call = lambda **k: _call(backend, **{"h": h, "w": w, "b": b, "t": t, **k})  # noqa: E731
    cases = [
        ({"w": w[:, :3]}, ValueError, r"`weight` must have shape \(V, H\) with H = 4"),
        ({"w": w[0]}, ValueError, r"`weight` must have shape \(V, H\)"),
        ({"b": b[:5]}, ValueError, r"`bias` must have shape \(11,\)"),
        ({"t": t[0]}, ValueError, r"`target` must have shape \(2, 3\)"),
        ({"h": h[0, 0, 0]}, ValueError, r"`input` must have a hidden axis"),
        ({"t": t.astype(np.float64)}, TypeError, r"`target` must be an integer array"),
        ({"h": h.astype(np.int64)}, TypeError, r"`input` must be a real floating-point array"),
    ]
    for kw, error, pattern in cases:
        with pytest.raises(error, match=pattern):
            call(**kw)
    with pytest.raises(ValueError, match=r"`label_smoothing` must be in \[0, 1\]; got 1.5"):
        call(label_smoothing=1.5)
    with pytest.raises(ValueError, match="`reduction` must be one of"):
        call(reduction="avg")
    if backend.name == "dask":
        pytest.skip("Dask is lazy: an out-of-range index gives NaN (tests/test_backends.py)")
    for bad in (V, -3):
        tb = t.copy()
        tb[1, 2] = bad
        with pytest.raises(IndexError, match=rf"`target` must be class indices in \[0, {V - 1}\]"):
            call(t=tb)


# -- torch -----------------------------------------------------------------------------------


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="autograd through the torch kernel needs torch (absent in this session)")


def _torch_pair(rng, lead, bias, dtype="float64"):
    import torch
    h, w, b, t = _problem(rng, lead, bias=bias)
    mk = lambda a: None if a is None else torch.asarray(a).to(getattr(torch, dtype)).requires_grad_(True)  # noqa: E731
    return (mk(h), mk(w), mk(b), torch.asarray(t)), (mk(h), mk(w), mk(b))


def _torch_plain(h, w, b, t, **kw):
    import torch.nn.functional as F

    z = F.linear(h, w, b)
    return F.cross_entropy(z.movedim(-1, 1) if z.ndim > 1 else z, t, **kw)


@pytest.mark.parametrize("policy", ["auto", "defer"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("option", list(OPTIONS))
def test_torch_gradients_match_the_composition(torch, small_blocks, rng, option, reduction, policy, monkeypatch):
    """d input, d weight, d bias against autograd of F.cross_entropy(F.linear(...)); "mean" and
    "sum" use the forward's gradients (no second pass), "none" with a weighting recomputes;
    under "defer" (no host read) the backward always recomputes."""
    from polyloss._kernels import _linear_cross_entropy_torch as kt

    passes = []
    blocks = kt._blocks
    monkeypatch.setattr(kt, "_blocks", lambda *a, **k: passes.append(1) or blocks(*a, **k))
    kw = dict(OPTIONS[option], reduction=reduction)
    (h, w, b, t), (h2, w2, b2) = _torch_pair(rng, (2, 5), bias=option != "plain")
    if option == "ignored rows, full smoothing":
        t.view(-1)[::3] = -100
    out = pl.linear_cross_entropy(h, w, t, bias=b, value_checks=policy, **kw)
    plain = _torch_plain(h2, w2, b2, t, **kw)
    cot = torch.asarray(rng.uniform(0.5, 1.5, tuple(out.shape)))
    (out * cot).sum().backward()
    (plain * cot).sum().backward()
    torch.testing.assert_close(out, plain, rtol=1e-12, atol=1e-14)
    for mine, theirs in ((h, h2), (w, w2), (b, b2)):
        if mine is not None:
            torch.testing.assert_close(mine.grad, theirs.grad, rtol=1e-11, atol=1e-14)
    assert len(passes) == (2 if reduction == "none" or policy == "defer" else 1)


@pytest.mark.parametrize("eps", [0.0, 0.2])
def test_torch_defer_keeps_tiny_losses_and_their_gradients(torch, small_blocks, rng, eps):
    """Confident rows (losses down to 1e-30) under "defer": the corrections chosen with
    ``where`` give the values and gradients that "auto" (a host read) gives."""
    h, w, b, t = _problem(rng, (7,), scale=40.0)
    t = np.argmax(_logits(h, w, b), axis=1)
    t[3] = (t[3] + 1) % V  # and one wrong prediction
    results = []
    for policy in ("auto", "defer"):
        hh, ww, bb = (torch.asarray(a).requires_grad_(True) for a in (h, w, b))
        out = pl.linear_cross_entropy(hh, ww, torch.asarray(t), bias=bb, reduction="none", label_smoothing=eps,
                                      value_checks=policy)
        (out * torch.linspace(0.5, 1.5, 7, dtype=out.dtype)).sum().backward()
        results.append((out.detach(), hh.grad, ww.grad, bb.grad))
    if eps == 0:
        assert 0 < float(results[0][0].min()) < 1e-12
    for a, d in zip(*results):
        torch.testing.assert_close(d, a, rtol=1e-12, atol=0)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_torch_gradcheck(torch, small_blocks, rng, reduction):
    """gradcheck in float64 (its one-hot output gradients take the recomputing backward for "none")."""
    (h, w, b, t), _ = _torch_pair(rng, (7,), bias=True)
    t[2] = -100
    f = lambda h, w, b: pl.linear_cross_entropy(h, w, t, bias=b, reduction=reduction, label_smoothing=0.1)  # noqa: E731
    assert torch.autograd.gradcheck(f, (h, w, b))


def test_torch_generic_kernel_and_no_grad(torch, rng):
    """fast_paths off runs the generic kernel under autograd: the same values and gradients."""
    (h, w, b, t), (h2, w2, b2) = _torch_pair(rng, (7,), bias=True)
    pl.linear_cross_entropy(h, w, t, bias=b).backward()
    with pl.options(fast_paths=False):
        pl.linear_cross_entropy(h2, w2, t, bias=b2).backward()
    for mine, theirs in ((h, h2), (w, w2), (b, b2)):
        torch.testing.assert_close(mine.grad, theirs.grad, rtol=1e-12, atol=1e-15)
    with torch.no_grad():
        out = pl.linear_cross_entropy(h, w, t, bias=b)
    assert not out.requires_grad


def test_torch_half_precision_gradients(torch, rng):
    (h, w, b, t), (h2, w2, b2) = _torch_pair(rng, (7,), bias=True, dtype="bfloat16")
    out = pl.linear_cross_entropy(h, w, t, bias=b)
    out.backward()
    assert out.dtype == h.grad.dtype == w.grad.dtype == b.grad.dtype == torch.bfloat16
    f32 = [a.detach().float().requires_grad_(True) for a in (h2, w2, b2)]
    _torch_plain(*f32, t).backward()
    for mine, theirs in zip((h, w, b), f32):
        torch.testing.assert_close(mine.grad.float(), theirs.grad, rtol=1e-2, atol=1e-3)


# -- JAX --------------------------------------------------------------------------------------


@pytest.fixture
def jnp():
    pytest.importorskip("jax")
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    return jnp


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("option", ["smoothing", "ignored rows, full smoothing", "plain"])
def test_jax_gradients_match_the_composition(jnp, small_blocks, rng, option, reduction):
    import jax

    kw = dict(OPTIONS[option], reduction=reduction)
    h, w, b, t = _problem(rng, (2, 5), bias=option != "plain")
    if option == "ignored rows, full smoothing":
        t.reshape(-1)[::3] = -100
    cot = jnp.asarray(rng.uniform(0.5, 1.5, (2, 5) if reduction == "none" else ()))
    tj = jnp.asarray(t)

    def mine(h, w, b):
        return jnp.sum(pl.linear_cross_entropy(h, w, tj, bias=b, **kw) * cot)

    def plain(h, w, b):
        z = h @ w.T + (0 if b is None else b)
        return jnp.sum(pl.cross_entropy(jnp.moveaxis(z, -1, 1), tj, **kw) * cot)

    args = tuple(None if a is None else jnp.asarray(a) for a in (h, w, b))
    argnums = (0, 1) if b is None else (0, 1, 2)
    v1, g1 = jax.jit(jax.value_and_grad(mine, argnums=argnums))(*args)
    v2, g2 = jax.value_and_grad(plain, argnums=argnums)(*args)
    np.testing.assert_allclose(float(v1), float(v2), rtol=1e-12)
    for a, c in zip(g1, g2):
        np.testing.assert_allclose(np.asarray(a), np.asarray(c), rtol=1e-11, atol=1e-14)


def test_jax_vmap_and_jit(jnp, small_blocks, rng):
    import jax

    h, w, b, t = _problem(rng, (3, 7))
    hj, wj, bj, tj = (jnp.asarray(a) for a in (h, w, b, t))
    f = lambda h, t: pl.linear_cross_entropy(h, wj, t, bias=bj, label_smoothing=0.1)  # noqa: E731
    got = jax.jit(jax.vmap(f))(hj, tj)
    want = [reference(h[i], w, b, t[i], label_smoothing=0.1) for i in range(3)]
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12)
    # per-example gradients of the weight: vmap of grad
    grads = jax.vmap(jax.grad(lambda w, h, t: pl.linear_cross_entropy(h, w, t, bias=bj)), in_axes=(None, 0, 0))(wj, hj, tj)
    for i in range(3):
        one = jax.grad(lambda w: pl.cross_entropy(hj[i] @ w.T + bj, tj[i]))(wj)
        np.testing.assert_allclose(np.asarray(grads[i]), np.asarray(one), rtol=1e-11, atol=1e-14)


def test_jax_sharded_rows():
    """Rows sharded over two (host) devices: jit(value_and_grad) equals the unsharded result.
    A subprocess, since the device count is fixed when JAX starts."""
    pytest.importorskip("jax")
    code = textwrap.dedent("""
        import jax, numpy as np, jax.numpy as jnp
        from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
        import polyloss as pl
        jax.config.update("jax_enable_x64", True)
        assert len(jax.devices()) == 2
        rng = np.random.default_rng(0)
        h, w = jnp.asarray(rng.standard_normal((64, 8))), jnp.asarray(rng.standard_normal((50, 8)))
        t = jnp.asarray(rng.integers(0, 50, 64))
        mesh = Mesh(np.asarray(jax.devices()), ("rows",))
        hs = jax.device_put(h, NamedSharding(mesh, P("rows", None)))
        ts = jax.device_put(t, NamedSharding(mesh, P("rows")))
        f = jax.jit(jax.value_and_grad(lambda h, w, t: pl.linear_cross_entropy(h, w, t), argnums=(0, 1)))
        (v1, (gh1, gw1)), (v2, (gh2, gw2)) = f(hs, w, ts), f(h, w, t)
        ref = jax.value_and_grad(lambda h, w: pl.cross_entropy(h @ w.T, t), argnums=(0, 1))(h, w)
        for a, b in ((v1, v2), (gh1, gh2), (gw1, gw2), (v1, ref[0]), (gh1, ref[1][0]), (gw1, ref[1][1])):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-15)
        print("ok")
    """)
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "JAX_PLATFORMS": "cpu"}
    root = os.path.dirname(os.path.dirname(os.path.abspath(pl.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")])
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-3000:]


# -- Dask --------------------------------------------------------------------------------------


def _raising_scheduler(dsk, keys, **kwargs):
    raise AssertionError("polyloss computed a Dask graph eagerly (a scheduler was called)")


def test_dask_stays_lazy_with_row_chunks(rng):
    da = pytest.importorskip("dask.array")
    import dask

    h, w, b, t = _problem(rng, (40,))
    t[::7] = -100
    dh, dt = da.from_array(h, chunks=(9, H)), da.from_array(t, chunks=9)
    with dask.config.set(scheduler=_raising_scheduler):
        outs = {r: pl.linear_cross_entropy(dh, da.from_array(w), dt, bias=da.from_array(b), reduction=r,
                                           label_smoothing=0.1) for r in ("none", "mean", "sum")}
    for r, out in outs.items():
        assert isinstance(out, da.Array)
        np.testing.assert_allclose(out.compute(scheduler="threads"), reference(h, w, b, t, reduction=r, label_smoothing=0.1),
                                   rtol=1e-12)


def test_dask_local_cluster():
    """A row-chunked (20 chunks) input on a two-worker distributed LocalCluster equals NumPy."""
    pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    import dask.array as da

    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster,
        distributed.Client(cluster) as client,
    ):
        rng = da.random.default_rng(2026)
        h = rng.standard_normal((20_000, 16), chunks=(1_000, 16))
        w = rng.standard_normal((300, 16), chunks=(300, 16))
        t = rng.integers(0, 300, size=20_000, chunks=1_000)
        loss = pl.linear_cross_entropy(h, w, t, label_smoothing=0.1)
        got, hn, wn, tn = client.compute([loss, h, w, t], sync=True)
        assert len(client.scheduler_info()["workers"]) == 2
    np.testing.assert_allclose(got, reference(hn, wn, None, tn, label_smoothing=0.1), rtol=1e-12)


# -- memory -----------------------------------------------------------------------------------


def test_numpy_memory_is_a_fraction_of_the_logits():
    """tracemalloc's peak during the forward stays below a tenth of the (N, V) float32 logits."""
    import tracemalloc

    rng = np.random.default_rng(0)
    n, v, d = 2048, 32_000, 16  # the logits of the goal (262 MB of float32), a thinner H
    h = rng.standard_normal((n, d), dtype=np.float32)
    w = rng.standard_normal((v, d), dtype=np.float32)
    t = rng.integers(0, v, n)
    tracemalloc.start()
    try:
        loss = pl.linear_cross_entropy(h, w, t)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.1 * n * v * 4, peak
    np.testing.assert_allclose(float(loss), float(reference(h.astype(np.float64), w.astype(np.float64), None, t)),
                               rtol=1e-5)


def test_torch_backward_twice_through_a_retained_graph(torch, rng):
    """The first backward scales the forward's gradients in place; a second one recomputes them."""
    (h, w, b, t), (h2, w2, b2) = _torch_pair(rng, (7,), bias=True)
    out = pl.linear_cross_entropy(h, w, t, bias=b)
    out.backward(retain_graph=True)
    out.backward()
    _torch_plain(h2, w2, b2, t).backward()
    for mine, theirs in ((h, h2), (w, w2), (b, b2)):
        torch.testing.assert_close(mine.grad, 2 * theirs.grad, rtol=1e-12, atol=1e-15)
