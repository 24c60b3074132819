"""Mistake detection: probabilities to nll_loss, logits to binary_cross_entropy, softmax before cross_entropy.

Every backend: concrete arrays are checked, lazy (Dask) and traced (``jax.jit``)
arrays never are, and the switch (per call and global) never changes a result.
"""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

import polyloss as pl
from polyloss._core._xp import is_concrete

LAZY = ("dask",)
#: JAX compiles every operation for each new shape (seconds each): its runs keep to a few shapes
FEW_SHAPES = {"jax": 2}


def _few_shapes(backend, shape, shapes) -> None:
    if shapes.index(shape) >= FEW_SHAPES.get(backend.name, len(shapes)):
        pytest.skip(f"{backend.name} compiles each shape: the first {FEW_SHAPES[backend.name]} shapes suffice")


def _probs(rng, shape, axis):
    x = rng.standard_normal(shape) * 2
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return x, e / e.sum(axis=axis, keepdims=True)


def _same(backend, a, b):
    np.testing.assert_array_equal(backend.numpy(a), backend.numpy(b))


# -- the options machinery ------------------------------------------------------------


def test_options_default_context_manager_and_set_options():
    assert pl.get_options()["detect_mistakes"] is True
    with pl.options(detect_mistakes=False) as opts:
        assert opts["detect_mistakes"] is False
        assert pl.get_options()["detect_mistakes"] is False
        with pl.options(detect_mistakes=True):
            assert pl.get_options()["detect_mistakes"] is True
        assert pl.get_options()["detect_mistakes"] is False
    assert pl.get_options()["detect_mistakes"] is True
    # get_options returns a copy: mutating it changes nothing
    pl.get_options()["detect_mistakes"] = False
    assert pl.get_options()["detect_mistakes"] is True


def test_set_options_is_global_and_restorable():
    before = pl.get_options()
    try:
        pl.set_options(detect_mistakes=False)
        assert pl.get_options()["detect_mistakes"] is False
    finally:
        pl.set_options(**before)
    assert pl.get_options() == before


def _in_thread(fn):
    seen = []
    t = threading.Thread(target=lambda: seen.append(fn()))
    t.start()
    t.join()
    return seen[0]


def test_options_block_is_local_set_options_is_process_wide():
    detect = lambda: pl.get_options()["detect_mistakes"]  # noqa: E731
    with pl.options(detect_mistakes=False):
        assert _in_thread(detect) is True  # a with-block stays in its own context
    before = pl.get_options()
    try:
        pl.set_options(detect_mistakes=False)
        assert _in_thread(detect) is False  # the global setting reaches every thread
        with pl.options(detect_mistakes=True):
            pl.set_options(detect_mistakes=False)
            assert detect() is True  # the block's override still wins inside it
    finally:
        pl.set_options(**before)
    assert pl.get_options() == before


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"detect_mistake": True}, ValueError, "unknown polyloss option `detect_mistake`"),
        ({"detect_mistakes": 1}, TypeError, "`detect_mistakes` must be a bool; got int 1"),
        ({"detect_mistakes": "yes"}, TypeError, "`detect_mistakes` must be a bool; got str"),
        ({"threads": 0}, ValueError, "`threads` must be None or a positive int; got 0"),
        ({"threads": 2.0}, TypeError, "`threads` must be None or a positive int; got float 2.0"),
        ({"threads": True}, TypeError, "`threads` must be None or a positive int; got bool True"),
    ],
)
def test_bad_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        pl.set_options(**kwargs)
    with pytest.raises(error, match=match):
        with pl.options(**kwargs):
            pass  # pragma: no cover
    assert pl.get_options()["detect_mistakes"] is True


@pytest.mark.parametrize("fn", ["nll_loss", "cross_entropy", "binary_cross_entropy"])
def test_bad_per_call_option(fn):
    x = np.asarray([[0.2, 0.8]])
    t = np.asarray([1]) if fn != "binary_cross_entropy" else x
    with pytest.raises(TypeError, match="`detect_mistakes` must be a bool; got str 'no'"):
        getattr(pl, fn)(x if fn != "nll_loss" else -x, t, detect_mistakes="no")


# -- nll_loss: log-probabilities only -------------------------------------------------


def test_nll_positive_input_is_an_error(backend, rng):
    x, p = _probs(rng, (6, 4), 1)
    t = backend.asarray(rng.integers(0, 4, 6))
    for bad in (p, x):  # probabilities, or logits
        inp = backend.asarray(bad)
        if backend.name in LAZY:
            out = pl.nll_loss(inp, t)  # values unknown: no check, the torch result
            _same(backend, out, pl.nll_loss(inp, t, detect_mistakes=False))
            continue
        with pytest.raises(ValueError, match=r"`input` of nll_loss must be log-probabilities") as info:
            pl.nll_loss(inp, t)
        msg = str(info.value)
        assert "log_softmax" in msg and "cross_entropy" in msg and "detect_mistakes=False" in msg
        assert f"largest {bad.max():.6g}" in msg
        # switched off, per call and globally: torch's value (no check)
        want = -bad[np.arange(6), backend.numpy(t)].mean()
        np.testing.assert_allclose(backend.numpy(pl.nll_loss(inp, t, detect_mistakes=False)), want, rtol=1e-14)
        with pl.options(detect_mistakes=False):
            np.testing.assert_allclose(backend.numpy(pl.nll_loss(inp, t)), want, rtol=1e-14)


