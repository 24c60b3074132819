"""The fuzzed error surface: every public function, fed random wrong inputs, fails cleanly.

For each name in ``polyloss.__all__`` a :class:`Spec` builds a valid call (random small
shapes, NumPy RNG with fixed seeds) and the test derives wrong calls from it: wrong
ranks, mismatched batch / feature / class sizes, wrong dtypes (int, bool, complex,
float for class indices), Python lists and scalars, ``None``, arrays from a second
library, out-of-range values (class indices, labels, probabilities, boxes, counts),
NaN and inf, an empty batch, and bad keyword values (strings, ``None``, bools,
negative, NaN, inf, out-of-domain, wrong types). Every wrong call must raise
``ValueError``, ``TypeError`` or ``IndexError`` *from polyloss code* (not from inside
NumPy, torch, ...) with a message that names the argument in backticks and says what
was given ("got ..."); a call that must fail may not return a result.

Decisions on what must raise and what is legitimately accepted (``Policy``):

* NaN or inf in an array of values (logits, regression inputs, embeddings, boxes) may
  propagate to the result, as in torch (a NumPy ``RuntimeWarning`` on the way is
  accepted and listed in the summary). NaN weights (``weight``, ``pos_weight``) are
  accepted and must give a NaN loss, never a finite one.
* Value-checked arguments reject NaN with their range error: probabilities
  (``binary_cross_entropy`` input and target, ``entropy``, Dice inputs, ...),
  labels of 1 / -1, class indices, boxes with ``x2 < x1``, class counts.
* Negative ``weight`` / ``pos_weight`` raise ``ValueError`` (a negative weight makes
  the loss unbounded below); torch accepts them.
* Binary cross entropy targets must lie in [0, 1] (a 0/255 mask is a classic
  mistake); torch does not check.
* An empty batch is valid wherever torch accepts it (``"mean"`` of nothing is NaN);
  functions that need data (``fit_temperature``, ``class_weights``) raise.
* Mixed float precisions (float32 with float64) and class indices of any integer
  dtype (uint8 included) are accepted.
* Real options accept Python and NumPy real scalars (``np.float32(0.5)``), not bools,
  strings or 0-d arrays. Integer options (``ignore_index``, ``n_bins``, ``axis``) are
  Python ints: a NumPy integer may be refused with a ``TypeError``. Bool options take
  ``True`` / ``False`` only (``keepdims=1`` is a ``TypeError``); ``detect_mistakes``
  also takes ``None`` (the global setting).
* ``softmax`` / ``log_softmax`` take one int axis (``None`` and tuples raise, as the
  signature says); ``logsumexp`` / ``entropy`` / ``kl_divergence`` take None, an int or
  a tuple of distinct axes.
* Data-dependent checks do not run on lazy arrays (Dask): there a value error
  becomes NaN in the result (checked after ``compute()``), and a mistake check
  (positive ``nll_loss`` input) is skipped, leaving the result unchanged.

The number of calls tried is printed in the terminal summary.
"""

from __future__ import annotations

import enum
import inspect
import math
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import polyloss as pl

POLYLOSS_DIR = os.path.dirname(os.path.abspath(pl.__file__))
SEEDS = {"numpy": 3, "torch": 3, "array_api_strict": 2, "dask": 1, "jax": 1, "cupy": 2}
COUNT: dict[str, int] = {}
NOTES: dict[str, str] = {}  # accepted but reported: NumPy RuntimeWarnings on non-finite or extreme inputs
ERRORS = (ValueError, TypeError, IndexError)
#: backends where every new dtype or shape costs a compilation or a graph: they skip the
#: dtype mixes that only test promotion (the error surface is what they check)
SLOW_BACKENDS = ("jax", "dask")
#: backends that have no complex dtype (an array of one cannot be made, so no call can pass it)
NO_COMPLEX = ("ndonnx",)


class Policy(enum.Enum):
    RAISE = "must raise"
    VALUE = "must raise (a data check: NaN in the result when the arrays are lazy)"
    MAY = "may raise or return"
    NAN = "may raise, or return a result holding NaN"
    ACCEPT = "must return"
    MISTAKE = "must raise (a mistake check: skipped, result unchanged, when the arrays are lazy)"


# -- specifications ---------------------------------------------------------------------

FLOAT, INDEX, LABEL, TARGET = "float", "index", "label", "float-or-index"


@dataclass
class Arg:
    name: str
    kind: str = FLOAT  # FLOAT, INDEX (integer class indices), LABEL (+-1, int or float), TARGET
    shape: str = "shared"  # "shared": rank and sizes tied to the others; "free": any shape; "broadcast"
    optional: bool = False  # None is a valid value
    free_last: bool = False  # the size of the last axis is free (a class axis, a count per class)


