"""pytest plugin: the golden cases as tests in your own suite (opt-in).

Registered through the ``pytest11`` entry point of polyloss-xp, it does
nothing unless ``--conformance-adapter`` is given::

    pytest --conformance-adapter mypkg.losses:ADAPTER
    pytest --conformance-adapter mypkg.losses:FUNCTIONS --conformance-backend torch \\
           --conformance-xfail conformance-xfail.txt --conformance-tier reference

Each selected case of a function the adapter provides becomes a test
``polyloss-conformance::test_case[<case id>]`` (``-k`` works on the ids); the
header names the functions it lacks.  A failure reports the result and the
expected value, the measured error (ulps and relative), the budget and the
inputs; a case the adapter declines is a skip.  A session in which no case was
validated (every one skipped or deselected) exits with status 1: "nothing was
validated".  A spec that cannot be resolved is a usage error (exit status 2).

This module imports nothing beyond pytest until ``--conformance-adapter`` is
given, so a pytest run in an environment without NumPy is unaffected.

``--conformance-xfail FILE`` lists expected failures, one case id or glob
(``cross_entropy/*/float16``) per line, optionally followed by ``# reason``;
blank lines and lines starting with ``#`` are ignored.  Matching cases are
marked ``xfail`` (strict by the ``xfail_strict`` ini option); a line that
matches no selected case is reported as a :class:`ConformanceXfailWarning`.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

import pytest

__all__ = ["ConformanceXfailWarning"]

_STASH_KEY: Any = None


class ConformanceXfailWarning(pytest.PytestWarning):
    """An entry of the expected-failures file matches no selected case."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("polyloss-conformance", "polyloss golden-case conformance (opt-in)")
    group.addoption("--conformance-adapter", default=None, metavar="SPEC",
                    help="run the golden cases against this adapter: 'module:attr' (an adapter, an adapter "
                         "factory, or a mapping/module of functions), 'torch', 'naive' or 'polyloss:<backend>'. "
                         "Without it the plugin does nothing.")
    group.addoption("--conformance-backend", default="numpy", metavar="NAME",
                    help="array backend that module:attr mappings receive (default numpy)")
    group.addoption("--conformance-tier", default="reference", choices=["strict", "reference"],
                    help="error budget (default reference, the tier for libraries other than polyloss)")
    group.addoption("--conformance-dtype", action="append", default=None, metavar="DTYPE",
                    help="only these dtypes (repeatable, comma-separated)")
    group.addoption("--conformance-tag", action="append", default=None, metavar="TAG",
                    help="only cases with any of these tags (repeatable, comma-separated)")
    group.addoption("--conformance-exclude-tag", action="append", default=None, metavar="TAG",
                    help="drop cases with any of these tags")
    group.addoption("--conformance-function", action="append", default=None, metavar="NAME",
                    help="only these functions")
    group.addoption("--conformance-xfail", default=None, metavar="FILE",
                    help="expected failures: case ids or globs, one per line ('# reason' allowed)")
    group.addoption("--conformance-dtype-contract", default="error", choices=["error", "warn"],
                    help="a result of the wrong dtype: 'error' fails the case (default); 'warn' judges its accuracy")


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [p.strip() for v in values for p in v.split(",") if p.strip()] or None


def _read_xfail(path: str) -> list[tuple[str, str, int]]:
    entries = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        text, _, reason = line.partition("#")
        pattern = text.strip()
        if pattern:
            entries.append((pattern, reason.strip() or "listed in the conformance xfail file", lineno))
    return entries


class _State:
    def __init__(self, config: pytest.Config) -> None:
        from . import load_cases
        from ._runner import check_function_names, provided_cases
        from .adapters import resolve

        opt = config.getoption
        spec = opt("conformance_adapter")
        try:
            self.adapter = resolve(spec, backend=opt("conformance_backend"))
            case_set = load_cases()
            check_function_names(self.adapter, case_set)
        except Exception as exc:
            msg = f"--conformance-adapter {spec}: {type(exc).__name__}: {exc}"
            raise _UsageError(msg) from exc
        self.tier = opt("conformance_tier")
        self.dtype_contract = opt("conformance_dtype_contract")
        self.case_set_version = case_set.version
        selected = case_set.select(functions=_split(opt("conformance_function")),
                                   dtypes=_split(opt("conformance_dtype")), tags=_split(opt("conformance_tag")),
                                   exclude_tags=_split(opt("conformance_exclude_tag")))
        self.cases, self.lacking = provided_cases(self.adapter, selected)
        self.validated = 0
        self.xfail: dict[str, str] = {}
        xfail_file = opt("conformance_xfail")
        if xfail_file:
            ids = [c.id for c in self.cases]
            for pattern, reason, lineno in _read_xfail(xfail_file):
                matched = [i for i in ids if i == pattern or fnmatch.fnmatchcase(i, pattern)]
                if not matched:
                    config.issue_config_time_warning(
                        ConformanceXfailWarning(f"{xfail_file}:{lineno}: {pattern!r} matches no selected conformance "
                                                "case (fixed, renamed, or deselected?)"), stacklevel=2)
                for i in matched:
                    self.xfail.setdefault(i, reason)


