"""Turn pytest-benchmark JSON files into a benchmarks page (Markdown) and its plot.

It needs matplotlib: run it through nox, which installs it (the ``bench`` dependency group)::

    nox -s bench_report -- .benchmarks/numpy.json .benchmarks/torch.json .benchmarks/jax.json

writes ``.benchmarks/report/benchmarks.md`` and ``.benchmarks/report/img/benchmarks.png``;
``--out docs`` replaces the committed ``docs/benchmarks.md`` and ``docs/img/benchmarks.png``
(only when asked).

Every ratio is polyloss / peer of the medians of one group: the implementations of a
group ran one after the other in the same session, on the same machine. The goals are
the :data:`GOALS` below; the machine description comes from the JSON
(``benchmarks/conftest.py`` records CPU model, cores, threads, load average and library
versions).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (backend, loss, measure, shape, peer, goal): polyloss / peer <= goal
GOALS = [
    ("torch", "cross_entropy", "fwd", (4096, 32000), "F.cross_entropy", 1.10),
    ("torch", "cross_entropy", "fwd", (65536, 10), "F.cross_entropy", 1.10),
    ("torch", "cross_entropy", "fwd+bwd", (4096, 32000), "F.cross_entropy", 1.15),
    ("torch", "cross_entropy", "fwd+bwd", (65536, 10), "F.cross_entropy", 1.15),
    ("torch", "binary_cross_entropy_with_logits", "fwd", (4194304,), "F.binary_cross_entropy_with_logits", 1.10),
    # small calls (issue 13): the per-call cost, Python and kernel launches
    ("torch", "cross_entropy", "fwd", (32, 10), "F.cross_entropy", 3.0),
    ("torch", "cross_entropy", "fwd+bwd", (32, 10), "F.cross_entropy", 1.5),
    ("torch", "cross_entropy", "fwd", (256, 1000), "F.cross_entropy", 1.3),
    ("torch", "binary_cross_entropy_with_logits", "fwd", (32,), "F.binary_cross_entropy_with_logits", 3.0),
    ("numpy", "cross_entropy", "fwd", (4096, 32000), "numpy-plain", 0.60),
    ("numpy", "cross_entropy", "fwd", (65536, 10), "numpy-plain", 0.60),
    ("numpy", "binary_cross_entropy_with_logits", "fwd", (4194304,), "numpy-plain", 1.00),
    ("jax", "cross_entropy", "fwd", (4096, 32000), "optax", 1.10),
    ("jax", "cross_entropy", "fwd", (65536, 10), "optax", 1.10),
]
MEMORY_GOAL = 0.25  # numpy cross_entropy peak extra memory / input size at (4096, 32000)

SHORT = {"cross_entropy": "cross_entropy", "binary_cross_entropy_with_logits": "bce_with_logits",
         "linear_cross_entropy": "linear_cross_entropy"}

#: linear_cross_entropy (issue 16): (backend, measure, what, goal); "time": polyloss / peer of the
#: medians; "memory": polyloss's peak / the peer's ("torch") or / the size of the logits
LINEAR_GOALS = [
    ("torch", "fwd+bwd", "memory / peer", 0.10),
    ("torch", "fwd+bwd", "time", 1.25),
    ("numpy", "fwd", "memory / logits", 0.10),
    ("jax", "fwd+bwd", "memory / logits", 0.25),
    ("jax", "fwd+bwd", "time", 1.25),
]
LINEAR_MEASURES = {
    "torch": "peak extra resident memory of one fwd+bwd, gradients included, in a fresh process "
             "(glibc mmap threshold 128 KiB, kernel high-water mark VmHWM; `benchmarks/conftest.py`)",
    "numpy": "tracemalloc's peak during one forward",
    "jax": "temporaries of the compiled `jit(value_and_grad)` (`memory_analysis().temp_size_in_bytes`)",
}


def load(paths: list[Path]) -> tuple[list[dict], list[dict]]:
    benches, machines = [], []
    for p in paths:
        data = json.loads(p.read_text())
        machine = dict(data.get("machine_info", {}))
        machine["_file"] = p.name
        machine["_datetime"] = data.get("datetime")
        machines.append(machine)
        for b in data["benchmarks"]:
            info = b.get("extra_info", {})
            if "impl" not in info:
                continue
            benches.append({**info, "shape": tuple(info["shape"]), "median": b["stats"]["median"],
                            "rounds": b["stats"]["rounds"], "iqr": b["stats"]["iqr"]})
    return benches, machines


def fmt_time(s: float) -> str:
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.0f} µs"


def fmt_shape(shape: tuple[int, ...]) -> str:
    if len(shape) == 1 and shape[0] >= 1 << 20:
        return f"{shape[0] / (1 << 20):g}M"
    return "×".join(map(str, shape))


def groups_of(benches: list[dict]) -> dict[tuple, dict[str, dict]]:
    out: dict[tuple, dict[str, dict]] = defaultdict(dict)
    for b in benches:
        if b["measure"] == "memory":
            continue
        out[(b["backend"], b["loss"], b["measure"], b["shape"])][b["impl"]] = b
    return out


#: Why a goal can be missed, printed under the goals table when it is.
_CONTENTION = (
    "At small sizes a call's time is Python and the number of operations, not arithmetic. "
    "`F.cross_entropy` is one ATen call; polyloss's express lane checks its arguments and makes "
    "four (torch's log-softmax, the rows' losses, a host read of their extremes -- which rows need "
    "the accurate formula -- and the reduction), and its backward is torch's own graph. With a "
    "gradient the backward, the same in both, is most of the time, and this row's ratio moves "
    "from run to run by more than its margin to the goal; with two threads a parallel region "
    "can also wait a scheduler time slice for its second thread on a loaded machine."
)

WHY = {
    ("torch", "cross_entropy", "fwd"): _CONTENTION,
    ("torch", "cross_entropy", "fwd+bwd"): _CONTENTION,
    ("torch", "binary_cross_entropy_with_logits", "fwd"): (
        "torch's kernel is `(1 - y) z - logsigmoid(z)`: one transcendental pass and three light ones, "
        "but the subtraction cancels (`z = -88.8, y = 0` gives 0 instead of 2.7e-39). polyloss "
        "evaluates `lerp(relu(z), relu(-z), y) + log1p(exp(-|z|))` (every term >= 0) in "
        "cache-sized blocks: cheaper transcendentals than `logsigmoid`, but more light passes, and "
        "a check that the targets are in [0, 1] (one `aminmax` over them) that torch does not make. "
        "Where torch's three fresh 16 MB temporaries fault their pages in on every call (the "
        "allocator's default behaviour) polyloss is well ahead; with warm memory the two are close."
    ),
    ("numpy", "cross_entropy", "fwd"): (
        "The chunked path runs max, subtract, exp and NumPy's pairwise sum on cache-sized blocks; the "
        "plain formulation's cost is dominated by page faults on its two N x C temporaries, "
        "which depend on the machine's memory pressure: the ratio moves between 0.3 and 0.65 "
        "from run to run on a shared machine."
    ),
    ("jax", "cross_entropy", "fwd"): (
        "At (65536, 10) both take about a millisecond. polyloss's call also validates the "
        "targets, masks ignored ones and divides by the summed weights (fused N-element passes "
        "optax's bare formula does not make), and its exact tail comes from a variadic "
        "(sum, rest) reduction; how XLA:CPU compiles these differs between versions and CPUs "
        "(compare the two machines below)."
    ),
}


NOTES = """
Notes:

