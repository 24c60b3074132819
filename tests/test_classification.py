"""binary_cross_entropy(_with_logits), nll_loss, cross_entropy: documented values, accuracy, torch parity, errors."""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest

import polyloss as pl

mpmath.mp.dps = 50
R = {"float64": 1e-12, "float32": 3e-6}  # elementwise relative budgets promised by polyloss


def mpf(v) -> mpmath.mpf:
    return mpmath.mpf(float(v))


def mp_softplus(t) -> mpmath.mpf:
    return mpmath.log1p(mpmath.exp(mpf(t)))


def mp_ce_row(row, t) -> mpmath.mpf:
    return mpmath.log(mpmath.fsum(mpmath.exp(mpf(v)) for v in row)) - mpf(row[t])


def assert_rel(got, want, budget) -> None:
    got = np.asarray(got, dtype=np.float64).ravel()
    for g, w in zip(got, np.ravel(np.asarray(want, dtype=object))):
        err = abs(mpf(g) - w) / abs(w) if w != 0 else abs(mpf(g))
        assert err <= budget, (g, w, err)


# -- the documents' worked examples (values verified with mpmath, see docs/errata.md) ----


def test_nll_document_example(backend):
    log_probs = np.asarray([[-0.5, -1.2, -2.0, -3.0], [-1.0, -0.2, -3.0, -2.0], [-2.0, -1.0, -0.1, -3.0]])
    out = pl.nll_loss(backend.asarray(log_probs), backend.asarray(np.asarray([3, 1, 2])))
    assert float(backend.check_result(out, "float64", ())) == pytest.approx(1.1, rel=1e-15)
    # "input = [[0.6, 0.50, 0.30]], target 1 -> 0.5000": the minus signs were lost in extraction
    out = pl.nll_loss(backend.asarray(np.asarray([[-0.6, -0.5, -0.3]])), backend.asarray(np.asarray([1])))
    assert float(backend.numpy(out)) == 0.5


def test_log_softmax_nll_document_example(backend):
    # printed "input = [[0.8956, 1.1171, 1.3302]] -> 0.8634": the first logit is -0.8956
    x = backend.asarray(np.asarray([[-0.8956, 1.1171, 1.3302]]))
    t = backend.asarray(np.asarray([1]))
    want = mp_ce_row([-0.8956, 1.1171, 1.3302], 1)
    assert round(float(want), 4) == 0.8634
    for out in (pl.nll_loss(pl.log_softmax(x, axis=1), t), pl.cross_entropy(x, t)):
        assert_rel(backend.numpy(out), [want], 1e-15)


def test_bce_document_examples(backend):
    logits = np.asarray([[0.2], [-1.0], [2.0]])
    targets = np.asarray([[1.0], [0.0], [1.0]])
    want = mpmath.fsum(mp_softplus(-z) if y else mp_softplus(z) for z, y in zip(logits.ravel(), targets.ravel())) / 3
    assert round(float(want), 6) == 0.346110
    z, y = backend.asarray(logits), backend.asarray(targets)
    assert_rel(backend.numpy(pl.binary_cross_entropy_with_logits(z, y)), [want], 1e-15)
    assert_rel(backend.numpy(pl.binary_cross_entropy(pl.sigmoid(z), y)), [want], 1e-15)
    # BCE(0.75, 1) = -log 0.75 = 0.2877
    p75 = pl.binary_cross_entropy(backend.asarray([0.75]), backend.asarray([1.0]))
    assert_rel(backend.numpy(p75), [-mpmath.log(mpf(0.75))], 1e-15)
    # three classes [0.277, 0.299, 0.424] against [0, 0, 1] -> 0.5125
    p = [0.277, 0.299, 0.424]
    want3 = -(mpmath.log1p(-mpf(p[0])) + mpmath.log1p(-mpf(p[1])) + mpmath.log(mpf(p[2]))) / 3
    assert round(float(want3), 4) == 0.5125
    out3 = pl.binary_cross_entropy(backend.asarray(p), backend.asarray([0.0, 0.0, 1.0]))
    assert_rel(backend.numpy(out3), [want3], 1e-15)
    # the chapter's BCE example prints 0.1536; the true value is 0.14462 (erratum)
    out = pl.binary_cross_entropy(backend.asarray([0.9, 0.2, 0.1]), backend.asarray([1.0, 0.0, 0.0]))
    want = -(mpmath.log(mpf(0.9)) + mpmath.log1p(-mpf(0.2)) + mpmath.log1p(-mpf(0.1))) / 3
    assert round(float(want), 5) == 0.14462
    assert_rel(backend.numpy(out), [want], 1e-15)
    # BCEWithLogits([1.8, 0.75], [1, 0]) -> 0.6449 and BCE on rounded sigmoids -> 0.6447
    out = pl.binary_cross_entropy_with_logits(backend.asarray([1.8, 0.75]), backend.asarray([1.0, 0.0]))
    want = (mp_softplus(-1.8) + mp_softplus(0.75)) / 2
    assert round(float(want), 4) == 0.6449
    assert_rel(backend.numpy(out), [want], 1e-15)
    out = pl.binary_cross_entropy(backend.asarray([0.858, 0.679]), backend.asarray([1.0, 0.0]))
    assert round(float(backend.numpy(out)), 4) == 0.6447


