"""``--context-column`` and the run-level follow-up facts in ``transform`` and ``evaluate`` output."""

from __future__ import annotations

import json

import pytest

from metacompress_eval.cli import main

from ..conftest import write_jsonl

FUNCTION = "int f(int x) {\n    if (x > LOW) {\n        return 1;\n    }\n    return 0;\n}\n"
IFDEF = "int f(int a) {\n#ifdef X\n  if (a > 0) {\n#else\n  if (a < 0) {\n#endif\n    a = a + 1;\n  }\n  return a;\n}\n"


def _rows(tmp_path):
    (tmp_path / "unit.c").write_text("#define LOW (6 & 3)\nint helper(void);\n")
    return [{"id": "inline", "code": FUNCTION, "label": 0, "file": "#define LOW (6 & 3)\n"},
            {"id": "by-path", "code": FUNCTION, "label": 1, "file": "unit.c"},
            {"id": "broken", "code": IFDEF, "label": 0, "file": None}]


def test_transform_counts_context_and_refusals(tmp_path, capsys):
    data = tmp_path / "in.jsonl"
    write_jsonl(data, _rows(tmp_path))
    out = tmp_path / "out.jsonl"
    assert main(["transform", "--language", "c", "--transforms", "operand_swap", str(data), str(out), "--quiet"]) == 0
    alone = json.loads((tmp_path / "out.jsonl.summary.json").read_text())
    assert alone["transformations"]["operand_swap"]["skipped_for_context"] == 2
    assert alone["refused_inputs"] == {"preprocessor_conditional": 1} and alone["inputs_with_context"] == 0
    assert "lack of context" in capsys.readouterr().out
    assert main(["transform", "--language", "c", "--transforms", "operand_swap", "--context-column", "file",
                 str(data), str(out), "--quiet"]) == 0
    with_context = json.loads((tmp_path / "out.jsonl.summary.json").read_text())
    assert with_context["transformations"]["operand_swap"]["applied"] == 2
    assert with_context["skipped_for_context"] == 0 and with_context["inputs_with_context"] == 2
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(r["provenance"]["context"] is True and "LOW < x" in r["code"] for r in rows)


def test_missing_context_column_is_a_clear_error(tmp_path, capsys):
    data = tmp_path / "in.jsonl"
    write_jsonl(data, [{"id": "a", "code": FUNCTION}])
    assert main(["transform", "--language", "c", "--context-column", "nope", str(data), str(tmp_path / "o.jsonl")]) == 2
    assert "context column 'nope'" in capsys.readouterr().err


def test_evaluate_reports_follow_up_facts(tiny_models, tmp_path):
    data = tmp_path / "in.jsonl"
    write_jsonl(data, _rows(tmp_path))
    out = tmp_path / "report"
    assert main(["evaluate", "--teacher", str(tiny_models["teacher"]), "--student", str(tiny_models["student"]),
                 "--data", str(data), "--out", str(out), "--cache-dir", str(tmp_path / "cache"), "--quiet",
                 "--transforms", "operand_swap,rename_variables", "--context-column", "file"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["follow_ups"]["verified"] is True  # the default (issue 12: it costs under 20%)
    assert report["follow_ups"]["refused_inputs"] == {"preprocessor_conditional": 1}
    assert report["follow_ups"]["inputs_with_context"] == 2
    assert report["data"]["context_column"] == "file"
    assert report["transformations"]["operand_swap"]["applied"] == 2
