"""High-precision reference implementations ("the oracle").

One module per public function, each written directly from the definition
with mpmath (``mp.dps`` >= 50, see :data:`DPS`), independent of polyloss and
of torch.  A module registers its function with :func:`register`; every
module of this package whose name does not start with "_" is imported on
first use, so adding a function means adding a module, nothing else.

Arrays are NumPy object arrays of ``mpf``; integer targets are int64 arrays.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

import mpmath
import numpy as np

__all__ = ["DPS", "evaluate", "functions", "get", "gradient", "register", "register_terms", "terms"]

#: Decimal digits the generator evaluates the oracle with.
DPS = 60
#: Digits for gradients: mpmath's numerical differentiation leaves an absolute
#: error near 10**-GRAD_DPS times the function's size; at 400 digits that is
#: below half the smallest float64 subnormal even for losses near 3e38.
GRAD_DPS = 400

_REGISTRY: dict[str, Callable] = {}
_TERMS: dict[str, Callable] = {}
_loaded = False


def register(fn: Callable) -> Callable:
    """Decorator: make ``fn`` the oracle for the public function of its name."""
    if fn.__name__ in _REGISTRY and _REGISTRY[fn.__name__] is not fn:
        msg = f"two oracles for {fn.__name__!r}"
        raise ValueError(msg)
    _REGISTRY[fn.__name__] = fn
    return fn


def register_terms(name: str) -> Callable[[Callable], Callable]:
    """Decorator: ``fn`` (the signature of the oracle ``name``) returns, with the value's
    shape, the sum of the magnitudes of the terms whose signed sum the value is.

    Register one where the definition adds terms of both signs that a careful
    implementation must compute one by one (rounded in the dtype) and cannot
    rearrange to avoid the cancellation, e.g. kl_div's sum of p (log p - x).
    Cancellation a careful implementation avoids (log1p, a difference of exact
    inputs) stays inside one term.
    """

    def deco(fn: Callable) -> Callable:
        if name in _TERMS and _TERMS[name] is not fn:
            msg = f"two terms functions for {name!r}"
            raise ValueError(msg)
        _TERMS[name] = fn
        return fn

    return deco


def terms(name: str, args: list, kwargs: dict):
    """The sum of the magnitudes of the terms of ``name``'s value, or None when the
    function registers no terms (its value is not a cancelling sum)."""
    _load()
    fn = _TERMS.get(name)
    return None if fn is None else fn(*args, **kwargs)


def _load() -> None:
    global _loaded
    if _loaded:
        return
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    _loaded = True


def functions() -> list[str]:
    _load()
    return sorted(_REGISTRY)


def get(name: str) -> Callable:
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        msg = f"no oracle for {name!r}; known: {sorted(_REGISTRY)}"
        raise KeyError(msg) from None


def evaluate(name: str, args: list, kwargs: dict):
    """Evaluate the oracle at the current mpmath precision."""
    return get(name)(*args, **kwargs)


def _contract(y, cotangent):
    if isinstance(y, np.ndarray):
        cot = np.ones(y.shape, dtype=object) if cotangent is None else cotangent
        return mpmath.fsum((a * b for a, b in zip(y.ravel(), cot.ravel(), strict=True)))
    if cotangent is not None:
        return y * cotangent.reshape(()).item() if isinstance(cotangent, np.ndarray) else y * cotangent
    return y


def gradient(name: str, args: list, kwargs: dict, cotangent=None) -> np.ndarray:
    """d/d(args[0]) of sum(cotangent * f(*args, **kwargs)) (cotangent defaults
    to ones), by mpmath's high-precision numerical differentiation, one input
    element at a time.  Cases must keep away from kinks (clamps, ties)."""
    fn = get(name)
    x = args[0]
    out = np.empty(x.shape, dtype=object)
    with mpmath.workdps(max(GRAD_DPS, mpmath.mp.dps)):
        for idx in np.ndindex(*x.shape):

            def g(t, idx=idx):
                xx = x.copy()
                xx[idx] = t
                return _contract(fn(xx, *args[1:], **kwargs), cotangent)

            out[idx] = mpmath.diff(g, x[idx])
    return out
