"""Each recipe end to end at a tiny size on a locally made teacher."""

import json

import pytest
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from metacompress_eval.distill.recipes import DistillSettings, distil
from metacompress_eval.distill.search_space import HEADER_ALLOWANCE, SearchSpace, parse_size
from metacompress_eval.pipeline import EvaluationConfig, run_evaluation

BUDGET = "120kB"


def _settings(teacher, data, out, method, **kw):
    base = dict(teacher=str(teacher), data=str(data), out_dir=str(out), method=method, size_budget=BUDGET,
                max_length=64, space=SearchSpace.tiny(max_length=64), population=12, generations=5, probes=3,
                probe_steps=4, epochs=2, progress=False)
    base.update(kw)
    return DistillSettings(**base)


@pytest.fixture(scope="module", params=["compressor", "avatar", "morph", "fidelity"])
def distilled(request, tiny_teacher, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"student_{request.param}")
    result = distil(_settings(tiny_teacher["teacher"], tiny_teacher["data"], out, request.param,
                              labelled=str(tiny_teacher["labelled"])))
    return request.param, result


def test_budget_is_met(distilled):
    _, r = distilled
    budget = parse_size(BUDGET)
    assert r.budget_bytes == budget
    assert r.size_bytes + HEADER_ALLOWANCE <= budget
    assert (r.out_dir / "model.safetensors").stat().st_size <= budget
    model = AutoModelForSequenceClassification.from_pretrained(str(r.out_dir))
    assert 4 * sum(p.numel() for p in model.parameters()) == r.size_bytes


def test_search_is_recorded(distilled):
    method, r = distilled
    search = json.loads((r.out_dir / "search.json").read_text())
    assert search["n_evaluated"] == len(search["history"]) > 1
    assert search["chosen"]["hidden_size"] % search["chosen"]["num_heads"] == 0
    assert search["front"]
    if method in ("avatar", "morph"):
        assert search["pruning"]["feasible"] < search["pruning"]["total"]
        assert all(p["feasible"] and p["on_front"] for p in search["front"])
        assert len(search["probes"]) == 3
        assert "predicted_accuracy" in search["front"][0]
        assert ("predicted_flip_rate" in search["front"][0]) == (method == "morph")
        assert search["algorithm"].startswith("NSGA-III" if method == "morph" else "NSGA-II")
        assert search["surrogates"]["accuracy"]["n_samples"] == 3
    else:
        assert search["algorithm"].startswith("GA")


def test_card_and_summary(distilled):
    method, r = distilled
    card = (r.out_dir / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: transformers")
    for needle in ("GFLOPs", "ms/input", "size budget", "met", {"compressor": "Compressor", "avatar": "AVATAR",
                                                                 "morph": "MORPH", "fidelity": "fidelity"}[method]):
        assert needle in card
    summary = json.loads((r.out_dir / "distillation.json").read_text())
    assert summary["method"] == method and summary["within_budget"]
    assert summary["latency"]["median_ms"] > 0
    assert summary["metrics"]["labelled"]["n"] == 24
    # every registered relation
    assert set(summary["metrics"]["validation"]["violation_rates"]) == {
        "prediction_agreement", "probability_distribution_similarity", "high_confidence_preservation",
        "calibration_alignment", "high_confidence_converse"}
    if method in ("morph", "fidelity"):
        assert summary["data"]["train_follow_ups"] > 0
    if method == "fidelity":
        assert all("selection_score" in e for e in summary["training"]["epochs"])


def test_student_loads_and_evaluates(distilled, tiny_teacher, tmp_path):
    _, r = distilled
    model = AutoModelForSequenceClassification.from_pretrained(str(r.out_dir))
    tok = AutoTokenizer.from_pretrained(str(r.out_dir))
    assert model.config.id2label == {0: "safe", 1: "defective"} and len(tok) == model.config.vocab_size
    result = run_evaluation(EvaluationConfig(teacher=str(tiny_teacher["teacher"]), student=str(r.out_dir),
                                             data=str(tiny_teacher["labelled"]), out_dir=str(tmp_path / "report"),
                                             cache_dir=str(tmp_path / "cache"), progress=False))
    analysis = result.report["analysis"]
    assert analysis["counts"]["sources"] == 24 and analysis["counts"]["follow_ups"] > 0
    assert analysis["performance"]["sources"]["student"]["accuracy"]["n"] == 24


def test_pair_task_student(tiny_teacher, tmp_path):
    """Clone pairs: the student is trained and evaluated on the tokenizer's text pair."""
    r = distil(_settings(tiny_teacher["teacher"], tiny_teacher["pairs"], tmp_path / "pair", "compressor",
                         task="clone", language="c", epochs=1))
    tok = AutoTokenizer.from_pretrained(str(r.out_dir))
    tokens = tok.convert_ids_to_tokens(tok("int a;", "int b;")["input_ids"])
    assert "".join(tokens).count("</s>") == 3
    result = run_evaluation(EvaluationConfig(teacher=str(tiny_teacher["teacher"]), student=str(r.out_dir),
                                             data=str(tiny_teacher["pairs"]), task="clone", language="c",
                                             transforms=("rename_variables",), out_dir=str(tmp_path / "report"),
                                             cache_dir=str(tmp_path / "cache"), progress=False))
    assert result.report["analysis"]["counts"]["sources"] == 40
    summary = json.loads((r.out_dir / "distillation.json").read_text())
    assert summary["pair_input"] is True


def test_follow_ups_are_the_same_for_any_worker_count(tiny_teacher, tmp_path):
    """``--workers`` makes the training and validation follow-ups in parallel: the same ones, and the
    recorded settings do not mention the worker count (it changes nothing in the student)."""
    from metacompress_eval.distill.recipes import _prepare, _public_settings

    made = []
    for workers in (1, 2):
        settings = _settings(tiny_teacher["teacher"], tiny_teacher["data"], tmp_path / f"s{workers}", "fidelity",
                             workers=workers)
        data = _prepare(settings, lambda *_: None)
        made.append(([f.as_row() for f in data.train_follow], [f.as_row() for f in data.valid_follow]))
        assert "workers" not in _public_settings(settings)
    assert made[0] == made[1] and made[0][0] and made[0][1]
