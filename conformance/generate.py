"""Generate the golden case files and the errata list from the definitions.

    python -m conformance.generate            # (re)write conformance/cases/*.json and docs/errata.md
    python -m conformance.generate --check    # exit 1 if the shipped files differ from what it would write

For every :class:`~conformance.definitions._spec.Spec` of every definition
module and every dtype the spec applies to, the generator rounds the inputs
to the dtype (round to nearest even), evaluates the mpmath oracle at
:data:`conformance.oracle.DPS` digits on those exact inputs, and writes the
result to 40 significant digits.  Documented examples also check each number
the document prints (:class:`Printed`) against the oracle on the inputs as
written, and refuse to generate when a mismatch has no erratum or an erratum
has no mismatch.  Needs mpmath and NumPy; the runner needs neither mpmath nor
this module.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
from mpmath import mpf

from . import documents, oracle
from ._formats import FORMATS, encode_float, round_to, to_fraction, ulp
from ._schema import SCHEMA_VERSION, validate_file
from .definitions import modules
from .definitions._spec import Arr, Printed, Spec

__all__ = ["CASE_SET_VERSION", "CONVENTION_TAGS", "generate", "main"]

#: Bump when cases are added, removed or changed.
CASE_SET_VERSION = "1.4.0"
EXPECTED_DIGITS = 40
#: Tags naming a convention that a case's value depends on, where libraries differ: an
#: adapter that does not share one excludes its cases by tag (``--exclude-tag eps``).
CONVENTION_TAGS = ("clamp", "eps", "zero-log-zero", "normalisation", "undefined")
PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_CASES_DIR = PACKAGE_DIR / "cases"
#: A source checkout (the repository's pyproject.toml and docs/ beside the package): only
#: there does the generator write by default -- into the package's cases/ and docs/errata.md.
#: Installed (site-packages), it writes only where --cases-dir and --errata say.
IN_CHECKOUT = (PACKAGE_DIR.parent / "pyproject.toml").is_file() and (PACKAGE_DIR.parent / "docs").is_dir()
DEFAULT_ERRATA = PACKAGE_DIR.parent / "docs" / "errata.md" if IN_CHECKOUT else None

_SPECIAL = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan, "-0.0": -0.0}


class GenerationError(RuntimeError):
    pass


# --------------------------------------------------------------------------- inputs


def _obj_array(arr: Arr) -> np.ndarray:
    """The spec's nested values as an object array (``arr.shape`` for empty arrays)."""
    if arr.shape is not None and int(np.prod(arr.shape)) == 0:
        return np.empty(arr.shape, dtype=object)
    out = np.array(arr.values, dtype=object)
    return out.reshape(arr.shape) if arr.shape is not None else out


def _round_value(v: Any, dtype: str, where: str) -> float:
    if isinstance(v, str) and v in _SPECIAL:
        return _SPECIAL[v]
    if isinstance(v, float) and not math.isfinite(v):
        return v
    r = round_to(to_fraction(v), FORMATS[dtype])
    if not math.isfinite(r):
        msg = f"{where}: {v} overflows {dtype}"
        raise GenerationError(msg)
    return r


def _encode_arr(arr: Arr, dtype: str, where: str) -> dict:
    """The JSON array object of ``arr`` for a case of ``dtype``."""
    src = _obj_array(arr)
    if arr.kind == "int":
        data = [int(v) for v in src.ravel()]
        return {"dtype": "int64", "shape": list(src.shape), "data": data}
    data = [encode_float(_round_value(v, dtype, where)) for v in src.ravel()]
    return {"dtype": dtype, "shape": list(src.shape), "data": data}


def _oracle_input(obj: dict):
    """Oracle input from a JSON array object (exact)."""
    if obj["dtype"] == "int64":
        return np.array(obj["data"], dtype=np.int64).reshape(obj["shape"])
    from ._formats import decode_float

    vals = [mpf(decode_float(s)) for s in obj["data"]]
    out = np.empty(len(vals), dtype=object)
    out[:] = vals
    return out.reshape(obj["shape"])


