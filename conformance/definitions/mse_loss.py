"""Cases for mse_loss(input, target, *, reduction="mean")."""

from ._spec import LOW, WIDE, Doc, F, Printed, Spec, grad

FUNCTION = "mse_loss"
POSITIONAL = ("input", "target")
DEFAULTS: dict = {"reduction": "mean"}


def conventions(args, kwargs):
    return {
        "definition": "(x - y)^2",
        "reduction": kwargs["reduction"],
        "mean_divisor": "number of elements (nan when empty)",
        "shapes": "input and target of the same shape (no broadcasting)",
        "output_dtype": "input dtype",
    }


_D004 = "004_e0c429dc88afda85.txt"
_X = F([["0.5", "-1.5", "2"], ["-0.25", "3", "-4"]])
_Y = F([["1", "0", "1"], ["0", "0.75", "-4"]])


def specs():
    return [
        Spec("doc004_loss_functions", (F(["0.9", "0.2", "0.1"]), F(["1.0", "0.0", "0.0"])), tags=("documented-example",),
             doc=Doc(_D004, "loss_functions.py: nn.MSELoss()(predictions, targets)", (
                 Printed("0.0067", 'print(f"MSE Loss: {mse.item():.4f}")  # 0.0067',
                         erratum="(0.1^2 + 0.2^2 + 0.1^2) / 3 = 0.06 / 3 = 0.02 (torch prints 0.0200); the printed "
                                 "0.0067 is 0.02 / 3, the mean divided by n a second time"),))),
        Spec("none", (_X, _Y), {"reduction": "none"}, tags=("basic", "reduction-none")),
        Spec("sum", (_X, _Y), {"reduction": "sum"}, tags=("basic", "reduction-sum")),
        Spec("mean", (_X, _Y), tags=("basic",)),
        Spec("scalar", (F("2.5"), F("-0.5")), tags=("basic",), description="0-d input"),
        Spec("kdim", (F([[["0.5", "-1.5"], ["2", "-0.25"]], [["3", "-4"], ["0", "1"]]]),
                      F([[["1", "0"], ["1", "0"]], [["0.5", "1"], ["0", "1"]]])), tags=("kdim",)),
        Spec("large_1e150", (F(["1e150", "-1e150", "3e153"]), F(["-1e150", "1e150", "0"])), {"reduction": "none"},
             dtypes=("float64",), tags=("extreme",), description="squares up to 9e306, still finite"),
        Spec("large_1e18", (F(["1e18", "-1e18", "1.5e19"]), F(["-1e18", "1e18", "0"])), {"reduction": "none"},
             dtypes=("float32", "bfloat16"), tags=("extreme",)),
        Spec("large_float16", (F(["100", "-100", "250"]), F(["-100", "60", "0"])), {"reduction": "none"},
             dtypes=("float16",), tags=("extreme",), description="squares up to 62500 < 65504"),
        Spec("overflow_3e38", (F(["3e38", "2e19", "-3e38"]), F(["-3e38", "0", "3e38"])), {"reduction": "none"},
             dtypes=("float32", "bfloat16"), tags=("overflow", "extreme"),
             description="differences and squares beyond the largest float32: inf, not nan"),
        Spec("tiny_difference", (F(["1.0000001", "1e-30", "-1e-20"]), F(["1", "-1e-30", "1e-20"])), {"reduction": "none"},
             dtypes=WIDE, tags=("cancellation", "underflow")),
        Spec("zero_error", (F(["0.5", "-0.0", "7"]), F(["0.5", "0.0", "7"])), {"reduction": "none"}, tags=("signed-zero",)),
        Spec("specials", (F(["inf", "-inf", "nan", "inf", "1"]), F(["0", "inf", "0", "inf", "-inf"])), {"reduction": "none"},
             tags=("special",), description="inf - inf (equal infinities) is nan, as in IEEE and torch"),
        Spec("empty_mean", (F([], shape=(0, 3)), F([], shape=(0, 3))), tags=("empty",)),
        Spec("empty_sum", (F([], shape=(0,)), F([], shape=(0,))), {"reduction": "sum"}, tags=("empty",)),
        grad("grad", (_X, _Y), description="2 (x - y) / n"),
        grad("grad_sum", (F(["0.05", "-2", "3.5"]), F(["1", "1", "0"])), {"reduction": "sum"},
             description="2 (x - y); at prediction 0.05, target 1: -1.9 (the chapter's 'MSE gradient is about 1.9')"),
        grad("grad_low", (F(["0.5", "-1.5", "2"]), F(["1", "0", "0.5"])), dtypes=LOW),
        Spec("mean_2_25e38_no_overflow", (F(["1.5e19", "-1.5e19"]), F(["0", "0"])), dtypes=("float32",),
             tags=("overflow", "extreme", "reduction-overflow"), description="squares 2.25e38; their sum overflows"),
        Spec("mean_1_44e308_no_overflow", (F(["1.2e154", "-1.2e154"]), F(["0", "0"])), dtypes=("float64",),
             tags=("overflow", "extreme", "reduction-overflow"), description="squares 1.44e308; their sum overflows"),
    ]
