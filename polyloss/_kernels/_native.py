"""How a backend module declares a native kernel (its ``KERNELS`` mapping)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .._core._types import Array

__all__ = ["Native"]


@dataclass(frozen=True)
class Native:
    """A native kernel: ``fn`` has the generic kernel's signature (without ``xp``).

    ``applies(*args)`` says whether it may run on these arguments; ``reduces``: it takes
    ``reduction`` last and returns the reduced loss; ``needs_checked``: it may only see
    values that were checked.
    """

    fn: Callable[..., Array]
    applies: Callable[..., bool] = lambda *args: True
    reduces: bool = False
    needs_checked: bool = False
