"""The source documents, and the printed numbers that belong to no case.

Every number the documents print is checked by the generator against the
oracle: numbers produced by a polyloss function live in that function's
documented-example cases (``definitions/<function>.py``); the rest (numbers of
functions polyloss does not have yet, intermediate values, hand arithmetic)
are :data:`CHECKS` here.  ``docs/errata.md`` is generated from both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import mpmath
from mpmath import mpf

from .definitions._spec import Printed

__all__ = ["CHECKS", "DOCUMENTS", "NOT_CHECKED", "Check"]

#: file name under shared/sources -> title
DOCUMENTS: dict[str, str] = {
    "000_8d2a940d624098e1.txt": "Classification loss functions: a reference with PyTorch code examples",
    "001_4beac78af94a2e3e.txt": "Classification Losses: BCE, CrossEntropy, NLL",
    "002_a0818776fc16c99b.txt": "Loss function for classification (notes on Module 3)",
    "003_d7ea3b1a403fbfdc.txt": "Cross entropy, binary cross entropy and negative log-likelihood loss (blog post)",
    "004_e0c429dc88afda85.txt": "Chapter 5, section 34: Loss Functions (Neural Network Building Blocks)",
}


@dataclass(frozen=True)
class Check:
    """A printed number checked by a formula rather than a case."""

    document: str
    example: str
    quantity: str  # what the number is, as a formula
    printed: Printed
    compute: Callable[[], list]  # true value(s), row-major like printed
    function: str | None = None  # the (future) polyloss function it belongs to
    #: absolute uncertainty of each true value caused by inputs that the
    #: document itself prints rounded (e.g. torch.randn values shown to 4 decimals)
    uncertainty: Callable[[], list] | None = None


def _cross_entropy(p, q):
    return -mpmath.fsum(mpf(a) * mpmath.log(mpf(b)) for a, b in zip(p, q, strict=True))


_SOFTMAX_INPUT = [["-0.2869", "0.8709", "-1.0575"], ["-0.6224", "0.5318", "-2.3918"]]
_HALF_UNIT_4 = mpf("0.00005")  # torch prints tensors to 4 decimals


def _exp_table():
    return [mpmath.exp(mpf(v)) for row in _SOFTMAX_INPUT for v in row]


def _sum_exp():
    return [mpmath.fsum(mpmath.exp(mpf(v)) for v in row) for row in _SOFTMAX_INPUT]


CHECKS: tuple[Check, ...] = (
    # --- 002: intermediate values of the manual softmax -----------------------------------
    Check("002_a0818776fc16c99b.txt", "Softmax: exp_vals = torch.exp(input)", "exp(x) elementwise",
          Printed(("0.7506", "2.3891", "0.3473", "0.5366", "1.7020", "0.0915"),
                  "# tensor([[0.7506, 2.3891, 0.3473], [0.5366, 1.7020, 0.0915]])"),
          _exp_table, uncertainty=lambda: [v * _HALF_UNIT_4 for v in _exp_table()]),
    Check("002_a0818776fc16c99b.txt", "Softmax: sum_exp = torch.sum(exp_vals, dim=1)", "sum_j exp(x_j) per row",
          Printed(("3.4870", "2.3301"), "# tensor([[3.4870], [2.3301]])"),
          _sum_exp, uncertainty=lambda: [v * _HALF_UNIT_4 for v in _sum_exp()]),
    # --- 000 / 002: the picked log-probabilities of the NLLLoss example ----------------------
    Check("000_8d2a940d624098e1.txt", "NLLLoss: picked log-probs", "log_probs[i, targets[i]]",
          Printed(("-3.0000", "-0.2000", "-0.1000"), "# Picked log-probs: tensor([-3.0000, -0.2000, -0.1000])"),
          lambda: [mpf("-3.0"), mpf("-0.2"), mpf("-0.1")], function="nll_loss"),
    Check("002_a0818776fc16c99b.txt", "NLLLoss: picked log-probs", "log_probs[i, targets[i]]",
          Printed(("-3.0000", "-0.2000", "-0.1000"), "# >> Picked log-probs: tensor([-3.0000, -0.2000, -0.1000])"),
          lambda: [mpf("-3.0"), mpf("-0.2"), mpf("-0.1")], function="nll_loss"),
    # --- 003: entropy and cross entropy of label distributions (natural log) ---------------
    Check("003_d7ea3b1a403fbfdc.txt", "Cross entropy of target and your classifier's labels",
          "-sum p log q, q = [0.3, 0.15, 0.25, 0.3]",
          Printed("1.32", "Cross Entropy(target labels, predicted labels) = (0.4log0.3+ 0.1log0.15 + 0.25log0.25 + 0.25log0.3 = 1.32"),
          lambda: [_cross_entropy(["0.4", "0.1", "0.25", "0.25"], ["0.3", "0.15", "0.25", "0.3"])], function="entropy"),
    Check("003_d7ea3b1a403fbfdc.txt", "Cross entropy of target and your friend's classifier's labels",
          "-sum p log q, q = [0.3, 0.2, 0.2, 0.3]",
          Printed("1.35", "the cross entropy measure of 1.35 of his classifier"),
          lambda: [_cross_entropy(["0.4", "0.1", "0.25", "0.25"], ["0.3", "0.2", "0.2", "0.3"])], function="entropy"),
    Check("003_d7ea3b1a403fbfdc.txt", "Cross entropy loss of the horse example, by hand",
          "-log(0.425) (one-hot target [0, 0, 1], probabilities [0.275, 0.300, 0.425])",
          Printed("0.856", "(0*log(0.275) + 0*log(0.300) + 1*log(0.425)) > 0.856"),
          lambda: [-mpmath.log(mpf("0.425"))], function="cross_entropy"),
    # --- 004: numbers of functions polyloss does not have yet ------------------------------
    Check("004_e0c429dc88afda85.txt", "MSE vs cross-entropy: gradient at prediction 0.05, target 1 (MSE)",
          "|d/dp (p - y)^2| = 2 |p - y|",
          Printed("1.9", "MSE gradient is about 1.9"),
          lambda: [2 * (1 - mpf("0.05"))], function="mse_loss"),
    Check("004_e0c429dc88afda85.txt", "MSE vs cross-entropy: gradient at prediction 0.05, target 1 (BCE)",
          "|d/dp -log p| = 1 / p",
          Printed("19", "but BCE gradient is about 19—10 times stronger",
                  erratum="d/dp (-log p) = -1/p = -20 at p = 0.05 (19 is (1 - p)/p, not the BCE gradient); "
                          "the ratio to MSE's 1.9 is 10.5"),
          lambda: [1 / mpf("0.05")], function="binary_cross_entropy"),
    Check("004_e0c429dc88afda85.txt", "Key differences table: MSE gradient magnitude", "max |2 (p - y)| over p, y in [0, 1]",
          Printed("2", "Gradient magnitude | Bounded (max ~2)"),
          lambda: [mpf(2)], function="mse_loss"),
    Check("004_e0c429dc88afda85.txt", "Focal loss: easy example weight", "(1 - p_t)^2 at p_t = 0.9",
          Printed("0.01", "Easy (p=0.9): weight=(0.1)^2=0.01"),
          lambda: [(1 - mpf("0.9")) ** 2], function="sigmoid_focal_loss"),
    Check("004_e0c429dc88afda85.txt", "Focal loss: hard example weight", "(1 - p_t)^2 at p_t = 0.1",
          Printed("0.81", "Hard (p=0.1): weight=(0.9)^2=0.81"),
          lambda: [(1 - mpf("0.1")) ** 2], function="sigmoid_focal_loss"),
    Check("004_e0c429dc88afda85.txt", "Label smoothing soft targets, 4 classes",
          "[1 - s, s/(C-1), s/(C-1), s/(C-1)] with s = 0.1, C = 4 (the document's own form; "
          "torch's label_smoothing gives [0.925, 0.025, 0.025, 0.025])",
          Printed(("0.9", "0.033", "0.033", "0.033"), "use soft targets like [0.9, 0.033, 0.033, 0.033]"),
          lambda: [mpf("0.9")] + [mpf("0.1") / 3] * 3, function="cross_entropy"),
    Check("004_e0c429dc88afda85.txt", "custom_losses.py: smoothed targets, 3 classes",
          "[1 - s, s/(C-1), s/(C-1)] with s = 0.1, C = 3 (the document's form; torch's gives [0.9333, 0.0333, 0.0333])",
          Printed(("0.9", "0.05", "0.05"), "Instead of [1, 0, 0], create [0.9, 0.05, 0.05]"),
          lambda: [mpf("0.9"), mpf("0.05"), mpf("0.05")], function="cross_entropy"),
)

#: Printed numbers the oracle cannot check, and why.
NOT_CHECKED: tuple[tuple[str, str], ...] = (
    ("000, 002", "Outputs of examples on torch.randn / torch.rand inputs (Sigmoid + BCELoss, NLLLoss + LogSoftmax, "
                 "training loop, LabelSmoothingLoss / FocalLoss usage): no fixed inputs, no fixed numbers."),
    ("000, 002", "'Max difference: 0.0000000000', 'Difference: 0.0', 'Are they equal? True': properties of torch's "
                 "float32 kernels, not of the mathematics."),
    ("001", "No numbers are printed; its examples (BCELoss / BCEWithLogitsLoss on logits [2.0, -1.0, 0.5]) are cases "
            "without a printed value."),
    ("004", "Quick checks ('errors of +2 and -4', 'classes of size 900 and 100') print no answer; the inverse-frequency "
            "weights n / (C n_c) = 1000/1800 = 0.5556 and 1000/200 = 5 are the class_weights/doc004_900_100_* cases."),
    ("004", "Temperatures (CLIP 0.07, SimCLR 0.1), learning rates and table entries: constants, not results."),
)
