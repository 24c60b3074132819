"""benchmarks/gpu_checks.py, the GPU checks prepared for a machine with a CUDA device (issue 13).

CI has no such device: it runs the script's CPU mode, so that the script does not rot between
the runs on a GPU machine, and its answer where no device is present.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from conftest import selected_backends

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif("torch" not in selected_backends(),
                                reason="torch is not a selected backend (POLYLOSS_BACKEND)")


@pytest.fixture
def gpu_checks():
    spec = importlib.util.spec_from_file_location("gpu_checks", ROOT / "benchmarks" / "gpu_checks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cpu_mode_runs_every_case_twice(gpu_checks, tmp_path, capsys):
    """Every golden case on torch, then again through the adapter that forbids host syncs
    (on the CPU nothing synchronises: this exercises the script, not the library)."""
    import conformance

    assert gpu_checks.main(["--device", "cpu", "--out", str(tmp_path)]) == 0
    reports = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("conformance-*.json"))]
    assert sorted(r["adapter"] for r in reports) == ["polyloss[torch, no host sync]", "polyloss[torch]"]
    cases = len(conformance.load_cases().select())
    for r in reports:
        assert (r["passed"], r["failed"], r["skipped"], r["failures"]) == (cases, 0, 0, {})
    assert "no host sync]: " in capsys.readouterr().out


def test_without_a_device_it_says_so(gpu_checks, tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present: the script would run its checks")
    assert gpu_checks.main(["--out", str(tmp_path)]) == 0
    assert "no CUDA device" in capsys.readouterr().out
    assert not tmp_path.exists() or not any(tmp_path.iterdir())
