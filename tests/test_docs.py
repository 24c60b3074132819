"""Every example in the documentation runs: docstring examples and the docs/ pages' code.

(a) The ``Examples`` of every public polyloss name are run as doctests (NumPy).
(b) The ```python blocks of ``docs/*.md`` and ``README.md`` are each executed by itself,
    in a fresh namespace, as a reader who copies one block runs it: every block imports
    and defines what it uses. A block that imports a library
    that is not installed, or needs a GPU that is not there, is skipped with the reason;
    a block preceded by ``<!-- docs-test: skip REASON -->`` is skipped with REASON.

The pages are also built by ``nox -s docs``; these tests keep their examples from rotting
in every test session.
"""

from __future__ import annotations

import ast
import doctest
import importlib.util
import inspect
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

import polyloss

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

# -- (a) docstrings ----------------------------------------------------------------------

#: Public names whose docstring need not carry an example, and why.
NO_EXAMPLE = {
    "LikelyMistakeWarning": "a warning class; docs/inputs.md shows it raised",
    "get_options": "shown by the example of `options`",
    "set_options": "shown by the example of `options`",
}

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _doctests(name: str) -> list[doctest.DocTest]:
    obj = getattr(polyloss, name)
    finder = doctest.DocTestFinder(recurse=isinstance(obj, type))
    return [t for t in finder.find(obj, name=f"polyloss.{name}", globs={}) if t.examples]


@pytest.mark.parametrize("name", polyloss.__all__)
def test_docstring_examples(name: str) -> None:
    tests = _doctests(name)
    if not tests:
        if name in NO_EXAMPLE:
            pytest.skip(f"no example: {NO_EXAMPLE[name]}")
        pytest.fail(f"polyloss.{name} has no example in its docstring")
    pytest.importorskip("numpy")
    out: list[str] = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in tests:
        runner.run(test, out=out.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(out)


def _sections(doc: str) -> dict[str, list[str]]:
    """The lines of each NumPy-style section (``Title`` underlined with dashes) of a docstring."""
    lines = doc.splitlines()
    sections: dict[str, list[str]] = {}
    current = None
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and line.strip() and set(lines[i + 1].strip()) == {"-"}:
            current = sections.setdefault(line.strip(), [])
        elif current is not None and not set(line.strip()) == {"-"}:
            current.append(line)
    return sections


def _entries(lines: list[str]) -> list[str]:
    """The names of a Parameters-like section: its unindented lines, ``name : type`` or ``name``."""
    names = []
    for line in lines:
        if line.strip() and not line[0].isspace():
            names += [n.strip() for n in line.split(" : ")[0].split(",")]
    return names


FUNCTIONS = [name for name in polyloss.__all__ if not isinstance(getattr(polyloss, name), type)]


def _source_docstring(obj: object) -> str | None:
    """The docstring as written in the source, which is what the docs site renders (griffe
    reads the source): text spliced into ``__doc__`` at import time would not show there."""
    fn = inspect.unwrap(obj)
    tree = ast.parse(Path(inspect.getsourcefile(fn)).read_text(encoding="utf-8"))
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == fn.__name__)
    return ast.get_docstring(node)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_docstring_sections(name: str) -> None:
    """Every public function documents each argument and what it returns (NumPy style)."""
    obj = getattr(polyloss, name)
    doc = _source_docstring(obj)
    assert doc, f"polyloss.{name} has no docstring"
    assert doc == inspect.getdoc(obj), f"polyloss.{name}: __doc__ differs from the docstring in the source"
    sections = _sections(doc)
    params = [
        ("**" if p.kind is p.VAR_KEYWORD else "*" if p.kind is p.VAR_POSITIONAL else "") + p.name
        for p in inspect.signature(obj).parameters.values()
    ]
    assert _entries(sections.get("Parameters", [])) == params, f"polyloss.{name}: Parameters must list {params}"
    returns = [line for line in sections.get("Returns", []) if line.strip()]
    assert returns, f"polyloss.{name} has no Returns section"


# -- (b) the pages' code blocks ----------------------------------------------------------

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$")
_SKIP = re.compile(r"<!--\s*docs-test:\s*skip\s*(?P<reason>.*?)\s*-->")


