"""torchvision.ops behind the polyloss signatures (the ``torchvision`` adapter), on torch tensors.

Translation (torchvision 0.28 source read, ``ops/focal_loss.py``, ``ops/giou_loss.py``):

``sigmoid_focal_loss(input, target, alpha, gamma, reduction)``
    ``ops.sigmoid_focal_loss(input, target, alpha=alpha, gamma=gamma, reduction=reduction)``:
    ``BCE-with-logits * (1 - p_t)^gamma``, times ``alpha_t`` when ``alpha >= 0``.  torchvision
    accepts ``alpha`` in [0, 1] or -1 (no ``alpha_t``); polyloss's ``alpha < 0`` is passed as -1.
``generalized_box_iou_loss(boxes1, boxes2, reduction, eps)``
    ``ops.generalized_box_iou_loss(boxes1, boxes2, reduction=reduction, eps=eps)`` (polyloss's
    conventions are torchvision's, including the mean over no boxes being 0; torchvision's default
    reduction is "none", polyloss's "mean", and every case passes its reduction).  Half-precision
    boxes are computed and returned in float32 (``_upcast_non_float``), which the dtype check reports.

The PyPI wheels of torchvision for torch 2.13.0 are CUDA builds; with the CPU
build of torch, ``import torchvision`` fails (its ``_C`` extension needs
``libc10_cuda.so``) and every case is declined with that reason.
"""

from __future__ import annotations

__all__ = ["functions"]


def sigmoid_focal_loss(input, target, *, alpha=0.25, gamma=2.0, reduction="mean"):
    from torchvision import ops

    return ops.sigmoid_focal_loss(input, target, alpha=-1.0 if alpha < 0 else alpha, gamma=gamma,
                                  reduction=reduction)


def generalized_box_iou_loss(boxes1, boxes2, *, reduction="mean", eps=1e-7):
    from torchvision import ops

    return ops.generalized_box_iou_loss(boxes1, boxes2, reduction=reduction, eps=eps)


def functions() -> dict:
    return {f.__name__: f for f in (sigmoid_focal_loss, generalized_box_iou_loss)}
