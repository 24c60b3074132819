"""Write docs/_generated/peers.md: the peer scoreboard, from the committed reports in docs/_peers/.

``nox -s peers`` runs ``python -m conformance --adapter NAME --tier reference --json
docs/_peers/NAME.json`` for every peer adapter; this script only reads those reports.
Every number on the page comes from them.  The strict-tier columns apply the strict
budget to the error each run measured: a case that passed the reference tier passes the
strict one when its measured error is within the strict budget, and a case that failed
the reference tier (a larger error, a wrong special value, a contract problem or an
exception) fails both.

The one hand-written part is :data:`DEFECTS`: one line per distinct defect, keyed by a
case id that failed, with the glob patterns of the failures it explains.  The tests
(tests/test_peers.py) check that every id is a failure in the reports and every pattern
matches one; failures no entry explains are listed as such.
"""

from __future__ import annotations

import fnmatch
import json
import math
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from conformance import BUDGETS

DOCS = Path(__file__).resolve().parent.parent
REPORTS = DOCS / "_peers"
OUT = DOCS / "_generated" / "peers.md"
DTYPES = ("float64", "float32", "float16", "bfloat16")


@dataclass(frozen=True)
class Defect:
    """One distinct defect of a peer: ``case`` is a failing case id shown as the example,
    ``covers`` glob patterns of the failing ids it explains (``case`` itself when empty),
    ``text`` what the library returns, what is true, and why.  ``kind`` is "defect", or
    "convention" where the library documents a different definition."""

    adapter: str
    case: str
    text: str
    covers: tuple[str, ...] = ()
    kind: str = "defect"

    def matches(self, case_id: str) -> bool:
        return any(fnmatch.fnmatchcase(case_id, p) for p in (self.covers or (self.case,)))


#: One line per distinct defect (filled in from the reports; see the module docstring).
DEFECTS: tuple[Defect, ...] = ()


# -- reading the reports -----------------------------------------------------------------


@dataclass
class Run:
    file: str
    adapter: str
    metadata: dict
    environment: dict
    cases: dict[str, dict]

    def strict_status(self, c: dict) -> str:
        if c["status"] != "pass":
            return c["status"]
        err = c["error_ulps"]
        return "pass" if isinstance(err, (int, float)) and err <= BUDGETS["strict"][c["dtype"]] else "fail"


