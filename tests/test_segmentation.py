"""dice_loss, jaccard_loss, tversky_loss: the chapter's formulas, mpmath accuracy, layouts, empty masks, errors."""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest

import polyloss as pl

mpmath.mp.dps = 50
R = {"float64": 1e-12, "float32": 3e-6}


def mpf(v) -> mpmath.mpf:
    return mpmath.mpf(float(v))


def one_hot(t: np.ndarray, c: int) -> np.ndarray:
    """(N, d...) class indices -> (N, C, d...) one-hot."""
    return np.moveaxis(np.eye(c)[t], -1, 1)


def mp_index_losses(p: np.ndarray, t: np.ndarray, alpha, beta, gamma, smooth, kind: str):
    """Per (sample, class) loss from the textbook ratios, in mpmath (t: one-hot/soft, p's shape)."""
    out = []
    s = mpf(smooth)
    for n in range(p.shape[0]):
        row = []
        for c in range(p.shape[1]):
            pp = [mpf(v) for v in np.ravel(p[n, c])]
            tt = [mpf(v) for v in np.ravel(t[n, c])]
            inter = mpmath.fsum(a * b for a, b in zip(pp, tt))
            sp, st = mpmath.fsum(pp), mpmath.fsum(tt)
            if kind == "dice":
                ratio = (2 * inter + s) / (sp + st + s) if sp + st + s else mpmath.mpf(1)
            elif kind == "jaccard":
                ratio = (inter + s) / (sp + st - inter + s) if sp + st - inter + s else mpmath.mpf(1)
            else:
                fp = mpmath.fsum(a * (1 - b) for a, b in zip(pp, tt))
                fn = mpmath.fsum((1 - a) * b for a, b in zip(pp, tt))
                den = inter + mpf(alpha) * fp + mpf(beta) * fn + s
                ratio = (inter + s) / den if den else mpmath.mpf(1)
            row.append((1 - ratio) ** mpf(gamma))
        out.append(row)
    return out


def max_rel(got, want) -> float:
    worst = 0.0
    for g, w in zip(np.ravel(np.asarray(got, dtype=np.float64)), [v for row in want for v in row]):
        err = abs(mpf(g) - w)
        worst = max(worst, float(err / w) if w != 0 else float(err))
    return worst


def softmax_probs(rng, shape):
    z = rng.standard_normal(shape) * 3
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


LOSSES = {
    "dice": lambda x, t, **kw: pl.dice_loss(x, t, **kw),
    "jaccard": lambda x, t, **kw: pl.jaccard_loss(x, t, **kw),
    "tversky": lambda x, t, **kw: pl.tversky_loss(x, t, **kw),
}


# -- the chapter's formulas and the docstring examples ---------------------------------------------------


def test_chapter_formulas_on_binary_masks(backend):
    # Dice loss 1 - 2|A n B| / (|A| + |B|), IoU loss 1 - |A n B| / |A u B|: A = {0, 1, 2}, B = {1, 2, 3}
    a = backend.asarray(np.asarray([[[1.0, 1.0, 1.0, 0.0]]]))
    b = backend.asarray(np.asarray([[[0.0, 1.0, 1.0, 1.0]]]))
    dice = backend.check_result(pl.dice_loss(a, b, smooth=0.0), "float64", ())
    iou = backend.check_result(pl.jaccard_loss(a, b, smooth=0.0), "float64", ())
    assert float(dice) == pytest.approx(1 - 4 / 6, rel=1e-15)
    assert float(iou) == pytest.approx(1 - 2 / 4, rel=1e-15)


@pytest.mark.parametrize("name, kw, printed", [
    ("dice", dict(smooth=0.0), 0.15),
    ("jaccard", dict(smooth=0.0), 0.26087),
    ("tversky", dict(alpha=0.3, beta=0.7, smooth=0.0), 0.186603),
])
def test_docstring_examples(backend, name, kw, printed):
    probs = np.asarray([[[0.9, 0.8, 0.4 if name == "tversky" else 0.1, 0.2]]])
    mask = np.asarray([[[1.0, 1.0, 0.0, 0.0]]])
    out = backend.check_result(LOSSES[name](backend.asarray(probs), backend.asarray(mask), **kw), "float64", ())
    want = mp_index_losses(probs, mask, kw.get("alpha", 0.5), kw.get("beta", 0.5), 1.0, 0.0, name)
    assert round(float(want[0][0]), 6) == printed
    assert max_rel([out], want) <= 1e-15


