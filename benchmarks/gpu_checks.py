"""The GPU checks of issue 13, prepared as one run of a few minutes on a machine with a CUDA device.

Run from the repository root, with torch (a CUDA build), array-api-compat, numpy, mpmath,
pytest and pytest-benchmark importable (CuPy too, where installed)::

    python benchmarks/gpu_checks.py [--out DIR]

1. **Conformance** of polyloss on ``torch:cuda`` (and ``cupy``): every golden case.
2. **No host sync** in the default mode (``value_checks="auto"``, which is ``"defer"`` on a
   device): the same cases again, each polyloss call -- and, for a gradient case, its
   backward -- run with synchronisation forbidden (``torch.cuda.set_sync_debug_mode("error")``;
   CuPy's ``cupyx.allow_synchronize(False)``). A case that synchronises fails with the
   library's error, which names the operation.
3. **A training step in a CUDA graph**: a linear layer, ``cross_entropy`` with label smoothing
   and class weights, ``binary_cross_entropy_with_logits`` with ``pos_weight``, backward and
   an SGD step, captured once (``torch.cuda.graph``) and replayed on new data: its losses and
   weights equal those of the same steps run eagerly.
4. **CUDA benchmark rows**: ``benchmarks/bench_torch.py`` with ``POLYLOSS_BENCH_DEVICE=cuda``
   (CE 4096x32000 and 65536x10, BCE 4M, forward and forward+backward, against
   ``torch.nn.functional``) into ``DIR/torch-cuda.json``; ``nox -s bench_report --
   .benchmarks/*.json DIR/torch-cuda.json`` adds them to the benchmark page.

Without a CUDA device it says so and exits 0. ``--device cpu`` runs checks 1 and 2 on the
CPU (there they only exercise this script: a CPU tensor never synchronises), as
``tests/test_transforms.py`` does in CI. Exit status 1 where any check fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _forbid_syncs(backend: str):
    """A context in which a host synchronisation of ``backend``'s device raises."""
    if backend.startswith("cupy"):
        import cupyx

        return cupyx.allow_synchronize(False)
    import torch

    if not torch.cuda.is_available():
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def forbidden():
        before = torch.cuda.get_sync_debug_mode()
        torch.cuda.set_sync_debug_mode("error")
        try:
            yield
        finally:
            torch.cuda.set_sync_debug_mode(before)

    return forbidden()


def no_sync_adapter(backend: str):
    """polyloss on ``backend``, each call (and a gradient case's backward) run with host
    synchronisation forbidden; inputs are moved to the device before, results read after."""
    from conformance.adapters import polyloss_adapter

    adapter = polyloss_adapter(backend)
    call, grad = adapter.backend.call, adapter.backend.grad

    def forbidding(f):
        def run(*args, **kwargs):
            with _forbid_syncs(backend):
                return f(*args, **kwargs)

        return run

    adapter.backend.call, adapter.backend.grad = forbidding(call), forbidding(grad)
    adapter.name = f"polyloss[{adapter.backend.label}, no host sync]"
    return adapter


def conformance_checks(backends: list[str], out: Path) -> bool:
    """Checks 1 and 2: every golden case, then again without host syncs."""
    import conformance
    from conformance.adapters import polyloss_adapter

    ok = True
    for backend in backends:
        for adapter in (polyloss_adapter(backend), no_sync_adapter(backend)):
            start = time.perf_counter()
            report = conformance.run(adapter)
            failures = {r.id: r.reason for r in report.failures()}
            print(f"{adapter.name}: {report.passed} passed, {report.failed} failed, {report.skipped} skipped "
                  f"in {time.perf_counter() - start:.1f} s")
            for case_id, reason in list(failures.items())[:20]:
                print(f"  FAILED {case_id}: {reason}")
            stem = "".join(c if c.isalnum() else "-" for c in adapter.name).strip("-")
            (out / f"conformance-{stem}.json").write_text(json.dumps(
                {"adapter": adapter.name, "passed": report.passed, "failed": report.failed,
                 "skipped": report.skipped, "failures": failures}, indent=1))
            ok = ok and report.ok
    return ok


