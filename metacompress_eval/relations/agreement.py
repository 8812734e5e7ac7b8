"""Prediction Agreement (PA): the student predicts the same class as the teacher."""

from __future__ import annotations

from .base import Relation

PREDICTION_AGREEMENT = Relation(
    key="prediction_agreement",
    abbreviation="PA",
    title="Prediction Agreement",
    description="the student predicts the same class as the teacher",
    # argmax takes the first maximum on ties, for both models alike (see per_input_checks).
    violated=lambda q, th: q.y_s != q.y_t,
    worst=True,
)
