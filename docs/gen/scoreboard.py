"""Write docs/_generated/scoreboard.md: the conformance suite run on every implementation.

Runs ``conformance.run`` for polyloss on every installed backend (tier "strict", what
polyloss promises) and for ``torch.nn.functional`` and the naive textbook formulas (tier
"reference", the budget for judging other libraries), each in its own process -- except
polyloss's runs that ``nox -s conformance`` has just made (its JSON report, where it is
current: :func:`saved_reports`), which are read instead of run again -- and writes: a summary table (counts and the worst measured error per dtype, against its
budget), a function-by-implementation matrix, the reasons for skips, and every failure.
Nothing in it is typed by hand.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "_generated" / "scoreboard.md"
#: What ``nox -s conformance`` writes (``python -m conformance --json``): polyloss on every
#: CPU backend whose conformance run is not bounded.
SAVED = ROOT / "build" / "conformance" / "polyloss.json"
DTYPES = ("float64", "float32", "float16", "bfloat16")
SHORT = {"float64": "f64", "float32": "f32", "float16": "f16", "bfloat16": "bf16"}


def adapters() -> list[tuple[str, str]]:
    """(adapter spec, tier) for every implementation that can run here."""
    import importlib.util

    import conformance

    specs = [(f"polyloss:{b}", "strict") for b in conformance.installed_backends()]
    if importlib.util.find_spec("torch") is not None:
        specs.append(("torch", "reference"))
    specs.append(("naive", "reference"))
    return specs


def _run(spec: str, tier: str):
    import conformance

    return conformance.run(spec, tier=tier)


def saved_reports(path: Path = SAVED, root: Path = ROOT) -> dict[str, object]:
    """polyloss's reports in ``path`` by adapter spec (``"polyloss:numpy"``), where the file is
    current: the shipped case set (its sha256), every case selected, tier strict, and
    written after the last change to any file of ``polyloss/`` and ``conformance/`` under
    ``root`` (no change since went unmeasured). Empty where any of that fails, or there is no file."""
    import json

    import conformance

    if not path.is_file():
        return {}
    doc = json.loads(path.read_text(encoding="utf-8"))
    newest = max(f.stat().st_mtime for d in ("polyloss", "conformance") for f in (root / d).rglob("*") if f.is_file())
    current = (
        doc.get("format") == "polyloss-conformance-report"
        and doc["case_set"]["sha256"] == conformance.load_cases().sha256
        and not any(doc["selection"].values())
        and doc["tier"] == "strict"
        and path.stat().st_mtime > newest
    )
    if not current:
        return {}
    runs = [conformance.Report.from_json(r) for r in doc["runs"]]
    return {"polyloss:" + r.adapter.removeprefix("polyloss[").removesuffix("]"): r
            for r in runs if r.adapter.startswith("polyloss[")}


def run_all() -> list:
    specs = adapters()
    saved = saved_reports()
    todo = [(spec, tier) for spec, tier in specs if spec not in saved]
    for spec in sorted(saved.keys() & {spec for spec, _ in specs}):
        print(f"  {spec}: read from {SAVED.relative_to(ROOT)} (nox -s conformance)")
    workers = max(1, min(len(todo), os.cpu_count() or 1))
    # spawn: a fresh interpreter per adapter, so no backend state (JAX's x64 flag,
    # a Dask scheduler) leaks from one run into another.
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {spec: pool.submit(_run, spec, tier) for spec, tier in todo}
        reports = [saved[spec] if spec in saved else futures[spec].result() for spec, _ in specs]
    for r in reports:
        print(f"  {r.summary()}")
    return reports


# -- formatting ---------------------------------------------------------------------------


def _num(x: float) -> str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf"
    return f"{x:.3g}"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _implementation(report) -> str:
    be = report.metadata.get("backend", {})
    if report.adapter.startswith("polyloss["):
        return f"polyloss on {be.get('library', report.adapter)}"
    return report.adapter


def _column(report) -> str:
    """A short column title: the backend for polyloss, the adapter's name otherwise."""
    be = report.metadata.get("backend", {})
    if report.adapter.startswith("polyloss["):
        return be.get("library", report.adapter).replace("array_api_strict", "array-api-strict")
    return {"torch.nn.functional": "torch.nn.functional"}.get(report.adapter, report.adapter)


def _version(report) -> str:
    be = report.metadata.get("backend", {})
    lib, ver = be.get("library"), be.get("version")
    return f"{lib} {ver}" if lib and ver else ""


def _worst(report, dtype: str) -> str:
    w = report.worst(dtype)
    if w is None:
        return "–"
    mark = " ✗" if not w.error_ulps <= w.budget_ulps else ""
    return f"{_num(w.error_ulps)} / {w.budget_ulps:g}{mark}"


