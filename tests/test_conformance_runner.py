"""The runner: error measurement, reports, adapters, and that broken implementations fail."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conformance import BUDGETS, Case, Decline, MappingAdapter, Result, load_cases, measure, run, run_cases
from conformance.adapters import exact_adapter, polyloss_adapter

# --------------------------------------------------------------------------- measurement


def _case(expected, dtype="float32", shape=None):
    expected = list(expected)
    return Case.from_json({
        "id": f"sigmoid/synthetic/{dtype}", "function": "sigmoid", "kind": "value", "dtype": dtype,
        "args": [{"name": "x", "dtype": dtype, "shape": [len(expected)], "data": ["0.0"] * len(expected)}],
        "kwargs": {}, "conventions": {}, "expected": {"shape": shape if shape is not None else [len(expected)],
                                                       "data": expected},
        "tags": ["basic"], "description": "", "provenance": {"kind": "constructed", "source": "test"},
    })


ONE = "1." + "0" * 39 + "e+0"


def test_measure_ulps_and_relative():
    err, rel, idx, *_ = measure(_case([ONE]), [1 + 2**-23])
    assert err == 1.0 and rel == 2**-23 and idx == (0,)
    err, *_ = measure(_case([ONE], "float64"), [1 + 2**-23])
    assert err == 2.0**29
    err, *_ = measure(_case([ONE], "bfloat16"), [1 + 2**-7])
    assert err == 1.0


def test_measure_specials_are_exact():
    assert measure(_case(["nan"]), [math.nan])[0] == 0
    assert measure(_case(["nan"]), [1.0])[0] == math.inf
    assert measure(_case(["-inf"]), [-math.inf])[0] == 0
    assert measure(_case(["inf"]), [3.4e38])[0] == math.inf
    assert measure(_case([ONE]), [math.nan])[0] == math.inf
    assert measure(_case(["+0.0"]), [-0.0])[0] == math.inf
    assert measure(_case(["-0.0"]), [-0.0])[0] == 0
    assert measure(_case(["0"]), [-0.0])[0] == 0  # unsigned zero: either sign
    assert measure(_case(["0"]), [2.0**-149])[0] == 1.0  # one subnormal ulp


def test_measure_range_edges():
    huge = "4." + "0" * 39 + "e+38"  # beyond float32: the correctly rounded result is inf
    assert measure(_case([huge]), [math.inf])[0] == 0
    assert measure(_case([huge]), [3.4028234663852886e38])[0] == math.inf
    assert measure(_case([huge], "float64"), [4e38])[0] < 0.5
    tiny = "1." + "0" * 39 + "e-50"  # underflows float32: 0 is (almost) exact
    assert measure(_case([tiny]), [0.0])[0] < 1e-5
    sub = "2.720499695483913363829111030452824000919e-39"  # subnormal in float32
    assert measure(_case([sub]), [0.0])[0] > 1e6  # cancellation to 0 is far off


def test_exact_adapter_passes_everything_within_half_an_ulp():
    report = run(exact_adapter(), tier="strict")
    assert report.ok and report.failed == 0 and report.skipped == 0
    assert max(r.error_ulps for r in report.results) <= 0.5
    assert all(b >= 1 for tier in BUDGETS.values() for b in tier.values())
    for d in BUDGETS["strict"]:
        assert BUDGETS["reference"][d] >= BUDGETS["strict"][d]


def test_report_json_and_table():
    report = run("naive", tags=["overflow"], dtypes=["float32"])
    doc = report.to_json()
    json.dumps(doc, allow_nan=False)
    assert doc["summary"]["failed"] == report.failed > 0
    case = next(iter(doc["cases"].values()))
    assert {"status", "error_ulps", "error_rel", "budget_ulps", "reason"} <= case.keys()
    assert doc["metadata"]["case_set_sha256"] == load_cases().sha256
    table = report.table()
    assert "worst error" in table and "FAIL" in table and "TOTAL" in table
    assert report.worst("float32").error_ulps == math.inf


class _Adapter:
    name = "probe"

    def __init__(self, fn):
        self.fn = fn

    def evaluate(self, case):
        return self.fn(case)


def _one():
    return load_cases().select(functions=["sigmoid"], dtypes=["float32"], tags=["documented-example"])[:1]


def test_statuses():
    good = _Adapter(lambda c: exact_adapter().evaluate(c))
    assert run_cases(good, _one()).results[0].status == "pass"
    assert run_cases(_Adapter(lambda c: Decline("no")), _one()).results[0].status == "skip"

    def boom(c):
        raise RuntimeError("kaput")

    r = run_cases(_Adapter(boom), _one()).results[0]
    assert r.status == "error" and "kaput" in r.reason and r.failed
    ex = exact_adapter().evaluate(_one()[0])
    r = run_cases(_Adapter(lambda c: Result(ex.value, "float64")), _one()).results[0]
    assert r.status == "fail" and "dtype float64" in r.reason
    r = run_cases(_Adapter(lambda c: Result(ex.value[:2], "float32")), _one()).results[0]
    assert r.status == "fail" and "shape" in r.reason
    r = run_cases(_Adapter(lambda c: Result(ex.value, "float32", ["returned a list"])), _one()).results[0]
    assert r.status == "fail" and "list" in r.reason


def test_warnings_are_recorded_not_raised():
    import warnings

    def noisy(c):
        warnings.warn("careful", UserWarning, stacklevel=1)
        return exact_adapter().evaluate(c)

    r = run_cases(_Adapter(noisy), _one()).results[0]
    assert r.status == "pass" and r.warnings == ["UserWarning: careful"]


def test_mapping_adapter_contract_checks():
    torch = pytest.importorskip("torch")

    def numpy_sigmoid(x):
        return 1 / (1 + np.exp(-x.numpy()))

    report = run(MappingAdapter({"sigmoid": numpy_sigmoid}, "torch"), functions=["sigmoid"], dtypes=["float64"],
                 tags=["documented-example"])
    assert report.failed and all("not a torch array" in r.reason for r in report.failures())
    report = run(MappingAdapter({"sigmoid": torch.sigmoid}, "torch"), functions=["sigmoid"], dtypes=["float64"],
                 tags=["documented-example"])
    assert report.ok
    report = run({"sigmoid": lambda x: 1 / (1 + np.exp(-x))}, functions=["sigmoid", "softmax"], dtypes=["float64"],
                 tags=["documented-example"])
    assert report.passed and not report.skipped and report.lacking == ["softmax"]  # softmax is not run


def test_dask_results_must_stay_lazy():
    pytest.importorskip("dask.array")
    import dask.array as da

    def eager(x):
        return da.from_array(1 / (1 + np.exp(-x.compute())))

    def lazy(x):
        return 1 / (1 + da.exp(-x))

    sel = {"functions": ["sigmoid"], "dtypes": ["float64"], "tags": ["documented-example"]}
    report = run(MappingAdapter({"sigmoid": eager}, "dask"), **sel)
    assert report.failed and all("should stay lazy" in r.reason for r in report.failures())
    assert run(MappingAdapter({"sigmoid": lazy}, "dask"), **sel).ok


def test_strict_device_mismatch_is_caught():
    xp = pytest.importorskip("array_api_strict")

    def wrong_device(x):
        return xp.asarray(1 / (1 + np.exp(-np.asarray(xp.asarray(x, device=xp.Device("CPU_DEVICE"))))))

    report = run(MappingAdapter({"sigmoid": wrong_device}, "array_api_strict:device1"), functions=["sigmoid"],
                 dtypes=["float64"], tags=["documented-example"])
    assert report.failed and all("device" in r.reason for r in report.failures())


def test_resolve():
    from conformance.adapters import resolve

    assert resolve("naive").name == "naive"
    assert resolve("polyloss:numpy").name == "polyloss[numpy]"
    assert resolve("conformance.adapters._naive:functions").name.startswith("functions[")
    with pytest.raises(ValueError, match="unknown adapter"):
        resolve("nonsense")
    with pytest.raises(ModuleNotFoundError):
        resolve("no_such_module_xyz:thing")


# --------------------------------------------------------------------------- the suite catches real bugs


def test_naive_formulas_fail_the_overflow_cases():
    report = run("naive", tags=["overflow"], dtypes=["float64", "float32"])
    assert report.failed >= 40
    failed = {r.id for r in report.failures()}
    for cid in ("logsumexp/doc000_1000_1001_1002/float32", "cross_entropy/logit_shift_1e8/float32",
                "softmax/shift_1e8/float64", "binary_cross_entropy_with_logits/extreme_1e4_mean/float32",
                "log_sigmoid/large_1e4/float64"):
        assert cid in failed
    assert all(r.error_ulps == math.inf for r in report.failures() if "non-finite" in r.reason)
    # and the same formulas are fine away from the hard cases
    ordinary = run("naive", tags=["documented-example"], dtypes=["float64"], exclude_tags=["overflow"])
    assert ordinary.ok and ordinary.passed > 20


@pytest.fixture(scope="module")
def torch_functions():
    pytest.importorskip("torch")
    from conformance.adapters._torch import functions

    return functions()


def _torch_run(fns, **select):
    return run(MappingAdapter(fns, "torch", name="broken"), dtypes=["float64", "float32"], **select)


def _broken(torch_functions, **overrides):
    return {**torch_functions, **overrides}


def test_baseline_torch_passes_what_the_broken_versions_fail(torch_functions):
    base = _torch_run(torch_functions, functions=["cross_entropy", "nll_loss", "binary_cross_entropy",
                                                  "binary_cross_entropy_with_logits"], tier="reference",
                      exclude_tags=["cancellation", "underflow", "neg-inf", "reduction-overflow"])
    assert base.ok, [r.id for r in base.failures()]


def test_cross_entropy_fed_probabilities_fails(torch_functions):
    import torch.nn.functional as F  # noqa: N812

    def double_softmax(input, target, **kw):
        return F.cross_entropy(F.softmax(input, dim=0 if input.ndim == 1 else 1), target, **kw)

    report = _torch_run(_broken(torch_functions, cross_entropy=double_softmax), functions=["cross_entropy"],
                        tier="reference")
    failed = {r.id for r in report.failures()}
    assert "cross_entropy/doc004_single/float32" in failed  # 0.4170 becomes 0.7766
    assert "cross_entropy/doc003_probability_target/float64" in failed
    assert len(failed) > 60


def test_nll_fed_probabilities_fails(torch_functions):
    import torch.nn.functional as F  # noqa: N812

    def nll_of_probabilities(input, target, *, label_smoothing=0.0, **kw):
        return F.nll_loss(F.softmax(input, dim=0 if input.ndim == 1 else 1), target, **kw)

    report = _torch_run(_broken(torch_functions, cross_entropy=nll_of_probabilities), functions=["cross_entropy"],
                        tags=["documented-example", "basic", "weights"], exclude_tags=["probability-target"])
    assert report.failed >= 10
    assert "cross_entropy/doc003_logsoftmax_nll/float32" in {r.id for r in report.failures()}


def test_bce_fed_logits_fails(torch_functions):
    import torch
    import torch.nn.functional as F  # noqa: N812

    def bce_on_logits(input, target, *, pos_weight=None, **kw):
        return F.binary_cross_entropy(input, target, **kw)  # forgot the sigmoid

    def bce_with_logits_on_probabilities(input, target, **kw):
        return F.binary_cross_entropy_with_logits(torch.sigmoid(input), target, **kw)  # sigmoid twice

    for broken in (bce_on_logits, bce_with_logits_on_probabilities):
        report = _torch_run(_broken(torch_functions, binary_cross_entropy_with_logits=broken),
                            functions=["binary_cross_entropy_with_logits"], tags=["documented-example", "basic"])
        failed = {r.id for r in report.failures()}
        assert "binary_cross_entropy_with_logits/doc003_relu_outputs/float32" in failed, broken.__name__
        assert len(failed) >= 8, broken.__name__


def test_mean_ignoring_class_weights_fails(torch_functions):
    import torch.nn.functional as F  # noqa: N812

    def unweighted_divisor(name):
        def f(input, target, *, reduction="mean", **kw):
            if reduction != "mean":
                return getattr(F, name)(input, target, reduction=reduction, **kw)
            total = getattr(F, name)(input, target, reduction="sum", **kw)
            keep = (target != kw.get("ignore_index", -100)).sum()
            return total / keep  # divides by the count, not by sum(w[target])

        return f

    for name in ("cross_entropy", "nll_loss"):
        fns = _broken(torch_functions, **{name: unweighted_divisor(name)})
        weighted = _torch_run(fns, functions=[name], tags=["weights"], exclude_tags=["probability-target"])
        assert any(r.id.startswith(f"{name}/weight_mean/") for r in weighted.failures()), name
        plain = _torch_run(fns, functions=[name], tags=["basic"], exclude_tags=["weights"])
        assert plain.ok, name  # without weights the bug is invisible, as it should be


def test_torch_is_judged_honestly(torch_functions):
    """torch.nn.functional loses tiny losses to cancellation: the suite says so, in both tiers."""
    report = run("torch", tier="reference", functions=["binary_cross_entropy_with_logits"], dtypes=["float32"])
    bad = report["binary_cross_entropy_with_logits/tiny_loss_88_8/float32"]
    assert bad.status == "fail" and bad.got == "0.0"


# --------------------------------------------------------------------------- issue 14: cases and tiers


class _Emulated:
    """An adapter that returns ``fn(case)`` as a result of the case's dtype (half precision
    emulated with exact rounding, which NumPy alone cannot hold)."""

    name = "emulated"

    def __init__(self, fn):
        self.fn = fn

    def evaluate(self, case):
        return Result(np.asarray(self.fn(case), dtype=np.float64), case.dtype)


def _kl_div_in_dtype(*, split: bool):
    """kl_div (no log_target) computed in the case's dtype, every operation correctly rounded
    and the sum accumulated in the dtype.  ``split``: the sloppy form sum(p log p) - sum(p x)
    (cross entropy minus entropy), whose two sums cancel."""
    from fractions import Fraction

    from conformance._formats import FORMATS, round_to

    def fn(case):
        fmt = FORMATS[case.dtype]

        def r(v):
            return round_to(Fraction(v), fmt)

        x, p = (a.values() for a in case.args)
        plogp = [0.0 if pi == 0 else r(pi * r(math.log(pi))) for pi in p]
        if split:
            a = b = 0.0
            for u, pi, xi in zip(plogp, p, x, strict=True):
                a, b = r(a + u), r(b + r(pi * xi))
            total = r(a - b)
        else:
            total = 0.0
            for pi, xi in zip(p, x, strict=True):
                total = r(total + (0.0 if pi == 0 else r(pi * r(r(math.log(pi)) - xi))))
        red = case.kwargs["reduction"]
        n = {"sum": 1, "mean": len(x), "batchmean": case.args[0].shape[0] if case.args[0].shape else 1}[red]
        return r(total / n)

    return fn


def test_reference_tier_measures_signed_sums_against_their_terms():
    """A careful implementation working in half precision (each operation correctly rounded)
    passes the reference tier on kl_div's cancelling sums; measured in ulps of the value it
    would not; cross entropy minus entropy, which cancels more, still fails."""
    cs = load_cases()
    careful, sloppy = _Emulated(_kl_div_in_dtype(split=False)), _Emulated(_kl_div_in_dtype(split=True))
    for dtype in ("bfloat16", "float16"):
        (case,) = cs.select(ids=[f"kl_div/label_mixes_batchmean/{dtype}"])
        assert "signed-sum" in case.tags and case.expected_scale is not None
        assert run_cases(careful, [case], tier="reference").ok, dtype
        assert not run_cases(careful, [case], tier="strict").ok, dtype  # strict stays the value's own ulps
    bf16 = cs.select(ids=["kl_div/label_mixes_batchmean/bfloat16"])[0]
    assert measure(bf16, careful.fn(bf16))[0] > BUDGETS["reference"]["bfloat16"]  # the old verdict
    f16 = cs.select(ids=["kl_div/label_mixes_batchmean/float16"])
    report = run_cases(sloppy, f16, tier="reference")
    assert report.failed == 1 and "of the terms' magnitude" in report.results[0].reason
    # every other cancelling kl_div case in half precision: the careful version passes
    half = cs.select(functions=["kl_div"], dtypes=["bfloat16", "float16"], tags=["signed-sum"])
    plain = [c for c in half if not c.kwargs["log_target"] and c.kind == "value"]
    assert len(plain) >= 10
    report = run_cases(careful, plain, tier="reference")
    assert report.ok, [(r.id, r.reason) for r in report.failures()]


def test_avoidable_cancellation_is_never_measured_against_terms():
    """Cancellation a careful implementation avoids (log1p, 1 - iou written as a ratio) stays
    judged in ulps of the value: no "cancellation" case is a signed sum, and log p - log q
    still fails kl_divergence/close_distributions in the reference tier."""
    cs = load_cases()
    assert not [c.id for c in cs if "cancellation" in c.tags and "signed-sum" in c.tags]
    assert {c.function for c in cs if "signed-sum" in c.tags} == {
        "expected_calibration_error", "kl_div", "kl_divergence", "margin_ranking_loss", "triplet_margin_loss"}

    def log_difference(p, q, *, axis):
        return (p * (np.log(p) - np.log(q))).sum(axis=axis)

    report = run(MappingAdapter({"kl_divergence": log_difference}), functions=["kl_divergence"],
                 dtypes=["float32"], tags=["cancellation"], tier="reference")
    assert report.failed == 1 and report.results[0].id == "kl_divergence/close_distributions/float32"


def _tversky(*, swapped: bool):
    def tversky_loss(input, target, *, alpha=0.5, beta=0.5, gamma=1.0, smooth=1.0, reduction="mean"):
        c = input.shape[1]
        t = (target[:, None] == np.arange(c).reshape((1, c) + (1,) * (input.ndim - 2))).astype(input.dtype)
        axes = tuple(range(2, input.ndim))
        tp, fp, fn = (input * t).sum(axes), (input * (1 - t)).sum(axes), ((1 - input) * t).sum(axes)
        if swapped:
            alpha, beta = beta, alpha  # the bug: alpha weighting false negatives
        num = alpha * fp + beta * fn
        den = tp + num + smooth
        loss = np.where(den == 0, 0, num / np.where(den == 0, 1, den)) ** gamma
        return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]

    return tversky_loss


def _triplet(*, signed: bool):
    def triplet_margin_loss(anchor, positive, negative, *, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean"):
        def dist(x, y):
            d = x - y + eps
            with np.errstate(invalid="ignore"):
                return ((d if signed else np.abs(d)) ** p).sum(-1) ** (1 / p)  # the bug: no abs

        d_neg = dist(anchor, negative)
        if swap:
            d_neg = np.minimum(d_neg, dist(positive, negative))
        loss = np.maximum(margin + dist(anchor, positive) - d_neg, 0)
        return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]

    return triplet_margin_loss


NEW_CASES = ("tversky_loss/asymmetric_no_smoothing", "triplet_margin_loss/p3_eps_0", "triplet_margin_loss/p1_eps_0")


def _new_cases(dtypes=("float64", "float32")):
    return load_cases().select(ids=[f"{n}/{d}" for n in NEW_CASES for d in dtypes])


def test_new_cases_catch_swapped_tversky_weights_and_signed_triplet_differences():
    cases = _new_cases()
    good = MappingAdapter({"tversky_loss": _tversky(swapped=False), "triplet_margin_loss": _triplet(signed=False)})
    report = run_cases(good, cases, tier="reference")
    assert report.ok and report.passed == len(cases) == 6, [(r.id, r.reason) for r in report.failures()]
    bad = MappingAdapter({"tversky_loss": _tversky(swapped=True), "triplet_margin_loss": _triplet(signed=True)})
    report = run_cases(bad, cases, tier="reference")
    assert report.failed == len(cases), [r.id for r in report.results if not r.failed]


def test_polyloss_passes_the_new_cases(backend):
    report = run_cases(polyloss_adapter(backend.name), _new_cases(tuple(BUDGETS["strict"])), tier="strict")
    assert report.ok and report.passed > 0, [(r.id, r.reason) for r in report.failures()]


def _giou_without_eps(boxes1, boxes2, *, reduction="mean", eps=1e-7):
    """torchvision's generalized_box_iou_loss with its eps left out (a library without one)."""
    x1, y1, x2, y2 = np.moveaxis(boxes1, -1, 0)
    u1, v1, u2, v2 = np.moveaxis(boxes2, -1, 0)
    wi, hi = np.minimum(x2, u2) - np.maximum(x1, u1), np.minimum(y2, v2) - np.maximum(y1, v1)
    inter = np.where((wi > 0) & (hi > 0), wi * hi, 0)
    union = (x2 - x1) * (y2 - y1) + (u2 - u1) * (v2 - v1) - inter
    area_c = (np.maximum(x2, u2) - np.minimum(x1, u1)) * (np.maximum(y2, v2) - np.minimum(y1, v1))
    with np.errstate(all="ignore"):
        loss = (union - inter) / union + (area_c - union) / area_c
    if reduction == "mean":
        return loss.mean() if loss.size else np.zeros((), loss.dtype)
    return loss.sum() if reduction == "sum" else loss


