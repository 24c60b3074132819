"""Cases for sigmoid_focal_loss(input, target, *, alpha=0.25, gamma=2.0, reduction="mean")."""

from ._spec import LOW, WIDE, F, Spec, grad

FUNCTION = "sigmoid_focal_loss"
POSITIONAL = ("input", "target")
DEFAULTS: dict = {"alpha": 0.25, "gamma": 2.0, "reduction": "mean"}


def conventions(args, kwargs):
    return {
        "input": "logits",
        "target": "probabilities in [0, 1] (hard or soft)",
        "definition": "alpha_t * (1 - p_t)^gamma * (y softplus(-z) + (1 - y) softplus(z)), p = sigmoid(z), "
                      "p_t = p y + (1 - p)(1 - y), alpha_t = alpha y + (1 - alpha)(1 - y)",
        "alpha": kwargs["alpha"] if kwargs["alpha"] >= 0 else "negative: no alpha_t factor",
        "gamma": kwargs["gamma"],
        "reduction": kwargs["reduction"],
        "mean_divisor": "number of elements (nan when empty)",
        "default_reduction": "mean (torchvision's default is none)",
        "output_dtype": "input dtype",
    }


_Z = F([["2", "-1", "0.5"], ["-3", "0", "4.5"]])
_Y = F([["1", "0", "0"], ["1", "1", "0"]])


def specs():
    return [
        Spec("mean", (_Z, _Y), tags=("basic",)),
        Spec("none", (_Z, _Y), {"reduction": "none"}, tags=("basic", "reduction-none")),
        Spec("sum", (_Z, _Y), {"reduction": "sum"}, tags=("basic", "reduction-sum")),
        Spec("no_alpha", (_Z, _Y), {"alpha": -1.0, "reduction": "none"}, tags=("reduction-none",),
             description="alpha < 0: no alpha_t factor (torchvision)"),
        Spec("gamma_0_is_weighted_bce", (_Z, _Y), {"gamma": 0.0, "alpha": 0.5, "reduction": "none"},
             tags=("reduction-none",)),
        Spec("gamma_0_5", (_Z, _Y), {"gamma": 0.5, "alpha": 0.75}),
        Spec("soft_targets", (F(["2", "-1", "0.5", "40", "-40"]), F(["0.25", "0.9", "0.5", "0.3", "0.7"])),
             {"reduction": "none"}, dtypes=WIDE, tags=("soft-target",)),
        Spec("confident_tiny_loss", (F(["30", "-30", "15"]), F(["1", "0", "1"])), {"reduction": "none"},
             dtypes=WIDE, tags=("underflow", "cancellation"),
             description="1 - p_t = 9.4e-14 at z = 30: the loss 2.1e-40 (float64) must not be 0"),
        Spec("confident_tiny_loss_float64", (F(["200", "-300", "700"]), F(["1", "0", "1"])), {"reduction": "none", "gamma": 0.5},
             dtypes=("float64",), tags=("underflow", "cancellation")),
        Spec("extreme_1e4", (F(["1e4", "-1e4", "1e4", "-1e4", "1e4"]), F(["1", "1", "0", "0", "0.5"])),
             {"reduction": "none"}, dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "extreme")),
        Spec("extreme_3e38", (F(["3e38", "-3e38", "3e38", "-3e38", "3e38"]), F(["0", "0", "1", "1", "0.5"])),
             {"reduction": "none"}, dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "extreme"),
             description="finite losses up to 2.25e38 and exact zeros: no nan"),
        Spec("extreme_6e4", (F(["6e4", "-6e4", "6e4", "-6e4"]), F(["0", "0", "1", "1"])), {"reduction": "none"},
             dtypes=("float16",), tags=("overflow", "extreme")),
        Spec("extreme_1e300", (F(["1e300", "-1e300", "1.7e308"]), F(["0", "1", "0.5"])), {"reduction": "none"},
             dtypes=("float64",), tags=("overflow", "extreme")),
        Spec("infinite_logits", (F(["inf", "inf", "-inf", "-inf"]), F(["1", "0", "0", "1"])), {"reduction": "none"},
             tags=("special",), description="0 where the prediction is certain and right, inf where certain and wrong"),
        Spec("empty_mean", (F([], shape=(0, 4)), F([], shape=(0, 4))), tags=("empty",)),
        grad("grad", (_Z, _Y), description="includes z = 0, where |z| must not lose the derivative"),
        grad("grad_soft", (F(["2", "-1", "0.5", "0"]), F(["0.25", "0.9", "0.5", "0.3"])), {"gamma": 0.5, "alpha": -1.0},
             tags=("soft-target",)),
        grad("grad_extreme", (F(["1e4", "-1e4", "1e4", "-1e4"]), F(["0", "1", "1", "0"])), {"reduction": "sum"},
             tags=("extreme",), description="finite gradients [0.75, -0.25, 0, 0] at extreme logits"),
        grad("grad_low", (F(["0.5", "-1.5", "2"]), F(["1", "0", "0.5"])), dtypes=LOW),
    ]
