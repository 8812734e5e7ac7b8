"""Execution checks wired into ``verify`` for inputs that carry a harness."""

from __future__ import annotations

import argparse
import json

import pytest

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.verify.cli import run_verify_command
from metacompress_eval.verify.harness import Harness, renamed_function, run_harness

AREA_PY = "def area(w, h):\n    return w * h\n"
AREA_C = "int area(int w, int h) {\n    return w * h;\n}\n"


def test_harness_values_are_validated():
    assert Harness.from_value(None) is None
    assert Harness.from_value('{"function": "f", "calls": [[1]]}').calls == ((1,),)
    for bad in ("[1]", '{"calls": 3}', '{"function": "f"}', '{"calls": [[1]], "other": 1}', "{"):
        with pytest.raises(MetaCompressError):
            Harness.from_value(bad)


def test_python_and_c_harnesses_tell_same_from_different(need_gcc):
    harness = Harness("area", ((2, 3), (0, 5)))
    assert run_harness(AREA_PY, AREA_PY.replace("w * h", "h * w"), "python", harness).status == "same"
    assert run_harness(AREA_PY, AREA_PY.replace("w * h", "w + h"), "python", harness).ok is False
    assert run_harness(AREA_C, AREA_C.replace("w * h", "h * w"), "c", harness).ok is True
    assert run_harness(AREA_C, AREA_C.replace("w * h", "w - h"), "c", harness).ok is False


def test_renamed_function_is_called_under_its_new_name(need_gcc):
    provenance = {"transformation": "rename_function", "params": {"old": "area", "new": "compute"}}
    renamed = renamed_function(provenance)
    assert renamed == ("area", "compute")
    harness = Harness("area", ((2, 3),))
    assert run_harness(AREA_PY, AREA_PY.replace("area", "compute"), "python", harness, renamed).ok is True
    assert run_harness(AREA_C, AREA_C.replace("area", "compute"), "c", harness, renamed).ok is True


def test_verify_command_runs_harnesses_of_source_rows(tmp_path, capsys):
    sources = tmp_path / "in.jsonl"
    sources.write_text(json.dumps({"id": "s1", "code": AREA_PY, "harness": {"function": "area", "calls": [[2, 4]]}}) + "\n")
    follow_ups = tmp_path / "out.jsonl"
    follow_ups.write_text("".join(json.dumps(r) + "\n" for r in [
        {"source_id": "s1", "transformation": "x", "code": AREA_PY.replace("w * h", "h * w")},
        {"source_id": "s1", "transformation": "y", "code": AREA_PY.replace("w * h", "w + h + 1")},
    ]))
    args = argparse.Namespace(input=str(follow_ups), language="python", source=str(sources), code_column="code",
                              follow_up_column="follow_up", id_column="id", out=None, quiet=False,
                              harness_column="harness")
    assert run_verify_command(args) == 0
    rows = [json.loads(line) for line in open(f"{follow_ups}.verify.jsonl")]
    assert [r["ok"] for r in rows] == [True, False]
    assert rows[1]["execution"]["status"] == "different"
    assert "ran 2 follow-ups with their harness: 1 different, 1 same" in capsys.readouterr().out
