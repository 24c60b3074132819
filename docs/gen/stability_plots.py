"""Plots for docs/stability.md: relative error of naive formulas and of polyloss, against mpmath.

Writes ``docs/img/stability-*.png`` and ``docs/_generated/stability_table.md`` (the
worst error of every curve). Each curve evaluates an implementation on a grid of inputs
that are exact in the plotted dtype; the reference is computed in mpmath from those
exact inputs, so the only error measured is the implementation's own. The thin grey
line is the error of the correctly rounded result: the best any implementation can do
in that dtype.

Run from the repository root: ``python docs/gen/stability_plots.py`` (nox -s docs does).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mpmath  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import polyloss as pl  # noqa: E402

mpmath.mp.prec = 400  # exact differences of float inputs; log1p resolves tiny sums
DOCS = Path(__file__).resolve().parent.parent
IMG = DOCS / "img"
TABLE = DOCS / "_generated" / "stability_table.md"

TOP = 1e2  # non-finite results (inf, NaN) are drawn here, above every finite error
COLORS = {"naive": "#d62728", "shifted softmax, then log": "#ff7f0e", "torch.nn.functional": "#9467bd",
          "polyloss": "#1f77b4"}
STYLES = {"naive": "-", "shifted softmax, then log": "-", "torch.nn.functional": "--", "polyloss": "-"}

TORCH_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32,
                "float64": torch.float64}
EPS = {"float16": 2.0**-10, "bfloat16": 2.0**-7, "float32": 2.0**-23, "float64": 2.0**-52}
TINY = {"float16": 2.0**-14, "bfloat16": 2.0**-126, "float32": 2.0**-126, "float64": 2.0**-1022}  # smallest normal


# -- exact inputs and the reference ---------------------------------------------------


def exact(values: np.ndarray, dtype: str) -> np.ndarray:
    """``values`` rounded to ``dtype``, returned as float64 (exact: every format fits in it)."""
    return torch.asarray(np.asarray(values, dtype=np.float64)).to(TORCH_DTYPES[dtype]).double().numpy()


def as_torch(values: np.ndarray, dtype: str) -> torch.Tensor:
    return torch.asarray(values).to(TORCH_DTYPES[dtype])


def to_float64(result) -> np.ndarray:
    if isinstance(result, torch.Tensor):
        return result.detach().double().numpy()
    return np.asarray(result, dtype=np.float64)


def rel_err(got: np.ndarray, ref: list) -> np.ndarray:
    """|got - ref| / |ref| per point (inf where ``got`` is not finite), in float64."""
    out = np.empty(len(ref))
    for i, (g, r) in enumerate(zip(got.ravel(), ref)):
        if not math.isfinite(g):
            out[i] = math.inf
        else:
            out[i] = float(abs(mpmath.mpf(float(g)) - r) / abs(r))
    return out


def rounded(ref: list, dtype: str) -> np.ndarray:
    """The correctly rounded reference in ``dtype`` (as float64)."""
    return exact(np.asarray([float(r) for r in ref]), dtype)


# -- curves ---------------------------------------------------------------------------


@dataclass
class Panel:
    title: str
    dtype: str
    x: np.ndarray  # abscissa (exact in dtype where it is the input)
    ref: list  # mpmath reference per point
    xlabel: str = "x"
    logx: bool = False
    impls: dict[str, np.ndarray] = field(default_factory=dict)  # name -> results (float64)

    def errors(self) -> dict[str, np.ndarray]:
        errs = {name: rel_err(got, self.ref) for name, got in self.impls.items()}
        errs["correctly rounded"] = rel_err(rounded(self.ref, self.dtype), self.ref)
        return errs


def _np_dtype(dtype: str):
    return {"float32": np.float32, "float64": np.float64}[dtype]


def log_sigmoid_panel(dtype: str, lim: float, n: int) -> Panel:
    x = exact(np.linspace(-lim, lim, n), dtype)
    ref = [-mpmath.log1p(mpmath.exp(-mpmath.mpf(v))) for v in x]
    p = Panel(f"log sigmoid(x), {dtype}", dtype, x, ref)
    if dtype in ("float32", "float64"):
        xd = x.astype(_np_dtype(dtype))
        with np.errstate(all="ignore"):
            p.impls["naive"] = to_float64(np.log(1 / (1 + np.exp(-xd))))
        p.impls["polyloss"] = to_float64(pl.log_sigmoid(xd))
    else:  # NumPy has no bfloat16: the low-precision panels run on torch
        xt = as_torch(x, dtype)
        p.impls["naive"] = to_float64(torch.log(1 / (1 + torch.exp(-xt))))
        p.impls["polyloss"] = to_float64(pl.log_sigmoid(xt))
    return p


def bce_panel(dtype: str, lim: float, n: int) -> Panel:
    """Elementwise BCE with logits at target y = 0 (y = 1 is the mirror image z -> -z)."""
    z = exact(np.linspace(-lim, lim, n), dtype)
    ref = [mpmath.log1p(mpmath.exp(mpmath.mpf(v))) for v in z]  # softplus(z)
    p = Panel(f"binary cross entropy with logits, y = 0, {dtype}", dtype, z, ref, xlabel="logit z")
    zd, y = z.astype(_np_dtype(dtype)), np.zeros(n, dtype=_np_dtype(dtype))
    with np.errstate(all="ignore"):
        s = 1 / (1 + np.exp(-zd))
        p.impls["naive"] = to_float64(-(y * np.log(s) + (1 - y) * np.log(1 - s)))
    zt, yt = as_torch(z, dtype), as_torch(np.zeros(n), dtype)
    p.impls["torch.nn.functional"] = to_float64(
        torch.nn.functional.binary_cross_entropy_with_logits(zt, yt, reduction="none"))
    p.impls["polyloss"] = to_float64(pl.binary_cross_entropy_with_logits(zd, y, reduction="none"))
    return p


#: One row of 10 logits, scaled: the top class leads the next by 1, the last trails by 6.
BASE_ROW = np.asarray([3.0, 2.0, 1.5, 1.0, 0.5, 0.0, -0.5, -1.0, -2.0, -3.0])


def ce_panel(dtype: str, target: int, scales: np.ndarray) -> Panel:
    rows = np.stack([exact(s * BASE_ROW, dtype) for s in scales])
    ref = []
    for row in rows:
        d = [mpmath.mpf(v) - mpmath.mpf(row[target]) for v in row]  # exact differences
        ref.append(mpmath.log1p(mpmath.fsum(mpmath.exp(dj) for j, dj in enumerate(d) if j != target)))
    which = "the most likely class" if target == int(np.argmax(BASE_ROW)) else "the least likely class"
    p = Panel(f"cross entropy, target {which}, {dtype}", dtype, scales, ref,
              xlabel="logit scale s (logits = s × row)", logx=True)
    t = np.full(len(scales), target)
    if dtype in ("float32", "float64"):
        xd = rows.astype(_np_dtype(dtype))
        with np.errstate(all="ignore"):
            e = np.exp(xd)
            p.impls["naive"] = to_float64(-np.log(e[:, target] / e.sum(axis=1)))
            e = np.exp(xd - xd.max(axis=1, keepdims=True))
            p.impls["shifted softmax, then log"] = to_float64(-np.log(e[:, target] / e.sum(axis=1)))
        p.impls["polyloss"] = to_float64(pl.cross_entropy(xd, t, reduction="none"))
    else:
        xt = as_torch(rows, dtype)
        e = torch.exp(xt)
        p.impls["naive"] = to_float64(-torch.log(e[:, target] / e.sum(axis=1)))
        e = torch.exp(xt - xt.max(axis=1, keepdims=True).values)
        p.impls["shifted softmax, then log"] = to_float64(-torch.log(e[:, target] / e.sum(axis=1)))
        p.impls["polyloss"] = to_float64(pl.cross_entropy(xt, torch.asarray(t), reduction="none"))
    return p


# -- drawing --------------------------------------------------------------------------


def _spans(x: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """Contiguous x ranges where ``mask`` holds, each widened to the midpoints around it."""
    spans, start = [], None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        if start is not None and (not m or i == len(mask) - 1):
            stop = i if m else i - 1
            lo = x[start] if start == 0 else (x[start - 1] + x[start]) / 2
            hi = x[stop] if stop == len(x) - 1 else (x[stop] + x[stop + 1]) / 2
            spans.append((lo, hi))
            start = None
    return spans


def draw(panels: list[Panel], path: Path, *, ncols: int) -> list:
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.6 * ncols, 3.7 * nrows), squeeze=False)
    rows = []
    for ax, panel in zip(axes.flat, panels):
        errs = panel.errors()
        eps, floor = EPS[panel.dtype], EPS[panel.dtype] * 1e-3
        # Where the true value is below the dtype's normal range (subnormal, or rounding to 0),
        # even the correctly rounded result loses relative accuracy: the region is shaded, and
        # the table's worst error leaves it out.
        normal = np.asarray([abs(r) >= TINY[panel.dtype] for r in panel.ref])
        for k, (lo, hi) in enumerate(_spans(panel.x, ~normal)):
            ax.axvspan(lo, hi, color="0.85", lw=0, zorder=0,
                       label="true value underflows the dtype" if k == 0 else None)
        for name, err in errs.items():
            shown = np.where(np.isfinite(err), np.clip(err, floor, TOP), TOP)
            if name == "correctly rounded":
                ax.plot(panel.x, shown, color="0.45", lw=0.8, label=name, zorder=1)
                continue
            ax.plot(panel.x, shown, STYLES[name], color=COLORS[name], lw=1.4, label=name,
                    zorder=3 if name == "polyloss" else 2)
            finite = err[np.isfinite(err) & normal]
            rows.append((panel.title.rsplit(",", 1)[0], panel.dtype, name,
                         float(finite.max()) if finite.size else math.inf,
                         int((~np.isfinite(err)).sum()), len(err)))
        ax.axhline(eps, color="0.3", ls=":", lw=0.8)
        x0 = panel.x[0]
        ax.text(x0, eps * 2, " machine epsilon", fontsize=7, color="0.3", va="bottom")
        ax.text(x0, TOP / 2.5, " inf / NaN", fontsize=7, color="0.3", va="top")
        ax.set_yscale("log")
        ax.set_ylim(floor / 2, TOP * 3)
        if panel.logx:
            ax.set_xscale("log")
        ax.set_xlim(panel.x[0], panel.x[-1])
        ax.set_title(panel.title, fontsize=10)
        ax.set_xlabel(panel.xlabel)
        ax.set_ylabel("relative error")
        ax.grid(True, which="major", alpha=0.3)
    handles: dict = {}
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=len(handles), frameon=False,
               fontsize=9)
    fig.tight_layout(rect=(0, 0.07 if nrows == 1 else 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"wrote {path}")
    return rows


def _fmt(err: float) -> str:
    return "inf" if not math.isfinite(err) else f"{err:.2g}"


def table(rows: list) -> str:
    """One row per (function, dtype), one column per implementation: the worst error in
    units of the unit roundoff u, and how many results were inf or NaN."""
    present = {r[2] for r in rows}
    impls = [n for n in COLORS if n in present]  # naive first, polyloss last
    cells: dict = {}
    for func, dtype, name, worst, bad, n in rows:
        units = _fmt(worst / (EPS[dtype] / 2)) if math.isfinite(worst) else "inf"
        text = f"**{units}**" if name == "polyloss" else units
        cells.setdefault((func, dtype), {})[name] = text + (f" · {bad} of {n} inf/NaN" if bad else "")
    out = [
        "<!-- Generated by docs/gen/stability_plots.py; do not edit. -->",
        "",
        "| function | dtype | " + " | ".join(impls) + " |",
        "| --- | --- | " + " | ".join("---:" for _ in impls) + " |",
    ]
    for (func, dtype), by_impl in cells.items():
        out.append(f"| {func} | {dtype} | " + " | ".join(by_impl.get(i, "–") for i in impls) + " |")
    return "\n".join(out) + "\n"


def main() -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    rows += draw([log_sigmoid_panel("float32", 120, 961), log_sigmoid_panel("float64", 800, 1601)],
                 IMG / "stability-log-sigmoid.png", ncols=2)
    rows += draw([bce_panel("float32", 120, 961), bce_panel("float64", 800, 1601)],
                 IMG / "stability-bce-with-logits.png", ncols=2)
    scales = np.logspace(-2, 4, 241)
    top, last = int(np.argmax(BASE_ROW)), int(np.argmin(BASE_ROW))
    rows += draw([ce_panel(d, t, scales) for d in ("float32", "float64") for t in (top, last)],
                 IMG / "stability-cross-entropy.png", ncols=2)
    low_scales = np.logspace(-2, 3, 201)
    rows += draw([log_sigmoid_panel("float16", 100, 801), log_sigmoid_panel("bfloat16", 100, 801),
                  ce_panel("float16", top, low_scales), ce_panel("bfloat16", top, low_scales),
                  ce_panel("float16", last, low_scales), ce_panel("bfloat16", last, low_scales)],
                 IMG / "stability-low-precision.png", ncols=2)
    TABLE.write_text(table(rows))
    print(f"wrote {TABLE}")


if __name__ == "__main__":
    main()
