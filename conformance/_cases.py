"""Loading the golden cases: JSON files under ``conformance/cases/``."""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._formats import INT_DTYPES, decode_float
from ._schema import CaseSchemaError, validate_file

__all__ = ["CASES_DIR", "ArrayData", "Case", "CaseSet", "GROUPS", "load_cases", "option_defaults"]

CASES_DIR = Path(__file__).with_name("cases")
_DEFINITIONS_DIR = Path(__file__).with_name("definitions")


@functools.lru_cache(maxsize=None)
def option_defaults(function: str) -> dict[str, Any] | None:
    """polyloss's default for every keyword option of ``function`` (the ``DEFAULTS``
    of its definition module, read without importing it), or None when the
    function has no definition module."""
    import ast

    path = _DEFINITIONS_DIR / f"{function}.py"
    if not path.is_file():
        return None
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "DEFAULTS" for t in targets) and node.value is not None:
                return dict(ast.literal_eval(node.value))
    return None

#: Table rows group cases by their first matching tag set (in this order).
GROUPS: tuple[tuple[str, frozenset[str]], ...] = (
    ("documented", frozenset({"documented-example"})),
    ("gradient", frozenset({"gradient"})),
    ("overflow", frozenset({"overflow", "shift"})),
    ("underflow", frozenset({"underflow", "cancellation"})),
    ("extreme", frozenset({"extreme", "clamp"})),
    ("special", frozenset({"special", "neg-inf", "signed-zero", "undefined"})),
    ("ignored/empty", frozenset({"ignored", "empty"})),
    ("options", frozenset({"weights", "pos-weight", "label-smoothing", "probability-target", "soft-target", "kdim",
                           "unbatched", "reduction-none", "reduction-sum"})),
)


@dataclass(frozen=True)
class ArrayData:
    """An exact array from a case file."""

    dtype: str
    shape: tuple[int, ...]
    data: tuple[Any, ...]  # hex strings / specials (floats) or ints

    @classmethod
    def from_json(cls, obj: dict) -> ArrayData:
        return cls(obj["dtype"], tuple(obj["shape"]), tuple(obj["data"]))

    @property
    def is_int(self) -> bool:
        return self.dtype in INT_DTYPES

    def values(self) -> list:
        """Flat list of Python floats (exact) or ints."""
        if self.is_int:
            return [int(v) for v in self.data]
        return [decode_float(v) for v in self.data]

    def numpy(self):
        """float64 (holds every supported dtype exactly) or int64 NumPy array."""
        import numpy as np

        dt = np.int64 if self.is_int else np.float64
        return np.array(self.values(), dtype=dt).reshape(self.shape)


@dataclass(frozen=True)
class Case:
    """One golden case (see README for the field meanings)."""

    id: str
    function: str
    kind: str  # "value" or "gradient"
    dtype: str
    args: tuple[ArrayData, ...]
    arg_names: tuple[str, ...]
    kwargs: dict[str, Any]  # ArrayData for array options
    conventions: dict[str, Any]
    expected_shape: tuple[int, ...]
    expected: tuple[str, ...]  # the exact values (the file's "exact" entry where data holds a float64 stand-in)
    tags: tuple[str, ...]
    description: str
    provenance: dict[str, Any]
    cotangent: ArrayData | None = None
    #: per element, the sum of the magnitudes of the terms whose signed sum the value is
    #: (None: not a signed sum); the reference tier measures the error in ulps of it
    expected_scale: tuple[str | None, ...] | None = None
    source_file: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, obj: dict, source_file: str = "") -> Case:
        kwargs = {k: ArrayData.from_json(v) if isinstance(v, dict) else v for k, v in obj["kwargs"].items()}
        cot = obj.get("cotangent")
        exp = obj["expected"]
        exact = exp.get("exact") or [None] * len(exp["data"])
        expected = tuple(d if e is None else e["value"] for d, e in zip(exp["data"], exact, strict=True))
        scale = exp.get("scale")
        return cls(
            id=obj["id"], function=obj["function"], kind=obj["kind"], dtype=obj["dtype"],
            args=tuple(ArrayData.from_json(a) for a in obj["args"]),
            arg_names=tuple(a["name"] for a in obj["args"]),
            kwargs=kwargs, conventions=dict(obj["conventions"]),
            expected_shape=tuple(exp["shape"]), expected=expected,
            expected_scale=tuple(scale) if scale is not None else None,
            tags=tuple(obj["tags"]), description=obj["description"], provenance=dict(obj["provenance"]),
            cotangent=ArrayData.from_json(cot) if cot is not None else None,
            source_file=source_file, raw=obj,
        )

    @property
    def name(self) -> str:
        return self.id.split("/")[1]

    @property
    def group(self) -> str:
        tags = set(self.tags)
        for group, members in GROUPS:
            if tags & members:
                return group
        return "basic"

    def describe_inputs(self, max_values: int = 6) -> str:
        """The inputs in one line: each array's name, dtype, shape and first
        ``max_values`` values (9 significant digits; ``explain`` shows them exactly),
        then the options that differ from the defaults."""
        parts = [f"{name}={_short(a, max_values)}" for name, a in zip(self.arg_names, self.args, strict=True)]
        parts += [f"{k}={_short(v, max_values) if isinstance(v, ArrayData) else repr(v)}"
                  for k, v in self.options().items()]
        return ", ".join(parts)

    def options(self) -> dict[str, Any]:
        """The keyword options that differ from polyloss's defaults (all of them when
        the defaults are unknown): what a case asks of an implementation beyond
        its positional arrays."""
        defaults = option_defaults(self.function)
        if defaults is None:
            return dict(self.kwargs)
        return {k: v for k, v in self.kwargs.items()
                if k not in defaults or isinstance(v, ArrayData) or v != defaults[k]}

    @property
    def is_gradient(self) -> bool:
        return self.kind == "gradient"

    def has_special_inputs(self) -> bool:
        return any(not a.is_int and any(not math.isfinite(v) for v in a.values()) for a in self.args)


