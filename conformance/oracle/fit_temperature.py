"""fit_temperature(logits, labels).

The T > 0 minimising the mean NLL of softmax(logits / T), searched on [1e-4, 1e4]:
with beta = 1/T the NLL is convex in beta and its derivative is

    g(beta) = (1/N) sum_i sum_k softmax(beta z_i)_k (z_ik - z_iy_i),

so T = 1 / root of g, or the end of the range where g keeps its sign (1e-4 when
g < 0 throughout -- e.g. separable data -- and 1e4 when g > 0 throughout); T = 1
when every row's logits are all equal (the NLL does not depend on T).
"""

import mpmath

from . import register
from ._mp import as_mp

T_MIN, T_MAX = mpmath.mpf("1e-4"), mpmath.mpf("1e4")


@register
def fit_temperature(logits, labels):
    z = as_mp(logits)
    # a -inf logit (a masked class) has probability 0 at every T: left out
    rows = [[v - z[i, int(labels[i])] for v in z[i].tolist() if not mpmath.isinf(v)] for i in range(z.shape[0])]
    if all(all(v == 0 for v in d) for d in rows):
        return mpmath.mpf(1)

    def slope(beta):
        total = mpmath.mpf(0)
        for d in rows:
            top = max(d)
            e = [mpmath.exp(beta * (v - top)) for v in d]
            total += mpmath.fsum(a * v for a, v in zip(e, d, strict=True)) / mpmath.fsum(e)
        return total / len(rows)

    lo, hi = 1 / T_MAX, 1 / T_MIN
    if slope(lo) >= 0:
        return T_MAX
    if slope(hi) <= 0:
        return T_MIN
    # bracketed: bisect in log(beta) to a narrow bracket, then polish with the secant method
    for _ in range(40):
        mid = mpmath.sqrt(lo * hi)
        lo, hi = (mid, hi) if slope(mid) < 0 else (lo, mid)
    beta = mpmath.findroot(slope, (lo, hi), solver="anderson")
    return 1 / beta
