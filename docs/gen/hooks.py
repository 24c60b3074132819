"""MkDocs hooks (``hooks:`` in mkdocs.yml): check the generated inputs, and serve MathJax.

MathJax 3 is bundled when the ``django-static-mathjax`` package is installed (``nox -s
docs`` installs it without its dependencies: only its static files, the MathJax 3 ``es5``
tree, are used): the ``tex-mml-chtml`` component, the TeX extensions it autoloads, the
CommonHTML fonts and the menu's modules are copied into the site, so pages render
formulas with no network at all and without font probing (MathJax 2 logged an error
for every page with math). Without it, the same MathJax 3 is loaded from a CDN when a
page is viewed.
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
COMPONENT = "tex-mml-chtml.js"
#: What of the es5 tree the component loads: TeX extensions (autoload), the CommonHTML
#: output's fonts, the menu and its accessibility modules (speech rule engine included).
BUNDLED_PARTS = ("input", "output/chtml", "ui", "a11y", "sre", "adaptors")


def _mathjax_static() -> Path | None:
    """The MathJax 3 ``es5`` directory of django-static-mathjax, if installed."""
    # find_spec locates the package without importing it
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        return None
    es5 = Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax" / "es5"
    return es5 if (es5 / COMPONENT).is_file() else None


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
        config.extra_javascript.extend(["javascripts/mathjax-v3.js", f"{BUNDLED_DIR}/{COMPONENT}"])
    else:
        log.info("django-static-mathjax is not installed: MathJax comes from a CDN at view time")
        config.extra_javascript.extend(["javascripts/mathjax-v3.js", MATHJAX_CDN])
    return config


def on_post_build(config, **kwargs):
    es5 = _mathjax_static()
    if es5 is None:
        return
    dest = Path(config.site_dir) / BUNDLED_DIR
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copy2(es5 / COMPONENT, dest / COMPONENT)
    for part in BUNDLED_PARTS:
        if (es5 / part).is_dir():
            shutil.copytree(es5 / part, dest / part, ignore=shutil.ignore_patterns("*.map"))
