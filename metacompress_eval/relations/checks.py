"""Both models' outputs on every evaluated input, their validation, and the per-input checks.

:func:`per_input_checks` computes once what every relation reads (predictions, confidences, JSD,
KL, the source row of each follow-up) and then each registered relation's per-input verdicts. The
analysis aggregates them; the Space shows them input by input.
"""

from __future__ import annotations

import numbers
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


def check_probability_values(probs: np.ndarray, name: str, rows: np.ndarray | None = None) -> None:
    """Raise :class:`MetaCompressError` unless every value of ``probs`` (``[N, C]``) is a probability
    (finite, in [0, 1]) and every row sums to 1 within ``_SUM_TOLERANCE``; the message names the
    first bad row (its number in ``rows`` when given, the original row numbers of a subset).

    The range is checked before any sum, so huge values (1e308) give this message, not an overflow warning.
    """
    probs = np.asarray(probs)
    if not np.issubdtype(probs.dtype, np.number) or np.issubdtype(probs.dtype, np.complexfloating):
        raise MetaCompressError(f"{name} probabilities must be real numbers, got {probs.dtype} values")
    number = (lambda i: int(rows[i])) if rows is not None else int
    finite = np.isfinite(probs)
    if not finite.all():
        i = int(np.flatnonzero(~finite.all(axis=1))[0])
        raise MetaCompressError(f"{name} probabilities contain negative or non-finite values "
                                f"(row {number(i)}: {_row_text(probs[i])})")
    outside = (probs < 0) | (probs > 1 + _SUM_TOLERANCE)
    if outside.any():
        i = int(np.flatnonzero(outside.any(axis=1))[0])
        kind = "negative" if (probs[i] < 0).any() else "above 1"
        raise MetaCompressError(f"{name} probabilities must lie in [0, 1] and each row sum to 1; row {number(i)} has "
                                f"values {kind} ({_row_text(probs[i])}): were logits passed instead of "
                                "probabilities? (apply a softmax first)")
    if not len(probs):
        return
    off = np.abs(probs.sum(axis=1, dtype=np.float64) - 1.0)
    worst = float(off.max())
    if worst > _SUM_TOLERANCE:
        i = int(np.argmax(off > _SUM_TOLERANCE))
        raise MetaCompressError(
            f"{name} probability rows must sum to 1 (off by up to {worst:.3g}; row {number(i)}: "
            f"{_row_text(probs[i])}); were logits passed instead of probabilities?"
        )


def _row_text(row: np.ndarray, shown: int = 4) -> str:
    values = ", ".join(f"{v:.6g}" for v in row[:shown].tolist())
    return f"[{values}{', ...' if len(row) > shown else ''}]"


def probability_rows(values, name: str) -> np.ndarray:
    """``values`` (rows of class probabilities as given by a caller: lists, tuples, an array) as a
    checked ``[N, C]`` float64 array.

    Raises :class:`MetaCompressError` naming the first problem: rows of different lengths, fewer
    than two classes, values that are not numbers, not finite or outside [0, 1], rows that do not
    sum to 1 within 1e-3. Nothing is renormalised or softmaxed: logits are refused, not guessed at.
    """
    if isinstance(values, np.ndarray) and values.dtype != object:
        array = values
    else:
        try:
            rows = list(values)
        except TypeError:
            raise MetaCompressError(f"{name} must be a list of rows of class probabilities") from None
        lengths = []
        for i, row in enumerate(rows):
            if isinstance(row, (str, bytes)) or not hasattr(row, "__len__"):
                raise MetaCompressError(f"{name} row {i} is not a list of class probabilities: {str(row)[:60]!r}")
            lengths.append(len(row))
        if len(set(lengths)) > 1:
            i = next(i for i, k in enumerate(lengths) if k != lengths[0])
            raise MetaCompressError(f"{name} rows differ in length: row 0 has {lengths[0]} values, row {i} has "
                                    f"{lengths[i]}; every row needs one probability per class")
        for i, row in enumerate(rows):
            if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in row):
                raise MetaCompressError(f"{name} row {i} holds values that are not numbers: {str(row)[:80]}")
        array = np.array(rows, dtype=np.float64) if rows else np.zeros((0, 0))
    if array.ndim != 2:
        raise MetaCompressError(f"{name} must be a table of rows of class probabilities, got shape {array.shape}")
    if len(array) and array.shape[1] < 2:
        raise MetaCompressError(f"{name} rows have {array.shape[1]} value(s); a classifier needs at least two classes")
    check_probability_values(array, name)
    return np.asarray(array, dtype=np.float64)


def check_comparison_inputs(teacher_probs=None, student_probs=None, references=None, label_names=None) -> None:
    """Check the arguments of the ``metacompress`` comparison as the caller gave them (``None``: not given).

    Run before anything converts them: ``datasets`` would turn ``"0.9"`` into 0.9 and ``True`` into 1.0
    without a word, and fail on ``"a"`` with ``int()``'s message. Raises :class:`MetaCompressError`
    naming the argument: no rows, probabilities that are not numbers (strings and booleans included),
    the two tables of different shapes, references that are not whole class indices or not one per
    row, label names that are not strings, repeat one another or do not match the classes.
    """
    teacher = None if teacher_probs is None else probability_rows(teacher_probs, "teacher_probs")
    student = None if student_probs is None else probability_rows(student_probs, "student_probs")
    if (teacher is not None and not len(teacher)) or (student is not None and not len(student)):
        raise MetaCompressError("no rows: teacher_probs and student_probs need one row of class probabilities "
                                "per input")
    if teacher is not None and student is not None and student.shape != teacher.shape:
        raise MetaCompressError(f"student_probs has shape {student.shape} but teacher_probs {teacher.shape}: "
                                "both models need one row per input and the same classes")
    n_rows, n_classes = teacher.shape if teacher is not None else (None, None)
    if references is not None:
        if isinstance(references, (str, bytes)) or not hasattr(references, "__len__"):
            raise MetaCompressError("references must be a list with one class index per row (-1: unlabelled)")
        bad = next((i for i, v in enumerate(references)
                    if not isinstance(v, numbers.Integral) or isinstance(v, (bool, np.bool_))), None)
        if bad is not None:
            raise MetaCompressError(f"references must be whole class indices (-1: unlabelled), one per row: row "
                                    f"{bad} is {str(references[bad])[:40]!r} ({type(references[bad]).__name__})")
        if n_rows is not None and len(references) != n_rows:
            raise MetaCompressError(f"references has {len(references)} values but there are {n_rows} rows")
    if label_names is not None:
        if isinstance(label_names, (str, bytes)) or not hasattr(label_names, "__len__"):
            raise MetaCompressError("label_names must be a list of class names, one per class")
        names = list(label_names)
        if not all(isinstance(n, str) and n.strip() for n in names):
            raise MetaCompressError("label_names must be non-empty strings, one per class")
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise MetaCompressError(f"label_names repeats {', '.join(map(repr, repeated[:3]))}: every class needs "
                                    "a name of its own")
        if n_classes is not None and len(names) != n_classes:
            raise MetaCompressError(f"label_names has {len(names)} names but the probability rows have "
                                    f"{n_classes} classes")


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
        rows = np.flatnonzero(outputs.available(name))
        check_probability_values(probs[rows], name, rows)
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