def graph_step_check() -> bool:
    """Check 3: a training step captured in a CUDA graph equals the eager steps."""
    import torch

    import polyloss as pl

    torch.manual_seed(0)
    dev = "cuda"
    N, H, C = 512, 64, 10
    model = torch.nn.Linear(H, C + 1, device=dev)
    class_w = torch.rand(C, device=dev) + 0.5
    pos_w = torch.tensor([2.0], device=dev)
    batches = [(torch.randn(N, H, device=dev), torch.randint(0, C, (N,), device=dev),
                torch.randint(0, 2, (N,), device=dev).float()) for _ in range(4)]
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def loss_of(x, t, b):
        z = model(x)
        return (pl.cross_entropy(z[:, :C], t, weight=class_w, label_smoothing=0.1)
                + pl.binary_cross_entropy_with_logits(z[:, C], b, pos_weight=pos_w))

    start = {k: v.clone() for k, v in model.state_dict().items()}
    eager_losses = []
    for x, t, b in batches:
        opt.zero_grad(set_to_none=False)
        loss = loss_of(x, t, b)
        loss.backward()
        opt.step()
        eager_losses.append(loss.detach().clone())
    eager_state = {k: v.clone() for k, v in model.state_dict().items()}

    model.load_state_dict(start)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sx, st, sb = (a.clone() for a in batches[0])
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):  # warm-up on a side stream, as torch.cuda.graph asks
        for _ in range(3):
            opt.zero_grad(set_to_none=False)
            loss_of(sx, st, sb).backward()
    torch.cuda.current_stream().wait_stream(side)
    model.load_state_dict(start)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    opt.zero_grad(set_to_none=False)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        static_loss = loss_of(sx, st, sb)
        static_loss.backward()
        opt.step()
    model.load_state_dict(start)  # the capture ran nothing: start again from the same weights
    graph_losses = []
    for x, t, b in batches:
        opt.zero_grad(set_to_none=False)
        sx.copy_(x), st.copy_(t), sb.copy_(b)
        graph.replay()
        graph_losses.append(static_loss.detach().clone())
    torch.cuda.synchronize()
    loss_err = max(float((a - b).abs().max()) for a, b in zip(eager_losses, graph_losses))
    weight_err = max(float((eager_state[k] - v).abs().max()) for k, v in model.state_dict().items())
    print(f"CUDA graph training step: 4 replays, largest loss difference {loss_err:.3g}, "
          f"weights {weight_err:.3g} (eager losses {[round(float(v), 6) for v in eager_losses]})")
    return loss_err <= 1e-5 and weight_err <= 1e-5


def bench_rows(out: Path) -> bool:
    """Check 4: the CUDA benchmark rows, as pytest-benchmark JSON."""
    env = {**os.environ, "POLYLOSS_BACKEND": "torch", "POLYLOSS_BENCH_DEVICE": "cuda"}
    cmd = [sys.executable, "-m", "pytest", "benchmarks/bench_torch.py", "-p", "no:randomly", "-q",
           "-k", "4096x32000 or 65536x10 or 4194304", f"--benchmark-json={out / 'torch-cuda.json'}"]
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode == 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / ".benchmarks" / "gpu", help="where the reports go")
    p.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        print("no CUDA device: nothing checked (torch.cuda.is_available() is False)")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    if args.device == "cpu":
        return 0 if conformance_checks(["torch"], args.out) else 1
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}")
    backends = ["torch:cuda"]
    with contextlib.suppress(Exception):
        import cupy

        if cupy.cuda.runtime.getDeviceCount() > 0:
            backends.append("cupy")
    results = {
        "conformance, and no host sync": conformance_checks(backends, args.out),
        "CUDA graph training step": graph_step_check(),
        "benchmark rows": bench_rows(args.out),
    }
    for name, ok in results.items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
