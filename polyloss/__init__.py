"""polyloss: loss functions written once against the Python array API standard.

Every function takes arrays from any array-API library (NumPy, PyTorch, JAX, CuPy,
Dask, array-api-strict) and returns an array of the same library, dtype and device.
Semantics follow ``torch.nn.functional``; numerics are stable by construction.
"""

from ._losses._boxes import generalized_box_iou_loss
from ._losses._calibration import (
    class_weights,
    expected_calibration_error,
    fit_temperature,
)
from ._losses._classification import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    nll_loss,
)
from ._losses._distribution import (
    entropy,
    kl_div,
    kl_divergence,
)
from ._losses._linear import linear_cross_entropy
from ._losses._focal import (
    sigmoid_focal_loss,
    softmax_focal_loss,
)
from ._losses._metric import (
    cosine_embedding_loss,
    info_nce,
    margin_ranking_loss,
    triplet_margin_loss,
)
from ._losses._regression import (
    huber_loss,
    l1_loss,
    mse_loss,
    smooth_l1_loss,
)
from ._losses._segmentation import (
    dice_loss,
    jaccard_loss,
    tversky_loss,
)
from ._core._checks import LikelyMistakeWarning
from ._core._config import get_options, options, set_options
from ._losses._activations import log_sigmoid, log_softmax, logsumexp, sigmoid, softmax

__version__ = "0.1.0"

__all__ = [
    "LikelyMistakeWarning",
    "get_options",
    "options",
    "set_options",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "class_weights",
    "cosine_embedding_loss",
    "cross_entropy",
    "dice_loss",
    "entropy",
    "expected_calibration_error",
    "fit_temperature",
    "generalized_box_iou_loss",
    "huber_loss",
    "info_nce",
    "jaccard_loss",
    "kl_div",
    "kl_divergence",
    "l1_loss",
    "linear_cross_entropy",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "margin_ranking_loss",
    "mse_loss",
    "nll_loss",
    "sigmoid",
    "sigmoid_focal_loss",
    "smooth_l1_loss",
    "softmax",
    "softmax_focal_loss",
    "triplet_margin_loss",
    "tversky_loss",
]
