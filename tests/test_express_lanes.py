"""torch's express lanes (``polyloss/_kernels/_torch_express.py``): which calls they take,
that what they return is what the full path promises (against mpmath, and against the
generic path), and that every error and warning of the full path survives them.

``tests/test_fast_paths.py`` compares every loss with fast paths on (lanes included) and
off; here the lanes' own decisions are tested: the fused mean kept from log 2 up, the
rows below recomputed, the likely-mistake interval, the declines.
"""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest

import polyloss as pl

torch = pytest.importorskip("torch", reason="the express lanes are torch's")

from polyloss._kernels import _torch_express  # noqa: E402 -- after the importorskip

mpmath.mp.dps = 50
#: the strict tier's budgets (conformance.BUDGETS), as relative errors
BUDGET = {torch.float64: 4096 * 2.0**-52, torch.float32: 24 * 2.0**-23}


@pytest.fixture
def taken(monkeypatch):
    """Records, per lane, how many calls it took (returned a result) and declined."""
    counts = {name: {"taken": 0, "declined": 0} for name in _torch_express.EXPRESS}
    for name, lane in list(_torch_express.EXPRESS.items()):
        def spy(*args, _lane=lane, _name=name):
            out = _lane(*args)
            counts[_name]["declined" if out is None else "taken"] += 1
            return out

        monkeypatch.setitem(_torch_express.EXPRESS, name, spy)
    return counts


def _mp_ce(row, t):
    """LSE(row) - row[t] to 50 digits: log1p(sum_{j != t} exp(x_j - x_t)), no cancellation."""
    row = [mpmath.mpf(float(v)) for v in row]
    return mpmath.log1p(mpmath.fsum(mpmath.exp(v - row[t]) for j, v in enumerate(row) if j != t))


def _rel(got, want):
    got = float(got.detach()) if isinstance(got, torch.Tensor) else float(got)
    return float(abs(mpmath.mpf(got) - want) / abs(want))


def _batch(confident, ordinary, wrong=0, C=10, seed=0):
    """``confident`` rows whose target wins by about 20 (loss about 2e-9 (C - 1): torch's
    value is all rounding error), ``ordinary`` rows of standard normal logits (loss above
    log 2 at these seeds), then ``wrong`` rows whose target loses by about 30."""
    rng = np.random.default_rng(seed)
    n = confident + ordinary + wrong
    x = rng.standard_normal((n, C))
    t = rng.integers(0, C, n)
    x[np.arange(confident), t[:confident]] = 20.0
    x[np.arange(n - wrong, n), t[n - wrong:]] = -30.0
    return x, t


# -- which calls the lanes take ---------------------------------------------------------


def test_the_commonest_calls_take_the_lane(taken):
    x, t = (torch.asarray(a) for a in _batch(0, 32))
    for reduction in ("mean", "sum", "none"):
        pl.cross_entropy(x, t, reduction=reduction)
        pl.cross_entropy(x.float().requires_grad_(), t, reduction=reduction).sum().backward()
    z, y = torch.linspace(-3, 3, 32), torch.linspace(0, 1, 32)
    pl.binary_cross_entropy_with_logits(z, y)
    assert taken == {"cross_entropy": {"taken": 6, "declined": 0},
                     "binary_cross_entropy_with_logits": {"taken": 1, "declined": 0}}


