"""Cases for softmax(x, axis=-1)."""

from ._spec import LOW, Doc, F, Printed, Spec, grad

FUNCTION = "softmax"
POSITIONAL = ("x",)
DEFAULTS: dict = {"axis": -1}


def conventions(args, kwargs):
    return {
        "definition": "exp(x - logsumexp(x, axis)) along axis",
        "axis": kwargs["axis"],
        "all_neg_inf_slice": "nan (0/0: undefined)",
        "output_dtype": "input dtype",
    }


_D000 = "000_8d2a940d624098e1.txt"
_D002 = "002_a0818776fc16c99b.txt"
_D004 = "004_e0c429dc88afda85.txt"
_INPUT = [["-0.2869", "0.8709", "-1.0575"], ["-0.6224", "0.5318", "-2.3918"]]
_TABLE = ("0.2153", "0.6851", "0.0996", "0.2303", "0.7304", "0.0393")
_ROUNDED_INPUT = ("the input is torch.randn(2, 3) printed to 4 decimals; the case uses the printed decimals, so the "
                  "last printed digit of the output is only known to about +-1")


def specs():
    return [
        Spec("doc000_softmax_table", (F(_INPUT),), {"axis": 1}, tags=("documented-example",),
             doc=Doc(_D000, "Softmax Implementation (nn.Softmax(dim=1))", (
                 Printed(_TABLE, "# tensor([[0.2153, 0.6851, 0.0996], [0.2303, 0.7304, 0.0393]])"),),
                 note=_ROUNDED_INPUT)),
        Spec("doc002_softmax_table", (F(_INPUT),), {"axis": 1}, tags=("documented-example",),
             doc=Doc(_D002, "Softmax (nn.Softmax(dim=1)); output and out_manual", (
                 Printed(_TABLE, "# >> output tensor([[0.2153, 0.6851, 0.0996], [0.2303, 0.7304, 0.0393]])"),
                 Printed(_TABLE, "# >> out_manual tensor([[0.2153, 0.6851, 0.0996], [0.2303, 0.7304, 0.0393]])")),
                 note=_ROUNDED_INPUT)),
        Spec("doc004_logits_to_softmax", (F([["2.0", "1.0", "0.1"]]),), tags=("documented-example",),
             doc=Doc(_D004, "loss_functions.py, line 20 annotation", (
                 Printed(("0.66", "0.24", "0.10"), "Logits [2.0, 1.0, 0.1] -> softmax [0.66, 0.24, 0.10]"),))),
        Spec("axis0", (F([["0.5", "-1", "2"], ["1.5", "3", "-2"]]),), {"axis": 0}, tags=("basic",)),
        Spec("kdim_axis1", (F([[["0.5", "-1"], ["2", "0.25"], ["-3", "1"]], [["1", "1"], ["0", "-0.5"], ["4", "2"]]]),),
             {"axis": 1}, tags=("kdim",)),
        Spec("vector", (F(["1", "2", "3", "4"]),), tags=("basic",)),
        Spec("shift_1e8", (F([["1e8", "1e8", "1e8"], ["1e8", "100000001", "100000002"]]),),
             dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "shift"),
             description="exp overflows; the uniform row is exactly 1/3"),
        Spec("shift_6e4", (F([["6e4", "6e4", "6e4"], ["6e4", "60032", "60064"]]),), dtypes=("float16",),
             tags=("overflow", "shift")),
        Spec("extreme_1e4", (F([["1e4", "-1e4", "0"], ["-1e4", "-1e4", "-1e4"]]),),
             dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "underflow", "extreme")),
        Spec("extreme_3e38", (F([["3e38", "-3e38", "0"], ["-3e38", "-3e38", "-3e38"]]),),
             dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "extreme")),
        Spec("extreme_6e4", (F([["6e4", "-6e4", "0"], ["-6e4", "-6e4", "-6e4"]]),), dtypes=("float16",),
             tags=("overflow", "extreme")),
        Spec("tiny_probabilities", (F([["0", "-100", "-700"]]),), dtypes=("float64",), tags=("underflow",)),
        Spec("neg_inf_entry", (F([["0", "-inf", "1"], ["-inf", "2", "-inf"]]),), tags=("neg-inf", "special", "signed-zero"),
             zero_sign="+", description="exp(-inf) = +0: a probability of exactly zero, positive sign checked"),
        Spec("all_neg_inf_row", (F([["-inf", "-inf", "-inf"], ["0", "1", "2"]]),), tags=("neg-inf", "special", "undefined"),
             description="an all -inf row has no softmax: NaN, the other rows unaffected"),
        Spec("empty_batch", (F([], shape=(0, 3)),), tags=("empty",)),
        Spec("empty_axis", (F([], shape=(3, 0)),), tags=("empty",)),
        grad("grad", (F([["0.5", "-1", "2"], ["0", "0.25", "-0.75"]]),), cotangent=F([["1", "0", "-1"], ["2", "-1", "0.5"]])),
        grad("grad_low", (F([["0.5", "-1", "2"]]),), dtypes=LOW, cotangent=F([["1", "0", "-1"]])),
    ]
