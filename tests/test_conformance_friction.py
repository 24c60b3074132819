"""Writing an adapter for another library: declining cases, options, the case itself (issue 14)."""

from __future__ import annotations

import numpy as np
import pytest

import conformance
from conformance import Decline, MappingAdapter, Unsupported, load_cases, option_defaults, run, run_cases

SIGMOID = {"functions": ["sigmoid"], "dtypes": ["float64"], "tags": ["documented-example"]}


def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    z = x - m
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


# --------------------------------------------------------------------------- 1. declining a case


def test_a_callable_declines_with_unsupported():
    def sigmoid(x):
        raise Unsupported("this library has no float64 sigmoid")

    report = run({"sigmoid": sigmoid}, **SIGMOID)
    assert report.results and {r.status for r in report.results} == {"skip"}
    assert {r.reason for r in report.results} == {"this library has no float64 sigmoid"}
    assert report.failed == 0


def test_a_callable_may_return_a_decline():
    report = run({"sigmoid": lambda x: Decline("not today")}, **SIGMOID)
    assert {(r.status, r.reason) for r in report.results} == {("skip", "not today")}


def test_an_adapter_object_may_raise_unsupported():
    class Picky:
        name = "picky"

        def evaluate(self, case):
            raise Unsupported(f"picky about {case.id}")

    cases = load_cases().select(**SIGMOID)
    report = run_cases(Picky(), cases)
    assert [r.reason for r in report.results] == [f"picky about {c.id}" for c in cases]
    assert str(Unsupported("why")) == "why" and Unsupported("why").reason == "why"


# --------------------------------------------------------------------------- 2. only non-default options


def _cross_entropy_mean_only(input, target, reduction="mean"):
    """A hand-written cross entropy: index targets, no weights, no smoothing."""
    logp = _log_softmax(input, 1 if input.ndim > 1 else 0)
    picked = -np.take_along_axis(logp.reshape(logp.shape[0], -1) if input.ndim > 1 else logp[None],
                                 target.reshape(-1, 1) if input.ndim > 1 else target.reshape(1, 1), axis=1)
    picked = picked.reshape(-1).astype(input.dtype)
    return {"mean": picked.mean(dtype=input.dtype), "sum": picked.sum(dtype=input.dtype), "none": picked}[reduction]


def test_callables_receive_only_options_that_differ_from_the_defaults():
    seen = []

    def sigmoid(x, **kwargs):
        seen.append(kwargs)
        return _np_sigmoid(x)

    assert run({"sigmoid": sigmoid}, **SIGMOID).ok
    assert seen and all(kw == {} for kw in seen)

    got = []

    def logsumexp(x, **kwargs):
        got.append(kwargs)
        raise Unsupported("only recording")

    cases = load_cases().select(functions=["logsumexp"], dtypes=["float64"], exclude_tags=["gradient"])
    run_cases(MappingAdapter({"logsumexp": logsumexp}), cases)
    defaults = option_defaults("logsumexp")
    assert defaults == {"axis": None, "keepdims": False}
    for case, kwargs in zip(cases, got, strict=True):
        assert kwargs == {k: v for k, v in case.kwargs.items() if v != defaults[k]}
    assert any(kwargs for kwargs in got) and any(not kwargs for kwargs in got)


def test_a_case_needing_an_option_the_signature_lacks_is_declined():
    report = run({"cross_entropy": _cross_entropy_mean_only}, functions=["cross_entropy"], dtypes=["float64"],
                 exclude_tags=["probability-target", "soft-target", "kdim", "unbatched", "gradient", "ignored",
                               "empty", "special", "cancellation", "underflow"])
    declined = [r for r in report.results if r.status == "skip"]
    assert declined and all("does not accept" in r.reason for r in declined)
    assert any("weight=<float64 array" in r.reason for r in declined)
    assert any("label_smoothing=" in r.reason for r in declined)
    assert report.passed >= 5, report.table()
    assert report.failed == 0, report.table()


def test_polyloss_defaults_are_the_definitions_defaults():
    """What "default" means to the runner is polyloss's signature (extra switches such as
    ``detect_mistakes`` are polyloss's own and no case sets them)."""
    polyloss = pytest.importorskip("polyloss")
    import inspect

    for function in load_cases().functions():
        params = inspect.signature(getattr(polyloss, function)).parameters
        keywords = {n: p.default for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
        defaults = option_defaults(function)
        assert defaults == {k: v for k, v in keywords.items() if k in defaults}, function


# --------------------------------------------------------------------------- 3. the case, on request


def test_a_callable_may_ask_for_the_case():
    seen = []

    def sigmoid(x, *, case=None):
        seen.append(case.id)
        if any(abs(v) > 10 for v in case.args[0].values()):
            raise Unsupported("large inputs")
        return _np_sigmoid(x)

    cases = load_cases().select(functions=["sigmoid"], dtypes=["float64"], exclude_tags=["gradient"])
    report = run_cases(MappingAdapter({"sigmoid": sigmoid}), cases)
    assert seen == [c.id for c in cases]
    assert report.skipped and all(r.reason == "large inputs" for r in report.results if r.status == "skip")
    assert report.passed


def test_a_decline_by_value_works_under_jax_tracing():
    pytest.importorskip("jax")
    import jax.numpy as jnp

    def log_sigmoid(x, *, case):
        if any(v < -50 for v in case.args[0].values()):  # decided from the case, not from a traced array
            raise Unsupported("very negative inputs")
        return -jnp.logaddexp(0.0, -x)

    report = run(MappingAdapter({"log_sigmoid": log_sigmoid}, "jax"), functions=["log_sigmoid"],
                 dtypes=["float32"])
    assert any(r.kind == "gradient" and r.status in ("pass", "skip") for r in report.results)
    assert report.skipped and report.failed == 0, report.table()


def test_unsupported_is_exported():
    assert conformance.Unsupported is Unsupported and "Unsupported" in conformance.__all__


# --------------------------------------------------------------------------- one backend table (issue 12)


def test_one_backend_table_for_nox_tests_and_conformance():
    import ast
    import pathlib
    import tomllib

    from conformance.adapters import BACKENDS, TABLE

    root = pathlib.Path(__file__).resolve().parent.parent
    source = root / "conformance" / "adapters" / "_backend_table.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]  # noxfile loads it by path
    assert list(BACKENDS)[: len(TABLE)] == list(TABLE)
    extras = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    for name, row in TABLE.items():
        assert row["extra"] in extras, name
        assert row["device"] in ("cpu", "gpu"), name
        assert BACKENDS[name].module == row["module"], name
    noxfile = (root / "noxfile.py").read_text(encoding="utf-8")
    assert "_backend_table.py" in noxfile and '"array_api_strict"' not in noxfile
    import conftest

    assert conftest.ALL_BACKENDS == tuple(TABLE)
