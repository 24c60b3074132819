"""Every public function on every array library, in the ways each library is used.

One call table, :data:`CASES`, holds a representative call of every public function
in ``polyloss.__all__`` (plus, where the function validates values, a call with
invalid values). Every table-driven test is parametrised over ``polyloss.__all__``, so
a function added without a table entry fails here with its name.

* every backend (the ``xb`` fixture: the selected backends, plus array-api-strict
  under its strictest flags on a non-default device): values equal NumPy's, the
  result has the input's namespace, dtype, shape and device, reductions are 0-d
  arrays, float16 / bfloat16 / float32 / float64 are preserved, integer labels of
  every integer dtype are accepted, invalid values raise (or poison, when lazy);
* JAX: ``jax.jit`` equals eager, ``jax.grad`` equals finite differences, torch
  autograd and the closed forms (x64 enabled), value checks are skipped under
  ``jit`` and the result is NaN-poisoned instead;
* Dask: a call builds a graph and computes nothing (a scheduler that raises),
  chunking along the batch and the class axis, a ``distributed.LocalCluster``;
* PyTorch: the ``meta`` device (results stay on it, value checks skipped),
  ``torch.compile``;
* no NumPy anywhere in ``polyloss/`` (so CuPy arrays never go through the host).
"""

from __future__ import annotations

import ast
import inspect
import math
import os
import pathlib
import time
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import array_api_compat
import numpy as np
import pytest
from conftest import Backend, make_backend, selected_backends

import polyloss as pl

SELECTED = selected_backends()

#: Public names that take no arrays, so have no backend behaviour to check.
NOT_ARRAY_FUNCTIONS = {
    "LikelyMistakeWarning": "a warning class",
    "get_options": "returns the global options; takes no arrays",
    "options": "context manager for the global options; takes no arrays",
    "set_options": "sets the global options; takes no arrays",
}


def _not_selected(name: str) -> str:
    return f"{name} is not a selected backend (POLYLOSS_BACKEND) or not installed"


def needs(name: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(name not in SELECTED, reason=_not_selected(name))


def selected_backend(name: str) -> Any:
    """The backend ``name`` for a fixture; the test skips where it is not selected."""
    if name not in SELECTED:
        pytest.skip(_not_selected(name))
    return make_backend(name)


# -- the call table --------------------------------------------------------------------------

Args = tuple[tuple[Any, ...], dict[str, Any]]


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _boxes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    xy = rng.uniform(0, 5, (n, 2))
    wh = rng.uniform(0.5, 3, (n, 2))
    b1 = np.concatenate([xy, xy + wh], axis=1)
    xy2 = xy + rng.uniform(-0.4, 0.4, (n, 2))
    b2 = np.concatenate([xy2, xy2 + wh * rng.uniform(0.8, 1.2, (n, 2))], axis=1)
    return b1, b2


@dataclass(frozen=True)
class Case:
    """A representative call of one public function.

    ``make(rng)`` returns float64 / int64 NumPy positional arguments and keyword
    arguments (arrays among them are converted per backend). ``invalid(rng)`` returns
    a call whose *values* fail a check (shape and dtype are fine): eager arrays raise
    ``error``; lazy and traced arrays give NaN. ``labels`` is the position of an
    integer argument (class indices, +-1 labels) tested in every integer dtype
    (``unsigned=False``: +-1 labels, which no unsigned dtype holds). ``diff`` is the
    position of the argument that gradients are taken with respect to (None: not
    differentiable). ``lazy_sweeps=False`` runs only float64 / int64 in the dtype sweeps on
    Dask and on eager ndonnx, for functions whose graph is slow to build.
    """

    make: Callable[[np.random.Generator], Args]
    invalid: Callable[[np.random.Generator], Args] | None = None
    error: type[Exception] = ValueError
    labels: int | None = None
    unsigned: bool = True
    diff: int | None = 0
    lazy_sweeps: bool = True
    full: dict[str, Any] = field(default_factory=dict)  # kwargs for a 0-d result without `reduction`
    note: str = ""


def _with(make: Callable[[np.random.Generator], Args], edit: Callable[[tuple, dict], None]) -> Callable:
    """``make`` followed by an in-place edit of its (copied) arguments: the invalid variant of a case."""

    def invalid(rng: np.random.Generator) -> Args:
        args, kwargs = make(rng)
        args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
        edit(args, kwargs)
        return args, kwargs

    return invalid


def _set(index: int, where: tuple, value: float) -> Callable[[tuple, dict], None]:
    def edit(args: tuple, kwargs: dict) -> None:
        args[index][where] = value

    return edit


def _logits(rng):  # (N, C) logits with class targets, one ignored
    return rng.standard_normal((4, 5)) * 2, np.asarray([1, 0, 4, -100])


def _ce(rng):
    x, t = _logits(rng)
    return (x, t), {"weight": rng.uniform(0.5, 2, 5), "label_smoothing": 0.1}


def _nll(rng):
    x, t = _logits(rng)
    logp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    return (logp, t), {"weight": rng.uniform(0.5, 2, 5)}


def _softmax_focal(rng):
    x, t = _logits(rng)
    return (x, t), {"gamma": 2.0, "weight": rng.uniform(0.5, 2, 5)}


def _bce(rng):
    return (rng.uniform(0.05, 0.95, (4, 5)), rng.random((4, 5))), {"weight": rng.uniform(0.5, 2, 5)}


def _bce_logits(rng):
    z, y = rng.standard_normal((4, 5)) * 3, rng.random((4, 5))
    return (z, y), {"weight": rng.uniform(0.5, 2, 5), "pos_weight": rng.uniform(0.5, 2, 5)}


def _sigmoid_focal(rng):
    return (rng.standard_normal((4, 5)) * 3, rng.random((4, 5))), {"alpha": 0.25, "gamma": 2.0}


def _pair(rng, **kwargs):
    return (rng.standard_normal((4, 5)), rng.standard_normal((4, 5))), kwargs


def _segmentation(rng, **kwargs):  # probabilities (N, C, H, W) and class indices (N, H, W)
    p = _softmax(rng.standard_normal((2, 3, 4, 4)) * 2, axis=1)
    return (p, rng.integers(0, 3, (2, 4, 4))), kwargs


def _segmentation_soft(rng, **kwargs):  # soft targets of the input's shape
    p = _softmax(rng.standard_normal((2, 3, 4, 4)) * 2, axis=1)
    return (p, _softmax(rng.standard_normal((2, 3, 4, 4)), axis=1)), kwargs


def _rows(rng):  # probability rows
    return _softmax(rng.standard_normal((4, 5)), axis=-1)


def _kl_div(rng):
    q, p = _rows(rng), _rows(rng)
    return (np.log(q), p), {"reduction": "batchmean"}


def _signed(rng, n):
    return np.where(np.arange(n) % 2 == 0, -1, 1)[rng.permutation(n)]


def _cosine(rng):
    return (rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), _signed(rng, 4)), {"margin": 0.2}