@dataclass(frozen=True)
class Block:
    page: str
    line: int  # 1-based line of the opening fence
    code: str
    skip: str | None  # reason given in the page, if any

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def python_blocks(path: Path) -> list[Block]:
    """The ```python fenced blocks of a Markdown page, dedented, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        lang = m["info"].split()[0].lower() if m["info"].strip() else ""
        start, fence, body = i, m["fence"], []
        i += 1
        while i < len(lines) and not (lines[i].strip().startswith(fence) and not lines[i].strip()[len(fence):].strip()):
            body.append(lines[i])
            i += 1
        i += 1
        if lang in ("python", "py", "python3", "pycon"):
            prev = next((line for line in reversed(lines[:start]) if line.strip()), "")
            skip = _SKIP.search(prev)
            code = textwrap.dedent("\n".join(body))
            blocks.append(Block(path.name, start + 1, code, skip["reason"] or "marked skip" if skip else None))
    return blocks


def _missing_requirement(code: str) -> str | None:
    """Why the block cannot run here (a library or a device missing), else None."""
    tree = ast.parse(code)
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module.split(".")[0])
    for mod in sorted(modules):
        if importlib.util.find_spec(mod) is None:
            return f"needs {mod}, which is not installed"
    if "cupy" in modules:
        try:
            import cupy

            if cupy.cuda.runtime.getDeviceCount() < 1:
                return "needs a CUDA device for CuPy"
        except Exception as exc:  # no driver, no device
            return f"needs a CUDA device for CuPy ({type(exc).__name__})"
    if re.search(r"""["']cuda["']|\.cuda\(""", code):
        import torch

        if not torch.cuda.is_available():
            return "needs a CUDA device"
    return None


PAGES = sorted(DOCS.glob("*.md"))
README = ROOT / "README.md"
BLOCKS = [b for page in PAGES for b in python_blocks(page)] + python_blocks(README)


def test_docs_have_python_examples() -> None:
    assert PAGES, f"no pages under {DOCS}"
    assert BLOCKS, "no ```python block found in docs/*.md"


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_docs_code_block(block: Block) -> None:
    if block.skip:
        pytest.skip(block.skip)
    reason = _missing_requirement(block.code)
    if reason:
        pytest.skip(reason)
    ns = {"__name__": f"docs_{Path(block.page).stem}"}  # fresh: the block runs by itself
    where = block.id if block.page == README.name else f"docs/{block.id}"
    exec(compile(block.code, where, "exec"), ns)


# -- the generators under docs/gen (the fast ones; nox -s docs runs them all) ------------


@pytest.fixture
def gen(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(DOCS / "gen"))
    import importlib

    return importlib.import_module


def test_api_page_lists_every_public_name(gen) -> None:
    text = gen("api_reference").render()
    for name in polyloss.__all__:
        assert f"\n::: polyloss.{name}\n" in text, name
        assert f"[`{name}`][polyloss.{name}]" in text, name


def test_mistakes_page_records_what_polyloss_says(gen) -> None:
    pytest.importorskip("torch", reason="one mistake mixes NumPy and PyTorch arrays")
    pytest.importorskip("markdown", reason="the page's anchors use Python-Markdown (docs session)")
    mistakes = gen("mistakes")
    text = mistakes.render()
    for m in mistakes.MISTAKES:
        assert f"### {m.title}" in text
    # the outcome is run, not typed: a logit passed to binary_cross_entropy raises
    assert mistakes._run("pl.binary_cross_entropy(z, y)")[:2] == ("error", "ValueError")
    assert mistakes._run("pl.cross_entropy(logits, target)")[0] == "value"


def test_rst_math_to_markdown(gen) -> None:
    rst = gen("griffe_rst_math")
    doc = "Intro :math:`x^2`, see :func:`cross_entropy`.\n\n.. math:: a = b\n          + c\n\nAfter.\n"
    out = rst.rst_to_markdown(doc, frozenset({"cross_entropy"}))
    assert out == "Intro $x^2$, see [`cross_entropy`][polyloss.cross_entropy].\n\n$$\na = b\n+ c\n$$\n\nAfter."
    block = "Text\n\n.. math::\n    \\ell = 1\n\n    \\ell = 2\nNext"
    assert rst.convert_math_directives(block) == "Text\n\n$$\n\\ell = 1\n\\ell = 2\n$$\n\nNext"
    choices = 'reduction : {"none", "mean", "sum"}'
    assert rst.default_first(choices, {"reduction": "'mean'"}) == 'reduction : {"mean", "none", "sum"}'


# -- the fence parser itself ---------------------------------------------------------------


def test_python_blocks_parser(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text(
        "text\n\n```python\nx = 1\n```\n\n```bash\nls\n```\n\n"
        "<!-- docs-test: skip needs a cluster -->\n```python\ny = 2\n```\n\n"
        "!!! note\n\n    ```python\n    z = 3\n    ```\n"
    )
    blocks = python_blocks(page)
    assert [(b.line, b.code.strip(), b.skip) for b in blocks] == [
        (3, "x = 1", None),
        (12, "y = 2", "needs a cluster"),
        (18, "z = 3", None),
    ]


def test_skip_detection() -> None:
    assert _missing_requirement("import numpy as np\n") is None
    assert _missing_requirement("import surely_not_a_module_xyz\n") == (
        "needs surely_not_a_module_xyz, which is not installed"
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))


# -- the site check (docs/gen/check_site.py; nox -s site_check runs it on the built site) --


def test_site_check_reports_console_errors_and_broken_links(gen, tmp_path: Path) -> None:
    check_site = gen("check_site")
    events = [
        {"method": "Runtime.consoleAPICalled", "params": {"type": "error", "args": [{"value": "boom"}]}},
        {"method": "Runtime.consoleAPICalled", "params": {"type": "log", "args": [{"value": "fine"}]}},
        {"method": "Log.entryAdded", "params": {"entry": {"level": "error", "source": "network", "text": "404",
                                                          "url": "http://127.0.0.1:1/x.woff"}}},
        {"method": "Network.requestWillBeSent", "params": {"requestId": "1", "request": {"url": "http://127.0.0.1:1/a.js"}}},
        {"method": "Network.loadingFailed", "params": {"requestId": "1", "errorText": "net::ERR_FAILED"}},
    ]
    assert check_site._problems_of(events) == [
        "console.error: boom",
        "browser log (network): 404 http://127.0.0.1:1/x.woff",
        "request failed (net::ERR_FAILED): http://127.0.0.1:1/a.js",
    ]
    (tmp_path / "page").mkdir()
    (tmp_path / "page" / "index.html").write_text("<h2 id='here'>x</h2>")
    base = "http://127.0.0.1:1/"
    assert check_site._target_file(tmp_path, base, base + "page/") == tmp_path / "page" / "index.html"
    assert check_site._target_file(tmp_path, base, base + "missing/") is None


def test_site_check_in_a_browser(gen, tmp_path: Path) -> None:
    """The whole check on a two-page site with one console error and one broken link."""
    pytest.importorskip("websockets", reason="the DevTools client of the site check (nox -s site_check)")
    import shutil

    if not any(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")):
        pytest.skip("no Chromium here (nox -s site_check runs the check where one is installed)")
    check_site = gen("check_site")
    icon = "<head><link rel='icon' href='data:,'></head>"  # no request for /favicon.ico
    (tmp_path / "index.html").write_text(
        f"<html>{icon}<body><h1 id='top'>ok</h1><a href='other.html#top'>fine</a></body></html>")
    (tmp_path / "other.html").write_text(
        f"<html>{icon}<body><h1 id='top'>x</h1><script>console.error('boom')</script>"
        "<a href='index.html#nowhere'>bad anchor</a><a href='gone.html'>gone</a></body></html>")
    problems = check_site.check(tmp_path)
    assert any(p.startswith("other.html: console.error: boom") for p in problems), problems
    assert any("broken anchor" in p and p.endswith("index.html#nowhere") for p in problems), problems
    assert any("broken link" in p and p.endswith("gone.html") for p in problems), problems
    assert not [p for p in problems if p.startswith("index.html")], problems
