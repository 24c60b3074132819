"""Cases for binary_cross_entropy(input, target, *, weight=None, reduction="mean")."""

from fractions import Fraction

import mpmath

from ._spec import F, LOW, Doc, Printed, Spec, grad, values

FUNCTION = "binary_cross_entropy"
POSITIONAL = ("input", "target")
DEFAULTS: dict = {"weight": None, "reduction": "mean"}


def conventions(args, kwargs):
    return {
        "input": "probabilities in [0, 1]",
        "definition": "-w * (y * max(log p, -100) + (1 - y) * max(log(1 - p), -100))",
        "log_clamp": -100,
        "weight": "broadcast to the input's shape",
        "reduction": kwargs["reduction"],
        "mean_divisor": "number of elements (nan when empty)",
        "output_dtype": "input dtype",
    }


def convention_tags(args, kwargs):
    p, t = values(args[0]), values(args[1])
    tags = ["normalisation"] if kwargs["weight"] is not None and kwargs["reduction"] == "mean" else []
    # log p or log(1 - p) below -100 where its coefficient is not 0: torch's clamp decides
    if bool((((p < 3.7e-44) & (t != 0)) | ((p == 1) & (t != 1))).any()):
        tags.append("clamp")
    return tags


_D000 = "000_8d2a940d624098e1.txt"
_D001 = "001_4beac78af94a2e3e.txt"
_D002 = "002_a0818776fc16c99b.txt"
_D003 = "003_d7ea3b1a403fbfdc.txt"
_D004 = "004_e0c429dc88afda85.txt"



def _sig(v):
    return 1 / (1 + mpmath.exp(-mpmath.mpf(v)))


