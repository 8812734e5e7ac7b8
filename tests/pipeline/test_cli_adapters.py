"""``evaluate`` with adapters: stored teacher outputs (partial coverage), no teacher, and bad input.

Every bad input is one line on stderr naming the file and the problem, exit status 2, before any
inference: no report folder and nothing in the output cache.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
import torch

from metacompress_eval.cli import main

from ..conftest import C_SNIPPETS, write_jsonl
from ..models.tiny import write_compact_student


@pytest.fixture(scope="module")
def setup(tmp_path_factory, corpus_texts):
    from ..models.tiny import train_bare_tokenizer

    root = tmp_path_factory.mktemp("adapters-cli")
    tok = train_bare_tokenizer(corpus_texts, 260, root / "tok" / "tokenizer.json")
    student, _ = write_compact_student(root / "student", tok, seed=11)
    rows = [{"id": f"p{i}", "code1": C_SNIPPETS[i % 4], "code2": C_SNIPPETS[(i + 1) % 4] + "\n", "label": i % 2}
            for i in range(8)]
    data = write_jsonl(root / "pairs.jsonl", rows)
    teacher = write_jsonl(root / "teacher.jsonl", [{"id": r["id"], "logits": [0.5 * i, -0.3 * i]}
                                                  for i, r in enumerate(rows)])
    return {"root": root, "tok": tok, "student": student, "data": data, "teacher": teacher, "rows": rows}


def _evaluate(setup, out, *extra):
    return main(["evaluate", "--task", "clone", "--language", "c", "--student", str(setup["student"]),
                 "--data", str(setup["data"]), "--out", str(out), "--cache-dir", str(out.parent / f"{out.name}-cache"),
                 "--quiet", "--batch-size", "4", "--bootstrap-resamples", "100", *extra])


def test_stored_teacher_outputs_give_partial_figures(setup, tmp_path):
    out = tmp_path / "report"
    assert _evaluate(setup, out, "--teacher-outputs", str(setup["teacher"]), "--attacks", "mhm",
                     "--attack-budget", "4") == 0
    report = json.loads((out / "report.json").read_text())
    a = report["analysis"]
    assert report["models"]["teacher"]["adapter"] == "stored-outputs"
    assert report["models"]["student"]["adapter"] == "compact-roberta"
    n_fu = a["counts"]["follow_ups"]
    assert a["coverage"]["teacher"] == {"inputs": 8, "sources": 8, "follow_ups": 0,
                                        "reason": a["coverage"]["teacher"]["reason"]}
    assert "stored outputs" in a["coverage"]["teacher"]["reason"]
    assert a["relations"]["overall"]["prediction_agreement"]["n"] == 8
    assert a["flips"]["teacher"]["overall"]["n"] == 0
    assert a["flips"]["student"]["overall"]["n"] == n_fu > 0
    assert a["performance"]["overall"]["student"]["accuracy"]["n"] == 8 + n_fu
    assert a["performance"]["overall"]["teacher"]["accuracy"]["n"] == 8
    assert report["inference"]["teacher"]["unavailable"] == report["analysis"]["counts"]["inputs"] - 8
    assert report["attacks"]["not_attacked"]["teacher"].startswith("its outputs are stored outputs")
    assert report["attacks"]["by_attack"]["mhm"]["teacher"] is None
    assert report["attacks"]["by_attack"]["mhm"]["student"]["n"] > 0
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert all((r["teacher_probs"] is None) == (r["transformation"] is not None) for r in rows)
    markdown = (out / "report.md").read_text()
    assert "## Partial outputs" in markdown and "The teacher was not attacked" in markdown


def test_no_teacher_gives_the_students_own_figures(setup, tmp_path):
    out = tmp_path / "report"
    assert _evaluate(setup, out) == 0
    a = json.loads((out / "report.json").read_text())["analysis"]
    assert a["coverage"]["teacher"]["inputs"] == 0 and a["coverage"]["teacher"]["reason"] == "no teacher was given"
    assert a["relations"]["overall"]["prediction_agreement"]["rate"] is None
    assert a["flips"]["student"]["overall"]["n"] == a["counts"]["follow_ups"]
    assert a["performance"]["sources"]["student"]["accuracy"]["n"] == 8
    # The summary says what a teacher-less run computes, without empty relation lines or "teacher n/a".
    from metacompress_eval.report.summary import summary_lines

    text = "\n".join(summary_lines(json.loads((out / "report.json").read_text())))
    assert "no teacher: relations and agreement not computed" in text
    assert "violation rates" not in text and "partial outputs" not in text and "teacher" not in text.replace(
        "no teacher", "")
    assert "student flip rate" in text and "accuracy on sources: student" in text


def _bad_state(setup, where, mutate):
    folder, state = write_compact_student(where, setup["tok"], seed=11)
    mutate(state)
    torch.save(state, folder / "model.bin")
    return folder


def _stored(setup, where, rows):
    return str(write_jsonl(where / "stored.jsonl", rows))


def _case(name, setup, tmp_path):
    """(extra arguments, text the one-line message must contain)."""
    ids = [r["id"] for r in setup["rows"]]
    if name == "no adapter matches":
        torch.save({"backbone.weight": torch.zeros(2, 2)}, tmp_path / "odd.pt")
        return ["--student", str(tmp_path / "odd.pt")], "odd.pt: no adapter recognises this state dict"
    if name == "unexpected key":
        folder = _bad_state(setup, tmp_path / "s", lambda s: s.update({"encoder.extra.weight": torch.zeros(1)}))
        return ["--student", str(folder)], "model.bin: 1 key(s) the model would ignore: encoder.extra.weight"
    if name == "missing key":
        folder = _bad_state(setup, tmp_path / "s", lambda s: s.pop("classifier.out_proj.bias"))
        return ["--student", str(folder)], "model.bin: 1 key(s) missing: classifier.out_proj.bias"
    if name == "shape vs options":
        return ["--student-option", "heads=4"], "model.bin: heads=4 disagrees with the weights"
    if name == "pickled code":
        torch.save({"w": torch.zeros(1), "obj": _Evil()}, tmp_path / "evil.bin")
        return ["--student", str(tmp_path / "evil.bin")], "evil.bin needs full unpickling"
    if name == "duplicate ids":
        rows = [{"id": i, "logits": [0, 1]} for i in ids] + [{"id": ids[0], "logits": [1, 0]}]
        return ["--teacher-outputs", _stored(setup, tmp_path, rows)], "stored.jsonl: duplicate id p0 (rows 1 and 9)"
    if name == "unknown ids":
        rows = [{"id": i, "logits": [0, 1]} for i in ids + ["q1", "q2"]]
        return (["--teacher-outputs", _stored(setup, tmp_path, rows)],
                "stored.jsonl: 2 stored id(s) that the data")
    if name == "wrong width":
        rows = [{"id": i, "logits": [0, 1, 2]} for i in ids]
        return (["--teacher-outputs", _stored(setup, tmp_path, rows)],
                "stored.jsonl: it gives 3 classes ['LABEL_0', 'LABEL_1', 'LABEL_2'], but --task")
    if name == "nan":
        rows = [{"id": i, "logits": [0, float("nan") if i == "p3" else 1]} for i in ids]
        return ["--teacher-outputs", _stored(setup, tmp_path, rows)], "stored.jsonl: row 4: logits holds NaN"
    if name == "probabilities":
        rows = [{"id": i, "probs": [0.5, 0.6]} for i in ids]
        return ["--teacher-outputs", _stored(setup, tmp_path, rows)], "stored.jsonl: row 1: probabilities in probs sum to 1.1"
    if name == "no source matched":
        rows = [{"id": i, "logits": [0, 1]} for i in ids[5:]]
        return (["--teacher-outputs", _stored(setup, tmp_path, rows), "--max-sources", "2"],
                "stored.jsonl: none of the 2 sources has a stored output (matched by id)")
    if name == "key column not in data":
        rows = [{"id": i, "key": f"k{n}", "logits": [0, 1]} for n, i in enumerate(ids)]
        return (["--teacher-outputs", _stored(setup, tmp_path, rows), "--teacher-option", "id_columns=key"],
                "has no column 'key', which stored model outputs are matched by")
    if name == "both teachers":
        return ["--teacher-outputs", str(setup["teacher"]), "--teacher", str(setup["student"])], "not both"
    raise AssertionError(name)


class _Evil:
    """An object the weights-only unpickler must refuse to rebuild."""


BAD = ["no adapter matches", "unexpected key", "missing key", "shape vs options", "pickled code", "duplicate ids",
       "unknown ids", "wrong width", "nan", "probabilities", "no source matched", "key column not in data",
       "both teachers"]


@pytest.mark.parametrize("name", BAD)
def test_bad_input_is_one_line_before_inference(setup, tmp_path, capsys, name):
    extra, expected = _case(name, setup, tmp_path)
    args = ["--teacher-outputs", str(setup["teacher"])] if "--teacher-outputs" not in extra and name != "both teachers" \
        else []
    if "--student" in extra:  # the case replaces the student
        i = extra.index("--student")
        setup = {**setup, "student": extra[i + 1]}
        extra = extra[:i] + extra[i + 2:]
    out = tmp_path / "report"
    assert _evaluate(setup, out, *args, *extra) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and expected in err, err
    assert not out.exists()
    cache = tmp_path / "report-cache" / "outputs.sqlite"
    if cache.exists():
        assert sqlite3.connect(cache).execute("SELECT COUNT(*) FROM outputs").fetchone()[0] == 0
