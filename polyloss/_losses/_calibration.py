"""Class imbalance and calibration: class weights, expected calibration error, temperature scaling."""

from __future__ import annotations

import math
import struct
from fractions import Fraction
from typing import Any

from .._core._checks import Checks, _dtype_name, check_in_range, check_integer, check_known_classes, check_real_floating
from .._core._classes import class_mask
from .._core._types import Array
from .._core._reduction import n_terms
from .._core._xp import compute_dtype, constant_under_trace, device, finish, is_empty, known, namespace, shapes_match, to

__all__ = ["class_weights", "expected_calibration_error", "fit_temperature"]

STRATEGIES = ("inverse", "inverse_sqrt", "effective_number")

# fit_temperature searches T in [1 / _T_RANGE, _T_RANGE] with this many safeguarded Newton steps
_T_RANGE = 1e4
_T_STEPS = 40


def _default_float(xp: Any, x: Any) -> Any:
    """The namespace's default real floating dtype on ``x``'s device (float64 where unknown)."""
    info = getattr(xp, "__array_namespace_info__", None)
    if info is None:  # pragma: no cover - a library without the inspection API
        return xp.float64
    return info().default_dtypes(device=device(x))["real floating"]


def class_weights(
    counts: Array, /, *, strategy: str = "inverse", beta: float = 0.999, value_checks: str | None = None
) -> Array:
    r"""Per-class loss weights from class counts, for ``weight=`` of the classification losses.

    With :math:`n_c` samples in class :math:`c`, :math:`n = \sum_c n_c` and
    :math:`C` classes:

    * ``"inverse"``: :math:`w_c = \dfrac{n}{C\, n_c}` (scikit-learn's "balanced");
    * ``"inverse_sqrt"``: :math:`w_c = \sqrt{\dfrac{n}{C\, n_c}}`;
    * ``"effective_number"`` (Cui et al., 2019): :math:`w_c \propto
      \dfrac{1 - \beta}{1 - \beta^{n_c}}`, normalised so that :math:`\sum_c w_c = C`,
      as in the Class-Balanced Loss paper. :math:`1 - \beta^{n_c}` is evaluated as
      ``-expm1(n_c log beta)``, accurate for ``beta`` near 1 and small counts;
      ``beta = 0`` gives equal weights and ``beta -> 1`` tends to ``"inverse"``
      (normalised).

    The first two are not normalised (they are the formulas of the source document);
    a class with the average count gets weight 1.

    Parameters
    ----------
    counts : Array
        The number of samples :math:`n_c` of each class, shape (C,), C >= 1, positive
        and finite; an integer or real floating dtype.
    strategy : {"inverse", "inverse_sqrt", "effective_number"}
        The formula above.
    beta : float
        :math:`\beta` in [0, 1), used by ``"effective_number"`` only.

    value_checks : {"auto", "raise", "defer", "off"} or None
        What the checks on values do in this call (``None``: the global option,
        ``"auto"`` by default; see :func:`options`): raise a clear error, give NaN where
        a value is invalid without reading any value on the host, or check nothing.

    Returns
    -------
    Array
        The weights :math:`w_c`, shape (C,), ready for ``weight=``: in ``counts``' dtype
        when that is floating (float16 and bfloat16 computed in float32), else in the
        library's default floating dtype.

    Raises
    ------
    ValueError
        For an unknown ``strategy``, ``beta`` outside [0, 1), a ``counts`` array that
        is not 1-d and non-empty, or counts that are not positive and finite (a class
        with count 0 would get an infinite weight; checked for concrete arrays, lazy
        and traced ones give NaN weights instead).
    TypeError
        If ``counts`` is not an integer or real floating array, or ``beta`` is not a
        real number.

    References
    ----------
    Cui, Jia, Lin, Song, Belongie, "Class-balanced loss based on effective number of
    samples", CVPR 2019.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> pl.class_weights(np.asarray([900, 100])).round(4)
    array([0.5556, 5.    ])
    """
    xp = namespace(counts=counts)
    if not isinstance(strategy, str) or strategy not in STRATEGIES:
        msg = f"`strategy` must be one of {', '.join(map(repr, STRATEGIES))}; got {strategy!r}"
        raise ValueError(msg)
    beta = check_in_range(beta, "beta", 0.0, 1.0, hi_open=True)
    if not xp.isdtype(counts.dtype, ("integral", "real floating")):
        msg = f"`counts` must be a real array of class counts; got dtype {_dtype_name(counts)}"
        raise TypeError(msg)
    if counts.ndim != 1 or is_empty(counts):
        msg = f"`counts` must be a non-empty 1-d array of one count per class; got shape {tuple(counts.shape)}"
        raise ValueError(msg)
    floating = xp.isdtype(counts.dtype, "real floating")
    checks = Checks(xp, value_checks)
    unchecked = checks.require(
        (counts > 0) & (xp.isfinite(counts) if floating else (counts > 0)), counts,
        message="`counts` must be positive and finite (a class with count 0 would get an "
        "infinite weight)", values=counts,
    )
    dtype = counts.dtype if floating else _default_float(xp, counts)
    work = compute_dtype(xp, dtype)
    n_c = xp.astype(counts, work)
    if unchecked is not None:  # lazy counts: compute on a valid stand-in (poisoned by checks.result)
        n_c = xp.where(unchecked, n_c, xp.ones_like(n_c))
    n_classes = n_terms(xp, n_c)  # from the data when the number of classes is unknown
    if not isinstance(n_classes, int):
        n_classes = xp.astype(n_classes, work)

    if strategy == "effective_number":
        if beta == 0:
            w = xp.ones_like(n_c)
        else:
            # 1 - beta^n = -expm1(n log beta); the factor (1 - beta) cancels in the normalisation
            w = 1 / -xp.expm1(n_c * math.log(beta))
            w = w * (n_classes / xp.sum(w))
    else:
        w = xp.sum(n_c) / (n_classes * n_c)
        if strategy == "inverse_sqrt":
            w = xp.sqrt(w)
    return finish(xp, checks.result(w), dtype)


