"""Measures of attack results: per model, between teacher and student, and transfer.

Per model (over the N attacked inputs):

* **clean accuracy / F1** — of the predictions on the sources;
* **accuracy under attack** — an input counts as correct when it was classified correctly and no
  adversarial example was found (skipped inputs keep their clean outcome: a misclassified input is
  wrong, one without renamable identifiers stays correct); F1 likewise on the post-attack predictions;
* **attack success rate** — successful / attempted (attempted = successful + failed; skipped inputs
  are excluded), with a Wilson interval;
* **average queries** (over attempted inputs and over successful ones), **average edits** (renamed
  identifiers + transformation steps, over successful ones), **time** (total and per input).

Between models:

* **relative performance drop** ``drop_student / drop_teacher - 1`` with ``drop = clean accuracy -
  accuracy under attack``: 0 means the student loses as much accuracy under attack as its teacher,
  +0.5 that it loses 50 % more. 95 % CI: percentile bootstrap over inputs (the same resampled
  inputs for both models, since they are paired); resamples with ``drop_teacher = 0`` are undefined
  and left out.
* **transfer** — adversarial examples found against one model, run on the other: the share that
  the other model misclassifies, among those whose source it classified correctly.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np

from metacompress_eval import stats

from .base import FAILED, SKIP_MISCLASSIFIED, SKIPPED, SUCCESSFUL, AttackResult


def _rate(k: int, n: int) -> dict:
    return {"k": int(k), "n": int(n), "rate": (k / n) if n else None, "ci95": stats.wilson_ci(k, n)}


def _mean(values) -> float | None:
    values = list(values)
    return float(np.mean(values)) if values else None


def correctness(results: Sequence[AttackResult]) -> tuple[np.ndarray, np.ndarray]:
    """Per input: correct on the source, correct after the attack (goal label = gold label)."""
    clean = np.array([r.original_prediction == r.label for r in results], dtype=bool)
    adv = clean & np.array([not r.successful for r in results], dtype=bool)
    return clean, adv


def model_measures(results: Sequence[AttackResult], n_classes: int) -> dict:
    """Measures of one model's attack results (see the module docstring)."""
    n = len(results)
    clean, adv = correctness(results)
    statuses = Counter(r.status for r in results)
    attempted = [r for r in results if r.status in (SUCCESSFUL, FAILED)]
    successful = [r for r in results if r.successful]
    labelled = all(r.gold is not None for r in results)
    out = {
        "n": n,
        "labelled": labelled,
        "clean_accuracy": float(clean.mean()) if n else None,
        "clean_accuracy_ci95": stats.wilson_ci(int(clean.sum()), n),
        "adversarial_accuracy": float(adv.mean()) if n else None,
        "adversarial_accuracy_ci95": stats.wilson_ci(int(adv.sum()), n),
        "clean_f1": None,
        "adversarial_f1": None,
        "success": _rate(len(successful), len(attempted)),
        "success_rate": (len(successful) / len(attempted)) if attempted else None,
        "successful": statuses[SUCCESSFUL],
        "failed": statuses[FAILED],
        "skipped": dict(Counter(r.reason for r in results if r.status == SKIPPED)),
        "failure_reasons": dict(Counter(r.reason for r in results if r.status == FAILED)),
        "avg_queries": _mean(r.queries for r in attempted),
        "avg_queries_successful": _mean(r.queries for r in successful),
        "avg_edits": _mean(r.edits for r in successful),
        "seconds": float(sum(r.seconds for r in results)),
        "seconds_per_input": (float(sum(r.seconds for r in results)) / n) if n else None,
    }
    if labelled and n:
        y = np.array([r.gold for r in results])
        clean_pred = np.array([r.original_prediction for r in results])
        adv_pred = np.array([r.adversarial_prediction if r.successful else r.original_prediction for r in results])
        out["clean_f1"] = stats.f1_score(y, clean_pred, n_classes)
        out["adversarial_f1"] = stats.f1_score(y, adv_pred, n_classes)
    if not labelled:
        # On unlabelled data the goal label is the model's own prediction, so "accuracy" is agreement
        # with itself: always 1 on sources. Report it, but say what it is.
        out["note"] = "unlabelled: accuracy is measured against each model's own clean prediction"
    return out


def drop_ratio(teacher: Sequence[AttackResult], student: Sequence[AttackResult], *, n_resamples: int = 1000,
               seed: int = 0) -> dict:
    """``drop_student / drop_teacher - 1`` with a paired percentile bootstrap CI over inputs."""
    t_clean, t_adv = correctness(teacher)
    s_clean, s_adv = correctness(student)
    if len(t_clean) != len(s_clean):
        raise ValueError("teacher and student results must cover the same inputs")
    dt = t_clean.astype(float) - t_adv
    ds = s_clean.astype(float) - s_adv
    n = len(dt)
    drop_t, drop_s = (float(dt.mean()), float(ds.mean())) if n else (None, None)
    value = (drop_s / drop_t - 1.0) if n and drop_t > 0 else None
    ci = None
    if n and value is not None:
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, n, size=(n_resamples, n))
        bt, bs = dt[idx].mean(axis=1), ds[idx].mean(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = np.where(bt > 0, bs / np.where(bt > 0, bt, 1.0) - 1.0, np.nan)
        ci = stats.percentile_ci(ratios)
    return {"value": value, "ci95": ci, "drop_teacher": drop_t, "drop_student": drop_s, "n": n,
            "method": "paired percentile bootstrap over inputs", "n_resamples": n_resamples,
            "note": None if value is not None or not n else "undefined: the teacher lost no accuracy under attack"}


def transfer_rate(found: Sequence[AttackResult], other: Sequence[AttackResult],
                  other_predictions: dict[str, int]) -> dict:
    """Share of ``found`` (successful results against one model) that the other model misclassifies.

    Args:
        found: attack results against one model (only the successful ones are used).
        other: the other model's attack results on the same inputs (for its goal labels and clean
            outcomes: only sources it classified correctly count).
        other_predictions: per source id, the other model's prediction on the adversarial example.
    """
    goal = {r.source_id: r.label for r in other}
    clean_ok = {r.source_id: r.original_prediction == r.label for r in other}
    eligible = [r for r in found if r.successful and clean_ok.get(r.source_id)]
    k = sum(other_predictions[r.source_id] != goal[r.source_id] for r in eligible)
    return _rate(k, len(eligible))