@dataclass
class Opt:
    kind: str  # "reduction", "bool", "bool?", "real", "int", "axis", "choice", "policy" (a choice or None)
    ok: Callable[[Any], bool | None] = lambda v: True  # the valid domain ("real", "int"); None: either way
    choices: tuple = ()


@dataclass
class Spec:
    args: tuple[Arg, ...]  # positional arrays, in order
    build: Callable[[np.random.Generator], dict]  # valid arrays by name (+ "opts")
    kw_arrays: tuple[Arg, ...] = ()
    options: dict[str, Opt] = field(default_factory=dict)
    values: tuple[tuple[str, str, Callable[[dict], np.ndarray], str], ...] = ()  # (label, argument, bad value, error)
    reductions: tuple[str, ...] = ("none", "mean", "sum")
    empty: Policy = Policy.ACCEPT


def _interval(lo=-math.inf, hi=math.inf, lo_open=False, hi_open=False):
    def ok(v):
        v = float(v)
        return not math.isnan(v) and (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)

    return ok


REDUCTION = Opt("reduction")
NONNEG = _interval(0, math.inf, hi_open=True)
POSITIVE = _interval(0, math.inf, lo_open=True, hi_open=True)
UNIT = _interval(0, 1)


def _n(rng):
    return int(rng.integers(2, 5))


def _c(rng):
    return int(rng.integers(3, 6))


def _logits(rng, *shape):
    return rng.standard_normal(shape) * 2


def _probs(rng, *shape):
    return rng.random(shape) * 0.98 + 0.01


def _index(rng, c, *shape):
    return rng.integers(0, c, shape).astype("int64")


def _signs(rng, *shape):
    return np.where(rng.random(shape) < 0.5, 1, -1).astype("int64")


def _set(arrays, name, value):
    out = dict(arrays)
    out[name] = value
    return out


def _first(a, value):
    a = np.array(a, copy=True)
    a.reshape(-1)[0] = value
    return a


CLASS_INPUT = Arg("input", free_last=True)  # (N, C): one more class is valid without `weight`


def _class_build(rng, log_probs=False):
    n, c = _n(rng), _c(rng)
    extra = (2,) if rng.random() < 0.3 else ()
    x = _logits(rng, n, c, *extra)
    if log_probs:
        x = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    return {"input": x, "target": _index(rng, c, n, *extra), "weight": rng.random(c) + 0.5}


CLASS_VALUES = (
    ("target >= C", "target", lambda a: _first(a["target"], a["input"].shape[1]), "IndexError"),
    ("target < 0 (not ignore_index)", "target", lambda a: _first(a["target"], -3), "IndexError"),
)
NEG_WEIGHT = ("negative weight", "weight", lambda a: _first(a["weight"], -1.0), "ValueError")
CLASS_OPTIONS = {"reduction": REDUCTION, "ignore_index": Opt("int")}


def _probability_value(name, bad=1.5):
    return (f"{name} outside [0, 1]", name, lambda a: _first(a[name], bad), "ValueError")


def _binary_build(rng):
    n, c = _n(rng), _c(rng)
    return {"input": _probs(rng, n, c), "target": (rng.random((n, c)) < 0.5) * 1.0, "weight": rng.random(c) + 0.5}


def _pair_build(rng):
    shape = tuple(int(s) for s in rng.integers(1, 4, int(rng.integers(0, 3))))
    return {"input": rng.standard_normal(shape), "target": rng.standard_normal(shape)}


def _emb(rng, k, names):
    n, d = _n(rng), int(rng.integers(2, 5))
    return {name: rng.standard_normal((n, d)) for name in names[:k]}


def _seg_build(rng):
    n, c, h = _n(rng), _c(rng), int(rng.integers(2, 4))
    x = rng.random((n, c, h)) + 0.1
    return {"input": x / x.sum(axis=1, keepdims=True), "target": _index(rng, c, n, h)}


def _boxes(rng, n):
    lo = rng.standard_normal((n, 2))
    return np.concatenate([lo, lo + rng.random((n, 2)) + 0.1], axis=1)


SEG_OPTIONS = {"reduction": REDUCTION, "smooth": Opt("real", NONNEG)}
SEG_VALUES = (
    _probability_value("input"),
    ("target index >= C", "target", lambda a: _first(a["target"], a["input"].shape[1]), "IndexError"),
)

