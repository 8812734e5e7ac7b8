"""Reading a state dict: every shape a saved checkpoint comes in, and every damaged file, as one line.

Training scripts save the bare state dict, or a checkpoint around it under a key of their choosing
(``model``, ``state_dict``, ``model_state_dict`` …) beside epochs, optimiser states and metrics. The
cases are generated: wrapper keys, sibling entries and damage are drawn at random (seeded), so the test
covers the kind, not one layout.
"""

from __future__ import annotations

import argparse
import random

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
    good = _save(tmp_path, dict(PARAMS), "good.bin").read_bytes()
    for n, cut in enumerate(sorted(rng.sample(range(1, len(good) - 1), 4))):
        path = tmp_path / f"cut{n}.bin"
        path.write_bytes(good[:cut])
        yield f"truncated at {cut}", path, "not a readable torch state dict"
    (tmp_path / "empty.bin").write_bytes(b"")
    yield "empty file", tmp_path / "empty.bin", "not a readable torch state dict"
    (tmp_path / "noise.bin").write_bytes(bytes(rng.randrange(256) for _ in range(2000)))
    yield "random bytes", tmp_path / "noise.bin", "not a readable torch state dict"
    (tmp_path / "noise.safetensors").write_bytes(bytes(rng.randrange(256) for _ in range(500)))
    yield "damaged safetensors", tmp_path / "noise.safetensors", "not a readable safetensors file"


def test_unreadable_files_are_one_line_naming_the_file(tmp_path):
    for name, path, expected in _bad_cases(tmp_path):
        with pytest.raises(MetaCompressError) as info:
            load_state_dict(path, what=f"student {path}")
        message = str(info.value)
        assert "\n" not in message and message.startswith(f"student {path}") and expected in message, (name, message)
