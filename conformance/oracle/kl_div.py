"""kl_div(input, target, *, reduction="mean", log_target=False).

torch semantics.  Input is log-probabilities x = log q; target is
probabilities p (log-probabilities when ``log_target``):

    l_i = p_i * (log p_i - x_i)          (0 where p_i == 0, even at x_i = -inf)
    l_i = exp(t_i) * (t_i - x_i)         (log_target; 0 where t_i == -inf)

"mean" divides the sum by the number of elements, "batchmean" by
input.shape[0] (a 0-d input is its own sum; an empty batch is 0/0 = nan).
torch returns nan where polyloss and this oracle return 0 (0 * inf).
"""

import mpmath
import numpy as np

from . import register
from ._mp import NAN, as_mp, div, is_nan, mp_sum, reduce_losses


@register
def kl_div(input, target, *, reduction="mean", log_target=False):
    x, t = as_mp(input), as_mp(target)
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(*x.shape):
        xv, tv = x[idx], t[idx]
        if is_nan(tv):
            out[idx] = NAN
        elif log_target:
            out[idx] = mpmath.mpf(0) if tv == -mpmath.inf else mpmath.exp(tv) * (tv - xv)
        else:
            out[idx] = mpmath.mpf(0) if tv == 0 else tv * (mpmath.log(tv) - xv)
    if reduction == "batchmean":
        total = mp_sum(out.ravel().tolist())
        return total if x.ndim == 0 else div(total, x.shape[0])
    return reduce_losses(out, reduction)