# -- accuracy against mpmath --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["dice", "jaccard", "tversky"])
def test_accuracy(backend, rng, dtype, name):
    p = softmax_probs(rng, (2, 3, 4, 5)).astype(dtype)
    t = rng.integers(0, 3, (2, 4, 5))
    t[1] = 0  # class 1 and 2 absent from the second sample's mask
    settings = [dict(smooth=1.0), dict(smooth=0.0), dict(smooth=1e-5)]
    if name == "tversky":
        settings += [dict(alpha=0.3, beta=0.7, gamma=0.75, smooth=1.0), dict(alpha=0.7, beta=0.3, gamma=2.0, smooth=0.5), dict(alpha=0.0, beta=1.0, smooth=1.0)]
    for kw in settings:
        got = backend.check_result(LOSSES[name](backend.asarray(p), backend.asarray(t), reduction="none", **kw), dtype, (2, 3))
        want = mp_index_losses(p, one_hot(t, 3), kw.get("alpha", 0.5), kw.get("beta", 0.5), kw.get("gamma", 1.0), kw["smooth"], name)
        assert max_rel(got, want) <= R[dtype], kw


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["dice", "jaccard", "tversky"])
def test_nearly_perfect_prediction_keeps_relative_accuracy(backend, rng, dtype, name):
    # the loss is ~1e-6: 1 - ratio would keep only u / 1e-6 of it; the ratio of the error sums keeps all
    t = (rng.random((1, 1, 64)) > 0.5).astype(dtype)
    p = np.abs(t - rng.random((1, 1, 64)).astype(dtype) * 1e-6)
    got = backend.numpy(LOSSES[name](backend.asarray(p), backend.asarray(t), smooth=0.0, reduction="none"))
    want = mp_index_losses(p, t, 0.5, 0.5, 1.0, 0.0, name)
    assert 1e-8 < float(want[0][0]) < 1e-5
    assert max_rel(got, want) <= R[dtype]


def test_soft_labels(backend, rng):
    p = softmax_probs(rng, (3, 2, 6))
    q = softmax_probs(rng, (3, 2, 6))
    for name, f in LOSSES.items():
        got = backend.numpy(f(backend.asarray(p), backend.asarray(q), reduction="none"))
        assert max_rel(got, mp_index_losses(p, q, 0.5, 0.5, 1.0, 1.0, name)) <= R["float64"]


# -- relations between the three, layouts, reductions ---------------------------------------------------------


def test_relations(backend, rng):
    p = backend.asarray(softmax_probs(rng, (3, 4, 5, 2)))
    t_np = rng.integers(0, 4, (3, 5, 2))
    t, oh = backend.asarray(t_np), backend.asarray(one_hot(t_np, 4))
    none = dict(reduction="none")

    def close(a, b, rtol=1e-14):
        np.testing.assert_allclose(backend.numpy(a), backend.numpy(b), rtol=rtol, atol=1e-15)

    for f in LOSSES.values():
        close(f(p, t, **none), f(p, oh, **none))  # class indices == one-hot
    close(pl.dice_loss(p, t, smooth=0.6, **none), pl.tversky_loss(p, t, alpha=0.5, beta=0.5, smooth=0.3, **none))
    close(pl.jaccard_loss(p, t, smooth=0.6, **none), pl.tversky_loss(p, t, alpha=1.0, beta=1.0, smooth=0.6, **none))
    base = backend.numpy(pl.tversky_loss(p, t, alpha=0.3, beta=0.7, **none))
    for gamma in (0.5, 0.75, 2.0):
        focal = backend.numpy(pl.tversky_loss(p, t, alpha=0.3, beta=0.7, gamma=gamma, **none))
        np.testing.assert_allclose(focal, base**gamma, rtol=1e-13)
    per = backend.numpy(pl.dice_loss(p, t, **none))
    assert float(backend.numpy(pl.dice_loss(p, t))) == pytest.approx(per.mean(), rel=1e-14)
    assert float(backend.numpy(pl.dice_loss(p, t, reduction="sum"))) == pytest.approx(per.sum(), rel=1e-14)


