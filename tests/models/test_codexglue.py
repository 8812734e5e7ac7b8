"""The CodeXGLUE wrappers on tiny RoBERTa models, checked against ``transformers``' own RoBERTa."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.inference import InferenceEngine
from metacompress_eval.models import detect, load_model

from ..conftest import C_SNIPPETS

BLOCK = 24


def _config(tok_folder):
    from transformers import RobertaConfig

    return RobertaConfig.from_pretrained(tok_folder)


def _published_ids(tok, code: str) -> list[int]:
    """As the CodeXGLUE scripts build them: normalise, tokenize, cut, wrap, pad to the block size."""
    tokens = tok.tokenize(" ".join(code.split()))[:BLOCK - 2]
    ids = tok.convert_tokens_to_ids([tok.cls_token, *tokens, tok.sep_token])
    return ids + [tok.pad_token_id] * (BLOCK - len(ids))


@pytest.fixture(scope="module")
def base(tiny_models):
    """The pretrained model's folder (config and tokenizer) the fine-tunes start from."""
    from transformers import AutoTokenizer

    return tiny_models["teacher"], AutoTokenizer.from_pretrained(tiny_models["teacher"])


def test_defect_wrapper_sigmoid_probabilities(tmp_path, base):
    from transformers import RobertaForSequenceClassification

    folder, tok = base
    torch.manual_seed(3)
    config = _config(folder)
    config.num_labels = 1
    inner = RobertaForSequenceClassification(config).eval()
    with torch.no_grad():
        inner.classifier.out_proj.weight.normal_(0, 2.0)
    ckpt = tmp_path / "checkpoint-best-acc"
    ckpt.mkdir()
    torch.save({f"encoder.{k}": v for k, v in inner.state_dict().items()}, ckpt / "model.bin")
    assert detect(str(ckpt / "model.bin"))[0] == "codexglue-defect"
    model = load_model(str(ckpt / "model.bin"), role="student", tokenizer=str(folder), max_length=BLOCK,
                       options={"labels": "safe,vulnerable"})
    assert model.adapter == "codexglue-defect" and model.label_names == ["safe", "vulnerable"]
    codes = C_SNIPPETS + [C_SNIPPETS[2] * 4]
    got = InferenceEngine(model, None, batch_size=2, progress=False).predict([(c,) for c in codes])
    ids = torch.tensor([_published_ids(tok, c) for c in codes])
    with torch.no_grad():
        s = torch.sigmoid(inner(input_ids=ids, attention_mask=ids.ne(1)).logits[:, 0]).double().numpy()
    np.testing.assert_allclose(got.probs, np.stack([1 - s, s], 1), atol=1e-5)


def test_clone_wrapper_pairs_encoded_separately(tmp_path, base):
    from transformers import RobertaModel

    folder, tok = base
    torch.manual_seed(4)
    config = _config(folder)
    encoder = RobertaModel(config).eval()
    h = config.hidden_size
    dense, out = torch.nn.Linear(2 * h, h), torch.nn.Linear(h, 2)
    with torch.no_grad():
        out.weight.normal_(0, 2.0)
    state = {f"encoder.{k}": v for k, v in encoder.state_dict().items()}
    state.update({"classifier.dense.weight": dense.weight, "classifier.dense.bias": dense.bias,
                  "classifier.out_proj.weight": out.weight, "classifier.out_proj.bias": out.bias})
    torch.save(state, tmp_path / "model.bin")
    assert detect(str(tmp_path))[0] == "codexglue-clone"
    model = load_model(str(tmp_path), tokenizer=str(folder), max_length=BLOCK)
    pairs = [(C_SNIPPETS[i], C_SNIPPETS[(i + 1) % 4]) for i in range(4)] + [(C_SNIPPETS[0], C_SNIPPETS[0] * 3)]
    got = InferenceEngine(model, None, batch_size=3, progress=False).predict(pairs)
    ids = torch.tensor([_published_ids(tok, c) for p in pairs for c in p])  # rows 2i, 2i + 1: pair i
    with torch.no_grad():
        first = encoder(input_ids=ids, attention_mask=ids.ne(1)).last_hidden_state[:, 0].reshape(len(pairs), 2 * h)
        logits = out(torch.tanh(dense(first)))
    np.testing.assert_allclose(got.logits, logits.numpy(), atol=1e-4)


def test_wrapper_needs_its_tokenizer_and_layout(tmp_path, base):
    from transformers import RobertaModel

    folder, _ = base
    config = _config(folder)
    state = {f"encoder.{k}": v for k, v in RobertaModel(config).state_dict().items()}
    h = config.hidden_size
    state.update({"classifier.dense.weight": torch.zeros(h, 2 * h), "classifier.dense.bias": torch.zeros(h),
                  "classifier.out_proj.weight": torch.zeros(2, h), "classifier.out_proj.bias": torch.zeros(2)})
    torch.save(state, tmp_path / "model.bin")
    with pytest.raises(MetaCompressError, match="no tokenizer beside the weights; pass --student-tokenizer"):
        load_model(str(tmp_path), role="student")
    with pytest.raises(MetaCompressError, match=r"not a codexglue-defect checkpoint \(expected encoder.roberta.\*"):
        load_model(str(tmp_path), adapter="codexglue-defect", tokenizer=str(folder))
    # No base config at hand: the head count defaults to hidden/64 (every CodeBERT-family base), or the option.
    (tmp_path / "tok").mkdir()
    for f in folder.iterdir():
        if f.name != "config.json" and f.suffix != ".safetensors":
            (tmp_path / "tok" / f.name).write_bytes(f.read_bytes())
    assert load_model(str(tmp_path), tokenizer=str(tmp_path / "tok")).describe()["architecture"]["num_heads"] == 1
    model = load_model(str(tmp_path), tokenizer=str(tmp_path / "tok"), options={"heads": 2})
    assert model.describe()["architecture"]["num_heads"] == 2


