"""Metric-learning losses: triplet margin, cosine embedding, margin ranking and InfoNCE."""

from __future__ import annotations

import math
from typing import Any

from .._core._checks import Checks, _dtype_name, check_in_range, check_real_floating, check_same_shape
from .._core._reduction import check_reduction, reduce
from .._core._special import at_least, at_most, lse_parts
from .._core._types import Array
from .._core._xp import compute_dtype, device, finish, is_empty, namespace, row_numbers, shapes_match, to

__all__ = [
    "cosine_embedding_loss",
    "info_nce",
    "margin_ranking_loss",
    "triplet_margin_loss",
]

# torch's cosine_embedding_loss adds this to each *squared* norm (aten EPSILON).
_COSINE_EPS = 1e-12


def _work_dtype(xp: Any, *arrays: Any) -> tuple[Any, Any]:
    """(caller dtype, compute dtype) of real floating arrays: their promoted dtype, low precision in float32."""
    dtype = xp.result_type(*arrays)
    return dtype, compute_dtype(xp, dtype)


def _check_features(x: Any, name: str) -> None:
    if x.ndim == 0 or x.shape[-1] == 0:
        msg = f"`{name}` must have a non-empty feature axis (the last axis); got shape {tuple(x.shape)}"
        raise ValueError(msg)


def _check_sign_target(checks: Checks, y: Array, name: str = "y") -> None:
    """``y`` must hold 1 or -1 (deferred: NaN where it does not)."""
    xp = checks.xp
    if not xp.isdtype(y.dtype, ("integral", "real floating")):
        msg = f"`{name}` must be a real array of labels 1 or -1; got dtype {_dtype_name(y)}"
        raise TypeError(msg)
    checks.require(
        (y == 1) | (y == -1), y,
        message=f"`{name}` must contain only 1 (similar / ranked higher) or -1", values=y,
    )


def _scaled(xp: Any, x: Any) -> tuple[Any, Any]:
    """``x = s * a`` along the last axis with ``s = max|x|`` (1 for an all-zero row), so ``max|a| = 1``.

    Squares of ``a`` neither overflow nor underflow, whatever the magnitude of ``x``.
    """
    if is_empty(x):  # an empty batch: Dask cannot take the max of an empty array
        s = xp.zeros((*x.shape[:-1], 1), dtype=x.dtype, device=device(x))
    else:
        s = xp.max(xp.abs(x), axis=-1, keepdims=True)
    s_safe = xp.where(s > 0, s, xp.ones_like(s))
    return s, x / s_safe


def _pnorm(xp: Any, d: Any, p: float) -> Any:
    """``||d||_p`` along the last axis, without overflow or underflow for any magnitude."""
    if p == math.inf:
        return xp.max(xp.abs(d), axis=-1)
    if p == 1:
        return xp.sum(xp.abs(d), axis=-1)
    s, a = _scaled(xp, d)  # ||d||_p = s * ||d / s||_p with max|d / s| = 1
    s = xp.squeeze(s, axis=-1)
    if p == 2:
        return s * xp.sqrt(xp.sum(a * a, axis=-1))
    return s * xp.sum(xp.abs(a) ** p, axis=-1) ** (1.0 / p)


def _unit(xp: Any, x: Any) -> tuple[Any, Any, Any]:
    """Unit vectors along the last axis: ``x = s * r * u`` with ``|u| = 1`` (``u = 0`` for a zero row).

    Returns ``(u, s, r)`` with ``s = max|x|`` and ``r = |x| / s`` in ``[1, sqrt(D)]`` (0 for a
    zero row), both without the last axis.
    """
    s, a = _scaled(xp, x)
    r = xp.sqrt(xp.sum(a * a, axis=-1, keepdims=True))
    u = a / xp.where(r > 0, r, xp.ones_like(r))
    return u, xp.squeeze(s, axis=-1), xp.squeeze(r, axis=-1)