def _exact_input(arr: Arr):
    """Oracle input from the spec's own (unrounded) numbers."""
    src = _obj_array(arr)
    if arr.kind == "int":
        return np.array(src.tolist() if src.size else [], dtype=np.int64).reshape(src.shape)
    out = np.empty(src.shape, dtype=object)
    for idx, v in np.ndenumerate(src):
        if isinstance(v, str):
            out[idx] = mpf(v)
        elif isinstance(v, Fraction):
            out[idx] = mpf(v.numerator) / v.denominator
        else:
            out[idx] = mpf(v)
    return out


# --------------------------------------------------------------------------- outputs


def format_expected(v: Any) -> str:
    v = mpf(v)
    if mpmath.isnan(v):
        return "nan"
    if mpmath.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    return mpmath.nstr(v, EXPECTED_DIGITS, strip_zeros=False, min_fixed=0, max_fixed=0, show_zero_exponent=True)


def _flat(value: Any) -> tuple[list[int], list[Any]]:
    if isinstance(value, np.ndarray):
        return list(value.shape), list(value.ravel())
    return [], [value]


def _short(v: Any, digits: int = 10) -> str:
    v = mpf(v)
    if mpmath.isnan(v) or mpmath.isinf(v):
        return format_expected(v)
    if v == 0:
        return "0"
    return mpmath.nstr(v, digits)


def _decimals(s: str) -> int:
    return len(s.split(".", 1)[1]) if "." in s else 0


def _printed_matches(printed: str, true: Any, uncertainty: Any = 0) -> bool:
    p = mpf(printed)
    half_unit = mpf(10) ** (-_decimals(printed)) / 2
    return abs(mpf(true) - p) <= half_unit + mpf(uncertainty) + mpf(10) ** -40


def _check_printed(printed: Printed, true_vals: list, f32_vals: list | None, where: str) -> dict:
    values = printed.value if isinstance(printed.value, tuple) else (printed.value,)
    if len(values) != len(true_vals):
        msg = f"{where}: {len(values)} printed numbers for {len(true_vals)} values"
        raise GenerationError(msg)
    status = "correct"
    true_out: list[str]
    if printed.compare == "float32":
        if f32_vals is None:
            msg = f"{where}: compare='float32' needs a float32 case"
            raise GenerationError(msg)
        t32 = [round_to(to_fraction(v), FORMATS["float32"]) for v in f32_vals]
        true_out = [repr(v) for v in t32]
        # A float32 computation (torch's own float32 sigmoid, float32 sums) may land one
        # rounding step from the correctly rounded result: accept 1 ulp.
        f32 = FORMATS["float32"]
        ok = all(abs(Fraction(float(p)) - Fraction(t)) <= ulp(Fraction(t), f32) for p, t in zip(values, t32, strict=True))
        status = "correct (float32 result)"
    else:
        digits = max(10, max(len(p.replace("-", "").replace(".", "").lstrip("0")) for p in values) + 4)
        true_out = [_short(t, digits) for t in true_vals]
        ok = all(_printed_matches(p, t) for p, t in zip(values, true_vals, strict=True))
    if not ok and printed.erratum is None:
        msg = (f"{where}: printed {list(values)} but the oracle gives {true_out}; "
               "add an erratum explaining the difference, or fix the case")
        raise GenerationError(msg)
    if ok and printed.erratum is not None:
        msg = f"{where}: printed {list(values)} agrees with the oracle {true_out}, but an erratum is given"
        raise GenerationError(msg)
    out = {
        "value": list(values) if isinstance(printed.value, tuple) else printed.value,
        "where": printed.where,
        "true": true_out if isinstance(printed.value, tuple) else true_out[0],
        "status": status if ok else "erratum",
    }
    if not ok:
        out["erratum"] = printed.erratum
    return out


# --------------------------------------------------------------------------- cases


def _is_subnormal(v: Any, dtype: str) -> bool:
    fmt = FORMATS[dtype]
    if isinstance(v, float):
        return math.isfinite(v) and 0 < abs(v) < fmt.min_normal
    v = mpf(v)
    if mpmath.isnan(v) or mpmath.isinf(v) or v == 0:
        return False
    mag = mpmath.mag(v)  # about log2|v|; keeps exp(-6e38) from becoming a Fraction
    if mag < fmt.emin - fmt.precision - 2 or mag > fmt.emax + 2:
        return False
    r = round_to(to_fraction(v), fmt)
    return 0 < abs(r) < fmt.min_normal


