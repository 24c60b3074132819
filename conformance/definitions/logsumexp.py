"""Cases for logsumexp(x, axis=None, keepdims=False)."""

from ._spec import LOW, Doc, F, Printed, Spec, grad

FUNCTION = "logsumexp"
POSITIONAL = ("x",)
DEFAULTS: dict = {"axis": None, "keepdims": False}


def conventions(args, kwargs):
    return {
        "definition": "log(sum(exp(x))) over axis (all axes when axis is None)",
        "axis": kwargs["axis"],
        "keepdims": kwargs["keepdims"],
        "empty": "-inf (log of an empty sum)",
        "all_neg_inf": "-inf",
        "output_dtype": "input dtype",
    }


_D000 = "000_8d2a940d624098e1.txt"
_D002 = "002_a0818776fc16c99b.txt"


def specs():
    return [
        Spec("doc000_1000_1001_1002", (F(["1000.0", "1001.0", "1002.0"]),), tags=("documented-example", "overflow"),
             doc=Doc(_D000, "Log-Sum-Exp Trick", (
                 Printed("1002.4076", "# Output: tensor(1002.4076)   (stable computation)"),
                 Printed("1002.4076", "# Output: tensor(1002.4076)   (torch.logsumexp)")),
                 note="the naive torch.log(torch.exp(x).sum()) printed as tensor(inf) is the overflow this case tests")),
        Spec("doc002_1000_1001_1002", (F(["1000.0", "1001.0", "1002.0"]),), tags=("documented-example", "overflow"),
             doc=Doc(_D002, "log-sum-exp trick (the text breaks off after the stable line; nothing printed)",
                     note="prints only '>> tensor(inf)' for the naive computation")),
        Spec("matrix_all", (F([["0.5", "-1", "2"], ["1.5", "3", "-2"]]),), tags=("basic",)),
        Spec("axis0", (F([["0.5", "-1", "2"], ["1.5", "3", "-2"]]),), {"axis": 0}, tags=("basic",)),
        Spec("axis1_keepdims", (F([["0.5", "-1", "2"], ["1.5", "3", "-2"]]),), {"axis": 1, "keepdims": True},
             tags=("basic",)),
        Spec("all_keepdims", (F([["0.5", "-1", "2"], ["1.5", "3", "-2"]]),), {"keepdims": True}, tags=("basic",)),
        Spec("axis_neg1_kdim", (F([[["0.5", "-1"], ["2", "0.25"]], [["1", "1"], ["-0.5", "4"]]]),), {"axis": -1},
             tags=("kdim",)),
        Spec("scalar", (F("2.5"),), tags=("basic",)),
        Spec("shift_1e8", (F(["1e8", "1e8", "1e8"]),), dtypes=("float64", "float32", "bfloat16"),
             tags=("overflow", "shift")),
        Spec("shift_6e4", (F(["6e4", "6e4", "6e4"]),), dtypes=("float16",), tags=("overflow", "shift")),
        Spec("huge_3e38", (F([["3e38", "3e38"], ["-3e38", "-3e38"]]),), {"axis": 1},
             dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "underflow", "extreme"),
             description="3e38 + log 2 rounds to 3e38; the second row must not underflow to log 0"),
        Spec("huge_6e4", (F([["6e4", "6e4"], ["-6e4", "-6e4"]]),), {"axis": 1}, dtypes=("float16",),
             tags=("overflow", "underflow", "extreme")),
        Spec("very_negative_1e4", (F(["-1e4", "-1e4", "-10001"]),), dtypes=("float64", "float32"),
             tags=("underflow",), description="every exp underflows to 0"),
        Spec("tiny_excess_float64", (F(["0", "-40"]),), dtypes=("float64",), tags=("cancellation", "underflow"),
             description="logsumexp = log1p(exp(-40)) = 4.2e-18; log(1 + tiny) loses it"),
        Spec("tiny_excess_float32", (F(["0", "-20"]),), dtypes=("float32",), tags=("cancellation", "underflow")),
        Spec("tiny_excess_low", (F(["0", "-10"]),), dtypes=LOW, tags=("cancellation", "underflow")),
        Spec("neg_inf_entries", (F([["-inf", "0"], ["-inf", "-inf"], ["1", "-inf"]]),), {"axis": 1},
             tags=("neg-inf", "special"), description="all -inf row gives -inf"),
        Spec("pos_inf_and_nan", (F([["inf", "0"], ["nan", "0"], ["inf", "-inf"]]),), {"axis": 1}, tags=("special",)),
        Spec("empty", (F([], shape=(0,)),), tags=("empty",), description="log of an empty sum: -inf"),
        Spec("empty_axis", (F([], shape=(2, 0)),), {"axis": 1}, tags=("empty",)),
        Spec("empty_batch", (F([], shape=(0, 3)),), {"axis": 1}, tags=("empty",)),
        grad("grad", (F([["0.5", "-1", "2"], ["1.5", "3", "-2"]]),), {"axis": 1}, cotangent=F(["1", "-0.5"])),
        grad("grad_all", (F(["1000", "1001", "1002"]),), tags=("overflow",)),
        grad("grad_low", (F(["0.5", "-1", "2"]),), dtypes=LOW),
    ]