def _check_probs_labels(xp: Any, x: Any, labels: Any, x_name: str) -> None:
    check_real_floating(xp, x, x_name)
    check_integer(xp, labels, "labels")
    if x.ndim != 2:
        msg = f"`{x_name}` must have shape (N, C); got {tuple(x.shape)}"
        raise ValueError(msg)
    if not shapes_match(tuple(labels.shape), (x.shape[0],)):
        msg = f"`labels` must have shape ({x.shape[0]},) for `{x_name}` of shape {tuple(x.shape)}; got {tuple(labels.shape)}"
        raise ValueError(msg)
    check_known_classes(x.shape[1], x_name, tuple(x.shape))
    if x.shape[1] == 0:
        msg = f"`{x_name}` must have at least one class; got shape {tuple(x.shape)}"
        raise ValueError(msg)


@constant_under_trace  # Python floats from (n_bins, bits): one constant for torch.compile
def _bin_edges(n_bins: int, bits: int) -> list[float]:
    """k / n_bins for k = 1 .. n_bins - 1, correctly rounded to float32 (``bits=32``) or float64."""
    fmt, ifmt = ("f", "I") if bits == 32 else ("d", "Q")

    def step(v: float, k: int) -> float:  # the adjacent float (v > 0) above (k = 1) or below (k = -1)
        return struct.unpack(fmt, struct.pack(ifmt, struct.unpack(ifmt, struct.pack(fmt, v))[0] + k))[0]

    def even(v: float) -> bool:
        return struct.unpack(ifmt, struct.pack(fmt, v))[0] % 2 == 0

    edges = []
    for k in range(1, n_bins):
        exact = Fraction(k, n_bins)
        v = struct.unpack(fmt, struct.pack(fmt, k / n_bins))[0]  # within an ulp; pick the nearest
        best = min((step(v, -1), v, step(v, 1)), key=lambda c: (abs(Fraction(c) - exact), not even(c)))
        edges.append(best)
    return edges


