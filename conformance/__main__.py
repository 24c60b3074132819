"""Command line: ``python -m conformance`` (also ``polyloss-conformance``).

    python -m conformance                          # polyloss on every installed backend
    python -m conformance --backend torch          # polyloss on one backend
    python -m conformance --adapter torch          # torch.nn.functional
    python -m conformance --adapter naive          # the textbook formulas
    python -m conformance --adapter mypkg.losses:ADAPTER --json report.json
    python -m conformance explain cross_entropy/logit_shift_1e4/float32

Exit status: 0 when every case that ran passed (skips allowed) and each run
validated at least one case, 1 when any case failed or a run validated
nothing (every case skipped, or the adapter provides none of the selected
functions), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from . import DISTRIBUTION, __version__
from ._cases import load_cases
from ._formats import FLOAT_DTYPES
from ._runner import BUDGETS, DTYPE_CONTRACTS, Report, check_function_names, run_cases, run_parallel
from .adapters import BACKENDS, builtin_adapter_spec, installed_backends, resolve

#: The libraries the CLI needs, all brought by this extra of polyloss-xp.
_NEEDS = ("numpy", "mpmath")
_EXTRA = "pip install 'polyloss-xp[conformance]'"

__all__ = ["main"]


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    out = []
    for v in values:
        out += [p.strip() for p in v.split(",") if p.strip()]
    return out or None


def _prog() -> str:
    """The program as invoked: ``polyloss-conformance`` (the script) or ``python -m conformance``."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return "python -m conformance" if name in ("", "-c", "__main__.py") else name


