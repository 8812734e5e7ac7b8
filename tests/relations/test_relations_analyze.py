"""analyze(): hand-computed relations, flips, performance, McNemar, calibration, worst list."""

import json

import numpy as np
import pytest

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.relations import Thresholds, analyze, relation_keys
from metacompress_eval import stats

from .conftest import HAND_ROWS, PERM, build, random_outputs

PA, PDS, HCP, CA, HCC = relation_keys()


def counts(block, rel):
    e = block[rel]
    return e["violations"], e["n"]


@pytest.fixture
def hand(hand_outputs):
    return analyze(hand_outputs)


# Expected violations (hand table in conftest); conf = max probability:
#   PA : r1 (1≠0), r3 (0≠1), r5 (1≠0)
#   PDS: r1, r3 (JSD > 0.05); the others are ≤ 0.017
#   HCP: eligible r0, r1, r4 (teacher conf .95); violated by r1 (prediction changes) and
#        r4 (student conf .88 < .9)
#   CA : |p_S(ŷ_T) − p_T(ŷ_T)| is .03 .55 .05 .45 .07 .15 0 for r0..r6 → r1, r3, r5 exceed .1
#        (the class-blind |conf_S − conf_T| of schema 1.x was .03 .35 .05 .05 .07 .05 0: only r1)
#   HCC: student conf ≥ .9 only on r0 (.92), where the teacher agrees at .95 → 0 of 1
@pytest.mark.parametrize(
    "scope, expected",
    [
        ("overall", {PA: (3, 7), PDS: (2, 7), HCP: (2, 3), CA: (3, 7), HCC: (0, 1)}),
        ("sources", {PA: (1, 3), PDS: (0, 3), HCP: (0, 1), CA: (1, 3), HCC: (0, 1)}),
        ("follow_ups", {PA: (2, 4), PDS: (2, 4), HCP: (2, 2), CA: (2, 4), HCC: (0, 0)}),
    ],
)
def test_relation_counts_by_scope(hand, scope, expected):
    block = hand["relations"][scope]
    for rel, (k, n) in expected.items():
        assert counts(block, rel) == (k, n), rel
        assert block[rel]["rate"] == (pytest.approx(k / n) if n else None)


def test_per_transformation_split(hand):
    by_t = hand["relations"]["by_transformation"]
    assert list(by_t) == ["deadcode", "rename"]
    assert counts(by_t["rename"], PA) == (2, 2)
    assert counts(by_t["rename"], PDS) == (2, 2)
    assert counts(by_t["rename"], HCP) == (1, 1)
    assert counts(by_t["rename"], CA) == (2, 2)
    assert counts(by_t["deadcode"], PA) == (0, 2)
    assert counts(by_t["deadcode"], PDS) == (0, 2)
    assert counts(by_t["deadcode"], HCP) == (1, 1)
    assert counts(by_t["deadcode"], CA) == (0, 2)
    # one follow-up per source and transformation: independent units, Wilson
    for block in by_t.values():
        for rel in relation_keys():
            assert block[rel]["ci_method"] == "wilson"
    assert by_t["rename"][PA]["ci95"] == pytest.approx(list(stats.wilson_ci(2, 2)))
    assert hand["counts"] == {"inputs": 7, "sources": 3, "follow_ups": 4,
                              "by_transformation": {"deadcode": 2, "rename": 2}}


def test_ci_methods(hand):
    rel = hand["relations"]
    assert rel["sources"][PA]["ci_method"] == "wilson"
    assert rel["sources"][PA]["ci95"] == pytest.approx(list(stats.wilson_ci(1, 3)))
    assert rel["overall"][PA]["ci_method"] == "cluster_bootstrap"
    lo, hi = rel["overall"][PA]["ci95"]
    assert lo <= 3 / 7 <= hi
    # HCP applies to two follow-ups of two different sources: independent rows, Wilson (as for any
    # subset without a shared source)
    assert rel["follow_ups"][HCP]["ci_method"] == "wilson"
    assert rel["follow_ups"][HCP]["ci95"] == pytest.approx(list(stats.wilson_ci(2, 2)))


def test_pds_summary(hand):
    jsd = stats.jensen_shannon_divergence([r[3] for r in HAND_ROWS], [r[4] for r in HAND_ROWS])
    pds = hand["relations"]["overall"][PDS]
    assert pds["mean_jsd"] == pytest.approx(float(np.mean(jsd)))
    assert pds["median_jsd"] == pytest.approx(float(np.median(jsd)))


