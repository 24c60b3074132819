"""Cases for generalized_box_iou_loss(boxes1, boxes2, *, reduction="mean", eps=1e-7)."""

from ._spec import LOW, WIDE, F, Spec, grad

FUNCTION = "generalized_box_iou_loss"
POSITIONAL = ("boxes1", "boxes2")
DEFAULTS: dict = {"reduction": "mean", "eps": 1e-7}


def conventions(args, kwargs):
    return {
        "boxes": "(..., 4) as (x1, y1, x2, y2) with x2 >= x1, y2 >= y1",
        "definition": "1 - (I / (U + eps) - (C - U) / (C + eps)) (torchvision.ops.generalized_box_iou_loss)",
        "intersection": "0 unless the boxes overlap with positive width and height (touching: 0)",
        "eps": kwargs["eps"],
        "reduction": kwargs["reduction"],
        "mean_divisor": "number of box pairs; the mean over no boxes is 0 (torchvision), not nan",
        "default_reduction": "mean (torchvision's default is none)",
        "output_dtype": "input dtype",
    }


_B1 = F([["0", "0", "2", "2"], ["0", "0", "1", "1"], ["0", "0", "4", "4"], ["0", "0", "1", "1"], ["0", "0", "4", "1"]])
_B2 = F([["1", "1", "3", "3"], ["2", "2", "3", "3"], ["1", "1", "2", "2"], ["1", "0", "2", "1"], ["1", "-1", "2", "3"]])


def specs():
    return [
        Spec("shapes", (_B1, _B2), {"reduction": "none"}, tags=("basic", "reduction-none"),
             description="overlapping (68/63), disjoint (1 + 7/9), contained (15/16), touching (1), crossing"),
        Spec("mean", (_B1, _B2), tags=("basic",)),
        Spec("sum_no_eps", (_B1, _B2), {"reduction": "sum", "eps": 0.0}, tags=("reduction-sum",)),
        Spec("kdim", (F([[["0", "0", "2", "2"], ["1", "1", "2", "3"]], [["5", "5", "6", "7"], ["0", "0", "10", "10"]]]),
                      F([[["0", "1", "2", "3"], ["1", "0", "3", "3"]], [["4", "5", "6", "6"], ["2", "2", "3", "3"]]])),
             {"reduction": "none"}, tags=("kdim", "reduction-none"),
             description="leading axes (2, 2); no pair is identical (identical boxes: identical_boxes)"),
        Spec("identical_boxes", (F([["1", "2", "4", "6"], ["0", "0", "0.001", "0.001"]]),
                                 F([["1", "2", "4", "6"], ["0", "0", "0.001", "0.001"]])), {"reduction": "none"},
             dtypes=WIDE, tags=("cancellation", "reduction-none"),
             description="eps / (area + eps): 8.3e-9 and 0.091; 1 - area / (area + eps) keeps no digit of the first in float32"),
        Spec("nearly_coincident", (F([["10", "20", "30", "45"], ["1", "1", "2", "2"]]),
                                   F([["10.001", "19.998", "30.002", "45"], ["1", "1.0001", "2", "2.0002"]])),
             {"reduction": "none"}, dtypes=WIDE, tags=("cancellation", "reduction-none"),
             description="a well-trained detector: the loss (~1e-4) is formed from the differences of coordinates"),
        Spec("degenerate_points", (F([["1", "1", "1", "1"]]), F([["1", "1", "1", "1"]])), tags=("special",),
             description="iou = 0 / eps = 0 and |C| = 0: loss 1"),
        Spec("degenerate_no_eps", (F([["1", "1", "1", "1"]]), F([["1", "1", "1", "1"]])), {"eps": 0.0},
             tags=("special", "undefined"), description="0 / 0: nan, as torchvision"),
        Spec("large_coordinates", (F([["1e18", "1e18", "3e18", "2e18"]]), F([["2e18", "0", "4e18", "3e18"]])),
             {"reduction": "none"}, dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "extreme"),
             description="areas ~1e36 stay finite in float32"),
        Spec("empty_mean_is_zero", (F([], shape=(0, 4)), F([], shape=(0, 4))), tags=("empty", "undefined"),
             description="torchvision: the mean over no boxes is 0"),
        Spec("empty_sum", (F([], shape=(0, 4)), F([], shape=(0, 4))), {"reduction": "sum"}, tags=("empty", "reduction-sum")),
        grad("grad", (F([["0", "0", "2", "2"], ["0", "0", "4", "1"], ["0", "0", "1", "1.5"]]),
                      F([["1", "1", "3", "3.5"], ["1", "-1", "2", "3"], ["2", "2", "3", "3"]])),
             description="overlapping, crossing and disjoint pairs, away from the kinks"),
        grad("grad_low", (F([["0", "0", "2", "2"]]), F([["1", "1", "3", "3.5"]])), dtypes=LOW),
    ]