def test_cross_entropy_document_examples(backend):
    # [[2, 1, 0.1]], class 0 -> 0.4170
    out = pl.cross_entropy(backend.asarray([[2.0, 1.0, 0.1]]), backend.asarray(np.asarray([0])))
    want = mp_ce_row([2.0, 1.0, 0.1], 0)
    assert round(float(want), 4) == 0.4170
    assert_rel(backend.numpy(out), [want], 1e-15)
    # the batch of three from "CrossEntropyLoss Implementation" -> 0.7556
    logits = [[1.0, 2.0, 3.0, 4.0], [2.0, 1.0, 0.0, -1.0], [0.5, 0.5, 0.5, 0.5]]
    targets = [3, 0, 2]
    want = mpmath.fsum(mp_ce_row(r, t) for r, t in zip(logits, targets)) / 3
    assert round(float(want), 4) == 0.7556
    out = pl.cross_entropy(backend.asarray(logits), backend.asarray(np.asarray(targets)))
    assert_rel(backend.numpy(out), [want], 1e-15)
    # unbatched logits [3.05, 3.13, 3.48] with a probability target [0, 0, 1] -> 0.8566
    out = pl.cross_entropy(backend.asarray([3.05, 3.13, 3.48]), backend.asarray([0.0, 0.0, 1.0]))
    want = mp_ce_row([3.05, 3.13, 3.48], 2)
    assert round(float(want), 4) == 0.8566
    assert_rel(backend.check_result(out, "float64", ()), [want], 1e-15)


# -- equivalences the documents state ---------------------------------------------------


def test_sigmoid_bce_equals_bce_with_logits(backend, rng):
    z = rng.standard_normal((3, 4, 5)) * 3
    y = rng.random((3, 4, 5))
    a = pl.binary_cross_entropy(pl.sigmoid(backend.asarray(z)), backend.asarray(y), reduction="none")
    b = pl.binary_cross_entropy_with_logits(backend.asarray(z), backend.asarray(y), reduction="none")
    np.testing.assert_allclose(backend.numpy(a), backend.numpy(b), rtol=1e-12)


def test_log_softmax_nll_equals_cross_entropy(backend, rng):
    x = rng.standard_normal((3, 8, 4, 5))
    t = rng.integers(0, 8, (3, 4, 5))
    X, T = backend.asarray(x), backend.asarray(t)
    a = backend.numpy(pl.nll_loss(pl.log_softmax(X, axis=1), T, reduction="none"))
    b = backend.numpy(pl.cross_entropy(X, T, reduction="none"))
    np.testing.assert_allclose(a, b, rtol=1e-13)
    assert float(backend.numpy(pl.nll_loss(pl.log_softmax(X, axis=1), T))) == pytest.approx(
        float(backend.numpy(pl.cross_entropy(X, T))), rel=1e-14
    )


