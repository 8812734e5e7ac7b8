"""``metacompress distill`` on the command line."""

import json

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
    for name in ("config.json", "model.safetensors", "tokenizer.json", "README.md", "search.json", "distillation.json"):
        assert (out / name).is_file(), name
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
