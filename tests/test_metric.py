"""triplet_margin_loss, cosine_embedding_loss, margin_ranking_loss, info_nce: examples, mpmath accuracy, torch parity, errors."""

from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pytest

import polyloss as pl

mpmath.mp.dps = 50
R = {"float64": 1e-12, "float32": 3e-6}  # relative budgets (to the conditioning scale of each loss)
U = {"float64": 2.0**-53, "float32": 2.0**-24}
COS_EPS = mpmath.mpf("1e-12")


def mpf(v) -> mpmath.mpf:
    return mpmath.mpf(float(v))


# -- mpmath oracles: the documented definitions, evaluated exactly on the float inputs ---------


def mp_pnorm(d, p) -> mpmath.mpf:
    if p == math.inf:
        return max(abs(v) for v in d)
    return mpmath.fsum(abs(v) ** p for v in d) ** (1 / mpmath.mpf(p))


def mp_dist(x, y, p, eps) -> mpmath.mpf:
    return mp_pnorm([mpf(a) - mpf(b) + mpf(eps) for a, b in zip(x, y)], p)


def mp_triplet(a, pos, neg, margin, p, eps, swap):
    """(loss, conditioning scale margin + d_pos + d_neg) per row."""
    d_pos, d_neg = mp_dist(a, pos, p, eps), mp_dist(a, neg, p, eps)
    if swap:
        d_neg = min(d_neg, mp_dist(pos, neg, p, eps))
    return max(mpf(margin) + d_pos - d_neg, 0), mpf(margin) + d_pos + d_neg


def mp_cos(u, v) -> mpmath.mpf:
    dot = mpmath.fsum(mpf(a) * mpf(b) for a, b in zip(u, v))
    n1 = mpmath.fsum(mpf(a) ** 2 for a in u) + COS_EPS
    n2 = mpmath.fsum(mpf(b) ** 2 for b in v) + COS_EPS
    return dot / mpmath.sqrt(n1 * n2)


def mp_cosine_embedding(u, v, y, margin):
    """(loss, scale): relative for y = 1 (the claim), |cos| + |margin| for the hinge of y = -1."""
    c = mp_cos(u, v)
    if y == 1:
        return 1 - c, 1 - c
    loss = max(c - mpf(margin), 0)
    return loss, abs(c) + abs(mpf(margin)) + loss


def mp_sim(u, v) -> mpmath.mpf:
    nu = mpmath.sqrt(mpmath.fsum(mpf(a) ** 2 for a in u))
    nv = mpmath.sqrt(mpmath.fsum(mpf(b) ** 2 for b in v))
    if nu == 0 or nv == 0:
        return mpmath.mpf(0)
    return mpmath.fsum(mpf(a) * mpf(b) for a, b in zip(u, v)) / (nu * nv)


def mp_info_nce_row(q, pos, negs, tau) -> mpmath.mpf:
    tau = mpf(tau)
    logits = [mp_sim(q, pos) / tau] + [mp_sim(q, n) / tau for n in negs]
    # log(sum_j exp(x_j - x_0)) as log1p of the other terms: 1 + 1e-42 needs no 50-digit rounding
    return mpmath.log1p(mpmath.fsum(mpmath.exp(x - logits[0]) for x in logits[1:]))


def mp_info_nce(q, pos, negs, tau):
    if negs is None:
        return [mp_info_nce_row(q[i], pos[i], [pos[j] for j in range(len(pos)) if j != i], tau) for i in range(len(q))]
    if negs.ndim == 2:
        return [mp_info_nce_row(q[i], pos[i], list(negs), tau) for i in range(len(q))]
    return [mp_info_nce_row(q[i], pos[i], list(negs[i]), tau) for i in range(len(q))]


def max_err(got, want, scale) -> float:
    got = np.asarray(got, dtype=np.float64).ravel()
    worst = 0.0
    for g, w, s in zip(got, want, scale):
        err = abs(mpf(g) - w)
        worst = max(worst, float(err / s) if s != 0 else float(err))
    return worst


