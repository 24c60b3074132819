"""Binary floating-point formats, exact rounding and ulp arithmetic.

Everything here is exact: values are :class:`fractions.Fraction` (or Python
floats, which are exact binary numbers), so the runner needs neither mpmath nor
NumPy to measure an error.  The generator uses the same rounding to make each
case's inputs exactly representable in the case's dtype.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "FORMATS",
    "FLOAT_DTYPES",
    "INT_DTYPES",
    "FloatFormat",
    "decode_float",
    "encode_float",
    "exponent",
    "parse_expected",
    "round_to",
    "to_fraction",
    "ulp",
]


@dataclass(frozen=True)
class FloatFormat:
    """An IEEE-754-style binary format: ``precision`` significand bits
    (implicit bit included), normal exponents ``emin..emax``, subnormals."""

    name: str
    precision: int
    emin: int
    emax: int

    @property
    def eps(self) -> Fraction:
        """Spacing of the format's numbers just above 1 (2**(1 - precision))."""
        return Fraction(1, 2 ** (self.precision - 1))

    @property
    def max_finite(self) -> Fraction:
        return (2 - self.eps) * Fraction(2) ** self.emax

    @property
    def min_normal(self) -> Fraction:
        return Fraction(2) ** self.emin

    @property
    def min_subnormal(self) -> Fraction:
        return Fraction(2) ** (self.emin - self.precision + 1)


FORMATS: dict[str, FloatFormat] = {
    "float64": FloatFormat("float64", 53, -1022, 1023),
    "float32": FloatFormat("float32", 24, -126, 127),
    "float16": FloatFormat("float16", 11, -14, 15),
    "bfloat16": FloatFormat("bfloat16", 8, -126, 127),
}
#: Floating dtypes in the order the suite lists them.
FLOAT_DTYPES: tuple[str, ...] = tuple(FORMATS)
INT_DTYPES: tuple[str, ...] = ("int64",)


def exponent(a: Fraction) -> int:
    """``floor(log2(a))`` for ``a > 0``, exactly."""
    if a <= 0:
        msg = f"exponent() needs a positive number, got {a}"
        raise ValueError(msg)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    # 2**e is now within a factor 2 of a; fix it up exactly.
    if Fraction(2) ** e > a:
        e -= 1
    elif Fraction(2) ** (e + 1) <= a:
        e += 1
    return e


def ulp(r: Fraction, fmt: FloatFormat) -> Fraction:
    """Unit in the last place of the format at ``r``: the spacing of the
    format's numbers in the binade that holds ``|r|`` (subnormal spacing below
    the normal range, the top binade's spacing above the largest finite)."""
    a = abs(r)
    if a == 0:
        return fmt.min_subnormal
    e = min(max(exponent(a), fmt.emin), fmt.emax)
    return Fraction(2) ** (e - fmt.precision + 1)


def _round_half_even(q: Fraction) -> int:
    n = math.floor(q)
    rest = q - n
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and n % 2 == 1):
        n += 1
    return n


def round_to(x: Fraction | float | int, fmt: FloatFormat) -> float:
    """Round the exact number ``x`` to the nearest number of ``fmt`` (ties to
    even, overflow to ±inf).  The result is returned as a Python float, which
    holds every number of the supported formats exactly."""
    if isinstance(x, float):
        if not math.isfinite(x):
            return x
        if x == 0:
            return x
    x = Fraction(x)
    if x == 0:
        return 0.0
    q = ulp(x, fmt)
    y = _round_half_even(x / q) * q
    if abs(y) > fmt.max_finite:
        return math.inf if x > 0 else -math.inf  # (x may be beyond the float64 range)
    if y == 0:
        return 0.0 if x > 0 else -0.0
    return float(y)  # exact: every supported format is a subset of float64


def to_fraction(value: object) -> Fraction:
    """Exact value of an int, a finite float, a decimal string, a Fraction or
    an mpmath ``mpf``."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        msg = "booleans are not numbers here"
        raise TypeError(msg)
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            msg = f"{value} has no exact rational value"
            raise ValueError(msg)
        return Fraction(value)
    if isinstance(value, str):
        return Fraction(value)
    mpf_ = getattr(value, "_mpf_", None)
    if mpf_ is not None:
        sign, man, exp, _bc = mpf_
        if not man and exp:  # mpmath's encoding of inf / nan
            msg = f"{value} has no exact rational value"
            raise ValueError(msg)
        v = Fraction(man) * Fraction(2) ** exp
        return -v if sign else v
    msg = f"cannot convert {type(value).__name__} to an exact number"
    raise TypeError(msg)


_SPECIAL_INPUTS = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan, "0.0": 0.0, "-0.0": -0.0}


def encode_float(x: float) -> str:
    """Exact text form of a float: ``float.hex`` for non-zero finite values,
    "inf", "-inf", "nan", "0.0", "-0.0" otherwise."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    return x.hex()


_HEX_RE = re.compile(r"^-?0x[01]\.[0-9a-f]+p[+-]\d+$")


def decode_float(s: str) -> float:
    """Inverse of :func:`encode_float`; rejects any other spelling."""
    if s in _SPECIAL_INPUTS:
        return _SPECIAL_INPUTS[s]
    if not _HEX_RE.match(s):
        msg = f"{s!r} is not an exact float (float.hex form, 'inf', '-inf', 'nan', '0.0' or '-0.0')"
        raise ValueError(msg)
    return float.fromhex(s)


#: Expected values: a decimal with at least 30 significant digits, or a special.
_DECIMAL_RE = re.compile(r"^-?(\d)\.(\d+)e[+-]\d+$")
EXPECTED_SPECIALS = ("nan", "inf", "-inf", "0", "+0.0", "-0.0")
_EXP10_LIMIT = 400


def parse_expected(s: str) -> tuple[str, Fraction | None]:
    """Classify an expected-value string.

    Returns ``(kind, value)`` with kind one of "finite" (value is the exact
    decimal as a Fraction), "nan", "inf", "-inf", "zero" (exact zero, either
    sign), "+zero" or "-zero" (exact zero whose sign is checked).
    """
    if s == "nan":
        return "nan", None
    if s in ("inf", "-inf"):
        return s, None
    if s == "0":
        return "zero", Fraction(0)
    if s == "+0.0":
        return "+zero", Fraction(0)
    if s == "-0.0":
        return "-zero", Fraction(0)
    m = _DECIMAL_RE.match(s)
    if not m:
        msg = f"{s!r} is not an expected value (d.ddd...e±N decimal or one of {EXPECTED_SPECIALS})"
        raise ValueError(msg)
    if 1 + len(m.group(2)) < 30:
        msg = f"{s!r} has fewer than 30 significant digits"
        raise ValueError(msg)
    if m.group(1) == "0":
        msg = f"{s!r}: the leading digit of a non-zero expected value must not be 0"
        raise ValueError(msg)
    exp10 = int(s.rsplit("e", 1)[1])
    sign = -1 if s.startswith("-") else 1
    # Values like exp(-6e38) have decimal exponents far outside every float format;
    # 10**(+-400) stands in for them (it rounds to 0 / inf in all of them and
    # measures the same error), without building a 10**(6e38) denominator.
    if exp10 < -_EXP10_LIMIT:
        return "finite", Fraction(sign, 10**_EXP10_LIMIT)
    if exp10 > _EXP10_LIMIT:
        return "finite", Fraction(sign * 10**_EXP10_LIMIT)
    return "finite", Fraction(s)
