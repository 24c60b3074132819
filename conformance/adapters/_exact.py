"""The ``exact`` adapter: a self-test of the runner, not an implementation.

It returns every expected value correctly rounded to the case's dtype, so it
passes every case with at most half an ulp of error in either tier.  Use it to
check a pipeline (CLI flags, plugin wiring, JSON consumers) independently of
any library.
"""

from __future__ import annotations

import math

import numpy as np

from .._formats import FORMATS, parse_expected, round_to

__all__ = ["ExactAdapter"]


class ExactAdapter:
    name = "exact"

    def evaluate(self, case):
        from .._runner import Result

        fmt = FORMATS[case.dtype]
        out = []
        for s in case.expected:
            kind, r = parse_expected(s)
            if kind == "nan":
                out.append(math.nan)
            elif kind in ("inf", "-inf"):
                out.append(math.inf if kind == "inf" else -math.inf)
            elif kind == "-zero":
                out.append(-0.0)
            elif kind in ("zero", "+zero"):
                out.append(0.0)
            else:
                out.append(round_to(r, fmt))
        return Result(np.array(out, dtype=np.float64).reshape(case.expected_shape), case.dtype)

    def metadata(self) -> dict:
        return {"adapter": self.name}
