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


# --------------------------------------------------------------------------- helpers for the CLI and plugin tests

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent

MYLOSSES = '''\
"""A third party's losses: a stable sigmoid, a log_softmax that returns float64, a typo."""
import numpy as np

__version__ = "0.3.1"


def sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


def log_softmax(x, *, axis=-1):
    x = x.astype(np.float64)
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def never(x):
    raise ValueError("unreachable")


FUNCTIONS = {"sigmoid": sigmoid}
WIDE = {"log_softmax": log_softmax}
TYPO = {"sigmoid": sigmoid, "crossentropy": never}
'''


@pytest.fixture
def project(tmp_path):
    (tmp_path / "mylosses.py").write_text(MYLOSSES, encoding="utf-8")
    (tmp_path / "test_own.py").write_text("def test_own():\n    assert True\n", encoding="utf-8")
    bin_dir = tmp_path / "bin"  # a console script's directory: not the current one
    bin_dir.mkdir()
    (bin_dir / "cli.py").write_text("import sys\nfrom conformance.__main__ import main\nsys.exit(main())\n",
                                    encoding="utf-8")
    (bin_dir / "pytest_script.py").write_text("import sys\nimport pytest\nsys.exit(pytest.main())\n",
                                              encoding="utf-8")
    return tmp_path


def _plugin_args() -> list[str]:
    import importlib.metadata

    registered = any(ep.value == "conformance.plugin" for ep in importlib.metadata.entry_points(group="pytest11"))
    return [] if registered else ["-p", "conformance.plugin"]


