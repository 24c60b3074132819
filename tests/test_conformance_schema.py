"""Case files: the schema validator, the loader, and exact float arithmetic."""

from __future__ import annotations

import copy
import json
import math
import shutil
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import conformance
from conformance import CASES_DIR, CaseSchemaError, load_cases, measure
from conformance._formats import FORMATS, decode_float, encode_float, parse_expected, round_to, ulp
from conformance._schema import validate_file

pytestmark = pytest.mark.backend_independent  # NumPy only: runs once, where numpy is selected


def _doc(name: str = "cross_entropy") -> dict:
    return json.loads((CASES_DIR / f"{name}.json").read_text(encoding="utf-8"))


def _first(doc: dict, **where) -> dict:
    return next(c for c in doc["cases"] if all(c.get(k) == v for k, v in where.items()))


def test_shipped_cases_load_and_validate():
    cs = load_cases()
    assert len(cs) > 500
    assert len({c.id for c in cs}) == len(cs)
    assert cs.version and len(cs.sha256) == 64
    from conformance import oracle
    from conformance.definitions import modules

    assert set(cs.functions()) == {m.FUNCTION for m in modules()} <= set(oracle.functions())
    for c in cs:
        assert c.tags and c.group
        assert len(c.expected) == int(np.prod(c.expected_shape, dtype=np.int64))


def test_every_dtype_and_core_tag_is_covered():
    cs = load_cases()
    core = ("sigmoid", "log_sigmoid", "softmax", "log_softmax", "logsumexp", "binary_cross_entropy",
            "binary_cross_entropy_with_logits", "nll_loss", "cross_entropy")
    assert set(core) <= set(cs.functions())
    for fn in cs.functions():
        mine = cs.select(functions=[fn])
        assert {c.dtype for c in mine} == set(conformance.FLOAT_DTYPES), fn
        if fn in core:
            assert any(c.kind == "gradient" for c in mine), fn
    tags = {t for c in cs for t in c.tags}
    for needed in ("documented-example", "overflow", "underflow", "extreme", "ignored", "empty", "gradient",
                   "weights", "pos-weight", "label-smoothing", "probability-target", "kdim", "unbatched",
                   "reduction-none", "reduction-sum", "shift", "neg-inf", "clamp", "cancellation", "subnormal"):
        assert needed in tags


def test_issue_examples_exist():
    """The hard cases the issue names, by their values."""
    cs = {c.id: c for c in load_cases()}
    assert "cross_entropy/logit_shift_1e4/float32" in cs
    tiny = cs["binary_cross_entropy_with_logits/tiny_loss_88_8/float32"]
    assert tiny.expected[0].startswith("2.72")
    shift = cs["cross_entropy/logit_shift_1e8/float64"]
    assert shift.expected[0].startswith("1.0986122886681096913")  # log 3
    lse = cs["logsumexp/neg_inf_entries/float32"]
    assert lse.expected[1] == "-inf"


def _set(path):
    def mutate(doc):
        obj = doc
        for key in path[:-1]:
            obj = obj[key]
        obj[path[-1][0]] = path[-1][1]

    return mutate


def _f16_case(doc):
    return next(i for i, c in enumerate(doc["cases"]) if c["dtype"] == "float16" and c["args"][0]["data"])


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda d: d["cases"][0].pop("expected"), "missing keys"),
        (lambda d: d["cases"][0].update(extra=1), "unknown keys"),
        (lambda d: d["cases"][0]["args"][0]["data"].append("0x1.0p+0"), "values for shape"),
        (lambda d: d["cases"][_f16_case(d)]["args"][0].update(data=[(0.1).hex()] * len(
            d["cases"][_f16_case(d)]["args"][0]["data"])), "not exactly representable in float16"),
        (lambda d: d["cases"][0]["args"][0]["data"].__setitem__(0, "0.1"), "not an exact float"),
        (lambda d: d["cases"][0]["expected"]["data"].__setitem__(0, "1.5e+0"), "fewer than 30"),
        (lambda d: d["cases"][0]["expected"]["data"].__setitem__(0, "1.5"), "not an expected value"),
        (lambda d: d["cases"].append(copy.deepcopy(d["cases"][0])), "duplicate id"),
        (lambda d: d["cases"][0].update(id="cross_entropy/x/float16"), "is not"),
        (lambda d: d["cases"][0]["tags"].append("Overflow"), "tag"),
        (lambda d: d["cases"][0]["tags"].append("gradient"), "gradient"),
        (lambda d: d["cases"][0].update(kind="hessian"), "kind"),
        (lambda d: d["cases"][0]["provenance"]["printed"][0].update(status="erratum"), "erratum"),
        (lambda d: d["oracle"].update(dps=30), "at least 50"),
        (lambda d: d.update(schema_version=99), "schema_version"),
        (lambda d: d["cases"][0]["args"].reverse(), "case dtype"),
        (lambda d: d["cases"][0]["kwargs"].update(weight={"dtype": "float16", "shape": [], "data": ["0.0"]}), "dtype"),
        (lambda d: d["cases"][0]["provenance"].update(kind="folklore"), "kind"),
    ],
)
def test_validator_rejects(mutate, match):
    doc = _doc()
    # the first case is a documented example with a printed value (the erratum mutation needs one)
    assert doc["cases"][0]["provenance"]["printed"]
    bad = copy.deepcopy(doc)
    mutate(bad)
    with pytest.raises(CaseSchemaError, match=match):
        validate_file(bad, "cross_entropy.json")