def test_nll_document_example_with_lost_minus_signs(backend):
    # the source document prints NLLLoss(input=[[0.6, 0.50, 0.30]]): probabilities, not log-probabilities
    inp, t = backend.asarray(np.asarray([[0.6, 0.5, 0.3]])), backend.asarray(np.asarray([1]))
    if backend.name in LAZY:
        pytest.skip("values of a lazy array are not inspected")
    with pytest.raises(ValueError, match="positive values"):
        pl.nll_loss(inp, t)


NLL_SHAPES = [(5,), (4, 3), (2, 3, 4), (2, 5, 1, 3)]


@pytest.mark.parametrize("shape", NLL_SHAPES)
def test_nll_log_softmax_output_is_fine(backend, rng, shape):
    _few_shapes(backend, shape, NLL_SHAPES)
    axis = 0 if len(shape) == 1 else 1
    x = backend.asarray(rng.standard_normal(shape) * 30)
    lp = pl.log_softmax(x, axis=axis)
    tshape = () if len(shape) == 1 else (shape[0], *shape[2:])
    t = backend.asarray(rng.integers(0, shape[axis], tshape))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = pl.nll_loss(lp, t, reduction="none")
    _same(backend, out, pl.nll_loss(lp, t, reduction="none", detect_mistakes=False))
    _same(backend, pl.cross_entropy(x, t, reduction="none"), pl.cross_entropy(x, t, reduction="none", detect_mistakes=False))


def test_nll_edge_values_pass(backend):
    t = backend.asarray(np.asarray([0, 1]))
    # log(1) = 0, -inf (log 0), NaN (propagates as in torch), and a rounding-size positive value
    for row in ([0.0, -np.inf], [np.nan, -1.0], [2e-16, -40.0]):
        pl.nll_loss(backend.asarray(np.asarray([row, row])), t)
    pl.nll_loss(backend.asarray(np.zeros((0, 3))), backend.asarray(np.zeros((0,), dtype="int64")))


def test_nll_float32_and_float16(backend, rng):
    x, p = _probs(rng, (3, 4), 1)
    t = backend.asarray(np.asarray([0, 1, 2]))
    for dtype in ("float32", "float16"):
        lp = backend.asarray(np.log(p), dtype)
        pl.nll_loss(lp, t)
        if backend.name not in LAZY:
            with pytest.raises(ValueError, match="positive values"):
                pl.nll_loss(backend.asarray(p, dtype), t)


# -- binary_cross_entropy: probabilities only -----------------------------------------


def test_bce_logits_are_an_error_naming_the_fix(backend, rng):
    z = rng.standard_normal((3, 4)) * 3
    y = (rng.random((3, 4)) < 0.5).astype("float64")
    zb, yb = backend.asarray(z), backend.asarray(y)
    if backend.name not in LAZY:
        with pytest.raises(ValueError, match=r"`input` of binary_cross_entropy must be probabilities in \[0, 1\]") as info:
            pl.binary_cross_entropy(zb, yb)
        assert "logits" in str(info.value) and "binary_cross_entropy_with_logits" in str(info.value)
    # off (or lazy): no value is inspected, and an element outside [0, 1] gives NaN: never a silent number
    for out in (pl.binary_cross_entropy(zb, yb, reduction="none", detect_mistakes=False),) + (
        (pl.binary_cross_entropy(zb, yb, reduction="none"),) if backend.name in LAZY else ()
    ):
        got = backend.numpy(out)
        bad = (z < 0) | (z > 1)
        assert np.isnan(got[bad]).all() and np.isfinite(got[~bad]).all()
    with pl.options(detect_mistakes=False):
        assert np.isnan(backend.numpy(pl.binary_cross_entropy(zb, yb)))


def test_bce_switch_never_changes_valid_results(backend, rng):
    p = rng.random((4, 5))
    p[0, :2] = (0.0, 1.0)
    y = rng.random((4, 5))
    pb, yb = backend.asarray(p), backend.asarray(y)
    for reduction in ("none", "mean", "sum"):
        _same(backend, pl.binary_cross_entropy(pb, yb, reduction=reduction),
              pl.binary_cross_entropy(pb, yb, reduction=reduction, detect_mistakes=False))


# -- cross_entropy: softmax output gets a warning --------------------------------------