def _ranking(rng):
    return (rng.standard_normal(6), rng.standard_normal(6), _signed(rng, 6)), {"margin": 0.1}


def _triplet(rng):
    a, p, n = (rng.standard_normal((4, 3)) for _ in range(3))
    return (a, p, n), {"margin": 1.0, "swap": True}


def _info_nce(rng):
    return (rng.standard_normal((4, 3)), rng.standard_normal((4, 3))), {"temperature": 0.5}


def _boxes_case(rng):
    return _boxes(rng, 5), {}


def _ece(rng):
    return (_rows(rng), rng.integers(0, 5, 4)), {"n_bins": 5}


def _fit_temperature(rng):
    return (rng.standard_normal((6, 4)) * 3, rng.integers(0, 4, 6)), {}


def _x(rng):
    return (rng.standard_normal((3, 4)) * 4,), {}


def _linear_ce(rng):  # hidden states (2, 3, 4), an output layer of 6 classes, one ignored target
    t = rng.integers(0, 6, (2, 3))
    t[1, 0] = -100
    return (rng.standard_normal((2, 3, 4)), rng.standard_normal((6, 4)), t), {
        "bias": rng.standard_normal(6), "label_smoothing": 0.1,
    }


def _x_axis(rng):
    return (rng.standard_normal((3, 4)) * 4,), {"axis": 1}


CASES: dict[str, Case] = {
    "binary_cross_entropy": Case(_bce, _with(_bce, _set(0, (1, 2), 1.5))),
    "binary_cross_entropy_with_logits": Case(_bce_logits),
    "class_weights": Case(
        lambda rng: ((rng.uniform(5, 100, 4),), {"strategy": "effective_number", "beta": 0.99}),
        _with(lambda rng: ((rng.uniform(5, 100, 4),), {}), _set(0, 1, 0.0)),
    ),
    "cosine_embedding_loss": Case(_cosine, _with(_cosine, _set(2, 1, 0)), labels=2, unsigned=False),
    "cross_entropy": Case(_ce, _with(_ce, _set(1, 2, 7)), error=IndexError, labels=1),
    "dice_loss": Case(_segmentation, _with(_segmentation, _set(0, (0, 0, 1, 1), 1.5)), labels=1),
    "entropy": Case(
        lambda rng: ((_rows(rng),), {}), _with(lambda rng: ((_rows(rng),), {}), _set(0, (1, 2), -0.1)),
        full={"axis": None},
    ),
    "expected_calibration_error": Case(_ece, _with(_ece, _set(1, 2, 5)), error=IndexError, labels=1),
    "fit_temperature": Case(
        _fit_temperature, _with(_fit_temperature, _set(1, 3, 4)), error=IndexError, labels=1, diff=None,
        lazy_sweeps=False,
        note="an iterative solver: gradients of its unrolled iterations are not part of its contract",
    ),
    "generalized_box_iou_loss": Case(_boxes_case, _with(_boxes_case, _set(0, (2, 2), -1.0))),
    "huber_loss": Case(lambda rng: _pair(rng, delta=0.7)),
    "info_nce": Case(_info_nce),
    "jaccard_loss": Case(
        _segmentation_soft, _with(_segmentation_soft, _set(1, (1, 2, 0, 3), 1.5))
    ),
    "kl_div": Case(_kl_div, _with(_kl_div, _set(1, (0, 1), -0.2))),
    "kl_divergence": Case(
        lambda rng: ((_rows(rng), _rows(rng)), {}),
        _with(lambda rng: ((_rows(rng), _rows(rng)), {}), _set(1, (2, 3), 1.5)),
        full={"axis": None},
    ),
    "l1_loss": Case(_pair),
    "linear_cross_entropy": Case(_linear_ce, _with(_linear_ce, _set(2, (0, 2), 6)), error=IndexError, labels=2),
    "log_sigmoid": Case(_x),
    "log_softmax": Case(_x_axis),
    "logsumexp": Case(_x_axis, full={"axis": None}),
    "margin_ranking_loss": Case(_ranking, _with(_ranking, _set(2, 3, 0)), labels=2, unsigned=False),
    "mse_loss": Case(_pair),
    "nll_loss": Case(_nll, _with(_nll, _set(1, 0, 9)), error=IndexError, labels=1),
    "sigmoid": Case(_x),
    "sigmoid_focal_loss": Case(_sigmoid_focal, _with(_sigmoid_focal, _set(1, (0, 0), 1.5))),
    "smooth_l1_loss": Case(lambda rng: _pair(rng, beta=0.5)),
    "softmax": Case(_x_axis),
    "softmax_focal_loss": Case(
        _softmax_focal, _with(_softmax_focal, _set(1, 1, 5)), error=IndexError, labels=1
    ),
    "triplet_margin_loss": Case(_triplet),
    "tversky_loss": Case(
        lambda rng: _segmentation(rng, alpha=0.3, beta=0.7, gamma=0.75),
        _with(lambda rng: _segmentation(rng, alpha=0.3, beta=0.7, gamma=0.75), _set(0, (1, 2, 3, 0), -0.5)),
        labels=1,
    ),
}

PUBLIC = sorted(n for n in pl.__all__ if n not in NOT_ARRAY_FUNCTIONS)
WITH_INVALID = [n for n in PUBLIC if n not in CASES or CASES[n].invalid is not None]
WITH_LABELS = [n for n in PUBLIC if n not in CASES or CASES[n].labels is not None]
DIFFERENTIABLE = [n for n in PUBLIC if n not in CASES or CASES[n].diff is not None]


def case(name: str) -> Case:
    if name not in CASES:
        pytest.fail(
            f"polyloss.{name} lacks a backend check: add a Case for it to CASES in tests/test_backends.py "
            "(or, if it takes no arrays, to NOT_ARRAY_FUNCTIONS)"
        )
    return CASES[name]


def call_args(name: str, *, invalid: bool = False) -> Args:
    c = case(name)
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    return (c.invalid if invalid else c.make)(rng)


def reduction_of(name: str) -> tuple[str, ...]:
    """The reductions a function accepts (empty: it has no ``reduction`` argument)."""
    if "reduction" not in inspect.signature(getattr(pl, name)).parameters:
        return ()
    return ("none", "mean", "sum", "batchmean") if name == "kl_div" else ("none", "mean", "sum")


def convert(b: Backend, value: Any, float_dtype: str = "float64", int_dtype: str = "int64") -> Any:
    if not isinstance(value, np.ndarray):
        return value
    return b.asarray(value, float_dtype if value.dtype.kind == "f" else int_dtype)


def convert_all(b: Backend, args: tuple, kwargs: dict, **dtypes: str) -> Args:
    return tuple(convert(b, a, **dtypes) for a in args), {k: convert(b, v, **dtypes) for k, v in kwargs.items()}