def _torch():
    return pytest.importorskip("torch", reason="torch parity needs torch")


# -- the docstring examples (values checked with mpmath) ------------------------------------------


def test_triplet_example(backend):
    a = backend.asarray(np.asarray([[0.0, 0.0]]))
    p = backend.asarray(np.asarray([[3.0, 4.0]]))
    n = backend.asarray(np.asarray([[6.0, 8.0]]))
    out = backend.check_result(pl.triplet_margin_loss(a, p, n, margin=6.0, eps=0.0), "float64", ())
    assert float(out) == 1.0  # 6 + |(3, 4)| - |(6, 8)| = 6 + 5 - 10
    # the source chapter writes max(0, |a - p|^2 - |a - n|^2 + margin) (FaceNet's squared form);
    # torch and polyloss use the plain distance: with margin 6 the squared form would give 0
    assert max(0, 25 - 100 + 6) == 0


def test_cosine_embedding_example(backend):
    x1 = backend.asarray(np.asarray([[1.0, 0.0], [1.0, 0.0]]))
    x2 = backend.asarray(np.asarray([[0.6, 0.8], [0.6, 0.8]]))
    out = backend.check_result(pl.cosine_embedding_loss(x1, x2, backend.asarray(np.asarray([1, -1])), reduction="none"), "float64", (2,))
    want = [mp_cosine_embedding([1.0, 0.0], [0.6, 0.8], y, 0.0)[0] for y in (1, -1)]
    assert round(float(want[0]), 6) == 0.4 and round(float(want[1]), 6) == 0.6
    assert max_err(out, want, want) <= 1e-15


def test_margin_ranking_example(backend):
    out = pl.margin_ranking_loss(backend.asarray([0.8, 0.3]), backend.asarray([0.5, 0.6]),
                                 backend.asarray([1.0, 1.0]), margin=0.1, reduction="none")
    np.testing.assert_allclose(backend.check_result(out, "float64", (2,)), [0.0, 0.4], rtol=1e-15)


def test_info_nce_example(backend):
    q = backend.asarray(np.asarray([[1.0, 0.0], [0.0, 1.0]]))
    out = backend.check_result(pl.info_nce(q, q, temperature=1.0), "float64", ())
    want = mpmath.log1p(mpmath.exp(-1))  # each row: log(e^1 + e^0) - 1
    assert round(float(want), 6) == 0.313262
    assert max_err([out], [want], [want]) <= 1e-15


# -- accuracy against mpmath ----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("p", [0.5, 1.0, 2.0, 3.0, math.inf])
def test_triplet_accuracy(backend, rng, dtype, p):
    scale = np.geomspace(1e-3, 1e3, 8)[:, None]
    a, pos, neg = ((rng.standard_normal((8, 5)) * scale).astype(dtype) for _ in range(3))
    for margin, eps, swap in ((1.0, 1e-6, False), (0.5, 0.0, True), (2.0, 0.1, True)):
        got = backend.check_result(pl.triplet_margin_loss(
            backend.asarray(a), backend.asarray(pos), backend.asarray(neg),
            margin=margin, p=p, eps=eps, swap=swap, reduction="none"), dtype, (8,))
        want, cond = zip(*(mp_triplet(*row, margin, p, eps, swap) for row in zip(a, pos, neg)))
        assert max_err(got, want, cond) <= R[dtype], (margin, eps, swap)


