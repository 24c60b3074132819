"""Cases for softmax_focal_loss(input, target, *, gamma=2.0, weight=None,
ignore_index=-100, reduction="mean")."""

from ._spec import F, I, LOW, WIDE, Spec, grad

FUNCTION = "softmax_focal_loss"
POSITIONAL = ("input", "target")
DEFAULTS: dict = {"gamma": 2.0, "weight": None, "ignore_index": -100, "reduction": "mean"}


def conventions(args, kwargs):
    x, _ = args
    return {
        "input": "logits",
        "class_axis": 0 if len(x["shape"]) == 1 else 1,
        "target_kind": "index",
        "definition": "w[t] * (1 - p_t)^gamma * (-log p_t), p = softmax(input) along the class axis; "
                      "0 where t == ignore_index",
        "gamma": kwargs["gamma"],
        "ignore_index": kwargs["ignore_index"],
        "weight_placement": "the class weight scales the loss; p_t is unweighted",
        "weight_normalisation": "mean divides by the sum of w[t] over targets that are not ignored "
                                "(cross_entropy's convention: gamma = 0 is cross_entropy)",
        "all_ignored_or_empty_mean": "nan (0/0)",
        "reduction": kwargs["reduction"],
        "output_dtype": "input dtype",
    }


def convention_tags(args, kwargs):
    # torch's weighted mean divides by the sum of w[target]; libraries differ
    return ("normalisation",) if kwargs["weight"] is not None and kwargs["reduction"] == "mean" else ()


_X = F([["2", "1", "0.1"], ["-0.5", "1.5", "0.25"], ["0", "0", "0"], ["3", "-2", "0.5"]])
_T = I([0, 2, 1, 0])
_W = F(["2", "0.5", "1.25"])


def specs():
    return [
        Spec("chapter_ce_example", (F([["2.0", "1.0", "0.1"]]), I([0])), tags=("basic",),
             description="the chapter's cross-entropy example (CE 0.4170) under the focal modulation"),
        Spec("gamma_0_is_cross_entropy", (F([["2.0", "1.0", "0.1"]]), I([0])), {"gamma": 0.0},
             description="= cross_entropy = 0.4170 (the chapter's print)"),
        Spec("mean", (_X, _T), tags=("basic",)),
        Spec("none", (_X, _T), {"reduction": "none"}, tags=("basic", "reduction-none")),
        Spec("sum", (_X, _T), {"reduction": "sum"}, tags=("basic", "reduction-sum")),
        Spec("gamma_0_5", (_X, _T), {"gamma": 0.5}),
        Spec("weights", (_X, _T), {"weight": _W}, tags=("weights",), description="mean divides by sum w[t]"),
        Spec("weights_none", (_X, _T), {"weight": _W, "reduction": "none"}, tags=("weights", "reduction-none")),
        Spec("ignored", (_X, I([0, -100, 1, -100])), {"weight": _W}, tags=("ignored", "weights")),
        Spec("ignore_index_1", (_X, I([0, 1, 1, 2])), {"ignore_index": 1}, tags=("ignored",)),
        Spec("all_ignored", (_X, I([-100, -100, -100, -100])), tags=("ignored",), description="0/0 = nan"),
        Spec("unbatched", (F(["2", "1", "0.1"]), I(1)), {"reduction": "none"}, tags=("unbatched",)),
        Spec("kdim", (F([[["2", "-1"], ["0.5", "3"], ["0", "0"]], [["-1", "1"], ["1", "-1"], ["4", "0.25"]]]),
                      I([[0, 1], [2, 2]])), {"weight": _W}, tags=("kdim", "weights")),
        Spec("confident_right", (F([["40", "0", "0"], ["20", "0", "0"]]), I([0, 0])), {"reduction": "none"},
             dtypes=WIDE, tags=("underflow", "cancellation"),
             description="1 - p_t = 8.5e-18 at margin 40: the loss ~6e-52 must not be 0"),
        Spec("confident_wrong", (F([["0", "40", "0"], ["-1e4", "1e4", "0"]]), I([0, 0])), {"reduction": "none"},
             dtypes=WIDE, tags=("extreme",)),
        Spec("extreme_logits", (F([["1e4", "0", "-1e4"], ["1.5e38", "-1.5e38", "0"], ["-1.5e38", "1.5e38", "0"]]),
                                I([0, 0, 0])), {"reduction": "none"}, dtypes=("float64", "float32"),
             tags=("overflow", "extreme"), description="finite results, no nan"),
        Spec("one_class", (F([["3"], ["-2"]]), I([0, 0])), {"reduction": "none"}, tags=("special",),
             description="one class: p_t = 1, loss 0"),
        Spec("neg_inf_logit", (F([["0", "0", "-inf"], ["1", "-inf", "2"]]), I([1, 0])), {"reduction": "none"},
             tags=("neg-inf",)),
        grad("grad", (_X, _T), {"weight": _W}, tags=("weights",),
             description="includes a row of tied (zero) logits"),
        grad("grad_gamma_0_5", (_X, _T), {"gamma": 0.5, "reduction": "sum"}),
        grad("grad_low", (F([["0.5", "-1.5", "2"], ["1", "0", "0.5"]]), I([2, 1])), dtypes=LOW),
    ]
