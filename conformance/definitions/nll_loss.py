"""Cases for nll_loss(input, target, *, weight=None, ignore_index=-100, reduction="mean")."""

from ._spec import F, I, LOW, Doc, Printed, Spec, grad

FUNCTION = "nll_loss"
POSITIONAL = ("input", "target")
DEFAULTS: dict = {"weight": None, "ignore_index": -100, "reduction": "mean"}


def conventions(args, kwargs):
    x = args[0]
    return {
        "input": "log-probabilities",
        "class_axis": 0 if len(x["shape"]) == 1 else 1,
        "target_kind": "index",
        "definition": "-w[t] * x[t] per position; 0 where t == ignore_index",
        "ignore_index": kwargs["ignore_index"],
        "reduction": kwargs["reduction"],
        "weight_normalisation": "mean divides by the sum of w[t] over targets that are not ignored",
        "all_ignored_or_empty_mean": "nan (0/0)",
        "output_dtype": "input dtype",
    }


def convention_tags(args, kwargs):
    # torch's weighted mean divides by the sum of w[target]; libraries differ
    return ("normalisation",) if kwargs["weight"] is not None and kwargs["reduction"] == "mean" else ()


_D000 = "000_8d2a940d624098e1.txt"
_D002 = "002_a0818776fc16c99b.txt"
_D003 = "003_d7ea3b1a403fbfdc.txt"
_LP = F([["-0.5", "-1.2", "-2.0", "-3.0"], ["-1.0", "-0.2", "-3.0", "-2.0"], ["-2.0", "-1.0", "-0.1", "-3.0"]])
_X = F([["-1.5", "-0.25", "-2"], ["-0.75", "-3", "-0.5"], ["-2.5", "-1", "-0.125"], ["-0.5", "-0.5", "-4"]])
_W = F(["0.5", "2", "1.25"])


def specs():
    return [
        Spec("doc000_three_samples", (_LP, I([3, 1, 2])), tags=("documented-example",),
             doc=Doc(_D000, "NLLLoss (Negative Log-Likelihood Loss)", (
                 Printed("1.100000", "# Manual NLLLoss: 1.100000"),))),
        Spec("doc002_three_samples", (_LP, I([3, 1, 2])), tags=("documented-example",),
             doc=Doc(_D002, "NLLLoss, float32", (
                 Printed("1.100000023841858", "# >> Manual NLLLoss: 1.100000023841858", compare="float32"),))),
        Spec("doc003_single", (F([["-0.6", "-0.50", "-0.30"]]), I([1])), tags=("documented-example",),
             doc=Doc(_D003, "Negative Log Likelihood Loss: loss(input, target), N = 1", (
                 Printed("0.5000", "tensor(0.5000)"),),
                 literal_args=(F([["0.6", "0.50", "0.30"]]), I([1])),
                 input_erratum="printed as [[0.6, 0.50, 0.30]], which gives -0.5000; the comment beside it ('The log "
                               "probabilities are all negative as expected') and the printed 0.5000 need "
                               "[[-0.6, -0.50, -0.30]]: the minus signs were lost")),
        Spec("none", (_X, I([1, 0, 2, 2])), {"reduction": "none"}, tags=("basic", "reduction-none")),
        Spec("sum", (_X, I([1, 0, 2, 2])), {"reduction": "sum"}, tags=("basic", "reduction-sum")),
        Spec("weight_mean", (_X, I([1, 0, 2, 2])), {"weight": _W}, tags=("weights",),
             description="weighted mean: divides by the sum of w[t]"),
        Spec("weight_none", (_X, I([1, 0, 2, 2])), {"weight": _W, "reduction": "none"}, tags=("weights", "reduction-none")),
        Spec("ignore_default", (_X, I([1, -100, 2, -100])), tags=("ignored",)),
        Spec("ignore_weight_mean", (_X, I([1, -100, 2, 0])), {"weight": _W}, tags=("ignored", "weights")),
        Spec("ignore_valid_class", (_X, I([1, 0, 2, 0])), {"ignore_index": 0, "weight": _W}, tags=("ignored", "weights"),
             description="ignore_index may name a real class"),
        Spec("ignore_none", (_X, I([1, -100, 2, 0])), {"reduction": "none"}, tags=("ignored", "reduction-none")),
        Spec("all_ignored_mean", (_X, I([-100, -100, -100, -100])), tags=("ignored",), description="0/0 = nan"),
        Spec("all_ignored_sum", (_X, I([-100, -100, -100, -100])), {"reduction": "sum"}, tags=("ignored",)),
        Spec("all_ignored_none", (_X, I([-100, -100, -100, -100])), {"reduction": "none"}, tags=("ignored",)),
        Spec("zero_total_weight", (_X, I([0, 0, 1, 1])), {"weight": F(["0", "0", "1"])}, tags=("weights",),
             description="every target has weight 0: 0/0 = nan"),
        Spec("kdim", (F([[["-0.5", "-1"], ["-2", "-0.25"], ["-3", "-0.75"]], [["-1", "-1.5"], ["-0.125", "-2"], ["-4", "-0.5"]]]),
                      I([[0, 2], [1, -100]])), {"weight": _W}, tags=("kdim", "weights", "ignored")),
        Spec("kdim_none", (F([[["-0.5", "-1"], ["-2", "-0.25"], ["-3", "-0.75"]], [["-1", "-1.5"], ["-0.125", "-2"], ["-4", "-0.5"]]]),
                           I([[0, 2], [1, 1]])), {"reduction": "none"}, tags=("kdim", "reduction-none")),
        Spec("unbatched", (F(["-1.5", "-0.25", "-2"]), I(2)), tags=("unbatched",)),
        Spec("unbatched_weight", (F(["-1.5", "-0.25", "-2"]), I(1)), {"weight": _W, "reduction": "sum"},
             tags=("unbatched", "weights")),
        Spec("neg_inf_target", (F([["-inf", "0"], ["-1", "-inf"]]), I([0, 0])), {"reduction": "none"},
             tags=("neg-inf", "special")),
        Spec("empty_mean", (F([], shape=(0, 3)), I([], shape=(0,))), tags=("empty",)),
        Spec("empty_sum", (F([], shape=(0, 3)), I([], shape=(0,))), {"reduction": "sum"}, tags=("empty",)),
        Spec("empty_none", (F([], shape=(0, 3)), I([], shape=(0,))), {"reduction": "none"}, tags=("empty",)),
        Spec("large_values", (F([["-1e4", "-3e38"], ["-2e4", "-1"]]), I([1, 0])), dtypes=("float64", "float32"),
             tags=("extreme",), description="no exp anywhere: large log-probabilities pass straight through"),
        grad("grad", (_X, I([1, 0, 2, -100])), {"weight": _W}, tags=("weights", "ignored")),
        grad("grad_low", (_X, I([1, 0, 2, 2])), dtypes=LOW),
        Spec("weight_huge_mean", (F([["-1", "-2"], ["-3", "-0.5"]]), I([0, 1])), {"weight": F(["3e38", "2e38"])},
             dtypes=("float32",), tags=("overflow", "weights", "extreme", "reduction-overflow"),
             description="(3e38 + 1e38) / 5e38 = 0.8: numerator and denominator overflow when added plainly"),
        Spec("weight_huge_mean_float64", (F([["-1", "-2"], ["-3", "-0.5"]]), I([0, 1])),
             {"weight": F(["1.7e308", "1.1e308"])}, dtypes=("float64",), tags=("overflow", "weights", "extreme", "reduction-overflow")),
    ]
