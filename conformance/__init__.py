"""Golden-case conformance suite for loss functions.

Golden cases (``conformance/cases/*.json``) hold exact inputs and expected
values computed with an mpmath oracle; the runner measures any implementation
against them, in ulps of the dtype, and compares with a per-dtype budget.

    >>> import conformance
    >>> report = conformance.run("polyloss:numpy", dtypes=["float64"])   # doctest: +SKIP
    >>> report.ok, report.worst("float64").error_ulps                     # doctest: +SKIP

The package is part of the ``polyloss-xp`` distribution. ``README.md`` in this
package's directory (shipped with it) describes the case format, the adapters, the CLI
(``polyloss-conformance``, or ``python -m conformance``) and the pytest plugin
(``polyloss_conformance``); ``polyloss-conformance --help`` lists the options.

The import name ``conformance`` is not unique: an unrelated project of that name exists
on the package index, and installing both into one environment makes one shadow the
other. ``polyloss-conformance --version`` says which is imported.
"""

from __future__ import annotations

#: The distribution that ships this package; ``__version__`` is its version.
DISTRIBUTION = "polyloss-xp"


def _distribution_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # a checkout on sys.path, not installed
        return "0+unknown"


__version__ = _distribution_version()

from ._cases import CASES_DIR, GROUPS, ArrayData, Case, CaseSet, load_cases, option_defaults
from ._formats import FLOAT_DTYPES, FORMATS
from ._runner import (
    BUDGETS,
    TIERS,
    CaseResult,
    Decline,
    Report,
    Result,
    Unsupported,
    measure,
    run,
    run_case,
    run_cases,
    run_parallel,
)
from ._schema import SCHEMA_VERSION, CaseSchemaError
from .adapters import (
    Adapter,
    MappingAdapter,
    exact_adapter,
    installed_backends,
    naive_adapter,
    polyloss_adapter,
    resolve,
    torch_adapter,
)

__all__ = [
    "BUDGETS",
    "CASES_DIR",
    "FLOAT_DTYPES",
    "FORMATS",
    "GROUPS",
    "SCHEMA_VERSION",
    "TIERS",
    "Adapter",
    "ArrayData",
    "Case",
    "CaseResult",
    "CaseSchemaError",
    "CaseSet",
    "Decline",
    "MappingAdapter",
    "Report",
    "Result",
    "Unsupported",
    "exact_adapter",
    "installed_backends",
    "load_cases",
    "measure",
    "naive_adapter",
    "option_defaults",
    "polyloss_adapter",
    "resolve",
    "run",
    "run_case",
    "run_cases",
    "run_parallel",
    "torch_adapter",
]