def test_flips_hand(hand):
    teacher = hand["flips"]["teacher"]["overall"]
    student = hand["flips"]["student"]["overall"]
    assert (teacher["flips"], teacher["n"]) == (0, 4)
    # student: r1 (1→0), r3 (0→1), r6 (0→1) flip; r4 (0→0) does not
    assert (student["flips"], student["n"]) == (3, 4)
    assert student["breakdown"] == {
        "correct_to_correct": 1,   # r4
        "correct_to_wrong": 2,     # r1, r3
        "wrong_to_correct": 1,     # r6 (source r5 was wrong)
        "wrong_to_same_wrong": 0,
        "wrong_to_different_wrong": 0,
    }
    assert teacher["breakdown"]["correct_to_correct"] == 4
    by_t = hand["flips"]["student"]["by_transformation"]
    assert (by_t["rename"]["flips"], by_t["rename"]["n"]) == (2, 2)
    assert (by_t["deadcode"]["flips"], by_t["deadcode"]["n"]) == (1, 2)
    diff = hand["flips"]["difference"]["overall"]
    assert diff["student_minus_teacher"] == pytest.approx(0.75)


def test_flip_breakdown_multiclass():
    # source label 0, teacher says 1 on the source (wrong); follow-ups say 2, 1, 0.
    # second source label 2, teacher right on the source, wrong (0) on its follow-up.
    one = {0: [0.8, 0.1, 0.1], 1: [0.1, 0.8, 0.1], 2: [0.1, 0.1, 0.8]}
    rows = [
        ("a", None, 0, one[1], one[1]),
        ("a", "t1", 0, one[2], one[1]),
        ("a", "t2", 0, one[1], one[1]),
        ("a", "t3", 0, one[0], one[1]),
        ("b", None, 2, one[2], one[2]),
        ("b", "t1", 2, one[0], one[2]),
    ]
    res = analyze(build(rows, names=("x", "y", "z")))
    teacher = res["flips"]["teacher"]
    assert teacher["overall"]["breakdown"] == {
        "correct_to_correct": 0,
        "correct_to_wrong": 1,
        "wrong_to_correct": 1,
        "wrong_to_same_wrong": 1,
        "wrong_to_different_wrong": 1,
    }
    assert (teacher["overall"]["flips"], teacher["overall"]["n"]) == (3, 4)
    assert teacher["by_transformation"]["t1"]["breakdown"]["wrong_to_different_wrong"] == 1
    assert teacher["by_transformation"]["t1"]["breakdown"]["correct_to_wrong"] == 1
    student = res["flips"]["student"]["overall"]
    assert student["flips"] == 0
    assert student["breakdown"]["wrong_to_same_wrong"] == 3
    assert res["performance"]["f1_average"] == "macro"
    assert res["performance"]["positive_label"] is None


def test_performance_and_mcnemar_hand(hand):
    perf = hand["performance"]
    assert perf["f1_average"] == "binary" and perf["positive_label"] == "pos"
    assert perf["sources"]["teacher"]["accuracy"]["correct"] == 3
    assert perf["sources"]["student"]["accuracy"]["correct"] == 2
    assert perf["sources"]["student"]["accuracy"]["accuracy"] == pytest.approx(2 / 3)
    assert perf["sources"]["student"]["accuracy"]["ci_method"] == "wilson"
    assert perf["follow_ups"]["student"]["accuracy"]["correct"] == 2
    assert perf["follow_ups"]["student"]["accuracy"]["n"] == 4
    # student on sources: gold [1, 0, 1], predicted [1, 0, 0] → tp 1, fn 1 → F1 2/3
    assert perf["sources"]["student"]["f1"]["value"] == pytest.approx(2 / 3)
    assert perf["sources"]["teacher"]["f1"]["value"] == pytest.approx(1.0)
    assert perf["follow_ups"]["teacher"]["f1"]["ci_method"] == "cluster_bootstrap"

    mc = hand["mcnemar"]
    assert (mc["sources"]["b"], mc["sources"]["c"]) == (1, 0)
    assert mc["sources"]["p_value"] == pytest.approx(1.0)
    assert (mc["follow_ups"]["b"], mc["follow_ups"]["c"]) == (2, 0)
    # pooled follow-ups are clustered by source: s1 has d = b − c = 1, s2 has d = 1, s3 has d = 0,
    # so the exact sign test on the 2 informative clusters gives p = 2 · 0.5² = 0.5
    assert mc["follow_ups"]["p_value"] == pytest.approx(0.5)
    assert mc["follow_ups"]["method"] == "cluster_sign_test"
    assert mc["follow_ups"]["n_clusters"] == 3
    assert mc["follow_ups"]["clustered"] is True
    assert mc["follow_ups"]["accuracy_difference"]["teacher_minus_student"] == pytest.approx(0.5)
    assert mc["follow_ups"]["accuracy_difference"]["ci_method"] == "cluster_bootstrap"
    assert mc["sources"]["clustered"] is False and mc["sources"]["n_clusters"] is None
    assert mc["sources"]["accuracy_difference"]["teacher_minus_student"] == pytest.approx(1 / 3)