def _eps_ratio(xp: Any, s: Any, r: Any) -> tuple[Any, Any]:
    """``rho = |x| / sqrt(|x|^2 + e)`` and ``1 - rho`` without cancellation, for ``|x| = s * r``.

    With ``c = sqrt(e)`` and ``t = |x| / c``: ``rho = t / sqrt(1 + t^2)`` and
    ``1 - rho = 1 / (q (q + t))``, ``q = sqrt(1 + t^2)``. For ``s >= c`` the reciprocal
    ``v = 1 / t = (c / s) / r <= 1`` is used instead: ``rho = 1 / w``,
    ``1 - rho = v^2 / (w (w + 1))``, ``w = sqrt(1 + v^2)``. Only ratios ``<= 1`` and
    ``t <= sqrt(D)`` are ever formed, so nothing overflows for any magnitude of ``x``.
    """
    c = math.sqrt(_COSINE_EPS)
    big = s >= c
    k = at_most(xp, s, c) / at_least(xp, s, c)  # c / s when big, s / c otherwise; in [0, 1]
    v = k / xp.where(big, r, xp.ones_like(r))  # r >= 1 when big (the row is non-zero)
    w = xp.sqrt(1 + v * v)
    t = xp.where(big, xp.zeros_like(k), r * k)
    q = xp.sqrt(1 + t * t)
    rho = xp.where(big, 1 / w, t / q)
    one_minus_rho = xp.where(big, (v * v) / (w * (w + 1)), 1 / (q * (q + t)))
    return rho, one_minus_rho


def _check_margin_ranking_shapes(x1: Any, x2: Any, y: Any) -> None:
    check_same_shape(x1, x2, ("x1", "x2"))
    check_same_shape(x1, y, ("x1", "y"))


# -- public functions ----------------------------------------------------------------


def triplet_margin_loss(
    anchor: Array,
    positive: Array,
    negative: Array,
    /,
    *,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: str = "mean",
) -> Array:
    r"""Triplet margin loss on embeddings (torch's ``triplet_margin_loss``).

    .. math::
        \ell_i = \max\bigl(0,\ m + d(a_i, p_i) - d(a_i, n_i)\bigr), \qquad
        d(x, y) = \lVert x - y + \epsilon \rVert_p

    with the norm over the last (feature) axis and :math:`\epsilon` added to every
    component of the difference, exactly as ``torch.nn.functional.pairwise_distance``
    does. With ``swap=True`` the negative distance is
    :math:`\min(d(a_i, n_i), d(p_i, n_i))` (Balntas et al., 2016).

    This is the un-squared distance form used by torch and ``nn.TripletMarginLoss``;
    FaceNet (Schroff et al., 2015) writes the loss with squared Euclidean distances.

    The norm is evaluated as :math:`s\,\lVert x / s \rVert_p` with
    :math:`s = \max_k |x_k|`, so it neither overflows nor underflows (torch returns
    ``inf`` for float32 differences above about 1.8e19 when ``p = 2``).

    Parameters
    ----------
    anchor, positive, negative : Array
        Embeddings of the same shape (N, D), or (D,) for one triplet -- any leading
        batch axes are allowed, (B1, ..., Bk, D); the feature axis is the last one and
        not empty. Real floating dtypes.
    margin : float
        :math:`m`, finite and > 0 (torch raises for ``margin <= 0`` as well).
    p : float
        The norm degree, > 0; ``math.inf`` allowed (the largest component).
    eps : float
        :math:`\epsilon`, finite and >= 0, added to each component of the difference.
    swap : bool
        Use the distance swap.
    reduction : {"none", "mean", "sum"}
        ``"none"``: the loss of each triplet; ``"mean"``: their mean; ``"sum"``: their
        sum.

    Returns
    -------
    Array
        0-d for ``"mean"`` and ``"sum"``; for ``"none"``, the batch shape: (N,) for
        (N, D) inputs, 0-d for (D,), (B1, ..., Bk) in general. In the promoted dtype of
        the three inputs (float16 and bfloat16 are computed in float32).

    Raises
    ------
    ValueError
        For arrays of different shapes, an empty feature axis (or 0-d arrays),
        ``margin <= 0`` or infinite, ``p <= 0``, ``eps < 0`` or infinite, or an unknown
        ``reduction``.
    TypeError
        If an input is not a real floating array, ``swap`` is not a bool, or ``margin``,
        ``p`` or ``eps`` is not a real number.

    References
    ----------
    Balntas, Riba, Ponsa, Mikolajczyk, "Learning local feature descriptors with
    triplets and shallow convolutional neural networks", BMVC 2016.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> a = np.asarray([[0.0, 0.0]]); p = np.asarray([[3.0, 4.0]]); n = np.asarray([[6.0, 8.0]])
    >>> round(float(pl.triplet_margin_loss(a, p, n, margin=6.0, eps=0.0)), 6)  # 6 + 5 - 10
    1.0
    """
    xp = namespace(anchor=anchor, positive=positive, negative=negative)
    check_reduction(reduction)
    for arr, name in ((anchor, "anchor"), (positive, "positive"), (negative, "negative")):
        check_real_floating(xp, arr, name)
    check_same_shape(anchor, positive, ("anchor", "positive"))
    check_same_shape(anchor, negative, ("anchor", "negative"))
    _check_features(anchor, "anchor")
    margin = check_in_range(margin, "margin", 0.0, math.inf, lo_open=True, hi_open=True)
    p = check_in_range(p, "p", 0.0, math.inf, lo_open=True)
    eps = check_in_range(eps, "eps", 0.0, math.inf, hi_open=True)
    if not isinstance(swap, bool):
        msg = f"`swap` must be a bool; got {type(swap).__name__} {swap!r}"
        raise TypeError(msg)
    dtype, work = _work_dtype(xp, anchor, positive, negative)
    a, pos, neg = (to(xp, x, work) for x in (anchor, positive, negative))

    d_pos = _pnorm(xp, (a - pos) + eps, p)
    d_neg = _pnorm(xp, (a - neg) + eps, p)
    if swap:
        d_neg = xp.minimum(d_neg, _pnorm(xp, (pos - neg) + eps, p))
    loss = at_least(xp, margin + d_pos - d_neg, 0)
    return finish(xp, reduce(loss, reduction, xp=xp), dtype)


