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

from . import register, register_terms
from ._mp import NAN, as_mp, div, is_nan, mp_sum, reduce_losses


def _elementwise(input, target, log_target):
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
    return out


def _reduce(out, reduction):
    if reduction == "batchmean":
        total = mp_sum(out.ravel().tolist())
        return total if out.ndim == 0 else div(total, out.shape[0])
    return reduce_losses(out, reduction)


@register
def kl_div(input, target, *, reduction="mean", log_target=False):
    return _reduce(_elementwise(input, target, log_target), reduction)


@register_terms("kl_div")
def kl_div_terms(input, target, *, reduction="mean", log_target=False):
    """The elementwise terms p (log p - x) have either sign: the reduction adds their magnitudes."""
    return _reduce(np.vectorize(abs, otypes=[object])(_elementwise(input, target, log_target)), reduction)