SPECS: dict[str, Spec | str] = {
    # -- classification
    "binary_cross_entropy": Spec(
        (Arg("input"), Arg("target")), _binary_build, (Arg("weight", shape="broadcast", optional=True),),
        {"reduction": REDUCTION, "detect_mistakes": Opt("bool?")},
        (_probability_value("input"), _probability_value("input", -0.5), _probability_value("target", 2.0),
         NEG_WEIGHT),
    ),
    "binary_cross_entropy_with_logits": Spec(
        (Arg("input"), Arg("target")),
        lambda rng: {**_binary_build(rng), "pos_weight": rng.random(1) + 0.5},
        (Arg("weight", shape="broadcast", optional=True), Arg("pos_weight", shape="broadcast", optional=True)),
        {"reduction": REDUCTION},
        (_probability_value("target", 255.0), NEG_WEIGHT,
         ("negative pos_weight", "pos_weight", lambda a: _first(a["pos_weight"], -2.0), "ValueError")),
    ),
    "nll_loss": Spec(
        (CLASS_INPUT, Arg("target", INDEX)), lambda rng: _class_build(rng, log_probs=True),
        (Arg("weight", shape="broadcast", optional=True),),
        {**CLASS_OPTIONS, "detect_mistakes": Opt("bool?")},
        (*CLASS_VALUES, NEG_WEIGHT,
         ("positive log-probability", "input", lambda a: _first(a["input"], 0.5), "Mistake")),
    ),
    "cross_entropy": Spec(
        (CLASS_INPUT, Arg("target", TARGET)), _class_build, (Arg("weight", shape="broadcast", optional=True),),
        {**CLASS_OPTIONS, "label_smoothing": Opt("real", UNIT), "detect_mistakes": Opt("bool?")},
        (*CLASS_VALUES, NEG_WEIGHT),
    ),
    "linear_cross_entropy": Spec(
        # weight (V, H) is "free": one more class (axis 0 + 1) is valid without `bias`
        (Arg("input"), Arg("weight", shape="free"), Arg("target", INDEX)),
        lambda rng: (lambda n, v, h: {"input": _logits(rng, n, h), "weight": _logits(rng, v, h),
                                      "target": _index(rng, v, n), "bias": _logits(rng, v)})(
            _n(rng), int(rng.integers(5, 8)), int(rng.integers(2, 4))),
        (Arg("bias", optional=True),),
        {**CLASS_OPTIONS, "label_smoothing": Opt("real", UNIT)},
        (("target >= V", "target", lambda a: _first(a["target"], a["weight"].shape[0]), "IndexError"),
         CLASS_VALUES[1]),
    ),
    "softmax_focal_loss": Spec(
        (CLASS_INPUT, Arg("target", INDEX)), _class_build, (Arg("weight", shape="broadcast", optional=True),),
        {**CLASS_OPTIONS, "gamma": Opt("real", NONNEG)},
        (*CLASS_VALUES, NEG_WEIGHT),
    ),
    "sigmoid_focal_loss": Spec(
        (Arg("input"), Arg("target")),
        lambda rng: (lambda n: {"input": _logits(rng, n), "target": (rng.random(n) < 0.5) * 1.0})(_n(rng)),
        (), {"reduction": REDUCTION, "gamma": Opt("real", NONNEG),
             "alpha": Opt("real", lambda v: not math.isnan(float(v)) and float(v) <= 1)},
        (_probability_value("target"),),
    ),
    # -- regression
    "mse_loss": Spec((Arg("input"), Arg("target")), _pair_build, (), {"reduction": REDUCTION}),
    "l1_loss": Spec((Arg("input"), Arg("target")), _pair_build, (), {"reduction": REDUCTION}),
    "huber_loss": Spec((Arg("input"), Arg("target")), _pair_build, (), {"reduction": REDUCTION, "delta": Opt("real", POSITIVE)}),
    "smooth_l1_loss": Spec((Arg("input"), Arg("target")), _pair_build, (), {"reduction": REDUCTION, "beta": Opt("real", NONNEG)}),
    # -- distributions
    "kl_div": Spec(
        (Arg("input"), Arg("target")),
        lambda rng: (lambda n: {"input": np.log(_probs(rng, n, 3)), "target": _probs(rng, n, 3)})(_n(rng)),
        (), {"reduction": Opt("reduction", choices=("batchmean",)), "log_target": Opt("bool")},
        (("negative target", "target", lambda a: _first(a["target"], -0.5), "ValueError"),),
    ),
    "entropy": Spec(
        (Arg("p", shape="free"),), lambda rng: {"p": _probs(rng, _n(rng), 3)}, (), {"axis": Opt("axis")},
        (_probability_value("p"),), reductions=(),
    ),
    "kl_divergence": Spec(
        (Arg("p"), Arg("q")), lambda rng: (lambda n: {"p": _probs(rng, n, 3), "q": _probs(rng, n, 3)})(_n(rng)), (),
        {"axis": Opt("axis")}, (_probability_value("p"), _probability_value("q", -1.0)), reductions=(),
    ),
    # -- metric learning
    "triplet_margin_loss": Spec(
        (Arg("anchor"), Arg("positive"), Arg("negative")), lambda rng: _emb(rng, 3, ("anchor", "positive", "negative")),
        (), {"reduction": REDUCTION, "margin": Opt("real", POSITIVE), "p": Opt("real", lambda v: None if 0 < v < 0.1 else _interval(0, math.inf, lo_open=True)(v)),
             "eps": Opt("real", NONNEG), "swap": Opt("bool")},
    ),
    "cosine_embedding_loss": Spec(
        (Arg("x1"), Arg("x2"), Arg("y", LABEL)),
        lambda rng: {**_emb(rng, 2, ("x1", "x2")), "y": None},
        (), {"reduction": REDUCTION, "margin": Opt("real", _interval(-1, 1))},
        (("label 0", "y", lambda a: _first(a["y"], 0), "ValueError"),),
    ),
    "margin_ranking_loss": Spec(
        (Arg("x1"), Arg("x2"), Arg("y", LABEL)),
        lambda rng: (lambda n: {"x1": rng.standard_normal(n), "x2": rng.standard_normal(n), "y": _signs(rng, n) * 1.0})(_n(rng)),
        (), {"reduction": REDUCTION, "margin": Opt("real", lambda v: math.isfinite(float(v)))},
        (("label 0.5", "y", lambda a: _first(a["y"], 0.5), "ValueError"),),
    ),
    "info_nce": Spec(
        (Arg("query"), Arg("positive"), Arg("negatives", shape="broadcast", optional=True)),
        lambda rng: {**_emb(rng, 2, ("query", "positive")), "negatives": None},
        (), {"reduction": REDUCTION, "temperature": Opt("real", POSITIVE)},
    ),
    "generalized_box_iou_loss": Spec(
        (Arg("boxes1"), Arg("boxes2")), lambda rng: (lambda n: {"boxes1": _boxes(rng, n), "boxes2": _boxes(rng, n)})(_n(rng)),
        (), {"reduction": REDUCTION, "eps": Opt("real", NONNEG)},
        (("x2 < x1", "boxes1", lambda a: _first(a["boxes1"], 10.0), "ValueError"),),
    ),
    # -- segmentation
    "dice_loss": Spec((Arg("input"), Arg("target", TARGET)), _seg_build, (), SEG_OPTIONS, SEG_VALUES),
    "jaccard_loss": Spec((Arg("input"), Arg("target", TARGET)), _seg_build, (), SEG_OPTIONS, SEG_VALUES),
    "tversky_loss": Spec(
        (Arg("input"), Arg("target", TARGET)), _seg_build, (),
        {**SEG_OPTIONS, "alpha": Opt("real", NONNEG), "beta": Opt("real", NONNEG), "gamma": Opt("real", POSITIVE)},
        SEG_VALUES,
    ),
    # -- calibration
    "class_weights": Spec(
        (Arg("counts", TARGET, shape="free"),), lambda rng: {"counts": rng.integers(1, 50, _c(rng)).astype("int64")}, (),
        {"strategy": Opt("choice", choices=("inverse", "inverse_sqrt", "effective_number")),
         "beta": Opt("real", _interval(0, 1, hi_open=True))},
        (("zero count", "counts", lambda a: _first(a["counts"], 0), "ValueError"),),
        reductions=(), empty=Policy.RAISE,
    ),
    "expected_calibration_error": Spec(
        (Arg("probs", free_last=True), Arg("labels", INDEX)),
        lambda rng: (lambda n, c: {"probs": _probs(rng, n, c), "labels": _index(rng, c, n)})(_n(rng), _c(rng)),
        (), {"n_bins": Opt("int", lambda v: v >= 1)},
        (_probability_value("probs"),
         ("label >= C", "labels", lambda a: _first(a["labels"], a["probs"].shape[1]), "IndexError")),
        reductions=(),
    ),
    "fit_temperature": Spec(
        (Arg("logits", free_last=True), Arg("labels", INDEX)),
        lambda rng: (lambda n, c: {"logits": _logits(rng, n, c), "labels": _index(rng, c, n)})(_n(rng), _c(rng)),
        (), {}, (("label >= C", "labels", lambda a: _first(a["labels"], a["logits"].shape[1]), "IndexError"),),
        reductions=(), empty=Policy.RAISE,
    ),
    # -- special functions
    "sigmoid": Spec((Arg("x", shape="free"),), lambda rng: {"x": _logits(rng, _n(rng), 2)}, reductions=()),
    "log_sigmoid": Spec((Arg("x", shape="free"),), lambda rng: {"x": _logits(rng, _n(rng), 2)}, reductions=()),
    "softmax": Spec((Arg("x", shape="free"),), lambda rng: {"x": _logits(rng, _n(rng), 3)}, (), {"axis": Opt("axis", choices=("int",))}, reductions=()),
    "log_softmax": Spec((Arg("x", shape="free"),), lambda rng: {"x": _logits(rng, _n(rng), 3)}, (), {"axis": Opt("axis", choices=("int",))}, reductions=()),
    "logsumexp": Spec((Arg("x", shape="free"),), lambda rng: {"x": _logits(rng, _n(rng), 3)}, (), {"axis": Opt("axis"), "keepdims": Opt("bool")}, reductions=()),
    # -- not functions of arrays
    "LikelyMistakeWarning": "a Warning class (tests/test_mistakes.py)",
    "get_options": "configuration (tests/test_mistakes.py fuzzes its arguments)",
    "set_options": "configuration (tests/test_mistakes.py fuzzes its arguments)",
    "options": "configuration (tests/test_mistakes.py fuzzes its arguments)",
}

