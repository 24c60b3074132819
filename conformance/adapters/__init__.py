"""Adapters: how the runner calls an implementation.

The protocol is one method::

    class MyAdapter:
        name = "my-losses"
        def evaluate(self, case: conformance.Case) -> conformance.Result | conformance.Decline: ...
        def metadata(self) -> dict: ...          # optional: {"library": ..., "version": ...}, device
        def provides(self, function: str) -> bool: ...  # optional: the others are not run

``evaluate`` builds the case's inputs (``case.args``, ``case.kwargs``: exact
:class:`~conformance.ArrayData`), calls the implementation (for a gradient
case, ``case.kind == "gradient"``, it returns d sum(cotangent * f) / d args[0])
and returns a :class:`~conformance.Result`, or a :class:`~conformance.Decline`
with a reason (reported as a skip), or raises :class:`~conformance.Unsupported`
(the same).  Other exceptions count as failures.  ``library`` and ``version``
from ``metadata()`` go into the JSON report's environment.

Most adapters are a :class:`MappingAdapter`: a table of callables with the
polyloss signatures (arrays positional, options keyword) over one array
backend.  Built in:

``polyloss_adapter(backend)``  polyloss on numpy, torch, array_api_strict, jax, dask or cupy
``torch_adapter()``            torch.nn.functional, conventions translated
``naive_adapter()``            the documents' textbook formulas in NumPy
``exact_adapter()``            self-test: the expected values, correctly rounded
``scipy_adapter()``, ``jax_adapter()``, ``optax_adapter()``, ``sklearn_adapter()``,
``torchvision_adapter()``, ``keras_adapter()``
                               the peer libraries, conventions translated (each module's
                               docstring, ``adapters/_<name>.py``, gives the translation);
                               every case is declined when the library does not import
``register_backend(cls)``      another array library (see ``_backends.Backend``)
``resolve(spec)``              "polyloss[:backend]", "torch", "naive", "module:attr",
                               a mapping of name -> callable, or an adapter object
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from .._cases import ArrayData, Case
from .._runner import Decline, Result
from ._backend_table import TABLE
from ._backends import BACKENDS, Backend, get_backend, register_backend

__all__ = [
    "BACKENDS",
    "TABLE",
    "Adapter",
    "exact_adapter",
    "Backend",
    "MappingAdapter",
    "get_backend",
    "builtin_adapter_spec",
    "installed_backends",
    "jax_adapter",
    "keras_adapter",
    "naive_adapter",
    "optax_adapter",
    "polyloss_adapter",
    "register_backend",
    "resolve",
    "scipy_adapter",
    "sklearn_adapter",
    "torch_adapter",
    "torchvision_adapter",
]


@runtime_checkable
class Adapter(Protocol):
    name: str

    def evaluate(self, case: Case) -> Result | Decline: ...


@dataclass(frozen=True)
class _Accepts:
    """What a callable's signature takes: keyword names (None: any, through ``**kwargs`` or
    an unreadable signature) and whether it asks for the case (a parameter named ``case``)."""

    keywords: frozenset[str] | None
    case: bool

    @classmethod
    def of(cls, fn: Callable) -> _Accepts:
        try:
            params = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):  # builtins and extension functions without a signature
            return cls(None, False)
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        names = frozenset(p.name for p in params if p.kind in kinds)
        anything = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
        return cls(None if anything else names - {"case"}, "case" in names)


class MappingAdapter:
    """Callables with the polyloss signatures, over one array backend.

    ``functions`` maps a function name to a callable, or is a callable
    ``name -> callable | None`` (looked up per case).  A case whose function
    is missing is declined.  ``check_contract`` fails results that are not
    arrays of the backend (or sit on another device); ``extra_metadata`` is
    merged into :meth:`metadata`.  Every name of a mapping must be a function
    of the cases (a typo is a ValueError naming the closest ones) unless
    ``check_names`` is false.

    A callable receives the case's arrays positionally and, by keyword, only
    the options that differ from polyloss's defaults (:meth:`Case.options`);
    a case that needs an option its signature does not take is declined with
    that reason (a signature with ``**kwargs`` takes every option).  A
    callable with a parameter named ``case`` also receives the
    :class:`~conformance.Case` (``case=``), to decline by input values or
    tags: raise :class:`~conformance.Unsupported` (a skip, with the reason).
    """

    def __init__(self, functions: Mapping[str, Callable] | Callable[[str], Callable | None],
                 backend: str | Backend = "numpy", *, name: str | None = None, check_contract: bool = True,
                 extra_metadata: Mapping[str, Any] | None = None, errstate: bool = False,
                 check_names: bool = True) -> None:
        self._functions = functions
        self.backend = get_backend(backend)
        self.name = name or f"functions[{self.backend.label}]"
        self.check_contract = check_contract
        self.extra_metadata = dict(extra_metadata or {})
        self.errstate = errstate
        self.check_names = check_names
        self._accepts: dict[int, tuple[Callable, _Accepts]] = {}

    def accepts(self, fn: Callable) -> _Accepts:
        """The signature facts of ``fn`` (cached per callable)."""
        hit = self._accepts.get(id(fn))
        if hit is None or hit[0] is not fn:
            hit = self._accepts[id(fn)] = (fn, _Accepts.of(fn))
        return hit[1]

    def lookup(self, function: str) -> Callable | None:
        if callable(self._functions) and not isinstance(self._functions, Mapping):
            return self._functions(function)
        return self._functions.get(function)

    def function_names(self) -> list[str] | None:
        """The mapping's names, each of which must name a function of the cases (None: not
        checked, for a lookup callable or a module without ``__all__``)."""
        if not self.check_names or (callable(self._functions) and not isinstance(self._functions, Mapping)):
            return None
        return list(self._functions)

    def provides(self, function: str) -> bool:
        """Whether ``function`` is implemented here (True when the backend is missing:
        its cases are then declined, with the reason)."""
        if self.backend.unavailable_cached():
            return True
        return self.lookup(function) is not None

    def _convert(self, v: Any) -> Any:
        return self.backend.asarray(v) if isinstance(v, ArrayData) else v

    def evaluate(self, case: Case) -> Result | Decline:
        why = self.backend.unavailable_cached()
        if why:
            return Decline(why)
        fn = self.lookup(case.function)
        if fn is None:
            return Decline(f"{self.name} has no {case.function}")
        with self.backend.context(case):
            return self._evaluate(fn, case)

    def _evaluate(self, fn: Callable, case: Case) -> Result | Decline:
        import numpy as np

        why = self.backend.decline_dtype(case.dtype) or self.backend.decline_case(case)
        if why:
            return Decline(why)
        if case.kind == "gradient" and not self.backend.autograd:
            return Decline(f"gradient case: {self.backend.name} has no autograd")
        options = case.options()
        accepts = self.accepts(fn)
        if accepts.keywords is not None:
            missing = [k for k in options if k not in accepts.keywords]
            if missing:
                given = ", ".join(f"{k}={_show(options[k])}" for k in missing)
                return Decline(f"needs {given}, which {_name(fn)} does not accept")
        args = [self._convert(a) for a in case.args]
        kwargs = {k: self._convert(v) for k, v in options.items()}
        if accepts.case:
            kwargs["case"] = case
        with np.errstate(all="ignore") if self.errstate else contextlib.nullcontext():
            out = self._call(fn, case, args, kwargs)
        if isinstance(out, Decline):
            return out
        problems = self.backend.check_result(out, args[0]) if self.check_contract else []
        with np.errstate(all="ignore"):
            value = self.backend.to_numpy(out)
        return Result(value, self.backend.dtype_name(out), problems)

    def _call(self, fn: Callable, case: Case, args: list, kwargs: dict) -> Any:
        if case.kind == "gradient":
            cot = self._convert(case.cotangent) if case.cotangent is not None else None
            return self.backend.grad(fn, args, kwargs, cot)
        return self.backend.call(fn, args, kwargs)

    def metadata(self) -> dict:
        return {"adapter": self.name, "backend": self.backend.info(), **self.extra_metadata}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def _name(fn: Callable) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


def _show(v: Any) -> str:
    return f"<{v.dtype} array {list(v.shape)}>" if isinstance(v, ArrayData) else repr(v)


def installed_backends() -> list[str]:
    """Backends whose library imports (and, for cupy, has a device)."""
    return [name for name, cls in BACKENDS.items() if cls().unavailable() is None]


def polyloss_adapter(backend: str | Backend = "numpy") -> MappingAdapter:
    """polyloss's public functions on ``backend`` ("numpy", "torch", "torch:cuda", ...)."""
    be = get_backend(backend)

    def lookup(name: str) -> Callable | None:
        import polyloss

        return getattr(polyloss, name, None) if name in getattr(polyloss, "__all__", ()) else None

    meta: dict[str, Any] = {}
    try:
        import polyloss

        meta["polyloss_version"] = getattr(polyloss, "__version__", "?")
    except Exception as exc:
        meta["polyloss_version"] = f"not importable ({type(exc).__name__}: {exc})"
    return MappingAdapter(lookup, be, name=f"polyloss[{be.label}]", extra_metadata=meta)


