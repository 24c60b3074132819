"""Cases for entropy(p, *, axis=-1)."""

from ._spec import F, LOW, WIDE, Doc, Printed, Spec, grad, has, unnormalised

FUNCTION = "entropy"
POSITIONAL = ("p",)
DEFAULTS: dict = {"axis": -1}


def conventions(args, kwargs):
    return {
        "definition": "-sum p log p along axis (natural log)",
        "zero_probability": "0 log 0 = 0",
        "normalisation": "none: p is used as given",
        "axis": kwargs["axis"],
        "output_dtype": "input dtype",
    }


def convention_tags(args, kwargs):
    (p,) = args
    tags = ["zero-log-zero"] if has(p, 0.0) else []
    if unnormalised(p, kwargs["axis"]):
        tags += ["unnormalised", "normalisation"]
    return tags


_D003 = "003_d7ea3b1a403fbfdc.txt"


def specs():
    return [
        Spec("doc003_training_labels", (F(["0.4", "0.1", "0.25", "0.25"]),), tags=("documented-example",),
             doc=Doc(_D003, "Entropy of the training-set labels (cat 40%, dog 10%, horse 25%, sheep 25%), natural log", (
                 Printed("1.29", "Entropy of our Training Set = (0.4 log0.4 + 0.1log0.1 + 0.25log0.25 + "
                                 "0.25log0.25 = 1.29"),),
                 note="The printed formula drops the leading minus sign (and E(C) = sum_i p(c_i) drops the log); "
                      "the value 1.29 is that of -sum p log p.")),
        Spec("rows", (F([["0.5", "0.5", "0"], ["1", "0", "0"], ["0.2", "0.3", "0.5"]]),), tags=("basic",)),
        Spec("axis_0", (F([["0.5", "1", "0.2"], ["0.5", "0", "0.3"], ["0", "0", "0.5"]]),), {"axis": 0}, tags=("basic",)),
        Spec("axis_none", (F([["0.125", "0.125"], ["0.25", "0.5"]]),), {"axis": None}, tags=("basic",)),
        Spec("kdim_axis_1", (F([[["0.5", "0.25"], ["0.5", "0.75"]], [["0.1", "0"], ["0.9", "1"]]]),), {"axis": 1},
             tags=("kdim",)),
        Spec("uniform_1024", (F(["0.0009765625"] * 1024),), dtypes=WIDE, tags=("basic",),
             description="log 1024 = 10 log 2"),
        Spec("nearly_certain", (F([["0.9999999", "1e-7"], ["1", "1e-30"]]),), dtypes=WIDE,
             tags=("extreme", "underflow"), description="tiny entropies keep their relative accuracy"),
        Spec("tiny_probabilities_float64", (F(["1e-300", "1e-200", "1"]),), dtypes=("float64",), tags=("extreme",)),
        Spec("empty_axis", (F([], shape=(2, 0)),), tags=("empty",), description="an empty sum: 0"),
        grad("grad", (F([["0.5", "0.25", "0.25"], ["0.1", "0.6", "0.3"]]),), description="-(log p + 1)"),
        grad("grad_low", (F(["0.5", "0.25", "0.25"]),), dtypes=LOW),
    ]