@pytest.mark.parametrize(
    "kwargs, inputs",
    [
        (dict(weight=torch.ones(10, dtype=torch.float64)), None),
        (dict(label_smoothing=0.1), None),
        (dict(value_checks="defer"), None),
        (dict(value_checks="off"), None),
        ({}, "3-d"),
        ({}, "int32 targets"),
        ({}, "probability targets"),
        ({}, "float16"),
        ({}, "large with grad"),
    ],
    ids=["weight", "smoothing", "defer", "off", "3-d", "int32", "probabilities", "float16", "large-grad"],
)
def test_the_lane_declines_what_it_does_not_handle(taken, kwargs, inputs):
    x, t = (torch.asarray(a) for a in _batch(0, 8))
    if inputs == "3-d":
        x, t = x[..., None], t[..., None]
    elif inputs == "int32 targets":
        t = t.int()
    elif inputs == "probability targets":
        t = torch.softmax(x, 1)
    elif inputs == "float16":
        x = x.half()
    elif inputs == "large with grad":
        x = torch.randn(300, 300, dtype=torch.float64, requires_grad=True)
        t = torch.zeros(300, dtype=torch.int64)
    want_generic = inputs is None or inputs == "large with grad"
    out = pl.cross_entropy(x, t, **kwargs)
    assert taken["cross_entropy"] == {"taken": 0, "declined": 1}
    if want_generic:
        with pl.options(fast_paths=False):
            torch.testing.assert_close(out, pl.cross_entropy(x, t, **kwargs), rtol=1e-12, atol=0)


def test_transforms_and_fast_paths_off_skip_the_lanes(taken):
    x, t = (torch.asarray(a) for a in _batch(0, 8))
    with pl.options(fast_paths=False):
        pl.cross_entropy(x, t)
    torch.func.grad(lambda v: pl.cross_entropy(v, t))(x)
    assert taken["cross_entropy"]["taken"] == 0
    # under torch.func the lane is asked and declines (the full path is sync-free there)
    assert taken["cross_entropy"]["declined"] == 1


# -- what they return --------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("rows", [(31, 0, 1), (16, 16, 0), (32, 0, 0), (0, 32, 0), (1, 0, 0)], ids=str)
@pytest.mark.parametrize("grad", [False, True], ids=["value", "grad"])
def test_reduced_cross_entropy_within_budget(taken, dtype, reduction, rows, grad):
    """Against mpmath: torch's fused mean where it is at least log 2 (confident rows, whose
    torch values are all rounding error, with a wrong or ordinary rows), the rows
    recomputed below (every row confident: a mean of 2e-8); with a gradient, the fused
    call only where no row is confident."""
    x, t = _batch(*rows)
    x = x.astype(np.float32).astype(np.float64) if dtype == torch.float32 else x
    losses = [_mp_ce(row, k) for row, k in zip(x, t)]
    want = mpmath.fsum(losses) / (len(losses) if reduction == "mean" else 1)
    X = torch.asarray(x, dtype=dtype).requires_grad_(grad)
    out = pl.cross_entropy(X, torch.asarray(t), reduction=reduction)
    assert taken["cross_entropy"]["taken"] == 1
    assert _rel(out, want) <= BUDGET[dtype], (float(out), float(want))
    if grad:  # d/dx_t = p_t - 1 = -R / (1 + R) for a confident row: no cancellation
        (g,) = torch.autograd.grad(out, X)
        scale = 1 / mpmath.mpf(len(losses)) if reduction == "mean" else 1
        for i in range(len(losses)):
            R = mpmath.expm1(losses[i])
            assert _rel(g[i, t[i]], -R / (1 + R) * scale) <= BUDGET[dtype], (i, float(g[i, t[i]]))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_ignored_targets_in_the_lane(taken, reduction):
    x, t = _batch(4, 4)
    t[[1, 6]] = -100
    X, T = torch.asarray(x), torch.asarray(t)
    out = pl.cross_entropy(X, T, reduction=reduction)
    assert taken["cross_entropy"]["taken"] == 1
    kept = [_mp_ce(row, k) if k != -100 else mpmath.mpf(0) for row, k in zip(x, t)]
    if reduction == "none":
        for got, want in zip(out, kept):
            assert got == 0 if want == 0 else _rel(got, want) <= BUDGET[torch.float64]
    else:
        want = mpmath.fsum(kept) / (6 if reduction == "mean" else 1)
        assert _rel(out, want) <= BUDGET[torch.float64]
    all_ignored = pl.cross_entropy(X, torch.full_like(T, -100), reduction=reduction)
    with pl.options(fast_paths=False):
        torch.testing.assert_close(all_ignored, pl.cross_entropy(X, torch.full_like(T, -100), reduction=reduction),
                                   equal_nan=True, rtol=0, atol=0)


