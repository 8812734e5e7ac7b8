"""High Confidence Preservation (HCP): where the teacher is confident, the student agrees and is confident too."""

from __future__ import annotations

from .base import EPS, Relation, Threshold

CONFIDENCE_TAU = Threshold("confidence_tau", 0.9,
                           "HCP applies where the teacher's confidence is at least this, and requires the student "
                           "to reach it too", "in (0, 1]", lambda v: 0.0 < v <= 1.0,
                           slider=(0.5, 1.0, 0.01), label="confidence τ")

HIGH_CONFIDENCE_PRESERVATION = Relation(
    key="high_confidence_preservation",
    abbreviation="HCP",
    title="High Confidence Preservation",
    description="where the teacher's confidence is ≥ {confidence_tau}, the student predicts the same class "
                "with confidence ≥ {confidence_tau}",
    violated=lambda q, th: (q.y_s != q.y_t) | (q.conf_s < th.confidence_tau - EPS),
    # Only inputs the teacher is confident about constrain the student.
    applies=lambda q, th: q.conf_t >= th.confidence_tau - EPS,
    thresholds=(CONFIDENCE_TAU,),
    rule="HCP applies where teacher confidence ≥ {confidence_tau}",
    scope_note="HCP's N counts teacher-confident inputs only.",
    not_applicable="teacher not confident",
    worst=True,
)
