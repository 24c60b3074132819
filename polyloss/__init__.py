"""polyloss: loss functions written once against the Python array API standard.

Every function takes arrays from any array-API library (NumPy, PyTorch, JAX, CuPy,
Dask, array-api-strict) and returns an array of the same library, dtype and device.
Semantics follow ``torch.nn.functional``; numerics are stable by construction.
"""

from ._classification import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    nll_loss,
)
from ._special import log_sigmoid, log_softmax, logsumexp, sigmoid, softmax

__version__ = "0.1.0"

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "nll_loss",
    "sigmoid",
    "softmax",
]