- **Allocator.** The main run keeps the allocator's defaults, as a user's process does:
  glibc serves a multi-megabyte temporary with a fresh `mmap` (or trims the heap once
  enough is free), so a loss that allocates large temporaries on every call pays page
  faults on every call. The "warm memory" run (`POLYLOSS_BENCH_MALLOC=steady`) raises
  glibc's mmap threshold to 32 MiB and disables the trim: every implementation reuses its
  memory, the peers' best case (polyloss's blocked paths keep their buffers anyway).
- **BCE with autograd.** The goals table holds the forward pass. torch's backward is
  `sigmoid(z) - y`, which rounds the gradients of confident, correct predictions to 0
  (golden case `binary_cross_entropy_with_logits/grad_confident`); polyloss's
  `(1 - y) sigmoid(z) - y sigmoid(-z)` keeps them at the cost of a second sigmoid pass:
  see the `fwd+bwd` rows below.
- **Small batches** (32 × 10, 32): a polyloss call validates its arguments and reads a few
  values (targets in range, probabilities in [0, 1]), tens of microseconds that a kernel
  call does not spend; at these sizes every implementation takes microseconds.
"""


def why_text(groups) -> str:
    out, said = [], set()
    for backend, loss, measure, shape, peer, goal in GOALS:
        g = groups.get((backend, loss, measure, shape))
        key = (backend, loss, measure)
        if g and "polyloss" in g and peer in g and g["polyloss"]["median"] / g[peer]["median"] > goal and key in WHY:
            if WHY[key] not in said:
                out.append(f"- **{backend} {SHORT[loss]} {measure} {fmt_shape(shape)}**: {WHY[key]}")
                said.add(WHY[key])
    return ("\n".join(out) + "\n") if out else ""


def goal_rows(groups, benches, only_run: bool = False) -> list[list[str]]:
    rows = []
    for backend, loss, measure, shape, peer, goal in GOALS:
        g = groups.get((backend, loss, measure, shape))
        if not g or "polyloss" not in g or peer not in g:
            if only_run:
                continue
            rows.append([backend, f"{SHORT[loss]} {measure}", fmt_shape(shape), "—", "—", "—", f"≤ {goal:.2f}", "not run"])
            continue
        r = g["polyloss"]["median"] / g[peer]["median"]
        rows.append([backend, f"{SHORT[loss]} {measure} vs {peer}", fmt_shape(shape), fmt_time(g["polyloss"]["median"]),
                     fmt_time(g[peer]["median"]), f"**{r:.2f}**", f"≤ {goal:.2f}", "met" if r <= goal else "**not met**"])
    mem = {b["impl"]: b for b in benches if b["measure"] == "memory" and b["loss"] == "cross_entropy"}
    if "polyloss" in mem:
        r = mem["polyloss"]["peak_over_input"]
        plain = mem.get("numpy-plain")
        rows.append(["numpy", "cross_entropy peak extra memory / input", "4096×32000",
                     f"{mem['polyloss']['peak_bytes'] / 2**20:.1f} MiB",
                     f"{plain['peak_bytes'] / 2**20:.0f} MiB (plain)" if plain else "—",
                     f"**{r:.3f}**", f"≤ {MEMORY_GOAL:.2f}", "met" if r <= MEMORY_GOAL else "**not met**"])
    return rows


def linear_text(benches: list[dict]) -> str:
    """The linear_cross_entropy section: its goals (memory and time), from the benchmarks that ran."""
    lin = [b for b in benches if b["loss"] == "linear_cross_entropy"]
    if not lin:
        return ""
    rows = []
    for backend, measure, what, goal in LINEAR_GOALS:
        if what == "time":
            g = {b["role"]: b for b in lin if b["backend"] == backend and b["measure"] == measure}
        else:
            g = {b["role"]: b for b in lin if b["backend"] == backend and b["measure"] == "memory"}
        if "subject" not in g or "peer" not in g:
            continue
        sub, peer = g["subject"], g["peer"]
        shape = "×".join(map(str, sub["shape"]))
        if what == "time":
            r = sub["median"] / peer["median"]
            cells = [fmt_time(sub["median"]), f"{fmt_time(peer['median'])} ({peer['impl']})"]
        else:
            den = peer["peak_bytes"] if what == "memory / peer" else sub["logits_bytes"]
            r = sub["peak_bytes"] / den
            cells = [f"{sub['peak_bytes'] / 2**20:.1f} MiB",
                     f"{peer['peak_bytes'] / 2**20:.0f} MiB ({peer['impl']}); logits {sub['logits_bytes'] / 2**20:.0f} MiB"]
        rows.append([backend, f"{measure} {what}", shape, *cells, f"**{r:.3f}**" if r < 0.1 else f"**{r:.2f}**",
                     f"≤ {goal:.2f}", "met" if r <= goal else "**not met**"])
    how = "\n".join(f"- {k}: {v}" for k, v in LINEAR_MEASURES.items())
    return f"""
