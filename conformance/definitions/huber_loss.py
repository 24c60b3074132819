"""Cases for huber_loss(input, target, *, reduction="mean", delta=1.0)."""

from ._spec import LOW, WIDE, F, Spec, grad

FUNCTION = "huber_loss"
POSITIONAL = ("input", "target")
DEFAULTS: dict = {"reduction": "mean", "delta": 1.0}


def conventions(args, kwargs):
    return {
        "definition": "z = |x - y|: z^2 / 2 if z < delta, else delta * (z - delta / 2)",
        "delta": kwargs["delta"],
        "reduction": kwargs["reduction"],
        "mean_divisor": "number of elements (nan when empty)",
        "output_dtype": "input dtype",
    }


_X = F([["0.5", "-1.5", "2"], ["-0.25", "3", "-4"]])
_Y = F([["1", "0", "1"], ["0", "0.75", "-4"]])
_E = F(["-3", "-1", "-0.25", "0", "0.5", "2"])
_Z = F(["0", "0", "0", "0", "0", "0"])


def specs():
    return [
        Spec("chapter_formula", (_E, _Z), {"reduction": "none"}, tags=("basic", "reduction-none"),
             description="the chapter's Huber formula at delta = 1, both branches and the branch point |e| = delta"),
        Spec("none", (_X, _Y), {"reduction": "none"}, tags=("basic", "reduction-none")),
        Spec("sum", (_X, _Y), {"reduction": "sum"}, tags=("basic", "reduction-sum")),
        Spec("mean", (_X, _Y), tags=("basic",)),
        Spec("delta_0_25", (_X, _Y), {"delta": 0.25, "reduction": "none"}, tags=("reduction-none",)),
        Spec("delta_3", (_X, _Y), {"delta": 3.0}),
        Spec("large_delta_1e30", (F(["1e15", "-1e20"]), F(["0", "0"])), {"delta": 1e30, "reduction": "none"},
             dtypes=("float32",), tags=("overflow", "extreme"),
             description="quadratic branch: 5e29 is finite, 5e39 is beyond float32 and comes back as inf"),
        Spec("tiny_delta_1e_10", (F(["1e30", "-1e30", "1e-11"]), F(["-1e30", "1e30", "0"])), {"delta": 1e-10, "reduction": "none"},
             dtypes=WIDE, tags=("extreme",)),
        Spec("large_1e150", (F(["1e150", "-1e300"]), F(["-1e150", "1e300"])), {"reduction": "none"},
             dtypes=("float64",), tags=("extreme",)),
        Spec("specials", (F(["inf", "-inf", "nan", "inf"]), F(["0", "1", "0", "inf"])), {"reduction": "none"},
             tags=("special",)),
        Spec("empty_mean", (F([], shape=(0, 2)), F([], shape=(0, 2))), tags=("empty",)),
        grad("grad", (_X, F([["1", "0", "1"], ["0", "0.75", "-3.5"]])), {"delta": 1.0},
             description="clamp(x - y, -delta, delta) / n (no error at the branch point)"),
        grad("grad_low", (F(["0.5", "-1.5", "2"]), F(["1", "0", "0.5"])), dtypes=LOW),
    ]
