"""Detection, options and the plugin route."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.inference import InferenceEngine
from metacompress_eval.models import describe_adapters, detect, load_model, parse_option_pairs


def test_hf_folders_and_hub_ids(tiny_models, tmp_path):
    assert detect(str(tiny_models["teacher"])) == ("hf", {})
    assert detect("microsoft/codebert-base") == ("hf", {})
    # config.json beside a lone CodeXGLUE-style model.bin (no transformers weights): a state dict.
    (tmp_path / "config.json").write_text("{}")
    torch.save({"x.weight": torch.zeros(1)}, tmp_path / "model.bin")
    with pytest.raises(MetaCompressError, match="no adapter recognises this state dict"):
        detect(str(tmp_path))


def test_self_describing_folder(tmp_path):
    (tmp_path / "metacompress.json").write_text('{"adapter": "compact-roberta", "options": {"activation": "silu"}}')
    assert detect(str(tmp_path)) == ("compact-roberta", {"activation": "silu"})
    (tmp_path / "metacompress.json").write_text('{"options": 3}')
    with pytest.raises(MetaCompressError, match="metacompress.json: expected"):
        detect(str(tmp_path))


def test_option_pairs():
    assert parse_option_pairs(["a=1", " b = x,y "]) == {"a": "1", "b": "x,y"}
    with pytest.raises(MetaCompressError, match="--student-option takes key=value"):
        parse_option_pairs(["novalue"], "--student-option")


def test_hf_takes_no_options(tiny_models):
    with pytest.raises(MetaCompressError, match="unknown option.*for the hf adapter; it takes none"):
        load_model(str(tiny_models["teacher"]), role="teacher", options={"heads": "2"})


def test_unknown_adapter_name(tiny_models):
    for trust in (False, True):
        with pytest.raises(MetaCompressError, match="unknown adapter 'compact-robert'; choose one of: hf, "):
            load_model(str(tiny_models["teacher"]), adapter="compact-robert", trust_remote_code=trust)


def test_plugin_route_is_off_unless_asked_for():
    name = "python:tests.models.plugin_example:make"
    with pytest.raises(MetaCompressError, match="pass --trust-remote-code to allow it"):
        load_model("anything", role="student", adapter=name)
    model = load_model("anything", role="student", adapter=name, trust_remote_code=True, options={"logits": "3,1"})
    assert model.adapter == name
    out = InferenceEngine(model, None, progress=False).predict([("x",), ("yy",)])
    np.testing.assert_allclose(out.logits, [[3, 1], [3, 1]])
    with pytest.raises(MetaCompressError, match="returned str, not a LoadedModel"):
        load_model("anything", adapter="python:tests.models.plugin_example:not_a_model", trust_remote_code=True)
    with pytest.raises(MetaCompressError, match="cannot import no_such_module"):
        load_model("anything", adapter="python:no_such_module:make", trust_remote_code=True)
    with pytest.raises(MetaCompressError, match=r"adapter 'python:tests.models.plugin_example:make' could not load "
                                                r"anything \(ValueError: could not convert"):
        load_model("anything", adapter=name, trust_remote_code=True, options={"logits": "x,1"})
    with pytest.raises(MetaCompressError, match="write python:MODULE:FACTORY"):
        load_model("anything", adapter="python:justmodule", trust_remote_code=True)


def test_every_adapter_documents_its_options():
    described = {a["name"]: a for a in describe_adapters()}
    assert set(described) == {"hf", "codexglue-defect", "codexglue-clone", "compact-roberta", "stored-outputs"}
    assert "attention" in described["compact-roberta"]["options"]
    assert all(a["summary"] for a in described.values())


@pytest.mark.parametrize("role,command", [("model", ["import", "SRC", "DST"]), ("model", ["attack", "--model", "M", "--data", "D"]),
                                          ("student", ["evaluate", "--student", "M", "--data", "D"]),
                                          ("teacher", ["evaluate", "--student", "M", "--data", "D"])])
def test_messages_name_flags_the_command_has(tmp_path, role, command):
    """``import`` and ``attack`` load their one model as role ``model``: its flags have no role prefix."""
    import re

    import torch

    from metacompress_eval.cli import build_parser

    torch.save({"backbone.weight": torch.zeros(2, 2)}, tmp_path / "model.bin")
    with pytest.raises(MetaCompressError) as info:
        load_model(str(tmp_path), role=role)
    flags = re.findall(r"--[a-z-]+", str(info.value))
    assert flags
    for flag in flags:  # every flag the message suggests parses on that command
        build_parser().parse_args([*command, flag, "x"])
