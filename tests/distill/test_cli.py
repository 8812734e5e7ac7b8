"""``metacompress distill`` on the command line."""

import json
import re

import pytest

from metacompress_eval.cli import main


def test_cli_distill_then_evaluate(tiny_teacher, tmp_path, capsys):
    out = tmp_path / "student"
    rc = main(["distill", "--teacher", str(tiny_teacher["teacher"]), "--data", str(tiny_teacher["data"]),
               "--method", "compressor", "--size-budget", "100kB", "--out", str(out), "--max-length", "64",
               "--space", "tiny", "--population", "8", "--generations", "3", "--epochs", "1", "--threads", "1",
               "--quiet"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "GFLOPs" in printed and "metacompress evaluate" in printed
    # Figures are printed rounded (no 0.30434782608695654), rates as percentages.
    assert not re.search(r"\d\.\d{5,}", printed), printed
    assert re.search(r"mean relation violation rate (\d+\.\d%|-)", printed), printed
    for name in ("config.json", "model.safetensors", "tokenizer.json", "README.md", "search.json", "distillation.json"):
        assert (out / name).is_file(), name
    # The student folder is meant to be published: no path of this machine in its text files.
    for name in ("README.md", "distillation.json", "search.json", "config.json"):
        text = (out / name).read_text()
        for private in (str(tiny_teacher["teacher"]), str(tiny_teacher["data"]), str(tmp_path)):
            assert private not in text, f"{private} in {name}"
    summary = json.loads((out / "distillation.json").read_text())
    assert summary["teacher"] == tiny_teacher["teacher"].name and summary["data"]["unlabelled"] == tiny_teacher["data"].name
    assert json.loads((out / "distillation.json").read_text())["within_budget"]
    rc = main(["evaluate", "--teacher", str(tiny_teacher["teacher"]), "--student", str(out),
               "--data", str(tiny_teacher["labelled"]), "--out", str(tmp_path / "report"),
               "--cache-dir", str(tmp_path / "cache"), "--quiet"])
    assert rc == 0 and (tmp_path / "report" / "report.json").is_file()


def test_cli_errors_are_one_line(tiny_teacher, tmp_path, capsys):
    rc = main(["distill", "--teacher", str(tiny_teacher["teacher"]), "--data", str(tiny_teacher["data"]),
               "--size-budget", "1kB", "--out", str(tmp_path / "s"), "--space", "tiny", "--max-length", "64",
               "--quiet"])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.startswith("metacompress: error:") and "budget" in err


@pytest.mark.parametrize("option, value", [("--valid-fraction", "1.5"), ("--valid-fraction", "0"),
                                           ("--temperature", "0"), ("--learning-rate", "nan"),
                                           ("--learning-rate", "-1"), ("--cosine-weight", "inf")])
def test_numbers_out_of_range_are_refused_before_the_teacher_loads(tmp_path, capsys, option, value):
    """1.5 and 0 as validation fractions, temperature 0 ran to the end; a NaN learning rate failed in torch."""
    rc = main(["distill", "--teacher", str(tmp_path / "no-teacher"), "--data", str(tmp_path / "none.jsonl"),
               "--out", str(tmp_path / "s"), option, value])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and option in err[0], err
    assert not (tmp_path / "s").exists()