CE_SHAPES = [(5, 3), (3, 4, 2), (4,), (2, 3, 2, 2), (1, 7)]


@pytest.mark.parametrize("shape", CE_SHAPES)
def test_cross_entropy_on_probabilities_warns(backend, rng, shape):
    _few_shapes(backend, shape, CE_SHAPES)
    axis = 0 if len(shape) == 1 else 1
    x, p = _probs(rng, shape, axis)
    tshape = () if len(shape) == 1 else (shape[0], *shape[2:])
    t = backend.asarray(rng.integers(0, shape[axis], tshape))
    q = backend.asarray(np.moveaxis(rng.dirichlet(np.ones(shape[axis]), size=tshape or None), -1, axis))
    pb = backend.asarray(p)
    for target in (t, q):  # class indices and probability targets alike
        quiet = pl.cross_entropy(pb, target, detect_mistakes=False)
        if backend.name in LAZY:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                _same(backend, pl.cross_entropy(pb, target), quiet)
            continue
        with pytest.warns(pl.LikelyMistakeWarning, match="softmax applied before cross_entropy") as record:
            out = pl.cross_entropy(pb, target)
        assert len(record) == 1
        assert record[0].filename == __file__  # points at the caller, not into polyloss
        assert "pass the logits" in str(record[0].message)
        _same(backend, out, quiet)  # a warning, never a different result
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pl.options(detect_mistakes=False):
                pl.cross_entropy(pb, target)
            pl.cross_entropy(backend.asarray(x), target)  # the logits: fine


def test_cross_entropy_float32_softmax_output_warns(backend, rng):
    if backend.name in LAZY:
        pytest.skip("values of a lazy array are not inspected")
    if backend.name == "jax":
        pytest.skip("JAX compiles each shape: the rounding tolerance is backend-independent (numpy, torch cover it)")
    x = backend.asarray(rng.standard_normal((8, 1000)) * 3, "float32")
    p = pl.softmax(x, axis=1)  # rows sum to 1 only within float32 rounding
    t = backend.asarray(rng.integers(0, 1000, 8))
    with pytest.warns(pl.LikelyMistakeWarning):
        pl.cross_entropy(p, t)


@pytest.mark.parametrize(
    "case",
    ["one-row-of-logits", "first-row-logits", "rows-in-unit-interval", "single-class", "empty-batch", "log-softmax"],
)
def test_cross_entropy_logits_do_not_warn(backend, rng, case):
    _, p = _probs(rng, (5, 4), 1)
    if case == "one-row-of-logits":
        x = p.copy()
        x[3] *= 1.5  # four rows of probabilities, one not: not every row sums to 1
    elif case == "first-row-logits":
        x = p.copy()
        x[0] = (0.1, 0.2, 0.3, 0.5)
    elif case == "rows-in-unit-interval":
        x = rng.random((5, 4))  # logits that happen to lie in [0, 1]
    elif case == "single-class":
        x = np.ones((5, 1))  # C = 1: any input sums to 1 trivially
    elif case == "empty-batch":
        x = np.zeros((0, 4))
    else:  # log_softmax before cross_entropy is harmless: log_softmax is idempotent
        x = np.log(p)
    t = backend.asarray(np.zeros(x.shape[0], dtype="int64"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pl.cross_entropy(backend.asarray(x), t)


# -- never on traced or lazy arrays -------------------------------------------------------


def test_detection_skipped_under_jax_jit(backend, rng):
    if backend.name != "jax":
        pytest.skip("jax.jit: the jax backend only")
    import jax

    _, p = _probs(rng, (4, 3), 1)
    t = backend.asarray(np.asarray([0, 1, 2, 0]))
    pb = backend.asarray(p)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ce = jax.jit(lambda a, b: pl.cross_entropy(a, b))(pb, t)
        nll = jax.jit(lambda a, b: pl.nll_loss(a, b))(pb, t)
    np.testing.assert_allclose(backend.numpy(ce), backend.numpy(pl.cross_entropy(pb, t, detect_mistakes=False)), rtol=1e-14)
    np.testing.assert_allclose(backend.numpy(nll), -p[np.arange(4), [0, 1, 2, 0]].mean(), rtol=1e-14)


def test_detection_never_computes_a_lazy_graph(backend, rng):
    if backend.name != "dask":
        pytest.skip("Dask laziness: the dask backend only")
    import dask

    _, p = _probs(rng, (4, 3), 1)
    pb, t = backend.asarray(p), backend.asarray(np.asarray([0, 1, 2, 0]))
    assert not is_concrete(pb)
    with dask.config.set(scheduler=_forbid_compute):
        for f in (pl.cross_entropy, pl.nll_loss, pl.binary_cross_entropy):
            f(pb, t if f is not pl.binary_cross_entropy else pb)


def _forbid_compute(*args, **kwargs):
    raise AssertionError("a Dask graph was computed during the call")
