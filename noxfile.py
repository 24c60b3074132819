"""Sessions for polyloss: tests and conformance per array backend, benchmarks, docs.

The backend a session exercises is passed to pytest and to the conformance CLI
through ``POLYLOSS_BACKEND`` -- the same variable ``tests/conftest.py`` reads.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import nox

nox.needs_version = ">=2024.3.2"
nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests"]

PYPROJECT = nox.project.load_toml("pyproject.toml")
CONSTRAINTS = ("-c", ".ci/constraints.txt")


def _backend_table() -> dict[str, dict[str, str]]:
    """The one table of array backends (conformance/adapters/_backend_table.py), loaded by path:
    it imports nothing, so neither does this."""
    path = Path(__file__).parent / "conformance" / "adapters" / "_backend_table.py"
    spec = importlib.util.spec_from_file_location("_backend_table", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TABLE


TABLE = _backend_table()
# optional-dependency extra that brings each backend
BACKENDS = {name: row["extra"] for name, row in TABLE.items()}
CPU_BACKENDS = [name for name, row in TABLE.items() if row["device"] == "cpu"]


def _has_cuda_device() -> bool:
    smi = shutil.which("nvidia-smi")
    return bool(smi) and subprocess.run([smi, "-L"], capture_output=True).returncode == 0


def _install(session: nox.Session, extras: list[str], group: str) -> None:
    session.install(*CONSTRAINTS, "-e", f".[{','.join(extras)}]")
    session.install(*CONSTRAINTS, *nox.project.dependency_groups(PYPROJECT, group))


@nox.session
@nox.parametrize("backend", list(BACKENDS))
def tests(session: nox.Session, backend: str) -> None:
    """Run the test suite on one array backend."""
    if TABLE[backend]["device"] == "gpu" and not _has_cuda_device():
        session.skip(f"{backend} needs a CUDA device and none is present (nvidia-smi -L failed)")
    _install(session, [BACKENDS[backend]], "test")
    session.run("pytest", *session.posargs, env={"POLYLOSS_BACKEND": backend})


@nox.session(default=False)
@nox.parametrize("backend", ["numpy", "torch", "jax"])
def bench(session: nox.Session, backend: str) -> None:
    """Benchmark polyloss against its peers on one backend (JSON in .benchmarks/; then benchmarks/report.py)."""
    _install(session, [BACKENDS[backend]], "bench-jax" if backend == "jax" else "bench")
    session.run(
        "pytest", "benchmarks", "-p", "no:randomly", f"--benchmark-json=.benchmarks/{backend}.json",
        *session.posargs, env={"POLYLOSS_BACKEND": backend},
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Check the import contract (docs/architecture.md): losses -> kernels -> core, no cycles."""
    session.install(*CONSTRAINTS, "-e", ".", "import-linter>=2.1")
    session.run("lint-imports")


@nox.session
def conformance(session: nox.Session) -> None:
    """Run the golden-case conformance suite on polyloss over every CPU backend and print the table."""
    _install(session, [BACKENDS[b] for b in CPU_BACKENDS] + ["conformance"], "test")
    session.run("python", "-m", "conformance", *session.posargs)


@nox.session(default=False)
def docs(session: nox.Session) -> None:
    """Build the documentation site into site/: generate plots, tables and the API page, then mkdocs --strict."""
    _install(session, [BACKENDS[b] for b in CPU_BACKENDS] + ["conformance"], "docs")
    # MathJax, bundled into the site so that formulas render offline (docs/gen/hooks.py copies it);
    # only the package's static files are used, so not its Jupyter server dependencies.
    session.install(*CONSTRAINTS, "--no-deps", "jupyter-server-mathjax>=0.2.6")
    session.run("python", "docs/gen/run_all.py")
    session.run("mkdocs", "build", "--strict", *session.posargs, env={"NO_MKDOCS_2_WARNING": "1"})


#: The peer adapters ``nox -s peers`` runs (``python -m conformance --adapter NAME``), each
#: reported in docs/_peers/<NAME with ":" as "-">.json, read by docs/gen/peers.py.
PEERS = ("torch", "scipy", "jax", "optax", "sklearn", "torchvision", "keras:jax", "keras:torch")


@nox.session(default=False)
def peers(session: nox.Session) -> None:
    """Run the peer adapters (tier reference) into docs/_peers/*.json, the peer scoreboard's data (heavy)."""
    _install(session, ["torch", "jax", "conformance"], "test")
    session.install(*CONSTRAINTS, "scipy", "optax", "scikit-learn", "keras")
    # PyPI's torchvision wheels for torch 2.13.0 are CUDA builds, which do not import on the CPU
    # torch; installed anyway, so that the report records why its cases are declined.
    session.install(*CONSTRAINTS, "torchvision")
    names = session.posargs or PEERS
    for name in names:
        out = f"docs/_peers/{name.replace(':', '-')}.json"
        # exit status 1: some case failed, which is what the scoreboard reports
        session.run("python", "-m", "conformance", "--adapter", name, "--tier", "reference", "--failures", "0",
                    "--json", out, success_codes=[0, 1])

