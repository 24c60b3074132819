"""Cases for tversky_loss(input, target, *, alpha=0.5, beta=0.5, gamma=1.0, smooth=1.0, reduction="mean")."""

from . import _overlap_cases as X
from ._spec import LOW, WIDE, Spec, grad

FUNCTION = "tversky_loss"
POSITIONAL = ("input", "target")
DEFAULTS: dict = {"alpha": 0.5, "beta": 0.5, "gamma": 1.0, "smooth": 1.0, "reduction": "mean"}


def conventions(args, kwargs):
    return X.conventions(
        "(1 - TI)^gamma, TI = (TP + smooth) / (TP + alpha FP + beta FN + smooth)", args, kwargs,
        {"alpha": f"{kwargs['alpha']} (weights false positives, Salehi et al. 2017)",
         "beta": f"{kwargs['beta']} (weights false negatives)",
         "gamma": f"{kwargs['gamma']} (focal Tversky as (1 - TI)^gamma; Abraham & Khan write 1/gamma)"})


def specs():
    return [
        Spec("class_indices", (X.PROBS, X.LABELS), {"reduction": "none"}, tags=("basic", "reduction-none")),
        Spec("recall_weighted", (X.PROBS, X.LABELS), {"alpha": 0.3, "beta": 0.7}, tags=("basic",)),
        Spec("focal_0_75", (X.PROBS, X.ONE_HOT), {"alpha": 0.3, "beta": 0.7, "gamma": 0.75, "reduction": "none"},
             tags=("reduction-none",), description="Abraham & Khan's recommended gamma = 4/3 (their 1/gamma)"),
        Spec("focal_2_soft_sum", (X.PROBS, X.SOFT), {"alpha": 0.7, "beta": 0.3, "gamma": 2.0, "smooth": 0.5,
                                                     "reduction": "sum"}, tags=("soft-target", "reduction-sum")),
        Spec("asymmetric_no_smoothing", (X.PROBS, X.LABELS),
             {"alpha": 0.1, "beta": 0.9, "smooth": 0.0, "reduction": "none"}, tags=("reduction-none",),
             description="alpha weights FP, beta FN, without smoothing to dilute them: alpha and beta swapped fails"),
        Spec("false_negatives_only", (X.PROBS, X.LABELS), {"alpha": 0.0, "beta": 1.0, "reduction": "none"},
             tags=("reduction-none",)),
        Spec("image", (X.IMAGE, X.IMAGE_LABELS), {"reduction": "none", "gamma": 1.5}, tags=("kdim", "reduction-none")),
        Spec("empty_on_empty_no_smoothing", (X.EMPTY, X.EMPTY), {"smooth": 0.0, "gamma": 0.75},
             tags=("empty", "special", "undefined"),
             description="0/0 defined as 0: a perfect match"),
        Spec("prediction_on_empty_mask", (X.SOME, X.EMPTY), {"alpha": 0.3, "smooth": 0.1}, tags=("empty",),
             description="0.3 / (0.3 + 0.1)"),
        Spec("nearly_perfect_focal", (X.NEAR_8, X.MASK_8), {"smooth": 0.0, "gamma": 0.75}, dtypes=WIDE,
             tags=("cancellation",)),
        grad("grad", (X.PROBS, X.LABELS), {"alpha": 0.3, "beta": 0.7, "gamma": 0.75}),
        grad("grad_low", (X.PROBS, X.LABELS), {"alpha": 0.3, "beta": 0.7}, dtypes=LOW),
    ]