def numpy_reference(name: str, args: tuple, kwargs: dict) -> np.ndarray:
    """polyloss on NumPy float64 (validated against mpmath and torch by the other test modules)."""
    args = tuple(a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in args)
    kwargs = {k: v.astype(np.float64) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v for k, v in kwargs.items()}
    return np.asarray(getattr(pl, name)(*args, **kwargs))


def first_array(args: tuple) -> Any:
    return next(a for a in args if array_api_compat.is_array_api_obj(a))


def assert_close(got: np.ndarray, want: np.ndarray, rtol: float) -> None:
    """Elementwise close, relative to each value and to the largest one (sums can cancel)."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, (got.shape, want.shape)
    scale = float(np.max(np.abs(want[np.isfinite(want)]), initial=0.0))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale)


def test_every_public_name_has_a_backend_check():
    missing = sorted(set(pl.__all__) - set(CASES) - set(NOT_ARRAY_FUNCTIONS))
    assert not missing, f"public functions without a backend check in tests/test_backends.py CASES: {missing}"
    stale = sorted(set(CASES) - set(pl.__all__))
    assert not stale, f"CASES entries for names no longer public: {stale}"


# -- every backend, plus array-api-strict under its strictest flags on a non-default device ---

STRICTEST = "array_api_strict-strictest"


@pytest.fixture(params=SELECTED + ([STRICTEST] if "array_api_strict" in SELECTED else []))
def xb(request: pytest.FixtureRequest):
    """A backend under test: every selected one, and array-api-strict at its strictest."""
    if request.param != STRICTEST:
        yield make_backend(request.param)
        return
    import array_api_strict

    latest = array_api_strict._flags.supported_versions[-1]
    flags = {"api_version": latest, "boolean_indexing": False, "data_dependent_shapes": False, "enabled_extensions": ()}
    with array_api_strict.ArrayAPIStrictFlags(**flags):
        yield make_backend("array_api_strict:device1")  # every optional behaviour off, a non-default device


def _check(b: Backend, out: Any, args: tuple, dtype: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Namespace, dtype, shape and device of a result, then its values as NumPy."""
    assert array_api_compat.array_namespace(out) is b.xp, type(out)
    assert out.dtype == dtype, (out.dtype, dtype)
    assert tuple(out.shape) == tuple(shape), (tuple(out.shape), shape)
    assert array_api_compat.device(out) == array_api_compat.device(first_array(args))
    if b.name == "numpy":
        assert type(out) is np.ndarray, type(out)  # never a NumPy scalar
    else:
        assert not isinstance(out, (float, int, np.generic, np.ndarray)), type(out)
    return b.numpy(out)


@pytest.mark.parametrize("name", PUBLIC)
def test_values_match_numpy(xb, name):
    args, kwargs = call_args(name)
    want = numpy_reference(name, args, kwargs)
    bargs, bkwargs = convert_all(xb, args, kwargs)
    out = getattr(pl, name)(*bargs, **bkwargs)
    assert_close(_check(xb, out, bargs, xb.dtype("float64"), want.shape), want, 1e-12)


@pytest.mark.parametrize("name", PUBLIC)
def test_reductions_are_0d_arrays(xb, name):
    """Every reduction: "none" keeps the elementwise shape, the others give a 0-d array of the namespace."""
    args, kwargs = call_args(name)
    variants = [{**kwargs, "reduction": r} for r in reduction_of(name)] or [{**kwargs, **case(name).full}]
    if xb.name == "ndonnx" and variants == [kwargs]:
        pytest.skip("no reduction: the call of test_values_match_numpy (eager ndonnx is slow; it runs once)")
    bargs, _ = convert_all(xb, args, {})
    for kw in variants:
        want = numpy_reference(name, args, kw)
        if kw.get("reduction", "mean") != "none" and reduction_of(name):
            assert want.shape == (), (name, kw)
        out = getattr(pl, name)(*bargs, **convert_all(xb, (), kw)[1])
        assert_close(_check(xb, out, bargs, xb.dtype("float64"), want.shape), want, 1e-12)


LOW_RTOL = {"float16": 1e-2, "bfloat16": 4e-2, "float32": 2e-5, "float64": 1e-12}


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("name", PUBLIC)
def test_float_dtype_preserved(xb, name, dtype):
    """Each floating dtype in, the same dtype out, close to float64 on the rounded inputs."""
    args, kwargs = call_args(name)
    target = xb.dtype(dtype)  # skips where the library lacks the dtype
    _skip_slow_sweep(xb, name, dtype)
    bargs, bkwargs = convert_all(xb, args, kwargs, float_dtype=dtype)
    out = getattr(pl, name)(*bargs, **bkwargs)
    # the reference sees exactly the rounded inputs that the backend saw
    rounded = tuple(xb.numpy(a) if array_api_compat.is_array_api_obj(a) else a for a in bargs)
    rkwargs = {k: xb.numpy(v) if array_api_compat.is_array_api_obj(v) else v for k, v in bkwargs.items()}
    want = numpy_reference(name, rounded, rkwargs)
    assert_close(_check(xb, out, bargs, target, want.shape), want, LOW_RTOL[dtype])


#: The dtypes an eager ndonnx sweep keeps besides float64 and int64 (whose call is that of
#: test_values_match_numpy, run once): one more of each kind. Eager ndonnx starts an
#: onnxruntime session per ONNX node (a loss call takes 0.3-2 s), so its sweeps are bounded
#: to fit CI; the whole sweep runs with POLYLOSS_FULL_SWEEPS=1.
NDONNX_SWEEP = ("float32", "int32")


def _skip_slow_sweep(xb: Backend, name: str, dtype: str) -> None:
    kept = dtype in ("float64", "int64")
    if xb.name == "dask" and not case(name).lazy_sweeps and not kept:
        pytest.skip(f"{name} builds a graph of thousands of tasks (seconds) per call on Dask: swept eagerly only")
    if xb.name == "ndonnx" and not os.environ.get("POLYLOSS_FULL_SWEEPS"):
        if kept:
            pytest.skip(f"{dtype}: the call of test_values_match_numpy (eager ndonnx is slow; it runs once)")
        if dtype not in NDONNX_SWEEP:
            pytest.skip(f"eager ndonnx runs an onnxruntime session per operation: its sweeps keep {NDONNX_SWEEP} "
                        "(POLYLOSS_FULL_SWEEPS=1: every dtype)")
        if not case(name).lazy_sweeps:
            pytest.skip(f"{name} iterates a solver (about 10 s per call on eager ndonnx): swept in float64/int64 only")


INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]

