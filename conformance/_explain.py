"""``python -m conformance explain CASE_ID``: one case in full.

Its inputs (exactly, as the case file stores them, and as decimals), every
option and convention, the provenance, the expected value (exact and rounded to
the case's dtype) and the formula the oracle computed it with: the oracle
module's docstring and its function's source.
"""

from __future__ import annotations

import argparse
import difflib
import inspect
import json
import sys
from pathlib import Path

from ._cases import ArrayData, Case, load_cases, option_defaults
from ._formats import FORMATS, parse_expected, round_to

__all__ = ["explain", "main"]

_MAX_VALUES = 64


def _array(name: str, a: ArrayData) -> list[str]:
    vals = a.values()
    head = f"  {name}: {a.dtype}, shape {list(a.shape)}"
    if a.is_int:
        return [head, f"    {vals[:_MAX_VALUES]}" + (f" ... ({len(vals) - _MAX_VALUES} more)" if len(vals) > _MAX_VALUES else "")]
    lines = [head]
    for raw, v in list(zip(a.data, vals, strict=True))[:_MAX_VALUES]:
        lines.append(f"    {raw:>24}  = {v!r}")
    if len(vals) > _MAX_VALUES:
        lines.append(f"    ... ({len(vals) - _MAX_VALUES} more: see conformance/cases/)")
    return lines


def _oracle(function: str) -> list[str]:
    from . import oracle  # needs mpmath and NumPy

    fn = oracle.get(function)
    module = sys.modules[fn.__module__]
    path = Path(inspect.getfile(module))
    lines = [f"oracle ({fn.__module__}, conformance/oracle/{path.name}; mpmath, {oracle.DPS} digits):"]
    lines += [f"  {line}" if line else "" for line in (inspect.getdoc(module) or "").splitlines()]
    lines.append("")
    lines += [f"  {line}" for line in inspect.getsource(fn).rstrip().splitlines()]
    return lines


def explain(case: Case) -> str:
    """Everything about ``case``, as text."""
    out = [f"case {case.id}", f"function {case.function}, kind {case.kind}, dtype {case.dtype}"]
    if case.description:
        out.append(f"description: {case.description}")
    out.append(f"tags: {', '.join(case.tags)}")
    out.append(f"group: {case.group}; case file conformance/cases/{case.source_file}")
    out.append("inputs (positional; exact values as stored, then as Python floats):")
    for name, a in zip(case.arg_names, case.args, strict=True):
        out += _array(name, a)
    if case.cotangent is not None:
        out += _array("cotangent (the gradient is d sum(cotangent * f) / d first argument)", case.cotangent)
    defaults = option_defaults(case.function) or {}
    out.append("options (keyword; * differs from polyloss's default, so an adapter's callable receives it):")
    if not case.kwargs:
        out.append("  (none)")
    differs = case.options()
    for k, v in case.kwargs.items():
        mark = "*" if k in differs else " "
        if isinstance(v, ArrayData):
            out += [f"{mark} " + line[2:] if i == 0 else line for i, line in enumerate(_array(k, v))]
        else:
            note = f" (default {defaults[k]!r})" if k in defaults and k in differs else ""
            out.append(f"{mark} {k} = {v!r}{note}")
    out.append("conventions:")
    out += [f"  {k}: {v}" for k, v in case.conventions.items()]
    out.append("provenance:")
    out += json.dumps(case.provenance, indent=2, ensure_ascii=False).splitlines()[1:-1]
    fmt = FORMATS[case.dtype]
    out.append(f"expected: shape {list(case.expected_shape)} (exact value; then correctly rounded to {case.dtype})")
    for s in case.expected[:_MAX_VALUES]:
        kind, r = parse_expected(s)
        rounded = repr(round_to(r, fmt)) if kind == "finite" else s
        out.append(f"  {s:>48}  -> {rounded}")
    if len(case.expected) > _MAX_VALUES:
        out.append(f"  ... ({len(case.expected) - _MAX_VALUES} more)")
    out.append("")
    out += _oracle(case.function)
    return "\n".join(out)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m conformance explain",
                                description="Print one golden case in full: inputs, options, conventions, "
                                            "provenance, expected value and the oracle's formula.")
    p.add_argument("case_id", help="a case id, e.g. cross_entropy/logit_shift_1e4/float32")
    p.add_argument("--cases-dir", type=Path, help="read cases from this directory instead of the shipped ones")
    args = p.parse_args(argv)
    case_set = load_cases(args.cases_dir)
    by_id = {c.id: c for c in case_set}
    case = by_id.get(args.case_id)
    if case is None:
        close = difflib.get_close_matches(args.case_id, list(by_id), n=5, cutoff=0.5)
        hint = f"; closest: {', '.join(close)}" if close else ""
        print(f"error: no case {args.case_id!r}{hint}", file=sys.stderr)
        return 2
    print(explain(case))
    return 0
