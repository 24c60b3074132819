"""Cases for jaccard_loss(input, target, *, smooth=1.0, reduction="mean")."""

from . import _overlap_cases as X
from ._spec import LOW, WIDE, Doc, Spec, grad

FUNCTION = "jaccard_loss"
POSITIONAL = ("input", "target")
DEFAULTS: dict = {"smooth": 1.0, "reduction": "mean"}

_D004 = "004_e0c429dc88afda85.txt"


def conventions(args, kwargs):
    return X.conventions("1 - (TP + smooth) / (sum p + sum t - TP + smooth)", args, kwargs)


def specs():
    return [
        Spec("doc004_formula_binary_masks", (X.MASK_A, X.MASK_B), {"smooth": 0.0}, tags=("documented-example",),
             doc=Doc(_D004, "Image segmentation table: IoU Loss 1 - |A n B| / |A u B|",
                     note="The table prints the formula only; for A = {0, 1, 2}, B = {1, 2, 3} it is 1 - 2/4 = 1/2.")),
        Spec("class_indices", (X.PROBS, X.LABELS), {"reduction": "none"}, tags=("basic", "reduction-none")),
        Spec("one_hot_mean", (X.PROBS, X.ONE_HOT), tags=("basic",)),
        Spec("soft_labels_sum", (X.PROBS, X.SOFT), {"smooth": 0.5, "reduction": "sum"},
             tags=("soft-target", "reduction-sum")),
        Spec("image", (X.IMAGE, X.IMAGE_LABELS), {"reduction": "none"}, tags=("kdim", "reduction-none")),
        Spec("empty_on_empty_no_smoothing", (X.EMPTY, X.EMPTY), {"smooth": 0.0}, tags=("empty", "special", "undefined"),
             description="0/0 defined as 0: a perfect match"),
        Spec("prediction_on_empty_mask", (X.SOME, X.EMPTY), {"smooth": 3.0}, tags=("empty",),
             description="mass 1 on an empty mask: 1 / (1 + 3)"),
        Spec("nearly_perfect", (X.NEAR_8, X.MASK_8), {"smooth": 0.0}, dtypes=WIDE, tags=("cancellation",)),
        grad("grad", (X.PROBS, X.LABELS), {"smooth": 0.5}),
        grad("grad_low", (X.PROBS, X.LABELS), dtypes=LOW),
    ]
