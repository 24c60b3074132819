"""log_softmax(x, axis=-1) = x - logsumexp(x, axis)  (NaN for an all -inf slice)."""

from . import register
from ._mp import log_softmax_seq
from .softmax import _along


@register
def log_softmax(x, *, axis=-1):
    return _along(x, axis, log_softmax_seq)
