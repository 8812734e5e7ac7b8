"""The published AVATAR student (../shared/data) reproduces the figures a faithful loader measures.

Ranges from the checkpoint's FACTS.md: agreement with the stored GraphCodeBERT teacher on the first
2,000 unlabelled pairs 85.75–86.10 % and mean |ΔP(clone)| 0.145–0.149; accuracy on the 4,000 test pairs
88.4–88.6 %. Both full sets run here (about 15 s and 30 s on a quiet 2-core machine: each distinct
function is encoded once). Skipped when the shared data is absent.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from metacompress_eval.inference import InferenceEngine
from metacompress_eval.models import load_model

from ..conftest import SHARED_DATA

PUBLISHED = SHARED_DATA / "published-students" / "graphcodebert-clone-avatar"
pytestmark = pytest.mark.skipif(not (PUBLISHED / "model.bin").is_file(), reason="shared published student absent")


def _rows(name: str, n: int | None = None) -> list[dict]:
    with open(PUBLISHED / name, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return rows[:n] if n else rows


@pytest.fixture(scope="module")
def student():
    model = load_model(str(PUBLISHED), role="student")  # detected: relative position embeddings
    assert model.adapter == "compact-roberta"
    return model


def test_agreement_with_the_stored_teacher(student):
    rows = _rows("unlabelled_pairs.jsonl", 2000)
    teacher = load_model(str(PUBLISHED / "unlabelled_pairs.jsonl"), role="teacher",
                         options={"id_columns": "row", "column": "teacher_logits"})
    inputs = [(r["code1"], r["code2"]) for r in rows]
    s = InferenceEngine(student, None, batch_size=32, progress=False).predict(inputs).probs
    t = InferenceEngine(teacher, None, progress=False).predict(inputs, ids=[r["row"] for r in rows]).probs
    agreement = float((s.argmax(1) == t.argmax(1)).mean())
    delta = float(np.abs(s[:, 1] - t[:, 1]).mean())
    assert 0.8575 <= agreement <= 0.8610, agreement
    assert 0.145 <= delta <= 0.149, delta


def test_accuracy_on_the_test_pairs(student):
    rows = _rows("test_pairs.jsonl")
    probs = InferenceEngine(student, None, batch_size=32, progress=False).predict(
        [(r["code1"], r["code2"]) for r in rows]).probs
    accuracy = float((probs.argmax(1) == np.array([r["label"] for r in rows])).mean())
    assert 0.884 <= accuracy <= 0.886, accuracy
