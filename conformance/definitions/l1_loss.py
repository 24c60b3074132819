"""Cases for l1_loss(input, target, *, reduction="mean")."""

from ._spec import LOW, WIDE, F, Spec, grad

FUNCTION = "l1_loss"
POSITIONAL = ("input", "target")
DEFAULTS: dict = {"reduction": "mean"}


def conventions(args, kwargs):
    return {
        "definition": "|x - y|",
        "reduction": kwargs["reduction"],
        "mean_divisor": "number of elements (nan when empty)",
        "shapes": "input and target of the same shape (no broadcasting)",
        "output_dtype": "input dtype",
    }


_X = F([["0.5", "-1.5", "2"], ["-0.25", "3", "-4"]])
_Y = F([["1", "0", "1"], ["0", "0.75", "-4"]])


def specs():
    return [
        Spec("doc004_predictions", (F(["0.9", "0.2", "0.1"]), F(["1.0", "0.0", "0.0"])),
             description="the chapter's MSE example inputs, as L1 (mean absolute error 0.4 / 3)"),
        Spec("none", (_X, _Y), {"reduction": "none"}, tags=("basic", "reduction-none")),
        Spec("sum", (_X, _Y), {"reduction": "sum"}, tags=("basic", "reduction-sum")),
        Spec("mean", (_X, _Y), tags=("basic",)),
        Spec("kdim", (F([[["0.5", "-1.5"], ["2", "-0.25"]], [["3", "-4"], ["0", "1"]]]),
                      F([[["1", "0"], ["1", "0"]], [["0.5", "1"], ["0", "1"]]])), {"reduction": "sum"},
             tags=("kdim", "reduction-sum")),
        Spec("large_1e300", (F(["1e300", "-8e307", "1.7e308"]), F(["-1e300", "8e307", "-1e-300"])), {"reduction": "none"},
             dtypes=("float64",), tags=("extreme",), description="differences up to 1.7e308, all finite"),
        Spec("large_3e38", (F(["3e38", "-1e38", "1e38"]), F(["-3e38", "1e38", "-1e38"])), {"reduction": "none"},
             dtypes=("float32",), tags=("overflow", "extreme")),
        Spec("tiny_difference", (F(["1.0000001", "1e-30", "-1e-20"]), F(["1", "-1e-30", "1e-20"])), {"reduction": "none"},
             dtypes=WIDE, tags=("cancellation",)),
        Spec("specials", (F(["inf", "-inf", "nan", "-inf"]), F(["0", "inf", "0", "-inf"])), {"reduction": "none"},
             tags=("special",)),
        Spec("empty_mean", (F([], shape=(0,)), F([], shape=(0,))), tags=("empty",)),
        grad("grad", (_X, F([["1", "0", "1"], ["0", "0.75", "-3"]])), description="sign(x - y) / n (no zero errors)"),
        grad("grad_low", (F(["0.5", "-1.5", "2"]), F(["1", "0", "0.5"])), dtypes=LOW),
        Spec("mean_3e38_no_overflow", (F(["3e38", "-3e38", "2e38"]), F(["0", "0", "0"])), dtypes=("float32",),
             tags=("overflow", "extreme", "reduction-overflow"), description="mean 2.67e38; the plain sum overflows"),
        Spec("mean_1_7e308_no_overflow", (F(["1.7e308", "-1.7e308", "1e308"]), F(["0", "0", "0"])),
             dtypes=("float64",), tags=("overflow", "extreme", "reduction-overflow")),
    ]
