"""Output files that would destroy something are refused before any work, in one line: the input
itself (by name, a symlink or a hard link), a device, pipe or ``/proc`` link (``/dev/stdout``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from metacompress_eval.cli import main

ROW = {"id": "a", "code": "int f(int a) {\n    int b = a + 1;\n    return b;\n}", "label": 0}


def _aliases(tmp_path: Path, data: Path) -> dict[str, str]:
    (tmp_path / "link.jsonl").symlink_to(data.name)
    os.link(data, tmp_path / "hard.jsonl")
    os.mkfifo(tmp_path / "pipe.jsonl")
    (tmp_path / "stdout.jsonl").symlink_to("/proc/self/fd/1")  # like /dev/stdout, which a failure would replace
    return {"same name": str(data), "relative spelling": str(tmp_path / "." / data.name),
            "symlink to the input": str(tmp_path / "link.jsonl"), "hard link to the input": str(tmp_path / "hard.jsonl"),
            "a pipe": str(tmp_path / "pipe.jsonl"), "a /proc link": str(tmp_path / "stdout.jsonl")}


COMMANDS = {
    "transform": lambda data, out: ["transform", "--language", "c", "--transforms", "dead_code", data, out],
    "verify": lambda data, out: ["verify", "--language", "c", data, "--out", out],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_destructive_output_locations_are_refused(tmp_path, capsys, command):
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({**ROW, "follow_up": ROW["code"]}) + "\n")
    before = data.read_bytes()
    for what, out in _aliases(tmp_path, data).items():
        kind = os.stat(out).st_mode if os.path.exists(out) else None
        assert main(COMMANDS[command](str(data), out)) == 2, what
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("metacompress: error:") and out in err[0], (what, err)
        assert data.read_bytes() == before, what
        assert (os.stat(out).st_mode if os.path.exists(out) else None) == kind, what  # still a device/pipe
        assert os.path.islink(tmp_path / "stdout.jsonl")
