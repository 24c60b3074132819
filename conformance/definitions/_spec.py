"""Building blocks of the case-definition modules.

A definition module (``conformance/definitions/<function>.py``) declares

``FUNCTION``     the public function's name (also the oracle's name);
``POSITIONAL``   names of the positional array parameters, e.g. ("input", "target");
``DEFAULTS``     every keyword option with its default, written into each case;
``conventions(args, kwargs)``  a dict that spells out the conventions the case
                 relies on (class axis, target kind, normalisation, ...);
``specs()``      the list of :class:`Spec` to generate.

A :class:`Spec` gives inputs as exact numbers (ints, floats, decimal strings
such as "0.2", Fractions, mpmath numbers, or "inf", "-inf", "nan", "-0.0");
the generator rounds them to each dtype the spec applies to and computes the
expected value from the rounded inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._formats import FLOAT_DTYPES

__all__ = ["ALL", "Arr", "Doc", "F", "I", "LOW", "Printed", "Spec", "WIDE", "grad", "has", "unnormalised", "values"]

#: Every float dtype.
ALL: tuple[str, ...] = FLOAT_DTYPES
#: float64 and float32: dtypes whose range holds 1e8 / 3e38 and that gradient cases use.
WIDE: tuple[str, ...] = ("float64", "float32")
#: The half-precision dtypes.
LOW: tuple[str, ...] = ("float16", "bfloat16")


@dataclass(frozen=True)
class Arr:
    """An array input: nested lists of exact numbers, and its kind."""

    values: Any
    kind: str  # "float" (takes the case dtype) or "int" (int64)
    shape: tuple[int, ...] | None = None  # required only for empty arrays


def F(values: Any, shape: tuple[int, ...] | None = None) -> Arr:
    """A floating array in the case's dtype."""
    return Arr(values, "float", shape)


def I(values: Any, shape: tuple[int, ...] | None = None) -> Arr:  # noqa: E743
    """An int64 array (class indices)."""
    return Arr(values, "int", shape)


@dataclass(frozen=True)
class Printed:
    """A number (or a table of numbers, row-major) as a document prints it.

    ``compare`` is "math" (the printed digits are the true value rounded to the
    printed number of decimals) or "float32" (the document shows the float32
    result to full precision: it must equal the correctly rounded float32 value
    of the float32 case).  ``erratum`` explains why the printed value is wrong;
    the generator refuses a mismatch without one, and an erratum without a
    mismatch.
    """

    value: str | tuple[str, ...]
    where: str
    erratum: str | None = None
    compare: str = "math"


@dataclass(frozen=True)
class Doc:
    """Provenance of a documented example."""

    document: str  # file name under shared/sources, a key of documents.DOCUMENTS
    example: str  # which example, in words
    printed: tuple[Printed, ...] = ()
    #: The inputs exactly as the document prints them, when they differ from the
    #: case's inputs (e.g. lost minus signs); the generator evaluates them too.
    literal_args: tuple | None = None
    input_erratum: str | None = None  # why the literal inputs are wrong
    note: str | None = None


@dataclass(frozen=True)
class Spec:
    """One case, to be generated for each of ``dtypes``."""

    name: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    dtypes: tuple[str, ...] = ALL
    tags: tuple[str, ...] = ()
    description: str = ""
    doc: Doc | None = None
    kind: str = "value"  # "value" or "gradient" (d sum(cotangent * f) / d args[0])
    cotangent: Arr | None = None
    #: "+" or "-": write the exact zeros of the expected value as "+0.0" / "-0.0", whose
    #: sign the runner checks (e.g. probabilities exp(-inf) = +0).  Default: "0", any sign.
    zero_sign: str | None = None


def grad(name: str, args: tuple, kwargs: dict | None = None, *, dtypes: tuple[str, ...] = WIDE,
         tags: tuple[str, ...] = (), description: str = "", cotangent: Arr | None = None) -> Spec:
    """A gradient case (tag "gradient" added)."""
    return Spec(name, args, kwargs or {}, dtypes=dtypes, tags=("gradient", *tags), description=description,
                kind="gradient", cotangent=cotangent)


# --------------------------------------------------------------------------- convention tags
# Helpers for a definition module's optional ``convention_tags(args, kwargs)``, which reads
# the case's JSON arrays (inputs already rounded to the dtype) and returns the tags of the
# conventions the value depends on (see generate.CONVENTION_TAGS).


def values(arr: dict):
    """The exact values of a JSON array object as a float64 NumPy array of its shape."""
    import numpy as np

    from .._formats import decode_float

    if arr["dtype"] == "int64":
        return np.array(arr["data"], dtype=np.int64).reshape(arr["shape"])
    return np.array([decode_float(s) for s in arr["data"]], dtype=np.float64).reshape(arr["shape"])


def unnormalised(arr: dict, axis) -> bool:
    """Whether some distribution laid along ``axis`` (int, tuple or None) of the rounded
    array sums to a value further from 1 than rounding its n entries can explain
    (n half-ulps of 1).  All-zero and empty distributions are not distributions."""
    from fractions import Fraction

    import numpy as np

    from .._formats import FORMATS

    x = values(arr)
    if x.size == 0:
        return False
    axes = tuple(range(x.ndim)) if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
    axes = tuple(a % x.ndim for a in axes)
    keep = [a for a in range(x.ndim) if a not in axes]
    rows = np.transpose(x, keep + list(axes)).reshape(-1, int(np.prod([x.shape[a] for a in axes])))
    slack = FORMATS[arr["dtype"]].eps / 2
    for row in rows:
        if not np.all(np.isfinite(row)) or not np.any(row):
            continue
        total = sum(Fraction(v) for v in row.tolist())
        if abs(total - 1) > len(row) * slack:
            return True
    return False


def has(arr: dict, value: float) -> bool:
    """Whether the rounded array holds ``value`` (e.g. 0.0 or -inf)."""
    import numpy as np

    return bool(np.any(values(arr) == value))