@pytest.mark.parametrize("dtype, big", [("float32", 1e20), ("float32", 1e-25), ("float64", 1e200), ("float64", 1e-200)])
def test_triplet_extreme_magnitudes(backend, rng, dtype, big):
    # |d|^2 overflows (or underflows) where the norm itself is representable: the norm is scaled
    a, pos, neg = ((rng.standard_normal((4, 3)) * big).astype(dtype) for _ in range(3))
    margin = float(big)
    got = backend.numpy(pl.triplet_margin_loss(backend.asarray(a), backend.asarray(pos), backend.asarray(neg),
                                               margin=margin, eps=0.0, reduction="none"))
    want, cond = zip(*(mp_triplet(*row, margin, 2.0, 0.0, False) for row in zip(a, pos, neg)))
    assert np.all(np.isfinite(got))
    assert max_err(got, want, cond) <= R[dtype]


def _cosine_inputs(rng, dtype):
    scale = np.geomspace(1e-8, 1e8, 12)[:, None]
    x1 = rng.standard_normal((12, 6)) * scale
    x2 = rng.standard_normal((12, 6)) * scale[::-1]
    x2[::3] = x1[::3] * 3.0 + rng.standard_normal((4, 6)) * 1e-3 * np.abs(x1[::3])  # nearly parallel
    x2[1] = 0.0
    x1[2] = x2[2] = 1e-7  # |x|^2 comparable to torch's eps = 1e-12
    return x1.astype(dtype), x2.astype(dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cosine_embedding_accuracy(backend, rng, dtype):
    x1, x2 = _cosine_inputs(rng, dtype)
    for margin in (-0.5, 0.0, 0.5, 0.99):
        y = rng.choice([-1, 1], 12)
        y[::3] = 1
        got = backend.check_result(pl.cosine_embedding_loss(
            backend.asarray(x1), backend.asarray(x2), backend.asarray(y), margin=margin, reduction="none"), dtype, (12,))
        want, cond = zip(*(mp_cosine_embedding(u, v, t, margin) for u, v, t in zip(x1, x2, y)))
        # unit vectors carry O(u) absolute error, so 1 - cos (~ |u - v|^2 / 2 for parallel
        # vectors) is relatively accurate to O(u / |u - v|): 1e-3 apart costs a factor 1e3
        assert max_err(got, want, cond) <= R[dtype] * 1e3, margin
        plain = [i for i in range(12) if i % 3]
        assert max_err(got[plain], [want[i] for i in plain], [cond[i] for i in plain]) <= R[dtype], margin


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cosine_embedding_nearly_parallel(backend, rng, dtype):
    # torch forms 1 - cos and keeps only an absolute accuracy of one ulp: it loses the loss
    # of nearly parallel vectors, here ~delta^2 / 2
    x1 = rng.standard_normal((3, 8)) + 2.0
    for delta in (1e-2, 1e-3):
        x2 = x1 + delta * rng.standard_normal((3, 8))
        a, b = x1.astype(dtype), x2.astype(dtype)
        got = backend.numpy(pl.cosine_embedding_loss(backend.asarray(a), backend.asarray(b), backend.asarray(np.ones(3)), reduction="none"))
        want = [mp_cosine_embedding(u, v, 1, 0.0)[0] for u, v in zip(a, b)]
        assert max_err(got, want, want) <= 8 * U[dtype] / delta
        if dtype == "float32" and backend.name == "torch":
            torch = _torch()
            naive = torch.nn.functional.cosine_embedding_loss(torch.asarray(a), torch.asarray(b), torch.ones(3), reduction="none")
            assert max_err(naive.numpy(), want, want) > 30 * max(max_err(got, want, want), U[dtype])


@pytest.mark.parametrize("dtype, big", [("float32", 1e25), ("float64", 1e200)])
def test_cosine_embedding_huge_vectors(backend, rng, dtype, big):
    x1, x2 = ((rng.standard_normal((3, 4)) * big).astype(dtype) for _ in range(2))
    y = np.asarray([1, -1, 1])
    got = backend.numpy(pl.cosine_embedding_loss(backend.asarray(x1), backend.asarray(x2), backend.asarray(y), reduction="none"))
    want, cond = zip(*(mp_cosine_embedding(u, v, t, 0.0) for u, v, t in zip(x1, x2, y)))
    assert max_err(got, want, cond) <= R[dtype]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_margin_ranking_accuracy(backend, rng, dtype):
    x1 = (rng.standard_normal(20) * np.geomspace(1e-4, 1e4, 20)).astype(dtype)
    x2 = (rng.standard_normal(20) * np.geomspace(1e4, 1e-4, 20)).astype(dtype)
    y = rng.choice([-1, 1], 20)
    for margin in (-1.0, 0.0, 0.3, 100.0):
        got = backend.numpy(pl.margin_ranking_loss(backend.asarray(x1), backend.asarray(x2), backend.asarray(y), margin=margin, reduction="none"))
        want = [max(-t * (mpf(a) - mpf(b)) + mpf(margin), 0) for a, b, t in zip(x1, x2, y)]
        cond = [abs(mpf(a) - mpf(b)) + abs(mpf(margin)) for a, b in zip(x1, x2)]
        assert max_err(got, want, cond) <= R[dtype]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("negatives", ["in-batch", "shared", "per-query"])
@pytest.mark.parametrize("tau", [1.0, 0.1, 0.01])
def test_info_nce_accuracy(backend, rng, dtype, negatives, tau):
    n, m, d = 6, 4, 5
    q = rng.standard_normal((n, d)) * np.geomspace(1e-3, 1e3, n)[:, None]
    pos = q + 0.3 * rng.standard_normal((n, d)) * np.abs(q)
    neg = {"in-batch": None, "shared": rng.standard_normal((m, d)), "per-query": rng.standard_normal((n, m, d))}[negatives]
    q, pos = q.astype(dtype), pos.astype(dtype)
    neg = None if neg is None else neg.astype(dtype)
    got = backend.check_result(pl.info_nce(backend.asarray(q), backend.asarray(pos),
                                           None if neg is None else backend.asarray(neg),
                                           temperature=tau, reduction="none"), dtype, (n,))
    want = mp_info_nce(q, pos, neg, tau)
    keep = [w > np.finfo(dtype).tiny for w in want]  # subnormal results hold fewer digits
    # a logit sim / tau carries an absolute error ~u / tau; the loss moves by at most twice that
    # times the probability mass off the positive, which the loss bounds from above
    assert max_err(got[keep], [w for w, k in zip(want, keep) if k], [w for w, k in zip(want, keep) if k]) <= R[dtype] * max(1.0, 0.1 / tau)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_info_nce_tiny_loss_at_low_temperature(backend, rng, dtype):
    # the positive is far ahead: loss = log(1 + sum exp(-gap / tau)), e.g. 4e-22 at tau = 0.02;
    # log(sum exp) - x_pos in floating point would round it to 0
    q = np.eye(4)
    pos = q + 1e-3 * rng.standard_normal((4, 4))
    neg = np.stack([np.delete(np.eye(4), i, axis=0) for i in range(4)]) + 1e-3 * rng.standard_normal((4, 3, 4))
    for tau in (0.02, 0.01):
        if dtype == "float32" and tau == 0.01:
            continue  # exp(-100) is below float32's smallest normal
        a, b, c = q.astype(dtype), pos.astype(dtype), neg.astype(dtype)
        got = backend.numpy(pl.info_nce(backend.asarray(a), backend.asarray(b), backend.asarray(c), temperature=tau, reduction="none"))
        want = mp_info_nce(a, b, c, tau)
        assert all(0 < w < 1e-15 for w in want)
        assert max_err(got, want, want) <= R[dtype] * 0.1 / tau


def test_info_nce_huge_logits_do_not_overflow(backend):
    q = backend.asarray(np.asarray([[1e30, 0.0], [0.0, -1e30]], dtype="float32"))
    out = backend.numpy(pl.info_nce(q, q, temperature=0.05, reduction="none"))
    np.testing.assert_allclose(out, [math.log1p(math.exp(-20))] * 2, rtol=1e-6)


# -- torch parity ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(6, 5), (5,), (2, 3, 4)], ids=str)
def test_triplet_matches_torch(backend, rng, shape):
    torch = _torch()
    F = torch.nn.functional
    a, p, n = (rng.standard_normal(shape) for _ in range(3))
    combos = itertools.product((0.5, 1.0, 2.0, 3.0, math.inf), (False, True), ("none", "mean", "sum"))
    for k, (pp, swap, reduction) in enumerate(combos):  # margins and eps cycled over the 30 combinations
        kw = dict(margin=(0.5, 2.0)[k % 2], p=pp, eps=(0.0, 1e-6, 0.1)[k % 3], swap=swap, reduction=reduction)
        got = backend.numpy(pl.triplet_margin_loss(backend.asarray(a), backend.asarray(p), backend.asarray(n), **kw))
        want = F.triplet_margin_loss(torch.asarray(a), torch.asarray(p), torch.asarray(n), **kw).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13, err_msg=str(kw))


