"""Cases for triplet_margin_loss(anchor, positive, negative, *, margin=1.0, p=2.0, eps=1e-6, swap=False,
reduction="mean")."""

from ._spec import LOW, WIDE, F, Spec, grad

FUNCTION = "triplet_margin_loss"
POSITIONAL = ("anchor", "positive", "negative")
DEFAULTS: dict = {"margin": 1.0, "p": 2.0, "eps": 1e-6, "swap": False, "reduction": "mean"}


def conventions(args, kwargs):
    return {
        "definition": "max(0, margin + d(a, p) - d(a, n)), d(x, y) = ||x - y + eps||_p over the last axis",
        "eps": "added to every component of the difference (torch.nn.functional.pairwise_distance)",
        "distance": "the plain p-norm, not squared (torch; FaceNet and the source chapter square it)",
        "swap": "d(a, n) -> min(d(a, n), d(p, n))" if kwargs["swap"] else "no swap",
        "p": kwargs["p"],
        "margin": kwargs["margin"],
        "reduction": kwargs["reduction"],
        "mean_divisor": "number of triplets (nan when empty)",
        "output_dtype": "input dtype",
    }


_A = F([["0", "0"], ["1", "2"], ["-1", "0.5"]])
_P = F([["3", "4"], ["1.5", "2"], ["0", "0"]])
_N = F([["6", "8"], ["1", "1"], ["-1", "1"]])


def specs():
    return [
        Spec("pythagorean_5_10", (F([["0", "0"]]), F([["3", "4"]]), F([["6", "8"]])), {"margin": 6.0, "eps": 0.0},
             tags=("basic",), description="6 + |(3, 4)| - |(6, 8)| = 1 (the docstring example)"),
        Spec("mean", (_A, _P, _N), tags=("basic",)),
        Spec("none", (_A, _P, _N), {"reduction": "none", "margin": 2.0}, tags=("basic", "reduction-none")),
        Spec("sum_swap", (_A, _P, _N), {"reduction": "sum", "swap": True}, tags=("reduction-sum",)),
        Spec("p1_eps_0_1", (_A, _P, _N), {"p": 1.0, "eps": 0.125, "reduction": "none"}, tags=("reduction-none",)),
        Spec("p3", (_A, _P, _N), {"p": 3.0, "reduction": "none", "margin": 0.5}, tags=("reduction-none",)),
        Spec("p3_eps_0", (_A, _P, _N), {"p": 3.0, "eps": 0.0, "margin": 5.0, "reduction": "none"},
             tags=("reduction-none",),
             description="negative differences, every hinge active: |a - b|^3, not (a - b)^3"),
        Spec("p1_eps_0", (_A, _P, _N), {"p": 1.0, "eps": 0.0, "margin": 8.0, "reduction": "none"},
             tags=("reduction-none",),
             description="negative differences, every hinge active: sum |a - b|, not |sum (a - b)|"),
        Spec("p_half", (_A, _P, _N), {"p": 0.5, "reduction": "none", "margin": 4.0}, tags=("reduction-none",),
             description="p < 1 is accepted, as in torch (not a norm)"),
        Spec("unbatched", (F(["1", "2", "3"]), F(["1", "2", "4"]), F(["0", "2", "3"])), {"reduction": "none"},
             tags=("unbatched",)),
        Spec("kdim", (F([[["1", "2"], ["0", "1"]], [["3", "0"], ["1", "1"]]]),
                      F([[["1", "1"], ["0", "0"]], [["2", "0"], ["1", "0"]]]),
                      F([[["0", "2"], ["1", "1"]], [["3", "3"], ["0", "0"]]])), {"reduction": "none"},
             tags=("kdim",), description="leading batch axes (2, 2), features last"),
        Spec("large_1e20", (F([["1e20", "-2e20"], ["3e20", "0"]]), F([["2e20", "-2e20"], ["0", "1e20"]]),
                            F([["-1e20", "1e20"], ["3e20", "5e20"]])), {"margin": 5e20, "eps": 0.0, "reduction": "none"},
             dtypes=("float64", "float32", "bfloat16"), tags=("overflow", "extreme"),
             description="squared differences overflow float32 (torch: inf); the norm is scaled"),
        Spec("large_300", (F([["300", "-200"]]), F([["-300", "100"]]), F([["100", "0"]])), {"eps": 0.0},
             dtypes=("float16",), tags=("overflow", "extreme"), description="squares overflow float16"),
        Spec("tiny_1e_25", (F([["1e-25", "-2e-25"], ["3e-25", "0"]]), F([["2e-25", "-2e-25"], ["0", "1e-25"]]),
                            F([["-1e-25", "1e-25"], ["3e-25", "5e-25"]])), {"margin": 5e-25, "eps": 0.0, "reduction": "none"},
             dtypes=WIDE, tags=("underflow", "extreme"), description="squared differences underflow float32"),
        Spec("empty_mean", (F([], shape=(0, 3)), F([], shape=(0, 3)), F([], shape=(0, 3))), tags=("empty",)),
        grad("grad", (_A, _P, _N), {"margin": 2.0, "reduction": "sum"}, description="every hinge active"),
        grad("grad_p3_swap", (_A, _P, _N), {"margin": 3.0, "p": 3.0, "swap": True}),
        grad("grad_low", (_A, _P, _N), {"margin": 2.0}, dtypes=LOW),
    ]
