"""The published AVATAR student (../shared/data) reproduces the figures a faithful loader measures.

Ranges from the checkpoint's FACTS.md: agreement with the stored GraphCodeBERT teacher on the first
2,000 unlabelled pairs 85.75–86.10 % and mean |ΔP(clone)| 0.145–0.149; accuracy on the 4,000 test pairs
88.4–88.6 %. Through Python, both full sets run in the default suite (about 25 s of CPU together: each
distinct function is encoded once); through the CLI, as the README runs them, a 40-pair sample runs by
default and the full commands (with follow-ups and an attack, a few minutes) are ``slow`` tests
(``pytest -m slow tests/models/test_published_student.py``). Skipped when the shared data is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

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


# -- the README's "Evaluating published students" commands, through the CLI ---------------------------------

def _evaluate(tmp_path, name, *args) -> dict:
    from metacompress_eval.cli import main

    out = tmp_path / name
    assert main(["evaluate", "--task", "clone", "--max-code-chars", "100000", "--student", str(PUBLISHED),
                 "--out", str(out), "--cache-dir", str(tmp_path / "cache"), "--quiet", *args]) == 0
    return json.loads((out / "report.json").read_text())


def _unlabelled_args(*extra) -> list[str]:
    return ["--unlabelled", "--teacher-outputs", str(PUBLISHED / "unlabelled_pairs.jsonl"), "--teacher-option",
            "id_columns=row", "--data", str(PUBLISHED / "unlabelled_pairs.jsonl"), *extra]


def _test_args(*extra) -> list[str]:
    return ["--data", str(PUBLISHED / "test_pairs.jsonl"), *extra]


def _check_unlabelled(report: dict, n: int) -> None:
    a = report["analysis"]
    pa = a["relations"]["sources"]["prediction_agreement"]
    assert pa["n"] == n and a["fidelity"]["sources"]["n"] == n
    assert a["coverage"]["teacher"]["follow_ups"] == 0 and a["flips"]["student"]["overall"]["n"] > 0


def _check_test(report: dict, n: int) -> None:
    a = report["analysis"]
    assert a["performance"]["sources"]["student"]["accuracy"]["n"] == n
    for name, entry in a["flips"]["student"]["by_transformation"].items():
        if not name.startswith("attack:"):
            assert entry["ci95"] is not None and entry["breakdown"]["correct_to_wrong"] >= 0
    assert report["attacks"]["by_attack"]["mhm"]["student"]["n"] > 0
    assert "teacher" in report["attacks"]["not_attacked"]


def _benchmark_script():
    """benchmarks/bench_published_student.py, which reads these reports for BENCHMARKS.md."""
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_published_student.py"
    spec = importlib.util.spec_from_file_location("bench_published_student", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_commands_on_a_sample(tmp_path):
    """The two commands on the first 40 pairs (the full runs are the slow tests below), and the benchmark
    script's tables read from their reports."""
    unlabelled = _evaluate(tmp_path, "unlabelled", *_unlabelled_args("--max-sources", "40"))
    _check_unlabelled(unlabelled, 40)
    test = _evaluate(tmp_path, "test", *_test_args("--max-sources", "40", "--attacks", "mhm",
                                                   "--attack-max-sources", "8", "--attack-budget", "8"))
    _check_test(test, 40)
    bench = _benchmark_script()
    figures = bench.figures(unlabelled, test)
    assert figures["test"]["accuracy"]["n"] == 40 and figures["test"]["attack_mhm"]["budget"] == 8
    table = bench.markdown({"date": "today", "machine": "here", "seconds": {"unlabelled": 1.0, "test": 2.0},
                            "load_average": {"start": [1, 1, 1], "end": [2, 2, 2]}, **figures})
    assert "| rename_variables |" in table and "`--attack-budget 8`" in table


@pytest.mark.slow
def test_readme_commands_reproduce_the_published_figures(tmp_path):
    """Both README commands in full: PA violated on 13.90–14.25 % of the 2,000 sources, mean |ΔP(clone)|
    0.145–0.149, accuracy 88.4–88.6 % on the 4,000 test pairs (a few minutes on 2 cores)."""
    unlabelled = _evaluate(tmp_path, "unlabelled", *_unlabelled_args())
    _check_unlabelled(unlabelled, 2000)
    a = unlabelled["analysis"]
    assert 0.1390 <= a["relations"]["sources"]["prediction_agreement"]["rate"] <= 0.1425
    assert 0.145 <= a["fidelity"]["sources"]["mean_abs_prob_difference"] <= 0.149
    test = _evaluate(tmp_path, "test", *_test_args("--attacks", "mhm", "--attack-max-sources", "200",
                                                   "--attack-budget", "30"))
    _check_test(test, 4000)
    assert 0.884 <= test["analysis"]["performance"]["sources"]["student"]["accuracy"]["accuracy"] <= 0.886
