"""Cases for cross_entropy(input, target, *, weight=None, ignore_index=-100,
reduction="mean", label_smoothing=0.0)."""

from ._spec import F, I, LOW, Doc, Printed, Spec, grad, has, unnormalised, values

FUNCTION = "cross_entropy"
POSITIONAL = ("input", "target")
DEFAULTS: dict = {"weight": None, "ignore_index": -100, "reduction": "mean", "label_smoothing": 0.0}


def conventions(args, kwargs):
    x, t = args
    index = t["dtype"] == "int64"
    conv = {
        "input": "logits",
        "class_axis": 0 if len(x["shape"]) == 1 else 1,
        "target_kind": "index" if index else "probabilities",
        "reduction": kwargs["reduction"],
        "label_smoothing": kwargs["label_smoothing"],
        "label_smoothing_form": "target = (1 - eps) * onehot + eps / C (probability targets: (1 - eps) * q + eps / C)",
        "output_dtype": "input dtype",
    }
    if index:
        conv |= {
            "ignore_index": kwargs["ignore_index"],
            "definition": "(1 - eps) * (-w[t] log p[t]) + eps / C * sum_c (-w[c] log p[c]); 0 where t == ignore_index",
            "weight_normalisation": "mean divides both terms by the sum of w[t] over targets that are not ignored",
            "all_ignored_or_empty_mean": "nan (0/0)",
        }
    else:
        conv |= {
            "ignore_index": "not used with probability targets",
            "definition": "-sum_c w[c] * q_smoothed[c] * log p[c], with 0 * log 0 = 0",
            "weight_normalisation": "mean divides by the number of positions N * d1 * ... * dK, not by the weights",
            "empty_mean": "nan",
        }
    return conv


def convention_tags(args, kwargs):
    x, t = args
    tags = []
    if kwargs["weight"] is not None and kwargs["reduction"] == "mean":
        tags.append("normalisation")  # sum of w[target] (index targets) or positions (probabilities)
    if t["dtype"] != "int64":
        if unnormalised(t, 1 if len(t["shape"]) > 1 else 0):
            tags += ["unnormalised", "normalisation"]  # lse - sum(q x) would assume sum(q) = 1
        if kwargs["label_smoothing"] == 0 and has(x, float("-inf")) and \
                bool(((values(t) == 0) & (values(x) == float("-inf"))).any()):
            tags.append("zero-log-zero")  # 0 * log softmax = 0 * -inf
    return tags


_D000 = "000_8d2a940d624098e1.txt"
_D002 = "002_a0818776fc16c99b.txt"
_D003 = "003_d7ea3b1a403fbfdc.txt"
_D004 = "004_e0c429dc88afda85.txt"

_CE_DOC = F([[1.0, 2.0, 3.0, 4.0], [2.0, 1.0, 0.0, -1.0], [0.5, 0.5, 0.5, 0.5]])
_X = F([["0.5", "-1.5", "2", "0.25"], ["-0.25", "3", "-4", "1"], ["1.5", "1.5", "-0.5", "0"]])
_T = I([2, 1, 0])
_W = F(["0.5", "2", "1.25", "3"])
_Q = F([["0.25", "0", "0.5", "0.25"], ["0", "1", "0", "0"], ["0.125", "0.375", "0.25", "0.25"]])
_KX = F([[[["0.5", "-1"], ["2", "0"]], [["-1.5", "3"], ["0.25", "1"]], [["2", "0.5"], ["-2", "1.5"]]],
         [[["1", "1"], ["-0.5", "4"]], [["0", "-3"], ["2.5", "0.5"]], [["-1", "2"], ["1", "-0.25"]]]])  # (2, 3, 2, 2)
_KT = I([[[0, 2], [1, -100]], [[2, 2], [0, 1]]])
_KQ = F([[[["0.5", "0"], ["1", "0.25"]], [["0.25", "1"], ["0", "0.5"]], [["0.25", "0"], ["0", "0.25"]]],
         [[["1", "0"], ["0.5", "0.5"]], [["0", "0.5"], ["0.5", "0.25"]], [["0", "0.5"], ["0", "0.25"]]]])
_W3 = F(["0.5", "2", "1.25"])


