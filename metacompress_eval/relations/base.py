"""The two records a relation is made of: :class:`Threshold` (a setting it reads) and :class:`Relation`.

A relation is a value, not a branch in the analysis (CheckList's expectations are the model): it
names itself (key, abbreviation, title), says in words what holding means, lists the thresholds it
reads, and supplies two functions over the per-input quantities of
:class:`~metacompress_eval.relations.checks.PerInputChecks`:

* ``violated(q, th)`` — a boolean array, one entry per evaluated input;
* ``applies(q, th)`` — a boolean array saying where the relation applies at all, or the function is
  left out (``None``) when it applies to every input. Where it does not apply the per-input verdict
  is ``None`` ("does not apply"), and the input is left out of the relation's denominator.

Everything else — ``report.json``, ``report.md``, the model-card section, the Space, the CLI's
threshold options and the ``evaluate`` module — reads the registry
(:mod:`metacompress_eval.relations.registry`), so adding a relation is one record plus its
documentation in ``docs/relations.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .checks import PerInputChecks
    from .registry import Thresholds

# Probabilities arrive as float32 softmax outputs; comparing them with thresholds such as 0.9
# or differences such as 0.1 must not hinge on the last bit (0.8 - 0.7 > 0.1 in binary floating
# point). Values within this distance of a threshold count as equal to it.
EPS = 1e-12


def in_unit_interval(value: Any) -> bool:
    """``0 ≤ value ≤ 1``."""
    return 0.0 <= value <= 1.0


@dataclass(frozen=True)
class Threshold:
    """One configurable setting of the relations (a field of :class:`~.registry.Thresholds`).

    Attributes:
        name: the field name (``jsd_max``); the CLI option is ``--jsd-max``.
        default: the default value; its type (``int`` or ``float``) is the option's type.
        help: one line for the CLI and the docs.
        requirement: what a valid value is, completing "NAME must be ..." (``in [0, 1]``).
        valid: the check behind ``requirement``.
        slider: ``(minimum, maximum, step)`` of the Space's slider, or ``None`` for no slider.
        label: the slider's short label (``JSD max``).
    """

    name: str
    default: int | float
    help: str
    requirement: str = "in [0, 1]"
    valid: Callable[[Any], bool] = in_unit_interval
    slider: tuple[float, float, float] | None = None
    label: str = ""

    @property
    def kind(self) -> type:
        """``int`` or ``float``: how the CLI parses the option."""
        return int if isinstance(self.default, int) and not isinstance(self.default, bool) else float


Verdicts = Callable[["PerInputChecks", "Thresholds"], np.ndarray]


@dataclass(frozen=True)
class Relation:
    """A metamorphic relation between the teacher's and the student's outputs on one input.

    Attributes:
        key: the key in ``report.json`` (``prediction_agreement``).
        abbreviation: short name in tables and plots (``PA``).
        title: the one title used everywhere (report, card, Space): ``Prediction Agreement``.
        description: what holding means, for people; ``{threshold_name}`` placeholders are filled
            with the thresholds in force (the Space's legend, the docs).
        violated: per-input violation function (see the module docstring).
        applies: per-input eligibility function, or ``None`` when the relation applies to every input.
        thresholds: the thresholds ``violated``/``applies`` read, in the order they are shown.
        rule: the sentence of ``report.md``'s threshold line, with placeholders (``JSD > {jsd_max}
            violates PDS``); empty for a relation without thresholds.
        scope_note: a sentence for ``report.md`` about the denominator, for relations with ``applies``.
        not_applicable: why the relation does not apply to an input (the Space's "n/a" tooltip).
        measure: the per-input quantity the verdict is read from (shown next to it in the Space),
            or ``None``.
        measure_label: how the Space labels ``measure`` (``JSD``).
        statistics: extra figures of a scope for ``report.json``, from the measure of its rows
            (``{"mean_jsd": ..., "median_jsd": ...}``), or ``None``.
        worst: whether a violation puts an input on the worst-discrepancies list.
    """

    key: str
    abbreviation: str
    title: str
    description: str
    violated: Verdicts
    applies: Verdicts | None = None
    thresholds: tuple[Threshold, ...] = ()
    rule: str = ""
    scope_note: str = ""
    not_applicable: str = "does not apply"
    measure: Callable[["PerInputChecks"], np.ndarray] | None = None
    measure_label: str = ""
    statistics: Callable[[np.ndarray], dict[str, Any]] | None = None
    worst: bool = False

    def describe(self, thresholds: Mapping[str, Any]) -> str:
        """:attr:`description` with the threshold values filled in."""
        return self.description.format_map(thresholds)

    def rule_text(self, thresholds: Mapping[str, Any]) -> str:
        """:attr:`rule` with the threshold values filled in ('' when there is none)."""
        return self.rule.format_map(thresholds)