@pytest.mark.parametrize("shape", [(7, 4), (4,)], ids=str)
def test_cosine_embedding_matches_torch(backend, rng, shape):
    torch = _torch()
    F = torch.nn.functional
    x1, x2 = rng.standard_normal(shape), rng.standard_normal(shape)
    y = rng.choice([-1, 1], shape[:-1]) if len(shape) > 1 else np.asarray(-1)
    for margin, reduction, ydt in itertools.product((-0.5, 0.0, 0.5), ("none", "mean", "sum"), ("int64", "float64")):
        kw = dict(margin=margin, reduction=reduction)
        got = backend.numpy(pl.cosine_embedding_loss(backend.asarray(x1), backend.asarray(x2), backend.asarray(y.astype(ydt)), **kw))
        want = F.cosine_embedding_loss(torch.asarray(x1), torch.asarray(x2), torch.asarray(y.astype(ydt)), **kw).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, err_msg=str(kw))


@pytest.mark.parametrize("shape", [(9,), (3, 4), ()], ids=str)
def test_margin_ranking_matches_torch(backend, rng, shape):
    torch = _torch()
    F = torch.nn.functional
    x1, x2 = rng.standard_normal(shape), rng.standard_normal(shape)
    y = np.asarray(rng.choice([-1.0, 1.0], shape))
    for margin, reduction in itertools.product((-0.2, 0.0, 0.5), ("none", "mean", "sum")):
        got = backend.numpy(pl.margin_ranking_loss(backend.asarray(x1), backend.asarray(x2), backend.asarray(y), margin=margin, reduction=reduction))
        want = F.margin_ranking_loss(torch.asarray(x1), torch.asarray(x2), torch.asarray(y), margin=margin, reduction=reduction).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)


