"""kl_div, entropy, kl_divergence: documented values, mpmath accuracy, torch parity, errors."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest

import polyloss as pl

mpmath.mp.dps = 60

BUDGET = {"float64": 1e-12, "float32": 3e-6}
KL_REDUCTIONS = ("none", "batchmean", "mean", "sum")


# -- mpmath oracles: the definitions on the exact input values -------------------------


def _mp(v) -> mpmath.mpf:
    return mpmath.mpf(float(v))


def mp_kl_div_terms(x: np.ndarray, t: np.ndarray, log_target: bool) -> list:
    out = []
    for a, b in zip(x.ravel(), t.ravel()):
        a, b = _mp(a), _mp(b)
        if log_target:
            out.append(mpmath.mpf(0) if b == -mpmath.inf else mpmath.exp(b) * (b - a))
        else:
            out.append(mpmath.mpf(0) if b == 0 else b * (mpmath.log(b) - a))
    return out


def mp_kl_div(x: np.ndarray, t: np.ndarray, log_target: bool, reduction: str):
    terms = mp_kl_div_terms(x, t, log_target)
    if reduction == "none":
        return terms
    total = mpmath.fsum(terms)
    if reduction == "sum" or (reduction == "batchmean" and x.ndim == 0):
        return total
    return total / (x.shape[0] if reduction == "batchmean" else x.size)


def mp_entropy_rows(p: np.ndarray) -> list:
    return [-mpmath.fsum(_mp(v) * mpmath.log(_mp(v)) for v in row if v != 0) for row in p.reshape(-1, p.shape[-1])]


def mp_kl_rows(p: np.ndarray, q: np.ndarray) -> list:
    out = []
    for prow, qrow in zip(p.reshape(-1, p.shape[-1]), q.reshape(-1, q.shape[-1])):
        terms = []
        for a, b in zip(prow, qrow):
            if a == 0:
                continue
            terms.append(mpmath.inf if b == 0 else _mp(a) * mpmath.log(_mp(a) / _mp(b)))
        out.append(mpmath.fsum(terms))
    return out


def rel_err(got, want) -> float:
    got = np.atleast_1d(np.asarray(got, dtype=np.float64)).ravel()
    want = want if isinstance(want, list) else [want]
    errs = []
    for g, w in zip(got, want):
        if mpmath.isinf(w):
            errs.append(0.0 if g == float(w) else np.inf)
            continue
        g = mpmath.mpf(float(g))
        errs.append(abs(g - w) / abs(w) if w != 0 else abs(g))
    return float(max(errs))


def random_distributions(rng, shape, *, zeros: bool = True) -> np.ndarray:
    p = rng.dirichlet(np.ones(shape[-1]) * 0.7, size=shape[:-1]) if len(shape) > 1 else rng.dirichlet(np.ones(shape[0]))
    if zeros and p.size > 3:
        p.reshape(-1)[[1, p.size // 2]] = 0.0
    return p


def torch_kl_div(x, t, **kwargs):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():  # torch warns that "mean" is not the KL divergence
        warnings.simplefilter("ignore", UserWarning)
        return torch.nn.functional.kl_div(torch.asarray(x), torch.asarray(t), **kwargs).numpy()


# -- documented examples (shared/sources) --------------------------------------------

# "Cross Entropy Loss" post (003): labels cat 40%, dog 10%, horse 25%, sheep 25%; two
# classifiers predict (30, 15, 25, 30)% and (30, 20, 20, 30)%. Printed: entropy 1.29,
# cross entropies 1.32 and 1.35 (natural log). Erratum: the printed formulas drop the
# minus sign ("(0.4 log0.4 + ...) = 1.29", "E(C) = sum p(c_i)"); the values are those of
# -sum p log p. Expected values below: mpmath at 60 digits.
LABELS = [0.4, 0.1, 0.25, 0.25]
YOURS = [0.3, 0.15, 0.25, 0.3]
FRIENDS = [0.3, 0.2, 0.2, 0.3]
H_LABELS = mpmath.fsum(-mpmath.mpf(p) * mpmath.log(mpmath.mpf(p)) for p in ["0.4", "0.1", "0.25", "0.25"])
H_YOURS = -mpmath.fsum(mpmath.mpf(p) * mpmath.log(mpmath.mpf(q)) for p, q in zip(["0.4", "0.1", "0.25", "0.25"], ["0.3", "0.15", "0.25", "0.3"]))
H_FRIENDS = -mpmath.fsum(mpmath.mpf(p) * mpmath.log(mpmath.mpf(q)) for p, q in zip(["0.4", "0.1", "0.25", "0.25"], ["0.3", "0.2", "0.2", "0.3"]))


def test_document_label_distribution_values():
    assert mpmath.nstr(H_LABELS, 3) == "1.29"
    assert mpmath.nstr(H_YOURS, 3) == "1.32"
    assert mpmath.nstr(H_FRIENDS, 3) == "1.35"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_document_entropy_example(backend, dtype):
    out = backend.check_result(pl.entropy(backend.asarray(np.asarray(LABELS, dtype=dtype))), dtype, ())
    assert rel_err(out, H_LABELS) < BUDGET[dtype] + 2 * np.finfo(dtype).eps  # inputs are rounded decimals
    assert round(float(out), 2) == 1.29


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_document_cross_entropies(backend, dtype):
    p = backend.asarray(np.asarray([LABELS, LABELS], dtype=dtype))
    q = backend.asarray(np.asarray([YOURS, FRIENDS], dtype=dtype))
    h = backend.check_result(pl.entropy(p), dtype, (2,))
    kl = backend.check_result(pl.kl_divergence(p, q), dtype, (2,))
    cross = h.astype(np.float64) + kl
    tol = 10 * np.finfo(dtype).eps
    assert rel_err(cross, [H_YOURS, H_FRIENDS]) < tol
    assert [round(float(c), 2) for c in cross] == [1.32, 1.35]
    # yours is closer to the labels than your friend's: smaller KL divergence
    assert kl[0] < kl[1]
    # the same cross entropy through kl_div on log-probabilities, row by row
    log_q = backend.asarray(np.log(np.asarray([YOURS, FRIENDS], dtype=dtype)))
    per_row = backend.numpy(pl.kl_div(log_q, p, reduction="none")).sum(axis=1)
    np.testing.assert_allclose(per_row, kl, rtol=100 * np.finfo(dtype).eps)


# -- accuracy against mpmath -----------------------------------------------------------


@pytest.mark.parametrize("reduction", KL_REDUCTIONS)
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_kl_div_random_against_mpmath(backend, rng, reduction, log_target, dtype):
    x = np.log(random_distributions(rng, (4, 6), zeros=False)).astype(dtype)
    t = random_distributions(rng, (4, 6))
    if log_target:
        with np.errstate(divide="ignore"):
            t = np.log(t)
    t = t.astype(dtype)
    out = pl.kl_div(backend.asarray(x), backend.asarray(t), reduction=reduction, log_target=log_target)
    got = backend.check_result(out, dtype, x.shape if reduction == "none" else ())
    want = mp_kl_div(x, t, log_target, reduction)
    if log_target:  # exp(t) (t - x): t - x is one rounding, no cancellation to amplify
        assert rel_err(got, want) < BUDGET[dtype]
        return
    # t (log t - x) cancels where log t ~ x: its condition number is (|log t| + |x|) / |log t - x|,
    # so the error is bounded by the budget times t (|log t| + |x|) (summed for reductions)
    # rather than by the budget times the result.
    scale = [0 if b == 0 else abs(_mp(b)) * (abs(mpmath.log(_mp(b))) + abs(_mp(a))) for a, b in zip(x.ravel(), t.ravel())]
    if reduction != "none":
        scale = [mpmath.fsum(scale)]
        if reduction == "mean":
            scale = [scale[0] / x.size]
        elif reduction == "batchmean":
            scale = [scale[0] / x.shape[0]]
    errs = [abs(mpmath.mpf(float(g)) - w) / (s if s else 1) for g, w, s in zip(np.ravel(got), want if isinstance(want, list) else [want], scale)]
    assert max(errs) < BUDGET[dtype]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_kl_div_extreme_against_mpmath(backend, dtype):
    fi = np.finfo(dtype)
    x = np.asarray([-1e4, -fi.max, 0.0, -50.0, -np.inf, -1.0, -1e-30], dtype=dtype)
    t = np.asarray([fi.tiny, 1e-30, 1.0, 1.0, 0.5, 0.0, 1.0], dtype=dtype)
    got = backend.check_result(pl.kl_div(backend.asarray(x), backend.asarray(t), reduction="none"), dtype, x.shape)
    assert rel_err(got, mp_kl_div(x, t, False, "none")) < BUDGET[dtype]
    lt = np.asarray([-1e4, -80.0, 0.0, -50.0, -1.0, -np.inf, -1e-30], dtype=dtype)
    got = backend.numpy(pl.kl_div(backend.asarray(x), backend.asarray(lt), reduction="none", log_target=True))
    want = mp_kl_div(x, lt, True, "none")
    normal = [w == 0 or abs(w) >= fi.tiny for w in want]
    assert rel_err(got[normal], [w for w, k in zip(want, normal) if k]) < BUDGET[dtype]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, axis", [((6,), -1), ((5, 7), -1), ((5, 7), 0), ((3, 4, 5), 1)])
def test_entropy_and_kl_divergence_random_against_mpmath(backend, rng, dtype, shape, axis):
    p = np.moveaxis(random_distributions(rng, tuple(np.delete(shape, axis)) + (shape[axis],)), -1, axis).astype(dtype)
    q = np.moveaxis(random_distributions(rng, tuple(np.delete(shape, axis)) + (shape[axis],), zeros=False), -1, axis).astype(dtype)
    out_shape = tuple(np.delete(shape, axis))
    h = backend.check_result(pl.entropy(backend.asarray(p), axis=axis), dtype, out_shape)
    kl = backend.check_result(pl.kl_divergence(backend.asarray(p), backend.asarray(q), axis=axis), dtype, out_shape)
    pm, qm = np.moveaxis(p, axis, -1), np.moveaxis(q, axis, -1)
    assert rel_err(h, mp_entropy_rows(pm)) < BUDGET[dtype]
    assert rel_err(kl, mp_kl_rows(pm, qm)) < BUDGET[dtype]


@pytest.mark.parametrize("scale", [1e-3, 1e-8, 1e-13])
def test_kl_divergence_between_close_distributions(backend, rng, scale):
    # log(p/q) for p ~ q is log1p((p - q)/q): log p - log q would lose ~|log p| * eps / scale
    p = rng.dirichlet(np.ones(8), size=3)
    q = p * (1 + scale * rng.standard_normal(p.shape))
    got = backend.numpy(pl.kl_divergence(backend.asarray(p), backend.asarray(q)))
    assert rel_err(got, mp_kl_rows(p, q)) < 1e-12


def test_entropy_and_kl_divergence_extremes(backend):
    tiny, sub = np.finfo("float64").tiny, np.finfo("float64").smallest_subnormal
    if backend.name == "jax":
        sub = 3 * tiny  # XLA on CPU flushes subnormal operands to zero: keep q > 0 there
    p = np.asarray([[1.0, 0.0, 0.0], [1 - 1e-16, 1e-16, 0.0], [0.5, 0.5 - tiny, tiny], [1.0 - 2**-52, 2**-53, 2**-53]])
    q = np.asarray([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.5, 0.5 - 2 * tiny, sub], [1.0, 0.0, 0.0]])
    h = backend.numpy(pl.entropy(backend.asarray(p)))
    assert h[0] == 0.0
    assert rel_err(h, mp_entropy_rows(p)) < 1e-12
    kl = backend.numpy(pl.kl_divergence(backend.asarray(p), backend.asarray(q)))
    want = mp_kl_rows(p, q)
    assert kl[0] == 0.0 and kl[3] == np.inf  # q = 0 where p > 0: +inf
    assert rel_err(kl[:3], want[:3]) < 1e-12


def test_zero_target_contributes_zero(backend):
    # torch gives NaN for target 0 at input -inf (0 * inf) and for log-target -inf;
    # polyloss follows 0 log 0 = 0, like cross_entropy with probability targets
    x = backend.asarray(np.asarray([-np.inf, -1.0, 0.0]))
    got = backend.numpy(pl.kl_div(x, backend.asarray(np.asarray([0.0, 0.5, 0.5])), reduction="none"))
    assert got[0] == 0.0 and np.isfinite(got).all()
    got = backend.numpy(pl.kl_div(x, backend.asarray(np.asarray([-np.inf, -1.0, -np.inf])), reduction="none", log_target=True))
    assert got[0] == 0.0 and got[2] == 0.0
    # a positive target against probability 0 (input -inf) is +inf, as in torch
    assert backend.numpy(pl.kl_div(x, backend.asarray(np.asarray([0.5, 0.5, 0.0])), reduction="sum")) == np.inf


# -- torch parity --------------------------------------------------------------------


@pytest.mark.parametrize("reduction", KL_REDUCTIONS)
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("shape", [(), (5,), (4, 6), (3, 4, 5)])
def test_kl_div_torch_parity(backend, rng, reduction, log_target, shape):
    x = np.log(rng.uniform(0.05, 1.0, shape))
    t = rng.uniform(0.0, 1.0, shape)
    if log_target:
        t = np.log(t)
    elif t.size > 2:
        t.reshape(-1)[0] = 0.0  # xlogy(0, 0) = 0 in torch too
    ref = torch_kl_div(x, t, reduction=reduction, log_target=log_target)
    out = pl.kl_div(backend.asarray(x), backend.asarray(t), reduction=reduction, log_target=log_target)
    got = backend.check_result(out, "float64", ref.shape)
    np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-300)


def test_kl_div_batchmean_edge_shapes(backend):
    # torch: 0-d input is its own sum; an empty batch is 0/0 = NaN; an empty row keeps N
    for shape in [(), (0, 3), (2, 0), (3,)]:
        x, t = np.full(shape, -1.0), np.full(shape, 0.5)
        ref = torch_kl_div(x, t, reduction="batchmean")
        got = backend.check_result(pl.kl_div(backend.asarray(x), backend.asarray(t), reduction="batchmean"), "float64", ())
        np.testing.assert_array_equal(got, ref)


def test_kl_div_torch_gradient_parity(rng):
    torch = pytest.importorskip("torch")
    x = torch.asarray(np.log(rng.dirichlet(np.ones(5), size=3)))
    t = torch.asarray(rng.dirichlet(np.ones(5), size=3))
    a, b = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    pl.kl_div(a, t, reduction="batchmean").backward()
    torch.nn.functional.kl_div(b, t, reduction="batchmean").backward()
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-13, atol=0)


# -- dtype, namespace, shape -----------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_dtype_namespace_and_shape(backend, rng, dtype):
    p = random_distributions(rng, (3, 4))
    q = random_distributions(rng, (3, 4), zeros=False)
    pa, qa = backend.asarray(p, dtype), backend.asarray(q, dtype)
    pr, qr = (backend.numpy(a).astype(np.float64) for a in (pa, qa))
    rtol = {"float16": 2e-3, "bfloat16": 1.6e-2, "float32": 3e-6, "float64": 1e-12}[dtype]
    h = backend.check_result(pl.entropy(pa), dtype, (3,))
    np.testing.assert_allclose(h, [float(v) for v in mp_entropy_rows(pr)], rtol=rtol)
    kl = backend.check_result(pl.kl_divergence(pa, qa), dtype, (3,))
    np.testing.assert_allclose(kl, [float(v) for v in mp_kl_rows(pr, qr)], rtol=rtol, atol=rtol * 1e-3)
    log_q = backend.asarray(np.log(q), dtype)
    for reduction, shape in [("none", (3, 4)), ("batchmean", ()), ("mean", ()), ("sum", ())]:
        backend.check_result(pl.kl_div(log_q, pa, reduction=reduction), dtype, shape)
    backend.check_result(pl.entropy(pa, axis=None), dtype, ())
    backend.check_result(pl.kl_divergence(pa, qa, axis=(0, 1)), dtype, ())


def test_jit_and_lazy(backend, rng):
    p = backend.asarray(random_distributions(rng, (2, 4)))
    q = backend.asarray(random_distributions(rng, (2, 4), zeros=False))
    if backend.name == "jax":
        import jax

        for fn, args in ((pl.entropy, (p,)), (pl.kl_divergence, (p, q)), (pl.kl_div, (pl.log_softmax(q), p))):
            np.testing.assert_allclose(np.asarray(jax.jit(fn)(*args)), np.asarray(fn(*args)), rtol=1e-14)
        # a traced target cannot be checked: a negative one gives NaN, not a number
        bad = backend.asarray(np.asarray([0.5, -0.5]))
        assert np.isnan(np.asarray(jax.jit(pl.kl_div)(bad, bad)))
    elif backend.name == "dask":
        import dask.array as da

        out = pl.kl_divergence(p, q)
        assert isinstance(out, da.Array)
        bad = backend.asarray(np.asarray([0.5, 1.5]))
        assert np.isnan(backend.numpy(pl.entropy(bad)))  # lazy: poisoned, not raised
    else:
        pytest.skip("jit / laziness apply to jax and dask")


# -- errors ----------------------------------------------------------------------------


def test_errors(backend):
    x = backend.asarray(np.full((2, 3), -1.0))
    t = backend.asarray(np.full((2, 3), 0.5))
    lazy = backend.name == "dask"
    with pytest.raises(ValueError, match="`reduction` must be one of 'none', 'mean', 'sum', 'batchmean'; got 'max'"):
        pl.kl_div(x, t, reduction="max")
    with pytest.raises(TypeError, match="`log_target` must be a bool; got int 1"):
        pl.kl_div(x, t, log_target=1)
    with pytest.raises(TypeError, match="`target` must be a real floating-point array"):
        pl.kl_div(x, backend.asarray(np.zeros((2, 3), dtype="int64")))
    with pytest.raises(ValueError, match="`input` and `target` must have the same shape"):
        pl.kl_div(x, backend.asarray(np.full((3,), 0.5)))
    with pytest.raises(ValueError, match="`p` and `q` must have the same shape"):
        pl.kl_divergence(t, backend.asarray(np.full((3,), 0.5)))
    with pytest.raises(IndexError, match="`axis` 2 is out of range for an array of 2 dimension"):
        pl.entropy(t, axis=2)
    with pytest.raises(TypeError, match="`axis` must be an int or a tuple of ints; got 1.0"):
        pl.kl_divergence(t, t, axis=1.0)
    with pytest.raises(IndexError):
        pl.entropy(backend.asarray(np.asarray(0.5)))  # 0-d: no axis -1
    with pytest.raises(TypeError, match="`p` must be a real floating-point array"):
        pl.entropy(backend.asarray(np.ones(3, dtype="int32")))
    if not lazy:
        with pytest.raises(ValueError, match=r"`target` must hold non-negative values"):
            pl.kl_div(x, backend.asarray(np.full((2, 3), -0.5)))
        with pytest.raises(ValueError, match=r"`p` must hold probabilities in \[0, 1\]"):
            pl.entropy(backend.asarray(np.asarray([0.5, 1.5])))
        with pytest.raises(ValueError, match=r"`q` must hold probabilities in \[0, 1\]"):
            pl.kl_divergence(t, backend.asarray(np.full((2, 3), np.nan)))
    # log-targets are not range-checked (any real is a log-probability of something)
    pl.kl_div(x, backend.asarray(np.full((2, 3), 3.0)), log_target=True)
