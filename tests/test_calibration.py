"""class_weights, expected_calibration_error, fit_temperature: the chapter's examples, oracles, every backend, errors."""

from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pytest

import polyloss as pl

mpmath.mp.dps = 50
R = {"float64": 1e-12, "float32": 3e-6}


def mpf(v) -> mpmath.mpf:
    return mpmath.mpf(float(v))


def mp_effective_number(counts, beta):
    raw = [(1 - mpf(beta)) / (1 - mpf(beta) ** int(n)) for n in counts]
    total = mpmath.fsum(raw)
    return [w * len(counts) / total for w in raw]


def max_rel(got, want) -> float:
    return max(float(abs(mpf(g) - w) / abs(w)) for g, w in zip(np.ravel(np.asarray(got, dtype=np.float64)), want))


# -- class_weights ---------------------------------------------------------------------------------------------------


def test_class_weights_chapter_example(backend):
    # "With classes of size 900 and 100, what would inverse frequency weights be?" -> 1000 / (2 * 900), 1000 / (2 * 100)
    counts = backend.asarray(np.asarray([900, 100]))
    out = pl.class_weights(counts)
    default = str(backend.xp.__array_namespace_info__().default_dtypes()["real floating"]).rsplit(".", 1)[-1]
    got = backend.check_result(out, default, (2,))
    np.testing.assert_allclose(got, [0.5556, 5.0], atol=5e-5)  # as printed, 4 decimals
    assert max_rel(got, [mpmath.mpf(5) / 9, mpmath.mpf(5)]) <= R[default]
    got = backend.numpy(pl.class_weights(counts, strategy="inverse_sqrt"))
    assert max_rel(got, [mpmath.sqrt(mpmath.mpf(5) / 9), mpmath.sqrt(5)]) <= R[default]
    got = backend.numpy(pl.class_weights(counts, strategy="effective_number"))
    want = mp_effective_number([900, 100], 0.999)
    assert [round(float(w), 4) for w in want] == [0.2764, 1.7236]
    assert max_rel(got, want) <= R[default]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("beta", [0.5, 0.9, 0.999, 0.9999, 1 - 1e-9])
def test_effective_number_accuracy(backend, dtype, beta):
    counts = np.asarray([1, 2, 7, 100, 5000, 10**6], dtype=dtype)
    got = backend.check_result(pl.class_weights(backend.asarray(counts), strategy="effective_number", beta=beta), dtype, (6,))
    want = mp_effective_number(counts, beta)
    assert abs(mpmath.fsum(want) - 6) < 1e-40
    # n log(beta) is rounded in the compute dtype: its relative error u is amplified by n|log beta| <= 14 here
    assert max_rel(got, want) <= R[dtype] * (4 if dtype == "float32" else 1)


def test_effective_number_limits(backend):
    counts = backend.asarray(np.asarray([10.0, 30.0, 60.0]))
    np.testing.assert_array_equal(backend.numpy(pl.class_weights(counts, strategy="effective_number", beta=0.0)), [1.0, 1.0, 1.0])
    # beta -> 1: (1 - beta) / (1 - beta^n) -> 1 / n, i.e. the inverse weights normalised to sum C
    near = backend.numpy(pl.class_weights(counts, strategy="effective_number", beta=1 - 1e-12))
    inv = backend.numpy(pl.class_weights(counts))
    np.testing.assert_allclose(near, inv * 3 / inv.sum(), rtol=1e-9)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_class_weights_dtype(backend, dtype):
    counts = backend.asarray(np.asarray([900.0, 100.0, 50.0]), dtype)
    for strategy in ("inverse", "inverse_sqrt", "effective_number"):
        out = backend.check_result(pl.class_weights(counts, strategy=strategy), dtype, (3,))
        ref = backend.numpy(pl.class_weights(backend.asarray(np.asarray([900.0, 100.0, 50.0])), strategy=strategy))
        np.testing.assert_allclose(out, ref, rtol={"float16": 1e-3, "bfloat16": 8e-3}.get(dtype, 1e-6))


def test_class_weights_feed_cross_entropy(backend, rng):
    counts = backend.asarray(np.asarray([900.0, 100.0]))
    x, t = backend.asarray(rng.standard_normal((6, 2))), backend.asarray(np.asarray([0, 0, 0, 0, 0, 1]))
    backend.check_result(pl.cross_entropy(x, t, weight=pl.class_weights(counts)), "float64", ())


