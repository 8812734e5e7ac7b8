"""Label sets a model cannot honestly be compared under: repeated names, a class count the task does not
have; and a hand-edited metacompress.json naming an adapter that does not exist."""

from __future__ import annotations

import json

import pytest

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.model_outputs import check_task
from metacompress_eval.models import load_model
from metacompress_eval.tasks import get_task

from .tiny import write_compact_student


@pytest.mark.parametrize("names", ["a,a", "x,y,x", "LABEL_0,LABEL_0"])
def test_repeated_class_names_refused_for_every_adapter(tmp_path, tokenizer_file, names):
    with pytest.raises(MetaCompressError, match="more than once"):
        load_model("x", role="student", adapter="python:tests.models.plugin_example:make_named",
                   trust_remote_code=True, options={"names": names})
    folder, _ = write_compact_student(tmp_path / "s", tokenizer_file, members=1,
                                      outputs=len(names.split(",")))
    with pytest.raises(MetaCompressError, match="more than once"):
        load_model(str(folder), role="student", options={"labels": names})


@pytest.mark.parametrize("task", ["clone", "defect"])
@pytest.mark.parametrize("outputs", [1, 2, 3, 5])
def test_class_count_must_match_a_binary_task(tmp_path, tokenizer_file, task, outputs):
    members = 2 if task == "clone" else 1
    folder, _ = write_compact_student(tmp_path / "s", tokenizer_file, members=members, outputs=outputs)
    model = load_model(str(folder), role="student")
    spec = get_task(task)
    if outputs in (1, 2):  # one sigmoid output is two classes
        check_task(model, "student", spec)
        return
    with pytest.raises(MetaCompressError, match=rf"gives {outputs} classes .* --task {task} has 2") as err:
        check_task(model, "student", spec)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("adapter", ["nosuch", "hf2", "compact_roberta", ""])
def test_unknown_adapter_in_metacompress_json_names_the_file(tmp_path, adapter):
    (tmp_path / "metacompress.json").write_text(json.dumps({"adapter": adapter, "options": {}}))
    with pytest.raises(MetaCompressError, match="unknown adapter") as err:
        load_model(str(tmp_path), role="student")
    assert str(tmp_path / "metacompress.json") in str(err.value)
