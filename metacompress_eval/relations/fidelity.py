"""Fidelity as the knowledge-distillation literature measures it: top-1 agreement and KL(teacher ‖ student).

Beside them, mean |ΔP| — the mean total variation distance ½·Σ_c |p_T(c) − p_S(c)|, for two classes the
mean absolute difference of P(class 1) — the figure the compact students' papers and checkpoints quote.

Stanton et al. ("Does Knowledge Distillation Really Work?", NeurIPS 2021) report both for every
teacher/student pair; giving them per scope lets a MetaCompress report be set beside published
figures. Top-1 agreement is one minus PA's violation rate; KL is asymmetric (the teacher is the
reference) and unbounded, unlike PDS's JSD, so the two divergences are not interchangeable.
Definitions and the KL floor: docs/relations.md ("Fidelity").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import stats
from .checks import PerInputChecks
from .registry import Thresholds
from .scopes import Scope, available_scope, macro_entry, rate_entry, statistic_ci

_NATS_PER_BIT = float(np.log(2.0))


def _mean_entry(values: np.ndarray, sc: Scope, th: Thresholds, seed: int) -> dict[str, Any]:
    """``{"mean", "median", "ci95", "ci_method", "macro"}`` of ``values`` on ``sc``."""
    if values.size == 0:
        empty = {"mean": None, "ci95": None, "ci_method": None, "n_sources": 0}
        return {"mean": None, "median": None, "ci95": None, "ci_method": None, "macro": empty}
    ci, method = statistic_ci(stats.ratio_statistic(values), sc.clusters, th, seed)
    entry = {"mean": float(values.mean()), "median": float(np.median(values)), "ci95": ci, "ci_method": method}
    entry["macro"] = macro_entry(values, sc, "mean", entry, th, seed, binary=False)
    return entry


def _scaled(entry: dict[str, Any], factor: float) -> dict[str, Any]:
    """``entry`` (and its macro) in other units: the same resamples, every figure multiplied by ``factor``."""
    def scale(e: dict[str, Any]) -> dict[str, Any]:
        out = dict(e)
        for key in ("mean", "median"):
            if out.get(key) is not None:
                out[key] = out[key] * factor
        if out.get("ci95") is not None:
            out["ci95"] = [v * factor for v in out["ci95"]]
        return out

    return {**scale(entry), "macro": scale(entry["macro"])}


def fidelity_for(pi: PerInputChecks, sc: Scope, th: Thresholds, seed: int) -> dict[str, Any]:
    """Top-1 agreement, mean KL(teacher ‖ student) in bits and nats and mean |ΔP| on scope ``sc``.

    On the inputs of ``sc`` that both models answered (all of them unless a model's outputs are partial).
    """
    sc = available_scope(pi, sc, "teacher", "student")
    rows = sc.rows
    agree = pi.y_s[rows] == pi.y_t[rows]
    top1 = rate_entry(agree, sc.clusters, "agreements", th, seed)
    top1["macro"] = macro_entry(agree, sc, "rate", top1, th, seed, binary=True)
    kl_bits = _mean_entry(pi.kl[rows], sc, th, seed)
    # ½·Σ_c |p_T(c) − p_S(c)|: the total variation distance; for two classes |ΔP(class 1)|.
    gap = 0.5 * np.abs(pi.teacher_probs[rows] - pi.student_probs[rows]).sum(axis=1)
    return {
        "n": int(rows.size),
        "top1_agreement": top1,
        "kl_bits": kl_bits,
        "kl_nats": _scaled(kl_bits, _NATS_PER_BIT),
        "kl_floored": int(pi.kl_floored[rows].sum()),
        "mean_abs_prob_difference": float(gap.mean()) if rows.size else None,
    }


def fidelity_section(pi: PerInputChecks, pooled: dict[str, Scope], per_t: dict[str, Scope], th: Thresholds,
                     seed: int) -> dict[str, Any]:
    """The ``fidelity`` section of the analysis: the pooled scopes and one entry per transformation."""
    return {
        "kl_floor": stats.KL_FLOOR,
        **{k: fidelity_for(pi, sc, th, seed) for k, sc in pooled.items()},
        "by_transformation": {t: fidelity_for(pi, sc, th, seed) for t, sc in per_t.items()},
    }