def test_class_weights_errors(backend):
    counts = backend.asarray(np.asarray([3, 4]))
    with pytest.raises(ValueError, match="`strategy` must be one of 'inverse', 'inverse_sqrt', 'effective_number'; got 'balanced'"):
        pl.class_weights(counts, strategy="balanced")
    with pytest.raises(ValueError, match=r"`beta` must be in \[0, 1\); got 1.0"):
        pl.class_weights(counts, strategy="effective_number", beta=1.0)
    with pytest.raises(ValueError, match=r"`beta` must be in \[0, 1\); got -0.5"):
        pl.class_weights(counts, beta=-0.5)
    with pytest.raises(ValueError, match=r"`counts` must be a non-empty 1-d array of one count per class; got shape \(2, 2\)"):
        pl.class_weights(backend.asarray(np.ones((2, 2))))
    with pytest.raises(ValueError, match=r"non-empty 1-d array .* got shape \(0,\)"):
        pl.class_weights(backend.asarray(np.ones(0)))
    with pytest.raises(TypeError, match="`counts` must be a real array of class counts; got dtype bool"):
        pl.class_weights(counts > 3)
    for bad in (np.asarray([5, -1]), np.asarray([5, 0]), np.asarray([5.0, np.inf])):
        if backend.name == "dask":  # lazy values: NaN marks the bad class instead of an error
            out = backend.numpy(pl.class_weights(backend.asarray(bad)))
            assert np.isnan(out[1])
        else:
            with pytest.raises(ValueError, match="`counts` must be positive and finite"):
                pl.class_weights(backend.asarray(bad))


# -- expected_calibration_error -----------------------------------------------------------------------------------


def reference_ece(probs: np.ndarray, labels: np.ndarray, n_bins: int) -> mpmath.mpf:
    """Guo et al.'s loop over bins (lo, hi], summed in mpmath; the edges are k / B rounded to
    the compute dtype (polyloss's documented convention; linspace can be an ulp off it)."""
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    work = np.float64 if probs.dtype == np.float64 else np.float32
    edges = [work(k / n_bins) if work is np.float32 else k / n_bins for k in range(n_bins + 1)]
    total = mpmath.mpf(0)
    for lo, hi in itertools.pairwise(edges):
        inside = (conf > lo) & (conf <= hi)
        if lo == 0:
            inside |= conf == 0
        if inside.any():
            total += abs(mpmath.fsum(int(c) - mpf(v) for c, v in zip(correct[inside], conf[inside])))
    return total / len(labels)


def test_ece_docstring_example(backend):
    probs = backend.asarray(np.asarray([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]))
    out = pl.expected_calibration_error(probs, backend.asarray(np.asarray([0, 1, 1, 0])), n_bins=5)
    assert float(backend.check_result(out, "float64", ())) == pytest.approx(0.25, rel=1e-15)


@pytest.mark.parametrize("n_bins", [1, 2, 5, 15, 100])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_ece_matches_reference(backend, rng, n_bins, dtype):
    z = rng.standard_normal((300, 5)) * 2
    probs = (np.exp(z) / np.exp(z).sum(1, keepdims=True)).astype(dtype)
    labels = np.where(rng.random(300) < 0.7, probs.argmax(1), rng.integers(0, 5, 300))
    got = backend.check_result(pl.expected_calibration_error(backend.asarray(probs), backend.asarray(labels), n_bins=n_bins), dtype, ())
    want = reference_ece(probs, labels, n_bins)
    # the sum over a bin cancels; its accuracy is relative to the summed confidences (<= n)
    assert abs(mpf(got) - want) <= R[dtype]


