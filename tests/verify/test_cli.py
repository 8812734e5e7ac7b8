"""``metacompress transform`` (with --verify / --chain) and ``metacompress verify`` end to end."""

import json
import re

import pytest

from metacompress_eval import transforms
from metacompress_eval.cli import main
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation

C_FUNCS = [
    "int sum(int *values, int n) {\n    int total = 0;\n    for (int i = 0; i < n; i++) {\n        total += values[i];\n"
    "    }\n    if (total > 100) {\n        total = 100;\n    } else {\n        total = total * 2;\n    }\n    return total;\n}\n",
    "void func()\n{\n    int data;\n    data = 5;\n    if (data > 3)\n    {\n        printLine(\"big\");\n    }\n"
    "    else\n    {\n        printIntLine(data);\n    }\n}\n",
]


def write_rows(path, rows, raw_lines=()):
    with open(path, "wb") as fh:
        for row in rows:
            fh.write((json.dumps(row) + "\n").encode("utf-8"))
        for line in raw_lines:
            fh.write(line)
    return path


@pytest.fixture
def c_input(tmp_path):
    rows = [{"id": f"f{i}", "code": code} for i, code in enumerate(C_FUNCS)]
    rows.append({"id": "empty", "code": ""})
    return write_rows(tmp_path / "in.jsonl", rows, [b'{"id": "latin1", "code": "caf\xe9"}\n'])


def test_transform_end_to_end(tmp_path, c_input, capsys):
    out = tmp_path / "out.jsonl"
    assert main(["transform", "--language", "c", "--transforms", "all", "--quiet", str(c_input), str(out)]) == 0
    printed = capsys.readouterr().out
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and all(r["source_id"] in ("f0", "f1") and r["provenance"]["transformation"] for r in rows)
    summary = json.loads((tmp_path / "out.jsonl.summary.json").read_text())
    assert summary["inputs"] == 2 and summary["follow_ups"] == len(rows) and summary["verify"] is False
    assert summary["skipped"] == {"invalid UTF-8": 1, "empty code": 1}
    assert set(summary["transformations"]) == {t.name for t in transforms.list_transformations("c")}
    assert "rename_variables" in printed and "skipped 1 row: empty code (first: in.jsonl:3 (id empty))" in printed


class _DropDeclaration(Transformation):
    """Test-only: renames a declaration but not its uses (parses fine, does not compile)."""

    name = "test_break_declaration"
    family = "test"
    languages = frozenset({"c"})

    def propose(self, parsed, rng):
        from metacompress_eval.code.edits import Edit

        start = parsed.data.find(b"int data;")
        if start < 0:
            return NotApplicable("no `int data;`")
        return Proposal([Edit(start + 4, start + 8, "dat2")])


def test_transform_verify_counts_rejected(tmp_path, c_input, monkeypatch, capsys, need_gcc):
    monkeypatch.setitem(transforms.registry.BY_NAME, _DropDeclaration.name, _DropDeclaration)
    out = tmp_path / "out.jsonl"
    args = ["transform", "--language", "c", "--transforms", f"rename_variables,{_DropDeclaration.name}", "--quiet"]
    assert main(args + [str(c_input), str(out)]) == 0
    unverified = json.loads((tmp_path / "out.jsonl.summary.json").read_text())["transformations"]
    assert unverified[_DropDeclaration.name]["applied"] == 1

    assert main(args + ["--verify", str(c_input), str(out)]) == 0
    printed = capsys.readouterr().out
    assert "rejected (validation/compiler)" in printed
    # what the check was and what it did: two renamings and one broken declaration compiled, one dropped
    assert re.search(r"verified with \S+: 3 follow-ups compiled against their sources, 1 dropped", printed)
    summary = json.loads((tmp_path / "out.jsonl.summary.json").read_text())["transformations"]
    broken = summary[_DropDeclaration.name]
    assert broken["applied"] == 0 and broken["rejected"] == 1 and broken["unverified"] == 0
    assert any(reason.startswith("new compiler diagnostics:") for reason in broken["reasons"])
    assert summary["rename_variables"]["applied"] == unverified["rename_variables"]["applied"] == 2
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["transformation"] for r in rows} == {"rename_variables"}


def test_transform_chain(tmp_path, c_input):
    out = tmp_path / "chain.jsonl"
    code = main(["transform", "--language", "c", "--chain", "2", "--quiet", str(c_input), str(out)])
    if not hasattr(transforms, "apply_chain"):
        assert code == 2  # one-line error, no traceback
        return
    assert code == 0
    summary = json.loads((tmp_path / "chain.jsonl.summary.json").read_text())
    assert summary["chain"] == 2 and list(summary["transformations"]) == ["chain(k=2)"]


def test_verify_end_to_end(tmp_path, need_gcc, capsys):
    good = C_FUNCS[1].replace("data", "value")
    bad = C_FUNCS[1].replace("int data;", "int value;")
    path = write_rows(tmp_path / "pairs.jsonl", [
        {"id": "a", "code": C_FUNCS[1], "follow_up": good},
        {"id": "b", "code": C_FUNCS[1], "follow_up": bad},
        {"id": "c", "code": C_FUNCS[1]},
    ])
    assert main(["verify", "--language", "c", str(path)]) == 0
    captured = capsys.readouterr()
    printed = captured.out
    assert "compiler check (" in captured.err  # a progress bar while the compiler runs
    assert "1 ok, 1 with new compiler diagnostics" in printed and "id b" in printed
    results = [json.loads(line) for line in (tmp_path / "pairs.jsonl.verify.jsonl").read_text().splitlines()]
    assert [(r["id"], r["ok"]) for r in results] == [("a", True), ("b", False)]
    assert results[1]["new_errors"]


def test_verify_joins_transform_output(tmp_path, c_input, need_gcc, capsys):
    out = tmp_path / "out.jsonl"
    assert main(["transform", "--language", "c", "--quiet", str(c_input), str(out)]) == 0
    n = len(out.read_text().splitlines())
    results_path = tmp_path / "results.jsonl"
    assert main(["verify", "--language", "c", "--source", str(c_input), "--out", str(results_path), str(out)]) == 0
    assert f"checked {n} follow-ups" in capsys.readouterr().out
    assert len(results_path.read_text().splitlines()) == n


def test_verify_bad_input(tmp_path, capsys):
    assert main(["verify", "--language", "c", str(tmp_path / "missing.jsonl")]) == 2
    assert "not found" in capsys.readouterr().err
    path = write_rows(tmp_path / "x.jsonl", [{"text": "no code here"}], [b"\xff\xfe not json\n"])
    assert main(["verify", "--language", "c", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "could be checked" in err
    assert main(["verify", "--language", "cobol", str(path)]) == 2