def test_no_spatial_axes_and_3d_volumes(backend, rng):
    p = softmax_probs(rng, (5, 3))
    t = rng.integers(0, 3, 5)
    got = backend.check_result(pl.dice_loss(backend.asarray(p), backend.asarray(t), reduction="none"), "float64", (5, 3))
    assert max_rel(got, mp_index_losses(p[..., None], one_hot(t, 3)[..., None], 0.5, 0.5, 1.0, 1.0, "dice")) <= 1e-12
    v = softmax_probs(rng, (1, 2, 3, 4, 5))
    backend.check_result(pl.jaccard_loss(backend.asarray(v), backend.asarray(rng.integers(0, 2, (1, 3, 4, 5))), reduction="none"), "float64", (1, 2))


# -- empty masks --------------------------------------------------------------------------------------------------


def test_empty_masks(backend):
    empty = backend.asarray(np.zeros((1, 1, 4)))
    pred = backend.asarray(np.asarray([[[0.5, 0.25, 0.0, 0.25]]]))  # total mass 1
    for f in LOSSES.values():
        # an empty prediction on an empty mask is a perfect match, with and without smoothing
        assert float(backend.numpy(f(empty, empty))) == 0.0
        assert float(backend.numpy(f(empty, empty, smooth=0.0))) == 0.0
        # with smooth = 0 anything predicted on an empty mask (or nothing on a full one) is loss 1
        assert float(backend.numpy(f(pred, empty, smooth=0.0))) == 1.0
        assert float(backend.numpy(f(empty, pred, smooth=0.0))) == 1.0
    # with smoothing s, mass P on an empty mask gives (weight * P) / (weight * P + s)
    assert float(backend.numpy(pl.dice_loss(pred, empty, smooth=1.0))) == pytest.approx(1 / 2, rel=1e-15)
    assert float(backend.numpy(pl.jaccard_loss(pred, empty, smooth=3.0))) == pytest.approx(1 / 4, rel=1e-15)
    assert float(backend.numpy(pl.tversky_loss(pred, empty, alpha=0.3, smooth=0.1))) == pytest.approx(0.3 / 0.4, rel=1e-15)


# -- dtypes, backends -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_dtype_and_shape_preserved(backend, rng, dtype):
    tol = {"float16": 2e-3, "bfloat16": 1.6e-2, "float32": 2e-6, "float64": 1e-14}[dtype]
    p = softmax_probs(rng, (2, 3, 4, 4))
    t = rng.integers(0, 3, (2, 4, 4))
    P = backend.asarray(p, dtype)
    wide = backend.asarray(backend.numpy(P).astype("float64"))
    for (name, f), (reduction, shape) in itertools.product(LOSSES.items(), (("none", (2, 3)), ("mean", ()), ("sum", ()))):
        for target in (backend.asarray(t), backend.asarray(one_hot(t, 3), dtype)):
            out = backend.check_result(f(P, target, reduction=reduction), dtype, shape)
            ref = f(wide, backend.asarray(t), reduction=reduction)
            np.testing.assert_allclose(out, backend.numpy(ref), rtol=tol, atol=tol)


def test_jax_jit_and_grad(backend, rng):
    if backend.name != "jax":
        pytest.skip("jax only")
    import jax

    p = backend.asarray(softmax_probs(rng, (2, 3, 4)))
    t = backend.asarray(rng.integers(0, 3, (2, 4)))
    for f in LOSSES.values():
        np.testing.assert_allclose(np.asarray(jax.jit(f)(p, t)), np.asarray(f(p, t)), rtol=1e-14)
        assert np.all(np.isfinite(np.asarray(jax.grad(f)(p, t))))
    # under jit the values cannot be checked: an out-of-range class gives NaN for that sample
    out = jax.jit(lambda p, t: pl.dice_loss(p, t, reduction="none"))(p, t.at[0, 0].set(7))
    np.testing.assert_array_equal(np.isnan(np.asarray(out)), [[True] * 3, [False] * 3])


