"""The mpmath oracle against independent closed forms (and, for semantics, torch in float64)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from mpmath import mpf

from conformance import oracle
from conformance.oracle._mp import as_mp


@pytest.fixture(autouse=True)
def _precision():
    with mpmath.workdps(oracle.DPS):
        yield


TIGHT = mpf(10) ** -45


def _close(a, b, rel=TIGHT):
    a = a.item() if isinstance(a, np.ndarray) else a
    a, b = mpf(a), mpf(b)
    assert abs(a - b) <= rel * max(abs(a), abs(b), mpf(10) ** -300), (a, b)


def ev(name, *args, **kwargs):
    return oracle.evaluate(name, [as_mp(a) if np.asarray(a).dtype.kind == "f" else np.asarray(a) for a in args], kwargs)


def test_logsumexp_closed_form():
    _close(ev("logsumexp", [1000.0, 1001.0, 1002.0]), 1002 + mpmath.log(1 + mpmath.e ** -1 + mpmath.e ** -2))
    assert ev("logsumexp", [float("-inf")] * 3).item() == -mpmath.inf
    assert ev("logsumexp", np.zeros((0,))).item() == -mpmath.inf
    _close(ev("logsumexp", [0.0, -40.0]), mpmath.log1p(mpmath.exp(-40)))
    out = ev("logsumexp", [[1.0, 2.0], [3.0, 4.0]], axis=0, keepdims=True)
    assert out.shape == (1, 2)
    _close(out[0, 1], mpmath.log(mpmath.exp(2) + mpmath.exp(4)))


def test_softmax_and_log_softmax():
    x = [0.5, -1.0, 2.0]
    s = sum(mpmath.exp(v) for v in x)
    sm = ev("softmax", x)
    for i, v in enumerate(x):
        _close(sm[i], mpmath.exp(v) / s)
        _close(ev("log_softmax", x)[i], v - mpmath.log(s))
    assert all(mpmath.isnan(v) for v in ev("softmax", [float("-inf")] * 2))
    _close(ev("log_softmax", [0.0, -40.0])[0], -mpmath.log1p(mpmath.exp(-40)))


def test_sigmoid_family():
    _close(ev("sigmoid", [-740.0])[0], mpmath.exp(-740) / (1 + mpmath.exp(-740)))
    _close(ev("log_sigmoid", [40.0])[0], -mpmath.log1p(mpmath.exp(-40)))
    _close(ev("log_sigmoid", [-3e38])[0], mpf(-3e38) - mpmath.log1p(mpmath.exp(mpf(-3e38))))


def _ce_index(x, t, w, eps, ignore=-100):
    """Independent transcription of torch's cross_entropy_loss_label_smoothing (aten/src/ATen/native/LossNLL.cpp)."""
    C = len(x[0])
    total, denom, per = mpf(0), mpf(0), []
    for row, ti in zip(x, t):
        if ti == ignore:
            per.append(mpf(0))
            continue
        lse = mpmath.log(sum(mpmath.exp(mpf(v)) for v in row))
        logp = [mpf(v) - lse for v in row]
        nll = -w[ti] * logp[ti]
        smooth = -sum(w[c] * logp[c] for c in range(C))
        per.append((1 - eps) * nll + eps / C * smooth)
        denom += w[ti]
        total += per[-1]
    return per, total, total / denom


@pytest.mark.parametrize("eps", [0.0, 0.3, 1.0])
def test_cross_entropy_index_targets_torch_formula(eps):
    x = [[1.0, 2.0, 3.0], [0.5, -1.0, 2.0], [3.0, 1.0, 0.0]]
    t = [0, 2, 1]
    w = [mpf("0.25"), mpf(1), mpf(3)]
    per, total, mean = _ce_index(x, t, w, mpf(eps))
    kw = {"weight": np.array([0.25, 1.0, 3.0]), "label_smoothing": eps}
    _close(ev("cross_entropy", x, t, **kw), mean)
    _close(ev("cross_entropy", x, t, reduction="sum", **kw), total)
    for a, b in zip(ev("cross_entropy", x, t, reduction="none", **kw), per):
        _close(a, b)
    per, total, mean = _ce_index(x, [0, -100, 1], w, mpf(eps))
    _close(ev("cross_entropy", x, [0, -100, 1], **kw), mean)
    assert mpmath.isnan(ev("cross_entropy", x, [-100] * 3, **kw))


