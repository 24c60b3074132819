"""MkDocs hooks (``hooks:`` in mkdocs.yml): check the generated inputs, and serve MathJax.

MathJax is bundled when the ``jupyter-server-mathjax`` package is installed (``nox -s
docs`` installs it without its dependencies: only its static files are used): its
MathJax 2 tree is copied into the site, so pages render formulas with no network
at all. Without it, MathJax 3 is loaded from a CDN when a page is viewed.
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
from pathlib import Path

from mkdocs.exceptions import PluginError

log = logging.getLogger("mkdocs.hooks.polyloss")

DOCS = Path(__file__).resolve().parent.parent
GENERATED = DOCS / "_generated"
#: Pages that other work streams write: kept in the nav only once they exist.
OTHERS_PAGES = {"backends.md", "distributed.md", "benchmarks.md", "errata.md"}
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"
BUNDLED_DIR = "assets/mathjax"


def _mathjax_static() -> Path | None:
    # find_spec locates the package without importing it (its __init__ imports jupyter_server).
    spec = importlib.util.find_spec("jupyter_server_mathjax")
    if spec is None or not spec.submodule_search_locations:
        return None
    static = Path(next(iter(spec.submodule_search_locations))) / "static"
    return static if (static / "MathJax.js").is_file() else None


def _drop_missing(nav: list) -> list:
    kept = []
    for entry in nav:
        target = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(target, str) and target in OTHERS_PAGES and not (DOCS / target).is_file():
            log.info("docs/%s does not exist yet: left out of the nav", target)
            continue
        kept.append(entry)
    return kept


def on_config(config, **kwargs):
    config.nav = _drop_missing(config.nav)
    if not (GENERATED / "api.md").is_file():
        msg = (
            f"{GENERATED} has not been generated: run `nox -s docs`, or "
            "`python docs/gen/run_all.py` before `mkdocs build`"
        )
        raise PluginError(msg)
    if _mathjax_static() is not None:
        config.extra_javascript.extend(["javascripts/mathjax-v2.js", f"{BUNDLED_DIR}/MathJax.js"])
    else:
        log.info("jupyter-server-mathjax is not installed: MathJax comes from a CDN at view time")
        config.extra_javascript.extend(["javascripts/mathjax-v3.js", MATHJAX_CDN])
    return config


def on_post_build(config, **kwargs):
    static = _mathjax_static()
    if static is None:
        return
    dest = Path(config.site_dir) / BUNDLED_DIR
    shutil.rmtree(dest, ignore_errors=True)
    # Only what the HTML-CSS output with the STIX-Web fonts needs (about 7 MB).
    shutil.copytree(static, dest, ignore=shutil.ignore_patterns("localization", "SVG", "a11y", "*.py"))
