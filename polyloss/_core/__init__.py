"""Core layer: namespace, dtype and device plumbing, checks, the one reduction, special
functions and class-axis helpers. Imports nothing from ``polyloss._kernels`` or
``polyloss._losses`` (the import contract in ``pyproject.toml`` enforces it)."""
