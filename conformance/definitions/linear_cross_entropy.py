"""Cases for linear_cross_entropy(input, weight, target, *, bias=None, ignore_index=-100,
reduction="mean", label_smoothing=0.0): the cross entropy of ``input @ weight.T + bias``
with the classes on the last axis, as fused implementations (Liger-Kernel's
``LigerFusedLinearCrossEntropyLoss``, Apple's Cut Cross-Entropy) compute it."""

from ._spec import LOW, WIDE, F, I, Spec, grad

FUNCTION = "linear_cross_entropy"
POSITIONAL = ("input", "weight", "target")
DEFAULTS: dict = {"bias": None, "ignore_index": -100, "reduction": "mean", "label_smoothing": 0.0}


def conventions(args, kwargs):
    return {
        "input": "hidden states (..., H)",
        "weight": "(V, H), as torch.nn.Linear",
        "logits": "input @ weight.T + bias, classes on the last axis",
        "definition": "cross_entropy of the logits with class-index targets: (1 - eps) * (-log p[t]) "
                      "+ eps / V * sum_c (-log p[c]); 0 where t == ignore_index",
        "reduction": kwargs["reduction"],
        "label_smoothing": kwargs["label_smoothing"],
        "ignore_index": kwargs["ignore_index"],
        "all_ignored_or_empty_mean": "nan (0/0)",
        "output_dtype": "input dtype",
    }


_H = F([["0.5", "-1.5", "2"], ["-0.25", "3", "-1"], ["1.5", "1", "-0.5"], ["0", "0.75", "0.25"]])  # (4, 3)
_W = F([["1", "0.5", "-0.25"], ["-0.5", "0.25", "1"], ["0.75", "-1", "0.5"], ["0", "0.125", "-0.75"],
        ["0.25", "0.25", "0.25"]])  # (5, 3): V = 5 classes
_B = F(["0.5", "-0.25", "0", "1", "-1"])
_T = I([2, 0, 4, 1])
_HK = F([[["0.5", "-1.5", "2"], ["-0.25", "3", "-1"]], [["1.5", "1", "-0.5"], ["0", "0.75", "0.25"]],
         [["-1", "0.5", "0.5"], ["2", "-2", "0"]]])  # (3, 2, 3): (batch, time, H)
_TK = I([[2, -100], [4, 1], [0, 3]])
# weight rows of 1e4: logits of order 1e4 (exp overflows every dtype), exact in float32 and bfloat16
_HX = F([["1", "0"], ["0", "1"], ["1", "1"], ["-1", "2"]])
_WX = F([["1e4", "0"], ["0", "1e4"], ["-1e4", "1e4"]])


def specs():
    return [
        Spec("mean", (_H, _W, _T), {"bias": _B}, tags=("basic",)),
        Spec("none", (_H, _W, _T), {"bias": _B, "reduction": "none"}, tags=("basic", "reduction-none")),
        Spec("sum_no_bias", (_H, _W, _T), {"reduction": "sum"}, tags=("basic", "reduction-sum")),
        Spec("leading_dims_none", (_HK, _W, _TK), {"bias": _B, "reduction": "none"},
             tags=("kdim", "ignored", "reduction-none"), description="(batch, time, H) input, (batch, time) target"),
        Spec("leading_dims_mean_smoothing", (_HK, _W, _TK), {"label_smoothing": 0.1},
             tags=("kdim", "ignored", "label-smoothing")),
        Spec("ignore_valid_class", (_H, _W, I([2, 1, 1, 1])), {"ignore_index": 1, "bias": _B}, tags=("ignored",)),
        Spec("all_ignored_mean", (_H, _W, I([-100, -100, -100, -100])), tags=("ignored",), description="0/0 = nan"),
        Spec("all_ignored_sum", (_H, _W, I([-100, -100, -100, -100])), {"reduction": "sum"}, tags=("ignored",)),
        Spec("smoothing_none", (_H, _W, _T), {"bias": _B, "label_smoothing": 0.25, "reduction": "none"},
             tags=("label-smoothing", "reduction-none")),
        Spec("smoothing_one", (_H, _W, _T), {"label_smoothing": 1.0}, tags=("label-smoothing",),
             description="eps = 1: the target is uniform"),
        Spec("unbatched", (F(["0.5", "-1.5", "2"]), _W, I(3)), {"bias": _B, "reduction": "none"}, tags=("unbatched",)),
        Spec("empty_mean", (F([], shape=(0, 3)), _W, I([], shape=(0,))), tags=("empty",)),
        Spec("empty_none", (F([], shape=(0, 3)), _W, I([], shape=(0,))), {"reduction": "none"}, tags=("empty",)),
        # --- hard values -------------------------------------------------------------------------
        Spec("weight_rows_1e4", (_HX, _WX, I([0, 0, 1, 2])), {"reduction": "none"},
             dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "extreme"),
             description="logits [1e4, 0, -1e4], [0, 1e4, 1e4], ...: exp overflows, the loss does not"),
        Spec("weight_rows_1e4_smoothing", (_HX, _WX, I([0, 1, 1, 2])), {"label_smoothing": 0.1, "bias": F(["0", "1", "-1"])},
             dtypes=("float64", "float32"), tags=("overflow", "extreme", "label-smoothing")),
        Spec("tiny_loss_float64", (F([["1"], ["-1"]]), F([["0"], ["-40"]]), I([0, 1])), {"reduction": "none"},
             dtypes=("float64",), tags=("underflow", "cancellation"),
             description="logits [0, -40] with target 0: -log(1 / (1 + e^-40)) = 4.25e-18"),
        Spec("tiny_loss_float32", (F([["1"], ["-1"]]), F([["0"], ["-20"]]), I([0, 1])), {"reduction": "none"},
             dtypes=("float32",), tags=("underflow", "cancellation")),
        Spec("tiny_loss_low", (F([["1"], ["-1"]]), F([["0"], ["-10"]]), I([0, 1])), {"reduction": "none"},
             dtypes=LOW, tags=("underflow", "cancellation")),
        Spec("low_precision", (_H, _W, _T), {"bias": _B}, dtypes=LOW, tags=("basic",)),
        # --- gradients (with respect to the input) -------------------------------------------------
        grad("grad_mean", (_H, _W, _T), {"bias": _B}, dtypes=("float64",),
             description="(softmax - onehot) @ weight / N; float64 only: entry [0, 2] (2.3e-3) is a sum of "
                         "terms 30 times larger, which a float32 product cannot resolve to 24 ulp"),
        grad("grad_smoothing_ignore", (_HK, _W, _TK), {"label_smoothing": 0.2, "reduction": "sum"},
             tags=("kdim", "ignored", "label-smoothing")),
        grad("grad_extreme", (_HX, _WX, I([0, 0, 1, 2])), {"reduction": "sum"}, dtypes=WIDE, tags=("extreme",),
             description="finite gradients at logits of 1e4"),
    ]
