"""Case definitions: one module per public function (see ``_spec.py``).

Every module here whose name does not start with "_" is a definition module;
:func:`modules` imports them all, in name order.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

__all__ = ["modules"]


def modules() -> list[ModuleType]:
    mods = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        for attr in ("FUNCTION", "POSITIONAL", "DEFAULTS", "conventions", "specs"):
            if not hasattr(mod, attr):
                msg = f"definition module {mod.__name__} lacks {attr}"
                raise AttributeError(msg)
        if mod.FUNCTION != info.name:
            msg = f"{mod.__name__}: FUNCTION is {mod.FUNCTION!r}, expected the module name {info.name!r}"
            raise ValueError(msg)
        mods.append(mod)
    return mods
