"""The pytest plugin, in a throw-away third-party project (run in a subprocess)."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.backend_independent  # NumPy only: runs once, where numpy is selected

ROOT = Path(__file__).resolve().parent.parent

MYLOSSES = textwrap.dedent('''
    """A third party's own losses: stable sigmoid, textbook softmax (it overflows)."""
    import numpy as np

    def sigmoid(x):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)

    def softmax(x, *, axis=-1):
        with np.errstate(all="ignore"):
            e = np.exp(x)
            return e / e.sum(axis=axis, keepdims=True)

    FUNCTIONS = {"sigmoid": sigmoid, "softmax": softmax}
''')


def _entry_point_registered() -> bool:
    eps = importlib.metadata.entry_points(group="pytest11")
    return any(ep.value == "conformance.plugin" for ep in eps)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "mylosses.py").write_text(MYLOSSES, encoding="utf-8")
    (tmp_path / "test_own.py").write_text("def test_own():\n    assert True\n", encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nxfail_strict = true\n", encoding="utf-8")
    return tmp_path


def _pytest(project: Path, *args: str) -> subprocess.CompletedProcess:
    plugin = [] if _entry_point_registered() else ["-p", "conformance.plugin"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(project), str(ROOT)]))
    env.pop("PYTEST_ADDOPTS", None)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", *plugin, *args]
    return subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=600)


def test_inert_without_the_option(project):
    proc = _pytest(project, "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout and "conformance" not in proc.stdout.lower()


def test_cases_become_tests(project):
    proc = _pytest(project, "-q", "--conformance-adapter", "mylosses:FUNCTIONS", "--conformance-function", "sigmoid",
                   "--conformance-dtype", "float64,float32")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASSED polyloss-conformance::test_case[sigmoid/doc000_sigmoid_table/float64]" in proc.stdout
    assert "SKIPPED" in proc.stdout and "gradient case" in proc.stdout  # numpy has no autograd


def test_failures_are_reported_with_the_measured_error(project):
    proc = _pytest(project, "-q", "--conformance-adapter", "mylosses:FUNCTIONS", "--conformance-function", "softmax",
                   "--conformance-dtype", "float32", "-k", "overflow")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED polyloss-conformance::test_case[softmax/shift_1e8/float32]" in proc.stdout
    assert "non-finite result" in proc.stdout and "tier reference" in proc.stdout


def test_xfail_file(project):
    (project / "xfail.txt").write_text(textwrap.dedent("""
        # our softmax overflows; we know
        softmax/shift_*/float32      # naive exp
        softmax/extreme_*/float32
        softmax/no_such_case/float32  # stale entry
    """), encoding="utf-8")
    args = ["--conformance-adapter", "mylosses:FUNCTIONS", "--conformance-function", "softmax",
            "--conformance-dtype", "float32", "--conformance-xfail", "xfail.txt", "-k", "overflow"]
    proc = _pytest(project, "-q", *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "xfailed" in proc.stdout and "failed" not in proc.stdout.replace("xfailed", "")
    assert "ConformanceXfailWarning" in proc.stdout and "no_such_case" in proc.stdout
    strict = _pytest(project, "-q", "-W", "error::conformance.plugin.ConformanceXfailWarning", *args)
    assert strict.returncode != 0
    assert "no_such_case" in strict.stdout + strict.stderr


def test_strict_tier_and_builtin_adapter(project):
    proc = _pytest(project, "--conformance-adapter", "exact", "--conformance-tier", "strict",
                   "--conformance-tag", "documented-example", "--conformance-function", "cross_entropy")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the header names the plugin, the distribution and the case set: not just "conformance"
    from conformance import DISTRIBUTION, __version__, load_cases

    header = f"polyloss-conformance ({DISTRIBUTION} {__version__}, case set {load_cases().version}): adapter exact"
    assert header in proc.stdout


def test_exclude_a_convention_by_tag(project):
    """A third party's entropy without the 0 log 0 = 0 convention fails exactly the cases
    tagged zero-log-zero; --conformance-exclude-tag leaves it a clean run."""
    (project / "myentropy.py").write_text(textwrap.dedent('''
        import numpy as np

        def entropy(p, *, axis=-1):
            with np.errstate(all="ignore"):
                return -(p * np.log(p)).sum(axis=axis)  # 0 log 0 is nan here

        FUNCTIONS = {"entropy": entropy}
    '''), encoding="utf-8")
    args = ["--conformance-adapter", "myentropy:FUNCTIONS", "--conformance-function", "entropy",
            "--conformance-dtype", "float64,float32"]
    proc = _pytest(project, "-q", *args)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED polyloss-conformance::test_case[entropy/rows/float64]" in proc.stdout
    clean = _pytest(project, "-q", *args, "--conformance-exclude-tag", "zero-log-zero")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "entropy/rows/" not in clean.stdout and "passed" in clean.stdout