def test_info_nce_matches_torch_formula(backend, rng):
    # no torch function: the SimCLR / CLIP reference, written with torch primitives
    torch = _torch()
    F = torch.nn.functional
    q, p = rng.standard_normal((7, 5)), rng.standard_normal((7, 5))
    negs2, negs3 = rng.standard_normal((3, 5)), rng.standard_normal((7, 3, 5))
    tq, tp = F.normalize(torch.asarray(q), dim=1), F.normalize(torch.asarray(p), dim=1)
    for tau, reduction in itertools.product((0.07, 0.5), ("none", "mean", "sum")):
        want = F.cross_entropy(tq @ tp.T / tau, torch.arange(7), reduction=reduction).numpy()
        got = pl.info_nce(backend.asarray(q), backend.asarray(p), temperature=tau, reduction=reduction)
        np.testing.assert_allclose(backend.numpy(got), want, rtol=1e-12, atol=1e-15)
        for negs in (negs2, negs3):
            tn = F.normalize(torch.asarray(negs), dim=-1)
            neg_logits = tq @ tn.T if negs.ndim == 2 else torch.einsum("nd,nmd->nm", tq, tn)
            logits = torch.cat([(tq * tp).sum(1, keepdim=True), neg_logits], dim=1) / tau
            want = F.cross_entropy(logits, torch.zeros(7, dtype=torch.int64), reduction=reduction).numpy()
            got = pl.info_nce(backend.asarray(q), backend.asarray(p), backend.asarray(negs), temperature=tau, reduction=reduction)
            np.testing.assert_allclose(backend.numpy(got), want, rtol=1e-12, atol=1e-15)


