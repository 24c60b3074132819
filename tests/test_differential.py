"""Differential tests: every public function with a torch peer, against it, in float64.

Each loss is run on thousands of random configurations (NumPy RNG, fixed seeds):
shapes with K extra dims, size-1 and empty batches, unbatched calls, every option
and their combinations (weights + ignore_index + label smoothing + probability
targets, pos_weight broadcasting, every reduction). The torch results are computed
once per configuration and compared with polyloss on the numpy and torch backends
(all configurations) and on the other backends (a few, to keep the suite fast).

Peers: ``torch.nn.functional`` (and ``torch.logsumexp`` etc.) where torch has the
function; where it does not, the reference code that defines the loss, written
in torch (torchvision's ``sigmoid_focal_loss`` and ``generalized_box_iou_loss``,
InfoNCE as ``F.cross_entropy`` on cosine logits, ...). Functions without any peer
are listed in :data:`NO_TORCH_PEER` with the reason; a new public function in
neither table fails :func:`test_every_public_function_is_classified`.

Tolerance: ``rtol = 1e-12`` with an absolute floor of ``1e-13`` times the input
scale, for values torch forms with cancellation (polyloss does not).
"""

from __future__ import annotations

import contextlib
import functools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import polyloss as pl

torch = pytest.importorskip("torch", reason="the differential tests compare with torch")
F = torch.nn.functional

REDUCTIONS = ("none", "mean", "sum")
#: configurations per loss on the numpy and torch backends (FULL), and the first few on the
#: others: JAX compiles every operation anew for each shape (seconds per configuration)
FULL = 1500
FEW = {"array_api_strict": 12, "dask": 4, "jax": 0, "cupy": 100}
COUNTS: dict[str, int] = {}  # filled as the cases are built: configurations per function


@dataclass
class Case:
    args: tuple  # NumPy arrays (or None), passed positionally
    kwargs: dict  # options; NumPy array values become backend arrays
    ref: Callable[..., Any]  # (torch args, torch kwargs) -> torch result
    scale: float = 1.0  # magnitude of the inputs, for the absolute tolerance floor
    rtol: float = 1e-12
    want: Any = field(default=None)

    def __post_init__(self) -> None:
        # NumPy's RNG returns Python floats for shape (): make every array argument an array
        self.args = tuple(None if a is None else np.asarray(a) for a in self.args)
        for k in ("weight", "pos_weight"):
            if k in self.kwargs:
                self.kwargs[k] = np.asarray(self.kwargs[k])

    def describe(self) -> str:
        shapes = [None if a is None else (a.dtype.name, a.shape) for a in self.args]
        opts = {k: (v.shape if isinstance(v, np.ndarray) else v) for k, v in self.kwargs.items()}
        return f"args {shapes} options {opts}"


PEERS: dict[str, Callable[[np.random.Generator], Case]] = {}
SIZE: dict[str, int] = {}


def peer(name: str, n: int = FULL):
    def register(gen):
        PEERS[name] = gen
        SIZE[name] = n
        return gen

    return register


#: public names with no torch counterpart, and why
NO_TORCH_PEER = {
    "dice_loss": "no torch peer (segmentation libraries differ in smoothing and reduction)",
    "jaccard_loss": "no torch peer (segmentation libraries differ in smoothing and reduction)",
    "tversky_loss": "no torch peer (segmentation libraries differ in smoothing and reduction)",
    "class_weights": "a helper, not a loss: scikit-learn's formula, tested on its own",
    "expected_calibration_error": "a metric with no torch peer",
    "fit_temperature": "an optimiser with no torch peer",
    "LikelyMistakeWarning": "a warning class",
    "get_options": "configuration",
    "set_options": "configuration",
    "options": "configuration",
}


# -- random building blocks -----------------------------------------------------------


def _pick(rng, options, p=None):
    return options[rng.choice(len(options), p=p)]


def _scale(rng) -> float:
    return float(_pick(rng, (0.1, 1.0, 3.0, 10.0, 100.0), p=(0.15, 0.35, 0.25, 0.15, 0.1)))