# Every function with checks on values takes the per-call policy ``value_checks``.
VALUE_CHECKS = ("auto", "raise", "defer", "off")
for _name, _spec in SPECS.items():
    if isinstance(_spec, Spec) and "value_checks" in inspect.signature(getattr(pl, _name)).parameters:
        _spec.options["value_checks"] = Opt("policy", choices=VALUE_CHECKS)


# -- running one call and judging it ----------------------------------------------------------


@dataclass
class Call:
    label: str
    policy: Policy
    names: tuple[str, ...]  # the message must name one of these in backticks
    arrays: dict
    opts: dict
    errors: tuple[type[Exception], ...] = ERRORS


def _raised_in_polyloss(exc: BaseException) -> bool:
    tb = exc.__traceback__
    frames = traceback.extract_tb(tb)
    return bool(frames) and os.path.abspath(frames[-1].filename).startswith(POLYLOSS_DIR)


def _other_library(backend):
    """An array constructor from a library other than ``backend``'s."""
    if backend.name != "numpy":
        return np.asarray
    try:
        import torch

        return lambda a: torch.asarray(np.asarray(a))
    except ImportError:  # pragma: no cover
        import array_api_strict

        return array_api_strict.asarray


def _convert(backend, value):
    if isinstance(value, np.ndarray):
        return backend.asarray(value)
    if isinstance(value, _Raw):
        return value.value
    return value


