"""Public losses: each function parses its arguments, runs the static checks, declares its
value checks, calls a kernel (``polyloss._kernels``) or core math, and reduces once."""
