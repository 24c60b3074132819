"""The runner: error measurement, reports, adapters, and that broken implementations fail."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conformance import BUDGETS, Case, Decline, MappingAdapter, Result, load_cases, measure, run, run_cases
from conformance.adapters import exact_adapter

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
                      exclude_tags=["cancellation", "underflow", "neg-inf"])
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
