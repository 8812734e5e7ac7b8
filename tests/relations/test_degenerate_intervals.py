"""Intervals that a bootstrap cannot give: one unit, or units that all look alike.

Resampling a single unit (one source, one input) only repeats it, and resampling pairs that all
differ in the same way (no pair discordant: neither model flips) only repeats their difference, so a
percentile interval collapses to the point estimate and claims certainty. The first case gives no
interval (and an inconclusive calibration verdict); the second a Wilson bound over the units, as an
all-or-nothing rate does. Hand cases, then the kind over generated inputs.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metacompress_eval import stats
from metacompress_eval.relations import EvaluationOutputs, Thresholds, analyze

FAST = Thresholds(bootstrap_resamples=200)


def test_bootstrap_over_one_unit_gives_no_interval():
    one_row = stats.ratio_statistic(np.array([0.3]))
    assert stats.bootstrap_ci(one_row) is None
    one_cluster = stats.ratio_statistic(np.array([0.0, 1.0, 1.0]))
    assert stats.bootstrap_ci(one_cluster, ["s", "s", "s"]) is None
    assert stats.bootstrap_ci(one_cluster, ["s", "s", "t"]) is not None


def test_no_discordant_pair_gives_the_wilson_bound_not_a_point():
    same = np.array([True, False] * 75)
    est = stats.paired_difference(same, same)
    # Wilson's upper bound for 0 of 150 is z²/(n + z²) = 3.8415 / 153.8415
    z2 = 1.959963984540054 ** 2
    assert est.value == 0.0 and est.method == "wilson_units"
    assert est.ci == pytest.approx((-z2 / (150 + z2), z2 / (150 + z2)))
    # clustered: the units are the sources, so 150 pairs of 10 sources bound it far more loosely
    clustered = stats.paired_difference(same, same, [f"s{i % 10}" for i in range(150)])
    assert clustered.ci == pytest.approx((-z2 / (10 + z2), z2 / (10 + z2)))
    # every pair discordant towards the first: the difference is 1, bounded below by 2·l − 1
    all_b = stats.paired_difference(np.ones(20, bool), np.zeros(20, bool))
    lower = stats.wilson_ci(20, 20)[0]
    assert all_b.value == 1.0 and all_b.ci == pytest.approx((2 * lower - 1, 1.0))
    mirrored = stats.paired_difference(np.zeros(20, bool), np.ones(20, bool))
    assert mirrored.ci == pytest.approx((-1.0, 1 - 2 * lower))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.integers(0, 6)), min_size=1, max_size=40),
       st.booleans())
def test_paired_difference_interval_holds_the_estimate_and_never_collapses_on_two_units(pairs, clustered):
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    ids = [f"s{p[2]}" for p in pairs] if clustered else None
    est = stats.paired_difference(a, b, ids, 200, seed=3)
    assert est.value == pytest.approx(a.mean() - b.mean())
    units = len(set(ids)) if clustered else len(pairs)
    if est.ci is None:  # only a mixed sample of a single unit has no interval
        assert units == 1 and len(set(a.astype(int) - b.astype(int))) > 1
        return
    lo, hi = est.ci
    assert -1.0 - 1e-12 <= lo <= est.value + 1e-12 and est.value - 1e-12 <= hi <= 1.0 + 1e-12
    if est.method == "wilson_units":
        assert hi - lo > 0  # a bound, never the point itself


def _outputs(n_sources, transformations, seed):
    """Random binary outputs: every source with one follow-up per transformation."""
    rng = np.random.default_rng(seed)
    ids, ts, labels = [], [], []
    for s in range(n_sources):
        label = int(rng.integers(0, 2))
        for t in (None, *transformations):
            ids.append(f"s{s}")
            ts.append(t)
            labels.append(label)
    n = len(ids)
    pt = rng.dirichlet([1, 1], size=n)
    ps = rng.dirichlet([1, 1], size=n)
    return EvaluationOutputs(ids, ts, np.array(labels), pt, ps, ["neg", "pos"])


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 3))
def test_one_source_never_gives_a_calibration_verdict(seed, n_t):
    res = analyze(_outputs(1, [f"t{i}" for i in range(n_t)], seed), FAST, seed=seed)
    cal = res["calibration"]
    for entry in [cal["overall"], cal["sources"], cal["follow_ups"], *cal["by_transformation"].values()]:
        assert entry["ci95"] is None and entry["verdict"] == "inconclusive"


def test_transformation_that_flips_nothing_has_an_honest_difference_interval():
    out = _outputs(40, ["t"], 5)
    # the follow-ups repeat their sources' outputs: neither model flips
    out.teacher_probs[1::2] = out.teacher_probs[0::2]
    out.student_probs[1::2] = out.student_probs[0::2]
    res = analyze(out, FAST)
    diff = res["flips"]["difference"]["by_transformation"]["t"]
    assert diff["student_minus_teacher"] == 0.0 and diff["ci_method"] == "wilson_units"
    assert diff["ci95"][0] < 0 < diff["ci95"][1]
    # and where the two models are right on the same inputs, McNemar's effect is bounded, not certain
    out.student_probs[:] = out.teacher_probs
    acc = analyze(out, FAST)["mcnemar"]["by_transformation"]["t"]["accuracy_difference"]
    assert acc["teacher_minus_student"] == 0.0 and acc["ci95"][0] < 0 < acc["ci95"][1]
