"""Teacher/student suite, measures, the ``attack`` command and ``evaluate --attacks``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from metacompress_eval.attacks import AttackSettings, run_attack_suite
from metacompress_eval.attacks.measures import drop_ratio, model_measures
from metacompress_eval.cli import main
from metacompress_eval.data import SourceInput
from metacompress_eval.follow_ups import FollowUpInput
from metacompress_eval.model_outputs import run_models
from tests.attacks.conftest import synthetic_function
from tests.conftest import write_jsonl
from tests.relations.conftest import without_attack_keys


def _mixed_sources(danger_sources, while_sources):
    # defective inputs that are caught by both models: danger + while
    both = [SourceInput(f"b{i}", (s.inputs[0].replace("return", "while (0) { }\n    return", 1),), 1)
            for i, s in enumerate(danger_sources[:3])]
    return danger_sources[:3] + while_sources[:2] + both


def test_suite_measures_drop_and_transfer(loaded, danger_sources, while_sources):
    sources = _mixed_sources(danger_sources, while_sources)
    settings = AttackSettings(methods=("alert", "random"), budget=40, seed=0)
    suite = run_attack_suite(sources, "c", loaded["while"], loaded["danger"], settings)  # teacher: while, student: danger
    entry = suite.section["by_attack"]["alert"]
    t, s = entry["teacher"], entry["student"]
    # teacher (while-keyed) is correct on while + both; renaming never flips it
    assert t["clean_accuracy"] == 5 / 8 and t["success"]["k"] == 0 and t["adversarial_accuracy"] == 5 / 8
    assert t["skipped"] == {"misclassified already": 3}
    # student (danger-keyed) is correct on danger + both and is flipped on all of them
    assert s["clean_accuracy"] == 6 / 8 and s["success"] == {"k": 6, "n": 6, "rate": 1.0, "ci95": s["success"]["ci95"]}
    assert s["adversarial_accuracy"] == 0.0 and s["avg_queries"] >= 1 and s["avg_edits"] >= 1
    assert entry["gap"] == 1.0
    # drop_teacher = 0 -> the ratio is undefined
    assert entry["drop_ratio"]["value"] is None and entry["drop_ratio"]["drop_student"] == 0.75
    # student's adversarial examples (danger renamed) on the teacher: the 3 "both" inputs still have while
    assert entry["transfer"]["student_to_teacher"] == {"k": 0, "n": 3, "rate": 0.0, "ci95": [0.0, entry["transfer"]["student_to_teacher"]["ci95"][1]]}
    assert entry["transfer"]["teacher_to_student"]["n"] == 0
    rows = [f for f in suite.follow_ups if f.transformation == "attack:alert"]
    # Adversarial examples are typed follow-ups with the attack's provenance on the attacked text.
    assert len(rows) == 6 and all(isinstance(f, FollowUpInput) for f in rows)
    assert all(f.provenance[0]["attacked_model"] == "student" and f.provenance[0]["method"] == "alert" for f in rows)
    # ...and the student, which they were found against, no longer calls them defective.
    student_probs = run_models({"student": loaded["danger"]}, [f.inputs for f in rows], None)["student"].probs
    assert all(np.argmax(p) == 0 for p in student_probs)
    json.dumps(suite.section)  # JSON-serialisable


def test_drop_ratio_with_bootstrap(loaded, danger_sources, while_sources):
    from metacompress_eval.attacks import get_attack
    from metacompress_eval.inference import InferenceEngine

    sources = _mixed_sources(danger_sources, while_sources)
    attack = get_attack("alert", budget=40)
    # "teacher" = danger model on sources where half are flippable, "student" = same model: ratio 0
    engine = InferenceEngine(loaded["danger"], None, progress=False)
    results = [attack.attack(s, engine, "c", model="m") for s in sources]
    d = drop_ratio(results, results, n_resamples=200)
    assert d["value"] == 0.0 and d["ci95"] == [0.0, 0.0] or tuple(d["ci95"]) == (0.0, 0.0)
    m = model_measures(results, 2)
    assert m["clean_f1"] is not None and m["adversarial_f1"] == 0.0


def _rows():
    rows = [{"id": f"d{i}", "code": synthetic_function(i, True), "label": 1} for i in range(4)]
    rows += [{"id": f"s{i}", "code": synthetic_function(i + 10, False), "label": 0} for i in range(3)]
    return rows


def test_attack_command_end_to_end(tmp_path, keyword_models, capsys):
    data = write_jsonl(tmp_path / "data.jsonl", _rows())
    out = tmp_path / "adv"
    code = main(["attack", "--model", str(keyword_models["danger"]), "--task", "defect", "--data", str(data),
                 "--method", "mhm", "--budget", "60", "--out", str(out), "--cache-dir", str(tmp_path / "cache"),
                 "--quiet"])
    assert code == 0
    assert "adversarial examples" in capsys.readouterr().out
    rows = [json.loads(line) for line in open(out / "adversarial.jsonl")]
    assert {r["source_id"] for r in rows} >= {"d0", "d1", "d2", "d3"}
    assert all(r["provenance"]["renames"] and r["method"] == "mhm" for r in rows)
    import datasets

    ds = datasets.load_from_disk(str(out / "dataset"))
    assert len(ds) == len(rows) and json.loads(ds[0]["provenance"])["renames"]
    assert len(datasets.Dataset.from_parquet(str(out / "adversarial.parquet"))) == len(rows)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["measures"]["n"] == 7 and summary["attack"]["budget"] == 60
    assert len(open(out / "results.jsonl").readlines()) == 7
    # user errors end with exit status 2
    assert main(["attack", "--model", str(keyword_models["danger"]), "--data", str(data), "--budget", "0",
                 "--out", str(out)]) == 2


def test_attack_command_reads_data_like_evaluate(tmp_path, keyword_models):
    """--where and --max-code-chars come from the shared loader: same rows as evaluate would take."""
    rows = [{**r, "part": "a" if i % 2 == 0 else "b"} for i, r in enumerate(_rows())]
    rows.append({"id": "long", "code": synthetic_function(99, True) + "\n" * 400, "label": 1, "part": "a"})
    data = write_jsonl(tmp_path / "data.jsonl", rows)
    out = tmp_path / "adv"
    limit = max(len(r["code"]) for r in rows[:-1])
    assert main(["attack", "--model", str(keyword_models["danger"]), "--task", "defect", "--data", str(data),
                 "--method", "random", "--budget", "5", "--out", str(out), "--cache-dir", str(tmp_path / "cache"),
                 "--where", "part=a", "--max-code-chars", str(limit), "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["data"]["where"] == {"part": "a"}
    assert summary["data"]["n_sources"] == 4 and summary["data"]["skipped"] == {f"code longer than {limit} characters": 1}
    assert {json.loads(line)["source_id"] for line in open(out / "results.jsonl")} == {"d0", "d2", "s0", "s2"}
    assert main(["attack", "--model", str(keyword_models["danger"]), "--data", str(data), "--where", "part=c",
                 "--out", str(out), "--quiet"]) == 2


def test_evaluate_with_attacks(tmp_path, keyword_models):
    from metacompress_eval.hub.cards import attack_gaps

    data = write_jsonl(tmp_path / "data.jsonl", _rows())
    out = tmp_path / "report"
    code = main(["evaluate", "--teacher", str(keyword_models["while"]), "--student", str(keyword_models["danger"]),
                 "--data", str(data), "--out", str(out), "--cache-dir", str(tmp_path / "cache"), "--quiet",
                 "--transforms", "rename_variables", "--attacks", "mhm,random", "--attack-budget", "60"])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert set(report["attacks"]["by_attack"]) == {"mhm", "random"}
    assert report["attacks"]["by_attack"]["mhm"]["student"]["success"]["k"] == 4
    by_t = report["analysis"]["relations"]["by_transformation"]
    assert "attack:mhm" in by_t and "attack:random" in by_t
    assert report["analysis"]["counts"]["by_transformation"]["attack:mhm"] == 4
    md = (out / "report.md").read_text()
    assert "## Adversarial attacks" in md and "attack:mhm" in md
    assert (out / "adversarial.jsonl").is_file()
    gaps = {g["attack"]: g for g in attack_gaps(report)}
    assert gaps["mhm"]["gap"] == pytest.approx(4 / 7)  # student: 4 of 7 flipped (the 3 safe ones cannot be), teacher: none
    # The adversarial examples are pooled apart: every pooled figure is the run's without attacks.
    analysis = report["analysis"]
    assert analysis["counts"]["attacks"] == sum(n for t, n in analysis["counts"]["by_transformation"].items()
                                                if t.startswith("attack:"))
    assert analysis["flips"]["student"]["attacks"]["flips"] == analysis["flips"]["student"]["attacks"]["n"]
    assert "attack follow-ups in their own row" in md and "| Attack follow-ups |" in md
    plain = tmp_path / "plain"
    assert main(["evaluate", "--teacher", str(keyword_models["while"]), "--student", str(keyword_models["danger"]),
                 "--data", str(data), "--out", str(plain), "--cache-dir", str(tmp_path / "cache"), "--quiet",
                 "--transforms", "rename_variables"]) == 0
    without = json.loads((plain / "report.json").read_text())["analysis"]
    for section in ("relations", "fidelity", "flips", "performance", "mcnemar", "calibration"):
        assert without_attack_keys(analysis[section]) == without[section], section
    assert without_attack_keys(analysis["counts"]) == without["counts"]
    assert main(["evaluate", "--teacher", str(keyword_models["while"]), "--student", str(keyword_models["danger"]),
                 "--data", str(data), "--out", str(out), "--attacks", "bogus", "--quiet"]) == 2