class _Version(argparse.Action):
    """``--version``: the distribution's version and the case set's, then exit."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0,
                         help=f"print the versions of the {DISTRIBUTION} distribution and of the case set, then exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: object, values: object, option_string: object = None) -> None:
        try:
            cases = f"case set {load_cases().version}"
        except Exception as exc:  # report the versions that are known
            cases = f"case set not loadable ({type(exc).__name__}: {exc})"
        where = os.path.dirname(os.path.abspath(__file__))
        print(f"{parser.prog} ({DISTRIBUTION} {__version__}), {cases}\npackage: {where}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=_prog(),
        description="Run the polyloss golden-case conformance suite against an implementation and print a table "
                    "(rows: function x tag group; columns: pass, fail, skip, worst error vs budget).",
        epilog="Exit status 0: every case that ran passed; 1: some case failed, or a run validated nothing; "
               "2: usage error.  'python -m conformance explain CASE_ID' prints one case in full.",
    )
    p.add_argument("--adapter", action="append",
                   help="what to test: 'polyloss' (default; every selected backend), 'polyloss:<backend>', 'torch', 'exact' (self-test), "
                        "'torch:cuda', 'naive', or 'module:attr' (an adapter object, an adapter factory, or a "
                        "mapping / module of functions with the polyloss signatures); repeatable")
    p.add_argument("--backend", action="append",
                   help=f"array backend(s) for polyloss and for module:attr mappings, comma-separated, "
                        f"optionally with a device (torch:cuda); one of {', '.join(BACKENDS)}. "
                        f"Default: every installed one (or $POLYLOSS_BACKEND) for polyloss, numpy for mappings")
    p.add_argument("--dtype", action="append", help=f"only these dtypes ({', '.join(FLOAT_DTYPES)}); comma-separated")
    p.add_argument("--tag", action="append", help="only cases with any of these tags; comma-separated")
    p.add_argument("--exclude-tag", action="append", help="drop cases with any of these tags (e.g. subnormal)")
    p.add_argument("--function", action="append", help="only these functions; comma-separated")
    p.add_argument("--tier", choices=list(BUDGETS), default="strict",
                   help="error budget: strict (polyloss's promise, default) or reference (for other libraries)")
    p.add_argument("--dtype-contract", choices=list(DTYPE_CONTRACTS), default="error",
                   help="a result of the wrong dtype: 'error' fails the case (polyloss's contract, default); 'warn' "
                        "records a warning and judges the accuracy alone (for other libraries)")
    p.add_argument("--json", metavar="PATH", type=Path, help="also write a JSON report (per-case status, error, budget)")
    p.add_argument("--cases-dir", type=Path, help="read cases from this directory instead of the shipped ones")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="worker processes per adapter given by name (default: one per CPU, up to 8, for "
                        "jax, dask and ndonnx, whose per-call cost is compilation or graph building; 1 otherwise)")
    p.add_argument("--failures", type=int, default=30, metavar="N", help="list at most N failures per run (default 30)")
    p.add_argument("--list-tags", action="store_true", help="print the tags and how many cases carry each, then exit")
    p.add_argument("--version", action=_Version)
    return p


def _adapters(args: argparse.Namespace) -> list[tuple[str | None, object]]:
    """(spec string a worker process can rebuild the adapter from, or None; adapter)."""
    specs = _split(args.adapter) or ["polyloss"]
    backends = _split(args.backend)
    out: list[tuple[str | None, object]] = []
    for spec in specs:
        if spec == "polyloss":
            names = backends
            if names is None:
                env = os.environ.get("POLYLOSS_BACKEND", "")
                names = [n.strip() for n in env.split(",") if n.strip()] or installed_backends()
            out += [(f"polyloss:{b}", resolve(f"polyloss:{b}")) for b in names]
        elif ":" in spec and not spec.startswith("polyloss:") and not builtin_adapter_spec(spec):
            for b in backends or ["numpy"]:
                out.append((None, resolve(spec, backend=b)))
        else:
            out.append((spec, resolve(spec)))
    return out


#: Backends whose cases cost compilation or graph building rather than arithmetic: JAX compiles
#: every operation for every new shape, Dask builds and schedules a task graph per call, eager
#: ndonnx starts an onnxruntime session per node. Their cases run in one process per CPU (on 2
#: CPUs Dask's 1674 took 117 s instead of 177 s); the others' take seconds, less than a start.
_PARALLEL = ("polyloss:jax", "polyloss:dask", "polyloss:ndonnx")


def _jobs(args: argparse.Namespace, spec: str | None) -> int:
    """Worker processes for one adapter: --jobs, else one per CPU (up to 8) for the
    :data:`_PARALLEL` backends, else 1."""
    if spec is None:
        return 1
    if args.jobs is not None:
        return max(1, args.jobs)
    if spec.startswith(_PARALLEL):
        try:
            cpus = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            cpus = os.cpu_count() or 1
        return max(1, min(8, cpus))
    return 1


def _environment(reports: list[Report]) -> dict:
    """Versions of polyloss's dependencies, and of each adapter's own library (``library`` and
    ``version`` in its ``metadata()``)."""
    import importlib.metadata as md

    versions = {}
    for dist in ("polyloss-xp", "numpy", "torch", "array-api-strict", "jax", "jaxlib", "dask", "cupy", "mpmath",
                 "array-api-compat"):
        try:
            versions[dist] = md.version(dist)
        except md.PackageNotFoundError:
            continue
    for r in reports:
        library, version = r.metadata.get("library"), r.metadata.get("version")
        if library and version:
            versions[str(library)] = str(version)
    return versions


def _missing_dependencies() -> str | None:
    """What to install when NumPy or mpmath is missing (None: both import)."""
    import importlib

    missing = []
    for name in _NEEDS:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if not missing:
        return None
    verb = "is" if len(missing) == 1 else "are"
    return f"conformance needs {' and '.join(missing)}, which {verb} not installed: {_EXTRA}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    why = _missing_dependencies()
    if why:
        print(f"error: {why}", file=sys.stderr)
        return 2
    if argv[:1] == ["explain"]:
        from ._explain import main as explain

        return explain(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        case_set = load_cases(args.cases_dir)
    except Exception as exc:
        print(f"error: cannot load the cases: {exc}", file=sys.stderr)
        return 2
    if args.list_tags:
        counts: dict[str, int] = {}
        for c in case_set:
            for t in c.tags:
                counts[t] = counts.get(t, 0) + 1
        for t, n in sorted(counts.items()):
            print(f"{t:24s} {n}")
        return 0
    dtypes = _split(args.dtype)
    for d in dtypes or ():
        if d not in FLOAT_DTYPES:
            parser.error(f"unknown dtype {d!r}; known: {', '.join(FLOAT_DTYPES)}")
    try:
        adapters = _adapters(args)
        for _, adapter in adapters:
            check_function_names(adapter, case_set)
    except Exception as exc:
        print(f"error: cannot build the adapter: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    functions = _split(args.function)
    unknown = sorted(set(functions or ()) - set(case_set.functions()))
    if unknown:
        print(f"error: no cases for function(s) {', '.join(unknown)}; known: {', '.join(case_set.functions())}",
              file=sys.stderr)
        return 2
    cases = case_set.select(functions=functions, dtypes=dtypes, tags=_split(args.tag),
                            exclude_tags=_split(args.exclude_tag))
    if not cases:
        print("error: no case matches the selection: nothing was validated", file=sys.stderr)
        return 2
    print(f"polyloss-conformance ({DISTRIBUTION} {__version__}): {len(cases)} of {len(case_set)} cases (case set {case_set.version}, "
          f"sha256 {case_set.sha256[:12]}), tier {args.tier}, budgets (ulp) "
          + ", ".join(f"{d} {b:g}" for d, b in BUDGETS[args.tier].items()))
    reports: list[Report] = []
    seconds: list[float] = []
    for spec, adapter in adapters:
        t0 = time.perf_counter()
        jobs = _jobs(args, spec)
        if jobs > 1 and spec is not None and getattr(adapter, "backend", None) is not None \
                and adapter.backend.unavailable_cached() is None:
            report = run_parallel(spec, cases, tier=args.tier, case_set=case_set, jobs=jobs,
                                  dtype_contract=args.dtype_contract)
        else:
            report = run_cases(adapter, cases, tier=args.tier, case_set=case_set,
                               dtype_contract=args.dtype_contract)
        seconds.append(time.perf_counter() - t0)
        reports.append(report)
        print()
        print(report.table(max_failures=args.failures))
        print(f"{report.summary()} in {seconds[-1]:.1f}s")
        sys.stdout.flush()
    empty = [r.nothing_validated() for r in reports if r.nothing_validated()]
    ok = all(r.ok for r in reports) and not empty
    if len(reports) > 1:
        print()
        for r in reports:
            print(("PASS  " if r.ok and r.validated else "FAIL  ") + r.summary())
    for why in empty:
        print(f"error: {why}", file=sys.stderr)
    if args.json:
        doc = {
            "format": "polyloss-conformance-report",
            "format_version": 1,
            "conformance_version": __version__,
            "case_set": {"version": case_set.version, "sha256": case_set.sha256, "total_cases": len(case_set),
                         "selected_cases": len(cases)},
            "selection": {"dtypes": dtypes, "tags": _split(args.tag), "exclude_tags": _split(args.exclude_tag),
                          "functions": _split(args.function)},
            "tier": args.tier,
            "dtype_contract": args.dtype_contract,
            "environment": _environment(reports),
            "ok": ok,
            "runs": [dict(r.to_json(), seconds=round(s, 3)) for r, s in zip(reports, seconds, strict=True)],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