def _batch(rng) -> int:
    return int(_pick(rng, (0, 1, 2, 3, 5, 8), p=(0.05, 0.2, 0.25, 0.2, 0.2, 0.1)))


def _extra_dims(rng, max_k: int = 2) -> tuple[int, ...]:
    k = int(rng.integers(0, max_k + 1))
    return tuple(int(rng.integers(1, 4)) for _ in range(k))


def _any_shape(rng, max_rank: int = 4) -> tuple[int, ...]:
    rank = int(rng.integers(0, max_rank + 1))
    return tuple(int(_pick(rng, (0, 1, 2, 3, 4), p=(0.04, 0.26, 0.3, 0.25, 0.15))) for _ in range(rank))


def _broadcast_shape(rng, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts to ``shape`` (a suffix, some axes set to 1)."""
    k = int(rng.integers(0, len(shape) + 1))
    suffix = shape[len(shape) - k:]
    return tuple(1 if rng.random() < 0.4 else s for s in suffix)


def _class_layout(rng):
    """(input shape, target shape, class axis) for nll_loss / cross_entropy."""
    c = int(_pick(rng, (1, 2, 3, 5, 7), p=(0.05, 0.3, 0.3, 0.25, 0.1)))
    if rng.random() < 0.12:
        return (c,), (), 0
    n, dims = _batch(rng), _extra_dims(rng)
    return (n, c, *dims), (n, *dims), 1


def _reduction(rng) -> str:
    return str(_pick(rng, REDUCTIONS))


def _weight(rng, c):
    return rng.random(c) * 2 + 0.05 if rng.random() < 0.5 else None


def _class_targets(rng, tshape, c):
    """Class indices, some set to an ignore_index (-100, -1 or a real class)."""
    t = rng.integers(0, c, tshape).astype("int64")
    ignore = int(_pick(rng, (-100, -1, int(rng.integers(0, c)))))
    if t.size and rng.random() < 0.5:
        t[rng.random(tshape) < 0.3] = ignore
    return t, ignore


def _simplex(rng, shape, axis):
    """Rows on the simplex along ``axis``: Dirichlet, one-hot or with zeros."""
    if 0 in shape:
        return np.zeros(shape)
    q = rng.gamma(float(_pick(rng, (0.1, 1.0, 5.0))), size=shape)
    if rng.random() < 0.3:
        q = np.where(rng.random(shape) < 0.4, 0.0, q)
    q = q + (q.sum(axis=axis, keepdims=True) == 0) * 1.0  # no all-zero row
    return q / q.sum(axis=axis, keepdims=True)


def _log_softmax_np(x, axis):
    m = x.max(axis=axis, keepdims=True) if x.size else 0
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def _torch_quiet(f):
    """Call a torch reference with its UserWarnings (kl_div "mean") silenced."""

    @functools.wraps(f)
    def call(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return f(*args, **kwargs)

    return call


# -- classification ----------------------------------------------------------------------


@peer("cross_entropy", n=2500)
def _cross_entropy(rng):
    shape, tshape, axis = _class_layout(rng)
    c = shape[axis]
    s = _scale(rng)
    x = rng.standard_normal(shape) * s
    kw: dict[str, Any] = {"reduction": _reduction(rng)}
    if (w := _weight(rng, c)) is not None:
        kw["weight"] = w
    if rng.random() < 0.5:
        kw["label_smoothing"] = float(_pick(rng, (0.1, float(rng.random()), 1.0)))
    if rng.random() < 0.35:
        target = _simplex(rng, shape, axis)
        if rng.random() < 0.2:
            target = target * rng.random(shape)  # rows need not sum to 1 (torch accepts them)
    else:
        target, kw["ignore_index"] = _class_targets(rng, tshape, c)
    return Case((x, target), kw, lambda a, k: F.cross_entropy(*a, **k), scale=s)


@peer("linear_cross_entropy", n=1000)
def _linear_cross_entropy(rng):
    """Hidden states (..., H) through a linear layer (V, H): the peer is F.cross_entropy of F.linear,
    with the class axis moved from last to 1."""
    lead = tuple(_batch(rng) for _ in range(int(_pick(rng, (0, 1, 2, 3), p=(0.1, 0.5, 0.3, 0.1)))))
    h_dim, v = int(_pick(rng, (1, 3, 8))), int(_pick(rng, (1, 2, 5, 17)))
    s = _scale(rng)
    x = rng.standard_normal((*lead, h_dim)) * s
    w = rng.standard_normal((v, h_dim))
    kw: dict[str, Any] = {"reduction": _reduction(rng)}
    if rng.random() < 0.5:
        kw["bias"] = rng.standard_normal(v)
    if rng.random() < 0.5:
        kw["label_smoothing"] = float(_pick(rng, (0.1, float(rng.random()), 1.0)))
    target, kw["ignore_index"] = _class_targets(rng, lead, v)

    def ref(a, k):
        logits = F.linear(a[0], a[1], k.pop("bias", None))
        return F.cross_entropy(logits.movedim(-1, 1) if logits.ndim > 1 else logits, a[2], **k)

    return Case((x, w, target), kw, ref, scale=s * math.sqrt(h_dim))


@peer("nll_loss", n=2500)
def _nll_loss(rng):
    shape, tshape, axis = _class_layout(rng)
    c = shape[axis]
    s = _scale(rng)
    x = rng.standard_normal(shape) * s
    kw: dict[str, Any] = {"reduction": _reduction(rng)}
    if rng.random() < 0.75:
        x = _log_softmax_np(x, axis) if x.size else x
    else:
        kw["detect_mistakes"] = False  # raw scores: torch accepts them
    if (w := _weight(rng, c)) is not None:
        kw["weight"] = w
    target, kw["ignore_index"] = _class_targets(rng, tshape, c)

    def ref(a, k):
        k.pop("detect_mistakes", None)
        return F.nll_loss(*a, **k)

    return Case((x, target), kw, ref, scale=s)


def _binary_common(rng):
    shape = _any_shape(rng)
    kw: dict[str, Any] = {"reduction": _reduction(rng)}
    if rng.random() < 0.5:
        kw["weight"] = rng.random(_broadcast_shape(rng, shape)) * 2
    if rng.random() < 0.5:
        y = (rng.random(shape) < 0.5).astype("float64")
    else:
        y = rng.random(shape)
    return shape, y, kw


@peer("binary_cross_entropy", n=2000)
def _bce(rng):
    shape, y, kw = _binary_common(rng)
    p = np.asarray(rng.random(shape) ** float(_pick(rng, (1.0, 0.1, 10.0))))
    if p.size and rng.random() < 0.3:
        p[rng.random(shape) < 0.2] = 0.0
        p[rng.random(shape) < 0.2] = 1.0
    return Case((p, y), kw, lambda a, k: F.binary_cross_entropy(*a, **k))


@peer("binary_cross_entropy_with_logits", n=2000)
def _bce_logits(rng):
    shape, y, kw = _binary_common(rng)
    s = _scale(rng)
    z = rng.standard_normal(shape) * s
    if rng.random() < 0.5:
        kw["pos_weight"] = rng.random(_broadcast_shape(rng, shape)) * 3
    return Case((z, y), kw, lambda a, k: F.binary_cross_entropy_with_logits(*a, **k), scale=s)


@peer("softmax_focal_loss")
def _softmax_focal(rng):
    # reference: the usual PyTorch focal loss, nll_loss on (1 - p)^gamma * log p
    shape, tshape, axis = _class_layout(rng)
    c = shape[axis]
    x = rng.standard_normal(shape) * float(_pick(rng, (0.3, 1.0, 3.0)))  # torch's 1 - p cancels
    kw: dict[str, Any] = {"reduction": _reduction(rng), "gamma": float(_pick(rng, (0.0, 0.5, 1.0, 2.0, 5.0)))}
    if (w := _weight(rng, c)) is not None:
        kw["weight"] = w
    target, kw["ignore_index"] = _class_targets(rng, tshape, c)

    def ref(a, k):
        x, t = a
        lp = torch.log_softmax(x, dim=axis)
        return F.nll_loss((1 - lp.exp()) ** k.pop("gamma") * lp, t, **k)

    return Case((x, target), kw, ref, rtol=1e-11)


@peer("sigmoid_focal_loss")
def _sigmoid_focal(rng):
    # reference: torchvision.ops.sigmoid_focal_loss, written out
    shape = _any_shape(rng)
    z = rng.standard_normal(shape) * float(_pick(rng, (0.3, 1.0, 3.0)))  # torchvision's 1 - p_t cancels
    y = (rng.random(shape) < 0.5).astype("float64") if rng.random() < 0.6 else rng.random(shape)
    kw = {
        "reduction": _reduction(rng),
        "alpha": float(_pick(rng, (0.25, 0.5, 1.0, 0.0, -1.0))),
        "gamma": float(_pick(rng, (0.0, 1.0, 2.0, 3.5))),
    }

    def ref(a, k):
        z, y = a
        p = torch.sigmoid(z)
        loss = F.binary_cross_entropy_with_logits(z, y, reduction="none")
        p_t = p * y + (1 - p) * (1 - y)
        loss = loss * (1 - p_t) ** k["gamma"]
        if k["alpha"] >= 0:
            loss = (k["alpha"] * y + (1 - k["alpha"]) * (1 - y)) * loss
        return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[k["reduction"]]

    return Case((z, y), kw, ref, rtol=1e-11)


# -- regression -------------------------------------------------------------------------


def _pair(rng):
    shape = _any_shape(rng)
    s = _scale(rng)
    x = rng.standard_normal(shape) * s
    y = x + rng.standard_normal(shape) * s * float(_pick(rng, (1.0, 0.1, 1e-3)))
    return x, y, s


def _regression(name, option=None, values=()):
    def gen(rng):
        x, y, s = _pair(rng)
        kw: dict[str, Any] = {"reduction": _reduction(rng)}
        if option:
            kw[option] = float(_pick(rng, values)) * (s if rng.random() < 0.5 else 1.0)
        return Case((x, y), kw, lambda a, k: getattr(F, name)(*a, **k), scale=s * s)

    return gen


peer("mse_loss")(_regression("mse_loss"))
peer("l1_loss")(_regression("l1_loss"))
peer("huber_loss")(_regression("huber_loss", "delta", (1e-3, 0.5, 1.0, 2.0, 10.0)))
peer("smooth_l1_loss")(_regression("smooth_l1_loss", "beta", (0.0, 1e-3, 0.5, 1.0, 10.0)))


# -- distributions ------------------------------------------------------------------------


@peer("kl_div")
def _kl_div(rng):
    shape = _any_shape(rng)
    axis = -1 if shape else None
    x = _log_softmax_np(rng.standard_normal(shape) * _scale(rng), axis) if shape and 0 not in shape else rng.standard_normal(shape) - 3
    log_target = bool(rng.random() < 0.4)
    p = _simplex(rng, shape, -1) if shape else rng.random(shape)
    if log_target:
        # torch gives NaN for a -inf log-target (exp(-inf) * (-inf - x)); polyloss gives 0: keep it finite
        target = np.log(np.where(p > 0, p, 1e-300))
    else:
        target = p
    kw = {"reduction": str(_pick(rng, (*REDUCTIONS, "batchmean"))), "log_target": log_target}
    return Case((x, target), kw, _torch_quiet(lambda a, k: F.kl_div(*a, **k)), scale=10.0)


def _axis_option(rng, ndim):
    r = rng.random()
    if ndim == 0 or r < 0.15:
        return None
    if r < 0.3 and ndim > 1:
        return tuple(sorted(rng.choice(ndim, size=2, replace=False).tolist()))
    return int(rng.integers(-ndim, ndim))


def _dims(axis, ndim):
    return tuple(range(ndim)) if axis is None else axis


@peer("entropy")
def _entropy(rng):
    shape = _any_shape(rng)
    axis = _axis_option(rng, len(shape))
    p = rng.random(shape) * (rng.random(shape) < 0.8)
    return Case((p,), {"axis": axis}, lambda a, k: torch.special.entr(a[0]).sum(dim=_dims(axis, a[0].ndim)))


@peer("kl_divergence")
def _kl_divergence(rng):
    shape = _any_shape(rng)
    axis = _axis_option(rng, len(shape))
    p = rng.random(shape) * (rng.random(shape) < 0.8)
    q = rng.random(shape) * 0.9 + 0.05
    if rng.random() < 0.3:
        q = np.clip(p * (1 + rng.standard_normal(shape) * 1e-3), 1e-3, 1)  # close distributions

    def ref(a, k):
        p, q = a
        return (torch.special.xlogy(p, p) - torch.special.xlogy(p, q)).sum(dim=_dims(axis, p.ndim))

    # torch forms log p - log q: for close p, q it cancels, polyloss uses log1p
    return Case((p, q), {"axis": axis}, ref, scale=10.0)


# -- metric learning ------------------------------------------------------------------------


def _embeddings(rng, k):
    d = int(_pick(rng, (1, 2, 3, 8)))
    shape = (d,) if rng.random() < 0.1 else (_batch(rng), d)
    s = _scale(rng)
    return [rng.standard_normal(shape) * s for _ in range(k)], shape, s


@peer("triplet_margin_loss")
def _triplet(rng):
    (a, p, n), _, s = _embeddings(rng, 3)
    kw = {
        "margin": float(_pick(rng, (0.1, 1.0, 5.0))) * (s if rng.random() < 0.5 else 1.0),
        "p": float(_pick(rng, (1.0, 2.0, 3.0, 1.5, 0.5))),
        "eps": float(_pick(rng, (0.0, 1e-6, 0.1))),
        "swap": bool(rng.random() < 0.5),
        "reduction": _reduction(rng),
    }
    return Case((a, p, n), kw, lambda a, k: F.triplet_margin_loss(*a, **k), scale=s)


@peer("cosine_embedding_loss")
def _cosine(rng):
    (x1, x2), shape, s = _embeddings(rng, 2)
    if rng.random() < 0.2:
        x2 = x1 * float(_pick(rng, (1.0, 2.0, -1.0)))  # parallel: cos = +-1
    y = np.where(rng.random(shape[:-1]) < 0.5, 1, -1)
    if rng.random() < 0.5:
        y = y.astype("float64")
    kw = {"margin": float(_pick(rng, (0.0, 0.5, -0.5, 1.0, -1.0, float(rng.uniform(-1, 1))))), "reduction": _reduction(rng)}
    # torch forms 1 - cos with cancellation near cos = 1 (polyloss does not): absolute floor
    return Case((x1, x2, y), kw, lambda a, k: F.cosine_embedding_loss(*a, **k), scale=100.0)


@peer("margin_ranking_loss")
def _ranking(rng):
    shape = (_batch(rng),) if rng.random() < 0.8 else _any_shape(rng)
    s = _scale(rng)
    x1, x2 = rng.standard_normal(shape) * s, rng.standard_normal(shape) * s
    y = np.where(rng.random(shape) < 0.5, 1.0, -1.0)
    kw = {"margin": float(_pick(rng, (0.0, 0.5, -0.5, 2.0))) * s, "reduction": _reduction(rng)}
    return Case((x1, x2, y), kw, lambda a, k: F.margin_ranking_loss(*a, **k), scale=s)


@peer("info_nce")
def _info_nce(rng):
    # reference: cross entropy on cosine-similarity logits / temperature, the positive as class 0
    n, d = int(_pick(rng, (1, 2, 3, 6))), int(_pick(rng, (1, 2, 4, 8)))
    s = _scale(rng)
    q, pos = rng.standard_normal((n, d)) * s, rng.standard_normal((n, d)) * s
    mode = int(rng.integers(0, 3))
    m = int(_pick(rng, (1, 2, 5)))
    neg = None if mode == 0 else rng.standard_normal((m, d) if mode == 1 else (n, m, d)) * s
    kw = {"temperature": float(_pick(rng, (0.05, 0.1, 0.5, 1.0, 2.0))), "reduction": _reduction(rng)}
    args = (q, pos) if neg is None else (q, pos, neg)

    def ref(a, k):
        qn = F.normalize(a[0], dim=-1)
        pn = F.normalize(a[1], dim=-1)
        if len(a) == 2:
            logits, target = qn @ pn.T, torch.arange(n)
        else:
            nn = F.normalize(a[2], dim=-1)
            negs = qn @ nn.T if nn.ndim == 2 else torch.einsum("nd,nmd->nm", qn, nn)
            logits, target = torch.cat([(qn * pn).sum(-1, keepdim=True), negs], dim=1), torch.zeros(n, dtype=torch.int64)
        return F.cross_entropy(logits / k["temperature"], target, reduction=k["reduction"])

    return Case(args, kw, ref, rtol=1e-11, scale=100.0)


@peer("generalized_box_iou_loss")
def _giou(rng):
    # reference: torchvision.ops.generalized_box_iou_loss, written out
    shape = (_batch(rng),) if rng.random() < 0.8 else ()
    s = _scale(rng)

    def boxes():
        lo = rng.standard_normal((*shape, 2)) * s
        wh = rng.random((*shape, 2)) * s * (rng.random((*shape, 1)) < 0.95)  # some degenerate boxes
        return np.concatenate([lo, lo + wh], axis=-1)

    b1 = boxes()
    b2 = boxes() if rng.random() < 0.7 else b1 + rng.standard_normal(b1.shape) * s * 0.01
    b2[..., 2:] = np.maximum(b2[..., 2:], b2[..., :2])
    kw = {"reduction": _reduction(rng), "eps": float(_pick(rng, (1e-7, 0.0, 1e-3)))}

    def ref(a, k):
        b1, b2 = a
        eps = k["eps"]
        x1, y1, x2, y2 = b1.unbind(-1)
        x1g, y1g, x2g, y2g = b2.unbind(-1)
        xki, yki = torch.max(x1, x1g), torch.max(y1, y1g)
        xk2, yk2 = torch.min(x2, x2g), torch.min(y2, y2g)
        inter = torch.zeros_like(x1)
        mask = (yk2 > yki) & (xk2 > xki)
        inter[mask] = ((xk2[mask] - xki[mask]) * (yk2[mask] - yki[mask]))
        union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter
        iou = inter / (union + eps)
        xc1, yc1 = torch.min(x1, x1g), torch.min(y1, y1g)
        xc2, yc2 = torch.max(x2, x2g), torch.max(y2, y2g)
        area_c = (xc2 - xc1) * (yc2 - yc1)
        loss = 1 - (iou - ((area_c - union) / (area_c + eps)))
        red = k["reduction"]
        if red == "mean":
            return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
        return loss.sum() if red == "sum" else loss

    # torchvision's 1 - iou cancels for nearly coincident boxes (polyloss does not)
    return Case((b1, b2), kw, ref, rtol=1e-11, scale=1e3)


# -- special functions ------------------------------------------------------------------


@peer("logsumexp")
def _logsumexp(rng):
    shape = _any_shape(rng)
    axis = _axis_option(rng, len(shape))
    keepdims = bool(rng.random() < 0.5)
    s = _scale(rng)
    x = rng.standard_normal(shape) * s
    return Case((x,), {"axis": axis, "keepdims": keepdims},
                lambda a, k: torch.logsumexp(a[0], dim=_dims(axis, a[0].ndim), keepdim=keepdims), scale=s)


def _along_axis(name, fn):
    def gen(rng):
        shape = _any_shape(rng)
        if not shape:
            shape = (int(rng.integers(1, 4)),)
        axis = int(rng.integers(-len(shape), len(shape)))
        s = _scale(rng)
        x = rng.standard_normal(shape) * s
        return Case((x,), {"axis": axis}, lambda a, k: fn(a[0], dim=axis), scale=s)

    return peer(name)(gen)


_along_axis("softmax", torch.softmax)
_along_axis("log_softmax", torch.log_softmax)


def _elementwise(name, fn):
    def gen(rng):
        shape = _any_shape(rng)
        s = _scale(rng) * (10.0 if rng.random() < 0.2 else 1.0)
        return Case((rng.standard_normal(shape) * s,), {}, lambda a, k: fn(a[0]), scale=1.0)

    return peer(name, n=500)(gen)


_elementwise("sigmoid", torch.sigmoid)
_elementwise("log_sigmoid", F.logsigmoid)


# -- the runner ---------------------------------------------------------------------------


def _to_torch(v):
    return torch.asarray(v.copy()) if isinstance(v, np.ndarray) else v  # copy(): keeps 0-d arrays 0-d


@contextlib.contextmanager
def _one_torch_thread():
    """Tiny tensors: torch's intra-op thread pool only adds synchronisation (10x slower when busy)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


@functools.cache
def _cases(name: str) -> list[Case]:
    """The configurations of ``name`` (seeded by its name) with torch's results."""
    rng = np.random.default_rng([2026, *name.encode()])
    cases = []
    with torch.no_grad(), _one_torch_thread():
        for _ in range(SIZE[name]):
            case = PEERS[name](rng)
            args = [_to_torch(a) for a in case.args]
            kwargs = {k: _to_torch(v) for k, v in case.kwargs.items()}
            case.want = np.asarray(case.ref(args, kwargs), dtype=np.float64)
            cases.append(case)
    COUNTS[name] = len(cases)
    return cases


@pytest.fixture(scope="module")
def _report(request):
    """Print the configurations tried per function in the terminal summary."""
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if COUNTS and reporter is not None and capture is not None:
        line = ", ".join(f"{k} {v}" for k, v in sorted(COUNTS.items()))
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\ndifferential: {sum(COUNTS.values())} torch-checked configurations ({line})")


def test_every_public_function_is_classified():
    missing = sorted(set(pl.__all__) - set(PEERS) - set(NO_TORCH_PEER))
    assert not missing, f"public functions with no differential peer and no reason in NO_TORCH_PEER: {missing}"
    stale = sorted((set(PEERS) | set(NO_TORCH_PEER)) - set(pl.__all__))
    assert not stale, f"tables name functions that are not public: {stale}"


@pytest.mark.parametrize("name", sorted(PEERS))
def test_matches_torch(backend, name, _report):
    if name not in pl.__all__:
        pytest.skip(f"{name} is not public (yet)")
    fn = getattr(pl, name)
    cases = _cases(name)
    if backend.name not in ("numpy", "torch"):
        if not FEW.get(backend.name, 12):
            pytest.skip(f"{backend.name} compiles every shape anew (seconds per configuration): "
                        "numpy and torch run the differential sweep, the property tests cover this backend")
        cases = cases[: FEW.get(backend.name, 12)]
    failures = []
    with _one_torch_thread():
        _compare(fn, backend, cases, failures)
    assert not failures, f"{len(failures)} of {len(cases)} configurations differ from torch:\n" + "\n".join(failures[:8])


def _compare(fn, backend, cases, failures) -> None:
    for i, case in enumerate(cases):
        args = [None if a is None else backend.asarray(a) for a in case.args]
        kwargs = {k: backend.asarray(v) if isinstance(v, np.ndarray) else v for k, v in case.kwargs.items()}
        try:
            out = fn(*args, **kwargs)
            got = backend.check_result(out, "float64", case.want.shape)
            np.testing.assert_allclose(got, case.want, rtol=case.rtol, atol=1e-13 * case.scale)
        except Exception as exc:  # collect, to report every failing configuration at once
            failures.append(f"#{i} {case.describe()}: {type(exc).__name__}: {str(exc).strip()[:400]}")