def _has_subnormal(dtype: str, args_json: list, kwargs_json: dict, expected: list) -> bool:
    from ._formats import decode_float

    arrays = [a for a in args_json] + [v for v in kwargs_json.values() if isinstance(v, dict)]
    for a in arrays:
        if a["dtype"] == dtype and any(_is_subnormal(decode_float(s), dtype) for s in a["data"]):
            return True
    return any(_is_subnormal(v, dtype) for v in expected)


def _expected_json(shape: list[int], data: list[str], flat: list) -> dict:
    """The expected object: a value beyond float64's range is written in data as float64
    reads it ("0", "inf", "-inf"), so that every parser reads data, and exactly in "exact"."""
    exact: list[dict | None] = [None] * len(data)
    out = list(data)
    for k, v in enumerate(flat):
        v = mpf(v)
        if mpmath.isnan(v) or mpmath.isinf(v) or v == 0:
            continue
        mag = mpmath.mag(v)
        r = 0.0 if mag < -1100 else (math.inf if mag > 1100 else round_to(to_fraction(v), FORMATS["float64"]))
        if r == 0 or math.isinf(r):
            exact[k] = {"value": data[k], "float64": "underflow" if r == 0 else "overflow"}
            out[k] = "0" if r == 0 else ("inf" if v > 0 else "-inf")
    obj: dict[str, Any] = {"shape": shape, "data": out}
    if any(e is not None for e in exact):
        obj["exact"] = exact
    return obj


def _scale(function: str, args: list, kwargs: dict, flat: list, dtype: str, cid: str) -> list | None:
    """The sum of the magnitudes of the terms of each element (``oracle.terms``), when
    the terms cancel enough to move some element's ulp in ``dtype``; else None."""
    terms = oracle.terms(function, args, kwargs)
    if terms is None:
        return None
    _, tflat = _flat(terms)
    fmt = FORMATS[dtype]
    out: list[str | None] = []
    moves = False
    for v, t in zip(flat, tflat, strict=True):
        v, t = mpf(v), mpf(t)
        if not mpmath.isfinite(v) or not mpmath.isfinite(t):
            out.append(None)
            continue
        if t < abs(v) * (1 - mpf(10) ** -30):
            msg = f"{cid}: the terms' magnitudes {t} sum to less than the value {v}"
            raise GenerationError(msg)
        if mpmath.mag(t) < fmt.emin - fmt.precision - 2:
            out.append(None)
            continue
        moves = moves or ulp(to_fraction(t), fmt) > ulp(to_fraction(v), fmt)
        out.append(format_expected(t))
    return out if moves else None


def _rounded(v: Any, fmt) -> Any:
    """``v`` rounded to ``fmt`` (a float), or its special spelled out."""
    v = mpf(v)
    if mpmath.isnan(v) or mpmath.isinf(v):
        return format_expected(v)
    if v == 0:
        return 0.0
    mag = mpmath.mag(v)
    if mag < fmt.emin - fmt.precision - 2:
        return 0.0
    if mag > fmt.emax + 2:
        return math.inf if v > 0 else -math.inf
    return round_to(to_fraction(v), fmt)


