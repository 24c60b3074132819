"""Write docs/_generated/peers.md: the peer scoreboard, from the committed reports in docs/_peers/.

``nox -s peers`` runs ``python -m conformance --adapter NAME --tier reference --json
docs/_peers/NAME.json`` for every peer adapter; this script only reads those reports.
Every number on the page comes from them.  The strict-tier columns apply the strict
budget to the error each run measured: a case that passed the reference tier passes the
strict one when its measured error is within the strict budget, and a case that failed
the reference tier (a larger error, a wrong special value, a contract problem or an
exception) fails both.

The one hand-written part is :data:`DEFECTS`: one line per distinct defect, keyed by a
case id that failed, with the glob patterns of the failures it explains.  The tests
(tests/test_peers.py) check that every id is a failure in the reports and every pattern
matches one; failures no entry explains are listed as such.
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from conformance import BUDGETS

DOCS = Path(__file__).resolve().parent.parent
REPORTS = DOCS / "_peers"
OUT = DOCS / "_generated" / "peers.md"
DTYPES = ("float64", "float32", "float16", "bfloat16")


@dataclass(frozen=True)
class Defect:
    """One distinct defect of a peer: ``case`` is a failing case id shown as the example,
    ``covers`` glob patterns of the failing ids it explains (``case`` itself when empty),
    ``text`` what the library returns, what is true, and why.  ``kind`` is "defect";
    "convention" where the library documents a different definition (a clip, an epsilon,
    0/0); or "case" where the case's own budget is in question (issue 14 re-budgets
    cancellation-prone half-precision cases)."""

    adapter: str
    case: str
    text: str
    covers: tuple[str, ...] = ()
    kind: str = "defect"

    def matches(self, case_id: str) -> bool:
        return any(fnmatch.fnmatchcase(case_id, p) for p in (self.covers or (self.case,)))


_LOG1P = ("log of a sum that rounds to 1: log(1 + e^-40) is 4.2e-18, not 0 (log1p of the small terms is "
          "needed)")

_KERAS_MEANED = ("binary_cross_entropy", "binary_cross_entropy_with_logits", "huber_loss", "l1_loss", "mse_loss",
                 "sigmoid_focal_loss")
_KERAS_MEAN = ("float64 results with float32 accuracy (0.02 comes back 0.019999999552965164, 1e150 overflows): "
               "keras.ops.mean, which every loss here applies over its last axis, computes in "
               "result_type(x.dtype, 'float32'), and Keras's type promotion forces 64-bit types to 32 bits")

#: One line per distinct defect, per report (docs/_peers/<file>.json); see the module docstring.
DEFECTS: tuple[Defect, ...] = (
    # -- torch.nn.functional ------------------------------------------------------------------
    Defect("torch", "log_softmax/tiny_float64/float64",
           "returns 0 where log_softmax of the dominant logit is -4.2e-18: the " + _LOG1P + "; the same in "
           "logsumexp, cross_entropy and the gradient softmax - onehot (0 instead of -4.2e-18)",
           ("log_softmax/tiny_*", "logsumexp/tiny_excess_*", "cross_entropy/tiny_loss_*",
            "cross_entropy/grad_confident/*")),
    Defect("torch", "binary_cross_entropy_with_logits/tiny_loss_float64/float64",
           "returns 0 for logit 40 and target 1, true log1p(e^-40) = 4.2e-18 (F.softplus gets it right): the "
           + _LOG1P + "; its gradient sigmoid(z) - y cancels to 0 the same way",
           ("binary_cross_entropy_with_logits/tiny_loss_*", "binary_cross_entropy_with_logits/grad_confident/*")),
    Defect("torch", "sigmoid/tiny_float32/float32",
           "returns 0 for sigmoid(-88.8) = 2.7e-39 (a float32 subnormal; sigmoid(-88.7) = 3.0e-39 is returned): "
           "exp(88.8) overflows float32, so 1 / (1 + exp(-x)) underflows early", ("sigmoid/tiny_float32/*",)),
    Defect("torch", "cross_entropy/prob_neg_inf_zero_mass/float64",
           "returns nan where a class has logit -inf and target probability 0 (0 x -inf); the case takes the "
           "limit 0 log 0 = 0, so the class contributes nothing", ("cross_entropy/prob_neg_inf_zero_mass/*",),
           kind="convention"),
    Defect("torch", "kl_div/zero_target_neg_inf_input/float64",
           "returns nan for a zero target against input -inf (0 x inf), also as log_target -inf; the case takes "
           "the limit: a zero probability contributes 0",
           ("kl_div/zero_target_neg_inf_input/*", "kl_div/log_target_none/*", "kl_div/log_target_batchmean/*"),
           kind="convention"),
    Defect("torch", "kl_div/none/float16",
           "28.6 ulp in float16 (got 7.08e-3, true 7.19e-3 for t = 0.375, x = -1): the term is computed in half "
           "precision from the rounded t log t (or log t) and t x, which nearly cancel", ("kl_div/none/*",)),
    Defect("torch", "kl_div/label_mixes_batchmean/bfloat16",
           "19.7 ulp: a sum of signed terms that cancels, in bfloat16; a careful bfloat16 implementation exceeds "
           "the 8-ulp budget here too (issue 14: the case's budget)", kind="case"),
    Defect("torch", "cosine_embedding_loss/huge_1e300/float64",
           "returns nan for vectors of norm ~1e300 (1e25 in float32): the squared norms are summed unscaled and "
           "overflow to inf, inf / inf", ("cosine_embedding_loss/huge_*",)),
    Defect("torch", "cosine_embedding_loss/zero_vectors/float16",
           "returns nan for zero vectors in float16, true 1: the 1e-12 added to each squared norm underflows to 0 "
           "in float16, and 0 / 0"),
    Defect("torch", "cosine_embedding_loss/tiny_vectors_eps/float64",
           "0.38454254479 instead of 0.38454254510 in float64: the 1e-12 added to the squared norms is the float32 "
           "number 9.99999996e-13 (reproduced exactly with that constant)"),
    Defect("torch", "cosine_embedding_loss/nearly_parallel/float64",
           "1 - cos of nearly parallel vectors (3.76e-8) off by 3e-9 relative: 1 - cos cancels what the rounded "
           "cosine kept"),
    Defect("torch", "cosine_embedding_loss/none_margin/bfloat16",
           "64 ulp in bfloat16 (got 3.9e-3, true 5.9e-3), 23 ulp in a float16 gradient: products, sums and the "
           "square root rounded in half precision before cos - margin cancels",
           ("cosine_embedding_loss/none_margin/bfloat16", "cosine_embedding_loss/grad_low/float16")),
    Defect("torch", "smooth_l1_loss/quadratic_no_overflow/float32",
           "returns inf for |d| = 1e20 with beta = 1e30, true 5e9: 0.5 d^2 / beta squares first, and d^2 overflows "
           "float32"),
    Defect("torch", "triplet_margin_loss/large_1e20/float32",
           "returns inf / nan for coordinates of 1e20 in float32: the distance sums squared differences unscaled, "
           "which overflow", ("triplet_margin_loss/large_1e20/*",)),
    Defect("torch", "triplet_margin_loss/tiny_1e_25/float32",
           "returns the margin 5e-25 alone, true 2.39e-25, for coordinates of 1e-25 in float32 (eps = 0): the "
           "squared differences underflow to 0, so both distances are 0"),
    # -- scipy.special --------------------------------------------------------------------------
    Defect("scipy", "log_softmax/tiny_float64/float64",
           "returns 0 where the true value is -4.2e-18: x - max - log(sum(exp(x - max))) takes the " + _LOG1P
           + "; in float16 the rounded sum costs 15.5 ulp on -0.018", ("log_softmax/tiny_*", "log_softmax/axis0/*")),
    Defect("scipy", "softmax/empty_axis/float64",
           "raises ValueError (zero-size array to reduction operation maximum) for an input with an empty class "
           "axis, where the result is an empty array", ("softmax/empty_axis/*",)),
    Defect("scipy", "sigmoid/tiny_float32/float32",
           "expit returns 0 for -88.8 in float32, true 2.7e-39 (expit(-88.7) = 3.0e-39 is returned): exp(88.8) "
           "overflows float32, so 1 / (1 + exp(-x)) underflows early"),
    Defect("scipy", "sigmoid/moderate/float16",
           "returns float64 for a float16 input (expit and log_expit have no float16 loop), float32 for entr and "
           "rel_entr (entropy, kl_divergence): the dtype contract",
           ("sigmoid/*/float16", "log_sigmoid/*/float16", "entropy/*/float16", "kl_divergence/*/float16"),
           kind="convention"),
    # -- jax.nn, jax.scipy.special ---------------------------------------------------------------
    Defect("jax", "log_softmax/tiny_float64/float64",
           "returns 0 where log_softmax of the dominant logit is -4.2e-18, and logsumexp 0 for log(1 + e^-40): "
           "the " + _LOG1P + "; in half precision the rounded sum also costs 15 to 22 ulp on -0.018",
           ("log_softmax/tiny_*", "logsumexp/tiny_excess_*", "log_softmax/axis0/*")),
    Defect("jax", "sigmoid/tiny_float16/float16",
           "returns 0 for sigmoid(-12) = 6.1e-6 in float16 (a subnormal; sigmoid(-9.7) is right): computed in "
           "float16, exp(12) overflows float16 (computed in float32 and rounded, it is 6.14e-6)"),
    Defect("jax", "kl_divergence/close_distributions/float32",
           "got -3.43e-7, true -3.28e-7: rel_entr's p log(p / q) of nearly equal p and q keeps only the rounding of "
           "p / q in float32 (log1p((p - q) / q) would keep the digits)"),
    Defect("jax", "kl_divergence/label_mixes/bfloat16",
           "38 ulp: a sum of signed terms that cancels, in bfloat16 (issue 14: the case's budget)", kind="case"),
    # -- optax.losses -------------------------------------------------------------------------------
    Defect("optax", "cross_entropy/logit_shift_1e8/float32",
           "softmax_cross_entropy_with_integer_labels returns logsumexp(z) - z_y, a difference of two large "
           "numbers: 0 instead of log 3 for logits shifted by 1e8 in float32 (3e38: 0 instead of log 2; 1e4: "
           "1.7529 instead of 1.7531), and 0 instead of 4.2e-18 for a confident right prediction, with the "
           "gradient (0 instead of -4.2e-18)",
           ("cross_entropy/logit_shift_*", "cross_entropy/logit_3e38/*", "cross_entropy/logit_6e4/*",
            "cross_entropy/tiny_loss_*", "cross_entropy/grad_confident/*", "cross_entropy/none/float16")),
    Defect("optax", "cross_entropy/prob_neg_inf_zero_mass/float64",
           "nan where a class has logit -inf and target probability 0 (0 x -inf); the case takes the limit 0",
           ("cross_entropy/prob_neg_inf_zero_mass/*",), kind="convention"),
    Defect("optax", "kl_div/zero_target_neg_inf_input/float64",
           "nan for a zero target against input -inf (0 x inf), also as log_target -inf; the case takes the limit 0",
           ("kl_div/zero_target_neg_inf_input/*", "kl_div/log_target_none/*", "kl_div/log_target_batchmean/*"),
           kind="convention"),
    Defect("optax", "kl_div/none/float16",
           "12.6 ulp in float16 (got 7.14e-3, true 7.19e-3): t (log t - x) with log t rounded to float16 nearly "
           "cancels against x"),
    Defect("optax", "kl_div/label_mixes_batchmean/bfloat16",
           "11.7 ulp: a sum of signed terms that cancels, in bfloat16 (issue 14: the case's budget)", kind="case"),
    Defect("optax", "sigmoid_focal_loss/infinite_logits/float64",
           "nan for infinite logits with hard targets, true 0 or inf: sigmoid_binary_cross_entropy's "
           "-y log_sigmoid(z) - (1 - y) log_sigmoid(-z) multiplies the zero weight of one term by -inf",
           ("sigmoid_focal_loss/infinite_logits/*",)),
    Defect("optax", "triplet_margin_loss/large_1e20/float32",
           "inf / nan for coordinates of 1e20 in float32 (300 in float16): the distance sums powered differences "
           "unscaled, which overflow", ("triplet_margin_loss/large_*",)),
    Defect("optax", "triplet_margin_loss/tiny_1e_25/float32",
           "returns the margin 5e-25 alone, true 2.39e-25, for coordinates of 1e-25 in float32: the squared "
           "differences underflow to 0, so both distances are 0"),
    # -- Keras 3 on PyTorch ---------------------------------------------------------------------
    *(Defect(f"keras-{be}", case, text, covers, kind) for be in ("torch",) for case, text, covers, kind in (
        ("mse_loss/doc004_loss_functions/float64", _KERAS_MEAN, tuple(f"{f}/*/float64" for f in _KERAS_MEANED),
         "defect"),
        ("binary_cross_entropy/clamp_mean/float32",
         "binary_crossentropy clips p to [1e-7, 1 - 1e-7]: p = 1 with y = 1 costs 1e-7 instead of 0, and p = 0 with "
         "y = 1 costs 16.1 where torch's convention clamps each log at -100",
         ("binary_cross_entropy/clamp_*", "binary_cross_entropy/tiny_p_*"), "convention"),
        ("sigmoid_focal_loss/extreme_1e4/float32",
         "binary_focal_crossentropy(from_logits=True) takes sigmoid(z) and then the log of the probability "
         "clipped to [1e-7, 1 - 1e-7] (binary_crossentropy with from_logits=True does not clip): a logit of 1e4 "
         "against y = 0 costs 12 instead of 7500, infinite logits give finite losses, the loss of a confident "
         "right prediction has a floor, soft targets saturate, and the gradient past the clip is 0",
         ("sigmoid_focal_loss/soft_targets/*", "sigmoid_focal_loss/confident_tiny_loss*", "sigmoid_focal_loss/extreme_*",
          "sigmoid_focal_loss/infinite_logits/*", "sigmoid_focal_loss/grad_extreme/*"), "defect"),
        ("sigmoid_focal_loss/none/float16",
         "10 to 12 ulp in float16 and bfloat16: the probability, 1 - p_t, its power and the clipped log are each "
         "rounded in half precision", ("sigmoid_focal_loss/*/float16", "sigmoid_focal_loss/*/bfloat16"), "defect"),
        ("softmax_focal_loss/confident_right/float64",
         "categorical_focal_crossentropy(from_logits=True) clips the softmax to [1e-7, 1 - 1e-7]: a confident right "
         "prediction costs 1.7e-21 (true 6e-52; 0 for a single class), a confident wrong one 16.1 (true 2e4)",
         ("softmax_focal_loss/*",), "defect"),
        ("dice_loss/doc004_formula_binary_masks/float64",
         "dice adds 1e-7 to the denominator (it has no smooth; the adapter runs smooth = 0 only): 0.3333333444 "
         "instead of 1/3, and 6.1e-7 instead of 6.0e-7 for a nearly perfect mask",
         ("dice_loss/doc004_formula_binary_masks/*", "dice_loss/no_smoothing/*", "dice_loss/nearly_perfect/*"),
         "convention"),
        ("dice_loss/empty_on_empty_no_smoothing/float32",
         "an empty prediction on an empty mask is loss 1 (0 / 1e-7); the case defines the 0/0 of a perfect "
         "match as loss 0", ("dice_loss/empty_on_empty_no_smoothing/*",), "convention"),
        ("kl_divergence/zeros/float64",
         "kl_divergence clips p and q to [1e-7, 1]: q = 0 < p gives a finite value instead of inf, and a p = 0 "
         "term contributes 1e-7 log(1e-7 / q) instead of 0", ("kl_divergence/zeros/*", "kl_divergence/kdim_axis_1/*"),
         "convention"),
        ("kl_divergence/close_distributions/float32",
         "got -3.40e-7, true -3.28e-7: log(p / q) of nearly equal p and q keeps only the rounding of p / q in "
         "float32 (log1p((p - q) / q) would keep the digits)", (), "defect"),
        ("kl_divergence/label_mixes/bfloat16",
         "9.7 ulp: a sum of signed terms that cancels, in bfloat16 (issue 14: the case's budget)", (), "case"),
        ("log_softmax/tiny_float64/float64",
         "keras.ops.log_softmax, logsumexp and the losses from logits call torch.nn.functional and torch, and "
         "inherit their " + _LOG1P + " (see torch above)",
         ("log_softmax/tiny_*", "logsumexp/tiny_excess_*", "cross_entropy/tiny_loss_*", "cross_entropy/grad_confident/*",
          "binary_cross_entropy_with_logits/tiny_loss_*", "binary_cross_entropy_with_logits/grad_confident/*"),
         "defect"),
        ("sigmoid/tiny_float32/float32", "keras.ops.sigmoid is torch.sigmoid: 0 for sigmoid(-88.8) = 2.7e-39 (see "
         "torch above)", ("sigmoid/tiny_float32/*",), "defect"),
        ("cross_entropy/prob_neg_inf_zero_mass/float64",
         "nan where a class has logit -inf and target probability 0 (0 x -inf); the case takes the limit 0",
         ("cross_entropy/prob_neg_inf_zero_mass/*",), "convention"),
    )),
    # -- Keras 3 on JAX -------------------------------------------------------------------------------
    *(Defect("keras-jax", case, text, covers, kind) for case, text, covers, kind in (
        ("mse_loss/doc004_loss_functions/float64", _KERAS_MEAN, tuple(f"{f}/*/float64" for f in _KERAS_MEANED),
         "defect"),
        ("binary_cross_entropy/clamp_mean/float32",
         "binary_crossentropy clips p to [1e-7, 1 - 1e-7]: p = 1 with y = 1 costs 1e-7 instead of 0, and p = 0 with "
         "y = 1 costs 16.1 where torch's convention clamps each log at -100",
         ("binary_cross_entropy/clamp_*", "binary_cross_entropy/tiny_p_*"), "convention"),
        ("binary_cross_entropy/clamp_exact_0_1/float16",
         "returns inf in float16 and bfloat16 where the clipped loss is finite: the clip bound 1 - 1e-7 rounds to "
         "1 in half precision, so p = 1 against y = 0 takes log(0)",
         ("binary_cross_entropy/clamp_*/float16", "binary_cross_entropy/clamp_*/bfloat16"), "defect"),
        ("sigmoid_focal_loss/extreme_1e4/float32",
         "binary_focal_crossentropy(from_logits=True) takes sigmoid(z) and then the log of the probability "
         "clipped to [1e-7, 1 - 1e-7] (binary_crossentropy with from_logits=True does not clip): a logit of 1e4 "
         "against y = 0 costs 12 instead of 7500, an infinite logit 12 instead of inf, the loss of a confident "
         "right prediction has a floor, soft targets saturate, the gradient past the clip is 0; in half precision "
         "the clip bound rounds to 1 and extreme logits give inf or nan",
         ("sigmoid_focal_loss/soft_targets/*", "sigmoid_focal_loss/confident_tiny_loss*", "sigmoid_focal_loss/extreme_*",
          "sigmoid_focal_loss/infinite_logits/*", "sigmoid_focal_loss/grad_extreme/*"), "defect"),
        ("sigmoid_focal_loss/none/float16",
         "9 to 22 ulp in float16 and bfloat16: the probability, 1 - p_t, its power and the clipped log are each "
         "rounded in half precision", ("sigmoid_focal_loss/*/float16", "sigmoid_focal_loss/*/bfloat16"), "defect"),
        ("softmax_focal_loss/confident_right/float64",
         "categorical_focal_crossentropy(from_logits=True) clips the softmax to [1e-7, 1 - 1e-7]: a confident right "
         "prediction costs 1e-21 (true 6e-52; 0 for a single class), a confident wrong one 16.1 (true 2e4)",
         ("softmax_focal_loss/confident_*", "softmax_focal_loss/extreme_logits/*", "softmax_focal_loss/one_class/*"),
         "defect"),
        ("softmax_focal_loss/none/bfloat16",
         "18.5 ulp in bfloat16 (9 in a float16 gradient): softmax, clip, power and log rounded in half precision",
         ("softmax_focal_loss/none/bfloat16", "softmax_focal_loss/grad_low/float16"), "defect"),
        ("cross_entropy/neg_inf_nontarget/float64",
         "sparse_categorical_crossentropy on JAX multiplies a one-hot target by log_softmax, so a class with logit "
         "-inf (or -inf from logits of +-3e38 in float32, +-6e4 in float16) gives 0 x -inf = nan in the sum",
         ("cross_entropy/neg_inf_nontarget/*", "cross_entropy/logit_3e38/*", "cross_entropy/logit_6e4/*"), "defect"),
        ("cross_entropy/mean/float16",
         "returns float32 for float16 and bfloat16 logits with class-index targets: the JAX backend's "
         "sparse_categorical_crossentropy builds its one-hot with jax.nn.one_hot's default float32 (the dtype "
         "contract; the values are accurate)", ("cross_entropy/*/float16", "cross_entropy/*/bfloat16"), "defect"),
        ("dice_loss/doc004_formula_binary_masks/float64",
         "dice adds 1e-7 to the denominator (it has no smooth; the adapter runs smooth = 0 only): 0.3333333444 "
         "instead of 1/3, and 6.1e-7 instead of 6.0e-7 for a nearly perfect mask",
         ("dice_loss/doc004_formula_binary_masks/*", "dice_loss/no_smoothing/*", "dice_loss/nearly_perfect/*"),
         "convention"),
        ("dice_loss/empty_on_empty_no_smoothing/float32",
         "an empty prediction on an empty mask is loss 1 (0 / 1e-7); the case defines the 0/0 of a perfect "
         "match as loss 0", ("dice_loss/empty_on_empty_no_smoothing/*",), "convention"),
        ("kl_divergence/zeros/float64",
         "kl_divergence clips p and q to [1e-7, 1]: q = 0 < p gives a finite value instead of inf, and a p = 0 "
         "term contributes 1e-7 log(1e-7 / q) instead of 0", ("kl_divergence/zeros/*", "kl_divergence/kdim_axis_1/*"),
         "convention"),
        ("kl_divergence/close_distributions/float32",
         "got -3.40e-7, true -3.28e-7: log(p / q) of nearly equal p and q keeps only the rounding of p / q in "
         "float32 (log1p((p - q) / q) would keep the digits)", (), "defect"),
        ("kl_divergence/label_mixes/bfloat16",
         "9.7 ulp: a sum of signed terms that cancels, in bfloat16 (issue 14: the case's budget)", (), "case"),
        ("log_softmax/tiny_float64/float64",
         "keras.ops.log_softmax, logsumexp and the losses from logits call jax.nn, and inherit its " + _LOG1P
         + " (see jax above), with 15 to 22 ulp in half precision",
         ("log_softmax/*", "logsumexp/tiny_excess_*", "cross_entropy/tiny_loss_*", "cross_entropy/grad_confident/*"),
         "defect"),
        ("sigmoid/tiny_float16/float16", "keras.ops.sigmoid is jax.nn.sigmoid: 0 for sigmoid(-12) = 6.1e-6 in "
         "float16 (see jax above)", (), "defect"),
        ("cross_entropy/prob_neg_inf_zero_mass/float64",
         "nan where a class has logit -inf and target probability 0 (0 x -inf); the case takes the limit 0",
         ("cross_entropy/prob_neg_inf_zero_mass/*",), "convention"),
    )),
    # -- scikit-learn -----------------------------------------------------------------------------
    Defect("sklearn", "binary_cross_entropy/clamp_mean/float64",
           "log_loss clips p to [eps, 1 - eps] with eps the dtype's machine epsilon, so p = 0 with y = 1 costs "
           "-log(2.2e-16) = 36 in float64 (6.9 in float16), where torch's convention clamps each log at -100",
           ("binary_cross_entropy/clamp_mean/*",), kind="convention"),
    Defect("sklearn", "class_weights/five_classes/float32",
           "compute_class_weight returns float64 weights for float32 and float16 counts (it counts integer "
           "labels): the dtype contract", ("class_weights/*",), kind="convention"),
)


# -- reading the reports -----------------------------------------------------------------


@dataclass
class Run:
    file: str
    adapter: str
    metadata: dict
    environment: dict
    cases: dict[str, dict]
    lacking: list[str]

    def strict_status(self, c: dict) -> str:
        if c["status"] != "pass":
            return c["status"]
        err = c["error_ulps"]
        return "pass" if isinstance(err, (int, float)) and err <= BUDGETS["strict"][c["dtype"]] else "fail"


def load_runs(directory: Path = REPORTS) -> list[Run]:
    runs = []
    for path in sorted(directory.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for r in doc["runs"]:
            if r["tier"] != "reference":
                msg = f"{path.name}: tier {r['tier']!r}; the scoreboard reads reference-tier runs"
                raise ValueError(msg)
            runs.append(Run(path.stem, r["adapter"], r["metadata"], doc.get("environment", {}), r["cases"],
                            r.get("lacking", [])))
    return runs


def failures(run: Run) -> list[str]:
    return [cid for cid, c in run.cases.items() if c["status"] in ("fail", "error")]


# -- formatting ----------------------------------------------------------------------------


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _num(x) -> str:
    if x is None:
        return "–"
    if isinstance(x, str):
        return x
    if math.isinf(x):
        return "inf"
    return f"{x:.3g}"


def _versions(run: Run) -> str:
    be = run.metadata.get("backend", {})
    libs = dict(run.metadata.get("libraries") or {})
    libs.setdefault(be.get("library", "?"), be.get("version", "?"))
    return ", ".join(f"{k} {v}" for k, v in libs.items())


def _counts(cases: list[dict], run: Run) -> tuple[int, int, int, int, int, int]:
    ran = [c for c in cases if c["status"] != "skip"]
    ref_pass = sum(c["status"] == "pass" for c in ran)
    strict_pass = sum(run.strict_status(c) == "pass" for c in ran)
    return len(ran), ref_pass, len(ran) - ref_pass, strict_pass, len(ran) - strict_pass, len(cases) - len(ran)


def _worst(cases: list[dict], dtype: str) -> str:
    """The largest measured error (ulps) among the cases run in ``dtype``; ✗ when that case failed."""
    measured = [c for c in cases if c["dtype"] == dtype and c["status"] != "skip" and c["error_ulps"] is not None]
    special = [c for c in cases if c["dtype"] == dtype and c["status"] in ("fail", "error") and c["error_ulps"] is None]
    if not measured and not special:
        return "–"
    if special and not measured:
        return "✗ (no value)"

    def key(c):
        e = c["error_ulps"]
        return math.inf if isinstance(e, str) else e

    w = max(measured, key=key)
    mark = " ✗" if w["status"] != "pass" else ""
    return f"{_num(key(w))}{mark}"


def summary_table(runs: list[Run]) -> list[str]:
    lines = ["| adapter | library | run | reference: passed | failed | strict: passed | failed | skipped |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for run in runs:
        n, rp, rf, sp, sf, sk = _counts(list(run.cases.values()), run)
        lines.append(f"| `{run.file}` | {_cell(_versions(run))} | {n} | {rp} | {rf} | {sp} | {sf} | {sk} |")
    return lines


def function_table(run: Run) -> list[str]:
    by_fn: dict[str, list[dict]] = defaultdict(list)
    for c in run.cases.values():
        by_fn[c["function"]].append(c)
    lines = ["| function | run | ref. pass | ref. fail | strict pass | strict fail | skipped | "
             + " | ".join(f"worst {d}" for d in DTYPES) + " |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | " + " | ".join("---:" for _ in DTYPES) + " |"]
    for fn in sorted(by_fn):
        cases = by_fn[fn]
        n, rp, rf, sp, sf, sk = _counts(cases, run)
        if n == 0:
            continue
        worst = " | ".join(_worst(cases, d) for d in DTYPES)
        lines.append(f"| `{fn}` | {n} | {rp} | {f'**{rf}**' if rf else 0} | {sp} | {sf} | {sk} | {worst} |")
    return lines


def declined(run: Run) -> list[str]:
    # one line per reason, whatever the dtype and shape of the array option it names
    reasons = Counter(re.sub(r"<b?float\d+ array \[[\d, ]*\]>", "<array>", c["reason"])
                      for c in run.cases.values() if c["status"] == "skip")
    lines = [f"- {n} × {_cell(reason)}" for reason, n in reasons.most_common()]
    if run.lacking:
        lines.append("- functions the library does not provide (not run): " + ", ".join(f"`{f}`" for f in run.lacking))
    return lines


def defect_lines(run: Run) -> list[str]:
    fails = failures(run)
    mine = [d for d in DEFECTS if d.adapter == run.file]
    lines = []
    explained: set[str] = set()
    for d in mine:
        hits = [cid for cid in fails if d.matches(cid)]
        explained.update(hits)
        c = run.cases.get(d.case, {})
        got = f" (got {c.get('got')}, expected {c.get('expected')})" if c.get("got") is not None else ""
        label = {"defect": "defect", "convention": "convention", "case": "the case's budget"}[d.kind]
        lines.append(f"- **{label}**, {len(hits)} failing case(s), e.g. `{d.case}`{_cell(got)}: {_cell(d.text)}")
    rest = [cid for cid in fails if cid not in explained]
    if rest:
        lines.append(f"- **not yet explained** ({len(rest)}): " + ", ".join(f"`{cid}`" for cid in rest))
    return lines


def render(runs: list[Run]) -> str:
    first = runs[0].metadata if runs else {}
    lines = [
        "<!-- Generated by docs/gen/peers.py from docs/_peers/*.json (nox -s peers); do not edit. -->",
        "",
        f"Case set {first.get('case_set_version', '?')} (sha256 `{str(first.get('case_set_sha256', '?'))[:12]}`), "
        f"conformance {first.get('conformance_version', '?')}, Python {first.get('python', '?')} on "
        f"`{first.get('platform', '?')}`.",
        "",
        *summary_table(runs),
    ]
    for run in runs:
        lines += ["", f"### {run.file}", ""]
        why = run.metadata.get("unavailable")
        if why:
            lines += [f"Not run: every case was declined because {_cell(why)}.", ""]
        else:
            lines += [f"Adapter `{run.adapter}`, {_cell(_versions(run))}.", "", *function_table(run), ""]
        dl = declined(run)
        if dl and not why:
            lines += ["Declined (skipped) cases, with the adapter's reason:", "", *dl, ""]
        if failures(run):
            lines += ["Failures, one line per distinct defect or convention:", "", *defect_lines(run), ""]
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    runs = load_runs()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(render(runs), encoding="utf-8")
    print(f"wrote {OUT} ({len(runs)} peer reports)")


if __name__ == "__main__":
    sys.exit(main())
