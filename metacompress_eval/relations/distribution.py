"""Probability Distribution Similarity (PDS): the two class distributions are close in Jensen–Shannon divergence."""

from __future__ import annotations

import numpy as np

from .base import EPS, Relation, Threshold

JSD_MAX = Threshold("jsd_max", 0.05, "PDS is violated when JSD(p_T, p_S) (bits, in [0, 1]) exceeds this",
                    slider=(0.0, 1.0, 0.01), label="JSD max")


def _statistics(jsd: np.ndarray) -> dict:
    # The typical size of a disagreement, independently of the threshold.
    return {"mean_jsd": float(jsd.mean()) if jsd.size else None,
            "median_jsd": float(np.median(jsd)) if jsd.size else None}


PROBABILITY_DISTRIBUTION_SIMILARITY = Relation(
    key="probability_distribution_similarity",
    abbreviation="PDS",
    title="Probability Distribution Similarity",
    description="JSD(p_T, p_S) ≤ {jsd_max} bits",
    violated=lambda q, th: q.jsd > th.jsd_max + EPS,
    thresholds=(JSD_MAX,),
    rule="JSD > {jsd_max} violates PDS",
    measure=lambda q: q.jsd,
    measure_label="JSD",
    statistics=_statistics,
)