def test_ece_edge_cases(backend):
    # a confidence on a bin edge goes to the bin it closes: 0.2 is in (0, 0.2], 0.4 in (0.2, 0.4]
    probs = np.asarray([[0.2, 0.2, 0.2, 0.2, 0.2], [0.4, 0.3, 0.3, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]])
    labels = np.asarray([1, 0, 0])
    got = float(backend.numpy(pl.expected_calibration_error(backend.asarray(probs), backend.asarray(labels), n_bins=5)))
    assert got == pytest.approx(float(reference_ece(probs, labels, 5)), rel=1e-15)
    assert got == pytest.approx((0.2 + 0.6 + 0.0) / 3, rel=1e-15)
    # one bin: |accuracy - mean confidence|
    got = float(backend.numpy(pl.expected_calibration_error(backend.asarray(probs), backend.asarray(labels), n_bins=1)))
    assert got == pytest.approx(abs(2 / 3 - 1.6 / 3), rel=1e-14)
    # perfectly calibrated: in the bin (0.6, 0.8], 3 of 4 samples at confidence 0.75 are right
    p = np.asarray([[0.75, 0.25]] * 4)
    got = pl.expected_calibration_error(backend.asarray(p), backend.asarray(np.asarray([0, 0, 0, 1])), n_bins=5)
    assert float(backend.numpy(got)) == 0.0
    # binning is exact: one ulp above an edge is the next bin (ceil(c * B) rounds it back)
    for dtype in ("float64", "float32"):
        edge = np.asarray(0.6, dtype=dtype)
        up = np.nextafter(edge, np.asarray(1.0, dtype=dtype))
        p = np.stack([np.stack([edge, 1 - edge]), np.stack([up, 1 - up])])
        got = pl.expected_calibration_error(backend.asarray(p), backend.asarray(np.asarray([1, 0])), n_bins=5)
        # bin (0.4, 0.6]: wrong at 0.6 -> 0.6; bin (0.6, 0.8]: right at 0.6+ -> 0.4-
        assert float(backend.numpy(got)) == pytest.approx((float(edge) + 1 - float(up)) / 2, rel=1e-6)
    empty = pl.expected_calibration_error(backend.asarray(np.zeros((0, 3))), backend.asarray(np.zeros(0, dtype="int64")))
    assert np.isnan(backend.check_result(empty, "float64", ()))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_ece_dtype(backend, rng, dtype):
    z = rng.standard_normal((50, 3))
    probs = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    labels = backend.asarray(rng.integers(0, 3, 50))
    p = backend.asarray(probs, dtype)
    out = backend.check_result(pl.expected_calibration_error(p, labels), dtype, ())
    ref = backend.numpy(pl.expected_calibration_error(backend.asarray(backend.numpy(p).astype("float64")), labels))
    np.testing.assert_allclose(out, ref, rtol={"float16": 2e-3, "bfloat16": 1.6e-2}.get(dtype, 1e-6))


def test_ece_errors(backend):
    probs = backend.asarray(np.full((3, 2), 0.5))
    labels = backend.asarray(np.asarray([0, 1, 1]))
    with pytest.raises(ValueError, match=r"`n_bins` must be >= 1; got 0"):
        pl.expected_calibration_error(probs, labels, n_bins=0)
    with pytest.raises(TypeError, match="`n_bins` must be an int; got float 10.0"):
        pl.expected_calibration_error(probs, labels, n_bins=10.0)
    with pytest.raises(ValueError, match=r"`probs` must have shape \(N, C\); got \(3,\)"):
        pl.expected_calibration_error(backend.asarray(np.full(3, 0.5)), labels)
    with pytest.raises(ValueError, match=r"`labels` must have shape \(3,\) for `probs` of shape \(3, 2\); got \(2,\)"):
        pl.expected_calibration_error(probs, backend.asarray(np.asarray([0, 1])))
    with pytest.raises(TypeError, match="`labels` must be an integer array of class indices; got dtype float64"):
        pl.expected_calibration_error(probs, backend.asarray(np.asarray([0.0, 1.0, 1.0])))
    bad_labels, bad_probs = backend.asarray(np.asarray([0, 2, 1])), backend.asarray(np.asarray([[1.5, -0.5]] * 3))
    if backend.name == "dask":  # lazy values: NaN instead of an error
        assert np.isnan(backend.numpy(pl.expected_calibration_error(probs, bad_labels)))
        assert np.isnan(backend.numpy(pl.expected_calibration_error(bad_probs, labels)))
    else:
        with pytest.raises(IndexError, match=r"`labels` must be class indices in \[0, 1\]"):
            pl.expected_calibration_error(probs, bad_labels)
        with pytest.raises(ValueError, match=r"`probs` must hold probabilities in \[0, 1\]"):
            pl.expected_calibration_error(bad_probs, labels)


# -- fit_temperature ------------------------------------------------------------------------------------------------