def specs():
    return [
        # --- documented examples ---------------------------------------------------------------
        Spec("doc004_single", (F([["2.0", "1.0", "0.1"]]), I([0])), tags=("documented-example",),
             doc=Doc(_D004, "loss_functions.py: nn.CrossEntropyLoss()(logits, labels)", (
                 Printed("0.4170", 'print(f"CE Loss: {ce.item():.4f}")  # 0.4170'),))),
        Spec("doc003_probability_target", (F(["3.05", "3.13", "3.48"]), F(["0.0", "0.0", "1.0"])),
             tags=("documented-example", "probability-target", "unbatched"),
             doc=Doc(_D003, "Cross Entropy Loss: F.cross_entropy(out, target), target = [0.0, 0.0, 1.0]", (
                 Printed("0.8566", "tensor(0.8566)"),),
                 note="the prose example computes -log(0.425) = 0.856 from rounded probabilities "
                      "[0.275, 0.300, 0.425]; softmax([3.05, 3.13, 3.48]) is [0.2762, 0.2992, 0.4246]")),
        Spec("doc003_logsoftmax_nll", (F([["-0.8956", "1.1171", "1.3302"]]), I([1])), tags=("documented-example",),
             doc=Doc(_D003, "Negative Log Likelihood Loss: loss(m(input), target) with m = nn.LogSoftmax(dim=1) "
                            "(LogSoftmax + NLLLoss = CrossEntropyLoss)", (
                 Printed("0.8634", "tensor(0.8634)"),),
                 literal_args=(F([["0.8956", "1.1171", "1.3302"]]), I([1])),
                 input_erratum="printed as [[0.8956, 1.1171, 1.3302]], which gives 1.1115; 0.8634 needs "
                               "[[-0.8956, 1.1171, 1.3302]]: the first minus sign was lost")),
        Spec("doc000_four_classes", (_CE_DOC, I([3, 0, 2])), tags=("documented-example",),
             doc=Doc(_D000, "CrossEntropyLoss Implementation / Exercise (nothing printed)")),
        Spec("doc002_four_classes", (_CE_DOC, I([3, 0, 2])), tags=("documented-example",),
             doc=Doc(_D002, "CrossEntropyLoss / Exercise - implement it! (nothing printed)")),
        # --- options, index targets -----------------------------------------------------------
        Spec("mean", (_X, _T), tags=("basic",)),
        Spec("none", (_X, _T), {"reduction": "none"}, tags=("basic", "reduction-none")),
        Spec("sum", (_X, _T), {"reduction": "sum"}, tags=("basic", "reduction-sum")),
        Spec("weight_mean", (_X, _T), {"weight": _W}, tags=("weights",)),
        Spec("weight_sum", (_X, _T), {"weight": _W, "reduction": "sum"}, tags=("weights", "reduction-sum")),
        Spec("weight_none", (_X, _T), {"weight": _W, "reduction": "none"}, tags=("weights", "reduction-none")),
        Spec("ignore_default", (_X, I([2, -100, 0])), tags=("ignored",)),
        Spec("ignore_valid_class_weight", (_X, I([2, 1, 1])), {"ignore_index": 1, "weight": _W},
             tags=("ignored", "weights")),
        Spec("ignore_none", (_X, I([2, -100, 0])), {"reduction": "none"}, tags=("ignored", "reduction-none")),
        Spec("all_ignored_mean", (_X, I([-100, -100, -100])), tags=("ignored",), description="0/0 = nan"),
        Spec("all_ignored_sum", (_X, I([-100, -100, -100])), {"reduction": "sum"}, tags=("ignored",)),
        Spec("all_ignored_smoothing_mean", (_X, I([-100, -100, -100])), {"label_smoothing": 0.1, "weight": _W},
             tags=("ignored", "label-smoothing", "weights")),
        Spec("smoothing", (_X, _T), {"label_smoothing": 0.1}, tags=("label-smoothing",)),
        Spec("smoothing_none", (_X, _T), {"label_smoothing": 0.25, "reduction": "none"},
             tags=("label-smoothing", "reduction-none")),
        Spec("smoothing_weight_mean", (_X, _T), {"label_smoothing": 0.3, "weight": _W},
             tags=("label-smoothing", "weights"),
             description="torch weights the smoothing term per class and divides by sum w[t]"),
        Spec("smoothing_weight_ignore_mean", (_X, I([2, -100, 0])), {"label_smoothing": 0.2, "weight": _W},
             tags=("label-smoothing", "weights", "ignored")),
        Spec("smoothing_weight_ignore_none", (_X, I([2, -100, 0])),
             {"label_smoothing": 0.2, "weight": _W, "reduction": "none"},
             tags=("label-smoothing", "weights", "ignored", "reduction-none")),
        Spec("smoothing_one", (_X, _T), {"label_smoothing": 1.0}, tags=("label-smoothing",),
             description="eps = 1: the target is uniform"),
        # --- probability targets -----------------------------------------------------------------
        Spec("prob_mean", (_X, _Q), tags=("probability-target",)),
        Spec("prob_none", (_X, _Q), {"reduction": "none"}, tags=("probability-target", "reduction-none")),
        Spec("prob_weight_mean", (_X, _Q), {"weight": _W}, tags=("probability-target", "weights"),
             description="mean divides by N, not by the weights (torch)"),
        Spec("prob_weight_smoothing_sum", (_X, _Q), {"weight": _W, "label_smoothing": 0.2, "reduction": "sum"},
             tags=("probability-target", "weights", "label-smoothing", "reduction-sum")),
        Spec("prob_smoothing_mean", (_X, _Q), {"label_smoothing": 0.1}, tags=("probability-target", "label-smoothing")),
        Spec("prob_neg_inf_zero_mass", (F([["0", "-inf", "1"], ["2", "-inf", "-inf"]]), F([["0.5", "0", "0.5"], ["1", "0", "0"]])),
             {"reduction": "none"}, tags=("probability-target", "neg-inf", "special"),
             description="a class with no target mass and logit -inf contributes nothing (torch gives nan: 0 * -inf)"),
        # --- shapes ------------------------------------------------------------------------------
        Spec("kdim_index", (_KX, _KT), {"weight": _W3}, tags=("kdim", "weights", "ignored")),
        Spec("kdim_index_none_smoothing", (_KX, _KT), {"reduction": "none", "label_smoothing": 0.1},
             tags=("kdim", "reduction-none", "label-smoothing", "ignored")),
        Spec("kdim_prob", (_KX, _KQ), {"weight": _W3}, tags=("kdim", "probability-target", "weights")),
        Spec("kdim_prob_none", (_KX, _KQ), {"reduction": "none"}, tags=("kdim", "probability-target", "reduction-none")),
        Spec("unbatched_index", (F(["0.5", "-1.5", "2", "0.25"]), I(1)), tags=("unbatched",)),
        Spec("unbatched_index_weight_smoothing", (F(["0.5", "-1.5", "2", "0.25"]), I(3)),
             {"weight": _W, "label_smoothing": 0.1}, tags=("unbatched", "weights", "label-smoothing")),
        Spec("unbatched_prob", (F(["0.5", "-1.5", "2", "0.25"]), F(["0.25", "0.25", "0.5", "0"])),
             {"weight": _W}, tags=("unbatched", "probability-target", "weights")),
        Spec("empty_mean", (F([], shape=(0, 4)), I([], shape=(0,))), tags=("empty",)),
        Spec("empty_sum", (F([], shape=(0, 4)), I([], shape=(0,))), {"reduction": "sum", "label_smoothing": 0.1},
             tags=("empty",)),
        Spec("empty_none", (F([], shape=(0, 4)), I([], shape=(0,))), {"reduction": "none"}, tags=("empty",)),
        Spec("empty_prob_mean", (F([], shape=(0, 4)), F([], shape=(0, 4))), tags=("empty", "probability-target")),
        # --- hard values -------------------------------------------------------------------------
        Spec("logit_shift_1e4", (F([["1e4", "10001", "10002"], ["1e4", "1e4", "1e4"]]), I([0, 1])),
             tags=("overflow", "shift"), dtypes=("float64", "float32", "bfloat16")),
        Spec("logit_shift_1e8", (F([["1e8", "1e8", "1e8"], ["1e8", "100000001", "100000002"]]), I([0, 2])),
             {"reduction": "none"}, dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "shift"),
             description="uniform row + 1e8 gives log 3"),
        Spec("logit_shift_6e4", (F([["6e4", "6e4", "6e4"], ["6e4", "60032", "60064"]]), I([0, 2])),
             {"reduction": "none"}, dtypes=("float16",), tags=("overflow", "shift")),
        Spec("logit_1e4", (F([["1e4", "-1e4", "0"], ["-1e4", "1e4", "0"], ["0", "-1e4", "1e4"]]), I([0, 0, 1])),
             {"reduction": "none"}, dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "extreme")),
        Spec("logit_1e4_mean", (F([["1e4", "-1e4", "0"], ["-1e4", "1e4", "0"]]), I([0, 0])),
             dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "extreme")),
        Spec("logit_1e4_smoothing", (F([["1e4", "-1e4", "0"], ["-1e4", "1e4", "0"]]), I([0, 1])),
             {"label_smoothing": 0.1, "reduction": "none"}, dtypes=("float64", "float32"),
             tags=("overflow", "extreme", "label-smoothing")),
        Spec("logit_3e38", (F([["3e38", "-3e38", "0"], ["3e38", "3e38", "0"], ["-3e38", "-3e38", "-3e38"], ["3e38", "0", "0"]]),
                            I([0, 1, 2, 1])),
             {"reduction": "none"}, dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "extreme")),
        Spec("logit_6e4", (F([["6e4", "-6e4", "0"], ["6e4", "6e4", "0"], ["-6e4", "-6e4", "-6e4"], ["6e4", "0", "0"]]),
                           I([0, 1, 2, 1])),
             {"reduction": "none"}, dtypes=("float16",), tags=("overflow", "extreme")),
        Spec("prob_target_1e4", (F([["1e4", "-1e4", "0"]]), F([["0.5", "0.25", "0.25"]])), {"reduction": "none"},
             dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "extreme", "probability-target")),
        Spec("tiny_loss_float64", (F([["0", "-40"], ["-36", "0"]]), I([0, 1])), {"reduction": "none"},
             dtypes=("float64",), tags=("underflow", "cancellation"),
             description="-log(1 / (1 + e^-40)) = 4.2e-18"),
        Spec("tiny_loss_float32", (F([["0", "-20"], ["-18", "0"]]), I([0, 1])), {"reduction": "none"},
             dtypes=("float32",), tags=("underflow", "cancellation")),
        Spec("tiny_loss_low", (F([["0", "-10"], ["-9", "0"]]), I([0, 1])), {"reduction": "none"},
             dtypes=LOW, tags=("underflow", "cancellation")),
        Spec("neg_inf_nontarget", (F([["0", "-inf", "1"], ["-inf", "2", "-inf"]]), I([2, 1])), {"reduction": "none"},
             tags=("neg-inf", "special"), description="a -inf non-target logit contributes nothing"),
        Spec("neg_inf_nontarget_smoothing", (F([["0", "-inf", "1"]]), I([2])), {"label_smoothing": 0.1},
             tags=("neg-inf", "special", "label-smoothing"),
             description="smoothing puts mass eps/C on the -inf class: the loss is +inf"),
        Spec("neg_inf_target", (F([["0", "-inf", "1"]]), I([1])), tags=("neg-inf", "special")),
        Spec("all_neg_inf_row", (F([["-inf", "-inf", "-inf"], ["0", "1", "2"]]), I([0, 2])), {"reduction": "none"},
             tags=("neg-inf", "special", "undefined"), description="no class has any probability: nan"),
        # --- gradients --------------------------------------------------------------------------
        grad("grad_mean", (_X, _T), description="(softmax - onehot) / N"),
        grad("grad_weight_ignore", (_X, I([2, -100, 0])), {"weight": _W}, tags=("weights", "ignored")),
        grad("grad_smoothing_weight", (_X, _T), {"weight": _W, "label_smoothing": 0.2},
             tags=("weights", "label-smoothing")),
        grad("grad_prob", (_X, _Q), {"weight": _W, "label_smoothing": 0.1},
             tags=("probability-target", "weights", "label-smoothing")),
        grad("grad_kdim", (_KX, _KT), {"reduction": "sum"}, tags=("kdim", "ignored")),
        grad("grad_extreme", (F([["1e4", "-1e4"], ["-1e4", "1e4"], ["1e4", "1e4"]]), I([1, 1, 0])), {"reduction": "sum"},
             tags=("extreme",), description="gradients [[1, -1], [0, 0], [-0.5, 0.5]]: finite at extreme logits"),
        grad("grad_confident", (F([["0", "-40"], ["45", "0"]]), I([0, 0])), {"reduction": "sum"},
             dtypes=("float64", "float32"), tags=("cancellation",),
             description="[[-p, p], [-q, q]] with p = 4.25e-18, q = 2.9e-20: softmax - onehot "
             "rounds the confident, correct rows' gradients to 0"),
        grad("grad_low", (F([["0.5", "-1.5", "2"], ["-0.25", "3", "-4"]]), I([2, 0])), dtypes=LOW),
        Spec("weight_huge_mean", (F([["0", "0"], ["0", "0"]]), I([0, 1])), {"weight": F(["3e38", "3e38"])},
             dtypes=("float32",), tags=("overflow", "weights", "extreme", "reduction-overflow"),
             description="log 2: the weighted terms and the summed weights both overflow when added plainly"),
        Spec("weight_huge_mean_float64", (F([["0", "0"], ["0", "0"]]), I([0, 1])), {"weight": F(["1.7e308", "1.7e308"])},
             dtypes=("float64",), tags=("overflow", "weights", "extreme", "reduction-overflow")),
    ]