# -- accuracy against mpmath --------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cross_entropy_elementwise_accuracy(backend, rng, dtype):
    scale = np.geomspace(0.01, 1e4 if dtype == "float64" else 1e3, 24)[:, None]
    x = (rng.standard_normal((24, 6)) * scale).astype(dtype)
    t = rng.integers(0, 6, 24)
    t[::3] = np.argmax(x[::3], axis=1)  # confident, tiny losses
    got = backend.check_result(pl.cross_entropy(backend.asarray(x), backend.asarray(t), reduction="none"), dtype, (24,))
    assert_rel(got, [mp_ce_row(r, k) for r, k in zip(x, t)], R[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_bce_with_logits_elementwise_accuracy(backend, rng, dtype):
    z = np.concatenate([rng.standard_normal(30) * 20, [-88.8, 88.8, -30.0, 50.0, 0.0]]).astype(dtype)
    y = np.concatenate([rng.random(30), [0.0, 1.0, 0.0, 1.0, 0.5]]).astype(dtype)
    pw = np.asarray([2.5], dtype=dtype)
    got = backend.numpy(pl.binary_cross_entropy_with_logits(
        backend.asarray(z), backend.asarray(y), pos_weight=backend.asarray(pw), reduction="none"))
    want = [mpf(b) * mpf(pw[0]) * mp_softplus(-a) + (1 - mpf(b)) * mp_softplus(a) for a, b in zip(z, y)]
    keep = [abs(w) > np.finfo(dtype).tiny for w in want]  # subnormal results hold fewer digits
    assert_rel(got[keep], [w for w, k in zip(want, keep) if k], R[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_bce_with_logits_tiny_loss(backend, dtype):
    # the tiny loss that cancellation destroys: z = -88.8, y = 0 -> 2.72e-39 (not 0);
    # in float32 it is subnormal (2^-149 spacing, hence rel 1e-5)
    if backend.name == "jax" and dtype == "float32":
        pytest.skip("XLA on CPU flushes float32 subnormals to zero; JAX returns 0 here")
    z = backend.asarray(np.asarray([-88.8], dtype=dtype))
    got = backend.numpy(pl.binary_cross_entropy_with_logits(z, z * 0, reduction="none"))[0]
    assert got == pytest.approx(float(mp_softplus(np.asarray(-88.8, dtype=dtype))), rel=1e-15 if dtype == "float64" else 1e-5)


def test_bce_clamps_log_at_minus_100(backend):
    out = pl.binary_cross_entropy(backend.asarray([0.0, 1.0, 0.0, 1.0]), backend.asarray([1.0, 0.0, 0.0, 1.0]), reduction="none")
    np.testing.assert_array_equal(backend.numpy(out), [100.0, 100.0, 0.0, 0.0])
    # small p keeps its digits through log1p(-p): -log(1 - 1e-20) = 1e-20
    tiny = pl.binary_cross_entropy(backend.asarray([1e-20]), backend.asarray([0.0]), reduction="none")
    assert float(backend.numpy(tiny)[0]) == pytest.approx(1e-20, rel=1e-15)


# -- extremes: nothing non-finite from finite inputs ---------------------------------------


@pytest.mark.parametrize("big", [1e4, 3e38])
def test_extreme_logits_float32(backend, big):
    x = np.asarray([[big, -big, 0.0], [-big, big, 0.0], [0.0, 0.0, 0.0]], dtype=np.float32)
    t = np.asarray([0, 1, 2])
    out = backend.numpy(pl.cross_entropy(backend.asarray(x), backend.asarray(t), reduction="none"))
    np.testing.assert_allclose(out, [0.0, 0.0, np.log(3)], rtol=1e-6)
    z = np.asarray([big, -big, big, -big], dtype=np.float32)
    y = np.asarray([1.0, 0.0, 0.0, 1.0], dtype=np.float32)
    bce = backend.numpy(pl.binary_cross_entropy_with_logits(backend.asarray(z), backend.asarray(y), reduction="none"))
    np.testing.assert_array_equal(bce[:2], [0.0, 0.0])
    np.testing.assert_allclose(bce[2:], [big, big], rtol=1e-7)


def test_shifted_uniform_row_gives_log_c(backend):
    x = np.full((2, 7), 1e8)
    out = backend.numpy(pl.cross_entropy(backend.asarray(x), backend.asarray(np.asarray([0, 6])), reduction="none"))
    np.testing.assert_allclose(out, np.log(7), rtol=1e-15)


def test_minus_inf_non_target_logits_contribute_nothing(backend):
    x = np.asarray([[0.0, -np.inf, -np.inf], [1.0, 2.0, -np.inf]])
    out = backend.numpy(pl.cross_entropy(backend.asarray(x), backend.asarray(np.asarray([0, 1])), reduction="none"))
    np.testing.assert_allclose(out, [0.0, float(mp_ce_row([1.0, 2.0], 1))], rtol=1e-15)
    q = np.asarray([[1.0, 0.0, 0.0], [0.25, 0.75, 0.0]])
    soft = backend.numpy(pl.cross_entropy(backend.asarray(x), backend.asarray(q), reduction="none"))
    assert np.isfinite(soft).all()
    np.testing.assert_allclose(soft[0], 0.0, atol=0)


def test_all_ignored_mean_is_nan_and_sum_zero(backend):
    x = backend.asarray(np.zeros((3, 4)))
    t = backend.asarray(np.asarray([-100, -100, -100]))
    assert np.isnan(backend.numpy(pl.cross_entropy(x, t)))
    assert np.isnan(backend.numpy(pl.nll_loss(x, t)))
    assert float(backend.numpy(pl.cross_entropy(x, t, reduction="sum"))) == 0.0
    np.testing.assert_array_equal(backend.numpy(pl.cross_entropy(x, t, reduction="none")), [0.0, 0.0, 0.0])


def test_empty_batch(backend):
    x, t = backend.asarray(np.zeros((0, 4))), backend.asarray(np.zeros((0,), dtype=np.int64))
    assert np.isnan(backend.numpy(pl.cross_entropy(x, t)))
    assert float(backend.numpy(pl.cross_entropy(x, t, reduction="sum"))) == 0.0
    assert backend.check_result(pl.cross_entropy(x, t, reduction="none"), "float64", (0,)).size == 0
    z = backend.asarray(np.zeros((0,)))
    assert np.isnan(backend.numpy(pl.binary_cross_entropy_with_logits(z, z)))


# -- dtypes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_dtype_preserved(backend, rng, dtype):
    x = rng.standard_normal((4, 3))
    t = np.asarray([0, 2, 1, 0])
    y = rng.random((4, 3))
    X = backend.asarray(x, dtype)
    for reduction, shape in (("none", (4,)), ("mean", ()), ("sum", ())):
        out = backend.check_result(pl.cross_entropy(X, backend.asarray(t), reduction=reduction), dtype, shape)
        ref = backend.numpy(pl.cross_entropy(backend.asarray(backend.numpy(X).astype("float64")), backend.asarray(t), reduction=reduction))
        tol = {"float16": 1e-3, "bfloat16": 8e-3, "float32": 1e-6, "float64": 1e-15}[dtype]
        np.testing.assert_allclose(out, ref, rtol=tol)
    Y = backend.asarray(y, dtype)
    backend.check_result(pl.binary_cross_entropy_with_logits(X, Y, reduction="none"), dtype, (4, 3))
    backend.check_result(pl.binary_cross_entropy(pl.sigmoid(X), Y), dtype, ())
    backend.check_result(pl.nll_loss(pl.log_softmax(X, axis=1), backend.asarray(t)), dtype, ())
    backend.check_result(pl.cross_entropy(X, Y, label_smoothing=0.1), dtype, ())


@pytest.mark.parametrize("int_dtype", ["int8", "int16", "int32", "int64", "uint8"])
def test_any_integer_target_dtype(backend, int_dtype):
    x = np.asarray([[1.0, 2.0, 3.0], [0.0, 0.0, 5.0]])
    ref = float(backend.numpy(pl.cross_entropy(backend.asarray(x), backend.asarray(np.asarray([2, 0])))))
    out = pl.cross_entropy(backend.asarray(x), backend.asarray(np.asarray([2, 0], dtype=int_dtype)))
    assert float(backend.numpy(out)) == ref


# -- torch parity over every option --------------------------------------------------------------

SHAPES = [(5, 4), (3, 4, 6), (2, 3, 4, 5), (4,), (1, 2)]


def _torch():
    return pytest.importorskip("torch", reason="torch parity needs torch (installed in the torch session)")


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_cross_entropy_and_nll_match_torch(backend, rng, shape):
    torch = _torch()
    F = torch.nn.functional
    C = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0], *shape[2:])
    x = rng.standard_normal(shape) * 4
    t = rng.integers(0, C, tshape)
    if t.size > 1:
        t.flat[0] = -1
    q = rng.dirichlet(np.ones(C), size=tshape or None)
    q = np.moveaxis(q, -1, 0 if len(shape) == 1 else 1)
    w = rng.random(C) + 0.1
    for weight, reduction, ls in itertools.product((None, w), ("none", "mean", "sum"), (0.0, 0.3)):
        kw = dict(reduction=reduction, label_smoothing=ls)
        W = None if weight is None else backend.asarray(weight)
        TW = None if weight is None else torch.asarray(weight)
        got = backend.numpy(pl.cross_entropy(backend.asarray(x), backend.asarray(t), weight=W, ignore_index=-1, **kw))
        want = F.cross_entropy(torch.asarray(x), torch.asarray(t), weight=TW, ignore_index=-1, **kw).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, err_msg=f"{weight is not None} {kw}")
        got = backend.numpy(pl.cross_entropy(backend.asarray(x), backend.asarray(q), weight=W, **kw))
        want = F.cross_entropy(torch.asarray(x), torch.asarray(q), weight=TW, **kw).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, err_msg=f"probabilities {kw}")
        if ls == 0.0:
            # raw scores, not log-probabilities: torch accepts them, so switch the mistake check off
            got = backend.numpy(pl.nll_loss(backend.asarray(x), backend.asarray(t), weight=W, ignore_index=-1, reduction=reduction, detect_mistakes=False))
            want = F.nll_loss(torch.asarray(x), torch.asarray(t), weight=TW, ignore_index=-1, reduction=reduction).numpy()
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape, pw_shape", [((6,), (1,)), ((4, 3), (3,)), ((2, 3, 5), (5,)), ((2, 3, 5), (3, 1))])
def test_binary_losses_match_torch(backend, rng, shape, pw_shape):
    torch = _torch()
    F = torch.nn.functional
    z = rng.standard_normal(shape) * 5
    y = rng.random(shape)
    w = rng.random(shape[-1:])
    pw = rng.random(pw_shape) * 3
    for reduction in ("none", "mean", "sum"):
        for weight, pos_weight in ((None, None), (w, None), (None, pw), (w, pw)):
            kw = dict(reduction=reduction)
            got = pl.binary_cross_entropy_with_logits(
                backend.asarray(z), backend.asarray(y),
                weight=None if weight is None else backend.asarray(weight),
                pos_weight=None if pos_weight is None else backend.asarray(pos_weight), **kw)
            want = F.binary_cross_entropy_with_logits(
                torch.asarray(z), torch.asarray(y),
                weight=None if weight is None else torch.asarray(weight),
                pos_weight=None if pos_weight is None else torch.asarray(pos_weight), **kw)
            np.testing.assert_allclose(backend.numpy(got), want.numpy(), rtol=1e-12)
        p = 1 / (1 + np.exp(-z))
        got = pl.binary_cross_entropy(backend.asarray(p), backend.asarray(y), weight=backend.asarray(w), **kw)
        want = F.binary_cross_entropy(torch.asarray(p), torch.asarray(y), weight=torch.asarray(w), **kw)
        np.testing.assert_allclose(backend.numpy(got), want.numpy(), rtol=1e-12)