def expected_calibration_error(probs: Array, labels: Array, /, *, n_bins: int = 15, value_checks: str | None = None) -> Array:
    r"""Expected calibration error of the top-label confidence (Guo et al., 2017).

    With confidence :math:`c_i = \max_k p_{ik}`, prediction :math:`\hat y_i =
    \arg\max_k p_{ik}` (the first maximum on ties) and ``n_bins`` equal-width bins
    :math:`B_b = (e_{b-1}, e_b]` over (0, 1], :math:`e_k = k/B`:

    .. math::
        \mathrm{ECE} = \sum_{b=1}^{B} \frac{|B_b|}{n}\,\bigl|\mathrm{acc}(B_b) - \mathrm{conf}(B_b)\bigr|
                     = \frac1n \sum_b \Bigl|\sum_{i \in B_b} (\mathbf 1[\hat y_i = y_i] - c_i)\Bigr|

    The edges :math:`e_k` are :math:`k/B` rounded to the nearest number of the compute
    dtype (float64 for float64 input, float32 otherwise) and :math:`c_i` is compared
    with them exactly, so a confidence written as 0.8 falls in (0.6, 0.8] as with the
    ``linspace`` edges of Guo et al.'s code (which can differ by an ulp from
    :math:`k/B` rounded); a confidence of 0 falls in the first bin. Empty bins contribute 0. Computed with array operations only (a
    one-hot of the bin index summed over samples), so it runs lazily on Dask and under
    ``jax.jit``. The result is in [0, 1]; no samples (N = 0) give NaN.

    Parameters
    ----------
    probs : Array
        Predicted probabilities, shape (N, C), C >= 1, each in [0, 1] (rows are not
        required to sum to 1, only the largest entry is used); a real floating dtype.
    labels : Array
        True classes in [0, C - 1], shape (N,); any integer dtype.
    n_bins : int
        The number of equal-width confidence bins :math:`B`, >= 1.

    value_checks : {"auto", "raise", "defer", "off"} or None
        What the checks on values do in this call (``None``: the global option,
        ``"auto"`` by default; see :func:`options`): raise a clear error, give NaN where
        a value is invalid without reading any value on the host, or check nothing.

    Returns
    -------
    Array
        0-d, the ECE in [0, 1] (NaN for N = 0), in ``probs``' dtype (float16 and
        bfloat16 are computed in float32).

    Raises
    ------
    ValueError
        If ``probs`` is not (N, C) with C >= 1, ``labels`` is not (N,), ``n_bins`` < 1,
        or ``probs`` has values outside [0, 1] (concrete arrays; lazy and traced ones
        give NaN instead).
    IndexError
        If a label is outside [0, C - 1] (concrete arrays; lazy and traced ones give
        NaN instead).
    TypeError
        If ``probs`` is not real floating, ``labels`` is not integer, or ``n_bins`` is
        not an int.

    References
    ----------
    Guo, Pleiss, Sun, Weinberger, "On calibration of modern neural networks", ICML
    2017. Naeini, Cooper, Hauskrecht, "Obtaining well calibrated probabilities using
    Bayesian binning", AAAI 2015.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> probs = np.asarray([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    >>> labels = np.asarray([0, 1, 1, 0])
    >>> # bins (0.4, 0.6]: {0.6} acc 1; (0.6, 0.8]: {0.8, 0.7} acc 1/2, conf 0.75; (0.8, 1]: {0.9} acc 1
    >>> # ECE = (1 * 0.4 + 2 * 0.25 + 1 * 0.1) / 4
    >>> round(float(pl.expected_calibration_error(probs, labels, n_bins=5)), 6)
    0.25
    """
    xp = namespace(probs=probs, labels=labels)
    _check_probs_labels(xp, probs, labels, "probs")
    if isinstance(n_bins, bool) or not isinstance(n_bins, int):
        msg = f"`n_bins` must be an int; got {type(n_bins).__name__} {n_bins!r}"
        raise TypeError(msg)
    if n_bins < 1:
        msg = f"`n_bins` must be >= 1; got {n_bins}"
        raise ValueError(msg)
    n, n_classes = probs.shape
    if labels.dtype != xp.int64:
        labels = xp.astype(labels, xp.int64)  # any integer dtype in (torch cannot compare uint16/32/64)
    checks = Checks(xp, value_checks)
    probs = checks.probabilities(probs, "probs")
    checks.class_indices(labels, n_classes, name="labels")
    dtype = probs.dtype
    work = compute_dtype(xp, dtype)
    if known(n) and n == 0:  # no samples: 0/0, decided from the static shape (Dask cannot max an empty array)
        return finish(xp, xp.full((), xp.nan, dtype=work, device=device(probs)), dtype)
    p = to(xp, probs, work)
    conf = xp.max(p, axis=1)
    correct = xp.astype(xp.argmax(p, axis=1) == labels, work)
    # bin b (0-based) holds (e_b, e_{b+1}], e_k = k / B rounded to nearest: b = #{k : c > e_k}.
    # Unlike ceil(c * B) - 1 (the product rounds), this is exact for any c: a confidence
    # printed as 0.8 is in (0.6, 0.8], as with linspace edges (Guo et al., torchmetrics)
    if n_bins == 1:
        b = xp.zeros_like(conf)
    else:
        edges = xp.asarray(_bin_edges(n_bins, xp.finfo(work).bits), dtype=work, device=device(p))
        above = conf[:, None] > edges[None, :]
        b = xp.sum(xp.astype(above, work), axis=1)
    bins = xp.arange(n_bins, dtype=work, device=device(p))
    member = b[:, None] == bins[None, :]  # (N, B) one-hot
    gap = xp.sum(xp.where(member, (correct - conf)[:, None], 0), axis=0)
    n = n_terms(xp, conf)  # from the data when the batch size is unknown
    ece = xp.sum(xp.abs(gap)) / (n if isinstance(n, int) else xp.astype(n, work))
    return finish(xp, checks.result(ece), dtype)  # lazy input with invalid values: NaN


