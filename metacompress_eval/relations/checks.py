"""Both models' outputs on every evaluated input, their validation, and the per-input checks.

:func:`per_input_checks` computes once what every relation reads (predictions, confidences, JSD,
KL, the source row of each follow-up) and then each registered relation's per-input verdicts. The
analysis aggregates them; the Space shows them input by input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import stats
from ..errors import MetaCompressError
from .registry import Thresholds, list_relations

# Row sums further than this from 1 mean the caller passed logits or garbage, not probabilities.
_SUM_TOLERANCE = 1e-3


@dataclass
class EvaluationOutputs:
    """Both models' outputs on every evaluated input (sources and follow-ups).

    Attributes:
        source_ids: per row, the id of its source input; a source row and its follow-ups share it.
        transformations: per row, ``None`` for the source itself, else the transformation name.
        labels: integer gold label per row (equal for a source and its follow-ups), or ``None``
            when the data are unlabelled.
        teacher_probs: ``[N, C]`` teacher class probabilities (rows sum to 1).
        student_probs: ``[N, C]`` student class probabilities.
        label_names: the ``C`` class names; index 1 is the positive class of a binary task.
        teacher_available / student_available: per row, whether that model has an output there
            (``None``: on every row). A model read from stored outputs has none on inputs the file
            does not hold (follow-ups, when only the sources were scored); those rows of its
            probabilities may be NaN, and every figure that needs its output is computed on the rows
            that have it (``docs/relations.md``, *Partial outputs*).
    """

    source_ids: list[str]
    transformations: list[str | None]
    labels: np.ndarray | None
    teacher_probs: np.ndarray
    student_probs: np.ndarray
    label_names: list[str]
    teacher_available: np.ndarray | None = None
    student_available: np.ndarray | None = None

    def available(self, model: str) -> np.ndarray:
        """Rows where ``model`` (``teacher`` / ``student``) has an output."""
        given = self.teacher_available if model == "teacher" else self.student_available
        n = len(self.source_ids)
        return np.ones(n, dtype=bool) if given is None else np.asarray(given, dtype=bool)

    @property
    def partial(self) -> bool:
        """Whether some model lacks outputs on some rows."""
        return not (self.available("teacher").all() and self.available("student").all())


def validate_outputs(outputs: EvaluationOutputs) -> None:
    """Check shapes, probabilities, labels and the source/follow-up pairing.

    Raises :class:`MetaCompressError` with a message naming the first problem found.
    """
    n = len(outputs.source_ids)
    if n == 0:
        raise MetaCompressError("nothing to analyse: the evaluation has no inputs")
    if len(outputs.transformations) != n:
        raise MetaCompressError(
            f"{len(outputs.transformations)} transformation entries for {n} inputs"
        )
    c = len(outputs.label_names)
    if c < 2:
        raise MetaCompressError("a classifier needs at least two label names")
    for name, probs in (("teacher", outputs.teacher_probs), ("student", outputs.student_probs)):
        probs = np.asarray(probs)
        if probs.shape != (n, c):
            raise MetaCompressError(
                f"{name} probabilities have shape {probs.shape}, expected ({n}, {c})"
            )
        given = getattr(outputs, f"{name}_available")
        if given is not None and np.asarray(given).shape != (n,):
            raise MetaCompressError(f"{name} availability has shape {np.asarray(given).shape}, expected ({n},)")
        probs = probs[outputs.available(name)]
        if not np.all(np.isfinite(probs)) or np.any(probs < 0):
            raise MetaCompressError(f"{name} probabilities contain negative or non-finite values")
        worst = float(np.max(np.abs(probs.sum(axis=1) - 1.0))) if len(probs) else 0.0
        if worst > _SUM_TOLERANCE:
            raise MetaCompressError(
                f"{name} probability rows must sum to 1 (off by up to {worst:.3g}); "
                "were logits passed instead of probabilities?"
            )
    if outputs.labels is not None:
        labels = np.asarray(outputs.labels)
        if labels.shape != (n,):
            raise MetaCompressError(f"labels have shape {labels.shape}, expected ({n},)")
        if labels.size and (
            not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= c
        ):
            raise MetaCompressError(f"labels must be integers in [0, {c - 1}]")

    source_row: dict[str, int] = {}
    for i, (sid, t) in enumerate(zip(outputs.source_ids, outputs.transformations)):
        if t is None:
            if sid in source_row:
                raise MetaCompressError(f"source id {sid!r} has more than one source row")
            source_row[sid] = i
    for i, (sid, t) in enumerate(zip(outputs.source_ids, outputs.transformations)):
        if t is None:
            continue
        if sid not in source_row:
            raise MetaCompressError(f"follow-up row {i} ({t}) has no source row with id {sid!r}")
        if outputs.labels is not None and outputs.labels[i] != outputs.labels[source_row[sid]]:
            raise MetaCompressError(
                f"follow-up row {i} ({t}) has a different label from its source {sid!r}"
            )


@dataclass
class PerInputChecks:
    """Per-row quantities shared by all relations, and every relation's per-row verdicts.

    The quantities (``teacher_probs`` … ``is_source``) are what a relation's ``violated`` and
    ``applies`` functions read. ``violations[key]`` is true where relation ``key`` applies and is
    violated; ``applies[key]`` is ``None`` for a relation that applies to every input.
    """

    teacher_probs: np.ndarray
    student_probs: np.ndarray
    y_t: np.ndarray
    y_s: np.ndarray
    conf_t: np.ndarray
    conf_s: np.ndarray
    jsd: np.ndarray
    kl: np.ndarray  # KL(teacher ‖ student) in bits
    kl_floored: np.ndarray  # where kl read a student probability as stats.KL_FLOOR
    source_ids: list[str]
    transformations: list[str | None]
    labels: np.ndarray | None
    source_index: np.ndarray  # row of each row's source (itself for sources)
    is_source: np.ndarray
    violations: dict[str, np.ndarray] = field(default_factory=dict)
    applies: dict[str, np.ndarray | None] = field(default_factory=dict)
    measures: dict[str, np.ndarray] = field(default_factory=dict)  # of the relations that have one
    # Rows where each model has an output (None: every row). Elsewhere its probabilities are a uniform
    # placeholder and no relation applies.
    available_t: np.ndarray | None = None
    available_s: np.ndarray | None = None

    def available(self, model: str) -> np.ndarray:
        """Rows where ``model`` (``teacher`` / ``student``) has an output."""
        given = self.available_t if model == "teacher" else self.available_s
        return np.ones(len(self.source_ids), dtype=bool) if given is None else given

    @property
    def partial(self) -> bool:
        return self.available_t is not None or self.available_s is not None

    def verdict(self, key: str, row: int) -> bool | None:
        """Relation ``key`` on ``row``: violated (``True``), holds (``False``) or does not apply (``None``)."""
        where = self.applies[key]
        if where is not None and not where[row]:
            return None
        return bool(self.violations[key][row])


def per_input_checks(outputs: EvaluationOutputs, th: Thresholds) -> PerInputChecks:
    """Each input's predictions, confidences, JSD, KL(teacher ‖ student) and every registered relation's verdict.

    Used by :func:`~metacompress_eval.relations.analysis.analyze` and by the Space's probe.
    """
    pt = np.asarray(outputs.teacher_probs, dtype=np.float64)
    ps = np.asarray(outputs.student_probs, dtype=np.float64)
    partial = outputs.partial
    avail_t, avail_s = outputs.available("teacher"), outputs.available("student")
    if partial:  # placeholders where a model has no output, so the arithmetic below stays finite
        uniform = 1.0 / pt.shape[1]
        pt = np.where(avail_t[:, None], pt, uniform)
        ps = np.where(avail_s[:, None], ps, uniform)
    # Renormalise away float32 rounding so the confidences and the JSD see true distributions.
    pt = pt / pt.sum(axis=1, keepdims=True)
    ps = ps / ps.sum(axis=1, keepdims=True)
    # argmax takes the first maximum on ties, for both models alike.
    y_t, y_s = pt.argmax(axis=1), ps.argmax(axis=1)
    conf_t, conf_s = pt.max(axis=1), ps.max(axis=1)
    jsd = stats.jensen_shannon_divergence(pt, ps)
    kl, kl_floored = stats.kl_divergence(pt, ps), stats.kl_floor_hits(pt, ps)
    is_source = np.array([t is None for t in outputs.transformations], dtype=bool)
    row_of = {sid: i for i, (sid, src) in enumerate(zip(outputs.source_ids, is_source)) if src}
    source_index = np.array([row_of[sid] for sid in outputs.source_ids], dtype=np.int64)
    labels = None if outputs.labels is None else np.asarray(outputs.labels, dtype=np.int64)
    checks = PerInputChecks(pt, ps, y_t, y_s, conf_t, conf_s, jsd, kl, kl_floored, list(outputs.source_ids),
                            list(outputs.transformations), labels, source_index, is_source)
    if partial:
        checks.available_t, checks.available_s = avail_t, avail_s
    both = avail_t & avail_s
    for relation in list_relations():
        violated = np.asarray(relation.violated(checks, th), dtype=bool)
        applies = None if relation.applies is None else np.asarray(relation.applies(checks, th), dtype=bool)
        if partial:  # a relation compares both models' outputs: it applies only where both exist
            applies = both if applies is None else applies & both
        checks.applies[relation.key] = applies
        checks.violations[relation.key] = violated if applies is None else applies & violated
        if relation.measure is not None:
            checks.measures[relation.key] = np.asarray(relation.measure(checks), dtype=np.float64)
    return checks
