"""Cases for expected_calibration_error(probs, labels, *, n_bins=15)."""

from ._spec import F, I, Spec

FUNCTION = "expected_calibration_error"
POSITIONAL = ("probs", "labels")
DEFAULTS: dict = {"n_bins": 15}


def conventions(args, kwargs):
    return {
        "confidence": "max_k p_ik; prediction the first argmax",
        "bins": f"{kwargs['n_bins']} equal-width bins ((b-1)/B, b/B], a confidence of 0 in the first",
        "edges": "polyloss rounds b/B to its compute dtype; these cases hold no confidence within rounding "
                 "of an edge unless both are exact (0.5, 0.75 with B = 4)",
        "definition": "sum_b n_b/n |acc_b - conf_b| = (1/n) sum_b |sum_{i in b} (1[right] - c_i)|",
        "empty": "nan for no samples",
        "output_dtype": "probs dtype",
    }


_P = F([["0.9", "0.1"], ["0.78", "0.22"], ["0.3", "0.7"], ["0.62", "0.38"]])
_P3 = F([["0.5", "0.3", "0.2"], ["0.1", "0.85", "0.05"], ["0.34", "0.33", "0.33"], ["0.05", "0.04", "0.91"],
         ["0.45", "0.45", "0.1"], ["0.2", "0.72", "0.08"], ["0.97", "0.02", "0.01"], ["0.61", "0.15", "0.24"]])
_L3 = I([0, 1, 2, 2, 1, 1, 0, 2])


def specs():
    return [
        Spec("two_classes_5_bins", (_P, I([0, 1, 1, 0])), {"n_bins": 5}, tags=("basic",),
             description="(0.6, 0.8]: {0.78 wrong, 0.7 right, 0.62 right}; (0.8, 1]: {0.9 right}"),
        Spec("three_classes_15_bins", (_P3, _L3), tags=("basic",),
             description="includes a tie (0.45, 0.45): the first maximum is the prediction"),
        Spec("three_classes_10_bins", (_P3, _L3), {"n_bins": 10}, tags=("basic",)),
        Spec("one_bin", (_P3, _L3), {"n_bins": 1}, tags=("basic",), description="|accuracy - mean confidence|"),
        Spec("perfectly_calibrated", (F([["0.75", "0.25"]] * 4), I([0, 0, 0, 1])), {"n_bins": 4}, tags=("special",),
             description="3 of 4 right at confidence 0.75 (an exact edge with 4 bins): 0"),
        Spec("edges_exact", (F([["0.5", "0.5"], ["0.75", "0.25"], ["0.25", "0.75"], ["1", "0"]]), I([1, 0, 0, 0])),
             {"n_bins": 4}, tags=("special",), description="0.5 in (0.25, 0.5], 0.75 in (0.5, 0.75], 1 in (0.75, 1]"),
        Spec("empty", (F([], shape=(0, 3)), I([], shape=(0,))), tags=("empty",), description="nan"),
    ]
