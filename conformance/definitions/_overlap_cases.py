"""Inputs shared by the dice_loss, jaccard_loss and tversky_loss case modules."""

from ._spec import F, I

#: probabilities (N=2, C=3, 4 pixels), each pixel's classes summing to 1
PROBS = F([
    [["0.7", "0.1", "0.2", "0.25"], ["0.2", "0.8", "0.3", "0.25"], ["0.1", "0.1", "0.5", "0.5"]],
    [["0.6", "0.5", "0.125", "0"], ["0.25", "0.25", "0.75", "0"], ["0.15", "0.25", "0.125", "1"]],
])
#: class indices (N=2, 4 pixels); class 1 is absent from the second sample's mask
LABELS = I([[0, 1, 2, 2], [0, 0, 2, 2]])
#: the same labels one-hot along axis 1
ONE_HOT = F([
    [["1", "0", "0", "0"], ["0", "1", "0", "0"], ["0", "0", "1", "1"]],
    [["1", "1", "0", "0"], ["0", "0", "0", "0"], ["0", "0", "1", "1"]],
])
#: soft labels of PROBS' shape
SOFT = F([
    [["0.9", "0", "0.1", "0.5"], ["0.1", "0.75", "0.4", "0.25"], ["0", "0.25", "0.5", "0.25"]],
    [["0.5", "0.5", "0", "0"], ["0.25", "0.5", "0.5", "0"], ["0.25", "0", "0.5", "1"]],
])
#: the chapter's binary masks A = {0, 1, 2}, B = {1, 2, 3} as (N=1, C=1, 4)
MASK_A = F([[["1", "1", "1", "0"]]])
MASK_B = F([[["0", "1", "1", "1"]]])
EMPTY = F([[["0", "0", "0", "0"]]])
SOME = F([[["0.5", "0.25", "0", "0.25"]]])
#: a nearly perfect prediction: every probability within 2^-20 of its mask
MASK_8 = F([[["1", "0", "1", "1", "0", "0", "1", "0"]]])
NEAR_8 = F([[["0.99999904632568359375", "0.00000095367431640625", "1", "0.99999904632568359375", "0", "0.00000095367431640625",
              "0.99999904632568359375", "0"]]])
#: a (N=1, C=2, 2, 2) image
IMAGE = F([[[["0.9", "0.2"], ["0.6", "0"]], [["0.1", "0.8"], ["0.4", "1"]]]])
IMAGE_LABELS = I([[[0, 1], [0, 1]]])


def conventions(kind, args, kwargs, extra=None):
    target = args[1]
    out = {
        "input": "probabilities, shape (N, C, d1..dK), class axis 1",
        "target": "class indices, one-hot along axis 1" if target["dtype"] == "int64"
                  else "one-hot or soft labels of the input's shape",
        "definition": kind,
        "counts": "TP = sum p t, FP = sum p (1 - t), FN = sum (1 - p) t over the spatial axes, per sample and class",
        "smooth": kwargs["smooth"],
        "empty": "an empty prediction on an empty mask is loss 0 (also with smooth = 0, where it is 0/0)",
        "reduction": f"{kwargs['reduction']} over the (N, C) losses",
        "output_dtype": "input dtype",
    }
    out.update(extra or {})
    return out
