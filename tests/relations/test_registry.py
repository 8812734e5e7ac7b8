"""The relation registry: a relation registered once appears in every consumer.

A made-up relation, "Positive Class Shift" (PCS: where the teacher predicts the positive class, the
student's probability of it moves by at most ``shift_max``), is registered for the tests of this
module and must show up in the analysis, report.md, the model-card section and model-index, the
evaluate module, the CLI's threshold options and the Space's verdicts and leaderboard — with no
change to any of them.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.relations import (
    BUILT_IN,
    Relation,
    Threshold,
    Thresholds,
    analyze,
    get_relation,
    list_relations,
    list_thresholds,
    per_input_checks,
    register_relation,
    relation_keys,
    unregister_relation,
)

from .conftest import HAND_ROWS, PERM, build

SHIFT_MAX = Threshold("shift_max", 0.1, "PCS is violated when p_S(positive) moves further than this",
                      slider=(0.0, 1.0, 0.05), label="shift max")
PCS = Relation(
    key="positive_class_shift",
    abbreviation="PCS",
    title="Positive Class Shift",
    description="where the teacher predicts the positive class, |Δp(positive)| ≤ {shift_max}",
    violated=lambda q, th: np.abs(q.student_probs[:, 1] - q.teacher_probs[:, 1]) > th.shift_max + 1e-12,
    applies=lambda q, th: q.y_t == 1,
    thresholds=(SHIFT_MAX,),
    rule="PCS tolerates |Δp(positive)| ≤ {shift_max}",
    scope_note="PCS's N counts inputs the teacher calls positive.",
    not_applicable="teacher predicts negative",
    measure=lambda q: np.abs(q.student_probs[:, 1] - q.teacher_probs[:, 1]),
    measure_label="Δp",
    statistics=lambda shift: {"max_shift": float(shift.max()) if shift.size else None},
)


@pytest.fixture
def pcs():
    register_relation(PCS)
    try:
        yield PCS
    finally:
        unregister_relation(PCS.key)


def counts(entry):
    return entry["violations"], entry["n"]


def test_builtin_relations_in_report_order():
    # The paper's four, then HCP's converse; a built-in relation added later is appended to BUILT_IN,
    # so this test (like the others here) holds for it without a change.
    assert list_relations() == BUILT_IN
    assert relation_keys()[:5] == ("prediction_agreement", "probability_distribution_similarity",
                                   "high_confidence_preservation", "calibration_alignment", "high_confidence_converse")
    assert [r.abbreviation for r in list_relations()][:5] == ["PA", "PDS", "HCP", "CA", "HCC"]
    # Thresholds: the relations' in registry order, then the analysis' own settings.
    names = [t.name for t in list_thresholds()]
    assert names[:3] == ["jsd_max", "confidence_tau", "confidence_tolerance"]
    assert names[-3:] == ["ece_bins", "ece_tolerance", "bootstrap_resamples"]
    assert get_relation("high_confidence_preservation").applies is not None


def test_registered_relation_is_analysed_with_its_denominator(pcs):
    """Hand count (delta = |p_S(1) − p_T(1)|, applies where y_T = 1): r0 .03, r1 .55, r5 .15, r6 0."""
    res = analyze(build(HAND_ROWS, PERM), Thresholds(bootstrap_resamples=200))
    rel = res["relations"]
    assert res["thresholds"]["shift_max"] == 0.1
    assert counts(rel["overall"][PCS.key]) == (2, 4)
    assert counts(rel["sources"][PCS.key]) == (1, 2)
    assert counts(rel["follow_ups"][PCS.key]) == (1, 2)
    assert counts(rel["by_transformation"]["rename"][PCS.key]) == (1, 1)
    assert counts(rel["by_transformation"]["deadcode"][PCS.key]) == (0, 1)
    assert rel["overall"][PCS.key]["max_shift"] == pytest.approx(0.55)
    stricter = analyze(build(HAND_ROWS, PERM), Thresholds(shift_max=0.2, bootstrap_resamples=200))
    assert counts(stricter["relations"]["overall"][PCS.key]) == (1, 4)
    # The built-in relations are unchanged by the newcomer.
    assert counts(rel["overall"]["prediction_agreement"]) == (3, 7)


def test_per_input_verdict_is_none_where_the_relation_does_not_apply(pcs):
    pi = per_input_checks(build(HAND_ROWS), Thresholds())
    assert [pi.verdict(PCS.key, i) for i in range(len(HAND_ROWS))] == [False, True, None, None, None, True, False]
    assert pi.measures[PCS.key][1] == pytest.approx(0.55)


def test_registered_relation_appears_in_markdown_summary_and_plot(pcs, tmp_path):
    from metacompress_eval.report import render_markdown
    from metacompress_eval.report.plots import heatmap
    from metacompress_eval.report.summary import summary_lines

    analysis = analyze(build(HAND_ROWS, PERM), Thresholds(bootstrap_resamples=200))
    text = render_markdown({"analysis": analysis}, {})
    assert "- **Positive Class Shift (PCS)**: 50.0%" in text
    assert "| Positive Class Shift (PCS) | 50.0%" in text
    # the registered relation comes last, after every other relation's rule, note and column
    assert "CA tolerates |p_S(ŷ_T) − p_T(ŷ_T)| ≤ 0.1; HCC applies where student confidence ≥ 0.9; " in text
    assert "; PCS tolerates |Δp(positive)| ≤ 0.1." in text
    assert "HCP's N counts teacher-confident inputs only. HCC's N counts student-confident inputs only. " in text
    assert " PCS's N counts inputs the teacher calls positive." in text
    assert "| Transformation | " + " | ".join(r.abbreviation for r in list_relations()) + " |" in text
    assert any(line.strip().startswith("PCS") for line in summary_lines({"analysis": analysis}))
    assert heatmap(analysis, tmp_path / "heatmap.png").stat().st_size > 0


def test_registered_relation_appears_in_the_model_card(pcs):
    from metacompress_eval.hub import cards

    analysis = analyze(build(HAND_ROWS, PERM), Thresholds(bootstrap_resamples=200))
    report = {"analysis": analysis, "models": {"teacher": {"name_or_path": "t"}, "student": {"name_or_path": "s"}}}
    section = cards.render_section(report, report_link="report.md")
    assert "| Positive Class Shift (PCS) violations | 50.0%" in section
    results = {r.metric_type: r for r in cards.eval_results(report, dataset=cards.DatasetRef("alice/follow-ups", "x"))}
    entry = results["metacompress_positive_class_shift_violation_rate"]
    assert entry.metric_name == "Positive Class Shift violation rate"
    assert entry.metric_config == "shift_max=0.1" and entry.metric_value == 0.5
    assert results["metacompress_prediction_agreement_violation_rate"].metric_config is None
    assert results["metacompress_probability_distribution_similarity_violation_rate"].metric_config == "jsd_max=0.05"


def test_registered_relation_appears_in_the_evaluate_module(pcs, tmp_path):
    from metacompress_eval.hub import module

    comparison = module.load(cache_dir=str(tmp_path / "evalcache"), keep_in_memory=True)
    outputs = build(HAND_ROWS, PERM)
    args = dict(teacher_probs=outputs.teacher_probs.tolist(), student_probs=outputs.student_probs.tolist(),
                source_ids=outputs.source_ids, transformations=[t or "" for t in outputs.transformations],
                references=outputs.labels.tolist(), label_names=outputs.label_names, bootstrap_resamples=200)
    result = comparison.compute(**args)
    assert counts(result["relations"]["overall"][PCS.key]) == (2, 4)
    assert counts(comparison.compute(**args, shift_max=0.2)["relations"]["overall"][PCS.key]) == (1, 4)
    assert result == analyze(outputs, Thresholds(bootstrap_resamples=200))
    with pytest.raises(ValueError, match="unknown threshold"):  # the module's bad-argument error
        comparison.compute(**args, shift_maxx=0.2)


def test_registered_relation_is_described_in_the_evaluate_module_card(pcs, tmp_path):
    from metacompress_eval.hub import module

    module.write_space_folder(tmp_path)
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    # one table row per registered relation, its thresholds named; a literal | escaped inside the cell
    rows = [line for line in card.splitlines() if line.startswith("| ") and "(" in line.split("|")[1]]
    assert [row.split("|")[1].strip() for row in rows] == [f"{r.title} ({r.abbreviation})" for r in list_relations()]
    assert r"where the teacher predicts the positive class, \|Δp(positive)\| ≤ `shift_max`" in card
    assert all(f"`{t.name}` ({t.default})" in card for t in list_thresholds())


def test_registered_relation_threshold_is_a_cli_option(pcs):
    from metacompress_eval.cli import build_parser
    from metacompress_eval.cli import thresholds_from_args

    args = build_parser().parse_args(["evaluate", "--teacher", "t", "--student", "s", "--data", "d.jsonl",
                                      "--shift-max", "0.25", "--jsd-max", "0.02"])
    th = thresholds_from_args(args)
    assert th.shift_max == 0.25 and th.jsd_max == 0.02 and th.confidence_tau == 0.9
    with pytest.raises(MetaCompressError, match="shift_max must be in \\[0, 1\\]"):
        thresholds_from_args(build_parser().parse_args(["evaluate", "--teacher", "t", "--student", "s",
                                                        "--data", "d.jsonl", "--shift-max", "2"]))


def test_registered_relation_appears_in_the_space(pcs):
    from metacompress_eval.space import leaderboard_columns, render_verdicts

    abbreviations = [r.abbreviation for r in list_relations()]
    columns = leaderboard_columns()
    start = columns.index(abbreviations[0])
    assert abbreviations[-1] == "PCS" and columns[start:start + len(abbreviations)] == abbreviations
    from metacompress_eval.space.compare import board_columns

    assert "positive_class_shift" in [key for key, *_ in board_columns()]  # the leaderboard people read, too
    pi = per_input_checks(build(HAND_ROWS[:2]), Thresholds())
    model = {"probs": [0.5, 0.5], "prediction": 0, "prediction_name": "neg", "confidence": 0.5}
    result = {"label_names": ["neg", "pos"], "thresholds": Thresholds().as_dict(),  # shift_max: 0.1
              "summary": {r.key: {} for r in list_relations()},
              "inputs": [{"transformation": t, "teacher": model, "student": model, "violations": [],
                          "flips": None, "verdicts": {r.key: {"violated": pi.verdict(r.key, i),
                                                              "value": None} for r in list_relations()}}
                         for i, t in enumerate([None, "rename"])]}
    page = render_verdicts(result)
    # Other attributes (data-label, title) may sit between the relation and its verdict.
    assert re.search(r'data-relation="positive_class_shift"[^>]*data-verdict="violated"', page)
    assert "PCS: where the teacher predicts the positive class, |Δp(positive)| ≤ 0.1" in page


def test_registry_refuses_clashes_and_checks_threshold_values(pcs):
    with pytest.raises(MetaCompressError, match="already registered"):
        register_relation(PCS)
    other = Threshold("shift_max", 0.3, "another definition")
    with pytest.raises(MetaCompressError, match="redefines threshold 'shift_max'"):
        register_relation(Relation("other", "OTH", "Other", "", violated=lambda q, th: q.y_t != q.y_t,
                                   thresholds=(other,)))
    with pytest.raises(MetaCompressError, match="invalid threshold: shift_max must be in"):
        Thresholds(shift_max=-0.5)
    with pytest.raises(MetaCompressError, match="unknown threshold"):
        Thresholds(no_such=1)


def test_thresholds_made_before_a_registration_read_its_default():
    th = Thresholds(jsd_max=0.02)
    register_relation(PCS)
    try:
        assert th.shift_max == 0.1 and th.as_dict()["shift_max"] == 0.1
        assert th.replace(shift_max=0.3).shift_max == 0.3 and th.replace(shift_max=0.3).jsd_max == 0.02
    finally:
        unregister_relation(PCS.key)
    assert "shift_max" not in Thresholds().as_dict()
    assert Thresholds(jsd_max=0.02) == th and hash(Thresholds(jsd_max=0.02)) == hash(th)
    with pytest.raises(AttributeError):
        th.jsd_max = 0.5
