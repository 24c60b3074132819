"""The built-in peer adapters (conformance/adapters/_<name>.py), the peer scoreboard
(docs/gen/peers.py, from the reports in docs/_peers/) and the worked adapter of
docs/conformance.md.

A peer adapter is run on a few cases where its library is installed (skipped, with the
reason, elsewhere: the test sessions install polyloss's backends, not the peers; ``nox -s
peers`` installs them), and every one is checked to decline cleanly when its library does
not import.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import conformance
from conformance.adapters import builtin_adapter_spec

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

#: adapter spec -> (modules it needs, cases it must pass: the library is right on them)
PEERS = {
    "scipy": (("scipy",), ("sigmoid/moderate/float64", "log_softmax/kdim_axis1/float32", "logsumexp/axis0/float64",
                           "entropy/rows/float64", "kl_divergence/label_mixes/float64")),
    "jax": (("jax",), ("sigmoid/moderate/float32", "log_softmax/doc000_ce_logits/float64", "softmax/doc000_softmax_table/float32",
                       "entropy/rows/float64")),
    "optax": (("jax", "optax"), ("cross_entropy/doc000_four_classes/float64", "mse_loss/mean/float32",
                                 "huber_loss/delta_3/float64", "binary_cross_entropy_with_logits/mean/float32",
                                 "kl_div/batchmean/float64", "dice_loss/class_indices/float64")),
    "sklearn": (("sklearn",), ("mse_loss/mean/float64", "l1_loss/mean/float64", "class_weights/five_classes/float64",
                               "binary_cross_entropy/doc004_predictions/float64")),
    "torchvision": (("torch", "torchvision"), ("sigmoid_focal_loss/mean/float32",
                                               "generalized_box_iou_loss/mean/float64")),
    "keras:torch": (("torch", "keras"), ("sigmoid/moderate/float32", "cross_entropy/doc000_four_classes/float32",
                                         "mse_loss/mean/float32", "huber_loss/delta_3/float32")),
}


@pytest.fixture(scope="module")
def case_set():
    return conformance.load_cases()


def _cases(case_set, ids):
    by_id = {c.id: c for c in case_set.cases}
    missing = [i for i in ids if i not in by_id]
    assert not missing, f"case ids not in the case set: {missing}"
    return [by_id[i] for i in ids]


@pytest.mark.parametrize("spec", list(PEERS))
def test_peer_adapter_passes_cases_its_library_gets_right(spec: str, case_set) -> None:
    _, ids = PEERS[spec]
    if spec.startswith("keras") and "keras" in sys.modules:
        pytest.skip("Keras is already imported in this process on some backend")
    adapter = conformance.resolve(spec)  # keras:torch sets KERAS_BACKEND before Keras is imported
    why = adapter.backend.unavailable_cached() or adapter.unavailable()
    if why:
        pytest.skip(f"{why}: `nox -s peers` installs the peer libraries")
    report = conformance.run_cases(adapter, _cases(case_set, ids), tier="reference", case_set=case_set)
    assert [(r.id, r.status, r.reason) for r in report.results if r.status != "pass"] == []
    assert report.metadata["libraries"], report.metadata


@pytest.mark.parametrize("spec", list(PEERS))
def test_peer_adapter_declines_every_case_when_its_library_is_absent(spec, case_set, monkeypatch) -> None:
    modules, ids = PEERS[spec]
    absent = modules[-1]  # the peer library itself (torch stays: the backend needs it)
    for needed in modules[:-1]:
        pytest.importorskip(needed, reason=f"the {spec} adapter's backend needs {needed}, absent in this session")
    # sys.modules[name] = None makes `import name` raise ImportError
    for name in [m for m in sys.modules if m == absent or m.startswith(absent + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, absent, None)
    adapter = conformance.resolve(spec)  # building the adapter imports nothing of the library
    report = conformance.run_cases(adapter, _cases(case_set, ids), tier="reference", case_set=case_set)
    assert {r.status for r in report.results} == {"skip"}
    assert all(r.reason.startswith(f"{absent} does not import (ModuleNotFoundError") for r in report.results), \
        [r.reason for r in report.results]
    assert report.lacking == []  # the functions are provided, their cases declined with the reason
    assert report.metadata["unavailable"].startswith(f"{absent} does not import")


def test_builtin_adapter_names() -> None:
    for spec in ("torch", "torch:cuda", "optax", "jax", "scipy", "sklearn", "torchvision", "keras", "keras:jax",
                 "keras:torch", "naive", "exact"):
        assert builtin_adapter_spec(spec), spec
    for spec in ("mymod:ADAPTER", "optax:losses", "torch.nn:functional", "scipy.special:FUNCS", "polyloss:numpy"):
        assert not builtin_adapter_spec(spec), spec


def test_keras_on_a_backend_the_runner_lacks_is_a_usage_error() -> None:
    with pytest.raises(ValueError, match=r"keras on 'tensorflow'.*keras:jax and keras:torch"):
        conformance.resolve("keras:tensorflow")


def test_sklearn_declines_what_its_metrics_cannot_express(case_set) -> None:
    pytest.importorskip("sklearn", reason="scikit-learn is not installed: `nox -s peers` installs it")
    ids = ["mse_loss/none/float64", "binary_cross_entropy/mean_soft_targets/float64"]
    report = conformance.run_cases(conformance.resolve("sklearn"), _cases(case_set, ids), tier="reference",
                                   case_set=case_set)
    assert [r.reason for r in report.results] == [
        "reduction='none': mean_squared_error returns only the mean",
        "soft targets: log_loss takes labels 0 or 1",
    ]


# -- the scoreboard page ---------------------------------------------------------------------


def _docs_gen(name: str):
    """A generator module of docs/gen/ (``peers``, ``scoreboard``), imported from there."""
    import importlib

    sys.path.insert(0, str(DOCS / "gen"))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(DOCS / "gen"))


@pytest.fixture(scope="module")
def peers_gen():
    yield from _docs_gen("peers")


def test_every_defect_line_names_a_failure_of_the_reports(peers_gen) -> None:
    runs = {run.file: run for run in peers_gen.load_runs()}
    assert runs, "no report under docs/_peers/: run `nox -s peers`"
    for d in peers_gen.DEFECTS:
        assert d.adapter in runs, d
        fails = peers_gen.failures(runs[d.adapter])
        assert d.case in fails, f"{d.case} is not a failure of {d.adapter}"
        for pattern in d.covers:
            assert any(peers_gen.fnmatch.fnmatchcase(cid, pattern) for cid in fails), (d.case, pattern)
        assert d.kind in ("defect", "convention", "case"), d


def test_every_failure_of_the_reports_is_explained(peers_gen) -> None:
    for run in peers_gen.load_runs():
        unexplained = [cid for cid in peers_gen.failures(run)
                       if not any(d.adapter == run.file and d.matches(cid) for d in peers_gen.DEFECTS)]
        assert unexplained == [], f"{run.file}: failures without a line in docs/gen/peers.py DEFECTS"


def test_scoreboard_counts_come_from_the_reports(peers_gen) -> None:
    runs = peers_gen.load_runs()
    text = peers_gen.render(runs)
    for run in runs:
        statuses = [c["status"] for c in run.cases.values()]
        ran = sum(s != "skip" for s in statuses)
        passed = statuses.count("pass")
        row = f"| `{run.file}` | "
        line = next(line for line in text.splitlines() if line.startswith(row))
        cells = [c.strip() for c in line.split("|")[1:-1]]
        assert cells[2:5] == [str(ran), str(passed), str(ran - passed)], line
        assert cells[-1] == str(statuses.count("skip")), line


def test_strict_tier_is_the_strict_budget_on_the_measured_error(peers_gen) -> None:
    run = peers_gen.Run("x", "x", {}, {}, {}, [])
    ok = {"status": "pass", "dtype": "float32", "error_ulps": 24.0}
    assert run.strict_status(ok) == "pass"
    assert run.strict_status(dict(ok, error_ulps=25.0)) == "fail"
    assert run.strict_status(dict(ok, status="fail", error_ulps=1e9)) == "fail"
    assert run.strict_status(dict(ok, status="skip", error_ulps=None)) == "skip"


# -- the worked adapter of docs/conformance.md, from the command line and from pytest ----------


def _worked_adapter() -> str:
    text = (DOCS / "conformance.md").read_text(encoding="utf-8")
    section = text[text.index("## Write an adapter in 5 minutes"):]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL)[1]


@pytest.fixture
def mylosses(tmp_path: Path) -> Path:
    code = _worked_adapter()
    # the module defines ADAPTER; drop the lines that run it, as a module would
    module = code[:code.index("report = conformance.run(")]
    (tmp_path / "mylosses.py").write_text(module, encoding="utf-8")
    return tmp_path


def _env(directory: Path) -> dict:
    import os

    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(directory), str(ROOT)]))


@pytest.mark.backend_independent
def test_worked_adapter_from_the_command_line(mylosses: Path) -> None:
    pytest.importorskip("numpy")
    mse = [sys.executable, "-m", "conformance", "--adapter", "mylosses:ADAPTER", "--tier", "reference",
           "--function", "mse_loss", "--dtype", "float64"]
    out = subprocess.run(mse, cwd=mylosses, env=_env(mylosses), capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 1, out.stdout + out.stderr  # its plain mean overflows where the true mean is 1.44e308
    assert re.search(r"tinyloss: \d+ passed, 1 failed", out.stdout), out.stdout
    assert "mse_loss/mean_1_44e308_no_overflow/float64" in out.stdout
    out = subprocess.run([*mse, "--exclude-tag", "reduction-overflow"], cwd=mylosses, env=_env(mylosses),
                         capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.search(r"tinyloss: \d+ passed, 0 failed", out.stdout), out.stdout
    out = subprocess.run([sys.executable, "-m", "conformance", "--adapter", "mylosses:ADAPTER", "--tier", "reference",
                          "--function", "cross_entropy", "--tag", "shift", "--dtype", "float64"], cwd=mylosses,
                         env=_env(mylosses), capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 1, out.stdout + out.stderr  # the unshifted exp overflows
    assert "cross_entropy/logit_shift_1e4/float64" in out.stdout


@pytest.mark.backend_independent
def test_worked_adapter_from_pytest(mylosses: Path) -> None:
    pytest.importorskip("numpy")
    (mylosses / "conftest.py").write_text("", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--conformance-adapter",
                          "mylosses:ADAPTER", "--conformance-function", "mse_loss", "--conformance-dtype", "float64",
                          "--conformance-exclude-tag", "reduction-overflow", "-W", "ignore::DeprecationWarning"],
                         cwd=mylosses, env=_env(mylosses), capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert re.search(r"\d+ passed", out.stdout), out.stdout[-2000:]


# -- the conformance scoreboard reads the conformance job's report ---------------------------


@pytest.fixture(scope="module")
def scoreboard_gen():
    yield from _docs_gen("scoreboard")


@pytest.mark.backend_independent
def test_scoreboard_reads_only_a_current_complete_report(scoreboard_gen, tmp_path) -> None:
    """``nox -s conformance`` writes build/conformance/polyloss.json; the scoreboard takes
    polyloss's runs from it only when it covers every case of the shipped set at the strict
    tier and was written after the last change to polyloss/ and conformance/."""
    import json
    import os
    import subprocess

    root = tmp_path / "root"
    for d in ("polyloss", "conformance"):
        (root / d).mkdir(parents=True)
        (root / d / "x.py").write_text("")
        os.utime(root / d / "x.py", (1e9, 1e9))
    report = tmp_path / "polyloss.json"
    subprocess.run([sys.executable, "-m", "conformance", "--backend", "numpy", "--json", str(report)],
                   check=True, capture_output=True)
    saved = scoreboard_gen.saved_reports(report, root)
    assert list(saved) == ["polyloss:numpy"]
    doc = json.loads(report.read_text())
    assert saved["polyloss:numpy"].to_json() == {k: v for k, v in doc["runs"][0].items() if k != "seconds"}

    os.utime(root / "polyloss" / "x.py")  # a change after the run: not measured
    assert scoreboard_gen.saved_reports(report, root) == {}
    os.utime(root / "polyloss" / "x.py", (1e9, 1e9))
    for key, value in (("tier", "reference"), ("selection", {"dtypes": ["float32"]})):
        changed = tmp_path / f"{key}.json"
        changed.write_text(json.dumps(dict(doc, **{key: value})))
        assert scoreboard_gen.saved_reports(changed, root) == {}, key
    doc["case_set"]["sha256"] = "0" * 64
    changed.write_text(json.dumps(doc))
    assert scoreboard_gen.saved_reports(changed, root) == {}
    assert scoreboard_gen.saved_reports(tmp_path / "missing.json", root) == {}