def summary_table(reports: list) -> list[str]:
    lines = [
        "| implementation | library | tier | passed | failed | skipped |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    for r in reports:
        failed = f"**{r.failed}**" if r.failed else "0"
        lines.append(f"| {_implementation(r)} | {_version(r)} | {r.tier} | {r.passed} | {failed} | {r.skipped} |")
    return lines


def worst_table(reports: list) -> list[str]:
    lines = [
        "| implementation | " + " | ".join(DTYPES) + " |",
        "| --- | " + " | ".join("---:" for _ in DTYPES) + " |",
    ]
    for r in reports:
        lines.append(f"| {_implementation(r)} | " + " | ".join(_worst(r, d) for d in DTYPES) + " |")
    return lines


def function_matrix(reports: list) -> list[str]:
    functions = sorted({res.function for r in reports for res in r.results})
    head = "| function | " + " | ".join(_column(r) for r in reports) + " |"
    lines = [head, "| --- | " + " | ".join(":---:" for _ in reports) + " |"]
    for fn in functions:
        cells = []
        for r in reports:
            ran = [x for x in r.results if x.function == fn and x.status != "skip"]
            bad = sum(x.failed for x in ran)
            if not ran:
                cells.append("–")
            elif bad:
                cells.append(f"**{len(ran) - bad}/{len(ran)}**")
            else:
                cells.append(f"{len(ran)}/{len(ran)}")
        lines.append(f"| `{fn}` | " + " | ".join(cells) + " |")
    return lines


def skip_reasons(reports: list) -> list[str]:
    lines = ["| implementation | skipped | reason |", "| --- | ---: | --- |"]
    for r in reports:
        for reason, n in Counter(x.reason for x in r.results if x.status == "skip").most_common():
            lines.append(f"| {_implementation(r)} | {n} | {_cell(reason)} |")
    return lines


def failure_details(reports: list) -> list[str]:
    out: list[str] = []
    for r in reports:
        fails = r.failures()
        if not fails:
            continue
        # polyloss's own failures open (they break its promise), the others' folded
        fold = "???+" if r.adapter.startswith("polyloss[") else "???"
        out += ["", f'{fold} failure "{_implementation(r)}: {len(fails)} failed (tier {r.tier})"', ""]
        out += ["    | case | error (ulp) | budget | reason |", "    | --- | ---: | ---: | --- |"]
        for x in fails:
            err = _num(x.error_ulps) if x.error_ulps is not None else x.status
            reason = x.reason if len(x.reason) <= 180 else x.reason[:177] + "..."
            out.append(f"    | `{x.id}` | {err} | {x.budget_ulps:g} | {_cell(reason)} |")
    return out


def render(reports: list) -> str:
    import conformance

    meta = reports[0].metadata if reports else {}
    budgets = conformance.BUDGETS
    budget_text = "; ".join(
        f"{tier}: " + ", ".join(f"{SHORT[d]} {b:g}" for d, b in per.items()) for tier, per in budgets.items()
    )
    lines = [
        "<!-- Generated by docs/gen/scoreboard.py with conformance.run; do not edit. -->",
        "",
        f"Case set {meta.get('case_set_version', '?')} (sha256 `{str(meta.get('case_set_sha256', '?'))[:12]}`), "
        f"conformance {meta.get('conformance_version', '?')}, Python {meta.get('python', '?')} on "
        f"`{meta.get('platform', '?')}`, run when this site was built. Errors are in ulps of the "
        f"case's dtype, as *measured / budget* (budgets in ulps, {budget_text}).",
        "",
        *summary_table(reports),
        "",
        "### Worst error per dtype",
        "",
        "The case with the largest measured error relative to its budget, in ulps, as",
        "*measured / budget*; ✗ marks one over its budget, – a dtype with no case run.",
        "",
        *worst_table(reports),
        "",
        "### By function",
        "",
        "Cases passed out of cases run (skips left out), bold where any failed. The columns are",
        "polyloss on each array library, then the other implementations.",
        "",
        *function_matrix(reports),
        "",
        "### Skipped cases",
        "",
        "An adapter declines a case it cannot run (a dtype or autograd the library lacks, a",
        "function it does not have); a skip is never counted as a pass.",
        "",
        *skip_reasons(reports),
    ]
    fails = failure_details(reports)
    if fails:
        lines += ["", "### Failures", "", "Every failing case, with the measured error and the runner's reason."]
        lines += fails
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    reports = run_all()
    OUT.write_text(render(reports))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    sys.exit(main())