@dataclass
class _Raw:
    """A value passed as is (a list, a scalar, an array of another library)."""

    value: Any


def _has_nan(backend, out) -> bool:
    return bool(np.isnan(backend.numpy(out)).any())


def judge(fn, spec: Spec, backend, call: Call) -> str | None:
    """None if the call behaved as its policy requires, else what went wrong."""
    lazy = backend.name == "dask"
    args, kwargs = [], {}
    for a in spec.args:
        args.append(_convert(backend, call.arrays.get(a.name)))
    while args and args[-1] is None and spec.args[len(args) - 1].optional:
        args.pop()
    for a in spec.kw_arrays:
        if a.name in call.arrays:
            kwargs[a.name] = _convert(backend, call.arrays[a.name])
    kwargs.update(call.opts)
    try:
        out = fn(*args, **kwargs)
        # lazy: run the graph where the verdict needs the values (computing every call is slow)
        if lazy and hasattr(out, "compute") and (call.policy in (Policy.VALUE, Policy.NAN) or call.label in ("valid", "empty batch")):
            out.compute()
    except Exception as exc:  # judged below
        where = "polyloss" if _raised_in_polyloss(exc) else "a backend"
        text = f"{type(exc).__name__} from {where}: {str(exc)[:300]}"
        if isinstance(exc, RuntimeWarning) and (call.policy is Policy.MAY or (lazy and call.policy is Policy.VALUE)):
            # NaN / inf propagating through NumPy arithmetic (or an overflow the input asks for):
            # NumPy warns where torch stays silent
            NOTES.setdefault(f"{fn.__name__}: {call.label}", text)
            return None
        if call.policy is Policy.ACCEPT:
            return f"raised on a valid input: {text}"
        if not isinstance(exc, call.errors) or where != "polyloss":
            return f"wrong error: {text}"
        msg = str(exc)
        if not any(f"`{n}`" in msg for n in call.names):
            return f"message names none of {['`%s`' % n for n in call.names]}: {text}"
        if "got" not in msg:
            return f"message does not say what was given ('got ...'): {text}"
        return None
    # returned a result
    try:
        import array_api_compat

        if array_api_compat.array_namespace(out) is not backend.xp:
            return f"returned {type(out).__name__}, not an array of the input's library"
    except TypeError:
        return f"returned {type(out).__name__}, not an array"
    if call.policy is Policy.RAISE or (call.policy is Policy.MISTAKE and not lazy):
        return "returned a result for an invalid input (silent result)"
    if call.policy is Policy.VALUE and not (lazy and _has_nan(backend, out)):
        return "returned a result for an invalid value" + (" without NaN (lazy)" if lazy else "")
    if call.policy is Policy.NAN and not _has_nan(backend, out):
        return "returned a NaN-free result for a NaN weight"
    return None


