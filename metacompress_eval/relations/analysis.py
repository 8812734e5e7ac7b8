"""The ``analysis`` section of ``report.json``: every registered relation, fidelity, flips, accuracy, McNemar, calibration.

:func:`analyze` takes an :class:`~metacompress_eval.relations.checks.EvaluationOutputs` (both
models' class probabilities on every source and follow-up) and returns plain JSON values.
Definitions, formulas and every output field are documented in ``docs/relations.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import stats
from ..errors import MetaCompressError
from ..fileio import to_jsonable
from .base import EPS
from .checks import EvaluationOutputs, PerInputChecks, per_input_checks, validate_outputs
from .fidelity import fidelity_section
from .flips import flips_section
from .registry import Thresholds, list_relations
from .scopes import Scope, attack_mask, available_scope, macro_entry, rate_entry, scopes, statistic_ci


def relations_for(pi: PerInputChecks, sc: Scope, th: Thresholds, seed: int) -> dict[str, Any]:
    """Every registered relation's violation rate on scope ``sc``, with its extra statistics."""
    out: dict[str, Any] = {}
    for relation in list_relations():
        key = relation.key
        applies = pi.applies[key]
        # A relation's denominator is the inputs of the scope it applies to.
        part = sc if applies is None else sc.subset(applies[sc.rows])
        events = pi.violations[key][part.rows]
        entry = rate_entry(events, part.clusters, "violations", th, seed)
        entry["macro"] = macro_entry(events, part, "rate", entry, th, seed, binary=True)
        if relation.statistics is not None and key in pi.measures:
            entry.update(relation.statistics(pi.measures[key][part.rows]))
        out[key] = entry
    return out


