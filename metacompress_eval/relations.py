"""Metamorphic relations between a teacher and its distilled student, and their analysis.

The pipeline hands over an :class:`EvaluationOutputs` (both models' class probabilities on every
source input and on every follow-up produced by a semantics-preserving transformation);
:func:`analyze` turns it into the JSON-serialisable ``analysis`` section of ``report.json``.
Definitions, formulas and every output field are documented in ``docs/relations.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from . import stats
from .errors import MetaCompressError

#: Relation keys, in report order.
RELATIONS: tuple[str, ...] = (
    "prediction_agreement",
    "probability_distribution_similarity",
    "high_confidence_preservation",
    "calibration_alignment",
)
#: Short names used in tables and plots.
RELATION_ABBREVIATIONS: dict[str, str] = {
    "prediction_agreement": "PA",
    "probability_distribution_similarity": "PDS",
    "high_confidence_preservation": "HCP",
    "calibration_alignment": "CA",
}
#: Flip breakdown categories (source outcome → follow-up outcome), in report order.
FLIP_CATEGORIES: tuple[str, ...] = (
    "correct_to_correct",
    "correct_to_wrong",
    "wrong_to_correct",
    "wrong_to_same_wrong",
    "wrong_to_different_wrong",
)

# Probabilities arrive as float32 softmax outputs; comparing them with thresholds such as 0.9
# or differences such as 0.1 must not hinge on the last bit (0.8 - 0.7 > 0.1 in binary floating
# point). Values within this distance of a threshold count as equal to it.
_EPS = 1e-12
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
    """

    source_ids: list[str]
    transformations: list[str | None]
    labels: np.ndarray | None
    teacher_probs: np.ndarray
    student_probs: np.ndarray
    label_names: list[str]


