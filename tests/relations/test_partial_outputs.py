"""Partial outputs: a model without outputs on some rows (stored outputs of the sources only, no teacher).

Relations and paired figures are computed where both models answered, each model's own figures where
it answered, with their own denominators; hand-computed on the table of conftest.py.
"""

import numpy as np
import pytest

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.relations import Thresholds, analyze, per_input_checks, relation_keys

from .conftest import HAND_ROWS, PERM, build, random_outputs

PA, PDS, HCP, CA = ("prediction_agreement", "probability_distribution_similarity", "high_confidence_preservation",
                     "calibration_alignment")
assert {PA, PDS, HCP, CA} <= set(relation_keys())


def _teacher_on_sources(outputs, fill=np.nan):
    outputs.teacher_available = np.array([t is None for t in outputs.transformations])
    outputs.teacher_probs = outputs.teacher_probs.copy()
    outputs.teacher_probs[~outputs.teacher_available] = fill
    return outputs


@pytest.fixture
def partial():
    return analyze(_teacher_on_sources(build(HAND_ROWS, PERM)))


def test_relations_only_where_both_models_answered(partial):
    rel = partial["relations"]
    # Sources r0, r2, r5: PA violated by r5; HCP eligible only r0 (teacher conf .95), not violated.
    assert (rel["overall"][PA]["violations"], rel["overall"][PA]["n"]) == (1, 3)
    assert (rel["sources"][PA]["violations"], rel["sources"][PA]["n"]) == (1, 3)
    assert (rel["overall"][HCP]["violations"], rel["overall"][HCP]["n"]) == (0, 1)
    assert rel["follow_ups"][PDS]["n"] == 0 and rel["follow_ups"][PDS]["rate"] is None
    assert all(entry[CA]["n"] == 0 for entry in rel["by_transformation"].values())


def test_each_models_figures_on_the_rows_it_answered(partial):
    flips = partial["flips"]
    assert flips["teacher"]["overall"]["n"] == 0
    # Student predictions: s1 1 → r1 0 (flip); s2 0 → r3 1 (flip), r4 0; s3 0 → r6 1 (flip).
    assert (flips["student"]["overall"]["flips"], flips["student"]["overall"]["n"]) == (3, 4)
    assert flips["difference"]["overall"]["n"] == 0
    perf = partial["performance"]
    assert (perf["overall"]["teacher"]["accuracy"]["correct"], perf["overall"]["teacher"]["accuracy"]["n"]) == (3, 3)
    assert (perf["overall"]["student"]["accuracy"]["correct"], perf["overall"]["student"]["accuracy"]["n"]) == (4, 7)
    assert perf["follow_ups"]["teacher"]["accuracy"]["n"] == 0
    assert partial["mcnemar"]["sources"]["n"] == 3 and partial["calibration"]["follow_ups"]["n"] == 0


def test_fidelity_and_coverage(partial):
    # |ΔP(pos)| on the sources: |.92 − .95|, |.25 − .30|, |.45 − .60|.
    assert partial["fidelity"]["sources"]["mean_abs_prob_difference"] == pytest.approx((0.03 + 0.05 + 0.15) / 3)
    assert partial["fidelity"]["sources"]["top1_agreement"]["agreements"] == 2  # r5 disagrees
    empty = partial["fidelity"]["follow_ups"]
    assert empty["n"] == 0 and empty["mean_abs_prob_difference"] is None and empty["kl_bits"]["mean"] is None
    cov = partial["coverage"]
    assert cov["teacher"] == {"inputs": 3, "sources": 3, "follow_ups": 0}
    assert cov["student"] == {"inputs": 7, "sources": 3, "follow_ups": 4}
    assert cov["both"]["inputs"] == 3 and cov["of"]["inputs"] == 7
    assert "relations" in cov["partial"] and "flips.teacher" in cov["partial"] and "performance.teacher" in cov["partial"]
    assert cov["complete"] == ["performance.student", "flips.student"]
    assert all(w["transformation"] is None for w in partial["worst"])


def test_what_stands_in_for_missing_outputs_does_not_matter(partial):
    again = analyze(_teacher_on_sources(build(HAND_ROWS, PERM), fill=0.5))
    assert again == partial


def test_complete_outputs_have_no_coverage_field(hand_outputs):
    full = analyze(hand_outputs)
    assert "coverage" not in full
    hand_outputs.teacher_available = np.ones(len(hand_outputs.source_ids), dtype=bool)
    assert analyze(hand_outputs) == full  # an all-true mask is the same as none


def test_nan_only_where_unavailable(hand_outputs):
    hand_outputs.teacher_probs = hand_outputs.teacher_probs.copy()
    hand_outputs.teacher_probs[0] = np.nan
    with pytest.raises(MetaCompressError, match="teacher probabilities contain negative or non-finite values"):
        analyze(hand_outputs)
    hand_outputs.teacher_available = np.array([False] + [True] * 6)
    analyze(hand_outputs)
    hand_outputs.teacher_available = np.array([True, False])
    with pytest.raises(MetaCompressError, match="teacher availability has shape"):
        analyze(hand_outputs)


@pytest.mark.parametrize("seed", range(5))
def test_relation_counts_equal_the_answered_rows_of_the_full_analysis(seed):
    outputs = random_outputs(n_sources=40, seed=seed)
    th = Thresholds()
    full = per_input_checks(outputs, th)
    rng = np.random.default_rng(seed)
    have_t, have_s = rng.random(len(outputs.source_ids)) < 0.7, rng.random(len(outputs.source_ids)) < 0.9
    outputs.teacher_available, outputs.student_available = have_t, have_s
    result = analyze(outputs, th)
    both = have_t & have_s
    for key in (PA, PDS, CA):
        entry = result["relations"]["overall"][key]
        assert entry["n"] == int(both.sum())
        assert entry["violations"] == int(full.violations[key][both].sum())
    student = result["flips"]["student"]["overall"]
    fu = ~full.is_source
    answered = fu & have_s & have_s[full.source_index]
    assert student["n"] == int(answered.sum())
    assert student["flips"] == int((full.y_s != full.y_s[full.source_index])[answered].sum())
