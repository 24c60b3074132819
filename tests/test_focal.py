"""sigmoid_focal_loss, softmax_focal_loss: mpmath accuracy, torchvision / torch parity, extremes, errors."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import polyloss as pl

mpmath.mp.dps = 80

BUDGET = {"float64": 1e-12, "float32": 3e-6}
REDUCTIONS = ("none", "mean", "sum")


def _mp(v) -> mpmath.mpf:
    return mpmath.mpf(float(v))


# -- mpmath oracles ----------------------------------------------------------------------


def mp_sigmoid_focal_terms(z: np.ndarray, y: np.ndarray, alpha: float, gamma: float) -> list:
    out = []
    for a, b in zip(z.ravel(), y.ravel()):
        a, b = _mp(a), _mp(b)
        log_p, log_q = -mpmath.log1p(mpmath.exp(-a)), -mpmath.log1p(mpmath.exp(a))  # log p, log(1 - p)
        p, q = mpmath.exp(log_p), mpmath.exp(log_q)
        ce = -(b * log_p + (1 - b) * log_q)
        one_minus_pt = b * q + (1 - b) * p
        loss = ce * (one_minus_pt**gamma if gamma != 0 else 1)
        if alpha >= 0:
            loss *= alpha * b + (1 - alpha) * (1 - b)
        out.append(loss)
    return out


def mp_softmax_focal(x: np.ndarray, t: np.ndarray, gamma: float, weight, ignore_index: int, reduction: str):
    """Reference on the (N, C, ...) layout: per-target loss list, or the reduced value."""
    if x.ndim == 1:
        x, t = x[None], np.asarray(t)[None]
    xm = np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])
    tm = t.reshape(-1)
    terms, weights = [], []
    for row, k in zip(xm, tm):
        if k == ignore_index:
            terms.append(mpmath.mpf(0))
            weights.append(mpmath.mpf(0))
            continue
        row = [_mp(v) for v in row]
        lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in row))
        nll = lse - row[k]
        rest = mpmath.fsum(mpmath.exp(v - lse) for j, v in enumerate(row) if j != k)  # 1 - p_t
        w = _mp(weight[k]) if weight is not None else mpmath.mpf(1)
        terms.append(w * (rest**gamma if gamma != 0 else 1) * nll)
        weights.append(w)
    if reduction == "none":
        return terms
    total = mpmath.fsum(terms)
    return total if reduction == "sum" else total / mpmath.fsum(weights)


def reduce_mp(terms: list, reduction: str):
    if reduction == "none":
        return terms
    total = mpmath.fsum(terms)
    return total if reduction == "sum" else total / len(terms)


def rel_err(got, want, *, floor: float = 0.0) -> float:
    """Max relative error; references below ``floor`` (subnormal results) are compared absolutely."""
    got = np.atleast_1d(np.asarray(got, dtype=np.float64)).ravel()
    want = want if isinstance(want, list) else [want]
    errs = []
    for g, w in zip(got, want):
        g = mpmath.mpf(float(g))
        errs.append(abs(g - w) / abs(w) if abs(w) > floor else abs(g - w) / max(floor, 1e-300))
    return float(max(errs))


# -- torchvision reference (torchvision is not installed: its formula, verbatim) ------


def torchvision_sigmoid_focal_loss(inputs, targets, alpha: float = 0.25, gamma: float = 2, reduction: str = "none"):
    import torch
    import torch.nn.functional as F

    p = torch.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    if reduction == "mean":
        loss = loss.mean()
    elif reduction == "sum":
        loss = loss.sum()
    return loss


def torch_softmax_focal(x, t, gamma, weight, ignore_index, reduction):
    """The loss chapter's FocalLoss (ce from F.cross_entropy, p_t = exp(-ce)), class-weighted
    outside p_t and averaged like cross_entropy."""
    import torch
    import torch.nn.functional as F

    ce = F.cross_entropy(x, t, reduction="none", ignore_index=ignore_index)
    pt = torch.exp(-ce)
    valid = t != ignore_index
    w = torch.ones(x.shape[1 if x.ndim > 1 else 0], dtype=x.dtype) if weight is None else weight
    w_t = torch.where(valid, w[torch.where(valid, t, 0)], 0)
    loss = w_t * (1 - pt) ** gamma * ce
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.sum() / w_t.sum()


# -- sigmoid_focal_loss: accuracy ------------------------------------------------------


@pytest.mark.parametrize("alpha, gamma", [(0.25, 2.0), (-1.0, 2.0), (0.5, 0.0), (0.9, 0.5), (0.0, 5.0), (1.0, 1.0)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sigmoid_focal_random_against_mpmath(backend, rng, alpha, gamma, reduction, dtype):
    z = (rng.standard_normal((4, 5)) * 4).astype(dtype)
    y = rng.integers(0, 2, (4, 5)).astype(dtype)
    y[0] = rng.uniform(0, 1, 5)  # soft targets
    out = pl.sigmoid_focal_loss(backend.asarray(z), backend.asarray(y), alpha=alpha, gamma=gamma, reduction=reduction)
    got = backend.check_result(out, dtype, z.shape if reduction == "none" else ())
    want = reduce_mp(mp_sigmoid_focal_terms(z, y, alpha, gamma), reduction)
    if alpha in (0.0, 1.0) and reduction == "none":  # exact zeros from alpha_t = 0
        assert all(g == 0 for g, w in zip(got.ravel(), want) if w == 0)
    assert rel_err(got, want) < BUDGET[dtype]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sigmoid_focal_extreme_logits(backend, dtype):
    fi = np.finfo(dtype)
    big = [1e4, 3e38] if dtype == "float32" else [1e4, 1e300, 1.7e308]
    zs = [0.0, 0.5, -0.5, 15.0, -15.0, 40.0, -40.0, 88.0, -88.0, 700.0, -700.0] + big + [-b for b in big]
    z = np.repeat(np.asarray(zs, dtype=dtype), 3)
    y = np.tile(np.asarray([0.0, 1.0, 0.3], dtype=dtype), len(zs))
    out = pl.sigmoid_focal_loss(backend.asarray(z), backend.asarray(y), reduction="none")
    got = backend.check_result(out, dtype, z.shape)
    assert not np.isnan(got).any()
    assert np.isfinite(got).all()  # every true value here is finite in the dtype
    want = mp_sigmoid_focal_terms(z, y, 0.25, 2.0)
    assert rel_err(got, want, floor=fi.tiny) < BUDGET[dtype]


def test_sigmoid_focal_confident_keeps_relative_accuracy(backend):
    # z = 30, y = 1: 1 - p = 9.4e-14; the loss 0.25 (1 - p)^2 softplus(-30) ~ 2.1e-40 is not 0
    z, y = backend.asarray(np.asarray([30.0, -30.0])), backend.asarray(np.asarray([1.0, 0.0]))
    got = backend.numpy(pl.sigmoid_focal_loss(z, y, reduction="none"))
    want = mp_sigmoid_focal_terms(np.asarray([30.0, -30.0]), np.asarray([1.0, 0.0]), 0.25, 2.0)
    assert rel_err(got, want) < 1e-13
    assert got[0] > 0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_focal_gradients_finite_at_extremes(dtype):
    torch = pytest.importorskip("torch")
    big = 3e38 if dtype == "float32" else 1.7e308
    z = torch.tensor([big, -big, 1e4, -1e4, 0.0, 120.0, -120.0] * 3, dtype=getattr(torch, dtype), requires_grad=True)
    y = torch.tensor([0.0] * 7 + [1.0] * 7 + [0.3] * 7, dtype=getattr(torch, dtype))
    loss = pl.sigmoid_focal_loss(z, y, reduction="none")
    assert torch.isfinite(loss).all()
    loss.sum().backward()
    assert torch.isfinite(z.grad).all()
    # and for moderate logits the gradient matches the torchvision formula's
    zm = torch.linspace(-8, 8, 17, dtype=torch.float64)
    ym = (torch.arange(17) % 2).to(torch.float64)
    a, b = zm.clone().requires_grad_(True), zm.clone().requires_grad_(True)
    pl.sigmoid_focal_loss(a, ym).backward()
    torchvision_sigmoid_focal_loss(b, ym, reduction="mean").backward()
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-12, atol=1e-15)


def test_sigmoid_focal_gradient_at_zero_logits():
    # zero-initialised logits are common: the derivative at z = 0 must be the smooth one
    torch = pytest.importorskip("torch")
    z = torch.zeros(4, dtype=torch.float64)
    y = torch.tensor([0.0, 1.0, 0.3, 0.5], dtype=torch.float64)
    for gamma in (0.0, 0.5, 2.0):
        a, b = z.clone().requires_grad_(True), z.clone().requires_grad_(True)
        pl.sigmoid_focal_loss(a, y, gamma=gamma, reduction="sum").backward()
        torchvision_sigmoid_focal_loss(b, y, gamma=gamma, reduction="sum").backward()
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-14, atol=1e-16)


@settings(max_examples=200, deadline=None)
@given(
    z=st.floats(allow_nan=False, allow_infinity=False, width=32),
    y=st.sampled_from([0.0, 1.0, 0.5, 1e-6]),
    alpha=st.sampled_from([0.25, -1.0, 0.0, 1.0]),
    gamma=st.sampled_from([0.0, 0.5, 2.0, 7.0]),
)
def test_sigmoid_focal_never_nan_for_finite_float32(z, y, alpha, gamma):
    out = pl.sigmoid_focal_loss(np.asarray([z], dtype="float32"), np.asarray([y], dtype="float32"), alpha=alpha, gamma=gamma, reduction="none")
    assert out.dtype == np.float32
    assert np.isfinite(out).all() and (out >= 0).all()


def test_sigmoid_focal_infinite_logits(backend):
    inf = np.inf
    z = backend.asarray(np.asarray([inf, inf, -inf, -inf]))
    y = backend.asarray(np.asarray([1.0, 0.0, 0.0, 1.0]))
    got = backend.numpy(pl.sigmoid_focal_loss(z, y, reduction="none"))
    np.testing.assert_array_equal(got, [0.0, inf, 0.0, inf])


# -- sigmoid_focal_loss: torchvision parity and identities --------------------------------


@pytest.mark.parametrize("alpha", [0.25, -1.0, 0.0, 0.8])
@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0, 3.5])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sigmoid_focal_torchvision_parity(backend, rng, alpha, gamma, reduction):
    torch = pytest.importorskip("torch")
    z = rng.standard_normal((3, 2, 4)) * 3
    y = (rng.uniform(size=(3, 2, 4)) < 0.3).astype("float64")
    y[0, 0] = rng.uniform(size=4)  # soft targets work the same way
    ref = torchvision_sigmoid_focal_loss(torch.asarray(z), torch.asarray(y), alpha=alpha, gamma=gamma, reduction=reduction).numpy()
    out = pl.sigmoid_focal_loss(backend.asarray(z), backend.asarray(y), alpha=alpha, gamma=gamma, reduction=reduction)
    got = backend.check_result(out, "float64", ref.shape)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sigmoid_focal_gamma_zero_without_alpha_is_bce(backend, rng, reduction):
    z, y = backend.asarray(rng.standard_normal((4, 3)) * 5), backend.asarray(rng.uniform(size=(4, 3)))
    a = backend.numpy(pl.sigmoid_focal_loss(z, y, alpha=-1.0, gamma=0.0, reduction=reduction))
    b = backend.numpy(pl.binary_cross_entropy_with_logits(z, y, reduction=reduction))
    np.testing.assert_allclose(a, b, rtol=1e-15, atol=0)


# -- softmax_focal_loss ----------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5,), (6, 5), (3, 4, 2, 2)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_softmax_focal_gamma_zero_is_cross_entropy(backend, rng, shape, weighted, ignore, reduction, monkeypatch):
    # bit for bit against cross_entropy's full path; torch's express lane takes torch's own
    # fused sum, equal to rounding (tests/test_express_lanes.py holds it to the budget)
    monkeypatch.setattr(pl._losses._classification, "express", lambda name, array: None)
    n_classes = shape[0] if len(shape) == 1 else shape[1]
    x = rng.standard_normal(shape) * 3
    tshape = () if len(shape) == 1 else (shape[0], *shape[2:])
    t = rng.integers(0, n_classes, tshape)
    if ignore and t.ndim:
        t.reshape(-1)[0] = -100
    w = backend.asarray(rng.uniform(0.2, 2.0, n_classes)) if weighted else None
    xa, ta = backend.asarray(x), backend.asarray(t)
    a = pl.softmax_focal_loss(xa, ta, gamma=0.0, weight=w, reduction=reduction)
    b = pl.cross_entropy(xa, ta, weight=w, reduction=reduction)
    got = backend.check_result(a, "float64", tuple(b.shape))
    np.testing.assert_array_equal(got, backend.numpy(b))  # bit for bit, same weighted mean


@pytest.mark.parametrize("gamma", [0.5, 2.0, 5.0])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_softmax_focal_random_against_mpmath(backend, rng, gamma, weighted, reduction, dtype):
    x = (rng.standard_normal((6, 4, 3)) * 4).astype(dtype)
    t = rng.integers(0, 4, (6, 3))
    t[0, 0] = -100
    w = rng.uniform(0.2, 2.0, 4).astype(dtype) if weighted else None
    out = pl.softmax_focal_loss(
        backend.asarray(x), backend.asarray(t), gamma=gamma, weight=None if w is None else backend.asarray(w), reduction=reduction
    )
    got = backend.check_result(out, dtype, t.shape if reduction == "none" else ())
    assert rel_err(got, mp_softmax_focal(x, t, gamma, w, -100, reduction)) < BUDGET[dtype]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_softmax_focal_extremes(backend, dtype):
    fi = np.finfo(dtype)
    big = 1.5e38 if dtype == "float32" else 1e300  # 2 * big (the wrong-class loss) stays finite
    x = np.asarray(
        [
            [40.0, 0.0, 0.0],  # confident and right: 1 - p_t = 8.5e-18, the loss ~ 6e-52 is not 0
            [0.0, 40.0, 0.0],  # confident and wrong
            [1e4, 0.0, -1e4],
            [-1e4, 0.0, 1e4],
            [big, -big, 0.0],
            [-big, big, 0.0],
            [5.0, 5.0, 5.0],
            [0.0, 0.0, -np.inf],
        ],
        dtype=dtype,
    )
    t = np.asarray([0, 0, 0, 0, 0, 0, 1, 1])
    for gamma in (0.5, 2.0):
        out = pl.softmax_focal_loss(backend.asarray(x), backend.asarray(t), gamma=gamma, reduction="none")
        got = backend.check_result(out, dtype, (8,))
        assert not np.isnan(got).any()
        want = mp_softmax_focal(x, t, gamma, None, -100, "none")
        assert rel_err(got, want, floor=fi.tiny) < BUDGET[dtype]
    if dtype == "float64":
        assert got[0] > 0


def test_softmax_focal_gradients_finite_at_extremes():
    torch = pytest.importorskip("torch")
    x = torch.tensor([[3e38, -3e38, 0.0], [1e4, 0.0, -1e4], [-1e4, 0.0, 1e4], [200.0, 0.0, 0.0]], requires_grad=True)
    t = torch.tensor([0, 0, 0, 0])
    loss = pl.softmax_focal_loss(x, t, reduction="sum")
    assert torch.isfinite(loss)
    loss.backward()
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0, 4.0])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 1])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(7, 4), (3, 4, 5)])
def test_softmax_focal_torch_parity(backend, rng, gamma, weighted, ignore_index, reduction, shape):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal(shape) * 2
    t = rng.integers(0, shape[1], (shape[0], *shape[2:]))
    t.reshape(-1)[1] = ignore_index
    w = rng.uniform(0.2, 2.0, shape[1]) if weighted else None
    ref = torch_softmax_focal(
        torch.asarray(x), torch.asarray(t), gamma, None if w is None else torch.asarray(w), ignore_index, reduction
    ).numpy()
    out = pl.softmax_focal_loss(
        backend.asarray(x), backend.asarray(t), gamma=gamma, weight=None if w is None else backend.asarray(w),
        ignore_index=ignore_index, reduction=reduction,
    )
    got = backend.check_result(out, "float64", ref.shape)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-300)


def test_softmax_focal_gradient_parity(rng):
    torch = pytest.importorskip("torch")
    x = torch.asarray(rng.standard_normal((6, 5)) * 2)
    x[0] = 0.0  # zero-initialised logits: all classes tied
    x[1, :2] = 1.5  # a tie at the maximum
    t = torch.asarray(rng.integers(0, 5, 6))
    w = torch.asarray(rng.uniform(0.5, 1.5, 5))
    a, b = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    pl.softmax_focal_loss(a, t, gamma=2.0, weight=w).backward()
    torch_softmax_focal(b, t, 2.0, w, -100, "mean").backward()
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-12, atol=1e-15)


def test_softmax_focal_unbatched_and_all_ignored(backend):
    x = backend.asarray(np.asarray([2.0, 1.0, 0.1]))
    got = backend.check_result(pl.softmax_focal_loss(x, backend.asarray(np.asarray(0)), reduction="none"), "float64", ())
    assert rel_err(got, mp_softmax_focal(np.asarray([2.0, 1.0, 0.1]), np.asarray(0), 2.0, None, -100, "none")) < 1e-13
    xs, ts = backend.asarray(np.zeros((2, 3))), backend.asarray(np.asarray([-100, -100]))
    assert np.isnan(backend.check_result(pl.softmax_focal_loss(xs, ts), "float64", ()))  # 0/0, as cross_entropy
    one = backend.asarray(np.zeros((2, 1)))  # one class: p_t = 1, loss 0
    np.testing.assert_array_equal(backend.numpy(pl.softmax_focal_loss(one, backend.asarray(np.asarray([0, 0])), reduction="none")), [0.0, 0.0])


# -- dtype, namespace, shape, laziness ------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_dtype_namespace_and_shape(backend, rng, dtype, reduction):
    rtol = {"float16": 2e-3, "bfloat16": 1.6e-2, "float32": 3e-6, "float64": 1e-12}[dtype]
    atol = 6e-8 if dtype == "float16" else 0.0  # float16 results below 6e-5 are subnormal
    z, y = backend.asarray(rng.standard_normal((2, 3)) * 3, dtype), backend.asarray(rng.integers(0, 2, (2, 3)), dtype)
    got = backend.check_result(pl.sigmoid_focal_loss(z, y, reduction=reduction), dtype, (2, 3) if reduction == "none" else ())
    zr, yr = backend.numpy(z).astype(np.float64), backend.numpy(y).astype(np.float64)
    want = np.asarray([float(v) for v in np.ravel(reduce_mp(mp_sigmoid_focal_terms(zr, yr, 0.25, 2.0), reduction))])
    np.testing.assert_allclose(got.ravel(), want, rtol=rtol, atol=atol)
    x, t = backend.asarray(rng.standard_normal((4, 3, 2)), dtype), backend.asarray(rng.integers(0, 3, (4, 2)))
    got = backend.check_result(pl.softmax_focal_loss(x, t, reduction=reduction), dtype, (4, 2) if reduction == "none" else ())
    want = mp_softmax_focal(backend.numpy(x).astype(np.float64), backend.numpy(t), 2.0, None, -100, reduction)
    np.testing.assert_allclose(got.ravel(), [float(v) for v in np.ravel(np.asarray(want, dtype=object))], rtol=rtol, atol=atol)


def test_jit_and_lazy(backend, rng):
    z, y = backend.asarray(rng.standard_normal(6)), backend.asarray(rng.integers(0, 2, 6).astype("float64"))
    x, t = backend.asarray(rng.standard_normal((6, 3))), backend.asarray(rng.integers(0, 3, 6))
    if backend.name == "jax":
        import jax

        np.testing.assert_allclose(
            np.asarray(jax.jit(pl.sigmoid_focal_loss)(z, y)), np.asarray(pl.sigmoid_focal_loss(z, y)), rtol=1e-14
        )
        np.testing.assert_allclose(
            np.asarray(jax.jit(pl.softmax_focal_loss)(x, t)), np.asarray(pl.softmax_focal_loss(x, t)), rtol=1e-14
        )
        grad = jax.grad(lambda v: pl.sigmoid_focal_loss(v, y))(z)
        assert np.isfinite(np.asarray(grad)).all()
    elif backend.name == "dask":
        import dask.array as da

        assert isinstance(pl.sigmoid_focal_loss(z, y), da.Array)
        assert isinstance(pl.softmax_focal_loss(x, t), da.Array)
        bad = backend.asarray(np.asarray([0.5, 2.0, 0.0, 1.0, 1.0, 0.0]))
        assert np.isnan(backend.numpy(pl.sigmoid_focal_loss(z, bad)))  # lazy target outside [0, 1]: NaN
    else:
        pytest.skip("jit / laziness apply to jax and dask")


# -- errors ----------------------------------------------------------------------------


def test_sigmoid_focal_errors(backend):
    z = backend.asarray(np.zeros((2, 3)))
    y = backend.asarray(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"`alpha` must be in \[0, 1\]; got 1.5"):
        pl.sigmoid_focal_loss(z, y, alpha=1.5)
    with pytest.raises(ValueError, match=r"`alpha` must be in \[0, 1\]; got nan"):
        pl.sigmoid_focal_loss(z, y, alpha=float("nan"))
    with pytest.raises(TypeError, match="`alpha` must be a real number; got NoneType"):
        pl.sigmoid_focal_loss(z, y, alpha=None)
    with pytest.raises(ValueError, match=r"`gamma` must be in \[0, inf\); got -1.0"):
        pl.sigmoid_focal_loss(z, y, gamma=-1.0)
    with pytest.raises(ValueError, match=r"`gamma` must be in \[0, inf\); got inf"):
        pl.sigmoid_focal_loss(z, y, gamma=float("inf"))
    with pytest.raises(ValueError, match=r"`input` and `target` must have the same shape; got \(2, 3\) and \(3,\)"):
        pl.sigmoid_focal_loss(z, backend.asarray(np.ones(3)))
    with pytest.raises(TypeError, match="`input` must be a real floating-point array; got dtype int64"):
        pl.sigmoid_focal_loss(backend.asarray(np.zeros((2, 3), dtype="int64")), y)
    with pytest.raises(TypeError, match="`target` must be a real floating-point array"):
        pl.sigmoid_focal_loss(z, backend.asarray(np.ones((2, 3), dtype="int64")))
    with pytest.raises(ValueError, match="`reduction` must be one of"):
        pl.sigmoid_focal_loss(z, y, reduction="batchmean")
    if backend.name != "dask":
        with pytest.raises(ValueError, match=r"`target` must hold probabilities in \[0, 1\]"):
            pl.sigmoid_focal_loss(z, backend.asarray(np.full((2, 3), 2.0)))


def test_softmax_focal_errors(backend):
    x = backend.asarray(np.zeros((4, 3)))
    t = backend.asarray(np.asarray([0, 1, 2, 0]))
    with pytest.raises(ValueError, match=r"`gamma` must be in \[0, inf\); got -0.5"):
        pl.softmax_focal_loss(x, t, gamma=-0.5)
    with pytest.raises(TypeError, match="`target` must be an integer array of class indices; got dtype float64"):
        pl.softmax_focal_loss(x, backend.asarray(np.zeros(4)))
    with pytest.raises(ValueError, match=r"`target` of class indices must have shape \(4,\)"):
        pl.softmax_focal_loss(x, backend.asarray(np.asarray([0, 1])))
    with pytest.raises(ValueError, match=r"`weight` must be a 1-d array of one weight per class, shape \(3,\); got \(2,\)"):
        pl.softmax_focal_loss(x, t, weight=backend.asarray(np.ones(2)))
    with pytest.raises(TypeError, match="`ignore_index` must be an int; got float"):
        pl.softmax_focal_loss(x, t, ignore_index=-100.0)
    with pytest.raises(ValueError, match="`reduction` must be one of"):
        pl.softmax_focal_loss(x, t, reduction="batchmean")
    if backend.name != "dask":
        with pytest.raises(IndexError, match=r"`target` must be class indices in \[0, 2\]"):
            pl.softmax_focal_loss(x, backend.asarray(np.asarray([0, 1, 3, 0])))