def _short(a: ArrayData, max_values: int) -> str:
    vals = a.values()
    text = ", ".join(str(v) if a.is_int else format(v, ".9g") for v in vals[:max_values])
    more = f", ... ({len(vals) - max_values} more)" if len(vals) > max_values else ""
    return f"{a.dtype}{list(a.shape)}[{text}{more}]"


@dataclass(frozen=True)
class CaseSet:
    """All cases of a directory, with the set's version and content hash."""

    cases: tuple[Case, ...]
    version: str
    sha256: str
    directory: str

    def __iter__(self) -> Iterator[Case]:
        return iter(self.cases)

    def __len__(self) -> int:
        return len(self.cases)

    def functions(self) -> list[str]:
        return sorted({c.function for c in self.cases})

    def select(self, *, functions: Iterable[str] | None = None, dtypes: Iterable[str] | None = None,
               tags: Iterable[str] | None = None, exclude_tags: Iterable[str] | None = None,
               ids: Iterable[str] | None = None) -> list[Case]:
        """Cases matching every given filter; ``tags`` keeps a case having any
        of them, ``exclude_tags`` drops a case having any of them."""
        fs = set(functions) if functions is not None else None
        ds = set(dtypes) if dtypes is not None else None
        ts = set(tags) if tags is not None else None
        xs = set(exclude_tags) if exclude_tags is not None else set()
        idset = set(ids) if ids is not None else None
        out = []
        for c in self.cases:
            if fs is not None and c.function not in fs:
                continue
            if ds is not None and c.dtype not in ds:
                continue
            if ts is not None and not ts & set(c.tags):
                continue
            if xs & set(c.tags):
                continue
            if idset is not None and c.id not in idset:
                continue
            out.append(c)
        return out


def _load_dir(directory: Path) -> CaseSet:
    files = sorted(directory.glob("*.json"))
    if not files:
        msg = f"no case files in {directory}"
        raise FileNotFoundError(msg)
    digest = hashlib.sha256()
    cases: list[Case] = []
    versions: set[str] = set()
    seen: dict[str, str] = {}
    for path in files:
        blob = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + blob + b"\0")
        doc = json.loads(blob)
        validate_file(doc, path.name)
        if path.stem != doc["function"]:
            msg = f"{path.name}: holds cases of {doc['function']!r}; the file must be named {doc['function']}.json"
            raise CaseSchemaError(msg)
        versions.add(doc["case_set_version"])
        for obj in doc["cases"]:
            if obj["id"] in seen:
                msg = f"{path.name}: id {obj['id']!r} already in {seen[obj['id']]}"
                raise CaseSchemaError(msg)
            seen[obj["id"]] = path.name
            cases.append(Case.from_json(obj, path.name))
    if len(versions) != 1:
        msg = f"case files disagree on case_set_version: {sorted(versions)}"
        raise CaseSchemaError(msg)
    return CaseSet(tuple(cases), versions.pop(), digest.hexdigest(), str(directory))


@functools.lru_cache(maxsize=8)
def _load_cached(directory: str, stamp: tuple) -> CaseSet:
    return _load_dir(Path(directory))


def load_cases(directory: str | Path | None = None) -> CaseSet:
    """Load and validate every ``*.json`` case file of ``directory`` (default:
    the cases shipped with the package).  Cached until a file changes."""
    d = (Path(directory) if directory is not None else CASES_DIR).resolve()
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(d.glob("*.json")))
    return _load_cached(str(d), stamp)
