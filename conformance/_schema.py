"""Hand-written validator for the case files (no dependency beyond the stdlib).

``conformance/schema.json`` describes the same format as a JSON Schema for
other tools; this module is what the loader actually enforces, including the
checks a JSON Schema cannot express (data length matches shape, inputs exactly
representable in their dtype, ids unique and well-formed, gradients shaped
like their input).
"""

from __future__ import annotations

import math
import re
from typing import Any

from ._formats import FLOAT_DTYPES, FORMATS, INT_DTYPES, decode_float, parse_expected, round_to

__all__ = ["SCHEMA_VERSION", "CaseSchemaError", "validate_file"]

SCHEMA_VERSION = 1

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_TAG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_FILE_KEYS = {"schema_version", "case_set_version", "function", "generated_by", "oracle", "cases"}
_CASE_KEYS = {"id", "function", "kind", "dtype", "args", "kwargs", "conventions", "expected", "tags",
              "description", "provenance"}
_ARRAY_KEYS = {"dtype", "shape", "data"}
_PROVENANCE_KINDS = ("constructed", "document")
_PRINTED_STATUS = ("correct", "correct (float32 result)", "erratum")


class CaseSchemaError(ValueError):
    """A case file does not follow the schema; the message names the field."""


def _fail(path: str, msg: str) -> None:
    raise CaseSchemaError(f"{path}: {msg}")


def _expect_type(value: Any, types: type | tuple[type, ...], path: str) -> None:
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        _fail(path, f"expected {types}, got a boolean")
    if not isinstance(value, types):
        _fail(path, f"expected {getattr(types, '__name__', types)}, got {type(value).__name__}")


def _keys(obj: dict, required: set[str], path: str, optional: set[str] = frozenset()) -> None:
    _expect_type(obj, dict, path)
    missing = required - obj.keys()
    extra = obj.keys() - required - optional
    if missing:
        _fail(path, f"missing keys {sorted(missing)}")
    if extra:
        _fail(path, f"unknown keys {sorted(extra)}")


def _shape(shape: Any, path: str) -> int:
    _expect_type(shape, list, path)
    size = 1
    for i, d in enumerate(shape):
        _expect_type(d, int, f"{path}[{i}]")
        if d < 0:
            _fail(f"{path}[{i}]", "negative dimension")
        size *= d
    return size


def validate_array(arr: Any, path: str, *, dtypes: tuple[str, ...] | None = None) -> None:
    """An exact array: {"dtype", "shape", "data"} with data row-major."""
    _keys(arr, _ARRAY_KEYS, path)
    dtype = arr["dtype"]
    allowed = dtypes or (FLOAT_DTYPES + INT_DTYPES)
    if dtype not in allowed:
        _fail(f"{path}.dtype", f"{dtype!r} not in {list(allowed)}")
    size = _shape(arr["shape"], f"{path}.shape")
    data = arr["data"]
    _expect_type(data, list, f"{path}.data")
    if len(data) != size:
        _fail(f"{path}.data", f"{len(data)} values for shape {arr['shape']}")
    if dtype in INT_DTYPES:
        for i, v in enumerate(data):
            _expect_type(v, int, f"{path}.data[{i}]")
        return
    fmt = FORMATS[dtype]
    for i, s in enumerate(data):
        _expect_type(s, str, f"{path}.data[{i}]")
        try:
            v = decode_float(s)
        except ValueError as exc:
            _fail(f"{path}.data[{i}]", str(exc))
        if math.isfinite(v) and v != 0 and round_to(v, fmt) != v:
            _fail(f"{path}.data[{i}]", f"{s} is not exactly representable in {dtype}")