def torch_adapter(device: str | None = None) -> MappingAdapter:
    """torch.nn.functional (``device`` e.g. "cuda")."""
    from ._torch import functions

    be = get_backend("torch" if device is None else f"torch:{device}")
    fns: dict[str, Callable] = {}

    def lookup(name: str) -> Callable | None:
        if not fns:
            fns.update(functions())
        return fns.get(name)

    return MappingAdapter(lookup, be, name="torch.nn.functional" + (f"[{device}]" if device else ""))


def naive_adapter() -> MappingAdapter:
    """The textbook formulas (NumPy, no stabilisation): must fail the overflow cases."""
    from ._naive import functions

    return MappingAdapter(functions(), "numpy", name="naive", errstate=True)


def exact_adapter():
    """Self-test: returns each expected value correctly rounded (passes everything)."""
    from ._exact import ExactAdapter

    return ExactAdapter()


def _peer(module: str, backend: str, name: str, requires: dict[str, str], **kwargs: Any) -> MappingAdapter:
    from ._peers import PeerAdapter

    functions = importlib.import_module(f"{__name__}.{module}").functions()
    return PeerAdapter(functions, backend, name=name, requires=requires, **kwargs)


def scipy_adapter() -> MappingAdapter:
    """scipy.special (NumPy arrays); see ``adapters/_scipy.py`` for the translation."""
    return _peer("_scipy", "numpy", "scipy.special", {"scipy": "scipy"})


