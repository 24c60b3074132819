"""Cases for binary_cross_entropy_with_logits(input, target, *, weight=None,
pos_weight=None, reduction="mean")."""

from ._spec import F, LOW, Doc, Printed, Spec, grad

FUNCTION = "binary_cross_entropy_with_logits"
POSITIONAL = ("input", "target")
DEFAULTS: dict = {"weight": None, "pos_weight": None, "reduction": "mean"}


def conventions(args, kwargs):
    return {
        "input": "logits",
        "definition": "w * (pos_weight * y * softplus(-z) + (1 - y) * softplus(z))",
        "pos_weight": "broadcast against the target (one value per class on the last axis)",
        "weight": "broadcast to the input's shape",
        "reduction": kwargs["reduction"],
        "mean_divisor": "number of elements (nan when empty)",
        "output_dtype": "input dtype",
    }


def convention_tags(args, kwargs):
    # torch's weighted mean divides by the number of elements, not the weights; libraries differ
    return ("normalisation",) if kwargs["weight"] is not None and kwargs["reduction"] == "mean" else ()


_D000 = "000_8d2a940d624098e1.txt"
_D001 = "001_4beac78af94a2e3e.txt"
_D003 = "003_d7ea3b1a403fbfdc.txt"

_X = F([["0.5", "-1.5", "2"], ["-0.25", "3", "-4"]])
_Y = F([["1", "0", "1"], ["0", "0.75", "1"]])