def _expected(exp: Any, path: str) -> None:
    """{"shape", "data"} plus the optional "exact" and "scale" lists, parallel to data.

    Every entry of data reads with a standard float parser as a float64 number: a value
    beyond float64's range is written there as "0" / "inf" / "-inf" and given exactly in
    "exact" ({"value": decimal, "float64": "underflow" | "overflow"}, null elsewhere).
    "scale" holds, for a value that is a sum of signed terms, the sum of their magnitudes.
    """
    _keys(exp, {"shape", "data"}, path, optional={"exact", "scale"})
    size = _shape(exp["shape"], f"{path}.shape")
    _expect_type(exp["data"], list, f"{path}.data")
    if len(exp["data"]) != size:
        _fail(f"{path}.data", f"{len(exp['data'])} values for shape {exp['shape']}")
    kinds = []
    for i, s in enumerate(exp["data"]):
        _expect_type(s, str, f"{path}.data[{i}]")
        try:
            kind, value = parse_expected(s)
        except ValueError as exc:
            _fail(f"{path}.data[{i}]", str(exc))
        if kind == "finite" and math.isinf(_beyond_float64(s)):
            _fail(f"{path}.data[{i}]", f"{s} is beyond float64's range: write it in 'exact'")
        kinds.append(kind)
    for key in ("exact", "scale"):
        if key in exp:
            _expect_type(exp[key], list, f"{path}.{key}")
            if len(exp[key]) != size:
                _fail(f"{path}.{key}", f"{len(exp[key])} entries for {size} values")
    for i, e in enumerate(exp.get("exact", ())):
        if e is None:
            continue
        ep = f"{path}.exact[{i}]"
        _keys(e, {"value", "float64"}, ep)
        _expect_type(e["value"], str, f"{ep}.value")
        try:
            kind, value = parse_expected(e["value"])
        except ValueError as exc:
            _fail(f"{ep}.value", str(exc))
        if kind != "finite":
            _fail(f"{ep}.value", "an exact value is a finite decimal")
        beyond = _beyond_float64(e["value"])
        if beyond == 0:
            _fail(f"{ep}.value", f"{e['value']} is within float64's range: write it in data")
        want = ("underflow", "0") if beyond < 0 else ("overflow", "-inf" if value < 0 else "inf")
        if (e["float64"], exp["data"][i]) != want:
            _fail(ep, f"float64 {e['float64']!r} with data {exp['data'][i]!r}; expected {want[0]!r} with {want[1]!r}")
    for i, s in enumerate(exp.get("scale", ())):
        if s is None:
            continue
        _expect_type(s, str, f"{path}.scale[{i}]")
        try:
            kind, value = parse_expected(s)
        except ValueError as exc:
            _fail(f"{path}.scale[{i}]", str(exc))
        if kind not in ("finite", "zero") or value < 0:
            _fail(f"{path}.scale[{i}]", f"{s!r}: a scale is a finite non-negative decimal")


def _beyond_float64(s: str) -> float:
    """-inf if the decimal ``s`` rounds to zero in float64, +inf if it overflows, else 0."""
    exp10 = int(s.rsplit("e", 1)[1])
    if exp10 < -330:
        return -math.inf
    if exp10 > 310:
        return math.inf
    r = round_to(parse_expected(s)[1], FORMATS["float64"])
    return -math.inf if r == 0 else (math.inf if math.isinf(r) else 0.0)


def _json_scalar(v: Any, path: str) -> None:
    if v is not None and not isinstance(v, (bool, int, float, str)):
        _fail(path, f"expected a JSON scalar, got {type(v).__name__}")
    if isinstance(v, float) and not math.isfinite(v):
        _fail(path, "non-finite number (write arrays for special values)")


def _provenance(prov: Any, path: str) -> None:
    _expect_type(prov, dict, path)
    kind = prov.get("kind")
    if kind not in _PROVENANCE_KINDS:
        _fail(f"{path}.kind", f"{kind!r} not in {list(_PROVENANCE_KINDS)}")
    if kind == "constructed":
        _keys(prov, {"kind", "source"}, path)
        _expect_type(prov["source"], str, f"{path}.source")
        return
    _keys(prov, {"kind", "document", "title", "example", "printed"}, path,
          optional={"literal_inputs", "input_erratum", "value_with_literal_inputs", "note"})
    for key in ("document", "title", "example"):
        _expect_type(prov[key], str, f"{path}.{key}")
    _expect_type(prov["printed"], list, f"{path}.printed")
    for i, p in enumerate(prov["printed"]):
        pp = f"{path}.printed[{i}]"
        _keys(p, {"value", "where", "true", "status"}, pp, optional={"erratum"})
        _expect_type(p["where"], str, f"{pp}.where")
        for key in ("value", "true"):
            v = p[key]
            if isinstance(v, list):
                for j, s in enumerate(v):
                    _expect_type(s, str, f"{pp}.{key}[{j}]")
            else:
                _expect_type(v, str, f"{pp}.{key}")
        if p["status"] not in _PRINTED_STATUS:
            _fail(f"{pp}.status", f"{p['status']!r} not in {list(_PRINTED_STATUS)}")
        if (p["status"] == "erratum") != ("erratum" in p):
            _fail(pp, "an erratum needs a status 'erratum' and an 'erratum' explanation, and only then")
    if "literal_inputs" in prov:
        _expect_type(prov["literal_inputs"], list, f"{path}.literal_inputs")
        if "input_erratum" not in prov or "value_with_literal_inputs" not in prov:
            _fail(path, "literal_inputs need input_erratum and value_with_literal_inputs")


