"""Fidelity measures and the sharper statistics: KL and top-1 agreement, class-aware CA, HCP's converse,
macro averages, three-valued calibration verdicts, McNemar's floor and its clustered version.

Hand-computed cases first, then properties over generated inputs (hypothesis) that hold for every input
of the kind, with the hand case as one instance among them.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from metacompress_eval import stats
from metacompress_eval.relations import EvaluationOutputs, Thresholds, analyze, per_input_checks

from .conftest import HAND_ROWS, PERM, build, random_outputs

PA, PDS, HCP, CA, HCC = ("prediction_agreement", "probability_distribution_similarity",
                         "high_confidence_preservation", "calibration_alignment", "high_confidence_converse")
FAST = Thresholds(bootstrap_resamples=200)


# ---------------------------------------------------------------- KL(teacher ‖ student)


def test_kl_hand_values():
    # KL((.5,.5) ‖ (.25,.75)) = .5·log2(2) + .5·log2(2/3) = .5 − .5·0.5849625 bits
    assert stats.kl_divergence([0.5, 0.5], [0.25, 0.75]) == pytest.approx(0.5 - 0.5 * math.log2(1.5))
    nats = stats.kl_divergence([0.5, 0.5], [0.25, 0.75], base=math.e)
    assert nats == pytest.approx(0.5 * math.log(2) + 0.5 * math.log(2 / 3))
    # asymmetric: KL(q ‖ p) = .25·log2(.5) + .75·log2(1.5)
    assert stats.kl_divergence([0.25, 0.75], [0.5, 0.5]) == pytest.approx(-0.25 + 0.75 * math.log2(1.5))
    # a class the student rules out entirely reads as the floor: log2(1 / 1e-12) bits, and is counted
    assert stats.kl_divergence([1.0, 0.0], [0.0, 1.0]) == pytest.approx(math.log2(1e12))
    assert stats.kl_floor_hits([[1.0, 0.0], [0.5, 0.5]], [[0.0, 1.0], [0.5, 0.5]]).tolist() == [True, False]
    # where the teacher gives a class probability 0, the student's value there does not matter
    assert stats.kl_divergence([1.0, 0.0], [1.0, 0.0]) == 0.0
    assert not stats.kl_floor_hits([1.0, 0.0], [1.0, 0.0])


def distributions(n_classes):
    return st.lists(st.floats(0.0, 1.0), min_size=n_classes, max_size=n_classes).filter(
        lambda v: sum(v) > 1e-3)


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 5).flatmap(lambda c: st.tuples(distributions(c), distributions(c))))
def test_kl_is_non_negative_zero_iff_equal_and_matches_scipy(pair):
    p, q = (np.asarray(v) / sum(v) for v in pair)
    kl = float(stats.kl_divergence(p, q))
    assert kl >= 0.0
    assert stats.kl_divergence(p, p) == 0.0 and stats.kl_divergence(q, q) == 0.0
    if np.abs(p - q).max() > 1e-3:
        assert kl > 0.0
    assert float(stats.kl_divergence(p, q, base=math.e)) == pytest.approx(kl * math.log(2), rel=1e-9, abs=1e-12)
    if np.all(q >= stats.KL_FLOOR):  # no floor in play: scipy's relative entropy is the reference
        assert kl == pytest.approx(float(sps.entropy(p, q, base=2)), rel=1e-9, abs=1e-12)
    # Pinsker: KL in nats ≥ 2·TV² (a bound the floor can only raise KL above)
    assert kl * math.log(2) >= 2 * (0.5 * np.abs(p - q).sum()) ** 2 - 1e-12


def test_fidelity_section_hand(hand_outputs):
    res = analyze(hand_outputs, FAST)
    fid = res["fidelity"]
    assert fid["kl_floor"] == stats.KL_FLOOR
    kl = [float(stats.kl_divergence(r[3], r[4])) for r in HAND_ROWS]
    # sources r0 r2 r5; follow-ups r1 r3 r4 r6
    src, fu = fid["sources"], fid["follow_ups"]
    assert src["kl_bits"]["mean"] == pytest.approx(np.mean([kl[0], kl[2], kl[5]]))
    assert src["kl_nats"]["mean"] == pytest.approx(np.mean([kl[0], kl[2], kl[5]]) * math.log(2))
    assert fu["kl_bits"]["median"] == pytest.approx(np.median([kl[1], kl[3], kl[4], kl[6]]))
    assert src["kl_bits"]["ci_method"] == "bootstrap" and fu["kl_bits"]["ci_method"] == "cluster_bootstrap"
    # top-1 agreement = 1 − PA's violation rate, with the same interval method
    assert (src["top1_agreement"]["agreements"], src["top1_agreement"]["n"]) == (2, 3)
    assert (fid["overall"]["top1_agreement"]["agreements"], fid["overall"]["n"]) == (4, 7)
    assert fid["by_transformation"]["rename"]["top1_agreement"]["rate"] == 0.0
    assert src["top1_agreement"]["ci95"] == pytest.approx(list(stats.wilson_ci(2, 3)))
    assert fid["overall"]["kl_floored"] == 0
    # KL of the teacher against itself is zero everywhere
    same = build([(s, t, y, p, p) for s, t, y, p, _ in HAND_ROWS], PERM)
    same_fid = analyze(same, FAST)["fidelity"]
    assert same_fid["overall"]["kl_bits"]["mean"] == 0.0 and same_fid["overall"]["top1_agreement"]["rate"] == 1.0


def test_kl_and_jsd_are_not_interchangeable():
    # JSD is symmetric, KL(teacher ‖ student) is not: swapping the two models' outputs keeps the JSD
    # and changes the KL from 0.5·log2(50) + 0.5·log2(50/99) to 0.99·log2(1.98) + 0.01·log2(0.02).
    rows = [("a", None, 0, [0.5, 0.5], [0.01, 0.99]), ("b", None, 1, [0.01, 0.99], [0.5, 0.5])]
    pi = per_input_checks(build(rows), Thresholds())
    assert pi.jsd[0] == pytest.approx(pi.jsd[1])
    assert pi.kl[0] == pytest.approx(0.5 * math.log2(50) + 0.5 * math.log2(50 / 99))
    assert pi.kl[1] == pytest.approx(0.99 * math.log2(1.98) + 0.01 * math.log2(0.02))
    assert pi.kl[0] > 2 * pi.kl[1]


# ---------------------------------------------------------------- Calibration Alignment per input


def test_ca_is_class_aware():
    # The case: teacher (.7, .3), student (.3, .7): equal maximum probabilities, opposite classes.
    rows = [("a", None, 0, [0.7, 0.3], [0.3, 0.7])]
    pi = per_input_checks(build(rows), Thresholds())
    assert pi.measures[CA][0] == pytest.approx(0.4)
    assert pi.verdict(CA, 0) is True
    # three classes: teacher predicts class 2 at .5; student gives class 2 .2 and is sure of class 0
    pi = per_input_checks(build([("a", None, 0, [0.3, 0.2, 0.5], [0.7, 0.1, 0.2])], names=("x", "y", "z")),
                          Thresholds())
    assert pi.measures[CA][0] == pytest.approx(0.3)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 4))
def test_ca_gap_equals_the_old_gap_where_predictions_agree(seed, n_classes):
    out = random_outputs(n_sources=15, n_classes=n_classes, seed=seed)
    pi = per_input_checks(out, Thresholds())
    gap = pi.measures[CA]
    agree = pi.y_t == pi.y_s
    assert np.allclose(gap[agree], np.abs(pi.conf_s - pi.conf_t)[agree])
    rows = np.arange(gap.size)
    assert np.allclose(gap, np.abs(pi.student_probs[rows, pi.y_t] - pi.conf_t))
    if n_classes == 2:  # binary: the shift in either class's probability
        assert np.allclose(gap, np.abs(pi.student_probs[:, 1] - pi.teacher_probs[:, 1]))


# ---------------------------------------------------------------- HCP's converse


def test_hcc_flags_student_overconfidence_that_hcp_cannot_see():
    rows = [
        ("a", None, 0, [0.6, 0.4], [0.95, 0.05]),   # student sure, teacher not: HCC violated, HCP n/a
        ("b", None, 0, [0.6, 0.4], [0.05, 0.95]),   # student sure of another class: HCC violated
        ("c", None, 0, [0.95, 0.05], [0.97, 0.03]),  # both sure of the same class: both hold
        ("d", None, 0, [0.95, 0.05], [0.7, 0.3]),   # teacher sure, student not: HCP violated, HCC n/a
    ]
    pi = per_input_checks(build(rows), Thresholds())
    assert [pi.verdict(HCC, i) for i in range(4)] == [True, True, False, None]
    assert [pi.verdict(HCP, i) for i in range(4)] == [None, None, False, True]
    rel = analyze(build(rows), FAST)["relations"]["sources"]
    assert (rel[HCC]["violations"], rel[HCC]["n"]) == (2, 3)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([0.6, 0.8, 0.9, 0.99]))
def test_hcc_is_hcp_with_the_roles_swapped(seed, tau):
    out = random_outputs(n_sources=12, seed=seed)
    swapped = EvaluationOutputs(out.source_ids, out.transformations, out.labels, out.student_probs,
                                out.teacher_probs, out.label_names)
    th = Thresholds(confidence_tau=tau)
    a, b = per_input_checks(out, th), per_input_checks(swapped, th)
    assert [a.verdict(HCC, i) for i in range(len(out.source_ids))] == \
           [b.verdict(HCP, i) for i in range(len(out.source_ids))]


# ---------------------------------------------------------------- macro (per-source) averages


def test_macro_differs_from_pooled_by_hand():
    # source a: 3 follow-ups, all disagree; source b: 1 follow-up, agrees.
    # pooled PA on follow-ups = 3/4; macro = mean(1, 0) = 1/2
    rows = [("a", None, 0, [0.9, 0.1], [0.9, 0.1])]
    rows += [("a", f"t{i}", 0, [0.9, 0.1], [0.2, 0.8]) for i in range(3)]
    rows += [("b", None, 0, [0.9, 0.1], [0.9, 0.1]), ("b", "t0", 0, [0.9, 0.1], [0.8, 0.2])]
    res = analyze(build(rows), FAST)
    pa = res["relations"]["follow_ups"][PA]
    assert pa["rate"] == pytest.approx(3 / 4)
    assert pa["macro"]["rate"] == pytest.approx(1 / 2) and pa["macro"]["n_sources"] == 2
    assert pa["macro"]["ci_method"] == "cluster_bootstrap"
    # overall: a has 4 rows with 3 violations, b 2 rows with 0 → macro (3/4 + 0)/2
    assert res["relations"]["overall"][PA]["macro"]["rate"] == pytest.approx(3 / 8)
    flips = res["flips"]["student"]["overall"]
    assert flips["rate"] == pytest.approx(3 / 4) and flips["macro"]["rate"] == pytest.approx(1 / 2)
    fid = res["fidelity"]["follow_ups"]
    assert fid["top1_agreement"]["macro"]["rate"] == pytest.approx(1 / 2)
    kl_a = float(stats.kl_divergence([0.9, 0.1], [0.2, 0.8]))
    kl_b = float(stats.kl_divergence([0.9, 0.1], [0.8, 0.2]))
    assert fid["kl_bits"]["mean"] == pytest.approx((3 * kl_a + kl_b) / 4)
    assert fid["kl_bits"]["macro"]["mean"] == pytest.approx((kl_a + kl_b) / 2)
    assert fid["kl_nats"]["macro"]["mean"] == pytest.approx((kl_a + kl_b) / 2 * math.log(2))
    # one row per source: macro repeats the pooled figure and interval
    src = res["relations"]["sources"][PA]
    assert src["macro"] == {"rate": src["rate"], "ci95": src["ci95"], "ci_method": "wilson", "n_sources": 2}


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 4), st.integers(2, 3))
def test_macro_equals_pooled_when_every_source_has_the_same_number_of_follow_ups(seed, n_t, n_classes):
    out = random_outputs(n_sources=10, transformations=tuple(f"t{i}" for i in range(n_t)), n_classes=n_classes,
                         seed=seed, skip=0.0)
    res = analyze(out, FAST, seed=seed)
    for scope in ("overall", "follow_ups"):
        for key in (PA, PDS, CA):  # relations that apply to every input (HCP/HCC count eligible rows)
            entry = res["relations"][scope][key]
            assert entry["macro"]["rate"] == pytest.approx(entry["rate"])
        fid = res["fidelity"][scope]
        assert fid["top1_agreement"]["macro"]["rate"] == pytest.approx(fid["top1_agreement"]["rate"])
        assert fid["kl_bits"]["macro"]["mean"] == pytest.approx(fid["kl_bits"]["mean"])
    for model in ("teacher", "student"):
        entry = res["flips"][model]["overall"]
        assert entry["macro"]["rate"] == pytest.approx(entry["rate"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.floats(0, 1)), min_size=1, max_size=30))
def test_macro_statistic_is_the_mean_of_cluster_means(rows):
    ids = [f"c{g}" for g, _ in rows]
    values = np.array([v for _, v in rows])
    means = [values[[i for i, c in enumerate(ids) if c == g]].mean() for g in dict.fromkeys(ids)]
    assert stats.macro_statistic(values, ids).value() == pytest.approx(np.mean(means))
    est = stats.macro_mean(values, ids, 200, seed=1)
    assert est.value == pytest.approx(np.mean(means)) and est.n_clusters == len(means)
    if len(means) < 2:  # one source: resampling it only repeats it, so there is no interval
        assert est.ci is None
    else:
        assert est.ci[0] - 1e-9 <= est.value <= est.ci[1] + 1e-9


# ---------------------------------------------------------------- three-valued verdicts


@pytest.mark.parametrize("ci, verdict", [
    ([-0.02, 0.03], "within"),
    ([-0.05, 0.05], "within"),
    ([0.06, 0.2], "outside"),
    ([-0.3, -0.051], "outside"),
    ([0.01, 0.08], "inconclusive"),
    ([-0.2, 0.2], "inconclusive"),
    (None, "inconclusive"),
])
def test_tolerance_verdict(ci, verdict):
    assert stats.tolerance_verdict(ci, 0.05) == verdict


@settings(max_examples=100, deadline=None)
@given(st.floats(-1, 1), st.floats(0, 1), st.floats(0, 0.5))
def test_tolerance_verdict_follows_the_interval_not_the_point(lo, width, tol):
    ci = [lo, lo + width]
    verdict = stats.tolerance_verdict(ci, tol)
    inside = -tol <= ci[0] and ci[1] <= tol
    outside = ci[0] > tol or ci[1] < -tol
    assert verdict == ("within" if inside else "outside" if outside else "inconclusive")


def test_calibration_verdict_is_read_from_the_interval():
    out = random_outputs(n_sources=200, seed=4, transformations=("t",))
    res = analyze(out, Thresholds(bootstrap_resamples=300))
    for key in ("sources", "follow_ups", "overall"):
        e = res["calibration"][key]
        assert e["verdict"] == {"within": "aligned", "outside": "misaligned",
                                "inconclusive": "inconclusive"}[stats.tolerance_verdict(e["ci95"], 0.05, 1e-12)]
    # a misaligned student: confident and mostly wrong while the teacher is calibrated
    rng = np.random.default_rng(0)
    n = 300
    labels = rng.integers(0, 2, n)
    pt = np.where(labels[:, None] == np.arange(2), 0.8, 0.2)
    pt = np.where(rng.random(n)[:, None] < 0.2, pt[:, ::-1], pt)  # right 80% of the time at .8
    ps = np.where(labels[:, None] == np.arange(2), 0.01, 0.99)  # always wrong at .99
    bad = EvaluationOutputs([f"s{i}" for i in range(n)], [None] * n, labels, pt, ps, ["a", "b"])
    assert analyze(bad, FAST)["calibration"]["sources"]["verdict"] == "misaligned"
    good = EvaluationOutputs([f"s{i}" for i in range(n)], [None] * n, labels, pt, pt, ["a", "b"])
    assert analyze(good, FAST)["calibration"]["sources"]["verdict"] == "aligned"


# ---------------------------------------------------------------- McNemar


def _pairs(b, c, same=0):
    a = np.array([1] * b + [0] * c + [1] * same, dtype=bool)
    return a, np.array([0] * b + [1] * c + [1] * same, dtype=bool)


def test_mcnemar_continuity_correction_is_floored_at_zero():
    equal = stats.mcnemar(*_pairs(70, 70))
    one_off = stats.mcnemar(*_pairs(70, 71))
    assert equal.statistic == 0.0 and equal.p_value == 1.0
    assert one_off.statistic == 0.0 and one_off.p_value == 1.0
    # unchanged where the correction does not reach zero: (|20 − 10| − 1)² / 30
    assert stats.mcnemar(*_pairs(20, 10)).statistic == pytest.approx(81 / 30)


@settings(max_examples=100, deadline=None)
@given(st.integers(25, 400), st.data())
def test_mcnemar_p_value_never_rises_as_b_and_c_move_apart(total, data):
    b = data.draw(st.integers(total // 2, total - 1))
    p_here = stats.mcnemar(*_pairs(b, total - b)).p_value
    p_further = stats.mcnemar(*_pairs(b + 1, total - b - 1)).p_value
    assert p_further <= p_here + 1e-15


def test_obuchowski_hand():
    # 20 clusters with b_k = 2, c_k = 0, n_k = 3 and 10 clusters with b_k = 0, c_k = 1, n_k = 2.
    # D = 40 − 10 = 30, N = 80, K = 30; Σ (d_k − n_k·D/N)² = 20·(2 − 1.125)² + 10·(−1 − 0.75)² = 45.9375
    # X² = 30² / (30/29 · 45.9375)
    a, b, ids = [], [], []
    for k in range(20):
        a += [1, 1, 1]
        b += [0, 0, 1]
        ids += [f"x{k}"] * 3
    for k in range(10):
        a += [0, 0]
        b += [1, 0]
        ids += [f"y{k}"] * 2
    res = stats.clustered_mcnemar(np.array(a, bool), np.array(b, bool), ids)
    assert (res.b, res.c, res.n, res.n_clusters) == (40, 10, 80, 30)
    assert res.method == "obuchowski"
    expected = 900 / (30 / 29 * 45.9375)
    assert res.statistic == pytest.approx(expected)
    assert res.p_value == pytest.approx(float(sps.chi2.sf(expected, 1)))


def test_cluster_sign_test_for_few_clusters():
    # 3 clusters: d = +4, +1, −1 → 2 of 3 informative clusters positive: binomtest(2, 3) = 1.0
    ids = ["a"] * 4 + ["b"] * 2 + ["c"] * 2
    a = np.array([1, 1, 1, 1, 1, 0, 0, 1], bool)
    b = np.array([0, 0, 0, 0, 0, 0, 1, 1], bool)
    res = stats.clustered_mcnemar(a, b, ids)
    assert (res.b, res.c) == (5, 1) and res.method == "cluster_sign_test"
    assert res.p_value == pytest.approx(sps.binomtest(2, 3, 0.5).pvalue)
    # unclustered McNemar on the same rows would claim p = 0.22 from 6 "independent" pairs
    none = stats.clustered_mcnemar(np.ones(4, bool), np.ones(4, bool), ["a", "a", "b", "b"])
    assert none.p_value == 1.0 and none.n_clusters == 2


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 5))
def test_clustered_test_does_not_count_copies_as_evidence(seed, copies):
    """Repeating every pair of a cluster leaves the clustered p-value unchanged; McNemar's shrinks."""
    rng = np.random.default_rng(seed)
    k = 40
    sizes = rng.integers(1, 5, k)
    ids = np.repeat(np.arange(k), sizes)
    a = rng.random(ids.size) < 0.7
    b = rng.random(ids.size) < 0.6
    once = stats.clustered_mcnemar(a, b, ids.tolist())
    many = stats.clustered_mcnemar(np.repeat(a, copies), np.repeat(b, copies), np.repeat(ids, copies).tolist())
    assert many.method == once.method
    assert many.p_value == pytest.approx(once.p_value, rel=1e-9, abs=1e-15)
    if once.b != once.c:
        assert stats.mcnemar(np.repeat(a, copies), np.repeat(b, copies)).p_value <= stats.mcnemar(a, b).p_value