# -- generating the wrong calls -----------------------------------------------------------------


def _valid(name: str, spec: Spec, rng) -> tuple[dict, dict]:
    arrays = spec.build(rng)
    if name == "cosine_embedding_loss":
        arrays["y"] = _signs(rng, arrays["x1"].shape[0])
    opts = {}
    if spec.reductions:
        opts["reduction"] = str(rng.choice(spec.reductions))
    # keyword arrays: present or left out at random
    for a in spec.kw_arrays:
        if a.name in arrays and rng.random() < 0.25:
            del arrays[a.name]
    return arrays, opts


def _real_probes(rng):
    return (-math.inf, -1e9, -1.0, -1e-12, 0.0, 1e-12, 0.5, 1.0, 1.0 + 1e-12, 2.0, 1e9, math.inf, math.nan,
            float(rng.uniform(-3, 3)))


def calls(name: str, spec: Spec, backend, rng):
    """Every wrong (and some valid) calls derived from one valid call."""
    arrays, opts = _valid(name, spec, rng)
    arg_names = tuple(a.name for a in (*spec.args, *spec.kw_arrays))
    yield Call("valid", Policy.ACCEPT, arg_names, arrays, opts)
    other = _other_library(backend)
    complex_ok = backend.name not in NO_COMPLEX

    for a in (*spec.args, *spec.kw_arrays):
        value = arrays.get(a.name)
        if value is None:
            if a.name == "negatives":  # info_nce: try a valid, then a wrong, negatives array
                d = arrays["query"].shape[1]
                yield Call("negatives (M, D)", Policy.ACCEPT, arg_names, _set(arrays, a.name, rng.standard_normal((3, d))), opts)
                yield Call("negatives (M, D+1)", Policy.RAISE, arg_names, _set(arrays, a.name, rng.standard_normal((3, d + 1))), opts)
            continue
        mine = (a.name,)
        # not arrays
        yield Call(f"{a.name} as a list", Policy.RAISE, mine, _set(arrays, a.name, _Raw(value.tolist())), opts)
        yield Call(f"{a.name} as a Python scalar", Policy.RAISE, mine, _set(arrays, a.name, _Raw(1.0)), opts)
        if not a.optional:
            yield Call(f"{a.name} None", Policy.RAISE, mine, _set(arrays, a.name, _Raw(None)), opts)
        if len(arg_names) > 1:
            yield Call(f"{a.name} from another library", Policy.RAISE, arg_names,
                       _set(arrays, a.name, _Raw(other(value))), opts)
        # dtypes
        if a.kind in (FLOAT, TARGET) and value.dtype.kind == "f":
            for dt in ("bool",) + (("complex128",) if complex_ok else ()) + (("int64",) if a.kind == FLOAT else ()):
                yield Call(f"{a.name} {dt}", Policy.RAISE, mine, _set(arrays, a.name, value.astype(dt)), opts)
            if backend.name not in SLOW_BACKENDS:
                yield Call(f"{a.name} float32 among float64", Policy.MAY, arg_names, _set(arrays, a.name, value.astype("float32")), opts)
        if a.kind in (INDEX, TARGET) and value.dtype.kind in "iu":
            pol = Policy.MAY if a.kind == TARGET else Policy.RAISE
            yield Call(f"{a.name} float indices", pol, arg_names if a.kind == TARGET else mine, _set(arrays, a.name, value.astype("float64")), opts)
            yield Call(f"{a.name} bool", Policy.RAISE, mine, _set(arrays, a.name, value.astype("bool")), opts)
            if complex_ok:
                yield Call(f"{a.name} complex", Policy.RAISE, mine, _set(arrays, a.name, value.astype("complex128")), opts)
            if backend.name not in SLOW_BACKENDS:
                yield Call(f"{a.name} uint8", Policy.ACCEPT if a.kind == INDEX else Policy.MAY, arg_names, _set(arrays, a.name, value.astype("uint8")), opts)
        if a.kind == LABEL:
            yield Call(f"{a.name} bool", Policy.RAISE, mine, _set(arrays, a.name, value > 0), opts)
            if complex_ok:
                yield Call(f"{a.name} complex", Policy.RAISE, mine, _set(arrays, a.name, value.astype("complex128")), opts)
        # shapes
        shape_policy = Policy.MAY if a.shape == "free" else Policy.RAISE
        # a new leading axis of 7 (no size in the valid calls is 7, so it cannot broadcast)
        yield Call(f"{a.name} rank + 1", shape_policy, arg_names, _set(arrays, a.name, np.stack([value] * 7)), opts)
        if value.ndim:
            rank_down = Policy.MAY if a.shape in ("free", "broadcast") else Policy.RAISE
            yield Call(f"{a.name} rank - 1", rank_down, arg_names, _set(arrays, a.name, value[0]), opts)
            grow = np.concatenate([value, value[:1]], axis=0)
            yield Call(f"{a.name} axis 0 + 1", shape_policy, arg_names, _set(arrays, a.name, grow), opts)
            if value.ndim > 1:
                grow = np.concatenate([value, value[..., :1]], axis=-1)
                pol = Policy.MAY if a.free_last else shape_policy
                yield Call(f"{a.name} last axis + 1", pol, arg_names, _set(arrays, a.name, grow), opts)
        # non-finite values
        if value.dtype.kind == "f" and value.size:
            for bad in (math.nan, math.inf, -math.inf):
                if a.name in ("weight", "pos_weight") and math.isnan(bad):  # every weight NaN: a NaN loss
                    yield Call(f"{a.name} all NaN", Policy.NAN, arg_names, _set(arrays, a.name, value * math.nan), opts)
                else:
                    yield Call(f"{a.name} with {bad}", Policy.MAY, arg_names, _set(arrays, a.name, _first(value, bad)), opts)

    # data checks
    for label, arg, mutate, err in spec.values:
        if arrays.get(arg) is None:
            continue  # a keyword array left out of this call
        errors = {"ValueError": (ValueError,), "IndexError": (IndexError,), "Mistake": (ValueError,)}[err]
        policy = Policy.MISTAKE if err == "Mistake" else Policy.VALUE
        yield Call(label, policy, (arg,), _set(arrays, arg, mutate(arrays)), opts, errors)

    # an empty batch
    if arrays and all(v is None or (v.ndim and v.shape[0] == arrays[spec.args[0].name].shape[0]) for v in arrays.values()):
        empty = {k: (v if v is None or k in ("weight", "pos_weight") else v[:0]) for k, v in arrays.items()}
        yield Call("empty batch", spec.empty, arg_names, empty, opts)

    # options
    for opt_name, opt in spec.options.items():
        for label, value, policy in _option_values(opt, rng):
            yield Call(f"{opt_name}={label}", policy, (opt_name,), arrays, {**opts, opt_name: value})


