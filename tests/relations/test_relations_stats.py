"""Numerical core: intervals, JSD, ECE, F1, McNemar, bootstrap."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon

from metacompress_eval import stats


# ---------------------------------------------------------------- Wilson


def test_wilson_known_value():
    lo, hi = stats.wilson_ci(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-4)
    assert hi == pytest.approx(0.9433, abs=1e-4)


def test_wilson_edges():
    assert stats.wilson_ci(0, 0) is None
    lo, hi = stats.wilson_ci(0, 10)
    assert lo == pytest.approx(0.0, abs=1e-12) and 0.0 < hi < 0.35
    lo, hi = stats.wilson_ci(10, 10)
    assert 0.65 < lo < 1.0 and hi == pytest.approx(1.0)
    with pytest.raises(ValueError):
        stats.wilson_ci(3, 2)


def test_independent_rate_empty():
    est = stats.independent_rate(np.array([], dtype=bool))
    assert (est.k, est.n, est.rate, est.ci) == (0, 0, None, None)


# ---------------------------------------------------------------- JSD


def test_jsd_identical_is_zero():
    p = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    assert np.allclose(stats.jensen_shannon_divergence(p, p), 0.0)


def test_jsd_disjoint_one_hots_is_one():
    assert stats.jensen_shannon_divergence([1.0, 0.0], [0.0, 1.0]) == pytest.approx(1.0)
    assert stats.jensen_shannon_divergence([0, 0, 1.0], [1.0, 0, 0]) == pytest.approx(1.0)


def test_jsd_hand_value():
    # m = (0.75, 0.25); KL(p||m) = log2(4/3); KL(q||m) = ½log2(2/3) + ½log2(2)
    expected = 0.5 * (math.log2(4 / 3) + 0.5 * math.log2(2 / 3) + 0.5)
    assert stats.jensen_shannon_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(expected)
    assert expected == pytest.approx(0.311278, abs=1e-6)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=3, max_size=3).filter(lambda v: sum(v) > 1e-3),
       st.lists(st.floats(0, 1), min_size=3, max_size=3).filter(lambda v: sum(v) > 1e-3))
def test_jsd_properties(p, q):
    d = stats.jensen_shannon_divergence(p, q)
    assert 0.0 <= d <= 1.0
    assert d == pytest.approx(stats.jensen_shannon_divergence(q, p), abs=1e-12)
    # scipy's reference overflows on subnormal entries, so compare only on "normal" inputs.
    if all(x == 0 or x > 1e-200 for x in p + q):
        assert d == pytest.approx(jensenshannon(p, q, base=2) ** 2, abs=1e-9)


def test_jsd_subnormal_entry_is_finite():
    assert stats.jensen_shannon_divergence([0, 1.0, 0], [0, 1.0, 5e-324]) == pytest.approx(0.0)


# ---------------------------------------------------------------- ECE


def test_ece_one_item_per_bin():
    conf = [0.95, 0.85, 0.65, 0.55]
    correct = [1, 0, 1, 1]
    # gaps 0.05, 0.85, 0.35, 0.45, each bin weight 1/4
    assert stats.expected_calibration_error(conf, correct, 10) == pytest.approx(1.7 / 4)


def test_ece_shared_bin():
    # bin (0.9, 1]: acc 0.5, mean conf 0.95, weight 2/3; bin (0.5, 0.6]: |1 - 0.6|, weight 1/3
    ece = stats.expected_calibration_error([0.91, 0.99, 0.6], [1, 0, 1], 10)
    assert ece == pytest.approx(0.45 * 2 / 3 + 0.4 / 3)


def test_calibration_bins_edges_are_right_closed():
    assert stats.calibration_bins([0.0, 0.1, 0.25, 0.3, 0.31, 1.0], 10).tolist() == [0, 0, 2, 2, 3, 9]


def test_ece_empty_and_perfect():
    assert stats.expected_calibration_error([], [], 10) is None
    assert stats.expected_calibration_error([1.0, 1.0], [1, 1], 10) == pytest.approx(0.0)


# ---------------------------------------------------------------- F1


def test_f1_binary_positive_class():
    # tp=2, fp=1, fn=1
    assert stats.f1_score([1, 1, 0, 0, 1], [1, 0, 0, 1, 1], 2) == pytest.approx(2 / 3)


def test_f1_macro():
    # class 0: F1 1; class 1: tp 0 -> 0; class 2: tp 1, fp 1, fn 1 -> 0.5
    assert stats.f1_score([0, 1, 2, 2], [0, 2, 2, 1], 3) == pytest.approx(0.5)


def test_f1_macro_skips_absent_class_and_binary_absent_positive_is_zero():
    assert stats.f1_score([0, 1, 1], [0, 1, 1], 4) == pytest.approx(1.0)
    assert stats.f1_score([0, 0], [0, 0], 2) == 0.0
    assert stats.f1_score([], [], 2) is None


# ---------------------------------------------------------------- McNemar


def test_mcnemar_exact_path():
    a = np.array([1] * 5 + [0] * 1 + [1] * 4, dtype=bool)
    b = np.array([0] * 5 + [1] * 1 + [1] * 4, dtype=bool)
    res = stats.mcnemar(a, b)
    assert (res.b, res.c, res.n) == (5, 1, 10)
    assert res.method == "exact_binomial" and res.statistic is None
    assert res.p_value == pytest.approx(2 * (1 + 6) / 64)


def test_mcnemar_chi_square_path():
    a = np.array([1] * 20 + [0] * 10 + [1] * 5, dtype=bool)
    b = np.array([0] * 20 + [1] * 10 + [1] * 5, dtype=bool)
    res = stats.mcnemar(a, b)
    assert (res.b, res.c) == (20, 10)
    assert res.method == "chi_square_cc"
    assert res.statistic == pytest.approx(81 / 30)
    assert res.p_value == pytest.approx(0.100348, abs=1e-5)


def test_mcnemar_threshold_and_no_discordance():
    def pair(b, c):
        return (np.array([1] * b + [0] * c, dtype=bool), np.array([0] * b + [1] * c, dtype=bool))

    assert stats.mcnemar(*pair(12, 12)).method == "exact_binomial"  # 24 < 25
    assert stats.mcnemar(*pair(13, 12)).method == "chi_square_cc"  # 25
    res = stats.mcnemar(np.ones(4, bool), np.ones(4, bool))
    assert (res.b, res.c, res.p_value) == (0, 0, 1.0)


# ---------------------------------------------------------------- bootstrap


def _clustered_events():
    # 40 clusters of 5 identical outcomes: strongly correlated within clusters.
    rng = np.random.default_rng(3)
    per_cluster = rng.random(40) < 0.3
    events = np.repeat(per_cluster, 5)
    ids = np.repeat([f"s{i}" for i in range(40)], 5).tolist()
    return events, ids


def test_cluster_bootstrap_is_deterministic():
    events, ids = _clustered_events()
    a = stats.clustered_rate(events, ids, 500, seed=7)
    b = stats.clustered_rate(events, ids, 500, seed=7)
    c = stats.clustered_rate(events, ids, 500, seed=8)
    assert a == b
    assert a.method == "cluster_bootstrap"
    assert a.ci != c.ci


def test_cluster_bootstrap_wider_than_row_bootstrap_for_correlated_rows():
    events, ids = _clustered_events()
    clustered = stats.bootstrap_ci(stats.ratio_statistic(events), ids, 2000, seed=0)
    rows = stats.bootstrap_ci(stats.ratio_statistic(events), None, 2000, seed=0)
    assert clustered[1] - clustered[0] > 1.5 * (rows[1] - rows[0])
    rate = events.mean()
    assert clustered[0] <= rate <= clustered[1]


def test_clustered_rate_degenerate_falls_back_to_wilson_on_clusters():
    ids = ["a", "a", "b", "b", "c"]
    est = stats.clustered_rate(np.zeros(5, bool), ids, 200, seed=0)
    assert est.method == "wilson_clusters"
    assert est.ci == pytest.approx(stats.wilson_ci(0, 3))
    assert est.rate == 0.0


def test_linear_statistics_match_direct_values():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 50)
    p = rng.integers(0, 3, 50)
    assert stats.f1_statistic(y, p, 3).value() == pytest.approx(stats.f1_score(y, p, 3))
    conf = rng.random(50)
    ok = rng.random(50) < 0.5
    ece = stats.ece_statistic(conf, ok, 10)
    assert ece.value() == pytest.approx(stats.expected_calibration_error(conf, ok, 10))
    assert ece.minus(ece).value() == pytest.approx(0.0)