def load_runs(directory: Path = REPORTS) -> list[Run]:
    runs = []
    for path in sorted(directory.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for r in doc["runs"]:
            if r["tier"] != "reference":
                msg = f"{path.name}: tier {r['tier']!r}; the scoreboard reads reference-tier runs"
                raise ValueError(msg)
            runs.append(Run(path.stem, r["adapter"], r["metadata"], doc.get("environment", {}), r["cases"]))
    return runs


def failures(run: Run) -> list[str]:
    return [cid for cid, c in run.cases.items() if c["status"] in ("fail", "error")]


# -- formatting ----------------------------------------------------------------------------


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _num(x) -> str:
    if x is None:
        return "–"
    if isinstance(x, str):
        return x
    if math.isinf(x):
        return "inf"
    return f"{x:.3g}"


def _versions(run: Run) -> str:
    libs = run.metadata.get("libraries") or {}
    if not libs:
        be = run.metadata.get("backend", {})
        libs = {be.get("library", "?"): be.get("version", "?")}
    return ", ".join(f"{k} {v}" for k, v in libs.items())


def _counts(cases: list[dict], run: Run) -> tuple[int, int, int, int, int, int]:
    ran = [c for c in cases if c["status"] != "skip"]
    ref_pass = sum(c["status"] == "pass" for c in ran)
    strict_pass = sum(run.strict_status(c) == "pass" for c in ran)
    return len(ran), ref_pass, len(ran) - ref_pass, strict_pass, len(ran) - strict_pass, len(cases) - len(ran)


def _worst(cases: list[dict], dtype: str) -> str:
    """The largest measured error (ulps) among the cases run in ``dtype``; ✗ over the reference budget."""
    measured = [c for c in cases if c["dtype"] == dtype and c["status"] != "skip" and c["error_ulps"] is not None]
    special = [c for c in cases if c["dtype"] == dtype and c["status"] in ("fail", "error") and c["error_ulps"] is None]
    if not measured and not special:
        return "–"
    if special and not measured:
        return "✗ (no value)"

    def key(c):
        e = c["error_ulps"]
        return math.inf if isinstance(e, str) else e

    w = max(measured, key=key)
    mark = " ✗" if w["status"] != "pass" else ""
    return f"{_num(key(w))}{mark}"


def summary_table(runs: list[Run]) -> list[str]:
    lines = ["| adapter | library | run | reference: passed | failed | strict: passed | failed | skipped |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for run in runs:
        n, rp, rf, sp, sf, sk = _counts(list(run.cases.values()), run)
        lines.append(f"| `{run.file}` | {_cell(_versions(run))} | {n} | {rp} | {rf} | {sp} | {sf} | {sk} |")
    return lines


def function_table(run: Run) -> list[str]:
    by_fn: dict[str, list[dict]] = defaultdict(list)
    for c in run.cases.values():
        by_fn[c["function"]].append(c)
    lines = ["| function | run | ref. pass | ref. fail | strict pass | strict fail | skipped | "
             + " | ".join(f"worst {d}" for d in DTYPES) + " |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | " + " | ".join("---:" for _ in DTYPES) + " |"]
    for fn in sorted(by_fn):
        cases = by_fn[fn]
        n, rp, rf, sp, sf, sk = _counts(cases, run)
        if n == 0:
            continue
        worst = " | ".join(_worst(cases, d) for d in DTYPES)
        lines.append(f"| `{fn}` | {n} | {rp} | {f'**{rf}**' if rf else 0} | {sp} | {sf} | {sk} | {worst} |")
    return lines


def declined(run: Run) -> list[str]:
    reasons = Counter(c["reason"] for c in run.cases.values() if c["status"] == "skip")
    provided = {c["function"] for c in run.cases.values() if c["status"] != "skip"}
    lines = []
    absent = [r for r in reasons if r.endswith(tuple(f" has no {f}" for f in _all_functions(run)))]
    missing_fns = sorted({r.rsplit(" has no ", 1)[1] for r in absent} - provided)
    for reason, n in reasons.most_common():
        if reason in absent:
            continue
        lines.append(f"- {n} × {_cell(reason)}")
    if missing_fns:
        lines.append(f"- not provided ({sum(reasons[r] for r in absent)} cases): "
                     + ", ".join(f"`{f}`" for f in missing_fns))
    return lines


def _all_functions(run: Run) -> set[str]:
    return {c["function"] for c in run.cases.values()}


def defect_lines(run: Run) -> list[str]:
    fails = failures(run)
    mine = [d for d in DEFECTS if d.adapter == run.file]
    lines = []
    explained: set[str] = set()
    for d in mine:
        hits = [cid for cid in fails if d.matches(cid)]
        explained.update(hits)
        c = run.cases.get(d.case, {})
        got = f" (got {c.get('got')}, expected {c.get('expected')})" if c.get("got") is not None else ""
        label = "convention" if d.kind == "convention" else "defect"
        lines.append(f"- **{label}**, {len(hits)} failing case(s), e.g. `{d.case}`{_cell(got)}: {_cell(d.text)}")
    rest = [cid for cid in fails if cid not in explained]
    if rest:
        lines.append(f"- **not yet explained** ({len(rest)}): " + ", ".join(f"`{cid}`" for cid in rest))
    return lines


def render(runs: list[Run]) -> str:
    first = runs[0].metadata if runs else {}
    lines = [
        "<!-- Generated by docs/gen/peers.py from docs/_peers/*.json (nox -s peers); do not edit. -->",
        "",
        f"Case set {first.get('case_set_version', '?')} (sha256 `{str(first.get('case_set_sha256', '?'))[:12]}`), "
        f"conformance {first.get('conformance_version', '?')}, Python {first.get('python', '?')} on "
        f"`{first.get('platform', '?')}`.",
        "",
        *summary_table(runs),
    ]
    for run in runs:
        lines += ["", f"### {run.file}", ""]
        why = run.metadata.get("unavailable")
        if why:
            lines += [f"Not run: every case was declined because {_cell(why)}.", ""]
        else:
            lines += [f"Adapter `{run.adapter}`, {_cell(_versions(run))}.", "", *function_table(run), ""]
        dl = declined(run)
        if dl and not why:
            lines += ["Declined (skipped) cases:", "", *dl, ""]
        if failures(run):
            lines += ["Failures, one line per distinct defect or convention:", "", *defect_lines(run), ""]
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    runs = load_runs()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(render(runs), encoding="utf-8")
    print(f"wrote {OUT} ({len(runs)} peer reports)")


if __name__ == "__main__":
    sys.exit(main())
