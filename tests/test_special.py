"""sigmoid, log_sigmoid, softmax, log_softmax, logsumexp: documented values, accuracy, edge cases."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import polyloss as pl

mpmath.mp.dps = 50


def _rel_err(got: np.ndarray, want: list) -> float:
    got = np.asarray(got, dtype=np.float64).ravel()
    want = [mpmath.mpf(w) for w in np.ravel(np.asarray(want, dtype=object))]
    return max((abs(mpmath.mpf(float(g)) - w) / abs(w) if w != 0 else abs(mpmath.mpf(float(g)))) for g, w in zip(got, want))


def mp_lse(row) -> mpmath.mpf:
    return mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in row))


# -- documented examples (shared/sources) --------------------------------------------


def test_logsumexp_document_example(backend):
    # "Log-Sum-Exp Trick": x = [1000, 1001, 1002] prints 1002.4076 (naive form gives inf)
    out = backend.check_result(pl.logsumexp(backend.asarray([1000.0, 1001.0, 1002.0])), "float64", ())
    want = mp_lse([1000.0, 1001.0, 1002.0])
    assert abs(out - float(want)) <= 1e-12 * 1002.4
    assert round(float(out), 4) == 1002.4076


def test_softmax_document_example(backend):
    x = np.asarray([[-0.2869, 0.8709, -1.0575], [-0.6224, 0.5318, -2.3918]])
    out = backend.check_result(pl.softmax(backend.asarray(x), axis=1), "float64", (2, 3))
    np.testing.assert_array_equal(out.round(4), [[0.2153, 0.6851, 0.0996], [0.2303, 0.7304, 0.0393]])
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-15)


def test_sigmoid_document_example(backend):
    out = backend.check_result(pl.sigmoid(backend.asarray([-2.0, -1.0, 0.0, 1.0, 2.0])), "float64", (5,))
    np.testing.assert_array_equal(out.round(4), [0.1192, 0.2689, 0.5, 0.7311, 0.8808])


# -- accuracy against mpmath -----------------------------------------------------------


@pytest.mark.parametrize("dtype, budget", [("float64", 2e-15), ("float32", 4e-7)])
def test_sigmoid_and_log_sigmoid_accuracy(backend, dtype, budget):
    x = np.concatenate([np.linspace(-100, 100, 41), [-745.0, -88.0, 30.0, 40.0, 1e4, -1e4]]).astype(dtype)
    if dtype == "float32":
        x = x[np.abs(x) < 1e4]
    mx = [mpmath.mpf(float(v)) for v in x]
    sig = [1 / (1 + mpmath.exp(-v)) for v in mx]
    logsig = [-mpmath.log1p(mpmath.exp(-v)) for v in mx]
    got_sig = backend.check_result(pl.sigmoid(backend.asarray(x)), dtype, x.shape)
    got_log = backend.check_result(pl.log_sigmoid(backend.asarray(x)), dtype, x.shape)
    finfo = np.finfo(dtype)
    keep = [abs(s) > finfo.tiny for s in sig]  # subnormal results have fewer digits
    assert _rel_err(got_sig[keep], [s for s, k in zip(sig, keep) if k]) < budget
    keep = [abs(s) > finfo.tiny for s in logsig]
    assert _rel_err(got_log[keep], [s for s, k in zip(logsig, keep) if k]) < budget


@pytest.mark.parametrize("dtype, budget", [("float64", 4e-15), ("float32", 1e-6)])
def test_log_softmax_accuracy_random_and_confident(backend, rng, dtype, budget):
    x = (rng.standard_normal((20, 7)) * np.geomspace(0.1, 200, 20)[:, None]).astype(dtype)
    got = backend.check_result(pl.log_softmax(backend.asarray(x), axis=1), dtype, x.shape)
    want = [[mpmath.mpf(float(v)) - mp_lse(row) for v in row] for row in x]
    finite = np.isfinite(got)
    assert finite.all()
    assert _rel_err(got, want) < budget


def test_log_softmax_keeps_tiny_values(backend):
    # log softmax of the dominant logit is -log1p(e^-40) = -4.25e-18, not 0
    out = backend.numpy(pl.log_softmax(backend.asarray([0.0, -40.0])))
    assert out[0] == pytest.approx(-float(mpmath.log1p(mpmath.exp(-40))), rel=1e-15)


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_axes(backend, rng, axis, keepdims):
    x = rng.standard_normal((3, 4, 2)) * 30
    got = backend.numpy(pl.logsumexp(backend.asarray(x), axis=axis, keepdims=keepdims))
    ref = np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(got, ref, rtol=1e-13)


def test_logsumexp_specials(backend):
    xp = backend.xp
    inf = np.inf
    x = np.asarray([[-inf, -inf, -inf], [0.0, -inf, -inf], [1e308, 1e308, -inf], [inf, 1.0, 2.0], [np.nan, 0.0, 1.0]])
    got = backend.numpy(pl.logsumexp(backend.asarray(x), axis=1))
    assert got[0] == -inf  # all -inf row
    assert got[1] == 0.0  # a -inf entry contributes nothing
    assert got[2] == pytest.approx(1e308 + float(mpmath.log(2)), rel=1e-15)  # no overflow
    assert got[3] == inf
    assert np.isnan(got[4])
    empty = pl.logsumexp(backend.asarray(np.zeros((2, 0))), axis=1)
    np.testing.assert_array_equal(backend.check_result(empty, "float64", (2,)), [-inf, -inf])
    assert xp is not None


def test_shift_invariance_at_1e8(backend):
    # a uniform row shifted by 1e8: log_softmax is exactly -log C
    x = np.full((2, 5), 1e8)
    got = backend.numpy(pl.log_softmax(backend.asarray(x), axis=1))
    np.testing.assert_allclose(got, -np.log(5), rtol=1e-15)


def test_softmax_extreme_and_inf_rows(backend):
    x = np.asarray([[3e38, -3e38, 0.0], [-np.inf, 0.0, -np.inf]], dtype=np.float32)
    got = backend.numpy(pl.softmax(backend.asarray(x), axis=1))
    np.testing.assert_array_equal(got, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_in_float32(backend, dtype):
    x = np.asarray([[10.0, 0.0, -10.0]])
    for fn in (pl.softmax, pl.log_softmax, pl.sigmoid, pl.log_sigmoid):
        out = fn(backend.asarray(x, dtype))
        backend.check_result(out, dtype, (1, 3))
    lse = backend.check_result(pl.logsumexp(backend.asarray(x, dtype)), dtype, ())
    assert float(lse) == pytest.approx(10.0000454, rel=4e-3)


def test_errors(backend):
    with pytest.raises(TypeError, match="`x` must be a real floating-point array; got dtype int"):
        pl.softmax(backend.asarray(np.asarray([1, 2, 3])))
    with pytest.raises(IndexError, match="`axis` 2 is out of range"):
        pl.log_softmax(backend.asarray(np.zeros((2, 2))), axis=2)
    with pytest.raises(TypeError, match="got list"):
        pl.sigmoid([1.0, 2.0])