@pytest.mark.parametrize("int_dtype", INT_DTYPES)
@pytest.mark.parametrize("name", WITH_LABELS)
def test_integer_labels_of_every_dtype(xb, name, int_dtype):
    c = case(name)
    _skip_slow_sweep(xb, name, int_dtype)
    args, kwargs = call_args(name)
    labels = args[c.labels]
    if int_dtype.startswith("uint"):
        if not c.unsigned:
            pytest.skip(f"{name} takes labels 1 and -1: no unsigned dtype holds -1")
        labels = np.where(labels < 0, 0, labels)  # no ignore_index in an unsigned dtype
        args = (*args[: c.labels], labels, *args[c.labels + 1 :])
    want = numpy_reference(name, args, kwargs)
    bargs, bkwargs = convert_all(xb, args, kwargs, int_dtype=int_dtype)
    out = getattr(pl, name)(*bargs, **bkwargs)
    assert_close(_check(xb, out, bargs, xb.dtype("float64"), want.shape), want, 1e-12)


@pytest.mark.parametrize("name", WITH_INVALID)
def test_invalid_values_raise_or_poison(xb, name):
    """Concrete arrays: the value check raises. Dask (lazy): no compute, and NaN where invalid."""
    c = case(name)
    args, kwargs = call_args(name, invalid=True)
    if reduction_of(name):
        kwargs = {**kwargs, "reduction": "none"}
    bargs, bkwargs = convert_all(xb, args, kwargs)
    if xb.name != "dask":
        with pytest.raises(c.error):
            getattr(pl, name)(*bargs, **bkwargs)
        return
    import dask

    with dask.config.set(scheduler=_raising_scheduler):
        out = getattr(pl, name)(*bargs, **bkwargs)
    with warnings.catch_warnings():
        if name in LAZY_INVALID_WARNS:
            warnings.simplefilter("ignore", RuntimeWarning)
        _assert_poisoned(xb.numpy(out))


#: Functions whose lazy result is poisoned correctly but whose chunks, computed by NumPy,
#: first warn on the invalid values (the log of a negative number).
#: Reported to their modules; allowed here, not required.
LAZY_INVALID_WARNS = {"entropy", "kl_div", "sigmoid_focal_loss"}


def _assert_poisoned(values: np.ndarray) -> None:
    nan = np.isnan(values)
    assert nan.any(), values
    if values.size > 1:  # only what the invalid value touches is poisoned
        assert not nan.all(), values


# -- JAX: eager, jit, grad ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def jx():
    if "jax" not in SELECTED:
        pytest.skip("jax is not a selected backend (POLYLOSS_BACKEND) or not installed")
    import jax

    b = make_backend("jax")  # enables x64
    assert jax.config.jax_enable_x64
    return b


def _jit_call(name: str, args: tuple, kwargs: dict, *, closed: bool = False) -> Any:
    """``pl.<name>`` under ``jax.jit``: the arrays (positional and keyword) are traced, options static.

    ``closed``: only the first argument is traced; the other arrays are constants that the
    jitted function closes over (concrete arrays, yet what is computed from them is traced).
    """
    import jax

    if closed:
        return jax.jit(lambda first: getattr(pl, name)(first, *args[1:], **kwargs))(args[0])
    keys = [k for k, v in kwargs.items() if array_api_compat.is_array_api_obj(v)]
    static = {k: v for k, v in kwargs.items() if k not in keys}

    def f(args, arrays):
        return getattr(pl, name)(*args, **arrays, **static)

    return jax.jit(f)(args, {k: kwargs[k] for k in keys})