def jax_adapter() -> MappingAdapter:
    """jax.nn and jax.scipy.special; see ``adapters/_jax.py`` for the translation."""
    return _peer("_jax", "jax", "jax.nn", {"jax": "jax"})


def optax_adapter() -> MappingAdapter:
    """optax.losses (JAX arrays); see ``adapters/_optax.py`` for the translation."""
    return _peer("_optax", "jax", "optax", {"jax": "jax", "optax": "optax"})


def sklearn_adapter() -> MappingAdapter:
    """scikit-learn's metrics (NumPy arrays, Python float results); see ``adapters/_sklearn.py``."""
    return _peer("_sklearn", "numpy", "sklearn", {"sklearn": "scikit-learn"}, check_contract=False)


def torchvision_adapter(device: str | None = None) -> MappingAdapter:
    """torchvision.ops (``device`` e.g. "cuda"); see ``adapters/_torchvision.py`` for the translation."""
    return _peer("_torchvision", "torch" if device is None else f"torch:{device}",
                 "torchvision.ops" + (f"[{device}]" if device else ""), {"torch": "torch", "torchvision": "torchvision"})


def keras_adapter(backend: str | None = None) -> MappingAdapter:
    """Keras 3 on ``backend`` ("jax" or "torch"; default $KERAS_BACKEND, else jax, else torch);
    see ``adapters/_keras.py`` for the translation."""
    from ._keras import keras_backend

    be = keras_backend(backend)
    return _peer("_keras", be, f"keras[{be}]", {"keras": "keras"})


