"""compact-roberta: outputs against an independent reference, and checkpoints it must refuse."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.inference import InferenceEngine
from metacompress_eval.models import detect, load_model

from ..conftest import C_SNIPPETS
from .tiny import SIZES, published_ids, reference_head, reference_sequence, train_bare_tokenizer
from .tiny import write_compact_student as _student


# Generated cases: attention variant × activation × head shape × block size (short enough to truncate).
CASES = [("relative_key", "gelu", 2, 2, None), ("relative_key_query", "gelu", 2, 2, None),
         ("relative_key", "silu", 1, 2, None), ("relative_key_query", "relu", 1, 1, 20),
         ("relative_key", "gelu", 2, 2, 12)]


@pytest.mark.parametrize("attention,activation,members,outputs,block", CASES)
def test_outputs_match_reference_relative_attention(tmp_path, tokenizer_file, attention, activation, members, outputs, block):
    folder, state = _student(tmp_path / "s", tokenizer_file, members=members, outputs=outputs,
                             seed=hash((attention, activation, members)) % 1000)
    options = {"attention": attention, "activation": activation}
    model = load_model(str(folder), role="student", options=options, max_length=block)
    assert model.adapter == "compact-roberta" and model.describe()["architecture"]["position"] == attention
    snippets = C_SNIPPETS + [C_SNIPPETS[0] * 3]  # one long enough to truncate
    inputs = [tuple(snippets[(i + j) % len(snippets)] for j in range(members)) for i in range(len(snippets))]
    got = InferenceEngine(model, None, batch_size=2, progress=False).predict(inputs)
    limit = block or SIZES["positions"] - 2
    for row, inp in zip(got.logits, inputs):
        vectors = [reference_sequence(state, published_ids(tokenizer_file, code, limit), heads=SIZES["heads"],
                                      attention=attention, activation=activation) for code in inp]
        ref = reference_head(state, vectors)
        expected = np.array([0.0, ref[0]]) if outputs == 1 else ref  # one sigmoid output → [0, z]
        np.testing.assert_allclose(row, expected, rtol=1e-4, atol=1e-4)
    assert got.stats.truncated >= 1


def test_padding_and_batching_do_not_change_outputs(tmp_path, tokenizer_file):
    folder, _ = _student(tmp_path / "s", tokenizer_file, members=1)
    inputs = [(s,) for s in C_SNIPPETS * 2] + [("int f() { return 0; }",)]
    one = InferenceEngine(load_model(str(folder)), None, batch_size=1, progress=False).predict(inputs)
    many = InferenceEngine(load_model(str(folder)), None, batch_size=5, progress=False).predict(inputs)
    np.testing.assert_allclose(one.probs, many.probs, atol=1e-6)


def test_whitespace_variants_are_one_sequence(tmp_path, tokenizer_file):
    folder, _ = _student(tmp_path / "s", tokenizer_file, members=1)
    model = load_model(str(folder))
    a = C_SNIPPETS[1]
    b = "\n\n".join(a.split("\n")).replace("    ", "\t")
    assert model.encode([(a,)]) == model.encode([(b,)])  # published normalisation: " ".join(code.split())
    out = InferenceEngine(model, None, progress=False).predict([(a,), (b,)])
    np.testing.assert_array_equal(out.probs[0], out.probs[1])


def test_hidden_states_expose_every_layer(tmp_path, tokenizer_file):
    folder, state = _student(tmp_path / "s", tokenizer_file, members=2)
    model = load_model(str(folder))
    batch = model.collate(model.encode([(C_SNIPPETS[0], C_SNIPPETS[1])]))
    states = model.hidden_states(batch)
    assert states["first"].shape == states["mean"].shape == (1, SIZES["layers"] + 1, 2 * SIZES["hidden"])
    ref = reference_sequence(state, published_ids(folder / "tokenizer.json", C_SNIPPETS[0], 32), heads=3,
                             attention="relative_key")
    np.testing.assert_allclose(states["first"][0, -1, :SIZES["hidden"]], ref, atol=1e-4)


def test_detected_from_relative_keys(tmp_path, tokenizer_file):
    folder, _ = _student(tmp_path / "s", tokenizer_file)
    assert detect(str(folder))[0] == "compact-roberta"
    assert detect(str(folder / "model.bin"))[0] == "compact-roberta"


def test_unknown_key_is_refused(tmp_path, tokenizer_file):
    folder, state = _student(tmp_path / "s", tokenizer_file)
    state["encoder.encoder.layer.0.attention.self.rotary.weight"] = torch.zeros(3, 3)
    torch.save(state, folder / "model.bin")
    with pytest.raises(MetaCompressError, match=r"model.bin: 1 key\(s\) the model would ignore: "
                                                r"encoder.encoder.layer.\*.attention.self.rotary.weight"):
        load_model(str(folder), role="student", adapter="compact-roberta")


def test_missing_key_and_shape_mismatch_are_refused(tmp_path, tokenizer_file):
    folder, state = _student(tmp_path / "s", tokenizer_file)
    del state["encoder.encoder.layer.1.output.dense.bias"]
    torch.save(state, folder / "model.bin")
    with pytest.raises(MetaCompressError, match=r"key\(s\) missing: encoder.encoder.layer.\*.output.dense.bias"):
        load_model(str(folder), adapter="compact-roberta")
    folder, state = _student(tmp_path / "t", tokenizer_file)
    with pytest.raises(MetaCompressError, match="heads=4 disagrees with the weights"):
        load_model(str(folder), options={"heads": "4"})
    state["encoder.encoder.layer.1.intermediate.dense.weight"] = torch.zeros(41, SIZES["hidden"])
    torch.save(state, folder / "model.bin")
    with pytest.raises(MetaCompressError, match=r"layer.1.intermediate.dense.weight has shape \[41, 24\]"):
        load_model(str(folder))


def test_options_the_weights_contradict(tmp_path, tokenizer_file):
    folder, _ = _student(tmp_path / "abs", tokenizer_file, relative=False)
    with pytest.raises(MetaCompressError, match="does not reveal its number of attention heads; pass --student-option heads=N"):
        load_model(str(folder), role="student", adapter="compact-roberta")
    with pytest.raises(MetaCompressError, match="attention=relative_key needs distance_embedding weights"):
        load_model(str(folder), adapter="compact-roberta", options={"attention": "relative_key", "heads": 3})
    model = load_model(str(folder), adapter="compact-roberta", options={"heads": 3})
    assert model.describe()["architecture"]["position"] == "absolute"
    rel, _ = _student(tmp_path / "rel", tokenizer_file)
    with pytest.raises(MetaCompressError, match="attention=absolute but the weights hold distance_embedding"):
        load_model(str(rel), options={"attention": "absolute"})
    with pytest.raises(MetaCompressError, match="unknown option.*colour.*it takes: attention, activation"):
        load_model(str(rel), role="student", options={"colour": "red"})
    with pytest.raises(MetaCompressError, match="option activation='tanh' is not one of"):
        load_model(str(rel), options={"activation": "tanh"})
    with pytest.raises(MetaCompressError, match="max length 40 exceeds the 32 positions"):
        load_model(str(rel), max_length=40)


def test_tokenizer_problems(tmp_path, tokenizer_file, corpus_texts):
    folder, _ = _student(tmp_path / "s", tokenizer_file)
    (folder / "tokenizer.json").unlink()
    with pytest.raises(MetaCompressError, match="no tokenizer.json beside the weights; pass --teacher-tokenizer"):
        load_model(str(folder), role="teacher", adapter="compact-roberta")
    big = train_bare_tokenizer(corpus_texts, 400, tmp_path / "big" / "tokenizer.json")
    with pytest.raises(MetaCompressError, match="has .* tokens but the embedding table has .* rows"):
        load_model(str(folder), adapter="compact-roberta", tokenizer=str(big))


@pytest.mark.parametrize("dtype", [torch.int8, torch.int64, torch.bool, torch.complex64])
@pytest.mark.parametrize("key", ["encoder.encoder.layer.0.attention.self.query.weight",
                                 "encoder.encoder.layer.1.attention.self.distance_embedding.weight",
                                 "classifier.out_proj.bias"])
def test_weights_that_are_not_real_floats_are_refused(tmp_path, tokenizer_file, dtype, key):
    """A cast to float would load them, and give meaningless outputs without a word."""
    folder, state = _student(tmp_path / "s", tokenizer_file)
    state[key] = (state[key] * 50).to(dtype)
    torch.save(state, folder / "model.bin")
    with pytest.raises(MetaCompressError) as info:
        load_model(str(folder), role="student")
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"student {folder / 'model.bin'}: 1 weight tensor(s) are not "
                                                       f"real floating point: {key}")
    state[key] = state[key].real.to(torch.float16) if dtype is torch.complex64 else state[key].to(torch.float16)
    torch.save(state, folder / "model.bin")
    load_model(str(folder), role="student")  # half precision is a float: it loads


def test_pair_model_refuses_single_inputs(tmp_path, tokenizer_file):
    folder, _ = _student(tmp_path / "s", tokenizer_file, members=2)
    model = load_model(str(folder))
    with pytest.raises(MetaCompressError, match="takes pairs of code inputs"):
        InferenceEngine(model, None, progress=False).predict([(C_SNIPPETS[0],)])


def test_pickled_code_is_refused(tmp_path):
    import collections

    folder = tmp_path / "evil"
    folder.mkdir()
    torch.save({"w": torch.zeros(1), "when": collections.Counter(a=1), "f": _Payload()}, folder / "model.bin")
    with pytest.raises(MetaCompressError, match="needs full unpickling.*refusing to run its code"):
        load_model(str(folder), role="student")


class _Payload:
    """A class the weights-only unpickler must not instantiate."""


@pytest.mark.parametrize("members,task", [(1, "clone"), (2, "defect")])
def test_head_that_cannot_take_the_tasks_inputs_is_refused_before_inference(tmp_path, tokenizer_file, capsys,
                                                                              members, task):
    import json

    from metacompress_eval.cli import main

    folder, _ = _student(tmp_path / "s", tokenizer_file, members=members)
    data = tmp_path / "data.jsonl"
    row = {"code": C_SNIPPETS[0], "code1": C_SNIPPETS[0], "code2": C_SNIPPETS[1], "label": 1}
    data.write_text(json.dumps(row) + "\n")
    out = tmp_path / "out"
    assert main(["evaluate", "--task", task, "--student", str(folder), "--data", str(data), "--out", str(out),
                 "--no-verify"]) == 2
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert str(folder) in message and f"--task {task}" in message and "head takes" in message
    assert not (out / "report.json").exists()


@pytest.mark.parametrize("members,task", [(1, "clone"), (2, "defect")])
def test_every_command_that_loads_a_model_for_a_task_refuses_the_same_way(tmp_path, tokenizer_file, capsys,
                                                                           tiny_models, members, task):
    """evaluate (with and without a teacher), attack, distill's teacher and the Space's probe all go
    through ModelSpec.load(task=...) / check_task: one line naming the model and the task, before any work."""
    import json

    from metacompress_eval.cli import main
    from metacompress_eval.space import ModelStore, SpaceSettings, probe_snippet

    folder, _ = _student(tmp_path / "s", tokenizer_file, members=members)
    data = tmp_path / "data.jsonl"
    row = {"code": C_SNIPPETS[0], "code1": C_SNIPPETS[0], "code2": C_SNIPPETS[1], "label": 1}
    data.write_text(json.dumps(row) + "\n")
    commands = {
        "evaluate with a teacher": ["evaluate", "--task", task, "--teacher", str(folder), "--student", str(folder),
                                    "--data", str(data), "--out", str(tmp_path / "e"), "--no-verify"],
        "attack": ["attack", "--task", task, "--language", "c", "--model", str(folder), "--data", str(data),
                   "--out", str(tmp_path / "a")],
        "distill": ["distill", "--task", task, "--language", "c", "--teacher", str(folder), "--data", str(data),
                    "--out", str(tmp_path / "d")],
    }
    for name, argv in commands.items():
        assert main(argv) == 2, name
        message = capsys.readouterr().err.strip().splitlines()[-1]
        assert str(folder) in message and f"--task {task}" in message and "head takes" in message, (name, message)
        assert not any((tmp_path / d).exists() and any((tmp_path / d).iterdir()) for d in "ead"), name
    store = ModelStore(SpaceSettings(models_dir=tmp_path / "models", work_dir=tmp_path / "work", demo_size="tiny"))
    other = str(tiny_models["teacher"])
    with pytest.raises(MetaCompressError, match=f"student {folder}: its head takes .* --task {task}"):
        probe_snippet(store, C_SNIPPETS[0], "c", task, teacher=other, student=str(folder), code2=C_SNIPPETS[1])


def _generated_pairs(n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` pairs of varied lengths (short ones, ones cut at the block size), sharing functions, with repeats."""
    rng = np.random.default_rng(seed)
    functions = [f"/* {i} */ " + " ".join(C_SNIPPETS[i % len(C_SNIPPETS)].split()[:int(rng.integers(1, 30))])
                 for i in range(40)]
    pairs = [(functions[int(rng.integers(40))], functions[int(rng.integers(40))]) for _ in range(n)]
    return pairs + pairs[: n // 5]


@pytest.mark.parametrize("seed,batch_size,batch_tokens,cached", [(0, 4, None, 0), (1, 7, 90, 30), (2, 1, None, 100)])
def test_encoding_beside_inference_runs_the_same_batches(tmp_path, tokenizer_file, seed, batch_size, batch_tokens,
                                                         cached):
    """The engine encodes in chunks on a worker thread while it runs the full-length batches already known
    (encodes_in_background): every forward pass holds exactly the inputs it holds when everything is
    encoded first, so outputs, cache rows and counts are the same bytes."""
    from metacompress_eval.inference import OutputCache

    folder, _ = _student(tmp_path / "s", tokenizer_file, members=2, seed=seed)
    inputs = _generated_pairs(300, seed)
    results = {}
    for background in (False, True):
        model = load_model(str(folder), max_length=16)
        model.encodes_in_background = background
        cache = OutputCache(tmp_path / f"{background}" / "outputs.sqlite")
        if cached:  # some outputs already cached, as in a resumed run
            InferenceEngine(model, cache, batch_size=batch_size, batch_tokens=batch_tokens,
                            progress=False).predict(inputs[:cached])
        batches, encode_calls = [], []
        forward, encode, beside = model.forward, model.encode, model.encode_beside
        model.forward = lambda batch: (batches.append(list(batch)), forward(batch))[1]
        model.encode = lambda inp, ids=None: (encode_calls.append(len(inp)), encode(inp, ids))[1]
        # Chunks after the first are encoded beside the forward passes, one text per tokenizer call.
        model.encode_beside = lambda inp, ids=None: (encode_calls.append(len(inp)), beside(inp, ids))[1]
        got = InferenceEngine(model, cache, batch_size=batch_size, batch_tokens=batch_tokens,
                              progress=False).predict(inputs)
        rows = sorted(cache._db.execute("SELECT key, logits, checksum FROM outputs"))
        cache.close()
        results[background] = (got.logits.tobytes(), got.stats.as_dict(), batches, rows)
        assert (len(encode_calls) > 2) == background, encode_calls  # in chunks only beside inference
    plain, streamed = results[False], results[True]
    assert streamed[0] == plain[0] and streamed[3] == plain[3]
    assert {k: v for k, v in streamed[1].items() if k != "seconds"} == {k: v for k, v in plain[1].items()
                                                                         if k != "seconds"}
    assert streamed[2] == plain[2] and plain[1]["truncated"] > 0 and len(plain[2]) > 3


def test_an_encoding_error_in_a_later_chunk_stops_the_run(tmp_path, tokenizer_file):
    import threading

    folder, _ = _student(tmp_path / "s", tokenizer_file, members=2)
    model = load_model(str(folder), max_length=16)
    inputs = _generated_pairs(400, 3)
    inputs[350] = (inputs[350][0],)  # one text where the pair head needs two
    with pytest.raises(MetaCompressError, match="this model's head takes pairs"):
        InferenceEngine(model, None, batch_size=4, progress=False).predict(inputs)
    assert not [t for t in threading.enumerate() if t.name.startswith("metacompress-encode")]


@pytest.mark.parametrize("members", [1, 2])
def test_keys_and_encoding_beside_inference_are_those_of_the_plain_path(tmp_path, tokenizer_file, members):
    """The adapter's own encoded_key hashes the bytes LoadedModel.encoded_key hashes (so caches written
    before it stay valid), and encode_beside (one text per tokenizer call) gives encode's ids, over
    generated inputs: short, cut at the block size, repeated, empty after normalisation."""
    from metacompress_eval.models.base import LoadedModel

    folder, _ = _student(tmp_path / "s", tokenizer_file, members=members)
    inputs = [pair[:members] for pair in _generated_pairs(120, members)] + [(" \n\t",) * members]
    for special in (True, False):
        model = load_model(str(folder), max_length=16, options={"special_tokens": special})
        beside = model.encode_beside(inputs)
        model.prepare._memo.clear()  # tokenise again, as a batch
        encoded = model.encode(inputs)
        assert beside == encoded
        keys = [model.encoded_key(e) for e in encoded]
        assert keys == [LoadedModel.encoded_key(model, e) for e in encoded]
        assert len(set(keys)) == len(set(encoded))