def validate_case(case: Any, path: str, function: str) -> None:
    optional = {"cotangent"} if isinstance(case, dict) and case.get("kind") == "gradient" else set()
    _keys(case, _CASE_KEYS, path, optional=optional)
    if case["function"] != function:
        _fail(f"{path}.function", f"{case['function']!r} in the file for {function!r}")
    if case["kind"] not in ("value", "gradient"):
        _fail(f"{path}.kind", f"{case['kind']!r} not in ['value', 'gradient']")
    dtype = case["dtype"]
    if dtype not in FLOAT_DTYPES:
        _fail(f"{path}.dtype", f"{dtype!r} not in {list(FLOAT_DTYPES)}")
    cid = case["id"]
    _expect_type(cid, str, f"{path}.id")
    parts = cid.split("/")
    if len(parts) != 3 or parts[0] != function or parts[2] != dtype or not _NAME_RE.match(parts[1]):
        _fail(f"{path}.id", f"{cid!r} is not '{function}/<name>/{dtype}' with a snake_case name")
    _expect_type(case["args"], list, f"{path}.args")
    if not case["args"]:
        _fail(f"{path}.args", "no positional arguments")
    for i, arg in enumerate(case["args"]):
        ap = f"{path}.args[{i}]"
        _expect_type(arg, dict, ap)
        _expect_type(arg.get("name"), str, f"{ap}.name")
        validate_array({k: v for k, v in arg.items() if k != "name"}, ap)
        if arg["dtype"] not in (dtype, *INT_DTYPES):
            _fail(f"{ap}.dtype", f"{arg['dtype']!r} in a {dtype} case")
    if case["args"][0]["dtype"] != dtype:
        _fail(f"{path}.args[0].dtype", f"the first argument must have the case dtype {dtype}")
    _expect_type(case["kwargs"], dict, f"{path}.kwargs")
    for k, v in case["kwargs"].items():
        kp = f"{path}.kwargs.{k}"
        if isinstance(v, dict):
            validate_array(v, kp, dtypes=(dtype,))
        else:
            _json_scalar(v, kp)
    _expect_type(case["conventions"], dict, f"{path}.conventions")
    for k, v in case["conventions"].items():
        _json_scalar(v, f"{path}.conventions.{k}")
    _expected(case["expected"], f"{path}.expected")
    if case["kind"] == "gradient":
        if case["expected"]["shape"] != case["args"][0]["shape"]:
            _fail(f"{path}.expected.shape", "a gradient has the shape of the first argument")
        cot = case.get("cotangent")
        if cot is not None:
            validate_array(cot, f"{path}.cotangent", dtypes=(dtype,))
    _expect_type(case["tags"], list, f"{path}.tags")
    if not case["tags"]:
        _fail(f"{path}.tags", "at least one tag")
    if len(set(case["tags"])) != len(case["tags"]):
        _fail(f"{path}.tags", "duplicate tags")
    for i, t in enumerate(case["tags"]):
        _expect_type(t, str, f"{path}.tags[{i}]")
        if not _TAG_RE.match(t):
            _fail(f"{path}.tags[{i}]", f"{t!r} is not a lower-case, dash-separated tag")
    if (case["kind"] == "gradient") != ("gradient" in case["tags"]):
        _fail(f"{path}.tags", "gradient cases, and only they, carry the tag 'gradient'")
    _expect_type(case["description"], str, f"{path}.description")
    _provenance(case["provenance"], f"{path}.provenance")
    if ("documented-example" in case["tags"]) != (case["provenance"]["kind"] == "document"):
        _fail(f"{path}.provenance", "documented examples, and only they, have a document provenance")


def validate_file(doc: Any, name: str = "<cases>") -> None:
    """Validate one parsed case file; raises :class:`CaseSchemaError`."""
    _keys(doc, _FILE_KEYS, name)
    if doc["schema_version"] != SCHEMA_VERSION:
        _fail(f"{name}.schema_version", f"{doc['schema_version']!r}, this loader reads {SCHEMA_VERSION}")
    _expect_type(doc["case_set_version"], str, f"{name}.case_set_version")
    _expect_type(doc["function"], str, f"{name}.function")
    _expect_type(doc["generated_by"], str, f"{name}.generated_by")
    _keys(doc["oracle"], {"library", "dps"}, f"{name}.oracle")
    if not isinstance(doc["oracle"]["dps"], int) or doc["oracle"]["dps"] < 50:
        _fail(f"{name}.oracle.dps", "the oracle must work with at least 50 digits")
    _expect_type(doc["cases"], list, f"{name}.cases")
    seen: set[str] = set()
    for i, case in enumerate(doc["cases"]):
        validate_case(case, f"{name}.cases[{i}]", doc["function"])
        if case["id"] in seen:
            _fail(f"{name}.cases[{i}].id", f"duplicate id {case['id']!r}")
        seen.add(case["id"])