def cosine_embedding_loss(
    x1: Array, x2: Array, y: Array, /, *, margin: float = 0.0, reduction: str = "mean", value_checks: str | None = None
) -> Array:
    r"""Cosine embedding loss: pull pairs labelled 1 together, push pairs labelled -1 apart.

    .. math::
        \ell_i = \begin{cases} 1 - \cos(x_{1,i}, x_{2,i}) & y_i = 1 \\
                 \max(0, \cos(x_{1,i}, x_{2,i}) - m) & y_i = -1 \end{cases},
        \qquad \cos(u, v) = \frac{u \cdot v}{\sqrt{(\lVert u\rVert^2 + \epsilon)
                                                 (\lVert v\rVert^2 + \epsilon)}}

    with :math:`\epsilon = 10^{-12}`, torch's definition (so two zero vectors have
    cosine 0 and loss 1 for :math:`y = 1`).

    Accuracy: torch forms ``1 - cos`` directly, which loses all relative accuracy for
    nearly parallel vectors, and overflows for float32 entries above about 1e19.
    Here every vector is scaled by its largest entry and

    .. math::
        1 - \cos = (1 - \rho_1) + \rho_1 (1 - \rho_2) + \rho_1 \rho_2\,\tfrac12
                   \lVert \hat u - \hat v \rVert^2,
        \qquad \rho = \frac{\lVert u \rVert}{\sqrt{\lVert u \rVert^2 + \epsilon}}

    is a sum of non-negative terms, each computed without cancellation
    (:math:`\hat u, \hat v` the unit vectors).

    Parameters
    ----------
    x1, x2 : Array
        Embeddings of the same shape (N, D), or (D,) for one pair; D >= 1. Real
        floating dtypes.
    y : Array
        Labels 1 (similar) or -1 (dissimilar), shape (N,) or () (``x1``'s without the
        feature axis); an integer or real floating dtype.
    margin : float
        :math:`m`, in [-1, 1] (torch documents this range without checking it).
    reduction : {"none", "mean", "sum"}
        ``"none"``: the loss of each pair; ``"mean"``: their mean; ``"sum"``: their
        sum.

    value_checks : {"auto", "raise", "defer", "off"} or None
        What the checks on values do in this call (``None``: the global option,
        ``"auto"`` by default; see :func:`options`): raise a clear error, give NaN where
        a value is invalid without reading any value on the host, or check nothing.

    Returns
    -------
    Array
        0-d for ``"mean"`` and ``"sum"``; for ``"none"``, shape (N,) (0-d for (D,)
        inputs). In the promoted dtype of ``x1`` and ``x2`` (float16 and bfloat16 are computed in float32).

    Raises
    ------
    ValueError
        For mismatched shapes (or inputs that are not (N, D) or (D,), or D = 0), ``y``
        values other than 1 and -1 (torch silently gives 0 for them), checked for
        concrete arrays (lazy and traced ones give NaN instead), ``margin`` outside
        [-1, 1], or an unknown ``reduction``.
    TypeError
        If ``x1`` or ``x2`` is not a real floating array, ``y`` is not integer or real
        floating (e.g. bool), or ``margin`` is not a real number.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> x1 = np.asarray([[1.0, 0.0], [1.0, 0.0]]); x2 = np.asarray([[0.6, 0.8], [0.6, 0.8]])
    >>> pl.cosine_embedding_loss(x1, x2, np.asarray([1, -1]), reduction="none").round(6)
    array([0.4, 0.6])
    """
    xp = namespace(x1=x1, x2=x2, y=y)
    check_reduction(reduction)
    check_real_floating(xp, x1, "x1")
    check_real_floating(xp, x2, "x2")
    check_same_shape(x1, x2, ("x1", "x2"))
    if x1.ndim not in (1, 2):
        msg = f"`x1` and `x2` must have shape (N, D) or (D,); got {tuple(x1.shape)}"
        raise ValueError(msg)
    _check_features(x1, "x1")
    if not shapes_match(tuple(y.shape), tuple(x1.shape[:-1])):
        msg = f"`y` must have shape {tuple(x1.shape[:-1])} for inputs of shape {tuple(x1.shape)}; got {tuple(y.shape)}"
        raise ValueError(msg)
    checks = Checks(xp, value_checks)
    _check_sign_target(checks, y)
    margin = check_in_range(margin, "margin", -1.0, 1.0)
    dtype, work = _work_dtype(xp, x1, x2)
    a, b = to(xp, x1, work), to(xp, x2, work)

    u, s1, r1 = _unit(xp, a)
    v, s2, r2 = _unit(xp, b)
    rho1, om1 = _eps_ratio(xp, s1, r1)
    rho2, om2 = _eps_ratio(xp, s2, r2)
    diff = u - v
    # 1 - cos = 1 - rho1 rho2 cos0, split into non-negative parts; 1 - cos0 = |u - v|^2 / 2
    one_minus_cos = om1 + rho1 * om2 + (rho1 * rho2) * (xp.sum(diff * diff, axis=-1) / 2)
    cos = (rho1 * rho2) * xp.sum(u * v, axis=-1)
    # cos - m, taken as (1 - m) - (1 - cos) near cos = 1 so that it keeps its accuracy there
    above = xp.where(cos > 0.5, (1 - margin) - one_minus_cos, cos - margin)
    loss = xp.where(y == 1, one_minus_cos, at_least(xp, above, 0))
    loss = checks.result(loss)  # lazy y with a value other than +-1: NaN
    return finish(xp, reduce(loss, reduction, xp=xp), dtype)


