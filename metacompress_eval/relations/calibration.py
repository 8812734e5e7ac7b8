"""Calibration Alignment (CA), per input: the two models are about equally confident.

The set-level half of CA (expected calibration errors on labelled data) is the ``calibration``
section of the analysis (:mod:`metacompress_eval.relations.analysis`), with the settings
``ece_bins`` and ``ece_tolerance``.
"""

from __future__ import annotations

import numpy as np

from .base import EPS, Relation, Threshold

CONFIDENCE_TOLERANCE = Threshold("confidence_tolerance", 0.1,
                                 "CA (per input) is violated when |conf_S − conf_T| exceeds this",
                                 slider=(0.0, 1.0, 0.01), label="confidence tolerance")


def _confidence_gap(q) -> np.ndarray:
    return np.abs(q.conf_s - q.conf_t)


CALIBRATION_ALIGNMENT = Relation(
    key="calibration_alignment",
    abbreviation="CA",
    title="Calibration Alignment",
    description="|conf_S − conf_T| ≤ {confidence_tolerance}",
    violated=lambda q, th: _confidence_gap(q) > th.confidence_tolerance + EPS,
    thresholds=(CONFIDENCE_TOLERANCE,),
    rule="CA tolerates |Δconfidence| ≤ {confidence_tolerance}",
    measure=_confidence_gap,
    measure_label="Δconf",
    statistics=lambda gap: {"mean_abs_confidence_gap": float(gap.mean()) if gap.size else None},
)
