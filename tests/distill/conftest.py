"""Fixtures of the distillation tests: tiny teachers made here, and a case built to separate
a plain KD student from a fidelity student.

``name_keyed_case`` builds a teacher that is invariant to renaming *by construction* -- its
tokenizer's normaliser maps every identifier that is not a C keyword to the same token, so no
renaming can change what it sees -- and labels a function by its loop kind (``while`` → 1,
``for`` → 0). In the unlabelled distillation data the variable names are spuriously tied to that
label (``while`` functions draw names from one half of the renamer's natural-name pool, ``for``
functions from the other), and each name occurs many times while the loop keyword occurs once.
A student distilled on those inputs alone can key on the names; renaming then hands it names
of the other half, and it disagrees with its teacher. The fidelity recipe shows the student
renamed inputs with the teacher's (unchanged) distribution on them, which breaks the shortcut.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from metacompress_eval.code.names import NATURAL_NAMES

from ..conftest import C_SNIPPETS, make_tiny_model, write_jsonl

KEYWORDS = ("for", "while", "int", "return", "if", "else", "void", "char")
_PY_IDENT = re.compile(r"\b(?!(?:" + "|".join(KEYWORDS) + r")\b)[A-Za-z_][A-Za-z0-9_]*")
_ONIG_IDENT = r"\b(?!(?:" + "|".join(KEYWORDS) + r")\b)[A-Za-z_][A-Za-z0-9_]*"
HALF_A = NATURAL_NAMES[: len(NATURAL_NAMES) // 2]
HALF_B = NATURAL_NAMES[len(NATURAL_NAMES) // 2:]


def loop_function(rng: random.Random, label: int, names) -> str:
    """A C function whose loop is ``while`` (label 1) or ``for`` (label 0), using ``names``."""
    a, b, c, d, e = rng.sample(list(names), 5)
    fname = rng.choice(["compute", "process", "update", "scan", "walk", "reduce"])
    body = [f"int {b} = {rng.randint(0, 9)};", f"int {c} = {a} + {rng.randint(1, 9)};"]
    ops = [f"{b} = {b} + {c};", f"{c} = {c} - {b};", f"{b} = {b} * 2;", f"{c} = {a} + {b};", f"{b} = {c} + 1;"]
    inner = rng.sample(ops, 3)
    if label:
        loop = [f"int {d} = 0;", f"while ({d} < {a}) {{", *[f"    {s}" for s in inner], f"    {d} = {d} + 1;", "}"]
    else:
        loop = [f"for (int {d} = 0; {d} < {a}; {d}++) {{", *[f"    {s}" for s in inner], "}"]
    tail = [f"int {e} = {b} + {c};", f"return {e};"]
    lines = body + loop + tail
    return f"int {fname}(int {a}) {{\n" + "\n".join("    " + line for line in lines) + "\n}"


def _train_teacher(folder: Path, rows: list[dict]) -> Path:
    """A one-layer RoBERTa that sees no identifiers (normaliser) trained on loop-kind labels."""
    import torch
    from tokenizers import Regex, normalizers

    from metacompress_eval.distill.common import encode, roberta_classifier, train_tokenizer
    from metacompress_eval.distill.train import DistillSet, TrainSettings, train_student

    texts = [r["code"] for r in rows]
    tok = train_tokenizer([_PY_IDENT.sub("v", t) for t in texts], 300, folder, max_length=126)
    tok.backend_tokenizer.normalizer = normalizers.Replace(Regex(_ONIG_IDENT), "v")
    tok.save_pretrained(str(folder))
    model = roberta_classifier(tok, hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64,
                               max_length=126, id2label={0: "safe", 1: "defective"})
    labels = torch.tensor([r["label"] for r in rows])
    # Hard labels as confident logits: the KD loop then is plain cross-entropy training.
    targets = torch.nn.functional.one_hot(labels, 2).float() * 8.0 - 4.0
    data = DistillSet(encode(tok, texts, 126), targets, [[i] for i in range(len(rows))])
    train_student(model, data, tok.pad_token_id, loss="kd",
                  settings=TrainSettings(epochs=12, batch_size=16, learning_rate=3e-3, temperature=2.0, seed=0))
    model.save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="session")
def name_keyed_case(tmp_path_factory) -> dict:
    """The teacher, unlabelled distillation data and a labelled test set (see module docstring)."""
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("name_keyed")
    rng = random.Random(0)
    teacher_rows = [{"code": loop_function(rng, k % 2, NATURAL_NAMES), "label": k % 2} for k in range(240)]
    teacher = _train_teacher(root / "teacher", teacher_rows)
    unlabelled = []
    for k in range(240):
        label = k % 2
        unlabelled.append({"id": f"u{k}", "code": loop_function(rng, label, HALF_A if label else HALF_B)})
    test = []
    for k in range(60):
        label = k % 2
        test.append({"id": f"t{k}", "code": loop_function(rng, label, HALF_A if label else HALF_B), "label": label})
    return {"teacher": teacher, "unlabelled": write_jsonl(root / "unlabelled.jsonl", unlabelled),
            "test": write_jsonl(root / "test.jsonl", test), "root": root}


@pytest.fixture(scope="session")
def tiny_teacher(tmp_path_factory) -> dict:
    """A random tiny RoBERTa teacher (conftest helper) and unlabelled C and pair data for it."""
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("distill_teacher")
    texts = [s.replace("total", f"total{i % 7}").replace("value", f"val{i % 5}") for i in range(20) for s in C_SNIPPETS]
    teacher = make_tiny_model(root / "teacher", layers=2, hidden=64, vocab=400, texts=texts, seed=1)
    data = write_jsonl(root / "data.jsonl", [{"id": f"f{i}", "code": t} for i, t in enumerate(texts)])
    labelled = write_jsonl(root / "labelled.jsonl",
                           [{"id": f"l{i}", "code": t, "label": i % 2} for i, t in enumerate(texts[:24])])
    pairs = write_jsonl(root / "pairs.jsonl", [{"id": f"p{i}", "code1": texts[i], "code2": texts[(i * 7 + 3) % len(texts)],
                                                "label": i % 2} for i in range(40)])
    return {"teacher": teacher, "data": data, "labelled": labelled, "pairs": pairs, "root": root}


def read_json(path: Path) -> dict:
    return json.loads(Path(path).read_text())
