"""Golden-case conformance suite for loss functions.

Golden cases (``conformance/cases/*.json``) hold exact inputs and expected
values computed with an mpmath oracle; the runner measures any implementation
against them, in ulps of the dtype, and compares with a per-dtype budget.

    >>> import conformance
    >>> report = conformance.run("polyloss:numpy", dtypes=["float64"])   # doctest: +SKIP
    >>> report.ok, report.worst("float64").error_ulps                     # doctest: +SKIP

See ``conformance/README.md`` for the case format, the adapters, the CLI
(``python -m conformance``) and the pytest plugin.
"""

from __future__ import annotations

__version__ = "1.0.0"

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
