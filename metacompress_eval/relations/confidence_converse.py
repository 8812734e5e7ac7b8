"""High Confidence Converse (HCC): where the student is confident, the teacher agrees and is confident too.

The converse of High Confidence Preservation (:mod:`.confidence`). HCP only constrains the inputs
the teacher is sure about, so it never flags the over-confidence typical of distilled students: a
student that is sure where the teacher hesitates, or sure of another class. HCC applies where the
student's confidence reaches τ and is violated when the teacher predicts another class or stays
below τ. Both relations read the same ``confidence_tau``.
"""

from __future__ import annotations

from .base import EPS, Relation
from .confidence import CONFIDENCE_TAU

HIGH_CONFIDENCE_CONVERSE = Relation(
    key="high_confidence_converse",
    abbreviation="HCC",
    title="High Confidence Converse",
    description="where the student's confidence is ≥ {confidence_tau}, the teacher predicts the same class "
                "with confidence ≥ {confidence_tau} (no student over-confidence)",
    violated=lambda q, th: (q.y_s != q.y_t) | (q.conf_t < th.confidence_tau - EPS),
    # Only inputs the student is confident about can show its over-confidence.
    applies=lambda q, th: q.conf_s >= th.confidence_tau - EPS,
    thresholds=(CONFIDENCE_TAU,),
    rule="HCC applies where student confidence ≥ {confidence_tau}",
    scope_note="HCC's N counts student-confident inputs only.",
    not_applicable="student not confident",
)
