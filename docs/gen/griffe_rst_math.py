"""Griffe extension: turn the reStructuredText in NumPy-style docstrings into Markdown.

polyloss docstrings follow numpydoc, which is reStructuredText; mkdocstrings renders
docstring text as Markdown. This rewrites, before the docstring is parsed:

- ``.. math:: formula`` (one line, or an indented block) into a ``$$ ... $$`` block
  that ``pymdownx.arithmatex`` typesets;
- ``:math:`x``` into ``$x$``;
- ``:func:`name``` / ``:class:`name``` into a link to the API entry when ``name`` is
  public in polyloss, else into inline code;
- a parameter typed as a set of choices, ``reduction : {"none", "mean", "sum"}``, lists
  the signature's default first: numpydoc reads the first choice as the default, and
  the rendered table must show the real one.

Used from mkdocs.yml (``extensions: [docs/gen/griffe_rst_math.py:RstMath]``).
"""

from __future__ import annotations

import re
from typing import Any

try:
    import griffe
except ImportError:  # the conversions below work without it (docs/gen/api_reference.py uses them)
    griffe = None

_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\. math::[ \t]*(?P<rest>.*)$")
_MATH_ROLE = re.compile(r":math:`([^`]+)`")
_XREF_ROLE = re.compile(r":(?:func|class|meth|data|attr|obj|exc|mod):`~?([^`]+)`")
_CHOICES = re.compile(r"^(?P<head>[ \t]*(?P<name>\w+)[ \t]*:[ \t]*)\{(?P<choices>[^{}]+)\}[ \t]*$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def convert_math_directives(text: str) -> str:
    """Replace every ``.. math::`` directive by a ``$$`` block at the directive's indentation."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        indent = m["indent"]
        body = [m["rest"].strip()] if m["rest"].strip() else []
        i += 1
        # The directive's content: following lines indented deeper than ``..`` (blank
        # lines included, when more content follows them).
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > len(indent)):
            if lines[i].strip():
                body.append(lines[i].strip())
            elif not any(line.strip() and _indent(line) > len(indent) for line in lines[i + 1 : i + 2]):
                break
            i += 1
        out += [f"{indent}$$", *(f"{indent}{b}" for b in body), f"{indent}$$"]
        if i < len(lines) and lines[i].strip():
            out.append("")  # end the block before the text that follows
    return "\n".join(out)


def _xref(public: frozenset[str]):
    def repl(m: re.Match) -> str:
        name = m[1].rsplit(".", 1)[-1]
        return f"[`{name}`][polyloss.{name}]" if name in public else f"`{m[1]}`"

    return repl


def default_first(text: str, defaults: dict[str, str]) -> str:
    """Move each parameter's default (a signature default, as source) to the front of its ``{choices}``."""

    def bare(v: str) -> str:
        return v.strip().strip("'\"")

    out = []
    for line in text.splitlines():
        m = _CHOICES.match(line)
        if m and m["name"] in defaults:
            choices = [c.strip() for c in m["choices"].split(",")]
            first = [c for c in choices if bare(c) == bare(defaults[m["name"]])]
            if first:
                line = m["head"] + "{" + ", ".join(first + [c for c in choices if c not in first]) + "}"
        out.append(line)
    return "\n".join(out)


def rst_to_markdown(text: str, public: frozenset[str] = frozenset()) -> str:
    text = convert_math_directives(text)
    text = _MATH_ROLE.sub(lambda m: f"${m[1]}$", text)
    return _XREF_ROLE.sub(_xref(public), text)


if griffe is not None:

    class RstMath(griffe.Extension):
        """Rewrite each docstring's reStructuredText math and roles into Markdown."""

        def __init__(self) -> None:
            try:
                import polyloss

                self.public = frozenset(polyloss.__all__)
            except ImportError:  # documenting without the package importable: no links
                self.public = frozenset()

        def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
            if obj.docstring is None:
                return
            text = rst_to_markdown(obj.docstring.value, self.public)
            if isinstance(obj, griffe.Function):
                defaults = {p.name: str(p.default) for p in obj.parameters if p.default is not None}
                text = default_first(text, defaults)
            obj.docstring.value = text