def test_calibration_hand(hand):
    src = hand["calibration"]["sources"]
    # teacher: conf .95/.70/.60, all correct → gaps .05, .30, .40 in separate bins
    assert src["teacher_ece"] == pytest.approx(0.75 / 3)
    # student: conf .92/.75/.55, correct/correct/wrong → gaps .08, .25, .55
    assert src["student_ece"] == pytest.approx(0.88 / 3)
    assert src["difference"] == pytest.approx(0.13 / 3)
    assert src["ci_method"] == "bootstrap"
    # The difference .043 is within the tolerance .05, but its CI over three sources is not: the
    # verdict is read from the interval, so it is inconclusive (schema 1.x said "aligned").
    lo, hi = src["ci95"]
    assert lo < -0.05 or hi > 0.05
    assert src["verdict"] == "inconclusive"
    wide = analyze(build(HAND_ROWS, PERM), Thresholds(ece_tolerance=1.0))
    assert wide["calibration"]["sources"]["verdict"] == "aligned"


def test_worst_discrepancies(hand):
    worst = hand["worst"]
    # PA or HCP violated: r1, r3, r4, r5; by JSD: r1 .281, r3 .152, r5 .016, r4 .012
    hand_rows = [PERM[w["index"]] for w in worst]
    assert hand_rows == [1, 3, 5, 4]
    first = worst[0]
    assert first["violated"] == [PA, HCP]
    assert first["transformation"] == "rename" and first["source_id"] == "s1"
    assert PERM[first["source_index"]] == 0
    assert first["teacher"]["probs"] == pytest.approx([0.05, 0.95])
    assert first["student"]["prediction_name"] == "neg"
    assert worst[3]["violated"] == [HCP]
    short = analyze(build(HAND_ROWS, PERM), worst_k=2)
    assert [w["index"] for w in short["worst"]] == [w["index"] for w in worst[:2]]
    assert short["worst_k"] == 2
    assert analyze(build(HAND_ROWS, PERM), worst_k=0)["worst"] == []


def test_thresholds_are_configurable():
    res = analyze(build(HAND_ROWS, PERM), Thresholds(jsd_max=0.01, confidence_tau=0.6,
                                                     confidence_tolerance=0.04))
    overall = res["relations"]["overall"]
    # JSD > .01: r1, r3, r4, r5
    assert counts(overall, PDS) == (4, 7)
    # teacher conf ≥ .6: r0 r1 r2 r3 r4 r5 r6 (r5 = .60 exactly, kept by the tolerance of 1e-12)
    assert overall[HCP]["n"] == 7
    # |p_S(ŷ_T) − p_T(ŷ_T)| > .04: r1 .55, r2 .05, r3 .45, r4 .07, r5 .15 (not r0 .03, r6 0)
    assert counts(overall, CA) == (5, 7)
    # student conf ≥ .6: r0 .92, r1 .60, r2 .75, r3 .75, r4 .88, r6 .70 (not r5 .55); the teacher
    # predicts another class on r1 and r3 → 2 of 6
    assert counts(overall, HCC) == (2, 6)
    assert res["thresholds"]["jsd_max"] == 0.01


def test_threshold_boundaries_are_not_decided_by_rounding():
    # |0.8 − 0.7| is 0.10000000000000009 in binary floating point; it must not violate CA at 0.1.
    rows = [("a", None, 0, [0.8, 0.2], [0.7, 0.3]), ("a", "t", 0, [0.9, 0.1], [0.9, 0.1])]
    res = analyze(build(rows))
    assert res["relations"]["overall"][CA]["violations"] == 0
    # conf_T = 0.9 = τ is teacher-confident; conf_S = 0.9 preserves it
    assert res["relations"]["overall"][HCP]["n"] == 1
    assert res["relations"]["overall"][HCP]["violations"] == 0


def test_unlabelled_path():
    res = analyze(build(HAND_ROWS, PERM, labelled=False))
    assert res["labelled"] is False
    assert res["performance"] is None and res["mcnemar"] is None and res["calibration"] is None
    assert res["flips"]["student"]["overall"]["flips"] == 3
    assert res["flips"]["student"]["overall"]["breakdown"] is None
    assert counts(res["relations"]["overall"], PA) == (3, 7)
    assert res["worst"][0]["label"] is None
    json.dumps(res, allow_nan=False)


