"""generalized_box_iou_loss: golden cases, mpmath accuracy, torchvision parity (its formula, written here), errors."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import polyloss as pl

mpmath.mp.dps = 50
R = {"float64": 1e-12, "float32": 3e-6}


def mpf(v) -> mpmath.mpf:
    return mpmath.mpf(float(v))


def mp_giou_loss(b1, b2, eps=1e-7) -> mpmath.mpf:
    """torchvision.ops.generalized_box_iou_loss, evaluated exactly on the float coordinates."""
    x1, y1, x2, y2 = map(mpf, b1)
    x1g, y1g, x2g, y2g = map(mpf, b2)
    wi, hi = min(x2, x2g) - max(x1, x1g), min(y2, y2g) - max(y1, y1g)
    inter = wi * hi if (wi > 0 and hi > 0) else mpmath.mpf(0)
    union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter
    iou = inter / (union + mpf(eps))
    area_c = (max(x2, x2g) - min(x1, x1g)) * (max(y2, y2g) - min(y1, y1g))
    return 1 - (iou - (area_c - union) / (area_c + mpf(eps)))


def torchvision_giou_loss(torch, boxes1, boxes2, reduction="none", eps=1e-7):
    """torchvision/ops/giou_loss.py (v0.20) and _utils._loss_inter_union, verbatim in substance."""
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xkis1, ykis1 = torch.max(x1, x1g), torch.max(y1, y1g)
    xkis2, ykis2 = torch.min(x2, x2g), torch.min(y2, y2g)
    intsctk = torch.zeros_like(x1)
    mask = (ykis2 > ykis1) & (xkis2 > xkis1)
    intsctk[mask] = (xkis2[mask] - xkis1[mask]) * (ykis2[mask] - ykis1[mask])
    unionk = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - intsctk
    iouk = intsctk / (unionk + eps)
    xc1, yc1 = torch.min(x1, x1g), torch.min(y1, y1g)
    xc2, yc2 = torch.max(x2, x2g), torch.max(y2, y2g)
    area_c = (xc2 - xc1) * (yc2 - yc1)
    miouk = iouk - ((area_c - unionk) / (area_c + eps))
    loss = 1 - miouk
    if reduction == "mean":
        loss = loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    elif reduction == "sum":
        loss = loss.sum()
    return loss


def random_boxes(rng, n, scale=10.0):
    xy = rng.random((n, 2)) * scale
    wh = rng.random((n, 2)) * scale / 2
    return np.concatenate([xy, xy + wh], axis=1)


def max_rel(got, want) -> float:
    worst = 0.0
    for g, w in zip(np.ravel(np.asarray(got, dtype=np.float64)), want):
        worst = max(worst, float(abs(mpf(g) - w) / w))
    return worst


# -- golden cases ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("b1, b2, value", [
    ([0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 3.0, 3.0], 68 / 63),  # docstring: 1 - (1/7 - 2/9)
    ([0.0, 0.0, 1.0, 1.0], [2.0, 2.0, 3.0, 3.0], 1 + 7 / 9),  # disjoint: iou 0, enclosing gap 7 of 9
    ([0.0, 0.0, 4.0, 4.0], [1.0, 1.0, 2.0, 2.0], 1 - 1 / 16),  # contained
    ([0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 2.0, 1.0], 1.0),  # touching: no intersection, no gap
    ([0.0, 0.0, 4.0, 1.0], [1.0, -1.0, 2.0, 3.0], 1 - 1 / 7 + 9 / 16),  # a cross
])
def test_golden_cases(backend, b1, b2, value):
    out = pl.generalized_box_iou_loss(backend.asarray([b1]), backend.asarray([b2]), reduction="none")
    got = backend.check_result(out, "float64", (1,))
    want = mp_giou_loss(b1, b2)
    assert abs(float(want) - value) < 1e-6  # eps = 1e-7 moves the textbook value slightly
    assert max_rel(got, [want]) <= 1e-15


def test_identical_boxes(backend):
    # loss = eps / (area + eps): torchvision's 1 - area / (area + eps) keeps no digit of it in float32
    b = np.asarray([[1.0, 2.0, 4.0, 6.0], [0.0, 0.0, 1e-3, 1e-3]])
    for dtype in ("float32", "float64"):
        got = backend.numpy(pl.generalized_box_iou_loss(backend.asarray(b, dtype), backend.asarray(b, dtype), reduction="none"))
        want = [mp_giou_loss(r, r) for r in b.astype(dtype)]
        assert max_rel(got, want) <= R[dtype]


def test_degenerate_boxes(backend):
    point = backend.asarray([[1.0, 1.0, 1.0, 1.0]])
    # torchvision: iou = 0 / eps = 0, |C| = 0 -> loss 1
    assert float(backend.numpy(pl.generalized_box_iou_loss(point, point))) == 1.0
    # eps = 0: 0 / 0, NaN as in torchvision
    assert np.isnan(backend.numpy(pl.generalized_box_iou_loss(point, point, eps=0.0)))


# -- accuracy against mpmath -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_accuracy_random_boxes(backend, rng, dtype):
    b1 = random_boxes(rng, 40).astype(dtype)
    b2 = random_boxes(rng, 40).astype(dtype)
    got = backend.check_result(pl.generalized_box_iou_loss(backend.asarray(b1), backend.asarray(b2), reduction="none"), dtype, (40,))
    assert max_rel(got, [mp_giou_loss(a, b) for a, b in zip(b1, b2)]) <= R[dtype]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("offset", [0.0, 1e3])
def test_accuracy_nearly_coincident_boxes(backend, rng, dtype, offset):
    # a well-trained detector: boxes 1e-3 apart relative to their size, far from the origin too
    b1 = random_boxes(rng, 30) + 1.0 + offset
    b2 = b1 + rng.standard_normal((30, 4)) * 1e-3
    b1, b2 = b1.astype(dtype), b2.astype(dtype)
    got = backend.numpy(pl.generalized_box_iou_loss(backend.asarray(b1), backend.asarray(b2), reduction="none"))
    want = [mp_giou_loss(a, b) for a, b in zip(b1, b2)]
    # the coordinates themselves differ by ~1e-3 * size, so relative accuracy is conditioned
    # by |coordinate| / (size * loss) on the differences taken; offset 1e3 costs a factor 1e3
    budget = R[dtype] * (1 if offset == 0 else 1e3)
    assert max_rel(got, want) <= budget
    if backend.name == "torch":
        import torch

        naive = torchvision_giou_loss(torch, torch.asarray(b1), torch.asarray(b2)).numpy()
        assert max_rel(naive, want) > 10 * max(max_rel(got, want), 1e-16)


# -- torchvision parity ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(12,), (3, 5), ()], ids=str)
def test_matches_torchvision(backend, rng, shape):
    torch = pytest.importorskip("torch")
    n = int(np.prod(shape)) if shape else 1
    b1 = random_boxes(rng, n).reshape(*shape, 4)
    b2 = random_boxes(rng, n).reshape(*shape, 4)
    b2.reshape(-1, 4)[0] = b1.reshape(-1, 4)[0] + 5.0  # and a disjoint pair
    for reduction in ("none", "mean", "sum"):
        for eps in (1e-7, 0.0, 0.5):
            got = backend.numpy(pl.generalized_box_iou_loss(backend.asarray(b1), backend.asarray(b2), reduction=reduction, eps=eps))
            want = torchvision_giou_loss(torch, torch.asarray(b1), torch.asarray(b2), reduction=reduction, eps=eps).numpy()
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_empty(backend):
    e = backend.asarray(np.zeros((0, 4)))
    # torchvision: the mean over no boxes is 0 (not torch's NaN), so an image without matches trains on
    assert float(backend.check_result(pl.generalized_box_iou_loss(e, e), "float64", ())) == 0.0
    assert float(backend.numpy(pl.generalized_box_iou_loss(e, e, reduction="sum"))) == 0.0
    backend.check_result(pl.generalized_box_iou_loss(e, e, reduction="none"), "float64", (0,))


def test_torch_gradients_match_torchvision(rng):
    torch = pytest.importorskip("torch")
    b1 = torch.asarray(random_boxes(rng, 6), requires_grad=True)
    b2 = torch.asarray(random_boxes(rng, 6), requires_grad=True)
    g = torch.autograd.grad(pl.generalized_box_iou_loss(b1, b2), (b1, b2))
    h = torch.autograd.grad(torchvision_giou_loss(torch, b1, b2, reduction="mean"), (b1, b2))
    for a, b in zip(g, h):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-13)


def test_jax_jit_and_grad(backend, rng):
    if backend.name != "jax":
        pytest.skip("jax only")
    import jax

    b1, b2 = backend.asarray(random_boxes(rng, 5)), backend.asarray(random_boxes(rng, 5))
    f = pl.generalized_box_iou_loss
    np.testing.assert_allclose(np.asarray(jax.jit(f)(b1, b2)), np.asarray(f(b1, b2)), rtol=1e-14)
    assert np.all(np.isfinite(np.asarray(jax.grad(f)(b1, b2))))
    bad = b2.at[1, 2].set(b2[1, 0] - 1)  # x2 < x1 cannot raise under jit: NaN for that pair
    out = np.asarray(jax.jit(lambda a, b: f(a, b, reduction="none"))(b1, bad))
    np.testing.assert_array_equal(np.isnan(out), [False, True, False, False, False])


# -- dtypes, errors ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_dtype_and_shape_preserved(backend, rng, dtype):
    tol = {"float16": 2e-3, "bfloat16": 1.6e-2, "float32": 2e-6, "float64": 1e-14}[dtype]
    b1, b2 = backend.asarray(random_boxes(rng, 6), dtype), backend.asarray(random_boxes(rng, 6), dtype)
    w1, w2 = (backend.asarray(backend.numpy(b).astype("float64")) for b in (b1, b2))
    for reduction, shape in (("none", (6,)), ("mean", ()), ("sum", ())):
        out = backend.check_result(pl.generalized_box_iou_loss(b1, b2, reduction=reduction), dtype, shape)
        np.testing.assert_allclose(out, backend.numpy(pl.generalized_box_iou_loss(w1, w2, reduction=reduction)), rtol=tol, atol=tol)


def test_errors(backend):
    b = backend.asarray(np.asarray([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 2.0, 2.0]]))
    with pytest.raises(ValueError, match=r"`boxes1` must have shape \(..., 4\) with boxes as \(x1, y1, x2, y2\); got shape \(2, 3\)"):
        z = backend.asarray(np.zeros((2, 3)))
        pl.generalized_box_iou_loss(z, z)
    with pytest.raises(ValueError, match=r"`boxes1` and `boxes2` must have the same shape; got \(2, 4\) and \(1, 4\)"):
        pl.generalized_box_iou_loss(b, backend.asarray([[0.0, 0.0, 1.0, 1.0]]))
    with pytest.raises(TypeError, match="`boxes1` must be a real floating-point array; got dtype int64"):
        i = backend.asarray(np.zeros((2, 4), dtype="int64"))
        pl.generalized_box_iou_loss(i, i)
    with pytest.raises(ValueError, match=r"`eps` must be in \[0, inf\); got -1.0"):
        pl.generalized_box_iou_loss(b, b, eps=-1.0)
    with pytest.raises(ValueError, match="`reduction` must be one of"):
        pl.generalized_box_iou_loss(b, b, reduction="avg")
    flipped = backend.asarray(np.asarray([[0.0, 0.0, 1.0, 1.0], [2.0, 0.0, 0.0, 2.0]]))
    if backend.name == "dask":  # lazy values: NaN marks the bad pair instead of an error
        out = backend.numpy(pl.generalized_box_iou_loss(b, flipped, reduction="none"))
        np.testing.assert_array_equal(np.isnan(out), [False, True])
    else:
        with pytest.raises(ValueError, match=r"`boxes2` must hold boxes \(x1, y1, x2, y2\) with x2 >= x1 and y2 >= y1; got a box with x2 < x1"):
            pl.generalized_box_iou_loss(b, flipped)
        with pytest.raises(ValueError, match="`boxes1` must hold boxes"):
            pl.generalized_box_iou_loss(flipped, b)
