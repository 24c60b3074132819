"""benchmarks/report.py: writes where it is told, and its plot's legend is not clipped.

The report needs matplotlib (``nox -s bench_report`` installs it); without it these tests
skip, saying so.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def report():
    pytest.importorskip("matplotlib", reason="benchmarks/report.py plots with matplotlib (nox -s bench_report)")
    spec = importlib.util.spec_from_file_location("bench_report", ROOT / "benchmarks" / "report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(path: Path, backend: str = "numpy") -> Path:
    """A pytest-benchmark JSON file of one group (three implementations), as benchmarks/ records it."""
    roles = {"polyloss": "subject", "numpy-plain": "peer", "polyloss-generic": "reference"}
    benches = [
        {"stats": {"median": t, "rounds": 5, "iqr": t / 10},
         "extra_info": {"backend": backend, "loss": "binary_cross_entropy_with_logits", "measure": "fwd",
                        "shape": [32], "elements": 32, "impl": impl, "role": role, "heavy": False}}
        for (impl, role), t in zip(roles.items(), (2e-5, 3e-5, 4e-5))
    ]
    path.write_text(json.dumps({"machine_info": {}, "datetime": "2026-12-04", "benchmarks": benches}))
    return path


def test_default_output_is_not_the_committed_page(report, tmp_path, monkeypatch):
    run = _run(tmp_path / "numpy.json")
    committed = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    monkeypatch.setattr(report, "ROOT", tmp_path)  # the checkout the default output is rooted in
    assert report.main([str(run)]) == 0
    out = tmp_path / ".benchmarks" / "report"
    assert (out / "benchmarks.md").exists() and (out / "img" / "benchmarks.png").exists()
    assert not (tmp_path / "docs").exists()
    assert (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8") == committed
    assert "issue" not in (out / "benchmarks.md").read_text(encoding="utf-8").lower()  # the page stands alone
    assert report.main([str(run), "--out", str(tmp_path / "docs")]) == 0  # asked: written there
    assert (tmp_path / "docs" / "benchmarks.md").exists()


def test_one_backend_legend_is_inside_the_figure(report, tmp_path):
    benches, _ = report.load([_run(tmp_path / "numpy.json")])
    legend = report.plot(report.groups_of(benches), tmp_path / "plot.png")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = legend.figure
    box = legend.get_window_extent(FigureCanvasAgg(fig).get_renderer())
    assert 0 <= box.x0 and box.x1 <= fig.bbox.x1, (box, fig.bbox)
    assert 0 <= box.y0 and box.y1 <= fig.bbox.y1, (box, fig.bbox)