def _convention_tags(mod, spec: Spec, args_json: list, kwargs_json: dict, oracle_inputs: tuple,
                     flat: list) -> list[str]:
    """Tags naming the conventions a case's value depends on (CONVENTION_TAGS), found from
    its inputs and value: the module's own ``convention_tags(args, kwargs)`` (zero-log-zero,
    clamp, normalisation, unnormalised inputs, ...), "undefined" for a nan from inputs
    without one (0/0, inf - inf, 0 * inf), and "eps" when the value, rounded to the dtype,
    changes without the eps of the definition (the ``eps`` option set to 0, or the
    module's ``without_eps()`` context)."""
    tags = list(getattr(mod, "convention_tags", lambda a, k: ())(args_json, kwargs_json))
    inputs = list(args_json) + [v for v in kwargs_json.values() if isinstance(v, dict)]
    if any(mpmath.isnan(mpf(v)) for v in flat) and not any("nan" in a["data"] for a in inputs):
        tags.append("undefined")
    o_args, o_kwargs, o_cot = oracle_inputs
    fmt = FORMATS[args_json[0]["dtype"]]
    if hasattr(mod, "without_eps") or ("eps" in mod.DEFAULTS and kwargs_json["eps"] != 0):
        try:
            if hasattr(mod, "without_eps"):
                with mod.without_eps():
                    alt = _evaluate(mod.FUNCTION, spec, o_args, o_kwargs, o_cot)
            else:
                alt = _evaluate(mod.FUNCTION, spec, o_args, {**o_kwargs, "eps": 0.0}, o_cot)
            changed = [_rounded(v, fmt) for v in _flat(alt)[1]] != [_rounded(v, fmt) for v in flat]
        except ZeroDivisionError:  # the eps was all that kept a 0 / 0 away
            changed = True
        if changed:
            tags.append("eps")
    unknown = set(tags) - set(CONVENTION_TAGS) - {"unnormalised"}
    if unknown:
        msg = f"{mod.FUNCTION}/{spec.name}: convention tags {sorted(unknown)} not in {CONVENTION_TAGS}"
        raise GenerationError(msg)
    return tags


def _evaluate(function: str, spec: Spec, args: list, kwargs: dict, cotangent=None):
    if spec.kind == "gradient":
        return oracle.gradient(function, args, kwargs, cotangent)
    return oracle.evaluate(function, args, kwargs)


def _literal(arr: Arr) -> Any:
    src = _obj_array(arr)
    if src.size == 0:
        return {"shape": list(src.shape), "data": []}

    def conv(v):
        if isinstance(v, (int, np.integer)):
            return int(v)
        return str(v) if not isinstance(v, float) else repr(v)

    return np.vectorize(conv, otypes=[object])(src).tolist() if src.ndim else conv(src.item())


def _build_cases(mod, errata_rows: list) -> list[dict]:
    function = mod.FUNCTION
    source = f"conformance/definitions/{function}.py"
    cases = []
    names = set()
    for spec in mod.specs():
        if spec.name in names:
            msg = f"{source}: duplicate spec name {spec.name!r}"
            raise GenerationError(msg)
        names.add(spec.name)
        if spec.kind not in ("value", "gradient"):
            msg = f"{source}:{spec.name}: kind {spec.kind!r}"
            raise GenerationError(msg)
        for key in spec.kwargs:
            if key not in mod.DEFAULTS:
                msg = f"{source}:{spec.name}: unknown option {key!r} (not in DEFAULTS)"
                raise GenerationError(msg)
        per_dtype: dict[str, Any] = {}
        for dtype in spec.dtypes:
            cid = f"{function}/{spec.name}/{dtype}"
            args_json = [{"name": name, **_encode_arr(a, dtype, cid)}
                         for name, a in zip(mod.POSITIONAL, spec.args, strict=True)]
            kwargs_json = {}
            for key, default in mod.DEFAULTS.items():
                v = spec.kwargs.get(key, default)
                kwargs_json[key] = _encode_arr(v, dtype, cid) if isinstance(v, Arr) else v
            cot_json = _encode_arr(spec.cotangent, dtype, cid) if spec.cotangent is not None else None
            o_args = [_oracle_input(a) for a in args_json]
            o_kwargs = {k: _oracle_input(v) if isinstance(v, dict) else v for k, v in kwargs_json.items()}
            o_cot = _oracle_input(cot_json) if cot_json is not None else None
            value = _evaluate(function, spec, o_args, o_kwargs, o_cot)
            per_dtype[dtype] = value
            shape, flat = _flat(value)
            case = {
                "id": cid,
                "function": function,
                "kind": spec.kind,
                "dtype": dtype,
                "description": spec.description,
                "tags": list(spec.tags) or ["basic"],
                "args": args_json,
                "kwargs": kwargs_json,
            }
            if spec.kind == "gradient":
                case["cotangent"] = cot_json
            data = [format_expected(v) for v in flat]
            if spec.zero_sign is not None:
                if spec.zero_sign not in ("+", "-"):
                    msg = f"{cid}: zero_sign must be '+' or '-'"
                    raise GenerationError(msg)
                data = [f"{spec.zero_sign}0.0" if d == "0" else d for d in data]
            case["expected"] = _expected_json(shape, data, flat)
            if "exact" in case["expected"]:
                case["tags"].append("beyond-float64")
            if spec.kind == "value":
                scale = _scale(function, o_args, o_kwargs, flat, dtype, cid)
                if scale is not None:
                    case["expected"]["scale"] = scale
                    case["tags"].append("signed-sum")
            for tag in _convention_tags(mod, spec, args_json, kwargs_json, (o_args, o_kwargs, o_cot), flat):
                if tag not in case["tags"]:
                    case["tags"].append(tag)
            if "subnormal" not in case["tags"] and _has_subnormal(dtype, args_json, kwargs_json, flat):
                # e.g. XLA on CPU flushes subnormals to zero: let users see (and deselect) these
                case["tags"].append("subnormal")
            case["conventions"] = mod.conventions(args_json, kwargs_json)
            case["provenance"] = {"kind": "constructed", "source": source}
            cases.append(case)
        if spec.doc is not None:
            prov = _document_provenance(function, spec, per_dtype, errata_rows)
            for case in cases[-len(spec.dtypes):]:
                case["provenance"] = prov
    return cases