def fit_temperature(logits: Array, labels: Array, /, *, value_checks: str | None = None) -> Array:
    r"""Temperature scaling (Guo et al., 2017): the :math:`T > 0` minimising the mean NLL of ``softmax(logits / T)``.

    .. math::
        T^* = \arg\min_{T} \frac1N \sum_i \Bigl(\operatorname{LSE}(z_i / T) - z_{i, y_i} / T\Bigr)

    Fit it on held-out logits, then use ``softmax(logits / T)``: dividing by a positive
    :math:`T` leaves every argmax, hence the predictions and accuracy, unchanged, and
    only the confidences move.

    Method: the NLL is convex in :math:`\beta = 1/T`, with derivative
    :math:`\frac1N\sum_i \sum_k p_{ik}(z_{ik} - z_{iy_i})` and second derivative the
    mean variance of :math:`z_i` under :math:`p_i = \operatorname{softmax}(\beta z_i)`.
    Its root is found by Newton's method in :math:`\log\beta`, safeguarded by
    bisection (rtsafe), on :math:`T \in [10^{-4}, 10^4]`: a fixed 40 steps plus one
    evaluation at each end of the range, each one pass of a softmax over the data.
    There is no data-dependent Python control flow, so it runs on every backend, lazily
    on Dask (a graph of about 1600 layers: persist large logits first) and under
    ``jax.jit``. When the NLL keeps decreasing towards an end of the range -- all
    samples separable gives :math:`T \to 0`, worse-than-uniform logits
    :math:`T \to \infty` -- that end, 1e-4 or 1e4, is returned; when it is flat (all
    logits of each row equal) ``T = 1``. Logits of ``-inf`` (masked classes) are
    allowed.

    Parameters
    ----------
    logits : Array
        Held-out logits, shape (N, C), N >= 1 and C >= 1 (``-inf`` allowed); a real
        floating dtype.
    labels : Array
        True classes in [0, C - 1], shape (N,); any integer dtype.

    value_checks : {"auto", "raise", "defer", "off"} or None
        What the checks on values do in this call (``None``: the global option,
        ``"auto"`` by default; see :func:`options`): raise a clear error, give NaN where
        a value is invalid without reading any value on the host, or check nothing.

    Returns
    -------
    Array
        0-d: the temperature :math:`T^*` in [1e-4, 1e4], in ``logits``' dtype (float16
        and bfloat16 fitted in float32).

    Raises
    ------
    ValueError
        If ``logits`` is not (N, C) with N >= 1 and C >= 1, or ``labels`` is not (N,).
    IndexError
        If a label is outside [0, C - 1] (concrete arrays; lazy and traced ones give a
        NaN temperature instead).
    TypeError
        If ``logits`` is not real floating or ``labels`` is not integer.

    References
    ----------
    Guo, Pleiss, Sun, Weinberger, "On calibration of modern neural networks", ICML 2017.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> logits = np.asarray([[4.0, 0.0], [4.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    >>> labels = np.asarray([0, 0, 1, 1])  # 75 % correct at confidence 0.982
    >>> T = pl.fit_temperature(logits, labels)
    >>> round(float(T), 6)  # softmax(4 / T) = 0.75: T = 4 / log 3
    3.640957
    """
    xp = namespace(logits=logits, labels=labels)
    _check_probs_labels(xp, logits, labels, "logits")
    n, n_classes = logits.shape
    if n == 0:
        msg = f"`logits` must hold at least one sample to fit a temperature; got shape {tuple(logits.shape)}"
        raise ValueError(msg)
    if labels.dtype != xp.int64:
        labels = xp.astype(labels, xp.int64)  # any integer dtype in (torch cannot compare uint16/32/64)
    checks = Checks(xp, value_checks)
    checks.class_indices(labels, n_classes, name="labels")
    dtype = logits.dtype
    work = compute_dtype(xp, dtype)
    z = to(xp, logits, work)
    # a label out of range (lazy: not read) selects no class; checks.result poisons T
    z_y = xp.sum(xp.where(class_mask(xp, z, labels), z, 0), axis=1, keepdims=True)
    delta = z - z_y  # NLL(beta) = mean_i LSE(beta * delta_i), delta_{i, y_i} = 0

    # softmax(beta * delta) = softmax(beta * shifted): shifted <= 0, so exp never overflows; a
    # -inf logit (a masked class) has probability 0 and contributes 0, not 0 * inf
    shifted = delta - xp.max(delta, axis=1, keepdims=True)
    delta = xp.where(xp.isfinite(delta), delta, 0)

    def derivatives(beta: Any) -> tuple[Any, Any]:
        e = xp.exp(beta * shifted)
        total = xp.sum(e, axis=1, keepdims=True)
        mean = xp.sum(e * delta, axis=1, keepdims=True) / total  # E_p[delta]
        dev = delta - mean
        g1 = xp.mean(mean)  # d NLL / d beta
        g2 = xp.mean(xp.sum(e * (dev * dev), axis=1, keepdims=True) / total)  # Var_p[delta] >= 0
        return g1, g2

    zero = xp.zeros((), dtype=work, device=device(z))
    v = zero  # v = log beta = -log T, starting at T = 1
    lo, hi = zero - math.log(_T_RANGE), zero + math.log(_T_RANGE)
    # the NLL decreasing towards an end of the range (no minimum inside) is decided there,
    # exactly, rather than approached by bisection
    at_min = derivatives(xp.exp(hi))[0] <= 0  # still decreasing at T = 1 / _T_RANGE
    at_max = derivatives(xp.exp(lo))[0] >= 0  # already increasing at T = _T_RANGE
    flat = None
    dx_old = dx = hi - lo  # the sizes of the last two steps
    for _ in range(_T_STEPS):
        beta = xp.exp(v)
        g1, g2 = derivatives(beta)
        if flat is None:  # at T = 1: no variance means every row's logits are all equal
            flat = (g1 == 0) & (g2 == 0)
        # the NLL is convex in beta: g1 < 0 means the minimum lies at a larger beta; g1 = 0
        # (besides the root itself) is a separable batch whose NLL underflowed: T -> 0
        below = g1 <= 0
        lo = xp.where(below, v, lo)
        hi = xp.where(below, hi, v)
        # Newton on g1(exp(v)) = 0 in v (d g1 / dv = beta g2), taken only when it stays
        # in the bracket and at least halves the step before last (rtsafe, Numerical
        # Recipes); otherwise bisect. This also stops Newton from crawling after a root
        # at infinity (separable data), where its steps shrink only like 1 / beta. Once
        # converged the step rounds away (v_newton == v, an end of the bracket now): v stays.
        slope = beta * g2
        usable = slope > 0
        v_newton = v - g1 / xp.where(usable, slope, 1)
        shrinks = (2 * xp.abs(v_newton - v) <= dx_old) | (v_newton == v)
        ok = usable & (v_newton >= lo) & (v_newton <= hi) & shrinks
        v_next = xp.where(ok, v_newton, (lo + hi) / 2)
        dx_old, dx = dx, xp.abs(v_next - v)
        v = v_next
    t = xp.exp(-v)
    t = xp.where(at_min, xp.full_like(t, 1 / _T_RANGE), xp.where(at_max, xp.full_like(t, _T_RANGE), t))
    t = xp.where(flat, xp.ones_like(t), t)  # a flat NLL: any T is optimal, keep 1
    return finish(xp, checks.result(t), dtype)  # lazy labels out of range: NaN
