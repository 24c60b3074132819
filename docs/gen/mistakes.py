"""Write docs/_generated/mistakes.md: run each classic input mistake and record what polyloss says.

Each mistake is a short NumPy snippet. It is executed against the installed polyloss
with every warning recorded, and the page shows the snippet with the outcome as it
is at build time: the exception or warning with its message, or the value returned
when polyloss does not (or need not) object. Nothing on the page is typed by hand,
so it follows the library as detection is added or changed.
"""

from __future__ import annotations

import textwrap
import warnings
from dataclasses import dataclass
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "_generated" / "mistakes.md"

SETUP = """\
import numpy as np
import polyloss as pl

logits = np.asarray([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]])  # raw scores, 2 samples x 3 classes
target = np.asarray([0, 1])                                # class indices
z = np.asarray([1.8, -0.75, 3.2])                          # binary logits
y = np.asarray([1.0, 0.0, 1.0])                            # binary targets
"""


@dataclass(frozen=True)
class Mistake:
    title: str
    why: str  # what goes wrong without a check
    code: str  # the mistaken call; its value is the last expression
    fix: str = ""
    right: str = ""  # the correct call, whose value is shown beside a silently wrong one


MISTAKES = [
    Mistake(
        "Probabilities passed to `cross_entropy` (softmax applied twice)",
        "`cross_entropy` applies `log_softmax` itself. Fed probabilities, it computes the "
        "softmax of the softmax: the loss barely moves and the gradients shrink, silently.",
        "probs = pl.softmax(logits, axis=1)\npl.cross_entropy(probs, target)",
        "pass the logits: `pl.cross_entropy(logits, target)`.",
    ),
    Mistake(
        "Probabilities passed to `nll_loss`",
        "`nll_loss` wants log-probabilities. On probabilities it returns minus the mean "
        "probability of the target: a number in [-1, 0] that looks like a loss.",
        "probs = pl.softmax(logits, axis=1)\npl.nll_loss(probs, target)",
        "`pl.nll_loss(pl.log_softmax(logits, axis=1), target)`, or simply `pl.cross_entropy(logits, target)`.",
    ),
    Mistake(
        "Logits passed to `nll_loss`",
        "Raw scores are not log-probabilities; `nll_loss` on them is not a loss at all.",
        "pl.nll_loss(logits, target)",
        "`pl.cross_entropy(logits, target)`.",
    ),
    Mistake(
        "Logits passed to `binary_cross_entropy`",
        "`binary_cross_entropy` wants probabilities in [0, 1]; the log of a negative "
        "\"probability\" is NaN and one above 1 gives a negative loss.",
        "pl.binary_cross_entropy(z, y)",
        "`pl.binary_cross_entropy_with_logits(z, y)`, which is also more accurate.",
    ),
    Mistake(
        "Probabilities passed to `binary_cross_entropy_with_logits` (sigmoid applied twice)",
        "Every value in [0, 1] is a legitimate logit, so this cannot be told from a correct "
        "call by looking at the values.",
        "pl.binary_cross_entropy_with_logits(pl.sigmoid(z), y)",
        "pass the logits `z`.",
        "pl.binary_cross_entropy_with_logits(z, y)",
    ),
    Mistake(
        "`log_softmax` output passed to `cross_entropy` (a LogSoftmax layer, then cross entropy)",
        "Harmless for the value: `log_softmax` is shift-invariant, so "
        "`log_softmax(log_softmax(x)) == log_softmax(x)` and the loss is the same; it only "
        "costs a second pass.",
        "pl.cross_entropy(pl.log_softmax(logits, axis=1), target)",
        "drop the extra `log_softmax`, or use `nll_loss` on the log-probabilities.",
        "pl.cross_entropy(logits, target)",
    ),
    Mistake(
        "Target with a trailing axis of 1",
        "A target of shape (N, 1) instead of (N,), as a column vector from a data loader.",
        "pl.cross_entropy(logits, target[:, None])",
        "`target.reshape(-1)`.",
    ),
    Mistake(
        "Class index out of range",
        "Labels numbered from 1, or a class count that is one short.",
        "pl.cross_entropy(logits, target + 2)",
        "labels in `[0, C - 1]`; mark padding with `ignore_index`.",
    ),
    Mistake(
        "Integer logits",
        "An integer array where scores belong, e.g. labels passed in the wrong order.",
        "pl.cross_entropy(target, logits)",
        "`input` first, then `target`.",
    ),
    Mistake(
        "A misspelt reduction",
        "",
        'pl.cross_entropy(logits, target, reduction="avg")',
        '`reduction` is one of "none", "mean", "sum".',
    ),
    Mistake(
        "Arrays from two libraries in one call",
        "A NumPy target next to a PyTorch input.",
        "import torch\npl.cross_entropy(torch.asarray(logits), target)",
        "convert the target to the input's library.",
    ),
]


def _run(code: str) -> tuple[str, str, str]:
    """(kind, name, text): kind is "error", "warning" or "value"."""
    ns: dict = {}
    exec(SETUP, ns)
    *body, last = code.strip().splitlines()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec("\n".join(body), ns)
            value = eval(last, ns)
        except Exception as exc:  # what the user would see
            if isinstance(exc, ImportError):  # the docs environment lacks a library: not a polyloss message
                raise
            return "error", type(exc).__name__, str(exc)
    if caught:
        w = caught[0]
        return "warning", w.category.__name__, str(w.message)
    return "value", "", _number(value)


def _number(value: object) -> str:
    return f"{float(value):.6g}"


def render() -> str:
    import numpy as np

    np.set_printoptions(precision=6)
    out = [
        "<!-- Generated by docs/gen/mistakes.py; do not edit. -->",
        "",
        "Each mistake below was run against the installed polyloss when these pages were built;",
        "the outcome is what it printed. All snippets start from:",
        "",
        "```python",
        SETUP.rstrip(),
        "```",
        "",
        "| mistake | what polyloss does |",
        "| --- | --- |",
    ]
    results = [(m, _run(m.code)) for m in MISTAKES]
    from markdown.extensions.toc import slugify

    labels = {"error": "raises `{}`", "warning": "warns `{}`", "value": "returns a value, no message"}
    for m, (kind, name, _) in results:
        anchor = slugify(m.title.replace("`", ""), "-")  # the id Python-Markdown's toc gives the heading
        out.append(f"| [{m.title}](#{anchor}) | {labels[kind].format(name)} |")
    for m, (kind, name, text) in results:
        out += ["", f"### {m.title}", ""]
        if m.why:
            out += [m.why, ""]
        out += ["```python", m.code, "```", ""]
        if kind == "value":
            right = ""
            if m.right:
                right = f" The right call, `{m.right}`, gives {_run(m.right)[2]}."
            out += ['!!! note "No error or warning"', "", f"    Returns {text}.{right}", ""]
        else:
            admonition = "failure" if kind == "error" else "warning"
            body = textwrap.fill(text, 88, break_long_words=False, break_on_hyphens=False)
            out += [f'!!! {admonition} "{name}"', "", textwrap.indent(body, "    "), ""]
        if m.fix:
            out += [f"**Fix:** {m.fix}", ""]
    return "\n".join(out).rstrip() + "\n"


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(render())
    print(f"wrote {OUT} ({len(MISTAKES)} mistakes)")


if __name__ == "__main__":
    main()