def margin_ranking_loss(
    x1: Array, x2: Array, y: Array, /, *, margin: float = 0.0, reduction: str = "mean", value_checks: str | None = None
) -> Array:
    r"""Margin ranking loss: ``x1`` should rank above ``x2`` where ``y = 1``, below where ``y = -1``.

    .. math:: \ell_i = \max\bigl(0,\ -y_i (x_{1,i} - x_{2,i}) + m\bigr)

    Parameters
    ----------
    x1, x2 : Array
        Scores of the same shape, any shape, e.g. (N,); real floating dtypes.
    y : Array
        The shape of ``x1``, values 1 or -1; an integer or real floating dtype.
    margin : float
        :math:`m`, any finite real (torch does not restrict it either).
    reduction : {"none", "mean", "sum"}
        ``"none"``: the loss of each pair; ``"mean"``: their mean; ``"sum"``: their
        sum.

    value_checks : {"auto", "raise", "defer", "off"} or None
        What the checks on values do in this call (``None``: the global option,
        ``"auto"`` by default; see :func:`options`): raise a clear error, give NaN where
        a value is invalid without reading any value on the host, or check nothing.

    Returns
    -------
    Array
        0-d for ``"mean"`` and ``"sum"``; the shape of ``x1`` for ``"none"``. In the
        promoted dtype of ``x1`` and ``x2`` (float16 and bfloat16 are computed in float32).

    Raises
    ------
    ValueError
        For arrays of different shapes (torch broadcasts arrays of equal rank), ``y``
        values other than 1 and -1 (torch scales the difference by any ``y``), checked
        for concrete arrays (lazy and traced ones give NaN instead), a ``margin`` that
        is not finite, or an unknown ``reduction``.
    TypeError
        If ``x1`` or ``x2`` is not a real floating array, ``y`` is not integer or real
        floating, or ``margin`` is not a real number.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> x1, x2 = np.asarray([0.8, 0.3]), np.asarray([0.5, 0.6])
    >>> pl.margin_ranking_loss(x1, x2, np.asarray([1.0, 1.0]), margin=0.1, reduction="none").round(6)
    array([0. , 0.4])
    """
    xp = namespace(x1=x1, x2=x2, y=y)
    check_reduction(reduction)
    check_real_floating(xp, x1, "x1")
    check_real_floating(xp, x2, "x2")
    _check_margin_ranking_shapes(x1, x2, y)
    checks = Checks(xp, value_checks)
    _check_sign_target(checks, y)
    margin = check_in_range(margin, "margin", -math.inf, math.inf, lo_open=True, hi_open=True)
    dtype, work = _work_dtype(xp, x1, x2)
    a, b = to(xp, x1, work), to(xp, x2, work)
    # -y (x1 - x2) for y in {1, -1}, one rounding: x2 - x1 or x1 - x2
    loss = at_least(xp, xp.where(y == 1, b - a, a - b) + margin, 0)
    loss = checks.result(loss)  # lazy y with a value other than +-1: NaN
    return finish(xp, reduce(loss, reduction, xp=xp), dtype)