def _domain_policy(ok: bool | None) -> Policy:
    return Policy.MAY if ok is None else Policy.ACCEPT if ok else Policy.RAISE


def _option_values(opt: Opt, rng):
    common_wrong = [("'1'", "1"), ("[1]", [1]), ("b'x'", b"x"), ("1j", 1j), ("0-d array", np.asarray(1.0))]
    if opt.kind == "reduction":
        for v in ("none", "mean", "sum", *opt.choices):
            yield v, v, Policy.ACCEPT
        for v in ("avg", "MEAN", "", None, 0, True, "batchmean" if not opt.choices else "elementwise_mean"):
            yield repr(v), v, Policy.RAISE
    elif opt.kind in ("bool", "bool?"):
        yield "True", True, Policy.ACCEPT
        yield "False", False, Policy.ACCEPT
        if opt.kind == "bool?":
            yield "None", None, Policy.ACCEPT
        else:
            yield "None", None, Policy.RAISE
        for label, v in (("1", 1), ("0", 0), ("'True'", "True"), ("np.bool_", np.bool_(True)), ("1.0", 1.0)):
            yield label, v, Policy.MAY if label == "np.bool_" else Policy.RAISE
    elif opt.kind == "real":
        for v in _real_probes(rng):
            yield repr(v), v, _domain_policy(opt.ok(v))
        ok_value = next(v for v in (0.5, 1.0, 2.0, 1e-12, 0.0, -1.0) if opt.ok(v))
        yield "np.float32", np.float32(ok_value), Policy.ACCEPT
        yield "int", int(ok_value) if opt.ok(int(ok_value)) else ok_value, Policy.ACCEPT
        yield "None", None, Policy.RAISE
        yield "True", True, Policy.RAISE
        for label, v in common_wrong:
            yield label, v, Policy.RAISE
    elif opt.kind == "int":
        for v in (-100, -1, 0, 1, 7):
            yield repr(v), v, _domain_policy(opt.ok(v))
        yield "np.int64", np.int64(3), Policy.MAY  # integer options are Python ints; NumPy ints may be refused
        for label, v in (("1.5", 1.5), ("1.0", 1.0), ("nan", math.nan), ("None", None), ("True", True), *common_wrong):
            yield label, v, Policy.RAISE
    elif opt.kind == "axis":
        for v in (0, 1, -1, *(() if opt.choices else (None, (0, 1)))):
            yield repr(v), v, Policy.ACCEPT
        yield "np.int64", np.int64(-1), Policy.MAY
        for v in (2, -3, 99):
            yield repr(v), v, Policy.RAISE
        for label, v in (("(0, 0)", (0, 0)), ("(0, -2)", (0, -2)), ("1.0", 1.0), ("'0'", "0"), ("True", True), ("[0]", [0]),
                         *((("None", None), ("(0, 1)", (0, 1))) if opt.choices else ())):  # softmax: an int
            yield label, v, Policy.RAISE
    elif opt.kind in ("choice", "policy"):
        for v in opt.choices:
            yield repr(v), v, Policy.ACCEPT
        if opt.kind == "policy":  # None: the global option
            yield "None", None, Policy.ACCEPT
        for v in ("nope", "", *((None,) if opt.kind == "choice" else ()), 1, True, opt.choices[0].upper()):
            yield repr(v), v, Policy.RAISE


