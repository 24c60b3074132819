"""polyloss itself against the golden cases, on every installed backend.

The backends are the installed ones among numpy, torch, array_api_strict, jax,
dask and cupy, narrowed by ``POLYLOSS_BACKEND`` (as in ``conftest.py``).  Each
(backend, function) pair is one test that fails on any failing case.
``KNOWN_FAILURES`` holds reported polyloss bugs: they xfail while they fail,
and the test fails once they pass so that the entry gets removed.
"""

from __future__ import annotations

import os

import pytest

import conformance
from conformance.adapters import get_backend
from conftest import CONFORMANCE_SELECTION

ALL = ("numpy", "torch", "array_api_strict", "jax", "dask", "cupy")

#: backend -> {case id: reason}
KNOWN_FAILURES: dict[str, dict[str, str]] = {
}


def _backends() -> list[str]:
    """Selected backends; array_api_strict also on a non-default device, which catches
    constants and results created on the default device."""
    wanted = [n.strip() for n in os.environ.get("POLYLOSS_BACKEND", "").split(",") if n.strip()] or list(ALL)
    out = [b for b in wanted if b in ALL]
    if "array_api_strict" in out:
        out.insert(out.index("array_api_strict") + 1, "array_api_strict:device1")
    return out


_REPORTS: dict[str, conformance.Report] = {}


def _report(backend: str) -> conformance.Report:
    if backend not in _REPORTS:
        why = get_backend(backend).unavailable()
        if why:
            pytest.skip(why)
        _REPORTS[backend] = conformance.run(conformance.polyloss_adapter(backend), tier="strict",
                                            **CONFORMANCE_SELECTION.get(backend, {}))  # (tests/conftest.py)
    return _REPORTS[backend]


FUNCTIONS = conformance.load_cases().functions()


@pytest.mark.parametrize("function", FUNCTIONS)
# one report per backend, computed once per process: its tests share a pytest-xdist worker
@pytest.mark.parametrize("backend", [pytest.param(b, marks=pytest.mark.xdist_group(f"conformance-{b}"))
                                     for b in _backends()])
def test_polyloss_conforms(backend: str, function: str, request: pytest.FixtureRequest) -> None:
    if getattr(request.config.option, "loadgroup", False):  # an xdist worker of --dist loadgroup
        # else each worker computes the report again (pytest-xdist#1386: .ci/constraints.txt)
        assert request.node.nodeid.endswith(f"@conformance-{backend}"), "pytest-xdist did not group this test"
    report = _report(backend)
    mine = [r for r in report.results if r.function == function]
    failed = {r.id: r.reason for r in mine if r.failed}
    known = {k: v for k, v in KNOWN_FAILURES.get(backend, {}).items() if k.startswith(f"{function}/")}
    unexpected = {k: v for k, v in failed.items() if k not in known}
    assert not unexpected, "\n".join(f"{k}: {v}" for k, v in unexpected.items())
    ran = {r.id for r in mine}
    fixed = [k for k in known if k in ran and k not in failed]
    assert not fixed, f"known failures now pass, remove them from KNOWN_FAILURES: {fixed}"
    if any(k in failed for k in known):
        pytest.xfail("; ".join(sorted({known[k] for k in known if k in failed})))
    if not any(r.status == "pass" for r in mine):
        pytest.skip(f"no {function} case ran on {backend}")


CORE = ("sigmoid", "log_sigmoid", "softmax", "log_softmax", "logsumexp", "binary_cross_entropy",
        "binary_cross_entropy_with_logits", "nll_loss", "cross_entropy")


def test_core_functions_pass_on_the_required_backends() -> None:
    """numpy, torch and array_api_strict pass every case of the core functions (known failures aside)."""
    assert set(CORE) <= set(FUNCTIONS)
    for backend in ("numpy", "torch", "array_api_strict"):
        if backend not in _backends() or get_backend(backend).unavailable():
            continue
        report = _report(backend)
        core = [r for r in report.results if r.function in CORE]
        unexpected = [r.id for r in core if r.failed and r.id not in KNOWN_FAILURES.get(backend, {})]
        assert not unexpected, (backend, unexpected)
        assert sum(r.status == "pass" for r in core) > 300, backend
