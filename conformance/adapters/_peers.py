"""What the peer adapters share: declining when the library is absent, its
version in the metadata, and the translation of polyloss's reductions.

Each peer module (``_scipy``, ``_jax``, ``_optax``, ``_sklearn``, ``_keras``,
``_torchvision``) defines its functions at module level with polyloss's
signatures and defaults, importing its library inside them, so that the table
of functions exists whether the library is installed or not.  A function's
signature lists only the options the library can express: a case that needs
another is declined by :class:`~conformance.MappingAdapter` with that reason;
a case the library cannot express for its values raises
:class:`~conformance.Unsupported`.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
from collections.abc import Callable, Mapping
from typing import Any

from .._runner import Decline, Unsupported
from . import MappingAdapter
from ._backends import Backend

__all__ = ["PeerAdapter", "class_axis", "reduce"]


class PeerAdapter(MappingAdapter):
    """A :class:`~conformance.MappingAdapter` over a peer library.

    ``requires`` maps the modules the functions import to their distribution
    names, the peer library last; when one does not import, every case is
    declined with the reason, and :meth:`metadata` names the peer (``library``,
    ``version``: the report's environment lists it) and every required version.
    """

    def __init__(self, functions: Mapping[str, Callable], backend: str | Backend, *, name: str,
                 requires: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(dict(functions), backend, name=name, **kwargs)
        self.requires = dict(requires)
        self._missing: list[str | None] = []

    def unavailable(self) -> str | None:
        """None when every required module imports, else why not (asked once)."""
        if not self._missing:
            why = None
            for module in self.requires:
                try:
                    importlib.import_module(module)
                except Exception as exc:  # absent, or a broken build (e.g. a CUDA wheel on a CPU torch)
                    why = f"{module} does not import ({type(exc).__name__}: {str(exc)[:200]})"
                    break
            self._missing.append(why)
        return self._missing[0]

    def evaluate(self, case):
        why = self.unavailable()
        if why:
            return Decline(why)
        return super().evaluate(case)

    def metadata(self) -> dict:
        libraries = {}
        for dist in self.requires.values():
            try:
                libraries[dist] = md.version(dist)
            except md.PackageNotFoundError:
                libraries[dist] = "not installed"
        meta = super().metadata()
        peer = list(self.requires.values())[-1]  # the peer itself; the others are what it runs on
        meta |= {"library": peer, "version": libraries[peer], "libraries": libraries}
        why = self.unavailable()
        if why:
            meta["unavailable"] = why
        return meta


def class_axis(x: Any) -> int:
    """polyloss's class axis: 1, or 0 for an unbatched (1-D) input."""
    return 0 if x.ndim == 1 else 1


def reduce(loss: Any, reduction: str, divisor: Any = None) -> Any:
    """polyloss's reductions of elementwise ``loss`` with the array's own ``sum``
    and ``mean`` (``mean`` divides by ``divisor`` when given)."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean() if divisor is None else loss.sum() / divisor
    msg = f"reduction={reduction!r}"
    raise Unsupported(msg)
