"""``metacompress import``: a self-describing folder that loads with no flags, locally and from the Hub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from metacompress_eval.cli import main
from metacompress_eval.inference import InferenceEngine
from metacompress_eval.models import load_model

from ..conftest import C_SNIPPETS
from .tiny import write_compact_student

REPO = Path(__file__).resolve().parents[2]
PAIRS = [(C_SNIPPETS[i], C_SNIPPETS[(i + 1) % 4]) for i in range(4)]


def _probs(model, inputs):
    return InferenceEngine(model, None, progress=False).predict(inputs).probs


def test_import_writes_a_folder_that_loads_with_no_flags(tmp_path, tokenizer_file, capsys):
    src, _ = write_compact_student(tmp_path / "published", tokenizer_file, seed=5)
    dst = tmp_path / "imported"
    assert main(["import", str(src / "model.bin"), str(dst), "--option", "activation=silu",
                 "--option", "labels=different,clone", "--max-length", "20"]) == 0
    assert "imported" in capsys.readouterr().out
    assert sorted(p.name for p in dst.iterdir()) == ["README.md", "metacompress.json", "model.safetensors",
                                                     "tokenizer.json"]
    info = json.loads((dst / "metacompress.json").read_text())
    assert info["adapter"] == "compact-roberta" and info["max_length"] == 20
    assert info["options"]["activation"] == "silu" and info["options"]["labels"] == ["different", "clone"]
    assert (dst / "tokenizer.json").read_bytes() == tokenizer_file.read_bytes()
    original = load_model(str(src), options={"activation": "silu", "labels": "different,clone"}, max_length=20)
    imported = load_model(str(dst))  # no adapter, no options, no max length
    assert imported.adapter == "compact-roberta" and imported.label_names == ["different", "clone"]
    assert imported.max_length == 20
    np.testing.assert_allclose(_probs(imported, PAIRS), _probs(original, PAIRS), atol=1e-6)
    card = (dst / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: metacompress-eval") and "relative (relative_key)" in card


def test_import_codexglue_keeps_the_tokenizer(tmp_path, tiny_models):
    from transformers import RobertaConfig, RobertaModel

    torch.manual_seed(0)
    config = RobertaConfig.from_pretrained(tiny_models["teacher"])
    h = config.hidden_size
    state = {f"encoder.{k}": v for k, v in RobertaModel(config).state_dict().items()}
    state.update({"classifier.dense.weight": torch.randn(h, 2 * h), "classifier.dense.bias": torch.zeros(h),
                  "classifier.out_proj.weight": torch.randn(2, h), "classifier.out_proj.bias": torch.zeros(2)})
    (tmp_path / "ckpt").mkdir()
    torch.save(state, tmp_path / "ckpt" / "model.bin")
    dst = tmp_path / "imported"
    assert main(["import", str(tmp_path / "ckpt"), str(dst), "--tokenizer", str(tiny_models["teacher"])]) == 0
    assert (dst / "tokenizer.json").is_file() and not (dst / "config.json").exists()
    info = json.loads((dst / "metacompress.json").read_text())
    assert info["adapter"] == "codexglue-clone" and info["options"]["heads"] == config.num_attention_heads
    original = load_model(str(tmp_path / "ckpt"), tokenizer=str(tiny_models["teacher"]))
    np.testing.assert_allclose(_probs(load_model(str(dst)), PAIRS), _probs(original, PAIRS), atol=1e-6)


@pytest.mark.parametrize("case", ["not empty", "hf folder", "stored outputs", "bad option"])
def test_import_refusals_are_one_line(tmp_path, tokenizer_file, tiny_models, capsys, case):
    src, _ = write_compact_student(tmp_path / "published", tokenizer_file)
    dst = tmp_path / "out"
    args = ["import", str(src), str(dst)]
    if case == "not empty":
        dst.mkdir()
        (dst / "keep.txt").write_text("mine")
        expected = "exists and is not empty"
    elif case == "hf folder":
        args[1] = str(tiny_models["student"])
        expected = "the hf adapter cannot be imported"
    elif case == "stored outputs":
        (tmp_path / "t.jsonl").write_text('{"id": "a", "logits": [0, 1]}\n')
        args[1] = str(tmp_path / "t.jsonl")
        expected = "the stored-outputs adapter cannot be imported"
    else:
        args += ["--option", "heads=4"]
        expected = "heads=4 disagrees with the weights"
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and "\n" not in err
    if case == "not empty":
        assert [p.name for p in dst.iterdir()] == ["keep.txt"]
    else:
        assert not dst.exists()
    assert not any(p.name.startswith(".out-") for p in tmp_path.iterdir())  # no half-written folder left


def _hub_env(hub, tmp_path):
    env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_TOKEN": "hf_TestToken000", "HF_HUB_OFFLINE": "0",
           "HF_HOME": str(tmp_path / "hf"), "PYTHONPATH": str(REPO), "HF_HUB_DISABLE_XET": "1",
           "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(var, None)
    return env


def test_push_to_the_hub_and_load_back_by_repo_id(tmp_path, tokenizer_file, monkeypatch):
    from tests.hub.fake_hub import FakeHub

    src, _ = write_compact_student(tmp_path / "published", tokenizer_file, seed=9)
    dst = tmp_path / "imported"
    with FakeHub() as hub:
        proc = subprocess.run([sys.executable, "-m", "metacompress_eval", "import", str(src), str(dst),
                               "--push", "alice/avatar-student"], env=_hub_env(hub, tmp_path),
                              capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert hub.created == ["alice/avatar-student"]
    (commit,) = hub.commits
    assert sorted(commit["files"]) == ["README.md", "metacompress.json", "model.safetensors", "tokenizer.json"]
    assert commit["files"]["model.safetensors"] == (dst / "model.safetensors").read_bytes()

    # Loading "alice/avatar-student" fetches metacompress.json, sees an imported repository and reads its snapshot.
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    for name, data in commit["files"].items():
        (snapshot / name).write_bytes(data)
    import huggingface_hub

    fetched = []
    monkeypatch.setattr(huggingface_hub, "hf_hub_download",
                        lambda repo, filename, **kw: fetched.append((repo, filename)) or str(snapshot / filename))
    monkeypatch.setattr(huggingface_hub, "snapshot_download", lambda repo, **kw: str(snapshot))
    model = load_model("alice/avatar-student", role="student")
    assert fetched == [("alice/avatar-student", "metacompress.json")]
    assert model.adapter == "compact-roberta" and model.name == "alice/avatar-student"
    np.testing.assert_allclose(_probs(model, PAIRS), _probs(load_model(str(src)), PAIRS), atol=1e-6)


def test_card_and_evaluate_use_the_imported_folder(tmp_path, tokenizer_file):
    from ..conftest import write_jsonl

    src, _ = write_compact_student(tmp_path / "published", tokenizer_file, seed=3)
    dst = tmp_path / "imported"
    assert main(["import", str(src), str(dst), "--name", "tiny-avatar"]) == 0
    data = write_jsonl(tmp_path / "pairs.jsonl", [{"id": f"p{i}", "code1": a, "code2": b, "label": i % 2}
                                                  for i, (a, b) in enumerate(PAIRS)])
    teacher = write_jsonl(tmp_path / "teacher.jsonl", [{"id": f"p{i}", "probs": [0.3, 0.7]} for i in range(4)])
    report = tmp_path / "report"
    assert main(["evaluate", "--task", "clone", "--language", "c", "--student", str(dst), "--teacher-outputs",
                 str(teacher), "--data", str(data), "--out", str(report), "--cache-dir", str(tmp_path / "cache"),
                 "--quiet", "--bootstrap-resamples", "100"]) == 0
    assert json.loads((report / "report.json").read_text())["models"]["student"]["adapter"] == "compact-roberta"
    assert main(["card", "--report", str(report), "--card", str(dst / "README.md")]) == 0
    card = (dst / "README.md").read_text()
    assert "library_name: metacompress-eval" in card and "# tiny-avatar" in card
    assert "<!-- metacompress:begin -->" in card and "<!-- metacompress:end -->" in card  # the fidelity section


def test_the_space_loads_the_imported_folder_with_no_flags(tmp_path, tokenizer_file, tiny_models):
    from metacompress_eval.space import ModelStore, SpaceSettings, probe_snippet

    src, _ = write_compact_student(tmp_path / "published", tokenizer_file, members=1, seed=4)
    dst = tmp_path / "imported"
    assert main(["import", str(src), str(dst)]) == 0
    store = ModelStore(SpaceSettings(models_dir=tmp_path / "models", work_dir=tmp_path / "work", demo_size="tiny"))
    result = probe_snippet(store, C_SNIPPETS[0], "c", teacher=str(tiny_models["teacher"]), student=str(dst))
    assert store.load(str(dst), "student").adapter == "compact-roberta"
    assert len(result["inputs"]) > 1 and all(len(i["student"]["probs"]) == 2 for i in result["inputs"])
