"""Metamorphic flips: a follow-up whose prediction differs from the same model's prediction on its source."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import stats
from .checks import PerInputChecks
from .registry import Thresholds
from .scopes import Scope, macro_entry, rate_entry

#: Flip breakdown categories (source outcome → follow-up outcome), in report order.
FLIP_CATEGORIES: tuple[str, ...] = (
    "correct_to_correct",
    "correct_to_wrong",
    "wrong_to_correct",
    "wrong_to_same_wrong",
    "wrong_to_different_wrong",
)


def _answered(pi: PerInputChecks, sc: Scope, models: tuple[str, ...]) -> Scope:
    """The follow-ups of ``sc`` that every one of ``models`` answered, together with their source."""
    if not pi.partial:
        return sc
    keep = np.ones(sc.rows.size, dtype=bool)
    for model in models:
        have = pi.available(model)
        keep &= have[sc.rows] & have[pi.source_index[sc.rows]]
    return sc.subset(keep)


def flip_entry(pi: PerInputChecks, pred: np.ndarray, sc: Scope, th: Thresholds, seed: int,
               model: str | None = None) -> dict[str, Any]:
    """One model's flip rate on ``sc`` and, with labels, the breakdown by :data:`FLIP_CATEGORIES`.

    With ``model`` given, only follow-ups for which that model has outputs on both the follow-up and
    its source count.
    """
    if model is not None:
        sc = _answered(pi, sc, (model,))
    rows = sc.rows
    src = pi.source_index[rows]
    flips = pred[rows] != pred[src]
    entry = rate_entry(flips, sc.clusters, "flips", th, seed)
    entry["macro"] = macro_entry(flips, sc, "rate", entry, th, seed, binary=True)
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


def flip_difference(pi: PerInputChecks, sc: Scope, th: Thresholds, seed: int) -> dict[str, Any]:
    """Student minus teacher flip rate on the same pairs, with a (clustered) bootstrap CI."""
    sc = _answered(pi, sc, ("teacher", "student"))
    rows = sc.rows
    src = pi.source_index[rows]
    est = stats.paired_difference(pi.y_s[rows] != pi.y_s[src], pi.y_t[rows] != pi.y_t[src], sc.clusters,
                                  th.bootstrap_resamples, seed)
    return {"student_minus_teacher": est.value, "n": est.n, "ci95": None if est.ci is None else list(est.ci),
            "ci_method": est.method}


def flips_section(pi: PerInputChecks, pooled: dict[str, Scope], per_t: dict[str, Scope], th: Thresholds,
                  seed: int) -> dict[str, Any]:
    """The ``flips`` section of the analysis: per model over the transformation follow-ups (``overall``),
    over the adversarial examples (``attacks``, when there are some) and per transformation."""
    pooled_fu = {"overall": pooled["follow_ups"]}
    if "attacks" in pooled:
        pooled_fu["attacks"] = pooled["attacks"]
    out: dict[str, Any] = {}
    for model, pred in (("teacher", pi.y_t), ("student", pi.y_s)):
        out[model] = {
            **{k: flip_entry(pi, pred, sc, th, seed, model) for k, sc in pooled_fu.items()},
            "by_transformation": {t: flip_entry(pi, pred, sc, th, seed, model) for t, sc in per_t.items()},
        }
    out["difference"] = {
        **{k: flip_difference(pi, sc, th, seed) for k, sc in pooled_fu.items()},
        "by_transformation": {t: flip_difference(pi, sc, th, seed) for t, sc in per_t.items()},
    }
    return out
