"""End-to-end test of the demo trainers with the "tiny" preset (seconds, not minutes)."""

import json

import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from metacompress_eval.demo.corpus import generate_corpus
from metacompress_eval.threads import configure_threads
from metacompress_eval.demo.training import (
    PRESETS,
    count_parameters,
    distil_student,
    predict_proba,
    train_teacher,
    train_tokenizer,
)


def test_tokenizer_roundtrip(tmp_path):
    texts = ["int main(void) { return 0; }", "char *p = malloc(4);\nfree(p);"] * 20
    train_tokenizer(texts, 300, tmp_path, max_length=16)
    tok = AutoTokenizer.from_pretrained(str(tmp_path))
    single = tok.convert_ids_to_tokens(tok("int x;")["input_ids"])
    assert single[0] == "<s>" and single[-1] == "</s>"
    pair = tok.convert_ids_to_tokens(tok("int a;", "int b;")["input_ids"])
    assert pair[0] == "<s>" and pair[-1] == "</s>" and "</s></s>" in "".join(pair)
    assert len(tok("x " * 100, truncation=True)["input_ids"]) == 16
    assert tok.pad_token_id == 1 and tok.convert_ids_to_tokens(0) == "<s>"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    configure_threads("auto")  # 2 threads on a busy machine would wait on each other at every step
    root = tmp_path_factory.mktemp("demo_models")
    rows = generate_corpus(PRESETS["tiny"].n_functions, seed=0)
    calls = []
    teacher = train_teacher(rows, root / "teacher", size="tiny", seed=0,
                            progress=lambda stage, frac: calls.append((stage, frac)))
    texts = [r["code"] for r in rows if r["split"] == "train"]
    student = distil_student(teacher, texts, root / "student", size="tiny", seed=0, progress=False)
    return rows, texts, teacher, student, calls


def test_models_reload(trained):
    _, texts, teacher_dir, student_dir, _ = trained
    for d in (teacher_dir, student_dir):
        assert (d / "model.safetensors").exists()
        model = AutoModelForSequenceClassification.from_pretrained(str(d))
        tok = AutoTokenizer.from_pretrained(str(d))
        assert model.config.id2label == {0: "safe", 1: "defective"}
        enc = tok(texts[:2], truncation=True, padding=True, return_tensors="pt")
        with torch.inference_mode():
            assert model(**enc).logits.shape == (2, 2)


def test_student_is_smaller(trained):
    _, _, teacher_dir, student_dir, _ = trained
    t = AutoModelForSequenceClassification.from_pretrained(str(teacher_dir))
    s = AutoModelForSequenceClassification.from_pretrained(str(student_dir))
    assert count_parameters(s) < count_parameters(t)
    assert len(AutoTokenizer.from_pretrained(str(student_dir))) < len(AutoTokenizer.from_pretrained(str(teacher_dir)))


def test_distillation_loss_decreases_and_student_agrees(trained):
    _, texts, teacher_dir, student_dir, _ = trained
    log = json.loads((student_dir / "distillation_log.json").read_text())
    losses = [e["distillation_loss"] for e in log["epochs"]]
    assert losses[-1] < losses[0]
    pt = predict_proba(teacher_dir, texts).argmax(-1)
    ps = predict_proba(student_dir, texts).argmax(-1)
    assert (pt == ps).float().mean().item() >= 0.7


def test_teacher_log_and_progress(trained):
    _, _, teacher_dir, _, calls = trained
    log = json.loads((teacher_dir / "training_log.json").read_text())
    assert 1 <= log["best_epoch"] <= len(log["epochs"])
    assert calls and calls[-1][1] == 1.0
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions)


def test_unknown_size_rejected(tmp_path):
    with pytest.raises(ValueError, match="unknown size"):
        train_teacher(generate_corpus(10), tmp_path, size="huge")
