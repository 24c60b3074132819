"""pytest-benchmark harness: polyloss and its peers side by side, one group per measurement.

Run per backend (``nox -s "bench(backend='torch')"``), or directly::

    POLYLOSS_BACKEND=torch pytest benchmarks --benchmark-json=.benchmarks/torch.json

then ``nox -s bench_report -- .benchmarks/*.json`` writes the page and its plot into
``.benchmarks/report/`` (``--out docs``: the committed ``docs/benchmarks.md`` and
``docs/img/benchmarks.png``).

Environment:

``POLYLOSS_BACKEND``         comma-separated backends to benchmark (numpy, torch, jax); all by default
``POLYLOSS_BENCH_THREADS``   intra-op threads for torch and XLA (default: the libraries' own)
``POLYLOSS_BENCH_ROUNDS``    rounds per heavy benchmark (default 7; the median is reported)
``POLYLOSS_BENCH_MALLOC``    ``steady``: warm memory for every implementation (see :func:`_steady_allocator`);
                             unset: the allocator's defaults, as a user's process runs

Every benchmark records in ``extra_info``: backend, loss, measure (``fwd`` or ``fwd+bwd``),
shape, elements, implementation and its role (``subject``: polyloss; ``peer``: what the
goal compares against; ``other``: further peers; ``reference``: polyloss with fast paths off).
"""

from __future__ import annotations

import ctypes
import os
import platform
import subprocess
import sys

import pytest

BENCH_BACKENDS = ("numpy", "torch", "jax")
LOAD_AT_START = os.getloadavg() if hasattr(os, "getloadavg") else None
THREADS = os.environ.get("POLYLOSS_BENCH_THREADS", "").strip()
ROUNDS = int(os.environ.get("POLYLOSS_BENCH_ROUNDS", "7"))


def _steady_allocator() -> str:
    """Make glibc reuse freed memory instead of returning it to the system.

    By default glibc serves a large allocation with a fresh ``mmap`` (or trims the heap once
    enough is free), so a loss that allocates multi-megabyte temporaries on every call pays
    page faults on every call -- or not, depending on what else the process holds:
    ``F.binary_cross_entropy_with_logits`` at 4M elements then takes anything from 4 to
    17 ms within one machine. Raising the mmap threshold to its maximum (32 MiB) and
    disabling the trim makes every implementation run with warm memory: reproducible, and
    the best case for the peers (polyloss's blocked paths reuse their buffers anyway).
    Opt-in (``POLYLOSS_BENCH_MALLOC=steady``): by default a run measures what a user's
    process gets.
    """
    if os.environ.get("POLYLOSS_BENCH_MALLOC", "").strip() != "steady":
        return "defaults"
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        ok = libc.mallopt(m_mmap_threshold, 32 << 20) and libc.mallopt(m_trim_threshold, 2**31 - 1)
    except (OSError, AttributeError):
        ok = False
    return "glibc: mmap threshold 32 MiB, no trim (warm memory)" if ok else "system default (not glibc)"


ALLOCATOR = _steady_allocator()  # before the array libraries allocate anything

if THREADS:
    # XLA reads its flags when jax initialises its CPU client: set them before any import
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "")
        + f" --xla_cpu_multi_thread_eigen={'false' if THREADS == '1' else 'true'}"
        + f" intra_op_parallelism_threads={THREADS}"
    ).strip()
    os.environ.setdefault("OMP_NUM_THREADS", THREADS)


def selected(name: str) -> bool:
    wanted = [b.strip() for b in os.environ.get("POLYLOSS_BACKEND", "").split(",") if b.strip()]
    return not wanted or name in wanted


def pytest_collect_file(file_path, parent):
    """Collect ``bench_*.py`` (pytest's default pattern is ``test_*.py``)."""
    if file_path.suffix == ".py" and file_path.name.startswith("bench_"):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def pytest_configure(config):
    # JAX without 64-bit types truncates the generic path's int64 targets, and says so
    config.addinivalue_line("filterwarnings", "ignore:Explicitly requested dtype int64:UserWarning")
    if THREADS:
        try:
            import torch
        except ImportError:
            pass
        else:
            torch.set_num_threads(int(THREADS))


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in ("polyloss-xp", "numpy", "scipy", "torch", "jax", "jaxlib", "optax", "pytest-benchmark"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def pytest_benchmark_update_machine_info(config, machine_info):
    info = {
        "cpu_model": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "versions": _versions(),
        "threads": THREADS or "library default",
        "allocator": ALLOCATOR,
        "loadavg_at_start": LOAD_AT_START,
        "platform": platform.platform(),
    }
    if "torch" in sys.modules:
        info["torch_threads"] = sys.modules["torch"].get_num_threads()
    if "jax" in sys.modules:
        info["jax_backend"] = sys.modules["jax"].default_backend()  # the benchmarks' arrays live there
    machine_info["polyloss"] = info


def pytest_benchmark_update_json(config, benchmarks, output_json):
    if hasattr(os, "getloadavg"):
        output_json["machine_info"].setdefault("polyloss", {})["loadavg_at_end"] = os.getloadavg()


def measure(benchmark, fn, *, backend, loss, measure, shape, impl, role, heavy):
    """Time ``fn`` and label the result; heavy cases run ``ROUNDS`` rounds after one warm-up."""
    elements = 1
    for s in shape:
        elements *= s
    benchmark.group = f"{backend} | {loss} {measure} | {'x'.join(map(str, shape))}"
    benchmark.extra_info.update(
        backend=backend, loss=loss, measure=measure, shape=list(shape), elements=elements, impl=impl, role=role
    )
    if heavy:
        return benchmark.pedantic(fn, rounds=ROUNDS, warmup_rounds=1, iterations=1)
    return benchmark(fn)


#: Run in a fresh interpreter by :func:`peak_rss_extra`: glibc serves every allocation of
#: 128 KiB or more with its own ``mmap`` and returns it on ``free`` (no dynamic threshold,
#: no reuse of freed heap), so the resident set follows the live large allocations; the
#: kernel's high-water mark (``VmHWM``, reset through ``/proc/self/clear_refs``) is then
#: the peak of the call's extra memory.
_PEAK_RSS = """
import ctypes, sys
ctypes.CDLL("libc.so.6").mallopt(-3, 128 << 10)  # M_MMAP_THRESHOLD
def _status():
    with open("/proc/self/status") as f:
        d = dict(line.split(":", 1) for line in f)
    return int(d["VmRSS"].split()[0]) * 1024, int(d["VmHWM"].split()[0]) * 1024
exec(sys.argv[1])  # defines setup() -> state and run(state)
state = setup()
run(state)  # warm-up: one-time allocations (thread pools, scratch buffers) are not the call's
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset VmHWM to the current resident set
base = _status()[0]
run(state)
print(_status()[1] - base)
"""


def peak_rss_extra(code: str, threads: int | None = None) -> int:
    """Peak resident memory (bytes) that ``run(setup())`` adds, measured in a fresh process (Linux, glibc).

    ``code`` defines ``setup()`` (inputs, allocated before the measurement) and ``run(state)``.
    """
    env = dict(os.environ)
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    out = subprocess.run([sys.executable, "-c", _PEAK_RSS, code], capture_output=True, text=True, env=env, check=True)
    return int(out.stdout.strip().splitlines()[-1])