def test_validator_accepts_shipped_file():
    validate_file(_doc(), "cross_entropy.json")


def test_json_schema_agrees_with_the_files():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((CASES_DIR.parent / "schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted(CASES_DIR.glob("*.json")):
        errors = list(validator.iter_errors(json.loads(path.read_text(encoding="utf-8"))))
        assert not errors, (path.name, errors[0].message)
    bad = _doc()
    bad["cases"][0]["expected"]["data"][0] = "1.5e+0"
    assert list(validator.iter_errors(bad))


def test_loader_checks_directory(tmp_path):
    shutil.copy(CASES_DIR / "sigmoid.json", tmp_path / "sigmoid.json")
    assert len(load_cases(tmp_path)) == len(load_cases().select(functions=["sigmoid"]))
    shutil.copy(CASES_DIR / "softmax.json", tmp_path / "renamed.json")
    with pytest.raises(CaseSchemaError, match="must be named softmax.json"):
        load_cases(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    doc = _doc("softmax")
    doc["case_set_version"] = "0.0.1"
    (other / "softmax.json").write_text(json.dumps(doc), encoding="utf-8")
    shutil.copy(CASES_DIR / "sigmoid.json", other / "sigmoid.json")
    with pytest.raises(CaseSchemaError, match="disagree on case_set_version"):
        load_cases(other)


def test_selection_filters():
    cs = load_cases()
    sel = cs.select(functions=["softmax"], dtypes=["float32"], tags=["overflow"], exclude_tags=["extreme"])
    assert sel
    for c in sel:
        assert c.function == "softmax" and c.dtype == "float32" and "overflow" in c.tags and "extreme" not in c.tags


# --------------------------------------------------------------------------- exact float arithmetic

_NP = {"float64": np.float64, "float32": np.float32, "float16": np.float16}


@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_round_to_matches_numpy_casts(x):
    for name, t in _NP.items():
        with np.errstate(over="ignore"):
            want = float(t(x))
        got = round_to(Fraction(x), FORMATS[name])
        assert got == want or (math.isinf(got) and math.isinf(want) and got == want), (name, x, got, want)
        if got == 0:
            assert math.copysign(1, got) == math.copysign(1, x) or x == 0


@given(st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_round_to_bfloat16_matches_ml_dtypes(x):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    want = float(np.asarray(x, dtype=np.float32).astype(ml_dtypes.bfloat16).astype(np.float64))
    assert round_to(Fraction(x), FORMATS["bfloat16"]) == want


def test_round_to_ties_and_overflow():
    f16 = FORMATS["float16"]
    assert round_to(65504, f16) == 65504.0
    assert round_to(65519, f16) == 65504.0
    assert round_to(65520, f16) == math.inf  # halfway to 65536: ties to even = overflow
    assert round_to(Fraction(1) + Fraction(1, 2**11), f16) == 1.0  # tie, to even
    # values beyond the float64 range (an oracle's exact result) overflow to inf, and tiny
    # ones underflow to a signed zero, in every format
    for fmt in FORMATS.values():
        assert round_to(Fraction(2) ** 1100, fmt) == math.inf
        assert round_to(-(Fraction(3) ** 700), fmt) == -math.inf
        tiny = round_to(-Fraction(1, 2**1200), fmt)
        assert tiny == 0 and math.copysign(1, tiny) == -1
    assert round_to(Fraction(1) + Fraction(3, 2**11), f16) == 1.001953125
    assert round_to(Fraction(1, 2**25), f16) == 0.0  # half the smallest subnormal: ties to even
    assert round_to(-Fraction(1, 2**30), f16) == 0.0 and math.copysign(1, round_to(-Fraction(1, 2**30), f16)) < 0


def test_ulp():
    assert ulp(Fraction(1), FORMATS["float32"]) == Fraction(1, 2**23)
    assert ulp(Fraction(3, 2), FORMATS["float64"]) == Fraction(1, 2**52)
    assert ulp(Fraction(0), FORMATS["float32"]) == Fraction(1, 2**149)
    assert ulp(Fraction(1, 10**40), FORMATS["float32"]) == Fraction(1, 2**149)
    assert ulp(Fraction(10**40), FORMATS["float32"]) == Fraction(2**104)
    assert ulp(Fraction(1, 2**20), FORMATS["bfloat16"]) == Fraction(1, 2**27)


@pytest.mark.parametrize("x", [0.0, -0.0, 1.5, -2.5e-310, 3e38, math.inf, -math.inf, 1 / 3])
def test_encode_decode_roundtrip(x):
    y = decode_float(encode_float(x))
    assert y == x and math.copysign(1, y) == math.copysign(1, x)
    assert math.isnan(decode_float(encode_float(math.nan)))


def test_parse_expected():
    assert parse_expected("nan")[0] == "nan"
    assert parse_expected("0") == ("zero", 0)
    assert parse_expected("-0.0")[0] == "-zero"
    kind, v = parse_expected("1.000000000000000000000000000000000000000e-3")
    assert kind == "finite" and v == Fraction(1, 1000)
    # decimal exponents beyond every float format are clamped, never expanded
    kind, v = parse_expected("1.147130550775949812984240330233624097733e-130288344570975553565891081652042837103")
    assert kind == "finite" and 0 < v < Fraction(1, 10**399)
    with pytest.raises(ValueError, match="30 significant"):
        parse_expected("1.5e+0")


# --------------------------------------------------------------------------- values beyond float64


def _beyond_cases() -> list:
    return [c for c in load_cases() if "beyond-float64" in c.tags]


def test_every_expected_entry_parses_as_a_float64():
    """Data entries read with a standard float parser (strtod, JSON numbers, float()); a
    value beyond float64's range is 0 / inf there and exact in "exact"."""
    import re

    finite = re.compile(r"^-?\d\.\d+e[+-]\d{1,3}$")
    for path in sorted(CASES_DIR.glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            exp = case["expected"]
            for i, s in enumerate(exp["data"]):
                assert s in ("nan", "inf", "-inf", "0", "+0.0", "-0.0") or finite.match(s), (case["id"], s)
                v = float(s)
                assert math.isnan(v) or math.isinf(v) or v == 0 or 2.0**-1074 <= abs(v) <= 1.8e308, (case["id"], s)
            for i, e in enumerate(exp.get("exact", ())):
                if e is not None:
                    assert (e["float64"], exp["data"][i]) in (("underflow", "0"), ("overflow", "inf"),
                                                              ("overflow", "-inf")), case["id"]
                    assert "beyond-float64" in case["tags"]


def test_values_beyond_float64_keep_their_exact_value():
    by_id = {c.id: c for c in _beyond_cases()}
    tiny = by_id["sigmoid/saturate_3e38/float32"]
    assert tiny.expected[0].startswith("1.000696336099977011642639433419634217928e-1302883448")
    raw = tiny.raw["expected"]
    assert raw["data"][0] == "0" and raw["exact"][0] == {"value": tiny.expected[0], "float64": "underflow"}
    assert len(by_id) >= 30 and tiny.expected[1].startswith("1.0")
    # the runner measures against the exact value: a positive underflow that comes back as 0 passes
    assert measure(tiny, [0.0, 1.0])[0] == 0.0


_TINY = "1.000000000000000000000000000000000000000e-500"


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda e: (e.pop("exact"), e["data"].__setitem__(0, _TINY)), "beyond float64's range"),
        (lambda e: e["exact"][0].update(value="1.000000000000000000000000000000000000000e-5"), "within float64's range"),
        (lambda e: e["exact"][0].update(float64="overflow"), "expected 'underflow'"),
        (lambda e: e["data"].__setitem__(0, "inf"), "expected 'underflow' with '0'"),
        (lambda e: e.update(exact=[None]), "1 entries for 2 values"),
        (lambda e: e.update(scale=[None, "-1.000000000000000000000000000000000000000e+0"]), "non-negative"),
    ],
)
def test_validator_rejects_bad_exact_and_scale(mutate, match):
    doc = _doc("sigmoid")
    i = next(i for i, c in enumerate(doc["cases"]) if c["id"] == "sigmoid/saturate_3e38/float32")
    mutate(doc["cases"][i]["expected"])
    with pytest.raises(CaseSchemaError, match=match):
        validate_file(doc, "sigmoid.json")
