"""Measuring an implementation against the golden cases.

Truth and budget are kept apart: every case gets its *measured* error (in
ulps of the case's dtype, and relative), and only then is it compared with the
tier's budget for that dtype.

Error of one element, with ``r`` the exact expected value and ``c`` the value
returned:

* ``r`` NaN or ±inf: ``c`` must be the same special (error 0, else infinite);
* ``r`` written "+0.0" / "-0.0": ``c`` must be a zero of that sign;
* ``r`` finite but beyond the dtype's range (it rounds to ±inf): ``c`` must be
  that infinity;
* otherwise ``|c - r| / ulp(r)``, where ``ulp(r)`` is the spacing of the dtype's
  numbers in the binade of ``|r|`` (the subnormal spacing below the normal
  range, so an exact "0" is met by any ``|c|`` up to a few subnormals and an
  underflowing result costs nothing).  A NaN or infinite ``c`` here is an
  infinite error.  In the tiers of :data:`TERMS_TIERS`, an element that is a sum
  of signed terms (tag "signed-sum", its ``scale`` the sum of the terms'
  magnitudes ``s``) is measured as ``|c - r| / ulp(max(|r|, s))``: rounding each
  term in the dtype costs a few ulps of ``s``, not of ``r``.

A case's error is its worst element's; it passes when that is within the
budget.  Budgets are in :data:`BUDGETS` and explained in the README.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ._cases import GROUPS, Case, CaseSet, load_cases
from ._formats import FORMATS, parse_expected, round_to, ulp

__all__ = ["BUDGETS", "DTYPE_CONTRACTS", "GROUPS", "TERMS_TIERS", "TIERS", "CaseResult", "Decline", "Report", "Result",
           "Unsupported", "check_function_names", "measure", "provided_cases", "run", "run_case", "run_cases",
           "run_parallel"]

#: Error budget in ulps of the case's dtype, per tier.
#:
#: strict    -- what polyloss promises: relative 1e-12 in float64
#:              (4096 ulp <= 4096 * 2**-52 = 9.1e-13 relative) and 3e-6 in float32
#:              (24 ulp <= 24 * 2**-23 = 2.9e-6 relative); float16 / bfloat16 are
#:              computed in float32 and rounded once, so 2 ulp (0.5 for the final
#:              rounding, the rest for a rounded intermediate such as a
#:              half-precision elementwise loss summed in float32).
#: reference -- for judging other libraries: what a careful implementation
#:              working in the dtype itself reaches (float64 / float32 about
#:              2**-30 / 2**-15 relative; 8 ulp in half precision, where one
#:              intermediate rounding is already half an ulp).
BUDGETS: dict[str, dict[str, float]] = {
    "strict": {"float64": 4096.0, "float32": 24.0, "float16": 2.0, "bfloat16": 2.0},
    "reference": {"float64": float(2**22), "float32": 256.0, "float16": 8.0, "bfloat16": 8.0},
}
TIERS = tuple(BUDGETS)
#: Tiers that measure a signed sum in ulps of the sum of the magnitudes of its terms
#: (the case's ``scale``): a careful implementation that computes each term in the
#: dtype, correctly rounded, is off by a few ulps of that, however much the terms
#: cancel.  The strict tier measures every element in ulps of its own value.
TERMS_TIERS: frozenset[str] = frozenset({"reference"})


@dataclass
class Result:
    """What an adapter returns for a case it ran.

    ``value`` is anything NumPy can turn into a float64 array (scalars too);
    ``dtype`` the name of the dtype the implementation returned (None if
    unknown: not checked); ``problems`` lists contract violations the adapter
    saw (wrong array type, wrong device, ...), each of which fails the case.
    """

    value: Any
    dtype: str | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class Decline:
    """An adapter's refusal to run a case (reported as a skip), with the reason."""

    reason: str


