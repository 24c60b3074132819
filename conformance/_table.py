"""Plain-text summary table of a :class:`~conformance.Report`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ._cases import GROUPS

if TYPE_CHECKING:
    from ._cases import Case
    from ._runner import CaseResult, Report

_GROUP_ORDER = [g for g, _ in GROUPS] + ["basic"]
_SHORT = {"float64": "f64", "float32": "f32", "float16": "f16", "bfloat16": "bf16"}


def _err(r: CaseResult) -> str:
    e = r.error_ulps
    if e is None:
        return "-"
    if not math.isfinite(e):
        return "inf"
    if e == 0:
        return "0"
    return f"{e:.3g}" if e < 1e5 else f"{e:.2e}"


def render_table(report: Report, *, max_failures: int = 30, cases: dict[str, Case] | None = None) -> str:
    """The table; with ``cases`` (id -> case), each failure line is followed by the case's inputs."""
    rows: dict[tuple[str, str], list[CaseResult]] = {}
    for r in report.results:
        rows.setdefault((r.function, r.group), []).append(r)
    keys = sorted(rows, key=lambda k: (k[0], _GROUP_ORDER.index(k[1]) if k[1] in _GROUP_ORDER else 99))
    header = ("function", "group", "pass", "fail", "skip", "worst error (ulp) / budget")
    lines = []
    for k in keys:
        rs = rows[k]
        measured = [r for r in rs if r.error_ulps is not None]
        if measured:
            w = max(measured, key=lambda r: r.error_ulps / r.budget_ulps)
            worst = f"{_err(w)} / {w.budget_ulps:g} ({_SHORT.get(w.dtype, w.dtype)})"
        else:
            worst = "-"
        fails = sum(1 for r in rs if r.failed)
        lines.append((k[0], k[1], str(sum(1 for r in rs if r.status == "pass")), str(fails) if fails else "0",
                      str(sum(1 for r in rs if r.status == "skip")), worst + ("  <-" if fails else "")))
    total = ("TOTAL", "", str(report.passed), str(report.failed), str(report.skipped), "")
    widths = [max(len(str(x[i])) for x in [header, total, *lines]) for i in range(len(header))]

    def fmt(row):
        return "  ".join(str(c).ljust(w) if i < 2 or i == 5 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    meta = report.metadata
    title = f"{report.adapter}  (tier {report.tier}; case set {meta.get('case_set_version', '?')}"
    if meta.get("case_set_sha256"):
        title += f", sha256 {meta['case_set_sha256'][:12]}"
    title += ")"
    out = [title, fmt(header), "  ".join("-" * w for w in widths)]
    out += [fmt(r) for r in lines]
    out += ["  ".join("-" * w for w in widths), fmt(total)]
    if report.lacking_line():
        out.append(report.lacking_line())
    worst = report.worst_by_dtype()
    if worst:
        out.append("worst per dtype: " + ", ".join(
            f"{d} {_err(r)} ulp (budget {r.budget_ulps:g}, {r.id})" for d, r in worst.items()))
    fails = report.failures()
    if fails:
        out.append(f"failures ({len(fails)}):")
        for r in fails[:max_failures]:
            out.append(f"  FAIL {r.id}: {r.reason}")
            if cases and r.id in cases:
                out.append(f"       inputs: {cases[r.id].describe_inputs()}")
        if len(fails) > max_failures:
            out.append(f"  ... and {len(fails) - max_failures} more (--json for all)")
    skips = {}
    for r in report.results:
        if r.status == "skip":
            skips[r.reason] = skips.get(r.reason, 0) + 1
    if skips:
        out.append("skipped: " + "; ".join(f"{n} x {why}" for why, n in sorted(skips.items(), key=lambda kv: -kv[1])))
    return "\n".join(out)
