"""Calibration Alignment (CA), per input: the student gives the teacher's class about the teacher's probability.

The per-input check is class-aware: it compares the two models' probabilities of the *same* class,
the one the teacher predicts, ``|p_S(ŷ_T) − p_T(ŷ_T)|``. Up to report schema 1.x it compared the two
maximum probabilities, ``|conf_S − conf_T|``, which is blind to the class: a teacher at (0.7, 0.3)
and a student at (0.3, 0.7) had a gap of 0. Where the two predictions agree both definitions give
the same number; where they differ the old one could only say "as sure of another class", so it
was not kept (docs/relations.md, "Calibration Alignment").

The set-level half of CA (expected calibration errors on labelled data) is the ``calibration``
section of the analysis (:mod:`metacompress_eval.relations.analysis`), with the settings
``ece_bins`` and ``ece_tolerance``.
"""

from __future__ import annotations

import numpy as np

from .base import EPS, Relation, Threshold

CONFIDENCE_TOLERANCE = Threshold("confidence_tolerance", 0.1,
                                 "CA (per input) is violated when |p_S(ŷ_T) − p_T(ŷ_T)| exceeds this",
                                 slider=(0.0, 1.0, 0.01), label="confidence tolerance")


def probability_gap(q) -> np.ndarray:
    """``|p_S(ŷ_T) − p_T(ŷ_T)|``: how far the student's probability of the teacher's class is from the teacher's."""
    rows = np.arange(q.y_t.size)
    return np.abs(q.student_probs[rows, q.y_t] - q.teacher_probs[rows, q.y_t])


CALIBRATION_ALIGNMENT = Relation(
    key="calibration_alignment",
    abbreviation="CA",
    title="Calibration Alignment",
    description="|p_S(ŷ_T) − p_T(ŷ_T)| ≤ {confidence_tolerance}: the student gives the teacher's class "
                "about the teacher's probability",
    violated=lambda q, th: probability_gap(q) > th.confidence_tolerance + EPS,
    thresholds=(CONFIDENCE_TOLERANCE,),
    rule="CA tolerates |p_S(ŷ_T) − p_T(ŷ_T)| ≤ {confidence_tolerance}",
    measure=probability_gap,
    measure_label="Δp(ŷ_T)",
    statistics=lambda gap: {"mean_abs_probability_gap": float(gap.mean()) if gap.size else None},
)