def test_cross_entropy_probability_targets():
    x = [[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]
    q = [[0.25, 0.25, 0.5], [1.0, 0.0, 0.0]]
    w = [0.5, 2.0, 1.0]
    eps = mpf(0.2)
    rows = []
    for row, qr in zip(x, q):
        lse = mpmath.log(sum(mpmath.exp(mpf(v)) for v in row))
        rows.append(-sum(mpf(w[c]) * ((1 - eps) * mpf(qr[c]) + eps / 3) * (mpf(row[c]) - lse) for c in range(3)))
    got = ev("cross_entropy", x, q, weight=w, label_smoothing=0.2)
    _close(got, (rows[0] + rows[1]) / 2)  # divides by N, not by the weights
    # the documented example: -log softmax(x)[2]
    x3 = [3.05, 3.13, 3.48]
    _close(ev("cross_entropy", x3, [0.0, 0.0, 1.0]),
           mpmath.log(sum(mpmath.exp(mpf(v)) for v in x3)) - mpf(3.48))


def test_cross_entropy_extremes():
    _close(ev("cross_entropy", [[1e8, 1e8, 1e8]], [1]), mpmath.log(3))
    _close(ev("cross_entropy", [[0.0, float("-inf"), 1.0]], [0]), mpmath.log(1 + mpmath.e))
    assert ev("cross_entropy", [[0.0, float("-inf"), 1.0]], [0], label_smoothing=0.1) == mpmath.inf
    # zero target mass on a -inf logit contributes nothing
    _close(ev("cross_entropy", [[0.0, float("-inf"), 1.0]], [[1.0, 0.0, 0.0]]), mpmath.log(1 + mpmath.e))
    tiny = ev("cross_entropy", [[3e38, -3e38]], [0], reduction="none")[0]
    assert 0 < tiny < mpf(10) ** -10**30


def test_nll_loss():
    x = [[-0.5, -1.2, -2.0, -3.0], [-1.0, -0.2, -3.0, -2.0], [-2.0, -1.0, -0.1, -3.0]]
    _close(ev("nll_loss", x, [3, 1, 2]), (mpf(3.0) + mpf(0.2) + mpf(0.1)) / 3)
    w = [1.0, 2.0, 0.5, 4.0]
    _close(ev("nll_loss", x, [3, 1, 2], weight=w), (4 * mpf(3.0) + 2 * mpf(0.2) + mpf(0.5) * mpf(0.1)) / mpf(6.5))
    _close(ev("nll_loss", x, [3, 1, 2], weight=w, ignore_index=1), (4 * mpf(3.0) + mpf(0.5) * mpf(0.1)) / mpf(4.5))
    assert mpmath.isnan(ev("nll_loss", x, [-100, -100, -100]))
    assert ev("nll_loss", x, [-100, -100, -100], reduction="sum") == 0
    assert mpmath.isnan(ev("nll_loss", np.zeros((0, 4)), np.zeros((0,), dtype=np.int64)))


def test_binary_cross_entropy_clamp_and_formula():
    out = ev("binary_cross_entropy", [0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0], reduction="none")
    assert [float(v) for v in out] == [100.0, 100.0, 0.0, 0.0]
    _close(ev("binary_cross_entropy", [0.9, 0.2, 0.1], [1.0, 0.0, 0.0]),
           -(mpmath.log(mpf(0.9)) + mpmath.log(1 - mpf(0.2)) + mpmath.log(1 - mpf(0.1))) / 3)


def test_bce_with_logits():
    _close(ev("binary_cross_entropy_with_logits", [-88.8], [0.0], reduction="none")[0],
           mpmath.log1p(mpmath.exp(mpf(-88.8))))
    z, y, pw, w = 0.7, 0.25, 3.0, 0.5
    s = 1 / (1 + mpmath.exp(-mpf(z)))
    want = -mpf(w) * (mpf(pw) * mpf(y) * mpmath.log(s) + (1 - mpf(y)) * mpmath.log(1 - s))
    _close(ev("binary_cross_entropy_with_logits", [z], [y], weight=[w], pos_weight=[pw]), want)


def test_gradients_closed_forms():
    x = np.array([[0.5, -1.5, 2.0], [-0.25, 3.0, -4.0]])
    t = np.array([2, 0])
    g = oracle.gradient("cross_entropy", [as_mp(x), t], {})
    for i in range(2):
        lse = mpmath.log(sum(mpmath.exp(mpf(v)) for v in x[i]))
        for c in range(3):
            want = (mpmath.exp(mpf(x[i, c]) - lse) - (1 if c == t[i] else 0)) / 2
            _close(g[i, c], want, rel=mpf(10) ** -40)
    z = np.array([0.5, -1.5, 0.0])
    y = np.array([1.0, 0.0, 0.25])
    g = oracle.gradient("binary_cross_entropy_with_logits", [as_mp(z), as_mp(y)], {"pos_weight": as_mp([2.0])})
    for k in range(3):
        s = 1 / (1 + mpmath.exp(-mpf(z[k])))
        _close(g[k], (-2 * mpf(y[k]) * (1 - s) + (1 - mpf(y[k])) * s) / 3, rel=mpf(10) ** -40)
    g = oracle.gradient("logsumexp", [as_mp([1000.0, 1001.0, 1002.0])], {})
    s = sum(mpmath.exp(mpf(v - 1002)) for v in (1000, 1001, 1002))
    for k, v in enumerate((1000, 1001, 1002)):
        _close(g[k], mpmath.exp(mpf(v - 1002)) / s, rel=mpf(10) ** -40)
    g = oracle.gradient("sigmoid", [as_mp([0.0, -0.0])], {})
    assert all(abs(v - mpf(0.25)) < mpf(10) ** -40 for v in g)
    # an extreme case: tiny components underflow every format, but nothing else leaks in
    g = oracle.gradient("cross_entropy", [as_mp([[1e4, -1e4]]), np.array([1])], {"reduction": "sum"})
    _close(g[0, 0], 1)
    _close(g[0, 1], -1)


def test_semantics_agree_with_torch_float64():
    """Independent check of the conventions: torch in float64 on random inputs, every option."""
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F  # noqa: N812

    rng = np.random.default_rng(0)

    def t64(a):
        return torch.from_numpy(np.asarray(a, dtype=np.float64))

    for trial in range(12):
        shape = [(4, 3), (2, 3, 2), (3,)][trial % 3]
        x = rng.normal(size=shape) * 3
        cls_axis = 0 if len(shape) == 1 else 1
        C = shape[cls_axis]
        tshape = tuple(s for i, s in enumerate(shape) if i != cls_axis)
        t = rng.integers(0, C, size=tshape)
        if t.ndim:
            t.flat[0] = -100
        w = rng.uniform(0.1, 2.0, size=C)
        q = rng.dirichlet(np.ones(C), size=tshape)
        q = np.moveaxis(q, -1, cls_axis) if len(shape) > 1 else q
        eps = [0.0, 0.1, 0.35][trial % 3]
        red = ["mean", "sum", "none"][(trial // 3) % 3]
        want = F.cross_entropy(t64(x), torch.from_numpy(t), weight=t64(w), label_smoothing=eps, reduction=red)
        got = ev("cross_entropy", x, t, weight=w, label_smoothing=eps, reduction=red)
        np.testing.assert_allclose(np.asarray(got, dtype=float), want.numpy(), rtol=1e-12)
        want = F.cross_entropy(t64(x), t64(q), weight=t64(w), label_smoothing=eps, reduction=red)
        got = ev("cross_entropy", x, q, weight=w, label_smoothing=eps, reduction=red)
        np.testing.assert_allclose(np.asarray(got, dtype=float), want.numpy(), rtol=1e-12)
        logp = F.log_softmax(t64(x), dim=cls_axis).numpy()
        want = F.nll_loss(t64(logp), torch.from_numpy(t), weight=t64(w), reduction=red)
        np.testing.assert_allclose(np.asarray(ev("nll_loss", logp, t, weight=w, reduction=red), dtype=float),
                                   want.numpy(), rtol=1e-12)
        p = rng.uniform(0.01, 0.99, size=shape)
        y = rng.uniform(0, 1, size=shape)
        bw = rng.uniform(0.1, 2.0, size=shape[-1:])
        want = F.binary_cross_entropy(t64(p), t64(y), weight=t64(bw), reduction=red)
        np.testing.assert_allclose(np.asarray(ev("binary_cross_entropy", p, y, weight=bw, reduction=red), dtype=float),
                                   want.numpy(), rtol=1e-12)
        pw = rng.uniform(0.5, 3.0, size=shape[-1:])
        want = F.binary_cross_entropy_with_logits(t64(x), t64(y), weight=t64(bw), pos_weight=t64(pw), reduction=red)
        got = ev("binary_cross_entropy_with_logits", x, y, weight=bw, pos_weight=pw, reduction=red)
        np.testing.assert_allclose(np.asarray(got, dtype=float), want.numpy(), rtol=1e-12)