class Unsupported(Exception):  # noqa: N818 - a decline, not an error
    """Raised by an implementation (or an adapter) to decline a case: a skip with ``reason``.

    A callable of a mapping raises it for inputs or options it does not handle::

        def cross_entropy(input, target, *, label_smoothing=0.0, case=None):
            if label_smoothing:
                raise conformance.Unsupported("no label smoothing")
            ...

    It may be raised anywhere below ``evaluate`` (inside a JAX trace too).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class CaseResult:
    id: str
    function: str
    dtype: str
    kind: str
    group: str
    tags: tuple[str, ...]
    status: str  # "pass", "fail", "skip", "error"
    budget_ulps: float
    error_ulps: float | None = None
    error_rel: float | None = None
    worst_index: tuple[int, ...] | None = None
    got: str | None = None
    expected: str | None = None
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status in ("fail", "error")

    def to_json(self) -> dict:
        def num(v):
            if v is None:
                return None
            return v if math.isfinite(v) else ("inf" if v > 0 else "nan")

        out = {
            "function": self.function, "dtype": self.dtype, "kind": self.kind, "group": self.group,
            "tags": list(self.tags), "status": self.status, "error_ulps": num(self.error_ulps),
            "error_rel": num(self.error_rel), "budget_ulps": self.budget_ulps, "reason": self.reason,
        }
        if self.worst_index is not None:
            out |= {"worst_index": list(self.worst_index), "got": self.got, "expected": self.expected}
        if self.warnings:
            out["warnings"] = self.warnings
        return out

    @classmethod
    def from_json(cls, case_id: str, obj: dict) -> CaseResult:
        """The result :meth:`to_json` wrote (``seconds`` is not kept: 0)."""
        def num(v):
            return None if v is None else float(v)  # "inf" and "nan" too

        worst = obj.get("worst_index")
        return cls(
            id=case_id, function=obj["function"], dtype=obj["dtype"], kind=obj["kind"], group=obj["group"],
            tags=tuple(obj["tags"]), status=obj["status"], budget_ulps=float(obj["budget_ulps"]),
            error_ulps=num(obj["error_ulps"]), error_rel=num(obj["error_rel"]),
            worst_index=None if worst is None else tuple(worst), got=obj.get("got"), expected=obj.get("expected"),
            reason=obj["reason"], warnings=list(obj.get("warnings", [])),
        )


def _fmt_float(x: float) -> str:
    return repr(x)


def _ratio(a: Fraction, b: Fraction) -> float:
    """a / b as a float, +inf when it exceeds the float range."""
    try:
        return float(a / b)
    except OverflowError:
        return math.inf


def measure(case: Case, value: Any, *, against_terms: bool = False,
            ) -> tuple[float, float, tuple[int, ...] | None, str | None, str | None, str]:
    """Worst error of ``value`` against ``case``: (ulps, relative, index, got,
    expected, reason).  ``value`` must already have the expected shape.  With
    ``against_terms``, elements with a ``scale`` are measured in ulps of
    ``max(|exact|, scale)`` (relative error stays relative to the exact value)."""
    import numpy as np

    arr = np.asarray(value, dtype=np.float64)
    fmt = FORMATS[case.dtype]
    worst = None
    flat = arr.reshape(-1)
    scales = case.expected_scale if against_terms and case.expected_scale else (None,) * len(case.expected)
    for k, (c, exp, scale) in enumerate(zip(flat.tolist(), case.expected, scales, strict=True)):
        kind, r = parse_expected(exp)
        idx = tuple(int(i) for i in np.unravel_index(k, case.expected_shape)) if case.expected_shape else ()
        err, rel, why = 0.0, 0.0, ""
        if kind == "nan":
            if not math.isnan(c):
                err, rel = math.inf, math.inf
        elif kind in ("inf", "-inf"):
            want = math.inf if kind == "inf" else -math.inf
            if c != want:
                err, rel = math.inf, math.inf
        elif kind in ("+zero", "-zero"):
            if c != 0 or (math.copysign(1.0, c) < 0) != (kind == "-zero"):
                err, rel, why = math.inf, math.inf, "the sign of zero is checked"
        else:
            rounded = round_to(r, fmt)
            if math.isinf(rounded):
                if c != rounded:
                    err, rel, why = math.inf, math.inf, f"the true value overflows {case.dtype}: {rounded} expected"
            elif not math.isfinite(c):
                err, rel, why = math.inf, math.inf, "non-finite result"
            else:
                diff = abs(Fraction(c) - r)
                unit = ulp(r, fmt) if scale is None else ulp(max(abs(r), parse_expected(scale)[1]), fmt)
                err = _ratio(diff, unit)
                rel = _ratio(diff, abs(r)) if r != 0 else (0.0 if diff == 0 else math.inf)
        if worst is None or err > worst[0]:
            worst = (err, rel, idx, _fmt_float(c), exp, why)
    return worst if worst is not None else (0.0, 0.0, None, None, None, "")


def _evaluate(adapter: Any, case: Case) -> tuple[Any, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = adapter.evaluate(case)
    msgs = []
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        if text not in msgs:
            msgs.append(text)
    return out, msgs


#: What a result of the wrong dtype does: "error" fails the case (polyloss's contract),
#: "warn" records a warning and judges the accuracy alone (for other libraries).
DTYPE_CONTRACTS = ("error", "warn")


def _ulps(err: float) -> str:
    return "inf" if math.isinf(err) else f"{err:.3g}"


def run_case(adapter: Any, case: Case, tier: str = "strict", dtype_contract: str = "error") -> CaseResult:
    """Run and measure one case.  ``dtype_contract``: see :data:`DTYPE_CONTRACTS`."""
    import numpy as np

    if dtype_contract not in DTYPE_CONTRACTS:
        msg = f"dtype_contract must be one of {list(DTYPE_CONTRACTS)}, got {dtype_contract!r}"
        raise ValueError(msg)
    budget = BUDGETS[tier][case.dtype]
    res = CaseResult(case.id, case.function, case.dtype, case.kind, case.group, case.tags, "pass", budget)
    t0 = time.perf_counter()
    try:
        out, res.warnings = _evaluate(adapter, case)
    except Unsupported as exc:
        res.status, res.reason = "skip", exc.reason
        res.seconds = time.perf_counter() - t0
        return res
    except Exception as exc:  # an implementation that raises on a valid case fails it
        res.status, res.reason = "error", f"{type(exc).__name__}: {exc}"
        res.seconds = time.perf_counter() - t0
        return res
    res.seconds = time.perf_counter() - t0
    if isinstance(out, Decline):
        res.status, res.reason = "skip", out.reason
        return res
    if not isinstance(out, Result):
        out = Result(out)
    problems = list(out.problems)
    try:
        value = np.asarray(out.value, dtype=np.float64)
    except Exception as exc:
        res.status, res.reason = "fail", f"result not convertible to a float array: {type(exc).__name__}: {exc}"
        return res
    if value.shape != case.expected_shape:
        res.status, res.reason = "fail", f"shape {value.shape}, expected {case.expected_shape}"
        return res
    if out.dtype is not None and out.dtype != case.dtype:
        wrong = f"dtype {out.dtype}, expected {case.dtype}"
        if dtype_contract == "error":
            problems.append(wrong)
        else:
            res.warnings.append(f"{wrong} (dtype contract: warn)")
    err, rel, idx, got, exp, why = measure(case, value, against_terms=tier in TERMS_TIERS)
    res.error_ulps, res.error_rel, res.worst_index, res.got, res.expected = err, rel, idx, got, exp
    where = f" at {list(idx)}" if idx else ""
    measured = f"{_ulps(err)} ulp (relative {_ulps(rel)}){where}: got {got}, expected {exp}"
    if why:
        measured += f" ({why})"
    if problems:
        res.status, res.reason = "fail", "; ".join(problems) + f"; measured {measured}"
    elif not err <= budget:
        res.status = "fail"
        unit = " of the terms' magnitude" if tier in TERMS_TIERS and case.expected_scale else ""
        res.reason = f"{_ulps(err)} ulp{unit} > {budget:g}, relative {_ulps(rel)}{where}: got {got}, expected {exp}" \
            + (f" ({why})" if why else "")
    return res


@dataclass
class Report:
    """Results of one adapter on a selection of cases."""

    adapter: str
    tier: str
    results: list[CaseResult]
    metadata: dict[str, Any] = field(default_factory=dict)
    #: selected functions the adapter does not provide (their cases were not run)
    lacking: list[str] = field(default_factory=list)
    #: the directory the cases were read from (None: the shipped ones)
    cases_dir: str | None = field(default=None, repr=False)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def passed(self) -> int:
        return self.count("pass")

    @property
    def failed(self) -> int:
        return self.count("fail") + self.count("error")

    @property
    def skipped(self) -> int:
        return self.count("skip")

    @property
    def validated(self) -> int:
        """Cases that ran and were judged (passed or failed; not skipped)."""
        return self.passed + self.failed

    @property
    def ok(self) -> bool:
        """No case failed (skips allowed).  See :attr:`validated`: a run that
        skipped every case is ok but validated nothing."""
        return self.failed == 0

    def failures(self) -> list[CaseResult]:
        return [r for r in self.results if r.failed]

    def __getitem__(self, case_id: str) -> CaseResult:
        for r in self.results:
            if r.id == case_id:
                return r
        raise KeyError(case_id)

    def worst(self, dtype: str | None = None) -> CaseResult | None:
        """The measured case with the largest error relative to its budget."""
        cands = [r for r in self.results if r.error_ulps is not None and (dtype is None or r.dtype == dtype)]
        return max(cands, key=lambda r: r.error_ulps / r.budget_ulps, default=None)

    def worst_by_dtype(self) -> dict[str, CaseResult]:
        out = {}
        for d in FORMATS:
            w = self.worst(d)
            if w is not None:
                out[d] = w
        return out

    def summary(self) -> str:
        return (f"{self.adapter}: {self.passed} passed, {self.failed} failed, {self.skipped} skipped "
                f"({len(self.results)} cases, tier {self.tier})")

    def lacking_line(self) -> str | None:
        """One line naming the selected functions the adapter does not provide (None: it has them all)."""
        if not self.lacking:
            return None
        return f"not provided by {self.adapter} (not run): {', '.join(self.lacking)}"

    def nothing_validated(self) -> str | None:
        """Why this run validated nothing (every case skipped or none run), or None when it validated some."""
        if self.validated:
            return None
        why = f"{self.skipped} of {len(self.results)} cases skipped" if self.results else "no case ran"
        if self.lacking:
            why += f"; the adapter lacks {', '.join(self.lacking)}"
        return f"nothing was validated by {self.adapter}: {why}"

    def table(self, *, max_failures: int = 30) -> str:
        """The summary table; each listed failure shows its case's inputs and options."""
        from ._table import render_table

        ids = {r.id for r in self.failures()[:max_failures]}
        cases = {c.id: c for c in load_cases(self.cases_dir).cases if c.id in ids} if ids else {}
        return render_table(self, max_failures=max_failures, cases=cases)

    def to_json(self) -> dict:
        return {
            "adapter": self.adapter,
            "tier": self.tier,
            "metadata": self.metadata,
            "lacking": list(self.lacking),
            "summary": {"passed": self.passed, "failed": self.failed, "skipped": self.skipped,
                        "total": len(self.results),
                        "worst_by_dtype": {d: {"id": r.id, "error_ulps": r.to_json()["error_ulps"],
                                               "budget_ulps": r.budget_ulps}
                                           for d, r in self.worst_by_dtype().items()}},
            "cases": {r.id: r.to_json() for r in self.results},
        }

    @classmethod
    def from_json(cls, obj: dict) -> Report:
        """The report :meth:`to_json` wrote (one of the ``runs`` of ``--json``'s file)."""
        return cls(
            adapter=obj["adapter"], tier=obj["tier"], metadata=dict(obj["metadata"]), lacking=list(obj["lacking"]),
            results=[CaseResult.from_json(k, v) for k, v in obj["cases"].items()],
        )