def test_clustered_test_keeps_its_size_under_strong_clustering():
    """Under the null (exchangeable models) with whole clusters moving together, the naive test rejects
    far too often; the clustered one stays near the nominal 5%."""
    rng = np.random.default_rng(11)
    naive = clustered = 0
    runs = 300
    for _ in range(runs):
        k = 60
        sizes = rng.integers(2, 9, k)
        ids = np.repeat(np.arange(k), sizes)
        # per cluster, one shared coin decides which model is right on most of its pairs
        lead = np.repeat(rng.random(k) < 0.5, sizes)
        noise = rng.random(ids.size) < 0.1
        a = lead ^ noise
        b = ~lead ^ (rng.random(ids.size) < 0.1)
        naive += stats.mcnemar(a, b).p_value < 0.05
        clustered += stats.clustered_mcnemar(a, b, ids.tolist()).p_value < 0.05
    assert naive / runs > 0.3
    assert clustered / runs < 0.1


def test_floored_kl_is_flagged_wherever_the_mean_is_shown():
    """A student probability of 0 makes KL infinite; summary, report.md and card say the mean rests on the floor."""
    from metacompress_eval.hub import cards
    from metacompress_eval.report import render_markdown
    from metacompress_eval.report.summary import summary_lines

    rows = [("s1", None, 0, [0.5, 0.5], [1.0, 0.0]), ("s1", "t", 0, [0.6, 0.4], [0.7, 0.3]),
            ("s2", None, 1, [0.2, 0.8], [0.0, 1.0]), ("s2", "t", 1, [0.3, 0.7], [0.4, 0.6])]
    report = {"analysis": analyze(build(rows), FAST), "models": {"teacher": {"name_or_path": "t"},
                                                               "student": {"name_or_path": "s"}}}
    assert report["analysis"]["fidelity"]["overall"]["kl_floored"] == 2
    note = "2 inputs with a student probability floored at 1e-12"
    assert any(note in line for line in summary_lines(report))
    assert note in render_markdown(report, {})
    assert "(2 inputs floored at 1e-12)" in cards.fidelity_rows(report)
    # none floored: no note
    clean = {"analysis": analyze(build(HAND_ROWS, PERM), FAST)}
    assert not any("floored" in line for line in summary_lines(clean))
    assert "floored at" not in cards.fidelity_rows(clean)