@pytest.mark.parametrize("labelled", [True, False])
def test_output_is_strict_json(labelled):
    out = random_outputs(labelled=labelled, seed=5)
    res = analyze(out, Thresholds(bootstrap_resamples=300))
    text = json.dumps(res, allow_nan=False)
    assert json.loads(text) == res

    def walk(x):
        assert x is None or isinstance(x, (bool, int, float, str, list, dict)), type(x)
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(res)


def test_empty_scopes_give_none_not_nan():
    # no follow-ups at all, and no teacher-confident input
    rows = [("a", None, 0, [0.6, 0.4], [0.6, 0.4]), ("b", None, 1, [0.3, 0.7], [0.5, 0.5])]
    res = analyze(build(rows))
    json.dumps(res, allow_nan=False)
    assert res["relations"]["follow_ups"][PA] == {
        "violations": 0, "n": 0, "rate": None, "ci95": None, "ci_method": "cluster_bootstrap",
        "macro": {"rate": None, "ci95": None, "ci_method": "cluster_bootstrap", "n_sources": 0}}
    assert res["relations"]["overall"][HCP]["rate"] is None
    assert res["flips"]["teacher"]["overall"]["rate"] is None
    assert res["performance"]["follow_ups"]["teacher"]["f1"]["value"] is None
    assert res["calibration"]["follow_ups"]["teacher_ece"] is None
    assert res["calibration"]["follow_ups"]["verdict"] is None
    assert res["mcnemar"]["follow_ups"]["p_value"] is None
    assert res["fidelity"]["follow_ups"]["kl_bits"]["mean"] is None
    assert res["fidelity"]["follow_ups"]["top1_agreement"]["rate"] is None


def test_deterministic_given_seed():
    out = random_outputs(seed=1)
    th = Thresholds(bootstrap_resamples=300)
    assert analyze(out, th, seed=3) == analyze(out, th, seed=3)
    a, b = analyze(out, th, seed=3), analyze(out, th, seed=4)
    assert a["relations"]["overall"][PA]["ci95"] != b["relations"]["overall"][PA]["ci95"]
    assert a["relations"]["overall"][PA]["rate"] == b["relations"]["overall"][PA]["rate"]


def test_duplicate_follow_ups_per_transformation_use_cluster_bootstrap():
    rows = [
        ("a", None, 0, [0.6, 0.4], [0.6, 0.4]),
        ("a", "t", 0, [0.6, 0.4], [0.4, 0.6]),
        ("a", "t", 0, [0.6, 0.4], [0.6, 0.4]),
        ("b", None, 1, [0.3, 0.7], [0.3, 0.7]),
        ("b", "t", 1, [0.3, 0.7], [0.3, 0.7]),
    ]
    res = analyze(build(rows))
    assert res["relations"]["by_transformation"]["t"][PA]["ci_method"] == "cluster_bootstrap"


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda o: o.transformations.__setitem__(1, None), "more than one source row"),
        (lambda o: o.source_ids.__setitem__(0, "zzz"), "no source row"),
        (lambda o: setattr(o, "teacher_probs", o.teacher_probs * 3), "sum to 1"),
        (lambda o: setattr(o, "student_probs", o.student_probs[:, :1]), "shape"),
        (lambda o: o.labels.__setitem__(0, 1 - o.labels[0]), "different label"),
        (lambda o: o.labels.__setitem__(0, 7), "labels must be integers"),
    ],
)
def test_invalid_outputs_raise_user_errors(mutate, message):
    out = build(HAND_ROWS)  # unshuffled: row 0 is s1's source, row 1 its follow-up
    mutate(out)
    with pytest.raises(MetaCompressError, match=message):
        analyze(out)


def test_invalid_thresholds():
    with pytest.raises(MetaCompressError):
        Thresholds(jsd_max=2.0)
    with pytest.raises(MetaCompressError):
        Thresholds(ece_bins=0)
    with pytest.raises(MetaCompressError):
        analyze(build(HAND_ROWS), worst_k=-1)


def test_float32_probabilities_are_accepted():
    out = random_outputs(seed=2)
    out.teacher_probs = out.teacher_probs.astype(np.float32)
    out.student_probs = out.student_probs.astype(np.float32)
    res = analyze(out, Thresholds(bootstrap_resamples=200))
    assert res["counts"]["inputs"] == len(out.source_ids)
