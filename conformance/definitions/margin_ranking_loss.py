"""Cases for margin_ranking_loss(x1, x2, y, *, margin=0.0, reduction="mean")."""

from ._spec import LOW, F, I, Spec, grad

FUNCTION = "margin_ranking_loss"
POSITIONAL = ("x1", "x2", "y")
DEFAULTS: dict = {"margin": 0.0, "reduction": "mean"}


def conventions(args, kwargs):
    return {
        "definition": "max(0, -y (x1 - x2) + margin)",
        "labels": "int64, 1 (x1 should rank higher) or -1",
        "margin": kwargs["margin"],
        "reduction": kwargs["reduction"],
        "mean_divisor": "number of elements (nan when empty)",
        "output_dtype": "input dtype",
    }


_X1 = F(["0.8", "0.3", "-1.5", "2", "0"])
_X2 = F(["0.5", "0.6", "-1", "2.5", "0"])
_Y = I([1, 1, -1, -1, 1])


def specs():
    return [
        Spec("docstring_pair", (F(["0.8", "0.3"]), F(["0.5", "0.6"]), I([1, 1])), {"margin": 0.125, "reduction": "none"},
             tags=("basic", "reduction-none")),
        Spec("mean", (_X1, _X2, _Y), tags=("basic",)),
        Spec("none_margin", (_X1, _X2, _Y), {"margin": 0.5, "reduction": "none"}, tags=("reduction-none",)),
        Spec("sum_negative_margin", (_X1, _X2, _Y), {"margin": -0.25, "reduction": "sum"}, tags=("reduction-sum",)),
        Spec("kdim", (F([["1", "2"], ["3", "4"]]), F([["2", "2"], ["1", "5"]]), I([[1, -1], [-1, 1]])), {"reduction": "none"},
             tags=("kdim",)),
        Spec("extreme_3e38", (F(["3e38", "-3e38", "1e38"]), F(["-3e38", "3e38", "1e38"]), I([-1, 1, 1])),
             {"reduction": "none"}, dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "extreme"),
             description="x2 - x1 = 6e38 overflows float32 to inf, the exact value's rounding; the tie gives 0"),
        Spec("empty_mean", (F([], shape=(0,)), F([], shape=(0,)), I([], shape=(0,))), tags=("empty",)),
        grad("grad", (_X1, _X2, _Y), {"margin": 1.0, "reduction": "sum"}, description="active hinges only"),
        grad("grad_low", (F(["0.5", "-1", "2"]), F(["1", "-2", "1.5"]), I([1, -1, 1])), {"margin": 1.0}, dtypes=LOW),
    ]
