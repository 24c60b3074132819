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
    values that were checked; ``sync_free``: it never reads a value on the host (no
    ``bool``/``item``/... on an array, no Python branch on data), so it may run where the
    call's checks do not read values (``value_checks="defer"``, accelerator data in
    ``"auto"``); a kernel that is not runs only where they may. ``takes_reads``: ``fn``
    takes the call's ``reads`` as a keyword (bound by the registry) and reads values on the
    host only where it is true -- a Python branch that skips a correction nothing needs,
    free on the CPU -- and is sync-free where it is false.
    """

    fn: Callable[..., Array]
    applies: Callable[..., bool] = lambda *args: True
    reduces: bool = False
    needs_checked: bool = False
    sync_free: bool = False
    takes_reads: bool = False