def test_non_finite_rows_keep_the_conventions(taken):
    x = torch.tensor([[0.0, 1.0, 2.0], [math.inf, 0.0, 0.0], [0.0, -math.inf, 1.0], [math.nan, 0.0, 0.0],
                      [1.0, 2.0, 3.0]], dtype=torch.float64)
    t = torch.tensor([0, 1, 1, 2, 2])
    for reduction in ("none", "mean", "sum"):
        out = pl.cross_entropy(x, t, reduction=reduction)
        with pl.options(fast_paths=False):
            torch.testing.assert_close(out, pl.cross_entropy(x, t, reduction=reduction), equal_nan=True)


def test_overflowing_float32_sum(taken):
    """Losses near 3e38 each: the float32 sum overflows; the lane's read sees it and the
    wide sum gives the true mean."""
    x = torch.tensor([[3e38, -3e38], [3e38, -3e38]], dtype=torch.float32)
    t = torch.tensor([1, 1])
    out = pl.cross_entropy(x, t)
    # each loss is 6e38 > float32 max: inf, as the generic path says
    with pl.options(fast_paths=False):
        assert float(out) == float(pl.cross_entropy(x, t)) == math.inf
    x = torch.tensor([[2e38, 0.0], [2e38, 0.0]], dtype=torch.float32)
    out = pl.cross_entropy(x, t)
    assert float(out) == float(np.float32(2e38))  # 2e38 + 2e38 overflows a float32 sum
    assert taken["cross_entropy"]["taken"] == 2


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_differentiated_mean_of_huge_losses_does_not_overflow(dtype):
    """A mean to differentiate whose rows' sum overflows: the true mean (6e37 in float32,
    about 1.8e307 in float64) and its gradient, as the full path gives them, not inf."""
    big = 3e37 if dtype == torch.float32 else 9e306
    x = torch.zeros(32, 10, dtype=dtype)
    x[:, 0], x[:, 1] = big, -big
    t = torch.ones(32, dtype=torch.int64)
    xx = x.clone().requires_grad_()
    out = pl.cross_entropy(xx, t)
    (g,) = torch.autograd.grad(out, xx)
    with pl.options(fast_paths=False):
        xg = x.clone().requires_grad_()
        want = pl.cross_entropy(xg, t)
        (want_g,) = torch.autograd.grad(want, xg)
    out, want = float(out.detach()), float(want.detach())
    assert math.isfinite(out) and out == want
    assert _rel(out, mpmath.mpf(2 * big)) <= 4 * torch.finfo(dtype).eps
    torch.testing.assert_close(g, want_g, rtol=0, atol=0)


def test_binary_lane_within_budget(taken):
    z = torch.tensor([-88.8, 88.8, -30.0, 30.0, 0.0, 2.0, -2.0, 1e4], dtype=torch.float32)
    for yv in (0.0, 1.0, 0.25):
        y = torch.full_like(z, yv)
        terms = [(1 - mpmath.mpf(yv)) * mpmath.log1p(mpmath.exp(mpmath.mpf(float(v))))
                 + mpmath.mpf(yv) * mpmath.log1p(mpmath.exp(-mpmath.mpf(float(v)))) for v in z]
        for reduction, want in (("mean", mpmath.fsum(terms) / len(terms)), ("sum", mpmath.fsum(terms))):
            out = pl.binary_cross_entropy_with_logits(z, y, reduction=reduction)
            assert _rel(out, want) <= BUDGET[torch.float32], (yv, reduction)
        out = pl.binary_cross_entropy_with_logits(z, y, reduction="none")
        for got, want in zip(out, terms):
            if want > np.finfo(np.float32).tiny:
                assert _rel(got, want) <= BUDGET[torch.float32], (yv, float(got), float(want))
    assert taken["binary_cross_entropy_with_logits"] == {"taken": 9, "declined": 0}


# -- errors and warnings survive --------------------------------------------------------


