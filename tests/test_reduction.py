"""Reductions do not overflow where the result is representable, on every backend.

A mean (or a sum) of finite terms is inf only when its true value is: ``mean([3e38, 3e38])``
in float32 is 3e38, though the plain sum 6e38 overflows. Tiny and subnormal results keep
their digits. Expected values are exact rational arithmetic (``fractions``) or mpmath on
the exact inputs, rounded once to the dtype.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import mpmath
import numpy as np
import pytest

import polyloss as pl
from polyloss._core._reduction import reduce

F32_MAX = float(np.finfo(np.float32).max)


def _f32(values) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=np.float32)]


def _rounded(value, dtype: str = "float32") -> float:
    """An exact value (Fraction or mpf) rounded once to ``dtype`` (inf beyond its range)."""
    v = float(value)  # round to float64 first is exact enough: float32 has 24 bits
    return float(np.asarray(v, dtype=dtype)) if abs(v) <= float(np.finfo(dtype).max) * (1 + 2**-25) else math.copysign(math.inf, v)


def _one(backend, x) -> float:
    out = backend.numpy(x)
    assert out.shape == ()
    return float(out)


@pytest.mark.parametrize(
    ("values", "reduction"),
    [
        ([3e38, 3e38], "mean"),
        ([3e38, 3e38, 2e38, 1.0], "mean"),
        ([3e38, 3e38, -3e38], "sum"),  # mixed signs: the plain pairwise sum is inf
        ([3e38, -3e38, 3e38, -3e38, 2e38], "sum"),  # the plain sum may be nan (inf - inf)
        ([3e38, 3e38, -3e38, -3e38, 2e37], "mean"),
        ([3e38, 3e38], "batchmean"),
    ],
)
def test_reduce_does_not_overflow(backend, values, reduction) -> None:
    loss = backend.asarray(values, "float32")
    got = _one(backend, reduce(loss, reduction, xp=backend.xp))
    exact = sum(Fraction(v) for v in _f32(values))
    divisor = {"sum": 1, "mean": len(values), "batchmean": len(values)}[reduction]
    # a sum's rounding error: at most n units of roundoff of the largest partial sum
    bound = len(values) * 2.0**-24 * float(sum(abs(Fraction(v)) for v in _f32(values)) / divisor)
    assert math.isfinite(got)
    assert abs(got - float(exact / divisor)) <= bound, (got, float(exact / divisor))


def test_reduce_true_overflow_is_inf(backend) -> None:
    loss = backend.asarray([3e38, 3e38], "float32")
    with warnings.catch_warnings():  # a true overflow: NumPy-backed libraries may say so
        warnings.filterwarnings("ignore", "overflow encountered", RuntimeWarning)
        assert _one(backend, reduce(loss, "sum", xp=backend.xp)) == math.inf


def test_reduce_keeps_subnormal_digits(backend) -> None:
    """Tiny terms are not scaled: a mean of subnormals is the exact mean, rounded once."""
    tiny = 2.0**-149
    smallest_normal = backend.asarray([2.0**-126], "float32")
    if backend.numpy(smallest_normal / 2)[0] == 0:
        pytest.skip(f"{backend.name} flushes float32 subnormals to zero (see docs/backends.md)")
    values = [3 * tiny, 5 * tiny, 1 * tiny, 7 * tiny]
    loss = backend.asarray(values, "float32")
    assert _one(backend, reduce(loss, "mean", xp=backend.xp)) == 4 * tiny
    assert _one(backend, reduce(loss, "sum", xp=backend.xp)) == 16 * tiny


def test_reduce_weighted_mean_with_huge_weights(backend) -> None:
    """The weighted mean divides by the summed weights: both sums overflow when added plainly."""
    w = _f32([3e38, 2e38, 3e38])
    per = _f32([1.0, 0.5, 0.25])
    terms = _f32([a * b for a, b in zip(w, per)])
    loss = backend.asarray(terms, "float32")
    got = _one(backend, reduce(loss, "mean", xp=backend.xp, denominator=backend.asarray(w, "float32")))
    exact = sum(map(Fraction, terms)) / sum(map(Fraction, w))
    assert abs(got - float(exact)) <= 2 * np.spacing(np.float32(exact))


def test_reduce_float64(backend) -> None:
    big = 1.7e308
    loss = backend.asarray([big, big, 1.0], "float64")
    assert _one(backend, reduce(loss, "mean", xp=backend.xp)) == float((2 * Fraction(big) + 1) / 3)


def test_issue_example_bce_with_logits(backend) -> None:
    """binary_cross_entropy_with_logits([3e38, -3e38], [0, 1]) in float32: the mean 3e38, not inf."""
    for fast in (True, False):
        with pl.options(fast_paths=fast):
            z = backend.asarray([3e38, -3e38], "float32")
            y = backend.asarray([0.0, 1.0], "float32")
            out = pl.binary_cross_entropy_with_logits(z, y)
            assert backend.check_result(out, "float32", ()) == np.float32(3e38), fast


@pytest.mark.parametrize("fast", [True, False])
def test_large_bce_with_logits_mean_with_huge_terms(backend, fast) -> None:
    """Over several blocks of the fast paths (2**20 elements), two terms of 3e38 in one block."""
    if backend.name == "array_api_strict" and fast:
        pytest.skip("array-api-strict has no BCE fast path: the fast=False run covers it")
    n = 1 << 20
    z = np.zeros(n, dtype=np.float32)
    z[[10, 11]] = 3e38
    y = np.zeros(n, dtype=np.float32)
    with pl.options(fast_paths=fast), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "overflow encountered", RuntimeWarning)  # the true sum, below
        got = pl.binary_cross_entropy_with_logits(backend.asarray(z), backend.asarray(y))
        total = pl.binary_cross_entropy_with_logits(backend.asarray(z), backend.asarray(y), reduction="sum")
        got, total = _one(backend, got), _one(backend, total)
    with mpmath.workdps(40):
        exact = (2 * mpmath.mpf(float(np.float32(3e38))) + (n - 2) * mpmath.log(2)) / n
    expected = _rounded(exact)
    assert abs(got - expected) <= 4 * float(np.spacing(np.float32(expected)))
    assert total == math.inf  # the true sum, 6e38, overflows float32


@pytest.mark.parametrize("fast", [True, False])
def test_large_bce_with_logits_huge_weights(backend, fast) -> None:
    """In-range logits, weights of 3e38: each block's plain sum overflows; the mean does not."""
    n = 1 << 20
    z = np.zeros(n, dtype=np.float32)
    y = np.zeros(n, dtype=np.float32)
    w = np.full(n, 3e38, dtype=np.float32)
    with pl.options(fast_paths=fast):
        got = pl.binary_cross_entropy_with_logits(backend.asarray(z), backend.asarray(y), weight=backend.asarray(w))
    with mpmath.workdps(40):
        exact = mpmath.mpf(float(np.float32(3e38))) * mpmath.log(2)
    expected = _rounded(exact)
    assert abs(_one(backend, got) - expected) <= 4 * float(np.spacing(np.float32(expected)))


