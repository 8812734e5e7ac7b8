"""Model-card section, badges and model-index results."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from huggingface_hub import ModelCard, metadata_load

from metacompress_eval.cli import main
from metacompress_eval.hub import cards
from tests.hub.conftest import read_report

EXISTING = """---
license: apache-2.0
language:
- code
# a comment that must survive
tags:
- distillation
model-index:
- name: my-student
  results:
  - task:
      type: text-classification
    dataset:
      name: Devign
      type: devign
    metrics:
    - type: accuracy
      value: 0.61
      name: Accuracy
---

# My student

Intro text that must stay.

## Training

Details that must stay too.
"""


def test_card_update_in_place_replaces_not_duplicates(report_dir, tmp_path, capsys):
    card = tmp_path / "README.md"
    card.write_text(EXISTING)
    assert main(["card", "--report", str(report_dir), "--card", str(card)]) == 0
    first = card.read_text()
    assert first.count(cards.BEGIN) == 1 and first.count(cards.END) == 1
    assert "## Behavioural fidelity (MetaCompress)" in first
    # the body before the section is unchanged, byte for byte; so are the other YAML lines
    body_before = EXISTING.split("---\n", 2)[2]
    assert first.split("---\n", 2)[2].startswith(body_before.rstrip("\n"))
    for line in EXISTING.split("---\n")[1].splitlines()[:6]:
        assert line in first

    # second run (e.g. a new report): still one section, still one set of MetaCompress results
    assert main(["card", "--report", str(report_dir), "--card", str(card), "--report-url",
                 "https://example.org/report.md"]) == 0
    second = card.read_text()
    assert second.count(cards.BEGIN) == 1 and second.count("Behavioural fidelity") == 1
    assert "https://example.org/report.md" in second
    meta = metadata_load(card)
    assert meta["license"] == "apache-2.0" and meta["tags"] == ["distillation"]
    metrics = meta["model-index"][0]["results"]
    types = [m["type"] for r in metrics for m in r["metrics"]]
    assert "accuracy" in types  # the card's own result is kept
    assert types.count("metacompress_prediction_agreement_violation_rate") == 1
    assert "updated" in capsys.readouterr().out


def test_model_index_round_trips_through_huggingface_hub(report_dir, tmp_path):
    card_path = tmp_path / "card" / "README.md"  # absent: created from the template
    cards.update_card(report_dir, card_path)
    report = read_report(report_dir)
    card = ModelCard.load(card_path)
    results = {r.metric_type: r for r in card.data.eval_results}
    pa = report["analysis"]["relations"]["overall"]["prediction_agreement"]["rate"]
    assert results["metacompress_prediction_agreement_violation_rate"].metric_value == pytest.approx(pa, abs=1e-6)
    assert results["metacompress_student_flip_rate"].source_name == "MetaCompress Eval"
    assert card.data.model_name == "student"
    # saving through huggingface_hub and loading again keeps the results
    card.save(tmp_path / "again.md")
    again = ModelCard.load(tmp_path / "again.md")
    assert [r.metric_value for r in again.data.eval_results] == [r.metric_value for r in card.data.eval_results]


def test_card_shows_top1_agreement_and_kl(report_dir, tmp_path):
    result = cards.update_card(report_dir, tmp_path / "README.md")
    text = result.card.read_text()
    fid = read_report(report_dir)["analysis"]["fidelity"]
    row = next(line for line in text.splitlines() if line.startswith("| mean KL(teacher ‖ student), bits |"))
    assert f"{fid['overall']['kl_bits']['mean']:.4f}" in row
    assert f"{fid['follow_ups']['kl_bits']['macro']['mean']:.4f}" in row
    agreement = next(line for line in text.splitlines() if line.startswith("| top-1 agreement |"))
    assert f"{fid['follow_ups']['top1_agreement']['macro']['n_sources']} sources" in agreement
    assert "High Confidence Converse (HCC)" in text
    results = {r.metric_type: r for r in ModelCard.load(result.card).data.eval_results}
    assert results["metacompress_top1_agreement"].metric_value == pytest.approx(
        fid["overall"]["top1_agreement"]["rate"], abs=1e-6)
    assert results["metacompress_mean_kl_bits"].metric_value == pytest.approx(fid["overall"]["kl_bits"]["mean"],
                                                                             abs=1e-6)


def test_badges_are_local_svg_files(report_dir, tmp_path):
    result = cards.update_card(report_dir, tmp_path / "README.md")
    names = {p.name for p in result.badges}
    assert {"agreement.svg", "student-flip-rate.svg", "confidence-preserved.svg"} <= names
    for path in result.badges:
        root = ET.fromstring(path.read_text())
        assert root.tag.endswith("svg")
    text = (tmp_path / "README.md").read_text()
    assert "](metacompress-badges/agreement.svg)" in text
    assert "shields.io" not in text and "http" not in "".join(p.read_text() for p in result.badges).replace(
        "http://www.w3.org/2000/svg", "")


def test_attack_gap_when_the_report_has_attacks(report_dir, tmp_path):
    report = read_report(report_dir)
    report["attacks"] = {"rename_search": {"teacher": {"rate": 0.10}, "student": {"rate": 0.25}}}
    folder = tmp_path / "rep"
    folder.mkdir()
    (folder / "report.json").write_text(json.dumps(report))
    result = cards.update_card(folder, tmp_path / "README.md")
    text = (tmp_path / "README.md").read_text()
    assert "| rename_search | 10.0% | 25.0% | +15.0 pt |" in text
    assert any(p.name == "attack-gap.svg" for p in result.badges)
    types = [r.metric_type for r in ModelCard.load(tmp_path / "README.md").data.eval_results]
    assert "metacompress_attack_gap_rename_search" in types


def test_card_errors_are_one_line(tmp_path, capsys):
    assert main(["card", "--report", str(tmp_path / "nope"), "--card", str(tmp_path / "README.md")]) == 2
    assert "no report.json" in capsys.readouterr().err