#: The adapters named on the command line: ``--adapter NAME`` or ``NAME:ARG`` (a device for
#: torch and torchvision, a Keras backend for keras).
_BUILTIN: dict[str, Callable[..., Any]] = {
    "torch": torch_adapter, "naive": naive_adapter, "exact": exact_adapter, "scipy": scipy_adapter,
    "jax": jax_adapter, "optax": optax_adapter, "sklearn": sklearn_adapter, "torchvision": torchvision_adapter,
    "keras": keras_adapter,
}


def builtin_adapter_spec(spec: str) -> bool:
    """Whether ``spec`` names a built-in adapter ("torch", "keras:jax", ...), not "module:attr"."""
    head, _, rest = spec.partition(":")
    return head in _BUILTIN and "." not in rest and (not rest or head in ("torch", "torchvision", "keras"))


def resolve(spec: Any, *, backend: str | Backend = "numpy") -> Any:
    """An adapter from a spec.

    * an object with ``evaluate``: itself;
    * a mapping of function name -> callable: a :class:`MappingAdapter` on ``backend``;
    * "torch", "torch:cuda", "naive", "exact", "scipy", "jax", "optax", "sklearn",
      "torchvision[:device]", "keras[:jax|torch]": the built-in adapters;
    * "polyloss" or "polyloss:<backend>[:<device>]": polyloss on that backend;
    * "module:attr" (attr may be dotted): the attribute, resolved again; a module is
      read as a mapping of its public functions.
    """
    if isinstance(spec, Adapter) or hasattr(spec, "evaluate"):
        return spec
    if isinstance(spec, Mapping):
        return MappingAdapter(dict(spec), backend)
    if isinstance(spec, type(importlib)):  # a module
        listed = getattr(spec, "__all__", None)
        names = listed or [n for n in dir(spec) if not n.startswith("_")]
        fns = {n: getattr(spec, n) for n in names if callable(getattr(spec, n, None))}
        # names in __all__ are checked against the cases; other public names may be helpers
        return MappingAdapter(fns, backend, name=f"{spec.__name__}[{get_backend(backend).label}]",
                              check_names=bool(listed))
    if not isinstance(spec, str):
        msg = f"cannot make an adapter from {type(spec).__name__}"
        raise TypeError(msg)
    head, _, rest = spec.partition(":")
    if head == "polyloss":
        return polyloss_adapter(rest or backend)
    if builtin_adapter_spec(spec):
        return _BUILTIN[head](rest) if rest else _BUILTIN[head]()
    if not rest:
        msg = (f"unknown adapter {spec!r}: use 'polyloss[:backend]', one of {', '.join(map(repr, _BUILTIN))} "
               "or 'module:attr'")
        raise ValueError(msg)
    obj: Any = _import(head)
    for part in rest.split("."):
        obj = getattr(obj, part)
    if callable(obj) and not hasattr(obj, "evaluate") and not isinstance(obj, (Mapping, type(importlib))):
        obj = obj()  # a factory returning an adapter or a mapping
    adapter = resolve(obj, backend=backend)
    if isinstance(adapter, MappingAdapter) and "library" not in adapter.extra_metadata:
        adapter.extra_metadata |= _library(head)
    return adapter


def _import(module: str) -> Any:
    """Import ``module``, also from the current directory (as ``python -m`` would; the
    console script and pytest do not put it on ``sys.path``)."""
    import os

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        cwd = os.getcwd()
        if exc.name != module.split(".")[0] or cwd in sys.path or "" in sys.path:
            raise
        sys.path.append(cwd)
        return importlib.import_module(module)


def _library(module: str) -> dict[str, str]:
    """The library and version a ``module:attr`` adapter comes from, for the report."""
    import importlib.metadata as md

    top = module.split(".")[0]
    dists = md.packages_distributions().get(top, [])
    for dist in dists:
        try:
            return {"library": dist, "version": md.version(dist)}
        except md.PackageNotFoundError:
            continue
    version = getattr(sys.modules.get(top), "__version__", None)
    return {"library": top, "version": str(version)} if version else {"library": top}
