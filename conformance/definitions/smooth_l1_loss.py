"""Cases for smooth_l1_loss(input, target, *, reduction="mean", beta=1.0)."""

from ._spec import LOW, WIDE, F, Spec, grad

FUNCTION = "smooth_l1_loss"
POSITIONAL = ("input", "target")
DEFAULTS: dict = {"reduction": "mean", "beta": 1.0}


def conventions(args, kwargs):
    return {
        "definition": "z = |x - y|: z^2 / (2 beta) if z < beta, else z - beta / 2 (beta = 0: z)",
        "beta": kwargs["beta"],
        "reduction": kwargs["reduction"],
        "mean_divisor": "number of elements (nan when empty)",
        "output_dtype": "input dtype",
    }


_X = F([["0.5", "-1.5", "2"], ["-0.25", "3", "-4"]])
_Y = F([["1", "0", "1"], ["0", "0.75", "-4"]])


def specs():
    return [
        Spec("none", (_X, _Y), {"reduction": "none"}, tags=("basic", "reduction-none")),
        Spec("sum", (_X, _Y), {"reduction": "sum"}, tags=("basic", "reduction-sum")),
        Spec("mean", (_X, _Y), tags=("basic",)),
        Spec("beta_0_is_l1", (_X, _Y), {"beta": 0.0, "reduction": "none"}, tags=("reduction-none",)),
        Spec("beta_0_5", (_X, _Y), {"beta": 0.5, "reduction": "none"}, tags=("reduction-none",)),
        Spec("beta_4", (_X, _Y), {"beta": 4.0}),
        Spec("quadratic_no_overflow", (F(["1e20", "-1e29"]), F(["0", "0"])), {"beta": 1e30, "reduction": "none"},
             dtypes=("float32",), tags=("overflow", "extreme"),
             description="z^2 / (2 beta) = 5e9 and 5e27: z * z alone would overflow float32"),
        Spec("large_1e300", (F(["1e300", "-8e307"]), F(["-1e300", "8e307"])), {"reduction": "none"},
             dtypes=("float64",), tags=("extreme",)),
        Spec("tiny", (F(["1e-30", "-3e-20"]), F(["-1e-30", "0"])), {"beta": 1e-10, "reduction": "none"},
             dtypes=WIDE, tags=("underflow",)),
        Spec("specials", (F(["inf", "-inf", "nan", "-inf"]), F(["0", "1", "0", "-inf"])), {"reduction": "none"},
             tags=("special",)),
        Spec("empty_sum", (F([], shape=(0,)), F([], shape=(0,))), {"reduction": "sum"}, tags=("empty",)),
        grad("grad", (_X, F([["1", "0", "1"], ["0", "0.75", "-3.5"]])), {"beta": 1.0}),
        grad("grad_beta_0", (_X, F([["1", "0", "1"], ["0", "0.75", "-3.5"]])), {"beta": 0.0}),
        grad("grad_low", (F(["0.5", "-1.5", "2"]), F(["1", "0", "0.5"])), dtypes=LOW),
    ]