@pytest.mark.parametrize("name", PUBLIC)
def test_jax_jit_equals_eager(jx, name):
    import jax

    args, kwargs = call_args(name)
    variants = [{**kwargs, "reduction": r} for r in reduction_of(name)] or [kwargs]
    jargs, _ = convert_all(jx, args, {})
    for kw in variants:
        _, jkw = convert_all(jx, (), kw)
        eager = getattr(pl, name)(*jargs, **jkw)
        traced = _jit_call(name, jargs, jkw)
        assert isinstance(traced, jax.Array) and traced.dtype == eager.dtype and traced.shape == eager.shape
        np.testing.assert_allclose(np.asarray(traced), np.asarray(eager), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", WITH_INVALID)
def test_jax_jit_skips_value_checks_and_poisons(jx, name):
    """Under jit the values are unknown: the check is skipped (no error) and invalid entries are NaN."""
    c = case(name)
    args, kwargs = call_args(name, invalid=True)
    jargs, jkw = convert_all(jx, args, kwargs)
    with pytest.raises(c.error):  # eagerly the values are known: the check runs
        getattr(pl, name)(*jargs, **jkw)
    for closed in (False, True):
        if reduction_of(name):
            _assert_poisoned(np.asarray(_jit_call(name, jargs, {**jkw, "reduction": "none"}, closed=closed)))
            assert np.isnan(np.asarray(_jit_call(name, jargs, {**jkw, "reduction": "sum"}, closed=closed)))
        else:
            _assert_poisoned(np.asarray(_jit_call(name, jargs, jkw, closed=closed)))


def _scalarise(name: str, args: tuple, kwargs: dict) -> tuple[Callable, np.ndarray]:
    """``(f, x)``: f(x) = sum(cotangent * pl.<name>(..., x, ...)), x = the differentiated argument (NumPy)."""
    c = case(name)
    out = numpy_reference(name, args, kwargs)
    cot = np.random.default_rng(7).uniform(0.5, 1.5, out.shape)

    def f(x: Any, xp_args: tuple, xp_kwargs: dict, to: Callable) -> Any:
        a = (*xp_args[: c.diff], x, *xp_args[c.diff + 1 :])
        y = getattr(pl, name)(*a, **xp_kwargs)
        return (y * to(cot)).sum()

    return f, args[c.diff]


def _finite_difference_grad(name: str, args: tuple, kwargs: dict) -> np.ndarray:
    f, x = _scalarise(name, args, kwargs)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        h = 1e-6 * max(1.0, abs(x[i]))
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        g[i] = (float(f(up, args, kwargs, np.asarray)) - float(f(down, args, kwargs, np.asarray))) / (2 * h)
    return g


def _jax_grad(jx: Backend, name: str, args: tuple, kwargs: dict, *, jit: bool = False) -> tuple[Any, Any]:
    import jax
    import jax.numpy as jnp

    f, x = _scalarise(name, args, kwargs)
    jargs, jkw = convert_all(jx, args, kwargs)
    vg = jax.value_and_grad(lambda x: f(x, jargs, jkw, jnp.asarray))
    return (jax.jit(vg) if jit else vg)(jnp.asarray(x))


def _torch_grad(name: str, args: tuple, kwargs: dict, fn: Callable | None = None) -> np.ndarray:
    torch = pytest.importorskip("torch")
    c = case(name)
    tb = make_backend("torch")
    targs, tkw = convert_all(tb, args, kwargs)
    x = targs[c.diff].clone().requires_grad_(True)
    targs = (*targs[: c.diff], x, *targs[c.diff + 1 :])
    out = (fn or getattr(pl, name))(*targs, **tkw)
    cot = np.random.default_rng(7).uniform(0.5, 1.5, tuple(out.shape))
    (out * torch.asarray(cot)).sum().backward()
    return x.grad.numpy()


def _torch_functional(name: str) -> Callable | None:
    """torch's own function for ``name`` with polyloss's argument names, where torch has one."""
    import torch
    import torch.nn.functional as F

    def rename(fn: Callable, **names: str) -> Callable:
        return lambda *a, **k: fn(*a, **{names.get(key, key): v for key, v in k.items()})

    return {
        "binary_cross_entropy": F.binary_cross_entropy,
        "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits,
        "cosine_embedding_loss": F.cosine_embedding_loss,
        "cross_entropy": F.cross_entropy,
        "huber_loss": F.huber_loss,
        "kl_div": F.kl_div,
        "l1_loss": F.l1_loss,
        "log_sigmoid": F.logsigmoid,
        "log_softmax": rename(torch.log_softmax, axis="dim"),
        "logsumexp": rename(torch.logsumexp, axis="dim"),
        "margin_ranking_loss": lambda x1, x2, y, **k: F.margin_ranking_loss(x1, x2, y.double(), **k),
        "mse_loss": F.mse_loss,
        "nll_loss": F.nll_loss,
        "sigmoid": torch.sigmoid,
        "smooth_l1_loss": F.smooth_l1_loss,
        "softmax": rename(torch.softmax, axis="dim"),
        "triplet_margin_loss": F.triplet_margin_loss,
    }.get(name)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_jax_grad_matches_finite_differences_and_torch(jx, name):
    """jax.grad (eager and jitted value_and_grad) against central differences, polyloss on torch
    autograd, and torch.nn.functional's own autograd where torch has the loss."""
    args, kwargs = call_args(name)
    value, grad = _jax_grad(jx, name, args, kwargs)
    value_jit, grad_jit = _jax_grad(jx, name, args, kwargs, jit=True)
    grad = np.asarray(grad)
    np.testing.assert_allclose(np.asarray(grad_jit), grad, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(float(value_jit), float(value), rtol=1e-13)
    assert_close(grad, _finite_difference_grad(name, args, kwargs), 1e-6)
    try:
        import torch  # noqa: F401
    except ImportError:  # the jax nox session installs no torch: finite differences only
        return
    assert_close(grad, _torch_grad(name, args, kwargs), 1e-12)
    fn = _torch_functional(name)
    if fn is not None:
        assert_close(grad, _torch_grad(name, args, kwargs, fn), 1e-10)


def test_jax_grad_closed_forms(jx):
    """d CE / d logits = (softmax - onehot) / N and d BCE / d z = (sigmoid(z) - y) / n, under jit."""
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((6, 5)) * 3, rng.integers(0, 5, 6)
    value, g = jax.jit(jax.value_and_grad(lambda x: pl.cross_entropy(x, jnp.asarray(t))))(jnp.asarray(x))
    p = _softmax(x, axis=1)
    np.testing.assert_allclose(np.asarray(g), (p - np.eye(5)[t]) / 6, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(float(value), -np.mean(np.log(p[np.arange(6), t])), rtol=1e-13)

    z, y = rng.standard_normal((4, 3)) * 5, rng.random((4, 3))
    g = jax.grad(lambda z: pl.binary_cross_entropy_with_logits(z, jnp.asarray(y)))(jnp.asarray(z))
    np.testing.assert_allclose(np.asarray(g), (1 / (1 + np.exp(-z)) - y) / 12, rtol=1e-13, atol=1e-16)
    g = jax.jit(jax.grad(lambda z: pl.binary_cross_entropy_with_logits(z, jnp.asarray(y), reduction="sum")))(
        jnp.asarray(z)
    )
    np.testing.assert_allclose(np.asarray(g), 1 / (1 + np.exp(-z)) - y, rtol=1e-13, atol=1e-16)


# -- Dask: lazy, chunked, distributed ----------------------------------------------------------


def _raising_scheduler(dsk: Any, keys: Any, **kwargs: Any) -> Any:
    raise AssertionError("polyloss computed a Dask graph eagerly (a scheduler was called)")


@pytest.fixture(scope="module")
def dk():
    return selected_backend("dask")


@pytest.mark.parametrize("name", PUBLIC)
def test_dask_call_is_lazy(dk, name):
    """Calling builds a graph; nothing runs until compute() (the scheduler would raise)."""
    import dask
    import dask.array as da

    args, kwargs = call_args(name)
    variants = [{**kwargs, "reduction": r} for r in reduction_of(name)] or [kwargs]
    dargs, _ = convert_all(dk, args, {})
    for kw in variants:
        _, dkw = convert_all(dk, (), kw)
        with dask.config.set(scheduler=_raising_scheduler):
            out = getattr(pl, name)(*dargs, **dkw)
        assert isinstance(out, da.Array)
        assert_close(out.compute(scheduler="sync"), numpy_reference(name, args, kw), 1e-12)


CHUNKINGS = {"batch": lambda n, c: (max(1, n // 4), c), "class": lambda n, c: (n, 2), "both": lambda n, c: (3, 2)}

#: calls with a class axis 1 (``x`` of shape (N, C, ...), ``t`` class indices (N, ...)).
CLASS_AXIS_CALLS = {
    "cross_entropy": lambda x, t, w: pl.cross_entropy(x, t, weight=w, label_smoothing=0.05),
    "cross_entropy(probabilities)": lambda x, t, w: pl.cross_entropy(
        x, pl.softmax(x * 0.5, axis=1), weight=w, reduction="sum"
    ),
    "nll_loss": lambda x, t, w: pl.nll_loss(pl.log_softmax(x, axis=1), t, weight=w, reduction="none"),
    "softmax_focal_loss": lambda x, t, w: pl.softmax_focal_loss(x, t, weight=w),
    "logsumexp": lambda x, t, w: pl.logsumexp(x, axis=1),
    "softmax": lambda x, t, w: pl.softmax(x, axis=1),
    "dice_loss": lambda x, t, w: pl.dice_loss(pl.softmax(x, axis=1), t, reduction="none"),
    "tversky_loss": lambda x, t, w: pl.tversky_loss(pl.softmax(x, axis=1), t, alpha=0.2, beta=0.8),
}


@pytest.mark.parametrize("spatial", [(), (3,)], ids=["NC", "NCd"])
@pytest.mark.parametrize("chunking", list(CHUNKINGS))
@pytest.mark.parametrize("call", list(CLASS_AXIS_CALLS))
def test_dask_chunked_along_batch_and_class_axes(dk, call, chunking, spatial):
    import dask
    import dask.array as da

    if call in ("dice_loss", "tversky_loss") and not spatial:
        pytest.skip("the overlap losses sum over spatial axes: (N, C, d) layout only")
    rng = np.random.default_rng(1)
    n, c = 12, 7
    x = rng.standard_normal((n, c, *spatial)) * 3
    t = rng.integers(0, c, (n, *spatial))
    if call in ("cross_entropy", "nll_loss", "softmax_focal_loss"):
        t[1] = -100  # an ignored target
    w = rng.uniform(0.5, 2, c)
    chunks = CHUNKINGS[chunking](n, c)
    dx = da.from_array(x, chunks=chunks + spatial)
    dt = da.from_array(t, chunks=chunks[:1] + spatial)
    dw = da.from_array(w, chunks=chunks[1])
    with dask.config.set(scheduler=_raising_scheduler):
        out = CLASS_AXIS_CALLS[call](dx, dt, dw)
    want = np.asarray(CLASS_AXIS_CALLS[call](x, t, w))
    assert_close(out.compute(scheduler="threads"), want, 1e-12)


def test_dask_local_cluster(dk):
    """Cross entropy over an array of 40 chunks on a two-worker LocalCluster equals NumPy's, also
    on rows selected by a lazy mask (unknown chunk sizes)."""
    import dask
    import dask.array as da
    from distributed import Client, LocalCluster

    start = time.perf_counter()
    # processes=False: the workers are threads of this process, which starts in about a
    # second and is reliable on small CI machines; the tasks still go through the
    # distributed scheduler. (processes=True works too, with ~5 s more start-up.)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        rng = da.random.default_rng(2026)
        x = rng.standard_normal((200_000, 16), chunks=(5_000, 16)) * 3
        t = rng.integers(0, 16, size=200_000, chunks=5_000)
        assert x.numblocks == (40, 1)
        loss = pl.cross_entropy(x, t, label_smoothing=0.1)
        per_sample = pl.cross_entropy(x, t, reduction="none")
        keep = t != 0  # rows selected by a lazy mask: an unknown number of them
        masked = pl.cross_entropy(x[keep], t[keep], label_smoothing=0.1)
        assert math.isnan(x[keep].shape[0])
        got, got_none, got_masked, xn, tn = client.compute([loss, per_sample, masked, x, t], sync=True)
        assert len(client.scheduler_info()["workers"]) == 2
    assert isinstance(got, np.ndarray) and got.shape == ()
    np.testing.assert_allclose(got, pl.cross_entropy(xn, tn, label_smoothing=0.1), rtol=1e-12)
    np.testing.assert_allclose(got_none, pl.cross_entropy(xn, tn, reduction="none"), rtol=1e-12)
    rows = tn != 0
    np.testing.assert_allclose(got_masked, pl.cross_entropy(xn[rows], tn[rows], label_smoothing=0.1), rtol=1e-12)
    assert time.perf_counter() - start < 60



# -- unknown sizes: Dask after boolean masking, symbolic ndonnx arrays (ONNX export) ---------
# A shape entry may be unknown: ``nan`` in Dask after ``x[mask]``, ``None`` for an ndonnx graph
# input. Every public function takes such arrays; its value is NumPy's on the same rows.

def _rows_case(name: str) -> tuple[Args, Callable[[Any], bool]]:
    """The case's call, and which of its values are indexed by row: the arrays whose leading
    size is that of the first array (not ``linear_cross_entropy``'s weight (V, H) and bias
    (V,): V may equal the number of rows)."""
    args, kwargs = call_args(name)
    n = first_array(args).shape[0]
    fixed = [id(args[1]), id(kwargs["bias"])] if name == "linear_cross_entropy" else []

    def by_row(value: Any) -> bool:
        return isinstance(value, np.ndarray) and value.ndim > 0 and value.shape[0] == n and id(value) not in fixed

    return (args, kwargs), by_row


@pytest.mark.parametrize("name", PUBLIC)
def test_dask_unknown_sizes(dk, name):
    """Rows selected by a lazy boolean mask (``x[mask]``, shape ``nan``): every reduction stays
    lazy and equals NumPy on the selected rows. Every chunk keeps a row: Dask's ``max`` of a
    multi-dimensional array fails on an emptied chunk (dask/dask#10327), see docs/backends.md."""
    import dask
    import dask.array as da

    (args, kwargs), by_row = _rows_case(name)
    n = first_array(args).shape[0]
    keep = (np.arange(n) != 1) | (n < 3)  # row 1 dropped where two rows remain
    chunks = (1, n - 1)
    dkeep = da.from_array(keep, chunks=(chunks,))

    def masked(a: Any) -> Any:
        if not by_row(a):
            return convert(dk, a)
        rest = tuple(max(1, (s + 1) // 2) for s in a.shape[1:])
        return da.from_array(a, chunks=(chunks, *rest))[dkeep]

    def selected(a: Any) -> Any:
        return a[keep] if by_row(a) else a

    dargs = tuple(masked(a) for a in args)
    assert math.isnan(first_array(dargs).shape[0])
    margs = tuple(selected(a) for a in args)
    for kw in [{**kwargs, "reduction": r} for r in reduction_of(name)] or [kwargs]:
        with dask.config.set(scheduler=_raising_scheduler):
            out = getattr(pl, name)(*dargs, **{k: masked(v) for k, v in kw.items()})
        assert isinstance(out, da.Array)
        want = numpy_reference(name, margs, {k: selected(v) for k, v in kw.items()})
        assert_close(out.compute(scheduler="sync"), want, 1e-12)


@pytest.fixture(scope="module")
def nx():
    return selected_backend("ndonnx")


@pytest.mark.parametrize("name", PUBLIC)
def test_ndonnx_symbolic_export(nx, name):
    """Symbolic ndonnx inputs whose rows are a dynamic dimension "N": every reduction builds an
    ONNX model, which onnxruntime runs for two batch sizes, equal to NumPy's values."""
    import ndonnx as ndx
    import onnx
    import onnxruntime as ort

    (args, kwargs), by_row = _rows_case(name)
    n = first_array(args).shape[0]
    keys = [f"arg{i}" for i in range(len(args))]

    def symbolic(a: Any) -> Any:
        if not isinstance(a, np.ndarray):
            return a
        shape = tuple("N" if i == 0 and by_row(a) else s for i, s in enumerate(a.shape))
        return ndx.argument(shape=shape, dtype=ndx.float64 if a.dtype.kind == "f" else ndx.int64)

    for kw in [{**kwargs, "reduction": r} for r in reduction_of(name)] or [kwargs]:
        inputs = {k: v for k, v in zip(keys, args)} | kw
        inputs = {k: v for k, v in inputs.items() if isinstance(v, np.ndarray)}
        graph_inputs = {k: symbolic(v) for k, v in inputs.items()}
        options = {k: v for k, v in kw.items() if k not in inputs}
        out = getattr(pl, name)(*(graph_inputs.get(k, a) for k, a in zip(keys, args)),
                                **{k: graph_inputs[k] for k in kw if k in inputs}, **options)
        model = ndx.build(graph_inputs, {"loss": out})
        onnx.checker.check_model(model, full_check=True)  # a valid graph, types and shapes inferred
        session = ort.InferenceSession(model.SerializeToString())
        for rows in (slice(None), slice(0, max(1, n - 1))):  # two batch sizes, one model
            data = {k: v[rows] if by_row(v) else v for k, v in inputs.items()}
            (got,) = session.run(None, data)
            want = numpy_reference(name, tuple(data.get(k, a) for k, a in zip(keys, args)),
                                   {k: data.get(k, v) for k, v in kw.items()})
            assert_close(got, want, 1e-12)



@pytest.mark.parametrize(
    "call",
    [
        lambda x, t: pl.cross_entropy(x, t),
        lambda x, t: pl.softmax_focal_loss(x, t),
        lambda x, t: pl.expected_calibration_error(x, t),
        lambda x, t: pl.linear_cross_entropy(x, x, t),  # weight (V, H) with V unknown
    ],
    ids=["cross_entropy", "softmax_focal_loss", "expected_calibration_error", "linear_cross_entropy"],
)
def test_unknown_number_of_classes_is_a_clear_error(nx, call):
    """Only the number of classes must be known: it is the range of the class indices."""
    import ndonnx as ndx

    x = ndx.argument(shape=("N", "C"), dtype=ndx.float32)
    t = ndx.argument(shape=("N",), dtype=ndx.int64)
    with pytest.raises(ValueError, match=r"class axis of `\w+` must have a known length"):
        call(x, t)


def _two_batches(args: tuple, kwargs: dict, by_row: Callable[[Any], bool], n: int):
    """The case's call on all its rows and on the first ``n - 1`` (at least one)."""
    rows = slice(0, max(1, n - 1))
    cut = (lambda v: v[rows] if by_row(v) else v)
    return [(args, kwargs), (tuple(cut(a) for a in args), {k: cut(v) for k, v in kwargs.items()})]


@pytest.mark.parametrize("name", PUBLIC)
def test_jax_export_with_a_symbolic_batch_size(name):
    """``jax.export`` with the rows a symbolic dimension ``b``: one exported function, called on
    two batch sizes, equals NumPy's values."""
    if "jax" not in SELECTED:
        pytest.skip("jax is not a selected backend (POLYLOSS_BACKEND) or not installed")
    import jax
    from jax import export

    jb = make_backend("jax")
    (args, kwargs), by_row = _rows_case(name)
    n = first_array(args).shape[0]
    arrays = {k: v for k, v in enumerate(args)} | kwargs
    arrays = {k: v for k, v in arrays.items() if isinstance(v, np.ndarray)}
    keys = list(arrays)
    (b,) = export.symbolic_shape("b")

    def spec(v: np.ndarray) -> Any:
        shape = (b, *v.shape[1:]) if by_row(v) else v.shape
        return jax.ShapeDtypeStruct(shape, jb.dtype("float64" if v.dtype.kind == "f" else "int64"))

    def fn(*values: Any) -> Any:
        given = dict(zip(keys, values))
        call = [given.get(i, a) for i, a in enumerate(args)]
        return getattr(pl, name)(*call, **{k: given.get(k, v) for k, v in kwargs.items()})

    exported = export.export(jax.jit(fn))(*(spec(arrays[k]) for k in keys))
    for cargs, ckw in _two_batches(args, kwargs, by_row, n):
        values = {k: v for k, v in enumerate(cargs)} | ckw
        got = exported.call(*(convert(jb, values[k]) for k in keys))
        assert_close(jb.numpy(got), numpy_reference(name, cargs, ckw), 1e-12)


# -- PyTorch: the meta device, torch.compile -------------------------------------------------


@pytest.fixture(scope="module")
def tb():
    if "torch" not in SELECTED:
        pytest.skip("torch is not a selected backend (POLYLOSS_BACKEND) or not installed")
    return make_backend("torch")


@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16"])
@pytest.mark.parametrize("name", PUBLIC)
def test_torch_meta_device(tb, name, dtype):
    """On ``meta`` (shapes without data) results stay on meta with the CPU result's dtype and shape;
    the value checks are skipped, so even invalid values pass through."""
    import torch

    for invalid in (False, True) if case(name).invalid else (False,):
        args, kwargs = call_args(name, invalid=invalid)
        cargs, ckw = convert_all(tb, args, kwargs, float_dtype=dtype)
        margs = tuple(a.to("meta") if isinstance(a, torch.Tensor) else a for a in cargs)
        mkw = {k: v.to("meta") if isinstance(v, torch.Tensor) else v for k, v in ckw.items()}
        out = getattr(pl, name)(*margs, **mkw)
        assert out.device.type == "meta"
        if not invalid:
            cpu = getattr(pl, name)(*cargs, **ckw)
            assert (out.dtype, out.shape) == (cpu.dtype, cpu.shape)


_DYNAMO_NOISE = [
    "ignore:Dynamo detected a call to a `functools.lru_cache`-wrapped function:UserWarning",
    "ignore:`torch.jit.script_method` is deprecated:DeprecationWarning",
    "ignore:The .grad attribute of a Tensor that is not a leaf Tensor is being accessed:UserWarning",
]


def _compiled_losses(torch_backend: str) -> tuple[Callable, Callable]:
    import torch

    def losses(x, t, z, y):
        return pl.cross_entropy(x, t, label_smoothing=0.1), pl.binary_cross_entropy_with_logits(z, y)

    torch._dynamo.reset()
    return losses, torch.compile(losses, backend=torch_backend)


def _check_compiled(torch_backend: str, dtype_name: str) -> None:
    """Compiled equals eager, values and gradients, in one dtype (each dtype compiles anew)."""
    import torch

    eager, compiled = _compiled_losses(torch_backend)
    dtype = getattr(torch, dtype_name)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(8, 5, generator=g, dtype=dtype)
    t = torch.randint(0, 5, (8,), generator=g)
    z = torch.randn(8, 3, generator=g, dtype=dtype)
    y = torch.rand(8, 3, generator=g, dtype=dtype)
    results = []
    for fn in (eager, compiled):
        xs, zs = x.clone().requires_grad_(True), z.clone().requires_grad_(True)
        ce, bce = fn(xs, t, zs, y)
        (ce + bce).backward()
        assert ce.dtype == dtype and ce.shape == () and bce.shape == ()
        results.append((ce.detach(), bce.detach(), xs.grad, zs.grad))
    rtol = 1e-12 if dtype == torch.float64 else 1e-5
    for want, got in zip(*results):
        torch.testing.assert_close(got, want, rtol=rtol, atol=rtol)
    # under torch.compile "auto" value checks defer (no graph break): an invalid index gives NaN
    ce, _ = compiled(x, torch.full((8,), 9), z, y)
    assert torch.isnan(ce)


@pytest.mark.filterwarnings(*_DYNAMO_NOISE)
def test_torch_compile_aot_eager(tb):
    """torch.compile (AOTAutograd tracing, no code generation) of cross entropy and BCE-with-logits."""
    _check_compiled("aot_eager", "float64")


@pytest.mark.slow
@pytest.mark.filterwarnings(*_DYNAMO_NOISE)
def test_torch_compile_inductor(tb):
    """The default inductor backend (needs a C compiler: generates and builds C++ kernels)."""
    import shutil

    if not (shutil.which("cc") or shutil.which("gcc") or shutil.which("g++")):
        pytest.skip("inductor needs a C/C++ compiler and none is on PATH")
    _check_compiled("inductor", "float32")



#: A sample for ``torch.compile(dynamic=True)`` (2-9 s per function on a CI core; every
#: function is compiled with ``fullgraph=True`` and static shapes in tests/test_transforms.py):
#: the class-index, binary, elementwise and pairwise kinds, and the (N, T, H) rows of linear
#: cross entropy, whose number is symbolic there (the generic kernel takes them unflattened).
DYNAMIC_SAMPLE = ["cross_entropy", "binary_cross_entropy_with_logits", "mse_loss", "info_nce", "linear_cross_entropy"]


@pytest.mark.parametrize("name", DYNAMIC_SAMPLE)
@pytest.mark.filterwarnings(*_DYNAMO_NOISE)
def test_torch_compile_dynamic(tb, name):
    """``torch.compile(dynamic=True)`` (symbolic sizes; graph breaks allowed: with every size
    symbolic, the options' messages and the axis normalisation of array-api-compat break
    the graph): two batch sizes, values equal to NumPy's."""
    import torch

    (args, kwargs), by_row = _rows_case(name)
    n = first_array(args).shape[0]
    torch._dynamo.reset()
    compiled = torch.compile(getattr(pl, name), dynamic=True, backend="eager")
    for cargs, ckw in _two_batches(args, kwargs, by_row, n):
        bargs, bkw = convert_all(tb, cargs, ckw)
        assert_close(tb.numpy(compiled(*bargs, **bkw)), numpy_reference(name, cargs, ckw), 1e-12)

# -- array-api-strict: a device without float64 ---------------------------------------------


@pytest.mark.parametrize("name", PUBLIC)
@needs("array_api_strict")
def test_strict_device_without_float64(name):
    """float32 on array-api-strict's ``no_float64`` device: polyloss never makes a float64 array."""
    import array_api_strict

    b = make_backend("array_api_strict")
    dev = array_api_strict.Device("no_float64")
    args, kwargs = call_args(name)
    bargs, bkwargs = convert_all(b, args, kwargs, float_dtype="float32")
    bargs = tuple(a.to_device(dev) if array_api_compat.is_array_api_obj(a) else a for a in bargs)
    bkwargs = {k: v.to_device(dev) if array_api_compat.is_array_api_obj(v) else v for k, v in bkwargs.items()}
    out = getattr(pl, name)(*bargs, **bkwargs)
    assert out.device == dev and out.dtype == array_api_strict.float32
    rounded = tuple(b.numpy(a) if array_api_compat.is_array_api_obj(a) else a for a in bargs)
    rkwargs = {k: b.numpy(v) if array_api_compat.is_array_api_obj(v) else v for k, v in bkwargs.items()}
    assert_close(b.numpy(out), numpy_reference(name, rounded, rkwargs), LOW_RTOL["float32"])


# -- CuPy: nothing in polyloss goes through NumPy (no implicit host transfer) ----------------------

#: Modules allowed to use NumPy, with why no CuPy (or other device) array can reach them.
NUMPY_ALLOWED = {
    "_kernels/_numpy.py": "NumPy's native kernels, imported by the kernel registry only for the NumPy namespace",
    "_kernels/_linear_cross_entropy_numpy.py": "NumPy's linear cross entropy kernel, imported likewise",
}


def test_polyloss_source_never_uses_numpy():
    """No ``import numpy`` and no ``np.`` / ``numpy.`` in polyloss's code (docstrings excepted), and
    no explicit host copies: so a CuPy (or any device) array never goes through the host.
    The NumPy fast path (NUMPY_ALLOWED) is imported only inside functions, never at import time."""
    root = pathlib.Path(pl.__file__).parent
    host_calls = {"asnumpy", "tolist", "item", "__array__"}
    problems = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(), filename=str(path))
        top_level = set(map(id, tree.body))
        for node in ast.walk(tree):
            where = f"polyloss/{rel}:{getattr(node, 'lineno', '?')}"
            if rel not in NUMPY_ALLOWED and isinstance(node, ast.ImportFrom) and any(
                a.name.removesuffix(".py") in {pathlib.Path(k).stem for k in NUMPY_ALLOWED} for a in node.names
            ):
                if id(node) in top_level:
                    problems.append(f"{where} imports a NumPy-only module at import time")
            if rel in NUMPY_ALLOWED:
                continue
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "numpy" for a in node.names):
                problems.append(f"{where} imports numpy")
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "numpy":
                problems.append(f"{where} imports from numpy")
            elif isinstance(node, ast.Name) and node.id in ("np", "numpy"):
                problems.append(f"{where} uses the name {node.id!r}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in host_calls:
                problems.append(f"{where} calls .{node.func.attr}() (a host transfer)")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", PUBLIC)
@needs("array_api_strict")
def test_non_numpy_arrays_never_reach_the_numpy_fast_path(name, monkeypatch):
    """array-api-strict stands in for CuPy here: with every function of the NumPy fast path
    made to raise, every public function still runs on it."""
    import importlib

    args, kwargs = call_args(name)
    want = numpy_reference(name, args, kwargs)
    for module in NUMPY_ALLOWED:
        mod = importlib.import_module("polyloss." + module.removesuffix(".py").replace("/", "."))
        for attr, value in vars(mod).items():
            if inspect.isfunction(value) and value.__module__ == mod.__name__:
                monkeypatch.setattr(mod, attr, _forbidden(f"{mod.__name__}.{attr}"))
    b = make_backend("array_api_strict")
    bargs, bkwargs = convert_all(b, args, kwargs)
    assert_close(b.numpy(getattr(pl, name)(*bargs, **bkwargs)), want, 1e-12)


def _forbidden(what: str) -> Callable:
    def f(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"{what} was called with non-NumPy arrays")

    return f


def test_distributed_page_is_executed():
    """docs/distributed.md's blocks run in tests/test_docs.py (every ```python block of docs/*.md,
    in order): keep them there, unskipped, with the two-worker cluster."""
    page = pathlib.Path(__file__).resolve().parent.parent / "docs" / "distributed.md"
    text = page.read_text(encoding="utf-8")
    assert text.count("```python") >= 3
    assert "LocalCluster(n_workers=2" in text and "scheduler=refuse" in text
    assert "docs-test: skip" not in text