def test_unrecognised_state_dict_names_adapters_and_keys(tmp_path):
    torch.save({"backbone.layers.0.weight": torch.zeros(2, 2), "fc.weight": torch.zeros(2, 2)}, tmp_path / "model.pt")
    with pytest.raises(MetaCompressError) as info:
        load_model(str(tmp_path / "model.pt"), role="student")
    message = str(info.value)
    assert "\n" not in message
    assert "no adapter recognises this state dict (2 tensors; keys: backbone.layers.*.weight, fc.weight)" in message
    for name in ("compact-roberta", "codexglue-defect", "codexglue-clone", "--student-adapter"):
        assert name in message


@pytest.mark.parametrize("heads", [3, 5, 7])
def test_heads_that_do_not_divide_the_hidden_size_name_the_file(tmp_path, base, heads):
    from transformers import RobertaConfig, RobertaForSequenceClassification

    folder, _ = base
    config = RobertaConfig.from_pretrained(folder, num_labels=1)
    assert config.hidden_size % heads
    state = {f"encoder.{k}": v for k, v in RobertaForSequenceClassification(config).state_dict().items()}
    torch.save(state, tmp_path / "model.bin")
    with pytest.raises(MetaCompressError) as info:
        load_model(str(tmp_path), role="student", tokenizer=str(folder), options={"heads": heads})
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"student {tmp_path / 'model.bin'}: {heads} attention heads")


def _defect_checkpoint(tmp_path, folder, seed=5):
    from transformers import RobertaForSequenceClassification

    torch.manual_seed(seed)
    config = _config(folder)
    config.num_labels = 1
    inner = RobertaForSequenceClassification(config).eval()
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    torch.save({f"encoder.{k}": v for k, v in inner.state_dict().items()}, ckpt / "model.bin")
    return ckpt


def test_every_form_of_tokenizer_json_gives_the_same_outputs(tmp_path, base):
    """A tokenizer folder, its tokenizer.json as a FILE, and a folder holding only tokenizer.json (no config
    naming the special tokens: they are found in the vocabulary) tokenise alike — for both wrappers' loader."""
    folder, _ = base
    ckpt = _defect_checkpoint(tmp_path, folder)
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "tokenizer.json").write_bytes((folder / "tokenizer.json").read_bytes())
    codes = [(c,) for c in C_SNIPPETS]
    outs = []
    for tokenizer in (folder, folder / "tokenizer.json", bare, bare / "tokenizer.json"):
        model = load_model(str(ckpt), role="student", tokenizer=str(tokenizer), max_length=BLOCK)
        assert model.prepare.describe()["bos_eos_pad"] == [0, 2, 1]
        outs.append((model.encode(codes), InferenceEngine(model, None, progress=False).predict(codes).logits))
    for ids, logits in outs[1:]:
        assert ids == outs[0][0]
        np.testing.assert_allclose(logits, outs[0][1], atol=1e-5)  # same ids; float rounding may differ between loads


@pytest.mark.parametrize("drop", [("<pad>",), ("<s>",), ("</s>", "<pad>"), ("<s>", "</s>", "<pad>")])
def test_missing_special_tokens_are_named(tmp_path, base, drop):
    import json

    folder, _ = base
    ckpt = _defect_checkpoint(tmp_path, folder)
    spec = json.loads((folder / "tokenizer.json").read_text())
    spec["added_tokens"] = [t for t in spec.get("added_tokens", []) if t["content"] not in drop]
    vocab = spec["model"]["vocab"]
    for token in drop:
        vocab[token + "x"] = vocab.pop(token)  # renamed: same size, the special spelling gone
    spec["post_processor"] = None
    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps(spec))
    names = {"<s>": "cls", "</s>": "sep", "<pad>": "pad"}
    with pytest.raises(MetaCompressError, match="lacks the") as err:
        load_model(str(ckpt), role="student", tokenizer=str(path), max_length=BLOCK)
    message = str(err.value)
    assert all((f"{names[t]} (" in message) == (t in drop) for t in names), message


def test_hf_adapter_takes_a_tokenizer_json_file(tiny_models, tmp_path):
    teacher = tiny_models["teacher"]
    codes = [(c,) for c in C_SNIPPETS]
    own = InferenceEngine(load_model(str(teacher)), None, progress=False).predict(codes).logits
    via_file = load_model(str(teacher), tokenizer=str(teacher / "tokenizer.json"))
    np.testing.assert_array_equal(own, InferenceEngine(via_file, None, progress=False).predict(codes).logits)
