"""Cases for log_softmax(x, axis=-1)."""

from ._spec import LOW, Doc, F, Spec, grad

FUNCTION = "log_softmax"
POSITIONAL = ("x",)
DEFAULTS: dict = {"axis": -1}


def conventions(args, kwargs):
    return {
        "definition": "x - logsumexp(x, axis) along axis",
        "axis": kwargs["axis"],
        "all_neg_inf_slice": "nan (-inf - (-inf): undefined)",
        "output_dtype": "input dtype",
    }


_D000 = "000_8d2a940d624098e1.txt"
_D003 = "003_d7ea3b1a403fbfdc.txt"


def specs():
    return [
        Spec("doc000_ce_logits", (F([[1.0, 2.0, 3.0, 4.0], [2.0, 1.0, 0.0, -1.0], [0.5, 0.5, 0.5, 0.5]]),), {"axis": 1},
             tags=("documented-example",),
             doc=Doc(_D000, "CrossEntropyLoss Implementation: the log-softmax of the example logits (nothing printed)")),
        Spec("doc003_logsoftmax_nll", (F([["-0.8956", "1.1171", "1.3302"]]),), {"axis": 1}, tags=("documented-example",),
             doc=Doc(_D003, "Negative Log Likelihood Loss: m = nn.LogSoftmax(dim=1) on the example input (nothing printed)",
                     note="the document prints the input as [[0.8956, 1.1171, 1.3302]]; see cross_entropy/doc003_logsoftmax_nll")),
        Spec("axis0", (F([["0.5", "-1", "2"], ["1.5", "3", "-2"]]),), {"axis": 0}, tags=("basic",)),
        Spec("kdim_axis1", (F([[["0.5", "-1"], ["2", "0.25"], ["-3", "1"]], [["1", "1"], ["0", "-0.5"], ["4", "2"]]]),),
             {"axis": 1}, tags=("kdim",)),
        Spec("shift_1e8", (F([["1e8", "1e8", "1e8"], ["1e8", "100000001", "100000002"]]),),
             dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "shift"),
             description="the uniform row is exactly -log 3"),
        Spec("shift_6e4", (F([["6e4", "6e4", "6e4"], ["6e4", "60032", "60064"]]),), dtypes=("float16",),
             tags=("overflow", "shift")),
        Spec("extreme_1e4", (F([["1e4", "-1e4", "0"]]),), dtypes=("float64", "float32", "bfloat16"),
             tags=("overflow", "extreme")),
        Spec("extreme_3e38", (F([["3e38", "-3e38", "0"], ["-3e38", "-3e38", "-3e38"]]),),
             dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "extreme")),
        Spec("extreme_6e4", (F([["6e4", "-6e4", "0"]]),), dtypes=("float16",), tags=("overflow", "extreme")),
        Spec("tiny_float64", (F([["0", "-40"], ["-36", "0"]]),), dtypes=("float64",), tags=("underflow", "cancellation"),
             description="log_softmax = -4.2e-18: log of a probability that rounds to 1"),
        Spec("tiny_float32", (F([["0", "-20"], ["-18", "0"]]),), dtypes=("float32",), tags=("underflow", "cancellation")),
        Spec("tiny_low", (F([["0", "-10"], ["-9", "0"]]),), dtypes=LOW, tags=("underflow", "cancellation")),
        Spec("neg_inf_entry", (F([["0", "-inf", "1"]]),), tags=("neg-inf", "special")),
        Spec("all_neg_inf_row", (F([["-inf", "-inf", "-inf"], ["0", "1", "2"]]),), tags=("neg-inf", "special", "undefined")),
        Spec("empty_batch", (F([], shape=(0, 4)),), tags=("empty",)),
        grad("grad", (F([["0.5", "-1", "2"], ["0", "0.25", "-0.75"]]),), cotangent=F([["1", "0", "-1"], ["2", "-1", "0.5"]])),
        grad("grad_extreme", (F([["1e4", "-1e4"]]),), cotangent=F([["0", "1"]]), tags=("extreme",),
             description="d log p_1 / dx = onehot - softmax = [-1, 1]"),
        grad("grad_low", (F([["0.5", "-1", "2"]]),), dtypes=LOW, cotangent=F([["1", "0", "-1"]])),
    ]