def _script(project, script: str, *args: str, prelude: str = ""):
    """Run bin/<script> like a console script: from ``project``, which is not on sys.path."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PYTEST_ADDOPTS", None)
    path = project / "bin" / script
    cmd = [sys.executable, "-c", f"{prelude}\nimport runpy, sys\nsys.argv = sys.argv[1:]\n"
           f"sys.path[0] = {str(path.parent)!r}\nrunpy.run_path(sys.argv[0], run_name='__main__')", str(path), *args]
    return subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=600)


def _pytest(project, *args: str, prelude: str = ""):
    return _script(project, "pytest_script.py", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *_plugin_args(),
                   *args, prelude=prelude)


# --------------------------------------------------------------------------- 4. only the functions provided


def test_only_provided_functions_are_run_listed_and_counted(capsys):
    from conformance.__main__ import main

    report = run({"sigmoid": _np_sigmoid}, dtypes=["float64"], exclude_tags=["gradient"])
    assert {r.function for r in report.results} == {"sigmoid"}
    assert report.skipped == 0 and "softmax" in report.lacking and "sigmoid" not in report.lacking
    table = report.table()
    rows = [line.split()[0] for line in table.splitlines()[3:] if line and not line.startswith(("-", "TOTAL"))]
    assert "cross_entropy" not in rows
    assert report.lacking_line() in table and table.count("not provided by") == 1

    assert main(["--adapter", "conformance.adapters._naive:functions", "--dtype", "float64"]) == 1
    out = capsys.readouterr().out
    assert "not provided by" in out and "tversky_loss" in out.split("not provided by")[1].splitlines()[0]
    assert "has no tversky_loss" not in out


@pytest.mark.backend_independent
def test_plugin_collects_only_provided_functions(project):
    proc = _pytest(project, "--conformance-adapter", "mylosses:FUNCTIONS", "--conformance-dtype", "float64",
                   "--conformance-exclude-tag", "gradient", "-rA")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SKIPPED" not in proc.stdout and "test_case[sigmoid/" in proc.stdout
    assert "test_case[softmax/" not in proc.stdout
    head = _pytest(project, "--conformance-adapter", "mylosses:FUNCTIONS", "--collect-only", "-v")
    assert "not provided by" in head.stdout and "cross_entropy" in head.stdout
    assert "nothing was validated" not in head.stdout


# --------------------------------------------------------------------------- 5. typos and empty runs


@pytest.mark.backend_independent
def test_unknown_function_names_are_a_usage_error(project, capsys):
    with pytest.raises(ValueError, match=r"'crossentropy' \(did you mean 'cross_entropy'"):
        run({"crossentropy": _np_sigmoid})
    proc = _script(project, "cli.py", "--adapter", "mylosses:TYPO")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "did you mean 'cross_entropy'" in proc.stderr
    proc = _pytest(project, "--conformance-adapter", "mylosses:TYPO")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "did you mean 'cross_entropy'" in proc.stdout + proc.stderr
    assert "INTERNALERROR" not in proc.stdout + proc.stderr


def test_a_cli_run_that_validates_nothing_fails(capsys):
    from conformance.__main__ import main

    def declined(x):
        raise Unsupported("never")

    import conformance.adapters as adapters

    adapters._TEST_DECLINED = {"sigmoid": declined}  # reachable as a module:attr spec
    try:
        code = main(["--adapter", "conformance.adapters:_TEST_DECLINED", "--dtype", "float64"])
    finally:
        del adapters._TEST_DECLINED
    assert code == 1
    assert "nothing was validated" in capsys.readouterr().err
    assert main(["--adapter", "conformance.adapters._naive:functions", "--function", "tversky_loss"]) == 1
    assert "nothing was validated" in capsys.readouterr().err
    assert main(["--adapter", "exact", "--tag", "no-such-tag"]) == 2
    assert "nothing was validated" in capsys.readouterr().err


@pytest.mark.backend_independent
def test_a_plugin_session_that_validates_nothing_fails(project):
    proc = _pytest(project, "--conformance-adapter", "mylosses:FUNCTIONS", "--conformance-function", "sigmoid",
                   "--conformance-tag", "gradient")  # numpy has no autograd: every case is skipped
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "nothing was validated" in proc.stdout
    proc = _pytest(project, "--conformance-adapter", "mylosses:FUNCTIONS", "--conformance-function", "sigmoid",
                   "-k", "test_own")  # every conformance case deselected
    assert proc.returncode == 1 and "nothing was validated" in proc.stdout, proc.stdout + proc.stderr


# --------------------------------------------------------------------------- 6. importing from the current directory


@pytest.mark.backend_independent
def test_console_script_and_pytest_import_from_the_current_directory(project):
    proc = _script(project, "cli.py", "--adapter", "mylosses:FUNCTIONS", "--dtype", "float64")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "functions[numpy]" in proc.stdout
    proc = _pytest(project, "--conformance-adapter", "mylosses:FUNCTIONS", "--conformance-dtype", "float64")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "passed" in proc.stdout


@pytest.mark.backend_independent
@pytest.mark.parametrize("spec", ["no_such_module_xyz:THING", "mylosses:NO_SUCH_ATTR", "nonsense"])
def test_a_bad_spec_is_a_clean_usage_error(project, spec):
    proc = _pytest(project, "--conformance-adapter", spec)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 2, text
    assert "INTERNALERROR" not in text and "Traceback" not in text
    assert spec.split(":")[0] in text
    proc = _script(project, "cli.py", "--adapter", spec)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr


# --------------------------------------------------------------------------- 7. failure lines and explain


def test_failure_lines_spell_nan_and_give_relative_error_and_inputs(capsys):
    from conformance.__main__ import main

    def halved(x):
        return _np_sigmoid(x) / 2

    def nan(x):
        return np.full(x.shape, np.nan, dtype=x.dtype)

    report = run({"sigmoid": halved}, functions=["sigmoid"], dtypes=["float64"], tags=["documented-example"])
    bad = report.failures()[0]
    assert "relative 0.5" in bad.reason and "got " in bad.reason and "expected " in bad.reason
    table = report.table()
    assert "inputs: x=float64[" in table
    report = run({"sigmoid": nan}, functions=["sigmoid"], dtypes=["float32"], tags=["documented-example"])
    assert all("got nan" in r.reason for r in report.failures()) and report.failures()
    assert main(["--adapter", "naive", "--function", "cross_entropy", "--tag", "weights", "--dtype", "float16",
                 "--exclude-tag", "probability-target", "--failures", "100"]) in (0, 1)
    out = capsys.readouterr().out
    if "FAIL " in out:
        assert "weight=float16[" in out


def test_explain_prints_a_case_in_full(capsys):
    from conformance.__main__ import main

    assert main(["explain", "cross_entropy/weight_mean/float32"]) == 0
    out = capsys.readouterr().out
    for part in ("inputs", "0x1.0000000000000p-1", "* weight", "conventions:", "weight_normalisation",
                 "provenance:", "expected:", "3.189693544606850876050244679993293210216e-1", "oracle (",
                 "def cross_entropy(", "l_i = (1 - eps)"):
        assert part in out, part
    assert main(["explain", "cross_entropy/weight_mea/float32"]) == 2
    assert "cross_entropy/weight_mean/float32" in capsys.readouterr().err


# --------------------------------------------------------------------------- 8. dtype contract


@pytest.mark.backend_independent
def test_dtype_contract_warn_still_judges_accuracy(project, capsys, monkeypatch):
    from conformance.__main__ import main

    def wide(x):
        return _np_sigmoid(x.astype(np.float64))  # right values, float64 for a float32 input

    sel = {"functions": ["sigmoid"], "dtypes": ["float32"], "tags": ["documented-example"]}
    strict = run({"sigmoid": wide}, **sel)
    assert strict.failed and all("dtype float64, expected float32" in r.reason for r in strict.failures())
    warn = run({"sigmoid": wide}, dtype_contract="warn", **sel)
    assert warn.ok and warn.passed == strict.failed
    assert all(any("dtype float64" in w for w in r.warnings) for r in warn.results)
    monkeypatch.chdir(project)
    out = project / "r.json"
    assert main(["--adapter", "mylosses:WIDE", "--dtype", "float32", "--exclude-tag", "gradient",
                 "--json", str(out)]) == 1
    assert main(["--adapter", "mylosses:WIDE", "--dtype", "float32", "--exclude-tag", "gradient",
                 "--dtype-contract", "warn", "--json", str(out)]) in (0, 1)
    import json

    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["dtype_contract"] == "warn"
    cases = doc["runs"][0]["cases"].values()
    assert not any("dtype float64" in c["reason"] for c in cases)
    assert any(c["status"] == "pass" for c in cases)


# --------------------------------------------------------------------------- 9. the adapter's library in the report


@pytest.mark.backend_independent
def test_json_environment_names_the_adapters_library(project, capsys, monkeypatch):
    import json

    from conformance.__main__ import main

    monkeypatch.chdir(project)
    out = project / "r.json"
    assert main(["--adapter", "mylosses:FUNCTIONS", "--dtype", "float64", "--json", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["environment"]["mylosses"] == "0.3.1"
    assert doc["runs"][0]["metadata"]["library"] == "mylosses"


# --------------------------------------------------------------------------- 10. another backend


class ToyArray:
    """A toy array library: a wrapper around a NumPy array that flushes subnormal results."""

    def __init__(self, a):
        self.a = np.asarray(a)
        tiny = np.finfo(self.a.dtype).tiny if self.a.dtype.kind == "f" else 0
        if tiny:
            self.a = np.where(np.abs(self.a) < tiny, np.zeros_like(self.a), self.a)

    dtype = property(lambda self: self.a.dtype)
    shape = property(lambda self: self.a.shape)

    def __array__(self, dtype=None, copy=None):
        return self.a if dtype is None else self.a.astype(dtype)


def test_register_a_backend_with_declared_flushing(capsys):
    from conformance.adapters import BACKENDS, Backend, get_backend, register_backend

    class ToyBackend(Backend):
        name = "toy"
        module = "numpy"  # what must import for the library to be available
        dtypes = ("float64", "float32")
        flushes_subnormals_dtypes = ("float32",)

        def from_numpy(self, arr, dtype):
            return ToyArray(arr.astype(dtype))

        def is_native(self, x):
            return isinstance(x, ToyArray)

    def sigmoid(x):
        return ToyArray(_np_sigmoid(x.a))

    register_backend(ToyBackend)
    try:
        assert isinstance(get_backend("toy"), ToyBackend)
        report = run(MappingAdapter({"sigmoid": sigmoid}, "toy"), functions=["sigmoid"], exclude_tags=["gradient"])
        assert report.passed and report.failed == 0, report.table()
        declined = {r.reason for r in report.results if r.status == "skip"}
        assert "toy has no float16" in declined
        sub = [r for r in report.results if "subnormal" in r.tags and r.dtype == "float32"]
        assert sub and all("flushes float32 subnormals" in r.reason for r in sub)
        wrong = run(MappingAdapter({"sigmoid": lambda x: _np_sigmoid(x.a)}, "toy"), functions=["sigmoid"],
                    dtypes=["float64"], exclude_tags=["gradient"])
        assert wrong.failed and all("not a toy array" in r.reason for r in wrong.failures())
        with pytest.raises(ValueError, match="built-in"):
            register_backend(type("NumpyAgain", (ToyBackend,), {"name": "numpy"}))
        with pytest.raises(TypeError):
            register_backend(object)
    finally:
        BACKENDS.pop("toy", None)


def test_jax_x64_only_for_the_cases_that_need_it():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    seen = {}

    def sigmoid(x, *, case):
        seen[case.dtype] = (jax.config.jax_enable_x64, str(x.dtype))
        return jax.nn.sigmoid(x)

    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)
    try:
        report = run(MappingAdapter({"sigmoid": sigmoid}, "jax"), functions=["sigmoid"],
                     dtypes=["float64", "float32"], tags=["documented-example"])
        assert report.ok and report.passed, report.table()
        assert seen == {"float64": (True, "float64"), "float32": (False, "float32")}
        assert jax.config.jax_enable_x64 is False  # restored
        assert jnp.asarray(1.0).dtype == jnp.float32
    finally:
        jax.config.update("jax_enable_x64", before)


# --------------------------------------------------------------------------- 11. nothing heavy until asked


@pytest.mark.backend_independent
def test_plugin_loads_and_pytest_runs_without_numpy(project):
    block = "import sys\nsys.modules['numpy'] = None\nsys.modules['mpmath'] = None\n"
    proc = _pytest(project, "test_own.py", prelude=block)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout
    check = _script(project, "pytest_script.py", "--version", prelude=block)
    assert check.returncode == 0, check.stdout + check.stderr
    import subprocess
    import sys

    probe = subprocess.run([sys.executable, "-c", "import sys, conformance, conformance.plugin; "
                            "print(sorted(m for m in ('numpy', 'mpmath', 'torch', 'jax') if m in sys.modules))"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert probe.stdout.strip() == "[]", probe.stdout + probe.stderr


@pytest.mark.backend_independent
@pytest.mark.parametrize("missing", ["numpy", "mpmath"])
def test_cli_without_numpy_or_mpmath_names_the_extra(project, missing):
    proc = _script(project, "cli.py", "--adapter", "exact", prelude=f"import sys\nsys.modules[{missing!r}] = None\n")
    assert proc.returncode == 2
    assert f"needs {missing}" in proc.stderr and "polyloss-xp[conformance]" in proc.stderr
    assert "Traceback" not in proc.stderr