def test_torch_gradients_match(rng):
    torch = _torch()
    F = torch.nn.functional
    a, p, n = (torch.asarray(rng.standard_normal((5, 4)), requires_grad=True) for _ in range(3))
    for kw in (dict(), dict(p=1.0, swap=True), dict(p=3.0, margin=3.0)):
        g = torch.autograd.grad(pl.triplet_margin_loss(a, p, n, **kw), (a, p, n))
        h = torch.autograd.grad(F.triplet_margin_loss(a, p, n, **kw), (a, p, n))
        for x, y in zip(g, h):
            torch.testing.assert_close(x, y, rtol=1e-12, atol=1e-14)
    y = torch.asarray(rng.choice([-1, 1], 5))
    for margin in (0.0, 0.5):
        g = torch.autograd.grad(pl.cosine_embedding_loss(a, p, y, margin=margin), (a, p))
        h = torch.autograd.grad(F.cosine_embedding_loss(a, p, y, margin=margin), (a, p))
        for x, z in zip(g, h):
            torch.testing.assert_close(x, z, rtol=1e-10, atol=1e-13)
    x1, x2 = (torch.asarray(rng.standard_normal(5), requires_grad=True) for _ in range(2))
    g = torch.autograd.grad(pl.margin_ranking_loss(x1, x2, y, margin=0.3), (x1, x2))
    h = torch.autograd.grad(F.margin_ranking_loss(x1, x2, y.double(), margin=0.3), (x1, x2))
    for u, v in zip(g, h):
        torch.testing.assert_close(u, v)
    q = torch.asarray(rng.standard_normal((4, 3)), requires_grad=True)
    (g,) = torch.autograd.grad(pl.info_nce(q, p[:4, :3], temperature=0.05), q)
    (h,) = torch.autograd.grad(F.cross_entropy(F.normalize(q) @ F.normalize(p[:4, :3]).T / 0.05, torch.arange(4)), q)
    torch.testing.assert_close(g, h, rtol=1e-10, atol=1e-12)


def test_jax_jit_and_grad(backend, rng):
    if backend.name != "jax":
        pytest.skip("jax only")
    import jax

    a, p, n = (backend.asarray(rng.standard_normal((5, 4))) for _ in range(3))
    y = backend.asarray(rng.choice([-1, 1], 5))
    for f, args in ((pl.triplet_margin_loss, (a, p, n)), (pl.cosine_embedding_loss, (a, p, y)),
                    (pl.margin_ranking_loss, (a[:, 0], p[:, 0], y)), (pl.info_nce, (a, p, n))):
        np.testing.assert_allclose(np.asarray(jax.jit(f)(*args)), np.asarray(f(*args)), rtol=1e-14)
        assert np.all(np.isfinite(np.asarray(jax.grad(f)(*args))))
    # a label other than +-1 cannot raise under jit: the loss is NaN instead of a wrong number
    out = np.asarray(jax.jit(lambda a, p, y: pl.cosine_embedding_loss(a, p, y, reduction="none"))(a, p, y.at[0].set(0)))
    np.testing.assert_array_equal(np.isnan(out), [True, False, False, False, False])