def specs():
    return [
        Spec("doc000_logits", (F([[0.2], [-1.0], [2.0]]), F([[1.0], [0.0], [1.0]])), tags=("documented-example",),
             doc=Doc(_D000, "BCELoss example, as BCEWithLogitsLoss on the logits (sigmoid + BCELoss = BCEWithLogitsLoss)", (
                 Printed("0.346110", "# Built-in BCE: 0.346110"),))),
        Spec("doc001_logits", (F([2.0, -1.0, 0.5]), F([1.0, 0.0, 1.0])), tags=("documented-example",),
             doc=Doc(_D001, "nn.BCEWithLogitsLoss: loss(logit, target) (nothing printed)")),
        Spec("doc003_relu_outputs", (F(["1.8", "0.75"]), F(["1.0", "0.0"])), tags=("documented-example",),
             doc=Doc(_D003, "Binary cross entropy with logits: loss(torch.tensor([1.8, 0.75]), torch.tensor([1.0, 0.0]))", (
                 Printed("0.6449", "tensor(0.6449)"),))),
        Spec("none", (_X, _Y), {"reduction": "none"}, tags=("basic", "reduction-none")),
        Spec("sum", (_X, _Y), {"reduction": "sum"}, tags=("basic", "reduction-sum")),
        Spec("mean", (_X, _Y), tags=("basic",)),
        Spec("pos_weight", (_X, _Y), {"pos_weight": F(["3", "0.5", "1.25"])}, tags=("pos-weight",)),
        Spec("pos_weight_none", (_X, _Y), {"pos_weight": F(["3", "0.5", "1.25"]), "reduction": "none"},
             tags=("pos-weight", "reduction-none")),
        Spec("weight", (_X, _Y), {"weight": F(["2", "0", "0.5"])}, tags=("weights",)),
        Spec("weight_and_pos_weight", (_X, _Y), {"weight": F([["2", "1", "0.5"], ["1", "3", "0.25"]]),
                                                   "pos_weight": F(["3", "0.5", "1.25"]), "reduction": "sum"},
             tags=("weights", "pos-weight", "reduction-sum")),
        Spec("kdim_pos_weight", (F([[["0.5", "-1.5"], ["2", "-0.25"]], [["3", "-4"], ["0", "1"]]]),
                                 F([[["1", "0"], ["1", "0"]], [["0.5", "1"], ["0", "1"]]])),
             {"pos_weight": F(["2", "0.5"])}, tags=("kdim", "pos-weight")),
        Spec("signed_zero_logits", (F(["-0.0", "0.0"]), F(["1", "0"])), {"reduction": "none"}, tags=("signed-zero",)),
        Spec("extreme_1e4", (F(["1e4", "-1e4", "1e4", "-1e4"]), F(["1", "1", "0", "0"])), {"reduction": "none"},
             dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "extreme")),
        Spec("extreme_1e4_mean", (F(["1e4", "-1e4", "1e4", "-1e4"]), F(["1", "1", "0", "0"])),
             dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "extreme")),
        Spec("extreme_3e38", (F(["3e38", "-3e38", "3e38", "-3e38"]), F(["0", "0", "1", "1"])), {"reduction": "none"},
             dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "extreme")),
        Spec("extreme_3e38_mean", (F(["3e38", "-3e38"]), F(["0", "0"])), dtypes=("float64", "float32", "bfloat16"),
             tags=("overflow", "extreme"), description="mean 1.5e38; the sum 3e38 is still finite"),
        Spec("extreme_6e4", (F(["6e4", "-6e4", "6e4", "-6e4"]), F(["0", "0", "1", "1"])), {"reduction": "none"},
             dtypes=("float16",), tags=("overflow", "extreme")),
        Spec("extreme_soft_target", (F(["40", "-40", "1e4"]), F(["0.25", "0.75", "0.5"])), {"reduction": "none"},
             dtypes=("float64", "float32"), tags=("extreme", "soft-target")),
        Spec("tiny_loss_88_8", (F(["-88.8", "88.8"]), F(["0", "1"])), {"reduction": "none"},
             dtypes=("float64", "float32", "bfloat16"), tags=("underflow", "cancellation"),
             description="2.72e-39, not the 0 that cancellation gives"),
        Spec("tiny_loss_float64", (F(["-700", "740", "-40"]), F(["0", "1", "0"])), {"reduction": "none"},
             dtypes=("float64",), tags=("underflow", "cancellation")),
        Spec("tiny_loss_float16", (F(["-15", "17", "-9"]), F(["0", "1", "0"])), {"reduction": "none"},
             dtypes=("float16",), tags=("underflow", "cancellation")),
        Spec("tiny_loss_sum", (F(["-88.8", "-90"]), F(["0", "0"])), {"reduction": "sum"},
             dtypes=("float64", "float32"), tags=("underflow", "cancellation")),
        Spec("empty_mean", (F([], shape=(0, 3)), F([], shape=(0, 3))), tags=("empty",)),
        Spec("empty_sum", (F([], shape=(0,)), F([], shape=(0,))), {"reduction": "sum"}, tags=("empty",)),
        Spec("empty_none", (F([], shape=(0, 3)), F([], shape=(0, 3))), {"reduction": "none", "pos_weight": F(["1", "2", "3"])},
             tags=("empty", "pos-weight")),
        grad("grad", (_X, _Y), description="(sigmoid(z) - y) / n"),
        grad("grad_pos_weight", (_X, _Y), {"pos_weight": F(["3", "0.5", "1.25"]), "weight": F(["2", "1", "0.5"])},
             tags=("pos-weight", "weights")),
        grad("grad_extreme", (F(["1e4", "-1e4", "1e4", "-1e4"]), F(["0", "1", "1", "0"])), {"reduction": "sum"},
             tags=("extreme",), description="gradients [1, -1, 0, 0]: finite at extreme logits"),
        grad("grad_confident", (F(["20", "-20", "40", "-40"]), F(["1", "0", "1", "0"])), {"reduction": "sum"},
             dtypes=("float64", "float32"), tags=("cancellation",),
             description="[-sigmoid(-20), sigmoid(-20), -sigmoid(-40), sigmoid(-40)]: the textbook "
             "sigmoid(z) - y rounds the confident, correct predictions' gradients to 0"),
        grad("grad_low", (F(["0.5", "-1.5", "2"]), F(["1", "0", "0.5"])), dtypes=LOW),
        # reductions: a mean (or a sum) whose true value is finite is finite, though the
        # plain sum of its terms overflows
        Spec("mean_3e38_no_overflow", (F(["3e38", "-3e38"]), F(["0", "1"])), dtypes=("float32", "bfloat16"),
             tags=("overflow", "extreme", "reduction-overflow"), description="mean 3e38; the plain sum 6e38 overflows"),
        Spec("mean_1_7e308_no_overflow", (F(["1.7e308", "-1.7e308"]), F(["0", "1"])), dtypes=("float64",),
             tags=("overflow", "extreme", "reduction-overflow"), description="mean 1.7e308; the plain sum overflows"),
        Spec("sum_3e38_overflows", (F(["3e38", "-3e38"]), F(["0", "1"])), {"reduction": "sum"}, dtypes=("float32",),
             tags=("overflow", "extreme", "reduction-overflow", "reduction-sum"), description="the true sum 6e38 is inf"),
        Spec("weight_huge_mean", (F(["0", "0"]), F(["0", "1"])), {"weight": F(["3e38", "3e38"])}, dtypes=("float32",),
             tags=("overflow", "weights", "extreme", "reduction-overflow"), description="terms 3e38 log 2; their sum overflows"),
    ]