def _metadata(adapter: Any, case_set: CaseSet, tier: str) -> dict:
    import platform

    from . import __version__

    meta: dict[str, Any] = {
        "conformance_version": __version__,
        "case_set_version": case_set.version,
        "case_set_sha256": case_set.sha256,
        "tier": tier,
        "budgets_ulps": dict(BUDGETS[tier]),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    info = getattr(adapter, "metadata", None)
    if callable(info):
        try:
            meta |= info()
        except Exception as exc:  # metadata must never break a run
            meta["metadata_error"] = f"{type(exc).__name__}: {exc}"
    return meta


def check_function_names(adapter: Any, case_set: CaseSet) -> None:
    """ValueError when the adapter names a function the case set does not know
    (a typo such as "crossentropy"), naming the closest known names."""
    import difflib

    names = getattr(adapter, "function_names", None)
    names = names() if callable(names) else None
    if names is None:
        return
    known = case_set.functions()
    unknown = sorted(set(names) - set(known))
    if not unknown:
        return
    parts = []
    for n in unknown:
        close = difflib.get_close_matches(n, known, n=3, cutoff=0.6)
        parts.append(f"{n!r} (did you mean {' or '.join(map(repr, close))}?)" if close else repr(n))
    name = getattr(adapter, "name", type(adapter).__name__)
    msg = f"{name}: unknown function name{'s' if len(unknown) > 1 else ''} {', '.join(parts)}"
    if not all("did you mean" in p for p in parts):
        msg += f"; the cases cover {', '.join(known)}"
    raise ValueError(msg)


def provided_cases(adapter: Any, cases: Iterable[Case]) -> tuple[list[Case], list[str]]:
    """The cases of the functions ``adapter`` provides (its optional ``provides(function)``;
    every function when it has none) and the sorted names of those it lacks."""
    cases = list(cases)
    provides = getattr(adapter, "provides", None)
    if not callable(provides):
        return cases, []
    have = {f: bool(provides(f)) for f in dict.fromkeys(c.function for c in cases)}
    return [c for c in cases if have[c.function]], sorted(f for f, ok in have.items() if not ok)


def run_cases(adapter: Any, cases: Iterable[Case], *, tier: str = "strict", case_set: CaseSet | None = None,
              dtype_contract: str = "error") -> Report:
    """Run ``adapter`` on ``cases``: only those of the functions it provides (the
    others are listed in :attr:`Report.lacking`).  ValueError for an unknown tier,
    or for function names the case set does not know."""
    if tier not in BUDGETS:
        msg = f"tier must be one of {list(BUDGETS)}, got {tier!r}"
        raise ValueError(msg)
    case_set = case_set or load_cases()
    check_function_names(adapter, case_set)
    cases, lacking = provided_cases(adapter, cases)
    results = [run_case(adapter, c, tier, dtype_contract) for c in cases]
    name = getattr(adapter, "name", type(adapter).__name__)
    return Report(name, tier, results, _metadata(adapter, case_set, tier), lacking, case_set.directory)


def _run_chunk(spec: str, ids: list[str], tier: str, cases_dir: str, dtype_contract: str) -> list[CaseResult]:
    """Worker of :func:`run_parallel` (a top-level function, so that spawn can pickle it)."""
    from .adapters import resolve

    case_set = load_cases(cases_dir)
    wanted = set(ids)
    adapter = resolve(spec)
    return [run_case(adapter, c, tier, dtype_contract) for c in case_set.cases if c.id in wanted]


def run_parallel(spec: str, cases: list[Case], *, tier: str = "strict", case_set: CaseSet | None = None,
                 jobs: int = 2, dtype_contract: str = "error") -> Report:
    """:func:`run_cases` split over ``jobs`` fresh processes (spawned, so safe for
    JAX and CUDA).  ``spec`` must be an adapter spec string, built again in each
    worker.  Worth it where compilation dominates (JAX compiles every operation
    for every new shape)."""
    import concurrent.futures as cf
    import multiprocessing

    from .adapters import resolve

    case_set = case_set or load_cases()
    adapter = resolve(spec)
    check_function_names(adapter, case_set)
    cases, lacking = provided_cases(adapter, cases)
    chunks = [[c.id for c in cases[i::jobs]] for i in range(jobs)]
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        futures = [pool.submit(_run_chunk, spec, ids, tier, case_set.directory, dtype_contract)
                   for ids in chunks if ids]
        results = [r for f in futures for r in f.result()]
    order = {c.id: i for i, c in enumerate(cases)}
    results.sort(key=lambda r: order[r.id])
    name = getattr(adapter, "name", type(adapter).__name__)
    meta = _metadata(adapter, case_set, tier)
    meta["processes"] = jobs
    return Report(name, tier, results, meta, lacking, case_set.directory)


def run(adapter: Any, *, dtypes: Iterable[str] | None = None, tags: Iterable[str] | None = None,
        tier: str = "strict", functions: Iterable[str] | None = None, exclude_tags: Iterable[str] | None = None,
        cases_dir: str | None = None, dtype_contract: str = "error") -> Report:
    """Run ``adapter`` on the golden cases and measure every result.

    ``adapter`` is an object with ``evaluate(case) -> Result | Decline`` (see
    :mod:`conformance.adapters`), a mapping of function name to callable, or a
    "module:attr" / built-in adapter name string (resolved by
    :func:`conformance.adapters.resolve`).  ``dtypes``, ``tags`` (a case is
    kept if it has any of them), ``functions`` and ``exclude_tags`` select
    cases; ``tier`` picks the budget ("strict" or "reference"); ``dtype_contract="warn"``
    judges a result of the wrong dtype by its accuracy (a warning, not a failure).
    """
    from .adapters import resolve

    adapter = resolve(adapter)
    for d in dtypes or ():
        if d not in FORMATS:
            msg = f"unknown dtype {d!r}; known: {list(FORMATS)}"
            raise ValueError(msg)
    case_set = load_cases(cases_dir)
    cases = case_set.select(functions=functions, dtypes=dtypes, tags=tags, exclude_tags=exclude_tags)
    return run_cases(adapter, cases, tier=tier, case_set=case_set, dtype_contract=dtype_contract)

