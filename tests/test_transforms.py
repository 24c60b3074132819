"""The value-check policy (``value_checks``) and torch's transforms.

* ``"defer"`` reads no value on the host: a ``TorchFunctionMode`` counts every call that
  turns a tensor into a Python value (``__bool__``, ``item``, ...) and finds none, for every
  public function; an invalid element gives NaN; ``"raise"`` keeps the errors; ``"off"``
  checks nothing; ``"auto"`` raises on host data in eager mode and defers under transforms.
* ``torch.compile(fullgraph=True)`` (backend "eager" for every public function, "inductor"
  for two), ``torch.func`` ``grad``, ``vmap`` (per-sample calls on unbatched inputs) and
  ``jacrev`` agree with eager calls; ``torch.autograd.gradcheck`` passes on the native
  kernels' custom backwards in float64.

Torch-only tests skip unless torch is a selected backend (``POLYLOSS_BACKEND``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import polyloss as pl
from conftest import selected_backends

TORCH = "torch" in selected_backends()
pytestmark = pytest.mark.filterwarnings(
    "ignore:Dynamo detected a call to a `functools.lru_cache`-wrapped function:UserWarning",
    "ignore:`torch.jit.script_method` is deprecated:DeprecationWarning",
)
needs_torch = pytest.mark.skipif(not TORCH, reason="torch is not a selected backend (POLYLOSS_BACKEND)")

if TORCH:
    import torch
    from torch.overrides import TorchFunctionMode

    #: Tensor methods that move a value to the host (a device sync on an accelerator).
    SYNCS = frozenset({"__bool__", "__int__", "__float__", "__index__", "item", "tolist", "nonzero", "numpy"})

    class CountSyncs(TorchFunctionMode):
        """Records each call that turns a tensor into a Python value."""

        def __init__(self) -> None:
            super().__init__()
            self.calls: list[str] = []

        def __torch_function__(self, func, types, args=(), kwargs=None):
            name = getattr(func, "__name__", "")
            if name in SYNCS:
                self.calls.append(name)
            return func(*args, **(kwargs or {}))


def _inputs():
    """Every public function that takes arrays: ``name -> (function, args, kwargs)``, float64."""
    g = torch.Generator().manual_seed(0)
    f64 = dict(dtype=torch.float64, generator=g)
    N, C = 4, 5
    x = torch.randn(N, C, **f64)
    t = torch.randint(0, C, (N,), generator=g)
    p = torch.rand(N, C, **f64) * 0.9 + 0.05
    y = (torch.rand(N, C, **f64) > 0.5).double()
    q = torch.softmax(torch.randn(N, C, **f64), 1)
    seg = torch.softmax(torch.randn(2, 3, 4, 4, **f64), 1)
    segt = torch.randint(0, 3, (2, 4, 4), generator=g)
    lo = torch.rand(N, 2, **f64)
    boxes1, boxes2 = torch.cat([lo, lo + 1], 1), torch.cat([lo + 0.3, lo + 1.5], 1)
    sign = torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=torch.float64)
    h, W = torch.randn(N, 3, **f64), torch.randn(C, 3, **f64)
    return {
        "binary_cross_entropy": (pl.binary_cross_entropy, (p, y), {}),
        "binary_cross_entropy_with_logits": (pl.binary_cross_entropy_with_logits, (x, y), {}),
        "nll_loss": (pl.nll_loss, (torch.log_softmax(x, 1), t), {}),
        "cross_entropy": (pl.cross_entropy, (x, t), {}),
        "cross_entropy(probabilities)": (pl.cross_entropy, (x, q), {"label_smoothing": 0.1}),
        "linear_cross_entropy": (pl.linear_cross_entropy, (h, W, t), {}),
        "sigmoid_focal_loss": (pl.sigmoid_focal_loss, (x, y), {}),
        "softmax_focal_loss": (pl.softmax_focal_loss, (x, t), {}),
        "dice_loss": (pl.dice_loss, (seg, segt), {}),
        "jaccard_loss": (pl.jaccard_loss, (seg, segt), {}),
        "tversky_loss": (pl.tversky_loss, (seg, segt), {"alpha": 0.3, "beta": 0.7}),
        "kl_div": (pl.kl_div, (torch.log_softmax(x, 1), q), {}),
        "entropy": (pl.entropy, (q,), {}),
        "kl_divergence": (pl.kl_divergence, (q, q.flip(0)), {}),
        "generalized_box_iou_loss": (pl.generalized_box_iou_loss, (boxes1, boxes2), {}),
        "cosine_embedding_loss": (pl.cosine_embedding_loss, (x, x.flip(0), sign), {}),
        "margin_ranking_loss": (pl.margin_ranking_loss, (x[:, 0], x[:, 1], sign), {}),
        "triplet_margin_loss": (pl.triplet_margin_loss, (x, x.flip(0), x.flip(1)), {}),
        "info_nce": (pl.info_nce, (x, x.flip(0)), {}),
        "mse_loss": (pl.mse_loss, (x, p), {}),
        "l1_loss": (pl.l1_loss, (x, p), {}),
        "huber_loss": (pl.huber_loss, (x, p), {}),
        "smooth_l1_loss": (pl.smooth_l1_loss, (x, p), {}),
        "expected_calibration_error": (pl.expected_calibration_error, (q, t), {}),
        "class_weights": (pl.class_weights, (torch.tensor([3.0, 5.0, 7.0], dtype=torch.float64),), {}),
        "fit_temperature": (pl.fit_temperature, (x, t), {}),
        "sigmoid": (pl.sigmoid, (x,), {}),
        "log_sigmoid": (pl.log_sigmoid, (x,), {}),
        "softmax": (pl.softmax, (x,), {}),
        "log_softmax": (pl.log_softmax, (x,), {}),
        "logsumexp": (pl.logsumexp, (x,), {"axis": 1}),
    }


NAMES = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "nll_loss", "cross_entropy",
    "cross_entropy(probabilities)", "linear_cross_entropy", "sigmoid_focal_loss", "softmax_focal_loss", "dice_loss",
    "jaccard_loss", "tversky_loss", "kl_div", "entropy", "kl_divergence", "generalized_box_iou_loss",
    "cosine_embedding_loss", "margin_ranking_loss", "triplet_margin_loss", "info_nce", "mse_loss",
    "l1_loss", "huber_loss", "smooth_l1_loss", "expected_calibration_error", "class_weights",
    "fit_temperature", "sigmoid", "log_sigmoid", "softmax", "log_softmax", "logsumexp",
]  # fmt: skip


def _has_value_checks(fn) -> bool:
    return "value_checks" in fn.__code__.co_varnames[: fn.__code__.co_argcount + fn.__code__.co_kwonlyargcount]


def test_names_cover_the_public_functions():
    """Every public function that takes arrays is exercised here (and listed once)."""
    public = {n for n in pl.__all__ if callable(getattr(pl, n)) and n[0].islower()}
    public -= {"options", "set_options", "get_options"}
    assert {n.split("(")[0] for n in NAMES} == public
    assert len(NAMES) == len(set(NAMES))


# -- the option -----------------------------------------------------------------------


def test_value_checks_option():
    assert pl.get_options()["value_checks"] == "auto"
    for value in ("raise", "defer", "off", "auto"):
        with pl.options(value_checks=value):
            assert pl.get_options()["value_checks"] == value
    with pytest.raises(ValueError, match="`value_checks` must be one of 'raise', 'defer', 'off', 'auto'; got 'lazy'"):
        pl.set_options(value_checks="lazy")
    with pytest.raises(TypeError, match="`value_checks` must be a str"):
        with pl.options(value_checks=True):
            pass
    with pytest.raises(ValueError, match="`value_checks`"):
        pl.cross_entropy(np.zeros((1, 2)), np.zeros(1, dtype=np.int64), value_checks="never")
    assert pl.get_options()["value_checks"] == "auto"


def test_every_function_with_value_checks_takes_the_keyword():
    """The per-call keyword exists exactly where the function declares value checks."""
    import inspect

    for name in pl.__all__:
        fn = getattr(pl, name)
        if not callable(fn) or not name[0].islower() or name.endswith("options"):
            continue
        source = inspect.getsource(inspect.getmodule(fn))
        assert "Checks(xp)" not in source, f"{name}'s module builds Checks without the policy"
        uses_checks = "Checks(xp, value_checks)" in inspect.getsource(fn) or name in (
            "dice_loss", "jaccard_loss", "tversky_loss",  # through _overlap_loss
        )  # fmt: skip
        assert _has_value_checks(fn) == uses_checks, name


# -- the policy on NumPy (host data) ----------------------------------------------------

BAD_INDEX = "`target` must be class indices in [0, 2] or equal `ignore_index` (-100); got 7 at position (1,)"


@pytest.mark.parametrize("policy", [None, "auto", "raise"])
def test_raise_and_auto_on_host_keep_the_errors(policy):
    x, t = np.zeros((2, 3)), np.asarray([0, 7])
    with pytest.raises(IndexError) as info:
        pl.cross_entropy(x, t, value_checks=policy)
    assert str(info.value) == BAD_INDEX
    with pytest.raises(ValueError, match=r"`target` must hold probabilities in \[0, 1\]; got 2.0 at position \(1,\)"):
        pl.binary_cross_entropy_with_logits(np.zeros(2), np.asarray([0.0, 2.0]), value_checks=policy)
    with pytest.raises(ValueError, match=r"`weight` must be non-negative; got -1.0 at position \(2,\)"):
        pl.nll_loss(-np.ones((2, 3)), np.asarray([0, 1]), weight=np.asarray([1.0, 1.0, -1.0]), value_checks=policy)


def test_policy_from_the_option():
    x, t = np.zeros((2, 3)), np.asarray([0, 7])
    with pl.options(value_checks="defer"):
        out = pl.cross_entropy(x, t, reduction="none")
    assert np.isnan(out[1]) and out[0] == pytest.approx(np.log(3))
    with pl.options(value_checks="defer"), pytest.raises(IndexError, match="class indices"):
        pl.cross_entropy(x, t, value_checks="raise")  # the keyword overrides the option


def test_defer_poisons_instead_of_raising():
    x = np.zeros((2, 3))
    out = pl.cross_entropy(x, np.asarray([0, 7]), reduction="none", value_checks="defer")
    assert np.isnan(out[1]) and out[0] == pytest.approx(np.log(3))
    assert np.isnan(pl.cross_entropy(x, np.asarray([0, 7]), value_checks="defer"))
    out = pl.binary_cross_entropy_with_logits(np.zeros(2), np.asarray([0.0, 2.0]), reduction="none", value_checks="defer")
    assert out[0] == pytest.approx(np.log(2)) and np.isnan(out[1])
    out = pl.nll_loss(-np.ones((2, 3)), np.asarray([0, 2]), weight=np.asarray([1.0, 1.0, -1.0]), reduction="none", value_checks="defer")
    assert out[0] == 1.0 and np.isnan(out[1])  # the negative class weight poisons the positions it weighs
    assert np.isnan(pl.nll_loss(-np.ones((2, 3)), np.asarray([0, 2]), weight=np.asarray([1.0, 1.0, -1.0]), value_checks="defer"))
    # a likely-mistake check that needs values is skipped: no error, NaN-free
    assert pl.nll_loss(np.ones((2, 3)), np.asarray([0, 1]), value_checks="defer") == -1.0
    # probabilities passed to binary_cross_entropy out of [0, 1] (not read): NaN, never a number
    assert np.isnan(pl.binary_cross_entropy(np.asarray([0.5, 3.0]), np.asarray([1.0, 0.0]), value_checks="defer"))


def test_off_checks_nothing():
    x = np.zeros((2, 3))
    out = pl.cross_entropy(x, np.asarray([0, 7]), reduction="none", value_checks="off")
    assert np.all(np.isfinite(out))  # unchecked: an invalid index gives an undefined (here finite) number
    out = pl.binary_cross_entropy_with_logits(np.zeros(1), np.asarray([2.0]), value_checks="off")
    assert out == pytest.approx(np.log(2))  # y = 2 is used as given: no NaN, no error
    assert pl.nll_loss(np.ones((2, 3)), np.asarray([0, 1]), value_checks="off") == -1.0  # mistake check skipped too


# -- torch: host syncs ------------------------------------------------------------------


def _call(name, policy=None, **extra):
    fn, args, kwargs = _inputs()[name]
    kwargs = {**kwargs, **extra}
    if policy is not None and _has_value_checks(fn):
        kwargs["value_checks"] = policy
    return fn, args, kwargs


@needs_torch
def test_sync_counter_sees_syncs():
    """The counter is not blind: "raise" reads values, as floats in torch's express lane
    (the loss it computes) and as reductions and bools in the full path."""
    fn, args, kwargs = _call("cross_entropy", "raise")
    with CountSyncs() as mode:
        fn(*args, **kwargs)
    assert "__float__" in mode.calls, mode.calls
    with pl.options(fast_paths=False), CountSyncs() as mode:
        fn(*args, **kwargs)
    assert len(mode.calls) >= 3, mode.calls


@needs_torch
@pytest.mark.parametrize("name", NAMES)
def test_defer_makes_no_host_sync(name):
    fn, args, kwargs = _call(name, "defer")
    expected = fn(*args, **_call(name, "raise")[2])
    with CountSyncs() as mode:
        out = fn(*args, **kwargs)
    assert mode.calls == []
    torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)


INVALID = {  # name -> (args, kwargs) with one invalid element, and whether NaN is elementwise
    "binary_cross_entropy": lambda: ((torch.tensor([0.5, 1.5]), torch.tensor([1.0, 0.0])), {}),
    "binary_cross_entropy_with_logits": lambda: ((torch.zeros(2), torch.tensor([0.0, -1.0])), {}),
    "cross_entropy": lambda: ((torch.zeros(2, 3), torch.tensor([0, 3])), {}),
    "nll_loss": lambda: ((-torch.ones(2, 3), torch.tensor([0, -1])), {}),
    "softmax_focal_loss": lambda: ((torch.zeros(2, 3), torch.tensor([0, 5])), {}),
    "sigmoid_focal_loss": lambda: ((torch.zeros(2), torch.tensor([0.0, 7.0])), {}),
    "kl_div": lambda: ((torch.zeros(2), torch.tensor([0.5, -0.5])), {}),
    "generalized_box_iou_loss": lambda: ((torch.tensor([[0.0, 0, 1, 1], [0, 0, -1, 1]]), torch.tensor([[0.0, 0, 1, 1]] * 2)), {}),
    "margin_ranking_loss": lambda: ((torch.zeros(2), torch.ones(2), torch.tensor([1.0, 0.0])), {}),
    "cosine_embedding_loss": lambda: ((torch.ones(2, 3), torch.ones(2, 3), torch.tensor([1.0, 2.0])), {}),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(INVALID))
def test_defer_gives_nan_where_invalid(name):
    fn = getattr(pl, name)
    args, kwargs = INVALID[name]()
    with CountSyncs() as mode:
        out = fn(*args, reduction="none", value_checks="defer", **kwargs)
    assert mode.calls == []
    assert torch.isfinite(out[0]) and torch.isnan(out[1]), out
    with pytest.raises((ValueError, IndexError)):
        fn(*args, reduction="none", **kwargs)  # "auto" on the CPU in eager mode: raise


@needs_torch
@pytest.mark.parametrize("name", ["dice_loss", "expected_calibration_error", "class_weights", "entropy"])
def test_defer_gives_nan_for_whole_sample_checks(name):
    if name == "dice_loss":
        args = (torch.full((1, 2, 2), 0.5), torch.tensor([[0, 2]]))
    elif name == "expected_calibration_error":
        args = (torch.tensor([[0.5, 0.5]]), torch.tensor([4]))
    elif name == "class_weights":
        args = (torch.tensor([1.0, 0.0]),)
    else:
        args = (torch.tensor([0.5, 1.5]),)
    out = getattr(pl, name)(*args, value_checks="defer")
    assert bool(torch.isnan(out).any())


@needs_torch
def test_native_kernels_under_defer():
    """torch's kernels take ``reads`` (a flag read on the host only where allowed): they run
    under "defer" too, linear cross entropy's included (its backward then walks the blocks
    again instead of testing the output gradient)."""
    from polyloss._kernels import _linear_cross_entropy_torch, _torch, select

    xp = pl._core._xp.namespace(x=torch.zeros(1))
    x, t, w_t = torch.zeros(2, 3), torch.tensor([0, 1]), torch.ones(2)
    h, W = torch.zeros(2, 4), torch.zeros(3, 4)
    for reads in (True, False):
        fn = select("cross_entropy_indices", xp, x, t, w_t, None, 0.0, reads=reads).fn
        assert fn.func is _torch.cross_entropy_indices and fn.keywords == {"reads": reads}
        fn = select("linear_cross_entropy", xp, h, W, None, t, None, 0.0, reads=reads).fn
        assert fn.func is _linear_cross_entropy_torch.linear_cross_entropy and fn.keywords == {"reads": reads}


def _native_cases():
    """Calls with the rows each correction is for: confident (a tiny loss), huge logits, a
    +inf maximum, a -inf logit; BCE at the edge of the exp range."""
    g = torch.Generator().manual_seed(3)
    out = []
    for C in (5, 70):  # the small-C composition and torch's log_softmax kernel
        x = torch.randn(6, C, generator=g, dtype=torch.float64) * 3
        x[0, :] = -40.0
        x[0, 2] = 0.0
        x[1, 1], x[1, 3] = 1e8, -1e8
        x[2, 4] = torch.inf
        x[3, 0] = -torch.inf
        t = torch.tensor([2, 3, 1, 1, 0, 4])
        q = torch.softmax(torch.randn(6, C, generator=g, dtype=torch.float64), 1)
        w = torch.rand(C, generator=g, dtype=torch.float64) + 0.5
        out += [
            (f"ce C={C}", lambda x=x, t=t: pl.cross_entropy(x, t, reduction="none", value_checks="defer")),
            (f"ce weighted smoothed C={C}", lambda x=x, t=t, w=w: pl.cross_entropy(
                x, t, weight=w, label_smoothing=0.1, reduction="none", value_checks="defer")),
            (f"ce probabilities C={C}", lambda x=x, q=q: pl.cross_entropy(x, q, reduction="none", value_checks="defer")),
        ]
    z = torch.tensor([-88.8, 88.8, -1e4, 30.0, 0.5, -2.0], dtype=torch.float32)
    y = torch.tensor([0.0, 1.0, 0.25, 0.999, 1.0, 0.0])
    pw = torch.tensor([2.5])
    for reduction in ("none", "mean"):
        out.append((f"bce {reduction}", lambda r=reduction: pl.binary_cross_entropy_with_logits(
            z, y, pos_weight=pw, reduction=r, value_checks="defer")))
    return out


@needs_torch
@pytest.mark.parametrize("lean", [True, False], ids=["lean", "blocks"])
def test_native_kernels_without_reads_match_generic(monkeypatch, lean):
    """Under "defer" the native kernels apply their corrections with ``where`` (no sync)
    and agree with the generic kernels; ``lean=False``: tiny blocks, every input blocked."""
    from polyloss._kernels import _torch

    if not lean:
        monkeypatch.setattr(_torch, "LEAN_ELEMENTS", 0)
        monkeypatch.setattr(_torch, "BLOCK_ELEMENTS", 64)
    for name, f in _native_cases():
        with CountSyncs() as mode:
            got = f()
        assert mode.calls == [], name
        with pl.options(fast_paths=False):
            want = f()
        rtol = 1e-12 if got.dtype == torch.float64 else 3e-6
        torch.testing.assert_close(got, want, rtol=rtol, atol=0, equal_nan=True, msg=name)


@needs_torch
@pytest.mark.parametrize("policy", ["auto", "defer"])
def test_lean_cross_entropy_gradients_with_corrected_rows(policy):
    """The small-input path with rows it recomputes (a tiny loss, a huge logit): values and
    gradients equal the generic kernel's, read ("auto") or chosen with ``where`` ("defer")."""
    x0 = torch.tensor([[0.0, -40.0, -38.0], [2.0, 1.0, 0.5], [1e8, -1e8, 0.0], [0.3, -0.2, 5.0]], dtype=torch.float64)
    t = torch.tensor([0, 2, 0, 2])

    def run():
        x = x0.clone().requires_grad_()
        out = pl.cross_entropy(x, t, reduction="none", value_checks=policy)
        (g,) = torch.autograd.grad(out, x, torch.linspace(0.5, 1.5, 4, dtype=torch.float64))
        return out.detach(), g

    out, grad = run()
    with pl.options(fast_paths=False):
        want, want_grad = run()
    torch.testing.assert_close(out, want, rtol=1e-12, atol=0)
    assert out[0] > 0  # 4.25e-18 + 3.1e-17, not rounded to 0
    # the generic gradient's target entry of the confident row cancels (1 - p_t): compared
    # to the exact value, -g R / (1 + R) with R = e^-40 + e^-38, instead
    torch.testing.assert_close(grad, want_grad, rtol=1e-10, atol=1e-15)
    r = math.exp(-40.0) + math.exp(-38.0)
    assert grad[0, 0].item() == pytest.approx(-0.5 * r / (1 + r), rel=1e-12)


