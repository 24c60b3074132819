"""Cases for kl_div(input, target, *, reduction="mean", log_target=False)."""

import mpmath

from ._spec import F, LOW, WIDE, Spec, grad, has

FUNCTION = "kl_div"
POSITIONAL = ("input", "target")
DEFAULTS: dict = {"reduction": "mean", "log_target": False}


def conventions(args, kwargs):
    return {
        "input": "log-probabilities",
        "target": "log-probabilities" if kwargs["log_target"] else "probabilities",
        "definition": "exp(t) * (t - x)" if kwargs["log_target"] else "p * (log p - x)",
        "zero_target": "contributes 0, even where the input is -inf (torch: nan)",
        "reduction": kwargs["reduction"],
        "mean_divisor": "number of elements (torch's 'mean'; nan when empty)",
        "batchmean_divisor": "input.shape[0] (a 0-d input is its own sum; an empty batch is nan)",
        "output_dtype": "input dtype",
    }


def convention_tags(args, kwargs):
    t = args[1]
    zero = has(t, float("-inf")) if kwargs["log_target"] else has(t, 0.0)
    return ("zero-log-zero",) if zero else ()  # a zero target contributes 0, whatever the input


def _log(*values):
    return [mpmath.log(mpmath.mpf(v)) for v in values]


# The 003 label mixes: target p = (0.4, 0.1, 0.25, 0.25) against q = (0.3, 0.15, 0.25, 0.3)
# and (0.3, 0.2, 0.2, 0.3); input = log q (exact logs, rounded to the dtype).
_LOG_Q = F([_log("0.3", "0.15", "0.25", "0.3"), _log("0.3", "0.2", "0.2", "0.3")])
_P = F([["0.4", "0.1", "0.25", "0.25"], ["0.4", "0.1", "0.25", "0.25"]])
_X = F([["-1.2", "-0.7", "-2.5"], ["-0.1", "-3", "-1"]])
_T = F([["0.25", "0", "0.75"], ["0.5", "0.125", "0.375"]])
_LT = F([["-1.5", "-inf", "-0.3"], ["-0.6931", "-2.0794", "-0.98"]])


def specs():
    return [
        Spec("label_mixes_batchmean", (_LOG_Q, _P), {"reduction": "batchmean"}, tags=("basic",),
             description="the 003 post's label distributions: mean KL over the two classifiers "
                         "(cross entropies 1.32 and 1.35 minus the entropy 1.29)"),
        Spec("mean", (_X, _T), tags=("basic",), description="torch's 'mean': divided by all 6 elements"),
        Spec("sum", (_X, _T), {"reduction": "sum"}, tags=("basic", "reduction-sum")),
        Spec("batchmean", (_X, _T), {"reduction": "batchmean"}, tags=("basic",)),
        Spec("none", (_X, _T), {"reduction": "none"}, tags=("basic", "reduction-none")),
        Spec("log_target_none", (_X, _LT), {"reduction": "none", "log_target": True},
             tags=("reduction-none", "neg-inf")),
        Spec("log_target_batchmean", (_X, _LT), {"reduction": "batchmean", "log_target": True}, tags=("neg-inf",)),
        Spec("kdim_batchmean", (F([[["-1", "-2"], ["-0.5", "-3"]], [["-0.25", "-1.5"], ["-2", "-0.1"]]]),
                                F([[["0.5", "0.25"], ["0", "0.25"]], [["0.125", "0.125"], ["0.5", "0.25"]]])),
             {"reduction": "batchmean"}, tags=("kdim",)),
        Spec("batchmean_0d", (F("-1"), F("0.5")), {"reduction": "batchmean"}, tags=("basic",),
             description="0-d input: batchmean is the sum, as in torch"),
        Spec("batchmean_1d", (F(["-1", "-2", "-0.5"]), F(["0.5", "0.25", "0.25"])), {"reduction": "batchmean"},
             description="1-d input: divided by its length, like mean"),
        Spec("zero_target_neg_inf_input", (F(["-inf", "-1", "-inf"]), F(["0", "0.5", "0.5"])), {"reduction": "none"},
             tags=("neg-inf", "special"),
             description="0 where the target is 0 (torch: nan at input -inf); +inf where a positive target meets -inf"),
        Spec("extreme_inputs", (F(["-1e4", "-3e38", "0", "-50"]), F(["1e-30", "1", "1", "1e-20"])), {"reduction": "none"},
             dtypes=WIDE, tags=("extreme",)),
        Spec("tiny_target_float64", (F(["-700", "-1e300", "-1"]), F(["1e-300", "1e-300", "1e-300"])), {"reduction": "none"},
             dtypes=("float64",), tags=("extreme", "underflow")),
        Spec("empty_batchmean", (F([], shape=(0, 3)), F([], shape=(0, 3))), {"reduction": "batchmean"}, tags=("empty",)),
        Spec("empty_mean", (F([], shape=(2, 0)), F([], shape=(2, 0))), tags=("empty",)),
        Spec("empty_row_batchmean", (F([], shape=(2, 0)), F([], shape=(2, 0))), {"reduction": "batchmean"},
             tags=("empty",), description="0 / 2 = 0"),
        grad("grad", (_X, _T), {"reduction": "batchmean"}, description="-p / N"),
        grad("grad_log_target", (_X, _LT), {"reduction": "sum", "log_target": True}, tags=("neg-inf",),
             description="-exp(t); 0 where t = -inf"),
        grad("grad_low", (F(["-1", "-0.5", "-2"]), F(["0.25", "0.5", "0.25"])), dtypes=LOW),
        Spec("batchmean_3e38_no_overflow", (F(["-3e38", "-3e38"]), F(["1", "1"])), {"reduction": "batchmean"},
             dtypes=("float32",), tags=("overflow", "extreme", "reduction-overflow"),
             description="terms 3e38; their plain sum overflows"),
        Spec("mean_1_7e308_no_overflow", (F(["-1.7e308", "-1.7e308"]), F(["1", "1"])), dtypes=("float64",),
             tags=("overflow", "extreme", "reduction-overflow")),
    ]
