import shutil

import pytest

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.models import align_label_spaces, load_model, parse_label_map

from ..conftest import make_tiny_model


def test_load_and_fingerprint_is_stable(tiny_models):
    a = load_model(str(tiny_models["teacher"]), role="teacher")
    b = load_model(str(tiny_models["teacher"]), role="teacher")
    assert a.fingerprint == b.fingerprint
    assert a.label_names == ["safe", "defective"]
    assert a.max_length == 128  # 130 positions minus RoBERTa's padding offset
    c = load_model(str(tiny_models["teacher"]), role="teacher", max_length=64)
    assert c.fingerprint != a.fingerprint  # truncation changes outputs, so it is part of the key


def test_not_a_model_folder(tmp_path):
    with pytest.raises(MetaCompressError, match="not a model folder: it has no config.json"):
        load_model(str(tmp_path), role="teacher")
    f = tmp_path / "weights.bin"
    f.write_bytes(b"x")
    with pytest.raises(MetaCompressError, match=r"weights.bin is not a torch.save file nor safetensors"):
        load_model(str(f), role="student")  # a state-dict file is a model now (docs/adapters.md)
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    with pytest.raises(MetaCompressError, match="not a model file"):
        load_model(str(notes), role="student")
    with pytest.raises(MetaCompressError, match="does not exist"):
        load_model(str(tmp_path / "missing"), role="student")


def test_hub_id_offline_is_clear(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(MetaCompressError, match="offline mode is on"):
        load_model("nobody/no-such-model", role="teacher")


def test_missing_tokenizer(tiny_models, tmp_path):
    folder = tmp_path / "no_tok"
    folder.mkdir()
    for f in tiny_models["student"].iterdir():
        if f.name in ("config.json", "model.safetensors"):
            shutil.copy(f, folder / f.name)
    with pytest.raises(MetaCompressError, match="has no tokenizer files"):
        load_model(str(folder), role="student")
    loaded = load_model(str(folder), role="student", tokenizer=str(tiny_models["student"]))
    assert loaded.tokenizer is not None


def test_label_spaces(tiny_models, tmp_path, corpus_texts):
    teacher = load_model(str(tiny_models["teacher"]))
    student = load_model(str(tiny_models["student"]))
    align_label_spaces(teacher, student)
    assert student.label_permutation is None

    renamed = make_tiny_model(tmp_path / "renamed", layers=1, hidden=32, vocab=300, texts=corpus_texts[:50],
                              labels=("defective", "safe"))
    other = load_model(str(renamed))
    with pytest.raises(MetaCompressError, match="--label-map"):
        align_label_spaces(teacher, other)
    align_label_spaces(teacher, other, parse_label_map("defective=defective,safe=safe"))
    assert other.label_permutation == [1, 0]

    three = load_model(str(make_tiny_model(tmp_path / "three", layers=1, hidden=32, vocab=300,
                                           texts=corpus_texts[:50], labels=("a", "b", "c"))))
    with pytest.raises(MetaCompressError, match="different label sets"):
        align_label_spaces(teacher, three)
    with pytest.raises(MetaCompressError, match="STUDENT_LABEL=TEACHER_LABEL"):
        parse_label_map("nonsense")


def test_long_pairs_encode_as_the_tokenizer_truncates_them(tmp_path, corpus_texts):
    """Pair sides are cut before the tokenizer truncates them (its pair truncation costs the product of
    the sides' lengths): the token ids equal the tokenizer's own, for generated pairs of every length
    relation (both sides short, one long, both long, equal lengths) and many max lengths."""
    import random

    from transformers import AutoTokenizer

    from metacompress_eval.models.hf import shorten_pair_sides

    from ..conftest import make_tiny_model

    rng = random.Random(3)
    pieces = [s for s in corpus_texts[:200]]

    def text() -> str:
        # (the tokenizer's own pair truncation, the reference, costs the product of the sides' windows:
        # sides of a few snippets and max lengths from 24 keep it to seconds)
        joined = "\n".join(rng.sample(pieces, rng.choice([1, 1, 2, 4])))
        return joined[: rng.randint(0, len(joined))]

    for name, drop in (("keep", False), ("drop", True)):
        folder = make_tiny_model(tmp_path / name, layers=1, hidden=16, vocab=300, texts=corpus_texts,
                                 drop_whitespace=drop)
        tok = AutoTokenizer.from_pretrained(folder)
        firsts, seconds = [text() for _ in range(80)], [text() for _ in range(80)]
        firsts[0], seconds[0] = "x " * 40, "y " * 40  # equal, long sides
        for max_length in (24, 25, 33, 64, 127):
            kwargs = dict(truncation=True, max_length=max_length)
            cut = shorten_pair_sides(tok, firsts, seconds, max_length)
            assert tok(*cut, **kwargs)["input_ids"] == tok(firsts, seconds, **kwargs)["input_ids"], (name, max_length)
            assert any(len(c) < len(f) for c, f in zip(cut[0], firsts))  # some sides were cut
    loaded = load_model(str(folder), max_length=40)
    assert loaded.encode(list(zip(firsts, seconds))) == tok(firsts, seconds, truncation=True,
                                                            max_length=40)["input_ids"]
