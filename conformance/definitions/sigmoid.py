"""Cases for sigmoid(x)."""

from ._spec import LOW, Doc, F, Printed, Spec, grad

FUNCTION = "sigmoid"
POSITIONAL = ("x",)
DEFAULTS: dict = {}


def conventions(args, kwargs):
    return {"definition": "1 / (1 + exp(-x)), elementwise", "output_dtype": "input dtype"}


_D000 = "000_8d2a940d624098e1.txt"
_D002 = "002_a0818776fc16c99b.txt"
_D003 = "003_d7ea3b1a403fbfdc.txt"
_TABLE = ("0.1192", "0.2689", "0.5000", "0.7311", "0.8808")


def specs():
    return [
        Spec("doc000_sigmoid_table", (F([-2.0, -1.0, 0.0, 1.0, 2.0]),), tags=("documented-example",),
             doc=Doc(_D000, "Sigmoid Implementation", (
                 Printed(_TABLE, "# Built-in Sigmoid: tensor([0.1192, 0.2689, 0.5000, 0.7311, 0.8808])"),
                 Printed(_TABLE, "# Manual Sigmoid: tensor([0.1192, 0.2689, 0.5000, 0.7311, 0.8808])")))),
        Spec("doc002_sigmoid_table", (F([-2.0, -1.0, 0.0, 1.0, 2.0]),), tags=("documented-example",),
             doc=Doc(_D002, "Sigmoid", (
                 Printed(_TABLE, "# Built-in Sigmoid: tensor([0.1192, 0.2689, 0.5000, 0.7311, 0.8808])"),
                 Printed(_TABLE, "# Manual Sigmoid: tensor([0.1192, 0.2689, 0.5000, 0.7311, 0.8808])")))),
        Spec("doc003_sigmoid_of_relu_outputs", (F(["1.8", "0.75"]),), tags=("documented-example",),
             doc=Doc(_D003, "Binary Cross Entropy: torch.sigmoid(torch.tensor([1.8, 0.75]))", (
                 Printed(("0.8581", "0.6792"), "tensor([0.8581, 0.6792])"),))),
        Spec("moderate", (F([["-7.5", "-0.3", "0.125"], ["3.25", "12", "-15"]]),), tags=("basic",)),
        Spec("specials", (F(["inf", "-inf", "nan", "-0.0", "0.0"]),), tags=("special", "signed-zero"), zero_sign="+",
             description="sigmoid(-inf) is +0 (sign checked); sigmoid(+-0) = 1/2"),
        Spec("saturate_1e4", (F(["-1e4", "1e4", "-30000", "30000"]),), dtypes=("float64", "float32", "bfloat16"),
             tags=("overflow", "extreme"), description="exp(-x) overflows for the negative entries; exact 0 and 1"),
        Spec("saturate_3e38", (F(["-3e38", "3e38"]),), dtypes=("float64", "float32", "bfloat16"),
             tags=("overflow", "extreme")),
        Spec("saturate_6e4", (F(["-6e4", "6e4", "-1e4"]),), dtypes=("float16",), tags=("overflow", "extreme")),
        Spec("tiny_float64", (F(["-700", "-740", "-36.5"]),), dtypes=("float64",), tags=("underflow", "overflow"),
             description="sigmoid(-740) = 4.2e-322 is subnormal; 1 / (1 + exp(740)) overflows to 0"),
        Spec("tiny_float32", (F(["-88.8", "-100", "-16"]),), dtypes=("float32", "bfloat16"),
             tags=("underflow", "overflow"), description="sigmoid(-88.8) = 2.7e-39 is subnormal in float32"),
        Spec("tiny_float16", (F(["-12", "-16", "-9.5"]),), dtypes=("float16",), tags=("underflow",),
             description="sigmoid(-16) = 1.1e-7 is subnormal in float16"),
        Spec("kdim", (F([[[0.5, -0.5], [2.0, -2.0]], [[4.0, -4.0], [0.0, 1.5]]]),), tags=("kdim",)),
        Spec("empty", (F([], shape=(0, 3)),), tags=("empty",)),
        grad("grad", (F(["-3", "0.5", "2", "-0.0", "0.0"]),), cotangent=F(["1", "-2", "0.5", "3", "-1"]),
             description="includes x = +-0, where sigma'(0) = 1/4"),
        grad("grad_saturated", (F(["-1e4", "1e4"]),), description="derivative underflows to 0, never NaN",
             tags=("extreme",)),
        grad("grad_low", (F(["-3", "0.5", "2"]),), dtypes=LOW),
    ]

