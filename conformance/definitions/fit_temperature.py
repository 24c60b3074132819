"""Cases for fit_temperature(logits, labels)."""

from ._spec import WIDE, F, I, Spec

FUNCTION = "fit_temperature"
POSITIONAL = ("logits", "labels")
DEFAULTS: dict = {}


def conventions(args, kwargs):
    return {
        "definition": "argmin over T in [1e-4, 1e4] of mean_i (logsumexp(z_i / T) - z_{i, y_i} / T)",
        "range_ends": "1e-4 when the NLL still decreases there (e.g. separable data), 1e4 when it increases "
                      "throughout (worse than uniform)",
        "flat": "1 when every row's logits are all equal (the NLL does not depend on T)",
        "output": "0-d, logits dtype",
    }


def specs():
    return [
        Spec("docstring_75_percent", (F([["4", "0"], ["4", "0"], ["4", "0"], ["0", "4"]]), I([0, 0, 1, 1])),
             tags=("basic",), description="75 % right at softmax(4) = 0.982: T = 4 / log 3"),
        Spec("three_classes", (F([["3", "1", "-2"], ["0.5", "4", "1"], ["-1", "2", "2.5"], ["6", "-3", "0"],
                                  ["1", "1", "5"], ["2", "0", "1"]]), I([0, 1, 1, 0, 0, 2])), tags=("basic",)),
        Spec("underconfident", (F([["0.25", "0"], ["0.25", "0"], ["0", "0.25"], ["0.25", "0"]]), I([0, 0, 1, 0])),
             tags=("basic",), description="all right at confidence 0.56: T < 1 sharpens"),
        Spec("large_logits", (F([["1000", "0", "-500"], ["0", "800", "100"], ["300", "200", "0"], ["-50", "0", "60"]]),
                              I([0, 2, 1, 2])), dtypes=WIDE, tags=("overflow", "extreme"),
             description="exp(z) overflows: the softmax is shifted by each row's maximum"),
        Spec("separable", (F([["5", "0", "0"], ["0", "5", "0"], ["0", "0", "5"]]), I([0, 1, 2])), tags=("special",),
             description="every sample right: the NLL decreases as T -> 0; the range's end 1e-4"),
        Spec("all_wrong", (F([["5", "0", "0"], ["0", "5", "0"], ["0", "0", "5"]]), I([1, 2, 0])), tags=("special",),
             description="every sample wrong: the NLL decreases as T grows; the range's end 1e4"),
        Spec("flat", (F([["2.5", "2.5", "2.5"], ["-1", "-1", "-1"]]), I([0, 2])), tags=("special",),
             description="constant rows: any T is optimal, 1"),
        Spec("masked_class", (F([["3", "1", "-inf"], ["0.5", "4", "-inf"], ["-1", "2", "-inf"]]), I([0, 1, 0])),
             tags=("neg-inf",), description="a -inf logit has probability 0 at every T"),
    ]