def test_a_bad_class_index_gets_the_full_message(taken):
    x = torch.zeros(2, 3)
    with pytest.raises(IndexError) as info:
        pl.cross_entropy(x, torch.tensor([0, 7]))
    assert str(info.value) == (
        "`target` must be class indices in [0, 2] or equal `ignore_index` (-100); got 7 at position (1,)"
    )
    with pytest.raises(IndexError, match=r"got -1 at position \(0,\)"):
        pl.cross_entropy(x.requires_grad_(), torch.tensor([-1, 0]))
    with pytest.raises(ValueError, match=r"`target` must hold probabilities in \[0, 1\]; got 2.0 at position \(1,\)"):
        pl.binary_cross_entropy_with_logits(torch.zeros(2), torch.tensor([0.0, 2.0]))
    with pytest.raises(ValueError, match=r"got nan at position \(0,\)"):
        pl.binary_cross_entropy_with_logits(torch.zeros(2), torch.tensor([math.nan, 0.0]))
    assert taken["cross_entropy"] == {"taken": 0, "declined": 2}


@pytest.mark.parametrize("C", [2, 3, 10, 1000])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("grad", [False, True], ids=["value", "grad"])
def test_probabilities_passed_as_logits_still_warn(C, reduction, grad):
    rng = np.random.default_rng(C)
    p = torch.asarray(rng.dirichlet(np.ones(C), size=16)).requires_grad_(grad)
    with pytest.warns(pl.LikelyMistakeWarning, match="looks like probabilities"):
        pl.cross_entropy(p, torch.asarray(rng.integers(0, C, 16)), reduction=reduction)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pl.cross_entropy(p, torch.asarray(rng.integers(0, C, 16)), reduction=reduction, detect_mistakes=False)
        pl.cross_entropy(torch.log(p), torch.asarray(rng.integers(0, C, 16)), reduction=reduction)


@pytest.mark.parametrize("C", [2, 3, 5, 10, 100, 1000, 32000])
def test_the_interval_of_probability_rows_holds(C):
    """The lane skips its look where a loss lies outside [log C + 1/C - 1, log(C - 1 + e)]
    (widened by 0.01): every row of probabilities has its losses inside. Checked at the
    extremes (uniform rows, one-hot rows, one class of mass 1 - d) and on random rows."""
    low, high = math.log(C) + 1 / C - 1, math.log(C - 1 + math.e)
    rng = np.random.default_rng(C)
    def hot(c, mass=1.0):
        row = np.full(C, (1 - mass) / C)
        row[c] += mass
        return row

    rows = [np.full(C, 1 / C), hot(0), hot(C - 1, 1 - 1e-3)]
    rows += list(rng.dirichlet(np.full(C, 0.05), size=8)) + list(rng.dirichlet(np.ones(C), size=8))
    for row in rows:  # float64 is plenty against the lane's margin of 0.01
        lse = np.logaddexp.reduce(row)
        for c in {0, C - 1, int(np.argmax(row)), int(np.argmin(row))}:
            loss = lse - row[c]
            assert low - 1e-9 <= loss <= high + 1e-9, (C, c, loss, low, high)
    # the high end is attained (a one-hot row at a class without mass): no margin to spare
    assert np.logaddexp.reduce(hot(0)) - hot(0)[1] == pytest.approx(high, rel=1e-14)


def test_the_fused_mean_of_many_rows_within_budget(taken):
    """The fused mean up to 4M elements (1M rows): torch's summation of the rows stays within
    the budget (NumPy in float64, with math.fsum, is the reference: its error is far below
    float32's), as the module docstring's argument needs."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1 << 20, 4)).astype(np.float32)
    t = rng.integers(0, 4, 1 << 20)
    x64 = x.astype(np.float64)
    m = x64.max(axis=1)
    losses = m + np.log(np.exp(x64 - m[:, None]).sum(axis=1)) - x64[np.arange(len(t)), t]
    for reduction, want in (("mean", math.fsum(losses) / len(t)), ("sum", math.fsum(losses))):
        out = pl.cross_entropy(torch.asarray(x), torch.asarray(t), reduction=reduction)
        assert abs(float(out) - want) / want <= BUDGET[torch.float32], (reduction, float(out), want)
    assert taken["cross_entropy"] == {"taken": 2, "declined": 0}
