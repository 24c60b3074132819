"""The generator: it reproduces the shipped files, and it checks printed numbers."""

from __future__ import annotations

import json
from pathlib import Path

import mpmath
import pytest
from mpmath import mpf

import conformance
from conformance import CASES_DIR, generate
from conformance.definitions._spec import Printed

pytestmark = pytest.mark.backend_independent  # NumPy only: runs once, where numpy is selected

ROOT = Path(__file__).resolve().parent.parent
ERRATA = ROOT / "docs" / "errata.md"


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return generate.generate()


def test_generator_reproduces_shipped_files(generated):
    shipped = {f"cases/{p.name}" for p in CASES_DIR.glob("*.json")}
    assert shipped == {k for k in generated if k.startswith("cases/")}, "stale or missing case files"
    for rel, text in generated.items():
        path = ERRATA if rel == "errata.md" else CASES_DIR / Path(rel).name
        assert path.read_text(encoding="utf-8") == text, f"{path} is out of date: run python -m conformance.generate"


def test_generator_cli_check_and_write(generated, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(generate, "generate", lambda: generated)
    cases, errata = tmp_path / "cases", tmp_path / "errata.md"
    args = ["--cases-dir", str(cases), "--errata", str(errata)]
    assert generate.main([*args, "--check"]) == 1
    assert generate.main(args) == 0
    assert generate.main([*args, "--check"]) == 0
    (cases / "sigmoid.json").write_text("{}", encoding="utf-8")
    (cases / "stale.json").write_text("{}", encoding="utf-8")
    assert generate.main([*args, "--check"]) == 1
    out = capsys.readouterr().out
    assert "sigmoid.json" in out and "stale.json" in out
    assert generate.main(args) == 0 and not (cases / "stale.json").exists()


def test_generator_installed_copy_writes_only_where_told(generated, tmp_path, monkeypatch, capsys):
    """Installed (no checkout around the package), the default would be site-packages: refused."""
    monkeypatch.setattr(generate, "generate", lambda: dict(generated))
    monkeypatch.setattr(generate, "IN_CHECKOUT", False)
    monkeypatch.setattr(generate, "DEFAULT_ERRATA", None)
    with pytest.raises(SystemExit) as exit_:
        generate.main([])
    assert exit_.value.code == 2
    assert "--cases-dir DIR and --errata FILE" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        generate.main(["--cases-dir", str(tmp_path / "cases")])  # the errata page is needed too
    assert generate.main(["--check"]) == 0  # the shipped cases, read only; no errata page to compare
    errata = tmp_path / "errata.md"
    assert generate.main(["--cases-dir", str(tmp_path / "cases"), "--errata", str(errata)]) == 0
    assert errata.exists() and (tmp_path / "cases" / "sigmoid.json").exists()


def test_printed_number_checks():
    with mpmath.workdps(60):
        ok = generate._check_printed(Printed("0.2877", "tensor(0.2877)"), [-mpmath.log(mpf("0.75"))], None, "x")
        assert ok["status"] == "correct"
        with pytest.raises(generate.GenerationError, match="add an erratum"):
            generate._check_printed(Printed("0.287", "text"), [-mpmath.log(mpf("0.75"))], None, "x")
        bad = generate._check_printed(Printed("0.287", "text", erratum="truncated"), [-mpmath.log(mpf("0.75"))],
                                      None, "x")
        assert bad["status"] == "erratum" and bad["erratum"] == "truncated"
        with pytest.raises(generate.GenerationError, match="but an erratum is given"):
            generate._check_printed(Printed("0.2877", "t", erratum="no"), [-mpmath.log(mpf("0.75"))], None, "x")
        # float32 results shown to full precision: within one float32 ulp of the correctly rounded value
        f32 = generate._check_printed(Printed("1.100000023841858", "p", compare="float32"), [mpf("1.1")],
                                      [mpf("1.1000000014901161")], "x")
        assert f32["status"] == "correct (float32 result)"


def test_errata_list_has_the_known_errata():
    text = ERRATA.read_text(encoding="utf-8")
    errata_section = text.split("## Errata in printed inputs")[0]
    for printed, true in (("0.0067", "0.02"), ("0.1536", "0.1446215275"), ("0.287", "0.2876820725"), ("19", "20")):
        assert f"| {printed} | {true}" in errata_section
    inputs = text.split("## Errata in printed inputs")[1].split("## Every checked number")[0]
    assert "0.8956" in inputs and "1.111470703" in inputs  # LogSoftmax + NLLLoss: lost minus sign
    assert "0.6" in inputs and "-0.5" in inputs  # NLLLoss: lost minus signs


def test_documented_cases_carry_their_printed_values():
    doc = json.loads((CASES_DIR / "cross_entropy.json").read_text(encoding="utf-8"))
    prov = next(c["provenance"] for c in doc["cases"] if c["id"] == "cross_entropy/doc003_logsoftmax_nll/float32")
    assert prov["printed"][0]["value"] == "0.8634" and prov["printed"][0]["status"] == "correct"
    assert prov["literal_inputs"] == [[["0.8956", "1.1171", "1.3302"]], [1]]
    assert prov["value_with_literal_inputs"] == ["1.111470703"]
    bce = json.loads((CASES_DIR / "binary_cross_entropy.json").read_text(encoding="utf-8"))
    prov = next(c["provenance"] for c in bce["cases"] if c["id"] == "binary_cross_entropy/doc004_predictions/float64")
    assert prov["printed"][0]["status"] == "erratum" and prov["printed"][0]["true"].startswith("0.14462")


def test_inputs_are_rounded_per_dtype():
    doc = json.loads((CASES_DIR / "cross_entropy.json").read_text(encoding="utf-8"))
    by_id = {c["id"]: c for c in doc["cases"]}
    x64 = by_id["cross_entropy/doc004_single/float64"]["args"][0]["data"]
    x16 = by_id["cross_entropy/doc004_single/float16"]["args"][0]["data"]
    assert float.fromhex(x64[2]) == 0.1 and float.fromhex(x16[2]) == 0.0999755859375
    # and the expected values differ accordingly (computed from the rounded inputs)
    assert by_id["cross_entropy/doc004_single/float64"]["expected"] != by_id["cross_entropy/doc004_single/float16"]["expected"]


def test_convention_tags():
    """Tags for the conventions a value depends on, found by the generator from the inputs
    and the oracle (see generate.CONVENTION_TAGS), so an adapter can exclude them."""
    cs = {c.id: c for c in conformance.load_cases()}
    tags = {t for c in cs.values() for t in c.tags}
    assert set(generate.CONVENTION_TAGS) <= tags and "unnormalised" in tags
    for fn in ("dice_loss", "tversky_loss", "jaccard_loss"):  # 0/0 defined as 0
        assert "undefined" in cs[f"{fn}/empty_on_empty_no_smoothing/float32"].tags
    assert "undefined" in cs["cross_entropy/all_ignored_mean/float32"].tags  # the nan of 0/0
    assert "undefined" in cs["generalized_box_iou_loss/empty_mean_is_zero/float32"].tags  # torchvision's 0
    assert "eps" in cs["triplet_margin_loss/mean/float32"].tags
    assert "eps" not in cs["triplet_margin_loss/pythagorean_5_10/float32"].tags  # eps = 0
    assert "eps" in cs["cosine_embedding_loss/zero_vectors/float16"].tags  # 0/0 without torch's 1e-12
    assert "eps" in cs["generalized_box_iou_loss/mean/float64"].tags
    assert "eps" not in cs["generalized_box_iou_loss/mean/float32"].tags  # 1e-7 is below a float32 ulp there
    assert "zero-log-zero" in cs["kl_div/zero_target_neg_inf_input/float32"].tags
    assert "zero-log-zero" not in cs["kl_div/label_mixes_batchmean/float32"].tags
    assert "clamp" in cs["binary_cross_entropy/clamp_mean/float16"].tags
    assert "normalisation" in cs["cross_entropy/weight_mean/float32"].tags
    # q of close_distributions sums to 1 + 3e-7: unnormalised beyond rounding; the label mixes, rounded to
    # bfloat16, sum to 1 + 5e-4, within the rounding of their entries
    assert {"unnormalised", "normalisation"} <= set(cs["kl_divergence/close_distributions/float32"].tags)
    assert "unnormalised" not in cs["kl_divergence/label_mixes/bfloat16"].tags
    assert [c for c in cs.values() if "unnormalised" in c.tags and "normalisation" not in c.tags] == []


def test_unnormalised_finds_distributions_off_one_beyond_rounding():
    from conformance.definitions._spec import unnormalised

    def arr(values, dtype="float64"):
        return {"dtype": dtype, "shape": [len(values)], "data": [float(v).hex() for v in values]}

    assert not unnormalised(arr([0.3, 0.7]), -1)  # 1 - 5.6e-17: the rounding of 0.3 and 0.7
    assert unnormalised(arr([0.3, 0.7000002]), -1)
    assert not unnormalised(arr([0.400390625, 0.10009765625, 0.25, 0.25], "bfloat16"), -1)
    assert unnormalised(arr([0.5, 0.25, 0.5], "bfloat16"), None)
    assert not unnormalised(arr([0, 0, 0]), -1)  # not a distribution


def test_generalized_box_iou_kdim_has_no_identical_pair():
    """Identical boxes give the eps artefact eps / (area + eps): they live in identical_boxes
    (tagged cancellation and eps), not in the kdim case."""
    for c in conformance.load_cases().select(functions=["generalized_box_iou_loss"]):
        if c.name != "kdim":
            continue
        a, b = (x.values() for x in c.args)
        pairs = [(a[i:i + 4], b[i:i + 4]) for i in range(0, len(a), 4)]
        assert all(p != q for p, q in pairs), c.id
        assert "cancellation" not in c.tags
