"""Internal representations of teacher and student: linear CKA between their layers, and representation shift.

* :mod:`.store` — per-layer sequence representations (first token, mean over tokens) of the evaluated
  inputs, from each model adapter's ``hidden_states``, cached like model outputs;
* :mod:`.cka` — linear CKA and its bootstrap over inputs;
* :mod:`.shift` — ``1 − cos`` between a source's and its follow-up's final-layer representation;
* :mod:`.analysis` — the ``representations`` section of ``report.json``.

Definitions and the report fields: ``docs/representations.md``.
"""

from .analysis import (RepresentationResult, RepresentationSettings, analyze_representations, rows_to_collect,
                       sample_sources)
from .cka import cka_matrix, linear_cka
from .shift import between_source_scale, cosine_shift
from .store import POOLINGS, RepresentationCache, RepresentationStore, collect

__all__ = [
    "POOLINGS",
    "RepresentationCache",
    "RepresentationResult",
    "RepresentationSettings",
    "RepresentationStore",
    "analyze_representations",
    "between_source_scale",
    "cka_matrix",
    "collect",
    "cosine_shift",
    "linear_cka",
    "rows_to_collect",
    "sample_sources",
]
