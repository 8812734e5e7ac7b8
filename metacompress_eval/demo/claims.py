"""What the demo is meant to show, measured on a report folder: does the student behave like its teacher?

The demo pairs a robustly trained teacher with a student distilled on plain code (README, "metacompress
demo"). On the test sources the two should be about equally accurate, while under semantics-preserving
follow-ups and under attack the student should behave measurably less like its teacher. Each claim is a
difference with a 95% bootstrap interval, and it *holds* only when the interval excludes zero in the
claimed direction:

* ``flip_rate_difference`` — student flip rate minus teacher flip rate on the follow-ups (paired:
  both models on the same follow-ups; cluster bootstrap over sources);
* ``pa_follow_ups_minus_sources`` — Prediction Agreement violation rate on the follow-ups minus the
  rate on their sources (cluster bootstrap over sources, a source together with its follow-ups);
* ``attack_relative_drop`` — the student's accuracy drop under attack relative to the teacher's,
  ``drop_S / drop_T - 1`` (the attack section's paired bootstrap), one entry per attack.

Follow-ups produced by the attacks (transformation ``attack:<method>``) are left out of the first two,
by the rule that keeps them out of the report's pooled scopes (:func:`metacompress_eval.relations.is_attack`):
they were searched against one model, so flips on them are not a sample of the models' behaviour. The
claims are recomputed from ``predictions.jsonl`` rather than read from the report because they are paired
differences (follow-ups minus sources, student minus teacher) the report does not carry in this form.
Alongside, the claims record the context that makes them meaningful: both source accuracies and the
number of test sources on which the teacher is confident enough for High Confidence Preservation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .. import stats
from ..fileio import iter_jsonl
from ..relations import ATTACK_PREFIX, is_attack

__all__ = ["ATTACK_PREFIX", "demo_claims", "claims_of_report_folder"]


def _interval(statistic: stats.LinearStatistic, clusters: list[str], resamples: int, seed: int) -> dict[str, Any]:
    ci = stats.bootstrap_ci(statistic, clusters, resamples, seed)
    return {"value": statistic.value(), "ci95": list(ci) if ci is not None else None,
            "ci_method": "cluster_bootstrap", "holds": bool(ci is not None and ci[0] > 0)}


def demo_claims(report: dict, predictions: Iterable[dict]) -> dict[str, Any]:
    """The demo's claims (module docstring) from a ``report.json`` dict and its ``predictions.jsonl`` rows."""
    analysis = report["analysis"]
    resamples = int(analysis["thresholds"]["bootstrap_resamples"])
    seed = int(analysis["seed"])
    rows = [r for r in predictions if not is_attack(r["transformation"])]  # the pooled scopes' rows
    source_pred = {r["source_id"]: (int(np.argmax(r["teacher_probs"])), int(np.argmax(r["student_probs"])))
                   for r in rows if r["transformation"] is None}
    ids = [r["source_id"] for r in rows]
    is_fu = np.array([r["transformation"] is not None for r in rows], dtype=np.float64)
    y_t = np.array([int(np.argmax(r["teacher_probs"])) for r in rows])
    y_s = np.array([int(np.argmax(r["student_probs"])) for r in rows])
    src_t = np.array([source_pred[i][0] for i in ids])
    src_s = np.array([source_pred[i][1] for i in ids])
    flip_diff = ((y_s != src_s).astype(np.float64) - (y_t != src_t)) * is_fu
    pa = (y_t != y_s).astype(np.float64)

    flips = _interval(stats.ratio_statistic(flip_diff, is_fu), ids, resamples, seed)
    pa_fu = stats.ratio_statistic(pa * is_fu, is_fu)
    pa_src = stats.ratio_statistic(pa * (1 - is_fu), 1 - is_fu)
    pa_claim = _interval(pa_fu.minus(pa_src), ids, resamples, seed)
    pa_claim.update(follow_ups=pa_fu.value(), sources=pa_src.value())
    flips.update(n_follow_ups=int(is_fu.sum()),
                 teacher=float(((y_t != src_t) * is_fu).sum() / max(1.0, is_fu.sum())),
                 student=float(((y_s != src_s) * is_fu).sum() / max(1.0, is_fu.sum())))

    attacks = {}
    for method, entry in ((report.get("attacks") or {}).get("by_attack") or {}).items():
        drop = entry["drop_ratio"]
        ci = drop.get("ci95")
        attacks[method] = {"value": drop.get("value"), "ci95": list(ci) if ci else None, "ci_method": drop.get("method"),
                           "holds": bool(ci is not None and ci[0] > 0), "n": drop.get("n"),
                           "drop_teacher": drop.get("drop_teacher"), "drop_student": drop.get("drop_student")}

    perf = (analysis.get("performance") or {}).get("sources") or {}
    hcp = analysis["relations"]["sources"]["high_confidence_preservation"]
    return {
        "flip_rate_difference": flips,
        "pa_follow_ups_minus_sources": pa_claim,
        "attack_relative_drop": attacks,
        "context": {
            "teacher_accuracy": (perf.get("teacher") or {}).get("accuracy"),
            "student_accuracy": (perf.get("student") or {}).get("accuracy"),
            "hcp_sources_n": hcp["n"],
        },
        "all_hold": bool(flips["holds"] and pa_claim["holds"] and attacks and all(a["holds"] for a in attacks.values())),
    }


def claims_of_report_folder(folder: str | Path) -> dict[str, Any]:
    """:func:`demo_claims` of a report folder (``report.json`` and ``predictions.jsonl``)."""
    import json

    folder = Path(folder)
    report = json.loads((folder / "report.json").read_text())
    rows = (row for _, row, problem in iter_jsonl(folder / "predictions.jsonl") if problem is None)
    return demo_claims(report, rows)
