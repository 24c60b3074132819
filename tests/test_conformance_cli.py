"""python -m conformance: exit codes, table, JSON report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conformance import load_cases
from conformance.__main__ import main


def test_exit_0_when_everything_passes(capsys, tmp_path):
    out = tmp_path / "report.json"
    assert main(["--adapter", "exact", "--function", "sigmoid,softmax", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "exact" in text and "TOTAL" in text and "worst error" in text
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["ok"] is True and doc["format"] == "polyloss-conformance-report"
    assert doc["case_set"]["sha256"] == load_cases().sha256
    assert doc["case_set"]["version"] == load_cases().version
    run = doc["runs"][0]
    assert run["summary"]["failed"] == 0
    assert {c.split("/")[0] for c in run["cases"]} == {"sigmoid", "softmax"}
    one = next(iter(run["cases"].values()))
    assert {"status", "error_ulps", "error_rel", "budget_ulps", "reason", "dtype", "tags"} <= one.keys()
    assert "numpy" in doc["environment"]


def test_exit_1_when_a_case_fails(capsys, tmp_path):
    out = tmp_path / "r.json"
    assert main(["--adapter", "naive", "--tag", "overflow", "--dtype", "float32", "--json", str(out)]) == 1
    text = capsys.readouterr().out
    assert "FAIL logsumexp/doc000_1000_1001_1002/float32" in text
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["ok"] is False
    case = doc["runs"][0]["cases"]["logsumexp/doc000_1000_1001_1002/float32"]
    assert case["status"] == "fail" and case["error_ulps"] == "inf" and case["budget_ulps"] == 24


def test_reference_tier_and_polyloss_backend(capsys):
    assert main(["--backend", "numpy", "--function", "logsumexp", "--tier", "reference"]) == 0
    text = capsys.readouterr().out
    assert "polyloss[numpy]" in text and "tier reference" in text


@pytest.mark.parametrize(
    "argv",
    [
        ["--adapter", "no_such_module_for_conformance:X"],
        ["--adapter", "nonsense"],
        ["--tag", "no-such-tag"],
        ["--backend", "fortran"],
    ],
)
def test_exit_2_on_usage_errors(argv, capsys):
    assert main(argv) == 2


def test_bad_dtype_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--dtype", "float8"])
    assert exc.value.code == 2


def test_parallel_workers_give_the_same_report(tmp_path, capsys):
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    sel = ["--adapter", "naive", "--function", "softmax,logsumexp", "--dtype", "float32"]
    assert main([*sel, "--json", str(one)]) == 1
    assert main([*sel, "--jobs", "2", "--json", str(two)]) == 1
    a = json.loads(one.read_text(encoding="utf-8"))["runs"][0]
    b = json.loads(two.read_text(encoding="utf-8"))["runs"][0]
    assert list(a["cases"]) == list(b["cases"])
    assert a["cases"] == b["cases"]
    assert b["metadata"]["processes"] == 2


@pytest.mark.parametrize(("spec", "jobs", "expected"), [
    ("polyloss:numpy", None, 1), ("polyloss:torch", None, 1), ("naive", None, 1), (None, 4, 1),
    ("polyloss:jax", None, "cpus"), ("polyloss:dask", None, "cpus"), ("polyloss:ndonnx", None, "cpus"),
    ("polyloss:dask", 1, 1), ("polyloss:numpy", 3, 3), ("polyloss:jax", 0, 1),
])
def test_worker_processes_by_default_where_calls_compile_or_build_graphs(spec, jobs, expected, monkeypatch):
    from conformance.__main__ import _jobs, _parser

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(12)), raising=False)
    args = _parser().parse_args([] if jobs is None else ["--jobs", str(jobs)])
    assert _jobs(args, spec) == (8 if expected == "cpus" else expected)


def test_list_tags(capsys):
    assert main(["--list-tags"]) == 0
    assert "documented-example" in capsys.readouterr().out


def test_module_entry_point_and_console_script(tmp_path):
    cmd = [sys.executable, "-m", "conformance", "--adapter", "exact", "--function", "nll_loss"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "nll_loss" in proc.stdout
    script = shutil.which("polyloss-conformance")
    if script is None:
        pytest.skip("polyloss-xp is not installed, so there is no console script")
    proc = subprocess.run([script, "--adapter", "naive", "--function", "softmax", "--tag", "overflow"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1


def test_exclude_a_convention_by_tag(capsys):
    """Convention tags (clamp, eps, zero-log-zero, normalisation, undefined) are listed and
    can be excluded, so an adapter that does not share a convention skips its cases."""
    assert main(["--list-tags"]) == 0
    listed = {line.split()[0] for line in capsys.readouterr().out.splitlines()}
    assert {"clamp", "eps", "zero-log-zero", "normalisation", "undefined", "unnormalised"} <= listed
    assert main(["--adapter", "exact", "--function", "generalized_box_iou_loss", "--dtype", "float64",
                 "--exclude-tag", "eps,undefined"]) == 0
    text = capsys.readouterr().out
    every = load_cases().select(functions=["generalized_box_iou_loss"], dtypes=["float64"])
    kept = [c for c in every if not {"eps", "undefined"} & set(c.tags)]
    assert 0 < len(kept) < len(every)
    assert f"{len(kept)} of {len(load_cases())} cases" in text


def test_version_names_the_distribution_and_the_case_set(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith(f"(polyloss-xp {version('polyloss-xp')}), case set {load_cases().version}"), first


@pytest.mark.parametrize(
    ("argv0", "prog"),
    [("/venv/bin/polyloss-conformance", "polyloss-conformance"), ("/src/conformance/__main__.py", "python -m conformance")],
)
def test_help_names_the_program_as_invoked(capsys, monkeypatch, argv0, prog):
    monkeypatch.setattr(sys, "argv", [argv0, "--help"])
    with pytest.raises(SystemExit):
        main(["--help"])
    assert capsys.readouterr().out.startswith(f"usage: {prog} ")