def _performance_for(pi: PerInputChecks, sc: Scope, n_classes: int, th: Thresholds, seed: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    whole = sc
    for model, pred_all in (("teacher", pi.y_t), ("student", pi.y_s)):
        sc = available_scope(pi, whole, model)  # each model's accuracy on the inputs it has outputs for
        rows = sc.rows
        gold = pi.labels[rows]
        pred = pred_all[rows]
        rate = rate_entry(pred == gold, sc.clusters, "correct", th, seed)
        acc = {"correct": rate["correct"], "n": rate["n"], "accuracy": rate["rate"],
               "ci95": rate["ci95"], "ci_method": rate["ci_method"]}
        if rows.size == 0:
            f1_entry = {"value": None, "ci95": None, "ci_method": None}
        else:
            f1_stat = stats.f1_statistic(gold, pred, n_classes)
            ci, method = statistic_ci(f1_stat, sc.clusters, th, seed)
            f1_entry = {"value": f1_stat.value(), "ci95": ci, "ci_method": method}
        out[model] = {"accuracy": acc, "f1": f1_entry}
    return out


def _mcnemar_for(pi: PerInputChecks, sc: Scope, th: Thresholds, seed: int) -> dict[str, Any]:
    """McNemar's test on independent pairs; its clustered version where pairs share a source."""
    sc = available_scope(pi, sc, "teacher", "student")  # a paired test: inputs both models answered
    rows = sc.rows
    gold = pi.labels[rows]
    ok_t, ok_s = pi.y_t[rows] == gold, pi.y_s[rows] == gold
    if sc.clusters is None:
        res = stats.mcnemar(ok_t, ok_s)
    else:
        res = stats.clustered_mcnemar(ok_t, ok_s, sc.clusters)
    # The effect the test is about, (b − c) / n = accuracy_T − accuracy_S, with a (cluster) bootstrap CI.
    est = stats.paired_difference(ok_t, ok_s, sc.clusters, th.bootstrap_resamples, seed)
    difference = {"teacher_minus_student": est.value, "ci95": None if est.ci is None else list(est.ci),
                  "ci_method": est.method}
    return {
        "b": res.b,
        "c": res.c,
        "n": res.n,
        "statistic": res.statistic,
        "p_value": res.p_value if res.n else None,
        "method": res.method,
        "clustered": sc.clusters is not None,
        "n_clusters": res.n_clusters,
        "accuracy_difference": difference,
    }


_CALIBRATION_VERDICTS = {"within": "aligned", "outside": "misaligned", "inconclusive": "inconclusive"}


def _calibration_for(pi: PerInputChecks, sc: Scope, th: Thresholds, seed: int) -> dict[str, Any]:
    sc = available_scope(pi, sc, "teacher", "student")  # both ECEs on the same inputs
    rows = sc.rows
    n = int(rows.size)
    if n == 0:
        return {"n": 0, "teacher_ece": None, "student_ece": None, "difference": None,
                "ci95": None, "ci_method": None, "verdict": None}
    gold = pi.labels[rows]
    ok_t, ok_s = pi.y_t[rows] == gold, pi.y_s[rows] == gold
    ece_t = stats.expected_calibration_error(pi.conf_t[rows], ok_t, th.ece_bins)
    ece_s = stats.expected_calibration_error(pi.conf_s[rows], ok_s, th.ece_bins)
    stat_t = stats.ece_statistic(pi.conf_t[rows], ok_t, th.ece_bins)
    stat_s = stats.ece_statistic(pi.conf_s[rows], ok_s, th.ece_bins)
    # Both ECEs are evaluated on the same resample, so the interval reflects the paired design.
    ci, method = statistic_ci(stat_s.minus(stat_t), sc.clusters, th, seed)
    diff = ece_s - ece_t
    # Three-valued: the interval, not the point estimate, has to lie inside (or outside) the tolerance.
    verdict = _CALIBRATION_VERDICTS[stats.tolerance_verdict(ci, th.ece_tolerance, EPS)]
    return {
        "n": n,
        "teacher_ece": ece_t,
        "student_ece": ece_s,
        "difference": diff,
        "ci95": ci,
        "ci_method": method,
        "verdict": verdict,
    }


def coverage_section(pi: PerInputChecks) -> dict[str, Any] | None:
    """Which rows each model has outputs for, and the figures computed on fewer rows because of it.

    ``partial`` and ``complete`` name analysis fields (``flips.teacher`` …): the first are computed
    on the rows the model(s) they need answered, each with its own ``n``; the second on every row.
    ``None`` when both models answered every input (the report then has no ``coverage`` field).
    """
    if not pi.partial:
        return None
    attack = attack_mask(pi.transformations)

    def rows(have: np.ndarray) -> dict[str, int]:
        # The pooled scopes' rows: inputs = sources + transformation follow-ups, as in "overall".
        out = {"inputs": int(have[~attack].sum()), "sources": int(have[pi.is_source].sum()),
               "follow_ups": int(have[~pi.is_source & ~attack].sum())}
        if attack.any():
            out["attacks"] = int(have[attack].sum())
        return out

    out: dict[str, Any] = {model: rows(pi.available(model)) for model in ("teacher", "student")}
    out["both"] = rows(pi.available("teacher") & pi.available("student"))
    out["of"] = rows(np.ones(len(pi.source_ids), dtype=bool))
    missing = [m for m in ("teacher", "student") if not pi.available(m).all()]
    labelled = pi.labels is not None
    partial = ["relations", "fidelity"] + (["mcnemar", "calibration"] if labelled else [])
    partial += ["flips.difference", "worst"] + [f"flips.{m}" for m in missing]
    partial += [f"performance.{m}" for m in missing if labelled]
    complete = [f"{section}.{m}" for m in ("teacher", "student") if m not in missing
                for section in (("performance", "flips") if labelled else ("flips",))]
    out["partial"], out["complete"] = partial, complete
    return out


def _model_view(probs: np.ndarray, pred: int, conf: float, names: Sequence[str]) -> dict[str, Any]:
    return {
        "prediction": int(pred),
        "prediction_name": names[pred],
        "confidence": float(conf),
        "probs": [float(p) for p in probs],
    }


def _worst(pi: PerInputChecks, names: Sequence[str], k: int) -> list[dict[str, Any]]:
    """The ``k`` inputs with the largest JSD among those violating a relation marked ``worst``."""
    flagged = [r.key for r in list_relations() if r.worst]
    if flagged:
        candidates = np.flatnonzero(np.logical_or.reduce([pi.violations[key] for key in flagged]))
    else:
        candidates = np.zeros(0, dtype=np.int64)
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
            "violated": [key for key in flagged if pi.violations[key][i]],
            "label": label,
            "label_name": None if label is None else names[label],
            "teacher": _model_view(pi.teacher_probs[i], pi.y_t[i], pi.conf_t[i], names),
            "student": _model_view(pi.student_probs[i], pi.y_s[i], pi.conf_s[i], names),
        })
    return out


