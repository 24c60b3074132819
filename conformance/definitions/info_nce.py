"""Cases for info_nce(query, positive, negatives, *, temperature=0.1, reduction="mean").

The case format has no optional positional array, so every case passes
``negatives``; the in-batch form (negatives=None) is covered through its
equivalent per-query negatives (each row's negatives = the other rows' positives).
"""

from ._spec import LOW, WIDE, F, Spec, grad

FUNCTION = "info_nce"
POSITIONAL = ("query", "positive", "negatives")
DEFAULTS: dict = {"temperature": 0.1, "reduction": "mean"}


def conventions(args, kwargs):
    shape = args[2]["shape"]
    return {
        "definition": "cross entropy of the positive (class 0) among [positive, negatives], logits cos_sim / temperature",
        "similarity": "cosine; 0 when either vector is zero",
        "negatives": "shared by every query, shape (M, D)" if len(shape) == 2 else "per query, shape (N, M, D)",
        "temperature": kwargs["temperature"],
        "reduction": kwargs["reduction"],
        "mean_divisor": "number of queries (nan when empty)",
        "output_dtype": "input dtype",
    }


_Q = F([["1", "0.5", "-1"], ["0", "2", "1"], ["-1", "-1", "0.5"]])
_P = F([["1", "0.25", "-0.5"], ["0.5", "2", "0"], ["-1", "0", "1"]])
_NEG2 = F([["0", "1", "1"], ["1", "-1", "0"]])
_NEG3 = F([[["0", "1", "1"], ["1", "-1", "0"]], [["1", "0", "0"], ["0", "0", "1"]], [["1", "1", "1"], ["-1", "0", "0"]]])
_EYE_Q = F([["1", "0"], ["0", "1"]])


def _in_batch(pos):
    """Per-query negatives equivalent to negatives=None: row i gets every other row's positive."""
    return F([[r for j, r in enumerate(pos) if j != i] for i in range(len(pos))])


_P_ROWS = [["1", "0.25", "-0.5"], ["0.5", "2", "0"], ["-1", "0", "1"]]


def specs():
    return [
        Spec("docstring_in_batch", (_EYE_Q, _EYE_Q, _in_batch([["1", "0"], ["0", "1"]])), {"temperature": 1.0},
             tags=("basic",), description="log(1 + e^-1) for each row (in-batch negatives of the identity)"),
        Spec("shared_negatives", (_Q, _P, _NEG2), tags=("basic",)),
        Spec("per_query_negatives", (_Q, _P, _NEG3), {"temperature": 0.5, "reduction": "none"},
             tags=("reduction-none",)),
        Spec("in_batch_equivalent", (_Q, F(_P_ROWS), _in_batch(_P_ROWS)), {"temperature": 0.0625, "reduction": "sum"},
             tags=("reduction-sum",), description="CLIP / SimCLR style: the other rows' positives are the negatives"),
        Spec("temperature_1_64", (_Q, _P, _NEG3), {"temperature": 0.015625, "reduction": "none"}, dtypes=("float64",),
             tags=("extreme", "reduction-none"),
             description="logits up to 64: nothing overflows (float64 only: a similarity's rounding error u becomes "
                         "64 u in a logit, ~20 float32 ulp of the loss: the problem's conditioning)"),
        Spec("temperature_0_01", (_Q, _P, _NEG3), {"temperature": 0.01, "reduction": "none"}, dtypes=("float64",),
             tags=("extreme", "reduction-none")),
        Spec("tiny_loss_orthogonal", (F([["1", "0", "0"], ["0", "1", "0"]]), F([["1", "0", "0"], ["0", "1", "0"]]),
                                      F([["0", "0", "1"], ["0", "0", "-1"]])), {"temperature": 0.03125, "reduction": "none"},
             dtypes=WIDE, tags=("underflow", "cancellation"),
             description="loss = log1p(2 e^-32) = 2.5e-14: log(sum exp) - x_pos would round it to 0 in float32"),
        Spec("zero_query", (F([["0", "0"], ["1", "1"]]), F([["1", "0"], ["1", "1"]]), F([["0", "1"], ["1", "-1"]])),
             {"temperature": 0.5, "reduction": "none"}, tags=("special", "reduction-none"),
             description="a zero vector has similarity 0 with everything: log(M + 1)"),
        Spec("huge_vectors_1e30", (F([["1e30", "0"], ["0", "-1e30"]]), F([["1e30", "0"], ["0", "-1e30"]]),
                                   F([["0", "1e30"], ["1e30", "0"]])), {"temperature": 0.05, "reduction": "none"},
             dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "extreme"),
             description="|x|^2 overflows float32: vectors are scaled before normalising"),
        grad("grad", (_Q, _P, _NEG2), {"temperature": 0.5}),
        grad("grad_low", (_Q, _P, _NEG2), {"temperature": 0.5}, dtypes=LOW),
    ]