def mp_nll_slope(z: np.ndarray, y: np.ndarray):
    """d/d(beta) of the mean NLL of softmax(beta z), in mpmath; its root is beta* = 1 / T*."""
    rows = [([mpf(v) - mpf(r[t]) for v in r]) for r, t in zip(z, y)]

    def slope(beta):
        total = mpmath.mpf(0)
        for d in rows:
            e = [mpmath.exp(beta * v) for v in d]
            total += mpmath.fsum(a * v for a, v in zip(e, d)) / mpmath.fsum(e)
        return total / len(rows)

    return slope


def mp_mean_nll(z, y, T):
    return mpmath.fsum(
        mpmath.log(mpmath.fsum(mpmath.exp(mpf(v) / mpf(T)) for v in r)) - mpf(r[t]) / mpf(T) for r, t in zip(z, y)
    ) / len(y)


def overconfident(rng, n=80, c=4, scale=6.0):
    z = rng.standard_normal((n, c)) * scale
    y = np.where(rng.random(n) < 0.6, z.argmax(1), rng.integers(0, c, n))
    return z, y


def test_fit_temperature_docstring_example(backend):
    logits = backend.asarray(np.asarray([[4.0, 0.0], [4.0, 0.0], [4.0, 0.0], [0.0, 4.0]]))
    T = backend.check_result(pl.fit_temperature(logits, backend.asarray(np.asarray([0, 0, 1, 1]))), "float64", ())
    want = 4 / mpmath.log(3)  # softmax(4 / T) = 3/4 matches the 75 % accuracy
    assert round(float(want), 6) == 3.640957
    assert abs(mpf(T) / want - 1) <= 1e-13


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("scale", [0.3, 6.0, 200.0])
def test_fit_temperature_matches_mpmath_root(backend, rng, dtype, scale):
    z, y = overconfident(rng, scale=scale)
    z = z.astype(dtype)
    T = float(backend.check_result(pl.fit_temperature(backend.asarray(z), backend.asarray(y)), dtype, ()))
    beta = mpmath.findroot(mp_nll_slope(z, y), 1 / mpf(T))
    assert abs(T * beta - 1) <= {"float64": 1e-12, "float32": 2e-5}[dtype]
    # it is the minimum: a step either way raises the NLL, and it beats T = 1
    nll = mp_mean_nll(z, y, T)
    assert nll <= mp_mean_nll(z, y, T * 1.001) and nll <= mp_mean_nll(z, y, T / 1.001)
    assert nll <= mp_mean_nll(z, y, 1.0)


def test_fit_temperature_matches_scipy(backend, rng):
    optimize = pytest.importorskip("scipy.optimize")
    special = pytest.importorskip("scipy.special")
    z, y = overconfident(rng)

    def nll(log_t):
        s = z / math.exp(log_t)
        return float(np.mean(special.logsumexp(s, axis=1) - s[np.arange(len(y)), y]))

    res = optimize.minimize_scalar(nll, bounds=(-5, 5), method="bounded", options={"xatol": 1e-10})
    T = float(backend.numpy(pl.fit_temperature(backend.asarray(z), backend.asarray(y))))
    assert T == pytest.approx(math.exp(res.x), rel=1e-7)  # Brent stops at ~sqrt(eps) in the objective


def test_fit_temperature_keeps_predictions(backend, rng):
    # labels drawn from softmax(z0): logits 3 z0 are overconfident by a temperature of about 3
    z0 = rng.standard_normal((2000, 7)) * 1.5
    p0 = np.exp(z0) / np.exp(z0).sum(1, keepdims=True)
    y = (rng.random((2000, 1)) > np.cumsum(p0, axis=1)).sum(1)
    z = 3 * z0
    Z = backend.asarray(z)
    T = pl.fit_temperature(Z, backend.asarray(y))
    assert 2.5 < float(backend.numpy(T)) < 3.5
    scaled = pl.softmax(Z / T, axis=1)
    np.testing.assert_array_equal(backend.numpy(scaled).argmax(1), z.argmax(1))
    # and calibration improves
    labels = backend.asarray(y)
    before = float(backend.numpy(pl.expected_calibration_error(pl.softmax(Z, axis=1), labels)))
    after = float(backend.numpy(pl.expected_calibration_error(scaled, labels)))
    assert after < before