## Linear cross entropy

`linear_cross_entropy(h, W, t)` against the plain composition of the logits (`F.cross_entropy(F.linear(h, W), t)`
on torch, `cross_entropy(h @ W.T, t)` on NumPy and JAX), float32, shapes tokens × hidden × vocabulary
(the goals of issue 16; see [Linear cross entropy](linear_cross_entropy.md)). Memory:

{how}

{table(["backend", "measure", "shape", "polyloss", "plain composition", "ratio", "goal", ""], rows)}
{LINEAR_NOTES}"""


#: What the linear cross entropy rows do not say by themselves.
LINEAR_NOTES = """
Notes:

- **torch memory**: polyloss's peak is the weight's gradient, two blocks of logits and the
  input's gradient: it does not grow with the tokens; the composition's grows with the logits.
- **torch time**: three products of the size of the logits in both (the logits, the input's and
  the weight's gradients); the composition also writes and reads the (tokens, V) logits and
  their gradient, polyloss keeps each block in cache. With blocks of 2M logits instead of 4M
  it was 1.32 in an interleaved run (the weight gradient's accumulation reads and writes a
  weight-sized tensor once per block).
- **NumPy time** (forward, no goal): the blocked products of 65 rows read the weight once per
  block, where the composition makes one large product, so polyloss is slower there (see
  *Every group*).
- **GPU**: the CUDA comparison (and Liger-Kernel, which needs Triton on CUDA and does not run
  on a CPU) is measured only on a machine with a GPU; none was available to these runs.
"""


def all_rows(groups) -> list[list[str]]:
    rows = []
    for key in sorted(groups, key=lambda k: (k[0], k[1], k[2], -math.prod(k[3]))):
        backend, loss, measure, shape = key
        g = groups[key]
        if "polyloss" not in g:
            continue
        p = g["polyloss"]["median"]
        cells = []
        for impl, b in sorted(g.items(), key=lambda kv: {"peer": 0, "other": 1, "reference": 2}.get(kv[1]["role"], 3)):
            if impl == "polyloss":
                continue
            cells.append(f"{impl} {fmt_time(b['median'])} ({p / b['median']:.2f})")
        per_elem = p / math.prod(shape) * 1e9
        rows.append([backend, f"{SHORT[loss]} {measure}", fmt_shape(shape), fmt_time(p), f"{per_elem:.2f}", "; ".join(cells)])
    return rows


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def machine_text(machines: list[dict]) -> str:
    lines = []
    for m in machines:
        pl = m.get("polyloss", {})
        load = pl.get("loadavg_at_start"), pl.get("loadavg_at_end")
        versions = ", ".join(f"{k} {v}" for k, v in pl.get("versions", {}).items())
        lines.append(
            f"- `{m['_file']}` ({m.get('_datetime', '?')}): {pl.get('cpu_model', m.get('cpu', {}).get('brand_raw', '?'))}, "
            f"{pl.get('logical_cpus', '?')} logical CPUs, intra-op threads: {pl.get('threads', '?')}"
            + (f" (torch {pl['torch_threads']})" if "torch_threads" in pl else "")
            + (f", JAX on {pl['jax_backend']}" if "jax_backend" in pl else "")
            + (f"; allocator: {pl['allocator']}" if "allocator" in pl else "")
            + f"; load average {fmt_load(load[0])} at start, {fmt_load(load[1])} at end; {pl.get('platform', '')}"
        )
        lines.append(f"  - versions: {versions}")
    return "\n".join(lines)


def fmt_load(v) -> str:
    return "?" if not v else "/".join(f"{x:.1f}" for x in v)


def plot(groups, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    backends = [b for b in ("torch", "numpy", "jax") if any(k[0] == b for k in groups)]
    # wide enough for the legend (two columns) when there is one panel
    fig, axes = plt.subplots(1, len(backends), figsize=(max(5.2 * len(backends), 7.0), 4.6), squeeze=False)
    colors = {"subject": "#3f51b5", "peer": "#e65100", "other": "#8d6e63", "reference": "#9e9e9e"}
    for ax, backend in zip(axes[0], backends):
        keys = sorted((k for k in groups if k[0] == backend and "polyloss" in groups[k]),
                      key=lambda k: (k[1], k[2], -math.prod(k[3])))
        labels, xs = [], []
        for i, key in enumerate(keys):
            g = groups[key]
            impls = sorted(g.items(), key=lambda kv: {"subject": 0, "peer": 1, "other": 2, "reference": 3}[kv[1]["role"]])
            width = 0.8 / len(impls)
            for j, (impl, b) in enumerate(impls):
                y = b["median"] / math.prod(key[3]) * 1e9
                ax.bar(i - 0.4 + width * (j + 0.5), y, width, color=colors[b["role"]])
            labels.append(f"{SHORT[key[1]]}\n{key[2]} {fmt_shape(key[3])}")
            xs.append(i)
        ax.set_yscale("log")
        ax.set_xticks(xs, labels, fontsize=6.5, rotation=35, ha="right")
        ax.set_title(backend)
        ax.set_ylabel("median time per element (ns)")
        ax.grid(axis="y", which="both", alpha=0.3)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colors.values()]
    # one legend column per backend panel's width: 4 across three panels, 2 (two rows) on one
    legend = fig.legend(handles, ["polyloss", "peer (torch.nn.functional / plain NumPy / optax)",
                                  "other peer (scipy logsumexp / jax.nn)", "polyloss, fast paths off"],
                        loc="upper center", ncol=min(4, 2 * len(backends)), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.93 if len(backends) > 1 else 0.88))
    path.parent.mkdir(parents=True, exist_ok=True)
    # "tight": the saved image grows to hold everything drawn, the legend included
    fig.savefig(path, dpi=130, bbox_inches="tight", bbox_extra_artists=[legend])
    plt.close(fig)
    return legend


def secondary_text(paths: list[Path], label: str) -> str:
    if not paths:
        return ""
    benches, machines = load(paths)
    groups = groups_of(benches)
    title, _, text = label.partition(": ")
    return f"""
## {title}

{text}

{table(["backend", "measure", "shape", "polyloss", "peer", "ratio", "goal", ""], goal_rows(groups, benches, only_run=True))}

{machine_text(machines)}
"""


def write(paths: list[Path], out_md: Path, out_png: Path, others: list[tuple[str, list[Path]]] = ()) -> str:
    benches, machines = load(paths)
    groups = groups_of(benches)
    plot(groups, out_png)
    rel_png = Path("img") / out_png.name
    text = f"""# Benchmarks

polyloss against its peers, measured side by side in one run per backend with
[pytest-benchmark](https://pytest-benchmark.readthedocs.io): `torch.nn.functional`; the
plain NumPy formulations and `scipy.special.logsumexp`; optax and `jax.nn` under
`jax.jit`. Ratios are polyloss / peer of the medians (lower is better); each goal is
the largest ratio polyloss aims for. Reproduce with

```bash
export POLYLOSS_BENCH_THREADS=1
nox -s "bench(backend='torch')" "bench(backend='numpy')" "bench(backend='jax')"
nox -s bench_report -- --out docs .benchmarks/torch.json .benchmarks/numpy.json .benchmarks/jax.json
```

(`bench_report` runs `benchmarks/report.py` with matplotlib installed; without
`--out docs` it writes into `.benchmarks/report/` and leaves this page alone.)

The goals are judged on one intra-op thread, as a training loop's data-loader workers
and a shared machine leave it: each implementation's per-call cost, with no wait for a
second thread (`POLYLOSS_BENCH_THREADS` pins torch's and XLA's intra-op threads; unset,
each library takes its default;
`POLYLOSS_BENCH_MALLOC=steady` gives every implementation warm memory;
`benchmarks/conftest.py` describes the variables.) Inputs are float32: logits from a standard normal, uniform
random class indices; BCE logits are 3 × a standard normal with uniform targets.
Only the subject differs between "polyloss" and "generic": the same call with
`polyloss.options(fast_paths=False)`.

## Goals

{table(["backend", "measure", "shape", "polyloss", "peer", "ratio", "goal", ""], goal_rows(groups, benches))}

{why_text(groups)}
{NOTES}{linear_text(benches)}
## Every group

Time per element in ns for polyloss; in brackets, polyloss / that implementation.

{table(["backend", "measure", "shape", "polyloss", "ns / element", "others (polyloss / other)"], all_rows(groups))}

![time per element by shape and backend]({rel_png.as_posix()})

## Machine

{machine_text(machines)}

Timings on a shared machine vary with its load (recorded above); ratios within a group
are the meaningful numbers, and a goal is judged from one run.
{"".join(secondary_text(files, label) for label, files in others)}"""
    out_md.write_text(text)
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", nargs="+", type=Path, help="pytest-benchmark JSON files")
    ap.add_argument("--out", type=Path, default=ROOT / ".benchmarks" / "report", metavar="DIR",
                    help="write DIR/benchmarks.md and DIR/img/benchmarks.png (default .benchmarks/report; "
                         "'--out docs' replaces the committed page and plot)")
    ap.add_argument("--also", nargs="+", action="append", default=[], metavar=("LABEL", "JSON"),
                    help="another run: 'Title: description' then its JSON files (a goals table each)")
    args = ap.parse_args(argv)
    md, png = args.out / "benchmarks.md", args.out / "img" / "benchmarks.png"
    md.parent.mkdir(parents=True, exist_ok=True)
    write(args.json, md, png, [(a[0], [Path(f) for f in a[1:]]) for a in args.also])
    print(f"wrote {md} and {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