def _document_provenance(function: str, spec: Spec, per_dtype: dict, errata_rows: list) -> dict:
    doc = spec.doc
    if doc.document not in documents.DOCUMENTS:
        msg = f"{function}/{spec.name}: unknown document {doc.document!r}"
        raise GenerationError(msg)
    exact_args = [_exact_input(a) for a in spec.args]
    exact_kwargs = {k: _exact_input(v) if isinstance(v, Arr) else v for k, v in spec.kwargs.items()}
    true_value = oracle.evaluate(function, exact_args, exact_kwargs)
    _, true_flat = _flat(true_value)
    f32 = per_dtype.get("float32")
    f32_flat = _flat(f32)[1] if f32 is not None else None
    prov: dict[str, Any] = {
        "kind": "document",
        "document": doc.document,
        "title": documents.DOCUMENTS[doc.document],
        "example": doc.example,
        "printed": [],
    }
    ref = f"{function}/{spec.name}"
    for p in doc.printed:
        checked = _check_printed(p, true_flat, f32_flat, ref)
        prov["printed"].append(checked)
        errata_rows.append({"document": doc.document, "example": doc.example, "checked": checked, "ref": f"case {ref}"})
    if not doc.printed:
        errata_rows.append({"document": doc.document, "example": doc.example, "checked": None, "ref": f"case {ref}",
                            "true": [_short(v) for v in true_flat]})
    if doc.literal_args is not None:
        if doc.input_erratum is None:
            msg = f"{ref}: literal_args need an input_erratum"
            raise GenerationError(msg)
        lit = oracle.evaluate(function, [_exact_input(a) for a in doc.literal_args], exact_kwargs)
        prov["literal_inputs"] = [_literal(a) for a in doc.literal_args]
        prov["input_erratum"] = doc.input_erratum
        prov["value_with_literal_inputs"] = [_short(v) for v in _flat(lit)[1]]
        errata_rows.append({"document": doc.document, "example": doc.example, "ref": f"case {ref}",
                            "input": (prov["literal_inputs"], prov["value_with_literal_inputs"], doc.input_erratum)})
    if doc.note:
        prov["note"] = doc.note
    return prov


# --------------------------------------------------------------------------- files