def _kl_div_textbook(input, target, *, reduction="mean", log_target=False):
    """p (log p - x) as written: 0 log 0 is nan, not 0 (no zero-log-zero convention)."""
    with np.errstate(all="ignore"):
        out = np.exp(target) * (target - input) if log_target else target * (np.log(target) - input)
    if reduction == "batchmean":
        return out.sum() / (out.shape[0] if out.ndim else 1)
    return {"none": out, "sum": out.sum(), "mean": out.mean() if out.size else out.sum() / 0}[reduction]


@pytest.mark.parametrize(("function", "fn", "tag"), [("generalized_box_iou_loss", _giou_without_eps, "eps"),
                                                      ("kl_div", _kl_div_textbook, "zero-log-zero")])
def test_a_convention_not_shared_is_excluded_by_its_tag(function, fn, tag):
    """An implementation without a convention fails only cases carrying its tag, and
    ``exclude_tags`` leaves it a clean run."""
    adapter = MappingAdapter({function: fn})
    # (their plain sums overflow in the reduction-overflow cases: another defect than the convention)
    other = ["reduction-overflow"]
    report = run(adapter, functions=[function], dtypes=["float64", "float32"], tier="reference", exclude_tags=other)
    assert report.failed > 0
    assert all(tag in r.tags for r in report.failures()), [r.id for r in report.failures() if tag not in r.tags]
    clean = run(adapter, functions=[function], dtypes=["float64", "float32"], tier="reference",
                exclude_tags=[tag, *other])
    assert clean.ok and clean.passed > 5 and all(tag not in r.tags for r in clean.results)


# -- reports read back -------------------------------------------------------------------


@pytest.mark.backend_independent
def test_a_report_reads_back_from_its_json():
    """``Report.from_json(report.to_json())`` is the report (what the docs' scoreboard reads
    from ``nox -s conformance`` instead of running the cases again); failures and skips too."""
    from conformance import resolve

    cases = [c for c in load_cases() if c.function == "cross_entropy" and c.dtype in ("float32", "float16")]
    report = run_cases(resolve("naive"), cases, tier="strict")  # the textbook formula fails the extremes
    assert report.failed and report.passed
    again = type(report).from_json(json.loads(json.dumps(report.to_json())))
    assert again.to_json() == report.to_json()
    assert [(r.id, r.status, r.error_ulps, r.reason) for r in again.results] == [
        (r.id, r.status, r.error_ulps, r.reason) for r in report.results
    ]
    assert again.summary() == report.summary() and again.worst_by_dtype().keys() == report.worst_by_dtype().keys()
