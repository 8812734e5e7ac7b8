"""Metamorphic relations between a teacher and its distilled student, and their analysis.

* :mod:`.base` — the :class:`Relation` and :class:`Threshold` records;
* :mod:`.registry` — the registry every consumer reads, and :class:`Thresholds`;
* one module per relation: :mod:`.agreement` (PA), :mod:`.distribution` (PDS),
  :mod:`.confidence` (HCP), :mod:`.calibration` (CA), :mod:`.confidence_converse` (HCC);
* :mod:`.checks` — :class:`EvaluationOutputs` and the per-input checks;
* :mod:`.scopes`, :mod:`.flips`, :mod:`.analysis` — the ``analysis`` section of ``report.json``
  (:func:`is_attack`: adversarial examples, pooled apart from the headline scopes).

To add a relation: write its :class:`Relation` record in a module of its own, list it in
:data:`BUILT_IN` below, and document it in ``docs/relations.md``. The statistics themselves are
pure functions in :mod:`metacompress_eval.stats`.
"""

from .agreement import PREDICTION_AGREEMENT
from .analysis import analyze
from .base import EPS, Relation, Threshold
from .calibration import CALIBRATION_ALIGNMENT
from .checks import (
    EvaluationOutputs,
    PerInputChecks,
    check_comparison_inputs,
    check_probability_values,
    per_input_checks,
    probability_rows,
    validate_outputs,
)
from .confidence import HIGH_CONFIDENCE_PRESERVATION
from .confidence_converse import HIGH_CONFIDENCE_CONVERSE
from .distribution import PROBABILITY_DISTRIBUTION_SIMILARITY
from .flips import FLIP_CATEGORIES
from .registry import (
    ANALYSIS_SETTINGS,
    Thresholds,
    get_relation,
    list_relations,
    list_thresholds,
    register_relation,
    relation_keys,
    unregister_relation,
)
from .scopes import ATTACK_PREFIX, is_attack

#: The relations of the MetaCompress paper, then the converse of HCP, in report order.
BUILT_IN: tuple[Relation, ...] = (
    PREDICTION_AGREEMENT,
    PROBABILITY_DISTRIBUTION_SIMILARITY,
    HIGH_CONFIDENCE_PRESERVATION,
    CALIBRATION_ALIGNMENT,
    HIGH_CONFIDENCE_CONVERSE,
)
for _relation in BUILT_IN:
    register_relation(_relation)

__all__ = [
    "ANALYSIS_SETTINGS",
    "ATTACK_PREFIX",
    "BUILT_IN",
    "EPS",
    "EvaluationOutputs",
    "FLIP_CATEGORIES",
    "PerInputChecks",
    "Relation",
    "Threshold",
    "Thresholds",
    "analyze",
    "get_relation",
    "list_relations",
    "list_thresholds",
    "check_comparison_inputs",
    "check_probability_values",
    "is_attack",
    "per_input_checks",
    "probability_rows",
    "register_relation",
    "relation_keys",
    "unregister_relation",
    "validate_outputs",
]
