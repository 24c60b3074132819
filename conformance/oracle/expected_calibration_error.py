"""expected_calibration_error(probs, labels, *, n_bins=15).

Top-label confidence c_i = max_k p_ik, prediction the first argmax, bins (k-1)/B < c <= k/B
(c = 0 in the first):   ECE = (1/N) sum_b | sum_{i in b} (1[pred_i = y_i] - c_i) |,  nan for N = 0.

polyloss rounds the edges k/B to its compute dtype; the cases keep confidences that
are not exactly k/B away from the edges, so exact edges give the same bins.
"""

import mpmath

from . import register, register_terms
from ._mp import NAN, as_mp


@register
def expected_calibration_error(probs, labels, *, n_bins=15):
    gaps = _gaps(probs, labels, n_bins)
    return NAN if gaps is None else mpmath.fsum(abs(mpmath.fsum(g)) for g in gaps) / len(probs)


@register_terms("expected_calibration_error")
def expected_calibration_error_terms(probs, labels, *, n_bins=15):
    """Each bin adds the gaps 1[pred = y] - c of both signs: accuracy and confidence cancel."""
    gaps = _gaps(probs, labels, n_bins)
    return NAN if gaps is None else mpmath.fsum(abs(v) for g in gaps for v in g) / len(probs)


def _gaps(probs, labels, n_bins):
    """The gaps 1[pred_i = y_i] - c_i of each bin (None for no sample)."""
    p = as_mp(probs)
    n = p.shape[0]
    if n == 0:
        return None
    gaps = [[] for _ in range(n_bins)]
    for i in range(n):
        row = p[i].tolist()
        conf = max(row)
        pred = row.index(conf)
        b = max(int(mpmath.ceil(conf * n_bins)) - 1, 0)
        gaps[b].append((1 if pred == int(labels[i]) else 0) - conf)
    return gaps