def test_torch_autograd(rng):
    torch = pytest.importorskip("torch")
    z = torch.asarray(rng.standard_normal((2, 3, 5)), requires_grad=True)
    t = torch.asarray(rng.integers(0, 3, (2, 5)))
    loss = pl.tversky_loss(torch.softmax(z, 1), t, alpha=0.3, beta=0.7, gamma=0.75)
    (g,) = torch.autograd.grad(loss, z)
    p = torch.softmax(z, 1)
    oh = torch.nn.functional.one_hot(t, 3).permute(0, 2, 1).double()
    tp, fp, fn = (p * oh).sum(2), (p * (1 - oh)).sum(2), ((1 - p) * oh).sum(2)
    ref = (1 - (tp + 1) / (tp + 0.3 * fp + 0.7 * fn + 1)) ** 0.75  # the textbook form, in torch
    (h,) = torch.autograd.grad(ref.mean(), z)
    torch.testing.assert_close(g, h, rtol=1e-10, atol=1e-13)


# -- bad input --------------------------------------------------------------------------------------------------------


def test_errors(backend):
    p = backend.asarray(np.full((2, 3, 4), 1 / 3))
    t = backend.asarray(np.zeros((2, 4), dtype="int64"))
    with pytest.raises(ValueError, match=r"`input` must have a batch and a class axis, shape \(N, C, d1, ..., dK\); got shape \(4,\)"):
        pl.dice_loss(backend.asarray(np.full(4, 0.5)), backend.asarray(np.zeros(4)))
    with pytest.raises(ValueError, match=r"`target` of class indices must have shape \(2, 4\) .* got \(2, 5\)"):
        pl.dice_loss(p, backend.asarray(np.zeros((2, 5), dtype="int64")))
    with pytest.raises(ValueError, match=r"`target` of class probabilities must have the shape of `input` \(2, 3, 4\); got \(2, 1, 4\)"):
        pl.jaccard_loss(p, backend.asarray(np.zeros((2, 1, 4))))
    with pytest.raises(ValueError, match=r"`smooth` must be in \[0, inf\); got -1.0"):
        pl.dice_loss(p, t, smooth=-1.0)
    with pytest.raises(ValueError, match=r"`alpha` must be in \[0, inf\); got -0.1"):
        pl.tversky_loss(p, t, alpha=-0.1)
    with pytest.raises(ValueError, match=r"`beta` must be in \[0, inf\); got nan"):
        pl.tversky_loss(p, t, beta=float("nan"))
    with pytest.raises(ValueError, match=r"`gamma` must be in \(0, inf\); got 0.0"):
        pl.tversky_loss(p, t, gamma=0.0)
    with pytest.raises(TypeError, match="`input` must be a real floating-point array; got dtype int64"):
        pl.dice_loss(t, t)
    with pytest.raises(TypeError, match="`target` must be an integer array of class indices; got dtype bool"):
        pl.dice_loss(p, t == 0)
    with pytest.raises(ValueError, match="`reduction` must be one of"):
        pl.dice_loss(p, t, reduction="batchmean")
    logits = backend.asarray(np.full((2, 3, 4), 2.0))
    bad_t = backend.asarray(np.asarray([[0, 1, 2, 3], [0, 0, 0, 0]]))
    if backend.name == "dask":  # lazy values: NaN marks the bad samples instead of an error
        assert np.isnan(backend.numpy(pl.dice_loss(logits, t, reduction="none"))).all()
        np.testing.assert_array_equal(np.isnan(backend.numpy(pl.dice_loss(p, bad_t, reduction="none"))), [[True] * 3, [False] * 3])
    else:
        with pytest.raises(ValueError, match=r"`input` must hold probabilities in \[0, 1\]"):
            pl.dice_loss(logits, t)
        with pytest.raises(ValueError, match=r"`target` must hold probabilities in \[0, 1\]"):
            pl.dice_loss(p, logits)
        with pytest.raises(IndexError, match=r"`target` must be class indices in \[0, 2\]"):
            pl.tversky_loss(p, bad_t)