def info_nce(
    query: Array,
    positive: Array,
    negatives: Array | None = None,
    /,
    *,
    temperature: float = 0.1,
    reduction: str = "mean",
) -> Array:
    r"""InfoNCE (NT-Xent) contrastive loss with cosine similarity (van den Oord et al., 2018).

    Each query :math:`q_i` is classified among its positive :math:`p_i` (class 0)
    and its negatives by cross entropy on the logits :math:`\operatorname{sim}/\tau`:

    .. math::
        \ell_i = -\log \frac{e^{\operatorname{sim}(q_i, p_i)/\tau}}
                 {e^{\operatorname{sim}(q_i, p_i)/\tau} + \sum_j e^{\operatorname{sim}(q_i, n_{ij})/\tau}},
        \qquad \operatorname{sim}(u, v) = \frac{u \cdot v}{\lVert u \rVert\,\lVert v \rVert}

    (a zero vector has similarity 0 with everything). The negatives are

    * ``negatives=None`` -- the other rows' positives (SimCLR / CLIP style, in-batch
      negatives): the logits are :math:`\hat Q \hat P^\top / \tau` (N x N) and the
      target of row ``i`` is column ``i``;
    * ``negatives`` of shape (M, D) -- the same M negatives for every query;
    * ``negatives`` of shape (N, M, D) -- M negatives per query.

    This is the one-directional loss; CLIP's symmetric loss is
    ``(info_nce(img, txt) + info_nce(txt, img)) / 2``, and SimCLR's NT-Xent over 2N
    views excludes each view's similarity with itself (pass the other views as
    ``negatives`` for that).

    The log-sum-exp keeps one maximal logit out of the sum
    (:math:`\log(1 + \sum_{j\ne j^*} e^{x_j - m})`), so temperatures down to 0.01
    (logits up to 100) neither overflow nor lose a tiny loss to rounding.

    Parameters
    ----------
    query, positive : Array
        Embeddings of shape (N, D), D >= 1; row ``i`` of ``positive`` is the positive of
        row ``i`` of ``query``. Real floating dtypes.
    negatives : Array or None
        Shape (M, D), negatives shared by every query, or (N, M, D), M per query; a real
        floating dtype. ``None``: the other rows of ``positive`` (in-batch negatives).
    temperature : float
        :math:`\tau`, finite and > 0 (CLIP uses 0.07, SimCLR 0.1).
    reduction : {"none", "mean", "sum"}
        ``"none"``: the loss of each query; ``"mean"``: their mean; ``"sum"``: their
        sum.

    Returns
    -------
    Array
        0-d for ``"mean"`` and ``"sum"``; shape (N,) for ``"none"``. In the promoted dtype
        of the inputs (float16 and bfloat16 are computed in float32).

    Raises
    ------
    ValueError
        If ``query`` is not 2-d, ``positive`` differs from it in shape, D = 0,
        ``negatives`` is not (M, D) or (N, M, D), ``temperature`` is not finite and > 0,
        or ``reduction`` is unknown.
    TypeError
        If an input is not a real floating array, or ``temperature`` is not a real
        number.

    References
    ----------
    van den Oord, Li, Vinyals, "Representation learning with contrastive predictive
    coding", arXiv:1807.03748, 2018. Chen et al., "A simple framework for contrastive
    learning of visual representations" (SimCLR), ICML 2020.

    Examples
    --------
    >>> import numpy as np, polyloss as pl
    >>> q = np.asarray([[1.0, 0.0], [0.0, 1.0]]); p = np.asarray([[1.0, 0.0], [0.0, 1.0]])
    >>> round(float(pl.info_nce(q, p, temperature=1.0)), 6)  # log(1 + e^-1)
    0.313262
    """
    xp = namespace(query=query, positive=positive, negatives=negatives, optional=("negatives",))
    check_reduction(reduction)
    for arr, name in ((query, "query"), (positive, "positive"), (negatives, "negatives")):
        check_real_floating(xp, arr, name)
    if query.ndim != 2:
        msg = f"`query` must have shape (N, D); got {tuple(query.shape)}"
        raise ValueError(msg)
    check_same_shape(query, positive, ("query", "positive"))
    _check_features(query, "query")
    n, dim = query.shape
    if negatives is not None:
        shape = tuple(negatives.shape)
        ok = (len(shape) == 2 and shapes_match(shape[1:], (dim,))) or (len(shape) == 3 and shapes_match(shape[::2], (n, dim)))
        if not ok:
            msg = f"`negatives` must have shape (M, {dim}) or ({n}, M, {dim}) for `query` of shape {(n, dim)}; got {shape}"
            raise ValueError(msg)
    tau = check_in_range(temperature, "temperature", 0.0, math.inf, lo_open=True, hi_open=True)
    arrays = (query, positive) if negatives is None else (query, positive, negatives)
    dtype, work = _work_dtype(xp, *arrays)
    q, _, _ = _unit(xp, to(xp, query, work))
    pos, _, _ = _unit(xp, to(xp, positive, work))

    if negatives is None:
        logits = xp.matmul(q, xp.permute_dims(pos, (1, 0))) / tau
        # the positive logit is read from the same matrix, so that when it is the
        # maximum, m - x_pos is exactly 0 and only the tiny log1p tail remains
        idx = row_numbers(xp, q)
        diag = idx[:, None] == idx[None, :]
        x_pos = xp.sum(xp.where(diag, logits, xp.zeros_like(logits)), axis=1)
    else:
        neg, _, _ = _unit(xp, to(xp, negatives, work))
        x_pos = xp.sum(q * pos, axis=1) / tau
        if neg.ndim == 2:
            x_neg = xp.matmul(q, xp.permute_dims(neg, (1, 0))) / tau
        else:
            x_neg = xp.sum(q[:, None, :] * neg, axis=2) / tau
        logits = xp.concat([x_pos[:, None], x_neg], axis=1)
    m, tail = lse_parts(xp, logits, 1)
    # -log softmax(logits)_pos = (m - x_pos) + log1p(sum_{j != j*} exp(x_j - m))
    loss = (xp.squeeze(m, axis=1) - x_pos) + xp.squeeze(tail, axis=1)
    return finish(xp, reduce(loss, reduction, xp=xp), dtype)