@dataclass(frozen=True)
class Thresholds:
    """Thresholds and settings of the relations; defaults are justified in ``docs/relations.md``.

    Attributes:
        jsd_max: PDS is violated when JSD(p_T, p_S) (bits, in [0, 1]) exceeds this.
        confidence_tau: HCP applies where the teacher's confidence is at least this, and requires
            the student to reach it too.
        confidence_tolerance: CA (per input) is violated when |conf_S − conf_T| exceeds this.
        ece_bins: number of equal-width confidence bins for the expected calibration error.
        ece_tolerance: the two models are calibration-aligned when |ECE_S − ECE_T| ≤ this.
        bootstrap_resamples: resamples for every bootstrap interval.
    """

    jsd_max: float = 0.05
    confidence_tau: float = 0.9
    confidence_tolerance: float = 0.1
    ece_bins: int = 10
    ece_tolerance: float = 0.05
    bootstrap_resamples: int = 2000

    def __post_init__(self) -> None:
        checks = [
            (0.0 <= self.jsd_max <= 1.0, "jsd_max must be in [0, 1]"),
            (0.0 < self.confidence_tau <= 1.0, "confidence_tau must be in (0, 1]"),
            (0.0 <= self.confidence_tolerance <= 1.0, "confidence_tolerance must be in [0, 1]"),
            (int(self.ece_bins) == self.ece_bins and self.ece_bins >= 1, "ece_bins must be a positive integer"),
            (0.0 <= self.ece_tolerance <= 1.0, "ece_tolerance must be in [0, 1]"),
            (
                int(self.bootstrap_resamples) == self.bootstrap_resamples and self.bootstrap_resamples >= 100,
                "bootstrap_resamples must be an integer >= 100",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise MetaCompressError(f"invalid threshold: {message}")


# --------------------------------------------------------------------------------------------
# Validation and per-input quantities
# --------------------------------------------------------------------------------------------


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
        if not np.all(np.isfinite(probs)) or np.any(probs < 0):
            raise MetaCompressError(f"{name} probabilities contain negative or non-finite values")
        worst = float(np.max(np.abs(probs.sum(axis=1) - 1.0)))
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
    """Per-row quantities shared by all relations (computed once)."""

    teacher_probs: np.ndarray
    student_probs: np.ndarray
    y_t: np.ndarray
    y_s: np.ndarray
    conf_t: np.ndarray
    conf_s: np.ndarray
    jsd: np.ndarray
    violations: dict[str, np.ndarray]
    hcp_eligible: np.ndarray
    source_ids: list[str]
    transformations: list[str | None]
    labels: np.ndarray | None
    source_index: np.ndarray  # row of each row's source (itself for sources)
    is_source: np.ndarray


def per_input_checks(outputs: EvaluationOutputs, th: Thresholds) -> PerInputChecks:
    """Each input's predictions, confidences, JSD and relation verdicts (used by :func:`analyze` and the Space)."""
    pt = np.asarray(outputs.teacher_probs, dtype=np.float64)
    ps = np.asarray(outputs.student_probs, dtype=np.float64)
    # Renormalise away float32 rounding so the confidences and the JSD see true distributions.
    pt = pt / pt.sum(axis=1, keepdims=True)
    ps = ps / ps.sum(axis=1, keepdims=True)
    # argmax takes the first maximum on ties, for both models alike.
    y_t, y_s = pt.argmax(axis=1), ps.argmax(axis=1)
    conf_t, conf_s = pt.max(axis=1), ps.max(axis=1)
    jsd = stats.jensen_shannon_divergence(pt, ps)

    disagree = y_s != y_t
    eligible = conf_t >= th.confidence_tau - _EPS
    violations = {
        "prediction_agreement": disagree,
        "probability_distribution_similarity": jsd > th.jsd_max + _EPS,
        "high_confidence_preservation": eligible & (disagree | (conf_s < th.confidence_tau - _EPS)),
        "calibration_alignment": np.abs(conf_s - conf_t) > th.confidence_tolerance + _EPS,
    }
    is_source = np.array([t is None for t in outputs.transformations], dtype=bool)
    row_of = {sid: i for i, (sid, src) in enumerate(zip(outputs.source_ids, is_source)) if src}
    source_index = np.array([row_of[sid] for sid in outputs.source_ids], dtype=np.int64)
    labels = None if outputs.labels is None else np.asarray(outputs.labels, dtype=np.int64)
    return PerInputChecks(
        pt, ps, y_t, y_s, conf_t, conf_s, jsd, violations, eligible,
        list(outputs.source_ids), list(outputs.transformations), labels, source_index, is_source,
    )


# --------------------------------------------------------------------------------------------
# Scopes: which rows, and whether they are independent
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    rows: np.ndarray  # row indices
    clusters: list[str] | None  # source id per row when rows may share a source, else None


def _scopes(pi: PerInputChecks) -> tuple[dict[str, _Scope], dict[str, _Scope]]:
    """The pooled scopes (overall/sources/follow_ups) and one scope per transformation.

    A transformation scope is treated as independent (Wilson) when each source contributes at
    most one of its rows — the normal case. Should a pipeline emit several follow-ups of one
    source under the same transformation name, that scope falls back to the cluster bootstrap.
    """
    n = len(pi.source_ids)
    all_rows = np.arange(n)
    fu_rows = all_rows[~pi.is_source]

    def scope(rows: np.ndarray, force_clusters: bool) -> _Scope:
        ids = [pi.source_ids[i] for i in rows]
        clustered = force_clusters or len(set(ids)) < len(ids)
        return _Scope(rows, ids if clustered else None)

    pooled = {
        "overall": scope(all_rows, True),
        "sources": scope(all_rows[pi.is_source], False),
        "follow_ups": scope(fu_rows, True),
    }
    names = sorted({t for t in pi.transformations if t is not None})
    t_arr = np.array([t if t is not None else "" for t in pi.transformations], dtype=object)
    per_t = {name: scope(fu_rows[t_arr[fu_rows] == name], False) for name in names}
    return pooled, per_t


def _rate_entry(events: np.ndarray, scope_clusters: list[str] | None, numerator_key: str,
                th: Thresholds, seed: int) -> dict[str, Any]:
    if scope_clusters is None:
        est = stats.independent_rate(events)
    else:
        est = stats.clustered_rate(events, scope_clusters, th.bootstrap_resamples, seed)
    return {
        numerator_key: est.k,
        "n": est.n,
        "rate": est.rate,
        "ci95": list(est.ci) if est.ci is not None else None,
        "ci_method": est.method,
    }


def _stat_ci(statistic: stats.LinearStatistic, clusters: list[str] | None, th: Thresholds, seed: int):
    ci = stats.bootstrap_ci(statistic, clusters, th.bootstrap_resamples, seed)
    method = "cluster_bootstrap" if clusters is not None else "bootstrap"
    return (list(ci) if ci is not None else None), method


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def _relations_for(pi: PerInputChecks, sc: _Scope, th: Thresholds, seed: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    rows = sc.rows
    for rel in RELATIONS:
        if rel == "high_confidence_preservation":
            # HCP's denominator is the teacher-confident inputs only.
            keep = pi.hcp_eligible[rows]
            sub_rows = rows[keep]
            clusters = None if sc.clusters is None else [c for c, k in zip(sc.clusters, keep) if k]
            entry = _rate_entry(pi.violations[rel][sub_rows], clusters, "violations", th, seed)
        else:
            entry = _rate_entry(pi.violations[rel][rows], sc.clusters, "violations", th, seed)
        if rel == "probability_distribution_similarity":
            jsd = pi.jsd[rows]
            entry["mean_jsd"] = float(jsd.mean()) if jsd.size else None
            entry["median_jsd"] = float(np.median(jsd)) if jsd.size else None
        if rel == "calibration_alignment":
            gap = np.abs(pi.conf_s[rows] - pi.conf_t[rows])
            entry["mean_abs_confidence_gap"] = float(gap.mean()) if gap.size else None
        out[rel] = entry
    return out


def _flip_entry(pi: PerInputChecks, pred: np.ndarray, sc: _Scope, th: Thresholds, seed: int) -> dict[str, Any]:
    rows = sc.rows
    src = pi.source_index[rows]
    flips = pred[rows] != pred[src]
    entry = _rate_entry(flips, sc.clusters, "flips", th, seed)
    if pi.labels is None:
        entry["breakdown"] = None
        return entry
    gold = pi.labels[rows]
    ok_src, ok_fu = pred[src] == gold, pred[rows] == gold
    entry["breakdown"] = {
        "correct_to_correct": int(np.sum(ok_src & ok_fu)),
        "correct_to_wrong": int(np.sum(ok_src & ~ok_fu)),
        "wrong_to_correct": int(np.sum(~ok_src & ok_fu)),
        "wrong_to_same_wrong": int(np.sum(~ok_src & ~ok_fu & ~flips)),
        "wrong_to_different_wrong": int(np.sum(~ok_src & ~ok_fu & flips)),
    }
    return entry


def _flip_difference(pi: PerInputChecks, sc: _Scope, th: Thresholds, seed: int) -> dict[str, Any]:
    rows = sc.rows
    src = pi.source_index[rows]
    f_t = (pi.y_t[rows] != pi.y_t[src]).astype(np.float64)
    f_s = (pi.y_s[rows] != pi.y_s[src]).astype(np.float64)
    n = int(rows.size)
    if n == 0:
        return {"student_minus_teacher": None, "n": 0, "ci95": None, "ci_method": None}

    diff = f_s - f_t
    ci, method = _stat_ci(stats.ratio_statistic(diff), sc.clusters, th, seed)
    return {"student_minus_teacher": float(diff.mean()), "n": n, "ci95": ci, "ci_method": method}


def _flips(pi: PerInputChecks, pooled, per_t, th: Thresholds, seed: int) -> dict[str, Any]:
    fu = pooled["follow_ups"]
    out: dict[str, Any] = {}
    for model, pred in (("teacher", pi.y_t), ("student", pi.y_s)):
        out[model] = {
            "overall": _flip_entry(pi, pred, fu, th, seed),
            "by_transformation": {t: _flip_entry(pi, pred, sc, th, seed) for t, sc in per_t.items()},
        }
    out["difference"] = {
        "overall": _flip_difference(pi, fu, th, seed),
        "by_transformation": {t: _flip_difference(pi, sc, th, seed) for t, sc in per_t.items()},
    }
    return out


def _performance_for(pi: PerInputChecks, sc: _Scope, n_classes: int, th: Thresholds, seed: int) -> dict[str, Any]:
    rows = sc.rows
    gold = pi.labels[rows]
    out: dict[str, Any] = {}
    for model, pred_all in (("teacher", pi.y_t), ("student", pi.y_s)):
        pred = pred_all[rows]
        rate = _rate_entry(pred == gold, sc.clusters, "correct", th, seed)
        acc = {"correct": rate["correct"], "n": rate["n"], "accuracy": rate["rate"],
               "ci95": rate["ci95"], "ci_method": rate["ci_method"]}
        if rows.size == 0:
            f1_entry = {"value": None, "ci95": None, "ci_method": None}
        else:
            f1_stat = stats.f1_statistic(gold, pred, n_classes)
            ci, method = _stat_ci(f1_stat, sc.clusters, th, seed)
            f1_entry = {"value": f1_stat.value(), "ci95": ci, "ci_method": method}
        out[model] = {"accuracy": acc, "f1": f1_entry}
    return out


def _mcnemar_for(pi: PerInputChecks, sc: _Scope) -> dict[str, Any]:
    rows = sc.rows
    gold = pi.labels[rows]
    res = stats.mcnemar(pi.y_t[rows] == gold, pi.y_s[rows] == gold)
    return {
        "b": res.b,
        "c": res.c,
        "n": res.n,
        "statistic": res.statistic,
        "p_value": res.p_value if res.n else None,
        "method": res.method,
        "clustered": sc.clusters is not None,
    }


def _calibration_for(pi: PerInputChecks, sc: _Scope, th: Thresholds, seed: int) -> dict[str, Any]:
    rows = sc.rows
    n = int(rows.size)
    if n == 0:
        return {"n": 0, "teacher_ece": None, "student_ece": None, "difference": None,
                "ci95": None, "ci_method": None, "aligned": None}
    gold = pi.labels[rows]
    ok_t, ok_s = pi.y_t[rows] == gold, pi.y_s[rows] == gold
    ece_t = stats.expected_calibration_error(pi.conf_t[rows], ok_t, th.ece_bins)
    ece_s = stats.expected_calibration_error(pi.conf_s[rows], ok_s, th.ece_bins)
    stat_t = stats.ece_statistic(pi.conf_t[rows], ok_t, th.ece_bins)
    stat_s = stats.ece_statistic(pi.conf_s[rows], ok_s, th.ece_bins)
    # Both ECEs are evaluated on the same resample, so the interval reflects the paired design.
    ci, method = _stat_ci(stat_s.minus(stat_t), sc.clusters, th, seed)
    diff = ece_s - ece_t
    return {
        "n": n,
        "teacher_ece": ece_t,
        "student_ece": ece_s,
        "difference": diff,
        "ci95": ci,
        "ci_method": method,
        "aligned": bool(abs(diff) <= th.ece_tolerance + _EPS),
    }


def _model_view(probs: np.ndarray, pred: int, conf: float, names: Sequence[str]) -> dict[str, Any]:
    return {
        "prediction": int(pred),
        "prediction_name": names[pred],
        "confidence": float(conf),
        "probs": [float(p) for p in probs],
    }


def _worst(pi: PerInputChecks, names: Sequence[str], k: int) -> list[dict[str, Any]]:
    pa = pi.violations["prediction_agreement"]
    hcp = pi.violations["high_confidence_preservation"]
    candidates = np.flatnonzero(pa | hcp)
    # Largest JSD first; ties broken by row index so the list is deterministic.
    order = candidates[np.lexsort((candidates, -pi.jsd[candidates]))][:k]
    out = []
    for i in order:
        i = int(i)
        label = None if pi.labels is None else int(pi.labels[i])
        out.append({
            "index": i,
            "source_index": int(pi.source_index[i]),
            "source_id": pi.source_ids[i],
            "transformation": pi.transformations[i],
            "jsd": float(pi.jsd[i]),
            "violated": [r for r, v in (("prediction_agreement", pa[i]),
                                        ("high_confidence_preservation", hcp[i])) if v],
            "label": label,
            "label_name": None if label is None else names[label],
            "teacher": _model_view(pi.teacher_probs[i], pi.y_t[i], pi.conf_t[i], names),
            "student": _model_view(pi.student_probs[i], pi.y_s[i], pi.conf_s[i], names),
        })
    return out


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def analyze(outputs: EvaluationOutputs, thresholds: Thresholds = Thresholds(), seed: int = 0,
            *, worst_k: int = 10) -> dict:
    """Evaluate all metamorphic relations and the supporting statistics.

    Args:
        outputs: both models' probabilities on sources and follow-ups (validated first).
        thresholds: relation thresholds and bootstrap settings.
        seed: seed of every bootstrap; equal inputs and seed give an identical result.
        worst_k: how many worst discrepancies to list (``worst``).

    Returns:
        The ``analysis`` section of ``report.json``: a dict of plain ``int``/``float``/``str``/
        ``bool``/``None``/``list``/``dict`` values without NaN or infinities, with keys
        ``thresholds``, ``seed``, ``worst_k``, ``labelled``, ``label_names``, ``counts``, ``relations``, ``flips``,
        ``performance``, ``mcnemar``, ``calibration`` and ``worst`` (see ``docs/relations.md``).
        ``performance``, ``mcnemar`` and ``calibration`` are ``None`` for unlabelled data.

    Raises:
        MetaCompressError: when the outputs are inconsistent (shapes, probabilities, pairing).
    """
    validate_outputs(outputs)
    if int(worst_k) != worst_k or worst_k < 0:
        raise MetaCompressError("worst_k must be a non-negative integer")
    th = thresholds
    pi = per_input_checks(outputs, th)
    names = list(outputs.label_names)
    n_classes = len(names)
    pooled, per_t = _scopes(pi)
    labelled = pi.labels is not None

    result: dict[str, Any] = {
        "thresholds": asdict(th),
        "seed": int(seed),
        "worst_k": int(worst_k),
        "labelled": labelled,
        "label_names": names,
        "counts": {
            "inputs": int(len(pi.source_ids)),
            "sources": int(pi.is_source.sum()),
            "follow_ups": int((~pi.is_source).sum()),
            "by_transformation": {t: int(sc.rows.size) for t, sc in per_t.items()},
        },
        "relations": {
            **{k: _relations_for(pi, sc, th, seed) for k, sc in pooled.items()},
            "by_transformation": {t: _relations_for(pi, sc, th, seed) for t, sc in per_t.items()},
        },
        "flips": _flips(pi, pooled, per_t, th, seed),
        "performance": None,
        "mcnemar": None,
        "calibration": None,
        "worst": _worst(pi, names, int(worst_k)),
    }
    if labelled:
        result["performance"] = {
            "f1_average": stats.f1_average(n_classes),
            "positive_label": names[1] if n_classes == 2 else None,
            **{k: _performance_for(pi, sc, n_classes, th, seed) for k, sc in pooled.items()},
            "by_transformation": {t: _performance_for(pi, sc, n_classes, th, seed) for t, sc in per_t.items()},
        }
        result["mcnemar"] = {
            **{k: _mcnemar_for(pi, sc) for k, sc in pooled.items() if k != "overall"},
            "by_transformation": {t: _mcnemar_for(pi, sc) for t, sc in per_t.items()},
        }
        result["calibration"] = {
            "n_bins": int(th.ece_bins),
            "tolerance": float(th.ece_tolerance),
            **{k: _calibration_for(pi, sc, th, seed) for k, sc in pooled.items()},
            "by_transformation": {t: _calibration_for(pi, sc, th, seed) for t, sc in per_t.items()},
        }
    return to_jsonable(result)


def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays and tuples to plain Python; non-finite floats become ``None``."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else None
    return obj