def test_fit_temperature_limits(backend):
    # separable (all right, NLL -> 0 as T -> 0): the lower end of the search range
    sep = pl.fit_temperature(backend.asarray(np.eye(3) * 5), backend.asarray(np.asarray([0, 1, 2])))
    assert float(backend.numpy(sep)) == pytest.approx(1e-4, rel=1e-12)
    # all wrong (NLL decreasing in T): the upper end
    wrong = pl.fit_temperature(backend.asarray(np.eye(3) * 5), backend.asarray(np.asarray([1, 2, 0])))
    assert float(backend.numpy(wrong)) == pytest.approx(1e4, rel=1e-12)
    # every row constant: the NLL does not depend on T; 1 is returned
    flat = pl.fit_temperature(backend.asarray(np.full((4, 3), 2.5)), backend.asarray(np.asarray([0, 1, 2, 0])))
    assert float(backend.numpy(flat)) == 1.0
    # a masked class (logit -inf) has probability 0 at every T: as if it were not there
    z = np.asarray([[3.0, 1.0, -np.inf], [0.5, 4.0, -np.inf], [-1.0, 2.0, -np.inf], [2.0, 0.0, -np.inf]])
    y = np.asarray([0, 1, 0, 0])
    masked = float(backend.numpy(pl.fit_temperature(backend.asarray(z), backend.asarray(y))))
    plain = float(backend.numpy(pl.fit_temperature(backend.asarray(z[:, :2].copy()), backend.asarray(y))))
    assert masked == pytest.approx(plain, rel=1e-13) and 0 < masked < 1e4
    # one class: the NLL is 0 for every T
    one = pl.fit_temperature(backend.asarray(np.ones((3, 1))), backend.asarray(np.zeros(3, dtype="int64")))
    assert float(backend.numpy(one)) == 1.0


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_fit_temperature_dtype(backend, rng, dtype):
    z, y = overconfident(rng)
    Z = backend.asarray(z, dtype)
    T = backend.check_result(pl.fit_temperature(Z, backend.asarray(y)), dtype, ())
    ref = backend.numpy(pl.fit_temperature(backend.asarray(backend.numpy(Z).astype("float64")), backend.asarray(y)))
    np.testing.assert_allclose(T, ref, rtol={"float16": 1e-3, "bfloat16": 8e-3, "float32": 1e-5}[dtype])


def test_fit_temperature_under_jit(backend, rng):
    if backend.name != "jax":
        pytest.skip("jax only")
    import jax

    z, y = overconfident(rng)
    Z, Y = backend.asarray(z), backend.asarray(y)
    np.testing.assert_allclose(np.asarray(jax.jit(pl.fit_temperature)(Z, Y)), np.asarray(pl.fit_temperature(Z, Y)), rtol=1e-13)
    probs = pl.softmax(Z, axis=1)
    np.testing.assert_allclose(np.asarray(jax.jit(pl.expected_calibration_error)(probs, Y)),
                               np.asarray(pl.expected_calibration_error(probs, Y)), rtol=1e-14)
    counts = backend.asarray(np.asarray([900, 100]))
    np.testing.assert_allclose(np.asarray(jax.jit(pl.class_weights)(counts)), [5 / 9, 5.0], rtol=1e-15)
    # out-of-range labels cannot raise under jit: NaN
    assert np.isnan(np.asarray(jax.jit(pl.fit_temperature)(Z, Y.at[0].set(9))))


def test_fit_temperature_errors(backend):
    z = backend.asarray(np.zeros((3, 2)))
    y = backend.asarray(np.asarray([0, 1, 1]))
    with pytest.raises(ValueError, match=r"`logits` must have shape \(N, C\); got \(3,\)"):
        pl.fit_temperature(backend.asarray(np.zeros(3)), y)
    with pytest.raises(ValueError, match=r"`logits` must hold at least one sample to fit a temperature; got shape \(0, 2\)"):
        pl.fit_temperature(backend.asarray(np.zeros((0, 2))), backend.asarray(np.zeros(0, dtype="int64")))
    with pytest.raises(ValueError, match=r"`labels` must have shape \(3,\)"):
        pl.fit_temperature(z, backend.asarray(np.asarray([0, 1])))
    with pytest.raises(TypeError, match="`logits` must be a real floating-point array; got dtype int64"):
        pl.fit_temperature(y, y)
    bad = backend.asarray(np.asarray([0, 2, 1]))
    if backend.name == "dask":
        assert np.isnan(backend.numpy(pl.fit_temperature(z, bad)))
    else:
        with pytest.raises(IndexError, match=r"`labels` must be class indices in \[0, 1\]"):
            pl.fit_temperature(z, bad)