# -- gradients (torch autograd through polyloss) --------------------------------------------------


def test_torch_gradients_match_torch_losses(rng):
    torch = _torch()
    F = torch.nn.functional
    x = torch.asarray(rng.standard_normal((5, 4)) * 3, requires_grad=True)
    t = torch.asarray(rng.integers(0, 4, 5))
    (g,) = torch.autograd.grad(pl.cross_entropy(x, t, reduction="sum"), x)
    want = torch.softmax(x, 1) - F.one_hot(t, 4)
    torch.testing.assert_close(g, want.detach(), rtol=1e-12, atol=1e-14)
    for kw in (dict(label_smoothing=0.2, weight=torch.rand(4, dtype=torch.float64)), dict(reduction="mean")):
        (g,) = torch.autograd.grad(pl.cross_entropy(x, t, **kw), x)
        (h,) = torch.autograd.grad(F.cross_entropy(x, t, **kw), x)
        torch.testing.assert_close(g, h, rtol=1e-12, atol=1e-14)
    z = torch.asarray(rng.standard_normal(6) * 3, requires_grad=True)
    y = torch.asarray(rng.random(6))
    (g,) = torch.autograd.grad(pl.binary_cross_entropy_with_logits(z, y, reduction="sum"), z)
    torch.testing.assert_close(g, (torch.sigmoid(z) - y).detach(), rtol=1e-12, atol=1e-14)