def analyze(outputs: EvaluationOutputs, thresholds: Thresholds | None = None, seed: int = 0,
            *, worst_k: int = 10) -> dict:
    """Evaluate every registered relation and the supporting statistics.

    Args:
        outputs: both models' probabilities on sources and follow-ups (validated first).
        thresholds: relation thresholds and bootstrap settings (default: ``Thresholds()``).
        seed: seed of every bootstrap; equal inputs and seed give an identical result.
        worst_k: how many worst discrepancies to list (``worst``).

    Returns:
        The ``analysis`` section of ``report.json``: a dict of plain ``int``/``float``/``str``/
        ``bool``/``None``/``list``/``dict`` values without NaN or infinities, with keys
        ``thresholds``, ``seed``, ``worst_k``, ``labelled``, ``label_names``, ``counts``, ``relations``,
        ``fidelity``, ``flips``, ``performance``, ``mcnemar``, ``calibration`` and ``worst`` (see
        ``docs/relations.md``), and ``coverage`` when a model lacks outputs on some rows (*Partial
        outputs* there). ``performance``, ``mcnemar`` and ``calibration`` are ``None`` for unlabelled data.

    Raises:
        MetaCompressError: when the outputs are inconsistent (shapes, probabilities, pairing).
    """
    validate_outputs(outputs)
    if int(worst_k) != worst_k or worst_k < 0:
        raise MetaCompressError("worst_k must be a non-negative integer")
    th = thresholds if thresholds is not None else Thresholds()
    pi = per_input_checks(outputs, th)
    names = list(outputs.label_names)
    n_classes = len(names)
    pooled, per_t = scopes(pi)
    labelled = pi.labels is not None

    result: dict[str, Any] = {
        "thresholds": th.as_dict(),
        "seed": int(seed),
        "worst_k": int(worst_k),
        "labelled": labelled,
        "label_names": names,
        "counts": {
            "inputs": int(pooled["overall"].rows.size),  # sources + follow_ups; attack follow-ups apart
            "sources": int(pi.is_source.sum()),
            "follow_ups": int(pooled["follow_ups"].rows.size),
            **({"attacks": int(pooled["attacks"].rows.size)} if "attacks" in pooled else {}),
            "by_transformation": {t: int(sc.rows.size) for t, sc in per_t.items()},
        },
        "relations": {
            **{k: relations_for(pi, sc, th, seed) for k, sc in pooled.items()},
            "by_transformation": {t: relations_for(pi, sc, th, seed) for t, sc in per_t.items()},
        },
        "fidelity": fidelity_section(pi, pooled, per_t, th, seed),
        "flips": flips_section(pi, pooled, per_t, th, seed),
        "performance": None,
        "mcnemar": None,
        "calibration": None,
        "worst": _worst(pi, names, int(worst_k)),
    }
    coverage = coverage_section(pi)
    if coverage is not None:
        result["coverage"] = coverage
    if labelled:
        result["performance"] = {
            "f1_average": stats.f1_average(n_classes),
            "positive_label": names[1] if n_classes == 2 else None,
            **{k: _performance_for(pi, sc, n_classes, th, seed) for k, sc in pooled.items()},
            "by_transformation": {t: _performance_for(pi, sc, n_classes, th, seed) for t, sc in per_t.items()},
        }
        result["mcnemar"] = {
            **{k: _mcnemar_for(pi, sc, th, seed) for k, sc in pooled.items() if k != "overall"},
            "by_transformation": {t: _mcnemar_for(pi, sc, th, seed) for t, sc in per_t.items()},
        }
        result["calibration"] = {
            "n_bins": int(th.ece_bins),
            "tolerance": float(th.ece_tolerance),
            **{k: _calibration_for(pi, sc, th, seed) for k, sc in pooled.items()},
            "by_transformation": {t: _calibration_for(pi, sc, th, seed) for t, sc in per_t.items()},
        }
    return to_jsonable(result)