# -- torch.compile ------------------------------------------------------------------------


def _first_float(args):
    return next(i for i, a in enumerate(args) if a.is_floating_point())


def _value_and_grad(f, args, i):
    args = list(args)
    args[i] = args[i].detach().clone().requires_grad_()
    out = f(*args)
    (grad,) = torch.autograd.grad(out.sum(), args[i])
    return out.detach(), grad


@needs_torch
@pytest.mark.parametrize("name", NAMES)
def test_compile_fullgraph_matches_eager(name):
    """Default options ("auto": deferred under compile): values and gradients as eager,
    no host sync when the compiled function runs."""
    fn, args, kwargs = _call(name)
    torch._dynamo.reset()
    compiled = torch.compile(lambda *a: fn(*a, **kwargs), fullgraph=True, backend="eager")
    i = _first_float(args)
    compiled(*args)
    with CountSyncs() as mode:  # "auto" under compile: deferred, no value read on the host
        compiled(*args)
    assert mode.calls == []
    if name in ("class_weights", "fit_temperature", "expected_calibration_error"):
        torch.testing.assert_close(compiled(*args), fn(*args, **kwargs), rtol=1e-12, atol=1e-12)
        return  # statistics of a batch, not losses to differentiate
    out, grad = _value_and_grad(compiled, args, i)
    ref_out, ref_grad = _value_and_grad(lambda *a: fn(*a, **kwargs), args, i)
    torch.testing.assert_close(out, ref_out, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("name", ["cross_entropy", "binary_cross_entropy_with_logits"])
def test_compile_inductor_matches_eager(name):
    fn, args, kwargs = _call(name)
    torch._dynamo.reset()
    compiled = torch.compile(lambda *a: fn(*a, **kwargs), fullgraph=True, backend="inductor")
    out, grad = _value_and_grad(compiled, args, 0)
    ref_out, ref_grad = _value_and_grad(lambda *a: fn(*a, **kwargs), args, 0)
    torch.testing.assert_close(out, ref_out, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-10, atol=1e-12)


@needs_torch
def test_compile_defers_invalid_values():
    """Under compile "auto" defers: an invalid index gives NaN, no error, no graph break."""
    torch._dynamo.reset()
    compiled = torch.compile(lambda x, t: pl.cross_entropy(x, t, reduction="none"), fullgraph=True, backend="eager")
    out = compiled(torch.zeros(2, 3), torch.tensor([0, 3]))
    assert torch.isfinite(out[0]) and torch.isnan(out[1])


# -- torch.func ---------------------------------------------------------------------------

#: Per-sample calls: unbatched inputs (the batch axis removed). Not per-sample: batch
#: statistics (calibration), contrastive info_nce, and the segmentation losses, whose
#: input must keep its batch axis (N, C, ...).
NOT_PER_SAMPLE = {
    "info_nce": "a contrastive loss over the batch",
    "expected_calibration_error": "a statistic of the whole batch",
    "class_weights": "a statistic of the whole batch",
    "fit_temperature": "fitted on the whole batch",
    "dice_loss": "input must keep its batch axis (N, C, ...)",
    "jaccard_loss": "input must keep its batch axis (N, C, ...)",
    "tversky_loss": "input must keep its batch axis (N, C, ...)",
    "linear_cross_entropy": "its weight is shared by the samples: test_vmap_linear_cross_entropy maps input and target only",
}
PER_SAMPLE = [n for n in NAMES if n not in NOT_PER_SAMPLE]


@needs_torch
def test_vmap_linear_cross_entropy():
    """Per-sample linear cross entropy: input and target mapped, the layer's weight shared."""
    fn, (h, W, t), kwargs = _call("linear_cross_entropy")
    out = torch.func.vmap(lambda hn, tn: fn(hn, W, tn, **kwargs), in_dims=(0, 0))(h, t)
    loop = torch.stack([fn(h[n], W, t[n], **kwargs) for n in range(h.shape[0])])
    torch.testing.assert_close(out, loop, rtol=1e-12, atol=1e-12)
    g = torch.func.vmap(torch.func.grad(lambda hn, tn: fn(hn, W, tn)), in_dims=(0, 0))(h, t)
    hr = h.clone().requires_grad_()
    fn(hr, W, t, reduction="sum").backward()
    torch.testing.assert_close(g, hr.grad, rtol=1e-12, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("name", PER_SAMPLE)
def test_vmap_per_sample_matches_a_loop(name):
    fn, args, kwargs = _call(name)
    if name == "logsumexp":
        kwargs = {"axis": 0}
    out = torch.func.vmap(lambda *a: fn(*a, **kwargs))(*args)
    loop = torch.stack([fn(*(a[n] for a in args), **kwargs) for n in range(args[0].shape[0])])
    torch.testing.assert_close(out, loop, rtol=1e-12, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("name", PER_SAMPLE)
def test_grad_and_jacrev_match_autograd(name):
    fn, args, kwargs = _call(name)
    i = _first_float(args)
    _, ref = _value_and_grad(lambda *a: fn(*a, **kwargs), args, i)

    def total(xi):
        a = list(args)
        a[i] = xi
        return fn(*a, **kwargs).sum()

    torch.testing.assert_close(torch.func.grad(total)(args[i]), ref, rtol=1e-10, atol=1e-12)
    jac = torch.func.jacrev(total)(args[i])
    torch.testing.assert_close(jac, ref, rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("name", ["cross_entropy", "binary_cross_entropy_with_logits", "sigmoid_focal_loss"])
def test_jacrev_of_elementwise_losses(name):
    fn, args, kwargs = _call(name, reduction="none")
    jac = torch.func.jacrev(lambda x: fn(x, *args[1:], **kwargs))(args[0])
    ref = torch.autograd.functional.jacobian(lambda x: fn(x, *args[1:], **kwargs), args[0])
    torch.testing.assert_close(jac, ref, rtol=1e-10, atol=1e-12)


# -- the native kernels' custom backwards ---------------------------------------------------


@needs_torch
@pytest.mark.parametrize("eps", [0.0, 0.2])
@pytest.mark.parametrize("classes", [5, 64])  # the small-C composition and torch's kernel (C >= 64)
@pytest.mark.parametrize("weighted", [False, True])
def test_gradcheck_cross_entropy_kernels(eps, classes, weighted):
    from polyloss._kernels import _torch

    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, classes, dtype=torch.float64, generator=g, requires_grad=True)
    t = torch.randint(0, classes, (2,), generator=g)
    weight = torch.rand(classes, dtype=torch.float64, generator=g) + 0.5 if weighted else None
    w_t = weight[t] if weighted else torch.ones(2, dtype=torch.float64)
    # fast_mode: the Jacobian checked along random directions (full Jacobians cost ~40 s here)
    assert torch.autograd.gradcheck(lambda x: _torch.cross_entropy_indices(x, t, w_t, weight, eps), (x,), fast_mode=True)
    q = torch.softmax(torch.randn(2, classes, dtype=torch.float64, generator=g), 1)
    assert torch.autograd.gradcheck(lambda x: _torch.cross_entropy_probabilities(x, q, weight, eps), (x,), fast_mode=True)


@needs_torch
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_gradcheck_binary_kernels(reduction):
    from polyloss._kernels import _torch

    g = torch.Generator().manual_seed(2)
    z = (torch.randn(4, 3, dtype=torch.float64, generator=g) * 3).requires_grad_()
    y = torch.rand(4, 3, dtype=torch.float64, generator=g)
    w = torch.rand(3, dtype=torch.float64, generator=g) + 0.5
    pw = torch.rand(3, dtype=torch.float64, generator=g) + 0.5
    assert torch.autograd.gradcheck(lambda z: _torch.binary_cross_entropy_with_logits(z, y, w, pw, reduction), (z,))
    p = (torch.rand(4, 3, dtype=torch.float64, generator=g) * 0.9 + 0.05).requires_grad_()
    assert torch.autograd.gradcheck(lambda p: _torch.binary_cross_entropy(p, y, w), (p,))


# -- JAX: "auto" raises eagerly on the CPU, defers under jit ------------------------------


@pytest.mark.skipif("jax" not in selected_backends(), reason="jax is not a selected backend (POLYLOSS_BACKEND)")
def test_jax_auto_raises_eagerly_and_defers_under_jit():
    import jax
    import jax.numpy as jnp

    x, t = jnp.zeros((2, 3)), jnp.asarray([0, 7])
    with pytest.raises(IndexError, match="class indices"):
        pl.cross_entropy(x, t)
    out = jax.jit(lambda x, t: pl.cross_entropy(x, t, reduction="none"))(x, t)
    assert np.isfinite(out[0]) and np.isnan(out[1])
    out = pl.cross_entropy(x, t, reduction="none", value_checks="defer")
    assert np.isnan(out[1])
