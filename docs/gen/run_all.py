"""Run every docs generator, in order (``nox -s docs`` calls this before ``mkdocs build``).

Each writes under docs/_generated/ or docs/img/ (both ignored by git):
api_reference (the API page from ``polyloss.__all__``), mistakes (what polyloss says
to the classic input mistakes), stability_plots (error plots and table against mpmath), linear_memory (peak memory of
linear_cross_entropy against vocabulary size), scoreboard (the conformance suite run on every implementation),
peers (the peer scoreboard, from the reports nox -s peers committed under docs/_peers/).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api_reference  # noqa: E402
import linear_memory  # noqa: E402
import mistakes  # noqa: E402
import peers  # noqa: E402
import scoreboard  # noqa: E402
import stability_plots  # noqa: E402


def main() -> None:
    for gen in (api_reference, mistakes, stability_plots, linear_memory, scoreboard, peers):
        start = time.perf_counter()
        gen.main()
        print(f"-- {gen.__name__}: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
