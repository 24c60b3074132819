"""class_weights(counts, *, strategy="inverse", beta=0.999).

n = sum_c n_c, C classes:
    inverse:           w_c = n / (C n_c)
    inverse_sqrt:      w_c = sqrt(n / (C n_c))
    effective_number:  w_c = (1 - beta) / (1 - beta^n_c), normalised to sum C (Cui et al. 2019);
                       beta = 0 gives ones
"""

import mpmath
import numpy as np

from . import register
from ._mp import as_mp


@register
def class_weights(counts, *, strategy="inverse", beta=0.999):
    n_c = as_mp(counts)
    c = len(n_c)
    if strategy in ("inverse", "inverse_sqrt"):
        total = mpmath.fsum(n_c.tolist())
        w = [total / (c * v) for v in n_c]
        if strategy == "inverse_sqrt":
            w = [mpmath.sqrt(v) for v in w]
    elif strategy == "effective_number":
        b = mpmath.mpf(beta)
        raw = [mpmath.mpf(1)] * c if b == 0 else [(1 - b) / -mpmath.expm1(v * mpmath.log(b)) for v in n_c]
        s = mpmath.fsum(raw)
        w = [v * c / s for v in raw]
    else:
        msg = f"unknown strategy {strategy!r}"
        raise ValueError(msg)
    out = np.empty(c, dtype=object)
    out[:] = w
    return out
