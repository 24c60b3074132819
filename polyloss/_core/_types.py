"""Type aliases for signatures: any array-API array, and an array-API namespace."""

from __future__ import annotations

from typing import Any, TypeAlias

#: An array of any array-API library (NumPy, PyTorch, JAX, CuPy, Dask, array-api-strict).
Array: TypeAlias = Any
#: An array-API namespace (what ``array_api_compat.array_namespace`` returns).
Namespace: TypeAlias = Any

__all__ = ["Array", "Namespace"]