def test_weighted_cross_entropy_and_nll_with_huge_weights(backend) -> None:
    x = backend.asarray([[0.0, 0.0], [0.0, 0.0]], "float32")
    t = backend.asarray(np.asarray([0, 1]))
    w = backend.asarray([3e38, 3e38], "float32")
    with mpmath.workdps(40):
        log2 = _rounded(mpmath.log(2))
    assert abs(_one(backend, pl.cross_entropy(x, t, weight=w)) - log2) <= 2 * float(np.spacing(np.float32(log2)))
    lp = backend.asarray([[-1.0, -2.0], [-3.0, -0.5]], "float32")
    w2 = backend.asarray([3e38, 2e38], "float32")
    exact = (Fraction(_f32([3e38])[0]) + Fraction(_f32([2e38])[0]) / 2) / (Fraction(_f32([3e38])[0]) + Fraction(_f32([2e38])[0]))
    got = _one(backend, pl.nll_loss(lp, t, weight=w2))
    assert abs(got - float(exact)) <= 2 * float(np.spacing(np.float32(exact)))


def test_no_host_read_under_jit() -> None:
    """The scale is chosen with ``where``: the reduction traces under jax.jit."""
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    f = jax.jit(lambda z, y: pl.binary_cross_entropy_with_logits(z, y))
    out = f(jnp.asarray([3e38, -3e38], dtype=jnp.float32), jnp.asarray([0.0, 1.0], dtype=jnp.float32))
    assert float(out) == float(np.float32(3e38))


def test_gradient_of_a_mean_with_huge_terms() -> None:
    torch = pytest.importorskip("torch")
    for fast in (True, False):
        z = torch.tensor([3e38, -3e38], dtype=torch.float32, requires_grad=True)
        with pl.options(fast_paths=fast):
            pl.binary_cross_entropy_with_logits(z, torch.tensor([0.0, 1.0])).backward()
        # d/dz (sigmoid(z) - y) / n: (1 - 0) / 2 and (0 - 1) / 2
        assert z.grad.tolist() == [0.5, -0.5], fast