class _UsageError(Exception):
    pass


def pytest_configure(config: pytest.Config) -> None:
    global _STASH_KEY
    if not config.getoption("conformance_adapter", default=None):
        return
    if _STASH_KEY is None:
        _STASH_KEY = pytest.StashKey[_State]()
    try:
        config.stash[_STASH_KEY] = _State(config)
    except _UsageError as exc:
        pytest.exit(f"usage error: {exc}", returncode=2)  # a usage error: exit status 2, no traceback


def _state(config: pytest.Config) -> _State | None:
    if _STASH_KEY is None or _STASH_KEY not in config.stash:
        return None
    return config.stash[_STASH_KEY]


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    st = _state(config)
    if st is None:
        return None
    name = getattr(st.adapter, "name", st.adapter)
    from . import DISTRIBUTION, __version__

    lines = [f"polyloss-conformance ({DISTRIBUTION} {__version__}, case set {st.case_set_version}): "
             f"adapter {name!s}, {len(st.cases)} cases, tier {st.tier}, {len(st.xfail)} expected failures"]
    if st.lacking:
        lines.append(f"polyloss-conformance: not provided by {name!s} (not run): {', '.join(st.lacking)}")
    return lines


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    st = _state(session.config)
    if st is None or st.validated or session.config.option.collectonly:
        return
    why = (f"polyloss-conformance: nothing was validated ({len(st.cases)} cases of the functions the adapter "
           "provides were selected; every one was skipped or deselected)")
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"ERROR: {why}", red=True)
    if session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


class ConformanceFailure(Exception):
    pass


class ConformanceItem(pytest.Item):
    def __init__(self, *, case: Any, state: _State, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.state = state
        # -k selects on tags too ("-k overflow", "-k documented_example")
        self.extra_keyword_matches.update(case.tags)
        self.extra_keyword_matches.update(t.replace("-", "_") for t in case.tags)
        if case.id in state.xfail:
            self.add_marker(pytest.mark.xfail(reason=state.xfail[case.id], raises=ConformanceFailure))

    def runtest(self) -> None:
        from ._runner import run_case

        res = run_case(self.state.adapter, self.case, self.state.tier, self.state.dtype_contract)
        if res.status != "skip":
            self.state.validated += 1
        if res.error_ulps is not None:
            self.user_properties += [("error_ulps", res.error_ulps), ("budget_ulps", res.budget_ulps)]
        if res.status == "skip":
            pytest.skip(res.reason)
        if res.failed:
            raise ConformanceFailure(f"{self.case.id}: {res.reason}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ConformanceFailure):
            c = self.case
            lines = [str(excinfo.value), f"  function {c.function}, dtype {c.dtype}, tags {', '.join(c.tags)}"]
            if c.description:
                lines.append(f"  {c.description}")
            lines.append(f"  inputs: {c.describe_inputs()}")
            lines.append(f"  all of it: python -m conformance explain {c.id}")
            lines.append(f"  tier {self.state.tier}; case file conformance/cases/{c.source_file}")
            return "\n".join(lines)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"conformance {self.case.id}"


class ConformanceSuite(pytest.Collector):
    def collect(self) -> list[pytest.Item]:  # pragma: no cover - items are made directly below
        return []


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if _STASH_KEY is None or _STASH_KEY not in config.stash:
        return
    st = config.stash[_STASH_KEY]
    suite = ConformanceSuite.from_parent(session, name="polyloss-conformance", nodeid="polyloss-conformance")
    for case in st.cases:
        items.append(ConformanceItem.from_parent(suite, name=f"test_case[{case.id}]", case=case, state=st))
