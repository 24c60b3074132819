"""Cases for cosine_embedding_loss(x1, x2, y, *, margin=0.0, reduction="mean")."""

import contextlib

import mpmath

from ._spec import LOW, WIDE, F, I, Spec, grad

FUNCTION = "cosine_embedding_loss"
POSITIONAL = ("x1", "x2", "y")
DEFAULTS: dict = {"margin": 0.0, "reduction": "mean"}


def conventions(args, kwargs):
    return {
        "definition": "1 - cos (y = 1), max(0, cos - margin) (y = -1), "
                      "cos = x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12))",
        "eps": "torch's 1e-12 added to each squared norm: zero vectors have cos 0",
        "labels": "int64, 1 or -1",
        "margin": kwargs["margin"],
        "reduction": kwargs["reduction"],
        "mean_divisor": "number of pairs (nan when empty)",
        "output_dtype": "input dtype",
    }


@contextlib.contextmanager
def without_eps():
    """The oracle without torch's 1e-12 added to the squared norms (for the "eps" tag)."""
    from ..oracle import cosine_embedding_loss as oracle

    saved = oracle.EPS
    oracle.EPS = mpmath.mpf(0)
    try:
        yield
    finally:
        oracle.EPS = saved


_X1 = F([["1", "0", "2"], ["0.5", "-1", "0"], ["3", "1", "-2"], ["1", "1", "1"]])
_X2 = F([["0.5", "1", "2"], ["1", "1", "0.25"], ["-1", "2", "0"], ["2", "2", "2.5"]])
_Y = I([1, -1, -1, 1])


def specs():
    return [
        Spec("docstring_pair", (F([["1", "0"], ["1", "0"]]), F([["0.6", "0.8"], ["0.6", "0.8"]]), I([1, -1])),
             {"reduction": "none"}, tags=("basic", "reduction-none"), description="1 - 0.6 and 0.6"),
        Spec("mean", (_X1, _X2, _Y), tags=("basic",)),
        Spec("none_margin", (_X1, _X2, _Y), {"margin": 0.5, "reduction": "none"}, tags=("reduction-none",)),
        Spec("sum_negative_margin", (_X1, _X2, _Y), {"margin": -0.5, "reduction": "sum"}, tags=("reduction-sum",)),
        Spec("unbatched", (F(["1", "2", "2"]), F(["2", "1", "2"]), I(-1)), {"margin": 0.25}, tags=("unbatched",)),
        Spec("zero_vectors", (F([["0", "0"], ["0", "0"], ["1", "0"]]), F([["0", "0"], ["0", "0"], ["0", "0"]]), I([1, -1, 1])),
             {"margin": -0.25, "reduction": "none"}, tags=("special",),
             description="torch: cos = 0 / sqrt(eps eps) = 0, so 1 (y = 1) and max(0, -margin) (y = -1)"),
        Spec("tiny_vectors_eps", (F([["1e-7", "0"], ["1e-6", "2e-6"]]), F([["1e-7", "0"], ["3e-6", "1e-6"]]), I([1, 1])),
             {"reduction": "none"}, dtypes=WIDE, tags=("extreme",),
             description="|x|^2 comparable to eps = 1e-12: 1 - 1e-14 / (1e-14 + 1e-12) = 0.990099..."),
        Spec("nearly_parallel", (F([["1", "2", "3", "4"], ["-0.5", "0.25", "2", "1"]]),
                                 F([["1.001", "2", "2.999", "4.002"], ["-0.5", "0.2505", "2.001", "1"]]), I([1, 1])),
             {"reduction": "none"}, dtypes=("float64",), tags=("cancellation",),
             description="1 - cos ~ 1e-7: forming 1 - cos directly keeps about 9 digits of it in float64"),
        Spec("huge_1e25", (F([["1e25", "-3e25"], ["2e25", "2e25"]]), F([["2e25", "1e25"], ["-1e25", "3e25"]]), I([1, -1])),
             {"reduction": "none"}, dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "extreme"),
             description="|x|^2 overflows float32 (torch: nan); each vector is scaled by its largest entry"),
        Spec("huge_1e300", (F([["1e300", "-3e300"]]), F([["2e300", "1e300"]]), I([1])), dtypes=("float64",),
             tags=("overflow", "extreme")),
        Spec("empty_mean", (F([], shape=(0, 3)), F([], shape=(0, 3)), I([], shape=(0,))), tags=("empty",)),
        grad("grad", (_X1, _X2, _Y), {"margin": -0.5, "reduction": "sum"}, description="every hinge active"),
        grad("grad_low", (_X1, _X2, _Y), {"margin": -0.5}, dtypes=LOW),
    ]