def _dump(obj: Any, indent: int = 0) -> str:
    pad, pad1 = " " * indent, " " * (indent + 1)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{pad1}{json.dumps(k)}: {_dump(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list):
        if all(not isinstance(v, (dict, list)) for v in obj):
            return json.dumps(obj, ensure_ascii=False)
        return "[\n" + ",\n".join(pad1 + _dump(v, indent + 1) for v in obj) + "\n" + pad + "]"
    return json.dumps(obj, ensure_ascii=False)


def _md_cell(s: Any) -> str:
    if isinstance(s, list):
        s = ", ".join(str(v) for v in s)
    return str(s).replace("|", "\\|").replace("\n", " ")


def _errata_markdown(rows: list) -> str:
    check_rows = []
    for c in documents.CHECKS:
        true_vals = c.compute()
        unc = c.uncertainty() if c.uncertainty else [0] * len(true_vals)
        values = c.printed.value if isinstance(c.printed.value, tuple) else (c.printed.value,)
        if len(values) != len(true_vals):
            msg = f"check {c.example}: {len(values)} printed numbers for {len(true_vals)} values"
            raise GenerationError(msg)
        exact = all(_printed_matches(p, t) for p, t in zip(values, true_vals, strict=True))
        within = all(_printed_matches(p, t, u) for p, t, u in zip(values, true_vals, unc, strict=True))
        if not within and c.printed.erratum is None:
            msg = f"check {c.example}: printed {values}, true {[_short(t) for t in true_vals]}: needs an erratum"
            raise GenerationError(msg)
        if within and c.printed.erratum is not None:
            msg = f"check {c.example}: printed {values} agrees with the oracle but has an erratum"
            raise GenerationError(msg)
        status = "correct" if exact else ("correct within input rounding" if within else "erratum")
        checked = {"value": list(values) if len(values) > 1 else values[0], "where": c.printed.where,
                   "true": [_short(t) for t in true_vals] if len(values) > 1 else _short(true_vals[0]),
                   "status": status}
        if status == "erratum":
            checked["erratum"] = c.printed.erratum
        ref = f"check: {c.quantity}" + (f" (`{c.function}`)" if c.function else "")
        check_rows.append({"document": c.document, "example": c.example, "checked": checked, "ref": ref})
    all_rows = rows + check_rows
    n_checked = sum(1 for r in all_rows if r.get("checked"))
    errata = [r for r in all_rows if r.get("checked") and r["checked"]["status"] == "erratum"]
    inputs = [r for r in all_rows if r.get("input")]
    out = [
        "# Errata and checks of the source documents",
        "",
        "Generated by `python -m conformance.generate` from `conformance/definitions/` and",
        "`conformance/documents.py`; do not edit by hand.  Every number the documents in",
        "`shared/sources/` print is compared with the mpmath oracle evaluated on the inputs as the",
        "documents write them (decimal, exact).  A printed number is *correct* when it is the true",
        "value rounded to the printed number of decimals; *correct (float32 result)* when it is within",
        "one float32 ulp of the correctly rounded float32 result (the document shows a float32",
        "computation to full precision).",
        "",
        f"{n_checked} printed numbers (or tables) checked, {len(errata)} errata in printed results, "
        f"{len(inputs)} examples whose printed inputs are wrong.",
        "",
        "## Errata in printed results",
        "",
        "| Document | Example | Printed | True value | Why |",
        "|---|---|---|---|---|",
    ]
    for r in errata:
        c = r["checked"]
        out.append(f"| {r['document'][:3]} | {_md_cell(r['example'])} | {_md_cell(c['value'])} | "
                   f"{_md_cell(c['true'])} | {_md_cell(c['erratum'])} |")
    out += ["", "## Errata in printed inputs", "", "| Document | Example | Inputs as printed | Value with those inputs | Why |",
            "|---|---|---|---|---|"]
    for r in inputs:
        lit, val, why = r["input"]
        out.append(f"| {r['document'][:3]} | {_md_cell(r['example'])} | `{json.dumps(lit)}` | {_md_cell(val)} | "
                   f"{_md_cell(why)} |")
    out += ["", "## Every checked number", ""]
    for doc, title in documents.DOCUMENTS.items():
        drows = [r for r in all_rows if r["document"] == doc]
        out += [f"### {doc} — {title}", ""]
        if not drows:
            out += ["No numbers printed.", ""]
            continue
        out += ["| Example | Printed (where) | True value | Status | Case / check |", "|---|---|---|---|---|"]
        for r in drows:
            c = r.get("checked")
            if c is not None:
                out.append(f"| {_md_cell(r['example'])} | {_md_cell(c['value'])} (`{_md_cell(c['where'])}`) | "
                           f"{_md_cell(c['true'])} | {c['status']} | {_md_cell(r['ref'])} |")
            elif r.get("true") is not None:
                out.append(f"| {_md_cell(r['example'])} | (nothing printed) | {_md_cell(r['true'])} | case only | "
                           f"{_md_cell(r['ref'])} |")
        out.append("")
    out += ["## Not checked", ""]
    for docs_, why in documents.NOT_CHECKED:
        out.append(f"- {docs_}: {why}")
    out.append("")
    return "\n".join(out)


def generate() -> dict[str, str]:
    """Everything the generator writes: {"cases/<function>.json": text, "errata.md": text}."""
    files: dict[str, str] = {}
    errata_rows: list = []
    with mpmath.workdps(oracle.DPS):
        for mod in modules():
            cases = _build_cases(mod, errata_rows)
            doc = {
                "schema_version": SCHEMA_VERSION,
                "case_set_version": CASE_SET_VERSION,
                "function": mod.FUNCTION,
                "generated_by": "python -m conformance.generate",
                "oracle": {"library": "mpmath", "dps": oracle.DPS},
                "cases": cases,
            }
            validate_file(json.loads(json.dumps(doc)), f"{mod.FUNCTION}.json")
            files[f"cases/{mod.FUNCTION}.json"] = _dump(doc) + "\n"
        files["errata.md"] = _errata_markdown(errata_rows)
    return files


def _targets(cases_dir: Path, errata: Path) -> dict[str, Path]:
    return {"errata.md": errata, **{f"cases/{p.name}": p for p in cases_dir.glob("*.json")}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the files on disk instead of writing")
    parser.add_argument("--cases-dir", type=Path, default=None,
                        help="directory of the case files (default: the package's cases/; written there only "
                             "in a source checkout)")
    parser.add_argument("--errata", type=Path, default=DEFAULT_ERRATA,
                        help="errata page (default: docs/errata.md of a source checkout; none when installed)")
    args = parser.parse_args(argv)
    if not args.check and not IN_CHECKOUT and (args.cases_dir is None or args.errata is None):
        parser.error("this is an installed copy of the package: name where to write with --cases-dir DIR "
                     "and --errata FILE (by default the generator writes only into a source checkout)")
    if args.cases_dir is None:
        args.cases_dir = DEFAULT_CASES_DIR
    files = generate()
    if args.errata is None:  # --check of an installed copy: the errata page is not shipped
        files.pop("errata.md")
    paths = {rel: (args.errata if rel == "errata.md" else args.cases_dir / Path(rel).name) for rel in files}
    stale = sorted(set(p.name for p in args.cases_dir.glob("*.json")) - {Path(r).name for r in files if r != "errata.md"})
    if args.check:
        bad = []
        for rel, text in files.items():
            p = paths[rel]
            if not p.exists() or p.read_text(encoding="utf-8") != text:
                bad.append(str(p))
                if p.exists():
                    diff = difflib.unified_diff(p.read_text(encoding="utf-8").splitlines(), text.splitlines(),
                                                str(p), "generated", lineterm="", n=1)
                    sys.stdout.write("\n".join(list(diff)[:40]) + "\n")
        bad += [str(args.cases_dir / s) + " (not generated)" for s in stale]
        if bad:
            print("out of date:\n  " + "\n  ".join(bad))
            return 1
        print(f"{len(files)} files up to date")
        return 0
    args.cases_dir.mkdir(parents=True, exist_ok=True)
    args.errata.parent.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        paths[rel].write_text(text, encoding="utf-8")
    for s in stale:
        (args.cases_dir / s).unlink()
    n = sum(len(json.loads(t)["cases"]) for r, t in files.items() if r != "errata.md")
    print(f"wrote {len(files) - 1} case files ({n} cases) to {args.cases_dir} and {args.errata}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
