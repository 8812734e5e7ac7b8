"""A file the libraries fail on ends in the tool's one line only: the library's own error log (datasets
logs "Failed to read schema ..." before raising) stays off the terminal."""

from __future__ import annotations

import os
import subprocess

from tests.conftest import metacompress_command


def test_damaged_parquet_is_one_line(tmp_path):
    damage = b"PAR1" + b"\x00garbage" * 100 + b"PAR1"  # a footer claiming more bytes than the file has
    data = tmp_path / "data.parquet"
    data.write_bytes(damage)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_VERBOSITY") and k != "METACOMPRESS_DEBUG"}
    run = subprocess.run([*metacompress_command(), "transform", "--language", "c", str(data), str(tmp_path / "o.jsonl")],
                         capture_output=True, text=True, env=env, timeout=300)
    lines = [l for l in run.stderr.splitlines() if l.strip()]
    assert run.returncode == 2 and len(lines) == 1 and lines[0].startswith("metacompress: error:"), run.stderr
    assert "data.parquet" in lines[0] and not (tmp_path / "o.jsonl").exists()


def test_json_file_of_a_scalar_is_one_line(tmp_path, capsys):
    """``null`` crashed the JSON builder (a segmentation fault); a string gave a pandas error."""
    from metacompress_eval.cli import main

    for text in ("null", "true", "3.5", '"code"', "  null\n"):
        data = tmp_path / "data.json"
        data.write_text(text)
        assert main(["transform", "--language", "c", str(data), str(tmp_path / "o.jsonl")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "data.json" in err[0] and "not a table" in err[0], err
        assert not (tmp_path / "o.jsonl").exists()
