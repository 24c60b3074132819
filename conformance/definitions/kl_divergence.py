"""Cases for kl_divergence(p, q, *, axis=-1)."""

from ._spec import F, LOW, WIDE, Spec, grad, has, unnormalised

FUNCTION = "kl_divergence"
POSITIONAL = ("p", "q")
DEFAULTS: dict = {"axis": -1}


def conventions(args, kwargs):
    return {
        "definition": "sum p log(p / q) along axis (natural log)",
        "zero_probability": "0 log(0 / q) = 0; p log(p / 0) = +inf for p > 0",
        "normalisation": "none: p and q are used as given",
        "axis": kwargs["axis"],
        "output_dtype": "p's dtype",
    }


def convention_tags(args, kwargs):
    p, q = args
    tags = ["zero-log-zero"] if has(p, 0.0) else []  # 0 log(0 / q) = 0
    if unnormalised(p, kwargs["axis"]) or unnormalised(q, kwargs["axis"]):
        tags += ["unnormalised", "normalisation"]
    return tags


_P = F([["0.4", "0.1", "0.25", "0.25"], ["0.4", "0.1", "0.25", "0.25"]])
_Q = F([["0.3", "0.15", "0.25", "0.3"], ["0.3", "0.2", "0.2", "0.3"]])


def specs():
    return [
        Spec("label_mixes", (_P, _Q), tags=("basic",),
             description="the 003 post's label mixes: cross entropy 1.32 / 1.35 = entropy 1.29 + these"),
        Spec("axis_0", (F([["0.5", "0.2"], ["0.5", "0.8"]]), F([["0.25", "0.6"], ["0.75", "0.4"]])), {"axis": 0},
             tags=("basic",)),
        Spec("axis_none", (F([["0.5", "0.25"], ["0.125", "0.125"]]), F([["0.25", "0.25"], ["0.25", "0.25"]])),
             {"axis": None}, tags=("basic",)),
        Spec("kdim_axis_1", (F([[["0.5", "0.25"], ["0.5", "0.75"]], [["0.1", "0"], ["0.9", "1"]]]),
                             F([[["0.25", "0.5"], ["0.75", "0.5"]], [["0.5", "0.5"], ["0.5", "0.5"]]])), {"axis": 1},
             tags=("kdim",)),
        Spec("zeros", (F([["0", "1", "0"], ["0.5", "0.5", "0"]]), F([["0", "1", "0"], ["0.5", "0", "0.5"]])),
             tags=("special",), description="0 log(0/q) = 0 (also q = 0); p > 0 against q = 0 is +inf"),
        Spec("close_distributions", (F([["0.3", "0.7"], ["0.25", "0.75"]]), F([["0.3000001", "0.7000002"],
                                                                            ["0.25000000000001", "0.75000000000002"]])),
             dtypes=WIDE, tags=("cancellation",),
             description="log(p / q) near 0: log p - log q would lose most digits; log1p((p - q) / q) does not. "
                         "(q is not renormalised, so the terms do not cancel each other in the sum.)"),
        Spec("tiny_float64", (F(["1e-300", "0.5", "0.5"]), F(["1e-200", "0.25", "0.75"])), dtypes=("float64",),
             tags=("extreme",)),
        Spec("empty_axis", (F([], shape=(3, 0)), F([], shape=(3, 0))), tags=("empty",), description="0"),
        grad("grad", (F([["0.5", "0.25", "0.25"], ["0.1", "0.6", "0.3"]]), F([["0.25", "0.25", "0.5"], ["0.3", "0.3", "0.4"]])),
             description="log(p / q) + 1"),
        grad("grad_low", (F(["0.5", "0.25", "0.25"]), F(["0.25", "0.5", "0.25"])), dtypes=LOW),
    ]
