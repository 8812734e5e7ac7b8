"""Reading a state dict: every shape a saved checkpoint comes in, and every damaged file, as one line.

Training scripts save the bare state dict, or a checkpoint around it under a key of their choosing
(``model``, ``state_dict``, ``model_state_dict`` …) beside epochs, optimiser states and metrics. The
cases are generated: wrapper keys, sibling entries and damage are drawn at random (seeded), so the test
covers the kind, not one layout.
"""

from __future__ import annotations

import argparse
import random

import numpy as np
import pytest
import torch

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.models.files import load_state_dict

PARAMS = {"encoder.embeddings.word_embeddings.weight": torch.randn(7, 4), "classifier.out_proj.bias": torch.zeros(2)}
SIBLINGS = {"epoch": 3, "step": 1200, "best_f1": 0.91, "args": {"lr": 5e-5, "block_size": 400},
            "optimizer": {"state": {0: {"step": torch.tensor(3.0)}}, "param_groups": [{"lr": 1e-4, "params": [0]}]},
            "tag": "checkpoint-best-f1"}


def _save(tmp_path, obj, name="model.bin"):
    path = tmp_path / name
    torch.save(obj, path)
    return path


def _wrapped(rng: random.Random) -> tuple[dict, str]:
    key = rng.choice(["model", "state_dict", "model_state_dict", "net", "student", "weights"])
    siblings = dict(rng.sample(sorted(SIBLINGS.items()), rng.randint(0, len(SIBLINGS))))
    return {**siblings, key: dict(PARAMS)}, key


@pytest.mark.parametrize("seed", range(8))
def test_a_checkpoint_around_the_state_dict_is_unwrapped(tmp_path, seed):
    checkpoint, _ = _wrapped(random.Random(seed))
    state = load_state_dict(_save(tmp_path, checkpoint), what="student x")
    assert set(state) == set(PARAMS) and all(torch.equal(state[k], v) for k, v in PARAMS.items())


def test_the_bare_state_dict_and_safetensors(tmp_path):
    from safetensors.torch import save_file

    assert set(load_state_dict(_save(tmp_path, dict(PARAMS)), what="m")) == set(PARAMS)
    save_file(dict(PARAMS), str(tmp_path / "m.safetensors"))
    assert set(load_state_dict(tmp_path / "m.safetensors", what="m")) == set(PARAMS)


def _bad_cases(tmp_path):
    yield "a list", _save(tmp_path, [torch.zeros(1)], "list.bin"), "is not a state dict: it holds a list"
    yield "a tensor", _save(tmp_path, torch.zeros(3), "t.bin"), "is not a state dict: it holds a Tensor"
    yield "empty mapping", _save(tmp_path, {}, "e.bin"), "is an empty state dict"
    yield ("non-tensor entries", _save(tmp_path, {**PARAMS, "epoch": 3, "tag": "best"}, "n.bin"),
           "is not a state dict: 2 of its 4 entries are not tensors: epoch (int), tag (str)")
    yield ("two state dicts", _save(tmp_path, {"model": dict(PARAMS), "ema": dict(PARAMS), "epoch": 1}, "two.bin"),
           "holds several state dicts (model, ema)")
    yield ("pickled object", _save(tmp_path, {**PARAMS, "args": argparse.Namespace(lr=1)}, "ns.bin"),
           "needs full unpickling")
    for n, (key, value) in enumerate([(k, v) for k in PARAMS for v in (float("nan"), float("inf"), -float("inf"))]):
        damaged = {k: t.clone() for k, t in PARAMS.items()}
        damaged[key].view(-1)[n % damaged[key].numel()] = value
        for name, wrap in ((f"nf{n}.bin", damaged), (f"nfw{n}.bin", {"model": damaged, "epoch": 1})):
            yield f"{value} in {key}", _save(tmp_path, wrap, name), f"1 tensor(s) hold NaN or infinite values: {key}"
    from safetensors.torch import save_file

    save_file({k: t.clone().fill_(float("nan")) for k, t in PARAMS.items()}, str(tmp_path / "nan.safetensors"))
    yield "NaN in safetensors", tmp_path / "nan.safetensors", "2 tensor(s) hold NaN or infinite values"
    rng = random.Random(0)
    (tmp_path / "empty.bin").write_bytes(b"")
    yield "empty file", tmp_path / "empty.bin", "is an empty file (0 bytes)"
    for n in range(3):
        (tmp_path / f"noise{n}.bin").write_bytes(bytes(rng.randrange(256) for _ in range(2000)))
        yield "random bytes", tmp_path / f"noise{n}.bin", "torch.save"
    (tmp_path / "noise.safetensors").write_bytes(bytes(rng.randrange(256) for _ in range(500)))
    yield "damaged safetensors", tmp_path / "noise.safetensors", "safetensors file"
    (tmp_path / "lfs.bin").write_text("version https://git-lfs.github.com/spec/v1\noid sha256:" + "ab" * 32
                                      + "\nsize 1390000\n")
    yield "Git LFS pointer", tmp_path / "lfs.bin", "is a Git LFS pointer (132 bytes), not the weights: run `git lfs pull`"
    (tmp_path / "page.bin").write_text("<!DOCTYPE html><html><body>Sign in to continue</body></html>")
    yield "web page", tmp_path / "page.bin", "is a web page (60 bytes), not weights"


