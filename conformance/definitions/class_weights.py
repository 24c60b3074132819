"""Cases for class_weights(counts, *, strategy="inverse", beta=0.999)."""

from ._spec import WIDE, Doc, F, Spec

FUNCTION = "class_weights"
POSITIONAL = ("counts",)
DEFAULTS: dict = {"strategy": "inverse", "beta": 0.999}

_D004 = "004_e0c429dc88afda85.txt"


def conventions(args, kwargs):
    definition = {
        "inverse": "n / (C n_c)",
        "inverse_sqrt": "sqrt(n / (C n_c))",
        "effective_number": "(1 - beta) / (1 - beta^n_c), normalised to sum C (Cui et al. 2019)",
    }[kwargs["strategy"]]
    return {
        "counts": "positive class counts, in the case dtype",
        "definition": definition,
        "beta": kwargs["beta"] if kwargs["strategy"] == "effective_number" else "unused",
        "output_dtype": "counts dtype",
    }


_DOC = Doc(_D004, "Quick Check: with classes of size 900 and 100, what would inverse frequency weights be?",
           note="The quiz prints no answer: n / (C n_c) = 1000/1800 = 0.5556 and 1000/200 = 5.")


def specs():
    return [
        Spec("doc004_900_100_inverse", (F(["900", "100"]),), tags=("documented-example",), doc=_DOC),
        Spec("doc004_900_100_inverse_sqrt", (F(["900", "100"]),), {"strategy": "inverse_sqrt"},
             tags=("documented-example",), doc=_DOC),
        Spec("doc004_900_100_effective_number", (F(["900", "100"]),), {"strategy": "effective_number"},
             tags=("documented-example",), doc=_DOC),
        Spec("five_classes", (F(["1", "3", "10", "250", "2000"]),), tags=("basic",)),
        Spec("five_classes_sqrt", (F(["1", "3", "10", "250", "2000"]),), {"strategy": "inverse_sqrt"}, tags=("basic",)),
        Spec("effective_beta_0_9", (F(["1", "3", "10", "250", "2000"]),), {"strategy": "effective_number", "beta": 0.9},
             tags=("basic",)),
        Spec("effective_beta_0", (F(["1", "3", "10"]),), {"strategy": "effective_number", "beta": 0.0},
             tags=("special",), description="beta = 0: equal weights"),
        Spec("effective_beta_near_1", (F(["1", "2", "7", "100", "5000", "1000000"]),),
             {"strategy": "effective_number", "beta": 0.999999999}, dtypes=WIDE, tags=("cancellation",),
             description="1 - beta^n = -expm1(n log beta) for beta near 1: close to the normalised inverse"),
        Spec("one_class", (F(["42"]),), {"strategy": "effective_number"}, tags=("special",), description="weight 1"),
    ]