def specs():
    sig000 = F([[_sig("0.2")], [_sig("-1.0")], [_sig("2.0")]])
    tgt000 = F([[1.0], [0.0], [1.0]])
    one_below_1 = {"float64": Fraction(1) - Fraction(1, 2**53), "float32": Fraction(1) - Fraction(1, 2**24)}
    return [
        Spec("doc000_sigmoid_then_bce", (sig000, tgt000), tags=("documented-example",),
             description="inputs are sigmoid([0.2, -1.0, 2.0]) correctly rounded to the dtype",
             doc=Doc(_D000, "BCELoss (Binary Cross-Entropy Loss): nn.BCELoss()(torch.sigmoid(logits), targets)", (
                 Printed("0.346110", "# Built-in BCE: 0.346110"),
                 Printed("0.346110", "# Manual BCE: 0.346110")))),
        Spec("doc002_sigmoid_then_bce", (sig000, tgt000), tags=("documented-example",),
             description="inputs are sigmoid([0.2, -1.0, 2.0]) correctly rounded to the dtype",
             doc=Doc(_D002, "BCELoss: bce(torch.sigmoid(logits), targets), float32", (
                 Printed("0.346109539270401", "Built-in BCE: 0.346109539270401", compare="float32"),
                 Printed("0.346109539270401", "Manual BCE: 0.346109539270401", compare="float32")))),
        Spec("doc001_sigmoid_then_bce", (F([_sig("2.0"), _sig("-1.0"), _sig("0.5")]), F([1.0, 0.0, 1.0])),
             tags=("documented-example",),
             doc=Doc(_D001, "nn.BCELoss: loss(m(logit), target), logit = [2.0, -1.0, 0.5] (nothing printed)")),
        Spec("doc003_p075", (F(["0.75"]), F(["1.0"])), tags=("documented-example",),
             doc=Doc(_D003, "Binary Cross Entropy (BCE) Loss: p = 0.75, y = 1", (
                 Printed("0.287", "Assuming p equal to 0.75, the BCELoss is 0.287.",
                         erratum="-log 0.75 = 0.287682 rounds to 0.288; the text truncates (its own code prints 0.2877)"),
                 Printed("0.2877", "tensor(0.2877)")))),
        Spec("doc003_three_class", (F(["0.277", "0.299", "0.424"]), F(["0.0", "0.0", "1.0"])),
             tags=("documented-example",),
             doc=Doc(_D003, "BCELoss for C classes: probabilities [0.277, 0.299, 0.424], target [0, 0, 1]", (
                 Printed("0.5125", "(log(10.277) + log(10.299) + log(0.424))/3 –> 0.5125"),
                 Printed("0.5125", "tensor(0.5125)")),
                 note="the printed formula lost its minus signs: it reads -(log(1-0.277) + log(1-0.299) + log(0.424))/3")),
        Spec("doc003_rounded_sigmoid", (F(["0.858", "0.679"]), F(["1.0", "0.0"])), tags=("documented-example",),
             doc=Doc(_D003, "BCELoss on the rounded sigmoid outputs [0.858, 0.679]", (
                 Printed("0.6447", "tensor(0.6447)"),))),
        Spec("doc004_predictions", (F(["0.9", "0.2", "0.1"]), F(["1.0", "0.0", "0.0"])), tags=("documented-example",),
             doc=Doc(_D004, "loss_functions.py: nn.BCELoss()(predictions, targets)", (
                 Printed("0.1536", 'print(f"BCE Loss: {bce.item():.4f}")  # 0.1536',
                         erratum="-(log 0.9 + log 0.8 + log 0.9)/3 = 0.14462; no reading of the example's inputs "
                                 "gives 0.1536"),))),
        Spec("none", (F([["0.1", "0.5", "0.75"], ["0.9", "0.25", "0.6"]]), F([["0", "1", "1"], ["1", "0", "0.5"]])),
             {"reduction": "none"}, tags=("basic", "reduction-none")),
        Spec("sum", (F([["0.1", "0.5", "0.75"], ["0.9", "0.25", "0.6"]]), F([["0", "1", "1"], ["1", "0", "0.5"]])),
             {"reduction": "sum"}, tags=("basic", "reduction-sum")),
        Spec("mean_soft_targets", (F(["0.3", "0.8", "0.05", "0.5"]), F(["0.25", "0.9", "0.5", "0.5"])),
             tags=("basic", "soft-target")),
        Spec("weight_broadcast", (F([["0.1", "0.5", "0.75"], ["0.9", "0.25", "0.6"]]), F([["0", "1", "1"], ["1", "0", "0"]])),
             {"weight": F(["2", "0.5", "1.5"])}, tags=("weights",)),
        Spec("weight_full_none", (F([["0.1", "0.5"], ["0.9", "0.25"]]), F([["0", "1"], ["1", "0"]])),
             {"weight": F([["2", "0"], ["0.5", "3"]]), "reduction": "none"}, tags=("weights", "reduction-none")),
        Spec("kdim", (F([[["0.1", "0.5", "0.7"], ["0.9", "0.2", "0.6"]], [["0.3", "0.4", "0.35"], ["0.8", "0.05", "0.95"]]]),
                      F([[["0", "1", "1"], ["1", "0", "0"]], [["1", "0", "1"], ["0", "1", "1"]]])),
             tags=("kdim",)),
        Spec("clamp_exact_0_1", (F(["0", "1", "0", "1"]), F(["1", "0", "0", "1"])), {"reduction": "none"},
             tags=("clamp", "extreme"), description="log 0 is clamped to -100: losses [100, 100, 0, 0]"),
        Spec("clamp_mean", (F(["0", "1", "0.5"]), F(["1", "0", "1"])), tags=("clamp", "extreme")),
        Spec("tiny_p_float64", (F(["1e-50", "1e-40", one_below_1["float64"]]), F(["1", "1", "0"])),
             {"reduction": "none"}, dtypes=("float64",), tags=("clamp", "underflow"),
             description="log(1e-50) = -115 is clamped, log(1e-40) = -92.1 is not; 1 - p = 2^-53"),
        Spec("tiny_p_float32", (F(["1e-45", "3e-39", one_below_1["float32"]]), F(["1", "1", "0"])),
             {"reduction": "none"}, dtypes=("float32",), tags=("clamp", "underflow"),
             description="subnormal probabilities; 1 - p = 2^-24"),
        Spec("tiny_p_low", (F(["1e-7", "0.0009765625", "0.99609375"]), F(["1", "1", "0"])), {"reduction": "none"},
             dtypes=LOW, tags=("underflow",)),
        Spec("empty_mean", (F([], shape=(0,)), F([], shape=(0,))), tags=("empty",), description="mean of nothing: nan"),
        Spec("empty_sum", (F([], shape=(0, 2)), F([], shape=(0, 2))), {"reduction": "sum"}, tags=("empty",)),
        Spec("empty_none", (F([], shape=(0, 2)), F([], shape=(0, 2))), {"reduction": "none"}, tags=("empty",)),
        grad("grad", (F([["0.1", "0.5", "0.75"], ["0.9", "0.25", "0.6"]]), F([["0", "1", "1"], ["1", "0", "0.5"]]))),
        grad("grad_weight_sum", (F(["0.3", "0.8", "0.05"]), F(["0.25", "1", "0"])),
             {"weight": F(["2", "0.5", "1.5"]), "reduction": "sum"}, tags=("weights",)),
        grad("grad_low", (F(["0.3", "0.8", "0.125"]), F(["0", "1", "1"])), dtypes=LOW),
    ]