# -- dtypes and shapes -------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_dtype_and_shape_preserved(backend, rng, dtype):
    tol = {"float16": 2e-3, "bfloat16": 1.6e-2, "float32": 2e-6, "float64": 1e-14}[dtype]
    a, p, n = (backend.asarray(rng.standard_normal((4, 3)), dtype) for _ in range(3))
    y = backend.asarray(np.asarray([1, -1, 1, -1]))
    calls = [
        (lambda r, *xs: pl.triplet_margin_loss(*xs, reduction=r), (a, p, n), (4,)),
        (lambda r, *xs: pl.cosine_embedding_loss(*xs, y, reduction=r), (a, p), (4,)),
        (lambda r, *xs: pl.margin_ranking_loss(*xs, y, reduction=r), (a[:, 0], p[:, 0]), (4,)),
        (lambda r, *xs: pl.info_nce(*xs, reduction=r), (a, p), (4,)),
        (lambda r, *xs: pl.info_nce(*xs, reduction=r), (a, p, n), (4,)),
    ]
    for f, xs, shape in calls:
        wide = [backend.asarray(backend.numpy(x).astype("float64")) for x in xs]
        for reduction, out_shape in (("none", shape), ("mean", ()), ("sum", ())):
            out = backend.check_result(f(reduction, *xs), dtype, out_shape)
            ref = backend.numpy(f(reduction, *wide))
            np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)


def test_unbatched_shapes(backend, rng):
    a, p, n = (backend.asarray(rng.standard_normal(4)) for _ in range(3))
    backend.check_result(pl.triplet_margin_loss(a, p, n, reduction="none"), "float64", ())
    backend.check_result(pl.cosine_embedding_loss(a, p, backend.asarray(np.asarray(1)), reduction="none"), "float64", ())
    x = backend.asarray(rng.standard_normal((2, 3, 4)))
    backend.check_result(pl.triplet_margin_loss(x, x, x, reduction="none"), "float64", (2, 3))
    backend.check_result(pl.margin_ranking_loss(x, x, backend.asarray(np.ones((2, 3, 4))), reduction="none"), "float64", (2, 3, 4))


def test_empty_batch(backend):
    e = backend.asarray(np.zeros((0, 3)))
    assert np.isnan(backend.numpy(pl.triplet_margin_loss(e, e, e)))  # the empty mean, as torch
    assert float(backend.numpy(pl.triplet_margin_loss(e, e, e, reduction="sum"))) == 0.0
    backend.check_result(pl.info_nce(e, e, reduction="none"), "float64", (0,))
    backend.check_result(pl.cosine_embedding_loss(e, e, backend.asarray(np.zeros(0)), reduction="none"), "float64", (0,))