def test_torch_gradients_finite_at_extremes():
    torch = _torch()
    x = torch.tensor([[3e38, -3e38, 0.0], [1e4, -1e4, -float("inf")], [5.0, 5.0, 5.0]], requires_grad=True)
    t = torch.tensor([1, 0, 2])
    (g,) = torch.autograd.grad(pl.cross_entropy(x, t, reduction="sum"), x)
    assert torch.isfinite(g).all()
    torch.testing.assert_close(g[0], torch.tensor([1.0, -1.0, 0.0]))
    torch.testing.assert_close(g[2], torch.tensor([1 / 3, 1 / 3, -2 / 3]))
    z = torch.tensor([3e38, -3e38, 1e4, -88.8], requires_grad=True)
    (g,) = torch.autograd.grad(pl.binary_cross_entropy_with_logits(z, torch.tensor([0.0, 1.0, 1.0, 0.0]), reduction="sum"), z)
    assert torch.isfinite(g).all()
    torch.testing.assert_close(g, torch.tensor([1.0, -1.0, 0.0, float(torch.sigmoid(torch.tensor(-88.8)))]))


# -- bad input -------------------------------------------------------------------------------------


def test_errors(backend):
    x = backend.asarray(np.zeros((3, 4)))
    t = backend.asarray(np.asarray([0, 1, 2]))
    p = backend.asarray(np.full((3, 4), 0.5))
    with pytest.raises(ValueError, match="`reduction` must be one of 'none', 'mean', 'sum'; got 'avg'"):
        pl.cross_entropy(x, t, reduction="avg")
    with pytest.raises(ValueError, match=r"`target` of class indices must have shape \(3,\) .* got \(4,\)"):
        pl.cross_entropy(x, backend.asarray(np.asarray([0, 1, 2, 3])))
    if backend.name == "dask":  # values of a lazy array are not read: the result is NaN instead
        assert np.isnan(backend.numpy(pl.cross_entropy(x, backend.asarray(np.asarray([0, 4, 1])))))
        assert np.isnan(backend.numpy(pl.nll_loss(x, backend.asarray(np.asarray([0, -1, 1])), reduction="none"))[1])
        bad = pl.binary_cross_entropy(backend.asarray(np.asarray([0.5, 1.5])), backend.asarray(np.asarray([0.0, 1.0])), reduction="none")
        np.testing.assert_array_equal(np.isnan(backend.numpy(bad)), [False, True])
    else:
        with pytest.raises(IndexError, match=r"`target` must be class indices in \[0, 3\]"):
            pl.cross_entropy(x, backend.asarray(np.asarray([0, 4, 1])))
        with pytest.raises(IndexError, match=r"must be class indices in \[0, 3\] or equal `ignore_index` \(-100\); got -1 at position \(1,\)"):
            pl.nll_loss(x, backend.asarray(np.asarray([0, -1, 1])))
        with pytest.raises(ValueError, match="`input` of binary_cross_entropy must be probabilities in"):
            pl.binary_cross_entropy(backend.asarray(np.asarray([0.5, 1.5])), backend.asarray(np.asarray([0.0, 1.0])))
    with pytest.raises(ValueError, match=r"`weight` must be a 1-d array of one weight per class, shape \(4,\); got \(3,\)"):
        pl.cross_entropy(x, t, weight=backend.asarray(np.ones(3)))
    with pytest.raises(ValueError, match=r"`label_smoothing` must be in \[0, 1\]; got 1.5"):
        pl.cross_entropy(x, t, label_smoothing=1.5)
    with pytest.raises(TypeError, match="`input` must be a real floating-point array; got dtype int64"):
        pl.cross_entropy(t, t)
    with pytest.raises(TypeError, match="`target` must be an integer array of class indices; got dtype bool"):
        pl.nll_loss(x, t == 0)
    with pytest.raises(ValueError, match=r"`input` and `target` must have the same shape; got \(3, 4\) and \(4,\)"):
        pl.binary_cross_entropy_with_logits(x, backend.asarray(np.zeros(4)))
    with pytest.raises(ValueError, match=r"`pos_weight` must broadcast to the shape of `input` \(3, 4\); got shape \(3,\)"):
        pl.binary_cross_entropy_with_logits(x, p, pos_weight=backend.asarray(np.ones(3)))
    with pytest.raises(ValueError, match=r"`target` of class probabilities must have the shape of `input`"):
        pl.cross_entropy(x, backend.asarray(np.full((3, 5), 0.2)))
    with pytest.raises(TypeError, match="`ignore_index` must be an int"):
        pl.nll_loss(x, t, ignore_index=1.0)
    with pytest.raises(ValueError, match="`input` must have a class axis"):
        pl.cross_entropy(backend.asarray(np.asarray(1.0)), backend.asarray(np.asarray(0)))


def test_mixed_libraries_rejected(backend):
    if backend.name == "numpy":
        pytest.skip("needs a second library: covered by the other backends' runs")
    x = backend.asarray(np.zeros((3, 4)))
    with pytest.raises(TypeError, match="same array library"):
        pl.cross_entropy(x, np.asarray([0, 1, 2]))
