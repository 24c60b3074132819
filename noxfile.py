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


#: JAX compiles every operation for every new shape (eagerly too): a persistent compilation
#: cache, shared by the sessions and their worker processes, compiles each once. Every
#: entry is kept (no minimum compile time or size); measured on 2 CPU cores, a warm cache
#: runs JAX's conformance cases 2.6 times as fast. Other backends ignore these variables.
JAX_CACHE = {
    "JAX_COMPILATION_CACHE_DIR": str(Path(__file__).parent.resolve() / "build" / "jax-cache"),
    "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
    "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "-1",
}


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
    args = session.posargs
    if not args and "tests" in TABLE[backend]:
        args = TABLE[backend]["tests"].split()
        session.log(f"{backend}: runs {' '.join(args)} only: {TABLE[backend]['bounded']}; "
                    f"the whole suite: nox -s \"tests(backend='{backend}')\" -- tests")
    # one worker per core; a group (one backend's conformance report) stays in one worker
    session.run("pytest", "-n", "auto", "--dist", "loadgroup", *args, env={"POLYLOSS_BACKEND": backend, **JAX_CACHE})


@nox.session(default=False)
@nox.parametrize("backend", ["numpy", "torch", "jax"])
def bench(session: nox.Session, backend: str) -> None:
    """Benchmark polyloss against its peers on one backend (JSON in .benchmarks/; then nox -s bench_report)."""
    _install(session, [BACKENDS[backend]], "bench-jax" if backend == "jax" else "bench")
    session.run(
        "pytest", "benchmarks", "-p", "no:randomly", f"--benchmark-json=.benchmarks/{backend}.json",
        *session.posargs, env={"POLYLOSS_BACKEND": backend},
    )


@nox.session(default=False)
def bench_report(session: nox.Session) -> None:
    """Benchmark page and plot from JSON files: nox -s bench_report -- [--out docs] .benchmarks/*.json."""
    if not session.posargs:
        session.error("name the pytest-benchmark JSON files: nox -s bench_report -- .benchmarks/numpy.json")
    session.install(*CONSTRAINTS, *nox.project.dependency_groups(PYPROJECT, "bench"))
    session.run("python", "benchmarks/report.py", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check the import contract (docs/architecture.md): losses -> kernels -> core, no cycles."""
    session.install(*CONSTRAINTS, "-e", ".", "import-linter>=2.1")
    session.run("lint-imports")


@nox.session
def conformance(session: nox.Session) -> None:
    """Run the golden-case conformance suite on polyloss over every CPU backend and print the tables
    (a backend whose table row bounds its run gets its own run, with the reason)."""
    _install(session, [BACKENDS[b] for b in CPU_BACKENDS] + ["conformance"], "test")
    session.env.update(JAX_CACHE)
    if session.posargs:
        session.run("python", "-m", "conformance", *session.posargs)
        return
    whole = [b for b in CPU_BACKENDS if "conformance" not in TABLE[b]]
    # the JSON report is what the docs' scoreboard reads instead of running these again
    session.run("python", "-m", "conformance", "--backend", ",".join(whole), "--json", "build/conformance/polyloss.json")
    for b in CPU_BACKENDS:
        if "conformance" in TABLE[b]:
            session.log(f"{b}: {TABLE[b]['conformance']} only: {TABLE[b]['bounded']}")
            session.run("python", "-m", "conformance", "--backend", b, *TABLE[b]["conformance"].split())


@nox.session(default=False)
def docs(session: nox.Session) -> None:
    """Build the documentation site into site/: generate plots, tables and the API page, then mkdocs --strict."""
    # the scoreboard runs every golden case on every installed backend: not on those whose
    # table row bounds their conformance run (see `conformance`), which would take many minutes
    whole = [b for b in CPU_BACKENDS if "conformance" not in TABLE[b]]
    _install(session, [BACKENDS[b] for b in whole] + ["conformance"], "docs")
    # MathJax 3, bundled into the site so that formulas render offline (docs/gen/hooks.py copies
    # it); only the package's static files are used, so not its Django dependencies.
    session.install(*CONSTRAINTS, "--no-deps", "django-static-mathjax>=3.2.2,<4")
    session.run("python", "docs/gen/run_all.py", env=JAX_CACHE)
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

@nox.session(default=False)
def site_check(session: nox.Session) -> None:
    """Open every page of the built site/ in headless Chromium: fail on console errors and broken links."""
    session.install(*CONSTRAINTS, "websockets>=13")
    session.run("python", "docs/gen/check_site.py", *session.posargs)


@nox.session(default=False)
def package(session: nox.Session) -> None:
    """Build the sdist and the wheel, check what they ship, install the wheel and run its CLI."""
    import tarfile
    import tempfile
    import zipfile
    from pathlib import Path

    session.install("build")
    out = Path(tempfile.mkdtemp(prefix="polyloss-dist-"))
    session.run("python", "-m", "build", "--outdir", str(out), ".", silent=True)
    (sdist,), (wheel,) = sorted(out.glob("*.tar.gz")), sorted(out.glob("*.whl"))
    with tarfile.open(sdist) as tar:
        in_sdist = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    with zipfile.ZipFile(wheel) as zf:
        in_wheel = set(zf.namelist())
        meta = next(zf.read(n).decode() for n in in_wheel if n.endswith(".dist-info/METADATA"))
    problems = []
    if "License-Expression: BSD-3-Clause" not in meta.splitlines():
        problems.append("wheel METADATA lacks 'License-Expression: BSD-3-Clause'")
    if "LICENSE" not in in_sdist:
        problems.append("sdist lacks LICENSE")
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in in_wheel):
        problems.append("wheel lacks LICENSE")
    shipped = Path("conformance/cases")
    for name in ["conformance/README.md", "conformance/schema.json", "polyloss/py.typed",
                 *(f"conformance/cases/{p.name}" for p in shipped.glob("*.json"))]:
        for what, names in (("sdist", in_sdist), ("wheel", in_wheel)):
            if name not in names:
                problems.append(f"{what} lacks {name}")
    # the test suite: all of it or none of it (none: it needs the checkout around it)
    tests = sorted(n for n in in_sdist | in_wheel if n.startswith("tests/"))
    if tests:
        problems.append(f"a part of the test suite is shipped: {tests[:5]}")
    if problems:
        session.error("; ".join(problems))
    session.install(*CONSTRAINTS, f"{wheel}[conformance]", "--force-reinstall")
    version = session.run("polyloss-conformance", "--version", silent=True)
    meta_version = next(line.split(": ", 1)[1] for line in meta.splitlines() if line.startswith("Version: "))
    if not version.startswith(f"polyloss-conformance (polyloss-xp {meta_version}), case set "):
        session.error(f"polyloss-conformance --version printed {version!r}")
    session.log(f"{sdist.name} ({len(in_sdist)} files), {wheel.name} ({len(in_wheel)} files): ok; {version.splitlines()[0]}")