# -- the tests ---------------------------------------------------------------------------------------


def test_every_public_name_has_a_fuzz_spec():
    missing = sorted(set(pl.__all__) - set(SPECS))
    assert not missing, f"public names without a fuzz spec in tests/test_fuzz.py SPECS: {missing}"
    stale = sorted(set(SPECS) - set(pl.__all__))
    assert not stale, f"fuzz specs for names that are not public: {stale}"
    for name, spec in SPECS.items():
        if isinstance(spec, Spec):
            params = inspect.signature(getattr(pl, name)).parameters
            declared = {a.name for a in (*spec.args, *spec.kw_arrays)} | set(spec.options)
            undeclared = sorted(p for p in params if p not in declared and p != "reduction")
            assert not undeclared, f"{name}: parameters with no fuzz coverage: {undeclared}"


@pytest.fixture(scope="module")
def _report(request):
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    total = sum(COUNT.values())
    line = f"fuzz: {total} calls tried ({', '.join(f'{k} {v}' for k, v in sorted(COUNT.items()))})"
    notes = [f"  {k}: {v}" for k, v in sorted(NOTES.items())]
    if notes:
        line += f"\nfuzz: {len(notes)} non-finite or extreme inputs made NumPy warn (accepted, reported):\n" + "\n".join(notes)
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # past the output capture of the teardown
            reporter.write_line("\n" + line)
    else:  # pragma: no cover
        print(line)


@pytest.mark.parametrize("name", sorted(n for n, s in SPECS.items() if isinstance(s, Spec)))
def test_fuzz(backend, name, _report):
    if name not in pl.__all__:
        pytest.skip(f"{name} is not public")
    fn, spec = getattr(pl, name), SPECS[name]
    problems, n = [], 0
    for seed in range(SEEDS.get(backend.name, 1)):
        rng = np.random.default_rng([7, seed, *name.encode()])
        for call in calls(name, spec, backend, rng):
            n += 1
            problem = judge(fn, spec, backend, call)
            if problem:
                problems.append(f"[{call.label}] ({call.policy.value}) {problem}")
    COUNT[backend.name] = COUNT.get(backend.name, 0) + n
    unique = list(dict.fromkeys(problems))
    assert not unique, f"{name} on {backend.name}: {len(unique)} problems in {n} calls:\n" + "\n".join(unique[:40])
