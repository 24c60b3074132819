"""Cases for log_sigmoid(x)."""

from ._spec import LOW, F, Spec, grad

FUNCTION = "log_sigmoid"
POSITIONAL = ("x",)
DEFAULTS: dict = {}


def conventions(args, kwargs):
    return {"definition": "log(sigmoid(x)) = -softplus(-x), elementwise", "output_dtype": "input dtype"}


def specs():
    return [
        Spec("basic", (F([-2.0, -1.0, 0.0, 1.0, 2.0]),), tags=("basic",)),
        Spec("moderate", (F([["-7.5", "-0.3", "0.125"], ["3.25", "12", "-15"]]),), tags=("basic",)),
        Spec("specials", (F(["inf", "-inf", "nan", "-0.0"]),), tags=("special", "signed-zero")),
        Spec("large_1e4", (F(["-1e4", "1e4", "-30000"]),), dtypes=("float64", "float32", "bfloat16"),
             tags=("overflow", "extreme"), description="log(1 / (1 + exp(1e4))) overflows; the answer is -1e4"),
        Spec("large_3e38", (F(["-3e38", "3e38"]),), dtypes=("float64", "float32", "bfloat16"),
             tags=("overflow", "extreme")),
        Spec("large_6e4", (F(["-6e4", "6e4"]),), dtypes=("float16",), tags=("overflow", "extreme")),
        Spec("tiny_float64", (F(["40", "700", "36.5"]),), dtypes=("float64",), tags=("underflow", "cancellation"),
             description="log_sigmoid(40) = -4.2e-18: log of a number that rounds to 1 loses it"),
        Spec("tiny_float32", (F(["20", "88.8", "100"]),), dtypes=("float32", "bfloat16"),
             tags=("underflow", "cancellation")),
        Spec("tiny_float16", (F(["8", "12", "16"]),), dtypes=("float16",), tags=("underflow", "cancellation")),
        Spec("neg_large_float32", (F(["-88.8", "-100", "-200"]),), dtypes=("float64", "float32"),
             tags=("overflow",), description="exp(-x) overflows float32"),
        Spec("kdim", (F([[[0.5, -0.5], [2.0, -2.0]], [[4.0, -4.0], [0.0, 1.5]]]),), tags=("kdim",)),
        Spec("empty", (F([], shape=(2, 0)),), tags=("empty",)),
        grad("grad", (F(["-3", "0.5", "2", "-0.0"]),), cotangent=F(["1", "-2", "0.5", "3"])),
        grad("grad_extreme", (F(["-1e4", "1e4"]),), tags=("extreme",), description="derivative 1 and 0"),
        grad("grad_low", (F(["-3", "0.5", "2"]),), dtypes=LOW),
    ]