def test_zero_vectors(backend):
    z = backend.asarray(np.zeros((2, 3)))
    one = backend.asarray(np.asarray([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    # torch: cos = 0 / sqrt(eps * eps) = 0, so y = 1 gives 1 and y = -1 gives max(0, -margin)
    out = pl.cosine_embedding_loss(z, z, backend.asarray(np.asarray([1, -1])), margin=-0.25, reduction="none")
    np.testing.assert_array_equal(backend.numpy(out), [1.0, 0.25])
    # info_nce: a zero vector has similarity 0 with everything
    out = pl.info_nce(z, one, temperature=0.5, reduction="none")
    np.testing.assert_allclose(backend.numpy(out), [math.log(2)] * 2, rtol=1e-15)


# -- bad input -------------------------------------------------------------------------------------------


def test_errors(backend):
    x = backend.asarray(np.zeros((3, 4)))
    y = backend.asarray(np.asarray([1, -1, 1]))
    with pytest.raises(ValueError, match=r"`anchor` and `negative` must have the same shape; got \(3, 4\) and \(3, 5\)"):
        pl.triplet_margin_loss(x, x, backend.asarray(np.zeros((3, 5))))
    with pytest.raises(ValueError, match=r"`margin` must be in \(0, inf\); got 0.0"):
        pl.triplet_margin_loss(x, x, x, margin=0.0)
    with pytest.raises(ValueError, match=r"`margin` must be in \(0, inf\); got -1.0"):
        pl.triplet_margin_loss(x, x, x, margin=-1.0)
    with pytest.raises(ValueError, match=r"`p` must be in \(0, inf\]; got 0.0"):
        pl.triplet_margin_loss(x, x, x, p=0.0)
    with pytest.raises(ValueError, match=r"`eps` must be in \[0, inf\); got -1e-06"):
        pl.triplet_margin_loss(x, x, x, eps=-1e-6)
    with pytest.raises(TypeError, match="`swap` must be a bool; got int 1"):
        pl.triplet_margin_loss(x, x, x, swap=1)
    with pytest.raises(ValueError, match=r"non-empty feature axis .* got shape \(3, 0\)"):
        e = backend.asarray(np.zeros((3, 0)))
        pl.triplet_margin_loss(e, e, e)
    with pytest.raises(TypeError, match="`anchor` must be a real floating-point array; got dtype int64"):
        i = backend.asarray(np.zeros((3, 4), dtype="int64"))
        pl.triplet_margin_loss(i, x, x)
    with pytest.raises(ValueError, match="`reduction` must be one of"):
        pl.triplet_margin_loss(x, x, x, reduction="batchmean")
    with pytest.raises(ValueError, match=r"`y` must have shape \(3,\) for inputs of shape \(3, 4\); got \(4,\)"):
        pl.cosine_embedding_loss(x, x, backend.asarray(np.ones(4)))
    with pytest.raises(ValueError, match=r"`margin` must be in \[-1, 1\]; got 1.5"):
        pl.cosine_embedding_loss(x, x, y, margin=1.5)
    with pytest.raises(ValueError, match=r"`x1` and `x2` must have shape \(N, D\) or \(D,\); got \(2, 3, 4\)"):
        z = backend.asarray(np.zeros((2, 3, 4)))
        pl.cosine_embedding_loss(z, z, backend.asarray(np.ones((2, 3))))
    with pytest.raises(TypeError, match="`y` must be a real array of labels 1 or -1; got dtype bool"):
        pl.cosine_embedding_loss(x, x, y == 1)
    with pytest.raises(ValueError, match=r"`x1` and `y` must have the same shape; got \(3,\) and \(2,\)"):
        v = backend.asarray(np.zeros(3))
        pl.margin_ranking_loss(v, v, backend.asarray(np.ones(2)))
    with pytest.raises(ValueError, match=r"`temperature` must be in \(0, inf\); got 0.0"):
        pl.info_nce(x, x, temperature=0.0)
    with pytest.raises(ValueError, match=r"`temperature` must be in \(0, inf\); got -0.1"):
        pl.info_nce(x, x, temperature=-0.1)
    with pytest.raises(ValueError, match=r"`negatives` must have shape \(M, 4\) or \(3, M, 4\) .* got \(2, 5, 4\)"):
        pl.info_nce(x, x, backend.asarray(np.zeros((2, 5, 4))))
    with pytest.raises(ValueError, match=r"`query` must have shape \(N, D\); got \(4,\)"):
        v = backend.asarray(np.zeros(4))
        pl.info_nce(v, v)
    bad_y = backend.asarray(np.asarray([1, 0, -1]))
    v = backend.asarray(np.zeros(3))
    if backend.name == "dask":  # lazy values are not read: NaN marks the bad label instead
        np.testing.assert_array_equal(np.isnan(backend.numpy(pl.cosine_embedding_loss(x, x, bad_y, reduction="none"))), [False, True, False])
        np.testing.assert_array_equal(np.isnan(backend.numpy(pl.margin_ranking_loss(v, v, bad_y, reduction="none"))), [False, True, False])
    else:
        with pytest.raises(ValueError, match=r"`y` must contain only 1 \(similar / ranked higher\) or -1"):
            pl.cosine_embedding_loss(x, x, bad_y)
        with pytest.raises(ValueError, match=r"`y` must contain only 1"):
            pl.margin_ranking_loss(v, v, bad_y)
