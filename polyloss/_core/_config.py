"""Global options: process-wide settings, and overrides scoped to a ``with`` block.

``set_options(**kw)`` changes them for the whole process (every thread);
``options(**kw)`` overrides them inside a ``with`` block, in the current context only
(a context variable: other threads and asyncio tasks are not affected);
``get_options()`` returns a copy of what is in effect. Adding an option means adding
one entry to :data:`_DEFAULTS` (and, when it is not a bool, a check in :func:`_check`),
and describing it in the docstring of :func:`options`, the one place the options are
documented.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator
from typing import Any

from ._xp import constant_under_trace

__all__ = ["VALUE_CHECKS", "get_options", "set_options", "options", "get_option", "resolve"]

#: Every option and its default (each described in the docstring of :func:`options`).
_DEFAULTS: dict[str, Any] = {
    "detect_mistakes": True,
    # POLYLOSS_FAST_PATHS=0 (or false, off, no) in the environment: off by default
    "fast_paths": os.environ.get("POLYLOSS_FAST_PATHS", "1").strip().lower() not in ("0", "false", "off", "no"),
    "threads": None,
    "value_checks": "auto",
}

#: The values of the ``value_checks`` option (and of the per-call keyword).
VALUE_CHECKS = ("raise", "defer", "off", "auto")

_GLOBAL: dict[str, Any] = dict(_DEFAULTS)  # set_options(): the whole process, replaced (never mutated)
_LOCAL: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "polyloss_options", default=None
)  # options(): the overrides of the enclosing with-blocks, in this context only


def _current() -> dict[str, Any]:
    local = _LOCAL.get()
    return _GLOBAL if local is None else {**_GLOBAL, **local}


def _check_name(name: str) -> None:
    if name not in _DEFAULTS:
        msg = f"unknown polyloss option `{name}`; known options: {', '.join(sorted(_DEFAULTS))}"
        raise ValueError(msg)


def _check(name: str, value: Any) -> None:
    _check_name(name)
    if isinstance(_DEFAULTS[name], bool) and not isinstance(value, bool):
        msg = f"option `{name}` must be a bool; got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    if name == "threads" and value is not None:
        if isinstance(value, bool) or not isinstance(value, int):
            msg = f"option `threads` must be None or a positive int; got {type(value).__name__} {value!r}"
            raise TypeError(msg)
        if value < 1:
            msg = f"option `threads` must be None or a positive int; got {value!r}"
            raise ValueError(msg)
    if name == "value_checks" and not isinstance(value, str):
        msg = f"option `value_checks` must be a str, one of {', '.join(map(repr, VALUE_CHECKS))}; got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    if name == "value_checks" and value not in VALUE_CHECKS:
        msg = f"option `value_checks` must be one of {', '.join(map(repr, VALUE_CHECKS))}; got {value!r}"
        raise ValueError(msg)


def get_options() -> dict[str, Any]:
    """A copy of the options in effect.

    Returns
    -------
    dict of str to object
        Every option by name, with its value in effect here (the global one, or the
        override of an enclosing :func:`options` block): ``{"detect_mistakes": bool,
        "fast_paths": bool, "threads": int or None, "value_checks": str}``. Changing the dict changes no
        option.
    """
    return dict(_current())


# under torch.compile an option is read when the function is traced (dynamo cannot trace
# ContextVar.get): a compiled function keeps the options in effect when it was compiled
@constant_under_trace
def get_option(name: str) -> Any:
    """The value in effect of one option."""
    _check_name(name)
    local = _LOCAL.get()
    return local[name] if local is not None and name in local else _GLOBAL[name]


def set_options(**kwargs: Any) -> None:
    """Change options for the whole process (every thread); ``options`` blocks still override them.

    Parameters
    ----------
    **kwargs
        Options by name, with their new values: ``detect_mistakes`` (bool),
        ``fast_paths`` (bool), ``threads`` (int >= 1 or None) and ``value_checks``
        (``"raise"``, ``"defer"``, ``"off"`` or ``"auto"``), described under
        :func:`options`. An option not given keeps its value.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        For an unknown option, ``threads`` < 1 or an unknown ``value_checks``; no
        option is changed then.
    TypeError
        For a value of the wrong type (``detect_mistakes=1``, ``threads=2.0``).
    """
    global _GLOBAL
    for name, value in kwargs.items():
        _check(name, value)
    _GLOBAL = {**_GLOBAL, **kwargs}


@contextlib.contextmanager
def options(**kwargs: Any) -> Iterator[dict[str, Any]]:
    """Change options inside a ``with`` block; the previous ones come back on exit.

    The overrides apply to the current context only (a context variable): other threads
    and asyncio tasks are not affected. Blocks nest; an inner one overrides an outer one.

    Parameters
    ----------
    **kwargs
        Options by name, each one of those below; an option not given keeps the value
        in effect.

    Other Parameters
    ----------------
    detect_mistakes : bool
        Run the cheap checks for classic input mistakes (probabilities passed to
        :func:`nll_loss`, softmax output passed to :func:`cross_entropy`, logits passed
        to :func:`binary_cross_entropy`). They look at values, so they never run on lazy
        or traced arrays, and they never change a result. Default ``True``; the
        ``detect_mistakes=`` argument of those losses overrides it for one call.
    fast_paths : bool
        Use a backend's native kernels or a chunked, in-place evaluation where polyloss
        has one (torch, NumPy, JAX; row blocks for very large inputs elsewhere);
        ``False`` forces the generic array-API definition. Both agree to rounding and
        neither is less accurate. Default ``True``, or ``False`` when the environment
        variable ``POLYLOSS_FAST_PATHS`` is ``0`` (or ``false``, ``off``, ``no``) at
        import.
    threads : int or None
        How many threads the NumPy fast paths may share a large input (4M elements or
        more) among, by rows: NumPy's ufuncs release the GIL. ``None`` (default): one
        per CPU; 1: only the calling thread. Results do not depend on it.
    value_checks : {"auto", "raise", "defer", "off"}
        What the checks on values (probabilities in [0, 1], class indices in range,
        non-negative weights, ...) do; the ``value_checks=`` argument of each loss that
        has such checks overrides it for one call. ``"raise"``: read the values and raise
        a clear error naming the first offender (on a GPU each check waits for the
        device: a host sync); lazy and traced arrays, whose values cannot be read, are
        deferred. ``"defer"``: never read a value on the host (no sync, no Python branch
        on data: safe under ``torch.compile``, ``torch.func``, ``jax.jit``, CUDA graphs);
        an invalid element makes what it touches NaN, never a silent number, and the
        likely-mistake checks (``detect_mistakes``) that need values are skipped.
        ``"off"``: no value checks at all (fastest; unsafe: invalid values give
        undefined numbers). ``"auto"`` (default): ``"raise"`` for data on the host
        outside any transform (NumPy, array-api-strict, torch CPU tensors in eager mode,
        eager JAX on the CPU), ``"defer"`` for accelerator data (torch CUDA/MPS/XPU,
        CuPy, JAX on GPU/TPU) and under tracing or transforms (``jax.jit``/``grad``/
        ``vmap``, ``torch.compile``, ``torch.func``, Dask).

    Returns
    -------
    contextlib.AbstractContextManager
        Use it in a ``with`` statement; ``with options(...) as current:`` binds
        ``current`` to a copy of the options in effect inside the block (the dict of
        :func:`get_options`).

    Raises
    ------
    ValueError
        For an unknown option, ``threads`` < 1 or an unknown ``value_checks`` (on
        entering the ``with`` block, before its body runs).
    TypeError
        For a value of the wrong type.

    Examples
    --------
    >>> import polyloss as pl
    >>> with pl.options(detect_mistakes=False):
    ...     pl.get_options()["detect_mistakes"]
    False
    >>> pl.get_options()["detect_mistakes"]
    True
    """
    for name, value in kwargs.items():
        _check(name, value)
    token = _LOCAL.set({**(_LOCAL.get() or {}), **kwargs})
    try:
        yield get_options()
    finally:
        _LOCAL.reset(token)


def resolve(name: str, value: Any) -> Any:
    """A per-call option: ``None`` means the global setting, anything else is checked and used."""
    if value is None:
        return get_option(name)
    _check(name, value)
    return value