def test_unreadable_files_are_one_line_naming_the_file(tmp_path):
    for name, path, expected in _bad_cases(tmp_path):
        with pytest.raises(MetaCompressError) as info:
            load_state_dict(path, what=f"student {path}")
        message = str(info.value)
        assert "\n" not in message and message.startswith(f"student {path}") and expected in message, (name, message)


def _formats(tmp_path) -> dict:
    """The same weights in the three formats a model.bin or *.safetensors comes in."""
    from safetensors.torch import save_file

    big = {**PARAMS, "encoder.layer.0.w": torch.randn(64, 48)}
    torch.save(big, tmp_path / "zip.bin")
    torch.save(big, tmp_path / "legacy.bin", _use_new_zipfile_serialization=False)
    save_file(big, str(tmp_path / "w.safetensors"))
    return {"torch.save (zip)": tmp_path / "zip.bin", "torch.save (legacy pickle)": tmp_path / "legacy.bin",
            "safetensors": tmp_path / "w.safetensors"}


@pytest.mark.parametrize("seed", range(3))
def test_truncated_weight_files_say_so_in_one_line(tmp_path, seed):
    """A download or copy cut short, at offsets near the start, the middle and the very end of each format."""
    rng = random.Random(seed)
    for kind, good in _formats(tmp_path).items():
        data = good.read_bytes()
        n = len(data)
        cuts = {0, 1, 3, 8, 40, n // 2, n - 22, n - 1, *rng.sample(range(1, n), 6)}
        for cut in sorted(cuts):
            path = tmp_path / f"cut-{cut}{good.suffix}"
            path.write_bytes(data[:cut])
            with pytest.raises(MetaCompressError) as info:
                load_state_dict(path, what=f"student {path}")
            message = str(info.value)
            assert "\n" not in message and message.startswith(f"student {path} "), (kind, cut, message)
            assert "download or copy it again" in message and "Errno" not in message, (kind, cut, message)
            assert len(message) < 300, (kind, cut, message)


def test_a_torchscript_archive_is_named_as_one(tmp_path, recwarn):
    scripted = torch.jit.script(torch.nn.Linear(3, 2))
    for name in ("model.bin", "model.pt"):
        torch.jit.save(scripted, str(tmp_path / name))
        with pytest.raises(MetaCompressError) as info:
            load_state_dict(tmp_path / name, what=f"student {tmp_path / name}")
        message = str(info.value)
        assert message == (f"student {tmp_path / name} is a TorchScript archive (torch.jit.save: a compiled program), "
                           "not a state dict; save the weights with torch.save(model.state_dict(), 'model.bin')")
    assert not [w for w in recwarn if "TorchScript" in str(w.message)]  # no second line from torch


@pytest.mark.parametrize("prefix", ["module.", "_orig_mod.", "module._orig_mod."])
def test_wrapper_prefixes_are_removed_and_said_once(tmp_path, capsys, prefix):
    from metacompress_eval.models.files import strip_wrapper_prefixes

    path = _save(tmp_path, {prefix + k: v for k, v in PARAMS.items()})
    for _ in range(2):  # detection and loading both read the file
        state = load_state_dict(path, what=f"student {path}")
        assert set(state) == set(PARAMS) and all(torch.equal(state[k], v) for k, v in PARAMS.items())
    err = capsys.readouterr().err
    assert err.count("every key starts with") == 1 and repr(prefix) in err and str(path) in err
    # Only a prefix that every key has is a wrapper's: a model with one submodule named "module" keeps its keys.
    mixed = {"module.x": torch.zeros(1), "classifier.y": torch.zeros(1)}
    assert strip_wrapper_prefixes(mixed) == (mixed, "")


def _layouts(tmp_path, tokenizer_file, tiny_models):
    """One checkpoint per state-dict adapter: (adapter, its folder, state dict, loading keywords, inputs)."""
    from transformers import AutoTokenizer

    from ..conftest import C_SNIPPETS
    from .tiny import SIZES, compact_state, write_compact_student

    folder, student = write_compact_student(tmp_path / "compact", tokenizer_file, members=2, seed=5)
    (folder / "model.bin").unlink()
    yield "compact-roberta", folder, student, {}, [(C_SNIPPETS[0], C_SNIPPETS[1]), (C_SNIPPETS[2], C_SNIPPETS[0])]
    base = tiny_models["teacher"]
    vocab = len(AutoTokenizer.from_pretrained(base))
    sizes = {**SIZES, "hidden": 64, "heads": 4}
    defect = compact_state(vocab=vocab, relative=False, members=1, outputs=1, seed=6, encoder="encoder.roberta.",
                           head="encoder.classifier.", **sizes)
    yield "codexglue-defect", tmp_path / "defect", defect, {"tokenizer": str(base)}, [(c,) for c in C_SNIPPETS[:3]]
    clone = compact_state(vocab=vocab, relative=False, members=2, outputs=2, seed=7, pooler=False, **sizes)
    yield "codexglue-clone", tmp_path / "clone", clone, {"tokenizer": str(base)}, [(C_SNIPPETS[0], C_SNIPPETS[1])]


@pytest.mark.parametrize("prefix", ["module.", "module._orig_mod."])
def test_every_state_dict_adapter_reads_a_data_parallel_checkpoint(tmp_path, capsys, tokenizer_file, tiny_models,
                                                                   prefix):
    """Saved from ``torch.nn.DataParallel(model).state_dict()``: detected, loaded and run as the bare
    checkpoint is (the same outputs), with one note; ``metacompress import`` writes the keys without it."""
    from metacompress_eval.cli import main
    from metacompress_eval.inference import InferenceEngine
    from metacompress_eval.models import detect, load_model

    for adapter, folder, state, kwargs, inputs in _layouts(tmp_path, tokenizer_file, tiny_models):
        folder.mkdir(exist_ok=True)
        plain, wrapped = folder / "plain.bin", folder / "wrapped.pt"
        torch.save(state, plain)
        torch.save({prefix + k: v for k, v in state.items()}, wrapped)
        assert detect(str(wrapped))[0] == adapter
        outputs = []
        for path in (plain, wrapped):
            model = load_model(str(path), role="student", **kwargs)
            assert model.adapter == adapter
            outputs.append(InferenceEngine(model, None, progress=False).predict(inputs).logits)
        assert np.array_equal(*outputs), adapter
        err = capsys.readouterr().err
        assert err.count("every key starts with") == 1 and str(wrapped) in err, (adapter, err)
    assert main(["import", str(tmp_path / "compact" / "wrapped.pt"), str(tmp_path / "imported")]) == 0
    from safetensors.torch import load_file

    assert not any(k.startswith(prefix) for k in load_file(str(tmp_path / "imported" / "model.safetensors")))


def test_a_truncated_save_pretrained_folder_says_so(tmp_path, tiny_models):
    """The hf adapter's weights (model.safetensors / pytorch_model.bin) get the same one-line diagnosis."""
    import shutil

    from metacompress_eval.models import load_model

    folder = tmp_path / "teacher"
    shutil.copytree(tiny_models["teacher"], folder)
    weights = folder / "model.safetensors"
    data = weights.read_bytes()
    for cut in (0, 5, 100, len(data) // 2, len(data) - 1):
        weights.write_bytes(data[:cut])
        with pytest.raises(MetaCompressError) as info:
            load_model(str(folder), role="teacher")
        message = str(info.value)
        assert message.startswith(f"teacher {str(folder)!r}: model.safetensors is ") and "\n" not in message, message
        assert "download or copy it again" in message, message
