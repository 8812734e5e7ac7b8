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


@pytest.mark.parametrize("seed", range(6))
def test_all_inputs_of_a_sources_only_run_get_the_sources_intervals(seed):
    """Stored teacher outputs for the sources only: "all inputs" where both answered IS the sources, so
    every rate there must carry the same interval and method (Wilson) as under "sources" — it used to get
    a cluster bootstrap over one-row clusters (4/6: [33.3, 100.0] against Wilson's [30.0, 90.3])."""
    result = analyze(_teacher_on_sources(random_outputs(n_sources=12 + seed, seed=seed)))
    for key in relation_keys():
        overall, sources = result["relations"]["overall"][key], result["relations"]["sources"][key]
        for field in ("violations", "n", "rate", "ci95"):
            assert overall[field] == sources[field], (key, field)
        assert overall["n"] == 0 or overall["ci_method"] == sources["ci_method"] == "wilson"
    t_all, t_src = (result["performance"][s]["teacher"]["accuracy"] for s in ("overall", "sources"))
    assert (t_all["ci95"], t_all["ci_method"]) == (t_src["ci95"], t_src["ci_method"])


def test_summary_wording_of_a_partial_run(partial):
    from metacompress_eval.report import render_markdown
    from metacompress_eval.report.summary import summary_lines

    text = render_markdown(partial, {})
    assert "Violation rates over the 3 inputs both models have outputs for (sources only)" in text
    assert "over all inputs" not in text
    line = next(x for x in text.splitlines() if x.startswith("- **Accuracy on sources**"))
    perf = partial["performance"]["sources"]
    if perf["teacher"]["accuracy"]["n"] != perf["student"]["accuracy"]["n"]:
        assert "(N = " in line
    assert "violation rates over the 3 inputs both models" in "\n".join(summary_lines(partial))


def test_accuracy_shows_n_only_when_the_two_differ():
    from metacompress_eval.report.summary import accuracy_pair

    def pct(e):
        return f"{100 * e['accuracy']:.1f}%"
    same = accuracy_pair({"accuracy": 1 / 3, "n": 3}, {"accuracy": 2 / 3, "n": 3}, pct)
    assert same == "teacher 33.3%, student 66.7%"
    differ = accuracy_pair({"accuracy": 1 / 3, "n": 3}, {"accuracy": 2 / 3, "n": 6}, pct)
    assert differ == "teacher 33.3% (N = 3), student 66.7% (N = 6)"
